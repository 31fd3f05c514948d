"""The what-if page as an ASGI application (Starlette): the page, its script and style, and a small JSON API.

Safety model (docs/SERVE.md):

- every request must carry the session's random token: in the address (``?token=...``, as Jupyter prints
  it), or in the cookie the first such request sets (HttpOnly, SameSite=Strict); a request that changes
  anything (POST) must also carry it in the ``X-Evacsim-Token`` header, which no other site's page can
  set. Anything else gets 403;
- on the loopback address only ``localhost`` / ``127.0.0.1`` are accepted as the Host (no DNS rebinding);
- the page, its script and its style are files of this package, served with a Content-Security-Policy
  that lets the page load and connect to nothing but this server (no internet at run time);
- the page sends lever values only: :class:`~sim.whatif.levers.LeverSet` checks each against the
  whitelist and its range; nothing sent is executed, evaluated, or used as a file path.

Routes: ``GET /`` the page; ``GET /static/{app.js,style.css}``; ``GET /api/state`` (scenario, levers,
answer); ``POST /api/view`` (levers and day D); ``GET /api/events`` (Server-Sent Events: the answer each
time more replications arrive); ``POST /api/keep`` (save the scenario, the results folder and the report).
"""

from __future__ import annotations

import asyncio
import json
import math
import secrets
from collections.abc import AsyncIterator, Callable, MutableMapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sim.whatif.levers import LeverError, LeverSet
from sim.whatif.session import WhatIf

COOKIE = "evacsim_token"
HEADER = "x-evacsim-token"
STATIC = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
"""The only files the page loads besides itself, all shipped in ``sim/whatif/static``."""

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page may load scripts and styles from this server only, and connect to nothing else: no internet at run time."""
REFUSED = "403: this page needs the token that `evacsim serve` printed with its address (open the address it printed)"


def new_token() -> str:
    """A random token for the page's address: 32 bytes from the operating system's generator, URL-safe."""
    return secrets.token_urlsafe(32)


def _cookie_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            for part in value.decode("latin-1").split(";"):
                key, _, token = part.strip().partition("=")
                if key == COOKIE:
                    return token
    return None


def _query_token(scope: Scope) -> str | None:
    from urllib.parse import parse_qs

    found = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
    return found[0] if found else None


def _header(scope: Scope, wanted: bytes) -> str | None:
    for name, value in scope.get("headers", []):
        if name == wanted:
            return value.decode("latin-1")
    return None


def token_allows(token: str, method: str, query: str | None, cookie: str | None, header: str | None) -> bool:
    """Whether a request may pass: a GET with the token in its address or cookie; a POST with it in its header too."""

    def same(given: str | None) -> bool:
        return given is not None and secrets.compare_digest(given.encode(), token.encode())

    if method in ("GET", "HEAD"):
        return same(query) or same(cookie)
    return same(header) and (same(query) or same(cookie))


class TokenGate:
    """ASGI middleware: 403 for any request without the session's token (see :func:`token_allows`)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        allowed = token_allows(self.token, scope["method"], _query_token(scope), _cookie_token(scope), _header(scope, HEADER.encode()))
        if not allowed:
            await PlainTextResponse(REFUSED, status_code=403)(scope, receive, send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _finite(value: Any) -> Any:
    """JSON has no infinity or NaN: they go as null (the page says "after the horizon" or "none")."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _json(data: Any, status_code: int = 200) -> JSONResponse:
    return JSONResponse(_finite(data), status_code=status_code)


@dataclass
class Page:
    """What the page's routes share: the session, its levers, the day D asked about and how to keep a view."""

    session: WhatIf
    levers: LeverSet
    token: str
    ranking: str
    by_day: float
    keep: Callable[[WhatIf, float], dict[str, Any]] | None = None
    chosen: dict[str, float] = field(default_factory=dict)
    stopping: Callable[[], bool] = lambda: False
    """True once the server is shutting down: the event streams of open pages end."""

    def state(self) -> dict[str, Any]:
        s = self.session
        info = s.loaded.scenario.scenario
        return {
            "scenario": {
                "title": info.title,
                "file": s.loaded.path,
                "start": info.start,
                "window_days": list(s.window),
                "horizon_days": s.horizon,
                "theatre": s.theatre,
                "seed": s.seed,
                "executor": s.executor.description,
            },
            "network": _network(s),
            "ranking": self.ranking,
            "levers": [lever.as_dict() for lever in self.levers.levers],
            "chosen": self.chosen,
            "by_day": self.by_day,
            "answer": {**s.answer(self.by_day), "by_day": self.by_day},
        }


def _network(session: WhatIf) -> dict[str, Any] | None:
    """A theatre's sites (with latitude and longitude) and roads, for the page's map; None on one base."""
    from sim.scenario.schema import TheatreScenario
    from sim.scenario.theatre_layout import network_json

    scenario = session.loaded.scenario
    return network_json(scenario) if isinstance(scenario, TheatreScenario) else None


def create_app(page: Page, loopback: bool = True) -> Starlette:
    """The application for one what-if session; ``loopback`` accepts only local Host names."""

    async def index(request: Request) -> Response:
        html = resources.files("sim.whatif").joinpath("static/index.html").read_text(encoding="utf-8")
        response = HTMLResponse(html.replace("{{TOKEN}}", page.token))
        response.set_cookie(COOKIE, page.token, httponly=True, samesite="strict")
        return response

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("404: no such file", status_code=404)
        body = resources.files("sim.whatif").joinpath(f"static/{name}").read_text(encoding="utf-8")
        return Response(body, media_type=STATIC[name])

    async def state(request: Request) -> Response:
        return _json(await run_in_threadpool(page.state))

    async def view(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return _json({"error": "the request is not JSON"}, 400)
        if not isinstance(body, dict):
            return _json({"error": "send {levers: {path: number}, by_day: number}"}, 400)
        by_day = body.get("by_day", page.by_day)
        if isinstance(by_day, bool) or not isinstance(by_day, (int, float)) or not 0 < by_day <= page.session.horizon:
            return _json({"error": f"day D must be a number of days from 0 to the horizon, {page.session.horizon:g}"}, 400)
        chosen = body.get("levers", {})
        try:
            overrides = page.levers.overrides(chosen)
            await run_in_threadpool(page.session.choose, overrides)
        except LeverError as exc:
            return _json({"error": str(exc)}, 400)
        except Exception as exc:  # a scenario the change makes invalid (e.g. more than a feasibility check allows)
            return _json({"error": f"this change makes the scenario invalid: {exc}"}, 400)
        page.chosen = {str(k): float(v) for k, v in chosen.items()}
        page.by_day = float(by_day)
        with page.session.changed:
            page.session.version += 1
            page.session.changed.notify_all()
        return _json({"overrides": list(overrides), "by_day": page.by_day})

    async def events(request: Request) -> Response:
        async def stream() -> AsyncIterator[str]:
            version = -1
            while not page.stopping() and not await request.is_disconnected():
                now = await run_in_threadpool(page.session.wait, version, 1.0)
                if now != version:
                    version = now
                    answer = await run_in_threadpool(page.session.answer, page.by_day)
                    answer["by_day"] = page.by_day
                    yield f"data: {json.dumps(_finite(answer))}\n\n"
                    await asyncio.sleep(0.15)  # at most a few updates a second: the page stays readable
                else:
                    yield ": still here\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def keep(request: Request) -> Response:
        if page.keep is None:
            return _json({"error": "keeping is not available in this session"}, 400)
        from sim.whatif.keep import KeepError

        try:
            found = await run_in_threadpool(page.keep, page.session, page.by_day)
        except KeepError as exc:
            return _json({"error": str(exc)}, 409)
        except Exception as exc:  # a folder that cannot be written, workers lost: said on the page, the session stays up
            return _json({"error": f"{type(exc).__name__}: {exc}"}, 500)
        return _json(found)

    routes = [
        Route("/", index),
        Route("/static/{name}", static),
        Route("/api/state", state),
        Route("/api/view", view, methods=["POST"]),
        Route("/api/events", events),
        Route("/api/keep", keep, methods=["POST"]),
    ]
    middleware = [Middleware(TokenGate, token=page.token)]
    if loopback:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=["127.0.0.1", "localhost", "[::1]"]))
    return Starlette(routes=routes, middleware=middleware)


