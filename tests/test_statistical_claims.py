"""The intervals the analyses print cover what they say they cover, on cases whose answer is known.

Each test names the sample an interval is computed from and checks its coverage against the truth: exactly
(summing the binomial) where that is possible, by simulation otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.analysis.design_points import quantile_ci
from sim.analysis.marginal import paired_mean
from sim.analysis.paired import mean_difference
from sim.analysis.statistics import mean_interval, proportion


@pytest.mark.parametrize(("n", "p"), [(200, 0.4), (1000, 0.4), (300, 0.05)])
def test_the_wilson_interval_of_p_window_covers_the_true_chance_95_percent_of_the_time(n, p):
    # P(15-30) of a run: n independent replications, each inside the window or not. Exact coverage: the binomial
    # probability of every count whose interval holds p.
    covered = sum(stats.binom.pmf(k, n, p) for k in range(n + 1) if proportion(k, n).ci_low <= p <= proportion(k, n).ci_high)
    assert covered == pytest.approx(0.95, abs=0.015)


@pytest.mark.parametrize(("n", "q"), [(20, 0.9), (20, 0.5), (60, 0.1), (200, 0.9)])
def test_a_quantile_interval_covers_the_true_quantile_at_least_95_percent_of_the_time(n, q):
    # days of n independent replications from U(0, 1): the true q quantile is q. An end the sample cannot bound is
    # NaN and counts as unbounded; before, it was the sample's extreme and covered the P90 of 20 only 88% of the time.
    rng = np.random.default_rng(int(100 * q) + n)
    covered = 0
    for _ in range(2000):
        low, high = quantile_ci(rng.uniform(size=n), q)
        covered += (np.isnan(low) or low <= q) and (np.isnan(high) or q <= high)
    assert covered / 2000 >= 0.94


def test_twenty_replications_cannot_bound_the_p90_from_above():
    low, high = quantile_ci(np.arange(20.0), 0.9)
    assert np.isnan(high) and low == pytest.approx(14.0)


def test_the_t_interval_of_mean_days_covers_the_true_mean_95_percent_of_the_time():
    # mean days to base empty over independent replications; skewed days (lognormal, as closures make them) and n = 200.
    rng = np.random.default_rng(3)
    truth = np.exp(np.log(30) + 0.3**2 / 2)
    covered = 0
    for _ in range(2000):
        _, low, high = mean_interval(rng.lognormal(np.log(30), 0.3, size=200))
        covered += low <= truth <= high
    assert covered / 2000 == pytest.approx(0.95, abs=0.015)


def test_paired_intervals_of_compare_and_marginal_cover_the_true_difference():
    # common random numbers: replication i of A and B share their noise, so the differences are independent across
    # i but A and B are not; the interval is on the differences (one sample), which is what makes it valid.
    rng = np.random.default_rng(4)
    covered_days = covered_window = 0
    for _ in range(1000):
        shared = rng.normal(30, 8, size=300)
        a, b = shared, shared - 2 + rng.normal(0, 1, size=300)
        d = mean_difference(a, b)
        covered_days += d["ci_low"] <= -2 <= d["ci_high"]
        inside_a, inside_b = (a <= 30).astype(float), (b <= 30).astype(float)
        truth = stats.norm.cdf(32, 30, np.hypot(8, 1)) - 0.5  # P(b <= 30) - P(a <= 30)
        _, low, high = paired_mean(inside_b - inside_a)
        covered_window += low <= truth <= high
    assert covered_days / 1000 == pytest.approx(0.95, abs=0.02)
    assert covered_window / 1000 == pytest.approx(0.95, abs=0.025)


def test_the_tornado_swing_interval_covers_the_true_swing_95_percent_of_the_time():
    # a factor's low and high points run the same replications: days = 30 + shared noise, + 5 at the high point plus
    # a little noise of its own. The swing is 5 days; P(window 15-35) changes by P(15 <= N(35, sd) <= 35) - P(15 <= N(30, 6) <= 35).
    import pandas as pd

    from sim.analysis.measure import Measure
    from sim.analysis.paired import swing_intervals

    rng = np.random.default_rng(8)
    levels = pd.DataFrame({"factor": ["", "x", "x"], "level": ["base", "low", "high"]})
    sd = np.hypot(6, 1)
    truth = (stats.norm.cdf(35, 35, sd) - stats.norm.cdf(15, 35, sd)) - (stats.norm.cdf(35, 30, 6) - stats.norm.cdf(15, 30, 6))
    covered_days = covered_window = 0
    for _ in range(800):
        shared = rng.normal(30, 6, size=60)
        days = np.concatenate([shared, shared, shared + 5 + rng.normal(0, 1, size=60)])
        rows = pd.DataFrame({"point": np.repeat([0, 1, 2], 60), "replication": np.tile(np.arange(60), 3), "days_to_base_empty": days})
        found = swing_intervals(levels, rows, Measure(window=(15, 35))).loc["x"]
        covered_days += found["mean_days.swing_ci_low"] <= 5 <= found["mean_days.swing_ci_high"]
        covered_window += found["p_window.swing_ci_low"] <= truth <= found["p_window.swing_ci_high"]
    assert covered_days / 800 == pytest.approx(0.95, abs=0.025)
    assert covered_window / 800 >= 0.9
