"""What to find out first: how much of the uncertainty of the verdict knowing one input exactly would settle.

The verdict is whether the base empties inside the planning window (15-30 days). Over a
Monte Carlo sample, each replication either does (1) or does not (0); before anything
more is known that indicator has variance p(1 - p), p = P(window). If one input were
known exactly, the chance of the window would be g(x) = P(window | input = x), and the
variance left, on average over what the input could turn out to be, would be
E[Var(window | input)]. What knowing the input buys is the *expected value of partial
perfect information* (EVPPI) on the window question, measured as the expected reduction
in that variance:

    EVPPI(input) = Var(window) - E[Var(window | input)] = Var(g(input)),

reported as a share of Var(window): 100% if the input alone decides the verdict, 0% if
it has no bearing on it. (It is the first-order Sobol' index of the window indicator.)
The shares of several inputs need not add up to 100%: what inputs decide only together
belongs to none of them alone.

Estimator: regression-based EVPPI from one Monte Carlo sample (Strong and Oakley 2013;
Strong, Oakley and Brennan 2014). g is estimated by regressing the indicator on the input
with a regressogram: the sample is ordered by the input and cut into blocks of about equal
size (an input with few distinct values, a count of trucks, gets one block per value), and
g is the share in the window within each block (Strong and Oakley's single-parameter
"ordering" method). The variance of block means overstates Var(g) by the sampling noise of
each mean; that noise is removed as in a one-way analysis of variance (Kelley's epsilon
squared), so an input with no bearing gets about 0, above or below. Intervals are 95% bootstrap
intervals over replications, from an explicit seed: the spread of the resampled estimates
around their own centre, placed around the estimate. An input that decides the verdict at a
threshold loses a little of its share (about 1/blocks) to the block that straddles it.

References: M. Strong, J. E. Oakley (2013), "An efficient method for computing
single-parameter partial expected value of perfect information", Medical Decision Making
33(6): 755-766. M. Strong, J. E. Oakley, A. Brennan (2014), "Estimating multiparameter
partial expected value of perfect information from a probabilistic sensitivity analysis
sample: a nonparametric regression approach", Medical Decision Making 34(3): 311-326.
T. L. Kelley (1935), "An unbiased correlation ratio measure", PNAS 21(9): 554-559.

Pure functions over tables: one row per replication, one column per input; nothing here
knows the model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.measure import Measure

BOOTSTRAP = 400
"""Bootstrap resamples of the replications for the intervals."""

CONFIDENCE = 0.95

RESAMPLES_PER_DRAW = 50
"""Resamples drawn at once (memory: this many x replications indices)."""


def default_blocks(n: int) -> int:
    """Blocks of the regressogram for ``n`` replications: about sqrt(n)/2, between 5 and 50 (about 22 blocks of
    90 replications for 2,000). More blocks follow g more closely; fewer give each block mean less noise."""
    return int(min(50, max(5, round(np.sqrt(n) / 2))))


def blocks(values: np.ndarray, count: int) -> np.ndarray:
    """The block (0, 1, ...) of each value: one per distinct value when there are at most ``count`` of them,
    else ``count`` blocks of about equal size in the order of the values, equal values always in one block."""
    values = np.asarray(values, dtype=float)
    distinct = np.unique(values)
    if len(distinct) <= count:
        return np.searchsorted(distinct, values)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, count + 1)[1:-1]))
    return np.unique(np.searchsorted(edges, values, side="right"), return_inverse=True)[1]


def settled_share(block: np.ndarray, outcome: np.ndarray) -> float:
    """Share of the variance of ``outcome`` that knowing the block settles: (Var(E[outcome | block]) estimated
    without the noise of the block means) / Var(outcome); ~0 for a block with no bearing, 1 when it decides all."""
    block = np.asarray(block)
    y = np.asarray(outcome, dtype=float)
    k = int(block.max()) + 1 if len(block) else 1
    counts = np.bincount(block, minlength=k)[None, :]
    sums = np.bincount(block, weights=y, minlength=k)[None, :]
    squares = np.bincount(block, weights=y * y, minlength=k)[None, :]
    return float(_shares(counts, sums, squares)[0])


def _shares(counts: np.ndarray, sums: np.ndarray, squares: np.ndarray) -> np.ndarray:
    """Kelley's epsilon squared, row by row, from the per-block counts, sums and sums of squares of each (re)sample."""
    n = counts.sum(axis=1)
    total = sums.sum(axis=1)
    ss_total = squares.sum(axis=1) - total**2 / n
    with np.errstate(divide="ignore", invalid="ignore"):
        between = np.where(counts > 0, sums**2 / np.where(counts > 0, counts, 1), 0.0).sum(axis=1) - total**2 / n
        groups = (counts > 0).sum(axis=1)
        within_mean_square = (ss_total - between) / np.maximum(n - groups, 1)
        share = (between - (groups - 1) * within_mean_square) / ss_total
    return np.where(ss_total > 0, share, 0.0)


