"""The kind of source behind each number: written per group or per field, refused when unknown (file:line),
shown beside each value by validate and the report, and given for every uncertain input of every shipped scenario."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from sim.scenario.draws import uncertain_inputs
from sim.scenario.loading import ScenarioError, load_scenario
from sim.scenario.provenance import kind_of_path, provenance_rows
from sim.scenario.source_kinds import SOURCE_KINDS, UNSOURCED

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


def with_kind_line(tmp_path: Path, table: str, line: str) -> tuple[Path, int]:
    """A copy of the baseline whose ``[table]`` has its ``source_kind`` line replaced by ``line``; returns it and the line number."""
    lines = BASELINE.read_text(encoding="utf-8").splitlines()
    header = lines.index(f"[{table}]")
    number = next(i for i in range(header + 1, len(lines)) if lines[i].startswith("source_kind"))
    lines[number] = line
    path = tmp_path / "kinds.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, number + 1


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_uncertain_input_of_every_shipped_scenario_has_a_kind_of_source(path):
    scenario = load_scenario(path).scenario
    kinds = {item.path: kind_of_path(scenario, item.path) for item in uncertain_inputs(scenario)}
    assert kinds and all(kind in SOURCE_KINDS for kind in kinds.values()), {p: k for p, k in kinds.items() if k not in SOURCE_KINDS}


def test_baseline_kinds_follow_its_source_texts():
    scenario = load_scenario(BASELINE).scenario
    assert kind_of_path(scenario, "fleet.civilian.count") == "report"  # Shafaq News: about 100 trucks came in
    assert kind_of_path(scenario, "fleet.het.count") == "assumption"  # program pages give payload and speed, not how many
    assert kind_of_path(scenario, "fleet.het.speed_kmh") == "doctrine"
    assert kind_of_path(scenario, "route.syria.speed_kmh") == "doctrine"  # FM 55-30 march tables
    assert kind_of_path(scenario, "cargo.classes.heavy.loads") == "assumption"
    assert kind_of_path(scenario, "crossing.main.minutes_per_vehicle") == "report"  # AFP 2011: the last of 110 vehicles crossed 8 min after the first
    assert kind_of_path(scenario, "cargo.classes.general.loads") == "precedent"  # containers a soldier, Afghanistan 2013
    assert kind_of_path(scenario, "cargo.classes.general.handed_over_fraction") == "assumption"  # a judgement: destruction reported, no share
    assert kind_of_path(scenario, "fleet.breakdowns_per_1000_km") == "precedent"  # ATA road calls, MIL-T-46780D
    assert kind_of_path(scenario, "convoys.size_max") == "report"  # convoys of 100-270 vehicles in north-east Syria
    assert kind_of_path(scenario, "convoys.max_per_day") == "assumption"  # departures seen, no limit and no three a day reported
    assert kind_of_path(scenario, "escort.teams") == "assumption"  # no public count; counted from the security force
    assert kind_of_path(scenario, "crossing.alternate.closure_days") == "report"  # Semalka closures of 10-90 days
    assert kind_of_path(scenario, "scenario.window_days") == "seed"


DECIDING = {
    "qasrak_baseline.toml": {"convoys.max_per_day", "escort.teams", "cargo.classes.general.handed_over_fraction"},
    "syria_2026_theatre.toml": {
        "convoys.max_per_day",
        "pools.escort.escort.teams",
        "pools.army.fleet.military.count",
        "sites.qasrak.cargo.classes.general.handed_over_fraction",
        "sites.rmelan.cargo.classes.general.loads",
        "sites.life_stone.cargo.classes.general.loads",
    },
}
"""Inputs with a tornado swing over 2 days (README, docs/SOURCES.md) that no source measures: each must say so."""


@pytest.mark.parametrize("name", sorted(DECIDING))
def test_the_deciding_inputs_no_source_measures_are_marked_assumptions(name):
    scenario = load_scenario(ROOT / "scenarios" / name).scenario
    assert {path: kind_of_path(scenario, path) for path in DECIDING[name]} == dict.fromkeys(DECIDING[name], "assumption")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_no_shipped_scenario_calls_the_departures_a_day_or_the_share_handed_over_a_report(path):
    scenario = load_scenario(path).scenario
    judged = [i.path for i in uncertain_inputs(scenario) if i.path.endswith(("max_per_day", "handed_over_fraction"))]
    assert judged and all(kind_of_path(scenario, p) == "assumption" for p in judged), {p: kind_of_path(scenario, p) for p in judged}


def test_one_kind_covers_the_group_and_a_table_names_fields_with_a_default(tmp_path):
    path, _ = with_kind_line(tmp_path, "fleet.het", 'source_kind = {speed_kmh = "doctrine", default = "report"}')
    scenario = load_scenario(path).scenario
    assert kind_of_path(scenario, "fleet.het.speed_kmh") == "doctrine"
    assert kind_of_path(scenario, "fleet.het.count") == "report"
    path, _ = with_kind_line(tmp_path, "loading", 'source_kind = "precedent"')
    assert kind_of_path(load_scenario(path).scenario, "loading.hours_per_truck") == "precedent"


def test_a_value_whose_group_names_no_kind_reads_as_unsourced(tmp_path):
    path, _ = with_kind_line(tmp_path, "loading", "")
    rows = {row.parameter: row for row in provenance_rows(load_scenario(path).scenario)}
    assert rows["loading.teams"].kind == UNSOURCED
    assert rows["escort.teams"].kind == "assumption"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('source_kind = "rumour"', "unknown kind of source 'rumour'; use one of seed, report, doctrine, precedent, assumption"),
        ('source_kind = {count = "assumption", speed = "doctrine"}', "names `speed`, which is not a field of this group; did you mean `speed_kmh`?"),
        ('source_kind = {count = "hearsay"}', "unknown kind of source 'hearsay'"),
        ("source_kind = 3", 'must be one kind such as "assumption", or a table per field'),
    ],
)
def test_an_unknown_kind_or_field_is_one_problem_naming_file_line_and_field(tmp_path, line, message):
    path, number = with_kind_line(tmp_path, "fleet.het", line)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert len(info.value.problems) == 1 and "\n" not in text
    assert text.startswith(f"{path}:{number} fleet.het.source_kind: ")
    assert message in text


def test_a_group_without_a_source_refuses_a_kind(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(BASELINE, ['route.source_kind="report"'])
    assert "route.source_kind: this group has no source" in str(info.value)


def test_validate_shows_each_source_once_and_the_kind_beside_each_value(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sim", "validate", str(BASELINE)], capture_output=True, text=True, cwd=ROOT, timeout=120, env=_wide())
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("about 100 trucks came in from Kurdistan") == 1
    row = next(line for line in done.stdout.splitlines() if line.startswith("contracted trucks "))
    assert re.search(r"^contracted trucks\s+fleet\.civilian\.count\s+triangular\(60, 100, 140\)\s+report$", row.rstrip()), row


def test_a_bad_kind_exits_3_without_a_traceback(tmp_path):
    path, number = with_kind_line(tmp_path, "fleet.het", 'source_kind = "rumour"')
    done = subprocess.run([sys.executable, "-m", "sim", "validate", str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 3 and "Traceback" not in done.stderr
    assert f"kinds.toml:{number} fleet.het.source_kind" in " ".join(done.stderr.split())


def _wide() -> dict[str, str]:
    import os

    return {**os.environ, "COLUMNS": "250"}


def test_a_same_place_chance_the_model_does_not_read_is_no_input_and_sites_read_by_their_titles(tmp_path):
    """On the theatre only Kharab al-Jir has same_place_as: its chance of being Rmelan is an input with a source; the
    other bases' default 50% is read by nothing, so neither validate nor the report lists it. A chance the file sets
    is kept (never dropped silently). validate names each site by its title in the file ("Kharab al-Jir")."""
    from typer.testing import CliRunner

    from sim.cli import app
    from sim.report.render import provenance_rows_of

    theatre = ROOT / "scenarios" / "syria_2026_theatre.toml"
    scenario = load_scenario(theatre).scenario
    paths = {row.parameter for row in provenance_rows(scenario)}
    assert "sites.kharab_al_jir.same_place" in paths and "sites.kharab_al_jir.same_place_as" in paths
    assert not {"sites.qasrak.same_place", "sites.rmelan.same_place", "sites.life_stone.same_place"} & paths
    report = {row.path for group in provenance_rows_of(scenario) for row in group.rows}
    assert "sites.kharab_al_jir.same_place" in report and "sites.qasrak.same_place" not in report
    set_by_user = load_scenario(theatre, ["sites.qasrak.same_place=0.3"]).scenario
    assert "sites.qasrak.same_place" in {row.parameter for row in provenance_rows(set_by_user)}

    result = CliRunner().invoke(app, ["validate", str(theatre)], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Qasrak: chance it is the same place" not in result.output
    assert "Kharab al-Jir: chance it is the same place as another base" in result.output
    assert "Kharab al Jir" not in result.output
