"""Every figure a results folder calls for, drawn into the folder: :func:`plot_results`.

A folder is recognised by what it holds:

- a **run** (``evacsim run``): ``summary.json``, ``replications.parquet``, ``burndown.parquet``
  and ``manifest.json`` -> completion, burn-down, waits and the timeline of the median replication;
- a **sweep** (``evacsim sweep``): ``design.parquet``, ``points.csv`` and a
  ``replications.parquet`` dataset -> P(in window) against each factor, and a heatmap of two;
- a **compare** (``evacsim compare``): see :func:`sim.plots.compare.read_compare` ->
  the two ECDFs overlaid and the paired difference;
- an **analysis** or **nowcast** folder (``sensitivity``, ``calibrate``, ``marginal``, ``discover``,
  ``nowcast``), recognised by its manifest's ``kind`` -> the figures its command drew, from the
  tables it holds (:mod:`sim.plots.redraw`). A figure whose inputs are gone is not drawn:
  :func:`plot_folder` says why and which command draws it again.

The timeline re-runs the median replication from the manifest (scenario, seed, index):
replications depend only on the seed and their index, so it is the same replication.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
from matplotlib.figure import Figure

from sim.analysis.statistics import window_key
from sim.experiment.manifest import ResultsFolderError, not_results_folder, read_manifest, verify_folder
from sim.experiment.storage import FolderBusy, being_written, lock_folder
from sim.names import day_date_words
from sim.plots.burndown import burndown_figure, read_burndown
from sim.plots.compare import compare_figure, is_compare_folder, read_compare
from sim.plots.completion import completion_figure, save_figure
from sim.plots.redraw import ANALYSIS_FIGURES, CannotRedraw, read_analysis
from sim.plots.sweep import factor_figure, heatmap_factors, heatmap_figure, read_sweep
from sim.plots.theatre import THEATRE_FIGURES, is_theatre_summary, read_theatre
from sim.plots.timeline import timeline_figure
from sim.plots.waits import waits_figure

FIGURE_ORDER = (
    *THEATRE_FIGURES,  # a theatre run answers for the whole withdrawal first, then for its main base
    "completion",
    "burndown",
    "waits",
    "timeline",
    "sweep_factors",
    "sweep_heatmap",
    "compare",
    *(stem for figures in ANALYSIS_FIGURES.values() for stem in figures),
)
"""Stems of the figures in the order a reader should see them (the report follows it)."""


class NotResultsFolder(ValueError):
    """The folder holds no results evacsim can read, or none it can draw (a user error: exit status 3)."""


@dataclass(frozen=True)
class Plotted:
    """What :func:`plot_folder` did: the files it wrote, and one line for each figure it could not draw."""

    paths: list[Path]
    skipped: list[str]


@dataclass(frozen=True)
class RunFolder:
    """What a run folder holds, read once."""

    folder: Path
    manifest: dict
    summary: dict
    rows: pd.DataFrame

    @property
    def burndown(self) -> pd.DataFrame:
        """The whole burn-down table (long form); figures stream it instead (:func:`read_burndown`)."""
        return pd.read_parquet(self.folder / "burndown.parquet")

    @property
    def window(self) -> tuple[float, float]:
        low, high = self.summary["window_days"]
        return float(low), float(high)

    @property
    def start_date(self) -> datetime.date:
        return start_date_of(self.manifest)


def start_date_of(manifest: dict) -> datetime.date:
    """Day 0 of the run: the scenario's start (2026-02-23 for Qasrak)."""
    return datetime.datetime.fromisoformat(manifest["scenario"]["scenario"]["start"]).date()


def folder_kind(folder: Path) -> str:
    """``run``, ``sweep``, ``compare``, an analysis kind (``sensitivity-tornado``, ``-morris``, ``-sobol``,
    ``calibrate``, ``marginal``, ``discover``), ``nowcast``, or ``analysis`` for another folder with a
    report.md and a manifest; :class:`NotResultsFolder` for anything else, :class:`~sim.experiment.storage.FolderBusy`
    for a folder another command is writing now."""
    if not folder.is_dir():
        raise NotResultsFolder(f"{folder}: not a folder; give a results folder written by evacsim (run, sweep, compare, an analysis or nowcast)")
    writer = being_written(folder)
    if writer is not None:  # plot and report write into the folder: a second writer, exit 4 as for any other
        raise FolderBusy(f"{folder}: another evacsim command is writing this results folder now (process {writer}); wait for it to finish")
    if (folder / "manifest.json").exists():  # the manifest says what a folder is: no guessing from the files present
        try:
            return read_manifest(folder).kind
        except ResultsFolderError as exc:
            raise NotResultsFolder(str(exc)) from None
    if is_compare_folder(folder):  # a folder holding the two run folders to compare
        return "compare"
    raise NotResultsFolder(not_results_folder(folder))


