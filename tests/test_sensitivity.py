"""The public estimators against functions whose indices are known in closed form."""

import numpy as np
import pandas as pd
import pytest

from sim.analysis.sensitivity import morris, sobol, sobol_warnings, tornado_design, tornado_effects

PI = np.pi


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Closed-form S1 and ST of the Ishigami function (Saltelli et al., Global Sensitivity Analysis, 2008)."""
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / total, np.array([v1 + v13, v2, v13]) / total


def test_sobol_recovers_the_ishigami_indices():
    s1, st = ishigami_indices()
    table = sobol(ishigami, {"x1": (-PI, PI), "x2": (-PI, PI), "x3": (-PI, PI)}, n=2048, seed=7)
    assert list(table.index) == ["x1", "x2", "x3"]
    assert set(table.columns) >= {"S1", "S1_conf", "ST", "ST_conf"}
    np.testing.assert_allclose(table["S1"], s1, atol=0.05)
    np.testing.assert_allclose(table["ST"], st, atol=0.05)


def test_sobol_shares_of_a_linear_function_are_squared_weights():
    # y = 3a + b over unit ranges: variances 9/12 and 1/12, so S1 = ST = 0.9 and 0.1, and 0 for the unused c.
    table = sobol(lambda x: 3 * x[:, 0] + x[:, 1], {"a": (0, 1), "b": (0, 1), "c": (0, 1)}, n=1024, seed=1)
    np.testing.assert_allclose(table["S1"], [0.9, 0.1, 0.0], atol=0.03)
    np.testing.assert_allclose(table["ST"], [0.9, 0.1, 0.0], atol=0.03)


def test_morris_ranks_factors_by_their_weight():
    weights = np.array([10.0, 5.0, 1.0, 0.0])
    bounds = {"big": (0, 1), "middle": (0, 1), "small": (0, 1), "none": (0, 1)}
    table = morris(lambda x: x @ weights, bounds, trajectories=20, seed=3)
    assert list(table.sort_values("mu_star", ascending=False).index) == ["big", "middle", "small", "none"]
    # A linear function's elementary effect is its weight times the range, everywhere: sigma is zero.
    np.testing.assert_allclose(table["mu_star"], weights, atol=1e-9)
    np.testing.assert_allclose(table["sigma"], 0.0, atol=1e-9)
    assert set(table.columns) >= {"mu_star", "mu_star_conf", "sigma"}


def test_morris_sigma_flags_an_interaction():
    table = morris(lambda x: x[:, 0] * x[:, 1] + x[:, 2], {"a": (0, 1), "b": (0, 1), "c": (0, 1)}, trajectories=30, seed=5)
    assert table.loc["a", "sigma"] > 0.1
    assert table.loc["c", "sigma"] == pytest.approx(0.0, abs=1e-9)


def test_bounds_are_scaled_into_the_function_arguments():
    seen = []

    def record(x):
        seen.append(x)
        return x[:, 0]

    sobol(record, {"trucks": (60, 140)}, n=8, seed=1)
    assert seen[0].min() >= 60 and seen[0].max() <= 140


def test_small_noisy_sample_is_warned_about():
    rng = np.random.default_rng(0)
    table = sobol(lambda x: x[:, 0] + rng.normal(0, 3, len(x)), {"a": (0, 1), "b": (0, 1), "c": (0, 1)}, n=16, seed=2)
    assert sobol_warnings(table, 16)


def test_reversed_bounds_are_refused():
    with pytest.raises(ValueError, match="must be above low"):
        sobol(lambda x: x[:, 0], {"a": (1, 0)}, n=8, seed=1)


def test_tornado_swing_is_high_minus_low_ranked_by_size():
    design = tornado_design({"a": (0, 1), "b": (0, 10)}, {"a": 0.5, "b": 5})
    assert list(design["level"]) == ["base", "low", "high", "low", "high"]
    outputs = pd.DataFrame({"mean_days": design["a"] * 2 + design["b"] * 3})
    effects = tornado_effects(design, outputs)
    assert list(effects.index) == ["b", "a"]
    assert effects.loc["b", "mean_days.swing"] == pytest.approx(30)
    assert effects.loc["a", "mean_days.swing"] == pytest.approx(2)
    assert effects.loc["a", "mean_days.base"] == pytest.approx(16)


def test_scenario_inputs_are_sampled_through_their_own_distribution():
    """A Sobol' design's truck counts follow the scenario's triangular(60, 100, 140) between its P5 and P95."""
    from sim.analysis.sensitivity import sobol_design
    from sim.experiment.evaluate import Factor, at_shares
    from sim.scenario.distributions import Triangular

    trucks = Triangular(dist="triangular", low=60, mode=100, high=140)
    drawn = Factor("fleet.civilian.count", trucks.ppf(0.05), trucks.ppf(0.95), trucks.p50, True, trucks)
    ranged = Factor("escort.teams", 3, 10, 6, True)
    shares = sobol_design({"a": (0.0, 1.0), "b": (0.0, 1.0)}, 256, seed=3)
    x = at_shares(shares, [drawn, ranged])
    assert x[:, 0].min() >= drawn.low and x[:, 0].max() <= drawn.high
    # 90-110 holds 43.75% of the triangle, so 48.6% of it between P5 and P95 (72.6-127.4), where a
    # uniform over that range would put 36.6%
    inside = np.mean((x[:, 0] >= 90) & (x[:, 0] <= 110))
    assert inside == pytest.approx(0.4375 / 0.9, abs=0.03)
    assert np.median(x[:, 0]) == pytest.approx(100, abs=1)
    np.testing.assert_allclose(x[:, 1], 3 + shares[:, 1] * 7)
    assert drawn.at(np.array([0.0, 0.5, 1.0])) == pytest.approx([trucks.ppf(0.05), 100, trucks.ppf(0.95)])


