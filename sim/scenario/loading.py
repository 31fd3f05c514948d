"""Reading scenario files, with errors a planner can act on.

A scenario is TOML read with ``tomllib`` and validated by the pydantic models in
:mod:`sim.scenario.schema`. Anything wrong becomes a :class:`ScenarioError` that
names the file, the line and the dotted field, e.g.
``scenarios/x.toml:12 fleet.civilian.count: must be >= 0``.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.scenario.distributions import DISTRIBUTIONS, support_of
from sim.scenario.feasibility import one_base_problems, theatre_problems
from sim.scenario.schema import (
    AIRSTRIP_TAG,
    AIRSTRIPS_TAG,
    DISTRIBUTION_TAG,
    NUMBER_TAG,
    SITE_KINDS,
    VEHICLES_IN_PRIORITY,
    Deadline,
    Scenario,
    TheatreScenario,
    before_the_start,
)

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

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
            out.append(f"{where} {field_words(p.field)}: {p.message}".replace(" : ", ": "))
        return out


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``22nd``."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def field_words(field: str) -> str:
    """A field as a person counts it: an entry of an array of tables (``[[legs]]``, ``[[observation]]``) by its
    place from one, the dotted path (counted from zero) beside it: ``legs.2.from`` is ``the 3rd [[legs]], field
    from (legs.2.from)``; any other field is its dotted path."""
    parts = field.split(".")
    if len(parts) < 2 or not parts[1].isdigit() or not parts[0].isidentifier():
        return field
    words = f"the {ordinal(int(parts[1]) + 1)} [[{parts[0]}]]"
    if len(parts) > 2:
        words += f", field {'.'.join(parts[2:])}"
    return f"{words} ({field})"


class NotAScenario(ScenarioError):
    """A file of another kind given where a scenario, a study, plan options or observations are read
    (:func:`other_kind_of_file`): one line saying what it is and which command reads it; wrong usage, exit status 2,
    not a bad file."""


_KIND_WORDS = {
    "scenario": ("a scenario", "a scenario file (a [scenario] table and what the base holds)"),
    "plan": ("a plan options file", "a plan options file (a target and [levers])"),
    "study": ("a study file", "a study file (a design over the [factors] of the scenario it names)"),
    "observations": ("an observations file", "an observations file (dated reports of the evacuation)"),
}
"""Each kind of input file evacsim reads: (what it is, in short; what it is, with what makes it that kind)."""

_KIND_READER: dict[str, str | dict[str, str]] = {
    "scenario": {
        "observations": "give the scenario first and the file of dated reports second, `evacsim nowcast SCENARIO OBSERVATIONS` (docs/NOWCAST.md)",
        "plan": "give it as the scenario and the plan options file after --options, `evacsim plan SCENARIO --options FILE`",
    },
    "plan": "give it to `evacsim plan SCENARIO --options FILE`",
    "study": "run it with `evacsim sweep FILE`",
    "observations": "give it to `evacsim nowcast SCENARIO FILE`",
}
"""Which command reads each kind of file (a scenario: by the kind of file that was expected in its place)."""


def file_kind(table: dict[str, Any]) -> str | None:
    """Which kind of input a TOML file is, by the tables that make each kind: ``scenario`` (a ``[scenario]`` table or
    ``[sites]``), ``plan`` (a ``target`` or ``[levers]``), ``study`` (``[factors]``) or ``observations``; ``None`` for a
    file of no kind evacsim knows (its errors then say what is wrong)."""
    if isinstance(table.get("scenario"), dict) or "sites" in table:
        return "scenario"
    if "levers" in table or "target" in table:
        return "plan"
    if "factors" in table:
        return "study"
    if "observation" in table or "observations" in table:
        return "observations"
    return None


def other_kind_of_file(table: dict[str, Any], wanted: str = "scenario") -> str | None:
    """One line saying what a TOML file given where a file of kind ``wanted`` is read really is and which command reads
    it (:func:`file_kind`); ``None`` when it is of that kind, of no kind evacsim knows, or a scenario where a study is
    read (``evacsim sweep SCENARIO --vary ...``)."""
    found = file_kind(table)
    if found is None or found == wanted or (found, wanted) == ("scenario", "study"):
        return None
    reader = _KIND_READER[found]
    use = reader if isinstance(reader, str) else reader.get(wanted, "give it as the SCENARIO of the command")
    return f"this is {_KIND_WORDS[found][1]}, not {_KIND_WORDS[wanted][0]}; {use}"


MAX_INPUT_BYTES = 10_000_000
"""Largest scenario, study, plan or observations file evacsim reads (10 MB; the theatre scenario is about 40 KB)."""

_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Unicode bidirectional controls: invisible characters that reorder the text around them (U+202E turns a
report's heading backwards), so a title could read differently on screen, in a figure and in the report."""


