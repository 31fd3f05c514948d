"""Evaluating a table of design points x replications, for sensitivity, calibration and marginal studies.

A *design* is a table with one row per design point: ``point`` (its number),
``variant`` (which of the given scenarios it runs, 0 unless comparing scenarios) and
one column per factor (a dotted scenario path) holding the value that point pins;
a missing value leaves the input to its distribution. Every point runs replications
``0 .. replications - 1``, so points share common random numbers: replication ``i``
of every point sees the same threats, closures and weather streams.

Chunks of points run on any executor of :mod:`sim.experiment.executors` (this process,
the local pool of ``evacsim run``, a Dask cluster); each chunk's rows are handed to ``on_chunk`` as it finishes and, with a ``store`` folder, written to
``store/chunks/`` so that an interrupted study resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiment.executors import Executor, InProcess, LocalPool
from sim.experiment.storage import ResumeError, write_json, write_parquet
from sim.replication import prepare, record, simulate_one
from sim.scenario.distributions import Distribution
from sim.scenario.draws import numeric_fields, uncertain_inputs
from sim.scenario.schema import Scenario, scenario_from_table

OUTCOME = "days_to_base_empty"
ROWS_PER_CHUNK = 200
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
    distribution: Distribution | None = field(default=None, compare=False, repr=False)

    def value(self, x: float) -> float:
        """``x`` as the model will see it: whole numbers rounded."""
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
        median = value.p50 if name in drawn else float(value) if isinstance(value, (int, float)) else (low + high) / 2
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
    data = {"point": np.arange(len(points)), "variant": np.full(len(points), variant)}
    for j, factor in enumerate(factors):
        data[factor.path] = [factor.value(x) for x in points[:, j]]
    return pd.DataFrame(data)


# ---- running chunks of points -------------------------------------------------------------------


def run_points(scenarios: Sequence[Scenario], points: list[tuple], seed: int, replications: int) -> list[dict[str, object]]:
    """Rows of every replication of each ``(point, variant, fixed)``: one record per replication, with its point.
    A ``(point, variant, fixed, (start, stop))`` runs only replications ``start`` to ``stop - 1`` of its point."""
    rows = []
    ready = {v: prepare(scenarios[v]) for v in {spec[1] for spec in points}}
    for point, variant, fixed, *part in points:
        # Preparing walks the whole scenario; pinning inputs only needs the variant's prepared copy filtered.
        base = ready[variant]
        prepared = replace(base, inputs=tuple(i for i in base.inputs if i.path not in fixed), fixed=fixed)
        for i in range(*part[0]) if part else range(replications):  # a slice of a point's replications, or all
            values, outcome, events = simulate_one(prepared, seed, i)
            row = record(i, values, outcome, events)
            row["point"] = point
            rows.append(row)
    return rows


def _chunk_batch(shared: tuple, chunk: int, points: list) -> tuple[int, list[dict[str, object]]]:
    """One chunk of points, in a worker: ``shared`` is (scenarios, seed, replications), shipped once."""
    scenarios, seed, replications = shared
    return chunk, run_points(scenarios, points, seed, replications)


def _point_specs(design: pd.DataFrame) -> list[tuple[int, int, dict[str, float]]]:
    paths = [c for c in design.columns if c not in ("point", "variant")]
    specs = []
    for raw in design.to_dict("records"):
        fixed = {p: float(raw[p]) for p in paths if not pd.isna(raw[p])}
        specs.append((int(raw["point"]), int(raw.get("variant", 0)), fixed))
    return specs


def chunk_points(specs: list, replications: int, workers: int, per_chunk: int | None = None, slice_size: int | None = None) -> list[list]:
    """Groups of ``per_chunk`` points; by default about ``ROWS_PER_CHUNK`` replications each, and at
    least ``4 * workers`` groups when there are enough points.

    With ``slice_size``, a design of one point (a calibration: one scenario, many draws) is cut into
    slices of that many of its replications instead, so that workers share it and progress shows."""
    if slice_size is not None and len(specs) == 1:
        return [[(*specs[0], (a, min(a + slice_size, replications)))] for a in range(0, replications, slice_size)]
    if per_chunk is None:
        per_chunk = max(1, ROWS_PER_CHUNK // max(1, replications))
        per_chunk = max(1, min(per_chunk, math.ceil(len(specs) / max(1, 4 * workers))))
    return [specs[a : a + per_chunk] for a in range(0, len(specs), per_chunk)]


def slice_size_for(specs: list, replications: int, workers: int) -> int | None:
    """Replications a slice of a one-point design (about ``ROWS_PER_CHUNK``, at least ``4 * workers`` slices); ``None``
    for a design of several points, whose chunks are whole points."""
    if len(specs) != 1 or replications <= 1:
        return None
    return max(1, min(ROWS_PER_CHUNK, math.ceil(replications / (4 * max(1, workers)))))


def _stored_layout(folder: Path) -> tuple[int, int | None] | None:
    """Points per chunk (and replications per slice, for a one-point design) of a study stored in ``folder``, so
    that a resume on another number of workers reads chunk k as the same replications it was written with."""
    try:
        layout = json.loads((folder / "layout.json").read_text())
        value, size = layout["points_per_chunk"], layout.get("replications_per_chunk")
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if not (isinstance(value, int) and value >= 1):
        return None
    return value, size if isinstance(size, int) and size >= 1 else None


def _stored_chunk(part: Path, chunk: list) -> pd.DataFrame | None:
    """A finished chunk's rows if the file holds exactly the points (and replications) of ``chunk`` (else it is run again)."""
    if not part.exists():
        return None
    try:
        frame = pd.read_parquet(part)
    except (OSError, ValueError):
        return None
    expected = {spec[0] for spec in chunk}
    if "point" not in frame.columns or set(frame["point"].astype(int)) != expected:
        return None
    sliced = [spec[3] for spec in chunk if len(spec) > 3]
    if sliced:
        wanted = {i for start, stop in sliced for i in range(start, stop)}
        if "replication" not in frame.columns or set(frame["replication"].astype(int)) != wanted:
            return None
    return frame


