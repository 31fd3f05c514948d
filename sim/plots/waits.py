"""Where the time goes: convoy-hours waited by cause, and how busy each resource was.

Takes the replication table (columns ``wait_hours.<cause>`` and ``utilisation.<resource>``)
and returns a Figure of horizontal bars: the mean over replications, with a thick
whisker for its 95% confidence interval and a thin one for the P10-P90 spread
between replications.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.analysis.statistics import mean_interval
from sim.names import TRUCK_TYPES
from sim.plots.style import BLACK, BLUE, ORANGE, style_context


@dataclass(frozen=True)
class Spread:
    """One quantity across replications: its mean with a 95% CI, and its P10-P90 range."""

    name: str
    mean: float
    ci_low: float
    ci_high: float
    p10: float
    p90: float


def spread(name: str, values: np.ndarray) -> Spread:
    values = np.asarray(values, dtype=float)
    mean, low, high = mean_interval(values, single="point")
    p10, p90 = (float(x) for x in np.percentile(values, [10, 90]))
    return Spread(name, mean, low, high, p10, p90)


RESOURCE_NAMES = {"apaches": "Apaches"}
"""Resources whose column name is not the word a planner writes."""


def with_truck_types(rows: pd.DataFrame, prefix: str, names: tuple[str, ...]) -> list[str]:
    """The causes (or resources) to draw: ``names``, with ``trucks`` replaced by its per-type columns
    (``trucks (civilian)``, ``trucks (het)``, ...) when the replications record them, so that a wait for
    heavy equipment transporters is not hidden among the general trucks."""
    shown = list(names) + [c.removeprefix(f"{prefix}.") for c in rows.columns if c.startswith(f"{prefix}.trucks (")]
    shown = list(dict.fromkeys(shown))
    if any(n.startswith("trucks (") for n in shown):
        shown = [n for n in shown if n != "trucks"]
    return shown


def display_name(name: str) -> str:
    """A cause or resource as the figure writes it: ``heavy equipment transporters`` for ``trucks (het)``;
    ``trucks (all types)`` when the replications do not tell the types apart; ``Apaches`` for ``apaches``."""
    if name == "trucks":
        return "trucks (all types)"
    if name.startswith("trucks (") and name.endswith(")"):
        kind = name[len("trucks (") : -1]
        return TRUCK_TYPES.get(kind, f"{kind} trucks")
    return RESOURCE_NAMES.get(name, name)


def spreads(rows: pd.DataFrame, prefix: str, names: tuple[str, ...], scale: float = 1.0) -> list[Spread]:
    """A :class:`Spread` per ``prefix.name`` column (times ``scale``), per truck type when recorded, largest mean first."""
    found = [spread(n, rows[f"{prefix}.{n}"].to_numpy(dtype=float) * scale) for n in with_truck_types(rows, prefix, names) if f"{prefix}.{n}" in rows]
    return sorted(found, key=lambda s: -s.mean)


def draw_bars(ax: Axes, found: list[Spread], color: str, gid: str) -> None:
    y = np.arange(len(found))
    means = np.array([s.mean for s in found])
    ax.barh(y, means, color=color, alpha=0.8, label="Mean", gid=gid)
    ax.hlines(y, [s.p10 for s in found], [s.p90 for s in found], color=BLACK, lw=0.8, label="P10-P90 of replications", gid=f"{gid}-p10-p90")
    ax.hlines(y, [s.ci_low for s in found], [s.ci_high for s in found], color=BLACK, lw=3.0, label="95% CI of the mean", gid=f"{gid}-ci")
    ax.set_yticks(y, [display_name(s.name) for s in found])
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")


def waits_figure(rows: pd.DataFrame, wait_causes: tuple[str, ...], resources: tuple[str, ...]) -> Figure:
    """Convoy-hours waited per replication by cause (left) and resource utilisation in % (right)."""
    if len(rows) == 0:
        raise ValueError("waits_figure needs at least one replication")
    with style_context():
        fig = Figure(layout="constrained", figsize=(10.0, 4.5))
        FigureCanvasAgg(fig)
        waits_ax, use_ax = fig.subplots(1, 2)
        draw_bars(waits_ax, spreads(rows, "wait_hours", wait_causes), ORANGE, "waits")
        waits_ax.set_xlabel("Convoy-hours waited per replication (convoy-hours)")
        waits_ax.set_ylabel("Cause of the wait")
        waits_ax.set_title("What convoys waited for")
        draw_bars(use_ax, spreads(rows, "utilisation", resources, scale=100.0), BLUE, "utilisation")
        use_ax.set_xlim(0, 100)
        use_ax.set_xlabel("Busy share of the time to base empty (%)")
        use_ax.set_ylabel("Resource")
        use_ax.set_title("How busy each resource was")
        fig.suptitle(f"Where the time goes: {len(rows)} replications")
    return fig
