"""Truck fleets: contracted civilian trucks, military PLS/FMTV, heavy equipment transporters.

Trucks are counted by type, not simulated one by one: a convoy takes so many of
each type from the base and gives them back when it returns. A truck that broke
down on the way is recovered with the convoy and comes back into service after
its repair.
"""

from __future__ import annotations

import simpy

KINDS = ("civilian", "military", "het")


class Fleet:
    """Trucks of each type at the base, out on the road, or under repair."""

    def __init__(
        self,
        env: simpy.Environment,
        counts: dict[str, int],
        speed_kmh: dict[str, float | None],
        breakdowns_per_1000_km: float,
    ) -> None:
        self.env = env
        self.total = dict(counts)
        self.at_base = dict(counts)
        self.speed_kmh = speed_kmh
        self.breakdowns_per_1000_km = breakdowns_per_1000_km
        self.truck_hours_busy = 0.0
        self.breakdowns = 0
        self._returned = env.event()

    @property
    def out(self) -> int:
        """Trucks away from the base (on the road or under repair)."""
        return sum(self.total.values()) - sum(self.at_base.values())

    def returned(self) -> simpy.Event:
        """An event that fires the next time trucks come back to the base."""
        return self._returned

    def send(self, used: dict[str, int]) -> None:
        for kind, n in used.items():
            self.at_base[kind] -= n

    def give_back(self, kind_counts: dict[str, int]) -> None:
        """Trucks are back at the base and ready for another load."""
        for kind, n in kind_counts.items():
            self.at_base[kind] += n
        ev, self._returned = self._returned, self.env.event()
        ev.succeed()

    def speed_cap(self, used: dict[str, int]) -> float | None:
        """The slowest loaded top speed among the truck types in a convoy (km/h), if any."""
        caps = [self.speed_kmh[k] for k, n in used.items() if n and self.speed_kmh.get(k)]
        return min(caps) if caps else None


def repair_truck(env: simpy.Environment, fleet: Fleet, kind: str, hours: float):
    """A truck that broke down is repaired, then rejoins the fleet at the base."""
    yield env.timeout(hours)
    fleet.truck_hours_busy += hours
    fleet.give_back({kind: 1})
