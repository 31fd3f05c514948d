"""Rotary-wing lift: helicopters (CH-47F Chinooks) lifting troops and sling or internal loads out of a base, from a
landing zone, so a site without an airstrip can still send people and light cargo by air.

From the base's start, each of its ``helicopters`` flies a sortie every ``24 / sorties_per_day`` hours (all of them at
the same hours): a sortie lifts up to ``troops`` of the troops free to fly (not the security force, which leaves last,
nor the drivers its vehicles still need) and up to ``loads`` staged truckload equivalents of the classes it may lift
(``classes``, highest priority first), and is out of the country half its ``round_trip_hours`` later. A helicopter
with nothing to lift stays on the ground until the next hour of the rhythm. Helicopters are grounded as the base's
aircraft are (a dust day, a political pause) and, if ``daylight_only``, take off only between ``convoys.daylight``
hours. What they lift leaves through the garrison and the inventory like a sortie's (it counts in ``people_by_air``
and ``loads_by_air`` too); the troops without a seat on the road wait for them, and the last element for those.

Columns, for a base with the group: ``helicopter_sorties``, ``people_by_helicopter``, ``loads_by_helicopter``
(``base.<name>.*`` in a theatre).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.calendar import NEVER, Closures
from sim.model.parts import BaseSetup, Column, Part

if TYPE_CHECKING:
    from sim.model.evacuation import Evacuation

Steps = Generator[simpy.Event, Any, None]


class Helicopters(Part):
    """A base's helicopters: how many, what one sortie lifts, their rhythm, and what they have lifted."""

    theatre_columns = ("helicopter_sorties", "people_by_helicopter", "loads_by_helicopter")

    def __init__(
        self,
        helicopters: int,
        sorties_per_day: float = 1.0,
        troops: int = 0,
        loads: int = 0,
        round_trip_hours: float = 1.0,
        classes: frozenset[str] = frozenset(),
        nights: Closures = NEVER,
        reported: bool = False,
    ) -> None:
        self.helicopters = helicopters
        self.interval_hours = 24.0 / sorties_per_day if sorties_per_day > 0 else math.inf
        self.troops, self.loads, self.classes = troops, loads, classes
        self.flight_hours = round_trip_hours / 2  # take-off to out of the country
        self.nights = nights  # NEVER: they fly by night too
        self.reported = reported
        self.sorties = self.people = self.loads_lifted = 0

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Helicopters:
        group = setup.spec.groups.helicopters
        if group is None:
            return cls(0)
        return cls(
            int(group.helicopters),
            float(group.sorties_per_day),
            int(group.troops),
            int(group.loads),
            float(group.round_trip_hours),
            frozenset(group.classes),
            setup.shared.daylight if group.daylight_only else NEVER,  # the theatre's calendar of nights (convoys.daylight)
            reported=True,
        )

    @property
    def flies(self) -> bool:
        return self.helicopters > 0 and math.isfinite(self.interval_hours) and (self.troops > 0 or self.loads > 0)

    @property
    def carries_troops(self) -> bool:
        return self.flies and self.troops > 0

    def begins(self, base: Evacuation) -> None:
        if self.flies:
            base.env.process(lift_out(base.env, base, self))

    def hours_to_daylight(self, t: float) -> float:
        """Hours from ``t`` until a helicopter may take off (0 if it may now)."""
        return self.nights.open_at(t) - t

    def fly_one(self, base: Evacuation) -> bool:
        """One helicopter lifts what it can now; whether it flew (it does not with nothing to lift)."""
        loads = base.inventory.take_for_air(base.env.now, self.loads, self.classes) if self.loads else 0
        if loads:
            base.fleet.cargo_taken_by_others()  # its convoy waiting for trucks looks again; idle trucks it no longer keeps may be called
        people = base.garrison.leave_by_air(min(base.people.free_to_fly(self.troops), self.troops))
        if loads == 0 and people == 0:
            return False
        self.sorties += 1
        self.people += people
        self.loads_lifted += loads
        base.flown_out(loads, people, self.flight_hours, self.sorties)
        return True

    def columns(self, span: float) -> dict[str, Column]:
        if not self.reported:
            return {}
        return {"helicopter_sorties": self.sorties, "people_by_helicopter": self.people, "loads_by_helicopter": self.loads_lifted}


def lift_out(env: simpy.Environment, base: Evacuation, lift: Helicopters) -> Steps:
    """The base's helicopters fly at their rhythm until only the last element is left, or the base is empty."""
    while base.base_empty_at is None and not base.last_element_ready():
        t = env.now
        wait = max(base.air_grounded_until(t) - t, lift.hours_to_daylight(t))
        if wait > 0:
            yield env.timeout(wait)
            continue
        for _ in range(lift.helicopters):
            if not lift.fly_one(base):
                break
        yield env.timeout(lift.interval_hours)


__all__ = ["Helicopters", "lift_out"]
