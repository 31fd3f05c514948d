"""Rough-cut capacity: for each resource, the fewest days it alone would need to empty the base.

No simulation: each bound lets one resource (or one set of carriers) limit the
evacuation and assumes every other resource unlimited, no queue and no disruption.
What it keeps is the clock: convoys leave only in their departure window, drive only
in daylight on the legs where their kind must halt at night, halt on the march,
cross only while a crossing is open, and trucks are unloaded and loaded again before
their next trip. Where a rule leaves a choice (a military convoy may drive at night on
a leg where contracted ones may not; a convoy may use the alternate crossing) the
bound takes whichever is quicker, and the last trip need not come back. Each bound is
therefore a lower bound on days to base empty (or to force closure) for the scenario
it is computed on; the binding resource is the one with the largest bound.

Times are hours on the simulation clock (hour 0 is 2026-02-23 00:00 local); bounds are
reported in days from then.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import simpy

from sim.analysis.theatre_base import TheatreBase, WayOut
from sim.model.airlift import Airlift
from sim.model.calendar import Closures
from sim.model.crossing import cross_empty
from sim.model.fleet import CONTRACTED, KINDS
from sim.model.loading import loading_hours
from sim.model.movement import daylight_only, departure_window, road_nights
from sim.model.network import BaseSpec, Road
from sim.names import TRUCK_TYPES
from sim.scenario.draws import resolve
from sim.scenario.schema import CONVOY_KINDS, Scenario, TheatreScenario


@dataclass(frozen=True)
class Bound:
    """The fewest days one resource would need, and what the figure rests on."""

    resource: str
    days: float
    basis: str
    applies_to: str = "base empty"


@dataclass(frozen=True)
class ClassLoads:
    """One cargo class as the bounds see it: loads that must leave (not handed over) and who may carry them."""

    loads: int
    carriers: frozenset[str]

    @property
    def may_fly(self) -> bool:
        return "air" in self.carriers


@dataclass(frozen=True)
class Clock:
    """When a convoy of one kind (contracted or military) may leave the base and move on each road.

    ``departure`` is closed outside its departure window (narrowed to daylight when it may
    not drive the first road of its way out at night); ``nights`` (by road index) is closed at
    night on a road where it must halt overnight. Pauses and road closures are left out: they only add time.
    """

    departure: Closures
    nights: dict[int, Closures]

    def drive(self, roads: Iterable[Road], t: float, speed_cap_kmh: float | None = None) -> float:
        """When a convoy of this kind setting out at ``t`` has driven ``roads`` (in order), halting for the nights."""
        for road in roads:
            t = self.nights[road.index].finish(t, road.leg.driving_hours(speed_cap_kmh))
        return t


def convoy_clocks(base: TheatreBase) -> dict[str, Clock]:
    """The clock of each convoy kind, by the movement rules the model applies (``sim.model.movement``)."""
    s, horizon, first = base.theatre, base.horizon_hours, base.first_road()
    out = {}
    for kind in CONVOY_KINDS:
        by_day = first is not None and daylight_only(first, kind, s)
        nights = {road.index: road_nights(road, kind, s, horizon) for road in base.network.roads}
        out[kind] = Clock(departure_window(s, kind, by_day, horizon), nights)
    return out


def earliest_departure(clocks: Iterable[Clock], t: float) -> float:
    """The earliest hour at or after ``t`` when a convoy of any of these kinds may leave the base."""
    return min(clock.departure.open_at(t) for clock in clocks)


@dataclass(frozen=True)
class TruckCycle:
    """The quickest one truck of a type can go from one departure from the base to the next, on the clock.

    Each way out (or the road to its hub, for a base that sends to one) (the roads in the country, in daylight where its convoy's kind must; the
    crossing, a convoy of one vehicle; the roads beyond), unloading at the destination, the
    empty return by whichever way back is quickest, and loading before leaving again in the
    departure window. Roads are driven at the type's loaded speed (``speed_cap_kmh``), halts
    included; ``load_hours`` for one truck (unloading is each way's destination's).
    """

    clocks: tuple[Clock, ...]
    ways: tuple[WayOut, ...]
    speed_cap_kmh: float | None
    unload_hours_per_truck: float
    load_hours: float

    def back_at_base(self, departed: float, clock: Clock) -> float:
        """When a truck that left at hour ``departed`` in a convoy on ``clock`` is back at the base, at the earliest."""
        cap = self.speed_cap_kmh
        unloaded: dict[str, float] = {}
        for way in self.ways:
            at_border = clock.drive(way.inside, departed, cap)
            crossed = at_border if way.crossing is None else way.crossing.shut.finish(at_border, way.crossing.processing_hours(1))
            done = clock.drive(way.outside, crossed, cap) + loading_hours(1, way.unload_teams, self.unload_hours_per_truck)
            unloaded[way.destination] = min(done, unloaded.get(way.destination, math.inf))
        back = math.inf
        for way in self.ways:
            if way.destination in unloaded:
                at_border = clock.drive(reversed(way.outside), unloaded[way.destination], cap)
                crossed = at_border if way.crossing is None else cross_empty(way.crossing, at_border, 1)[0]
                back = min(back, clock.drive(reversed(way.inside), crossed, cap))
        return back

    def departures(self, trips: int) -> list[float]:
        """Hours at which one truck can leave the base loaded, at the earliest, for its first ``trips`` trips."""
        out: list[float] = []
        back = 0.0
        for _ in range(trips):
            out.append(earliest_departure(self.clocks, back + self.load_hours))
            back = min(self.back_at_base(out[-1], clock) for clock in self.clocks)
        return out


def truck_cycle(base: TheatreBase, kind: str, clocks: dict[str, Clock]) -> TruckCycle:
    """The cycle of a truck type: contracted types move under the contracted convoys' rules; military
    trucks and HETs under the military ones, or either when they may join contracted convoys."""
    s = base.theatre
    kinds: tuple[str, ...]
    if kind in CONTRACTED:
        kinds = ("contracted",)
    else:
        kinds = ("military",) if s.convoys.separate_contracted else CONVOY_KINDS
    cap = getattr(s.fleet, kind).speed_kmh
    loading = base.spec.loading
    return TruckCycle(
        tuple(clocks[k] for k in kinds),
        tuple(base.trips(cap)),
        cap,
        s.destination.unload_hours_per_truck,
        loading_hours(1, int(loading.teams), loading.hours_per_truck),
    )


@dataclass(frozen=True)
class Shuttle:
    """The airlift as a carrier: loads a sortie takes, and the three limits on how often sorties leave.

    Sorties land at most every ``24 / planned_per_day`` hours (the plan), each holds one of
    ``places`` on the strip (working MOG) for ``ground_hours``, and each takes one of
    ``aircraft`` (None: as many as needed) for ``cycle_hours`` from landing to being back.
    """

    loads_per_sortie: int
    seats_per_sortie: int
    planned_per_day: float
    places: int
    ground_hours: float
    aircraft: int | None
    cycle_hours: float

    @classmethod
    def each_of(cls, site: BaseSpec) -> tuple[Shuttle, ...]:
        """The base's airstrips that fly, each as the model flies it (none: no sortie flies)."""
        out = []
        for strip in site.airstrips:
            lift = Airlift(simpy.Environment(), strip, site.cargo.pallets_per_load)
            if lift.flies:
                fleet = None if strip.aircraft is None else int(strip.aircraft)
                plan = (lift.loads_per_sortie, lift.seats_per_sortie, lift.sorties_per_day, lift.max_on_ground, lift.ground_hours)
                out.append(cls(*plan, fleet, lift.cycle_hours))
        return tuple(out)

    def limits_per_day(self) -> dict[str, tuple[float, str]]:
        """Sorties a day each limit allows alone ("plan", "strip", "aircraft"), and how that rate comes about."""
        out = {"plan": (self.planned_per_day, f"planned {self.planned_per_day:.3g} sorties a day")}
        if self.ground_hours > 0:
            rate = self.places * 24 / self.ground_hours
            out["strip"] = (rate, f"{self.places} on the strip at once x {self.ground_hours:.3g} h on the ground = {rate:.3g} sorties a day")
        if self.aircraft is not None and self.cycle_hours > 0:
            rate = self.aircraft * 24 / self.cycle_hours
            out["aircraft"] = (rate, f"{self.aircraft} aircraft back every {self.cycle_hours:.3g} h = {rate:.3g} sorties a day")
        return out

    def rate_text(self) -> str:
        """The binding limit on sorties a day, named first, then the others: for a bound's basis."""
        limits = self.limits_per_day()
        first = min(limits, key=lambda name: limits[name][0])
        others = "; ".join(text for name, (_, text) in limits.items() if name != first)
        verb = "bind" if first == "aircraft" else "binds"
        return f"the {first} {verb}: {limits[first][1]}" + (f" ({others})" if others else "")

    def take_offs(self, sorties: int) -> list[float]:
        """Hours at which the first ``sorties`` sorties can take off, at the earliest: each lands no sooner
        than the plan's interval after the one before, than a place frees, and than an aircraft is back."""
        interval = 24.0 / self.planned_per_day
        landed: list[float] = []
        for k in range(sorties):
            t = landed[-1] + interval if landed else 0.0
            if k >= self.places:
                t = max(t, landed[k - self.places] + self.ground_hours)
            if self.aircraft is not None and k >= self.aircraft:
                t = max(t, landed[k - self.aircraft] + self.cycle_hours)
            landed.append(t)
        return [t + self.ground_hours for t in landed]