def _megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size < 1e9 else f"{size / 1e9:,.1f} GB"


def _read_input(path: Path) -> bytes:
    """The bytes of an input file, refused before reading when it is not a regular file or is too large to be one."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError(str(path), [Problem("", "no such file; check the path")]) from None
    except OSError as exc:
        raise ScenarioError(str(path), [Problem("", f"cannot be read ({exc.__class__.__name__}: {exc.strerror or exc})")]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError(str(path), [Problem("", "is a folder, not a TOML file; give the path of a .toml file")])
    if not stat.S_ISREG(info.st_mode):
        kind = next((words for test, words in _FILE_KINDS if test(info.st_mode)), "not a regular file")
        raise ScenarioError(str(path), [Problem("", f"is {kind}, not a regular file; give the path of a .toml file")])
    too_big = f"is over the {MAX_INPUT_BYTES / 1e6:g} MB an input file may have (a scenario is a few tens of KB); check the path"
    if info.st_size > MAX_INPUT_BYTES:
        raise ScenarioError(str(path), [Problem("", f"is {_megabytes(info.st_size)}: {too_big.removeprefix('is ')}")])
    try:
        with path.open("rb") as file:  # at most one byte past the limit, whatever the size said (a file still growing)
            data = file.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(str(path), [Problem("", f"cannot be read ({exc.__class__.__name__}: {exc.strerror or exc})")]) from None
    if len(data) > MAX_INPUT_BYTES:
        raise ScenarioError(str(path), [Problem("", too_big)])
    return data


def _walk_strings(node: Any, dotted: str = "") -> Iterable[tuple[str, str]]:
    """(dotted field, text) for every key and string value of a TOML table, arrays by index."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        here = f"{dotted}.{key}" if dotted else str(key)
        if isinstance(key, str):
            yield here, key
        if isinstance(value, str):
            yield here, value
        else:
            yield from _walk_strings(value, here)


def bidi_problem(value: str) -> str | None:
    """Why ``value`` is refused when it holds a bidirectional control character, or None."""
    found = sorted({c for c in value if c in BIDI_CONTROLS})
    if not found:
        return None
    names = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'bidirectional control').lower()}" for c in found)
    return f"holds an invisible bidirectional control character ({names}) that would reorder the text around it on screen and in the report; remove it"


def _text_problems(table: dict[str, Any], text: str) -> list[Problem]:
    problems: dict[str, Problem] = {}
    for dotted, value in _walk_strings(table):
        if dotted not in problems and (why := bidi_problem(value)):
            problems[dotted] = Problem(dotted, why, locate(text, dotted))
    return list(problems.values())


def read_toml(path: Path | str) -> tuple[dict[str, Any], str]:
    """Parse a TOML file; returns the table and its text (for locating lines).

    Refused, each in one line, before anything is parsed: a path that is not a regular file
    (a folder, a FIFO, ``/dev/zero``), a file over :data:`MAX_INPUT_BYTES`, an empty file; and
    after parsing, any text holding a bidirectional control character (:data:`BIDI_CONTROLS`).
    """
    p = Path(path)
    data = _read_input(p)
    if not data.strip():
        raise ScenarioError(str(path), [Problem("", "is empty; give the path of a scenario, study, plan or observations file")])
    try:
        # utf-8-sig: a byte-order mark left by a Windows editor is not a syntax error.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ScenarioError(str(path), [Problem("", f"is not UTF-8 text (byte {exc.start} cannot be read); save the file as UTF-8", line)]) from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _toml_error_line(str(exc), text)
        message = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", str(exc))
        raise ScenarioError(str(path), [Problem("", f"TOML syntax error: {message}; fix the syntax", line)]) from None
    if not table:
        raise ScenarioError(str(path), [Problem("", "is empty: it holds only comments and blank lines, no TOML values")])
    if problems := _text_problems(table, text):
        raise ScenarioError(str(path), problems)
    return table, text


