"""One measure, chosen, everywhere: sooner is better under the default measure, every study names its measure in
words, a theatre is measured whole by default, compare answers in one sentence, and intervals on a change in a
chance stay within -100 and +100 points."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.analysis.marginal import marginal_table
from sim.analysis.measure import Measure, MeasureError, headline
from sim.analysis.paired import comparison_sentence, measured_comparison, paired_proportion_difference, swing_intervals
from sim.api import marginal_sentence
from sim.cli import app
from tests.test_theatre import two_bases_file

runner = CliRunner()


def cli(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def rows(days, finished=None) -> pd.DataFrame:
    days = np.asarray(days, dtype=float)
    return pd.DataFrame({"replication": range(len(days)), "days_to_base_empty": days, "finished": np.ones(len(days), bool) if finished is None else finished})


# ---- the measure itself ------------------------------------------------------------------------


def test_a_measure_names_itself_in_words_and_refuses_what_it_cannot_read():
    assert Measure().words == "mean days to base empty"
    assert Measure("out-by-day", by_day=20).words == "P(out by day 20)"
    assert Measure("window").words == "P(15-30 days)"
    assert Measure("out-by-day").day == 30  # the window's end by default
    with pytest.raises(MeasureError, match="use days, out-by-day, window"):
        Measure("fastest")
    with pytest.raises(MeasureError, match="--by-day"):
        Measure(by_day=0)


def test_finishing_early_is_out_by_day_30_not_a_miss():
    found = headline(rows([10, 12, 14, 16, 40], [True, True, True, True, False]), Measure(start="2026-02-23T00:00:00+03:00"))
    assert found["p_by_day"]["estimate"] == pytest.approx(0.8)  # four of five are out by day 30
    assert found["p_window"]["estimate"] == pytest.approx(0.2)  # only day 16 is inside 15-30: the check, not the headline
    assert found["dates"]["p50"] == "2026-03-09" and "by day 14.0 (9 Mar 2026)" in found["sentence"]
    assert "P(out by day 30) 80%" in found["sentence"] and "as a check" in found["window_check"]


def test_a_base_that_moves_in_some_replications_says_of_how_many_its_figures_are():
    from sim.analysis.measure import measure_on

    days = [10.0, 12.0, 14.0, 40.0] + [np.nan] * 12  # the base moves in 4 of the 16 replications
    table = pd.DataFrame({"base.kj.days_to_base_empty": days, "base.kj.finished": [True, True, True, False] + [np.nan] * 12})
    found = headline(table, measure_on("days", (15, 30), None, "base.kj.days_to_base_empty", "Kharab al-Jir empty"))
    assert found["replications"] == 4 and found["all_replications"] == 16
    assert "Kharab al-Jir is empty by day 13.0 in half of the 4 replications in which it moves (4 of the 16, 25%)" in found["sentence"]
    assert "P(Kharab al-Jir out by day 30) 75%" in found["sentence"] and found["sentence"].endswith(" of those 4.")
    from sim import cli as command_line

    with command_line.console.capture() as shown:
        command_line._print_sure({"headline": found})
    said = " ".join(shown.get().split())
    assert said.startswith("P(Kharab al-Jir out by day 30): 75.0%") and "of the 4 replications in which it moves (4 of the 16)" in said, said
    everywhere = headline(rows([10, 12, 14, 16]), Measure())
    assert "in half the replications" in everywhere["sentence"] and "of those" not in everywhere["sentence"]


def test_a_replication_in_which_the_base_does_not_move_is_in_no_chance_not_a_miss():
    # what the table holds: a base that does not move reads days NaN and finished False (never NaN); by hand, of the
    # 4 replications in which it moves: out by day 30 in 2 (10 and 25 days; 40 is late; the 4th was cut off at the
    # horizon, 60, unfinished), inside 15-30 in 1 (25), mean days (10 + 25 + 40 + 60) / 4 = 33.75
    from sim.analysis.measure import measure_on

    table = pd.DataFrame(
        {
            "base.ls.days_to_base_empty": [10.0, np.nan, 25.0, np.nan, 40.0, 60.0, np.nan],
            "base.ls.finished": [True, False, True, False, True, False, False],
        }
    )
    by_day = measure_on("out-by-day", (15, 30), None, "base.ls.days_to_base_empty", "Life Stone empty")
    closed = by_day.closed(table)
    assert np.isnan(closed[[1, 3, 6]]).all() and closed[5] == np.inf and list(closed[[0, 2, 4]]) == [10, 25, 40]
    np.testing.assert_array_equal(by_day.out_by(table), [1, np.nan, 1, np.nan, 0, 0, np.nan])
    np.testing.assert_array_equal(by_day.in_window(table), [0, np.nan, 1, np.nan, 0, 0, np.nan])
    np.testing.assert_array_equal(by_day.values(table), by_day.out_by(table))
    assert np.nanmean(by_day.out_by(table)) == 0.5 and np.nanmean(by_day.in_window(table)) == 0.25
    assert np.nanmean(by_day.days(table)) == 33.75
    from sim.analysis.measure import moving_words

    assert moving_words(by_day, 4, 7) == "Life Stone has to move in 4 of the 7 replications (57%); the figures are of those 4."
    assert moving_words(by_day, 7, 7) == "" and moving_words(Measure(), 7, 7) == ""
    none = "Life Stone has to move in none of the 7 replications: no figure of it is known (—); raise the replications, or leave out --base."
    assert moving_words(by_day, 0, 7) == none
    said = headline(table, by_day)  # run's figures, which every study's must equal
    assert said["replications"] == 4 and said["p_by_day"]["estimate"] == 0.5 and said["p_window"]["estimate"] == 0.25
    # the per-point table (tornado, Morris, Sobol', plan) counts the same 4; a point where it never moves is NaN, not 0
    from sim.experiment.evaluate import per_point

    table["point"] = [0, 0, 0, 0, 0, 0, 1]
    points = per_point(table, by_day)
    assert points.loc[0, "replications"] == 4 and points.loc[0, "p_by_day"] == 0.5 and points.loc[0, "p_window"] == 0.25
    assert points.loc[0, "mean_days"] == 33.75
    assert points.loc[1, "replications"] == 0 and np.isnan(points.loc[1, ["mean_days", "p_by_day", "p_window"]].astype(float)).all()
    # discover's target: a replication in which it does not move is a case of neither "days > 30" nor "days <= 30"
    from dataclasses import replace

    from sim.analysis.discovery import parse_target

    late = replace(parse_target("days > 30"), column="base.ls.days_to_base_empty", finished="base.ls.finished")
    early = replace(parse_target("days <= 30"), column="base.ls.days_to_base_empty", finished="base.ls.finished")
    assert list(late.cases(table)) == [False, False, False, False, True, True, False]
    assert list(early.cases(table)) == [True, False, True, False, False, False, False]


# ---- sooner is better --------------------------------------------------------------------------


def test_more_of_a_resource_ranks_first_when_it_brings_the_date_in_though_it_leaves_the_window():
    # the baseline closes in 16-20 days (inside 15-30); one more escort team brings every replication in by 6 days,
    # to 10-14 (before the window): the old ranking read this as -100 points in P(15-30) and a harmful lever
    base = rows(np.linspace(16, 20, 40))
    table = marginal_table(base, {"escort teams +1": rows(np.linspace(10, 14, 40)), "Apaches +1": rows(np.linspace(16, 20, 40) - 0.1)}, Measure())
    assert list(table.index) == ["escort teams +1", "Apaches +1"]
    assert table.loc["escort teams +1", "days_saved"] == pytest.approx(6) and table.loc["escort teams +1", "p_window_change"] == pytest.approx(-1)
    assert table.loc["escort teams +1", "p_by_day_change"] == pytest.approx(0)  # out by day 30 either way
    sentence = marginal_sentence(table, Measure())
    assert sentence.startswith("escort teams +1 brings the date in most: base empty 6.0 days sooner")


def test_the_marginal_sentence_claims_no_direction_when_the_interval_includes_no_effect():
    # issue: "military trucks +5 brings the date in most ... (95% CI 10.3 sooner to 1.1 later)"
    rng = np.random.default_rng(3)
    base = rows(20 + rng.normal(0, 5, 20))
    noisy = rows(base["days_to_base_empty"] - 1 + rng.normal(0, 6, 20))  # about a day sooner, give or take six
    table = marginal_table(base, {"military trucks +5": noisy}, Measure())
    top = table.iloc[0]
    assert top["days_saved"] > 0 and top["days_saved_low"] < 0 < top["days_saved_high"]
    sentence = marginal_sentence(table, Measure())
    assert sentence.startswith("No clear effect: the largest estimate, military trucks +5's, is base empty ")
    assert "brings the date in most" not in sentence and "includes no change" in sentence
    chance = Measure("out-by-day", by_day=21)
    table = marginal_table(base, {"military trucks +5": noisy}, chance)
    top = table.iloc[0]
    if top["p_by_day_change_low"] <= 0:
        assert marginal_sentence(table, chance).startswith("No clear effect")
    later = marginal_table(base, {"military trucks -5": rows(base["days_to_base_empty"] + 3)}, Measure())
    assert marginal_sentence(later, Measure()).startswith("No change brings the date in: the best, military trucks -5, is base empty 3.0 days later")


def test_a_change_in_a_chance_never_has_an_interval_past_100_points():
    # five paired replications, four that move into the window: a t interval on the differences reaches +135 points
    low, high = np.array([0, 0, 0, 0, 0.0]), np.array([1, 1, 1, 1, 0.0])
    d = paired_proportion_difference(low, high)
    assert d["difference"] == pytest.approx(0.8) and -1 <= d["ci_low"] < 0.8 < d["ci_high"] <= 1
    assert paired_proportion_difference(high, low)["ci_low"] >= -1
    levels = pd.DataFrame({"factor": ["", "x", "x"], "level": ["base", "low", "high"]})
    days = np.concatenate([np.full(5, 40.0), np.full(5, 40.0), [20, 20, 20, 20, 40]])
    table = pd.DataFrame({"point": np.repeat([0, 1, 2], 5), "replication": np.tile(range(5), 3), "days_to_base_empty": days})
    found = swing_intervals(levels, table, Measure()).loc["x"]
    for name in ("p_window", "p_by_day"):
        assert -1 <= found[f"{name}.swing_ci_low"] and found[f"{name}.swing_ci_high"] <= 1


def test_marginal_on_the_command_line_says_sooner_and_names_the_measure(tmp_path, baseline_path):
    out = tmp_path / "m"
    result = cli("marginal", baseline_path, "-n", 4, "--jobs", 1, "--out", out, "--measure", "out-by-day", "--by-day", 25)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    # four replications: the best change's interval may still include no effect, and then the sentence claims none
    top = pd.read_csv(out / "marginal.csv", index_col=0).iloc[0]
    said = "raises P(out by day 25) most" if top["p_by_day_change_low"] > 0 else "No clear effect: the largest estimate"
    assert "P(out by day 25)" in text and said in text
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["measure"]["measure"] == "out-by-day" and manifest["measure"]["by_day"] == 25
    table = pd.read_csv(out / "marginal.csv", index_col=0)
    assert table["p_by_day_change"].is_monotonic_decreasing  # ranked by the chosen measure, best first


def test_a_sweep_ranks_the_faster_design_first_and_names_its_measure(tmp_path, baseline_path):
    out = tmp_path / "s"
    result = cli("sweep", baseline_path, "--vary", "fleet.civilian.count=30,140", "-n", 6, "--jobs", 1, "--out", out)
    assert result.exit_code == 0, result.output
    points = pd.read_csv(out / "points.csv")
    fast, slow = points.loc[points["fleet.civilian.count"] == 140].iloc[0], points.loc[points["fleet.civilian.count"] == 30].iloc[0]
    assert fast["days_mean"] < slow["days_mean"] and "p_by_30" in points.columns
    text = " ".join(result.output.split())
    assert "by mean days to base empty, sooner first" in text
    table_rows = [line for line in result.output.splitlines() if line.startswith("│")]
    assert table_rows[0].split("│")[2].strip() == "140"  # the point with more trucks, which is sooner, is listed first


def test_the_tornado_centre_is_the_baseline_run_and_more_trucks_bring_the_date_in(tmp_path, baseline_path):
    factors = tmp_path / "f.toml"
    factors.write_text('[factors."fleet.civilian.count"]\nlow = 40\nhigh = 140\n')
    out, run_out = tmp_path / "t", tmp_path / "r"
    result = cli("sensitivity", baseline_path, "--factors", factors, "-n", 6, "--jobs", 1, "--out", out)
    assert result.exit_code == 0, result.output
    assert "baseline run" in " ".join(result.output.split())
    ran = cli("run", "--no-figures", baseline_path, "-n", 6, "--jobs", 1, "--out", run_out)
    assert ran.exit_code == 0, ran.output
    tornado = pd.read_csv(out / "tornado.csv", index_col=0)
    summary = json.loads((run_out / "summary.json").read_text())
    assert tornado.loc["fleet.civilian.count", "mean_days.base"] == pytest.approx(summary["days_to_base_empty"]["mean"])
    assert tornado.loc["fleet.civilian.count", "mean_days.swing"] < 0  # more trucks: sooner
    # the console gives the centre every swing is measured from: the run's own figures (a fresh user found it nowhere)
    mean = summary["days_to_base_empty"]["mean"]
    assert f"Centre (the baseline run, every input drawn): mean days to base empty {mean:.1f}, P(out by day 30)" in " ".join(result.output.split())
    for name in ("p_window", "p_by_day"):
        assert tornado[f"{name}.swing_ci_low"].min() >= -1 and tornado[f"{name}.swing_ci_high"].max() <= 1


# ---- every study names its measure ---------------------------------------------------------------


def test_run_leads_with_the_date_and_the_chance_by_the_day_asked(tmp_path, baseline_path):
    out = tmp_path / "r"
    result = cli("run", "--no-figures", baseline_path, "-n", 6, "--jobs", 1, "--out", out, "--measure", "out-by-day", "--by-day", 20)
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert text.index("P50 (date)") < text.index("P(out by day 20)") < text.index("as a check")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["headline"]["by_day"] == 20 and summary["verdict"] == summary["headline"]["sentence"]
    assert "15-30 days" in summary["window_check"] and summary["window_verdict"]


@pytest.mark.parametrize("command", ["run", "sweep", "compare", "sensitivity", "marginal", "evidence", "discover"])
def test_every_study_takes_a_measure_a_day_and_a_base(command):
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    text = result.output
    assert "--measure" in text and "--by-day" in text and "--base" in text and "out-by-day" in text


def test_plan_takes_no_measure_as_its_target_fixes_it_but_says_what_its_day_and_base_do():
    text = " ".join(runner.invoke(app, ["plan", "--help"], env={"COLUMNS": "200"}).output.split())
    assert "--measure" not in text and "replace the target's day" in text and "this base's" in text


def test_discover_defaults_to_out_by_the_day_of_its_measure(tmp_path, baseline_path):
    run_out, out = tmp_path / "r", tmp_path / "d"
    assert cli("run", "--no-figures", baseline_path, "-n", 30, "--jobs", 1, "--out", run_out).exit_code == 0
    result = cli("discover", run_out, "--out", out, "--by-day", 14)
    assert result.exit_code == 0, result.output
    found = json.loads((out / "discovery.json").read_text())
    assert found["target"] == "days <= 14" and found["measure"]["by_day"] == 14
    assert "the base empties by day 14" in found["sentence"].lower()


# ---- a theatre is measured whole ---------------------------------------------------------------


def test_a_theatre_is_measured_whole_by_default_and_any_base_on_request(tmp_path):
    path = two_bases_file(tmp_path)
    whole, one = tmp_path / "whole", tmp_path / "one"
    result = cli("run", "--no-figures", path, "-n", 4, "--jobs", 1, "--out", whole)
    assert result.exit_code == 0, result.output
    summary = json.loads((whole / "summary.json").read_text())
    assert summary["headline"]["measure"]["column"] == "theatre.days_to_last_out"
    assert summary["headline"]["days"]["p50"] == pytest.approx(summary["theatre"]["days_to_last_out"]["p50"])
    assert summary["verdict"].startswith("Everyone is out by day")
    assert "has to move" in " ".join(result.output.split()) and "left in" not in result.output
    result = cli("run", "--no-figures", path, "-n", 4, "--jobs", 1, "--out", one, "--base", "b")
    assert result.exit_code == 0, result.output
    summary = json.loads((one / "summary.json").read_text())
    assert summary["headline"]["measure"]["column"] == "base.b.days_to_base_empty" and summary["verdict"].startswith("A base is empty")
    bad = cli("run", "--no-figures", path, "-n", 4, "--jobs", 1, "--out", tmp_path / "bad", "--base", "nowhere")
    assert bad.exit_code == 2 and "its bases are a, b" in " ".join(bad.output.split())


def test_marginal_on_a_theatre_measures_the_last_out(tmp_path):
    out = tmp_path / "m"
    result = cli("marginal", two_bases_file(tmp_path), "-n", 3, "--jobs", 1, "--out", out)
    assert result.exit_code == 0, result.output
    assert json.loads((out / "manifest.json").read_text())["measure"]["column"] == "theatre.days_to_last_out"
    assert "days to the last out" in " ".join(result.output.split())


def test_a_base_that_moves_in_some_replications_reads_the_same_in_marginal_and_the_tornado_as_in_run(tmp_path):
    # a fresh user's finding: with --base life_stone (it moves in 8 of the 20 replications of seed 7), marginal's
    # "as it stands" said 10% (2 of the 20) and the tornado's centre 33% (2 of 6) where run says 25% of those 8 (67% of 3)
    from tests.conftest import ROOT

    theatre = ROOT / "scenarios" / "syria_2026_theatre.toml"
    measure = ("--seed", 7, "--base", "life_stone", "--measure", "out-by-day", "--jobs", 1)
    result = cli("run", "--no-figures", theatre, "-n", 20, *measure, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    said = json.loads((tmp_path / "run" / "summary.json").read_text())["headline"]
    assert said["replications"] < said["all_replications"] == 20  # it moves in only some: the case of the finding
    result = cli("marginal", theatre, "-n", 20, *measure, "--out", tmp_path / "marginal")
    assert result.exit_code == 0, result.output
    moves = said["replications"]
    assert f"Life Stone has to move in {moves} of the 20 replications of each change ({5 * moves}%); the figures are of those {moves}." in " ".join(
        result.output.split()
    )
    table = pd.read_csv(tmp_path / "marginal" / "marginal.csv", index_col=0)
    marginal_moves = moves
    assert (table["p_by_day_base"] == said["p_by_day"]["estimate"]).all() and (table["p_window_base"] == said["p_window"]["estimate"]).all()
    assert np.allclose(table["mean_days_base"], said["days"]["mean"]) and (table["replications"] == said["replications"]).all()
    # evidence on the same replications: its sample's chance is run's, said of the replications in which it moves
    result = cli("evidence", theatre, "--from", tmp_path / "run", "--tornado-replications", 1, *measure, "--out", tmp_path / "few")
    said_few = " ".join(result.output.split())
    assert result.exit_code == 3 and f"Life Stone has to move in only {said['replications']} of the 20 replications, too few to estimate" in said_few, said_few
    result = cli("run", "--no-figures", theatre, "-n", 60, *measure, "--out", tmp_path / "run60")
    assert result.exit_code == 0, result.output
    said = json.loads((tmp_path / "run60" / "summary.json").read_text())["headline"]
    result = cli("evidence", theatre, "--from", tmp_path / "run60", "--tornado-replications", 1, *measure, "--out", tmp_path / "evidence")
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "evidence" / "manifest.json").read_text())
    assert manifest["p_by_day"] == said["p_by_day"]["estimate"] and manifest["p_window"] == said["p_window"]["estimate"]
    assert manifest["moves"] == said["replications"] and manifest["mean_days"] == pytest.approx(said["days"]["mean"])
    moves = said["replications"]
    assert f"Life Stone has to move in {moves} of them ({100 * moves / 60:.0f}%), and these figures are of those {moves}:" in " ".join(result.output.split())
    # the tornado's centre is the run of the same seed: its chances are run's, and so are both ends' denominators
    study = tmp_path / "study.toml"
    study.write_text('[factors."convoys.max_per_day"]\nlow = 1\nhigh = 3\n')
    result = cli("run", "--no-figures", theatre, "-n", 6, *measure, "--out", tmp_path / "run6")
    assert result.exit_code == 0, result.output
    said = json.loads((tmp_path / "run6" / "summary.json").read_text())["headline"]
    result = cli("sensitivity", theatre, "--factors", study, "-n", 6, *measure, "--out", tmp_path / "tornado")
    assert result.exit_code == 0, result.output
    moves = said["replications"]
    assert f"Life Stone has to move in {moves} of the 6 replications of the centre" in " ".join(result.output.split()), result.output
    tornado = pd.read_csv(tmp_path / "tornado" / "tornado.csv", index_col=0).loc["convoys.max_per_day"]
    assert tornado["p_by_day.base"] == said["p_by_day"]["estimate"] and tornado["p_window.base"] == said["p_window"]["estimate"]
    points = pd.read_csv(tmp_path / "tornado" / "points.csv")
    assert (points["replications"] == said["replications"]).all()  # the centre and both ends: of those in which it moves
    # the HTML report says it too, of the tornado and of marginal
    for folder, each in (("tornado", f"{moves} of the 6 replications of the centre"), ("marginal", f"{marginal_moves} of the 20 replications of each change")):
        assert cli("report", tmp_path / folder).exit_code == 0
        assert f"Life Stone has to move in {each}" in (tmp_path / folder / "report.html").read_text()
    for page in ("report.md", "report.html"):  # its columns name the base, not "base empty" nor the whole theatre's chance
        text = (tmp_path / "marginal" / page).read_text()
        assert "mean days to Life Stone empty as it stands" in text and "P(Life Stone out by day 30) as it stands (%)" in text, page


def test_morris_on_a_base_that_never_moves_at_a_point_says_so_rather_than_reading_0(tmp_path):
    from tests.conftest import ROOT

    theatre = ROOT / "scenarios" / "syria_2026_theatre.toml"
    never = ("--set", "sites.life_stone.leaves=0", "--base", "life_stone", "--measure", "out-by-day", "--jobs", 1)
    result = cli("sensitivity", theatre, "--method", "morris", "--trajectories", 2, "-n", 1, *never, "--out", tmp_path / "m")
    said = " ".join(result.output.split())
    assert result.exit_code == 3, result.output
    assert "Life Stone does not have to move in any of the 1 replication of 166 of the 166 design points" in said, said
    assert "P(Life Stone out by day 30) has no value there and Morris cannot rank the inputs" in said and "Traceback" not in said


def test_a_base_on_a_one_base_file_is_refused(tmp_path, baseline_path):
    result = cli("run", baseline_path, "-n", 2, "--jobs", 1, "--out", tmp_path / "x", "--base", "qasrak")
    assert result.exit_code == 2 and "the scenario has one base" in " ".join(result.output.split())


# ---- compare answers in one sentence --------------------------------------------------------------


def test_compare_says_its_answer_in_one_sentence():
    a = np.array([15.0, 16, 17, 24, 40])
    b = a + 7.8
    closed_a, closed_b = np.where(a > 35, np.inf, a), np.where(b > 35, np.inf, b)
    found = measured_comparison(a, b, closed_a, closed_b, Measure())
    assert found["sentence"].startswith("B empties the base 7.8 days later (95% CI 7.8-7.8) than A (mean 30.2 against 22.4 days)")
    assert "P(out by day 30) is 60% with B against 80% with A (-20.0 points" in found["sentence"]
    whole = Measure(column="theatre.days_to_last_out", subject="the last out")
    assert comparison_sentence(found["days"], found["p_by_day"], found["p_window"], whole).startswith("With B everyone is out 7.8 days later")
    chance = comparison_sentence(found["days"], found["p_by_day"], found["p_window"], Measure("out-by-day"))
    assert chance.startswith("P(out by day 30) is 60% with B") and "B empties the base 7.8 days later" in chance


def test_compare_prints_the_sentence(tmp_path, baseline_path):
    result = cli("compare", baseline_path, "--set", "fleet.civilian.count=40", "-n", 4, "--jobs", 1, "--out", tmp_path / "c")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "B empties the base" in text and "days later" in text and "P(out by day 30) is" in text
    comparison = json.loads((tmp_path / "c" / "comparison.json").read_text())
    assert comparison["sentence"] in text and comparison["measured"]["measure"]["measure"] == "days"


# ---- --help fits 80 columns ----------------------------------------------------------------------


def _options_of(command) -> list[str]:
    return [name for param in command.params for name in getattr(param, "opts", []) if name.startswith("--")]


def test_every_help_fits_80_columns_without_cutting_an_option_name():
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "80", "TERMINAL_WIDTH": "80"}, terminal_width=80)
        assert result.exit_code == 0, (name, result.output)
        lines = result.output.splitlines()
        assert max(len(line) for line in lines) <= 80, (name, max(lines, key=len))
        flat = " ".join(result.output.replace("│", " ").split())
        for option in _options_of(command):
            assert option in flat.split() or f"{option}," in flat or option in flat.replace("…", "#").split(), (name, option)
            assert f"{option[:-2]}…" not in flat, (name, option)


# ---- one options object ----------------------------------------------------------------------------


def test_the_shared_options_are_one_object_and_the_old_keywords_still_work():
    import inspect

    from sim import api

    given = api.StudyOptions(seed=3, out="x", measure="out-by-day")
    assert api.study_options(given, {"seed": 7, "by_day": 20}) == api.StudyOptions(seed=7, out="x", measure="out-by-day", by_day=20)
    assert api.study_options(None, {}) == api.StudyOptions()
    studies = (api.run, api.sweep, api.compare, api.sensitivity, api.calibrate, api.marginal, api.evidence, api.discover, api.nowcast, api.backtest, api.plan)
    for study in studies:  # every study, sweep and plan included
        own = set(inspect.signature(study).parameters)
        assert "options" in own and not own & {"seed", "overrides", "out", "force", "resume", "jobs", "executor", "progress", "measure"}, study.__name__


SHARED_FLAGS = {"--seed", "--set", "--jobs", "--out", "--force", "--resume", "--precise", "--scheduler", "--dask-local", "--measure", "--by-day", "--base"}


def test_a_shared_option_is_declared_once_so_every_command_says_the_same_of_it():
    """Each command's --seed, --set, --out, --force, ... is one of the declarations of sim.commands._options (a
    study file's seed, B's --set, a plan's target day are declared there too), never a copy that could drift."""
    import typing

    import typer.main

    from sim.commands import _options

    declared = {
        meta.help
        for value in vars(_options).values()
        if typing.get_origin(value) is typing.Annotated
        for meta in value.__metadata__
        if getattr(meta, "help", None)
    }
    assert len(declared) >= 15
    group = typer.main.get_command(app)
    seen = 0
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        if name == "bench":  # its --jobs are the processes of its parallel measurements, not a study's workers
            continue
        for param in command.params:
            flags = set(getattr(param, "opts", [])) & SHARED_FLAGS
            if not flags:
                continue
            seen += 1
            out = flags == {"--out"} and param.help.startswith("results folder (default: results/")  # out_option(folder)
            assert param.help in declared or out, (name, flags, param.help)
    assert seen >= 80
    for name in group.commands:  # type: ignore[attr-defined]
        text = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
        assert "--install-completion" not in text, name  # the TLS options come without their holder's completion options


