"""What moves the closure date: tornado bars, Sobol' indices with their intervals, Morris mu* against sigma.

Each function takes the table the estimator returned and gives back a Figure; save it
with :func:`sim.plots.completion.save_figure`. Outcomes read in their units: mean days to
base empty in days, the chance of the window in percent (tornado) or percentage points
(effects), Sobol' indices as percent of the variance.
"""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.names import label, pinned_words
from sim.plots.style import BLUE, ORANGE, SKY_BLUE, VERMILLION, style_context

UNRESOLVED = "#bdbdbd"
"""Grey of a Sobol' index whose 95% interval includes zero: the sample cannot tell it from no effect."""


@dataclass(frozen=True)
class Outcome:
    """What an analysis measured, as a figure writes it: ``mean days to base empty`` in ``days``, or the chance of
    the window in ``percentage points`` (its tables hold 0-1 shares, so ``scale`` is 100)."""

    words: str = "mean days to base empty"
    unit: str = "days"
    scale: float = 1.0


DAYS = Outcome()


def window_outcome(window: tuple[float, float]) -> Outcome:
    """The chance of emptying the base in the window, e.g. ``P(15-30 days)``, in percentage points."""
    return Outcome(f"P({window[0]:g}-{window[1]:g} days)", "percentage points", 100.0)


def _height(count: int) -> float:
    return max(3.0, 0.32 * count + 1.2)


_TORNADO_AXES = {"mean_days": ("days", 1.0), "p_by_day": ("%", 100.0), "p_window": ("%", 100.0)}


