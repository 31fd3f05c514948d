"""The what-if page without a browser: the lever whitelist, the token, the answer's numbers and the kept scenario file."""

from __future__ import annotations

import asyncio
import math
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest

from sim.scenario.distributions import Triangular
from sim.scenario.draws import numeric_fields
from sim.scenario.loading import load_scenario
from sim.whatif.answer import date_answer, difference_sentence, paired_answer
from sim.whatif.keep import changed_scenario_text
from sim.whatif.levers import LeverError, LeverSet, scenario_levers
from sim.whatif.session import index_ranges
from tests.conftest import BASELINE, ROOT

pytest.importorskip("starlette", reason="starlette is not installed (pip install -e '.[serve]')")
from sim.whatif.app import COOKIE, TokenGate, token_allows

THEATRE = ROOT / "scenarios" / "syria_2026_theatre.toml"


@pytest.fixture(scope="module")
def loaded():
    return load_scenario(BASELINE)


@pytest.fixture(scope="module")
def levers(loaded) -> LeverSet:
    return LeverSet(loaded.scenario, scenario_levers(loaded.scenario))


# ---- the whitelist --------------------------------------------------------------------------------


def test_the_levers_are_a_decision_the_resources_and_drawn_inputs_each_with_unit_range_and_kind_of_source(levers):
    by_path = levers.by_path
    convoys = by_path["convoys.max_per_day"]
    assert (convoys.group, convoys.action, convoys.unit, convoys.low, convoys.high) == ("decision", "set", "convoys a day", 1, 8)
    assert convoys.source_kind == "assumption"
    escort = by_path["escort.teams"]
    assert (escort.group, escort.action, escort.unit, escort.low, escort.high, escort.step) == ("resource", "add", "escort teams", 0, 6, 1)
    assert by_path["fleet.civilian.count"].source_kind == "report"
    loads = by_path["cargo.classes.general.loads"]
    assert (loads.group, loads.action, loads.unit, loads.low, loads.high) == ("input", "set", "truckloads", 150, 1000)
    assert loads.source_kind == "precedent"
    assert all(lever.label and "." not in lever.label for lever in levers.levers), "levers are named in words"


def test_the_theatre_levers_are_where_the_theatre_keeps_them():
    theatre = load_scenario(THEATRE).scenario
    paths = {lever.path for lever in scenario_levers(theatre)}
    assert {"pools.contracted.fleet.civilian.count", "sites.qasrak.loading.teams", "sites.al_waleed.lanes"} <= paths
    assert "fleet.civilian.count" not in paths
    # a lever that acts on one place names it, by the file's title (the page showed "loading teams to add" alone)
    said = {lever.path: lever.label for lever in scenario_levers(theatre)}
    assert said["sites.qasrak.loading.teams"] == f"loading teams to add at {theatre.sites['qasrak'].title}"
    assert said["sites.al_waleed.lanes"] == f"crossing lanes to add at {theatre.sites['al_waleed'].title}"
    assert said["pools.contracted.fleet.civilian.count"] == "contracted trucks to add"  # a pool is shared by its bases
    assert all(not label.endswith(" at ") for label in said.values())
    # the drawn inputs read by the file's titles ("Kharab al-Jir", not "Kharab al Jir" from the key)
    titles = {site.title for site in theatre.sites.values()}
    for path, words in said.items():
        if path.startswith("sites.") and ":" in words:
            assert words.split(":")[0] in titles, words


@pytest.mark.parametrize(
    ("chosen", "says"),
    [
        ({"scenario.horizon_days": 10}, "is not one of this page's levers"),
        ({"__import__('os').system('id')": 1}, "is not one of this page's levers"),
        ({"escort.teams": 7}, "outside the range 0 to 6 escort teams; nothing was changed"),
        ({"escort.teams": -1}, "outside the range"),
        ({"escort.teams": 1.5}, "not a whole number of escort teams"),
        ({"escort.teams": "2"}, "is not a number"),
        ({"escort.teams": True}, "is not a number"),
        ({"escort.teams": math.nan}, "is not a number"),
        ({"convoys.max_per_day": 0}, "outside the range 1 to 8 convoys a day"),
    ],
)
def test_a_lever_outside_the_whitelist_or_its_range_is_refused_not_capped(levers, chosen, says):
    with pytest.raises(LeverError, match=re.escape(says)):
        levers.overrides(chosen)


