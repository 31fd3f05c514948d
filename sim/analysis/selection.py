"""Which plans meet a probability target, with a stated confidence: a sequential feasibility check.

The planner's question is constrained: the cheapest set of additions whose probability of
finishing by a date, P(days <= T), is at least ``p0``. Cost is known exactly; only the
probability is estimated from replications. So the selection is a *feasibility check* of
each candidate against ``p0``, made in cost order, and the cheapest plan found feasible is
the pick.

The check is the fully sequential feasibility check of Andradóttir and Kim (2010, "Fully
sequential procedures for comparing constrained systems via simulation", Naval Research
Logistics 57) and Batur and Kim (2010, ACM TOMACS 20:13), the feasibility half of the
constrained Kim-Nelson procedure. With an indifference zone ``epsilon`` it guarantees, for
normal observations, that with probability at least ``1 - beta`` a candidate with
``P >= p0 + epsilon`` is declared feasible and one with ``P <= p0 - epsilon`` infeasible;
between the two either answer is acceptable. Checking ``k`` candidates at ``beta = alpha / k``
(Bonferroni, which holds although common random numbers make the candidates dependent)
makes every decision right at once with probability at least ``1 - alpha``.

Observations are batch means of ``b`` replications' successes (1 if the base is empty by
the date): batching makes them nearly normal, as the procedure assumes. Their first-stage
variance is floored at ``p0 (1 - p0) / b``, the variance at the threshold, so a first stage
with no failure cannot end the check at once; a larger variance only widens the
continuation region, which keeps the guarantee.

Pure functions over arrays; nothing here knows the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

FEASIBLE = "feasible"
INFEASIBLE = "infeasible"
UNDECIDED = "undecided"


@dataclass(frozen=True)
class FeasibilityCheck:
    """Settings of the sequential check of ``P >= threshold``.

    ``first_stage`` is n0, the batch means seen before any decision; ``beta`` the chance of a
    wrong decision for one candidate outside the indifference zone; ``batch`` the replications
    in one batch mean.
    """

    threshold: float
    indifference: float
    beta: float
    first_stage: int = 10
    batch: int = 20

    def __post_init__(self) -> None:
        if not 0 < self.threshold < 1:
            raise ValueError(f"threshold must be a probability strictly between 0 and 1, not {self.threshold}")
        if not 0 < self.indifference < min(self.threshold, 1 - self.threshold):
            raise ValueError(f"indifference zone {self.indifference} must be above 0 and keep p0 +- epsilon inside 0-1")
        if not 0 < self.beta < 0.5:
            raise ValueError(f"beta must be in (0, 0.5), not {self.beta}")
        if self.first_stage < 2 or self.batch < 1:
            raise ValueError("first_stage must be at least 2 and batch at least 1")

    @property
    def h2(self) -> float:
        """Rinott-like constant of the triangular continuation region: ``(n0 - 1) [(2 beta)^(-2/(n0-1)) - 1]``."""
        n = self.first_stage - 1
        return n * ((2 * self.beta) ** (-2 / n) - 1)

    @property
    def variance_floor(self) -> float:
        """Variance of one batch mean when ``P`` is exactly the threshold."""
        return self.threshold * (1 - self.threshold) / self.batch

    def half_width(self, r: int, s2: float) -> float:
        """Half-width R(r) of the continuation region after ``r`` batch means: max(0, h2 S2 / (2 eps) - eps r / 2)."""
        return max(0.0, self.h2 * s2 / (2 * self.indifference) - self.indifference * r / 2)

    def most_observations(self, s2: float) -> int:
        """Batch means after which the region has closed and a decision is forced: ceil(h2 S2 / eps^2)."""
        return max(self.first_stage, math.ceil(self.h2 * s2 / self.indifference**2))

    def first_stage_variance(self, means: np.ndarray) -> float:
        """S2 of the first ``first_stage`` batch means, floored at the variance at the threshold."""
        first = np.asarray(means[: self.first_stage], dtype=float)
        return max(float(first.var(ddof=1)), self.variance_floor)


@dataclass(frozen=True)
class Decision:
    """The check's answer for one candidate: verdict, batch means used, and the estimate from them."""

    verdict: str
    observations: int
    estimate: float
    most_observations: int


def batch_means(successes: np.ndarray, size: int) -> np.ndarray:
    """Means of consecutive batches of ``size`` successes (0/1); a partial last batch is dropped."""
    successes = np.asarray(successes, dtype=float)
    whole = len(successes) // size
    return successes[: whole * size].reshape(whole, size).mean(axis=1)


def check_feasibility(means: np.ndarray, check: FeasibilityCheck) -> Decision:
    """Run the sequential check over batch means as they come; undecided if they run out first.

    After the first stage, the partial sum of ``mean - threshold`` is compared after every
    batch with +-R(r): above R the candidate is feasible, below -R infeasible. The region
    closes after :meth:`FeasibilityCheck.most_observations`, where the sign decides.
    """
    means = np.asarray(means, dtype=float)
    if len(means) < check.first_stage:
        return Decision(UNDECIDED, len(means), float(means.mean()) if len(means) else float("nan"), check.first_stage)
    s2 = check.first_stage_variance(means)
    last = check.most_observations(s2)
    total = float((means[: check.first_stage - 1] - check.threshold).sum())
    for r in range(check.first_stage, min(len(means), last) + 1):
        total += means[r - 1] - check.threshold
        bound = check.half_width(r, s2)
        if total > bound or (r == last and total >= 0):
            return Decision(FEASIBLE, r, float(means[:r].mean()), last)
        if total < -bound or r == last:
            return Decision(INFEASIBLE, r, float(means[:r].mean()), last)
    return Decision(UNDECIDED, len(means), float(means.mean()), last)


def pareto_front(cost: np.ndarray, probability: np.ndarray) -> np.ndarray:
    """Which points no other point beats: none as cheap or cheaper with as high or higher a probability,
    better in one. Ties (same cost and probability) are all kept."""
    cost = np.asarray(cost, dtype=float)
    probability = np.asarray(probability, dtype=float)
    keep = np.ones(len(cost), dtype=bool)
    for i in range(len(cost)):
        no_worse = (cost <= cost[i]) & (probability >= probability[i])
        better = (cost < cost[i]) | (probability > probability[i])
        keep[i] = not np.any(no_worse & better)
    return keep


def bonferroni_beta(alpha: float, candidates: int) -> float:
    """Each check's error when ``candidates`` checks must all be right with probability ``1 - alpha``."""
    return alpha / max(1, candidates)
