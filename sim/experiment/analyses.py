"""The studies behind ``evacsim sensitivity``, ``calibrate`` and ``marginal``: build a design, evaluate it, analyse it.

Each study returns its tables, the replication rows it ran, and the wall seconds spent
replicating and analysing (the overhead ``evacsim bench`` reports). The estimators are
in :mod:`sim.analysis` (:mod:`sim.analysis.sensitivity` for SALib); this module only wires the model's
replications to them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import sensitivity
from sim.analysis.calibration import Calibration, calibrate
from sim.analysis.discovery import input_columns
from sim.analysis.evidence import evidence_table, evppi_table, joint_evppi
from sim.analysis.marginal import marginal_table
from sim.analysis.measure import THEATRE_COLUMN, Measure, MeasureError, measure_on
from sim.analysis.paired import swing_intervals
from sim.analysis.statistics import closure_days
from sim.experiment.evaluate import ChunkStore, Factor, StudyError, at_shares, design_table, evaluate, per_point, shifted
from sim.experiment.executors import Executor
from sim.scenario.provenance import kind_of_path
from sim.scenario.schema import Scenario, TheatreScenario

Progress = Callable[[int, int], None] | None

DEFAULTS = {
    # replications per design point and design size: each finishes on the baseline within a minute on 2 cores
    "tornado": {"replications": 40},
    "morris": {"replications": 6, "trajectories": 10},
    # Sobol' base sample from a pilot on the baseline (22 factors, 3 replications a point, 1 core): at n = 32 (10 s)
    # the first-order interval of the heavy equipment transporters includes zero and first-order shares come out
    # negative; at n = 128 (41 s; about 22 s on 2 cores) both indices of the two top inputs are resolved and the
    # ranking agrees with the tornado (heavy loads, HETs, general cargo).
    "sobol": {"replications": 3, "n": 128},
    "calibrate": {"replications": 2000},
    "marginal": {"replications": 300},
    "evidence": {"replications": 2000, "tornado_replications": 40},
}
PRECISE = {
    "tornado": {"replications": 200},
    "morris": {"replications": 20, "trajectories": 40},
    "sobol": {"replications": 10, "n": 256},
    "calibrate": {"replications": 20000},
    "marginal": {"replications": 2000},
    "evidence": {"replications": 10000, "tornado_replications": 200},
}

# (label, dotted path, change): "+N" shifts the input (its distribution) by N.
RESOURCES: tuple[tuple[str, str, float], ...] = (
    ("contracted trucks +10", "fleet.civilian.count", 10),
    ("military trucks +5", "fleet.military.count", 5),
    ("escort teams +1", "escort.teams", 1),
    ("Apaches +1", "air_cover.apaches", 1),
    # Not in the list, but the tornado shows outsized loads and their transporters drive the date.
    ("heavy equipment transporters +2", "fleet.het.count", 2),
    ("loading teams +1", "loading.teams", 1),
    ("airlift sorties a day +1", "airlift.sorties_per_day", 1),
    # The model routes every convoy through one crossing at a time (the alternate only when the main one stays
    # shut), so a second crossing used in parallel is modelled as a second lane at the main crossing: the same
    # processing time and no detour, an upper bound on what opening Semalka alongside al-Waleed buys.
    ("second crossing open", "crossing.main.lanes", 1),
)


@dataclass
class Study:
    """What a study produced: named tables, the replication rows, timings and warnings."""

    tables: dict[str, pd.DataFrame]
    rows: pd.DataFrame
    replications_per_point: int
    points: int
    replication_seconds: float
    analysis_seconds: float
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)


TORNADO_OUTPUTS = ("mean_days", "p_by_day", "p_window")
"""What the tornado swings: mean days, P(out by day D) and P(window); the chosen measure's first (it ranks the factors)."""