def test_a_resource_added_shifts_its_distribution_whole_through_the_set_parsing(levers, loaded):
    overrides = levers.overrides({"escort.teams": 2, "fleet.civilian.count": 0})
    assert overrides == ('escort.teams={dist = "triangular", low = 5, mode = 8, high = 12}',), "adding 0 changes nothing"
    changed = load_scenario(BASELINE, overrides).scenario
    assert changed.escort.teams == Triangular(dist="triangular", low=5, mode=8, high=12)


def test_a_set_lever_pins_the_input_at_the_number_given(levers):
    overrides = levers.overrides({"convoys.max_per_day": 3, "cargo.classes.general.loads": 600})
    assert overrides == ("cargo.classes.general.loads=600", "convoys.max_per_day=3")
    fields = numeric_fields(load_scenario(BASELINE, overrides).scenario)
    assert fields["convoys.max_per_day"] == 3 and fields["cargo.classes.general.loads"] == 600


# ---- the token ------------------------------------------------------------------------------------


def test_the_token_is_needed_in_the_address_or_cookie_and_for_a_change_in_a_header_too():
    token = "s3cret"
    assert token_allows(token, "GET", token, None, None)
    assert token_allows(token, "GET", None, token, None)
    assert not token_allows(token, "GET", None, None, None)
    assert not token_allows(token, "GET", "s3cre", None, None)
    assert not token_allows(token, "POST", None, token, None), "a cookie alone cannot change the view (another site's form)"
    assert token_allows(token, "POST", None, token, token)
    assert not token_allows(token, "POST", None, token, "wrong")


def _call(gate: TokenGate, path: str, query: str = "", headers: list[tuple[bytes, bytes]] | None = None) -> tuple[int, dict[bytes, bytes]]:
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": headers or []}
    asyncio.run(TokenGate(app, gate.token)(scope, receive, send))
    start = sent[0]
    return start["status"], dict(start["headers"])


def test_the_gate_refuses_a_request_without_the_token_and_forbids_outside_scripts():
    gate = TokenGate(lambda *a: None, "s3cret")  # type: ignore[arg-type]
    assert _call(gate, "/api/state")[0] == 403
    status, headers = _call(gate, "/api/state", "token=s3cret")
    assert status == 200
    assert b"script-src 'self'" in headers[b"content-security-policy"] and b"connect-src 'self'" in headers[b"content-security-policy"]
    assert _call(gate, "/", headers=[(b"cookie", f"{COOKIE}=s3cret".encode())])[0] == 200


# ---- the answer -----------------------------------------------------------------------------------


def test_the_date_is_the_median_with_its_calendar_day_and_p_out_by_day_counts_the_replications():
    days = np.arange(1.0, 11.0)  # 1 .. 10 days
    found = date_answer(days, "2026-02-23T00:00:00+03:00", 150.0, 5.0, (3.0, 6.0))
    assert found["p50_days"] == 5.5 and found["p50_date"] == "28 Feb 2026"
    assert found["p_by_day"]["estimate"] == 0.5 and found["by_day_date"] == "28 Feb 2026"
    assert found["p_window"]["estimate"] == 0.4
    assert found["p_by_day"]["ci_low"] < 0.5 < found["p_by_day"]["ci_high"]


def test_a_replication_that_never_finishes_is_never_out_by_day_d_and_its_date_is_after_the_horizon():
    days = np.array([10.0, np.inf, np.inf])
    found = date_answer(days, "2026-02-23", 150.0, 200.0, (15.0, 30.0))
    assert found["p_by_day"]["estimate"] == pytest.approx(1 / 3)
    assert found["p50_days"] is None and found["p50_date"] is None and found["never"] == 2