def carrier_name(carriers: frozenset[str]) -> str:
    """A set of carriers as the bounds table names it: 'heavy equipment transporters', 'military trucks + airlift',
    'all trucks'."""
    trucks = [k for k in KINDS if k in carriers]
    words = []
    if trucks:
        words.append("all trucks" if len(trucks) == len(KINDS) else " + ".join(TRUCK_TYPES[k] for k in trucks))
    if "air" in carriers:
        words.append("airlift")
    return " + ".join(words)


def fewest_hours_to_carry(loads: int, departures: Sequence[tuple[int, Sequence[float]]]) -> float:
    """The earliest hour by which ``loads`` can have left, given carriers that each take so many loads at each of their departures."""
    if loads <= 0:
        return 0.0
    events = sorted((t, n) for n, times in departures for t in times)
    carried = 0
    for t, n in events:
        carried += n
        if carried >= loads:
            return t
    return math.inf


@dataclass(frozen=True)
class Carriers:
    """The carriers of a scenario: trucks by type (count and clock-bound cycle) and the airlift."""

    counts: dict[str, int]
    cycles: dict[str, TruckCycle]
    shuttles: tuple[Shuttle, ...]  # one a strip that flies

    def departures(self, carriers: frozenset[str], loads: int) -> list[tuple[int, list[float]]]:
        """For each carrier in ``carriers`` with capacity: loads it takes a departure, and its earliest
        departures (enough of them to carry ``loads`` alone)."""
        out: list[tuple[int, list[float]]] = []
        for kind in KINDS:
            count = self.counts[kind]
            if kind in carriers and count > 0:
                out.append((count, self.cycles[kind].departures(math.ceil(loads / count))))
        if "air" in carriers:
            out.extend((s.loads_per_sortie, s.take_offs(math.ceil(loads / s.loads_per_sortie))) for s in self.shuttles if s.loads_per_sortie > 0)
        return out

    def describe(self, carriers: frozenset[str]) -> str:
        """How often each carrier in the set can leave, for the basis of a bound."""
        parts = []
        for kind in KINDS:
            if kind in carriers:
                count = self.counts[kind]
                if count == 0:
                    parts.append(f"no {TRUCK_TYPES[kind]}")
                    continue
                first, second = self.cycles[kind].departures(2)
                parts.append(f"{count} {TRUCK_TYPES[kind]} ({second - first:.0f} h from one departure to the next)")
        if "air" in carriers:
            strips = [f"{s.loads_per_sortie} loads a sortie, {s.rate_text()}" for s in self.shuttles]
            parts.append(f"airlift {' / '.join(strips)}" if strips else "no airlift")
        return "; ".join(parts)


