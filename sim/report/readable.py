"""Manifest values as an analyst reads them: no ``None``, no ``nan``, no Python dicts.

:func:`readable` turns one value of a manifest into text (or a small escaped HTML list or
table for nested values); ``None`` and empty strings give ``None``, meaning "leave the
field out". Factors read ``escort.teams: 2-6 (whole numbers)``, proportions
``12.5% (95% CI 8.1-17.9%)``, observations ``23 Feb 2026: vehicles left the base, 24-150 vehicles (tolerance 15 vehicles)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

from markupsafe import Markup

MISSING = "—"
"""What a missing number (NaN) shows as."""


def number(value: float | int) -> str:
    """A number without float noise: ``4``, ``0.01``, ``632``, ``1320``, ``0.0283``; NaN is ``—``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    value = float(value)
    if not math.isfinite(value):
        return MISSING if math.isnan(value) else ("no limit" if value > 0 else "-no limit")
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def span(low: float, high: float) -> str:
    """``2-6``, or ``-3 to 5`` when a dash would read as a minus sign."""
    sep = " to " if min(low, high) < 0 else "-"
    return f"{number(low)}{sep}{number(high)}"


def is_scalar(value: object) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, (bool, int, float)):
        return number(value)
    text = str(value).strip()
    return text or None


def factor(entry: Mapping) -> str:
    """A factor of a design or a sensitivity study: ``escort.teams: 2-6 (whole numbers), levels 2, 4, 6``.

    A whole-number factor shows the values the model saw (its P5 and P95 rounded, as the design rounds them)."""
    whole = bool(entry.get("integer"))
    seen = (lambda v: float(round(v))) if whole else float
    text = str(entry["path"])
    low, high = entry.get("low"), entry.get("high")
    if low is not None and high is not None:
        text += f": {span(seen(low), seen(high))}"
    if whole:
        text += " (whole numbers)"
    levels = entry.get("levels")
    if levels:
        text += f", levels {', '.join(number(v) for v in levels)}"
    if entry.get("median") is not None:
        text += f", median {number(seen(entry['median']))}"
    if entry.get("sampled"):
        text += f"; {entry['sampled']}"
    rest = _pairs({k: v for k, v in entry.items() if k not in ("path", "low", "high", "integer", "levels", "median", "sampled")})
    return f"{text}; {rest}" if rest else text


