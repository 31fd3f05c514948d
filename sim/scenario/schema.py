"""The scenario format: what a planner writes in ``scenarios/*.toml``.

Every group refuses unknown keys (a typo is an error, never a silent default) and
carries a ``source``: a seed quote (``"seed: '...'"``), a named public report, or
``"assumption: why"``. Every number may be a constant or a distribution table.
Units are in the field names or their descriptions: hours, days, km, truckloads
(``loads``), 463L pallets (``pallets``), people.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal, Self, TypeAlias, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from sim.scenario.distributions import Choice, Constant, Distribution, _Distribution, support_of
from sim.scenario.source_kinds import SOURCE_KINDS, kind_of_field, source_kind_table

Source = Annotated[str, Field(min_length=3, description="where the numbers come from: seed quote, report, or 'assumption: why'")]


NUMBER_TAG = "number"
DISTRIBUTION_TAG = "distribution"
"""How pydantic names the two ways of writing a scenario number in an error's location."""


def _number_or_table(value: object) -> str:
    return DISTRIBUTION_TAG if isinstance(value, (dict, _Distribution)) else NUMBER_TAG


def _refuse_text(value: object) -> object:
    # pydantic would read "20" as 20 and true as 1: a quoted number or a boolean is a slip, not a count.
    if isinstance(value, bool):
        raise ValueError(f"must be a number or a distribution table, not {str(value).lower()}")
    if isinstance(value, str):
        raise ValueError(f'must be a number or a distribution table such as {{dist = "uniform", low = 1, high = 2}}, not text ({value!r})')
    return value


def _bounded(ge: float | None, le: float | None, gt: float | None, integer: bool):
    def check(value):
        low, high = support_of(value)
        if not (math.isfinite(low) and math.isfinite(high)):
            if isinstance(value, _Distribution):
                raise ValueError("impossible distribution: its range is not finite")
            raise ValueError("must be a finite number")
        if ge is not None and low < ge:
            raise ValueError(f"must be >= {ge:g}" + ("" if low == high else f" over its whole range (lowest value {low:g})"))
        if gt is not None and low <= gt:
            raise ValueError(f"must be > {gt:g}" + ("" if low == high else f" over its whole range (lowest value {low:g})"))
        if le is not None and high > le:
            raise ValueError(f"must be <= {le:g}" + ("" if low == high else f" over its whole range (highest value {high:g})"))
        if integer and isinstance(value, (int, float)) and not float(value).is_integer():
            raise ValueError(f"must be a whole number, not {value:g}")
        if integer and isinstance(value, (Choice, Constant)):  # the values a count is drawn from are given one by one
            given = value.values if isinstance(value, Choice) else [value.value]
            broken = [v for v in given if not float(v).is_integer()]
            if broken:
                raise ValueError(f"must be a whole number, and the {value.dist} distribution gives {', '.join(f'{v:g}' for v in broken)}; give whole numbers")
        return value

    return AfterValidator(check)


def quantity(*, ge: float | None = 0, le: float | None = None, gt: float | None = None, integer: bool = False, per_event: bool = False):
    """A scenario number: a constant or a distribution, checked over its whole support.

    ``per_event`` numbers (how long each closure or repair lasts) are drawn anew for
    every event inside a replication; the others once per replication.
    """
    return Annotated[
        Annotated[float, Tag(NUMBER_TAG)] | Annotated[Distribution, Tag(DISTRIBUTION_TAG)],
        Discriminator(_number_or_table),
        BeforeValidator(_refuse_text),
        _bounded(ge, le, gt, integer),
        Field(json_schema_extra={"integer": integer, "per_event": per_event}),
    ]


if TYPE_CHECKING:
    # A type built by a call is invisible to a type checker, so it sees what the code reads: a drawn-once number is a
    # float, because the model reads a scenario resolved for one replication (sim.scenario.draws.resolve), in which
    # every such number is a float; a per-event number stays a float or a distribution, drawn anew for every event.
    # Code that reads a scenario as loaded (draws, bounds, provenance) tests for a distribution with isinstance.
    Count: TypeAlias = float
    Hours: TypeAlias = float
    EventHours: TypeAlias = float | _Distribution
    EventDays: TypeAlias = float | _Distribution
    Fraction: TypeAlias = float
    Km: TypeAlias = float
    Speed: TypeAlias = float
    Crew: TypeAlias = float
    Seats: TypeAlias = float
    TeamVehicles: TypeAlias = float
    PalletsPerLoad: TypeAlias = float
    LoadsPerDay: TypeAlias = float
    BreakdownsPer1000Km: TypeAlias = float
    ClosuresPerWeek: TypeAlias = float
    ClosuresPerMonth: TypeAlias = float
    SortiesPerAircraft: TypeAlias = float
    SortiesPerDay: TypeAlias = float
    HoursOnStation: TypeAlias = float
    HaltMinutes: TypeAlias = float
    HoursBetweenHalts: TypeAlias = float
    MinutesPerVehicle: TypeAlias = float
    Days: TypeAlias = float
    RunwayMetres: TypeAlias = float
else:
    Count = quantity(ge=0, le=100_000, integer=True)
    Hours = quantity(ge=0, le=24 * 365)
    EventHours = quantity(ge=0, le=24 * 365, per_event=True)
    EventDays = quantity(ge=0, le=365, per_event=True)
    Fraction = quantity(ge=0, le=1)
    Km = quantity(ge=0, le=5_000)
    Speed = quantity(gt=0, le=200)
    Crew = quantity(ge=1, le=10, integer=True)
    Seats = quantity(ge=1, le=20, integer=True)
    TeamVehicles = quantity(ge=1, le=100_000, integer=True)
    PalletsPerLoad = quantity(gt=0, le=20)
    LoadsPerDay = quantity(gt=0, le=10_000)
    BreakdownsPer1000Km = quantity(ge=0, le=50)
    ClosuresPerWeek = quantity(ge=0, le=50)
    ClosuresPerMonth = quantity(ge=0, le=30)
    SortiesPerAircraft = quantity(ge=0, le=10)
    SortiesPerDay = quantity(ge=0, le=200)
    HoursOnStation = quantity(gt=0, le=12)
    HaltMinutes = quantity(ge=0, le=120)
    HoursBetweenHalts = quantity(gt=0, le=24)
    MinutesPerVehicle = quantity(ge=0, le=600)
    Days = quantity(ge=0, le=1000)
    RunwayMetres = quantity(gt=0, le=5000)


