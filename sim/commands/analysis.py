"""``evacsim sensitivity``, ``discover``, ``calibrate`` and ``marginal``: what drives the closure date.

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

from sim.commands._options import EXIT_INTERRUPTED, EXIT_WORKERS, DaskLocalOpt, SchedulerOpt, SeedOpt

EXIT_BAD_INPUT = 3
EXIT_OUTPUT = 4

JobsOpt = Annotated[int | None, typer.Option(min=1, help="worker processes (default: all cores)")]
RepsOpt = Annotated[int | None, typer.Option("--replications", "-n", min=1, help="replications per design point (default: see docs/ANALYSIS.md)")]
OutOpt = Annotated[Path | None, typer.Option(help="results folder (default: results/<scenario>-<command>-<UTC time>/)")]
ForceOpt = Annotated[bool, typer.Option(help="write into a non-empty --out folder (finished chunks of the very same study there are reused)")]
ResumeOpt = Annotated[bool, typer.Option(help="finish an interrupted study in --out: run only the chunks it is missing")]
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
    """Add the four analysis commands to the application."""
    app.command()(sensitivity)
    app.command()(discover)
    app.command()(calibrate)
    app.command()(marginal)


# ---- shared plumbing ----------------------------------------------------------------------------


def _fail(message: str, status: int = EXIT_BAD_INPUT):
    from sim import cli

    cli._fail(message, status)


def _folder(out: Path | None, force: bool, name: str, resume: bool = False, kind: str | None = None) -> Path:
    from sim.experiment.storage import OutputError, new_run_dir, prepare_out_dir

    if resume and force:
        _fail("give --resume or --force, not both", 2)
    if resume and out is None:
        _fail("--resume needs --out, the folder of the study to finish", 2)
    if resume and not (out / "chunks").is_dir():
        _fail(f"{out}: no finished chunks, so there is no study to resume; run without --resume", EXIT_OUTPUT)
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
    from sim import cli
    from sim.experiment.evaluate import ChunkStore
    from sim.experiment.executors import ExecutorError
    from sim.experiment.storage import OutputError

    rerun = f"rerun the same command with --out {folder} --resume"
    again = f"the finished chunks are kept in {folder}: {rerun}"
    try:
        with cli._progress() as bar:
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
    from sim.experiment.storage import manifest, write_json, write_parquet

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
    write_json(folder / "manifest.json", manifest(resolved, loaded.path, list(loaded.overrides), seed, info))
    write_parquet(folder / "replications.parquet", study.rows)


def _report(folder: Path, title: str, lines: list[str], tables: dict[str, pd.DataFrame], figures: list[str], warnings: list[str]) -> None:
    parts = [f"# {title}", "", *lines, ""]
    if warnings:
        parts += ["## Warnings", "", *[f"- {w}" for w in warnings], ""]
    for name, table in tables.items():
        parts += [f"## {name}", "", table.to_markdown(floatfmt=".3g") if _has_tabulate() else table.to_string(), ""]
    parts += [f"![{f}]({f})" for f in figures]
    (folder / "report.md").write_text("\n".join(parts) + "\n")


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


def _print_warnings(warnings: list[str]) -> None:
    from sim import cli

    for w in warnings:
        cli._warn(w)


def _print_table(title: str, table: pd.DataFrame, columns: list[str], rows: int = 10) -> None:
    from rich.table import Table

    from sim import cli
    from sim.plots.sensitivity import label

    out = Table(title=title)
    out.add_column("")
    for c in columns:
        out.add_column(c, justify="right")
    for name, row in table.head(rows).iterrows():
        out.add_row(label(str(name)), *(f"{row[c]:.3g}" for c in columns))
    cli.console.print(out)


# ---- sensitivity --------------------------------------------------------------------------------


def sensitivity(
    scenario: ScenarioArg,
    method: Annotated[Method, typer.Option(help="tornado (one at a time), morris (screening) or sobol (variance shares)")] = Method.tornado,
    factors: Annotated[Path | None, typer.Option(help='study file naming factors and ranges: [factors."escort.teams"] low = 3, high = 10')] = None,
    trajectories: Annotated[int | None, typer.Option(min=2, help="Morris trajectories (default 10)")] = None,
    n: Annotated[int | None, typer.Option("--base-samples", min=2, help="Sobol' base sample n, a power of 2 (default 32): n x (factors + 2) points")] = None,
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
    from sim import cli
    from sim.experiment import analyses
    from sim.experiment.evaluate import StudyError, scenario_factors, study_factors, study_overrides

    try:
        study_set = study_overrides(factors) if factors else []
    except StudyError as exc:
        _fail(str(exc))
    loaded = cli._load(scenario, [*study_set, *(set_ or [])])
    s = loaded.scenario
    try:
        chosen = study_factors(factors, s) if factors else scenario_factors(s)
    except StudyError as exc:
        _fail(str(exc))
    if not chosen:
        _fail(f"{scenario}: no input is given as a distribution, so there is nothing to vary; name factors with --factors STUDY.toml")
    m = method.value
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
        _print_table("Tornado: swing from P5 to P95", study.tables["tornado"], ["mean_days.swing", "p_window.swing"])
    elif m == "morris":
        _print_table("Morris: mean days to base empty", study.tables["morris"].sort_values("mu_star", ascending=False), ["mu_star", "mu_star_conf", "sigma"])
    else:
        _print_table("Sobol': mean days to base empty", study.tables["sobol"].sort_values("ST", ascending=False), ["S1", "S1_conf", "ST", "ST_conf"])
    note = f"{study.points} design points x {study.replications_per_point} replications each (common random numbers), {len(chosen)} factors."
    _write_common(folder, loaded, seed, study, {"kind": f"sensitivity-{m}", "factors": [f.as_record() for f in chosen]})
    figures = _draw_figures(folder, f"sensitivity-{m}")
    tables = {k: v for k, v in study.tables.items() if k != "points"}
    _report(folder, f"Sensitivity ({m}): {s.scenario.title}", [note], tables, figures, study.warnings)
    _print_warnings(study.warnings)
    cli.console.print(note)
    cli._results_in(folder)


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
    from sim import cli
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
    from sim.experiment.storage import write_json

    write_json(folder / "discovery.json", summary)
    write_json(folder / "manifest.json", _discovery_manifest(results, target, min_coverage, found.total))
    _report(folder, f"Scenario discovery: {target}", [f"Results: `{results}`", "", sentence], {"chosen box": found.box}, figures, [])
    cli.console.print(f"[bold]{escape(sentence)}[/]")
    cli._results_in(folder)


def _discovery_manifest(results: Path, target: str, min_coverage: float, replications: int) -> dict:
    """What a discovery was: the folder it read, its target, and that folder's scenario and seed when it has them."""
    from sim.experiment.storage import manifest

    try:
        source = json.loads((results / "manifest.json").read_text())
    except (OSError, ValueError):
        source = {}
    source = source if isinstance(source, dict) else {}
    extra = {"kind": "discover", "results": str(results), "target": target, "min_coverage": min_coverage, "replications": replications}
    scenario = source.get("scenario") if isinstance(source.get("scenario"), dict) else {}
    return manifest(scenario, str(source.get("scenario_path", "")), list(source.get("overrides", [])), source.get("seed"), extra)


