"""How a planner reads evacsim's names: inputs and table columns in words, each with its unit.

One place for the words every reader sees (console tables, report tables, figure axes):
``fleet.het.count`` reads "heavy equipment transporters", the tornado's ``p_window.swing``
reads "swing in P(15-30 days) (percentage points)". Shares of replications are shown in
percent, changes of a share in percentage points, counts as whole numbers; the dotted path
may appear beside the words, small. Nothing here knows the model: names only (and the words the scenario's groups declare).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pandas as pd

AT_HORIZON = "at the horizon"
"""How a replication's ``never_finishes`` reason starts when the horizon cut it off (it might have finished
later): what was left and what held it. Any other reason means the base could never have emptied."""

TRUCK_TYPES = {"civilian": "contracted trucks", "lowboy": "contracted lowboys", "military": "military trucks", "het": "heavy equipment transporters"}
"""The fleet's truck types (``fleet.civilian``, ...) as planners call them: the civilian type is the contracted
tractor-trailers (README, plan, evidence)."""

LABELS = {
    "fleet.civilian.count": "contracted trucks",
    "fleet.military.count": "military trucks",
    "fleet.het.count": "heavy equipment transporters",
    "escort.teams": "escort teams",
    "air_cover.apaches": "Apaches",
    "loading.teams": "loading teams",
    "loading.hours_per_truck": "loading hours per truck",
    "airlift.sorties_per_day": "airlift sorties a day",
    "cargo.classes.general.loads": "general cargo loads",
    "cargo.classes.heavy.loads": "heavy loads",
    "cargo.classes.sensitive.loads": "sensitive loads",
    "cargo.classes.general.handed_over_fraction": "share of general cargo handed over",
    "cargo.packout_loads_per_day": "loads packed out a day",
    "cargo.staged_at_start": "share staged at the start",
    "vehicles.count": "self-driving vehicles",
    "people.troops": "troops",
    "people.security_force": "security force",
    "fleet.breakdowns_per_1000_km": "breakdowns per 1000 km",
    "route.iraq.km": "km of the Iraqi leg",
    "route.threats.closures_per_week": "route closures a week",
    "crossing.main.minutes_per_vehicle": "crossing minutes per vehicle",
    "crossing.main.closures_per_month": "main crossing closures a month",
    "crossing.alternate.closures_per_month": "alternate crossing closures a month",
    "crossing.main.lanes": "crossing lanes",
    "weather.dust_day_probability": "chance of a dust day",
    "fleet.lowboy.count": "contracted lowboys",
    "cargo.classes.outsized.loads": "outsized loads (HET only)",
    "convoys.max_per_day": "convoys a day",
    "convoys.size_max": "largest convoy",
    "escort.vehicles_per_team": "vehicles an escort team covers",
    "escort.rest_hours": "escort rest between missions",
    "air_cover.sorties_per_aircraft_per_day": "sorties an Apache flies a day",
    "air_cover.hours_on_station": "Apache hours over a convoy",
    "airlift.max_on_ground": "aircraft on the strip at once",
    "airlift.c130j.troops": "C-130J seats",
    "route.iraq.speed_kmh": "convoy speed in Kurdistan",
    "route.threats.closure_hours": "hours a route closure lasts",
    "crossing.alternate.closure_days": "days an alternate crossing closure lasts",
    "pause.start_day": "day the pause begins",
    "pause.days": "days the pause lasts",
    "pause.inflow_loads": "truckloads flowing in",
    "pause.inflow_troops": "troops flowing in",
    "pause.returned_fraction": "share of the loads gone brought back",
    "deadline.day": "deadline (days from the start)",
    "leaves": "chance the site still has to move",
    "same_place": "chance it is the same place as another base",
}
"""How planners call the scenario's inputs; a base's optional groups (fuel, own transport, ...) declare their own
words (their fields' ``title``, :func:`words`); other paths are shown as they are."""


def words(path: str) -> str | None:
    """An input's planner name: from :data:`LABELS`, else the words the base's optional groups declare; None if neither has one."""
    return LABELS[path] if path in LABELS else group_words().get(path)


@cache
def group_words() -> dict[str, str]:
    """The words a base's optional groups declare for their inputs (their fields' ``title``), read once and only when
    a name is not in :data:`LABELS` (the schema imports pydantic and SciPy)."""
    from sim.scenario.schema import BaseGroups

    return BaseGroups.words()


@dataclass(frozen=True)
class TheatreNames:
    """A theatre's own names for :func:`label`: each site's title as the file spells it (``kharab_al_jir`` ->
    ``Kharab al-Jir``), and each road (``legs.<i>``) by its two ends."""

    titles: dict[str, str]
    legs: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, scenario: Any) -> TheatreNames | None:
        """The names of a theatre scenario (one with ``sites`` and ``legs``); None for a one-base file."""
        sites, legs = getattr(scenario, "sites", None), getattr(scenario, "legs", None)
        if not sites or legs is None:
            return None
        return cls({k: str(getattr(v, "title", None) or site_title(k)) for k, v in sites.items()}, tuple((leg.start, leg.end) for leg in legs))


