"""Summaries per design point of a study: days to base empty and the window probabilities, with 95% CIs.

Pure functions over arrays and tables; nothing here knows the model.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.statistics import describe_days, window_key, window_probabilities

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


def point_summary(days: np.ndarray, window: tuple[float, float]) -> dict[str, float]:
    """One design point: replications, mean days (CI), P10/P50/P90 (CIs), P(under/within/over the window) (Wilson CIs)."""
    days = np.asarray(days, dtype=float)
    d = describe_days(days)
    out: dict[str, float] = {"replications": len(days), "days_mean": d["mean"], "days_mean_ci_low": d["mean_ci_low"], "days_mean_ci_high": d["mean_ci_high"]}
    for p in PERCENTILES:
        low, high = quantile_ci(days, p / 100)
        out[f"days_p{p}"] = d[f"p{p}"]
        out[f"days_p{p}_ci_low"] = low
        out[f"days_p{p}_ci_high"] = high
    for kind, prop in window_probabilities(days, window).items():
        key = window_key(kind, window)
        out[key] = prop.estimate
        out[f"{key}_ci_low"] = prop.ci_low
        out[f"{key}_ci_high"] = prop.ci_high
    return out


def points_table(design: pd.DataFrame, point: np.ndarray, days: np.ndarray, window: tuple[float, float]) -> pd.DataFrame:
    """One row per design point: its factor values, then :func:`point_summary` of its replications.

    ``point`` and ``days`` are parallel arrays (one entry per replication), sorted by point.
    """
    point = np.asarray(point)
    cuts = np.flatnonzero(np.diff(point)) + 1
    groups = dict(zip(point[np.r_[0, cuts]].tolist(), np.split(np.asarray(days, dtype=float), cuts), strict=True)) if len(point) else {}
    rows = [{**design_row, **point_summary(groups.get(int(design_row["point"]), np.empty(0)), window)} for design_row in design.to_dict("records")]
    table = pd.DataFrame(rows)
    table["point"] = table["point"].astype(np.int64)
    table["replications"] = table["replications"].astype(np.int64)
    return table
