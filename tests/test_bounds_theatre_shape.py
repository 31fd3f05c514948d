"""The capacity bounds read one scenario shape: a one-base file as the theatre of one base it stands for, a theatre
base road by road on the model's route engine, with the resources of all its pools."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from sim.analysis.bounds import capacity_bounds
from sim.experiment.backtest import paper_bases
from sim.scenario.loading import load_scenario, validate_table
from tests.theatre_tables import SRC, crossing, leg, small_base, small_theatre

ROOT = Path(__file__).resolve().parent.parent
BEFORE = json.loads((ROOT / "tests" / "artifacts" / "bounds_one_base_before.json").read_text())["bounds"]


@pytest.mark.parametrize("path", sorted(BEFORE))
def test_every_shipped_one_base_file_keeps_its_bounds_to_the_last_bit(path):
    # the figures to the last bit; the basis in words may be said better since it was recorded (units added)
    bounds = capacity_bounds(load_scenario(ROOT / path).scenario)
    keep = ("resource", "days", "applies_to")
    assert [{"resource": b.resource, "days": b.days, "applies_to": b.applies_to} for b in bounds] == [{k: b[k] for k in keep} for b in BEFORE[path]]


def _bound(table, resource, base=None):
    return next(b for b in capacity_bounds(validate_table(table, "", "test"), base) if b.resource == resource)


def test_a_second_crossing_clears_vehicles_only_from_when_its_own_route_reaches_it():
    # 10 road-only loads in convoys of <= 10: each vehicle takes 1 h / 10 of a crossing's paperwork. A-X 2 h, A-Y 5 h.
    # X alone clears the 10 by 3 h (Y is reached only at 5 h); X-erbil 2 h: the last vehicle arrives at 5 h.
    # (Reaching both crossings at the quickest route's 2 h, as the old per-base view did, would have cleared them by 2.5 h.)
    table = small_theatre(
        {"a": small_base(10), "x": crossing(), "y": crossing(title="another crossing")},
        [leg("a", "x", 100), leg("a", "y", 250), leg("x", "erbil", 100), leg("y", "erbil", 200)],
    )
    bound = _bound(table, "crossing lanes")
    assert bound.days * 24 == pytest.approx(5.0, abs=1 / 60)
    assert "a crossing 1 lane" in bound.basis and "another crossing 1 lane" in bound.basis


def test_a_way_out_of_two_roads_halts_on_each_road_as_the_model_drives_them():
    # A-B and B-X are 75 km each at 50 km/h: 1.5 h moving each, under the 2 h between halts, so no halt on either
    # (summed as one 150 km leg they would have halted once, 30 min). One escort team, two convoys: out 3 h, back 3 h,
    # no rest: the second convoy leaves at 6 h.
    road = {"halt_minutes": 30, "halt_every_hours": 2}
    pools = {"shared": {"title": "shared", "fleet": {"civilian": {"count": 10, "source": SRC}}, "escort": {"teams": 1, "source": SRC}}}
    table = small_theatre(
        {"a": small_base(20), "b": small_base(1), "x": crossing()},
        [leg("a", "b", 75, **road), leg("b", "x", 75, **road), leg("x", "erbil", 100)],
        pools,
    )
    assert _bound(table, "escort teams").days * 24 == pytest.approx(6.0)


def test_a_base_counts_the_trucks_and_escort_teams_of_all_its_pools():
    pools = {
        "north": {"title": "north", "fleet": {"civilian": {"count": 7, "source": SRC}}, "escort": {"teams": 2, "source": SRC}},
        "south": {"title": "south", "fleet": {"civilian": {"count": 5, "source": SRC}}, "escort": {"teams": 3, "source": SRC}},
    }
    table = small_theatre({"a": small_base(10, pools=("north", "south")), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100)], pools)
    assert "12 contracted trucks" in _bound(table, "contracted trucks").basis
    assert ", 5 teams," in _bound(table, "escort teams").basis


def test_the_bounds_of_a_second_base_are_its_own():
    table = small_theatre(
        {"a": small_base(10), "b": small_base(30), "x": crossing()},
        [leg("a", "x", 100), leg("b", "x", 50), leg("x", "erbil", 100)],
    )
    assert "30 road-only loads" in _bound(table, "loading teams", "b").basis
    assert "10 road-only loads" in _bound(table, "loading teams").basis


PAPER_BEFORE = json.loads((ROOT / "tests" / "artifacts" / "paper_bases_one_base_before.json").read_text())["paper_bases"]


@pytest.mark.parametrize("path", sorted(PAPER_BEFORE))
def test_every_one_base_history_case_keeps_its_paper_forecast_to_the_last_bit(path):
    bases = paper_bases(load_scenario(ROOT / path).scenario)
    assert [dataclasses.asdict(b) for b in bases] == PAPER_BEFORE[path]


def test_the_paper_forecast_drives_a_theatre_base_out_road_by_road():
    # A-B 100 km at 50 km/h (2 h) and B-X 50 km at 25 km/h (2 h; as one leg at the first road's speed, 150 km would
    # have been 3 h), no halts, an hour of paperwork at X, X-erbil 2 h: 7 h out, 5 h to the end of the crossing;
    # both bases draw on the one pool's 10 trucks.
    table = small_theatre(
        {"a": small_base(10), "b": small_base(5), "x": crossing()},
        [leg("a", "b", 100, halt_minutes=0), leg("b", "x", 50, halt_minutes=0, speed_kmh=25, town_speed_kmh=25), leg("x", "erbil", 100, halt_minutes=0)],
    )
    first = paper_bases(validate_table(table, "", "test"))[0]
    assert (first.drive_out_hours, first.to_border_hours, first.trucks) == pytest.approx((7.0, 5.0, 10.0))


def test_a_base_sending_to_a_hub_cycles_its_trucks_to_the_hub_only_as_the_model_drives_them():
    # B-H 50 km (1 h); loaded at 1 h, at the hub at 2 h, unloaded by the hub's 10 loading teams at 3 h, back at 4 h,
    # loaded again and away at 5 h: 4 h from one departure to the next (by the hub's way out, X and beyond, it
    # would have been longer, and no longer a lower bound). The hub's own trucks go out: H-X 2 h, an hour's paperwork,
    # X-erbil 2 h, an hour unloading, back the same way with the paperwork again: 12 h.
    table = small_theatre(
        {"b": small_base(10, send_to="h"), "h": small_base(5, kind="hub"), "x": crossing()},
        [leg("b", "h", 50), leg("h", "x", 100), leg("x", "erbil", 100)],
    )
    assert "10 contracted trucks (4 h from one departure to the next)" in _bound(table, "contracted trucks").basis
    assert "10 contracted trucks (12 h from one departure to the next)" in _bound(table, "contracted trucks", "h").basis