_THEATRE: ContextVar[TheatreNames | None] = ContextVar("evacsim_theatre_names", default=None)


@contextmanager
def theatre_names(scenario: Any) -> Iterator[None]:
    """Inside, :func:`label` names a theatre's sites by their titles and its roads by their ends (a one-base
    scenario changes nothing)."""
    token = _THEATRE.set(TheatreNames.of(scenario))
    try:
        yield
    finally:
        _THEATRE.reset(token)


def closed_words(calibrated: str | None) -> str:
    """What a calibration's accepted draws did: ``closed`` (a one-base file), or ``left Qasrak (the main base) empty``
    (a theatre, whose ``calibrated`` base is its main one, not the whole withdrawal)."""
    return f"left {calibrated} empty" if calibrated else "closed"


def site_name(key: str) -> str:
    """A site as a planner reads it: its title inside :func:`theatre_names` (``rmelan`` -> ``Rmelan``), else its key
    in words (:func:`site_title`)."""
    theatre = _THEATRE.get()
    return theatre.titles.get(key, site_title(key)) if theatre else site_title(key)


_SITE_FIELDS = {"sites": ("after", "send_to", "same_place_as"), "legs": ("start", "end")}
"""The fields of a theatre whose value is another site's key: a base it waits for, sends to or may be; a road's ends."""


def names_a_site(path: str) -> bool:
    """Whether a scenario field's value is a site's key (``sites.rmelan.after``, ``legs.0.end``)."""
    parts = str(path).removeprefix("input.").split(".")
    return len(parts) == 3 and parts[2] in _SITE_FIELDS.get(parts[0], ())


def label(path: str) -> str:
    """A factor's planner name, e.g. ``contracted trucks`` for ``fleet.civilian.count`` (or ``input.fleet.civilian.count``).

    A theatre's paths name their site, pool or road first: ``sites.rmelan.cargo.classes.general.loads`` reads
    ``Rmelan: general cargo truckloads``, ``pools.army.fleet.military.count`` reads ``army pool: military trucks``,
    ``legs.2.km`` reads ``road 3: km``; inside :func:`theatre_names`, a site is its title and a road its two ends
    (``al-Waleed crossing to Erbil road: speed (km/h)``). A crossing's own field reads ``crossing ...``, never
    ``main crossing ...`` (the alternate crossing is a site like the main one).
    """
    path = str(path).removeprefix("input.")
    said = words(path)
    if said is not None:
        return said
    group, _, rest = path.partition(".")
    name, _, field = rest.partition(".")
    theatre = _THEATRE.get()
    if group == "sites" and field:
        title = site_name(name)
        own = words(field)
        if own is None and words(f"crossing.main.{field}") is not None:
            own = str(words(f"crossing.main.{field}")).replace("main crossing", "crossing")
        return f"{title}: {own if own is not None else _first_label(field)}"
    if group == "pools" and field:
        return f"{name.replace('_', ' ')} pool: {_first_label(field)}"
    if group == "legs" and name.isdigit() and field:
        found = next((words(c) for c in (field, f"route.{field}", f"route.syria.{field}") if words(c) is not None), None)
        unit = unit_of(field)
        what = found or field.replace("_kmh", "").replace("_", " ").replace(".", ", ")
        what = what if unit in ("count", "rank") or unit in what else f"{what} ({unit})"
        if theatre and int(name) < len(theatre.legs):
            start, end = theatre.legs[int(name)]
            return f"{site_name(start)} to {site_name(end)} road: {what}"
        return f"road {int(name) + 1}: {what}"
    return path


