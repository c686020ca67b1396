"""Versioned writes: the one upsert every input path uses, the load record of the audit trail, and ids.

A record identical to its current version is left alone; a changed record becomes the new current version and
the old one moves to ``<table>_history`` with the load that replaced it (``superseded_by``). Nothing is deleted:
current + history = everything ever written. Every write is one load (table ``loads``).
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import duckdb

from iip.store import postgres
from iip.store.connection import among, insert_rows, row, scalar
from iip.store.migrations import DUCKDB_INDEXES

#: The store's id sequences (one per kind of record).
SEQUENCES = ("load_seq", "published_file_seq", "sa_run_seq", "audit_seq", "flag_seq", "approval_seq", "revision_seq")


def sha256(content: str | bytes | Path) -> str:
    """SHA-256 (hex) of a file's bytes (``Path``, read in 1 MiB chunks), of bytes, or of text (UTF-8): the
    content hash every load record, published file and release manifest carries."""
    h = hashlib.sha256()
    if isinstance(content, Path):
        with open(content, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    else:
        h.update(content.encode("utf-8") if isinstance(content, str) else content)
    return h.hexdigest()


def next_ids(con: duckdb.DuckDBPyConnection, sequence: str, n: int) -> list[int]:
    """The next ``n`` values of one of the store's id sequences."""
    if sequence not in SEQUENCES:
        raise KeyError(sequence)
    if postgres.is_postgres(con):
        return [postgres.nextval(con, sequence) for _ in range(n)]
    return [int(v) for (v,) in con.execute(f"SELECT nextval('{sequence}') FROM range({int(n)})").fetchall()]


def next_id(con: duckdb.DuckDBPyConnection, sequence: str) -> int:
    """The next value of one of the store's id sequences."""
    return next_ids(con, sequence, 1)[0]


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    """A new load id (one per ingested file, submission, imputation run...)."""
    return next_id(con, "load_seq")


#: Sources up to this many rows are matched through constant key filters (the store then reads their keys' rows
#: through an index).
SMALL_SOURCE = 5000


def key_filter(con: duckdb.DuckDBPyConnection, table: str, source: str, key: Sequence[str], alias: str = "c"
               ) -> tuple[str, list] | None:
    """``alias.k IN (...)`` over the values a small ``source`` holds of the key columns ``table`` is indexed on,
    with its parameters (:func:`iip.store.connection.among`): the store reads the current rows of those keys
    through its index instead of the whole table. On PostgreSQL the first two key columns (DuckDB pushes the lists
    into its scans, :data:`iip.store.migrations.POSTGRES_INDEXES`); on DuckDB the first, for the tables of
    :data:`iip.store.migrations.DUCKDB_INDEXES` (the list alone: :func:`iip.store.of_enterprises`). None when the
    table has no such index or the source is large (most of the table is read anyway)."""
    columns = (key[:2] if postgres.is_postgres(con) else
               key[:1] if DUCKDB_INDEXES.get(table) == key[0] else [])
    if not columns:
        return None
    lists = ", ".join(f"list(DISTINCT {k}) FILTER (WHERE {k} IS NOT NULL)" for k in columns)
    rows, *values = row(con, f"SELECT count(*), {lists} FROM {source}")
    if rows > SMALL_SOURCE:
        return None
    parts, params = [], []
    for k, vals in zip(columns, values):
        sql, args = among(f"{alias}.{k}", vals or [])
        parts.append(sql)
        params += args
    return " AND ".join(parts), params


def versioned_upsert(con: duckdb.DuckDBPyConnection, table: str, source: str, *, key: Sequence[str],
                     compare: Sequence[str], load_id: int, keep: str | None = None) -> int:
    """Write the rows of relation ``source`` (a table, or a parenthesised query: the table's columns, typed,
    without load_id) into ``table``.

    A row is written when its key is new or any column of ``compare`` differs (``IS DISTINCT FROM``) from the
    current version; that version then moves to ``<table>_history`` with ``superseded_by = load_id``.
    ``keep`` is a condition on the current row ``c`` that protects it from being replaced (e.g.
    ``"c.status = 'R'"``: an imputation never overwrites a reported value). Run inside the caller's transaction;
    returns the number of rows written (new current versions)."""
    return sum(_upsert(con, table, source, key=key, compare=compare, load_id=load_id, keep=keep).values())


def versioned_upsert_loads(con: duckdb.DuckDBPyConnection, table: str, source: str, *, key: Sequence[str],
                           compare: Sequence[str], keep: str | None = None) -> dict[int, int]:
    """:func:`versioned_upsert` of several loads at once: each row of ``source`` carries its own ``load_id``
    (which also supersedes the version it replaces). Returns the rows written by load id."""
    return _upsert(con, table, source, key=key, compare=compare, load_id=None, keep=keep)


