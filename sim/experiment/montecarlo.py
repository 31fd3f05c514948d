"""A Monte Carlo run: replications of one scenario, a fixed number or until a precision is reached."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
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


def duration_text(seconds: float) -> str:
    """``seconds`` as a person says it: ``40 s``, ``12 min``, ``5.2 h``, ``3.1 days``, ``52 years``."""
    # (unit, its length, the least it is used for): 36 h rather than 1.5 days
    for unit, length, least in (("years", 365.25 * 86400, 2), ("days", 86400, 2), ("h", 3600, 1), ("min", 60, 1)):
        if seconds >= least * length:
            value = seconds / length
            return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{seconds:.0f} s"


class DurationEstimate:
    """How long a whole run will take, said once its first replications are back.

    Count finished replications with :meth:`add`; it returns one line (and then None)
    ``after_seconds`` after the first batch came back (so that starting the workers is not
    counted as their pace), if the whole run looks longer than ``longer_than`` seconds:
    ``-n 1000000000000`` then says it would take centuries instead of leaving the user to wait.
    """

    def __init__(self, after_seconds: float = 2.0, longer_than: float = 60.0) -> None:
        self.after_seconds = after_seconds
        self.longer_than = longer_than
        self.first: float | None = None
        self.done = 0
        self.paced = 0
        self.said = False

    def add(self, count: int, total: int | None) -> str | None:
        now = time.monotonic()
        self.done += count
        if self.first is None:
            self.first = now
            return None
        self.paced += count
        elapsed = now - self.first
        if self.said or not total or self.paced <= 0 or elapsed < self.after_seconds:
            return None
        self.said = True
        rate = self.paced / elapsed
        left = max(0, total - self.done) / rate
        if left < self.longer_than:
            return None
        return f"estimated duration: about {duration_text(left)} more for {total:,} replications at ~{rate:,.0f} a second; Ctrl-C stops it"


def within_window(rows: pd.DataFrame, window: tuple[float, float]) -> int:
    days = rows["days_to_base_empty"].to_numpy()
    return int(((days >= window[0]) & (days <= window[1])).sum())


def _replicate(
    prepared: Prepared,
    seed: int,
    replications: int | None,
    precision: float | None,
    jobs: int,
    on_batch: Callable[[BatchResult, int], None] | None,
    executor: Executor | None,
    handle: Callable[[BatchResult], None],
) -> int:
    """Run the replications a run asks for, handing each batch to ``handle`` as it comes back; returns how many."""
    if precision is not None and not 0 < precision < 0.5:
        raise ValueError("precision must be a half-width between 0 and 0.5 (e.g. 0.02 for +-2 points)")
    window = prepared.window_days
    count, within = 0, 0
    target = (replications or 1000) if precision is None else max(200, replications or 0)
    while True:
        aim = target

        def take(batch: BatchResult, aim: int = aim) -> None:
            nonlocal within
            handle(batch)
            within += within_window(pd.DataFrame(batch.rows, columns=["days_to_base_empty"]), window)
            if on_batch:
                on_batch(batch, aim)

        run_replications(prepared, seed, target - count, jobs, start=count, on_batch=take, executor=executor, keep=False)
        count = target
        if precision is None:
            return count
        half = proportion(within, count).half_width
        if half <= precision or count >= MAX_REPLICATIONS:
            return count
        # Half-widths shrink as 1/sqrt(n): aim at the count that should just reach the precision.
        target = min(MAX_REPLICATIONS, max(count + 100, math.ceil(count * (half / precision) ** 2 * 1.05)))


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
    Dask cluster, see :mod:`sim.experiment.executors`) overrides ``jobs``. Every row and
    burn-down is kept: for very large runs use :func:`stream_monte_carlo`.
    """
    done: list[BatchResult] = []
    _replicate(prepared, seed, replications, precision, jobs, on_batch, executor, done.append)
    return _collect(done)


def stream_monte_carlo(
    prepared: Prepared,
    seed: int,
    sink: Callable[[BatchResult], None],
    columns: Sequence[str],
    replications: int | None = None,
    precision: float | None = None,
    jobs: int = 1,
    on_batch: Callable[[BatchResult, int], None] | None = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """As :func:`run_monte_carlo`, but each batch goes to ``sink`` (to be written) and only ``columns``
    of each row are kept: memory grows by a few numbers a replication, not by its whole record."""
    kept: list[pd.DataFrame] = []

    def handle(batch: BatchResult) -> None:
        sink(batch)
        kept.append(pd.DataFrame(batch.rows, columns=list(columns)))

    _replicate(prepared, seed, replications, precision, jobs, on_batch, executor, handle)
    return pd.concat(kept, ignore_index=True).sort_values("replication", kind="stable").reset_index(drop=True)
