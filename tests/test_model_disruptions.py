"""Disruptions and the road on their own: threats closing the road, dust grounding aircraft,
breakdowns and repair, and the HET's speed on a leg, each computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import simpy

from sim.model.calendar import NEVER, Closures
from sim.model.convoys import Convoy
from sim.model.disruptions import dust_days, route_threats
from sim.model.evacuation import Evacuation
from sim.model.fleet import Breakdowns
from sim.model.route import Leg
from sim.model.theatre import one_base
from sim.replication import prepare, streams_for
from tests.conftest import deterministic


def evacuation(overrides: dict | None = None) -> Evacuation:
    return one_base(simpy.Environment(), prepare(deterministic(overrides)).base, streams_for(1, 0))


def test_a_threat_closure_halts_a_convoy_on_the_road_and_is_charged_to_route_closed():
    evac = evacuation()
    convoy = Convoy(1, {"civilian": 10}, {"general": 10}, 0, 0, 0.0)
    # 5.5 h of driving from 10 h; the road is closed 12-20 h: 2 h, the closure, then 3.5 h
    end = evac.roads.drive(convoy, NEVER, Closures([(12.0, 20.0)]), 10.0, 5.5)
    assert end == pytest.approx(23.5)
    assert convoy.waits == {"route closed": pytest.approx(8.0)} and convoy.work_hours == pytest.approx(5.5)


def test_a_night_and_a_closure_are_charged_to_their_own_causes():
    evac = evacuation()
    convoy = Convoy(1, {"civilian": 10}, {"general": 10}, 0, 0, 0.0)
    night = Closures([(18.0, 30.0)])
    end = evac.roads.drive(convoy, night, night | Closures([(30.0, 33.0)]), 16.0, 5.5)  # 2 h, night, closed to 33 h, 3.5 h
    assert end == pytest.approx(36.5)
    assert convoy.waits == {"daylight": pytest.approx(12.0), "route closed": pytest.approx(3.0)}


def test_threat_closures_arrive_at_their_weekly_rate():
    rng = np.random.default_rng(3)
    counts = [len(route_threats(rng, closures_per_week=1.4, closure_hours=0.001, horizon_hours=24 * 7 * 10)) for _ in range(400)]
    assert np.mean(counts) == pytest.approx(14.0, rel=0.05)  # 1.4 a week for 10 weeks


def test_dust_grounds_the_airlift_until_the_next_clear_day():
    evac = evacuation()
    evac.shared.dust_days = {1, 2}
    assert evac.air_grounded_until(30.0) == 72.0
    assert evac.air_grounded_until(10.0) == 10.0


def test_dust_days_come_at_their_daily_probability():
    rng = np.random.default_rng(4)
    assert len(dust_days(rng, 0.2, 998)) == pytest.approx(200, abs=40)
    assert dust_days(rng, 0.0, 100) == set()


class _EveryGap:
    """A stand-in generator whose exponential gap is always its mean: breakdowns at fixed truck-km."""

    def exponential(self, mean: float) -> float:
        return mean


def test_breakdowns_fall_every_mean_gap_of_truck_km_on_the_truck_driving_there():
    breakdowns = Breakdowns(_EveryGap(), per_1000_km=10, recovery_hours=1.0, repair_hours=24.0)  # one every 100 truck-km
    broken, halts = breakdowns.on_leg({"civilian": 2, "het": 8}, km=50)  # 500 truck-km: at 100, 200, 300, 400
    # positions (km into the leg / 50 km a truck) 2, 4, 6, 8 fall on trucks 3-10, all HETs
    assert broken == {"het": 4} and halts == pytest.approx(4.0)
    assert breakdowns.repair_time() == 24.0


def test_a_broken_truck_is_back_in_service_after_its_repair():
    evac = evacuation()
    fleet = evac.fleet
    fleet.send({"civilian": 1})
    fleet.repair("civilian", 24.0)
    evac.env.run(until=23.0)
    fleet.collect_repaired()
    assert fleet.at_base["civilian"] == 39
    evac.env.run(until=24.0)
    fleet.collect_repaired()
    assert fleet.at_base["civilian"] == 40


def test_a_het_sets_the_pace_of_its_convoy():
    leg = Leg(km=184, town_km=24, speed_kmh=40, town_speed_kmh=24, halt_minutes=15, halt_every_hours=2)
    moving = 160 / 32 + 24 / 24  # open road at the HET's 32 km/h, towns at 24 km/h: 6 h
    assert leg.driving_hours(32.0) == pytest.approx(moving + 3 * 0.25)
    assert leg.driving_hours(None) == pytest.approx(5.5)
    evac = evacuation({"fleet.het.speed_kmh": 32})
    assert evac.fleet.speed_cap({"civilian": 5, "het": 1}) == 32.0
