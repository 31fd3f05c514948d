"""Drawing a replication's inputs: the fast path gives the same scenario as a full resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.replication import inputs_for, prepare
from sim.scenario.draws import input_stream_key, resolve, set_values
from sim.scenario.loading import load_scenario

SCENARIOS = sorted(Path(__file__).resolve().parent.parent.joinpath("scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_setting_drawn_values_on_the_resolved_base_equals_a_full_resolve(path):
    prepared = prepare(load_scenario(path).scenario, fixed={"escort.rest_hours": 7.0})
    for index in range(5):
        values = inputs_for(prepared, 11, index)
        full = resolve(prepared.scenario, values, set(prepared.per_event))
        fast = set_values(prepared.base, {i.path: values[i.path] for i in prepared.inputs})
        assert fast == full
        assert fast.escort.rest_hours == 7.0


def test_a_pinned_input_is_not_drawn_and_takes_its_value():
    scenario = load_scenario(SCENARIOS[0].parent / "qasrak_baseline.toml").scenario
    prepared = prepare(scenario, fixed={"fleet.civilian.count": 120.0})
    assert "fleet.civilian.count" not in {i.path for i in prepared.inputs}
    assert prepared.base.fleet.civilian.count == 120.0


def test_pinning_one_input_leaves_every_other_input_on_the_same_random_numbers():
    scenario = load_scenario(SCENARIOS[0].parent / "qasrak_baseline.toml").scenario
    free, pinned = prepare(scenario), prepare(scenario, fixed={"fleet.civilian.count": 120.0})
    for index in range(20):
        a, b = inputs_for(free, 7, index), inputs_for(pinned, 7, index)
        assert b["fleet.civilian.count"] == 120.0
        assert {k: v for k, v in a.items() if k != "fleet.civilian.count"} == {k: v for k, v in b.items() if k != "fleet.civilian.count"}


def test_an_input_draws_the_same_value_whatever_other_inputs_exist():
    scenario = load_scenario(SCENARIOS[0].parent / "qasrak_baseline.toml").scenario
    full = prepare(scenario)
    alone = prepare(scenario)
    only_hets = type(full)(full.scenario, tuple(i for i in full.inputs if i.path == "fleet.het.count"), full.per_event)
    assert inputs_for(only_hets, 3, 9)["fleet.het.count"] == inputs_for(alone, 3, 9)["fleet.het.count"]


def test_input_streams_are_keyed_by_the_text_of_the_path():
    # a fixed number: the same in every process and on every machine (not Python's salted hash)
    assert input_stream_key("fleet.het.count") == int.from_bytes(__import__("hashlib").blake2b(b"fleet.het.count", digest_size=8).digest(), "big")
    assert input_stream_key("fleet.het.count") != input_stream_key("fleet.civilian.count")