def design_key(design: pd.DataFrame, scenarios: Sequence[Scenario], seed: int, replications: int) -> str:
    """A fingerprint of what a stored study computed: design, scenarios, seed and replications."""
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(design, index=False).to_numpy().tobytes())
    for s in scenarios:
        digest.update(json.dumps(s.model_dump(mode="json"), sort_keys=True).encode())
    digest.update(f"{seed}:{replications}".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class ChunkStore:
    """Where a study keeps its finished chunks: ``folder/chunks/<fingerprint>/``.

    With ``resume``, the chunks of this very study (same design, scenarios, seed and
    replications) must already be there: resuming a folder of another study would
    otherwise start it over and overwrite that study's tables.
    """

    folder: Path
    resume: bool = False


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
    """Run every design point ``replications`` times; one row per (point, replication), sorted.

    With ``store``, finished chunks are kept in ``store/chunks/`` under the design's
    fingerprint and skipped when the same study is run again. ``on_chunk(rows_done,
    rows_total)`` is called as chunks finish (for a progress bar).
    """
    scenarios = (scenarios,) if isinstance(scenarios, Scenario) else tuple(scenarios)
    specs = _point_specs(design)
    workers = executor.workers if executor else jobs
    total = len(specs) * replications
    done: dict[int, pd.DataFrame] = {}
    folder = None
    if store is None:
        chunks = chunk_points(specs, replications, workers, slice_size=slice_size_for(specs, replications, workers))
    else:
        chunk_store = store if isinstance(store, ChunkStore) else ChunkStore(Path(store))
        folder = chunk_store.folder / "chunks" / design_key(design, scenarios, seed, replications)
        if chunk_store.resume and not folder.is_dir():
            raise ResumeError(_not_this_study(chunk_store.folder))
        folder.mkdir(parents=True, exist_ok=True)
        stored = _stored_layout(folder)
        if stored is None:
            size = slice_size_for(specs, replications, workers)
            chunks = chunk_points(specs, replications, workers, slice_size=size)
            layout = {"points_per_chunk": 1 if size else (len(chunks[0]) if chunks else 1)} | ({"replications_per_chunk": size} if size else {})
            write_json(folder / "layout.json", layout)
        else:
            chunks = chunk_points(specs, replications, workers, *stored)
        for k, chunk in enumerate(chunks):
            frame = _stored_chunk(folder / f"chunk-{k:05d}.parquet", chunk)
            if frame is not None:
                done[k] = frame
    rows_done = sum(len(f) for f in done.values())
    if on_chunk and rows_done:
        on_chunk(rows_done, total)
    todo = [(k, chunk) for k, chunk in enumerate(chunks) if k not in done]
    own = executor is None
    executor = executor or (InProcess() if jobs <= 1 or len(todo) <= 1 else LocalPool(jobs))
    try:
        for k, rows in executor.map_unordered(_chunk_batch, (scenarios, seed, replications), todo):
            frame = pd.DataFrame(rows)
            if folder is not None:
                write_parquet(folder / f"chunk-{k:05d}.parquet", frame)
            done[k] = frame
            rows_done += len(frame)
            if on_chunk:
                on_chunk(rows_done, total)
    finally:
        if own:
            executor.close()
    frames = [done[k] for k in sorted(done)]
    return pd.concat(frames, ignore_index=True).sort_values(["point", "replication"], ignore_index=True)


def _not_this_study(folder: Path) -> str:
    return (
        f"{folder}: cannot resume: its finished chunks are of another study (the design, scenario, seed or replications differ); "
        "resume with the same command and options, --force to run this one in that folder, or choose another --out"
    )


def per_point(rows: pd.DataFrame, window: tuple[float, float], outcome: str = OUTCOME) -> pd.DataFrame:
    """Per design point: replications, mean days, its standard error, and the share within the window."""
    days = rows[outcome].astype(float)
    inside = days.between(window[0], window[1])
    grouped = pd.DataFrame({"point": rows["point"], "days": days, "inside": inside}).groupby("point")
    out = pd.DataFrame(
        {
            "replications": grouped["days"].size(),
            "mean_days": grouped["days"].mean(),
            "sd_days": grouped["days"].std(ddof=1),
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


def with_value(scenario: Scenario, path: str, value: float) -> Scenario:
    """The scenario with the number at ``path`` set to ``value`` (a constant)."""
    return _edit(scenario, path, lambda _: value)


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
