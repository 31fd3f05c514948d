"""A plan file and a target: the levers a plan may move, what each unit costs, and the date to make.

``evacsim plan SCENARIO --options plan.toml --target "P(days <= 30) >= 0.9"``. A plan file
(``scenarios/studies/plan_20_days.toml``) is validated like a scenario: unknown keys, paths
that are not numbers of the scenario, ranges that are not whole units or that make the
scenario invalid are a :class:`~sim.scenario.loading.ScenarioError` naming file, line and field.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.experiment.evaluate import StudyError, shifted
from sim.experiment.study import flatten_factors
from sim.scenario.draws import numeric_fields, per_event_fields
from sim.scenario.loading import NotAScenario, Problem, ScenarioError, locate, other_kind_of_file, problems_from, read_toml, scenario_problems
from sim.scenario.schema import Scenario

LEVER_KEYS = frozenset({"add", "cost", "unit", "units", "source"})

Candidate = tuple[int, ...]
"""A plan: the units it adds to each lever, in the plan file's order."""

_TARGET = re.compile(r"^\s*P\(\s*(days|force_days|left)\s*<=\s*(\d+(?:\.\d*)?)\s*\)\s*>=\s*(\d*\.?\d+)\s*(%?)\s*$")
_COLUMNS = {"days": "days_to_base_empty", "force_days": "days_to_force_closure", "left": "left_behind.total"}
"""The replication column each measure of a target reads: ``left`` is the loads and vehicles a deadline left behind."""


