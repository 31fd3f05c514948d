"""The figures of a theatre run: several bases on a road network withdrawing at once.

A theatre results folder is a run folder whose ``summary.json`` has a ``theatre`` entry
and which holds ``network.json`` (the sites and legs of the scenario). Three figures:

- **theatre_completion**: the cumulative share (percent) of replications in which the last
  soldier and load has left the country by each day, with the reported end dates marked and
  labelled with the words of their sources;
- **theatre_network**: the sites at their coordinates, each leg drawn as wide as the mean
  number of convoys that used it and coloured by the mean convoy-hours waited on it, the
  binding resource named in the title (:mod:`sim.plots.network_map`);
- **theatre_burndown**: truck loads still at each base by day, median and P10-P90 band.

Each figure function takes plain tables and returns a matplotlib Figure; the ``theatre_*``
functions at the end read a results folder and are what ``run`` and ``evacsim plot`` call.
Day 0 is the scenario's start at 00:00 (the simulation clock's origin).
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.analysis.statistics import DailyCounts
from sim.experiment.manifest import read_manifest
from sim.names import day_date_words, share
from sim.plots.burndown import daily_counts
from sim.plots.completion import add_calendar_axis, days_label, ecdf
from sim.plots.network_map import Network, leg_flows, network_figure, read_network
from sim.plots.style import BLUE, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION, style_context

NETWORK_FILE = "network.json"

REPORTED_COLORS = (ORANGE, VERMILLION, REDDISH_PURPLE, SKY_BLUE)


@dataclass(frozen=True)
class ReportedEnd:
    """A reported end of the whole withdrawal: days after day 0, and the words and source that said so."""

    days: float
    words: str


def is_theatre_summary(summary: dict) -> bool:
    """A run of a theatre scenario: its summary has the ``theatre`` answers."""
    return isinstance(summary.get("theatre"), dict)


def base_names(columns: list[str]) -> list[str]:
    """The bases of a theatre burn-down, in the order of its columns (``cargo_loads.<base>``)."""
    return [c.split(".", 1)[1] for c in columns if c.startswith("cargo_loads.")]


_REPORTED = re.compile(r"(\d+(?:\.\d+)?)\s*days?\s*:\s*([^;]+)")


def reported_ends(days: list[float], source: str = "") -> list[ReportedEnd]:
    """The reported end dates with their words: a scenario's ``[theatre] source`` may give them as
    ``"20 days: 'within 20 days' (a diplomat, AFP, 2026-02-23); 30 days: ..."``; a date it does not
    describe is labelled ``reported end: N days``."""
    described = {float(m.group(1)): m.group(2).strip() for m in _REPORTED.finditer(source or "")}
    return [ReportedEnd(float(d), described.get(float(d), f"reported end: {float(d):g} days")) for d in days]


def _new_figure(size: tuple[float, float] | None = None) -> Figure:
    fig = Figure(layout="constrained", figsize=size)
    FigureCanvasAgg(fig)  # so fig.canvas.draw() renders, as for a pyplot figure
    return fig


def theatre_completion_figure(
    days_to_last_out: np.ndarray,
    reported: list[ReportedEnd],
    start_date: datetime.date,
    p_within: dict[str, dict] | None = None,
) -> Figure:
    """Cumulative share (%) of replications in which the last soldier and load has left the country by each day,
    with each reported end date drawn as a vertical line labelled with its source's words and, when
    ``p_within`` (``{"20": {estimate, ci_low, ci_high}}``, 0-1 fractions) holds it, the chance of being out by then.

    A replication cut off at the horizon (``inf``) counts as not out by any date: the curve stays below 100%.
    """
    days = np.asarray(days_to_last_out, dtype=float)
    if days.size == 0:
        raise ValueError("theatre_completion_figure needs at least one replication")
    finite = days[np.isfinite(days)]
    with style_context():
        fig = _new_figure((10.0, 5.0))
        ax = fig.subplots()
        x, y = ecdf(finite) if finite.size else (np.array([0.0]), np.array([0.0]))
        y = y * finite.size / days.size
        ax.step(
            np.concatenate([[0.0], x]),
            np.concatenate([[0.0], y]),
            where="post",
            color=BLUE,
            lw=2.0,
            label="Last soldier and load out of Syria",
            gid="ecdf-last-out",
        )
        right = max(float(finite.max()) if finite.size else 0.0, *(r.days for r in reported)) * 1.08 + 1
        for i, end in enumerate(reported):
            color = REPORTED_COLORS[i % len(REPORTED_COLORS)]
            chance = (p_within or {}).get(f"{end.days:g}")
            label = f"Day {end.days:g} ({day_date_words(start_date, end.days)}): {end.words}"
            if chance:
                label += f"; out by then in {chance_words(chance)} of replications"
            ax.axvline(end.days, color=color, ls="--", lw=1.4, label=label, gid=f"reported-{end.days:g}")
            ax.text(
                end.days,
                0.97,
                f"{end.days:g} days",
                color=color,
                ha="center",
                va="top",
                fontsize=8,
                transform=ax.get_xaxis_transform(),
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
                gid=f"reported-label-{end.days:g}",
            )
        ax.set_xlim(0, right)
        ax.set_ylim(0, 1.0)
        ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        ax.set_ylabel("Replications with everyone out of Syria (%)")
        ax.set_xlabel(days_label(start_date))
        add_calendar_axis(ax, start_date)
        fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", fontsize=8, frameon=False)
        fig.suptitle(f"When does the last US soldier leave Syria? {days.size} replications")
    return fig


def chance_words(p: dict) -> str:
    """A probability with its 95% CI in words, e.g. ``24% (95% CI 21% to 27%)`` (``p``: estimate, ci_low, ci_high as 0-1)."""
    return f"{share(p['estimate'])} (95% CI {share(p['ci_low'])} to {share(p['ci_high'])})"


def base_burndown_figure(loads: Mapping[str, DailyCounts | np.ndarray], titles: dict[str, str], start_date: datetime.date) -> Figure:
    """Truck loads still at each base at 00:00 each day: the median across replications and the P10-P90 band,
    one panel per base (``loads``: base name -> (replication x day) array or :class:`DailyCounts`)."""
    if not loads:
        raise ValueError("base_burndown_figure needs at least one base")
    counts = {name: c if isinstance(c, DailyCounts) else daily_counts(c) for name, c in loads.items()}
    busy = [np.flatnonzero(c.percentile(90) > 0) for c in counts.values()]
    last = max([int(b[-1]) + 1 if b.size else 1 for b in busy]) + 2
    last = min(last, min(c.histogram.shape[0] for c in counts.values()) - 1)
    n = len(counts)
    columns = min(n, 2)
    rows = math.ceil(n / columns)
    with style_context():
        fig = _new_figure((10.0, 3.2 * rows + 0.6))
        axes = np.atleast_1d(fig.subplots(rows, columns, sharex=True, squeeze=False)).ravel()
        for ax, (name, c) in zip(axes, counts.items(), strict=False):
            _draw_band(ax, c, last)
            ax.set_title(titles.get(name, name), gid=f"title-{name}")
            ax.set_ylabel("Truck loads at the base (loads)")
            ax.set_xlabel(days_label(start_date))
            ax.set_xlim(0, max(last, 1))
            ax.set_ylim(bottom=0)
            ax.legend(loc="upper right")
            add_calendar_axis(ax, start_date)
        for ax in axes[n:]:
            ax.set_visible(False)
        fig.suptitle(f"Cargo still at each base at 00:00 each day: {next(iter(counts.values())).replications} replications")
    return fig


def _draw_band(ax, counts: DailyCounts, days: int) -> None:
    """The median and the P10-P90 band of one base (the shared fan drawer, without the P25-P75 band)."""
    fan = {p: values[: days + 1] for p, values in counts.fan((10, 50, 90)).items()}
    x = np.arange(fan[50].size)
    ax.fill_between(x, fan[10], fan[90], step="post", color=BLUE, alpha=0.2, lw=0, label="P10-P90", gid="band-10-90")
    ax.step(x, fan[50], where="post", color=BLUE, lw=1.8, label="Median", gid="median")


def read_base_burndown(path: Path, moving: dict[str, np.ndarray] | None = None) -> dict[str, DailyCounts]:
    """The per-base loads of a theatre ``burndown.parquet`` (``cargo_loads.<base>``), a slice at a time.

    ``moving`` (base -> the replication numbers in which it moves) keeps a base that may stay to the
    replications in which it does move: in the others its cargo never leaves, and would hide the fan.
    """
    source = ds.dataset(path, format="parquet")  # one file, or a folder of parts (evacsim's store)
    bases = base_names(source.schema.names)
    out = {b: DailyCounts() for b in bases}
    for batch in source.to_batches(columns=["replication", "day", *(f"cargo_loads.{b}" for b in bases)]):
        days = batch.column("day").to_numpy()
        reps = batch.column("replication").to_numpy()
        for b, counts in out.items():
            keep = np.isin(reps, moving[b]) if moving and b in moving else np.ones(days.shape, dtype=bool)
            starts = int(np.count_nonzero(days[keep] == 0))  # each replication's rows begin at day 0
            counts.add_rows(days[keep], batch.column(f"cargo_loads.{b}").to_numpy()[keep], replications=starts)
    return out


# What `run` and `evacsim plot` call on a theatre folder (sim.plots.figures.plot_run).


@dataclass(frozen=True)
class TheatreFolder:
    """A theatre run folder, read once: its summary, manifest, network and the replication columns figures use."""

    folder: Path
    summary: dict
    manifest: dict
    network: Network
    means: dict[str, float]
    days_to_last_out: np.ndarray
    moving: dict[str, np.ndarray]
    """Base -> the replication numbers in which it moves (``base.<name>.leaves``)."""

    @property
    def start_date(self) -> datetime.date:
        return datetime.datetime.fromisoformat(self.manifest["scenario"]["scenario"]["start"]).date()

    @property
    def theatre_table(self) -> dict:
        """The scenario's ``[theatre]`` table (reported end days and their source), ``{}`` if the manifest has none."""
        table = self.manifest.get("scenario", {}).get("theatre")
        return table if isinstance(table, dict) else {}

    def reported(self) -> list[ReportedEnd]:
        days = self.summary["theatre"].get("reported_end_days") or self.theatre_table.get("reported_end_days") or []
        return reported_ends([float(d) for d in days], str(self.theatre_table.get("source") or ""))

    def pool_titles(self) -> dict[str, str]:
        """The titles of the pools that hold trucks (a pool of escort teams and Apaches only has no truck-hours)."""
        return truck_pool_titles(self.manifest)


