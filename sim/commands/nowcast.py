"""``evacsim nowcast SCENARIO OBSERVATIONS``: the closure forecast conditioned on dated reports."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from sim.commands._options import EXIT_INTERRUPTED, EXIT_WORKERS, DaskLocalOpt, SchedulerOpt, SeedOpt

DEFAULT_REPLICATIONS = 2000


def register(app: typer.Typer) -> None:
    app.command()(nowcast)


def nowcast(
    scenario: Annotated[Path, typer.Argument(help="scenario file, e.g. scenarios/qasrak_baseline.toml", show_default=False)],
    observations: Annotated[Path, typer.Argument(help="observations file, e.g. scenarios/observations/qasrak_2026.toml", show_default=False)],
    replications: Annotated[int, typer.Option("--replications", "-n", min=1, help="prior replications to weight")] = DEFAULT_REPLICATIONS,
    seed: SeedOpt = 20260223,
    jobs: Annotated[int | None, typer.Option(min=1, help="worker processes (default: all cores)")] = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="override a scenario field by dotted path: --set pause.probability=0.5")] = None,
    min_ess: Annotated[float, typer.Option(help="warn when the effective sample size falls below this")] = 30.0,
    out: Annotated[Path | None, typer.Option(help="results folder (default: results/<scenario>-nowcast-<UTC time>/)")] = None,
    force: Annotated[bool, typer.Option(help="write into a non-empty --out folder")] = False,
) -> None:
    """Update the closure forecast from what has been observed so far (likelihood weighting)."""
    from sim.commands._console import fail as _fail
    from sim.commands._console import load as _load
    from sim.commands._console import progress as _progress
    from sim.commands._options import EXIT_OUTPUT
    from sim.experiment.executors import ExecutorError, make_executor
    from sim.experiment.manifest import prepare_out_dir
    from sim.experiment.nowcast import run_nowcast
    from sim.experiment.storage import OutputError, new_run_dir
    from sim.replication import prepare
    from sim.scenario.loading import EXIT_BAD_INPUT, ScenarioError
    from sim.scenario.observations import load_observations

    loaded = _load(scenario, set_)
    s = loaded.scenario
    try:
        seen = load_observations(observations)
    except ScenarioError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    try:
        folder = prepare_out_dir(out, force, "nowcast") if out else new_run_dir(Path("results"), f"{s.scenario.name}-nowcast")
    except OutputError as exc:
        _fail(str(exc), EXIT_OUTPUT)
    try:
        with make_executor(jobs, scheduler, dask_local) as executor, _progress() as bar:
            jobs = executor.workers
            task = bar.add_task(f"{s.scenario.name} nowcast", total=replications)
            advance = lambda n: bar.update(task, advance=n)  # noqa: E731
            result, traj, measurements = run_nowcast(prepare(s), seen, seed, replications, jobs, min_ess, advance, executor)
    except ScenarioError as exc:
        _fail(str(exc), EXIT_BAD_INPUT)
    except ExecutorError as exc:
        _fail(str(exc), EXIT_WORKERS)
    except KeyboardInterrupt:
        _fail("interrupted before the replications finished; nothing was written", EXIT_INTERRUPTED)
    try:
        write_nowcast(folder, loaded, seen, seed, replications, jobs, result, traj, measurements, datetime.fromisoformat(s.scenario.start).date())
    except OSError as exc:
        _fail(f"{folder}: cannot write results ({exc.strerror or exc})", EXIT_OUTPUT)
    print_nowcast(result, s.scenario.title, s.scenario.window_days)
    from sim.commands._console import results_in as _results_in

    _results_in(folder)


def summary(result, seen, measurements, window, replications: int, seed: int) -> dict:
    """The ``nowcast.json`` contract: method, prior and posterior forecasts, ESS, warnings, checks and the narrowing."""
    from sim.analysis.nowcast import FAR_TOLERANCES, steps_table

    return {
        "method": "likelihood weighting (importance sampling with the scenario as proposal; Gaussian kernel per report, flat inside a range)",
        "observations_path": seen.path,
        "observations_title": seen.file.observations.title,
        "replications": replications,
        "seed": seed,
        "window_days": list(window),
        "effective_sample_size": result.effective_sample_size,
        "warnings": result.warnings,
        "prior": result.prior,
        "posterior": result.posterior,
        "observations": [
            {
                "label": m.label,
                "kind": m.kind,
                "day": m.day,
                "until_day": m.until_day,
                "low": m.low,
                "high": m.high,
                "tolerance": m.tolerance,
                "source": obs.source,
                "line": line,
                "simulated_p10": c.simulated_p10,
                "simulated_p50": c.simulated_p50,
                "simulated_p90": c.simulated_p90,
                "closest_tolerances": c.closest_tolerances,
                "share_within_tolerance": c.share_within,
                "consistent": c.closest_tolerances <= FAR_TOLERANCES,
            }
            for m, obs, line, c in zip(measurements, seen.observations, seen.lines, result.checks, strict=True)
        ],
        "steps": steps_table(result.steps, window),
    }


def write_nowcast(folder: Path, loaded, seen, seed: int, replications: int, jobs: int, result, traj, measurements, start_date) -> None:
    """``nowcast.json``, ``weights.parquet``, ``manifest.json`` and ``nowcast.png``/``.svg``, each written atomically."""
    import pandas as pd

    from sim.experiment.manifest import new_manifest, write_manifest
    from sim.experiment.storage import write_json, write_parquet
    from sim.plots.completion import save_figure
    from sim.plots.nowcast import nowcast_figure

    window = loaded.scenario.scenario.window_days
    data = summary(result, seen, measurements, window, replications, seed)
    resolved = loaded.scenario.model_dump(mode="json")
    extra = {"replications": replications, "jobs": jobs, "observations_path": seen.path, "observations": seen.file.model_dump(mode="json")}
    write_manifest(folder, new_manifest("nowcast", resolved, loaded.path, list(loaded.overrides), seed, **extra))
    frame = pd.DataFrame(
        {
            "replication": traj.replication,
            "weight": result.weights,
            "days_to_base_empty": traj.days_to_base_empty,
            "days_to_force_closure": traj.days_to_force_closure,
        }
    )
    for k in range(len(measurements)):
        frame[f"log_likelihood.{k + 1}"] = result.log_likelihoods[:, k]
    write_parquet(folder / "weights.parquet", frame)
    write_json(folder / "nowcast.json", data)
    fig = nowcast_figure(data["steps"], traj.days_to_base_empty, result.weights, window, start_date, result.effective_sample_size)
    save_figure(fig, folder / "nowcast")


def print_nowcast(result, title: str, window: tuple[float, float]) -> None:
    from rich.table import Table

    from sim.commands._console import console
    from sim.commands._console import warn as _warn

    low, high = window
    table = Table(title=f"{title}: nowcast (effective sample {result.effective_sample_size:.0f} of {len(result.weights)})")
    table.add_column("")
    for col in ("base empty P10", "P50", "P90", "force closure P50", f"P({low:g}-{high:g})", f"P(> {high:g})"):
        table.add_column(col, justify="right")
    for name, f in (("prior (scenario)", result.prior), ("posterior (given reports)", result.posterior)):
        b, fc, p = f["days_to_base_empty"], f["days_to_force_closure"], f["base_empty"]
        within, over = p[f"p_{low:g}_to_{high:g}"], p[f"p_over_{high:g}"]
        table.add_row(
            name,
            f"{b['p10']:.1f}",
            f"{b['p50']:.1f}",
            f"{b['p90']:.1f}",
            f"{fc['p50']:.1f}",
            f"{100 * within['estimate']:.0f}% ({100 * within['ci_low']:.0f}-{100 * within['ci_high']:.0f})",
            f"{100 * over['estimate']:.0f}% ({100 * over['ci_low']:.0f}-{100 * over['ci_high']:.0f})",
        )
    console.print(table)
    for w in result.warnings:
        _warn(w)
