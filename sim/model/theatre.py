"""The theatre: several bases emptying at once on one road network, for one replication.

:class:`Theatre` builds once what the bases share (the road network and its threat
closures, the crossings, the pools of trucks, escort teams and Apaches, the weather,
the pause, breakdowns), draws which bases are left at all (``leaves``), and hands the
shared parts to one :class:`~sim.model.evacuation.Evacuation` per base. Bases start at
their ``start_day`` or when the base named in ``after`` is empty; a base sending to a
hub delivers there; trucks a base no longer needs drive empty to a base that does.
A one-base scenario is a theatre of one base (the one-base shorthand).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import simpy

from sim.model.air_cover import AirCover
from sim.model.airlift import fly_sorties
from sim.model.calendar import NEVER, Closures, daily
from sim.model.convoys import dispatch_convoys, form_convoys
from sim.model.counting import CountingEnvironment
from sim.model.crossing import CrossingPoint
from sim.model.disruptions import crossing_closures, dust_days, political_pause, route_threats
from sim.model.escort import EscortTeams
from sim.model.fleet import CONTRACTED, Breakdowns, TruckPool
from sim.model.movement import road_nights
from sim.model.network import Network, Road, network_of
from sim.scenario.schema import POOL_HOME_THEATRE, Scenario


@dataclass
class TheatreOutcome:
    """What a theatre replication produced beyond each base's own outcome."""

    bases: dict  # name -> Outcome
    leaves: dict[str, bool]
    hours_to_last_out: float
    leg_convoys: dict[str, int]
    leg_wait_hours: dict[str, float]
    pool_utilisation: dict[str, float]
    finished: bool
    main: str  # the main base: the first listed

    @property
    def days_to_last_out(self) -> float:
        return self.hours_to_last_out / 24.0


