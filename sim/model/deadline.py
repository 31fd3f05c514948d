"""A date set from above: what a base has not sent by its deadline is left behind, destroyed or handed over.

A base with a ``deadline`` group (``[deadline]``; for a theatre ``[deadline]`` for every base, or
``[sites.<base>.deadline]``) fills its convoys in the deadline's order: sensitive loads first (they are
never left), then the classes and the vehicles in ``deadline.priority`` (by default the vehicles before
every cargo class), then the classes it does not name by their own priority. At ``deadline.day`` days
from hour 0 whatever is still at the base and not yet on a convoy or an aircraft stays there for good:
the loads of every class but the sensitive ones, the vehicles carried as loads, and the self-driving
vehicles the troops still to leave do not need as seats. Each is destroyed or handed over as the file
says. The sensitive loads, the troops and the vehicles they ride in still leave, after the date if need
be; the base closes when the last of them has gone. A base that empties before its deadline leaves nothing.

The cut comes when the last departure window before the date opens (:func:`cut_off_hour`: 05:00 on day 19
for a deadline of day 20 and a 05:00-12:00 window), so that what is loaded and the last element may still
leave before the date; with convoys free to leave at any hour, it comes at the date itself.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.model.calendar import NEVER, Closures
from sim.model.cargo import CARRIED_VEHICLES, Inventory
from sim.model.gate import DepartureWindow
from sim.model.parts import BaseSetup, Column, Part
from sim.model.people import PeopleAndSeats
from sim.scenario.schema import VEHICLES_IN_PRIORITY
from sim.scenario.schema import Deadline as DeadlineGroup

if TYPE_CHECKING:
    import simpy

    from sim.model.evacuation import Evacuation

LAST_ELEMENT_KIND = "military"
"""The kind of convoy the last element is (the security force in its own vehicles): its departure window sets the cut."""

FATE_COLUMNS = {"destroyed": "destroyed", "handed over": "handed_over"}
"""A fate as the column names write it."""


class Deadline(Part):
    """A base's deadline: the order its convoys are filled in, and what it left behind (``left_behind.*`` columns)."""

    def __init__(
        self, group: DeadlineGroup | None, inventory: Inventory, people: PeopleAndSeats, classes: tuple[str, ...] = (), window: Closures = NEVER
    ) -> None:
        self.group = group
        self.hour = 24.0 * float(group.day) if group is not None else math.inf
        """The deadline, in hours from hour 0 (``inf``: none)."""
        self.cut_hour = cut_off_hour(self.hour, window) if group is not None else math.inf
        """When what has not gone is left: the last departure ``window`` of the last element before the date opens."""
        self.inventory = inventory
        self.people = people
        self.classes = classes  # the base's own cargo classes, for one column each
        self.passed = False
        self.loads_left: dict[str, int] = {}
        """Loads left behind at the deadline, by class (vehicles carried as loads under ``vehicles without crew``)."""
        self.ahead_of_vehicles: frozenset[str] = frozenset()
        """Classes whose loads leave before the vehicles in the deadline's order."""
        if group is not None:
            inventory.arrange(lambda c: (self.rank(c.name), c.priority, c.name))
            vehicles = self.rank(VEHICLES_IN_PRIORITY)
            self.ahead_of_vehicles = frozenset(c.name for c in inventory.classes if self.rank(c.name) < vehicles)

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Deadline:
        window = setup.get(DepartureWindow).by_kind[LAST_ELEMENT_KIND]
        return cls(setup.spec.groups.deadline, setup.get(Inventory), setup.get(PeopleAndSeats), tuple(setup.spec.cargo.classes), window)

    @property
    def given(self) -> bool:
        return self.group is not None

    def rank(self, name: str) -> int:
        """Where class ``name`` (or the vehicles) leaves in the deadline's order: sensitive first, then as listed, then the rest."""
        if name in self.inventory.sensitive:
            return -1
        order = self.group.priority if self.group is not None else []
        key = VEHICLES_IN_PRIORITY if name == CARRIED_VEHICLES else name
        return order.index(key) if key in order else len(order)

    def loads_ahead_of_vehicles(self, kinds: frozenset[str]) -> int:
        """Loads trucks of ``kinds`` may take that leave before the vehicles (every road load when there is no deadline)."""
        if self.group is None:
            return self.inventory.road_remaining(kinds)
        return self.inventory.road_remaining(kinds, self.ahead_of_vehicles)

    def leave_behind(self) -> tuple[int, int]:
        """The deadline has passed: what is still at the base and may be left stays for good (again, for what comes in
        after it); returns the loads (vehicles carried as loads among them) and the self-driving vehicles left now."""
        self.passed = True
        left = self.inventory.leave_behind(self.inventory.sensitive)
        for name, n in left.items():
            self.loads_left[name] = self.loads_left.get(name, 0) + n
        return sum(left.values()), self.people.leave_vehicles_behind()

    def fate(self, name: str) -> str:
        assert self.group is not None, "only a base with a deadline leaves anything behind"
        return self.group.fate_of(VEHICLES_IN_PRIORITY if name == CARRIED_VEHICLES else name)

    def columns(self, span: float) -> dict[str, Column]:
        """Loads and vehicles left behind, by fate and by class; the deadline day and how many days after it the base
        emptied (``span``: hours to base empty). None for a base without a deadline."""
        if self.group is None:
            return {}
        carried = self.loads_left.get(CARRIED_VEHICLES, 0)
        vehicles = self.people.vehicles_left_behind + carried
        loads = {name: n for name, n in self.loads_left.items() if name != CARRIED_VEHICLES}
        out: dict[str, Column] = {}
        for fate, word in FATE_COLUMNS.items():
            out[f"left_behind.loads_{word}"] = sum(n for name, n in loads.items() if self.fate(name) == fate)
            out[f"left_behind.vehicles_{word}"] = vehicles if self.fate(VEHICLES_IN_PRIORITY) == fate else 0
        out["left_behind.vehicles_carried"] = carried  # of the vehicles above, those that were to go as loads
        total = sum(loads.values()) + vehicles
        out["left_behind.total"] = total
        out["left_behind.any"] = total > 0
        for name in self.classes:
            out[f"left_behind.class.{name}"] = loads.get(name, 0)
        out[f"left_behind.class.{VEHICLES_IN_PRIORITY}"] = vehicles
        out["left_behind.deadline_day"] = self.hour / 24.0
        out["left_behind.days_after_deadline"] = max(0.0, span - self.hour) / 24.0
        return out


