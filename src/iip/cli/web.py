"""CLI command of the web stage: ``iip serve`` (REST API + dashboard with uvicorn)."""

from __future__ import annotations

import typer

from iip.cli import app, db


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on"),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port"),
    read_only: bool = typer.Option(
        False,
        "--read-only",
        help="Open the store read-only (no writes at all; data-collection pages then cannot save)",
    ),
    log_level: str = typer.Option("info", "--log-level", help="uvicorn log level"),
) -> None:
    """Serve the REST API (/api, OpenAPI at /openapi.json, docs at /docs) and the dashboard (/)."""
    import uvicorn

    from iip.web.app import create_app

    from iip.store import connect

    path = db()
    connect(path, read_only=True).close()  # a missing, locked or newer store: a StoreError naming it, not a new store
    application = create_app(path, read_only=read_only)
    typer.echo(f"iip serving {path} on http://{host}:{port}/  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(application, host=host, port=port, log_level=log_level)
