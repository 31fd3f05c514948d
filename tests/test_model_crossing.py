"""The border crossing on the way back: empty trucks choose their crossing as loaded convoys do.

Hand arithmetic from tests/test_model_verification.py: Syrian leg 5.5 h, Iraqi leg 4.5 h,
main crossing 0.5 h + 1.5 min a vehicle, alternate 1 h + 3 min a vehicle (open 06-20,
a 60 km detour: 7.25 h on the Syrian leg), empty trucks clear in half the time.
"""

from __future__ import annotations

import pytest

from tests.conftest import deterministic
from tests.test_model_verification import IRAQ, LAST, SYRIA, assert_closure, crossing, run

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
    out = run(deterministic(closed_when_the_trucks_come_back(1000)))
    reopened = 18.0 + 240.0
    back = reopened + crossing(20) * 0.5 + SYRIA  # 264.25 h
    assert out.hours_to_base_empty == pytest.approx(back + 5.0)
    assert out.return_diversions == 0
