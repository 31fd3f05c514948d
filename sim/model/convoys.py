"""Convoys: forming them at the base, letting them leave, and running them to the
destination and back.

- ``form_convoys``: take trucks at hand and staged cargo, add self-driving vehicles,
  load, and queue the convoy for departure;
- ``depart_convoys``: one by one, wait for the departure window, daylight, an open
  road, the day's convoy limit, a ground escort and (if needed) air cover;
- ``run_convoy``: Syrian leg, border crossing, Iraqi leg, unload, empty return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import simpy

from sim.model.calendar import wait_for_all
from sim.model.crossing import choose_crossing, cross_border
from sim.model.escort import escort_mission
from sim.model.loading import loading_hours


@dataclass
class Convoy:
    """A convoy: trucks by type, the loads they carry, vehicles and people riding along."""

    number: int
    trucks: dict[str, int]
    loads: dict[str, int]
    vehicles: int
    people: int
    formed_at: float
    last_element: bool = False
    needs_cover: bool = False
    carries_sensitive: bool = False
    legs: dict[str, float] = field(default_factory=dict)

    # A convoy's make-up is fixed once it is formed, so these are counted once.
    @cached_property
    def truck_count(self) -> int:
        return sum(self.trucks.values())

    @cached_property
    def size(self) -> int:
        """Vehicles in the convoy: trucks and self-driving vehicles."""
        return self.truck_count + self.vehicles

    @cached_property
    def load_count(self) -> int:
        return sum(self.loads.values())


def form_convoys(env: simpy.Environment, evac):
    """Form and load convoys until no road cargo and no vehicles are left, then the last element."""
    p = evac.scenario.convoys
    inv, fleet = evac.inventory, evac.fleet
    size_min, size_max = p.size_min, int(p.size_max)  # a pinned size_min may be fractional: compared as given
    share_places = int(evac.scenario.vehicles.share_of_convoy * size_max)
    number = 0
    while True:
        road_left = inv.road_remaining()
        if road_left == 0 and evac.vehicles_left == 0:
            break
        t = env.now
        fleet.collect_repaired()
        vehicle_places = _vehicle_places(evac.vehicles_left, road_left, size_max, share_places)
        max_trucks = size_max - vehicle_places
        staged = inv.staged(t)
        loads, used = inv.plan_convoy(staged, fleet.at_base, max_trucks)
        loadable = sum(loads.values())
        size = loadable + vehicle_places
        takes_all = loadable == road_left and vehicle_places == evac.vehicles_left
        trucks_limit = staged > loadable and loadable < max_trucks
        more_trucks_coming = trucks_limit and fleet.out > 0
        more_cargo_coming = not trucks_limit and staged < road_left
        if (size < size_min or size == 0) and not takes_all and (more_trucks_coming or more_cargo_coming):
            cause = "trucks" if trucks_limit else "loading"
            if more_trucks_coming:
                repaired = fleet.next_repair()
                yield fleet.returned() if repaired is None else fleet.returned() | env.timeout(repaired - t)
            else:
                wanted = max(1, int(size_min) - vehicle_places)
                yield env.timeout(inv.hours_until_staged(t, staged + wanted - loadable)) | fleet.returned()
            evac.wait(cause, env.now - t)
            continue
        if size == 0:
            evac.stuck = True
            return
        inv.load_convoy(loads)
        fleet.send(used)
        evac.vehicles_left -= vehicle_places
        people = evac.garrison.leave_by_road(vehicle_places * evac.crew + int(evac.scenario.people.seats_per_convoy))
        number += 1
        convoy = Convoy(number, used, loads, vehicle_places, people, t)
        convoy.carries_sensitive = any(loads.get(name) for name in evac.air_eligible_classes)
        hours = loading_hours(convoy.truck_count, evac.loading_teams, evac.scenario.loading.hours_per_truck)
        if hours:
            yield env.timeout(hours)
        evac.loading_hours_busy += hours
        evac.wait("loading", hours)
        yield evac.departures.put(convoy)
    evac.road_dispatch_done()
    if evac.last_element_by == "convoy":
        yield evac.cargo_departed()
        number += 1
        yield evac.departures.put(Convoy(number, {}, {}, 0, 0, env.now, last_element=True))


def _vehicle_places(vehicles_left: int, road_cargo_left: int, size_max: int, share_places: int) -> int:
    """Places for self-driving vehicles in the next convoy: their share while cargo is
    left (``share_places``, at least one), the whole convoy once only vehicles are left."""
    if road_cargo_left == 0:
        return min(vehicles_left, size_max)
    return min(vehicles_left, max(1, share_places), size_max)


def depart_convoys(env: simpy.Environment, evac):
    """Let loaded convoys leave, one at a time, when every condition for leaving holds."""
    calendars = evac.departure_calendars
    while True:
        convoy: Convoy = yield evac.departures.get()
        convoy.needs_cover = evac.needs_air_cover(convoy)
        escort_teams = evac.escort.needed(convoy.size)
        have_escort = False
        sorties = 0
        while True:
            t, waited = wait_for_all(env.now, calendars)
            t = max(t, evac.next_departure_slot(t))
            if t > env.now:
                evac.wait_many(waited)
                evac.wait("departure slots", t - env.now - sum(waited.values()))
                yield env.timeout(t - env.now)
                continue
            if not have_escort:
                t0 = env.now
                yield evac.escort.ready.get(escort_teams)
                have_escort = True
                evac.wait("escort", env.now - t0)
                continue
            if convoy.needs_cover:
                sorties = evac.air_cover.sorties_for(evac.syria_hours)
                ready = evac.air_cover.earliest(env.now, sorties)
                if ready > env.now:
                    evac.wait("air cover", ready - env.now)
                    yield env.timeout(ready - env.now)
                    continue
            break
        if convoy.needs_cover:
            evac.air_cover.commit(env.now, sorties)
        evac.convoy_departs(convoy)
        env.process(run_convoy(env, evac, convoy, escort_teams))


def run_convoy(env: simpy.Environment, evac, convoy: Convoy, escort_teams: int):
    """A convoy's trip: Syrian leg, crossing, Iraqi leg, unload, then the trucks return empty."""
    departed = env.now
    speed_cap = evac.fleet.speed_cap(convoy.trucks)
    syria_hours = evac.route_syria.driving_hours(speed_cap) + evac.breakdown_halts(convoy, evac.route_syria.km)
    at_border = evac.drive_in_syria(env.now, syria_hours)
    yield env.timeout(at_border - env.now)
    convoy.legs["border"] = env.now
    env.process(escort_mission(env, evac.escort, escort_teams, env.now - departed, evac.route_syria.driving_hours()))

    point = choose_crossing(env.now, evac.crossing_main, evac.crossing_alternate, evac.divert_after_hours)
    if point is not evac.crossing_main:
        detour = evac.route_syria.driving_hours(speed_cap, extra_km=point.extra_km) - evac.route_syria.driving_hours(speed_cap)
        evac.diversions += 1
        evac.wait("crossing", detour)
        yield env.timeout(detour)
    convoy.legs["crossing"] = point.name
    waited = yield from cross_border(env, point, convoy.size)
    evac.wait("crossing", waited)
    convoy.legs["crossed"] = env.now

    iraq_hours = evac.route_iraq.driving_hours(speed_cap) + evac.breakdown_halts(convoy, evac.route_iraq.km)
    arrived = evac.drive_in_iraq(env.now, iraq_hours)
    yield env.timeout(arrived - env.now)
    evac.convoy_arrives(convoy)
    convoy.legs["arrived"] = env.now

    if convoy.truck_count == 0:
        return
    unload = loading_hours(convoy.truck_count, evac.unload_teams, evac.scenario.destination.unload_hours_per_truck)
    back = evac.return_trip(env.now + unload, point, speed_cap, convoy.truck_count)
    yield env.timeout(back - env.now)
    convoy.legs["back"] = env.now
    evac.trucks_return(convoy, departed)


def send_for_repair(evac, broken: dict[str, int]) -> None:
    """Each truck that broke down on a trip goes to the workshop for its own repair time."""
    for kind, n in broken.items():
        for _ in range(n):
            evac.fleet.repair(kind, evac.repair_hours())
