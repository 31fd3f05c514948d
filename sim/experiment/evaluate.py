"""Evaluating a table of design points x replications, for sensitivity, calibration and marginal studies.

A *design* is a table with one row per design point: ``point`` (its number),
``variant`` (which of the given scenarios it runs, 0 unless comparing scenarios) and
one column per factor (a dotted scenario path) holding the value that point pins;
a missing value leaves the input to its distribution. Every point runs replications
``0 .. replications - 1``, so points share common random numbers: replication ``i``
of every point sees the same threats, closures and weather streams.

The points run on the engine (:mod:`sim.experiment.engine`) on any executor of
:mod:`sim.experiment.executors` (this process, a local pool, a Dask cluster); with a
``store`` folder, each batch is written to its ``replications.parquet/`` as it finishes, so
that an interrupted study resumes where it stopped.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.measure import Measure
from sim.experiment.engine import Store, Work, execute
from sim.experiment.executors import Executor, InProcess, LocalPool
from sim.replication import Prepared, pin, prepare
from sim.scenario.distributions import _Distribution
from sim.scenario.draws import numeric_fields, uncertain_inputs
from sim.scenario.schema import Scenario, scenario_from_table

INNER_RANGE = (0.05, 0.95)
"""Quantiles bounding a scenario input's range in a study: P5 to P95."""


@dataclass(frozen=True)
class Factor:
    """One input varied by a study: its dotted path, range (low, high), median and whether it is a whole number."""

    path: str
    low: float
    high: float
    median: float
    integer: bool = False
    distribution: _Distribution | None = field(default=None, compare=False, repr=False)

    def value(self, x: float) -> float:
        """``x`` as the model will see it: whole numbers rounded."""
        if np.isnan(x):  # not pinned: the input is drawn from its distribution
            return float("nan")
        return float(round(x)) if self.integer else float(x)

    def as_record(self) -> dict[str, object]:
        """The factor as ``manifest.json`` lists it, with how its range is sampled."""
        sampled = "uniform over low-high" if self.distribution is None else f"{self.distribution.describe()} between P5 and P95"
        return {"path": self.path, "low": self.low, "high": self.high, "median": self.median, "integer": self.integer, "sampled": sampled}

    def at(self, shares: np.ndarray) -> np.ndarray:
        """Values at ``shares`` (0 to 1) of the factor's range, before rounding.

        A scenario input keeps its own distribution: a share is a quantile between P5 and
        P95, so a Morris or Sobol' design is dense where the input is likely (a triangular
        truck count is sampled mostly near its mode). A study file's range is linear.
        """
        shares = np.asarray(shares, dtype=float)
        if self.distribution is None:
            return self.low + shares * (self.high - self.low)
        q_low, q_high = INNER_RANGE
        return self.distribution.quantiles(q_low + shares * (q_high - q_low))


class StudyError(Exception):
    """A study file (``--factors``) that cannot be used; the message says which field and what to do."""


def scenario_factors(scenario: Scenario) -> list[Factor]:
    """Every input the scenario gives as a distribution, bounded by its P5-P95 and following it in between."""
    out = []
    for item in uncertain_inputs(scenario):
        low, high = item.low_high(*INNER_RANGE)
        if high > low:
            out.append(Factor(item.path, low, high, item.distribution.p50, item.integer, item.distribution))
    return out


def study_factors(path: Path, scenario: Scenario) -> list[Factor]:
    """Factors named in a study file, over the range each is written with.

    Every form a sweep study file takes is read (by the sweep's own
    :func:`~sim.experiment.design.parse_spec`): ``[factors."fleet.civilian.count"] low = 60,
    high = 140`` (optional ``step`` and ``integer``), dotted bare keys such as
    ``fleet.civilian.count = "60:140:20"`` or ``"60:140"``, and lists of levels such as
    ``escort.teams = [2, 3, 4, 6]``. The range is low to high (a list's lowest to highest
    level). A factor is a whole number if ``integer`` says so, else if the scenario draws
    it as one, else if its values are written as whole numbers.
    """
    from sim.experiment.study import RANGE_KEYS, flatten_factors

    try:
        table = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StudyError(f"{path}: cannot read the study file ({exc})") from None
    entries = table.get("factors")
    if not isinstance(entries, dict) or not entries:
        raise StudyError(f'{path}: no [factors] table; write e.g. [factors."fleet.civilian.count"] with low = 60 and high = 140')
    known = numeric_fields(scenario)
    drawn = {i.path: i for i in uncertain_inputs(scenario)}
    out = []
    for name, spec in flatten_factors(entries, leaves=RANGE_KEYS | {"integer"}).items():
        if name not in known:
            raise StudyError(f"{path}: factors.{name}: not a number of the scenario; use a dotted path such as fleet.civilian.count")
        low, high, written_integer, integer = _study_range(path, name, spec)
        if integer is None:
            integer = drawn[name].integer if name in drawn else written_integer
        value = known[name]
        median = drawn[name].distribution.p50 if name in drawn else float(value) if isinstance(value, (int, float)) else (low + high) / 2
        out.append(Factor(name, low, high, min(max(median, low), high), bool(integer)))
    return out


