"""``evacsim plan``: the cheapest additions that make the date, with the confidence a commander asks for.

Thin command: parse the options, call :func:`sim.api.plan` (which writes ``plan.csv``,
``pareto.csv``, ``candidates.csv``, ``plan.json``, the figure and ``manifest.json``, kind
``plan``) and print. User errors are one paragraph: a bad ``--target`` exits 2,
a bad plan file (file, line, field) or scenario exits 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._options import (
    DaskLocalOpt,
    FileSeedOpt,
    JobsOpt,
    OutOpt,
    ResumeOpt,
    ReusingForceOpt,
    ScenarioArg,
    SchedulerOpt,
    SetOpt,
    TargetBaseOpt,
    TargetDayOpt,
    on_workers,
)


def register(app: typer.Typer) -> None:
    app.command(name="plan")(plan_command)


def plan_command(
    scenario: ScenarioArg,
    options: Annotated[Path, typer.Option("--options", help="plan file: levers (dotted paths, whole units to add, cost per unit), budget, target")],
    target: Annotated[str | None, typer.Option(help='e.g. "P(days <= 30) >= 0.9" (default: the plan file\'s target)')] = None,
    budget: Annotated[
        float | None, typer.Option(min=0, help=("most the additions may cost, in the plan file's cost points (default: the plan file's, or none)"))
    ] = None,
    trials: Annotated[
        int | None,
        typer.Option(
            min=2,
            help=(
                "plans the optimiser proposes (default: the plan file's); the descent from its "
                "cheapest plan that meets the target and the confirmation check more"
            ),
        ),
    ] = None,
    seed: FileSeedOpt = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ReusingForceOpt = False,
    resume: ResumeOpt = False,
    by_day: TargetDayOpt = None,
    base: TargetBaseOpt = None,
) -> None:
    """The cheapest set of additions (trucks, teams, sorties, ...) that meets a target such as P(days <= 30) >= 0.9.

    The target fixes what is measured (days to base empty, force_days or what a deadline leaves behind), so plan has
    no choice of measure; --by-day and --base only move the target's day or name the base it counts."""
    from sim import api

    loaded = _console.load(scenario, set_)
    with _console.named(scenario), on_workers("plan", jobs, scheduler, dask_local) as workers:  # a theatre's roads by their ends
        shared = workers.options(seed=seed, out=out, force=force, resume=resume, by_day=by_day, base=base)
        result = api.plan(loaded, options, target=target, budget=budget, trials=trials, stage=workers.stage, options=shared)
    # with no plan found, the last warning says why, and it is the answer printed next: said once
    for warning in result.warnings[:-1] if result.pick is None else result.warnings:
        _console.warn(warning)
    _console.console.print(f"[bold]{escape(result.sentence)}[/]")
    if result.overrides or result.check:
        _console.console.print("Check it: " + escape(check_command(scenario, set_, result.overrides, result.check)))
    if result.check:
        c = result.check
        verdict = "meets the target within its CI" if c["meets_target_within_ci"] else "does NOT meet the target within its CI"
        _console.console.print(
            f"Fresh run on seed {c['seed']} ({c['replications']} replications): {result.target.short()} = {c['p']:.1%} "
            f"({c['ci_low']:.1%}-{c['ci_high']:.1%}), {verdict}."
        )
    _console.results_in(result.folder)


def check_command(scenario: Path, given: list[str] | None, overrides: list[str], check: dict | None) -> str:
    """The ``evacsim run`` that reproduces the plan's fresh run: the scenario, the user's ``--set``, the plan's, and
    the check's seed and replications (without a check, the run of the plan as it stands)."""
    words = ["evacsim", "run", str(scenario), *(f"--set '{o}'" for o in [*(given or []), *overrides])]
    if check:
        words += ["--seed", str(check["seed"]), "-n", str(check["replications"])]
    return " ".join(words)
