"""The border crossing: lanes, processing time per convoy, opening hours, closures, and
the alternate crossing convoys divert to when the main one stays shut."""

from __future__ import annotations

import simpy

from sim.model.calendar import Closures, daily


class CrossingPoint:
    """One border crossing as a convoy meets it."""

    def __init__(self, env: simpy.Environment, point, closures: Closures, horizon_hours: float, key: str = "") -> None:
        self.key = key  # its site name in a theatre
        self.name = point.name
        self.lanes_count = int(point.lanes)
        self.lanes = simpy.Resource(env, capacity=max(1, self.lanes_count))
        self.fixed_hours = point.fixed_hours
        self.minutes_per_vehicle = point.minutes_per_vehicle
        self.extra_km = point.extra_km
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


def cross_border(env: simpy.Environment, point: CrossingPoint, vehicles: int, work: float):
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
