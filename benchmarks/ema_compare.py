"""evacsim sweep against EMA Workbench on the same replication function: 1,000 LHS points, N processes, whole commands.

Both sides run one replication (replication 0 of the run's seed, as a 1-replication sweep
does) of the baseline at each point of a Latin hypercube over the contracted trucks
(60-140) and the escort teams (2-6), on ``--processes`` processes (2 by default), and each is timed as a whole process,
from the interpreter's start to its exit, so that imports and start-up count on both:

- evacsim: ``evacsim sweep scenarios/qasrak_baseline.toml --vary fleet.civilian.count=60:140
  --vary escort.teams=2:6 --design lhs --samples N -n 1 --jobs P --out TMP`` (design, replications,
  ``points.csv``, manifest and the two figures included);
- EMA Workbench: this file run as ``python benchmarks/ema_compare.py --ema N --processes P``, which builds an
  EMA ``Model`` whose function is :func:`replicate` (the engine's replication: the point's values
  pinned on the prepared baseline, then :func:`sim.replication.simulate_one`) and calls
  ``MultiprocessingEvaluator(model, n_processes=P).perform_experiments(N)`` (LHS sampling).

The machine is shared, so the two sides are run interleaved, ``--rounds`` times, and the ratio
of each round is reported (EMA seconds / evacsim seconds: above 1, evacsim is faster).

EMA Workbench is not a dependency of evacsim: install it apart, e.g. ``make ema-compare``
(a venv of its own under ``.venv-ema``; ``make ema-compare PROCESSES=16 POINTS=8000`` on a 16-core machine),
then ``.venv-ema/bin/python benchmarks/ema_compare.py --processes 16``.
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
SEED = 20260223
FACTORS = {"civilian": ("fleet.civilian.count", 60, 140), "escort": ("escort.teams", 2, 6)}

_PREPARED = None


def replicate(civilian: int, escort: int) -> dict[str, float]:
    """One replication of the baseline with these contracted trucks and escort teams: days to base empty.

    The same work a 1-replication sweep does at a point: the prepared baseline (made once per
    process) with the point's values pinned, replication 0 of the seed."""
    global _PREPARED
    from sim.replication import pin, prepare, simulate_one
    from sim.scenario.loading import load_scenario

    if _PREPARED is None:
        _PREPARED = prepare(load_scenario(SCENARIO).scenario)
    point = pin(_PREPARED, {"fleet.civilian.count": float(civilian), "escort.teams": float(escort)})
    _, outcome, _ = simulate_one(point, SEED, 0)
    return {"days_to_base_empty": outcome.days_to_base_empty}


def run_ema(points: int, processes: int = 2) -> None:
    """EMA Workbench's side, in this process: ``points`` LHS experiments on ``processes`` processes."""
    from ema_workbench import IntegerParameter, Model, MultiprocessingEvaluator, ScalarOutcome

    model = Model("evacuation", function=replicate)
    model.uncertainties = [IntegerParameter(name, low, high) for name, (_, low, high) in FACTORS.items()]
    model.outcomes = [ScalarOutcome("days_to_base_empty")]
    with MultiprocessingEvaluator(model, n_processes=processes) as evaluator:
        _, outcomes = evaluator.perform_experiments(scenarios=points)
    assert len(outcomes["days_to_base_empty"]) == points


def timed(command: list[str], env: dict[str, str] | None = None) -> float:
    """Wall seconds of a whole command, from its start to its exit."""
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def evacsim_command(points: int, out: Path, processes: int = 2) -> list[str]:
    evacsim = str(Path(sys.executable).with_name("evacsim"))
    vary = [f"--vary={path}={low}:{high}" for path, low, high in FACTORS.values()]
    return [evacsim, "sweep", str(SCENARIO), *vary, "--design", "lhs", "--samples", str(points), "-n", "1", "--jobs", str(processes), "--out", str(out)]


def compare(points: int, rounds: int, processes: int = 2) -> dict[str, object]:
    """Both sides ``rounds`` times, interleaved (the order alternates); seconds, points a second and the ratios."""
    ema_env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    evacsim_s, ema_s = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(rounds):
            sides = ["evacsim", "ema"] if k % 2 == 0 else ["ema", "evacsim"]
            for side in sides:
                if side == "evacsim":
                    evacsim_s.append(timed(evacsim_command(points, Path(tmp) / f"sweep-{k}", processes)))
                else:
                    ema_s.append(timed([sys.executable, str(Path(__file__).resolve()), "--ema", str(points), "--processes", str(processes)], ema_env))
    ratios = [e / s for e, s in zip(ema_s, evacsim_s, strict=True)]
    return {
        "points": points,
        "rounds": rounds,
        "processes": processes,
        "cores": os.cpu_count(),
        "evacsim_seconds": [round(s, 2) for s in evacsim_s],
        "ema_seconds": [round(s, 2) for s in ema_s],
        "evacsim_points_per_s": round(points / statistics.median(evacsim_s), 1),
        "ema_points_per_s": round(points / statistics.median(ema_s), 1),
        "ratios_ema_over_evacsim": [round(r, 2) for r in ratios],
        "median_ratio": round(statistics.median(ratios), 2),
        "load_average_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--processes", type=int, default=2, help="worker processes on each side (evacsim --jobs, EMA n_processes)")
    parser.add_argument("--ema", type=int, help=argparse.SUPPRESS)  # one EMA run, timed from outside by compare()
    args = parser.parse_args()
    if args.ema:
        run_ema(args.ema, args.processes)
        return
    if args.processes < 1:
        parser.error("--processes must be at least 1")
    print(json.dumps(compare(args.points, args.rounds, args.processes), indent=2))


if __name__ == "__main__":
    main()
