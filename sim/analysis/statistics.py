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
