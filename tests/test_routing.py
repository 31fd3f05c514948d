"""The one route engine: Dijkstra gives the quickest path the old enumeration of every simple path gave, passes
only the sites it may, and runs a network whose simple paths could never be enumerated."""

from __future__ import annotations

import itertools
import time

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.route import Leg
from sim.scenario.routing import RoadMap, beyond_border, march_hours


def test_march_hours_are_the_legs_driving_hours_open_road_towns_halts_and_a_speed_cap():
    # 230 km, 20 of them in towns: 210 / 40 + 20 / 24 = 6.083 h moving, 3 halts of 15 min
    assert march_hours(230, 20, 40, 24, 15, 2) == pytest.approx(210 / 40 + 20 / 24 + 0.75)
    # capped at 30 km/h: 210 / 30 + 20 / 24 = 7.83 h, 3 halts
    assert march_hours(230, 20, 40, 24, 15, 2, speed_cap_kmh=30) == pytest.approx(7 + 20 / 24 + 0.75)
    leg = Leg(230, 20, 40, 24, 15, 2)
    assert leg.driving_hours(30, 12.0) == march_hours(230, 20, 40, 24, 15, 2, 30, 12.0)


def test_the_quickest_path_passes_only_the_sites_it_may_and_a_crossing_ends_a_path():
    # A-X (crossing) 1 h, X-B 1 h, A-B 5 h: B is 2 h away through X, but X may end a path, not be passed.
    roads = RoadMap([("a", "x", 1.0), ("x", "b", 1.0), ("a", "b", 5.0)])
    hours, paths = roads.quickest("a", {"a", "b"})
    assert paths["b"] == ["a", "b"] and hours["b"] == 5.0
    assert paths["x"] == ["a", "x"] and hours["x"] == 1.0
    hours, paths = roads.quickest("a", {"a", "b", "x"})
    assert paths["b"] == ["a", "x", "b"] and hours["b"] == 2.0


def test_two_roads_between_the_same_sites_keep_the_first():
    roads = RoadMap([("a", "b", 3.0), ("b", "a", 1.0)])
    assert roads.quickest("a", {"a", "b"})[0]["b"] == 3.0


def test_a_site_with_no_road_reaches_only_itself():
    roads = RoadMap([("a", "b", 1.0)], sites=["a", "b", "c"])
    assert roads.quickest("c", {"a", "b", "c"}) == ({"c": 0.0}, {"c": ["c"]})
    assert "c" not in roads.quickest("a", {"a", "b", "c"})[1]


def test_beyond_the_border_is_what_a_destination_reaches_without_a_crossing():
    roads = [("base", "hub"), ("hub", "x"), ("x", "depot"), ("depot", "erbil")]
    assert beyond_border(roads, {"x"}, {"erbil"}) == {"depot", "erbil"}


@st.composite
def road_networks(draw):
    n = draw(st.integers(3, 7))
    pairs = list(itertools.combinations(range(n), 2))
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=len(pairs), unique=True))
    hours = draw(st.lists(st.floats(0.25, 10.0, allow_nan=False), min_size=len(chosen), max_size=len(chosen)))
    through = draw(st.sets(st.integers(0, n - 1)))
    return [(f"s{a}", f"s{b}", h) for (a, b), h in zip(chosen, hours, strict=True)], {f"s{i}" for i in through}


@settings(max_examples=150, deadline=None)
@given(road_networks())
def test_dijkstra_gives_the_hours_of_the_quickest_of_every_simple_path(network):
    # The rule the model used before the route engine: every simple path from the start whose inner sites may be
    # passed, hours added up road by road from the start, the least kept. Dijkstra must give the same hours, bit for bit.
    roads, through = network
    graph = nx.Graph()
    for a, b, h in roads:
        if not graph.has_edge(a, b):
            graph.add_edge(a, b, hours=h)
    hours, paths = RoadMap(roads).quickest("s0", through)
    for target in graph:
        if target == "s0" or "s0" not in graph:
            continue
        best = None
        for path in nx.all_simple_paths(graph, "s0", target):
            if any(site not in through for site in path[1:-1]):
                continue
            h = 0.0
            for a, b in itertools.pairwise(path):
                h += graph.edges[a, b]["hours"]
            best = h if best is None else min(best, h)
        if best is None:
            assert target not in hours
        else:
            assert hours[target] == best
            assert paths[target][0] == "s0" and paths[target][-1] == target
            h = 0.0
            for a, b in itertools.pairwise(paths[target]):
                h += graph.edges[a, b]["hours"]
            assert h == best


@settings(max_examples=150, deadline=None)
@given(road_networks(), st.integers(0, 6))
def test_the_search_is_networkxs_dijkstra_ties_and_all(network, whole_hours):
    # Whole hours make ties common: the path kept where hours tie must be the one networkx keeps.
    roads, through = network
    if whole_hours:
        roads = [(a, b, float(round(h) % whole_hours + 1)) for a, b, h in roads]
    road_map = RoadMap(roads)

    def hours(here, _next, road):
        return road["hours"] if here == "s0" or here in through else None

    graph = nx.Graph()
    for a, b, h in roads:  # as the model built its graph: the first of two roads joining the same sites
        if not graph.has_edge(a, b):
            graph.add_edge(a, b, hours=h)
    expected = nx.single_source_dijkstra(graph, "s0", weight=hours) if "s0" in graph else ({"s0": 0.0}, {"s0": ["s0"]})
    assert road_map.quickest("s0", through) == expected


def test_a_mesh_with_too_many_simple_paths_to_enumerate_is_routed_in_a_moment():
    # A 12 x 12 grid of bases has more than 10^25 simple paths corner to corner; enumerating them never ends.
    # Dijkstra finds the quickest (22 roads of 1 h) at once.
    grid = nx.grid_2d_graph(12, 12)
    roads = [(f"{a}", f"{b}", 1.0) for a, b in grid.edges]
    start = time.perf_counter()
    hours, paths = RoadMap(roads).quickest(str((0, 0)), {str(n) for n in grid})
    assert hours[str((11, 11))] == 22.0 and len(paths[str((11, 11))]) == 23
    assert time.perf_counter() - start < 5.0


def test_a_generated_theatre_of_50_bases_and_200_roads_is_valid_and_every_base_has_a_route_out():
    # The routing bench's theatre (benchmarks/big_theatre.py): before the route engine, enumerating its simple paths
    # never finished one replication. Each base's quickest way out must pass only roads in the country up to a
    # crossing, then roads beyond it; the shortest tree of the generator joins every base to a crossing.
    from benchmarks.big_theatre import big_theatre, routing_seconds
    from sim.model.sites import network_of
    from sim.replication import prepare
    from sim.scenario.loading import validate_table

    table = big_theatre(50)
    assert len([s for s in table["sites"].values() if s["kind"] == "base"]) == 50 and len(table["legs"]) == 200
    scenario = prepare(validate_table(table, "", "big_theatre_50")).base
    assert routing_seconds(scenario) < 30.0
    network = network_of(scenario)
    for name in network.bases:
        routes = network.routes_out(name, None)
        assert routes, name
        quickest = routes[0]
        assert [road.inside for road, _ in quickest.inside] == [True] * len(quickest.inside)
        assert [road.inside for road, _ in quickest.outside] == [False] * len(quickest.outside)
        assert quickest.hours == min(r.hours for r in routes)
        sites = [start for _, start in quickest.inside]
        assert sites[0] == name and len(set(sites)) == len(sites)  # a path, no site twice
