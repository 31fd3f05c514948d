"""How fast evacsim runs, measured against a raw SimPy loop on the same machine.

The yardstick is SimPy itself: 100 processes cycling through a ``simpy.Resource`` of
capacity 10 is about the cheapest useful thing SimPy can do, so its events per second
are an upper bound for the model's. The yardstick and the model are timed on one core in
*interleaved slices* (about half a second of the raw loop, then of the scenario's
replications, then of the comparison scenario's, round after round, and the raw loop to
close): a shared CPU that slows down or speeds up slows both alike, so their ratio holds
still where the rates do not. Each round gives one ratio, against the mean of the raw
slices before and after it; the figure is the median of the rounds' ratios (their
quartiles say how much they scatter), beside the ratio of the summed rates. A theatre's
seconds per convoy are set against the one-base baseline's the same way, round by round.
Each slice is timed twice: wall seconds, and the CPU seconds of the bench's own thread
(:func:`time.thread_time`). On a machine that other work keeps busy, a slice's wall time
includes the time the kernel gave the core to others, in shares that change from slice to
slice; its CPU time does not, so the ratios (``replications_vs_raw``, ``model_vs_raw``,
``seconds_per_convoy_vs_baseline``) are taken over CPU seconds, and the wall-second
ratios are reported beside them (``*_wall``). Rates (per second) stay per wall second.
The model is then timed on a local process pool, and the ratios are compared with targets. Events
are counted the way the model counts them: the events a :class:`~sim.model.counting.CountingEnvironment` schedules, the number of events
scheduled. Wall times are from :func:`time.perf_counter`. A short profiled run
splits the model's time between SimPy's own code and the model's logic: dividing
the model's ratio by SimPy's share gives the ratio it would reach if its logic cost
nothing, the ceiling for this event granularity.

Pure library code: :func:`run_bench` returns a flat dict, the caller prints or saves it.
"""

from __future__ import annotations

import cProfile
import datetime
import gc
import itertools
import math
import os
import platform
import pstats
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import simpy

from sim.experiment.engine import Store, Work, execute
from sim.experiment.executors import make_executor
from sim.model.counting import CountingEnvironment
from sim.replication import Prepared, prepare, run_batch
from sim.scenario.loading import load_scenario

RAW_PROCESSES = 100
RAW_CAPACITY = 10
RAW_CALIBRATION_WALL_SECONDS = 0.05
BATCH_WALL_SECONDS_MIN = 0.5
PROFILED_REPLICATIONS = 100

BASELINE = "scenarios/qasrak_baseline.toml"
THEATRE = "scenarios/syria_2026_theatre.toml"
SECONDS_PER_CONVOY_VS_BASELINE = 1.1
"""A theatre's cost must grow no faster than its work: seconds per convoy at most 1.1 x the one-base baseline's (issue 24)."""
SLICE_SECONDS = 0.5
"""Wall seconds of one slice of the raw loop or of one scenario's replications; the slices alternate."""

TARGETS = {
    "model_vs_raw": 0.7,
    "replications_vs_raw": 0.0005,
}
"""Replications a second per raw event a second: at least 5e-4 on the baseline (issue 24; 3.9e-4 when it was filed)."""


def _cycle_through_resource(env: simpy.Environment, resource: simpy.Resource) -> Iterator[simpy.Event]:
    """One raw-loop process: take a slot, hold it for an hour, give it back, forever."""
    while True:
        with resource.request() as request:
            yield request
            yield env.timeout(1.0)


def raw_resource_run(until: float) -> tuple[int, float]:
    """Run the raw loop to simulated hour ``until``: (events scheduled, wall seconds)."""
    start = time.perf_counter()
    env = CountingEnvironment()
    resource = simpy.Resource(env, capacity=RAW_CAPACITY)
    for _ in range(RAW_PROCESSES):
        env.process(_cycle_through_resource(env, resource))
    env.run(until=until)
    return env.scheduled, time.perf_counter() - start


def raw_resource_until(wall_seconds: float) -> float:
    """Simulated hours the raw loop needs to last about ``wall_seconds`` (short calibration runs)."""
    until = 10.0
    _, wall = raw_resource_run(until)
    while wall < RAW_CALIBRATION_WALL_SECONDS:
        until *= 4
        _, wall = raw_resource_run(until)
    return max(1.0, until * wall_seconds / wall)


