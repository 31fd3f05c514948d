"""Executors: every batch once, the same bits on any executor, a dead worker costs a retry, not the study."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from sim.experiment.executors import DaskExecutor, ExecutorError, InProcess, LocalPool, make_executor
from sim.experiment.study import Study
from sim.experiment.sweep import plan_sweep, read_replications, run_sweep

ROOT = Path(__file__).resolve().parent.parent
BASELINE = str(ROOT / "scenarios" / "qasrak_baseline.toml")


def _square(shared: int, x: int) -> int:
    return shared * x * x


def _die_once(marker_dir: str, x: int) -> int:
    """Kills its worker process the first time it runs batch 3, as a lost machine would."""
    marker = Path(marker_dir) / f"died-{x}"
    if x == 3 and not marker.exists():
        marker.touch()
        os._exit(1)
    return x


def _always_fail(shared: object, x: int) -> int:
    raise RuntimeError(f"batch {x} cannot run")


def _study(**kw) -> Study:
    base = dict(name="t", scenario_path=BASELINE, overrides=(), specs={"escort.teams": [3, 6], "fleet.civilian.count": "60:140:80"}, replications=5, seed=7)
    return Study(**{**base, **kw})


def test_pool_yields_every_result_of_every_task():
    with LocalPool(2) as pool:
        assert sorted(pool.map_unordered(_square, 2, [(x,) for x in range(20)])) == sorted(2 * x * x for x in range(20))


def test_a_worker_that_dies_costs_its_batch_a_retry_not_the_study(tmp_path):
    with LocalPool(2, retries=2) as pool:
        assert sorted(pool.map_unordered(_die_once, str(tmp_path), [(x,) for x in range(8)])) == list(range(8))
    assert (tmp_path / "died-3").exists()


def test_a_batch_that_keeps_failing_stops_with_a_clear_error():
    with pytest.raises(ExecutorError, match=r"batch .* failed 3 times"), LocalPool(2, retries=2) as pool:
        list(pool.map_unordered(_always_fail, None, [(x,) for x in range(3)]))


def test_sweep_tables_are_identical_in_process_on_a_pool_and_on_a_local_dask_cluster(tmp_path):
    plan = plan_sweep(_study())
    outs = {}
    for name, executor, size in (("inprocess", InProcess(), 3), ("pool", LocalPool(2), 4), ("dask", DaskExecutor(local_workers=2, processes=False), 7)):
        with executor:
            outs[name] = run_sweep(plan, tmp_path / name, executor, batch_size=size).out
    reference = read_replications(outs["inprocess"])
    assert len(reference) == 4 * 5
    for name in ("pool", "dask"):
        pd.testing.assert_frame_equal(read_replications(outs[name]), reference)
        assert (outs[name] / "points.csv").read_bytes() == (outs["inprocess"] / "points.csv").read_bytes()


def test_make_executor_chooses_by_options():
    assert isinstance(make_executor(jobs=1), InProcess)
    assert isinstance(make_executor(jobs=2), LocalPool)
    with pytest.raises(ExecutorError, match="either --scheduler or --dask-local"):
        make_executor(scheduler="tcp://127.0.0.1:8786", dask_local=2)


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(ExecutorError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9"):
        DaskExecutor(address="tcp://127.0.0.1:9", timeout="1s")
