"""Disruptions, drawn once per replication from their own random streams.

- route threats close the Syrian leg for hours to days (Poisson arrivals);
- crossing closures shut a border crossing for days (random, and known ones such as a flood);
- dust storms ground aircraft for whole days;
- a political pause stops departures for a while; reinforcements may flow in, and loads that had left may come back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.calendar import Closures
from sim.model.crossing import scheduled_closures
from sim.scenario.distributions import draw_many
from sim.scenario.schema import CrossingPoint, EventHours, Pause


def poisson_closures(rng: np.random.Generator, per_hour: float, duration: EventHours, horizon_hours: float, hours_per_unit: float = 1.0) -> Closures:
    """Closures arriving at random (``per_hour``) over the horizon, each lasting a draw of ``duration``
    (in hours, or in units of ``hours_per_unit`` hours: 24 for a duration given in days)."""
    n = int(rng.poisson(per_hour * horizon_hours)) if per_hour > 0 else 0
    starts = np.sort(rng.uniform(0.0, horizon_hours, n))
    lengths = draw_many(duration, rng, n) * hours_per_unit
    return Closures(zip(starts.tolist(), (starts + lengths).tolist(), strict=True))


def route_threats(rng: np.random.Generator, closures_per_week: float, closure_hours: EventHours, horizon_hours: float) -> Closures:
    """Hours the Syrian leg is closed by threats."""
    return poisson_closures(rng, closures_per_week / 168.0, closure_hours, horizon_hours)


def crossing_closures(rng: np.random.Generator, point: CrossingPoint, horizon_hours: float) -> Closures:
    """Random closures of a crossing (``closures_per_month``, each ``closure_days`` long) plus known ones."""
    random = poisson_closures(rng, point.closures_per_month / (30.0 * 24.0), point.closure_days, horizon_hours, hours_per_unit=24.0)
    return random | scheduled_closures(point)


def dust_days(rng: np.random.Generator, probability: float, horizon_days: int) -> set[int]:
    """Days (0 = 2026-02-23) on which dust grounds aircraft."""
    return set(np.flatnonzero(rng.random(horizon_days + 2) < probability).tolist())


@dataclass(frozen=True)
class PoliticalPause:
    """A pause in departures from ``start_hour`` for ``hours``, and what flows in when it starts: reinforcements
    (``inflow_loads`` truckloads, ``inflow_troops``) and, in a reversal, ``returned_fraction`` of the loads gone by road."""

    start_hour: float
    hours: float
    inflow_loads: int
    inflow_troops: int
    returned_fraction: float = 0.0

    @property
    def closures(self) -> Closures:
        return Closures([(self.start_hour, self.start_hour + self.hours)])


def political_pause(rng: np.random.Generator, pause: Pause) -> PoliticalPause | None:
    """Whether a pause happens in this replication, and its timing."""
    if pause.probability <= 0 or rng.random() >= pause.probability:
        return None
    hours = (24.0 * pause.start_day, 24.0 * pause.days)
    return PoliticalPause(*hours, int(pause.inflow_loads), int(pause.inflow_troops), float(pause.returned_fraction))
