"""A sweep: every design point of a study, replicated on common random numbers, streamed to disk.

Replication ``i`` of every design point uses the streams of ``inputs_for(..., seed, i)`` and ``streams_for(seed, i)``,
so points differ only by the factors they pin, not by noise. The work runs on the
engine (:mod:`sim.experiment.engine`): the (point, replication) pairs in point order, cut
into batches by its one rule (a batch may span points when each point has few
replications), each written to ``replications.parquet/`` as it comes back; the parent
holds no more than the batches in flight, so its memory stays flat.

The output folder::

    manifest.json         the study, resolved scenario and its hash, seed, versions, command, status
    design.parquet        one row per design point: point, then the factor values
    replications.parquet/ one row per point x replication (a Parquet dataset, one part per batch)
    points.csv            per point: mean days, P10/P50/P90, P(<15), P(15-30), P(>30), each with a 95% CI

An interrupted sweep keeps its finished batches; ``resume=True`` runs only the
missing ones, after checking that the study, scenario and seed are those of the
manifest, and produces the same tables as an uninterrupted run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.analysis.design_points import points_table
from sim.analysis.measure import Measure
from sim.experiment.design import Factor, FactorSpecError, build_design
from sim.experiment.engine import Store, Work, execute, probe_seconds
from sim.experiment.engine import batch_size as cut_batches
from sim.experiment.executors import Executor
from sim.experiment.manifest import FolderMismatch, Manifest, ResultsFolderError, check_same_kind, new_manifest, remove_written, verify_folder, write_manifest
from sim.experiment.storage import (
    OutputError,
    ResumeError,
    fingerprint,
    holds_results,
    lock_folder,
    remove_leftovers,
    scenario_hash,
    write_atomic,
    write_parquet,
)
from sim.experiment.study import Study, load_study_scenario, resolve_factors
from sim.replication import Prepared, pin, prepare
from sim.scenario.loading import LoadedScenario, Problem, ScenarioError, locate

OUTPUT_FILES = ("manifest.json", "design.parquet", "points.csv")


@dataclass(frozen=True)
class SweepPlan:
    """A study made ready to run: its scenario, checked factors and the design table."""

    study: Study
    loaded: LoadedScenario
    factors: tuple[Factor, ...]
    design: pd.DataFrame

    @property
    def window_days(self) -> tuple[float, float]:
        return self.loaded.scenario.scenario.window_days

    def scenario_sha256(self) -> str:
        return scenario_hash(self.loaded.scenario.model_dump(mode="json"))

    def design_sha256(self) -> str:
        return fingerprint(self.design.to_numpy().tolist())


def plan_sweep(study: Study) -> SweepPlan:
    """Load the scenario, check the factors against it and build the design (errors name file, line, field)."""
    loaded = load_study_scenario(study)
    factors = resolve_factors(study, loaded)
    try:
        design = build_design(factors, study.design, study.samples, study.seed)
    except FactorSpecError as exc:
        key = "samples" if "samples" in str(exc) else "design"
        if not study.source.text:
            raise ScenarioError(f"--{key}", [Problem("", str(exc))]) from None
        raise ScenarioError(study.source.where, [Problem(key, str(exc), locate(study.source.text, key))]) from None
    return SweepPlan(study, loaded, factors, design)


def point_preparations(plan: SweepPlan) -> tuple[Prepared, ...]:
    """One prepared scenario per design point, pinning its factor values; every point shares the scenario
    and, once resolved, its resolution (see :func:`sim.replication.pin`)."""
    base = prepare(plan.loaded.scenario)
    paths = [f.path for f in plan.factors]
    values = plan.design[paths].to_numpy(dtype=float)
    return tuple(pin(base, dict(zip(paths, (float(v) for v in row), strict=True))) for row in values)


def sweep_work(plan: SweepPlan) -> Work:
    """The engine's work of a sweep: every design point, the study's replications of each, rows labelled by point."""
    return Work(point_preparations(plan), plan.study.seed, plan.study.replications, label_points=True)


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its folder, per-point table, and how many batches ran now or were kept from before."""

    out: Path
    points: pd.DataFrame
    batches_run: int
    batches_kept: int
    wall_seconds: float


def _identity(plan: SweepPlan) -> dict[str, Any]:
    return {"study": plan.study.identity(), "scenario_sha256": plan.scenario_sha256(), "seed": plan.study.seed, "design_sha256": plan.design_sha256()}


def _read_manifest(out: Path) -> Manifest:
    try:
        return verify_folder(out)
    except FolderMismatch:
        raise
    except ResultsFolderError as exc:
        if not (out / "manifest.json").exists():
            raise ResumeError(f"{out}: no manifest.json, so there is no sweep to resume; run without --resume") from None
        raise ResumeError(f"{exc}; run again with --force to start over") from None


