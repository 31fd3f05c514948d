"""Paired comparisons on common random numbers: the sign of an effect, and what pairing buys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.paired import mean_difference, paired_comparison
from sim.experiment.compare import run_compare
from sim.experiment.executors import InProcess, LocalPool
from sim.replication import prepare, simulate_one
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"


def test_identical_samples_differ_by_exactly_zero():
    x = np.array([20.0, 25.0, 31.0, 40.0])
    d = paired_comparison(x, x, (15, 30))
    assert d["days_to_base_empty"]["difference"] == 0.0 and d["p_15_to_30"]["difference"] == 0.0


def test_pairing_removes_the_shared_noise_from_the_difference():
    rng = np.random.default_rng(1)
    shared = rng.normal(30, 8, 500)
    d = mean_difference(shared, shared - 2 + rng.normal(0, 1, 500))
    assert d["ci_low"] < -2 < d["ci_high"] and d["variance_reduction"] > 50


def test_a_constant_in_one_scenario_keeps_the_other_inputs_on_the_same_random_numbers():
    a = load_scenario(BASELINE).scenario
    b = load_scenario(BASELINE, ["fleet.civilian.count=30"]).scenario
    pa, pb = prepare(a), prepare(b)
    values_a, _, _ = simulate_one(pa, 5, 0)
    values_b, _, _ = simulate_one(pb, 5, 0)
    assert "fleet.civilian.count" not in values_b and values_a["fleet.civilian.count"] != 30.0
    assert {k: v for k, v in values_a.items() if k != "fleet.civilian.count"} == values_b


def test_fewer_civilian_trucks_close_the_base_later():
    a = load_scenario(BASELINE, ["fleet.civilian.count=120"])
    b = load_scenario(BASELINE, ["fleet.civilian.count=25"])
    with LocalPool(2) as pool:
        result = run_compare(a, b, seed=1, replications=24, executor=pool)
    days = result.summary["days_to_base_empty"]
    assert days["ci_low"] > 0, days
    assert result.summary["p_over_30"]["difference"] >= 0


def test_pairing_shrinks_the_variance_of_a_small_change():
    a = load_scenario(BASELINE)
    b = load_scenario(BASELINE, ["escort.teams=7"])
    result = run_compare(a, b, seed=2, replications=20, executor=InProcess())
    assert result.summary["days_to_base_empty"]["variance_reduction"] > 2


def test_compare_command_prints_the_comparison_as_json_and_plots_the_pairs(tmp_path):
    out = tmp_path / "cmp"
    done = subprocess.run(
        [sys.executable, "-m", "sim", "compare", str(BASELINE), "--set", "escort.teams=7", "-n", "8", "--jobs", "1", "--json", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["replications"] == 8 and {"days_to_base_empty", "p_15_to_30", "p_over_30"} <= set(summary)
    assert {"difference", "ci_low", "ci_high", "variance_reduction"} <= set(summary["p_15_to_30"])
    paired = pd.read_parquet(out / "paired_days.parquet")
    assert len(paired) == 8
    assert (paired["days_b"] - paired["days_a"]).mean() == pytest.approx(summary["days_to_base_empty"]["difference"])
    assert (out / "compare.png").stat().st_size > 0 and json.loads((out / "comparison.json").read_text()) == summary


HIGH_THREAT = ROOT / "scenarios" / "qasrak_high_threat.toml"
CLOSURE_START = "crossing.main.scheduled_closures.0.start_day"


@pytest.mark.parametrize("high_threat_first", [False, True])
def test_a_closure_only_one_scenario_plans_is_drawn_by_it_alone_and_the_shared_inputs_stay_paired(high_threat_first):
    baseline, high = load_scenario(BASELINE).scenario, load_scenario(HIGH_THREAT).scenario
    a, b = (high, baseline) if high_threat_first else (baseline, high)
    pa, pb = prepare(a), prepare(b)
    values_a, _, _ = simulate_one(pa, 5, 3)
    values_b, _, _ = simulate_one(pb, 5, 3)
    values_high, values_base = (values_a, values_b) if high_threat_first else (values_b, values_a)
    assert 5 <= values_high[CLOSURE_START] <= 20 and CLOSURE_START not in values_base
    drawn_b = {i.path: i.distribution for i in pb.inputs}
    same = {i.path for i in pa.inputs if drawn_b.get(i.path) == i.distribution}  # the inputs both scenarios draw alike
    assert "fleet.civilian.count" in same and len(same) > 10
    assert {p: values_a[p] for p in same} == {p: values_b[p] for p in same}


def test_high_threat_closes_the_base_later_than_the_baseline_on_paired_replications():
    result = run_compare(load_scenario(BASELINE), load_scenario(HIGH_THREAT), seed=3, replications=6, executor=InProcess())
    days = result.summary["days_to_base_empty"]
    assert result.summary["mean_b"] > result.summary["mean_a"] and days["difference"] > 0
    assert np.isfinite(result.days_a).all() and np.isfinite(result.days_b).all()
    reverse = run_compare(load_scenario(HIGH_THREAT), load_scenario(BASELINE), seed=3, replications=6, executor=InProcess())
    assert reverse.summary["days_to_base_empty"]["difference"] == pytest.approx(-days["difference"])


def test_compare_with_set_names_what_was_set_in_its_console_title_figure_and_report(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app
    from sim.plots.compare import compare_figure, read_compare

    out = tmp_path / "cmp"
    result = CliRunner().invoke(app, ["compare", str(BASELINE), "--set", "escort.teams=7", "-n", "4", "--jobs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    console = " ".join(result.output.split())
    assert "B (" in console and "with escort.teams=7) - A (" in console
    figure = compare_figure(read_compare(out))
    assert "escort.teams=7" in figure.get_suptitle()
    assert CliRunner().invoke(app, ["report", str(out)]).exit_code == 0
    page = (out / "report.html").read_text()
    assert "<h1>qasrak_baseline vs qasrak_baseline with escort.teams=7</h1>" in page


def test_a_theatre_comparison_counts_who_is_out_by_each_reported_end_date():
    from sim.experiment.compare import theatre_comparison

    a = np.array([18.0, 25.0, 40.0, 70.0])
    b = np.array([15.0, 19.0, 29.0, 50.0])
    found = theatre_comparison(a, b)
    assert found["days_to_last_out"]["difference"] == pytest.approx(-10.0)
    assert (found["p_within_20"]["a"], found["p_within_20"]["b"]) == (0.25, 0.5)
    assert (found["p_within_30"]["a"], found["p_within_30"]["b"]) == (0.5, 0.75)
    assert (found["p_within_60"]["a"], found["p_within_60"]["b"]) == (0.75, 1.0)


def test_a_comparison_says_what_a_deadline_leaves_behind_beside_when_the_base_empties(tmp_path):
    # issue: compare of the baseline and the deadline said nothing of what B leaves behind
    from typer.testing import CliRunner

    from sim.cli import app

    out = tmp_path / "cmp"
    deadline = tmp_path / "deadline_day_5.toml"
    deadline.write_text((ROOT / "scenarios" / "qasrak_deadline.toml").read_text().replace("\nday = 20\n", "\nday = 5\n"))
    result = CliRunner().invoke(app, ["compare", str(BASELINE), str(deadline), "-n", "4", "--jobs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    left = json.loads((out / "comparison.json").read_text())["left_behind"]
    # day 5: every replication of B leaves something (the baseline's P10 is about 9 days); A has no deadline
    assert (left["deadline_a"], left["deadline_b"]) == (False, True)
    assert left["p_something_left"]["a"] == 0.0 and left["p_something_left"]["b"] == 1.0
    assert left["total"]["a"] == 0.0 and left["total"]["b"] == pytest.approx(left["total"]["difference"]) and left["total"]["b"] > 0
    text = " ".join(result.output.split())
    assert "Left behind by the deadline: A has no deadline and leaves nothing; B leaves something in 100% of replications" in text
    assert "P(anything" in text and "behind (mean)" in text  # the table's rows (rich wraps their labels)
    assert CliRunner().invoke(app, ["report", str(out)]).exit_code == 0
    html = next(out.glob("*.html")).read_text() if list(out.glob("*.html")) else (out / "report" / "index.html").read_text()
    assert "P(anything left behind)" in html
    plain = CliRunner().invoke(app, ["compare", str(BASELINE), "--set", "escort.teams=7", "-n", "2", "--jobs", "1", "--out", str(tmp_path / "plain")])
    assert "left_behind" not in json.loads((tmp_path / "plain" / "comparison.json").read_text())
    assert "Left behind" not in plain.output


def test_a_theatre_comparison_with_base_titles_every_table_with_its_subject_on_the_console_and_in_the_report(tmp_path):
    # issue: compare THEATRE --base rmelan: the first table was the main base's, unlabelled ("base empty"), under a
    # sentence on Rmelan; the report repeated it under "Does the base empty in the window?" without the theatre table
    import html as html_text
    import re

    from typer.testing import CliRunner

    from sim.cli import app
    from tests.theatre_tables import crossing, leg, small_base, small_theatre, to_toml

    sites = {"a": small_base(title="Ay"), "b": small_base(title="Bee"), "x": crossing()}
    path = tmp_path / "t.toml"
    path.write_text(to_toml(small_theatre(sites, [leg("a", "x", 100), leg("b", "x", 50), leg("a", "b", 50), leg("x", "erbil", 100)])))
    out = tmp_path / "cmp"
    args = ["compare", str(path), "--set", "pools.shared.fleet.civilian.count=3", "--base", "b", "-n", "4", "--jobs", "1", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["base"] == {"name": "a", "title": "Ay", "role": "the main base"}
    titles = ["Bee empty: what the sentence measures", "Ay (the main base): base empty", "The whole withdrawal: last person and load out of the country"]
    text = " ".join(result.output.split())
    assert [text.index(t) for t in titles] == sorted(text.index(t) for t in titles)
    assert text.index(titles[0]) < text.index("With B Bee is empty")
    # the measured table's mean is Bee's, the main base's table's is Ay's
    assert f"{comparison['measured']['days']['b']:.2f}" in text.split(titles[1])[0].split(titles[0])[1]
    assert f"{comparison['mean_b']:.2f}" in text.split(titles[2])[0].split(titles[1])[1]
    assert CliRunner().invoke(app, ["report", str(out)]).exit_code == 0
    page = html_text.unescape((out / "report.html").read_text(encoding="utf-8"))
    assert "<h2>When is Bee empty with B, against A?</h2>" in page and "Does the base empty" not in page
    assert re.findall(r"<h3>([^<]*)</h3>", page.split('id="comparison"')[1].split("</section>")[0]) == titles
    from sim.plots.compare import compare_figure, read_compare

    figure = compare_figure(read_compare(out))  # the figure's days are the main base's too: it says so
    assert figure.axes[0].get_title() == "Ay (the main base): days to base empty"
