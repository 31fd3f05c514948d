"""A study: which scenario, which factors over which ranges, which design, how many replications.

Written in a TOML file so that a study can be re-run and reviewed
(``scenarios/studies/fleet_and_escort.toml``)::

    name = "fleet_and_escort"
    scenario = "../qasrak_baseline.toml"      # relative to this file
    design = "grid"                           # grid | lhs | sobol
    replications = 200
    seed = 20260223

    [factors]
    fleet.civilian.count = "60:140:20"        # lo:hi:step, lo:hi, a list, or {low, high, step}
    escort.teams = [2, 3, 4, 6]

or given on the command line (``evacsim sweep SCENARIO --vary escort.teams=2,3,4,6``).
Every factor must name a number of the scenario; a wrong path or range is a
:class:`~sim.scenario.loading.ScenarioError` naming the file, line and field.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.experiment.design import DesignKind, Factor, FactorSpecError, make_factor
from sim.scenario.draws import _walk, numeric_fields
from sim.scenario.loading import (
    LoadedScenario,
    NotAScenario,
    Problem,
    ScenarioError,
    apply_overrides,
    load_scenario,
    locate,
    other_kind_of_file,
    read_toml,
    validate_table,
)
from sim.scenario.schema import Scenario

DEFAULT_SEED = 20260223
DEFAULT_REPLICATIONS = 100
RANGE_KEYS = frozenset({"low", "high", "step"})
"""Keys of a factor's range table ({low, high, step}): a table with any of them is a factor, not a group of paths."""


class StudyFile(BaseModel):
    """The keys a study file may have (unknown keys are errors, as in scenarios)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    description: str = ""
    scenario: str
    set: list[str] = Field(default_factory=list, description="overrides applied to the scenario, as with --set")
    design: DesignKind = "grid"
    samples: int | None = Field(default=None, ge=1)
    replications: int = Field(default=DEFAULT_REPLICATIONS, ge=1)
    seed: int = Field(default=DEFAULT_SEED, ge=0)
    factors: dict[str, Any] = Field(min_length=1)


@dataclass(frozen=True)
class FactorSource:
    """Where a factor was written, for error messages: a file and its text, or a command-line option."""

    where: str
    text: str = ""
    prefix: str = "factors."

    def line(self, path: str) -> int | None:
        if not self.text:
            return None
        found = locate(self.text, self.prefix + path)
        quoted = re.compile(rf"^\s*[\"']{re.escape(path)}[\"']\s*=", re.MULTILINE)
        m = quoted.search(self.text)
        if m and (found is None or self.text.splitlines()[found - 1].strip().startswith("[")):
            return self.text.count("\n", 0, m.start()) + 1
        return found


@dataclass(frozen=True)
class Study:
    """A resolved study: the scenario it varies, its factors, design, replications and seed."""

    name: str
    scenario_path: str
    overrides: tuple[str, ...]
    specs: Mapping[str, object]
    design: DesignKind = "grid"
    samples: int | None = None
    replications: int = DEFAULT_REPLICATIONS
    seed: int = DEFAULT_SEED
    description: str = ""
    source: FactorSource = field(default_factory=lambda: FactorSource("--vary", "", ""))
    own_overrides: tuple[str, ...] = ()
    """The study file's own ``set``; ``overrides`` may add the command line's ``--set`` after them."""

    def identity(self) -> dict[str, Any]:
        """What makes two runs the same study (compared on ``--resume``)."""
        return {
            "name": self.name,
            "scenario_path": self.scenario_path,
            "overrides": list(self.overrides),
            "factors": {k: _jsonable_spec(v) for k, v in self.specs.items()},
            "design": self.design,
            "samples": self.samples if self.design != "grid" else None,
            "replications": self.replications,
            "seed": self.seed,
        }


def _jsonable_spec(spec: object) -> object:
    return list(spec) if isinstance(spec, tuple) else spec


def is_study_file(table: Mapping[str, Any]) -> bool:
    """A study file has a ``[factors]`` table; a scenario file has a ``[scenario]`` table."""
    return "factors" in table and "scenario" in table and not isinstance(table.get("scenario"), dict)


def flatten_factors(node: Mapping[str, Any], prefix: str = "", leaves: frozenset[str] = RANGE_KEYS) -> dict[str, object]:
    """``{fleet: {civilian: {count: "60:140:20"}}}`` -> ``{"fleet.civilian.count": "60:140:20"}``.

    A table with any of the ``leaves`` keys (low, high, step) is a factor's range, kept
    whole; so is an empty table (an unfinished ``[factors."x"]``), for its error to name it.
    """
    out: dict[str, object] = {}
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and value and not (set(value) & leaves):
            out.update(flatten_factors(value, path, leaves))
        else:
            out[path] = value
    return out


def read_study(path: Path | str) -> Study:
    """Read and check the keys of a study file (factors are checked against the scenario by :func:`resolve_study`)."""
    table, text = read_toml(path)
    try:
        model = StudyFile.model_validate(table)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            dotted = ".".join(str(x) for x in err["loc"])
            message = "unknown key; a study has name, description, scenario, set, design, samples, replications, seed and [factors]"
            if err["type"] != "extra_forbidden":
                message = err["msg"][0].lower() + err["msg"][1:]
            problems.append(Problem(dotted, message, locate(text, dotted)))
        raise ScenarioError(str(path), problems) from None
    scenario = Path(model.scenario)
    if not scenario.is_absolute():
        scenario = Path(path).parent / scenario
    return Study(
        name=model.name,
        scenario_path=str(scenario),
        overrides=tuple(model.set),
        own_overrides=tuple(model.set),
        specs=flatten_factors(model.factors),
        design=model.design,
        samples=model.samples,
        replications=model.replications,
        seed=model.seed,
        description=model.description,
        source=FactorSource(str(path), text),
    )


def parse_vary(texts: Sequence[str]) -> dict[str, object]:
    """``--vary fleet.civilian.count=60:140:20`` options as {path: spec}."""
    out: dict[str, object] = {}
    for text in texts:
        path, sep, spec = text.partition("=")
        path = path.strip()
        if not sep or not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", path):
            raise ScenarioError("--vary", [Problem(text, "expected path.to.field=lo:hi:step or path.to.field=a,b,c, e.g. escort.teams=2,3,4,6")])
        out[path] = spec.strip()
    return out


def with_options(study: Study, vary: Mapping[str, object], **options: Any) -> Study:
    """The study with command-line options on top (given options win; ``--vary`` adds or replaces factors)."""
    given = {k: v for k, v in options.items() if v is not None}
    if vary:
        given["specs"] = {**study.specs, **vary}
    return replace(study, **given)


def integer_fields(scenario: Scenario) -> set[str]:
    """Dotted paths of the scenario's whole-number fields (counts): their design values are rounded."""
    return {path for path, _, integer, _ in _walk(scenario, "") if integer}


