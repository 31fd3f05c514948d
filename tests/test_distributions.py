"""Each scenario distribution draws, bounds and inverts as its closed form says."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from sim.scenario.distributions import (
    Bernoulli,
    Constant,
    Distribution,
    LogNormal,
    Pert,
    Triangular,
    Uniform,
    draw_many,
    is_distribution,
    median_of,
    quantile_of,
    support_of,
)

N = 40_000
QS = (0.1, 0.25, 0.5, 0.75, 0.9)
parse = TypeAdapter(Distribution).validate_python


def draws(dist, seed: int = 20260223, n: int = N) -> np.ndarray:
    return draw_many(dist, np.random.default_rng(seed), n)


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


# (table as a planner writes it, closed-form mean, closed-form standard deviation)
TRI_MEAN = (60 + 100 + 140) / 3
PERT_MEAN = (2 + 4 * 5 + 14) / 6
_a, _b = (-1.0, 2.0)  # truncnormal cut, in standard deviations
_Z = _phi(_b) - _phi(_a)
_pdf = lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi)  # noqa: E731
TRUNC_MEAN = 10 + 2 * (_pdf(_a) - _pdf(_b)) / _Z
CASES = {
    "constant": ({"dist": "constant", "value": 7}, 7.0, 0.0),
    "uniform": ({"dist": "uniform", "low": 0.1, "high": 0.3}, 0.2, 0.2 / math.sqrt(12)),
    "triangular": (
        {"dist": "triangular", "low": 60, "mode": 100, "high": 140},
        TRI_MEAN,
        math.sqrt((60**2 + 100**2 + 140**2 - 60 * 100 - 60 * 140 - 100 * 140) / 18),
    ),
    "pert": ({"dist": "pert", "low": 2, "mode": 5, "high": 14}, PERT_MEAN, None),
    "truncnormal": ({"dist": "truncnormal", "mean": 10, "sd": 2, "low": 8, "high": 14}, TRUNC_MEAN, None),
    "lognormal": ({"dist": "lognormal", "median": 8, "sigma": 0.9}, 8 * math.exp(0.9**2 / 2), None),  # sample sd converges too slowly
    "choice": ({"dist": "choice", "values": [1, 2, 5], "weights": [1, 1, 2]}, (1 + 2 + 10) / 4, None),
    "bernoulli": ({"dist": "bernoulli", "p": 0.3}, 0.3, math.sqrt(0.3 * 0.7)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sample_mean_matches_closed_form(name):
    table, mean, sd = CASES[name]
    x = draws(parse(table))
    spread = sd if sd else max(np.std(x), 1e-9)
    # five standard errors: loose enough never to flake with the fixed seed, tight enough to catch a wrong formula
    assert abs(x.mean() - mean) <= 5 * spread / math.sqrt(N) + 1e-12
    if sd is not None:
        assert x.std() == pytest.approx(sd, rel=0.03, abs=1e-12)


@pytest.mark.parametrize("name", ["uniform", "triangular", "pert", "truncnormal", "lognormal"])
def test_sample_quantiles_match_ppf(name):
    dist = parse(CASES[name][0])
    x = draws(dist)
    for q in QS:
        # the empirical CDF at the model's quantile is q, within a few binomial standard errors
        share_below = float(np.mean(x <= dist.ppf(q)))
        assert abs(share_below - q) < 4 * math.sqrt(q * (1 - q) / N)


def test_lognormal_is_normal_in_logs():
    x = np.log(draws(parse(CASES["lognormal"][0])))
    assert x.mean() == pytest.approx(math.log(8), abs=5 * 0.9 / math.sqrt(N))
    assert x.std() == pytest.approx(0.9, rel=0.02)


def test_ppf_closed_forms():
    assert parse(CASES["uniform"][0]).ppf(0.25) == pytest.approx(0.15)
    tri = parse(CASES["triangular"][0])
    assert tri.ppf(0.5) == pytest.approx(100.0)  # symmetric: the median is the mode
    assert tri.ppf(0.125) == pytest.approx(60 + math.sqrt(0.125 * 80 * 40))
    assert parse(CASES["lognormal"][0]).ppf(0.5) == pytest.approx(8.0)
    assert parse(CASES["lognormal"][0]).ppf(_phi(1.0)) == pytest.approx(8 * math.exp(0.9))
    assert parse(CASES["choice"][0]).ppf(0.5) == 2.0
    assert parse(CASES["choice"][0]).ppf(0.51) == 5.0
    assert parse(CASES["bernoulli"][0]).ppf(0.69) == 0.0
    assert parse(CASES["bernoulli"][0]).ppf(0.71) == 1.0
    assert parse(CASES["constant"][0]).ppf(0.9) == 7.0


@pytest.mark.parametrize("name", list(CASES))
def test_ppf_is_monotone(name):
    dist = parse(CASES[name][0])
    values = [dist.ppf(q) for q in np.linspace(0.001, 0.999, 101)]
    assert all(np.diff(values) >= 0)


@pytest.mark.parametrize("name", list(CASES))
def test_quantiles_at_once_are_the_ppf_at_each(name):
    """A sensitivity design maps a whole column through ``quantiles``; it must be ``ppf`` value by value."""
    dist = parse(CASES[name][0])
    q = np.linspace(0.05, 0.95, 37)
    np.testing.assert_allclose(dist.quantiles(q), [dist.ppf(x) for x in q], rtol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_draws_stay_inside_the_support(name):
    dist = parse(CASES[name][0])
    low, high = dist.support
    x = draws(dist, n=5_000)
    assert x.min() >= low
    assert x.max() <= high


def test_choice_draws_only_its_values_in_their_weights():
    x = draws(parse(CASES["choice"][0]))
    assert set(np.unique(x)) == {1.0, 2.0, 5.0}
    assert np.mean(x == 5.0) == pytest.approx(0.5, abs=0.02)


def test_same_seed_same_draws_different_seed_different_draws():
    tri = parse(CASES["triangular"][0])
    assert np.array_equal(draws(tri, seed=1, n=100), draws(tri, seed=1, n=100))
    assert not np.array_equal(draws(tri, seed=1, n=100), draws(tri, seed=2, n=100))


def test_unbounded_tail_is_cut_at_p999_for_limits():
    logn = LogNormal(dist="lognormal", median=8, sigma=0.9)
    low, high = support_of(logn)
    assert low == 0.0
    assert high == pytest.approx(8 * math.exp(0.9 * 3.090232), rel=1e-4)


def test_degenerate_ranges_are_their_single_value():
    assert Triangular(dist="triangular", low=3, mode=3, high=3).sample(np.random.default_rng(0)) == 3
    assert Pert(dist="pert", low=3, mode=3, high=3).ppf(0.7) == 3
    assert Uniform(dist="uniform", low=3, high=3).ppf(0.7) == 3
    assert Triangular(dist="triangular", low=3, mode=3, high=3).quantiles(np.array([0.1, 0.9])).tolist() == [3, 3]
    assert Pert(dist="pert", low=3, mode=3, high=3).quantiles(np.array([0.1, 0.9])).tolist() == [3, 3]


def test_constants_and_helpers():
    assert median_of(5) == 5.0
    assert quantile_of(parse(CASES["uniform"][0]), 0.5) == pytest.approx(0.2)
    assert not is_distribution(Constant(dist="constant", value=1))
    assert is_distribution(Bernoulli(dist="bernoulli", p=0.5))
    assert list(draw_many(4, np.random.default_rng(0), 3)) == [4.0, 4.0, 4.0]
    assert draw_many(parse(CASES["uniform"][0]), np.random.default_rng(0), 0).size == 0


def test_describe_reads_like_the_planner_wrote_it():
    assert parse(CASES["triangular"][0]).describe() == "triangular(60, 100, 140)"
    assert parse(CASES["choice"][0]).describe() == "choice([1, 2, 5], [1, 1, 2])"


@pytest.mark.parametrize(
    "table",
    [
        {"dist": "uniform", "low": 5, "high": 3},
        {"dist": "triangular", "low": 5, "mode": 4, "high": 3},
        {"dist": "triangular", "low": 1, "mode": 5, "high": 3},
        {"dist": "triangular", "low": 1, "mode": 0, "high": 3},
        {"dist": "pert", "low": 1, "mode": 9, "high": 3},
        {"dist": "pert", "low": 9, "mode": 5, "high": 3},
        {"dist": "truncnormal", "mean": 1, "sd": 1, "low": 3, "high": 2},
        {"dist": "truncnormal", "mean": 1, "sd": 1, "low": 2, "high": 2},
        {"dist": "choice", "values": [1, 2], "weights": [1]},
        {"dist": "choice", "values": [1, 2], "weights": [0, 0]},
        {"dist": "choice", "values": [1, 2], "weights": [-1, 3]},
    ],
)
def test_impossible_distributions_are_refused(table):
    with pytest.raises(ValidationError, match="impossible distribution"):
        parse(table)


@pytest.mark.parametrize(
    "table",
    [
        {"dist": "lognormal", "median": -1, "sigma": 1},
        {"dist": "lognormal", "median": 1, "sigma": 0},
        {"dist": "truncnormal", "mean": 1, "sd": 0},
        {"dist": "bernoulli", "p": 1.5},
        {"dist": "choice", "values": []},
        {"dist": "uniform", "low": 1, "high": 2, "mode": 1.5},
        {"dist": "gamma", "shape": 2},
    ],
)
def test_bad_parameters_are_refused(table):
    with pytest.raises(ValidationError):
        parse(table)


@pytest.mark.parametrize(
    "table",
    [
        {"dist": "choice", "values": [1, 2, 3]},
        {"dist": "choice", "values": [1, 2]},
        {"dist": "choice", "values": [4, 1, 9, 2.5], "weights": [0.1, 0.3, 0.2, 0.4]},
        {"dist": "choice", "values": [1, 2, 5], "weights": [1, 1, 2]},
        {"dist": "choice", "values": [7, 8, 9], "weights": [0, 3, 0]},
        {"dist": "choice", "values": [3.0]},
    ],
)
def test_a_choice_draws_what_numpy_s_choice_draws_from_the_same_stream(table):
    # the quick draw (one uniform, the cumulative weights worked out once) is numpy's rng.choice(n, p=p), number for number
    dist = parse(table)
    ours, numpy_s = np.random.default_rng(11), np.random.default_rng(11)
    drawn = [dist.sample(ours) for _ in range(20_000)]
    expected = [float(dist.values[int(numpy_s.choice(len(dist.values), p=dist._p()))]) for _ in range(20_000)]
    assert drawn == expected
    assert ours.random() == numpy_s.random()  # and each draw took as many numbers from the stream