def bounds_subject(scenario: Scenario, base: str | None = None) -> str | None:
    """Whose the bounds of :func:`capacity_bounds` are, in words: on a theatre ``Qasrak (the main base)`` by default,
    or the title of the base ``base`` names (``Rmelan``); None for a one-base file (the base is the file's)."""
    if not isinstance(scenario, TheatreScenario):
        return None
    name = base or scenario.main_base
    title = scenario.bases[name].title
    return f"{title} (the main base)" if name == scenario.main_base else title


def not_counted(scenario: Scenario, base: str | None = None) -> list[str]:
    """What the bounds of :func:`capacity_bounds` leave out for ``base``, in words, so that they are read as they are: a
    deadline (the base may empty sooner by leaving what has not gone), the base's own trucks and its helicopters (they
    carry part of what the bounds send by the pools' trucks and aircraft), and, on a theatre, that they count from the
    base's own start."""
    at = TheatreBase.of(resolve(scenario, {}, set()), base)
    site, groups = at.spec, at.spec.groups
    out = []
    if groups.deadline is not None:
        out.append(
            f"a deadline (day {float(groups.deadline.day):g}): what has not gone by then is left, so the base may empty "
            "sooner than a bound that moves everything"
        )
    if groups.own_transport is not None:
        out.append("the base's own trucks, which carry part of its cargo: with them it may empty sooner")
    if groups.helicopters is not None:
        out.append("helicopters, which lift part of its troops and light loads: with them it may empty sooner")
    if isinstance(scenario, TheatreScenario) and (site.after is not None or site.start_day > 0):
        titles = {name: spec.title for name, spec in scenario.bases.items()}
        when = f"once {titles.get(site.after, site.after)} is empty" if site.after is not None else f"on day {site.start_day:g}"
        out.append(f"the days before it starts: the bounds count from its own start ({when})")
    return out


