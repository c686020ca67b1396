"""The store: one place for the connection, the schema (derived from the layouts, numbered migrations), the one
versioned upsert and the load record.

Default path ``./iip.duckdb``; override with ``--db PATH`` or the ``IIP_DB`` environment variable.
docs/schema.md documents every table.
"""
from __future__ import annotations

from iip.store.connection import DEFAULT_DB, connect, db_path, install_objects, transaction
from iip.store.migrations import LATEST, MIGRATIONS, migrate, schema_version
from iip.store.versioned import (next_id, next_load_id, record_load, retire, row, scalar, sha256,
                                 versioned_upsert)

__all__ = ["DEFAULT_DB", "LATEST", "MIGRATIONS", "connect", "db_path", "install_objects", "migrate", "next_id",
           "next_load_id", "record_load", "retire", "row", "scalar", "schema_version", "sha256", "transaction", "versioned_upsert"]
