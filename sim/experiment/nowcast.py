"""Running the replications of a nowcast: traced replications reduced to day-by-day trajectories.

The replications run on the engine (:mod:`sim.experiment.engine`) with
:func:`trajectory_record`: each worker runs its batch with ``trace=True`` and keeps only a compact summary of
every replication (:class:`sim.analysis.nowcast.Trajectories`: daily counts of vehicles
and convoys leaving and crossing, cargo at the base, the reinforcement inflow), so the
parent never holds timelines. Observations are turned into
:class:`~sim.analysis.nowcast.Measurement` s on the scenario's clock, and the weighting
itself is done by :func:`sim.analysis.nowcast.nowcast`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np

from sim.analysis.nowcast import FAR_TOLERANCES, Measurement, Nowcast, Trajectories, nowcast, nowcast_base, steps_table
from sim.experiment.engine import DAYS, Batch, Store, Work, execute, run_units
from sim.experiment.executors import Executor, make_executor
from sim.experiment.manifest import new_manifest, write_manifest
from sim.experiment.storage import write_json, write_parquet
from sim.model.evacuation import Outcome
from sim.names import date_words
from sim.replication import Prepared, simulate_one
from sim.scenario.loading import Problem, ScenarioError
from sim.scenario.observations import LoadedObservations
from sim.scenario.schema import TheatreScenario


def _day_counts(times: list[float], sizes: list[int], days: int) -> np.ndarray:
    out = np.zeros(days, dtype=np.int32)
    if times:
        idx = np.clip((np.asarray(times) // 24).astype(int), 0, days - 1)
        np.add.at(out, idx, np.asarray(sizes, dtype=np.int32))
    return out


def trajectory(outcome: Outcome, inflow_hour: float | None = None, alternate: str | None = None) -> dict[str, np.ndarray | float | int]:
    """One traced replication's trajectory, day by day (see :class:`~sim.analysis.nowcast.Trajectories`).

    ``inflow_hour`` is when reinforcements flowed in, if known; otherwise the day is found
    from the burn-down (ambiguous by one day for an inflow at exactly 00:00).
    """
    cargo = np.asarray(outcome.burndown_cargo, dtype=np.int32)
    days = len(cargo) - 1
    convoys = [e for e in outcome.timeline if e["kind"] == "convoy"]
    departed = [e["legs"]["departed"] for e in convoys]
    crossed = [(e["legs"]["crossed"], e["vehicles"]) for e in convoys if "crossed" in e["legs"]]
    diverted = [(e["legs"]["crossed"], e["vehicles"]) for e in convoys if "crossed" in e["legs"] and e["legs"].get("crossing") == alternate]
    return {
        "days_to_base_empty": outcome.days_to_base_empty,
        "days_to_force_closure": outcome.days_to_force_closure,
        "vehicles_departed": _day_counts(departed, [e["vehicles"] for e in convoys], days),
        "convoys_departed": _day_counts(departed, [1] * len(convoys), days),
        "vehicles_crossed": _day_counts([t for t, _ in crossed], [v for _, v in crossed], days),
        "convoys_crossed": _day_counts([t for t, _ in crossed], [1] * len(crossed), days),
        "vehicles_crossed_alternate": _day_counts([t for t, _ in diverted], [v for _, v in diverted], days),
        "convoys_crossed_alternate": _day_counts([t for t, _ in diverted], [1] * len(diverted), days),
        "cargo_at_base": cargo,
        "inflow_loads": arrived(outcome),
        "inflow_day": _inflow_day(outcome, cargo, inflow_hour),
    }


def arrived(outcome: Outcome) -> int:
    """Truckloads that came into the base: reinforcements' equipment and, in a reversal, loads brought back (a report
    of trucks arriving counts both)."""
    return int(outcome.loads_inflow) + int(outcome.columns.get("loads_returned", 0))


def _inflow_day(outcome: Outcome, cargo: np.ndarray, inflow_hour: float | None) -> int:
    if not arrived(outcome):
        return -1
    if inflow_hour is not None:
        return int(inflow_hour // 24)
    # Cargo at the base only grows by an inflow: what came in during a day is its change plus what left.
    # The burn-down is the state at 00:00 including what happened at 00:00, hence the ceiling.
    times = np.asarray([e["legs"]["departed"] for e in outcome.timeline], dtype=float)
    loads_out = np.zeros(len(cargo) - 1, dtype=np.int64)
    if len(times):
        idx = np.clip(np.ceil(times / 24).astype(int) - 1, 0, len(loads_out) - 1)
        np.add.at(loads_out, idx, [e["loads"] for e in outcome.timeline])
    came_in = np.flatnonzero(np.diff(cargo.astype(np.int64)) + loads_out > 0)
    return int(came_in[0]) if len(came_in) else -1


DEFAULT_REPLICATIONS = 2000
"""Prior replications a nowcast weights, unless told otherwise."""

SCALARS = ("days_to_base_empty", "days_to_force_closure", "inflow_loads", "inflow_day")
"""The numbers of a trajectory that are one per replication; the others are one per day."""


def trajectory_record(prepared: Prepared, point: int, index: int, work: Work) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """The engine's recorder of a nowcast: replication ``index`` traced, reduced to its trajectory.

    Its row holds the numbers of :data:`SCALARS`; its day series the daily counts, each padded
    with a 0 to the length of ``cargo_at_base`` (one more day: the state at the end of the horizon).
    """
    _, alternate = crossing_names(prepared.scenario)
    _, outcome, _ = simulate_one(prepared, work.seed, index, trace=True)
    found = trajectory(outcome, outcome.inflow_hour, alternate)
    row: dict[str, object] = {"replication": index, **{k: found[k] for k in SCALARS}}
    cargo = np.asarray(found["cargo_at_base"])
    days = {k: np.append(np.asarray(v), 0).astype(np.int32) for k, v in found.items() if k not in SCALARS and k != "cargo_at_base"}
    return row, {"cargo_at_base": cargo, **days}


def trajectories_of(store: Store) -> Trajectories:
    """The trajectories a nowcast's store holds, in replication order."""
    rows = store.read()
    days = store.read(DAYS)
    count = rows.num_rows
    width = days.num_rows // max(1, count)
    series = {}
    for name in days.column_names:
        if name in ("replication", "day"):
            continue
        values = days.column(name).to_numpy().reshape(count, width)
        series[name] = values if name == "cargo_at_base" else values[:, :-1]
    scalars = {k: rows.column(k).to_numpy() for k in SCALARS}
    return Trajectories(replication=rows.column("replication").to_numpy(), **scalars, **series)