def test_the_paired_difference_says_days_sooner_with_its_interval():
    a = np.array([20.0, 22.0, 18.0, 25.0])
    b = a - np.array([2.0, 2.2, 1.8, 2.0])
    paired = paired_answer(a, b, 150.0, 20.0)
    assert paired["days_sooner"] == pytest.approx(2.0)
    assert paired["days_sooner_low"] < 2.0 < paired["days_sooner_high"]
    assert difference_sentence(paired).startswith("2.0 days sooner (95% CI ")
    assert difference_sentence(paired_answer(b, a, 150.0, 20.0)).startswith("2.0 days later (95% CI ")


def test_batches_start_small_one_per_worker_then_grow():
    assert list(index_ranges(400, 2, first=50, largest=200)) == [(0, 50), (50, 100), (100, 200), (200, 300), (300, 400)]
    assert list(index_ranges(40, 1, first=50)) == [(0, 40)]


# ---- keeping a view -------------------------------------------------------------------------------


def test_the_kept_scenario_gives_the_views_numbers_and_says_what_the_user_set_keeping_the_old_source(levers, tmp_path):
    overrides = levers.overrides({"escort.teams": 2, "convoys.max_per_day": 3})
    text = changed_scenario_text(BASELINE.read_text(), overrides, "2026-12-04 18:00 UTC")
    path = Path(tmp_path) / "kept.toml"
    path.write_text(text)
    kept = load_scenario(path)
    assert numeric_fields(kept.scenario) == numeric_fields(load_scenario(BASELINE, overrides).scenario)
    line = next(x for x in text.splitlines() if x.startswith("teams = {dist"))
    assert '# set by the user in evacsim serve on 2026-12-04 18:00 UTC; was {dist = "triangular", low = 3, mode = 6, high = 10}' in line
    escort = tomllib.loads(text)["escort"]
    old = tomllib.loads(BASELINE.read_text())["escort"]
    assert escort["source"].startswith("set by the user in evacsim serve on 2026-12-04 18:00 UTC: teams = ")
    assert escort["source"].endswith("Before: " + old["source"])
    assert kept.scenario.escort.kind_of("teams") == "assumption"
    assert kept.scenario.escort.kind_of("vehicles_per_team") == "report", "the other fields keep their kinds"
    assert kept.scenario.convoys.kind_of("size_max") == "report"


# ---- the command ----------------------------------------------------------------------------------


