"""The planner's answer read from replications: the date everyone is out, how sure by a day, what a change buys.

Pure functions over arrays of days (one value per replication, in replication order); nothing here
runs the model. A replication that never finished within the horizon counts as later than any day
(``inf``): it is never "out by day D", and its date reads "after the horizon".
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from sim.analysis.measure import Measure
from sim.analysis.paired import PROPORTION_INTERVAL, measured_comparison
from sim.analysis.statistics import proportion
from sim.names import day_date_words

PERCENTILES = (10, 50, 90)
"""The date's percentiles on the page: P50 the headline, P10-P90 the spread."""


def closure(days: np.ndarray, finished: np.ndarray) -> np.ndarray:
    """Days to the end of each replication, ``inf`` where it had not finished by the horizon."""
    days = np.asarray(days, dtype=float)
    return np.where(np.asarray(finished, dtype=bool), days, np.inf)


def calendar_date(start: str, days: float) -> str | None:
    """The calendar date ``days`` after the scenario's hour 0 as the page shows it (``10 Mar 2026``, the day taken to
    the tenth the page shows beside it), None past any date."""
    if not math.isfinite(days):
        return None
    return day_date_words(start, days)


def percentile_days(days: np.ndarray, q: float, horizon: float) -> float:
    """Percentile ``q`` of days to the end; ``inf`` when it falls among replications cut off at the horizon."""
    days = np.asarray(days, dtype=float)
    value = float(np.percentile(np.where(np.isfinite(days), days, horizon), q))
    return math.inf if value >= horizon and not np.isfinite(days).all() else value


def date_answer(days: np.ndarray, start: str, horizon: float, by_day: float, window: tuple[float, float]) -> dict[str, Any]:
    """When everyone is out (P10, P50, P90 in days and calendar dates), P(out by day ``by_day``) and P(inside
    the seed's ``window``), each share with its 95% Wilson interval, over the replications given."""
    days = np.asarray(days, dtype=float)
    n = len(days)
    out: dict[str, Any] = {"replications": n}
    if n == 0:
        return out
    for q in PERCENTILES:
        value = percentile_days(days, q, horizon)
        out[f"p{q}_days"] = value if math.isfinite(value) else None
        out[f"p{q}_date"] = calendar_date(start, value)
    finite = days[np.isfinite(days)]
    out["mean_days"] = float(finite.mean()) if len(finite) == n else None
    by = proportion(int((days <= by_day).sum()), n)
    out["by_day"] = by_day
    out["by_day_date"] = calendar_date(start, by_day)
    out["p_by_day"] = by.as_dict()
    low, high = window
    out["p_window"] = proportion(int(((days >= low) & (days <= high)).sum()), n).as_dict()
    out["never"] = int((~np.isfinite(days)).sum())
    return out


def paired_answer(unchanged: np.ndarray, changed: np.ndarray, horizon: float, by_day: float) -> dict[str, Any]:
    """What the change buys on paired replications (common random numbers): mean days sooner (positive) or later,
    with its 95% t interval, and the change of P(out by day ``by_day``) in percentage points, with Newcombe's 95%
    interval for a difference of paired proportions (:data:`~sim.analysis.paired.PROPORTION_INTERVAL`).

    Both come from :func:`sim.analysis.paired.measured_comparison`, the function ``evacsim compare`` reads: on the
    same pairs the page and ``compare --by-day D`` give the same figures and the same intervals. A replication cut
    off at the horizon counts at the horizon in the days (a difference of days needs a number, as in ``compare``)
    and is never "out by day D"."""
    closed_a = np.asarray(unchanged, dtype=float)
    closed_b = np.asarray(changed, dtype=float)
    a = np.minimum(closed_a, horizon)
    b = np.minimum(closed_b, horizon)
    n = len(a)
    if n < 2:
        return {"replications": n}
    found = measured_comparison(a, b, closed_a, closed_b, Measure(by_day=by_day))
    days, share = cast(dict[str, float], found["days"]), cast(dict[str, float], found["p_by_day"])
    return {
        "replications": n,
        "days_sooner": -days["difference"],
        "days_sooner_low": -days["ci_high"],
        "days_sooner_high": -days["ci_low"],
        "variance_reduction": days["variance_reduction"],
        "p_by_day_points": 100 * share["difference"],
        "p_by_day_points_low": 100 * share["ci_low"],
        "p_by_day_points_high": 100 * share["ci_high"],
        "probability_interval": PROPORTION_INTERVAL,
        "censored": int(((a >= horizon) | (b >= horizon)).sum()),
    }


def difference_sentence(paired: dict[str, Any]) -> str:
    """``2.1 days sooner (95% CI 1.6-2.6)``, or later, or no measurable change, in a planner's words."""
    if "days_sooner" not in paired or not math.isfinite(paired["days_sooner"]):
        return "not enough replications yet to compare"
    mean, low, high = paired["days_sooner"], paired["days_sooner_low"], paired["days_sooner_high"]
    if mean == 0 and low == 0 and high == 0:
        return "the same date in every replication"
    if mean >= 0:
        return f"{mean:.1f} days sooner (95% CI {low:.1f} to {high:.1f})"
    return f"{-mean:.1f} days later (95% CI {-high:.1f} to {-low:.1f})"


def histogram(unchanged: np.ndarray, changed: np.ndarray, horizon: float, bins: int = 30) -> dict[str, Any]:
    """Counts of replications by days to the end for both scenarios on one set of edges (the page's bar chart);
    replications cut off at the horizon fall in the last bin."""
    a = np.minimum(np.asarray(unchanged, dtype=float), horizon)
    b = np.minimum(np.asarray(changed, dtype=float), horizon)
    both = np.concatenate([a, b])
    if len(both) == 0:
        return {"edges": [], "unchanged": [], "changed": []}
    low, high = float(np.floor(both.min())), float(np.ceil(both.max()))
    edges = np.linspace(low, max(high, low + 1), bins + 1)
    return {"edges": edges.tolist(), "unchanged": np.histogram(a, edges)[0].tolist(), "changed": np.histogram(b, edges)[0].tolist()}