def _upsert(con: duckdb.DuckDBPyConnection, table: str, source: str, *, key: Sequence[str], compare: Sequence[str],
            load_id: int | None, keep: str | None) -> dict[int, int]:
    on = " AND ".join(f"c.{k} = n.{k}" for k in key)
    differs = " OR ".join(f"c.{c} IS DISTINCT FROM n.{c}" for c in compare) or "false"
    guard = f" AND NOT ({keep})" if keep else ""
    small = key_filter(con, table, source, key)
    near, args = small or ("true", [])
    current = "_iip_near" if small else table
    try:
        if small:       # the current rows of the source's keys, read once through the store's index
            con.execute(f"CREATE OR REPLACE TEMP TABLE _iip_near AS SELECT * FROM {table} c WHERE {near}", args)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _iip_changed AS SELECT n.* FROM {source} n
                        LEFT JOIN {current} c ON {on}
                        WHERE c.{key[0]} IS NULL OR (({differs}){guard})""")
        same = " AND ".join(f"x.{k} = c.{k}" for k in key)
        changed = f"EXISTS (SELECT 1 FROM _iip_changed x WHERE {same})"
        if load_id is not None:
            con.execute(f"INSERT INTO {table}_history BY NAME SELECT c.*, {int(load_id)}::BIGINT AS superseded_by "
                        f"FROM {current} c WHERE {changed}")
        else:       # each replaced version is superseded by the load of the row that replaces it
            con.execute(f"INSERT INTO {table}_history BY NAME SELECT c.*, x.load_id AS superseded_by "
                        f"FROM {current} c JOIN _iip_changed x ON {same}")
        con.execute(f"DELETE FROM {table} c WHERE {near} AND {changed}", args)
        if load_id is not None:
            con.execute(f"INSERT INTO {table} BY NAME SELECT *, {int(load_id)}::BIGINT AS load_id FROM _iip_changed")
            return {int(load_id): int(scalar(con, "SELECT count(*) FROM _iip_changed"))}
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _iip_changed")
        return {int(i): int(n) for i, n in con.execute("SELECT load_id, count(*) FROM _iip_changed GROUP BY 1")
                .fetchall()}
    finally:
        con.execute("DROP TABLE IF EXISTS _iip_changed")
        if small:
            con.execute("DROP TABLE IF EXISTS _iip_near")


def retire(con: duckdb.DuckDBPyConnection, table: str, source: str, *, key: Sequence[str], load_id: int,
           only: str | None = None) -> int:
    """The versioned delete: the current rows of ``table`` whose key is in relation ``source`` (and that meet the
    condition ``only`` on the current row ``c``, e.g. ``"c.status <> 'R'"``) move to ``<table>_history`` with
    ``superseded_by = load_id`` and leave the current table. Nothing is lost: history keeps them. Run inside the
    caller's transaction; returns the number of rows retired."""
    match = ("EXISTS (SELECT 1 FROM " + source + " x WHERE " + " AND ".join(f"x.{k} = c.{k}" for k in key) + ")"
             + (f" AND ({only})" if only else ""))
    n = int(scalar(con, f"SELECT count(*) FROM {table} c WHERE {match}"))
    if n:
        con.execute(f"INSERT INTO {table}_history BY NAME SELECT c.*, {int(load_id)}::BIGINT AS superseded_by "
                    f"FROM {table} c WHERE {match}")
        con.execute(f"DELETE FROM {table} c WHERE {match}")
    return n


#: The columns of a load record (table ``loads``; ``loaded_at`` is set by the store).
LOAD_COLUMNS = ("load_id", "kind", "file", "sha256", "rows", "inserted", "unchanged", "warnings", "loaded_by")


def record_load(con: duckdb.DuckDBPyConnection, *, load_id: int, kind: str, file: str, sha256: str, rows: int,
                inserted: int, unchanged: int, warnings: int = 0, user: str | None = None) -> None:
    """The audit record of one load: what was read (file, content hash, rows) and what it changed."""
    record_loads(con, [(load_id, kind, file, sha256, rows, inserted, unchanged, warnings, user)])


def record_loads(con: duckdb.DuckDBPyConnection, loads: Sequence[Sequence]) -> None:
    """The audit records of several loads in one statement: tuples of :data:`LOAD_COLUMNS`."""
    insert_rows(con, "loads", LOAD_COLUMNS, loads)
