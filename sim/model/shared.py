"""What the bases of one replication share, handed to each base: the typed context of a theatre.

:class:`Shared` draws once what the bases share (the road network and its threat closures,
the crossings, the pools of trucks, escort teams and Apaches, the weather, the pause,
breakdowns, whether each base is left at all) and keeps the theatre's own tallies (convoys
and hours waited on each road, the last load or person out). :class:`Neighbours` is what a
base asks of the other bases (the theatre answers it), by name, so that a base never needs
the theatre's class: ``sim.model.theatre`` builds bases, and no base imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import simpy

from sim.model.air_cover import AirCover
from sim.model.calendar import NEVER, Closures, daily
from sim.model.convoy import Convoy
from sim.model.crossing import CrossingPoint
from sim.model.disruptions import PoliticalPause, crossing_closures, dust_days, political_pause, route_threats
from sim.model.escort import EscortTeams
from sim.model.fleet import Breakdowns, TruckPool
from sim.model.movement import road_nights
from sim.model.network import Network, Road
from sim.model.sites import network_of, one_place
from sim.model.streams import Streams
from sim.scenario.schema import POOL_HOME_THEATRE, Scenario


class Neighbours(Protocol):
    """What a base asks about the other bases of its theatre (each named by its site name)."""

    def call_trucks(self, base: str) -> None:
        """``base`` waits for trucks: idle ones of its pools at other bases that do not keep them drive over."""

    def trucks_arrived(self, base: str) -> None:
        """Trucks are idle at ``base``: those it does not keep drive to a base of their pool that needs them."""

    def trucks_come_to_rest(self, base: str, may_come: Callable[[], int] | None = None) -> simpy.Event:
        """Fires when something happens that can change what ``base``, short of trucks, may get: trucks come to rest
        at it, trucks it is short of stand idle at a base of its pools that does not keep them, or no truck may come
        to it any more (``may_come``: how many may); see :mod:`sim.model.at_rest`."""
        ...

    def standing_elsewhere(self, base: str, kinds: frozenset[str], only_waiting: bool = False) -> int:
        """Trucks of ``kinds`` of ``base``'s pools standing at the other bases."""
        ...

    def deliver(self, hub: str, convoy: Convoy) -> int:
        """A convoy unloads at ``hub``; returns the hub's loading teams (who unload it)."""
        ...

    def feeder_news(self, hub: str) -> None:
        """A base sending to ``hub`` delivered or is done: the hub looks again."""

    def done_feeding(self, base: str) -> bool:
        """Whether ``base`` stays, is stuck, or has had all its convoys arrive."""
        ...


