"""``evacsim backtest``: the model against past withdrawals (``scenarios/history/*.toml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._options import EXIT_OUTPUT, EXIT_WORKERS, DaskLocalOpt, SchedulerOpt, SeedOpt

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
    import pandas as pd
    from rich.table import Table

    from sim.commands.analysis import _executor, _fail, _folder
    from sim.experiment.backtest import HISTORY_DIR, load_cases, run_backtests
    from sim.experiment.executors import ExecutorError
    from sim.experiment.manifest import new_manifest, write_manifest
    from sim.experiment.storage import OutputError, write_atomic
    from sim.plots.backtest import backtest_figure
    from sim.scenario.loading import EXIT_BAD_INPUT, ScenarioError

    try:
        loaded = load_cases(cases or [HISTORY_DIR])
    except ScenarioError as exc:
        _console.fail(str(exc), EXIT_BAD_INPUT)
    folder = _folder(out, force, "backtest", kind="backtest")
    executor = _executor(jobs, scheduler, dask_local)
    try:
        with executor, _console.progress() as bar:
            task = bar.add_task(f"{len(loaded)} cases, {replications} replications each", total=replications * len(loaded))
            results = run_backtests(loaded, seed, replications, executor, lambda done, total: bar.update(task, completed=done))
    except ExecutorError as exc:
        _fail(str(exc), EXIT_WORKERS)
    table = pd.DataFrame([r.as_row() for r in results])
    try:
        write_atomic(folder / "backtest.csv", lambda tmp: table.to_csv(tmp, index=False))
        write_manifest(folder, new_manifest("backtest", {}, "", [], seed, replications=replications, cases=[c.loaded.path for c in loaded]))
        fig = backtest_figure(table)
        for ext in ("png", "svg"):
            write_atomic(folder / f"backtest.{ext}", lambda tmp, ext=ext: fig.savefig(tmp, format=ext))
    except OutputError as exc:
        _fail(str(exc), EXIT_OUTPUT)
    shown = Table(title=f"Backtests: {replications} replications a case, seed {seed}")
    for col, justify in (("case", "left"), ("measured", "left"), ("reported", "right"), ("model P10 / P50 / P90", "right"), ("", "left")):
        shown.add_column(col, justify=justify)
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