def _toml_error_line(message: str, text: str) -> int | None:
    m = re.search(r"at line (\d+)", message)
    if m:
        return int(m.group(1))
    if "end of document" in message:
        return max(1, len(text.splitlines()))
    return None


_KEY_PART = r"(?:[A-Za-z0-9_\-]+|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*')"
_DOTTED_KEY = rf"{_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART})*"
_HEADER_RE = re.compile(rf"^\s*(\[\[?)\s*({_DOTTED_KEY})\s*\]\]?\s*(#.*)?$")
_KEY_RE = re.compile(rf"[ \t]*({_DOTTED_KEY})[ \t]*=")


def _key_parts(key: str) -> list[str]:
    """``a."b.c".d`` -> ["a", "b.c", "d"]."""
    found = re.finditer(r"\"((?:[^\"\\]|\\.)*)\"|'([^']*)'|([A-Za-z0-9_\-]+)", key)
    return [next(g for g in m.groups() if g is not None) for m in found]


def locate(text: str, dotted: str) -> int | None:
    """The line of ``text`` where the dotted field is set, or its nearest enclosing table.

    Understands ``[a.b]`` and ``[[a.b]]`` headers (``a.b.0`` is the first ``[[a.b]]``),
    ``key = value`` lines with dotted keys, and inline tables and arrays, also written
    over several lines: ``key = {x = 1}``, ``key = [{x = 1}, {x = 2}]``.
    """
    parts = [p for p in dotted.split(".") if p]
    if not parts:
        return None
    lines = text.splitlines()
    starts = [0]
    for raw in lines:
        starts.append(starts[-1] + len(raw) + 1)
    joined = "\n".join(lines)
    best: tuple[int, int] | None = None  # (matched depth, line)
    table: list[str] = []
    arrays: dict[tuple[str, ...], int] = {}
    number = 0
    while number < len(lines):
        raw = lines[number]
        number += 1
        m = _HEADER_RE.match(raw)
        if m:
            table = _table_path(_key_parts(m.group(2)), m.group(1) == "[[", arrays)
            depth = _prefix_depth(table, parts)
            if depth == len(table) and (best is None or depth > best[0]):
                best = (depth, number)
            continue
        k = _KEY_RE.match(raw)
        if not k:
            continue
        full = table + _key_parts(k.group(1))
        inside = _prefix_depth(full, parts) == len(full)
        try:
            end, inner, inner_line = _scan_value(joined, starts[number - 1] + k.end(), parts[len(full) :] if inside else None)
        except (IndexError, ValueError):  # not TOML after all: keep the key's own line
            end, inner, inner_line = starts[number - 1], 0, None
        if inside and (best is None or len(full) + inner > best[0]):
            best = (len(full) + inner, inner_line or number)
        number = max(number, joined.count("\n", 0, end) + 1)  # skip the rest of a value written over several lines
    return best[1] if best else None


def _table_path(names: list[str], is_array: bool, arrays: dict[tuple[str, ...], int]) -> list[str]:
    """The dotted path of a table header, with array indices: ``[a.b]`` after ``[[a]]`` is ``a.<index>.b``."""
    out: list[str] = []
    for i, name in enumerate(names):
        out.append(name)
        key = tuple(out)
        if i < len(names) - 1 and key in arrays:
            out.append(str(arrays[key]))
    if is_array:
        key = tuple(out)
        arrays[key] = arrays.get(key, -1) + 1
        out.append(str(arrays[key]))
    return out


