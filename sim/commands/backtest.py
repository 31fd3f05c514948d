"""``evacsim backtest``: the model against past withdrawals (``scenarios/history/*.toml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._console import failures
from sim.commands._options import DaskLocalOpt, SchedulerOpt, SeedOpt

CasesArg = Annotated[list[Path] | None, typer.Argument(help="case files or folders (default scenarios/history)", show_default=False)]


def backtest(
    cases: CasesArg = None,
    replications: Annotated[int, typer.Option("--replications", "-n", min=1, help="replications per case")] = 300,
    seed: SeedOpt = 20260223,
    jobs: Annotated[int | None, typer.Option(min=1, help="worker processes (default: all cores)")] = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    out: Annotated[Path | None, typer.Option(help="results folder (default results/backtest-<UTC time>)")] = None,
    force: Annotated[bool, typer.Option(help="write into a non-empty --out folder of backtest results")] = False,
) -> None:
    """Run every past withdrawal and compare the prediction (P10-P90) with what was reported."""
    from rich.table import Table

    from sim import api
    from sim.experiment.executors import make_executor

    with failures(), make_executor(jobs, scheduler, dask_local) as executor, _console.progress(executor.workers) as bar:
        task = bar.add_task(f"backtests, {replications} replications a case", total=None)
        found = api.backtest(
            cases or [],
            replications=replications,
            seed=seed,
            out=out,
            force=force,
            executor=executor,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    results, folder = found.cases, found.folder
    shown = Table(title=f"Backtests: {replications} replications a case, seed {seed}")
    for col, justify in (("case", "left"), ("measured", "left"), ("reported", "right"), ("model P10 / P50 / P90", "right"), ("", "left")):
        shown.add_column(col, justify=justify)  # type: ignore[arg-type]  # "left" or "right"
    for r in results:
        shown.add_row(
            escape(r.what),
            r.measure,
            f"{r.reported_low:g}-{r.reported_high:g} {r.unit}",
            f"{r.p10:.1f} / {r.p50:.1f} / {r.p90:.1f} {r.unit}",
            r.verdict,
        )
    _console.console.print(shown)
    inside = sum(r.inside for r in results)
    _console.console.print(f"[bold]{inside} of {len(results)} reported ranges overlap the model's 80% interval.[/]")
    _console.results_in(folder)


def register(app: typer.Typer) -> None:
    app.command()(backtest)
