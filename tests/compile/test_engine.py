"""The Laspeyres engine against hand-computed figures, an independent loop-by-loop oracle, and its identities."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from bruteforce import brute_force, months
from dataset import PRODUCTS, REGION_OF, REGISTER, TREE, make_dataset, products_frame, quantities
from measures_oracle import oracle_indices

from iip.compile.engine import compile_indices


def run(reports, weights, **kw):
    return oracle_indices(compile_indices(quantities(reports), products=products_frame(), weights=weights, tree=TREE,
                           region_of=REGION_OF, **kw))


def test_hand_computed_class_and_division_index():
    # Province 01 only: class 1010 has P2 (weight 3) and P3 (weight 1); class 1020 has P4 (weight 1).
    # Base year 2020: P2 makes 10/month, P3 makes 20/month, P4 makes 5/month. In 2021-03: P2=12, P3=15, P4=6.
    # i(P2)=120, i(P3)=75 -> I(1010) = (3*120 + 1*75)/4 = 108.75; I(1020) = 120.
    # Division 10 with W(1010)=2, W(1020)=3: (2*108.75 + 3*120)/5 = 115.5. yoy vs 2020-03 (all 100) = 115.5.
    reports = []
    for t in months(2020, 2021):
        special = t == "2021-03"
        for e, p, q in (("E1", "P2", 12 if special else 10), ("E2", "P3", 15 if special else 20),
                        ("E3", "P4", 6 if special else 5)):
            reports.append(dict(enterprise_id=e, period=t, product_code=p, produced=float(q), sold=float(q),
                                closing_stock=1.0))
    reg = {"E1": "01", "E2": "01", "E3": "01"}
    rep = pd.DataFrame(reports).assign(province=lambda d: d.enterprise_id.map(reg))
    q = rep.groupby(["product_code", "province", "period"], as_index=False)[["produced", "sold", "closing_stock"]].sum()
    w = pd.DataFrame([("product", "P2", "01", 2020, 3.0), ("product", "P3", "01", 2020, 1.0),
                      ("product", "P4", "01", 2020, 1.0), ("industry", "1010", "01", 2020, 2.0),
                      ("industry", "1020", "01", 2020, 3.0)], columns=["kind", "code", "province", "base_year", "value"])
    out = oracle_indices(compile_indices(q, products=products_frame(), weights=w, tree=TREE, region_of=REGION_OF))
    got = out[(out.indicator == "production") & (out.period == "2021-03")].set_index(["area", "node"])
    assert got.loc[("01", "1010"), "index"] == pytest.approx(108.75)
    assert got.loc[("01", "1020"), "index"] == pytest.approx(120.0)
    assert got.loc[("01", "10"), "index"] == pytest.approx(115.5)
    assert got.loc[("01", "10"), "yoy"] == pytest.approx(115.5)
    assert got.loc[("01", "10"), "mom"] == pytest.approx(115.5)
    # national = regional = provincial here (one province)
    assert got.loc[("VN", "TOTAL"), "index"] == pytest.approx(115.5)
    assert got.loc[("RRD", "C"), "index"] == pytest.approx(115.5)
    # contributions to division 10's growth: 1010 gives 2/5*(108.75-100)/100*100 = 3.5 pp, 1020 gives 12 pp
    assert got.loc[("01", "101"), "contrib_yoy"] == pytest.approx(3.5)
    assert got.loc[("01", "102"), "contrib_yoy"] == pytest.approx(12.0)
    # ytd in 2021-03: (100+100+115.5)/(300) -> 105.1666...
    assert got.loc[("01", "10"), "ytd"] == pytest.approx(100 * 315.5 / 300)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_independent_oracle(seed):
    reports, weights = make_dataset(seed)
    out = run(reports, weights)
    prod = out[out.indicator == "production"].set_index(["area", "node", "period"])["index"]
    oracle = brute_force(reports, REGISTER, PRODUCTS, list(weights.itertuples(index=False, name=None)),
                         dict(zip(TREE.code, TREE.parent)), REGION_OF, 2020)
    assert len(oracle) == len(prod)
    for key, value in oracle.items():
        assert prod.loc[key] == pytest.approx(value, rel=1e-9)
    cons = out[out.indicator == "consumption"].set_index(["area", "node", "period"])["index"]
    oracle_c = brute_force(reports, REGISTER, PRODUCTS, list(weights.itertuples(index=False, name=None)),
                           dict(zip(TREE.code, TREE.parent)), REGION_OF, 2020, qty="sold")
    for key, value in list(oracle_c.items())[::7]:
        assert cons.loc[key] == pytest.approx(value, rel=1e-9)


def test_measures_follow_their_definitions(dataset):
    out = run(*dataset)
    s = out[(out.indicator == "production") & (out.area == "SE") & (out.node == "C")].set_index("period")
    assert s.loc["2021-07", "yoy"] == pytest.approx(100 * s.loc["2021-07", "index"] / s.loc["2020-07", "index"])
    assert s.loc["2021-07", "mom"] == pytest.approx(100 * s.loc["2021-07", "index"] / s.loc["2021-06", "index"])
    cur = s.loc[[f"2021-{m:02d}" for m in range(1, 8)], "index"].sum()
    prev = s.loc[[f"2020-{m:02d}" for m in range(1, 8)], "index"].sum()
    assert s.loc["2021-07", "ytd"] == pytest.approx(100 * cur / prev)
    assert np.isnan(s.loc["2019-12", "yoy"])  # no year before the data
    inv = out[out.indicator == "inventory"]
    assert inv["ytd"].isna().all()  # stocks are points in time: no cumulative figure


def test_contributions_sum_to_parent_growth(dataset):
    out = run(*dataset)
    parent = dict(zip(TREE.code, TREE.parent))
    prod = out[(out.indicator == "production") & out.yoy.notna()]
    for (area, period), g in prod.groupby(["area", "period"]):
        g = g.set_index("node")
        for p in ("TOTAL", "C", "10"):
            if p not in g.index:
                continue
            kids = [n for n in g.index if parent.get(n) == p]
            assert g.loc[kids, "contrib_yoy"].sum() == pytest.approx(g.loc[p, "yoy"] - 100, abs=1e-9)
            assert g.loc[kids, "contrib_ytd"].sum() == pytest.approx(g.loc[p, "ytd"] - 100, abs=1e-9)
        divs = [n for n in g.index if len(n) == 2]
        assert g.loc[divs, "contrib_total_yoy"].sum() == pytest.approx(g.loc["TOTAL", "yoy"] - 100, abs=1e-9)


def test_chain_linking_two_base_years_is_continuous_and_additive():
    reports, weights = make_dataset(5, years=(2015, 2022), base_years=(2015, 2020))
    out = run(reports, weights)
    fixed20 = run(reports, weights[weights.base_year == 2020])
    fixed15 = run(reports, weights[weights.base_year == 2015])
    key = ["indicator", "area", "node", "period"]
    m = out.merge(fixed20, on=key, suffixes=("", "_20")).merge(fixed15, on=key, suffixes=("", "_15"))
    m = m[m.indicator == "production"]
    late = m[m.period >= "2022-01"]   # both t and t-12 in the 2020-weights segment: same growth
    assert np.allclose(late["yoy"], late["yoy_20"], rtol=1e-12)
    early = m[(m.period >= "2016-01") & (m.period <= "2020-12")]   # 2015-weights segment
    assert np.allclose(early["yoy"], early["yoy_15"], rtol=1e-12)
    # reference year 2020 = 100 for every series
    y2020 = out[(out.indicator == "production") & out.period.str.startswith("2020")]
    assert np.allclose(y2020.groupby(["area", "node"])["index"].mean(), 100.0)
    # contributions still add up across the link (2021 compares with the 2015-weights months of 2020)
    parent = dict(zip(TREE.code, TREE.parent))
    g = out[(out.indicator == "production") & (out.period == "2021-04") & (out.area == "VN")].set_index("node")
    for p in ("TOTAL", "C", "10"):
        kids = [n for n in g.index if parent.get(n) == p]
        assert g.loc[kids, "contrib_yoy"].sum() == pytest.approx(g.loc[p, "yoy"] - 100, abs=1e-9)
        assert g.loc[kids, "contrib_ytd"].sum() == pytest.approx(g.loc[p, "ytd"] - 100, abs=1e-9)


def test_rereferencing_keeps_growth_rates(dataset):
    a = run(*dataset)
    b = run(*dataset, reference_year=2019)
    key = ["indicator", "area", "node", "period"]
    m = a.merge(b, on=key, suffixes=("", "_b"))
    assert not np.allclose(m["index"], m["index_b"])
    for c in ("mom", "yoy", "ytd", "contrib_yoy", "contrib_ytd"):
        x, y = m[c].to_numpy(), m[c + "_b"].to_numpy()
        assert np.allclose(x[~np.isnan(x)], y[~np.isnan(x)], rtol=1e-10), c
    y2019 = b[(b.indicator == "production") & b.period.str.startswith("2019")]
    assert np.allclose(y2019.groupby(["area", "node"])["index"].mean(), 100.0)


def test_merged_provinces_appear_when_the_data_reach_july_2025():
    reports, weights = make_dataset(11, years=(2024, 2025), base_years=(2024,))
    merged = {"01": "01", "22": "22", "79": "79"}
    merged_79 = {"01": "01", "22": "79", "79": "79"}  # pretend 22 joined 79 to test the sum
    from dataset import quantities, products_frame
    q = quantities(reports)
    early = oracle_indices(compile_indices(q[q.period < "2025-07"], products=products_frame(), weights=weights, tree=TREE,
                            region_of=REGION_OF, merged_of=merged))
    assert not early.area.str.startswith("N").any()
    late = oracle_indices(compile_indices(q, products=products_frame(), weights=weights, tree=TREE, region_of=REGION_OF,
                           merged_of=merged_79))
    g = late[(late.indicator == "production") & (late.period == "2025-09")].set_index(["area", "node"])
    assert g.loc[("N01", "TOTAL"), "index"] == pytest.approx(g.loc[("01", "TOTAL"), "index"])
    # N79 = provinces 22 + 79 summed like a region: here it equals region-like aggregation of both
    both = oracle_indices(compile_indices(q.assign(province=q.province.replace({"22": "79"})), products=products_frame(),
                           weights=weights.assign(province=weights.province.replace({"22": "79"})), tree=TREE,
                           region_of=REGION_OF))
    b = both[(both.indicator == "production") & (both.period == "2025-09")].set_index(["area", "node"])
    assert g.loc[("N79", "TOTAL"), "index"] == pytest.approx(b.loc[("79", "TOTAL"), "index"], rel=1e-12)
