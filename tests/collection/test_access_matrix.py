"""Every role x every collection endpoint (API and pages): status codes, and what each role can see. Enterprise A
(E1, province 01) never reads or changes enterprise B's (E2, province 79) data and vice versa. Decisions taken
twice at the same moment (outlier flags, revision requests, approvals): one wins, the other gets 409."""
from __future__ import annotations

import shutil
import threading

import pytest
from fastapi.testclient import TestClient

from iip.collection import accounts
from tests.collection.conftest import PASSWORD, _Tokens, auth, csrf, make_app, page_login
from tests.web.test_api import check_error_shape

ROLES = ["anonymous", "admin", "ent_a", "ent_b", "prov_01", "prov_79", "national"]
E1_LINE = {"enterprise_id": "E1", "period": "2024-01",
           "products": [{"product_code": "STEEL", "produced": 112.68, "sold": 112.68, "closing_stock": 10}]}
UPLOAD = b"enterprise_id,period,product_code,produced,sold,closing_stock\nE1,2024-01,STEEL,112.68,112.68,10\n"
#            anonymous admin ent_a ent_b prov_01 prov_79 national
EXPECTED = {
    ("POST", "/api/collect/login"): (401, 200, 200, 200, 200, 200, 200),
    ("POST", "/api/collect/logout"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "/api/collect/me"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "/api/collect/users"): (401, 200, 403, 403, 403, 403, 403),
    ("POST", "/api/collect/users"): (401, 200, 403, 403, 403, 403, 403),
    ("POST", "/api/collect/users/spare/disable"): (401, 200, 403, 403, 403, 403, 403),
    ("POST", "/api/collect/users/spare/enable"): (401, 200, 403, 403, 403, 403, 403),
    ("POST", "/api/collect/users/spare/password"): (401, 200, 403, 403, 403, 403, 403),
    ("GET", "/api/collect/approvals"): (401, 200, 403, 403, 403, 403, 200),
    ("POST", "/api/collect/users/pend/approve"): (401, 403, 403, 403, 403, 403, 200),
    ("POST", "/api/collect/reports"): (401, 403, 200, 403, 200, 403, 200),
    ("POST", "/api/collect/reports/upload"): (401, 403, 200, 403, 200, 403, 200),
    ("GET", "/api/collect/reports"): (401, 403, 200, 200, 200, 200, 200),
    ("GET", "/api/collect/reports?enterprise_id=E1"): (401, 403, 200, 403, 200, 403, 200),
    ("GET", "/api/collect/reports/E1/2023-01"): (401, 403, 200, 403, 200, 403, 200),
    ("GET", "/api/collect/reports/E2/2023-01"): (401, 403, 403, 200, 403, 200, 200),
    ("GET", "/api/collect/audit"): (401, 200, 200, 200, 200, 200, 200),
    ("GET", "/api/collect/outliers"): (401, 403, 403, 403, 200, 200, 200),
    ("POST", "/api/collect/outliers/1/accept"): (401, 403, 403, 403, 200, 404, 200),
    ("POST", "/api/collect/outliers/1/edit"): (401, 403, 403, 403, 200, 404, 200),
    ("GET", "/api/collect/revisions"): (401, 403, 200, 200, 200, 200, 200),
    ("POST", "/api/collect/revisions/1/accept"): (401, 403, 403, 403, 200, 404, 200),
    ("POST", "/api/collect/revisions/1/reject"): (401, 403, 403, 403, 200, 404, 200),
    ("GET", "/api/collect/labour?period=2023-12"): (401, 403, 403, 403, 200, 200, 200),
}
#            anonymous admin ent_a ent_b prov_01 prov_79 national  (303 = sent elsewhere, never a 403 page)
PAGES = {
    "/collect/": (303, 303, 200, 200, 200, 200, 200),
    "/collect/review": (303, 303, 303, 303, 200, 200, 200),
    "/collect/users": (303, 200, 303, 303, 303, 303, 200),
    "/collect/login": (200, 200, 200, 200, 200, 200, 200),
}
VISIBLE = {"ent_a": {"E1"}, "ent_b": {"E2"}, "prov_01": {"E1", "E3"}, "prov_79": {"E2"},
           "national": {"E1", "E2", "E3"}}