def _hour_window(value: tuple[float, float]) -> tuple[float, float]:
    a, b = value
    if not 0 <= a < b <= 24:
        raise ValueError("must be [from, to] hours with 0 <= from < to <= 24")
    return value


HourWindow = Annotated[tuple[float, float], AfterValidator(_hour_window)]
"""A daily window of local hours, e.g. ``[6, 18]``."""

TRUCK_TYPES = ("civilian", "lowboy", "military", "het")
"""The truck types of a fleet or a pool, in the order files and tables list them."""
CARRIERS = (*TRUCK_TYPES, "air")
Carrier = Literal["civilian", "lowboy", "military", "het", "air"]

CONVOY_KINDS = ("contracted", "military")
ConvoyKind = Literal["contracted", "military"]
"""A convoy is *contracted* if it has any contracted truck (civilian or lowboy), *military* otherwise."""

DISPATCH_RULES = ("first formed", "first ready", "heavy first")
DispatchRule = Literal["first formed", "first ready", "heavy first"]


def _iso_start(value: object) -> object:
    """Hour 0 as ISO 8601 text; a TOML date or date-time is accepted and kept as its ISO text."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dt.time):
        raise ValueError(f"needs a date, not only a time of day ({value.isoformat()}); write e.g. 2026-02-23T{value.isoformat()}+03:00")
    if isinstance(value, str):
        try:
            dt.datetime.fromisoformat(value)
        except ValueError as exc:
            why = "" if "isoformat" in str(exc) else f" ({exc})"
            raise ValueError(f'must be an ISO 8601 date or date-time such as "2026-02-23" or "2026-02-23T00:00:00+03:00", not {value!r}{why}') from None
    return value


IsoStart = Annotated[str, BeforeValidator(_iso_start)]
"""Simulation hour 0: ISO 8601 text, checked to be a real date when the scenario is read."""


class Group(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source_kind: dict[str, str] | None = Field(
        default=None,
        description=f"what kind of source backs this group's numbers ({', '.join(SOURCE_KINDS)}): one kind, or a table per field with an optional default",
    )

    @field_validator("source_kind", mode="before")
    @classmethod
    def _known_source_kinds(cls, value: object) -> dict[str, str] | None:
        if value is not None and "source" not in cls.model_fields:
            raise ValueError("this group has no source; give source_kind next to the source of the group it describes")
        return source_kind_table(value, _own_fields(cls))

    def kind_of(self, field: str) -> str:
        """The kind of source behind one of this group's fields (``unsourced`` if the group names none)."""
        return kind_of_field(self.source_kind, field)

    def same_place_with(self, other: Self) -> Self:
        """This group of a base reported under a second name too (``same_place_as``), ``other`` the second name's:
        by default the kept name's (a group whose numbers add up says so)."""
        return self

    def seats_troops(self) -> bool:
        """Whether this group (a base's optional mechanism), at its highest numbers, takes troops out of the base itself."""
        return False

    def base_problems(self, base: Scenario | BaseSite) -> list[tuple[str, str]]:
        """What this group of ``base`` (a one-base scenario, or a theatre's base) gets wrong against the base's other
        groups, as (field, message): checked after every field validated."""
        return []


def _own_fields(model: type[BaseModel]) -> list[str]:
    """The fields a group's ``source_kind`` may name: its numbers and settings, not its sources or the groups inside it
    (each of which has its own source)."""
    return [name for name, info in model.model_fields.items() if name not in ("source", "source_kind") and not _holds_group(info.annotation)]


def _holds_group(annotation: object) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, Group):
        return True
    return any(_holds_group(arg) for arg in get_args(annotation))


