"""Scale (issue 22): the Dask executor streams results gathered in the background and still says
which batch failed; ``make ema-compare`` and its script take the process count."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sim.experiment.executors import DaskExecutor, ExecutorError

ROOT = Path(__file__).parents[1]


def _cube(shared: int, x: int) -> int:
    return shared * x**3


def _fails_on_three(shared: object, x: int) -> int:
    if x == 3:
        raise RuntimeError("batch 3 cannot run")
    return x


def test_dask_yields_every_result_once_and_a_failing_batch_is_a_clear_error():
    with DaskExecutor(local_workers=2, processes=False, retries=1) as dask:
        assert sorted(dask.map_unordered(_cube, 2, [(x,) for x in range(40)])) == sorted(2 * x**3 for x in range(40))
        with pytest.raises(ExecutorError, match=r"a batch failed on the Dask cluster after 1 retries: RuntimeError\('batch 3 cannot run'\)"):
            list(dask.map_unordered(_fails_on_three, None, [(x,) for x in range(6)]))


def test_ema_compare_takes_the_process_count():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import ema_compare
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    command = ema_compare.evacsim_command(8000, Path("out"), processes=16)
    assert command[command.index("--jobs") + 1] == "16" and command[command.index("--samples") + 1] == "8000"
    dry = subprocess.run(["make", "-n", "ema-compare", "PROCESSES=16", "POINTS=8000"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "benchmarks/ema_compare.py --points 8000 --rounds 5 --processes 16" in dry.stdout
