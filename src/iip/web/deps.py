"""Per-request resources shared by every router (the dashboard, the API and the collection pages).

The app opens the store once (``app.state.db``, a DuckDB database handle); each request gets its own
connection to it with ``get_con(request)`` -- a DuckDB cursor, i.e. an independent connection to the same
database -- which the app closes when the response has been sent. Use it as ``Depends(get_con)`` or call
it directly; repeated calls in one request return the same connection.
"""

from __future__ import annotations

import duckdb
from fastapi import Request


def get_con(request: Request) -> duckdb.DuckDBPyConnection:
    """The request's DuckDB connection (opened on first use, closed after the response)."""
    con = getattr(request.state, "con", None)
    if con is None:
        con = request.app.state.db.cursor()
        request.state.con = con
    return con


def close_con(request: Request) -> None:
    """Close the request's connection now (if one was opened)."""
    con = getattr(request.state, "con", None)
    if con is not None:
        try:
            con.close()
        finally:
            request.state.con = None


def get_lang(request: Request) -> str:
    """Language of a page: ?lang=vi|en, else the ``lang`` cookie, else Vietnamese."""
    from iip.web.i18n import resolve_lang

    return resolve_lang(request)


def get_cache(request: Request):
    """The app's cache of disclosure-controlled figures (services.cache.WebCache)."""
    return request.app.state.cache
