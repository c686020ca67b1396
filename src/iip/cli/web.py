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
) -> None:
    """Serve the REST API (/api, OpenAPI at /openapi.json, docs at /docs) and the dashboard (/).

    The service holds no connection between requests: on a DuckDB store, other commands (show, export, ingest,
    compile...) run while it serves, and the dashboard shows a new compile within a second."""
    import uvicorn

    from iip.store import describe, exists, is_postgres_target
    from iip.web.app import create_app

    target = db()
    if not exists(target):
        if read_only:
            raise IIPError(f"store {target} does not exist (build one with `iip demo` or `iip ingest` + `iip compile`)")
    if workers > 1 and not is_postgres_target(target):
        raise IIPError("--workers above 1 needs a PostgreSQL store (--db postgresql://...): a DuckDB file takes "
                       "one process at a time")
    shown = describe(target)
    typer.echo(f"iip serving {shown} on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    if workers == 1:
        uvicorn.run(create_app(target, read_only=read_only), host=host, port=port, log_level=log_level)
        return
    create_app(target, read_only=read_only, warm=False).state.store.close()  # migrate once, fail early
    os.environ["IIP_DB"] = target
    os.environ["IIP_READ_ONLY"] = "1" if read_only else "0"
    uvicorn.run("iip.web.app:app_from_environment", factory=True, host=host, port=port, workers=workers,
                log_level=log_level)
