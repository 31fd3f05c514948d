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


def _by_hand(theatre: Theatre, name: str, kinds: frozenset[str], only_waiting: bool) -> int:
    evac = theatre.bases[name]
    return sum(
        other.fleet.standing(pool, kind)
        for other in theatre.bases.values()
        if other is not evac and (other.fleet.waiting or not only_waiting)
        for pool in evac.spec.pools
        for kind in kinds
    )


def test_the_pools_count_the_trucks_standing_at_bases_waiting_or_not_as_they_move():
    """Trucks leave with convoys, come back, drive empty to other bases and leave the workshop, and bases begin and end
    waits for trucks: the counts each pool keeps are, at every step, those of a look at every base."""
    theatre = _theatre(10)
    env = theatre.env
    rng = np.random.default_rng(3)
    names = list(theatre.bases)
    kinds = frozenset({"civilian", "lowboy", "military", "het"})
    away: list[tuple[str, str, dict[str, int]]] = []  # (base, pool, trucks) out on the road
    for step in range(400):
        evac = theatre.bases[names[int(rng.integers(len(names)))]]
        fleet, action = evac.fleet, int(rng.integers(5))
        if action == 0 and any(fleet.at_base.values()):  # a convoy leaves with some of the trucks at hand
            used = {k: int(rng.integers(0, n + 1)) for k, n in fleet.at_base.items() if n > 0}
            for pool, counts in fleet.send(used).items():
                away.append((evac.name, pool, counts))
        elif action == 1 and away:  # trucks come back to the base they left (or, driven empty, to another)
            base, pool, counts = away.pop(int(rng.integers(len(away))))
            target = theatre.bases[base] if rng.random() < 0.7 else next(b for b in theatre.bases.values() if pool in b.spec.pools)
            target.fleet.give_back(counts, pool)
        elif action == 2:
            pool = evac.spec.pools[int(rng.integers(len(evac.spec.pools)))]
            kind = sorted(kinds)[int(rng.integers(4))]
            if fleet.standing(pool, kind):
                away.append((evac.name, pool, {kind: fleet.take_idle(pool, kind)}))
        elif action == 3:  # a truck goes to the workshop and, later, leaves it
            pool = evac.spec.pools[0]
            fleet.repair("civilian", float(rng.integers(0, 3)), pool)
            env.run(until=env.now + 1)
            fleet.collect_repaired()
        else:
            fleet.wait_for_trucks(bool(rng.integers(2)))
        if step % 20 == 0 or step == 399:
            for pool_name, pool in theatre.truck_pools.items():
                for kind in kinds:
                    assert pool.standing[kind] == sum(b.fleet.standing(pool_name, kind) for b in theatre.bases.values() if pool_name in b.spec.pools)
            for name in names:
                for only_waiting in (False, True):
                    assert theatre.standing_elsewhere(name, kinds, only_waiting) == _by_hand(theatre, name, kinds, only_waiting)
    assert any(b.fleet.waiting for b in theatre.bases.values())


def test_the_loads_left_for_each_truck_type_follow_every_change_of_the_cargo():
    theatre = _theatre(5)
    inv = next(iter(theatre.bases.values())).inventory
    kinds = [frozenset({k}) for k in ("civilian", "lowboy", "military", "het")] + [frozenset({"civilian", "military"})]

    def by_hand(k: frozenset[str]) -> int:
        return sum(c.remaining for c in inv.classes if c.carriers & k and c.carriers & inv.truck_kinds)

    for change in (
        lambda: inv.load_convoy(inv.plan_convoy(10, {"civilian": 5, "military": 5, "lowboy": 2, "het": 1}, 13)[0]),
        lambda: inv.take_for_air(1e6, 3),
        lambda: inv.add_inflow(7),
        lambda: inv.bring_back(0.5),
        lambda: inv.receive({inv.classes[0].name: 2}),
        lambda: inv.leave_behind(frozenset()),
    ):
        before = inv.state()
        assert [inv.road_remaining(k) for k in kinds] == [by_hand(k) for k in kinds]  # asked once: kept until a change
        change()
        assert inv.state() != before
        assert [inv.road_remaining(k) for k in kinds] == [by_hand(k) for k in kinds]
