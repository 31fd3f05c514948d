"""Apache air cover: a convoy's whole Syrian leg needs relayed sorties, and a short day is never counted as cover.

The deterministic Syrian leg is 5.5 h; at 1.5 h on station a convoy needs ceil(5.5 / 1.5) = 4 sorties.
"""

from __future__ import annotations

import math

import pytest

from sim.model.air_cover import AirCover
from sim.scenario.loading import ScenarioError
from tests.conftest import deterministic, scenario_from
from tests.test_model_verification import run


def test_a_leg_needs_as_many_relayed_sorties_as_its_hours_whatever_the_detachment():
    one = AirCover(apaches=1, sorties_per_aircraft_per_day=2, hours_on_station=1.5, dust_days=set(), horizon_days=10)
    many = AirCover(apaches=8, sorties_per_aircraft_per_day=3, hours_on_station=1.5, dust_days=set(), horizon_days=10)
    assert one.sorties_for(5.5) == many.sorties_for(5.5) == 4
    assert one.earliest(3.0, 4) == math.inf  # 2 a day can never cover 4
    assert many.earliest(3.0, 4) == 3.0


def test_a_dust_day_grounds_the_apaches_until_the_next_day():
    cover = AirCover(apaches=4, sorties_per_aircraft_per_day=2.5, hours_on_station=1.5, dust_days={0, 1}, horizon_days=10)
    assert cover.left_on(0) == 0 and cover.earliest(5.0, 4) == 48.0


def test_going_short_of_cover_is_counted_with_the_hours_uncovered():
    cover = AirCover(apaches=1, sorties_per_aircraft_per_day=2, hours_on_station=1.5, dust_days=set(), horizon_days=10, when_short="go")
    assert cover.commit(10.0, 4, 5.5) == 2  # the day's two sorties cover 3 of 5.5 h
    assert cover.commit(12.0, 4, 5.5) == 0  # nothing left today
    assert (cover.convoys_covered, cover.convoys_uncovered, cover.hours_short, cover.sorties_flown) == (0, 2, pytest.approx(2.5 + 5.5), 2)


def cover_for_every_convoy(apaches: int, sorties_each: float, when_short: str):
    return deterministic(
        {
            "air_cover.apaches": apaches,
            "air_cover.sorties_per_aircraft_per_day": sorties_each,
            "air_cover.hours_on_station": 1.5,
            "air_cover.share_of_convoys": 1.0,
            "air_cover.when_short": when_short,
        }
    )


def test_one_apache_cannot_cover_a_leg_so_waiting_for_it_is_refused_at_load():
    with pytest.raises(ScenarioError) as err:
        cover_for_every_convoy(1, 2, "wait")
    assert "air_cover.when_short" in str(err.value) and "4 relayed sorties" in str(err.value)


def test_going_with_what_one_apache_has_leaves_on_time_and_counts_both_convoys_uncovered():
    out = run(cover_for_every_convoy(1, 2, "go"))
    assert out.hours_to_base_empty == pytest.approx(10.0)  # as with no cover at all
    assert out.convoys_uncovered == 2 and out.air_cover_hours_short == pytest.approx((5.5 - 3.0) + 5.5)
    assert out.apache_sorties == 2


def test_when_the_day_has_sorties_for_one_convoy_only_the_last_element_waits_for_the_next_day():
    out = run(cover_for_every_convoy(3, 2, "wait"))  # 6 a day: the cargo convoy takes 4 at 10 h, 2 are left
    assert out.hours_to_base_empty == pytest.approx(24.0)
    assert out.waits["air cover"] == pytest.approx(24.0 - 10.0)
    assert out.convoys_uncovered == 0 and out.apache_sorties == 8


def test_no_apache_and_no_convoy_needing_cover_loads(baseline_path):
    assert scenario_from({"air_cover.apaches": 0, "air_cover.share_of_convoys": 0.0, "air_cover.always_for_sensitive": False}, baseline_path)
