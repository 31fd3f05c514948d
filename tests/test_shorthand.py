"""The one-base shorthand expanded after the draws (sim.scenario.shorthand.as_theatre): the theatre of one base a
one-base file stands for, read by the one network builder, gives the replications of the same theatre written by hand."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from sim.model.sites import network_of
from sim.replication import inputs_for, prepare, run_batch
from sim.scenario.draws import set_values
from sim.scenario.loading import load_scenario, validate_table
from sim.scenario.schema import Scenario, TheatreScenario
from sim.scenario.shorthand import as_theatre
from tests.theatre_tables import explicit_network

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def pinned(name: str, index: int = 0) -> Scenario:
    """The shipped one-base scenario ``name`` with replication ``index``'s drawn inputs (seed 3) written in as numbers."""
    prepared = prepare(load_scenario(SCENARIOS / f"{name}.toml").scenario)
    values = inputs_for(prepared, 3, index)
    return set_values(prepared.base, {i.path: values[i.path] for i in prepared.inputs})


def without_source_kinds(table: Any) -> Any:
    """A dumped scenario without its kinds of source (what backs each number: nothing the model reads)."""
    if isinstance(table, dict):
        return {k: without_source_kinds(v) for k, v in table.items() if k != "source_kind"}
    if isinstance(table, list):
        return [without_source_kinds(v) for v in table]
    return table


def by_hand(one_base: Scenario) -> TheatreScenario:
    """The theatre of one base ``one_base`` stands for, written out as a file would be and validated as one."""
    table = explicit_network(without_source_kinds(one_base.model_dump(mode="json", by_alias=True, exclude_none=True)))
    scenario = validate_table(table, "", "by hand")
    assert isinstance(scenario, TheatreScenario)
    return scenario


@pytest.mark.parametrize("name", ["qasrak_baseline", "qasrak_deadline"])
def test_the_expanded_file_is_a_valid_theatre_of_one_base_with_the_shorthands_names(name):
    one_base = pinned(name)
    theatre = as_theatre(one_base)
    again = TheatreScenario.model_validate(theatre.model_dump(mode="json", by_alias=True))  # every part passes a theatre's checks
    assert list(again.sites) == ["base", "main", "alternate", "destination"]
    assert [leg.name for leg in again.legs] == ["base-main", "base-alternate", "main-destination", "alternate-destination"]
    assert again.legs[1].km == one_base.route.syria.km + one_base.crossing.alternate.extra_km
    assert again.legs[1].shares_threats_with == "base-main" and again.legs[1].threats is None
    assert again.legs[0].threats == one_base.route.threats and again.legs[2].threats is None
    assert again.crossings["main"].title == one_base.crossing.main.name
    assert again.destinations["destination"].title == one_base.destination.name
    pool = again.pools["base"]
    assert pool.home == "base" and pool.fleet.military.count == one_base.fleet.military.count and pool.escort.teams == one_base.escort.teams
    assert again.bases["base"].deadline == one_base.deadline and again.deadline is None
    assert as_theatre(theatre) is theatre


@pytest.mark.parametrize("name", ["qasrak_baseline", "qasrak_deadline"])
def test_the_expanded_file_and_the_theatre_written_by_hand_have_one_network(name):
    one_base = pinned(name)
    expanded, written = network_of(one_base), network_of(by_hand(one_base))
    assert expanded.bases.keys() == written.bases.keys()
    for key in expanded.bases:  # where a map would put them is not in a one-base file
        assert plain(dataclasses.replace(expanded.bases[key], lat=0.0, lon=0.0)) == plain(dataclasses.replace(written.bases[key], lat=0.0, lon=0.0))
    assert plain(expanded.roads) == plain(written.roads)
    assert plain(expanded.crossings) == plain(written.crossings)
    assert expanded.destinations == written.destinations and expanded.pools == written.pools and expanded.beyond == written.beyond


def plain(value: Any) -> Any:
    """Records and groups as plain values, their kinds of source left out (numbers as numbers: 503 == 503.0)."""
    if isinstance(value, BaseModel):
        return without_source_kinds(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value) if not f.name.startswith("_")}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@pytest.mark.parametrize("name", ["qasrak_baseline", "qasrak_deadline"])
