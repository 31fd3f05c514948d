"""The levers a what-if page may move: a whitelist of dotted paths, each with its unit, range and kind of source.

Three kinds, as a planner meets them:

- **decisions**: convoys a day (``convoys.max_per_day``, on a theatre each base's): set to a whole number;
- **resources to add**: trucks, escort teams, Apaches, loading teams, sorties, a crossing lane, added in
  whole units as ``evacsim plan`` and ``evacsim marginal`` add them (a distribution shifted whole, so each
  replication draws its old value plus the units);
- **uncertain inputs**: the scenario's drawn inputs that decide the date most, each settable anywhere in
  its distribution's range (set, it is no longer drawn).

A page sends ``{path: number}``; :meth:`LeverSet.overrides` refuses any path not in the list, any value
that is not a number, outside the lever's range or not whole where it must be, with a message that says
which and why, and turns the rest into ``--set`` texts (``escort.teams={dist = "triangular", ...}``) that
go through the command line's own override parsing when the scenario is loaded. Nothing a page sends is
executed or used as a path to a file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiment.analyses import theatre_path
from sim.experiment.evaluate import shifted
from sim.names import is_whole, label, theatre_names, unit_of
from sim.scenario.distributions import Bernoulli, _Distribution
from sim.scenario.draws import numeric_fields, uncertain_inputs
from sim.scenario.provenance import describe_value, kind_of_path
from sim.scenario.schema import Scenario, TheatreScenario
from sim.scenario.source_kinds import KIND_MEANINGS

RESOURCES: tuple[tuple[str, str, int, int], ...] = (
    # (one-base path, unit added, step, most added): whole units as `plan` adds them
    ("fleet.civilian.count", "contracted trucks", 10, 100),
    ("fleet.lowboy.count", "contracted lowboys", 10, 60),
    ("fleet.military.count", "military trucks", 5, 40),
    ("fleet.het.count", "heavy equipment transporters", 1, 10),
    ("escort.teams", "escort teams", 1, 6),
    ("air_cover.apaches", "Apaches", 1, 6),
    ("loading.teams", "loading teams", 1, 8),
    ("airlift.sorties_per_day", "airlift sorties a day", 1, 8),
    ("crossing.main.lanes", "crossing lanes", 1, 2),
)
"""The resources a planner may add, and how many at most (the page refuses more, it never caps)."""

CONVOYS_A_DAY = (1, 8)
"""The range of the convoys-a-day decision (departures a day from a base)."""

INPUT_LEVERS = 8
"""How many of the drawn inputs, ranked, the page offers (beyond resources and decisions)."""


class LeverError(ValueError):
    """A page asked for a lever the list does not hold, or a value it cannot take (HTTP 400, said to the planner)."""


@dataclass(frozen=True)
class Lever:
    """One control of the page: the number at ``path`` (dotted, as ``--set`` takes it), what it means and its range.

    ``action`` is ``add`` (whole units on top of the scenario's number; 0 leaves it unchanged) or ``set``
    (the number itself; absent leaves it as the scenario has it). ``low`` .. ``high`` in steps of ``step``
    is all the page may send; ``start`` is where the control rests before it is moved.
    """

    path: str
    label: str
    group: str
    action: str
    unit: str
    low: float
    high: float
    step: float
    start: float
    integer: bool
    now: str
    source_kind: str
    source_meaning: str
    rank: int | None = None
    correlation: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(value: Any) -> float:
    return float(value.p50) if isinstance(value, _Distribution) else float(value)


def _step(low: float, high: float, integer: bool) -> float:
    if integer:
        return 1.0
    raw = (high - low) / 100
    return float(f"{raw:.1g}") if raw > 0 else 1.0


def _range(dist: _Distribution, integer: bool) -> tuple[float, float]:
    """Everywhere the distribution can draw (P1-P99 where it is unbounded)."""
    low, high = dist.ppf(0.0), dist.ppf(1.0)
    if not math.isfinite(low) or low < 0:
        low = max(0.0, dist.ppf(0.01))
    if not math.isfinite(high):
        high = dist.ppf(0.99)
    if integer:
        low, high = math.floor(low), math.ceil(high)
    return float(low), float(high)


def _base(lever_path: str, fields: Mapping[str, Any], scenario: Scenario, group: str, action: str, **rest: Any) -> Lever:
    kind = kind_of_path(scenario, lever_path)
    return Lever(
        path=lever_path,
        group=group,
        action=action,
        now=describe_value(fields[lever_path]),
        source_kind=kind,
        source_meaning=KIND_MEANINGS.get(kind, kind),
        **rest,
    )


def rank_inputs(rows: pd.DataFrame, days: np.ndarray) -> pd.Series:
    """Each drawn input's Spearman rank correlation with the days to the end, over the replications of ``rows``
    (their ``input.<path>`` columns), strongest first by absolute value; inputs that do not vary are left out.
    A cheap ranking from the unchanged scenario's own replications, not the tornado or EVPPI (which cost minutes)."""
    finite = np.where(np.isfinite(days), days, np.nanmax(np.where(np.isfinite(days), days, np.nan)) if np.isfinite(days).any() else 0.0)
    out = {}
    for column in rows.columns:
        if not column.startswith("input."):
            continue
        values = rows[column].to_numpy(dtype=float)
        if len(values) < 3 or np.nanstd(values) == 0:
            continue
        rho = stats.spearmanr(values, finite).statistic
        if math.isfinite(rho):
            out[column.removeprefix("input.")] = float(rho)
    ranked = pd.Series(out, dtype=float)
    return ranked.reindex(ranked.abs().sort_values(ascending=False).index)


def scenario_levers(scenario: Scenario, ranking: pd.Series | None = None, inputs: int = INPUT_LEVERS) -> list[Lever]:
    """The page's levers for a scenario: its convoys-a-day decisions, the resources it has to add, and its
    ``inputs`` drawn inputs ranked highest by ``ranking`` (Spearman rho by dotted path, strongest first)."""
    with theatre_names(scenario):  # a theatre's sites by their titles, its roads by their ends
        return _scenario_levers(scenario, ranking, inputs)


def _scenario_levers(scenario: Scenario, ranking: pd.Series | None, inputs: int) -> list[Lever]:
    fields = numeric_fields(scenario)
    drawn = {i.path: i for i in uncertain_inputs(scenario)}
    ranks = {path: k + 1 for k, path in enumerate(ranking.index)} if ranking is not None else {}
    rho = dict(ranking.items()) if ranking is not None else {}
    levers: list[Lever] = []
    for path in fields:
        if path.rsplit(".", 1)[-1] == "max_per_day" and path.split(".")[-2] == "convoys":
            where = label(path)
            site = path.split(".")[1] if path.startswith("sites.") else ""
            levers.append(
                _base(
                    path,
                    fields,
                    scenario,
                    "decision",
                    "set",
                    label=f"{where} ({site})" if site else where,
                    unit="convoys a day",
                    low=CONVOYS_A_DAY[0],
                    high=CONVOYS_A_DAY[1],
                    step=1.0,
                    start=float(round(drawn[path].distribution.p50)) if path in drawn else _number(fields[path]),
                    integer=True,
                    rank=ranks.get(path),
                    correlation=rho.get(path),
                )
            )
    for path, unit, step, most in RESOURCES:
        where = theatre_path(scenario, path)
        if where is None or where not in fields:
            continue
        value = fields[where]
        if isinstance(value, _Distribution) and getattr(value, "dist", "") == "lognormal":
            continue
        levers.append(
            _base(
                where,
                fields,
                scenario,
                "resource",
                "add",
                label=f"{unit} to add{_where_added(scenario, where)}",
                unit=unit,
                low=0.0,
                high=float(most),
                step=float(step),
                start=0.0,
                integer=True,
                rank=ranks.get(where),
                correlation=rho.get(where),
            )
        )
    offered = {lever.path for lever in levers}
    ordered = list(ranking.index) if ranking is not None else list(drawn)
    for path in [p for p in ordered if p in drawn and p not in offered][:inputs]:
        item = drawn[path]
        if isinstance(item.distribution, Bernoulli):
            continue
        whole = item.integer or is_whole(path)
        low, high = _range(item.distribution, whole)
        if not high > low:
            continue
        median = item.distribution.p50
        levers.append(
            _base(
                path,
                fields,
                scenario,
                "input",
                "set",
                label=label(path),
                unit=unit_of(path),
                low=low,
                high=high,
                step=_step(low, high, whole),
                start=float(round(median)) if whole else float(f"{median:.3g}"),
                integer=whole,
                rank=ranks.get(path),
                correlation=rho.get(path),
            )
        )
    order = {"decision": 0, "resource": 1, "input": 2}
    return sorted(levers, key=lambda lever: (order[lever.group], lever.rank is None, lever.rank or 0))


def _where_added(scenario: Scenario, path: str) -> str:
    """The one place a theatre's resource acts on, by the file's title: `` at Qasrak`` (loading teams, sorties),
    `` at al-Waleed crossing`` (lanes); empty for a pool's (shared by the bases that draw on it) and for one base."""
    group, _, rest = path.partition(".")
    name = rest.partition(".")[0]
    if group == "sites" and name in getattr(scenario, "sites", {}):
        return f" at {scenario.sites[name].title}"  # type: ignore[attr-defined]
    return ""


def _toml(value: Any) -> str:
    """A value as TOML text for ``--set`` (numbers, and distributions as inline tables)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


class LeverSet:
    """The whitelist of one scenario's levers, and the only way a page's request becomes ``--set`` overrides."""

    def __init__(self, scenario: Scenario, levers: Sequence[Lever]) -> None:
        self.scenario = scenario
        self.levers = tuple(levers)
        self.by_path = {lever.path: lever for lever in self.levers}

    def check(self, path: object, value: object) -> tuple[Lever, float]:
        """The lever at ``path`` and ``value`` as a number in its range, or :class:`LeverError` saying why not."""
        if not isinstance(path, str) or path not in self.by_path:
            raise LeverError(f"{str(path)[:80]!r} is not one of this page's levers; the page may move only: {', '.join(self.by_path)}")
        lever = self.by_path[path]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise LeverError(f"{lever.label} ({path}): {str(value)[:40]!r} is not a number")
        if not lever.low <= value <= lever.high:
            raise LeverError(f"{lever.label} ({path}): {value:g} is outside the range {lever.low:g} to {lever.high:g} {lever.unit}; nothing was changed")
        if lever.integer and float(value) != round(value):
            raise LeverError(f"{lever.label} ({path}): {value:g} is not a whole number of {lever.unit}")
        return lever, float(value)

    def overrides(self, chosen: Mapping[str, object]) -> tuple[str, ...]:
        """``--set`` texts for the levers a page moved (``path=value``, value as TOML), in path order; an ``add``
        lever at 0 changes nothing and gives none."""
        if not isinstance(chosen, Mapping):
            raise LeverError("levers must be given as {path: number}")
        out = []
        fields: dict[str, Any] | None = None
        for path in sorted(chosen, key=str):
            lever, value = self.check(path, chosen[path])
            number: float | int = int(value) if lever.integer else value
            if lever.action == "set":
                out.append(f"{lever.path}={_toml(number)}")
            elif number:
                variant = shifted(self.scenario, lever.path, number)
                fields = numeric_fields(variant)
                moved = fields[lever.path]
                text = moved.model_dump(mode="json", exclude_none=True) if isinstance(moved, _Distribution) else moved
                out.append(f"{lever.path}={_toml(text)}")
        return tuple(out)


def is_theatre(scenario: Scenario) -> bool:
    return isinstance(scenario, TheatreScenario)