def _first_label(path: str, *alternatives: str) -> str:
    """The planner name of the first of ``path`` and its ``alternatives`` that has one; else ``path`` in words."""
    for candidate in (path, *alternatives):
        said = words(candidate)
        if said is not None:
            return said
    return path.replace("_", " ").replace(".", ", ")


def site_title(key: str) -> str:
    """A site's key as a name: ``kharab_al_jir`` -> ``Kharab al Jir`` (the scenario's ``title`` is the full name)."""
    words = key.split("_")
    return " ".join(w if i and w in ("al", "el", "of") else w.capitalize() for i, w in enumerate(words))


_EXACT_UNITS = {
    "pallets_per_load": "pallets a truckload",
    "breakdowns_per_1000_km": "per truck per 1000 km",
    "packout_loads_per_day": "truckloads a day",
    "max_per_day": "convoys a day",
    "sorties_per_day": "sorties a day",
    "sorties_per_aircraft_per_day": "sorties an aircraft a day",
    "closures_per_week": "closures a week",
    "closures_per_month": "closures a month",
    "priority": "rank",
    "day": "days from the start",
    "leaves": "share, 0-1",
    "same_place": "share, 0-1",
    "departure_window": "hour of the day, local",
    "daylight": "hour of the day, local",
}

_UNITS = (
    ("_kmh", "km/h"),
    ("km", "km"),
    ("hours", "hours"),
    ("hours_per_truck", "hours a truck"),
    ("hours_on_station", "hours"),
    ("days", "days"),
    ("start_day", "days from the start"),
    ("minutes", "minutes"),
    ("minutes_per_vehicle", "minutes a vehicle"),
    ("loads", "truckloads"),
    ("fraction", "share, 0-1"),
    ("probability", "share, 0-1"),
    ("staged_at_start", "share, 0-1"),
    ("pallets", "pallets"),
    ("troops", "people"),
    ("security_force", "people"),
    ("seats_per_convoy", "people"),
    ("crew", "people"),
    ("runway_m", "m"),
)


def unit_of(path: str) -> str:
    """The unit of a scenario field, from its name (the schema's names carry them): ``route.syria.km`` -> ``km``."""
    leaf = str(path).removeprefix("input.").rsplit(".", 1)[-1]
    if leaf in _EXACT_UNITS:
        return _EXACT_UNITS[leaf]
    if leaf.startswith("share_of"):
        return "share, 0-1"
    for ending, unit in reversed(_UNITS):  # longer, more specific endings are listed later
        if leaf.endswith(ending):
            return unit
    return "count"


def value_words(path: str, value) -> str:
    """One value of an input in its unit: a share in percent (``25%``), a count as a whole number (``40``), anything
    else with its unit (``213 km``); ``—`` for a missing value."""
    v = _finite(value)
    if v is None:
        return "—"
    unit = unit_of(path)
    if unit.startswith("share"):
        return f"{100 * v:.3g}%"
    text = f"{v:.0f}" if is_whole(path) and float(v).is_integer() else f"{v:.3g}"
    return text if unit in ("count", "rank") else f"{text} {unit}"


def unit_words(path: str) -> str:
    """The unit beside an input's values as :func:`in_unit` writes them: ``percent`` for a share (written ``11.4%``,
    never a 0-1 fraction), else :func:`unit_of`'s (``km``, ``count``)."""
    unit = unit_of(path)
    return "percent" if unit.startswith("share") else unit