def _day(value: object) -> str:
    """A report's date as a person reads it (``23 Feb 2026``); a date with a time of day stays as the file gives it."""
    from datetime import date

    from sim.names import date_words

    try:
        return date_words(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def observation(entry: Mapping) -> str:
    """A dated report in words and units: ``23 Feb 2026: vehicles left the base, 24-150 vehicles (tolerance 15
    vehicles); note; source`` (a share in percent)."""
    from sim.scenario.observations import KIND_WORDS

    kind = entry.get("kind")
    what, unit = KIND_WORDS.get(str(kind), (str(kind) if kind is not None else "", ""))
    if entry.get("crossing") is not None:
        what = f"{what} at {entry['crossing']}"
    scale, unit = (100.0, "%") if unit == "%" else (1.0, f" {unit}" if unit else "")

    def amount(x: object) -> str:
        return number(scale * float(x)) if isinstance(x, int | float) else str(x)

    text = _day(entry["date"]) if entry.get("date") is not None else ""
    if entry.get("until") is not None:
        text += f" to {_day(entry['until'])}"
    text = f"{text}: {what}" if text and what else text or what
    value, low, high = entry.get("value"), entry.get("low"), entry.get("high")
    reported = None
    if value is not None:
        reported = amount(value)
    elif low is not None and high is not None:
        reported = f"{amount(low)}-{amount(high)}"
    elif low is not None:
        reported = f"at least {amount(low)}"
    elif high is not None:
        reported = f"at most {amount(high)}"
    if reported:
        text += f", {reported}{unit}"
    if entry.get("tolerance") is not None:
        tolerance_unit = " convoys" if kind in ("pause", "crossing_closed") else unit
        text += f" (tolerance {amount(entry['tolerance'])}{tolerance_unit})"
    rest = _pairs({k: v for k, v in entry.items() if k not in ("date", "kind", "until", "value", "low", "high", "tolerance", "crossing")})
    return f"{text}; {rest}" if rest else text


def proportion(entry: Mapping) -> str:
    """``{"estimate", "ci_low", "ci_high"}`` as ``12.5% (95% CI 8.1-17.9%)``."""
    return f"{100 * entry['estimate']:.1f}% (95% CI {100 * entry['ci_low']:.1f}-{100 * entry['ci_high']:.1f}%)"


def _is_proportion(value: Mapping) -> bool:
    return {"estimate", "ci_low", "ci_high"} <= set(value)


def _entry(entry: Mapping) -> str:
    if "path" in entry:
        return factor(entry)
    if "date" in entry and "kind" in entry:
        return observation(entry)
    return _pairs(entry)


def _pairs(entry: Mapping) -> str:
    """``key value; key value`` of the fields that have a value, nested ones flattened."""
    parts = []
    for key, value in entry.items():
        text = _inline(value)
        if text is not None:
            parts.append(f"{key} {text}")
    return "; ".join(parts)


def _inline(value: Any) -> str | None:
    """A value on one line of text."""
    if is_scalar(value):
        return scalar(value)
    if isinstance(value, Mapping):
        if _is_proportion(value):
            return proportion(value)
        text = ", ".join(f"{k} = {t}" for k, v in value.items() if (t := _inline(v)) is not None)
        return text or None
    items = [t for v in value if (t := (_entry(v) if isinstance(v, Mapping) else _inline(v))) is not None]
    return ", ".join(items) if items else "none"


def readable(key: str, value: Any) -> str | Markup | None:
    """One manifest field as text or a small HTML list or table; ``None`` to leave it out."""
    if is_scalar(value):
        return scalar(value)
    if isinstance(value, Mapping):
        if _is_proportion(value):
            return proportion(value)
        rows = [(k, t) for k, v in value.items() if (t := readable(k, v)) is not None]
        if not rows:
            return None
        nested = any(isinstance(v, Mapping) and not _is_proportion(v) for v in value.values())
        short = all(not isinstance(t, Markup) for _, t in rows) and sum(len(str(k)) + len(t) for k, t in rows) < 160
        if short and not nested:
            return ", ".join(f"{k}: {t}" if "." in str(k) else f"{k} {t}" for k, t in rows)
        body = "".join(f"<tr><th>{escape(str(k))}</th><td>{t if isinstance(t, Markup) else escape(t)}</td></tr>" for k, t in rows)
        return Markup(f'<table class="nested"><tbody>{body}</tbody></table>')
    items = list(value)
    if not items:
        return "none"
    if key.endswith("_days") and len(items) == 2 and all(isinstance(v, (int, float)) for v in items):
        return f"{span(*items)} days"
    if any(isinstance(v, Mapping) for v in items):
        lines = [_entry(v) if isinstance(v, Mapping) else (_inline(v) or "") for v in items]
        return Markup('<ul class="plain">' + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
    texts = [t for v in items if (t := _inline(v)) is not None]
    return ("; " if any(", " in t for t in texts) else ", ").join(texts) if texts else "none"


# ---- a scenario's parameters in words and units (where each number comes from) ---------------------

_IN_UNITS = ("value", "low", "mode", "high", "mean", "sd", "median", "values")
"""A distribution's arguments in the unit of the parameter it draws (the others are shapes: ``shape``, ``sigma``,
``weights``, ``p``)."""


def parameter_words(path: str) -> str:
    """A scenario parameter in a planner's words (:func:`sim.names.label`, as the tornado names it); a parameter
    without a name of its own reads from its path: ``pause.probability`` -> ``pause: probability``."""
    from sim.names import label

    words = label(path)
    if words != path:
        return words
    group, _, rest = path.partition(".")
    rest = rest.replace("_", " ").replace(".", ", ")
    return f"{group.replace('_', ' ')}: {rest}" if rest else group.replace("_", " ")


def clock(hour: float) -> str:
    """An hour of the day as a clock reads it: ``5`` -> ``05:00``, ``17.5`` -> ``17:30``."""
    minutes = round(float(hour) * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def numbers_in_unit(values: list[float], unit: str) -> str:
    """A list of numbers in their unit: hours of the day as a clock (``05:00 to 12:00 local``), a pair as a range
    (``15 to 30 days``), more as a list (``20, 30, 60 days``), shares in percent."""
    if unit.startswith("hour of the day"):
        text = " to ".join(clock(v) for v in values) if len(values) == 2 else ", ".join(clock(v) for v in values)
        return f"{text} local" if unit.endswith("local") else text
    share = unit.startswith("share")
    said = [f"{100 * v:.4g}%" if share else f"{v:g}" for v in values]
    text = " to ".join(said) if len(said) == 2 else ", ".join(said)
    return text if share or unit in ("count", "rank") else f"{text} {unit}"


def value_in_units(path: str, given: Any, written: str) -> str:
    """A parameter's value or distribution in its unit: a share in percent (``pause.probability`` 0.25 -> ``25%``,
    ``uniform(0, 0.3)`` -> ``uniform(0%, 30%)``), other numbers with their unit (``213 km``), a pair as a range
    (``window_days`` ``15 to 30 days``, ``convoys.departure_window`` ``05:00 to 12:00 local``), a switch as yes or no;
    counts and other settings as written (``written``, the value as :func:`sim.scenario.provenance.describe_value`
    gives it)."""
    from sim.names import names_a_site, site_name, unit_of
    from sim.scenario.distributions import _Distribution

    if isinstance(given, str) and names_a_site(path):  # another site: by its title (Rmelan), not its key (rmelan)
        return site_name(given)
    unit = unit_of(path)
    share = unit.startswith("share")
    if isinstance(given, bool):
        return "yes" if given else "no"
    if isinstance(given, list | tuple) and given and all(isinstance(v, int | float) and not isinstance(v, bool) for v in given):
        return numbers_in_unit(list(given), unit)
    if not isinstance(given, int | float | _Distribution):
        return written

    def one(x: object) -> str:
        if isinstance(x, list):
            return "[" + ", ".join(one(v) for v in x) + "]"
        if not isinstance(x, int | float):
            return str(x)
        return f"{100 * x:.4g}%" if share else f"{x:g}"

    if isinstance(given, _Distribution):
        args = given.model_dump(exclude={"dist"})
        parts = [one(v) if k in _IN_UNITS else f"{k} {one(v) if isinstance(v, list) else format(v, 'g')}" for k, v in args.items() if v is not None]
        text = f"{given.dist}({', '.join(parts)})"  # type: ignore[attr-defined]
    else:
        text = one(given)
    return text if share or unit in ("count", "rank") else f"{text} {unit}"
