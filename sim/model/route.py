"""Road legs: base to the border (Syria) and the border to the destination (Iraq).

March times follow FM 55-30 practice: open-road and town speeds, and a short
halt every couple of hours. A convoy moves at the pace of its slowest vehicle.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
        open_speed = self.speed_kmh if speed_cap_kmh is None else min(self.speed_kmh, speed_cap_kmh)
        town_speed = self.town_speed_kmh if speed_cap_kmh is None else min(self.town_speed_kmh, speed_cap_kmh)
        town_km = min(self.town_km, self.km)
        moving = (self.km - town_km + extra_km) / open_speed + town_km / town_speed
        halts = int(moving // self.halt_every_hours) * self.halt_minutes / 60.0
        return moving + halts
