"""``evacsim sensitivity``, ``discover``, ``calibrate``, ``marginal`` and ``evidence``: what drives the closure date,
and what to find out first.

Thin commands: parse the options, call the study in :mod:`sim.api` (which writes the tables,
figures, ``report.md`` and ``manifest.json`` into the results folder) and print what it
found. User errors are one paragraph and exit 3.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._console import failures
from sim.commands._options import (
    DEFAULT_SEED,
    BaseOpt,
    ByDayOpt,
    DaskLocalOpt,
    ForceOpt,
    JobsOpt,
    MeasureChoice,
    MeasureOpt,
    OutOpt,
    PreciseOpt,
    ResumeOpt,
    ReusingForceOpt,
    ScenarioArg,
    SchedulerOpt,
    SeedOpt,
    SetOpt,
    on_workers,
    study_options,
)

if TYPE_CHECKING:
    import pandas as pd

SensitivityRepsOpt = Annotated[
    int | None,
    typer.Option("--replications", "-n", min=1, help="replications per design point (default: tornado 40, Morris 6, Sobol' 3; with --precise 200, 20, 10)"),
]
"""A study's ``-n``, its defaults said as ``sim.experiment.analyses.DEFAULTS`` and ``PRECISE`` hold them (a test keeps them equal)."""
CalibrateRepsOpt = Annotated[
    int | None, typer.Option("--replications", "-n", min=1, help="prior draws, each a replication (default 2000; with --precise 20000)")
]
MarginalRepsOpt = Annotated[int | None, typer.Option("--replications", "-n", min=1, help="replications of each change (default 300; with --precise 2000)")]


class Method(StrEnum):
    tornado = "tornado"
    morris = "morris"
    sobol = "sobol"


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the application."""
    app.command()(sensitivity)
    app.command()(discover)
    app.command()(calibrate)
    app.command()(marginal)
    app.command()(evidence)


def _study(label: str, where: tuple[int | None, str | None, int | None], call):
    """Call a study of :mod:`sim.api` under a progress bar counting replications, on the executor the options
    ask for (``where``: jobs, scheduler, dask_local): ``call(workers)`` (:class:`sim.commands._options.Workers`)."""
    with on_workers(label, *where) as workers:
        return call(workers)


def _print_warnings(warnings: list[str]) -> None:
    for w in warnings:
        _console.warn(w)


def _print_table(title: str, table: pd.DataFrame, stem: str, columns: list[str], window: tuple[float, float] | None, rows: int = 10, measure=None) -> None:
    """An analysis table on the console as people read it: inputs by name (dotted path beside, dim), columns in words and units."""
    from rich.table import Table

    from sim.names import people_table

    shown = people_table(table.head(rows), stem, window, columns, short=True, measure=measure)
    out = Table(title=escape(title))
    first = shown.columns[0]
    with_paths = "parameter" in shown and _console.shows_paths()
    out.add_column(escape(first), overflow="fold")
    rest = [c for c in shown.columns[1:] if c != "parameter"]
    for column in rest:
        out.add_column(escape(column), justify="left" if column == "unit" else "right", overflow="fold")  # a header wraps, never cut
    for _, row in shown.iterrows():
        name = escape(str(row[first])) + (f"\n[dim]{escape(row['parameter'])}[/]" if with_paths and row["parameter"] != row[first] else "")
        out.add_row(name, *(escape(str(row[c])) for c in rest))
    _console.console.print(out)


# ---- the commands --------------------------------------------------------------------------------


def sensitivity(
    scenario: ScenarioArg,
    method: Annotated[Method, typer.Option(help="tornado (one at a time), morris (screening) or sobol (variance shares)")] = Method.tornado,
    factors: Annotated[Path | None, typer.Option(help='study file naming factors and ranges: [factors."escort.teams"] low = 3, high = 10')] = None,
    trajectories: Annotated[int | None, typer.Option(min=2, help="Morris trajectories (default 10)")] = None,
    n: Annotated[
        int | None,
        typer.Option(
            "--base-samples",
            min=2,
            help="Sobol' sample size n, a power of 2 (default 128; --precise 256): n x (factors + 2) points (not --base, the theatre's base a study measures)",
        ),
    ] = None,
    replications: SensitivityRepsOpt = None,
    seed: SeedOpt = DEFAULT_SEED,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ReusingForceOpt = False,
    resume: ResumeOpt = False,
    precise: PreciseOpt = False,
    measure: MeasureOpt = MeasureChoice.days,
    by_day: ByDayOpt = None,
    base: BaseOpt = None,
) -> None:
    """Which uncertain inputs move the closure date most: tornado, Morris or Sobol'."""
    from sim import api

    with _console.named(scenario):  # a theatre's inputs by its own names in what the command prints
        m = method.value
        result = _study(
            f"sensitivity ({m})",
            (jobs, scheduler, dask_local),
            lambda w: api.sensitivity(
                scenario,
                m,
                factors=factors,
                trajectories=trajectories,
                base_samples=n,
                replications=replications,
                options=w.options(seed=seed, set_=set_, out=out, force=force, resume=resume, precise=precise, measure=measure, by_day=by_day, base=base),
            ),
        )
        window = _window_of(result)
        chosen = _measure_of(result)
        if m == "tornado":
            swings = ["mean_days.swing", "p_by_day.swing", "p_window.swing"]
            first = f"{chosen.point_column}.swing"
            title = f"Tornado: swing from P5 to P95 around the baseline run (every input drawn), ranked by {chosen.words}"
            pinned = ["pinned_low", "pinned_high"]  # the values each input was pinned at, in its unit, before the swings
            _print_table(title, result.tables["tornado"], "tornado", [*pinned, first, *(c for c in swings if c != first)], window, measure=chosen)
            _print_centre(result.tables["tornado"], chosen)
        elif m == "morris":
            morris = result.tables["morris"].sort_values("mu_star", ascending=False)
            _print_table(f"Morris: {chosen.words}", morris, "morris", ["mu_star", "mu_star_conf", "sigma"], window, measure=chosen)
        else:
            sobol = result.tables["sobol"].sort_values("ST", ascending=False)
            _print_table(f"Sobol': {chosen.words}", sobol, "sobol", ["S1", "S1_conf", "ST", "ST_conf"], window, measure=chosen)
        _print_warnings(result.warnings)
        _console.console.print(result.lines[0])
        _console.results_in(result.folder)