def in_unit(path: str, value) -> str:
    """One value of an input as a table cell beside its unit column: a share in percent (``11.4%``), any other
    number plainly (``60``, ``213``, ``4.5``); ``—`` for a missing value."""
    v = _finite(value)
    if v is None:
        return "—"
    return f"{100 * v:.3g}%" if unit_of(path).startswith("share") else plain(v)


def range_words(path: str, low, high) -> str:
    """A range of an input in its unit, for a sentence: ``5-20%``, ``60-140`` (a count), ``200-250 km``."""
    unit = unit_of(path)
    a, b = _finite(low), _finite(high)
    if a is None or b is None:
        return "—"
    if unit.startswith("share"):
        a, b = 100 * a, 100 * b
    sep = " to " if min(a, b) < 0 else "-"
    text = f"{plain(a)}{sep}{plain(b)}"
    if unit.startswith("share"):
        return f"{text}%"
    return text if unit in ("count", "rank") else f"{text} {unit}"


_COUNTED = {
    "convoys.size_max": "vehicles",
    "escort.vehicles_per_team": "vehicles",
    "airlift.max_on_ground": "aircraft",
    "fuel.fills_at_start": "convoy fills",
    "fuel.resupply_fills": "convoy fills",
    "own_transport.trucks": "trucks",
    "own_transport.loads_per_trip": "truckloads",
    "own_transport.seats": "troops",
}
"""What an input counted in whole units counts, where its planner name is not already that plural noun
(``largest convoy`` counts vehicles); the others count what they are named (``military trucks``)."""


def counted(path: str) -> str:
    """What a count input counts, as the word after its number: ``military trucks`` for ``fleet.military.count``,
    ``vehicles`` for ``convoys.size_max``; a theatre's ``pools.army.fleet.military.count`` counts ``military trucks``."""
    path = str(path).removeprefix("input.")
    for ending, noun in _COUNTED.items():
        if path == ending or path.endswith(f".{ending}"):
            return noun
    return label(path).rsplit(": ", 1)[-1]


def pinned_words(path: str, low, high) -> str:
    """The two values a tornado pins an input at, in its unit, said once after the high value: ``0 to 40 military
    trucks``, ``20 to 50 vehicles`` (the largest convoy), ``5% to 20%``, ``200 to 250 km``."""
    low_text, high_text = value_words(path, low), value_words(path, high)
    unit = unit_of(path)
    if not unit.startswith("share") and unit not in ("count", "rank") and low_text.endswith(f" {unit}"):
        low_text = low_text.removesuffix(f" {unit}")  # the unit once, after the high value
    if unit == "count" and high_text != "—":
        high_text = f"{high_text} {counted(path)}"
    return f"{low_text} to {high_text}"


PINNED = ("pinned_low", "pinned_high")
"""The tornado's columns of the values each input is pinned at (its P5 and P95, in the input's own unit: a share 0-1)."""


def is_whole(path: str) -> bool:
    """True for an input counted in whole units (trucks, teams, lanes), whose ticks and values read as integers."""
    return unit_of(path) in ("count", "people", "truckloads", "pallets")


# ---- numbers as a person reads them --------------------------------------------------------------


