"""Scenario discovery figures: PRIM's coverage/density trade-off and the chosen box over the data."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.analysis.discovery import Discovery
from sim.names import LABELS
from sim.plots.style import BLUE, SKY_BLUE, VERMILLION, WINDOW_COLOR, style_context


def discovery_figure(found: Discovery, x: pd.DataFrame, cases: np.ndarray, what: str = "in the window") -> Figure:
    """Left: the peeling trajectory (coverage against density, coloured by restricted inputs), the chosen box ringed.
    Right: the replications on the chosen box's first two inputs, cases of interest coloured, the box drawn."""
    traj = found.trajectory
    with style_context():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
        points = left.scatter(traj["coverage"], traj["density"], c=traj["res_dim"], cmap="viridis", s=18)
        chosen = traj.iloc[found.chosen]
        left.scatter([chosen["coverage"]], [chosen["density"]], s=120, facecolors="none", edgecolors=VERMILLION, lw=1.5, label="chosen box")
        fig.colorbar(points, ax=left, label="inputs restricted")
        left.set_xlabel("coverage: share of the cases of interest inside the box")
        left.set_ylabel("density: share of the box's cases of interest")
        left.set_xlim(0, 1.02)
        left.set_ylim(0, 1.02)
        left.legend(loc="lower left")
        left.set_title("PRIM peeling trajectory")
        _box_panel(right, found, x, np.asarray(cases, bool), what)
    return fig


def _box_panel(ax, found: Discovery, x: pd.DataFrame, cases: np.ndarray, what: str) -> None:
    names = list(found.box.index[:2])
    if not names:
        ax.text(0.5, 0.5, "no input restricted", ha="center", va="center", transform=ax.transAxes)
        return
    if len(names) == 1:
        other = next((c for c in x.columns if c != names[0]), names[0])
        names.append(other)
    a, b = names
    ax.scatter(x.loc[~cases, a], x.loc[~cases, b], s=6, color=SKY_BLUE, alpha=0.5, label="other")
    ax.scatter(x.loc[cases, a], x.loc[cases, b], s=6, color=BLUE, alpha=0.7, label=what)
    lo_a, hi_a = _range(found, x, a)
    lo_b, hi_b = _range(found, x, b)
    ax.add_patch(Rectangle((lo_a, lo_b), hi_a - lo_a, hi_b - lo_b, fill=False, edgecolor=WINDOW_COLOR, lw=2, label="box"))
    ax.set_xlabel(LABELS.get(a, a))
    ax.set_ylabel(LABELS.get(b, b))
    ax.legend(loc="upper right", markerscale=2)
    ax.set_title("Replications and the chosen box")


def _range(found: Discovery, x: pd.DataFrame, name: str) -> tuple[float, float]:
    if name in found.box.index:
        row = found.box.loc[name]
        return float(row["min"]), float(row["max"])
    return float(x[name].min()), float(x[name].max())
