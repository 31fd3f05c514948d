"""Drawing one replication's inputs from a scenario's distributions.

A scenario has uncertain inputs (the numbers given as distributions). Each
replication draws one value for each, from its own ``numpy.random.Generator``,
and the model reads a *resolved* scenario in which every number is a float.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar, cast

import numpy as np
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from sim.scenario.distributions import Constant, _Distribution, is_distribution
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class UncertainInput:
    """One scenario number given as a distribution, by its dotted path."""

    path: str
    distribution: _Distribution
    integer: bool

    @cached_property
    def stream(self) -> int:
        """Where this input's random numbers come from: a stable hash of its path (see :func:`draw_inputs`)."""
        return input_stream_key(self.path)

    def low_high(self, q_low: float = 0.05, q_high: float = 0.95) -> tuple[float, float]:
        """The inner range (P5-P95 by default) used as bounds for sensitivity designs."""
        return (self.distribution.ppf(q_low), self.distribution.ppf(q_high))


def _flag(model: BaseModel, name: str, flag: str) -> bool:
    """A flag set by :func:`sim.scenario.schema.quantity` on a field ("integer", "per_event")."""
    extra = type(model).model_fields[name].json_schema_extra
    return isinstance(extra, dict) and bool(extra.get(flag))


def _walk(node: Any, prefix: str, integer: bool = False, per_event: bool = False):
    """Yield (path, value, integer, per_event) for every leaf number of a scenario."""
    if isinstance(node, _Distribution):
        yield prefix, node, integer, per_event
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            value = getattr(node, name)
            path = f"{prefix}.{name}" if prefix else name
            yield from _walk(value, path, _flag(node, name, "integer"), _flag(node, name, "per_event"))
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{prefix}.{key}", integer, per_event)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{prefix}.{i}", integer, per_event)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield prefix, node, integer, per_event


def uncertain_inputs(scenario: Scenario) -> list[UncertainInput]:
    """Every input drawn once per replication from a distribution, in file order.

    Per-event durations (each closure, each repair) are left out: the model draws
    them itself for every event.
    """
    return [UncertainInput(p, v, i) for p, v, i, e in _walk(scenario, "") if is_distribution(v) and not e]


def numeric_fields(scenario: Scenario) -> dict[str, float | _Distribution]:
    """Every number of a scenario by dotted path (constants and distributions)."""
    return {p: v for p, v, _, _ in _walk(scenario, "")}


def per_event_fields(scenario: Scenario) -> set[str]:
    """Paths of the numbers drawn anew for each event inside a replication."""
    return {p for p, _, _, e in _walk(scenario, "") if e}


def input_stream_key(path: str) -> int:
    """A stable 64-bit number for an input's dotted path: the last word of its stream's spawn key.

    It depends on the path's text alone (not on Python's per-process hash salt, not on
    which other inputs exist), so an input is drawn from the same stream in every run,
    process and machine, and in every scenario that has it.
    """
    return int.from_bytes(hashlib.blake2b(path.encode(), digest_size=8).digest(), "big")


def draw_inputs(inputs: list[UncertainInput], seed: int, index: int) -> dict[str, float]:
    """Replication ``index``'s value of each uncertain input, whole numbers rounded.

    Each input draws from its own stream: a Philox generator whose key is spawned from
    the run's ``SeedSequence`` with the key ``(index, 0)`` and whose counter starts at
    ``input_stream_key(path) x 2**128``, a block of its own that no other input reaches
    (counter-based streams, Salmon et al. 2011). Adding, removing or pinning one input
    therefore never changes another input's value: two runs that differ in one input
    are paired on every other one (common random numbers).
    """
    key = np.random.SeedSequence(seed, spawn_key=(index, 0)).generate_state(2, np.uint64)
    bits = np.random.Philox(key=key)
    rng = np.random.Generator(bits)
    words = [int(word) for word in key]
    out = {}
    for item in inputs:
        # the stream's block, its state given as plain lists (Philox's state setter reads them word by word, several
        # times faster than from arrays); the buffer is empty (buffer_pos 4), so its words are never read
        state: dict[str, Any] = {
            "bit_generator": "Philox",
            "state": {"counter": [0, 0, item.stream, 0], "key": words},
            "buffer": [0, 0, 0, 0],
            "buffer_pos": 4,
            "has_uint32": 0,
            "uinteger": 0,
        }
        bits.state = cast(Any, state)  # numpy's stubs name arrays; its setter takes any sequence of words
        value = item.distribution.sample(rng)
        out[item.path] = float(round(value)) if item.integer else value
    return out


