"""Convoys: movement rules by convoy kind and by leg, the dispatch rules, and every queued hour charged to one cause.

Hand arithmetic from tests/test_model_verification.py: Syrian leg 5.5 h, Iraqi leg 4.5 h, main
crossing 0.5 h + 1.5 min a vehicle; an escort team is out 5.5 h, back 5.5 h and rests 10 h.
"""

from __future__ import annotations

import math

import pytest

from sim.replication import prepare, simulate_one
from tests.conftest import deterministic, scenario_from
from tests.test_model_verification import IRAQ, LAST, SYRIA, crossing, run


def convoys(out) -> list[dict]:
    return [i for i in out.timeline if i["kind"] == "convoy"]


def by_number(out, number: int) -> dict:
    return next(c for c in convoys(out) if c["number"] == number)


# --- movement rules by convoy kind and leg ------------------------------------------------------


def night_rules(iraq: list[str]):
    """Contracted convoys by day in Syria; the cargo convoy (civilian trucks) leaves at 14 h, 4 h before dusk."""
    return deterministic(
        {"route.syria.daylight_only_for": ["contracted"], "route.iraq.daylight_only_for": iraq, "loading.teams": 5, "loading.hours_per_truck": 1.75}
    )


def test_a_contracted_convoy_halts_for_the_night_while_a_military_one_drives_on():
    out = run(night_rules(iraq=[]))
    cargo, last = convoys(out)
    assert (cargo["convoy_kind"], last["convoy_kind"]) == ("contracted", "military")
    assert cargo["legs"]["border"] == pytest.approx(24 + 6 + (SYRIA - 4.0))  # 4 h before dusk, the rest from 06:00
    assert last["legs"]["border"] == pytest.approx(14.0 + SYRIA)  # the security force's vehicles drive through the night
    assert last["legs"]["arrived"] == pytest.approx(14.0 + SYRIA + crossing(LAST) + IRAQ)
    assert last["waits"] == {}


def test_a_rule_for_the_kurdistan_leg_halts_military_convoys_there_only():
    out = run(night_rules(iraq=["military"]))
    last = convoys(out)[1]
    crossed = 14.0 + SYRIA + crossing(LAST)  # 20.125 h, after dusk on the Iraqi side
    assert last["legs"]["arrived"] == pytest.approx(30.0 + IRAQ)
    assert last["waits"]["daylight"] == pytest.approx(30.0 - crossed)


def test_separate_contracted_puts_contracted_trucks_and_military_vehicles_in_convoys_of_their_own():
    out = run(deterministic({"convoys.separate_contracted": True, "vehicles.count": 10, "fleet.military.count": 10, "fleet.military.cab_seats": 0}))
    kinds = [(c["convoy_kind"], c["loads"]) for c in convoys(out) if not c["last_element"]]
    assert ("contracted", 40) in kinds
    assert all(kind == "military" for kind, loads in kinds if loads == 0)


# --- heavy items on contracted lowboys ----------------------------------------------------------

HEAVY = {
    "heavy": {"loads": 20, "carriers": ["lowboy", "het"], "priority": 1, "source": "test: heavy items a lowboy may take"},
    "outsized": {"loads": 4, "carriers": ["het"], "priority": 0, "source": "test: items only a HET takes"},
}


def test_lowboys_take_the_heavy_items_and_leave_the_outsized_to_the_hets():
    out = run(deterministic({"cargo.classes": HEAVY, "fleet.civilian.count": 0, "fleet.lowboy.count": 20, "fleet.het.count": 4, "fleet.lowboy.cab_seats": 4}))
    assert out.finished and out.loads_by_road == 24
    trucks = {c["number"]: c for c in convoys(out)}
    assert sum(c["loads"] for c in trucks.values()) == 24