@dataclass
class Shared:
    """Everything the bases of one replication share, drawn once (see :meth:`draw`)."""

    env: simpy.Environment
    scenario: Scenario
    streams: Streams
    trace: bool
    horizon_hours: float
    network: Network
    truck_pools: dict[str, TruckPool]
    breakdowns: Breakdowns
    escort_pools: dict[str, EscortTeams]
    threats: list[Closures]
    daylight: Closures
    crossings: dict[str, CrossingPoint]
    divert_after_hours: float
    dust_days: set[int]
    air_covers: dict[str, AirCover]
    no_cover: AirCover
    pause: PoliticalPause | None
    pause_closures: Closures
    leaves: dict[str, bool]
    neighbours: Neighbours
    same_place: dict[str, str] = field(default_factory=dict)  # a site drawn to be one place with the base named: that base
    leg_convoys: dict[str, int] = field(default_factory=dict)
    leg_wait_hours: dict[str, float] = field(default_factory=dict)
    last_out: float = 0.0
    _calendars: dict[tuple[int, str], tuple[Closures, Closures]] = field(default_factory=dict)

    @classmethod
    def draw(cls, env: simpy.Environment, s: Scenario, streams: Streams, trace: bool, neighbours: Neighbours) -> Shared:
        """Draw a replication's shared parts from its streams (each from its own, in file order)."""
        horizon_hours = 24.0 * s.scenario.horizon_days
        horizon_days = int(s.scenario.horizon_days)
        net = network_of(s)
        leaves = _draw_leaves(net, streams)
        same_place = _draw_same_places(net, streams)  # after `leaves`, on the same stream: a theatre without it draws as before
        net = one_place(net, same_place)
        for name in same_place:
            leaves[name] = False  # its cargo and people leave from the base it is one place with
        truck_pools = {name: TruckPool(name, p.trucks) for name, p in net.pools.items()}
        breakdowns = Breakdowns(streams.breakdowns, s.fleet.breakdowns_per_1000_km, s.fleet.recovery_hours, s.fleet.repair_hours)
        escort_pools = {name: EscortTeams(p.escort_teams, int(s.escort.vehicles_per_team), s.escort.rest_hours) for name, p in net.pools.items()}
        threats = _draw_threats(net, streams, horizon_hours)
        daylight = daily(s.convoys.daylight[0], s.convoys.daylight[1], horizon_hours)
        crossings = {
            name: CrossingPoint(env, point, crossing_closures(streams.crossing, point, horizon_hours), horizon_hours, key=name)
            for name, point in net.crossings.items()
        }
        dust = dust_days(streams.weather, s.weather.dust_day_probability, horizon_days)
        cover = s.air_cover
        air_covers = {
            name: AirCover(p.apaches, cover.sorties_per_aircraft_per_day, cover.hours_on_station, dust, horizon_days, cover.when_short)
            for name, p in net.pools.items()
            if p.apaches > 0
        }
        no_cover = AirCover(0, cover.sorties_per_aircraft_per_day, cover.hours_on_station, dust, horizon_days, cover.when_short)
        pause = political_pause(streams.pause, s.pause)
        return cls(
            env=env,
            scenario=s,
            streams=streams,
            trace=trace,
            horizon_hours=horizon_hours,
            network=net,
            truck_pools=truck_pools,
            breakdowns=breakdowns,
            escort_pools=escort_pools,
            threats=threats,
            daylight=daylight,
            crossings=crossings,
            divert_after_hours=s.crossing.divert_after_hours,
            dust_days=dust,
            air_covers=air_covers,
            no_cover=no_cover,
            pause=pause,
            pause_closures=pause.closures if pause else NEVER,
            leaves=leaves,
            same_place=same_place,
            neighbours=neighbours,
            leg_convoys={road.name: 0 for road in net.roads},
            leg_wait_hours={road.name: 0.0 for road in net.roads},
        )

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

    def first_roads_closed(self, base: str, send_to: str | None) -> Closures:
        """When every first road out of ``base`` (to its hub ``send_to``, if any) is closed by threats
        (a convoy waits at the gate only then)."""
        net = self.network
        if send_to is not None:
            to_hub = net.route_inside(base, send_to, None)
            routes = [to_hub] if to_hub is not None else []
        else:
            routes = net.routes_out(base, None)
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
        return next((self.air_covers[p] for p in pools if p in self.air_covers), self.no_cover)

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


def _draw_threats(net: Network, streams: Streams, horizon_hours: float) -> list[Closures]:
    """Each road's threat closures, drawn in file order from the threats stream (shared by a road that says so)."""
    out: list[Closures] = []
    by_name: dict[str, Closures] = {}
    for road in net.roads:
        if road.shares_threats_with is not None:
            out.append(NEVER)  # set below, once the road it shares with has its closures
            continue
        t = road.threats
        closures = NEVER if t is None else route_threats(streams.threats, t.closures_per_week, t.closure_hours, horizon_hours)
        by_name[road.name] = closures
        out.append(closures)
    for road in net.roads:
        if road.shares_threats_with is not None:
            out[road.index] = by_name.get(road.shares_threats_with, NEVER)
    return out


def _draw_leaves(net: Network, streams: Streams) -> dict[str, bool]:
    """Whether each base is left at all: a Bernoulli draw for each base whose ``leaves`` is below 1."""
    out = {}
    for name, base in net.bases.items():
        if base.leaves >= 1.0:
            out[name] = True
        else:
            rng = streams.phasing
            out[name] = bool(rng is not None and rng.random() < base.leaves)
    return out


def _draw_same_places(net: Network, streams: Streams) -> dict[str, str]:
    """Which sites are one place with the base they name (``same_place_as``): a Bernoulli draw for each, in file order,
    from the phasing stream after the ``leaves`` draws; returns {site: the base it is one place with}."""
    out = {}
    for name, base in net.bases.items():
        if base.same_place_as is None:
            continue
        rng = streams.phasing
        if base.same_place >= 1.0 or (rng is not None and rng.random() < base.same_place):
            out[name] = base.same_place_as
    return out


__all__ = ["Neighbours", "Shared"]
