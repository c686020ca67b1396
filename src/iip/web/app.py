"""The FastAPI application: API routers, dashboard pages, local static assets, one error handler.

``create_app(db_path)`` holds the store (``app.state.store``, an :class:`iip.store.Store`: a DuckDB file or a
PostgreSQL URL), not a connection: every request gets its own connection, opened on first use and closed when the
response is sent (``iip.web.deps.get_con``), so on a DuckDB file other commands run between requests, and on
PostgreSQL many requests (and several worker processes) read and write at once. No asset comes from a CDN: Plotly.js is
served from the installed ``plotly`` package, Swagger UI 5 from ``fastapi-offline``'s static files.
"""

from __future__ import annotations

import gc
import gzip
import logging
import os
import re
import sys
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from iip.collection.writer import SubmissionWriter
from iip.web import errors, security
from iip.web.deps import LazyConnection
from iip.web.services.cache import WebCache

log = logging.getLogger("iip.web")
STATIC_DIR = Path(__file__).resolve().parent / "static"


def plotly_js() -> Path:
    """Path of the installed plotly.min.js (served locally, never from a CDN)."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / "plotly.min.js"


def swagger_dir() -> Path | None:
    """Swagger UI 5 (reads OpenAPI 3.1) as shipped by the fastapi-offline package (its static files only)."""
    try:
        import fastapi_offline
    except ImportError:
        return None
    d = Path(fastapi_offline.__file__).resolve().parent / "static"
    return d if (d / "swagger-ui-bundle.js").is_file() else None


class CloseConnection:
    """Pure ASGI middleware: close the request's connection once the response is sent."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        try:
            await self.app(scope, receive, send)
        finally:
            state = scope.get("state") if scope["type"] == "http" else None
            if isinstance(state, dict) and state.get("con") is not None:
                con, state["con"] = state["con"], None
                if con.is_open:     # off the event loop: closing the file may write a checkpoint
                    await anyio.to_thread.run_sync(con.close)


def _warm(store, cache: WebCache) -> None:
    """Compute the disclosure table and meta, and compile the rule query of submissions, once at start-up so the
    first visitor does not wait."""
    from iip import disclosure
    from iip.collection import submissions
    from iip.web.services import meta

    try:
        con = store.connect()
        try:
            meta.coverage(con)
            disclosure.suppression_table(con)
            submissions.prepare(con)
            n = cache.warm(con)
            gc.collect()
            gc.freeze()  # the cache's ~10^5 long-lived objects leave the collector's scans (no GC pauses)
            log.info("web cache warm: %d indicator x area blocks", n)
        finally:
            con.close()
    except Exception:
        log.exception("warm-up failed")
        cache.ready = True


#: How often (seconds) a thread busy in Python hands the interpreter lock to a waiting one, in the service
#: process (Python's default: 0.005). The submission checker and writer run Python between their queries; at 1 ms
#: a read waiting behind them (``/api/series``) gets the lock five times sooner (benchmarks/web.py).
SWITCH_INTERVAL = 0.001


