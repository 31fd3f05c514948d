"""The one-base shorthand expanded: a one-base file as the theatre of one base it stands for.

A one-base file (no ``[sites]``) describes one base, its road to the border, its crossings and its
destination. :func:`as_theatre` writes it as a theatre (docs/MODEL.md, "The one-base shorthand"):

- the base ``base`` (titled "the base") with the file's cargo, vehicles, people, loading, airlift,
  deadline and optional groups, drawing on one pool;
- the crossings ``main`` and, if the file has one, ``alternate`` (each titled by its ``name``);
- the roads ``base-main`` (the Syrian leg, with the route's threats), ``base-alternate`` (the Syrian
  leg plus the alternate's ``extra_km`` detour, a road of its own sharing ``base-main``'s threat
  closures), and ``main-destination`` / ``alternate-destination`` (the Iraqi leg, never closed);
- the destination ``destination`` (titled by its ``name``, with its unloading teams);
- the pool ``base`` ("the base's own", at the base): the file's trucks by type, escort teams and Apaches;
- the fleet's speeds, cab seats and breakdowns, the escort's team size and rest, the air cover's
  rates and the crossings' diversion as the theatre's shared groups.

The expansion is made AFTER the draws, from a *resolved* scenario: the inputs stay those of the file
as written (``fleet.military.count``, ``route.syria.km``...), the dotted paths that name their random
streams and that ``--set``, study files, observations and plan levers use. The parts were validated
with the file, so the theatre is built without validating them again (``model_construct``, by :func:`sim.scenario.draws.construct`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.scenario.draws import construct
from sim.scenario.schema import (
    TRUCK_TYPES,
    BaseGroups,
    BaseSite,
    CrossingPoint,
    CrossingSite,
    DestinationSite,
    Fleet,
    Group,
    NetworkLeg,
    Pool,
    PoolAirCover,
    PoolEscort,
    PoolFleet,
    PoolTrucks,
    RoadLeg,
    Scenario,
    SpeedsOnly,
    TheatreAirCover,
    TheatreCrossing,
    TheatreDestination,
    TheatreEscort,
    TheatreFleet,
    TheatreScenario,
    Threats,
    TruckType,
)

BASE = "base"
"""The one-base shorthand's names: its base (and its one pool), its crossings and its destination."""
MAIN, ALTERNATE, DESTINATION = "main", "alternate", "destination"
BASE_TITLE = "the base"
POOL_TITLE = "the base's own"


def as_theatre(s: Scenario) -> TheatreScenario:
    """The theatre of one base a resolved one-base scenario stands for (see the module's docstring); a theatre as it is."""
    if isinstance(s, TheatreScenario):
        return s
    sites: dict[str, Any] = {BASE: _base(s), MAIN: _crossing(s.crossing.main)}
    legs = [_leg(BASE, MAIN, s.route.syria, threats=s.route.threats)]
    alternate = s.crossing.alternate
    if alternate is not None:
        sites[ALTERNATE] = _crossing(alternate)
        legs.append(_leg(BASE, ALTERNATE, s.route.syria, detour_km=alternate.extra_km, shares_threats_with=f"{BASE}-{MAIN}"))
    legs += [_leg(name, DESTINATION, s.route.iraq) for name in sites if name != BASE]
    destination = s.destination
    sites[DESTINATION] = construct(
        DestinationSite,
        kind="destination",
        title=destination.name,
        lat=0.0,
        lon=0.0,
        unload_teams=destination.unload_teams,
        source=destination.source,
        source_kind=None,
    )
    fleet, escort, cover = s.fleet, s.escort, s.air_cover
    return construct(
        TheatreScenario,
        scenario=s.scenario,
        fleet=construct(
            TheatreFleet,
            **_by_type(fleet, _speeds),
            breakdowns_per_1000_km=fleet.breakdowns_per_1000_km,
            recovery_hours=fleet.recovery_hours,
            repair_hours=fleet.repair_hours,
            source=fleet.source,
            source_kind=None,
        ),
        convoys=s.convoys,
        escort=construct(TheatreEscort, vehicles_per_team=escort.vehicles_per_team, rest_hours=escort.rest_hours, source=escort.source, source_kind=None),
        air_cover=construct(
            TheatreAirCover,
            sorties_per_aircraft_per_day=cover.sorties_per_aircraft_per_day,
            hours_on_station=cover.hours_on_station,
            share_of_convoys=cover.share_of_convoys,
            always_for_sensitive=cover.always_for_sensitive,
            when_short=cover.when_short,
            source=cover.source,
            source_kind=None,
        ),
        crossing=construct(TheatreCrossing, divert_after_hours=s.crossing.divert_after_hours, source_kind=None),
        destination=construct(TheatreDestination, unload_hours_per_truck=destination.unload_hours_per_truck, source=destination.source, source_kind=None),
        weather=s.weather,
        pause=s.pause,
        history=s.history,
        sites=sites,
        legs=legs,
        pools={BASE: _pool(s)},
        theatre=None,
        source_kind=None,
        **dict.fromkeys(BaseGroups.group_names()),  # the base's own (its deadline too)
    )


