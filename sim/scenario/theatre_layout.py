"""What the theatre's results need to know of its scenario, as plain data: the bases, legs and pools by
name, the reported end dates, and ``network.json`` (the sites at their coordinates and the legs)."""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.distributions import _Distribution
from sim.scenario.schema import Scenario, TheatreScenario

DEFAULT_REPORTED_END_DAYS = (20.0, 30.0, 60.0)
"""The reported end dates of the whole withdrawal: 'within 20 days', 'within a month', 'over the next two months'."""


@dataclass(frozen=True)
class TheatreLayout:
    """A theatre's bases (the main base first), legs (``<from>-<to>``), pools (name -> title), reported end dates,
    and the bases' titles (name -> words)."""

    bases: tuple[str, ...]
    legs: tuple[str, ...]
    pools: dict[str, str]
    reported_end_days: tuple[float, ...]
    titles: dict[str, str] | None = None


def theatre_layout(s: Scenario) -> TheatreLayout | None:
    """The layout of a theatre scenario; None for a one-base file."""
    if not isinstance(s, TheatreScenario):
        return None
    info = getattr(s, "theatre", None)
    ends = tuple(info.reported_end_days) if info is not None else DEFAULT_REPORTED_END_DAYS
    titles = {n: b.title for n, b in s.bases.items()}
    return TheatreLayout(tuple(s.bases), tuple(leg.name for leg in s.legs), {n: p.title for n, p in s.pools.items()}, ends, titles)


def network_json(s: TheatreScenario) -> dict:
    """``network.json``: the sites at their coordinates and the legs between them (km at their median), for the network figure."""
    sites = [{"name": n, "title": site.title, "kind": site.kind, "lat": site.lat, "lon": site.lon} for n, site in s.sites.items()]
    legs = [{"from": leg.start, "to": leg.end, "km": float(leg.km.p50) if isinstance(leg.km, _Distribution) else float(leg.km)} for leg in s.legs]
    return {"sites": sites, "legs": legs}
