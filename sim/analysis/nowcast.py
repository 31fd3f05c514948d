"""Nowcasting: the closure forecast conditioned on what has been observed so far.

Method: **likelihood weighting** of Monte Carlo replications (importance sampling with
the scenario as the proposal, a.k.a. ABC with a soft kernel). Every replication of the
scenario is a draw from the prior; each observation scores it by how well its trajectory
matches the report, and the posterior is the same replications reweighted:

    log w_i = sum_k log K_k(y_ik),  K_k(y) = exp(-d_k(y)^2 / 2),
    d_k(y) = max(low_k - y, 0, y - high_k) / tolerance_k

where ``y_ik`` is what replication ``i`` shows for observation ``k`` (vehicles gone by a
day, share of cargo out, ...). A report of ``value +- tolerance`` is a Gaussian kernel (the
tolerance is one standard deviation of the reporting error); a range ``low``-``high``
("30-50%") is flat inside and falls off as a Gaussian outside (a soft uniform kernel).

Why weighting rather than rejection: news reports are few and vague, and replications
are costly. Rejection keeps only replications inside every tolerance and throws away
most of the sample as observations accumulate; weighting keeps every replication, uses
the tolerance as what it is (a reporting error), and its reliability is measured by the
Kish effective sample size ``ESS = (sum w)^2 / sum w^2``. Rejection is the special case
of a hard uniform kernel. The limit of both: reweighting cannot create trajectories the
scenario never produces. When the ESS collapses, or no replication comes within three
tolerances of a report, the observations are inconsistent with the scenario and the
nowcast says so rather than trusting a handful of replications.

Pure functions over arrays: nothing here knows the SimPy model.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.names import day_date_words

KINDS = ("vehicles_left", "convoy_crossed", "share_out", "inflow", "pause", "crossing_closed")
FAR_TOLERANCES = 3.0
"""An observation no replication comes within this many tolerances of is inconsistent with the scenario."""
MIN_ESS = 30.0
"""Fewer effective replications than this and the posterior is not to be trusted."""
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class Trajectories:
    """What each replication did, day by day: the part of its story that reports can be matched with.

    Day ``d`` is hours ``[24 d, 24 d + 24)`` from the start (2026-02-23 00:00 local).
    Arrays have one row per replication; ``cargo_at_base`` has one more column than the
    daily counts (the state at 00:00 of each day, the last column the end of the horizon).
    """

    replication: np.ndarray  # (N,) replication index
    days_to_base_empty: np.ndarray  # (N,) days
    days_to_force_closure: np.ndarray  # (N,) days
    vehicles_departed: np.ndarray  # (N, D) vehicles leaving the base by convoy during day d
    convoys_departed: np.ndarray  # (N, D) convoys leaving during day d
    vehicles_crossed: np.ndarray  # (N, D) vehicles crossing into Iraq during day d
    convoys_crossed: np.ndarray  # (N, D) convoys crossing during day d
    vehicles_crossed_alternate: np.ndarray  # (N, D) of those, vehicles that crossed at the alternate crossing
    convoys_crossed_alternate: np.ndarray  # (N, D) of those, convoys that crossed at the alternate crossing
    cargo_at_base: np.ndarray  # (N, D + 1) truckloads at the base at 00:00 of day d
    inflow_loads: np.ndarray  # (N,) truckloads of reinforcements that flowed in
    inflow_day: np.ndarray  # (N,) day the inflow arrived, -1 if none

    def __len__(self) -> int:
        return len(self.replication)

    @property
    def days(self) -> int:
        return self.vehicles_departed.shape[1]

    @staticmethod
    def concatenate(parts: list[Trajectories]) -> Trajectories:
        """Batches (in index order) joined into one sample."""
        names = Trajectories.__dataclass_fields__
        return Trajectories(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})


@dataclass(frozen=True)
class Measurement:
    """One observation reduced to numbers: which trajectory quantity, which days, the observed range and its tolerance."""

    kind: str
    day: int  # calendar day of the report (0 = start day)
    low: float
    high: float
    tolerance: float  # one standard deviation outside [low, high], in the quantity's unit
    until_day: int | None = None  # last day of an interval (pause, crossing_closed)
    crossing: str | None = None  # "main" or "alternate" when the report names the crossing; None for both
    days_tolerance: float = 0.0  # one standard deviation of the inflow day, in days
    label: str = ""

    @property
    def known_on(self) -> int:
        """The day the observation is complete (the end of an interval)."""
        return self.day if self.until_day is None else self.until_day


def simulated(traj: Trajectories, m: Measurement) -> np.ndarray:
    """What each replication shows for observation ``m`` (one number per replication)."""
    last = traj.days - 1
    day = min(max(m.day, 0), last)
    until = min(max(m.known_on, day), last)
    if m.kind == "vehicles_left":
        return traj.vehicles_departed[:, : day + 1].sum(axis=1).astype(float)
    if m.kind == "convoy_crossed":
        return _at_crossing(traj.vehicles_crossed, traj.vehicles_crossed_alternate, m.crossing)[:, day].astype(float)
    if m.kind == "share_out":
        start = traj.cargo_at_base[:, 0].astype(float)
        left = traj.cargo_at_base[:, day + 1].astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(start > 0, 1.0 - left / start, 1.0)
        return np.clip(share, 0.0, 1.0)
    if m.kind == "inflow":
        return traj.inflow_loads.astype(float)
    if m.kind == "pause":
        return traj.convoys_departed[:, day : until + 1].sum(axis=1).astype(float)
    if m.kind == "crossing_closed":
        return _at_crossing(traj.convoys_crossed, traj.convoys_crossed_alternate, m.crossing)[:, day : until + 1].sum(axis=1).astype(float)
    raise ValueError(f"unknown observation kind {m.kind!r}; use one of {', '.join(KINDS)}")


def _at_crossing(total: np.ndarray, alternate: np.ndarray, crossing: str | None) -> np.ndarray:
    """Crossings counted at the main crossing, the alternate, or both (``None``)."""
    if crossing == "alternate":
        return alternate
    if crossing == "main":
        return total - alternate
    return total


def distance(values: np.ndarray, low: float, high: float, tolerance: float) -> np.ndarray:
    """How many tolerances each value lies outside ``[low, high]`` (0 inside)."""
    values = np.asarray(values, dtype=float)
    return np.maximum.reduce([low - values, np.zeros_like(values), values - high]) / tolerance


def log_likelihood(traj: Trajectories, m: Measurement) -> np.ndarray:
    """Log kernel of each replication for one observation (0 for a perfect match)."""
    out = -0.5 * distance(simulated(traj, m), m.low, m.high, m.tolerance) ** 2
    if m.kind == "inflow" and m.days_tolerance > 0:
        arrived = traj.inflow_day >= 0
        late = np.where(arrived, (traj.inflow_day - m.day) / m.days_tolerance, 0.0)
        out = out - 0.5 * late**2
    return out


def log_likelihoods(traj: Trajectories, measurements: list[Measurement]) -> np.ndarray:
    """(replications x observations) log kernels."""
    if not measurements:
        return np.zeros((len(traj), 0))
    return np.column_stack([log_likelihood(traj, m) for m in measurements])


def normalised_weights(log_weights: np.ndarray) -> np.ndarray:
    """Weights summing to 1 from log weights (log-sum-exp, so tiny likelihoods do not underflow)."""
    log_weights = np.asarray(log_weights, dtype=float)
    if log_weights.size == 0:
        return log_weights
    top = np.max(log_weights)
    if not np.isfinite(top):
        return np.full(log_weights.shape, 1.0 / log_weights.size)
    w = np.exp(log_weights - top)
    return w / w.sum()


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size, ``(sum w)^2 / sum w^2``: N for equal weights, 1 when one replication takes all."""
    w = np.asarray(weights, dtype=float)
    total = w.sum()
    return float(total**2 / np.square(w).sum()) if total > 0 else 0.0


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs: tuple[float, ...] = QUANTILES) -> list[float]:
    """Quantiles of the weighted sample: the smallest value whose weighted share at or below it reaches q."""
    values = np.asarray(values, dtype=float)
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(np.asarray(weights, dtype=float)[order])
    cum /= cum[-1]
    idx = np.searchsorted(cum, np.asarray(qs) - 1e-12, side="left")
    return [float(values[order][min(i, len(values) - 1)]) for i in idx]


