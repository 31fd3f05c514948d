"""The evacuation of a base: every element wired together for one replication.

:func:`simulate` takes a *resolved* scenario (every number drawn) and the
replication's random streams, runs the SimPy model to the last arrival, and
returns an :class:`Outcome`: the two closure dates, what moved how, hours waited
by cause, utilisation, and the daily burn-down. Hour 0 is 2026-02-23 00:00 local.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import numpy as np
import simpy

from sim.model.airlift import Airlift
from sim.model.calendar import NEVER, Closures
from sim.model.cargo import CargoClass, Inventory
from sim.model.convoys import Convoy
from sim.model.crossing import CrossingPoint, choose_crossing, cross_empty
from sim.model.disruptions import PoliticalPause
from sim.model.escort import EscortView
from sim.model.fleet import KINDS, Fleet
from sim.model.movement import daylight_only, departure_window
from sim.model.network import Route
from sim.model.people import Garrison
from sim.scenario.schema import CONVOY_KINDS, Scenario

if TYPE_CHECKING:
    from sim.model.theatre import TheatreOutcome

WAIT_CAUSES = (
    "trucks",
    "loading",
    "escort",
    "air cover",
    "route closed",
    "crossing",
    "daylight",
    "pause",
    "departure slots",
    "departure window",
    "behind another convoy",
)
"""Why convoys waited, in convoy-hours: the columns of every replication record."""

CARRIED_VEHICLES = "vehicles without crew"
"""The cargo class of self-driving vehicles the troops cannot crew: carried on lowboys or HETs."""

RESOURCES = ("trucks", "loading teams", "escort teams", "apaches", "crossing lanes", "airlift")
"""Resources whose utilisation (busy share of the time to base empty) each replication reports;
``airlift`` is the strip's places (working MOG) busy with aircraft on the ground."""


@dataclass(frozen=True)
class Movement:
    """When one kind of convoy may leave a base: its departure calendars, in the order their waits are charged."""

    departure: tuple[tuple[str, Closures], ...]


NO_STRIP = SimpleNamespace(
    runway_m=0.0,
    sorties_per_day=0.0,
    ground_hours=0.0,
    flight_hours=0.0,
    max_on_ground=0,
    aircraft=0,
    destination_hours=0.0,
    c130j=SimpleNamespace(allowed=False, pallets=0, troops=0, runway_m=1.0),
    c17=SimpleNamespace(allowed=False, pallets=0, troops=0, runway_m=1.0),
)
"""A base of a theatre without an airstrip (``airlift`` not given): no sortie flies."""


STREAMS = ("threats", "crossing", "weather", "breakdowns", "cover", "pause", "phasing")
"""Random purposes inside a replication, one ``numpy.random.Generator`` each."""


@dataclass(frozen=True)
class Streams:
    """One random stream per purpose, so changing one disruption leaves the others' draws alone."""

    threats: np.random.Generator
    crossing: np.random.Generator
    weather: np.random.Generator
    breakdowns: np.random.Generator
    cover: np.random.Generator
    pause: np.random.Generator
    phasing: np.random.Generator | None = None  # whether each base of a theatre is left (its ``leaves``)


@dataclass
class Outcome:
    """What one replication of an evacuation produced."""

    hours_to_base_empty: float
    hours_to_force_closure: float
    finished: bool
    convoys: int
    sorties: int
    apache_sorties: int
    diversions: int
    return_diversions: int
    convoys_uncovered: int
    cover_hours_short: float
    breakdowns: int
    loads_at_start: int
    loads_inflow: int
    loads_by_road: int
    loads_by_air: int
    loads_handed_over: int
    vehicles_at_start: int
    vehicles_by_road: int
    vehicles_carried: int
    people_at_start: int
    people_inflow: int
    people_by_road: int
    people_by_air: int
    waits: dict[str, float]
    truck_waits: dict[str, float]
    sortie_waits: dict[str, float]
    utilisation: dict[str, float]
    burndown_cargo: np.ndarray
    burndown_people: np.ndarray
    pause_happened: bool
    stuck_reason: str = ""
    inflow_hour: float | None = None
    timeline: list[dict] = field(default_factory=list)
    theatre: TheatreOutcome | None = None  # for a theatre scenario: every base's outcome, legs, pools, the last out

    @property
    def days_to_base_empty(self) -> float:
        return self.hours_to_base_empty / 24.0

    @property
    def days_to_force_closure(self) -> float:
        return self.hours_to_force_closure / 24.0