def _finite(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def days(value) -> str:
    """Days with one decimal: ``33.1`` (a value that rounds to zero is ``0.0``, never ``-0.0``)."""
    v = _finite(value)
    return "—" if v is None else f"{round(v, 1) + 0.0:.1f}"


def percent(value) -> str:
    """A 0-1 share in percent with one decimal, ``40.3``; a nonzero share never reads as 0 (``<0.1``)."""
    v = _finite(value)
    if v is None:
        return "—"
    if v != 0 and abs(100 * v) < 0.05:
        return "<0.1" if v > 0 else ">-0.1"
    return f"{100 * v:.1f}"


def points(value) -> str:
    """A change of a 0-1 share in signed percentage points, ``+17.0`` (one that rounds to zero is ``+0.0``)."""
    v = _finite(value)
    return "—" if v is None else f"{round(100 * v, 1) + 0.0:+.1f}"


def share(value) -> str:
    """A 0-1 share as a percentage for a sentence or a figure: whole percent in the middle (``40%``), one decimal
    near the ends so that a nonzero share never reads as 0% nor a share below one as 100% (``0.4%``, ``<0.1%``, ``99.6%``)."""
    v = _finite(value)
    if v is None:
        return "—"
    pct = 100 * v
    if v in (0.0, 1.0) or 1 <= pct <= 99:
        return f"{pct:.0f}%"
    if 0 < pct < 0.1:
        return "<0.1%"
    if 99.9 < pct < 100:
        return ">99.9%"
    return f"{pct:.1f}%"


def points_size(value) -> str:
    """A size of a change of a 0-1 share (no sign) in percentage points, ``3.0``."""
    v = _finite(value)
    return "—" if v is None else f"{100 * v:.1f}"


def whole(value) -> str:
    """A count as a whole number with thousands separators: ``1,320``."""
    v = _finite(value)
    return "—" if v is None else f"{v:,.0f}"


def plain(value) -> str:
    """Any other number without float noise: ``4``, ``0.01``, ``632``, ``2.5``."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    v = _finite(value)
    if v is None:
        return "—" if not isinstance(value, str) else value
    if v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def p_value(value) -> str:
    v = _finite(value)
    return "—" if v is None else ("<0.001" if v < 0.001 else f"{v:.2g}")


def yes_no(value) -> str:
    if isinstance(value, str):
        return value
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else ("yes" if bool(value) else "no")


# ---- dates as a person reads them ----------------------------------------------------------------

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""Short month names, in English whatever the machine's locale (``strftime("%b")`` follows the locale)."""


def date_words(when: dt.date | str, year: bool = True) -> str:
    """A calendar date as everything a person reads writes it (console, report, figures, the what-if page): day, short
    month, year, ``10 Mar 2026``, which US and NATO readers read alike (``03-10`` and ``10/03`` they do not). ``year``
    False gives ``10 Mar``, for a figure's calendar ticks whose axis names the year. ``when`` is a date, a date-time
    (its own date) or an ISO text. Machine outputs (summary.json, parquet, CSV, manifest) keep ISO dates."""
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when)
    day = f"{when.day} {MONTHS[when.month - 1]}"
    return f"{day} {when.year}" if year else day


def dates_words(first: dt.date | str, last: dt.date | str) -> str:
    """Two dates as a range, the year said once when they share it: ``25 Mar to 10 Apr 2026``, else
    ``25 Dec 2026 to 10 Jan 2027`` (:func:`date_words`)."""
    a, b = (dt.datetime.fromisoformat(d) if isinstance(d, str) else d for d in (first, last))
    return f"{date_words(a, a.year != b.year)} to {date_words(b)}"


def date_of_day(start: dt.date | str, day: float) -> dt.date:
    """The calendar date ``day`` days after ``start`` (a date at 00:00, a local date-time, or an ISO text). ``day`` is
    taken to the tenth of a day that every figure beside a date shows, so that the date agrees with its figure: from a
    start at 18:00, 16.25 days prints as 16.2 and is 17 Mar, not 18 Mar."""
    if isinstance(start, str):
        start = dt.datetime.fromisoformat(start)
    if not isinstance(start, dt.datetime):
        start = dt.datetime.combine(start, dt.time())
    return (start + dt.timedelta(days=float(f"{float(day):.1f}"))).date()


def day_date_words(start: dt.date | str, day: float, year: bool = True) -> str:
    """The calendar date of day ``day`` from ``start`` in words: ``10 Mar 2026`` (:func:`date_of_day`, :func:`date_words`)."""
    return date_words(date_of_day(start, day), year)


