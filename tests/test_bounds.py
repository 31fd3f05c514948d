"""Rough-cut capacity bounds: each is a lower bound on days to base empty, and the binding one is named."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from sim.bounds import base_empty_bound, binding, capacity_bounds
from sim.cli import app
from sim.replication import prepare, run_batch, simulate_one
from sim.scenario.draws import set_values


def test_no_baseline_replication_beats_its_own_binding_bound(baseline):
    prepared = prepare(baseline)
    for index in range(40):
        values, outcome, _ = simulate_one(prepared, 5, index)
        resolved = set_values(prepared.base, {i.path: values[i.path] for i in prepared.inputs})
        bounds = capacity_bounds(resolved)
        assert outcome.days_to_base_empty >= base_empty_bound(bounds) - 1e-9
        assert outcome.days_to_force_closure >= binding(bounds).days - 1e-9


@pytest.mark.parametrize("overrides", [{}, {"fleet.civilian.count": 10, "fleet.military.count": 0}, {"escort.teams": 1}, {"convoys.max_per_day": 1}])
def test_deterministic_scenarios_never_beat_their_bounds(deterministic, overrides):
    scenario = deterministic(overrides)
    rows, _, _ = run_batch(prepare(scenario), 1, range(3))
    bound = base_empty_bound(capacity_bounds(scenario))
    assert all(row["days_to_base_empty"] >= bound - 1e-9 for row in rows)


def test_pack_out_binds_when_packing_is_slow(deterministic):
    # 40 loads, none staged, 4 a day: the last is packed at hour 240, loaded in 1 h and leaves at once (no window).
    scenario = deterministic({"cargo.staged_at_start": 0.0, "cargo.packout_loads_per_day": 4})
    bounds = {b.resource: b for b in capacity_bounds(scenario)}
    assert bounds["pack-out"].days == pytest.approx(241 / 24)
    assert binding(list(bounds.values())).resource == "pack-out"
    rows, _, _ = run_batch(prepare(scenario), 1, range(1))
    assert rows[0]["days_to_base_empty"] >= 10.0


def test_one_convoy_a_day_bounds_departures_by_the_number_of_convoys(deterministic):
    scenario = deterministic({"convoys.max_per_day": 1, "convoys.size_max": 10, "fleet.civilian.count": 40})
    slots = next(b for b in capacity_bounds(scenario) if b.resource == "departure slots")
    convoys = math.ceil(40 / 10) + 1  # four cargo convoys and the last element
    assert slots.days == pytest.approx(convoys - 1)


def test_bounds_command_names_the_binding_resource(baseline_path, baseline):
    result = CliRunner().invoke(app, ["bounds", str(baseline_path)])
    assert result.exit_code == 0, result.output
    worst = binding(capacity_bounds(baseline))
    assert f"Binding: {worst.resource}, at least {worst.days:.1f} days" in " ".join(result.output.split())
