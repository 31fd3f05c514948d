"""Drawing a replication's inputs: the fast path gives the same scenario as a full resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.replication import generators, prepare
from sim.scenario.draws import draw_inputs, resolve, set_values
from sim.scenario.loading import load_scenario

SCENARIOS = sorted(Path(__file__).resolve().parent.parent.joinpath("scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_setting_drawn_values_on_the_resolved_base_equals_a_full_resolve(path):
    prepared = prepare(load_scenario(path).scenario, fixed={"escort.rest_hours": 7.0})
    for index in range(5):
        draws, _ = generators(11, index)
        values = draw_inputs(list(prepared.inputs), draws)
        values.update(prepared.fixed)
        full = resolve(prepared.scenario, values, set(prepared.per_event))
        fast = set_values(prepared.base, {i.path: values[i.path] for i in prepared.inputs})
        assert fast == full
        assert fast.escort.rest_hours == 7.0


def test_a_pinned_input_is_not_drawn_and_takes_its_value():
    scenario = load_scenario(SCENARIOS[0].parent / "qasrak_baseline.toml").scenario
    prepared = prepare(scenario, fixed={"fleet.civilian.count": 120.0})
    assert "fleet.civilian.count" not in {i.path for i in prepared.inputs}
    assert prepared.base.fleet.civilian.count == 120.0