def test_every_set_option_shows_path_equals_value_not_a_python_type():
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        text = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"}).output
        assert "list[str]" not in text, name
        if any("--set" in getattr(param, "opts", []) for param in command.params):
            assert "PATH=VALUE" in text, name


def test_the_window_check_names_the_measure_it_checks_so_a_theatre_does_not_read_as_its_main_base():
    rows = pd.DataFrame({"theatre.days_to_last_out": [10.0, 20.0, 40.0, 25.0], "theatre.finished": [True] * 4})
    theatre = Measure(column="theatre.days_to_last_out", finished="theatre.finished", subject="the last out")
    check = headline(rows, theatre)["window_check"]
    assert check.startswith("The seed's 15-30 days, as a check on the days to the last out (the whole withdrawal, not one base): inside in 50%")
    assert "sooner in 25%, later in 25%" in check
    base = rows.rename(columns={"theatre.days_to_last_out": "days_to_base_empty"})
    assert "as a check on the days to base empty: inside" in headline(base, Measure())["window_check"]


def test_a_date_is_the_date_of_the_figure_printed_beside_it():
    import datetime as dt

    from sim.analysis.measure import calendar_date

    # from a start at 18:00, 16.25 days prints as 16.2, and 16.2 days on is 03-17 (22:48), not 03-18 (00:00)
    assert f"{16.25:.1f}" == "16.2" and calendar_date("2026-03-01T18:00", 16.25) == dt.date(2026, 3, 17)
    assert calendar_date("2026-03-01T18:00", 16.26) == dt.date(2026, 3, 18)


