"""Bulk fuel at a base (sim.model.fuel), computed by hand on the deterministic scenario: a convoy leaves only
with a convoy fill of fuel, resupply comes at its rhythm, and a base without a fuel group is never held for it."""

from __future__ import annotations

import math

import pytest

from sim.model.theatre import simulate
from sim.replication import streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import ScenarioError, validate_table
from tests.conftest import deterministic
from tests.test_model_verification import IRAQ, LAST, SYRIA, assert_closure, convoy_legs, crossing, run
from tests.theatre_tables import SRC, leg, small_base, small_theatre
from tests.theatre_tables import crossing as crossing_site

TWO_CONVOYS = {"cargo.classes.general.loads": 80, "fleet.civilian.count": 80, "convoys.size_max": 40}
"""Two convoys of 40 trucks, each loaded in 10 h by 4 teams (ready at 10 h and 20 h), then the last element."""


def fuel(fills_at_start: int, resupply_fills: int, every_hours: float) -> dict[str, object]:
    return {
        "fuel": {
            "fills_at_start": fills_at_start,
            "resupply_fills": resupply_fills,
            "resupply_every_hours": every_hours,
            "source": "test: a hand-computed fuel stock",
        }
    }


def test_a_convoy_without_a_fill_waits_for_the_next_resupply():
    out = run(deterministic({**TWO_CONVOYS, **fuel(1, 1, 30.0)}))
    # the one fill at hour 0 goes with the first convoy (10 h); the second, loaded at 20 h, waits for the
    # resupply at 30 h; the last element, ready when the second leaves, waits for the one at 60 h
    assert [legs["departed"] for legs in convoy_legs(out)] == pytest.approx([10.0, 30.0, 60.0])
    assert out.waits["fuel"] == pytest.approx((30.0 - 20.0) + (60.0 - 30.0))
    assert_closure(out, 60.0, 60.0 + SYRIA + crossing(LAST) + IRAQ)  # 70.625 h


def test_enough_fuel_at_the_start_holds_nobody():
    held = run(deterministic({**TWO_CONVOYS, **fuel(3, 0, 24.0)}))
    free = run(deterministic(TWO_CONVOYS))
    assert [c["legs"]["departed"] for c in held.timeline] == [c["legs"]["departed"] for c in free.timeline] == pytest.approx([10.0, 20.0, 20.0])
    assert held.waits["fuel"] == free.waits["fuel"] == 0.0


def test_with_no_resupply_the_base_never_empties_and_the_wait_is_charged_to_fuel():
    out = run(deterministic({**TWO_CONVOYS, **fuel(1, 0, 24.0)}))
    horizon = 24.0 * deterministic().scenario.horizon_days
    assert not out.finished and math.isclose(out.hours_to_base_empty, horizon)
    assert [legs["departed"] for legs in convoy_legs(out)] == pytest.approx([10.0])
    # the second convoy waited from 20 h to the horizon; no last element formed (cargo was still at the base)
    assert out.waits["fuel"] == pytest.approx(horizon - 20.0)


def test_a_resupply_rhythm_of_zero_hours_is_refused_naming_the_field():
    with pytest.raises(ScenarioError, match=r"fuel\.resupply_every_hours"):
        deterministic(fuel(1, 1, 0.0))


def test_a_theatre_base_has_its_own_fuel_and_a_theatre_refuses_fuel_at_its_top():
    # base a: 20 loads, 10 trucks. First convoy: loads 1 h, leaves with the one fill; back at 11.5 h (a-x 2 h, crossing
    # 1 h, x-erbil 2 h, unload 1 h, back 2 + 0.5 + 2 h); the second, loaded at 12.5 h, waits for the resupply at 20 h
    # and closes 2 + 1 + 2 h later. Base b, with no fuel group, is never held.
    a = small_base(loads=20, fuel={"fills_at_start": 1, "resupply_fills": 1, "resupply_every_hours": 20.0, "source": SRC})
    table = small_theatre({"a": a, "x": crossing_site()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    outcome, _ = simulate(resolve(validate_table(table, "", "test"), {}), streams_for(1, 0), trace=True)
    assert [c["legs"]["departed"] for c in outcome.timeline if c["kind"] == "convoy"] == pytest.approx([1.0, 20.0])
    assert outcome.waits["fuel"] == pytest.approx(20.0 - 12.5)
    assert outcome.hours_to_base_empty == pytest.approx(20.0) and outcome.hours_to_force_closure == pytest.approx(25.0)
    table["fuel"] = a["fuel"]
    with pytest.raises(ScenarioError, match=r"`fuel` is a one-base group"):
        validate_table(table, "", "test")
