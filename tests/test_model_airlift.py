"""The airlift: aircraft on the ground at once (MOG) and aircraft on the shuttle, never a silent cap.

40 loads that only air may take; a C-130J takes floor(8 pallets / 1.7) = 4 loads, so
10 sorties; 2.5 h on the ground; 24 sorties a day planned (one an hour).
"""

from __future__ import annotations

import pytest
import simpy

from sim.model.airlift import Airlift
from tests.conftest import deterministic
from tests.test_model_verification import run

AIR_ONLY = {"air": {"loads": 40, "carriers": ["air"], "priority": 1, "source": "test: air-only cargo"}}


def airlift(**fields: object):
    """Air-only cargo, 24 sorties a day planned, the 20 troops (all security force) fly out last; 100 aircraft unless given."""
    return deterministic(
        {
            "cargo.classes": AIR_ONLY,
            "people.troops": 20,
            "people.last_element_by": "sortie",
            "airlift.sorties_per_day": 24,
            **{f"airlift.{k}": v for k, v in {"aircraft": 100, **fields}.items()},
        }
    )


def cargo_sorties(out) -> list[float]:
    return [i["legs"]["departed"] for i in out.timeline if i["kind"] == "sortie" and i["loads"] > 0]


def test_one_place_on_the_strip_turns_a_sortie_every_ground_time_and_the_rest_wait_visibly():
    out = run(airlift(max_on_ground=1))
    # one an hour is planned, but each holds the strip's one place for 2.5 h: sortie k leaves at 2.5 (k + 1)
    assert cargo_sorties(out) == pytest.approx([2.5 * (k + 1) for k in range(10)])
    assert out.sortie_waits["airstrip full"] == pytest.approx(9 * 1.5)  # each later sortie waits 1.5 h for the place
    assert out.utilisation["airlift"] == pytest.approx(1.0, abs=0.02)  # the strip is saturated, and says so


def test_three_places_turn_the_planned_sortie_an_hour_without_waiting():
    out = run(airlift(max_on_ground=3))
    assert cargo_sorties(out) == pytest.approx([k + 2.5 for k in range(10)])
    assert out.sortie_waits["airstrip full"] == 0.0


def test_one_aircraft_on_the_shuttle_flies_a_sortie_every_round_trip():
    out = run(airlift(max_on_ground=3, aircraft=1))
    cycle = 2.5 + 2 * 1.3 + 1.0  # ground, there and back, an hour at the destination: 6.1 h
    assert cargo_sorties(out) == pytest.approx([cycle * k + 2.5 for k in range(10)])
    last_element = 10 * cycle - (9 * cycle + 2.5)  # the security force's sortie, ready at 57.4 h, waits for the aircraft back at 61 h
    assert out.sortie_waits["no aircraft"] == pytest.approx(9 * (cycle - 1.0) + last_element)


def test_the_strip_limit_is_the_places_times_the_day_over_the_ground_time():
    lift = Airlift(simpy.Environment(), deterministic({"airlift.max_on_ground": 2, "airlift.ground_hours": 2.5}).airlift, 1.7)
    assert lift.strip_sorties_per_day == pytest.approx(2 * 24 / 2.5)  # 19.2 a day
