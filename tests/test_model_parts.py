"""A base is its parts (sim.model.parts): each wait cause is declared by one part, the gate asks the parts in
the order PARTS lists them, and the replication row is exactly the parts' own columns (never listed twice)."""

from __future__ import annotations

import simpy

from sim.model.evacuation import PARTS, WAIT_CAUSES
from sim.model.gate import Pause
from sim.model.theatre import one_base
from sim.replication import prepare, record, simulate_one, streams_for
from tests.conftest import deterministic


def test_every_wait_cause_is_declared_by_one_part_in_the_order_of_the_parts():
    declared = [cause for part in PARTS for cause in part.causes]
    assert tuple(declared) == WAIT_CAUSES and len(set(declared)) == len(declared)


def test_the_replication_row_is_the_closure_and_the_parts_own_columns():
    scenario = deterministic({"pause.probability": 1.0, "pause.days": 1})
    prepared = prepare(scenario)
    values, outcome, events = simulate_one(prepared, 1, 0)
    base = one_base(simpy.Environment(), prepared.base, streams_for(1, 0))
    own = {name for part in base.parts for name in part.columns(1.0)}
    closure = {"days_to_base_empty", "days_to_force_closure", "finished", "never_finishes"}
    assert set(outcome.columns) == own | closure and not own & closure
    assert set(record(0, values, outcome, events)) == {"replication", "events"} | own | closure | {f"input.{p}" for p in values}
    assert {f"wait_hours.{cause}" for cause in WAIT_CAUSES} <= own


def test_the_gate_asks_the_pause_first_and_skips_parts_that_can_never_hold():
    paused = one_base(simpy.Environment(), prepare(deterministic({"pause.probability": 1.0, "pause.days": 1})).base, streams_for(1, 0))
    calm = one_base(simpy.Environment(), prepare(deterministic()).base, streams_for(1, 0))
    assert isinstance(paused.gate.parts[0], Pause)
    assert not any(isinstance(p, Pause) for p in calm.gate.parts)  # no pause drawn: it never holds a convoy