def _measure_of(result):
    """The measure an analysis ran by, from its manifest (mean days to base empty for a folder written before)."""
    from sim.analysis.measure import Measure
    from sim.experiment.manifest import read_manifest

    record = read_manifest(result.folder).get("measure")
    if record:
        return Measure.from_record(record)
    return Measure(window=_window_of(result))


def _window_of(result) -> tuple[float, float]:
    """The window of the scenario an analysis ran on, from its manifest."""
    from sim.experiment.manifest import read_manifest

    return tuple(read_manifest(result.folder).scenario["scenario"]["window_days"])


def discover(
    results: Annotated[
        Path,
        typer.Argument(
            metavar="RESULTS_FOLDER",
            help="a results folder of run, sweep or sensitivity (holds replications.parquet)",
            show_default=False,
        ),
    ],
    target: Annotated[
        str | None,
        typer.Option(
            help='cases of interest, e.g. "days <= 30" or "15 <= days <= 30" (days: to the end the measure measures; '
            "default: out by day D, or inside the window with --measure window)",
            show_default=False,
        ),
    ] = None,
    min_coverage: Annotated[
        float, typer.Option(min=0.0, max=1.0, help=("choose the densest box holding at least this share of the cases, 0-1 (0.5: half of them)"))
    ] = 0.5,
    out: OutOpt = None,
    force: ForceOpt = False,
    measure: MeasureOpt = MeasureChoice.days,
    by_day: ByDayOpt = None,
    base: BaseOpt = None,
) -> None:
    """Under which conditions the target happens: PRIM boxes over the inputs of a finished study.

    Discovery runs no replications: it reads those of RESULTS, so it takes no seed, jobs or cluster.
    """
    from sim import api

    with failures():
        shared = study_options(out=out, force=force, measure=measure, by_day=by_day, base=base)
        result = api.discover(results, target, min_coverage=min_coverage, options=shared)
    _console.console.print(f"[bold]{escape(result.lines[0])}[/]")
    _console.results_in(result.folder)


