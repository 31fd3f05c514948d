"""The evacuation of a base: every element wired together for one replication.

:func:`simulate` takes a *resolved* scenario (every number drawn) and the
replication's random streams, runs the SimPy model to the last arrival, and
returns an :class:`Outcome`: the two closure dates, what moved how, hours waited
by cause, utilisation, and the daily burn-down. Hour 0 is 2026-02-23 00:00 local.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import simpy

from sim.model.air_cover import AirCover
from sim.model.airlift import Airlift, fly_sorties
from sim.model.calendar import NEVER, Closures, daily
from sim.model.cargo import CargoClass, Inventory
from sim.model.convoys import Convoy, dispatch_convoys, form_convoys, send_for_repair
from sim.model.counting import CountingEnvironment
from sim.model.crossing import CrossingPoint, choose_crossing, cross_empty
from sim.model.disruptions import crossing_closures, dust_days, political_pause, route_threats
from sim.model.escort import EscortTeams
from sim.model.fleet import KINDS, Breakdowns, Fleet
from sim.model.movement import movement_rules
from sim.model.people import Garrison
from sim.model.route import Leg
from sim.scenario.schema import CONVOY_KINDS, Scenario

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
    """When one kind of convoy may move: its departure calendars and, per leg, its nights and closures."""

    departure: tuple[tuple[str, Closures], ...]
    syria_daylight: Closures
    syria: Closures
    iraq_daylight: Closures


STREAMS = ("threats", "crossing", "weather", "breakdowns", "cover", "pause")
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

    @property
    def days_to_base_empty(self) -> float:
        return self.hours_to_base_empty / 24.0

    @property
    def days_to_force_closure(self) -> float:
        return self.hours_to_force_closure / 24.0


class Evacuation:
    """The base and everything that empties it, for one replication."""

    def __init__(self, env: simpy.Environment, s: Scenario, streams: Streams, trace: bool = False) -> None:
        self.env = env
        self.scenario = s
        self.streams = streams
        self.trace = trace
        self.horizon_hours = 24.0 * s.scenario.horizon_days
        horizon_days = int(s.scenario.horizon_days)

        troops = int(s.people.troops)
        security = min(int(s.people.security_force), troops)
        self.crew = int(s.vehicles.crew)
        self.vehicles_carried = max(0, int(s.vehicles.count) - (troops - security) // self.crew)
        classes = []
        for name, c in s.cargo.classes.items():
            loads = int(c.loads)
            handed = round(loads * c.handed_over_fraction)
            classes.append(CargoClass(name, frozenset(c.carriers), c.priority, loads, handed, loads - handed))
        if self.vehicles_carried:
            # more vehicles than the troops can crew: the rest go on lowboys or HETs, as carried armour did in 2019 and 2026
            n = self.vehicles_carried
            classes.append(CargoClass(CARRIED_VEHICLES, frozenset({"lowboy", "het"}), 1, n, 0, n))
        self.inventory = Inventory(
            classes,
            s.cargo.staged_at_start * sum(c.remaining for c in classes),
            s.cargo.packout_loads_per_day / 24.0,
            frozenset(k for k in KINDS if int(getattr(s.fleet, k).count) > 0),
        )
        self.sensitive_classes = {name for name, c in s.cargo.classes.items() if c.is_sensitive}
        self.cargo_at_base = self.inventory.remaining
        self.vehicles_left = int(s.vehicles.count) - self.vehicles_carried
        self.vehicles_at_base = self.vehicles_left
        self.seats = int(s.vehicles.seats) if s.vehicles.seats is not None else self.crew
        self.vehicle_share_places = int(s.vehicles.share_of_convoy * int(s.convoys.size_max))
        self.convoy_size_min, self.convoy_size_max = s.convoys.size_min, int(s.convoys.size_max)
        self.garrison = Garrison(troops - security, security, troops)
        self.last_element_by = s.people.last_element_by
        self.security_vehicles = self._security_vehicles(s, security)

        self.fleet = Fleet(
            env,
            {k: int(getattr(s.fleet, k).count) for k in KINDS},
            {k: getattr(s.fleet, k).speed_kmh for k in KINDS},
            s.fleet.breakdowns_per_1000_km,
            {k: int(getattr(s.fleet, k).cab_seats) for k in KINDS},
        )
        self.breakdowns = Breakdowns(streams.breakdowns, s.fleet.breakdowns_per_1000_km, s.fleet.recovery_hours, s.fleet.repair_hours)
        self.loading_teams = int(s.loading.teams)
        self.unload_teams = int(s.destination.unload_teams)
        self.escort = EscortTeams(int(s.escort.teams), int(s.escort.vehicles_per_team), s.escort.rest_hours)

        self.route_syria = Leg.of(s.route.syria)
        self.route_iraq = Leg.of(s.route.iraq)
        self.syria_hours = self.route_syria.driving_hours()
        threats = route_threats(streams.threats, s.route.threats.closures_per_week, s.route.threats.closure_hours, self.horizon_hours)
        self.threats = threats
        c = s.convoys
        self.daylight = daily(c.daylight[0], c.daylight[1], self.horizon_hours)

        self.crossing_main = CrossingPoint(env, s.crossing.main, crossing_closures(streams.crossing, s.crossing.main, self.horizon_hours), self.horizon_hours)
        alt = s.crossing.alternate
        self.crossing_alternate = (
            None if alt is None else CrossingPoint(env, alt, crossing_closures(streams.crossing, alt, self.horizon_hours), self.horizon_hours)
        )
        self.divert_after_hours = s.crossing.divert_after_hours
        self.diversions = 0

        self.dust_days = dust_days(streams.weather, s.weather.dust_day_probability, horizon_days)
        self.air_cover = AirCover(
            int(s.air_cover.apaches),
            s.air_cover.sorties_per_aircraft_per_day,
            s.air_cover.hours_on_station,
            self.dust_days,
            horizon_days,
            s.air_cover.when_short,
        )
        self.airlift = Airlift(env, s.airlift, s.cargo.pallets_per_load)

        self.pause = political_pause(streams.pause, s.pause)
        self.pause_closures = self.pause.closures if self.pause else NEVER
        self._movement = {kind: self._movement_of(kind) for kind in CONVOY_KINDS}
        self.departures_by_day: dict[int, int] = {}
        self.max_per_day = int(c.max_per_day)

        self.queue: list[Convoy] = []
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
        self.held: dict[int, str] = {}  # what holds each queued convoy, as of the dispatcher's last look
        self.last_look = 0.0
        self.road_done = False
        self._cargo_departed = env.event()
        self._air_wake = env.event()
        self.force_closed = env.event()
        self.in_transit = 0
        self.sorties_on_ground = 0  # loading cargo and people
        self.base_empty_at: float | None = None
        self.last_arrival = 0.0
        self.log_t = [0.0]
        self.log_cargo = [self.cargo_at_base]
        self.log_people = [self.garrison.at_base]
        self.timeline: list[dict] = []
        self.inflow_hour: float | None = None

    # --- people and seats -----------------------------------------------------------
    def _security_vehicles(self, s: Scenario, security: int) -> int:
        """Vehicles the security force keeps and leaves in: as given, or as many as its people need."""
        if s.people.last_element_by != "convoy":
            return 0
        if s.people.security_vehicles is not None:
            return int(s.people.security_vehicles)
        return math.ceil(security / self.seats)

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
        spare = vehicles * (self.seats - self.crew) + self.fleet.seats_in_cabs(trucks) + int(self.scenario.people.seats_per_convoy)
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
        """When convoys of ``kind`` may leave and move: the movement rules, a pause, and threats on the Syrian leg."""
        rules = movement_rules(self.scenario, kind, self.horizon_hours)
        departure = (
            ("pause", self.pause_closures),
            ("daylight", rules.syria_nights),
            ("departure window", rules.departure_window),
            ("route closed", self.threats),
        )
        return Movement(departure, rules.syria_nights, rules.syria_nights | self.threats, rules.iraq_nights)

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
            convoy.cover_sorties = self.air_cover.sorties_for(self.route_syria.driving_hours(self.fleet.speed_cap(convoy.trucks)))
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
        self.escort.take(convoy.escort_teams)
        if convoy.needs_cover:
            self.air_cover.commit(t, convoy.cover_sorties, self.route_syria.driving_hours(self.fleet.speed_cap(convoy.trucks)))
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
            self.base_empty_at = t
        self._check_cargo_departed()

    # --- on the road ------------------------------------------------------------------
    def breakdown_halts(self, convoy: Convoy, km: float) -> float:
        """Trucks that break down on a leg of ``km``; returns the convoy's recovery halts (hours)."""
        if not convoy.trucks:
            return 0.0
        broken, halts = self.breakdowns.on_leg(convoy.trucks, km)
        if broken:
            self.fleet.breakdowns += sum(broken.values())
            b = convoy.legs.setdefault("broken", {})
            for k, n in broken.items():
                b[k] = b.get(k, 0) + n
        return halts

    def repair_hours(self) -> float:
        return self.breakdowns.repair_time()

    def drive(self, convoy: Convoy, daylight: Closures, closed: Closures, t: float, hours: float) -> float:
        """When ``hours`` of driving from ``t`` end: nights (``daylight``) and, on top, road closures
        (``closed`` includes the nights) halt the convoy; each halt is charged to its cause."""
        by_daylight = daylight.finish(t, hours) if daylight else t + hours
        end = by_daylight if closed is daylight else closed.finish(t, hours)
        if by_daylight > t + hours:
            self.wait("daylight", by_daylight - t - hours, convoy)
        if end > by_daylight:
            self.wait("route closed", end - by_daylight, convoy)
        convoy.work_hours += hours
        return end

    def return_trip(self, convoy: Convoy, t: float, speed_cap: float | None) -> float:
        """Empty trucks drive back from ``t``: Iraqi leg, the crossing they choose then (as loaded convoys
        do: the alternate if the main stays shut too long), Syrian leg (with the detour if diverted)."""
        moves = self.movement(convoy.kind)
        t = self.drive(convoy, moves.iraq_daylight, moves.iraq_daylight, t, self.route_iraq.driving_hours(speed_cap))
        point = choose_crossing(t, self.crossing_main, self.crossing_alternate, self.divert_after_hours)
        through, work = cross_empty(point, t, convoy.truck_count)
        self.wait("crossing", through - t - work, convoy)
        convoy.work_hours += work
        convoy.legs["return crossing"] = point.name
        syria = self.route_syria.driving_hours(speed_cap)
        detour = self.route_syria.driving_hours(speed_cap, extra_km=point.extra_km) - syria if point is not self.crossing_main else 0.0
        if detour:
            self.return_diversions += 1
        end = self.drive(convoy, moves.syria_daylight, moves.syria, through, syria)
        return self.drive_detour(convoy, moves.syria_daylight, moves.syria, end, detour)

    def drive_detour(self, convoy: Convoy, daylight: Closures, closed: Closures, t: float, hours: float) -> float:
        """The detour to the alternate crossing: driven like the leg (halting at night and in closures), its
        driving hours charged to the crossing that sent the convoy round."""
        if hours <= 0:
            return t
        end = self.drive(convoy, daylight, closed, t, hours)
        convoy.work_hours -= hours
        self.wait("crossing", hours, convoy)
        return end

    def trip_ends(self, convoy: Convoy) -> None:
        """The convoy is done (its trucks are back, or it had none): its hours of work go on its record."""
        if convoy.record is not None:
            convoy.record["work_hours"] = convoy.work_hours

    def convoy_arrives(self, convoy: Convoy) -> None:
        self.last_arrival = max(self.last_arrival, self.env.now)
        self.in_transit -= 1
        self._check_force_closed()

    def _check_force_closed(self) -> None:
        """Force closure: the base is empty and nothing is still on the road."""
        if self.base_empty_at is not None and self.in_transit == 0 and not self.force_closed.triggered:
            self.force_closed.succeed()

    def trucks_return(self, convoy: Convoy) -> None:
        broken = convoy.legs.get("broken", {})
        healthy = {k: n - broken.get(k, 0) for k, n in convoy.trucks.items()}
        trip = self.env.now - convoy.formed_at
        self.fleet.truck_hours_busy += convoy.truck_count * trip
        for kind, n in convoy.trucks.items():
            self.fleet.hours_busy[kind] += n * trip
        self.fleet.give_back(healthy)
        if broken:
            send_for_repair(self, broken)

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
        self.base_empty_at = self.env.now
        self._check_force_closed()

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
        self.airlift.sorties += 1
        self.cargo_at_base -= loads
        self._log(t)
        arrival = t + self.airlift.flight_hours
        self.last_arrival = max(self.last_arrival, arrival)
        if self.trace:
            self.timeline.append(
                {"kind": "sortie", "number": self.airlift.sorties, "loads": loads, "people": people, "legs": {"departed": t, "arrived": arrival}}
            )
        if last:
            self.base_empty_at = t
        self._check_cargo_departed()
        self._check_force_closed()

    # --- the end ----------------------------------------------------------------------
    def road_dispatch_done(self) -> None:
        self.road_done = True
        self._wake_air()
        self._check_cargo_departed()

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
        pause = self.pause
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
        vehicles = int(self.scenario.vehicles.count) - self.vehicles_carried
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
        empty = self.base_empty_at if finished else self.horizon_hours
        closure = max(self.last_arrival, empty) if finished else self.horizon_hours
        inv = self.inventory
        span = max(empty, 1e-9)
        lanes = self.crossing_main.lane_hours_busy + (self.crossing_alternate.lane_hours_busy if self.crossing_alternate else 0.0)
        lane_count = self.crossing_main.lanes_count + (self.crossing_alternate.lanes_count if self.crossing_alternate else 0)
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
            vehicles_at_start=int(self.scenario.vehicles.count),
            vehicles_by_road=int(self.scenario.vehicles.count) - self.vehicles_carried - self.vehicles_at_base,
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
    """Run one replication of a resolved scenario; returns its outcome and the SimPy events it took."""
    env = CountingEnvironment()
    evac = Evacuation(env, scenario, streams, trace)
    env.process(form_convoys(env, evac))
    env.process(dispatch_convoys(env, evac))
    if evac.airlift.flies:
        env.process(fly_sorties(env, evac))
    if evac.pause is not None and (evac.pause.inflow_loads or evac.pause.inflow_troops):
        env.process(evac.reinforcements_arrive())
    env.run(until=simpy.AnyOf(env, [evac.force_closed, env.timeout(evac.horizon_hours)]))
    return evac.outcome(), env.scheduled


__all__ = ["RESOURCES", "STREAMS", "WAIT_CAUSES", "Closures", "Evacuation", "Outcome", "Streams", "simulate"]
