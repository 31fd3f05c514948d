"""Comparing two scenarios on common random numbers: paired replications and their differences.

Replication ``i`` of scenario A and of scenario B draw from the same streams
(``generators(seed, i)``), so the difference B - A is measured with far less noise
than with independent runs; :func:`sim.analysis.paired.paired_comparison` says how
much less. The two scenarios run as the two points of one batched job on any
executor, so the parent keeps only the days to base empty of each replication.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.analysis.paired import paired_comparison
from sim.experiment.executors import Executor
from sim.experiment.sweep import SweepWork, calibrate_batch_size, run_sweep_batch
from sim.replication import Prepared, prepare
from sim.scenario.distributions import Constant
from sim.scenario.draws import UncertainInput, numeric_fields
from sim.scenario.loading import LoadedScenario
from sim.scenario.schema import Scenario


def aligned_preparations(a: Scenario, b: Scenario) -> tuple[Prepared, Prepared]:
    """A and B prepared so that replication ``i`` draws every input they share from the same place in the same stream.

    Each replication draws its uncertain inputs one after the other from one generator.
    When a number is a distribution in one scenario and a constant in the other (``--set
    fleet.civilian.count=30``), a plain :func:`~sim.replication.prepare` would draw one
    value fewer in one of them, and every later input would be paired with a different
    random number. Here both draw the union of their uncertain inputs in the same order;
    where a scenario has a constant, it draws the other's distribution (to keep the
    stream in step) and pins its own value.

    A number only one scenario has at all (the start day of a scheduled crossing closure
    the other scenario does not plan) has nothing to be paired with. Such inputs are
    drawn after every shared one, by the scenario that has them only, so they shift no
    shared input onto another random number.
    """
    pa_, pb = prepare(a), prepare(b)
    by_path_a = {i.path: i for i in pa_.inputs}
    by_path_b = {i.path: i for i in pb.inputs}
    numbers_a, numbers_b = numeric_fields(a), numeric_fields(b)
    union = [*by_path_a, *(p for p in by_path_b if p not in by_path_a)]
    shared = [p for p in union if p in numbers_a and p in numbers_b]
    order = [*shared, *(p for p in union if p not in numbers_a or p not in numbers_b)]
    return _aligned(pa_, order, by_path_a, by_path_b), _aligned(pb, order, by_path_b, by_path_a)


def _aligned(own: Prepared, order: list[str], mine: dict[str, UncertainInput], other: dict[str, UncertainInput]) -> Prepared:
    """``own`` drawing the inputs of ``order`` it has a number for: its own distribution, else the other's with its constant pinned."""
    numbers = numeric_fields(own.scenario)
    present = [path for path in order if path in numbers]
    inputs = tuple(mine.get(path) or other[path] for path in present)
    fixed = {path: _constant(numbers[path]) for path in present if path not in mine}
    return Prepared(own.scenario, inputs, own.per_event, {**own.fixed, **fixed})


def _constant(value: object) -> float:
    return float(value.value if isinstance(value, Constant) else value)


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
    points = aligned_preparations(a.scenario, b.scenario)
    size = batch_size or calibrate_batch_size(points, seed, replications, executor.workers)
    work = SweepWork(points, seed, replications, size)
    days = np.full((2, replications), np.nan)
    done = 0
    for _, table in executor.map_unordered(run_sweep_batch, work, [(k,) for k in range(work.batch_count)]):
        days[table["point"].to_numpy(), table["replication"].to_numpy()] = table["days_to_base_empty"].to_numpy()
        done += table.num_rows
        if on_progress:
            on_progress(done, work.total)
    summary = paired_comparison(days[0], days[1], window)
    summary = {"a": a.path, "b": b.path, "overrides_a": list(a.overrides), "overrides_b": list(b.overrides), "seed": seed, **summary}
    return Comparison(a, b, seed, days[0], days[1], summary)
