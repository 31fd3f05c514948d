"""The border crossing: lanes, processing time per convoy, opening hours, closures, and
the alternate crossing convoys divert to when the main one stays shut."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import simpy

from sim.model.calendar import Closures, daily
from sim.model.events import Places
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
        self.lanes = Places(env, capacity=max(1, self.lanes_count))
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
        self.waiting: list[Waiting] = []  # convoys queued for a lane that choose again if it shuts
        self.being_cleared: list[list[tuple[float, float]]] = []  # for each convoy cleared now: the hours it shuts before it is through

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


@dataclass(eq=False)
class Waiting:
    """A convoy in a crossing's queue for a lane that chooses again if the crossing shuts (:func:`cross_border`)."""

    lane: simpy.Event
    convoy: simpy.Process
    reconsider: Reconsider

    def leaves_at(self, t: float, key: str) -> str | None:
        """The crossing it leaves for if the crossing ``key`` is shut at ``t`` (``None``: it stays)."""
        other = self.reconsider(t)
        return None if other == key else other


def cross_border(
    env: simpy.Environment,
    point: CrossingPoint,
    vehicles: int,
    work: float,
    reconsider: Reconsider | None = None,
    on_own_event: bool = False,
    lane_hours: dict[str, float] | None = None,
) -> Generator[simpy.Event, Any, tuple[float, str]]:
    """Queue for a lane, wait for the crossing to open, and clear it in ``work`` hours. Returns the hours waited and
    the crossing's key.

    With ``reconsider``, a convoy not yet through when the crossing shuts (queued for a lane, at the head of the
    queue, or being cleared) chooses again as one arriving then would: if ``reconsider`` names another crossing, it
    leaves for it at once. It returns the hours it spent at this one (clearing begun is lost, and counted as waiting)
    and that crossing, which it has not crossed yet.

    A queued convoy can only be in the queue when the crossing shuts if the convoys holding its lanes are being
    cleared across that moment: those convoys stop there to let it leave, and one joining later sets its own timer.
    No event is added where no convoy leaves, so such runs keep their events and their order.

    ``on_own_event``: the convoy reaches the crossing on an event that wakes it alone (the end of its drive); a free
    lane is then taken at once when nothing else is due at this hour (:meth:`~sim.model.events.Places.request_at_once`).

    ``lane_hours``: the lane-hours of the convoy's base by crossing, charged with the hours it held a lane here (as the
    crossing's own ``lane_hours_busy`` is).
    """
    arrived = env.now
    with point.lanes.request_at_once() if on_own_event else point.lanes.request() as lane:
        waiting = None
        if reconsider is not None and not lane.triggered and env.active_process is not None:
            waiting = Waiting(lane, env.active_process, reconsider)
            point.waiting.append(waiting)
            _watch_the_queue(env, point, waiting)
        try:
            yield lane
        except simpy.Interrupt as diverted:
            return env.now - arrived, str(diverted.cause)
        finally:
            if waiting in point.waiting:
                point.waiting.remove(waiting)
        if reconsider is None:
            start = point.shut.open_at(env.now)
            done = point.shut.finish(start, work)
            yield env.timeout(done - env.now)
        else:
            done, left = yield from _clear(env, point, work, reconsider, lane_hours)
            if left is not None:
                return done - arrived, left
        point.lane_hours_busy += work
        if lane_hours is not None:
            lane_hours[point.key] += work
        point.convoys += 1
    return done - arrived - work, point.key


def _clear(
    env: simpy.Environment, point: CrossingPoint, work: float, reconsider: Reconsider, lane_hours: dict[str, float] | None = None
) -> Generator[simpy.Event, Any, tuple[float, str | None]]:
    """A convoy at the head of the queue is cleared in ``work`` hours while the crossing is open. Each time the crossing
    is or shuts before it is through, the convoy and those queued behind it choose again; it stops there only if one of
    them leaves. Returns when it is through or leaves, and the crossing it leaves for (its hours of clearing count as
    lane hours), or ``None``."""
    t = env.now
    done = point.shut.finish(t, work)
    shuts = _shuts_while_cleared(point, t, work)
    if not shuts:
        yield env.timeout(done - t)  # one event for the whole clearing
        return done, None
    point.being_cleared.append(shuts)
    try:
        for shut_at, worked in shuts:
            other = reconsider(shut_at)
            if other == point.key and not any(w.leaves_at(shut_at, point.key) for w in point.waiting):
                continue
            if shut_at > env.now:
                yield env.timeout(shut_at - env.now)
            _tell_the_queue(point, shut_at)
            if other != point.key:
                point.lane_hours_busy += worked
                if lane_hours is not None:
                    lane_hours[point.key] += worked
                return shut_at, other
        yield env.timeout(done - env.now)
        return done, None
    finally:
        point.being_cleared.remove(shuts)


