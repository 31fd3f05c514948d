"""``evacsim serve``: the what-if page, a local web application over the engine (:mod:`sim.whatif`).

Thin command: load the scenario, start the session on the executor every command uses, rank the
levers, print the address with its token, and serve until Ctrl-C (exit 130) or SIGTERM (143). A bad scenario exits 3,
a port that cannot be opened 2, the page's packages missing 6 (with the line that installs them).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sim.commands import _console
from sim.commands._console import EXIT_BAD_INPUT, EXIT_TERMINATED, EXIT_USAGE
from sim.commands._options import DEFAULT_SEED, ByDayOpt, DaskLocalOpt, JobsOpt, SchedulerOpt, SeedOpt, SetOpt
from sim.extras import EXIT_MISSING_EXTRA, MissingExtra

DEFAULT_SCENARIO = Path("scenarios/qasrak_baseline.toml")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def register(app: typer.Typer) -> None:
    app.command(name="serve")(serve_command)


def _socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def serve_command(
    scenario: Annotated[
        Path | None,
        typer.Argument(
            metavar="SCENARIO", help=f"scenario file (default: the shipped baseline, {DEFAULT_SCENARIO}, from the current folder)", show_default=False
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="address to listen on; anything but 127.0.0.1 shares the page on a network")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="port (0: any free one)")] = 0,
    replications: Annotated[int, typer.Option("--replications", "-n", min=20, help="replications each view refines to")] = 2000,
    by_day: ByDayOpt = None,
    seed: SeedOpt = DEFAULT_SEED,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    dask_local: DaskLocalOpt = None,
    set_: SetOpt = None,
) -> None:
    """A what-if page: move a lever, watch the date everyone is out move (local web page, address printed with its token)."""
    try:
        import uvicorn

        from sim.whatif.app import create_app, open_page
    except ImportError:
        _console.fail(str(MissingExtra("serve")), EXIT_MISSING_EXTRA)
    from sim.experiment.executors import make_executor

    if scenario is None and not DEFAULT_SCENARIO.exists():
        _console.fail(
            f"no scenario given, and the default, {DEFAULT_SCENARIO}, is read relative to the current folder ({Path.cwd()}), which has "
            "none: run evacsim serve from the evacsim folder, or give a scenario file: evacsim serve path/to/scenario.toml",
            EXIT_BAD_INPUT,
        )
    scenario = scenario or DEFAULT_SCENARIO
    loaded = _console.load(scenario, set_)
    horizon = float(loaded.scenario.scenario.horizon_days)
    if by_day is not None and not 0 < by_day <= horizon:
        _console.fail(f"--by-day {by_day:g}: day D must be after the start and at most the scenario's horizon of {horizon:g} days", EXIT_USAGE)
    try:
        sock = _socket(host, port)
    except OSError as exc:
        _console.fail(f"--host {host} --port {port}: cannot listen there ({exc.strerror or exc}); choose another --port, or 0 for any free one", EXIT_USAGE)
    shared = host not in LOOPBACK
    status = 0
    with _console.failures(), make_executor(jobs, scheduler, dask_local) as executor:
        _console.console.print(f"ranking the levers on the first replications of {escape(str(scenario))} ({escape(executor.description)})...")
        page = open_page(loaded, executor, seed, replications, by_day)
        try:
            where = host if ":" not in host else f"[{host}]"
            bound = sock.getsockname()[1]
            _console.console.print(f"[bold]The what-if page:[/] http://{where}:{bound}/?token={page.token}", soft_wrap=True)
            if shared:
                _console.warn(
                    f"listening on {host}, not only this machine: anyone who can reach it and has the address with its token can use the page and "
                    "run replications here, over plain http (not encrypted); use the default 127.0.0.1 unless you mean to share it"
                )
            _console.console.print("Ctrl-C stops it.")
            config = uvicorn.Config(create_app(page, loopback=not shared), log_level="warning", lifespan="off", timeout_graceful_shutdown=5)
            server = uvicorn.Server(config)
            page.stopping = lambda: server.should_exit  # open pages' event streams end, so the server stops at once
            try:
                server.run(sockets=[sock])
            except KeyboardInterrupt:  # uvicorn raises the signal again once it has shut down: the way to stop a server
                status = _console.interrupted_status()  # 130 after Ctrl-C, 143 after SIGTERM, as every command
            _console.console.print("stopped by SIGTERM." if status == EXIT_TERMINATED else "stopped.")
        finally:
            page.session.close()
            sock.close()
    raise typer.Exit(status)
