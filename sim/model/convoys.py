"""Convoys: forming them at the base, letting them leave, and running them to the
destination and back.

- ``form_convoys``: take trucks at hand and staged cargo, add self-driving vehicles
  and troops in the seats they have, load, and queue the convoy for departure;
  then, if troops are left without seats, personnel convoys of trucks with cab
  seats; last, the security force in its own vehicles;
- ``dispatch_convoys``: let queued convoys leave, by the scenario's dispatch rule,
  when the departure window, daylight, an open road, the day's convoy limit, a
  ground escort and (if needed) air cover allow;
- ``run_convoy``: the roads of its route in the country (the Syrian leg of a one-base
  scenario; to its hub, for a base that sends to one), the border crossing (another if
  that one stays shut), the roads beyond (the Iraqi leg), unload, empty return (which
  chooses its crossing like a loaded convoy).

Every hour a convoy spends between forming and coming back that is not loading,
driving, halting, crossing, unloading or recovering a broken truck is a wait, and
is charged to exactly one cause (``Convoy.waits``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import simpy

from sim.model.crossing import cross_border
from sim.model.escort import escort_mission
from sim.model.fleet import CONTRACTED, KINDS, convoy_kind
from sim.model.loading import loading_hours

MILITARY = frozenset(KINDS) - CONTRACTED


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
    cover_sorties: int = 0
    carries_sensitive: bool = False
    escort_teams: int = 0
    # when it reached each step (hours), the crossing it took (its name) and the trucks that broke down (by kind)
    legs: dict[str, Any] = field(default_factory=dict)
    waits: dict[str, float] = field(default_factory=dict)
    work_hours: float = 0.0
    record: dict | None = None  # its entry in a traced replication's timeline
    truck_pools: dict[str, dict[str, int]] = field(default_factory=dict)  # its trucks by pool, then type
    escort_from: list = field(default_factory=list)  # (escort pool, teams) it took

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

    @cached_property
    def kind(self) -> str:
        """``contracted`` (any contracted truck) or ``military``: which movement rules it follows."""
        return convoy_kind(self.trucks)

    @cached_property
    def carries_heavy(self) -> bool:
        """It has HETs or lowboys, the heavy items' carriers: the 'heavy first' dispatch rule lets it go first."""
        return bool(self.trucks.get("het") or self.trucks.get("lowboy"))


@dataclass(frozen=True)
class ConvoyGroup:
    """Trucks that may form a convoy together, and whether self-driving vehicles join them."""

    kinds: frozenset[str]
    takes_vehicles: bool


@dataclass(slots=True)
class ConvoyPlan:
    """What the next convoy of a group would take now, and whether it should leave with it."""

    loads: dict[str, int]
    trucks: dict[str, int]
    vehicle_places: int
    ready: bool
    waiting_for: str | None  # "trucks" or "loading" when it should wait for more
    more_cargo_wanted: int  # loads to wait for at staging when waiting for "loading"
    kinds: frozenset[str] | None = None  # the truck types that may join it, when waiting for "trucks"


def convoy_groups(separate_contracted: bool) -> tuple[ConvoyGroup, ...]:
    """One group of every truck type, or contracted trucks apart from military ones (which take the vehicles)."""
    if separate_contracted:
        return (ConvoyGroup(MILITARY, True), ConvoyGroup(CONTRACTED, False))
    return (ConvoyGroup(frozenset(KINDS), True),)


