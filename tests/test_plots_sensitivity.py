"""The sensitivity figures read in words and units and cannot mislead: no negative share drawn as a bar, unresolved
Sobol' indices grey and named, Morris names that do not overlap and intervals that are not clipped."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from matplotlib.text import Text

from sim.plots.sensitivity import UNRESOLVED, morris_figure, sobol_figure, tornado_figure, window_outcome

PATHS = ["cargo.classes.heavy.loads", "fleet.het.count", "cargo.classes.general.loads", "fleet.civilian.count", "escort.teams"]


@pytest.fixture(scope="module")
def sobol_table() -> pd.DataFrame:
    # as the default run gives: two resolved totals, a negative first-order share, intervals wider than the indices
    return pd.DataFrame(
        {
            "S1": [0.475, 0.219, -0.119, -0.043, 0.01],
            "S1_conf": [0.2, 0.1, 0.177, 0.164, 0.05],
            "ST": [0.593, 0.386, 0.086, 0.074, 0.02],
            "ST_conf": [0.2, 0.2, 0.046, 0.09, 0.03],
        },
        index=PATHS,
    )


def bars_by(ax, gid):
    return [p for p in ax.patches if p.get_gid() == gid]


def test_sobol_never_draws_a_negative_share_as_a_bar(sobol_table):
    fig = sobol_figure(sobol_table)
    ax = fig.axes[0]
    assert all(p.get_width() >= 0 for p in ax.patches)
    first = bars_by(ax, "sobol-S1")
    assert sorted(p.get_width() for p in first)[:2] == [0, 0]  # the two negative estimates
    markers = next(line for line in ax.get_lines() if line.get_gid() == "sobol-S1-negative")
    assert sorted(markers.get_xdata()) == pytest.approx([-11.9, -4.3])


def test_sobol_greys_and_names_indices_whose_interval_includes_zero(sobol_table):
    fig = sobol_figure(sobol_table)
    ax = fig.axes[0]
    names = [t.get_text() for t in ax.get_yticklabels()]  # largest total on top, so the last tick is the first row
    totals = dict(zip(names, (to_hex(p.get_facecolor()) for p in bars_by(ax, "sobol-ST")), strict=True))
    assert totals["heavy loads"] != UNRESOLVED and totals["heavy equipment transporters"] != UNRESOLVED
    assert totals["contracted trucks"] == UNRESOLVED and totals["escort teams"] == UNRESOLVED
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "grey: 95% interval includes 0 (not resolved)" in legend
    assert "resolved: 3 of 5 totals, 2 of 5 first-order shares" in ax.get_title()


def test_the_two_sobol_figures_have_distinct_titles_and_units(sobol_table):
    days = sobol_figure(sobol_table).axes[0]
    chance = sobol_figure(sobol_table, output=window_outcome((15, 30)).words).axes[0]
    assert days.get_title() != chance.get_title()
    assert "mean days to base empty" in days.get_title() and "P(15-30 days)" in chance.get_title()
    assert chance.get_xlabel() == "share of the variance of P(15-30 days) (%)"
    assert max(p.get_width() for p in days.patches) == pytest.approx(59.3)


@pytest.fixture(scope="module")
def morris_table() -> pd.DataFrame:
    # crowded: several factors with nearly the same mu* and sigma, one interval reaching far right
    rng = np.random.default_rng(3)
    mu = np.array([12.0, 11.8, 11.9, 3.0, 2.9, 3.1, 0.5, 0.4, 0.45, 0.3, 0.2])
    index = [*PATHS, "air_cover.apaches", "loading.teams", "people.troops", "vehicles.count", "route.iraq.km", "crossing.main.lanes"]
    return pd.DataFrame({"mu_star": mu, "mu_star_conf": np.r_[9.0, rng.uniform(0.1, 1, 10)], "sigma": mu * 0.9, "mu": mu}, index=index)


def test_morris_names_do_not_overlap(morris_table):
    fig = morris_figure(morris_table)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    names = [t for t in fig.axes[0].texts if t.get_gid() == "morris-label"]
    assert len(names) == 10
    boxes = [Text.get_window_extent(t, renderer) for t in names]  # the name alone, not its leader line
    overlapping = [(a.get_text(), b.get_text()) for (a, ba), (b, bb) in itertools.combinations(zip(names, boxes, strict=True), 2) if ba.overlaps(bb)]
    assert not overlapping


def test_morris_axes_hold_every_interval_whole_and_name_the_unit(morris_table):
    ax = morris_figure(morris_table).axes[0]
    assert ax.get_xlim()[1] >= (morris_table["mu_star"] + morris_table["mu_star_conf"]).max()
    assert ax.get_xlabel() == "mean absolute effect on mean days to base empty, μ* (days)"
    assert ax.get_ylabel() == "spread of the effects, σ (days)"


def test_morris_of_the_window_chance_is_in_percentage_points(morris_table):
    shares = morris_table.assign(mu_star=morris_table["mu_star"] / 100, mu_star_conf=morris_table["mu_star_conf"] / 100, sigma=morris_table["sigma"] / 100)
    ax = morris_figure(shares, outcome=window_outcome((15, 30))).axes[0]
    assert ax.get_xlabel() == "mean absolute effect on P(15-30 days), μ* (percentage points)"
    assert ax.get_xlim()[1] >= 21.0
    assert ax.get_title() == "Morris elementary effects on P(15-30 days)"


def test_tornado_reads_the_window_chance_in_percent_and_names_inputs():
    effects = pd.DataFrame(
        {
            "mean_days.base": [33.0, 33.0],
            "mean_days.low": [42.0, 31.0],
            "mean_days.high": [24.0, 34.0],
            "p_window.base": [0.4, 0.4],
            "p_window.low": [0.2, 0.42],
            "p_window.high": [0.475, 0.3],
        },
        index=["fleet.het.count", "fleet.military.count"],
    )
    fig = tornado_figure(effects, {"mean_days": "mean days to base empty", "p_window": "P(15-30 days)"})
    days, chance = fig.axes[:2]
    assert chance.get_xlabel() == "P(15-30 days) (%)" and days.get_xlabel() == "mean days to base empty (days)"
    assert chance.patches[0].get_x() == pytest.approx(40.0)
    assert [t.get_text() for t in days.get_yticklabels()] == ["military trucks", "heavy equipment transporters"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["factor at its P5", "factor at its P95"]


def test_marginal_axes_name_their_units():
    from sim.plots.marginal import marginal_figure

    table = pd.DataFrame(
        {
            "days_saved": [4.1, 0.8],
            "days_saved_low": [3.6, 0.5],
            "days_saved_high": [4.6, 1.1],
            "p_window_change": [0.17, 0.02],
            "p_window_change_low": [0.14, 0.0],
            "p_window_change_high": [0.2, 0.04],
        },
        index=["heavy equipment transporters +2", "contracted trucks +10"],
    )
    left, right = marginal_figure(table, (15, 30)).axes
    assert left.get_xlabel() == "days sooner (days): mean and 95% CI"
    assert right.get_xlabel() == "change in P(15-30 days) (percentage points): mean and 95% CI"
    assert max(p.get_width() for p in right.patches) == pytest.approx(17.0)


def test_calibration_panels_name_each_input_and_its_unit_with_the_legend_off_the_data():
    from sim.plots.calibration import calibration_figure

    rng = np.random.default_rng(4)
    inputs = pd.DataFrame({"fleet.het.count": rng.integers(5, 16, 400).astype(float), "route.iraq.km": rng.uniform(200, 260, 400)})
    fig = calibration_figure(inputs, inputs["fleet.het.count"].to_numpy() > 10, ["fleet.het.count", "route.iraq.km"], "15-30 days", columns=2)
    het, km = fig.axes[:2]
    assert (het.get_title(), het.get_xlabel()) == ("heavy equipment transporters", "count")
    assert (km.get_title(), km.get_xlabel()) == ("km of the Iraqi leg", "km")
    assert all(ax.get_legend() is None for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["prior", "given 15-30 days"]
