"""The discovery figure shows the box's strongest inputs, reads a grid sweep (no hidden points, whole-number ticks)
and keeps its legend off the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.discovery import discover
from sim.plots.discovery import box_pairs, discovery_figure


@pytest.fixture(scope="module")
def run_like() -> tuple[pd.DataFrame, np.ndarray]:
    """Continuous inputs as a run draws them; the target needs four of them in a corner."""
    rng = np.random.default_rng(8)
    x = pd.DataFrame(rng.uniform(0, 1, (4000, 6)), columns=["fleet.het.count", "cargo.classes.heavy.loads", "escort.teams", "route.iraq.km", "a.b", "c.d"])
    x["fleet.het.count"] = 5 + 10 * x["fleet.het.count"]
    cases = (x["fleet.het.count"] > 9) & (x["cargo.classes.heavy.loads"] < 0.6) & (x["escort.teams"] > 0.3) & (x["route.iraq.km"] < 0.7)
    return x, cases.to_numpy()


def test_a_run_shows_the_box_strongest_inputs_not_only_two(run_like):
    x, cases = run_like
    found = discover(x, cases, min_coverage=0.5)
    assert len(found.box) >= 3
    fig = discovery_figure(found, x, cases, what="15 <= days <= 30")
    pairs = box_pairs(found, x)
    assert len(pairs) == (len(found.box) + 1) // 2 >= 2
    shown = {ax.get_xlabel().split("\n")[-1] for ax in fig.axes[1:] if ax.get_xlabel()} | {
        ax.get_ylabel().split("\n")[-1] for ax in fig.axes[1:] if ax.get_ylabel()
    }
    assert set(found.box.index) <= shown
    assert "heavy equipment transporters (count)\nfleet.het.count" in [ax.get_xlabel() for ax in fig.axes] + [ax.get_ylabel() for ax in fig.axes]


def test_the_legend_is_off_the_data(run_like):
    x, cases = run_like
    fig = discovery_figure(discover(x, cases), x, cases, what="15 <= days <= 30")
    assert all(ax.get_legend() is None for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["chosen box", "meets the target: 15 <= days <= 30", "does not", "the chosen box's limits"]
    assert fig.axes[0].get_xlabel() == "coverage: share of the cases of interest inside the box (%)"


@pytest.fixture(scope="module")
def grid_sweep() -> tuple[pd.DataFrame, np.ndarray]:
    """A sweep's grid: 5 truck levels x 4 escort-team levels, 30 replications a point."""
    trucks, teams = np.meshgrid([60, 80, 100, 120, 140], [2, 3, 4, 6])
    x = pd.DataFrame({"fleet.civilian.count": np.repeat(trucks.ravel(), 30), "escort.teams": np.repeat(teams.ravel(), 30)}).astype(float)
    rng = np.random.default_rng(2)
    cases = (x["fleet.civilian.count"] >= 100) & (x["escort.teams"] >= 3) & (rng.uniform(size=len(x)) < 0.8)
    return x, cases.to_numpy()


def test_a_grid_sweep_is_drawn_one_disc_per_cell_with_whole_number_ticks(grid_sweep):
    x, cases = grid_sweep
    fig = discovery_figure(discover(x, cases), x, cases, what="15 <= days <= 30")
    ax = fig.axes[1]
    cells = next(c for c in ax.collections if c.get_gid() == "cells")
    assert len(cells.get_offsets()) == 20  # one disc per grid cell, not 600 points on top of each other
    shares = {tuple(o): v for o, v in zip(cells.get_offsets().tolist(), cells.get_array(), strict=True)}
    inside = cases[(x["fleet.civilian.count"] == 140) & (x["escort.teams"] == 6)].mean()
    assert shares[(140.0, 6.0)] == pytest.approx(100 * inside)
    fig.canvas.draw()
    for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        assert all(float(t.get_text().replace("−", "-")).is_integer() for t in labels if t.get_text())


def test_a_single_gridded_input_is_jittered_so_its_points_do_not_hide_each_other(grid_sweep):
    x, cases = grid_sweep
    x = x.assign(**{"route.iraq.km": np.random.default_rng(1).uniform(200, 260, len(x))})[["escort.teams", "route.iraq.km"]]
    cases = (x["escort.teams"] >= 4) & (x["route.iraq.km"] < 240)
    fig = discovery_figure(discover(x, cases.to_numpy()), x, cases.to_numpy())
    points = np.concatenate([c.get_offsets() for c in fig.axes[1].collections if c.get_gid() in ("cases", "other")])
    teams = points[:, 0] if fig.axes[1].get_xlabel().endswith("escort.teams") else points[:, 1]
    assert len(np.unique(teams)) > 100 and np.abs(teams - np.round(teams)).max() <= 1 / 6 + 1e-9
