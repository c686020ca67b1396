"""Released months are locked for enterprises (a change becomes a revision request a statistician decides), and
the labour-usage figures are scoped by role and disclosure-controlled: no suppressed cell can be derived from the
published ones."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from iip.quality.labour import cell_members, labour_index, protect
from iip.reference import section_of
from tests.collection.conftest import auth

JUNE = {"period": "2023-06", "products": [{"product_code": "STEEL", "produced": 106.0, "sold": 106.0,
                                           "closing_stock": 10}]}


def q(client, sql, *args):
    return client.app.state.db.execute(sql, list(args)).fetchall()


@pytest.fixture
def released(client):
    client.app.state.db.execute(
        "INSERT INTO releases (release_id, period, source, vintage, directory, files, content_hash) "
        "VALUES (1, '2023-06', 'compiled', 1, 'out', '[]', 'x')")
    return client


def test_an_enterprise_change_to_a_released_month_becomes_a_request(released, tokens):
    client = released
    before = q(client, "SELECT * FROM reports WHERE enterprise_id = 'E1' AND period = '2023-06'")
    r = client.post("/api/collect/reports", json=JUNE, headers=auth(tokens["ent_a"]))
    assert r.status_code == 200, r.text
    (s,) = r.json()["submissions"]
    assert s["action"] == "revision_requested" and s["load_id"] is None and s["revision_id"] == 1
    assert q(client, "SELECT * FROM reports WHERE enterprise_id = 'E1' AND period = '2023-06'") == before
    (row,) = q(client, "SELECT enterprise_id, period, username, status, lines FROM revision_requests")
    assert row[:4] == ("E1", "2023-06", "ent_a", "pending") and json.loads(row[4])[0]["produced"] == 106.0
    assert q(client, "SELECT action FROM audit_log WHERE period = '2023-06'") == [("revision_request",)]
    # an upload for the released month too; a month not released is written as usual
    csv = b"period,product_code,produced,sold,closing_stock\n2023-06,STEEL,106.5,106.5,10\n"
    up = client.post("/api/collect/reports/upload", files={"file": ("j.csv", csv)}, headers=auth(tokens["ent_a"]))
    assert up.json()["submissions"][0]["action"] == "revision_requested"
    jan = {**JUNE, "period": "2024-01", "products": [{**JUNE["products"][0], "produced": 112.7, "sold": 112.7}]}
    assert client.post("/api/collect/reports", json=jan, headers=auth(tokens["ent_a"])
                       ).json()["submissions"][0]["action"] == "submit"


def test_statisticians_see_decide_and_cannot_decide_twice(released, tokens):
    client = released
    client.post("/api/collect/reports", json=JUNE, headers=auth(tokens["ent_a"]))
    assert [x["revision_id"] for x in client.get("/api/collect/revisions", headers=auth(tokens["ent_a"])
                                                 ).json()["revisions"]] == [1]
    assert client.get("/api/collect/revisions", headers=auth(tokens["prov_79"])).json()["revisions"] == []
    assert client.get("/api/collect/revisions", headers=auth(tokens["ent_b"])).json()["revisions"] == []
    r = client.post("/api/collect/revisions/1/reject", json={}, headers=auth(tokens["prov_01"]))
    assert r.status_code == 422 and r.json()["problems"][0]["field"] == "comment"
    r = client.post("/api/collect/revisions/1/accept", json={"comment": "confirmed by phone"},
                    headers=auth(tokens["prov_01"]))
    assert r.status_code == 200 and r.json()["submission"]["action"] == "revision"
    load = r.json()["submission"]["load_id"]
    assert q(client, "SELECT produced, load_id FROM reports WHERE enterprise_id = 'E1' AND period = '2023-06'"
             ) == [(106.0, load)]
    assert q(client, "SELECT status, decided_by, load_id FROM revision_requests") == [("accepted", "prov_01", load)]
    assert q(client, "SELECT action, username FROM submissions WHERE load_id = ?", load) == [("revision", "prov_01")]
    again = client.post("/api/collect/revisions/1/accept", json={}, headers=auth(tokens["national"]))
    assert again.status_code == 409 and "already been accepted by prov_01" in again.json()["error"]
    assert [a for (a,) in q(client, "SELECT action FROM audit_log WHERE period = '2023-06' ORDER BY audit_id")] == \
        ["revision_request", "revision", "revision_accept"]


def test_statisticians_correct_released_months_directly(released, tokens):
    r = released.post("/api/collect/reports", json={**JUNE, "enterprise_id": "E1"}, headers=auth(tokens["prov_01"]))
    assert r.json()["submissions"][0]["action"] == "correct"


# ------------------------------------------------------------------------------------------------ labour
def _employment(client, rows):
    client.app.state.db.executemany("INSERT INTO employment (enterprise_id, period, employees, status, load_id) "
                                    "VALUES (?, ?, ?, 'R', 0)", rows)


def test_labour_is_scoped_by_role_and_small_cells_are_confidential(client, tokens):
    _employment(client, [(e, p, n) for e, n in (("E1", 100.0), ("E2", 120.0), ("E3", 90.0))
                         for p in ("2023-11", "2023-12")])
    prov = client.get("/api/collect/labour?period=2023-12", headers=auth(tokens["prov_01"])).json()
    assert prov["scope"] == "01"
    assert {r["code"] for r in prov["labour"] if r["dimension"] == "province"} == {"01"}   # nothing of 79
    assert all(r["obs_status"] == "c" and r["employees"] is None for r in prov["labour"])  # 2 enterprises < 3
    nat = client.get("/api/collect/labour?period=2023-12", headers=auth(tokens["national"])).json()
    shown = {(r["dimension"], r["code"]): r for r in nat["labour"] if r["obs_status"] is None}
    assert set(shown) == {("total", "TOTAL"), ("section", "C")}
    assert shown[("total", "TOTAL")]["employees"] == 310 and shown[("total", "TOTAL")]["mom"] == 100.0
    hidden = [r for r in nat["labour"] if r["obs_status"] == "c"]
    assert {r["code"] for r in hidden if r["dimension"] == "province"} == {"01", "79"}
    assert all(r["employees"] is None and r["mom"] is None and r["enterprises_mom"] is None for r in hidden)
    bad = client.get("/api/collect/labour?period=2023-13", headers=auth(tokens["national"]))
    assert bad.status_code == 422


def _derivable(cells: list[tuple[str, str]], groups, hidden: set) -> list:
    """Hidden cells whose value follows from the published ones: e_k lies in the row space of the identities
    restricted to the hidden cells (independent of iip.disclosure)."""
    sup = sorted(hidden)
    col = {c: i for i, c in enumerate(sup)}
    rows = []
    for total, parts in groups:
        row = np.zeros(len(sup))
        for c, coef in [(total, 1.0)] + [(p, -1.0) for p in parts]:
            if c in col:
                row[col[c]] += coef
        if row.any():
            rows.append(row)
    if not rows:
        return []
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    return [c for c in sup if np.linalg.matrix_rank(np.vstack([a, np.eye(len(sup))[col[c]]])) == rank]


@pytest.mark.parametrize("seed", range(6))
def test_no_confidential_labour_cell_can_be_derived(seed):
    rng = np.random.default_rng(seed)
    n = 40
    reg = pd.DataFrame({"enterprise_id": [f"X{i}" for i in range(n)],
                        "province": rng.choice(["01", "22", "79", "31"], n, p=[.4, .3, .2, .1]),
                        "vsic": rng.choice(["1010", "1050", "2410", "0510", "3511", "3600"], n),
                        "ownership": rng.choice(["state", "nonstate", "fdi"], n, p=[.2, .6, .2])})
    size = rng.lognormal(4, 1.2, n).round()
    emp = pd.concat([pd.DataFrame({"enterprise_id": reg["enterprise_id"], "period": p, "employees": size * f})
                     for p, f in (("2023-11", 1.0), ("2023-12", 1.02))])
    idx = labour_index(emp, reg, "2023-12")
    members = cell_members(emp, reg, "2023-12")
    out = protect(idx, members)
    hidden = {(d, c) for d, c, s in zip(out["dimension"], out["code"], out["obs_status"]) if s == "c"}
    # the primary rule: every cell of fewer than 3 enterprises is hidden
    counts = members.groupby(["dimension", "code"])["enterprise_id"].nunique()
    assert {k for k, v in counts.items() if v < 3} <= hidden
    # the identities, written here independently: TOTAL = sections = ownerships = provinces; section = divisions
    cells = list(zip(out["dimension"], out["code"]))
    groups = [(("total", "TOTAL"), tuple(c for c in cells if c[0] == d)) for d in ("section", "ownership", "province")]
    groups += [(s, tuple(c for c in cells if c[0] == "division" and section_of(c[1]) == s[1]))
               for s in cells if s[0] == "section"]
    assert _derivable(cells, groups, hidden) == []
    shown = out[out["obs_status"].isna()]
    assert shown["employees"].notna().all() and len(shown) > 0
