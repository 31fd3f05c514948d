"""Faults and bad input (issue 12): each was tried on the old code and gave a traceback, ran
forever or was accepted silently; here each is refused or survived as README's exit status says."""

from __future__ import annotations

import datetime as dt
import errno
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.scenario.loading import load_scenario

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def invoke(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def one_line(output: str) -> str:
    return " ".join(output.split())


def with_start(tmp_path: Path, value: str) -> Path:
    """The baseline with ``scenario.start`` written as ``value`` (TOML, so quote a string yourself)."""
    text = (ROOT / "scenarios" / "qasrak_baseline.toml").read_text()
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("start = "))
    lines[at] = f"start = {value}"
    path = tmp_path / "start.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


# ---- scenario.start ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ['"23/02/2026"', '"2026-02-30"', '"yesterday"', "07:00:00"])
@pytest.mark.parametrize("command", [["validate"], ["run", "-n", "2", "--jobs", "1"], ["bounds"]])
def test_a_start_that_is_no_date_is_refused_when_the_scenario_is_read(tmp_path, value, command):
    path = with_start(tmp_path, value)
    line = path.read_text().splitlines().index(f"start = {value}") + 1
    out = tmp_path / "out"
    result = invoke(command[0], path, *command[1:], *(["--out", out] if command[0] == "run" else []))
    assert result.exit_code == 3, result.output
    assert f"start.toml:{line} scenario.start:" in one_line(result.output)
    assert "Traceback" not in result.output and not out.exists()


def test_nowcast_refuses_a_start_that_is_no_date_before_any_replication(tmp_path):
    path = with_start(tmp_path, '"2026-02-30"')
    result = invoke("nowcast", path, ROOT / "scenarios/observations/qasrak_2026.toml", "-n", "5", "--jobs", "1", "--out", tmp_path / "n")
    assert result.exit_code == 3, result.output
    assert "scenario.start: must be an ISO 8601 date" in one_line(result.output)
    assert not (tmp_path / "n").exists()


@pytest.mark.parametrize(
    ("value", "day"),
    [("2026-02-23T00:00:00+03:00", dt.date(2026, 2, 23)), ("2026-03-01", dt.date(2026, 3, 1)), ('"2026-02-24"', dt.date(2026, 2, 24))],
)
def test_a_toml_date_or_date_time_is_accepted_as_the_start(tmp_path, value, day):
    start = load_scenario(with_start(tmp_path, value)).scenario.scenario.start
    assert isinstance(start, str) and dt.datetime.fromisoformat(start).date() == day


# ---- --jobs and integer study levels ----------------------------------------------------------


@pytest.mark.parametrize("jobs", ["0", "-3"])
@pytest.mark.parametrize(
    "command",
    [
        ["run", "{scenario}", "-n", "2"],
        ["sweep", "{scenario}", "--vary", "escort.teams=2,4", "-n", "2"],
        ["compare", "{scenario}", "--set", "escort.teams=4", "-n", "2"],
        ["marginal", "{scenario}", "-n", "2"],
        ["sensitivity", "{scenario}", "-n", "2"],
        ["calibrate", "{scenario}", "-n", "2"],
        ["nowcast", "{scenario}", "scenarios/observations/qasrak_2026.toml", "-n", "2"],
        ["backtest", "-n", "2"],
        ["bench", "--seconds", "0.1"],
    ],
)
def test_jobs_below_one_is_a_usage_mistake(tmp_path, baseline_path, command, jobs):
    args = [str(baseline_path) if a == "{scenario}" else a for a in command]
    result = invoke(*args, "--jobs", jobs, *(["--out", tmp_path / "x"] if command[0] != "bench" else []))
    assert result.exit_code == 2, result.output
    assert "--jobs" in result.output and not (tmp_path / "x").exists()


def write_study(tmp_path: Path, factor_line: str, design: str = "grid") -> Path:
    study = tmp_path / "study.toml"
    study.write_text(
        f'name = "halves"\nscenario = "{ROOT / "scenarios/qasrak_baseline.toml"}"\ndesign = "{design}"\nsamples = 4\nreplications = 2\n\n'
        f"[factors]\n{factor_line}\n"
    )
    return study


@pytest.mark.parametrize(
    ("factor", "design", "shown"),
    [
        ("escort.teams = [2.5, 4]", "grid", "2.5"),
        ('escort.teams = "2:4:0.5"', "grid", "2.5"),
        ('"fleet.civilian.count" = "60.5:140"', "lhs", "60.5"),
    ],
)
def test_a_fractional_level_of_a_whole_number_field_is_refused_at_its_line(tmp_path, factor, design, shown):
    study = write_study(tmp_path, factor, design)
    result = invoke("sweep", study, "--jobs", "1", "--out", tmp_path / "s")
    assert result.exit_code == 3, result.output
    text = one_line(result.output)
    assert "study.toml:8 factors." in text and f"{shown} cannot be used" in text
    assert not (tmp_path / "s").exists()


