"""Running the backtest cases: each past withdrawal's scenario (``scenarios/history/*.toml``),
replicated on the engine (:mod:`sim.experiment.engine`), measured as its ``[history]`` table says.

A case is a whole scenario file with a ``[history]`` table: what withdrawal it is, what is
measured (base empty, force closure, or the first convoy's hours until it has crossed) and
the reported range, with its source. Nothing in a case is tuned to that range.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.analysis.backtest import Backtest, backtest
from sim.analysis.paper_forecast import PaperBase, PaperForecast, drive_hours, paper_forecast
from sim.analysis.theatre_base import TheatreBase
from sim.experiment.engine import Batch, Store, Work, execute
from sim.experiment.executors import Executor
from sim.model.network import Road
from sim.replication import Prepared, prepare, simulate_one
from sim.scenario.distributions import median_of
from sim.scenario.draws import resolve
from sim.scenario.loading import LoadedScenario, Problem, ScenarioError, load_scenario
from sim.scenario.schema import TRUCK_TYPES, History, Scenario, TheatreScenario

HISTORY_DIR = Path("scenarios/history")


def default_cases() -> Path:
    """Where the backtest's cases are when none is named: ``scenarios/history`` of the folder it runs in, else of the
    checkout evacsim runs from (so that ``evacsim backtest`` works from any folder); as given if neither has one."""
    if HISTORY_DIR.is_dir():
        return HISTORY_DIR
    checkout = Path(__file__).resolve().parents[2] / HISTORY_DIR
    return checkout if checkout.is_dir() else HISTORY_DIR


@dataclass(frozen=True)
class Case:
    """A past withdrawal: its scenario file and what was reported."""

    name: str
    loaded: LoadedScenario
    history: History


def load_cases(paths: Sequence[Path]) -> list[Case]:
    """The cases in these files (folders are read for ``*.toml``); a file without ``[history]`` is an error."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(Path(path).glob("*.toml")) if Path(path).is_dir() else [Path(path)])
    if not files:
        raise ScenarioError(str(paths[0]) if paths else str(HISTORY_DIR), [Problem("history", "no backtest case (*.toml) found here")])
    cases = []
    for file in files:
        loaded = load_scenario(file)
        if loaded.scenario.history is None:
            raise ScenarioError(str(file), [Problem("history", "a backtest case needs a [history] table: what, measure, reported = [low, high], source")])
        cases.append(Case(file.stem, loaded, loaded.scenario.history))
    return cases


def measure(prepared: Prepared, what: str, seed: int, index: int) -> float:
    """Replication ``index``'s value of the measure (``inf`` when it never got there)."""
    _, outcome, _ = simulate_one(prepared, seed, index, trace=what == "first convoy across")
    if what == "first convoy across":
        crossed = [c["legs"] for c in outcome.timeline if c["kind"] == "convoy" and "crossed" in c["legs"]]
        if not crossed:
            return math.inf
        first = min(crossed, key=lambda legs: legs["departed"])
        return first["crossed"] - first["departed"]
    theatre = outcome.theatre
    if theatre is not None and len(theatre.bases) > 1:  # a theatre case: the last of the bases that are left
        if not theatre.finished:
            return math.inf
        left = [b for name, b in theatre.bases.items() if theatre.leaves[name]]
        return max(((b.days_to_base_empty if what == "base empty" else b.days_to_force_closure) for b in left), default=0.0)
    if not outcome.finished:
        return math.inf
    return outcome.days_to_base_empty if what == "base empty" else outcome.days_to_force_closure


def measure_record(prepared: Prepared, point: int, index: int, work: Work) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """The engine's recorder of a backtest: replication ``index`` of case ``point``, measured as the case says."""
    return {"replication": index, "value": measure(prepared, work.context[point], work.seed, index)}, {}