def _flag(con, flag_id: int = 1, enterprise: str = "E1") -> None:
    con.execute("INSERT INTO outlier_flags (flag_id, method, enterprise_id, period, product_code, variable, value, "
                "previous) VALUES (?, 'HB', ?, '2023-12', 'STEEL', 'produced', 111.6, 110.5)", [flag_id, enterprise])


def _revision(con, revision_id: int = 1) -> None:
    con.execute("INSERT INTO revision_requests (revision_id, enterprise_id, period, username, channel, lines) "
                "VALUES (?, 'E1', '2023-06', 'ent_a', 'json', ?)",
                [revision_id, '[{"product_code": "STEEL", "produced": 106.2, "sold": 106.2, "closing_stock": 10}]'])


def _reset(con) -> None:
    """Undo what one role's call changed, so that the next role meets the same state."""
    con.execute("DELETE FROM outlier_reviews")
    con.execute("UPDATE revision_requests SET status = 'pending', decided_by = NULL")
    con.execute("UPDATE users SET active = true WHERE username = 'spare'")
    con.execute("UPDATE account_approvals SET approved_by = NULL, approved_at = NULL WHERE username = 'pend'")


def _call(client, method, url, headers, n):
    if url == "/api/collect/login":
        name = headers.pop("x-user", "nobody")
        return client.post(url, json={"username": name, "password": PASSWORD if name != "nobody" else "wrong pw"})
    if url == "/api/collect/logout" and headers:  # log out a fresh token, not the one the matrix reuses
        fresh = client.post("/api/collect/login", json={"username": headers.pop("x-user"), "password": PASSWORD})
        return client.post(url, headers=auth(fresh.json()["token"]))
    headers.pop("x-user", None)
    if url == "/api/collect/users" and method == "POST":
        return client.post(url, headers=headers, json={"username": f"u{n}", "password": "longenough1",
                                                       "role": "national"})
    if url.endswith("/password"):
        return client.post(url, headers=headers, json={"password": "another password"})
    if url == "/api/collect/reports" and method == "POST":
        return client.post(url, headers=headers, json=E1_LINE)
    if url.endswith("/upload"):
        return client.post(url, headers=headers, files={"file": ("r.csv", UPLOAD)})
    if url.endswith("/outliers/1/edit"):
        return client.post(url, headers=headers, json={"produced": 111.0, "comment": "typo"})
    if url.endswith(("/accept", "/reject")):
        return client.post(url, headers=headers, json={"comment": "plausible"})
    return client.request(method, url, headers=headers)


@pytest.fixture(scope="module")
def shared(tmp_path_factory, _template):
    """One app and one login per role for the whole matrix (argon2 verification is deliberately slow)."""
    path = tmp_path_factory.mktemp("matrix") / "m.duckdb"
    shutil.copy(_template, path)
    with TestClient(make_app(path), raise_server_exceptions=False) as c:
        con = c.app.state.db
        _flag(con)
        _revision(con)
        accounts.add_user(con, "spare", PASSWORD, "enterprise", enterprise_id="E3", by="test")
        accounts.add_user(con, "pend", PASSWORD, "provincial", province="01", actor=accounts.Principal("adm", "admin"))
        yield c, _Tokens(c)


@pytest.mark.parametrize("endpoint", list(EXPECTED), ids=lambda e: f"{e[0]} {e[1]}")
def test_access_matrix(shared, endpoint):
    client, tokens = shared
    method, url = endpoint
    got = {}
    for n, role in enumerate(ROLES):
        h = {} if role == "anonymous" else {**auth(tokens[role]), "x-user": role}
        r = _call(client, method, url, h, n)
        if r.status_code != 200:
            check_error_shape(r, r.status_code)
        else:
            assert r.json()["ok"] is True
        got[role] = r.status_code
        _reset(client.app.state.db)
    assert got == dict(zip(ROLES, EXPECTED[endpoint]))


