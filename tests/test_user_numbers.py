"""A user's number is refused, never changed (a planner's trial): a count drawn from values that are not whole, a town
stretch longer than its road, and --set errors that name the field given with --set."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario.loading import ScenarioError, load_scenario

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"
THEATRE = ROOT / "scenarios" / "syria_2026_theatre.toml"


def _written(tmp_path: Path, source: Path, old: str, new: str) -> tuple[Path, int]:
    """``source`` with its first line ``old`` replaced by ``new``: the file and that line's number."""
    lines = source.read_text(encoding="utf-8").splitlines()
    at = lines.index(old)
    lines[at] = new
    path = tmp_path / source.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, at + 1


def _refused(path: Path, overrides: list[str] | None = None) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, overrides or [])
    return " ".join(str(caught.value).split())


def test_a_count_drawn_from_values_that_are_not_whole_is_refused_with_file_line_and_field(tmp_path):
    # it once passed validate and ran as 4 while --set convoys.max_per_day=2.5 was refused
    path, line = _written(tmp_path, BASELINE, 'max_per_day = {dist = "choice", values = [1, 2, 3]}', 'max_per_day = {dist = "choice", values = [1, 2, 3.5]}')
    said = _refused(path)
    assert f"{path}:{line} convoys.max_per_day: must be a whole number, and the choice distribution gives 3.5; give whole numbers" in said
    assert "must be a whole number, not 2.5 (value given with --set)" in _refused(BASELINE, ["convoys.max_per_day=2.5"])
    said = _refused(BASELINE, ['convoys.max_per_day={dist="choice", values=[1, 2.5, 3.5]}'])
    assert "convoys.max_per_day: must be a whole number, and the choice distribution gives 2.5, 3.5" in said and "(value given with --set)" in said
    load_scenario(BASELINE, ['convoys.max_per_day={dist="choice", values=[1, 2, 4]}'])  # whole values still pass


def test_a_town_stretch_longer_than_its_road_is_refused_not_capped(tmp_path):
    path, line = _written(tmp_path, BASELINE, "town_km = 20", "town_km = 300")
    said = _refused(path)
    assert f"{path}:{line} route.syria.town_km: is 300 km, more than the leg's whole km (230 km)" in said and "give at most 230" in said


def test_a_drawn_town_stretch_that_could_cross_its_road_says_the_ranges_overlap(tmp_path):
    # route.iraq.km is uniform(200, 250): a town stretch of 100-220 km could outrun it in some replications
    path, line = _written(tmp_path, BASELINE, "town_km = 15", 'town_km = {dist = "uniform", low = 100, high = 220}')
    said = _refused(path)
    assert f"{path}:{line} route.iraq.town_km: can draw up to 220 km while the leg's whole km can draw as little as 200 km (the two ranges overlap)" in said
    path, line = _written(tmp_path, BASELINE, "town_km = 15", 'town_km = {dist = "uniform", low = 260, high = 300}')
    assert f"{path}:{line} route.iraq.town_km: every draw (260-300 km) is more than the leg's whole km can be (200-250 km)" in _refused(path)
    load_scenario(BASELINE, ['route.iraq.town_km={dist="uniform", low=100, high=200}'])  # up to the shortest leg is fine


def test_a_theatre_leg_with_more_town_road_than_road_names_the_leg(tmp_path):
    lines = THEATRE.read_text(encoding="utf-8").splitlines()
    first = lines.index("[[legs]]")
    at = next(n for n in range(first, len(lines)) if lines[n].startswith("town_km ="))
    lines[at] = "town_km = 1000"
    path = tmp_path / "theatre.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    said = _refused(path)
    assert f"{path}:{at + 1} the 1st [[legs]], field town_km (legs.0.town_km): is 1000 km, more than the leg's whole km (170 km)" in said


def _run_refused(*args: str) -> str:
    result = CliRunner().invoke(app, ["run", *args, "-n", "5"])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    return " ".join(result.output.split())


def test_a_theatre_path_set_on_a_one_base_file_names_the_set_not_a_group_of_the_file():
    said = _run_refused(str(BASELINE), "--set", "sites.qasrak.loading.teams=3")
    assert "sites.qasrak.loading.teams: is not an input of this one-base file: it has no [sites]" in said
    assert "on it set `loading.teams` (value given with --set)" in said and "one-base group" not in said and "cargo" not in said


def test_a_one_base_path_set_on_a_theatre_names_the_set_and_where_it_belongs():
    said = _run_refused(str(THEATRE), "--set", "loading.teams=3")
    assert "loading.teams: is not an input of this theatre file" in said and "sites.qasrak.loading.teams (value given with --set)" in said
    said = _run_refused(str(THEATRE), "--set", "route.syria.km=200")
    assert "route.syria.km: is not an input of this theatre file: its roads are its [[legs]]" in said and "(value given with --set)" in said


def test_a_set_value_that_stops_the_base_is_blamed_on_the_set_with_why():
    said = _run_refused(str(BASELINE), "--set", "convoys.max_per_day=0")
    assert "convoys.max_per_day: 0 is not allowed (value given with --set): with it the scenario could never run" in said
    assert "convoys can never leave" in said
    assert ":25 " not in said and ":33 " not in said  # the file's own lines are not at fault
    # of two --set values, the one that stops the base is named, not the harmless one
    said = _run_refused(str(BASELINE), "--set", "escort.teams=0", "--set", "fleet.civilian.count=90")
    assert "escort.teams: 0 is not allowed (value given with --set)" in said and "fleet.civilian.count:" not in said
