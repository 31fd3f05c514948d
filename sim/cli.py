"""The evacsim command line: thin commands that parse arguments and call the library.

Exit status: 0 done; 2 wrong command-line usage; 3 a bad scenario, study or
observations file or ``--set`` override (the message names the file, line and field),
or a folder that holds no results; 4 the results folder cannot be written or a resume
does not match its manifest; 5 Dask workers cannot be reached or a batch keeps
failing; 130 interrupted (Ctrl-C); 143 stopped by SIGTERM, handled as Ctrl-C.
"""

from __future__ import annotations

import json
import sys
from itertools import groupby
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from sim.commands import _console, register_all
from sim.commands._console import EXIT_OUTPUT, EXIT_WORKERS, console
from sim.commands._options import (
    DEFAULT_SEED,
    BaseOpt,
    BoundsBaseOpt,
    ByDayOpt,
    DaskLocalOpt,
    EvacsimGroup,
    FiguresOpt,
    ForceOpt,
    JobsOpt,
    MeasureChoice,
    MeasureOpt,
    ScenarioArg,
    SchedulerOpt,
    SeedOpt,
    SetOpt,
    out_option,
    study_options,
)


def _version(value: bool) -> None:
    if value:
        import sim

        console.print(f"evacsim {sim.__version__}", highlight=False)
        raise typer.Exit()


app = typer.Typer(
    cls=EvacsimGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # click's own help: it wraps every column to the terminal and never cuts an option name (rich's cut
    # --tornado-replications to --tornado-replica… at 80 columns)
    rich_markup_mode=None,
    help="Simulate the evacuation of a base: does it close in its window, how likely is that, and what drives it.",
)


@app.callback()
def main(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version of evacsim and exit")] = False,
) -> None:
    """Simulate the evacuation of a base: does it close in its window, how likely is that, and what drives it."""


_load = _console.load
_warn = _console.warn
_fail = _console.fail
_results_in = _console.results_in
_progress = _console.progress


