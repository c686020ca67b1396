"""Disclosure control for every compiled figure the web layer serves.

Each frame of the ``indices`` shape (area, node, value columns) passes through :func:`protect`, which calls
``iip.disclosure.apply``: suppressed cells get NaN in every value column and ``obs_status`` 'c';
contributions that would reveal a suppressed parent are blanked too. The suppression table is computed once
per compile run and kept in memory (it changes only when ``iip compile`` runs again).
"""

from __future__ import annotations

import threading

import duckdb
import pandas as pd

_lock = threading.Lock()
_cache: dict[tuple[str, int | None], pd.DataFrame] = {}


def _run_id(con: duckdb.DuckDBPyConnection) -> int | None:
    row = con.execute("SELECT max(run_id) FROM compile_runs").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def suppression_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Suppressed cells [area, node, status, reason] of the current compile run (cached per store and run)."""
    from iip import disclosure

    db = con.execute(
        "SELECT coalesce(path, database_name) FROM duckdb_databases() "
        "WHERE database_name = current_database()"
    ).fetchone()[0]
    key = (str(db), _run_id(con))
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            hit = disclosure.suppression_table(con)
            _cache.clear()
            _cache[key] = hit
    return hit


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def protect(
    con: duckdb.DuckDBPyConnection, df: pd.DataFrame, *, table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``df`` with disclosure control applied; ``obs_status`` is 'c' for a suppressed cell, else None.
    ``table``: the suppression table when the caller has it (services.cache.WebCache), else looked up."""
    from iip import disclosure

    if df.empty:
        return df.assign(obs_status=pd.Series(dtype=object))
    out = disclosure.apply(con, df, table=suppression_table(con) if table is None else table)
    out["obs_status"] = out["obs_status"].where(out["obs_status"] == "c", None)
    return out
