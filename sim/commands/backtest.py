"""``evacsim backtest``: the model against past withdrawals (``scenarios/history/*.toml``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._options import DEFAULT_SEED, DaskLocalOpt, ForceOpt, JobsOpt, SchedulerOpt, SeedOpt, on_workers, out_option

if TYPE_CHECKING:  # numpy and rich's tables: not for `evacsim --help`
    from rich.table import Table

    from sim.analysis.backtest import Backtest

CasesArg = Annotated[list[Path] | None, typer.Argument(metavar="CASES", help="case files or folders (default scenarios/history)", show_default=False)]


def backtest(
    cases: CasesArg = None,
    replications: Annotated[int, typer.Option("--replications", "-n", min=1, help="replications per case")] = 300,
    seed: SeedOpt = DEFAULT_SEED,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    out: Annotated[Path | None, out_option("results/backtest-<UTC time>/")] = None,
    force: ForceOpt = False,
) -> None:
    """Run every past withdrawal and score the model and a planner's paper forecast against what was reported (CRPS, skill)."""
    from sim import api

    with on_workers(f"backtests, {replications} replications a case", jobs, scheduler, dask_local) as workers:
        shared = workers.options(seed=seed, out=out, force=force)
        found = api.backtest(cases or [], replications=replications, options=shared)
    results, folder = found.cases, found.folder
    _console.console.print(backtest_table(results, replications, seed))
    for line in backtest_sentences(results):
        _console.console.print(escape(line))
    wins = sum(r.model_wins for r in results)
    _console.console.print(
        f"[bold]The model beats the paper forecast in {wins} of {len(results)} cases and loses {len(results) - wins}; {escape(overall_words(results))}.[/]"
    )
    _console.results_in(folder)


def backtest_table(results: list[Backtest], replications: int, seed: int) -> Table:
    """One row a case: reported range, the model's interval, the share of replications inside, both scores and the skill."""
    from rich.table import Table

    shown = Table(title=f"Backtests: {replications} replications a case, seed {seed}; CRPS in the case's unit, lower is better")
    columns = (
        ("case", "left"),
        ("reported", "right"),
        ("model P10 / P50 / P90", "right"),
        ("replications inside", "right"),
        ("paper forecast", "right"),
        ("CRPS model / paper", "right"),
        ("skill", "right"),
        ("", "left"),
    )
    for col, justify in columns:
        shown.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]  # "left" or "right"
    for r in results:
        shown.add_row(
            f"{escape(r.what)} ({r.measure})",
            f"{r.reported_low:g}-{r.reported_high:g} {r.unit}",
            f"{r.p10:.1f} / {r.p50:.1f} / {r.p90:.1f} {r.unit}",
            f"{100 * r.share_in_reported:.0f}%",
            f"{r.paper:.1f} {r.unit}",
            f"{r.crps_model:.2f} / {r.crps_paper:.2f} {r.unit}",
            f"{r.skill:+.2f}",
            "model wins" if r.model_wins else "paper wins",
        )
    return shown


def backtest_sentences(results: list[Backtest]) -> list[str]:
    """One sentence a case, in words and units: the model's and the paper forecast's error and the skill."""
    return [
        f"{r.what}: reported {r.reported_low:g}-{r.reported_high:g} {r.unit} ({r.measure}); the model's typical error (CRPS) is "
        f"{r.crps_model:.2f} {r.unit}, the paper forecast's {r.crps_paper:.2f} {r.unit} (it says {r.paper_basis}); skill {r.skill:+.2f}: "
        + ("the model wins." if r.model_wins else "the paper forecast wins.")
        for r in results
    ]


def overall_words(results: list[Backtest]) -> str:
    """The skill over all cases in words."""
    from sim.analysis.backtest import overall_skill

    value = overall_skill(results)
    return "no overall skill to give" if value != value else f"overall skill {value:+.2f} (1 - the geometric mean of the CRPS ratios)"


def register(app: typer.Typer) -> None:
    app.command()(backtest)
