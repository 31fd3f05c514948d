"""One base of a theatre seen as a one-base scenario, for the checks and bounds written for one base.

:func:`base_view` gives a base its own groups (cargo, vehicles, people, loading,
airlift), the resources of its pools (trucks by type, escort teams, Apaches), the
shared groups, and a route: the roads of its quickest way out in the country as the
Syrian leg (km and town km added up, the first road's speeds, halts, rules and
threats), the roads beyond as the Iraqi leg, its crossings (quickest first) as main and
alternate, and the nearest destination. A base sending to a hub sees the road to the
hub as its Syrian leg and the hub's way out beyond it. The view is not validated again
(its parts were): it is built with ``model_construct``.
"""

from __future__ import annotations

import itertools
from typing import Any

import networkx as nx

from sim.scenario.distributions import _Distribution
from sim.scenario.routing import RoadMap, beyond_border, march_hours, road_map
from sim.scenario.schema import (
    TRUCK_TYPES,
    AirCover,
    Airlift,
    BaseGroups,
    Crossing,
    CrossingPoint,
    Destination,
    DestinationSite,
    Escort,
    Fleet,
    NetworkLeg,
    RoadLeg,
    Route,
    Scenario,
    TheatreScenario,
    Threats,
    TruckType,
)

# the fields of the view that come from the base's own groups: a problem found there is the base's
BASE_GROUPS = ("cargo", "vehicles", "people", "loading", "airlift", *BaseGroups.group_names())


def _number(value) -> float:
    return float(value.p50) if isinstance(value, _Distribution) else float(value)


def _total(values: list):
    """Several pools' counts as one: a single one as written (distribution or number), else the sum of medians."""
    values = [v for v in values if v is not None]
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return sum(_number(v) for v in values)


def _roads(s: TheatreScenario) -> tuple[nx.Graph, RoadMap]:
    """The theatre's roads: a graph with each leg (the first of two joining the same sites), and the route engine's
    map of them at their march hours, distributions at their medians."""
    g = nx.Graph()
    g.add_nodes_from(s.sites)
    for leg in s.legs:
        if not g.has_edge(leg.start, leg.end):
            g.add_edge(leg.start, leg.end, leg=leg)
    hours = [(leg.start, leg.end, _march_hours(leg)) for leg in s.legs]
    return g, road_map(tuple(hours), tuple(s.sites))


def _march_hours(leg: NetworkLeg) -> float:
    numbers = (leg.km, leg.town_km, leg.speed_kmh, leg.town_speed_kmh, leg.halt_minutes, leg.halt_every_hours)
    return march_hours(*(_number(n) for n in numbers))


def _leg_of(g: nx.Graph, path: list[str] | None) -> RoadLeg:
    if not path or len(path) < 2:
        return RoadLeg.model_construct(km=0.0, town_km=0.0, speed_kmh=50.0, town_speed_kmh=50.0, halt_minutes=0.0, halt_every_hours=24.0, source="none")
    legs = [g.edges[a, b]["leg"] for a, b in itertools.pairwise(path)]
    first = legs[0]
    km = legs[0].km if len(legs) == 1 else sum(_number(leg.km) for leg in legs)
    town = legs[0].town_km if len(legs) == 1 else sum(_number(leg.town_km) for leg in legs)
    return RoadLeg.model_construct(
        km=km,
        town_km=town,
        speed_kmh=first.speed_kmh,
        town_speed_kmh=first.town_speed_kmh,
        halt_minutes=first.halt_minutes,
        halt_every_hours=first.halt_every_hours,
        daylight_only_for=first.daylight_only_for,
        source=first.source,
        source_kind=None,
    )


