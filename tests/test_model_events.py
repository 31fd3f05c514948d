"""The model's stand-ins for SimPy constructs (sim/model/events.py): the same steps in the same order as SimPy's
own, without the events that would change nothing."""

from __future__ import annotations

from collections.abc import Callable, Generator

import simpy

from sim.model.counting import CountingEnvironment
from sim.model.events import FirstOf, Places, StartedNow, StartsNow, Stock


def _log_of(build: Callable[[simpy.Environment, list[tuple[float, str]]], None]) -> tuple[list[tuple[float, str]], int]:
    env = CountingEnvironment()
    log: list[tuple[float, str]] = []
    build(env, log)
    env.run()
    return log, env.scheduled


def test_first_of_wakes_at_the_same_hour_and_in_the_same_order_as_anyof() -> None:
    def waits(first_of: bool) -> Callable[[simpy.Environment, list[tuple[float, str]]], None]:
        def build(env: simpy.Environment, log: list[tuple[float, str]]) -> None:
            news = env.event()

            def waiter(name: str, hours: float) -> Generator[simpy.Event, object, None]:
                timer = env.timeout(hours)
                yield FirstOf(env, timer, news, timer=timer) if first_of else timer | news
                log.append((env.now, name))

            def other(name: str, hours: float) -> Generator[simpy.Event, object, None]:
                yield env.timeout(hours)
                log.append((env.now, name))

            env.process(waiter("timer first", 2.0))
            env.process(waiter("news first", 9.0))
            env.process(other("same hour as the timer", 2.0))
            env.timeout(5.0).callbacks.append(lambda _e: news.succeed())
            env.process(waiter("alone at its hour", 3.0))

        return build

    anyof, anyof_events = _log_of(waits(False))
    first, first_events = _log_of(waits(True))
    assert first == anyof == [(2.0, "same hour as the timer"), (2.0, "timer first"), (3.0, "alone at its hour"), (5.0, "news first")]
    assert first_events == anyof_events - 1  # the wait whose timer fired alone at its hour ended without an event of its own


def test_a_place_given_back_with_nobody_waiting_is_free_at_once_and_the_queue_order_holds() -> None:
    def lanes(cls: type[simpy.Resource]) -> Callable[[simpy.Environment, list[tuple[float, str]]], None]:
        def build(env: simpy.Environment, log: list[tuple[float, str]]) -> None:
            lane = cls(env, capacity=1)

            def convoy(name: str, arrives: float, clears: float) -> Generator[simpy.Event, object, None]:
                yield env.timeout(arrives)
                with lane.request() as request:
                    yield request
                    log.append((env.now, f"{name} at the lane"))
                    yield env.timeout(clears)

            for name, arrives in (("A", 0.0), ("B", 1.0), ("C", 1.0), ("D", 10.0)):
                env.process(convoy(name, arrives, 3.0))

        return build

    simpy_log, simpy_events = _log_of(lanes(simpy.Resource))
    places_log, places_events = _log_of(lanes(Places))
    assert places_log == simpy_log == [(0.0, "A at the lane"), (3.0, "B at the lane"), (6.0, "C at the lane"), (10.0, "D at the lane")]
    assert places_events < simpy_events  # the releases of C and D, with nobody queued behind them, need no event


def test_a_place_taken_at_once_only_when_nothing_else_is_due_at_that_hour() -> None:
    env = simpy.Environment()
    lane = Places(env, capacity=1)
    env.timeout(0.0)  # something else is due now: SimPy's request, with its event
    assert not lane.request_at_once().processed
    env.run()
    lane.release(lane.users[0])
    taken = lane.request_at_once()  # nothing due: granted at once
    assert taken.processed and lane.users == [taken]
    assert not lane.request_at_once().triggered  # none free: it queues as SimPy's would


def test_a_stock_given_back_for_nobody_needs_no_event_and_one_waiting_gets_it_at_the_same_hour() -> None:
    env = CountingEnvironment()
    aircraft = Stock(env, capacity=2, init=2)
    assert aircraft.get_at_once(1).processed and aircraft.level == 1
    assert aircraft.put(1) is None and aircraft.level == 2 and env.scheduled == 0
    aircraft.get(2)
    waiting = aircraft.get(1)
    env.timeout(4.0).callbacks.append(lambda _e: aircraft.put(1))
    env.run()
    assert waiting.processed and env.now == 4.0 and aircraft.level == 0


def test_a_process_started_now_takes_its_first_step_in_the_callers_step() -> None:
    env = simpy.Environment()
    log: list[str] = []

    def trip() -> Generator[simpy.Event, object, None]:
        log.append("first step")
        yield env.timeout(2.0)
        log.append("arrived")

    def caller(_event: simpy.Event) -> None:
        StartedNow(env, trip())
        log.append("caller goes on")

    StartsNow(env, caller)
    env.run()
    assert log == ["first step", "caller goes on", "arrived"] and env.now == 2.0
