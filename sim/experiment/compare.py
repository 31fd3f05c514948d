"""Comparing two scenarios on common random numbers: paired replications and their differences.

Replication ``i`` of scenario A and of scenario B draw each input they share, and each
random event, from the same stream (``sim.replication.inputs_for`` and ``streams_for``),
so the difference B - A is measured with far less noise
than with independent runs; :func:`sim.analysis.paired.paired_comparison` says how
much less. The two scenarios run as the two points of one work on the engine
(:mod:`sim.experiment.engine`), so the parent keeps only the days to base empty of each replication.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.analysis.paired import paired_comparison
from sim.experiment.engine import Batch, Store, Work, execute
from sim.experiment.executors import Executor
from sim.replication import prepare
from sim.scenario.loading import LoadedScenario


class WindowMismatchError(ValueError):
    """The two scenarios ask about different windows, so P(in window) cannot be compared."""


@dataclass(frozen=True)
class Comparison:
    """Days to base empty of each replication of A and B (index order), and their paired comparison."""

    a: LoadedScenario
    b: LoadedScenario
    seed: int
    days_a: np.ndarray
    days_b: np.ndarray
    summary: dict[str, object]


def run_compare(
    a: LoadedScenario,
    b: LoadedScenario,
    seed: int,
    replications: int,
    executor: Executor,
    batch_size: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> Comparison:
    """Run ``replications`` paired replications of A and B and compare them (B - A)."""
    window = a.scenario.scenario.window_days
    if tuple(b.scenario.scenario.window_days) != tuple(window):
        raise WindowMismatchError(f"{a.path} asks about {window} days but {b.path} about {b.scenario.scenario.window_days}; give both the same window_days")
    work = Work((prepare(a.scenario), prepare(b.scenario)), seed, replications, label_points=True)
    days = np.full((2, replications), np.nan)

    def take(batch: Batch) -> None:
        table = batch.records
        days[table["point"].to_numpy(), table["replication"].to_numpy()] = table["days_to_base_empty"].to_numpy()

    execute(work, Store(None, keep=False), executor, size=batch_size, on_batch=take, on_progress=on_progress)
    summary = paired_comparison(days[0], days[1], window)
    summary = {"a": a.path, "b": b.path, "overrides_a": list(a.overrides), "overrides_b": list(b.overrides), "seed": seed, **summary}
    return Comparison(a, b, seed, days[0], days[1], summary)
