"""How the closure forecast narrowed as reports came in, and the forecast before and after them.

Left: median and P10-P90 of the day the base empties (and the median of force closure)
against the day the forecast was made, from the prior (day 0) through each report.
Right: the prior and posterior distributions of the days to base empty.
Takes the rows of :func:`sim.analysis.nowcast.steps_table` and arrays; returns a Figure.
"""

from __future__ import annotations

import datetime

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sim.names import date_words
from sim.plots.completion import add_calendar_axis, day_bins, days_label
from sim.plots.style import BASE_EMPTY_COLOR, BLACK, FORCE_CLOSURE_COLOR, ORANGE, WINDOW_ALPHA, WINDOW_COLOR, overlap_color, style_context


def _stairs(rows: list[dict], key: str, last_day: float) -> tuple[np.ndarray, np.ndarray]:
    """A forecast holds from the day it is made until the next report: steps, extended to ``last_day``."""
    x = np.array([r["as_of_day"] for r in rows] + [last_day], dtype=float)
    y = np.array([r[key] for r in rows] + [rows[-1][key]], dtype=float)
    return x, y


def draw_narrowing(ax, rows: list[dict], window: tuple[float, float], truth_day: float | None = None) -> None:
    last = max(rows[-1]["as_of_day"] + 3, 7)
    ax.axhspan(*window, color=WINDOW_COLOR, alpha=WINDOW_ALPHA, lw=0, label=f"Window {window[0]:g}-{window[1]:g} days", gid="window")
    x, p10 = _stairs(rows, "base_empty_p10", last)
    _, p50 = _stairs(rows, "base_empty_p50", last)
    _, p90 = _stairs(rows, "base_empty_p90", last)
    _, force = _stairs(rows, "force_closure_p50", last)
    ax.fill_between(x, p10, p90, step="post", color=BASE_EMPTY_COLOR, alpha=0.25, lw=0, label="Base empty P10-P90", gid="band-base-empty")
    ax.step(x, p50, where="post", color=BASE_EMPTY_COLOR, lw=2, label="Base empty median", gid="median-base-empty")
    ax.step(x, force, where="post", color=FORCE_CLOSURE_COLOR, lw=1.2, ls="--", label="Force closure median", gid="median-force-closure")
    for r in rows[1:]:
        ax.axvline(r["as_of_day"], color=ORANGE, lw=0.8, ls=":", gid="report")
    if truth_day is not None:
        ax.axhline(truth_day, color=BLACK, lw=1, label=f"True day {truth_day:.1f}", gid="truth")
    ax.plot([], [], color=ORANGE, lw=0.8, ls=":", label="Reports known")
    if _meets(window, (float(np.min(p10)), float(np.max(p90)))):
        shades = ((WINDOW_COLOR, WINDOW_ALPHA), (BASE_EMPTY_COLOR, 0.25))
        ax.fill_between([], [], [], color=overlap_color(*shades), lw=0, label="Window and P10-P90 together")
    ax.set_xlim(0, last)
    ax.set_ylabel("Forecast day the base is empty (days since the start)")
    ax.set_title("Forecast as reports arrive")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncols=2)


def draw_prior_posterior(ax, days: np.ndarray, weights: np.ndarray, window: tuple[float, float]) -> None:
    bins = day_bins(days)
    ax.axvspan(*window, color=WINDOW_COLOR, alpha=WINDOW_ALPHA, lw=0, label=f"Window {window[0]:g}-{window[1]:g} days", gid="window")
    ax.hist(days, bins=bins, density=True, histtype="step", color=BLACK, lw=1.2, label="Prior (scenario)", gid="hist-prior")
    ax.hist(days, bins=bins, weights=weights, density=True, color=BASE_EMPTY_COLOR, alpha=0.6, label="Posterior (given reports)", gid="hist-posterior")
    ax.set_ylabel("Probability density (per day)")
    ax.set_title("Days to base empty: before and after the reports")
    if _meets(window, (float(days.min()), float(days.max()))):
        ax.fill_between([], [], [], color=overlap_color((WINDOW_COLOR, WINDOW_ALPHA), (BASE_EMPTY_COLOR, 0.6)), lw=0, label="Window and posterior together")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncols=2)


def _meets(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def nowcast_figure(
    rows: list[dict],
    days_to_base_empty: np.ndarray,
    weights: np.ndarray,
    window: tuple[float, float],
    start_date: datetime.date,
    ess: float,
    truth_day: float | None = None,
) -> Figure:
    """The narrowing of the forecast (left) and prior against posterior (right)."""
    if not rows:
        raise ValueError("nowcast_figure needs at least the prior row")
    days = np.asarray(days_to_base_empty, dtype=float)
    with style_context():
        fig = Figure(layout="constrained")
        FigureCanvasAgg(fig)
        left, right = fig.subplots(1, 2)
        draw_narrowing(left, rows, window, truth_day)
        left.set_xlabel(f"Day the forecast was made (days since {date_words(start_date)})")
        add_calendar_axis(left, start_date)
        draw_prior_posterior(right, days, np.asarray(weights, dtype=float), window)
        right.set_xlabel(days_label(start_date))
        add_calendar_axis(right, start_date)
        fig.suptitle(f"Nowcast: {len(rows) - 1} report dates, {days.size} replications, effective sample {ess:.0f}")
    return fig