def _shuts_while_cleared(point: CrossingPoint, t: float, work: float) -> list[tuple[float, float]]:
    """The hours at which the crossing is (at ``t``) or shuts before a convoy at the head of the queue at ``t`` with
    ``work`` hours of clearing is through, each with the hours of clearing done by then."""
    shut = point.shut
    out = [] if shut.is_open(t) else [(t, 0.0)]
    start, left, worked = shut.open_at(t), work, 0.0
    starts, ends = shut.starts, shut.ends
    i = bisect_right(starts, start)
    while i < len(starts) and start + left > starts[i]:
        done = starts[i] - start
        out.append((starts[i], worked + done))
        left, worked, start = left - done, worked + done, ends[i]
        i += 1
    return out


def _tell_the_queue(point: CrossingPoint, t: float) -> None:
    """The crossing is shut at ``t``: each convoy queued for a lane that would take another crossing leaves for it."""
    for waiting in list(point.waiting):
        other = waiting.leaves_at(t, point.key)
        if other is not None and waiting.convoy.is_alive:
            point.waiting.remove(waiting)
            waiting.convoy.interrupt(other)


def _watch_the_queue(env: simpy.Environment, point: CrossingPoint, waiting: Waiting) -> None:
    """A convoy joining the queue while others are being cleared: if it would leave when the crossing shuts before
    they are through (they settled whether to stop then before it came), a timer wakes it at the first such hour."""
    t = env.now
    hours = sorted(h for shuts in point.being_cleared for h, _ in shuts if h > t)
    leaves = next((h for h in hours if waiting.leaves_at(h, point.key) is not None), None)
    if leaves is None:
        return

    def look(_event: simpy.Event) -> None:
        if waiting.lane.triggered or waiting not in point.waiting:
            return  # it has its lane (it looks again at the head of the queue) or has left
        _tell_the_queue(point, env.now)

    env.timeout(leaves - t).callbacks.append(look)


def cross_empty(point: CrossingPoint, t: float, trucks: int) -> tuple[float, float]:
    """Empty trucks clear a crossing on their way back in half a loaded convoy's time, without queueing
    for a lane: returns when they are through and the hours of that processing."""
    work = point.processing_hours(trucks) * 0.5
    return point.shut.finish(t, work), work


class CrossingsAtBase(Part):
    """The crossings as one base's convoys meet them: which one a convoy takes (another if the one it heads for
    stays shut too long), how many diverted (loaded and empty), and how long its convoys held the theatre's lanes
    (:attr:`lane_hours`, by crossing: the base's own share of lanes the bases share)."""

    causes = ("crossing",)

    def __init__(self, points: dict[str, CrossingPoint], divert_after_hours: float, others_of: Callable[[str], list[str]]) -> None:
        self.points = points
        self.divert_after_hours = divert_after_hours
        self._others_of = others_of  # crossing -> the other crossings of the base's routes out, in their order
        self._others: dict[str, list[str]] = {}
        self.diversions = 0
        self.return_diversions = 0
        self.lane_hours = dict.fromkeys(points, 0.0)  # lane-hours this base's loaded convoys held, by crossing

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
        """Diversions, and the share of every crossing's lanes over the hours to this base empty that its convoys held."""
        lanes = sum(self.lane_hours.values())
        lane_count = sum(c.lanes_count for c in self.points.values())
        return {
            "diversions": self.diversions,
            "return_diversions": self.return_diversions,
            "utilisation.crossing lanes": share(lanes, lane_count * span),
        }
