"""evacsim as a library: every study the command line runs, as a function that writes the same results folder.

Each study takes a scenario (a path to a TOML file, or a :class:`~sim.scenario.loading.LoadedScenario`
from :func:`load`), runs its replications on the engine (:mod:`sim.experiment.engine`) and writes
its folder (``manifest.json`` first among its files, see :mod:`sim.experiment.manifest`). ``out``
None makes ``results/<name>-<UTC time>/``. Where replications run: ``jobs`` local processes
(default 1 from Python: a notebook's process; the command line uses all cores), or an
``executor`` of :mod:`sim.experiment.executors`.

Errors are exceptions: :class:`~sim.scenario.loading.ScenarioError` for a bad scenario or
study (its message names the file, line and field), :class:`~sim.experiment.storage.OutputError`
for a folder that cannot be written, :class:`~sim.experiment.executors.ExecutorError` for
workers that cannot be reached. The command line turns them into its exit statuses.
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypedDict, Unpack

import pandas as pd

from sim.analysis.marginal import marginal_sentence
from sim.analysis.measure import Measure, MeasureError, headline, moving_words
from sim.analysis.statistics import summarize
from sim.analysis.theatre import name_the_main_base, summarize_theatre, theatre_columns
from sim.experiment import analyses
from sim.experiment.analyses import scenario_measure
from sim.experiment.engine import Batch, Store
from sim.experiment.evaluate import ChunkStore, StudyError, scenario_factors, study_factors, study_overrides
from sim.experiment.executors import Executor, ExecutorError, make_executor
from sim.experiment.folders import discovery_manifest, read_results, run_rows, write_report_md, write_study
from sim.experiment.manifest import new_manifest, prepare_out_dir, write_manifest
from sim.experiment.montecarlo import monte_carlo, precision_record, summary_rows
from sim.experiment.storage import OutputError, new_run_dir, one_writer, release_folder, write_atomic, write_json, write_parquet
from sim.extras import need
from sim.model.airlift import SORTIE_WAIT_CAUSES
from sim.model.evacuation import RESOURCES, WAIT_CAUSES
from sim.names import closed_words, theatre_names
from sim.replication import prepare
from sim.scenario.loading import LoadedScenario, load_scenario
from sim.scenario.schema import TheatreScenario
from sim.scenario.theatre_layout import network_json, theatre_layout

DEFAULT_SEED = 20260223
RESULTS = Path("results")

ScenarioLike = str | Path | LoadedScenario
Progress = Callable[[int, int], None] | None
"""``progress(done, total)``: replications done of the total, as batches come back."""


class UsageError(ValueError):
    """Options that do not go together or a value out of range (the command line's exit status 2); from Python, its
    message names keyword arguments (``force=True``), not options (``--force``)."""

    def __str__(self) -> str:
        from sim.experiment.storage import in_callers_words

        return in_callers_words(super().__str__())


class Interrupted(Exception):
    """A study stopped by Ctrl-C; ``folder`` keeps its finished replications when ``resumable``."""

    def __init__(self, folder: Path, resumable: bool, kept: str = "finished replications", none_finished: bool = False) -> None:
        said = f"interrupted; the {kept} are kept in {folder}" if resumable else "interrupted"
        if none_finished:  # stopped before its first batch came back: nothing to resume from
            said = f"interrupted before any replication finished: none is kept in {folder}; run the same command again"
        super().__init__(said)
        self.folder = folder
        self.resumable = resumable and not none_finished
        self.none_finished = none_finished


class SharedOptions(TypedDict, total=False):
    """The keyword arguments every study shares, as :class:`StudyOptions` names them (for ``**shared``)."""

    seed: int | None
    overrides: Sequence[str]
    out: str | Path | None
    force: bool
    resume: bool
    precise: bool
    jobs: int | None
    executor: Executor | None
    progress: Progress
    measure: str
    by_day: float | None
    base: str | None


@dataclass(frozen=True)
class StudyOptions:
    """The parameters a study shares with every other (the command line's common options), in one object.

    ``seed`` of the run's SeedSequence (None: the study's own, a sweep's or plan's study file's, else 20260223;
    :meth:`seed_or`); ``overrides`` ``--set`` values; ``out`` the results folder (None: a new one
    under ``results/``), ``force`` to write into a non-empty one, ``resume`` to finish an interrupted study there;
    ``precise`` for the larger default designs; ``jobs`` local processes or ``executor`` an executor of
    :mod:`sim.experiment.executors`; ``progress(done, total)`` replications as they come back; ``measure``
    (``days``, ``out-by-day``, ``window``), ``by_day`` and ``base`` what the study measures (docs/ANALYSIS.md).
    A study's own signature then names only what is its own (a method, a design, a number of draws)."""

    seed: int | None = None
    overrides: Sequence[str] = ()
    out: str | Path | None = None
    force: bool = False
    resume: bool = False
    precise: bool = False
    jobs: int | None = 1
    executor: Executor | None = None
    progress: Progress = None
    measure: str = "days"
    by_day: float | None = None
    base: str | None = None

    def seed_or(self, own: int = DEFAULT_SEED) -> int:
        """The seed to run on: the one given, else the study's own (``own``: a study file's seed, else 20260223)."""
        return own if self.seed is None else self.seed


def study_options(options: StudyOptions | None, shared: SharedOptions) -> StudyOptions:
    """``options`` with the keyword arguments a caller gave one by one (``seed=7, out=...``) laid over them."""
    return replace(options or StudyOptions(), **shared)


def _options_for(study: str, options: StudyOptions | None, shared: SharedOptions, uses: tuple[str, ...]) -> StudyOptions:
    """:func:`study_options` for a study that uses only the shared options ``uses``: any other one given (a ``resume``
    to a study that cannot resume, a ``measure`` to one that measures nothing) is a :class:`UsageError`, never ignored."""
    o = study_options(options, shared)
    unused = [f.name for f in fields(StudyOptions) if f.name not in uses and _as_given(getattr(o, f.name)) != _as_given(f.default)]
    if unused:
        raise UsageError(f"{study} takes no {', '.join(unused)} (of the shared options it uses {', '.join(uses)})")
    return o


def _as_given(value: object) -> object:
    """A shared option as compared with its default: no ``--set`` is no ``--set``, in a list or a tuple."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def load(scenario: str | Path, overrides: Sequence[str] = ()) -> LoadedScenario:
    """Read and validate a scenario file, with ``--set``-style overrides (``["fleet.civilian.count=120"]``)."""
    return load_scenario(scenario, list(overrides))


def _loaded(scenario: ScenarioLike, overrides: Sequence[str] = ()) -> LoadedScenario:
    if isinstance(scenario, LoadedScenario):
        return load_scenario(scenario.path, [*scenario.overrides, *overrides]) if overrides else scenario
    return load(scenario, overrides)


def _folder(out: str | Path | None, force: bool, kind: str, name: str) -> tuple[Path, bool]:
    """The results folder (made now when ``out`` is None) and whether it was made for this study."""
    if out is None:
        return new_run_dir(RESULTS, name), True
    existed = Path(out).exists()
    return prepare_out_dir(Path(out), force, kind), not existed


@dataclass(frozen=True)
class RunResult:
    """A finished run: its folder, the ``summary.json`` contract, and how many replications ran."""

    folder: Path
    summary: dict[str, Any]
    replications: int


@one_writer()
def run(
    scenario: ScenarioLike,
    replications: int | None = None,
    *,
    precision: float | None = None,
    figures: bool = True,
    on_batch: Callable[[Batch, int], None] | None = None,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> RunResult:
    """The Monte Carlo replications of a scenario (``evacsim run``): ``replications`` (default 1,000), or until the
    95% CI half-width of P(in window) is at most ``precision``.

    The summary's ``verdict`` is the date (P50 with its calendar date, P10-P90, mean) and P(out by day ``by_day``,
    default the window's end) of what the run measures: on a theatre the whole withdrawal (the last out of the
    country) unless ``base`` names one of its bases; ``headline`` holds its numbers, ``window_check`` the seed's window.

    Writes ``replications.parquet`` and ``burndown.parquet`` batch by batch, then ``summary.json``,
    ``manifest.json`` and (with ``figures``) the figures. ``on_batch(batch, target)`` sees each batch as it
    comes back (for a progress bar). A failure or Ctrl-C removes what was written.
    """
    o = _options_for("run", options, shared, ("seed", "overrides", "out", "force", "jobs", "executor", "measure", "by_day", "base"))
    loaded = _loaded(scenario, o.overrides)
    chosen = _measure(loaded.scenario, o.measure, o.by_day, o.base)
    folder, made = _folder(o.out, o.force, "run", loaded.scenario.scenario.name)
    store = Store(folder)
    store.clear()
    pool, own = _executor(o.executor, o.jobs)
    try:
        ran = monte_carlo(prepare(loaded.scenario), o.seed_or(), store, replications, precision, pool, on_batch)
    except BaseException:
        store.clear()
        release_folder(folder)
        if made and not any(folder.iterdir()):
            folder.rmdir()
        raise
    finally:
        if own:
            pool.close()
    layout = theatre_layout(loaded.scenario)
    window = loaded.scenario.scenario.window_days
    rows = summary_rows(store, theatre_columns(layout, WAIT_CAUSES, RESOURCES, SORTIE_WAIT_CAUSES))  # one read: [] extra for one base
    crews = _crews(loaded.scenario)
    summary = summarize(rows, window, WAIT_CAUSES, RESOURCES, *crews.get(None, (None, "vehicles.crew")))
    if layout is not None:  # a theatre: each base's answers, the last out of the country, the network
        theatre = summarize_theatre(rows, layout, window, WAIT_CAUSES, RESOURCES, {n: words for n, (words, _) in crews.items() if n})
        main_title = theatre["bases"][layout.bases[0]].get("title", layout.bases[0])
        summary["warnings"] = [*name_the_main_base(summary.get("warnings", []), main_title), *theatre.pop("warnings")]
        summary.update(theatre)
    top = headline(rows, chosen)
    summary["window_verdict"] = summary["verdict"]  # the seed's question, on the main base, kept for scripts
    if layout is not None:  # the one-base keys at the top are the main base's: say whose, and whose the headline is
        main = next(iter(summary["bases"]))
        title = summary["bases"][main].get("title", main)
        summary["base"] = {"name": main, "title": title, "role": "the main base", "figures": [k for k in MAIN_BASE_FIGURES if k in summary]}
        summary["window_verdict"] = f"{title} (the main base): {summary['window_verdict']}"
        top["base"] = {"name": o.base, "title": summary["bases"][o.base].get("title", o.base)} if o.base else None
    summary.update(headline=top, verdict=top["sentence"], window_check=top["window_check"])
    if precision is not None:  # a precision run says what it reached, and when it stopped at the cap short of it
        summary["precision"], capped = precision_record(precision, ran)
        summary["warnings"] = [*summary.get("warnings", []), *([capped] if capped else [])]
    count = ran.replications
    resolved = loaded.scenario.model_dump(mode="json")
    manifest = new_manifest("run", resolved, loaded.path, list(loaded.overrides), o.seed_or(), replications=count, jobs=pool.workers, executor=pool.description)
    write_json(folder / "summary.json", summary)
    if isinstance(loaded.scenario, TheatreScenario):  # exactly when theatre_layout gave a layout above
        write_json(folder / "network.json", network_json(loaded.scenario))
    write_manifest(folder, manifest)  # last: it records the checksums of the parts and the summary
    if figures:
        from sim.plots.figures import plot_results  # matplotlib is heavy: loaded only to draw

        plot_results(folder)
    return RunResult(folder, summary, count)


MAIN_BASE_FIGURES = (
    "days_to_base_empty",
    "days_to_force_closure",
    "p_under_15",
    "p_15_to_30",
    "p_over_30",
    "force_closure",
    "window_verdict",
    "mean_wait_hours",
    "mean_sortie_wait_hours",
    "mean_utilisation",
    "air_cover_short",
    "never_finish",
    "left_behind",
)
"""The keys at the top of a theatre run's ``summary.json`` that are its main base's (``base`` names it), kept there
for scripts written for one base; ``bases`` holds every base's, ``headline`` what the run measures."""


