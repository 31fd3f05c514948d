"""The results-folder contract: a pydantic Manifest with a kind, written and read one way, and what a folder is."""

from __future__ import annotations

import json

import pytest

from sim.experiment.manifest import (
    KINDS,
    ResultsFolderError,
    new_manifest,
    prepare_out_dir,
    read_manifest,
    results_kind,
    write_manifest,
)
from sim.experiment.storage import OutputError, on_command_line


def test_a_manifest_round_trips_with_its_header_its_kind_s_fields_and_the_scenario_last(tmp_path):
    scenario = {"scenario": {"name": "x", "window_days": [15, 30]}}
    written = new_manifest("run", scenario, "scenarios/x.toml", ["escort.teams=4"], 7, replications=300, jobs=2)
    write_manifest(tmp_path, written)
    text = json.loads((tmp_path / "manifest.json").read_text())
    assert list(text)[:9] == ["scenario_path", "scenario_sha256", "overrides", "seed", "created_utc", "command", "versions", "git_commit", "kind"]
    assert list(text)[-1] == "scenario" and text["replications"] == 300 and text["jobs"] == 2
    found = read_manifest(tmp_path, "run")
    assert found.kind == "run" and found.seed == 7 and found["replications"] == 300 and found.scenario == scenario
    assert found.overrides == ["escort.teams=4"] and "summary.json" in found.files()


def test_every_command_s_kind_is_known_and_an_unknown_one_is_refused():
    assert {"run", "sweep", "compare", "sensitivity-tornado", "calibrate", "marginal", "evidence", "discover", "nowcast", "backtest", "plan"} <= set(KINDS)
    with pytest.raises(ValueError, match="unknown kind of results 'runs'"):
        new_manifest("runs")


def test_reading_a_folder_of_another_kind_says_which_it_holds(tmp_path):
    write_manifest(tmp_path, new_manifest("sweep", {}))
    with pytest.raises(ResultsFolderError, match=r"holds the results of `evacsim sweep`, not of `evacsim run`"):
        read_manifest(tmp_path, "run")


def test_what_a_folder_is_comes_from_its_manifest_alone(tmp_path):
    assert results_kind(tmp_path) is None
    (tmp_path / "summary.json").write_text("{}")  # files alone say nothing
    assert results_kind(tmp_path) is None
    (tmp_path / "manifest.json").write_text(json.dumps({"seed": 1}))  # a run written before kinds were recorded
    assert results_kind(tmp_path) == "run"
    (tmp_path / "manifest.json").write_text("[1, 2]")
    assert results_kind(tmp_path) == "unreadable manifest"
    with pytest.raises(ResultsFolderError, match="holds a JSON list, not the object evacsim writes"):
        read_manifest(tmp_path)


def test_resume_into_another_command_s_results_answers_resume_and_names_real_commands(tmp_path):
    write_manifest(tmp_path, new_manifest("sensitivity-morris", {}))
    with pytest.raises(OutputError) as refused:
        prepare_out_dir(tmp_path, force=True, kind="sensitivity-tornado", keep=True)
    said = str(refused.value)
    assert "holds the results of `evacsim sensitivity --method morris`, so resume=True cannot continue `evacsim sensitivity --method tornado`" in said
    assert "force" not in said and "sensitivity-morris" not in said and "give another out=" in said  # from Python: its keywords
    with on_command_line():  # an evacsim command: the options as typed
        assert "so --resume cannot continue" in str(refused.value) and "give another --out" in str(refused.value)


def test_force_never_writes_into_another_command_s_results(tmp_path):
    write_manifest(tmp_path, new_manifest("sweep", {}))
    with pytest.raises(OutputError, match=r"holds the results of `evacsim sweep`, and force=True only overwrites results of the same command"):
        prepare_out_dir(tmp_path, force=True, kind="run")
    assert prepare_out_dir(tmp_path, force=True, kind="sweep") == tmp_path
