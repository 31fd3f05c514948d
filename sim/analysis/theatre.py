"""The theatre's answers from its replication table: per base, and for the whole withdrawal.

Pure functions over the rows of ``replications.parquet`` (see ``sim/replication.py``): ``summary.json``'s
``bases`` and ``theatre`` keys. What they need of the scenario comes as plain data (a layout: bases, legs,
pools and reported end dates; ``sim/scenario/theatre_layout.py``), so analysis never reads a scenario.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.statistics import describe_days, proportion, summarize


def theatre_columns(layout, wait_causes: tuple[str, ...], resources: tuple[str, ...], sortie_causes: tuple[str, ...]) -> list[str]:
    """The replication columns :func:`summarize_theatre` reads, for a theatre's ``layout`` (none for a one-base run: None)."""
    if layout is None:
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
    cols = [f"base.{b}.{c}" for b in layout.bases for c in per_base] + [f"base.{b}.leaves" for b in layout.bases]
    cols += ["theatre.days_to_last_out", "theatre.finished", "theatre.convoys_uncovered", "theatre.air_cover_hours_short"]
    cols += [f"leg.{leg}.{c}" for leg in layout.legs for c in ("convoys", "wait_hours")]
    cols += [f"utilisation.{p}" for p in layout.pools]
    return cols


def base_rows(rows: pd.DataFrame, base: str) -> pd.DataFrame:
    """The rows of one base, with its columns named as the one-base columns, for the replications it was left."""
    prefix = f"base.{base}."
    view = rows[[c for c in rows.columns if c.startswith(prefix)]].rename(columns=lambda c: c[len(prefix) :])
    leaves = view["leaves"].to_numpy(dtype=bool) if "leaves" in view.columns else np.ones(len(view), bool)
    return view[leaves].reset_index(drop=True)


def summarize_theatre(
    rows: pd.DataFrame,
    layout,
    window: tuple[float, float],
    wait_causes: tuple[str, ...],
    resources: tuple[str, ...],
    crews: dict[str, str] | None = None,
) -> dict:
    """``summary.json``'s ``bases`` (name -> today's fields, over the replications the base was left, with
    ``share_moving``, the share of replications in which the base moves at all, and ``window_verdict``, its sentence
    on the seed's window; ``share_left`` and ``verdict`` are the same values under the names scripts already read) and
    ``theatre`` (days to the last out; the chance of being out by each reported end date; the binding resource).

    ``layout`` names the bases, legs and pools (:class:`sim.scenario.theatre_layout.TheatreLayout`); ``crews`` each
    base's crew of a vehicle in words (``2 people``), which its warning gives beside ``sites.<base>.vehicles.crew``.
    """
    bases = {}
    for name in layout.bases:
        view = base_rows(rows, name)
        share = len(view) / len(rows) if len(rows) else float("nan")
        title = (getattr(layout, "titles", None) or {}).get(name, name)
        crew, path = (crews or {}).get(name), f"sites.{name}.vehicles.crew"
        summary = summarize(view, window, wait_causes, resources, crew, path) if len(view) else {"replications": 0}
        # window_verdict and share_moving say what they hold; verdict and share_left are kept, the same values, for scripts
        clearer = {"window_verdict": summary["verdict"]} if "verdict" in summary else {}
        bases[name] = {**summary, **clearer, "share_left": share, "share_moving": share, "title": title}
    days = rows["theatre.days_to_last_out"].to_numpy(dtype=float)
    finished = rows["theatre.finished"].to_numpy(dtype=bool)
    closed = np.where(finished, days, np.inf)
    ends = [float(d) for d in layout.reported_end_days]
    theatre = {
        "days_to_last_out": describe_days(days),
        "p_within": {f"{d:g}": proportion(int((closed <= d).sum()), len(closed)).as_dict() for d in ends},
        "binding": binding(rows, layout, wait_causes),
        "reported_end_days": ends,
        "unfinished_at_horizon": int((~finished).sum()),
    }
    if "theatre.convoys_uncovered" in rows.columns and rows["theatre.convoys_uncovered"].mean() > 0:  # every base's convoys together
        theatre["air_cover_short"] = {
            "convoys_uncovered": float(rows["theatre.convoys_uncovered"].mean()),
            "hours_short": float(rows["theatre.air_cover_hours_short"].mean()),
        }
    return {"bases": bases, "theatre": theatre, "warnings": theatre_warnings(bases, theatre, len(rows))}


