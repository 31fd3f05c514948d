"""``evacsim sweep`` and ``evacsim compare``: studies over design points, and paired comparisons.

Thin commands: they parse options, call :mod:`sim.experiment.sweep` and
:mod:`sim.experiment.compare`, and print. Exit status as in :mod:`sim.cli`, plus 5
when the workers cannot be reached or a batch keeps failing on them; 130 when
interrupted (finished batches are kept: rerun with ``--resume``).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._options import EXIT_INTERRUPTED, EXIT_OUTPUT, EXIT_WORKERS, DaskLocalOpt, SchedulerOpt

TargetArg = Annotated[Path, typer.Argument(help="a study file (with \\[factors]) or a scenario file (with --vary)", show_default=False)]
VaryOpt = Annotated[list[str] | None, typer.Option("--vary", help="a factor: path=lo:hi:step, path=lo:hi or path=a,b,c, e.g. escort.teams=2,3,4,6")]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="override a scenario field by dotted path, value as TOML")]
JobsOpt = Annotated[int | None, typer.Option(min=1, help="local worker processes (default: all cores)")]


def sweep(
    target: TargetArg,
    vary: VaryOpt = None,
    design: Annotated[str | None, typer.Option(help="grid (every combination), lhs (Latin hypercube) or sobol (scrambled Sobol points)")] = None,
    samples: Annotated[int | None, typer.Option(min=1, help="design points of an lhs or sobol design")] = None,
    replications: Annotated[int | None, typer.Option("--replications", "-n", min=1, help="replications per design point (default 100)")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="seed: replication i of every point uses the same streams")] = None,
    set_: SetOpt = None,
    name: Annotated[str | None, typer.Option(help="study name (default: the study file's, or the scenario's)")] = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="replications per batch (default: enough for >= 0.5 s)")] = None,
    out: Annotated[Path | None, typer.Option(help="output folder (default: results/<study>-<UTC time>/)")] = None,
    resume: Annotated[bool, typer.Option(help="finish an interrupted sweep in --out: run only the missing batches")] = False,
    force: Annotated[bool, typer.Option(help="start over in a non-empty --out folder")] = False,
) -> None:
    """Run every design point of a study, replicated on common random numbers, into a results folder."""
    from sim.experiment.executors import ExecutorError, make_executor
    from sim.experiment.storage import OutputError, new_run_dir
    from sim.experiment.sweep import plan_sweep, run_sweep
    from sim.scenario.loading import EXIT_BAD_INPUT, ScenarioError

    if resume and force:
        _console.fail("give --resume or --force, not both", 2)
    if resume and out is None:
        _console.fail("--resume needs --out, the folder of the sweep to finish", 2)
    if design is not None and design not in ("grid", "lhs", "sobol"):
        _console.fail(f"--design {design}: use grid, lhs or sobol", 2)
    try:
        study = _study_from(target, vary or [], set_ or [], name=name, design=design, samples=samples, replications=replications, seed=seed)
    except ScenarioError as exc:
        _console.fail(str(exc), EXIT_BAD_INPUT)
    if design in ("lhs", "sobol") and study.samples is None:
        _console.fail(f"--design {design} needs --samples N, the number of design points", 2)
    if study.design == "grid" and samples is not None:
        _console.fail("--samples sets the points of an lhs or sobol design; a grid runs every combination of the levels", 2)
    try:
        plan = plan_sweep(study)
    except ScenarioError as exc:
        _console.fail(str(exc), EXIT_BAD_INPUT)
    if study.design == "sobol" and study.samples and study.samples & (study.samples - 1):
        _console.warn(
            f"a Sobol' design is balanced at a power of 2 points; {study.samples} points are valid but less even than "
            f"{1 << (study.samples.bit_length() - 1)} or {1 << study.samples.bit_length()}"
        )
    try:
        folder = out if out is not None else new_run_dir(Path("results"), plan.study.name)
        with make_executor(jobs, scheduler, dask_local) as executor, _console.progress() as bar:
            task = bar.add_task(f"{plan.study.name}: {len(plan.design)} points", total=len(plan.design) * plan.study.replications)
            result = run_sweep(
                plan,
                folder,
                executor,
                resume=resume,
                force=force,
                batch_size=batch_size,
                on_progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except OutputError as exc:
        _console.fail(str(exc), EXIT_OUTPUT)
    except ExecutorError as exc:
        _console.fail(f"{exc}; the finished batches are kept in {folder}: rerun with --resume", EXIT_WORKERS)
    except KeyboardInterrupt:
        _console.fail(f"interrupted; the finished batches are kept in {folder}: rerun the same command with --out {folder} --resume", EXIT_INTERRUPTED)
    _print_points(result.points, plan.window_days, plan.study.replications)
    from sim.plots.figures import plot_results

    plot_results(result.out)
    kept = f" ({result.batches_kept} batches kept from before)" if result.batches_kept else ""
    _console.results_in(result.out, f"{len(plan.design)} points x {plan.study.replications} replications in {result.wall_seconds:.1f} s{kept}. ")


def _study_from(target: Path, vary: list[str], overrides: list[str], **options):
    """The study a command line asks for: a study file (options on top) or a scenario with ``--vary`` factors."""
    from sim.experiment.study import DEFAULT_REPLICATIONS, DEFAULT_SEED, Study, is_study_file, parse_vary, read_study, with_options
    from sim.scenario.loading import Problem, ScenarioError, read_toml

    table, _ = read_toml(target)
    factors = parse_vary(vary)
    if is_study_file(table):
        study = read_study(target)
        if overrides:
            options["overrides"] = (*study.overrides, *overrides)
        return with_options(study, factors, **options)
    if not factors:
        raise ScenarioError(str(target), [Problem("", "is a scenario: say what to vary with --vary path=lo:hi:step, or give a study file with [factors]")])
    base = Study(
        name=Path(target).stem,
        scenario_path=str(target),
        overrides=tuple(overrides),
        specs=factors,
        replications=DEFAULT_REPLICATIONS,
        seed=DEFAULT_SEED,
    )
    return with_options(base, {}, **options)


def _print_points(points, window: tuple[float, float], replications: int) -> None:
    from rich.table import Table

    from sim.analysis.statistics import window_key
    from sim.names import label

    within = window_key("p_within", window)
    factor_columns = list(points.columns[1 : points.columns.get_loc("replications")])
    shown = points.sort_values(within, ascending=False).head(12)
    title = f"Design points by P(base empty in {window[0]:g}-{window[1]:g} days), {replications} replications each"
    table = Table(title=title + (f" (best 12 of {len(points)})" if len(points) > 12 else ""))
    table.add_column("point", justify="right")
    for column in factor_columns:  # in words, the dotted path dim under them
        words = f"{escape(label(column))}\n[dim]{escape(column)}[/]" if label(column) != column else escape(column)
        table.add_column(words, justify="right", overflow="fold")
    for column in ("mean days", "P10-P90 days", f"P({window[0]:g}-{window[1]:g}) (95% CI)", f"P(>{window[1]:g})"):
        table.add_column(column, justify="right")
    over = window_key("p_over", window)
    for row in shown.to_dict("records"):
        cells = [str(row["point"]), *(f"{row[c]:,g}" for c in factor_columns)]
        cells += [
            f"{row['days_mean']:.1f}",
            f"{row['days_p10']:.1f}-{row['days_p90']:.1f}",
            f"{100 * row[within]:.0f}% ({100 * row[within + '_ci_low']:.0f}-{100 * row[within + '_ci_high']:.0f})",
            f"{100 * row[over]:.0f}%",
        ]
        table.add_row(*cells)
    _console.console.print(table)


def compare(
    a: Annotated[Path, typer.Argument(help="scenario A (the reference)", show_default=False)],
    b: Annotated[Path | None, typer.Argument(help="scenario B (default: A with the --set overrides)", show_default=False)] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a field of B by dotted path, value as TOML")] = None,
    replications: Annotated[int, typer.Option("--replications", "-n", min=2, help="paired replications")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="seed: replication i of A and of B use the same streams")] = 20260223,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the comparison as JSON")] = False,
    out: Annotated[Path | None, typer.Option(help="results folder (default: results/<A>-vs-<B>-<UTC time>/)")] = None,
    force: Annotated[bool, typer.Option(help="write into a non-empty --out folder")] = False,
) -> None:
    """Compare two scenarios (B - A) on paired replications with common random numbers."""
    from sim.experiment.compare import WindowMismatchError, run_compare
    from sim.experiment.executors import ExecutorError, make_executor
    from sim.experiment.manifest import new_manifest, prepare_out_dir, write_manifest
    from sim.experiment.storage import OutputError, new_run_dir, write_json, write_parquet
    from sim.plots.compare import PAIRED_FILE
    from sim.plots.figures import plot_results

    if b is None and not set_:
        _console.fail("give a scenario B, or --set overrides that make B from A", 2)
    loaded_a = _console.load(a, None)
    loaded_b = _console.load(b or a, set_)
    try:
        folder = prepare_out_dir(out, force, "compare") if out else new_run_dir(Path("results"), f"{Path(a).stem}-vs-{Path(b).stem if b else 'set'}")
        with make_executor(jobs, scheduler, dask_local) as executor, _console.progress() as bar:
            task = bar.add_task("paired replications", total=2 * replications)
            result = run_compare(
                loaded_a, loaded_b, seed, replications, executor, on_progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    except WindowMismatchError as exc:
        _console.fail(str(exc), 3)
    except OutputError as exc:
        _console.fail(str(exc), EXIT_OUTPUT)
    except ExecutorError as exc:
        _console.fail(str(exc), EXIT_WORKERS)
    except KeyboardInterrupt:
        _console.fail("interrupted", EXIT_INTERRUPTED)
    resolved = {"a": loaded_a.scenario.model_dump(mode="json"), "b": loaded_b.scenario.model_dump(mode="json")}
    write_manifest(folder, new_manifest("compare", resolved, f"{a} vs {b or a}", list(set_ or []), seed, replications=replications))
    write_json(folder / "comparison.json", result.summary)
    write_parquet(folder / PAIRED_FILE, pd.DataFrame({"replication": range(replications), "days_a": result.days_a, "days_b": result.days_b}))
    plot_results(folder)
    if as_json:
        sys.stdout.write(json.dumps(result.summary, indent=2) + "\n")
        return
    _print_comparison(result.summary, str(a), f"{b or a} with {', '.join(set_)}" if set_ else str(b))
    _console.results_in(folder)


def _print_comparison(summary: dict, name_a: str, name_b: str) -> None:
    from rich.table import Table

    low, high = summary["window_days"]
    table = Table(title=escape(f"B ({name_b}) - A ({name_a}) over {summary['replications']} paired replications (common random numbers)"))
    table.add_column("base empty")
    table.add_column("A", justify="right")
    table.add_column("B", justify="right")
    table.add_column("B - A (95% CI)", justify="right")
    table.add_column("variance reduction", justify="right")
    days = summary["days_to_base_empty"]
    table.add_row("mean days", f"{summary['mean_a']:.2f}", f"{summary['mean_b']:.2f}", _diff(days, 1, "{:+.2f}"), _times(days["variance_reduction"]))
    for key, label in ((f"p_{low:g}_to_{high:g}", f"P({low:g}-{high:g} days)"), (f"p_over_{high:g}", f"P(> {high:g} days)")):
        d = summary[key]
        table.add_row(label, f"{100 * d['a']:.1f}%", f"{100 * d['b']:.1f}%", _diff(d, 100, "{:+.1f} pts"), _times(d["variance_reduction"]))
    _console.console.print(f"A: {escape(name_a)}\nB: {escape(name_b)}")
    _console.console.print(table)
    _console.console.print(
        "Variance reduction: how many times more replications independent streams would need for the same CI on the difference "
        f"(CI half-width on mean days with independent streams: {days['ci_half_width_independent']:.2f})."
    )


def _diff(d: dict, scale: float, fmt: str) -> str:
    return f"{fmt.format(scale * d['difference'])} ({scale * d['ci_low']:+.2f} to {scale * d['ci_high']:+.2f})"


def _times(x: float) -> str:
    return "n/a (no variation)" if not math.isfinite(x) else f"{x:.1f}x"


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``compare`` to the evacsim command line."""
    app.command()(sweep)
    app.command()(compare)
