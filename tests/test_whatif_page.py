"""The what-if page in a real browser: open it with its token, move a lever, see the date and P(out by day D) move,
and find the numbers `evacsim run` gives with the same inputs and seed (same replications, same numbers).

Playwright drives the machine's Chromium (``/usr/bin/chromium``, installed in CI by .ci/install-chromium) through
``executable_path``: it never downloads a browser. Skipped when Chromium or Playwright is missing.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from tests.conftest import BASELINE, ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
uvicorn = pytest.importorskip("uvicorn", reason="uvicorn is not installed (pip install -e '.[serve]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium, or .ci/install-chromium)")

from sim import api  # noqa: E402
from sim.experiment.executors import InProcess  # noqa: E402
from sim.whatif.answer import closure, date_answer  # noqa: E402
from sim.whatif.app import Page, create_app, open_page  # noqa: E402
from sim.whatif.keep import keep_view  # noqa: E402

REPLICATIONS = 40
SEED = 20260223
BY_DAY = 20.0
WAIT_MS = 240_000


@contextmanager
def serving(scenario: Path, replications: int) -> Iterator[tuple[str, Page]]:
    """The page for ``scenario`` on ``replications`` a view, served on a free port of 127.0.0.1."""
    page = open_page(api.load(scenario), InProcess(), SEED, replications, by_day=BY_DAY, rank_replications=replications, keep=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(page), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", page
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        page.session.close()
        sock.close()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, Page]]:
    with serving(BASELINE, REPLICATIONS) as found:
        yield found


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_request_without_the_token_is_refused(served):
    base, page = served
    assert _status(f"{base}/") == 403
    assert _status(f"{base}/api/state") == 403
    assert _status(f"{base}/static/app.js") == 403
    assert _status(f"{base}/?token=not-the-token") == 403
    assert _status(f"{base}/?token={page.token}") == 200


def _wait_for(pg, replications: int, moved: bool) -> None:
    pg.wait_for_function(
        "([n, moved]) => { const s = document.getElementById('status');"
        " return s && s.dataset.replications === String(n) && (s.dataset.overrides !== '') === moved; }",
        arg=[replications, moved],
        timeout=WAIT_MS,
    )


def test_moving_a_lever_moves_the_date_and_gives_what_evacsim_run_gives(served, tmp_path):
    base, page = served
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 900})
            pg.goto(f"{base}/?token={page.token}")
            _wait_for(pg, REPLICATIONS, moved=False)
            before_date = pg.inner_text("#date-p50")
            before_days = float(pg.get_attribute("#date-p50", "data-value"))
            before_p = float(pg.get_attribute("#p-by-day", "data-value"))
            # The page fits a 1,280 px laptop screen: no horizontal scroll.
            assert pg.evaluate("document.documentElement.scrollWidth") <= 1280

            pg.fill("#lever-convoys-max_per_day", "1")  # one convoy a day instead of the drawn 1-3
            _wait_for(pg, REPLICATIONS, moved=True)
            after_date = pg.inner_text("#date-p50")
            after_days = float(pg.get_attribute("#date-p50", "data-value"))
            after_p = float(pg.get_attribute("#p-by-day", "data-value"))
            difference = pg.inner_text("#difference")
            status = pg.inner_text("#status")
            overrides = pg.get_attribute("#status", "data-overrides").split("\n")
            assert pg.evaluate("document.documentElement.scrollWidth") <= 1280

            # Keep this view: the scenario file, the results folder and the report, as evacsim run and report write them.
            page.keep = partial(keep_view, root=tmp_path / "kept")
            pg.click("#keep")
            pg.wait_for_function("() => document.getElementById('kept').textContent.startsWith('Kept:')", timeout=WAIT_MS)
        finally:
            browser.close()

    assert overrides == ["convoys.max_per_day=1"]
    assert after_days > before_days and after_date != before_date, "one convoy a day should bring the date later"
    assert after_p < before_p
    assert "days later (95% CI" in difference and f"same {REPLICATIONS} replications" in difference
    assert f"{REPLICATIONS} of {REPLICATIONS} replications" in status

    # `evacsim run --set convoys.max_per_day=1 -n 40 --seed 20260223`: the same replications, the same numbers.
    run = api.run(BASELINE, REPLICATIONS, seed=SEED, overrides=overrides, out=tmp_path / "run", figures=False, jobs=1)
    rows = pq.read_table(run.folder / "replications.parquet").to_pandas().sort_values("replication")
    assert rows["replication"].tolist() == list(range(REPLICATIONS))
    info = api.load(BASELINE).scenario.scenario
    expected = date_answer(closure(rows["days_to_base_empty"], rows["finished"]), info.start, float(info.horizon_days), BY_DAY, tuple(info.window_days))
    assert after_days == expected["p50_days"]
    assert after_date == expected["p50_date"]
    assert after_p == expected["p_by_day"]["estimate"]
    assert np.isclose(run.summary["days_to_base_empty"]["p50"], expected["p50_days"])

    (kept,) = (tmp_path / "kept").iterdir()
    assert (kept / "run" / "report.html").is_file()
    manifest = json.loads((kept / "run" / "manifest.json").read_text())
    assert (manifest["overrides"], manifest["seed"], manifest["replications"]) == (overrides, SEED, REPLICATIONS)
    summary = json.loads((kept / "run" / "summary.json").read_text())
    assert summary["days_to_base_empty"]["p50"] == run.summary["days_to_base_empty"]["p50"]
    scenario_text = (kept / "qasrak_baseline-whatif.toml").read_text()
    assert "max_per_day = 1  # set by the user in evacsim serve on " in scenario_text


def test_a_theatre_shows_each_base_on_the_network_map_and_fits_the_screen():
    with serving(ROOT / "scenarios" / "syria_2026_theatre.toml", 20) as (base, page):
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            try:
                pg = browser.new_page(viewport={"width": 1280, "height": 900})
                pg.goto(f"{base}/?token={page.token}")
                _wait_for(pg, 20, moved=False)
                # Read the cells' own text: a row's innerText carries tabs between cells only once it is laid out.
                pg.wait_for_function("() => document.querySelectorAll('#bases-body tr').length === 4", timeout=WAIT_MS)
                rows = ["\t".join(row.locator("td").all_text_contents()) for row in pg.locator("#bases-body tr").all()]
                shown = pg.is_visible("#bases")
                circles = pg.locator("#map circle").count()
                measure = pg.inner_text("#status")
                width = pg.evaluate("document.documentElement.scrollWidth")
            finally:
                browser.close()
    assert [r.split("\t")[1] for r in rows] == ["Qasrak", "Rmelan", "Kharab al-Jir", "Life Stone"]
    assert all(re.search(r"\d{1,2} [A-Z][a-z]{2} 2026 \(day ", r) or "does not move" in r for r in rows), rows  # 10 Mar 2026
    assert circles == 4 and shown
    assert "days to the last out of the country" in measure
    assert width <= 1280
