"""``evacsim sensitivity``, ``discover``, ``calibrate``, ``marginal`` and ``evidence``: what drives the closure date,
and what to find out first.

Thin commands: parse the options, call :mod:`sim.experiment.analyses` or
:mod:`sim.analysis.discovery`, write tables (CSV), figures (PNG and SVG) and a short
``report.md`` into the results folder. User errors are one paragraph and exit 3.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._options import EXIT_INTERRUPTED, EXIT_WORKERS, DaskLocalOpt, SchedulerOpt, SeedOpt

EXIT_BAD_INPUT = 3
EXIT_OUTPUT = 4

JobsOpt = Annotated[int | None, typer.Option(min=1, help="worker processes (default: all cores)")]
RepsOpt = Annotated[int | None, typer.Option("--replications", "-n", min=1, help="replications per design point (default: see docs/ANALYSIS.md)")]
OutOpt = Annotated[Path | None, typer.Option(help="results folder (default: results/<scenario>-<command>-<UTC time>/)")]
ForceOpt = Annotated[bool, typer.Option(help="write into a non-empty --out folder (finished replications of the very same study there are reused)")]
ResumeOpt = Annotated[bool, typer.Option(help="finish an interrupted study in --out: run only the replications it is missing")]
PreciseOpt = Annotated[bool, typer.Option(help="larger designs and more replications (minutes instead of seconds)")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="override a field by dotted path, value as TOML")]
ScenarioArg = Annotated[Path, typer.Argument(help="scenario file, e.g. scenarios/qasrak_baseline.toml", show_default=False)]


class Method(StrEnum):
    tornado = "tornado"
    morris = "morris"
    sobol = "sobol"


class UserError(Exception):
    """A problem the user can fix; the message is the one paragraph shown."""


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the application."""
    app.command()(sensitivity)
    app.command()(discover)
    app.command()(calibrate)
    app.command()(marginal)
    app.command()(evidence)


# ---- shared plumbing ----------------------------------------------------------------------------


def _fail(message: str, status: int = EXIT_BAD_INPUT):

    _console.fail(message, status)


def _folder(out: Path | None, force: bool, name: str, resume: bool = False, kind: str | None = None) -> Path:
    from sim.experiment.manifest import prepare_out_dir
    from sim.experiment.storage import OutputError, new_run_dir

    if resume and force:
        _fail("give --resume or --force, not both", 2)
    if resume and out is None:
        _fail("--resume needs --out, the folder of the study to finish", 2)
    if resume and not any((out / name).is_dir() for name in ("replications.parquet", "tornado_replications.parquet")):
        _fail(f"{out}: no finished replications, so there is no study to resume; run without --resume", EXIT_OUTPUT)
    try:
        return prepare_out_dir(out, force or resume, kind) if out else new_run_dir(Path("results"), name)
    except OutputError as exc:
        _fail(str(exc), EXIT_OUTPUT)


def _executor(jobs: int | None, scheduler: str | None, dask_local: int | None = None):
    from sim.experiment.executors import ExecutorError, make_executor

    try:
        return make_executor(jobs=jobs, scheduler=scheduler, dask_local=dask_local)
    except ExecutorError as exc:
        _fail(str(exc), EXIT_WORKERS)