def resolve_factors(study: Study, loaded: LoadedScenario) -> tuple[Factor, ...]:
    """The study's factors checked against the scenario: each names a number, with a usable range.

    Each factor's lowest and highest values are also validated as a scenario (e.g. a
    count must be >= 0), so a design point never fails half-way through a study.
    """
    fields = numeric_fields(loaded.scenario)
    integers = integer_fields(loaded.scenario)
    problems: list[Problem] = []
    factors: list[Factor] = []
    for path, spec in study.specs.items():
        where = study.source.line(path)
        label = study.source.prefix + path
        if path not in fields:
            close = difflib.get_close_matches(path, list(fields), n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`?" if close else "list the numeric fields with `evacsim validate SCENARIO`"
            problems.append(Problem(label, f"not a number of scenario {loaded.path}; {hint}", where))
            continue
        try:
            factor = make_factor(path, spec, path in integers)
        except FactorSpecError as exc:
            problems.append(Problem(label, str(exc), where))
            continue
        problem = _check_extremes(factor, loaded)
        if problem:
            problems.append(Problem(label, problem, where))
            continue
        factors.append(factor)
    if problems:
        raise ScenarioError(study.source.where, problems)
    return tuple(factors)


def _check_extremes(factor: Factor, loaded: LoadedScenario) -> str | None:
    for value in dict.fromkeys((factor.low, factor.high)):
        literal = repr(int(value)) if factor.integer else repr(value)
        table = apply_overrides(loaded.table, [f"{factor.path}={literal}"])
        try:
            validate_table(table, "", loaded.path)
        except ScenarioError as exc:
            reasons = "; ".join(f"{p.field}: {p.message}" for p in exc.problems)
            return f"the value {value:g} makes the scenario invalid ({reasons}); narrow the range"
    return None


def load_study_scenario(study: Study) -> LoadedScenario:
    """The study's scenario with its overrides, validated.

    A study file whose scenario is missing (e.g. the study was copied elsewhere) is an
    error at the study file's ``scenario`` line, saying the path is relative to it; an
    override of the study file's own ``set`` that the scenario refuses is an error at that
    line, not one blamed on the command line's ``--set``.
    """
    if study.source.text and not Path(study.scenario_path).exists():
        raise _missing_scenario(study)
    try:
        return load_scenario(study.scenario_path, study.overrides)
    except ScenarioError as refused:
        if study.own_overrides:
            try:
                load_scenario(study.scenario_path, study.own_overrides)
            except ScenarioError as exc:
                found = "; ".join(exc.lines()).replace("(value given with --set)", "(value set here)")
                raise ScenarioError(study.source.where, [Problem("set", found, locate(study.source.text, "set"))]) from None
        raise refused from None


def _missing_scenario(study: Study) -> ScenarioError:
    try:
        written = tomllib.loads(study.source.text).get("scenario")
    except tomllib.TOMLDecodeError:
        written = None
    if not isinstance(written, str):
        written = study.scenario_path
    message = f"{written} not found"
    if not Path(written).is_absolute():
        message += f" (paths are relative to the study file: looked for {study.scenario_path})"
    message += "; fix the path or put the scenario there"
    return ScenarioError(study.source.where, [Problem("scenario", message, locate(study.source.text, "scenario"))])


def study_from(target: Path, vary: list[str], overrides: list[str], **options: Any) -> Study:
    """The study a command line asks for: a study file (options on top) or a scenario with ``--vary`` factors."""
    table, _ = read_toml(target)
    factors = parse_vary(vary)
    if is_study_file(table):
        study = read_study(target)
        if overrides:
            options["overrides"] = (*study.overrides, *overrides)
        return with_options(study, factors, **options)
    if (other := other_kind_of_file(table, "study")) is not None:
        raise NotAScenario(str(target), [Problem("", other)])
    if not factors:
        raise ScenarioError(str(target), [Problem("", "is a scenario: say what to vary with --vary path=lo:hi:step, or give a study file with [factors]")])
    base = Study(
        name=Path(target).stem,
        scenario_path=str(target),
        overrides=tuple(overrides),
        specs=factors,
        replications=DEFAULT_REPLICATIONS,
        seed=DEFAULT_SEED,
    )
    return with_options(base, {}, **options)
