"""The EVPPI estimator against models whose answer is known in closed form: an input that alone decides the
verdict settles all of its uncertainty, an input with no bearing settles none (its interval holds 0), and shares
in between come out where the algebra puts them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.evidence import blocks, evidence_table, evppi_table, in_window, settled_share


def uniform_inputs(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"decides": rng.uniform(size=n), "other": rng.uniform(size=n), "count": rng.integers(0, 11, size=n).astype(float)})


def test_an_input_that_alone_decides_the_verdict_settles_all_of_it():
    x = uniform_inputs(3000, 1)
    y = (x["decides"] < 0.4).astype(float).to_numpy()
    table = evppi_table(x, y, seed=7)
    assert table.index[0] == "decides"
    assert table.loc["decides", "evppi"] > 0.97
    assert table.loc["decides", "evppi_high"] <= 1.0 + 1e-9


def test_inputs_with_no_bearing_settle_about_none_and_their_intervals_hold_zero():
    x = uniform_inputs(3000, 2)
    y = (x["decides"] < 0.4).astype(float).to_numpy()
    table = evppi_table(x, y, seed=7)
    for name in ("other", "count"):
        row = table.loc[name]
        assert abs(row["evppi"]) < 0.01, row
        assert row["evppi_low"] <= 0 <= row["evppi_high"], row


def test_a_whole_number_input_is_blocked_by_its_values_and_a_threshold_on_it_settles_everything():
    x = uniform_inputs(2000, 3)
    y = (x["count"] >= 6).astype(float).to_numpy()
    assert len(np.unique(blocks(x["count"].to_numpy(), 22))) == 11
    assert settled_share(blocks(x["count"].to_numpy(), 22), y) == pytest.approx(1.0)


def test_a_noisy_verdict_gets_the_share_of_its_variance_the_input_explains():
    # g(x) = x / 4 for x uniform on 0..4: p = 1/2, Var(g) = Var(x) / 16 = 1/8, Var(window) = 1/4, so knowing x settles 1/2.
    rng = np.random.default_rng(4)
    x = pd.DataFrame({"x": rng.integers(0, 5, size=4000).astype(float), "noise": rng.normal(size=4000)})
    y = (rng.uniform(size=4000) < x["x"] / 4).astype(float).to_numpy()
    table = evppi_table(x, y, seed=11)
    assert table.loc["x", "evppi"] == pytest.approx(0.5, abs=0.04)
    assert table.loc["x", "evppi_low"] <= 0.5 <= table.loc["x", "evppi_high"]
    assert table.loc["noise", "evppi_low"] <= 0 <= table.loc["noise", "evppi_high"]


def test_two_inputs_that_decide_together_each_settle_a_third():
    # window if x1 + x2 < 1 (both uniform): p = 1/2, g(x1) = 1 - x1, Var(g) = 1/12 against 1/4: a third each; the rest is joint.
    x = uniform_inputs(4000, 5)[["decides", "other"]]
    y = (x["decides"] + x["other"] < 1).astype(float).to_numpy()
    table = evppi_table(x, y, seed=3)
    for name in ("decides", "other"):
        assert table.loc[name, "evppi"] == pytest.approx(1 / 3, abs=0.04)
        assert table.loc[name, "evppi_low"] <= 1 / 3 <= table.loc[name, "evppi_high"]


def test_intervals_of_an_input_with_no_bearing_hold_zero_about_as_often_as_they_say():
    covered = 0
    for seed in range(40):
        rng = np.random.default_rng(100 + seed)
        x = pd.DataFrame({"none": rng.uniform(size=800)})
        y = (rng.uniform(size=800) < 0.4).astype(float)
        row = evppi_table(x, y, seed=seed, bootstrap=200).loc["none"]
        covered += row["evppi_low"] <= 0 <= row["evppi_high"]
    assert covered >= 34  # 95% intervals: 38 of 40 expected, 34 would be unlucky below 1 in 100


def test_the_same_seed_gives_the_same_intervals_and_a_verdict_that_never_varies_settles_nothing():
    x = uniform_inputs(500, 6)
    y = (x["decides"] < 0.5).astype(float).to_numpy()
    assert evppi_table(x, y, seed=1).equals(evppi_table(x, y, seed=1))
    assert evppi_table(x, np.ones(500), seed=1)["evppi"].eq(0).all()


def test_a_replication_cut_off_at_the_horizon_is_outside_the_window():
    assert in_window(np.array([14.9, 15, 30, 30.1, np.inf]), (15, 30)).tolist() == [0, 1, 1, 0, 0]


def test_the_evidence_table_ranks_inputs_in_words_with_units():
    x = uniform_inputs(1000, 8)
    y = (x["decides"] < 0.4).astype(float).to_numpy()
    evppi = evppi_table(x, y, seed=2)
    swings = pd.DataFrame({"mean_days.swing": [12.0, -0.1, 0.3], "p_window.swing": [-0.4, 0.0, 0.01]}, index=["decides", "other", "count"])
    table = evidence_table(evppi, swings, {"decides": "assumption", "other": "report"}, {"decides": "heavy loads"})
    assert list(table.columns[:8]) == ["input", "label", "source_kind", "swing_days", "p_window_swing_points", "evppi", "evppi_low", "evppi_high"]
    first = table.iloc[0]
    assert (first["input"], first["label"], first["source_kind"], first["swing_days"]) == ("decides", "heavy loads", "assumption", 12.0)
    assert first["p_window_swing_points"] == pytest.approx(-40) and first["evppi"] > 90
    assert table.set_index("input").loc["count", "source_kind"] == "unsourced"


def test_the_evidence_figure_names_the_studys_measure_and_draws_a_share_below_zero_at_zero_saying_so():
    """The figure says the share is of what the study measured (mean days to base empty here, as the console says),
    never a hard-coded window; a share or interval end estimated below 0 is drawn at 0 and the figure and its
    caption say so, as the console writes ``7% (0-18%)``."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    from sim.analysis.measure import Measure
    from sim.plots.evidence import evidence_figure
    from sim.report.analysis_section import caption, caption_fields

    table = pd.DataFrame(
        {
            "input": ["a.b", "c.d"],
            "label": ["heavy loads", "escort teams"],
            "source_kind": ["assumption", "report"],
            "swing_days": [9.0, 0.2],
            "evppi": [7.0, -0.3],
            "evppi_low": [-0.89, -2.0],
            "evppi_high": [18.0, 1.5],
        }
    )
    measure = Measure(window=(15.0, 30.0))
    fig = evidence_figure(table, measure)
    left = fig.axes[0]
    try:
        assert "of mean days to base empty" in left.get_xlabel()
        assert "15-30 days" not in left.get_xlabel()
        assert "swing of mean days to base empty" in fig.axes[1].get_xlabel()
        assert all(bar.get_width() >= 0 for bar in left.patches)
        whiskers = [seg for c in left.collections if isinstance(c, LineCollection) for seg in c.get_segments()]
        assert whiskers and min(float(np.min(seg[:, 0])) for seg in whiskers) == 0.0
        assert max(float(np.max(seg[:, 0])) for seg in whiskers) == 18.0
        assert any("below 0% is noise" in t.get_text() and "drawn at 0" in t.get_text() for t in fig.texts)
    finally:
        plt.close(fig)
    words = caption("evidence", caption_fields(Path("."), "evidence", {"measure": measure.as_record()}))
    assert "uncertainty of mean days to base empty" in words and "drawn at 0" in words


