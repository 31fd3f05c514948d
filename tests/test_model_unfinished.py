"""Every replication finishes or says why (issue 23): a base the horizon cuts off names what was left and what held
it since when; troops without a seat are never stranded."""

from __future__ import annotations

from sim.names import AT_HORIZON
from sim.replication import prepare, simulate_one
from tests.conftest import ROOT, deterministic, scenario_from


def run(scenario, index: int = 0):
    return simulate_one(prepare(scenario), 1, index)[1]


def test_convoys_held_for_slots_at_the_horizon_are_named_with_what_is_left():
    # 40 loads in convoys of 5 trucks (2 h to load with 4 teams), one convoy a day, a 3-day horizon: convoys 1-3 leave
    # on days 0, 1 and 2 with 15 loads and 3 x 10 troops in cabs; convoys 4-8 (25 loads, 50 troops) wait for a slot,
    # the first of them since it was loaded at 8 h (day 0.33); the security force (20) waits for them.
    out = run(deterministic({"convoys.max_per_day": 1, "convoys.size_max": 5, "scenario.window_days": [1, 2], "scenario.horizon_days": 3}))
    assert out.columns["finished"] is False
    assert out.columns["never_finishes"] == (
        "at the horizon (day 3) 25 loads and 70 people still at the base: 5 convoys held at the gate by departure slots since day 0.3"
    )


def test_a_convoy_held_to_the_horizon_for_air_cover_says_so():
    s = deterministic({"air_cover.apaches": 4, "air_cover.share_of_convoys": 1.0, "weather.dust_day_probability": 1.0, "scenario.horizon_days": 40})
    out = run(s)  # every day is a dust day: the cargo convoy, loaded at 10 h, never gets its cover
    assert out.columns["never_finishes"] == (
        "at the horizon (day 40) 40 loads and 100 people still at the base: 1 convoy held at the gate by air cover since day 0.4"
    )


def test_a_base_that_never_starts_and_one_waiting_for_trucks_say_so_in_a_theatre():
    s = scenario_from({"scenario.horizon_days": 15, "scenario.window_days": [5, 10]}, ROOT / "scenarios" / "syria_2026_theatre.toml")
    theatre = simulate_one(prepare(s), 7, 0)[1].theatre  # seed 7: rmelan waits for qasrak, which is not empty by day 15
    assert theatre is not None and not theatre.finished
    for name, base in theatre.bases.items():
        if theatre.leaves[name] and not base.columns["finished"]:
            assert base.columns["never_finishes"].startswith(f"{AT_HORIZON} (day 15) "), name
    assert theatre.bases["rmelan"].columns["never_finishes"].endswith(": it never started (it starts when qasrak is empty)")
    assert "held at the gate by" in theatre.bases["qasrak"].columns["never_finishes"]


def test_a_finished_replication_names_nothing():
    out = run(deterministic())
    assert out.columns["finished"] is True and out.columns["never_finishes"] == ""


def test_a_file_that_can_never_seat_its_troops_is_refused_by_validate_with_the_seats_missing():
    from typer.testing import CliRunner

    from sim.cli import app

    sets = ["airlift.c130j.allowed=false", "people.troops=800", "people.security_force=100", "vehicles.count=100", "vehicles.seats=2"]
    sets += ["people.seats_per_convoy=0"]
    result = CliRunner().invoke(app, ["validate", str(ROOT / "scenarios" / "qasrak_baseline.toml"), *(a for s in sets for a in ("--set", s))])
    # 700 troops before the security force; 100 vehicles of 2 seats (their crews) seat 200; none can shuttle back
    assert result.exit_code == 3, result.output
    words = " ".join(result.output.split())
    assert "people.troops" in words and "seat at most 200 (500 seats missing)" in words


def test_a_base_waiting_for_trucks_repaired_at_another_base_is_told_when_they_are_back():
    # seed 7, replication 392 of the shipped theatre: Rmelan waited from day 23.5 for a HET under repair at Life Stone,
    # which came back there without a word; Life Stone waited for Rmelan's military trucks; neither finished by day 150
    s = scenario_from({}, ROOT / "scenarios" / "syria_2026_theatre.toml")
    theatre = simulate_one(prepare(s), 7, 392)[1].theatre
    assert theatre is not None and theatre.finished, {n: o.columns["never_finishes"] for n, o in theatre.bases.items()}