def resolve_scenario_path(path: str | Path) -> Path:
    """``path`` as given, or relative to the repository when run from elsewhere."""
    given = Path(path)
    if given.exists() or given.is_absolute():
        return given
    in_repository = Path(__file__).resolve().parents[1] / given  # benchmarks/ is in the repository's root
    return in_repository if in_repository.exists() else given


def convoys_in(row: dict) -> int:
    """Convoys a replication moved: the one base's, or every base's of a theatre."""
    per_base = [v for k, v in row.items() if k.startswith("base.") and k.endswith(".convoys")]
    return int(sum(per_base)) if per_base else int(row["convoys"])


def parallel_plan(one_core_rate: float, wall_seconds: float, jobs: int) -> tuple[int, int]:
    """(count, batch_size) lasting about ``wall_seconds`` on ``jobs`` cores, each batch >= 0.5 s."""
    batch_size = max(1, math.ceil(one_core_rate * BATCH_WALL_SECONDS_MIN))
    count = max(jobs * batch_size, round(one_core_rate * jobs * wall_seconds))
    return count, batch_size


def parallel_run(prepared: Prepared, seed: int, count: int, jobs: int, batch_size: int) -> float:
    """Wall seconds for ``count`` replications on a pool of ``jobs`` processes (pool start-up included)."""
    start = time.perf_counter()
    with make_executor(jobs) as executor:
        execute(Work((prepared,), seed, count), Store(None, keep=False), executor, size=batch_size)
    return time.perf_counter() - start


def simpy_share(prepared: Prepared, seed: int, replications: int = PROFILED_REPLICATIONS) -> float:
    """Share of the model's time spent in SimPy's own code (its functions and the built-ins
    they call), from a cProfile run of ``replications``; the rest is the model's logic.

    An estimate: the profiler slows every Python call alike, SimPy's and the model's.
    """
    profile = cProfile.Profile()
    profile.runcall(run_batch, prepared, seed, range(replications))
    simpy_dir = str(Path(simpy.__file__).parent)
    in_simpy = total = 0.0
    for (filename, _, _), (_, _, own_seconds, _, callers) in pstats.Stats(profile).stats.items():
        total += own_seconds
        if filename.startswith(simpy_dir):
            in_simpy += own_seconds
        elif filename == "~":  # a built-in (heappush, ...): SimPy's when SimPy called it
            in_simpy += sum(timing[2] for (caller, _, _), timing in callers.items() if caller.startswith(simpy_dir))
    return in_simpy / total


def _versions() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "simpy": simpy.__version__,
        "numpy": np.__version__,
        "cpu_count": os.cpu_count() or 1,
        "date_utc": datetime.datetime.now(datetime.UTC).date().isoformat(),
    }


def _targets(values: dict[str, float]) -> dict[str, dict[str, object]]:
    return {name: {"value": values[name], "target": target, "met": bool(values[name] >= target)} for name, target in TARGETS.items()}


REPLAY_PER_S = 8_000
"""Replications a second the memory replay streams through the writer (measured: 1,000,000 in about 2 minutes)."""


@dataclass(frozen=True)
class BenchPlan:
    """How ``evacsim bench --seconds S`` spends about S seconds: the core rates (raw loop, one core, the pool), the
    parallel rates (pool, Dask), the two memory runs and the streamed replay (replications), and the scale of the
    analysis runs. Process and cluster start-up come on top (a few seconds)."""

    core_seconds: float
    parallel_seconds: float
    memory_replications: tuple[int, int]
    replay_replications: int
    analysis_scale: float

    def estimated_seconds(self, replications_per_s: float, jobs: int) -> float:
        """The plan's wall time at ``replications_per_s`` on one core and ``jobs`` workers, start-up excluded."""
        pool = max(replications_per_s * jobs * 0.9, 1e-9)
        analysis = ANALYSIS_REPLICATIONS_AT_SCALE_1 * self.analysis_scale / pool
        return self.core_seconds + self.parallel_seconds + sum(self.memory_replications) / pool + self.replay_replications / REPLAY_PER_S + analysis


