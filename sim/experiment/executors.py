"""Running replications in batches: in this process, or on a local process pool.

Each batch is a range of replication indices; its rows depend only on the seed
and the indices, so results are the same bits whatever ``jobs`` is. Batches come
back as they finish and are handed to ``on_batch`` in index order by the caller's
storage, so the parent never holds more than the batches in flight.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

from sim.replication import Prepared, run_batch

Batch = tuple[list[dict[str, object]], np.ndarray, np.ndarray]


@dataclass(frozen=True)
class BatchResult:
    """Rows and burn-downs of the replications ``start`` to ``stop - 1``."""

    start: int
    stop: int
    rows: list[dict[str, object]]
    burndown_cargo: np.ndarray
    burndown_people: np.ndarray


def default_jobs() -> int:
    """All cores of this machine."""
    return os.cpu_count() or 1


def batches(start: int, stop: int, size: int) -> list[range]:
    return [range(a, min(a + size, stop)) for a in range(start, stop, size)]


_WORKER: Prepared | None = None


def _init_worker(prepared: Prepared) -> None:
    global _WORKER
    _WORKER = prepared


def _run_in_worker(seed: int, start: int, stop: int) -> BatchResult:
    assert _WORKER is not None
    rows, cargo, people = run_batch(_WORKER, seed, range(start, stop))
    return BatchResult(start, stop, rows, cargo, people)


def run_batches(prepared: Prepared, seed: int, ranges: list[range], jobs: int = 1) -> Iterator[BatchResult]:
    """Run the batches, yielding each as it completes (any order when ``jobs`` > 1)."""
    if jobs <= 1 or len(ranges) <= 1:
        for r in ranges:
            rows, cargo, people = run_batch(prepared, seed, r)
            yield BatchResult(r.start, r.stop, rows, cargo, people)
        return
    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(prepared,)) as pool:
        pending = {pool.submit(_run_in_worker, seed, r.start, r.stop) for r in ranges[: jobs * 2]}
        queue = list(ranges[jobs * 2 :])
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                if queue:
                    r = queue.pop(0)
                    pending.add(pool.submit(_run_in_worker, seed, r.start, r.stop))
                yield future.result()


def run_replications(
    prepared: Prepared,
    seed: int,
    count: int,
    jobs: int = 1,
    start: int = 0,
    batch_size: int | None = None,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> list[BatchResult]:
    """Replications ``start`` .. ``start + count - 1``, as batches sorted by index."""
    size = batch_size or max(1, min(200, -(-count // max(1, jobs * 4))))
    out = []
    for result in run_batches(prepared, seed, batches(start, start + count, size), jobs):
        if on_batch:
            on_batch(result)
        out.append(result)
    out.sort(key=lambda b: b.start)
    return out
