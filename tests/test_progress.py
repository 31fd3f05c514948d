"""Long work speaks (issue 20): under nohup, CI or a pipe, where rich draws no bar, every study says its size first,
then a plain line every few seconds with the work done, its rate and the time left, and, for work longer than a minute,
about how long it will take. ``EVACSIM_PROGRESS_SECONDS`` shortens the interval (and with it the minute) for tests."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from sim.commands import _progress
from sim.commands._progress import SpeakingProgress, clock_text

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"

# "sweep: 150 of 6,000 replications done (2%), 47/s, about 2 min 04 s left"
LINE = re.compile(r": (?P<done>[\d,]+) of (?P<total>[\d,]+) replications done \((?P<share>\d+)%\), (?P<rate>[\d,]+)/s, about (?P<left>.+) left$")
ESTIMATE = re.compile(r"estimated duration: about (?P<left>.+) more for (?P<total>[\d,]+) replications at ~(?P<rate>[\d,]+)/s on 1 worker; Ctrl-C stops it")


def test_a_wait_is_said_as_a_person_says_it():
    assert clock_text(40) == "40 s"
    assert clock_text(130) == "2 min 10 s"
    assert clock_text(3900) == "1 h 05 min"
    assert clock_text(3 * 86400) == "3.0 days"
    assert clock_text(52 * 365.25 * 86400) == "52 years"


def _bar(clock: list[float], every: float = 10.0, terminal: bool = False) -> tuple[SpeakingProgress, io.StringIO]:
    said = io.StringIO()
    console = Console(file=said, force_terminal=terminal, width=80)
    return SpeakingProgress(console=console, transient=True, workers=2, unit="replications", every=every, auto_refresh=False), said


def test_off_a_terminal_the_bar_says_its_size_then_a_line_every_interval_with_rate_and_time_left(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(_progress.time, "monotonic", lambda: clock[0])
    bar, said = _bar(clock)
    task = bar.add_task("sweep", total=500_000)
    for seconds, done in ((1, 0), (3, 2_000), (5, 10_000), (9, 26_000), (13, 42_000), (14, 46_000), (24, 86_000)):
        clock[0] = 100.0 + seconds
        bar.update(task, completed=done)
    lines = said.getvalue().splitlines()
    assert lines[0] == "sweep: 500,000 replications to run on 2 workers"
    # the pace counts from the first work back (3 s), not from the start: 8,000 in 2 s = 4,000/s, 490,000 left
    assert lines[1] == "estimated duration: about 2 min 02 s more for 500,000 replications at ~4,000/s on 2 workers; Ctrl-C stops it"
    assert lines[2:] == [
        "sweep: 42,000 of 500,000 replications done (8%), 4,000/s, about 1 min 54 s left",
        "sweep: 86,000 of 500,000 replications done (17%), 4,000/s, about 1 min 43 s left",
    ]


def test_small_work_says_its_size_only_in_its_lines_if_it_lasts(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(_progress.time, "monotonic", lambda: clock[0])
    bar, said = _bar(clock)
    task = bar.add_task("run", total=30)
    clock[0] = 1.0
    bar.update(task, completed=10)
    assert said.getvalue() == ""  # a few seconds of work: nothing to say, so an error stays one line
    clock[0] = 12.0
    bar.update(task, completed=20)
    assert said.getvalue().splitlines() == ["run: 20 of 30 replications done (67%), 1/s, about 11 s left"]


def test_on_a_terminal_only_work_longer_than_a_minute_says_how_long(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(_progress.time, "monotonic", lambda: clock[0])
    for total, expected in ((5_000, 0), (1_000_000, 1)):
        clock[0] = 0.0
        bar, said = _bar(clock, terminal=True)
        task = bar.add_task("run", total=total)
        for clock[0], done in ((1, 100), (2, 200), (3, 300), (4, 400), (30, 2_900)):
            bar.update(task, completed=done)
        assert said.getvalue().count("estimated duration") == expected, said.getvalue()
        assert "replications done" not in said.getvalue()  # the bar shows the count


def _speaking(command: list[str], tmp_path: Path, enough) -> tuple[list[str], int | None]:
    """Run ``evacsim`` with its output a pipe and the interval at 0.5 s, until ``enough(lines)`` or 120 s."""
    env = {**os.environ, "EVACSIM_PROGRESS_SECONDS": "0.5", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim", *command, "--jobs", "1", "--out", str(tmp_path / "out")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(line.rstrip("\n") for line in proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not enough(lines):
        time.sleep(0.2)
    ended = proc.poll()
    proc.kill()
    proc.wait(timeout=10)
    reader.join(timeout=5)
    return lines, ended


@pytest.mark.parametrize(
    ("command", "label", "total"),
    [
        (["run", str(BASELINE), "-n", "100000"], "qasrak_baseline", 100_000),
        (["sweep", str(BASELINE), "--vary", "escort.teams=2,4", "-n", "50000"], "sweep", 100_000),
        (["sensitivity", str(BASELINE), "--method", "tornado", "-n", "5000"], "sensitivity (tornado)", None),
        (["compare", str(BASELINE), "--set", "escort.teams=6", "-n", "50000"], "paired replications", 100_000),
    ],
)
def test_a_long_study_on_a_pipe_says_its_size_then_counts_rate_and_time_left(tmp_path, command, label, total):
    def enough(lines: list[str]) -> bool:
        return sum(bool(LINE.search(line)) for line in lines) >= 2 and any(ESTIMATE.search(line) for line in lines)

    lines, ended = _speaking(command, tmp_path, enough)
    said = "\n".join(lines)
    assert ended is None, f"ended early with {ended}:\n{said}"  # still running: the lines came while it worked
    size = next((line for line in lines if line.endswith("replications to run on 1 worker")), None)
    assert size is not None and size.startswith(f"{label}: "), said
    counted = int(size.removeprefix(f"{label}: ").split()[0].replace(",", ""))
    assert total is None or counted == total, said
    progress = [LINE.search(line) for line in lines if line.startswith(f"{label}: ") and LINE.search(line)]
    assert len(progress) >= 2, said
    assert lines.index(size) < min(lines.index(m.string) for m in progress)  # the size first
    done = [int(m["done"].replace(",", "")) for m in progress]
    assert done == sorted(done) and done[-1] > 0 and all(int(m["total"].replace(",", "")) == counted for m in progress)
    assert all(int(m["rate"].replace(",", "")) > 0 and re.fullmatch(r"\d+ (s|min \d\d s|h \d\d min)|[\d.,]+ (days|years)", m["left"]) for m in progress), said
    estimate = next(ESTIMATE.search(line) for line in lines if ESTIMATE.search(line))
    assert int(estimate["total"].replace(",", "")) == counted, said


def test_work_that_cannot_count_its_steps_says_it_is_alive_every_interval_off_a_terminal(monkeypatch):
    from sim.commands import _console

    said = io.StringIO()
    monkeypatch.setattr(_console, "errors", Console(file=said, width=80))
    monkeypatch.setenv("EVACSIM_PROGRESS_SECONDS", "0.2")
    with _console.working("drawing the figures"):
        time.sleep(0.7)
    lines = said.getvalue().splitlines()
    assert len(lines) >= 2 and all(re.fullmatch(r"drawing the figures: \d+ s so far", line) for line in lines), lines
    quiet = io.StringIO()
    monkeypatch.setattr(_console, "errors", Console(file=quiet, width=80))
    with _console.working("drawing the figures"):
        pass
    assert quiet.getvalue() == ""  # short work says nothing


def test_work_of_no_known_total_says_the_time_so_far_instead_of_the_time_left(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(_progress.time, "monotonic", lambda: clock[0])
    bar, said = _bar(clock)
    task = bar.add_task("plan (search)", total=None)
    clock[0] = 1.0
    bar.update(task, completed=100)
    clock[0] = 12.0
    bar.update(task, completed=650)
    assert said.getvalue().splitlines() == ["plan (search): 650 replications done, 50/s, 12 s so far (its total is not known ahead)"]