def plan_next(evac, group: ConvoyGroup, t: float) -> ConvoyPlan | None:
    """The convoy ``group`` would form at ``t``; ``None`` when it has nothing left to take."""
    inv, fleet = evac.inventory, evac.fleet
    road_left = inv.road_remaining(group.kinds)
    vehicles_left = evac.vehicles_left if group.takes_vehicles else 0
    if road_left == 0 and vehicles_left == 0:
        return None
    size_min, size_max = evac.convoy_size_min, evac.convoy_size_max  # a pinned size_min may be fractional: compared as given
    vehicle_places = _vehicle_places(vehicles_left, road_left, size_max, evac.vehicle_share_places) if vehicles_left else 0
    max_trucks = size_max - vehicle_places
    staged_all = inv.staged(t)
    staged = min(staged_all, road_left)
    loads, used = inv.plan_convoy(staged, fleet.at_base, max_trucks, group.kinds)
    loadable = sum(loads.values())
    size = loadable + vehicle_places
    if size >= size_min and size > 0:
        return ConvoyPlan(loads, used, vehicle_places, True, None, 0)
    takes_all = loadable == road_left and vehicle_places == vehicles_left
    trucks_limit = staged > loadable and loadable < max_trucks
    more_trucks_coming = trucks_limit and _trucks_that_may_come(evac, group.kinds, loadable > 0) > 0
    more_cargo_coming = not trucks_limit and staged_all < inv.road_remaining()
    if not takes_all and (more_trucks_coming or more_cargo_coming):
        wanted = max(1, int(size_min) - vehicle_places) - loadable
        if more_trucks_coming:
            return ConvoyPlan(loads, used, vehicle_places, False, "trucks", wanted, group.kinds)
        return ConvoyPlan(loads, used, vehicle_places, False, "loading", wanted)
    return ConvoyPlan(loads, used, vehicle_places, size > 0, None, 0)


def _trucks_that_may_come(evac, kinds: frozenset[str], can_go_without: bool) -> int:
    """Trucks of ``kinds`` away from the base that a convoy short of trucks may wait for: all those on the road or in
    repair, but not those standing at another base that cannot carry cargo left here (they would never be sent:
    military cargo left, HETs idle elsewhere), nor, when the convoy ``can_go_without`` them, those held by another
    base that waits for trucks itself (two bases waiting for each other's trucks would wait for ever)."""
    useless = frozenset(k for k in kinds if evac.inventory.road_remaining(frozenset({k})) == 0)
    theatre = evac.theatre
    coming = evac.fleet.away(kinds) - (theatre.standing_elsewhere(evac, useless) if useless else 0)
    if can_go_without and kinds - useless:
        coming -= theatre.standing_elsewhere(evac, kinds - useless, only_waiting=True)
    return coming


def form_convoys(env: simpy.Environment, evac):
    """Form and load convoys until no road cargo and no vehicles are left; then troops without seats; then the last element."""
    fleet = evac.fleet
    groups = convoy_groups(evac.scenario.convoys.separate_contracted)
    while True:
        t = env.now
        fleet.collect_repaired()
        plans = _plans_until_ready(evac, groups, t)
        if not plans:
            if evac.feeders and evac.waiting_for_feeders():  # a hub: more comes in from the bases sending to it
                evac.theatre.trucks_arrived(evac)  # meanwhile its idle trucks may serve the feeders
                yield evac.deliveries() | fleet.returned()
                evac.wait("loading", env.now - t)
                continue
            break
        if not plans[-1].ready:
            waiting = [plan for plan in plans if plan.waiting_for]
            if not waiting:
                evac.never_finishes("a convoy could never form: no truck at the base or on its way can take the cargo left")
                return
            yield from _wait_to_form(env, evac, waiting, t)
            continue
        yield from _load_and_queue(env, evac, plans[-1], t)
    stranded = evac.cargo_no_carrier_can_take()
    if stranded:
        evac.never_finishes(stranded)
        return
    while evac.troops_without_seats() > 0:
        if not fleet.cab_seats:
            if evac.airlift.flies and evac.airlift.seats_per_sortie:
                break  # they fly: the last element waits for them (cargo_departed)
            evac.never_finishes("troops without a seat: no truck has cab seats and no aircraft seat flies")
            return
        t = env.now
        fleet.collect_repaired()
        trucks = _trucks_for_troops(fleet, evac.troops_without_seats(), int(evac.scenario.convoys.size_max))
        if not trucks:
            evac.theatre.call_trucks(evac)
            repaired = fleet.next_repair()
            yield fleet.returned() if repaired is None else fleet.returned() | env.timeout(repaired - t)
            evac.wait_for_trucks(next(iter(fleet.cab_seats)), env.now - t)
            continue
        pools = fleet.send(trucks)
        people = evac.garrison.leave_by_road(min(evac.troops_without_seats(), fleet.seats_in_cabs(trucks)))
        convoy = evac.new_convoy(trucks, {}, 0, people, t)
        convoy.truck_pools = pools
        evac.queue_convoy(convoy)
    evac.road_dispatch_done()
    if evac.last_element_by == "convoy":
        yield evac.cargo_departed()
        if evac.garrison.at_base == 0:
            evac.base_emptied_without_last_element()
            return
        people = evac.garrison.last_element_leaves("convoy")
        evac.queue_convoy(evac.new_convoy({}, {}, evac.security_vehicles, people, env.now, last_element=True))


