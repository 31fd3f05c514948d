"""A base's own transport: its units' organic military trucks carry its cargo and troops without waiting for the shared pools.

Small outposts leave in their own vehicles in days (al-Shaddadi, 2026: "more than 100 US military trucks
and vehicles"; docs/HISTORY_CASES.md), while the contracted trucks and HETs of the theatre's pools serve
the bases in turn. A base with an ``own_transport`` group holds ``trucks`` organic trucks at the base from
its start. They shuttle on their own: each trip loads up to ``trucks x loads_per_trip`` staged loads of the
classes military trucks may carry (highest priority first) and up to ``seats`` troops a truck, leaves as a
convoy of the base's own through the same gate as any military convoy (departure window, daylight, roads,
the day's departure slots, air cover, fuel; a ground escort unless ``escorted = false``), crosses, unloads
and drives back empty. The shared pools' trucks, if any come, take the same staged cargo side by side; what
military trucks may not carry (heavy items on lowboys and HETs) still waits for the pools.

Counted by truck, not one by one, as the fleet is: the organic trucks do not break down (their recovery is
the unit's own), their drivers are not among ``people.troops``, and a trip waits to fill until the staged
cargo fills every truck or no more will come. Columns, for a base that has one (or that a site with one may be,
``same_place_as``): ``own_transport_trips`` (convoys of its own) and ``own_transport_loads`` (loads they carried).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.loading import load_and_queue
from sim.model.parts import BaseSetup, Column, Part

if TYPE_CHECKING:
    from sim.model.convoy import Convoy
    from sim.model.evacuation import Evacuation

OWN_KIND = "military"
"""The truck type the organic trucks count as: they carry the cargo classes whose carriers list it, and move as military convoys."""


class OwnTransport(Part):
    """A base's organic trucks: how many, what one carries a trip, how many stand at the base now."""

    theatre_columns = ("own_transport_trips", "own_transport_loads")

    def __init__(self, trucks: int, loads_per_trip: int = 1, seats: int = 0, escorted: bool = True, reported: bool | None = None) -> None:
        self.trucks = trucks
        self.reported = trucks > 0 if reported is None else reported  # whether the base has its columns (in every replication alike)
        self.loads_per_trip = loads_per_trip
        self.seats = seats
        self.escorted = escorted
        self.at_base = trucks
        self.trips = 0
        self.loads = 0

    @classmethod
    def for_base(cls, setup: BaseSetup) -> OwnTransport:
        spec, bases = setup.spec, setup.shared.network.bases.values()
        # a base another site may be (same_place_as) reports the columns whether or not this replication merged them
        reported = spec.groups.own_transport is not None or any(b.same_place_as == spec.name and b.groups.own_transport is not None for b in bases)
        group = spec.groups.own_transport
        if group is None:
            return cls(0, reported=reported)
        return cls(int(group.trucks), int(group.loads_per_trip), int(group.seats), bool(group.escorted), reported=reported)

    @property
    def moves(self) -> bool:
        """Whether the base has trucks of its own at all."""
        return self.trucks > 0

    @property
    def carries_troops(self) -> bool:
        return self.moves and self.seats > 0

    def begins(self, base: Evacuation) -> None:
        if self.moves:
            base.env.process(own_convoys(base.env, base))

    def back(self, trucks: int) -> None:
        """``trucks`` organic trucks are back at the base, empty."""
        self.at_base += trucks

    def columns(self, span: float) -> dict[str, Column]:
        if not self.reported:
            return {}
        return {"own_transport_trips": self.trips, "own_transport_loads": self.loads}


Steps = Generator[simpy.Event, Any, None]


def own_convoys(env: simpy.Environment, evac: Evacuation) -> Steps:
    """The base's own trucks shuttle until no cargo they may carry and no troop without a seat is left."""
    own, inv, people = evac.own, evac.inventory, evac.people
    kinds = frozenset({OWN_KIND})
    while True:
        t = env.now
        left = inv.road_remaining(kinds)
        troops = people.troops_without_seats() if own.seats else 0
        if left == 0 and troops == 0:
            if evac.feeders and evac.waiting_for_feeders():  # a hub: its feeders may still bring cargo
                yield evac.deliveries()
                continue
            return
        if own.at_base == 0:
            yield own_trucks_back(evac)
            continue
        capacity = own.at_base * own.loads_per_trip
        staged = min(inv.staged(t), left)
        if left and staged < min(capacity, left) and inv.staged(t) < inv.remaining:  # fill the trucks while pack-out goes on
            yield env.timeout(inv.hours_until_staged(t, min(capacity, left))) | own_trucks_back(evac) | evac.fleet.returned()
            continue
        loads, _ = inv.plan_convoy(staged, {OWN_KIND: capacity}, capacity, kinds)
        n_loads = sum(loads.values())
        trucks = math.ceil(n_loads / own.loads_per_trip)
        if own.seats:
            trucks = max(trucks, min(own.at_base, math.ceil(troops / own.seats)))
        assert trucks > 0, "staged cargo its trucks may carry, or troops without a seat, fill at least one truck"
        yield from _own_convoy(evac, loads, trucks, t)


def own_trucks_back(evac: Evacuation) -> simpy.Event:
    """Fires the next time trucks come back to the base (the pools' or its own: both give back through the fleet)."""
    return evac.fleet.returned()


def _own_convoy(evac: Evacuation, loads: dict[str, int], trucks: int, t: float) -> Steps:
    """Load ``trucks`` organic trucks with ``loads`` and as many troops as their seats take, then queue the convoy."""
    own = evac.own
    own.at_base -= trucks
    evac.inventory.load_convoy(loads)
    evac.fleet.cargo_taken_by_others()  # the base's convoy waiting for pool trucks looks again; idle ones it leaves without cargo may be called
    people = evac.garrison.leave_by_road(min(trucks * own.seats, max(0, evac.people.troops_not_driving())))
    convoy = evac.new_convoy({}, loads, 0, people, t, own_trucks=trucks)
    if not own.escorted:
        convoy.escort_teams = 0
    convoy.carries_sensitive = any(loads.get(name) for name in evac.inventory.sensitive)
    own.trips += 1
    own.loads += convoy.load_count
    yield from load_and_queue(evac, convoy, convoy.load_count)
    evac.fleet.give_back({})  # convoys waiting to form for the pools' trucks look again: the cargo they waited to take may have gone


def trucks_home(evac: Evacuation, convoy: Convoy) -> None:
    """A convoy of the base's own trucks is back: they stand at the base again."""
    if convoy.own_trucks:
        evac.own.back(convoy.own_trucks)


__all__ = ["OWN_KIND", "OwnTransport", "own_convoys"]
