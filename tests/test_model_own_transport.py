"""A base's own transport (sim.model.own_transport), computed by hand on small theatres: its organic trucks
shuttle its cargo and troops without waiting for the shared pools, under the same gate and escort rules."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.theatre import simulate
from sim.replication import prepare, record, simulate_one, streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import ScenarioError, validate_table
from tests.theatre_tables import SRC, crossing, leg, small_base, small_theatre

ROADS = [leg("a", "x", 100), leg("x", "erbil", 100)]
"""a-x 2 h, the crossing 1 h a convoy (0.5 h empty), x-erbil 2 h: 5 h out, 1 h to unload 10 loads (10 teams),
4.5 h back; loading 10 loads takes 1 h (10 teams, 1 h a truck). One trip of the organic trucks: 1 + 5 + 1 + 4.5 = 11.5 h."""

ESCORTS_ONLY = {"shared": {"title": "escorts only", "escort": {"teams": 10, "source": SRC}}}
"""A shared pool with no truck at all: only the base's own can carry."""


def own(trucks: int, **extra: Any) -> dict[str, Any]:
    return {"own_transport": {"trucks": trucks, "source": SRC, **extra}}


def outpost(loads: int, trucks: int, troops: int = 0, **extra: Any) -> dict[str, Any]:
    """A small base whose general cargo military trucks may carry, with ``trucks`` organic trucks."""
    base = small_base(loads=loads, **own(trucks, **extra))
    base["cargo"]["classes"]["general"]["carriers"] = ["military"]
    base["people"] = {"troops": troops, "security_force": 0, "source": SRC}
    return base


def run(table: dict[str, Any]):
    outcome, _ = simulate(resolve(validate_table(table, "", "test"), {}), streams_for(1, 0), trace=True)
    return outcome


def convoys(outcome) -> list[dict[str, Any]]:
    return [c for c in outcome.timeline if c["kind"] == "convoy"]


def test_n_loads_on_k_own_trucks_close_after_ceil_n_over_k_trips_by_hand():
    # 25 loads, 10 organic trucks: trips of 10, 10 and 5 loads, each loaded in 1 h. The trucks leave at 1 h and
    # are back at 11.5 h, leave again at 12.5 h, back at 23 h, and the last 5 loads leave at 24 h: the base is
    # empty then (ceil(25 / 10) = 3 trips, 2 x 11.5 + 1 h) and the force closes 5 h later, at 29 h.
    out = run(small_theatre({"a": outpost(25, 10), "x": crossing()}, ROADS, ESCORTS_ONLY))
    assert [c["legs"]["departed"] for c in convoys(out)] == pytest.approx([1.0, 12.5, 24.0])
    assert [c["loads"] for c in convoys(out)] == [10, 10, 5]
    assert out.finished and out.hours_to_base_empty == pytest.approx(24.0) and out.hours_to_force_closure == pytest.approx(29.0)
    assert out.columns["own_transport_trips"] == 3 and out.columns["own_transport_loads"] == 25
    assert out.waits["trucks"] == 0.0


def test_loads_per_trip_lets_fewer_trucks_carry_the_same_loads():
    # 5 PLS with trailers, 2 loads each: the same 10 loads a trip as 10 single trucks, in convoys of 5 vehicles
    out = run(small_theatre({"a": outpost(25, 5, loads_per_trip=2), "x": crossing()}, ROADS, ESCORTS_ONLY))
    assert [c["legs"]["departed"] for c in convoys(out)] == pytest.approx([1.0, 12.5, 24.0])
    assert [(c["vehicles"], c["loads"]) for c in convoys(out)] == [(5, 10), (5, 10), (3, 5)]
    assert out.hours_to_force_closure == pytest.approx(29.0)


def test_its_trucks_carry_troops_in_their_seats_until_none_is_left():
    # 50 troops, no security force, 10 trucks of 2 seats: 20 leave on each of the first two trips, the last
    # 10 on the third (5 trucks for the 5 loads, 5 for the 10 troops: max of the two)
    out = run(small_theatre({"a": outpost(25, 10, troops=50, seats=2), "x": crossing()}, ROADS, ESCORTS_ONLY))
    assert [c["people"] for c in convoys(out)] == [20, 20, 10]
    assert out.columns["people_by_road"] == 50 and out.finished
    assert out.hours_to_base_empty == pytest.approx(24.0)


def test_troops_with_no_seat_anywhere_but_the_own_trucks_leave_on_empty_trips_when_the_cargo_is_gone():
    # 10 loads and 60 troops: the first trip takes the 10 loads and 20 troops (leaves at 1 h, back at 11.5 h); two
    # more trips of 20 troops and no cargo leave as soon as the trucks are back (nothing to load or unload: 9.5 h
    # a trip), at 11.5 h and 21 h
    out = run(small_theatre({"a": outpost(10, 10, troops=60, seats=2), "x": crossing()}, ROADS, ESCORTS_ONLY))
    assert [(c["loads"], c["people"]) for c in convoys(out)] == [(10, 20), (0, 20), (0, 20)]
    assert [c["legs"]["departed"] for c in convoys(out)] == pytest.approx([1.0, 11.5, 21.0])
    assert out.finished and out.columns["people_by_road"] == 60


