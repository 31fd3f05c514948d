"""The feasibility checks read a theatre's base where each number is written: a problem names the theatre's own field
(``sites.<crossing>.lanes``, ``pools.<pool>.air_cover.apaches``), never a one-base path, and a one-base file's its own."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario.loading import ScenarioError, validate_table
from tests.theatre_tables import SRC, crossing, leg, small_base, small_theatre, to_toml


def _two_bases(**changes):
    sites = {"a": small_base(10), "b": small_base(5), "x": crossing(), "y": crossing(title="another crossing")}
    for path, value in changes.items():
        site, field = path.split(".", 1)
        sites[site][field] = value
    return small_theatre(sites, [leg("a", "x", 100), leg("b", "x", 50), leg("a", "y", 150), leg("x", "erbil", 100), leg("y", "erbil", 120)])


def _problems(table):
    with pytest.raises(ScenarioError) as err:
        validate_table(table, "", "test")
    return [(p.field, p.message) for p in err.value.problems]


def test_crossings_with_no_lane_name_the_quickest_crossing_s_own_field_once():
    problems = _problems(_two_bases(**{"x.lanes": 0, "y.lanes": 0}))
    assert problems == [("sites.x.lanes", "no crossing has a lane open; convoys could never reach Iraq")]


def test_a_second_crossing_with_lanes_is_a_way_out_for_the_base_that_reaches_it():
    # b reaches only x (shut); a reaches y too: only b is stopped, and the problem names x's lanes
    table = _two_bases(**{"x.lanes": 0})
    assert _problems(table) == [("sites.x.lanes", "no crossing has a lane open; convoys could never reach Iraq")]


def test_a_destination_that_cannot_unload_names_its_own_field():
    table = _two_bases()
    table["sites"]["erbil"]["unload_teams"] = 0
    assert _problems(table) == [("sites.erbil.unload_teams", "must be >= 1: trucks could never unload")]


def test_apaches_missing_from_every_pool_name_the_pool_field_to_give():
    table = _two_bases()
    table["air_cover"]["share_of_convoys"] = 0.5
    (field, message), *_ = _problems(table)
    assert field == "pools.shared.air_cover.apaches"
    assert message.startswith("convoys need air cover but no Apache sortie can ever fly")


def test_trucks_of_a_pool_name_the_base_s_own_cargo_field():
    pools = {"shared": {"title": "shared", "fleet": {"lowboy": {"count": 10, "source": SRC}}, "escort": {"teams": 10, "source": SRC}}}
    table = small_theatre({"a": small_base(10), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100)], pools)
    field, message = _problems(table)[0]
    assert field == "sites.a.cargo.classes.general.carriers"
    assert message.startswith("no carrier in ['civilian'] can ever take this cargo")


def test_a_shared_field_that_stops_every_base_is_said_once():
    table = _two_bases()
    table["convoys"]["size_min"] = 20
    assert _problems(table) == [("convoys.size_min", "is larger than convoys.size_max")]


def test_waiting_for_cover_names_the_base_whose_way_out_no_day_could_cover(tmp_path):
    # a-x 100 km at 50 km/h: 2 h; one Apache, one sortie a day of 1.5 h cannot relay-cover it
    table = _two_bases()
    table["pools"]["shared"]["air_cover"] = {"apaches": 1, "source": SRC}
    table["air_cover"].update(share_of_convoys=1.0, when_short="wait", sorties_per_aircraft_per_day=1)
    problems = _problems(table)
    assert problems == [
        (
            "air_cover.when_short",
            "is 'wait', but covering a convoy's Syrian leg from a base (up to 2.0 h, halts included) takes 2 relayed sorties of 1.5 h and the "
            'detachment may fly only 1 a day: such a convoy would wait forever; give more apaches or sorties, or set when_short = "go"',
        )
    ]


def test_validate_names_the_theatre_s_field(tmp_path):
    bad = tmp_path / "theatre.toml"
    bad.write_text(to_toml(_two_bases(**{"x.lanes": 0, "y.lanes": 0})))
    result = CliRunner().invoke(app, ["validate", str(bad)])
    said = " ".join(result.output.split())
    assert result.exit_code == 3 and "Traceback" not in said
    assert "sites.x.lanes" in said and "crossing.main.lanes" not in said
