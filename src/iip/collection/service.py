"""The service layer's write discipline: every write runs all-or-nothing inside one transaction
(:func:`iip.store.write_transaction`: on a DuckDB store the process's writes take turns, DuckDB having one
writer; on PostgreSQL they run side by side, and one that collides with a concurrent write of the same records
is rolled back as a conflict)."""
from __future__ import annotations

from iip.store import write_transaction

__all__ = ["write_transaction"]
