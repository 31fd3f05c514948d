"""The evacsim command line: thin commands that parse arguments and call the library.

Exit status: 0 done; 2 wrong command-line usage; 3 a bad scenario, study or
observations file or ``--set`` override (the message names the file, line and field),
or a folder that holds no results; 4 the results folder cannot be written or a resume
does not match its manifest; 5 Dask workers cannot be reached or a batch keeps
failing; 130 interrupted.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from itertools import groupby
from pathlib import Path
from typing import Annotated

import numpy as np
import pyarrow as pa
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from sim.commands._options import EXIT_INTERRUPTED, EXIT_WORKERS, DaskLocalOpt, EvacsimGroup, SchedulerOpt, SeedOpt
from sim.scenario.loading import EXIT_BAD_INPUT, LoadedScenario, ScenarioError, load_scenario

EXIT_OUTPUT = 4

app = typer.Typer(
    cls=EvacsimGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Simulate the evacuation of a base: does it close in its window, how likely is that, and what drives it.",
)
console = Console()
errors = Console(stderr=True)

ScenarioArg = Annotated[Path, typer.Argument(help="scenario file, e.g. scenarios/qasrak_baseline.toml", show_default=False)]
SetOpt = Annotated[list[str] | None, typer.Option("--set", help="override a field by dotted path, value as TOML: --set fleet.civilian.count=120")]
JobsOpt = Annotated[int | None, typer.Option(min=1, help="worker processes (default: all cores)")]


def _load(path: Path, overrides: list[str] | None) -> LoadedScenario:
    try:
        return load_scenario(path, overrides or [])
    except ScenarioError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)


def _warn(message: str) -> None:
    """One warning line on stderr; the message is shown as written (no rich markup)."""
    errors.print(f"[yellow]warning:[/] {escape(message)}", highlight=False, soft_wrap=True)


def _results_in(folder: Path, before: str = "") -> None:
    """The closing line of a command that wrote a results folder."""
    console.print(f"{escape(before)}Results in [bold]{escape(str(folder))}[/]")


def _fail(message: str, status: int):
    errors.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True, soft_wrap=True)
    raise typer.Exit(status)


@app.command()
def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file and print where each of its numbers comes from."""
    from sim.scenario.provenance import provenance_rows

    loaded = _load(scenario, set_)
    console.print(f"[bold]{escape(loaded.scenario.scenario.title)}[/]: each group of parameters under its source")
    # One small table per group, its source once above it; values and sources are shown as written
    # (rich would read "[civilian, military]" as markup). The kind of source stands beside each value.
    for source, rows in groupby(provenance_rows(loaded.scenario), key=lambda r: r.source):
        console.print(f"\n[dim]source:[/] {escape(source or 'none given')}", soft_wrap=False)
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column("parameter", style="cyan", no_wrap=True)
        table.add_column("value", overflow="fold")
        table.add_column("kind of source", style="dim", no_wrap=True)
        for row in rows:
            table.add_row(escape(row.parameter), escape(row.value), row.kind)
        console.print(table)
    console.print(f"[green]valid:[/] {escape(str(scenario))}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format."""
    from sim.scenario.provenance import schema_json

    sys.stdout.write(json.dumps(schema_json(), indent=2) + "\n")


@app.command()
def bounds(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Rough-cut capacity: the fewest days each resource alone would need (no simulation)."""
    from sim.bounds import binding, capacity_bounds

    loaded = _load(scenario, set_)
    found = capacity_bounds(loaded.scenario)
    worst = binding(found)
    table = Table(title="Capacity bounds (distributions at their medians)")
    table.add_column("resource")
    table.add_column("fewest days", justify="right")
    table.add_column("to", justify="left")
    table.add_column("basis", overflow="fold")
    for b in sorted(found, key=lambda b: -b.days):
        style = "bold" if b is worst else ""
        table.add_row(b.resource, f"{b.days:.1f}", b.applies_to, b.basis, style=style)
    console.print(table)
    console.print(f"Binding: [bold]{worst.resource}[/], at least {worst.days:.1f} days to {worst.applies_to} with every input at its median.")
    if any(i for i in _uncertain(loaded.scenario)):
        console.print(
            "A floor for the medians, not for every replication: a replication that draws more trucks or less cargo has a lower one "
            "(each replication's own inputs give a floor no replication beats)."
        )


def _uncertain(scenario):
    from sim.scenario.draws import uncertain_inputs

    return uncertain_inputs(scenario)


def _progress() -> Progress:
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=errors,
        transient=True,
    )


@app.command()
def run(
    scenario: ScenarioArg,
    replications: Annotated[int | None, typer.Option("--replications", "-n", min=1, help="replications to run (default 1000)")] = None,
    precision: Annotated[float | None, typer.Option(help="instead, add replications until the 95% CI half-width of P(in window) <= this (e.g. 0.02)")] = None,
    seed: SeedOpt = 20260223,
    jobs: JobsOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, typer.Option(help="results folder (default: results/<scenario>-<UTC time>/)")] = None,
    force: Annotated[bool, typer.Option(help="write into a non-empty --out folder")] = False,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
) -> None:
    """Run the Monte Carlo replications of a scenario and answer the window question."""
    from sim.analysis.statistics import summarize
    from sim.analysis.theatre import summarize_theatre, theatre_columns
    from sim.experiment.executors import ExecutorError, default_jobs, make_executor
    from sim.experiment.montecarlo import DurationEstimate, stream_monte_carlo
    from sim.experiment.storage import OrderedParquetWriter, OutputError, new_run_dir, prepare_out_dir
    from sim.model.airlift import SORTIE_WAIT_CAUSES
    from sim.model.evacuation import RESOURCES, WAIT_CAUSES
    from sim.replication import prepare

    loaded = _load(scenario, set_)
    s = loaded.scenario
    if precision is not None and replications is not None:
        _fail("give --replications or --precision, not both", 2)
    if precision is not None and not 0 < precision < 0.5:
        _fail("--precision must be a half-width between 0 and 0.5, e.g. 0.02", 2)
    try:
        folder = prepare_out_dir(out, force, "run") if out else new_run_dir(Path("results"), s.scenario.name)
    except OutputError as exc:
        _fail(str(exc), EXIT_OUTPUT)
    jobs = jobs or default_jobs()
    prepared = prepare(s)
    if s.is_theatre:  # each base's burn-down rides in the rows to the writer (burndown_table)
        prepared = dataclasses.replace(prepared, burndown_by_base=True)
    # Rows and burn-downs go straight to disk, in replication order; only the columns
    # of the summary stay in memory, so a run of any size keeps a flat footprint.
    tables = [OrderedParquetWriter(folder / "replications.parquet"), OrderedParquetWriter(folder / "burndown.parquet")]
    try:
        with make_executor(jobs, scheduler, dask_local) as executor, _progress() as bar:
            jobs = executor.workers
            task = bar.add_task(f"{s.scenario.name}", total=replications or (None if precision else 1000))

            eta = DurationEstimate()

            def advance(batch, target):
                bar.update(task, total=target, advance=len(batch.rows))
                if line := eta.add(len(batch.rows), target):
                    bar.console.print(escape(line), highlight=False)

            summary_columns = summary_columns_for(WAIT_CAUSES, RESOURCES) + theatre_columns(s, WAIT_CAUSES, RESOURCES, SORTIE_WAIT_CAUSES)

            def write(batch) -> None:
                by_base = _pop_base_burndowns(batch.rows)
                tables[0].add(batch.start, batch.stop, pa.Table.from_pylist(batch.rows))
                tables[1].add(batch.start, batch.stop, burndown_table(batch, by_base))

            rows = stream_monte_carlo(
                prepared, seed, write, summary_columns, replications=replications, precision=precision, jobs=jobs, on_batch=advance, executor=executor
            )
            for table in tables:
                table.close()
    except (ExecutorError, KeyboardInterrupt, OSError) as exc:
        for table in tables:
            table.abort()
        if out is None and not any(folder.iterdir()):
            folder.rmdir()
        if isinstance(exc, ExecutorError):
            _fail(str(exc), EXIT_WORKERS)
        if isinstance(exc, OSError):
            _fail(f"{folder}: cannot write results ({exc.strerror or exc})", EXIT_OUTPUT)
        _fail("interrupted before the replications finished; nothing was written (for a study that can be resumed, use evacsim sweep)", EXIT_INTERRUPTED)
    window = s.scenario.window_days
    summary = summarize(rows, window, WAIT_CAUSES, RESOURCES)
    if s.is_theatre:
        summary.update(summarize_theatre(rows, s, window, WAIT_CAUSES, RESOURCES))
    _print_summary(s.scenario.title, summary, window)  # the answer first; the figures take a few seconds more
    try:
        _write_run(folder, loaded, seed, len(rows), summary, jobs)
        from sim.plots.figures import plot_results

        with errors.status("drawing the figures"):
            plot_results(folder)
    except OSError as exc:
        _fail(f"{folder}: cannot write results ({exc.strerror or exc})", EXIT_OUTPUT)
    _results_in(folder)


def _window_keys(window: tuple[float, float]) -> dict[str, str]:
    from sim.analysis.statistics import window_key

    return {k: window_key(k, window) for k in ("p_under", "p_within", "p_over")}


def summary_columns_for(wait_causes: tuple[str, ...], resources: tuple[str, ...]) -> list[str]:
    """The replication columns that :func:`sim.analysis.statistics.summarize` reads."""
    from sim.model.airlift import SORTIE_WAIT_CAUSES

    return [
        "replication",
        "days_to_base_empty",
        "days_to_force_closure",
        "finished",
        *(f"wait_hours.{c}" for c in wait_causes),
        *(f"sortie_wait_hours.{c}" for c in SORTIE_WAIT_CAUSES),
        "convoys_uncovered",
        "air_cover_hours_short",
        "vehicles_carried",
        "never_finishes",
        *(f"utilisation.{r}" for r in resources),
    ]


def burndown_table(batch, by_base: dict[str, list] | None = None) -> pa.Table:
    """A batch's burn-down in long form: replication, day, cargo loads and people still at the (main) base;
    in a theatre run also ``cargo_loads.<base>`` and ``people.<base>`` for each base."""
    reps, days = batch.burndown_cargo.shape
    columns = {
        "replication": np.arange(batch.start, batch.stop, dtype=np.int64).repeat(days),
        "day": np.tile(np.arange(days, dtype=np.int64), reps),
        "cargo_loads": batch.burndown_cargo.reshape(-1),
        "people": batch.burndown_people.reshape(-1),
    }
    for key, per_rep in (by_base or {}).items():
        columns[key] = np.asarray(per_rep, dtype=np.int32).reshape(-1)
    return pa.table(columns)


def _pop_base_burndowns(rows: list[dict]) -> dict[str, list]:
    """Take each base's burn-down (``burndown.<column>.<base>`` lists) out of a theatre run's rows."""
    keys = [k for k in rows[0] if k.startswith("burndown.")] if rows else []
    return {k.removeprefix("burndown."): [row.pop(k) for row in rows] for k in keys}


def _write_run(folder: Path, loaded: LoadedScenario, seed: int, replications: int, summary: dict, jobs: int) -> None:
    from sim.experiment.storage import manifest, write_json

    resolved = loaded.scenario.model_dump(mode="json")
    info = {"kind": "run", "replications": replications, "jobs": jobs}
    write_json(folder / "manifest.json", manifest(resolved, loaded.path, list(loaded.overrides), seed, info))
    write_json(folder / "summary.json", summary)
    if loaded.scenario.is_theatre:
        from sim.analysis.theatre import network_json

        write_json(folder / "network.json", network_json(loaded.scenario))


def _print_theatre(summary: dict) -> None:
    """The theatre's answers: each base's days to empty, the last out, and the reported end dates."""
    table = Table(title="Theatre: days from 2026-02-23")
    for col in ("", "mean", "P10", "P50", "P90", "left in"):
        table.add_column(col, justify="right" if col else "left")
    for name, b in summary["bases"].items():
        if b.get("replications"):
            d = b["days_to_base_empty"]
            table.add_row(f"{name} empty", f"{d['mean']:.1f}", f"{d['p10']:.1f}", f"{d['p50']:.1f}", f"{d['p90']:.1f}", f"{100 * b['share_left']:.0f}%")
    t = summary["theatre"]
    d = t["days_to_last_out"]
    table.add_row("last out of Syria", f"{d['mean']:.1f}", f"{d['p10']:.1f}", f"{d['p50']:.1f}", f"{d['p90']:.1f}", "")
    console.print(table)
    console.print(
        "Out within the reported end dates: "
        + ", ".join(f"{k} days {100 * p['estimate']:.0f}% ({100 * p['ci_low']:.0f}-{100 * p['ci_high']:.0f}%)" for k, p in t["p_within"].items())
    )
    console.print(f"Binding: {t['binding']}")


def _print_summary(title: str, summary: dict, window: tuple[float, float]) -> None:
    table = Table(title=f"{title}: {summary['replications']} replications")
    table.add_column("days from 2026-02-23")
    for col in ("mean", "P10", "P50", "P90"):
        table.add_column(col, justify="right")
    for key, label in (("days_to_base_empty", "base empty"), ("days_to_force_closure", "force closure")):
        d = summary[key]
        table.add_row(label, f"{d['mean']:.1f}", f"{d['p10']:.1f}", f"{d['p50']:.1f}", f"{d['p90']:.1f}")
    console.print(table)
    probs = Table(title="Base empty: probability (95% CI)")
    probs.add_column("when")
    probs.add_column("probability", justify="right")
    labels = {"p_under": f"under {window[0]:g} days", "p_within": f"{window[0]:g}-{window[1]:g} days", "p_over": f"over {window[1]:g} days"}
    for kind, key in _window_keys(window).items():
        p = summary[key]
        probs.add_row(labels[kind], f"{100 * p['estimate']:.1f}%  ({100 * p['ci_low']:.1f}-{100 * p['ci_high']:.1f}%)")
    console.print(probs)
    if "theatre" in summary:
        _print_theatre(summary)
    waits = sorted(summary["mean_wait_hours"].items(), key=lambda kv: -kv[1])[:4]
    console.print("Main waits (convoy-hours per replication): " + ", ".join(f"{c} {h:.0f}" for c, h in waits))
    sortie_waits = {c: h for c, h in summary.get("mean_sortie_wait_hours", {}).items() if h >= 0.05}
    if sortie_waits:
        console.print("Airlift waits (sortie-hours per replication): " + ", ".join(f"{c} {h:.1f}" for c, h in sortie_waits.items()))
    console.print(f"[bold]{escape(summary['verdict'])}[/]")
    for warning in summary.get("warnings", []):
        _warn(warning)


@app.command()
def bench(
    seconds: Annotated[float, typer.Option(help="wall time for the whole bench, roughly (start-up of processes and Dask adds a few seconds)")] = 20.0,
    jobs: Annotated[int, typer.Option(min=1, help="processes for the parallel measurements")] = 2,
    scenario: Annotated[Path, typer.Option(help="scenario to measure")] = Path("scenarios/qasrak_baseline.toml"),
    parallel: Annotated[bool, typer.Option(help="also measure the local pool, a Dask LocalCluster and parent memory")] = True,
    analysis: Annotated[bool, typer.Option(help="also measure what sensitivity, calibration and discovery add")] = True,
    replay: Annotated[int | None, typer.Option(min=1, help="replications streamed through the writer for the memory figure (default: from --seconds)")] = None,
) -> None:
    """Measure speed against raw SimPy in the same run; prints JSON (core rates first, then parallel and analysis)."""
    from sim.bench import bench_plan, busy_warning, machine_load, run_bench

    _load(scenario, None)
    load, cores = machine_load()
    warning = busy_warning(load, cores)
    if warning:
        _warn(warning)
    steps = [("core rates", True), ("parallel rates and memory", parallel), ("analysis overhead", analysis)]
    with _progress() as bar:
        task = bar.add_task("bench: core rates", total=sum(on for _, on in steps))
        core = 0.30 * seconds if (parallel or analysis) else seconds
        figures = run_bench(str(scenario), seconds=core, jobs=jobs)
        figures["load_average"] = {"before": load, "cores": cores, "busy": warning is not None}
        plan = bench_plan(seconds, figures["replications_per_s"], jobs, replay)
        bar.update(task, advance=1, description="bench: parallel rates and memory")
        if parallel:
            from sim.bench_parallel import run_parallel_bench

            figures["parallel"] = run_parallel_bench(
                str(scenario),
                seconds=plan.parallel_seconds,
                jobs=jobs,
                memory_replications=plan.memory_replications,
                replay_replications=plan.replay_replications,
            )
            bar.update(task, advance=1, description="bench: analysis overhead")
        if analysis:
            from sim.bench_analysis import analysis_overhead

            figures["analysis"] = analysis_overhead(str(scenario), jobs=jobs, scale=plan.analysis_scale)
            bar.update(task, advance=1)
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")


def _register_command_groups() -> None:
    from sim.commands import register_all

    register_all(app)


_register_command_groups()
