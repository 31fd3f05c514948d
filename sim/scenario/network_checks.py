"""Checks of a theatre scenario's network that no single field can make: names that must refer
to sites, legs and pools, and roads that must lead each base out of the country (or to its hub)."""

from __future__ import annotations

import networkx as nx

from sim.scenario.loading import ordinal, town_km_problem
from sim.scenario.schema import POOL_HOME_THEATRE, BaseSite, TheatreScenario


def network_problems(s: TheatreScenario) -> list[tuple[str, str]]:
    """(dotted field, message) for every broken reference or unreachable site of a theatre."""
    out: list[tuple[str, str]] = []
    sites, bases = s.sites, s.bases
    if not bases:
        out.append(("sites", "a theatre needs at least one site of kind base"))
        return out
    leg_names = {leg.name for leg in s.legs}
    out += _repeated_legs(s)
    for i, leg in enumerate(s.legs):
        for field, name in (("from", leg.start), ("to", leg.end)):
            if name not in sites:
                out.append((f"legs.{i}.{field}", f"no site named {name!r}; sites are {', '.join(sites)}"))
        if leg.start == leg.end:
            out.append((f"legs.{i}.to", "a leg joins two different sites"))
        if (why := town_km_problem(leg.town_km, leg.km)) is not None:
            out.append((f"legs.{i}.town_km", why))
        if leg.shares_threats_with is not None and leg.shares_threats_with not in leg_names - {leg.name}:
            out.append((f"legs.{i}.shares_threats_with", f"no other leg named {leg.shares_threats_with!r} (legs are named 'from-to')"))
    for name, pool in s.pools.items():
        if pool.home != POOL_HOME_THEATRE and pool.home not in bases:
            out.append((f"pools.{name}.home", f"must be 'theatre' or a base's name, not {pool.home!r}"))
    for name, base in bases.items():
        for pool in base.pools:
            if pool not in s.pools:
                out.append((f"sites.{name}.pools", f"no pool named {pool!r}; pools are {', '.join(s.pools)}"))
        if base.send_to is not None:
            target = sites.get(base.send_to)
            if not isinstance(target, BaseSite) or target.kind != "hub" or base.send_to == name:
                out.append((f"sites.{name}.send_to", f"must name another site of kind hub, not {base.send_to!r}"))
        if base.after is not None and (base.after not in bases or base.after == name):
            out.append((f"sites.{name}.after", _after_problem(s, name, base.after)))
        if base.same_place_as is not None:
            problem = _same_place_problem(s, name, base.same_place_as)
            if problem:
                out.append((f"sites.{name}.same_place_as", problem))
    if not s.destinations:
        out.append(("sites", "a theatre needs a destination: no site is of kind destination (where the convoys unload, beyond a crossing)"))
    if out:
        return out
    out += _phasing_cycles(s)
    out += _unreachable(s)
    return out


def _repeated_legs(s: TheatreScenario) -> list[tuple[str, str]]:
    """A road between two sites given twice (either way round): the network would drive one and count convoys on the other."""
    first: dict[frozenset[str], int] = {}
    out = []
    for i, leg in enumerate(s.legs):
        ends = frozenset((leg.start, leg.end))
        if ends in first:
            j = first[ends]
            out.append(
                (
                    f"legs.{i}",
                    f"the road between {leg.start} and {leg.end} is already the {ordinal(j + 1)} [[legs]] ({s.legs[j].name}, legs.{j}); "
                    "a leg is two-way, so give each road once (two different roads between the same sites need a site between them)",
                )
            )
        else:
            first[ends] = i
    return out


def _phasing_cycles(s: TheatreScenario) -> list[tuple[str, str]]:
    graph = nx.DiGraph((name, base.after) for name, base in s.bases.items() if base.after)
    graph.add_edges_from((name, base.send_to) for name, base in s.bases.items() if base.send_to)
    try:
        cycle = nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return []
    first = cycle[0][0]
    return [(f"sites.{first}.after", "bases wait on each other in a circle (after / send_to): " + " -> ".join([a for a, _ in cycle] + [first]))]


def _unreachable(s: TheatreScenario) -> list[tuple[str, str]]:
    """Each base must reach its hub inside the country, or a destination through a crossing."""
    roads = nx.Graph((leg.start, leg.end) for leg in s.legs)
    roads.add_nodes_from(s.sites)
    crossings, destinations = set(s.crossings), set(s.destinations)
    inside = roads.subgraph(n for n in roads if n not in destinations)
    out = []
    for name, base in s.bases.items():
        if base.send_to is not None:
            if not nx.has_path(inside.subgraph(n for n in inside if n not in crossings), name, base.send_to):
                out.append((f"sites.{name}.send_to", f"no road inside the country leads from {name} to its hub {base.send_to}"))
            continue
        reach = nx.node_connected_component(inside.subgraph(n for n in inside if n not in crossings or n == name), name)
        ways_out = [c for c in crossings if any(roads.has_edge(c, n) for n in reach)]
        if not ways_out:
            out.append((f"sites.{name}", f"no road leads from {name} to a border crossing"))
            continue
        if not any(any(roads.has_edge(c, d) for d in destinations) or _reaches(roads, c, destinations, crossings) for c in ways_out):
            out.append((f"sites.{name}", f"no road leads from the crossings {name} reaches to a destination"))
    return out


def _reaches(roads: nx.Graph, crossing: str, destinations: set[str], crossings: set[str]) -> bool:
    """Whether a destination lies beyond ``crossing`` without passing another crossing."""
    outside = roads.subgraph(n for n in roads if n not in crossings or n == crossing)
    return any(d in outside and nx.has_path(outside, crossing, d) for d in destinations)


def _after_problem(s: TheatreScenario, name: str, after: str) -> str:
    """Why ``after`` (the base that base ``name`` waits for) names no other base, in words."""
    others = ", ".join(b for b in s.bases if b != name) or "none: this is the only base"
    if after == name:
        return f"a base cannot wait for itself; name another base: {others}"
    site = s.sites.get(after)
    if site is not None:
        return f"{after!r} is a {site.kind}, not a base; `after` names the base this one waits for: {others}"
    return f"no site named {after!r}; `after` names the base this one waits for: {others}"


def _same_place_problem(s: TheatreScenario, name: str, other: str) -> str:
    """Why ``other`` cannot be the place site ``name`` may be under another name, in words ('' if it can)."""
    bases = s.bases
    target = bases.get(other)
    plain = ", ".join(b for b, site in bases.items() if b != name and site.kind == "base" and site.send_to is None) or "none"
    if other == name:
        return f"a site cannot be another name for itself; name another base: {plain}"
    if target is None:
        return f"no base named {other!r}; `same_place_as` names the base this site may be under another name: {plain}"
    if target.same_place_as is not None:
        return f"{other!r} may itself be {target.same_place_as!r}: name the base both may be ({target.same_place_as!r}) directly"
    if "hub" in (target.kind, bases[name].kind) or target.send_to is not None or bases[name].send_to is not None:
        return "two names for one place are merged only between bases that leave the country themselves (no hub, no send_to)"
    return ""
