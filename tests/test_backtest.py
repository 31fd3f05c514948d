"""Backtests: each past withdrawal's prediction against its reported range, from the shipped cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.analysis.backtest import backtest, crps_ensemble, interval_score, mean_distance_to_range, overall_skill, skill
from sim.analysis.paper_forecast import PaperBase, drive_hours, paper_forecast
from sim.cli import app
from sim.experiment.backtest import load_cases, measure, paper_bases, paper_forecast_of
from sim.replication import prepare, simulate_one

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "scenarios" / "history"
runner = CliRunner()


def test_the_crps_of_an_ensemble_against_a_sure_outcome_is_its_mean_error_less_half_its_spread():
    # E|X - 2| = 2/3, E|X - X'| = 2/9 x (-2 x 1 + 0 x 2 + 2 x 3) = 8/9: CRPS = 2/3 - 4/9 = 2/9
    assert crps_ensemble(np.array([1.0, 2.0, 3.0]), (2.0, 2.0)) == pytest.approx(2 / 9)


def test_a_point_forecast_against_a_reported_range_scores_its_mean_distance_to_it():
    # the range 1-3 read as uniform: from 0, a mean distance of 2; from its middle, (1 + 1) / (2 x 2) = 0.5
    assert crps_ensemble(np.array([0.0]), (1.0, 3.0)) == pytest.approx(2.0)
    assert crps_ensemble(np.array([2.0]), (1.0, 3.0)) == pytest.approx(0.5)
    assert mean_distance_to_range(np.array([5.0]), (1.0, 3.0))[0] == pytest.approx(3.0)


def test_the_interval_score_is_the_width_plus_ten_times_the_miss_of_an_80_percent_interval():
    assert interval_score(4.0, 6.0, (10.0, 10.0)) == pytest.approx(2.0 + 10 * 4.0)
    assert interval_score(4.0, 6.0, (5.0, 5.0)) == pytest.approx(2.0)
    # the outcome uniform over 5-9: above 6 by (9 - 6)^2 / (2 x 4) = 1.125 on average
    assert interval_score(4.0, 6.0, (5.0, 9.0)) == pytest.approx(2.0 + 10 * 1.125)


def test_the_model_wins_a_case_when_its_crps_beats_the_paper_forecasts():
    near = backtest("c", "a case", "base empty", "days", (13, 17), np.arange(10, 21, dtype=float), paper=5.0)
    # the paper forecast, 5 days, is on average 10 days short of 13-17
    assert near.crps_paper == pytest.approx(10.0)
    assert near.skill == pytest.approx(1 - near.crps_model / 10.0) and near.skill > 0
    assert near.model_wins and near.verdict.startswith("model wins") and near.where == "median inside"
    far = backtest("c", "a case", "base empty", "days", (3, 4), np.arange(20, 31, dtype=float), paper=3.5)
    assert not far.model_wins and far.verdict.startswith("paper forecast wins") and far.where == "median late"
    assert far.share_in_reported == 0.0


def test_replications_cut_off_at_the_horizon_count_there_in_the_scores_and_as_late_in_the_percentiles():
    values = np.array([12.0, 14.0, 16.0, math.inf])
    result = backtest("c", "a case", "base empty", "days", (7, 10), values, paper=8.0, cut_off_at=60.0)
    assert result.p90 == math.inf and result.cut_off == 1
    assert result.crps_model == pytest.approx(crps_ensemble(np.array([12.0, 14.0, 16.0, 60.0]), (7, 10)))
    assert math.isinf(backtest("c", "a case", "base empty", "days", (7, 10), values, paper=8.0).crps_model)


def test_the_overall_skill_is_one_less_the_geometric_mean_of_the_score_ratios():
    a = backtest("a", "a", "base empty", "days", (2, 2), np.array([3.0]), paper=6.0)  # ratio 1/4
    b = backtest("b", "b", "base empty", "days", (2, 2), np.array([6.0]), paper=3.0)  # ratio 4
    assert overall_skill([a, b]) == pytest.approx(0.0)
    assert overall_skill([a]) == pytest.approx(0.75)
    assert skill(0.0, 0.0) == 0.0


def test_the_paper_forecast_is_loads_over_trucks_times_trips_a_day_or_the_convoys_a_day_limit():
    # 100 loads, 10 trucks, a round trip of 2 x 10 + 4 = 24 hours: 10 loads a day, 10 days;
    # 1 convoy a day of 20 vehicles for 100 loads and 20 vehicles: 6 days; the slower says 10
    base = PaperBase("b", loads=100, vehicles=20, trucks=10, drive_out_hours=10, to_border_hours=6, turnaround_hours=4, convoys_per_day=1, convoy_size=20)
    assert paper_forecast([base], "base empty").value == pytest.approx(10.0)
    assert paper_forecast([base], "force closure").value == pytest.approx(10.0 + 10 / 24)
    assert paper_forecast([base], "first convoy across").value == pytest.approx(6.0)
    few_convoys = PaperBase("b", 100, 20, 10, 10, 6, 4, convoys_per_day=0.5, convoy_size=20)
    assert paper_forecast([few_convoys], "base empty").value == pytest.approx(12.0)
    # a theatre: 200 loads on the same 10 trucks (20 days), the second base starting on day 3
    later = PaperBase("c", 100, 20, 10, 10, 6, 4, 1, 20, start_day=3.0)
    assert paper_forecast([base, later], "base empty").value == pytest.approx(20.0)
    assert drive_hours(264, 0, 66, 24, 15, 2) == pytest.approx(4.0 + 0.5)


def test_the_paper_forecast_of_the_last_convoy_out_of_iraq_is_its_march_table_at_the_median_road():
    (case,) = load_cases([HISTORY / "iraq_last_convoy_2011.toml"])
    (base,) = paper_bases(case.loaded.scenario)
    assert (base.loads, base.vehicles, base.trucks) == (0, 110, 0)
    # 255 km (the median of 160-350) at 66 km/h with a 15-minute halt every 2 hours, then 110 vehicles at 0.075 min
    assert paper_forecast_of(case.loaded.scenario, "first convoy across").value == pytest.approx(255 / 66 * (1 + 0.25 / 2) + 110 * 0.075 / 60)


def test_every_shipped_case_has_its_history_and_a_source():
    cases = load_cases([HISTORY])
    assert {c.name for c in cases} == {"al_tanf_2026", "al_shaddadi_2026", "iraq_last_convoy_2011", "lafarge_2019", "northeast_syria_2019"}
    for case in cases:
        assert case.history.reported[0] <= case.history.reported[1] and len(case.history.source) > 20


def test_the_multi_base_case_is_a_theatre_whose_paper_forecast_shares_the_pools_trucks():
    (case,) = load_cases([HISTORY / "northeast_syria_2019.toml"])
    assert case.loaded.scenario.is_theatre and len(case.loaded.scenario.bases) == 5
    bases = paper_bases(case.loaded.scenario)
    assert {b.name for b in bases} == {"Sarrin", "Lafarge cement factory", "Manbij outposts", "Raqqa and Tabqa", "Tal Baydar (al-Qulayb strip)"}
    assert len({b.trucks for b in bases}) == 1  # every base sees the shared pools


def test_a_theatre_case_is_measured_when_the_last_of_its_bases_is_empty():
    (case,) = load_cases([HISTORY / "northeast_syria_2019.toml"])
    prepared = prepare(case.loaded.scenario)
    _, outcome, _ = simulate_one(prepared, 5, 0)
    days = [b.days_to_base_empty for name, b in outcome.theatre.bases.items() if outcome.theatre.leaves[name]]
    expected = max(days) if outcome.theatre.finished else math.inf
    assert measure(prepared, "base empty", 5, 0) == expected
    assert expected >= outcome.days_to_base_empty or math.isinf(expected)


def test_the_last_convoy_out_of_iraq_takes_its_road_time_and_its_crossing_by_hand():
    (case,) = load_cases([HISTORY / "iraq_last_convoy_2011.toml"])
    prepared = prepare(case.loaded.scenario, fixed={"route.syria.km": 264.0, "crossing.main.minutes_per_vehicle": 0.06})
    # 264 km at 66 km/h = 4 h moving, 2 halts of 15 min; 110 vehicles at 0.06 min each clear in 6.6 min
    assert measure(prepared, "first convoy across", 1, 0) == pytest.approx(4.0 + 0.5 + 110 * 0.06 / 60)


def test_backtest_command_writes_its_table_and_figure(tmp_path):
    out = tmp_path / "bt"
    result = runner.invoke(app, ["backtest", "-n", "4", "--jobs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "backtest.csv")
    assert {"case", "measure", "reported_low", "reported_high", "p10", "p50", "p90", "paper", "crps_model", "crps_paper", "skill"} <= set(table.columns)
    assert len(table) == 5 and (out / "backtest.png").stat().st_size > 0
    wins = int(table["model_wins"].sum())
    assert f"The model beats the paper forecast in {wins} of 5 cases and loses {5 - wins}" in " ".join(result.output.split())
    assert "the paper forecast's" in result.output and "skill" in result.output


def test_a_case_without_history_is_refused_with_its_file(tmp_path):
    result = runner.invoke(app, ["backtest", str(ROOT / "scenarios" / "qasrak_baseline.toml"), "--out", str(tmp_path / "x")])
    assert result.exit_code == 3
    assert "qasrak_baseline.toml" in result.output and "[history]" in result.output


def test_report_reads_a_backtest_folder_in_words(tmp_path):
    out = tmp_path / "bt"
    assert runner.invoke(app, ["backtest", "-n", "4", "--jobs", "1", "--out", str(out)]).exit_code == 0
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "Backtests against past withdrawals" in html and "reported 5-5.5 hours (first convoy across)" in html
    assert "beats the paper forecast in" in html and "typical error (CRPS)" in html


def test_the_default_cases_are_found_from_any_folder(tmp_path, monkeypatch):
    # a fresh user ran `evacsim backtest` outside the checkout: "scenarios/history: no such file", exit 3
    from sim.experiment.backtest import HISTORY_DIR, default_cases

    monkeypatch.chdir(tmp_path)
    found = default_cases()
    assert found.is_absolute() and found.is_dir() and found.parts[-2:] == HISTORY_DIR.parts
    assert len(list(found.glob("*.toml"))) >= 5
    (tmp_path / "scenarios" / "history").mkdir(parents=True)  # the folder it runs in has its own: that one is read
    assert default_cases() == HISTORY_DIR
