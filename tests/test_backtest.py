"""Backtests: each past withdrawal's prediction against its reported range, from the shipped cases."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.analysis.backtest import backtest
from sim.cli import app
from sim.experiment.backtest import load_cases, measure
from sim.replication import prepare

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "scenarios" / "history"
runner = CliRunner()


def test_a_prediction_overlapping_the_reported_range_is_inside():
    result = backtest("c", "a case", "base empty", "days", (13, 17), np.arange(1, 21, dtype=float))  # 1..20 days
    assert (result.p10, result.p50, result.p90) == pytest.approx((2.9, 10.5, 18.1))
    assert result.inside and result.verdict == "inside"
    assert result.share_in_reported == pytest.approx(5 / 20)


def test_a_prediction_beyond_the_range_says_which_way_and_cut_off_replications_count_as_late():
    late = backtest("c", "a case", "base empty", "days", (7, 10), np.array([12.0, 14.0, 16.0, math.inf]))
    early = backtest("c", "a case", "base empty", "days", (13, 17), np.array([6.0, 8.0, 9.0, 12.0]))
    assert (late.inside, late.verdict, late.p90) == (False, "model too late", math.inf)
    assert (early.inside, early.verdict) == (False, "model too early")


def test_every_shipped_case_has_its_history_and_a_source():
    cases = load_cases([HISTORY])
    assert {c.name for c in cases} == {"al_tanf_2026", "al_shaddadi_2026", "iraq_last_convoy_2011"}
    for case in cases:
        assert case.history.reported[0] <= case.history.reported[1] and len(case.history.source) > 20


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
    assert {"case", "measure", "reported_low", "reported_high", "p10", "p50", "p90", "inside"} <= set(table.columns)
    assert len(table) == 3 and (out / "backtest.png").stat().st_size > 0
    assert "reported ranges overlap the model's 80% interval" in result.output


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
