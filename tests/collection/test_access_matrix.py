"""Every role x every collection endpoint: status codes, and what each role can see. Enterprise A (E1, province
01) never reads or changes enterprise B's (E2, province 79) data and vice versa."""
from __future__ import annotations

import shutil

import pytest
from fastapi.testclient import TestClient

from tests.collection.conftest import _Tokens, auth, csrf, make_app, page_login

ROLES = ["anonymous", "admin", "ent_a", "ent_b", "prov_01", "prov_79", "national"]
E1_LINE = {"enterprise_id": "E1", "period": "2024-01",
           "products": [{"product_code": "STEEL", "produced": 112.68, "sold": 112.68, "closing_stock": 10}]}
#            anonymous admin ent_a ent_b prov_01 prov_79 national
EXPECTED = {
    ("GET", "/api/collect/me"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "/api/collect/users"): (401, 200, 403, 403, 403, 403, 403),
    ("POST", "/api/collect/users"): (401, 200, 403, 403, 403, 403, 403),
    ("POST", "/api/collect/users/ent_b/disable"): (401, 200, 403, 403, 403, 403, 403),
    ("POST", "/api/collect/reports"): (401, 403, 200, 403, 200, 403, 200),
    ("POST", "/api/collect/reports/upload"): (401, 403, 200, 403, 200, 403, 200),
    ("GET", "/api/collect/reports"): (401, 403, 200, 200, 200, 200, 200),
    ("GET", "/api/collect/reports?enterprise_id=E1"): (401, 403, 200, 403, 200, 403, 200),
    ("GET", "/api/collect/reports/E1/2023-01"): (401, 403, 200, 403, 200, 403, 200),
    ("GET", "/api/collect/reports/E2/2023-01"): (401, 403, 403, 200, 403, 200, 200),
    ("GET", "/api/collect/audit"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "/api/collect/outliers"): (401, 403, 403, 403, 200, 200, 200),
    ("POST", "/api/collect/outliers/1/accept"): (401, 403, 403, 403, 200, 404, 200),
    ("GET", "/api/collect/labour?period=2023-12"): (401, 403, 403, 403, 200, 200, 200),
}
VISIBLE = {"ent_a": {"E1"}, "ent_b": {"E2"}, "prov_01": {"E1", "E3"}, "prov_79": {"E2"},
           "national": {"E1", "E2", "E3"}}


def _flag(client):
    client.app.state.db.execute(
        "INSERT INTO outlier_flags (flag_id, method, enterprise_id, period, product_code, variable, value, previous) "
        "VALUES (1, 'HB', 'E1', '2023-12', 'STEEL', 'produced', 111.6, 110.5)")


def _call(client, method, url, headers, n):
    if url == "/api/collect/users":
        if method == "POST":
            return client.post(url, headers=headers, json={"username": f"u{n}", "password": "longenough1",
                                                           "role": "national"})
    if url == "/api/collect/reports" and method == "POST":
        return client.post(url, headers=headers, json=E1_LINE)
    if url.endswith("/upload"):
        csv = ("enterprise_id,period,product_code,produced,sold,closing_stock\n"
               "E1,2024-01,STEEL,112.68,112.68,10\n")
        return client.post(url, headers=headers, files={"file": ("r.csv", csv.encode())})
    if url.endswith("/accept"):
        return client.post(url, headers=headers, json={"comment": "plausible"})
    return client.request(method, url, headers=headers)


@pytest.fixture(scope="module")
def shared(tmp_path_factory, _template):
    """One app and one login per role for the whole matrix (argon2 verification is deliberately slow)."""
    path = tmp_path_factory.mktemp("matrix") / "m.duckdb"
    shutil.copy(_template, path)
    with TestClient(make_app(path), raise_server_exceptions=False) as c:
        _flag(c)
        yield c, _Tokens(c)


@pytest.mark.parametrize("endpoint", list(EXPECTED), ids=lambda e: f"{e[0]} {e[1]}")
def test_access_matrix(shared, endpoint):
    client, tokens = shared
    method, url = endpoint
    got = {}
    for n, role in enumerate(ROLES):
        h = {} if role == "anonymous" else auth(tokens[role])
        r = _call(client, method, url, h, n)
        body = r.json()
        assert "Traceback" not in r.text
        if r.status_code != 200:
            assert body["ok"] is False and body["status"] == r.status_code and body["error"]
        got[role] = r.status_code
        if url == "/api/collect/users/ent_b/disable" and r.status_code == 200:  # re-enable for later roles
            client.app.state.db.execute("UPDATE users SET active = true WHERE username = 'ent_b'")
        client.app.state.db.execute("DELETE FROM outlier_reviews")  # each role reviews the same flag afresh
    assert got == dict(zip(ROLES, EXPECTED[endpoint]))


