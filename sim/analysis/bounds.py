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

from sim.model.airlift import Airlift
from sim.model.calendar import Closures
from sim.model.crossing import CrossingPoint, cross_empty, scheduled_closures
from sim.model.fleet import CONTRACTED, KINDS
from sim.model.loading import loading_hours
from sim.model.movement import movement_rules
from sim.model.route import Leg
from sim.names import TRUCK_TYPES
from sim.scenario.draws import resolve
from sim.scenario.schema import CONVOY_KINDS, Scenario, strips_of


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
    """When a convoy of one kind (contracted or military) may leave the base and move on each leg.

    ``departure`` is closed outside its departure window (narrowed to daylight when it may
    not drive the Syrian leg at night); ``syria`` and ``iraq`` are closed at night on a leg
    where it must halt overnight. Pauses and road closures are left out: they only add time.
    """

    departure: Closures
    syria: Closures
    iraq: Closures


def convoy_clocks(s: Scenario, horizon_hours: float) -> dict[str, Clock]:
    """The clock of each convoy kind, by the movement rules the model applies (``sim.model.movement``)."""
    rules = {kind: movement_rules(s, kind, horizon_hours) for kind in CONVOY_KINDS}
    return {kind: Clock(r.departure_window, r.syria_nights, r.iraq_nights) for kind, r in rules.items()}


def earliest_departure(clocks: Iterable[Clock], t: float) -> float:
    """The earliest hour at or after ``t`` when a convoy of any of these kinds may leave the base."""
    return min(clock.departure.open_at(t) for clock in clocks)


def crossings_in_use(s: Scenario, horizon_hours: float) -> list[tuple[CrossingPoint, float]]:
    """The crossings a convoy may use, each with the detour (km) to reach it: 0 for the main crossing.

    Each is shut outside its opening hours and during its known closures; random closures
    are left out (they only add time). The alternate is used only if it has lanes, the
    main one only if it has lanes or there is no alternate to use.
    """
    env = simpy.Environment()  # the crossings' lanes are never requested here

    def point(p) -> CrossingPoint:
        return CrossingPoint(env, p, scheduled_closures(p), horizon_hours)

    main, alt = s.crossing.main, s.crossing.alternate
    if alt is None or int(alt.lanes) == 0:
        return [(point(main), 0.0)]
    if int(main.lanes) == 0:
        return [(point(alt), alt.extra_km)]
    return [(point(main), 0.0), (point(alt), alt.extra_km)]


@dataclass(frozen=True)
class TruckCycle:
    """The quickest one truck of a type can go from one departure from the base to the next, on the clock.

    Syrian leg in daylight if its convoy's kind must, the crossing (a convoy of one
    vehicle, the alternate with its detour if quicker), Iraqi leg, unloading, the empty
    return the same way, and loading before leaving again in the departure window.
    Hours of work: ``syria_hours`` and ``iraq_hours`` driving (halts included, at the
    type's loaded speed), ``unload_hours`` and ``load_hours`` for one truck.
    """

    clocks: tuple[Clock, ...]
    crossings: tuple[CrossingPoint, ...]
    detour_hours: tuple[float, ...]  # to reach each crossing, 0 for the main one
    syria_hours: float
    iraq_hours: float
    unload_hours: float
    load_hours: float

    def back_at_base(self, departed: float, clock: Clock) -> float:
        """When a truck that left at hour ``departed`` in a convoy on ``clock`` is back at the base, at the earliest."""
        at_border = clock.syria.finish(departed, self.syria_hours)
        crossed = min(p.shut.finish(at_border + d, p.processing_hours(1)) for p, d in zip(self.crossings, self.detour_hours, strict=True))
        unloaded = clock.iraq.finish(crossed, self.iraq_hours) + self.unload_hours
        at_border = clock.iraq.finish(unloaded, self.iraq_hours)
        return min(clock.syria.finish(cross_empty(p, at_border, 1)[0], self.syria_hours + d) for p, d in zip(self.crossings, self.detour_hours, strict=True))

    def departures(self, trips: int) -> list[float]:
        """Hours at which one truck can leave the base loaded, at the earliest, for its first ``trips`` trips."""
        out: list[float] = []
        back = 0.0
        for _ in range(trips):
            out.append(earliest_departure(self.clocks, back + self.load_hours))
            back = min(self.back_at_base(out[-1], clock) for clock in self.clocks)
        return out


