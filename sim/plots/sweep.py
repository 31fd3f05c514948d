"""Sweeps: how the chance of emptying the base in the window moves with each factor.

A sweep runs replications at design points (``design.parquet``: one row per point,
a ``point`` column and one column per factor, by dotted path). From the replication
table (one row per replication, with its ``point`` and ``days_to_base_empty``) this
module computes P(in window) with 95% Wilson intervals, pooled over the other factors
for each value of one factor (values binned when a factor takes many), and draws:

- :func:`factor_figure`: P(in window) against each factor, with its CI band;
- :func:`heatmap_figure`: P(in window) for every pair of values of two gridded factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.analysis.statistics import proportion
from sim.experiment.manifest import read_manifest
from sim.names import label
from sim.plots.completion import window_labels
from sim.plots.style import BLUE, axis_words, style_context, whole_number_ticks

GRID_LEVELS_MAX = 12
"""A factor with at most this many distinct values is treated as gridded; more are binned."""

BINS = 8
DEFAULT_WINDOW = (15.0, 30.0)


@dataclass(frozen=True)
class Sweep:
    """A sweep's replications, each with the factor values of its design point."""

    rows: pd.DataFrame
    factors: tuple[str, ...]
    window: tuple[float, float]


def sweep_from_tables(design: pd.DataFrame, replications: pd.DataFrame, window: tuple[float, float]) -> Sweep:
    """Join replications to their design point's factor values (``point`` in both tables)."""
    design = design if "point" in design else design.rename_axis("point").reset_index()
    factors = tuple(c for c in design.columns if c != "point" and pd.api.types.is_numeric_dtype(design[c]))
    kept = replications[["point", "days_to_base_empty"]]
    return Sweep(kept.merge(design[["point", *factors]], on="point", how="inner"), factors, window)


def read_sweep(folder: Path) -> Sweep:
    """A sweep folder: ``design.parquet``, the ``replications.parquet`` dataset, the window from ``manifest.json``."""
    window = DEFAULT_WINDOW
    manifest = folder / "manifest.json"
    if manifest.exists():
        found = read_manifest(folder).scenario.get("scenario", {}).get("window_days")
        if found:
            low, high = found
            window = (float(low), float(high))
    design = pd.read_parquet(folder / "design.parquet")
    replications = pd.read_parquet(folder / "replications.parquet", columns=["point", "days_to_base_empty"])
    return sweep_from_tables(design, replications, window)


def in_window(days: pd.Series, window: tuple[float, float]) -> pd.Series:
    return (days >= window[0]) & (days <= window[1])


def factor_levels(values: pd.Series) -> pd.Series:
    """The x value each replication is pooled under: the factor's value, or the mean of its quantile bin."""
    if values.nunique() <= GRID_LEVELS_MAX:
        return values
    bins = pd.qcut(values, BINS, duplicates="drop")
    return values.groupby(bins, observed=True).transform("mean")


def by_factor(sweep: Sweep, factor: str) -> pd.DataFrame:
    """P(in window) and its 95% CI at each level of ``factor`` (other factors pooled): level, n, estimate, ci_low, ci_high."""
    hit = in_window(sweep.rows["days_to_base_empty"], sweep.window)
    groups = hit.groupby(factor_levels(sweep.rows[factor]).to_numpy())
    out = []
    for level, hits in groups:
        p = proportion(int(hits.sum()), len(hits))
        out.append({"level": float(level), "n": len(hits), "estimate": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high})
    return pd.DataFrame(out).sort_values("level", ignore_index=True)


def heatmap_factors(sweep: Sweep) -> tuple[str, str] | None:
    """The first two gridded factors (each with 2 to ``GRID_LEVELS_MAX`` values), if there are two."""
    gridded = [f for f in sweep.factors if 2 <= sweep.rows[f].nunique() <= GRID_LEVELS_MAX]
    return (gridded[0], gridded[1]) if len(gridded) >= 2 else None


def heatmap_table(sweep: Sweep, x: str, y: str) -> pd.DataFrame:
    """P(in window) for each (y value, x value) cell, rows y ascending, columns x ascending."""
    hit = in_window(sweep.rows["days_to_base_empty"], sweep.window).astype(float)
    return hit.groupby([sweep.rows[y], sweep.rows[x]]).mean().unstack(x).sort_index().sort_index(axis=1)


def heatmap_cells(sweep: Sweep, x: str, y: str) -> pd.DataFrame:
    """Each (x value, y value) cell: replications n, P(in window) and its 95% Wilson interval (the other factors pooled)."""
    hit = in_window(sweep.rows["days_to_base_empty"], sweep.window)
    out = []
    for (yv, xv), hits in hit.groupby([sweep.rows[y], sweep.rows[x]]):
        p = proportion(int(hits.sum()), len(hits))
        out.append({"x": float(xv), "y": float(yv), "n": len(hits), "estimate": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high})
    return pd.DataFrame(out)


