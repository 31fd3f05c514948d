"""The cheapest additions that make the date: search, confirm, check.

A *plan* adds whole units to some of the scenario's numbers (the *levers*: contracted
trucks, HETs, escort teams, ...), each unit at a cost. The question is the cheapest plan
with ``P(days <= T) >= p0``: ``evacsim plan SCENARIO --target "P(days <= 30) >= 0.9"
--options plan.toml``. Three steps:

1. **Search** (optuna's NSGA-II, cost against probability, seeded from the run's
   ``SeedSequence``). Every candidate runs replications ``0 .. n - 1`` (common random
   numbers: the same cargo, threats and weather for every plan, input by input); a
   candidate whose estimate is within reach of the target gets more of them.
2. **Confirm**: the cheapest candidates that may meet the target are checked on a fresh
   block of replications (the same block for each) by the sequential feasibility check of
   :mod:`sim.analysis.selection`; the pick is the cheapest declared feasible.
3. **Check**: the pick, written as ``--set`` values, is loaded like any scenario and run on
   another seed.

A lever adds to a number as ``evacsim marginal`` does: a constant plus the units, a
distribution shifted whole, so replication ``i`` draws its old value plus the units.
Every candidate's days are kept in ``OUT/chunks/<fingerprint>/`` as they finish; a
killed plan resumes by replaying the search, which finds its evaluations on disk.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.analysis.selection import FEASIBLE, UNDECIDED, Decision, FeasibilityCheck, batch_means, bonferroni_beta, check_feasibility, pareto_front
from sim.analysis.statistics import proportion
from sim.experiment.evaluate import StudyError, shifted
from sim.experiment.executors import Executor, InProcess
from sim.experiment.storage import ResumeError, write_json, write_parquet
from sim.experiment.study import flatten_factors
from sim.replication import prepare, simulate_one
from sim.scenario.distributions import is_distribution
from sim.scenario.draws import numeric_fields, per_event_fields
from sim.scenario.loading import LoadedScenario, Problem, ScenarioError, feasibility_problems, load_scenario, locate, read_toml
from sim.scenario.schema import Scenario

CONFIRM_FIRST = 1_000_000
"""First replication index of the confirmation block: fresh numbers, not those the search chose on."""
SEARCH_STREAM = 0x504C414E
"""Spawn key (one word, unlike any replication's) of the optimiser's seed: "PLAN"."""
BATCH = 50
"""Replications in one task on the executor."""
LEVER_KEYS = frozenset({"add", "cost", "unit", "units", "source"})

Candidate = tuple[int, ...]
Progress = Callable[[str, int, int], None] | None

_TARGET = re.compile(r"^\s*P\(\s*(days|force_days)\s*<=\s*(\d+(?:\.\d*)?)\s*\)\s*>=\s*(\d*\.?\d+)\s*(%?)\s*$")
_COLUMNS = {"days": "days_to_base_empty", "force_days": "days_to_force_closure"}


# ---- the target ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """``P(days <= T) >= p``: days to base empty (or ``force_days``, to force closure) by day T, with probability p."""

    days: float
    probability: float
    measure: str = "days"

    @property
    def column(self) -> str:
        return _COLUMNS[self.measure]

    def __str__(self) -> str:
        return f"P({self.measure} <= {self.days:g}) >= {self.probability:g}"

    def short(self) -> str:
        """``P(<= 30 days)``: how a sentence names the probability."""
        what = "" if self.measure == "days" else "force closure "
        return f"P({what}<= {self.days:g} days)"


def parse_target(text: str) -> Target:
    """``"P(days <= 30) >= 0.9"`` (or ``>= 90%``) as a :class:`Target`; ValueError with what to write otherwise."""
    example = 'write it as "P(days <= 30) >= 0.9" (days to base empty, or force_days to force closure; the probability as 0.9 or 90%)'
    m = _TARGET.match(text or "")
    if not m:
        raise ValueError(f'target "{text}": cannot read it; {example}')
    measure, days, p, percent = m.group(1), float(m.group(2)), float(m.group(3)), m.group(4)
    p = p / 100 if percent else p
    if days <= 0:
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

    def identity(self) -> dict[str, Any]:
        return {"levers": [vars(lever) | {"levels": list(lever.levels)} for lever in self.levers], "budget": self.budget, "target": str(self.target)}


def read_plan_options(path: Path | str, scenario: Scenario) -> PlanOptions:
    """Read and check a plan file against the scenario; a :class:`ScenarioError` names file, line and field."""
    table, text = read_toml(path)
    where = str(path)
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
        import difflib

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
    except ValidationError as exc:
        err = exc.errors()[0]
        return f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}"
    found = feasibility_problems(variant)
    return "; ".join(f"{p.field}: {p.message}" for p in found) if found else None


# ---- evaluating candidates on common random numbers ---------------------------------------------


def plan_scenario(scenario: Scenario, shifts: Iterable[tuple[str, int]]) -> Scenario:
    """The scenario with each lever's units added (distributions shifted whole)."""
    for path, units in shifts:
        if units:
            scenario = shifted(scenario, path, units)
    return scenario


def _candidate_batch(shared: tuple, shifts: tuple[tuple[str, int], ...], start: int, stop: int) -> tuple:
    """Replications ``start .. stop - 1`` of one plan, in a worker: their days and whether each finished."""
    scenario, seed, column = shared
    prepared = prepare(plan_scenario(scenario, shifts))
    days, finished = [], []
    for i in range(start, stop):
        _, outcome, _ = simulate_one(prepared, seed, i)
        days.append(getattr(outcome, column))
        finished.append(outcome.finished)
    return shifts, start, stop, np.asarray(days, float), np.asarray(finished, bool)


def _shifts(levers: Sequence[Lever], units: Candidate) -> tuple[tuple[str, int], ...]:
    """The candidate as (path, units) for the levers it moves: the same plan has the same key in any plan file."""
    return tuple(sorted((lever.path, int(n)) for lever, n in zip(levers, units, strict=True) if n))


class DayStore:
    """Days of every plan, replication by replication, in memory and (with a folder) on disk.

    One Parquet file a plan (``replication``, ``days``, ``finished``), rewritten atomically
    as batches finish, so a killed study keeps what it ran.
    """

    def __init__(self, folder: Path | None = None):
        self.folder = folder
        self.known: dict[tuple, dict[int, tuple[float, bool]]] = {}

    def _file(self, shifts: tuple) -> Path | None:
        if self.folder is None:
            return None
        key = json.dumps(shifts).encode()
        return self.folder / f"plan-{hashlib.sha256(key).hexdigest()[:16]}.parquet"

    def _load(self, shifts: tuple) -> dict[int, tuple[float, bool]]:
        if shifts not in self.known:
            rows: dict[int, tuple[float, bool]] = {}
            path = self._file(shifts)
            if path is not None and path.exists():
                try:
                    frame = pd.read_parquet(path)
                    rows = {int(r): (float(d), bool(f)) for r, d, f in zip(frame["replication"], frame["days"], frame["finished"], strict=True)}
                except (OSError, ValueError, KeyError):
                    rows = {}
            self.known[shifts] = rows
        return self.known[shifts]

    def missing(self, shifts: tuple, indices: range, size: int = BATCH) -> list[tuple[int, int]]:
        """Runs of missing replications as (start, stop), each at most ``size`` long."""
        have = self._load(shifts)
        out: list[tuple[int, int]] = []
        for i in indices:
            if i in have:
                continue
            if out and out[-1][1] == i and i - out[-1][0] < size:
                out[-1] = (out[-1][0], i + 1)
            else:
                out.append((i, i + 1))
        return out

    def add(self, shifts: tuple, start: int, days: np.ndarray, finished: np.ndarray) -> None:
        have = self._load(shifts)
        for k, (d, f) in enumerate(zip(days, finished, strict=True)):
            have[start + k] = (float(d), bool(f))
        path = self._file(shifts)
        if path is not None:
            order = sorted(have)
            frame = pd.DataFrame({"replication": order, "days": [have[i][0] for i in order], "finished": [have[i][1] for i in order]})
            write_parquet(path, frame)

    def successes(self, shifts: tuple, indices: range, target: Target) -> np.ndarray:
        """1 where the replication finished by the target date, in replication order."""
        have = self._load(shifts)
        return np.array([1.0 if have[i][1] and have[i][0] <= target.days else 0.0 for i in indices])


def run_plans(
    scenario: Scenario,
    requests: Sequence[tuple[tuple, range]],
    seed: int,
    column: str,
    store: DayStore,
    executor: Executor,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Run what the store lacks of each (plan, replications) request; returns the replications run."""
    tasks = []
    for shifts, indices in dict.fromkeys((s, (r.start, r.stop)) for s, r in requests):
        tasks += [(shifts, a, b) for a, b in store.missing(shifts, range(*indices))]
    ran = 0
    for shifts, start, stop, days, finished in executor.map_unordered(_candidate_batch, (scenario, seed, column), tasks):
        store.add(shifts, start, days, finished)
        ran += stop - start
        if progress:
            progress(stop - start)
    return ran


def fingerprint(scenario: Scenario, seed: int) -> str:
    """What the stored days depend on: the scenario and the seed (not the levers, target or budget)."""
    digest = hashlib.sha256(json.dumps(scenario.model_dump(mode="json"), sort_keys=True).encode())
    digest.update(f"plan:{seed}".encode())
    return digest.hexdigest()[:16]


# ---- search -------------------------------------------------------------------------------------


def optimiser_seed(seed: int) -> int:
    """The optimiser's seed, spawned from the run's ``SeedSequence``: the same seed gives the same plan."""
    return int(np.random.SeedSequence(seed, spawn_key=(SEARCH_STREAM,)).generate_state(1)[0])


def _near(successes: float, n: int, target: Target, indifference: float) -> bool:
    """Whether the estimate's 95% interval reaches into the indifference zone around the target."""
    p = proportion(int(successes), n)
    return p.ci_low <= target.probability + indifference and p.ci_high >= target.probability - indifference


def search(
    scenario: Scenario,
    options: PlanOptions,
    target: Target,
    seed: int,
    store: DayStore,
    executor: Executor,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """NSGA-II over the levers (cost down, probability up), a generation at a time on the executor,
    then a descent from the cheapest plan found that meets the target.

    The first generation starts with the plan that adds the least, the one that adds the most,
    and each lever alone at its most, so the front spans the range and every lever is seen
    once. Plans over the budget are never run: the optimiser is told they break its
    constraint. Returns one row per plan tried (its search estimate) with how it was found.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = optuna.samplers.NSGAIISampler(population_size=options.population, seed=optimiser_seed(seed))
    study = optuna.create_study(directions=["minimize", "maximize"], sampler=sampler)
    for params in _first_plans(options.levers):
        study.enqueue_trial(params)
    rows: dict[Candidate, dict[str, Any]] = {}
    evaluate = _Evaluator(scenario, options, target, seed, store, executor, progress, rows)
    asked = 0
    while asked < options.trials:
        trials = [study.ask() for _ in range(min(options.population, options.trials - asked))]
        asked += len(trials)
        units = [tuple(_suggest(t, lever) for lever in options.levers) for t in trials]
        found = evaluate([u for u in units if options.within_budget(u)], "optimiser")
        for trial, u in zip(trials, units, strict=True):
            over = 0.0 if options.budget is None else max(0.0, options.cost(u) - options.budget)
            trial.set_constraint("budget", over)
            study.tell(trial, [options.cost(u), 0.0 if over else found[u]])
    _descend(options, target, rows, evaluate)
    columns = [lever.path for lever in options.levers]
    columns += ["plan", "cost", "search_replications", "search_p", "search_ci_low", "search_ci_high", "found_by", "trials"]
    return pd.DataFrame(list(rows.values()), columns=columns)


def _first_plans(levers: Sequence[Lever]) -> list[dict[str, int]]:
    least = {lever.path: lever.levels[0] for lever in levers}
    most = {lever.path: lever.levels[-1] for lever in levers}
    alone = [least | {lever.path: lever.levels[-1]} for lever in levers]
    return [least, most, *(p for p in alone if p != most)]


@dataclass
class _Evaluator:
    """Runs plans for the search: replications ``0 .. replications - 1``, and ``0 .. replications_near_target - 1``
    for those whose estimate is within reach of the target; records each plan's row."""

    scenario: Scenario
    options: PlanOptions
    target: Target
    seed: int
    store: DayStore
    executor: Executor
    progress: Callable[[int], None] | None
    rows: dict[Candidate, dict[str, Any]]

    @property
    def blocks(self) -> tuple[range, range]:
        return range(self.options.replications), range(max(self.options.replications, self.options.replications_near_target))

    def _run(self, units: Sequence[Candidate], indices: range) -> None:
        requests = [(_shifts(self.options.levers, u), indices) for u in units]
        run_plans(self.scenario, requests, self.seed, self.target.column, self.store, self.executor, self.progress)

    def wins(self, u: Candidate, indices: range) -> np.ndarray:
        return self.store.successes(_shifts(self.options.levers, u), indices, self.target)

    def __call__(self, units: Sequence[Candidate], how: str, near_only: bool = False) -> dict[Candidate, float]:
        first, near = self.blocks
        units = list(dict.fromkeys(units))
        if not near_only:
            self._run(units, first)
        wider = units if near_only else [u for u in units if _near(self.wins(u, first).sum(), len(first), self.target, self.options.indifference)]
        self._run(wider, near)
        out = {}
        for u in units:
            wins = self.wins(u, near if u in wider else first)
            out[u] = float(wins.mean())
            row = self.rows.setdefault(u, {"found_by": how, "trials": 0})
            if len(wins) > row.get("search_replications", 0):
                row.update(_estimate_row(self.options, u, wins, "search"))
            row["trials"] += 1
        return out


def _descend(options: PlanOptions, target: Target, rows: dict[Candidate, dict[str, Any]], evaluate: _Evaluator) -> None:
    """From the cheapest plan whose estimate meets the target, take one step off one lever at a time while
    the estimate (on the near-target replications, the same for every plan) still meets it, cheapest first.

    The optimiser's few generations leave plans with additions that buy little; this local
    descent removes them.
    """
    _, near = evaluate.blocks
    meeting = [u for u, r in rows.items() if r["search_replications"] == len(near) and r["search_p"] >= target.probability]
    if not meeting:
        return
    current = min(meeting, key=lambda u: (options.cost(u), -rows[u]["search_p"]))
    while True:
        steps = [u for u in _one_step_less(options.levers, current) if options.within_budget(u)]
        if not steps:
            return
        found = evaluate(steps, "descent", near_only=True)
        better = [u for u in steps if found[u] >= target.probability]
        if not better:
            return
        current = min(better, key=lambda u: (options.cost(u), -found[u]))


def _one_step_less(levers: Sequence[Lever], units: Candidate) -> list[Candidate]:
    out = []
    for k, lever in enumerate(levers):
        level = lever.levels.index(units[k])
        if level > 0:
            out.append((*units[:k], lever.levels[level - 1], *units[k + 1 :]))
    return out


def _suggest(trial: optuna.trial.Trial, lever: Lever) -> int:
    if lever.step > 1 or len(lever.levels) == lever.levels[-1] - lever.levels[0] + 1:
        return trial.suggest_int(lever.path, lever.levels[0], lever.levels[-1], step=lever.step)
    return int(trial.suggest_categorical(lever.path, list(lever.levels)))


def _estimate_row(options: PlanOptions, units: Candidate, wins: np.ndarray, stage: str) -> dict[str, Any]:
    p = proportion(int(wins.sum()), len(wins))
    row: dict[str, Any] = {lever.path: n for lever, n in zip(options.levers, units, strict=True)}
    row.update(
        {
            "plan": describe_plan(options.levers, units),
            "cost": options.cost(units),
            f"{stage}_replications": len(wins),
            f"{stage}_p": p.estimate,
            f"{stage}_ci_low": p.ci_low,
            f"{stage}_ci_high": p.ci_high,
        }
    )
    return row


def describe_plan(levers: Sequence[Lever], units: Candidate) -> str:
    """``add 4 HETs and 20 contracted trucks`` (largest cost first); ``add nothing`` for the empty plan."""
    parts = sorted(((lever.cost * n, lever.words(n)) for lever, n in zip(levers, units, strict=True) if n), key=lambda x: -x[0])
    words = [w for _, w in parts]
    if not words:
        return "add nothing"
    return "add " + (words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1])


# ---- confirmation -------------------------------------------------------------------------------


def shortlist(candidates: pd.DataFrame, options: PlanOptions, target: Target) -> pd.DataFrame:
    """The plans to confirm, cheapest first: those whose search estimate is within the indifference zone
    of the target or above, and the cheapest the search found clearly above it (a fallback)."""
    paths = [lever.path for lever in options.levers]
    ordered = candidates.sort_values(["cost", "search_p"], ascending=[True, False]).drop_duplicates(paths)
    maybe = ordered[ordered["search_p"] >= target.probability - options.indifference]
    chosen = maybe.head(options.confirm)
    safe = ordered[ordered["search_ci_low"] >= target.probability]
    if len(safe) and safe.index[0] not in chosen.index:
        chosen = pd.concat([chosen.head(options.confirm - 1), safe.head(1)])
    return chosen.sort_values(["cost", "search_p"], ascending=[True, False])


def confirm(
    scenario: Scenario,
    options: PlanOptions,
    target: Target,
    chosen: pd.DataFrame,
    seed: int,
    store: DayStore,
    executor: Executor,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """The feasibility check of every shortlisted plan on the confirmation block, run stage by stage."""
    if chosen.empty:
        return chosen.assign(verdict=[], confirm_replications=[], confirm_p=[], confirm_ci_low=[], confirm_ci_high=[])
    check = FeasibilityCheck(target.probability, options.indifference, bonferroni_beta(1 - options.confidence, len(chosen)), options.first_stage, options.batch)
    units = [tuple(int(r[lever.path]) for lever in options.levers) for _, r in chosen.iterrows()]
    wanted = dict.fromkeys(units, check.first_stage)
    decisions: dict[Candidate, Decision] = {}
    while wanted:
        block = {u: range(CONFIRM_FIRST, CONFIRM_FIRST + n * check.batch) for u, n in wanted.items()}
        run_plans(scenario, [(_shifts(options.levers, u), r) for u, r in block.items()], seed, target.column, store, executor, progress)
        for u, r in block.items():
            decision = check_feasibility(batch_means(store.successes(_shifts(options.levers, u), r, target), check.batch), check)
            decisions[u] = decision
            if decision.verdict != UNDECIDED:
                wanted.pop(u)
            else:
                wanted[u] = min(decision.most_observations, decision.observations + check.first_stage)
    out = []
    for u, (_, row) in zip(units, chosen.iterrows(), strict=True):
        d = decisions[u]
        wins = store.successes(_shifts(options.levers, u), range(CONFIRM_FIRST, CONFIRM_FIRST + d.observations * check.batch), target)
        out.append({**row.to_dict(), **_estimate_row(options, u, wins, "confirm"), "verdict": d.verdict, "decided_after_batches": d.observations})
    table = pd.DataFrame(out)
    table.attrs["check"] = check
    return table


def rank(confirmed: pd.DataFrame, target: Target, indifference: float) -> pd.DataFrame:
    """The pick (cheapest declared feasible), runners-up (the other feasible plans, and infeasible ones whose
    estimate is within the indifference zone below the target) and the rest, as ``status``."""
    if confirmed.empty:
        return confirmed.assign(status=[])
    feasible = confirmed["verdict"] == FEASIBLE
    status = np.where(feasible, "runner-up", "infeasible")
    close = (~feasible) & (confirmed["confirm_p"] >= target.probability - indifference)
    status = np.where(close, "runner-up (within the indifference zone)", status)
    out = confirmed.assign(status=status).sort_values(["cost", "confirm_p"], ascending=[True, False], ignore_index=True)
    picks = out.index[out["verdict"] == FEASIBLE]
    if len(picks):
        out.loc[picks[0], "status"] = "recommended"
    return out


# ---- the whole study ----------------------------------------------------------------------------


def set_values(scenario: Scenario, levers: Sequence[Lever], units: Candidate) -> list[str]:
    """The plan as ``--set`` overrides (``path=value`` in TOML): a distribution shifted whole, a constant moved."""
    variant = plan_scenario(scenario, _shifts(levers, units))
    fields = numeric_fields(variant)
    out = []
    for lever, n in zip(levers, units, strict=True):
        if not n:
            continue
        value = fields[lever.path]
        out.append(f"{lever.path}={_toml(value.model_dump(mode='json', exclude_none=True) if is_distribution(value) else value)}")
    return out


def _toml(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


@dataclass
class PlanResult:
    """What ``evacsim plan`` found: every plan tried, the Pareto front, the confirmed shortlist, the check."""

    target: Target
    options: PlanOptions
    candidates: pd.DataFrame
    pareto: pd.DataFrame
    ranked: pd.DataFrame
    sentence: str
    pick: dict[str, Any] | None = None
    overrides: list[str] = field(default_factory=list)
    check: dict[str, Any] | None = None
    replications_run: int = 0
    confirmation: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def plan(
    loaded: LoadedScenario,
    options: PlanOptions,
    target: Target | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    folder: Path | None = None,
    resume: bool = False,
    progress: Progress = None,
) -> PlanResult:
    """Search, confirm and check the cheapest plan that meets ``target`` (default: the options file's).

    With ``folder``, every plan's days are kept in ``folder/chunks/<fingerprint>/`` and
    reused; ``resume`` requires them to be there (the same scenario and seed).
    """
    target = target or options.target
    if target is None:
        raise ValueError('no target: give one, e.g. "P(days <= 30) >= 0.9"')
    seed = options.seed if seed is None else seed
    scenario = loaded.scenario
    store = DayStore(_store_folder(folder, scenario, seed, resume))
    executor = executor or InProcess()
    counted = [0]

    def step(label: str) -> Callable[[int], None]:
        def advance(n: int) -> None:
            counted[0] += n
            if progress is not None:
                progress(label, counted[0], 0)

        return advance

    candidates = search(scenario, options, target, seed, store, executor, step("search"))
    candidates["pareto"] = pareto_front(candidates["cost"], candidates["search_p"])
    front = candidates[candidates["pareto"]].sort_values("cost", ignore_index=True)
    confirmed = confirm(scenario, options, target, shortlist(candidates, options, target), seed, store, executor, step("confirm"))
    ranked = rank(confirmed, target, options.indifference)
    result = PlanResult(target, options, candidates, front, ranked, "")
    if "check" in confirmed.attrs:
        check: FeasibilityCheck = confirmed.attrs["check"]
        result.confirmation = {
            "procedure": "Andradóttir-Kim (2010) sequential feasibility check, Bonferroni over the shortlist",
            "shortlist": len(confirmed),
            "indifference": options.indifference,
            "confidence": options.confidence,
            "beta_each": check.beta,
            "batch": check.batch,
            "first_stage_batches": check.first_stage,
            "h2": check.h2,
            "first_replication": CONFIRM_FIRST,
        }
    picked = ranked[ranked["status"] == "recommended"] if len(ranked) else ranked
    if len(picked):
        pick = picked.iloc[0].to_dict()
        units = tuple(int(pick[lever.path]) for lever in options.levers)
        result.pick = pick
        result.overrides = set_values(scenario, options.levers, units)
        if options.check_replications:
            result.check = check_plan(loaded, result.overrides, target, seed + 1, options.check_replications, executor)
    else:
        result.warnings.append(_none_found(options, target, candidates))
    result.sentence = sentence(result)
    result.replications_run = counted[0]
    return result


def _store_folder(folder: Path | None, scenario: Scenario, seed: int, resume: bool) -> Path | None:
    if folder is None:
        return None
    where = Path(folder) / "chunks" / fingerprint(scenario, seed)
    if resume and not where.is_dir():
        raise ResumeError(
            f"{folder}: cannot resume: its stored plans are of another scenario or seed; resume with the same scenario, --set and --seed, "
            "--force to run this one in that folder, or choose another --out"
        )
    where.mkdir(parents=True, exist_ok=True)
    return where


def check_plan(loaded: LoadedScenario, overrides: Sequence[str], target: Target, seed: int, replications: int, executor: Executor) -> dict[str, Any]:
    """A fresh run of the plan as a user would type it (the scenario file, its ``--set`` and the plan's) on another seed."""
    scenario = load_scenario(loaded.path, [*loaded.overrides, *overrides]).scenario
    store = DayStore()
    run_plans(scenario, [((), range(replications))], seed, target.column, store, executor)
    wins = store.successes((), range(replications), target)
    p = proportion(int(wins.sum()), replications)
    return {
        "seed": seed,
        "replications": replications,
        "p": p.estimate,
        "ci_low": p.ci_low,
        "ci_high": p.ci_high,
        "meets_target_within_ci": bool(p.ci_high >= target.probability),
    }


def _none_found(options: PlanOptions, target: Target, candidates: pd.DataFrame) -> str:
    best = candidates.sort_values(["search_p", "cost"], ascending=[False, True]).iloc[0] if len(candidates) else None
    budget = f" and the budget of {options.budget:g}" if options.budget is not None else ""
    text = f"no plan within the levers' ranges{budget} was confirmed to meet {target}"
    if best is not None:
        text += f"; the best found, {best['plan']} (cost {best['cost']:g}), gives {target.short()} = {best['search_p']:.0%}"
    return text + "; widen the ranges, add levers or raise the budget"


def sentence(result: PlanResult) -> str:
    """The answer in words: ``add 4 HETs and 20 contracted trucks: P(<= 30 days) = 91% (89-93%), cost 28 units``."""
    if result.pick is None:
        return result.warnings[-1][0].upper() + result.warnings[-1][1:] + "." if result.warnings else "No plan found."
    p = result.pick
    text = (
        f"{p['plan'][0].upper()}{p['plan'][1:]}: {result.target.short()} = {p['confirm_p']:.0%} "
        f"({100 * p['confirm_ci_low']:.0f}-{100 * p['confirm_ci_high']:.0f}%), cost {p['cost']:g} units"
    )
    return text + f" (target {result.target.probability:.0%}, confirmed on {int(p['confirm_replications'])} fresh replications)."


def summary(result: PlanResult) -> dict[str, Any]:
    """The plan's JSON summary (``plan.json``): target, pick, its ``--set`` values, the check, the procedure."""
    pick = None
    if result.pick is not None:
        pick = {k: (v.item() if hasattr(v, "item") else v) for k, v in result.pick.items()}
    return {
        "target": str(result.target),
        "sentence": result.sentence,
        "pick": pick,
        "set": result.overrides,
        "check": result.check,
        "confirmation": result.confirmation,
        "candidates_tried": len(result.candidates),
        "pareto_points": len(result.pareto),
        "replications_run": result.replications_run,
        "warnings": result.warnings,
    }


def write_tables(folder: Path, result: PlanResult) -> None:
    """``plan.csv`` (the shortlist, ranked), ``pareto.csv``, ``candidates.csv`` and ``plan.json``."""
    result.ranked.to_csv(folder / "plan.csv", index=False)
    result.pareto.to_csv(folder / "pareto.csv", index=False)
    result.candidates.to_csv(folder / "candidates.csv", index=False)
    write_json(folder / "plan.json", summary(result))


def levers_record(options: PlanOptions) -> list[dict[str, Any]]:
    """The levers as the manifest lists them."""
    return [
        {"path": lever.path, "levels": list(lever.levels), "cost_per_unit": lever.cost, "unit": lever.unit, "units": lever.units, "source": lever.source}
        for lever in options.levers
    ]


def grid(options: PlanOptions) -> list[Candidate]:
    """Every plan of the levers' levels (for a brute-force check on small cases)."""
    out: list[Candidate] = [()]
    for lever in options.levers:
        out = [(*u, n) for u in out for n in lever.levels]
    return out
