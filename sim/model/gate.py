"""What keeps a loaded convoy at the gate by the clock: a pause, the night, the departure window, the day's
departure slots; and the dispatch rule that keeps one behind another (every first road closed: :mod:`sim.model.roads`).

Each is a :class:`~sim.model.parts.Part` of the base, asked in the order the base lists them.
The calendars are worked out once per convoy kind (contracted, military), from the first road
of the base's quickest route out.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import simpy

from sim.model.calendar import NEVER, Closures
from sim.model.convoy import Convoy
from sim.model.disruptions import PoliticalPause
from sim.model.movement import daylight_only, departure_window
from sim.model.parts import BaseSetup, Column, Hold, Part, Waits, holds
from sim.model.roads import first_road
from sim.scenario.schema import CONVOY_KINDS


class Calendar(Part):
    """A hold by a calendar of closed periods for each convoy kind: the convoy waits until it opens."""

    cause = ""

    def __init__(self, by_kind: dict[str, Closures]) -> None:
        self.by_kind = by_kind
        self.may_hold = any(len(closures) > 0 for closures in by_kind.values())

    def hold(self, convoy: Convoy, now: float) -> Hold | None:
        opens = self.by_kind[convoy.kind].open_at(now)  # now, when open
        return None if opens == now else (self.cause, opens)


class Pause(Calendar):
    """A political pause: no convoy leaves and no aircraft flies while it lasts; reinforcements may flow in and loads
    that had left may come back when it starts (``pause`` column: whether a pause happened in the replication)."""

    causes = ("pause",)
    cause = "pause"

    def __init__(self, pause: PoliticalPause | None, closures: Closures) -> None:
        super().__init__(dict.fromkeys(CONVOY_KINDS, closures))
        self.pause = pause
        self.closures = closures

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Pause:
        return cls(setup.shared.pause, setup.shared.pause_closures)

    @property
    def brings_inflow(self) -> bool:
        p = self.pause
        return p is not None and bool(p.inflow_loads or p.inflow_troops or p.returned_fraction)

    def hold(self, convoy: Convoy, now: float) -> Hold | None:
        opens = self.closures.open_at(now)  # the same for every kind of convoy; now, when open
        return None if opens == now else ("pause", opens)

    def columns(self, span: float) -> dict[str, Column]:
        return {"pause": self.pause is not None}


class Daylight(Calendar):
    """Convoys of a kind that move by day only on the base's first road leave only in daylight."""

    causes = ("daylight",)
    cause = "daylight"

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Daylight:
        first = first_road(setup.shared, setup.spec)
        return cls({kind: NEVER if first is None else setup.shared.nights(first, kind) for kind in CONVOY_KINDS})


class DepartureWindow(Calendar):
    """``convoys.departure_window``: the hours of the day convoys may leave (narrowed to daylight for a kind that moves by day only)."""

    causes = ("departure window",)
    cause = "departure window"

    @classmethod
    def for_base(cls, setup: BaseSetup) -> DepartureWindow:
        s, first = setup.scenario, first_road(setup.shared, setup.spec)
        horizon = setup.shared.horizon_hours
        return cls({kind: departure_window(s, kind, first is not None and daylight_only(first, kind, s), horizon) for kind in CONVOY_KINDS})