class ScenarioInfo(Group):
    """Which scenario this is and the question it is asked."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="short name used for results folders")
    title: str
    description: str = ""
    start: IsoStart = Field(default="2026-02-23T00:00:00+03:00", description="simulation hour 0, local time (ISO 8601)")
    window_days: tuple[float, float] = Field(default=(15.0, 30.0), description="the estimate to test, in days from start")
    horizon_days: float = Field(default=150.0, gt=0, le=1000, strict=True, description="a replication still running then is cut off and counted as late")
    source: Source

    @field_validator("window_days")
    @classmethod
    def _window(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low < high:
            raise ValueError("must be [low, high] days with 0 <= low < high")
        return value

    @field_validator("horizon_days")
    @classmethod
    def _horizon_beyond_window(cls, value: float, info: ValidationInfo) -> float:
        window = info.data.get("window_days")
        if window is not None and value <= window[1]:
            raise ValueError(
                f"must be beyond the end of window_days ({window[1]:g} days): a replication cut off at {value:g} days "
                "could not be told from one that finished in the window"
            )
        return value


class CargoClass(Group):
    """One class of equipment at the base, in truckload equivalents (loads)."""

    loads: Count = Field(description="truckload equivalents at the base at the start")
    carriers: list[Carrier] = Field(min_length=1, description="which carriers may take it: civilian, military, het, air")
    handed_over_fraction: Fraction = Field(default=0.0, description="share handed over or destroyed on site")
    priority: int = Field(default=1, ge=0, le=9, strict=True, description="lower leaves first when a convoy is filled")
    sensitive: StrictBool | None = Field(
        default=None,
        description="ammunition and sensitive items: a convoy carrying any always needs air cover when air_cover.always_for_sensitive "
        "(unset: true for a class that air may also carry)",
    )
    source: Source

    @property
    def is_sensitive(self) -> bool:
        """Whether a convoy carrying this class counts as carrying sensitive items."""
        return self.sensitive if self.sensitive is not None else ("air" in self.carriers and len(self.carriers) > 1)


class Cargo(Group):
    """Equipment to move and how fast it is packed out to staging."""

    classes: dict[str, CargoClass] = Field(min_length=1)
    pallets_per_load: PalletsPerLoad = Field(description="463L air pallets per truckload equivalent")
    packout_loads_per_day: LoadsPerDay = Field(description="loads the pack-out crews bring to staging per day")
    staged_at_start: Fraction = Field(description="share of the cargo already packed at hour 0")
    source: Source


class Vehicles(Group):
    """Self-driving vehicles (MRAP, M-ATV, HMMWV) that drive out inside convoys."""

    count: Count
    crew: Crew = Field(default=2, description="people who leave with each vehicle")
    seats: Seats | None = Field(default=None, description="people each vehicle carries, crew included (unset: its crew); the spare seats take other troops")
    share_of_convoy: Fraction = Field(default=0.3, description="at most this share of a convoy's places go to them")
    source: Source


class People(Group):
    """Troops at the base; the security force stays until the cargo has gone."""

    troops: Count
    security_force: Count = Field(description="people who stay to the end and leave as the last element")
    last_element_by: Literal["convoy", "sortie"] = Field(default="convoy")
    seats_per_convoy: Count = Field(default=0, description="seats in each convoy besides vehicles and truck cabs (a bus or troop carrier travelling with it)")
    security_vehicles: Count | None = Field(
        default=None,
        description="vehicles the security force keeps to the end and leaves in, besides vehicles.count "
        "(unset: as many as its people need at vehicles.seats each); by convoy only",
    )
    source: Source


class TruckType(Group):
    """A fleet of one kind of truck, counted, not simulated one by one."""

    count: Count
    speed_kmh: Speed | None = Field(default=None, description="loaded top speed, if slower than the convoy's march speed")
    cab_seats: Count = Field(default=0, description="troops of the base who may ride in each truck's cab besides its driver")
    source: Source


class Fleet(Group):
    """Truck fleets cycling between the base and the destination; breakdowns and repair."""

    civilian: TruckType = Field(description="contracted tractor-trailers and flatbeds for containers and pallets")
    lowboy: TruckType = Field(
        default_factory=lambda: TruckType(count=0, source="none: no contracted lowboys unless the scenario gives them"),
        description="contracted lowboy and heavy flatbed trucks: vehicles and most heavy items, not the heaviest",
    )
    military: TruckType = Field(description="military PLS and FMTV trucks")
    het: TruckType = Field(description="heavy equipment transporters: the heaviest items (tracked and engineering vehicles, cranes)")
    breakdowns_per_1000_km: BreakdownsPer1000Km = Field(description="breakdowns per truck per 1000 km driven")
    recovery_hours: EventHours = Field(description="halt of the convoy to recover one broken truck")
    repair_hours: EventHours = Field(description="time a broken truck is out of service after the trip")
    source: Source


class Convoys(Group):
    """How convoys form and when they may leave."""

    size_min: Count = Field(description="fewest vehicles a convoy leaves with (the last convoy may be smaller)")
    size_max: Count = Field(description="most vehicles in one convoy")
    max_per_day: Count
    departure_window: HourWindow = Field(description="earliest and latest departure hour, local")
    daylight_only: StrictBool = Field(
        description="if true, convoys move only between daylight hours and halt overnight (a leg's daylight_only_for overrides it per convoy kind)"
    )
    daylight: HourWindow = Field(default=(6.0, 18.0), description="first and last hour of daylight, local")
    separate_contracted: StrictBool = Field(
        default=False,
        description="if true, contracted trucks form convoys of their own, and military trucks, HETs and self-driving vehicles theirs",
    )
    dispatch: DispatchRule = Field(
        default="first formed",
        description="which queued convoy leaves first: 'first formed' (strict queue), 'first ready' (the oldest that may leave now), "
        "'heavy first' (as first ready, but convoys with HETs take the slots and escorts first)",
    )
    source: Source


class Loading(Group):
    """Loading teams putting staged cargo on trucks."""

    teams: Count
    hours_per_truck: Hours
    source: Source


class Escort(Group):
    """Ground escort: security teams of at least 3 gun trucks, out and back on the Syrian leg."""

    teams: Count
    vehicles_per_team: TeamVehicles = Field(description="convoy vehicles one team can protect")
    rest_hours: Hours = Field(description="crew rest after a mission")
    source: Source


class AirCover(Group):
    """Apache air cover for convoys on the Syrian leg."""

    apaches: Count
    sorties_per_aircraft_per_day: SortiesPerAircraft
    hours_on_station: HoursOnStation
    share_of_convoys: Fraction = Field(description="share of convoys that need air cover")
    always_for_sensitive: StrictBool = Field(description="convoys carrying a class that air may also carry always need cover")
    when_short: Literal["wait", "go"] = Field(
        default="wait",
        description="a convoy that needs cover and cannot have its whole Syrian leg covered today: 'wait' for a day that can, "
        "or 'go' with what is left (counted as uncovered, with the hours of cover short)",
    )
    source: Source


class RoadLeg(Group):
    """A road leg with its march speeds and halts."""

    km: Km
    town_km: Km = Field(default=0.0)
    speed_kmh: Speed
    town_speed_kmh: Speed
    halt_minutes: HaltMinutes = Field(default=15.0)
    halt_every_hours: HoursBetweenHalts = Field(default=2.0)
    daylight_only_for: list[ConvoyKind] | None = Field(
        default=None,
        description="convoy kinds (contracted, military) that may move on this leg in daylight only, loaded or empty (unset: all kinds "
        "if convoys.daylight_only, none otherwise)",
    )
    source: Source


class Threats(Group):
    """Threats on the Syrian leg that close the road."""

    closures_per_week: ClosuresPerWeek
    closure_hours: EventHours
    source: Source


class Route(Group):
    """Base to border (Syria) and border to destination (Iraq)."""

    syria: RoadLeg
    iraq: RoadLeg
    threats: Threats


class Closure(Group):
    """A known closure: from a day after start, for a number of days."""

    start_day: Days
    days: Days
    source: Source


class CrossingPoint(Group):
    """A border crossing: lanes, processing, opening hours, closures."""

    name: str
    lanes: Count
    fixed_hours: Hours = Field(description="paperwork per convoy")
    minutes_per_vehicle: MinutesPerVehicle
    open_hours: HourWindow = Field(default=(0.0, 24.0), description="daily opening hours, local")
    closures_per_month: ClosuresPerMonth = Field(default=0.0)
    closure_days: EventDays = Field(default=0.0, description="length of each closure")
    scheduled_closures: list[Closure] = Field(default_factory=list)
    extra_km: Km = Field(default=0.0, description="detour to reach it, for an alternate crossing")
    source: Source


class Crossing(Group):
    """The main crossing and, optionally, an alternate to divert to."""

    main: CrossingPoint
    alternate: CrossingPoint | None = None
    divert_after_hours: Hours = Field(default=24.0, description="divert when the main crossing stays closed longer than this")


class Destination(Group):
    """Unloading at the destination in the Kurdistan Region."""

    name: str
    unload_teams: Count
    unload_hours_per_truck: Hours
    source: Source


class Aircraft(Group):
    """One airlifter type."""

    allowed: StrictBool
    pallets: Count
    troops: Count
    runway_m: RunwayMetres = Field(description="runway it needs at this weight and surface")
    source: Source


class Airlift(Group):
    """Sorties from the 1.7 km strip: pallets and people."""

    runway_m: RunwayMetres
    sorties_per_day: SortiesPerDay = Field(description="sorties a day planned for the strip")
    ground_hours: Hours = Field(description="hours an aircraft spends on the strip: landing, loading, boarding, take-off")
    flight_hours: Hours = Field(description="flight to the destination (hours)")
    max_on_ground: Count = Field(
        default=1,
        description="aircraft the strip can hold on the ground at once (working MOG: parking and loading spots, fuel, handling teams); "
        "sorties a day cannot exceed max_on_ground x 24 / ground_hours",
    )
    aircraft: Count | None = Field(
        default=None,
        description="aircraft flying the shuttle; each sortie takes one for ground_hours + 2 x flight_hours + destination_hours (unset: as many as needed)",
    )
    destination_hours: Hours = Field(default=1.0, description="hours an aircraft spends at the destination unloading before it flies back")
    c130j: Aircraft
    c17: Aircraft
    source: Source


def before_the_start(day: float | None) -> str:
    """Why a deadline on ``day`` (at or before hour 0; None: a range that reaches it) is refused: one message for 0
    and for a negative day."""
    given = f", not {day:g}" if day is not None else " over its whole range"
    return f"must be after the start (above 0 days from scenario.start){given}: a deadline at or before the start leaves everything"


def _one_or_several(value: object) -> str:
    return AIRSTRIPS_TAG if isinstance(value, list) else AIRSTRIP_TAG


AIRSTRIP_TAG, AIRSTRIPS_TAG = "airstrip", "airstrips"
"""The names pydantic gives the two ways of writing a base's airlift (one table, or an array of tables);
error messages leave them out, as the user wrote one field."""

Airstrips: TypeAlias = Annotated[
    Annotated[Airlift, Tag(AIRSTRIP_TAG)] | Annotated[list[Airlift], Field(min_length=1), Tag(AIRSTRIPS_TAG)],
    Discriminator(_one_or_several),
]
"""A base's airlift: one strip (``[airlift]``) or several (``[[airlift]]``, each with its own sortie plan,
places on the ground and aircraft). One strip keeps the dotted paths ``airlift.<field>``; several are
``airlift.<i>.<field>``."""


def strips_of(airlift: Airlift | list[Airlift] | None) -> list[tuple[str, Airlift]]:
    """A base's airstrips in file order, each with its dotted path under the base (``airlift``, or ``airlift.<i>``)."""
    if airlift is None:
        return []
    if isinstance(airlift, list):
        return [(f"airlift.{i}", strip) for i, strip in enumerate(airlift)]
    return [("airlift", airlift)]


