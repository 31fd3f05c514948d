"""Summaries of replication tables: percentiles, window probabilities with confidence intervals.

Pure functions over arrays and tables; nothing here knows the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Proportion:
    """A probability estimated from replications, with its 95% Wilson interval."""

    estimate: float
    ci_low: float
    ci_high: float

    @property
    def half_width(self) -> float:
        return (self.ci_high - self.ci_low) / 2

    def as_dict(self) -> dict[str, float]:
        return {"estimate": self.estimate, "ci_low": self.ci_low, "ci_high": self.ci_high}


def proportion(successes: int, n: int, confidence: float = 0.95) -> Proportion:
    """Share of ``n`` replications that succeeded, with a Wilson score interval."""
    if n == 0:
        return Proportion(float("nan"), 0.0, 1.0)
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return Proportion(successes / n, float(ci.low), float(ci.high))


def describe_days(days: np.ndarray) -> dict[str, float]:
    """Mean and P10/P50/P90 of a sample of durations in days, with a 95% CI on the mean."""
    days = np.asarray(days, dtype=float)
    n = len(days)
    mean = float(days.mean()) if n else float("nan")
    half = float(stats.t.ppf(0.975, n - 1) * days.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")
    p10, p50, p90 = (float(x) for x in np.percentile(days, [10, 50, 90])) if n else (float("nan"),) * 3
    return {"mean": mean, "mean_ci_low": mean - half, "mean_ci_high": mean + half, "p10": p10, "p50": p50, "p90": p90}


def window_probabilities(days: np.ndarray, window: tuple[float, float]) -> dict[str, Proportion]:
    """P(< low), P(low-high) and P(> high) for durations in days (the window's ends count as inside)."""
    days = np.asarray(days, dtype=float)
    low, high = window
    n = len(days)
    return {
        "p_under": proportion(int((days < low).sum()), n),
        "p_within": proportion(int(((days >= low) & (days <= high)).sum()), n),
        "p_over": proportion(int((days > high).sum()), n),
    }


def burndown_fan(counts: np.ndarray, percentiles: tuple[int, ...] = (10, 25, 50, 75, 90)) -> dict[int, np.ndarray]:
    """Percentiles across replications of a (replication x day) burn-down array."""
    return {p: np.percentile(counts, p, axis=0) for p in percentiles}


def window_key(kind: str, window: tuple[float, float]) -> str:
    """Stable names for scripts: ``p_under_15``, ``p_15_to_30``, ``p_over_30``."""
    low, high = window
    return {"p_under": f"p_under_{low:g}", "p_within": f"p_{low:g}_to_{high:g}", "p_over": f"p_over_{high:g}"}[kind]


def verdict(p: dict[str, Proportion], window: tuple[float, float]) -> str:
    """One line that answers the question: does the evacuation finish in the window?"""
    low, high = window
    within, over, under = p["p_within"], p["p_over"], p["p_under"]

    def pct(x: Proportion) -> str:
        return f"{100 * x.estimate:.0f}% (95% CI {100 * x.ci_low:.0f}-{100 * x.ci_high:.0f}%)"

    if within.ci_low > 0.5:
        return f"Likely: the base empties within {low:g}-{high:g} days in {pct(within)} of replications."
    if over.ci_low > 0.5:
        return f"Unlikely: the base takes longer than {high:g} days in {pct(over)} of replications; within the window in {pct(within)}."
    if under.ci_low > 0.5:
        return f"Sooner than estimated: the base empties in under {low:g} days in {pct(under)} of replications."
    return f"Uncertain: within {low:g}-{high:g} days in {pct(within)}, later in {pct(over)}, sooner in {pct(under)}."


def summarize(rows, window: tuple[float, float], wait_causes: tuple[str, ...], resources: tuple[str, ...]) -> dict:
    """The ``summary.json`` contract: replications, days (mean, P10/P50/P90), window probabilities with CIs,
    mean convoy-hours waited by cause, mean utilisation, and the verdict."""
    base = rows["days_to_base_empty"].to_numpy()
    force = rows["days_to_force_closure"].to_numpy()
    probs = window_probabilities(base, window)
    out: dict = {
        "replications": len(rows),
        "window_days": list(window),
        "days_to_base_empty": describe_days(base),
        "days_to_force_closure": describe_days(force),
    }
    for kind, value in probs.items():
        out[window_key(kind, window)] = value.as_dict()
    force_probs = window_probabilities(force, window)
    out["force_closure"] = {window_key(k, window): v.as_dict() for k, v in force_probs.items()}
    out["unfinished_at_horizon"] = int((~rows["finished"].astype(bool)).sum())
    out["mean_wait_hours"] = {c: float(rows[f"wait_hours.{c}"].mean()) for c in wait_causes}
    out["mean_utilisation"] = {r: float(rows[f"utilisation.{r}"].mean()) for r in resources}
    out["verdict"] = verdict(probs, window)
    return out
