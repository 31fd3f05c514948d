"""What the command line promises whatever the command: usage mistakes exit 2 before any work,
messages keep every character, results of one command are never mixed into another's folder,
and a replication cut off at the horizon is never read as one that finished in the window."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--seed", "-1"], "--seed"),
        (["--scheduler", "notaurl"], "tcp://HOST:PORT"),
        (["--scheduler", "tcp://127.0.0.1:8786", "--dask-local", "2"], "--scheduler and --dask-local ask for different places"),
        (["--dask-local", "2", "--scheduler", "tcp://127.0.0.1:8786"], "--scheduler and --dask-local ask for different places"),
        (["--jobs", "2", "--dask-local", "2"], "--jobs and --dask-local ask for different places"),
        (["--scheduler", "tcp://127.0.0.1:8786", "--jobs", "2"], "--jobs and --scheduler ask for different places"),
        (["--tls-ca-file", __file__], "--tls-ca-file is only for an existing Dask cluster; give its address with --scheduler"),
        (["--precision", "0.05"], "--replications or --precision, not both"),
    ],
)
def test_usage_mistakes_exit_2_before_any_replication(tmp_path, baseline_path, extra, message):
    out = tmp_path / "run"
    result = invoke("run", baseline_path, "-n", "20", "--out", out, *extra)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert not out.exists()


def test_a_run_manifest_names_where_its_replications_ran(tmp_path, baseline_path):
    out = tmp_path / "run"
    assert invoke("run", "--no-figures", baseline_path, "-n", "4", "--jobs", "1", "--out", out).exit_code == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["executor"] == "in process" and manifest["jobs"] == 1


def test_analysis_commands_check_the_cluster_options_too(tmp_path, baseline_path):
    result = invoke("marginal", baseline_path, "--scheduler", "x:y", "--out", tmp_path / "m")
    assert result.exit_code == 2 and "tcp://HOST:PORT" in " ".join(result.output.split())


def test_error_messages_keep_their_square_brackets(baseline_path):
    """Rich would read ``[factors]`` as a style tag and drop it from the message."""
    result = invoke("sweep", baseline_path, "-n", "10")
    assert result.exit_code == 3
    assert "a study file with [factors]" in result.output


def test_a_horizon_inside_the_window_is_refused(tmp_path, baseline_path):
    result = invoke("run", baseline_path, "--set", "scenario.horizon_days=20", "-n", "5", "--out", tmp_path / "h")
    assert result.exit_code == 3
    assert "scenario.horizon_days" in result.output and "beyond the end of window_days" in result.output


def test_replications_cut_off_at_the_horizon_count_as_late_and_are_warned_about(tmp_path, baseline_path):
    out = tmp_path / "h"
    slow = ["--set", "convoys.max_per_day=1"]  # one convoy a day: the baseline then often needs more than 31 days
    result = invoke("run", "--no-figures", baseline_path, "--set", "scenario.horizon_days=31", *slow, "-n", "40", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(out / "replications.parquet")
    summary = json.loads((out / "summary.json").read_text())
    cut_off = int((~rows["finished"]).sum())
    assert cut_off > 0
    in_window = int((rows["finished"] & rows["days_to_base_empty"].between(15, 30)).sum())
    assert summary["unfinished_at_horizon"] == cut_off
    assert summary["p_15_to_30"]["estimate"] == pytest.approx(in_window / 40)
    assert summary["p_over_30"]["estimate"] >= cut_off / 40
    assert any(f"{cut_off} of 40 replications" in w for w in summary["warnings"])
    assert "warning:" in result.output and "horizon" in result.output


@pytest.mark.parametrize(
    "command",
    [
        ["marginal", "{scenario}", "-n", "2", "--jobs", "1"],
        ["sweep", "{scenario}", "--vary", "escort.teams=2,4", "-n", "2", "--jobs", "1"],
        ["nowcast", "{scenario}", "scenarios/observations/qasrak_2026.toml", "-n", "20", "--jobs", "1"],
    ],
)
def test_force_never_writes_one_command_s_results_into_another_s_folder(tmp_path, baseline_path, command):
    out = tmp_path / "run"
    assert invoke("run", baseline_path, "-n", "10", "--jobs", "1", "--out", out).exit_code == 0
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    args = [str(baseline_path) if a == "{scenario}" else a for a in command]
    result = invoke(*args, "--out", out, "--force")
    assert result.exit_code == 4, result.output
    assert "holds the results of `evacsim run`" in " ".join(result.output.split())
    assert {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()} == before


def test_force_still_overwrites_results_of_the_same_command(tmp_path, baseline_path):
    out = tmp_path / "run"
    assert invoke("run", "--no-figures", baseline_path, "-n", "10", "--jobs", "1", "--out", out).exit_code == 0
    assert invoke("run", "--no-figures", baseline_path, "-n", "12", "--jobs", "1", "--out", out, "--force").exit_code == 0
    assert json.loads((out / "summary.json").read_text())["replications"] == 12


@pytest.mark.parametrize(
    "args",
    [
        ["calibrate", "{scenario}", "--target-days", "abc"],
        ["calibrate", "{scenario}", "--target-days", "-5:10"],
        ["discover", "{folder}", "--target", "days >"],
        ["sweep", "{scenario}", "--vary", "escort.teams=2:6", "--design", "lhs", "-n", "2"],
        ["sweep", "{scenario}", "--vary", "escort.teams=2,4", "--samples", "5", "-n", "2"],
    ],
)
def test_option_values_that_cannot_be_read_exit_2(tmp_path, baseline_path, args):
    filled = [str(baseline_path) if a == "{scenario}" else str(tmp_path) if a == "{folder}" else a for a in args]
    result = invoke(*filled, "--out", tmp_path / "x")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_a_sobol_sweep_off_a_power_of_two_is_warned_about(tmp_path, baseline_path):
    result = invoke(
        "sweep", baseline_path, "--vary", "escort.teams=2:6", "--design", "sobol", "--samples", "6", "-n", "2", "--jobs", "1", "--out", tmp_path / "s"
    )
    assert result.exit_code == 0, result.output
    assert "power of 2" in result.output and "4 or 8" in result.output


def test_sensitivity_applies_the_study_file_s_overrides(tmp_path, baseline_path):
    study = tmp_path / "study.toml"
    study.write_text('set = ["fleet.het.count=20"]\n[factors]\nescort.teams = [3, 6]\n')
    out = tmp_path / "t"
    result = invoke("sensitivity", baseline_path, "--method", "tornado", "--factors", study, "-n", "2", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["overrides"] == ["fleet.het.count=20"]
    assert manifest["scenario"]["fleet"]["het"]["count"] == 20


def test_discover_records_what_it_read_in_a_manifest(tmp_path, baseline_path):
    run = tmp_path / "run"
    assert invoke("run", "--no-figures", baseline_path, "-n", "60", "--jobs", "1", "--out", run).exit_code == 0
    out = tmp_path / "d"
    result = invoke("discover", run, "--target", "days <= 17", "--out", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "discover" and manifest["results"] == str(run) and manifest["target"] == "days <= 17"
    assert manifest["seed"] == 20260223 and manifest["scenario"]["scenario"]["name"] == "qasrak_baseline"


def test_calibrate_and_discover_never_count_a_cut_off_replication_as_closing(tmp_path, baseline_path):
    """With one convoy a day and a 32-day horizon many replications are cut off: none of them closed in 30-60 days."""
    out = tmp_path / "c"
    slow = ["--set", "convoys.max_per_day=1"]
    result = invoke("calibrate", baseline_path, "--set", "scenario.horizon_days=32", *slow, "--target-days", "30:60", "-n", "60", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    rows = pd.read_parquet(out / "replications.parquet")
    closed = int((rows["finished"] & rows["days_to_base_empty"].between(30, 60)).sum())
    assert (~rows["finished"]).sum() > 0
    assert json.loads((out / "manifest.json").read_text())["acceptance"]["estimate"] == pytest.approx(closed / 60)

    from sim.analysis.discovery import parse_target

    late = parse_target("days > 30").cases(rows)
    assert late[~rows["finished"].to_numpy()].all()


def test_every_command_s_usage_line_names_its_arguments_in_words():
    """`evacsim <command> --help` reads `Usage: evacsim run [OPTIONS] SCENARIO`, never typer's `{scenario}`."""
    import typer.main

    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    expected = {
        "run": "SCENARIO",
        "compare": "SCENARIO_A [SCENARIO_B]",
        "nowcast": "SCENARIO OBSERVATIONS",
        "backtest": "[CASES]...",
        "plot": "RESULTS_FOLDER",
        "discover": "RESULTS_FOLDER",
        "sweep": "STUDY_OR_SCENARIO",
        "serve": "[SCENARIO]",
    }
    for name in commands:
        result = runner.invoke(app, [name, "--help"], prog_name="evacsim")
        assert result.exit_code == 0, result.output
        usage = next(line for line in result.output.splitlines() if line.startswith("Usage:"))
        assert "{" not in usage and "}" not in usage, usage
        if name in expected:
            assert usage == f"Usage: evacsim {name} [OPTIONS] {expected[name]}", usage
