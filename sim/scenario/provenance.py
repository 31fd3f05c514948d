"""Where each number of a scenario comes from: one row per parameter, with its source.

``evacsim validate`` prints these rows so that a reader can check every value
against the report, seed quote or assumption it rests on; ``evacsim schema`` prints
the JSON Schema of the scenario format.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel

from sim.scenario.distributions import _Distribution
from sim.scenario.draws import numeric_fields
from sim.scenario.schema import Scenario
from sim.scenario.source_kinds import UNSOURCED

NOT_PARAMETERS = frozenset({"source", "source_kind", "title", "description"})
"""Fields that describe a group rather than set anything in the model."""


@dataclass(frozen=True)
class ProvenanceRow:
    """One scenario parameter: its dotted path, its value as written, its source and the kind of that source;
    ``given`` is the value itself (a number, a distribution, a setting), for a reader that shows it in its unit."""

    parameter: str
    value: str
    source: str
    kind: str = UNSOURCED
    given: Any = field(default=None, compare=False, repr=False)


def provenance_rows(scenario: Scenario) -> list[ProvenanceRow]:
    """Every parameter of a scenario in file order, numbers and settings, with the source of its group; a default
    the model does not read and the file does not set (a base's ``same_place`` without ``same_place_as``) is no
    parameter and is left out.

    Numbers are shown as constants (``100``) or distributions (``triangular(60, 100, 140)``);
    the source is that of the nearest enclosing group that has one (empty if none does).
    """
    numbers = numeric_fields(scenario)
    rows = []
    for path, value, source in _leaves(scenario, "", ""):
        given = numbers.get(path, value)
        rows.append(ProvenanceRow(path, describe_value(given), source, given=given))
    shown = {row.parameter for row in rows}
    rows += [
        ProvenanceRow(path, describe_value(value), _source_of(scenario, path), given=value)
        for path, value in numbers.items()
        if path not in shown and not _item_of(path, shown) and not _unused(scenario, path)
    ]
    return [replace(row, kind=kind_of_path(scenario, row.parameter)) for row in rows]


def _item_of(path: str, shown: set[str]) -> bool:
    """Whether ``path`` is one number of a list already shown whole (``theatre.reported_end_days.0`` beside
    ``theatre.reported_end_days  [20, 30, 60]``)."""
    parent, _, last = path.rpartition(".")
    return last.isdigit() and parent in shown


def describe_value(value: Any) -> str:
    """A value as a planner would write it: ``100``, ``0.3``, ``triangular(60, 100, 140)``, ``[civilian, military]``."""
    if isinstance(value, _Distribution):
        return value.describe()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(describe_value(v) for v in value) + "]"
    return str(value)


def schema_json() -> dict[str, Any]:
    """The JSON Schema of a scenario file: a one-base file (the one-base shorthand) or a theatre (a file with ``[sites]``)."""
    from pydantic.json_schema import models_json_schema

    from sim.scenario.schema import TheatreScenario

    _, defs = models_json_schema([(Scenario, "validation"), (TheatreScenario, "validation")], title="Scenario: one base, or a theatre")
    return {
        "title": "Scenario: one base, or a theatre",
        "description": "A one-base file (no [sites]: Scenario, the one-base shorthand) or a theatre of several bases on a road network "
        "(with [sites], [[legs]] and [pools]: TheatreScenario); docs/MODEL.md, 'Theatre', explains both.",
        "oneOf": [{"$ref": "#/$defs/Scenario"}, {"$ref": "#/$defs/TheatreScenario"}],
        **defs,
    }


def _leaves(node: Any, prefix: str, source: str) -> Iterator[tuple[str, Any, str]]:
    """(dotted path, value, source) for every parameter under ``node``."""
    if isinstance(node, BaseModel) and not isinstance(node, _Distribution):
        source = getattr(node, "source", source) or source
        unused = _unused_fields(node)
        for name in type(node).model_fields:
            if name in NOT_PARAMETERS or name in unused:
                continue
            yield from _leaves(getattr(node, name), f"{prefix}.{name}" if prefix else name, source)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, f"{prefix}.{key}", source)
    elif isinstance(node, list) and any(isinstance(v, BaseModel) and not isinstance(v, _Distribution) for v in node):
        for i, value in enumerate(node):
            yield from _leaves(value, f"{prefix}.{i}", source)
    elif node is not None:
        yield prefix, node, source


def _unused_fields(node: Any) -> frozenset[str]:
    """The fields of a group the model does not read and the file did not set (``BaseSite.unused_fields``)."""
    unused = getattr(node, "unused_fields", None)
    return unused() if callable(unused) else frozenset()


def _unused(scenario: Scenario, path: str) -> bool:
    """Whether the number at ``path`` is a default the model does not read (not an input, so not listed)."""
    return any(part in _unused_fields(node) for node, part, _ in _steps(scenario, path))


def _steps(scenario: Scenario, path: str):
    """Walk down a dotted path: (the node, the part, the node that part leads to), until the path ends or leads nowhere."""
    node: Any = scenario
    for part in path.split("."):
        if isinstance(node, BaseModel):
            child = getattr(node, part, None)
        elif isinstance(node, dict):
            child = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            child = node[int(part)]
        else:
            return
        yield node, part, child
        node = child


def _has_source(node: Any) -> bool:
    return isinstance(node, BaseModel) and bool(getattr(node, "source", None))


def _source_of(scenario: Scenario, path: str) -> str:
    """The source of the deepest group on ``path`` that has one."""
    source = ""
    for _, _, child in _steps(scenario, path):
        if _has_source(child):
            source = child.source
    return source


def kind_of_path(scenario: Scenario, path: str) -> str:
    """The kind of source (seed, report, doctrine, precedent, assumption) behind the number at a dotted path:
    the kind the deepest group on the path that has a source gives that field; ``unsourced`` if none does."""
    kind = UNSOURCED
    for node, part, _ in _steps(scenario, path):
        if _has_source(node):
            kind = node.kind_of(part)
    return kind
