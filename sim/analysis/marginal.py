"""Marginal value of resources: what one more truck, escort team, Apache or sortie buys.

Each variant is run on the same replications as the baseline (common random numbers:
replication ``i`` draws the same cargo, the same threats and the same weather in
both), so the difference is measured replication by replication and its interval is
far narrower than the difference of two independent runs.

Pure functions over replication tables (``replication`` and ``days_to_base_empty`` columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.statistics import mean_interval

OUTCOME = "days_to_base_empty"


def paired_mean(diff: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences with its t interval: (mean, low, high)."""
    return mean_interval(diff, confidence)


def marginal_effect(base: pd.DataFrame, variant: pd.DataFrame, window: tuple[float, float], outcome: str = OUTCOME) -> dict[str, float]:
    """Days saved (baseline minus variant, positive is faster) and the change in P(window), paired by replication."""
    merged = base[["replication", outcome]].merge(variant[["replication", outcome]], on="replication", suffixes=("_base", "_variant"))
    if merged.empty:
        raise ValueError("the baseline and the variant share no replication: run them with the same seed and indices")
    b, v = merged[f"{outcome}_base"].to_numpy(float), merged[f"{outcome}_variant"].to_numpy(float)
    saved, saved_low, saved_high = paired_mean(b - v)
    inside_b = ((b >= window[0]) & (b <= window[1])).astype(float)
    inside_v = ((v >= window[0]) & (v <= window[1])).astype(float)
    dp, dp_low, dp_high = paired_mean(inside_v - inside_b)
    return {
        "replications": len(merged),
        "days_saved": saved,
        "days_saved_low": saved_low,
        "days_saved_high": saved_high,
        "mean_days_base": float(b.mean()),
        "mean_days_variant": float(v.mean()),
        "p_window_base": float(inside_b.mean()),
        "p_window_variant": float(inside_v.mean()),
        "p_window_change": dp,
        "p_window_change_low": dp_low,
        "p_window_change_high": dp_high,
    }


def marginal_table(base: pd.DataFrame, variants: dict[str, pd.DataFrame], window: tuple[float, float], outcome: str = OUTCOME) -> pd.DataFrame:
    """One row per variant, ranked by days saved (the resource that buys the most time first)."""
    rows = [{"change": name, **marginal_effect(base, rows, window, outcome)} for name, rows in variants.items()]
    table = pd.DataFrame(rows).set_index("change")
    table["significant"] = (table["days_saved_low"] > 0) | (table["days_saved_high"] < 0)
    return table.sort_values("days_saved", ascending=False)
