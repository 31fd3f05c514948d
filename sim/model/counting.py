"""A SimPy environment that counts the events it schedules: the ``events`` of a replication's record.

Every event SimPy runs goes through :meth:`simpy.Environment.schedule` (a process's start,
a timeout, a resource granted, the end of the run), so counting its calls gives the number
of events scheduled, the same number SimPy's own event ids reach, through its public API.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy
from simpy.core import NORMAL, URGENT, EventPriority
from simpy.events import Event


class CountingEnvironment(simpy.Environment):
    """A :class:`simpy.Environment` whose ``scheduled`` says how many events it has scheduled so far."""

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.scheduled = 0

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        self.scheduled += 1
        super().schedule(event, priority, delay)


class StartsNow(Event):
    """Runs ``step`` where a process started now would take its first step: at this hour, ahead of the events of
    normal priority already due at it, in the order processes are started (SimPy's ``Initialize``, which it copies).

    An activity that is a chain of callbacks rather than a generator starts with it, so that it changes the model's
    state at the same point of the run as the process it replaces, without the process's own end event."""

    def __init__(self, env: simpy.Environment, step: Callable[[Event], None]) -> None:
        self.env = env
        self.callbacks = [step]
        self._value = None
        self._ok = True
        env.schedule(self, URGENT)
