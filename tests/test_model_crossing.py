"""The border crossing on the way back: empty trucks choose their crossing as loaded convoys do.

Hand arithmetic from tests/test_model_verification.py: Syrian leg 5.5 h, Iraqi leg 4.5 h,
main crossing 0.5 h + 1.5 min a vehicle, alternate 1 h + 3 min a vehicle (open 06-20,
a 60 km detour: 7.25 h on the Syrian leg), empty trucks clear in half the time.
"""

from __future__ import annotations

import pytest

from tests.conftest import deterministic
from tests.test_model_verification import IRAQ, LAST, SYRIA, alternate_crossing_name, assert_closure, convoy_legs, crossing, crossings_used, run

ALT = 1.0  # h a convoy at the alternate, plus 3 min a vehicle
ALT_SYRIA = (160 + 60) / 40 + 24 / 24 + 3 * 15 / 60  # 7.25 h by the detour


def closed_when_the_trucks_come_back(divert_after_hours: float) -> dict[str, object]:
    """20 trucks, two trips; the main crossing shuts at 18 h for 10 days, after the loaded convoy crossed at 11.5 h."""
    return {
        "fleet.civilian.count": 20,
        "crossing.main.scheduled_closures": [{"start_day": 0.75, "days": 10, "source": "test: shut behind the first convoy"}],
        "crossing.divert_after_hours": divert_after_hours,
    }


def test_empty_trucks_divert_to_the_open_alternate_instead_of_waiting_out_the_closure():
    out = run(deterministic(closed_when_the_trucks_come_back(24)))
    unloaded = 5.0 + SYRIA + crossing(20) + IRAQ + 2 * 0.75  # 17.5 h
    at_border = unloaded + IRAQ  # 22.0 h: the main is shut until 258 h, the alternate opens at 30 h (06:00)
    through = 30.0 + (ALT + 20 * 3 / 60) * 0.5  # 31.0 h
    back = through + ALT_SYRIA  # 38.25 h
    second = back + 5.0  # loaded at 43.25 h; it and the last element divert too
    at_alternate = second + ALT_SYRIA  # 50.5 h; the alternate opens at 54 h
    last_crossed = 54.0 + ALT + 20 * 3 / 60 + ALT + LAST * 3 / 60  # the cargo convoy, then the last element: 57.25 h
    assert_closure(out, base_empty_hours=second, force_closure_hours=last_crossed + IRAQ)
    assert at_alternate < 54.0
    assert out.return_diversions == 2 and out.diversions == 2  # both returns meet the shut main crossing
    detour = ALT_SYRIA - SYRIA  # 1.75 h, charged to the crossing
    first_return = (30.0 - at_border) + detour  # 8 h at the shut alternate, not at the main for 236 h
    second_out = detour + (54.0 - at_alternate)  # waits for the alternate to open
    last_element = detour + (54.0 + ALT + 20 * 3 / 60 - at_alternate)  # and for the lane the cargo convoy holds
    second_return = detour  # at the border from Iraq at 66.5 h, when the alternate is open
    assert out.waits["crossing"] == pytest.approx(first_return + second_out + last_element + second_return)
    assert out.waits["trucks"] == pytest.approx(back - 5.0)  # the second convoy waits for the trucks' round trip, 33.25 h, not 270 h


def test_without_diversion_the_empty_trucks_wait_out_the_whole_closure():
    # no lane at the alternate: the closure, known when the trucks set out back, would otherwise route them there
    out = run(deterministic({**closed_when_the_trucks_come_back(1000), "crossing.alternate.lanes": 0}))
    reopened = 18.0 + 240.0
    back = reopened + crossing(20) * 0.5 + SYRIA  # 264.25 h
    assert out.hours_to_base_empty == pytest.approx(back + 5.0)
    assert out.return_diversions == 0


def test_a_convoy_queued_when_a_scheduled_closure_starts_diverts_instead_of_waiting_it_out():
    # Two cargo convoys of 20 trucks (loaded 0.5 h apart by 40 teams) and the last element: at the border at 6.0 h,
    # 6.5 h and 6.5 h. The main crossing shuts at 7.5 h for 10 days; routed at 0.5 h and 1.0 h, each convoy's own
    # passage (6.0-7.0, 6.5-7.5, 6.5-7.125 h) ends before it, so none is routed round: only the queue makes them late.
    out = run(
        deterministic(
            {
                "loading.teams": 40,
                "loading.hours_per_truck": 0.5,
                "convoys.size_max": 20,
                "crossing.main.scheduled_closures": [{"start_day": 7.5 / 24, "days": 10, "source": "test: shuts behind the first convoy"}],
                "crossing.divert_after_hours": 24,
            }
        )
    )
    first = 0.5 + SYRIA + crossing(20)  # through the main crossing at 7.0 h
    # at 7.5 h the second convoy, cleared since 7.0 h, and the last element, queued since 6.5 h, are not through:
    # the main reopens at 247.5 h (240 h > 24 h away), the alternate is open: both leave for it
    at_alternate = 7.5 + (ALT_SYRIA - SYRIA)  # 9.25 h, both, after the 1.75 h detour
    both_through = at_alternate + (ALT + 20 * 3 / 60) + (ALT + LAST * 3 / 60)  # 2 h and 1.25 h on its one lane: 12.5 h
    assert_closure(out, base_empty_hours=1.0, force_closure_hours=both_through + IRAQ)  # 17.0 h, not 253.125 h
    alternate = alternate_crossing_name()
    assert crossings_used(out) == [deterministic().crossing.main.name, alternate, alternate]
    crossed = sorted(leg["crossed"] for leg in convoy_legs(out))  # either may clear the alternate first
    assert crossed[0] == pytest.approx(first) and crossed[2] == pytest.approx(both_through)
    assert out.diversions == 2
    last_element = next(item for item in out.timeline if item["kind"] == "convoy" and "return crossing" not in item["legs"])
    at_the_alternate = last_element["legs"]["crossed"] - (ALT + LAST * 3 / 60) - at_alternate  # 0 or 2 h behind the other
    queued_at_main = 7.5 - 6.5
    assert last_element["waits"]["crossing"] == pytest.approx(queued_at_main + (ALT_SYRIA - SYRIA) + at_the_alternate)


