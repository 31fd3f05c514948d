"""What one replication produced: a base's closure dates, its parts' columns, its burn-down; and a theatre's."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.model.parts import Column


@dataclass
class Outcome:
    """What one replication of an evacuation produced.

    ``columns`` are the base's columns of the replication table as its parts reported them
    (closure, what moved how, hours waited by cause, utilisation): ``outcome.convoys`` reads
    ``outcome.columns["convoys"]``. Hour 0 is 2026-02-23 00:00 local.
    """

    hours_to_base_empty: float
    hours_to_force_closure: float
    columns: dict[str, Column]
    burndown_cargo: np.ndarray
    burndown_people: np.ndarray
    inflow_hour: float | None = None
    timeline: list[dict[str, Any]] = field(default_factory=list)
    theatre: TheatreOutcome | None = None  # for a theatre scenario: every base's outcome, legs, pools, the last out

    def __getattr__(self, name: str) -> Column:
        columns: dict[str, Column] | None = self.__dict__.get("columns")
        if columns is None or name not in columns:
            raise AttributeError(f"an outcome has no column or field {name!r}")
        return columns[name]

    @property
    def finished(self) -> bool:
        return bool(self.columns["finished"])

    @property
    def days_to_base_empty(self) -> float:
        return self.hours_to_base_empty / 24.0

    @property
    def days_to_force_closure(self) -> float:
        return self.hours_to_force_closure / 24.0

    def _prefixed(self, prefix: str) -> dict[str, float]:
        n = len(prefix)
        return {name[n:]: float(value) for name, value in self.columns.items() if name.startswith(prefix)}

    @property
    def waits(self) -> dict[str, float]:
        """Convoy-hours waited, by cause."""
        return {cause: hours for cause, hours in self._prefixed("wait_hours.").items() if not cause.startswith("trucks (")}

    @property
    def truck_waits(self) -> dict[str, float]:
        """Convoy-hours waited for trucks, by the type the convoy was short of."""
        return {cause[8:-1]: hours for cause, hours in self._prefixed("wait_hours.").items() if cause.startswith("trucks (")}

    @property
    def sortie_waits(self) -> dict[str, float]:
        """Sortie-hours waited, by cause."""
        return self._prefixed("sortie_wait_hours.")

    @property
    def utilisation(self) -> dict[str, float]:
        """Busy share of each resource over the hours to base empty."""
        return self._prefixed("utilisation.")


@dataclass
class TheatreOutcome:
    """What a theatre replication produced beyond each base's own outcome."""

    bases: dict[str, Outcome]
    leaves: dict[str, bool]
    hours_to_last_out: float
    leg_convoys: dict[str, int]
    leg_wait_hours: dict[str, float]
    pool_utilisation: dict[str, float]
    finished: bool
    main: str  # the main base: the first listed
    same_place: dict[str, str] = field(default_factory=dict)  # each site that may be another base under its name: that base if drawn so, else ''
    apache_sorties: int = 0  # flown over the convoys of every base, by every detachment
    convoys_uncovered: int = 0  # convoys of every base that left short of Apache cover
    air_cover_hours_short: float = 0.0  # hours those convoys moved on the Syrian leg without an Apache overhead

    @property
    def days_to_last_out(self) -> float:
        return self.hours_to_last_out / 24.0


def at_each_midnight(log_t: list[float], values: list[int], horizon_hours: float) -> np.ndarray:
    """A logged count (loads or people at the base, changing at the hours ``log_t``) as it stood at hour 0, 24, 48, ...
    up to the horizon: the day-by-day burn-down."""
    edges = np.arange(math.ceil(horizon_hours / 24.0) + 1, dtype=float) * 24.0
    idx = np.searchsorted(np.asarray(log_t), edges, side="right") - 1
    return np.asarray(values, dtype=np.int32)[idx]


__all__ = ["Outcome", "TheatreOutcome", "at_each_midnight"]
