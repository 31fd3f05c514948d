"""Verification: tiny deterministic evacuations whose closure times are computed by hand.

Every case starts from ``tests/conftest.py:DETERMINISTIC``: one class of general
cargo carried by civilian trucks, everything staged at hour 0, no vehicles, no
disruption, convoys may leave at any hour. The hand arithmetic uses:

- Syrian leg: 160 km at 40 km/h + 24 km of towns at 24 km/h = 5 h moving, plus
  int(5 // 2) = 2 halts of 15 min: 5.5 h;
- Iraqi leg: 210 km at 60 km/h + 12 km at 24 km/h = 4 h moving, plus 2 halts: 4.5 h;
- main crossing, one lane: 0.5 h + 1.5 min a vehicle;
- loading: ceil(trucks / 4 teams) x 1 h; unloading: ceil(trucks / 10 teams) x 0.75 h;
- the security force (the last element, 20 people) leaves in its own 5 vehicles of
  4 seats once the last cargo has gone: it crosses in 0.5 h + 5 x 1.5 min, behind
  the cargo convoy when they reach the lane together; the 80 other troops ride in
  the trucks' cabs, 2 a truck.
"""

from __future__ import annotations

import math

import pytest

from sim.model.evacuation import Outcome
from sim.replication import prepare, simulate_one
from sim.scenario.schema import Scenario
from tests.conftest import DAYLIGHT_ONLY, deterministic

