"""Tables of a results folder as a person reads them, for ``report.md`` and ``report.html``: columns in words and
units, each input by its planner name with the dotted path beside it, numbers rounded to what they can tell.

:data:`READ_AS` writes the tables that :func:`sim.names.people_table` does not know (the evidence, the backtests,
a plan's shortlist, front and candidates); :func:`markdown_table` writes any such table as a Markdown table.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from sim.names import plain, window_words

MISSING = "—"


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def signed(value: object, digits: int = 1) -> str:
    """``+12.0``, ``-4.0``; ``—`` when missing."""
    number = _number(value)
    return MISSING if number is None else f"{number:+.{digits}f}"


def fixed(value: object, digits: int = 1) -> str:
    """``15.9``; ``—`` when missing."""
    number = _number(value)
    return MISSING if number is None else f"{number:.{digits}f}"


def interval(low: object, high: object, digits: int = 1) -> str:
    """``7.8-55.4``, or ``-2.9 to 38.9`` when a dash would read as a minus sign; ``—`` when either end is missing."""
    a, b = _number(low), _number(high)
    if a is None or b is None:
        return MISSING
    sep = " to " if min(a, b) < 0 else "-"
    return f"{a:.{digits}f}{sep}{b:.{digits}f}"


def evidence_table(frame: pd.DataFrame, window: tuple[float, float] | None) -> pd.DataFrame:
    """``evidence.csv`` in words: the input by name (its path in ``parameter``), the kind of its source, its swings and the
    share of the verdict's uncertainty knowing it would settle (EVPPI), with its interval."""
    p = window_words(window)
    out = pd.DataFrame({"input": frame.get("label", frame["input"]).astype(str), "parameter": frame["input"].astype(str)})
    if "source_kind" in frame:
        out["kind of source"] = frame["source_kind"].fillna("unsourced").astype(str)
    if "swing_days" in frame:
        out["swing in mean days to base empty, P5 to P95 (days)"] = frame["swing_days"].map(signed)
    if "p_window_swing_points" in frame:
        out[f"swing in {p}, P5 to P95 (points)"] = frame["p_window_swing_points"].map(lambda v: signed(v, 0))
    if "evppi" in frame:
        out["share of the verdict's uncertainty knowing it settles, EVPPI (%)"] = frame["evppi"].map(fixed)
    if {"evppi_low", "evppi_high"} <= set(frame.columns):
        out["95% interval (%)"] = [interval(lo, hi) for lo, hi in zip(frame["evppi_low"], frame["evppi_high"], strict=True)]
    return out


def backtest_table(frame: pd.DataFrame, window: tuple[float, float] | None = None) -> pd.DataFrame:
    """``backtest.csv`` in words: one row a past withdrawal (its case file's name in ``parameter``), what was reported
    against the model's P10 / P50 / P90."""
    unit = frame["unit"].astype(str)
    out = pd.DataFrame({"past withdrawal": frame["what"].astype(str), "parameter": frame["case"].astype(str), "measured": frame["measure"].astype(str)})
    out["reported"] = [f"{plain(lo)}-{plain(hi)} {u}" for lo, hi, u in zip(frame["reported_low"], frame["reported_high"], unit, strict=True)]
    spread = zip(frame["p10"], frame["p50"], frame["p90"], unit, strict=True)
    out["model P10 / P50 / P90"] = [f"{fixed(a)} / {fixed(b)} / {fixed(c)} {u}" for a, b, c, u in spread]
    if "share_in_reported" in frame:
        out["replications inside the reported range (%)"] = frame["share_in_reported"].map(lambda v: fixed(100 * float(v), 0))
    out["verdict"] = frame["verdict"].astype(str)
    if "replications" in frame:
        out["replications"] = frame["replications"].map(plain)
    return out


def plan_table(frame: pd.DataFrame, window: tuple[float, float] | None = None) -> pd.DataFrame:
    """A plan's ``plan.csv``, ``pareto.csv`` or ``candidates.csv`` in words: each plan as its sentence (the levers' dotted
    columns say the same in numbers and stay in the CSV), its cost, and its chance of the target in the search and, for
    the shortlist, on fresh replications."""
    out = pd.DataFrame({"plan": frame["plan"].astype(str)})
    if "cost" in frame:
        out["cost (request points)"] = frame["cost"].map(plain)
    if "search_p" in frame:
        out["chance of the target in the search (%)"] = frame["search_p"].map(lambda v: fixed(100 * float(v), 0))
        out["search: 95% CI (%), replications"] = [
            f"{interval(100 * lo, 100 * hi, 0)}, {plain(n)}"
            for lo, hi, n in zip(frame["search_ci_low"], frame["search_ci_high"], frame["search_replications"], strict=True)
        ]
    if "confirm_p" in frame:
        out["on fresh replications (%)"] = frame["confirm_p"].map(lambda v: fixed(100 * float(v), 1))
        out["fresh: 95% CI (%), replications"] = [
            f"{interval(100 * lo, 100 * hi, 1)}, {plain(n)}"
            for lo, hi, n in zip(frame["confirm_ci_low"], frame["confirm_ci_high"], frame["confirm_replications"], strict=True)
        ]
    if "verdict" in frame:
        out["verdict"] = frame["verdict"].astype(str)
    if "found_by" in frame:
        out["found by"] = frame["found_by"].astype(str)
    return out


READ_AS: dict[str, Callable[[pd.DataFrame, tuple[float, float] | None], pd.DataFrame]] = {
    "evidence": evidence_table,
    "backtest": backtest_table,
    "plan": plan_table,
    "pareto": plan_table,
    "candidates": plan_table,
}
"""Tables (by CSV stem) whose every column is written in words here; the others through :func:`sim.names.people_table`."""


def markdown_table(frame: pd.DataFrame) -> str:
    """A table of words and numbers as a Markdown (GitHub) table: the dotted path of each input in code beside its
    words in the first column (not a column of its own), numbers right-aligned, ``|`` escaped; numbers that are not
    yet text are written without float noise (:func:`sim.names.plain`)."""
    beside = "parameter" in frame.columns and len(frame.columns) > 1 and frame.columns[0] != "parameter"
    columns = [c for c in frame.columns if not (beside and c == "parameter")]
    rows = []
    for record in frame.to_dict("records"):
        cells = [_cell(record[c]) for c in columns]
        path = _cell(record["parameter"]) if beside else ""
        if path and path != cells[0]:
            cells[0] = f"{cells[0]} (`{path}`)"
        rows.append(cells)
    right = [bool(rows) and all(_numeric(r[i]) for r in rows) and i > 0 for i in range(len(columns))]
    lines = ["| " + " | ".join(_escape(str(c)) for c in columns) + " |", "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    lines += ["| " + " | ".join(_escape(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    return plain(value)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or text[0] in "+-<>" or text == MISSING)
