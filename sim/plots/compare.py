"""Two scenarios side by side: their ECDFs of days to base empty overlaid, and the paired difference.

Replication ``i`` of both scenarios shares its random numbers (common random numbers),
so the difference ``B - A`` of replication ``i`` isolates the effect of what changed.
:func:`compare_figure` takes the two samples (days) and the paired differences (days).
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.analysis.statistics import mean_interval, signed, window_probabilities
from sim.experiment.manifest import read_manifest
from sim.names import share
from sim.plots.completion import add_calendar_axis, days_label, ecdf, shade_window, window_labels
from sim.plots.style import BLACK, BLUE, ORANGE, style_context

DEFAULT_START = datetime.date(2026, 2, 23)


@dataclass(frozen=True)
class Comparison:
    """Days to base empty of two scenarios, paired by replication index (``b - a`` is the effect)."""

    label_a: str
    label_b: str
    days_a: np.ndarray
    days_b: np.ndarray
    window: tuple[float, float] = (15.0, 30.0)
    start_date: datetime.date = DEFAULT_START
    whose: str = ""
    """Whose days these are when the folder says (a theatre's main base: ``Qasrak (the main base)``); empty: the base."""

    @property
    def difference(self) -> np.ndarray:
        """``B - A`` in days, replication by replication."""
        return np.asarray(self.days_b, dtype=float) - np.asarray(self.days_a, dtype=float)


def paired(a: pd.DataFrame, b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Days to base empty of the replications both runs have, in replication order."""
    both = a[["replication", "days_to_base_empty"]].merge(b[["replication", "days_to_base_empty"]], on="replication", suffixes=("_a", "_b"))
    both = both.sort_values("replication")
    return both["days_to_base_empty_a"].to_numpy(float), both["days_to_base_empty_b"].to_numpy(float)


def compared_runs(folder: Path) -> list[Path]:
    """The run folders inside a compare folder (sub-folders holding ``replications.parquet``), by name."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and (p / "replications.parquet").exists())


PAIRED_FILE = "paired_days.parquet"
"""What ``evacsim compare`` writes: replication, days_a, days_b (days to base empty)."""


def is_compare_folder(folder: Path) -> bool:
    return ((folder / PAIRED_FILE).exists() and (folder / "manifest.json").exists()) or len(compared_runs(folder)) == 2


def _read_compare_output(folder: Path) -> Comparison:
    """The folder ``evacsim compare`` writes: paired days and a manifest with both scenarios."""
    table = pd.read_parquet(folder / PAIRED_FILE).sort_values("replication")
    manifest = read_manifest(folder, "compare")
    scenarios = manifest.scenario
    meta_a = scenarios.get("a", {}).get("scenario", {})
    meta_b = scenarios.get("b", {}).get("scenario", {})
    label_a, label_b = meta_a.get("name", "A"), meta_b.get("name", "B")
    overrides = [str(o) for o in manifest.overrides]
    if overrides:  # --set applies to B: say what was set, not only that something was
        label_b = f"{label_b} with {', '.join(overrides)}"
    elif label_a == label_b:
        label_b = f"{label_b} (B)"
    low, high = meta_a.get("window_days", (15.0, 30.0))
    window = (float(low), float(high))
    start = datetime.datetime.fromisoformat(meta_a["start"]).date() if "start" in meta_a else DEFAULT_START
    whose = ""
    try:  # comparison.json names a theatre's main base, whose days these are
        base = json.loads((folder / "comparison.json").read_text(encoding="utf-8")).get("base") or {}
        whose = f"{base['title']} (the main base)" if base.get("title") else ""
    except (OSError, ValueError, AttributeError):
        whose = ""
    return Comparison(label_a, label_b, table["days_a"].to_numpy(float), table["days_b"].to_numpy(float), window, start, whose)


def _run_label(run: Path) -> tuple[str, tuple[float, float] | None, datetime.date | None]:
    manifest = run / "manifest.json"
    if not manifest.exists():
        return run.name, None, None
    meta = read_manifest(run).scenario.get("scenario", {})
    window = None
    if "window_days" in meta:
        low, high = meta["window_days"]
        window = (float(low), float(high))
    start = datetime.datetime.fromisoformat(meta["start"]).date() if "start" in meta else None
    return meta.get("name", run.name), window, start


def read_compare(folder: Path) -> Comparison:
    """A compare folder: what ``evacsim compare`` writes, or two run sub-folders (A and B in name order), paired by replication."""
    if (folder / PAIRED_FILE).exists():
        return _read_compare_output(folder)
    a_dir, b_dir = compared_runs(folder)
    label_a, window, start = _run_label(a_dir)
    label_b, _, _ = _run_label(b_dir)
    days_a, days_b = paired(pd.read_parquet(a_dir / "replications.parquet"), pd.read_parquet(b_dir / "replications.parquet"))
    if label_a == label_b:
        label_a, label_b = a_dir.name, b_dir.name
    return Comparison(label_a, label_b, days_a, days_b, window or (15.0, 30.0), start or DEFAULT_START)


def within_text(days: np.ndarray, window: tuple[float, float]) -> str:
    """``P(15-30) = 34%`` for a sample of days."""
    return f"{window_labels(window)['p_within']} = {share(window_probabilities(days, window)['p_within'].estimate)}"


def mean_ci(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and its 95% t interval (no length with a single pair)."""
    return mean_interval(values, single="point")


def compare_figure(c: Comparison) -> Figure:
    """ECDFs of days to base empty of A and B (left), histogram of the paired difference B - A (right)."""
    diff = c.difference
    if diff.size == 0:
        raise ValueError("compare_figure needs at least one replication in both runs")
    with style_context():
        fig = Figure(layout="constrained")
        FigureCanvasAgg(fig)
        ecdf_ax, diff_ax = fig.subplots(1, 2)
        shade_window(ecdf_ax, c.window)
        for days, label, color, gid, style in ((c.days_a, c.label_a, BLUE, "ecdf-a", "-"), (c.days_b, c.label_b, ORANGE, "ecdf-b", "--")):
            ecdf_ax.step(*ecdf(days), where="post", color=color, ls=style, lw=1.8, label=f"{label}: {within_text(days, c.window)}", gid=gid)
        ecdf_ax.set_ylim(0, 1.02)
        ecdf_ax.set_xlabel(days_label(c.start_date))
        ecdf_ax.set_ylabel("Share of replications with the base empty (%)")
        ecdf_ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        ecdf_ax.set_title(f"{c.whose}: days to base empty" if c.whose else "Days to base empty")
        ecdf_ax.legend(loc="lower right")
        add_calendar_axis(ecdf_ax, c.start_date)

        mean, low, high = mean_ci(diff)
        edges = np.histogram_bin_edges(diff, bins="auto")
        diff_ax.hist(diff, bins=edges, color=BLUE, alpha=0.75, gid="difference")
        diff_ax.axvline(0, color=BLACK, lw=1.0)
        diff_ax.axvspan(low, high, color=ORANGE, alpha=0.35, lw=0, label=f"Mean {signed(mean)} days (95% CI {signed(low)} to {signed(high)})", gid="mean-ci")
        diff_ax.axvline(mean, color=ORANGE, lw=1.8, gid="mean")
        later = float((diff > 0).mean())
        diff_ax.set_title(f"Paired difference {c.label_b} - {c.label_a}")
        diff_ax.set_xlabel(f"{c.whose + ': d' if c.whose else 'D'}ays to base empty, B - A (days; > 0: B later)")
        diff_ax.set_ylabel("Replication pairs (count)")
        diff_ax.legend(loc="best", title=f"B later in {share(later)} of pairs")
        fig.suptitle(f"{c.label_a} (A) against {c.label_b} (B): {diff.size} paired replications")
    return fig
