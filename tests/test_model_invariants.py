"""Invariants every replication must satisfy, on the scenario files and on random small scenarios.

Conservation of cargo, people and vehicles; closure dates in order; a burn-down that
only goes down (unless reinforcements flow in) and ends at zero; utilisations in
[0, 1]; no negative wait. Plus reproducibility: a replication depends only on the
seed and its index (not on how the batch was split), and scenarios compared side by
side share their input draws (common random numbers).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model.evacuation import RESOURCES, WAIT_CAUSES
from sim.replication import prepare, record, run_batch, simulate_one
from tests.conftest import SCENARIOS, scenario_from

SEED = 20260223


def check_row(row: dict[str, object], cargo: np.ndarray, people: np.ndarray) -> None:
    """Every invariant of one replication's record and burn-down."""
    where = f"replication {row['replication']}"
    assert row["days_to_base_empty"] >= 0, where
    assert row["days_to_force_closure"] >= row["days_to_base_empty"], where
    for cause in WAIT_CAUSES:
        assert row[f"wait_hours.{cause}"] >= 0, f"{where}: wait_hours.{cause}"
    for resource in RESOURCES:
        assert 0.0 <= row[f"utilisation.{resource}"] <= 1.0, f"{where}: utilisation.{resource}"
    # a deadline leaves loads and vehicles behind (those to go as loads among the vehicles); none without one
    left_loads = row.get("left_behind.loads_destroyed", 0) + row.get("left_behind.loads_handed_over", 0) + row.get("left_behind.vehicles_carried", 0)
    left_vehicles = row.get("left_behind.vehicles_destroyed", 0) + row.get("left_behind.vehicles_handed_over", 0) - row.get("left_behind.vehicles_carried", 0)
    to_move = row["loads_at_start"] - row["loads_handed_over"] + row["loads_inflow"] + row["loads_returned"] - left_loads
    moved = row["loads_by_road"] + row["loads_by_air"]
    people_total = row["people_at_start"] + row["people_inflow"]
    people_moved = row["people_by_road"] + row["people_by_air"]
    assert cargo[0] <= to_move + left_loads and people[0] <= people_total, where
    assert np.all(cargo >= 0) and np.all(people >= 0), where
    if row["loads_inflow"] == 0 and row["loads_returned"] == 0 and row["people_inflow"] == 0:
        assert np.all(np.diff(cargo) <= 0), f"{where}: cargo burn-down goes up"
        assert np.all(np.diff(people) <= 0), f"{where}: people burn-down goes up"
    if row["finished"]:
        assert moved == to_move, f"{where}: cargo not conserved"
        assert people_moved == people_total, f"{where}: people not conserved"
        assert row["vehicles_by_road"] + row["vehicles_carried"] + left_vehicles == row["vehicles_at_start"], f"{where}: vehicles lost"
        assert cargo[-1] == 0 and people[-1] == 0, f"{where}: burn-down does not end at 0"
    else:
        assert moved <= to_move and people_moved <= people_total, where
        assert row["vehicles_by_road"] <= row["vehicles_at_start"], where


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_replication_of_every_scenario_conserves_cargo_people_and_vehicles(path: Path):
    prepared = prepare(scenario_from({}, path))
    rows, cargo, people = run_batch(prepared, SEED, range(30))
    assert len(rows) == 30
    for row, c, p in zip(rows, cargo, people, strict=True):
        check_row(row, c, p)


def test_baseline_replications_finish_within_the_horizon():
    rows, _, _ = run_batch(prepare(scenario_from({})), SEED, range(30))
    assert all(row["finished"] for row in rows)


