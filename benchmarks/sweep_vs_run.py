"""A 1-replication LHS sweep against a run of as many replications: whole commands on 2 cores, interleaved.

    .venv/bin/python benchmarks/sweep_vs_run.py [--replications 2000] [--rounds 5]

Times ``evacsim run scenarios/qasrak_baseline.toml -n N --jobs 2`` and ``evacsim sweep
scenarios/qasrak_baseline.toml --vary fleet.civilian.count=60:140 --vary escort.teams=2:6
--design lhs --samples N -n 1 --jobs 2``, each a whole process (imports, the results folder,
its figures), alternately, ``--rounds`` times; prints replications a second of each and the
ratio of each round (sweep rate / run rate: the issue asks >= 0.9).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "qasrak_baseline.toml"


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    evacsim = str(Path(sys.executable).with_name("evacsim"))
    n = str(args.replications)
    run_s, sweep_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(args.rounds):
            run = [evacsim, "run", str(SCENARIO), "-n", n, "--jobs", "2", "--out", f"{tmp}/run-{k}"]
            vary = ["--vary", "fleet.civilian.count=60:140", "--vary", "escort.teams=2:6"]
            sweep = [evacsim, "sweep", str(SCENARIO), *vary, "--design", "lhs", "--samples", n, "-n", "1", "--jobs", "2", "--out", f"{tmp}/sweep-{k}"]
            for which in ("run", "sweep") if k % 2 == 0 else ("sweep", "run"):
                (run_s if which == "run" else sweep_s).append(timed(run if which == "run" else sweep))
    ratios = [r / s for r, s in zip(run_s, sweep_s, strict=True)]  # rate ratio = time ratio inverted
    print(
        json.dumps(
            {
                "replications": args.replications,
                "run_seconds": [round(s, 2) for s in run_s],
                "sweep_seconds": [round(s, 2) for s in sweep_s],
                "run_replications_per_s": round(args.replications / statistics.median(run_s), 1),
                "sweep_replications_per_s": round(args.replications / statistics.median(sweep_s), 1),
                "ratios_sweep_over_run": [round(r, 2) for r in ratios],
                "median_ratio": round(statistics.median(ratios), 2),
                "load_average_after": os.getloadavg()[0],
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