def base_view(s: TheatreScenario, base: str) -> Scenario:
    """The one-base scenario ``base`` of the theatre ``s`` stands for (see the module's docstring)."""
    site = s.bases[base]
    g, roads = _roads(s)
    crossings, destinations = list(s.crossings), list(s.destinations)
    beyond = beyond_border(((leg.start, leg.end) for leg in s.legs), set(crossings), set(destinations))
    inside = {n for n in s.sites if n not in crossings and n not in beyond}  # as the model's network: sites not past a crossing
    start = base
    to_hub = None
    if site.send_to is not None:
        to_hub = roads.quickest(base, inside)[1].get(site.send_to)
        start = site.send_to
    routes = []
    hours_in, paths_in = roads.quickest(start, inside)  # crossings end paths, never lie on them
    for c in crossings:
        if c not in paths_in:
            continue
        hours_out, paths_out = roads.quickest(c, beyond)
        reach = [d for d in destinations if d in paths_out]
        if not reach:
            continue
        d = min(reach, key=lambda d: hours_out[d])
        routes.append((hours_in[c] + hours_out[d], c, paths_in[c], paths_out[d]))
    routes.sort(key=lambda r: r[0])
    pools = [s.pools[p] for p in site.pools if p in s.pools]
    fleet = {}
    for kind in TRUCK_TYPES:
        speeds = getattr(s.fleet, kind)
        counts = [getattr(p.fleet, kind).count for p in pools if p.fleet is not None and getattr(p.fleet, kind) is not None]
        fleet[kind] = TruckType.model_construct(
            count=_total(counts), speed_kmh=speeds.speed_kmh, cab_seats=speeds.cab_seats, source=speeds.source, source_kind=None
        )
    fleet_group = Fleet.model_construct(
        civilian=fleet["civilian"],
        lowboy=fleet["lowboy"],
        military=fleet["military"],
        het=fleet["het"],
        breakdowns_per_1000_km=s.fleet.breakdowns_per_1000_km,
        recovery_hours=s.fleet.recovery_hours,
        repair_hours=s.fleet.repair_hours,
        source=s.fleet.source,
        source_kind=None,
    )
    escort = Escort.model_construct(
        teams=_total([p.escort.teams for p in pools if p.escort is not None]),
        vehicles_per_team=s.escort.vehicles_per_team,
        rest_hours=s.escort.rest_hours,
        source=s.escort.source,
        source_kind=None,
    )
    apaches = next((p.air_cover.apaches for p in pools if p.air_cover is not None and _number(p.air_cover.apaches) > 0), 0.0)
    cover = AirCover.model_construct(**{k: v for k, v in s.air_cover if k != "source_kind"}, apaches=apaches, source_kind=None)
    if routes:
        _, _, p_in, p_out = routes[0]
        syria_path = to_hub[:-1] + p_in if to_hub else p_in
        syria, iraq = _leg_of(g, syria_path), _leg_of(g, p_out)
        first = g.edges[syria_path[0], syria_path[1]]["leg"] if len(syria_path) > 1 else None
        threats = (
            first.threats
            if first is not None and first.threats is not None
            else Threats.model_construct(closures_per_week=0.0, closure_hours=0.0, source="none")
        )
        points = [_point(s, c) for _, c, _, _ in routes[:2]]
        site_at_end = s.sites[p_out[-1]]
        dest = site_at_end if isinstance(site_at_end, DestinationSite) else None
    else:
        syria, iraq, points, dest = _leg_of(g, to_hub), _leg_of(g, None), [], None
        threats = _no_threats()
    crossing = Crossing.model_construct(
        main=points[0] if points else _closed_point(), alternate=points[1] if len(points) > 1 else None, divert_after_hours=s.crossing.divert_after_hours
    )
    destination = Destination.model_construct(
        name=dest.title if dest else "none",
        unload_teams=dest.unload_teams if dest else 1,
        unload_hours_per_truck=s.destination.unload_hours_per_truck,
        source=s.destination.source,
        source_kind=None,
    )
    airlift = site.airlift if site.airlift is not None else _no_strip()
    groups: dict[str, Any] = BaseGroups.of(site, s).groups()  # the theatre's deadline for a base without its own
    return Scenario.model_construct(
        scenario=s.scenario,
        cargo=site.cargo,
        vehicles=site.vehicles,
        people=site.people,
        fleet=fleet_group,
        convoys=s.convoys,
        loading=site.loading,
        escort=escort,
        air_cover=cover,
        route=Route.model_construct(syria=syria, iraq=iraq, threats=threats),
        crossing=crossing,
        destination=destination,
        airlift=airlift,
        weather=s.weather,
        pause=s.pause,
        history=None,
        **groups,
        source_kind=None,
    )


def _point(s: TheatreScenario, name: str) -> CrossingPoint:
    return s.crossings[name].as_point()  # routes pass crossings


def _closed_point() -> CrossingPoint:
    return CrossingPoint.model_construct(
        name="none",
        lanes=0,
        fixed_hours=0.0,
        minutes_per_vehicle=0.0,
        open_hours=(0.0, 24.0),
        closures_per_month=0.0,
        closure_days=0.0,
        scheduled_closures=[],
        extra_km=0.0,
        source="none",
        source_kind=None,
    )


def _no_strip() -> Airlift:
    from sim.scenario.schema import Aircraft

    none = Aircraft.model_construct(allowed=False, pallets=0, troops=0, runway_m=1.0, source="none", source_kind=None)
    return Airlift.model_construct(
        runway_m=1.0,
        sorties_per_day=0.0,
        ground_hours=1.0,
        flight_hours=1.0,
        max_on_ground=0,
        aircraft=None,
        destination_hours=1.0,
        c130j=none,
        c17=none,
        source="none",
        source_kind=None,
    )


def _no_threats() -> Threats:
    return Threats.model_construct(closures_per_week=0.0, closure_hours=0.0, source="none", source_kind=None)
