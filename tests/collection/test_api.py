"""Submission API: edit rules, error shape, versions, idempotence, audit."""
from __future__ import annotations

import io
import json

import pandas as pd

from tests.collection.conftest import auth

GOOD = {"period": "2024-01", "employees": 120,
        "products": [{"product_code": "STEEL", "produced": 112.68, "sold": 112.68, "closing_stock": 10}]}


def q(client, sql, *args):
    con = client.app.state.db
    return con.execute(sql, list(args)).fetchall()


def test_login_wrong_password_is_401(client):
    r = client.post("/api/collect/login", json={"username": "ent_a", "password": "nope nope"})
    assert r.status_code == 401 and r.json()["ok"] is False and r.json()["status"] == 401


def test_no_token_is_401(client):
    r = client.post("/api/collect/reports", json=GOOD)
    assert r.status_code == 401 and r.json()["error"].startswith("authentication required")


def test_submit_then_identical_is_a_no_op_then_correction_versions(client, tokens):
    h = auth(tokens["ent_a"])
    r = client.post("/api/collect/reports", json=GOOD, headers=h)
    assert r.status_code == 200, r.text
    s = r.json()["submissions"][0]
    assert (s["enterprise_id"], s["action"], s["inserted"]) == ("E1", "submit", 1)
    first = s["load_id"]
    assert q(client, "SELECT produced, status, load_id FROM reports WHERE enterprise_id='E1' AND period='2024-01'") \
        == [(112.68, "R", first)]
    assert q(client, "SELECT employees FROM employment WHERE enterprise_id='E1'") == [(120.0,)]
    before = q(client, "SELECT count(*) FROM reports_history")[0][0]
    r = client.post("/api/collect/reports", json=GOOD, headers=h)
    assert r.json()["submissions"][0]["action"] == "unchanged"
    assert q(client, "SELECT count(*) FROM reports_history")[0][0] == before
    assert q(client, "SELECT count(*) FROM submissions")[0][0] == 1
    fix = {**GOOD, "products": [{**GOOD["products"][0], "produced": 113.0, "closing_stock": 10.32}]}
    r = client.post("/api/collect/reports", json=fix, headers=h)
    s = r.json()["submissions"][0]
    assert s["action"] == "correct" and s["load_id"] > first
    assert q(client, "SELECT produced, superseded_by FROM reports_history WHERE enterprise_id='E1' AND "
                     "period='2024-01'") == [(112.68, s["load_id"])]
    assert q(client, "SELECT produced FROM reports WHERE enterprise_id='E1' AND period='2024-01'") == [(113.0,)]
    actions = [a for (a,) in q(client, "SELECT action FROM audit_log WHERE enterprise_id='E1' AND period='2024-01' "
                                       "ORDER BY audit_id")]
    assert actions == ["submit", "submit_unchanged", "correct"]
    d = client.get("/api/collect/reports/E1/2024-01", headers=h).json()
    assert [v["produced"] for v in d["history"]] == [112.68] and len(d["submissions"]) == 2
    writer = client.get("/api/health").json()["writer"]     # the writer's own account: 3 answered, one by one
    assert (writer["submissions"], writer["group"]) == (3, 1.0)
    stages = {k[:-3]: v for k, v in writer.items() if k.endswith("_ms")}
    assert set(stages) == {"wait", "check", "handoff", "write", "total"}
    assert all(0 <= v["p50"] <= v["p99"] for v in stages.values())
    assert stages["total"]["p50"] >= max(stages["check"]["p50"], stages["write"]["p50"])  # a sum of the stages


def test_hard_errors_are_422_with_a_message_per_field(client, tokens):
    bad = {"period": "2024-13", "employees": -3,
           "products": [{"product_code": "NOPE", "produced": "ten", "sold": -1},
                        {"product_code": "STEEL", "produced": float("nan")}]}
    r = client.post("/api/collect/reports", content=json.dumps(bad), headers=auth(tokens["ent_a"]))
    body = r.json()
    assert r.status_code == 422 and body["ok"] is False and body["status"] == 422
    fields = {(p["field"], p["rule"]) for p in body["problems"]}
    assert {("products[0].product_code", "known_product"), ("products[0].produced", "numeric"),
            ("products[0].sold", "non_negative"), ("products[0].period", "period"),
            ("products[0].employees", "non_negative"), ("products[1].produced", "finite")} <= fields
    assert q(client, "SELECT count(*) FROM reports WHERE period='2024-13'")[0][0] == 0


def test_future_month_is_rejected(client, tokens):
    r = client.post("/api/collect/reports", json={**GOOD, "period": "2999-01"}, headers=auth(tokens["ent_a"]))
    assert r.status_code == 422 and any(p["rule"] == "future" for p in r.json()["problems"])


