"""One replication: a scenario and a seed in, one record out. No I/O.

Randomness: the run's ``--seed`` is the entropy of one ``numpy.random.SeedSequence``;
replication ``i`` draws uncertain input ``path`` from a Philox stream keyed by the
child with spawn key ``(i, 0)``, in a counter block of its own set by ``h(path)`` (a
stable hash of the dotted path), and random purpose ``k`` inside the model (threats,
crossing, weather, ...) from the child ``(i, k)``. A replication's
numbers therefore depend only on the seed and its index: the same whatever the
number of processes, and shared between scenarios compared side by side (common
random numbers), input by input, whatever inputs the other scenario has or pins.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.model.evacuation import STREAMS, THEATRE_PART_COLUMNS, Outcome, Streams
from sim.model.outcome import TheatreOutcome
from sim.model.theatre import simulate
from sim.scenario.draws import Setter, UncertainInput, draw_inputs, per_event_fields, resolve, set_values, uncertain_inputs
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Prepared:
    """A validated scenario made ready to replicate many times (work done once per run)."""

    scenario: Scenario
    inputs: tuple[UncertainInput, ...]
    per_event: frozenset[str]
    fixed: Mapping[str, float] = field(default_factory=dict)
    _base: Scenario | None = field(default=None, compare=False, repr=False)
    _parent: Prepared | None = field(default=None, compare=False, repr=False)
    _setter: Setter | None = field(default=None, compare=False, repr=False)

    @property
    def base(self) -> Scenario:
        """The scenario resolved once: constants as numbers, fixed inputs set, the rest at their medians."""
        if self._base is None:
            if self._parent is not None:
                base = set_values(self._parent.base, dict(self.fixed)) if self.fixed else self._parent.base
            else:
                base = resolve(self.scenario, dict(self.fixed), set(self.per_event))
            object.__setattr__(self, "_base", base)
            return base
        return self._base

    def drawn(self, values: Mapping[str, float]) -> Scenario:
        """The resolved scenario with a replication's draws of the uncertain inputs (``values``, by dotted path) set."""
        setter = self._setter
        if setter is None:
            setter = Setter(tuple(i.path for i in self.inputs))
            object.__setattr__(self, "_setter", setter)
        return setter.apply(self.base, values)

    @property
    def window_days(self) -> tuple[float, float]:
        return self.scenario.scenario.window_days


def prepare(scenario: Scenario, fixed: Mapping[str, float] | None = None) -> Prepared:
    """Ready a scenario for replication; ``fixed`` pins inputs by dotted path (a design point)."""
    fixed = dict(fixed or {})
    inputs = tuple(i for i in uncertain_inputs(scenario) if i.path not in fixed)
    return Prepared(scenario, inputs, frozenset(per_event_fields(scenario)), fixed)


def pin(prepared: Prepared, fixed: Mapping[str, float]) -> Prepared:
    """A design point of ``prepared``: the same scenario with the inputs of ``fixed`` (dotted path -> value) pinned.

    Cheap: the point shares ``prepared``'s scenario and, once resolved, starts from its resolved
    scenario with only the pinned numbers replaced (a few copies, not a walk of the whole
    scenario), which gives the scenario :func:`prepare` with ``fixed`` would resolve.
    """
    fixed = {**prepared.fixed, **fixed}
    inputs = tuple(i for i in prepared.inputs if i.path not in fixed)
    return Prepared(prepared.scenario, inputs, prepared.per_event, fixed, _parent=prepared)


def streams_for(seed: int, index: int) -> Streams:
    """The model's random streams for replication ``index``, one per purpose."""
    return Streams(*(np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index, k + 1)))) for k in range(len(STREAMS))))


def inputs_for(prepared: Prepared, seed: int, index: int) -> dict[str, float]:
    """Replication ``index``'s inputs: each uncertain one drawn from its own stream, the pinned ones as pinned."""
    values = draw_inputs(list(prepared.inputs), seed, index)
    values.update(prepared.fixed)
    return values


def simulate_one(prepared: Prepared, seed: int, index: int, trace: bool = False) -> tuple[dict[str, float], Outcome, int]:
    """Draw replication ``index``'s inputs and run it: (inputs drawn, outcome, SimPy events)."""
    values = inputs_for(prepared, seed, index)
    resolved = prepared.drawn(values)
    outcome, events = simulate(resolved, streams_for(seed, index), trace=trace)
    return values, outcome, events


def record(index: int, values: Mapping[str, float], outcome: Outcome, events: int) -> dict[str, object]:
    """One flat row for ``replications.parquet``: results, waits, utilisation, inputs drawn; for a theatre,
    the main base's as the one-base columns, then each base's, the theatre's, each leg's and each pool's."""
    row = _base_columns(index, outcome, events)
    if outcome.theatre is not None:
        row.update(theatre_columns(outcome.theatre))
    for path, value in values.items():
        row[f"input.{path}"] = value
    return row


