"""What is still at the base, day by day: a fan chart of cargo loads and people across replications.

Takes (replication x day) arrays of counts at each day's 00:00 and returns a Figure:
the median as a line, P25-P75 and P10-P90 as bands, the planning window shaded.
Day 0 is ``start_date`` at 00:00 (the simulation clock's origin).
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.analysis.statistics import burndown_fan
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
    out = {}
    for column in ("cargo_loads", "people"):
        table = frame.pivot(index="replication", columns="day", values=column).sort_index(axis=0).sort_index(axis=1)
        out[column] = table.to_numpy(dtype=float)
    return out


def last_busy_day(*counts: np.ndarray) -> int:
    """The first day on which the P90 of every array is zero (the fan has nothing more to show)."""
    last = 1
    for c in counts:
        nonzero = np.flatnonzero(np.percentile(c, 90, axis=0) > 0)
        last = max(last, int(nonzero[-1]) + 1 if nonzero.size else 1)
    return last


def draw_fan(ax: Axes, counts: np.ndarray, color: str, days: int) -> None:
    fan = burndown_fan(counts[:, : days + 1])
    x = np.arange(fan[50].size)
    for low, high, alpha in BANDS:
        ax.fill_between(x, fan[low], fan[high], step="post", color=color, alpha=alpha, lw=0, label=f"P{low}-P{high}", gid=f"band-{low}-{high}")
    ax.step(x, fan[50], where="post", color=color, lw=1.8, label="Median", gid="median")


def burndown_figure(cargo_loads: np.ndarray, people: np.ndarray, window: tuple[float, float], start_date: datetime.date) -> Figure:
    """Cargo loads (left) and people (right) still at the base by day: median, P25-P75 and P10-P90 bands."""
    arrays = {"cargo_loads": np.asarray(cargo_loads, dtype=float), "people": np.asarray(people, dtype=float)}
    if any(a.ndim != 2 or a.shape[0] == 0 for a in arrays.values()):
        raise ValueError("burndown_figure needs (replication x day) arrays with at least one replication")
    days = min(last_busy_day(*arrays.values()) + 2, min(a.shape[1] for a in arrays.values()) - 1)
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
        fig.suptitle(f"Burn-down at 00:00 each day: {arrays['cargo_loads'].shape[0]} replications")
    return fig
