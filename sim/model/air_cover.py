"""Apache air cover for convoys on the Syrian leg.

Each Apache flies a few sorties a day, each with about 90 minutes on station, so
covering a convoy's Syrian leg takes several relayed sorties: as many as its
moving hours need, whatever the detachment's size. Dust days ground them. A convoy
that needs cover either waits for a day with enough sorties left, or, where the
scenario says so (``when_short = "go"``), leaves with what the day has left and is
counted as uncovered, with the hours of cover it went without.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.convoy import Convoy
from sim.model.parts import BaseSetup, Column, Hold, Part, share
from sim.scenario import schema


class AirCover:
    """The day-by-day sortie budget of the Apache detachment, and what it covered."""

    def __init__(
        self, apaches: int, sorties_per_aircraft_per_day: float, hours_on_station: float, dust_days: set[int], horizon_days: int, when_short: str = "wait"
    ) -> None:
        self.per_day = apaches * sorties_per_aircraft_per_day  # not rounded: 0.5 a day is half a sortie, never one
        self.hours_on_station = hours_on_station
        self.dust_days = dust_days
        self.when_short = when_short
        self.used = [0.0] * (horizon_days + 2)
        self.sorties_flown = 0
        self.convoys_covered = 0
        self.convoys_uncovered = 0
        self.hours_short = 0.0

    def sorties_for(self, leg_hours: float) -> int:
        """Relayed sorties needed to keep an Apache over a convoy for ``leg_hours`` of moving."""
        return max(1, math.ceil(leg_hours / self.hours_on_station - 1e-9))

    def left_on(self, day: int) -> float:
        """Sorties the detachment can still fly on ``day`` (none on a dust day)."""
        if day in self.dust_days or day >= len(self.used):
            return 0
        return self.per_day - self.used[day]

    def can_ever_cover(self, sorties: int) -> bool:
        """Whether a day's whole budget is enough for ``sorties``."""
        return sorties <= self.per_day

    def earliest(self, t: float, sorties: int) -> float:
        """Earliest time from ``t`` on a day with ``sorties`` still free (``inf`` if no day has)."""
        if sorties == 0:
            return t
        if not self.can_ever_cover(sorties):
            return math.inf
        day = int(t // 24)
        while day < len(self.used) - 1 and self.left_on(day) < sorties:
            day += 1
        return t if day == int(t // 24) else 24.0 * day

    def commit(self, t: float, sorties: int, leg_hours: float) -> int:
        """A convoy leaves at ``t`` needing ``sorties``: fly what today allows; returns the sorties flown.

        Short of the need (only under ``when_short = "go"``), the convoy counts as
        uncovered and the hours it moved without an Apache overhead are recorded
        (:meth:`hours_uncovered`).
        """
        day = min(int(t // 24), len(self.used) - 1)
        flown = min(sorties, math.floor(max(0.0, self.left_on(day)) + 1e-9))
        self.used[day] += flown
        self.sorties_flown += flown
        if flown >= sorties:
            self.convoys_covered += 1
        else:
            self.convoys_uncovered += 1
            self.hours_short += self.hours_uncovered(flown, leg_hours)
        return flown

    def hours_uncovered(self, flown: int, leg_hours: float) -> float:
        """Hours of a convoy's ``leg_hours`` of moving without an Apache overhead when ``flown`` sorties relayed over it."""
        return max(0.0, leg_hours - flown * self.hours_on_station)

    def capacity(self, hours: float) -> int:
        """Sorties the detachment could have flown in the first ``hours`` (dust days excluded)."""
        days = hours / 24
        whole = int(days)
        flyable: float = sum(1 for d in range(whole) if d not in self.dust_days)
        if whole not in self.dust_days:
            flyable += days - whole
        return round(flyable * self.per_day)


class CoverAtBase(Part):
    """Air cover as one base's convoys meet it: which convoys need it (all sensitive ones, if the scenario
    says so, and a share of the others, drawn from the cover stream as each convoy joins the queue), the
    wait at the gate for a day with enough sorties left, and the sorties flown when it leaves.

    The detachment (:class:`AirCover`) may be a theatre pool's, shared by several bases: what this base's
    convoys flew, and went without, is counted here, so its columns are its own (the pool's totals are the
    theatre's ``theatre.apache_sorties``, ``theatre.convoys_uncovered``, ``theatre.air_cover_hours_short``).
    """

    causes = ("air cover",)

    def __init__(self, cover: AirCover, rules: schema.AirCover, rng: np.random.Generator) -> None:
        self.cover = cover
        self.rules = rules  # the scenario's air_cover group
        self.rng = rng
        self.sorties_flown = 0  # over this base's convoys
        self.convoys_uncovered = 0  # this base's convoys that left short of cover
        self.hours_short = 0.0  # hours this base's convoys moved on the Syrian leg without an Apache overhead

    @classmethod
    def for_base(cls, setup: BaseSetup) -> CoverAtBase:
        shared = setup.shared
        return cls(shared.air_cover_for(setup.spec.pools), setup.scenario.air_cover, shared.streams.cover)

    def needs_cover(self, convoy: Convoy) -> bool:
        draw = self.rng.random()
        if self.rules.always_for_sensitive and convoy.carries_sensitive:
            return True
        return bool(draw < self.rules.share_of_convoys)

    def mark(self, convoy: Convoy, leg_hours: float) -> None:
        """A convoy joins the queue: whether it needs cover, and the sorties its ``leg_hours`` of moving need."""
        convoy.needs_cover = self.needs_cover(convoy)
        if convoy.needs_cover:
            convoy.cover_sorties = self.cover.sorties_for(leg_hours)
            convoy.cover_hours = leg_hours

    def hold(self, convoy: Convoy, now: float) -> Hold | None:
        if convoy.needs_cover and self.cover.when_short == "wait":
            ready = self.cover.earliest(now, convoy.cover_sorties)
            if ready > now:
                return "air cover", ready
        return None

    def departs(self, convoy: Convoy, now: float) -> None:
        if convoy.needs_cover:
            flown = self.cover.commit(now, convoy.cover_sorties, convoy.cover_hours)
            self.sorties_flown += flown
            if flown < convoy.cover_sorties:
                self.convoys_uncovered += 1
                self.hours_short += self.cover.hours_uncovered(flown, convoy.cover_hours)

    def columns(self, span: float) -> dict[str, Column]:
        """Apache sorties flown over this base's convoys, its convoys that left short of cover and their hours
        without it, and the share of the detachment's sorties over the hours to this base empty that its convoys used."""
        return {
            "apache_sorties": self.sorties_flown,
            "convoys_uncovered": self.convoys_uncovered,
            "air_cover_hours_short": self.hours_short,
            "utilisation.apaches": share(self.sorties_flown, self.cover.capacity(span)),
        }