class Weather(Group):
    """Dust storms that ground aircraft (Apaches and airlift) for whole days."""

    dust_day_probability: Fraction
    source: Source


class Pause(Group):
    """A political pause: no departures for a while; reinforcements may flow in and equipment that had left may be
    brought back (a reversal)."""

    probability: Fraction
    start_day: Days
    days: Days
    inflow_loads: Count = Field(default=0)
    inflow_troops: Count = Field(default=0)
    returned_fraction: Fraction = Field(
        default=0.0,
        description="a reversal: share of the loads already gone by road that are brought back when the pause starts, "
        "and must leave again (0-1; rounded per cargo class)",
    )
    source: Source


class Fuel(Group):
    """Bulk fuel at a base, counted in convoy fills (the fuel one convoy needs for its trip out and back): a convoy
    leaves only with a fill, and resupply brings more at a fixed rhythm. Unset: fuel never holds a convoy."""

    fills_at_start: Count = Field(title="convoy fills of fuel at the start", description="convoy fills held at the base at hour 0")
    resupply_fills: Count = Field(default=0, title="convoy fills a fuel resupply brings", description="convoy fills each resupply brings (0: none comes)")
    resupply_every_hours: Hours = Field(
        default=24.0, title="hours between fuel resupplies", description="hours between resupplies, the first that many hours after hour 0"
    )
    source: Source

    @field_validator("resupply_every_hours")
    @classmethod
    def _a_rhythm(cls, value: object) -> object:
        if isinstance(value, (int, float)) and value <= 0:
            raise ValueError("must be above 0 hours (no resupply at all: resupply_fills = 0)")
        return value


