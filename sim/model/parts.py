"""The parts of a base: each mechanism that can keep a convoy at the gate and reports its own results.

A base (:class:`~sim.model.evacuation.Evacuation`) is assembled from parts, in the manner
of desmod's components: the trucks, the loading teams, the pause, daylight, the departure
window, the roads, the day's departure slots, the escort, the air cover, the crossings,
the airlift, the cargo, the people and seats. Each part owns its state and changes it
only through its own methods, and answers three questions:

- :meth:`Part.hold`: does it keep a loaded convoy at the gate now, for what cause (a
  word of :data:`~sim.model.evacuation.WAIT_CAUSES`) and until when at least;
- :meth:`Part.departs`: what it gives the convoy that leaves (escort teams, Apache sorties, a slot);
- :meth:`Part.columns`: its own columns of the replication table (names as the results contract has them).

Its class attribute ``causes`` names the wait causes it stands for, each listed by one part only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, TypeVar

if TYPE_CHECKING:
    import simpy

    from sim.model.convoy import Convoy
    from sim.model.evacuation import Evacuation
    from sim.model.network import BaseSpec
    from sim.model.shared import Shared
    from sim.scenario.schema import Scenario

Column = float | int | bool | str
"""A value in one column of the replication table."""

Hold = tuple[str, float]
"""What keeps a convoy at the gate: its cause and the earliest hour it may change (``inf``: when something comes back)."""


class Part:
    """One mechanism of a base: by default it holds no convoy, gives a leaving convoy nothing and has no column.

    ``for_base(setup)`` builds it for one base from the shared context and the parts built before it.
    """

    causes: ClassVar[tuple[str, ...]] = ()

    theatre_columns: ClassVar[tuple[str, ...]] = ()
    """Columns of its own a theatre's table repeats per base (``base.<name>.<column>``), where the part reports them."""

    may_hold: bool = True
    """False for a part that can never hold a convoy in this replication (no pause drawn, no fuel limit): the gate skips it."""

    @property
    def carries_troops(self) -> bool:
        """Whether this part takes troops out itself (aircraft seats, the base's own trucks): then troops without a seat
        on the road wait for it, and the last element for them."""
        return False

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Part:
        """This part of the base ``setup`` describes."""
        raise NotImplementedError(f"{cls.__name__} does not say how a base builds it")

    def hold(self, convoy: Convoy, now: float) -> Hold | None:
        """What keeps ``convoy`` at the gate at ``now`` (cause, until), or ``None`` when this part lets it go."""
        return None

    def departs(self, convoy: Convoy, now: float) -> None:
        """``convoy`` leaves the base at ``now``: take what it uses of this part."""

    def columns(self, span: float) -> dict[str, Column]:
        """This part's columns of the replication table; ``span`` is the hours to base empty (for utilisation)."""
        return {}

    def begins(self, base: Evacuation) -> None:
        """``base`` starts to empty: start this part's own activities (a part that moves cargo or people itself)."""


P = TypeVar("P", bound=Part)


@dataclass
class BaseSetup:
    """What a part is built from: the theatre's shared context, the base's own groups, its wait ledger and
    the parts built before it (a part may use those listed before it)."""

    shared: Shared
    spec: BaseSpec
    waits: Waits
    built: list[Part] = field(default_factory=list)

    @property
    def env(self) -> simpy.Environment:
        return self.shared.env

    @property
    def scenario(self) -> Scenario:
        return self.shared.scenario

    def get(self, kind: type[P]) -> P:
        """The part of ``kind`` built before this one."""
        for part in self.built:
            if isinstance(part, kind):
                return part
        raise LookupError(f"{kind.__name__} is built after the part that needs it: list it earlier in PARTS")


def holds(parts: Iterable[Part]) -> tuple[Part, ...]:
    """The parts that may hold a convoy at the gate, in the order they are asked."""
    return tuple(p for p in parts if type(p).hold is not Part.hold and p.may_hold)


def departing(parts: Iterable[Part]) -> tuple[Part, ...]:
    """The parts a leaving convoy takes something from."""
    return tuple(p for p in parts if type(p).departs is not Part.departs)


@dataclass
class Waits(Part):
    """Convoy-hours of waiting, by cause: the base's ledger (``wait_hours.<cause>`` columns)."""

    causes_in_order: tuple[str, ...]
    hours: dict[str, float] = field(init=False)

    def __post_init__(self) -> None:
        self.hours = dict.fromkeys(self.causes_in_order, 0.0)

    def charge(self, cause: str, hours: float, convoy: Convoy | None = None) -> None:
        """Charge convoy-hours of waiting to a cause (and to the convoy's own ledger, if it is formed)."""
        if hours > 0:
            self.hours[cause] += hours
            if convoy is not None:
                convoy.waits[cause] = convoy.waits.get(cause, 0.0) + hours

    def columns(self, span: float) -> dict[str, Column]:
        return {f"wait_hours.{cause}": hours for cause, hours in self.hours.items()}


def share(busy: float, available: float) -> float:
    """A busy share of what was available, at most 1 (0 when nothing was available)."""
    return float(min(1.0, busy / available)) if available > 0 else 0.0


__all__ = ["BaseSetup", "Column", "Hold", "Part", "Waits", "departing", "holds", "share"]