def _plans_until_ready(evac, groups: tuple[ConvoyGroup, ...], t: float) -> list[ConvoyPlan]:
    """The groups' next convoys in order, up to the first that is ready to form (the last one listed then)."""
    plans = []
    for group in groups:
        plan = plan_next(evac, group, t)
        if plan is None:
            continue
        plans.append(plan)
        if plan.ready:
            break
    return plans


def _wait_to_form(env: simpy.Environment, evac, waiting: list[ConvoyPlan], t: float):
    """No convoy can form yet: wait for trucks to come back (or out of repair), or for cargo to be packed."""
    inv, fleet = evac.inventory, evac.fleet
    first = waiting[0]
    if first.waiting_for == "trucks":
        short_of = inv.first_carrier_short(first.loads, first.kinds)  # what it waits for as the wait begins
        evac.theatre.call_trucks(evac)
        repaired = fleet.next_repair()
        rest = evac.theatre.trucks_come_to_rest(evac)
        evac.waiting_for_trucks = True
        yield rest if repaired is None else rest | env.timeout(repaired - t)
        evac.waiting_for_trucks = False
        evac.wait_for_trucks(short_of, env.now - t)
    else:
        staged = inv.staged(t)
        yield env.timeout(inv.hours_until_staged(t, staged + first.more_cargo_wanted)) | fleet.returned()
        evac.wait("loading", env.now - t)


def _load_and_queue(env: simpy.Environment, evac, plan: ConvoyPlan, t: float):
    """Load a planned convoy with its cargo, vehicles and troops, then queue it for departure."""
    evac.inventory.load_convoy(plan.loads)
    pools = evac.fleet.send(plan.trucks)
    vehicles = plan.vehicle_places
    evac.vehicles_left -= vehicles
    people = evac.board_road_convoy(vehicles, plan.trucks)
    convoy = evac.new_convoy(plan.trucks, plan.loads, vehicles, people, t)
    convoy.truck_pools = pools
    convoy.carries_sensitive = any(plan.loads.get(name) for name in evac.sensitive_classes)
    hours = loading_hours(convoy.truck_count, evac.loading_teams, evac.hours_per_truck)
    if hours:
        yield env.timeout(hours)
    evac.loading_hours_busy += hours
    evac.wait("loading", hours)
    convoy.work_hours += hours
    evac.queue_convoy(convoy)


def _trucks_for_troops(fleet, troops: int, size_max: int) -> dict[str, int]:
    """Trucks at the base with cab seats, enough for ``troops`` (most seats first), up to a convoy's size."""
    trucks: dict[str, int] = {}
    left, places = troops, size_max
    for kind in sorted(fleet.cab_seats, key=lambda k: -fleet.cab_seats[k]):
        n = min(fleet.at_base.get(kind, 0), math.ceil(left / fleet.cab_seats[kind]), places)
        if n > 0:
            trucks[kind] = n
            left -= n * fleet.cab_seats[kind]
            places -= n
        if left <= 0 or places <= 0:
            break
    return trucks


def _vehicle_places(vehicles_left: int, road_cargo_left: int, size_max: int, share_places: int) -> int:
    """Places for self-driving vehicles in the next convoy: their share while cargo is
    left (``share_places``, at least one), the whole convoy once only vehicles are left."""
    if road_cargo_left == 0:
        return min(vehicles_left, size_max)
    return min(vehicles_left, max(1, share_places), size_max)


def dispatch_convoys(env: simpy.Environment, evac):
    """Let queued convoys leave by the scenario's dispatch rule; charge every queued hour to one cause.

    At each look, every waiting convoy's hours since the last look go to the cause
    that held it then; the next look is when the first of those causes can change
    (a calendar opens, a new day brings slots or air cover), or when a convoy joins
    the queue or escort teams come back.
    """
    rule = evac.scenario.convoys.dispatch
    queue: list[Convoy] = evac.queue
    while True:
        evac.charge_the_queue_to_the_end()
        evac.held, next_look = _let_go(env, evac, queue, rule)
        if next_look < math.inf:
            evac.look_again_at(next_look)
        yield evac.dispatch_wakeup()


