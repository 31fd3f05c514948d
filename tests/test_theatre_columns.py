"""Each base's columns of a theatre's table are that base's own: what its convoys used of the pools they share
(Apache sorties, escort team-hours, crossing lanes) and what they went without (air cover), charged to the base
whose convoy it was; a base that stays has none of it; and the bases' figures add up to the theatre's."""

from __future__ import annotations

from pathlib import Path

import pytest
import simpy

from sim.model.counting import CountingEnvironment
from sim.model.theatre import Theatre
from sim.replication import inputs_for, prepare, record, run_batch, simulate_one, streams_for
from sim.scenario.draws import resolve
from sim.scenario.loading import load_scenario, validate_table
from tests.theatre_tables import SRC, crossing, leg, small_base, small_theatre, to_toml

SHIPPED = Path(__file__).resolve().parents[1] / "scenarios" / "syria_2026_theatre.toml"

ADDS_UP = ("apache_sorties", "convoys_uncovered", "air_cover_hours_short")
"""Columns of each base whose sum over the bases is the theatre's ``theatre.<column>``."""


def two_bases_under_one_apache(**extra_sites) -> dict:
    """Two bases sharing ten trucks, ten escort teams and one Apache flying two sorties a day; every convoy needs cover
    and goes with what the day has left (``when_short = "go"``)."""
    pools = {
        "shared": {
            "title": "shared trucks, escorts and an Apache",
            "fleet": {"civilian": {"count": 10, "source": SRC}},
            "escort": {"teams": 10, "source": SRC},
            "air_cover": {"apaches": 1, "source": SRC},
        }
    }
    table = small_theatre(
        {"a": small_base(), "b": small_base(), "x": crossing(), **extra_sites},
        [leg("a", "x", 100), leg("b", "x", 50), leg("a", "b", 50), leg("x", "erbil", 100), *(leg(k, "x", 100) for k in extra_sites)],
        pools=pools,
    )
    table["air_cover"].update(share_of_convoys=1.0, when_short="go")
    return table


def row_of(table: dict) -> dict:
    _, outcome, events = simulate_one(prepare(validate_table(table, "", "test")), 1, 0)
    return record(0, {}, outcome, events)


def test_each_base_is_charged_what_its_own_convoys_flew_went_without_and_kept_busy():
    # A's convoy leaves at 1 h with 2 h of Syrian leg (A-X 100 km at 50 km/h): ceil(2 / 1.5) = 2 sorties, the day's two.
    # B's convoy leaves at 13.5 h (it waits for the trucks, test_theatre's first case) with a 1 h leg: no sortie is left
    # that day, so it goes uncovered for its whole hour. Escort: A's team is out 2 h and back 2 h (4 team-hours), B's
    # 1 h and 1 h (2); crossing: each convoy holds the one lane 1 h.
    row = row_of(two_bases_under_one_apache())
    assert row["base.a.days_to_base_empty"] == pytest.approx(1.0 / 24) and row["base.b.days_to_base_empty"] == pytest.approx(13.5 / 24)
    assert (row["base.a.apache_sorties"], row["base.a.convoys_uncovered"], row["base.a.air_cover_hours_short"]) == (2, 0, 0.0)
    assert (row["base.b.apache_sorties"], row["base.b.convoys_uncovered"], row["base.b.air_cover_hours_short"]) == (0, 1, pytest.approx(1.0))
    assert (row["theatre.apache_sorties"], row["theatre.convoys_uncovered"], row["theatre.air_cover_hours_short"]) == (2, 1, pytest.approx(1.0))
    # busy shares over each base's own hours to empty: ten teams, one lane, two sorties a day
    assert row["base.a.utilisation.escort teams"] == pytest.approx(4 / (10 * 1.0))
    assert row["base.b.utilisation.escort teams"] == pytest.approx(2 / (10 * 13.5))
    assert row["base.b.utilisation.crossing lanes"] == pytest.approx(1 / 13.5)
    assert row["base.b.utilisation.apaches"] == 0.0


def test_a_base_that_stays_used_nothing_and_carried_nothing():
    # K stays (leaves = 0): 5 vehicles and 2 troops to crew them would leave 4 vehicles to carry, had it moved.
    k = small_base(leaves=0.0, vehicles={"count": 5, "crew": 2, "source": SRC}, people={"troops": 2, "security_force": 0, "source": SRC})
    k["cargo"]["classes"]["general"]["carriers"] = ["civilian"]
    row = row_of(two_bases_under_one_apache(k=k))
    assert row["base.k.leaves"] is False
    for column in (*ADDS_UP, "convoys", "sorties", "vehicles_carried", "utilisation.escort teams", "utilisation.apaches", "utilisation.crossing lanes"):
        assert row[f"base.k.{column}"] == 0, column
    assert row["theatre.convoys_uncovered"] == row["base.a.convoys_uncovered"] + row["base.b.convoys_uncovered"] == 1
    theatre = run_theatre(two_bases_under_one_apache(k=k))
    assert not theatre.leaves["k"] and theatre.bases["k"].people.vehicles_carried == 4  # the column says what went: none