ANALYSIS_REPLICATIONS_AT_SCALE_1 = 3_100
"""Replications the analysis-overhead runs take at scale 1 (tornado, Morris, Sobol' and calibration); discovery always
reads at least 1,000 calibration draws, so that its share is comparable between budgets."""


def bench_plan(seconds: float, replications_per_s: float, jobs: int, replay_replications: int | None = None) -> BenchPlan:
    """Split ``seconds`` so that the whole command takes about that long: 30% core rates, 25% parallel rates, 20%
    memory runs (a small one and one five times larger), 10% the replay (unless ``replay_replications`` is given) and
    about 15% the analysis runs."""
    pool = max(replications_per_s * jobs * 0.9, 1e-9)
    small = max(100, round(pool * 0.2 * seconds / 6))
    replay = replay_replications if replay_replications is not None else max(10_000, round(REPLAY_PER_S * 0.10 * seconds))
    scale = max(0.05, 0.15 * seconds * pool / ANALYSIS_REPLICATIONS_AT_SCALE_1)
    return BenchPlan(0.30 * seconds, 0.25 * seconds, (small, 5 * small), replay, scale)


def machine_load() -> tuple[float, int]:
    """The 1-minute load average and the number of cores; (0, cores) where the system does not say."""
    cores = os.cpu_count() or 1
    try:
        return os.getloadavg()[0], cores
    except (AttributeError, OSError):
        return 0.0, cores


def busy_warning(load: float, cores: int) -> str | None:
    """A warning when other work already keeps the machine busy, so that the parallel figures (speed-up, efficiency,
    Dask against the pool) would measure the other work as much as evacsim."""
    if load <= max(0.5, 0.25 * cores):
        return None
    return (
        f"the machine is busy before the bench starts (load average {load:.1f} on {cores} cores): the parallel figures "
        "(speed-up, efficiency, Dask against the pool) are then not meaningful and the rates read low; run the bench on an idle machine"
    )


@dataclass
class Tally:
    """What one kind of slice did, slice by slice: wall seconds, SimPy events, replications and convoys."""

    wall: list[float]
    events: list[int]
    replications: list[int]
    convoys: list[int]
    cpu: list[float]  # CPU seconds of the bench's thread in each slice (set by :func:`interleaved`)

    @classmethod
    def empty(cls) -> Tally:
        return cls([], [], [], [], [])

    def add(self, wall: float, events: int, replications: int = 0, convoys: int = 0) -> None:
        self.wall.append(wall)
        self.events.append(events)
        self.replications.append(replications)
        self.convoys.append(convoys)


def model_slice(prepared: Prepared, seed: int, first: int, wall_seconds: float, tally: Tally) -> int:
    """Replications ``first``, ``first + 1``, ... of ``prepared`` for about ``wall_seconds``, added to ``tally``;
    returns the next index (so that the slices of a run go through the replications in order)."""
    replications = events = convoys = 0
    start = time.perf_counter()
    while True:
        rows, _, _ = run_batch(prepared, seed, range(first + replications, first + replications + 1))
        replications += 1
        events += int(rows[0]["events"])
        convoys += convoys_in(rows[0])
        wall = time.perf_counter() - start
        if wall >= wall_seconds:
            tally.add(wall, events, replications, convoys)
            return first + replications


