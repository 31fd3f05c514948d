"""Events the model schedules only where they change something: SimPy's own steps, without the events that
would run for nobody (each stands in for a SimPy construct at the same points of the run, so the model's
state changes in the same order; only the ``events`` count of a replication falls)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, cast

import simpy
from simpy.core import URGENT
from simpy.events import Condition, Event
from simpy.resources.container import ContainerGet, ContainerPut
from simpy.resources.resource import Release, Request


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


class StartedNow(simpy.Process):
    """A process whose first step runs now, in the caller's step, rather than at SimPy's start event: for a caller
    that knows that event would be the next the run takes (nothing else is due at this hour and nothing follows in
    its own step), so that the process changes the model's state at the same point of the run, one event fewer.
    From its first ``yield`` on it is an ordinary process (it may be interrupted, and it fires when it ends)."""

    def __init__(self, env: simpy.Environment, generator: Generator[Event, Any, Any]) -> None:
        self.env = env
        self.callbacks = []
        self._generator = generator
        go = Event(env)
        go._ok, go._value = True, None  # what the start event would carry
        self._target = go
        self._resume(go)


class Places(simpy.Resource):
    """Places taken one at a time (a crossing's lanes, a strip's places on the ground): a :class:`simpy.Resource`
    whose place given back while nobody waits for one is free at once, without the release event SimPy would run
    to hand it to a waiter there is none of (one who asks later, at the same hour or after, finds it free as before).
    """

    if TYPE_CHECKING:

        def request(self) -> Request: ...

    else:
        request = simpy.Resource.__dict__["request"]  # bound to each instance as SimPy binds its own

    def release(self, request: Request) -> Release | None:  # type: ignore[override]
        """Give back the place ``request`` holds (or stop waiting for one): SimPy's release, with its event, when
        someone waits for a place; otherwise the place is free now and there is no event (``None``)."""
        if self.put_queue:
            return Release(self, request)
        if request in self.users:
            self.users.remove(request)
        return None

    def request_at_once(self) -> Request:
        """A request for a place, granted at once without an event when a place is free, nobody queues for one and
        nothing else is due at this hour: the event SimPy would schedule is the next the run would take, and it
        would only resume the one process that asks. That process must be running on an event that wakes it alone
        (its own timeout), so that it goes on now exactly as it would when that next event came. Otherwise (or when
        no place is free) it is SimPy's request."""
        env = self._env
        if len(self.users) >= self.capacity or self.put_queue or env.peek() <= env.now:
            return self.request()
        request = Request.__new__(Request)
        Event.__init__(request, env)
        request.resource = self
        request.proc = env.active_process
        request.usage_since = env.now
        request._ok, request._value = True, None  # granted ...
        request.callbacks = None  # type: ignore[assignment]  # ... and as if already processed (SimPy's mark)
        self.users.append(request)
        return request


class Stock(simpy.Container):
    """A stock of things taken and given back by number (the aircraft on a strip's shuttle): a
    :class:`simpy.Container` whose things given back while nobody waits for one are in stock at once, without the
    event SimPy would run to hand them to a waiter there is none of; and which a process running on an event that
    wakes it alone may take from at once (:meth:`get_at_once`), as :meth:`Places.request_at_once` takes a place."""

    if TYPE_CHECKING:

        def get(self, amount: float) -> ContainerGet: ...  # type: ignore[override]

    else:
        get = simpy.Container.__dict__["get"]  # bound to each instance as SimPy binds its own

    def put(self, amount: float) -> ContainerPut | None:  # type: ignore[override]
        """Give back ``amount``: SimPy's put, with its event, when someone waits to take or to give back, or the stock
        is full; otherwise it is in stock now and there is no event (``None``)."""
        if self.get_queue or self.put_queue or self._capacity - self._level < amount:
            return ContainerPut(self, amount)
        self._level += amount
        return None

    def get_at_once(self, amount: float) -> ContainerGet:
        """Take ``amount``, at once and without an event when it is in stock, nobody waits and nothing else is due at
        this hour (see :meth:`Places.request_at_once` for when the caller may ask so); otherwise SimPy's get."""
        env = self._env
        if self._level < amount or self.get_queue or env.peek() <= env.now:
            return self.get(amount)
        taken = ContainerGet.__new__(ContainerGet)
        Event.__init__(taken, env)
        taken.amount = amount
        taken.resource = self
        taken.proc = env.active_process
        self._level -= amount
        taken._ok, taken._value = True, None  # taken ...
        taken.callbacks = None  # type: ignore[assignment]  # ... and as if already processed (SimPy's mark)
        return taken


class FirstOf(Event):
    """Fires when the first of ``events`` has happened: what ``a | b`` (:class:`simpy.AnyOf`) does, at the same
    point of the run and with the same callbacks on the events, without building the value (which events had
    happened) that nobody who waits on it reads; its value is ``None``.

    ``timer``, one of ``events``, is a timeout made for this wait alone (nothing else waits on it). When it is the
    first to fire and nothing else is due at this hour, the wait is over at once: its own event would be the next
    the run takes, so those waiting on it go on now (the same steps in the same order, one event fewer)."""

    def __init__(self, env: simpy.Environment, *events: Event, timer: Event | None = None) -> None:
        super().__init__(env)
        self._events = events
        self._timer = timer
        for event in events:
            if event.callbacks is None:  # already happened: it fires now, as SimPy's check would
                self._check(event)
            else:
                event.callbacks.append(self._check)
        self.callbacks.append(self._unsubscribe)

    def _check(self, event: Event) -> None:
        if not self.triggered:
            if not event.ok:
                event.defused = True
                self.fail(cast(Exception, event.value))
            elif event is self._timer and self.env.peek() > self.env.now:
                self._ok, self._value = True, None  # over now: run what waits on it, as SimPy would next
                callbacks, self.callbacks = self.callbacks, None  # type: ignore[assignment]
                for callback in callbacks:
                    callback(self)
            else:
                self.succeed()

    def _unsubscribe(self, _event: Event) -> None:
        """As SimPy's condition does once it has fired: its checks come off the events that have not happened (and
        off those of a condition among them)."""
        for event in self._events:
            if event.callbacks and self._check in event.callbacks:
                event.callbacks.remove(self._check)
            if isinstance(event, Condition):
                event._remove_check_callbacks()
