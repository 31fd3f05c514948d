"""What keeps a many-base theatre's cost per convoy flat, checked against what it replaces: the pool's index of
bases with idle trucks against a look at every base, and the wait for trucks to come to rest against
``simpy.AnyOf`` (same wake-ups, same order, same number of events)."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from benchmarks.big_theatre import big_theatre
from sim.model.counting import CountingEnvironment
from sim.model.theatre import Theatre, TrucksAtRest
from sim.replication import streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import validate_table


def _script(condition, seed: int) -> tuple[list[tuple[float, str]], int]:
    """A random script of bases whose trucks come back at whole hours, and bases that wait (for one of several
    returns, with or without a timer, or for their own return alone) at whole hours: who woke when, in order."""
    rng = np.random.default_rng(seed)
    env = CountingEnvironment()
    bases = 6
    current = [env.event() for _ in range(bases)]
    log: list[tuple[float, str]] = []

    def trucks_back(i: int, hours: list[int]):
        for h in hours:
            yield env.timeout(h)
            ev, current[i] = current[i], env.event()
            ev.succeed()

    def waits(name: str, plan: list[tuple[int, list[int], int]]):
        for gap, watched, timer in plan:
            yield env.timeout(gap)
            if len(watched) == 1:
                yield current[watched[0]]
            elif timer:
                yield condition(env, [current[j] for j in watched]) | env.timeout(timer)
            else:
                yield condition(env, [current[j] for j in watched])
            log.append((env.now, name))

    for i in range(bases):
        env.process(trucks_back(i, [int(h) for h in rng.integers(1, 4, size=8)]))
    for w in range(8):
        plan = []
        for _ in range(6):
            watched = sorted(int(j) for j in rng.choice(bases, size=int(rng.integers(1, bases + 1)), replace=False))
            plan.append((int(rng.integers(0, 3)), watched, int(rng.integers(0, 3))))
        env.process(waits(f"base {w}", plan))
    env.run(until=60)
    return log, env.scheduled


@pytest.mark.parametrize("seed", range(20))
def test_a_wait_for_trucks_to_come_to_rest_wakes_as_simpy_anyof_does(seed):
    expected, events = _script(simpy.AnyOf, seed)
    got, got_events = _script(TrucksAtRest, seed)
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