def run_backtests(
    cases: Sequence[Case], seed: int, replications: int, executor: Executor, on_progress: Callable[[int, int], None] | None = None
) -> list[Backtest]:
    """Replicate every case and compare it with what was reported."""
    points = tuple(prepare(c.loaded.scenario) for c in cases)
    work = Work(points, seed, replications, label_points=True, recorder=measure_record, context=tuple(c.history.measure for c in cases))
    values = np.full((len(cases), replications), np.nan)

    def take(batch: Batch) -> None:
        table = batch.records
        values[table["point"].to_numpy(), table["replication"].to_numpy()] = table["value"].to_numpy()

    execute(work, Store(None, keep=False), executor, on_batch=take, on_progress=on_progress)
    out = []
    for case, v in zip(cases, values, strict=True):
        h, paper = case.history, paper_forecast_of(case.loaded.scenario, case.history.measure)
        horizon = case.loaded.scenario.scenario.horizon_days * (24.0 if h.unit == "hours" else 1.0)
        out.append(backtest(case.name, h.what, h.measure, h.unit, h.reported, v, paper.value, paper.basis, cut_off_at=horizon))
    return out


# --- the paper forecast's planning factors, read from the case file's medians ---------------------------


def _hours(roads: Sequence[Road]) -> float:
    """A march table's hours for these roads, one after another (each with its own halts)."""
    return sum(drive_hours(r.leg.km, r.leg.town_km, r.leg.speed_kmh, r.leg.town_speed_kmh, r.leg.halt_minutes, r.leg.halt_every_hours) for r in roads)


def paper_base(base: TheatreBase, title: str, trucks: float | None = None, start_day: float = 0.0) -> PaperBase:
    """One base's planning factors from a resolved theatre's base (a one-base file as its theatre of one base): each
    input at its median, its quickest way out road by road; ``trucks`` replaces the trucks of the base's own pools
    where a theatre shares its pools."""
    m = median_of
    s, site = base.theatre, base.theatre.bases[base.name]
    loads = sum(m(c.loads) * (1.0 - m(c.handed_over_fraction)) for c in site.cargo.classes.values())
    vehicles = m(site.vehicles.count)
    way, point = base.crossings_out(None)[0]  # the quickest through a crossing with lanes (by way of its hub)
    syria = _hours(way.inside)
    size = m(s.convoys.size_max)
    first_convoy = min(size, loads + vehicles) if loads + vehicles > 0 else size
    if trucks is None:
        pools = [s.pools[p].fleet for p in site.pools if p in s.pools]
        trucks = sum(m(count.count) for fleet in pools if fleet is not None for kind in TRUCK_TYPES if (count := getattr(fleet, kind)) is not None)
    return PaperBase(
        name=title,
        loads=loads,
        vehicles=vehicles,
        trucks=trucks,
        drive_out_hours=syria + m(point.fixed_hours) + _hours(way.outside),
        to_border_hours=syria + m(point.fixed_hours) + first_convoy * m(point.minutes_per_vehicle) / 60.0,
        turnaround_hours=m(site.loading.hours_per_truck) + m(s.destination.unload_hours_per_truck),
        convoys_per_day=m(s.convoys.max_per_day),
        convoy_size=size,
        start_day=start_day,
    )


def paper_bases(scenario: Scenario) -> list[PaperBase]:
    """Every base's planning factors at the scenario's medians: one for a one-base file; for a theatre, each
    base that is more likely left than not, seeing all the trucks of the pools, starting after the base it waits for."""
    s = resolve(scenario, {})
    if not isinstance(s, TheatreScenario):
        return [paper_base(TheatreBase.of(s), s.scenario.name)]
    fleets = [pool.fleet for pool in s.pools.values() if pool.fleet is not None]
    trucks = sum(median_of(trucks.count) for fleet in fleets for kind in TRUCK_TYPES if (trucks := getattr(fleet, kind)) is not None)
    out: dict[str, PaperBase] = {}
    for name, site in s.bases.items():
        if median_of(site.leaves) < 0.5:
            continue
        start = median_of(site.start_day)
        if site.after in out:
            before = out[site.after]
            start = max(start, before.start_day + before.convoy_days)
        out[name] = paper_base(TheatreBase.of(s, name), site.title, trucks, start)
    return list(out.values())


def paper_forecast_of(scenario: Scenario, measure: str) -> PaperForecast:
    """The forecast a planner makes on paper for this case (:mod:`sim.analysis.paper_forecast`)."""
    return paper_forecast(paper_bases(scenario), measure)
