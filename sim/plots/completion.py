"""When is the base empty? Histogram and ECDF of the closure days, against the planning window.

Takes arrays of days (one per replication) and returns a Figure; the caller saves it
with :func:`save_figure`. Day 0 is ``start_date`` at 00:00 (the simulation clock's origin).
"""

from __future__ import annotations

import datetime
import os
import tempfile
from pathlib import Path

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from sim.names import date_words, share
from sim.plots.style import BASE_EMPTY_COLOR, DPI, FORCE_CLOSURE_COLOR, WINDOW_ALPHA, WINDOW_COLOR, style_context

FORMATS = ("png", "svg")


def window_labels(window: tuple[float, float]) -> dict[str, str]:
    """The three window outcomes as written on figures: ``P(< 15)``, ``P(15-30)``, ``P(> 30)``."""
    low, high = window
    return {"p_under": f"P(< {low:g})", "p_within": f"P({low:g}-{high:g})", "p_over": f"P(> {high:g})"}


def probability_text(probabilities: dict[str, float], window: tuple[float, float]) -> str:
    """One line per window outcome, e.g. ``P(15-30) = 61%`` or ``P(< 15) = 0.4%`` (probabilities as 0-1 fractions;
    a nonzero one never reads as 0%)."""
    return "\n".join(f"{label} = {share(probabilities[key])}" for key, label in window_labels(window).items())


def ecdf(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted days and the share of replications finished by each (steps up to 1)."""
    x = np.sort(np.asarray(days, dtype=float))
    return x, np.arange(1, len(x) + 1) / len(x)


def day_bins(*samples: np.ndarray) -> np.ndarray:
    """Whole-day bin edges covering every sample."""
    values = np.concatenate([np.asarray(s, dtype=float) for s in samples])
    first, last = np.floor(values.min()), np.ceil(values.max())
    return np.arange(first, max(last, first + 1) + 1)


def shade_window(ax: Axes, window: tuple[float, float]) -> None:
    low, high = window
    ax.axvspan(low, high, color=WINDOW_COLOR, alpha=WINDOW_ALPHA, lw=0, label=f"Window {low:g}-{high:g} days", gid="window")


def add_calendar_axis(ax: Axes, start_date: datetime.date) -> None:
    """A top axis giving the calendar date of each day (day 0 = ``start_date`` 00:00)."""
    origin = mdates.date2num(datetime.datetime.combine(start_date, datetime.time()))
    top = ax.secondary_xaxis("top", functions=(lambda d: d + origin, lambda n: n - origin))
    top.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=7))
    top.xaxis.set_major_formatter(FuncFormatter(lambda n, _: date_words(mdates.num2date(n), year=False)))
    top.set_xlabel(f"Calendar date ({start_date.year})")


def days_label(start_date: datetime.date) -> str:
    """The day axis: ``Days since 23 Feb 2026 (days)``, day 0 being the start date at 00:00."""
    return f"Days since {date_words(start_date)} (days)"


def draw_histogram(ax: Axes, base_empty: np.ndarray, force_closure: np.ndarray, window: tuple[float, float]) -> None:
    bins = day_bins(base_empty, force_closure)
    shade_window(ax, window)
    # matplotlib's stubs want a Sequence for bins; an array of edges is what its docs and code take
    ax.hist(base_empty, bins=bins, color=BASE_EMPTY_COLOR, alpha=0.75, label="Base empty", gid="hist-base-empty")  # type: ignore[arg-type]
    ax.hist(force_closure, bins=bins, histtype="step", color=FORCE_CLOSURE_COLOR, lw=1.5, label="Force closure", gid="hist-force-closure")  # type: ignore[arg-type]
    ax.set_ylabel("Replications (count per day)")
    ax.set_title("Distribution")
    ax.legend(loc="upper right")


def draw_ecdf(ax: Axes, base_empty: np.ndarray, force_closure: np.ndarray, window: tuple[float, float], text: str) -> None:
    shade_window(ax, window)
    ax.step(*ecdf(base_empty), where="post", color=BASE_EMPTY_COLOR, lw=1.8, label="Base empty", gid="ecdf-base-empty")
    ax.step(*ecdf(force_closure), where="post", color=FORCE_CLOSURE_COLOR, lw=1.5, ls="--", label="Force closure", gid="ecdf-force-closure")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("Share of replications finished (%)")
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_title("Cumulative share finished")
    ax.legend(loc="lower right")
    ax.text(
        0.03,
        0.97,
        text,
        transform=ax.transAxes,
        va="top",
        ha="left",
        fontsize=9,
        gid="window-probabilities",
        bbox={"facecolor": "white", "edgecolor": "#bbbbbb"},
    )


def completion_figure(
    days_base_empty: np.ndarray,
    days_force_closure: np.ndarray,
    window: tuple[float, float],
    start_date: datetime.date,
    probabilities: dict[str, float],
) -> Figure:
    """Days to base empty and to force closure: histogram (left) and ECDF (right), window shaded.

    ``probabilities`` holds ``p_under``, ``p_within`` and ``p_over`` (0-1 fractions) of the
    window, as computed by the caller; they are written on the ECDF panel.
    """
    base_empty = np.asarray(days_base_empty, dtype=float)
    force_closure = np.asarray(days_force_closure, dtype=float)
    if base_empty.size == 0 or force_closure.size == 0:
        raise ValueError("completion_figure needs at least one replication in each sample")
    with style_context():
        fig = Figure(layout="constrained")
        FigureCanvasAgg(fig)  # so fig.canvas.draw() renders, as for a pyplot figure
        hist_ax, ecdf_ax = fig.subplots(1, 2, sharex=True)
        draw_histogram(hist_ax, base_empty, force_closure, window)
        draw_ecdf(ecdf_ax, base_empty, force_closure, window, probability_text(probabilities, window))
        for ax in (hist_ax, ecdf_ax):
            ax.set_xlabel(days_label(start_date))
            add_calendar_axis(ax, start_date)
        fig.suptitle(f"Days to base empty and to force closure: {base_empty.size} replications, window {window[0]:g}-{window[1]:g} days")
    return fig


def _save_atomically(fig: Figure, path: Path, fmt: str) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            fig.savefig(out, format=fmt, dpi=DPI, bbox_inches="tight")
        os.chmod(temporary, 0o644)  # mkstemp makes files private; figures are for sharing
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def save_figure(fig: Figure, path_without_suffix: str | Path) -> list[Path]:
    """Write ``fig`` as PNG and SVG next to each other (each atomically), close it, return the paths."""
    stem = Path(path_without_suffix)
    stem.parent.mkdir(parents=True, exist_ok=True)
    paths = []
    try:
        for fmt in FORMATS:
            path = stem.with_name(f"{stem.name}.{fmt}")
            _save_atomically(fig, path, fmt)
            paths.append(path)
    finally:
        plt.close(fig)
    return paths
