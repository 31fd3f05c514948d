"""Closed periods on the clock: nights, road and crossing closures, pauses.

Convoys do not wait on SimPy events for these: they ask the calendar when work
started at some hour ends. These tests pin the arithmetic against a brute-force
walk of the clock.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sim.model.calendar import NEVER, Closures, daily, wait_for_all

hours = st.integers(0, 400).map(lambda quarter: quarter / 4)
intervals = st.lists(st.tuples(hours, st.integers(0, 60).map(lambda q: q / 4)).map(lambda s: (s[0], s[0] + s[1])), max_size=12)


def open_hours_between(closures: Closures, start: float, end: float) -> float:
    """Open time in ``[start, end)``, walked in quarter hours (all test times are quarter hours)."""
    quarters = round((end - start) * 4)
    return sum(0.25 for q in range(quarters) if closures.is_open(start + q / 4))


@given(intervals, intervals)
def test_union_is_the_calendar_of_all_closures(a, b):
    union = Closures(a) | Closures(b)
    both = Closures(a + b)
    assert union.intervals == both.intervals


@given(intervals, hours)
def test_open_at_is_open_and_nothing_earlier_is(closures, t):
    calendar = Closures(closures)
    opens = calendar.open_at(t)
    assert opens >= t
    assert calendar.is_open(opens)
    assert open_hours_between(calendar, t, opens) == 0


@given(intervals, hours, st.integers(0, 80).map(lambda q: q / 4))
def test_finish_gives_exactly_the_work_hours_of_open_time(closures, t, work):
    calendar = Closures(closures)
    end = calendar.finish(t, work)
    assert open_hours_between(calendar, t, end) == work
    if work > 0:
        assert calendar.is_open(end - 0.25)


def test_daylight_only_convoy_halts_overnight():
    """Ten hours of driving from 14:00 with roads open 06:00-18:00: 4 h today, 6 h tomorrow, at 12:00."""
    daylight = daily(6.0, 18.0, 24.0 * 5)
    assert daylight.finish(14.0, 10.0) == 24.0 + 12.0


def test_waiting_is_charged_to_the_calendar_that_was_closed():
    """A pause until 30:00 and a night until 30:00 of the same day: charged to the pause, listed first."""
    pause = Closures([(0.0, 30.0)])
    nights = daily(6.0, 18.0, 24.0 * 3)
    t, waited = wait_for_all(19.0, [("pause", pause), ("daylight", nights), ("never", NEVER)])
    assert t == 30.0
    assert waited == {"pause": 11.0}