def study_overrides(path: Path) -> list[str]:
    """The ``set = ["path=value", ...]`` overrides of a study file, applied before the command line's ``--set``."""
    try:
        table = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise StudyError(f"{path}: cannot read the study file ({exc})") from None
    overrides = table.get("set", [])
    if not isinstance(overrides, list) or not all(isinstance(item, str) for item in overrides):
        raise StudyError(f'{path}: set: give a list of overrides, e.g. set = ["fleet.het.count=12"]')
    return overrides


def _study_range(path: Path, name: str, spec: object) -> tuple[float, float, bool, object]:
    """(low, high, written as whole numbers, the ``integer`` key or None) of one study-file factor."""
    from sim.experiment.design import FactorSpecError, parse_spec

    integer = None
    if isinstance(spec, dict):
        if "low" not in spec or "high" not in spec:
            raise StudyError(f"{path}: factors.{name}: give low and high, e.g. {{low = 60, high = 140}}")
        integer = spec.get("integer")
        spec = {k: v for k, v in spec.items() if k != "integer"}
        ends = (spec["low"], spec["high"])
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in ends) and not float(ends[1]) > float(ends[0]):
            raise StudyError(f"{path}: factors.{name}: high ({float(ends[1]):g}) must be above low ({float(ends[0]):g})")
    try:
        low, high, _ = parse_spec(spec)
    except FactorSpecError as exc:
        raise StudyError(f"{path}: factors.{name}: {exc}") from None
    if not high > low:
        raise StudyError(f"{path}: factors.{name}: high ({high:g}) must be above low ({low:g}); a sensitivity study needs a range")
    return low, high, _written_whole(spec), integer


def _written_whole(spec: object) -> bool:
    """Whether a factor's values are written as whole numbers: TOML integers, or integer literals in a string."""
    if isinstance(spec, dict):
        values: list[object] = [spec[k] for k in ("low", "high") if k in spec]
    elif isinstance(spec, (list, tuple)):
        values = list(spec)
    elif isinstance(spec, str):
        parts = spec.split(":")[:2] if ":" in spec else spec.split(",")
        return all(part.strip().lstrip("+-").isdigit() for part in parts)
    else:
        return False
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def at_shares(shares: np.ndarray, factors: Sequence[Factor]) -> np.ndarray:
    """A design drawn in shares of each factor's range (points x factors, 0 to 1) as raw values."""
    return np.column_stack([factor.at(shares[:, j]) for j, factor in enumerate(factors)])


def design_table(points: np.ndarray, factors: Sequence[Factor], variant: int = 0) -> pd.DataFrame:
    """A design from an array (points x factors) of raw values, whole-number factors rounded."""
    data: dict[str, np.ndarray | list[float]] = {"point": np.arange(len(points)), "variant": np.full(len(points), variant)}
    for j, factor in enumerate(factors):
        data[factor.path] = [factor.value(x) for x in points[:, j]]
    return pd.DataFrame(data)


# ---- running the points on the engine ------------------------------------------------------------


def design_points(design: pd.DataFrame, scenarios: Sequence[Scenario]) -> tuple[Prepared, ...]:
    """One prepared point per design row: its variant's scenario with the row's values pinned (a missing value
    leaves the input to its distribution). Each variant is prepared once; points pin it cheaply."""
    paths = [c for c in design.columns if c not in ("point", "variant")]
    variants = design["variant"].astype(int).to_numpy() if "variant" in design.columns else np.zeros(len(design), dtype=int)
    ready = {v: prepare(scenarios[v]) for v in sorted(set(variants.tolist()))}
    points = []
    for k, raw in enumerate(design[paths].to_dict("records") if paths else [{}] * len(design)):
        fixed = {p: float(v) for p, v in raw.items() if not pd.isna(v)}
        points.append(pin(ready[int(variants[k])], fixed) if fixed else ready[int(variants[k])])
    return tuple(points)


