"""What kind of evidence stands behind each number of a scenario.

Every group with a ``source`` may say what kind of source it is, for the whole group or
field by field::

    source_kind = "assumption"
    source_kind = {loads = "assumption", carriers = "doctrine", default = "report"}

so that a reader can tell a measured number from a guess, and see which guesses decide
the answer (``evacsim evidence``). A number whose group names no kind reads as
``unsourced``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

SOURCE_KINDS = ("seed", "report", "doctrine", "precedent", "assumption")
"""The kinds of source, from the most to the least direct evidence about this evacuation."""

UNSOURCED = "unsourced"
"""The kind of a number whose group gives no ``source_kind``."""

DEFAULT_KEY = "default"
"""The key of a per-field table that gives the kind of every field it does not name."""

KIND_MEANINGS = {
    "seed": "the seed article on this evacuation",
    "report": "press or official reporting on this evacuation",
    "doctrine": "doctrine, manuals, equipment data",
    "precedent": "an earlier withdrawal or operation",
    "assumption": "a planning assumption: no public evidence found",
    UNSOURCED: "no kind of source given",
}
"""What each kind means, in a planner's words."""


def source_kind_table(value: Any, fields: Iterable[str]) -> dict[str, str] | None:
    """``source_kind`` as written (one kind, or a table per field with an optional ``default``) as a table
    field -> kind; raises :class:`ValueError` with a message a planner can act on."""
    if value is None:
        return None
    allowed = list(fields)
    if isinstance(value, str):
        return {DEFAULT_KEY: _known(value)}
    if not isinstance(value, dict):
        raise ValueError(f'must be one kind such as "assumption", or a table per field such as {{loads = "assumption", default = "report"}}; kinds: {_kinds()}')
    table = {}
    for key, kind in value.items():
        if key != DEFAULT_KEY and key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise ValueError(f"names `{key}`, which is not a field of this group; {hint}name one of {', '.join(allowed)}, or `default`")
        if not isinstance(kind, str):
            raise ValueError(f"`{key}` must be one kind written as text; kinds: {_kinds()}")
        table[key] = _known(kind)
    return table


def kind_of_field(table: dict[str, str] | None, field: str) -> str:
    """The kind of source of one field of a group, given the group's ``source_kind`` table."""
    if not table:
        return UNSOURCED
    return table.get(field, table.get(DEFAULT_KEY, UNSOURCED))


def _known(kind: str) -> str:
    if kind not in SOURCE_KINDS:
        raise ValueError(f"unknown kind of source {kind!r}; use one of {_kinds()}")
    return kind


def _kinds() -> str:
    return ", ".join(SOURCE_KINDS)
