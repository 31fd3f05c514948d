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

from sim.analysis.measure import Measure
from sim.analysis.paired import mean_difference, measured_comparison, paired_comparison, proportion_change
from sim.analysis.statistics import signed
from sim.experiment.engine import Batch, Store, Work, execute
from sim.experiment.executors import Executor
from sim.replication import prepare
from sim.scenario.loading import LoadedScenario
from sim.scenario.theatre_layout import theatre_layout

LAST_OUT = "theatre.days_to_last_out"
LEFT = "left_behind.total"
"""Loads and vehicles a base's deadline left behind (``base.<name>.left_behind.total`` on a theatre)."""
THEATRE_END_DAYS = (20.0, 30.0, 60.0)
"""The reported end dates of the whole withdrawal a theatre comparison reads (days from hour 0)."""


def theatre_comparison(a: np.ndarray, b: np.ndarray) -> dict[str, object]:
    """B - A in days to the last out of the country, and in P(everyone out within 20, 30 and 60 days), paired."""
    out: dict[str, object] = {"days_to_last_out": {"a": float(a.mean()), "b": float(b.mean()), **mean_difference(a, b)}}
    for end in THEATRE_END_DAYS:
        out[f"p_within_{end:g}"] = proportion_change((a <= end).astype(float), (b <= end).astype(float))
    return out


def left_behind_comparison(a: np.ndarray, b: np.ndarray, deadline_a: bool, deadline_b: bool) -> dict[str, object]:
    """What each side's deadline leaves behind, B - A, paired: ``a`` and ``b`` are the loads and vehicles left behind
    in each replication (on a theatre, all its bases together; 0 for a side without a deadline, which leaves nothing):
    their means and the chance of leaving anything, with the sentence a planner reads."""
    out: dict[str, object] = {
        "deadline_a": deadline_a,
        "deadline_b": deadline_b,
        "total": {"a": float(a.mean()), "b": float(b.mean()), **mean_difference(a, b)},
        "p_something_left": proportion_change((a > 0).astype(float), (b > 0).astype(float)),
    }
    out["sentence"] = left_behind_comparison_sentence(out)
    return out


def left_behind_comparison_sentence(left: dict) -> str:
    """``Left behind by the deadline: A has no deadline and leaves nothing; B leaves something in 62% of replications,
    140.2 loads and vehicles a replication on average; B - A +140.2 loads and vehicles (95% CI ...).``"""
    p, total = left["p_something_left"], left["total"]

    def side(name: str) -> str:
        if not left[f"deadline_{name}"]:
            return f"{name.upper()} has no deadline and leaves nothing"
        return f"{name.upper()} leaves something in {100 * p[name]:.0f}% of replications, {total[name]:,.1f} loads and vehicles a replication on average"

    low, high = signed(total["ci_low"], thousands=True), signed(total["ci_high"], thousands=True)
    change = f"B - A {signed(total['difference'], thousands=True)} loads and vehicles a replication (95% CI {low} to {high})"
    return f"Left behind by the deadline: {side('a')}; {side('b')}; {change}."


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
    measure: Measure | None = None,
) -> Comparison:
    """Run ``replications`` paired replications of A and B and compare them (B - A); ``measured`` in the summary is
    the comparison by ``measure`` (default: days to base empty), with its sentence."""
    measure = measure or Measure(window=tuple(a.scenario.scenario.window_days))  # type: ignore[arg-type]
    window = a.scenario.scenario.window_days
    if tuple(b.scenario.scenario.window_days) != tuple(window):
        raise WindowMismatchError(f"{a.path} asks about {window} days but {b.path} about {b.scenario.scenario.window_days}; give both the same window_days")
    work = Work((prepare(a.scenario), prepare(b.scenario)), seed, replications, label_points=True)
    days = np.full((2, replications), np.nan)
    last_out = np.full((2, replications), np.nan)  # a theatre's days to the last out of the country
    measured = np.full((2, replications), np.nan)  # days of what the measure measures
    finished = np.ones((2, replications), dtype=bool)
    left = np.zeros((2, replications))  # loads and vehicles a deadline left behind (all bases of a theatre together)
    deadline = np.zeros(2, dtype=bool)  # whether each side has a deadline (its rows have left_behind columns)

    def take(batch: Batch) -> None:
        table = batch.records
        where = table["point"].to_numpy(), table["replication"].to_numpy()
        days[where] = table["days_to_base_empty"].to_numpy()
        if LAST_OUT in table.column_names:
            last_out[where] = table[LAST_OUT].to_numpy()
        if measure.column in table.column_names:
            measured[where] = table[measure.column].to_numpy(zero_copy_only=False).astype(float)
        columns = [c for c in table.column_names if c.endswith(LEFT) and (c == LEFT or c.startswith("base."))]
        for column in [c for c in columns if c.startswith("base.")] or columns:  # a theatre's bases, or the one base
            values = np.array([np.nan if v is None else float(v) for v in table[column].to_pylist()])
            deadline[np.unique(where[0][~np.isnan(values)])] = True
            left[where] += np.nan_to_num(values)
        if measure.finished in table.column_names:
            done = table[measure.finished].to_numpy(zero_copy_only=False)
            finished[where] = np.array([True if v is None else bool(v) for v in done])

    execute(work, Store(None, keep=False), executor, size=batch_size, on_batch=take, on_progress=on_progress)
    summary = paired_comparison(days[0], days[1], window)
    summary = {"a": a.path, "b": b.path, "overrides_a": list(a.overrides), "overrides_b": list(b.overrides), "seed": seed, **summary}
    if not np.isnan(last_out).any():  # both are theatres: the whole withdrawal too, out by each reported end date
        summary["theatre"] = theatre_comparison(last_out[0], last_out[1])
        layout = theatre_layout(a.scenario)
        if layout is not None:  # the one-base keys (days_to_base_empty, the window's) are A's main base's: say whose
            main = layout.bases[0]
            summary["base"] = {"name": main, "title": (layout.titles or {}).get(main, main), "role": "the main base"}
    closed = np.where(finished, measured, np.inf)
    measured_summary = measured_comparison(measured[0], measured[1], closed[0], closed[1], measure)
    summary["measured"] = measured_summary
    summary["sentence"] = measured_summary["sentence"]
    if deadline.any():  # what a deadline leaves behind, beside when the base empties
        left_behind = left_behind_comparison(left[0], left[1], bool(deadline[0]), bool(deadline[1]))
        summary["left_behind"] = left_behind
        summary["sentence"] = f"{summary['sentence']} {left_behind['sentence']}"
    return Comparison(a, b, seed, days[0], days[1], summary)