# ---- the target ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """``P(days <= T) >= p``: days to base empty (or ``force_days``, to force closure) by day T, with probability p;
    ``P(left <= N) >= p``: at most N loads and vehicles left behind at the deadline (a scenario with a ``deadline``;
    on a theatre, all its bases together), with probability p. ``days`` holds T or N."""

    days: float
    probability: float
    measure: str = "days"
    subject: str | None = None
    """The replication column ``days`` reads when not the base's own: ``theatre.days_to_last_out`` (a theatre's
    whole withdrawal) or ``base.<name>.days_to_base_empty`` (one base of it)."""

    @property
    def column(self) -> str:
        return self.subject if self.subject is not None and self.measure == "days" else _COLUMNS[self.measure]

    def __str__(self) -> str:
        return f"P({self.measure} <= {self.days:g}) >= {self.probability:g}"

    def short(self) -> str:
        """``P(<= 30 days)``: how a sentence names the probability (``P(nothing left behind)``, ``P(at most 3 loads
        and vehicles left behind)`` for a deadline's target)."""
        if self.measure == "left":
            return "P(nothing left behind)" if self.days == 0 else f"P(at most {self.days:g} loads and vehicles left behind)"
        what = "" if self.measure == "days" else "force closure "
        if self.measure == "days" and self.subject == "theatre.days_to_last_out":
            what = "last out "
        elif self.measure == "days" and self.subject:
            what = f"{self.subject.split('.')[1]} empty "
        return f"P({what}<= {self.days:g} days)"


def parse_target(text: str) -> Target:
    """``"P(days <= 30) >= 0.9"`` (or ``>= 90%``) as a :class:`Target`; ValueError with what to write otherwise."""
    example = (
        'write it as "P(days <= 30) >= 0.9" (days to base empty, or force_days to force closure, or left for the loads and vehicles '
        "a deadline leaves behind, e.g. P(left <= 0) >= 0.9; the probability as 0.9 or 90%)"
    )
    m = _TARGET.match(text or "")
    if not m:
        raise ValueError(f'target "{text}": cannot read it; {example}')
    measure, days, p, percent = m.group(1), float(m.group(2)), float(m.group(3)), m.group(4)
    p = p / 100 if percent else p
    if days <= 0 and measure != "left":
        raise ValueError(f'target "{text}": the date must be after day 0; {example}')
    if not 0 < p < 1:
        raise ValueError(f'target "{text}": the probability must be strictly between 0 and 1 (0% and 100%); {example}')
    return Target(days, p, measure)


# ---- the options file ---------------------------------------------------------------------------


class _LeverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    add: str | list[int]
    cost: float = Field(ge=0)
    unit: str = Field(min_length=1)
    units: str | None = None
    source: str = ""


class _PlanFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    target: str | None = None
    budget: float | None = Field(default=None, gt=0)
    seed: int = Field(default=20260223, ge=0)
    trials: int = Field(default=48, ge=2)
    population: int = Field(default=12, ge=2)
    replications: int = Field(default=100, ge=20)
    replications_near_target: int = Field(default=300, ge=20)
    indifference: float = Field(default=0.03, gt=0, lt=0.5)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    confirm: int = Field(default=6, ge=1)
    batch: int = Field(default=20, ge=1)
    first_stage: int = Field(default=10, ge=2)
    check_replications: int = Field(default=1000, ge=0)
    levers: dict[str, Any] = Field(min_length=1)


@dataclass(frozen=True)
class Lever:
    """One number a plan may add to: its dotted path, the whole units allowed, and what a unit costs."""

    path: str
    levels: tuple[int, ...]
    cost: float
    unit: str
    units: str
    source: str = ""

    @property
    def step(self) -> int:
        steps = {b - a for a, b in zip(self.levels, self.levels[1:], strict=False)}
        return steps.pop() if len(steps) == 1 else 1

    def words(self, n: int) -> str:
        return f"{n} {self.unit if abs(n) == 1 else self.units}"


@dataclass(frozen=True)
class PlanOptions:
    """A plan study: levers, target, budget, and how hard to search and confirm."""

    name: str
    levers: tuple[Lever, ...]
    target: Target | None = None
    budget: float | None = None
    seed: int = 20260223
    trials: int = 48
    population: int = 12
    replications: int = 100
    replications_near_target: int = 300
    indifference: float = 0.03
    confidence: float = 0.95
    confirm: int = 6
    batch: int = 20
    first_stage: int = 10
    check_replications: int = 1000
    description: str = ""
    path: str = ""

    def cost(self, units: Candidate) -> float:
        return float(sum(lever.cost * n for lever, n in zip(self.levers, units, strict=True)))

    def within_budget(self, units: Candidate) -> bool:
        return self.budget is None or self.cost(units) <= self.budget


def read_plan_options(path: Path | str, scenario: Scenario) -> PlanOptions:
    """Read and check a plan file against the scenario; a :class:`ScenarioError` names file, line and field."""
    table, text = read_toml(path)
    where = str(path)
    if (other := other_kind_of_file(table, "plan")) is not None:
        raise NotAScenario(where, [Problem("", other)])
    try:
        model = _PlanFile.model_validate(table)
    except ValidationError as exc:
        raise ScenarioError(where, [_problem(err, text) for err in exc.errors()]) from None
    problems: list[Problem] = []
    levers = []
    for lever_path, spec in flatten_factors(model.levers, leaves=LEVER_KEYS).items():
        try:
            levers.append(_lever(lever_path, spec, scenario))
        except _LeverProblem as exc:
            problems.append(Problem(f"levers.{lever_path}{exc.key}", exc.message, _lever_line(text, lever_path, exc.key)))
    target = None
    if model.target is not None:
        try:
            target = parse_target(model.target)
        except ValueError as exc:
            problems.append(Problem("target", str(exc), locate(text, "target")))
    if problems:
        raise ScenarioError(where, problems)
    data = model.model_dump(exclude={"levers", "target"})
    return PlanOptions(levers=tuple(levers), target=target, path=where, **data)


def _problem(err: Mapping[str, Any], text: str) -> Problem:
    dotted = ".".join(str(x) for x in err["loc"])
    message = err["msg"][0].lower() + err["msg"][1:]
    if err["type"] == "extra_forbidden":
        message = (
            "unknown key; a plan file has name, description, target, budget, seed, trials, population, replications, "
            "replications_near_target, indifference, confidence, confirm, batch, first_stage, check_replications and [levers]"
        )
    if err["type"] == "missing" and dotted == "levers":
        message = 'no [levers]; add e.g. [levers."fleet.het.count"] with add = "0:10:2", cost = 5 and unit = "HET"'
    return Problem(dotted, message, locate(text, dotted))


class _LeverProblem(Exception):
    def __init__(self, key: str, message: str):
        self.key = f".{key}" if key else ""
        self.message = message


def _lever_line(text: str, path: str, key: str) -> int | None:
    """The line of ``key`` inside the lever's table (or inline table), else the lever's own line."""
    start = _lever_start(text, path)
    if start is None or not key:
        return start
    lines = text.splitlines()
    name = key.lstrip(".").split(".")[0]
    for k in range(start - 1, len(lines)):
        if k > start - 1 and lines[k].lstrip().startswith("["):
            break
        if re.match(rf"\s*{re.escape(name)}\s*=", lines[k]) or re.search(rf"[{{,]\s*{re.escape(name)}\s*=", lines[k]):
            return k + 1
    return start


def _lever_start(text: str, path: str) -> int | None:
    """The line that opens a lever: ``[levers."a.b"]``, ``[levers.a.b]``, or ``"a.b" = {...}`` under ``[levers]``."""
    quoted = rf"[\"']{re.escape(path)}[\"']"
    bare = r"\s*\.\s*".join(re.escape(part) for part in path.split("."))
    patterns = (rf"^[ \t]*\[\s*levers\s*\.\s*({quoted}|{bare})\s*\]", rf"^[ \t]*({quoted}|levers\s*\.\s*{quoted})\s*=")
    for pattern in patterns:
        m = re.search(pattern, text, re.MULTILINE)
        if m:
            return text.count("\n", 0, m.start()) + 1
    return None


def _lever(path: str, spec: object, scenario: Scenario) -> Lever:
    fields = numeric_fields(scenario)
    if path not in fields or path in per_event_fields(scenario):
        close = difflib.get_close_matches(path, list(fields), n=1, cutoff=0.6)
        hint = f"did you mean `{close[0]}`?" if close else "list the scenario's numbers with `evacsim validate SCENARIO`"
        raise _LeverProblem("", f"not a number of the scenario that a plan can add to; {hint}")
    if not isinstance(spec, dict):
        raise _LeverProblem("", 'write a table: [levers."fleet.het.count"] with add = "0:10:2", cost = 5, unit = "HET"')
    try:
        given = _LeverFile.model_validate(spec)
    except ValidationError as exc:
        # An unknown key first: a misspelt "cost" is also a missing one.
        err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
        key = ".".join(str(x) for x in err["loc"][:1])
        message = "unknown key; a lever has add, cost, unit, units and source" if err["type"] == "extra_forbidden" else err["msg"][0].lower() + err["msg"][1:]
        if err["loc"][:1] == ("add",):
            message = 'give the whole units that may be added as "low:high" or "low:high:step" (e.g. "0:40:10") or a list [0, 2, 4]'
        raise _LeverProblem(key, message) from None
    levels = _levels(given.add)
    for units in dict.fromkeys((levels[0], levels[-1])):
        reason = _invalid_with(scenario, path, units)
        if reason:
            raise _LeverProblem("add", f"adding {units} makes the scenario invalid ({reason}); narrow the range")
    return Lever(path, levels, given.cost, given.unit, given.units or f"{given.unit}s", given.source)


def _levels(add: str | list[int]) -> tuple[int, ...]:
    how = 'write whole units as "low:high" or "low:high:step" (e.g. "0:40:10") or a list [0, 2, 4]'
    if isinstance(add, list):
        values = sorted(set(add))
    else:
        parts = [p.strip() for p in add.split(":")]
        if len(parts) not in (2, 3) or not all(re.fullmatch(r"[+-]?\d+", p) for p in parts):
            raise _LeverProblem("add", f'"{add}" is not a range of whole units; {how}')
        low, high, step = int(parts[0]), int(parts[1]), int(parts[2]) if len(parts) == 3 else 1
        if high < low or step < 1:
            raise _LeverProblem("add", f'"{add}": high must be at least low and the step at least 1; {how}')
        values = list(range(low, high + 1, step))
    if len(values) < 2:
        raise _LeverProblem("add", f"a lever needs at least two levels to choose from; {how}")
    return tuple(values)


def _invalid_with(scenario: Scenario, path: str, units: int) -> str | None:
    try:
        variant = shifted(scenario, path, units)
    except StudyError as exc:
        return str(exc)
    except ValidationError as exc:  # named as the file names it (sites.rmelan.loading.teams), as validation says it
        found = problems_from(exc, "")
    else:
        found = scenario_problems(variant)
    return "; ".join(f"{p.field}: {p.message}" for p in found) if found else None