def _base(s: Scenario) -> BaseSite:
    return construct(
        BaseSite,
        kind="base",
        title=BASE_TITLE,
        lat=0.0,
        lon=0.0,
        source=s.scenario.source,
        cargo=s.cargo,
        vehicles=s.vehicles,
        people=s.people,
        loading=s.loading,
        airlift=s.airlift,
        start_day=0.0,
        after=None,
        send_to=None,
        leaves=1.0,
        pools=[BASE],
        same_place_as=None,
        same_place=0.5,
        source_kind=None,
        **{name: getattr(s, name) for name in BaseGroups.group_names()},
    )


def _crossing(point: CrossingPoint) -> CrossingSite:
    """A crossing point as a site, titled by its name (its detour, if any, is the road to it)."""
    return construct(
        CrossingSite,
        kind="crossing",
        title=point.name,
        lat=0.0,
        lon=0.0,
        lanes=point.lanes,
        fixed_hours=point.fixed_hours,
        minutes_per_vehicle=point.minutes_per_vehicle,
        open_hours=point.open_hours,
        closures_per_month=point.closures_per_month,
        closure_days=point.closure_days,
        scheduled_closures=point.scheduled_closures,
        source=point.source,
        source_kind=_as_site(point.source_kind),
    )


def _as_site(kinds: dict[str, str] | None) -> dict[str, str] | None:
    """A crossing point's kinds of source as its site's: its ``name`` is the site's ``title``; its detour is the road's."""
    if kinds is None:
        return None
    return {"title" if field == "name" else field: kind for field, kind in kinds.items() if field != "extra_km"}


def _leg(
    start: str, end: str, road: RoadLeg, detour_km: float | None = None, threats: Threats | None = None, shares_threats_with: str | None = None
) -> NetworkLeg:
    """The road ``start``-``end`` marched as ``road`` (``detour_km`` longer, for an alternate crossing's detour), with its
    threats or another road's."""
    return construct(
        NetworkLeg,
        start=start,
        end=end,
        km=road.km if detour_km is None else road.km + detour_km,
        town_km=road.town_km,
        speed_kmh=road.speed_kmh,
        town_speed_kmh=road.town_speed_kmh,
        halt_minutes=road.halt_minutes,
        halt_every_hours=road.halt_every_hours,
        daylight_only_for=road.daylight_only_for,
        threats=threats,
        shares_threats_with=shares_threats_with,
        source=road.source,
        source_kind=None,
    )


def _by_type(fleet: Fleet, part: Callable[[TruckType], Group]) -> dict[str, Any]:
    """A part of each truck type of the fleet, by type."""
    return {kind: part(getattr(fleet, kind)) for kind in TRUCK_TYPES}


def _count(truck: TruckType) -> PoolTrucks:
    return construct(PoolTrucks, count=truck.count, source=truck.source, source_kind=None)


def _speeds(truck: TruckType) -> SpeedsOnly:
    return construct(SpeedsOnly, speed_kmh=truck.speed_kmh, cab_seats=truck.cab_seats, source=truck.source, source_kind=None)


def _pool(s: Scenario) -> Pool:
    """The base's own trucks by type, escort teams and Apaches, at the base."""
    fleet = s.fleet
    return construct(
        Pool,
        title=POOL_TITLE,
        home=BASE,
        fleet=construct(
            PoolFleet,
            **_by_type(fleet, _count),
            source_kind=None,
        ),
        escort=construct(PoolEscort, teams=s.escort.teams, source=s.escort.source, source_kind=None),
        air_cover=construct(PoolAirCover, apaches=s.air_cover.apaches, source=s.air_cover.source, source_kind=None),
        source_kind=None,
    )


__all__ = ["ALTERNATE", "BASE", "DESTINATION", "MAIN", "as_theatre"]
