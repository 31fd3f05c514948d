"""Scenario discovery: under which conditions does the base empty in the window?

PRIM (the patient rule induction method, Friedman and Fisher 1999) peels the space of
inputs down to a box where the cases of interest are dense. Each step of the peeling
trajectory trades *coverage* (share of all cases of interest inside the box) for
*density* (share of the box's cases that are of interest). The implementation is the
``prim`` package (Project Platypus, the scenario-discovery PRIM also behind the EMA
Workbench); this module frames its results as tables and plain sentences.

Pure functions over tables: one row per replication, one column per input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.statistics import closure_days
from sim.extras import need
from sim.names import label, share, unit_of, value_words

MIN_COVERAGE = 0.5
PEEL_ALPHA = 0.05
MASS_MIN = 0.05

_NUMBER = r"[-+]?\d+(?:\.\d*)?"
_TARGET = re.compile(rf"^\s*(?:({_NUMBER})\s*(<=|<)\s*)?([A-Za-z_][\w.]*)\s*(?:(<=|<|>=|>)\s*({_NUMBER}))?\s*$")
COLUMN_ALIASES = {"days": "days_to_base_empty", "force_days": "days_to_force_closure"}


class TargetError(ValueError):
    """A ``--target`` that cannot be read; the message shows the accepted forms."""


@dataclass(frozen=True)
class Target:
    """Which replications are cases of interest: ``low <= column <= high`` (either end may be open)."""

    column: str
    low: float = -np.inf
    high: float = np.inf
    low_strict: bool = False
    high_strict: bool = False
    text: str = ""
    finished: str | None = None
    """The column saying the end came before the horizon, for a column of days other than the base's own."""

    def cases(self, rows: pd.DataFrame) -> np.ndarray:
        """True for each row inside the target; a replication cut off at the horizon is later than any closure target
        (and one in which the measured base did not have to move is in no target)."""
        if self.finished is not None and self.finished in rows.columns:
            days = rows[self.column].to_numpy(dtype=float)
            done = rows[self.finished].astype(object).where(rows[self.finished].notna(), True).astype(bool).to_numpy()
            x = np.where(done | np.isnan(days), days, np.inf)  # NaN (did not move): in no target, above or below
        elif self.column in ("days_to_base_empty", "days_to_force_closure"):
            x = closure_days(rows, self.column)
        else:
            x = rows[self.column].to_numpy(dtype=float)
        above = x > self.low if self.low_strict else x >= self.low
        below = x < self.high if self.high_strict else x <= self.high
        return above & below


def parse_target(text: str) -> Target:
    """``"15 <= days <= 30"``, ``"days <= 30"``, ``"days > 30"``; ``days`` is days to base empty."""
    match = _TARGET.match(text)
    if not match or (match.group(1) is None and match.group(4) is None):
        raise TargetError(f'cannot read the target "{text}": write e.g. "15 <= days <= 30", "days <= 30" or "days > 30"')
    low_value, low_op, name, op, value = match.groups()
    column = COLUMN_ALIASES.get(name, name)
    target = Target(column, text=text.strip())
    if low_value is not None:
        target = Target(column, float(low_value), np.inf, low_op == "<", False, target.text)
    if op in ("<=", "<"):
        target = Target(column, target.low, float(value), target.low_strict, op == "<", target.text)
    elif op in (">=", ">"):
        if low_value is not None:
            raise TargetError(f'cannot read the target "{text}": a two-sided target reads "15 <= days <= 30"')
        target = Target(column, float(value), np.inf, op == ">", False, target.text)
    return target


def input_columns(rows: pd.DataFrame, factors: list[str] | None = None) -> pd.DataFrame:
    """The varied inputs of a replication table (``input.<path>`` columns, constants dropped), named by path."""
    cols = {c[len("input.") :]: c for c in rows.columns if c.startswith("input.")}
    if factors is not None:
        cols = {p: c for p, c in cols.items() if p in factors}
    x = pd.DataFrame({p: rows[c].astype(float).to_numpy() for p, c in cols.items()})
    return x.loc[:, x.nunique() > 1]