def test_on_the_shipped_theatre_the_bases_add_up_to_the_theatre_and_those_that_stay_have_nothing():
    rows, _, _ = run_batch(prepare(load_scenario(SHIPPED).scenario), 7, range(12))
    bases = sorted({c.split(".")[1] for row in rows for c in row if c.startswith("base.")})
    assert len(bases) == 4
    stayed = 0
    for row in rows:
        for column in ADDS_UP:
            assert sum(row[f"base.{b}.{column}"] for b in bases) == pytest.approx(row[f"theatre.{column}"], abs=1e-9), column
        # the one-base columns at the top are the main base's own, as its other columns are
        assert (row["convoys_uncovered"], row["apache_sorties"]) == (row["base.qasrak.convoys_uncovered"], row["base.qasrak.apache_sorties"])
        for b in (b for b in bases if not row[f"base.{b}.leaves"]):
            stayed += 1
            for column in (*ADDS_UP, "vehicles_carried", "utilisation.escort teams", "utilisation.apaches", "utilisation.crossing lanes"):
                assert row[f"base.{b}.{column}"] == 0, (b, column)
    assert stayed > 0  # Kharab al-Jir and Life Stone each stay in about half the replications or more


def run_theatre(table_or_scenario, index: int = 0) -> Theatre:
    scenario = table_or_scenario if not isinstance(table_or_scenario, dict) else resolve(validate_table(table_or_scenario, "", "test"), {})
    env = CountingEnvironment()
    theatre = Theatre(env, scenario, streams_for(1, index))
    theatre.start()
    env.run(until=simpy.AnyOf(env, [theatre.done(), env.timeout(theatre.horizon_hours)]))
    return theatre


def test_the_escort_team_hours_charged_to_the_bases_are_the_pools_busy_hours():
    theatre = run_theatre(two_bases_under_one_apache())
    a, b = theatre.bases["a"].escort, theatre.bases["b"].escort
    assert (a.team_hours_busy, b.team_hours_busy) == (pytest.approx(4.0), pytest.approx(2.0))
    assert a.pools[0] is b.pools[0] and a.pools[0].team_hours_busy == pytest.approx(6.0)
    prepared = prepare(load_scenario(SHIPPED).scenario)
    for index in range(4):
        shipped = run_theatre(prepared.drawn(inputs_for(prepared, 7, index)), index)
        pools = {id(p): p for evac in shipped.bases.values() for p in evac.escort.pools}
        charged = sum(evac.escort.team_hours_busy for evac in shipped.bases.values())
        assert charged == pytest.approx(sum(p.team_hours_busy for p in pools.values()))
        lanes = sum(sum(evac.crossings.lane_hours.values()) for evac in shipped.bases.values())
        assert lanes == pytest.approx(sum(point.lane_hours_busy for point in shipped.shared.crossings.values()))


def test_the_summary_the_warnings_and_the_report_say_whose_cover_and_whose_busy_share_each_figure_is(tmp_path):
    from sim import api
    from sim.report.render import summary_rows

    table = two_bases_under_one_apache()
    table["sites"]["a"]["title"], table["sites"]["b"]["title"] = "Ay", "Bee"
    path = tmp_path / "two_bases.toml"
    path.write_text(to_toml(table))
    summary = api.run(path, 2, out=tmp_path / "out", figures=False, jobs=1).summary
    # only Bee's convoy went short (1 an hour uncovered, every replication the same): Ay's figures say none
    assert "air_cover_short" not in summary["bases"]["a"] and "air_cover_short" not in summary  # the top-level is Ay's, the main base
    assert summary["bases"]["b"]["air_cover_short"] == {"convoys_uncovered": 1.0, "hours_short": pytest.approx(1.0)}
    assert summary["theatre"]["air_cover_short"] == {"convoys_uncovered": 1.0, "hours_short": pytest.approx(1.0)}
    short = [w for w in summary["warnings"] if "Apache cover" in w]
    assert short == [
        'Bee: 1.0 convoys per replication left without their whole Syrian leg under Apache cover (air_cover.when_short = "go"), '
        "1.0 hours uncovered per replication"
    ]
    # the report's summary table is the main base's: its busy shares of what the bases share are its convoys' share
    _, _, waits = summary_rows(summary)
    labels = {row.label: row.value for row in waits}
    assert labels["busy with Ay's convoys: escort teams"] == "40%"  # 4 team-hours of 10 teams x 1 h
    assert "busy: loading teams" in labels and not any("short of Apache cover" in label for label in labels)


def test_a_base_that_moves_in_some_replications_says_its_figures_per_replication_are_over_those():
    from sim.analysis.theatre import theatre_warnings

    cover = '0.5 convoys per replication left without their whole Syrian leg under Apache cover (air_cover.when_short = "go"), 0.3 hours'
    bases = {"q": {"title": "Qasrak", "warnings": []}, "k": {"title": "Kharab al-Jir", "share_moving": 0.24, "warnings": [cover]}}
    assert theatre_warnings(bases, {"unfinished_at_horizon": 0}, 100) == [f"Kharab al-Jir: {cover} (of the replications in which it moves: 24% of all)"]