def capacity_bounds(scenario: Scenario, base: str | None = None) -> list[Bound]:
    """Bounds for a scenario; distributions are taken at their medians (use a resolved scenario for exact ones).

    For a theatre, the bounds of one base (``base``, its short name; default the main base), read from the theatre
    (:class:`sim.analysis.theatre_base.TheatreBase`): its own groups, the resources of all its pools as if all its own
    (so still lower bounds), its ways out road by road; a one-base file is the theatre of one base it stands for.
    :func:`bounds_subject` says whose in words.
    """
    if isinstance(scenario, TheatreScenario):
        if base is not None and base not in scenario.bases:
            raise ValueError(f"--base {base}: the theatre has no such base; its bases are {', '.join(scenario.bases)}")
    elif base is not None:
        raise ValueError(f"--base {base}: the scenario has one base; --base names a base of a theatre file (one with [sites])")
    at = TheatreBase.of(resolve(scenario, {}, set()), base)
    site = at.spec
    clocks = convoy_clocks(at)
    carriers = Carriers(at.trucks, {k: truck_cycle(at, k, clocks) for k in KINDS}, Shuttle.each_of(site))
    classes = [ClassLoads(int(c.loads) - round(int(c.loads) * c.handed_over_fraction), frozenset(c.carriers)) for c in site.cargo.classes.values()]
    road_loads = sum(c.loads for c in classes if not c.may_fly)
    convoys = fewest_convoys(at, classes)

    out = [pack_out_bound(site, classes, clocks, carriers)]
    out.append(loading_bound(site, road_loads, clocks))
    out.extend(carrier_bounds(classes, carriers))
    out.append(departure_slots_bound(at.theatre, convoys, clocks))
    out.append(escort_bound(at, convoys, road_loads, clocks))
    out.append(crossing_bound(at, road_loads, clocks))
    if site.people.last_element_by == "sortie":
        out.append(last_element_by_air_bound(site, classes, carriers.shuttles))
    return out


