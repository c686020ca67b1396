"""No confidential cell can be derived from what is published (issue 15): an intruder (tests/disclosure/intruder.py,
written apart from iip.disclosure) takes every figure the API publishes for a month and indicator (production,
consumption and inventory each have their own suppression pattern), the weighted-mean identities
of the hierarchy and of the geography (provinces -> regions -> VN, and the 34 merged provinces after July 2025),
the real weights, and derives what it can, by equality / subtraction and by any linear combination. It finds
nothing; and the same cells are confidential in the release's tables. Absent and confidential cells answer alike."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from fastapi.testclient import TestClient

from iip import disclosure
from iip.store import connect
from iip.web.app import create_app
from tests.disclosure import intruder

pytestmark = pytest.mark.slow


def published_month(client, con, period: str, indicator: str) -> tuple[dict, set]:
    """Every index value of ``indicator`` /api/series publishes for ``period`` -> {cell: value}, and the cells
    it marks confidential; asked area by area, nodes 60 at a time, as any reader could."""
    cells = con.execute("SELECT DISTINCT area, node FROM index_series WHERE indicator = ?", [indicator]).fetchall()
    by_area: dict[str, list[str]] = {}
    for a, n in cells:
        by_area.setdefault(a, []).append(n)
    values, hidden = {}, set()
    for area, nodes in sorted(by_area.items()):
        for i in range(0, len(nodes), 60):
            r = client.get("/api/series", params={"indicator": indicator, "area": area,
                                                  "node": ",".join(nodes[i:i + 60]), "from": period, "to": period})
            assert r.status_code == 200, r.text
            for s in r.json()["series"]:
                cell = (s["area"], s["node"])
                if s["obs_status"] and s["obs_status"][0] == "c":
                    assert s["values"] == [None]
                    hidden.add(cell)
                elif s["values"]:
                    values[cell] = s["values"][0]
    return values, hidden


def check_store(path, tmp_path, period: str, indicator: str) -> dict:
    p = tmp_path / path.name
    shutil.copy(path, p)
    disclosure.clear_memo()
    with TestClient(create_app(p, warm=False)) as client:
        con = connect(p, read_only=False)
        try:
            values, hidden = published_month(client, con, period, indicator)
            cells = set(values) | hidden
            groups = intruder.identities(cells)
            weight = intruder.cell_weights(con, cells)
            truth = dict(((a, n), v) for a, n, v in con.execute(
                """SELECT area, node, "index" FROM index_levels WHERE indicator = ? AND period = ?""",
                [indicator, period]).fetchall())
        finally:
            con.close()
    by_eq = intruder.by_equality(groups, hidden)
    by_lin = intruder.by_linear_combination(groups, hidden, weight)
    return {"values": values, "hidden": hidden, "groups": groups, "equality": by_eq, "linear": by_lin,
            "truth": truth}


def test_the_intruder_finds_the_old_leaks():
    """The method has teeth: national and regional 2818 published while the only province with the class is
    confidential (the demo's Hà Nội case) is found by equality; a hidden part of a published total by
    subtraction; two hidden parts of one identity are not."""
    cells = {("01", "2818"), ("RRD", "2818"), ("VN", "2818")}
    w = {c: 1.0 for c in cells}
    groups = intruder.identities(cells)
    assert intruder.by_equality(groups, {("01", "2818")}) == {("01", "2818")}
    assert intruder.by_linear_combination(groups, {("01", "2818")}, w) == {("01", "2818")}
    cells = {("01", "281"), ("01", "2811"), ("01", "2818")}
    w = {("01", "2811"): 1.0, ("01", "2818"): 3.0, ("01", "281"): 4.0}
    groups = intruder.identities(cells)
    assert intruder.by_equality(groups, {("01", "2811")}) == {("01", "2811")}       # 281 minus 2818
    assert intruder.by_linear_combination(groups, {("01", "2811")}, w) == {("01", "2811")}
    both = {("01", "2811"), ("01", "2818")}
    assert intruder.by_linear_combination(groups, both, w) == set()                 # one equation, two unknowns


@pytest.mark.parametrize("indicator", ["production", "consumption", "inventory"])
@pytest.mark.parametrize("store, period", [("demo_store", "2022-12"), ("merged_store", "2025-09")])
def test_no_confidential_cell_can_be_derived(store, period, indicator, request, tmp_path):
    res = check_store(request.getfixturevalue(store), tmp_path, period, indicator)
    assert len(res["hidden"]) > 100 and len(res["values"]) > 100          # both kinds occur
    assert any(a == "VN" for a, _ in res["values"])
    if store == "merged_store":
        assert any(intruder.is_merged(a) for a, _ in set(res["values"]) | res["hidden"])
    assert res["equality"] == set(), sorted(res["equality"])[:10]
    assert res["linear"] == set(), sorted(res["linear"])[:10]
    # every published value is the compiled one; a confidential value never leaves the API
    for cell, v in list(res["values"].items())[:500]:
        assert v == pytest.approx(res["truth"][cell], rel=1e-6)


def test_absent_and_confidential_cells_answer_alike(demo_store, tmp_path):
    p = tmp_path / "d.duckdb"
    shutil.copy(demo_store, p)
    disclosure.clear_memo()
    with TestClient(create_app(p, warm=False)) as client:
        con = connect(p)
        have = set(con.execute("SELECT DISTINCT area, node FROM index_series WHERE indicator = 'production' "
                               "AND area = '01'").fetchall())
        con.close()
        hidden = set(zip(*[disclosure.suppression_table(connect(p), "production")[c] for c in ("area", "node")]))
        confidential = sorted(c for c in have if c in hidden and len(c[1]) == 4)[0]
        from iip import reference

        tree = reference.vsic()
        absent = next(("01", n) for n in sorted(tree.loc[tree["level"] == "class", "code"]) if ("01", n) not in have)
        answers = []
        for area, node in (confidential, absent):
            r = client.get("/api/series", params={"area": area, "node": node})
            assert r.status_code == 200
            s = r.json()["series"][0]
            answers.append((s["periods"], s["values"], s["obs_status"]))
        assert answers[0] == answers[1]
        assert set(answers[0][2]) == {"c"} and set(answers[0][1]) == {None}
        csv = [client.get("/api/series", params={"area": a, "node": n, "format": "csv"}).text.splitlines()[1:]
               for a, n in (confidential, absent)]
        assert [x.split(",", 3)[3] for x in csv[0]] == [x.split(",", 3)[3] for x in csv[1]]


def test_release_tables_hide_the_same_cells(demo_store, tmp_path):
    """The release's national, quarterly and provincial tables publish nothing the suppression table hides;
    the consumption and inventory tables follow their own indicator's pattern."""
    from iip.release import data

    p = tmp_path / "r.duckdb"
    shutil.copy(demo_store, p)
    disclosure.clear_memo()
    con = connect(p)
    try:
        tab = disclosure.suppression_table(con, "production")
        hidden = set(zip(tab["area"], tab["node"]))
        d = data.load(con, "2022-12")
        for code, st, v in zip(d.national["code"], d.national["obs_status"], d.national["yoy"]):
            assert (st == "c") == (("VN", code) in hidden)
            assert (st != "c") or np.isnan(v)
        q = d.quarter.set_index("code")["q_yoy"]
        assert all(np.isnan(q[c]) for c in q.index if ("VN", c) in hidden)
        for code, st in zip(d.provinces["code"], d.provinces["obs_status"]):
            assert (st == "c") == ((code, "TOTAL") in hidden)
        for indicator in ("consumption", "inventory"):
            own = disclosure.suppression_table(con, indicator)
            own = set(own.loc[own["area"] == "VN", "node"])
            t = getattr(d, indicator)
            assert len(t) > 5
            for code, st, v in zip(t["code"], t["obs_status"], t["yoy"]):
                assert (st == "c") == (code in own)
                assert (st != "c") or np.isnan(v)
    finally:
        con.close()