class Evacuation:
    """One base and everything that empties it, for one replication.

    The shared parts (pools of trucks, escort teams and Apaches, crossings, roads,
    weather, pause, breakdowns) belong to the :class:`~sim.model.theatre.Theatre`; a
    one-base scenario makes a theatre of its own (the one-base shorthand).
    """

    def __init__(self, env: simpy.Environment, s: Scenario, streams: Streams, trace: bool = False, theatre=None, spec=None) -> None:
        if theatre is None:
            from sim.model.theatre import Theatre

            theatre = Theatre(env, s, streams, trace, build=False)
            spec = theatre.network.bases[theatre.network.main_base]
            theatre.bases[spec.name] = self
        self.env = env
        self.scenario = s
        self.theatre = theatre
        self.spec = spec
        self.name = spec.name
        self.streams = streams
        self.trace = trace
        self.horizon_hours = 24.0 * s.scenario.horizon_days
        net = theatre.network

        troops = int(spec.people.troops)
        security = min(int(spec.people.security_force), troops)
        self.crew = int(spec.vehicles.crew)
        self.vehicles_carried = max(0, int(spec.vehicles.count) - (troops - security) // self.crew)
        self.feeders = [b for b in net.bases.values() if b.send_to == spec.name]
        pools = [theatre.truck_pools[p] for p in spec.pools]
        counts = {k: sum(p.total[k] for p in pools) for k in KINDS}
        classes = []
        for name, c in spec.cargo.classes.items():
            loads = int(c.loads)
            handed = round(loads * c.handed_over_fraction)
            classes.append(CargoClass(name, frozenset(c.carriers), c.priority, loads, handed, loads - handed))
        if self.vehicles_carried:
            # more vehicles than the troops can crew: the rest go on lowboys or HETs, as carried armour did in 2019 and 2026
            n = self.vehicles_carried
            classes.append(CargoClass(CARRIED_VEHICLES, frozenset({"lowboy", "het"}), 1, n, 0, n))
        self._add_feeder_classes(classes)
        self.inventory = Inventory(
            classes,
            spec.cargo.staged_at_start * sum(c.remaining for c in classes),
            spec.cargo.packout_loads_per_day / 24.0,
            frozenset(k for k in KINDS if counts[k] > 0),
        )
        self.sensitive_classes = {name for name, c in spec.cargo.classes.items() if c.is_sensitive}
        for feeder in self.feeders:
            self.sensitive_classes |= {name for name, c in feeder.cargo.classes.items() if c.is_sensitive}
        self.cargo_at_base = self.inventory.remaining
        self.vehicles_left = int(spec.vehicles.count) - self.vehicles_carried
        self.vehicles_at_base = self.vehicles_left
        self.vehicles_inflow = 0
        self.seats = int(spec.vehicles.seats) if spec.vehicles.seats is not None else self.crew
        self.vehicle_share_places = int(spec.vehicles.share_of_convoy * int(s.convoys.size_max))
        self.convoy_size_min, self.convoy_size_max = s.convoys.size_min, int(s.convoys.size_max)
        self.garrison = Garrison(troops - security, security, troops)
        self.last_element_by = spec.people.last_element_by
        self.security_vehicles = self._security_vehicles(spec, security)
        self.seats_per_convoy = int(spec.people.seats_per_convoy)
        self.hours_per_truck = spec.loading.hours_per_truck

        self.fleet = Fleet(
            env,
            counts,
            {k: getattr(s.fleet, k).speed_kmh for k in KINDS},
            s.fleet.breakdowns_per_1000_km,
            {k: int(getattr(s.fleet, k).cab_seats) for k in KINDS},
            pools,
            {p.name: theatre.trucks_start_at(p.name, spec.name) for p in pools},
        )
        self.breakdowns = theatre.breakdowns
        self.loading_teams = int(spec.loading.teams)
        self.escort = EscortView([theatre.escort_pools[p] for p in spec.pools], int(s.escort.vehicles_per_team), s.escort.rest_hours)
        for pool in self.escort.pools:
            pool.listeners.append(self.escort_back)

        self.daylight = theatre.daylight
        self.divert_after_hours = theatre.divert_after_hours
        self.diversions = 0
        self.dust_days = theatre.dust_days
        self.air_cover = theatre.air_cover_for(spec.pools)
        self.airlift = Airlift(env, spec.airlift if spec.airlift is not None else NO_STRIP, spec.cargo.pallets_per_load)

        self.pause = theatre.pause
        self.pause_closures = theatre.pause_closures
        self._movement = {kind: self._movement_of(kind) for kind in CONVOY_KINDS}
        self.departures_by_day: dict[int, int] = {}
        self.max_per_day = int(s.convoys.max_per_day)

        self.queue: list[Convoy] = []
        self._other_crossings: dict[str, list[str]] = {}  # the crossings a convoy heading for one may divert to
        self._dispatch_wake = env.event()
        self._look_at = math.inf
        self.waits = dict.fromkeys(WAIT_CAUSES, 0.0)
        self.truck_waits = dict.fromkeys(KINDS, 0.0)
        self.loading_hours_busy = 0.0
        self.convoys = 0
        self.convoys_formed = 0
        self.return_diversions = 0
        self.stuck = False
        self.stuck_reason = ""
        self.waiting_for_trucks = False  # a convoy too small to form waits for trucks to come
        self.held: dict[int, str] = {}  # what holds each queued convoy, as of the dispatcher's last look
        self.last_look = 0.0
        self.road_done = False
        self._cargo_departed = env.event()
        self._air_wake = env.event()
        self._delivered = env.event()
        self.force_closed = env.event()
        self.emptied = env.event()
        self.in_transit = 0
        self.sorties_on_ground = 0  # loading cargo and people
        self.base_empty_at: float | None = None
        self.started_at: float | None = None
        self.last_arrival = 0.0
        self.log_t = [0.0]
        self.log_cargo = [self.cargo_at_base]
        self.log_people = [self.garrison.at_base]
        self.timeline: list[dict] = []
        self.inflow_hour: float | None = None

    def _add_feeder_classes(self, classes: list[CargoClass]) -> None:
        """A hub receives its feeders' cargo classes (none at the start): their loads arrive with the convoys."""
        names = {c.name for c in classes}
        for feeder in self.feeders:
            extra = [(n, frozenset(c.carriers), c.priority) for n, c in feeder.cargo.classes.items()]
            extra.append((CARRIED_VEHICLES, frozenset({"lowboy", "het"}), 1))
            for name, carriers, priority in extra:
                if name not in names:
                    names.add(name)
                    classes.append(CargoClass(name, carriers, priority, 0, 0, 0))

    # --- routes -------------------------------------------------------------------------
    def route_out(self, speed_cap: float | None, t: float | None = None) -> Route:
        """The route a loaded convoy takes: to its hub, or the quickest way out of the country; from ``t``,
        the quickest whose first road is open (a threat closure re-routes convoys not yet on their way)."""
        net = self.theatre.network
        if self.spec.send_to is not None:
            to_hub = net.route_inside(self.name, self.spec.send_to, speed_cap)
            assert to_hub is not None, "a base reaches its hub (checked when the scenario is read)"
            return to_hub
        routes = net.routes_out(self.name, speed_cap)
        if t is None or len(routes) == 1:
            return routes[0]
        for route in routes:
            if not route.inside or self.theatre.threats[route.inside[0][0].index].is_open(t):
                return route
        return routes[0]

    # --- people and seats -----------------------------------------------------------
    def _security_vehicles(self, spec, security: int) -> int:
        """Vehicles the security force keeps and leaves in: as given, or as many as its people need."""
        if spec.people.last_element_by != "convoy":
            return 0
        if spec.people.security_vehicles is not None:
            return int(spec.people.security_vehicles)
        seats = int(spec.vehicles.seats) if spec.vehicles.seats is not None else self.crew
        return math.ceil(security / seats)

    def troops_not_driving(self) -> int:
        """Troops free to leave beyond the crews the vehicles still at the base need (may be negative when crews are short)."""
        return self.garrison.free_to_leave - self.vehicles_left * self.crew

    def last_element_spare_seats(self) -> int:
        """Seats in the security force's vehicles beyond the security force itself."""
        if self.last_element_by != "convoy":
            return 0
        return max(0, self.security_vehicles * self.seats - self.garrison.security_force)

    def troops_without_seats(self) -> int:
        """Troops (not the security force) who must still leave by road before the last element, beyond its spare seats."""
        if self.last_element_by != "convoy":
            return 0
        return max(0, self.troops_not_driving() - self.last_element_spare_seats())

    def board_road_convoy(self, vehicles: int, trucks: dict[str, int]) -> int:
        """Troops who leave in a convoy: its vehicles' crews, then passengers in the spare seats
        (vehicles, truck cabs, the convoy's own seats), keeping drivers for the vehicles still at the base."""
        crews = self.garrison.leave_by_road(vehicles * self.crew)
        spare = vehicles * (self.seats - self.crew) + self.fleet.seats_in_cabs(trucks) + self.seats_per_convoy
        free = self.troops_not_driving()
        return crews + self.garrison.leave_by_road(max(0, min(spare, free)))

    # --- waiting ----------------------------------------------------------------------
    def wait(self, cause: str, hours: float, convoy: Convoy | None = None) -> None:
        """Charge convoy-hours of waiting to a cause (and to the convoy's own ledger, if it is formed)."""
        if hours > 0:
            self.waits[cause] += hours
            if convoy is not None:
                convoy.waits[cause] = convoy.waits.get(cause, 0.0) + hours

    def wait_for_trucks(self, kind: str | None, hours: float) -> None:
        """A convoy waits to form for trucks to come back: charged to "trucks" and to the type it is short of."""
        self.wait("trucks", hours)
        if kind is not None and hours > 0:
            self.truck_waits[kind] += hours

    # --- departures -------------------------------------------------------------------
    def _movement_of(self, kind: str) -> Movement:
        """When convoys of ``kind`` may leave: a pause, the nights and threats of the first road of the base's
        quickest route (threats: while every first road out is closed), and the departure window."""
        first = self._first_road()
        if first is None:
            nights, window, closed = NEVER, departure_window(self.scenario, kind, False, self.horizon_hours), NEVER
        else:
            by_day = daylight_only(first, kind, self.scenario)
            nights = self.theatre.nights(first, kind)
            window = departure_window(self.scenario, kind, by_day, self.horizon_hours)
            closed = self.theatre.first_roads_closed(self)
        departure = (("pause", self.pause_closures), ("daylight", nights), ("departure window", window), ("route closed", closed))
        return Movement(departure)

    def _first_road(self):
        route = self.route_out(None)
        return route.inside[0][0] if route is not None and route.inside else None

    @property
    def threats(self) -> Closures:
        """Threat closures of the first road of the base's quickest route (the Syrian leg of a one-base scenario)."""
        first = self._first_road()
        return NEVER if first is None else self.theatre.threats[first.index]

    @property
    def crossing_main(self) -> CrossingPoint | None:
        """The crossing of the base's quickest route out (the main crossing of a one-base scenario)."""
        route = self.route_out(None)
        return None if route is None or route.crossing is None else self.theatre.crossings[route.crossing]

    def movement(self, kind: str) -> Movement:
        return self._movement[kind]

    def new_convoy(self, trucks: dict[str, int], loads: dict[str, int], vehicles: int, people: int, t: float, last_element: bool = False) -> Convoy:
        """A convoy formed at ``t``: its escort and whether (and how much) it needs air cover."""
        self.convoys_formed += 1
        convoy = Convoy(self.convoys_formed, trucks, loads, vehicles, people, t, last_element=last_element)
        convoy.escort_teams = self.escort.needed(convoy.size)
        return convoy

    def needs_air_cover(self, convoy: Convoy) -> bool:
        p = self.scenario.air_cover
        draw = self.streams.cover.random()
        if p.always_for_sensitive and convoy.carries_sensitive:
            return True
        return draw < p.share_of_convoys

    def queue_convoy(self, convoy: Convoy) -> None:
        """A loaded convoy joins the departure queue."""
        convoy.needs_cover = self.needs_air_cover(convoy)
        if convoy.needs_cover:
            convoy.cover_sorties = self.air_cover.sorties_for(self.route_out(self.fleet.speed_cap(convoy.trucks)).inside_hours)
        convoy.legs["queued"] = self.env.now
        self.queue.append(convoy)
        self.wake_dispatcher()

    def dispatch_wakeup(self) -> simpy.Event:
        """Fires when a convoy joins the queue or escort teams come back."""
        return self._dispatch_wake

    def escort_back(self) -> None:
        """Escort teams are ready again: a convoy waiting at the gate may leave."""
        if self.queue:
            self.wake_dispatcher()

    def look_again_at(self, t: float) -> None:
        """Wake the dispatcher at ``t`` at the latest: a timer, unless one is already set sooner.

        A timer that an earlier look set for a later time may still fire: the look it
        causes finds nothing changed and costs nothing but the look.
        """
        if t >= self._look_at:
            return
        self._look_at = t
        timer = self.env.timeout(t - self.env.now)
        timer.callbacks.append(self._look_now)

    def _look_now(self, _event: simpy.Event) -> None:
        if self.env.now >= self._look_at:
            self._look_at = math.inf
            self.wake_dispatcher()

    def wake_dispatcher(self) -> None:
        self._dispatch_wake = self._fired(self._dispatch_wake)

    def _fired(self, ev: simpy.Event) -> simpy.Event:
        """Fire ``ev`` for whoever waits on it (if it has not fired yet); the fresh event the next waiter will wait on."""
        if not ev.triggered:
            ev.succeed()
        return self.env.event()

    def next_departure_slot(self, t: float) -> float:
        """``t``, or the start of the next day if today's convoy limit is reached."""
        day = int(t // 24)
        while self.departures_by_day.get(day, 0) >= self.max_per_day:
            day += 1
        return t if day == int(t // 24) else 24.0 * day

    def departure_hold(self, convoy: Convoy, t: float) -> tuple[str | None, float]:
        """What keeps ``convoy`` at the base at ``t`` (first of: pause, daylight, route closed, departure
        slots, escort, air cover) and until when at least; ``(None, t)`` when it may leave now."""
        for cause, closures in self.movement(convoy.kind).departure:
            if not closures.is_open(t):
                return cause, closures.open_at(t)
        slot = self.next_departure_slot(t)
        if slot > t:
            return "departure slots", slot
        if self.escort.ready < convoy.escort_teams:
            return "escort", math.inf
        if convoy.needs_cover and self.air_cover.when_short == "wait":
            ready = self.air_cover.earliest(t, convoy.cover_sorties)
            if ready > t:
                return "air cover", ready
        return None, t

    def convoy_departs(self, convoy: Convoy) -> None:
        t = self.env.now
        day = int(t // 24)
        self.departures_by_day[day] = self.departures_by_day.get(day, 0) + 1
        self.convoys += 1
        convoy.escort_from = self.escort.take(convoy.escort_teams)
        if convoy.needs_cover:
            self.air_cover.commit(t, convoy.cover_sorties, self.route_out(self.fleet.speed_cap(convoy.trucks)).inside_hours)
        convoy.legs["departed"] = t
        self.cargo_at_base -= convoy.load_count
        if not convoy.last_element:  # the security force's own vehicles are not among vehicles.count
            self.vehicles_at_base -= convoy.vehicles
        self._log(t)
        if self.trace:
            convoy.record = {
                "kind": "convoy",
                "number": convoy.number,
                "convoy_kind": convoy.kind,
                "last_element": convoy.last_element,
                "vehicles": convoy.size,
                "loads": convoy.load_count,
                "people": convoy.people,
                "legs": convoy.legs,
                "waits": convoy.waits,
                "formed": convoy.formed_at,
            }
            self.timeline.append(convoy.record)
        self.in_transit += 1
        if convoy.last_element:
            self.mark_empty(t)
        self._check_cargo_departed()

    # --- on the road ------------------------------------------------------------------
    def breakdown_halts(self, convoy: Convoy, km: float) -> float:
        """Trucks that break down on a leg of ``km``; returns the convoy's recovery halts (hours)."""
        if not convoy.trucks:
            return 0.0
        broken, halts = self.breakdowns.on_leg(convoy.trucks, km)
        if broken:
            self.fleet.broke_down(sum(broken.values()))
            b = convoy.legs.setdefault("broken", {})
            for k, n in broken.items():
                b[k] = b.get(k, 0) + n
        return halts

    def repair_hours(self) -> float:
        return self.breakdowns.repair_time()

    def drive(self, convoy: Convoy, daylight: Closures, closed: Closures, t: float, hours: float, road=None) -> float:
        """When ``hours`` of driving from ``t`` end: nights (``daylight``) and, on top, road closures
        (``closed`` includes the nights) halt the convoy; each halt is charged to its cause (and to ``road``)."""
        by_daylight = daylight.finish(t, hours) if daylight else t + hours
        end = by_daylight if closed is daylight else closed.finish(t, hours)
        if by_daylight > t + hours:
            self.wait("daylight", by_daylight - t - hours, convoy)
        if end > by_daylight:
            self.wait("route closed", end - by_daylight, convoy)
        if road is not None:
            self.theatre.on_road(road, end - t - hours)
        convoy.work_hours += hours
        return end

    def drive_roads(self, convoy: Convoy, steps, t: float, speed_cap: float | None, breakdowns: bool = True) -> float:
        """Drive ``steps`` (roads in order) from ``t``: each road's driving hours, its breakdown halts (loaded),
        its nights and closures for the convoy's kind. Returns the arrival time."""
        kind = convoy.kind
        for road, _ in steps:
            hours = road.leg.driving_hours(speed_cap)
            if breakdowns:
                hours += self.breakdown_halts(convoy, road.km)
            nights, closed = self.theatre.calendars(road, kind)
            t = self.drive(convoy, nights, closed, t, hours, road)
        return t

    def choose_crossing(self, t: float, planned: str) -> str:
        """The crossing a convoy reaching ``planned`` at ``t`` takes: ``planned``, unless it stays shut longer than
        ``crossing.divert_after_hours`` and another crossing of the base opens sooner (the first to open)."""
        crossings = self.theatre.crossings
        main = crossings[planned]
        others = self._other_crossings.get(planned)
        if others is None:
            others = self._other_crossings[planned] = [str(r.crossing) for r in self.theatre.network.routes_out(self.name, None) if r.crossing != planned]
        if not others:
            return planned
        if len(others) == 1:
            return choose_crossing(t, main, crossings[others[0]], self.divert_after_hours).key
        open_others = [c for c in others if crossings[c].lanes_count > 0]
        if not open_others:
            return planned
        if main.lanes_count == 0:
            return open_others[0]
        reopens = main.shut.open_at(t)
        if reopens - t > self.divert_after_hours:
            best = min(open_others, key=lambda c: crossings[c].shut.open_at(t))
            if crossings[best].shut.open_at(t) < reopens:
                return best
        return planned

    def return_trip(self, convoy: Convoy, t: float, speed_cap: float | None, home: Evacuation, at: str) -> float:
        """Empty trucks drive back from ``at`` (a destination or a hub) at ``t`` to the base ``home``: from a
        destination, to the crossing of the quickest way back, where they choose as loaded convoys do (another
        crossing if that one stays shut too long: the difference in driving hours is a detour, charged to the
        crossing), then the roads to the base. No breakdowns on the way back."""
        net = self.theatre.network
        if at not in net.destinations:
            to_hub = net.route_inside(at, home.name, speed_cap)
            assert to_hub is not None, "a base reaches its hub (checked when the scenario is read)"
            return self.drive_roads(convoy, _reversed(to_hub.inside), t, speed_cap, breakdowns=False)
        back, outside, inside = net.way_back(home.name, at, speed_cap)
        t = self.drive_roads(convoy, outside, t, speed_cap, breakdowns=False)
        chosen = home.choose_crossing(t, back.crossing)
        point = self.theatre.crossings[chosen]
        through, work = cross_empty(point, t, convoy.truck_count)
        self.wait("crossing", through - t - work, convoy)
        self.theatre.on_road(back.inside[-1][0], through - t - work, passage=False)
        convoy.work_hours += work
        convoy.legs["return crossing"] = point.name
        if chosen == back.crossing:
            detour = 0.0
        else:
            route = net.crossing_route(home.name, chosen, speed_cap)
            assert route is not None, "a convoy diverts only to a crossing of its base"
            detour = route.inside_hours - back.inside_hours
            inside = _reversed(route.inside)
            self.return_diversions += 1
        end = self.drive_roads(convoy, inside, through, speed_cap, breakdowns=False)
        if detour > 0:  # its driving hours are the crossing's doing, not work
            convoy.work_hours -= detour
            self.wait("crossing", detour, convoy)
            self.theatre.on_road(back.inside[-1][0], detour, passage=False)
        return end

    def drive_detour(self, convoy: Convoy, daylight: Closures, closed: Closures, t: float, hours: float, road=None) -> float:
        """The detour to another crossing: driven like the road it ends (halting at night and in closures), its
        driving hours charged to the crossing that sent the convoy round."""
        if hours <= 0:
            return t
        end = self.drive(convoy, daylight, closed, t, hours)
        convoy.work_hours -= hours
        self.wait("crossing", hours, convoy)
        if road is not None:  # the detour and its halts are hours lost on the road it began from
            self.theatre.on_road(road, end - t, passage=False)
        return end

    def trip_ends(self, convoy: Convoy) -> None:
        """The convoy is done (its trucks are back, or it had none): its hours of work go on its record."""
        if convoy.record is not None:
            convoy.record["work_hours"] = convoy.work_hours

    def convoy_arrives(self, convoy: Convoy) -> None:
        self.last_arrival = max(self.last_arrival, self.env.now)
        self.in_transit -= 1
        self._check_force_closed()
        if self.stuck and self.in_transit == 0:
            self._tell_hub()  # a stuck feeder's last convoy on the road has reached the hub

    def _check_force_closed(self) -> None:
        """Force closure: the base is empty and nothing is still on the road."""
        if self.base_empty_at is not None and self.in_transit == 0 and not self.force_closed.triggered:
            self.force_closed.succeed()
            self._tell_hub()

    def _tell_hub(self) -> None:
        """A base sending to a hub is done (closed, or stuck): the hub need not wait for it any more."""
        if self.spec.send_to is not None:
            self.theatre.bases[self.spec.send_to].feeder_news()

    def _trucks_of_pools_return(self, home: Evacuation, by_pool: dict[str, dict[str, int]], broken: dict[str, int], trip: float) -> None:
        """Trucks of several pools come back: broken ones are counted against the pools in order of preference."""
        pools = {p: dict(c) for p, c in by_pool.items()}
        broken_pools: dict[str, list[str]] = {}  # the pool of each broken truck, by type
        for kind, n in broken.items():
            for pool, counts in pools.items():
                b = min(n, counts.get(kind, 0))
                counts[kind] = counts.get(kind, 0) - b
                broken_pools.setdefault(kind, []).extend([pool] * b)
                n -= b
        for pool, counts in by_pool.items():
            home.fleet.pool_trip_done(pool, counts, trip)
        for pool, healthy in pools.items():
            home.fleet.give_back(healthy, pool)
        for kind, n in broken.items():
            for pool in broken_pools.get(kind, [])[:n]:
                home.fleet.repair(kind, home.repair_hours(), pool)

    def trucks_return(self, convoy: Convoy, home: Evacuation | None = None) -> None:
        """The convoy's trucks are back at ``home`` (its own base unless sent where trucks are needed);
        broken ones go to its workshop, each pool's trucks back to that pool."""
        home = home or self
        broken = convoy.legs.get("broken", {})
        trip = self.env.now - convoy.formed_at
        self.fleet.trip_done(convoy.trucks, trip)
        by_pool = convoy.truck_pools or {home.fleet.pools[0].name: convoy.trucks}
        if len(by_pool) == 1:  # the usual case: one pool, as in a one-base scenario
            ((pool, counts),) = by_pool.items()
            home.fleet.pool_trip_done(pool, counts, trip)
            home.fleet.give_back({k: n - broken.get(k, 0) for k, n in counts.items()} if broken else counts, pool)
            for kind, n in broken.items():  # each broken truck to the workshop, in the order they broke down
                for _ in range(n):
                    home.fleet.repair(kind, home.repair_hours(), pool)
        else:
            self._trucks_of_pools_return(home, by_pool, broken, trip)
        if home is not self or home.road_done:
            self.theatre.trucks_arrived(home)

    # --- airlift ----------------------------------------------------------------------
    def air_grounded_until(self, t: float) -> float:
        """When aircraft may next fly: after a dust day or a political pause."""
        while True:
            t2 = self.pause_closures.open_at(t)
            day = int(t2 // 24)
            if day in self.dust_days:
                t2 = 24.0 * (day + 1)
            if t2 == t:
                return t
            t = t2

    def people_free_for_air(self) -> int:
        """Troops who may fly now: not the security force, not drivers still needed for vehicles (none if aircraft have no seat)."""
        if self.airlift.seats_per_sortie == 0:
            return 0
        return max(0, self.troops_not_driving())

    def base_emptied_without_last_element(self) -> None:
        """Nobody was left for the last element: the base emptied when the last cargo, vehicle and person left."""
        self.mark_empty(self.env.now)
        self._check_force_closed()

    def mark_empty(self, t: float) -> None:
        """The base is empty at ``t``: bases that start after it may start."""
        self.base_empty_at = t
        if not self.emptied.triggered and self.emptied.callbacks:  # only a base that starts after this one waits on it
            self.emptied.succeed()

    def last_element_ready(self) -> bool:
        return self._cargo_departed.triggered

    def air_wakeup(self, t: float) -> simpy.Event | None:
        """What the strip waits for when it has nothing to fly, or None when it is done."""
        inv = self.inventory
        if inv.air_remaining() > 0 and inv.staged(t) < inv.air_remaining() and inv.staged(t) == 0:
            return self.env.timeout(inv.hours_until_staged(t, 1)) | self._air_wake
        if self.last_element_by == "sortie":
            return self._cargo_departed | self._air_wake
        if inv.air_remaining() > 0:
            return self._air_wake
        return None if self.road_done else self._air_wake

    def sortie_boards(self) -> None:
        self.sorties_on_ground += 1

    def sortie_departs(self, loads: int, people: int, last: bool = False) -> None:
        t = self.env.now
        self.sorties_on_ground -= 1
        self.airlift.sortie_flown()
        self.cargo_at_base -= loads
        self._log(t)
        arrival = t + self.airlift.flight_hours
        self.last_arrival = max(self.last_arrival, arrival)
        self.theatre.out_of_country(t)
        if self.trace:
            self.timeline.append(
                {"kind": "sortie", "number": self.airlift.sorties, "loads": loads, "people": people, "legs": {"departed": t, "arrived": arrival}}
            )
        if last:
            self.mark_empty(t)
        self._check_cargo_departed()
        self._check_force_closed()

    # --- the end ----------------------------------------------------------------------
    def begin(self, t: float) -> None:
        """The base starts to empty at ``t``: pack-out starts."""
        self.started_at = t
        self.inventory.start(t)

    def stays(self) -> None:
        """The base is not left in this replication: nothing will go by road."""
        self.road_done = True

    def road_dispatch_done(self) -> None:
        self.road_done = True
        self._wake_air()
        self._check_cargo_departed()
        self.theatre.trucks_arrived(self)

    # --- a hub --------------------------------------------------------------------------
    def waiting_for_feeders(self) -> bool:
        """A hub whose feeders (bases sending to it) still have cargo, vehicles or people to send."""
        return any(not self.theatre.bases[f.name].done_feeding for f in self.feeders)

    @property
    def done_feeding(self) -> bool:
        """A base that stays, is stuck, or whose convoys have all arrived (at its hub, or out)."""
        return not self.theatre.leaves[self.name] or self.force_closed.triggered or (self.stuck and self.in_transit == 0)

    def deliveries(self) -> simpy.Event:
        """Fires when a convoy from a feeder has unloaded at this hub, or a feeder is done."""
        return self._delivered

    def deliver(self, convoy: Convoy) -> None:
        """A feeder's convoy unloaded here: its loads join staging (by class), its vehicles and people the base."""
        self.inventory.receive(convoy.loads)
        self.cargo_at_base += convoy.load_count
        vehicles = convoy.vehicles
        self.vehicles_left += vehicles
        self.vehicles_at_base += vehicles
        self.vehicles_inflow += vehicles
        self.garrison.reinforce(convoy.people)
        self._log(self.env.now)
        self._wake_air()
        self.feeder_news()

    def feeder_news(self) -> None:
        self._delivered = self._fired(self._delivered)

    def cargo_departed(self) -> simpy.Event:
        """Fires once every load and vehicle has left the base: the last element may go."""
        return self._cargo_departed

    def _check_cargo_departed(self) -> None:
        if (
            self.road_done
            and self.cargo_at_base == 0
            and self.vehicles_at_base == 0
            and self.inventory.remaining == 0
            and not self.sorties_on_ground
            and self.troops_without_seats() == 0
            and not self._cargo_departed.triggered
        ):
            self._cargo_departed.succeed()
            self._wake_air()

    def _wake_air(self) -> None:
        self._air_wake = self._fired(self._air_wake)

    def _log(self, t: float) -> None:
        self.log_t.append(t)
        self.log_cargo.append(self.cargo_at_base)
        self.log_people.append(self.garrison.at_base)

    def reinforcements_arrive(self):
        """A political pause: reinforcements and their equipment flow into the base."""
        pause = cast(PoliticalPause, self.pause)  # started only in a replication that has a pause
        yield self.env.timeout(pause.start_hour)
        if self.road_done:
            return
        self.inflow_hour = self.env.now
        self.inventory.add_inflow(pause.inflow_loads)
        self.cargo_at_base += pause.inflow_loads
        self.garrison.reinforce(pause.inflow_troops)
        self._log(self.env.now)
        self._wake_air()

    # --- results ----------------------------------------------------------------------
    def check_nothing_lost(self, finished: bool) -> None:
        """Every load, vehicle and person at the start (or flowing in) has left, or is still at the base.

        A programmer's check, run on every replication: a violation is a model bug.
        """
        inv = self.inventory
        moved = sum(c.by_road + c.by_air for c in inv.classes)
        still = sum(c.remaining for c in inv.classes)
        g = self.garrison
        people_left = g.by_road + g.by_air
        vehicles = int(self.spec.vehicles.count) - self.vehicles_carried + self.vehicles_inflow
        ok = moved + still == inv.to_move and people_left + g.at_base == g.at_start + g.inflow and self.vehicles_at_base >= 0
        if finished:
            ok = ok and still == 0 and g.at_base == 0 and self.vehicles_at_base == 0 and self.cargo_at_base == 0
        if not ok:
            raise AssertionError(
                f"conservation broken: loads {inv.to_move} to move, {moved} moved, {still} left; people {g.at_start}+{g.inflow}, "
                f"{people_left} left, {g.at_base} at the base; vehicles {vehicles}, {self.vehicles_at_base} at the base"
            )

    def cargo_no_carrier_can_take(self) -> str:
        """Why cargo left at the base can never go (no truck of its carriers in this replication, no aircraft flying), or ''."""
        for cls in self.inventory.classes:
            if cls.remaining and not ("air" in cls.carriers and self.airlift.flies):
                return f"{cls.remaining} loads of {cls.name}: no truck of its carriers ({', '.join(sorted(cls.carriers))}) and no aircraft can take them"
        return ""

    def never_finishes(self, reason: str) -> None:
        """The base can never empty in this replication, for ``reason``: it runs to the horizon and says why."""
        self.stuck = True
        self.stuck_reason = reason
        self._tell_hub()

    def charge_the_queue_to_the_end(self) -> None:
        """Convoys still queued when the run ends waited from the dispatcher's last look until now, for what held them."""
        for convoy in self.queue:
            cause = self.held.get(convoy.number)
            if cause:
                self.wait(cause, self.env.now - self.last_look, convoy)
        self.last_look = self.env.now

    def outcome(self) -> Outcome:
        self.charge_the_queue_to_the_end()
        finished = self.base_empty_at is not None and not self.stuck
        self.check_nothing_lost(finished)
        empty = cast(float, self.base_empty_at) if finished else self.horizon_hours  # finished: the base has emptied
        closure = max(self.last_arrival, empty) if finished else self.horizon_hours
        inv = self.inventory
        span = max(empty, 1e-9)
        crossings = self.theatre.crossings.values()
        lanes = sum(c.lane_hours_busy for c in crossings)
        lane_count = sum(c.lanes_count for c in crossings)
        trucks = sum(self.fleet.total.values())
        strip_hours = self.airlift.max_on_ground * span if self.airlift.flies else 0.0
        apache_slots = self.air_cover.capacity(span)
        utilisation = {
            "trucks": _share(self.fleet.truck_hours_busy, trucks * span),
            "loading teams": _share(self.loading_hours_busy, span),
            "escort teams": _share(self.escort.team_hours_busy, self.escort.teams * span),
            "apaches": _share(self.air_cover.sorties_flown, apache_slots),
            "crossing lanes": _share(lanes, lane_count * span),
            "airlift": _share(self.airlift.place_hours_busy, strip_hours),
            **{f"trucks ({k})": _share(self.fleet.hours_busy[k], n * span) for k, n in self.fleet.total.items()},
        }
        days = math.ceil(self.horizon_hours / 24.0) + 1
        edges = np.arange(days, dtype=float) * 24.0
        idx = np.searchsorted(np.asarray(self.log_t), edges, side="right") - 1
        return Outcome(
            hours_to_base_empty=empty,
            hours_to_force_closure=closure,
            finished=finished,
            convoys=self.convoys,
            sorties=self.airlift.sorties,
            apache_sorties=self.air_cover.sorties_flown,
            diversions=self.diversions,
            return_diversions=self.return_diversions,
            convoys_uncovered=self.air_cover.convoys_uncovered,
            cover_hours_short=self.air_cover.hours_short,
            breakdowns=self.fleet.breakdowns,
            loads_at_start=sum(c.at_start for c in inv.classes),
            loads_inflow=inv.inflow_total,
            loads_by_road=sum(c.by_road for c in inv.classes),
            loads_by_air=sum(c.by_air for c in inv.classes),
            loads_handed_over=sum(c.handed_over for c in inv.classes),
            vehicles_at_start=int(self.spec.vehicles.count),
            vehicles_by_road=int(self.spec.vehicles.count) + self.vehicles_inflow - self.vehicles_carried - self.vehicles_at_base,
            vehicles_carried=self.vehicles_carried,
            people_at_start=self.garrison.at_start,
            people_inflow=self.garrison.inflow,
            people_by_road=self.garrison.by_road,
            people_by_air=self.garrison.by_air,
            waits=dict(self.waits),
            truck_waits=dict(self.truck_waits),
            sortie_waits=dict(self.airlift.waits),
            utilisation=utilisation,
            burndown_cargo=np.asarray(self.log_cargo, dtype=np.int32)[idx],
            burndown_people=np.asarray(self.log_people, dtype=np.int32)[idx],
            pause_happened=self.pause is not None,
            stuck_reason=self.stuck_reason,
            inflow_hour=self.inflow_hour,
            timeline=self.timeline,
        )


def _share(busy: float, available: float) -> float:
    return float(min(1.0, busy / available)) if available > 0 else 0.0


def simulate(scenario: Scenario, streams: Streams, trace: bool = False) -> tuple[Outcome, int]:
    """Run one replication of a resolved scenario; returns the main base's outcome (with the theatre's, for a
    theatre scenario, in ``outcome.theatre``) and the SimPy events it took."""
    from sim.model.theatre import simulate_theatre

    theatre, events = simulate_theatre(scenario, streams, trace)
    outcome = theatre.bases[theatre.main]
    if scenario.is_theatre:
        outcome.theatre = theatre
    return outcome, events


__all__ = ["RESOURCES", "STREAMS", "WAIT_CAUSES", "Closures", "Evacuation", "Outcome", "Streams", "simulate"]


def _reversed(steps):
    """The same roads driven the other way."""
    return tuple(reversed(steps))
