"""Loading teams putting staged cargo on a convoy's trucks, and unloading at the destination."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

from sim.model.parts import BaseSetup, Column, Part, share

if TYPE_CHECKING:
    import simpy

    from sim.model.convoy import Convoy
    from sim.model.evacuation import Evacuation


def loading_hours(trucks: int, teams: int, hours_per_truck: float) -> float:
    """Hours for ``teams`` working side by side to load ``trucks`` (one load each)."""
    if trucks == 0:
        return 0.0
    return math.ceil(trucks / max(1, teams)) * hours_per_truck


class Loading(Part):
    """A base's loading teams: they load a convoy's trucks side by side (hours charged to "loading"), and
    unload convoys that bring cargo to a hub. ``utilisation.loading teams``: hours loading over the hours to base empty."""

    causes = ("loading",)

    def __init__(self, teams: int, hours_per_truck: float) -> None:
        self.teams = teams
        self.hours_per_truck = hours_per_truck
        self.hours_busy = 0.0

    @classmethod
    def for_base(cls, setup: BaseSetup) -> Loading:
        return cls(int(setup.spec.loading.teams), setup.spec.loading.hours_per_truck)

    def hours_for(self, trucks: int) -> float:
        """Hours to load ``trucks`` (one load each)."""
        return loading_hours(trucks, self.teams, self.hours_per_truck)

    def worked(self, hours: float) -> None:
        self.hours_busy += hours

    def columns(self, span: float) -> dict[str, Column]:
        return {"utilisation.loading teams": share(self.hours_busy, span)}


def load_and_queue(evac: Evacuation, convoy: Convoy, trucks: int) -> Generator[simpy.Event, Any, None]:
    """The base's loading teams load ``trucks`` of a formed ``convoy`` (hours charged to "loading" and to the
    convoy's work), then it joins the departure queue: the same steps for the pools' convoys and the base's own."""
    hours = evac.loading.hours_for(trucks)
    if hours:
        yield evac.env.timeout(hours)
    evac.loading.worked(hours)
    evac.wait("loading", hours)
    convoy.work_hours += hours
    evac.queue_convoy(convoy)
