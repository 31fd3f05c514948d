"""Backtests: the model's prediction for a past withdrawal against what was reported, and against
the forecast a planner would have made on paper (:mod:`sim.analysis.paper_forecast`).

Pure functions over the measured values of a case's replications (days to base empty
or force closure, or hours until the first convoy has crossed). A replication that
never got there (cut off at the horizon) has the value ``inf``: later than anything
reported; the scores count it at the horizon, which flatters the model a little.

Scores (docs/VALIDATION.md gives the reasons and the reference):

- **share inside**: the share of replications inside the reported range;
- **CRPS** (continuous ranked probability score, Gneiting and Raftery 2007, eq. 21:
  ``E|X - y| - E|X - X'| / 2``) with the reported range read as a uniform distribution
  of the true value over it, so ``y`` is averaged over the range; for a point forecast
  it is the mean absolute error. In the case's unit; lower is better; 0 only for a sure
  forecast of a sure outcome;
- **interval score** of the model's P10-P90 interval (Gneiting and Raftery 2007, eq. 43,
  alpha = 0.2), averaged the same way: its width plus 10 times its miss;
- **skill** against the paper forecast: ``1 - CRPS(model) / CRPS(paper)``: above 0 the
  model wins the case, 1 is perfect, below 0 the paper forecast was better.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

INTERVAL_ALPHA = 0.2
"""The interval scored: P10 to P90, the model's 80% interval."""


@dataclass(frozen=True)
class Backtest:
    """One case: its prediction (P10, P50, P90), the reported range, the paper forecast and the scores, in the case's unit."""

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
    paper: float
    paper_basis: str
    crps_model: float
    crps_paper: float
    interval_score: float
    cut_off: int = 0

    @property
    def skill(self) -> float:
        """1 - CRPS(model) / CRPS(paper): above 0 the model beats the paper forecast."""
        return skill(self.crps_model, self.crps_paper)

    @property
    def model_wins(self) -> bool:
        return self.skill > 0

    @property
    def where(self) -> str:
        """Where the model's median falls against the reported range, in words."""
        if self.p50 < self.reported_low:
            return "median early"
        if self.p50 > self.reported_high:
            return "median late"
        return "median inside"

    @property
    def verdict(self) -> str:
        """In words: who wins the case, and where the model's median falls."""
        who = "model wins" if self.model_wins else "paper forecast wins"
        return f"{who} (skill {self.skill:+.2f}), {self.where}"

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
            "share_in_reported": self.share_in_reported,
            "paper": self.paper,
            "paper_basis": self.paper_basis,
            "crps_model": self.crps_model,
            "crps_paper": self.crps_paper,
            "skill": self.skill,
            "model_wins": self.model_wins,
            "interval_score": self.interval_score,
            "verdict": self.verdict,
            "replications": self.replications,
            "cut_off": self.cut_off,
        }


def skill(score_model: float, score_paper: float) -> float:
    """1 - score_model / score_paper (0 when both are 0; -inf when only the paper forecast is exact)."""
    if score_paper > 0:
        return 1.0 - score_model / score_paper
    return 0.0 if score_model == 0 else -math.inf


def backtest(
    case: str,
    what: str,
    measure: str,
    unit: str,
    reported: tuple[float, float],
    values: np.ndarray,
    paper: float,
    paper_basis: str = "",
    cut_off_at: float | None = None,
) -> Backtest:
    """Score a case's measured values (one a replication) and its paper forecast against the reported range.

    ``cut_off_at`` (the horizon, in the case's unit) is where a replication that never got
    there (``inf``) is counted in the scores; without it such a replication makes the scores infinite.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        raise ValueError(f"{case}: no replication to compare")
    p10, p50, p90 = (_percentile(values, q) for q in (10, 50, 90))
    low, high = reported
    share = float(((values >= low) & (values <= high)).mean())
    cut = int(np.isinf(values).sum())
    scored = np.where(np.isinf(values), cut_off_at, values) if cut_off_at is not None else values
    if np.isinf(scored).any():  # no horizon to count them at: an infinite error
        crps_model, score = math.inf, math.inf
    else:
        q10, q90 = np.percentile(scored, [100 * INTERVAL_ALPHA / 2, 100 * (1 - INTERVAL_ALPHA / 2)])
        crps_model, score = crps_ensemble(scored, reported), interval_score(float(q10), float(q90), reported)
    return Backtest(
        case,
        what,
        measure,
        unit,
        float(low),
        float(high),
        p10,
        p50,
        p90,
        share,
        int(values.size),
        float(paper),
        paper_basis,
        crps_model,
        crps_ensemble(np.array([paper]), reported),
        score,
        cut,
    )


def mean_distance_to_range(x: np.ndarray, reported: tuple[float, float]) -> np.ndarray:
    """E|x - Y| for each x, Y uniform over the reported range (a point when low == high)."""
    low, high = reported
    x = np.asarray(x, dtype=float)
    if high <= low:
        return np.abs(x - low)
    mid = (low + high) / 2.0
    inside = ((x - low) ** 2 + (high - x) ** 2) / (2.0 * (high - low))
    return np.where(x <= low, mid - x, np.where(x >= high, x - mid, inside))


def crps_ensemble(values: np.ndarray, reported: tuple[float, float]) -> float:
    """CRPS of the ensemble ``values`` against the reported range read as uniform: E|X - Y| - E|X - X'| / 2.

    ``E|X - X'|`` over all ordered pairs of the ensemble, from the sorted values:
    ``2 / n^2 * sum_i (2i - n - 1) x_(i)``. In the unit of the values.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n == 0:
        raise ValueError("no value to score")
    spread = 2.0 / n**2 * float(np.sum((2 * np.arange(1, n + 1) - n - 1) * x))
    return float(mean_distance_to_range(x, reported).mean() - spread / 2.0)


def interval_score(lower: float, upper: float, reported: tuple[float, float], alpha: float = INTERVAL_ALPHA) -> float:
    """Interval score of [lower, upper] as a (1 - alpha) interval, the outcome uniform over the reported range:
    width + 2 / alpha x (expected shortfall below ``lower`` + expected excess above ``upper``)."""
    low, high = reported
    if high <= low:
        below, above = max(lower - low, 0.0), max(low - upper, 0.0)
    else:
        span = high - low
        below = 0.0 if lower <= low else (lower - (low + high) / 2 if lower >= high else (lower - low) ** 2 / (2 * span))
        above = 0.0 if upper >= high else ((low + high) / 2 - upper if upper <= low else (high - upper) ** 2 / (2 * span))
    return (upper - lower) + 2.0 / alpha * (below + above)


def overall_skill(results: Sequence[Backtest]) -> float:
    """Skill over all cases: 1 - the geometric mean of CRPS(model) / CRPS(paper), each case weighing the same
    whatever its unit (a case where either score is 0 or infinite is left out); nan with no case to count."""
    ratios = [r.crps_model / r.crps_paper for r in results if r.crps_paper > 0 and 0 < r.crps_model < math.inf]
    if not ratios:
        return math.nan
    return 1.0 - float(np.exp(np.mean(np.log(ratios))))


def _percentile(values: np.ndarray, q: float) -> float:
    """The q-th percentile, ``inf`` where it reaches into replications that never got there (even by interpolation)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return math.inf
    value = float(np.percentile(np.where(np.isinf(values), 2.0 * abs(finite.max()) + 1.0, values), q))
    return math.inf if value > finite.max() else value