def test_a_figure_that_rounds_to_zero_never_reads_minus_zero_and_a_comparison_keeps_one_precision():
    from sim.analysis.bounds import _per_vehicle
    from sim.analysis.paired import difference_words as _diff
    from sim.names import days, points

    assert (days(-0.01), days(-0.06), points(-0.0001), points(0.033)) == ("0.0", "-0.1", "+0.0", "+3.3")
    assert _diff({"difference": 0.033, "ci_low": 0.0019, "ci_high": 0.0647}, 100, 1, " pts") == "+3.3 pts (+0.2 to +6.5)"
    assert _diff({"difference": -1.234, "ci_low": -2.0001, "ci_high": -0.001}, 1, 2) == "-1.23 (-2.00 to +0.00)"
    assert (_per_vehicle(0.806), _per_vehicle(2.5)) == ("48 s", "2.5 min")


def test_the_marginal_table_at_80_columns_wraps_its_headers_never_cuts_them(monkeypatch):
    from rich.console import Console

    from sim.commands import _console
    from sim.commands.analysis import _print_table

    said = io.StringIO()
    monkeypatch.setattr(_console, "console", Console(file=said, width=80, force_terminal=False))
    table = pd.DataFrame(
        {
            "change": ["escort teams +1", "second crossing open"],
            "days_saved": [0.84, -0.01],
            "days_saved_low": [-0.03, -0.2],
            "days_saved_high": [1.71, 0.1],
            "p_by_day_change": [0.0, 0.0],
            "p_window_change": [-0.1, 0.0],
        }
    )
    shown = ["days_saved", "days_saved_low", "days_saved_high", "p_by_day_change", "p_window_change"]
    _print_table("What one more of each buys", table, "marginal", shown, (15, 30), rows=2, measure=Measure())
    text = said.getvalue()
    assert "…" not in text and "-0.0 " not in text and max(len(line) for line in text.splitlines()) <= 80, text


