"""Cargo at the base: classes in truckload equivalents, pack-out, and who may carry what.

Cargo is counted in whole truckload equivalents (loads) per class. Pack-out crews
bring cargo to staging at a steady rate; only staged cargo can be loaded on a
truck or an aircraft. Loads handed over or destroyed on site never move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sim.model.convoy import KINDS
from sim.model.fleet import Fleet
from sim.model.own_transport import OWN_KIND, OwnTransport
from sim.model.parts import BaseSetup, Column, Part
from sim.model.people import PeopleAndSeats

CARRIED_VEHICLES = "vehicles without crew"
"""The cargo class of self-driving vehicles the troops cannot crew: carried on lowboys or HETs."""


@dataclass
class CargoClass:
    """One class of equipment still at the base."""

    name: str
    carriers: frozenset[str]
    priority: int
    at_start: int
    handed_over: int
    remaining: int
    inflow: int = 0
    returned: int = 0  # loads that had gone by road and were brought back (a reversal)
    by_road: int = 0
    by_air: int = 0
    left_behind: int = 0  # destroyed or handed over at the base's deadline


@dataclass
class Inventory(Part):
    """What is left at the base, what is staged, and what has gone by road and air (``loads_*`` columns; a load brought
    back in a reversal and sent again counts twice in ``loads_by_road``, once in ``loads_returned``)."""

    classes: list[CargoClass]
    staged_at_start: float
    packout_loads_per_hour: float
    truck_kinds: frozenset[str] = frozenset({"civilian", "lowboy", "military", "het"})
    taken: int = 0
    inflow_total: int = 0
    returned_total: int = 0
    start_hour: float = 0.0  # when pack-out starts (a theatre base that starts later)
    sensitive: frozenset[str] = frozenset()  # classes a convoy carrying any of needs air cover, if the scenario says so
    _road: list[CargoClass] = field(init=False)
    _air: list[CargoClass] = field(init=False)
    _truck_order: dict[str, list[str]] = field(init=False)
    _road_for: dict[frozenset[str], list[CargoClass]] = field(init=False, default_factory=dict)
    _loading_for: dict[frozenset[str] | None, list[tuple[CargoClass, tuple[str, ...]]]] = field(init=False, default_factory=dict)
    to_move: int = field(init=False)
    changes: int = field(init=False, default=0)  # how many times the loads left (or their order) changed: see state()
    _left_by: dict[frozenset[str], int] = field(init=False, default_factory=dict)  # road loads left by truck types (until a change)

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Inventory:
        """A base's cargo by class (vehicles without crew as one more, on lowboys or HETs; a hub also has its
        feeders' classes, empty at the start); only truck types its pools (or its own transport) have may carry."""
        spec, net = setup.spec, setup.shared.network
        total = setup.get(Fleet).total
        carried = setup.get(PeopleAndSeats).vehicles_carried
        classes = []
        for name, c in spec.cargo.classes.items():
            loads = int(c.loads)
            handed = round(loads * c.handed_over_fraction)
            classes.append(CargoClass(name, frozenset(c.carriers), c.priority, loads, handed, loads - handed))
        if carried:
            # more vehicles than the troops can crew: the rest go on lowboys or HETs, as carried armour did in 2019 and 2026
            classes.append(CargoClass(CARRIED_VEHICLES, frozenset({"lowboy", "het"}), 1, carried, 0, carried))
        names = {c.name for c in classes}
        for feeder in (b for b in net.bases.values() if b.send_to == spec.name):
            extra = [(n, frozenset(c.carriers), c.priority) for n, c in feeder.cargo.classes.items()]
            extra.append((CARRIED_VEHICLES, frozenset({"lowboy", "het"}), 1))
            for name, carriers, priority in extra:
                if name not in names:
                    names.add(name)
                    classes.append(CargoClass(name, carriers, priority, 0, 0, 0))
        sensitive = {name for name, c in spec.cargo.classes.items() if c.is_sensitive}
        for feeder in (b for b in net.bases.values() if b.send_to == spec.name):
            sensitive |= {name for name, c in feeder.cargo.classes.items() if c.is_sensitive}
        return cls(
            classes,
            spec.cargo.staged_at_start * sum(c.remaining for c in classes),
            spec.cargo.packout_loads_per_day / 24.0,
            frozenset(k for k in KINDS if total[k] > 0 or (k == OWN_KIND and setup.get(OwnTransport).moves)),
            sensitive=frozenset(sensitive),
        )

    def columns(self, span: float) -> dict[str, Column]:
        return {
            "loads_at_start": sum(c.at_start for c in self.classes),
            "loads_inflow": self.inflow_total,
            "loads_returned": self.returned_total,
            "loads_by_road": sum(c.by_road for c in self.classes),
            "loads_by_air": sum(c.by_air for c in self.classes),
            "loads_handed_over": sum(c.handed_over for c in self.classes),
        }

    def __post_init__(self) -> None:
        self.to_move = self._count_to_move()
        self.arrange(lambda c: (c.priority, c.name))

    def arrange(self, order: Callable[[CargoClass], tuple[int | str, ...]]) -> None:
        """Fill convoys and aircraft in ``order`` (lowest first): by the classes' own priority, or a deadline's."""
        self.classes.sort(key=order)
        self._changed()
        self._road_for = {}
        self._loading_for = {}
        # Only truck types the fleet actually has: cargo that air alone can then take is
        # left to the airlift rather than waited for by the convoys.
        self._road = [c for c in self.classes if c.carriers & self.truck_kinds]
        self._air = [c for c in self.classes if "air" in c.carriers]
        # Spend the least versatile trucks first, so a military truck is not used on
        # general cargo that a contracted truck could take while sensitive cargo waits.
        versatility = {k: sum(k in c.carriers for c in self.classes) for k in self.truck_kinds}
        self._truck_order = {c.name: sorted(c.carriers & self.truck_kinds, key=lambda k: (versatility[k], k)) for c in self.classes}

    def state(self) -> int:
        """What a convoy's plan reads of the cargo besides the clock (loads left by class, in their order, taken, to
        move, staged at the start), as the count of its changes: an equal state plans the same convoys."""
        return self.changes

    def _changed(self) -> None:
        """Loads left, taken, to move or their order changed (only this class's methods change them)."""
        self.changes += 1
        self._left_by.clear()

    @property
    def remaining(self) -> int:
        """Loads still at the base, staged or not."""
        return sum(c.remaining for c in self.classes)

    def _count_to_move(self) -> int:
        """Loads that must leave, inflow and loads brought back included (what was not handed over, nor left behind at a deadline)."""
        return sum(c.at_start - c.handed_over + c.inflow + c.returned - c.left_behind for c in self.classes)

    def leave_behind(self, kept: frozenset[str]) -> dict[str, int]:
        """Every load still at the base of a class not in ``kept`` stays there for good (a deadline has passed);
        returns the loads left, by class."""
        left = {}
        for cls in self.classes:
            if cls.name in kept or cls.remaining == 0:
                continue
            left[cls.name] = cls.remaining
            cls.left_behind += cls.remaining
            cls.remaining = 0
        self.to_move = self._count_to_move()
        self._changed()
        return left

    def staged(self, t: float) -> int:
        """Loads packed and waiting in staging at hour ``t``."""
        packed = self.staged_at_start + self.packout_loads_per_hour * (t - self.start_hour)
        if packed > self.to_move:
            packed = self.to_move
        return max(0, int(packed) - self.taken)

    def hours_until_staged(self, t: float, loads: int) -> float:
        """Hours from ``t`` until at least ``loads`` are staged (0 if already)."""
        need = min(loads, self.remaining)
        if self.staged(t) >= need:
            return 0.0
        target = self.taken + need
        return max(0.0, (target - self.staged_at_start) / self.packout_loads_per_hour + self.start_hour - t) + 1e-9

    def road_remaining(self, kinds: frozenset[str] | None = None, of: frozenset[str] | None = None) -> int:
        """Loads still at the base that trucks may take (only trucks of ``kinds``, if given; only of the classes ``of``, if given)."""
        if kinds is None:
            return sum(c.remaining for c in self._road)
        if of is not None:
            return sum(c.remaining for c in self._road_classes(kinds) if c.name in of)
        left = self._left_by.get(kinds)
        if left is None:
            left = self._left_by[kinds] = sum(c.remaining for c in self._road_classes(kinds))
        return left

    def _road_classes(self, kinds: frozenset[str]) -> list[CargoClass]:
        """The road classes trucks of ``kinds`` may take, in priority order (worked out once)."""
        classes = self._road_for.get(kinds)
        if classes is None:
            classes = self._road_for[kinds] = [c for c in self._road if c.carriers & kinds]
        return classes

    def _loading_order(self, kinds: frozenset[str] | None) -> list[tuple[CargoClass, tuple[str, ...]]]:
        """The road classes trucks of ``kinds`` (all, if not given) may take, in priority order, each with those of
        its truck types in ``kinds`` in the order they are spent (worked out once)."""
        order = self._loading_for.get(kinds)
        if order is None:
            classes = self._road if kinds is None else self._road_classes(kinds)
            order = self._loading_for[kinds] = [(c, tuple(k for k in self._truck_order[c.name] if kinds is None or k in kinds)) for c in classes]
        return order

    def air_remaining(self) -> int:
        return sum(c.remaining for c in self._air)

    def plan_convoy(self, staged: int, trucks: dict[str, int], max_trucks: int, kinds: frozenset[str] | None = None) -> tuple[dict[str, int], dict[str, int]]:
        """Fill up to ``max_trucks`` of the trucks at hand with ``staged`` loads, highest priority first.

        Returns loads per class and trucks used per type (one load a truck); nothing is
        taken until :meth:`load_convoy`. Only trucks of ``kinds`` (all, if not given) join.
        """
        free = dict(trucks)
        budget = min(staged, max_trucks)
        loads: dict[str, int] = {}
        used: dict[str, int] = {}
        for cls, order in self._loading_order(kinds):
            if budget <= 0:
                break
            left = cls.remaining
            for kind in order:
                n = min(left, free.get(kind, 0), budget)
                if n <= 0:
                    continue
                budget -= n
                left -= n
                free[kind] -= n
                loads[cls.name] = loads.get(cls.name, 0) + n
                used[kind] = used.get(kind, 0) + n
        return loads, used

    def first_carrier_short(self, loads: dict[str, int], kinds: frozenset[str]) -> str | None:
        """The truck type a convoy waits for: the one first in line for the highest-priority class it could not load whole."""
        for cls in self._road_classes(kinds):
            if cls.remaining > loads.get(cls.name, 0):
                return next((k for k in self._truck_order[cls.name] if k in kinds), None)
        return None

    def load_convoy(self, loads: dict[str, int]) -> None:
        """Take the loads a convoy was planned to carry off the base, by road."""
        for cls in self._road:
            n = loads.get(cls.name, 0)
            cls.remaining -= n
            cls.by_road += n
        self.taken += sum(loads.values())
        self._changed()

    def take_for_air(self, t: float, capacity_loads: int, classes: frozenset[str] | None = None) -> int:
        """Load an aircraft with staged air-eligible cargo (only of ``classes``, if given: a helicopter's sling and
        internal loads, whatever their carriers); returns loads taken."""
        budget = min(capacity_loads, self.staged(t))
        total = 0
        for cls in self._air if classes is None else (c for c in self.classes if c.name in classes):
            n = min(cls.remaining, budget)
            if n <= 0:
                continue
            cls.remaining -= n
            cls.by_air += n
            budget -= n
            total += n
        self.taken += total
        self._changed()
        return total

    def start(self, t: float) -> None:
        """Pack-out starts at ``t`` (a theatre base that starts later)."""
        self.start_hour = t

    def receive(self, loads: dict[str, int]) -> None:
        """A feeder's convoy unloaded ``loads`` (by class) at this hub: they join staging and must leave again."""
        by_name = {c.name: c for c in self.classes}
        for name, n in loads.items():
            cls = by_name[name]
            cls.inflow += n
            cls.remaining += n
        total = sum(loads.values())
        self.inflow_total += total
        self.staged_at_start += total
        self.to_move = self._count_to_move()
        self._changed()

    def no_carrier_can_take(self, aircraft_fly: bool) -> str:
        """Why cargo left at the base can never go (no truck of its carriers in this replication, no aircraft flying), or ''."""
        for cls in self.classes:
            if cls.remaining and not ("air" in cls.carriers and aircraft_fly):
                return f"{cls.remaining} loads of {cls.name}: no truck of its carriers ({', '.join(sorted(cls.carriers))}) and no aircraft can take them"
        return ""

    def add_inflow(self, loads: int) -> None:
        """Reinforcements bring cargo in: it joins the road class that leaves last (general equipment) and must leave again."""
        target = self._road[-1] if self._road else self.classes[-1]
        target.inflow += loads
        target.remaining += loads
        self.inflow_total += loads
        self.to_move = self._count_to_move()
        self._changed()

    def bring_back(self, fraction: float) -> int:
        """A reversal: ``fraction`` of the loads each class has sent by road (rounded) come back to the base, to be
        packed and sent again; returns how many."""
        total = 0
        for cls in self._road:
            n = round(cls.by_road * fraction)
            cls.returned += n
            cls.remaining += n
            total += n
        self.returned_total += total
        self.to_move = self._count_to_move()
        self._changed()
        return total
