"""The store handle of the service and of long batches on a DuckDB file: the file is held only while there is
work, and :meth:`Store.close` leaves no thread behind (one still inside DuckDB when the interpreter exits aborts
the process: "terminate called without an active exception")."""
from __future__ import annotations

import threading
import time

import duckdb

from iip.store import Store, scalar


def _closers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "iip-store-linger"]


def test_close_waits_for_the_idle_closer(tmp_path):
    db = str(tmp_path / "s.duckdb")
    store = Store(db, linger=30.0)               # the closer would sleep 30 s before closing the file itself
    before = set(_closers())
    con = store.connect()
    assert scalar(con, "SELECT count(*) FROM audit_log") == 0
    con.close()
    assert len(set(_closers()) - before) == 1    # the file is open and its closer waits
    started = time.monotonic()
    store.close()
    assert set(_closers()) - before == set()     # no thread left behind ...
    assert time.monotonic() - started < 10       # ... and close did not wait out the 30 s linger


def test_the_file_is_closed_when_idle_and_reopened_on_demand(tmp_path):
    db = str(tmp_path / "s.duckdb")
    store = Store(db, linger=0.05)
    try:
        for round_ in range(2):
            with store.unit() as con:
                con.execute("INSERT INTO audit_log (audit_id, action) VALUES (?, 'x')", [round_ + 1])
            closer = store._closer
            assert closer is not None
            closer.join(30)
            assert store._open is None and not closer.is_alive()    # closed once idle
            with duckdb.connect(db, read_only=True) as other:
                assert other.execute("SELECT count(*) FROM audit_log").fetchone() == (round_ + 1,)
    finally:
        store.close()
