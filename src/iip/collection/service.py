"""The service layer's write discipline: DuckDB has one writer, so writes are serialised by a process-wide lock
and run all-or-nothing inside one transaction."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

from iip.store import transaction

WRITE_LOCK = threading.RLock()


@contextmanager
def write_transaction(con: duckdb.DuckDBPyConnection, *, name: str = "write"
                      ) -> Iterator[duckdb.DuckDBPyConnection]:
    """Hold the write lock and run the block in one transaction (ROLLBACK on any exception); ``name`` labels its
    crash-test checkpoints."""
    with WRITE_LOCK, transaction(con, name=name):
        yield con
