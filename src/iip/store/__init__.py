"""The store: one place for the connection, the schema (derived from the layouts, numbered migrations), the one
versioned upsert and the load record.

A store is a DuckDB file (default ``./iip.duckdb``) or a PostgreSQL database (``postgresql://user@host:port/db``);
choose it with ``--db`` or the ``IIP_DB`` environment variable. This package is the one place that knows which:
everything else gets a DuckDB connection (on PostgreSQL, DuckDB works on the tables through its postgres
extension; :mod:`iip.store.postgres`).
docs/schema.md documents every table.
"""
from __future__ import annotations

from iip.store.connection import (DEFAULT_DB, Store, among, backend, connect, db_path, describe, exclusive, exists,
                                  insert_rows, install_objects, is_postgres_target, of_enterprises, row, scalar,
                                  store_target, transaction, write_transaction)
from iip.store.migrations import LATEST, MIGRATIONS, migrate, schema_version
from iip.store.versioned import (next_id, next_ids, next_load_id, record_load, record_loads, retire, sha256,
                                versioned_upsert, versioned_upsert_loads)

__all__ = ["DEFAULT_DB", "LATEST", "MIGRATIONS", "Store", "among", "backend", "connect", "db_path", "describe",
           "exclusive", "exists", "insert_rows", "install_objects", "is_postgres_target", "migrate", "next_id",
           "next_ids", "next_load_id", "of_enterprises", "record_load", "record_loads", "retire", "row", "scalar",
           "schema_version", "sha256", "store_target", "transaction", "versioned_upsert", "versioned_upsert_loads",
           "write_transaction"]
