"""Designs of experiments: which values of the factors each design point pins.

A *factor* is a scenario number varied by the study, named by its dotted path
(``fleet.civilian.count``), with either a list of *levels* (``[2, 3, 4, 6]``, or a
stepped range ``60:140:20``) or a continuous range (``60:140``). Three designs:

- ``grid``: every combination of the levels (a full factorial);
- ``lhs``: ``samples`` points of a Latin hypercube (``scipy.stats.qmc.LatinHypercube``);
- ``sobol``: ``samples`` points of a scrambled Sobol sequence (``scipy.stats.qmc.Sobol``;
  powers of 2 keep its balance).

In the sampled designs a factor with levels picks one of them (equal shares of the
unit interval); a continuous factor takes any value in its range. Whole-number
fields (counts) are rounded. A design is a table with one row per point: ``point``
then one column per factor, in the study's order.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import qmc

DesignKind = Literal["grid", "lhs", "sobol"]
DESIGNS: tuple[str, ...] = ("grid", "lhs", "sobol")

DESIGN_SEED_TAG = 0x64657369
"""Mixed into the study seed for the design's own random stream (never a replication's)."""

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


class FactorSpecError(ValueError):
    """A factor's range or list that cannot be used (the message says why and what to write)."""


@dataclass(frozen=True)
class Factor:
    """One varied scenario number: its dotted path, levels or range, and whether it is a whole number."""

    path: str
    low: float
    high: float
    levels: tuple[float, ...] | None = None
    integer: bool = False

    def value_at(self, u: np.ndarray) -> np.ndarray:
        """Values for points ``u`` in [0, 1): a level by equal shares, or a point of the range."""
        if self.levels is not None:
            index = np.minimum((u * len(self.levels)).astype(int), len(self.levels) - 1)
            values = np.asarray(self.levels, dtype=float)[index]
        else:
            values = self.low + u * (self.high - self.low)
        return np.round(values) if self.integer else values

    def as_dict(self) -> dict[str, object]:
        return {"path": self.path, "low": self.low, "high": self.high, "levels": list(self.levels) if self.levels else None, "integer": self.integer}


def parse_spec(spec: object) -> tuple[float, float, tuple[float, ...] | None]:
    """(low, high, levels) from ``"lo:hi:step"``, ``"lo:hi"``, a list of numbers or ``{low, high, step}``."""
    if isinstance(spec, str):
        text = spec.strip()
        if re.fullmatch(rf"{_NUMBER}(\s*,\s*{_NUMBER})+", text):
            return parse_spec([float(x) for x in text.split(",")])
        m = re.fullmatch(rf"({_NUMBER})\s*:\s*({_NUMBER})(?:\s*:\s*({_NUMBER}))?", text)
        if not m:
            if re.fullmatch(_NUMBER, text):
                return parse_spec([float(text)])
            raise FactorSpecError(f"{spec!r} is not a range; write lo:hi:step (e.g. 60:140:20), lo:hi, or a list such as 2,3,4,6")
        low, high = float(m.group(1)), float(m.group(2))
        return _range(low, high, float(m.group(3)) if m.group(3) else None)
    if isinstance(spec, dict):
        unknown = set(spec) - {"low", "high", "step"}
        if unknown or not {"low", "high"} <= set(spec):
            raise FactorSpecError("a range table takes low, high and optionally step, e.g. {low = 60, high = 140, step = 20}")
        return _range(_number(spec["low"]), _number(spec["high"]), _number(spec["step"]) if "step" in spec else None)
    if isinstance(spec, (list, tuple)):
        if not spec:
            raise FactorSpecError("the list of levels is empty; give at least one value")
        levels = tuple(_number(v) for v in spec)
        return min(levels), max(levels), levels
    raise FactorSpecError(f"{spec!r} is neither a range (lo:hi:step) nor a list of values")


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise FactorSpecError(f"{value!r} is not a finite number")
    return float(value)