SYRIA = 160 / 40 + 24 / 24 + int((160 / 40 + 24 / 24) // 2) * 15 / 60  # 5.5 h
IRAQ = 210 / 60 + 12 / 24 + int((210 / 60 + 12 / 24) // 2) * 15 / 60  # 4.5 h
FIXED = 0.5  # h per convoy at the main crossing
PER_VEHICLE = 1.5 / 60  # h per vehicle at the main crossing
LAST = 5  # vehicles of the security force, the last element


def crossing(vehicles: int) -> float:
    return FIXED + vehicles * PER_VEHICLE


def run(scenario: Scenario) -> Outcome:
    _, outcome, _ = simulate_one(prepare(scenario), seed=1, index=0, trace=True)
    return outcome


LEGS = ("departed", "border", "crossed", "arrived", "back")


def convoy_legs(outcome: Outcome) -> list[dict[str, float]]:
    """Each convoy's event times (hours); which crossing it used is checked by crossings_used."""
    return [{k: v for k, v in item["legs"].items() if k in LEGS} for item in outcome.timeline if item["kind"] == "convoy"]


def alternate_crossing_name() -> str:
    return deterministic().crossing.alternate.name


def crossings_used(outcome: Outcome) -> list[str]:
    return [item["legs"]["crossing"] for item in outcome.timeline if item["kind"] == "convoy"]


def assert_closure(outcome: Outcome, base_empty_hours: float, force_closure_hours: float) -> None:
    assert outcome.finished
    assert outcome.days_to_base_empty == pytest.approx(base_empty_hours / 24, abs=1e-9)
    assert outcome.days_to_force_closure == pytest.approx(force_closure_hours / 24, abs=1e-9)


def test_hand_computed_legs_match_the_route_arithmetic():
    assert SYRIA == pytest.approx(5.5)
    assert IRAQ == pytest.approx(4.5)


def test_one_convoy_closes_when_the_last_element_reaches_iraq():
    out = run(deterministic())
    depart = math.ceil(40 / 4) * 1.0  # 10 h loading 40 trucks with 4 teams
    crossed = depart + SYRIA + crossing(40)  # 15.5 at the border, 1.5 h to cross -> 17.0
    last_crossed = crossed + crossing(LAST)  # the last element waits for the lane, then 0.5 h -> 17.5
    assert_closure(out, base_empty_hours=depart, force_closure_hours=last_crossed + IRAQ)  # 10 h, 22 h
    assert convoy_legs(out)[0] == pytest.approx({"departed": 10.0, "border": 15.5, "crossed": 17.0, "arrived": 21.5})
    assert (out.convoys, out.loads_by_road, out.people_by_road) == (2, 40, 100)


def test_half_the_trucks_needed_means_a_second_trip_after_the_empty_return():
    out = run(deterministic({"fleet.civilian.count": 20}))
    loading = math.ceil(20 / 4) * 1.0  # 5 h for 20 trucks
    first = loading  # departs at 5
    arrived = first + SYRIA + crossing(20) + IRAQ  # 10.5 border, 11.5 crossed, 16.0 arrived
    unloaded = arrived + math.ceil(20 / 10) * 0.75  # 17.5
    back = unloaded + IRAQ + crossing(20) * 0.5 + SYRIA  # empty return: 22.0, 22.5, 28.0
    second = back + loading  # 33.0
    last_crossed = second + SYRIA + crossing(20) + crossing(LAST)  # 38.5 border, 39.5, 40.0
    assert_closure(out, base_empty_hours=second, force_closure_hours=last_crossed + IRAQ)  # 33 h, 44.5 h
    assert convoy_legs(out)[0]["back"] == pytest.approx(back)
    assert out.convoys == 3


def test_daylight_only_convoy_halts_overnight_on_the_syrian_leg():
    out = run(deterministic({**DAYLIGHT_ONLY, "loading.teams": 5, "loading.hours_per_truck": 1.75}))
    depart = math.ceil(40 / 5) * 1.75  # 14 h, inside the 06-18 window
    driven_today = 18 - depart  # 4 h until dusk
    border = 24 + 6 + (SYRIA - driven_today)  # the rest, 1.5 h, from 06:00 next day -> 31.5
    last_crossed = border + crossing(40) + crossing(LAST)  # 33.0, then 33.5; both inside daylight
    assert_closure(out, base_empty_hours=depart, force_closure_hours=last_crossed + IRAQ)  # 14 h, 38 h
    assert convoy_legs(out)[0]["border"] == pytest.approx(border)
    # both convoys halted 18:00 -> 06:00 on the Syrian leg; the empty trucks, unloaded at 41.5 h
    # (arrived 38.0 + ceil(40 / 10) x 0.75 h), drive back from 17:30 and halt at 18:00 after 0.5 h
    assert out.waits["daylight"] == pytest.approx(3 * 12.0)


def test_daylight_only_convoy_loaded_at_night_waits_for_dawn():
    out = run(deterministic({**DAYLIGHT_ONLY, "loading.hours_per_truck": 2.5}))
    loaded = math.ceil(40 / 4) * 2.5  # 25 h: 01:00 on day 1
    depart = 24 + 6  # 06:00 on day 1
    assert loaded < depart
    last_crossed = depart + SYRIA + crossing(40) + crossing(LAST)  # 35.5, 37.0, 37.625
    dusk = 24 + 18
    arrived = 48 + 6 + (IRAQ - (dusk - last_crossed))  # 4.375 h before dusk, the last 0.125 h after dawn
    assert_closure(out, base_empty_hours=depart, force_closure_hours=arrived)  # 30 h, 54.125 h


def closure_at_the_border(days: float, divert_after_hours: float) -> dict[str, object]:
    """40 teams load the 40 trucks in 0.5 h, so the convoys reach the border at 6.0 h = day 0.25."""
    return {
        "loading.teams": 40,
        "loading.hours_per_truck": 0.5,
        "crossing.main.scheduled_closures": [{"start_day": 0.25, "days": days, "source": "test: closed as the convoys arrive"}],
        "crossing.divert_after_hours": divert_after_hours,
    }


def test_closed_crossing_delays_closure_by_its_duration():
    # no lane at the alternate: a known closure of the main crossing would otherwise route the convoys there
    no_way_round = {"crossing.alternate.lanes": 0}
    open_ = run(deterministic({**closure_at_the_border(0, divert_after_hours=1000), **no_way_round}))
    shut = run(deterministic({**closure_at_the_border(2, divert_after_hours=1000), **no_way_round}))
    depart = 0.5
    border = depart + SYRIA  # 6.0: the crossing shuts exactly now, for 48 h
    assert_closure(open_, depart, border + crossing(40) + crossing(LAST) + IRAQ)  # 12.5 h
    assert_closure(shut, depart, border + 48 + crossing(40) + crossing(LAST) + IRAQ)  # 60.5 h
    assert shut.hours_to_force_closure - open_.hours_to_force_closure == pytest.approx(48.0)
    assert shut.diversions == 0


def test_convoys_divert_to_the_alternate_when_the_main_stays_shut_too_long():
    out = run(deterministic(closure_at_the_border(3, divert_after_hours=24)))
    border = 0.5 + SYRIA  # 6.0; the main reopens at 78.0, 72 h > 24 h away; the alternate is open 06-20
    moving_detour = (160 + 60) / 40 + 24 / 24  # 6.5 h moving with the 60 km detour
    detour = moving_detour + int(moving_detour // 2) * 15 / 60 - SYRIA  # 7.25 - 5.5 = 1.75 h
    alt = 1.0 + 40 * 3 / 60  # 3 h for 40 vehicles at the alternate
    last_crossed = border + detour + alt + 1.0 + LAST * 3 / 60  # 7.75, 10.75, then 12.0 for the last element
    assert_closure(out, 0.5, last_crossed + IRAQ)  # 16.5 h
    assert out.diversions == 2
    alternate = alternate_crossing_name()
    assert crossings_used(out) == [alternate, alternate]


def test_single_escort_team_limits_departures_to_one_per_mission():
    out = run(
        deterministic(
            {
                "cargo.classes.general.loads": 80,
                "fleet.civilian.count": 80,
                "convoys.size_max": 40,
                "escort.teams": 1,
                "escort.vehicles_per_team": 50,
            }
        )
    )
    departures = [legs["departed"] for legs in convoy_legs(out)]
    assert departures[0] == pytest.approx(10.0)  # first 40 trucks loaded in 10 h
    assert departures[1] > 20.0  # second convoy loaded at 20 h, then waits for the team
    assert out.waits["escort"] > 0


def test_single_escort_team_is_ready_after_out_back_and_rest():
    out = run(
        deterministic(
            {
                "cargo.classes.general.loads": 80,
                "fleet.civilian.count": 80,
                "convoys.size_max": 40,
                "escort.teams": 1,
                "escort.vehicles_per_team": 50,
            }
        )
    )
    mission = SYRIA + SYRIA + 10.0  # out 5.5 h, back 5.5 h, rest 10 h: 21 h
    first = 10.0  # loaded in 10 h
    second = first + mission  # loaded at 20 h, team back at 31 h
    last = second + mission  # the last element needs the team too: 52 h
    assert [legs["departed"] for legs in convoy_legs(out)] == pytest.approx([first, second, last])
    assert_closure(out, last, last + SYRIA + crossing(LAST) + IRAQ)  # 52 h, 62.5 h


def test_max_per_day_pushes_departures_to_the_next_day():
    out = run(deterministic({"cargo.classes.general.loads": 80, "fleet.civilian.count": 80, "convoys.size_max": 40, "convoys.max_per_day": 1}))
    # first convoy leaves at 10 h (day 0); the second, loaded at 20 h, waits for day 1;
    # the last element, ready when the second leaves, waits for day 2
    assert [legs["departed"] for legs in convoy_legs(out)] == pytest.approx([10.0, 24.0, 48.0])
    assert_closure(out, 48.0, 48.0 + SYRIA + crossing(LAST) + IRAQ)  # 58.5 h
    assert out.waits["departure slots"] == pytest.approx((24.0 - 20.0) + (48.0 - 24.0))


def test_political_pause_holds_departures_until_it_ends():
    out = run(deterministic({"pause.probability": 1.0, "pause.start_day": 0.25, "pause.days": 1}))
    depart = 6 + 24  # loaded at 10 h inside the pause [6 h, 30 h)
    last_crossed = depart + SYRIA + crossing(40) + crossing(LAST)  # 35.5, 37.0, 37.5
    assert_closure(out, depart, last_crossed + IRAQ)  # 30 h, 42 h
    assert out.pause
    assert out.waits["pause"] == pytest.approx(30.0 - 10.0)  # the last element only queues once the cargo has left, at 30 h


def test_a_reversal_brings_back_half_of_what_left_and_it_leaves_again():
    # 20 trucks, two trips for the 40 loads (as the second-trip case): the first convoy leaves at 5 h with 20 loads.
    # At 12 h a pause of no days brings back half of what had gone by road: 10 loads, packed again at once (pack-out
    # is far ahead). The second trip leaves at 33 h with 20 loads; the trucks are back 23 h later (56 h, as the first
    # were at 28 h) and the last 10 loads leave after ceil(10 / 4) = 3 h of loading, at 59 h.
    out = run(deterministic({"fleet.civilian.count": 20, "pause.probability": 1.0, "pause.start_day": 0.5, "pause.returned_fraction": 0.5}))
    first, second = 5.0, 33.0
    round_trip = 28.0 - first
    third = second + round_trip + math.ceil(10 / 4) * 1.0  # 59 h
    assert [legs["departed"] for legs in convoy_legs(out)][:3] == pytest.approx([first, second, third])
    last_crossed = third + SYRIA + crossing(10) + crossing(LAST)  # 64.5 border, 65.25, 65.875
    assert_closure(out, base_empty_hours=third, force_closure_hours=last_crossed + IRAQ)  # 59 h, 70.375 h
    assert (out.loads_returned, out.loads_inflow, out.loads_by_road) == (10, 0, 50)  # the 10 are counted on both trips
    assert list(out.burndown_cargo[:4]) == [40, 30, 10, 0]  # at 00:00 of days 0-3: 40 - 20 + 10 back, - 20, - 10


def test_last_element_by_sortie_leaves_after_the_last_cargo_and_a_ground_turn():
    out = run(deterministic({"people.last_element_by": "sortie", "airlift.sorties_per_day": 4, "fleet.civilian.cab_seats": 0}))
    # 80 free troops fly at 2.5 h; the cargo convoy leaves at 10 h; the 20 of the security
    # force board then and leave after the 2.5 h ground turn
    last_sortie = 10.0 + 2.5
    convoy_arrives = 10.0 + SYRIA + crossing(40) + IRAQ  # 21.5 h, later than the sortie's 13.8 h
    assert_closure(out, last_sortie, convoy_arrives)
    assert (out.sorties, out.people_by_air, out.people_by_road, out.convoys) == (2, 100, 0, 1)


def test_handed_over_cargo_does_not_move():
    out = run(deterministic({"cargo.classes.general.loads": 50, "cargo.classes.general.handed_over_fraction": 0.2}))
    # round(50 x 0.2) = 10 handed over; the other 40 leave exactly as in the one-convoy case
    assert (out.loads_at_start, out.loads_handed_over, out.loads_by_road) == (50, 10, 40)
    assert_closure(out, 10.0, 10.0 + SYRIA + crossing(40) + crossing(LAST) + IRAQ)


def test_pack_out_rate_delays_the_first_convoy():
    out = run(deterministic({"cargo.staged_at_start": 0.0, "cargo.packout_loads_per_day": 96, "convoys.size_min": 40}))
    staged = 40 / (96 / 24)  # 10 h to pack 40 loads at 4 an hour
    depart = staged + math.ceil(40 / 4) * 1.0  # 20 h
    assert_closure(out, depart, depart + SYRIA + crossing(40) + crossing(LAST) + IRAQ)  # 32 h
    assert out.waits["loading"] == pytest.approx(staged + 10.0, abs=1e-6)


def test_two_lanes_let_the_last_element_cross_alongside_the_cargo():
    out = run(deterministic({"crossing.main.lanes": 2}))
    assert_closure(out, 10.0, 10.0 + SYRIA + crossing(40) + IRAQ)  # the cargo convoy is the last to arrive: 21.5 h


def test_trucks_diverted_to_the_alternate_drive_its_detour_back():
    out = run(deterministic({**closure_at_the_border(3, divert_after_hours=24), "fleet.civilian.count": 20}))
    moving_detour = (160 + 60) / 40 + 24 / 24
    syria_by_alternate = moving_detour + int(moving_detour // 2) * 15 / 60  # 7.25 h
    at_alternate = 0.5 + syria_by_alternate  # 7.75
    arrived = at_alternate + (1.0 + 20 * 3 / 60) + IRAQ  # 2 h to cross, 14.25 h
    unloaded = arrived + math.ceil(20 / 10) * 0.75  # 15.75
    at_crossing = unloaded + IRAQ  # 20.25: the alternate has closed at 20:00, reopens at 30.0
    back = 30.0 + (1.0 + 20 * 3 / 60) * 0.5 + syria_by_alternate  # 31.0, then the detour back: 38.25
    assert at_crossing > 20.0
    assert convoy_legs(out)[0]["back"] == pytest.approx(back)


def test_convoys_without_a_minimum_size_wait_for_returning_trucks():
    out = run(deterministic({"convoys.size_min": 0, "fleet.civilian.count": 20}))
    # as in the two-trip case: second convoy at 33 h, the last element arrives at 44.625 h
    assert_closure(out, 33.0, 33.0 + SYRIA + crossing(20) + crossing(LAST) + IRAQ)


def test_cargo_no_truck_can_take_leaves_by_air_and_the_base_still_empties():
    classes = {
        "general": {"loads": 40, "carriers": ["civilian"], "priority": 1, "source": "test: general cargo"},
        "sensitive": {"loads": 30, "carriers": ["military", "air"], "priority": 0, "source": "test: sensitive cargo"},
    }
    out = run(deterministic({"cargo.classes": classes, "airlift.sorties_per_day": 1}))
    # one C-130J a day takes floor(8 / 1.7) = 4 loads: 30 loads need 8 sorties, the last at 7 x 24 + 2.5 h
    assert out.loads_by_air == 30
    assert out.finished
    assert out.hours_to_base_empty >= 7 * 24 + 2.5


def test_small_convoys_still_take_the_vehicles_out():
    out = run(deterministic({"vehicles.count": 10, "convoys.size_max": 3}))
    assert out.finished
    assert out.vehicles_by_road == 10


def test_last_element_by_sortie_waits_for_a_queued_vehicle_convoy():
    out = run(
        deterministic(
            {
                "cargo.classes.general.loads": 35,
                "vehicles.count": 20,
                "convoys.max_per_day": 1,
                "people.last_element_by": "sortie",
                "airlift.sorties_per_day": 4,
            }
        )
    )
    # convoy 1: 15 vehicles (0.3 x 50 places) + 35 trucks, loaded in ceil(35 / 4) = 9 h, leaves at 9 h;
    # convoy 2: the other 5 vehicles, queued at 9 h, may only leave on day 1 (one convoy a day)
    assert out.vehicles_by_road == 20
    assert out.hours_to_base_empty >= 24.0


def test_last_element_by_sortie_with_nobody_left_still_closes():
    out = run(deterministic({"people.security_force": 0, "people.seats_per_convoy": 100, "people.last_element_by": "sortie", "airlift.sorties_per_day": 4}))
    # the 100 troops ride the cargo convoy (leaves at 10 h); nothing is left to fly
    assert out.people_by_road == 100
    assert out.finished
    assert out.hours_to_force_closure == pytest.approx(10.0 + SYRIA + crossing(40) + IRAQ)
