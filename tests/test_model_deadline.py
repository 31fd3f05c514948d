"""A deadline set from above (sim.model.deadline), computed by hand on the deterministic scenario: what has not left
by the day is left behind, destroyed or handed over as the file says; sensitive loads leave first and are never
left; people, and the vehicles they need as seats, still leave; a base that empties before its deadline leaves nothing."""

from __future__ import annotations

import pytest

from sim.model.theatre import simulate
from sim.replication import record, streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import ScenarioError, validate_table
from tests.conftest import deterministic
from tests.test_model_verification import IRAQ, LAST, SYRIA, assert_closure, convoy_legs, crossing, run
from tests.theatre_tables import SRC, leg, small_base, small_theatre
from tests.theatre_tables import crossing as crossing_site


def deadline(day: float, **more: object) -> dict[str, object]:
    return {"deadline": {"day": day, "source": "test: a hand-computed date", **more}}


def left(outcome) -> dict[str, object]:
    return {k.removeprefix("left_behind."): v for k, v in outcome.columns.items() if k.startswith("left_behind.")}


def test_what_has_not_left_by_the_deadline_is_destroyed_and_the_security_force_leaves_at_the_date():
    # 80 loads, 40 trucks: the first convoy (40 loads, loaded by 4 teams in 10 h) leaves at 10 h; its trucks are not
    # back by the deadline (24 h: they unload at 21.5-24.5 h), so the other 40 loads are destroyed at 24 h and the
    # security force, the cargo gone, leaves at once: base empty 24 h, closed 24 + 5.5 + 0.625 + 4.5 = 34.625 h
    out = run(deterministic({"cargo.classes.general.loads": 80, **deadline(1)}))
    assert [legs["departed"] for legs in convoy_legs(out)] == pytest.approx([10.0, 24.0])
    assert_closure(out, 24.0, 24.0 + SYRIA + crossing(LAST) + IRAQ)
    assert out.loads_by_road == 40
    lb = left(out)
    assert (lb["loads_destroyed"], lb["loads_handed_over"], lb["class.general"], lb["total"], lb["any"]) == (40, 0, 40, 40, True)
    assert lb["deadline_day"] == 1.0 and lb["days_after_deadline"] == 0.0
    # without the date the second convoy waits for the trucks and leaves
    free = run(deterministic({"cargo.classes.general.loads": 80}))
    assert free.loads_by_road == 80 and not any(k.startswith("left_behind.") for k in free.columns)


TWO_CLASSES = {
    "cargo.classes": {
        "general": {"loads": 30, "carriers": ["civilian"], "priority": 1, "source": SRC},
        "ammunition": {"loads": 10, "carriers": ["civilian"], "priority": 2, "sensitive": True, "source": SRC},
    },
    "fleet.civilian.count": 20,
    "convoys.size_max": 20,
}
"""40 loads for 20 trucks (2 cab seats each): the ammunition's own priority (2) would send it last."""


def test_sensitive_loads_leave_first_and_troops_without_a_seat_leave_after_the_date():
    out = run(deterministic({**TWO_CLASSES, **deadline(1)}))
    # first convoy at 5 h (20 trucks, 4 teams): the 10 loads of ammunition first, then 10 general; the other 20
    # general are destroyed (the default) at 24 h, and no ammunition is left
    lb = left(out)
    assert (lb["class.ammunition"], lb["class.general"], lb["loads_destroyed"]) == (0, 20, 20)
    assert out.loads_by_road == 20
    # 40 of the 80 troops rode in the first convoy's cabs; the other 40 wait for the trucks, back at 28 h: departed 5,
    # border 10.5, crossed 11.5 (0.5 + 20 x 1.5 min), arrived 16, unloaded 17.5 (2 x 0.75 h), Iraqi leg back 22,
    # empty crossing 22.5 (half the loaded time), Syrian leg 28; then the last element, together
    legs = convoy_legs(out)
    assert legs[0]["back"] == pytest.approx(28.0)
    assert [c["people"] for c in out.timeline] == [40, 40, 20]
    assert [c["legs"]["departed"] for c in out.timeline] == pytest.approx([5.0, 28.0, 28.0])
    assert out.people_by_road == 100 and out.hours_to_base_empty == pytest.approx(28.0)
    assert lb["days_after_deadline"] == pytest.approx(4.0 / 24.0)
    # without a deadline the classes' own priority sends general cargo first
    free = run(deterministic(TWO_CLASSES))
    assert free.loads_by_road == 40 and free.timeline[0]["loads"] == 20


VEHICLES = {"cargo.classes.general.loads": 80, "vehicles.count": 40, "vehicles.crew": 2, "vehicles.seats": 4}