def _range(low: float, high: float, step: float | None) -> tuple[float, float, tuple[float, ...] | None]:
    if not (math.isfinite(low) and math.isfinite(high)):
        raise FactorSpecError("the range's ends must be finite numbers")
    if high < low:
        raise FactorSpecError(f"the range {low:g}:{high:g} runs backwards; write the low end first")
    if step is None:
        return low, high, None
    if not step > 0:
        raise FactorSpecError(f"the step {step:g} must be > 0")
    count = math.floor((high - low) / step + 1e-9) + 1
    if count > 100_000:
        raise FactorSpecError(f"the range {low:g}:{high:g}:{step:g} has {count} levels; use a larger step")
    levels = tuple(round(low + k * step, 10) for k in range(count))
    return low, levels[-1], levels


def make_factor(path: str, spec: object, integer: bool) -> Factor:
    """A factor from its spec; whole-number fields get rounded, distinct levels."""
    low, high, levels = parse_spec(spec)
    if integer:
        written = levels if levels is not None else (low, high)
        fractional = [v for v in written if not float(v).is_integer()]
        if fractional:
            what = "level" if levels is not None else "range end"
            raise FactorSpecError(
                f"is a whole number (a count), so the {what} {fractional[0]:g} cannot be used (it is not rounded for you); "
                "give whole numbers, e.g. 2,3,4 or 2:10:2"
            )
        low, high = float(round(low)), float(round(high))
        if levels is not None:
            levels = tuple(dict.fromkeys(float(round(v)) for v in levels))
    return Factor(path, low, high, levels, integer)


def design_rng(seed: int) -> np.random.Generator:
    """The design's random stream: from the study seed, apart from every replication's streams."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, DESIGN_SEED_TAG])))


def grid_design(factors: Sequence[Factor]) -> np.ndarray:
    """Every combination of the levels, the last factor varying fastest (points x factors)."""
    missing = [f.path for f in factors if f.levels is None]
    if missing:
        raise FactorSpecError(f"a grid needs levels for {', '.join(missing)}: give a step (lo:hi:step) or a list")
    mesh = np.meshgrid(*[np.asarray(f.levels, dtype=float) for f in factors], indexing="ij")
    return np.column_stack([m.reshape(-1) for m in mesh])


def sampled_design(factors: Sequence[Factor], kind: DesignKind, samples: int, seed: int) -> np.ndarray:
    """``samples`` points of a Latin hypercube or a scrambled Sobol sequence (points x factors)."""
    if samples < 1:
        raise FactorSpecError("--samples must be >= 1")
    rng = design_rng(seed)
    d = len(factors)
    if kind == "lhs":
        unit = qmc.LatinHypercube(d, rng=rng).random(samples)
    else:
        with warnings.catch_warnings():
            # Sobol' balance wants a power of 2; other counts are still valid points, as the docs note.
            warnings.simplefilter("ignore", UserWarning)
            unit = qmc.Sobol(d, scramble=True, rng=rng).random(samples)
    return np.column_stack([f.value_at(unit[:, j]) for j, f in enumerate(factors)])


def build_design(factors: Sequence[Factor], kind: DesignKind, samples: int | None, seed: int) -> pd.DataFrame:
    """The design table: ``point`` (0, 1, ...) and one column per factor path."""
    if not factors:
        raise FactorSpecError("a study needs at least one factor (--vary path=lo:hi:step)")
    if kind == "grid":
        values = grid_design(factors)
    elif kind in ("lhs", "sobol"):
        if samples is None:
            raise FactorSpecError(f"a {kind} design needs --samples N (or samples = N in the study file)")
        values = sampled_design(factors, kind, samples, seed)
    else:
        raise FactorSpecError(f"unknown design {kind!r}; use one of {', '.join(DESIGNS)}")
    frame = pd.DataFrame(values, columns=[f.path for f in factors])
    frame.insert(0, "point", np.arange(len(frame), dtype=np.int64))
    return frame
