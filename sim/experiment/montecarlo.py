"""A Monte Carlo run: replications of one scenario, a fixed number or until a precision is reached."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.analysis.statistics import proportion
from sim.experiment.executors import BatchResult, Executor, run_replications
from sim.replication import Prepared

MAX_REPLICATIONS = 200_000


@dataclass(frozen=True)
class MonteCarlo:
    """Replication rows (one per replication, in index order) and burn-downs (replication x day)."""

    rows: pd.DataFrame
    burndown_cargo: np.ndarray
    burndown_people: np.ndarray

    @property
    def replications(self) -> int:
        return len(self.rows)


def _collect(batches: list[BatchResult]) -> MonteCarlo:
    batches = sorted(batches, key=lambda b: b.start)
    rows = pd.DataFrame([row for b in batches for row in b.rows])
    cargo = np.vstack([b.burndown_cargo for b in batches if len(b.rows)])
    people = np.vstack([b.burndown_people for b in batches if len(b.rows)])
    return MonteCarlo(rows, cargo, people)


def within_window(rows: pd.DataFrame, window: tuple[float, float]) -> int:
    days = rows["days_to_base_empty"].to_numpy()
    return int(((days >= window[0]) & (days <= window[1])).sum())


def run_monte_carlo(
    prepared: Prepared,
    seed: int,
    replications: int | None = None,
    precision: float | None = None,
    jobs: int = 1,
    on_batch: Callable[[BatchResult, int], None] | None = None,
    executor: Executor | None = None,
) -> MonteCarlo:
    """Run ``replications``, or keep adding until the 95% CI half-width of P(in window) <= ``precision``.

    ``on_batch(batch, target)`` is called as each batch comes back, with the number of
    replications currently aimed at (for a progress bar). ``executor`` (a local pool or a
    Dask cluster, see :mod:`sim.experiment.executors`) overrides ``jobs``.
    """
    if precision is None:
        target = replications or 1000
        done = run_replications(prepared, seed, target, jobs, on_batch=lambda b: on_batch and on_batch(b, target), executor=executor)
        return _collect(done)
    if not 0 < precision < 0.5:
        raise ValueError("precision must be a half-width between 0 and 0.5 (e.g. 0.02 for +-2 points)")
    window = prepared.window_days
    done: list[BatchResult] = []
    count = 0
    target = max(200, replications or 0)
    while True:
        step = target - count
        aim = target
        done += run_replications(prepared, seed, step, jobs, start=count, on_batch=lambda b, aim=aim: on_batch and on_batch(b, aim), executor=executor)
        count = target
        k = sum(within_window(pd.DataFrame(b.rows), window) for b in done)
        half = proportion(k, count).half_width
        if half <= precision or count >= MAX_REPLICATIONS:
            return _collect(done)
        # Half-widths shrink as 1/sqrt(n): aim at the count that should just reach the precision.
        target = min(MAX_REPLICATIONS, max(count + 100, math.ceil(count * (half / precision) ** 2 * 1.05)))