def test_without_lowboys_every_heavy_item_waits_for_the_hets():
    with_lowboys = run(
        deterministic({"cargo.classes": HEAVY, "fleet.civilian.count": 0, "fleet.lowboy.count": 20, "fleet.het.count": 4, "fleet.lowboy.cab_seats": 4})
    )
    hets_only = run(
        deterministic({"cargo.classes": HEAVY, "fleet.civilian.count": 0, "fleet.lowboy.count": 0, "fleet.het.count": 4, "fleet.het.cab_seats": 20})
    )
    assert hets_only.hours_to_base_empty > with_lowboys.hours_to_base_empty + 4 * 20  # six HET round trips instead of one lift


# --- dispatch rules -----------------------------------------------------------------------------


def escort_squeeze(rule: str):
    """100 loads, 100 trucks, convoys of at most 40, each loaded in 1 h; 3 escort teams, 25 vehicles a team.

    Convoy 1 (40 trucks, 2 teams) leaves at 1 h; convoy 2 (40, 2 teams) is ready at 2 h with one
    team left; convoy 3 (20 trucks, 1 team) is ready at 3 h. The two teams are back at 1 + 21 = 22 h.
    """
    return deterministic(
        {
            "cargo.classes.general.loads": 100,
            "fleet.civilian.count": 100,
            "convoys.size_max": 40,
            "loading.teams": 40,
            "escort.teams": 3,
            "convoys.dispatch": rule,
        }
    )


def test_first_formed_holds_a_convoy_that_may_leave_behind_one_waiting_for_escort():
    out = run(escort_squeeze("first formed"))
    assert by_number(out, 3)["legs"]["departed"] == pytest.approx(22.0)
    assert by_number(out, 3)["waits"]["behind another convoy"] == pytest.approx(22.0 - 3.0)
    assert by_number(out, 2)["waits"]["escort"] == pytest.approx(22.0 - 2.0)


def test_first_ready_lets_the_convoy_with_an_escort_go():
    out = run(escort_squeeze("first ready"))
    assert by_number(out, 3)["legs"]["departed"] == pytest.approx(3.0)
    assert by_number(out, 2)["legs"]["departed"] == pytest.approx(22.0)
    assert "behind another convoy" not in by_number(out, 3)["waits"]


HET_LAST = {
    "general": {"loads": 80, "carriers": ["civilian"], "priority": 1, "source": "test: general cargo"},
    "outsized": {"loads": 10, "carriers": ["het"], "priority": 5, "source": "test: HET loads, loaded last"},
}


def slots(rule: str):
    """One departure a day: convoy 1 (40 civilian) leaves at 1 h; convoy 2 (40 civilian, ready at 2 h)
    and convoy 3 (10 HETs, ready at 3 h) wait for day 1's slot."""
    return deterministic(
        {
            "cargo.classes": HET_LAST,
            "fleet.civilian.count": 80,
            "fleet.het.count": 10,
            "convoys.size_max": 40,
            "loading.teams": 40,
            "convoys.max_per_day": 1,
            "convoys.dispatch": rule,
        }
    )


@pytest.mark.parametrize(("rule", "het_departs", "other_departs"), [("first ready", 48.0, 24.0), ("heavy first", 24.0, 48.0)])
def test_heavy_first_gives_the_het_convoy_the_next_slot(rule, het_departs, other_departs):
    out = run(slots(rule))
    assert by_number(out, 3)["legs"]["departed"] == pytest.approx(het_departs)
    assert by_number(out, 2)["legs"]["departed"] == pytest.approx(other_departs)


# --- every hour charged to one cause ------------------------------------------------------------


@pytest.mark.parametrize("rule", ["first formed", "first ready", "heavy first"])
@pytest.mark.parametrize("index", range(4))
def test_a_convoys_hours_from_forming_to_coming_back_are_work_plus_waits_by_cause(rule, index):
    prepared = prepare(scenario_from({"convoys.dispatch": rule}))
    _, out, _ = simulate_one(prepared, seed=5, index=index, trace=True)
    done = [c for c in convoys(out) if "work_hours" in c]
    assert len(done) > 10
    for c in done:
        end = c["legs"].get("back", c["legs"]["arrived"])
        assert end - c["formed"] == pytest.approx(c["work_hours"] + sum(c["waits"].values()), abs=1e-6), c
    # the convoys' own ledgers are part of the run's waits, cause by cause
    for cause, hours in out.waits.items():
        assert sum(c["waits"].get(cause, 0.0) for c in convoys(out)) <= hours + 1e-6
    assert math.isfinite(out.hours_to_base_empty)