@dataclass(frozen=True)
class ChunkStore:
    """Where a study keeps its replications: ``folder/<prefix>replications.parquet/`` (the engine's store).

    With ``resume``, the replications of this very study (same design, scenarios, seed and
    replications) must already be there: resuming a folder of another study would
    otherwise start it over and overwrite that study's tables. Without it, the finished
    parts of the very same study are reused and those of another study removed.
    """

    folder: Path
    resume: bool = False
    prefix: str = ""


def evaluate(
    design: pd.DataFrame,
    scenarios: Scenario | Sequence[Scenario],
    seed: int,
    replications: int,
    jobs: int = 1,
    store: Path | ChunkStore | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """Run every design point ``replications`` times; one row per (point, replication), in that order.

    The points run on the engine (:mod:`sim.experiment.engine`); with ``store``, the replications
    are kept in its folder as they finish and a study run again there resumes. ``on_chunk(rows_done,
    rows_total)`` is called as batches finish (for a progress bar).
    """
    scenarios = (scenarios,) if isinstance(scenarios, Scenario) else tuple(scenarios)
    work = Work(design_points(design, scenarios), seed, replications, label_points=True)
    if store is None:
        kept = Store(None)
        resume = False
    else:
        chunk_store = store if isinstance(store, ChunkStore) else ChunkStore(Path(store))
        kept = Store(chunk_store.folder, chunk_store.prefix)
        resume = chunk_store.resume or kept.holds(work)
        if not resume:
            kept.clear()
    own = executor is None
    executor = executor or (InProcess() if jobs <= 1 else LocalPool(jobs))
    try:
        execute(work, kept, executor, resume=resume, on_progress=on_chunk)
    finally:
        if own:
            executor.close()
    return kept.read().to_pandas()


def per_point(rows: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """Per design point, of what ``measure`` measures: replications, mean days, their standard deviation and
    standard error, P(out by day D) and the share within the window. A replication in which the measured base
    did not have to move counts in none of them."""
    days = pd.Series(measure.days(rows), index=rows.index)
    frame = pd.DataFrame({"point": rows["point"], "days": days, "by_day": measure.out_by(rows), "inside": measure.in_window(rows)})
    grouped = frame.groupby("point")
    out = pd.DataFrame(
        {
            "replications": grouped["days"].count(),
            "mean_days": grouped["days"].mean(),
            "sd_days": grouped["days"].std(ddof=1),
            "p_by_day": grouped["by_day"].mean(),
            "p_window": grouped["inside"].mean(),
        }
    )
    out["se_days"] = out["sd_days"] / np.sqrt(out["replications"])
    return out


# ---- scenario variants for marginal studies -----------------------------------------------------

_LOCATION_KEYS = ("low", "mode", "high", "mean", "value")


def shifted(scenario: Scenario, path: str, delta: float) -> Scenario:
    """The scenario with the number at ``path`` moved by ``delta``: a constant plus ``delta``, a distribution
    shifted whole (low, mode, high or mean, or every choice), so each replication draws its old value plus ``delta``."""

    def move(node):
        if isinstance(node, dict) and "dist" in node:
            if node["dist"] == "lognormal":
                raise StudyError(f"{path}: a lognormal input cannot be shifted by a constant; change its median instead")
            if node["dist"] == "choice":
                return node | {"values": [v + delta for v in node["values"]]}
            return node | {k: node[k] + delta for k in _LOCATION_KEYS if isinstance(node.get(k), (int, float))}
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            return node + delta
        raise StudyError(f"{path}: not a number of the scenario")

    return _edit(scenario, path, move)


def _edit(scenario: Scenario, path: str, change: Callable) -> Scenario:
    data = scenario.model_dump(mode="json", exclude_none=True)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        if not isinstance(node, dict) or key not in node:
            raise StudyError(f"{path}: the scenario has no such field")
        node = node[key]
    if not isinstance(node, dict) or last not in node:
        raise StudyError(f"{path}: the scenario has no such field")
    node[last] = change(node[last])
    return scenario_from_table(data)
