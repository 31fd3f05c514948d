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

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

try:
    import optuna
except ImportError:  # the `plan` extra
    from sim.extras import MissingExtra

    raise MissingExtra("plan") from None

from sim.analysis.selection import FEASIBLE, UNDECIDED, Decision, FeasibilityCheck, batch_means, bonferroni_beta, check_feasibility, pareto_front
from sim.analysis.statistics import proportion
from sim.experiment.engine import Batch, Store, Work, execute
from sim.experiment.evaluate import shifted
from sim.experiment.executors import Executor, InProcess
from sim.experiment.manifest import new_manifest, write_manifest
from sim.experiment.plan_file import Candidate, Lever, PlanOptions, Target
from sim.experiment.storage import ResumeError, write_json, write_parquet
from sim.experiment.storage import fingerprint as fingerprint_of
from sim.replication import Prepared, prepare, simulate_one
from sim.scenario.distributions import is_distribution
from sim.scenario.draws import numeric_fields
from sim.scenario.loading import LoadedScenario, load_scenario
from sim.scenario.schema import Scenario

CONFIRM_FIRST = 1_000_000
"""First replication index of the confirmation block: fresh numbers, not those the search chose on."""
SEARCH_STREAM = 0x504C414E
"""Spawn key (one word, unlike any replication's) of the optimiser's seed: "PLAN"."""
KIND = "plan"
"""The kind of a plan's results folder."""

BATCH = 50
"""Replications in one task on the executor."""
Progress = Callable[[str, int, int], None] | None


# ---- evaluating candidates on common random numbers ---------------------------------------------


def plan_scenario(scenario: Scenario, shifts: Iterable[tuple[str, int]]) -> Scenario:
    """The scenario with each lever's units added (distributions shifted whole)."""
    for path, units in shifts:
        if units:
            scenario = shifted(scenario, path, units)
    return scenario


def plan_record(prepared: Prepared, point: int, index: int, work: Work) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """The engine's recorder of a plan: replication ``index`` of plan ``point``, its days (the target's column,
    ``work.context[0]``) and whether it finished."""
    _, outcome, _ = simulate_one(prepared, work.seed, index)
    column = str(work.context[0])
    if column == "left_behind.total" and outcome.theatre is not None:  # a theatre's bases together
        theatre = outcome.theatre
        left = sum(int(base.columns.get(column, 0)) for base in theatre.bases.values())
        return {"replication": index, "days": float(left), "finished": bool(theatre.finished)}, {}
    if column.startswith(("theatre.", "base.")) and outcome.theatre is not None:
        theatre = outcome.theatre
        if column == "theatre.days_to_last_out":
            return {"replication": index, "days": float(theatre.days_to_last_out), "finished": bool(theatre.finished)}, {}
        name = column.split(".")[1]
        if not theatre.leaves[name]:  # a base that stays has nothing to move: out from day 0
            return {"replication": index, "days": 0.0, "finished": True}, {}
        base = theatre.bases[name]
        return {"replication": index, "days": float(base.days_to_base_empty), "finished": bool(base.finished)}, {}
    return {"replication": index, "days": float(getattr(outcome, column)), "finished": bool(outcome.finished)}, {}


def plan_key(levers: Sequence[Lever], units: Candidate) -> tuple[tuple[str, int], ...]:
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
        return self.folder / f"plan-{fingerprint_of(list(shifts))[:16]}.parquet"

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
    """Run what the store lacks of each (plan, replications) request on the engine; returns the replications run.

    The plans asked for are the points of one work (each plan's scenario prepared once, here), and the
    runs of replications the store lacks (at most :data:`BATCH` long) its batches."""
    wanted: dict[tuple, list[tuple[int, int]]] = {}
    for shifts, indices in dict.fromkeys((s, (r.start, r.stop)) for s, r in requests):
        wanted.setdefault(shifts, []).extend(store.missing(shifts, range(*indices)))
    plans = [shifts for shifts, runs in wanted.items() if runs]
    if not plans:
        return 0
    replications = max(b for runs in wanted.values() for _, b in runs)
    points = tuple(prepare(plan_scenario(scenario, shifts)) for shifts in plans)
    work = Work(points, seed, replications, label_points=True, recorder=plan_record, context=(column,))
    todo = [(p * replications + a, p * replications + b) for p, shifts in enumerate(plans) for a, b in wanted[shifts]]
    ran = 0

    def take(batch: Batch) -> None:
        nonlocal ran
        table = batch.records
        point, start = work.unit(batch.start)
        store.add(plans[point], start, table["days"].to_numpy(), table["finished"].to_numpy())
        ran += len(batch)
        if progress:
            progress(len(batch))

    execute(work, Store(None, keep=False), executor, todo=todo, on_batch=take)
    return ran


