"""`evacsim plot` on analysis and nowcast folders: every figure the command drew, drawn again from the folder's tables.

Each command runs once (tiny settings); each test works on a copy of its folder with the
figures deleted. A redrawn PNG is the same bytes as the command's own: the same figure
function got the same arguments.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.plots.figures import expected_figures, folder_kind

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"
OBSERVATIONS = ROOT / "scenarios" / "observations" / "qasrak_2026.toml"
TARGET = "15 <= days <= 30"

COMMANDS = {
    "sensitivity-tornado": ["sensitivity", BASELINE, "--method", "tornado", "--replications", "2", "--jobs", "1"],
    "sensitivity-morris": ["sensitivity", BASELINE, "--method", "morris", "--trajectories", "2", "--replications", "1", "--jobs", "1"],
    "sensitivity-sobol": ["sensitivity", BASELINE, "--method", "sobol", "--base-samples", "2", "--replications", "1", "--jobs", "1"],
    "calibrate": ["calibrate", BASELINE, "--replications", "50", "--jobs", "1"],
    "marginal": ["marginal", BASELINE, "--replications", "3", "--jobs", "1"],
    "nowcast": ["nowcast", BASELINE, OBSERVATIONS, "-n", "30", "--jobs", "1"],
}
FIGURES = {
    "sensitivity-tornado": ("tornado",),
    "sensitivity-morris": ("morris", "morris_p_window"),
    "sensitivity-sobol": ("sobol", "sobol_p_window"),
    "calibrate": ("calibration",),
    "marginal": ("marginal",),
    "nowcast": ("nowcast",),
    "discover": ("discovery",),
}


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def discover(source: Path, out: Path) -> Path:
    """``evacsim discover`` on ``source``; writes the manifest itself if this checkout's discover does not yet."""
    result = invoke("discover", source, "--target", TARGET, "--out", out)
    assert result.exit_code == 0, result.output
    if not (out / "manifest.json").exists():
        (out / "manifest.json").write_text(json.dumps({"kind": "discover", "results": str(source), "target": TARGET}))
    return out


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """One folder of each analysis kind, as its command wrote it."""
    base = tmp_path_factory.mktemp("analyses")
    made = {}
    for kind, args in COMMANDS.items():
        result = invoke(*args, "--out", base / kind)
        assert result.exit_code == 0, result.output
        made[kind] = base / kind
    made["discover"] = discover(made["sensitivity-tornado"], base / "discover")
    return made


def fresh(folders: dict[str, Path], kind: str, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A copy of the folder without its figures, and the command's PNGs by stem."""
    folder = shutil.copytree(folders[kind], tmp_path / kind)
    drawn = {stem: (folder / f"{stem}.png").read_bytes() for stem in FIGURES[kind]}
    for path in [*folder.glob("*.png"), *folder.glob("*.svg")]:
        path.unlink()
    return folder, drawn


@pytest.mark.parametrize("kind", list(FIGURES))
def test_plot_draws_every_figure_of_an_analysis_folder_again_as_its_command_drew_it(folders, kind, tmp_path):
    folder, drawn = fresh(folders, kind, tmp_path)
    result = invoke("plot", folder)
    assert result.exit_code == 0, result.output
    assert not result.stderr
    for stem, png in drawn.items():
        for suffix in ("png", "svg"):
            assert str(folder / f"{stem}.{suffix}") in result.stdout.splitlines()
        assert (folder / f"{stem}.png").read_bytes() == png, f"{stem}.png differs from the one {kind} drew"
        assert b"<svg" in (folder / f"{stem}.svg").read_bytes()[:2000]


@pytest.mark.parametrize("kind", list(FIGURES))
def test_each_analysis_folder_is_recognised_with_the_figures_its_command_draws(folders, kind):
    assert folder_kind(folders[kind]) == kind
    assert expected_figures(kind) == FIGURES[kind]


def test_report_replot_embeds_the_redrawn_figures_of_an_analysis_folder(folders, tmp_path):
    folder, drawn = fresh(folders, "sensitivity-morris", tmp_path)
    result = invoke("report", folder, "--replot")
    assert result.exit_code == 0, result.output
    page = (folder / "report.html").read_text()
    assert page.count("<img ") == len(drawn) == 2
    assert all((folder / f"{stem}.png").exists() for stem in drawn)


def test_a_figure_whose_table_is_gone_is_named_with_its_command_and_the_others_drawn(folders, tmp_path):
    folder, _ = fresh(folders, "sensitivity-morris", tmp_path)
    (folder / "morris.csv").unlink()
    result = invoke("plot", folder)
    assert result.exit_code == 0, result.output
    assert (folder / "morris_p_window.png").exists() and not (folder / "morris.png").exists()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "morris.png" in lines[0] and "morris.csv is missing" in lines[0]
    assert "evacsim sensitivity" in lines[0] and "--method morris" in lines[0]


def test_discovery_without_the_results_it_read_says_which_command_draws_it_and_fails(folders, tmp_path):
    source = shutil.copytree(folders["sensitivity-tornado"], tmp_path / "source")
    folder = discover(source, tmp_path / "discover")
    (folder / "discovery.png").unlink()
    shutil.rmtree(source)
    result = invoke("plot", folder)
    assert result.exit_code == 3
    assert "discovery.png not drawn" in result.stderr and "evacsim discover" in result.stderr and str(source) in result.stderr
    assert not (folder / "discovery.png").exists()
    report = invoke("report", folder)
    assert report.exit_code == 0, report.output
    page = (folder / "report.html").read_text()
    assert "discovery.png not drawn" in page and "<img " not in page


def test_a_discovery_of_a_folder_named_relative_to_where_it_ran_finds_its_sibling(folders, tmp_path, monkeypatch):
    shutil.copytree(folders["sensitivity-tornado"], tmp_path / "source")
    monkeypatch.chdir(tmp_path)
    folder = discover(Path("source"), Path("discover"))
    (folder / "discovery.png").unlink()
    monkeypatch.chdir(ROOT)
    result = invoke("plot", tmp_path / "discover")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "discover" / "discovery.png").exists()