def test_a_known_closure_routes_the_convoy_to_the_open_alternate_when_it_arrives_sooner():
    # The main crossing is shut (scheduled) until 36 h. Both convoys leave at 10 h; by the main crossing they would
    # reach it at 15.5 h and wait 20.5 h there (under the 24 h that makes one arriving divert); they go by the alternate.
    out = run(
        deterministic({"crossing.main.scheduled_closures": [{"start_day": 0, "days": 1.5, "source": "test: known closure"}], "crossing.divert_after_hours": 24})
    )
    by_main = 36.0 + crossing(40) + crossing(LAST) + IRAQ  # what the convoys did before: 42.625 h
    at_alternate = 10.0 + ALT_SYRIA  # 17.25 h
    cargo = 30.0 + (ALT + 40 * 3 / 60) - (20.0 - at_alternate)  # 2.75 h cleared by 20:00, the last 0.25 h from 06:00: 30.25 h
    last_element = cargo + ALT + LAST * 3 / 60  # 31.5 h, behind it on the one lane
    assert_closure(out, base_empty_hours=10.0, force_closure_hours=last_element + IRAQ)  # 36.0 h
    assert last_element + IRAQ < by_main
    assert crossings_used(out) == [alternate_crossing_name()] * 2
    assert [leg["border"] for leg in convoy_legs(out)] == pytest.approx([at_alternate, at_alternate])
    assert out.diversions == 2  # both took another crossing than the quickest road's, for the closure
    detour = ALT_SYRIA - SYRIA  # 1.75 h more on the road, charged to the crossing
    assert out.waits["crossing"] == pytest.approx(2 * detour + (30.0 - 20.0) + (cargo - at_alternate))


def test_a_known_closure_over_before_the_convoys_arrive_changes_no_route():
    # Routing counts only the hours a known closure would keep a convoy at the crossing: none here (the convoys
    # reach it at 15.5 h).
    before = run(deterministic({"crossing.main.scheduled_closures": [{"start_day": 0, "days": 0.5, "source": "test: over at 12 h"}]}))
    assert crossings_used(before) == [deterministic().crossing.main.name] * 2
    assert before.diversions == 0


def test_empty_trucks_go_round_a_known_closure_they_would_not_divert_from_on_arrival():
    # The main crossing is shut (scheduled) from 18 h to 42 h. The empty trucks of the first trip, unloaded at 17.5 h,
    # would reach it at 22 h and wait 20 h (under the 24 h that makes one arriving divert); known when they set out,
    # the closure sends them by the alternate, open at 06:00.
    out = run(
        deterministic(
            {
                "fleet.civilian.count": 20,
                "crossing.main.scheduled_closures": [{"start_day": 0.75, "days": 1, "source": "test: shut behind the first convoy"}],
                "crossing.divert_after_hours": 24,
            }
        )
    )
    unloaded = 5.0 + SYRIA + crossing(20) + IRAQ + 2 * 0.75  # 17.5 h
    back = 30.0 + (ALT + 20 * 3 / 60) * 0.5 + ALT_SYRIA  # through the alternate at 31.0 h, home at 38.25 h
    by_main = 42.0 + crossing(20) * 0.5 + SYRIA  # 48.0 h, as before
    assert back < by_main
    second = back + 5.0  # loaded at 43.25 h; the main crossing is open again: both convoys take it
    last_crossed = second + SYRIA + crossing(20) + crossing(LAST)  # 50.375 h
    assert_closure(out, base_empty_hours=second, force_closure_hours=last_crossed + IRAQ)  # 54.875 h, not 64.625 h
    assert convoy_legs(out)[0]["back"] == pytest.approx(back)
    assert out.return_diversions == 1 and out.diversions == 0
    assert 42.0 - (unloaded + IRAQ) == pytest.approx(20.0)  # by the main crossing: 20 h before it reopens