def test_soft_warnings_need_a_comment(client, tokens):
    h = auth(tokens["ent_a"])
    # produced x3 vs the steady +1%/month history; stock 10 + 300 - 112.68 != 10
    jump = {**GOOD, "products": [{"product_code": "STEEL", "produced": 338.0, "sold": 112.68, "closing_stock": 10}]}
    r = client.post("/api/collect/reports", json=jump, headers=h)
    body = r.json()
    assert r.status_code == 422 and body["needs_confirmation"] is True
    assert {p["rule"] for p in body["problems"]} == {"change", "stock_balance"}
    assert all(p["severity"] == "warning" for p in body["problems"])
    assert q(client, "SELECT count(*) FROM reports WHERE period='2024-01'")[0][0] == 0
    r = client.post("/api/collect/reports", json={**jump, "comment": "new furnace started"}, headers=h)
    assert r.status_code == 200
    (w, c), = q(client, "SELECT warnings, comment FROM submissions")
    assert c == "new furnace started" and "stock" in w


def test_unit_value_jump_warns(client, tokens):
    h = auth(tokens["ent_a"])
    line = {"product_code": "STEEL", "produced": 112.68, "sold": 112.68, "closing_stock": 10}
    assert client.post("/api/collect/reports", json={"period": "2024-01", "products": [{**line, "value": 1000}]},
                       headers=h).status_code == 200
    nxt = {"period": "2024-02", "products": [{**line, "produced": 113.8, "sold": 113.8, "value": 2000}]}
    r = client.post("/api/collect/reports", json=nxt, headers=h)
    assert r.status_code == 422 and [p["rule"] for p in r.json()["problems"]] == ["unit_value"]


def test_csv_and_xlsx_upload(client, tokens):
    h = auth(tokens["prov_01"])
    csv = ("enterprise_id,period,product_code,produced,sold,closing_stock,employees\n"
           "E1,2024-01,STEEL,112.68,112.68,10,120\nE3,2024-01,STEEL,90.14,90.14,10,60\n")
    r = client.post("/api/collect/reports/upload", files={"file": ("jan.csv", csv.encode(), "text/csv")}, headers=h)
    assert r.status_code == 200, r.text
    assert sorted(s["enterprise_id"] for s in r.json()["submissions"]) == ["E1", "E3"]
    buf = io.BytesIO()
    pd.DataFrame({"period": ["2024-01"], "product_code": ["MILK"], "produced": [56.3], "sold": [56.3],
                  "closing_stock": [10]}).to_excel(buf, index=False)
    r = client.post("/api/collect/reports/upload", files={"file": ("b.xlsx", buf.getvalue())},
                    headers=auth(tokens["ent_b"]))
    assert r.status_code == 200, r.text
    assert q(client, "SELECT produced FROM reports WHERE enterprise_id='E2' AND period='2024-01'") == [(56.3,)]
    bad = "enterprise_id,period,product_code,produced\nE1,2024-01,STEEL,x\n"
    r = client.post("/api/collect/reports/upload", files={"file": ("bad.csv", bad.encode())}, headers=h)
    p = r.json()["problems"][0]
    assert r.status_code == 422 and (p["file"], p["row"], p["field"]) == ("bad.csv", 2, "produced")


def test_submission_overrides_an_imputed_value(client, tokens):
    con = client.app.state.db
    con.execute("INSERT INTO reports VALUES ('E1','2024-01','STEEL',112.68,112.68,10,999,'FIR')")
    r = client.post("/api/collect/reports", json=GOOD, headers=auth(tokens["ent_a"]))
    s = r.json()["submissions"][0]
    assert s["inserted"] == 1
    assert q(client, "SELECT status, load_id FROM reports WHERE enterprise_id='E1' AND period='2024-01'") == \
        [("R", s["load_id"])]
    assert q(client, "SELECT status, superseded_by FROM reports_history WHERE period='2024-01'") == \
        [("FIR", s["load_id"])]


def test_users_admin_api(client, tokens):
    h = auth(tokens["admin"])
    r = client.post("/api/collect/users", json={"username": "new_ent", "password": "longenough1",
                                                "role": "enterprise", "enterprise_id": "E3"}, headers=h)
    assert r.status_code == 200 and r.json()["user"]["province"] == "01"
    assert "new_ent" in [u["username"] for u in client.get("/api/collect/users", headers=h).json()["users"]]
    t = client.post("/api/collect/login", json={"username": "new_ent", "password": "longenough1"}).json()["token"]
    assert client.get("/api/collect/me", headers=auth(t)).status_code == 200
    assert client.post("/api/collect/users/new_ent/disable", headers=h).status_code == 200
    assert client.get("/api/collect/me", headers=auth(t)).status_code == 401


def test_logout_revokes_the_token(client, tokens):
    h = auth(tokens["ent_a"])
    assert client.post("/api/collect/logout", headers=h).status_code == 200
    assert client.get("/api/collect/me", headers=h).status_code == 401
