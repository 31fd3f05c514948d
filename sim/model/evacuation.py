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
from sim.model.convoys import Convoy, depart_convoys, form_convoys, send_for_repair
from sim.model.crossing import CrossingPoint
from sim.model.disruptions import crossing_closures, dust_days, political_pause, route_threats
from sim.model.escort import EscortTeams
from sim.model.fleet import KINDS, Breakdowns, Fleet
from sim.model.people import Garrison
from sim.model.route import Leg
from sim.scenario.schema import Scenario

WAIT_CAUSES = ("trucks", "loading", "escort", "air cover", "route closed", "crossing", "daylight", "pause", "departure slots")
"""Why convoys waited, in convoy-hours: the columns of every replication record."""

RESOURCES = ("trucks", "loading teams", "escort teams", "apaches", "crossing lanes", "airlift")
"""Resources whose utilisation (busy share of the time to base empty) each replication reports."""

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
    breakdowns: int
    loads_at_start: int
    loads_inflow: int
    loads_by_road: int
    loads_by_air: int
    loads_handed_over: int
    vehicles_at_start: int
    vehicles_by_road: int
    people_at_start: int
    people_inflow: int
    people_by_road: int
    people_by_air: int
    waits: dict[str, float]
    utilisation: dict[str, float]
    burndown_cargo: np.ndarray
    burndown_people: np.ndarray
    pause_happened: bool
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

        classes = []
        for name, c in s.cargo.classes.items():
            loads = int(c.loads)
            handed = round(loads * c.handed_over_fraction)
            classes.append(CargoClass(name, frozenset(c.carriers), c.priority, loads, handed, loads - handed))
        self.inventory = Inventory(
            classes,
            s.cargo.staged_at_start * sum(c.remaining for c in classes),
            s.cargo.packout_loads_per_day / 24.0,
            frozenset(k for k in KINDS if int(getattr(s.fleet, k).count) > 0),
        )
        self.air_eligible_classes = {c.name for c in classes if "air" in c.carriers}
        self.cargo_at_base = self.inventory.remaining
        self.vehicles_left = int(s.vehicles.count)
        self.vehicles_at_base = self.vehicles_left
        self.crew = int(s.vehicles.crew)
        troops = int(s.people.troops)
        security = min(int(s.people.security_force), troops)
        self.garrison = Garrison(troops - security, security, troops)
        self.last_element_by = s.people.last_element_by

        self.fleet = Fleet(
            env,
            {k: int(getattr(s.fleet, k).count) for k in KINDS},
            {k: getattr(s.fleet, k).speed_kmh for k in KINDS},
            s.fleet.breakdowns_per_1000_km,
        )
        self.breakdowns = Breakdowns(streams.breakdowns, s.fleet.breakdowns_per_1000_km, s.fleet.recovery_hours, s.fleet.repair_hours)
        self.loading_teams = int(s.loading.teams)
        self.unload_teams = int(s.destination.unload_teams)
        self.escort = EscortTeams(env, int(s.escort.teams), int(s.escort.vehicles_per_team), s.escort.rest_hours)

        self.route_syria = Leg.of(s.route.syria)
        self.route_iraq = Leg.of(s.route.iraq)
        self.syria_hours = self.route_syria.driving_hours()
        threats = route_threats(streams.threats, s.route.threats.closures_per_week, s.route.threats.closure_hours, self.horizon_hours)
        self.threats = threats
        c = s.convoys
        self.daylight = daily(c.daylight[0], c.daylight[1], self.horizon_hours) if c.daylight_only else NEVER
        self.moving_syria = self.daylight | threats
        if c.daylight_only:
            window = (max(c.departure_window[0], c.daylight[0]), min(c.departure_window[1], c.daylight[1]))
        else:
            window = c.departure_window
        departure_window = daily(window[0], max(window[1], window[0] + 0.25), self.horizon_hours)

        self.crossing_main = CrossingPoint(env, s.crossing.main, crossing_closures(streams.crossing, s.crossing.main, self.horizon_hours), self.horizon_hours)
        alt = s.crossing.alternate
        self.crossing_alternate = (
            None if alt is None else CrossingPoint(env, alt, crossing_closures(streams.crossing, alt, self.horizon_hours), self.horizon_hours)
        )
        self.divert_after_hours = s.crossing.divert_after_hours
        self.diversions = 0

        self.dust_days = dust_days(streams.weather, s.weather.dust_day_probability, horizon_days)
        self.air_cover = AirCover(
            int(s.air_cover.apaches), s.air_cover.sorties_per_aircraft_per_day, s.air_cover.hours_on_station, self.dust_days, horizon_days
        )
        self.airlift = Airlift(s.airlift, s.cargo.pallets_per_load)

        self.pause = political_pause(streams.pause, s.pause)
        self.pause_closures = self.pause.closures if self.pause else NEVER
        self.departure_calendars = [("pause", self.pause_closures), ("daylight", departure_window), ("route closed", threats)]
        self.departures_by_day: dict[int, int] = {}
        self.max_per_day = int(c.max_per_day)

        self.departures = simpy.Store(env)
        self.waits = dict.fromkeys(WAIT_CAUSES, 0.0)
        self.loading_hours_busy = 0.0
        self.convoys = 0
        self.stuck = False
        self.road_done = False
        self._cargo_departed = env.event()
        self._air_wake = env.event()
        self.force_closed = env.event()
        self.in_transit = 0
        self.boarding = False  # a sortie is on the ground, loading cargo and people
        self.base_empty_at: float | None = None
        self.last_arrival = 0.0
        self.log_t = [0.0]
        self.log_cargo = [self.cargo_at_base]
        self.log_people = [self.garrison.at_base]
        self.timeline: list[dict] = []
        self.inflow_hour: float | None = None

    # --- waiting ----------------------------------------------------------------------
    def wait(self, cause: str, hours: float) -> None:
        """Charge convoy-hours of waiting to a cause."""
        if hours > 0:
            self.waits[cause] += hours

    def wait_many(self, waited: dict[str, float]) -> None:
        for cause, hours in waited.items():
            self.wait(cause, hours)

    # --- departures -------------------------------------------------------------------
    def next_departure_slot(self, t: float) -> float:
        """``t``, or the start of the next day if today's convoy limit is reached."""
        day = int(t // 24)
        while self.departures_by_day.get(day, 0) >= self.max_per_day:
            day += 1
        return t if day == int(t // 24) else 24.0 * day

    def needs_air_cover(self, convoy: Convoy) -> bool:
        p = self.scenario.air_cover
        draw = self.streams.cover.random()
        if self.air_cover.per_day == 0:
            return False
        if p.always_for_sensitive and convoy.carries_sensitive:
            return True
        return draw < p.share_of_convoys

    def convoy_departs(self, convoy: Convoy) -> None:
        t = self.env.now
        day = int(t // 24)
        self.departures_by_day[day] = self.departures_by_day.get(day, 0) + 1
        self.convoys += 1
        if convoy.needs_cover and self.air_cover.per_day == 0:
            self.air_cover.convoys_uncovered += 1
        convoy.legs["departed"] = t
        if convoy.last_element:
            convoy.people = self.garrison.last_element_leaves("convoy")
        self.cargo_at_base -= convoy.load_count
        self.vehicles_at_base -= convoy.vehicles
        self._log(t)
        if self.trace:
            self.timeline.append({"kind": "convoy", "number": convoy.number, "vehicles": convoy.size, "loads": convoy.load_count, "legs": convoy.legs})
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

    def drive_in_syria(self, t: float, hours: float) -> float:
        """Arrival at the border; nights (if daylight only) and threat closures halt the convoy."""
        by_daylight = self.daylight.finish(t, hours)
        end = self.moving_syria.finish(t, hours)
        self.wait("daylight", by_daylight - t - hours)
        self.wait("route closed", end - by_daylight)
        return end

    def drive_in_iraq(self, t: float, hours: float) -> float:
        end = self.daylight.finish(t, hours)
        self.wait("daylight", end - t - hours)
        return end

    def return_trip(self, t: float, point: CrossingPoint, speed_cap: float | None, trucks: int) -> float:
        """Empty trucks drive back: Iraqi leg, crossing (empty trucks clear in half the time, no queue), Syrian leg."""
        t = self.daylight.finish(t, self.route_iraq.driving_hours(speed_cap))
        t = point.shut.finish(t, point.processing_hours(trucks) * 0.5)
        return self.moving_syria.finish(t, self.route_syria.driving_hours(speed_cap, extra_km=point.extra_km))

    def convoy_arrives(self, convoy: Convoy) -> None:
        self.last_arrival = max(self.last_arrival, self.env.now)
        self.in_transit -= 1
        self._check_force_closed()

    def _check_force_closed(self) -> None:
        """Force closure: the base is empty and nothing is still on the road."""
        if self.base_empty_at is not None and self.in_transit == 0 and not self.force_closed.triggered:
            self.force_closed.succeed()

    def trucks_return(self, convoy: Convoy, departed: float) -> None:
        broken = convoy.legs.get("broken", {})
        healthy = {k: n - broken.get(k, 0) for k, n in convoy.trucks.items()}
        self.fleet.truck_hours_busy += convoy.truck_count * (self.env.now - convoy.formed_at)
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
        """Troops who may fly now: not the security force, not drivers still needed for vehicles."""
        return max(0, self.garrison.free_to_leave - self.vehicles_left * self.crew)

    def base_emptied_without_last_sortie(self) -> None:
        """Nobody was left for the last sortie: the base emptied when the last cargo left."""
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
        self.boarding = True

    def sortie_departs(self, loads: int, people: int, last: bool = False) -> None:
        t = self.env.now
        self.boarding = False
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
            and not self.boarding
            and not self._cargo_departed.triggered
        ):
            self._cargo_departed.succeed()
            self._wake_air()

    def _wake_air(self) -> None:
        ev, self._air_wake = self._air_wake, self.env.event()
        if not ev.triggered:
            ev.succeed()

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
        vehicles = int(self.scenario.vehicles.count)
        ok = moved + still == inv.to_move and people_left + g.at_base == g.at_start + g.inflow and self.vehicles_at_base >= 0
        if finished:
            ok = ok and still == 0 and g.at_base == 0 and self.vehicles_at_base == 0 and self.cargo_at_base == 0
        if not ok:
            raise AssertionError(
                f"conservation broken: loads {inv.to_move} to move, {moved} moved, {still} left; people {g.at_start}+{g.inflow}, "
                f"{people_left} left, {g.at_base} at the base; vehicles {vehicles}, {self.vehicles_at_base} at the base"
            )

    def outcome(self) -> Outcome:
        finished = self.base_empty_at is not None and not self.stuck
        self.check_nothing_lost(finished)
        empty = self.base_empty_at if finished else self.horizon_hours
        closure = max(self.last_arrival, empty) if finished else self.horizon_hours
        inv = self.inventory
        span = max(empty, 1e-9)
        lanes = self.crossing_main.lane_hours_busy + (self.crossing_alternate.lane_hours_busy if self.crossing_alternate else 0.0)
        lane_count = self.crossing_main.lanes_count + (self.crossing_alternate.lanes_count if self.crossing_alternate else 0)
        trucks = sum(self.fleet.total.values())
        sortie_slots = self.airlift.sorties_per_day * span / 24.0 if self.airlift.flies else 0.0
        apache_slots = self.air_cover.capacity(span)
        utilisation = {
            "trucks": _share(self.fleet.truck_hours_busy, trucks * span),
            "loading teams": _share(self.loading_hours_busy, span),
            "escort teams": _share(self.escort.team_hours_busy, self.escort.teams * span),
            "apaches": _share(self.air_cover.sorties_flown, apache_slots),
            "crossing lanes": _share(lanes, lane_count * span),
            "airlift": _share(self.airlift.sorties, sortie_slots),
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
            breakdowns=self.fleet.breakdowns,
            loads_at_start=sum(c.at_start for c in inv.classes),
            loads_inflow=inv.inflow_total,
            loads_by_road=sum(c.by_road for c in inv.classes),
            loads_by_air=sum(c.by_air for c in inv.classes),
            loads_handed_over=sum(c.handed_over for c in inv.classes),
            vehicles_at_start=int(self.scenario.vehicles.count),
            vehicles_by_road=int(self.scenario.vehicles.count) - self.vehicles_at_base,
            people_at_start=self.garrison.at_start,
            people_inflow=self.garrison.inflow,
            people_by_road=self.garrison.by_road,
            people_by_air=self.garrison.by_air,
            waits=dict(self.waits),
            utilisation=utilisation,
            burndown_cargo=np.asarray(self.log_cargo, dtype=np.int32)[idx],
            burndown_people=np.asarray(self.log_people, dtype=np.int32)[idx],
            pause_happened=self.pause is not None,
            inflow_hour=self.inflow_hour,
            timeline=self.timeline,
        )


def _share(busy: float, available: float) -> float:
    return float(min(1.0, busy / available)) if available > 0 else 0.0


def simulate(scenario: Scenario, streams: Streams, trace: bool = False) -> tuple[Outcome, int]:
    """Run one replication of a resolved scenario; returns its outcome and the SimPy events it took."""
    env = simpy.Environment()
    evac = Evacuation(env, scenario, streams, trace)
    env.process(form_convoys(env, evac))
    env.process(depart_convoys(env, evac))
    if evac.airlift.flies:
        env.process(fly_sorties(env, evac))
    if evac.pause is not None and (evac.pause.inflow_loads or evac.pause.inflow_troops):
        env.process(evac.reinforcements_arrive())
    env.run(until=simpy.AnyOf(env, [evac.force_closed, env.timeout(evac.horizon_hours)]))
    events = next(env._eid)
    return evac.outcome(), events


__all__ = ["RESOURCES", "STREAMS", "WAIT_CAUSES", "Closures", "Evacuation", "Outcome", "Streams", "simulate"]