def days(hours: float) -> float:
    """Hours on the clock as days."""
    return hours / 24.0


def security_force(site: BaseSpec) -> int:
    """People who stay to the end and leave as the last element (none: there is no last element)."""
    return min(int(site.people.security_force), int(site.people.troops))


def last_element_convoys(site: BaseSpec) -> int:
    """1 if the security force leaves last in a convoy of its own, else 0."""
    return 1 if site.people.last_element_by == "convoy" and security_force(site) > 0 else 0


def fewest_convoys(base: TheatreBase, classes: list[ClassLoads]) -> int:
    """Convoys that must leave at least: road-only loads and self-driving vehicles in convoys of at most
    ``convoys.size_max`` vehicles (contracted trucks apart when they form convoys of their own), and the last element."""
    s, site = base.theatre, base.spec
    size = max(1, int(s.convoys.size_max))
    vehicles = int(site.vehicles.count)
    road = [c for c in classes if not c.may_fly]
    cargo = math.ceil((sum(c.loads for c in road) + vehicles) / size)
    if s.convoys.separate_contracted:
        contracted = sum(c.loads for c in road if c.carriers <= CONTRACTED)
        military = sum(c.loads for c in road if not c.carriers & CONTRACTED)
        cargo = max(cargo, math.ceil(contracted / size) + math.ceil((military + vehicles) / size))
    return cargo + last_element_convoys(site)


def pack_out_bound(s: BaseSpec, classes: list[ClassLoads], clocks: dict[str, Clock], carriers: Carriers) -> Bound:
    """The last load is packed once the crews have packed all that was not staged at hour 0; it then still
    has to be loaded on a truck and leave in the departure window, or be flown out after its ground time."""
    total = sum(c.loads for c in classes)
    unstaged = max(0.0, total * (1 - s.cargo.staged_at_start))
    packed = unstaged / s.cargo.packout_loads_per_day * 24.0
    after: list[float] = []
    if any(c.carriers & {k for k, n in carriers.counts.items() if n} for c in classes):
        after.append(earliest_departure(clocks.values(), packed + loading_hours(1, int(s.loading.teams), s.loading.hours_per_truck)))
    if carriers.shuttles and any(c.may_fly for c in classes):
        after.append(packed + min(shuttle.ground_hours for shuttle in carriers.shuttles))
    leaves = min(after) if total and after else packed
    return Bound("pack-out", days(leaves), f"{unstaged:.0f} loads to pack at {s.cargo.packout_loads_per_day:.3g} a day, then loaded and away")


def loading_bound(s: BaseSpec, road_loads: int, clocks: dict[str, Clock]) -> Bound:
    """The teams load one convoy after another; the last convoy leaves in the departure window once loaded."""
    teams = int(s.loading.teams)
    loaded = road_loads * s.loading.hours_per_truck / max(teams, 1)  # no team: loading goes at one team's pace in the model
    leaves = earliest_departure(clocks.values(), loaded) if road_loads else 0.0
    return Bound("loading teams", days(leaves), f"{road_loads} road-only loads at {s.loading.hours_per_truck:.3g} h a truck, {teams} teams")