# ---- analysis tables in words ------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """How one column of an analysis table reads: its words (``{p}`` is the window probability, ``{y}`` the
    outcome, ``{u}`` the outcome's unit) and how each value is written (None: in the outcome's unit, days or points)."""

    words: str
    show: Callable[[Any], str] | None


_DAYS_OUTCOME = ("mean days to base empty", "days", days)
_P_OUTCOME = ("{p}", "percentage points", points_size)

_TORNADO = {
    "mean_days.base": Column("mean days, the baseline run: every input drawn (days)", days),
    "mean_days.low": Column("mean days, factor at its P5 (days)", days),
    "mean_days.high": Column("mean days, factor at its P95 (days)", days),
    "mean_days.swing": Column("swing in mean days, P95 - P5 (days)", lambda v: f"{float(v):+.1f}" if _finite(v) is not None else "—"),
    "p_window.base": Column("{p}, the baseline run: every input drawn (%)", percent),
    "p_window.low": Column("{p}, factor at its P5 (%)", percent),
    "p_window.high": Column("{p}, factor at its P95 (%)", percent),
    "p_window.swing": Column("swing in {p}, P95 - P5 (percentage points)", points),
    "p_by_day.base": Column("{b}, the baseline run: every input drawn (%)", percent),
    "p_by_day.low": Column("{b}, factor at its P5 (%)", percent),
    "p_by_day.high": Column("{b}, factor at its P95 (%)", percent),
    "p_by_day.swing": Column("swing in {b}, P95 - P5 (percentage points)", points),
    "p_by_day.swing_ci_low": Column("swing in {b}: 95% interval, low (percentage points)", points),
    "p_by_day.swing_ci_high": Column("swing in {b}: 95% interval, high (percentage points)", points),
    "mean_days.swing_ci_low": Column("swing in mean days: 95% interval, low (days)", lambda v: f"{float(v):+.1f}" if _finite(v) is not None else "—"),
    "mean_days.swing_ci_high": Column("swing in mean days: 95% interval, high (days)", lambda v: f"{float(v):+.1f}" if _finite(v) is not None else "—"),
    "p_window.swing_ci_low": Column("swing in {p}: 95% interval, low (percentage points)", points),
    "p_window.swing_ci_high": Column("swing in {p}: 95% interval, high (percentage points)", points),
}

_MORRIS = {
    "mu_star": Column("mean absolute effect on {y}, μ* ({u})", None),
    "mu_star_conf": Column("95% interval of the mean absolute effect, ± μ* ({u})", None),
    "sigma": Column("spread of the effects, σ ({u})", None),
    "mu": Column("mean signed effect, μ ({u})", None),
}

_SOBOL = {
    "S1": Column("share of the variance of {y} explained alone, first order S1 (%)", percent),
    "S1_conf": Column("± 95% interval of S1 (percentage points)", percent),
    "ST": Column("share explained with interactions, total ST (%)", percent),
    "ST_conf": Column("± 95% interval of ST (percentage points)", percent),
}

_CALIBRATION = {
    "prior_p5": Column("all draws: P5", plain),
    "prior_p50": Column("all draws: P50", plain),
    "prior_p95": Column("all draws: P95", plain),
    "prior_mean": Column("all draws: mean", plain),
    "post_p5": Column("draws in the target: P5", plain),
    "post_p50": Column("draws in the target: P50", plain),
    "post_p95": Column("draws in the target: P95", plain),
    "post_mean": Column("draws in the target: mean", plain),
    "width_ratio": Column("how narrow the target makes the input: its draws' P5-P95 width as a share of all draws', width ratio (%)", percent),
    "ks": Column("how far the target's draws differ from all draws, Kolmogorov-Smirnov distance KS (%)", percent),
    "ks_pvalue": Column("chance of so large a difference if the target said nothing of the input, KS test p-value", p_value),
    "ks_qvalue": Column("the same, allowing for testing every input, false discovery rate q-value", p_value),
}

IN_INPUT_UNIT = frozenset(c for c in _CALIBRATION if c.startswith(("prior_", "post_")))
"""Calibration columns that hold values of the input itself: each row in its input's unit (:func:`in_unit`)."""