def test_an_interval_end_that_rounds_to_zero_is_not_written_as_zero():
    # issue: "3.3 days sooner (95% CI 0.0-6.5)" read as an interval that reaches no change
    from sim.analysis.measure import days_change_words

    assert days_change_words(-3.3, -6.5, -0.04) == "3.3 days sooner (95% CI 0.04-6.5)"
    assert days_change_words(-3.3, -6.5, -0.4) == "3.3 days sooner (95% CI 0.4-6.5)"
    assert days_change_words(-3.3, -6.5, 0.4) == "3.3 days sooner (95% CI 6.5 sooner to 0.4 later)"


def test_a_morris_study_of_a_chance_says_percentage_points_in_its_report_not_days(tmp_path, baseline_path):
    # a fresh user found report.md and report.html reading a Morris study of P(out by day 30) as "mean days to base
    # empty, μ* (days)": 0.75 days where the console said 75.0 percentage points
    import sim
    from sim.report.analysis_section import summarise

    done = sim.sensitivity(baseline_path, "morris", trajectories=2, replications=3, measure="out-by-day", by_day=25, jobs=1, out=tmp_path / "m")
    text = (done.folder / "report.md").read_text()
    assert "mean absolute effect on P(out by day 25), μ* (percentage points)" in text and "μ* (days)" not in text
    manifest = json.loads((done.folder / "manifest.json").read_text())
    finding = next(line for line in summarise(done.folder, "sensitivity-morris", manifest).findings if "largest effect" in line)
    top = done.tables["morris"].sort_values("mu_star", ascending=False).iloc[0]
    assert f"has the largest effect on P(out by day 25): mean absolute effect {100 * top['mu_star']:.1f} percentage points (μ*)" in finding
    assert " days" not in finding