def carrier_bounds(classes: list[ClassLoads], carriers: Carriers) -> list[Bound]:
    """For each class's set of carriers, and for all carriers together: the loads only they may take,
    and the earliest hour by which those loads can have left on their trucks' and aircraft's departures."""
    sets = list(dict.fromkeys(c.carriers for c in classes))
    everything = frozenset().union(*sets)
    if everything not in sets:
        sets.append(everything)
    out = []
    for carried_by in sets:
        loads = sum(c.loads for c in classes if c.carriers <= carried_by)
        if loads == 0:
            continue
        hours = fewest_hours_to_carry(loads, carriers.departures(carried_by, loads))
        name = carrier_name(carried_by)
        out.append(Bound(name, days(hours), f"{loads} loads only {name} carry; {carriers.describe(carried_by)}"))
    return out


def departure_slots_bound(s: TheatreScenario, convoys: int, clocks: dict[str, Clock]) -> Bound:
    """At most ``convoys.max_per_day`` convoys leave each calendar day: the last leaves on its day, in the window."""
    per_day = int(s.convoys.max_per_day)
    if per_day <= 0:
        hours = math.inf
    else:
        hours = earliest_departure(clocks.values(), 24.0 * (math.ceil(convoys / per_day) - 1)) if convoys else 0.0
    return Bound("departure slots", days(hours), f"at least {convoys} convoys of <= {int(s.convoys.size_max)} vehicles, {per_day} a day")


def escort_bound(base: TheatreBase, convoys: int, road_loads: int, clocks: dict[str, Clock]) -> Bound:
    """Every convoy leaves with enough escort teams (one per ``vehicles_per_team`` vehicles, all teams at most).

    A team goes out with its convoy on the roads in the country (at night only if the convoy
    may), drives back, rests, and takes the next convoy in the departure window: the team with
    the most missions bounds when the last convoy leaves. No team: convoys go unescorted.
    """
    s, site = base.theatre, base.spec
    teams = base.escort_teams
    if teams == 0:
        return Bound("escort teams", 0.0, "no escort teams: convoys leave without one")
    size = max(1, int(s.convoys.size_max))
    per_team = max(1, int(s.escort.vehicles_per_team))
    in_cargo_convoys = road_loads + int(site.vehicles.count)
    # A cargo convoy of v <= size_max vehicles takes min(teams, ceil(v / per_team)) >= v x min(teams / size_max, 1 / per_team) teams.
    missions = max(convoys, math.ceil(in_cargo_convoys * min(teams / size, 1 / per_team) - 1e-9) + last_element_convoys(site))
    ways = base.ways_out(None, in_use=False) if site.send_to is None else base.trips(None)  # a team goes as far as its convoy
    rest = s.escort.rest_hours
    leaves = earliest_departure(clocks.values(), 0.0)
    for _ in range(math.ceil(missions / teams) - 1):
        back = min(min(clock.drive(way.inside, leaves) for clock in clocks.values()) + way.inside_hours() for way in ways)
        leaves = earliest_departure(clocks.values(), back + rest)
    hours = leaves if missions else 0.0
    return Bound("escort teams", days(hours), f"at least {missions} team missions, {teams} teams, Syrian leg out and back and {rest:.3g} h rest")


def crossing_bound(base: TheatreBase, road_loads: int, clocks: dict[str, Clock]) -> Bound:
    """The lanes clear road-only loads and self-driving vehicles only while open, from when the first convoy
    can reach them by its way out; each vehicle takes its minutes and its share of a convoy's fixed processing.
    The last one then drives the roads beyond the border: a bound on force closure."""
    vehicles = road_loads + int(base.spec.vehicles.count)
    size = max(1, int(base.theatre.convoys.size_max))
    first_away = earliest_departure(clocks.values(), 0.0)
    ways = base.crossings_out(None)
    lanes = []
    for way, p in ways:
        at_border = min(clock.drive(way.inside, first_away) for clock in clocks.values())
        lanes.append((p, at_border, p.minutes_per_vehicle / 60.0 + p.fixed_hours / size))

    def cleared(t: float) -> float:
        return sum(max(1, p.lanes_count) * open_hours(p.shut, start, t) / each if each > 0 else math.inf for p, start, each in lanes if t > start)

    through = hours_until(cleared, vehicles, min(start for _, start, _ in lanes)) if vehicles else 0.0
    arrived = min(clock.drive(way.outside, through) for clock in clocks.values() for way, _ in ways) if vehicles else 0.0
    names = ", ".join(f"{p.name} {_lanes(p.lanes_count)} at {_per_vehicle(p.minutes_per_vehicle)} a vehicle" for _, p in ways)
    return Bound("crossing lanes", days(arrived), f"{vehicles} vehicles; {names}; then the Iraqi leg", "force closure")