@pytest.mark.slow  # about 4 minutes alone: `make test-slow`
def test_the_default_sobol_sample_resolves_the_top_inputs_of_the_baseline(baseline):
    """The default sample size was chosen from a pilot: at it, both indices of the two inputs that matter most are told
    apart from zero and they are the tornado's top two: convoys a day, then general cargo loads (the tornado puts general
    cargo first on its P5-P95 swing; the variance share of one to three departures a day is the larger, as EVPPI says)."""
    from sim.experiment.analyses import DEFAULTS, run_sobol
    from sim.experiment.evaluate import scenario_factors
    from sim.experiment.executors import make_executor

    setting = DEFAULTS["sobol"]
    with make_executor(jobs=2) as executor:
        study = run_sobol(baseline, scenario_factors(baseline), 20260223, setting["replications"], setting["n"], executor)
    table = study.tables["sobol"].sort_values("ST", ascending=False)
    top = table.head(2)
    assert list(top.index) == ["convoys.max_per_day", "cargo.classes.general.loads"]
    assert (top["ST"] - top["ST_conf"] > 0).all() and (top["S1"] - top["S1_conf"] > 0).all()


def test_warnings_name_inputs_in_words_and_a_long_list_by_its_count_and_first_few():
    # issue: "mu* intervals wider than mu* for cargo.packout_loads_per_day, escort.teams, ..." and Sobol' listing 43 paths
    import pandas as pd

    from sim.analysis.sensitivity import morris_warnings

    morris_table = pd.DataFrame({"mu_star": [2.0, 1.5], "mu_star_conf": [3.0, 2.0]}, index=["cargo.packout_loads_per_day", "escort.teams"])
    (said,) = morris_warnings(morris_table)
    assert "escort teams" in said and "escort.teams" not in said and "packout_loads_per_day" not in said
    paths = [f"sites.base_{i}.cargo.staged_at_start" for i in range(43)]
    sobol_table = pd.DataFrame({"S1": 0.01, "S1_conf": 0.2, "ST": 0.1, "ST_conf": 0.3}, index=paths)
    wide = next(w for w in sobol_warnings(sobol_table) if w.startswith("confidence intervals wider"))
    assert "for 43 inputs, among them Base 0: share staged at the start, " in wide and "and 39 more" in wide
    assert "sites." not in wide


def test_a_theatre_study_prints_its_inputs_by_the_file_s_titles(tmp_path):
    # issue: a theatre's sites read from their keys ("Kharab al Jir", "B") while the file spells them "Kharab al-Jir"
    from typer.testing import CliRunner

    from sim.cli import app
    from tests.theatre_tables import crossing, leg, small_base, small_theatre, to_toml

    bee = small_base(loads={"dist": "uniform", "low": 5, "high": 40}, title="Bee al-Base")
    table = small_theatre({"a": small_base(), "b": bee, "x": crossing()}, [leg("a", "x", 100), leg("b", "x", 50), leg("a", "b", 50), leg("x", "erbil", 100)])
    path = tmp_path / "t.toml"
    path.write_text(to_toml(table))
    result = CliRunner().invoke(app, ["sensitivity", str(path), "-n", "2", "--jobs", "1", "--out", str(tmp_path / "s")], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Bee al-Base: general cargo loads" in result.output and "B: general cargo loads" not in result.output


def test_an_output_missing_at_a_point_is_refused_not_read_as_no_effect():
    # a base that never moved at a point has no value there: Sobol' read it as indices of 0, Morris as NaN everywhere
    from sim.analysis import sensitivity

    bounds = {"a": (0.0, 1.0), "b": (0.0, 1.0)}
    u = sensitivity.sobol_design(bounds, 8, 1)
    y = u.sum(axis=1)
    y[5] = np.nan
    with pytest.raises(ValueError, match="1 of the 32 outputs have no value"):
        sensitivity.sobol_analyze(bounds, y, 1)
    x = sensitivity.morris_design(bounds, 4, 1)
    y = x.sum(axis=1)
    y[3] = np.nan
    with pytest.raises(ValueError, match="1 of the 12 outputs have no value"):
        sensitivity.morris_analyze(bounds, x, y, 1)