def read_run(folder: Path) -> RunFolder:
    try:
        manifest = read_manifest(folder).as_dict()
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        rows = pd.read_parquet(folder / "replications.parquet", columns=_figure_columns(folder / "replications.parquet"))
        ds.dataset(folder / "burndown.parquet", format="parquet")
    except (OSError, ValueError, ResultsFolderError) as exc:
        raise NotResultsFolder(f"{folder}: cannot read the run's files ({exc})") from None
    return RunFolder(folder, manifest, summary, rows)


def _figure_columns(path: Path) -> list[str]:
    """The replication columns the figures read (not the drawn inputs): a large run's table stays small in memory."""
    wanted = ("replication", "days_", "finished", "convoys", "sorties", "wait_hours.", "utilisation.")
    return [name for name in ds.dataset(path, format="parquet").schema.names if name.startswith(wanted)]


def median_replication(rows: pd.DataFrame) -> int:
    """The index of the replication at the (lower) median of days to base empty."""
    ordered = rows.sort_values(["days_to_base_empty", "replication"], kind="stable")
    return int(ordered["replication"].iloc[(len(ordered) - 1) // 2])


def run_completion(run: RunFolder) -> Figure:
    probabilities = {k: run.summary[window_key(k, run.window)]["estimate"] for k in ("p_under", "p_within", "p_over")}
    rows = run.rows
    return completion_figure(rows["days_to_base_empty"].to_numpy(), rows["days_to_force_closure"].to_numpy(), run.window, run.start_date, probabilities)


def run_burndown(run: RunFolder) -> Figure:
    counts = read_burndown(run.folder / "burndown.parquet")
    return burndown_figure(counts["cargo_loads"], counts["people"], run.window, run.start_date)


def run_waits(run: RunFolder) -> Figure:
    from sim.model.evacuation import RESOURCES, WAIT_CAUSES

    return waits_figure(run.rows, WAIT_CAUSES, RESOURCES)


def replay(scenario: dict, seed: int, index: int) -> tuple[list[dict], dict[str, list[tuple[float, float]]], float]:
    """Re-run replication ``index`` of a run with tracing: its timeline, its closed periods (hours) by kind, days to base empty.

    The closed periods are those the model drew for this replication: building the
    :class:`~sim.model.evacuation.Evacuation` from the same fresh streams draws them again.
    """
    import simpy

    from sim.model.theatre import one_base
    from sim.replication import inputs_for, prepare, simulate_one, streams_for
    from sim.scenario.draws import resolve
    from sim.scenario.schema import scenario_from_table

    prepared = prepare(scenario_from_table(scenario))
    _, outcome, _ = simulate_one(prepared, seed, index, trace=True)
    values = inputs_for(prepared, seed, index)
    evac = one_base(simpy.Environment(), resolve(prepared.scenario, values, set(prepared.per_event)), streams_for(seed, index))
    shared, crossing = evac.shared, evac.roads.route_out(None).crossing
    closures = {
        "night (no driving in Syria)": shared.daylight.intervals,
        "route closed": evac.roads.threats.intervals,
        "crossing closed": shared.crossings[crossing].closures.intervals if crossing is not None else [],
        "pause": evac.pause.closures.intervals,
        "dust (aircraft grounded)": [(24.0 * d, 24.0 * (d + 1)) for d in sorted(shared.dust_days)],
    }
    return outcome.timeline, closures, outcome.days_to_base_empty


def run_timeline(run: RunFolder) -> Figure:
    index = median_replication(run.rows)
    timeline, closures, days = replay(run.manifest["scenario"], int(run.manifest["seed"]), index)
    title = f"Replication {index}, the median one: base empty on day {days:.1f} ({day_date_words(run.start_date, days)})"
    return timeline_figure(timeline, closures, run.window, run.start_date, days, title)


RUN_FIGURES: dict[str, Callable[[RunFolder], Figure]] = {
    "completion": run_completion,
    "burndown": run_burndown,
    "waits": run_waits,
    "timeline": run_timeline,
}


def plot_run(folder: Path) -> list[Path]:
    run = read_run(folder)
    paths: list[Path] = []
    for stem, draw in RUN_FIGURES.items():
        paths += save_figure(draw(run), folder / stem)
    if is_theatre_summary(run.summary):
        paths += plot_theatre(folder)
    return paths


def plot_theatre(folder: Path) -> list[Path]:
    """The figures of the whole withdrawal (:mod:`sim.plots.theatre`), for a run whose summary has ``theatre``."""
    try:
        theatre = read_theatre(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise NotResultsFolder(f"{folder}: a theatre run whose network or theatre columns cannot be read ({type(exc).__name__}: {exc}); run it again") from None
    paths: list[Path] = []
    for stem, draw in THEATRE_FIGURES.items():
        paths += save_figure(draw(theatre), folder / stem)
    return paths


def plot_sweep(folder: Path) -> list[Path]:
    sweep = read_sweep(folder)
    paths = save_figure(factor_figure(sweep), folder / "sweep_factors")
    pair = heatmap_factors(sweep)
    if pair is not None:
        paths += save_figure(heatmap_figure(sweep, *pair), folder / "sweep_heatmap")
    return paths


def plot_compare(folder: Path) -> list[Path]:
    return save_figure(compare_figure(read_compare(folder)), folder / "compare")


def expected_figures(kind: str) -> tuple[str, ...]:
    """Stems of the figures every folder of ``kind`` gets (a sweep's heatmap only when two factors are gridded)."""
    fixed = {"run": tuple(RUN_FIGURES), "sweep": ("sweep_factors",), "compare": ("compare",)}
    return fixed.get(kind) or tuple(ANALYSIS_FIGURES.get(kind, ()))


def plot_analysis(folder: Path, kind: str) -> Plotted:
    """The figures of an analysis or nowcast folder, each drawn again from its tables; those that cannot be, named."""
    analysis = read_analysis(folder, kind)
    paths: list[Path] = []
    skipped: list[str] = []
    for stem, draw in ANALYSIS_FIGURES[kind].items():
        try:
            figure = draw(analysis)
        except CannotRedraw as exc:
            skipped.append(f"{folder / stem}.png not drawn: {exc}; {_again(analysis.command())}")
            continue
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise NotResultsFolder(
                f"{folder}: cannot draw {stem}.png from its files ({type(exc).__name__}: {exc}); write the folder again, or restore its files"
            ) from None
        paths += save_figure(figure, folder / stem)
    return Plotted(paths, skipped)


def _again(command: str) -> str:
    """How to draw a figure again: the folder's own command, into the same folder."""
    force = "" if "--force" in command.split() else " --force"
    return f"`{command}{force}` draws it again"


def check_folder(folder: Path) -> None:
    """A results folder as its manifest records it (:func:`sim.experiment.manifest.verify_folder`), or :class:`NotResultsFolder`
    naming the file that differs; a folder without a manifest (two run folders to compare) has nothing to check."""
    if not (folder / "manifest.json").exists():
        return
    try:
        verify_folder(folder)
    except ResultsFolderError as exc:
        raise NotResultsFolder(str(exc)) from None


def plot_folder(folder: Path, checked: bool = False) -> Plotted:
    """Draw every figure that applies to a results folder into it (PNG and SVG): the files written, and the figures not drawn and why.
    The folder is checked against its manifest first (unless ``checked``) and locked while the figures are written."""
    folder = Path(folder)
    kind = folder_kind(folder)
    if not checked:
        check_folder(folder)
    lock_folder(folder)
    if kind in ANALYSIS_FIGURES:
        return plot_analysis(folder, kind)
    drawers = {"run": plot_run, "sweep": plot_sweep, "compare": plot_compare}
    if kind not in drawers:
        return Plotted([], [f"{folder}: an analysis folder of a kind this version cannot draw; the command that wrote it draws its figures"])
    return Plotted(drawers[kind](folder), [])


def plot_results(folder: Path) -> list[Path]:
    """Draw every figure that applies to a results folder into it (PNG and SVG); returns the files written."""
    return plot_folder(folder).paths
