"""What to find out first: each input's EVPPI on the window question beside its tornado swing, coloured by the kind
of its source."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.plots.style import BLACK, BLUE, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION, style_context

KIND_COLORS = {
    "seed": BLUISH_GREEN,
    "report": BLUE,
    "doctrine": SKY_BLUE,
    "precedent": REDDISH_PURPLE,
    "assumption": ORANGE,
    "unsourced": VERMILLION,
}
"""The colour of each kind of source: the guesses (assumption, unsourced) warm, the evidence cool."""


def evidence_figure(table: pd.DataFrame, window: tuple[float, float], rows: int = 15) -> Figure:
    """Two panels, the most to find out first on top: left, the share of the uncertainty of the verdict that knowing
    each input would settle (EVPPI, percent, 95% interval); right, its tornado swing of mean days to base empty.
    Bars are coloured by the kind of the input's source."""
    shown = table.head(rows).iloc[::-1]
    y = np.arange(len(shown))
    colors = [KIND_COLORS.get(kind, BLACK) for kind in shown["source_kind"]]
    with style_context():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, max(3.0, 0.42 * len(shown) + 1.6)), sharey=True, gridspec_kw={"width_ratios": [3, 2]})
        err = [(shown["evppi"] - shown["evppi_low"]).clip(lower=0), (shown["evppi_high"] - shown["evppi"]).clip(lower=0)]
        left.barh(y, shown["evppi"], xerr=err, color=colors, capsize=3)
        left.set_xlabel(f"knowing it settles this share of the uncertainty\nof 'in {window[0]:g}-{window[1]:g} days' (%, 95% interval)")
        swing_err = None
        if {"swing_days_low", "swing_days_high"} <= set(shown.columns):
            swing_err = [(shown["swing_days"] - shown["swing_days_low"]).clip(lower=0), (shown["swing_days_high"] - shown["swing_days"]).clip(lower=0)]
        right.barh(y, shown["swing_days"], xerr=swing_err, color=colors, capsize=3)
        right.set_xlabel("swing of mean days to base empty,\nP5 to P95 (days, 95% interval)")
        for ax in (left, right):
            ax.axvline(0, color="black", lw=0.8)
            ax.grid(axis="x")
            ax.grid(axis="y", visible=False)
        left.set_yticks(y, list(shown["label"]))
        kinds = [kind for kind in KIND_COLORS if kind in set(table["source_kind"])]
        left.legend(handles=[Patch(color=KIND_COLORS[k], label=k) for k in kinds], title="kind of source", loc="lower right")
        fig.suptitle("What to find out first: what knowing each input would settle, and what backs it")
    return fig