def test_an_escorted_trip_waits_for_the_escort_and_an_unescorted_one_does_not():
    # one escort team that rests 100 h: it hands the first convoy over at the border at 3 h, is back at 5 h and
    # ready at 105 h, so the second trip (loaded at 12.5 h) waits until then; without escort it leaves at 12.5 h
    pools = {"shared": {"title": "one escort team", "escort": {"teams": 1, "source": SRC}}}
    escorted = small_theatre({"a": outpost(20, 10), "x": crossing()}, ROADS, pools, escort={"vehicles_per_team": 100, "rest_hours": 100, "source": SRC})
    alone = small_theatre(
        {"a": outpost(20, 10, escorted=False), "x": crossing()}, ROADS, pools, escort={"vehicles_per_team": 100, "rest_hours": 100, "source": SRC}
    )
    slow, quick = run(escorted), run(alone)
    assert [c["legs"]["departed"] for c in convoys(slow)] == pytest.approx([1.0, 105.0])
    assert slow.waits["escort"] == pytest.approx(105.0 - 12.5)
    assert [c["legs"]["departed"] for c in convoys(quick)] == pytest.approx([1.0, 12.5])
    assert quick.waits["escort"] == 0.0


def test_a_small_base_with_its_own_trucks_leaves_without_waiting_for_the_pool_another_base_holds():
    # The shared pool's 10 contracted trucks start at A (listed first) and A keeps them while it has cargo (20 loads:
    # two trips, back at 11.5 h and 23 h). B's 10 loads go on B's own 10 trucks at 1 h; without them, B waits for
    # A's trucks to be done (they drive over after A's second trip).
    a = small_base(loads=30)
    b_own = outpost(10, 10)
    b_own["cargo"]["classes"]["general"]["carriers"] = ["civilian", "military"]
    b_pool = small_base(loads=10)
    sites = [leg("a", "x", 100), leg("b", "x", 100), leg("a", "b", 50), leg("x", "erbil", 100)]
    with_own = run(small_theatre({"a": a, "b": b_own, "x": crossing(lanes=2)}, sites)).theatre.bases["b"]  # two lanes: A's and B's
    without = run(small_theatre({"a": a, "b": b_pool, "x": crossing(lanes=2)}, sites)).theatre.bases["b"]  # first convoys cross side by side
    assert with_own.hours_to_base_empty == pytest.approx(1.0) and with_own.hours_to_force_closure == pytest.approx(6.0)
    assert without.hours_to_base_empty > 24.0 and without.waits["trucks"] > 20.0


def test_a_base_with_cargo_only_its_own_trucks_may_carry_never_waits_for_ever():
    # military cargo, no military truck in any pool: without own transport the load check refuses it; with
    # 1 own truck, 3 loads leave on three trips (1 h, 12.5 h... each trip 11.5 h): never stuck
    out = run(small_theatre({"a": outpost(3, 1), "x": crossing()}, ROADS, ESCORTS_ONLY))
    assert out.finished and out.columns["never_finishes"] == "" and len(convoys(out)) == 3
    # one load on one truck: loading 1 h, unloading 1 h, the same 11.5 h cycle
    assert [c["legs"]["departed"] for c in convoys(out)] == pytest.approx([1.0, 12.5, 24.0])


def test_the_columns_of_a_theatre_give_each_base_s_own_trips():
    table = small_theatre({"a": outpost(25, 10), "x": crossing()}, ROADS, ESCORTS_ONLY)
    outcome, events = simulate(resolve(validate_table(table, "", "test"), {}), streams_for(1, 0))
    row = record(0, {}, outcome, events)
    assert row["base.a.own_transport_trips"] == 3 and row["base.a.own_transport_loads"] == 25


@pytest.mark.parametrize(("field", "value", "words"), [("loads_per_trip", 0, "at least 1"), ("trucks", -1, "")])
def test_a_bad_own_transport_is_refused_naming_the_field(field, value, words):
    base = outpost(25, 10)
    base["own_transport"][field] = value
    table = small_theatre({"a": base, "x": crossing()}, ROADS, ESCORTS_ONLY)
    with pytest.raises(ScenarioError, match=rf"sites\.a\.own_transport\.{field}(.|\n)*{words}"):
        validate_table(table, "", "test")


def test_a_theatre_refuses_own_transport_at_its_top():
    table = small_theatre({"a": outpost(25, 10), "x": crossing()}, ROADS, ESCORTS_ONLY)
    table["own_transport"] = {"trucks": 4, "source": SRC}
    with pytest.raises(ScenarioError, match=r"`own_transport` is a one-base group"):
        validate_table(table, "", "test")


