"""Paired comparison of two scenarios run on common random numbers.

Replication ``i`` of both scenarios uses the same random streams, so the differences
``B_i - A_i`` carry much less noise than two independent samples would. Pure
functions over arrays; nothing here knows the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.statistics import window_key


def mean_difference(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Mean of the paired differences ``b - a`` with a t interval, and what pairing bought.

    ``variance_reduction`` is ``(var(a) + var(b)) / var(b - a)``: how many times smaller the
    variance of the estimated difference is than with independent streams (also the factor
    by which independent streams would need more replications for the same CI).
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    d = b - a
    n = len(d)
    mean = float(d.mean()) if n else float("nan")
    var_d = float(d.var(ddof=1)) if n > 1 else float("nan")
    var_independent = float(a.var(ddof=1) + b.var(ddof=1)) if n > 1 else float("nan")
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) if n > 1 else float("nan")
    half = t * np.sqrt(var_d / n) if n > 1 else float("nan")
    half_independent = t * np.sqrt(var_independent / n) if n > 1 else float("nan")
    if var_d > 0:
        reduction = var_independent / var_d
    else:
        reduction = float("inf") if var_independent > 0 else 1.0
    return {
        "difference": mean,
        "ci_low": mean - half,
        "ci_high": mean + half,
        "ci_half_width_independent": float(half_independent),
        "variance_paired": var_d,
        "variance_independent": var_independent,
        "variance_reduction": float(reduction),
    }


def paired_comparison(a_days: np.ndarray, b_days: np.ndarray, window: tuple[float, float]) -> dict[str, object]:
    """Differences B - A in mean days to base empty, in P(within the window) and in P(over it), with 95% CIs."""
    a = np.asarray(a_days, dtype=float)
    b = np.asarray(b_days, dtype=float)
    low, high = window
    within = lambda x: ((x >= low) & (x <= high)).astype(float)  # noqa: E731
    over = lambda x: (x > high).astype(float)  # noqa: E731
    return {
        "replications": len(a),
        "window_days": [low, high],
        "mean_a": float(a.mean()) if len(a) else float("nan"),
        "mean_b": float(b.mean()) if len(b) else float("nan"),
        "days_to_base_empty": mean_difference(a, b),
        window_key("p_within", window): {"a": float(within(a).mean()), "b": float(within(b).mean()), **mean_difference(within(a), within(b))},
        window_key("p_over", window): {"a": float(over(a).mean()), "b": float(over(b).mean()), **mean_difference(over(a), over(b))},
    }


def swing_intervals(levels: pd.DataFrame, rows: pd.DataFrame, window: tuple[float, float], outcome: str = "days_to_base_empty") -> pd.DataFrame:
    """95% intervals of the tornado swings (the factor at its high minus at its low) of mean days and of P(window).

    ``levels`` has one row per design point in point order: ``factor`` and ``level`` (``base``, ``low``, ``high``);
    ``rows`` one per replication with ``point``, ``replication`` and ``outcome``. The low and high points of a factor
    run the same replications (common random numbers), so the interval is a paired t interval on the
    per-replication differences, which are independent across replications. Columns: ``mean_days.swing_ci_low``,
    ``mean_days.swing_ci_high`` (days), ``p_window.swing_ci_low``, ``p_window.swing_ci_high`` (shares).
    """
    by_point = {point: group.sort_values("replication") for point, group in rows.groupby("point")}
    out = []
    for factor, group in levels[levels["level"] != "base"].groupby("factor", sort=False):
        low = by_point[int(group.index[group["level"] == "low"][0])]
        high = by_point[int(group.index[group["level"] == "high"][0])]
        pair = low[["replication", outcome]].merge(high[["replication", outcome]], on="replication", suffixes=("_low", "_high"))
        a, b = pair[f"{outcome}_low"].to_numpy(float), pair[f"{outcome}_high"].to_numpy(float)
        inside = lambda x: ((x >= window[0]) & (x <= window[1])).astype(float)  # noqa: E731
        days, share = mean_difference(a, b), mean_difference(inside(a), inside(b))
        out.append(
            {
                "factor": factor,
                "mean_days.swing_ci_low": days["ci_low"],
                "mean_days.swing_ci_high": days["ci_high"],
                "p_window.swing_ci_low": share["ci_low"],
                "p_window.swing_ci_high": share["ci_high"],
            }
        )
    return pd.DataFrame(out).set_index("factor")
