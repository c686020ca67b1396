"""Per-request resources shared by every router (the dashboard, the API and the collection pages).

The app holds the store (``app.state.store``, an :class:`iip.store.Store`), not a connection: each request gets
its own connection with ``get_con(request)``, opened on first use (a request answered from the cache opens
none) and closed once the response has been sent. On a DuckDB store the file is therefore free between requests,
so ``iip show``, ``ingest`` or ``compile`` run beside ``iip serve``; on PostgreSQL each request is a cursor of the
app's DuckDB session (its own transaction and PostgreSQL connection). Use it as ``Depends(get_con)``; repeated
uses in one request give the same connection.
"""

from __future__ import annotations

from typing import Any, cast

import duckdb
from fastapi import Request


class LazyConnection:
    """A connection to the store opened on first use; behaves as the DuckDB connection it wraps. Each request
    has one (``get_con``); ``app.state.db`` is one too, for tests and scripts (the app never uses it: a script
    that does holds a DuckDB file until the app stops)."""

    __slots__ = ("_con", "_store")

    def __init__(self, store) -> None:
        self._store = store
        self._con: duckdb.DuckDBPyConnection | None = None

    def opened(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection itself (opening it now if not yet open)."""
        if self._con is None:
            self._con = self._store.begin_unit()
        return self._con

    @property
    def is_open(self) -> bool:
        """True once the connection has been opened (and until it is closed)."""
        return self._con is not None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.opened(), name)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """Another connection to the same store (close it when done)."""
        return self._store.connect()

    def __enter__(self) -> duckdb.DuckDBPyConnection:
        return self.opened()

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection if it was opened (the store's file is then free for other processes)."""
        con, self._con = self._con, None
        if con is not None:
            self._store.end_unit(con)


async def get_con(request: Request) -> duckdb.DuckDBPyConnection:
    """The request's connection to the store (opened on first use, closed after the response). ``async``: FastAPI
    runs a plain ``def`` dependency in a worker thread, a hand-off per request for what opens nothing."""
    con = getattr(request.state, "con", None)
    if con is None:
        con = LazyConnection(request.app.state.store)
        request.state.con = con
    return cast(duckdb.DuckDBPyConnection, con)


def close_con(request: Request) -> None:
    """Close the request's connection now (it is closed after the response anyway)."""
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


async def get_cache(request: Request):
    """The app's cache of disclosure-controlled figures (services.cache.WebCache); ``async`` as :func:`get_con`."""
    return request.app.state.cache