def test_a_day_past_the_horizon_is_refused_not_read_as_out(tmp_path, baseline_path):
    # a fresh user's --by-day 200 on a 150-day horizon printed "P(out by day 200) 100.0%": replications cut off at the
    # horizon count there, so they read as out by any later day
    result = CliRunner().invoke(app, ["run", str(baseline_path), "-n", "3", "--by-day", "200", "--out", str(tmp_path / "r")])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "--by-day 200 is past the scenario's horizon (150 days" in said and "Traceback" not in said
    assert not (tmp_path / "r").exists()
    assert CliRunner().invoke(app, ["run", str(baseline_path), "-n", "3", "--by-day", "150", "--no-figures", "--out", str(tmp_path / "ok")]).exit_code == 0


def test_calibrate_on_a_theatre_says_it_fits_the_main_base(tmp_path):
    # a fresh user read "51 of 100 draws ... closed in 15-30 days" under the whole withdrawal's title: it was Qasrak's
    import sim
    from sim.report.analysis_section import summarise
    from tests.conftest import ROOT

    done = sim.calibrate(ROOT / "scenarios" / "syria_2026_theatre.toml", (15, 30), replications=20, jobs=1, out=tmp_path / "c")
    assert "draws from the priors left Qasrak (the main base) empty in 15-30 days" in done.lines[0]
    manifest = json.loads((done.folder / "manifest.json").read_text())
    assert manifest["calibrated_base"] == "Qasrak (the main base)"
    assert "left Qasrak (the main base) empty in 15-30 days" in summarise(done.folder, "calibrate", manifest).findings[0]


def test_a_plan_on_a_base_that_moves_in_only_some_replications_says_what_its_chance_is_of(tmp_path):
    # plan counts a replication in which the base stays as out from day 0 (its sequential check needs every replication
    # of a batch): not run's "of those in which it moves", so it says so rather than differ silently
    from tests.conftest import ROOT
    from tests.test_plan import THEATRE_PLAN

    options = tmp_path / "plan.toml"
    options.write_text(THEATRE_PLAN.replace("sites.rmelan.loading.teams", "sites.life_stone.loading.teams"))
    theatre = ROOT / "scenarios" / "syria_2026_theatre.toml"
    result = cli("plan", theatre, "--options", options, "--base", "life_stone", "--jobs", 1, "--out", tmp_path / "p")
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Life Stone has to move in only about 50% of replications (sites.life_stone.leaves = 0.5); the plan counts one" in said, said
    assert "not, as run's, of those in which it moves" in said
    assert "Life Stone has to move" in json.loads((tmp_path / "p" / "plan.json").read_text())["warnings"][0]
    other = cli("plan", theatre, "--options", options, "--base", "rmelan", "--jobs", 1, "--out", tmp_path / "r")
    assert other.exit_code == 0 and "has to move in only" not in other.output  # a base that always moves: no such line
