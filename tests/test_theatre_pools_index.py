"""What keeps a many-base theatre's cost per convoy flat, checked against what it replaces: the pool's index of
bases with idle trucks against a look at every base, and the wait for trucks to come to rest against
``simpy.AnyOf`` (same wake-ups, same order, same number of events)."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from benchmarks.big_theatre import big_theatre
from sim.model.at_rest import RestBoard
from sim.model.counting import CountingEnvironment
from sim.model.theatre import Theatre
from sim.replication import streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import validate_table


def _script(board_waits: bool, seed: int) -> tuple[list[tuple[float, str]], int]:
    """A random script of bases whose trucks come back at whole hours (some only when someone waits on them, as a
    truck out of repair does; a wait for trucks to come to rest counts until the return, even once it fired or its
    timer ran out, as the model's always has), and bases that wait, each watching a fixed set of bases, at whole hours: for one of
    those returns (with or without a timer), or for one base's return alone (with or without a timer, as a base's own
    convoys do). Run with ``simpy.AnyOf`` over the returns, or with a :class:`RestBoard`: who woke when, in order,
    and the events scheduled."""
    rng = np.random.default_rng(seed)
    env = CountingEnvironment()
    sources = [f"base {i}" for i in range(6)]
    waiters = [f"waiter {w}" for w in range(8)]
    watches = {w: sorted(int(j) for j in rng.choice(len(sources), size=int(rng.integers(1, len(sources) + 1)), replace=False)) for w in waiters}
    board = RestBoard({w: {sources[j] for j in watched} for w, watched in watches.items()}) if board_waits else None
    current = [env.event() for _ in sources]
    rest_since = [False for _ in sources]  # a wait for trucks to come to rest began since the return (fired, spent or not)
    log: list[tuple[float, str]] = []

    def returned(i: int) -> simpy.Event:
        if board is not None:
            board.before_subscribing(sources[i], current[i])
        return current[i]

    def trucks_back(i: int, hours: list[int], only_if_watched: bool):
        for h in hours:
            yield env.timeout(h)
            if only_if_watched and not (current[i].callbacks or rest_since[i] or (board is not None and board.watched(sources[i]))):
                continue
            rest_since[i] = False
            if board is not None:
                board.before_firing(sources[i], current[i])
            ev, current[i] = current[i], env.event()
            ev.succeed()

    def waits(name: str, watched: list[int]):
        for _ in range(8):
            yield env.timeout(int(rng.integers(0, 3)))
            alone, timer = rng.random() < 0.3, int(rng.integers(0, 3))
            if alone:
                rest = returned(int(rng.choice(watched)))
            elif board is not None:
                rest = board.wait(env, name)
            else:
                rest = simpy.AnyOf(env, [returned(j) for j in watched])
                for j in watched:
                    rest_since[j] = True
            yield rest | env.timeout(timer) if timer else rest
            log.append((env.now, name))

    for i in range(len(sources)):
        env.process(trucks_back(i, [int(h) for h in rng.integers(1, 4, size=10)], bool(i % 2)))
    for name in waiters:
        env.process(waits(name, watches[name]))
    env.run(until=60)
    return log, env.scheduled


@pytest.mark.parametrize("seed", range(30))
def test_a_wait_for_trucks_to_come_to_rest_wakes_as_simpy_anyof_does(seed):
    expected, events = _script(False, seed)
    got, got_events = _script(True, seed)
    assert len(expected) > 20
    assert got == expected
    assert got_events == events


def _theatre(bases: int) -> Theatre:
    scenario = resolve(validate_table(big_theatre(bases), "", "test"), {})
    return Theatre(CountingEnvironment(), scenario, streams_for(1, 0))


def test_each_pool_knows_the_bases_where_its_trucks_stand_idle():
    theatre = _theatre(5)
    for name, pool in theatre.truck_pools.items():
        idle = {b for b, evac in theatre.bases.items() if name in evac.spec.pools and any(evac.fleet.idle(name).values())}
        assert pool.idle_at == idle
        assert len(idle) == (1 if sum(pool.total.values()) else 0)  # a pool's trucks start at its home base
    base, evac, pool = next((b, e, p) for b, e in theatre.bases.items() for p in e.spec.pools if any(e.fleet.idle(p).values()))
    held = evac.fleet.idle(pool)
    kind = next(k for k, n in held.items() if n > 0)
    taken = evac.fleet.take_idle(pool, kind)
    assert taken == held[kind]
    assert (base in theatre.truck_pools[pool].idle_at) == any(evac.fleet.idle(pool).values())
    evac.fleet.give_back({kind: 1}, pool)
    assert base in theatre.truck_pools[pool].idle_at


def test_trucks_standing_elsewhere_are_those_the_other_bases_hold():
    theatre = _theatre(5)
    kinds = frozenset({"civilian", "lowboy", "military", "het"})
    for name, evac in theatre.bases.items():
        by_hand = sum(other.fleet.standing(pool, kind) for other in theatre.bases.values() if other is not evac for pool in evac.spec.pools for kind in kinds)
        assert theatre.standing_elsewhere(name, kinds) == by_hand
