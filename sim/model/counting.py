"""A SimPy environment that counts the events it schedules: the ``events`` of a replication's record.

Every event SimPy runs goes through :meth:`simpy.Environment.schedule` (a process's start,
a timeout, a resource granted, the end of the run), so counting its calls gives the number
of events scheduled, the same number SimPy's own event ids reach, through its public API.
"""

from __future__ import annotations

import simpy
from simpy.core import NORMAL, EventPriority
from simpy.events import Event


class CountingEnvironment(simpy.Environment):
    """A :class:`simpy.Environment` whose ``scheduled`` says how many events it has scheduled so far."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.scheduled = 0

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        self.scheduled += 1
        super().schedule(event, priority, delay)
