"""Summaries per design point of a study: days to base empty and the window probabilities, with 95% CIs.

Pure functions over arrays and tables; nothing here knows the model.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.statistics import describe_days, proportion, window_key, window_probabilities

PERCENTILES = (10, 50, 90)


def quantile_ci(days: np.ndarray, q: float, confidence: float = 0.95) -> tuple[float, float]:
    """Distribution-free CI of the ``q`` quantile: the order statistics a binomial count puts around it.

    An end the sample is too small to bound at this confidence is NaN (shown as "—"), not the sample's smallest or
    largest value: with 20 replications the largest covers the P90 only 88% of the time, not 95%.
    """
    x = np.sort(np.asarray(days, dtype=float))
    n = len(x)
    if n == 0:
        return float("nan"), float("nan")
    low, high = order_statistics(n, q, confidence)
    return (float(x[low - 1]) if low >= 1 else float("nan")), (float(x[high - 1]) if high <= n else float("nan"))


@lru_cache(maxsize=4096)
def order_statistics(n: int, q: float, confidence: float = 0.95) -> tuple[int, int]:
    """The ranks (1-based) of the order statistics bounding the ``q`` quantile of ``n`` values at ``confidence``; kept
    once computed, since every point of a study has the same ``n``."""
    alpha = 1 - confidence
    return int(stats.binom.ppf(alpha / 2, n, q)), int(stats.binom.ppf(1 - alpha / 2, n, q)) + 1


def by_day_key(day: float) -> str:
    """The column of P(out by day D) in a points table: ``p_by_30``."""
    return f"p_by_{day:g}"


def point_summary(days: np.ndarray, window: tuple[float, float], by_day: float | None = None, closed: np.ndarray | None = None) -> dict[str, float]:
    """One design point: replications, mean days (CI), P10/P50/P90 (CIs), P(out by day ``by_day``, default the window's
    end) and P(under/within/over the window) (Wilson CIs). ``closed``: the days with ``inf`` for a replication cut off
    at the horizon (default ``days``); NaN days (a base that did not have to move) are left out."""
    days = np.asarray(days, dtype=float)
    closed = days if closed is None else np.asarray(closed, dtype=float)
    keep = ~np.isnan(days)
    days, closed = days[keep], closed[keep]
    d = describe_days(days)
    out: dict[str, float] = {"replications": len(days), "days_mean": d["mean"], "days_mean_ci_low": d["mean_ci_low"], "days_mean_ci_high": d["mean_ci_high"]}
    for p in PERCENTILES:
        low, high = quantile_ci(days, p / 100)
        out[f"days_p{p}"] = d[f"p{p}"]
        out[f"days_p{p}_ci_low"] = low
        out[f"days_p{p}_ci_high"] = high
    day = float(window[1] if by_day is None else by_day)
    by = proportion(int((closed <= day).sum()), len(closed))
    key = by_day_key(day)
    out[key], out[f"{key}_ci_low"], out[f"{key}_ci_high"] = by.estimate, by.ci_low, by.ci_high
    for kind, prop in window_probabilities(closed, window).items():
        key = window_key(kind, window)
        out[key] = prop.estimate
        out[f"{key}_ci_low"] = prop.ci_low
        out[f"{key}_ci_high"] = prop.ci_high
    return out


def points_table(
    design: pd.DataFrame, point: np.ndarray, days: np.ndarray, window: tuple[float, float], by_day: float | None = None, closed: np.ndarray | None = None
) -> pd.DataFrame:
    """One row per design point: its factor values, then :func:`point_summary` of its replications.

    ``point``, ``days`` and ``closed`` (days, ``inf`` where cut off at the horizon; default ``days``) are parallel
    arrays (one entry per replication), sorted by point.
    """
    point = np.asarray(point)
    days = np.asarray(days, dtype=float)
    closed = days if closed is None else np.asarray(closed, dtype=float)
    cuts = np.flatnonzero(np.diff(point)) + 1
    starts = point[np.r_[0, cuts]].tolist() if len(point) else []
    groups = dict(zip(starts, zip(np.split(days, cuts), np.split(closed, cuts), strict=True), strict=True)) if len(point) else {}
    empty = (np.empty(0), np.empty(0))
    rows = []
    for design_row in design.to_dict("records"):
        group_days, group_closed = groups.get(int(design_row["point"]), empty)
        rows.append({**design_row, **point_summary(group_days, window, by_day, group_closed)})
    table = pd.DataFrame(rows)
    table["point"] = table["point"].astype(np.int64)
    table["replications"] = table["replications"].astype(np.int64)
    return table