def test_whole_levels_of_a_whole_number_field_still_run(tmp_path):
    study = write_study(tmp_path, "escort.teams = [2.0, 4]")
    result = invoke("sweep", study, "--jobs", "1", "--out", tmp_path / "s")
    assert result.exit_code == 0, result.output


# ---- a results folder that cannot be written ----------------------------------------------------


def _inside(folder: Path, path: object) -> bool:
    try:
        return Path(str(path)).resolve().is_relative_to(folder.resolve())
    except (TypeError, ValueError):
        return False


@pytest.fixture
def unwritable(monkeypatch):
    """``unwritable(folder, kind)``: from now on writing a file in ``folder`` fails as on a read-only
    ("read-only") or a full ("full") disk. Running as root, a chmod would not stop the writes."""

    def make(folder: Path, kind: str) -> None:
        def refuse(path: object) -> OSError:
            if kind == "read-only":
                return PermissionError(errno.EACCES, "Permission denied", str(path))
            return OSError(errno.ENOSPC, "No space left on device")

        real_mkstemp, real_fsync, real_to_csv = tempfile.mkstemp, os.fsync, pd.DataFrame.to_csv

        def mkstemp(*args, **kwargs):
            where = kwargs.get("dir")
            if kind == "read-only" and where is not None and _inside(folder, where):
                raise refuse(Path(where) / f"{kwargs.get('prefix', '')}x{kwargs.get('suffix', '')}")
            return real_mkstemp(*args, **kwargs)

        def fsync(fd):
            target = os.readlink(f"/proc/self/fd/{fd}") if os.path.exists(f"/proc/self/fd/{fd}") else ""
            if kind == "full" and _inside(folder, target):
                raise refuse(target)
            return real_fsync(fd)

        def to_csv(self, path_or_buf=None, *args, **kwargs):
            if path_or_buf is not None and _inside(folder, path_or_buf):
                raise refuse(path_or_buf)
            return real_to_csv(self, path_or_buf, *args, **kwargs)

        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
        monkeypatch.setattr(os, "fsync", fsync)
        monkeypatch.setattr(pd.DataFrame, "to_csv", to_csv)

    return make


