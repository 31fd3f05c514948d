"""Sensitivity estimators: which inputs move an output, for any function of a few factors.

Pure and model-agnostic: a *function* maps an array of shape (n, k) of factor values
to an array of shape (n,) of outputs, and *bounds* maps each factor name to its
(low, high) range, in column order. Sampling and estimation are SALib's
(Saltelli/Sobol' and Morris elementary effects); this module only frames them as
tables and says when a sample is too small to trust. Each method also comes as a
``*_design`` / ``*_analyze`` pair so the caller can evaluate the design points
elsewhere (a process pool, a cluster, a resumed run) in between.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze_
from SALib.analyze import sobol as sobol_analyze_
from SALib.sample import morris as morris_sample_
from SALib.sample import sobol as sobol_sample_

from sim.names import label

Bounds = Mapping[str, tuple[float, float]]
Function = Callable[[np.ndarray], np.ndarray]

MORRIS_LEVELS = 4
RESAMPLES = 200
CONFIDENCE = 0.95


def problem(bounds: Bounds) -> dict:
    """The SALib problem description of ``bounds`` (factor names in column order)."""
    if not bounds:
        raise ValueError("no factors: give at least one factor with its (low, high) bounds")
    for name, (low, high) in bounds.items():
        if not high > low:
            raise ValueError(f"factor {name}: high ({high}) must be above low ({low})")
    return {"num_vars": len(bounds), "names": list(bounds), "bounds": [[float(lo), float(hi)] for lo, hi in bounds.values()]}


def _evaluate(func: Function, x: np.ndarray) -> np.ndarray:
    y = np.asarray(func(x), dtype=float).reshape(-1)
    if y.shape[0] != x.shape[0]:
        raise ValueError(f"the function returned {y.shape[0]} outputs for {x.shape[0]} points")
    return y


def sobol_design(bounds: Bounds, n: int, seed: int) -> np.ndarray:
    """Saltelli's extension of a scrambled Sobol' sequence: ``n * (k + 2)`` points (``n`` a power of 2 is best)."""
    with warnings.catch_warnings():
        # SALib warns when n is not a power of 2; the caller is told through sample_warnings instead.
        warnings.simplefilter("ignore", UserWarning)
        return sobol_sample_.sample(problem(bounds), int(n), calc_second_order=False, scramble=True, seed=seed)


def _every_output(y: np.ndarray) -> None:
    """An output missing at a point (NaN) would read as no effect (Sobol') or spoil every index (Morris): refused."""
    if np.isnan(y).any():
        raise ValueError(f"{int(np.isnan(y).sum())} of the {len(y)} outputs have no value (NaN): every design point needs one")


def sobol_analyze(bounds: Bounds, y: np.ndarray, seed: int, resamples: int = RESAMPLES) -> pd.DataFrame:
    """First-order and total Sobol' indices of outputs ``y`` on :func:`sobol_design`, with bootstrap CIs."""
    y = np.asarray(y, dtype=float)
    _every_output(y)
    if np.allclose(y, y[0]):
        names = list(bounds)
        zeros = np.zeros(len(names))
        return pd.DataFrame({"S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}, index=pd.Index(names, name="factor"))
    with np.errstate(divide="ignore", invalid="ignore"):
        si = sobol_analyze_.analyze(problem(bounds), y, calc_second_order=False, num_resamples=resamples, conf_level=CONFIDENCE, seed=seed)
    table = pd.DataFrame({key: si[key] for key in ("S1", "S1_conf", "ST", "ST_conf")}, index=pd.Index(list(bounds), name="factor"))
    return table


def sobol(func: Function, bounds: Bounds, n: int, seed: int) -> pd.DataFrame:
    """Sobol' indices of ``func`` over the box ``bounds`` (uniform factors), from ``n * (k + 2)`` evaluations.

    Returns a table indexed by factor: ``S1`` (share of the output variance due to the
    factor alone), ``ST`` (due to it with all its interactions), and the half-widths of
    their 95% bootstrap intervals ``S1_conf``, ``ST_conf``.
    """
    x = sobol_design(bounds, n, seed)
    return sobol_analyze(bounds, _evaluate(func, x), seed)


def morris_design(bounds: Bounds, trajectories: int, seed: int, levels: int = MORRIS_LEVELS) -> np.ndarray:
    """Morris one-at-a-time trajectories: ``trajectories * (k + 1)`` points on a grid of ``levels``."""
    return morris_sample_.sample(problem(bounds), int(trajectories), num_levels=levels, seed=seed)


def morris_analyze(bounds: Bounds, x: np.ndarray, y: np.ndarray, seed: int, levels: int = MORRIS_LEVELS) -> pd.DataFrame:
    """Elementary effects of outputs ``y`` on :func:`morris_design` points ``x``."""
    _every_output(np.asarray(y, dtype=float))
    si = morris_analyze_.analyze(
        problem(bounds), np.asarray(x, float), np.asarray(y, float), num_resamples=RESAMPLES, conf_level=CONFIDENCE, num_levels=levels, seed=seed
    )
    table = pd.DataFrame({key: np.asarray(si[key], float) for key in ("mu_star", "mu_star_conf", "sigma", "mu")}, index=pd.Index(list(bounds), name="factor"))
    return table


def morris(func: Function, bounds: Bounds, trajectories: int, seed: int) -> pd.DataFrame:
    """Morris screening of ``func`` over ``bounds``: ``trajectories * (k + 1)`` evaluations.

    Returns a table indexed by factor: ``mu_star`` (mean absolute elementary effect, in
    output units per factor range: how much it matters), ``mu_star_conf`` (half-width of
    its 95% bootstrap interval), ``sigma`` (spread of the effects: interactions or
    non-linearity) and ``mu`` (signed mean effect).
    """
    x = morris_design(bounds, trajectories, seed)
    return morris_analyze(bounds, x, _evaluate(func, x), seed)


def inputs_words(paths, first: int = 4) -> str:
    """Inputs named as planners do (:func:`sim.names.label`): all of a short list (``contracted trucks, escort
    teams``), else the count and the first few (``43 inputs, among them contracted trucks, ... and 39 more``)."""
    names = [label(p) for p in paths]
    if len(names) <= first + 1:
        return ", ".join(names)
    return f"{len(names)} inputs, among them {', '.join(names[:first])} and {len(names) - first} more"


def sobol_warnings(table: pd.DataFrame, n: int | None = None) -> list[str]:
    """Plain-language reasons not to trust a Sobol' table: negative indices, intervals wider than the indices."""
    out = []
    if n is not None and (n & (n - 1)):
        out.append(f"the base sample n={n} is not a power of 2; Sobol' sequences balance best at powers of 2")
    negative = table.index[(table["S1"] < -table["S1_conf"].clip(lower=0.01)) | (table["ST"] < -0.01)]
    if len(negative):
        out.append(f"negative indices for {inputs_words(negative)}: the sample is too small or the output too noisy; raise --base-samples or --replications")
    wide = table.index[
        ((table["ST_conf"] > table["ST"].abs()) & (table["ST"].abs() > 0.01)) | ((table["S1_conf"] > table["S1"].abs()) & (table["S1_conf"] > 0.05))
    ]
    if len(wide):
        out.append(f"confidence intervals wider than the indices for {inputs_words(wide)}: rank these only roughly; raise --base-samples")
    if table["S1"].clip(lower=0).sum() > 1.1:
        out.append(f"first-order indices add up to {table['S1'].clip(lower=0).sum():.2f}, more than 1: the estimate has not converged; raise --base-samples")
    if (table["S1"] > table["ST"] + table["ST_conf"] + table["S1_conf"]).any():
        out.append("some first-order indices exceed their total index beyond the intervals: the estimate has not converged; raise --base-samples")
    return out


def morris_warnings(table: pd.DataFrame) -> list[str]:
    """Reasons not to trust a Morris table: intervals on mu* as wide as mu* itself."""
    top = table["mu_star"].max()
    wide = table.index[(table["mu_star_conf"] > table["mu_star"]) & (table["mu_star"] > 0.05 * top)]
    if len(wide):
        return [f"intervals on μ* (mean absolute effect) wider than μ* itself for {inputs_words(wide)}: too few trajectories; raise --trajectories"]
    return []


def tornado_design(bounds: Bounds, medians: Mapping[str, float]) -> pd.DataFrame:
    """One factor at a time: the all-medians point, then each factor at its low and its high, the rest at their medians.

    Rows: ``factor`` (empty for the base point), ``level`` (``base``, ``low``, ``high``) and one column per factor.
    """
    base = {name: float(medians[name]) for name in bounds}
    rows = [{"factor": "", "level": "base", **base}]
    for name, (low, high) in bounds.items():
        rows.append({"factor": name, "level": "low", **base, name: float(low)})
        rows.append({"factor": name, "level": "high", **base, name: float(high)})
    return pd.DataFrame(rows)


def tornado_effects(design: pd.DataFrame, outputs: pd.DataFrame) -> pd.DataFrame:
    """Swing of each output between a factor's low and high, ranked by the first output's swing.

    ``outputs`` is aligned with ``design`` (one row per design point, one column per
    output, e.g. ``mean_days`` and ``p_window``). For each factor and output the table
    has ``<output>.low``, ``<output>.high``, ``<output>.base`` and ``<output>.swing``
    (high minus low).
    """
    frame = pd.concat([design[["factor", "level"]].reset_index(drop=True), outputs.reset_index(drop=True)], axis=1)
    base = frame[frame["level"] == "base"].iloc[0]
    rows = []
    for name, group in frame[frame["level"] != "base"].groupby("factor", sort=False):
        low = group[group["level"] == "low"].iloc[0]
        high = group[group["level"] == "high"].iloc[0]
        row: dict[str, object] = {"factor": name}
        for col in outputs.columns:
            row[f"{col}.low"], row[f"{col}.high"], row[f"{col}.base"] = low[col], high[col], base[col]
            row[f"{col}.swing"] = high[col] - low[col]
        rows.append(row)
    table = pd.DataFrame(rows).set_index("factor")
    first = f"{outputs.columns[0]}.swing"
    return table.reindex(table[first].abs().sort_values(ascending=False).index)
