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

#: Indexes a DuckDB store needs for the service's reads and writes of a few enterprises: an ART index on one
#: column (when DuckDB uses it: :func:`iip.store.of_enterprises`). A later migration that alters one of these
#: tables drops the index first (DuckDB cannot alter a table an index depends on).
DUCKDB_INDEXES = {"reports": "enterprise_id", "employment": "enterprise_id"}


def _store_objects_and_sa_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """The hash of the views and macros a store holds (installed again only when the code's differ); the hash of
    each adjustment run's input (a rerun of ``iip sa --all`` skips unchanged series); indexes on PostgreSQL."""
    con.execute("CREATE TABLE IF NOT EXISTS store_objects (sha256 VARCHAR NOT NULL, "
                "installed_at TIMESTAMP NOT NULL DEFAULT current_timestamp)")
    con.execute("ALTER TABLE sa_runs ADD COLUMN IF NOT EXISTS input_sha256 VARCHAR")
    if postgres.is_postgres(con):
        for table, cols in POSTGRES_INDEXES.items():
            postgres.execute(con, f"CREATE INDEX IF NOT EXISTS {table}_key ON {table} ({cols})")


def _disclosure_by_method(con: duckdb.DuckDBPyConnection) -> None:
    """Disclosure cache keyed by (compile run, method): a change of the rules recomputes instead of serving a
    table made under the old ones (kept, as method '1'); audit blocks the check could not settle are stored."""
    if not exists(con, "disclosure", "method"):
        con.execute("ALTER TABLE disclosure ADD COLUMN method VARCHAR DEFAULT '1'")
    if not exists(con, "disclosure_runs", "method"):
        con.execute("ALTER TABLE disclosure_runs RENAME TO disclosure_runs_v1")
        con.execute("""CREATE TABLE disclosure_runs (run_id BIGINT NOT NULL, method VARCHAR NOT NULL, cells BIGINT,
            unsettled INTEGER NOT NULL DEFAULT 0, computed_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
            PRIMARY KEY (run_id, method))""")
        con.execute("INSERT INTO disclosure_runs (run_id, method, cells, computed_at) "
                    "SELECT run_id, '1', cells, computed_at FROM disclosure_runs_v1")
        con.execute("DROP TABLE disclosure_runs_v1")
    con.execute("""CREATE TABLE IF NOT EXISTS disclosure_unsettled (run_id BIGINT NOT NULL, method VARCHAR NOT NULL,
        block INTEGER NOT NULL, note VARCHAR NOT NULL, PRIMARY KEY (run_id, method, block))""")


def _activity_and_coverage(con: duckdb.DuckDBPyConnection) -> None:
    """The register's opening and closing months (active_from, active_to), the coverage of compiled cells
    (index_coverage), the non-response the compile imputed (nonresponse) and the scope and inputs of imputation
    runs."""
    from iip.validation import LAYOUTS

    con.execute(LAYOUTS["register"].add_columns_sql())
    _run_ddl(con, schema.COVERAGE_DDL)


def _disclosure_by_indicator(con: duckdb.DuckDBPyConnection) -> None:
    """Disclosure cache keyed by (compile run, method, indicator): each indicator (production, consumption,
    inventory) has its own suppression pattern. Tables made before are kept, as indicator '*' (one pattern for
    every indicator, methods '1' and '2')."""
    if not exists(con, "disclosure", "indicator"):
        con.execute("ALTER TABLE disclosure ADD COLUMN indicator VARCHAR DEFAULT '*'")
    if not exists(con, "disclosure_runs", "indicator"):
        con.execute("ALTER TABLE disclosure_runs RENAME TO disclosure_runs_v2")
        con.execute("""CREATE TABLE disclosure_runs (run_id BIGINT NOT NULL, method VARCHAR NOT NULL,
            indicator VARCHAR NOT NULL, cells BIGINT, unsettled INTEGER NOT NULL DEFAULT 0,
            computed_at TIMESTAMP NOT NULL DEFAULT current_timestamp, PRIMARY KEY (run_id, method, indicator))""")
        con.execute("INSERT INTO disclosure_runs (run_id, method, indicator, cells, unsettled, computed_at) "
                    "SELECT run_id, method, '*', cells, unsettled, computed_at FROM disclosure_runs_v2")
        con.execute("DROP TABLE disclosure_runs_v2")
    if not exists(con, "disclosure_unsettled", "indicator"):
        con.execute("ALTER TABLE disclosure_unsettled RENAME TO disclosure_unsettled_v2")
        con.execute("""CREATE TABLE disclosure_unsettled (run_id BIGINT NOT NULL, method VARCHAR NOT NULL,
            indicator VARCHAR NOT NULL, block INTEGER NOT NULL, note VARCHAR NOT NULL,
            PRIMARY KEY (run_id, method, indicator, block))""")
        con.execute("INSERT INTO disclosure_unsettled (run_id, method, indicator, block, note) "
                    "SELECT run_id, method, '*', block, note FROM disclosure_unsettled_v2")
        con.execute("DROP TABLE disclosure_unsettled_v2")


