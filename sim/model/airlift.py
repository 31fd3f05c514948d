"""Airlift from a base's airstrips: C-130J (and C-17 where allowed) sorties carrying air pallets
and people, grounded on dust days and during a pause.

A base may have several strips (:class:`Airstrips`), each flying its own sorties (:class:`Airlift`)
from the same staged air cargo and the same troops free to fly. On each strip sorties are planned
at ``sorties_per_day``. Each needs an aircraft on that strip's shuttle (``aircraft``; back after
ground time, two flights and its time at the destination) and a place on the strip
(``max_on_ground``, the working MOG) for its ground time. A strip therefore holds at most
``max_on_ground x 24 / ground_hours`` sorties a day: a plan above that, or too few aircraft, is
not capped in silence but shows as sortie-hours waiting, by cause, and as a busy strip. The last
element, if it leaves by air, flies from the first strip listed whose aircraft have seats.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.events import Places, StartsNow, Stock
from sim.model.parts import BaseSetup, Column, Part, share
from sim.scenario import schema

if TYPE_CHECKING:
    from sim.model.evacuation import Evacuation

Steps = Generator[simpy.Event, Any, None]
"""A SimPy process: the events it waits on, one after another."""

SORTIE_WAIT_CAUSES = ("airstrip full", "no aircraft")
"""Why planned sorties waited, in sortie-hours: the strip's places were all taken, or no aircraft was back."""


@dataclass(frozen=True)
class Aircraft:
    """An aircraft type as the strip sees it: allowed, its pallets and seats, the runway it needs (m)."""

    allowed: bool
    pallets: float
    troops: float
    runway_m: float


@dataclass(frozen=True)
class NoStrip:
    """A base without an airstrip (``airlift`` not given): no sortie flies."""

    runway_m: float = 0.0
    sorties_per_day: float = 0.0
    ground_hours: float = 0.0
    flight_hours: float = 0.0
    max_on_ground: int = 0
    aircraft: int = 0
    destination_hours: float = 0.0
    c130j: Aircraft = Aircraft(False, 0, 0, 1.0)
    c17: Aircraft = Aircraft(False, 0, 0, 1.0)


NO_STRIP = NoStrip()
"""A base of a theatre without an airstrip: no sortie flies."""


class Airstrips(Part):
    """A base's airstrips, each flying its own sorties; its columns add up their sorties, waits and busy places."""

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Airstrips:
        spec = setup.spec
        strips = spec.airstrips or (NO_STRIP,)
        return cls(tuple(Airlift(setup.env, strip, spec.cargo.pallets_per_load) for strip in strips))

    def __init__(self, strips: tuple[Airlift, ...]) -> None:
        self.strips = strips
        self.flying = tuple(lift for lift in strips if lift.flies)
        seated = [lift for lift in self.flying if lift.seats_per_sortie > 0]
        self.last_element_strip: Airlift | None = next(iter(seated or self.flying), None)
        """Where the last element flies from if it leaves by air: the first strip listed that flies with seats."""

    @property
    def flies(self) -> bool:
        return bool(self.flying)

    @property
    def seats_fly(self) -> bool:
        """Some strip flies aircraft with seats: troops without a seat on the road may wait for a sortie."""
        return any(lift.seats_per_sortie for lift in self.flying)

    @property
    def carries_troops(self) -> bool:
        return self.seats_fly

    def begins(self, base: Evacuation) -> None:
        for lift in self.flying:  # each strip flies its own sorties
            base.env.process(fly_sorties(base.env, base, lift))

    @property
    def sorties(self) -> int:
        return sum(lift.sorties for lift in self.strips)

    def columns(self, span: float) -> dict[str, Column]:
        cols: dict[str, Column] = {"sorties": self.sorties}
        cols.update({f"sortie_wait_hours.{cause}": sum(lift.waits[cause] for lift in self.strips) for cause in SORTIE_WAIT_CAUSES})
        busy = sum(lift.place_hours_busy for lift in self.strips)
        cols["utilisation.airlift"] = share(busy, sum(lift.max_on_ground * span for lift in self.flying))
        return cols


