"""The DuckDB store: one file, one place for the schema and the connection.

Default path ``./iip.duckdb``; override with ``--db PATH`` or the ``IIP_DB`` environment variable.
Each stage of the pipeline owns a block of DDL below (``SCHEMA``); ``connect`` applies all of them
idempotently. See docs/schema.md for the documented schema.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

DEFAULT_DB = "iip.duckdb"

# --- stage: reference + microdata inputs (core) --------------------------------------------
CORE_DDL = """
CREATE SEQUENCE IF NOT EXISTS load_seq START 1;
CREATE TABLE IF NOT EXISTS loads (            -- audit trail: one row per ingested file
    load_id     BIGINT PRIMARY KEY,
    kind        VARCHAR NOT NULL,             -- register|products|weights|reports
    file        VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    rows        BIGINT NOT NULL,
    inserted    BIGINT NOT NULL,              -- new or changed rows (new versions)
    unchanged   BIGINT NOT NULL,
    loaded_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    loaded_by   VARCHAR
);
CREATE TABLE IF NOT EXISTS register (         -- versioned: latest load_id per enterprise wins
    enterprise_id VARCHAR NOT NULL, name VARCHAR, province VARCHAR NOT NULL,
    vsic VARCHAR NOT NULL, ownership VARCHAR NOT NULL, load_id BIGINT NOT NULL,
    PRIMARY KEY (enterprise_id, load_id)
);
CREATE TABLE IF NOT EXISTS products (
    product_code VARCHAR NOT NULL, name_vi VARCHAR, name_en VARCHAR, unit VARCHAR,
    vsic VARCHAR NOT NULL, load_id BIGINT NOT NULL,
    PRIMARY KEY (product_code, load_id)
);
CREATE TABLE IF NOT EXISTS weights (
    kind VARCHAR NOT NULL, code VARCHAR NOT NULL, province VARCHAR NOT NULL,
    base_year INTEGER NOT NULL, value DOUBLE NOT NULL, load_id BIGINT NOT NULL,
    PRIMARY KEY (kind, code, province, base_year, load_id)
);
CREATE TABLE IF NOT EXISTS reports (          -- every version kept; latest load_id per key is current
    enterprise_id VARCHAR NOT NULL, period VARCHAR NOT NULL, product_code VARCHAR NOT NULL,
    produced DOUBLE, sold DOUBLE, closing_stock DOUBLE,
    load_id BIGINT NOT NULL, status VARCHAR NOT NULL DEFAULT 'R',   -- R reported; imputation markers elsewhere
    PRIMARY KEY (enterprise_id, period, product_code, load_id)
);
CREATE OR REPLACE VIEW register_current AS
    SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY enterprise_id ORDER BY load_id DESC) rn FROM register) WHERE rn = 1;
CREATE OR REPLACE VIEW products_current AS
    SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY product_code ORDER BY load_id DESC) rn FROM products) WHERE rn = 1;
CREATE OR REPLACE VIEW weights_current AS
    SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY kind, code, province, base_year ORDER BY load_id DESC) rn FROM weights) WHERE rn = 1;
CREATE OR REPLACE VIEW reports_current AS
    SELECT * EXCLUDE (rn) FROM (SELECT *, row_number() OVER (PARTITION BY enterprise_id, period, product_code ORDER BY load_id DESC) rn FROM reports) WHERE rn = 1;
"""

# --- stage: compiled indices (core) ---------------------------------------------------------
COMPILE_DDL = """
CREATE TABLE IF NOT EXISTS compile_runs (
    run_id BIGINT PRIMARY KEY, started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    period_from VARCHAR, period_to VARCHAR, base_years VARCHAR, reference_year INTEGER, rows BIGINT
);
CREATE TABLE IF NOT EXISTS indices (          -- tidy: one row per indicator x area x node x period (latest run)
    indicator VARCHAR NOT NULL, area VARCHAR NOT NULL, node VARCHAR NOT NULL, period VARCHAR NOT NULL,
    "index" DOUBLE, mom DOUBLE, yoy DOUBLE, ytd DOUBLE, contrib_yoy DOUBLE, contrib_ytd DOUBLE,
    run_id BIGINT NOT NULL,
    PRIMARY KEY (indicator, area, node, period)
);
"""

# --- stage: published figures (official releases; ingest/gso.py, ingest/sdmx.py) -----------
PUBLISHED_DDL = """
"""

# --- stage: seasonal adjustment -------------------------------------------------------------
SEASONAL_DDL = """
"""

# --- stage: releases ------------------------------------------------------------------------
RELEASE_DDL = """
"""

# --- stage: collection, users, audit, imputation --------------------------------------------
COLLECTION_DDL = """
"""

SCHEMA = [CORE_DDL, COMPILE_DDL, PUBLISHED_DDL, SEASONAL_DDL, RELEASE_DDL, COLLECTION_DDL]


def db_path(path: str | os.PathLike | None = None) -> Path:
    """Resolve the store path: explicit argument, else $IIP_DB, else ./iip.duckdb."""
    return Path(path or os.environ.get("IIP_DB") or DEFAULT_DB)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in SCHEMA:
        if ddl.strip():
            con.execute(ddl)


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store and make sure every table exists."""
    p = db_path(path)
    if str(p) != ":memory:":
        p.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(p), read_only=read_only)
    if not read_only:
        ensure_schema(con)
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: BEGIN ... COMMIT, ROLLBACK on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT nextval('load_seq')").fetchone()[0])
