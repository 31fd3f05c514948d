"""Theatre scenario tables for the tests: a one-base file written out as its explicit network, and
small hand-computable theatres (plain dicts, validated like a file)."""

from __future__ import annotations

import copy
from typing import Any

SHARED = ("scenario", "convoys", "weather", "pause", "history")


def explicit_network(one_base: dict[str, Any]) -> dict[str, Any]:
    """The one-base file ``one_base`` (a raw TOML table) written as the network the shorthand stands for."""
    t = copy.deepcopy(one_base)
    out: dict[str, Any] = {k: t[k] for k in SHARED if k in t}
    fleet = t["fleet"]
    out["fleet"] = {k: v for k, v in fleet.items() if k not in ("civilian", "lowboy", "military", "het")}
    pool_fleet = {}
    for kind in ("civilian", "lowboy", "military", "het"):
        if kind in fleet:
            truck = dict(fleet[kind])
            truck.pop("source_kind", None)
            pool_fleet[kind] = {"count": truck.pop("count"), "source": truck["source"]}
            out["fleet"][kind] = truck
    escort, cover = dict(t["escort"]), dict(t["air_cover"])
    pool = {"title": "the base's own", "home": "base", "fleet": pool_fleet}
    pool["escort"] = {"teams": escort.pop("teams"), "source": escort["source"]}
    pool["air_cover"] = {"apaches": cover.pop("apaches"), "source": cover["source"]}
    out["escort"], out["air_cover"] = escort, cover
    out["pools"] = {"base": pool}
    crossing = t["crossing"]
    out["crossing"] = {k: v for k, v in crossing.items() if k == "divert_after_hours"}
    destination = dict(t["destination"])
    out["destination"] = {"unload_hours_per_truck": destination["unload_hours_per_truck"], "source": destination["source"]}
    base = {"kind": "base", "title": "the base", "lat": 36.6, "lon": 40.9, "pools": ["base"], "source": t["scenario"]["source"]}
    for group in ("cargo", "vehicles", "people", "loading", "airlift"):
        base[group] = t[group]
    sites: dict[str, Any] = {"base": base}
    legs = []
    syria, iraq = dict(t["route"]["syria"]), dict(t["route"]["iraq"])
    for name in ("main", "alternate"):
        if name not in crossing:
            continue
        point = dict(crossing[name])
        point.pop("source_kind", None)
        extra = point.pop("extra_km", 0.0)
        point["title"] = point.pop("name")
        sites[name] = {"kind": "crossing", "lat": 37.0, "lon": 42.0, **point}
        leg = {"from": "base", "to": name, **syria}
        if name == "main":
            leg["threats"] = t["route"]["threats"]
        else:
            leg["km"] = syria["km"] + extra
            leg["shares_threats_with"] = "base-main"
        legs.append(leg)
    sites["destination"] = {
        "kind": "destination",
        "title": destination["name"],
        "lat": 36.5,
        "lon": 44.3,
        "unload_teams": destination["unload_teams"],
        "source": destination["source"],
    }
    for name in ("main", "alternate"):
        if name in crossing:
            legs.append({"from": name, "to": "destination", **iraq})
    out["sites"] = sites
    out["legs"] = legs
    return out