def test_too_few_replications_or_misaligned_outcomes_are_refused():
    x = uniform_inputs(10, 9)
    with pytest.raises(ValueError, match="too few"):
        evppi_table(x, np.zeros(10), seed=1)
    with pytest.raises(ValueError, match="one outcome per replication"):
        evppi_table(uniform_inputs(100, 9), np.zeros(99), seed=1)


# --- the command --------------------------------------------------------------------------------


def test_evidence_command_writes_its_ranked_table_figure_manifest_and_report(tmp_path, baseline_path):
    import json

    from typer.testing import CliRunner

    from sim.cli import app

    out = tmp_path / "evidence"
    args = ["evidence", str(baseline_path), "-n", "120", "--tornado-replications", "2", "--jobs", "1", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "evidence.csv")
    assert {"input", "label", "source_kind", "swing_days", "evppi", "evppi_low", "evppi_high"} <= set(table.columns)
    assert table["evppi"].is_monotonic_decreasing
    row = table.set_index("input").loc["fleet.het.count"]
    assert (row["label"], row["source_kind"]) == ("heavy equipment transporters", "assumption")
    assert table.set_index("input").loc["fleet.civilian.count", "source_kind"] == "report"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "evidence" and manifest["monte_carlo_replications"] == 120 and 0 <= manifest["p_window"] <= 1
    assert manifest["joint"]["inputs"] == list(table["input"].head(2)) and manifest["joint"]["evppi_low"] <= manifest["joint"]["evppi_high"]
    assert len(pd.read_parquet(out / "replications.parquet")) == 120
    assert (out / "evidence.png").exists() and (out / "report.md").exists()
    text = " ".join(result.output.split())
    assert "knowing it would settle" in text and "assumption" in text
    assert CliRunner().invoke(app, ["report", str(out)]).exit_code == 0
    page = (out / "report.html").read_text()
    assert "What to find out first" in page and "of the uncertainty; swing" in page and 'id="figure-evidence"' in page
    assert "together would settle" in page
    # provenance: each group's source once, the kind of source beside each value
    assert page.count("about 100 trucks came in from Kurdistan") == 1
    civilian = '<td>contracted trucks<span class="param">fleet.civilian.count</span></td><td>triangular(60, 100, 140)</td>'
    assert f'{civilian}<td class="kind kind-report">report</td>' in page
    assert CliRunner().invoke(app, ["plot", str(out)]).exit_code == 0


