"""Numbered migrations of the store's schema, and the store's ``schema_version``.

Each migration runs once, in order, in its own transaction, and is recorded in table ``schema_version``
(version, name, applied_at). Migration 1 is the baseline: every table of :data:`iip.store.schema.TABLES`, plus
the conversion of stores made before the schema was versioned (then ``CREATE ... IF NOT EXISTS`` keeps what is
there). A later change to a table is a new numbered migration appended to :data:`MIGRATIONS` -- never an edit of
an applied one. A store whose version is newer than this code's is refused (it was made by a newer iip).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from iip.errors import StoreError
from iip.store import postgres, schema

VERSION_DDL = """CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT current_timestamp)"""


@dataclass(frozen=True)
class Migration:
    """One step of the schema: ``apply(con)`` runs inside a transaction."""

    version: int
    name: str
    apply: Callable[[duckdb.DuckDBPyConnection], None]


def exists(con: duckdb.DuckDBPyConnection, table: str, column: str | None = None) -> bool:
    """True when the store has table ``table`` (with column ``column``), in its own database and schema."""
    where = "table_name = ? AND database_name = current_database() AND schema_name = current_schema()"
    if column is None:
        q, args = f"SELECT 1 FROM duckdb_tables() WHERE {where}", [table]
    else:
        q, args = f"SELECT 1 FROM duckdb_columns() WHERE {where} AND column_name = ?", [table, column]
    return con.execute(q, args).fetchone() is not None



def _run_ddl(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """A block of DDL, on either backend (PostgreSQL creates the sequences itself)."""
    if postgres.is_postgres(con):
        postgres.run_ddl(con, sql)
    else:
        con.execute(sql)


def _baseline(con: duckdb.DuckDBPyConnection) -> None:
    """Every table as of the first versioned schema; converts the two layouts of older stores."""
    if exists(con, "indices"):              # stores made before indices became a view over index_cells
        con.execute("DROP TABLE indices")
    if exists(con, "index_cells", "mom"):   # measures once stored per cell: keep that table, carry the levels
        con.execute("DROP VIEW IF EXISTS indices")
        con.execute("ALTER TABLE index_cells RENAME TO index_cells_v1")
        con.execute('CREATE TABLE index_cells AS SELECT sid, pid, "index", NULL::SMALLINT AS base_year, run_id '
                    'FROM index_cells_v1 WHERE "index" IS NOT NULL')
    for ddl in schema.TABLES:
        _run_ddl(con, ddl)


#: Indexes a PostgreSQL store needs for the service's small reads and writes (one enterprise x month, one
#: series...): DuckDB pushes constant filters into PostgreSQL, which then reads a few rows, not the table.
POSTGRES_INDEXES = {
    "reports": "enterprise_id, period", "reports_history": "enterprise_id, period",
    "employment": "enterprise_id, period", "employment_history": "enterprise_id, period",
    "register": "enterprise_id", "products": "product_code", "submissions": "enterprise_id, period",
    "audit_log": "enterprise_id, period", "tokens": "username", "outlier_flags": "enterprise_id, period",
    "imputations": "enterprise_id, period", "sa_runs": "source, indicator, area, node",
    "sa_series": "run_id", "sa_forecasts": "run_id", "index_series": "indicator, area, node",
}


def _store_objects_and_sa_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """The hash of the views and macros a store holds (installed again only when the code's differ); the hash of
    each adjustment run's input (a rerun of ``iip sa --all`` skips unchanged series); indexes on PostgreSQL."""
    con.execute("CREATE TABLE IF NOT EXISTS store_objects (sha256 VARCHAR NOT NULL, "
                "installed_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    con.execute("ALTER TABLE sa_runs ADD COLUMN IF NOT EXISTS input_sha256 VARCHAR")
    if postgres.is_postgres(con):
        for table, cols in POSTGRES_INDEXES.items():
            postgres.execute(con, f"CREATE INDEX IF NOT EXISTS {table}_key ON {table} ({cols})")


#: Every migration, in order. Append; never edit one that has been released.
MIGRATIONS: list[Migration] = [
    Migration(1, "baseline: inputs, compiled indices, published figures, seasonal, releases, collection", _baseline),
    Migration(5, "store_objects; sa_runs.input_sha256; PostgreSQL indexes", _store_objects_and_sa_inputs),
]
LATEST = MIGRATIONS[-1].version


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The store's schema version: 0 for an empty store or one made before versions were recorded."""
    if not exists(con, "schema_version"):
        return 0
    from iip.store.connection import scalar

    return int(scalar(con, "SELECT coalesce(max(version), 0) FROM schema_version"))


def applied(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The numbers of the migrations the store has had."""
    if not exists(con, "schema_version"):
        return set()
    return {int(v) for (v,) in con.execute("SELECT version FROM schema_version").fetchall()}


def check_version(con: duckdb.DuckDBPyConnection, *, where: str) -> int:
    """The store's version; a StoreError if it is newer than this code knows."""
    version = schema_version(con)
    if version > LATEST:
        raise StoreError(f"the store {where} has schema version {version}, newer than this iip knows ({LATEST}): "
                         "upgrade iip to use it")
    return version


def migrate(con: duckdb.DuckDBPyConnection, *, where: str = "store") -> list[int]:
    """Apply every migration the store has not had yet (by number: one merged in later with a lower number is
    applied too), each in its own transaction; returns their numbers. On PostgreSQL, processes that start at
    once (several web workers) take turns under an advisory lock."""
    from iip.store.connection import transaction

    check_version(con, where=where)
    done = applied(con)
    todo = [m for m in MIGRATIONS if m.version not in done]
    pg = postgres.is_postgres(con)
    ran = []
    for m in todo:
        try:
            with transaction(con):
                if pg:
                    postgres.advisory_lock(con, "migrate")
                _run_ddl(con, VERSION_DDL)
                m.apply(con)
                con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [m.version, m.name])
        except duckdb.Error:
            # another process (a second web worker starting) applied it while this one waited for the lock;
            # PostgreSQL then rejects the second record of the same version
            if not (pg and m.version in applied(con)):
                raise
            continue
        ran.append(m.version)
    return ran