@dataclass(frozen=True)
class Discovery:
    """A PRIM result: the peeling trajectory, the chosen step, and the limits of each step's box."""

    trajectory: pd.DataFrame  # one row per step: coverage, density, mass, res_dim
    chosen: int
    limits: list[pd.DataFrame]  # per step: rows = restricted inputs, columns min, max, data_min, data_max
    base_rate: float
    cases: int
    total: int

    @property
    def box(self) -> pd.DataFrame:
        return self.limits[self.chosen]

    @property
    def stats(self) -> pd.Series:
        return self.trajectory.iloc[self.chosen]


def choose_step(trajectory: pd.DataFrame, min_coverage: float = MIN_COVERAGE) -> int:
    """The densest box that still covers ``min_coverage`` of the cases of interest (ties: the larger box)."""
    eligible = trajectory[trajectory["coverage"] >= min_coverage]
    if eligible.empty:
        return 0
    best = eligible["density"].max()
    return int(eligible.index[np.isclose(eligible["density"], best)][0])


def discover(x: pd.DataFrame, cases: np.ndarray, min_coverage: float = MIN_COVERAGE, peel_alpha: float = PEEL_ALPHA, mass_min: float = MASS_MIN) -> Discovery:
    """Run PRIM on inputs ``x`` (one row per replication) for boolean ``cases``; pick a box on the trade-off."""
    prim = need("discover")  # PRIM, GPL-3.0-or-later: an extra
    cases = np.asarray(cases, dtype=bool)
    if x.shape[1] == 0:
        raise ValueError("no varied inputs to explain the outcome: the results hold no input.* columns that change")
    if cases.all() or not cases.any():
        raise ValueError(f"every replication is {'inside' if cases.all() else 'outside'} the target: there is nothing to discover")
    finder = prim.Prim(x.reset_index(drop=True), cases, peel_alpha=peel_alpha, paste_alpha=peel_alpha, mass_min=mass_min)
    box = finder.find_box()
    trajectory = box.peeling_trajectory.rename(columns={"res dim": "res_dim"}).reset_index(drop=True).astype(float)
    data_low, data_high = x.min().to_numpy(float), x.max().to_numpy(float)
    limits = [_box_at(box, i, x.columns, data_low, data_high) for i in range(len(trajectory))]
    chosen = choose_step(trajectory, min_coverage)
    limits[chosen] = simplify(limits[chosen], x, cases)
    trajectory.loc[chosen, ["coverage", "density", "mass", "res_dim"]] = box_stats(limits[chosen], x, cases)
    if "mean" in trajectory.columns:  # PRIM's mean of the cases in the box is its density: the same after simplifying
        trajectory.loc[chosen, "mean"] = trajectory.loc[chosen, "density"]
    return Discovery(trajectory, chosen, limits, float(cases.mean()), int(cases.sum()), len(cases))


def inside(limits: pd.DataFrame, x: pd.DataFrame) -> np.ndarray:
    """Rows of ``x`` inside a box."""
    mask = np.ones(len(x), bool)
    for name, row in limits.iterrows():
        mask &= (x[name] >= row["min"]).to_numpy() & (x[name] <= row["max"]).to_numpy()
    return mask


def box_stats(limits: pd.DataFrame, x: pd.DataFrame, cases: np.ndarray) -> list[float]:
    """Coverage, density, mass and restricted inputs of a box."""
    mask = inside(limits, x)
    hits = int((cases & mask).sum())
    return [hits / max(1, int(cases.sum())), hits / max(1, int(mask.sum())), float(mask.mean()), float(len(limits))]


