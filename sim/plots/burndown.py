"""What is still at the base, day by day: a fan chart of cargo loads and people across replications.

Takes (replication x day) arrays of counts at each day's 00:00 and returns a Figure:
the median as a line, P25-P75 and P10-P90 as bands, the planning window shaded.
Day 0 is ``start_date`` at 00:00 (the simulation clock's origin).
"""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.analysis.statistics import DailyCounts
from sim.plots.completion import add_calendar_axis, days_label, shade_window
from sim.plots.style import BLUE, VERMILLION, style_context

BANDS = ((10, 90, 0.18), (25, 75, 0.35))
"""(low percentile, high percentile, opacity): the outer band is drawn first, lighter."""

QUANTITIES = (
    ("cargo_loads", "Cargo still at the base", "Truck loads at the base (loads)", BLUE),
    ("people", "People still at the base", "People at the base (persons)", VERMILLION),
)


def burndown_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """``burndown.parquet`` (replication, day, cargo_loads, people) as (replication x day) arrays by column."""
    days = frame["day"].to_numpy()
    reps = frame["replication"].to_numpy()
    n_days = int(days.max()) + 1 if len(days) else 0
    if n_days and len(frame) % n_days == 0 and np.all(np.diff(reps) >= 0) and np.array_equal(days, np.tile(np.arange(n_days), len(frame) // n_days)):
        # What evacsim run writes: replication by replication, every day in order. Reshaping
        # costs no copy of the table, where a pivot of millions of rows costs several.
        return {column: frame[column].to_numpy(dtype=float).reshape(-1, n_days) for column in ("cargo_loads", "people")}
    out = {}
    for column in ("cargo_loads", "people"):
        table = frame.pivot(index="replication", columns="day", values=column).sort_index(axis=0).sort_index(axis=1)
        out[column] = table.to_numpy(dtype=float)
    return out


def last_busy_day(*counts: np.ndarray | DailyCounts) -> int:
    """The first day on which the P90 of every array is zero (the fan has nothing more to show)."""
    last = 1
    for c in counts:
        p90 = c.percentile(90) if isinstance(c, DailyCounts) else np.percentile(c, 90, axis=0)
        nonzero = np.flatnonzero(p90 > 0)
        last = max(last, int(nonzero[-1]) + 1 if nonzero.size else 1)
    return last


def daily_counts(counts: np.ndarray) -> DailyCounts:
    """A (replication x day) array as per-day histograms."""
    out = DailyCounts()
    out.add(np.asarray(counts).round().astype(np.int64))
    return out


def draw_fan(ax: Axes, counts: DailyCounts, color: str, days: int) -> None:
    fan = {p: values[: days + 1] for p, values in counts.fan().items()}
    x = np.arange(fan[50].size)
    for low, high, alpha in BANDS:
        ax.fill_between(x, fan[low], fan[high], step="post", color=color, alpha=alpha, lw=0, label=f"P{low}-P{high}", gid=f"band-{low}-{high}")
    ax.step(x, fan[50], where="post", color=color, lw=1.8, label="Median", gid="median")


def burndown_figure(cargo_loads: np.ndarray | DailyCounts, people: np.ndarray | DailyCounts, window: tuple[float, float], start_date: datetime.date) -> Figure:
    """Cargo loads (left) and people (right) still at the base by day: median, P25-P75 and P10-P90 bands.

    Takes (replication x day) arrays, or the same as :class:`~sim.analysis.statistics.DailyCounts`
    (what :func:`read_burndown` streams from a file of any size).
    """
    given = {"cargo_loads": cargo_loads, "people": people}
    if any(not isinstance(a, DailyCounts) and (np.ndim(a) != 2 or np.shape(a)[0] == 0) for a in given.values()):
        raise ValueError("burndown_figure needs (replication x day) arrays with at least one replication")
    arrays = {k: v if isinstance(v, DailyCounts) else daily_counts(v) for k, v in given.items()}
    days = min(last_busy_day(*arrays.values()) + 2, min(a.histogram.shape[0] for a in arrays.values()) - 1)
    with style_context():
        fig = Figure(layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(1, 2, sharex=True)
        for ax, (column, title, ylabel, color) in zip(axes, QUANTITIES, strict=True):
            shade_window(ax, window)
            draw_fan(ax, arrays[column], color, days)
            ax.set_xlim(0, days)
            ax.set_ylim(bottom=0)
            ax.set_title(title)
            ax.set_ylabel(ylabel)
            ax.set_xlabel(days_label(start_date))
            ax.legend(loc="upper right")
            add_calendar_axis(ax, start_date)
        fig.suptitle(f"Burn-down at 00:00 each day: {arrays['cargo_loads'].replications} replications")
    return fig


def read_burndown(path: Path) -> dict[str, DailyCounts]:
    """``burndown.parquet`` read a slice at a time into per-day histograms: memory stays flat however many replications."""
    out = {column: DailyCounts() for column in ("cargo_loads", "people")}
    source = ds.dataset(path, format="parquet")  # one file, or a folder of parts (evacsim's store)
    for batch in source.to_batches(columns=["day", *out]):
        days = batch.column("day").to_numpy()
        starts = int(np.count_nonzero(days == 0))  # each replication's rows begin at day 0
        for column, counts in out.items():
            counts.add_rows(days, batch.column(column).to_numpy(), replications=starts)
    return out