@app.command()
def validate(scenario: ScenarioArg, set_: SetOpt = None) -> None:
    """Check a scenario file and print where each of its numbers comes from."""
    from sim.names import theatre_names
    from sim.report.readable import parameter_words, value_in_units
    from sim.scenario.provenance import provenance_rows

    loaded = _load(scenario, set_)
    console.print(f"[bold]{escape(loaded.scenario.scenario.title)}[/]: each group of parameters under its source")
    # One small table per group, its source once above it; values and sources are shown as written
    # (rich would read "[civilian, military]" as markup). The kind of source stands beside each value.
    with theatre_names(loaded.scenario):  # a theatre's sites by the titles its file gives them
        found = groupby(provenance_rows(loaded.scenario), key=lambda r: r.source)
        groups = [(source, [(parameter_words(r.parameter), r, value_in_units(r.parameter, r.given, r.value)) for r in rows]) for source, rows in found]
    for source, rows in groups:
        console.print(f"\n[dim]source:[/] {escape(source or 'none given')}", soft_wrap=False)
        table = Table(box=None, show_header=False, pad_edge=False)
        table.add_column("parameter", overflow="fold")
        table.add_column("dotted path", style="cyan dim", overflow="fold")
        table.add_column("value", overflow="fold")
        table.add_column("kind of source", style="dim", no_wrap=True)
        for words, row, value in rows:  # words first, the dotted path beside (what --set takes), the value in its unit
            table.add_row(escape(words), escape(row.parameter), escape(value), row.kind)
        console.print(table)
    console.print(f"[green]valid:[/] {escape(str(scenario))}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario format."""
    from sim.scenario.provenance import schema_json

    sys.stdout.write(json.dumps(schema_json(), indent=2) + "\n")


@app.command()
def bounds(scenario: ScenarioArg, set_: SetOpt = None, base: BoundsBaseOpt = None) -> None:
    """Rough-cut capacity: the fewest days each resource alone would need (no simulation); on a theatre, of one base."""
    from sim.analysis.bounds import binding, bounds_subject, capacity_bounds, not_counted

    loaded = _load(scenario, set_)
    try:
        found = capacity_bounds(loaded.scenario, base)
    except ValueError as exc:
        _fail(str(exc), 2)
    worst = binding(found)
    who = bounds_subject(loaded.scenario, base)
    of = f" of {who}" if who else ""
    table = Table(title=escape(f"Capacity bounds{of} (distributions at their medians)"))
    table.add_column("resource", overflow="fold")
    table.add_column("fewest days", justify="right", overflow="fold")
    table.add_column("to", justify="left", overflow="fold")
    table.add_column("basis", overflow="fold")
    for b in sorted(found, key=lambda b: -b.days):
        style = "bold" if b is worst else ""
        table.add_row(b.resource, f"{b.days:.1f}", b.applies_to, b.basis, style=style)
    console.print(table)
    at = f" at {escape(who)}" if who else ""
    console.print(f"Binding{at}: [bold]{worst.resource}[/], at least {worst.days:.1f} days to {worst.applies_to} with every input at its median.")
    if who and base is None:
        console.print("These are the main base's bounds alone; --base names another base of the theatre.")
    for left_out in not_counted(loaded.scenario, base):
        console.print(f"Not counted: {escape(left_out)}.")
    if any(i for i in _uncertain(loaded.scenario)):
        console.print(
            "A floor for the medians, not for every replication: a replication that draws more trucks or less cargo has a lower one "
            "(each replication's own inputs give a floor no replication beats)."
        )


def _uncertain(scenario):
    from sim.scenario.draws import uncertain_inputs

    return uncertain_inputs(scenario)


@app.command()
def run(
    scenario: ScenarioArg,
    replications: Annotated[int | None, typer.Option("--replications", "-n", min=1, help="replications to run (default 1000)")] = None,
    precision: Annotated[
        float | None,
        typer.Option(help=("instead, add replications until the 95% CI of P(in window) is within this share either side (0.02: ±2 percentage points)")),
    ] = None,
    seed: SeedOpt = DEFAULT_SEED,
    jobs: JobsOpt = None,
    set_: SetOpt = None,
    out: Annotated[Path | None, out_option("results/<scenario>-<UTC time>/")] = None,
    force: ForceOpt = False,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    measure: MeasureOpt = MeasureChoice.days,
    by_day: ByDayOpt = None,
    base: BaseOpt = None,
    figures: FiguresOpt = True,
) -> None:
    """Run the Monte Carlo replications of a scenario: when everyone is out (the date, P10-P90) and how sure by day D."""
    from sim import api
    from sim.experiment.executors import ExecutorError, make_executor
    from sim.experiment.storage import OutputError
    from sim.extras import EXIT_MISSING_EXTRA, MissingExtra

    loaded = _load(scenario, set_)
    if precision is not None and replications is not None:
        _fail("give --replications or --precision, not both", 2)
    if precision is not None and not 0 < precision < 0.5:
        _fail("--precision must be a half-width between 0 and 0.5, e.g. 0.02", 2)
    window = loaded.scenario.scenario.window_days
    try:
        with make_executor(jobs, scheduler, dask_local) as executor, _progress(executor.workers) as bar:
            task = bar.add_task(loaded.scenario.scenario.name, total=replications or (None if precision else 1000))

            def advance(batch, target: int) -> None:
                bar.update(task, total=target, advance=len(batch))

            options = study_options(executor, seed=seed, out=out, force=force, measure=measure, by_day=by_day, base=base)
            result = api.run(loaded, replications, precision=precision, on_batch=advance, figures=False, options=options)
    except OutputError as exc:
        _fail(str(exc), EXIT_OUTPUT)
    except ExecutorError as exc:
        _fail(str(exc), EXIT_WORKERS)
    except MissingExtra as exc:
        _fail(str(exc), EXIT_MISSING_EXTRA)
    except api.UsageError as exc:
        _fail(str(exc), 2)
    except KeyboardInterrupt:
        _console.stopped("interrupted before the replications finished; nothing was written (for a study that can be resumed, use evacsim sweep)")
    _print_summary(loaded.scenario.scenario.title, result.summary, window, loaded.scenario.scenario.start)  # the answer first; figures after
    _console.draw_figures(result.folder, figures)
    _results_in(result.folder)


def _window_keys(window: tuple[float, float]) -> dict[str, str]:
    from sim.analysis.statistics import window_key

    return {k: window_key(k, window) for k in ("p_under", "p_within", "p_over")}


def _date(start: str, day: float) -> str:
    """``12 Mar 2026``: the calendar date of a day from the scenario's own start, as everything a person reads writes it."""
    from sim.names import day_date_words

    return day_date_words(start, day)


def _when_row(d: dict, start: str) -> list[str]:
    """mean, P50 with its date, P10-P90 with their dates (``25 Mar to 10 Apr 2026``), of a ``describe_days`` dict."""
    from sim.names import date_of_day, dates_words

    return [
        f"{d['mean']:.1f}",
        f"{d['p50']:.1f} ({_date(start, d['p50'])})",
        f"{d['p10']:.1f}-{d['p90']:.1f} ({dates_words(date_of_day(start, d['p10']), date_of_day(start, d['p90']))})",
    ]


def _print_when(summary: dict, start: str) -> None:
    """The date first: on a theatre the whole withdrawal (the last out of the country), then each base; on one base,
    base empty and force closure. Days from the scenario's own start, with calendar dates."""
    theatre = "theatre" in summary
    table = Table(title=f"When: days from day 0 ({_date(start, 0)}), calendar dates beside them")
    table.add_column("", overflow="fold")
    for col in ("mean", "P50 (date)", "P10-P90 (dates)"):
        table.add_column(col, justify="right", overflow="fold")
    if theatre:
        table.add_column("has to move\n(share of replications)", justify="right", overflow="fold")
        t = summary["theatre"]
        table.add_row("[bold]everyone out of the country[/]", *_when_row(t["days_to_last_out"], start), "", style="bold")
        for name, b in summary["bases"].items():
            if b.get("replications"):
                table.add_row(f"{escape(b.get('title', name))} empty", *_when_row(b["days_to_base_empty"], start), f"{100 * b['share_left']:.0f}%")
            else:
                table.add_row(f"{escape(b.get('title', name))} empty", "—", "—", "—", "0%")
    else:
        for key, label in (("days_to_base_empty", "base empty"), ("days_to_force_closure", "force closure")):
            table.add_row(label, *_when_row(summary[key], start))
    console.print(table)


def _print_sure(summary: dict) -> None:
    """How sure by day D (the headline's measure), then the seed's window as a check."""
    top = summary.get("headline")
    if top:
        from sim.analysis.measure import Measure

        p = top["p_by_day"]
        by = Measure.from_record(top["measure"]).by_day_words
        from sim.names import date_words

        date = f" ({date_words(top['by_day_date'])})" if top.get("by_day_date") else ""
        n, total = top.get("replications"), top.get("all_replications", top.get("replications"))
        of = f", of the {n} replications in which it moves ({n} of the {total})" if n != total else ""
        console.print(f"[bold]{escape(by)}{date}: {100 * p['estimate']:.1f}%[/] (95% CI {100 * p['ci_low']:.1f}-{100 * p['ci_high']:.1f}%){of}")


def _print_theatre(summary: dict) -> None:
    """The theatre's reported end dates and what binds it (the table of days is :func:`_print_when`)."""
    t = summary["theatre"]
    console.print(
        "Everyone out by the reported end dates: "
        + ", ".join(f"day {k} {100 * p['estimate']:.0f}% ({100 * p['ci_low']:.0f}-{100 * p['ci_high']:.0f}%)" for k, p in t["p_within"].items())
    )
    console.print(f"Binding: {t['binding']}")


def _print_summary(title: str, summary: dict, window: tuple[float, float], start: str) -> None:
    """The answer on the console; days are counted from ``start``, the scenario's own day 0 (never a fixed date)."""
    main = ""  # a theatre's one-base answers are its main base's: say whose
    theatre = "theatre" in summary and bool(summary.get("bases"))
    if theatre:
        first = next(iter(summary["bases"].values()))
        main = f"{first.get('title', 'main base')} (the main base): "
    console.print(f"[bold]{escape(title)}[/]: {summary['replications']} replications")
    _print_when(summary, start)
    _print_sure(summary)
    if theatre:
        _print_theatre(summary)
    top = summary.get("headline") or {}
    if "window_subject" in top:  # the check is on what the verdict measures: the whole withdrawal, or the base --base names
        subject, figures = top["window_subject"], {"p_under": top["p_window_sooner"], "p_within": top["p_window"], "p_over": top["p_window_later"]}
    else:
        subject = f"{main.removesuffix(': ') or 'base'} empty"
        figures = {kind: summary[key] for kind, key in _window_keys(window).items()}
    probs = Table(title=f"The seed's {window[0]:g}-{window[1]:g} days, as a check on {escape(subject)}: probability (95% CI)")
    probs.add_column("when", overflow="fold")
    probs.add_column("probability", justify="right", overflow="fold")
    labels = {"p_under": f"under {window[0]:g} days", "p_within": f"{window[0]:g}-{window[1]:g} days", "p_over": f"over {window[1]:g} days"}
    for kind, p in figures.items():
        probs.add_row(labels[kind], f"{100 * p['estimate']:.1f}%  ({100 * p['ci_low']:.1f}-{100 * p['ci_high']:.1f}%)")
    console.print(probs)
    waits = sorted(summary["mean_wait_hours"].items(), key=lambda kv: -kv[1])[:4]
    console.print(f"{main}{'main' if main else 'Main'} waits (convoy-hours per replication): " + ", ".join(f"{c} {h:.0f}" for c, h in waits))
    sortie_waits = {c: h for c, h in summary.get("mean_sortie_wait_hours", {}).items() if h >= 0.05}
    if sortie_waits:
        console.print("Airlift waits (sortie-hours per replication): " + ", ".join(f"{c} {h:.1f}" for c, h in sortie_waits.items()))
    console.print(f"[bold]{escape(summary['verdict'])}[/]")
    _print_left_behind(summary, start)
    for warning in summary.get("warnings", []):
        _warn(warning)


def _print_left_behind(summary: dict, start: str) -> None:
    """What each base with a deadline leaves behind, and how likely (on a theatre, base by base)."""
    from sim.analysis.statistics import left_behind_words

    def words(left: dict, moves: float | None = None) -> str:
        return left_behind_words(left, _date(start, left["deadline_day"]), moves)

    if "theatre" in summary and summary.get("bases"):
        for name, b in summary["bases"].items():
            if "left_behind" in b:
                console.print(f"[bold]Left behind at {escape(b.get('title', name))}[/]: {escape(words(b['left_behind'], b.get('share_left')))}")
    elif "left_behind" in summary:
        console.print(f"[bold]Left behind[/]: {escape(words(summary['left_behind']))}")


@app.command()
def bench(
    seconds: Annotated[float, typer.Option(help="wall time for the whole bench, roughly (start-up of processes and Dask adds a few seconds)")] = 20.0,
    jobs: Annotated[int, typer.Option(min=1, help="processes for the parallel measurements")] = 2,
    scenario: Annotated[Path, typer.Option(help="scenario to measure")] = Path("scenarios/qasrak_baseline.toml"),
    parallel: Annotated[bool, typer.Option(help="also measure the local pool (its speed-up), a Dask LocalCluster and parent memory")] = True,
    analysis: Annotated[bool, typer.Option(help="also measure what sensitivity, calibration and discovery add")] = True,
    replay: Annotated[int | None, typer.Option(min=1, help="replications streamed through the writer for the memory figure (default: from --seconds)")] = None,
    scaling: Annotated[
        bool, typer.Option(help="also time seconds per convoy of generated theatres of 5, 10, 25 and 50 bases (benchmarks/big_theatre.py; minutes)")
    ] = False,
) -> None:
    """Measure speed against raw SimPy in the same run; prints JSON (core rates first, then parallel and analysis).

    The raw SimPy loop, the scenario and, for comparison, the shipped theatre (or, for a theatre, the baseline) are timed in
    alternating half-second slices, so that a busy CPU slows them alike: replications a second per raw event a second is
    the median of the rounds' ratios, and a theatre convoy's seconds are set against a baseline convoy's the same way."""
    bench_module = _benchmarks()
    bench_plan, busy_warning, machine_load, run_bench = (
        bench_module.bench.bench_plan,
        bench_module.bench.busy_warning,
        bench_module.bench.machine_load,
        bench_module.bench.run_bench,
    )

    _load(scenario, None)
    load, cores = machine_load()
    warning = busy_warning(load, cores)
    if warning:
        _warn(warning)
    asked = (("core rates", True), ("parallel rates and memory", parallel), ("analysis overhead", analysis), ("theatre scaling", scaling))
    steps = [name for name, on in asked if on]
    with _progress(unit="steps") as bar:  # only the steps asked for: one turned off is neither run nor said
        task = bar.add_task(f"bench: {steps[0]}", total=len(steps))

        def done(step: str) -> None:
            later = steps[steps.index(step) + 1 :]
            bar.update(task, advance=1, description=f"bench: {later[0]}" if later else f"bench: {step}")

        core = 0.30 * seconds if (parallel or analysis) else seconds
        figures = run_bench(str(scenario), seconds=core, jobs=jobs, parallel=parallel)
        figures["load_average"] = {"before": load, "cores": cores, "busy": warning is not None}
        plan = bench_plan(seconds, figures["replications_per_s"], jobs, replay)
        done("core rates")
        if parallel:
            figures["parallel"] = bench_module.bench_parallel.run_parallel_bench(
                str(scenario),
                seconds=plan.parallel_seconds,
                jobs=jobs,
                memory_replications=plan.memory_replications,
                replay_replications=plan.replay_replications,
            )
            done("parallel rates and memory")
        if analysis:
            figures["analysis"] = bench_module.bench_analysis.analysis_overhead(str(scenario), jobs=jobs, scale=plan.analysis_scale)
            done("analysis overhead")
        if scaling:
            figures["theatre_scaling"] = bench_module.big_theatre.scaling(seconds=max(1.0, 0.05 * seconds))
            done("theatre scaling")
    sys.stdout.write(json.dumps(figures, indent=2) + "\n")


def _benchmarks():
    """The benchmark harness of the source tree (``benchmarks/``, not part of the installed package: it is
    development tooling, and a wheel has no scenarios to measure); exit 2 when evacsim runs from a wheel."""
    import importlib

    root = Path(__file__).resolve().parents[1]
    if not (root / "benchmarks" / "bench.py").exists():
        _fail(f"evacsim bench measures a source checkout: run it (or make bench) in the repository; no {root / 'benchmarks'} here", 2)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module = importlib.import_module("benchmarks")
    for name in ("bench", "bench_parallel", "bench_analysis", "big_theatre"):
        importlib.import_module(f"benchmarks.{name}")
    return module


register_all(app)