FATES = ("destroyed", "handed over")
"""What is done with what a base leaves behind at its deadline."""

VEHICLES_IN_PRIORITY = "vehicles"
"""The name ``deadline.priority`` and ``deadline.fate`` give the base's vehicles (self-driving, and those carried as loads)."""


class Deadline(Group):
    """A date set from above: after ``day`` (days from hour 0) what is still at the base and not sensitive is left
    behind, destroyed or handed over; sensitive loads and people still leave, after the date if need be. Before
    the date, convoys are filled in ``priority`` order. Unset: no date, everything leaves, however long it takes."""

    day: Days = Field(description="days from hour 0 (scenario.start) after which what is still at the base is left behind")
    left: Literal["destroyed", "handed over"] = Field(default="destroyed", description="what is done with what is left behind (destroyed or handed over)")
    fate: dict[str, Literal["destroyed", "handed over"]] = Field(
        default_factory=dict,
        description='per cargo class (or "vehicles"): destroyed or handed over, instead of `left` (e.g. {general = "handed over"})',
    )
    priority: list[str] = Field(
        default_factory=lambda: [VEHICLES_IN_PRIORITY],
        description='what leaves first, after the sensitive loads (which always leave first and are never left): cargo class names and "vehicles", '
        "first first; classes not named follow by their own priority (default: vehicles before every cargo class)",
    )
    source: Source

    @field_validator("day")
    @classmethod
    def _after_the_start(cls, value: float | _Distribution) -> float | _Distribution:
        low = support_of(value)[0]
        if low <= 0:
            raise ValueError(before_the_start(low))
        return value

    @field_validator("priority")
    @classmethod
    def _each_once(cls, value: list[str]) -> list[str]:
        twice = sorted({name for name in value if value.count(name) > 1})
        if twice:
            raise ValueError(f"names {', '.join(twice)} more than once: each class (or vehicles) has one place in the order")
        return value

    def fate_of(self, name: str) -> str:
        """What is done with class ``name`` (or ``"vehicles"``) if it is left behind."""
        return self.fate.get(name, self.left)


class OwnTransport(Group):
    """A base's own transport: its units' organic military trucks, driven by its own people, that carry its cargo
    (the classes military trucks may carry) and its troops in convoys of their own, from the base's start, without
    waiting for the shared pools; the shared pools' trucks take what is left to them. Its convoys leave under the
    same rules as any military convoy (departure window, daylight, roads, the day's departure slots, air cover,
    crossings) and with a ground escort unless ``escorted = false``. Unset: the base has no transport of its own."""

    trucks: Count = Field(title="the base's own trucks", description="organic trucks the base's units hold and drive (PLS, FMTV), carrying cargo and troops")
    loads_per_trip: Count = Field(
        default=1,
        title="truckloads one of its own trucks carries a trip",
        description="truckload equivalents one organic truck carries a trip (a PLS with its trailer: 2)",
    )
    seats: Count = Field(
        default=0,
        title="troops one of its own trucks carries a trip",
        description="troops of the base one organic truck carries out a trip besides its driver (its drivers are not counted in people.troops)",
    )
    escorted: bool = Field(default=True, description="false: its convoys move without a ground escort (the base's own gun trucks guard them)")
    source: Source

    @field_validator("loads_per_trip")
    @classmethod
    def _carries_something(cls, value: object) -> object:
        if isinstance(value, (int, float)) and value < 1:
            raise ValueError("must be at least 1 truckload equivalent a trip (no own transport at all: leave the group out)")
        return value

    def seats_troops(self) -> bool:
        return support_of(self.trucks)[1] > 0 and support_of(self.seats)[1] > 0

    def same_place_with(self, other: OwnTransport) -> OwnTransport:
        """Two names of one place: the units of both are there, so are their trucks."""
        return self.model_copy(update={"trucks": int(self.trucks) + int(other.trucks)})


class Helicopters(Group):
    """Rotary-wing lift from the base (CH-47F Chinooks): helicopters that lift troops and sling or internal loads of the
    classes they may carry out of the base, from a landing zone (no airstrip needed), at a rhythm of sorties a day each.
    Unset: no helicopter lifts from the base."""

    helicopters: Count = Field(title="helicopters lifting from the base", description="helicopters that fly sorties from the base (0: none)")
    sorties_per_day: SortiesPerAircraft = Field(title="sorties a helicopter flies a day", description="sorties each helicopter flies a day, evenly spaced")
    troops: Count = Field(title="troops a helicopter sortie lifts", description="troops of the base one sortie lifts out (not the security force)")
    loads: Count = Field(default=0, title="truckloads a helicopter sortie lifts", description="truckload equivalents one sortie lifts out (sling or internal)")
    round_trip_hours: Hours = Field(title="hours a helicopter round trip takes", description="take-off to take-off: fly out, unload, fly back, load")
    daylight_only: StrictBool = Field(default=False, description="if true, helicopters take off only between convoys.daylight hours")
    classes: list[str] = Field(default_factory=list, validate_default=True, description="cargo classes helicopters may lift (any carriers); none: troops only")
    source: Source

    @field_validator("round_trip_hours")
    @classmethod
    def _fits_a_day(cls, value: float | _Distribution, info: ValidationInfo) -> float | _Distribution:
        sorties = info.data.get("sorties_per_day")
        if sorties is None:
            return value
        low, high = support_of(value)[0], support_of(value)[1] * support_of(sorties)[1]
        if low <= 0:
            raise ValueError("must be above 0 hours")
        if high > 24:
            raise ValueError(
                f"up to {support_of(sorties)[1]:g} sorties a day of up to {support_of(value)[1]:g} hours each is more than 24 hours a day "
                "in the air for one helicopter; give fewer sorties_per_day or a shorter round trip"
            )
        return value

    @field_validator("classes")
    @classmethod
    def _loads_of_some_class(cls, value: list[str], info: ValidationInfo) -> list[str]:
        loads = info.data.get("loads")
        if not value and loads is not None and support_of(loads)[1] > 0:
            raise ValueError("names no class, but a sortie lifts loads: give the cargo classes helicopters may lift, or loads = 0")
        return value

    def seats_troops(self) -> bool:
        return support_of(self.helicopters)[1] > 0 and support_of(self.sorties_per_day)[1] > 0 and support_of(self.troops)[1] > 0

    def base_problems(self, base: Scenario | BaseSite) -> list[tuple[str, str]]:
        unknown = [name for name in self.classes if name not in base.cargo.classes]
        if unknown:
            return [("classes", f"names {', '.join(unknown)}, not a cargo class of this base ({', '.join(base.cargo.classes)})")]
        return []