# Small random scenarios, edge cases included: no security force, the last element
# by sortie, convoys without a minimum size, no military trucks (sensitive cargo then
# leaves by air), convoys too small for the vehicles' share.
SMALL = st.fixed_dictionaries(
    {
        "cargo.classes.general.loads": st.integers(0, 120),
        "cargo.classes.heavy.loads": st.integers(0, 20),
        "cargo.classes.sensitive.loads": st.integers(0, 20),
        "cargo.staged_at_start": st.floats(0.0, 1.0),
        "cargo.packout_loads_per_day": st.integers(10, 200),
        "vehicles.count": st.integers(0, 30),
        "people.troops": st.integers(20, 120),
        "people.security_force": st.integers(0, 20),
        "people.last_element_by": st.sampled_from(["convoy", "sortie"]),
        "people.seats_per_convoy": st.integers(0, 10),
        "fleet.civilian.count": st.integers(1, 40),
        "fleet.military.count": st.integers(0, 10),
        "fleet.het.count": st.integers(1, 5),
        "loading.teams": st.integers(1, 6),
        "escort.teams": st.integers(1, 4),
        "escort.vehicles_per_team": st.integers(5, 30),
        "convoys.size_min": st.integers(0, 3),
        "convoys.size_max": st.integers(3, 40),
        "convoys.max_per_day": st.integers(1, 4),
        "convoys.daylight_only": st.booleans(),
        "crossing.main.lanes": st.integers(1, 2),
        "pause.probability": st.sampled_from([0.0, 0.5]),
        "pause.days": st.integers(0, 5),
        "pause.start_day": st.integers(0, 10),
        "pause.inflow_loads": st.integers(0, 20),
        "pause.inflow_troops": st.integers(0, 30),
        "pause.returned_fraction": st.sampled_from([0.0, 0.2, 1.0]),
    }
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=SMALL, seed=st.integers(0, 10_000), index=st.integers(0, 50))
def test_random_small_scenarios_keep_the_invariants_and_are_deterministic(overrides, seed, index):
    prepared = prepare(scenario_from(overrides))
    values, outcome, events = simulate_one(prepared, seed, index)
    row = record(index, values, outcome, events)
    check_row(row, outcome.burndown_cargo, outcome.burndown_people)
    again = simulate_one(prepared, seed, index)
    assert record(index, *again) == row
    assert np.array_equal(again[1].burndown_cargo, outcome.burndown_cargo)


DEADLINES = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "day": st.floats(0.25, 20.0),
            "left": st.sampled_from(["destroyed", "handed over"]),
            "priority": st.sampled_from([["vehicles"], ["general", "vehicles"], ["heavy", "vehicles", "general"], []]),
            "source": st.just("test: a random date"),
        }
    ),
)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(overrides=SMALL, date=DEADLINES, seed=st.integers(0, 10_000), index=st.integers(0, 50))
def test_random_small_scenarios_with_a_deadline_keep_the_invariants_and_finish(overrides, date, seed, index):
    """With a deadline, cargo, people and vehicles are still conserved (what did not leave is counted as left behind)."""
    prepared = prepare(scenario_from({**overrides, **({"deadline": date} if date else {})}))
    values, outcome, events = simulate_one(prepared, seed, index)
    row = record(index, values, outcome, events)
    check_row(row, outcome.burndown_cargo, outcome.burndown_people)
    if date is not None and row["finished"] and 24 * row["days_to_base_empty"] < _earliest_cut(prepared.scenario, date["day"]):
        assert row["left_behind.total"] == 0, "a base empty before its deadline's cut leaves nothing"
    assert record(index, *simulate_one(prepared, seed, index)) == row


def _earliest_cut(scenario, day: float) -> float:
    """The earliest hour the deadline's cut may come (:func:`sim.model.deadline.cut_off_hour` on the file's departure
    window; a window narrowed to daylight opens later, so its cut is no earlier)."""
    from sim.model.calendar import daily
    from sim.model.deadline import cut_off_hour

    start, end = scenario.convoys.departure_window
    return cut_off_hour(24.0 * day, daily(start, max(end, start + 0.25), 24.0 * scenario.scenario.horizon_days))


def test_a_replication_is_the_same_whichever_batch_runs_it():
    prepared = prepare(scenario_from({}))
    whole, cargo, people = run_batch(prepared, SEED, range(10))
    first, c1, p1 = run_batch(prepared, SEED, range(5))
    second, c2, p2 = run_batch(prepared, SEED, range(5, 10))
    assert whole == first + second
    assert np.array_equal(cargo, np.vstack([c1, c2]))
    assert np.array_equal(people, np.vstack([p1, p2]))


def test_scenarios_differing_in_a_constant_share_their_input_draws():
    a, _, _ = run_batch(prepare(scenario_from({})), SEED, range(10))
    b, _, _ = run_batch(prepare(scenario_from({"loading.teams": 4, "convoys.size_min": 10})), SEED, range(10))  # constants in the baseline
    for row_a, row_b in zip(a, b, strict=True):
        inputs_a = {k: v for k, v in row_a.items() if k.startswith("input.")}
        inputs_b = {k: v for k, v in row_b.items() if k.startswith("input.")}
        assert inputs_a and inputs_a == inputs_b
    assert [r["days_to_force_closure"] for r in a] != [r["days_to_force_closure"] for r in b]


def test_different_seeds_give_different_replications():
    prepared = prepare(scenario_from({}))
    a, _, _ = run_batch(prepared, 1, range(3))
    b, _, _ = run_batch(prepared, 2, range(3))
    assert [r["input.cargo.classes.general.loads"] for r in a] != [r["input.cargo.classes.general.loads"] for r in b]