def _has_deadline(scenario: Any) -> bool:
    """Whether a base of ``scenario`` has a deadline (the file's ``[deadline]``, or a theatre base's own)."""
    return scenario.deadline is not None or any(site.deadline is not None for site in getattr(scenario, "bases", {}).values())


def _crews(scenario: Any) -> dict[str | None, tuple[str, str]]:
    """The people who leave with each vehicle in words (``2 people``) with the input's dotted path: under None the
    one-base answers' (a file's ``vehicles.crew``, a theatre's main base's ``sites.<base>.vehicles.crew``), and on a
    theatre under each base's name its own."""

    def words(vehicles: Any) -> str:
        crew = vehicles.crew
        return f"{crew:g} people" if isinstance(crew, int | float) else f"{crew.describe()} people"

    if getattr(scenario, "vehicles", None) is not None:
        return {None: (words(scenario.vehicles), "vehicles.crew")}
    if not getattr(scenario, "sites", None):
        return {}
    views = {name: site.vehicles for name, site in scenario.bases.items()}  # a base's own group: read from the base itself
    out: dict[str | None, tuple[str, str]] = {name: (words(v), f"sites.{name}.vehicles.crew") for name, v in views.items() if v is not None}
    if scenario.main_base in out:
        out[None] = out[scenario.main_base]
    return out


