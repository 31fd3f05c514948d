"""People at the base: who leaves how, and the security force that leaves last."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Garrison:
    """Troops still at the base, split into those free to leave and the security force.

    Vehicle crews and convoy passengers leave by road, others by air; the security
    force stays until the last cargo has gone and leaves as the last element.
    """

    free_to_leave: int
    security_force: int
    at_start: int
    inflow: int = 0
    by_road: int = 0
    by_air: int = 0

    @property
    def at_base(self) -> int:
        return self.free_to_leave + self.security_force

    def leave_by_road(self, wanted: int) -> int:
        n = min(wanted, self.free_to_leave)
        self.free_to_leave -= n
        self.by_road += n
        return n

    def leave_by_air(self, wanted: int) -> int:
        n = min(wanted, self.free_to_leave)
        self.free_to_leave -= n
        self.by_air += n
        return n

    def last_element_leaves(self, by: str) -> int:
        """Everyone still at the base leaves together; returns how many."""
        n = self.at_base
        if by == "convoy":
            self.by_road += n
        else:
            self.by_air += n
        self.free_to_leave = self.security_force = 0
        return n

    def security_leaves_by_air(self, n: int) -> None:
        """``n`` of the security force fly out before the last element (seats a sortie had left over)."""
        self.security_force -= n
        self.by_air += n

    def reinforce(self, troops: int) -> None:
        self.free_to_leave += troops
        self.inflow += troops