def run_trajectory_batch(prepared: Prepared, seed: int, indices: range | list[int]) -> Trajectories:
    """Replications ``indices`` (any, in the order given), traced and reduced to their trajectories, in this process."""
    work = Work((prepared,), seed, max(indices, default=0) + 1, keep_days=True, trace=True, recorder=trajectory_record)
    store = Store(None)
    for position, index in enumerate(indices):  # each under its position, so that the order given is kept
        batch = run_units(work, index, index + 1)
        store.put(Batch(position, position + 1, batch.records, batch.days))
    return trajectories_of(store)


def run_trajectories(
    prepared: Prepared,
    seed: int,
    count: int,
    jobs: int = 1,
    on_batch: Callable[[int], None] | None = None,
    executor: Executor | None = None,
) -> Trajectories:
    """Trajectories of replications ``0 .. count - 1`` (index order), on the engine and any executor (default:
    ``jobs`` local processes).

    A replication depends only on ``seed`` and its index, so the sample is the same bits
    as ``evacsim run`` with the same seed, whatever runs it.
    """
    own = executor is None
    executor = executor or make_executor(jobs)
    store = Store(None)
    work = Work((prepared,), seed, count, keep_days=True, trace=True, recorder=trajectory_record)
    try:
        execute(work, store, executor, on_batch=(lambda batch: on_batch(len(batch))) if on_batch else None)
    finally:
        if own:
            executor.close()
    return trajectories_of(store)