_MARGINAL = {
    "replications": Column("replication pairs (count)", whole),
    "days_saved": Column("days saved, mean (days)", days),
    "days_saved_low": Column("days saved, 95% CI low (days)", days),
    "days_saved_high": Column("days saved, 95% CI high (days)", days),
    "mean_days_base": Column("mean {d} as it stands (days)", days),
    "mean_days_variant": Column("mean {d} with the change (days)", days),
    "p_window_base": Column("{p} as it stands (%)", percent),
    "p_window_variant": Column("{p} with the change (%)", percent),
    "p_by_day_base": Column("{b} as it stands (%)", percent),
    "p_by_day_variant": Column("{b} with the change (%)", percent),
    "p_by_day_change": Column("change in {b}, mean (percentage points)", points),
    "p_by_day_change_low": Column("change in {b}, 95% CI low (percentage points)", points),
    "p_by_day_change_high": Column("change in {b}, 95% CI high (percentage points)", points),
    "p_window_change": Column("change in {p}, mean (percentage points)", points),
    "p_window_change_low": Column("change in {p}, 95% CI low (percentage points)", points),
    "p_window_change_high": Column("change in {p}, 95% CI high (percentage points)", points),
    "significant": Column("clearly nonzero (95% CI excludes 0)", yes_no),
}

_TRAJECTORY = {
    "coverage": Column("coverage: share of the cases of interest in the box (%)", percent),
    "density": Column("density: share of the box's cases of interest (%)", percent),
    "mass": Column("mass: share of all replications in the box (%)", percent),
    "mean": Column("share of the box's replications in the target (%; PRIM's mean, the density)", percent),
    "res_dim": Column("inputs restricted (count)", whole),
    "limits": Column("box", lambda v: "every replication (no limit yet)" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)),
    "chosen": Column("chosen step", yes_no),
}

TABLES: dict[str, dict[str, Column]] = {
    "tornado": _TORNADO,
    "morris": _MORRIS,
    "morris_p_window": _MORRIS,
    "sobol": _SOBOL,
    "sobol_p_window": _SOBOL,
    "calibration": _CALIBRATION,
    "marginal": _MARGINAL,
    "prim_trajectory": _TRAJECTORY,
}
"""The analysis tables evacsim writes (by CSV stem) and how each of their columns reads."""

SHORT = {
    "mean_days.swing": "mean days: swing (days)",
    "p_window.swing": "{p}: swing (percentage points)",
    "p_by_day.swing": "{b}: swing (percentage points)",
    "mean_days.base": "baseline run: mean days",
    "mu_star": "mean effect, μ* ({u})",
    "mu_star_conf": "its 95% interval, ± ({u})",
    "sigma": "spread of the effects, σ ({u})",
    "mu": "mean signed effect, μ ({u})",
    "S1": "alone, S1 (%)",
    "S1_conf": "S1 ± (points)",
    "ST": "total, ST (%)",
    "ST_conf": "ST ± (points)",
    "prior_p5": "all draws P5",
    "prior_p95": "all draws P95",
    "post_p5": "in target P5",
    "post_p95": "in target P95",
    "ks": "how far draws in the target differ, KS (%)",
    "days_saved": "days sooner",
    "days_saved_low": "95% CI low",
    "days_saved_high": "95% CI high",
    "p_window_change": "{p} change (points)",
    "p_by_day_change": "{b} change (points)",
}
"""Short column words for the console, where the table's title names the outcome."""

FIRST_COLUMN = {"marginal": "change", "prim_trajectory": "step", "calibration": "input"}


def window_words(window: tuple[float, float] | None) -> str:
    """The window probability as it is written in tables: ``P(15-30 days)``."""
    return f"P({window[0]:g}-{window[1]:g} days)" if window else "P(window)"


