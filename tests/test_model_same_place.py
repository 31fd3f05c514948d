"""Uncertain sites (sim.model.shared, sim.model.sites.one_place): two names that may be one place, drawn per
replication, merge into one base; a base that may already be empty (``leaves``) draws as before."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import simpy

from sim.model.theatre import Theatre, simulate
from sim.replication import record, streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import ScenarioError, validate_table
from tests.theatre_tables import SRC, crossing, leg, small_base, small_theatre

ROADS = [leg("a", "x", 100), leg("b", "x", 100), leg("c", "x", 100), leg("x", "erbil", 100)]


def people(troops: int, security: int) -> dict[str, Any]:
    return {"troops": troops, "security_force": security, "source": SRC}


def theatre(same_place: float, **b_extra: Any) -> dict[str, Any]:
    """A with 10 loads, B with 15 loads that may be A under another name; C with 5 loads that may already be empty."""
    a = small_base(loads=10)
    b = small_base(loads=15, same_place_as="a", same_place=same_place, **b_extra)
    c = small_base(loads=5, leaves=0.5)
    return small_theatre({"a": a, "b": b, "c": c, "x": crossing(lanes=3)}, ROADS)


def drawn(table: dict[str, Any], n: int, seed: int = 7) -> tuple[list[dict[str, str]], list[dict[str, bool]]]:
    """The same-place and leaves draws of ``n`` replications (shared parts only, no base built)."""
    scenario = resolve(validate_table(table, "", "test"), {})
    same, leaves = [], []
    for i in range(n):
        t = Theatre(simpy.Environment(), scenario, streams_for(seed, i), build=False)
        same.append(dict(t.shared.same_place))
        leaves.append(dict(t.leaves))
    return same, leaves


def test_the_same_place_draw_comes_out_at_its_probability():
    same, _ = drawn(theatre(0.3), 2000)
    share = np.mean([s == {"b": "a"} for s in same])
    assert abs(share - 0.3) < 4 * np.sqrt(0.3 * 0.7 / 2000)  # within four standard errors (0.041)
    assert all(s in ({}, {"b": "a"}) for s in same)


def test_the_leaves_draws_are_the_same_bits_with_or_without_a_same_place_draw():
    # the same-place draws come after every `leaves` draw on the phasing stream: C's draws do not move
    _, with_it = drawn(theatre(0.3), 200)
    plain = theatre(0.3)
    del plain["sites"]["b"]["same_place_as"]
    _, without = drawn(plain, 200)
    assert [d["c"] for d in with_it] == [d["c"] for d in without]


def test_one_place_merges_cargo_and_people_into_the_base_it_is_and_the_other_name_sends_nothing():
    # by hand: B (15 loads, 30 troops of whom 5 stay to the end) is A (10 loads, 20 troops, 5 security): one
    # base of 25 loads, 50 troops, 10 security; B is counted as not left
    table = theatre(1.0, people=people(30, 5))
    table["sites"]["a"]["people"] = people(20, 5)
    table["sites"]["c"]["leaves"] = 1.0
    for site in ("a", "b"):
        table["sites"][site]["vehicles"] = {"count": 0, "source": SRC}
    table["fleet"]["civilian"] = {"cab_seats": 2, "source": SRC}
    table["pools"]["shared"]["fleet"]["civilian"]["count"] = 30
    table["convoys"]["size_max"] = 30
    outcome, events = simulate(resolve(validate_table(table, "", "test"), {}), streams_for(1, 0))
    th = outcome.theatre
    a = th.bases["a"].columns
    assert (a["loads_at_start"], a["people_at_start"]) == (25, 50)
    assert a["loads_by_road"] == 25 and a["people_by_road"] == 50
    assert th.leaves["b"] is False and th.bases["b"].columns["loads_by_road"] == 0
    assert th.finished
    row = record(0, {}, outcome, events)
    assert row["base.b.same_place_as"] == "a" and not row["base.b.leaves"]


def test_two_separate_places_keep_their_own_cargo():
    outcome, _ = simulate(resolve(validate_table(theatre(0.0), "", "test"), {}), streams_for(1, 0))
    th = outcome.theatre
    assert th.bases["a"].columns["loads_at_start"] == 10 and th.bases["b"].columns["loads_at_start"] == 15
    assert th.same_place == {"b": ""}


def test_the_handed_over_share_of_a_merged_class_is_weighted_by_loads():
    # A: 10 loads, 20% handed over (2); B: 30 loads, 10% (3): 40 loads, 5 handed over (12.5%)
    table = theatre(1.0)
    table["sites"]["a"]["cargo"]["classes"]["general"]["handed_over_fraction"] = 0.2
    table["sites"]["b"]["cargo"]["classes"]["general"].update(loads=30, handed_over_fraction=0.1)
    outcome, _ = simulate(resolve(validate_table(table, "", "test"), {}), streams_for(1, 0))
    a = outcome.theatre.bases["a"].columns
    assert (a["loads_at_start"], a["loads_handed_over"], a["loads_by_road"]) == (40, 5, 35)


@pytest.mark.parametrize(
    ("name", "words"),
    [("b", "cannot be another name for itself"), ("nowhere", "no base named 'nowhere'"), ("x", "no base named 'x'")],
)
def test_same_place_as_must_name_another_base(name, words):
    table = theatre(0.5)
    table["sites"]["b"]["same_place_as"] = name
    with pytest.raises(ScenarioError, match=rf"sites\.b\.same_place_as(.|\n)*{words}"):
        validate_table(table, "", "test")


def test_a_chain_of_names_is_refused():
    table = theatre(0.5)
    table["sites"]["c"]["same_place_as"] = "b"
    with pytest.raises(ScenarioError, match=r"sites\.c\.same_place_as(.|\n)*may itself be 'a'"):
        validate_table(table, "", "test")


def test_a_replication_has_the_same_columns_whichever_reading_it_drew():
    # B has organic trucks (and 4 loads of kit only military trucks carry): A reports their columns whether or
    # not this replication made B and A one place
    rows = []
    for p in (0.0, 1.0):
        table = theatre(p, own_transport={"trucks": 2, "source": SRC})
        table["sites"]["b"]["cargo"]["classes"]["kit"] = {"loads": 4, "carriers": ["military"], "source": SRC}
        outcome, events = simulate(resolve(validate_table(table, "", "test"), {}), streams_for(1, 0))
        rows.append(record(0, {}, outcome, events))
    assert rows[0].keys() == rows[1].keys()
    assert rows[0]["base.a.own_transport_trips"] == 0 and rows[1]["base.a.own_transport_trips"] > 0