def simplify(limits: pd.DataFrame, x: pd.DataFrame, cases: np.ndarray, tolerance: float = 0.01) -> pd.DataFrame:
    """Drop each box edge whose removal costs less than ``tolerance`` of density (PRIM's last small peels),
    and round edges on whole-number inputs to the values the data take."""
    limits = limits.copy()
    for name in list(limits.index):
        for side, bound in (("min", "data_min"), ("max", "data_max")):
            trial = limits.copy()
            trial.loc[name, side] = trial.loc[name, bound]
            if box_stats(trial, x, cases)[1] >= box_stats(limits, x, cases)[1] - tolerance:
                limits = trial
        row = limits.loc[name]
        if row["min"] <= row["data_min"] and row["max"] >= row["data_max"]:
            limits = limits.drop(index=name)
        elif np.all(np.mod(x[name], 1) == 0):
            limits.loc[name, "min"] = np.ceil(row["min"]) if row["min"] > row["data_min"] else row["min"]
            limits.loc[name, "max"] = np.floor(row["max"]) if row["max"] < row["data_max"] else row["max"]
    return limits


def _box_at(box: Any, step: int, names: pd.Index, data_low: np.ndarray, data_high: np.ndarray) -> pd.DataFrame:
    """The restricted inputs of step ``step`` of PRIM's peeling trajectory, through its public API
    (``select`` the step, read its ``limits``), in the order of the inputs."""
    box.select(step)
    lows, highs = data_low.copy(), data_high.copy()
    for name, row in box.limits.iterrows():
        at = names.get_loc(name)
        lows[at], highs[at] = float(row["min"]), float(row["max"])
    return _limits(np.vstack([lows, highs]), names, data_low, data_high)


def _limits(box: np.ndarray, names: pd.Index, data_low: np.ndarray, data_high: np.ndarray) -> pd.DataFrame:
    """The restricted inputs of one box (a 2 x inputs array of min and max) against the data's range."""
    restricted = (box[0] > data_low) | (box[1] < data_high)
    table = pd.DataFrame({"min": box[0], "max": box[1], "data_min": data_low, "data_max": data_high}, index=pd.Index(names, name="input"))
    return table[restricted]


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:.2g}"


def condition(name: str, row: pd.Series) -> str:
    """One limit in words and units: ``contracted trucks >= 90``, ``escort teams <= 5``, ``5 <= Apaches <= 8``,
    ``share staged at the start <= 29%``, ``road 2: km >= 213 km`` (a share in percent, :func:`sim.names.value_words`)."""
    words = label(name)
    lower = row["min"] > row["data_min"]
    upper = row["max"] < row["data_max"]
    if lower and upper:
        return f"{_value(name, row['min'])} <= {words} <= {_value(name, row['max'])}"
    if lower:
        return f"{words} >= {_value(name, row['min'])}"
    return f"{words} <= {_value(name, row['max'])}"


def _value(name: str, value: float) -> str:
    """A limit's value: a share in percent (``29%``), else the number as :func:`_number` writes it, with its unit."""
    unit = unit_of(name)
    if unit.startswith("share"):
        return value_words(name, value)
    text = _number(value)
    if unit in ("day", "days from the start"):  # a day on the calendar of the withdrawal, not a duration
        return f"day {text}"
    return text if unit in ("count", "rank") else f"{text} {unit}"


def describe(found: Discovery, what: str = "finishes in the window", over: str = "") -> str:
    """The chosen box in plain words, with its density and coverage. ``over`` says which replications the shares are
    of when not all the run's (``of the 54 replications in which it moves (54 of the 100)``)."""
    stats = found.stats
    overall = f"overall, {over}" if over else "overall"
    if found.box.empty:
        return f"No box beats the whole data set: {what} in {share(found.base_rate)} of cases{', ' + over if over else ''}, whatever the inputs."
    conditions = " and ".join(condition(name, row) for name, row in found.box.iterrows())
    return (
        f"{what[0].upper() + what[1:]} in {share(stats['density'])} of cases when {conditions} "
        f"(against {share(found.base_rate)} {overall}; the box holds {share(stats['mass'])} of {'those' if over else 'the'} replications "
        f"and {share(stats['coverage'])} of the cases of interest)."
    )


def trajectory_table(found: Discovery) -> pd.DataFrame:
    """The peeling trajectory with each step's limits in words (for the CSV)."""
    table = found.trajectory.copy()
    table["limits"] = [" and ".join(condition(n, r) for n, r in lim.iterrows()) for lim in found.limits]
    table["chosen"] = table.index == found.chosen
    return table
