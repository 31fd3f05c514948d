"""A Monte Carlo run: replications of one scenario, a fixed number or until a precision is reached.

The replications run on the engine (:mod:`sim.experiment.engine`) as the one point of a
work whose day series are kept: rows go to ``replications.parquet`` and burn-downs to
``burndown.parquet`` batch by batch, so a run of any size keeps a flat footprint; the
summary reads back only the columns it needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from sim.analysis.statistics import proportion
from sim.experiment.engine import Batch, Store, Work, execute
from sim.experiment.executors import Executor
from sim.model.airlift import SORTIE_WAIT_CAUSES
from sim.model.evacuation import RESOURCES, WAIT_CAUSES
from sim.replication import Prepared

MAX_REPLICATIONS = 200_000
"""The most replications a ``--precision`` run adds; one that stops here short of its precision says so (:func:`precision_record`)."""


class MonteCarloCount(NamedTuple):
    """How many replications a run ran and, for a ``--precision`` run, the 95% CI half-width of P(in window) it reached."""

    replications: int
    half_width: float | None = None


def precision_record(asked: float, reached: MonteCarloCount) -> tuple[dict[str, Any], str | None]:
    """What ``summary.json`` records of a ``--precision`` run (``precision``: asked, reached, the cap and whether the run stopped
    at it), and the warning to print when it stopped at the cap short of the precision asked (None otherwise)."""
    half = float(reached.half_width if reached.half_width is not None else math.nan)
    capped = reached.replications >= MAX_REPLICATIONS and not half <= asked
    record = {"asked_half_width": asked, "reached_half_width": half, "replications_cap": MAX_REPLICATIONS, "stopped_at_cap": capped}
    if not capped:
        return record, None
    return record, (
        f"stopped at the cap of {MAX_REPLICATIONS:,} replications before reaching the precision asked: the 95% CI of the chance "
        f"of emptying the base in the window is +-{100 * half:.2f} percentage points wide, not +-{100 * asked:.2f} (--precision {asked:g})"
    )


def within_window(days: np.ndarray, window: tuple[float, float]) -> int:
    """Replications whose base is empty inside the window (days from the start)."""
    return int(((days >= window[0]) & (days <= window[1])).sum())


def summary_columns() -> list[str]:
    """The replication columns that :func:`sim.analysis.statistics.summarize` reads."""
    return [
        "replication",
        "days_to_base_empty",
        "days_to_force_closure",
        "finished",
        *(f"wait_hours.{c}" for c in WAIT_CAUSES),
        *(f"sortie_wait_hours.{c}" for c in SORTIE_WAIT_CAUSES),
        "convoys_uncovered",
        "air_cover_hours_short",
        "vehicles_carried",
        "never_finishes",
        *(f"utilisation.{r}" for r in RESOURCES),
    ]


def monte_carlo(
    prepared: Prepared,
    seed: int,
    store: Store,
    replications: int | None = None,
    precision: float | None = None,
    executor: Executor | None = None,
    on_batch: Callable[[Batch, int], None] | None = None,
) -> MonteCarloCount:
    """Run ``replications`` (default 1,000) into ``store``, or keep adding until the 95% CI half-width of
    P(in window) <= ``precision`` (from 200 replications) or :data:`MAX_REPLICATIONS` have run; returns how many ran
    (and the half-width reached, for a precision run).

    ``on_batch(batch, target)`` is called as each batch comes back, with the number of
    replications currently aimed at (for a progress bar).
    """
    if precision is not None and not 0 < precision < 0.5:
        raise ValueError("precision must be a half-width between 0 and 0.5 (e.g. 0.02 for +-2 points)")
    window = prepared.window_days
    count, within = 0, 0
    target = (replications or 1000) if precision is None else max(200, replications or 0)
    while True:

        def take(batch: Batch, aim: int = target) -> None:
            nonlocal within
            within += within_window(batch.records.column("days_to_base_empty").to_numpy(), window)
            if on_batch:
                on_batch(batch, aim)

        execute(Work((prepared,), seed, target, keep_days=True), store, executor, start=count, stop=target, on_batch=take)
        count = target
        if precision is None:
            return MonteCarloCount(count)
        half = proportion(within, count).half_width
        if half <= precision or count >= MAX_REPLICATIONS:
            return MonteCarloCount(count, half)
        # Half-widths shrink as 1/sqrt(n): aim at the count that should just reach the precision.
        target = min(MAX_REPLICATIONS, max(count + 100, math.ceil(count * (half / precision) ** 2 * 1.05)))


def summary_rows(store: Store, extra: Sequence[str] = ()) -> pd.DataFrame:
    """The columns of every replication that the summary reads (and ``extra`` ones, e.g. a theatre's; and what a base
    with a deadline left behind, where one has), in replication order."""
    left = [c for c in store.column_names() if c.startswith("left_behind.") or (c.startswith("base.") and ".left_behind." in c)]
    return store.read(columns=list(dict.fromkeys([*summary_columns(), *extra, *left]))).to_pandas()
