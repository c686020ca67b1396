"""CLI command of the web stage: ``iip serve`` (REST API + dashboard with uvicorn)."""

from __future__ import annotations

import os

import typer

from iip.cli import app, db
from iip.errors import IIPError


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port"),
    read_only: bool = typer.Option(
        False,
        "--read-only",
        help="Open the store read-only (no writes at all; data-collection pages then cannot save)",
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, help="Worker processes (more than 1 needs a PostgreSQL store)"
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level"),
    secure_cookies: bool | None = typer.Option(
        None,
        "--secure-cookies/--no-secure-cookies",
        help="Mark the collection pages' cookies Secure (HTTPS only). Default: Secure when the request came "
        "over HTTPS, directly or through a trusted proxy's X-Forwarded-Proto",
    ),
    proxy_headers: bool = typer.Option(
        True,
        "--proxy-headers/--no-proxy-headers",
        help="Trust X-Forwarded-Proto and X-Forwarded-For from --forwarded-allow-ips (a reverse proxy doing "
        "HTTPS): the scheme decides Secure cookies, the address login throttling",
    ),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1", "--forwarded-allow-ips", help="Comma-separated proxy addresses whose X-Forwarded-* is trusted"
    ),
) -> None:
    """Serve the REST API (/api, OpenAPI at /openapi.json, docs at /docs), the dashboard (/) and the report
    collection pages (/collect).

    On a DuckDB store the service holds the file only while requests come (it lets go half a second after the
    last): other commands (show, export, ingest, compile...) run while it serves, waiting for the file up to
    $IIP_STORE_WAIT seconds, and the dashboard shows a new compile within a second."""
    import uvicorn

    from iip.store import connect, describe, is_postgres_target
    from iip.web.app import create_app

    target = db()
    if workers > 1 and not is_postgres_target(target):
        raise IIPError("--workers above 1 needs a PostgreSQL store (--db postgresql://...): a DuckDB file takes "
                       "one process at a time")
    # a missing, locked or newer store: a StoreError naming it, never a new store (opened as the app will open it)
    connect(target, read_only=read_only, create=False).close()
    shown = describe(target)
    if workers == 1:
        application = create_app(target, read_only=read_only, secure_cookies=secure_cookies)
        typer.echo(f"iip serving {shown} on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
        uvicorn.run(application, host=host, port=port, log_level=log_level, proxy_headers=proxy_headers,
                    forwarded_allow_ips=forwarded_allow_ips)
        return
    create_app(target, read_only=read_only, warm=False).state.store.close()  # migrate once, fail early
    os.environ["IIP_DB"] = target
    os.environ["IIP_READ_ONLY"] = "1" if read_only else "0"
    os.environ["IIP_SECURE_COOKIES"] = "" if secure_cookies is None else str(int(secure_cookies))
    typer.echo(f"iip serving {shown} on http://{host}:{port}/ with {workers} workers")
    uvicorn.run("iip.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level=log_level, proxy_headers=proxy_headers, forwarded_allow_ips=forwarded_allow_ips)
