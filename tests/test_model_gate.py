"""The gate (sim.model.gate): the dispatcher looks again when a hold ends, whatever the clock's rounding."""

from __future__ import annotations

import simpy

from sim.model.evacuation import WAIT_CAUSES
from sim.model.gate import Gate
from sim.model.parts import Waits
from sim.replication import prepare, simulate_one
from tests.conftest import scenario_from


def test_a_look_set_for_a_time_the_clock_reaches_an_ulp_short_still_wakes_the_dispatcher():
    # The pair from replication 147 below: 5.815466122678161 + (14.971637621212233 - 5.815466122678161) is
    # 14.971637621212231, an ulp short of the time the look was set for.
    now, then = 5.815466122678161, 14.971637621212233
    assert now + (then - now) < then
    env = simpy.Environment(initial_time=now)
    gate = Gate(env, (), Waits(WAIT_CAUSES))
    woken: list[float] = []

    def dispatcher():
        for look in (then, 29.0):  # the second look is set after the first wakes: a second timer must be set
            gate.look_again_at(look)
            yield gate.wakeup()
            woken.append(env.now)

    env.process(dispatcher())
    env.run(until=40)
    assert woken == [now + (then - now), 29.0]


def test_more_hets_never_stall_the_baseline_replication_147():
    # issue 23: with 14 HETs, seed 8, replication 147 sent no convoy in 150 days (21,420 convoy-hours charged to
    # "departure window") because the dispatcher's wake-up was lost; with 6 HETs it ended on day 17.2.
    for hets, day in ((6, 17.2), (14, 19.2)):
        prepared = prepare(scenario_from({"fleet.het.count": hets}))
        _, outcome, _ = simulate_one(prepared, 8, 147)
        assert outcome.columns["finished"] is True
        assert outcome.columns["convoys"] > 10
        assert round(float(outcome.columns["days_to_base_empty"]), 1) == day
        assert outcome.columns["wait_hours.departure window"] < 1000
