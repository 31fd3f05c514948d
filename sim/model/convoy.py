"""A convoy: trucks by type, the loads they carry, the vehicles and people riding along, and its record.

Truck types and the two kinds of convoy (contracted, military) are defined here, where every
mechanism that meets a convoy can read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    shuttle: bool = False  # the base's own vehicles, back from the destination to carry troops without a seat: they return
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
    own_trucks: int = 0  # the base's own organic trucks in it (sim.model.own_transport), not of any pool

    # A convoy's make-up is fixed once it is formed, so these are counted once.
    truck_count: int = field(init=False)
    size: int = field(init=False)  # vehicles in the convoy: trucks and self-driving vehicles
    load_count: int = field(init=False)
    kind: str = field(init=False)  # contracted (any contracted truck) or military: which movement rules it follows
    carries_heavy: bool = field(init=False)  # HETs or lowboys, the heavy items' carriers: 'heavy first' lets it go first

    def __post_init__(self) -> None:
        self.truck_count = sum(self.trucks.values())
        self.size = self.truck_count + self.vehicles + self.own_trucks
        self.load_count = sum(self.loads.values())
        self.kind = convoy_kind(self.trucks)
        self.carries_heavy = bool(self.trucks.get("het") or self.trucks.get("lowboy"))