def pooled_over(sweep: Sweep, *shown: str) -> str:
    """What a panel showing the ``shown`` factors averages over: ``averaged over escort teams 2-6`` (the other factors' ranges)."""
    others = [f for f in sweep.factors if f not in shown]
    if not others:
        return "no other factor varies"
    spans = []
    for other in others:
        values = sweep.rows[other]
        low, high = float(values.min()), float(values.max())
        spans.append(f"{label(other)} {low:g}-{high:g}" if high > low else f"{label(other)} {low:g}")
    return "averaged over " + ", ".join(spans)


def probability_label(window: tuple[float, float]) -> str:
    return f"{window_labels(window)['p_within']}: base empty within the window (%)"


def draw_factor(ax: Axes, table: pd.DataFrame, factor: str, window: tuple[float, float], pooled: str = "") -> None:
    """P(in window) against one factor with its 95% CI band, each point's replications written above it."""
    x = table["level"].to_numpy()
    ax.fill_between(x, 100 * table["ci_low"], 100 * table["ci_high"], color=BLUE, alpha=0.2, lw=0, label="95% CI", gid="ci-band")
    ax.plot(x, 100 * table["estimate"], color=BLUE, marker="o", ms=4, lw=1.6, label="Estimate", gid="estimate")
    for level, n, high in zip(x, table["n"], table["ci_high"], strict=True):
        ax.annotate(f"n={n:,}", (level, 100 * high), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=6, color="#555555", gid="n")
    ax.set_ylim(0, 100)
    ax.set_xlabel(axis_words(factor))
    ax.set_ylabel(probability_label(window))
    whole_number_ticks(ax, factor)
    ax.set_title(f"{label(factor)}\n{pooled}" if pooled else label(factor), fontsize=9)


def factor_figure(sweep: Sweep) -> Figure:
    """P(in window) against each factor of the sweep, with its 95% CI band and the replications behind each point;
    each panel says which factors it averages over."""
    if not sweep.factors or sweep.rows.empty:
        raise ValueError("factor_figure needs a sweep with at least one factor and one replication")
    n = len(sweep.factors)
    cols = min(n, 3)
    with style_context():
        fig = Figure(layout="constrained", figsize=(3.9 * cols + 0.5, 3.7 * ((n + cols - 1) // cols) + 0.8))
        FigureCanvasAgg(fig)
        axes = np.atleast_1d(fig.subplots((n + cols - 1) // cols, cols, squeeze=False)).ravel()
        for ax, factor in zip(axes, sweep.factors, strict=False):
            draw_factor(ax, by_factor(sweep, factor), factor, sweep.window, pooled_over(sweep, factor))
            ax.set_gid(f"factor-{factor}")
        for ax in axes[n:]:
            ax.set_visible(False)
        fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=2)
        low, high = sweep.window
        fig.suptitle(f"Chance the base empties in {low:g}-{high:g} days, by factor: {len(sweep.rows):,} replications")
    return fig


def heatmap_figure(sweep: Sweep, x: str, y: str) -> Figure:
    """P(in window) over a grid of two factors; each cell written in % with its 95% CI and its replications n."""
    table = heatmap_table(sweep, x, y)
    cells = heatmap_cells(sweep, x, y)
    values = 100 * table.to_numpy(dtype=float)
    with style_context():
        fig = Figure(layout="constrained", figsize=(1.2 * table.shape[1] + 3.5, 0.75 * table.shape[0] + 2.8))
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        image = ax.imshow(values, origin="lower", cmap="cividis", vmin=0, vmax=100, aspect="auto", gid="heatmap")
        ax.set_xticks(range(table.shape[1]), [f"{v:g}" for v in table.columns])
        ax.set_yticks(range(table.shape[0]), [f"{v:g}" for v in table.index])
        columns, rows = list(table.columns), list(table.index)
        for cell in cells.itertuples(index=False):
            i, j, v = rows.index(cell.y), columns.index(cell.x), 100 * cell.estimate
            text = f"{v:.0f}%\n{100 * cell.ci_low:.0f}-{100 * cell.ci_high:.0f}%\nn={cell.n:,}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, linespacing=1.1, color="white" if v < 55 else "black", gid="cell")
        ax.grid(False)
        ax.set_xlabel(axis_words(x))
        ax.set_ylabel(axis_words(y))
        fig.colorbar(image, ax=ax, label=probability_label(sweep.window))
        fig.suptitle(f"Chance the base empties in {sweep.window[0]:g}-{sweep.window[1]:g} days: estimate, 95% CI, replications")
        ax.set_title(pooled_over(sweep, x, y), fontsize=8)
    return fig
