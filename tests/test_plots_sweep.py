"""Sweep figures: P(15-30) against each factor with its CI band, and a heatmap over two gridded factors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.analysis.statistics import proportion
from sim.experiment.manifest import new_manifest, write_manifest
from sim.plots.figures import plot_results
from sim.plots.sweep import by_factor, factor_figure, heatmap_factors, heatmap_figure, heatmap_table, sweep_from_tables

WINDOW = (15.0, 30.0)
TRUCKS = "fleet.civilian.count"
TEAMS = "escort.teams"


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A 3 x 2 grid; more trucks and more escort teams make it likelier that the base empties within 30 days."""
    design = pd.DataFrame({"point": range(6), TRUCKS: [60, 100, 140] * 2, TEAMS: [4, 4, 4, 8, 8, 8]})
    rng = np.random.default_rng(5)
    reps = []
    for point, trucks, teams in design.itertuples(index=False):
        days = rng.normal(45 - 0.15 * trucks - 1.0 * teams, 4.0, 40)
        reps.append(pd.DataFrame({"point": point, "replication": range(40), "days_to_base_empty": days}))
    return design, pd.concat(reps, ignore_index=True)


@pytest.fixture(scope="module")
def sweep(tables):
    return sweep_from_tables(*tables, WINDOW)


def test_factor_estimate_pools_the_other_factors_and_has_a_wilson_interval(sweep, tables):
    design, reps = tables
    table = by_factor(sweep, TRUCKS)
    assert table["level"].tolist() == [60, 100, 140]
    for level, row in zip([60, 100, 140], table.itertuples(), strict=True):
        days = reps[reps["point"].isin(design.loc[design[TRUCKS] == level, "point"])]["days_to_base_empty"]
        expected = proportion(int(((days >= 15) & (days <= 30)).sum()), len(days))
        assert (row.n, row.estimate, row.ci_low, row.ci_high) == pytest.approx((80, expected.estimate, expected.ci_low, expected.ci_high))


def test_factor_figure_draws_the_estimate_inside_its_band_for_each_factor(sweep):
    fig = factor_figure(sweep)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_gid() for ax in shown] == [f"factor-{TRUCKS}", f"factor-{TEAMS}"]
    for ax, factor in zip(shown, (TRUCKS, TEAMS), strict=True):
        table = by_factor(sweep, factor)
        line = next(line for line in ax.lines if line.get_gid() == "estimate")
        assert list(line.get_xdata()) == table["level"].tolist()
        assert np.asarray(line.get_ydata()) == pytest.approx(100 * table["estimate"].to_numpy())
        assert (table["ci_low"] <= table["estimate"]).all() and (table["estimate"] <= table["ci_high"]).all()
        band = next(c for c in ax.collections if c.get_gid() == "ci-band")
        y = band.get_paths()[0].vertices[:, 1]
        assert y.min() == pytest.approx(100 * table["ci_low"].min()) and y.max() == pytest.approx(100 * table["ci_high"].max())
        assert ax.get_ylim() == (0, 100) and "(%)" in ax.get_ylabel() and "P(15-30)" in ax.get_ylabel()


def test_heatmap_cells_are_p_within_window_per_grid_cell_in_percent(sweep, tables):
    assert heatmap_factors(sweep) == (TRUCKS, TEAMS)
    fig = heatmap_figure(sweep, TRUCKS, TEAMS)
    ax = fig.axes[0]
    image = next(i for i in ax.images if i.get_gid() == "heatmap")
    design, reps = tables
    hit = reps["days_to_base_empty"].between(*WINDOW)
    for point, trucks, teams in design.itertuples(index=False):
        row, col = [4, 8].index(teams), [60, 100, 140].index(trucks)
        assert image.get_array()[row, col] == pytest.approx(100 * hit[reps["point"] == point].mean())
    texts = {t.get_text() for t in ax.texts if t.get_gid() == "cell"}
    first = hit[reps["point"] == 0]
    p = proportion(int(first.sum()), len(first))
    assert f"{100 * p.estimate:.0f}%\n{100 * p.ci_low:.0f}-{100 * p.ci_high:.0f}%\nn=40" in texts
    assert [t.get_text() for t in ax.get_xticklabels()] == ["60", "100", "140"]
    assert heatmap_table(sweep, TRUCKS, TEAMS).shape == (2, 3)
    assert ax.get_xlabel() == f"contracted trucks (count)\n{TRUCKS}" and ax.get_ylabel() == f"escort teams (count)\n{TEAMS}"
    assert ax.get_title() == "no other factor varies"


def test_each_factor_panel_says_what_it_averages_over_and_how_many_replications_each_point_holds(sweep):
    fig = factor_figure(sweep)
    trucks, teams = (ax for ax in fig.axes if ax.get_visible())
    assert trucks.get_title() == "contracted trucks\naveraged over escort teams 4-8"
    assert teams.get_title() == "escort teams\naveraged over contracted trucks 60-140"
    assert [t.get_text() for t in trucks.texts if t.get_gid() == "n"] == ["n=80", "n=80", "n=80"]
    assert trucks.get_xlabel() == f"contracted trucks (count)\n{TRUCKS}"
    fig.canvas.draw()
    assert all(float(t.get_text()).is_integer() for t in teams.get_xticklabels() if t.get_text())
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["95% CI", "Estimate"]


@pytest.mark.parametrize(
    ("path", "unit"),
    [("route.syria.km", "km"), ("escort.rest_hours", "hours"), ("cargo.classes.heavy.loads", "truckloads"), ("vehicles.share_of_convoy", "share, 0-1")],
)
def test_factor_axes_name_the_unit_of_the_field(path, unit):
    from sim.plots.style import unit_of

    assert unit_of(path) == unit


def test_a_factor_with_many_values_is_binned():
    rng = np.random.default_rng(1)
    continuous = pd.DataFrame({"point": range(100), "route.iraq.km": rng.uniform(200, 260, 100)})
    reps = pd.DataFrame({"point": range(100), "days_to_base_empty": rng.uniform(10, 40, 100)})
    table = by_factor(sweep_from_tables(continuous, reps, WINDOW), "route.iraq.km")
    assert len(table) == 8 and table["n"].sum() == 100
    assert table["level"].is_monotonic_increasing


def test_plot_results_draws_both_figures_for_a_sweep_folder(tables, tmp_path):
    design, reps = tables
    design.to_parquet(tmp_path / "design.parquet")
    design.to_csv(tmp_path / "points.csv", index=False)
    pq.write_to_dataset(pa.Table.from_pandas(reps, preserve_index=False), tmp_path / "replications.parquet", partition_cols=["point"])
    write_manifest(tmp_path, new_manifest("sweep", {"scenario": {"window_days": [15, 30]}}))  # a folder says what it is
    names = sorted(p.name for p in plot_results(tmp_path))
    assert names == ["sweep_factors.png", "sweep_factors.svg", "sweep_heatmap.png", "sweep_heatmap.svg"]
