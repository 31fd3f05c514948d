"""Marginal value of resources: what one more truck, escort team, Apache or sortie buys.

Each variant is run on the same replications as the baseline (common random numbers:
replication ``i`` draws the same cargo, the same threats and the same weather in
both), so the difference is measured replication by replication and its interval is
far narrower than the difference of two independent runs.

Pure functions over replication tables (``replication`` and the measure's columns).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.measure import Measure
from sim.analysis.paired import paired_proportion_difference
from sim.analysis.statistics import mean_interval

RANK_BY = {"days": "days_saved", "out-by-day": "p_by_day_change", "window": "p_window_change"}
"""The column each measure ranks the resources by, best first: days saved, or the gain in a chance."""


def paired_mean(diff: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean of paired differences with its t interval: (mean, low, high)."""
    return mean_interval(diff, confidence)


def marginal_effect(base: pd.DataFrame, variant: pd.DataFrame, measure: Measure) -> dict[str, float]:
    """Days saved (baseline minus variant: positive is sooner, better), the change in P(out by day D) and in
    P(window) (variant minus baseline: positive is likelier), paired by replication, of what ``measure`` measures.
    Probability changes carry Newcombe's paired interval (:data:`~sim.analysis.paired.PROPORTION_INTERVAL`)."""
    merged = base.merge(variant, on="replication", suffixes=("", "__variant"))
    if merged.empty:
        raise ValueError("the baseline and the variant share no replication: run them with the same seed and indices")
    other = merged[[c for c in merged.columns if c.endswith("__variant")]]
    other = other.rename(columns=lambda c: c.removesuffix("__variant"))
    b_days, v_days = measure.days(merged), measure.days(other)
    keep = ~(np.isnan(b_days) | np.isnan(v_days))
    b, v = b_days[keep], v_days[keep]
    saved, saved_low, saved_high = paired_mean(b - v)
    out: dict[str, float] = {
        "replications": int(keep.sum()),
        "days_saved": saved,
        "days_saved_low": saved_low,
        "days_saved_high": saved_high,
        "mean_days_base": _share(b),
        "mean_days_variant": _share(v),
    }
    for name, read in (("p_by_day", measure.out_by), ("p_window", measure.in_window)):
        x, y = read(merged), read(other)
        change = paired_proportion_difference(x, y)
        out[f"{name}_base"], out[f"{name}_variant"] = _share(x), _share(y)
        out[f"{name}_change"], out[f"{name}_change_low"], out[f"{name}_change_high"] = change["difference"], change["ci_low"], change["ci_high"]
    return out


def _share(values: np.ndarray) -> float:
    """The mean of the replications that have a value (a base that did not have to move has none); NaN, shown as
    "—", when none has (without numpy's warning on an empty mean)."""
    values = np.asarray(values, dtype=float)
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if len(kept) else float("nan")


def marginal_table(base: pd.DataFrame, variants: dict[str, pd.DataFrame], measure: Measure) -> pd.DataFrame:
    """One row per variant, ranked by ``measure``, best first: the most days saved (sooner is better), or the most
    gained in the chance. ``significant``: the 95% interval of the measure's change excludes 0."""
    rows = [{"change": name, **marginal_effect(base, rows, measure)} for name, rows in variants.items()]
    table = pd.DataFrame(rows).set_index("change")
    key = RANK_BY[measure.kind]
    table["significant"] = (table[f"{key}_low"] > 0) | (table[f"{key}_high"] < 0)
    return table.sort_values(key, ascending=False)


def marginal_sentence(table: pd.DataFrame, measure: Measure) -> str:
    """The marginal study's answer: which resource brings the date in most (or raises the chance most), in words."""
    best, top = table.index[0], table.iloc[0]
    unclear = "No clear effect: the largest estimate, {best}'s, is {what}; its 95% interval includes no change (more replications would narrow it)."
    if measure.kind == "days":
        change = measure.change_words(-top["days_saved"], -top["days_saved_high"], -top["days_saved_low"])
        if top["days_saved_high"] < 0:  # every change is clearly later
            return f"No change brings the date in: the best, {best}, is {measure.subject} {change}."
        if not top["days_saved_low"] > 0:  # the interval reaches no change (or later): no direction to claim
            return unclear.format(best=best, what=f"{measure.subject} {change}")
        return f"{best} brings the date in most: {measure.subject} {change}."
    key = "p_by_day" if measure.kind == "out-by-day" else "p_window"
    change = measure.change_words(top[f"{key}_change"], top[f"{key}_change_low"], top[f"{key}_change_high"])
    if top[f"{key}_change_high"] < 0:
        return f"No change raises {measure.words}: the best, {best}, is {change}."
    if not top[f"{key}_change_low"] > 0:
        return unclear.format(best=best, what=change)
    return f"{best} raises {measure.words} most: {change}."