def interleaved(
    prepared: Prepared, seed: int, seconds: float, other: Prepared | None = None, slice_seconds: float = SLICE_SECONDS
) -> tuple[Tally, Tally, Tally | None]:
    """The raw loop, ``prepared``'s replications and ``other``'s (if given) in alternating slices of about
    ``slice_seconds`` each, for about ``seconds`` in all: (raw, model, other) tallies, one entry a round, and the
    raw loop once more at the end, so that each round's yardstick is the mean of the raw slices before and after it."""
    kinds = 3 if other is not None else 2
    rounds = max(3, round(seconds / (kinds * slice_seconds)))
    until = raw_resource_until(slice_seconds)
    run_batch(prepared, seed, range(1))  # warm: the scenario resolved and its routes found before the clock runs
    if other is not None:
        run_batch(other, seed, range(1))
    raw, model, another = Tally.empty(), Tally.empty(), (Tally.empty() if other is not None else None)
    next_model = next_other = 0
    for _ in range(rounds):
        gc.collect()
        cpu = time.thread_time()
        events, wall = raw_resource_run(until)
        raw.add(wall, events)
        raw.cpu.append(time.thread_time() - cpu)
        gc.collect()
        cpu = time.thread_time()
        next_model = model_slice(prepared, seed, next_model, slice_seconds, model)
        model.cpu.append(time.thread_time() - cpu)
        if other is not None and another is not None:
            gc.collect()
            cpu = time.thread_time()
            next_other = model_slice(other, seed, next_other, slice_seconds, another)
            another.cpu.append(time.thread_time() - cpu)
    gc.collect()
    cpu = time.thread_time()
    events, wall = raw_resource_run(until)  # a last raw slice, so that every round lies between two
    raw.add(wall, events)
    raw.cpu.append(time.thread_time() - cpu)
    return raw, model, another


def round_ratios(raw: Tally, model: Tally, seconds: str = "cpu") -> tuple[list[float], list[float]]:
    """Each round's (replications a second, model events a second) per raw event a second, timed in ``seconds``
    ("cpu" or "wall"); a round's yardstick is the mean of the raw slices before and after it."""
    raw_time, model_time = getattr(raw, seconds), getattr(model, seconds)
    raw_slices = [e / max(t, 1e-12) for e, t in zip(raw.events, raw_time, strict=True)]
    raw_rates = [(a + b) / 2 for a, b in itertools.pairwise(raw_slices)]
    reps = [r / max(t, 1e-12) / x for r, t, x in zip(model.replications, model_time, raw_rates, strict=True)]
    events = [e / max(t, 1e-12) / x for e, t, x in zip(model.events, model_time, raw_rates, strict=True)]
    return reps, events


def convoy_ratios(this: Tally, other: Tally, theatre_first: bool, seconds: str = "cpu") -> list[float]:
    """Each round's theatre seconds per convoy over the baseline's, timed in ``seconds`` ("cpu" or "wall")."""
    this_per_convoy = [t / max(1, c) for t, c in zip(getattr(this, seconds), this.convoys, strict=True)]
    other_per_convoy = [t / max(1, c) for t, c in zip(getattr(other, seconds), other.convoys, strict=True)]
    return [t / b if theatre_first else b / t for t, b in zip(this_per_convoy, other_per_convoy, strict=True)]


def _spread(values: list[float]) -> dict[str, float]:
    """The median and quartiles of the rounds' ratios, and how far the quartiles lie from the median (a share)."""
    q25, median, q75 = (float(v) for v in np.quantile(values, [0.25, 0.5, 0.75]))
    return {"median": median, "q25": q25, "q75": q75, "relative_spread": (q75 - q25) / median if median else math.nan}