def _outputs(rows: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    return per_point(rows, measure)


def default_measure(scenario: Scenario) -> Measure:
    """The default measure of a scenario: mean days to the end (a theatre's last out, a base's empty)."""
    return scenario_measure(scenario)


def scenario_measure(scenario: Scenario, kind: str = "days", by_day: float | None = None, base: str | None = None) -> Measure:
    """What a study of ``scenario`` measures: on a theatre the whole withdrawal (days to the last out of the country),
    or the base named ``base``; on one base, that base. Raises :class:`MeasureError` for a base the scenario lacks."""
    window = tuple(scenario.scenario.window_days)
    start = scenario.scenario.start
    if not isinstance(scenario, TheatreScenario):
        if base is not None:
            raise MeasureError(f"--base {base}: the scenario has one base; --base names a base of a theatre file (one with [sites])")
        return measure_on(kind, window, by_day, "days_to_base_empty", "base empty", start)  # type: ignore[arg-type]
    if base is None:
        return measure_on(kind, window, by_day, THEATRE_COLUMN, "the last out", start)  # type: ignore[arg-type]
    if base not in scenario.bases:
        raise MeasureError(f"--base {base}: the theatre has no such base; its bases are {', '.join(scenario.bases)}")
    title = scenario.bases[base].title
    return measure_on(kind, window, by_day, f"base.{base}.days_to_base_empty", f"{title} empty", start)  # type: ignore[arg-type]


def _timed_evaluate(design, scenarios, seed, replications, executor, store, progress) -> tuple[pd.DataFrame, float]:
    start = time.perf_counter()
    rows = evaluate(design, scenarios, seed, replications, store=store, on_chunk=progress, executor=executor)
    return rows, time.perf_counter() - start


def _noise_warning(points: pd.DataFrame, replications: int) -> list[str]:
    """When the replication noise at a point is as large as the spread between points, indices mean little."""
    between = float(points["mean_days"].std(ddof=1)) if len(points) > 1 else 0.0
    within = float(points["se_days"].mean())
    if np.isfinite(within) and within > 0.5 * between:
        return [
            f"replication noise (standard error {within:.2f} days with {replications} replications a point) is large against the "
            f"spread between points ({between:.2f} days): raise --replications"
        ]
    return []


def run_tornado(
    scenario: Scenario,
    factors: Sequence[Factor],
    seed: int,
    replications: int,
    executor: Executor | None = None,
    store: Path | ChunkStore | None = None,
    progress: Progress = None,
    measure: Measure | None = None,
) -> Study:
    """The baseline run (every input drawn from its distribution, as ``evacsim run`` draws them), then each factor
    pinned at its low (P5) and at its high (P95) with every other input still drawn; every point on the same
    replications (common random numbers), so a swing is measured replication by replication around a centre the
    run itself shows. Factors rank by the swing of ``measure`` (default: mean days)."""
    measure = measure or default_measure(scenario)
    bounds = {f.path: (f.low, f.high) for f in factors}
    raw = sensitivity.tornado_design(bounds, {f.path: float("nan") for f in factors})
    design = design_table(raw[[f.path for f in factors]].to_numpy(dtype=float), factors)
    rows, rep_seconds = _timed_evaluate(design, scenario, seed, replications, executor, store, progress)
    start = time.perf_counter()
    points = _outputs(rows, measure)
    outputs = [measure.point_column, *(c for c in TORNADO_OUTPUTS if c != measure.point_column)]
    effects = sensitivity.tornado_effects(raw, points[outputs])
    effects = effects.join(swing_intervals(raw[["factor", "level"]], rows, measure))
    # the values each factor was pinned at, in its own unit (whole-number factors as the design rounded them)
    for level, column in (("low", "pinned_low"), ("high", "pinned_high")):
        at = {f: float(design.loc[i, f]) for i, (f, lv) in enumerate(zip(raw["factor"], raw["level"], strict=True)) if lv == level}
        effects[column] = [at[f] for f in effects.index]
    seconds = time.perf_counter() - start
    return Study({"tornado": effects, "points": design.join(points, on="point")}, rows, replications, len(design), rep_seconds, seconds)


def run_morris(
    scenario: Scenario,
    factors: Sequence[Factor],
    seed: int,
    replications: int,
    trajectories: int,
    executor: Executor | None = None,
    store: Path | ChunkStore | None = None,
    progress: Progress = None,
    measure: Measure | None = None,
) -> Study:
    """Morris elementary effects on ``measure`` (default mean days) and on P(window), each point averaged over ``replications``.

    Trajectories step through shares of each factor's range (see :meth:`Factor.at`), so an
    effect is the change in the output over a step of 2/3 of the range, comparable across factors.
    """
    shares = _shares_box(factors)
    u = sensitivity.morris_design(shares, trajectories, seed)
    return _indices_study(
        "morris",
        scenario,
        factors,
        seed,
        replications,
        u,
        lambda y: sensitivity.morris_analyze(shares, u, y, seed),
        sensitivity.morris_warnings,
        executor,
        store,
        progress,
        measure,
    )


def run_sobol(
    scenario: Scenario,
    factors: Sequence[Factor],
    seed: int,
    replications: int,
    n: int,
    executor: Executor | None = None,
    store: Path | ChunkStore | None = None,
    progress: Progress = None,
    measure: Measure | None = None,
) -> Study:
    """Sobol' first and total indices of ``measure`` (default mean days) and of P(window), each point averaged over ``replications``.

    The Saltelli sample is drawn in shares of each factor's range and mapped through
    :meth:`Factor.at`, so the variance split is over each input's own distribution.
    """
    shares = _shares_box(factors)
    u = sensitivity.sobol_design(shares, n, seed)
    return _indices_study(
        "sobol",
        scenario,
        factors,
        seed,
        replications,
        u,
        lambda y: sensitivity.sobol_analyze(shares, y, seed),
        lambda days: sensitivity.sobol_warnings(days, n),
        executor,
        store,
        progress,
        measure,
    )


def _shares_box(factors: Sequence[Factor]) -> dict[str, tuple[float, float]]:
    """SALib bounds for a design in shares of each factor's range: 0 to 1 for every factor."""
    return {f.path: (0.0, 1.0) for f in factors}


def _indices_study(
    method: str,
    scenario: Scenario,
    factors: Sequence[Factor],
    seed: int,
    replications: int,
    shares: np.ndarray,
    analyze: Callable[[np.ndarray], pd.DataFrame],
    warn: Callable[[pd.DataFrame], list[str]],
    executor: Executor | None,
    store: Path | ChunkStore | None,
    progress: Progress,
    measure: Measure | None = None,
) -> Study:
    """Run a SALib design drawn in ``shares`` of each factor's range (points x factors, see
    :meth:`Factor.at`), then its estimator on the measure (table ``method``: mean days, P(out by day D) or
    P(window)) and on P(window) (``method_p_window``, the seed's question); the analysis time is measured apart
    from the replications'."""
    measure = measure or default_measure(scenario)
    design = design_table(at_shares(shares, factors), factors)
    rows, rep_seconds = _timed_evaluate(design, scenario, seed, replications, executor, store, progress)
    start = time.perf_counter()
    points = _outputs(rows, measure)
    _every_point_measured(points, measure, method, replications)
    days = analyze(points[measure.point_column].to_numpy())
    window = analyze(points["p_window"].to_numpy())
    warnings = [*warn(days), *_noise_warning(points, replications)]
    seconds = time.perf_counter() - start
    tables = {method: days, f"{method}_p_window": window, "points": design.join(points, on="point")}
    return Study(tables, rows, replications, len(design), rep_seconds, seconds, warnings)


def _every_point_measured(points: pd.DataFrame, measure: Measure, method: str, replications: int) -> None:
    """A Morris or Sobol' estimate needs the measure at every design point: a point where the measured base did not
    have to move in any of its replications has none (not 0, not "never out"), so the study stops and says so."""
    never = points.index[points["replications"] == 0]
    if len(never):
        who = measure.who
        name = {"morris": "Morris", "sobol": "Sobol'"}.get(method, method)
        each = f"{replications} replication{'' if replications == 1 else 's'}"
        raise StudyError(
            f"{who} does not have to move in any of the {each} of {len(never)} of the {len(points)} design points "
            f"(the first: point {int(never[0])}), so {measure.words} has no value there and {name} cannot rank the inputs: "
            "raise --replications, or measure the whole withdrawal (leave out --base)"
        )


def run_calibration(
    scenario: Scenario,
    window: tuple[float, float],
    seed: int,
    replications: int,
    executor: Executor | None = None,
    store: Path | ChunkStore | None = None,
    progress: Progress = None,
) -> Study:
    """ABC rejection over the scenario's priors: ``replications`` draws, one simulation each."""
    design = pd.DataFrame({"point": [0], "variant": [0]})
    rows, rep_seconds = _timed_evaluate(design, scenario, seed, replications, executor, store, progress)
    start = time.perf_counter()
    inputs = input_columns(rows)
    found: Calibration = calibrate(inputs, closure_days(rows), window, horizon_days=float(scenario.scenario.horizon_days))
    seconds = time.perf_counter() - start
    study = Study({"calibration": found.table}, rows, 1, replications, rep_seconds, seconds, list(found.warnings))
    study.extra = {"calibration": found, "inputs": inputs}
    return study


def theatre_path(scenario: Scenario, path: str) -> str | None:
    """Where a one-base resource lives in a theatre: trucks, escort teams and Apaches in the first pool (in file
    order) that holds them, loading teams and sorties at the main base, lanes at the first crossing; None if the
    theatre has no such resource. A one-base scenario's path is its own."""
    if not isinstance(scenario, TheatreScenario):
        return path
    group, _, rest = path.partition(".")
    if group in ("fleet", "escort", "air_cover"):
        for name, pool in scenario.pools.items():
            held = getattr(pool, group, None)
            if held is not None and (group != "fleet" or getattr(held, rest.split(".")[0], None) is not None):
                return f"pools.{name}.{path}"
        return None
    if group in ("loading", "airlift"):
        base = scenario.bases[scenario.main_base]
        return f"sites.{scenario.main_base}.{path}" if getattr(base, group, None) is not None else None
    if path == "crossing.main.lanes":
        crossing = next(iter(scenario.crossings), None)
        return None if crossing is None else f"sites.{crossing}.lanes"
    return path


def marginal_variants(scenario: Scenario, changes: Sequence[tuple[str, str, float]] = RESOURCES) -> list[tuple[str, Scenario]]:
    """The baseline and one variant per added resource (on a theatre: the resource where the theatre keeps it;
    one it does not have is left out)."""
    variants: list[tuple[str, Scenario]] = [("baseline", scenario)]
    for name, path, delta in changes:
        where = theatre_path(scenario, path)
        if where is not None:
            variants.append((name, shifted(scenario, where, delta)))
    return variants


def run_marginal(
    scenario: Scenario,
    seed: int,
    replications: int,
    executor: Executor | None = None,
    store: Path | ChunkStore | None = None,
    progress: Progress = None,
    measure: Measure | None = None,
) -> Study:
    """Each added resource against the baseline on the same replications: days saved and the change in P(out by
    day D) and in P(window), ranked by ``measure`` (default: days saved, sooner first)."""
    measure = measure or default_measure(scenario)
    variants = marginal_variants(scenario)
    design = pd.DataFrame({"point": range(len(variants)), "variant": range(len(variants))})
    rows, rep_seconds = _timed_evaluate(design, [s for _, s in variants], seed, replications, executor, store, progress)
    start = time.perf_counter()
    by_name = {name: rows[rows["point"] == k] for k, (name, _) in enumerate(variants)}
    base = by_name.pop("baseline")
    table = marginal_table(base, by_name, measure)
    seconds = time.perf_counter() - start
    return Study({"marginal": table}, rows, replications, len(variants), rep_seconds, seconds)


def run_evidence(
    scenario: Scenario,
    factors: Sequence[Factor],
    seed: int,
    replications: int,
    tornado_replications: int,
    labels: dict[str, str] | None = None,
    executor: Executor | None = None,
    store: Path | ChunkStore | None = None,
    progress: Progress = None,
    monte_carlo: pd.DataFrame | None = None,
    measure: Measure | None = None,
) -> Study:
    """What to find out first: each uncertain input's tornado swing, the kind of its source, and the EVPPI on the
    window question estimated from one Monte Carlo sample of ``replications`` draws from the scenario's distributions.

    The tornado runs first (its own points, ``tornado_replications`` each), then the Monte Carlo (one point whose
    inputs are drawn, as ``evacsim run`` draws them); both keep their replications in ``store`` (the tornado's apart). ``monte_carlo``: the rows
    of a finished run of the same scenario to estimate from instead (``replications`` is then ignored). The study's
    ``rows`` are the Monte Carlo's replications, the table the EVPPI is estimated from.
    """
    folder = store.folder if isinstance(store, ChunkStore) else store
    tornado_store = ChunkStore(folder, isinstance(store, ChunkStore) and store.resume, "tornado_") if folder is not None else None
    measure = measure or default_measure(scenario)
    tornado = run_tornado(scenario, factors, seed, tornado_replications, executor, tornado_store, progress, measure)
    done = len(tornado.rows)

    def advance(rows: int, total: int) -> None:
        if progress:
            progress(done + rows, done + total)

    design = pd.DataFrame({"point": [0], "variant": [0]})
    # The tornado has checked (or made) this study's store; the Monte Carlo's replications sit beside its own.
    monte_carlo_store = ChunkStore(folder) if folder is not None else None
    if monte_carlo is None:
        rows, rep_seconds = _timed_evaluate(design, scenario, seed, replications, executor, monte_carlo_store, advance)
    else:
        rows, rep_seconds, replications = monte_carlo, 0.0, len(monte_carlo)
    start = time.perf_counter()
    inputs = input_columns(rows)
    outcome = measure.values(rows)
    kept = ~np.isnan(outcome)  # a base that did not have to move has no value to settle
    if kept.sum() < EVIDENCE_FEWEST <= len(kept):
        who = measure.who
        raise StudyError(
            f"{who} has to move in only {int(kept.sum())} of the {len(kept)} replications, too few to estimate how much any input "
            f"settles of {measure.words} (its figures are of those in which it moves; want hundreds): raise --replications"
        )
    inputs, outcome = inputs[kept].reset_index(drop=True), outcome[kept]
    evppi = evppi_table(inputs, outcome, seed)
    kinds = {name: kind_of_path(scenario, name) for name in inputs.columns}
    table = evidence_table(evppi, tornado.tables["tornado"], kinds, labels or {}, measure)
    # What the two that settle most decide together (a load per transporter) is in neither single share.
    pair = list(table["input"].head(2))
    joint = joint_evppi(inputs[pair], outcome, seed) if len(pair) == 2 else None
    seconds = time.perf_counter() - start
    study = Study(
        {"evidence": table, "tornado": tornado.tables["tornado"]},
        rows,
        replications,
        tornado.points + 1,
        tornado.replication_seconds + rep_seconds,
        tornado.analysis_seconds + seconds,
        [*tornado.warnings, *_evidence_warnings(table, replications)],
    )
    study.extra = {
        "tornado_points": tornado.points,
        "tornado_replications": tornado_replications,
        "p_window": float(np.nanmean(measure.in_window(rows))),
        "p_by_day": float(np.nanmean(measure.out_by(rows))),
        "mean_days": float(np.nanmean(measure.days(rows))),
        "moves": int(np.count_nonzero(~np.isnan(measure.days(rows)))),  # the replications the chances are of
        "measure": measure.as_record(),
    }
    if joint is not None:
        percent = {k: 100 * joint[k] for k in ("evppi", "evppi_low", "evppi_high")}
        study.extra["joint"] = {"inputs": pair, "labels": list(table["label"].head(2)), **percent, "cells": joint["cells"]}
    return study


EVIDENCE_FEWEST = 20
"""The fewest replications an evidence estimate is made from (:func:`sim.analysis.evidence.evppi_table`'s)."""


def _evidence_warnings(table: pd.DataFrame, replications: int) -> list[str]:
    """When the intervals are too wide to rank the inputs that matter."""
    top = table[table["evppi"] >= 5]
    wide = top[(top["evppi_high"] - top["evppi_low"]) > top["evppi"]]
    if len(wide):
        names = ", ".join(wide["label"])
        return [f"the intervals of {names} are wider than their estimates with {replications} replications: rank them only roughly; raise --replications"]
    return []
