"""What moves the closure date: tornado bars, Sobol' indices with their intervals, Morris mu* against sigma.

Each function takes the table the estimator returned and gives back a Figure; save it
with :func:`sim.plots.completion.save_figure`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.names import label
from sim.plots.style import BLUE, ORANGE, SKY_BLUE, VERMILLION, style_context


def _height(count: int) -> float:
    return max(3.0, 0.32 * count + 1.2)


def tornado_figure(effects: pd.DataFrame, outputs: dict[str, str], top: int = 15) -> Figure:
    """One panel per output (``{"mean_days": "mean days to base empty", ...}``): bars from the base value to each
    factor's low (light) and high (dark) value, largest swing on top."""
    table = effects.head(top).iloc[::-1]
    with style_context():
        fig, axes = plt.subplots(1, len(outputs), figsize=(5.2 * len(outputs), _height(len(table))), sharey=True, squeeze=False)
        y = np.arange(len(table))
        for ax, (col, title) in zip(axes[0], outputs.items(), strict=True):
            base = float(table[f"{col}.base"].iloc[0])
            ax.barh(y, table[f"{col}.low"] - base, left=base, color=SKY_BLUE, label="factor at P5")
            ax.barh(y, table[f"{col}.high"] - base, left=base, color=BLUE, label="factor at P95")
            ax.axvline(base, color="black", lw=0.8)
            ax.set_title(title)
            ax.grid(axis="x")
            ax.grid(axis="y", visible=False)
        axes[0][0].set_yticks(y, [label(f) for f in table.index])
        axes[0][0].legend(loc="lower right")
        fig.suptitle("One factor at a time, the others at their medians (common random numbers)")
    return fig


def sobol_figure(table: pd.DataFrame, output: str = "mean days to base empty", top: int = 15) -> Figure:
    """First-order and total Sobol' indices per factor with 95% bootstrap whiskers, largest total on top."""
    table = table.sort_values("ST", ascending=False).head(top).iloc[::-1]
    with style_context():
        fig, ax = plt.subplots(figsize=(8, _height(len(table))))
        y = np.arange(len(table))
        ax.barh(y + 0.2, table["ST"], height=0.4, xerr=table["ST_conf"], color=VERMILLION, label="total (ST)", capsize=2)
        ax.barh(y - 0.2, table["S1"], height=0.4, xerr=table["S1_conf"], color=BLUE, label="first order (S1)", capsize=2)
        ax.set_yticks(y, [label(f) for f in table.index])
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(f"share of the variance of {output}")
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right")
        ax.set_title("Sobol' indices with 95% bootstrap intervals")
    return fig


def morris_figure(table: pd.DataFrame, output: str = "mean days to base empty", annotate: int = 10) -> Figure:
    """Morris screening: mu* (how much a factor matters) against sigma (interactions, non-linearity)."""
    with style_context():
        fig, ax = plt.subplots(figsize=(7.5, 5.5))
        ax.errorbar(table["mu_star"], table["sigma"], xerr=table["mu_star_conf"], fmt="o", color=BLUE, ecolor=SKY_BLUE, capsize=2)
        for name, row in table.sort_values("mu_star", ascending=False).head(annotate).iterrows():
            ax.annotate(label(str(name)), (row["mu_star"], row["sigma"]), fontsize=7, xytext=(4, 3), textcoords="offset points")
        limit = float(max(table["mu_star"].max(), table["sigma"].max(), 1e-9)) * 1.1
        ax.plot([0, limit], [0, limit], color=ORANGE, lw=0.8, ls="--", label="sigma = mu*")
        ax.set_xlim(0, limit)
        ax.set_ylim(0, limit)
        ax.set_xlabel(f"mu*: mean absolute effect on {output}")
        ax.set_ylabel("sigma: spread of the effects")
        ax.legend(loc="upper left")
        ax.set_title("Morris elementary effects")
    return fig
