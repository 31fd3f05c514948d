"""Calibration to the seed's estimate: which input values make "15 days to a month" plausible?

Approximate Bayesian computation by rejection: each replication draws its inputs from
the scenario's distributions (the priors) and simulates once; the inputs of the
replications whose closure falls in the target window are a sample of the posterior,
the inputs given that the security sources' estimate comes true. Comparing prior and
posterior says which inputs the estimate is informative about.

Pure functions over a replication table (one row per replication, ``input.<path>`` columns).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.statistics import Proportion, proportion

MIN_ACCEPTED = 100
QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class Calibration:
    """Accepted replications, the acceptance rate, and prior vs posterior for each input."""

    accepted: np.ndarray  # boolean, one per replication
    acceptance: Proportion
    table: pd.DataFrame  # one row per input
    warnings: tuple[str, ...]


def accept(days: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """Replications whose closure lands inside the target window (ends included)."""
    days = np.asarray(days, dtype=float)
    return (days >= window[0]) & (days <= window[1])


def prior_posterior(inputs: pd.DataFrame, accepted: np.ndarray) -> pd.DataFrame:
    """Per input: prior and posterior P5/P50/P95 and mean, the posterior's 90% width as a share of the prior's,
    the Kolmogorov-Smirnov distance between them (``ks``: 0 when the estimate says nothing about the input, up to 1),
    and whether that shift is more than chance.

    The posterior draws are a subset of the prior's, so a test of one against the other would compare a sample with
    itself in part and its p-value would not hold. The test is of the accepted draws against the rejected ones,
    two independent samples whose distributions are equal exactly when the posterior equals the prior:
    ``ks_pvalue`` is the two-sample KS p-value of accepted against rejected, and ``ks_qvalue`` the same adjusted
    for testing every input at once (Benjamini-Hochberg false discovery rate).
    """
    rows = []
    for name in inputs.columns:
        prior = inputs[name].to_numpy(dtype=float)
        post, rejected = prior[accepted], prior[~accepted]
        p = np.quantile(prior, QUANTILES)
        row = {"input": name, "prior_p5": p[0], "prior_p50": p[1], "prior_p95": p[2], "prior_mean": prior.mean()}
        if len(post):
            q = np.quantile(post, QUANTILES)
            width = (p[2] - p[0]) or 1.0
            row |= {"post_p5": q[0], "post_p50": q[1], "post_p95": q[2], "post_mean": post.mean(), "width_ratio": (q[2] - q[0]) / width}
            row |= {"ks": stats.ks_2samp(post, prior).statistic, "ks_pvalue": stats.ks_2samp(post, rejected).pvalue if len(rejected) else np.nan}
        else:
            row |= dict.fromkeys(("post_p5", "post_p50", "post_p95", "post_mean", "width_ratio", "ks", "ks_pvalue"), np.nan)
        rows.append(row)
    table = pd.DataFrame(rows).set_index("input")
    tested = table["ks_pvalue"].notna()
    table["ks_qvalue"] = np.nan
    if tested.any():
        table.loc[tested, "ks_qvalue"] = stats.false_discovery_control(table.loc[tested, "ks_pvalue"].to_numpy(), method="bh")
    return table.sort_values("ks", ascending=False)


def calibrate(
    inputs: pd.DataFrame, days: np.ndarray, window: tuple[float, float], min_accepted: int = MIN_ACCEPTED, horizon_days: float = np.inf
) -> Calibration:
    """ABC rejection: keep the replications in ``window``; compare their inputs with all inputs drawn.

    ``horizon_days`` is where the scenario cuts replications off: a target reaching past it cannot be met there,
    so too few accepted draws are then blamed on the target, not on the number of replications."""
    accepted = accept(days, window)
    n_accepted = int(accepted.sum())
    rate = proportion(n_accepted, len(accepted))
    warnings = []
    if n_accepted < min_accepted:
        warnings.append(
            f"only {n_accepted} of {len(accepted)} replications landed in {window[0]:g}-{window[1]:g} days: "
            f"too few to say much about the posterior (want at least {min_accepted}); "
            + (
                f"the target reaches past the horizon of {horizon_days:g} days, where no replication can close: choose a target inside it"
                if window[1] > horizon_days
                else "raise --replications"
            )
        )
    return Calibration(accepted, rate, prior_posterior(inputs, accepted), tuple(warnings))


def informative(table: pd.DataFrame, ks_min: float = 0.1, qvalue_max: float = 0.01) -> pd.DataFrame:
    """The inputs the target constrains: a posterior at least ``ks_min`` from its prior (KS distance) and accepted draws
    that differ from the rejected ones beyond chance (false discovery rate ``qvalue_max`` over all inputs). A table
    written before the accepted-against-rejected test (no ``ks_qvalue``) is read by its distance alone."""
    if "ks_qvalue" not in table.columns:
        return table[table["ks"] >= ks_min]
    return table[(table["ks"] >= ks_min) & (table["ks_qvalue"] <= qvalue_max)]
