"""Load-time checks of a theatre's road network that no single field can make (sim/scenario/network_checks.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario.loading import ScenarioError, validate_table
from tests.theatre_tables import crossing, leg, small_base, small_theatre, to_toml


def test_the_same_road_given_twice_is_refused_naming_both_legs():
    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100), leg("a", "x", 80)])
    with pytest.raises(ScenarioError, match=r"the 3rd \[\[legs\]\] \(legs\.2\): the road between a and x is already the 1st \[\[legs\]\] \(a-x, legs\.0\)"):
        validate_table(table, "", "test")


def test_a_road_given_again_the_other_way_round_is_the_same_road():
    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100), leg("x", "a", 100)])
    with pytest.raises(ScenarioError, match=r"the 3rd \[\[legs\]\] \(legs\.2\): the road between x and a is already the 1st \[\[legs\]\] \(a-x, legs\.0\)"):
        validate_table(table, "", "test")


def test_a_repeated_leg_exits_3_with_the_file_and_the_line_of_the_second(tmp_path: Path):
    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100), leg("a", "x", 80)])
    path = tmp_path / "twice.toml"
    path.write_text(to_toml(table))
    text = path.read_text()
    third = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "[[legs]]"][2]
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 3, result.output
    output = " ".join(result.output.split())
    assert "the 3rd [[legs]] (legs.2): the road between a and x is already the 1st [[legs]] (a-x, legs.0)" in output and "Traceback" not in result.output
    assert f"{path}:{third} the 3rd [[legs]] (legs.2)" in output, output


def test_distinct_roads_between_distinct_sites_still_load():
    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    assert len(validate_table(table, "", "test").legs) == 2
