"""Reading scenario files, with errors a planner can act on.

A scenario is TOML read with ``tomllib`` and validated by the pydantic models in
:mod:`sim.scenario.schema`. Anything wrong becomes a :class:`ScenarioError` that
names the file, the line and the dotted field, e.g.
``scenarios/x.toml:12 fleet.civilian.count: must be >= 0``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.scenario.distributions import support_of
from sim.scenario.schema import Scenario

EXIT_BAD_INPUT = 3
"""Exit status of every command given a bad scenario, study or observations file."""


@dataclass
class Problem:
    """One thing wrong with an input file: where, which field, what to do."""

    field: str
    message: str
    line: int | None = None


@dataclass
class ScenarioError(Exception):
    """A user's input file (or ``--set`` override) that cannot be used as it is."""

    path: str
    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        out = []
        for p in self.problems:
            where = self.path if p.line is None else f"{self.path}:{p.line}"
            out.append(f"{where} {p.field}: {p.message}".replace(" : ", ": "))
        return out


def read_toml(path: Path | str) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; returns the table and its text (for locating lines)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), [Problem("", "no such file; check the path")]) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), [Problem("", "is a folder, not a TOML file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [Problem("", f"cannot be read ({exc.__class__.__name__}: {exc})")]) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise ScenarioError(str(path), [Problem("", f"TOML syntax error: {message}; fix the syntax", line)]) from None


def _toml_error_line(message: str) -> int | None:
    m = re.search(r"at line (\d+)", message)
    return int(m.group(1)) if m else None


def locate(text: str, dotted: str) -> int | None:
    """The line of ``text`` where the dotted field is set, or its nearest enclosing table.

    Understands ``[a.b]`` and ``[[a.b]]`` headers, ``key = value`` lines and inline
    tables ``key = {x = 1}``; good enough to point a reader at the right place.
    """
    parts = [p for p in dotted.split(".") if p and not p.isdigit()]
    if not parts:
        return None
    header_re = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
    key_re = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")
    best: tuple[int, int] | None = None  # (matched depth, line)
    table: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        m = header_re.match(raw)
        if m:
            table = [t.strip().strip("\"'") for t in m.group(1).split(".")]
            depth = _prefix_depth(table, parts)
            if depth == len(table) and (best is None or depth > best[0]):
                best = (depth, number)
            continue
        k = key_re.match(raw)
        if not k:
            continue
        full = table + [k.group(1).strip("\"'")]
        if _prefix_depth(table, parts) < len(table):
            continue
        depth = _prefix_depth(full, parts)
        if depth == len(full):
            inline = _inline_depth(raw, parts[depth:])
            depth += inline
            if best is None or depth > best[0]:
                best = (depth, number)
    return best[1] if best else None


def _prefix_depth(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _inline_depth(raw: str, rest: Sequence[str]) -> int:
    """How many further parts of the path appear as keys in an inline table on this line."""
    n = 0
    for part in rest:
        if re.search(rf"[{{,]\s*{re.escape(part)}\s*=", raw):
            n += 1
        else:
            break
    return n


def _dotted(loc: Iterable[Any]) -> str:
    parts = []
    for item in loc:
        if isinstance(item, int):
            parts.append(str(item))
        elif item in {"float", "constant", "uniform", "triangular", "pert", "truncnormal", "lognormal", "choice", "bernoulli"}:
            continue  # pydantic names the union branch; the user wrote the field
        elif isinstance(item, str) and item.startswith(("function-after", "tagged-union", "literal")):
            continue
        else:
            parts.append(str(item))
    return ".".join(parts)


def _message(err: dict[str, Any]) -> str:
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        return "unknown field; check the spelling against `evacsim schema`"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        return f"unknown distribution {err.get('input', {}).get('dist')!r}; use one of constant, uniform, triangular, pert, truncnormal, lognormal, choice, bernoulli"
    if kind == "union_tag_not_found":
        return "a distribution table needs a `dist` key (e.g. dist = \"triangular\")"
    msg = re.sub(r"^Value error, ", "", msg)
    return msg[0].lower() + msg[1:] if msg else msg


def _problems_from(exc: ValidationError, text: str) -> list[Problem]:
    seen: dict[str, Problem] = {}
    for err in exc.errors():
        dotted = _dotted(err["loc"])
        # A number that fails as a constant also fails every distribution branch: keep the first.
        if dotted in seen:
            continue
        seen[dotted] = Problem(dotted, _message(err), locate(text, dotted))
    return list(seen.values())


def feasibility_problems(s: Scenario) -> list[Problem]:
    """Scenarios that validate field by field but could never empty the base."""
    out: list[Problem] = []

    def high(v: Any) -> float:
        return support_of(v)[1]

    def low(v: Any) -> float:
        return support_of(v)[0]

    air_possible = high(s.airlift.sorties_per_day) > 0 and any(
        a.allowed and high(a.pallets) > 0 and low(a.runway_m) <= high(s.airlift.runway_m) for a in (s.airlift.c130j, s.airlift.c17)
    )
    road_possible = high(s.loading.teams) > 0 and high(s.convoys.max_per_day) > 0 and high(s.escort.teams) > 0
    can_carry = {
        "civilian": road_possible and high(s.fleet.civilian.count) > 0,
        "military": road_possible and high(s.fleet.military.count) > 0,
        "het": road_possible and high(s.fleet.het.count) > 0,
        "air": air_possible,
    }
    for name, cls in s.cargo.classes.items():
        if high(cls.loads) > 0 and not any(can_carry[c] for c in cls.carriers):
            out.append(
                Problem(
                    f"cargo.classes.{name}.carriers",
                    f"no carrier in {cls.carriers} can ever take this cargo (no such trucks, convoys cannot run, or no airlift); "
                    "add a carrier or give that fleet a count",
                )
            )
    for name, aircraft in (("c130j", s.airlift.c130j), ("c17", s.airlift.c17)):
        if aircraft.allowed and low(aircraft.runway_m) > high(s.airlift.runway_m):
            out.append(Problem(f"airlift.{name}.runway_m", f"needs more runway than the strip has ({high(s.airlift.runway_m):g} m); set allowed = false"))
    if low(s.convoys.size_min) > high(s.convoys.size_max):
        out.append(Problem("convoys.size_min", "is larger than convoys.size_max"))
    if high(s.convoys.size_max) < 1:
        out.append(Problem("convoys.size_max", "must be >= 1: a convoy needs at least one vehicle"))
    if high(s.vehicles.count) > 0 and not road_possible:
        out.append(Problem("vehicles.count", "vehicles drive out in convoys, but convoys can never leave (loading teams, escort teams or max_per_day is 0)"))
    if high(s.air_cover.share_of_convoys) > 0 or s.air_cover.always_for_sensitive:
        needs_cover = high(s.air_cover.share_of_convoys) > 0 or any(
            "air" in c.carriers and len(c.carriers) > 1 and high(c.loads) > 0 for c in s.cargo.classes.values()
        )
        if needs_cover and (high(s.air_cover.apaches) == 0 or high(s.air_cover.sorties_per_aircraft_per_day) == 0):
            out.append(Problem("air_cover.apaches", "convoys need air cover but no Apache sortie can ever fly; set apaches > 0 or share_of_convoys = 0 and always_for_sensitive = false"))
    if low(s.people.security_force) > high(s.people.troops):
        out.append(Problem("people.security_force", "is larger than people.troops"))
    if s.people.last_element_by == "sortie" and not air_possible:
        out.append(Problem("people.last_element_by", "the last element is to leave by sortie but no aircraft can fly from the strip"))
    if s.people.last_element_by == "convoy" and not road_possible:
        out.append(Problem("people.last_element_by", "the last element is to leave by convoy but convoys can never leave"))
    if high(s.crossing.main.lanes) == 0 and (s.crossing.alternate is None or high(s.crossing.alternate.lanes) == 0):
        out.append(Problem("crossing.main.lanes", "no crossing has a lane open; convoys could never reach Iraq"))
    if road_possible and high(s.destination.unload_teams) == 0:
        out.append(Problem("destination.unload_teams", "must be >= 1: trucks could never unload"))
    return out


def parse_override(text: str) -> tuple[str, Any]:
    """``fleet.civilian.count=120`` -> (path, value); the value is parsed as TOML."""
    if "=" not in text:
        raise ScenarioError("--set", [Problem(text, "expected path.to.field=VALUE, e.g. fleet.civilian.count=120")])
    path, raw = (part.strip() for part in text.split("=", 1))
    if not re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", path):
        raise ScenarioError("--set", [Problem(path, "is not a dotted field path such as fleet.civilian.count")])
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        # Bare words are taken as strings, as a shell user would expect.
        value = raw
    return path, value


def apply_overrides(table: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Set each ``path=value`` in a copy of the raw scenario table."""
    import copy

    out = copy.deepcopy(table)
    for text in overrides:
        path, value = parse_override(text)
        node = out
        parts = path.split(".")
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                raise ScenarioError("--set", [Problem(path, f"{part} is a value, not a table; cannot set a field inside it")])
            node = nxt
        node[parts[-1]] = value
    return out


def validate_table(table: dict[str, Any], text: str, where: str, overridden: Sequence[str] = ()) -> Scenario:
    """Validate a raw table as a :class:`Scenario`, or raise :class:`ScenarioError`."""
    try:
        scenario = Scenario.model_validate(table)
    except ValidationError as exc:
        problems = _problems_from(exc, text)
        _mark_overrides(problems, overridden)
        raise ScenarioError(where, problems) from None
    problems = feasibility_problems(scenario)
    if problems:
        for p in problems:
            p.line = locate(text, p.field)
        _mark_overrides(problems, overridden)
        raise ScenarioError(where, problems)
    return scenario


def _mark_overrides(problems: list[Problem], overridden: Sequence[str]) -> None:
    paths = {parse_override(o)[0] for o in overridden}
    for p in problems:
        if any(p.field == q or p.field.startswith(q + ".") for q in paths):
            p.message += " (value given with --set)"
            p.line = None


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario with where it came from: its file, raw table and overrides."""

    scenario: Scenario
    path: str
    table: dict[str, Any]
    overrides: tuple[str, ...] = ()


def load_scenario(path: Path | str, overrides: Sequence[str] = ()) -> LoadedScenario:
    """Read, override (``--set``) and validate a scenario file."""
    table, text = read_toml(path)
    table = apply_overrides(table, overrides)
    scenario = validate_table(table, text, str(path), overrides)
    return LoadedScenario(scenario, str(path), table, tuple(overrides))