def test_waits_for_trucks_are_told_apart_by_type_and_add_up():
    hets_short = scenario_from({"fleet.lowboy.count": 0, "fleet.het.count": 2, "cargo.classes.heavy.carriers": ["het"]})
    _, out, _ = simulate_one(prepare(hets_short), seed=5, index=0)
    assert sum(out.truck_waits.values()) == pytest.approx(out.waits["trucks"])
    assert out.truck_waits["het"] == max(out.truck_waits.values()) > 0  # two HETs for the heavy items: the convoys wait for them
    assert 0 < out.utilisation["trucks (het)"] <= 1


def test_a_wait_for_trucks_is_shared_by_the_types_the_waiting_convoy_groups_are_short_of():
    """Hand-computed: sensitive loads on 20 military trucks and general cargo on 20 contracted trucks, in convoys of
    their own. The military convoy forms at 0 and leaves at 5 (20 trucks, 4 teams, 1 h a truck), the contracted one
    forms at 5 and leaves at 10. From 10 both groups wait, each for its own trucks, until the military trucks are back
    at 28 (5 + 5.5 + 1 crossing + 4.5 + 12 back): 18 hours waited, 9 charged to each type. (Charged to the first
    group in line alone, all 18 were the military trucks' and the contracted trucks showed none, however busy.)
    At 28 the military convoy loads until 33, when the contracted trucks are back: no more wait for trucks."""
    two = {
        "general": {"loads": 40, "carriers": ["civilian"], "priority": 2, "source": "test: general cargo, contracted trucks"},
        "sensitive": {"loads": 40, "carriers": ["military"], "priority": 1, "source": "test: sensitive loads, military trucks"},
    }
    s = deterministic(
        {"cargo.classes": two, "fleet.civilian.count": 20, "fleet.military.count": 20, "fleet.military.cab_seats": 2, "convoys.separate_contracted": True}
    )
    _, out, _ = simulate_one(prepare(s), seed=5, index=0, trace=True)
    assert [c["legs"]["departed"] for c in convoys(out)[:4]] == [5.0, 10.0, 33.0, 38.0]
    assert out.waits["trucks"] == pytest.approx(18.0)
    assert out.truck_waits == pytest.approx({"civilian": 9.0, "military": 9.0, "lowboy": 0.0, "het": 0.0})


def test_a_personnel_convoy_waits_for_the_trucks_with_cab_seats():
    out = run(deterministic({"people.troops": 100, "fleet.civilian.cab_seats": 1}))
    assert out.truck_waits["civilian"] == pytest.approx(out.waits["trucks"]) and out.waits["trucks"] > 0


def test_a_replication_that_can_never_finish_says_why():
    lowboys_only = {"heavy": {"loads": 10, "carriers": ["lowboy"], "priority": 1, "source": "test: items only lowboys take"}}
    out = run(deterministic({"cargo.classes": lowboys_only, "fleet.lowboy.count": {"dist": "uniform", "low": 0, "high": 0.4}}))
    assert not out.finished and out.never_finishes.startswith("10 loads of heavy: no truck of its carriers (lowboy)")


def test_a_convoy_held_to_the_horizon_is_charged_to_the_end():
    s = deterministic({"air_cover.apaches": 4, "air_cover.share_of_convoys": 1.0, "weather.dust_day_probability": 1.0, "scenario.horizon_days": 40})
    out = run(s)  # every day is a dust day: the cargo convoy, loaded at 10 h, never gets its cover
    assert not out.finished
    assert out.waits["air cover"] == pytest.approx(40 * 24 - 10.0)


def test_the_departure_window_is_its_own_cause():
    out = run(deterministic({"convoys.departure_window": [12, 18]}))
    assert convoys(out)[0]["legs"]["departed"] == pytest.approx(12.0)
    assert out.waits["departure window"] == pytest.approx(12.0 - 10.0) and out.waits["daylight"] == 0.0
