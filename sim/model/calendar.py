"""Closed periods on the simulation clock: nights, road closures, crossing closures, pauses.

The clock is hours from 2026-02-23 00:00 local. A :class:`Closures` is a sorted set
of closed intervals; activities ask it when something is next open and when a
piece of work that can only progress while open will end. Doing this by
arithmetic keeps a convoy that halts every night to one SimPy event per leg.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from functools import lru_cache

Interval = tuple[float, float]


class Closures:
    """Closed intervals ``[start, end)`` in hours, merged and sorted."""

    __slots__ = ("ends", "starts")

    def __init__(self, intervals: Iterable[Interval] = ()) -> None:
        merged: list[list[float]] = []
        for start, end in sorted(intervals):
            if end <= start:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]

    def __len__(self) -> int:
        return len(self.starts)

    def __or__(self, other: Closures) -> Closures:
        if not other.starts:
            return self
        if not self.starts:
            return other
        # Fold the shorter set into a copy of the longer one: a few threat closures
        # into months of nights costs a few bisections, not a sort of every night.
        big, small = (self, other) if len(self.starts) >= len(other.starts) else (other, self)
        union = Closures()
        union.starts, union.ends = list(big.starts), list(big.ends)
        for start, end in zip(small.starts, small.ends, strict=True):
            union._close(start, end)
        return union

    def __and__(self, other: Closures) -> Closures:
        """Closed only where both are closed (a way out is shut while every road out is)."""
        if other is self:
            return self
        out = []
        i = j = 0
        while i < len(self.starts) and j < len(other.starts):
            start, end = max(self.starts[i], other.starts[j]), min(self.ends[i], other.ends[j])
            if start < end:
                out.append((start, end))
            if self.ends[i] < other.ends[j]:
                i += 1
            else:
                j += 1
        return Closures(out)

    def _close(self, start: float, end: float) -> None:
        """Add the closed interval ``[start, end)``, merging those it overlaps or touches."""
        first = bisect_left(self.ends, start)
        past = bisect_right(self.starts, end)
        if first < past:
            start = min(start, self.starts[first])
            end = max(end, self.ends[past - 1])
        self.starts[first:past] = [start]
        self.ends[first:past] = [end]

    @property
    def intervals(self) -> list[Interval]:
        return list(zip(self.starts, self.ends, strict=True))

    def is_open(self, t: float) -> bool:
        i = bisect_right(self.starts, t) - 1
        return i < 0 or t >= self.ends[i]

    def open_at(self, t: float) -> float:
        """The earliest time at or after ``t`` that is not closed."""
        i = bisect_right(self.starts, t) - 1
        if i >= 0 and t < self.ends[i]:
            return self.ends[i]
        return t

    def finish(self, t: float, work_hours: float) -> float:
        """When ``work_hours`` of work started at ``t`` ends, pausing while closed."""
        t = self.open_at(t)
        i = bisect_right(self.starts, t)
        starts, ends = self.starts, self.ends
        while work_hours > 0:
            if i >= len(starts) or t + work_hours <= starts[i]:
                return t + work_hours
            work_hours -= starts[i] - t
            t = ends[i]
            i += 1
        return t


NEVER = Closures()
"""Always open."""


@lru_cache(maxsize=64)
def daily(open_from: float, open_to: float, horizon_hours: float) -> Closures:
    """Closed every day outside ``[open_from, open_to)`` local hours, up to the horizon.

    The same few calendars serve every replication of a run, so they are made once.
    """
    if open_from <= 0 and open_to >= 24:
        return NEVER
    days = int(horizon_hours // 24) + 2
    out: list[Interval] = []
    for d in range(days):
        base = 24.0 * d
        if open_from > 0:
            out.append((base, base + open_from))
        if open_to < 24:
            out.append((base + open_to, base + 24.0))
    return Closures(out)


def wait_for_all(t: float, calendars: Sequence[tuple[str, Closures]]) -> tuple[float, dict[str, float]]:
    """The earliest time at or after ``t`` when every calendar is open, and the hours waited on each.

    Hours are charged to the calendar that was closed at the moment of waiting, in the
    order given, so nights are not counted as road closures.
    """
    waited: dict[str, float] = {}
    changed = True
    while changed:
        changed = False
        for cause, closures in calendars:
            t2 = closures.open_at(t)
            if t2 > t:
                waited[cause] = waited.get(cause, 0.0) + (t2 - t)
                t = t2
                changed = True
    return t, waited
