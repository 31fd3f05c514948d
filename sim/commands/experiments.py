"""``evacsim sweep`` and ``evacsim compare``: studies over design points, and paired comparisons.

Thin commands: they parse options, call :func:`sim.api.sweep` and :func:`sim.api.compare`
(which write the results folders), and print. Exit status as in :mod:`sim.cli`, plus 5
when the workers cannot be reached or a batch keeps failing on them; 130 when
interrupted (finished batches are kept: rerun with ``--resume``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._options import (
    DEFAULT_SEED,
    BaseOpt,
    ByDayOpt,
    DaskLocalOpt,
    FiguresOpt,
    FileSeedOpt,
    ForceOpt,
    JobsOpt,
    MeasureChoice,
    MeasureOpt,
    ResumeOpt,
    SchedulerOpt,
    SeedOpt,
    SetBOpt,
    SetOpt,
    on_workers,
    out_option,
)

TargetArg = Annotated[
    Path,
    typer.Argument(
        metavar="STUDY_OR_SCENARIO",
        help="a study file (with [factors]) or a scenario file (with --vary)",
        show_default=False,
    ),
]
VaryOpt = Annotated[
    list[str] | None, typer.Option("--vary", metavar="PATH=VALUES", help="a factor: path=lo:hi:step, path=lo:hi or path=a,b,c, e.g. escort.teams=2,3,4,6")
]


def sweep(
    target: TargetArg,
    vary: VaryOpt = None,
    design: Annotated[
        str | None,
        typer.Option(
            help=(
                "grid (every combination; the default with --vary), lhs (Latin hypercube: --samples "
                "points spread over the ranges) or sobol (scrambled Sobol' points)"
            )
        ),
    ] = None,
    samples: Annotated[int | None, typer.Option(min=1, help="design points of an lhs or sobol design (required with them)")] = None,
    replications: Annotated[int | None, typer.Option("--replications", "-n", min=1, help="replications per design point (default 100)")] = None,
    seed: FileSeedOpt = None,
    set_: SetOpt = None,
    name: Annotated[str | None, typer.Option(help="study name (default: the study file's, or the scenario's)")] = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    batch_size: Annotated[int | None, typer.Option(min=1, help="replications per batch (default: enough for >= 0.5 s)")] = None,
    out: Annotated[Path | None, out_option("results/<study>-<UTC time>/")] = None,
    resume: ResumeOpt = False,
    force: ForceOpt = False,
    measure: MeasureOpt = MeasureChoice.days,
    by_day: ByDayOpt = None,
    base: BaseOpt = None,
    figures: FiguresOpt = True,
) -> None:
    """Run every design point of a study, replicated on common random numbers, into a results folder."""
    from sim import api

    with on_workers("sweep", jobs, scheduler, dask_local) as workers:
        shared = workers.options(seed=seed, set_=set_, out=out, force=force, resume=resume, measure=measure, by_day=by_day, base=base)
        result = api.sweep(
            target, vary or [], design=design, samples=samples, replications=replications, name=name, batch_size=batch_size, figures=False, options=shared
        )
    for warning in result.warnings:
        _console.warn(warning)
    with _console.named(Path(result.study.scenario_path)):  # a theatre's factors by its own names (roads by their ends)
        _print_points(result)
    _console.draw_figures(result.folder, figures)  # the answer first; Ctrl-C while drawing keeps every replication and says so
    kept = f" ({result.batches_kept} batches kept from before)" if result.batches_kept else ""
    _console.results_in(result.folder, f"{len(result.points)} points x {result.study.replications} replications in {result.wall_seconds:.1f} s{kept}. ")


def _print_points(result) -> None:
    """The design points best first by the sweep's measure (sooner, or likelier), with P(out by day D) and the seed's
    window as a check."""
    from rich.table import Table

    from sim.analysis.design_points import by_day_key
    from sim.analysis.measure import Measure
    from sim.analysis.statistics import window_key
    from sim.names import label, unit_of

    points, m = result.points, result.measure or Measure()
    window = m.window
    within, by = window_key("p_within", window), by_day_key(m.day)
    factor_columns = list(points.columns[1 : points.columns.get_loc("replications")])
    shown = result.ranked.head(12)
    order = "sooner first" if m.kind == "days" else "likelier first"
    title = f"Design points by {m.words}, {order}; {result.study.replications} replications each"
    table = Table(title=title + (f" (best 12 of {len(points)})" if len(points) > 12 else ""))
    table.add_column("point", justify="right", overflow="fold")
    for column in factor_columns:  # in words and unit, the dotted path dim under them
        unit = unit_of(column)
        unit_said = f" ({'%' if unit.startswith('share') else unit})"
        said = label(column) + ("" if unit in ("count", "rank") or label(column).endswith(unit_said) else unit_said)  # a unit said once
        words = f"{escape(said)}\n[dim]{escape(column)}[/]" if label(column) != column and _console.shows_paths() else escape(said)
        table.add_column(words, justify="right", overflow="fold")
    for column in ("mean days", "P10-P90 days", f"{m.by_day_words} (95% CI)", f"P({window[0]:g}-{window[1]:g}), a check"):
        table.add_column(escape(column), justify="right", overflow="fold")
    for row in shown.to_dict("records"):
        cells = [str(row["point"]), *(_factor_value(c, row[c]) for c in factor_columns)]
        cells += [
            f"{row['days_mean']:.1f}",
            f"{row['days_p10']:.1f}-{row['days_p90']:.1f}",
            f"{100 * row[by]:.0f}% ({100 * row[by + '_ci_low']:.0f}-{100 * row[by + '_ci_high']:.0f})",
            f"{100 * row[within]:.0f}%",
        ]
        table.add_row(*cells)
    _console.console.print(table)


def _factor_value(path: str, value) -> str:
    """A design point's value of a factor as its column reads it (the unit is in the header): ``40``, ``0.662``, ``25``
    (a share, in percent)."""
    from sim.names import unit_of, value_words

    unit = unit_of(path)
    text = value_words(path, value)
    return text.removesuffix("%") if unit.startswith("share") else text.removesuffix(f" {unit}")


def compare(
    a: Annotated[Path, typer.Argument(metavar="SCENARIO_A", help="scenario A (the reference)", show_default=False)],
    b: Annotated[Path | None, typer.Argument(metavar="SCENARIO_B", help="scenario B (default: A with the --set overrides)", show_default=False)] = None,
    set_: SetBOpt = None,
    replications: Annotated[int, typer.Option("--replications", "-n", min=2, help="paired replications")] = 1000,
    seed: SeedOpt = DEFAULT_SEED,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the comparison as JSON")] = False,
    out: Annotated[Path | None, out_option("results/<A>-vs-<B>-<UTC time>/")] = None,
    force: ForceOpt = False,
    measure: MeasureOpt = MeasureChoice.days,
    by_day: ByDayOpt = None,
    base: BaseOpt = None,
    figures: FiguresOpt = True,
) -> None:
    """Compare two scenarios (B - A) on paired replications with common random numbers."""
    from sim import api

    if b is None and not set_:
        _console.fail("give a scenario B, or --set overrides that make B from A", 2)
    loaded_a = _console.load(a, None)
    loaded_b = _console.load(b, set_) if b is not None else None
    _console.load(a, set_)  # B made from A: its overrides are checked before any work
    with on_workers("paired replications", jobs, scheduler, dask_local, total=2 * replications) as workers:
        shared = workers.options(seed=seed, set_=set_ if b is None else None, out=out, force=force, measure=measure, by_day=by_day, base=base)
        result = api.compare(loaded_a, loaded_b, replications=replications, figures=figures, options=shared)
    if as_json:
        sys.stdout.write(json.dumps(result.summary, indent=2) + "\n")
        return
    _print_comparison(result.summary, str(a), f"{b or a} with {', '.join(set_)}" if set_ else str(b))
    _console.console.print(f"[bold]{escape(result.summary['sentence'])}[/]")
    if not figures:
        _console.draw_figures(result.folder, figures=False)  # says how to draw them later
    _console.results_in(result.folder)


def _print_comparison(summary: dict, name_a: str, name_b: str) -> None:
    """The comparison's tables, each titled with whose figures they are (the report shows the same ones)."""
    from rich.table import Table

    from sim.analysis.paired import comparison_tables

    _console.console.print(f"A: {escape(name_a)}\nB: {escape(name_b)}")
    _console.console.print(escape(f"B ({name_b}) - A ({name_a}) over {summary['replications']} paired replications (common random numbers):"))
    for paired in comparison_tables(summary):
        table = Table(title=escape(paired.title))
        table.add_column("", overflow="fold")
        for column in ("A", "B", "B - A (95% CI)", "variance reduction"):
            table.add_column(column, justify="right", overflow="fold")
        for row in paired.rows:
            table.add_row(*(escape(cell) for cell in row))
        _console.console.print(table)
    days = summary["days_to_base_empty"]
    _console.console.print(
        "Variance reduction: how many times more replications independent streams would need for the same CI on the difference "
        f"(CI half-width on mean days to base empty with independent streams: {days['ci_half_width_independent']:.2f})."
    )


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``compare`` to the evacsim command line."""
    app.command()(sweep)
    app.command()(compare)
