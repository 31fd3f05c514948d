"""Rotary-wing lift (sim/model/helicopters.py, ``[helicopters]``), computed by hand: helicopters lift troops and loads
of their classes at their rhythm, by day only if told, from a base with no airstrip; bad groups are refused at their
line; a scenario without the group has none of its columns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.model.theatre import simulate
from sim.names import label
from sim.replication import record, streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import ScenarioError, load_scenario, validate_table
from tests.conftest import BASELINE, deterministic
from tests.test_model_verification import IRAQ, LAST, SYRIA, assert_closure, crossing, run
from tests.theatre_tables import SRC, leg, small_base, small_theatre
from tests.theatre_tables import crossing as crossing_site

EXAMPLE = Path(__file__).parent / "fixtures" / "qasrak_helicopters.toml"
"""The baseline with CH-47F Chinooks lifting troops and sensitive loads (every number sourced in the file)."""


def helicopters(n: int = 2, sorties_per_day: float = 3, troops: int = 30, round_trip_hours: float = 4.0, **extra: Any) -> dict[str, Any]:
    return {"helicopters": n, "sorties_per_day": sorties_per_day, "troops": troops, "round_trip_hours": round_trip_hours, "source": SRC, **extra}


TROOPS_ONLY = {"cargo.classes.general.loads": 0, "people.troops": 170, "fleet.civilian.cab_seats": 0}
"""No cargo, 150 troops free to leave and a security force of 20 (its 5 vehicles); no truck cab seat: only helicopters seat the 150."""


def test_two_helicopters_three_sorties_a_day_of_30_troops_empty_a_base_of_150_at_hour_16():
    out = run(deterministic({**TROOPS_ONLY, "helicopters": helicopters()}))
    # a sortie every 24 / 3 = 8 h, both helicopters at once: 60 troops at 0 h, 60 at 8 h, the last 30 at 16 h (one
    # helicopter; the other has nobody to lift and stays); the security force leaves then, as the last element
    sorties = [(s["legs"]["departed"], s["people"]) for s in out.timeline if s["kind"] == "sortie"]
    assert sorties == [(0.0, 30), (0.0, 30), (8.0, 30), (8.0, 30), (16.0, 30)]
    assert out.columns["helicopter_sorties"] == 5 and out.columns["people_by_helicopter"] == 150 and out.columns["loads_by_helicopter"] == 0
    assert out.columns["people_by_air"] == 150 and out.columns["people_by_road"] == 20
    assert_closure(out, 16.0, 16.0 + SYRIA + crossing(LAST) + IRAQ)  # 26.625 h


def test_by_day_only_the_third_sortie_waits_for_dawn():
    out = run(deterministic({**TROOPS_ONLY, "helicopters": helicopters(daylight_only=True)}))
    # daylight 6-18 h: 60 troops at 6 h, 60 at 14 h; 22 h is night, so the last 30 go at dawn, 30 h
    assert [s["legs"]["departed"] for s in out.timeline if s["kind"] == "sortie"] == [6.0, 6.0, 14.0, 14.0, 30.0]
    assert_closure(out, 30.0, 30.0 + SYRIA + crossing(LAST) + IRAQ)


def test_helicopters_lift_staged_loads_of_their_classes_only_and_road_takes_the_rest():
    # 40 loads of general, 4 packed out an hour from none staged: at 0 h nothing is staged, at 8 h the two helicopters
    # lift a load each; at 10 h the rest (38) are packed and leave by road. Heavy is not theirs: all 5 go by road.
    classes = {
        "general": {"loads": 40, "carriers": ["civilian"], "priority": 1, "source": SRC},
        "heavy": {"loads": 5, "carriers": ["civilian"], "priority": 2, "source": SRC},
    }
    scenario = deterministic(
        {"cargo.classes": classes, "cargo.staged_at_start": 0.0, "convoys.size_min": 45, "helicopters": helicopters(troops=0, loads=1, classes=["general"])}
    )
    out = run(scenario)
    lifted = [(s["legs"]["departed"], s["loads"]) for s in out.timeline if s["kind"] == "sortie"]
    assert lifted == [(8.0, 1), (8.0, 1)]
    assert out.columns["loads_by_helicopter"] == 2 and out.columns["loads_by_air"] == 2 and out.columns["loads_by_road"] == 43
    assert out.finished


def test_a_theatre_base_without_a_strip_sends_its_troops_by_helicopter():
    # base a: 10 loads by road (loaded 1 h, out 1 + 2 + 1 + 2 = 6 h), 60 troops and no seat on the road: without the
    # helicopter it is refused; with one of 2 sorties a day (12 h apart) of 30 troops, the last 30 leave at 12 h, out
    # 1.5 h later (half its 3 h round trip): base empty at 12 h, force closure at 13.5 h
    a = small_base(loads=10, people={"troops": 60, "security_force": 0, "source": SRC})
    roads = [leg("a", "x", 100), leg("x", "erbil", 100)]
    with pytest.raises(ScenarioError, match=r"sites\.a\.people\.troops"):
        validate_table(small_theatre({"a": a, "x": crossing_site()}, roads), "", "test")
    a["helicopters"] = helicopters(1, 2, 30, 3.0)
    outcome, events = simulate(resolve(validate_table(small_theatre({"a": a, "x": crossing_site()}, roads), "", "test"), {}), streams_for(1, 0))
    assert outcome.hours_to_base_empty == pytest.approx(12.0) and outcome.hours_to_force_closure == pytest.approx(13.5)
    row = record(0, {}, outcome, events)
    assert row["base.a.helicopter_sorties"] == 2 and row["base.a.people_by_helicopter"] == 60 and row["base.a.loads_by_helicopter"] == 0


def _baseline_with(tmp_path: Path, group: str) -> tuple[Path, int]:
    text = BASELINE.read_text(encoding="utf-8") + "\n[helicopters]\n" + group + f'source = "{SRC}"\n'
    path = tmp_path / "helicopters.toml"
    path.write_text(text, encoding="utf-8")
    return path, len(text.splitlines())


def test_more_than_a_day_in_the_air_is_refused_naming_file_line_and_field(tmp_path):
    path, last = _baseline_with(tmp_path, "helicopters = 2\nsorties_per_day = 3\ntroops = 30\nround_trip_hours = 10\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert text.startswith(f"{path}:{last - 1} helicopters.round_trip_hours: ")  # the line of round_trip_hours
    assert "3 sorties a day of up to 10 hours each is more than 24 hours a day" in text


def test_a_class_the_base_does_not_have_is_refused_naming_the_field(tmp_path):
    path, _ = _baseline_with(tmp_path, 'helicopters = 2\nsorties_per_day = 2\ntroops = 30\nround_trip_hours = 4\nclasses = ["containers"]\n')
    with pytest.raises(ScenarioError, match=r"helicopters\.classes: names containers, not a cargo class of this base"):
        load_scenario(path)


def test_loads_without_a_class_to_lift_are_refused_at_the_classes_field():
    with pytest.raises(ScenarioError, match=r"helicopters\.classes: names no class, but a sortie lifts loads"):
        deterministic({"helicopters": helicopters(loads=1)})


def test_a_theatre_refuses_helicopters_at_its_top():
    table = small_theatre({"a": small_base(), "x": crossing_site()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    table["helicopters"] = helicopters()
    with pytest.raises(ScenarioError, match=r"`helicopters` is a one-base group"):
        validate_table(table, "", "test")


def test_a_scenario_without_the_group_has_none_of_its_columns():
    out = run(deterministic())
    assert not any("helicopter" in name for name in out.columns)


def test_its_inputs_read_in_the_words_the_group_declares():
    assert label("input.helicopters.troops") == "troops a helicopter sortie lifts"
    assert label("sites.life_stone.helicopters.sorties_per_day") == "Life Stone: sorties a helicopter flies a day"


def test_the_example_file_validates_and_runs(tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["validate", str(EXAMPLE)]).exit_code == 0
    result = runner.invoke(app, ["run", "--no-figures", str(EXAMPLE), "-n", "100", "--seed", "7", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(tmp_path / "run" / "replications.parquet")
    assert (table["helicopter_sorties"] > 0).all() and (table["loads_by_helicopter"] <= table["loads_by_air"]).all()
