"""How fast the what-if page answers a change: time from a lever moving to the first answer and to 1,000 replications.

A benchmark, not a test: run it on a machine as quiet as you can (it prints the load average it started
and ended with, and says so when the machine was busy)::

    python benchmarks/serve_latency.py                      # one base and the theatre, 2 workers
    python benchmarks/serve_latency.py --screenshot docs/img/serve.png

For each scenario it starts a session as ``evacsim serve`` does (a local pool of ``--jobs`` processes),
lets the unchanged scenario reach ``--replications`` (as it does while a planner reads the page), then
moves each of a few levers in turn and measures, from the call that moves it (what the page's POST does):

- ``first answer``: until the session publishes an answer over at least one replication of the change
  (the first batch of each worker, :data:`sim.whatif.session.FIRST_BATCH` replications each);
- ``1,000 replications``: until the change and the unchanged scenario are paired on ``--replications``.

With ``--screenshot PATH`` it also serves the one-base page, opens it in the machine's Chromium at
1,280 x 1,000 px (Playwright, no browser download), moves one lever and saves a screenshot.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

from sim import api
from sim.experiment.executors import make_executor
from sim.whatif.app import create_app, open_page
from sim.whatif.session import WhatIf

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "one base": (ROOT / "scenarios" / "qasrak_baseline.toml", [{"escort.teams": 1}, {"convoys.max_per_day": 3}, {"fleet.civilian.count": 20}]),
    "theatre": (
        ROOT / "scenarios" / "syria_2026_theatre.toml",
        [{"pools.escort.escort.teams": 1}, {"convoys.max_per_day": 3}, {"pools.contracted.fleet.civilian.count": 20}],
    ),
}


def _time_change(session: WhatIf, overrides: tuple[str, ...], replications: int) -> tuple[float, float, int]:
    """Seconds from moving to the first answer of the change and to ``replications`` paired, and the first answer's count."""
    started = time.perf_counter()
    session.choose(overrides)
    first, first_n, version = None, 0, -1
    while True:
        version = session.wait(version, 5.0)
        n = session.answer(30.0)["replications"]
        if first is None and n > 0:
            first, first_n = time.perf_counter() - started, n
        if n >= replications:
            return first or 0.0, time.perf_counter() - started, first_n
        if session.error:
            raise RuntimeError(session.error)


def measure(name: str, jobs: int, replications: int) -> dict[str, Any]:
    path, moves = CASES[name]
    executor = make_executor(jobs)
    try:
        page = open_page(api.load(path), executor, api.DEFAULT_SEED, replications, rank_replications=200, keep=False)
        session = page.session
        started = time.perf_counter()
        session.until(replications, 3600.0, overrides=())
        unchanged_seconds = time.perf_counter() - started
        rows = []
        for move in moves:
            overrides = page.levers.overrides(move)
            first, full, first_n = _time_change(session, overrides, replications)
            rows.append({"lever": move, "first_answer_s": round(first, 2), "first_answer_replications": first_n, f"to_{replications}_s": round(full, 2)})
            print(f"  {name}: {move}: first answer {first:.2f} s ({first_n} replications), {replications} replications {full:.2f} s", flush=True)
        session.close()
    finally:
        executor.close()
    return {
        "scenario": str(path.relative_to(ROOT)),
        "jobs": jobs,
        "unchanged_rest_s": round(unchanged_seconds, 2),
        "changes": rows,
        "first_answer_median_s": statistics.median(r["first_answer_s"] for r in rows),
        f"to_{replications}_median_s": statistics.median(r[f"to_{replications}_s"] for r in rows),
    }


def screenshot(out: Path, jobs: int) -> None:
    """The one-base page after a lever moved, 1,280 px wide, as docs/SERVE.md shows it."""
    import uvicorn
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("no chromium on this machine: apt-get install chromium")
    executor = make_executor(jobs)
    page = open_page(api.load(CASES["one base"][0]), executor, api.DEFAULT_SEED, 1000, keep=False)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(create_app(page), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            tab = browser.new_page(viewport={"width": 1280, "height": 1000})
            tab.goto(f"http://127.0.0.1:{sock.getsockname()[1]}/?token={page.token}")
            tab.wait_for_function("() => document.getElementById('status').dataset.replications === '1000'", timeout=600_000)
            tab.fill("#lever-escort-teams", "2")
            tab.wait_for_function(
                "() => { const s = document.getElementById('status'); return s.dataset.overrides !== '' && s.dataset.replications === '1000'; }",
                timeout=600_000,
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(out), full_page=True)
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        page.session.close()
        executor.close()
    print(f"screenshot: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--only", choices=sorted(CASES), default=None)
    parser.add_argument("--screenshot", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--screenshot-only", action="store_true", help="take the screenshot without timing anything")
    args = parser.parse_args()
    if args.screenshot_only:
        screenshot(args.screenshot or ROOT / "docs" / "img" / "serve.png", args.jobs)
        return
    load_before = os.getloadavg()
    found: dict[str, Any] = {"cores": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before]}
    for name in [args.only] if args.only else list(CASES):
        found[name] = measure(name, args.jobs, args.replications)
    found["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    if max(load_before[0], found["load_average_after"][0]) > 0.5 * (os.cpu_count() or 1):
        found["note"] = "the machine was busy (load average above half its cores): figures are slower than on a quiet machine"
    print(json.dumps(found, indent=2))
    if args.json:
        args.json.write_text(json.dumps(found, indent=2) + "\n")
    if args.screenshot:
        screenshot(args.screenshot, args.jobs)


if __name__ == "__main__":
    main()
