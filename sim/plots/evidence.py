"""What to find out first: each input's EVPPI on what the study measured beside its tornado swing, coloured by the
kind of its source."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.analysis.measure import Measure
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


NOISE_NOTE = "A share estimated below 0% is noise around nothing: drawn at 0 (evidence.csv keeps the estimate)."
"""What the figure and its caption say of the left panel's clipping, as the console clips the same shares."""


def evidence_figure(table: pd.DataFrame, measure: Measure, rows: int = 15) -> Figure:
    """Two panels, the most to find out first on top: left, the share of the uncertainty of ``measure`` (what the
    study measured, as the console says it) that knowing each input would settle (EVPPI, percent, 95% interval);
    right, its tornado swing of the measure's mean days. Bars are coloured by the kind of the input's source.

    A share or interval end estimated below 0 is drawn at 0, as the console writes it (``7% (0-18%)``), and the
    figure says so under its panels; the table keeps the estimate."""
    shown = table.head(rows).iloc[::-1]
    y = np.arange(len(shown))
    colors = [KIND_COLORS.get(kind, BLACK) for kind in shown["source_kind"]]
    share = shown["evppi"].clip(lower=0)
    low, high = shown["evppi_low"].clip(lower=0), shown["evppi_high"].clip(lower=0)
    with style_context():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, max(3.0, 0.42 * len(shown) + 1.9)), sharey=True, gridspec_kw={"width_ratios": [3, 2]})
        err = [(share - low).clip(lower=0), (high - share).clip(lower=0)]
        left.barh(y, share, xerr=err, color=colors, capsize=3)
        left.set_xlabel(f"knowing it settles this share of the uncertainty\nof {measure.words} (%, 95% interval)")
        left.set_xlim(left=0)
        swing_err = None
        if {"swing_days_low", "swing_days_high"} <= set(shown.columns):
            swing_err = [(shown["swing_days"] - shown["swing_days_low"]).clip(lower=0), (shown["swing_days_high"] - shown["swing_days"]).clip(lower=0)]
        right.barh(y, shown["swing_days"], xerr=swing_err, color=colors, capsize=3)
        right.set_xlabel(f"swing of mean {measure.days_words},\nP5 to P95 (days, 95% interval)")
        for ax in (left, right):
            ax.axvline(0, color="black", lw=0.8)
            ax.grid(axis="x")
            ax.grid(axis="y", visible=False)
        left.set_yticks(y, list(shown["label"]))
        kinds = [kind for kind in KIND_COLORS if kind in set(table["source_kind"])]
        left.legend(handles=[Patch(color=KIND_COLORS[k], label=k) for k in kinds], title="kind of source", loc="lower right")
        fig.suptitle("What to find out first: what knowing each input would settle, and what backs it")
        if (shown[["evppi", "evppi_low"]] < 0).any().any():
            fig.text(0.01, 0.005, NOISE_NOTE, fontsize=8, ha="left", va="bottom")
    return fig
