"""The network a resolved scenario describes: a theatre file as written, or a one-base file expanded.

:func:`network_of` reads a *resolved* theatre (every number drawn) into the plain records of
:mod:`sim.model.network`: bases (:class:`~sim.model.network.BaseSpec`), crossings, destinations,
roads and pools. A one-base file is first expanded into the theatre of one base it stands for
(:func:`sim.scenario.shorthand.as_theatre`: its base, the main and alternate crossings, the
alternate's detour a road of its own sharing the Syrian leg's threats, the destination, and one pool
of the base's own trucks, escort teams and Apaches; docs/MODEL.md, "The one-base shorthand"). It is
expanded after the draws, so its inputs keep their dotted paths; one builder reads both.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence

from sim.model.convoy import KINDS
from sim.model.network import BaseSpec, DestinationSpec, Network, PoolSpec, Road, SiteSpec
from sim.model.route import Leg
from sim.scenario.routing import beyond_border
from sim.scenario.schema import BaseGroups, BaseSite, Cargo, CrossingPoint, CrossingSite, NetworkLeg, People, Scenario, TheatreScenario, strips_of
from sim.scenario.shorthand import as_theatre


def network_of(s: Scenario) -> Network:
    """The network of a resolved scenario: a theatre as written, or a one-base file expanded (``as_theatre``)."""
    return _theatre(as_theatre(s))


def _kinds(value: Sequence[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


def _theatre(s: TheatreScenario) -> Network:
    bases: dict[str, BaseSpec] = {}
    crossings: dict[str, CrossingPoint] = {}
    destinations: dict[str, DestinationSpec] = {}
    sites: dict[str, SiteSpec] = {}
    for name, site in s.sites.items():
        sites[name] = SiteSpec(name=name, title=site.title, kind=site.kind, lat=site.lat, lon=site.lon)
        if isinstance(site, BaseSite):
            bases[name] = BaseSpec(
                name=name,
                kind=site.kind,
                title=site.title,
                cargo=site.cargo,
                vehicles=site.vehicles,
                people=site.people,
                loading=site.loading,
                airstrips=tuple(strip for _, strip in strips_of(site.airlift)),
                start_day=float(site.start_day),
                after=site.after,
                send_to=site.send_to,
                leaves=float(site.leaves),
                pools=tuple(site.pools),
                lat=site.lat,
                lon=site.lon,
                groups=BaseGroups.of(site, s),  # the theatre's deadline for a base without its own
                same_place_as=site.same_place_as,
                same_place=float(site.same_place),
            )
        elif isinstance(site, CrossingSite):
            crossings[name] = site.as_point()
        else:
            destinations[name] = DestinationSpec(name=name, title=site.title, unload_teams=int(site.unload_teams))
    beyond = _beyond(s)
    roads = [
        Road(
            index=i,
            name=leg.name,
            start=leg.start,
            end=leg.end,
            leg=_leg_of(leg),
            daylight_only_for=_kinds(leg.daylight_only_for),
            threats=leg.threats,
            shares_threats_with=leg.shares_threats_with,
            inside=not (leg.start in beyond or leg.end in beyond),
        )
        for i, leg in enumerate(s.legs)
    ]
    pools: dict[str, PoolSpec] = {}
    for name, pool in s.pools.items():
        trucks = {k: int(getattr(pool.fleet, k).count) if pool.fleet is not None and getattr(pool.fleet, k) is not None else 0 for k in KINDS}
        pools[name] = PoolSpec(
            name=name,
            title=pool.title,
            home=pool.home,
            trucks=trucks,
            escort_teams=int(pool.escort.teams) if pool.escort else 0,
            apaches=int(pool.air_cover.apaches) if pool.air_cover else 0,
        )
    return Network(bases, crossings, destinations, sites, roads, pools, beyond=beyond)


def _leg_of(leg: NetworkLeg) -> Leg:
    """The march of a road (:meth:`Leg.of`), one record for every replication whose road has the same numbers, so that
    its driving hours at each speed cap (kept by the record) are worked out once per run, not once per replication."""
    numbers = (leg.km, leg.town_km, leg.speed_kmh, leg.town_speed_kmh, leg.halt_minutes, leg.halt_every_hours)
    key = (numbers, tuple(type(n) for n in numbers))  # 503 and 503.0 kept apart: the record holds the numbers as given
    march = _MARCHES.get(key)
    if march is None:
        if len(_MARCHES) >= 256:  # a drawn road (the Iraqi leg's km) adds one a replication, never met again: keep few
            _MARCHES.clear()
        march = _MARCHES[key] = Leg.of(leg)
    return march


_MARCHES: dict[tuple[tuple[float, ...], tuple[type, ...]], Leg] = {}


def _beyond(s: TheatreScenario) -> frozenset[str]:
    """Sites beyond the border: destinations, and any site reached from one without passing a crossing."""
    return _beyond_of(tuple((leg.start, leg.end) for leg in s.legs), frozenset(s.crossings), frozenset(s.destinations))


@functools.lru_cache(maxsize=256)
def _beyond_of(roads: tuple[tuple[str, str], ...], crossings: frozenset[str], destinations: frozenset[str]) -> frozenset[str]:
    """:func:`beyond_border` kept for the road networks seen before: every replication of a scenario has the same one."""
    return frozenset(beyond_border(roads, crossings, destinations))


def one_place(net: Network, same: dict[str, str]) -> Network:
    """The network with each site of ``same`` (drawn to be the same place as the base it names) merged into that base:
    the base's cargo by class (handed-over share weighted by loads), vehicles, troops, security force, loading teams,
    pack-out are the sum of both; its strips are its own, or the other name's if it has none; its optional groups are combined
    group by group (:meth:`~sim.scenario.schema.BaseGroups.same_place_with`: own trucks add up, fuel is the kept name's, or the other's).
    The other name's record stays as it is: the caller marks it as not left, so it sends nothing and is not waited for."""
    if not same:
        return net
    bases = dict(net.bases)
    for name, into in same.items():
        bases[into] = _merged(bases[into], net.bases[name])
    return dataclasses.replace(net, bases=bases)


