"""``evacsim plan``: the cheapest additions that make the date, with the confidence a commander asks for.

Thin command: parse the target and the plan file, call :func:`sim.experiment.plan.plan`,
write ``plan.csv``, ``pareto.csv``, ``candidates.csv``, ``plan.json``, the figure and
``manifest.json`` (kind ``plan``). User errors are one paragraph: a bad ``--target`` exits 2,
a bad plan file (file, line, field) or scenario exits 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._options import EXIT_INTERRUPTED, EXIT_WORKERS, DaskLocalOpt, SchedulerOpt
from sim.commands.analysis import EXIT_BAD_INPUT, EXIT_OUTPUT, ForceOpt, JobsOpt, OutOpt, ResumeOpt, ScenarioArg, SetOpt, _executor, _fail, _folder

KIND = "plan"


def register(app: typer.Typer) -> None:
    app.command(name="plan")(plan_command)


def plan_command(
    scenario: ScenarioArg,
    options: Annotated[Path, typer.Option("--options", help="plan file: levers (dotted paths, whole units to add, cost per unit), budget, target")],
    target: Annotated[str | None, typer.Option(help='e.g. "P(days <= 30) >= 0.9" (default: the plan file\'s target)')] = None,
    budget: Annotated[float | None, typer.Option(min=0, help="most the additions may cost (default: the plan file's, or none)")] = None,
    trials: Annotated[int | None, typer.Option(min=2, help="plans the optimiser proposes (default: the plan file's)")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="seed of the run's SeedSequence (default: the plan file's): same seed, same plan")] = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
    out: OutOpt = None,
    force: ForceOpt = False,
    resume: ResumeOpt = False,
) -> None:
    """The cheapest set of additions (trucks, teams, sorties, ...) that meets a target such as P(days <= 30) >= 0.9."""
    from dataclasses import replace

    from sim.experiment import plan as p
    from sim.experiment.executors import ExecutorError
    from sim.experiment.plan_file import parse_target, read_plan_options
    from sim.experiment.storage import OutputError
    from sim.scenario.loading import ScenarioError

    goal = None
    if target is not None:
        try:
            goal = parse_target(target)
        except ValueError as exc:
            _fail(f"--target: {exc}", 2)
    loaded = _console.load(scenario, set_)
    try:
        study = read_plan_options(options, loaded.scenario)
    except ScenarioError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    goal = goal or study.target
    if goal is None:
        _fail(f'{options}: no target; give target = "P(days <= 30) >= 0.9" in the plan file or --target', 2)
    study = replace(study, **{k: v for k, v in {"budget": budget, "trials": trials}.items() if v is not None})
    seed = study.seed if seed is None else seed
    folder = _folder(out, force, f"{loaded.scenario.scenario.name}-plan", resume, KIND)
    executor = _executor(jobs, scheduler, dask_local)
    rerun = f"rerun the same command with --out {folder} --resume"
    try:
        with executor, _console.progress() as bar:
            task = bar.add_task("plan", total=None)
            result = p.plan(
                loaded,
                study,
                goal,
                seed,
                executor,
                folder,
                resume,
                lambda label, done, _: bar.update(task, description=f"plan: {label}, replications", completed=done),
            )
    except OutputError as exc:
        _fail(str(exc), EXIT_OUTPUT)
    except ExecutorError as exc:
        _fail(f"{exc}; the plans evaluated so far are kept in {folder}: {rerun}", EXIT_WORKERS)
    except ScenarioError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except OSError as exc:
        _fail(f"{folder}: cannot write results ({exc.strerror or exc}); make room, then {rerun}", EXIT_OUTPUT)
    except KeyboardInterrupt:
        _fail(f"interrupted; the plans evaluated so far are kept in {folder}: {rerun}", EXIT_INTERRUPTED)
    _write(folder, loaded, study, goal, seed, result)
    for warning in result.warnings:
        _console.warn(warning)
    _console.console.print(f"[bold]{escape(result.sentence)}[/]")
    if result.overrides:
        _console.console.print("Check it: evacsim run " + escape(str(scenario)) + " " + " ".join(f"--set '{o}'" for o in result.overrides))
    if result.check:
        c = result.check
        verdict = "meets the target within its CI" if c["meets_target_within_ci"] else "does NOT meet the target within its CI"
        _console.console.print(
            f"Fresh run on seed {c['seed']} ({c['replications']} replications): {goal.short()} = {c['p']:.1%} "
            f"({c['ci_low']:.1%}-{c['ci_high']:.1%}), {verdict}."
        )
    _console.results_in(folder)


def _write(folder: Path, loaded, study, goal, seed: int, result) -> None:
    from sim.experiment import plan as p
    from sim.experiment.manifest import new_manifest, write_manifest
    from sim.plots.completion import save_figure
    from sim.plots.plan import plan_figure

    p.write_tables(folder, result)
    if len(result.candidates):
        figure = plan_figure(result.candidates, result.pareto, result.ranked, goal.probability, study.indifference, goal.short())
        save_figure(figure, folder / "plan")
    info = {
        "options_path": study.path,
        "target": str(goal),
        "budget": study.budget,
        "levers": p.levers_record(study),
        "search": {
            "optimiser": "optuna NSGAIISampler (cost down, probability up)",
            "optimiser_seed": p.optimiser_seed(seed),
            "trials": study.trials,
            "population": study.population,
            "replications": study.replications,
            "replications_near_target": study.replications_near_target,
        },
        "confirmation": result.confirmation,
        "replications_run": result.replications_run,
        "sentence": result.sentence,
        "set": result.overrides,
        "check": result.check,
        "warnings": result.warnings,
    }
    write_manifest(folder, new_manifest(KIND, loaded.scenario.model_dump(mode="json"), loaded.path, list(loaded.overrides), seed, **info))
