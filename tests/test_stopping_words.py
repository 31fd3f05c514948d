"""What a stopped study and a comparison say (a planner's trial): a study stopped before any replication finished says
none is kept, and no change is shown as -0.0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.analysis.measure import Measure
from sim.analysis.paired import comparison_sentence
from sim.analysis.statistics import signed

ROOT = Path(__file__).parents[1]
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"


@pytest.mark.parametrize(("value", "shown"), [(-0.0004, "+0.0"), (-0.04, "+0.0"), (0.0, "+0.0"), (6.44, "+6.4"), (-2.05, "-2.0"), (-0.06, "-0.1")])
def test_a_change_is_signed_and_never_minus_zero(value, shown):
    assert signed(value) == shown
    assert signed(-1234.54, thousands=True) == "-1,234.5" and signed(-0.001, 2) == "+0.00"


def test_the_compare_sentence_says_plus_zero_for_a_ci_that_starts_at_nothing():
    days = {"difference": -1.0, "ci_low": -1.5, "ci_high": -0.5, "a": 20.0, "b": 19.0}
    # a 95% CI whose low end is -0.0003 points once printed as "95% CI -0.0 to +6.4"
    by_day = {"difference": 0.032, "ci_low": -0.000003, "ci_high": 0.064, "a": 0.80, "b": 0.832}
    said = comparison_sentence(days, by_day, by_day, Measure())
    assert "(+3.2 points, 95% CI +0.0 to +6.4)" in said and "-0.0" not in said
    assert "-0.0" not in Measure("out-by-day").change_words(0.032, -0.000003, 0.064)


def test_a_force_study_stopped_before_any_replication_finished_says_none_is_kept(tmp_path):
    out = tmp_path / "sweep"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}

    def defaults() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    # one batch of 2,000 replications: Ctrl-C comes long before it
    args = ["sweep", str(BASELINE), "--vary", "escort.teams=3,6", "-n", "2000", "--batch-size", "2000", "--jobs", "1", "--force", "--out", str(out)]
    study = subprocess.Popen([sys.executable, "-m", "sim", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=defaults)
    deadline = time.monotonic() + 120
    while not (out / "manifest.json").exists() and study.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    study.send_signal(signal.SIGINT)
    _, err = study.communicate(timeout=120)
    assert study.returncode == 130, err
    said = " ".join(err.split())
    assert f"interrupted before any replication finished: none is kept in {out}; run the same command again" in said
    assert "are kept in" not in said and "--resume" not in said
    assert not list(out.rglob("part-*.parquet"))
