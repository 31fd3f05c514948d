"""The theatre: several bases on a road network, each mechanism on a small hand-computed case,
and the one-base shorthand against its explicit network and against the code before the theatre."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import ks_2samp
from typer.testing import CliRunner

from sim.cli import app
from sim.model.theatre import simulate
from sim.replication import inputs_for, prepare, record, run_batch, simulate_one, streams_for
from sim.scenario.draws import resolve, set_values
from sim.scenario.loading import ScenarioError, load_scenario, read_toml, validate_table
from tests.theatre_tables import crossing, explicit_network, leg, small_base, small_theatre, to_toml

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def run(table: dict, trace: bool = True):
    scenario = validate_table(table, "", "test")
    outcome, _ = simulate(resolve(scenario, {}), streams_for(1, 0), trace=trace)
    return outcome, outcome.theatre


def convoys_of(outcome) -> list[dict]:
    return [e for e in outcome.timeline if e["kind"] == "convoy"]


def test_two_bases_share_one_truck_pool_the_second_waits_for_the_trucks_the_first_holds():
    # Ten contracted trucks start at A (the first base listed). A's convoy: loads 0-1 h, A-X 2 h (to 3),
    # crossing 1 h (to 4), X-erbil 2 h (arrives 6), unloads 1 h (7), back 2 h (9), empty crossing 0.5 h (9.5),
    # X-A 2 h (11.5). A needs no more trucks: they drive A-B 1 h (12.5). B loads 1 h (13.5), B-X 1 h (14.5),
    # crosses 1 h (15.5), X-erbil 2 h: closes at 17.5 h.
    table = small_theatre(
        {"a": small_base(), "b": small_base(), "x": crossing()},
        [leg("a", "x", 100), leg("b", "x", 50), leg("a", "b", 50), leg("x", "erbil", 100)],
    )
    main, theatre = run(table)
    a, b = theatre.bases["a"], theatre.bases["b"]
    assert a.hours_to_base_empty == pytest.approx(1.0) and a.hours_to_force_closure == pytest.approx(6.0)
    assert b.hours_to_base_empty == pytest.approx(13.5) and b.hours_to_force_closure == pytest.approx(17.5)
    assert b.waits["trucks"] == pytest.approx(12.5)
    assert theatre.hours_to_last_out == pytest.approx(15.5)
    assert main is a
    # passages: each loaded trip and each empty return (counted as it sets off, B's at 17.5 h), and the drive A-B
    assert theatre.leg_convoys == {"a-x": 2, "b-x": 2, "a-b": 1, "x-erbil": 4}
    # truck-hours busy: A's trip 10 x 11.5 h, the drive to B 10 x 1 h (B's trip is not over when the last base closes)
    assert theatre.pool_utilisation["shared"] == pytest.approx((115 + 10) / (10 * 15.5))


def test_a_convoy_short_of_trucks_does_not_wait_for_a_het_standing_at_another_base_that_cannot_carry_its_cargo():
    # A has 4 loads only army trucks carry and 2 army trucks; convoys want 5 vehicles. The pool's one HET stands at
    # B, which has nothing to send: it will never drive over, so A sends what it has (it used to wait for ever).
    # First convoy: loads 1 h, A-X 2 h, crosses 1 h, X-erbil 2 h, unloads 1 h (7), back 2 h (9), empty crossing
    # 0.5 h, X-A 2 h (11.5); the second loads 1 h: A is empty at 12.5 h, and closes 2 + 1 + 2 h later, at 17.5 h.
    a = small_base(loads=4, pools=("army", "heavy"))
    a["cargo"]["classes"]["general"]["carriers"] = ["military"]
    b = small_base(loads=0, pools=("army", "heavy"))
    pools = {
        "army": {"title": "army trucks", "home": "a", "fleet": {"military": {"count": 2, "source": "t: test"}}, "escort": {"teams": 10, "source": "t: test"}},
        "heavy": {"title": "HETs", "home": "b", "fleet": {"het": {"count": 1, "source": "t: test"}}},
    }
    table = small_theatre({"a": a, "b": b, "x": crossing()}, [leg("a", "x", 100), leg("b", "x", 50), leg("a", "b", 50), leg("x", "erbil", 100)], pools)
    table["convoys"]["size_min"] = 5
    _, theatre = run(table)
    a_out = theatre.bases["a"]
    assert theatre.finished, {n: o.never_finishes for n, o in theatre.bases.items()}
    assert a_out.convoys == 2
    assert a_out.hours_to_base_empty == pytest.approx(12.5) and a_out.hours_to_force_closure == pytest.approx(17.5)


def test_a_base_short_of_trucks_looks_again_when_the_het_it_counted_on_comes_to_rest_at_another_base():
    # B sends its one heavy load on the pool's one HET at 1 h: B-X 1 h, crosses 1 h, X-erbil 2 h, unloads 1 h, back
    # 2 h, empty crossing 0.5 h, X-B 1 h: the HET is back at B at 9.5 h and stays (A has nothing it can carry).
    # A starts at 2.4 h with 4 army loads, 2 army trucks and convoys of 5 wanted: the HET is on the road, so A waits;
    # at 9.5 h it looks again (it used to wait for ever) and sends its 2 trucks: loads 1 h (10.5), out and back
    # 10.5 h (21), loads the last 2 (22 h, empty), which reach Erbil 2 + 1 + 2 h later (27 h).
    a = small_base(loads=4, pools=("army", "heavy"), start_day=0.1)
    a["cargo"]["classes"]["general"]["carriers"] = ["military"]
    b = small_base(loads=1, pools=("army", "heavy"))
    b["cargo"]["classes"]["general"]["carriers"] = ["het"]
    pools = {
        "army": {"title": "army trucks", "home": "a", "fleet": {"military": {"count": 2, "source": "t: test"}}, "escort": {"teams": 10, "source": "t: test"}},
        "heavy": {"title": "HETs", "home": "b", "fleet": {"het": {"count": 1, "source": "t: test"}}},
    }
    table = small_theatre({"a": a, "b": b, "x": crossing()}, [leg("a", "x", 100), leg("b", "x", 50), leg("a", "b", 50), leg("x", "erbil", 100)], pools)
    table["convoys"]["size_min"] = 5
    _, theatre = run(table)
    a_out = theatre.bases["a"]
    assert theatre.finished, {n: o.never_finishes for n, o in theatre.bases.items()}
    assert theatre.bases["b"].hours_to_base_empty == pytest.approx(1.0)
    assert a_out.waits["trucks"] == pytest.approx((9.5 - 2.4) + (21 - 10.5))  # for the HET, then for its own trucks
    assert a_out.hours_to_base_empty == pytest.approx(22.0) and a_out.hours_to_force_closure == pytest.approx(27.0)


def test_two_bases_each_holding_one_het_and_wanting_both_do_not_wait_for_each_other():
    # A and B each hold one HET and two loads only HETs carry; convoys want 5 vehicles. A waits first (for B's HET);
    # B does not wait for the HET of a base that waits itself (they used to wait for ever): it sends one load at 1 h,
    # is back at 9.5 h (B-X 1 h, crossing 1 h, X-erbil 2 h, unloading 1 h, back 2 + 0.5 + 1 h) and sends the other
    # (empty at 10.5 h, closed at 14.5 h). Its HET is back at 19 h and drives to A (1 h): A loads both by 21 h.
    def het_base() -> dict:
        base = small_base(loads=2, pools=("one", "two"))
        base["cargo"]["classes"]["general"]["carriers"] = ["het"]
        return base

    pools = {
        "one": {"title": "A's HET", "home": "a", "fleet": {"het": {"count": 1, "source": "t: test"}}, "escort": {"teams": 10, "source": "t: test"}},
        "two": {"title": "B's HET", "home": "b", "fleet": {"het": {"count": 1, "source": "t: test"}}},
    }
    sites = {"a": het_base(), "b": het_base(), "x": crossing()}
    table = small_theatre(sites, [leg("a", "x", 100), leg("b", "x", 50), leg("a", "b", 50), leg("x", "erbil", 100)], pools)
    table["convoys"]["size_min"] = 5
    _, theatre = run(table)
    a_out, b_out = theatre.bases["a"], theatre.bases["b"]
    assert theatre.finished, {n: o.never_finishes for n, o in theatre.bases.items()}
    assert b_out.hours_to_base_empty == pytest.approx(10.5) and b_out.hours_to_force_closure == pytest.approx(14.5)
    assert a_out.hours_to_base_empty == pytest.approx(21.0) and a_out.hours_to_force_closure == pytest.approx(26.0)


def test_a_closed_crossing_sends_the_loaded_convoy_and_its_empty_return_to_the_other():
    # X is shut (a scheduled closure, known when convoys set out) from hour 3 for a day. The first convoy leaves at
    # 1 h: by X (A-X 2 h) it would wait there from 3 h to 27 h; by Y (A-Y 3 h) it crosses at 4-5 h, Y-erbil 2 h (7 h),
    # unloads (8 h). Back: by X it would wait from 10 h to 27 h; by Y, erbil-Y 2 h (10 h), crosses empty (0.5 h,
    # 10.5 h) and drives Y-A 3 h: back at 13.5 h, when the second convoy forms.
    closed = {"start_day": 3 / 24, "days": 1, "source": "assumption: a closure for the test"}
    table = small_theatre(
        {"a": small_base(loads=20), "x": crossing(scheduled_closures=[closed]), "y": crossing()},
        [leg("a", "x", 100), leg("a", "y", 150), leg("x", "erbil", 100), leg("y", "erbil", 100)],
    )
    main, theatre = run(table)
    first, second = convoys_of(main)
    assert first["legs"]["crossed"] == pytest.approx(5.0)
    assert first["legs"]["arrived"] == pytest.approx(7.0)
    assert first["legs"]["back"] == pytest.approx(13.5)
    assert second["formed"] == pytest.approx(13.5)
    # the second convoy leaves at 14.5 h: by X it would reach it at 16.5 h and wait 10.5 h (under the 12 h that makes
    # one arriving divert), crossing at 27-28 h; it goes by Y: there at 17.5 h, across at 18.5 h, at erbil at 20.5 h
    assert second["legs"]["crossed"] == pytest.approx(18.5) and main.hours_to_force_closure == pytest.approx(20.5)
    assert main.diversions == 2 and main.return_diversions == 2  # its empty return too (X still shut at 23.5 h)
    assert [c["waits"]["crossing"] for c in (first, second)] == pytest.approx([2.0, 2.0])  # A-Y is 1 h more, each way
    assert theatre.leg_wait_hours == {"a-x": 0.0, "a-y": 0.0, "x-erbil": 0.0, "y-erbil": 0.0}
    assert theatre.leg_convoys == {"a-x": 0, "a-y": 4, "x-erbil": 0, "y-erbil": 4}


def test_a_hub_receives_its_feeder_and_empties_after_it():
    # F sends to hub H: loads 0-1 h, F-H 1 h: its 10 loads are at H at 2 h (F closes). The trucks unload 1 h,
    # drive back 1 h (4 h) and, F needing none, on to H 1 h (5 h). H loads 1 h (6 h: empty), H-X 2 h, crosses
    # 1 h (9 h: the last out), X-erbil 2 h (11 h).
    table = small_theatre(
        {"f": small_base(send_to="h"), "h": small_base(loads=0, kind="hub"), "x": crossing()},
        [leg("f", "h", 50), leg("h", "x", 100), leg("x", "erbil", 100)],
    )
    _, theatre = run(table)
    f, h = theatre.bases["f"], theatre.bases["h"]
    assert f.hours_to_base_empty == pytest.approx(1.0) and f.hours_to_force_closure == pytest.approx(2.0)
    assert h.loads_inflow == 10 and h.loads_by_road == 10
    assert h.hours_to_base_empty == pytest.approx(6.0) and h.hours_to_force_closure == pytest.approx(11.0)
    assert theatre.hours_to_last_out == pytest.approx(9.0)


def test_a_hub_holding_the_trucks_lends_them_to_its_feeder_while_it_waits():
    # The trucks start at the hub H (listed first). With nothing to send yet, H lends them: H-F 1 h. F loads 1-2 h,
    # F-H 1 h (3 h: F closes), unload 1 h, back 1 h (5 h); F has finished: on to H 1 h (6 h). H loads 1 h (7 h),
    # H-X 2 h, crosses 1 h (10 h), X-erbil 2 h (12 h).
    table = small_theatre(
        {"h": small_base(loads=0, kind="hub"), "f": small_base(send_to="h"), "x": crossing()},
        [leg("f", "h", 50), leg("h", "x", 100), leg("x", "erbil", 100)],
    )
    _, theatre = run(table)
    f, h = theatre.bases["f"], theatre.bases["h"]
    assert f.hours_to_base_empty == pytest.approx(2.0) and f.hours_to_force_closure == pytest.approx(3.0)
    assert h.hours_to_base_empty == pytest.approx(7.0) and h.hours_to_force_closure == pytest.approx(12.0)
    assert theatre.hours_to_last_out == pytest.approx(10.0) and theatre.leg_convoys["f-h"] == 4


def test_a_base_that_starts_after_another_starts_when_that_one_is_empty():
    # A empties at 1 h (its convoy leaves); B, after A, then loads 1 h and leaves at 2 h, B-X 2 h, crosses 1 h (5 h).
    pools = {
        "pa": {"title": "A's trucks", "home": "a", "fleet": {"civilian": {"count": 10, "source": "t: test"}}, "escort": {"teams": 5, "source": "t: test"}},
        "pb": {"title": "B's trucks", "home": "b", "fleet": {"civilian": {"count": 10, "source": "t: test"}}, "escort": {"teams": 5, "source": "t: test"}},
    }
    table = small_theatre(
        {"a": small_base(pools=("pa",)), "b": small_base(pools=("pb",), after="a"), "x": crossing(lanes=2)},
        [leg("a", "x", 100), leg("b", "x", 100), leg("x", "erbil", 100)],
        pools,
    )
    _, theatre = run(table)
    assert theatre.bases["a"].hours_to_base_empty == pytest.approx(1.0)
    assert theatre.bases["b"].hours_to_base_empty == pytest.approx(2.0)
    assert theatre.hours_to_last_out == pytest.approx(5.0)


def test_a_base_that_stays_is_not_waited_for():
    table = small_theatre(
        {"a": small_base(), "k": small_base(loads=500, leaves=0.0), "x": crossing()},
        [leg("a", "x", 100), leg("k", "x", 100), leg("x", "erbil", 100)],
    )
    scenario = validate_table(table, "", "test")
    _, outcome, _ = simulate_one(prepare(scenario), 1, 0)
    row = record(0, {}, outcome, 0)
    assert row["base.k.leaves"] is False and math.isnan(row["base.k.days_to_base_empty"])
    assert row["base.a.leaves"] is True and row["theatre.days_to_last_out"] == pytest.approx(4.0 / 24)


def test_the_shorthand_and_its_explicit_network_give_the_same_replications():
    # one replication's drawn inputs (counts whole) pinned, so both forms read the same numbers; the model's own
    # draws (threats, crossings, weather, breakdowns, cover, pause) then come from the same streams in the same order
    table, _ = read_toml(ARTIFACTS / "one_base_before.toml")
    prepared = prepare(validate_table(table, "", "x"))
    values = inputs_for(prepared, 1, 0)
    one_base = set_values(prepared.base, {i.path: values[i.path] for i in prepared.inputs})
    network = validate_table(explicit_network(one_base.model_dump(mode="json", by_alias=True, exclude_none=True)), "", "network")
    for index in range(20):
        a, _ = simulate(one_base, streams_for(3, index))
        b, _ = simulate(network, streams_for(3, index))
        assert (a.hours_to_base_empty, a.hours_to_force_closure, a.convoys, a.waits) == (b.hours_to_base_empty, b.hours_to_force_closure, b.convoys, b.waits)


def test_the_one_base_file_gives_the_same_answer_as_the_code_before_the_theatre():
    before = np.load(ARTIFACTS / "one_base_before.npy")
    rows, _, _ = run_batch(prepare(load_scenario(ARTIFACTS / "one_base_before.toml").scenario), 2, range(800))  # against 2,000 from before
    after = np.array([r["days_to_base_empty"] for r in rows])
    assert ks_2samp(before, after).pvalue > 0.01


def test_a_leg_to_no_site_is_an_error_naming_the_leg():
    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "nowhere", 100)])
    with pytest.raises(ScenarioError, match=r"the 2nd \[\[legs\]\], field to \(legs\.1\.to\): no site named 'nowhere'"):
        validate_table(table, "", "test")


def two_bases_file(tmp_path: Path, **changes) -> Path:
    table = small_theatre(
        {"a": small_base(), "b": small_base(), "x": crossing()},
        [leg("a", "x", 100), leg("b", "x", 50), leg("a", "b", 50), leg("x", "erbil", 100)],
        **changes,
    )
    path = tmp_path / "two_bases.toml"
    path.write_text(to_toml(table))
    return path


def cli(*args: object):
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result


def test_run_on_a_theatre_writes_the_bases_the_theatre_the_network_and_each_bases_burndown(tmp_path):
    out = tmp_path / "out"
    result = cli("run", "--no-figures", two_bases_file(tmp_path), "-n", 5, "--jobs", 1, "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["days_to_base_empty"]["mean"] == pytest.approx(1 / 24)  # the main base (a), as today's keys
    assert summary["bases"]["b"]["days_to_base_empty"]["mean"] == pytest.approx(13.5 / 24)
    assert summary["bases"]["b"]["title"] == "a base" and summary["bases"]["b"]["share_left"] == 1.0
    for b in summary["bases"].values():  # keys that say what they hold, beside the old ones scripts read
        assert b["share_moving"] == b["share_left"] == 1.0
        assert b["window_verdict"] == b["verdict"] and "under 15 days" in b["window_verdict"]  # the window sentence, not the date
    theatre = summary["theatre"]
    assert theatre["days_to_last_out"]["p50"] == pytest.approx(15.5 / 24)
    assert theatre["p_within"]["20"]["estimate"] == 1.0 and theatre["reported_end_days"] == [20, 30, 60]
    assert theatre["binding"].startswith("trucks: convoys of all bases waited 12 convoy-hours")
    network = json.loads((out / "network.json").read_text())
    assert [s["name"] for s in network["sites"]] == ["a", "b", "x", "erbil"]
    assert {"from": "a", "to": "b", "km": 50.0} in network["legs"]
    burndown = pd.read_parquet(out / "burndown.parquet")
    assert {"cargo_loads.a", "people.a", "cargo_loads.b", "people.b"} <= set(burndown.columns)
    assert burndown.loc[burndown.day == 0, "cargo_loads.b"].tolist() == [10] * 5
    rows = pd.read_parquet(out / "replications.parquet")
    assert not any(c.startswith("burndown.") for c in rows.columns)
    assert rows["leg.a-b.convoys"].tolist() == [1] * 5 and rows["base.b.leaves"].all()
    assert result.output.index("everyone out") < result.output.index("a base") < result.output.index("as a check")


def test_set_reaches_a_bases_field_by_its_dotted_path(tmp_path):
    from sim import api

    # the library's run, which `evacsim run --set` calls, without drawing the figures (the override is under test)
    summary = api.run(two_bases_file(tmp_path), 2, overrides=["sites.b.cargo.classes.general.loads=20"], out=tmp_path / "out", figures=False).summary
    # B's second convoy needs the trucks back from B's first: B-X 1 h, crossing 1 h, X-erbil 2 h, unload 1 h,
    # back 2 h + 0.5 h + 1 h: they are at B at 13.5 + 8.5 = 22 h and B's last convoy leaves at 23 h.
    assert summary["bases"]["b"]["days_to_base_empty"]["mean"] == pytest.approx(23 / 24)


def test_a_theatre_run_with_base_says_whose_each_figure_of_its_summary_is(tmp_path):
    from sim import api

    path = two_bases_file(tmp_path)
    path.write_text(path.read_text().replace('title = "a base"', 'title = "Ay"', 1))
    summary = api.run(path, 3, out=tmp_path / "out", figures=False, jobs=1, overrides=['sites.b.title="Bee"'], base="b").summary
    # the one-base keys at the top are the main base's, for scripts written for one base: the file says so
    assert summary["base"]["name"] == "a" and summary["base"]["title"] == "Ay" and summary["base"]["role"] == "the main base"
    for key in summary["base"]["figures"]:
        if key != "window_verdict":
            assert summary[key] == summary["bases"]["a"][key], key
    assert {"days_to_base_empty", "p_15_to_30", "window_verdict"} <= set(summary["base"]["figures"])
    assert summary["window_verdict"].startswith("Ay (the main base): ")
    # the headline, the verdict and the window check are the base --base names, and say so
    assert summary["headline"]["base"] == {"name": "b", "title": "Bee"}
    assert summary["verdict"].startswith("Bee is empty") and "days to Bee empty" in summary["window_check"]
    whole = api.run(path, 2, out=tmp_path / "whole", figures=False, jobs=1).summary
    assert whole["headline"]["base"] is None and whole["base"]["name"] == "a"


def test_a_theatre_file_with_a_broken_reference_exits_3_naming_the_file_line_and_field(tmp_path):
    path = two_bases_file(tmp_path)
    path.write_text(path.read_text().replace('pools = ["shared"]', 'pools = ["nowhere"]', 1))
    result = cli("validate", path)
    assert result.exit_code == 3
    assert "sites.a.pools: no pool named 'nowhere'; pools are shared" in result.output
    assert f"{path}:" in result.output and "Traceback" not in result.output


def test_a_one_base_group_at_the_top_of_a_theatre_is_refused_with_where_it_goes(tmp_path):
    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    table["people"] = table["sites"]["a"]["people"]
    with pytest.raises(ScenarioError, match=r"`people` is a one-base group.*\[sites.<base>.people\]"):
        validate_table(table, "", "test")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["sites"]["a"].update(send_to="x"), r"sites\.a\.send_to: must name another site of kind hub"),
        (lambda t: t["sites"]["a"].update(after="a"), r"sites\.a\.after: a base cannot wait for itself"),
        (lambda t: t["sites"]["x"].pop("kind"), r"sites\.x: a site needs kind = base, hub, crossing or destination"),
        (lambda t: t["pools"]["shared"].update(home="nowhere"), r"pools\.shared\.home: must be 'theatre' or a base's name"),
        (lambda t: t["legs"].pop(), r"sites\.a: no road leads from the crossings a reaches to a destination"),
        (lambda t: t["legs"].pop(0), r"sites\.a: no road leads from a to a border crossing"),
    ],
)
def test_network_mistakes_are_errors_naming_the_field(change, message):
    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    change(table)
    with pytest.raises(ScenarioError, match=message):
        validate_table(table, "", "test")


def test_bench_on_a_theatre_reports_seconds_per_convoy_against_the_baseline(tmp_path):
    from benchmarks.bench import SECONDS_PER_CONVOY_VS_BASELINE, run_bench

    figures = run_bench(str(two_bases_file(tmp_path)), seconds=1, jobs=1)
    assert figures["convoys_per_replication"] == 2.0
    assert figures["seconds_per_convoy"] == pytest.approx(figures["wall_seconds_one_core"] / (2 * figures["replications_one_core"]))
    ratio = figures["seconds_per_convoy_vs_baseline"]
    assert figures["theatre_seconds_per_convoy"] == figures["seconds_per_convoy"]
    assert ratio["of_sums"] == pytest.approx(figures["seconds_per_convoy"] / figures["baseline_seconds_per_convoy"])
    assert ratio["value"] == ratio["rounds"]["median"] and ratio["rounds"]["q25"] <= ratio["value"] <= ratio["rounds"]["q75"]
    assert ratio["target"] == SECONDS_PER_CONVOY_VS_BASELINE == 1.1 and ratio["met"] == (ratio["value"] <= 1.1)


def test_schema_documents_the_one_base_file_and_the_theatre():
    from sim.scenario.provenance import schema_json

    schema = schema_json()
    assert [ref["$ref"] for ref in schema["oneOf"]] == ["#/$defs/Scenario", "#/$defs/TheatreScenario"]
    theatre = schema["$defs"]["TheatreScenario"]["properties"]
    assert {"sites", "legs", "pools", "theatre"} <= set(theatre)
    assert "start_day" in schema["$defs"]["BaseSite"]["properties"] and "leaves" in schema["$defs"]["BaseSite"]["properties"]


def test_one_base_checks_run_base_by_base_on_a_theatre_naming_the_bases_field():
    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    table["sites"]["a"]["cargo"]["classes"]["general"]["carriers"] = ["het"]  # the pool has contracted trucks only
    with pytest.raises(ScenarioError, match=r"sites\.a\.cargo\.classes\.general\.carriers: no carrier in \['het'\] can ever take this cargo"):
        validate_table(table, "", "test")


def test_bounds_of_a_theatre_are_those_of_its_main_base_as_one_base():
    from sim.analysis.bounds import capacity_bounds

    table, _ = read_toml(ARTIFACTS / "one_base_before.toml")
    one_base = validate_table(table, "", "x")
    network = validate_table(explicit_network(table), "", "network")
    alone = {b.resource: b.days for b in capacity_bounds(one_base) if "crossing" not in b.resource}
    theatre = {b.resource: b.days for b in capacity_bounds(network) if "crossing" not in b.resource}
    assert theatre == pytest.approx(alone)


def test_a_threat_closing_the_first_road_at_departure_sends_the_convoy_by_another_open_route():
    # A threat closes A-X from hour 0 to 5. The convoy, loaded at 1 h, finds A-X shut and A-Y open: A-Y 3 h (4 h),
    # crosses at Y (5 h), Y-erbil 2 h: closes at 7 h (by A-X after the closure it would have arrived at 10 h).
    import simpy

    from sim.model.calendar import Closures
    from sim.model.theatre import Theatre

    table = small_theatre(
        {"a": small_base(), "x": crossing(), "y": crossing()},
        [leg("a", "x", 100), leg("a", "y", 150), leg("x", "erbil", 100), leg("y", "erbil", 100)],
    )
    env = simpy.Environment()
    theatre = Theatre(env, resolve(validate_table(table, "", "test"), {}), streams_for(1, 0), build=False)
    theatre.threats[0] = Closures([(0.0, 5.0)])
    theatre._build_bases()
    a = theatre.bases["a"]
    assert a.roads.route_out(None, 1.0).crossing == "y" and a.roads.route_out(None, 6.0).crossing == "x"
    assert theatre.shared.first_roads_closed("a", None).intervals == []  # A-Y is open: nothing holds a convoy at the gate
    theatre.start()
    env.run(until=simpy.AnyOf(env, [theatre.done(), env.timeout(theatre.horizon_hours)]))
    assert theatre.outcome().bases["a"].hours_to_force_closure == pytest.approx(7.0)


def test_set_reaches_a_leg_by_its_index_and_names_a_bad_one(tmp_path):
    from sim.scenario.loading import apply_overrides

    table = small_theatre({"a": small_base(), "x": crossing()}, [leg("a", "x", 100), leg("x", "erbil", 100)])
    assert apply_overrides(table, ["legs.1.km=150"])["legs"][1]["km"] == 150
    said = r"the 3rd \[\[legs\]\], field km \(legs\.2\.km\): '2' is not one of the entries: there are 2, counted from 0 in a dotted path \(0 to 1\)"
    with pytest.raises(ScenarioError, match=said):
        apply_overrides(table, ["legs.2.km=150"])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    loads=st.lists(st.integers(0, 60), min_size=3, max_size=3),
    troops=st.lists(st.integers(0, 40), min_size=3, max_size=3),
    vehicles=st.lists(st.integers(0, 12), min_size=3, max_size=3),
    trucks=st.integers(3, 15),
    hub=st.booleans(),
    after=st.booleans(),
    home=st.sampled_from(["theatre", "a", "b", "c"]),
    seed=st.integers(0, 1000),
)
def test_random_theatres_finish_and_lose_nothing(loads, troops, vehicles, trucks, hub, after, home, seed):
    """Three bases, one of them perhaps a hub the others feed, one perhaps after another, the pool's trucks
    anywhere: every replication finishes, each base conserves its cargo, people and vehicles (checked inside the
    model), closes after it empties, and the last out is no earlier than any base that leaves the country."""

    def base(i: int, **extra):
        b = small_base(loads=loads[i], **extra)
        # every vehicle has its crew (more vehicles than crews would need lowboys or HETs, as for one base)
        b["people"] = {"troops": troops[i], "security_force": troops[i] // 4, "seats_per_convoy": 10, "source": "t: test"}
        b["vehicles"] = {"count": min(vehicles[i], (troops[i] - troops[i] // 4) // 2), "crew": 2, "seats": 4, "source": "t: test"}
        b["cargo"]["classes"]["general"]["carriers"] = ["civilian", "military"]
        return b

    sites = {
        "a": base(0, send_to="c") if hub else base(0),
        "b": base(1, after="a") if after else base(1),
        "c": base(2, kind="hub") if hub else base(2),
        "x": crossing(lanes=2),
    }
    legs = [leg("a", "c", 60), leg("b", "c", 80), leg("c", "x", 100), leg("b", "x", 150), leg("x", "erbil", 120)]
    pools = {
        "shared": {
            "title": "shared",
            "home": home,
            "fleet": {"civilian": {"count": trucks, "source": "t: test"}, "military": {"count": 3, "source": "t: test"}},
            "escort": {"teams": 3, "source": "t: test"},
        }
    }
    table = small_theatre(sites, legs, pools)
    table["convoys"]["size_min"] = 2
    table["fleet"]["civilian"] = {"cab_seats": 1, "source": "t: test"}  # troops without a seat ride in the cabs
    scenario = validate_table(table, "", "test")
    _, outcome, _ = simulate_one(prepare(scenario), seed, 0)
    theatre = outcome.theatre
    assert theatre.finished, {n: o.never_finishes for n, o in theatre.bases.items()}
    for name, o in theatre.bases.items():
        assert o.hours_to_force_closure >= o.hours_to_base_empty >= 0, name
        assert o.loads_by_road + o.loads_by_air == o.loads_at_start - o.loads_handed_over + o.loads_inflow, name
        assert o.people_by_road + o.people_by_air == o.people_at_start + o.people_inflow, name
        if not hub or name != "a":
            assert theatre.hours_to_last_out >= o.hours_to_base_empty - 1e-9 or o.people_at_start + o.loads_at_start == 0, name


def test_a_base_starts_on_its_start_day_and_packs_out_from_then():
    # B starts at day 0.5 (12 h) with nothing staged and packs 240 loads a day (10 an hour): its 10 loads are
    # staged at 13 h, loaded by 14 h; B-X 2 h, crossing 1 h: out at 17 h.
    pools = {
        "pa": {"title": "A's", "home": "a", "fleet": {"civilian": {"count": 10, "source": "t: test"}}, "escort": {"teams": 5, "source": "t: test"}},
        "pb": {"title": "B's", "home": "b", "fleet": {"civilian": {"count": 10, "source": "t: test"}}, "escort": {"teams": 5, "source": "t: test"}},
    }
    b = small_base(pools=("pb",), start_day=0.5)
    b["cargo"].update(staged_at_start=0.0, packout_loads_per_day=240)
    table = small_theatre(
        {"a": small_base(pools=("pa",)), "b": b, "x": crossing(lanes=2)},
        [leg("a", "x", 100), leg("b", "x", 100), leg("x", "erbil", 100)],
        pools,
    )
    table["convoys"]["size_min"] = 10  # a convoy waits for all ten loads
    _, theatre = run(table)
    assert theatre.bases["b"].hours_to_base_empty == pytest.approx(14.0)
    assert theatre.hours_to_last_out == pytest.approx(17.0)


def test_a_base_that_may_stay_is_left_in_about_its_share_of_replications():
    table = small_theatre(
        {"a": small_base(), "k": small_base(leaves=0.3), "x": crossing()},
        [leg("a", "x", 100), leg("k", "x", 100), leg("x", "erbil", 100)],
    )
    rows, _, _ = run_batch(prepare(validate_table(table, "", "test")), 1, range(400))
    left = np.array([r["base.k.leaves"] for r in rows])
    assert 0.22 < left.mean() < 0.38  # 0.3 within about 3.5 standard errors
    assert np.isnan([r["base.k.days_to_base_empty"] for r in rows if not r["base.k.leaves"]]).all()


def test_marginal_adds_each_resource_where_the_theatre_keeps_it():
    from sim.experiment.analyses import marginal_variants, theatre_path
    from sim.scenario.loading import load_scenario

    theatre = load_scenario(Path("scenarios/syria_2026_theatre.toml")).scenario
    assert theatre_path(theatre, "fleet.civilian.count") == "pools.contracted.fleet.civilian.count"
    assert theatre_path(theatre, "fleet.military.count") == "pools.army.fleet.military.count"
    assert theatre_path(theatre, "loading.teams") == "sites.qasrak.loading.teams"
    assert theatre_path(theatre, "crossing.main.lanes") == "sites.al_waleed.lanes"
    variants = dict(marginal_variants(theatre))
    before = theatre.pools["contracted"].fleet.civilian.count
    after = variants["contracted trucks +10"].pools["contracted"].fleet.civilian.count
    assert after.p50 == pytest.approx(before.p50 + 10)


def test_nowcast_reads_a_theatres_crossings_by_their_titles_first_main_then_alternate():
    from sim.experiment.nowcast import crossing_roles
    from sim.scenario.loading import load_scenario

    theatre = load_scenario(Path("scenarios/syria_2026_theatre.toml")).scenario
    titles = [site.title for site in theatre.sites.values() if site.kind == "crossing"]
    assert crossing_roles(theatre) == {titles[0]: "main", titles[1]: "alternate"}


def test_the_console_s_window_check_is_on_what_the_verdict_measures_and_agrees_with_the_report(tmp_path):
    # issue: the console's "seed's 15-30 days" table was Qasrak's (45% inside) while the report's check with the same
    # title was the whole withdrawal's (60%): both now say which and give the same figures
    from sim import cli as cli_module
    from sim.report.render import report_context

    for base, subject in ((None, "the days to the last out (the whole withdrawal, not one base)"), ("b", "the days to a base empty")):
        out = tmp_path / f"out-{base}"
        result = cli("run", "--no-figures", two_bases_file(tmp_path), "-n", 3, "--jobs", 1, "--out", out, *(("--base", base) if base else ()))
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "summary.json").read_text())
        assert summary["headline"]["window_subject"] == subject
        said = " ".join(result.output.split())
        assert f"The seed's 15-30 days, as a check on {subject}: probability (95% CI)" in said
        assert f"as a check on {subject}: inside in" in report_context(out)["headline"]["check"]
    # the figures are the verdict's measure, not the main base's: make the two differ and read the console
    summary["p_15_to_30"] = {"estimate": 0.45, "ci_low": 0.4, "ci_high": 0.5}
    summary["headline"]["p_window"] = {"estimate": 0.6, "ci_low": 0.55, "ci_high": 0.65}
    with cli_module.console.capture() as captured:
        cli_module._print_summary("t", summary, (15.0, 30.0), "2026-02-23T00:00:00+03:00")
    text = captured.get()
    assert "60.0%  (55.0-65.0%)" in text and "45.0%" not in text


def test_the_main_base_s_own_warnings_name_it_as_every_other_base_s_do_and_a_pool_reads_mid_sentence():
    from types import SimpleNamespace

    from sim.analysis.theatre import binding, name_the_main_base

    crew = "in 3% of replications the troops could not crew every vehicle (2 people each, sites.qasrak.vehicles.crew)"
    other = "planned sorties waited 1.5 hours per replication for a place on the strip"
    cover = '3.5 convoys per replication left without their whole Syrian leg under Apache cover (air_cover.when_short = "go")'
    assert name_the_main_base([other, crew, cover], "Qasrak") == [other, f"Qasrak: {crew}", f"Qasrak: {cover}"]  # its convoys' own
    assert name_the_main_base([f"Qasrak: {crew}"], "Qasrak") == [f"Qasrak: {crew}"]  # said once
    rows = pd.DataFrame({"base.a.wait_hours.trucks": [10.0, 14.0], "utilisation.civ": [0.8, 0.9], "utilisation.het": [0.1, 0.2]})
    layout = SimpleNamespace(bases=("a",), legs=(), pools={"civ": "Contracted trucks and lowboys", "het": "HETs"})
    assert "the busiest pool is contracted trucks and lowboys (85% of its truck-hours busy)" in binding(rows, layout, ("trucks",))
    layout.pools = {"civ": "HETs from Kuwait", "het": "x"}
    assert "the busiest pool is HETs from Kuwait" in binding(rows, layout, ("trucks",))