@dataclass
class DepartureSlots(Part):
    """At most ``convoys.max_per_day`` convoys leave a day; queued convoys leave by the dispatch rule
    (``first formed``: one that cannot go holds those behind it). ``convoys`` column: convoys that left."""

    causes = ("departure slots", "behind another convoy")

    max_per_day: int
    rule: str
    departures_by_day: dict[int, int] = field(default_factory=dict)
    convoys: int = 0

    @classmethod
    def for_base(cls, setup: BaseSetup) -> DepartureSlots:
        c = setup.scenario.convoys
        return cls(int(c.max_per_day), c.dispatch)

    def next_slot(self, t: float) -> float:
        """``t``, or the start of the next day if today's convoy limit is reached."""
        day = int(t // 24)
        while self.departures_by_day.get(day, 0) >= self.max_per_day:
            day += 1
        return t if day == int(t // 24) else 24.0 * day

    def hold(self, convoy: Convoy, now: float) -> Hold | None:
        slot = self.next_slot(now)
        return ("departure slots", slot) if slot > now else None

    def departs(self, convoy: Convoy, now: float) -> None:
        day = int(now // 24)
        self.departures_by_day[day] = self.departures_by_day.get(day, 0) + 1
        self.convoys += 1

    def order(self, queue: list[Convoy]) -> list[Convoy]:
        """The queue in the order the rule lets convoys go."""
        return sorted(queue, key=lambda c: (not c.carries_heavy, c.number)) if self.rule == "heavy first" else list(queue)

    def blocks_behind(self, convoy: Convoy, cause: str) -> bool:
        """Whether ``convoy``, held for ``cause``, holds those after it: any under 'first formed'; under 'heavy
        first', one with HETs or lowboys waiting for a slot or an escort."""
        if self.rule == "first formed":
            return True
        return self.rule == "heavy first" and convoy.carries_heavy and cause in ("departure slots", "escort")

    def columns(self, span: float) -> dict[str, Column]:
        return {"convoys": self.convoys}


BEHIND = ("behind another convoy", math.inf)
"""The hold of a convoy that could leave but for one ahead of it that cannot."""


class Gate:
    """The queue of loaded convoys at a base's gate: what holds each (the first of the base's parts that does,
    in their order), and when the dispatcher looks again.

    Every queued hour is charged to the cause that held the convoy at the dispatcher's last look.
    """

    def __init__(self, env: simpy.Environment, parts: tuple[Part, ...], waits: Waits) -> None:
        self.env = env
        self.parts = holds(parts)
        self.waits = waits
        self.queue: list[Convoy] = []
        self.held: dict[int, str] = {}  # what holds each queued convoy, as of the dispatcher's last look
        self.held_since: dict[int, float] = {}  # since when (hours) that cause has held it
        self.last_look = 0.0
        self._wake = env.event()
        self._look_at = math.inf
        self.dispatcher: Callable[[simpy.Event | None], None] | None = None  # the dispatcher's look, once it runs

    def join(self, convoy: Convoy) -> None:
        """A loaded convoy joins the queue."""
        convoy.legs["queued"] = self.env.now
        self.queue.append(convoy)
        self.wake()

    def hold(self, convoy: Convoy, t: float, behind: bool = False) -> Hold | None:
        """What keeps ``convoy`` at the gate at ``t``, and until when at least: the first part that holds it,
        else a convoy ahead of it that cannot go (``behind``); ``None``: it may leave."""
        for part in self.parts:
            held = part.hold(convoy, t)
            if held is not None:
                return held
        return BEHIND if behind else None

    def record_holds(self, held: dict[int, str]) -> None:
        """The dispatcher's look: what holds each queued convoy now (a cause that goes on holding keeps its start)."""
        now = self.env.now
        self.held_since = {n: self.held_since.get(n, now) if self.held.get(n) == cause else now for n, cause in held.items()}
        self.held = held

    def wakeup(self) -> simpy.Event:
        """Fires when a convoy joins the queue, escort teams come back, or a hold may have ended."""
        return self._wake

    def teams_back(self, last: bool = False) -> None:
        """Escort teams are ready again: a convoy waiting at the gate may leave. ``last``: this is the last thing the
        step that brought them back does (the dispatcher may then look at once, see :meth:`_wake_or_look`)."""
        if self.queue:
            if last:
                self._wake_or_look()
            else:
                self.wake()

    def look_again_at(self, t: float) -> None:
        """Wake the dispatcher at ``t`` at the latest: a timer, unless one is already set sooner.

        A timer that an earlier look set for a later time may still fire: the look it
        causes finds nothing changed and costs nothing but the look. The timer knows its own
        time: the clock it fires at (``now + (t - now)`` in floating point) may fall an ulp
        short of ``t``, and a timer that compared the clock with ``t`` would then never wake
        the dispatcher nor let a later look set another (a run that stalled for 150 days).
        """
        if t >= self._look_at:
            return
        self._look_at = t
        timer = self.env.timeout(max(0.0, t - self.env.now))
        timer.callbacks.append(lambda _event: self._look_now(t))

    def _look_now(self, t: float) -> None:
        """The timer set for ``t`` fires: wake the dispatcher unless a sooner look has replaced it."""
        if self._look_at <= t:
            self._look_at = math.inf
            self._wake_or_look()

    def _wake_or_look(self) -> None:
        """Wake the dispatcher, as the last thing a step does (a timer's only callback). When nothing else is due at
        this hour, the wake-up event would be the next one run: the dispatcher looks at once instead (the same look
        at the same point of the run, one event fewer)."""
        env, look, wake = self.env, self.dispatcher, self._wake
        if look is not None and env.peek() > env.now and not wake.triggered and wake.callbacks:
            self._wake = env.event()  # the dispatcher no longer waits on the one it was given
            look(None)
        else:
            self.wake()

    def wake(self) -> None:
        """Wake the dispatcher: fire the wake-up it waits on. One nobody waits on yet (the dispatcher is already
        woken, or looking) stays as it is, for the dispatcher to wait on next: firing it would wake nobody."""
        wake = self._wake
        if not wake.triggered:
            if not wake.callbacks:
                return
            wake.succeed()
        self._wake = self.env.event()

    def charge_to_now(self) -> None:
        """Convoys queued since the dispatcher's last look waited until now, for what held them then."""
        now = self.env.now
        hours = now - self.last_look
        if hours > 0:  # a look at the same hour charges nothing
            held, charge = self.held, self.waits.charge
            for convoy in self.queue:
                cause = held.get(convoy.number)
                if cause:
                    charge(cause, hours, convoy)
        self.last_look = now
