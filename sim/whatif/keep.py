"""Keep what a planner found on the page: the changed scenario as a file, its results folder and its report.

The scenario file is the original text with each changed number replaced where it is written, a
comment on that line saying it was set by the user and what it was, the group's ``source`` prefixed
with what was set (the old source kept after it), and the changed fields' kind of source marked
``assumption`` (a planner's what-if is a planning assumption; the other fields keep their kinds).
The file is read back and must give the same numbers as the view, or nothing is kept.

The results folder and report are what ``evacsim run SCENARIO --set ... -n N --seed S`` and
``evacsim report`` write (:func:`sim.api.run`, :func:`sim.api.write_report`), with the view's
overrides, seed and number of replications, the page's day D (``--by-day``) and its measure (days to
base empty; on a theatre, to the last out of the country): the same replications and figures the page shows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sim import api
from sim.experiment.storage import new_run_dir, write_atomic
from sim.scenario.draws import numeric_fields
from sim.scenario.loading import load_scenario, locate, parse_override
from sim.whatif.session import WhatIf

USER_KIND = "assumption"
"""The kind of source a field set on the page gets."""

_KEY_LINE = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z0-9_\-]+)(?P<eq>\s*=\s*)(?P<value>.*)$")


class KeepError(Exception):
    """The view cannot be kept as asked (nothing was written)."""


def _set_line(lines: list[str], number: int | None, leaf: str, value: str, comment: str) -> str:
    """Put ``leaf = value  # comment`` on the field's own line (1-based ``number``); return the old value's text."""
    if number is not None:
        m = _KEY_LINE.match(lines[number - 1])
        if m and m.group("key") == leaf:
            old = m.group("value").split(" #", 1)[0].strip()
            lines[number - 1] = f"{m.group('indent')}{leaf}{m.group('eq')}{value}  # {comment.format(old=old)}"
            return old
    raise KeepError(f"cannot find the line that sets {leaf} in the scenario file; keep it with evacsim run --set instead")


def _group_of(path: str) -> tuple[str, str]:
    group, _, leaf = path.rpartition(".")
    return group, leaf


def changed_scenario_text(text: str, overrides: Sequence[str], when: str) -> str:
    """The scenario file ``text`` with each ``path=value`` override written in place, said to be set by the user."""
    lines = text.splitlines()
    by_group: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for override in overrides:
        path, _ = parse_override(override)
        value = override.split("=", 1)[1].strip()
        group, leaf = _group_of(path)
        number = locate("\n".join(lines), path)
        old = _set_line(lines, number, leaf, value, f"set by the user in evacsim serve on {when}; was {{old}}")
        by_group[group].append((leaf, f"{leaf} = {value} (was {old})"))
    for group, changes in by_group.items():
        _mark_source(lines, group, [leaf for leaf, _ in changes], "; ".join(said for _, said in changes), when)
    return "\n".join(lines) + "\n"


def _mark_source(lines: list[str], group: str, leaves: list[str], said: str, when: str) -> None:
    """Prefix the group's ``source`` with what the user set and mark the fields' kind of source (if it has a source)."""
    number = locate("\n".join(lines), f"{group}.source")
    m = _KEY_LINE.match(lines[number - 1]) if number else None
    if number is None or m is None or m.group("key") != "source":
        return  # a group without a source of its own: the comment on the value's line says it
    old = tomllib.loads(f"v = {m.group('value')}")["v"]
    text = f"set by the user in evacsim serve on {when}: {said}. Before: {old}"
    lines[number - 1] = f"{m.group('indent')}source{m.group('eq')}{json.dumps(text, ensure_ascii=False)}"
    kind_line = locate("\n".join(lines), f"{group}.source_kind")
    k = _KEY_LINE.match(lines[kind_line - 1]) if kind_line else None
    table: dict[str, Any] = {}
    if kind_line is not None and k is not None and k.group("key") == "source_kind":
        found = tomllib.loads(f"v = {k.group('value')}")["v"]
        table = {"default": found} if isinstance(found, str) else dict(found)
        table.update(dict.fromkeys(leaves, USER_KIND))
        lines[kind_line - 1] = f"{k.group('indent')}source_kind = {_inline(table)}"
    else:
        lines.insert(number, f"{m.group('indent')}source_kind = {_inline(dict.fromkeys(leaves, USER_KIND))}")


def _inline(table: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{k} = {json.dumps(v)}" for k, v in table.items()) + "}"


def keep_view(session: WhatIf, by_day: float, root: Path | None = None) -> dict[str, Any]:
    """Write the current view: ``<name>-whatif.toml``, the run folder ``run/`` (``evacsim run`` with the view's
    overrides, seed and replications, and the page's day D ``by_day`` and measure) and its ``report.html``, under a
    new ``results/<name>-whatif-<time>/``."""
    view = session.views[session.current]
    n = session.answer(by_day)["replications"]
    if n < 2:
        raise KeepError("wait for the first replications before keeping this view")
    name = session.loaded.scenario.scenario.name
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    original = Path(session.loaded.path).read_text(encoding="utf-8")
    text = changed_scenario_text(original, [*session.loaded.overrides, *view.overrides], when)  # the command line's --set too
    folder = new_run_dir(root or api.RESULTS, f"{name}-whatif")
    scenario_file = folder / f"{name}-whatif.toml"
    write_atomic(scenario_file, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    saved = load_scenario(scenario_file)
    if numeric_fields(saved.scenario) != numeric_fields(view.loaded.scenario):
        scenario_file.unlink()
        raise KeepError("the scenario file written does not give the view's numbers; nothing kept")
    result = api.run(
        session.loaded,
        n,
        seed=session.seed,
        overrides=view.overrides,
        out=folder / "run",
        executor=session.executor,
        measure="days",  # the page's measure: days to base empty, or on a theatre to the last out of the country
        by_day=by_day,  # the page's day D: the kept summary and report say P(out by day D) as the page did
        base=None,
    )
    report = api.write_report(result.folder)
    return {"scenario": str(scenario_file), "results": str(result.folder), "report": str(report), "replications": n, "overrides": list(view.overrides)}