def last_element_by_air_bound(s: BaseSpec, classes: list[ClassLoads], shuttles: tuple[Shuttle, ...]) -> Bound:
    """The security force flies out last, after the sorties that air-only cargo needs: the last of all those sorties bounds base empty.

    With several strips, every sortie is counted at the largest loads and seats any strip's sorties take, and
    the sorties needed leave at the earliest take-offs of all strips together: still a lower bound."""
    people = security_force(s)
    if people == 0:
        return Bound("airlift, last element", 0.0, "no security force")
    seats, loads = max((x.seats_per_sortie for x in shuttles), default=0), max((x.loads_per_sortie for x in shuttles), default=0)
    if seats == 0:
        return Bound("airlift, last element", math.inf, "the security force cannot fly: the airlift does not fly or has no seats")
    air_only = sum(c.loads for c in classes if c.carriers == {"air"})
    sorties = (math.ceil(air_only / loads) if air_only and loads else 0) + math.ceil(people / seats)
    if air_only and not loads:
        return Bound("airlift, last element", math.inf, f"{air_only} air-only loads and no room for them on a sortie")
    hours = sorted(t for x in shuttles for t in x.take_offs(sorties))[sorties - 1]
    rates = " / ".join(x.rate_text() for x in shuttles)
    return Bound("airlift, last element", days(hours), f"{sorties} sorties for air-only loads and {people} people last; {rates}")


def open_hours(shut: Closures, start: float, end: float) -> float:
    """Hours between ``start`` and ``end`` when a calendar is open."""
    if end <= start:
        return 0.0
    closed = sum(min(b, end) - max(a, start) for a, b in shut.intervals if a < end and b > start)
    return end - start - closed


def hours_until(done_by: Callable[[float], float], amount: float, start: float) -> float:
    """The earliest hour after ``start`` by which ``done_by(hour)`` (non-decreasing) reaches ``amount``: never later than
    that hour, and less than a minute before it, so a bound built on it stays a lower bound."""
    low, high = start, start + 24.0
    while done_by(high) < amount:
        low, high = high, high * 2
        if high > 24.0 * 10_000:
            return math.inf
    while high - low > 1 / 60:
        mid = (low + high) / 2
        low, high = (low, mid) if done_by(mid) >= amount else (mid, high)
    return low


def binding(bounds: list[Bound]) -> Bound:
    """The resource that alone would take longest (to base empty or to force closure)."""
    return max(bounds, key=lambda b: b.days)


def base_empty_bound(bounds: list[Bound]) -> float:
    """The largest bound on days to base empty (a replication can never be quicker)."""
    return max((b.days for b in bounds if b.applies_to == "base empty"), default=0.0)


def _lanes(count: int) -> str:
    """``1 lane``, ``2 lanes``: a crossing with no lane set still clears convoys through one."""
    n = max(1, count)
    return f"{n} lane" if n == 1 else f"{n} lanes"


def _per_vehicle(minutes: float) -> str:
    """A crossing's time a vehicle as a person says it: ``48 s`` under a minute, ``2.5 min`` above."""
    return f"{60 * minutes:.0f} s" if minutes < 1 else f"{minutes:.1f} min"