def _measure(scenario: Any, measure: str, by_day: float | None, base: str | None) -> Measure:
    """What a study measures (``--measure``, ``--by-day``, ``--base``), or :class:`UsageError` saying what to give (a
    day past the horizon too: a replication cut off there counts at the horizon, so it would read as out by that day)."""
    horizon = float(scenario.scenario.horizon_days)
    if by_day is not None and by_day > horizon:
        raise UsageError(
            f"--by-day {by_day:g} is past the scenario's horizon ({horizon:g} days, scenario.horizon_days): no replication runs "
            f"beyond it, so P(out by day {by_day:g}) cannot be told; give a day up to {horizon:g}, or lengthen the horizon with "
            f"--set scenario.horizon_days={math.ceil(by_day)}"
        )
    try:
        return scenario_measure(scenario, measure, by_day, base)
    except MeasureError as exc:
        raise UsageError(str(exc)) from None


def _drawing_soon(progress: Callable[..., None] | None, figures: bool) -> Callable[..., None] | None:
    """``progress`` that, once the first batch is back, imports the plotting modules in a thread: the parent waits
    on its workers then, so matplotlib's second of imports is paid while they simulate (the workers are running
    by then: no fork happens during the import, except a retry's new pool, whose workers import nothing)."""
    if not figures:
        return progress
    started = False

    def advance(*args: Any) -> None:
        nonlocal started
        if not started and args and args[0]:
            started = True
            threading.Thread(target=importlib.import_module, args=("sim.plots.figures",), name="evacsim-import-plots", daemon=True).start()
        if progress:
            progress(*args)

    return advance


def _executor(executor: Executor | None, jobs: int | None) -> tuple[Executor, bool]:
    """The executor to run on, and whether this call made it (and so closes it)."""
    return (executor, False) if executor is not None else (make_executor(jobs), True)


@contextmanager
def _resumable(folder: Path, label: str = "finished replications") -> Iterator[None]:
    """Failures of a study whose finished replications stay in ``folder``: say how to finish it."""
    rerun = f"rerun the same command with --out {folder} --resume"
    try:
        yield
    except ExecutorError as exc:
        raise ExecutorError(f"{exc}; the {label} are kept in {folder}: {rerun}") from exc
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write results ({exc.strerror or exc}); make room, then {rerun}") from exc
    except KeyboardInterrupt:
        raise Interrupted(folder, True, label, none_finished=not _holds_finished_work(folder)) from None


def _holds_finished_work(folder: Path) -> bool:
    """Whether a study's folder keeps any finished replications (a part of a table, or a plan's days)."""
    return any(path.is_file() for pattern in ("part-*.parquet", "plan-*.parquet") for path in folder.rglob(pattern))


# ---- sweep and compare ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its folder, the per-point table (``points.csv``), the study, and warnings."""

    folder: Path
    points: pd.DataFrame
    study: Any
    batches_run: int
    batches_kept: int
    wall_seconds: float
    warnings: list[str] = field(default_factory=list)
    measure: Measure | None = None

    @property
    def ranked(self) -> pd.DataFrame:
        """The points best first by the sweep's measure: fewest mean days (sooner is better), or the highest chance."""
        from sim.analysis.design_points import by_day_key
        from sim.analysis.statistics import window_key

        m = self.measure or Measure()
        column = {"days": "days_mean", "out-by-day": by_day_key(m.day), "window": window_key("p_within", m.window)}[m.kind]
        return self.points.sort_values(column, ascending=m.kind == "days", kind="stable")