class BaseGroups(Group):
    """The optional groups of a base, each a mechanism of its own: a one-base file gives them at its top, a theatre
    under each base (``[sites.<base>.<group>]``). A new mechanism is one field here (its group, ``None`` when unset);
    the model reads them as ``spec.groups.<group>``, and two names of one place (``same_place_as``) combine them
    group by group (:meth:`Group.same_place_with`)."""

    fuel: Fuel | None = Field(default=None, description="bulk fuel at the base (unset: fuel never holds a convoy)")
    own_transport: OwnTransport | None = Field(default=None, description="the base's own organic trucks (unset: only the shared pools' trucks carry its cargo)")
    helicopters: Helicopters | None = Field(default=None, description="helicopters lifting troops and loads out of the base (unset: none)")
    deadline: Deadline | None = Field(
        default=None,
        description="a date after which what is left at the base is destroyed or handed over (unset: none; a theatre's base without its own: "
        "the theatre's [deadline], if any)",
    )

    THEATRE_WIDE: ClassVar[tuple[str, ...]] = ("deadline",)
    """Groups a theatre may also give at its top: the default for every base without its own."""

    @classmethod
    def group_names(cls) -> tuple[str, ...]:
        """The optional groups, in the order declared."""
        return tuple(name for name in BaseGroups.model_fields if name != "source_kind")

    @classmethod
    def of(cls, holder: BaseGroups, theatre: BaseGroups | None = None) -> BaseGroups:
        """The optional groups of a one-base scenario or of a theatre's base, on their own; with ``theatre`` (the
        theatre scenario the base is in), each theatre-wide group the base does not give is the theatre's."""
        groups = {name: getattr(holder, name) for name in cls.group_names()}
        if theatre is not None:
            for name in cls.THEATRE_WIDE:
                if groups[name] is None:
                    groups[name] = getattr(theatre, name)
        return BaseGroups.model_construct(**groups)

    def groups(self) -> dict[str, Group | None]:
        """Each optional group by name (``None`` when unset)."""
        return {name: getattr(self, name) for name in self.group_names()}

    def same_place_with(self, other: Self) -> Self:
        """One place under two names, ``self`` the name kept: group by group, the two combined where both have it
        (as the group says), else the one that has it."""
        update = {}
        for name, mine in self.groups().items():
            theirs = getattr(other, name)
            update[name] = theirs if mine is None else mine if theirs is None else mine.same_place_with(theirs)
        return self.model_copy(update=update)

    @classmethod
    def words(cls) -> dict[str, str]:
        """How planners call the groups' inputs, by dotted path (``fuel.fills_at_start``): each field's ``title``."""
        words = {}
        for name in cls.group_names():
            group = next(arg for arg in get_args(cls.model_fields[name].annotation) if isinstance(arg, type) and issubclass(arg, Group))
            words.update({f"{name}.{field}": info.title for field, info in group.model_fields.items() if info.title})
        return words


MEASURES = ("base empty", "force closure", "first convoy across")
"""What a backtest compares: days to base empty or to force closure, or hours from the
first convoy's departure until it has crossed the border."""


class History(Group):
    """A past withdrawal this scenario describes: what was reported about how long it took."""

    what: str = Field(min_length=3, description="the withdrawal, e.g. 'Al-Tanf garrison to Tower 22, Jan-Feb 2026'")
    measure: Literal["base empty", "force closure", "first convoy across"] = Field(
        description="base empty or force closure (days from scenario.start), or first convoy across (hours from its departure until it has crossed)"
    )
    reported: tuple[float, float] = Field(description="the reported range [low, high], in days (or hours for first convoy across)")
    source: Source

    @field_validator("reported")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low <= high:
            raise ValueError("must be [low, high] with 0 <= low <= high")
        return value

    @property
    def unit(self) -> str:
        return "hours" if self.measure == "first convoy across" else "days"


# --- the theatre: several bases on a road network ------------------------------------------------

SITE_KINDS = ("base", "hub", "crossing", "destination")
"""What a site of a theatre is: a base that empties, a hub (a base others send their cargo and people to
before it empties in turn), a border crossing, or a destination outside the country."""

POOL_HOME_THEATRE = "theatre"


class SiteHead(Group):
    """What every site has: its kind, its name in words and where it is."""

    title: str = Field(min_length=1, description="the site's name in words, e.g. 'Qasrak' or 'al-Waleed'")
    lat: float = Field(ge=-90, le=90, strict=False, description="latitude, degrees north (for the network figure)")
    lon: float = Field(ge=-180, le=180, strict=False, description="longitude, degrees east (for the network figure)")
    source: Source


