"""A sweep: every design point of a study, replicated on common random numbers, streamed to disk.

Replication ``i`` of every design point uses the streams of ``inputs_for(..., seed, i)`` and ``streams_for(seed, i)``,
so points differ only by the factors they pin, not by noise. The work is the list
of (point, replication) pairs in point order, cut into batches of ``batch_size``
pairs (a batch may span points when each point has few replications). Batches run
on any executor and each is written to ``replications.parquet/`` as it comes back;
the parent holds no more than the batches in flight, so its memory stays flat.

The output folder::

    manifest.json         the study, resolved scenario and its hash, seed, versions, command, status
    design.parquet        one row per design point: point, then the factor values
    replications.parquet/ one row per point x replication (a Parquet dataset, one file per batch)
    points.csv            per point: mean days, P10/P50/P90, P(<15), P(15-30), P(>30), each with a 95% CI

An interrupted sweep keeps its finished batches; ``resume=True`` runs only the
missing ones, after checking that the study, scenario and seed are those of the
manifest, and produces the same tables as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.analysis.design_points import points_table
from sim.experiment.dataset import clear_dataset, finished_batches, read_column_by_batch, read_dataset, rows_to_table, write_batch
from sim.experiment.design import Factor, FactorSpecError, build_design
from sim.experiment.executors import Executor
from sim.experiment.storage import (
    OutputError,
    ResumeError,
    check_same_kind,
    holds_results,
    manifest,
    remove_leftovers,
    scenario_hash,
    write_atomic,
    write_json,
    write_parquet,
)
from sim.experiment.study import Study, load_study_scenario, resolve_factors
from sim.replication import Prepared, prepare, record, simulate_one
from sim.scenario.loading import LoadedScenario, Problem, ScenarioError, locate

BATCH_WALL_SECONDS = 0.5
"""A batch should keep a worker busy at least this long, so that sending it costs little."""

MAX_BATCH = 5000
OUTPUT_FILES = ("manifest.json", "design.parquet", "points.csv")


@dataclass(frozen=True)
class SweepWork:
    """What every worker needs, shipped once: the prepared design points, the seed, how the work is cut."""

    points: tuple[Prepared, ...]
    seed: int
    replications: int
    batch_size: int

    @property
    def total(self) -> int:
        """Replications of the whole study (points x replications per point)."""
        return len(self.points) * self.replications

    @property
    def batch_count(self) -> int:
        return math.ceil(self.total / self.batch_size)

    def units(self, batch: int) -> range:
        """The (point x replication) pairs of a batch, numbered point-major."""
        return range(batch * self.batch_size, min((batch + 1) * self.batch_size, self.total))

    def expected_rows(self) -> ExpectedRows:
        """Batch -> rows, made as they are read (a study of any size costs nothing before it runs)."""
        return ExpectedRows(self)


class ExpectedRows(Mapping[int, int]):
    """The rows each batch of a :class:`SweepWork` holds, as a read-only mapping computed on demand."""

    def __init__(self, work: SweepWork) -> None:
        self.work = work

    def __getitem__(self, batch: int) -> int:
        if not (isinstance(batch, int) and 0 <= batch < self.work.batch_count):
            raise KeyError(batch)
        return len(self.work.units(batch))

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.work.batch_count))

    def __len__(self) -> int:
        return self.work.batch_count


def run_sweep_batch(work: SweepWork, batch: int) -> tuple[int, pa.Table]:
    """Run one batch (in a worker): its number and its rows as an Arrow table."""
    rows = []
    for unit in work.units(batch):
        point, index = divmod(unit, work.replications)
        values, outcome, events = simulate_one(work.points[point], work.seed, index)
        rows.append({"point": point, **record(index, values, outcome, events)})
    return batch, rows_to_table(rows)


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
        return hashlib.sha256(json.dumps(self.design.to_numpy().tolist()).encode()).hexdigest()


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
    """One prepared scenario per design point, pinning its factor values (they share the scenario object)."""
    base = prepare(plan.loaded.scenario)
    paths = [f.path for f in plan.factors]
    inputs = tuple(i for i in base.inputs if i.path not in paths)
    values = plan.design[paths].to_numpy(dtype=float)
    return tuple(Prepared(base.scenario, inputs, base.per_event, dict(zip(paths, (float(v) for v in row), strict=True))) for row in values)


def calibrate_batch_size(points: tuple[Prepared, ...], seed: int, replications: int, workers: int) -> int:
    """Pairs per batch: enough for a batch to last ``BATCH_WALL_SECONDS``, few enough to give each worker several batches."""
    total = len(points) * replications
    probe = min(4, total)
    start = time.perf_counter()
    for unit in range(probe):
        simulate_one(points[unit // replications], seed, unit % replications)
    per_replication = max(1e-6, (time.perf_counter() - start) / max(1, probe))
    by_time = math.ceil(BATCH_WALL_SECONDS / per_replication)
    by_balance = math.ceil(total / (4 * max(1, workers)))
    return int(max(1, min(MAX_BATCH, by_time, by_balance)))


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


def _read_manifest(out: Path) -> dict[str, Any]:
    path = out / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResumeError(f"{out}: no manifest.json, so there is no sweep to resume; run without --resume") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise ResumeError(f"{path}: cannot be read ({exc}); run again with --force to start over") from None


def check_resumable(out: Path, plan: SweepPlan) -> dict[str, Any]:
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
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a folder; choose another --out")
    if out.exists() and holds_results(out):
        if not force:
            raise OutputError(f"{out}: folder is not empty; pass --resume to finish the sweep in it, --force to start over, or choose another --out")
        check_same_kind(out, "sweep")
        clear_dataset(out)
        for name in OUTPUT_FILES:
            (out / name).unlink(missing_ok=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create the results folder ({exc.strerror or exc})") from None
    remove_leftovers(out)


def run_sweep(
    plan: SweepPlan,
    out: Path,
    executor: Executor,
    resume: bool = False,
    force: bool = False,
    batch_size: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> SweepResult:
    """Run (or finish) the sweep into ``out``; ``on_progress(done, total)`` counts replications as batches come back."""
    started = time.perf_counter()
    points = point_preparations(plan)
    if resume:
        previous = check_resumable(out, plan)
        batch_size = int(previous["batch_size"])
    else:
        _prepare_folder(out, force)
        batch_size = batch_size or calibrate_batch_size(points, plan.study.seed, plan.study.replications, executor.workers)
    work = SweepWork(points, plan.study.seed, plan.study.replications, batch_size)
    expected = work.expected_rows()
    kept = finished_batches(out, expected) if resume else set()
    _write_start(out, plan, work, executor, resume)
    done = sum(expected[b] for b in kept)
    if on_progress:
        on_progress(done, work.total)
    todo = ((b,) for b in range(work.batch_count) if b not in kept)  # made as workers take them
    for batch, table in executor.map_unordered(run_sweep_batch, work, todo):
        try:
            write_batch(out, batch, table)
        except OSError as exc:
            raise OutputError(
                f"{out}: cannot write batch {batch} ({exc.strerror or exc}); the finished batches are kept: make room and rerun the same command with --resume"
            ) from None
        done += table.num_rows
        if on_progress:
            on_progress(done, work.total)
    table = finish_sweep(out, plan, work)
    wall = time.perf_counter() - started
    ran = work.batch_count - len(kept)
    _write_manifest(out, plan, work, executor, status="complete", extra={"wall_seconds": wall, "batches_run": ran, "batches_kept": len(kept)})
    return SweepResult(out, table, ran, len(kept), wall)


def finish_sweep(out: Path, plan: SweepPlan, work: SweepWork) -> pd.DataFrame:
    """Check every batch is on disk and write ``points.csv``, reading days batch by batch (batches are in point order)."""
    try:
        days = read_column_by_batch(out, work.expected_rows(), "days_to_base_empty")
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise OutputError(f"{out}: the replications on disk are incomplete ({exc}); rerun with --resume") from None
    point = np.repeat(np.arange(len(work.points), dtype=np.int64), work.replications)
    table = points_table(plan.design, point, days, plan.window_days)
    write_atomic(out / "points.csv", lambda tmp: table.to_csv(tmp, index=False, float_format="%.10g"))
    return table


def _write_start(out: Path, plan: SweepPlan, work: SweepWork, executor: Executor, resume: bool) -> None:
    if not resume or not (out / "design.parquet").exists():
        write_parquet(out / "design.parquet", plan.design)
    (out / "points.csv").unlink(missing_ok=True)
    _write_manifest(out, plan, work, executor, status="running")


def _write_manifest(out: Path, plan: SweepPlan, work: SweepWork, executor: Executor, status: str, extra: dict[str, Any] | None = None) -> None:
    resolved = plan.loaded.scenario.model_dump(mode="json")
    info = {
        "kind": "sweep",
        "status": status,
        **_identity(plan),
        "study_file": plan.study.source.where if plan.study.source.text else None,
        "description": plan.study.description,
        "factors": [f.as_dict() for f in plan.factors],
        "points": len(work.points),
        "replications_per_point": work.replications,
        "replications_total": work.total,
        "batch_size": work.batch_size,
        "batches": work.batch_count,
        "executor": executor.description,
        **(extra or {}),
    }
    write_json(out / "manifest.json", manifest(resolved, plan.loaded.path, list(plan.loaded.overrides), plan.study.seed, info))


def read_replications(out: Path) -> pd.DataFrame:
    """All replications of a sweep as one table, sorted by point and replication (for analysis and tests)."""
    return read_dataset(out).to_pandas()