def test_each_role_sees_only_its_scope(client, tokens):
    for role, visible in VISIBLE.items():
        rows = client.get("/api/collect/reports", headers=auth(tokens[role])).json()["reports"]
        assert {r["enterprise_id"] for r in rows} == visible, role
        audit = client.get("/api/collect/audit", headers=auth(tokens[role])).json()["audit"]
        assert {a["enterprise_id"] for a in audit if a["enterprise_id"]} <= visible, role


def test_enterprise_a_never_changes_b(client, tokens):
    con = client.app.state.db
    before = con.execute("SELECT * FROM reports WHERE enterprise_id = 'E2' ORDER BY period").fetchall()
    h = auth(tokens["ent_a"])
    attempts = [
        client.post("/api/collect/reports", headers=h, json={**E1_LINE, "enterprise_id": "E2"}),
        client.post("/api/collect/reports", headers=h, json={**E1_LINE, "enterprise_id": ["E2"]}),
        client.post("/api/collect/reports/upload", headers=h, files={"file": ("x.csv", (
            b"enterprise_id,period,product_code,produced\nE1,2024-01,STEEL,1\nE2,2024-01,MILK,1\n"))}),
    ]
    assert [a.status_code for a in attempts] == [403, 403, 403]
    for url in ("/api/collect/reports/E2/2023-01", "/api/collect/reports?enterprise_id=E2"):
        assert client.get(url, headers=h).status_code == 403
    after = con.execute("SELECT * FROM reports WHERE enterprise_id = 'E2' ORDER BY period").fetchall()
    assert after == before
    assert con.execute("SELECT count(*) FROM reports WHERE enterprise_id = 'E1' AND period = '2024-01'"
                       ).fetchone()[0] == 0


def test_expired_token_is_rejected(client, tokens):
    con = client.app.state.db
    t = tokens["ent_a"]
    con.execute("UPDATE tokens SET expires_at = TIMESTAMP '2000-01-01'")
    assert client.get("/api/collect/me", headers=auth(t)).status_code == 401
    stored = [h for (h,) in con.execute("SELECT token_hash FROM tokens").fetchall()]
    assert t not in stored and all(len(h) == 64 for h in stored)  # only hashes are stored


def test_passwords_are_argon2_hashed(client):
    hashes = [h for (h,) in client.app.state.db.execute("SELECT password_hash FROM users").fetchall()]
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)


@pytest.mark.parametrize("role,cookie_ok", [("ent_a", True), ("anonymous", False)])
def test_pages_need_a_login(client, role, cookie_ok):
    if cookie_ok:
        r = page_login(client, role)
        assert r.status_code == 303 and "iip_token" in r.cookies
    r = client.get("/collect/", follow_redirects=False)
    assert (r.status_code == 200) == cookie_ok
    if cookie_ok:
        assert "E1" in r.text and "<form" in r.text
    else:
        assert r.headers["location"] == "/collect/login"


def test_page_form_submission_and_review_queue(client):
    page_login(client, "prov_01")
    token = csrf(client, "/collect/?enterprise=E1&lang=en")
    form = {"enterprise_id": "E1", "period": "2024-01", "employees": "120", "product_0": "STEEL",
            "produced_0": "112.68", "sold_0": "112.68", "closing_stock_0": "10", "csrf": token}
    r = client.post("/collect/submit", data=form)
    assert r.status_code == 200 and 'id="result"' in r.text
    r = client.post("/collect/submit", data={**form, "produced_0": "-1"})
    assert r.status_code == 422 and "Rolled steel (nghìn tấn) · Produced" in r.text and "products[0]" not in r.text
    _flag(client)
    assert "Rolled steel" in client.get("/collect/review").text
    r = client.post("/collect/review/1", data={"action": "accept", "comment": "ok", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.app.state.db.execute("SELECT action, username FROM outlier_reviews").fetchall() == \
        [("accept", "prov_01")]
