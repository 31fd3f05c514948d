"""Apache air cover for convoys on the Syrian leg.

Each Apache flies a few sorties a day, each with about 90 minutes on station, so
covering a convoy's Syrian leg takes several relayed sorties. Dust days ground
them. A convoy that needs cover waits for a day with enough sorties left.
"""

from __future__ import annotations

import math


class AirCover:
    """The day-by-day sortie budget of the Apache detachment."""

    def __init__(self, apaches: int, sorties_per_aircraft_per_day: float, hours_on_station: float, dust_days: set[int], horizon_days: int) -> None:
        self.per_day = math.floor(apaches * sorties_per_aircraft_per_day + 1e-9)
        self.hours_on_station = hours_on_station
        self.dust_days = dust_days
        self.used = [0] * (horizon_days + 2)
        self.sorties_flown = 0
        self.convoys_covered = 0
        self.convoys_uncovered = 0

    def sorties_for(self, leg_hours: float) -> int:
        """Relayed sorties needed to keep an Apache over a convoy for ``leg_hours``."""
        if self.per_day == 0:
            return 0
        return min(self.per_day, max(1, math.ceil(leg_hours / self.hours_on_station)))

    def earliest(self, t: float, sorties: int) -> float:
        """Earliest time from ``t`` on a flyable day with ``sorties`` still free."""
        if sorties == 0:
            return t
        day = int(t // 24)
        while day < len(self.used) - 1 and (day in self.dust_days or self.used[day] + sorties > self.per_day):
            day += 1
        return t if day == int(t // 24) else 24.0 * day

    def commit(self, t: float, sorties: int) -> None:
        day = min(int(t // 24), len(self.used) - 1)
        self.used[day] += sorties
        self.sorties_flown += sorties
        if sorties:
            self.convoys_covered += 1

    def capacity(self, hours: float) -> int:
        """Sorties the detachment could have flown in the first ``hours`` (dust days excluded)."""
        days = hours / 24
        whole = int(days)
        flyable = sum(1 for d in range(whole) if d not in self.dust_days)
        if whole not in self.dust_days:
            flyable += days - whole
        return round(flyable * self.per_day)