def day_of(when: dt.date, start: dt.datetime) -> int:
    """The calendar day (0 = the start's day) on which a date or local date-time falls."""
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time())
    if when.tzinfo is None:
        when = when.replace(tzinfo=start.tzinfo)
    return int((when - start).total_seconds() // 86400)


def _label(number: int, obs, tz: dt.tzinfo, day: int, until: int | None) -> str:
    """How tables and figures name a report, in words and units: ``report 3: truckloads came into the base, 50 ± 15
    truckloads, 9 Mar 2026, day 14``; a share is in percent, a pause or closure gives its dates."""
    from sim.scenario.observations import KIND_WORDS

    what = KIND_WORDS[obs.kind][0]
    if getattr(obs, "crossing", None):
        what = f"{what} at {obs.crossing}" if obs.kind == "convoy_crossed" else f"no convoy crossed at {obs.crossing}"
    date = date_words(_calendar(obs.date, tz))
    if obs.kind in ("pause", "crossing_closed"):
        return f"report {number}: {what}, {date} to {date_words(_calendar(obs.until, tz))}, days {day}-{until}"
    scale, unit = (100.0, "%") if obs.kind == "share_out" else (1.0, " " + KIND_WORDS[obs.kind][1])
    if obs.value is not None:
        amount = f"{scale * obs.value:g} ± {scale * obs.tolerance:g}{unit}"
    else:
        amount = f"{scale * obs.low:g}-{scale * obs.high:g}{unit}"
    return f"report {number}: {what}, {amount}, {date}, day {day}"


def _calendar(when: dt.date, tz: dt.tzinfo) -> dt.date:
    """The local calendar date of a report: a time given in another zone (``...Z``) is converted first."""
    if isinstance(when, dt.datetime):
        return (when.astimezone(tz) if when.tzinfo is not None else when).date()
    return when


def crossing_names(scenario) -> tuple[str, str | None]:
    """The names of a scenario's main and alternate crossings (None: no alternate). A theatre's are its crossing
    sites' titles in file order: the first is the one reports call main, the second the alternate."""
    if isinstance(scenario, TheatreScenario):
        titles = [site.title for site in scenario.crossings.values()]
        return titles[0], titles[1] if len(titles) > 1 else None
    crossing = scenario.crossing
    return crossing.main.name, crossing.alternate.name if crossing.alternate is not None else None


def crossing_roles(scenario) -> dict[str, str]:
    """A scenario's crossings by name: ``{"al-Waleed": "main", "Semalka / Faysh Khabur": "alternate"}``."""
    main, alternate = crossing_names(scenario)
    roles = {main: "main"}
    if alternate is not None:
        roles[alternate] = "alternate"
    return roles


def _role_of(name: str, roles: dict[str, str]) -> str | None:
    """The role of a crossing a report names; case and partial names (``Semalka``) are accepted."""
    wanted = name.strip().lower()
    found = {role for full, role in roles.items() if wanted == full.lower() or wanted in full.lower() or full.lower() in wanted}
    return found.pop() if len(found) == 1 else None


def measurements_from(loaded: LoadedObservations, start_iso: str, horizon_days: float, crossings: dict[str, str] | None = None) -> list[Measurement]:
    """The observations on the scenario's clock; dates outside the simulated period, and crossings the
    scenario does not have (``crossings``: name -> main/alternate), are errors (file:line field)."""
    start = dt.datetime.fromisoformat(start_iso)
    tz = start.tzinfo
    if tz is None:
        tz = dt.UTC
        start = start.replace(tzinfo=tz)
    out, problems = [], []
    for i, obs in enumerate(loaded.observations):
        day = day_of(obs.date, start)
        until = day_of(obs.until, start) if hasattr(obs, "until") else None
        for name, d in (("date", day), ("until", until)):
            if d is None or 0 <= d < horizon_days:
                continue
            before = f"is before the scenario's start ({start.date()}); drop it or fix the date"
            wrong = before if d < 0 else f"is after the scenario's horizon ({horizon_days:g} days)"
            problems.append(Problem(f"observation.{i}.{name}", wrong, loaded.line_of(i, name)))
        label = _label(i + 1, obs, tz, day, until)
        role = None
        named = getattr(obs, "crossing", None)
        if named and crossings is not None:
            role = _role_of(named, crossings)
            if role is None:
                names = " or ".join(crossings)
                message = f"{named!r} is not a crossing of the scenario ({names}); use one of those names"
                problems.append(Problem(f"observation.{i}.crossing", message, loaded.line_of(i, "crossing")))
        if obs.kind in ("pause", "crossing_closed"):
            out.append(Measurement(obs.kind, day, 0.0, 0.0, obs.tolerance, until_day=until, crossing=role, label=label))
        else:
            low, high = obs.bounds()
            days_tolerance = getattr(obs, "days_tolerance", 0.0)
            out.append(Measurement(obs.kind, day, low, high, obs.spread(), days_tolerance=days_tolerance, crossing=role, label=label))
    if problems:
        raise ScenarioError(loaded.path, problems)
    return out


def run_nowcast(
    prepared: Prepared,
    loaded: LoadedObservations,
    seed: int,
    replications: int,
    jobs: int = 1,
    min_ess: float | None = None,
    on_batch: Callable[[int], None] | None = None,
    executor: Executor | None = None,
) -> tuple[Nowcast, Trajectories, list[Measurement]]:
    """Replicate the scenario and condition its forecast on the observations."""
    info = prepared.scenario.scenario
    measurements = measurements_from(loaded, info.start, info.horizon_days, crossing_roles(prepared.scenario))
    traj = run_trajectories(prepared, seed, replications, jobs, on_batch, executor)
    kwargs = {} if min_ess is None else {"min_ess": min_ess}
    return nowcast(traj, measurements, info.window_days, **kwargs), traj, measurements


METHOD_WORDS = (
    "each replication of the scenario counts as much as it agrees with every report: fully when it falls inside a reported "
    "range, less the further it falls outside (by the report's tolerance, a bell curve), and not at all when far off "
    "(likelihood weighting of the scenario's own replications)"
)
"""How the nowcast weighs the replications, in a planner's words (the statistician's name last, in brackets)."""


def in_sentence(label: str) -> str:
    """A report's label as the subject of a sentence: ``Report 3 (truckloads came into the base, ..., day 14)``."""
    number, _, said = label.partition(": ")
    return f"{number[:1].upper()}{number[1:]} ({said})" if said else label


def summary(result, seen, measurements, window, replications: int, seed: int) -> dict:
    """The ``nowcast.json`` contract: method, prior and posterior forecasts, ESS, warnings, checks and the narrowing."""
    return {
        "method": METHOD_WORDS,
        "observations_path": seen.path,
        "observations_title": seen.file.observations.title,
        "replications": replications,
        "seed": seed,
        "window_days": list(window),
        "effective_sample_size": result.effective_sample_size,
        "warnings": result.warnings,
        "prior": result.prior,
        "posterior": result.posterior,
        "observations": [
            {
                "label": m.label,
                "kind": m.kind,
                "day": m.day,
                "until_day": m.until_day,
                "low": m.low,
                "high": m.high,
                "tolerance": m.tolerance,
                "source": obs.source,
                "line": line,
                "simulated_p10": c.simulated_p10,
                "simulated_p50": c.simulated_p50,
                "simulated_p90": c.simulated_p90,
                "closest_tolerances": c.closest_tolerances,
                "share_within_tolerance": c.share_within,
                "consistent": c.closest_tolerances <= FAR_TOLERANCES,
            }
            for m, obs, line, c in zip(measurements, seen.observations, seen.lines, result.checks, strict=True)
        ],
        "steps": steps_table(result.steps, window),
        "effects": effects_table(result.effects, window),
    }


def effects_table(effects, window: tuple[float, float]) -> list[dict]:
    """What each report changed (``nowcast.json`` ``effects``): days to base empty (P50, mean) and P(out by the window's
    end), given every other report and given them all, with the effective sample of each."""
    by = f"p_by_{window[1]:g}"

    def figures(f: dict) -> dict:
        base = f["days_to_base_empty"]
        out_by = f["base_empty"][by]["estimate"]
        return {"base_empty_p50": base["p50"], "base_empty_mean": base["mean"], by: out_by, "effective_sample_size": f["effective_sample_size"]}

    return [{"label": e.label, "kind": e.kind, "without": figures(e.without), "with": figures(e.with_)} for e in effects]


def write_nowcast(folder: Path, loaded, seen, seed: int, replications: int, jobs: int, result, traj, measurements) -> dict:
    """``nowcast.json``, ``weights.parquet`` and ``manifest.json``, each written atomically; returns what
    ``nowcast.json`` holds (:func:`sim.api.nowcast` draws ``nowcast.png``/``.svg`` from it)."""
    import pandas as pd

    window = loaded.scenario.scenario.window_days
    data = summary(result, seen, measurements, window, replications, seed)
    data["base"] = nowcast_base(loaded.scenario)  # on a theatre, whose closure the nowcast forecasts (its main base's title)
    resolved = loaded.scenario.model_dump(mode="json")
    extra = {"replications": replications, "jobs": jobs, "observations_path": seen.path, "observations": seen.file.model_dump(mode="json")}
    write_manifest(folder, new_manifest("nowcast", resolved, loaded.path, list(loaded.overrides), seed, **extra))
    frame = pd.DataFrame(
        {
            "replication": traj.replication,
            "weight": result.weights,
            "days_to_base_empty": traj.days_to_base_empty,
            "days_to_force_closure": traj.days_to_force_closure,
        }
    )
    for k in range(len(measurements)):
        frame[f"log_likelihood.{k + 1}"] = result.log_likelihoods[:, k]
    write_parquet(folder / "weights.parquet", frame)
    write_json(folder / "nowcast.json", data)
    return data
