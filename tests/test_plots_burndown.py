"""The burn-down fan shows the median and the P25-P75 and P10-P90 bands of what is left, day by day."""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
import pytest

from sim.plots.burndown import burndown_arrays, burndown_figure, last_busy_day

WINDOW = (15.0, 30.0)
START = datetime.date(2026, 2, 23)


def vertical_extent(collection, x: float, ylim: tuple[float, float]) -> tuple[float, float] | None:
    """The lowest and highest y a filled polygon covers at ``x`` (None if it covers nothing there)."""
    ys = np.linspace(ylim[0], ylim[1], 4001)
    inside = collection.get_paths()[0].contains_points(np.column_stack([np.full_like(ys, x), ys]))
    return (float(ys[inside].min()), float(ys[inside].max())) if inside.any() else None


@pytest.fixture(scope="module")
def counts() -> tuple[np.ndarray, np.ndarray]:
    """200 replications that each empty linearly from 1000 loads (and 500 people) in 20-40 days."""
    rng = np.random.default_rng(3)
    finish = rng.uniform(20, 40, 200)
    day = np.arange(60)
    cargo = np.clip(1000 * (1 - day[None, :] / finish[:, None]), 0, None).round()
    people = np.clip(500 * (1 - day[None, :] / (finish[:, None] + 2)), 0, None).round()
    return cargo, people


@pytest.fixture(scope="module")
def figure(counts):
    return burndown_figure(*counts, WINDOW, START)


def panels(fig):
    return [ax for ax in fig.axes if ax.get_ylabel()]


def by_gid(ax, gid):
    return next(c for c in [*ax.collections, *ax.lines] if c.get_gid() == gid)


def test_one_panel_for_cargo_and_one_for_people_with_units(figure):
    labels = [ax.get_ylabel() for ax in panels(figure)]
    assert labels == ["Truck loads at the base (loads)", "People at the base (persons)"]
    assert all("(days)" in ax.get_xlabel() for ax in panels(figure))


def test_window_is_shaded_from_day_15_to_day_30(figure):
    for ax in panels(figure):
        window = next(p for p in ax.patches if p.get_gid() == "window")
        x = ax.transData.inverted().transform(window.get_verts())[:, 0]
        assert (x.min(), x.max()) == pytest.approx(WINDOW)


def test_median_line_is_the_median_of_replications_each_day(figure, counts):
    for ax, values in zip(panels(figure), counts, strict=True):
        median = np.asarray(by_gid(ax, "median").get_ydata(), dtype=float)
        assert median == pytest.approx(np.median(values, axis=0)[: median.size])


@pytest.mark.parametrize("day", [2, 10, 18, 25, 31])
def test_bands_are_nested_p10_p25_median_p75_p90(figure, counts, day):
    for ax, values in zip(panels(figure), counts, strict=True):
        ylim = ax.get_ylim()
        step = (ylim[1] - ylim[0]) / 4000
        outer = vertical_extent(by_gid(ax, "band-10-90"), day + 0.5, ylim)
        inner = vertical_extent(by_gid(ax, "band-25-75"), day + 0.5, ylim)
        p10, p25, p50, p75, p90 = np.percentile(values[:, day], [10, 25, 50, 75, 90])
        assert outer == pytest.approx((p10, p90), abs=2 * step)
        assert inner == pytest.approx((p25, p75), abs=2 * step)
        assert p10 <= p25 <= p50 <= p75 <= p90
        assert outer[0] <= inner[0] + 2 * step and inner[1] <= outer[1] + 2 * step


def test_x_axis_stops_a_little_after_the_last_cargo_in_nine_replications_of_ten(figure, counts):
    busy = last_busy_day(*counts)
    assert np.percentile(counts[0][:, busy], 90) == 0
    assert panels(figure)[0].get_xlim() == (0, busy + 2)


def test_burndown_table_becomes_one_row_per_replication_and_one_column_per_day():
    frame = pd.DataFrame({"replication": [1, 1, 0, 0], "day": [1, 0, 1, 0], "cargo_loads": [5, 9, 3, 7], "people": [2, 4, 1, 3]})
    arrays = burndown_arrays(frame)
    assert arrays["cargo_loads"].tolist() == [[7, 3], [9, 5]]
    assert arrays["people"].tolist() == [[3, 1], [4, 2]]


def test_streamed_burndown_file_gives_the_same_percentiles_as_the_whole_array(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.plots.burndown import read_burndown

    rng = np.random.default_rng(3)
    cargo = np.sort(rng.integers(0, 900, (257, 40)), axis=1)[:, ::-1]
    people = np.sort(rng.integers(0, 300, (257, 40)), axis=1)[:, ::-1]
    table = pa.table(
        {
            "replication": np.arange(257).repeat(40),
            "day": np.tile(np.arange(40), 257),
            "cargo_loads": cargo.reshape(-1),
            "people": people.reshape(-1),
        }
    )
    pq.write_table(table, tmp_path / "burndown.parquet", row_group_size=1000)  # slices cut replications in two
    counts = read_burndown(tmp_path / "burndown.parquet")
    assert counts["cargo_loads"].replications == 257
    for q in (10, 25, 50, 75, 90):
        assert np.allclose(counts["cargo_loads"].percentile(q), np.percentile(cargo, q, axis=0))
        assert np.allclose(counts["people"].percentile(q), np.percentile(people, q, axis=0))
