"""In-memory cache of disclosure-controlled figures, so a series request costs dictionary look-ups, not queries.

What the web layer serves changes only when ``iip compile`` or ``iip sa`` writes a new run, so the cache keys
everything on a *token* = (latest compile run, latest adjustment run), re-read from the store at most once per
``check_every`` seconds. A new token empties the cache. Blocks are loaded lazily, one per indicator x area (all
nodes and months of that area, disclosure applied once), and the least recently used are dropped beyond
``max_blocks`` (default 1024: every indicator x area of 104 areas, 2025 merged provinces included; a GSO-scale area block is ~2 MB).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd
from starlette.concurrency import run_in_threadpool

from iip import measures
from iip import disclosure
from iip.store import row, scalar
from iip.web.services.common import relation_exists

RAW_VALUES = [*measures.MEASURES, *measures.COVERAGE]
ADJUSTED = ("sa", "trend")   # the adjusted level series served
T = TypeVar("T")


class NotInMemory(Exception):
    """Raised when an answer asked of memory alone (:data:`IN_MEMORY`) needs the store."""


class _InMemory:
    """A stand-in for a connection that no query may use: any use raises :class:`NotInMemory`."""

    def __getattr__(self, name: str):
        raise NotInMemory(name)


#: Pass it for the connection to compute an answer from the cache alone.
IN_MEMORY: Any = _InMemory()


async def from_memory(answer: Callable[..., T], con, *args) -> T:
    """``answer(IN_MEMORY, *args)`` on the event loop when the cache holds all it reads (no thread hand-off: a
    read costs dictionary look-ups); else ``answer(con, *args)`` on a worker thread, which reads the store."""
    try:
        return answer(IN_MEMORY, *args)
    except NotInMemory:
        return await run_in_threadpool(answer, con, *args)


class Series:
    """One series' months (sorted) and value columns as numpy arrays."""

    __slots__ = ("periods", "status", "values")

    def __init__(self, periods: np.ndarray, values: dict[str, np.ndarray], status: np.ndarray):
        self.periods, self.values, self.status = periods, values, status

    def window(self, start: str | None, end: str | None) -> slice:
        """The slice of months between ``start`` and ``end`` (inclusive; None = open)."""
        lo = 0 if start is None else int(np.searchsorted(self.periods, start, "left"))
        hi = len(self.periods) if end is None else int(np.searchsorted(self.periods, end, "right"))
        return slice(lo, hi)


def _split(df: pd.DataFrame, cols: list[str]) -> dict[str, Series]:
    """Protected rows of one area -> {node: Series}."""
    df = df.sort_values(["node", "period"], kind="stable")
    nodes = df["node"].to_numpy()
    cuts = np.flatnonzero(nodes[1:] != nodes[:-1]) + 1
    bounds = zip(np.r_[0, cuts], np.r_[cuts, len(df)])
    periods = df["period"].to_numpy().astype(str)
    status = df["obs_status"].to_numpy(dtype=object)
    arrays = {c: df[c].to_numpy(dtype=float) for c in cols}
    return {
        nodes[a]: Series(periods[a:b], {c: v[a:b] for c, v in arrays.items()}, status[a:b]) for a, b in bounds
    }