class BaseSite(SiteHead, BaseGroups):
    """A base (or hub) of the theatre: today's per-base groups nested under it, and when it starts."""

    kind: Literal["base", "hub"] = Field(description="base: empties out of the country (or into its send_to hub); hub: others send to it, then it empties")
    cargo: Cargo
    vehicles: Vehicles
    people: People
    loading: Loading
    airlift: Airstrips | None = Field(
        default=None, description="its own airstrip and shuttle, or several ([[sites.<base>.airlift]], each flying its own sorties); none: no sortie flies"
    )
    start_day: Days = Field(default=0.0, description="days after hour 0 when the base starts to empty (pack-out and convoys)")
    after: str | None = Field(default=None, description="another base: this one starts when that one is empty (or at its own start_day if that one stays)")
    send_to: str | None = Field(default=None, description="a hub inside the country: its cargo, vehicles and people go there instead of out")
    leaves: Fraction = Field(
        default=1.0, description="probability that the base is left at all (a Bernoulli input): one that stays sends nothing and is not waited for"
    )
    pools: list[str] = Field(min_length=1, description="the resource pools its convoys may draw from, in order of preference")
    same_place_as: str | None = Field(
        default=None,
        description="another base that reports may call by this site's name (two names, one place): drawn per replication with "
        "probability same_place, this site's cargo, vehicles, people and teams then join that base's and this name sends nothing",
    )
    same_place: Fraction = Field(default=0.5, description="probability that this site and same_place_as are one place (a Bernoulli input)")

    def unused_fields(self) -> frozenset[str]:
        """Fields left at their default that the model does not read for this base: ``same_place`` (the chance of
        being the same place as ``same_place_as``) when the base names no ``same_place_as``. They are not inputs, so
        ``validate`` and the report do not list them as numbers with a source; one the file sets is listed."""
        if self.same_place_as is None and "same_place" not in self.model_fields_set:
            return frozenset({"same_place"})
        return frozenset()


class CrossingSite(SiteHead):
    """A border crossing of the theatre: today's crossing.main fields."""

    kind: Literal["crossing"]
    lanes: Count
    fixed_hours: Hours = Field(description="paperwork per convoy")
    minutes_per_vehicle: MinutesPerVehicle
    open_hours: HourWindow = Field(default=(0.0, 24.0), description="daily opening hours, local")
    closures_per_month: ClosuresPerMonth = Field(default=0.0)
    closure_days: EventDays = Field(default=0.0, description="length of each closure")
    scheduled_closures: list[Closure] = Field(default_factory=list)

    def as_point(self) -> CrossingPoint:
        """This crossing as the one-base form's crossing point (named by its title; no detour to reach it)."""
        return CrossingPoint.model_construct(
            name=self.title,
            lanes=self.lanes,
            fixed_hours=self.fixed_hours,
            minutes_per_vehicle=self.minutes_per_vehicle,
            open_hours=self.open_hours,
            closures_per_month=self.closures_per_month,
            closure_days=self.closure_days,
            scheduled_closures=self.scheduled_closures,
            extra_km=0.0,
            source=self.source,
            source_kind=None,
        )


class DestinationSite(SiteHead):
    """A destination outside the country where convoys unload (destination.unload_hours_per_truck a truck)."""

    kind: Literal["destination"]
    unload_teams: Count


def _site_kind(value: object) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return "base" if kind == "hub" else kind


Site = Annotated[
    Annotated[BaseSite, Tag("base")] | Annotated[CrossingSite, Tag("crossing")] | Annotated[DestinationSite, Tag("destination")],
    Discriminator(_site_kind, custom_error_type="site_kind", custom_error_message="a site needs kind = base, hub, crossing or destination"),
]


class NetworkLeg(Group):
    """A two-way road between two sites, with its march speeds, halts, threats and movement rules."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)  # "from" and "to", as in the file

    start: str = Field(alias="from", description="the site at one end (a leg is a two-way road)")
    end: str = Field(alias="to", description="the site at the other end")
    km: Km
    town_km: Km = Field(default=0.0)
    speed_kmh: Speed
    town_speed_kmh: Speed
    halt_minutes: HaltMinutes = Field(default=15.0)
    halt_every_hours: HoursBetweenHalts = Field(default=2.0)
    daylight_only_for: list[ConvoyKind] | None = Field(
        default=None,
        description="convoy kinds (contracted, military) moving on this leg by day only (unset: all kinds if convoys.daylight_only, none otherwise)",
    )
    threats: Threats | None = Field(default=None, description="threats that close this leg for hours (none: never closed)")
    shares_threats_with: str | None = Field(
        default=None, description="another leg, named 'from-to', whose threat closures this one shares (the same road for most of its length)"
    )
    source: Source

    @property
    def name(self) -> str:
        """The leg's name in results: ``<from>-<to>`` as written in the file."""
        return f"{self.start}-{self.end}"


class PoolTrucks(Group):
    """Trucks of one type in a pool."""

    count: Count
    source: Source


class PoolFleet(Group):
    """A pool's trucks by type (any subset); speeds, cab seats and breakdowns are the top-level fleet's."""

    civilian: PoolTrucks | None = None
    lowboy: PoolTrucks | None = None
    military: PoolTrucks | None = None
    het: PoolTrucks | None = None


class PoolEscort(Group):
    """A pool's ground escort teams (team size and rest are the top-level escort's)."""

    teams: Count
    source: Source


class PoolAirCover(Group):
    """A pool's Apaches (sorties a day, time on station and who needs cover are the top-level air_cover's)."""

    apaches: Count
    source: Source


class Pool(Group):
    """Resources with a home: trucks, escort teams and Apaches that convoys of the bases listing the pool draw from."""

    title: str = Field(min_length=1, description="the pool in words, e.g. 'contracted trucks from Kurdistan'")
    home: str = Field(
        default=POOL_HOME_THEATRE,
        description="'theatre' (its trucks start at the first base to start that lists it) or a base's name (they start there)",
    )
    fleet: PoolFleet | None = None
    escort: PoolEscort | None = None
    air_cover: PoolAirCover | None = None


class TheatreInfo(Group):
    """The theatre question: the end dates reported for the whole withdrawal."""

    reported_end_days: list[float] = Field(default_factory=lambda: [20.0, 30.0, 60.0], description="reported end dates, days from hour 0, to mark")
    source: Source


