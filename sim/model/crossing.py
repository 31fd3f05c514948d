"""The border crossing: lanes, processing time per convoy, opening hours, closures, and
the alternate crossing convoys divert to when the main one stays shut."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from sim.model.calendar import Closures, daily
from sim.model.parts import BaseSetup, Column, Part, share
from sim.scenario import schema


class CrossingPoint:
    """One border crossing as a convoy meets it."""

    def __init__(self, env: simpy.Environment, point: schema.CrossingPoint, closures: Closures, horizon_hours: float, key: str = "") -> None:
        self.key = key  # its site name in a theatre
        self.name = point.name
        self.lanes_count = int(point.lanes)
        self.lanes = simpy.Resource(env, capacity=max(1, self.lanes_count))
        self.fixed_hours: float = point.fixed_hours
        self.minutes_per_vehicle: float = point.minutes_per_vehicle
        self.extra_km: float = point.extra_km
        self.closures = closures
        self.shut = daily(point.open_hours[0], point.open_hours[1], horizon_hours) | closures
        self.lane_hours_busy = 0.0
        self.convoys = 0

    def processing_hours(self, vehicles: int) -> float:
        """Paperwork and inspection for a convoy of ``vehicles`` (hours, one lane)."""
        return self.fixed_hours + vehicles * self.minutes_per_vehicle / 60.0


def choose_crossing(t: float, main: CrossingPoint, alternate: CrossingPoint | None, divert_after_hours: float) -> CrossingPoint:
    """The main crossing, unless it stays shut longer than the diversion threshold and the alternate opens sooner.

    Loaded convoys choose on reaching the border from Syria, empty returns on reaching it from Iraq.
    """
    if alternate is None or alternate.lanes_count == 0:
        return main
    if main.lanes_count == 0:
        return alternate
    reopens = main.shut.open_at(t)
    if reopens - t > divert_after_hours and alternate.shut.open_at(t) < reopens:
        return alternate
    return main


def cross_border(env: simpy.Environment, point: CrossingPoint, vehicles: int, work: float) -> Generator[simpy.Event, Any, float]:
    """Queue for a lane, wait for the crossing to open, and clear it in ``work`` hours. Returns hours waited."""
    arrived = env.now
    with point.lanes.request() as lane:
        yield lane
        start = point.shut.open_at(env.now)
        done = point.shut.finish(start, work)
        yield env.timeout(done - env.now)
        point.lane_hours_busy += work
        point.convoys += 1
    return done - arrived - work


def cross_empty(point: CrossingPoint, t: float, trucks: int) -> tuple[float, float]:
    """Empty trucks clear a crossing on their way back in half a loaded convoy's time, without queueing
    for a lane: returns when they are through and the hours of that processing."""
    work = point.processing_hours(trucks) * 0.5
    return point.shut.finish(t, work), work


class CrossingsAtBase(Part):
    """The crossings as one base's convoys meet them: which one a convoy takes (another if the one it heads for
    stays shut too long), how many diverted (loaded and empty), and how busy the theatre's lanes were."""

    causes = ("crossing",)

    def __init__(self, points: dict[str, CrossingPoint], divert_after_hours: float, others_of: Callable[[str], list[str]]) -> None:
        self.points = points
        self.divert_after_hours = divert_after_hours
        self._others_of = others_of  # crossing -> the other crossings of the base's routes out, in their order
        self._others: dict[str, list[str]] = {}
        self.diversions = 0
        self.return_diversions = 0

    @classmethod
    def for_base(cls, setup: BaseSetup) -> CrossingsAtBase:
        net, name = setup.shared.network, setup.spec.name

        def others_of(planned: str) -> list[str]:
            return [str(r.crossing) for r in net.routes_out(name, None) if r.crossing != planned]

        return cls(setup.shared.crossings, setup.shared.divert_after_hours, others_of)

    def diverted(self, empty: bool = False) -> None:
        """A convoy (loaded, or its empty trucks on the way back) took another crossing than the one it headed for."""
        if empty:
            self.return_diversions += 1
        else:
            self.diversions += 1

    def choose(self, t: float, planned: str) -> str:
        """The crossing a convoy reaching ``planned`` at ``t`` takes: ``planned``, unless it stays shut longer than
        ``crossing.divert_after_hours`` and another crossing of the base opens sooner (the first to open)."""
        crossings = self.points
        main = crossings[planned]
        others = self._others.get(planned)
        if others is None:
            others = self._others[planned] = self._others_of(planned)
        if not others:
            return planned
        if len(others) == 1:
            return choose_crossing(t, main, crossings[others[0]], self.divert_after_hours).key
        open_others = [c for c in others if crossings[c].lanes_count > 0]
        if not open_others:
            return planned
        if main.lanes_count == 0:
            return open_others[0]
        reopens = main.shut.open_at(t)
        if reopens - t > self.divert_after_hours:
            best = min(open_others, key=lambda c: crossings[c].shut.open_at(t))
            if crossings[best].shut.open_at(t) < reopens:
                return best
        return planned

    def columns(self, span: float) -> dict[str, Column]:
        lanes = sum(c.lane_hours_busy for c in self.points.values())
        lane_count = sum(c.lanes_count for c in self.points.values())
        return {
            "diversions": self.diversions,
            "return_diversions": self.return_diversions,
            "utilisation.crossing lanes": share(lanes, lane_count * span),
        }