def _let_go(env: simpy.Environment, evac, queue: list, rule: str) -> tuple[dict[int, str], float]:
    """Send every convoy that may leave now; return what holds each of the others and when to look again."""
    now = env.now
    held: dict[int, str] = {}
    next_look = math.inf
    order = sorted(queue, key=lambda c: (not c.carries_heavy, c.number)) if rule == "heavy first" else list(queue)
    blocked_ahead = False  # 'first formed': a convoy ahead cannot go; 'heavy first': one with HETs waits for slots or escorts
    for convoy in order:
        cause, until = evac.departure_hold(convoy, now)
        if cause is None and blocked_ahead:
            cause, until = "behind another convoy", math.inf
        if cause is None:
            queue.remove(convoy)
            evac.convoy_departs(convoy)
            env.process(run_convoy(env, evac, convoy))
            continue
        if rule == "first formed" and not blocked_ahead:
            blocked_ahead = True
        elif rule == "heavy first" and convoy.carries_heavy and cause in ("departure slots", "escort"):
            blocked_ahead = True
        held[convoy.number] = cause
        next_look = min(next_look, until)
    return held, next_look


def run_convoy(env: simpy.Environment, evac, convoy: Convoy):
    """A convoy's trip: the roads of its route out (to its hub, or to a crossing), the crossing (another if that
    one stays shut), the roads beyond to a destination, unload, then the trucks return empty."""
    theatre = evac.theatre
    departed = env.now
    speed_cap = evac.fleet.speed_cap(convoy.trucks)
    route = evac.route_out(speed_cap, departed)
    at_end = evac.drive_roads(convoy, route.inside, env.now, speed_cap)
    yield env.timeout(at_end - env.now)
    convoy.legs["border"] = env.now
    back_hours = sum(road.leg.driving_hours() for road, _ in route.inside)
    for pool, teams in convoy.escort_from:
        escort_mission(env, pool, teams, env.now - departed, back_hours, pool.back_at_bases)

    if route.crossing is None:  # to a hub inside the country
        hub = theatre.bases[route.to]
        hub.deliver(convoy)
        evac.convoy_arrives(convoy)
        convoy.legs["arrived"] = env.now
        unload_teams = hub.loading_teams
    else:
        planned = route.crossing
        chosen = evac.choose_crossing(env.now, planned)
        if chosen != planned:
            evac.diversions += 1
            other = theatre.network.crossing_route(evac.name, chosen, speed_cap)
            last = route.inside[-1][0]
            nights, closed = theatre.calendars(last, convoy.kind)
            detour = other.inside_hours - route.inside_hours
            yield env.timeout(evac.drive_detour(convoy, nights, closed, env.now, detour, last) - env.now)
            route = other
        point = theatre.crossings[chosen]
        convoy.legs["crossing"] = point.name
        work = point.processing_hours(convoy.size)
        waited = yield from cross_border(env, point, convoy.size, work)
        evac.wait("crossing", waited, convoy)
        theatre.on_road(route.inside[-1][0], waited, passage=False)
        convoy.work_hours += work
        convoy.legs["crossed"] = env.now
        if convoy.load_count or convoy.people:
            theatre.out_of_country(env.now)

        arrived = evac.drive_roads(convoy, route.outside, env.now, speed_cap)
        yield env.timeout(arrived - env.now)
        evac.convoy_arrives(convoy)
        convoy.legs["arrived"] = env.now
        unload_teams = theatre.network.destinations[route.to].unload_teams

    if convoy.truck_count == 0:
        evac.trip_ends(convoy)
        return
    unload = loading_hours(convoy.load_count, unload_teams, evac.scenario.destination.unload_hours_per_truck)  # one load a loaded truck
    convoy.work_hours += unload
    back = evac.return_trip(convoy, env.now + unload, speed_cap, evac, route.to)
    yield env.timeout(back - env.now)
    convoy.legs["back"] = env.now
    evac.trucks_return(convoy)
    evac.trip_ends(convoy)