def create_app(
    db_path: str | os.PathLike | None = None,
    *,
    read_only: bool = False,
    warm: bool = True,
    secure_cookies: bool | None = None,
) -> FastAPI:
    """The web application on the store at ``db_path``: a DuckDB file or a PostgreSQL URL (default: $IIP_DB or
    ./iip.duckdb).

    ``secure_cookies``: give cookies the Secure flag (True), never (False), or when the request came over
    HTTPS (None, the default; behind a proxy, from its X-Forwarded-Proto)."""
    from iip.store import Store

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        """Start the warm-up and watcher threads; when the app stops, wait for them (a thread still inside DuckDB
        when the interpreter exits aborts the process) and close the store."""
        sys.setswitchinterval(SWITCH_INTERVAL)
        stop = threading.Event()
        helpers = [threading.Thread(target=_warm, args=(app.state.store, app.state.cache), daemon=True,
                                    name="iip-web-warm"),
                   threading.Thread(target=app.state.plotly_gz, daemon=True, name="iip-web-plotly"),
                   threading.Thread(target=app.state.cache.watch, args=(app.state.store, stop), daemon=True,
                                    name="iip-web-watch")]
        for t in helpers if warm else []:
            t.start()
        yield
        stop.set()
        for t in helpers if warm else []:
            await anyio.to_thread.run_sync(t.join)
        await anyio.to_thread.run_sync(app.state.writer.close)
        app.state.db.close()
        app.state.store.close()

    app = FastAPI(
        title="iip API",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        description="Vietnam's Index of Industrial Production: compiled (disclosure-controlled) and "
        "published figures, releases, seasonal adjustment and target tracking. Errors always have "
        'the shape {"ok": false, "error": ..., "status": ...}.',
    )
    app.state.store = Store(str(db_path) if db_path else None, read_only=read_only)
    app.state.db = LazyConnection(app.state.store)   # for tests and scripts; the app never uses it
    app.state.db_path = str(db_path) if db_path else None
    app.state.cache = WebCache()
    app.state.writer = SubmissionWriter(app.state.store)
    app.state.secure_cookies = secure_cookies
    errors.install(app)
    app.add_middleware(CloseConnection)
    app.add_middleware(security.BodyLimit)
    app.add_middleware(security.SecurityHeaders)
    _mount_static(app)
    from iip.web.routers import (collect_api, collect_pages, health, meta, pages, published, releases, sa, series,
                                 targets)

    for mod in (series, meta, releases, published, sa, targets, health, collect_api):
        app.include_router(mod.router)
    app.include_router(pages.router)
    app.include_router(collect_pages.router)
    return app


def _mount_static(app: FastAPI) -> None:
    app.mount("/static/app", StaticFiles(directory=str(STATIC_DIR)), name="static")
    sw = swagger_dir()
    if sw is not None:
        app.mount("/static/swagger", StaticFiles(directory=str(sw)), name="swagger")
    js = plotly_js()
    packed: dict[str, bytes] = {}
    pack_lock = threading.Lock()

    def _gz() -> bytes:
        """plotly.min.js gzip-compressed once (4.8 MB -> ~1.4 MB): less to send on every cold page load."""
        with pack_lock:
            if "gz" not in packed:
                packed["gz"] = gzip.compress(js.read_bytes(), compresslevel=6, mtime=0)
            return packed["gz"]

    app.state.plotly_gz = _gz

    @app.get("/static/vendor/plotly.min.js", include_in_schema=False)
    def _plotly(request: Request):
        headers = {"Cache-Control": "public, max-age=86400", "Vary": "Accept-Encoding"}
        if "gzip" in request.headers.get("accept-encoding", ""):
            return Response(_gz(), media_type="text/javascript", headers={**headers, "Content-Encoding": "gzip"})
        return FileResponse(js, media_type="text/javascript", headers=headers)

    @app.get("/docs", include_in_schema=False)
    def _docs():
        if sw is None:  # never a blank page: say what is missing
            raise HTTPException(
                503,
                "API docs need the fastapi-offline package (pip install fastapi-offline), which ships "
                "Swagger UI; "
                "the OpenAPI description is at /openapi.json",
            )
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="iip API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon.png",
        )
        inline = tuple(re.findall(r"<script>(.*?)</script>", bytes(page.body).decode(), flags=re.S))
        page.headers["Content-Security-Policy"] = security.content_security_policy(inline)
        return page

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon():
        return RedirectResponse("/static/app/favicon.svg")


def app_from_environment() -> FastAPI:
    """The application on $IIP_DB (read-only when $IIP_READ_ONLY=1; $IIP_SECURE_COOKIES 1, 0 or empty): the
    factory each worker process of ``iip serve --workers N`` calls."""
    secure = os.environ.get("IIP_SECURE_COOKIES", "")
    return create_app(os.environ.get("IIP_DB"), read_only=os.environ.get("IIP_READ_ONLY") == "1",
                      secure_cookies=None if secure == "" else secure == "1")
