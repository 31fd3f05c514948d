"""Input edges (issue 22): files that are not files, too large or empty; titles that matplotlib would
read as mathtext or that reorder the report's text; messages that name the real cause."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario.loading import MAX_INPUT_BYTES, ScenarioError, load_scenario
from sim.scenario.observations import load_observations

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"
THEATRE = ROOT / "scenarios" / "syria_2026_theatre.toml"
OBSERVATIONS = ROOT / "scenarios" / "observations" / "qasrak_2026.toml"


def _validate(path: Path | str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``evacsim validate PATH`` in a process of its own, so that a file that would hang the reader fails the test instead."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "sim", "validate", str(path)], capture_output=True, text=True, timeout=timeout, env=env)


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda folder: Path("/dev/zero"), "is a character device, not a regular file"),
        (lambda folder: folder, "is a folder, not a TOML file"),
        (lambda folder: (folder / "empty.toml", (folder / "empty.toml").write_bytes(b""))[0], "is empty"),
        (lambda folder: (folder / "blank.toml", (folder / "blank.toml").write_text("\n  \n"))[0], "is empty"),
        (lambda folder: (folder / "notes.toml", (folder / "notes.toml").write_text("# to do\n\n"))[0], "is empty: it holds only comments"),
    ],
    ids=["dev-zero", "folder", "empty", "blank", "comments-only"],
)
def test_a_path_that_is_no_scenario_file_is_one_line_and_exit_3(tmp_path, make, said):
    path = make(tmp_path)
    if not path.exists():
        pytest.skip(f"{path} does not exist here")
    line = _one_error_line(_validate(path))
    assert said in line and str(path) in line


def test_a_fifo_is_refused_at_once_instead_of_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "scenario.toml"
    os.mkfifo(fifo)
    line = _one_error_line(_validate(fifo, timeout=30))
    assert "is a named pipe (FIFO), not a regular file" in line


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "huge.toml"
    with big.open("wb") as file:
        file.truncate(MAX_INPUT_BYTES + 1_500_000)  # sparse: no disk used, nothing for the reader to wade through
    line = _one_error_line(_validate(big))
    assert "is 11.5 MB: over the 10 MB an input file may have" in line


def test_an_observations_file_gets_the_same_checks(tmp_path):
    fifo = tmp_path / "observations.toml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="named pipe"):
        load_observations(fifo)
    (tmp_path / "empty.toml").write_bytes(b"")
    with pytest.raises(ScenarioError, match="is empty"):
        load_observations(tmp_path / "empty.toml")


def test_a_file_at_the_limit_is_still_read(tmp_path):
    text = BASELINE.read_text(encoding="utf-8")
    padded = tmp_path / "padded.toml"
    padded.write_text(text + "#" * (MAX_INPUT_BYTES - len(text.encode()) - 1) + "\n", encoding="utf-8")
    assert padded.stat().st_size == MAX_INPUT_BYTES
    assert load_scenario(padded).scenario.scenario.title


@pytest.mark.parametrize("control", ["\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f"])
def test_a_bidirectional_control_in_a_title_is_refused_with_file_line_and_field(tmp_path, control):
    path = tmp_path / "reversed.toml"
    text = BASELINE.read_text(encoding="utf-8")
    title_line = next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith("title = "))
    path.write_text(text.replace('title = "', f'title = "{control}', 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}:{title_line} scenario.title: holds an invisible bidirectional control character (U+{ord(control):04X}")


def test_a_bidirectional_control_in_a_site_title_or_an_override_is_refused(tmp_path):
    path = tmp_path / "theatre.toml"
    path.write_text(THEATRE.read_text(encoding="utf-8").replace('title = "Erbil / Harir"', 'title = "Erbil \u2067/ Harir"'), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"theatre\.toml:\d+ sites\.erbil_harir\.title: holds .*U\+2067"):
        load_scenario(path)
    result = CliRunner().invoke(app, ["validate", str(BASELINE), "--set", 'scenario.title="Qasrak \u202e"'])
    assert result.exit_code == 3
    assert "--set scenario.title: holds an invisible bidirectional control character (U+202E" in result.output


def test_a_bidirectional_control_in_an_observations_title_is_refused(tmp_path):
    path = tmp_path / "observations.toml"
    path.write_text(re.sub(r'(?m)^title = "', 'title = "\u202e', OBSERVATIONS.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"observations\.toml:\d+ observations\.title: holds"):
        load_observations(path)


def test_a_dollar_in_a_site_title_is_drawn_as_text_not_mathtext():
    from sim.plots.theatre import base_burndown_figure

    loads = np.tile(np.arange(12.0, 0.0, -1.0), (5, 1))
    figure = base_burndown_figure({"qasrak": loads}, {"qasrak": r"$\foo{$ base"}, dt.date(2026, 2, 23))
    figure.savefig(io.BytesIO(), format="png")  # mathtext would fail here: "Unknown symbol: \foo"
    assert figure.axes[0].get_title() == r"$\foo{$ base"


@pytest.mark.parametrize(("written", "said"), [("nan", "is not a number (nan)"), ("inf", "is infinite (inf)")])
def test_nan_or_infinity_in_an_observation_says_so(tmp_path, written, said):
    path = tmp_path / "observations.toml"
    path.write_text(re.sub(r"(?m)^low = \d+", f"low = {written}", OBSERVATIONS.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_observations(path)
    assert re.search(rf"observations\.toml:\d+ the 1st \[\[observation\]\], field low \(observation\.0\.low\): {re.escape(said)}", str(caught.value))
    assert ">= 0" not in str(caught.value) and "greater than" not in str(caught.value)


def test_after_naming_a_crossing_says_it_is_a_crossing(tmp_path):
    path = tmp_path / "theatre.toml"
    path.write_text(THEATRE.read_text(encoding="utf-8").replace('after = "qasrak"', 'after = "al_waleed"', 1), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "sites.rmelan.after: 'al_waleed' is a crossing, not a base; `after` names the base this one waits for: qasrak, " in str(caught.value)


def test_a_theatre_without_a_destination_says_so(tmp_path):
    text = THEATRE.read_text(encoding="utf-8")
    path = tmp_path / "theatre.toml"
    path.write_text(text[: text.index("[sites.erbil_harir]")] + text[text.index("[[legs]]") :], encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "sites: a theatre needs a destination: no site is of kind destination" in str(caught.value)


# ---- messages a new user met: one consistent sentence each ------------------------------------------

DEADLINE = ROOT / "scenarios" / "qasrak_deadline.toml"
AFTER_START = "deadline.day: must be after the start (above 0 days from scenario.start)"


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("-1", f"{AFTER_START}, not -1:"),
        ("0", f"{AFTER_START}, not 0:"),
        ('{dist="uniform",low=-3,high=20}', f"{AFTER_START} over its whole range:"),
        ('{dist="uniform",low=10,high=200}', "deadline.day: its range reaches day 200, past the horizon day 150 (scenario.horizon_days)"),
        ("200", "deadline.day: is day 200, past the horizon day 150 (scenario.horizon_days)"),
    ],
)
def test_a_deadline_before_the_start_or_past_the_horizon_says_so_in_one_way(value, says):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(DEADLINE, [f"deadline.day={value}"])
    text = str(caught.value)
    assert says in text and ">= 0" not in text, text


def test_an_empty_airlift_says_how_to_write_a_base_without_a_strip():
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, ["airlift=[]"])
    text = str(caught.value)
    assert "airlift: needs at least one airstrip: leave `airlift` out for a base without one" in text and "validation" not in text, text


def test_a_scenario_given_as_the_observations_says_so_in_one_paragraph():
    result = CliRunner().invoke(app, ["nowcast", str(BASELINE), str(BASELINE)])
    assert result.exit_code == 2  # a file of the wrong kind is wrong usage, as a study given as the scenario (docs/COMMANDS.md)
    lines = [line for line in result.output.splitlines() if line.strip()]
    text = " ".join(result.output.split())
    assert "this is a scenario file" in text and "not an observations file" in text and len(lines) <= 4, result.output
    assert "`evacsim nowcast SCENARIO OBSERVATIONS`" in text


@pytest.mark.parametrize(
    ("command", "path", "says"),
    [
        ("nowcast", "studies/fleet_and_escort.toml", "the scenario it names), not an observations file; run it with `evacsim sweep FILE`"),
        ("nowcast", "studies/plan_20_days.toml", "this is a plan options file (a target and [levers]), not an observations file; give it to `evacsim plan"),
        ("plan", "studies/fleet_and_escort.toml", "study file (a design over the [factors] of the scenario it names), not a plan options file; run it"),
        ("plan", "observations/qasrak_2026.toml", "an observations file (dated reports of the evacuation), not a plan options file; give it to `evacsim"),
        ("plan", "qasrak_baseline.toml", "a scenario file (a [scenario] table and what the base holds), not a plan options file; give it as the scenario"),
        ("sweep", "studies/plan_20_days.toml", "this is a plan options file (a target and [levers]), not a study file; give it to `evacsim plan"),
        ("sweep", "observations/qasrak_2026.toml", "an observations file (dated reports of the evacuation), not a study file; give it to `evacsim nowcast"),
    ],
)
def test_a_file_of_another_kind_where_observations_plan_options_or_a_study_are_read_says_what_it_is_in_one_line(tmp_path, command, path, says):
    given = str(ROOT / "scenarios" / path)
    args = {"nowcast": [str(BASELINE), given], "plan": [str(BASELINE), "--options", given], "sweep": [given]}[command]
    result = CliRunner().invoke(app, [command, *args, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert says in text and "unknown field" not in text and "looks like" not in text, result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) <= 3, result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("studies/plan_20_days.toml", "this is a plan options file (a target and [levers]), not a scenario; give it to `evacsim plan SCENARIO --options FILE`"),
        ("studies/fleet_and_escort.toml", "this is a study file (a design over the [factors] of the scenario it names), not a scenario; run it with"),
        ("observations/qasrak_2026.toml", "this is an observations file (dated reports of the evacuation), not a scenario; give it to `evacsim nowcast"),
    ],
)
def test_a_study_or_observations_file_given_as_the_scenario_says_what_it_is_in_one_line(path, says):
    result = CliRunner().invoke(app, ["validate", str(ROOT / "scenarios" / path)])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert says in text and "required field" not in text and "unknown field" not in text, result.output
    assert len([line for line in result.output.splitlines() if line.strip()]) <= 3, result.output


def test_a_number_where_a_group_of_fields_belongs_says_which_field_to_set(tmp_path):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(BASELINE, ["fleet.civilian=5"])
    text = str(caught.value)
    assert "fleet.civilian: is a group of fields (count, speed_kmh, cab_seats), not a number: set fleet.civilian.count" in text, text
    assert "dictionary" not in text and "TruckType" not in text
    # written in the file, the same words and its line
    lines = BASELINE.read_text(encoding="utf-8").splitlines()
    at = lines.index("[fleet.civilian]")
    end = next(i for i in range(at + 1, len(lines)) if lines[i].startswith("["))
    path = tmp_path / "civilian.toml"
    fleet = lines.index("[fleet]")
    path.write_text("\n".join([*lines[: fleet + 1], "civilian = 5", *lines[fleet + 1 : at], *lines[end:]]) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert f"{path}:{fleet + 2} fleet.civilian: is a group of fields" in str(caught.value), str(caught.value)


def test_a_leg_is_counted_from_one_with_its_dotted_path_beside(tmp_path):
    lines = THEATRE.read_text(encoding="utf-8").splitlines()
    third = [n for n, line in enumerate(lines) if line.strip() == "[[legs]]"][2]
    km = next(n for n in range(third, len(lines)) if lines[n].startswith("km ="))
    lines[km] = "km = -15"
    path = tmp_path / "theatre.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert f"{path}:{km + 1} the 3rd [[legs]], field km (legs.2.km): must be >= 0" in str(caught.value), str(caught.value)


@pytest.mark.parametrize(("value", "example"), [("30", "e.g. 0.3 for 30%"), ("45", "e.g. 0.45 for 45%"), ("1.5", "e.g. 0.015 for 1.5%")])
def test_a_share_written_as_a_percentage_says_it_is_a_share_between_0_and_1(value, example):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(DEADLINE, [f"cargo.classes.general.handed_over_fraction={value}"])
    assert f"handed_over_fraction: must be <= 1; it is a share between 0 and 1 ({example})" in str(caught.value), str(caught.value)