def test_evidence_on_a_scenario_without_distributions_says_there_is_nothing_to_rank(tmp_path, baseline_path):
    from typer.testing import CliRunner

    from sim.cli import app
    from sim.scenario.draws import uncertain_inputs
    from sim.scenario.loading import load_scenario

    pins = [f"{i.path}={round(i.distribution.p50) if i.integer else i.distribution.p50:g}" for i in uncertain_inputs(load_scenario(baseline_path).scenario)]
    args = ["evidence", str(baseline_path), "--out", str(tmp_path / "e"), *(x for pin in pins for x in ("--set", pin))]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3 and "nothing to rank" in " ".join(result.output.split())


def test_two_inputs_that_decide_together_settle_nearly_all_of_it_jointly():
    # window iff x1 + x2 < 1: a third each alone, all of it together (less what the cells across the diagonal lose)
    from sim.analysis.evidence import joint_evppi

    x = uniform_inputs(4000, 10)
    y = (x["decides"] + x["other"] < 1).astype(float).to_numpy()
    both = joint_evppi(x[["decides", "other"]], y, seed=5)
    assert both["evppi"] > 0.85 and both["evppi_low"] <= both["evppi"] <= both["evppi_high"] <= 1
    unrelated = joint_evppi(x[["other", "count"]], (x["decides"] < 0.5).astype(float).to_numpy(), seed=5)
    assert unrelated["evppi_low"] <= 0 <= unrelated["evppi_high"]


def test_evidence_from_a_finished_run_estimates_from_its_replications_and_refuses_another_scenarios(tmp_path, baseline_path):
    import json

    from typer.testing import CliRunner

    from sim.cli import app

    run = tmp_path / "run"
    assert CliRunner().invoke(app, ["run", "--no-figures", str(baseline_path), "-n", "60", "--jobs", "1", "--out", str(run)]).exit_code == 0
    out = tmp_path / "evidence"
    args = ["evidence", str(baseline_path), "--from", str(run), "--tornado-replications", "2", "--jobs", "1", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["monte_carlo_replications"] == 60 and manifest["monte_carlo_from"] == str(run)
    other = CliRunner().invoke(app, ["evidence", str(baseline_path), "--set", "escort.teams=9", "--from", str(run), "--out", str(tmp_path / "x")])
    assert other.exit_code == 3 and "was run on another scenario" in " ".join(other.output.split())
