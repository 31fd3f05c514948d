"""Road legs: base to the border (Syria) and the border to the destination (Iraq).

March times follow FM 55-30 practice: open-road and town speeds, and a short
halt every couple of hours. A convoy moves at the pace of its slowest vehicle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.scenario.routing import march_hours
from sim.scenario.schema import NetworkLeg, RoadLeg


@dataclass(frozen=True)
class Leg:
    """A road leg with its distances (km), march speeds (km/h) and halts."""

    km: float
    town_km: float
    speed_kmh: float
    town_speed_kmh: float
    halt_minutes: float
    halt_every_hours: float
    _hours: dict[tuple[float | None, float], float] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, leg: RoadLeg | NetworkLeg) -> Leg:
        """The leg a resolved scenario's ``route.syria`` or ``route.iraq`` describes."""
        return cls(leg.km, leg.town_km, leg.speed_kmh, leg.town_speed_kmh, leg.halt_minutes, leg.halt_every_hours)

    def driving_hours(self, speed_cap_kmh: float | None = None, extra_km: float = 0.0) -> float:
        """Hours on the road for a convoy, halts included, capped at a slower vehicle's speed."""
        key = (speed_cap_kmh, extra_km)
        hours = self._hours.get(key)
        if hours is None:
            hours = self._hours[key] = self._driving_hours(speed_cap_kmh, extra_km)
        return hours

    def _driving_hours(self, speed_cap_kmh: float | None, extra_km: float) -> float:
        return march_hours(self.km, self.town_km, self.speed_kmh, self.town_speed_kmh, self.halt_minutes, self.halt_every_hours, speed_cap_kmh, extra_km)
