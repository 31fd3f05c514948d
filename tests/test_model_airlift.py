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


def two_strips(first: dict[str, object], second: dict[str, object], **overrides: object):
    """The airlift scenario with its one strip written as two (``[[airlift]]``), each changed by its own fields."""
    strip = {k: v for k, v in airlift().airlift.model_dump(exclude_none=True).items()}  # type: ignore[union-attr]
    strips = [{**strip, **first}, {**strip, **second}]
    return deterministic(
        {
            "cargo.classes": AIR_ONLY,
            "people.troops": 20,
            "people.last_element_by": "sortie",
            "airlift": strips,
            **overrides,
        }
    )


def test_two_strips_each_fly_their_own_rhythm_from_the_same_staged_cargo():
    """Strip A plans 4 sorties a day (one every 6 h), strip B 3 (every 8 h); one place each, 2.5 h on the ground,
    4 loads and 90 seats a sortie, 40 air-only loads, 200 troops of whom 20 are the security force.

    Landings: A at 0, 6, 12, 18, 24, 30; B at 0, 8, 16, 24 (each takes 4 loads, 36 by hour 24, the last 4 at 30).
    Take-offs 2.5 h later: by hour 24, A's 2.5, 8.5, 14.5, 20.5 and B's 2.5, 10.5, 18.5 = 7 sorties, 28 loads; the two
    first sorties seat 90 + 90 troops. The last cargo leaves at 32.5 (A); the security force then flies from A, the
    first strip, on its next landing at 36: base empty at 38.5 h."""
    out = run(two_strips({"sorties_per_day": 4}, {"sorties_per_day": 3}, **{"people.troops": 200}))
    sorties = [(i["legs"]["departed"], i["loads"], i["people"]) for i in out.timeline if i["kind"] == "sortie"]
    assert [t for t, _, _ in sorties] == pytest.approx([2.5, 2.5, 8.5, 10.5, 14.5, 18.5, 20.5, 26.5, 26.5, 32.5, 38.5])
    assert sum(loads for t, loads, _ in sorties if t <= 24) == 28 and sum(people for t, _, people in sorties if t <= 24) == 180
    assert list(out.burndown_cargo[:3]) == [40, 40 - 28, 0]  # at hours 0, 24 and 48
    assert list(out.burndown_people[:3]) == [200, 20, 0]
    assert out.days_to_base_empty * 24 == pytest.approx(38.5)
    assert out.columns["sorties"] == 11  # both strips' sorties, counted once each
    # the strips' places: A busy 7 x 2.5 h, B 4 x 2.5 h, of 2 places x 38.5 h
    assert out.utilisation["airlift"] == pytest.approx((7 + 4) * 2.5 / (2 * 38.5))


def test_a_strip_that_cannot_fly_leaves_the_other_to_carry_everything():
    """Strip B plans sorties but has no aircraft place: the loader refuses it, naming that strip's field."""
    from sim.scenario.loading import ScenarioError

    with pytest.raises(ScenarioError, match=r"the 2nd \[\[airlift\]\], field runway_m \(airlift\.1\.runway_m\): must be >= 0"):  # the strip, not a branch
        two_strips({}, {"runway_m": -5})
    with pytest.raises(ScenarioError, match=r"\(airlift\.1\.sortie_per_day\): unknown field; did you mean `sorties_per_day`"):
        two_strips({}, {"sortie_per_day": 3})
    with pytest.raises(ScenarioError, match=r"airlift\.1\.max_on_ground"):
        two_strips({"sorties_per_day": 4}, {"sorties_per_day": 3, "max_on_ground": 0})
    out = run(two_strips({"sorties_per_day": 4}, {"sorties_per_day": 0}))  # B plans none: A flies the 10 sorties alone, every 6 h
    assert cargo_sorties(out) == pytest.approx([6 * k + 2.5 for k in range(10)])


def test_each_strip_waits_for_its_own_aircraft():
    """One aircraft on each shuttle (6.1 h round trip), sorties planned every hour: the two strips together turn two
    sorties a cycle, and the sortie-hours waiting for an aircraft add up over both."""
    out = run(two_strips({"sorties_per_day": 24, "aircraft": 1}, {"sorties_per_day": 24, "aircraft": 1}))
    cycle = 2.5 + 2 * 1.3 + 1.0
    assert cargo_sorties(out) == pytest.approx(sorted([cycle * k + 2.5 for k in range(5)] * 2))
    one_strip = run(airlift(max_on_ground=1, aircraft=1))
    assert out.days_to_base_empty < one_strip.days_to_base_empty  # the same cargo, twice the shuttle


def theatre_with_two_strips_at_qasrak(tmp_path, second: tuple[str, str] = ("", "")) -> object:
    """The shipped theatre with Qasrak's strip written twice, as an array of tables; ``second`` (old, new) edits the second copy."""
    from pathlib import Path

    from sim.scenario.loading import load_scenario

    text = (Path(__file__).resolve().parents[1] / "scenarios" / "syria_2026_theatre.toml").read_text()
    start = text.index("[sites.qasrak.airlift]\n")
    end = text.index("\n[", text.index("[sites.qasrak.airlift.c17]")) + 1
    block = text[start:end].replace("[sites.qasrak.airlift]", "[[sites.qasrak.airlift]]")
    second_block = block.replace(*second) if second[0] else block
    path = tmp_path / "two_strips.toml"
    path.write_text(text[:start] + block + "\n" + second_block + text[end:])
    return load_scenario(path).scenario


def test_a_theatre_base_may_have_two_strips_and_its_sorties_count_both(tmp_path):
    from sim.replication import prepare, simulate_one

    two = theatre_with_two_strips_at_qasrak(tmp_path)
    strips = two.bases["qasrak"].airlift
    assert isinstance(strips, list) and len(strips) == 2
    sorties = []
    for index in range(3):
        _, qasrak, _ = simulate_one(prepare(two), seed=7, index=index, trace=True)  # the main base's outcome
        flown = [i for i in qasrak.timeline if i["kind"] == "sortie"]
        assert qasrak.columns["sorties"] == len(flown) > 0  # every sortie of both strips, once (conservation is checked inside)
        sorties.append(len(flown))
    assert any(n > 0 for n in sorties)


def test_a_theatre_strip_that_cannot_fly_is_named_with_its_base_and_index(tmp_path):
    from sim.scenario.loading import ScenarioError

    with pytest.raises(ScenarioError, match=r"sites\.qasrak\.airlift\.1\.max_on_ground"):
        theatre_with_two_strips_at_qasrak(tmp_path, second=('max_on_ground = {dist = "choice", values = [1, 2]}', "max_on_ground = 0"))
