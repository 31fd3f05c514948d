"""Convoys: forming them at the base, letting them leave, and running them to the
destination and back.

- ``form_convoys``: take trucks at hand and staged cargo, add self-driving vehicles
  and troops in the seats they have, load, and queue the convoy for departure;
  then, if troops are left without seats, personnel convoys of trucks with cab
  seats, or else a shuttle of the base's own vehicles back from the destination
  (``shuttle_troops``); last, the security force in its own vehicles;
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

import functools
import math
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import simpy

from sim.model.convoy import CONTRACTED, KINDS, Convoy
from sim.model.crossing import cross_border
from sim.model.escort import escort_mission
from sim.model.events import FirstOf, StartedNow, StartsNow
from sim.model.loading import load_and_queue, loading_hours
from sim.model.own_transport import OWN_KIND
from sim.model.shuttle import cab_seats_a_trip, shuttle_troops
from sim.model.trucks_wait import TrucksWait, planned_on, same_plans, trucks_that_may_come, waits_for_trucks

if TYPE_CHECKING:
    from sim.model.evacuation import Evacuation
    from sim.model.fleet import Fleet
    from sim.model.network import Route

Steps = Generator[simpy.Event, Any, None]
"""A SimPy process: the events it waits on, one after another."""

MILITARY = frozenset(KINDS) - CONTRACTED


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
    own: tuple[int, frozenset[str]] | None = None  # of the trucks that may come, what the base's own state decides


def convoy_groups(separate_contracted: bool) -> tuple[ConvoyGroup, ...]:
    """One group of every truck type, or contracted trucks apart from military ones (which take the vehicles)."""
    if separate_contracted:
        return (ConvoyGroup(MILITARY, True), ConvoyGroup(CONTRACTED, False))
    return (ConvoyGroup(frozenset(KINDS), True),)


def plan_next(evac: Evacuation, group: ConvoyGroup, t: float) -> ConvoyPlan | None:
    """The convoy ``group`` would form at ``t``; ``None`` when it has nothing left to take."""
    inv, fleet = evac.inventory, evac.fleet
    road_left = inv.road_remaining(group.kinds)
    vehicles_left = evac.people.vehicles_left if group.takes_vehicles else 0
    if road_left == 0 and vehicles_left == 0:
        return None
    size_min, size_max = evac.convoy_size_min, evac.convoy_size_max  # a pinned size_min may be fractional: compared as given
    ahead = evac.deadline.loads_ahead_of_vehicles(group.kinds) if vehicles_left else 0  # every road load without a deadline
    vehicle_places = _vehicle_places(vehicles_left, ahead, size_max, evac.people.vehicle_share_places) if vehicles_left else 0
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
    more_trucks_coming = trucks_limit and trucks_that_may_come(evac, group.kinds, loadable > 0) > 0
    more_cargo_coming = not trucks_limit and staged_all < inv.road_remaining()
    if not takes_all and (more_trucks_coming or more_cargo_coming):
        wanted = max(1, int(size_min) - vehicle_places) - loadable
        if more_trucks_coming:
            return ConvoyPlan(loads, used, vehicle_places, False, "trucks", wanted, group.kinds)
        return ConvoyPlan(loads, used, vehicle_places, False, "loading", wanted)
    return ConvoyPlan(loads, used, vehicle_places, size > 0, None, 0)


def form_convoys(env: simpy.Environment, evac: Evacuation) -> Steps:
    """Form and load convoys until no road cargo and no vehicles are left; then troops without seats; then the last element."""
    fleet = evac.fleet
    groups = convoy_groups(evac.scenario.convoys.separate_contracted)
    waited_on: tuple[tuple[object, ...], list[ConvoyPlan]] | None = None  # the base's state and its plans, all waiting for trucks
    while True:
        t = env.now
        fleet.collect_repaired()
        plans = same_plans(evac, waited_on) or _plans_until_ready(evac, groups, t)
        waited_on = (planned_on(evac), plans) if all(plan.waiting_for == "trucks" for plan in plans) else None
        if not waits_for_trucks(plans):
            fleet.wait_for_trucks(False)  # only now: a base that looks again and waits again has waited all along
        if not plans:
            if evac.feeders and evac.waiting_for_feeders():  # a hub: more comes in from the bases sending to it
                evac.neighbours.trucks_arrived(evac.name)  # meanwhile its idle trucks may serve the feeders
                yield FirstOf(env, evac.deliveries(), fleet.returned())
                evac.wait("loading", env.now - t)
                continue
            break
        if not plans[-1].ready:
            waiting = [plan for plan in plans if plan.waiting_for]
            if not waiting and evac.own.moves and evac.inventory.road_remaining(frozenset({OWN_KIND})) > 0:
                yield evac.fleet.returned()  # the base's own trucks will take it: look again when they load or come back
                continue
            if not waiting:
                evac.never_finishes("a convoy could never form: no truck at the base or on its way can take the cargo left")
                return
            yield from _wait_to_form(env, evac, waiting, t, waited_on)
            continue
        yield from _load_and_queue(env, evac, plans[-1], t)
    stranded = evac.inventory.no_carrier_can_take(evac.airlift.flies)
    if stranded:
        evac.never_finishes(stranded)
        return
    people_and_seats = evac.people
    size_max = int(evac.scenario.convoys.size_max)
    vehicles = min(people_and_seats.vehicles_driving_out(), size_max)
    shuttle = people_and_seats.shuttle_seats(vehicles) > cab_seats_a_trip(fleet, size_max) if vehicles else False
    while people_and_seats.troops_without_seats() > 0:
        if not fleet.cab_seats or shuttle:  # a shuttle that seats more a trip than the cabs do takes them (more cab seats never slow them)
            if not fleet.cab_seats and any(part.carries_troops for part in evac.parts):
                break  # they fly, or ride the base's own trucks (or any part that seats troops): the last element waits for them (cargo_departed)
            if people_and_seats.shuttle_seats(vehicles) <= 0:
                evac.never_finishes(
                    f"{people_and_seats.troops_without_seats()} troops without a seat: no truck has cab seats, no aircraft seat flies, "
                    "and no vehicle that drove out has a seat beyond its crew to come back for them"
                )
                return
            env.process(shuttle_troops(env, evac, vehicles))
            break  # the shuttle carries them: the last element waits for them (cargo_departed)
        t = env.now
        fleet.collect_repaired()
        trucks = _trucks_for_troops(fleet, people_and_seats.troops_without_seats(), int(evac.scenario.convoys.size_max))
        if not trucks:
            evac.neighbours.call_trucks(evac.name)
            repaired = fleet.next_repair()
            evac.forming_wait = ("trucks with cab seats for the troops left", t)
            yield fleet.returned() if repaired is None else FirstOf(env, fleet.returned(), timer := env.timeout(repaired - t), timer=timer)
            evac.forming_wait = None
            evac.wait_for_trucks((next(iter(fleet.cab_seats)),), env.now - t)
            continue
        pools = fleet.send(trucks)
        people = evac.garrison.leave_by_road(min(people_and_seats.troops_without_seats(), fleet.seats_in_cabs(trucks)))
        convoy = evac.new_convoy(trucks, {}, 0, people, t)
        convoy.truck_pools = pools
        evac.queue_convoy(convoy)
    evac.road_dispatch_done()
    if people_and_seats.last_element_by == "convoy":
        yield evac.cargo_departed()
        if evac.garrison.at_base == 0:
            evac.base_emptied_without_last_element()
            return
        people = evac.garrison.last_element_leaves("convoy")
        evac.queue_convoy(evac.new_convoy({}, {}, people_and_seats.security_vehicles, people, env.now, last_element=True))


def _plans_until_ready(evac: Evacuation, groups: tuple[ConvoyGroup, ...], t: float) -> list[ConvoyPlan]:
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


def _wait_to_form(
    env: simpy.Environment, evac: Evacuation, waiting: list[ConvoyPlan], t: float, waited_on: tuple[tuple[object, ...], list[ConvoyPlan]] | None
) -> Steps:
    """No convoy can form yet: wait for trucks to come back (or out of repair), or for cargo to be packed. A wait
    for trucks wakes the process only for a look that changes something (:class:`~sim.model.trucks_wait.TrucksWait`)."""
    inv, fleet = evac.inventory, evac.fleet
    first = waiting[0]
    if first.waiting_for == "trucks":
        wait = TrucksWait(evac, first, waited_on, waiting)
        yield wait.begin(t)
        wait.ends()
    else:
        staged = inv.staged(t)
        evac.forming_wait = ("cargo to be packed out", t)
        yield FirstOf(env, timer := env.timeout(inv.hours_until_staged(t, staged + first.more_cargo_wanted)), fleet.returned(), timer=timer)
        evac.forming_wait = None
        evac.wait("loading", env.now - t)


def _load_and_queue(env: simpy.Environment, evac: Evacuation, plan: ConvoyPlan, t: float) -> Steps:
    """Load a planned convoy with its cargo, vehicles and troops, then queue it for departure."""
    evac.inventory.load_convoy(plan.loads)
    pools = evac.fleet.send(plan.trucks)
    vehicles = plan.vehicle_places
    people = evac.people.board_road_convoy(vehicles, evac.fleet.seats_in_cabs(plan.trucks))
    convoy = evac.new_convoy(plan.trucks, plan.loads, vehicles, people, t)
    convoy.truck_pools = pools
    convoy.carries_sensitive = any(plan.loads.get(name) for name in evac.inventory.sensitive)
    yield from load_and_queue(evac, convoy, convoy.truck_count)


def _trucks_for_troops(fleet: Fleet, troops: int, size_max: int) -> dict[str, int]:
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


def _vehicle_places(vehicles_left: int, cargo_ahead: int, size_max: int, share_places: int) -> int:
    """Places for self-driving vehicles in the next convoy: their share while cargo that leaves before them is
    left (``share_places``, at least one; without a deadline, all cargo leaves before them), the whole convoy once none is."""
    if cargo_ahead == 0:
        return min(vehicles_left, size_max)
    return min(vehicles_left, max(1, share_places), size_max)


def dispatch_convoys(env: simpy.Environment, evac: Evacuation) -> None:
    """Let queued convoys leave by the scenario's dispatch rule; charge every queued hour to one cause.

    At each look, every waiting convoy's hours since the last look go to the cause
    that held it then; the next look is when the first of those causes can change
    (a calendar opens, a new day brings slots or air cover), or when a convoy joins
    the queue or escort teams come back. The dispatcher is a chain of looks, each
    run by the event that wakes it (the first where a process started now would
    take its first step), rather than a process: the same looks at the same points
    of the run, without a process to resume.
    """
    gate = evac.gate

    def look(_event: simpy.Event | None = None) -> None:
        gate.charge_to_now()
        leaving: list[Convoy] = []
        held, next_look = _let_go(env, evac, gate.queue, leaving)
        gate.record_holds(held)
        if next_look < math.inf:
            gate.look_again_at(next_look)
        gate.wakeup().callbacks.append(look)  # a fresh wake-up: not yet processed
        # A look is the last thing its step does: with nothing else due at this hour, the convoys' starts would be
        # the next events the run takes, in the order they left; they start now instead, in that order.
        at_once = bool(leaving) and env.peek() > env.now
        for convoy in leaving:
            if at_once:
                StartedNow(env, run_convoy(env, evac, convoy))
            else:
                env.process(run_convoy(env, evac, convoy))

    gate.dispatcher = look
    StartsNow(env, look)


def _let_go(env: simpy.Environment, evac: Evacuation, queue: list[Convoy], leaving: list[Convoy]) -> tuple[dict[int, str], float]:
    """Send every convoy that may leave now (added to ``leaving``, in the order they leave, for their trips to start);
    return what holds each of the others and when to look again."""
    now = env.now
    held: dict[int, str] = {}
    next_look = math.inf
    slots = evac.slots
    blocked_ahead = False  # 'first formed': a convoy ahead cannot go; 'heavy first': one with HETs waits for slots or escorts
    for convoy in slots.order(queue):
        hold = evac.gate.hold(convoy, now, behind=blocked_ahead)
        if hold is None:
            queue.remove(convoy)
            evac.convoy_departs(convoy)
            leaving.append(convoy)
            continue
        cause, until = hold
        if slots.blocks_behind(convoy, cause):
            blocked_ahead = True
        held[convoy.number] = cause
        next_look = min(next_look, until)
    return held, next_look


def _cross(env: simpy.Environment, evac: Evacuation, convoy: Convoy, route: Route, speed_cap: float | None) -> Generator[simpy.Event, Any, Route]:
    """At the border: the crossing of ``route``, or another if it stays shut too long when the convoy reaches it or
    shuts while the convoy waits in its queue (the detour driven, as a "crossing" wait); queue and clear it.
    Returns the route of the crossing taken."""
    shared, roads, crossings = evac.shared, evac.roads, evac.crossings
    at = str(route.crossing)
    chosen = crossings.choose(env.now, at)
    while True:
        if chosen != at:
            crossings.diverted()
            other = shared.network.crossing_route(evac.name, chosen, speed_cap)
            assert other is not None, "a convoy diverts only to a crossing of its base"
            last = route.inside[-1][0]
            nights, closed = shared.calendars(last, convoy.kind)
            detour = other.inside_hours - route.inside_hours
            yield env.timeout(roads.drive_detour(convoy, nights, closed, env.now, detour, last) - env.now)
            route, at = other, chosen
        point = shared.crossings[at]
        convoy.legs["crossing"] = point.name
        work = point.processing_hours(convoy.size)
        reconsider = functools.partial(crossings.choose, planned=at)
        waited, chosen = yield from cross_border(env, point, convoy.size, work, reconsider, on_own_event=True, lane_hours=crossings.lane_hours)
        evac.wait("crossing", waited, convoy)
        shared.on_road(route.inside[-1][0], waited, passage=False)
        if chosen == at:
            convoy.work_hours += work
            return route


def run_convoy(env: simpy.Environment, evac: Evacuation, convoy: Convoy) -> Steps:
    """A convoy's trip: the roads of its route out (to its hub, or to a crossing), the crossing (another if that
    one stays shut), the roads beyond to a destination, unload, then the trucks return empty."""
    shared, roads = evac.shared, evac.roads
    departed = env.now
    speed_cap = evac.fleet.speed_cap(convoy.trucks)
    route, round_closure = roads.route_for(convoy, speed_cap, departed)
    at_end = roads.drive_roads(convoy, route.inside, env.now, speed_cap)
    yield env.timeout(at_end - env.now)
    if round_closure:  # the longer way round a scheduled closure: the crossing's doing, not work
        convoy.work_hours -= round_closure
        evac.wait("crossing", round_closure, convoy)
    convoy.legs["border"] = env.now
    back_hours = sum(road.leg.driving_hours() for road, _ in route.inside)
    for pool, teams in convoy.escort_from:
        escort_mission(env, pool, teams, env.now - departed, back_hours, pool.back_at_bases, evac.escort)

    if route.crossing is None:  # to a hub inside the country
        unload_teams = evac.neighbours.deliver(route.to, convoy)
        evac.convoy_arrives(convoy)
        convoy.legs["arrived"] = env.now
    else:
        route = yield from _cross(env, evac, convoy, route, speed_cap)
        convoy.legs["crossed"] = env.now
        if convoy.load_count or convoy.people:
            shared.out_of_country(env.now)

        arrived = roads.drive_roads(convoy, route.outside, env.now, speed_cap)
        yield env.timeout(arrived - env.now)
        evac.convoy_arrives(convoy)
        convoy.legs["arrived"] = env.now
        unload_teams = shared.network.destinations[route.to].unload_teams

    if convoy.shuttle:
        back = roads.return_trip(convoy, env.now, speed_cap, route.to)
        yield env.timeout(back - env.now)
        convoy.legs["back"] = env.now
        evac.trip_ends(convoy)
        evac.shuttle_returns()
        return
    if convoy.truck_count == 0 and not convoy.own_trucks:
        evac.trip_ends(convoy)
        return
    unload = loading_hours(convoy.load_count, unload_teams, evac.scenario.destination.unload_hours_per_truck)  # one load a loaded truck
    convoy.work_hours += unload
    back = roads.return_trip(convoy, env.now + unload, speed_cap, route.to)
    yield env.timeout(back - env.now)
    convoy.legs["back"] = env.now
    evac.trucks_return(convoy)
    evac.trip_ends(convoy)