def wilson(p: float, n: float, z: float = 1.959964) -> tuple[float, float]:
    """95% Wilson interval of a proportion ``p`` estimated from ``n`` (possibly effective, non-integer) replications."""
    if n <= 0:
        return 0.0, 1.0
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def describe(days: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    """Weighted mean and P10/P50/P90 of durations in days; with equal weights (the prior) the P10/P50/P90 are those
    `evacsim run` gives on the same replications (linear interpolation between order statistics)."""
    w = np.asarray(weights, dtype=float)
    if len(w) and np.all(w == w[0]):
        p10, p50, p90 = (float(x) for x in np.percentile(np.asarray(days, dtype=float), [10, 50, 90]))
    else:
        p10, p50, p90 = weighted_quantiles(days, weights)
    return {"mean": float(np.dot(days, weights) / weights.sum()), "p10": p10, "p50": p50, "p90": p90}


def window_probabilities(days: np.ndarray, weights: np.ndarray, window: tuple[float, float]) -> dict[str, dict[str, float]]:
    """P(< low), P(low-high), P(> high) and P(out by day high) under the weights, with Wilson intervals on the
    effective sample size."""
    low, high = window
    w = np.asarray(weights, dtype=float) / np.sum(weights)
    n = effective_sample_size(w)
    masks = {
        f"p_under_{low:g}": days < low,
        f"p_{low:g}_to_{high:g}": (days >= low) & (days <= high),
        f"p_over_{high:g}": days > high,
        f"p_by_{high:g}": days <= high,
    }
    out = {}
    for key, mask in masks.items():
        p = float(w[mask].sum())
        ci = wilson(p, n)
        out[key] = {"estimate": p, "ci_low": ci[0], "ci_high": ci[1]}
    return out


def forecast(traj: Trajectories, weights: np.ndarray, window: tuple[float, float]) -> dict:
    """Days to base empty and to force closure (mean, P10/P50/P90) and the window probabilities, under ``weights``."""
    return {
        "effective_sample_size": effective_sample_size(weights),
        "days_to_base_empty": describe(traj.days_to_base_empty, weights),
        "days_to_force_closure": describe(traj.days_to_force_closure, weights),
        "base_empty": window_probabilities(traj.days_to_base_empty, weights, window),
        "force_closure": window_probabilities(traj.days_to_force_closure, weights, window),
    }


@dataclass(frozen=True)
class Check:
    """How one observation sits with the scenario: where the replications are, how close the nearest comes."""

    label: str
    simulated_p10: float
    simulated_p50: float
    simulated_p90: float
    closest_tolerances: float  # distance of the best-matching replication, in tolerances
    share_within: float  # share of replications within one tolerance (of the range)

    @property
    def consistent(self) -> bool:
        return self.closest_tolerances <= FAR_TOLERANCES


def check(traj: Trajectories, m: Measurement) -> Check:
    values = simulated(traj, m)
    d = distance(values, m.low, m.high, m.tolerance)
    p10, p50, p90 = (float(x) for x in np.percentile(values, [10, 50, 90]))
    return Check(m.label, p10, p50, p90, float(d.min()), float((d <= 1.0).mean()))


@dataclass(frozen=True)
class Step:
    """The forecast once every observation known by day ``day`` is in (``day`` -1: the prior)."""

    day: int
    labels: tuple[str, ...]
    forecast: dict


@dataclass(frozen=True)
class Effect:
    """How much one report moved the forecast: the forecast given every other report (``without``) against the one
    given them all (``with_``), both as :func:`forecast` dicts. For the first report alone, ``without`` is the prior."""

    label: str
    kind: str
    without: dict
    with_: dict


def report_effects(traj: Trajectories, loglik: np.ndarray, measurements: list[Measurement], window: tuple[float, float]) -> list[Effect]:
    """Each report's own effect on the forecast: every report in, against every report but that one."""
    total = loglik.sum(axis=1)
    everything = forecast(traj, normalised_weights(total), window)
    return [Effect(m.label, m.kind, forecast(traj, normalised_weights(total - loglik[:, k]), window), everything) for k, m in enumerate(measurements)]


@dataclass(frozen=True)
class Nowcast:
    """Prior and posterior forecasts, the weights behind them, and whether the observations fit the scenario."""

    prior: dict
    posterior: dict
    weights: np.ndarray
    log_likelihoods: np.ndarray
    checks: list[Check]
    steps: list[Step]
    warnings: list[str] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    """What each report changed: :func:`report_effects`."""

    @property
    def effective_sample_size(self) -> float:
        return self.posterior["effective_sample_size"]


def narrowing(traj: Trajectories, loglik: np.ndarray, measurements: list[Measurement], window: tuple[float, float]) -> list[Step]:
    """The forecast as the observations arrive: the prior, then one step per day on which reports became known."""
    n = len(traj)
    steps = [Step(-1, (), forecast(traj, np.full(n, 1.0 / n), window))]
    for day in sorted({m.known_on for m in measurements}):
        known = [k for k, m in enumerate(measurements) if m.known_on <= day]
        w = normalised_weights(loglik[:, known].sum(axis=1))
        labels = tuple(measurements[k].label for k in known if measurements[k].known_on == day)
        steps.append(Step(day, labels, forecast(traj, w, window)))
    return steps


def consistency_warnings(checks: list[Check], ess: float, replications: int, min_ess: float = MIN_ESS) -> list[str]:
    """Plain-language warnings when the observations do not fit the scenario."""
    out = []
    for c in checks:
        if not c.consistent:
            out.append(
                f"inconsistent observation: {c.label}: no replication comes within {FAR_TOLERANCES:g} tolerances "
                f"(closest {c.closest_tolerances:.1f}; replications show P10-P90 {c.simulated_p10:.3g}-{c.simulated_p90:.3g}); "
                "the scenario cannot reproduce it: revise the scenario or the observation"
            )
    if ess < min_ess:
        out.append(
            f"effective sample size {ess:.1f} of {replications} replications is below {min_ess:g}: the observations are "
            "inconsistent with the scenario (or too many replications are needed); do not trust the posterior, "
            "revise the scenario or run more replications"
        )
    return out


def nowcast(traj: Trajectories, measurements: list[Measurement], window: tuple[float, float], min_ess: float = MIN_ESS) -> Nowcast:
    """Condition the forecast of ``traj`` (prior replications) on ``measurements``."""
    if len(traj) == 0:
        raise ValueError("nowcast needs at least one replication")
    loglik = log_likelihoods(traj, measurements)
    weights = normalised_weights(loglik.sum(axis=1))
    n = len(traj)
    prior = forecast(traj, np.full(n, 1.0 / n), window)
    posterior = forecast(traj, weights, window)
    checks = [check(traj, m) for m in measurements]
    warnings = consistency_warnings(checks, posterior["effective_sample_size"], n, min_ess)
    steps = narrowing(traj, loglik, measurements, window)
    return Nowcast(prior, posterior, weights, loglik, checks, steps, warnings, report_effects(traj, loglik, measurements, window))


def nowcast_base(scenario: Any) -> str | None:
    """Whose closure a nowcast forecasts, when it is not everyone's: on a theatre the main base's title (``Qasrak``:
    the reports are of it, and the nowcast weighs its base-empty day, not the theatre's last out); None on one base."""
    bases = getattr(scenario, "bases", None)
    if not bases:
        return None
    main = scenario.main_base
    return str(getattr(bases[main], "title", None) or main)


def when_words(base: str | None = None) -> str:
    """``date everyone is out`` on one base; ``date Qasrak is empty`` for a theatre's main base (:func:`nowcast_base`)."""
    return "date everyone is out" if base is None else f"date {base} is empty"


def by_words(high: float, base: str | None = None) -> str:
    """``P(out by day 30)`` on one base; ``P(Qasrak empty by day 30)`` for a theatre's main base."""
    return f"P(out by day {high:g})" if base is None else f"P({base} empty by day {high:g})"


def answer_sentence(prior: dict, posterior: dict, high: float, start: dt.date | None = None, base: str | None = None) -> str:
    """The nowcast's answer, as the console and the report both give it: the date everyone is out (base empty P50) and
    P(out by day ``high``, the window's end), from the scenario alone and given all the reports (``prior`` and
    ``posterior`` as :func:`forecast` returns them, or as ``nowcast.json`` holds them); on a theatre, of its main base
    ``base`` (its title), whose reports they are."""
    return (
        f"All the reports together: {when_words(base)} (P50) {when_out(prior, start)} -> {when_out(posterior, start)}, "
        f"{by_words(high, base)} {chance_out(prior, high)} -> {chance_out(posterior, high)} (prior -> posterior)."
    )


def when_out(f: dict, start: dt.date | None = None) -> str:
    """The date everyone is out of a forecast (as :func:`forecast` returns it): "day 15.2 (10 Mar 2026)" (no date without ``start``)."""
    p50 = f["days_to_base_empty"]["p50"]
    date = f" ({day_date_words(start, p50)})" if start is not None else ""
    return f"day {p50:.1f}{date}"


def chance_out(f: dict, high: float) -> str:
    """P(out by day ``high``) of a forecast (as :func:`forecast` returns it), in percent: "91.6%"."""
    return f"{100 * f['base_empty'][f'p_by_{high:g}']['estimate']:.1f}%"


def steps_table(steps: list[Step], window: tuple[float, float]) -> list[dict]:
    """The narrowing as rows (for JSON, the plot and the report): one per step, the prior first.

    ``as_of_day`` is the day after the last report of the step is complete (0 for the prior),
    in days from the start: the forecast an analyst had on the morning of that day. ``p_by_end`` is P(out by the
    window's end), the console's measure; ``p_within`` the seed's window, a check.
    """
    within = f"p_{window[0]:g}_to_{window[1]:g}"
    rows = []
    for s in steps:
        f = s.forecast
        base, force = f["days_to_base_empty"], f["days_to_force_closure"]
        rows.append(
            {
                "as_of_day": s.day + 1,
                "observations": list(s.labels),
                "base_empty_p10": base["p10"],
                "base_empty_p50": base["p50"],
                "base_empty_p90": base["p90"],
                "force_closure_p10": force["p10"],
                "force_closure_p50": force["p50"],
                "force_closure_p90": force["p90"],
                "p_within": f["base_empty"][within]["estimate"],
                "p_by_end": f["base_empty"][f"p_by_{window[1]:g}"]["estimate"],
                "effective_sample_size": f["effective_sample_size"],
            }
        )
    return rows