def tornado_figure(effects: pd.DataFrame, outputs: dict[str, str], top: int = 15) -> Figure:
    """One panel per output (``{"mean_days": "mean days to base empty", "p_window": "P(15-30 days)"}``): bars from the
    base value to each factor's low (light) and high (dark) value, largest swing on top; P(window) in percent. Each
    factor is named with the two values it was pinned at, in its unit (``military trucks`` / ``0 to 40``)."""
    table = effects.head(top).iloc[::-1]
    pinned = "pinned_low" in table.columns and "pinned_high" in table.columns  # a folder written before keeps its names alone
    height = max(3.0, 0.5 * len(table) + 1.2) if pinned else _height(len(table))  # two lines a factor: its name, its values
    with style_context():
        fig, axes = plt.subplots(1, len(outputs), figsize=(5.2 * len(outputs), height), sharey=True, squeeze=False)
        y = np.arange(len(table))
        for ax, (col, title) in zip(axes[0], outputs.items(), strict=True):
            unit, scale = _TORNADO_AXES.get(col, ("", 1.0))
            base = scale * float(table[f"{col}.base"].iloc[0])
            ax.barh(y, scale * table[f"{col}.low"] - base, left=base, color=SKY_BLUE, label="factor at its P5")
            ax.barh(y, scale * table[f"{col}.high"] - base, left=base, color=BLUE, label="factor at its P95")
            ax.axvline(base, color="black", lw=0.8)
            ax.set_title(title)
            ax.set_xlabel(f"{title} ({unit})" if unit else title)
            ax.grid(axis="x")
            ax.grid(axis="y", visible=False)
        names = [
            f"{label(f)}\n{pinned_words(str(f), lo, hi)}" if pinned else label(f)
            for f, lo, hi in zip(table.index, table.get("pinned_low", table.index), table.get("pinned_high", table.index), strict=True)
        ]
        axes[0][0].set_yticks(y, names)
        fig.legend(*axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
        fig.suptitle(
            "Around the baseline run (every input drawn): one factor at a time at its P5 and P95 (common random numbers)"
            if "p_by_day.base" in effects.columns
            else "One factor at a time, the others at their medians (common random numbers)"
        )
        fig.set_layout_engine("constrained")
    return fig


def resolved(estimate: pd.Series, half_width: pd.Series) -> pd.Series:
    """True where a Sobol' index is told apart from zero: its 95% interval lies wholly above 0."""
    return (estimate - half_width) > 0


def sobol_figure(table: pd.DataFrame, output: str = "mean days to base empty", top: int = 15) -> Figure:
    """First-order and total Sobol' indices per factor, in percent of the variance of ``output``, with 95% bootstrap
    intervals; largest total on top.

    An index whose interval includes zero is drawn grey and named so in the legend: the sample cannot tell it from no
    effect. A negative estimate (sampling noise: a share of variance cannot be negative) gets no bar, only its
    interval and a marker at its value."""
    table = table.sort_values("ST", ascending=False).head(top).iloc[::-1]
    with style_context():
        fig, ax = plt.subplots(figsize=(8.5, _height(len(table))), layout="constrained")
        y = np.arange(len(table))
        for key, offset, color, words in (("ST", 0.2, VERMILLION, "total (ST): alone and with interactions"), ("S1", -0.2, BLUE, "first order (S1): alone")):
            value, half = 100 * table[key], 100 * table[f"{key}_conf"]
            ok = resolved(table[key], table[f"{key}_conf"])
            colors = [color if good else UNRESOLVED for good in ok]
            ax.barh(y + offset, value.clip(lower=0), height=0.4, color=colors, label=words, gid=f"sobol-{key}")
            ax.hlines(y + offset, value - half, value + half, color="black", lw=0.9, gid=f"sobol-{key}-ci")
            negative = value < 0
            if negative.any():
                ax.plot(value[negative], (y + offset)[negative.to_numpy()], "x", color="black", ms=4, gid=f"sobol-{key}-negative")
        ax.set_yticks(y, [label(f) for f in table.index])
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlabel(f"share of the variance of {output} (%)")
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        handles, labels = ax.get_legend_handles_labels()
        handles = [Patch(color=VERMILLION), Patch(color=BLUE), Patch(color=UNRESOLVED), plt.Line2D([], [], color="black", marker="x", ls="", ms=4)]
        labels = [*labels, "grey: 95% interval includes 0 (not resolved)", "negative estimate (noise), no bar"]
        fig.legend(handles, labels, loc="outside lower center", ncols=2)
        totals, firsts = int(resolved(table["ST"], table["ST_conf"]).sum()), int(resolved(table["S1"], table["S1_conf"]).sum())
        ax.set_title(f"Sobol' indices of {output}\nresolved: {totals} of {len(table)} totals, {firsts} of {len(table)} first-order shares")
    return fig


def _spread_labels(targets: list[float], gap: float) -> list[float]:
    """Label heights (axes fraction) near ``targets`` (sorted ascending) at least ``gap`` apart, inside 0-1."""
    placed: list[float] = []
    for t in targets:
        placed.append(max(t, placed[-1] + gap) if placed else max(t, 0.0))
    overflow = placed[-1] - 1.0 if placed else 0.0
    if overflow > 0:
        placed = [p - overflow for p in placed]
        for i in range(len(placed) - 2, -1, -1):  # pushed down: keep the gaps from the top
            placed[i] = min(placed[i], placed[i + 1] - gap)
    return placed


def morris_figure(table: pd.DataFrame, output: str = "mean days to base empty", annotate: int = 10, outcome: Outcome | None = None) -> Figure:
    """Morris screening: mu* (how much a factor matters) against sigma (interactions, non-linearity), both in the
    outcome's unit. The largest ``annotate`` factors are named in a column beside the plot, each joined to its point,
    so that no two names overlap; the axes hold every interval whole."""
    outcome = outcome or Outcome(output, DAYS.unit, DAYS.scale)
    s = outcome.scale
    mu_star, conf, sigma = s * table["mu_star"], s * table["mu_star_conf"], s * table["sigma"]
    with style_context():
        fig, ax = plt.subplots(figsize=(9.0, 5.5), layout="constrained")
        ax.errorbar(mu_star, sigma, xerr=conf, fmt="o", color=BLUE, ecolor=SKY_BLUE, capsize=2, gid="morris-points")
        limit = float(max((mu_star + conf).max(), sigma.max(), 1e-9)) * 1.1
        ax.plot([0, limit], [0, limit], color=ORANGE, lw=0.8, ls="--", label="spread = mean effect (σ = μ*): above, the effect depends on other factors")
        ax.set_xlim(min(0.0, float((mu_star - conf).min()) * 1.1), limit)
        ax.set_ylim(0, limit)
        top = table.assign(_x=mu_star, _y=sigma).sort_values("_x", ascending=False).head(annotate).sort_values("_y")
        heights = _spread_labels([float(v) / limit for v in top["_y"]], gap=0.055)
        for (name, row), height in zip(top.iterrows(), heights, strict=True):
            ax.annotate(
                label(str(name)),
                (row["_x"], row["_y"]),
                xytext=(1.03, height),
                textcoords="axes fraction",
                fontsize=7,
                va="center",
                arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.5},
                annotation_clip=False,
                gid="morris-label",
            )
        ax.set_xlabel(f"mean absolute effect on {outcome.words}, μ* ({outcome.unit})")
        ax.set_ylabel(f"spread of the effects, σ ({outcome.unit})")
        ax.legend(loc="upper left")
        ax.set_title(f"Morris elementary effects on {outcome.words}")
    return fig
