"""The one route engine: the quickest ways between sites on a theatre's road network.

The model (:mod:`sim.model.network`: the routes convoys drive, loaded and empty, which the
capacity bounds and the backtest's paper forecast read too, :mod:`sim.analysis.theatre_base`) and
the per-base feasibility checks (:mod:`sim.scenario.feasibility`: a base's crossings, destinations
and way to the border) both choose routes here, with the same rule: the quickest path by
march hours (:func:`march_hours`: open road and towns at a convoy's pace, short halts),
found by Dijkstra as networkx runs it (:class:`RoadMap`). Its cost grows with the number of
roads (about ``E log V`` per search), never with the number of possible paths.

A search may *pass through* only some sites (``through``: the sites inside the country,
or those beyond the border); any other site may *end* a path but not be driven through.
One search from a base therefore gives its quickest way to every crossing it reaches
without passing another crossing. Equal hours keep the first path Dijkstra settles (roads
in file order).

Searches are kept per road network and march hours (:func:`road_map`), so that
replications whose roads and paces are the same do not search again.
"""

from __future__ import annotations

import functools
import heapq
import itertools
from collections.abc import Collection, Iterable

import networkx as nx


def march_hours(
    km: float,
    town_km: float,
    speed_kmh: float,
    town_speed_kmh: float,
    halt_minutes: float,
    halt_every_hours: float,
    speed_cap_kmh: float | None = None,
    extra_km: float = 0.0,
) -> float:
    """Hours on a road for a convoy (FM 55-30 march practice): ``km`` at ``speed_kmh`` on the open road and ``town_km``
    of it at ``town_speed_kmh``, both capped at the slowest vehicle's ``speed_cap_kmh``, ``extra_km`` more on the open
    road, and a halt of ``halt_minutes`` every ``halt_every_hours`` hours of moving. ``town_km`` is within ``km``:
    validation refuses more (:func:`sim.scenario.loading.town_km_problem`), so it is never capped here."""
    open_speed = speed_kmh if speed_cap_kmh is None else min(speed_kmh, speed_cap_kmh)
    town_speed = town_speed_kmh if speed_cap_kmh is None else min(town_speed_kmh, speed_cap_kmh)
    moving = (km - town_km + extra_km) / open_speed + town_km / town_speed
    halts = int(moving // halt_every_hours) * halt_minutes / 60.0
    return moving + halts


Quickest = tuple[dict[str, float], dict[str, list[str]]]
"""(hours to each site reached, the sites in order from the start to it); read-only: shared between replications."""


class RoadMap:
    """Sites joined by two-way roads, each with its march hours; where two roads join the same two sites, the first.

    The roads are kept as networkx keeps a graph's adjacency (each site's neighbours in the order their roads were
    given), and :meth:`quickest` runs Dijkstra on them exactly as ``networkx.single_source_dijkstra`` does (the same
    heap order, so the same path where hours tie), without networkx's per-call dispatch: a replication of the
    baseline searches a few times with its own drawn road lengths, and networkx's overhead was most of each search.
    """

    def __init__(self, roads: Iterable[tuple[str, str, float]], sites: Iterable[str] = ()) -> None:
        adjacency: dict[str, dict[str, float]] = {site: {} for site in sites}
        for start, end, hours in roads:
            if end in adjacency.get(start, ()):
                continue
            adjacency.setdefault(start, {})[end] = hours
            adjacency.setdefault(end, {})[start] = hours
        self.adjacency = adjacency
        self._searches: dict[tuple[str, frozenset[str]], Quickest] = {}

    def quickest(self, start: str, through: Collection[str]) -> Quickest:
        """The quickest path from ``start`` to every site it reaches passing only through the sites of ``through``
        (others may end a path, not be passed), with its hours: Dijkstra, once per start and ``through``."""
        through = frozenset(through)
        key = (start, through)
        hit = self._searches.get(key)
        if hit is None:
            hit = self._searches[key] = self._dijkstra(start, through)
        return hit

    def _dijkstra(self, start: str, through: frozenset[str]) -> Quickest:
        adjacency = self.adjacency
        hours: dict[str, float] = {}
        seen: dict[str, float] = {start: 0.0}
        paths: dict[str, list[str]] = {start: [start]}
        order = itertools.count()
        fringe: list[tuple[float, int, str]] = [(0.0, next(order), start)]
        while fringe:
            h, _, site = heapq.heappop(fringe)
            if site in hours:
                continue
            hours[site] = h
            if site != start and site not in through:
                continue  # a path may end here, not pass
            for other, road in adjacency.get(site, {}).items():
                if other in hours:
                    continue
                total = h + road
                if other not in seen or total < seen[other]:
                    seen[other] = total
                    heapq.heappush(fringe, (total, next(order), other))
                    paths[other] = [*paths[site], other]
        return hours, paths


def beyond_border(roads: Iterable[tuple[str, str]], crossings: Collection[str], destinations: Collection[str]) -> set[str]:
    """Sites beyond the border: the destinations, and every site reached from one by ``roads`` (from, to) without
    passing a crossing. The sites neither beyond nor crossings are inside the country."""
    graph = nx.Graph(list(roads))
    sub = graph.subgraph(n for n in graph if n not in crossings)
    out = set(destinations)
    for d in destinations:
        if d in sub:
            out |= nx.node_connected_component(sub, d)
    return out


@functools.lru_cache(maxsize=256)
def road_map(roads: tuple[tuple[str, str, float], ...], sites: tuple[str, ...] = ()) -> RoadMap:
    """The :class:`RoadMap` of ``roads`` ((from, to, march hours), in file order), kept for networks seen before."""
    return RoadMap(roads, sites)