def test_without_own_transport_military_cargo_and_no_military_truck_is_refused_at_load():
    base = outpost(25, 10)
    del base["own_transport"]
    with pytest.raises(ScenarioError, match=r"carriers"):
        validate_table(small_theatre({"a": base, "x": crossing()}, ROADS, ESCORTS_ONLY), "", "test")


def test_a_one_base_file_takes_own_transport_at_its_top(deterministic):
    # the deterministic one-base scenario (40 loads, 40 civilian trucks) with military cargo of 10 loads that
    # only 10 organic trucks may carry: the organic trucks take those 10, the civilian trucks the 40
    military = {"loads": 10, "carriers": ["military"], "priority": 1, "source": SRC}
    general = {"loads": 40, "carriers": ["civilian"], "priority": 1, "source": SRC}
    classes = {"general": general, "kit": military}
    out, _ = simulate(resolve(deterministic({"cargo.classes": classes, "own_transport": {"trucks": 10, "source": SRC}}), {}), streams_for(1, 0), trace=True)
    assert out.finished and out.columns["own_transport_trips"] == 1 and out.columns["own_transport_loads"] == 10
    assert out.columns["loads_by_road"] == 50 and not math.isnan(out.hours_to_force_closure)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    loads=st.lists(st.integers(0, 40), min_size=3, max_size=3),
    troops=st.lists(st.integers(0, 40), min_size=3, max_size=3),
    own_trucks=st.lists(st.integers(0, 6), min_size=3, max_size=3),
    loads_per_trip=st.integers(1, 3),
    seats=st.integers(0, 3),
    escorted=st.booleans(),
    pool_military=st.integers(0, 3),
    hub=st.booleans(),
    same=st.sampled_from([0.0, 0.5, 1.0]),
    seed=st.integers(0, 1000),
)
def test_random_theatres_with_own_trucks_finish_lose_nothing_and_more_own_trucks_never_strand_a_base(
    loads, troops, own_trucks, loads_per_trip, seats, escorted, pool_military, hub, same, seed
):
    """Three bases, each perhaps with organic trucks, one perhaps a hub the others feed, B perhaps A under another
    name: every replication finishes (or, never, says why), each base conserves its cargo and people (checked inside
    the model), and one more organic truck at every base never turns a finished replication into an unfinished one."""

    def table(extra_trucks: int) -> dict[str, Any]:
        def base(i: int, **extra: Any) -> dict[str, Any]:
            b = small_base(loads=loads[i], **extra)
            b["people"] = {"troops": troops[i], "security_force": troops[i] // 4, "seats_per_convoy": 10, "source": SRC}
            b["cargo"]["classes"]["general"]["carriers"] = ["civilian", "military"]
            b["cargo"]["classes"]["kit"] = {"loads": loads[i] // 3, "carriers": ["military"], "source": SRC}
            n = own_trucks[i] + extra_trucks
            if n:
                b["own_transport"] = {"trucks": n, "loads_per_trip": loads_per_trip, "seats": seats, "escorted": escorted, "source": SRC}
            elif pool_military == 0:
                b["cargo"]["classes"]["kit"]["carriers"] = ["civilian"]  # no military truck anywhere: contracted ones take it
            return b

        b_extra: dict[str, Any] = {} if hub else {"same_place_as": "a", "same_place": same}
        sites = {
            "a": base(0, send_to="c") if hub else base(0),
            "b": base(1, **b_extra),
            "c": base(2, kind="hub") if hub else base(2),
            "x": crossing(lanes=2),
        }
        roads = [leg("a", "c", 60), leg("b", "c", 80), leg("c", "x", 100), leg("b", "x", 150), leg("a", "x", 120), leg("x", "erbil", 120)]
        fleet: dict[str, Any] = {"civilian": {"count": 8, "source": SRC}}
        if pool_military:
            fleet["military"] = {"count": pool_military, "source": SRC}
        pools = {"shared": {"title": "shared", "fleet": fleet, "escort": {"teams": 3, "source": SRC}}}
        t = small_theatre(sites, roads, pools)
        t["convoys"]["size_min"] = 2
        t["fleet"]["civilian"] = {"cab_seats": 1, "source": SRC}
        return t

    outcomes = []
    for extra in (0, 1):
        _, outcome, _ = simulate_one(prepare(validate_table(table(extra), "", "test")), seed, 0)
        theatre = outcome.theatre
        for name, o in theatre.bases.items():
            if not theatre.leaves[name]:  # B drawn to be A: it sends nothing, A moves its cargo and people
                continue
            assert o.finished or o.columns["never_finishes"], name
            assert o.loads_by_road + o.loads_by_air == o.loads_at_start - o.loads_handed_over + o.loads_inflow, name
            assert o.people_by_road + o.people_by_air == o.people_at_start + o.people_inflow, name
        outcomes.append(theatre.finished)
    assert outcomes[0], "a theatre whose every class has a carrier finishes"
    assert outcomes[1] or not outcomes[0], "one more organic truck at every base stranded a replication"