def resolve(scenario: Scenario, values: Mapping[str, float], per_event: set[str] | None = None) -> Scenario:
    """A copy of the scenario with each uncertain input set to ``values[path]``.

    Constants written as ``{dist = "constant"}`` become plain numbers; inputs not in
    ``values`` take their median, so a partial set of values (a sensitivity design
    point) is always a whole scenario. Per-event durations stay distributions.
    """
    keep = per_event_fields(scenario) if per_event is None else per_event
    return _resolve(scenario, "", values, keep)


def _resolve(node: Any, prefix: str, values: Mapping[str, float], keep: set[str]) -> Any:
    if isinstance(node, Constant):
        return node.value
    if isinstance(node, _Distribution):
        if prefix in values:
            return values[prefix]
        return node if prefix in keep else node.p50
    if isinstance(node, BaseModel):
        update = {}
        for name in type(node).model_fields:
            value = getattr(node, name)
            if isinstance(value, (BaseModel, dict, list)) and value:
                new = _resolve(value, f"{prefix}.{name}" if prefix else name, values, keep)
                if new is not value:
                    update[name] = new
            elif isinstance(value, _Distribution):
                path = f"{prefix}.{name}" if prefix else name
                update[name] = _resolve(value, path, values, keep)
            elif prefix + "." + name in values or (not prefix and name in values):
                update[name] = values[f"{prefix}.{name}" if prefix else name]
        return node.model_copy(update=update) if update else node
    if isinstance(node, dict):
        new = {k: _resolve(v, f"{prefix}.{k}", values, keep) for k, v in node.items()}
        return node if all(new[k] is node[k] for k in node) else new
    if isinstance(node, list):
        new_list = [_resolve(v, f"{prefix}.{i}", values, keep) for i, v in enumerate(node)]
        return node if all(a is b for a, b in zip(new_list, node, strict=True)) else new_list
    return node


def set_values(resolved: Scenario, values: Mapping[str, float]) -> Scenario:
    """A copy of an already resolved scenario with the numbers at ``values``' paths replaced.

    Only the groups on those paths are copied, so drawing a replication's inputs into a
    scenario resolved once per run costs a few copies, not a walk of the whole scenario.
    """
    return Setter(tuple(values)).apply(resolved, values)


class Setter:
    """Sets the numbers at fixed dotted paths in a resolved scenario, the same paths each time (a replication's
    uncertain inputs): the groups on those paths are worked out once, and each call copies only them.

    A group (a pydantic model of the scenario) is copied as :meth:`pydantic.BaseModel.model_copy` copies it,
    its fields' values shared and the fields set marked, without the generic copy's per-call checks.
    """

    def __init__(self, paths: tuple[str, ...]) -> None:
        tree: dict[str, Any] = {}
        for path in paths:
            node = tree
            *parents, leaf = path.split(".")
            for part in parents:
                node = node.setdefault(part, {})
            node[leaf] = path
        self.paths = paths
        self._tree = tree

    def apply(self, resolved: Scenario, values: Mapping[str, float]) -> Scenario:
        """``resolved`` with the number at each of the setter's paths set to ``values[path]``."""
        return cast(Scenario, _set(resolved, self._tree, values))


def _set(node: Any, tree: dict[str, Any], values: Mapping[str, float]) -> Any:
    update = {key: _set(_child(node, key), sub, values) if isinstance(sub, dict) else values[sub] for key, sub in tree.items()}
    if isinstance(node, BaseModel):
        return _copy_model(node, update)
    if isinstance(node, dict):
        return {**node, **update}
    if isinstance(node, list):
        out = list(node)
        for key, value in update.items():
            out[int(key)] = value
        return out
    raise KeyError(f"no group to set {sorted(tree)} in")


