"""`evacsim report`: one self-contained HTML file that answers the question and renders in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.report.render import REPORT_NAME, render_report
from tests.test_plots_figures import make_run_folder

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium, or .ci/install-chromium)")


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    return make_run_folder(tmp_path_factory.mktemp("report-run"))


@pytest.fixture(scope="module")
def report(run_folder) -> Path:
    result = CliRunner().invoke(app, ["report", str(run_folder)])
    assert result.exit_code == 0, result.output
    return run_folder / REPORT_NAME


@pytest.fixture(scope="module")
def html(report) -> str:
    return report.read_text(encoding="utf-8")


def test_report_gives_the_verdict_and_the_probability_of_the_window(html, run_folder):
    summary = json.loads((run_folder / "summary.json").read_text())
    p = summary["p_15_to_30"]
    assert summary["verdict"] in html
    assert f"{100 * p['estimate']:.1f}%" in html and f"{100 * p['ci_low']:.1f}-{100 * p['ci_high']:.1f}%" in html


def test_report_embeds_every_figure_of_the_folder(html, run_folder):
    images = re.findall(r'<img src="([^"]*)"', html)
    assert len(images) == len(list(run_folder.glob("*.png"))) == 4
    assert all(src.startswith("data:image/png;base64,") for src in images)


def test_report_needs_no_network(html):
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html


def test_report_lists_each_number_with_its_source(html):
    assert "fleet.civilian.count" in html and "triangular(60, 100, 140)" in html
    assert "Shafaq News" in html


def test_report_shows_the_manifest(html, run_folder):
    manifest = json.loads((run_folder / "manifest.json").read_text())
    for value in (manifest["scenario_sha256"], str(manifest["seed"]), manifest["versions"]["simpy"], manifest["command"]):
        assert value in html


def test_report_draws_missing_figures_first(run_folder, tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    for name in ("manifest.json", "summary.json", "replications.parquet", "burndown.parquet"):
        shutil.copy(run_folder / name, folder / name)
    render_report(folder)
    assert (folder / "timeline.png").exists()


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    command = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def render_check(page: Path, profile: Path) -> tuple[str, list[str]]:
    """Open ``page`` headless: the marker the page's script sets after load, and the console messages."""
    done = chromium("--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000", "--dump-dom", page.as_uri(), profile=profile)
    marker = re.search(r'<div id="render-check" data-images="([^"]*)" data-errors="(\d+)"', done.stdout)
    assert marker, f"the page did not render: {done.stderr[-2000:]}"
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    if marker.group(2) != "0":
        console.append(f"{marker.group(2)} error event(s)")
    return marker.group(1), console


@needs_chromium
def test_report_renders_in_chromium_with_every_image_and_no_console_error(report, tmp_path):
    images, console = render_check(report, tmp_path / "profile")
    assert images == "loaded 4"
    assert console == []
    ARTIFACTS.mkdir(exist_ok=True)
    shot = chromium("--hide-scrollbars", "--window-size=1200,2400", f"--screenshot={ARTIFACTS / 'report.png'}", report.as_uri(), profile=tmp_path / "shot")
    assert shot.returncode == 0 and (ARTIFACTS / "report.png").stat().st_size > 10_000


@needs_chromium
def test_the_render_check_catches_a_broken_image_and_a_script_error(report, tmp_path):
    broken = tmp_path / "broken.html"
    html = report.read_text(encoding="utf-8")
    html = html.replace('<img src="data:image/png;base64,', '<img src="data:image/png;base64,AAAA', 1).replace("</body>", "<script>missing();</script></body>")
    broken.write_text(html, encoding="utf-8")
    images, console = render_check(broken, tmp_path / "profile")
    assert images == "broken 4"
    assert console