def calibrate(
    scenario: ScenarioArg,
    target_days: Annotated[str, typer.Option(help="window the seed reports, LOW:HIGH days to base empty")] = "15:30",
    replications: CalibrateRepsOpt = None,
    seed: SeedOpt = DEFAULT_SEED,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ReusingForceOpt = False,
    resume: ResumeOpt = False,
    precise: PreciseOpt = False,
) -> None:
    """Which input values make the seed's estimate come true: ABC rejection over the scenario's distributions."""
    from sim import api

    with _console.named(scenario):  # a theatre's inputs by its own names in what the command prints
        from sim.experiment.folders import parse_window

        try:
            window = parse_window(target_days)
        except ValueError as exc:
            _console.fail(str(exc), 2)
        result = _study(
            "calibration",
            (jobs, scheduler, dask_local),
            lambda w: api.calibrate(
                scenario,
                window,
                replications=replications,
                options=w.options(seed=seed, set_=set_, out=out, force=force, resume=resume, precise=precise),
            ),
        )
        shown = ["prior_p5", "prior_p95", "post_p5", "post_p95", "ks"]
        target = f"{window[0]:g}-{window[1]:g} days"
        _print_table(f"Prior vs posterior given {target}", result.tables["calibration"], "calibration", shown, window, rows=8)
        _print_warnings(result.warnings)
        _console.console.print(result.lines[0])
        _console.results_in(result.folder)


def marginal(
    scenario: ScenarioArg,
    replications: MarginalRepsOpt = None,
    seed: SeedOpt = DEFAULT_SEED,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ReusingForceOpt = False,
    resume: ResumeOpt = False,
    precise: PreciseOpt = False,
    measure: MeasureOpt = MeasureChoice.days,
    by_day: ByDayOpt = None,
    base: BaseOpt = None,
) -> None:
    """What one more truck, escort team, Apache, loading team, sortie or crossing buys, with 95% CIs."""
    from sim import api

    with _console.named(scenario):  # a theatre's inputs by its own names in what the command prints
        result = _study(
            "marginal",
            (jobs, scheduler, dask_local),
            lambda w: api.marginal(
                scenario,
                replications=replications,
                options=w.options(seed=seed, set_=set_, out=out, force=force, resume=resume, precise=precise, measure=measure, by_day=by_day, base=base),
            ),
        )
        table = result.tables["marginal"]
        _print_marginal(table, _measure_of(result), _window_of(result))
        _console.console.print(f"[bold]{escape(result.lines[0])}[/]")
        _console.results_in(result.folder)


def _print_centre(tornado, measure) -> None:
    """The tornado's centre, the baseline run that every swing is measured from: its mean days and its chances."""
    if tornado.empty or "mean_days.base" not in tornado.columns:
        return
    row = tornado.iloc[0]
    said = [f"mean {measure.days_words} {row['mean_days.base']:.1f}"]
    if "p_by_day.base" in tornado.columns:
        said.append(f"{measure.by_day_words} {100 * row['p_by_day.base']:.0f}%")
    if "p_window.base" in tornado.columns:
        said.append(f"{measure.window_words} {100 * row['p_window.base']:.0f}%")
    _console.console.print(escape(f"Centre (the baseline run, every input drawn): {', '.join(said)}."))


