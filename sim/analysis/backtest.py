"""Backtests: the model's prediction for a past withdrawal against what was reported.

Pure functions over the measured values of a case's replications (days to base empty
or force closure, or hours until the first convoy has crossed). A replication that
never got there (cut off at the horizon) has the value ``inf``: later than anything
reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Backtest:
    """One case: its prediction (P10, P50, P90) and the reported range, in the case's unit."""

    case: str
    what: str
    measure: str
    unit: str
    reported_low: float
    reported_high: float
    p10: float
    p50: float
    p90: float
    share_in_reported: float
    replications: int

    @property
    def inside(self) -> bool:
        """The reported range and the model's 80% interval (P10 to P90) overlap."""
        return self.p10 <= self.reported_high and self.reported_low <= self.p90

    @property
    def verdict(self) -> str:
        """In words: inside, or the model too early or too late."""
        if self.inside:
            return "inside"
        return "model too late" if self.p10 > self.reported_high else "model too early"

    def as_row(self) -> dict[str, object]:
        return {
            "case": self.case,
            "what": self.what,
            "measure": self.measure,
            "unit": self.unit,
            "reported_low": self.reported_low,
            "reported_high": self.reported_high,
            "p10": self.p10,
            "p50": self.p50,
            "p90": self.p90,
            "inside": self.inside,
            "verdict": self.verdict,
            "share_in_reported": self.share_in_reported,
            "replications": self.replications,
        }


def backtest(case: str, what: str, measure: str, unit: str, reported: tuple[float, float], values: np.ndarray) -> Backtest:
    """Compare a case's measured values (one a replication) with its reported range."""
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError(f"{case}: no replication to compare")
    p10, p50, p90 = (_percentile(values, q) for q in (10, 50, 90))
    low, high = reported
    share = float(((values >= low) & (values <= high)).mean())
    return Backtest(case, what, measure, unit, float(low), float(high), p10, p50, p90, share, int(values.size))


def _percentile(values: np.ndarray, q: float) -> float:
    """The q-th percentile, ``inf`` where it reaches into replications that never got there."""
    finite_max = np.finfo(float).max / 4
    value = float(np.percentile(np.where(np.isinf(values), finite_max, values), q))
    return math.inf if value >= finite_max / 2 else value