def test_serve_refuses_a_bad_scenario_with_exit_status_3(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app

    result = CliRunner().invoke(app, ["serve", str(tmp_path / "missing.toml")])
    assert result.exit_code == 3, result.output


def test_serve_says_when_its_port_is_taken_with_exit_status_2():
    import socket

    from typer.testing import CliRunner

    from sim.cli import app

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", str(BASELINE), "--port", str(port)])
    finally:
        taken.close()
    assert result.exit_code == 2
    assert f"--port {port}: cannot listen there" in " ".join(result.output.split())


# ---- stale work ---------------------------------------------------------------------------------------


def test_moving_a_lever_again_stops_the_work_of_the_view_before_it(loaded, levers):
    from sim.experiment.executors import InProcess
    from sim.whatif.session import WhatIf

    session = WhatIf(loaded, InProcess(), seed=7, replications=60)
    session.first_batch = 10  # batches of 10, 20, 30 replications
    session.start()
    try:
        assert session.until(60, 600, overrides=())
        first = levers.overrides({"escort.teams": 1})
        second = levers.overrides({"escort.teams": 2})
        session.choose(first)
        assert session.until(10, 600, overrides=first)
        session.choose(second)
        assert session.until(60, 600, overrides=second)
        stale = int(session.views[first].tally.have.sum())
        assert 10 <= stale < 60, "the first change stopped at the batch in flight when the lever moved again"
        answer = session.answer(30.0)
        assert answer["overrides"] == list(second) and answer["replications"] == 60 and not answer["refining"]
    finally:
        session.close()


def test_serve_refuses_a_day_d_past_the_horizon_with_exit_status_2():
    from typer.testing import CliRunner

    from sim.cli import app

    result = CliRunner().invoke(app, ["serve", str(BASELINE), "--by-day", "400"])
    assert result.exit_code == 2
    assert "at most the scenario's horizon of 150 days" in " ".join(result.output.split())


def test_a_change_keeps_the_command_lines_own_set_overrides(levers):
    from sim.experiment.executors import InProcess
    from sim.whatif.session import WhatIf

    session = WhatIf(load_scenario(BASELINE, ["loading.teams=3"]), InProcess(), seed=7, replications=20)
    view = session.view_for(levers.overrides({"escort.teams": 1}))
    assert view.loaded.scenario.loading.teams == 3
    assert view.loaded.overrides == ("loading.teams=3", *view.overrides)


@pytest.fixture(scope="module")
def page_at_day_25(tmp_path_factory):
    """The page on the baseline with escort teams set to 8 and day D = 25 (12 replications, seed 7): what it showed,
    and the view kept."""
    from sim.experiment.executors import InProcess
    from sim.whatif.keep import keep_view
    from sim.whatif.session import WhatIf

    session = WhatIf(load_scenario(BASELINE), InProcess(), seed=7, replications=12)
    session.first_batch = 12
    session.start()
    try:
        session.choose(["escort.teams=8"])
        assert session.until(12, timeout=600)
        shown = session.answer(25.0)
        found = keep_view(session, 25.0, root=tmp_path_factory.mktemp("kept"))
    finally:
        session.close()
    return shown, found


def test_a_kept_view_is_the_run_the_page_showed_on_its_day_d(page_at_day_25):
    """Keep this view with day D = 25 set on the page: the kept summary and report say P(out by day 25), with the
    number the page showed, not the scenario's window end (day 30)."""
    import json

    shown, found = page_at_day_25
    summary = json.loads((Path(found["results"]) / "summary.json").read_text())
    assert summary["headline"]["by_day"] == 25
    assert summary["headline"]["p_by_day"]["estimate"] == shown["changed"]["p_by_day"]["estimate"]
    assert "P(out by day 25)" in summary["verdict"] and "by day 30)" not in summary["verdict"]
    assert summary["headline"]["measure"]["column"] == "days_to_base_empty"
    report = Path(found["report"]).read_text()
    assert "P(out by day 25)" in report
    assert "P(out by day 30)" not in report


def test_the_page_and_compare_give_the_same_figures_and_intervals_on_the_same_pairs(page_at_day_25, tmp_path):
    """`evacsim compare --set escort.teams=8 --by-day 25 -n 12 --seed 7` and the page on the same 12 pairs: the same
    days sooner and the same change of P(out by day 25), each with the same 95% CI (Newcombe's for the chance)."""
    from sim import api

    shown, _ = page_at_day_25
    compared = api.compare(BASELINE, overrides=["escort.teams=8"], replications=12, seed=7, by_day=25.0, out=tmp_path / "c", figures=False, jobs=1)
    measured = compared.summary["measured"]
    paired = shown["paired"]
    assert paired["replications"] == measured["pairs"] == 12
    days, chance = measured["days"], measured["p_by_day"]
    assert paired["days_sooner"] == pytest.approx(-days["difference"])
    assert (paired["days_sooner_low"], paired["days_sooner_high"]) == pytest.approx((-days["ci_high"], -days["ci_low"]))
    assert paired["p_by_day_points"] == pytest.approx(100 * chance["difference"])
    assert (paired["p_by_day_points_low"], paired["p_by_day_points_high"]) == pytest.approx((100 * chance["ci_low"], 100 * chance["ci_high"]))
    assert paired["probability_interval"].startswith("Newcombe")


def test_the_pages_interval_on_a_change_of_chance_stays_within_100_points():
    """Three pairs, one of which the change makes miss day 20: a t interval on the 0/1 differences would reach
    -177 points; Newcombe's stays inside -100 to +100."""
    paired = paired_answer(np.array([10.0, 10.0, 10.0]), np.array([10.0, 10.0, 25.0]), 150.0, 20.0)
    assert paired["p_by_day_points"] == pytest.approx(-100 / 3)
    assert -100 <= paired["p_by_day_points_low"] < paired["p_by_day_points"] < paired["p_by_day_points_high"] <= 100
