"""Uncertain inputs: the distributions a scenario may give instead of a constant.

A scenario value is either a plain number or a table such as
``{dist = "triangular", low = 60, mode = 100, high = 140}``. Each distribution
knows how to draw one value from an explicit ``numpy.random.Generator``, its
quantiles (for bounds, medians and sensitivity ranges) and its support (so the
schema can refuse a truck count that could come out negative).
"""

from __future__ import annotations

import math
from types import ModuleType
from typing import Annotated, Literal, TypeGuard

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Distribution(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, rng: np.random.Generator) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def ppf(self, q: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def quantiles(self, q: np.ndarray) -> np.ndarray:
        """:meth:`ppf` at many probabilities at once (a design's column)."""
        return np.array([self.ppf(float(x)) for x in np.asarray(q, dtype=float)], dtype=float)

    @property
    def support(self) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def p50(self) -> float:
        """The median value."""
        return self.ppf(0.5)

    def describe(self) -> str:
        """The distribution as an analyst would write it: ``triangular(60, 100, 140)``."""
        fields = self.model_dump(exclude={"dist"})
        args = ", ".join(_short(v) for v in fields.values() if v is not None)
        return f"{self.dist}({args})"  # type: ignore[attr-defined]


def _short(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def _stats() -> ModuleType:
    """scipy.stats, imported on first use: quantiles and a truncated normal need it, reading a scenario does not
    (``evacsim validate`` without SciPy's 0.9 s of imports)."""
    from scipy import stats

    return stats


def _check_ordered(low: float, high: float, what: str = "low must be <= high") -> None:
    if not low <= high:
        raise ValueError(f"impossible distribution: {what} (low={low:g}, high={high:g})")


class _ScipyBacked(_Distribution):
    """A distribution whose quantiles scipy computes for a whole array at once; one value is one of them."""

    def ppf(self, q: float) -> float:
        return float(self.quantiles(np.asarray(q, dtype=float)))


class Constant(_Distribution):
    """A known value, written as a table for symmetry with the others."""

    dist: Literal["constant"]
    value: float

    def sample(self, rng: np.random.Generator) -> float:
        return self.value

    def ppf(self, q: float) -> float:
        return self.value

    @property
    def support(self) -> tuple[float, float]:
        return (self.value, self.value)


class Uniform(_Distribution):
    """Any value between ``low`` and ``high`` equally likely."""

    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        _check_ordered(self.low, self.high)
        return self

    def sample(self, rng: np.random.Generator) -> float:
        # numpy's ``rng.uniform(low, high)`` to the bit (``low + (high - low) * U``), without its argument handling
        return self.low + (self.high - self.low) * rng.random()

    def ppf(self, q: float) -> float:
        return self.low + q * (self.high - self.low)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


class Triangular(_ScipyBacked):
    """Lowest, most likely and highest value: the planner's three-point estimate."""

    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        _check_ordered(self.low, self.high)
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"impossible distribution: mode must lie between low and high (low={self.low:g}, mode={self.mode:g}, high={self.high:g})")
        return self

    def sample(self, rng: np.random.Generator) -> float:
        if self.low == self.high:
            return self.low
        # numpy's ``rng.triangular`` to the bit (its inverse CDF of one uniform draw), without its argument handling
        base, left = self.high - self.low, self.mode - self.low
        u = rng.random()
        if u <= left / base:
            return self.low + math.sqrt(u * (left * base))
        return self.high - math.sqrt((1.0 - u) * ((self.high - self.mode) * base))

    def quantiles(self, q: np.ndarray) -> np.ndarray:
        if self.low == self.high:
            return np.full(np.shape(q), self.low, dtype=float)
        c = (self.mode - self.low) / (self.high - self.low)
        return np.asarray(_stats().triang.ppf(q, c, loc=self.low, scale=self.high - self.low), dtype=float)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


class Pert(_ScipyBacked):
    """Three-point estimate with more weight near the mode (beta-PERT, shape 4 by default)."""

    dist: Literal["pert"]
    low: float
    mode: float
    high: float
    shape: float = Field(default=4.0, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Pert:
        _check_ordered(self.low, self.high)
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"impossible distribution: mode must lie between low and high (low={self.low:g}, mode={self.mode:g}, high={self.high:g})")
        return self

    def _ab(self) -> tuple[float, float]:
        span = self.high - self.low
        a = 1 + self.shape * (self.mode - self.low) / span
        b = 1 + self.shape * (self.high - self.mode) / span
        return a, b

    def sample(self, rng: np.random.Generator) -> float:
        if self.low == self.high:
            return self.low
        a, b = self._ab()
        return self.low + float(rng.beta(a, b)) * (self.high - self.low)

    def quantiles(self, q: np.ndarray) -> np.ndarray:
        if self.low == self.high:
            return np.full(np.shape(q), self.low, dtype=float)
        a, b = self._ab()
        return self.low + np.asarray(_stats().beta.ppf(q, a, b), dtype=float) * (self.high - self.low)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


class TruncatedNormal(_ScipyBacked):
    """A normal ``mean`` +- ``sd`` cut to [``low``, ``high``]."""

    dist: Literal["truncnormal"]
    mean: float
    sd: float = Field(gt=0)
    low: float = -math.inf
    high: float = math.inf

    @model_validator(mode="after")
    def _ordered(self) -> TruncatedNormal:
        _check_ordered(self.low, self.high)
        if self.low == self.high:
            raise ValueError("impossible distribution: low and high must differ")
        return self

    def _scipy(self):  # a frozen scipy distribution
        a = (self.low - self.mean) / self.sd
        b = (self.high - self.mean) / self.sd
        return _stats().truncnorm(a, b, loc=self.mean, scale=self.sd)

    def sample(self, rng: np.random.Generator) -> float:
        # Rejection is fast while the cut keeps most of the mass; otherwise invert the CDF.
        for _ in range(32):
            x = float(rng.normal(self.mean, self.sd))
            if self.low <= x <= self.high:
                return x
        return float(self._scipy().ppf(rng.random()))

    def quantiles(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(self._scipy().ppf(q), dtype=float)

    @property
    def support(self) -> tuple[float, float]:
        return (self.low, self.high)


class LogNormal(_ScipyBacked):
    """Positive and right-skewed (durations of closures, repairs): ``median`` and log-``sigma``."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(gt=0)

    def sample(self, rng: np.random.Generator) -> float:
        # numpy's ``rng.lognormal`` to the bit (``exp(mu + sigma * Z)``), without its argument handling
        return math.exp(math.log(self.median) + self.sigma * rng.standard_normal())

    def quantiles(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(_stats().lognorm.ppf(q, self.sigma, scale=self.median), dtype=float)

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, math.inf)


class Choice(_Distribution):
    """One of a few ``values``, with optional ``weights`` (normalised)."""

    dist: Literal["choice"]
    values: list[float] = Field(min_length=1)
    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("impossible distribution: weights must match values one for one")
            if any(not math.isfinite(w) or w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("impossible distribution: weights must be finite, >= 0 and with a positive sum")
        return self

    def _p(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, float)
        return w / w.sum()

    def sample(self, rng: np.random.Generator) -> float:
        # numpy's ``rng.choice(len(values), p=p)`` from one ``rng.random()``: the first value whose cumulative weight
        # (normalised by the last) exceeds it, the same numbers without the per-call checks of ``p``
        return float(self.values[int(_cumulative(self).searchsorted(rng.random(), side="right"))])

    def ppf(self, q: float) -> float:
        order = np.argsort(self.values)
        cum = np.cumsum(self._p()[order])
        i = int(np.searchsorted(cum, q - 1e-12))
        return float(np.asarray(self.values)[order][min(i, len(cum) - 1)])

    @property
    def support(self) -> tuple[float, float]:
        return (min(self.values), max(self.values))


def _cumulative(choice: Choice) -> np.ndarray:
    """A choice's cumulative weights, normalised by the last as ``numpy.random.Generator.choice`` does (worked out once
    per list of values and weights)."""
    key = (tuple(choice.values), None if choice.weights is None else tuple(choice.weights))
    cdf = _CUMULATIVE.get(key)
    if cdf is None:
        cdf = choice._p().cumsum()
        cdf /= cdf[-1]
        if len(_CUMULATIVE) > 1024:
            _CUMULATIVE.clear()
        _CUMULATIVE[key] = cdf
    return cdf


_CUMULATIVE: dict[tuple[tuple[float, ...], tuple[float, ...] | None], np.ndarray] = {}


class Bernoulli(_Distribution):
    """1 with probability ``p``, else 0: whether something happens at all."""

    dist: Literal["bernoulli"]
    p: float = Field(ge=0, le=1)

    def sample(self, rng: np.random.Generator) -> float:
        return 1.0 if rng.random() < self.p else 0.0

    def ppf(self, q: float) -> float:
        return 1.0 if q > 1 - self.p else 0.0

    @property
    def support(self) -> tuple[float, float]:
        return (0.0, 1.0)


Distribution = Annotated[
    Constant | Uniform | Triangular | Pert | TruncatedNormal | LogNormal | Choice | Bernoulli,
    Field(discriminator="dist"),
]
"""Any of the distribution tables, told apart by their ``dist`` key."""

DISTRIBUTIONS: dict[str, type[_Distribution]] = {
    "constant": Constant,
    "uniform": Uniform,
    "triangular": Triangular,
    "pert": Pert,
    "truncnormal": TruncatedNormal,
    "lognormal": LogNormal,
    "choice": Choice,
    "bernoulli": Bernoulli,
}
"""Each distribution class by the ``dist`` name a scenario file uses."""

DISTRIBUTION_NAMES = tuple(DISTRIBUTIONS)


def support_of(value: float | _Distribution) -> tuple[float, float]:
    """Smallest and largest value a constant or distribution can take.

    An unbounded tail (a lognormal closure) is cut at its 99.9th percentile: that is
    the value a scenario's limits are checked against.
    """
    if isinstance(value, _Distribution):
        low, high = value.support
        if math.isinf(low):
            low = value.ppf(0.001)
        if math.isinf(high):
            high = value.ppf(0.999)
        return (low, high)
    return (float(value), float(value))


def is_distribution(value: object) -> TypeGuard[_Distribution]:
    """Whether a scenario value is uncertain (a distribution other than a constant)."""
    return isinstance(value, _Distribution) and not isinstance(value, Constant)


def draw_one(value: float | _Distribution, rng: np.random.Generator) -> float:
    """One draw (one event's duration), or the constant itself."""
    return float(value) if isinstance(value, (int, float)) else float(value.sample(rng))


def draw_many(value: float | _Distribution, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` independent draws (one per event: each closure, each breakdown) as an array."""
    if isinstance(value, (int, float)):
        return np.full(n, float(value))
    return np.fromiter((value.sample(rng) for _ in range(n)), float, n) if n else np.empty(0)


def median_of(value: float | _Distribution) -> float:
    """The median of a distribution, or the constant itself."""
    return value.p50 if isinstance(value, _Distribution) else float(value)


def quantile_of(value: float | _Distribution, q: float) -> float:
    """The ``q`` quantile (0-1) of a distribution, or the constant itself."""
    return value.ppf(q) if isinstance(value, _Distribution) else float(value)
