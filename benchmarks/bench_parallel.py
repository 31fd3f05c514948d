"""How well replications scale: a local pool of 2, a Dask cluster of 2, and the parent's memory on a long study.

Three figures, each against a target of the issue "experiments at scale":

- ``parallel_efficiency``: replications per second on a local pool of ``jobs`` processes,
  divided by ``jobs`` times the rate in one process (target >= 0.9);
- ``dask_vs_pool``: replications per second on a Dask LocalCluster of ``jobs``
  single-threaded worker processes on loopback, already running (as a cluster started
  with ``dask scheduler`` / ``dask worker`` would be), divided by the local pool's rate
  (target >= 0.85);
- ``parent_peak_rss_mb_streamed``: the peak resident memory of the parent process of a
  sweep of ``replay_replications`` (default 1,000,000) replications, measured with
  ``resource.getrusage`` in a fresh subprocess (imports count, nothing of this process
  does). Simulating a million replications takes hours on two cores, so the batches are
  replayed (:class:`ReplayExecutor`): every batch is a fresh unpickled copy of a real
  batch's Arrow table, renumbered, going through the real writer, resume files and
  ``points.csv`` summary, which is all the parent does (target <= 300 MB). Two real
  sweeps on a local pool (``memory_replications``) check that a simulated run's parent
  peaks at the same level (``parent_peak_rss_mb``).

All rates use the same work: replications of one scenario cut into batches that last
about ``BATCH_WALL_SECONDS``, results streamed back as Arrow tables (not written).
Pure library code: :func:`run_parallel_bench` returns a flat dict.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from benchmarks.bench import resolve_scenario_path
from sim.experiment.engine import BATCH_WALL_SECONDS, Batch, Work, run_units
from sim.experiment.executors import DaskExecutor, Executor, InProcess, LocalPool
from sim.replication import prepare
from sim.scenario.loading import load_scenario

TARGETS = {"parallel_efficiency": 0.9, "dask_vs_pool": 0.85, "parent_peak_rss_mb_streamed": 300.0}

_MEMORY_SCRIPT = """
import json, resource, sys, time
from pathlib import Path

import pyarrow as pa
from benchmarks.bench_parallel import ReplayExecutor
from sim.experiment.executors import LocalPool
from sim.experiment.study import Study
from sim.experiment.sweep import plan_sweep, run_sweep
scenario, count, jobs, out, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
study = Study(name="memory", scenario_path=scenario, overrides=(), specs={"escort.teams": [6]}, replications=count, seed=1)
start = time.perf_counter()
with (ReplayExecutor() if mode == "replay" else LocalPool(jobs)) as executor:
    run_sweep(plan_sweep(study), out, executor, batch_size=100 if mode == "replay" else None)
