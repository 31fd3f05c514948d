"""The rule by which a base waiting for trucks looks again (issue 24, :mod:`sim.model.at_rest`): when, and only when,
something happens that can change what it may get. Hand-computed cases on a small theatre of three bases sharing
one pool, then generated theatres: every load still leaves, no waiting base ever misses trucks it could call or a
convoy it could form, and wake-ups a convoy stay flat as the theatre grows."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pandas as pd
import pytest
import simpy

from benchmarks.big_theatre import big_theatre
from sim.model.at_rest import RestBoard
from sim.model.convoys import _plans_until_ready, convoy_groups
from sim.model.counting import CountingEnvironment
from sim.model.theatre import Theatre
from sim.model.trucks_wait import TrucksWait, same_plans
from sim.replication import inputs_for, prepare, run_batch, streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import validate_table

POOL = "contracted"
BASES = ("rmelan", "kharab", "life_stone")


class SmallTheatre:
    """Three bases sharing the pool ``contracted`` and the board, as the theatre and the fleets drive it: which truck
    types each base is short of, which idle types it does not keep, and the trucks coming to rest at each."""

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.short: dict[str, list[str]] = {b: [] for b in BASES}
        self.loose: dict[str, list[str]] = {b: [] for b in BASES}
        watches = {b: set(BASES) for b in BASES}
        self.board = RestBoard(watches, self, {b: (POOL,) for b in BASES})
        self.returned = {b: self.env.event() for b in BASES}
        self.woken: list[tuple[float, str]] = []

    # what the theatre answers (WakeRule)
    def short_of(self, base: str) -> list[tuple[str, str]]:
        return [(POOL, kind) for kind in self.short[base]]

    def loose_at(self, base: str) -> list[tuple[str, str]]:
        return [(POOL, kind) for kind in self.loose[base]]

    # what a fleet does
    def trucks_come_to_rest(self, base: str, trucks: int) -> None:
        self.board.before_firing(base, self.returned[base], trucks)
        ev, self.returned[base] = self.returned[base], self.env.event()
        ev.succeed()

    def waits(self, base: str, may_come: Callable[[], int] | None = None, looks: int = 1, since: float | None = None) -> Generator[simpy.Event, Any, None]:
        """``base`` waits for trucks, ``looks`` times (a look that changes nothing waits again); ``since``: the hour
        its convoy began to wait for trucks, if before its first look here."""
        for _ in range(looks):
            yield self.board.wait(self.env, base, may_come, since)
            self.woken.append((self.env.now, base))

    def at(self, hour: float, action: Callable[[], None]) -> None:
        self.env.timeout(hour).callbacks.append(lambda _event: action())


def test_a_truck_type_coming_to_rest_wakes_only_the_base_short_of_it():
    theatre = SmallTheatre()
    theatre.short["kharab"] = ["het"]
    theatre.short["life_stone"] = ["civilian"]
    theatre.env.process(theatre.waits("kharab"))
    theatre.env.process(theatre.waits("life_stone"))

    def het_back_at_rmelan() -> None:  # Rmelan has no heavy loads left: it does not keep HETs
        theatre.loose["rmelan"] = ["het"]
        theatre.trucks_come_to_rest("rmelan", 2)

    def civilian_back_at_rmelan_kept() -> None:  # Rmelan keeps its civilian trucks (it has cargo for them)
        theatre.trucks_come_to_rest("rmelan", 5)

    theatre.at(1, civilian_back_at_rmelan_kept)
    theatre.at(2, het_back_at_rmelan)
    theatre.at(3, lambda: theatre.trucks_come_to_rest("life_stone", 4))  # its own trucks back: it looks
    theatre.env.run()
    assert theatre.woken == [(2, "kharab"), (3, "life_stone")]


def test_a_base_that_stops_keeping_its_idle_trucks_wakes_a_base_short_of_them_at_once():
    theatre = SmallTheatre()
    theatre.short["kharab"] = ["lowboy", "civilian"]
    theatre.short["life_stone"] = ["het"]
    theatre.env.process(theatre.waits("kharab"))
    theatre.env.process(theatre.waits("life_stone"))

    def rmelan_loads_its_last_lowboy_cargo() -> None:
        theatre.loose["rmelan"] = ["lowboy"]  # 6 lowboys stay idle there, not kept
        theatre.board.stopped_keeping("rmelan")

    theatre.at(5.5, rmelan_loads_its_last_lowboy_cargo)
    theatre.env.run()
    assert theatre.woken == [(5.5, "kharab")]  # no truck came to rest anywhere: it is woken all the same


def test_idle_trucks_not_kept_wake_the_first_base_short_of_them_and_the_next_only_if_some_are_left():
    theatre = SmallTheatre()
    theatre.short["kharab"] = ["civilian"]
    theatre.short["life_stone"] = ["civilian"]
    theatre.env.process(theatre.waits("kharab"))  # began to wait first
    theatre.env.process(theatre.waits("life_stone"))

    def civilian_loose_at_rmelan() -> None:
        theatre.loose["rmelan"] = ["civilian"]
        theatre.trucks_come_to_rest("rmelan", 10)

    theatre.at(1, civilian_loose_at_rmelan)
    theatre.env.run(until=1.5)
    assert theatre.woken == [(1, "kharab")]  # it calls all ten over; Life Stone need not look
    theatre.board.stopped_keeping("kharab")  # Kharab left with what it had instead: the ten are still at Rmelan
    theatre.env.run(until=2)
    assert theatre.woken == [(1, "kharab"), (1.5, "life_stone")]


def test_idle_trucks_the_first_base_called_over_wake_no_other():
    theatre = SmallTheatre()
    theatre.short["kharab"] = ["civilian"]
    theatre.short["life_stone"] = ["civilian"]
    theatre.env.process(theatre.waits("kharab"))
    theatre.env.process(theatre.waits("life_stone", looks=2))
    theatre.loose["rmelan"] = ["civilian"]
    theatre.at(1, lambda: theatre.trucks_come_to_rest("rmelan", 10))

    def kharab_called_them() -> None:
        theatre.loose["rmelan"] = []
        theatre.board.stopped_keeping("kharab")

    theatre.at(1.2, kharab_called_them)
    theatre.at(4, lambda: theatre.trucks_come_to_rest("life_stone", 3))
    theatre.env.run()
    assert theatre.woken == [(1, "kharab"), (4, "life_stone")]


def test_a_base_to_which_no_truck_may_come_any_more_is_woken_to_leave_with_what_it_has():
    theatre = SmallTheatre()
    theatre.short["kharab"] = ["civilian"]
    on_the_road = [3]  # Kharab's civilian trucks that may still come: on the road, to stop elsewhere
    asked = []

    def may_come() -> int:
        asked.append(theatre.env.now)
        return on_the_road[0]

    theatre.env.process(theatre.waits("kharab", may_come))

    def one_stops_at_life_stone() -> None:  # Life Stone keeps it: Kharab no longer counts on it
        on_the_road[0] -= 1
        theatre.trucks_come_to_rest("life_stone", 1)

    for hour in (1, 2, 3):
        theatre.at(hour, one_stops_at_life_stone)
    theatre.env.run()
    assert theatre.woken == [(3, "kharab")]
    assert asked == [1, 3]  # asked once a truck had come to rest, then only once three had (it counted on three)


def test_a_base_that_begins_to_wait_wakes_one_that_counted_on_its_idle_trucks():
    theatre = SmallTheatre()
    theatre.short["kharab"] = ["civilian"]
    counted_on = [2]  # the civilian trucks idle at Life Stone, which Kharab may leave without

    theatre.env.process(theatre.waits("kharab", lambda: counted_on[0]))

    def life_stone_begins_to_wait() -> None:  # it keeps its two: none may come to Kharab any more
        counted_on[0] = 0
        theatre.board.began_waiting(2)

    theatre.at(7, life_stone_begins_to_wait)
    theatre.env.run()
    assert theatre.woken == [(7, "kharab")]


def test_idle_trucks_go_to_the_base_that_has_waited_longest_not_to_the_one_that_looked_least_recently():
    theatre = SmallTheatre()
    theatre.short["kharab"] = ["civilian"]
    theatre.short["life_stone"] = ["civilian"]
    theatre.env.process(theatre.waits("kharab", looks=2, since=0.0))  # short of civilian trucks since hour 0
    theatre.at(1, lambda: theatre.env.process(theatre.waits("life_stone")))  # since hour 1

    # hour 2: one of Kharab's own trucks is back, not enough for a convoy: it looks, and waits again (it has
    # waited all along: since hour 0, though its new wait began after Life Stone's)
    theatre.at(2, lambda: theatre.trucks_come_to_rest("kharab", 1))

    def civilian_loose_at_rmelan() -> None:
        theatre.loose["rmelan"] = ["civilian"]
        theatre.trucks_come_to_rest("rmelan", 30)

    theatre.at(3, civilian_loose_at_rmelan)
    theatre.env.run(until=3.5)
    assert theatre.woken == [(2, "kharab"), (3, "kharab")]  # Kharab, waiting 3 hours, calls them; not Life Stone (2 hours)


def test_cargo_that_flies_wakes_its_own_base_and_the_base_short_of_the_trucks_it_no_longer_keeps():
    theatre = SmallTheatre()
    theatre.short["kharab"] = ["civilian", "het"]
    theatre.short["life_stone"] = ["het"]
    theatre.short["rmelan"] = ["lowboy"]
    theatre.env.process(theatre.waits("kharab"))
    theatre.env.process(theatre.waits("life_stone"))
    theatre.env.process(theatre.waits("rmelan"))

    def kharab_flies_its_last_heavy_loads() -> None:  # a sortie (or a helicopter, or its own trucks) takes them
        theatre.short["kharab"] = ["civilian"]
        theatre.loose["kharab"] = ["het"]  # its two HETs idle there are not kept any more
        theatre.board.cargo_taken_by_others("kharab")

    theatre.at(4.25, kharab_flies_its_last_heavy_loads)
    theatre.env.run()
    # Kharab looks (what it waited for trucks for may be gone); Life Stone, short of HETs, calls them; Rmelan sleeps on
    assert theatre.woken == [(4.25, "kharab"), (4.25, "life_stone")]


def test_a_base_that_can_never_empty_frees_its_idle_trucks_at_once():
    """A generated theatre of three bases, not started: the first keeps the theatre's trucks (it started, its cargo
    is left); the second waits for trucks. At hour 6 the first can never empty: it keeps no truck now, and the
    second is woken then, not at the next time trucks come to rest."""
    scenario = resolve(validate_table(big_theatre(3), "", "test"), {})
    env = CountingEnvironment()
    theatre = Theatre(env, scenario, streams_for(0, 0))
    first = theatre.bases["base_01"]
    first.begin(0.0)
    assert first.fleet.here_idle() and not theatre.loose_at("base_01")  # it keeps them all
    waiting = theatre.trucks_come_to_rest("base_02")
    woken: list[float] = []
    waiting.callbacks.append(lambda _event: woken.append(env.now))
    env.timeout(6).callbacks.append(lambda _event: first.never_finishes("no crossing will ever open (a test)"))
    env.run(until=10)
    assert woken == [6]
    assert {kind for _, kind in theatre.loose_at("base_01")} == {kind for kind, n in first.fleet.at_base.items() if n}  # none kept
    assert {kind for _, kind in theatre.short_of("base_02")} & {kind for _, kind in theatre.loose_at("base_01")}


def test_a_base_that_calls_idle_trucks_over_goes_to_the_back_of_the_line():
    """A generated theatre of three bases, not started: the theatre's trucks stand idle at the first, which keeps
    none of them (it has not started). The second, short of trucks since hour 0, calls them all over at hour 4:
    served, it counts as waiting since hour 4, behind a base that began to wait at hour 1."""
    scenario = resolve(validate_table(big_theatre(3), "", "test"), {})
    env = CountingEnvironment()
    theatre = Theatre(env, scenario, streams_for(0, 0))
    first, second = theatre.bases["base_01"], theatre.bases["base_02"]
    idle = sum(first.fleet.at_base.values())
    second.fleet.wait_for_trucks(True)  # hour 0
    env.timeout(4).callbacks.append(lambda _event: theatre.call_trucks("base_02"))
    env.run(until=5)
    assert sum(first.fleet.at_base.values()) == 0 < idle  # all driving over
    assert second.fleet.waiting and second.fleet.waiting_since == 4


def test_the_former_rule_wakes_every_base_at_every_return():
    theatre = SmallTheatre()
    theatre.board = RestBoard({b: set(BASES) for b in BASES})  # no rule: every return wakes every wait
    theatre.short["kharab"] = ["het"]
    theatre.env.process(theatre.waits("kharab"))
    theatre.env.process(theatre.waits("life_stone"))
    theatre.at(1, lambda: theatre.trucks_come_to_rest("rmelan", 5))
    theatre.env.run()
    assert theatre.woken == [(1, "kharab"), (1, "life_stone")]


# --- generated theatres ------------------------------------------------------------------
def _replications(bases: int, every_return: bool, monkeypatch: pytest.MonkeyPatch, reps: int = 2) -> tuple[pd.DataFrame, int]:
    """Replications (seed 1) of the generated theatre: their table, and how many times a waiting base woke."""
    woke = 0
    ends = TrucksWait.ends

    def counted(self: TrucksWait) -> None:
        nonlocal woke
        woke += 1
        ends(self)

    monkeypatch.setattr(TrucksWait, "ends", counted)
    monkeypatch.setattr(RestBoard, "every_return", every_return)
    prepared = prepare(validate_table(big_theatre(bases), "", f"big_theatre_{bases}"))
    rows, _, _ = run_batch(prepared, 1, range(1, 1 + reps))  # each replication checks that nothing is lost
    return pd.DataFrame(rows), woke


def _convoys(table: pd.DataFrame) -> int:
    return int(table.filter(regex=r"^base\..*\.convoys$").to_numpy().sum())


def test_every_load_still_leaves_and_wake_ups_a_convoy_stay_flat_as_the_theatre_grows(monkeypatch):
    looks = {}
    for bases in (5, 25):
        table, woke = _replications(bases, False, monkeypatch)
        assert table["theatre.finished"].all()  # every base emptied: each load left (the conservation check passed)
        assert (table.filter(regex=r"^base\..*\.never_finishes$").fillna("") == "").all().all()
        looks[bases] = woke / _convoys(table)
    assert looks[25] < 1.5 * looks[5]
    assert looks[25] < 4  # the former rule: about 40 a convoy at 25 bases


def test_the_former_rule_woke_bases_for_nothing(monkeypatch):
    _, woke_before = _replications(10, True, monkeypatch, reps=1)
    table, woke = _replications(10, False, monkeypatch, reps=1)
    assert table["theatre.finished"].all()
    assert woke < woke_before / 3


@pytest.mark.parametrize(
    ("bases", "layout", "replication", "drawn"),
    [(8, 2, 3, None), (12, 1, 0, None), (20, 4, 5, None), (10, 0, 3, 20261205)],
)
def test_no_waiting_base_misses_trucks_it_could_call_or_a_convoy_it_could_form(bases, layout, replication, drawn):
    """Each time the clock moves on, every base still waiting for trucks would find, if it looked, the same plans
    (where another group's convoy waits for cargo to be packed: no convoy ready) and no idle trucks of a type it
    needs at a base that does not keep them. ``drawn``: the inputs drawn as a run
    with that seed draws them (replication 3 of seed 20261205: a sortie at hour 0 and the base's own trucks take
    staged cargo from bases waiting for trucks, whose plans change; a base whose military convoy waited for military
    trucks slept on while its contracted convoy's cargo was packed: issue 24's fourth session), else the modes."""
    table = validate_table(big_theatre(bases, seed=layout), "", "test")
    if drawn is None:
        scenario, streams = resolve(table, {}), streams_for(replication, 0)
    else:
        prepared = prepare(table)
        scenario, streams = prepared.drawn(inputs_for(prepared, drawn, replication)), streams_for(drawn, replication)
    env = CountingEnvironment()
    theatre = Theatre(env, scenario, streams)
    waits: dict[str, tuple[TrucksWait, simpy.Event]] = {}
    begin_again = TrucksWait._again

    def again(self: TrucksWait, t: float) -> simpy.Event:
        rest = begin_again(self, t)
        waits[self.evac.name] = (self, rest)
        return rest

    TrucksWait._again = again  # type: ignore[method-assign]
    checked = 0
    try:
        theatre.start()
        groups = convoy_groups(scenario.convoys.separate_contracted)
        done = theatre.done()
        while not done.triggered and env.peek() < theatre.horizon_hours:
            env.step()
            while env.peek() == env.now:  # every event of this hour: the clock moves on next
                env.step()
            for name, (wait, event) in waits.items():
                if event.triggered:
                    continue
                evac = wait.evac
                if wait.waited_on is None:  # another group's convoy waits for cargo to be packed: none may be ready now
                    plans = _plans_until_ready(evac, groups, env.now)
                    assert not (plans and plans[-1].ready), (name, env.now, plans[-1].trucks)
                    continue
                if same_plans(evac, wait.waited_on) is None:
                    plans = _plans_until_ready(evac, groups, env.now)
                    shape = [(p.loads, p.trucks, p.vehicle_places, p.ready, p.waiting_for) for p in plans]
                    assert shape == [(p.loads, p.trucks, p.vehicle_places, p.ready, p.waiting_for) for p in wait.waited_on[1]], (name, env.now)
                needed = set(theatre._needed(evac))
                for pool in evac.spec.pools:
                    for other in theatre.truck_pools[pool].idle_at - {name}:
                        assert not needed & set(theatre._idle_not_kept(other, pool)), (name, other, pool, env.now)
                checked += 1
    finally:
        TrucksWait._again = begin_again  # type: ignore[method-assign]
    assert checked > 100
