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
from sim.experiment.compare import aligned_preparations, run_compare
from sim.experiment.executors import InProcess, LocalPool
from sim.replication import simulate_one
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
    pa, pb = aligned_preparations(a, b)
    values_a, _, _ = simulate_one(pa, 5, 0)
    values_b, _, _ = simulate_one(pb, 5, 0)
    assert values_b["fleet.civilian.count"] == 30.0 and values_a["fleet.civilian.count"] != 30.0
    assert {k: v for k, v in values_a.items() if k != "fleet.civilian.count"} == {k: v for k, v in values_b.items() if k != "fleet.civilian.count"}


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
