"""Bases of a theatre waiting for trucks to come to rest at any base of their pools: who is woken, and in what order.

A base whose convoy is short of trucks waits until trucks come to rest (a convoy's trucks come back, a truck leaves
the workshop, empty trucks arrive) at itself or at any base sharing one of its pools: those it counted on may have
stopped elsewhere, or idle ones there may now be free to call over. That is :class:`simpy.AnyOf` over every such
base's return event, and it wakes the waiting bases in the order they began to wait, each return interleaved with
whatever else waits on that base's return (its own convoys forming, its own trucks loading) in the order they
subscribed.

SimPy's condition would put a check on the return event of every base watched, each time a base begins to wait: with
every base of a theatre-wide pool waiting on every other's return, a wait costs as many subscriptions as there are
bases, and a base waits again each time it is woken. :class:`RestBoard` keeps instead one list of the waits, in the
order they began; a base's return wakes the waits begun since its previous return that watch it, and only where
something else subscribes to that return in between does the board mark the place (:class:`_Cut`), so that the
order of the callbacks, the moment each wait fires and the events scheduled are the very ones ``AnyOf`` gives
(``tests/test_theatre_pools_index.py`` runs random scripts through both). A wait costs one entry, not one per base.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Set

import simpy
from simpy.events import Condition, EventCallbacks


class TrucksAtRest(Condition):
    """Fires the first time trucks come to rest at one of the bases a waiting base watches (its :class:`RestBoard`
    entry); may be combined with a timer (``rest | timeout``) like any SimPy condition.

    ``look_again``, when the base's process waits on it alone, is the base's look made at the moment it would wake
    (:meth:`sim.model.trucks_wait.TrucksWait.look_again`): where that look changes nothing but the base's wait, it
    returns the new wait, and the process sleeps on there without being resumed (its waiting is handed over); where
    it would change something, it returns ``None`` and the process wakes as it always did, at the same point."""

    look_again: Callable[[], TrucksAtRest | None] | None = None

    def __init__(self, env: simpy.Environment, board: RestBoard, number: int) -> None:
        simpy.Event.__init__(self, env)
        self._sleepers: EventCallbacks = []  # what waited on it, while its base looks again
        self._evaluate = Condition.any_events
        self._events = ()  # nothing to report in a value: those waiting on it only look again
        self._count = 0
        self._board = board
        self._number = number

    def wake(self) -> None:
        """Trucks came to rest where this wait watches: it fires (once)."""
        if not self.triggered:
            self._board.forget(self._number)
            if self.look_again is not None and self.callbacks and self._board.looks_in_place:  # its base's process waits on it
                self._sleepers, self.callbacks = self.callbacks, [self._look]
            self.succeed()

    def _look(self, _event: simpy.Event) -> None:
        """This wait's turn to wake its base, at the very point its process would resume: the base looks again; if
        that changes nothing but its wait, the process sleeps on the new one (SimPy's ``Process._resume``, as the
        only thing waiting on this event, moves over, with the process's target); otherwise it resumes now."""
        assert self.look_again is not None, "only a wait with a look to make is looked at"
        sleepers = self._sleepers
        again = self.look_again()
        if again is None:
            for callback in sleepers:
                callback(self)
            return
        assert again.callbacks is not None, "a new wait has not fired"
        again.callbacks.extend(sleepers)
        for callback in sleepers:
            process = getattr(callback, "__self__", None)
            if isinstance(process, simpy.Process):
                process._target = again  # what the process waits on now (SimPy reads it to interrupt it)

    def _remove_check_callbacks(self) -> None:
        """The condition it is part of fired (its timer ran out): it is spent, and no return wakes it."""
        self._board.forget(self._number)


class _Cut:
    """A place on one base's return event: the waits begun between ``first`` and ``end`` (numbers) that watch it are
    woken here, before the callbacks subscribed after them."""

    __slots__ = ("base", "board", "end", "first")

    def __init__(self, board: RestBoard, base: str, first: int, end: int) -> None:
        self.board, self.base, self.first, self.end = board, base, first, end

    def __call__(self, _event: simpy.Event) -> None:
        self.board.wake(self.base, self.first, self.end)


class RestBoard:
    """The waits for trucks to come to rest of one replication, in the order they began.

    ``watches`` names, for each base that may wait, the bases whose returns it watches (itself and every base sharing
    one of its pools). The fleets of the watched bases tell the board before anything subscribes to their return event
    (:meth:`before_subscribing`) and before it fires (:meth:`before_firing`).
    """

    looks_in_place = True
    """Whether a woken base looks again where it would wake (:attr:`TrucksAtRest.look_again`) before its process is
    resumed; ``False`` resumes it every time, as before (the tests compare the two)."""

    def __init__(self, watches: Mapping[str, Set[str]]) -> None:
        self._watches = {base: frozenset(watched) for base, watched in watches.items()}
        watched_bases = {b for watched in self._watches.values() for b in watched}
        self._watchers = {b: tuple(w for w, watched in self._watches.items() if b in watched) for b in watched_bases}
        self._next = 0  # the number of the next wait
        self._waiting: dict[int, tuple[TrucksAtRest, frozenset[str]]] = {}  # waits not yet fired nor spent, by number
        self._last = dict.fromkeys(self._watches, -1)  # each base's latest wait (fired, spent or not)
        self._since = dict.fromkeys(watched_bases, 0)  # each watched base: the first wait not yet placed on its return

    def wait(self, env: simpy.Environment, base: str) -> TrucksAtRest:
        """``base`` begins to wait for trucks to come to rest at a base it watches."""
        number = self._next
        self._next += 1
        rest = TrucksAtRest(env, self, number)
        self._waiting[number] = (rest, self._watches[base])
        self._last[base] = number
        return rest

    def forget(self, number: int) -> None:
        """The wait ``number`` fired or is spent."""
        self._waiting.pop(number, None)

    def watched(self, base: str) -> bool:
        """Whether a wait begun since ``base``'s trucks last came to rest (fired, spent or not) watches ``base``: what
        SimPy would see as a callback on its return event."""
        since = self._since.get(base)
        if since is None:
            return False
        last = self._last
        return any(last[w] >= since for w in self._watchers[base])

    def before_subscribing(self, base: str, returned: simpy.Event) -> None:
        """Something else is about to wait on ``base``'s return event: the waits begun before it go first."""
        if base not in self._since:
            return
        if self.watched(base):
            callbacks = returned.callbacks
            assert callbacks is not None, "a base's return event is replaced as it fires"
            callbacks.append(_Cut(self, base, self._since[base], self._next))
        self._since[base] = self._next

    before_firing = before_subscribing
    """``base``'s return event is about to fire: the waits begun since the last place marked on it are woken last."""

    def wake(self, base: str, first: int, end: int) -> None:
        """Trucks came to rest at ``base``: wake, in the order they began, the waits numbered ``first`` to ``end``
        (excluded) that watch it and have neither fired nor been spent."""
        woken = [rest for number, (rest, watched) in self._waiting.items() if first <= number < end and base in watched]
        for rest in woken:
            rest.wake()


__all__ = ["RestBoard", "TrucksAtRest"]