def test_vehicles_before_containers_fill_the_first_convoy():
    first = run(deterministic({**VEHICLES, **deadline(1, priority=["vehicles"], left="handed over")}))
    last = run(deterministic({**VEHICLES, **deadline(1, priority=["general", "vehicles"], left="handed over")}))
    # vehicles first: all 40 in the first convoy with the 10 trucks left of its 50 places; general first: their share,
    # 0.3 x 50 = 15, beside 35 trucks
    assert (first.timeline[0]["vehicles"] - first.timeline[0]["loads"], first.timeline[0]["loads"]) == (40, 10)
    assert (last.timeline[0]["vehicles"] - last.timeline[0]["loads"], last.timeline[0]["loads"]) == (15, 35)
    # in both, the 40 general loads still at the base at 24 h are handed over (the trucks are away)
    assert left(first)["loads_handed_over"] == left(last)["loads_handed_over"] == 40


def test_vehicles_the_troops_do_not_need_as_seats_are_left_and_destroyed_as_the_file_says():
    s = deterministic(
        {
            **VEHICLES,
            "cargo.classes.general.loads": 200,
            "vehicles.share_of_convoy": 0.1,
            "convoys.size_min": 20,
            **deadline(1, priority=["general", "vehicles"], left="handed over", fate={"vehicles": "destroyed"}),
        }
    )
    out = run(s)
    # first convoy at 10 h: 40 trucks and 5 vehicles (0.1 x 50) with their 10 crews; then 5 vehicles alone are fewer
    # than size_min, so the base waits for the trucks (back after 24 h). At 24 h: 160 loads handed over; 70 troops
    # (not the security force) still to leave need ceil(70 / 4) = 18 vehicles of the 35: 17 destroyed; the 18
    # leave at once with all 70 (36 crews, 34 in the spare seats), then the security force
    lb = left(out)
    assert (lb["loads_handed_over"], lb["vehicles_destroyed"], lb["class.vehicles"], lb["total"]) == (160, 17, 17, 177)
    assert [(c["people"], c["vehicles"]) for c in out.timeline] == [(10, 45), (70, 18), (20, 5)]
    assert (out.vehicles_by_road, out.people_by_road) == (23, 100)
    assert out.hours_to_base_empty == pytest.approx(24.0)


def test_a_base_that_empties_before_its_deadline_leaves_nothing_and_keeps_its_dates():
    with_date = run(deterministic(deadline(5)))
    free = run(deterministic())
    assert left(with_date)["total"] == 0 and left(with_date)["any"] is False
    assert (with_date.hours_to_base_empty, with_date.hours_to_force_closure) == (free.hours_to_base_empty, free.hours_to_force_closure)
    assert convoy_legs(with_date) == convoy_legs(free)