def fingerprint(scenario: Scenario, seed: int, column: str = "days_to_base_empty") -> str:
    """What the stored days depend on: the scenario, the seed and the column of days kept (not the levers, budget or
    the target's day); evacsim's one fingerprint (:func:`sim.experiment.storage.fingerprint`), cut to 16 hex digits
    for a folder name. The base's own column keeps the fingerprint plans had before a theatre could be measured whole."""
    column_part = {} if column == "days_to_base_empty" else {"column": column}
    return fingerprint_of({"plan": scenario.model_dump(mode="json"), "seed": seed, **column_part})[:16]


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
        requests = [(plan_key(self.options.levers, u), indices) for u in units]
        run_plans(self.scenario, requests, self.seed, self.target.column, self.store, self.executor, self.progress)

    def wins(self, u: Candidate, indices: range) -> np.ndarray:
        return self.store.successes(plan_key(self.options.levers, u), indices, self.target)

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
        run_plans(scenario, [(plan_key(options.levers, u), r) for u, r in block.items()], seed, target.column, store, executor, progress)
        for u, r in block.items():
            decision = check_feasibility(batch_means(store.successes(plan_key(options.levers, u), r, target), check.batch), check)
            decisions[u] = decision
            if decision.verdict != UNDECIDED:
                wanted.pop(u)
            else:
                wanted[u] = min(decision.most_observations, decision.observations + check.first_stage)
    out = []
    for u, (_, row) in zip(units, chosen.iterrows(), strict=True):
        d = decisions[u]
        wins = store.successes(plan_key(options.levers, u), range(CONFIRM_FIRST, CONFIRM_FIRST + d.observations * check.batch), target)
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
    variant = plan_scenario(scenario, plan_key(levers, units))
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
    folder: Path | None = None
    """Where the plan's folder was written (set by :func:`sim.api.plan`)."""


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
    store = DayStore(_store_folder(folder, scenario, seed, resume, target.column))
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
        result.warnings.append(_none_found(options, target, candidates, ranked))
    result.sentence = sentence(result)
    result.replications_run = counted[0]
    return result


def _store_folder(folder: Path | None, scenario: Scenario, seed: int, resume: bool, column: str = "days_to_base_empty") -> Path | None:
    if folder is None:
        return None
    where = Path(folder) / "chunks" / fingerprint(scenario, seed, column)
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


def _none_found(options: PlanOptions, target: Target, candidates: pd.DataFrame, confirmed: pd.DataFrame) -> str:
    """Why no plan is recommended, never reading as a contradiction: the search's best figure is an estimate on
    few replications, said beside what fresh replications gave (that plan's own, or the best of those confirmed)."""
    best = candidates.sort_values(["search_p", "cost"], ascending=[False, True]).iloc[0] if len(candidates) else None
    budget = f" and the budget of {options.budget:g} request points" if options.budget is not None else ""
    text = f"no plan within the levers' ranges{budget} was confirmed to meet {target}"
    if best is None:
        return text + "; widen the ranges, add levers or raise the budget"
    text += (
        f"; the search's best estimate, {target.short()} = {best['search_p']:.0%} for {best['plan']} (cost {best['cost']:g} request points)"
        f" on its {int(best['search_replications']):,} search replications, was not confirmed on fresh replications"
    )
    same = confirmed[confirmed["plan"] == best["plan"]] if len(confirmed) else confirmed
    if len(same):
        text += f": on {_fresh(same.iloc[0])} the same plan gave {_confirmed_p(same.iloc[0])}"
    elif not len(confirmed):  # nothing came close enough in the search to be run again: `confirm` would not help
        text += "; no plan came within reach of the target in the search, so none was run on fresh replications"
    else:
        few = (
            "the cheapest plan within reach of the target is"
            if options.confirm == 1
            else f"the {options.confirm} cheapest plans within reach of the target are"
        )
        text += f" (only {few}, `confirm` in the plan file)"
        if len(confirmed):
            top = confirmed.sort_values(["confirm_p", "cost"], ascending=[False, True]).iloc[0]
            text += f"; the best of those, {top['plan']}, gave {_confirmed_p(top)} on {_fresh(top)}"
    return text + "; widen the ranges, add levers or raise the budget"


def _confirmed_p(row: pd.Series) -> str:
    return f"{row['confirm_p']:.0%} ({100 * row['confirm_ci_low']:.0f}-{100 * row['confirm_ci_high']:.0f}%)"


def _fresh(row: pd.Series) -> str:
    return f"{int(row['confirm_replications']):,} fresh replications"


def sentence(result: PlanResult) -> str:
    """The answer in words: ``add 4 HETs and 20 contracted trucks: P(<= 30 days) = 91% (89-93%), cost 28 request points``
    (the cost unit of the plan's tables: a lever's cost per unit, in request points)."""
    if result.pick is None:
        return result.warnings[-1][0].upper() + result.warnings[-1][1:] + "." if result.warnings else "No plan found."
    p = result.pick
    text = (
        f"{p['plan'][0].upper()}{p['plan'][1:]}: {result.target.short()} = {p['confirm_p']:.0%} "
        f"({100 * p['confirm_ci_low']:.0f}-{100 * p['confirm_ci_high']:.0f}%), cost {p['cost']:g} request points"
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


def write_plan_folder(folder: Path, loaded: LoadedScenario, study: PlanOptions, goal: Target, seed: int, result: PlanResult) -> None:
    """A plan's folder: its tables and its manifest (:func:`sim.api.plan` draws its figure)."""
    write_tables(folder, result)
    info = {
        "options_path": study.path,
        "target": str(goal),
        "budget": study.budget,
        "levers": levers_record(study),
        "search": {
            "optimiser": "optuna NSGAIISampler (cost down, probability up)",
            "optimiser_seed": optimiser_seed(seed),
            "trials": study.trials,
            "population": study.population,
            "replications": study.replications,
            "replications_near_target": study.replications_near_target,
        },
        "confirmation": result.confirmation,
        "replications_run": result.replications_run,
        "sentence": result.sentence,
        "set": result.overrides,
        "check": result.check,
        "warnings": result.warnings,
    }
    write_manifest(folder, new_manifest(KIND, loaded.scenario.model_dump(mode="json"), loaded.path, list(loaded.overrides), seed, **info))
