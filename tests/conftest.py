"""Shared fixtures: the baseline scenario, dotted overrides, and a deterministic variant.

``scenario_from({"fleet.civilian.count": 120})`` is the baseline with overrides, as
``evacsim --set`` would apply them. ``deterministic(...)`` is a scenario in which
every number is a constant and every disruption is switched off, so that closure
times can be computed by hand (see ``DETERMINISTIC`` for the numbers).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from sim.scenario.loading import load_scenario
from sim.scenario.schema import Scenario

# `evacsim report` opens each report it writes in a headless Chromium to read its layout flag (1-4 s a report);
# the browser tests check the layout themselves and turn this back on where they test the warning.
os.environ["EVACSIM_LAYOUT_CHECK"] = "0"

# The command line's rich consoles fix their width from COLUMNS when they are made: made here, with COLUMNS unset, they
# read it again at each print, so a test's `env={"COLUMNS": ...}` holds whichever test imported the CLI first.
_columns = os.environ.pop("COLUMNS", None)
import sim.cli  # noqa: E402
import sim.commands.plots  # noqa: E402,F401

if _columns is not None:
    os.environ["COLUMNS"] = _columns

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"
SCENARIOS = sorted((ROOT / "scenarios").glob("*.toml"))

ONE_CLASS = {"general": {"loads": 40, "carriers": ["civilian"], "priority": 1, "source": "test: one class of general cargo"}}

DETERMINISTIC: dict[str, object] = {
    # cargo: one class, all staged at hour 0
    "cargo.classes": ONE_CLASS,
    "cargo.packout_loads_per_day": 96,
    "cargo.staged_at_start": 1.0,
    "cargo.pallets_per_load": 1.7,
    "vehicles.count": 0,
    "vehicles.seats": 4,
    "people.troops": 100,
    "people.security_force": 20,
    "people.last_element_by": "convoy",
    "people.seats_per_convoy": 0,
    # fleet: civilian trucks only, no breakdowns
    "fleet.civilian.count": 40,
    "fleet.civilian.cab_seats": 2,  # the 80 troops free to leave ride in the cabs of the first 40 trucks
    "fleet.military.count": 0,
    "fleet.het.count": 0,
    "fleet.breakdowns_per_1000_km": 0.0,
    "fleet.recovery_hours": 1.0,
    "fleet.repair_hours": 24.0,
    # convoys: any size from 1 to 50, any hour, no daylight rule
    "convoys.size_min": 1,
    "convoys.size_max": 50,
    "convoys.max_per_day": 10,
    "convoys.departure_window": [0, 24],
    "convoys.daylight_only": False,
    "convoys.daylight": [6, 18],
    "convoys.separate_contracted": False,
    "convoys.dispatch": "first formed",
    # loading: 4 teams, 1 h a truck; unloading: 10 teams, 0.75 h a truck
    "loading.teams": 4,
    "loading.hours_per_truck": 1.0,
    "destination.unload_teams": 10,
    "destination.unload_hours_per_truck": 0.75,
    "escort.teams": 5,
    "escort.vehicles_per_team": 25,
    "escort.rest_hours": 10.0,
    # no air cover; the security force (20) leaves last in its own ceil(20 / 4) = 5 vehicles
    "air_cover.apaches": 0,
    "air_cover.share_of_convoys": 0.0,
    "air_cover.always_for_sensitive": False,
    "air_cover.sorties_per_aircraft_per_day": 2.5,
    "air_cover.hours_on_station": 1.5,
    "air_cover.when_short": "wait",
    # Syria: 160 km open road at 40 km/h + 24 km of towns at 24 km/h = 5 h moving, 2 halts of 15 min = 5.5 h
    "route.syria.km": 184,
    "route.syria.town_km": 24,
    "route.syria.speed_kmh": 40,
    "route.syria.town_speed_kmh": 24,
    "route.syria.halt_minutes": 15,
    "route.syria.halt_every_hours": 2,
    "route.syria.daylight_only_for": [],
    # Iraq: 210 km at 60 km/h + 12 km at 24 km/h = 4 h moving, 2 halts of 15 min = 4.5 h
    "route.iraq.km": 222,
    "route.iraq.town_km": 12,
    "route.iraq.speed_kmh": 60,
    "route.iraq.town_speed_kmh": 24,
    "route.iraq.halt_minutes": 15,
    "route.iraq.halt_every_hours": 2,
    "route.iraq.daylight_only_for": [],
    "route.threats.closures_per_week": 0.0,
    "route.threats.closure_hours": 8.0,
    # main crossing: 1 lane, 0.5 h a convoy + 1.5 min a vehicle, always open
    "crossing.main.lanes": 1,
    "crossing.main.fixed_hours": 0.5,
    "crossing.main.minutes_per_vehicle": 1.5,
    "crossing.main.open_hours": [0, 24],
    "crossing.main.closures_per_month": 0.0,
    "crossing.main.closure_days": 2.0,
    "crossing.main.scheduled_closures": [],
    # alternate: 1 lane, 1 h + 3 min a vehicle, open 06-20, 60 km detour
    "crossing.alternate.lanes": 1,
    "crossing.alternate.fixed_hours": 1.0,
    "crossing.alternate.minutes_per_vehicle": 3.0,
    "crossing.alternate.open_hours": [6, 20],
    "crossing.alternate.closures_per_month": 0.0,
    "crossing.alternate.closure_days": 3.0,
    "crossing.alternate.scheduled_closures": [],
    "crossing.alternate.extra_km": 60,
    "crossing.divert_after_hours": 1000.0,
    # no airlift unless a test asks for it
    "airlift.sorties_per_day": 0,
    "airlift.ground_hours": 2.5,
    "airlift.flight_hours": 1.3,
    "airlift.max_on_ground": 1,
    "airlift.aircraft": 3,
    "airlift.c130j.troops": 90,
    "weather.dust_day_probability": 0.0,
    "pause.probability": 0.0,
    "pause.start_day": 14,
    "pause.days": 0,
    "pause.inflow_loads": 0,
    "pause.inflow_troops": 0,
}
"""Overrides that make the baseline deterministic: constants only, no disruption."""

DAYLIGHT_ONLY = {
    "convoys.daylight_only": True,
    "route.syria.daylight_only_for": ["contracted", "military"],
    "route.iraq.daylight_only_for": ["contracted", "military"],
}
"""Every convoy moves in daylight only, on both legs, loaded and empty."""


def toml_value(value: object) -> str:
    """A Python value written as a TOML literal, for ``--set`` style overrides."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def scenario_from(overrides: Mapping[str, object] | None = None, path: Path | str = BASELINE) -> Scenario:
    """A scenario file (the baseline by default) with dotted overrides, validated."""
    texts = [f"{key}={toml_value(value)}" for key, value in (overrides or {}).items()]
    return load_scenario(path, overrides=texts).scenario


def deterministic(overrides: Mapping[str, object] | None = None) -> Scenario:
    """The deterministic scenario (``DETERMINISTIC``) with further overrides on top."""
    return scenario_from({**DETERMINISTIC, **(overrides or {})})


@pytest.fixture(scope="session")
def baseline_path() -> Path:
    return BASELINE


@pytest.fixture(scope="session")
def baseline(baseline_path: Path) -> Scenario:
    return scenario_from({}, baseline_path)


@pytest.fixture(scope="session", name="scenario_from")
def scenario_from_fixture() -> Callable[..., Scenario]:
    return scenario_from


@pytest.fixture(scope="session", name="deterministic")
def deterministic_fixture() -> Callable[..., Scenario]:
    return deterministic