def _read_results(results: Path) -> tuple[pd.DataFrame, list[str] | None]:
    """Replication rows of a run, sweep or analysis folder, and the design factors when there is a design."""
    if not results.is_dir():
        raise UserError(f"{results}: not a results folder; give the folder written by evacsim run, sweep or sensitivity")
    source = results / "replications.parquet"
    if not source.exists():
        raise UserError(f"{results}: no replications.parquet in it; give the folder written by evacsim run, sweep or sensitivity")
    from sim.experiment.dataset import design_factors

    rows = pd.read_parquet(source)
    return rows, design_factors(results, rows)


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
    from sim import cli
    from sim.analysis.calibration import informative
    from sim.experiment import analyses

    try:
        window = _window(target_days)
    except UserError as exc:
        _fail(str(exc), 2)
    loaded = cli._load(scenario, set_)
    s = loaded.scenario
    reps = _setting(replications, "calibrate", "replications", precise)
    folder = _folder(out, force, f"{s.scenario.name}-calibrate", resume, "calibrate")
    executor = _executor(jobs, scheduler, dask_local)
    with executor:
        study = _run_with_progress(
            f"calibration, {reps} draws", folder, resume, lambda store, p: analyses.run_calibration(s, window, seed, reps, executor, store, p)
        )
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
        + ("; ".join(f"{n} {r.prior_p5:.3g}-{r.prior_p95:.3g} -> {r.post_p5:.3g}-{r.post_p95:.3g}" for n, r in strong.iterrows()) or "none clearly."),
    ]
    _write_common(folder, loaded, seed, study, {"kind": "calibrate", "target_days": list(window), "acceptance": rate.as_dict()})
    figures = _draw_figures(folder, "calibrate")
    _report(folder, f"Calibration to {target}: {s.scenario.title}", lines, {"prior vs posterior": found.table}, figures, study.warnings)
    _print_table(f"Prior vs posterior given {target}", found.table, ["prior_p5", "prior_p95", "post_p5", "post_p95", "ks"], rows=8)
    _print_warnings(study.warnings)
    cli.console.print(lines[0])
    cli._results_in(folder)


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
    from sim import cli
    from sim.experiment import analyses
    from sim.experiment.evaluate import StudyError

    loaded = cli._load(scenario, set_)
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
    )
    _print_table("Days saved and change in P(window)", table, ["days_saved", "days_saved_low", "days_saved_high", "p_window_change"], rows=len(table))
    cli.console.print(f"[bold]{escape(line)}[/]")
    cli._results_in(folder)