def _prefix_depth(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _skip_blank(text: str, i: int) -> int:
    while i < len(text):
        if text[i] in " \t\r\n":
            i += 1
        elif text[i] == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
        else:
            break
    return i


def _scan_string(text: str, i: int) -> int:
    """The position just after the TOML string that starts at ``i``."""
    for quote in ('"""', "'" * 3):
        if text.startswith(quote, i):
            end = text.index(quote, i + 3)
            while text.startswith(quote[0], end + 3):  # one or two quotes may end the content
                end += 1
            return end + 3
    quote = text[i]
    i += 1
    while text[i] != quote:
        if text[i] == "\n":
            raise ValueError("unterminated string")
        i += 2 if quote == '"' and text[i] == "\\" else 1
    return i + 1


def _scan_value(text: str, i: int, rest: list[str] | None) -> tuple[int, int, int | None]:
    """Scan the TOML value at ``i``: (its end, how many parts of ``rest`` are found inside, on which line)."""
    i = _skip_blank(text, i)
    if text[i] in "\"'":
        return _scan_string(text, i), 0, None
    if text[i] == "{":
        return _scan_inline_table(text, i, rest)
    if text[i] == "[":
        return _scan_array(text, i, rest)
    while i < len(text) and text[i] not in ",]}\n#":
        i += 1
    return i, 0, None


def _scan_inline_table(text: str, i: int, rest: list[str] | None) -> tuple[int, int, int | None]:
    depth, line = 0, None
    i = _skip_blank(text, i + 1)
    while text[i] != "}":
        k = _KEY_RE.match(text, i)
        if not k:
            raise ValueError("expected a key")
        key = _key_parts(k.group(1))
        key_line = text.count("\n", 0, i) + 1
        wanted = rest is not None and _prefix_depth(key, rest) == len(key)
        i, inner, inner_line = _scan_value(text, k.end(), rest[len(key) :] if wanted and rest is not None else None)
        if wanted and len(key) + inner > depth:
            depth, line = len(key) + inner, inner_line or key_line
        i = _skip_blank(text, i)
        if text[i] == ",":
            i = _skip_blank(text, i + 1)
    return i + 1, depth, line


def _scan_array(text: str, i: int, rest: list[str] | None) -> tuple[int, int, int | None]:
    depth, line, index = 0, None, 0
    i = _skip_blank(text, i + 1)
    while text[i] != "]":
        item_line = text.count("\n", 0, i) + 1
        wanted = rest is not None and bool(rest) and rest[0] == str(index)
        i, inner, inner_line = _scan_value(text, i, rest[1:] if wanted and rest is not None else None)
        if wanted:
            depth, line = 1 + inner, inner_line or item_line
        index += 1
        i = _skip_blank(text, i)
        if text[i] == ",":
            i = _skip_blank(text, i + 1)
    return i + 1, depth, line


def _split_loc(loc: Iterable[Any]) -> tuple[str, str | None, str]:
    """A pydantic error location as (field path, distribution name, parameter inside it).

    pydantic names the branch of a scenario number it tried (``number``, or
    ``distribution`` and the ``dist``); the user wrote one field, so every problem
    with a number is reported at that field.
    """
    parts = [str(item) for item in loc]
    if len(parts) > 2 and parts[0] == "sites" and parts[2] in SITE_KINDS:  # pydantic names the kind of site it tried
        del parts[2]
    parts = [part for i, part in enumerate(parts) if not (part in (AIRSTRIP_TAG, AIRSTRIPS_TAG) and i and parts[i - 1] == "airlift")]
    for i, part in enumerate(parts):
        if part == DISTRIBUTION_TAG and (i + 1 == len(parts) or parts[i + 1] in DISTRIBUTIONS):
            dist = parts[i + 1] if i + 1 < len(parts) else None
            return ".".join(parts[:i]), dist, ".".join(parts[i + 2 :])
    if parts and parts[-1] == NUMBER_TAG:
        parts = parts[:-1]
    return ".".join(parts), None, ""


def _lower_first(msg: str) -> str:
    msg = re.sub(r"^(Value|Assertion) error, ", "", msg)
    return msg[0].lower() + msg[1:] if msg else msg


def _distribution_message(err: ErrorDetails, dist: str, param: str) -> str:
    takes = ", ".join(name for name in DISTRIBUTIONS[dist].model_fields if name != "dist")
    kind = err["type"]
    if kind == "extra_forbidden":
        return f"impossible distribution: {dist} has no parameter `{param}`; it takes {takes}"
    if kind == "missing":
        return f"impossible distribution: {dist} needs `{param}`; it takes {takes}"
    msg = _lower_first(err["msg"])
    if msg.startswith("impossible distribution"):
        return msg
    return f"impossible distribution: {dist} {param}: {msg}" if param else f"impossible distribution: {dist}: {msg}"


def _message(err: ErrorDetails, dist: str | None, param: str) -> str:
    kind = err["type"]
    if dist is not None:
        return _distribution_message(err, dist, param)
    if kind == "extra_forbidden":
        return "unknown field; check the spelling against `evacsim schema`"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        given = err["input"].get("dist") if isinstance(err.get("input"), dict) else None
        return f"unknown distribution {given!r}; use one of {', '.join(DISTRIBUTIONS)}"
    if kind == "site_kind":
        return f"a site needs kind = {', '.join(SITE_KINDS[:-1])} or {SITE_KINDS[-1]}"
    if kind == "union_tag_not_found":
        return 'a distribution table needs a `dist` key (e.g. dist = "triangular")'
    if err["loc"] and err["loc"][-1] == NUMBER_TAG:
        return 'must be a number or a distribution table such as {dist = "uniform", low = 1, high = 2}'
    return _lower_first(err["msg"])


def _allowed_fields(parent: Sequence[str]) -> list[str]:
    """The field names the schema allows in the table at ``parent`` (a dotted path's parts)."""
    model: Any = TheatreScenario if parent[:1] and parent[0] in ("sites", "legs", "pools", "theatre") else Scenario
    skip = False
    for part in parent:
        if skip or part.isdigit():  # a dict key or list index (a base's airlift may be one strip or a list of them)
            skip = False
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return []
        model, skip = _inner_model(model.model_fields[part].annotation)
    return list(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _inner_model(annotation: Any) -> tuple[Any, bool]:
    """The model in ``X``, ``X | None``, ``dict[str, X]`` or ``list[X]``, and whether a key or index comes first."""
    origin = get_origin(annotation)
    if origin is Annotated:  # a tagged branch of a union (a base's one airstrip or several)
        return _inner_model(get_args(annotation)[0])
    if origin in (dict, list):
        return _inner_model(get_args(annotation)[-1])[0], True
    if origin in (Union, UnionType):
        models = [m for m, _ in map(_inner_model, get_args(annotation)) if isinstance(m, type) and issubclass(m, BaseModel)]
        return (models[0] if models else None), False
    return annotation, False


def _problems_from(exc: ValidationError, text: str) -> list[Problem]:
    """One problem per field the user wrote, however many branches pydantic tried."""
    messages: dict[str, list[str]] = {}
    kinds: dict[str, str] = {}
    for err in exc.errors():
        dotted, dist, param = _split_loc(err["loc"])
        msg = _message(err, dist, param)
        if dotted.split(".")[-2:] == ["deadline", "day"] and msg.startswith("must be >= 0"):  # as 0 is refused too
            given = err.get("input")
            msg = before_the_start(given if isinstance(given, int | float) else None)
        if dist is None and dotted.split(".")[-1] == "airlift" and err["type"] == "too_short":
            msg = "needs at least one airstrip: leave `airlift` out for a base without one"
        if dist is None and err["type"] == "model_type":
            msg = _group_message(dotted, err.get("input"))
        if re.fullmatch(r"must be <= 1( over its whole range.*)?", msg):  # a share written as a percentage
            msg += f"; it is a share between 0 and 1 ({_share_example(err.get('input'))})"
        if msg not in messages.setdefault(dotted, []):
            messages[dotted].append(msg)
        kinds.setdefault(dotted, err["type"] if dist is None else "distribution")
    _suggest_spellings(messages, kinds)
    return [Problem(dotted, "; ".join(msgs), locate(text, dotted)) for dotted, msgs in messages.items()]


def problems_from(exc: ValidationError, text: str) -> list[Problem]:
    """A pydantic error on a scenario as the problems validation reports: one per field, named as the file names it
    (``sites.rmelan.loading.teams``, not pydantic's branches), at its line in ``text`` when there is one."""
    return _problems_from(exc, text)


def _group_message(dotted: str, given: object) -> str:
    """A single value written where the schema has a group of fields (``fleet.civilian = 5``): which fields the group
    has, and the one to set."""
    fields = [name for name in _allowed_fields(dotted.split(".")) if name not in ("source", "source_kind")]
    what = "a single value"
    if isinstance(given, str):
        what = "text"
    elif isinstance(given, list):
        what = "a list"
    elif isinstance(given, int | float) and not isinstance(given, bool):
        what = "a number"
    shown = ", ".join(fields[:4]) + (", ..." if len(fields) > 4 else "")
    message = f"is a group of fields ({shown}), not {what}" if fields else f"is a group of fields, not {what}"
    example = "count" if "count" in fields else (fields[0] if fields else None)
    return message + (f": set {dotted}.{example}" if example else "")


def _share_example(given: object) -> str:
    """``e.g. 0.3 for 30%``, with the user's own number when it reads as a percentage."""
    if isinstance(given, int | float) and not isinstance(given, bool) and 1 < given <= 100:
        return f"e.g. {given / 100:g} for {given:g}%"
    return "e.g. 0.3 for 30%"


def _suggest_spellings(messages: dict[str, list[str]], kinds: dict[str, str]) -> None:
    """An unknown key close to an allowed name is a typo: say which, and drop the 'missing' it causes."""
    for dotted, kind in list(kinds.items()):
        if kind != "extra_forbidden":
            continue
        *parent, key = dotted.split(".")
        close = difflib.get_close_matches(key, _allowed_fields(parent), n=1, cutoff=0.6)
        if not close:
            continue
        meant = ".".join([*parent, close[0]])
        missing = kinds.get(meant) == "missing"
        if missing:
            del messages[meant]
            del kinds[meant]
        messages[dotted] = [f"unknown field; did you mean `{close[0]}`?" + (" (it is required and missing)" if missing else "")]


def feasibility_problems(s: Scenario) -> list[Problem]:
    """A one-base file that validates field by field but could never empty its base (:mod:`sim.scenario.feasibility`),
    named by the file's own paths."""
    return [Problem(field, message) for field, message in one_base_problems(s)]


def town_km_problem(town_km: Any, km: Any) -> str | None:
    """Why a leg's ``town_km`` (the stretch through towns, part of the leg) cannot stand beside its ``km`` (the whole
    leg), or ``None``: a number larger than the leg, or a drawn range that could give more town road than road."""
    town_low, town_high = support_of(town_km)
    km_low, km_high = support_of(km)
    fixed = town_low == town_high and km_low == km_high
    if fixed and town_high > km_high:
        return f"is {town_high:g} km, more than the leg's whole km ({km_high:g} km): the stretch through towns is part of the leg; give at most {km_high:g}"
    if not fixed and town_low > km_high:
        return (
            f"every draw ({town_low:g}-{town_high:g} km) is more than the leg's whole km can be ({km_low:g}-{km_high:g} km): "
            "the stretch through towns is part of the leg; give less town road or a longer leg"
        )
    if not fixed and town_high > km_low:
        return (
            f"can draw up to {town_high:g} km while the leg's whole km can draw as little as {km_low:g} km (the two ranges overlap), so a "
            "replication could drive more town road than road: the stretch through towns is part of the leg; give town_km a range "
            f"at most {km_low:g} km or km a range from {town_high:g} km"
        )
    return None


def route_problems(s: Scenario) -> list[Problem]:
    """A one-base scenario's two legs, each with more town road than road (:func:`town_km_problem`)."""
    out = []
    for name, leg in (("syria", s.route.syria), ("iraq", s.route.iraq)):
        if (why := town_km_problem(leg.town_km, leg.km)) is not None:
            out.append(Problem(f"route.{name}.town_km", why))
    return out


def theatre_feasibility_problems(s: TheatreScenario) -> list[Problem]:
    """The same checks as for one base (:mod:`sim.scenario.feasibility`), base by base on the theatre: each names the
    theatre's own field (``sites.<base>.loading.teams``, ``pools.<pool>.fleet.military.count``, ``sites.<crossing>.lanes``);
    one with a shared or pooled field that stops several bases is said once."""
    return [Problem(field, message) for field, message in theatre_problems(s)]


def deadline_problems(deadline: Deadline | None, classes: set[str], horizon_days: float, at: str = "deadline") -> list[Problem]:
    """A deadline (at ``at``) that would never come, or that names what is not at the base (``classes``: its cargo classes)."""
    if deadline is None:
        return []
    out = []
    earliest, latest = support_of(deadline.day)
    if latest >= horizon_days:
        past = "past" if latest > horizon_days else "on"
        what = f"is day {latest:g}, {past}" if earliest == latest else f"its range reaches day {latest:g}, {past}"
        out.append(
            Problem(
                f"{at}.day",
                f"{what} the horizon day {horizon_days:g} (scenario.horizon_days): the deadline would never come; give an earlier day or a later horizon",
            )
        )
    known = classes | {VEHICLES_IN_PRIORITY}
    for key, names in (("priority", deadline.priority), ("fate", list(deadline.fate))):
        unknown = [n for n in names if n not in known]
        if unknown:
            out.append(
                Problem(
                    f"{at}.{key}",
                    f"names {', '.join(repr(n) for n in unknown)}, not a cargo class of the base nor {VEHICLES_IN_PRIORITY!r}; "
                    f"the classes are {', '.join(sorted(classes))}",
                )
            )
    return out


def theatre_deadline_problems(s: TheatreScenario) -> list[Problem]:
    """Each base's own deadline checked against its classes; the theatre's ``[deadline]`` against every base's."""
    out = []
    every: set[str] = set()
    for name, site in s.bases.items():
        every |= set(site.cargo.classes)
        out += deadline_problems(site.deadline, set(site.cargo.classes), s.scenario.horizon_days, f"sites.{name}.deadline")
    return out + deadline_problems(s.deadline, every, s.scenario.horizon_days)


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
    for _, piece in _walk_strings({"v": value}):
        if why := bidi_problem(piece):
            raise ScenarioError("--set", [Problem(path, why)])
    return path, value


def apply_overrides(table: dict[str, Any], overrides: Sequence[str]) -> dict[str, Any]:
    """Set each ``path=value`` in a copy of the raw scenario table."""
    out = copy.deepcopy(table)
    for text in overrides:
        path, value = parse_override(text)
        node: Any = out
        parts = path.split(".")
        for part in parts[:-1]:
            if isinstance(node, list):  # an array of tables ([[legs]]): the part is its index
                nxt = node[_index(path, part, node)]
            else:
                nxt = node.get(part)
                if nxt is None:
                    nxt = node[part] = {}
            if not isinstance(nxt, (dict, list)):
                raise ScenarioError("--set", [Problem(path, f"{part} is a value, not a table; cannot set a field inside it")])
            node = nxt
        if isinstance(node, list):
            node[_index(path, parts[-1], node)] = value
        else:
            node[parts[-1]] = value
    return out


def _index(path: str, part: str, items: list) -> int:
    """``part`` of a dotted path as an index into an array of ``items`` (legs.2.km: the third leg)."""
    if not part.isdigit() or int(part) >= len(items):
        there = f"there are {len(items)}, counted from 0 in a dotted path (0 to {len(items) - 1})"
        raise ScenarioError("--set", [Problem(path, f"{part!r} is not one of the entries: {there}")])
    return int(part)


def validate_table(table: dict[str, Any], text: str, where: str, overridden: Sequence[str] = ()) -> Scenario:
    """Validate a raw table as a :class:`Scenario`, or raise :class:`ScenarioError`."""
    model = TheatreScenario if "sites" in table else Scenario  # a file without [sites] is the one-base shorthand
    try:
        scenario = model.model_validate(table)
    except ValidationError as exc:
        problems = _problems_from(exc, text)
        _mark_overrides(problems, overridden)
        raise ScenarioError(where, problems) from None
    problems = scenario_problems(scenario)
    if problems:
        for p in problems:
            p.line = locate(text, p.field)
        _mark_overrides(problems, overridden)
        raise ScenarioError(where, problems)
    return scenario


def scenario_problems(scenario: Scenario) -> list[Problem]:
    """What makes a scenario that validates field by field unable to run: on a theatre its road network, then each
    base's feasibility, and the deadlines; on one base its feasibility and
    deadline. Fields are named as in the file (``sites.<base>.loading.teams`` on a theatre); lines are not set."""
    if isinstance(scenario, TheatreScenario):
        from sim.scenario.network_checks import network_problems

        problems = [Problem(field, message) for field, message in network_problems(scenario)] or theatre_feasibility_problems(scenario)
        return problems + theatre_deadline_problems(scenario)
    deadline = deadline_problems(scenario.deadline, set(scenario.cargo.classes), scenario.scenario.horizon_days)
    return route_problems(scenario) or feasibility_problems(scenario) + deadline


def _mark_overrides(problems: list[Problem], overridden: Sequence[str]) -> None:
    paths = {parse_override(o)[0] for o in overridden}
    for p in problems:
        if any(p.field == q or p.field.startswith(q + ".") or q.startswith(p.field + ".") for q in paths):
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
    if (kind := other_kind_of_file(table)) is not None:
        raise NotAScenario(str(path), [Problem("", kind)])
    _refuse_other_shape(table, overrides, str(path))
    given = table
    table = apply_overrides(table, overrides)
    try:
        scenario = validate_table(table, text, str(path), overrides)
    except ScenarioError as exc:
        raise _blame_overrides(exc, given, text, str(path), overrides) from None
    return LoadedScenario(scenario, str(path), table, tuple(overrides))


def _refuse_other_shape(table: dict[str, Any], overrides: Sequence[str], where: str) -> None:
    """A ``--set`` path that belongs to the other shape of scenario (``sites.qasrak.loading.teams`` on a one-base file,
    ``loading.teams`` on a theatre): refused by its own path, before it turns the file into a scenario of that shape."""
    from sim.scenario.schema import ONE_BASE_GROUPS, Scenario

    theatre = "sites" in table
    theatre_only = sorted(set(TheatreScenario.model_fields) - set(Scenario.model_fields))
    problems = []
    for text in overrides:
        path, _ = parse_override(text)
        parts = path.split(".")
        if not theatre and parts[0] in theatre_only:
            inner = ".".join(parts[2:]) if parts[0] == "sites" and len(parts) > 2 else None
            hint = f"; on it set `{inner}`" if inner else ""
            problems.append(
                Problem(
                    path, f"is not an input of this one-base file: it has no [sites], its base's fields stand at the top level{hint} (value given with --set)"
                )
            )
        elif theatre and parts[0] == "route":
            said = "is not an input of this theatre file: its roads are its [[legs]], counted from 0 in a dotted path (e.g. legs.0.km)"
            problems.append(Problem(path, said + " (value given with --set)"))
        elif theatre and parts[0] in ONE_BASE_GROUPS:
            hint = f"; set `sites.<base>.{path}`, e.g. sites.{next(iter(table['sites']))}.{path}" if isinstance(table["sites"], dict) and table["sites"] else ""
            problems.append(
                Problem(
                    path, f"is not an input of this theatre file: each base's {parts[0]} stands under its own [sites.<base>]{hint} (value given with --set)"
                )
            )
    if problems:
        raise ScenarioError(where, problems)


def _blame_overrides(exc: ScenarioError, given: dict[str, Any], text: str, where: str, overrides: Sequence[str]) -> ScenarioError:
    """A scenario that the file alone makes runnable but its ``--set`` values do not: the problems found elsewhere in the
    file (``cargo.classes.general.carriers`` after ``--set convoys.max_per_day=0``) are said as the ``--set`` value's, naming it."""
    if not overrides or any("(value given with --set)" in p.message for p in exc.problems):
        return exc
    try:
        validate_table(given, text, where)
    except ScenarioError:
        return exc  # the file is wrong without the --set values: its own lines stand
    culprits = []
    for one in overrides:
        try:
            validate_table(apply_overrides(given, [one]), text, where, [one])
        except ScenarioError:
            culprits.append(one)
    why = "; ".join(f"`{p.field}` {p.message}" for p in exc.problems)
    return ScenarioError(
        where,
        [
            Problem(path, f"{_shown(value)} is not allowed (value given with --set): with it the scenario could never run, as {why}")
            for path, value in (parse_override(o) for o in culprits or overrides)
        ],
    )


def _shown(value: Any) -> str:
    """A ``--set`` value as the user wrote it (TOML): ``0``, ``2.5``, ``"convoy"``."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)
