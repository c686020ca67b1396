"""The one cache of suppression patterns: store tables ``disclosure``, ``disclosure_unsettled`` and
``disclosure_runs``, keyed by (compile run, METHOD, indicator); each indicator is computed on first use after a
compile, then read from the store (a process keeps what it read in a memo; a read-only store is computed once
per process). Tables made under earlier runs or methods are kept."""
from __future__ import annotations

import threading

import duckdb
import pandas as pd

from iip.disclosure.pattern import COLUMNS, METHOD, Result, compute, empty

_lock = threading.Lock()
_memo: dict[tuple, Result] = {}


def current_run(con: duckdb.DuckDBPyConnection) -> int | None:
    """The latest compile run (None: nothing compiled)."""
    row = con.execute("SELECT max(run_id) FROM compile_runs").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def indicators(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The compiled indicators (production, consumption, inventory: those the store holds)."""
    return [r[0] for r in con.execute("SELECT DISTINCT indicator FROM index_series ORDER BY 1").fetchall()]


def _store_key(con: duckdb.DuckDBPyConnection, run: int, indicator: str) -> tuple:
    db = con.execute("SELECT coalesce(path, database_name) FROM duckdb_databases() "
                     "WHERE database_name = current_database()").fetchall()[0][0]
    return (str(db), run, METHOD, indicator)


def _read(con: duckdb.DuckDBPyConnection, run: int, indicator: str) -> Result | None:
    """The stored pattern of ``indicator`` in ``run`` under this METHOD, None when not computed (or the store
    predates the tables)."""
    key = [run, METHOD, indicator]
    try:
        done = con.execute("SELECT count(*) FROM disclosure_runs WHERE run_id = ? AND method = ? AND indicator = ?",
                           key).fetchall()[0][0]
        if not done:
            return None
        table = con.execute(f"SELECT {', '.join(COLUMNS)} FROM disclosure WHERE run_id = ? AND method = ? "
                            "AND indicator = ? ORDER BY area, node", key).df()
        notes = [r[0] for r in con.execute("SELECT note FROM disclosure_unsettled WHERE run_id = ? AND method = ? "
                                           "AND indicator = ? ORDER BY block", key).fetchall()]
    except (duckdb.CatalogException, duckdb.BinderException):
        return None
    return Result(table, notes)


def _write(con: duckdb.DuckDBPyConnection, result: Result, run: int, indicator: str) -> None:
    from iip.store import transaction

    key = [run, METHOD, indicator]
    with transaction(con):
        for table in ("disclosure", "disclosure_unsettled", "disclosure_runs"):
            con.execute(f"DELETE FROM {table} WHERE run_id = ? AND method = ? AND indicator = ?", key)
        con.register("_disc", result.table.assign(run_id=run, method=METHOD))
        con.execute(f"INSERT INTO disclosure ({', '.join(COLUMNS)}, run_id, method) "
                    f"SELECT {', '.join(COLUMNS)}, run_id, method FROM _disc")
        con.unregister("_disc")
        for i, note in enumerate(result.unsettled):
            con.execute("INSERT INTO disclosure_unsettled (run_id, method, indicator, block, note) "
                        "VALUES (?, ?, ?, ?, ?)", [*key, i, note])
        con.execute("INSERT INTO disclosure_runs (run_id, method, indicator, cells, unsettled) "
                    "VALUES (?, ?, ?, ?, ?)", [*key, len(result.table), len(result.unsettled)])


def result(con: duckdb.DuckDBPyConnection, indicator: str) -> Result:
    """The pattern of ``indicator`` in the current compile run: from the process memo, else the store's cache
    tables, else computed and stored (a read-only store: computed and kept in the memo only)."""
    run = current_run(con)
    if run is None:
        return empty()
    key = _store_key(con, run, indicator)
    with _lock:
        hit = _memo.get(key)
        if hit is None:
            hit = _read(con, run, indicator)
            if hit is None:
                hit = compute(con, indicator)
                try:
                    _write(con, hit, run, indicator)
                except (duckdb.InvalidInputException, duckdb.IOException, duckdb.TransactionException,
                        duckdb.PermissionException, duckdb.CatalogException, duckdb.BinderException):
                    pass  # read-only store (or one not migrated): computed, not stored
            _memo[key] = hit
    return hit


def refresh(con: duckdb.DuckDBPyConnection) -> dict[str, Result]:
    """Recompute every compiled indicator's pattern of the current compile run and store it (earlier runs are
    kept)."""
    run = current_run(con)
    if run is None:
        return {}
    out = {}
    for indicator in indicators(con):
        out[indicator] = compute(con, indicator)
        _write(con, out[indicator], run, indicator)
        with _lock:
            _memo[_store_key(con, run, indicator)] = out[indicator]
    return out


def suppression_table(con: duckdb.DuckDBPyConnection, indicator: str | None = None) -> pd.DataFrame:
    """Suppressed cells of the current compile run: DataFrame[indicator, area, node, status ('c'), reason],
    of one indicator or (None) of every compiled indicator."""
    chosen = indicators(con) if indicator is None else [indicator]
    tables = [t for t in (result(con, i).table for i in chosen) if len(t)]
    return pd.concat(tables, ignore_index=True) if tables else empty().table


def unsettled(con: duckdb.DuckDBPyConnection, indicator: str | None = None) -> list[str]:
    """Audit blocks of the current compile run the linear check could not settle, one sentence each, prefixed
    with the indicator (they were protected conservatively); empty when everything was settled."""
    chosen = indicators(con) if indicator is None else [indicator]
    return [f"{i}: {note}" for i in chosen for note in result(con, i).unsettled]


def clear_memo() -> None:
    """Forget the process memo (the store tables stay): tests, or after editing the store by hand."""
    with _lock:
        _memo.clear()
