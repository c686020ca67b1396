"""Disclosure control: primary rules recomputed by brute force, no suppressed value derivable, apply(); each
indicator (production, consumption, inventory) with its own pattern."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from iip import reference
from iip import disclosure
from iip.disclosure import audit

INDICATORS = {"production": "produced", "consumption": "sold", "inventory": "closing_stock"}
REGION = dict(zip(reference.provinces()["code"], reference.provinces()["region_code"]))
GEO01 = disclosure.Geography({"01": "RRD"}, {})
TREE = reference.vsic()
PARENT = dict(zip(TREE["code"], TREE["parent"]))


def ancestors(code):
    while isinstance(code, str):
        yield code
        code = PARENT.get(code)


def areas_of(province):
    return [province, REGION[province], "VN"]


def brute_primary(tables, quantity: str = "produced") -> dict:
    """o(e,A,n) = sum_p q0_R(e,p)/q0(p,A) w(p,A), loop by loop, straight from the raw tables (q0: base-year
    monthly means of ``quantity``, the indicator's variable)."""
    reg = dict(zip(tables["register"]["enterprise_id"], tables["register"]["province"]))
    cls = dict(zip(tables["products"]["product_code"], tables["products"]["vsic"]))
    q0, q0r = defaultdict(float), defaultdict(float)
    for r in tables["reports"].itertuples():
        if r.period.startswith("2020"):
            for a in areas_of(reg[r.enterprise_id]):
                q0[(r.product_code, a)] += getattr(r, quantity) / 12
            if r.status == "R":
                q0r[(r.enterprise_id, r.product_code)] += getattr(r, quantity) / 12
    w = defaultdict(float)
    for r in tables["weights"][tables["weights"]["kind"] == "product"].itertuples():
        for a in areas_of(r.province):
            w[(r.code, a)] += r.value
    total, out = defaultdict(float), defaultdict(lambda: defaultdict(float))
    for (p, a), v in w.items():
        if q0.get((p, a), 0) > 0:
            for n in ancestors(cls[p]):
                total[(a, n)] += v
    for (e, p), q in q0r.items():
        for a in areas_of(reg[e]):
            for n in ancestors(cls[p]):
                out[(a, n)][e] += q / q0[(p, a)] * w[(p, a)]
    result = {}
    for cell, t in total.items():
        o = sorted((v for v in out[cell].values() if v > 0), reverse=True) + [0, 0]
        n = sum(1 for v in out[cell].values() if v > 0)
        result[cell] = n < 3 or o[0] > 0.85 * t or o[0] + o[1] > 0.90 * t
    return result


@pytest.mark.parametrize("indicator", INDICATORS)
def test_primary_rules_match_a_brute_force_computation(con, tables, indicator):
    expected = {c for c, s in brute_primary(tables, INDICATORS[indicator]).items() if s}  # every area
    tab = disclosure.suppression_table(con, indicator)
    got = {(a, n) for a, n, r in zip(tab["area"], tab["node"], tab["reason"]) if r.startswith("primary")}
    cells = set(map(tuple, con.execute("SELECT DISTINCT area, node FROM indices WHERE indicator = ?",
                                       [indicator]).fetchall()))
    assert got == expected & cells
    assert len(got) > 10 and len(cells - set(zip(tab["area"], tab["node"]))) > 10  # both kinds occur


def test_imputed_reports_do_not_count_as_enterprises():
    base = pd.DataFrame({"enterprise_id": ["A", "B", "C"], "province": "01", "product_code": "P",
                         "vsic": "1010", "q0_all": [10.0, 10.0, 10.0], "q0_r": [10.0, 10.0, 0.0]})
    pw = pd.DataFrame({"product_code": ["P"], "province": ["01"], "value": [300.0]})
    anc = pd.DataFrame({"unit": ["1010", "1010"], "node": ["1010", "TOTAL"]})
    out, tot = disclosure.enterprise_output(base, pw, geo=GEO01, ancestors=anc)
    prim = disclosure.primary_cells(out, tot).set_index(["area", "node"])
    assert prim.loc[("01", "1010"), "n"] == 2  # C is imputed
    assert prim.loc[("01", "1010"), "reason"].startswith("primary: 2 enterprise(s)")


def test_worked_example_dominance():
    """docs/methods/disclosure.md: products P (w=900, q0=30) and Q (w=100, q0=10) in class 1010 of province 01."""
    base = pd.DataFrame({"enterprise_id": ["A", "B", "C", "C"], "province": "01",
                         "product_code": ["P", "P", "P", "Q"], "vsic": "1010",
                         "q0_all": [28.0, 1.0, 1.0, 10.0], "q0_r": [28.0, 1.0, 1.0, 10.0]})
    pw = pd.DataFrame({"product_code": ["P", "Q"], "province": ["01", "01"], "value": [900.0, 100.0]})
    anc = pd.DataFrame({"unit": ["1010"], "node": ["1010"]})
    out, tot = disclosure.enterprise_output(base, pw, geo=GEO01, ancestors=anc)
    o = out[out["area"] == "01"].set_index("enterprise_id")["output"]
    assert o["A"] == pytest.approx(840.0) and o["B"] == pytest.approx(30.0) and o["C"] == pytest.approx(130.0)
    prim = disclosure.primary_cells(out, tot).set_index(["area", "node"]).loc[("01", "1010")]
    assert prim["top1"] == pytest.approx(0.84) and prim["top2"] == pytest.approx(0.97)
    assert prim["reason"] == "primary: two largest 97.0% > 90%"


def published_groups(con, indicator: str = "production"):
    """Every weighted-mean identity among the compiled cells of ``indicator``, built here independently of
    iip.disclosure.audit."""
    cells = con.execute("SELECT DISTINCT area, node FROM indices WHERE indicator = ?", [indicator]).fetchall()
    have = set(cells)
    groups = defaultdict(set)
    for a, n in have:
        if (a, PARENT.get(n)) in have:
            groups[(a, PARENT[n])].add((a, n))
        if a in REGION:
            groups[(REGION[a], n, "geo")].add((a, n))
            groups[("VN", n, "prov")].add((a, n))
        elif a != "VN":
            groups[("VN", n, "geo")].add((a, n))
    return {k: v for k, v in groups.items() if (k[0], k[1]) in have}


@pytest.mark.parametrize("indicator", INDICATORS)
def test_no_published_parent_has_exactly_one_suppressed_part(con, indicator):
    tab = disclosure.suppression_table(con, indicator)
    sup = set(zip(tab["area"], tab["node"]))
    for key, parts in published_groups(con, indicator).items():
        k = len(parts & sup) + ((key[0], key[1]) in sup)
        assert k != 1, f"group {key} has exactly one suppressed cell"


def weights_by_cell(con, indicator: str = "production"):
    """Base-year class value added summed to each compiled cell (classes with a cell in the area)."""
    w = con.execute("SELECT code, province, value FROM weights WHERE kind = 'industry'").df()
    have = set(con.execute("SELECT DISTINCT area, node FROM indices WHERE indicator = ?", [indicator]).fetchall())
    cw = defaultdict(float)
    for r in w.itertuples():
        for a in areas_of(r.province):
            cw[(a, r.code)] += r.value
    out = defaultdict(float)
    for (a, c), v in cw.items():
        if (a, c) in have:
            for n in ancestors(c):
                out[(a, n)] += v
    return out


def test_hierarchy_identities_hold_on_the_compiled_values(con):
    """The equations an intruder would use are real: parent = weighted mean of its children, exactly."""
    w = weights_by_cell(con)
    v = con.execute("""SELECT area, node, "index" FROM indices WHERE indicator = 'production'
                       AND period = '2023-07'""").df()
    val = {(a, n): x for a, n, x in zip(v["area"], v["node"], v["index"])}
    checked = 0
    for key, parts in published_groups(con).items():
        if len(key) == 2:
            mean = sum(w[p] * val[p] for p in parts) / sum(w[p] for p in parts)
            assert mean == pytest.approx(val[key], rel=1e-9)
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("indicator", INDICATORS)
def test_no_suppressed_value_is_determined_by_the_published_equations(con, indicator):
    """Rank test: cell i is determined iff adding the row e_i does not raise the rank of the equations
    restricted to the suppressed cells."""
    tab = disclosure.suppression_table(con, indicator)
    sup = sorted(set(zip(tab["area"], tab["node"])))
    col = {c: i for i, c in enumerate(sup)}
    w = weights_by_cell(con, indicator)
    rows = []
    for key, parts in published_groups(con, indicator).items():
        row = np.zeros(len(sup))
        total = (key[0], key[1])
        if total in col:
            row[col[total]] = sum(w[p] for p in parts)
        for p in parts:
            if p in col:
                row[col[p]] -= w[p]
        if row.any():
            rows.append(row / np.abs(row).max())
    a = np.array(rows)
    rank = np.linalg.matrix_rank(a)
    for c, i in col.items():
        e = np.zeros(len(sup))
        e[i] = 1.0
        assert np.linalg.matrix_rank(np.vstack([a, e])) == rank + 1, f"suppressed cell {c} is derivable"


def test_audit_finds_a_lone_suppressed_part_and_a_hidden_determination():
    p, a, b, c = ("X", "P"), ("X", "a"), ("X", "b"), ("X", "c")
    w = {a: 1.0, b: 2.0, c: 3.0, p: 6.0}
    groups = [(p, (a, b, c))]
    assert audit.determined_cells(groups, {a}, w).determined == [a]
    assert audit.determined_cells(groups, {a, b}, w).determined == []
    done = audit.secondary_suppression(groups, {a: "primary"}, w)
    assert set(done.cells) == {a, b} and done.unsettled == []  # b is the smallest free sibling
    # an odd cycle: every identity has two suppressed cells, yet the three equations pin all three down
    x, y, z, q, r = ("X", "x"), ("X", "y"), ("X", "z"), ("X", "Q"), ("X", "R")
    cyc = [(p, (a, b, x)), (q, (b, c, y)), (r, (a, c, z))]
    w3 = {a: 1.0, b: 2.0, c: 3.0, x: 1.0, y: 1.0, z: 1.0, p: 4.0, q: 6.0, r: 5.0}
    assert audit.complement_groups(cyc, {a: "1", b: "1", c: "1"}, w3) == {a: "1", b: "1", c: "1"}
    assert sorted(audit.determined_cells(cyc, {a, b, c}, w3).determined) == [a, b, c]
    fixed = audit.secondary_suppression(cyc, {a: "1", b: "1", c: "1"}, w3).cells
    assert len(fixed) > 3 and audit.determined_cells(cyc, set(fixed), w3).determined == []


def test_apply_blanks_suppressed_cells_and_revealing_contributions(con):
    tab = disclosure.suppression_table(con)
    df = con.execute("SELECT * FROM indices WHERE period = '2023-07'").df()
    out = disclosure.apply(con, df)
    sup = set(zip(tab["indicator"], tab["area"], tab["node"]))
    assert set(tab["indicator"]) == set(INDICATORS)
    is_sup = np.array([c in sup for c in zip(out["indicator"], out["area"], out["node"])])
    assert (out.loc[is_sup, "obs_status"] == "c").all() and (out.loc[~is_sup, "obs_status"] == "").all()
    assert out.loc[is_sup, ["index", "mom", "yoy", "ytd", "contrib_yoy"]].isna().all().all()
    assert out.loc[~is_sup, "index"].notna().all()
    parent_sup = np.array([(i, a, PARENT.get(n)) in sup for i, a, n in zip(out["indicator"], out["area"], out["node"])])
    assert out.loc[parent_sup, "contrib_yoy"].isna().all()
    pd.testing.assert_series_equal(out.loc[~is_sup, "period"], df.loc[~is_sup, "period"])


def test_table_is_cached_per_compile_run_and_indicator(con):
    first = disclosure.suppression_table(con)
    runs = con.execute("SELECT indicator FROM disclosure_runs WHERE method = ? ORDER BY 1", [disclosure.METHOD])
    assert [r[0] for r in runs.fetchall()] == sorted(INDICATORS)
    stored = con.execute("SELECT indicator, area, node, status, reason FROM disclosure WHERE method = ? "
                         "ORDER BY indicator, area, node", [disclosure.METHOD]).df()
    pd.testing.assert_frame_equal(stored, first.sort_values(["indicator", "area", "node"]).reset_index(drop=True))
    assert set(first["status"]) == {"c"}
