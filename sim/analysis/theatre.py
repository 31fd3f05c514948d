"""The theatre's answers from its replication table: per base, and for the whole withdrawal.

Pure functions over the rows of ``replications.parquet`` (see ``sim/replication.py``):
``summary.json``'s ``bases`` and ``theatre`` keys, and ``network.json`` for the network figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.statistics import describe_days, proportion, summarize
from sim.scenario.schema import CrossingSite, DestinationSite, Scenario

DEFAULT_REPORTED_END_DAYS = (20.0, 30.0, 60.0)
"""The reported end dates of the whole withdrawal: 'within 20 days', 'within a month', 'over the next two months'."""


def reported_end_days(s: Scenario) -> list[float]:
    info = getattr(s, "theatre", None)
    return list(info.reported_end_days) if info is not None else list(DEFAULT_REPORTED_END_DAYS)


def theatre_columns(s: Scenario, wait_causes: tuple[str, ...], resources: tuple[str, ...], sortie_causes: tuple[str, ...]) -> list[str]:
    """The replication columns :func:`summarize_theatre` reads (none for a one-base scenario)."""
    if not s.is_theatre:
        return []
    per_base = [
        "days_to_base_empty",
        "days_to_force_closure",
        "finished",
        "never_finishes",
        "convoys_uncovered",
        "air_cover_hours_short",
        "vehicles_carried",
        *(f"wait_hours.{c}" for c in wait_causes),
        *(f"sortie_wait_hours.{c}" for c in sortie_causes),
        *(f"utilisation.{r}" for r in resources),
    ]
    cols = [f"base.{b}.{c}" for b in s.bases for c in per_base] + [f"base.{b}.leaves" for b in s.bases]
    cols += ["theatre.days_to_last_out", "theatre.finished"]
    cols += [f"leg.{leg.name}.{c}" for leg in s.legs for c in ("convoys", "wait_hours")]
    cols += [f"utilisation.{p}" for p in s.pools]
    return cols


def base_rows(rows: pd.DataFrame, base: str) -> pd.DataFrame:
    """The rows of one base, with its columns named as the one-base columns, for the replications it was left."""
    prefix = f"base.{base}."
    view = rows[[c for c in rows.columns if c.startswith(prefix)]].rename(columns=lambda c: c[len(prefix) :])
    leaves = view["leaves"].to_numpy(dtype=bool) if "leaves" in view.columns else np.ones(len(view), bool)
    return view[leaves].reset_index(drop=True)


def summarize_theatre(rows: pd.DataFrame, s: Scenario, window: tuple[float, float], wait_causes: tuple[str, ...], resources: tuple[str, ...]) -> dict:
    """``summary.json``'s ``bases`` (name -> today's fields, over the replications the base was left, with the
    share left) and ``theatre`` (days to the last out; the chance of being out by each reported end date; the binding resource)."""
    bases = {}
    for name in s.bases:
        view = base_rows(rows, name)
        share = len(view) / len(rows) if len(rows) else float("nan")
        bases[name] = {**(summarize(view, window, wait_causes, resources) if len(view) else {"replications": 0}), "share_left": share}
    days = rows["theatre.days_to_last_out"].to_numpy(dtype=float)
    finished = rows["theatre.finished"].to_numpy(dtype=bool)
    closed = np.where(finished, days, np.inf)
    ends = reported_end_days(s)
    theatre = {
        "days_to_last_out": describe_days(days),
        "p_within": {f"{d:g}": proportion(int((closed <= d).sum()), len(closed)).as_dict() for d in ends},
        "binding": binding(rows, s, wait_causes),
        "reported_end_days": ends,
        "unfinished_at_horizon": int((~finished).sum()),
    }
    return {"bases": bases, "theatre": theatre}


def binding(rows: pd.DataFrame, s: Scenario, wait_causes: tuple[str, ...]) -> str:
    """The resource that holds the withdrawal back most, in words: the cause convoys of every base waited
    longest for, with the busiest pool when it is trucks, or the leg they waited longest on when it is the road."""
    totals = {c: sum(float(rows[f"base.{b}.wait_hours.{c}"].mean()) for b in s.bases if f"base.{b}.wait_hours.{c}" in rows) for c in wait_causes}
    if not totals or max(totals.values()) <= 0:
        return "nothing waited for: convoys left as soon as they were loaded"
    cause, hours = max(totals.items(), key=lambda kv: kv[1])
    words = f"{cause}: convoys of all bases waited {hours:,.0f} convoy-hours per replication for it"
    if cause == "trucks" and s.pools:
        busy = {p: float(rows[f"utilisation.{p}"].mean()) for p in s.pools if f"utilisation.{p}" in rows}
        if busy:
            pool = max(busy, key=busy.get)
            words += f"; the busiest pool is {s.pools[pool].title} ({100 * busy[pool]:.0f}% of its truck-hours busy)"
    elif cause in ("route closed", "crossing", "daylight"):
        legs = {leg.name: float(rows[f"leg.{leg.name}.wait_hours"].mean()) for leg in s.legs if f"leg.{leg.name}.wait_hours" in rows}
        if legs:
            leg = max(legs, key=legs.get)
            words += f"; most on the road {leg.replace('-', ' to ')} ({legs[leg]:,.0f} convoy-hours)"
    return words


def network_json(s: Scenario) -> dict:
    """``network.json``: the sites at their coordinates and the legs between them, for the network figure."""
    sites = [{"name": n, "title": site.title, "kind": site.kind, "lat": site.lat, "lon": site.lon} for n, site in s.sites.items()]
    legs = [{"from": leg.start, "to": leg.end, "km": _km(leg.km)} for leg in s.legs]
    return {
        "sites": sites,
        "legs": legs,
        "crossings": [n for n, x in s.sites.items() if isinstance(x, CrossingSite)],
        "destinations": [n for n, x in s.sites.items() if isinstance(x, DestinationSite)],
    }


def _km(value) -> float:
    return float(value) if isinstance(value, (int, float)) else float(value.p50)
