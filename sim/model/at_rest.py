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

**The rule (issue 24).** Waking every waiting base at every return in its pools made a base of a 50-base theatre look
again 78 times a convoy, for nothing. A base waiting for trucks now looks again when, and only when, something happens
that can change what it may get (:class:`WakeRule` says which, the theatre answers):

- trucks come to rest at the base itself (its convoys' trucks back, a truck out of the workshop, trucks called over);
- trucks of a type it is short of become available to it: they stand idle at a base of its pool that does not keep
  them, whether they just came to rest there or that base just stopped keeping them (it loaded the last cargo they
  could take, that cargo left on a sortie, a helicopter or the base's own trucks, the base can never empty, or its
  state changed as its trucks came to rest). The base short of them that has waited longest calls them: waited
  since its convoy began to wait for trucks or it last called trucks over, not since its latest look;
- the trucks that may still come to it (:func:`sim.model.trucks_wait.trucks_that_may_come`) fall to none, so that it
  may leave with what it has: trucks it cannot use came to rest at another base, or trucks came to rest at, or stood
  at, a base that began to wait for trucks itself.

A base's own staged cargo leaving on a sortie, a helicopter or its own trucks wakes the base itself too (what it
waited for trucks for may be gone); a base whose other convoy group waits for cargo to be packed wakes when it is
staged (:class:`sim.model.trucks_wait.TrucksWait`).

Bases woken by a return are woken in the order they began to wait, at the places the board marks on that return (as
before); bases woken by a base that stopped keeping its trucks or began to wait are woken at once, in the same order.
Deciding whom to wake costs what is woken: the board keeps, for each pool and truck type, the waits short of that type
(in the order they began), and for each wait how many trucks must come to rest anywhere before the trucks that may
come to it can have fallen to none (it looks only then, and again later if some still may come).
:attr:`RestBoard.every_return` restores the former rule (every return wakes every wait that watches it).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Mapping, Set
from typing import Protocol

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


class WakeRule(Protocol):
    """What the theatre tells the board about its bases, so that a return wakes only the bases it concerns."""

    def short_of(self, base: str) -> Iterable[tuple[str, str]]:
        """(pool, truck type) of each type ``base`` is short of (it has cargo they can take, feeders still to send,
        or troops for their cab seats), in each of its pools."""
        ...

    def loose_at(self, base: str) -> Iterable[tuple[str, str]]:
        """(pool, truck type) of the trucks idle at ``base`` that it does not keep: another base may call them over."""
        ...


class _Cut:
    """A place on one base's return event: the waits begun between ``first`` and ``end`` (numbers) that watch it are
    woken here, before the callbacks subscribed after them (under the rule, only those of them chosen as the return
    came: ``woken``)."""

    __slots__ = ("base", "board", "end", "first", "woken")

    def __init__(self, board: RestBoard, base: str, first: int, end: int) -> None:
        self.board, self.base, self.first, self.end = board, base, first, end
        self.woken: Set[int] | None = None

    def __call__(self, _event: simpy.Event) -> None:
        if self.woken is None:
            self.board.wake(self.base, self.first, self.end)
        else:
            self.board.wake_chosen(self.woken, self.first, self.end)