def cut_off_hour(deadline_hour: float, window: Closures) -> float:
    """When what has not gone is left, for a base that must be out at ``deadline_hour`` (hours from hour 0) and whose
    convoys may leave only when ``window`` (the closed hours of its departure window) is open: the opening of the last
    window that opens before the date, so that the last element may leave in it; the date itself if convoys may leave at
    any hour, or if no window opens before the date."""
    opened_before = bisect_left(window.ends, deadline_hour)  # windows open where a closed spell ends
    return window.ends[opened_before - 1] if opened_before > 0 else deadline_hour


def close_at_deadline(base: Evacuation) -> Generator[simpy.Event, Any, None]:
    """When the last departure window before the base's deadline opens, whatever may be left and has not gone stays
    (unless the base is already empty)."""
    yield base.env.timeout(base.deadline.cut_hour)
    if base.base_empty_at is None:
        leave_behind(base)


def leave_behind(base: Evacuation) -> None:
    """Leave behind what may be left; convoy forming, the strip and the last element look again."""
    loads, vehicles = base.deadline.leave_behind()
    if not loads and not vehicles:
        return
    base.cargo_at_base -= loads
    base._log(base.env.now)
    base.fleet.give_back({})  # no truck comes back: convoys waiting to form for trucks or cargo look again
    base._wake_air()
    base._check_cargo_departed()


__all__ = ["Deadline", "close_at_deadline", "leave_behind"]