BASE_SUMMARY_COLUMNS = (
    "days_to_base_empty",
    "days_to_force_closure",
    "finished",
    "convoys",
    "sorties",
    "never_finishes",
    "apache_sorties",
    "convoys_uncovered",
    "air_cover_hours_short",
    "vehicles_carried",
    "shuttle_trips",
    "people_by_shuttle",
)
"""Columns of each base of a theatre (``base.<name>.<column>``) besides its waits and utilisation: each the base's own
(Apache sorties, convoys short of cover and their hours without it are those of its convoys, whatever pool flew them);
the theatre's totals are ``theatre.apache_sorties``, ``theatre.convoys_uncovered``, ``theatre.air_cover_hours_short``."""


def theatre_columns(theatre: TheatreOutcome) -> dict[str, object]:
    """A theatre's own columns: per base (``base.<name>.*``), ``theatre.days_to_last_out``, per leg and per pool."""
    row: dict[str, object] = {}
    for name, outcome in theatre.bases.items():
        leaves = theatre.leaves[name]
        cols = outcome.columns
        for col in _per_base(tuple(cols)):
            value = cols[col]
            if not leaves and col in ("days_to_base_empty", "days_to_force_closure"):
                value = float("nan")
            row[f"base.{name}.{col}"] = value
        row[f"base.{name}.leaves"] = bool(leaves)
        if name in theatre.same_place:
            row[f"base.{name}.same_place_as"] = theatre.same_place[name]
        for col in THEATRE_PART_COLUMNS:
            if col in cols:
                row[f"base.{name}.{col}"] = cols[col]
    row["theatre.days_to_last_out"] = theatre.days_to_last_out
    row["theatre.finished"] = theatre.finished
    row["theatre.apache_sorties"] = theatre.apache_sorties
    row["theatre.convoys_uncovered"] = theatre.convoys_uncovered
    row["theatre.air_cover_hours_short"] = theatre.air_cover_hours_short
    for leg, n in theatre.leg_convoys.items():
        row[f"leg.{leg}.convoys"] = n
        row[f"leg.{leg}.wait_hours"] = theatre.leg_wait_hours[leg]
    for pool, share in theatre.pool_utilisation.items():
        row[f"utilisation.{pool}"] = share
    return row


def _base_columns(index: int, outcome: Outcome, events: int) -> dict[str, object]:
    """A base's columns as its parts reported them (``sim.model.evacuation.PARTS``): its results, then the
    SimPy events, then its waits and utilisation (the dotted names)."""
    columns = outcome.columns
    results, dotted = _in_table_order(tuple(columns))
    row: dict[str, object] = {"replication": index}
    row.update((name, columns[name]) for name in results)
    row["events"] = events
    row.update((name, columns[name]) for name in dotted)
    return row


@functools.lru_cache(maxsize=64)
def _in_table_order(names: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A base's column names (as its parts reported them) in the table's order: (its results, its dotted columns by
    family); worked out once for each set of names, which every replication of a scenario shares."""
    results = tuple(name for name in names if "." not in name)
    dotted = tuple(sorted((name for name in names if "." in name), key=lambda name: _FAMILIES.index(name.split(".", 1)[0])))
    return results, dotted


@functools.lru_cache(maxsize=64)
def _per_base(names: tuple[str, ...]) -> tuple[str, ...]:
    """The columns of a base (its names as its parts reported them) a theatre's table repeats as ``base.<name>.<column>``
    besides its parts' own: its summary, then its waits, utilisation and what it left behind, in the table's order."""
    _, dotted = _in_table_order(names)
    return (*BASE_SUMMARY_COLUMNS, *(c for c in dotted if c.startswith(("wait_hours.", "sortie_wait_hours.", "utilisation.", "left_behind."))))


_FAMILIES = ("wait_hours", "sortie_wait_hours", "utilisation", "left_behind")
"""The families of a base's dotted columns, in the order the table shows them (a part's columns keep their order inside each);
``left_behind`` only for a base with a deadline (``sim/model/deadline.py``)."""


def day_series(outcome: Outcome) -> dict[str, np.ndarray]:
    """A replication's day series for ``burndown.parquet``: truckloads of cargo and people still at the
    base at 00:00 of each day (one value a day from the start to the horizon)."""
    series = {"cargo_loads": outcome.burndown_cargo, "people": outcome.burndown_people}
    if outcome.theatre is not None:  # a theatre also keeps each base's own: cargo_loads.<base>, people.<base>
        for name, base in outcome.theatre.bases.items():
            series[f"cargo_loads.{name}"] = base.burndown_cargo
            series[f"people.{name}"] = base.burndown_people
    return series


def run_batch(prepared: Prepared, seed: int, indices: range | list[int]) -> tuple[list[dict[str, object]], np.ndarray, np.ndarray]:
    """Replications ``indices``: their rows, and burn-down arrays (replication x day) of cargo and people."""
    rows, cargo, people = [], [], []
    for i in indices:
        values, outcome, events = simulate_one(prepared, seed, i)
        rows.append(record(i, values, outcome, events))
        cargo.append(outcome.burndown_cargo)
        people.append(outcome.burndown_people)
    if not rows:
        return rows, np.empty((0, 0), np.int32), np.empty((0, 0), np.int32)
    return rows, np.vstack(cargo), np.vstack(people)