def truck_cycle(s: Scenario, kind: str, clocks: dict[str, Clock], crossings: list[tuple[CrossingPoint, float]]) -> TruckCycle:
    """The cycle of a truck type: contracted types move under the contracted convoys' rules; military
    trucks and HETs under the military ones, or either when they may join contracted convoys."""
    kinds: tuple[str, ...]
    if kind in CONTRACTED:
        kinds = ("contracted",)
    else:
        kinds = ("military",) if s.convoys.separate_contracted else CONVOY_KINDS
    syria, iraq = Leg.of(s.route.syria), Leg.of(s.route.iraq)
    cap = getattr(s.fleet, kind).speed_kmh
    syria_hours = syria.driving_hours(cap)
    return TruckCycle(
        tuple(clocks[k] for k in kinds),
        tuple(p for p, _ in crossings),
        tuple(syria.driving_hours(cap, km) - syria_hours for _, km in crossings),
        syria_hours,
        iraq.driving_hours(cap),
        loading_hours(1, int(s.destination.unload_teams), s.destination.unload_hours_per_truck),
        loading_hours(1, int(s.loading.teams), s.loading.hours_per_truck),
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
    def each_of(cls, s: Scenario) -> tuple[Shuttle, ...]:
        """The scenario's airstrips that fly, each as the model flies it (none: no sortie flies)."""
        out = []
        for _, strip in strips_of(s.airlift):
            lift = Airlift(simpy.Environment(), strip, s.cargo.pallets_per_load)
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
    from sim.scenario.schema import TheatreScenario

    if not isinstance(scenario, TheatreScenario):
        return None
    name = base or scenario.main_base
    title = scenario.bases[name].title
    return f"{title} (the main base)" if name == scenario.main_base else title


def capacity_bounds(scenario: Scenario, base: str | None = None) -> list[Bound]:
    """Bounds for a scenario; distributions are taken at their medians (use a resolved scenario for exact ones).

    For a theatre, the bounds of one base (``base``, its short name; default the main base) as the one-base
    scenario it stands for (:func:`sim.scenario.base_view.base_view`: the resources of its pools all its own, so
    still lower bounds); :func:`bounds_subject` says whose in words.
    """
    from sim.scenario.schema import TheatreScenario

    if isinstance(scenario, TheatreScenario):
        from sim.scenario.base_view import base_view

        if base is not None and base not in scenario.bases:
            raise ValueError(f"--base {base}: the theatre has no such base; its bases are {', '.join(scenario.bases)}")
        scenario = base_view(scenario, base or scenario.main_base)
    elif base is not None:
        raise ValueError(f"--base {base}: the scenario has one base; --base names a base of a theatre file (one with [sites])")
    s = resolve(scenario, {}, set())
    horizon_hours = 24.0 * s.scenario.horizon_days
    clocks = convoy_clocks(s, horizon_hours)
    crossings = crossings_in_use(s, horizon_hours)
    carriers = Carriers(
        {k: int(getattr(s.fleet, k).count) for k in KINDS},
        {k: truck_cycle(s, k, clocks, crossings) for k in KINDS},
        Shuttle.each_of(s),
    )
    classes = [ClassLoads(int(c.loads) - round(int(c.loads) * c.handed_over_fraction), frozenset(c.carriers)) for c in s.cargo.classes.values()]
    road_loads = sum(c.loads for c in classes if not c.may_fly)
    convoys = fewest_convoys(s, classes)

    out = [pack_out_bound(s, classes, clocks, carriers)]
    out.append(loading_bound(s, road_loads, clocks))
    out.extend(carrier_bounds(classes, carriers))
    out.append(departure_slots_bound(s, convoys, clocks))
    out.append(escort_bound(s, convoys, road_loads, clocks))
    out.append(crossing_bound(s, road_loads, clocks, crossings))
    if s.people.last_element_by == "sortie":
        out.append(last_element_by_air_bound(s, classes, carriers.shuttles))
    return out


def days(hours: float) -> float:
    """Hours on the clock as days."""
    return hours / 24.0


def security_force(s: Scenario) -> int:
    """People who stay to the end and leave as the last element (none: there is no last element)."""
    return min(int(s.people.security_force), int(s.people.troops))


def last_element_convoys(s: Scenario) -> int:
    """1 if the security force leaves last in a convoy of its own, else 0."""
    return 1 if s.people.last_element_by == "convoy" and security_force(s) > 0 else 0


def fewest_convoys(s: Scenario, classes: list[ClassLoads]) -> int:
    """Convoys that must leave at least: road-only loads and self-driving vehicles in convoys of at most
    ``convoys.size_max`` vehicles (contracted trucks apart when they form convoys of their own), and the last element."""
    size = max(1, int(s.convoys.size_max))
    vehicles = int(s.vehicles.count)
    road = [c for c in classes if not c.may_fly]
    cargo = math.ceil((sum(c.loads for c in road) + vehicles) / size)
    if s.convoys.separate_contracted:
        contracted = sum(c.loads for c in road if c.carriers <= CONTRACTED)
        military = sum(c.loads for c in road if not c.carriers & CONTRACTED)
        cargo = max(cargo, math.ceil(contracted / size) + math.ceil((military + vehicles) / size))
    return cargo + last_element_convoys(s)


def pack_out_bound(s: Scenario, classes: list[ClassLoads], clocks: dict[str, Clock], carriers: Carriers) -> Bound:
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


def loading_bound(s: Scenario, road_loads: int, clocks: dict[str, Clock]) -> Bound:
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


def departure_slots_bound(s: Scenario, convoys: int, clocks: dict[str, Clock]) -> Bound:
    """At most ``convoys.max_per_day`` convoys leave each calendar day: the last leaves on its day, in the window."""
    per_day = int(s.convoys.max_per_day)
    if per_day <= 0:
        hours = math.inf
    else:
        hours = earliest_departure(clocks.values(), 24.0 * (math.ceil(convoys / per_day) - 1)) if convoys else 0.0
    return Bound("departure slots", days(hours), f"at least {convoys} convoys of <= {int(s.convoys.size_max)} vehicles, {per_day} a day")


def escort_bound(s: Scenario, convoys: int, road_loads: int, clocks: dict[str, Clock]) -> Bound:
    """Every convoy leaves with enough escort teams (one per ``vehicles_per_team`` vehicles, all teams at most).

    A team goes out with its convoy on the Syrian leg (at night only if the convoy may),
    drives back, rests, and takes the next convoy in the departure window: the team with
    the most missions bounds when the last convoy leaves. No team: convoys go unescorted.
    """
    teams = int(s.escort.teams)
    if teams == 0:
        return Bound("escort teams", 0.0, "no escort teams: convoys leave without one")
    size = max(1, int(s.convoys.size_max))
    per_team = max(1, int(s.escort.vehicles_per_team))
    in_cargo_convoys = road_loads + int(s.vehicles.count)
    # A cargo convoy of v <= size_max vehicles takes min(teams, ceil(v / per_team)) >= v x min(teams / size_max, 1 / per_team) teams.
    missions = max(convoys, math.ceil(in_cargo_convoys * min(teams / size, 1 / per_team) - 1e-9) + last_element_convoys(s))
    syria = Leg.of(s.route.syria).driving_hours()
    rest = s.escort.rest_hours
    leaves = earliest_departure(clocks.values(), 0.0)
    for _ in range(math.ceil(missions / teams) - 1):
        at_border = min(clock.syria.finish(leaves, syria) for clock in clocks.values())
        leaves = earliest_departure(clocks.values(), at_border + syria + rest)
    hours = leaves if missions else 0.0
    return Bound("escort teams", days(hours), f"at least {missions} team missions, {teams} teams, Syrian leg out and back and {rest:.3g} h rest")


def crossing_bound(s: Scenario, road_loads: int, clocks: dict[str, Clock], crossings: list[tuple[CrossingPoint, float]]) -> Bound:
    """The lanes clear road-only loads and self-driving vehicles only while open, from when the first convoy
    can reach them; each vehicle takes its minutes and its share of a convoy's fixed processing. The last
    one then drives the Iraqi leg: a bound on force closure."""
    vehicles = road_loads + int(s.vehicles.count)
    size = max(1, int(s.convoys.size_max))
    syria, iraq = Leg.of(s.route.syria), Leg.of(s.route.iraq)
    first_away = earliest_departure(clocks.values(), 0.0)
    at_border = min(clock.syria.finish(first_away, syria.driving_hours()) for clock in clocks.values())
    lanes = []
    for p, km in crossings:
        detour = syria.driving_hours(None, km) - syria.driving_hours()
        lanes.append((p, at_border + detour, p.minutes_per_vehicle / 60.0 + p.fixed_hours / size))

    def cleared(t: float) -> float:
        return sum(max(1, p.lanes_count) * open_hours(p.shut, start, t) / each if each > 0 else math.inf for p, start, each in lanes if t > start)

    through = hours_until(cleared, vehicles, min(start for _, start, _ in lanes)) if vehicles else 0.0
    arrived = min(clock.iraq.finish(through, iraq.driving_hours()) for clock in clocks.values()) if vehicles else 0.0
    names = ", ".join(f"{p.name} {_lanes(p.lanes_count)} at {_per_vehicle(p.minutes_per_vehicle)} a vehicle" for p, _ in crossings)
    return Bound("crossing lanes", days(arrived), f"{vehicles} vehicles; {names}; then the Iraqi leg", "force closure")


def last_element_by_air_bound(s: Scenario, classes: list[ClassLoads], shuttles: tuple[Shuttle, ...]) -> Bound:
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