def test_a_one_base_file_and_its_theatre_written_by_hand_give_the_same_replication_table(name):
    # inputs pinned (both forms read the same numbers); the model's own draws come from the same streams in the same order
    one_base = pinned(name, index=4)
    rows_a, cargo_a, people_a = run_batch(prepare(one_base), 11, range(12))
    rows_b, cargo_b, people_b = run_batch(prepare(by_hand(one_base)), 11, range(12))
    assert set(rows_a[0]) < set(rows_b[0])  # the theatre adds its own columns (theatre.*, base.base.*, leg.*, pool.*)
    assert [{k: row[k] for k in rows_a[0]} for row in rows_b] == rows_a
    assert (cargo_a == cargo_b).all() and (people_a == people_b).all()
    assert len({row["days_to_base_empty"] for row in rows_a}) > 1  # the replications differ: the comparison is not of one number


@pytest.mark.parametrize(
    ("old", "new", "field", "words", "at_line"),
    [
        ('count = {dist = "triangular", low = 0, mode = 15, high = 40}', "count = -5", "fleet.military.count", "must be >= 0", True),
        ("\nlanes = 1\n", "\nlanes = 0\n", "crossing.main.lanes", "no crossing has a lane open", False),  # both crossings shut
    ],
)
def test_validate_names_a_one_base_file_s_own_line_and_field_never_the_expanded_theatre_s(tmp_path, old, new, field, words, at_line):
    from typer.testing import CliRunner

    from sim.cli import app

    text = (SCENARIOS / "qasrak_baseline.toml").read_text()
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new))
    result = CliRunner().invoke(app, ["validate", str(bad)])
    said = " ".join(result.output.split())
    assert result.exit_code == 3 and "Traceback" not in said
    where = f"bad.toml:{bad.read_text().splitlines().index(new.strip()) + 1}" if at_line else "bad.toml"
    assert re.search(rf"{re.escape(where)}\S* {re.escape(field)}: .*{words}", said), said
    assert "pools.base" not in said and "sites." not in said and "legs." not in said


def same_object(a: Any, b: Any) -> bool:
    """Whether two scenario values are the same, group for group: class, fields in order, fields marked as set."""
    if isinstance(a, BaseModel):
        return (
            type(a) is type(b)
            and list(a.__dict__) == list(b.__dict__)
            and a.model_fields_set == b.model_fields_set
            and a.__pydantic_extra__ == b.__pydantic_extra__
            and a.__pydantic_private__ == b.__pydantic_private__
            and all(same_object(a.__dict__[k], b.__dict__[k]) for k in a.__dict__)
        )
    if isinstance(a, dict):
        return type(a) is type(b) and list(a) == list(b) and all(same_object(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return type(a) is type(b) and len(a) == len(b) and all(same_object(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and (a == b or (a != a and b != b))


@pytest.mark.parametrize("name", ["qasrak_baseline", "qasrak_deadline", "qasrak_political_pause"])
def test_the_quick_construction_builds_what_pydantic_s_model_construct_builds(name, monkeypatch):
    one_base = pinned(name, index=4)
    quick = as_theatre(one_base)
    monkeypatch.setattr("sim.scenario.shorthand.construct", lambda cls, **values: cls.model_construct(**values))
    assert same_object(quick, as_theatre(one_base))


def test_replications_with_the_same_road_numbers_share_each_road_s_march_and_its_driving_hours():
    first, second = pinned("qasrak_baseline", index=0), pinned("qasrak_baseline", index=1)
    a, b = network_of(first).roads, network_of(second).roads
    assert first.route.syria == second.route.syria and a[0].leg is b[0].leg  # the Syrian leg is fixed in the file: one record
    assert first.route.iraq.km != second.route.iraq.km and a[2].leg is not b[2].leg  # the Iraqi leg's km is drawn
    hours = a[0].leg.driving_hours(40.0)
    assert b[0].leg.driving_hours(40.0) == hours == a[0].leg._driving_hours(40.0, 0.0)