@one_writer()
def sweep(
    target: str | Path,
    vary: Sequence[str] = (),
    *,
    design: str | None = None,
    samples: int | None = None,
    replications: int | None = None,
    name: str | None = None,
    batch_size: int | None = None,
    figures: bool = True,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> SweepResult:
    """Every design point of a study, replicated on common random numbers (``evacsim sweep``): a study file
    (``target`` with ``[factors]``) or a scenario with ``vary`` factors (``["escort.teams=2,3,4,6"]``).

    ``seed`` None runs on the study file's seed (else 20260223); ``overrides`` are laid over the study file's ``set``.
    ``points.csv`` summarises what the measure measures (on a theatre the last out unless ``base``), with P(out by
    day ``by_day``); :attr:`SweepResult.ranked` orders the points by ``measure``, best first (fewest days by default)."""
    o = _options_for("sweep", options, shared, ("seed", "overrides", "out", "force", "resume", "jobs", "executor", "progress", "measure", "by_day", "base"))
    from sim.experiment.study import study_from
    from sim.experiment.sweep import plan_sweep, run_sweep

    if o.resume and o.force:
        raise UsageError("give --resume or --force, not both")
    if o.resume and o.out is None:
        raise UsageError("--resume needs --out, the folder of the sweep to finish")
    if design is not None and design not in ("grid", "lhs", "sobol"):
        raise UsageError(f"--design {design}: use grid, lhs or sobol")
    study = study_from(Path(target), list(vary), list(o.overrides), name=name, design=design, samples=samples, replications=replications, seed=o.seed)
    if design in ("lhs", "sobol") and study.samples is None:
        raise UsageError(f"--design {design} needs --samples N, the number of design points")
    if study.design == "grid" and samples is not None:
        raise UsageError("--samples sets the points of an lhs or sobol design; a grid runs every combination of the levels")
    if study.design == "grid" and (unstepped := _vary_without_levels(vary)):
        raise UsageError(unstepped)
    plan = plan_sweep(study)
    chosen = _measure(plan.loaded.scenario, o.measure, o.by_day, o.base)
    warnings = []
    if study.design == "sobol" and study.samples and study.samples & (study.samples - 1):
        warnings.append(
            f"a Sobol' design is balanced at a power of 2 points; {study.samples} points are valid but less even than "
            f"{1 << (study.samples.bit_length() - 1)} or {1 << study.samples.bit_length()}"
        )
    folder = Path(o.out) if o.out is not None else new_run_dir(RESULTS, plan.study.name)
    executor, own = _executor(o.executor, o.jobs)
    try:
        with _resumable(folder, "finished batches"):
            result = run_sweep(
                plan, folder, executor, resume=o.resume, force=o.force, batch_size=batch_size, on_progress=_drawing_soon(o.progress, figures), measure=chosen
            )
    finally:
        if own:
            executor.close()
    if figures:
        from sim.plots.figures import plot_results

        plot_results(result.out)
    return SweepResult(result.out, result.points, plan.study, result.batches_run, result.batches_kept, result.wall_seconds, warnings, chosen)


def _vary_without_levels(vary: Sequence[str]) -> str | None:
    """The usage error of a ``--vary`` range with no step on a grid (which runs every level, so needs them), saying
    what to write instead; None when every ``--vary`` has levels (a malformed one is the scenario check's to name)."""
    from sim.experiment.design import FactorSpecError, parse_spec

    for text in vary:
        path, _, spec = (part.strip() for part in text.partition("="))
        try:
            low, high, levels = parse_spec(spec)
        except FactorSpecError:
            continue
        if levels is None:
            step = 1 if low.is_integer() and high.is_integer() else (high - low) / 4
            return (
                f"--vary {path}={spec} is a range without a step, and a grid design runs every level: "
                f"give a step, --vary {path}={spec}:{step:g}, or a list such as --vary {path}={low:g},{high:g}; "
                f"or draw points across the range with --design lhs --samples N"
            )
    return None


@dataclass(frozen=True)
class CompareResult:
    """A finished comparison: its folder and ``comparison.json`` (B - A on paired replications)."""

    folder: Path
    summary: dict[str, Any]


@one_writer()
def compare(
    a: ScenarioLike,
    b: ScenarioLike | None = None,
    *,
    replications: int = 1000,
    figures: bool = True,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> CompareResult:
    """Scenario B against A (``evacsim compare``) on paired replications with common random numbers; B is A with
    ``overrides`` when not given. ``comparison.json``'s ``measured`` holds B - A by ``measure`` (on a theatre, the
    last out unless ``base``) and its ``sentence``."""
    o = _options_for("compare", options, shared, ("overrides", "seed", "out", "force", "jobs", "executor", "progress", "measure", "by_day", "base"))
    from sim.experiment.compare import run_compare
    from sim.plots.compare import PAIRED_FILE

    if b is None and not o.overrides:
        raise UsageError("give a scenario B, or --set overrides that make B from A")
    loaded_a = _loaded(a)
    loaded_b = _loaded(b if b is not None else a, o.overrides)
    name_a = Path(loaded_a.path).stem
    name_b = Path(loaded_b.path).stem if b is not None else "set"
    chosen = _measure(loaded_a.scenario, o.measure, o.by_day, o.base)
    folder, _ = _folder(o.out, o.force, "compare", f"{name_a}-vs-{name_b}")
    pool, own = _executor(o.executor, o.jobs)
    try:
        result = run_compare(loaded_a, loaded_b, o.seed_or(), replications, pool, on_progress=o.progress, measure=chosen)
    except KeyboardInterrupt:
        raise Interrupted(folder, False) from None
    finally:
        if own:
            pool.close()
    resolved = {"a": loaded_a.scenario.model_dump(mode="json"), "b": loaded_b.scenario.model_dump(mode="json")}
    where = f"{_given(a)} vs {_given(b) if b is not None else _given(a)}"
    write_json(folder / "comparison.json", result.summary)
    write_parquet(folder / PAIRED_FILE, pd.DataFrame({"replication": range(replications), "days_a": result.days_a, "days_b": result.days_b}))
    write_manifest(folder, new_manifest("compare", resolved, where, list(o.overrides or loaded_b.overrides), o.seed_or(), replications=replications))
    if figures:
        from sim.plots.figures import plot_results

        plot_results(folder)
    return CompareResult(folder, result.summary)


def _given(scenario: ScenarioLike) -> str:
    return scenario.path if isinstance(scenario, LoadedScenario) else str(scenario)


# ---- the analyses ---------------------------------------------------------------------------------


def draw_figures(folder: Path, kind: str) -> list[str]:
    """Draw an analysis folder's figures from the tables and manifest just written, as ``evacsim plot``
    redraws them (one way to draw each); returns the PNG names for the report."""
    from sim.plots.figures import plot_analysis

    return [path.name for path in plot_analysis(folder, kind).paths if path.suffix == ".png"]


def save_figure(folder: Path, name: str, fig: Any) -> str:
    """A figure as ``name.png`` and ``name.svg`` in ``folder``; returns the PNG's name."""
    import matplotlib.pyplot as plt

    from sim.plots.completion import save_figure as save

    save(fig, folder / name)
    plt.close(fig)
    return f"{name}.png"


@dataclass
class AnalysisResult:
    """A finished analysis: its folder, its tables, the findings said in words, its warnings and the study itself."""

    folder: Path
    tables: dict[str, pd.DataFrame]
    lines: list[str]
    warnings: list[str]
    study: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def _analysis_folder(
    out: str | Path | None, force: bool, resume: bool, kind: str, name: str, kept: tuple[str, ...] = ("replications.parquet", "tornado_replications.parquet")
) -> Path:
    """The folder of an analysis: ``out`` (refused if it holds another command's results), or a new one; on
    ``resume``, one that holds some of the study's finished work (``kept``)."""
    if resume and force:
        raise UsageError("give --resume or --force, not both")
    if resume and out is None:
        raise UsageError("--resume needs --out, the folder of the study to finish")
    if resume and not any((Path(out) / n).is_dir() for n in kept):  # type: ignore[arg-type]
        what = "finished replications" if "replications.parquet" in kept else "finished chunks"
        raise OutputError(f"{out}: no {what}, so there is no study to resume; run without --resume")
    if out is None:
        return new_run_dir(RESULTS, name)
    return prepare_out_dir(Path(out), force or resume, kind, keep=resume, keep_parts=True)  # the study reuses its own parts


def _setting(value: int | None, method: str, key: str, precise: bool) -> int:
    if value is not None:
        return value
    return int((analyses.PRECISE if precise else analyses.DEFAULTS)[method][key])


def _study(folder: Path, resume: bool, executor: Executor | None, jobs: int | None, run: Callable[[Executor, ChunkStore], Any]) -> Any:
    executor, own = _executor(executor, jobs)
    try:
        with _resumable(folder):
            return run(executor, ChunkStore(folder, resume))
    finally:
        if own:
            executor.close()


@one_writer()
def sensitivity(
    scenario: ScenarioLike,
    method: str = "tornado",
    *,
    factors: str | Path | None = None,
    trajectories: int | None = None,
    base_samples: int | None = None,
    replications: int | None = None,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> AnalysisResult:
    """Which uncertain inputs move the closure date most (``evacsim sensitivity``): ``tornado``, ``morris`` or ``sobol``;
    ``factors`` a study file naming factors and ranges (default: every input the scenario draws). Factors rank by
    ``measure`` (mean days by default; on a theatre, to the last out unless ``base``)."""
    o = study_options(options, shared)
    if method not in ("tornado", "morris", "sobol"):
        raise UsageError(f"--method {method}: use tornado, morris or sobol")
    study_set = study_overrides(Path(factors)) if factors else []
    loaded = _loaded(scenario, [*study_set, *o.overrides])
    s = loaded.scenario
    chosen = study_factors(Path(factors), s) if factors else scenario_factors(s)
    if not chosen:
        raise StudyError(f"{loaded.path}: no input is given as a distribution, so there is nothing to vary; name factors with --factors STUDY.toml")
    window = tuple(s.scenario.window_days)
    m = _measure(s, o.measure, o.by_day, o.base)
    reps = _setting(replications, method, "replications", o.precise)
    folder = _analysis_folder(o.out, o.force, o.resume, f"sensitivity-{method}", f"{s.scenario.name}-sensitivity-{method}")
    if method == "tornado":
        study = _study(folder, o.resume, o.executor, o.jobs, lambda ex, store: analyses.run_tornado(s, chosen, o.seed_or(), reps, ex, store, o.progress, m))
    elif method == "morris":
        r = _setting(trajectories, method, "trajectories", o.precise)
        study = _study(folder, o.resume, o.executor, o.jobs, lambda ex, store: analyses.run_morris(s, chosen, o.seed_or(), reps, r, ex, store, o.progress, m))
    else:
        size = _setting(base_samples, method, "n", o.precise)
        study = _study(folder, o.resume, o.executor, o.jobs, lambda ex, store: analyses.run_sobol(s, chosen, o.seed_or(), reps, size, ex, store, o.progress, m))
    for name, table in study.tables.items():
        table.to_csv(folder / f"{name}.csv", index=name != "points")
    note = (
        f"{study.points} design points x {study.replications_per_point} replications each (common random numbers), {len(chosen)} factors; "
        f"measured by {m.words}" + (" (the tornado's centre: the baseline run, every input drawn)." if method == "tornado" else ".")
    )
    if "points" in study.tables and "replications" in study.tables["points"].columns:  # a base that moves in only some
        counts = study.tables["points"]["replications"]
        centre = method == "tornado"  # the tornado's first point is its centre, the run of every input drawn
        moves, fewest = int(counts.iloc[0] if centre else counts.max()), int(counts.min())
        moving = moving_words(m, moves, study.replications_per_point, "replications of the centre" if centre else "replications of a point")
        if moving and fewest < moves:
            moving += f" At some points it moves in fewer (as few as {fewest}): each point's figures are of its own."
        note += f" {moving}" if moving else ""
    write_study(folder, loaded, o.seed_or(), study, f"sensitivity-{method}", factors=[f.as_record() for f in chosen], measure=m.as_record())
    figures = draw_figures(folder, f"sensitivity-{method}")
    tables = {k: v for k, v in study.tables.items() if k != "points"}
    write_report_md(folder, f"Sensitivity ({method}): {s.scenario.title}", [note], tables, figures, study.warnings, window, m)  # type: ignore[arg-type]
    return AnalysisResult(folder, study.tables, [note], study.warnings, study)


def _calibrated_base(scenario: Any) -> str | None:
    """On a theatre file, the base whose days calibrate fits (the main base, in words: ``Qasrak (the main base)``); None
    for a one-base file, whose base is the file's."""
    if not isinstance(scenario, TheatreScenario):
        return None
    return f"{scenario.bases[scenario.main_base].title} (the main base)"


@one_writer()
def calibrate(
    scenario: ScenarioLike,
    target_days: tuple[float, float] = (15.0, 30.0),
    *,
    replications: int | None = None,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> AnalysisResult:
    """Which input values make the seed's estimate come true (``evacsim calibrate``): ABC rejection over the scenario's
    distributions, accepting the draws whose base is empty within ``target_days``."""
    o = _options_for("calibrate", options, shared, ("seed", "overrides", "out", "force", "resume", "precise", "jobs", "executor", "progress"))
    from sim.analysis.calibration import informative
    from sim.names import label, range_words

    window = (float(target_days[0]), float(target_days[1]))
    loaded = _loaded(scenario, o.overrides)
    s = loaded.scenario
    horizon = float(s.scenario.horizon_days)
    text = f"{window[0]:g}:{window[1]:g}"
    if window[0] >= horizon:
        raise UsageError(
            f"--target-days {text}: the target starts at or after the scenario's horizon of {horizon:g} days, where every "
            f"replication is cut off, so no draw can close in it (more replications would not help); choose a target below "
            f"{horizon:g} days or lengthen the horizon, e.g. --set scenario.horizon_days={int(window[1]) + 30}"
        )
    beyond = [f"--target-days {text} reaches past the horizon of {horizon:g} days: no replication closes after it"] if window[1] > horizon else []
    reps = _setting(replications, "calibrate", "replications", o.precise)
    folder = _analysis_folder(o.out, o.force, o.resume, "calibrate", f"{s.scenario.name}-calibrate")
    study = _study(folder, o.resume, o.executor, o.jobs, lambda ex, store: analyses.run_calibration(s, window, o.seed_or(), reps, ex, store, o.progress))
    study.warnings = [*beyond, *study.warnings]
    found = study.extra["calibration"]
    if study.extra["inputs"].shape[1] == 0:
        raise StudyError(f"{loaded.path}: no input is given as a distribution, so there is nothing to calibrate")
    found.table.to_csv(folder / "calibration.csv")
    target = f"{window[0]:g}-{window[1]:g} days"
    rate = found.acceptance
    strong = informative(found.table)
    calibrated = _calibrated_base(s)
    lines = [
        f"{int(found.accepted.sum())} of {len(found.accepted)} draws from the priors {closed_words(calibrated)} in {target}: acceptance "
        f"{rate.estimate:.1%} (95% CI {rate.ci_low:.1%}-{rate.ci_high:.1%}).",
        "",
        "Inputs the estimate constrains (prior P5-P95 -> posterior P5-P95): "
        + (
            "; ".join(f"{label(n)} {range_words(n, r.prior_p5, r.prior_p95)} -> {range_words(n, r.post_p5, r.post_p95)}" for n, r in strong.iterrows())
            or "none clearly."
        ),
    ]
    write_study(folder, loaded, o.seed_or(), study, "calibrate", target_days=list(window), acceptance=rate.as_dict(), calibrated_base=calibrated)
    figures = draw_figures(folder, "calibrate")
    write_report_md(folder, f"Calibration to {target}: {s.scenario.title}", lines, {"prior vs posterior": found.table}, figures, study.warnings, window)
    return AnalysisResult(folder, {"calibration": found.table}, lines, study.warnings, study)


@one_writer()
def marginal(
    scenario: ScenarioLike,
    *,
    replications: int | None = None,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> AnalysisResult:
    """What one more truck, escort team, Apache, loading team, sortie or crossing buys (``evacsim marginal``), with 95% CIs,
    ranked by ``measure``, best first (days sooner by default; on a theatre, of the last out unless ``base``)."""
    o = study_options(options, shared)
    loaded = _loaded(scenario, o.overrides)
    s = loaded.scenario
    m = _measure(s, o.measure, o.by_day, o.base)
    reps = _setting(replications, "marginal", "replications", o.precise)
    folder = _analysis_folder(o.out, o.force, o.resume, "marginal", f"{s.scenario.name}-marginal")
    study = _study(folder, o.resume, o.executor, o.jobs, lambda ex, store: analyses.run_marginal(s, o.seed_or(), reps, ex, store, o.progress, m))
    table = study.tables["marginal"]
    window = tuple(s.scenario.window_days)
    table.to_csv(folder / "marginal.csv")
    line = marginal_sentence(table, m)
    moving = moving_words(m, int(table["replications"].max()), reps, "replications of each change")
    write_study(folder, loaded, o.seed_or(), study, "marginal", measure=m.as_record())
    figures = draw_figures(folder, "marginal")
    lines = [f"{reps} replications per variant, common random numbers.", "", *([moving, ""] if moving else []), line]
    write_report_md(folder, f"Marginal value of resources: {s.scenario.title}", lines, {"marginal": table}, figures, [], window, m)  # type: ignore[arg-type]
    return AnalysisResult(folder, {"marginal": table}, [*([moving] if moving else []), line], study.warnings, study)


@one_writer()
def evidence(
    scenario: ScenarioLike,
    *,
    replications: int | None = None,
    tornado_replications: int | None = None,
    from_run: str | Path | None = None,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> AnalysisResult:
    """What to find out first (``evacsim evidence``): for each uncertain input, how much knowing it would settle the
    uncertainty of ``measure`` (EVPPI; mean days by default, on a theatre to the last out unless ``base``), its tornado
    swing, and the kind of source behind it. ``from_run``: a run folder of this scenario to estimate from instead of new draws."""
    o = study_options(options, shared)
    from sim.analysis.evidence import BOOTSTRAP, default_blocks, findings
    from sim.names import label

    loaded = _loaded(scenario, o.overrides)
    s = loaded.scenario
    chosen = scenario_factors(s)
    labels = {f.path: label(f.path) for f in chosen}
    if not chosen:
        raise StudyError(f"{loaded.path}: no input is given as a distribution, so knowing any of them would settle nothing; nothing to rank")
    m = _measure(s, o.measure, o.by_day, o.base)
    tornado_reps = _setting(tornado_replications, "evidence", "tornado_replications", o.precise)
    given = run_rows(Path(from_run), s) if from_run is not None else None
    reps = len(given) if given is not None else _setting(replications, "evidence", "replications", o.precise)
    folder = _analysis_folder(o.out, o.force, o.resume, "evidence", f"{s.scenario.name}-evidence")
    study = _study(
        folder,
        o.resume,
        o.executor,
        o.jobs,
        lambda ex, store: analyses.run_evidence(s, chosen, o.seed_or(), reps, tornado_reps, labels, ex, store, o.progress, given, m),
    )
    table = study.tables["evidence"]
    table.to_csv(folder / "evidence.csv", index=False)
    study.tables["tornado"].to_csv(folder / "tornado.csv")
    window = s.scenario.window_days
    lines = findings(table, window, study.extra["p_window"], reps, study.extra.get("joint"), measure=m, sample=study.extra)
    extra = {
        "factors": [f.as_record() for f in chosen],
        "monte_carlo_replications": reps,
        "monte_carlo_from": str(from_run) if from_run is not None else None,
        "tornado_points": study.extra["tornado_points"],
        "tornado_replications": study.extra["tornado_replications"],
        "p_window": study.extra["p_window"],
        "p_by_day": study.extra["p_by_day"],
        "mean_days": study.extra["mean_days"],
        "moves": study.extra["moves"],
        "measure": m.as_record(),
        "joint": study.extra.get("joint"),
        "estimator": f"regression-based EVPPI (Strong and Oakley 2013): regressogram of {m.words} on each input, "
        "noise of the block means removed (Kelley's epsilon squared); 95% bootstrap intervals",
        "bootstrap": BOOTSTRAP,
        "blocks": default_blocks(reps),
    }
    write_study(folder, loaded, o.seed_or(), study, "evidence", **extra)
    figures = draw_figures(folder, "evidence")
    write_report_md(folder, f"What to find out first: {s.scenario.title}", lines, {"evidence": table}, figures, study.warnings)
    return AnalysisResult(folder, study.tables, lines, study.warnings, study)


@one_writer()
def discover(
    results: str | Path,
    target: str | None = None,
    *,
    min_coverage: float = 0.5,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> AnalysisResult:
    """Under which conditions the target happens (``evacsim discover``): PRIM boxes over the inputs of a finished study.
    Runs no replications: it reads those of ``results``. Without a ``target``, the measure's: out by day ``by_day``
    (default the window's end) for ``days`` and ``out-by-day``, inside the window for ``window``; ``days`` in a
    target is what the measure measures (on a theatre, the last out unless ``base``)."""
    o = _options_for("discover", options, shared, ("out", "force", "measure", "by_day", "base"))
    need("discover")
    from dataclasses import replace as with_fields

    from sim.analysis import discovery as d
    from sim.plots.discovery import discovery_figure

    results = Path(results)
    m = _results_measure(results, o.measure, o.by_day, o.base)
    if target is None:
        target = f"{m.window[0]:g} <= days <= {m.window[1]:g}" if m.kind == "window" else f"days <= {m.day:g}"
    try:
        goal = d.parse_target(target)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if goal.column == "days_to_base_empty" and m.column != goal.column:
        goal = with_fields(goal, column=m.column, finished=m.finished)
    rows, factors = read_results(results)
    if goal.column not in rows.columns:
        raise StudyError(f"{results}: the results have no column {goal.column} for the target {target}")
    # a base that moves in only some replications (``leaves`` < 1) has no days in the others: those are no failure
    # of the target, and the shares are of the replications in which it moves, as `run --base` says
    all_replications = len(rows)
    rows = rows[rows[goal.column].notna()].reset_index(drop=True)
    if rows.empty:
        raise StudyError(f"{results}: {m.who} moves in none of the {all_replications} replications: nothing to discover")
    try:
        x = d.input_columns(rows, factors)
        cases = goal.cases(rows)
        found = d.discover(x, cases, min_coverage=min_coverage)
    except ValueError as exc:
        raise StudyError(str(exc)) from None
    folder, _ = _folder(o.out, o.force, "discover", f"{results.name}-discover")
    what = _target_words(target, m, goal)
    over = ""
    if len(rows) < all_replications:
        over = f"of the {len(rows)} replications in which it moves ({len(rows)} of the {all_replications})"
    with theatre_names(_results_scenario(results)):  # a theatre's sites by their titles, its roads by their ends
        sentence = d.describe(found, what, over)
        d.trajectory_table(found).to_csv(folder / "prim_trajectory.csv", index_label="step")
        figures = [save_figure(folder, "discovery", discovery_figure(found, x, cases, what=target))]
    found.box.to_csv(folder / "prim_box.csv")
    summary = {
        "target": target,
        "measure": m.as_record(),
        "cases": found.cases,
        "replications": found.total,
        "all_replications": all_replications,
        "base_rate": found.base_rate,
        "chosen_step": found.chosen,
        "coverage": float(found.stats["coverage"]),
        "density": float(found.stats["density"]),
        "mass": float(found.stats["mass"]),
        "box": {k: {"min": float(r["min"]), "max": float(r["max"])} for k, r in found.box.iterrows()},
        "sentence": sentence,
    }
    write_json(folder / "discovery.json", summary)
    write_manifest(folder, discovery_manifest(results, target, min_coverage, found.total))
    write_report_md(folder, f"Scenario discovery: {target}", [f"Results: `{results}`", "", sentence], {"chosen box": found.box}, figures, [])
    return AnalysisResult(folder, {"chosen box": found.box}, [sentence], [], found, summary)


def _results_scenario(results: Path) -> Any:
    """The scenario a finished folder's manifest holds (one run's), or None (a comparison's two, or none readable)."""
    from sim.experiment.manifest import ResultsFolderError, read_manifest
    from sim.scenario.schema import scenario_from_table

    try:
        resolved = read_manifest(results).scenario
    except ResultsFolderError:
        resolved = {}
    if not resolved or "a" in resolved:
        return None
    try:
        return scenario_from_table(resolved)
    except ValueError:
        return None


def _results_measure(results: Path, measure: str, by_day: float | None, base: str | None) -> Measure:
    """The measure of a study over a finished folder's replications, on the scenario its manifest holds."""
    scenario = _results_scenario(results)
    if scenario is None:
        return _measure_or_usage(lambda: Measure(measure, by_day=by_day))
    return _measure(scenario, measure, by_day, base)


def _measure_or_usage(make: Callable[[], Measure]) -> Measure:
    try:
        return make()
    except MeasureError as exc:
        raise UsageError(str(exc)) from None


def _target_words(target: str, measure: Measure, goal: Any = None) -> str:
    """What a discovery's cases are, in words: ``the base empties by day 30``, ``Life Stone is empty by day 25``,
    ``finishes in the window``; a target on another column says the target itself (``meets the target x > 3``)."""
    text = " ".join(target.split())
    if text == f"days <= {measure.day:g}":
        return {"base empty": "the base empties", "the last out": "everyone is out"}.get(measure.subject, measure.ends_words) + f" by day {measure.day:g}"
    if text == f"{measure.window[0]:g} <= days <= {measure.window[1]:g}":
        low, high = measure.window
        return "finishes in the window" if measure.subject == "base empty" else f"{measure.ends_words} inside the window (day {low:g} to {high:g})"
    if goal is not None and goal.column == measure.column:
        ends = {"base empty": "the base empties", "the last out": "everyone is out"}.get(measure.subject, measure.ends_words)
        low, high = float(goal.low), float(goal.high)
        if math.isfinite(low) and math.isfinite(high):
            return f"{ends} between day {low:g} and day {high:g}"
        if math.isfinite(high):
            return f"{ends} {'before' if goal.high_strict else 'by'} day {high:g}"
        if math.isfinite(low):
            return f"{ends} {'after' if goal.low_strict else 'on or after'} day {low:g}"
    return f"meets the target {text}"


# ---- nowcast, backtest, plan, report --------------------------------------------------------------


@dataclass(frozen=True)
class NowcastResult:
    """A finished nowcast: its folder, the weighted forecast and the scenario's title and window."""

    folder: Path
    nowcast: Any
    title: str
    window_days: tuple[float, float]
    start: date | None = None
    """The scenario's day 0, to turn days into calendar dates."""
    base: str | None = None
    """On a theatre, whose closure is forecast: the main base's title (the reports are of it); None on one base."""


@one_writer()
def nowcast(
    scenario: ScenarioLike,
    observations: str | Path,
    *,
    replications: int | None = None,
    min_ess: float = 30.0,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> NowcastResult:
    """The closure forecast updated by what has been observed so far (``evacsim nowcast``, likelihood weighting);
    ``progress(done, total)`` counts replications as they come back."""
    from sim.experiment.nowcast import DEFAULT_REPLICATIONS, run_nowcast, write_nowcast
    from sim.scenario.observations import load_observations

    o = _options_for("nowcast", options, shared, ("seed", "overrides", "out", "force", "jobs", "executor", "progress"))

    loaded = _loaded(scenario, o.overrides)
    s = loaded.scenario
    seen = load_observations(observations)
    count = replications or DEFAULT_REPLICATIONS
    folder, _ = _folder(o.out, o.force, "nowcast", f"{s.scenario.name}-nowcast")
    pool, own = _executor(o.executor, o.jobs)
    try:
        workers = pool.workers
        result, traj, measurements = run_nowcast(prepare(s), seen, o.seed_or(), count, workers, min_ess, _counted(o.progress, count), pool)
    except KeyboardInterrupt:
        raise Interrupted(folder, False) from None
    finally:
        if own:
            pool.close()
    try:
        with theatre_names(s):  # a theatre's sites by their titles and roads by their ends
            data = write_nowcast(folder, loaded, seen, o.seed_or(), count, workers, result, traj, measurements)
        from sim.plots.completion import save_figure as save_plot  # matplotlib is heavy: loaded only to draw
        from sim.plots.nowcast import nowcast_figure

        start_date = datetime.fromisoformat(s.scenario.start).date()
        fig = nowcast_figure(data["steps"], traj.days_to_base_empty, result.weights, s.scenario.window_days, start_date, result.effective_sample_size)
        save_plot(fig, folder / "nowcast")
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"{folder}: cannot write results ({exc.strerror or exc})") from exc
    return NowcastResult(folder, result, s.scenario.title, s.scenario.window_days, datetime.fromisoformat(s.scenario.start).date(), data.get("base"))


@dataclass(frozen=True)
class BacktestResult:
    """Finished backtests: their folder and one row per case (``backtest.csv``)."""

    folder: Path
    table: pd.DataFrame
    cases: list[Any]
    """One :class:`sim.analysis.backtest.Backtest` per case: reported range, model P10/P50/P90, paper forecast, CRPS of both, skill."""


def _counted(progress: Progress, total: int) -> Callable[[int], None] | None:
    """A study's ``progress(done, total)`` fed by an engine that reports the replications each batch brought back."""
    if progress is None:
        return None
    done = 0

    def advanced(n: int) -> None:
        nonlocal done
        done += n
        progress(done, total)

    return advanced


@one_writer()
def backtest(
    cases: Sequence[str | Path] = (),
    *,
    replications: int = 300,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> BacktestResult:
    """The model against past withdrawals (``evacsim backtest``): each case file of ``scenarios/history/`` (default) replicated
    and compared with what was reported."""
    o = _options_for("backtest", options, shared, ("seed", "out", "force", "jobs", "executor", "progress"))
    from sim.experiment.backtest import default_cases, load_cases, run_backtests
    from sim.plots.backtest import backtest_figure

    loaded = load_cases([Path(c) for c in cases] or [default_cases()])
    folder, _ = _folder(o.out, o.force, "backtest", "backtest")
    pool, own = _executor(o.executor, o.jobs)
    try:
        results = run_backtests(loaded, o.seed_or(), replications, pool, o.progress)
    except KeyboardInterrupt:
        raise Interrupted(folder, False) from None
    finally:
        if own:
            pool.close()
    table = pd.DataFrame([r.as_row() for r in results])
    write_atomic(folder / "backtest.csv", lambda tmp: table.to_csv(tmp, index=False))
    write_manifest(folder, new_manifest("backtest", {}, "", [], o.seed_or(), replications=replications, cases=[c.loaded.path for c in loaded]))
    fig = backtest_figure(table)
    for ext in ("png", "svg"):

        def draw(tmp: Path, ext: str = ext) -> None:
            fig.savefig(tmp, format=ext)

        write_atomic(folder / f"backtest.{ext}", draw)
    return BacktestResult(folder, table, results)


@one_writer()
def plan(
    scenario: ScenarioLike,
    plan_file: str | Path,
    *,
    target: str | None = None,
    budget: float | None = None,
    trials: int | None = None,
    stage: Callable[[str], None] | None = None,
    options: StudyOptions | None = None,
    **shared: Unpack[SharedOptions],
) -> Any:
    """The cheapest set of additions that meets a target such as ``P(days <= 30) >= 0.9`` (``evacsim plan``):
    ``plan_file`` holds its levers (dotted paths, whole units to add, cost per unit), budget and target.

    ``days`` in the target is what the measure measures: on a theatre the whole withdrawal (the last out) unless
    ``base`` names a base; ``by_day`` replaces the target's day. A plan seeks a chance of being out by a day, so
    ``measure`` is ``days`` or ``out-by-day`` (the same goal); ``window`` is refused. ``seed`` None runs on the plan
    file's seed (else 20260223); ``progress(done, total)`` counts replications (``total`` 0: not known in advance) and
    ``stage(label)`` names the step they are for (``search``, ``confirm``).

    Returns the plan's result (its ``sentence``, ``overrides`` to check it with, ``check`` on fresh replications);
    its tables, figure and manifest are in ``result.folder``."""
    o = _options_for("plan", options, shared, ("seed", "overrides", "out", "force", "resume", "jobs", "executor", "progress", "measure", "by_day", "base"))
    need("plan")
    from sim.experiment import plan as p
    from sim.experiment.plan_file import parse_target, read_plan_options

    goal = None
    if target is not None:
        try:
            goal = parse_target(target)
        except ValueError as exc:
            raise UsageError(f"--target: {exc}") from None
    loaded = _loaded(scenario, o.overrides)
    study = read_plan_options(Path(plan_file), loaded.scenario)
    goal = goal or study.target
    if goal is None:
        raise UsageError(f'{plan_file}: no target; give target = "P(days <= 30) >= 0.9" in the plan file or --target')
    m = _measure(loaded.scenario, o.measure, o.by_day, o.base)
    if m.kind == "window":
        raise UsageError("--measure window: a plan seeks the cheapest way to be out by a day (P(days <= D) >= p); use --measure days or out-by-day")
    if goal.measure == "left" and not _has_deadline(loaded.scenario):
        raise UsageError(f"target {goal}: the scenario has no [deadline] (nor a base's own), so nothing is ever left behind; add one or target days")
    if goal.measure == "days" and m.column != "days_to_base_empty":
        goal = replace(goal, subject=m.column)
    if o.by_day is not None and goal.measure != "left":
        goal = replace(goal, days=float(o.by_day))
    if budget is not None:
        study = replace(study, budget=budget)
    if trials is not None:
        study = replace(study, trials=trials)
    seed = o.seed_or(study.seed)
    folder = _analysis_folder(o.out, o.force, o.resume, p.KIND, f"{loaded.scenario.scenario.name}-plan", kept=("chunks",))
    executor, own = _executor(o.executor, o.jobs)
    try:
        with _resumable(folder, "plans evaluated so far"), theatre_names(loaded.scenario):  # a theatre's roads by their ends
            result = p.plan(loaded, study, goal, seed, executor, folder, o.resume, _staged(o.progress, stage))
    finally:
        if own:
            executor.close()
    if len(result.candidates):  # a figure when it tried any plan
        from sim.plots.completion import save_figure as save_plot
        from sim.plots.plan import plan_figure

        save_plot(plan_figure(result.candidates, result.pareto, result.ranked, goal.probability, study.indifference, goal.short()), folder / "plan")
    staying = _stays_sometimes(loaded.scenario, o.base, m)
    if staying:  # first: the last warning of a plan that found none is its answer
        result.warnings.insert(0, staying)
    with theatre_names(loaded.scenario):
        p.write_plan_folder(folder, loaded, study, goal, seed, result)
    result.folder = folder
    return result


def _stays_sometimes(scenario: object, base: str | None, measure: Measure) -> str:
    """What a plan's chance on a base that moves in only some replications is of: unlike run's and every other study's
    (of the replications in which it moves), a plan counts a replication in which the base stays as out from day 0."""
    if base is None or not isinstance(scenario, TheatreScenario) or base not in scenario.sites:
        return ""
    leaves = getattr(scenario.sites[base], "leaves", 1.0)
    if not isinstance(leaves, int | float) or leaves >= 1:
        return ""
    who = measure.who
    return (
        f"{who} has to move in only about {100 * leaves:.0f}% of replications (sites.{base}.leaves = {leaves:g}); the plan counts one "
        f"in which it stays as out from day 0, so its chances are of every replication, not, as run's, of those in which it moves"
    )


def _staged(progress: Progress, stage: Callable[[str], None] | None) -> Callable[[str, int, int], None]:
    """The plan's ``progress(label, done, total)`` as a study's ``progress(done, total)`` and its ``stage(label)``."""

    def advance(label: str, done: int, total: int) -> None:
        if stage is not None:
            stage(label)
        if progress is not None:
            progress(done, total)

    return advance


@one_writer()
def write_report(folder: str | Path, *, replot: bool = False) -> Path:
    """``report.html`` in a results folder (``evacsim report``): verdict, summary, every figure, provenance and manifest."""
    from sim.report import render_report

    return Path(render_report(Path(folder), replot=replot))
