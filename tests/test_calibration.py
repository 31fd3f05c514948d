"""ABC rejection recovers a known posterior on synthetic data, and on a synthetic scenario."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis.calibration import calibrate, informative


def test_rejection_recovers_the_inputs_that_produce_the_window():
    # days = 900 / trucks with trucks ~ U(20, 80): 15-30 days exactly when trucks is in [30, 60];
    # the posterior is U(30, 60), so its P5 and P95 are 31.5 and 58.5; the noise input stays as it was.
    rng = np.random.default_rng(11)
    n = 20000
    inputs = pd.DataFrame({"fleet.civilian.count": rng.uniform(20, 80, n), "weather.dust_day_probability": rng.uniform(0, 1, n)})
    days = 900 / inputs["fleet.civilian.count"].to_numpy()
    found = calibrate(inputs, days, (15, 30))
    row = found.table.loc["fleet.civilian.count"]
    assert row["post_p5"] == pytest.approx(31.5, abs=0.7)
    assert row["post_p95"] == pytest.approx(58.5, abs=0.7)
    assert found.acceptance.estimate == pytest.approx(0.5, abs=0.02)
    assert list(informative(found.table).index) == ["fleet.civilian.count"]
    assert found.table.loc["weather.dust_day_probability", "width_ratio"] == pytest.approx(1.0, abs=0.05)
    assert not found.warnings


def test_too_few_accepted_is_warned_about():
    rng = np.random.default_rng(1)
    inputs = pd.DataFrame({"a": rng.uniform(0, 1, 500)})
    found = calibrate(inputs, 100 + inputs["a"].to_numpy(), (15, 30))
    assert found.acceptance.estimate == 0
    assert "too few" in found.warnings[0]


def test_calibration_on_a_synthetic_scenario_finds_the_fleet_that_fits(baseline_path):
    """A scenario where only the heavy-transporter fleet is uncertain (1-15 HETs) and heavy cargo binds (no lowboys): the
    replications that close in the faster half must come from the larger fleets, and the slower half from the smaller."""
    from sim.analysis.calibration import calibrate
    from sim.analysis.discovery import input_columns
    from sim.experiment.analyses import run_calibration
    from sim.scenario.loading import load_scenario

    overrides = [*_constants_except(baseline_path, "fleet.het.count", 'fleet.het.count={dist="uniform", low=1, high=15}'), "fleet.lowboy.count=0"]
    s = load_scenario(baseline_path, overrides).scenario
    study = run_calibration(s, (0, 1000), seed=3, replications=120)
    inputs = input_columns(study.rows)
    assert list(inputs.columns) == ["fleet.het.count"]
    days = study.rows["days_to_base_empty"].to_numpy()
    middle = float(np.median(days))
    fast = calibrate(inputs, days, (0, middle)).table.loc["fleet.het.count"]
    slow = calibrate(inputs, days, (middle, 1000)).table.loc["fleet.het.count"]
    assert fast["post_p50"] > fast["prior_p50"] + 2
    assert slow["post_p50"] < slow["prior_p50"] - 2
    assert fast["post_p5"] >= 6  # with fewer than ~6 HETs the heavy loads alone take longer than the median


def _constants_except(path, keep: str, setting: str) -> list[str]:
    """Overrides pinning every uncertain input of the scenario at its median, except ``keep``."""
    from sim.scenario.draws import uncertain_inputs
    from sim.scenario.loading import load_scenario

    s = load_scenario(path).scenario
    pins = [f"{i.path}={round(i.distribution.p50) if i.integer else i.distribution.p50:.6g}" for i in uncertain_inputs(s) if i.path != keep]
    return [*pins, setting]


def test_a_calibration_reports_progress_as_its_draws_finish_and_gives_the_same_draws(baseline):
    """One scenario, many draws: its replications are run in slices, so the bar moves and workers share them."""

    from sim.experiment.analyses import run_calibration
    from sim.experiment.engine import Store, Work, execute
    from sim.replication import prepare

    seen = []
    study = run_calibration(baseline, (15.0, 30.0), 7, 40, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 4 and seen[-1] == (40, 40) and all(total == 40 for _, total in seen)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen) and seen[0][0] < 40
    store = Store(None)
    execute(Work((prepare(baseline),), 7, 40), store, size=40)  # in one piece
    whole = store.read().to_pandas()
    assert study.rows["days_to_base_empty"].tolist() == whole["days_to_base_empty"].tolist()


# --- the test of prior against posterior holds its stated error rate ------------------------------


def test_an_input_that_does_not_bear_on_the_target_is_called_constrained_about_as_often_as_the_test_says():
    # accepted independently of the input: its p-values must be uniform, so about 5% fall below 0.05. Testing the
    # posterior against the prior it is drawn from gave far fewer (the samples overlap), a test that could not be read.
    below = []
    for seed in range(300):
        rng = np.random.default_rng(seed)
        inputs = pd.DataFrame({"unrelated": rng.uniform(0, 1, 400)})
        days = np.where(rng.uniform(size=400) < 0.3, 20.0, 40.0)
        below.append(calibrate(inputs, days, (15, 30)).table.loc["unrelated", "ks_pvalue"] < 0.05)
    assert 0.025 <= np.mean(below) <= 0.08


def test_an_input_that_decides_the_target_is_constrained_with_the_distance_the_algebra_gives():
    # accepted exactly when x < 0.3 for x ~ U(0, 1): the posterior is U(0, 0.3), KS distance to the prior 1 - 0.3 = 0.7.
    rng = np.random.default_rng(5)
    inputs = pd.DataFrame({"decides": rng.uniform(0, 1, 2000), "unrelated": rng.uniform(0, 1, 2000)})
    days = np.where(inputs["decides"] < 0.3, 20.0, 40.0)
    table = calibrate(inputs, days, (15, 30)).table
    assert table.loc["decides", "ks"] == pytest.approx(0.7, abs=0.03)
    assert table.loc["decides", "ks_qvalue"] < 1e-6
    assert list(informative(table).index) == ["decides"]