def _theatre(base_deadline: dict | None = None, theatre_deadline: dict | None = None) -> dict:
    a = small_base(loads=20, **({"deadline": base_deadline} if base_deadline else {}))
    table = small_theatre({"a": a, "x": crossing_site()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    if theatre_deadline:
        table["deadline"] = theatre_deadline
    return table


def test_a_theatre_deadline_applies_to_its_bases_and_a_base_s_own_replaces_it():
    # base a: 20 loads, 10 trucks; the first convoy leaves at 1 h (loading), its trucks are back at 11.5 h; at the
    # deadline (6 h) the other 10 loads are left; nobody to move, so the base is empty then
    table = _theatre(theatre_deadline={"day": 0.25, "source": SRC})
    outcome, _ = simulate(resolve(validate_table(table, "", "test"), {}), streams_for(1, 0), trace=True)
    assert outcome.hours_to_base_empty == pytest.approx(6.0)
    row = record(0, {}, outcome, 0)
    assert (row["base.a.left_behind.loads_destroyed"], row["base.a.left_behind.loads_handed_over"]) == (10, 0)
    own = _theatre({"day": 0.25, "left": "handed over", "source": SRC}, {"day": 0.5, "source": SRC})
    outcome, _ = simulate(resolve(validate_table(own, "", "test"), {}), streams_for(1, 0), trace=True)
    row = record(0, {}, outcome, 0)
    assert (row["base.a.left_behind.loads_destroyed"], row["base.a.left_behind.loads_handed_over"]) == (0, 10)
    assert row["base.a.left_behind.deadline_day"] == 0.25


@pytest.mark.parametrize(
    ("more", "field", "words"),
    [
        ({"day": 0}, r"deadline\.day", "after the start"),
        ({"day": 200}, r"deadline\.day", "never come"),
        ({"day": 5, "priority": ["vehicles", "containers"]}, r"deadline\.priority", "'containers', not a cargo class"),
        ({"day": 5, "fate": {"genral": "destroyed"}}, r"deadline\.fate", "'genral', not a cargo class"),
        ({"day": 5, "left": "sold"}, r"deadline\.left", "destroyed"),
        ({"day": 5, "priority": ["general", "general"]}, r"deadline\.priority", "more than once"),
    ],
)
def test_a_deadline_that_cannot_be_is_refused_naming_its_field(more, field, words):
    with pytest.raises(ScenarioError, match=field) as caught:
        deterministic({"deadline": {**more, "source": "test"}})
    assert words in str(caught.value)


def test_a_theatre_base_s_deadline_naming_another_base_s_class_is_refused_at_that_base():
    table = _theatre({"day": 0.25, "priority": ["heavy"], "source": SRC})
    with pytest.raises(ScenarioError, match=r"sites\.a\.deadline\.priority"):
        validate_table(table, "", "test")


def test_an_uncertain_date_is_drawn_once_a_replication_like_any_input():
    from sim.replication import prepare, simulate_one

    s = deterministic({"cargo.classes.general.loads": 80, "deadline": {"day": {"dist": "uniform", "low": 0.5, "high": 2.0}, "source": "test"}})
    prepared = prepare(s)
    # the first convoy's trucks are back at 35.25 h (unloaded 24.5, Iraqi leg 29, empty crossing 0.75 h, Syrian leg
    # 5.5 h) and load the other 40 loads at once: a date before then leaves those 40, a later one nothing
    days = []
    for index in range(8):
        values, outcome, _ = simulate_one(prepared, seed=3, index=index)
        day = values["deadline.day"]
        days.append(day)
        assert 0.5 <= day <= 2.0 and outcome.columns["left_behind.deadline_day"] == pytest.approx(day)
        assert outcome.columns["left_behind.total"] == (40 if 24 * day < 35.25 else 0)
    assert min(days) * 24 < 35.25 < max(days) * 24, "both cases drawn"


def test_a_shuttle_counts_only_the_vehicles_that_drove_out_never_those_left_behind_at_the_deadline():
    # 100 troops (10 the security force), 60 vehicles of 2 crew and 4 seats: the 90 free troops crew 45, 15 are
    # carried. 15 drive out with the first convoys (30 troops with them); at the deadline the 60 troops still free
    # need 60 / 4 = 15 vehicles as seats, so the other 15 stay for good. A shuttle for troops who come after (a
    # feeder's, a pause's reinforcements) may bring back only the 15 that drove out: counting the 15 left behind,
    # it would wait for vehicles that never reach the destination (issue: 4 of 60 theatre replications with a
    # deadline never finished, their troops without a seat).
    from sim.model.people import PeopleAndSeats

    people = PeopleAndSeats(100, 10, 60, 2, 4, 10)
    assert people.vehicles_left == 45  # 15 carried: 90 free troops crew 45
    people.vehicles_left -= 15  # 15 drove out in convoys, their crews with them
    people.vehicles_at_base -= 15
    people.garrison.leave_by_road(30)
    assert people.leave_vehicles_behind() == 30 - 15  # 60 free troops need 15 as seats
    assert people.vehicles_left_behind == 15
    assert people.vehicles_driving_out() == 15


def test_the_cut_comes_when_the_last_departure_window_before_the_date_opens():
    # a date at hour 48 (day 2) and convoys free to leave 05:00-12:00: the last window before the date opens at hour 29
    # (05:00 on day 1); a date at 07:00 on day 1 (hour 31) falls inside that same window; before the first window opens
    # (03:00 on day 0) nothing could leave earlier, and with no window the cut is the date itself
    from sim.model.calendar import NEVER, daily
    from sim.model.deadline import cut_off_hour

    window = daily(5, 12, 24 * 10)
    assert cut_off_hour(48.0, window) == 29.0
    assert cut_off_hour(31.0, window) == 29.0
    assert cut_off_hour(29.0, window) == 5.0  # a window opening at the date itself is too late to leave before it
    assert cut_off_hour(3.0, window) == 3.0
    assert cut_off_hour(48.0, NEVER) == 48.0


def test_with_a_departure_window_the_security_force_leaves_before_the_date():
    # 80 loads, 40 trucks, convoys only 05:00-12:00, a deadline on day 2 (hour 48): the first convoy leaves at 10 h, its
    # trucks are back at 35.25 h; at 29 h, when the last window before the date opens, the other 40 loads are left and
    # the security force leaves at once: base empty at 29 h, before the date. (Cut at the date itself, those 40 loads
    # would have been loaded from 35.25 h to 45.25 h and left at 53 h, when the window opens on day 2: after the date.)
    out = run(deterministic({"cargo.classes.general.loads": 80, "convoys.departure_window": [5, 12], **deadline(2)}))
    assert [legs["departed"] for legs in convoy_legs(out)] == pytest.approx([10.0, 29.0])
    assert out.hours_to_base_empty == pytest.approx(29.0) and out.loads_by_road == 40
    lb = left(out)
    assert (lb["loads_destroyed"], lb["total"], lb["deadline_day"], lb["days_after_deadline"]) == (40, 40, 2.0, 0.0)
