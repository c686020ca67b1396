"""50 enterprises submitting at the same time lose nothing (threads against the app; writes serialised by the
service layer's lock)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from iip.collection import accounts
from iip.store import connect
from tests.collection.conftest import auth, make_app

N = 50


def test_50_concurrent_submissions_lose_nothing(tmp_path, _template):
    import shutil
    path = tmp_path / "conc.duckdb"
    shutil.copy(_template, path)
    con = connect(path)
    ids = [f"C{i:03d}" for i in range(N)]
    con.executemany("INSERT INTO register (enterprise_id, name, province, vsic, ownership, load_id) VALUES (?, ?, '01', '2410', 'nonstate', 0)", [[e, e] for e in ids])
    # cheap tokens straight into the store: 50 argon2 logins would only test argon2's speed
    for e in ids:
        con.execute("INSERT INTO users (username, password_hash, role, enterprise_id, province) "
                    "VALUES (?, 'x', 'enterprise', ?, '01')", [e, e])
        con.execute("INSERT INTO tokens (token_hash, username, expires_at) VALUES (?, ?, now()::TIMESTAMP + "
                    "INTERVAL 1 DAY)", [accounts._token_hash(f"tok-{e}"), e])
    con.close()
    with TestClient(make_app(path), raise_server_exceptions=False) as client:
        def send(e):
            body = {"period": "2024-01", "employees": 10,
                    "products": [{"product_code": "STEEL", "produced": 5, "sold": 4, "closing_stock": 1}]}
            return client.post("/api/collect/reports", json=body, headers=auth(f"tok-{e}"))
        with ThreadPoolExecutor(max_workers=16) as pool:
            res = list(pool.map(send, ids))
        assert [r.status_code for r in res] == [200] * N, [r.text for r in res if r.status_code != 200][:3]
        db = client.app.state.db
        got = db.execute("SELECT enterprise_id FROM reports WHERE period = '2024-01' ORDER BY 1").fetchall()
        assert [e for (e,) in got] == ids
        assert db.execute("SELECT count(*), count(DISTINCT load_id) FROM submissions").fetchone() == (N, N)
        assert db.execute("SELECT count(*) FROM employment WHERE period = '2024-01'").fetchone()[0] == N
        assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'submit'").fetchone()[0] == N