def evidence(
    scenario: ScenarioArg,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications",
            "-n",
            min=20,
            help=("replications to estimate from how much knowing each input exactly would settle the verdict (its EVPPI; default 2000)"),
        ),
    ] = None,
    tornado_replications: Annotated[
        int | None, typer.Option(min=1, help=("replications per point of the tornado that ranks the inputs first (default 40)"))
    ] = None,
    from_run: Annotated[Path | None, typer.Option("--from", help="a run folder of this scenario: estimate from its replications, no new draws")] = None,
    seed: SeedOpt = DEFAULT_SEED,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ReusingForceOpt = False,
    resume: ResumeOpt = False,
    precise: PreciseOpt = False,
    measure: MeasureOpt = MeasureChoice.days,
    by_day: ByDayOpt = None,
    base: BaseOpt = None,
) -> None:
    """What to find out first: for each uncertain input, how much knowing it would settle the uncertainty of the measure (EVPPI),
    its tornado swing, and the kind of source behind it."""
    from sim import api

    with _console.named(scenario):  # a theatre's inputs by its own names in what the command prints
        result = _study(
            "evidence (a tornado, then draws)",
            (jobs, scheduler, dask_local),
            lambda w: api.evidence(
                scenario,
                replications=replications,
                tornado_replications=tornado_replications,
                from_run=from_run,
                options=w.options(seed=seed, set_=set_, out=out, force=force, resume=resume, precise=precise, measure=measure, by_day=by_day, base=base),
            ),
        )
        _print_evidence(result.tables["evidence"], _window_of(result), _measure_of(result))
        _print_warnings(result.warnings)
        for line in result.lines:
            _console.console.print(escape(line))
        _console.results_in(result.folder)


def _print_marginal(table: pd.DataFrame, measure, window: tuple[float, float] | None) -> None:
    """What one more of each resource buys, each change with its 95% CI beside it as --help promises: days sooner (to
    what the study measures), the change in P(out by day D) and in the seed's window, in percentage points."""
    from rich.table import Table

    from sim.names import days, label, points, window_words

    def with_ci(r: pd.Series, column: str, show) -> str:
        low, high = r.get(f"{column}_low"), r.get(f"{column}_high")
        interval = f" ({show(low)} to {show(high)})" if low is not None and high is not None else ""
        return f"{show(r[column])}{interval}"

    out = Table(title=escape(f"What one more of each buys, best first by {measure.words}; each change with its 95% CI, on the same replications"))
    out.add_column("change", overflow="fold")
    out.add_column(escape(f"days sooner to {measure.subject} (95% CI)"), justify="right", overflow="fold")
    out.add_column(escape(f"change in {measure.by_day_words}, points (95% CI)"), justify="right", overflow="fold")
    out.add_column(escape(f"change in {window_words(window)}, points (95% CI)"), justify="right", overflow="fold")
    for name, r in table.iterrows():
        out.add_row(escape(label(str(name))), with_ci(r, "days_saved", days), with_ci(r, "p_by_day_change", points), with_ci(r, "p_window_change", points))
    _console.console.print(out)


def _print_evidence(table: pd.DataFrame, window: tuple[float, float], measure=None, rows: int = 12) -> None:
    """The ranked table in words: what knowing each input would settle of the measure's uncertainty, its swings, and
    what backs it."""
    from rich.table import Table

    from sim.analysis.measure import Measure

    m = measure or Measure(window=window)
    out = Table(title=escape(f"What to find out first: knowing each input exactly, how much of the uncertainty of {m.words} it settles"))
    out.add_column("input", overflow="fold")  # at 80 columns every cell wraps or folds: no figure or path lost to an ellipsis
    out.add_column("knowing it would settle", justify="right", overflow="fold")
    out.add_column("swing of mean days", justify="right", overflow="fold")
    out.add_column(escape(f"swing of {m.by_day_words}"), justify="right", overflow="fold")
    out.add_column("evidence", overflow="fold")
    out.add_column("parameter", style="dim", overflow="fold")
    by_day = "p_by_day_swing_points" in table.columns
    for r in table.head(rows).itertuples():
        settles = f"{max(r.evppi, 0):.0f}% ({max(r.evppi_low, 0):.0f}-{r.evppi_high:.0f}%)"
        swing = r.p_by_day_swing_points if by_day else r.p_window_swing_points
        out.add_row(escape(r.label), settles, f"{r.swing_days:+.1f} days", f"{swing:+.0f} points", r.source_kind, escape(r.input))
    _console.console.print(out)