def theatre_warnings(bases: dict, theatre: dict, replications: int) -> list[str]:
    """The warnings a theatre run adds to its main base's own (the one-base answers are its): each other base's
    replications that never emptied it (by reason, or cut off by the horizon), its vehicles the troops could not
    crew and its convoys that left short of Apache cover, under its name; the convoys of every base short of cover
    together; and how many replications never got everyone out of the country."""
    out: list[str] = []
    for name, b in list(bases.items())[1:]:
        warnings = b.get("warnings", [])
        title = b.get("title", name)
        moves = float(b.get("share_moving", 1.0))  # its figures are over the replications in which it moves
        among = f" (of the replications in which it moves: {100 * moves:.0f}% of all)" if moves < 1 else ""
        out.extend(f"{title}: {w}{among if 'per replication' in w else ''}" for w in warnings if _of_one_base(w))
    short = theatre.get("air_cover_short")
    if short and sum(1 for b in bases.values() if b.get("air_cover_short")) > 1:  # with one base short, its own line says it all
        out.append(
            f"every base together: {short['convoys_uncovered']:.1f} convoys per replication left without their whole Syrian leg "
            f"under Apache cover, {short['hours_short']:.1f} hours uncovered per replication (theatre.convoys_uncovered)"
        )
    if theatre["unfinished_at_horizon"]:
        out.append(
            f"{theatre['unfinished_at_horizon']} of {replications} replications had not got everyone out of the country at the horizon: "
            "they count as later than every reported end date (each base's never_finishes column says what was left and what held it)"
        )
    return out


_ONE_BASE = (
    "could never empty the base",
    "had not emptied the base at the horizon",
    "could not crew every vehicle",
    "without their whole Syrian leg under Apache cover",
)
"""Words of the warnings that are about one base: on a theatre each is said under that base's name (a base's convoys
short of Apache cover are its own, whatever pool's Apaches they waited for)."""


def _of_one_base(warning: str) -> bool:
    return any(words in warning for words in _ONE_BASE)


def name_the_main_base(warnings: list[str], title: str) -> list[str]:
    """The main base's own warnings on a theatre (its one-base answers come first), each one about the base under its
    name, ``Qasrak: in 12% of replications the troops could not crew ...``, as every other base's are."""
    return [f"{title}: {w}" if _of_one_base(w) and not w.startswith(f"{title}: ") else w for w in warnings]


def mid_sentence(title: str) -> str:
    """A title inside a sentence: ``contracted trucks``; an abbreviation stays as written (``HETs``, ``PLS trucks``)."""
    return title[:1].lower() + title[1:] if title[1:2].islower() else title


def binding(rows: pd.DataFrame, layout, wait_causes: tuple[str, ...]) -> str:
    """The resource that holds the withdrawal back most, in words: the cause convoys of every base waited
    longest for, with the busiest pool when it is trucks, or the leg they waited longest on when it is the road."""
    totals = {c: sum(float(rows[f"base.{b}.wait_hours.{c}"].mean()) for b in layout.bases if f"base.{b}.wait_hours.{c}" in rows) for c in wait_causes}
    if not totals or max(totals.values()) <= 0:
        return "nothing waited for: convoys left as soon as they were loaded"
    cause, hours = max(totals.items(), key=lambda kv: kv[1])
    words = f"{cause}: convoys of all bases waited {hours:,.0f} convoy-hours per replication on this cause"
    if cause == "trucks":
        busy = {p: float(rows[f"utilisation.{p}"].mean()) for p in layout.pools if f"utilisation.{p}" in rows}
        busy = {p: v for p, v in busy.items() if v == v}  # pools with trucks (the others have no share)
        if busy:
            pool = max(busy, key=lambda p: busy[p])
            words += f"; the busiest pool is {mid_sentence(layout.pools[pool])} ({100 * busy[pool]:.0f}% of its truck-hours busy)"
    elif cause in ("route closed", "crossing", "daylight"):
        legs = {leg: float(rows[f"leg.{leg}.wait_hours"].mean()) for leg in layout.legs if f"leg.{leg}.wait_hours" in rows}
        if legs:
            leg = max(legs, key=lambda k: legs[k])
            words += f"; most on the road {leg.replace('-', ' to ')} ({legs[leg]:,.0f} convoy-hours)"
    return words