def _published_provenance(con: duckdb.DuckDBPyConnection) -> None:
    """Published figures: ``derived_from`` (the figure a derived one was computed from, e.g. a March year to
    date from Q1) and each file's ``outcome`` (imported | no IIP tables) and ``refused`` count."""
    con.execute("ALTER TABLE published_figures ADD COLUMN IF NOT EXISTS derived_from VARCHAR")
    con.execute("ALTER TABLE published_files ADD COLUMN IF NOT EXISTS outcome VARCHAR")
    con.execute("ALTER TABLE published_files ADD COLUMN IF NOT EXISTS refused BIGINT")


def _collection_security(con: duckdb.DuckDBPyConnection) -> None:
    """Login throttling, approvals of microdata accounts, revision requests of released months."""
    _run_ddl(con, schema.COLLECTION_SECURITY_DDL)


def _release_provenance(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``releases`` records what a vintage was built from: the published figures' as-of date (NULL: the
    month's own workbook, or compiled data), the stored seasonal adjustment used (run id, NULL: none), and the
    figures' vintage label (a compile run, or GSO's release month)."""
    for column, kind in (("as_of", "DATE"), ("sa_run_id", "BIGINT"), ("figures_vintage", "VARCHAR")):
        con.execute(f"ALTER TABLE releases ADD COLUMN IF NOT EXISTS {column} {kind}")


def _duckdb_indexes(con: duckdb.DuckDBPyConnection) -> None:
    """The enterprise indexes of :data:`DUCKDB_INDEXES` on a DuckDB store (a PostgreSQL store has had its own
    since migration 5)."""
    if not postgres.is_postgres(con):
        for table, column in DUCKDB_INDEXES.items():
            con.execute(f"CREATE INDEX IF NOT EXISTS {table}_{column} ON {table} ({column})")


#: Every migration, in order. Append; never edit one that has been released.
MIGRATIONS: list[Migration] = [
    Migration(1, "baseline: inputs, compiled indices, published figures, seasonal, releases, collection", _baseline),
    Migration(2, "register active_from/active_to; index_coverage; nonresponse; imputation run scope",
              _activity_and_coverage),
    Migration(3, "collection security: login throttling, account approvals, revision requests",
              _collection_security),
    Migration(4, "releases: as_of, sa_run_id, figures_vintage (what a release vintage was built from)",
              _release_provenance),
    Migration(5, "store_objects; sa_runs.input_sha256; PostgreSQL indexes", _store_objects_and_sa_inputs),
    Migration(6, "disclosure cache keyed by compile run and method; unsettled audit blocks", _disclosure_by_method),
    Migration(7, "published figures: derived_from; files: outcome, refused", _published_provenance),
    Migration(8, "disclosure cache keyed by compile run, method and indicator", _disclosure_by_indicator),
    Migration(9, "DuckDB indexes on reports and employment by enterprise", _duckdb_indexes),
]
LATEST = max(m.version for m in MIGRATIONS)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The store's schema version: 0 for an empty store or one made before versions were recorded."""
    if not exists(con, "schema_version"):
        return 0
    row = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def check_version(con: duckdb.DuckDBPyConnection, *, where: str) -> int:
    """The store's version; a StoreError if it is newer than this code knows."""
    version = schema_version(con)
    if version > LATEST:
        raise StoreError(f"the store {where} has schema version {version}, newer than this iip knows ({LATEST}): "
                         "upgrade iip to use it")
    return version


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """The migrations recorded in the store's ``schema_version`` table (empty for a new store)."""
    if not exists(con, "schema_version"):
        return set()
    return {int(v) for (v,) in con.execute("SELECT version FROM schema_version").fetchall()}


def pending(con: duckdb.DuckDBPyConnection) -> list[Migration]:
    """The migrations this code knows that the store has not had, in order (a gap is filled too: a store migrated
    by a build that lacked migration 4 still gets 4)."""
    done = applied_versions(con)
    return sorted((m for m in MIGRATIONS if m.version not in done), key=lambda m: m.version)


def migrate(con: duckdb.DuckDBPyConnection, *, where: str = "store") -> list[int]:
    """Apply every migration the store has not had yet (by number: one merged in later with a lower number is
    applied too), each in its own transaction; returns their numbers. On PostgreSQL, processes that start at
    once (several web workers) take turns under an advisory lock."""
    from iip.store.connection import transaction

    check_version(con, where=where)
    pg = postgres.is_postgres(con)
    ran = []
    for m in pending(con):
        try:
            with transaction(con, name="migration"):
                if pg:
                    postgres.advisory_lock(con, "migrate")
                _run_ddl(con, VERSION_DDL)
                m.apply(con)
                con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [m.version, m.name])
        except duckdb.Error:
            # another process (a second web worker starting) applied it while this one waited for the lock;
            # PostgreSQL then rejects the second record of the same version
            if not (pg and m.version in applied_versions(con)):
                raise
            continue
        ran.append(m.version)
    return ran
