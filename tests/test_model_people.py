"""People ride in seats: vehicle crews and passengers, truck cabs, aircraft; the security force leaves
last in its own vehicles, and no convoy runs for nobody.

Deterministic case (tests/test_model_verification.py): one convoy of 40 trucks leaves at 10 h; a
round trip of those trucks is back at 35.25 h (5.5 + 1.5 + 4.5 out, 3 h unloading, 4.5 + 0.75 + 5.5
back); a convoy with no load does not unload, so its trucks are back 22.25 h after leaving.
"""

from __future__ import annotations

import pytest

from sim.scenario.loading import ScenarioError
from tests.conftest import deterministic
from tests.test_model_verification import IRAQ, LAST, SYRIA, assert_closure, crossing, run

ROUND_TRIP_EMPTY = SYRIA + crossing(40) + IRAQ + IRAQ + crossing(40) * 0.5 + SYRIA  # 22.25 h


def test_nobody_left_for_the_last_element_means_no_last_convoy():
    out = run(deterministic({"people.troops": 80, "people.security_force": 0}))
    assert out.convoys == 1  # the cargo convoy; no empty convoy waits for an escort
    assert_closure(out, base_empty_hours=10.0, force_closure_hours=10.0 + SYRIA + crossing(40) + IRAQ)


def test_the_security_force_leaves_in_as_many_vehicles_as_its_seats_need():
    out = run(deterministic({"people.security_force": 20, "vehicles.seats": 4}))
    last = next(i for i in out.timeline if i["kind"] == "convoy" and i["last_element"])
    assert (last["vehicles"], last["people"]) == (5, 20)


def troops_with_one_cab_seat_a_truck(troops: int):
    return deterministic({"people.troops": troops, "fleet.civilian.cab_seats": 1})


def test_troops_without_seats_wait_for_the_trucks_to_come_back_and_leave_in_their_cabs():
    out = run(troops_with_one_cab_seat_a_truck(100))
    # 80 free troops: 40 ride with the cargo; the other 40 leave when the trucks are back at 35.25 h,
    # in a convoy of the 40 trucks; then the security force
    back = 10.0 + SYRIA + crossing(40) + IRAQ + 3.0 + IRAQ + crossing(40) * 0.5 + SYRIA
    assert out.hours_to_base_empty == pytest.approx(back)
    assert out.people_by_road == 100 and out.convoys == 3


def test_more_troops_than_seats_means_a_later_date():
    few, more = run(troops_with_one_cab_seat_a_truck(100)), run(troops_with_one_cab_seat_a_truck(160))
    # 140 free troops: 40 with the cargo, then personnel convoys of 40, 40 and 20 a round trip apart
    assert more.hours_to_base_empty == pytest.approx(few.hours_to_base_empty + 2 * ROUND_TRIP_EMPTY)
    assert more.people_by_road == 160


def test_troops_who_could_never_find_a_seat_are_refused_at_load():
    with pytest.raises(ScenarioError) as err:
        deterministic({"people.troops": 120, "vehicles.count": 10, "vehicles.seats": 2, "fleet.civilian.cab_seats": 0})
    # 100 free troops, no airlift, no cab seats, no convoy seats: 10 vehicles of 2 seats (their crews) seat at most 20,
    # and none has a seat beyond its crew to shuttle back for the other 80
    assert "people.troops" in str(err.value) and "seat at most 20 (80 seats missing)" in str(err.value)


def test_troops_without_any_seat_leave_by_a_shuttle_of_the_vehicles_that_drove_out():
    out = run(deterministic({"people.troops": 100, "vehicles.count": 10, "vehicles.crew": 2, "vehicles.seats": 4, "fleet.civilian.cab_seats": 0}))
    # 80 free troops, no cab seat, no aircraft: the cargo convoy (40 trucks and the 10 vehicles) leaves at 10 h with
    # 20 crews and 20 passengers and arrives at 10 + 5.5 + crossing(50) + 4.5 = 21.75 h. The other 40 have no seat:
    # the 10 vehicles drive back empty (4.5 + crossing(10) / 2 + 5.5 = 10.375 h) and shuttle them out, 2 spare
    # seats each, 20 a trip: trip 1 leaves at 32.125 h, is back 10.75 + 10.375 h later, trip 2 leaves at 53.25 h
    # and the security force (20 in 5 vehicles) right behind it: the base is empty then.
    back_empty = IRAQ + crossing(10) * 0.5 + SYRIA
    arrived = 10.0 + SYRIA + crossing(50) + IRAQ
    second = arrived + back_empty + (SYRIA + crossing(10) + IRAQ) + back_empty
    at_border = second + SYRIA + crossing(10)  # the last element waits for the shuttle's lane
    assert_closure(out, base_empty_hours=second, force_closure_hours=at_border + crossing(LAST) + IRAQ)
    shuttles = [i for i in out.timeline if i["kind"] == "convoy" and not i["last_element"]][1:]
    assert [(c["vehicles"], c["people"], c["loads"]) for c in shuttles] == [(10, 20, 0), (10, 20, 0)]
    assert shuttles[0]["legs"]["departed"] == pytest.approx(arrived + back_empty)
    assert out.columns["shuttle_trips"] == 2 and out.columns["people_by_shuttle"] == 40 and out.people_by_road == 100
    assert out.columns["vehicles_by_road"] == 10  # the shuttle's trips do not count its vehicles twice


def test_spare_vehicle_seats_take_troops_with_the_cargo():
    out = run(deterministic({"people.troops": 70, "vehicles.count": 10, "vehicles.seats": 5, "fleet.civilian.cab_seats": 0}))
    # 50 free troops: the convoy's 10 vehicles (their share of 50 places: 15) take 20 crew and 30 passengers
    first = next(i for i in out.timeline if i["kind"] == "convoy")
    assert first["people"] == 50 and out.finished


def test_a_security_force_too_big_for_its_vehicles_is_refused_at_load():
    with pytest.raises(ScenarioError) as err:
        deterministic({"people.security_vehicles": 3, "vehicles.seats": 4})
    assert "people.security_vehicles" in str(err.value) and "security force of up to 20" in str(err.value)


def test_vehicles_the_troops_cannot_crew_go_on_lowboys_as_loads():
    out = run(deterministic({"vehicles.count": 50, "fleet.lowboy.count": 10, "fleet.civilian.cab_seats": 0, "vehicles.seats": 4}))
    # 80 troops free to leave crew 40 vehicles (2 each); the other 10 vehicles are carried
    assert out.vehicles_carried == 10 and out.vehicles_by_road == 40
    assert out.finished and out.loads_by_road == 40 + 10
