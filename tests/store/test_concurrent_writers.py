"""Many writers at once on PostgreSQL: no process-wide lock (a second write transaction completes while the
first is still open), 50 concurrent submissions through the service all land, and two writes of the same records
at once end in one commit and one conflict, never half-written."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from iip.errors import ConflictError
from iip.store import Store, connect, scalar, write_transaction


def test_no_global_write_lock(pg_url):
    store = Store(pg_url)
    first, second = store.connect(), store.connect()
    done = threading.Event()

    def other_writer() -> None:
        with write_transaction(second):
            second.execute("INSERT INTO audit_log (audit_id, action) VALUES (2, 'second')")
        done.set()

    try:
        with write_transaction(first):
            first.execute("INSERT INTO audit_log (audit_id, action) VALUES (1, 'first')")
            t = threading.Thread(target=other_writer)
            t.start()
            t.join(60)
            assert done.is_set()              # committed while the first transaction is still open
            assert scalar(first, "SELECT count(*) FROM audit_log WHERE audit_id = 2") == 0   # its snapshot
        assert scalar(first, "SELECT count(*) FROM audit_log") == 2
    finally:
        first.close()
        second.close()
        store.close()


def test_same_records_at_once_one_conflict(pg_url):
    store = Store(pg_url)
    with connect(pg_url) as con:
        con.execute("INSERT INTO users (username, password_hash, role) VALUES ('u', 'x', 'admin')")
    a, b = store.connect(), store.connect()
    try:
        with pytest.raises(ConflictError, match="try again"):
            with write_transaction(a):
                assert scalar(a, "SELECT role FROM users WHERE username = 'u'") == "admin"   # a's snapshot
                with write_transaction(b):       # the same row, changed and committed meanwhile
                    b.execute("UPDATE users SET role = 'provincial' WHERE username = 'u'")
                a.execute("UPDATE users SET role = 'national' WHERE username = 'u'")
        assert scalar(b, "SELECT role FROM users WHERE username = 'u'") == "provincial"
    finally:
        a.close()
        b.close()
        store.close()


def test_50_concurrent_submissions_on_postgres(pg_url, tmp_path):
    from iip.collection import accounts
    from iip.web.app import create_app
    from tests.collection.conftest import PRODUCTS, REGISTER, auth

    from iip.ingest.microdata import ingest_file

    for name, text in (("register", REGISTER), ("products", PRODUCTS)):
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    ids = [f"C{i:03d}" for i in range(50)]
    with connect(pg_url) as con:
        ingest_file(con, "register", tmp_path / "register.csv")
        ingest_file(con, "products", tmp_path / "products.csv")
        con.executemany("INSERT INTO register VALUES (?, ?, '01', '2410', 'nonstate', 0)", [[e, e] for e in ids])
        for e in ids:
            con.execute("INSERT INTO users (username, password_hash, role, enterprise_id, province) "
                        "VALUES (?, 'x', 'enterprise', ?, '01')", [e, e])
            con.execute("INSERT INTO tokens (token_hash, username, expires_at) VALUES (?, ?, now()::TIMESTAMP + "
                        "INTERVAL 1 DAY)", [accounts._token_hash(f"tok-{e}"), e])
    with TestClient(create_app(pg_url, warm=False), raise_server_exceptions=False) as client:
        def send(e):
            body = {"period": "2024-01", "employees": 10,
                    "products": [{"product_code": "STEEL", "produced": 5, "sold": 4, "closing_stock": 1}]}
            return client.post("/api/collect/reports", json=body, headers=auth(f"tok-{e}"))

        with ThreadPoolExecutor(max_workers=16) as pool:
            res = list(pool.map(send, ids))
    assert [r.status_code for r in res] == [200] * 50, [r.text for r in res if r.status_code != 200][:3]
    with connect(pg_url, read_only=True) as con:
        got = con.execute("SELECT enterprise_id FROM reports WHERE period = '2024-01' ORDER BY 1").fetchall()
        assert [e for (e,) in got] == ids
        assert con.execute("SELECT count(*), count(DISTINCT load_id) FROM submissions").fetchone() == (50, 50)
        assert scalar(con, "SELECT count(*) FROM audit_log WHERE action = 'submit'") == 50