def truck_pool_titles(manifest: dict) -> dict[str, str]:
    """Pool name -> title, for the pools of a run's scenario that hold trucks (``utilisation.<pool>`` is their busy share)."""
    pools = (manifest.get("scenario") or {}).get("pools") or {}
    return {name: str(p.get("title") or name) for name, p in pools.items() if isinstance(p, dict) and any((p.get("fleet") or {}).values())}


def read_theatre(folder: Path) -> TheatreFolder:
    """A theatre run folder: the means of its leg and pool columns and its days to the last out."""
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    manifest = read_manifest(folder, "run").model_dump(mode="json")
    network = read_network(folder / NETWORK_FILE)
    path = folder / "replications.parquet"
    names = ds.dataset(path, format="parquet").schema.names
    leaves = [c for c in names if c.startswith("base.") and c.endswith(".leaves")]
    wanted = [c for c in names if c.startswith(("leg.", "utilisation.")) or c in ("replication", "theatre.days_to_last_out", "finished")] + leaves
    table = pq.read_table(path, columns=wanted).to_pandas()
    days = table["theatre.days_to_last_out"].to_numpy(dtype=float)
    days = np.where(np.isnan(days), np.inf, days)  # not out by the horizon: later than any date
    if "finished" in table.columns:
        days = np.where(table["finished"].to_numpy(dtype=bool), days, np.inf)
    means = {c: float(table[c].mean()) for c in table.columns if c.startswith(("leg.", "utilisation."))}
    reps = table["replication"].to_numpy() if "replication" in table.columns else np.arange(len(table))
    moving = {c[len("base.") : -len(".leaves")]: reps[table[c].to_numpy(dtype=bool)] for c in leaves}
    return TheatreFolder(folder, summary, manifest, network, means, days, moving)


