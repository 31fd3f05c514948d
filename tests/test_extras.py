"""The optional parts: the core install runs without dask, optuna and PRIM, and a command that needs a missing one
says in one line what to install, with exit status 6."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.extras import EXIT_MISSING_EXTRA, MissingExtra, need

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "qasrak_baseline.toml"
BLOCK = "import sys\nfor m in ('dask', 'distributed', 'optuna', 'prim'): sys.modules[m] = None  # as if not installed\n"


def test_need_names_the_pip_install_of_a_missing_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(MissingExtra, match=r"evacsim plan needs the optional package 'optuna', which is not installed: pip install 'evacsim\[plan\]'"):
        need("plan")


@pytest.mark.parametrize(
    ("module", "args", "extra"),
    [
        ("prim", ["discover", "results/none"], "discover"),
        ("distributed", ["run", str(BASELINE), "-n", "2", "--dask-local", "1"], "dask"),
        ("optuna", ["plan", str(BASELINE), "--options", "plan.toml"], "plan"),
    ],
)
def test_a_command_needing_a_missing_extra_exits_6_in_one_line(monkeypatch, tmp_path, module, args, extra):
    monkeypatch.setitem(sys.modules, module, None)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == EXIT_MISSING_EXTRA == 6, result.output
    assert f"pip install 'evacsim[{extra}]'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "results").exists()  # nothing written


def test_the_core_install_runs_a_scenario_and_reads_its_results_without_any_extra(tmp_path):
    out = tmp_path / "run"
    code = BLOCK + (
        "import sim, sim.api, sim.cli\n"
        "from typer.testing import CliRunner\n"
        f"r = CliRunner().invoke(sim.cli.app, ['run', {str(BASELINE)!r}, '-n', '4', '--jobs', '1', '--out', {str(out)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "assert not any(m in sys.modules and sys.modules[m] is not None for m in ('dask', 'distributed', 'optuna', 'prim'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (out / "replications.parquet").exists() and (out / "summary.json").exists()