@pytest.fixture(scope="module")
def results_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("faults") / "run"
    result = invoke("run", ROOT / "scenarios/qasrak_baseline.toml", "-n", "30", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("kind", ["read-only", "full"])
@pytest.mark.parametrize(
    "command",
    [
        ["run", "{scenario}", "-n", "3", "--jobs", "1"],
        ["sweep", "{scenario}", "--vary", "escort.teams=2,4", "-n", "2", "--jobs", "1"],
        ["compare", "{scenario}", "--set", "escort.teams=4", "-n", "3", "--jobs", "1"],
        ["discover", "{results}", "--target", "days <= 15"],  # a target some replications miss: discover has boxes to write
    ],
)
def test_a_results_folder_that_cannot_be_written_is_one_line_and_exit_4(tmp_path, baseline_path, results_folder, unwritable, command, kind):
    out = tmp_path / "out"
    out.mkdir()
    unwritable(out, kind)
    args = [str(baseline_path) if a == "{scenario}" else str(results_folder) if a == "{results}" else a for a in command]
    result = invoke(*args, "--out", out)
    assert result.exit_code == 4, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert ("Permission denied" if kind == "read-only" else "No space left on device") in lines[0]
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


# ---- kill -9: pool workers and temporaries --------------------------------------------------------


def _gone(process) -> bool:
    import psutil

    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.mark.parametrize(
    "command",
    [
        ["run", "{scenario}", "-n", "1000000"],
        ["sweep", "{scenario}", "--vary", "escort.teams=2,4", "-n", "100000"],
        ["marginal", "{scenario}", "-n", "100000"],
    ],
)
def test_pool_workers_exit_when_their_command_is_killed(tmp_path, baseline_path, command):
    """``kill -9`` of the command: its pool workers exit within seconds, not blocked on a pipe forever."""
    psutil = pytest.importorskip("psutil")
    args = [str(baseline_path) if a == "{scenario}" else a for a in command]
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *args, "--jobs", "2", "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list = []
    try:
        parent = psutil.Process(proc.pid)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            workers = [p for p in parent.children(recursive=True) if p.cmdline()[1:3] == ["-m", "sim"]]
            if len(workers) >= 2:
                break
            time.sleep(0.2)
        assert len(workers) >= 2, f"no pool workers started (exit status {proc.poll()})"
        time.sleep(1.0)  # the workers are busy with their first batches
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not all(_gone(w) for w in workers):
            time.sleep(0.2)
        assert all(_gone(w) for w in workers), f"workers {[w.pid for w in workers if not _gone(w)]} outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for w in workers:
            if not _gone(w):
                w.kill()


def test_a_killed_run_s_temporaries_neither_block_the_next_run_nor_survive_force(tmp_path, baseline_path):
    out = tmp_path / "out"
    out.mkdir()
    leftovers = [out / ".replications.parquet.k1ll3d.tmp", out / ".burndown.parquet.k1ll3d.tmp"]
    for path in leftovers:
        path.write_bytes(b"PAR1 half a file")
    result = invoke("run", "--no-figures", baseline_path, "-n", "3", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert not any(p.exists() for p in leftovers)
    for path in leftovers:
        path.write_bytes(b"PAR1 half a file")
    result = invoke("run", "--no-figures", baseline_path, "-n", "4", "--jobs", "1", "--out", out, "--force")
    assert result.exit_code == 0, result.output
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert len(pd.read_parquet(out / "replications.parquet")) == 4


def test_a_folder_with_only_the_temporaries_of_a_killed_sweep_is_taken(tmp_path, baseline_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".design.parquet.k1ll3d.tmp").write_bytes(b"")
    result = invoke("sweep", baseline_path, "--vary", "escort.teams=2,4", "-n", "2", "--jobs", "1", "--out", out)
    assert result.exit_code == 0, result.output
    assert not (out / ".design.parquet.k1ll3d.tmp").exists()


def test_a_real_results_file_still_makes_a_folder_non_empty(tmp_path, baseline_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / ".replications.parquet.k1ll3d.tmp").write_bytes(b"")
    (out / "notes.txt").write_text("mine")
    result = invoke("run", baseline_path, "-n", "3", "--jobs", "1", "--out", out)
    assert result.exit_code == 4 and "not empty" in result.output


# ---- -n of any size -------------------------------------------------------------------------------


def test_batches_are_made_as_they_are_read():
    import tracemalloc

    from sim.experiment.engine import ranges

    tracemalloc.start()
    try:
        cut = ranges(5, 10**8 + 5, 100)  # a million batches: ~60 MB if they were a list
        first = next(cut)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2**20, f"{peak / 2**20:.0f} MB"
    assert first == (5, 100) and sum(1 for _ in cut) == 10**6  # on the grid of 100: the first is short
    assert list(ranges(3, 10, 4)) == [(3, 4), (4, 8), (8, 10)]


@pytest.mark.parametrize(
    "command",
    [
        ["run", "{scenario}"],
        # 8 s each and a core: `make test-slow` runs them; `run` shares their batching and is checked every time
        pytest.param(["sweep", "{scenario}", "--vary", "escort.teams=2,4"], marks=pytest.mark.slow),
        pytest.param(["nowcast", "{scenario}", str(ROOT / "scenarios/observations/qasrak_2026.toml")], marks=pytest.mark.slow),
    ],
)
def test_a_trillion_replications_keep_a_flat_memory_and_a_run_says_how_long_it_would_take(tmp_path, baseline_path, command):
    """The old run built every batch's task before the first replication (~180 MB/s, nothing run); sweep ~60 MB/s, nowcast ~90."""
    psutil = pytest.importorskip("psutil")
    log = tmp_path / "stderr.txt"
    args = [str(baseline_path) if a == "{scenario}" else a for a in command]
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sim", *args, "-n", str(10**12), "--jobs", "1", "--out", str(tmp_path / "out")],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    rss: list[float] = []
    try:
        watched = psutil.Process(proc.pid)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            rss.append(watched.memory_info().rss / 2**20)
            said = command[0] != "run" or "estimated duration" in log.read_text()
            if (said and len(rss) >= 16) or rss[-1] > 1000:  # 8 s: the old growth, 60-180 MB/s, shows in any 2 s
                break
            time.sleep(0.5)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    said = one_line(log.read_text())
    assert proc.returncode == -signal.SIGKILL, said  # still running when stopped
    if command[0] == "run":
        assert "estimated duration: about" in said and "years more for 1,000,000,000,000 replications" in said, said
    assert max(rss) < 600, f"peak {max(rss):.0f} MB"
    settled = rss[2 * len(rss) // 3]  # the last 2.5 s or more, after the imports, even on a busy machine
    assert rss[-1] - settled < 60, f"grew from {settled:.0f} to {rss[-1]:.0f} MB in the last {len(rss) // 3 * 0.5:.0f} s"


@pytest.mark.parametrize("command", ["report", "plot"])
def test_a_results_folder_whose_report_or_figures_cannot_be_written_is_exit_4(tmp_path, results_folder, monkeypatch, command):
    import matplotlib.figure

    from sim import api

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(results_folder / "x"))

    monkeypatch.setattr(api, "write_report", refuse)
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", refuse)
    result = invoke(command, results_folder)
    assert result.exit_code == 4, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Permission denied" in lines[0], result.output
