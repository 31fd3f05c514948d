"""The troops' shuttle: troops left without a seat once the cargo has gone ride out in the spare seats of the
base's own vehicles, which come back from the destination for them, trip after trip (a shuttle march, FM 55-30)."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.convoy import Convoy

if TYPE_CHECKING:
    from sim.model.evacuation import Evacuation
    from sim.model.fleet import Fleet

Steps = Generator[simpy.Event, Any, None]


def shuttle_troops(env: simpy.Environment, evac: Evacuation, vehicles: int) -> Steps:
    """Troops left without a seat once the cargo has gone (no cab seat, no aircraft seat): ``vehicles`` of the base's
    own that drove out come back empty from the destination, under the same rules as empty trucks, and carry them
    out in their spare seats (and the convoy's own), trip after trip, as a shuttle march does; each trip is a
    convoy at the gate like any other (escort, slots, window), whose vehicles then return for the next."""
    people = evac.people
    evac.forming_wait = ("the vehicles of the troops' shuttle to reach the destination", env.now)
    while evac.vehicles_arrived < vehicles:
        yield evac.vehicles_in
    t = env.now
    empty = Convoy(0, {}, {}, vehicles, 0, t, shuttle=True)
    evac.forming_wait = ("the shuttle of the base's own vehicles to come back from the destination", t)
    yield env.timeout(evac.roads.return_trip(empty, t, None, evac.roads.route_out(None, t).to) - t)
    while people.troops_without_seats() > 0:
        evac.forming_wait = None
        convoy = evac.new_convoy({}, {}, vehicles, people.board_shuttle(vehicles), env.now)
        convoy.shuttle = True
        evac.queue_convoy(convoy)
        if people.troops_without_seats() == 0:
            return
        evac.forming_wait = ("the troops' shuttle to come back", env.now)
        yield evac.shuttle_back


def cab_seats_a_trip(fleet: Fleet, size_max: int) -> int:
    """Cab seats in the largest personnel convoy the base's trucks could form (most seats first, up to a convoy's size)."""
    seats, places = 0, size_max
    for kind in sorted(fleet.cab_seats, key=lambda k: -fleet.cab_seats[k]):
        n = min(fleet.total.get(kind, 0), places)
        seats += n * fleet.cab_seats[kind]
        places -= n
    return seats


__all__ = ["cab_seats_a_trip", "shuttle_troops"]