class Airlift:
    """One strip's sortie plan: aircraft type, capacity, the strip's places and the aircraft on its shuttle."""

    def __init__(self, env: simpy.Environment, airlift: schema.Airlift | NoStrip, pallets_per_load: float) -> None:
        usable = [a for a in (airlift.c17, airlift.c130j) if a.allowed and a.pallets > 0 and a.runway_m <= airlift.runway_m]
        self.aircraft = usable[0] if usable else None
        self.max_on_ground = int(airlift.max_on_ground)
        fleet = None if airlift.aircraft is None else int(airlift.aircraft)
        can_fly = self.aircraft is not None and self.max_on_ground > 0 and fleet != 0
        self.sorties_per_day = airlift.sorties_per_day if can_fly else 0.0
        self.ground_hours = airlift.ground_hours
        self.flight_hours = airlift.flight_hours
        self.cycle_hours = airlift.ground_hours + 2 * airlift.flight_hours + airlift.destination_hours
        self.loads_per_sortie = math.floor(self.aircraft.pallets / pallets_per_load + 1e-9) if self.aircraft else 0
        self.seats_per_sortie = int(self.aircraft.troops) if self.aircraft else 0
        self.places = Places(env, capacity=max(1, self.max_on_ground))
        self.shuttle = None if fleet is None else Stock(env, capacity=max(1, fleet), init=fleet)
        self.place_hours_busy = 0.0
        self.waits = dict.fromkeys(SORTIE_WAIT_CAUSES, 0.0)
        self.sorties = 0

    def sortie_flown(self) -> None:
        self.sorties += 1

    @property
    def flies(self) -> bool:
        return self.aircraft is not None and self.sorties_per_day > 0

    @property
    def interval_hours(self) -> float:
        return 24.0 / self.sorties_per_day

    @property
    def strip_sorties_per_day(self) -> float:
        """The most sorties a day the strip's places can turn (working MOG x 24 / ground hours)."""
        return math.inf if self.ground_hours <= 0 else self.max_on_ground * 24.0 / self.ground_hours


def land(env: simpy.Environment, lift: Airlift, alone: bool = False) -> Generator[simpy.Event, Any, tuple[simpy.resources.resource.Request, bool]]:
    """A planned sortie waits for an aircraft, then for a place on the strip; returns the place it holds, and
    whether the strip's process still runs on the event that woke it alone.

    ``alone``: the strip's process runs on an event that woke it alone (its own timer); an aircraft and a place
    free now are then taken at once when nothing else is due at this hour (no event: the same steps in the same order).
    """
    t = env.now
    if lift.shuttle is not None:
        got = lift.shuttle.get_at_once(1) if alone else lift.shuttle.get(1)
        alone = alone and got.processed
        yield got
        lift.waits["no aircraft"] += env.now - t
    t = env.now
    place = lift.places.request_at_once() if alone else lift.places.request()
    alone = alone and place.processed
    yield place
    lift.waits["airstrip full"] += env.now - t
    return place, alone


def stand_down(lift: Airlift, place: simpy.resources.resource.Request) -> None:
    """A sortie that got its aircraft and place but may not fly now gives both back."""
    lift.places.release(place)
    if lift.shuttle is not None:
        lift.shuttle.put(1)


def take_off(env: simpy.Environment, lift: Airlift, place: simpy.resources.resource.Request) -> None:
    """The aircraft leaves the strip: its place is free, and it is back on the shuttle after its round trip."""
    lift.places.release(place)
    lift.place_hours_busy += lift.ground_hours
    shuttle = lift.shuttle
    if shuttle is not None:

        def back_on_the_shuttle(_event: simpy.Event) -> None:
            shuttle.put(1)

        env.timeout(lift.cycle_hours - lift.ground_hours).callbacks.append(back_on_the_shuttle)