def _run_with_progress(label: str, folder: Path, resume: bool, run):
    """Call ``run(store, progress)`` under a progress bar counting replications, ``store`` keeping
    finished chunks in ``folder``; a failure or an interruption says how to finish the study."""
    from sim.experiment.evaluate import ChunkStore
    from sim.experiment.executors import ExecutorError
    from sim.experiment.storage import OutputError

    rerun = f"rerun the same command with --out {folder} --resume"
    again = f"the finished replications are kept in {folder}: {rerun}"
    try:
        with _console.progress() as bar:
            task = bar.add_task(label, total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            return run(ChunkStore(folder, resume), advance)
    except OutputError as exc:
        _fail(str(exc), EXIT_OUTPUT)
    except ExecutorError as exc:
        _fail(f"{exc}; {again}", EXIT_WORKERS)
    except OSError as exc:
        _fail(f"{folder}: cannot write results ({exc.strerror or exc}); make room, then {rerun}", EXIT_OUTPUT)
    except KeyboardInterrupt:
        _fail(f"interrupted; {again}", EXIT_INTERRUPTED)


def _setting(value: int | None, method: str, key: str, precise: bool) -> int:
    from sim.experiment.analyses import DEFAULTS, PRECISE

    if value is not None:
        return value
    return (PRECISE if precise else DEFAULTS)[method][key]


def _save(folder: Path, name: str, fig) -> str:
    import matplotlib.pyplot as plt

    from sim.plots.completion import save_figure

    save_figure(fig, folder / name)
    plt.close(fig)
    return f"{name}.png"


def _draw_figures(folder: Path, kind: str) -> list[str]:
    """Draw an analysis folder's figures from the tables and manifest just written, as ``evacsim plot``
    redraws them (one way to draw each); returns the PNG names for the report."""
    from sim.plots.figures import plot_analysis

    return [path.name for path in plot_analysis(folder, kind).paths if path.suffix == ".png"]


def _write_common(folder: Path, loaded, seed: int, study, extra: dict) -> None:
    from sim.experiment.engine import Store
    from sim.experiment.manifest import new_manifest, write_manifest
    from sim.experiment.storage import write_parquet

    resolved = loaded.scenario.model_dump(mode="json")
    info = {
        "points": study.points,
        "replications_per_point": study.replications_per_point,
        "replications_total": len(study.rows),
        "replication_seconds": study.replication_seconds,
        "analysis_seconds": study.analysis_seconds,
        "warnings": study.warnings,
        **extra,
    }
    kind = info.pop("kind")
    write_manifest(folder, new_manifest(kind, resolved, loaded.path, list(loaded.overrides), seed, **info))
    if extra.get("monte_carlo_from"):  # the rows came from a run's folder: the study ran none of its own
        Store(folder).clear()
        write_parquet(folder / "replications.parquet", study.rows)


def _report(
    folder: Path,
    title: str,
    lines: list[str],
    tables: dict[str, pd.DataFrame],
    figures: list[str],
    warnings: list[str],
    window: tuple[float, float] | None = None,
) -> None:
    """``report.md``: the title, findings, warnings, tables (in words and units when evacsim knows them) and figures."""
    from sim.names import TABLES, people_table

    parts = [f"# {title}", "", *lines, ""]
    if warnings:
        parts += ["## Warnings", "", *[f"- {w}" for w in warnings], ""]
    for name, table in tables.items():
        stem = {"prior vs posterior": "calibration"}.get(name, name)
        shown = people_table(table, stem, window) if stem in TABLES else table
        index = stem not in TABLES
        parts += [f"## {name}", "", shown.to_markdown(floatfmt=".3g", index=index) if _has_tabulate() else shown.to_string(index=index), ""]
    parts += [f"![{f}]({f})" for f in figures]
    (folder / "report.md").write_text("\n".join(parts) + "\n")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def _print_warnings(warnings: list[str]) -> None:

    for w in warnings:
        _console.warn(w)


def _print_table(title: str, table: pd.DataFrame, stem: str, columns: list[str], window: tuple[float, float] | None, rows: int = 10) -> None:
    """An analysis table on the console as people read it: inputs by name (dotted path beside, dim), columns in words and units."""
    from rich.table import Table

    from sim.names import people_table

    shown = people_table(table.head(rows), stem, window, columns, short=True)
    out = Table(title=escape(title))
    first = shown.columns[0]
    out.add_column(escape(first), overflow="fold", ratio=None)
    rest = [c for c in shown.columns[1:] if c != "parameter"]
    for column in rest:
        out.add_column(escape(column), justify="left" if column == "unit" else "right")
    for _, row in shown.iterrows():
        name = escape(str(row[first])) + (f"\n[dim]{escape(row['parameter'])}[/]" if "parameter" in shown and row["parameter"] != row[first] else "")
        out.add_row(name, *(escape(str(row[c])) for c in rest))
    _console.console.print(out)


# ---- sensitivity --------------------------------------------------------------------------------


def sensitivity(
    scenario: ScenarioArg,
    method: Annotated[Method, typer.Option(help="tornado (one at a time), morris (screening) or sobol (variance shares)")] = Method.tornado,
    factors: Annotated[Path | None, typer.Option(help='study file naming factors and ranges: \\[factors."escort.teams"] low = 3, high = 10')] = None,
    trajectories: Annotated[int | None, typer.Option(min=2, help="Morris trajectories (default 10)")] = None,
    n: Annotated[int | None, typer.Option("--base-samples", min=2, help="Sobol' base sample n, a power of 2 (default 128): n x (factors + 2) points")] = None,
    replications: RepsOpt = None,
    seed: SeedOpt = 20260223,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    precise: PreciseOpt = False,
) -> None:
    """Which uncertain inputs move the closure date most: tornado, Morris or Sobol'."""
    from sim.experiment import analyses
    from sim.experiment.evaluate import StudyError, scenario_factors, study_factors, study_overrides

    try:
        study_set = study_overrides(factors) if factors else []
    except StudyError as exc:
        _fail(str(exc))
    loaded = _console.load(scenario, [*study_set, *(set_ or [])])
    s = loaded.scenario
    try:
        chosen = study_factors(factors, s) if factors else scenario_factors(s)
    except StudyError as exc:
        _fail(str(exc))
    if not chosen:
        _fail(f"{scenario}: no input is given as a distribution, so there is nothing to vary; name factors with --factors STUDY.toml")
    m = method.value
    window = tuple(s.scenario.window_days)
    reps = _setting(replications, m, "replications", precise)
    folder = _folder(out, force, f"{s.scenario.name}-sensitivity-{m}", resume, f"sensitivity-{m}")
    executor = _executor(jobs, scheduler, dask_local)
    with executor:
        if m == "tornado":
            study = _run_with_progress(
                f"tornado, {reps} replications a point", folder, resume, lambda store, p: analyses.run_tornado(s, chosen, seed, reps, executor, store, p)
            )
        elif m == "morris":
            r = _setting(trajectories, m, "trajectories", precise)
            study = _run_with_progress(
                f"morris, {reps} replications a point", folder, resume, lambda store, p: analyses.run_morris(s, chosen, seed, reps, r, executor, store, p)
            )
        else:
            size = _setting(n, m, "n", precise)
            study = _run_with_progress(
                f"sobol, {reps} replications a point", folder, resume, lambda store, p: analyses.run_sobol(s, chosen, seed, reps, size, executor, store, p)
            )
    for name, table in study.tables.items():
        table.to_csv(folder / f"{name}.csv", index=name != "points")
    if m == "tornado":
        _print_table("Tornado: swing from P5 to P95", study.tables["tornado"], "tornado", ["mean_days.swing", "p_window.swing"], window)
    elif m == "morris":
        morris = study.tables["morris"].sort_values("mu_star", ascending=False)
        _print_table("Morris: mean days to base empty", morris, "morris", ["mu_star", "mu_star_conf", "sigma"], window)
    else:
        sobol = study.tables["sobol"].sort_values("ST", ascending=False)
        _print_table("Sobol': mean days to base empty", sobol, "sobol", ["S1", "S1_conf", "ST", "ST_conf"], window)
    note = f"{study.points} design points x {study.replications_per_point} replications each (common random numbers), {len(chosen)} factors."
    _write_common(folder, loaded, seed, study, {"kind": f"sensitivity-{m}", "factors": [f.as_record() for f in chosen]})
    figures = _draw_figures(folder, f"sensitivity-{m}")
    tables = {k: v for k, v in study.tables.items() if k != "points"}
    _report(folder, f"Sensitivity ({m}): {s.scenario.title}", [note], tables, figures, study.warnings, window)
    _print_warnings(study.warnings)
    _console.console.print(note)
    _console.results_in(folder)


# ---- discover -----------------------------------------------------------------------------------


def discover(
    results: Annotated[Path, typer.Argument(help="a results folder of run, sweep or sensitivity (holds replications.parquet)", show_default=False)],
    target: Annotated[str, typer.Option(help='cases of interest, e.g. "15 <= days <= 30" or "days > 30" (days: to base empty)')] = "15 <= days <= 30",
    min_coverage: Annotated[float, typer.Option(min=0.0, max=1.0, help="choose the densest box covering at least this share of the cases")] = 0.5,
    out: OutOpt = None,
    force: ForceOpt = False,
) -> None:
    """Under which conditions the target happens: PRIM boxes over the inputs of a finished study.

    Discovery runs no replications: it reads those of RESULTS, so it takes no seed, jobs or cluster.
    """
    from sim.analysis import discovery as d
    from sim.plots.discovery import discovery_figure

    try:
        goal = d.parse_target(target)
    except ValueError as exc:
        _fail(str(exc), 2)
    try:
        rows, factors = _read_results(results)
        if goal.column not in rows.columns:
            raise UserError(f"{results}: the results have no column {goal.column} for the target {target}")
        x = d.input_columns(rows, factors)
        cases = goal.cases(rows)
        found = d.discover(x, cases, min_coverage=min_coverage)
    except (UserError, ValueError) as exc:
        _fail(str(exc))
    folder = _folder(out, force, f"{results.name}-discover", kind="discover")
    what = "meets the target" if target.strip() != "15 <= days <= 30" else "finishes in the window"
    sentence = d.describe(found, what)
    trajectory = d.trajectory_table(found)
    trajectory.to_csv(folder / "prim_trajectory.csv", index_label="step")
    found.box.to_csv(folder / "prim_box.csv")
    figures = [_save(folder, "discovery", discovery_figure(found, x, cases, what=target))]
    summary = {
        "target": target,
        "cases": found.cases,
        "replications": found.total,
        "base_rate": found.base_rate,
        "chosen_step": found.chosen,
        "coverage": float(found.stats["coverage"]),
        "density": float(found.stats["density"]),
        "mass": float(found.stats["mass"]),
        "box": {k: {"min": float(r["min"]), "max": float(r["max"])} for k, r in found.box.iterrows()},
        "sentence": sentence,
    }
    from sim.experiment.manifest import write_manifest
    from sim.experiment.storage import write_json

    write_json(folder / "discovery.json", summary)
    write_manifest(folder, _discovery_manifest(results, target, min_coverage, found.total))
    _report(folder, f"Scenario discovery: {target}", [f"Results: `{results}`", "", sentence], {"chosen box": found.box}, figures, [])
    _console.console.print(f"[bold]{escape(sentence)}[/]")
    _console.results_in(folder)


def _discovery_manifest(results: Path, target: str, min_coverage: float, replications: int):
    """What a discovery was: the folder it read, its target, and that folder's scenario and seed when it has them."""
    from sim.experiment.manifest import Manifest, ResultsFolderError, new_manifest, read_manifest

    try:
        source = read_manifest(results)
    except ResultsFolderError:
        source = Manifest(kind="run")
    extra = {"results": str(results), "target": target, "min_coverage": min_coverage, "replications": replications}
    return new_manifest("discover", source.scenario, source.scenario_path, source.overrides, source.seed, **extra)


def _read_results(results: Path) -> tuple[pd.DataFrame, list[str] | None]:
    """Replication rows of a run, sweep or analysis folder, and the design factors when there is a design."""
    if not results.is_dir():
        raise UserError(f"{results}: not a results folder; give the folder written by evacsim run, sweep or sensitivity")
    source = results / "replications.parquet"
    if not source.exists():
        raise UserError(f"{results}: no replications.parquet in it; give the folder written by evacsim run, sweep or sensitivity")
    from sim.experiment.manifest import design_factors

    rows = pd.read_parquet(source)
    return rows, design_factors(results, rows.columns)


# ---- calibrate ----------------------------------------------------------------------------------


def _window(text: str) -> tuple[float, float]:
    try:
        low, high = (float(x) for x in text.split(":"))
    except ValueError:
        raise UserError(f'--target-days "{text}": write LOW:HIGH in days, e.g. 15:30') from None
    if not 0 <= low < high:
        raise UserError(f'--target-days "{text}": LOW must be at least 0 and below HIGH, both in days from the start, e.g. 15:30')
    return low, high


def calibrate(
    scenario: ScenarioArg,
    target_days: Annotated[str, typer.Option(help="window the seed reports, LOW:HIGH days to base empty")] = "15:30",
    replications: RepsOpt = None,
    seed: SeedOpt = 20260223,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    precise: PreciseOpt = False,
) -> None:
    """Which input values make the seed's estimate come true: ABC rejection over the scenario's distributions."""
    from sim.analysis.calibration import informative
    from sim.experiment import analyses
    from sim.names import label
    from sim.report.readable import span

    try:
        window = _window(target_days)
    except UserError as exc:
        _fail(str(exc), 2)
    loaded = _console.load(scenario, set_)
    s = loaded.scenario
    horizon = float(s.scenario.horizon_days)
    if window[0] >= horizon:
        _fail(
            f"--target-days {target_days}: the target starts at or after the scenario's horizon of {horizon:g} days, where every "
            f"replication is cut off, so no draw can close in it (more replications would not help); choose a target below "
            f"{horizon:g} days or lengthen the horizon, e.g. --set scenario.horizon_days={int(window[1]) + 30}",
            2,
        )
    beyond = [f"--target-days {target_days} reaches past the horizon of {horizon:g} days: no replication closes after it"] if window[1] > horizon else []
    reps = _setting(replications, "calibrate", "replications", precise)
    folder = _folder(out, force, f"{s.scenario.name}-calibrate", resume, "calibrate")
    executor = _executor(jobs, scheduler, dask_local)
    with executor:
        study = _run_with_progress(
            f"calibration, {reps} draws", folder, resume, lambda store, p: analyses.run_calibration(s, window, seed, reps, executor, store, p)
        )
    study.warnings = [*beyond, *study.warnings]
    found = study.extra["calibration"]
    inputs = study.extra["inputs"]
    if inputs.shape[1] == 0:
        _fail(f"{scenario}: no input is given as a distribution, so there is nothing to calibrate")
    found.table.to_csv(folder / "calibration.csv")
    target = f"{window[0]:g}-{window[1]:g} days"
    rate = found.acceptance
    strong = informative(found.table)
    lines = [
        f"{int(found.accepted.sum())} of {len(found.accepted)} draws from the priors closed in {target}: acceptance "
        f"{rate.estimate:.1%} (95% CI {rate.ci_low:.1%}-{rate.ci_high:.1%}).",
        "",
        "Inputs the estimate constrains (prior P5-P95 -> posterior P5-P95): "
        + ("; ".join(f"{label(n)} {span(r.prior_p5, r.prior_p95)} -> {span(r.post_p5, r.post_p95)}" for n, r in strong.iterrows()) or "none clearly."),
    ]
    _write_common(folder, loaded, seed, study, {"kind": "calibrate", "target_days": list(window), "acceptance": rate.as_dict()})
    figures = _draw_figures(folder, "calibrate")
    _report(folder, f"Calibration to {target}: {s.scenario.title}", lines, {"prior vs posterior": found.table}, figures, study.warnings, tuple(window))
    _print_table(f"Prior vs posterior given {target}", found.table, "calibration", ["prior_p5", "prior_p95", "post_p5", "post_p95", "ks"], window, rows=8)
    _print_warnings(study.warnings)
    _console.console.print(lines[0])
    _console.results_in(folder)


# ---- marginal -----------------------------------------------------------------------------------


def marginal(
    scenario: ScenarioArg,
    replications: RepsOpt = None,
    seed: SeedOpt = 20260223,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    precise: PreciseOpt = False,
) -> None:
    """What one more truck, escort team, Apache, loading team, sortie or crossing buys, with 95% CIs."""
    from sim.experiment import analyses
    from sim.experiment.evaluate import StudyError

    loaded = _console.load(scenario, set_)
    s = loaded.scenario
    reps = _setting(replications, "marginal", "replications", precise)
    folder = _folder(out, force, f"{s.scenario.name}-marginal", resume, "marginal")
    executor = _executor(jobs, scheduler, dask_local)
    try:
        with executor:
            study = _run_with_progress(
                f"marginal, {reps} replications a variant", folder, resume, lambda store, p: analyses.run_marginal(s, seed, reps, executor, store, p)
            )
    except StudyError as exc:
        _fail(str(exc))
    table = study.tables["marginal"]
    window = tuple(s.scenario.window_days)
    table.to_csv(folder / "marginal.csv")
    best, top = table.index[0], table.iloc[0]
    line = f"{best} buys the most time: {top['days_saved']:.1f} days (95% CI {top['days_saved_low']:.1f}-{top['days_saved_high']:.1f})."
    _write_common(folder, loaded, seed, study, {"kind": "marginal"})
    figures = _draw_figures(folder, "marginal")
    _report(
        folder,
        f"Marginal value of resources: {s.scenario.title}",
        [f"{reps} replications per variant, common random numbers.", "", line],
        {"marginal": table},
        figures,
        [],
        window,
    )
    shown = ["days_saved", "days_saved_low", "days_saved_high", "p_window_change"]
    _print_table("Days saved and change in the chance of the window", table, "marginal", shown, window, rows=len(table))
    _console.console.print(f"[bold]{escape(line)}[/]")
    _console.results_in(folder)


# ---- evidence -----------------------------------------------------------------------------------


def evidence(
    scenario: ScenarioArg,
    replications: Annotated[int | None, typer.Option("--replications", "-n", min=20, help="Monte Carlo draws to estimate EVPPI from (default 2000)")] = None,
    tornado_replications: Annotated[int | None, typer.Option(min=1, help="replications per tornado point (default 40)")] = None,
    from_run: Annotated[Path | None, typer.Option("--from", help="a run folder of this scenario: estimate from its replications, no new draws")] = None,
    seed: SeedOpt = 20260223,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
    precise: PreciseOpt = False,
) -> None:
    """What to find out first: for each uncertain input, how much knowing it would settle the window question (EVPPI),
    its tornado swing, and the kind of source behind it."""
    from sim.analysis.evidence import BOOTSTRAP, default_blocks, findings
    from sim.experiment import analyses
    from sim.experiment.evaluate import scenario_factors
    from sim.plots.sensitivity import label

    loaded = _console.load(scenario, set_)
    s = loaded.scenario
    chosen = scenario_factors(s)
    labels = {f.path: label(f.path) for f in chosen}
    if not chosen:
        _fail(f"{scenario}: no input is given as a distribution, so knowing any of them would settle nothing; nothing to rank")
    tornado_reps = _setting(tornado_replications, "evidence", "tornado_replications", precise)
    try:
        given = _run_rows(from_run, s) if from_run is not None else None
    except UserError as exc:
        _fail(str(exc))
    reps = len(given) if given is not None else _setting(replications, "evidence", "replications", precise)
    folder = _folder(out, force, f"{s.scenario.name}-evidence", resume, "evidence")
    executor = _executor(jobs, scheduler, dask_local)
    with executor:
        study = _run_with_progress(
            f"evidence: tornado ({tornado_reps} a point), then {reps} draws",
            folder,
            resume,
            lambda store, p: analyses.run_evidence(s, chosen, seed, reps, tornado_reps, labels, executor, store, p, given),
        )
    table = study.tables["evidence"]
    table.to_csv(folder / "evidence.csv", index=False)
    study.tables["tornado"].to_csv(folder / "tornado.csv")
    window = s.scenario.window_days
    lines = findings(table, window, study.extra["p_window"], reps, study.extra.get("joint"))
    extra = {
        "kind": "evidence",
        "factors": [f.as_record() for f in chosen],
        "monte_carlo_replications": reps,
        "monte_carlo_from": str(from_run) if from_run is not None else None,
        "tornado_points": study.extra["tornado_points"],
        "tornado_replications": study.extra["tornado_replications"],
        "p_window": study.extra["p_window"],
        "joint": study.extra.get("joint"),
        "estimator": "regression-based EVPPI (Strong and Oakley 2013): regressogram of the in-window indicator on each input, "
        "noise of the block means removed (Kelley's epsilon squared); 95% bootstrap intervals",
        "bootstrap": BOOTSTRAP,
        "blocks": default_blocks(reps),
    }
    _write_common(folder, loaded, seed, study, extra)
    figures = _draw_figures(folder, "evidence")
    _report(folder, f"What to find out first: {s.scenario.title}", lines, {"evidence": table}, figures, study.warnings)
    _print_evidence(table, window)
    _print_warnings(study.warnings)
    for line in lines:
        _console.console.print(escape(line))
    _console.results_in(folder)


def _run_rows(folder: Path, scenario) -> pd.DataFrame:
    """The replications of a finished ``evacsim run`` of ``scenario`` (the same numbers, --set values included;
    the kinds of source may differ), with the inputs each drew; :class:`UserError` otherwise."""
    manifest_path, rows_path = folder / "manifest.json", folder / "replications.parquet"
    if not rows_path.exists() or not manifest_path.exists():
        raise UserError(f"{folder}: not a results folder of evacsim run (no replications.parquet and manifest.json); give the folder a run wrote")
    try:
        recorded = json.loads(manifest_path.read_text(encoding="utf-8"))
        same = _without_kinds(recorded["scenario"]) == _without_kinds(scenario.model_dump(mode="json"))
    except (OSError, ValueError, KeyError, TypeError):
        raise UserError(f"{manifest_path}: cannot be read as a manifest evacsim wrote; give the folder a run wrote") from None
    if recorded.get("kind") != "run":
        raise UserError(f"{folder}: holds the results of evacsim {recorded.get('kind')}, not of evacsim run; its inputs were not drawn as a run draws them")
    if not same:
        raise UserError(f"{folder}: was run on another scenario (or other --set values) than {scenario.scenario.name} as given; run it again or drop --from")
    rows = pd.read_parquet(rows_path)
    if not any(c.startswith("input.") for c in rows.columns):
        raise UserError(f"{rows_path}: holds no input columns (input.<path>), so nothing to regress the verdict on")
    return rows


def _without_kinds(node):
    """A scenario table without its ``source_kind`` entries: they say what backs a number, not what it is."""
    if isinstance(node, dict):
        return {k: _without_kinds(v) for k, v in node.items() if k != "source_kind"}
    if isinstance(node, list):
        return [_without_kinds(v) for v in node]
    return node


def _print_evidence(table: pd.DataFrame, window: tuple[float, float], rows: int = 12) -> None:
    """The ranked table in words: what knowing each input would settle, its swing, and what backs it."""
    from rich.table import Table

    out = Table(title=f"What to find out first: knowing each input exactly, how much of the uncertainty of 'in {window[0]:g}-{window[1]:g} days' it settles")
    out.add_column("input")
    out.add_column("knowing it would settle", justify="right")
    out.add_column("swing of mean days", justify="right")
    out.add_column(f"swing of P({window[0]:g}-{window[1]:g})", justify="right")
    out.add_column("evidence")
    out.add_column("parameter", style="dim")
    for r in table.head(rows).itertuples():
        settles = f"{max(r.evppi, 0):.0f}% ({max(r.evppi_low, 0):.0f}-{r.evppi_high:.0f}%)"
        out.add_row(escape(r.label), settles, f"{r.swing_days:+.1f} days", f"{r.p_window_swing_points:+.0f} points", r.source_kind, escape(r.input))
    _console.console.print(out)