# ---- starting a session -------------------------------------------------------------------------------

RANK_REPLICATIONS = 200
"""Replications of the unchanged scenario the levers are ranked on, run before the address is printed."""


def open_page(
    loaded: Any,
    executor: Any,
    seed: int,
    replications: int,
    by_day: float | None = None,
    rank_replications: int = RANK_REPLICATIONS,
    keep: bool = True,
    token: str | None = None,
) -> Page:
    """A started what-if session with its levers ranked on the unchanged scenario's first ``rank_replications``."""
    from sim.whatif.keep import keep_view
    from sim.whatif.levers import rank_inputs, scenario_levers

    session = WhatIf(loaded, executor, seed, replications)
    session.start()
    count = min(rank_replications, replications)
    if not session.until(count, timeout=3600.0, overrides=()):
        session.close()
        raise RuntimeError(session.error or "the first replications did not come back")
    rows, days = session.unchanged_inputs(count)
    ranking = rank_inputs(rows, days)
    levers = LeverSet(loaded.scenario, scenario_levers(loaded.scenario, ranking))
    note = (
        f"Uncertain inputs ranked by their rank correlation (Spearman) with the date over the unchanged scenario's first {count} "
        "replications: a quick ranking made at start-up, not the tornado or EVPPI (evacsim sensitivity, evacsim evidence)."
    )
    window_end = float(loaded.scenario.scenario.window_days[1])
    return Page(session, levers, token or new_token(), note, by_day if by_day is not None else window_end, keep_view if keep else None)
