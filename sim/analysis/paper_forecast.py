"""The forecast a planner makes on paper, the reference the model must beat in a backtest.

No simulation and no queue: planning factors from the case file's medians, as a planner
would work them out with a pencil. For each base, the truckloads that must leave (loads
not handed over or destroyed), the trucks that may carry them, and the hours one truck
needs for a round trip (drive out at march speed with its halts, cross, unload, drive
back, cross, load again). Then:

- trucks limit: loads / (trucks x trips a day), trips a day = 24 / round-trip hours;
- convoys limit: (loads + self-driving vehicles) / (convoys a day x most vehicles a convoy);

and the base is empty when the slower of the two says so. A theatre shares its pools,
so its trucks limit is all its loads over all its trucks at the loads' mean round trip,
and each base's convoys limit counts from that base's start; the theatre is empty at the
latest of them. Force closure adds one drive out; the first convoy across is one drive
to the border and the crossing of one convoy. Aircraft, escorts, closures, pack-out and
breakdowns are left out: the paper forecast is what the model must improve on.

Everything here is plain numbers (:class:`PaperBase`), filled by
:mod:`sim.experiment.backtest` from the resolved scenario; nothing here reads a scenario
file or runs the model. Days are days from the scenario's start; hours are hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PaperBase:
    """One base's planning factors, each the median of the case file's input.

    ``loads``: truckloads that must leave (after what is handed over or destroyed);
    ``vehicles``: self-driving vehicles that take convoy places; ``trucks``: trucks of the
    pools the base draws from; ``drive_out_hours``: base to destination, loaded, halts
    included, the crossing's paperwork too; ``to_border_hours``: base to the end of the
    crossing for the first convoy; ``turnaround_hours``: loading and unloading one truck;
    ``convoys_per_day`` and ``convoy_size``: the convoy rules; ``start_day``: when it starts.
    """

    name: str
    loads: float
    vehicles: float
    trucks: float
    drive_out_hours: float
    to_border_hours: float
    turnaround_hours: float
    convoys_per_day: float
    convoy_size: float
    start_day: float = 0.0

    @property
    def round_trip_hours(self) -> float:
        """Out loaded and back empty, with loading and unloading."""
        return 2.0 * self.drive_out_hours + self.turnaround_hours

    @property
    def convoy_days(self) -> float:
        """Days the convoys a day allow for every load and vehicle to leave."""
        places = self.loads + self.vehicles
        if places <= 0:
            return 0.0
        per_day = self.convoys_per_day * self.convoy_size
        return places / per_day if per_day > 0 else float("inf")


@dataclass(frozen=True)
class PaperForecast:
    """The paper forecast of one case: its value in the case's unit and how it was worked out, in words."""

    value: float
    basis: str


def drive_hours(km: float, town_km: float, speed_kmh: float, town_speed_kmh: float, halt_minutes: float, halt_every_hours: float) -> float:
    """A march table's hours for one road: open road and towns at their speeds, a halt every ``halt_every_hours`` moving."""
    if km <= 0:
        return 0.0
    town = min(town_km, km)
    moving = (km - town) / speed_kmh + town / town_speed_kmh
    halts = moving / halt_every_hours * halt_minutes / 60.0 if halt_every_hours > 0 else 0.0
    return moving + halts


def trucks_days(bases: Sequence[PaperBase]) -> float:
    """Days the shared trucks need for every load at the loads' mean round trip (inf with loads and no truck)."""
    loads = sum(b.loads for b in bases)
    if loads <= 0:
        return 0.0
    trucks = max(b.trucks for b in bases)  # the pools are shared: each base sees them all
    if trucks <= 0:
        return float("inf")
    round_trip = sum(b.loads * b.round_trip_hours for b in bases) / loads
    return loads / (trucks * 24.0 / round_trip)


def paper_forecast(bases: Sequence[PaperBase], measure: str) -> PaperForecast:
    """The planner's forecast of ``measure`` (base empty, force closure: days; first convoy across: hours)."""
    if not bases:
        raise ValueError("a paper forecast needs at least one base")
    if measure == "first convoy across":
        first = min(bases, key=lambda b: b.start_day)
        return PaperForecast(first.to_border_hours, f"{first.to_border_hours:.1f} hours, the march table to the border and one convoy's crossing")
    by_trucks = trucks_days(bases)
    last = max(bases, key=lambda b: b.start_day + b.convoy_days)
    by_convoys = last.start_day + last.convoy_days
    empty = max(by_trucks, by_convoys)
    loads = sum(b.loads for b in bases)
    trucks = max(b.trucks for b in bases)
    why = (
        f"{loads:.0f} loads on {trucks:.0f} trucks take {by_trucks:.1f} days, "
        f"{last.convoys_per_day:g} convoys a day of {last.convoy_size:.0f} vehicles {by_convoys:.1f} days" + (f" at {last.name}" if len(bases) > 1 else "")
    )
    if measure == "force closure":
        drive = max(b.drive_out_hours for b in bases) / 24.0
        return PaperForecast(empty + drive, f"{empty + drive:.1f} days: {why}, then {24 * drive:.0f} hours' drive")
    return PaperForecast(empty, f"{empty:.1f} days: {why}")
