"""Observations of an evacuation under way: what analysts read in the news, with its uncertainty.

An observations file is TOML with an ``[observations]`` table (title, source) and one
``[[observation]]`` table per dated report. Every observation names its ``kind``, its
``date`` (an ISO date or a local date-time; a date means that whole calendar day), the
value reported with a ``tolerance`` (one standard deviation of the reporting error) or a
``low``-``high`` range, and the ``source`` it comes from::

    [[observation]]
    kind = "vehicles_left"
    date = 2026-02-23
    value = 100
    tolerance = 40
    source = "Shafaq News, 2026-02-23: ..."

Kinds (what is compared with each replication, at a resolution of one calendar day):

- ``vehicles_left``: vehicles (trucks and self-driving vehicles) that have left the base by convoy by the end of ``date``;
- ``convoy_crossed``: vehicles that crossed the border into Iraq during ``date``;
- ``share_out``: share (0-1) of the cargo no longer at the base at the end of ``date``;
- ``inflow``: truckloads of reinforcements that flowed *into* the base, around ``date`` (``days_tolerance``);
- ``pause``: no convoy left the base from ``date`` to ``until`` (both days included);
- ``crossing_closed``: no convoy crossed the border from ``date`` to ``until``.

Validation follows the scenario rules: unknown keys are errors, every problem is
reported with the file, line and dotted field (``observation.2.value``), exit status 3.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Discriminator, Field, ValidationError, model_validator

from sim.scenario.loading import NotAScenario, Problem, ScenarioError, locate, other_kind_of_file, read_toml

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

Source = Annotated[str, Field(min_length=3, description="the report the observation comes from: outlet, date, what it said")]
When = Annotated[dt.datetime | dt.date, Field(description="ISO date (the whole calendar day) or local date-time")]

KINDS = ("vehicles_left", "convoy_crossed", "share_out", "inflow", "pause", "crossing_closed")

KIND_WORDS = {
    "vehicles_left": ("vehicles left the base", "vehicles"),
    "convoy_crossed": ("vehicles crossed into Iraq", "vehicles"),
    "share_out": ("share of the cargo out of the base", "%"),
    "inflow": ("truckloads came into the base", "truckloads"),
    "pause": ("no convoy left the base", "convoys"),
    "crossing_closed": ("no convoy crossed the border", "convoys"),
}
"""What each kind of report says, in a planner's words, and the unit of its number ("%": a share, shown as percent; a
pause or a closure is checked against the convoys that moved in it)."""


def amount_words(kind: str, value: float) -> str:
    """A number a report of ``kind`` gives (or the scenario shows for it) in its unit: ``50 truckloads``, ``35%``."""
    unit = KIND_WORDS[kind][1]
    return f"{100 * value:.3g}%" if unit == "%" else f"{value:.3g} {unit}".rstrip()


class _Strict(BaseModel):
    # nan and inf are TOML floats, but no report gives them: refused as such, not as "must be >= 0".
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class _Valued(_Strict):
    """An observed number: ``value`` with a ``tolerance``, or a ``low``-``high`` range (and an optional ``tolerance`` outside it)."""

    date: When
    value: float | None = Field(default=None, ge=0, description="the number reported")
    low: float | None = Field(default=None, ge=0, description="lowest value the report allows")
    high: float | None = Field(default=None, ge=0, description="highest value the report allows")
    tolerance: float | None = Field(default=None, gt=0, description="one standard deviation of the reporting error, in the value's unit")
    note: str = ""
    source: Source

    @model_validator(mode="after")
    def _one_way_of_giving_the_value(self):
        ranged = self.low is not None or self.high is not None
        if self.value is not None and ranged:
            raise ValueError("give either `value` (with `tolerance`) or `low` and `high`, not both")
        if self.value is None and not ranged:
            raise ValueError("give the observed `value` with a `tolerance`, or a range `low` .. `high`")
        if ranged and (self.low is None or self.high is None):
            raise ValueError("a range needs both `low` and `high`")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"`low` ({self.low:g}) must be <= `high` ({self.high:g})")
        if self.value is not None and self.tolerance is None:
            raise ValueError("`value` needs a `tolerance` (one standard deviation of the reporting error)")
        return self

    def bounds(self) -> tuple[float, float]:
        # the validator has made sure a range has both ends
        return (self.value, self.value) if self.value is not None else cast(tuple[float, float], (self.low, self.high))

    def spread(self) -> float:
        """The tolerance outside the range; a range without one falls off over a quarter of its width."""
        if self.tolerance is not None:
            return self.tolerance
        low, high = self.bounds()
        return max((high - low) / 4.0, self.minimum_spread())

    def minimum_spread(self) -> float:
        return 1.0


class VehiclesLeft(_Valued):
    """Vehicles (trucks and self-driving vehicles) that had left the base by convoy by the end of ``date``."""

    kind: Literal["vehicles_left"]


class ConvoyCrossed(_Valued):
    """Vehicles that crossed the border into Iraq during the calendar day of ``date`` (one convoy or several)."""

    kind: Literal["convoy_crossed"]
    crossing: str | None = Field(default=None, description="where it crossed (the scenario's main or alternate crossing, by name); counted at both when absent")


class ShareOut(_Valued):
    """Share (0-1) of the cargo that had left the base (or been handed over) by the end of ``date``: '30-50% by 2026-03-05'."""

    kind: Literal["share_out"]
    value: float | None = Field(default=None, ge=0, le=1)
    low: float | None = Field(default=None, ge=0, le=1)
    high: float | None = Field(default=None, ge=0, le=1)

    def minimum_spread(self) -> float:
        return 0.02


class Inflow(_Valued):
    """Truckloads of reinforcements and equipment that flowed into the base around ``date``."""

    kind: Literal["inflow"]
    days_tolerance: float = Field(default=2.0, gt=0, description="one standard deviation of the reported day, in days")


class _Interval(_Strict):
    """Nothing moved from ``date`` to ``until`` (calendar days, both included)."""

    date: When
    until: When
    tolerance: float = Field(default=0.5, gt=0, description="one standard deviation, in convoys, of how many may have moved unreported")
    note: str = ""
    source: Source

    @model_validator(mode="after")
    def _ordered(self):
        if _day(self.until) < _day(self.date):
            raise ValueError(f"`until` ({self.until}) must not be before `date` ({self.date})")
        return self


class Pause(_Interval):
    """No convoy left the base from ``date`` to ``until``: a political pause."""

    kind: Literal["pause"]


class CrossingClosed(_Interval):
    """No convoy crossed the border from ``date`` to ``until``."""

    kind: Literal["crossing_closed"]
    crossing: str | None = Field(default=None, description="which crossing was closed (by name); both when absent")


Observation = Annotated[VehiclesLeft | ConvoyCrossed | ShareOut | Inflow | Pause | CrossingClosed, Discriminator("kind")]


class ObservationsInfo(_Strict):
    title: str
    description: str = ""
    source: Source


class ObservationsFile(_Strict):
    """A file of dated reports on one evacuation."""

    observations: ObservationsInfo
    observation: list[Observation] = Field(min_length=1)


def _day(when: dt.date) -> dt.date:
    return when.date() if isinstance(when, dt.datetime) else when


@dataclass(frozen=True)
class LoadedObservations:
    """Validated observations with the file they came from and the line of each."""

    path: str
    file: ObservationsFile
    lines: tuple[int | None, ...]
    text: str = ""

    def line_of(self, index: int, name: str) -> int | None:
        """The line of field ``name`` of observation ``index``, or of the observation itself."""
        return locate(self.text, f"observation.{index}.{name}") or self.lines[index]

    @property
    def observations(self) -> list[Any]:
        return list(self.file.observation)


def load_observations(path: Path | str) -> LoadedObservations:
    """Read and validate an observations file, or raise :class:`ScenarioError` naming file, line and field."""
    table, text = read_toml(path)
    if (other := other_kind_of_file(table, "observations")) is not None:
        raise NotAScenario(str(path), [Problem("", other)])
    try:
        parsed = ObservationsFile.model_validate(table)
    except ValidationError as exc:
        raise ScenarioError(str(path), _problems(exc, text)) from None
    lines = tuple(locate(text, f"observation.{i}") for i in range(len(parsed.observation)))
    return LoadedObservations(str(path), parsed, lines, text)


def _problems(exc: ValidationError, text: str) -> list[Problem]:
    found: dict[str, list[str]] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if len(loc) >= 3 and loc[0] == "observation" and loc[2] in KINDS:
            del loc[2]  # pydantic names the branch of the union it tried; the user wrote one table
        if len(loc) >= 2 and loc[-1] in ("datetime", "date") and loc[-2] in ("date", "until"):
            del loc[-1]  # the branch of ``date | datetime`` tried, not a field
        dotted = ".".join(loc)
        message = _message(err)
        if message not in found.setdefault(dotted, []):
            found[dotted].append(message)
    return [Problem(dotted, "; ".join(messages), locate(text, dotted)) for dotted, messages in found.items()]


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown field; see docs/NOWCAST.md for the fields of each kind"
    if kind == "missing":
        return "required field is missing"
    if kind == "union_tag_invalid":
        return f"unknown kind {err['input'].get('kind')!r}; use one of {', '.join(KINDS)}"
    if kind == "union_tag_not_found":
        return f"an observation needs a `kind` ({', '.join(KINDS)})"
    if kind == "finite_number":
        value = err["input"]
        what = "is not a number (nan)" if value != value else f"is infinite ({value})"
        return f"{what}; give the number the report gives"
    if kind.startswith(("date", "datetime")):
        return "must be an ISO date (2026-03-02) or local date-time (2026-03-02T14:00:00)"
    msg = err["msg"].removeprefix("Value error, ")
    return msg[0].lower() + msg[1:] if msg else msg
