"""``evacsim nowcast SCENARIO OBSERVATIONS``: the closure forecast conditioned on dated reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from sim.commands import _console
from sim.commands._options import (
    DEFAULT_SEED,
    DaskLocalOpt,
    ForceOpt,
    JobsOpt,
    ScenarioArg,
    SchedulerOpt,
    SeedOpt,
    SetOpt,
    on_workers,
    out_option,
)

DEFAULT_REPLICATIONS = 2000


def register(app: typer.Typer) -> None:
    app.command()(nowcast)


def nowcast(
    scenario: ScenarioArg,
    observations: Annotated[
        Path,
        typer.Argument(
            metavar="OBSERVATIONS",
            help="observations file, e.g. scenarios/observations/qasrak_2026.toml",
            show_default=False,
        ),
    ],
    replications: Annotated[int, typer.Option("--replications", "-n", min=1, help="prior replications to weight")] = DEFAULT_REPLICATIONS,
    seed: SeedOpt = DEFAULT_SEED,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    min_ess: Annotated[
        float, typer.Option(help=("warn when the replications that still carry weight after the reports (the effective sample size, a count) fall below this"))
    ] = 30.0,
    out: Annotated[Path | None, out_option("results/<scenario>-nowcast-<UTC time>/")] = None,
    force: ForceOpt = False,
) -> None:
    """Update the closure forecast from what has been observed so far (likelihood weighting)."""
    from sim import api

    loaded = _console.load(scenario, set_)
    nothing = "interrupted before the replications finished; nothing was written"
    with _console.named(scenario):  # a theatre's sites by their titles and roads by their ends, in what it prints
        with on_workers(f"{loaded.scenario.scenario.name} nowcast", jobs, scheduler, dask_local, total=replications, interrupted=nothing) as workers:
            shared = workers.options(seed=seed, out=out, force=force)
            result = api.nowcast(loaded, observations, replications=replications, min_ess=min_ess, options=shared)
        print_nowcast(result.nowcast, result.title, result.window_days, result.start, result.base)
    _console.results_in(result.folder)


def print_nowcast(result, title: str, window: tuple[float, float], start: dt.date | None = None, base: str | None = None) -> None:
    """The nowcast on the console: what a planner decides on first, the date everyone is out (P50, with its calendar
    date) and P(out by the window's end), for the scenario alone and given the reports; then the spread, force
    closure and the seed's window as a check; then what each report moved, in sentences. On a theatre, ``base`` (the main
    base's title) is whose closure it is: the reports are of that base, and its base-empty day is what they weigh."""
    from rich.table import Table

    from sim.analysis.nowcast import by_words, chance_out, when_out, when_words
    from sim.commands._console import console
    from sim.commands._console import warn as _warn

    low, high = window
    table = Table(title=f"{title}: nowcast (effective sample {result.effective_sample_size:.0f} of {len(result.weights)})")
    narrow = console.width < 100  # at 80 columns the row labels fold first; a cell wraps, or folds, never loses a figure to an ellipsis
    table.add_column("", overflow="fold", max_width=9 if narrow else None)
    heads = (f"{when_words(base)} (P50)", f"{by_words(high, base)} (95% CI)", "P10-P90 (days)", "force closure P50 (days)")
    for col in (*heads, f"P({low:g}-{high:g}), the seed's window", f"P(> {high:g})"):
        table.add_column(col, justify="right", overflow="fold")

    def ci(p: dict) -> str:
        return f"({100 * p['ci_low']:.0f}-{100 * p['ci_high']:.0f}%)"

    for name, f in (("prior (scenario)", result.prior), ("posterior (given reports)", result.posterior)):
        b, fc, p = f["days_to_base_empty"], f["days_to_force_closure"], f["base_empty"]
        by, within, over = p[f"p_by_{high:g}"], p[f"p_{low:g}_to_{high:g}"], p[f"p_over_{high:g}"]
        table.add_row(
            name,
            when_out(f, start),
            f"{chance_out(f, high)} {ci(by)}",
            f"{b['p10']:.1f}-{b['p90']:.1f}",
            f"{fc['p50']:.1f}",
            f"{100 * within['estimate']:.0f}% {ci(within)}",
            f"{100 * over['estimate']:.0f}% {ci(over)}",
        )
    console.print(table)
    for line in effect_lines(result, window, start, base):
        console.print(line)
    for w in result.warnings:
        _warn(w)


def effect_lines(result, window: tuple[float, float], start: dt.date | None = None, base: str | None = None) -> list[str]:
    """One sentence per report of an inflow (the reinforcements), and one for the reports as a whole: how much each moved
    the date everyone is out (base empty P50) and P(out by the window's end), given the other reports."""
    high = window[1]
    from sim.analysis.nowcast import answer_sentence, by_words, chance_out, when_out, when_words
    from sim.experiment.nowcast import in_sentence

    lines = []
    for e in result.effects:
        if e.kind != "inflow":
            continue
        lines.append(
            f"{in_sentence(e.label)} moved the {when_words(base)} (P50) from {when_out(e.without, start)} to {when_out(e.with_, start)} and "
            f"{by_words(high, base)} from {chance_out(e.without, high)} to {chance_out(e.with_, high)}, given the other reports "
            f"(effective sample {e.without['effective_sample_size']:.0f} without it, {e.with_['effective_sample_size']:.0f} with it)."
        )
    lines.append(answer_sentence(result.prior, result.posterior, high, start, base))
    return lines