class RestBoard:
    """The waits for trucks to come to rest of one replication, in the order they began.

    ``watches`` names, for each base that may wait, the bases whose returns it watches (itself and every base sharing
    one of its pools). The fleets of the watched bases tell the board before anything subscribes to their return event
    (:meth:`before_subscribing`) and before it fires (:meth:`before_firing`). With a ``rule`` (the theatre) and each
    base's ``pools``, a return wakes only the waits the rule names (see the module); without, every wait watching it.
    """

    looks_in_place = True
    """Whether a woken base looks again where it would wake (:attr:`TrucksAtRest.look_again`) before its process is
    resumed; ``False`` resumes it every time, as before (the tests compare the two)."""

    every_return = False
    """Whether the theatre's board wakes every waiting base at every return in its pools, the rule before issue 24
    (tests and benches compare the two); ``False`` wakes only those the rule names."""

    def __init__(self, watches: Mapping[str, Set[str]], rule: WakeRule | None = None, pools: Mapping[str, Iterable[str]] | None = None) -> None:
        self._watches = {base: frozenset(watched) for base, watched in watches.items()}
        watched_bases = {b for watched in self._watches.values() for b in watched}
        self._watchers = {b: tuple(w for w, watched in self._watches.items() if b in watched) for b in watched_bases}
        self._next = 0  # the number of the next wait
        self._waiting: dict[int, tuple[TrucksAtRest, frozenset[str]]] = {}  # waits not yet fired nor spent, by number
        self._last = dict.fromkeys(self._watches, -1)  # each base's latest wait (fired, spent or not)
        self._since = dict.fromkeys(watched_bases, 0)  # each watched base: the first wait not yet placed on its return
        self._rule = rule
        self._pools = {base: tuple(p) for base, p in (pools or {}).items()}
        self._short: dict[tuple[str, str], dict[int, None]] = {}  # (pool, type): the live waits short of it, in order
        self._keys: dict[int, tuple[str, tuple[tuple[str, str], ...]]] = {}  # each live wait: its base and its (pool, type)s
        self._own: dict[str, dict[int, None]] = {}  # each base: its live waits
        self._live = dict.fromkeys((p for ps in self._pools.values() for p in ps), 0)  # each pool: live waits of its bases
        self._cuts: dict[str, list[_Cut]] = {}  # each watched base: the places marked on its return event under way
        self._margins: dict[int, Callable[[], int]] = {}  # each live wait: how many trucks may still come to it, asked
        self._checks: list[tuple[int, int]] = []  # (trucks come to rest by which it must be asked again, wait), a heap
        self._came = 0  # trucks come to rest (or found standing at a base that began to wait) since the run began
        self._calling: dict[tuple[str, str, str], TrucksAtRest] = {}  # (base, pool, type) idle, not kept: the wait woken to call them
        self._began: dict[int, float] = {}  # each live wait: when its base's convoy began to wait for trucks (hours)

    def wait(self, env: simpy.Environment, base: str, may_come: Callable[[], int] | None = None, since: float | None = None) -> TrucksAtRest:
        """``base`` begins to wait for trucks to come to rest at a base it watches; ``may_come`` says how many trucks
        may still come to it (none: it may leave with what it has); ``since`` (hours): when its convoy began to wait
        for trucks, looks that changed nothing but its wait included (now, if not given): of the bases short of a
        type, the one waiting since the earliest calls idle trucks of it over."""
        if self._calling:
            self._call_next()  # the base woken to call idle trucks may have left some: the next short of them is woken
        number = self._next
        self._next += 1
        rest = TrucksAtRest(env, self, number)
        self._waiting[number] = (rest, self._watches[base])
        self._last[base] = number
        rule = self._rule
        if rule is not None:
            keys = tuple(rule.short_of(base))
            for key in keys:
                self._short.setdefault(key, {})[number] = None
            self._keys[number] = (base, keys)
            self._began[number] = env.now if since is None else since
            self._own.setdefault(base, {})[number] = None
            for pool in self._pools[base]:
                self._live[pool] += 1
            if may_come is not None:  # some may come (it waits for them): asked once a truck has come to rest anywhere
                self._margins[number] = may_come
                heapq.heappush(self._checks, (self._came + 1, number))
            self._wake_now(self._to_call(base, self._own[base]))  # it looked: it may have stopped keeping some
        return rest

    def forget(self, number: int) -> None:
        """The wait ``number`` fired or is spent."""
        if self._waiting.pop(number, None) is None or self._rule is None:
            return
        base, keys = self._keys.pop(number)
        del self._began[number]
        for key in keys:
            del self._short[key][number]
        del self._own[base][number]
        for pool in self._pools[base]:
            self._live[pool] -= 1
        self._margins.pop(number, None)

    def watched(self, base: str) -> bool:
        """Whether a wait begun since ``base``'s trucks last came to rest (fired, spent or not) watches ``base``: what
        SimPy would see as a callback on its return event. Under the rule: whether a wait not yet woken watches it."""
        since = self._since.get(base)
        if since is None:
            return False
        if self._rule is not None:
            live = self._live
            return any(live[p] for p in self._pools[base])
        last = self._last
        return any(last[w] >= since for w in self._watchers[base])

    def before_subscribing(self, base: str, returned: simpy.Event) -> None:
        """Something else is about to wait on ``base``'s return event: the waits begun before it go first."""
        if base not in self._since:
            return
        if self.watched(base):
            callbacks = returned.callbacks
            assert callbacks is not None, "a base's return event is replaced as it fires"
            cut = _Cut(self, base, self._since[base], self._next)
            callbacks.append(cut)
            if self._rule is not None:
                self._cuts.setdefault(base, []).append(cut)
        self._since[base] = self._next

    def before_firing(self, base: str, returned: simpy.Event, came: int = 0) -> None:
        """``base``'s return event is about to fire, ``came`` trucks having come to rest there: the waits begun since
        the last place marked on it are woken last (under the rule, only those it names)."""
        if self._rule is None:
            self.before_subscribing(base, returned)
            return
        self._came += came
        if base not in self._since:
            return
        if self._calling:
            self._call_next()
        woken = self._choose(base)
        self.before_subscribing(base, returned)
        watches = self._watches
        later = [n for n in woken if n in self._waiting and base not in watches[self._keys[n][0]]]
        woken.difference_update(later)
        for cut in self._cuts.pop(base, ()):
            cut.woken = woken
        self._since[base] = 0  # waits not woken now stay: the first place on the next return takes them first
        self._wake_now(later)

    def _choose(self, base: str) -> set[int]:
        """The waits trucks coming to rest at ``base`` wake: the base's own, the first short of each type idle there
        that it does not keep (:meth:`_to_call`), and those to which no truck may come any more."""
        assert self._rule is not None, "only the rule chooses"
        own = self._own.get(base, {})
        woken = set(own)
        woken.update(self._to_call(base, own))
        woken.update(self._none_may_come())
        return woken

    def _to_call(self, base: str, own: Mapping[int, None]) -> list[int]:
        """For each truck type idle at ``base`` that it does not keep, the wait short of that type whose base has
        waited longest (:meth:`_longest_waiting`): it calls them all over (:meth:`sim.model.shared.Neighbours.call_trucks` takes every truck of
        a type it needs); the next is woken only if some are still there once it has looked (:meth:`_call_next`)."""
        assert self._rule is not None, "only the rule chooses"
        out: list[int] = []
        live, mine = self._live, len(own)
        if not any(live[p] > mine for p in self._pools[base]):
            return out  # no other base of its pools waits: nobody to call them
        short = self._short
        for key in self._rule.loose_at(base):
            waits = short.get(key)
            if not waits:
                continue
            first = self._longest_waiting(waits, own)
            if first is not None:
                out.append(first)
                self._calling[(base, *key)] = self._waiting[first][0]
        return out

    def _longest_waiting(self, waits: Mapping[int, None], own: Mapping[int, None]) -> int | None:
        """Of ``waits`` (short of one type, in the order they began), not ``own``, the one whose base has waited for
        trucks longest: since its convoy began to wait, not since its latest look (a look that changed nothing but
        its wait does not send a base to the back of the line); the first begun among equals."""
        began = self._began
        first: int | None = None
        for number in waits:
            if number not in own and (first is None or began[number] < began[first]):
                first = number
        return first

    def _call_next(self) -> None:
        """Idle trucks a woken base was to call over and that are still there once it looked (it loaded a convoy
        instead, or no longer needed them): the next wait short of them is woken now."""
        assert self._rule is not None, "only the rule calls"
        loose: dict[str, set[tuple[str, str]]] = {}
        woken: list[int] = []
        for place, rest in list(self._calling.items()):
            if not rest.processed:
                continue  # its base has not looked yet
            base, pool, kind = place
            del self._calling[place]
            if base not in loose:
                loose[base] = set(self._rule.loose_at(base))
            if (pool, kind) not in loose[base]:
                continue  # called over, or kept now
            own = self._own.get(base, {})
            first = self._longest_waiting(self._short.get((pool, kind), {}), own)
            if first is not None:
                woken.append(first)
                self._calling[place] = self._waiting[first][0]
        self._wake_now(woken)

    def _none_may_come(self) -> list[int]:
        """The waits to which no truck may come any more, among those for which enough trucks came to rest since
        they were last asked (the others are asked again when more have)."""
        out: list[int] = []
        checks, came, margins = self._checks, self._came, self._margins
        again: list[tuple[int, int]] = []
        while checks and checks[0][0] <= came:
            _, number = heapq.heappop(checks)
            may_come = margins.get(number)
            if may_come is None:
                continue  # woken or spent since
            left = may_come()
            if left <= 0:
                out.append(number)
            else:
                again.append((came + left, number))
        for entry in again:
            heapq.heappush(checks, entry)
        return out

    def stopped_keeping(self, base: str) -> None:
        """``base``'s idle trucks may have become free to call over (it loaded, its cargo changed): the waits short of
        a type idle there that it no longer keeps are woken now, in the order they began."""
        if self._rule is None or base not in self._since:
            return
        if self._calling:
            self._call_next()
        self._wake_now(self._to_call(base, self._own.get(base, {})))

    def cargo_taken_by_others(self, base: str) -> None:
        """Staged cargo of ``base`` left on a sortie, a helicopter or its own trucks: its own waits look again now (its plans may have changed: the cargo it
        waited for trucks for may be gone, or what is left may fit the trucks at hand), and the waits short of a type
        idle there that it no longer keeps are woken (:meth:`stopped_keeping`)."""
        if self._rule is None or base not in self._since:
            return
        if self._calling:
            self._call_next()
        own = self._own.get(base, {})
        self._wake_now([*own, *self._to_call(base, own)])

    def began_waiting(self, standing: int) -> None:
        """A base with ``standing`` trucks idle began to wait for trucks itself: bases that may leave without those
        trucks no longer count on them; those to which no truck may come any more are woken now."""
        if self._rule is None:
            return
        self._came += standing
        if self._calling:
            self._call_next()
        self._wake_now(self._none_may_come())

    def _wake_now(self, numbers: Iterable[int]) -> None:
        waiting = self._waiting
        for number in sorted(numbers):
            entry = waiting.get(number)
            if entry is not None:
                entry[0].wake()

    def wake_chosen(self, woken: Set[int], first: int, end: int) -> None:
        """Trucks came to rest at a base: wake, in the order they began, the waits of ``woken`` numbered ``first`` to
        ``end`` (excluded) that have neither fired nor been spent."""
        waiting = self._waiting
        for number in sorted(n for n in woken if first <= n < end):
            entry = waiting.get(number)
            if entry is not None:
                entry[0].wake()

    def wake(self, base: str, first: int, end: int) -> None:
        """Trucks came to rest at ``base``: wake, in the order they began, the waits numbered ``first`` to ``end``
        (excluded) that watch it and have neither fired nor been spent."""
        woken = [rest for number, (rest, watched) in self._waiting.items() if first <= number < end and base in watched]
        for rest in woken:
            rest.wake()


__all__ = ["RestBoard", "TrucksAtRest", "WakeRule"]
