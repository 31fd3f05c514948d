"""Running the backtest cases: each past withdrawal's scenario (``scenarios/history/*.toml``),
replicated on the engine (:mod:`sim.experiment.engine`), measured as its ``[history]`` table says.

A case is a whole scenario file with a ``[history]`` table: what withdrawal it is, what is
measured (base empty, force closure, or the first convoy's hours until it has crossed) and
the reported range, with its source. Nothing in a case is tuned to that range.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.analysis.backtest import Backtest, backtest
from sim.experiment.engine import Batch, Store, Work, execute
from sim.experiment.executors import Executor
from sim.replication import Prepared, prepare, simulate_one
from sim.scenario.loading import LoadedScenario, Problem, ScenarioError, load_scenario
from sim.scenario.schema import History

HISTORY_DIR = Path("scenarios/history")


@dataclass(frozen=True)
class Case:
    """A past withdrawal: its scenario file and what was reported."""

    name: str
    loaded: LoadedScenario
    history: History


def load_cases(paths: Sequence[Path]) -> list[Case]:
    """The cases in these files (folders are read for ``*.toml``); a file without ``[history]`` is an error."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(Path(path).glob("*.toml")) if Path(path).is_dir() else [Path(path)])
    if not files:
        raise ScenarioError(str(paths[0]) if paths else str(HISTORY_DIR), [Problem("history", "no backtest case (*.toml) found here")])
    cases = []
    for file in files:
        loaded = load_scenario(file)
        if loaded.scenario.history is None:
            raise ScenarioError(str(file), [Problem("history", "a backtest case needs a [history] table: what, measure, reported = [low, high], source")])
        cases.append(Case(file.stem, loaded, loaded.scenario.history))
    return cases


def measure(prepared: Prepared, what: str, seed: int, index: int) -> float:
    """Replication ``index``'s value of the measure (``inf`` when it never got there)."""
    _, outcome, _ = simulate_one(prepared, seed, index, trace=what == "first convoy across")
    if what == "first convoy across":
        crossed = [c["legs"] for c in outcome.timeline if c["kind"] == "convoy" and "crossed" in c["legs"]]
        if not crossed:
            return math.inf
        first = min(crossed, key=lambda legs: legs["departed"])
        return first["crossed"] - first["departed"]
    if not outcome.finished:
        return math.inf
    return outcome.days_to_base_empty if what == "base empty" else outcome.days_to_force_closure


def measure_record(prepared: Prepared, point: int, index: int, work: Work) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """The engine's recorder of a backtest: replication ``index`` of case ``point``, measured as the case says."""
    return {"replication": index, "value": measure(prepared, work.context[point], work.seed, index)}, {}


def run_backtests(
    cases: Sequence[Case], seed: int, replications: int, executor: Executor, on_progress: Callable[[int, int], None] | None = None
) -> list[Backtest]:
    """Replicate every case and compare it with what was reported."""
    points = tuple(prepare(c.loaded.scenario) for c in cases)
    work = Work(points, seed, replications, label_points=True, recorder=measure_record, context=tuple(c.history.measure for c in cases))
    values = np.full((len(cases), replications), np.nan)

    def take(batch: Batch) -> None:
        table = batch.records
        values[table["point"].to_numpy(), table["replication"].to_numpy()] = table["value"].to_numpy()

    execute(work, Store(None, keep=False), executor, on_batch=take, on_progress=on_progress)
    return [backtest(c.name, c.history.what, c.history.measure, c.history.unit, c.history.reported, v) for c, v in zip(cases, values, strict=True)]
