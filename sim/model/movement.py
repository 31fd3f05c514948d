"""Movement rules: when each kind of convoy may leave the base and move on each leg.

A convoy with any contracted truck is *contracted*, any other *military*. A leg's
``daylight_only_for`` names the kinds that may move on it in daylight only (loaded or
empty); unset, every kind if ``convoys.daylight_only``, none otherwise. A kind that
moves by day only on the Syrian leg also leaves only in daylight: its departure window
is narrowed to ``convoys.daylight``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sim.model.calendar import NEVER, Closures, daily
from sim.scenario.schema import CONVOY_KINDS, Scenario


class MovementRule(Protocol):
    """A road or leg that may name the convoy kinds moving on it by day only."""

    @property
    def daylight_only_for(self) -> Sequence[str] | None: ...


@dataclass(frozen=True)
class MovementRules:
    """One convoy kind's calendars: when it may leave, and the nights it halts on each leg."""

    departure_window: Closures
    syria_nights: Closures
    iraq_nights: Closures


def daylight_only(leg: MovementRule, kind: str, s: Scenario) -> bool:
    """Whether convoys of ``kind`` may move on ``leg`` (``route.syria`` or ``route.iraq``) in daylight only."""
    kinds = leg.daylight_only_for if leg.daylight_only_for is not None else (CONVOY_KINDS if s.convoys.daylight_only else ())
    return kind in kinds


def movement_rules(s: Scenario, kind: str, horizon_hours: float) -> MovementRules:
    """The calendars of convoys of ``kind`` in a resolved scenario, up to the horizon."""
    c = s.convoys
    nights = daily(c.daylight[0], c.daylight[1], horizon_hours)
    by_day_in_syria = daylight_only(s.route.syria, kind, s)
    window = c.departure_window
    if by_day_in_syria:
        window = (max(window[0], c.daylight[0]), min(window[1], c.daylight[1]))
    departure = daily(window[0], max(window[1], window[0] + 0.25), horizon_hours)
    return MovementRules(departure, nights if by_day_in_syria else NEVER, nights if daylight_only(s.route.iraq, kind, s) else NEVER)


def departure_window(s: Scenario, kind: str, by_day: bool, horizon_hours: float) -> Closures:
    """When convoys of ``kind`` may leave: ``convoys.departure_window``, narrowed to daylight if they move by day only on their first road."""
    c = s.convoys
    window = c.departure_window
    if by_day:
        window = (max(window[0], c.daylight[0]), min(window[1], c.daylight[1]))
    return daily(window[0], max(window[1], window[0] + 0.25), horizon_hours)


def road_nights(road: MovementRule, kind: str, s: Scenario, horizon_hours: float) -> Closures:
    """The nights a convoy of ``kind`` halts on ``road`` (none if it may move at night there)."""
    return daily(s.convoys.daylight[0], s.convoys.daylight[1], horizon_hours) if daylight_only(road, kind, s) else NEVER
