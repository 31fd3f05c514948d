"""Marginal value figure: days saved and change in P(window) per added resource, with 95% intervals."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.plots.style import BLUE, BLUISH_GREEN, style_context


def marginal_figure(table: pd.DataFrame, window: tuple[float, float], measure=None) -> Figure:
    """Two panels, best first by the study's measure: mean days sooner, and the change in P(out by day D) in points
    (P(window) for a table written before), each with its CI."""
    table = table.iloc[::-1]
    y = np.arange(len(table))
    with style_context():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, max(3.0, 0.45 * len(table) + 1.2)), sharey=True)
        err = [table["days_saved"] - table["days_saved_low"], table["days_saved_high"] - table["days_saved"]]
        left.barh(y, table["days_saved"], xerr=err, color=BLUE, capsize=3)
        left.set_xlabel("days sooner (days): mean and 95% CI")
        key = "p_by_day" if "p_by_day_change" in table.columns else "p_window"
        words = (
            (measure.by_day_words if measure is not None else f"P(out by day {window[1]:g})") if key == "p_by_day" else f"P({window[0]:g}-{window[1]:g} days)"
        )
        pts = 100 * table[f"{key}_change"]
        perr = [pts - 100 * table[f"{key}_change_low"], 100 * table[f"{key}_change_high"] - pts]
        right.barh(y, pts, xerr=perr, color=BLUISH_GREEN, capsize=3)
        right.set_xlabel(f"change in {words} (percentage points): mean and 95% CI")
        for ax in (left, right):
            ax.axvline(0, color="black", lw=0.8)
            ax.grid(axis="x")
            ax.grid(axis="y", visible=False)
        left.set_yticks(y, list(table.index))
        fig.suptitle("What one more of each resource buys, best first (common random numbers)")
    return fig
