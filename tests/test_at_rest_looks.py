"""A base short of trucks looks again where it would wake, and its process resumes only for a look that changes
something (``TrucksWait.look_again``): on generated theatres of several sizes and layouts, the replication tables are
those of the process resumed at every wake-up, to the bit; and the types a base's call for trucks may take from
another base are those a look at that base gives."""

from __future__ import annotations

import pandas as pd
import pytest
import simpy

from benchmarks.big_theatre import big_theatre
from sim.model.at_rest import RestBoard
from sim.model.convoy import KINDS
from sim.model.counting import CountingEnvironment
from sim.model.theatre import Theatre
from sim.model.trucks_wait import TrucksWait
from sim.replication import prepare, run_batch, streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import validate_table


def _tables(bases: int, layout: int, looks_in_place: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, int]:
    """Four replications (seed 11) of the generated theatre: their table, and how many looks changed nothing."""
    quiet = 0
    look_again = TrucksWait.look_again

    def counted(self: TrucksWait):
        nonlocal quiet
        rest = look_again(self)
        quiet += rest is not None
        return rest

    monkeypatch.setattr(RestBoard, "looks_in_place", looks_in_place)
    monkeypatch.setattr(TrucksWait, "look_again", counted)
    prepared = prepare(validate_table(big_theatre(bases, seed=layout), "", f"big_theatre_{bases}"))
    rows, cargo, people = run_batch(prepared, 11, range(4))
    table = pd.concat([pd.DataFrame(rows), pd.DataFrame(cargo).add_prefix("cargo."), pd.DataFrame(people).add_prefix("people.")], axis=1)
    return table, quiet


@pytest.mark.parametrize(("bases", "layout"), [(5, 0), (5, 7), (8, 1), (12, 2)])
def test_a_look_that_changes_nothing_leaves_the_replications_as_they_were(bases, layout, monkeypatch):
    resumed, none_quiet = _tables(bases, layout, False, monkeypatch)
    looked, quiet = _tables(bases, layout, True, monkeypatch)
    assert none_quiet == 0  # the process resumed at every wake-up
    assert quiet > 10 * len(looked)  # most wake-ups of a theatre change nothing: they were looked at in place
    assert (looked.filter(like=".convoys") > 0).any().any()
    pd.testing.assert_frame_equal(looked, resumed, check_exact=True)  # the events too: each look is where it was


def test_the_types_a_base_may_call_from_another_are_those_it_has_idle_and_does_not_keep():
    scenario = resolve(validate_table(big_theatre(10, seed=3), "", "test"), {})
    env = CountingEnvironment()
    theatre = Theatre(env, scenario, streams_for(1, 0))
    theatre.start()
    seen = 0
    for hour in range(6, 600, 6):
        env.run(until=simpy.AnyOf(env, [theatre.done(), env.timeout(hour - env.now)]))
        for name, evac in theatre.bases.items():
            for pool in evac.spec.pools:
                by_hand = tuple(k for k in KINDS if evac.fleet.standing(pool, k) > 0 and not theatre._keeps(evac, k))
                assert theatre._idle_not_kept(name, pool) == by_hand
                seen += bool(by_hand)
        if theatre.done().triggered:
            break
    assert seen > 0  # some base had trucks another could call