class SpeedsOnly(Group):
    """A truck type's speed and cab seats in a theatre (its count is in the pools)."""

    speed_kmh: Speed | None = Field(default=None, description="loaded top speed, if slower than the convoy's march speed")
    cab_seats: Count = Field(default=0, description="troops who may ride in each truck's cab besides its driver")
    source: Source = "none: no speed limit or cab seats given"


class TheatreFleet(Group):
    """Truck speeds, cab seats, breakdowns and repair for every pool of a theatre."""

    civilian: SpeedsOnly = Field(default_factory=SpeedsOnly)
    lowboy: SpeedsOnly = Field(default_factory=SpeedsOnly)
    military: SpeedsOnly = Field(default_factory=SpeedsOnly)
    het: SpeedsOnly = Field(default_factory=SpeedsOnly)
    breakdowns_per_1000_km: BreakdownsPer1000Km = Field(description="breakdowns per truck per 1000 km driven")
    recovery_hours: EventHours = Field(description="halt of the convoy to recover one broken truck")
    repair_hours: EventHours = Field(description="time a broken truck is out of service after the trip")
    source: Source


class TheatreEscort(Group):
    """Escort team size and rest in a theatre (the teams are in the pools)."""

    vehicles_per_team: TeamVehicles = Field(description="convoy vehicles one team can protect")
    rest_hours: Hours = Field(description="crew rest after a mission")
    source: Source


class TheatreAirCover(Group):
    """Apache rates and who needs cover in a theatre (the Apaches are in the pools)."""

    sorties_per_aircraft_per_day: SortiesPerAircraft
    hours_on_station: HoursOnStation
    share_of_convoys: Fraction = Field(description="share of convoys that need air cover")
    always_for_sensitive: StrictBool = Field(description="convoys carrying a class that air may also carry always need cover")
    when_short: Literal["wait", "go"] = Field(default="wait")
    source: Source


class TheatreCrossing(Group):
    """When convoys divert to another crossing (the crossings are sites)."""

    divert_after_hours: Hours = Field(default=24.0, description="divert when the crossing a convoy reaches stays closed longer than this")


class TheatreDestination(Group):
    """Unloading at every destination (the destinations and their teams are sites)."""

    unload_hours_per_truck: Hours
    source: Source


class Scenario(BaseGroups):
    """A whole evacuation scenario, validated once; the model only reads it."""

    scenario: ScenarioInfo
    cargo: Cargo
    vehicles: Vehicles
    people: People
    fleet: Fleet
    convoys: Convoys
    loading: Loading
    escort: Escort
    air_cover: AirCover
    route: Route
    crossing: Crossing
    destination: Destination
    airlift: Airstrips = Field(description="the base's airstrip and shuttle, or several ([[airlift]], each flying its own sorties)")
    weather: Weather
    pause: Pause
    history: History | None = Field(default=None, description="for a backtest case (scenarios/history/): the reported outcome of a past withdrawal")

    is_theatre: ClassVar[bool] = False
    """A one-base file (the one-base shorthand); :class:`TheatreScenario` is the network form."""


ONE_BASE_GROUPS = ("cargo", "vehicles", "people", "loading", "airlift", "route", *(g for g in BaseGroups.group_names() if g not in BaseGroups.THEATRE_WIDE))
"""Top-level groups of a one-base file that a theatre scenario nests under each base (or, for ``route``, gives as legs);
a theatre-wide group (the deadline) it may give at its top too, for every base without its own."""


class TheatreScenario(Scenario):
    """A theatre: several bases, crossings, hubs and destinations on a road network, sharing pools of
    trucks, escort teams and Apaches. A one-base file is the simplest theatre (the one-base shorthand)."""

    cargo: None = None  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    vehicles: None = None  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    people: None = None  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    loading: None = None  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    airlift: None = None  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    route: None = None  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    fleet: TheatreFleet  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    escort: TheatreEscort  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    air_cover: TheatreAirCover  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    crossing: TheatreCrossing = Field(default_factory=TheatreCrossing)  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    destination: TheatreDestination  # type: ignore[assignment]  # a theatre nests these under its bases and pools
    sites: dict[str, Site] = Field(min_length=1, description="bases, hubs, crossings and destinations by short name; the first base listed is the main base")
    legs: list[NetworkLeg] = Field(min_length=1, description="two-way roads between sites")
    pools: dict[str, Pool] = Field(min_length=1, description="trucks, escort teams and Apaches with a home, by short name")
    theatre: TheatreInfo | None = None

    is_theatre: ClassVar[bool] = True

    @model_validator(mode="before")
    @classmethod
    def _no_one_base_groups(cls, data: object) -> object:
        if isinstance(data, dict):
            for name in ONE_BASE_GROUPS:
                if data.get(name) is not None:  # a dumped theatre has them as null
                    where = "[[legs]]" if name == "route" else f"[sites.<base>.{name}]"
                    raise ValueError(f"`{name}` is a one-base group: in a theatre scenario (one with [sites]) give it as {where}")
        return data

    @property
    def bases(self) -> dict[str, BaseSite]:
        """The bases and hubs in file order; the first is the main base."""
        return {name: site for name, site in self.sites.items() if isinstance(site, BaseSite)}

    @property
    def main_base(self) -> str:
        return next(iter(self.bases))

    @property
    def crossings(self) -> dict[str, CrossingSite]:
        """The border crossings in file order (reports call the first the main one)."""
        return {name: site for name, site in self.sites.items() if isinstance(site, CrossingSite)}

    @property
    def destinations(self) -> dict[str, DestinationSite]:
        """The destinations outside the country, in file order."""
        return {name: site for name, site in self.sites.items() if isinstance(site, DestinationSite)}


def scenario_from_table(data: dict) -> Scenario:
    """A scenario from a table (a TOML file's, or a dumped scenario's): a theatre if it has ``sites``, else one base."""
    return (TheatreScenario if data.get("sites") else Scenario).model_validate(data)