wall = time.perf_counter() - start
print(json.dumps({"peak_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "wall_seconds": wall}))
"""


class ReplayExecutor(InProcess):
    """Hands back, for every batch, a copy of one real batch's table renumbered to that batch's replications.

    It measures the parent's side of a study (receiving, writing, summarising) at full
    size without simulating: every batch arrives as a fresh unpickled Arrow table, as
    from a pool, and goes through the same writer and ``points.csv`` summary.
    """

    def map_unordered(self, fn, shared, tasks):
        proto: bytes | None = None
        for start, stop in tasks:
            if proto is None:
                proto = pickle.dumps(fn(shared, start, stop))
            batch = pickle.loads(proto)
            units = range(start, stop)
            table = batch.records.slice(0, len(units))
            replication = pa.array([u % shared.replications for u in units], pa.int64())
            point = pa.array([u // shared.replications for u in units], pa.int64())
            table = table.set_column(table.column_names.index("replication"), "replication", replication)
            yield Batch(start, stop, table.set_column(table.column_names.index("point"), "point", point))


def _work(scenario_path: str, seed: int, count: int, batch_size: int) -> tuple[Work, int]:
    prepared = prepare(load_scenario(resolve_scenario_path(scenario_path)).scenario)
    return Work((prepared,), seed, count, label_points=True), batch_size


def replications_per_s(executor: Executor, cut: tuple[Work, int]) -> tuple[float, float]:
    """(replications per wall second, wall seconds) for all the batches of a work cut in batches of a size on ``executor``."""
    work, size = cut
    start = time.perf_counter()
    tasks = [(a, min(a + size, work.total)) for a in range(0, work.total, size)]
    rows = sum(batch.records.num_rows for batch in executor.map_unordered(run_units, work, tasks))
    wall = time.perf_counter() - start
    return rows / wall, wall


def parent_peak_rss(scenario_path: str, count: int, jobs: int, mode: str = "pool") -> dict[str, float]:
    """Peak resident memory (MB) and wall seconds of a fresh process running a ``count``-replication sweep.

    ``mode`` is ``pool`` (simulated on a local pool of ``jobs``) or ``replay`` (batches
    replayed by :class:`ReplayExecutor`: the parent's full work without the simulation).
    """
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}  # the repository: benchmarks and sim
        done = subprocess.run(
            [sys.executable, "-c", _MEMORY_SCRIPT, str(resolve_scenario_path(scenario_path)), str(count), str(jobs), str(Path(tmp) / "out"), mode],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return {"peak_rss_mb": found["peak_rss_kb"] / 1024, "wall_seconds": found["wall_seconds"]}


def run_parallel_bench(
    scenario_path: str = "scenarios/qasrak_baseline.toml",
    seconds: float = 10.0,
    jobs: int = 2,
    memory_replications: tuple[int, int] = (2_000, 10_000),
    replay_replications: int = 1_000_000,
    seed: int = 1,
) -> dict:
    """Measure parallel efficiency, Dask against the local pool, and parent memory; about ``seconds`` for the rates."""
    probe = _work(scenario_path, seed, 20, 20)
    one_rate_probe, _ = replications_per_s(InProcess(), probe)
    batch_size = max(1, math.ceil(one_rate_probe * BATCH_WALL_SECONDS))
    share = seconds / 3
    one_work = _work(scenario_path, seed, max(batch_size, round(one_rate_probe * share)), batch_size)
    one_rate, one_wall = replications_per_s(InProcess(), one_work)
    many = _work(scenario_path, seed, max(jobs * batch_size * 4, round(one_rate * jobs * share)), batch_size)
    with LocalPool(jobs) as pool:
        pool_rate, pool_wall = replications_per_s(pool, many)
    with DaskExecutor(local_workers=jobs) as dask:
        replications_per_s(dask, _work(scenario_path, seed, jobs * batch_size, batch_size))  # warm up: imports on the workers
        dask_rate, dask_wall = replications_per_s(dask, many)
    small, large = (parent_peak_rss(scenario_path, n, jobs) for n in memory_replications)
    replay = parent_peak_rss(scenario_path, replay_replications, jobs, mode="replay")
    values = {
        "parallel_efficiency": pool_rate / (jobs * one_rate),
        "dask_vs_pool": dask_rate / pool_rate,
        "parent_peak_rss_mb_streamed": replay["peak_rss_mb"],
    }
    return {
        "scenario": str(scenario_path),
        "jobs": jobs,
        "batch_size": batch_size,
        "replications_per_s_one_core": one_rate,
        "wall_seconds_one_core": one_wall,
        "replications_parallel": many[0].total,
        "replications_per_s_pool": pool_rate,
        "wall_seconds_pool": pool_wall,
        "replications_per_s_dask": dask_rate,
        "wall_seconds_dask": dask_wall,
        "memory_replications": list(memory_replications),
        "parent_peak_rss_mb": [small["peak_rss_mb"], large["peak_rss_mb"]],
        "memory_wall_seconds": [small["wall_seconds"], large["wall_seconds"]],
        "replay_replications": replay_replications,
        "parent_peak_rss_mb_replay": replay["peak_rss_mb"],
        "replay_wall_seconds": replay["wall_seconds"],
        **values,
        "targets": {
            k: {"value": values[k], "target": t, "met": bool(values[k] <= t if k.startswith("parent") else values[k] >= t)} for k, t in TARGETS.items()
        },
    }
