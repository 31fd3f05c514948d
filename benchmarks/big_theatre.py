"""A generated theatre of many bases and roads, to check that routing cost grows no faster than the roads.

    python benchmarks/big_theatre.py --bases 50 --legs 200 --out big.toml   # write one theatre file
    python benchmarks/big_theatre.py --bench --seconds 5                    # seconds per convoy at 5, 10, 25, 50 bases

The theatre is the shipped one (scenarios/syria_2026_theatre.toml) grown: ``bases`` bases
cloned in turn from its Rmelan, Kharab al-Jir (with its strip) and Life Stone, all starting
on day 0 and all leaving, spread on a jittered grid over north-east Syria; its two
crossings and its destination, their lanes and unloading teams, and its theatre-wide pools
scaled by ``bases / 4`` (the shipped theatre has four bases), so that each base gets about
the trucks, escorts, Apaches, lanes and unloading it gets there; and ``legs`` roads: a shortest spanning tree joining every base to the
crossings, each crossing to the destination, then the shortest other pairs of bases until
there are ``legs`` (about ``4 x bases``: each base meets about eight roads). Road km are
the straight line times 1.3; paces, halts, movement rules and threats (prorated by km) are
those of the shipped Qasrak-Rmelan road. Such a network has far too many simple paths to
enumerate (a 50-base mesh has more than 10^20), so only a route engine whose cost grows
with the roads (:mod:`sim.scenario.routing`, Dijkstra) can run it.

The bench (:func:`scaling`) times replications of the theatre at each size (wall seconds, and
the CPU seconds of its thread, which a shared core does not inflate) and divides by
the convoys they moved: with routing in proportion to the roads, seconds per convoy stay
about flat as the theatre grows. Figures are wall seconds on one core, and the CPU seconds of the thread (the
figure to compare on a shared machine); ``grows_no_faster_than_convoys`` says whether a convoy's CPU seconds at
each size are within :data:`PROPORTIONAL` times those at the smallest. On a busy machine they are indicative only.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "scenarios" / "syria_2026_theatre.toml"
BASE_TEMPLATES = ("rmelan", "kharab_al_jir", "life_stone")
SHIPPED_BASES = 4
ROAD_FACTOR = 1.3
"""Road km per straight-line km (roads wind)."""
KM_PER_DEGREE = 111.0
SIZES = (5, 10, 25, 50)
PROPORTIONAL = 2.0
"""A replication's cost grows no faster than its convoys when the CPU seconds of a convoy at each size are at most
this many times those at the smallest (issue 24: 50 bases against 5); a bench output, never a timed test."""
PHASING = ("after", "leaves", "start_day", "send_to")
GENERATED = "generated for the routing bench (benchmarks/big_theatre.py) from the shipped theatre"


def big_theatre(bases: int, legs: int | None = None, seed: int = 0) -> dict[str, Any]:
    """The table of a generated theatre of ``bases`` bases and ``legs`` roads (default ``4 x bases``); see the module."""
    if bases < 1:
        raise ValueError(f"a theatre needs at least one base, not {bases}")
    shipped = tomllib.loads(TEMPLATE.read_text(encoding="utf-8"))
    rng = np.random.default_rng(seed)
    table: dict[str, Any] = {k: copy.deepcopy(v) for k, v in shipped.items() if k not in ("sites", "legs", "pools")}
    table["scenario"]["name"] = f"big_theatre_{bases}"
    table["scenario"]["title"] = f"A generated theatre of {bases} bases (the routing bench)"
    table["scenario"]["description"] = f"{GENERATED}: {bases} bases, their roads, its crossings, destination and pools scaled by bases / 4"

    sites: dict[str, Any] = {}
    crossings = {n: s for n, s in shipped["sites"].items() if s["kind"] == "crossing"}
    destinations = {n: s for n, s in shipped["sites"].items() if s["kind"] == "destination"}
    cols = math.ceil(math.sqrt(bases * 2))
    rows = math.ceil(bases / cols)
    names = []
    for i in range(bases):
        r, c = divmod(i, cols)
        name = f"base_{i + 1:02d}"
        site = copy.deepcopy(shipped["sites"][BASE_TEMPLATES[i % len(BASE_TEMPLATES)]])
        for key in (*PHASING, "same_place_as", "same_place"):  # the shipped sites' phasing and names for one place
            site.pop(key, None)
        site["title"] = f"Base {i + 1}"
        site["lat"] = round(36.2 + 0.9 * (r + 0.5) / rows + rng.uniform(-0.05, 0.05), 4)
        site["lon"] = round(39.6 + 2.3 * (c + 0.5) / cols + rng.uniform(-0.05, 0.05), 4)
        site["source"] = f"{GENERATED}: {site['source']}"
        site["source_kind"] = "assumption"
        sites[name] = site
        names.append(name)
    factor = bases / SHIPPED_BASES
    for name, site in {**crossings, **destinations}.items():
        site = sites[name] = copy.deepcopy(site)
        key = "lanes" if site["kind"] == "crossing" else "unload_teams"
        site[key] = max(1, math.ceil(site[key] * factor))  # so that the crossings and the unloading keep up as at four bases
        site["source"] = f"{GENERATED}: {key} x {factor:g}; {site['source']}"
        site["source_kind"] = "assumption"
    table["sites"] = sites

    road = next(leg for leg in shipped["legs"] if leg["from"] == "qasrak")
    wanted = 4 * bases if legs is None else legs
    table["legs"] = _roads(sites, names, list(crossings), list(destinations), shipped["legs"], road, wanted)
    table["pools"] = _scaled_pools(shipped["pools"], factor)
    return table


def _km(a: dict[str, Any], b: dict[str, Any]) -> float:
    dy = (a["lat"] - b["lat"]) * KM_PER_DEGREE
    dx = (a["lon"] - b["lon"]) * KM_PER_DEGREE * math.cos(math.radians((a["lat"] + b["lat"]) / 2))
    return max(5.0, round(ROAD_FACTOR * math.hypot(dx, dy), 1))


def _roads(sites, names, crossings, destinations, shipped_legs, road, wanted: int) -> list[dict[str, Any]]:
    """Roads: each crossing to the destination as shipped, the shortest tree joining the bases and the crossings,
    then the shortest other pairs of bases, until ``wanted`` roads (or every pair is joined)."""
    out = [copy.deepcopy(leg) for leg in shipped_legs if leg["from"] in crossings and leg["to"] in destinations]
    inside = [*names, *crossings]
    pairs = sorted((_km(sites[a], sites[b]), a, b) for i, a in enumerate(inside) for b in inside[i + 1 :] if not (a in crossings and b in crossings))
    graph = nx.Graph()
    graph.add_weighted_edges_from((a, b, km) for km, a, b in pairs)
    tree = {frozenset(e) for e in nx.minimum_spanning_edges(graph, data=False)}
    chosen = [(km, a, b) for km, a, b in pairs if frozenset((a, b)) in tree]
    rest = [(km, a, b) for km, a, b in pairs if frozenset((a, b)) not in tree and a not in crossings and b not in crossings]
    chosen += rest[: max(0, wanted - len(out) - len(chosen))]
    week = road["threats"]["closures_per_week"]
    for km, a, b in chosen:
        leg = copy.deepcopy(road)
        leg.update({"from": a, "to": b, "km": km, "town_km": round(min(km, 12.0 * km / 170.0), 1)})
        share = km / 170.0  # the shipped road's rate is for its 170 km
        leg["threats"]["closures_per_week"] = {"dist": "uniform", "low": round(week["low"] * share, 5), "high": round(week["high"] * share, 5)}
        leg["source"] = f"{GENERATED}: the straight line x {ROAD_FACTOR}; paces, halts, rules and threats (prorated by km) of the Qasrak-Rmelan road"
        leg["source_kind"] = "assumption"
        out.append(leg)
    return out


def _scaled_pools(pools: dict[str, Any], factor: float) -> dict[str, Any]:
    """The shipped pools with every count (a number, or a distribution's low, mode and high) times ``factor``."""

    def scale(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: (max(1, round(v * factor)) if k in ("low", "mode", "high") and v else v) for k, v in value.items()}
        return max(1, round(value * factor)) if value else value

    out = copy.deepcopy(pools)
    for pool in out.values():
        for group, key in (("fleet", None), ("escort", "teams"), ("air_cover", "apaches")):
            if group not in pool:
                continue
            if key is None:
                for truck in pool[group].values():
                    if isinstance(truck, dict) and "count" in truck:
                        truck["count"] = scale(truck["count"])
                        truck["source"] = f"{GENERATED}: the shipped count x {factor:g}; {truck.get('source', '')}"
                        truck["source_kind"] = "assumption"
            else:
                pool[group][key] = scale(pool[group][key])
                pool[group]["source"] = f"{GENERATED}: the shipped count x {factor:g}; {pool[group].get('source', '')}"
                pool[group]["source_kind"] = "assumption"
    return out


# --- TOML -----------------------------------------------------------------------------------
def to_toml(table: dict[str, Any]) -> str:
    """``table`` as TOML: a header for each top-level group, each site and each road, everything below inline."""
    lines: list[str] = []
    for key, value in table.items():
        if key == "sites":
            for name, site in value.items():
                lines += [f"\n[sites.{name}]", *(f"{k} = {_inline(v)}" for k, v in site.items())]
        elif key == "legs":
            for leg in value:
                lines += ["\n[[legs]]", *(f"{k} = {_inline(v)}" for k, v in leg.items())]
        elif key == "pools":
            for name, pool in value.items():
                lines += [f"\n[pools.{name}]", *(f"{k} = {_inline(v)}" for k, v in pool.items())]
        else:
            lines += [f"\n[{key}]", *(f"{k} = {_inline(v)}" for k, v in value.items())]
    return "\n".join(lines).lstrip() + "\n"


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_inline(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no TOML for {type(value).__name__}")


def write_theatre(path: Path, bases: int, legs: int | None = None, seed: int = 0) -> Path:
    """Write the generated theatre of ``bases`` bases to ``path`` (refusing to overwrite a file) and return it."""
    if path.exists():
        raise FileExistsError(f"{path} exists; choose another --out")
    path.write_text(to_toml(big_theatre(bases, legs, seed)), encoding="utf-8")
    return path


# --- the bench ------------------------------------------------------------------------------
def routing_seconds(scenario: Any) -> float:
    """Wall seconds to find, from scratch, every route one replication of the resolved ``scenario`` may drive: each
    base's routes out (or to its hub) and its ways back from each destination, at each truck speed and uncapped."""
    from sim.model.sites import network_of
    from sim.scenario.routing import road_map

    road_map.cache_clear()
    network = network_of(scenario)
    caps = [None, *sorted({float(t.speed_kmh) for t in (getattr(scenario.fleet, k) for k in ("civilian", "lowboy", "military", "het")) if t.speed_kmh})]
    start = time.perf_counter()
    for name, base in network.bases.items():
        for cap in caps:
            if base.send_to is not None:
                network.route_inside(name, base.send_to, cap)
                continue
            network.routes_out(name, cap)
            for destination in network.destinations:
                network.way_back(name, destination, cap)
    return time.perf_counter() - start


def scaling(sizes: tuple[int, ...] = SIZES, seconds: float = 5.0, seed: int = 1) -> dict[str, Any]:
    """Seconds per convoy of a replication of the generated theatre at each size (``4 x bases`` roads), each timed
    for about ``seconds`` on one core (at least two replications), and the seconds its routes take to find from scratch
    (:func:`routing_seconds`), per replication and per road."""
    from sim.replication import prepare, run_batch
    from sim.scenario.loading import validate_table

    out: dict[str, Any] = {}
    for bases in sizes:
        table = big_theatre(bases)
        prepared = prepare(validate_table(table, "", f"big_theatre_{bases}"))
        run_batch(prepared, seed, range(1))  # warm: the scenario resolved once, the routes of its roads found once
        replications = convoys = 0
        start, cpu = time.perf_counter(), time.thread_time()
        while replications < 2 or time.perf_counter() - start < seconds:
            rows, _, _ = run_batch(prepared, seed, range(1 + replications, 2 + replications))
            replications += 1
            convoys += sum(int(v) for k, v in rows[0].items() if k.startswith("base.") and k.endswith(".convoys"))
        wall, cpu = time.perf_counter() - start, time.thread_time() - cpu
        out[str(bases)] = {
            "bases": bases,
            "legs": len(table["legs"]),
            "replications": replications,
            "convoys_per_replication": convoys / replications,
            "seconds_per_replication": wall / replications,
            "seconds_per_convoy": wall / max(1, convoys),
            "cpu_seconds_per_convoy": cpu / max(1, convoys),  # what a shared core gave this thread: the figure to compare
            "routing_seconds_per_replication": routing_seconds(prepared.base),
        }
    smallest = out[str(sizes[0])]
    for figures in out.values():
        figures["seconds_per_convoy_vs_smallest"] = figures["seconds_per_convoy"] / smallest["seconds_per_convoy"]
        figures["cpu_seconds_per_convoy_vs_smallest"] = figures["cpu_seconds_per_convoy"] / smallest["cpu_seconds_per_convoy"]
        figures["proportional_limit"] = PROPORTIONAL
        figures["grows_no_faster_than_convoys"] = bool(figures["cpu_seconds_per_convoy_vs_smallest"] <= PROPORTIONAL)
        figures["routing_seconds_per_leg"] = figures["routing_seconds_per_replication"] / figures["legs"]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bases", type=int, default=50, help="bases in the theatre written by --out")
    parser.add_argument("--legs", type=int, default=None, help="roads (default 4 x bases)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the layout (positions)")
    parser.add_argument("--out", type=Path, help="write the theatre's TOML here")
    parser.add_argument("--bench", action="store_true", help="time seconds per convoy at 5, 10, 25 and 50 bases; print JSON")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of replications at each size for --bench")
    args = parser.parse_args(argv)
    if args.out is None and not args.bench:
        parser.error("give --out FILE, --bench, or both")
    if args.out is not None:
        try:
            write_theatre(args.out, args.bases, args.legs, args.seed)
        except (FileExistsError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.out}: {args.bases} bases, {len(big_theatre(args.bases, args.legs, args.seed)['legs'])} roads")
    if args.bench:
        sys.stdout.write(json.dumps(scaling(seconds=args.seconds), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    sys.exit(main())
