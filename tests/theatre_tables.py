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
    for group in ("cargo", "vehicles", "people", "loading", "airlift", "deadline", "fuel", "own_transport", "helicopters"):
        if group in t:
            base[group] = t[group]  # the file's deadline is its base's own
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


SRC = "assumption: a hand-computed test case"


def small_base(loads: int = 10, pools: tuple[str, ...] = ("shared",), **extra: Any) -> dict[str, Any]:
    """A base with ``loads`` loads of general cargo for contracted trucks, all staged, nobody to move, no strip."""
    return {
        "kind": "base",
        "title": "a base",
        "lat": 36.0,
        "lon": 41.0,
        "pools": list(pools),
        "source": SRC,
        "cargo": {
            "pallets_per_load": 1.0,
            "packout_loads_per_day": 10000,
            "staged_at_start": 1.0,
            "source": SRC,
            "classes": {"general": {"loads": loads, "carriers": ["civilian"], "source": SRC}},
        },
        "vehicles": {"count": 0, "source": SRC},
        "people": {"troops": 0, "security_force": 0, "source": SRC},
        "loading": {"teams": 10, "hours_per_truck": 1.0, "source": SRC},
        **extra,
    }


def crossing(lanes: int = 1, **extra: Any) -> dict[str, Any]:
    """A crossing open day and night: an hour of paperwork a convoy, none a vehicle."""
    return {
        "kind": "crossing",
        "title": "a crossing",
        "lat": 37.0,
        "lon": 42.0,
        "lanes": lanes,
        "fixed_hours": 1.0,
        "minutes_per_vehicle": 0.0,
        "source": SRC,
        **extra,
    }


def leg(start: str, end: str, km: float, **extra: Any) -> dict[str, Any]:
    """A road at 50 km/h, no towns, no halts (one every 24 hours of driving), open day and night."""
    return {"from": start, "to": end, "km": km, "speed_kmh": 50, "town_speed_kmh": 50, "halt_every_hours": 24, "daylight_only_for": [], "source": SRC, **extra}


def small_theatre(sites: dict[str, Any], legs: list[dict[str, Any]], pools: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A theatre with no breakdowns, threats, cover, weather or pause: every hour in it can be worked out by hand."""
    table: dict[str, Any] = {
        "scenario": {"name": "small_theatre", "title": "a hand-computed theatre", "horizon_days": 60, "source": SRC},
        "sites": {**sites, "erbil": {"kind": "destination", "title": "a destination", "lat": 36.2, "lon": 44.0, "unload_teams": 10, "source": SRC}},
        "legs": legs,
        "pools": pools
        or {"shared": {"title": "shared trucks and escorts", "fleet": {"civilian": {"count": 10, "source": SRC}}, "escort": {"teams": 10, "source": SRC}}},
        "fleet": {"breakdowns_per_1000_km": 0, "recovery_hours": 1, "repair_hours": 1, "source": SRC},
        "convoys": {
            "size_min": 1,
            "size_max": 10,
            "max_per_day": 10,
            "departure_window": [0, 24],
            "daylight_only": False,
            "dispatch": "first formed",
            "source": SRC,
        },
        "escort": {"vehicles_per_team": 100, "rest_hours": 0, "source": SRC},
        "air_cover": {"sorties_per_aircraft_per_day": 2, "hours_on_station": 1.5, "share_of_convoys": 0, "always_for_sensitive": False, "source": SRC},
        "crossing": {"divert_after_hours": 12},
        "destination": {"unload_hours_per_truck": 1.0, "source": SRC},
        "weather": {"dust_day_probability": 0, "source": SRC},
        "pause": {"probability": 0, "start_day": 0, "days": 0, "source": SRC},
    }
    table.update(extra)
    return table


def to_toml(table: dict[str, Any]) -> str:
    """A table as TOML text (enough for these tests: tables, arrays of tables, numbers, text, lists)."""
    lines: list[str] = []
    _write_table(table, [], lines)
    return "\n".join(lines) + "\n"


def _value(v: Any) -> str:
    import json

    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def _write_table(table: dict[str, Any], path: list[str], lines: list[str]) -> None:
    subtables = {k: v for k, v in table.items() if isinstance(v, dict) and not _is_distribution(v)}
    arrays = {k: v for k, v in table.items() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)}
    for k, v in table.items():
        if k not in subtables and k not in arrays:
            lines.append(f"{k} = {_value(v)}")
    for k, v in subtables.items():
        lines.append(f"\n[{'.'.join([*path, k])}]")
        _write_table(v, [*path, k], lines)
    for k, items in arrays.items():
        for item in items:
            lines.append(f"\n[[{'.'.join([*path, k])}]]")
            _write_table(item, [*path, k], lines)


def _is_distribution(v: dict) -> bool:
    return "dist" in v or (set(v) <= {"closures_per_week", "closure_hours", "source"} and "source" not in v)
