"""A what-if session: the unchanged scenario and the planner's current change, run side by side on common random numbers.

Every view (a set of ``--set`` overrides; the unchanged scenario is the empty set) keeps, by replication
index, the days to the end (days to base empty on one base, to the last out of the country on a theatre)
and, on a theatre, each base's days. A change runs on the engine (:func:`sim.experiment.engine.execute`,
the replication function and executors every command uses) as the second point of a work whose first
point is the unchanged scenario: replication ``i`` of both draws from the same streams, so the page's
paired difference is the one ``evacsim compare`` would give, and the changed view's replications
``0 .. n-1`` are those of ``evacsim run --set ... -n n`` with the same seed, number for number.

Replications run in batches that start small (a first answer fast) and grow (the interval narrows);
the answer is read over the longest run of replications ``0 .. n-1`` both views hold. When a lever
moves, the work of the old view stops at its next batch (its pool is shut down and its queued batches
dropped); what it finished stays kept, so moving back costs nothing.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from sim.experiment.engine import Batch, Store, Work, execute
from sim.experiment.executors import Executor
from sim.names import site_title
from sim.replication import Prepared, prepare
from sim.scenario.loading import LoadedScenario, load_scenario
from sim.scenario.schema import TheatreScenario
from sim.whatif.answer import closure, date_answer, difference_sentence, histogram, paired_answer

FIRST_BATCH = 50
"""Replications in each of the first batches of a change: the first answer comes from these."""

LARGEST_BATCH = 250
"""Replications a batch grows to (batches double after each round of one per worker)."""

DEFAULT_REPLICATIONS = 2000
"""Replications a view refines to by default (the page shows how many it has)."""


class Cancelled(Exception):
    """The view changed: the work of the old one stops."""


@dataclass
class Tally:
    """One view's results by replication index: days to the end (``inf`` if never), and on a theatre each base's."""

    days: np.ndarray
    have: np.ndarray
    bases: dict[str, np.ndarray] = field(default_factory=dict)
    inputs: dict[int, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def empty(cls, replications: int, bases: Sequence[str]) -> Tally:
        return cls(np.full(replications, np.nan), np.zeros(replications, bool), {b: np.full(replications, np.nan) for b in bases})

    def prefix(self) -> int:
        """How many replications from 0 on are held without a gap."""
        missing = np.flatnonzero(~self.have)
        return int(missing[0]) if len(missing) else len(self.have)

    def missing(self, start: int, stop: int) -> list[tuple[int, int]]:
        """The runs of replications ``start`` .. ``stop - 1`` not held yet."""
        out: list[tuple[int, int]] = []
        for i in range(start, stop):
            if self.have[i]:
                continue
            if out and out[-1][1] == i:
                out[-1] = (out[-1][0], i + 1)
            else:
                out.append((i, i + 1))
        return out


@dataclass
class View:
    """A scenario the page has asked about: the unchanged one or one change of it."""

    overrides: tuple[str, ...]
    loaded: LoadedScenario
    prepared: Prepared
    tally: Tally
    started: float = field(default_factory=time.monotonic)


def _columns(theatre: bool) -> tuple[str, str]:
    return ("theatre.days_to_last_out", "theatre.finished") if theatre else ("days_to_base_empty", "finished")


def index_ranges(stop: int, workers: int, first: int = FIRST_BATCH, largest: int = LARGEST_BATCH) -> Iterator[tuple[int, int]]:
    """Replications ``0 .. stop - 1`` in batches of ``first``, doubling after each round of ``workers`` batches up to ``largest``."""
    at, size, given = 0, first, 0
    while at < stop:
        end = min(stop, at + size)
        yield at, end
        at, given = end, given + 1
        if given % max(1, workers) == 0:
            size = min(largest, size * 2)


class WhatIf:
    """The unchanged scenario and the current view, refined in a background thread on ``executor``.

    ``replications`` is how many each view refines to; ``seed`` the SeedSequence of every replication.
    Call :meth:`start`, then :meth:`choose` as levers move and :meth:`answer` to read; :meth:`close` stops it.
    """

    def __init__(self, loaded: LoadedScenario, executor: Executor, seed: int, replications: int = DEFAULT_REPLICATIONS) -> None:
        self.loaded = loaded
        self.executor = executor
        self.seed = seed
        self.replications = replications
        self.first_batch = FIRST_BATCH
        self.theatre = isinstance(loaded.scenario, TheatreScenario)
        self.base_names: list[str] = list(loaded.scenario.bases) if isinstance(loaded.scenario, TheatreScenario) else []
        info = loaded.scenario.scenario
        self.start_text = info.start
        self.horizon = float(info.horizon_days)
        self.window = (float(info.window_days[0]), float(info.window_days[1]))
        unchanged = View((), loaded, prepare(loaded.scenario), Tally.empty(replications, self.base_names))
        self.views: dict[tuple[str, ...], View] = {(): unchanged}
        self.current: tuple[str, ...] = ()
        self.generation = 0
        self.version = 0
        self.error: str | None = None
        self.changed = threading.Condition()
        self._stop = False
        self._thread = threading.Thread(target=self._refine, name="evacsim-whatif", daemon=True)

    # ---- control ------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        with self.changed:
            self._stop = True
            self.generation += 1
            self.changed.notify_all()
        self._thread.join(timeout=30)

    def view_for(self, overrides: Sequence[str]) -> View:
        """The view of these overrides, loaded through the command line's own ``--set`` parsing (made once)."""
        key = tuple(overrides)
        with self.changed:
            if key in self.views:
                return self.views[key]
        loaded = load_scenario(self.loaded.path, [*self.loaded.overrides, *key])  # outside the lock: it reads a file
        view = View(key, loaded, prepare(loaded.scenario), Tally.empty(self.replications, self.base_names))
        with self.changed:
            return self.views.setdefault(key, view)

    def choose(self, overrides: Sequence[str]) -> View:
        """Make ``overrides`` the current view; the work of the previous one stops at its next batch."""
        view = self.view_for(overrides)
        with self.changed:
            if view.overrides != self.current:
                view.started = time.monotonic()
                self.current = view.overrides
                self.generation += 1
                self.version += 1
                self.changed.notify_all()
        return view

    def wait(self, version: int, timeout: float) -> int:
        """Block until the answer changes from ``version`` (or ``timeout`` seconds); returns the version now."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != version or self._stop, timeout)
            return self.version

    def until(self, replications: int, timeout: float, overrides: Sequence[str] | None = None) -> bool:
        """Block until the view (default the current one) and the unchanged scenario hold ``replications``."""
        key = tuple(self.current if overrides is None else overrides)
        deadline = time.monotonic() + timeout
        with self.changed:
            while self._paired(key) < replications:
                left = deadline - time.monotonic()
                if left <= 0 or self.error:
                    return False
                self.changed.wait(min(left, 0.5))
        return True

    def _paired(self, key: tuple[str, ...]) -> int:
        view = self.views.get(key)
        if view is None:
            return 0
        return min(view.tally.prefix(), self.views[()].tally.prefix())

    # ---- the work -------------------------------------------------------------------------------

    def _refine(self) -> None:
        while True:
            with self.changed:
                self.changed.wait_for(lambda: self._stop or self._paired(self.current) < self.replications)
                if self._stop:
                    return
                generation, view = self.generation, self.views[self.current]
            try:
                self._run(view, generation)
            except Cancelled:
                continue
            except Exception as exc:  # shown on the page and the console; the session stays up for the next change
                with self.changed:
                    self.error = f"the replications failed: {exc}"
                    self.version += 1
                    self.changed.notify_all()
                    self.changed.wait_for(partial(self._moved_on, generation))

    def _moved_on(self, generation: int) -> bool:
        return self._stop or self.generation != generation

    def _run(self, view: View, generation: int) -> None:
        unchanged = self.views[()]
        points = (unchanged.prepared,) if not view.overrides else (unchanged.prepared, view.prepared)
        for p in points:
            p.base  # noqa: B018 - resolved once here, so forked workers start with it
        work = Work(points, self.seed, self.replications, label_points=True)
        total = self.replications

        def todo() -> Iterator[tuple[int, int]]:
            for a, b in index_ranges(total, self.executor.workers, self.first_batch):
                for start, stop in unchanged.tally.missing(a, b):
                    yield start, stop
                if view.overrides:
                    for start, stop in view.tally.missing(a, b):
                        yield total + start, total + stop

        def take(batch: Batch) -> None:
            self._take(batch, (unchanged, view))
            if self.generation != generation:
                raise Cancelled

        execute(work, Store(None, keep=False), self.executor, todo=todo(), on_batch=take)

    def _take(self, batch: Batch, views: tuple[View, View]) -> None:
        table = batch.records
        days_col, done_col = _columns(self.theatre)
        point = table.column("point").to_numpy()
        index = table.column("replication").to_numpy()
        days = closure(table.column(days_col).to_numpy(zero_copy_only=False), table.column(done_col).to_numpy(zero_copy_only=False))
        bases = {}
        for name in self.base_names:
            base_days = table.column(f"base.{name}.days_to_base_empty").to_numpy(zero_copy_only=False).astype(float)
            base_done = table.column(f"base.{name}.finished").to_numpy(zero_copy_only=False).astype(bool)
            bases[name] = np.where(np.isnan(base_days), np.nan, np.where(base_done, base_days, np.inf))
        inputs = [c for c in table.column_names if c.startswith("input.")]
        frame = table.select(inputs).to_pandas() if inputs else None
        with self.changed:
            for k in range(len(index)):
                tally = views[int(point[k])].tally
                i = int(index[k])
                tally.days[i] = days[k]
                for name, values in bases.items():
                    tally.bases[name][i] = values[k]
                if point[k] == 0 and frame is not None:
                    tally.inputs[i] = frame.iloc[k].to_dict()
                tally.have[i] = True
            self.version += 1
            self.changed.notify_all()

    # ---- reading ----------------------------------------------------------------------------------

    def unchanged_inputs(self, replications: int) -> tuple[pd.DataFrame, np.ndarray]:
        """The drawn inputs and days to the end of the unchanged scenario's replications ``0 .. replications - 1``."""
        tally = self.views[()].tally
        with self.changed:
            n = min(replications, tally.prefix())
            rows = pd.DataFrame([tally.inputs[i] for i in range(n)])
            return rows, tally.days[:n].copy()

    def answer(self, by_day: float) -> dict[str, Any]:
        """What the page shows now: the current view's answer and the unchanged one's over the same replications,
        the paired difference, the distribution, each base's dates on a theatre, and how far the work has come."""
        with self.changed:
            view = self.views[self.current]
            unchanged = self.views[()].tally
            n = self._paired(self.current)
            days_b = view.tally.days[:n].copy()
            days_a = unchanged.days[:n].copy()
            bases = {name: view.tally.bases[name][:n].copy() for name in self.base_names}
            version, error = self.version, self.error
            started = view.started
        out: dict[str, Any] = {
            "version": version,
            "overrides": list(self.current),
            "replications": n,
            "target": self.replications,
            "refining": n < self.replications and error is None,
            "seconds": round(time.monotonic() - started, 2),
            "error": error,
            "measure": "days to the last out of the country" if self.theatre else "days to base empty",
            "changed": date_answer(days_b, self.start_text, self.horizon, by_day, self.window),
            "unchanged": date_answer(days_a, self.start_text, self.horizon, by_day, self.window),
        }
        if self.current:
            paired = paired_answer(days_a, days_b, self.horizon, by_day)
            out["paired"] = paired
            out["difference"] = difference_sentence(paired)
        out["histogram"] = histogram(days_a, days_b, self.horizon)
        if self.theatre:
            out["bases"] = [self._base_row(name, values) for name, values in bases.items()]
        return out

    def _base_row(self, name: str, days: np.ndarray) -> dict[str, Any]:
        leaves = ~np.isnan(days)
        scenario = self.loaded.scenario
        title = getattr(scenario.bases[name], "title", None) if isinstance(scenario, TheatreScenario) else None
        row: dict[str, Any] = {"base": name, "title": title or site_title(name), "share_leaving": float(leaves.mean()) if len(days) else math.nan}
        row.update(date_answer(days[leaves], self.start_text, self.horizon, self.horizon, self.window))
        return row
