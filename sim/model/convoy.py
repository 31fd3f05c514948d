"""A convoy: trucks by type, the loads they carry, the vehicles and people riding along, and its record.

Truck types and the two kinds of convoy (contracted, military) are defined here, where every
mechanism that meets a convoy can read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.model.escort import EscortTeams

KINDS = ("civilian", "lowboy", "military", "het")
"""Truck types, in the order a convoy lists them."""

CONTRACTED = frozenset({"civilian", "lowboy"})
"""Contracted truck types: a convoy with any of them moves under the contracted convoys' rules."""


def convoy_kind(trucks: dict[str, int]) -> str:
    """``contracted`` if a convoy has any contracted truck, else ``military`` (military trucks, HETs, self-driving vehicles)."""
    return "contracted" if any(trucks.get(k) for k in CONTRACTED) else "military"


@dataclass
class Convoy:
    """A convoy: trucks by type, the loads they carry, vehicles and people riding along."""

    number: int
    trucks: dict[str, int]
    loads: dict[str, int]
    vehicles: int
    people: int
    formed_at: float
    last_element: bool = False
    needs_cover: bool = False
    cover_sorties: int = 0
    cover_hours: float = 0.0  # hours of moving its air cover must cover
    carries_sensitive: bool = False
    escort_teams: int = 0
    # when it reached each step (hours), the crossing it took (its name) and the trucks that broke down (by kind)
    legs: dict[str, Any] = field(default_factory=dict)
    waits: dict[str, float] = field(default_factory=dict)
    work_hours: float = 0.0
    record: dict[str, Any] | None = None  # its entry in a traced replication's timeline
    truck_pools: dict[str, dict[str, int]] = field(default_factory=dict)  # its trucks by pool, then type
    escort_from: list[tuple[EscortTeams, int]] = field(default_factory=list)  # (escort pool, teams) it took

    # A convoy's make-up is fixed once it is formed, so these are counted once.
    @cached_property
    def truck_count(self) -> int:
        return sum(self.trucks.values())

    @cached_property
    def size(self) -> int:
        """Vehicles in the convoy: trucks and self-driving vehicles."""
        return self.truck_count + self.vehicles

    @cached_property
    def load_count(self) -> int:
        return sum(self.loads.values())

    @cached_property
    def kind(self) -> str:
        """``contracted`` (any contracted truck) or ``military``: which movement rules it follows."""
        return convoy_kind(self.trucks)

    @cached_property
    def carries_heavy(self) -> bool:
        """It has HETs or lowboys, the heavy items' carriers: the 'heavy first' dispatch rule lets it go first."""
        return bool(self.trucks.get("het") or self.trucks.get("lowboy"))