def _child(node: Any, key: str) -> Any:
    if isinstance(node, BaseModel):
        return getattr(node, key)
    if isinstance(node, dict):
        return node[key]
    if isinstance(node, list):
        return node[int(key)]
    raise KeyError(f"no group {key!r} in a number")


def _copy_model(node: BaseModel, update: dict[str, Any]) -> BaseModel:
    """``node.model_copy(update=update)`` for a scenario group (no extra fields, no private attributes)."""
    if node.__pydantic_extra__ is not None or node.__pydantic_private__ is not None:
        return node.model_copy(update=update)
    cls = type(node)
    copied = cls.__new__(cls)
    object.__setattr__(copied, "__dict__", {**node.__dict__, **update})
    object.__setattr__(copied, "__pydantic_extra__", None)
    object.__setattr__(copied, "__pydantic_fields_set__", node.__pydantic_fields_set__ | update.keys())
    object.__setattr__(copied, "__pydantic_private__", None)
    return copied


M = TypeVar("M", bound=BaseModel)

_GIVEN, _SHARED, _MADE = 0, 1, 2
"""How :func:`construct` fills a field it is not given: not at all (required), with its default shared (a value
that cannot change), or with a default made anew (a factory, or a value pydantic copies each time)."""


def construct(cls: type[M], **values: Any) -> M:
    """``cls.model_construct(**values)`` for a scenario group built from numbers already validated (the one-base
    file's expansion, :mod:`sim.scenario.shorthand`), without pydantic's generic walk of every field's aliases and
    defaults on every call: the same object, its fields in declared order, those given (by name or alias) marked as
    set, the others at their defaults, values that are not fields left out. A group pydantic would construct otherwise
    (validation aliases, a post-init, extra fields kept, private attributes, a root model) goes through
    ``model_construct`` itself.
    """
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls)
    if not plan:
        return cls.model_construct(**values)
    fields: dict[str, Any] = {}
    given = set()
    for name, alias, fill, info in plan:
        if alias is not None and alias in values:
            fields[name] = values[alias]
            given.add(name)
        elif name in values:
            fields[name] = values[name]
            given.add(name)
        elif fill == _SHARED:
            fields[name] = info.default
        elif fill == _MADE:
            fields[name] = info.get_default(call_default_factory=True, validated_data=fields)
    made = cls.__new__(cls)
    object.__setattr__(made, "__dict__", fields)
    object.__setattr__(made, "__pydantic_fields_set__", given)
    object.__setattr__(made, "__pydantic_extra__", None)
    object.__setattr__(made, "__pydantic_private__", None)
    return made


_PLANS: dict[type[BaseModel], tuple[tuple[str, str | None, int, FieldInfo], ...]] = {}
"""Each group class :func:`construct` has built: its fields in order, each with its alias and how it is filled when
not given (empty: the class is constructed by pydantic itself)."""

_UNCHANGING = (type(None), bool, int, float, str, bytes)
"""Defaults pydantic hands out as they are (its ``smart_deepcopy`` returns them): any other is made anew each time."""


def _plan(cls: type[BaseModel]) -> tuple[tuple[str, str | None, int, FieldInfo], ...]:
    """How :func:`construct` builds ``cls``, field by field; none where ``model_construct`` does more than set fields."""
    fields = cls.__pydantic_fields__
    if cls.__pydantic_post_init__ or cls.__pydantic_root_model__ or cls.model_config.get("extra") == "allow" or cls.__private_attributes__:
        return ()
    if any(info.validation_alias is not None and info.validation_alias != info.alias for info in fields.values()):
        return ()
    plan = []
    for name, info in fields.items():
        if info.is_required():
            fill = _GIVEN
        elif info.default_factory is None and (type(info.default) in _UNCHANGING or (type(info.default) is tuple and not info.default)):
            fill = _SHARED  # pydantic's copy of such a default is the default itself
        else:
            fill = _MADE
        plan.append((name, info.alias, fill, info))
    return tuple(plan)
