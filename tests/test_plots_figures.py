"""`evacsim plot` on a real run folder: every figure drawn, numbers as in summary.json, the median replication replayed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.model.evacuation import WAIT_CAUSES
from sim.model.fleet import KINDS
from sim.plots.figures import RUN_FIGURES, median_replication, read_run, replay, run_completion, run_timeline, run_waits
from sim.plots.waits import display_name

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"


def make_run_folder(folder: Path, replications: int = 15) -> Path:
    """A small baseline run written by ``evacsim run``, as users get it."""
    result = CliRunner().invoke(app, ["run", str(BASELINE), "-n", str(replications), "--jobs", "1", "--seed", "7", "--out", str(folder), "--force"])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    return make_run_folder(tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="module")
def summary(run_folder) -> dict:
    return json.loads((run_folder / "summary.json").read_text())


def test_plot_command_draws_every_run_figure_as_png_and_svg(run_folder):
    result = CliRunner().invoke(app, ["plot", str(run_folder)])
    assert result.exit_code == 0, result.output
    for stem in RUN_FIGURES:
        assert (run_folder / f"{stem}.png").read_bytes().startswith(b"\x89PNG")
        assert b"<svg" in (run_folder / f"{stem}.svg").read_bytes()[:2000]


def test_completion_percentages_are_those_of_summary_json(run_folder, summary):
    fig = run_completion(read_run(run_folder))
    text = "\n".join(t.get_text() for ax in fig.axes for t in ax.texts)
    for key, label in (("p_under_15", "P(< 15)"), ("p_15_to_30", "P(15-30)"), ("p_over_30", "P(> 30)")):
        assert f"{label} = {summary[key]['estimate']:.0%}" in text


def test_wait_bars_are_the_mean_waits_of_summary_json(run_folder, summary):
    ax = run_waits(read_run(run_folder)).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    shown = dict(zip(labels, [p.get_width() for p in ax.patches], strict=True))
    for cause in WAIT_CAUSES:
        if cause != "trucks":
            assert shown[display_name(cause)] == pytest.approx(summary["mean_wait_hours"][cause])
    # the wait for trucks is drawn by type (the replications record it), never lumped
    rows = read_run(run_folder).rows
    by_type = {display_name(f"trucks ({k})"): rows[f"wait_hours.trucks ({k})"].mean() for k in KINDS}
    assert "trucks (all types)" not in shown and set(by_type) <= set(shown)
    assert [shown[label] for label in by_type] == pytest.approx(list(by_type.values()))
    assert sum(by_type.values()) == pytest.approx(summary["mean_wait_hours"]["trucks"])


def test_median_replication_is_the_middle_one_by_days_to_base_empty():
    rows = pd.DataFrame({"replication": [0, 1, 2, 3], "days_to_base_empty": [30.0, 10.0, 20.0, 40.0]})
    assert median_replication(rows) == 2


def test_timeline_replays_the_median_replication_exactly(run_folder):
    run = read_run(run_folder)
    index = median_replication(run.rows)
    timeline, closures, days = replay(run.manifest["scenario"], run.manifest["seed"], index)
    recorded = run.rows.set_index("replication").loc[index]
    assert days == pytest.approx(recorded["days_to_base_empty"])
    assert sum(1 for i in timeline if i["kind"] == "convoy") == recorded["convoys"]
    assert sum(1 for i in timeline if i["kind"] == "sortie") == recorded["sorties"]
    assert set(closures) >= {"route closed", "crossing closed", "pause"}
    fig = run_timeline(run)
    line = next(line for line in fig.axes[0].lines if line.get_gid() == "base-empty")
    assert line.get_xdata()[0] == pytest.approx(days)
    assert f"Replication {index}" in fig.get_suptitle()


def test_burndown_median_starts_at_the_median_cargo_at_the_base(run_folder):
    from sim.plots.figures import run_burndown

    run = read_run(run_folder)
    median = next(line for line in run_burndown(run).axes[0].lines if line.get_gid() == "median")
    day0 = run.burndown[run.burndown["day"] == 0]["cargo_loads"]
    assert median.get_ydata()[0] == pytest.approx(np.median(day0))


@pytest.mark.parametrize("command", ["plot", "report"])
def test_a_folder_that_is_not_a_results_folder_is_one_line_and_exit_status_3(tmp_path, command):
    (tmp_path / "notes.txt").write_text("not results")
    result = CliRunner().invoke(app, [command, str(tmp_path)])
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and re.search(r"error: .*not a results folder", lines[0])


def test_a_missing_folder_is_exit_status_3(tmp_path):
    result = CliRunner().invoke(app, ["plot", str(tmp_path / "nowhere")])
    assert result.exit_code == 3 and "not a folder" in result.output


@pytest.mark.parametrize("command", ["plot", "report"])
def test_plot_and_report_name_every_kind_of_folder_they_take(command):
    from sim.plots.redraw import COMMANDS

    text = " ".join(CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output.split())
    for kind in ("run", "sweep", "compare", *{c.split()[1] for c in COMMANDS.values()}):
        assert re.search(rf"\b{kind}\b", text), kind
