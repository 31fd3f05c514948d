"""The theatre section of a run's report: when the last soldier leaves the country, base by base and leg by leg.

:func:`theatre_context` reads a theatre run folder (``summary.json`` with ``theatre``,
``network.json`` and the per-base and per-leg columns of ``replications.parquet``) and
returns plain values for the template ``theatre_section.html.j2``: the answer in sentences,
a row per base, a row per road leg and a row per resource pool. A folder that is not a
theatre run gives ``None`` and the report has no such section.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq

from sim.names import day_date_words, share
from sim.plots.network_map import Network, read_network
from sim.plots.theatre import NETWORK_FILE, chance_words, is_theatre_summary, reported_ends, truck_pool_titles


@dataclass(frozen=True)
class BaseRow:
    """One base of the theatre: how often it moved at all, and when it was empty."""

    title: str
    leaves: str
    mean: str
    p10_p50_p90: str
    in_window: str


@dataclass(frozen=True)
class LegRow:
    """One road leg: its length, the mean convoys over it and the mean convoy-hours waited on it, a replication."""

    title: str
    km: str
    convoys: str
    wait_hours: str


@dataclass(frozen=True)
class PoolRow:
    """One pool of trucks and teams, and the share of the time to the last out its trucks were busy."""

    title: str
    busy: str


def _date(start: datetime.date, days: float) -> str:
    return day_date_words(start, days)


def answer_sentences(theatre: dict, start: datetime.date, source: str = "") -> list[str]:
    """The theatre answer in words: when the last soldier leaves (P10/P50/P90 with dates), how likely each reported
    end date is, and what decides it."""
    d = theatre["days_to_last_out"]
    lines = [
        f"The last US soldier and load leave Syria on day {d['p50']:.1f} at the median ({_date(start, d['p50'])}): "
        f"by day {d['p10']:.1f} ({_date(start, d['p10'])}) in 10% of replications, by day {d['p90']:.1f} ({_date(start, d['p90'])}) in 90%."
    ]
    chances = theatre.get("p_within") or {}
    for end in reported_ends([float(x) for x in theatre.get("reported_end_days") or []], source):
        p = chances.get(f"{end.days:g}")
        if p:
            lines.append(f"Out within {end.days:g} days ({_date(start, end.days)}), as reported {end.words}: {chance_words(p)} of replications.")
    if theatre.get("binding"):
        lines.append(f"What decides it: {theatre['binding']}.")
    return lines


def base_rows(summary: dict, network: Network, leaves: dict[str, float]) -> list[BaseRow]:
    """A row per base of ``summary["bases"]``: the share of replications in which it moved, days to base empty
    (mean, P10/P50/P90) and the chance of the planning window."""
    low, high = (float(x) for x in summary.get("window_days", (15, 30)))
    within_key = f"p_{low:g}_to_{high:g}"
    rows = []
    for name, base in (summary.get("bases") or {}).items():
        days = base.get("days_to_base_empty") or {}
        within = base.get(within_key)
        rows.append(
            BaseRow(
                network.title(name),
                share(base["share_left"]) if "share_left" in base else share(leaves[name]) if name in leaves else "—",
                f"{days['mean']:.1f}" if "mean" in days else "—",
                f"{days['p10']:.1f} / {days['p50']:.1f} / {days['p90']:.1f}" if "p50" in days else "—",
                chance_words(within) if within else "—",
            )
        )
    return rows


def leg_rows(network: Network, means: dict[str, float]) -> list[LegRow]:
    return [
        LegRow(
            f"{network.title(leg.start)} - {network.title(leg.end)}",
            f"{leg.km:.0f}",
            f"{means.get(f'leg.{leg.name}.convoys', 0.0):.1f}",
            f"{means.get(f'leg.{leg.name}.wait_hours', 0.0):,.0f}",
        )
        for leg in network.legs
    ]


def pool_rows(means: dict[str, float], titles: dict[str, str]) -> list[PoolRow]:
    return [
        PoolRow(titles.get(k.split(".", 1)[1], k.split(".", 1)[1]), share(v))
        for k, v in means.items()
        if k.startswith("utilisation.") and k.split(".", 1)[1] in titles
    ]


def _column_means(path: Path) -> dict[str, float]:
    """Means of the per-base, per-leg and per-pool columns of ``replications.parquet``."""
    names = [
        c
        for c in ds.dataset(path, format="parquet").schema.names
        if c.startswith(("leg.", "utilisation.")) or (c.startswith("base.") and c.endswith(".leaves"))
    ]
    means = pq.read_table(path, columns=names).to_pandas().astype(float).mean()  # NaN (a leg never used) is skipped
    return {c: float(means[c]) for c in names}


def theatre_context(folder: Path, summary: dict, manifest: dict) -> dict | None:
    """What the theatre section shows, or ``None`` for a folder that is not a theatre run."""
    if not is_theatre_summary(summary) or not (Path(folder) / NETWORK_FILE).exists():
        return None
    folder = Path(folder)
    scenario = manifest.get("scenario") or {}
    start = datetime.datetime.fromisoformat(scenario["scenario"]["start"]).date()
    network = read_network(folder / NETWORK_FILE)
    means = _column_means(folder / "replications.parquet")
    leaves = {k[len("base.") : -len(".leaves")]: v for k, v in means.items() if k.startswith("base.") and k.endswith(".leaves")}
    titles = truck_pool_titles(manifest)
    source = str((scenario.get("theatre") or {}).get("source") or "")
    return {
        "answer": answer_sentences(summary["theatre"], start, source),
        "bases": base_rows(summary, network, leaves),
        "legs": leg_rows(network, means),
        "pools": pool_rows(means, titles),
        "window": "-".join(f"{float(x):g}" for x in summary.get("window_days", (15, 30))),
    }