def evppi_table(
    inputs: pd.DataFrame,
    outcome: np.ndarray,
    seed: int,
    bootstrap: int = BOOTSTRAP,
    block_count: int | None = None,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Per input (a column of ``inputs``, one row per replication): the share of the variance of ``outcome`` (the
    in-window indicator, 1 or 0) that knowing the input exactly would settle, and its bootstrap interval.

    Returns a table indexed by input, largest share first: ``evppi``, ``evppi_low``, ``evppi_high`` (shares, 0 to 1;
    the estimate may fall a little below 0 when the input has no bearing) and ``blocks`` (blocks of the regressogram).
    The same resamples of the replications are used for every input, drawn from ``numpy.random.SeedSequence(seed)``.
    """
    y = np.asarray(outcome, dtype=float)
    n = len(y)
    if n != len(inputs):
        raise ValueError(f"{len(inputs)} rows of inputs but {n} outcomes: give one outcome per replication")
    if n < 20:
        raise ValueError(f"only {n} replications: too few to estimate how much any input settles (want hundreds)")
    count = block_count or default_blocks(n)
    coded = {name: blocks(inputs[name].to_numpy(dtype=float), count) for name in inputs.columns}
    draws: dict[str, list[np.ndarray]] = {name: [] for name in inputs.columns}
    streams = np.random.SeedSequence(seed).spawn(-(-bootstrap // RESAMPLES_PER_DRAW))
    for i, stream in enumerate(streams):
        size = min(RESAMPLES_PER_DRAW, bootstrap - i * RESAMPLES_PER_DRAW)
        rows = np.random.default_rng(stream).integers(0, n, size=(size, n))
        for name, block in coded.items():
            draws[name].append(_resampled_shares(block, y, rows))
    alpha = 1 - confidence
    table = []
    for name, block in coded.items():
        estimate = settled_share(block, y)
        # A resample's blocks differ by the noise of the sample itself as well as its own, so the resamples centre
        # above the estimate; their spread around their own centre is what the interval takes from them.
        resampled = np.concatenate(draws[name])
        low, high = estimate + np.quantile(resampled - resampled.mean(), [alpha / 2, 1 - alpha / 2])
        table.append({"input": name, "evppi": estimate, "evppi_low": low, "evppi_high": min(high, 1.0), "blocks": int(block.max()) + 1})
    frame = pd.DataFrame(table).set_index("input")
    return frame.sort_values("evppi", ascending=False, kind="stable")


def joint_evppi(inputs: pd.DataFrame, outcome: np.ndarray, seed: int, bootstrap: int = BOOTSTRAP, confidence: float = CONFIDENCE) -> dict[str, float]:
    """The share of the variance of ``outcome`` that knowing *all* the columns of ``inputs`` together would settle
    (multi-parameter EVPPI, Strong, Oakley and Brennan 2014), with its bootstrap interval: ``evppi``, ``evppi_low``,
    ``evppi_high`` (shares, 0 to 1) and ``cells``.

    The regressogram is over cells: each input cut into blocks as in :func:`evppi_table` (half as many, so that the
    cells keep some replications each), a cell per combination. What inputs decide only together (a load per
    transporter) counts here and in none of their single shares; coarse cells lose a little of it, as single blocks do.
    """
    y = np.asarray(outcome, dtype=float)
    count = max(3, default_blocks(len(y)) // 2)
    cell = np.zeros(len(y), dtype=np.int64)
    for name in inputs.columns:
        block = blocks(inputs[name].to_numpy(dtype=float), count)
        cell = cell * (int(block.max()) + 1) + block
    cell = np.unique(cell, return_inverse=True)[1]
    table = evppi_table(pd.DataFrame({"joint": cell}), y, seed, bootstrap, block_count=int(cell.max()) + 1, confidence=confidence)
    row = table.loc["joint"]
    return {"evppi": float(row["evppi"]), "evppi_low": float(row["evppi_low"]), "evppi_high": float(row["evppi_high"]), "cells": int(row["blocks"])}


def _resampled_shares(block: np.ndarray, y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """:func:`settled_share` on each resample (a row of ``rows``: replication indices), with the blocks fixed."""
    k = int(block.max()) + 1
    size = rows.shape[0]
    codes = (block[rows] + k * np.arange(size)[:, None]).ravel()
    values = y[rows].ravel()
    counts = np.bincount(codes, minlength=k * size).reshape(size, k)
    sums = np.bincount(codes, weights=values, minlength=k * size).reshape(size, k)
    squares = np.bincount(codes, weights=values * values, minlength=k * size).reshape(size, k)
    return _shares(counts, sums, squares)


def in_window(days: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    """1 for a replication whose base empties inside the window (ends included), else 0; a replication cut off at
    the horizon (``inf`` days) is later than the window."""
    days = np.asarray(days, dtype=float)
    return ((days >= window[0]) & (days <= window[1])).astype(float)


def evidence_table(evppi: pd.DataFrame, swings: pd.DataFrame, kinds: dict[str, str], labels: dict[str, str], measure: Measure | None = None) -> pd.DataFrame:
    """What to find out first: per uncertain input, its planner's name, the kind of its source, its tornado swing
    and its EVPPI, ranked by EVPPI.

    ``evppi`` is :func:`evppi_table`; ``swings`` is the tornado table (``mean_days.swing`` in days and ``p_window.swing``
    as a share, indexed by input). Columns of the result: ``input`` (dotted path), ``label``, ``source_kind``,
    ``swing_days`` (mean days to base empty with the input at its P95 minus at its P5), ``p_window_swing_points``
    (the same for P(window), percentage points), ``evppi``, ``evppi_low``, ``evppi_high`` (share of the uncertainty of
    the verdict that knowing the input settles, percent), and, when the tornado has them, ``swing_days_low`` and
    ``swing_days_high`` (the swing's paired 95% interval, days); ``p_by_day_swing_points`` when the tornado has it
    (P(out by day D), percentage points). EVPPI is of ``measure`` (default: the in-window indicator); ties break on the
    measure's swing.
    """
    table = pd.DataFrame({"input": evppi.index})
    table["label"] = [labels.get(name, name) for name in table["input"]]
    table["source_kind"] = [kinds.get(name, "unsourced") for name in table["input"]]
    swing = swings.reindex(table["input"])
    table["swing_days"] = swing["mean_days.swing"].to_numpy(dtype=float)
    table["p_window_swing_points"] = 100 * swing["p_window.swing"].to_numpy(dtype=float)
    if "p_by_day.swing" in swing.columns:
        table["p_by_day_swing_points"] = 100 * swing["p_by_day.swing"].to_numpy(dtype=float)
    if "mean_days.swing_ci_low" in swing.columns:  # the tornado's paired 95% interval of the swing
        table["swing_days_low"] = swing["mean_days.swing_ci_low"].to_numpy(dtype=float)
        table["swing_days_high"] = swing["mean_days.swing_ci_high"].to_numpy(dtype=float)
    for column in ("evppi", "evppi_low", "evppi_high"):
        table[column] = 100 * evppi[column].to_numpy(dtype=float)
    tie = {"out-by-day": "p_by_day_swing_points", "window": "p_window_swing_points"}.get(measure.kind if measure else "days", "swing_days")
    tie = tie if tie in table.columns else "swing_days"
    return table.sort_values(["evppi", tie], ascending=[False, False], key=lambda c: c.abs() if c.name == tie else c, ignore_index=True)


GUESSES = ("assumption", "unsourced")
"""Kinds of source that are guesses: the inputs worth finding out about first, if they settle much."""


def in_words(row) -> str:
    """One input of an evidence table in a planner's words, e.g. ``heavy loads: knowing it would settle 25% (18-33%)
    of the uncertainty; swing +21.2 days; evidence: assumption``."""
    settles = f"{max(row.evppi, 0):.0f}% ({max(row.evppi_low, 0):.0f}-{max(row.evppi_high, 0):.0f}%)"
    return f"{row.label}: knowing it would settle {settles} of the uncertainty; swing {row.swing_days:+.1f} days; evidence: {row.source_kind}"


def findings(
    table: pd.DataFrame,
    window: tuple[float, float],
    p_window: float,
    replications: int,
    joint: dict | None = None,
    top: int = 5,
    measure: Measure | None = None,
    sample: dict | None = None,
) -> list[str]:
    """The findings of an evidence table in sentences: what the sample says (with ``measure`` and ``sample``, its mean
    days and P(out by day D) first, the seed's window as a check; else the chance of the window), the inputs that settle
    most in words, what the first two settle together (``joint``: ``labels`` and ``evppi``, ``evppi_low``,
    ``evppi_high`` in percent), and last what to find out first (the guesses whose interval is clearly above 1%).
    ``sample["moves"]``: the draws in which the measured base has to move, of which its figures are (all by default)."""
    if measure is not None and sample is not None:
        moves = int(sample.get("moves", replications))
        of_those = ""
        if moves < replications:  # a named base that moves in only some draws: every figure is of those, as run says
            who = measure.who
            of_those = f"; {who} has to move in {moves} of them ({100 * moves / replications:.0f}%), and these figures are of those {moves}"
        lines = [
            f"{replications} draws from the scenario's distributions{of_those}: mean {sample['mean_days']:.1f} {measure.days_words}; "
            f"{measure.by_day_words} {100 * sample['p_by_day']:.0f}%; inside the seed's {window[0]:g}-{window[1]:g}-day window "
            f"{100 * p_window:.0f}%. Knowing an input settles a share of the uncertainty of {measure.words}."
        ]
    else:
        lines = [
            f"{replications} draws from the scenario's distributions: the base empties in {window[0]:g}-{window[1]:g} days in {100 * p_window:.0f}% of them."
        ]
    lines += [in_words(row) + "." for row in table.head(top).itertuples()]
    if joint:
        first, second = joint["labels"]
        together = f"{max(joint['evppi'], 0):.0f}% ({max(joint['evppi_low'], 0):.0f}-{max(joint['evppi_high'], 0):.0f}%)"
        alone = table["evppi"].head(2).clip(lower=0)
        apart = ""
        if joint["evppi_low"] > alone.sum():
            apart = f": more than the {alone.iloc[0]:.0f}% and {alone.iloc[1]:.0f}% they settle alone, as they decide together"
        lines.append(f"Knowing {first} and {second} together would settle {together}{apart}.")
    guesses = table[table["source_kind"].isin(GUESSES) & (table["evppi_low"] > 1)]
    if len(guesses):
        named = "; ".join(f"{r.label} ({r.source_kind}, settles {r.evppi:.0f}%)" for r in guesses.head(3).itertuples())
        lines.append(f"Find out first: {named}.")
    else:
        lines.append("No assumption or unsourced input clearly settles more than 1% of the uncertainty of the verdict.")
    return lines
