"""Study files: the sweep's study file is also a sensitivity ``--factors`` file, and a moved study names its scenario line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiment.evaluate import StudyError, study_factors
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"
EXAMPLE = ROOT / "scenarios" / "studies" / "fleet_and_escort.toml"

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE).scenario


def test_the_sweep_study_file_gives_sensitivity_factors_over_its_ranges(baseline):
    factors = {f.path: f for f in study_factors(EXAMPLE, baseline)}
    assert list(factors) == ["fleet.civilian.count", "escort.teams"]
    assert (factors["fleet.civilian.count"].low, factors["fleet.civilian.count"].high) == (60.0, 140.0)
    assert (factors["escort.teams"].low, factors["escort.teams"].high) == (2.0, 6.0)
    assert all(f.integer and f.low <= f.median <= f.high for f in factors.values())


@pytest.mark.parametrize(
    ("text", "low", "high", "integer"),
    [
        ('[factors]\nescort.teams = "3:9"\n', 3.0, 9.0, True),
        ('[factors]\nescort.teams = "3:9:2"\n', 3.0, 9.0, True),
        ('[factors]\nescort.teams = "2,3,4,6"\n', 2.0, 6.0, True),
        ("[factors]\nescort.teams = [6, 2, 4]\n", 2.0, 6.0, True),
        ("[factors]\nescort.teams = {low = 3, high = 9, step = 3}\n", 3.0, 9.0, True),
        ("[factors.escort]\nteams = {low = 3, high = 9}\n", 3.0, 9.0, True),
        ('[factors."escort.teams"]\nlow = 3\nhigh = 9\n', 3.0, 9.0, True),
        ('[factors."escort.teams"]\nlow = 3\nhigh = 9\ninteger = false\n', 3.0, 9.0, False),
    ],
)
def test_every_sweep_factor_form_is_a_sensitivity_range(tmp_path, baseline, text, low, high, integer):
    study = tmp_path / "study.toml"
    study.write_text(text)
    [factor] = study_factors(study, baseline)
    assert (factor.path, factor.low, factor.high, factor.integer) == ("escort.teams", low, high, integer)


@pytest.mark.parametrize(
    ("spec", "integer"), [('"0:6"', True), ('"0:6:2"', True), ("[0, 2, 6]", True), ('"0.5:6"', False), ("[0, 2.5, 6]", False), ("{low = 0.0, high = 6}", False)]
)
def test_a_fixed_number_is_whole_when_written_so(tmp_path, baseline, spec, integer):
    study = tmp_path / "study.toml"
    study.write_text(f"[factors]\nairlift.aircraft = {spec}\n")
    [factor] = study_factors(study, baseline)
    assert factor.path == "airlift.aircraft" and factor.integer is integer and factor.median == 3.0  # the baseline's 3 C-130Js


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[factors]\nfleet.civilain.count = "60:140"\n', "factors.fleet.civilain.count: not a number of the scenario"),
        ('[factors."escort.teams"]\nlow = 9\nhigh = 3\n', "factors.escort.teams: high (3) must be above low (9)"),
        ('[factors."escort.teams"]\nlow = 3\n', "factors.escort.teams: give low and high"),
        ("[factors]\nescort.teams = [4]\n", "factors.escort.teams: high (4) must be above low (4)"),
        ('[factors]\nescort.teams = "lots"\n', "factors.escort.teams: 'lots' is not a range"),
    ],
)
def test_a_wrong_factor_names_the_file_and_field(tmp_path, baseline, text, says):
    study = tmp_path / "study.toml"
    study.write_text(text)
    with pytest.raises(StudyError, match="^" + str(study).replace("\\", "\\\\") + ": ") as caught:
        study_factors(study, baseline)
    assert says in str(caught.value)


def test_sensitivity_runs_on_the_sweep_study_file(tmp_path):
    out = tmp_path / "x"
    result = invoke("sensitivity", BASELINE, "--factors", EXAMPLE, "--replications", "2", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert set(pd.read_csv(out / "tornado.csv", index_col=0).index) == {"fleet.civilian.count", "escort.teams"}


def test_a_copied_study_names_its_scenario_line(tmp_path):
    study = tmp_path / "study.toml"
    shutil.copy(EXAMPLE, study)
    line = next(n for n, text in enumerate(study.read_text().splitlines(), 1) if text.startswith("scenario"))
    result = invoke("sweep", study, "--replications", "1", "--out", tmp_path / "out")
    assert result.exit_code == 3, result.output
    assert f"study.toml:{line} scenario: ../qasrak_baseline.toml not found" in result.output
    assert "relative to the study file" in result.output and "Traceback" not in result.output


def test_a_bad_override_in_the_study_file_is_blamed_on_the_study_file(tmp_path, baseline_path):
    study = tmp_path / "study.toml"
    study.write_text(f'name = "t"\nscenario = "{baseline_path.resolve()}"\nset = ["escort.teams=abc"]\n[factors]\nescort.teams = [2, 4]\n')
    result = invoke("sweep", study, "-n", "2", "--out", tmp_path / "s")
    assert result.exit_code == 3
    assert f"{study}:3 set:" in result.output and "escort.teams" in result.output and "--set" not in result.output
    cli_set = invoke("sweep", baseline_path, "--vary", "fleet.civilian.count=60,80", "--set", "escort.teams=-1", "-n", "2", "--out", tmp_path / "c")
    assert cli_set.exit_code == 3 and "(value given with --set)" in cli_set.output


def test_a_study_override_valid_only_with_the_command_line_s_is_accepted(tmp_path, baseline_path):
    """size_min 160 is refused against the baseline's size_max (50-150), but not with --set convoys.size_max=200."""
    study = tmp_path / "study.toml"
    study.write_text(f'name = "t"\nscenario = "{baseline_path.resolve()}"\nset = ["convoys.size_min=160"]\n[factors]\nescort.teams = [2, 4]\n')
    alone = invoke("sweep", study, "-n", "1", "--jobs", "1", "--out", tmp_path / "a")
    assert alone.exit_code == 3 and f"{study}:3 set:" in alone.output
    both = invoke("sweep", study, "--set", "convoys.size_max=200", "-n", "1", "--jobs", "1", "--out", tmp_path / "b")
    assert both.exit_code == 0, both.output