class Theatre:
    """Everything the bases of one replication share, and the bases themselves."""

    def __init__(self, env: simpy.Environment, s: Scenario, streams, trace: bool = False, build: bool = True) -> None:
        self.env = env
        self.scenario = s
        self.streams = streams
        self.trace = trace
        self.horizon_hours = 24.0 * s.scenario.horizon_days
        horizon_days = int(s.scenario.horizon_days)
        self.network: Network = network_of(s)
        net = self.network

        self.truck_pools = {name: TruckPool(name, p.trucks) for name, p in net.pools.items()}
        self.breakdowns = Breakdowns(streams.breakdowns, s.fleet.breakdowns_per_1000_km, s.fleet.recovery_hours, s.fleet.repair_hours)
        self.escort_pools = {name: EscortTeams(p.escort_teams, int(s.escort.vehicles_per_team), s.escort.rest_hours) for name, p in net.pools.items()}

        self.threats: list[Closures] = self._draw_threats()
        self.daylight = daily(s.convoys.daylight[0], s.convoys.daylight[1], self.horizon_hours)
        self.crossings = {
            name: CrossingPoint(env, point, crossing_closures(streams.crossing, point, self.horizon_hours), self.horizon_hours, key=name)
            for name, point in net.crossings.items()
        }
        self.divert_after_hours = s.crossing.divert_after_hours

        self.dust_days = dust_days(streams.weather, s.weather.dust_day_probability, horizon_days)
        cover = s.air_cover
        self.air_covers = {
            name: AirCover(p.apaches, cover.sorties_per_aircraft_per_day, cover.hours_on_station, self.dust_days, horizon_days, cover.when_short)
            for name, p in net.pools.items()
            if p.apaches > 0
        }
        self._no_cover = AirCover(0, cover.sorties_per_aircraft_per_day, cover.hours_on_station, self.dust_days, horizon_days, cover.when_short)

        self.pause = political_pause(streams.pause, s.pause)
        self.pause_closures = self.pause.closures if self.pause else NEVER
        self.leaves = self._draw_leaves()
        self._calendars: dict[tuple[int, str], tuple[Closures, Closures]] = {}
        self.leg_convoys = {road.name: 0 for road in net.roads}
        self.leg_wait_hours = {road.name: 0.0 for road in net.roads}
        self.last_out = 0.0
        self.bases: dict = {}
        if build:
            self._build_bases()

    # --- what is drawn once -------------------------------------------------------------
    def _draw_threats(self) -> list[Closures]:
        """Each road's threat closures, drawn in file order from the threats stream (shared by a road that says so)."""
        net = self.network
        out: list[Closures] = []
        by_name: dict[str, Closures] = {}
        for road in net.roads:
            if road.shares_threats_with is not None:
                out.append(NEVER)  # set below, once the road it shares with has its closures
                continue
            t = road.threats
            closures = NEVER if t is None else route_threats(self.streams.threats, t.closures_per_week, t.closure_hours, self.horizon_hours)
            by_name[road.name] = closures
            out.append(closures)
        for road in net.roads:
            if road.shares_threats_with is not None:
                out[road.index] = by_name.get(road.shares_threats_with, NEVER)
        return out

    def _draw_leaves(self) -> dict[str, bool]:
        """Whether each base is left at all: a Bernoulli draw for each base whose ``leaves`` is below 1."""
        out = {}
        for name, base in self.network.bases.items():
            if base.leaves >= 1.0:
                out[name] = True
            else:
                rng = self.streams.phasing
                out[name] = bool(rng is not None and rng.random() < base.leaves)
        return out

    # --- roads --------------------------------------------------------------------------
    def nights(self, road: Road, kind: str) -> Closures:
        return self.calendars(road, kind)[0]

    def calendars(self, road: Road, kind: str) -> tuple[Closures, Closures]:
        """(nights, nights and threat closures) of ``road`` for convoys of ``kind``."""
        key = (road.index, kind)
        hit = self._calendars.get(key)
        if hit is None:
            nights = road_nights(road, kind, self.scenario, self.horizon_hours)
            hit = self._calendars[key] = (nights, nights | self.threats[road.index])
        return hit

    def first_roads_closed(self, evac) -> Closures:
        """When every first road out of a base is closed by threats (a convoy waits at the gate only then)."""
        net = self.network
        if evac.spec.send_to is not None:
            to_hub = net.route_inside(evac.name, evac.spec.send_to, None)
            routes = [to_hub] if to_hub is not None else []
        else:
            routes = net.routes_out(evac.name, None)
        closed = None
        for route in routes:
            if not route.inside:
                return NEVER
            threats = self.threats[route.inside[0][0].index]
            closed = threats if closed is None else closed & threats
        return NEVER if closed is None else closed

    def on_road(self, road: Road, waited: float, passage: bool = True) -> None:
        """A convoy drove ``road`` (a passage, loaded or empty) and waited ``waited`` hours on it."""
        if passage:
            self.leg_convoys[road.name] += 1
        if waited > 1e-9:  # not the rounding of a drive that never halted
            self.leg_wait_hours[road.name] += waited

    def out_of_country(self, t: float) -> None:
        """A load or person left the country at ``t`` (a loaded convoy cleared a crossing, or a sortie took off)."""
        if t > self.last_out:
            self.last_out = t

    # --- pools --------------------------------------------------------------------------
    def air_cover_for(self, pools: tuple[str, ...]) -> AirCover:
        """The sortie budget a base's convoys use: that of the first of its pools with Apaches."""
        return next((self.air_covers[p] for p in pools if p in self.air_covers), self._no_cover)

    def trucks_start_at(self, pool: str, base: str) -> dict[str, int]:
        """The trucks of ``pool`` at ``base`` at hour 0: all of them at their home base (a theatre pool's home is
        the first base to start, of those that list it and are left)."""
        spec = self.network.pools[pool]
        return dict(spec.trucks) if self._home_of(pool) == base else {}

    def _home_of(self, pool: str) -> str | None:
        spec = self.network.pools[pool]
        if spec.home != POOL_HOME_THEATRE:
            return spec.home
        users = [b for b in self.network.bases.values() if pool in b.pools]
        leaving = [b for b in users if self.leaves.get(b.name, True)] or users
        if not leaving:
            return None
        order = {b.name: i for i, b in enumerate(self.network.bases.values())}
        return min(leaving, key=lambda b: (b.after is not None, b.start_day, order[b.name])).name

    def trucks_come_to_rest(self, evac) -> simpy.Event:
        """Fires the next time trucks come to rest at ``evac`` or at another base sharing one of its pools: a base
        short of trucks looks again then (those it counted on may have stopped elsewhere, never to come)."""
        others = [b.fleet.returned() for b in self.bases.values() if b is not evac and set(b.spec.pools) & set(evac.spec.pools)]
        return simpy.AnyOf(self.env, [evac.fleet.returned(), *others]) if others else evac.fleet.returned()

    def standing_elsewhere(self, evac, kinds: frozenset[str], only_waiting: bool = False) -> int:
        """Trucks of ``kinds`` of ``evac``'s pools standing at the other bases (not on the road, not in repair);
        ``only_waiting``: at those that are themselves waiting for trucks, which keep theirs."""
        return sum(
            other.fleet.standing(pool, kind)
            for other in self.bases.values()
            if other is not evac and (other.waiting_for_trucks or not only_waiting)
            for pool in evac.spec.pools
            for kind in kinds
        )

    def _needs(self, evac, kind: str) -> bool:
        """Whether a base still needs trucks of ``kind``: cargo they can take, a hub's feeders still to come, or cab seats."""
        if evac.road_done or not self.leaves[evac.name] or evac.stuck:
            return False
        if evac.inventory.road_remaining(frozenset({kind})) > 0 or evac.waiting_for_feeders():
            return True
        return kind in evac.fleet.cab_seats

    def _keeps(self, evac, kind: str) -> bool:
        """Whether a base keeps its idle trucks of ``kind``: it has cargo for them now, or may need their cab seats
        (not a hub with nothing to send until its feeders deliver)."""
        if evac.road_done or not self.leaves[evac.name] or evac.stuck or evac.started_at is None:  # not started: idle
            return False
        if evac.inventory.road_remaining(frozenset({kind})) > 0:
            return True
        return kind in evac.fleet.cab_seats and not evac.waiting_for_feeders()

    def call_trucks(self, evac) -> None:
        """``evac`` waits for trucks: idle ones of its pools at other bases that do not keep them drive over."""
        if len(self.bases) < 2:
            return
        for pool in evac.spec.pools:
            for other in self.bases.values():
                if other is evac or pool not in other.spec.pools:
                    continue
                for kind in [k for k, n in other.fleet.idle(pool).items() if n > 0]:
                    if self._needs(evac, kind) and not self._keeps(other, kind):
                        self._reposition(other, evac, pool, kind, other.fleet.take_idle(pool, kind))

    def trucks_arrived(self, evac) -> None:
        """Trucks are idle at ``evac``: those of kinds it does not keep drive empty to the first base (file order)
        of their pool that needs them. Repairs still under way at a finished base are forwarded when done."""
        if len(self.bases) < 2:
            return
        for pool_name in evac.spec.pools:
            users = [b for b in self.bases.values() if b is not evac and pool_name in b.spec.pools]
            if not users:
                continue
            for kind in [k for k, n in evac.fleet.idle(pool_name).items() if n > 0]:
                if self._keeps(evac, kind):
                    continue
                target = next((b for b in users if self._needs(b, kind)), None)
                if target is None:
                    continue
                self._reposition(evac, target, pool_name, kind, evac.fleet.take_idle(pool_name, kind))
        if evac.road_done and evac.fleet.next_repair() is not None:
            t = evac.fleet.next_repair()

            def collect(_event, evac=evac) -> None:
                evac.fleet.collect_repaired()
                self.trucks_arrived(evac)

            self.env.timeout(max(0.0, t - self.env.now)).callbacks.append(collect)

    def _reposition(self, source, target, pool: str, kind: str, n: int) -> None:
        """``n`` empty trucks drive from one base to another on the quickest road inside the country, under the
        nights and closures of their kind's convoys."""
        route = self.network.route_inside(source.name, target.name, source.fleet.speed_kmh.get(kind))
        convoy_kind = "contracted" if kind in CONTRACTED else "military"
        t = self.env.now
        if route is not None:
            for road, _ in route.inside:
                _, closed = self.calendars(road, convoy_kind)
                t = closed.finish(t, road.leg.driving_hours(source.fleet.speed_kmh.get(kind)))
                self.on_road(road, 0.0)
        hours = t - self.env.now
        self.truck_pools[pool].busy(kind, n * hours)

        def arrive(_event) -> None:
            target.fleet.give_back({kind: n}, pool)
            if target.road_done:
                self.trucks_arrived(target)

        self.env.timeout(hours).callbacks.append(arrive)

    # --- bases --------------------------------------------------------------------------
    def _build_bases(self) -> None:
        from sim.model.evacuation import Evacuation

        for name, spec in self.network.bases.items():
            self.bases[name] = Evacuation(self.env, self.scenario, self.streams, self.trace, theatre=self, spec=spec)

    def start(self) -> None:
        """Start every base that is left: now, at its start day, or when the base it follows is empty."""
        for name, evac in self.bases.items():
            if not self.leaves[name]:
                evac.stays()
                continue
            spec = evac.spec
            follows = self.bases.get(spec.after) if spec.after else None
            if follows is not None and self.leaves[spec.after]:
                self.env.process(self._start_after(evac, follows))
            elif spec.start_day > 0:
                self.env.process(self._start_later(evac, 24.0 * spec.start_day))
            else:
                self._start_base(evac)
        for name, evac in self.bases.items():
            if not self.leaves[name]:
                self.trucks_arrived(evac)
        if self.pause is not None and (self.pause.inflow_loads or self.pause.inflow_troops):
            main = self.bases[self.network.main_base]
            if self.leaves[main.name]:
                self.env.process(main.reinforcements_arrive())

    def _start_later(self, evac, hour: float):
        yield self.env.timeout(hour)
        self._start_base(evac)

    def _start_after(self, evac, follows):
        yield follows.emptied
        self._start_base(evac)

    def _start_base(self, evac) -> None:
        evac.begin(self.env.now)
        self.env.process(form_convoys(self.env, evac))
        self.env.process(dispatch_convoys(self.env, evac))
        if evac.airlift.flies:
            self.env.process(fly_sorties(self.env, evac))

    def done(self) -> simpy.Event:
        """Fires when every base that is left has closed (everything it sent has arrived)."""
        closing = [evac.force_closed for name, evac in self.bases.items() if self.leaves[name]]
        if len(closing) == 1:
            return closing[0]
        return simpy.AllOf(self.env, closing)

    def outcome(self) -> TheatreOutcome:
        outcomes = {name: evac.outcome() for name, evac in self.bases.items()}
        leaving = [name for name in self.bases if self.leaves[name]]
        finished = all(outcomes[n].finished for n in leaving)
        last_out = self.last_out if finished else self.horizon_hours
        span = max(last_out, 1e-9)
        utilisation = {}
        for name, pool in self.truck_pools.items():
            trucks = sum(pool.total.values())
            utilisation[name] = float(min(1.0, pool.truck_hours_busy / (trucks * span))) if trucks else math.nan  # a pool of escorts or Apaches only
        return TheatreOutcome(
            bases=outcomes,
            leaves=dict(self.leaves),
            hours_to_last_out=last_out,
            leg_convoys=dict(self.leg_convoys),
            leg_wait_hours=dict(self.leg_wait_hours),
            pool_utilisation=utilisation,
            finished=finished,
            main=self.network.main_base,
        )


def simulate_theatre(scenario: Scenario, streams, trace: bool = False) -> tuple[TheatreOutcome, int]:
    """Run one replication of a resolved scenario (a theatre, or a one-base file as its one-base network)."""
    env = CountingEnvironment()
    theatre = Theatre(env, scenario, streams, trace)
    theatre.start()
    env.run(until=simpy.AnyOf(env, [theatre.done(), env.timeout(theatre.horizon_hours)]))
    return theatre.outcome(), env.scheduled


__all__ = ["Theatre", "TheatreOutcome", "simulate_theatre"]