class WebCache:
    """Disclosure-controlled blocks of figures (one per indicator x area), keyed by the store's token."""

    def __init__(self, *, check_every: float = 1.0, max_blocks: int = 1024):
        self.check_every, self.max_blocks = check_every, max_blocks
        self._lock = threading.RLock()
        self._token: tuple | None = None
        self._checked = 0.0
        self._blocks: OrderedDict[tuple, dict[str, Series]] = OrderedDict()
        self._loading: dict[tuple, threading.Lock] = {}
        self.loads = 0
        self.ready = False
        self._watching = False
        self._coverage: tuple[tuple, dict] | None = None

    # ---------------------------------------------------------------------------------- freshness
    def _read_token(self, con: duckdb.DuckDBPyConnection) -> tuple:
        try:
            return row(con, "SELECT (SELECT max(run_id) FROM compile_runs), (SELECT max(run_id) FROM sa_runs)",
                       width=2)
        except duckdb.CatalogException:  # a store without the seasonal tables (opened read-only)
            return (scalar(con, "SELECT max(run_id) FROM compile_runs"), None)

    def _set_token(self, tok: tuple) -> None:
        with self._lock:
            if tok != self._token:
                self._blocks.clear()
                self._token = tok
            self._checked = time.monotonic()

    def token(self, con: duckdb.DuckDBPyConnection) -> tuple:
        """The current (compile run, adjustment run). With the background watcher running (``watch``), no query
        happens on the request path; otherwise the store is re-read at most once per ``check_every`` seconds."""
        if self._token is not None and (self._watching or time.monotonic() - self._checked < self.check_every):
            return self._token
        tok = self._read_token(con)
        self._set_token(tok)
        return tok

    def coverage(self, con: duckdb.DuckDBPyConnection) -> dict:
        """:func:`iip.web.services.meta.coverage` of this cache's store, kept per token: with the watcher running
        a request answered from the cache reads nothing from the store (and opens no connection)."""
        from iip.web.services.meta import coverage

        tok = self.token(con)
        with self._lock:
            if self._coverage is not None and self._coverage[0] == tok:
                return self._coverage[1]
        got = coverage(con)
        with self._lock:
            self._coverage = (tok, got)
        return got

    def watch(self, store, stop: threading.Event) -> None:
        """Re-read the token every ``check_every`` seconds until ``stop`` is set, on a connection opened for each
        check (``store.connect()``: a DuckDB file stays free for other processes in between). A DuckDB file that
        nobody wrote since the last check (:meth:`iip.store.Store.stamp`) is not opened again. A check that
        cannot get the store (another process holds it) is skipped."""
        from iip.errors import StoreError

        self._watching = True
        seen: tuple | None = None
        try:
            while not stop.wait(self.check_every):
                now = store.stamp()
                if now is not None and now == seen:
                    continue
                try:
                    con = store.connect()
                except StoreError:
                    continue
                try:
                    self._set_token(self._read_token(con))
                finally:
                    con.close()
                seen = now
        except Exception:  # noqa: BLE001 - the store closed under us: fall back to checks on the request path
            pass
        finally:
            self._watching = False

    def protect(self, con: duckdb.DuckDBPyConnection, df: pd.DataFrame) -> pd.DataFrame:
        """``df`` with disclosure control applied (``iip.disclosure.apply``, its one cache keyed by compile
        run); ``obs_status`` 'c' for a suppressed cell, else None."""
        if df.empty:
            return df.assign(obs_status=pd.Series(dtype=object))
        out = disclosure.apply(con, df)
        out["obs_status"] = out["obs_status"].where(out["obs_status"] == "c", None)
        return out

    # ------------------------------------------------------------------------------------- blocks
    def _get(self, key: tuple, load, con) -> dict[str, Series]:
        """The cached block, loading it once on ``con``: concurrent requests for the same block wait for one
        load (NotInMemory for a block not held when ``con`` is :data:`IN_MEMORY`: nothing waits)."""
        with self._lock:
            hit = self._blocks.get(key)
            if hit is not None:
                self._blocks.move_to_end(key)
                return hit
            if con is IN_MEMORY:
                raise NotInMemory(key)
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                hit = self._blocks.get(key)
            if hit is not None:
                return hit
            block = load()
            with self._lock:
                self._blocks[key] = block
                self._loading.pop(key, None)
                self.loads += 1
                while len(self._blocks) > self.max_blocks:
                    self._blocks.popitem(last=False)
        return block

    def warm(self, con: duckdb.DuckDBPyConnection) -> int:
        """Load the raw blocks of every indicator x area (up to ``max_blocks``), one query and one disclosure
        pass per indicator; returns the number of blocks cached. ``ready`` is set when done."""
        tok = self.token(con)
        n = 0
        for (indicator,) in con.execute("SELECT DISTINCT indicator FROM index_series ORDER BY 1").fetchall():
            df = con.execute(
                'SELECT indicator, area, node, period, "index", mom, yoy, ytd, contrib_yoy, '
                "contrib_ytd, contrib_total_yoy, coverage_reported, coverage_imputed "
                "FROM indices_where(indicator_is := ?)",
                [indicator],
            ).df()
            for area, g in self.protect(con, df).groupby("area", sort=True):
                if n >= self.max_blocks:
                    break
                with self._lock:
                    if self._token == tok:
                        self._blocks[("raw", tok, indicator, area)] = _split(g, RAW_VALUES)
                        n += 1
        self.ready = True
        return n

    def raw(self, con: duckdb.DuckDBPyConnection, indicator: str, area: str) -> dict[str, Series]:
        """Every node of one indicator and area from ``indices``, disclosure applied."""
        tok = self.token(con)

        def load():
            """Read the block from the store and apply disclosure control."""
            df = con.execute(
                'SELECT indicator, area, node, period, "index", mom, yoy, ytd, contrib_yoy, '
                "contrib_ytd, contrib_total_yoy, coverage_reported, coverage_imputed "
                "FROM indices_where(indicator_is := ?, area_is := ?)",
                [indicator, area],
            ).df()
            return _split(self.protect(con, df), RAW_VALUES) if len(df) else {}

        return self._get(("raw", tok, indicator, area), load, con)

    def adjusted(self, con: duckdb.DuckDBPyConnection, indicator: str, area: str) -> dict[str, Series]:
        """Seasonally adjusted and trend levels (sa_current, source 'compiled') of one indicator and area,
        disclosure applied; value columns sa, trend and their mom / yoy (sa_mom, sa_yoy, trend_mom, trend_yoy)."""
        tok = self.token(con)

        def load():
            """Read the block from the store and apply disclosure control."""
            if not relation_exists(con, "sa_current"):
                return {}
            df = con.execute(
                "SELECT indicator, area, node, period, sa, trend FROM sa_current WHERE source = "
                "'compiled' AND indicator = ? AND area = ?",
                [indicator, area],
            ).df()
            if df.empty:
                return {}
            for kind in ADJUSTED:  # mom and yoy of the adjusted levels, by the one SQL implementation
                g = measures.growth_of(con, df, key=["node"], value=kind)
                df[f"{kind}_mom"], df[f"{kind}_yoy"] = g["mom"].to_numpy(), g["yoy"].to_numpy()
            cols = [*ADJUSTED, *(f"{k}_{m}" for k in ADJUSTED for m in ("mom", "yoy"))]
            return _split(self.protect(con, df), cols)

        return self._get(("sa", tok, indicator, area), load, con)

    def stats(self) -> dict:
        """Readiness, number of blocks held, loads so far and the current token (for /api/health)."""
        with self._lock:
            return {
                "ready": self.ready,
                "blocks": len(self._blocks),
                "loads": self.loads,
                "token": list(self._token) if self._token else None,
            }