def fly_sorties(env: simpy.Environment, evac: Evacuation, lift: Airlift) -> Steps:
    """Fly sorties from one strip at its planned rhythm while there is cargo or people for them; last, the last
    element if it goes by air from this strip."""
    inv = evac.inventory
    alone = True  # whether the event the strip runs on woke it alone: its start, or its own timer
    while True:
        t = env.now
        grounded_until = evac.air_grounded_until(t)
        if grounded_until > t:
            yield env.timeout(grounded_until - t)
            alone = True
            continue
        if evac.last_element_ready() and evac.people.last_element_by == "sortie":
            if lift is evac.airlift.last_element_strip:
                yield from fly_last_element(env, evac, lift)
            return
        if min(inv.air_remaining(), inv.staged(t)) == 0 and evac.people_free_for_air(lift) == 0:
            wake = evac.air_wakeup(t)
            if wake is None:
                return
            yield wake
            alone = False  # the strips of a base may wait on the same news
            continue
        place, alone = yield from land(env, lift, alone)
        if evac.air_grounded_until(env.now) > env.now:
            stand_down(lift, place)  # dust or a pause came while it waited for a place: it does not fly
            alone = False
            continue
        if alone and env.peek() > env.now:  # its turn would start next: it starts now (the next sortie's timer first, as then)
            next_sortie = env.timeout(lift.interval_hours)
            turn_sortie(env, evac, lift, place, at_once=True)
            yield next_sortie
        else:
            turn_sortie(env, evac, lift, place)
            yield env.timeout(lift.interval_hours)
        alone = True


def turn_sortie(env: simpy.Environment, evac: Evacuation, lift: Airlift, place: simpy.resources.resource.Request, at_once: bool = False) -> None:
    """One sortie on the strip: load staged air cargo, board those free to fly when the doors close, take off.

    Two steps on callbacks, the first where a process started now would take its first step (the
    same points of the run as a process, without its end event), or now (``at_once``: the caller
    knows that step would be the next the run takes)."""

    def load(_event: simpy.Event | None) -> None:
        loads = evac.inventory.take_for_air(env.now, lift.loads_per_sortie)
        if loads:
            evac.fleet.cargo_taken_by_others()  # its convoy waiting for trucks looks again; idle trucks it no longer keeps may be called
        evac.sortie_boards()
        env.timeout(lift.ground_hours).callbacks.append(lambda _event: depart(loads))

    def depart(loads: int) -> None:
        seated = evac.garrison.leave_by_air(min(evac.people_free_for_air(lift), lift.seats_per_sortie))
        take_off(env, lift, place)
        evac.sortie_departs(lift, loads, seated)

    if at_once:
        load(None)
    else:
        StartsNow(env, load)


def fly_last_element(env: simpy.Environment, evac: Evacuation, lift: Airlift) -> Steps:
    """The security force leaves by air from ``lift``, in as many sorties as its size needs."""
    if evac.garrison.at_base == 0:
        evac.base_emptied_without_last_element()
        return
    while evac.garrison.at_base > 0:
        t = env.now
        grounded_until = evac.air_grounded_until(t)
        if grounded_until > t:
            yield env.timeout(grounded_until - t)
            continue
        place, _ = yield from land(env, lift)
        if evac.air_grounded_until(env.now) > env.now:
            stand_down(lift, place)
            continue
        evac.sortie_boards()
        yield env.timeout(lift.ground_hours)
        take_off(env, lift, place)
        if evac.garrison.at_base <= lift.seats_per_sortie:
            n = evac.garrison.last_element_leaves("sortie")
            evac.sortie_departs(lift, 0, n, last=True)
            return
        g = evac.garrison
        from_free = min(g.free_to_leave, lift.seats_per_sortie)
        g.leave_by_air(from_free)
        g.security_leaves_by_air(lift.seats_per_sortie - from_free)
        evac.sortie_departs(lift, 0, lift.seats_per_sortie)
        yield env.timeout(max(0.0, lift.interval_hours - lift.ground_hours))
