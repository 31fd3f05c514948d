"""Bulk fuel at a base: a convoy leaves only with a fill of fuel for its trip, and resupply comes at a rhythm.

Fuel is counted in *convoy fills* (what one convoy needs out and back, whatever its size: an
assumption, as no public figure for the bases' stocks was found; a planner sets the three numbers).
The base holds ``fills_at_start`` at hour 0; every ``resupply_every_hours`` (the first that many
hours after hour 0) a resupply brings ``resupply_fills``. A convoy at the gate with no fill left
waits for the next resupply (cause "fuel"); with none coming, it waits to the end of the run.
A base without a ``fuel`` group is never held for fuel.
"""

from __future__ import annotations

import math

from sim.model.convoy import Convoy
from sim.model.parts import BaseSetup, Hold, Part


class Fuel(Part):
    """A base's bulk fuel, in convoy fills."""

    causes = ("fuel",)

    def __init__(self, fills_at_start: int | None, resupply_fills: int = 0, resupply_every_hours: float = 24.0) -> None:
        self.limited = self.may_hold = fills_at_start is not None
        self.fills_at_start = fills_at_start or 0
        self.resupply_fills = resupply_fills
        self.every = resupply_every_hours
        self.used = 0

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Fuel:
        group = setup.spec.groups.fuel
        if group is None:
            return cls(None)
        return cls(int(group.fills_at_start), int(group.resupply_fills), float(group.resupply_every_hours))

    def _resupplies(self, t: float) -> int:
        """Resupplies arrived by ``t`` (one at each whole multiple of the rhythm, hour 0 excluded)."""
        return math.floor(t / self.every + 1e-9) if self.resupply_fills > 0 else 0

    def fills(self, t: float) -> int:
        """Convoy fills at the base at ``t``."""
        return self.fills_at_start + self._resupplies(t) * self.resupply_fills - self.used

    def hold(self, convoy: Convoy, now: float) -> Hold | None:
        if not self.limited or self.fills(now) >= 1:
            return None
        if self.resupply_fills == 0:
            return "fuel", math.inf
        return "fuel", (self._resupplies(now) + 1) * self.every

    def departs(self, convoy: Convoy, now: float) -> None:
        if self.limited:
            self.used += 1
