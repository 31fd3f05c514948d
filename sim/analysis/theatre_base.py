"""One base of a resolved theatre as the capacity bounds and the paper forecast read it.

A one-base file is read as the theatre of one base it stands for (:func:`sim.scenario.shorthand.as_theatre`),
so there is one shape to read: the base's own groups (cargo, vehicles, people, loading, airstrips), the
resources of all its pools (trucks by type, escort teams), the theatre's shared groups (convoys, the trucks'
speeds, the escort's team size and rest, unloading), and its ways out of the country: the routes the model's
road network gives it (:class:`sim.model.network.Network`, on the one route engine of
:mod:`sim.scenario.routing`), road by road, each through one crossing to its nearest destination.

A base that sends its cargo to a hub is read with the road to the hub and the hub's ways out beyond it
(:meth:`TheatreBase.ways_out`: where its vehicles cross), while its trucks and escorts go only as far as the hub,
where the hub's loading teams unload them (:meth:`TheatreBase.trips`), as the model drives them.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import simpy

from sim.model.crossing import CrossingPoint, scheduled_closures
from sim.model.fleet import KINDS
from sim.model.network import BaseSpec, Network, Road, Route
from sim.model.sites import network_of
from sim.scenario.schema import Scenario, TheatreScenario
from sim.scenario.shorthand import as_theatre


@dataclass(frozen=True)
class WayOut:
    """One way a loaded convoy leaves the country: roads in the country (``inside``, from the base), a crossing,
    roads beyond it (``outside``) to ``destination``, whose ``unload_teams`` unload it. A trip to a hub has no
    crossing (``None``) and no roads beyond; the hub's loading teams unload it."""

    inside: tuple[Road, ...]
    crossing: CrossingPoint | None
    outside: tuple[Road, ...]
    destination: str
    unload_teams: int

    def inside_hours(self, speed_cap_kmh: float | None = None) -> float:
        """Hours driving the roads in the country, halts included, at a convoy's pace capped at ``speed_cap_kmh``."""
        return sum(road.leg.driving_hours(speed_cap_kmh) for road in self.inside)

    def outside_hours(self, speed_cap_kmh: float | None = None) -> float:
        """Hours driving the roads beyond the border to the destination."""
        return sum(road.leg.driving_hours(speed_cap_kmh) for road in self.outside)


@dataclass(frozen=True)
class TheatreBase:
    """A base of a resolved theatre (``name``) with what its pools give it and its ways out."""

    theatre: TheatreScenario
    name: str
    network: Network
    _crossings: dict[str, CrossingPoint] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, s: Scenario, base: str | None = None) -> TheatreBase:
        """The base ``base`` (default the main base) of a resolved scenario; a one-base file as its theatre of one base."""
        theatre = as_theatre(s)
        return cls(theatre, base or theatre.main_base, network_of(theatre))

    @property
    def spec(self) -> BaseSpec:
        """The base's own groups as the model reads them."""
        return self.network.bases[self.name]

    @property
    def horizon_hours(self) -> float:
        return 24.0 * self.theatre.scenario.horizon_days

    @functools.cached_property
    def trucks(self) -> dict[str, int]:
        """Trucks by type in all the base's pools (others may draw on them too: still an upper limit on its own)."""
        pools = [self.network.pools[p] for p in self.spec.pools if p in self.network.pools]
        return {kind: sum(pool.trucks[kind] for pool in pools) for kind in KINDS}

    @functools.cached_property
    def escort_teams(self) -> int:
        """Escort teams in all the base's pools."""
        return sum(self.network.pools[p].escort_teams for p in self.spec.pools if p in self.network.pools)

    def routes(self, speed_cap_kmh: float | None = None) -> list[Route]:
        """The base's quickest route through each crossing it reaches (by way of its hub, if it sends to one), quickest first."""
        net, hub = self.network, self.spec.send_to
        if hub is None:
            return net.routes_out(self.name, speed_cap_kmh)
        to_hub = net.route_inside(self.name, hub, speed_cap_kmh)
        if to_hub is None:
            return []
        return [
            Route(to_hub.inside + r.inside, r.crossing, r.outside, r.to, to_hub.inside_hours + r.inside_hours, r.outside_hours)
            for r in net.routes_out(hub, speed_cap_kmh)
        ]

    def ways_out(self, speed_cap_kmh: float | None = None, in_use: bool = True) -> list[WayOut]:
        """The base's ways out, quickest first at ``speed_cap_kmh``; ``in_use``: only through crossings with lanes
        (the quickest alone if none has any), as convoys are routed."""
        ways = [self._way(route) for route in self.routes(speed_cap_kmh)]
        if not ways:
            raise ValueError(f"the base {self.spec.title} has no way out of the country through a crossing to a destination")
        if not in_use:
            return ways
        return [w for w in ways if w.crossing is not None and w.crossing.lanes_count > 0] or ways[:1]

    def crossings_out(self, speed_cap_kmh: float | None = None) -> list[tuple[WayOut, CrossingPoint]]:
        """:meth:`ways_out` with the crossing of each (by way of the hub for a base that sends to one)."""
        return [(way, way.crossing) for way in self.ways_out(speed_cap_kmh) if way.crossing is not None]

    def trips(self, speed_cap_kmh: float | None = None) -> list[WayOut]:
        """Where the base's loaded trucks go: its ways out, or to its hub only (unloaded there by the hub's loading teams)."""
        hub = self.spec.send_to
        if hub is None:
            return self.ways_out(speed_cap_kmh)
        to_hub = self.network.route_inside(self.name, hub, speed_cap_kmh)
        if to_hub is None:
            raise ValueError(f"the base {self.spec.title} does not reach its hub {self.network.bases[hub].title}")
        return [WayOut(tuple(road for road, _ in to_hub.inside), None, (), hub, int(self.network.bases[hub].loading.teams))]

    def first_road(self) -> Road | None:
        """The first road of the base's quickest way out (None: the base is at a crossing), as the model reads it."""
        routes = self.routes(None)
        return routes[0].inside[0][0] if routes and routes[0].inside else None

    def _way(self, route: Route) -> WayOut:
        crossing = str(route.crossing)
        return WayOut(
            tuple(road for road, _ in route.inside),
            self.crossing(crossing),
            tuple(road for road, _ in route.outside),
            route.to,
            self.network.destinations[route.to].unload_teams,
        )

    def crossing(self, name: str) -> CrossingPoint:
        """The crossing ``name`` on the clock: its opening hours and scheduled closures (random closures left out)."""
        point = self._crossings.get(name)
        if point is None:
            env = simpy.Environment()  # its lanes are never requested here
            schema_point = self.network.crossings[name]
            point = self._crossings[name] = CrossingPoint(env, schema_point, scheduled_closures(schema_point), self.horizon_hours, name)
        return point
