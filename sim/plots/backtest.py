"""Backtest figure: for each past withdrawal, the model's 80% interval and median and a planner's paper forecast against the reported range."""

from __future__ import annotations

import math

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sim.plots.style import BASE_EMPTY_COLOR, WINDOW_ALPHA, WINDOW_COLOR, style_context


def backtest_figure(table: pd.DataFrame) -> Figure:
    """One row a case (its own axis, in its own unit): the reported range shaded, the model's P10-P90 as a bar, P50 as
    a dot, the paper forecast as a black diamond; the title says who wins the case and the skill.

    ``table`` has the columns of ``backtest.csv``: case, what, measure, unit, reported_low,
    reported_high, p10, p50, p90, paper, crps_model, crps_paper, skill, verdict.
    """
    with style_context():
        fig = Figure(figsize=(9.0, 1.2 + 1.4 * len(table)), layout="constrained")
        axes = fig.subplots(len(table), 1, squeeze=False)[:, 0]
        for ax, (_, row) in zip(axes, table.iterrows(), strict=True):
            ax.axvspan(row["reported_low"], row["reported_high"] + 1e-9, color=WINDOW_COLOR, alpha=2 * WINDOW_ALPHA, lw=0)
            high = row["p90"] if math.isfinite(row["p90"]) else max(row["reported_high"], row["p50"]) * 1.5
            ax.hlines(0, row["p10"], high, color=BASE_EMPTY_COLOR, lw=6)
            ax.plot([row["p50"]], [0], "o", color="white", mec=BASE_EMPTY_COLOR, mew=2, ms=9)
            ax.plot([row["paper"]], [0.45], "D", color="black", ms=7)
            ax.set_yticks([])
            ax.set_ylim(-1, 1)
            lo = min(row["reported_low"], row["p10"], row["paper"])
            hi = max(row["reported_high"], high, row["paper"])
            pad = 0.15 * max(hi - lo, 1.0)
            ax.set_xlim(max(0.0, lo - pad), hi + pad)
            unit = row["unit"]
            ax.set_xlabel(f"{row['measure']}, {unit}   (typical error, CRPS: model {row['crps_model']:.2f} {unit}, paper {row['crps_paper']:.2f} {unit})")
            ax.set_title(f"{row['what']}: {row['verdict']}", fontsize="medium", loc="left")
        legend = [
            Patch(color=WINDOW_COLOR, alpha=2 * WINDOW_ALPHA, label="reported range"),
            Line2D([], [], color=BASE_EMPTY_COLOR, lw=6, label="model, P10 to P90"),
            Line2D([], [], marker="o", ls="", color="white", mec=BASE_EMPTY_COLOR, mew=2, label="model, median"),
            Line2D([], [], marker="D", ls="", color="black", label="paper forecast (planning factors)"),
        ]
        fig.legend(handles=legend, loc="outside lower center", ncols=4, frameon=False)
        wins = int(table["model_wins"].sum())
        fig.suptitle(f"Backtests: the model against a paper forecast, model wins {wins} of {len(table)}")
    return fig
