"""What keeps a loaded convoy at the gate by the clock: a pause, the night, the departure window, the day's
departure slots; and the dispatch rule that keeps one behind another (every first road closed: :mod:`sim.model.roads`).

Each is a :class:`~sim.model.parts.Part` of the base, asked in the order the base lists them.
The calendars are worked out once per convoy kind (contracted, military), from the first road
of the base's quickest route out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.model.calendar import NEVER, Closures
from sim.model.convoy import Convoy
from sim.model.disruptions import PoliticalPause
from sim.model.movement import daylight_only, departure_window
from sim.model.parts import BaseSetup, Column, Hold, Part
from sim.model.roads import first_road
from sim.scenario.schema import CONVOY_KINDS


class Calendar(Part):
    """A hold by a calendar of closed periods for each convoy kind: the convoy waits until it opens."""

    cause = ""

    def __init__(self, by_kind: dict[str, Closures]) -> None:
        self.by_kind = by_kind

    def hold(self, convoy: Convoy, now: float) -> Hold | None:
        closures = self.by_kind[convoy.kind]
        if closures.is_open(now):
            return None
        return self.cause, closures.open_at(now)


class Pause(Calendar):
    """A political pause: no convoy leaves and no aircraft flies while it lasts; reinforcements may flow in
    when it starts (``pause`` column: whether a pause happened in the replication)."""

    causes = ("pause",)
    cause = "pause"

    def __init__(self, pause: PoliticalPause | None, closures: Closures) -> None:
        super().__init__(dict.fromkeys(CONVOY_KINDS, closures))
        self.pause = pause
        self.closures = closures

    @classmethod
    def at_base(cls, setup: BaseSetup) -> Pause:
        return cls(setup.shared.pause, setup.shared.pause_closures)

    @property
    def brings_inflow(self) -> bool:
        return self.pause is not None and bool(self.pause.inflow_loads or self.pause.inflow_troops)

    def columns(self, span: float) -> dict[str, Column]:
        return {"pause": self.pause is not None}


class Daylight(Calendar):
    """Convoys of a kind that move by day only on the base's first road leave only in daylight."""

    causes = ("daylight",)
    cause = "daylight"

    @classmethod
    def at_base(cls, setup: BaseSetup) -> Daylight:
        first = first_road(setup.shared, setup.spec)
        return cls({kind: NEVER if first is None else setup.shared.nights(first, kind) for kind in CONVOY_KINDS})


class DepartureWindow(Calendar):
    """``convoys.departure_window``: the hours of the day convoys may leave (narrowed to daylight for a kind that moves by day only)."""

    causes = ("departure window",)
    cause = "departure window"

    @classmethod
    def at_base(cls, setup: BaseSetup) -> DepartureWindow:
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
    def at_base(cls, setup: BaseSetup) -> DepartureSlots:
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
