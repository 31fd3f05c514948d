"""The theatre's road network: sites, two-way roads between them, pools, and the quickest routes.

:func:`sim.model.sites.network_of` reads a *resolved* scenario into these plain records (a
theatre file as written, or a one-base file expanded; see docs/MODEL.md, "Theatre"). Routes are the
quickest paths by driving hours at a convoy's speed cap (networkx Dijkstra), worked out
once per replication and speed cap:

- *out*: base -> crossing (roads inside the country) -> nearest destination (roads beyond);
- *to a hub*: base -> hub, inside the country;
- *back*: the same roads the other way.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import Any, cast

import networkx as nx

from sim.model.route import Leg
from sim.scenario.routing import RoadMap, road_map
from sim.scenario.schema import Airlift, BaseGroups, Cargo, CrossingPoint, Loading, People, Threats, Vehicles


@dataclass(frozen=True)
class Road:
    """A two-way road between two sites: its march (``leg``), threats and movement rules."""

    index: int
    name: str
    start: str
    end: str
    leg: Leg
    daylight_only_for: tuple[str, ...] | None
    threats: Threats | None
    shares_threats_with: str | None
    inside: bool  # in the country (not beyond a crossing)

    @property
    def km(self) -> float:
        return self.leg.km


@dataclass(frozen=True)
class BaseSpec:
    """One base or hub: its own groups (a one-base file's groups, the optional ones in ``groups``) and its phasing."""

    name: str
    kind: str
    title: str
    cargo: Cargo
    vehicles: Vehicles
    people: People
    loading: Loading
    airstrips: tuple[Airlift, ...]  # none: no sortie flies
    start_day: float
    after: str | None
    send_to: str | None
    leaves: float
    pools: tuple[str, ...]
    lat: float = 0.0
    lon: float = 0.0
    groups: BaseGroups = field(default_factory=BaseGroups)  # its optional groups (fuel, own transport, deadline...): unset ones are None
    same_place_as: str | None = None  # another base that may be this one under another name
    same_place: float = 0.0  # the probability that it is


@dataclass(frozen=True)
class DestinationSpec:
    """Where convoys unload beyond the border: its name, title and unloading teams."""

    name: str
    title: str
    unload_teams: int


@dataclass(frozen=True)
class SiteSpec:
    """A site of the network as a map shows it."""

    name: str
    title: str
    kind: str
    lat: float = 0.0
    lon: float = 0.0


Steps = tuple[tuple["Road", str], ...]
"""Roads in order, each with the site it is entered from."""

Paths = tuple[dict[str, float], dict[str, list[str]]]
"""Quickest paths from one site: driving hours and sites in order, by the site reached."""


@dataclass(frozen=True)
class PoolSpec:
    """A pool of resources with a home: trucks by type, escort teams, Apaches."""

    name: str
    title: str
    home: str
    trucks: dict[str, int]
    escort_teams: int
    apaches: int


@dataclass(frozen=True)
class Route:
    """A way from one site to another: the roads in order (each with the site it leaves from), and via which crossing."""

    inside: tuple[tuple[Road, str], ...]  # roads in the country, with the site each is entered from
    crossing: str | None
    outside: tuple[tuple[Road, str], ...]
    to: str
    inside_hours: float
    outside_hours: float

    @property
    def hours(self) -> float:
        return self.inside_hours + self.outside_hours


@dataclass
class Network:
    """A theatre's sites, roads and pools, read from a resolved scenario."""

    bases: dict[str, BaseSpec]
    crossings: dict[str, CrossingPoint]  # name -> the crossing as a convoy meets it (its name is the title)
    destinations: dict[str, DestinationSpec]
    sites: dict[str, SiteSpec]
    roads: list[Road]
    pools: dict[str, PoolSpec]
    beyond: frozenset[str] = frozenset()  # sites beyond the border: destinations and what they reach without a crossing
    _routes: dict[tuple[object, ...], Any] = field(init=False, default_factory=dict)  # worked out once: routes, ways back
    _maps: dict[float | None, RoadMap] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        between: dict[tuple[str, str], Road] = {}
        for road in self.roads:
            if (road.start, road.end) not in between:  # two roads between the same sites: keep the first (legs are two-way)
                between[road.start, road.end] = between[road.end, road.start] = road
        self._road_between = between
        self.beyond = frozenset(self.beyond) | frozenset(self.destinations)
        self._inside_nodes = frozenset(n for n in self.sites if n not in self.crossings and n not in self.beyond)

    @functools.cached_property
    def graph(self) -> nx.Graph:
        """The sites and roads as a networkx graph (the first road between two sites), built when first asked for."""
        g = nx.Graph()
        g.add_nodes_from(self.sites)
        for road in self.roads:
            if not g.has_edge(road.start, road.end):
                g.add_edge(road.start, road.end, road=road)
        return g

    @property
    def main_base(self) -> str:
        return next(iter(self.bases))

    # --- routes -------------------------------------------------------------------------
    def _paths(self, source: str, cap: float | None, through: frozenset[str]) -> Paths:
        """Quickest paths from ``source`` passing only through the sites of ``through``: (hours, paths), by the one
        route engine (:mod:`sim.scenario.routing`: Dijkstra on the roads' driving hours at ``cap``). Its searches
        are kept per network and driving hours, so replications with the same roads and paces share them."""
        roads = self._maps.get(cap)
        if roads is None:
            roads = self._maps[cap] = road_map(tuple((road.start, road.end, road.leg.driving_hours(cap)) for road in self.roads), tuple(self.sites))
        return roads.quickest(source, through)

    def _steps(self, path: list[str]) -> Steps:
        between = self._road_between
        return tuple((between[a, b], a) for a, b in itertools.pairwise(path))

    def inside_nodes(self) -> frozenset[str]:
        """Sites in the country: bases, hubs and any other site not a crossing and not beyond one."""
        return self._inside_nodes

    def routes_out(self, base: str, cap: float | None) -> list[Route]:
        """Quickest route from ``base`` through each crossing it reaches to the nearest destination, quickest first."""
        key = ("out", base, cap)
        hit = self._routes.get(key)
        if hit is not None:
            return cast(list[Route], hit)
        out = []
        hours_in, paths_in = self._paths(base, cap, self.inside_nodes())  # crossings end paths, never lie on them
        for crossing in self.crossings:
            if crossing not in paths_in:
                continue
            hours_out, paths_out = self._paths(crossing, cap, self.beyond)
            reach = [d for d in self.destinations if d in paths_out]
            if not reach:
                continue
            dest = min(reach, key=lambda d: hours_out[d])
            out.append(Route(self._steps(paths_in[crossing]), crossing, self._steps(paths_out[dest]), dest, hours_in[crossing], hours_out[dest]))
        out.sort(key=lambda r: r.hours)  # stable: ties keep the file order of crossings
        self._routes[key] = out
        return out

    def outside_path(self, crossing: str, destination: str, cap: float | None) -> tuple[float, Steps]:
        """Driving hours and roads from ``crossing`` to ``destination`` beyond the border (infinite if none)."""
        hours, paths = self._paths(crossing, cap, self.beyond)
        if destination not in paths:
            return math.inf, ()
        return hours[destination], self._steps(paths[destination])

    def way_back(self, base: str, destination: str, cap: float | None) -> tuple[Route, Steps, Steps]:
        """The quickest way back from ``destination`` to ``base``: (its route out, the roads beyond driven back
        to its crossing, the roads in the country driven back to the base)."""
        key = ("back", base, destination, cap)
        hit = self._routes.get(key)
        if hit is None:
            back = min(self.routes_out(base, cap), key=lambda r: self.outside_path(str(r.crossing), destination, cap)[0] + r.inside_hours)
            outside = tuple(reversed(self.outside_path(str(back.crossing), destination, cap)[1]))
            hit = self._routes[key] = (back, outside, tuple(reversed(back.inside)))
        return cast(tuple[Route, Steps, Steps], hit)

    def route_inside(self, start: str, end: str, cap: float | None) -> Route | None:
        """Quickest route between two sites in the country (a base to its hub, one base to another)."""
        hours, paths = self._paths(start, cap, self.inside_nodes())
        if end not in paths or end not in self._inside_nodes:
            return None
        return Route(self._steps(paths[end]), None, (), end, hours[end], 0.0)

    def crossing_route(self, base: str, crossing: str, cap: float | None) -> Route | None:
        """The quickest route out of ``base`` that goes through ``crossing``."""
        return next((r for r in self.routes_out(base, cap) if r.crossing == crossing), None)