def theatre_completion(t: TheatreFolder) -> Figure:
    return theatre_completion_figure(t.days_to_last_out, t.reported(), t.start_date, t.summary["theatre"].get("p_within"))


def theatre_network(t: TheatreFolder) -> Figure:
    titles = t.pool_titles()
    utilisation = {
        titles.get(k.split(".", 1)[1], k.split(".", 1)[1]): v for k, v in t.means.items() if k.startswith("utilisation.") and k.split(".", 1)[1] in titles
    }
    return network_figure(t.network, leg_flows(t.network, t.means), str(t.summary["theatre"].get("binding") or "not named"), utilisation)


def theatre_burndown(t: TheatreFolder) -> Figure:
    """Loads left at each base; a base that may stay is drawn over the replications in which it moves, and says so."""
    moving = {b: reps for b, reps in t.moving.items() if len(reps) < t.days_to_last_out.size}
    loads = {b: c for b, c in read_base_burndown(t.folder / "burndown.parquet", moving).items() if c.replications}
    titles = {s.name: s.title for s in t.network.sites}
    for b, reps in moving.items():
        titles[b] = f"{titles.get(b, b)}\n(moves in {share(len(reps) / t.days_to_last_out.size)} of replications, drawn over those)"
    return base_burndown_figure(loads, titles, t.start_date)


THEATRE_FIGURES: dict[str, Callable[[TheatreFolder], Figure]] = {
    "theatre_completion": theatre_completion,
    "theatre_network": theatre_network,
    "theatre_burndown": theatre_burndown,
}
"""The figures a theatre run gets besides those of every run, by stem, in reading order."""