def run_bench(
    scenario_path: str = BASELINE, seconds: float = 5.0, jobs: int = 2, seed: int = 1, compare_with: str | None = None, parallel: bool = True
) -> dict:
    """Measure the raw SimPy loop and the scenario on one core in interleaved slices, then (``parallel``) on ``jobs`` cores.

    About half of ``seconds`` goes to the interleaved slices, half to the pool; without ``parallel`` the pool is not
    started (the slices are the same) and its figures (``jobs``, ``replications_parallel``, ``parallel_speedup``...)
    are left out, not measured. A theatre is
    interleaved with the one-base baseline (``compare_with``, by default); the baseline with the
    shipped theatre; either way the theatre's seconds per convoy are compared with the baseline's.
    Rates are per wall second; model events include each replication's setup (input draws,
    resolving the scenario), but not loading and preparing the scenario.
    """
    scenario = load_scenario(resolve_scenario_path(scenario_path)).scenario
    prepared = prepare(scenario)
    if compare_with is None:
        compare_with = BASELINE if scenario.is_theatre else THEATRE
    other_path = resolve_scenario_path(compare_with)
    other = prepare(load_scenario(other_path).scenario) if other_path.resolve() != resolve_scenario_path(scenario_path).resolve() else None
    raw_tally, tally, other_tally = interleaved(prepared, seed, seconds / 2, other)  # the same slices with or without the pool

    raw = sum(raw_tally.events) / sum(raw_tally.wall)
    wall, replications, events, convoys = sum(tally.wall), sum(tally.replications), sum(tally.events), sum(tally.convoys)
    one_core_rate = replications / wall
    model_events_per_s = events / wall
    rep_ratios, event_ratios = round_ratios(raw_tally, tally, "cpu")
    rep_ratios_wall, event_ratios_wall = round_ratios(raw_tally, tally, "wall")
    seconds_per_convoy = wall / max(1, convoys)
    per_convoy: dict[str, object] = {"seconds_per_convoy": seconds_per_convoy, "convoys_per_replication": convoys / replications}
    if other is not None and other_tally is not None:
        theatre_first = scenario.is_theatre or not other.scenario.is_theatre
        pairs = convoy_ratios(tally, other_tally, theatre_first, "cpu")
        pairs_wall = convoy_ratios(tally, other_tally, theatre_first, "wall")
        other_seconds = sum(other_tally.wall) / max(1, sum(other_tally.convoys))
        theatre_s, baseline_s = (seconds_per_convoy, other_seconds) if theatre_first else (other_seconds, seconds_per_convoy)
        ratio = _spread(pairs)["median"]
        per_convoy["compared_with"] = str(compare_with)
        per_convoy["compared_with_seconds_per_convoy"] = other_seconds
        per_convoy["compared_with_replications_per_s"] = sum(other_tally.replications) / sum(other_tally.wall)
        per_convoy["theatre_seconds_per_convoy"] = theatre_s
        per_convoy["baseline_seconds_per_convoy"] = baseline_s
        per_convoy["seconds_per_convoy_vs_baseline"] = {
            "value": ratio,
            "of_sums": theatre_s / baseline_s,
            "rounds": _spread(pairs),
            "wall": _spread(pairs_wall),
            "target": SECONDS_PER_CONVOY_VS_BASELINE,
            "met": bool(ratio <= SECONDS_PER_CONVOY_VS_BASELINE),
        }

    pool: dict[str, object] = {}
    if parallel:
        count, batch_size = parallel_plan(one_core_rate, seconds / 2, jobs)
        parallel_wall = parallel_run(prepared, seed, count, jobs, batch_size)
        parallel_rate = count / parallel_wall
        speedup = parallel_rate / one_core_rate
        pool = {
            "replications_parallel": count,
            "batch_size_parallel": batch_size,
            "wall_seconds_parallel": parallel_wall,
            "replications_per_s_parallel": parallel_rate,
            "parallel_speedup": speedup,
            "parallel_efficiency": speedup / jobs,
        }

    share = simpy_share(prepared, seed)

    ratios = {
        "model_vs_raw": _spread(event_ratios)["median"],
        "replications_vs_raw": _spread(rep_ratios)["median"],
    }
    return {
        "scenario": str(scenario_path),
        "seconds": seconds,
        **({"jobs": jobs} if parallel else {}),
        "seed": seed,
        "raw_resource_events_per_s": raw,
        "rounds": len(tally.wall),
        "slice_seconds": SLICE_SECONDS,
        "replications_one_core": replications,
        "wall_seconds_one_core": wall,
        "replications_per_s": one_core_rate,
        "events_per_replication": events / replications,
        **per_convoy,
        "model_events_per_s": model_events_per_s,
        **pool,
        **ratios,
        "replications_vs_raw_rounds": _spread(rep_ratios),
        "replications_vs_raw_wall": _spread(rep_ratios_wall),
        "model_vs_raw_wall": _spread(event_ratios_wall),
        "raw_cpu_share": sum(raw_tally.cpu) / sum(raw_tally.wall),  # below 1: other work took the core part of the time
        "replications_vs_raw_of_sums": one_core_rate / raw,
        "model_vs_raw_of_sums": model_events_per_s / raw,
        "simpy_share": share,
        "model_vs_raw_ceiling": ratios["model_vs_raw"] / share,
        "targets": _targets(ratios),
        **_versions(),
    }