def check_resumable(out: Path, plan: SweepPlan) -> Manifest:
    """The manifest of ``out`` if it is this study, scenario and seed; otherwise a :class:`ResumeError` saying what differs.

    The scenario is compared by the hash of its resolved content (``--set`` included),
    so a moved scenario file still resumes and an edited one does not.
    """
    found = _read_manifest(out)
    if found.get("kind") != "sweep" or "batch_size" not in found:
        raise ResumeError(f"{out}: its manifest.json is not a sweep's; choose another --out")
    wanted = _identity(plan)
    loose = ("seed", "overrides", "scenario_path")
    differ = []
    if {k: v for k, v in found.get("study", {}).items() if k not in loose} != {k: v for k, v in wanted["study"].items() if k not in loose}:
        differ.append("the study (name, factors, design, samples or replications)")
    if found.get("scenario_sha256") != wanted["scenario_sha256"]:
        differ.append("the scenario (its file or --set overrides)")
    if found.get("seed") != wanted["seed"]:
        differ.append(f"the seed ({found.get('seed')} there, {wanted['seed']} now)")
    if not differ and found.get("design_sha256") != wanted["design_sha256"]:
        differ.append("the design points (another SciPy version?)")
    if differ:
        listed = differ[0] if len(differ) == 1 else ", ".join(differ[:-1]) + " and " + differ[-1]
        raise ResumeError(
            f"{out}: cannot resume: {listed} differ{'s' if len(differ) == 1 else ''} from its manifest.json; "
            "resume with the same study, scenario and seed, or choose another --out (or --force to start over)"
        )
    return found


def _prepare_folder(out: Path, force: bool) -> None:
    """``out`` made ready for a new sweep and locked for it; with ``force``, what evacsim wrote there before is removed."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the results folder ({exc.strerror or exc})") from None
    lock_folder(out)
    if holds_results(out):
        if not force:
            raise OutputError(f"{out}: folder is not empty; pass --resume to finish the sweep in it, --force to start over, or choose another --out")
        check_same_kind(out, "sweep")
        remove_written(out)
        Store(out).clear()
        for name in OUTPUT_FILES:
            (out / name).unlink(missing_ok=True)
    remove_leftovers(out)


def run_sweep(
    plan: SweepPlan,
    out: Path,
    executor: Executor,
    resume: bool = False,
    force: bool = False,
    batch_size: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
    measure: Measure | None = None,
) -> SweepResult:
    """Run (or finish) the sweep into ``out``; ``on_progress(done, total)`` counts replications as batches come back.
    ``points.csv`` summarises what ``measure`` measures (default: the base; on a theatre, the last out)."""
    started = time.perf_counter()
    work = sweep_work(plan)
    if resume:
        if out.is_dir():
            lock_folder(out)
        batch_size = int(check_resumable(out, plan)["batch_size"])
    else:
        _prepare_folder(out, force)
        batch_size = batch_size or cut_batches(probe_seconds(work), work.total, executor.workers)
    store = Store(out)
    kept = len(store.finished(False)) if resume else 0
    _write_start(out, plan, work, executor, resume, batch_size)
    size = execute(work, store, executor, resume=resume, size=batch_size, on_progress=on_progress)
    table = finish_sweep(out, plan, work, store, measure)
    wall = time.perf_counter() - started
    batches = len(store.parts())
    done: dict[str, Any] = {"wall_seconds": wall, "batches_run": batches - kept, "batches_kept": kept}
    if measure is not None:
        done["measure"] = measure.as_record()
    _write_manifest(out, plan, work, executor, "complete", size, done)
    return SweepResult(out, table, batches - kept, kept, wall)


def finish_sweep(out: Path, plan: SweepPlan, work: Work, store: Store, measure: Measure | None = None) -> pd.DataFrame:
    """Check every replication is on disk and write ``points.csv`` (the parts are read in point order) of what
    ``measure`` measures (default: days to base empty)."""
    column = measure.column if measure is not None else "days_to_base_empty"
    try:
        days = store.column(column).astype(float)
        finished = store.column(measure.finished if measure is not None else "finished")
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise OutputError(f"{out}: the replications on disk are incomplete ({exc}); rerun with --resume") from None
    if len(days) != work.total:
        raise OutputError(f"{out}: {len(days)} replications on disk, {work.total} expected; rerun with --resume")
    point = np.repeat(np.arange(len(work.points), dtype=np.int64), work.replications)
    closed = np.where(np.asarray(finished, dtype=bool), days, np.inf)
    table = points_table(plan.design, point, days, plan.window_days, measure.day if measure is not None else None, closed)
    write_atomic(out / "points.csv", lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g"))
    return table


def _write_start(out: Path, plan: SweepPlan, work: Work, executor: Executor, resume: bool, batch_size: int | None) -> None:
    if not resume or not (out / "design.parquet").exists():
        write_parquet(out / "design.parquet", plan.design)
    (out / "points.csv").unlink(missing_ok=True)
    _write_manifest(out, plan, work, executor, "running", batch_size)


def _write_manifest(
    out: Path, plan: SweepPlan, work: Work, executor: Executor, status: str, batch_size: int | None, extra: dict[str, Any] | None = None
) -> None:
    info = {
        "status": status,
        **_identity(plan),
        "study_file": plan.study.source.where if plan.study.source.text else None,
        "description": plan.study.description,
        "factors": [f.as_dict() for f in plan.factors],
        "points": len(work.points),
        "replications_per_point": work.replications,
        "replications_total": work.total,
        "batch_size": batch_size,
        "batches": math.ceil(work.total / batch_size) if batch_size else None,
        "executor": executor.description,
        **(extra or {}),
    }
    resolved = plan.loaded.scenario.model_dump(mode="json")
    seed = info.pop("seed")  # the header's own
    write_manifest(out, new_manifest("sweep", resolved, plan.loaded.path, list(plan.loaded.overrides), seed, **info))


def read_replications(out: Path) -> pd.DataFrame:
    """All replications of a sweep as one table, in point and replication order (for analysis and tests)."""
    return Store(out).read().to_pandas()
