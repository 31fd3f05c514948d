"""Event order in the traced timeline: legs in sequence, the last element last, daylight respected."""

from __future__ import annotations

import pytest

from sim.model.evacuation import Outcome
from sim.replication import prepare, simulate_one
from tests.conftest import deterministic, scenario_from

SEED = 7
LEGS = ("departed", "border", "crossed", "arrived", "back")


def traced(overrides: dict[str, object], index: int) -> Outcome:
    _, outcome, _ = simulate_one(prepare(scenario_from(overrides)), SEED, index, trace=True)
    return outcome


def convoys(outcome: Outcome) -> list[dict]:
    return [item for item in outcome.timeline if item["kind"] == "convoy"]


def last_element(outcome: Outcome) -> dict:
    """The convoy of the security force, in its own vehicles."""
    (item,) = [c for c in convoys(outcome) if c["last_element"]]
    return item


@pytest.mark.parametrize("index", range(8))
def test_each_convoy_departs_reaches_the_border_crosses_arrives_and_returns_in_order(index):
    out = traced({}, index)
    assert convoys(out)
    for convoy in convoys(out):
        times = [convoy["legs"][leg] for leg in LEGS if leg in convoy["legs"]]
        assert times == sorted(times), convoy
        assert {"departed", "border", "crossed", "arrived"} <= convoy["legs"].keys()


@pytest.mark.parametrize("index", range(8))
def test_last_element_convoy_departs_after_every_cargo_convoy_and_sortie(index):
    out = traced({}, index)
    last = last_element(out)["legs"]["departed"]
    assert out.hours_to_base_empty == pytest.approx(last)
    assert all(item["legs"]["departed"] <= last for item in out.timeline)


@pytest.mark.parametrize("index", range(8))
def test_no_convoy_departs_outside_the_departure_window_of_its_kind(index):
    out = traced({"convoys.daylight_only": True, "convoys.departure_window": [5, 12], "convoys.daylight": [6, 18]}, index)
    # contracted convoys move in daylight only on the Syrian leg: the overlap of [5, 12) and daylight [6, 18);
    # military convoys may move at night there, so the departure window alone
    opens = {"contracted": 6.0, "military": 5.0}
    kinds = {convoy["convoy_kind"] for convoy in convoys(out)}
    assert kinds == {"contracted", "military"}
    for convoy in convoys(out):
        hour = convoy["legs"]["departed"] % 24
        assert opens[convoy["convoy_kind"]] <= hour < 12.0, convoy


def test_sorties_keep_their_cadence():
    out = traced({}, 0)
    sorties = [item["legs"]["departed"] for item in out.timeline if item["kind"] == "sortie"]
    assert sorties == sorted(sorties)
    assert all(item["legs"]["arrived"] > item["legs"]["departed"] for item in out.timeline if item["kind"] == "sortie")


def test_last_element_convoy_departs_after_a_sortie_that_is_boarding():
    _, out, _ = simulate_one(prepare(deterministic({"airlift.sorties_per_day": 4, "people.troops": 200, "loading.hours_per_truck": 0.75})), 1, 0, trace=True)
    # 180 troops free to leave: 80 take the cab seats of the cargo convoy formed at 0 h; sorties board
    # at 0 h and 6 h (90, then the last 10; 2.5 h on the ground); the cargo convoy is loaded in
    # ceil(40 / 4) x 0.75 = 7.5 h, while the second sortie is still boarding until 8.5 h
    last = last_element(out)["legs"]["departed"]
    sorties = [item["legs"]["departed"] for item in out.timeline if item["kind"] == "sortie"]
    assert sorties == pytest.approx([2.5, 8.5])
    assert last >= max(sorties)
