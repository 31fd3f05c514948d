"""The border crossing: lanes, processing time per convoy, opening hours, closures, and
the alternate crossing convoys divert to when the main one stays shut."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Generator
from typing import Any

import simpy

from sim.model.calendar import Closures, daily
from sim.model.parts import BaseSetup, Column, Part, share
from sim.scenario import schema


def scheduled_closures(point: schema.CrossingPoint) -> Closures:
    """The crossing's ``scheduled_closures`` on the clock (hours): closures known before a convoy sets out."""
    return Closures((24.0 * c.start_day, 24.0 * (c.start_day + c.days)) for c in point.scheduled_closures)


class CrossingPoint:
    """One border crossing as a convoy meets it: ``shut`` is every hour it is closed (outside its opening hours, random
    and scheduled closures); ``known`` only what a planner knows when routing a convoy (``hours``, its opening
    hours, and ``scheduled``, its scheduled closures)."""

    def __init__(self, env: simpy.Environment, point: schema.CrossingPoint, closures: Closures, horizon_hours: float, key: str = "") -> None:
        self.key = key  # its site name in a theatre
        self.name = point.name
        self.lanes_count = int(point.lanes)
        self.lanes = simpy.Resource(env, capacity=max(1, self.lanes_count))
        self.fixed_hours: float = point.fixed_hours
        self.minutes_per_vehicle: float = point.minutes_per_vehicle
        self.extra_km: float = point.extra_km
        self.closures = closures
        self.hours = daily(point.open_hours[0], point.open_hours[1], horizon_hours)  # closed outside its opening hours
        self.shut = self.hours | closures
        self.scheduled = scheduled_closures(point)
        self.known = self.hours | self.scheduled
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


Reconsider = Callable[[float], str]
"""The crossing a convoy waiting at a shut one would take at a given hour (:meth:`CrossingsAtBase.choose`)."""


def cross_border(
    env: simpy.Environment, point: CrossingPoint, vehicles: int, work: float, reconsider: Reconsider | None = None
) -> Generator[simpy.Event, Any, tuple[float, str]]:
    """Queue for a lane, wait for the crossing to open, and clear it in ``work`` hours. Returns the hours waited and
    the crossing's key.

    With ``reconsider``, a convoy not yet through when the crossing shuts (queued for a lane, at the head of the
    queue, or being cleared) chooses again as one arriving then would: if ``reconsider`` names another crossing, it
    leaves for it at once. It returns the hours it spent at this one (clearing begun is lost, and counted as waiting)
    and that crossing, which it has not crossed yet."""
    arrived = env.now
    with point.lanes.request() as lane:
        if reconsider is not None and not lane.triggered:
            _watch_the_queue(env, point, lane, reconsider, env.active_process, env.now)
        try:
            yield lane
        except simpy.Interrupt as diverted:
            return env.now - arrived, str(diverted.cause)
        leaves = None if reconsider is None else _leaves_while_cleared(point, env.now, work, reconsider)
        if leaves is not None:
            at, other, worked = leaves
            yield env.timeout(at - env.now)
            point.lane_hours_busy += worked
            return at - arrived, other
        start = point.shut.open_at(env.now)
        done = point.shut.finish(start, work)
        yield env.timeout(done - env.now)
        point.lane_hours_busy += work
        point.convoys += 1
    return done - arrived - work, point.key


def _leaves_while_cleared(point: CrossingPoint, t: float, work: float, reconsider: Reconsider) -> tuple[float, str, float] | None:
    """A convoy at the head of the queue at ``t`` with ``work`` hours of clearing: the first time the crossing is or
    shuts before it is through when it would choose another, that crossing, and the hours of clearing done by then
    (``None``: it stays until it is through). The calendar is the replication's, so this is known at ``t``."""
    shut = point.shut
    if not shut.is_open(t):
        other = reconsider(t)
        if other != point.key:
            return t, other, 0.0
    start, left, worked = shut.open_at(t), work, 0.0
    starts, ends = shut.starts, shut.ends
    i = bisect_right(starts, start)
    while i < len(starts) and start + left > starts[i]:
        done = starts[i] - start
        other = reconsider(starts[i])
        if other != point.key:
            return starts[i], other, worked + done
        left, worked, start = left - done, worked + done, ends[i]
        i += 1
    return None


def _watch_the_queue(env: simpy.Environment, point: CrossingPoint, lane: simpy.Event, reconsider: Reconsider, convoy: simpy.Process | None, t: float) -> None:
    """While ``convoy`` waits for a lane, look again each time the crossing shuts: if the crossing it would choose
    then (as one arriving then would) is another, it leaves the queue for it (an interrupt naming that crossing).

    Only a timer per closing is added, so a run where no queued convoy diverts keeps its events in the same order.
    """
    i = bisect_right(point.shut.starts, t)
    if i >= len(point.shut.starts) or convoy is None:
        return

    def look(_event: simpy.Event) -> None:
        if lane.triggered or not convoy.is_alive:
            return  # it has its lane (it looks again at the head of the queue) or is gone
        other = reconsider(env.now)
        if other != point.key:
            convoy.interrupt(other)
        else:
            _watch_the_queue(env, point, lane, reconsider, convoy, env.now)

    env.timeout(point.shut.starts[i] - t).callbacks.append(look)


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
