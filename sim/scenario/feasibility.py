"""Scenarios that validate field by field but could never empty a base: one set of checks for both shapes.

Each check reads a base as :class:`BaseInFile` gives it: its own groups (cargo, vehicles, people,
loading, airstrips and optional groups), the shared groups (convoys, the trucks' speeds and cab
seats, the air cover's rates), the resources of its pools, the crossings and destinations its
roads reach and its quickest way to the border, each number with the dotted path it is written
at. A one-base file is read with its own paths (``fleet.military.count``, ``crossing.main.lanes``),
a theatre's base with the theatre's (``sites.<base>.loading.teams``,
``pools.<pool>.fleet.military.count``, ``sites.<crossing>.lanes``, ``sites.<destination>.unload_teams``),
so a problem names the field to change in the file the user wrote. Checks return (field, message).

Numbers are read at their extremes (:func:`sim.scenario.distributions.support_of`): a check refuses
only what no draw could ever run. Several pools' counts add up (each pool at its extreme).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sim.scenario.distributions import median_of, support_of
from sim.scenario.routing import beyond_border, march_hours, road_map
from sim.scenario.schema import (
    TRUCK_TYPES,
    Airlift,
    BaseGroups,
    BaseSite,
    NetworkLeg,
    RoadLeg,
    Scenario,
    TheatreScenario,
    strips_of,
)

Found = tuple[str, str]
"""A problem: the dotted path of the field to change, and what is wrong with it."""


@dataclass(frozen=True)
class Written:
    """A number as the file gives it (a number or a distribution) and the dotted path it is written at."""

    value: Any
    path: str


def high(values: Any) -> float:
    """The largest a number (or several, added up: a base's pools) can be."""
    if isinstance(values, list):
        return sum(support_of(w.value)[1] for w in values)
    return support_of(values)[1]


def low(values: Any) -> float:
    """The smallest a number (or several, added up) can be."""
    if isinstance(values, list):
        return sum(support_of(w.value)[0] for w in values)
    return support_of(values)[0]


@dataclass(frozen=True)
class BaseInFile:
    """One base as the feasibility checks read it, each resource with where it is written (see the module's docstring).

    ``own`` prefixes the base's own fields (``""`` in a one-base file, ``sites.<base>.`` in a theatre); ``site``
    holds its own groups, ``groups`` its optional ones (a theatre's deadline for a base without its own), ``shared``
    the shared groups. ``trucks`` (by type), ``escort_teams`` and ``apaches`` are its pools' (never empty: a pool
    that gives none is read as 0 at the path where one would be given); ``lanes`` and ``unload_teams`` are those of
    the crossings and destinations its ways out reach, quickest first; ``way_in`` the roads of its quickest way to
    the border. ``leaving`` names the base in a message on a shared field (``" from Qasrak"``; empty for one base).
    """

    own: str
    site: Scenario | BaseSite
    groups: BaseGroups
    shared: Scenario
    trucks: dict[str, list[Written]]
    escort_teams: list[Written]
    apaches: list[Written]
    lanes: list[Written]
    unload_teams: list[Written]
    way_in: Sequence[RoadLeg | NetworkLeg]
    leaving: str = ""

    @classmethod
    def of_one_base(cls, s: Scenario) -> BaseInFile:
        """The base of a one-base file, with the file's own paths."""
        crossings = [("main", s.crossing.main), ("alternate", s.crossing.alternate)]
        return cls(
            own="",
            site=s,
            groups=BaseGroups.of(s),
            shared=s,
            trucks={kind: [Written(getattr(s.fleet, kind).count, f"fleet.{kind}.count")] for kind in TRUCK_TYPES},
            escort_teams=[Written(s.escort.teams, "escort.teams")],
            apaches=[Written(s.air_cover.apaches, "air_cover.apaches")],
            lanes=[Written(point.lanes, f"crossing.{name}.lanes") for name, point in crossings if point is not None],
            unload_teams=[Written(s.destination.unload_teams, "destination.unload_teams")],
            way_in=[s.route.syria],
        )

    @classmethod
    def of_theatre(cls, s: TheatreScenario, base: str) -> BaseInFile:
        """The base ``base`` of a theatre, with the theatre's paths: its pools' resources, its ways out."""
        site = s.bases[base]
        pools = [(p, s.pools[p]) for p in site.pools if p in s.pools]
        first_pool = f"pools.{site.pools[0]}" if site.pools else f"sites.{base}.pools"

        def pooled(part: Callable[[Any], Any], path: str) -> list[Written]:
            found = [Written(v, f"pools.{p}.{path}") for p, pool in pools if (v := part(pool)) is not None]
            return found or [Written(0, f"{first_pool}.{path}")]

        def truck(kind: str) -> Callable[[Any], Any]:
            return lambda pool: None if pool.fleet is None or getattr(pool.fleet, kind) is None else getattr(pool.fleet, kind).count

        ways = _ways_out(s, base)
        lanes = [Written(s.crossings[c].lanes, f"sites.{c}.lanes") for c, _, _ in ways]
        destinations = dict.fromkeys(d for _, d, _ in ways)
        return cls(
            own=f"sites.{base}.",
            site=site,
            groups=BaseGroups.of(site, s),
            shared=s,
            trucks={kind: pooled(truck(kind), f"fleet.{kind}.count") for kind in TRUCK_TYPES},
            escort_teams=pooled(lambda pool: None if pool.escort is None else pool.escort.teams, "escort.teams"),
            apaches=pooled(lambda pool: None if pool.air_cover is None else pool.air_cover.apaches, "air_cover.apaches"),
            lanes=lanes,
            unload_teams=[Written(s.destinations[d].unload_teams, f"sites.{d}.unload_teams") for d in destinations],
            way_in=ways[0][2] if ways else [],
            leaving=f" from {site.title}",
        )


def _march_hours(leg: NetworkLeg) -> float:
    numbers = (leg.km, leg.town_km, leg.speed_kmh, leg.town_speed_kmh, leg.halt_minutes, leg.halt_every_hours)
    return march_hours(*(float(median_of(n)) for n in numbers))


def _ways_out(s: TheatreScenario, base: str) -> list[tuple[str, str, list[NetworkLeg]]]:
    """The base's ways out at the roads' median march hours, quickest first, by the one route engine
    (:mod:`sim.scenario.routing`): (crossing, nearest destination beyond it, the roads from the base to the crossing);
    a base sending to a hub goes by the hub."""
    legs: dict[frozenset[str], NetworkLeg] = {}
    for leg in s.legs:
        legs.setdefault(frozenset((leg.start, leg.end)), leg)  # the first of two roads joining the same sites, as the model
    roads = road_map(tuple((leg.start, leg.end, _march_hours(leg)) for leg in s.legs), tuple(s.sites))
    crossings, destinations = list(s.crossings), list(s.destinations)
    beyond = beyond_border(((leg.start, leg.end) for leg in s.legs), set(crossings), set(destinations))
    inside = {n for n in s.sites if n not in crossings and n not in beyond}
    start, to_hub = base, [base]
    hub = s.bases[base].send_to
    if hub is not None:
        paths = roads.quickest(base, inside)[1]
        if hub not in paths:
            return []
        start, to_hub = hub, paths[hub]
    hours_in, paths_in = roads.quickest(start, inside)  # crossings end paths, never lie on them
    ways = []
    for c in crossings:
        if c not in paths_in:
            continue
        hours_out, paths_out = roads.quickest(c, beyond)
        reach = [d for d in destinations if d in paths_out]
        if reach:
            d = min(reach, key=lambda d: hours_out[d])
            path = to_hub[:-1] + paths_in[c]
            ways.append((hours_in[c] + hours_out[d], c, d, [legs[frozenset(pair)] for pair in itertools.pairwise(path)]))
    ways.sort(key=lambda way: way[0])  # stable: ties keep the file order of crossings
    return [(c, d, path) for _, c, d, path in ways]


def one_base_problems(s: Scenario) -> list[Found]:
    """What would keep a one-base file from ever emptying its base, named by the file's own paths."""
    return base_problems(BaseInFile.of_one_base(s))


def theatre_problems(s: TheatreScenario) -> list[Found]:
    """What would keep a base of a theatre from ever emptying, base by base, named by the theatre's paths; a problem
    with a shared or pooled field that stops several bases is said once."""
    found = [p for base in s.bases for p in base_problems(BaseInFile.of_theatre(s, base))]
    return list(dict.fromkeys(found))


def base_problems(b: BaseInFile) -> list[Found]:
    """Every check on one base (see the module's docstring)."""
    out: list[Found] = []
    site, shared, own = b.site, b.shared, b.own
    strips = strips_of(site.airlift)
    flying = [
        lift
        for _, lift in strips
        if high(lift.sorties_per_day) > 0
        and high(lift.max_on_ground) > 0
        and (lift.aircraft is None or high(lift.aircraft) > 0)
        and any(a.allowed and high(a.pallets) > 0 and low(a.runway_m) <= high(lift.runway_m) for a in (lift.c130j, lift.c17))
    ]
    air_possible = bool(flying)
    road_possible = high(site.loading.teams) > 0 and high(shared.convoys.max_per_day) > 0 and high(b.escort_teams) > 0
    own_trucks = site.own_transport is not None and high(site.own_transport.trucks) > 0
    can_carry = {
        "civilian": road_possible and high(b.trucks["civilian"]) > 0,
        "lowboy": road_possible and high(b.trucks["lowboy"]) > 0,
        "military": road_possible and (high(b.trucks["military"]) > 0 or own_trucks),
        "het": road_possible and high(b.trucks["het"]) > 0,
        "air": air_possible,
    }
    for name, cls in site.cargo.classes.items():
        if high(cls.loads) > 0 and not any(can_carry[c] for c in cls.carriers):
            out.append(
                (
                    f"{own}cargo.classes.{name}.carriers",
                    f"no carrier in {cls.carriers} can ever take this cargo (no such trucks, convoys cannot run, or no airlift); "
                    "add a carrier or give that fleet a count",
                )
            )
    out += _strip_problems(own, strips)
    if low(shared.convoys.size_min) > high(shared.convoys.size_max):
        out.append(("convoys.size_min", "is larger than convoys.size_max"))
    if high(shared.convoys.size_max) < 1:
        out.append(("convoys.size_max", "must be >= 1: a convoy needs at least one vehicle"))
    if high(site.vehicles.count) > 0 and not road_possible:
        out.append((f"{own}vehicles.count", "vehicles drive out in convoys, but convoys can never leave (loading teams, escort teams or max_per_day is 0)"))
    out += _cover_problems(b)
    if low(site.people.security_force) > high(site.people.troops):
        out.append((f"{own}people.security_force", "is larger than people.troops"))
    out += _seat_problems(b, flying)
    if site.people.last_element_by == "sortie" and not air_possible:
        out.append((f"{own}people.last_element_by", "the last element is to leave by sortie but no aircraft can fly from the strip"))
    if site.people.last_element_by == "convoy" and not road_possible:
        out.append((f"{own}people.last_element_by", "the last element is to leave by convoy but convoys can never leave"))
    if b.lanes and all(high(w.value) == 0 for w in b.lanes):
        out.append((b.lanes[0].path, "no crossing has a lane open; convoys could never reach Iraq"))
    if road_possible and b.unload_teams and all(high(w.value) == 0 for w in b.unload_teams):
        out.append((b.unload_teams[0].path, "must be >= 1: trucks could never unload"))
    return out


def _strip_problems(own: str, strips: list[tuple[str, Airlift]]) -> list[Found]:
    """Strips that plan sorties no aircraft could fly."""
    out: list[Found] = []
    for path, lift in strips:
        if high(lift.sorties_per_day) > 0 and high(lift.max_on_ground) == 0:
            out.append(
                (f"{own}{path}.max_on_ground", "is 0: no aircraft can stand on the strip, yet sorties_per_day plans sorties; give places or plan 0 sorties")
            )
        if high(lift.sorties_per_day) > 0 and lift.aircraft is not None and high(lift.aircraft) == 0:
            out.append(
                (
                    f"{own}{path}.aircraft",
                    "is 0: no aircraft flies the shuttle, yet sorties_per_day plans sorties; give aircraft, leave it unset, or plan 0 sorties",
                )
            )
        for name, aircraft in (("c130j", lift.c130j), ("c17", lift.c17)):
            if aircraft.allowed and low(aircraft.runway_m) > high(lift.runway_m):
                out.append((f"{own}{path}.{name}.runway_m", f"needs more runway than the strip has ({high(lift.runway_m):g} m); set allowed = false"))
    return out


def _cover_problems(b: BaseInFile) -> list[Found]:
    """Convoys that need air cover no Apache could fly, or that are told to wait for full cover no day's sorties could give."""
    cover = b.shared.air_cover
    if not (high(cover.share_of_convoys) > 0 or cover.always_for_sensitive):
        return []
    needs_cover = high(cover.share_of_convoys) > 0 or any(c.is_sensitive and high(c.loads) > 0 for c in b.site.cargo.classes.values())
    if needs_cover and (high(b.apaches) == 0 or high(cover.sorties_per_aircraft_per_day) == 0):
        return [
            (
                b.apaches[0].path,
                "convoys need air cover but no Apache sortie can ever fly; set apaches > 0 or share_of_convoys = 0 and always_for_sensitive = false",
            )
        ]
    if not (needs_cover and cover.when_short == "wait"):
        return []
    budget = low(b.apaches) * low(cover.sorties_per_aircraft_per_day)
    fleet = b.shared.fleet
    speeds = [low(getattr(fleet, kind).speed_kmh) for kind in TRUCK_TYPES if getattr(fleet, kind).speed_kmh is not None and high(b.trucks[kind]) > 0]
    cap = min(speeds) if speeds else math.inf
    hours = sum(_longest_hours(leg, cap) for leg in b.way_in)
    needed = math.ceil(hours / low(cover.hours_on_station) - 1e-9)
    if budget >= needed:
        return []
    return [
        (
            "air_cover.when_short",
            f"is 'wait', but covering a convoy's Syrian leg{b.leaving} (up to {hours:.1f} h, halts included) takes {needed} relayed sorties of "
            f"{low(cover.hours_on_station):g} h and the detachment may fly only {budget:g} a day: such a convoy would wait forever; "
            'give more apaches or sorties, or set when_short = "go"',
        )
    ]


def _longest_hours(leg: RoadLeg | NetworkLeg, cap: float) -> float:
    """The longest time on a road, halts included (a halted convoy needs cover too): the model's march arithmetic
    (:func:`sim.scenario.routing.march_hours`) at the worst values."""
    town = low(leg.town_km)  # within the leg's km (town_km_problem)
    moving = (high(leg.km) - town) / min(low(leg.speed_kmh), cap) + town / min(low(leg.town_speed_kmh), cap)
    return moving + int(moving // low(leg.halt_every_hours)) * high(leg.halt_minutes) / 60.0


def _seat_problems(b: BaseInFile, flying: list[Airlift]) -> list[Found]:
    """People who could never find a seat: the security force in its own vehicles, the others anywhere."""
    out: list[Found] = []
    own, p, v = b.own, b.site.people, b.site.vehicles
    seats_low = low(v.seats) if v.seats is not None else low(v.crew)
    if v.seats is not None and low(v.seats) < high(v.crew):
        out.append((f"{own}vehicles.seats", f"must be at least vehicles.crew ({high(v.crew):g}): the crew rides in the vehicle"))
    if p.last_element_by == "convoy" and p.security_vehicles is not None and low(p.security_vehicles) * seats_low < high(p.security_force):
        out.append(
            (
                f"{own}people.security_vehicles",
                f"{low(p.security_vehicles):g} vehicles of {seats_low:g} seats cannot carry a security force of up to {high(p.security_force):g}; "
                "give more vehicles or seats, or leave security_vehicles unset (as many as it needs)",
            )
        )
    fleet = b.shared.fleet
    air_possible = bool(flying)
    air_seats = any(a.allowed and high(a.troops) > 0 for lift in flying for a in (lift.c130j, lift.c17))
    groups = {name: group for name, group in b.groups.groups().items() if group is not None}
    own_seats = any(group.seats_troops() for group in groups.values())  # the base's own trucks, helicopters, ...: they take troops until everyone has left
    if not air_seats and not own_seats and all(high(getattr(fleet, kind).cab_seats) == 0 or high(b.trucks[kind]) == 0 for kind in TRUCK_TYPES):
        # seats are then one-off: each vehicle once, and seats_per_convoy once a convoy (at most one convoy a truckload or vehicle)
        seats_high = high(v.seats) if v.seats is not None else high(v.crew)
        convoys = sum(high(c.loads) for c in b.site.cargo.classes.values()) + high(v.count)
        road_seats = high(v.count) * seats_high + high(p.seats_per_convoy) * convoys
        # vehicles that drove out shuttle back for the rest (sim.model.convoys.shuttle_troops) if they have a seat beyond their crew
        shuttles = high(v.count) > 0 and (seats_high > low(v.crew) or high(p.seats_per_convoy) > 0)
        if not shuttles and low(p.troops) - high(p.security_force) > road_seats:
            missing = low(p.troops) - high(p.security_force) - road_seats
            out.append(
                (
                    f"{own}people.troops",
                    f"at least {low(p.troops) - high(p.security_force):g} troops must leave before the security force, but no aircraft seat "
                    f"and no truck cab seat is given, the vehicles and convoys seat at most {road_seats:g} ({missing:g} seats missing), "
                    "and no vehicle has a seat beyond its crew to shuttle back for the rest; give seats",
                )
            )
    if p.last_element_by == "sortie" and air_possible and not air_seats:
        out.append((f"{own}people.last_element_by", "is 'sortie', but no aircraft allowed here has a seat (airlift.*.troops = 0)"))
    for name, group in groups.items():  # each optional group checks itself against the base's other groups
        out += [(f"{own}{name}.{field}", message) for field, message in group.base_problems(b.site)]
    return out
