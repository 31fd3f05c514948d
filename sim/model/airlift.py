"""Airlift from the 1.7 km strip: C-130J (and C-17 where allowed) sorties carrying
air pallets and people, a few a day, grounded on dust days and during a pause."""

from __future__ import annotations

import math

import simpy


class Airlift:
    """The sortie plan: aircraft type, capacity and the rhythm of the strip."""

    def __init__(self, airlift, pallets_per_load: float) -> None:
        usable = [a for a in (airlift.c17, airlift.c130j) if a.allowed and a.pallets > 0 and a.runway_m <= airlift.runway_m]
        self.aircraft = usable[0] if usable else None
        self.sorties_per_day = airlift.sorties_per_day if self.aircraft else 0.0
        self.ground_hours = airlift.ground_hours
        self.flight_hours = airlift.flight_hours
        self.loads_per_sortie = math.floor(self.aircraft.pallets / pallets_per_load + 1e-9) if self.aircraft else 0
        self.seats_per_sortie = int(self.aircraft.troops) if self.aircraft else 0
        self.sorties = 0

    @property
    def flies(self) -> bool:
        return self.aircraft is not None and self.sorties_per_day > 0

    @property
    def interval_hours(self) -> float:
        return 24.0 / self.sorties_per_day


def fly_sorties(env: simpy.Environment, evac):
    """Fly sorties while there is cargo or people for them; last, the last element if it goes by air."""
    lift: Airlift = evac.airlift
    inv = evac.inventory
    while True:
        t = env.now
        grounded_until = evac.air_grounded_until(t)
        if grounded_until > t:
            yield env.timeout(grounded_until - t)
            continue
        if evac.last_element_ready() and evac.last_element_by == "sortie":
            yield from fly_last_element(env, evac)
            return
        loads_ready = min(inv.air_remaining(), inv.staged(t))
        people = evac.people_free_for_air()
        if loads_ready == 0 and people == 0:
            wake = evac.air_wakeup(t)
            if wake is None:
                return
            yield wake
            continue
        loads = inv.take_for_air(t, lift.loads_per_sortie)
        evac.sortie_boards()
        yield env.timeout(lift.ground_hours)
        # People board until the doors close: take those still free to fly then.
        seated = evac.garrison.leave_by_air(min(evac.people_free_for_air(), lift.seats_per_sortie))
        evac.sortie_departs(loads, seated)
        yield env.timeout(max(0.0, lift.interval_hours - lift.ground_hours))


def fly_last_element(env: simpy.Environment, evac):
    """The security force leaves by air, in as many sorties as its size needs."""
    lift: Airlift = evac.airlift
    if evac.garrison.at_base == 0:
        evac.base_emptied_without_last_sortie()
        return
    while evac.garrison.at_base > 0:
        t = env.now
        grounded_until = evac.air_grounded_until(t)
        if grounded_until > t:
            yield env.timeout(grounded_until - t)
            continue
        evac.sortie_boards()
        yield env.timeout(lift.ground_hours)
        if evac.garrison.at_base <= lift.seats_per_sortie:
            n = evac.garrison.last_element_leaves("sortie")
            evac.sortie_departs(0, n, last=True)
            return
        g = evac.garrison
        from_free = min(g.free_to_leave, lift.seats_per_sortie)
        g.leave_by_air(from_free)
        rest = lift.seats_per_sortie - from_free
        g.security_force -= rest
        g.by_air += rest
        evac.sortie_departs(0, lift.seats_per_sortie)
        yield env.timeout(max(0.0, lift.interval_hours - lift.ground_hours))