def _merged(a: BaseSpec, b: BaseSpec) -> BaseSpec:
    """One place reported under two names, ``a`` the name kept."""
    return dataclasses.replace(
        a,
        cargo=_cargo(a.cargo, b.cargo),
        vehicles=a.vehicles.model_copy(update={"count": int(a.vehicles.count) + int(b.vehicles.count)}),
        people=_people(a.people, b.people),
        loading=a.loading.model_copy(update={"teams": int(a.loading.teams) + int(b.loading.teams)}),
        airstrips=a.airstrips or b.airstrips,
        groups=a.groups.same_place_with(b.groups),
    )


def _cargo(a: Cargo, b: Cargo) -> Cargo:
    classes = dict(a.classes)
    for name, cls in b.classes.items():
        mine = classes.get(name)
        if mine is None:
            classes[name] = cls
            continue
        loads = int(mine.loads) + int(cls.loads)
        handed = float(mine.loads) * float(mine.handed_over_fraction) + float(cls.loads) * float(cls.handed_over_fraction)
        classes[name] = mine.model_copy(update={"loads": loads, "handed_over_fraction": handed / loads if loads else 0.0})
    total_a = sum(int(c.loads) for c in a.classes.values())
    total_b = sum(int(c.loads) for c in b.classes.values())
    staged = (total_a * float(a.staged_at_start) + total_b * float(b.staged_at_start)) / (total_a + total_b) if total_a + total_b else 0.0
    return a.model_copy(
        update={"classes": classes, "packout_loads_per_day": float(a.packout_loads_per_day) + float(b.packout_loads_per_day), "staged_at_start": staged}
    )


def _people(a: People, b: People) -> People:
    both = a.security_vehicles is not None and b.security_vehicles is not None
    return a.model_copy(
        update={
            "troops": int(a.troops) + int(b.troops),
            "security_force": int(a.security_force) + int(b.security_force),
            "security_vehicles": int(a.security_vehicles) + int(b.security_vehicles) if both else None,  # type: ignore[arg-type]
        }
    )
