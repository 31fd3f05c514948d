"""Scenario discovery figures: PRIM's coverage/density trade-off and the chosen box over the data.

The right-hand panels show the replications on the box's restricted inputs, two at a time,
strongest first (up to six inputs). Inputs a sweep set on a grid take few values, so their
replications would sit on top of each other: a pair of gridded inputs is drawn as one disc per
grid cell (its area the replications there, its colour the share meeting the target), and a
single gridded input is jittered across its step.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

from sim.analysis.discovery import Discovery
from sim.plots.style import BLUE, SKY_BLUE, VERMILLION, WINDOW_COLOR, axis_words, style_context, whole_number_ticks

GRID_LEVELS_MAX = 12
"""An input with at most this many distinct values is on a grid (a sweep's factor)."""

PAIRS_MAX = 3
"""Box panels drawn at most: the six strongest restricted inputs, two by two."""


def box_pairs(found: Discovery, x: pd.DataFrame) -> list[tuple[str, str]]:
    """The restricted inputs two by two, strongest first; an odd one out is paired with the input that varies most."""
    names = list(found.box.index[: 2 * PAIRS_MAX])
    if not names:
        return []
    if len(names) % 2:
        spare = next((c for c in x.columns if c not in names and x[c].nunique() > 1), None)
        names.append(spare or names[-1])
    return [(names[i], names[i + 1]) for i in range(0, len(names), 2)]


def discovery_figure(found: Discovery, x: pd.DataFrame, cases: np.ndarray, what: str = "in the window") -> Figure:
    """Left: the peeling trajectory (coverage against density, in %, coloured by restricted inputs), the chosen box
    ringed. Right: the replications on the chosen box's strongest inputs, cases of interest dark, the box drawn;
    the legend sits below the panels, off the data."""
    traj = found.trajectory
    pairs = box_pairs(found, x)
    panels = max(1, len(pairs))
    with style_context():
        fig, axes = plt.subplots(1, 1 + panels, figsize=(5.2 * (1 + panels), 5.2), layout="constrained", squeeze=False)
        left, boxes = axes[0][0], list(axes[0][1:])
        points = left.scatter(100 * traj["coverage"], 100 * traj["density"], c=traj["res_dim"], cmap="viridis", s=18)
        chosen = traj.iloc[found.chosen]
        left.scatter([100 * chosen["coverage"]], [100 * chosen["density"]], s=120, facecolors="none", edgecolors=VERMILLION, lw=1.5)
        bar = fig.colorbar(points, ax=left, label="inputs restricted (count)", location="bottom", shrink=0.8)
        bar.ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        left.set_xlabel("coverage: share of the cases of interest inside the box (%)")
        left.set_ylabel("density: share of the box's cases of interest (%)")
        left.set_xlim(0, 102)
        left.set_ylim(0, 102)
        left.set_title("PRIM peeling trajectory")
        cases = np.asarray(cases, bool)
        if not pairs:
            boxes[0].text(0.5, 0.5, "no input restricted", ha="center", va="center", transform=boxes[0].transAxes)
            boxes[0].set_axis_off()
        for ax, (a, b) in zip(boxes, pairs, strict=False):
            _box_panel(ax, found, x, cases, a, b)
        handles = [
            Line2D([], [], marker="o", ls="", mfc="none", mec=VERMILLION, ms=9, mew=1.5),
            Line2D([], [], marker="o", ls="", color=BLUE, ms=5),
            Line2D([], [], marker="o", ls="", color=SKY_BLUE, ms=5),
            Patch(fill=False, edgecolor=WINDOW_COLOR, lw=2),
        ]
        fig.legend(handles, ["chosen box", f"meets the target: {what}", "does not", "the chosen box's limits"], loc="outside lower center", ncols=4)
        fig.suptitle(f"Scenario discovery (PRIM): {what}")
    return fig


def _gridded(values: pd.Series) -> bool:
    return values.nunique() <= GRID_LEVELS_MAX


def _jitter(values: pd.Series, rng: np.random.Generator) -> np.ndarray:
    """A gridded input's values spread across a third of its step, so that replications at one level do not hide each other."""
    levels = np.unique(values.to_numpy(float))
    step = float(np.diff(levels).min()) if len(levels) > 1 else 1.0
    return values.to_numpy(float) + rng.uniform(-step / 6, step / 6, len(values))


def _box_panel(ax: Axes, found: Discovery, x: pd.DataFrame, cases: np.ndarray, a: str, b: str) -> None:
    if _gridded(x[a]) and _gridded(x[b]):
        cells = pd.DataFrame({"a": x[a], "b": x[b], "case": cases}).groupby(["a", "b"])["case"].agg(["size", "mean"]).reset_index()
        area = 400 * cells["size"] / cells["size"].max()
        ax.scatter(cells["a"], cells["b"], s=area, c=100 * cells["mean"], cmap="cividis", vmin=0, vmax=100, edgecolors="black", lw=0.4, gid="cells")
        mappable = ax.collections[-1]
        ax.figure.colorbar(mappable, ax=ax, label="share meeting the target (%)", location="bottom", shrink=0.8)
        ax.set_title("Replications per grid cell (disc area) and the chosen box", fontsize=9)
    else:
        rng = np.random.default_rng(0)  # the same picture on every redraw
        xa = _jitter(x[a], rng) if _gridded(x[a]) else x[a].to_numpy(float)
        xb = _jitter(x[b], rng) if _gridded(x[b]) else x[b].to_numpy(float)
        ax.scatter(xa[~cases], xb[~cases], s=6, color=SKY_BLUE, alpha=0.5, gid="other")
        ax.scatter(xa[cases], xb[cases], s=6, color=BLUE, alpha=0.7, gid="cases")
        ax.set_title("Replications and the chosen box", fontsize=9)
    lo_a, hi_a = _range(found, x, a)
    lo_b, hi_b = _range(found, x, b)
    ax.add_patch(Rectangle((lo_a, lo_b), hi_a - lo_a, hi_b - lo_b, fill=False, edgecolor=WINDOW_COLOR, lw=2, gid="box"))
    ax.set_xlabel(axis_words(a))
    ax.set_ylabel(axis_words(b))
    whole_number_ticks(ax, a, "x")
    whole_number_ticks(ax, b, "y")


def _range(found: Discovery, x: pd.DataFrame, name: str) -> tuple[float, float]:
    if name in found.box.index:
        row = found.box.loc[name]
        return float(row["min"]), float(row["max"])
    return float(x[name].min()), float(x[name].max())
