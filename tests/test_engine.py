"""The engine: units of (point, replication), one batch rule, a store of atomic parts read in order, one fingerprint."""

from __future__ import annotations

import hashlib
import tracemalloc

import pandas as pd
import pytest

from sim.experiment.engine import DAYS, Store, Work, batch_size, execute, ranges
from sim.experiment.executors import InProcess, LocalPool
from sim.experiment.manifest import FolderMismatch
from sim.experiment.storage import ResumeError, fingerprint
from sim.replication import pin, prepare


def test_the_fingerprint_is_the_sha256_of_canonical_json_whatever_the_key_order():
    expected = hashlib.sha256(b'{"a":2,"b":[1,2.5]}').hexdigest()
    assert fingerprint({"b": [1, 2.5], "a": 2}) == fingerprint({"a": 2, "b": [1, 2.5]}) == expected


def test_a_batch_lasts_half_a_second_gives_each_worker_four_and_holds_at_most_5000():
    assert batch_size(0.005, 2000, 2) == 100  # 0.5 s / 5 ms
    assert batch_size(0.001, 2000, 2) == 250  # 2000 units / (4 batches x 2 workers)
    assert batch_size(1e-7, 10**9, 2) == 5000
    assert batch_size(10.0, 3, 8) == 1


def test_batches_cover_every_unit_once_on_the_grid_and_leave_out_finished_parts():
    assert list(ranges(3, 20, 7)) == [(3, 7), (7, 14), (14, 20)]
    assert list(ranges(0, 20, 5, skip=[(5, 10), (12, 15)])) == [(0, 5), (10, 12), (15, 20)]


def test_batches_are_made_as_they_are_read():
    tracemalloc.start()
    try:
        cut = ranges(5, 10**14, 100)
        first = [next(cut) for _ in range(3)]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20 and first == [(5, 100), (100, 200), (200, 300)]


def test_a_unit_is_a_replication_of_a_point_numbered_point_major(baseline):
    work = Work((prepare(baseline), prepare(baseline)), seed=1, replications=3)
    assert [work.unit(u) for u in range(6)] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert work.total == 6


def test_rows_and_day_series_are_the_same_bits_on_one_or_two_processes_however_cut(tmp_path, baseline):
    work = Work((prepare(baseline),), seed=11, replications=12, keep_days=True)
    one, two = Store(tmp_path / "one"), Store(tmp_path / "two")
    execute(work, one, InProcess(), size=4)
    with LocalPool(2) as pool:
        execute(work, two, pool, size=5)
    assert one.parts() == [(0, 4), (4, 8), (8, 12)] and two.parts() == [(0, 5), (5, 10), (10, 12)]
    pd.testing.assert_frame_equal(one.read().to_pandas(), two.read().to_pandas())
    pd.testing.assert_frame_equal(one.read(DAYS).to_pandas(), two.read(DAYS).to_pandas())
    days = one.read(DAYS).to_pandas()
    assert list(days.columns) == ["replication", "day", "cargo_loads", "people"]
    assert list(one.column("replication")) == list(range(12))


def test_a_resume_runs_only_what_no_part_holds(tmp_path, baseline):
    work = Work((prepare(baseline),), seed=5, replications=9)
    store = Store(tmp_path)
    execute(work, store, size=3)
    whole = store.read().to_pandas()
    (tmp_path / "replications.parquet" / "part-000000000003-000000000006.parquet").unlink()
    ran = []
    execute(work, store, resume=True, on_batch=lambda b: ran.append((b.start, b.stop)))
    assert ran == [(3, 6)]
    pd.testing.assert_frame_equal(store.read().to_pandas(), whole)


def test_a_resume_refuses_a_part_that_is_not_the_one_it_wrote_naming_it(tmp_path, baseline):
    """Issue 22: a damaged or doctored part is never reused (nor silently run again): the resume names it."""
    work = Work((prepare(baseline),), seed=5, replications=9)
    store = Store(tmp_path)
    execute(work, store, size=3)
    damaged = tmp_path / "replications.parquet" / "part-000000000003-000000000006.parquet"
    damaged.write_bytes(damaged.read_bytes()[:50])
    with pytest.raises(FolderMismatch, match=r"part-000000000003-000000000006\.parquet: is not the part evacsim wrote"):
        execute(work, store, resume=True)


def test_a_resume_into_a_store_of_other_work_is_refused(tmp_path, baseline):
    execute(Work((prepare(baseline),), seed=5, replications=4), Store(tmp_path), size=2)
    with pytest.raises(ResumeError, match="cannot resume: its finished replications are of another study"):
        execute(Work((prepare(baseline),), seed=6, replications=4), Store(tmp_path), resume=True)


def test_pinning_a_point_gives_the_scenario_a_full_resolution_gives(baseline):
    fixed = {"fleet.civilian.count": 90.0, "escort.teams": 4.0}
    pinned = pin(prepare(baseline), fixed)
    whole = prepare(baseline, fixed)
    assert pinned.base.model_dump() == whole.base.model_dump()
    assert [i.path for i in pinned.inputs] == [i.path for i in whole.inputs]
    assert pinned.fixed == whole.fixed