class Measure(Protocol):
    """What a study measures, as a table names it (:class:`sim.analysis.measure.Measure`; the names sit below analysis)."""

    @property
    def words(self) -> str: ...
    @property
    def by_day_words(self) -> str: ...
    @property
    def days_words(self) -> str: ...
    @property
    def is_probability(self) -> bool: ...


def _outcome(stem: str, measure: Measure | None) -> tuple[str, str, Callable[[Any], str]]:
    """What a Morris or Sobol' table measures: P(window) for ``*_p_window``, else the study's measure (mean days by default)."""
    if stem.endswith("_p_window"):
        return _P_OUTCOME
    if measure is not None and measure.is_probability:
        return (measure.words, "percentage points", points_size)
    if measure is not None:
        return (measure.words, "days", days)
    return _DAYS_OUTCOME


def by_day_words(window: tuple[float, float] | None, measure: Measure | None = None) -> str:
    """``P(out by day 30)``: the measure's, else by the window's end."""
    if measure is not None:
        return measure.by_day_words
    return f"P(out by day {window[1]:g})" if window else "P(out by day D)"


def column_words(stem: str, column: str, window: tuple[float, float] | None = None, short: bool = False, measure: Measure | None = None) -> str:
    """The words of one column of an analysis table, e.g. ``swing in P(15-30 days), P95 - P5 (percentage points)``
    (``short``: ``P(15-30 days): swing (points)``, for the console); ``{b}`` reads P(out by day D) of ``measure``, ``{d}``
    its days (``days to Life Stone empty``; ``days to base empty`` without one)."""
    spec = TABLES.get(stem, {}).get(column)
    if spec is None:
        return column
    outcome, unit, _ = _outcome(stem, measure)
    p = window_words(window)
    b = by_day_words(window, measure)
    words = SHORT.get(column, spec.words) if short else spec.words
    d = measure.days_words if measure is not None else "days to base empty"
    return words.format(p=p, b=b, d=d, y=outcome.format(p=p), u=unit)


def _shower(stem: str, column: str, measure: Measure | None = None) -> Callable[[Any], str]:
    spec = TABLES.get(stem, {}).get(column)
    if spec is None:
        return plain
    if spec.show is None:  # Morris: in the unit of the outcome
        return _outcome(stem, measure)[2]
    return spec.show


def people_table(
    table: pd.DataFrame,
    stem: str,
    window: tuple[float, float] | None = None,
    columns: list[str] | None = None,
    short: bool = False,
    measure: Measure | None = None,
) -> pd.DataFrame:
    """An analysis table (index: dotted paths or changes) as people read it: every value a string in its unit,
    columns in words, inputs by their planner names with the dotted path in a ``parameter`` column beside them.

    ``columns`` picks and orders the columns to show (default: all). A calibration table also gets each input's unit."""
    import pandas as pd  # here: the names are read by `evacsim validate`, which needs no pandas

    columns = [c for c in (columns or list(table.columns)) if c in table.columns]
    first = FIRST_COLUMN.get(stem, "input")
    names = [str(i) for i in table.index]
    out = pd.DataFrame({first: [label(n) for n in names]})
    if any(label(n) != n or "." in n for n in names) and first == "input":
        out["parameter"] = names
    if stem == "calibration":  # the unit of each input's values: a share in percent, as the tornado writes it
        out["unit"] = [unit_words(n) for n in names]
    if stem == "tornado" and all(c in columns for c in PINNED):  # one column: the input's two values, in its unit
        out["pinned at, P5 to P95"] = [pinned_words(n, lo, hi) for n, lo, hi in zip(names, table[PINNED[0]], table[PINNED[1]], strict=True)]
        columns = [c for c in columns if c not in PINNED]
    for column in columns:
        if stem == "calibration" and column in IN_INPUT_UNIT:
            out[column_words(stem, column, window, short, measure)] = [in_unit(n, v) for n, v in zip(names, table[column].tolist(), strict=True)]
            continue
        show = _shower(stem, column, measure)
        out[column_words(stem, column, window, short, measure)] = [show(v) for v in table[column].tolist()]
    return out