def test_page_matrix(shared):
    client, _ = shared
    for url, expected in PAGES.items():
        got = {}
        for role in ROLES:
            client.cookies.clear()
            if role != "anonymous":
                assert page_login(client, role).status_code == 303
            got[role] = client.get(url, follow_redirects=False).status_code
        assert got == dict(zip(ROLES, expected)), url
    client.cookies.clear()


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
    _flag(client.app.state.db)
    assert "Rolled steel" in client.get("/collect/review").text
    r = client.post("/collect/review/1", data={"action": "accept", "comment": "ok", "csrf": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.app.state.db.execute("SELECT action, username FROM outlier_reviews").fetchall() == \
        [("accept", "prov_01")]


# ------------------------------------------------------------------------------------------------ races
def _race(client, calls):
    """Start every call at the same moment (a barrier) and return their responses."""
    gate = threading.Barrier(len(calls))
    out: list = [None] * len(calls)

    def run(i, call):
        gate.wait()
        out[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return out


@pytest.mark.parametrize("round_", range(4))
def test_two_reviewers_cannot_both_decide_a_flag(client, tokens, round_):
    con = client.app.state.db
    _flag(con, 10 + round_)
    url = f"/api/collect/outliers/{10 + round_}"
    calls = [lambda: client.post(url + "/accept", json={"comment": "fine"}, headers=auth(tokens["prov_01"])),
             lambda: client.post(url + "/edit", json={"produced": 111.0, "comment": "typo"},
                                 headers=auth(tokens["national"]))]
    res = _race(client, calls)
    assert sorted(r.status_code for r in res) == [200, 409]
    check_error_shape(next(r for r in res if r.status_code == 409), 409)
    assert con.execute("SELECT count(*) FROM outlier_reviews WHERE flag_id = ?", [10 + round_]).fetchone()[0] == 1
    edits = con.execute("SELECT count(*) FROM submissions WHERE action = 'review_edit'").fetchone()[0]
    won = [r for r in res if r.status_code == 200][0]
    assert edits == (1 if "submission" in won.json() else 0)   # a losing edit wrote no report version


def test_two_statisticians_cannot_both_decide_a_revision(client, tokens):
    con = client.app.state.db
    _revision(con, 7)
    calls = [lambda: client.post("/api/collect/revisions/7/accept", json={}, headers=auth(tokens["prov_01"])),
             lambda: client.post("/api/collect/revisions/7/reject", json={"comment": "no"},
                                 headers=auth(tokens["national"]))]
    res = _race(client, calls)
    assert sorted(r.status_code for r in res) == [200, 409]
    status = con.execute("SELECT status FROM revision_requests WHERE revision_id = 7").fetchone()[0]
    assert status == ("accepted" if res[0].status_code == 200 else "rejected")
    assert con.execute("SELECT count(*) FROM submissions WHERE action = 'revision'").fetchone()[0] == \
        (1 if status == "accepted" else 0)


def test_an_approval_is_given_once(client, tokens):
    con = client.app.state.db
    accounts.add_user(con, "nat2", PASSWORD, "national", by="test")
    accounts.add_user(con, "pend2", PASSWORD, "national", actor=accounts.Principal("adm", "admin"))
    t2 = client.post("/api/collect/login", json={"username": "nat2", "password": PASSWORD}).json()["token"]
    res = _race(client, [lambda: client.post("/api/collect/users/pend2/approve", headers=auth(tokens["national"])),
                         lambda: client.post("/api/collect/users/pend2/approve", headers=auth(t2))])
    assert sorted(r.status_code for r in res) == [200, 409]
    assert con.execute("SELECT count(*) FROM account_approvals WHERE username = 'pend2' AND approved_by IS NOT NULL"
                       ).fetchone()[0] == 1
