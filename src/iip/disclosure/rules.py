"""Primary suppression: which compiled cells say too much about one or two enterprises (pure functions).

For every compiled cell (area A, node n) in the base year B (docs/methods/disclosure.md):

* enterprise e's output in the cell  o(e,A,n) = sum over its products p in classes under n of
  q0_R(e,p) / q0(p,A) * w(p,A)   (q0 = base-year monthly mean quantity; q0_R counts reported ('R') rows only,
  so imputed figures belong to no enterprise; w = base-year product output value, summed over provinces for
  regions, merged provinces and VN);
* the cell's output T(A,n) = sum of w(p,A) over the products that enter its index;
* the cell is confidential when fewer than 3 enterprises have o > 0, when the largest o > 85% of T, or when
  the two largest > 90% of T.

The rules apply to every area alike: a province, a region, a province as merged on 1 July 2025 and VN. A
national class made by one enterprise is as confidential as a provincial one.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from iip.reference.geography import MERGED_PREFIX

MIN_COUNT = 3
DOMINANCE_1 = 0.85
DOMINANCE_2 = 0.90


@dataclass(frozen=True)
class Geography:
    """The compile's areas as sums of provinces: each province's region, its merged province (from July 2025,
    area ``N<code>``, only when the store holds such cells) and VN."""

    region_of: dict[str, str]
    merged_of: dict[str, str]

    def areas_of(self, province: str) -> list[str]:
        """Every area whose figures include ``province``'s: itself, its region, its merged province, VN."""
        out = [province, self.region_of[province]]
        if province in self.merged_of:
            out.append(MERGED_PREFIX + self.merged_of[province])
        return out + ["VN"]

    def members(self) -> dict[str, list[str]]:
        """Aggregate area -> the areas it is the weighted mean of: each region and merged province over its
        provinces, VN over the regions. The other decompositions of VN (over the provinces, over the merged
        provinces) are sums of these, so they add nothing an intruder could use (the audit's rank is the same)
        while they would make every province a neighbour of every other when complements are looked for."""
        out: dict[str, list[str]] = {}
        for p in sorted(self.region_of):
            for a in self.areas_of(p)[1:-1]:
                out.setdefault(a, []).append(p)
        return out | {"VN": sorted(set(self.region_of.values()))}

    def tier(self, area: str) -> int:
        """0 province, 1 merged province, 2 region, 3 VN: complements are taken from the lowest tier first."""
        if area in self.region_of:
            return 0
        if area.startswith(MERGED_PREFIX) and area[len(MERGED_PREFIX):].isdigit():
            return 1
        return 3 if area == "VN" else 2


def by_area(frame: pd.DataFrame, geo: Geography) -> pd.DataFrame:
    """Repeat province rows (column ``province``) once per area containing the province (column ``area``)."""
    pairs = pd.DataFrame([(p, a) for p in geo.region_of for a in geo.areas_of(p)], columns=["province", "area"])
    return frame.merge(pairs, on="province")


def enterprise_output(base: pd.DataFrame, product_w: pd.DataFrame, *, geo: Geography,
                      ancestors: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprise outputs o(e,A,n) and cell outputs T(A,n) (formulas in the module docstring).

    ``base``: enterprise_id, province, product_code, vsic, q0_all, q0_r (base-year monthly means).
    ``product_w``: product_code, province, value. ``ancestors``: unit (class), node.
    Returns (DataFrame[area, node, enterprise_id, output], DataFrame[area, node, total])."""
    b = by_area(base, geo)
    q0 = b.groupby(["area", "product_code"], as_index=False)["q0_all"].sum()
    w = by_area(product_w, geo).groupby(["area", "product_code"], as_index=False)["value"].sum()
    pw = q0.merge(w, on=["area", "product_code"])
    pw = pw[(pw["q0_all"] > 0) & (pw["value"] > 0)]
    vsic = base.drop_duplicates("product_code").set_index("product_code")["vsic"]
    pw["unit"] = pw["product_code"].map(vsic)
    pw = pw.merge(ancestors, on="unit")
    totals = pw.groupby(["area", "node"], as_index=False)["value"].sum().rename(columns={"value": "total"})
    e = b[b["q0_r"] > 0].merge(pw[["area", "product_code", "q0_all", "value", "node"]],
                               on=["area", "product_code"], suffixes=("_e", ""))
    e["output"] = e["q0_r"] / e["q0_all"] * e["value"]
    out = e.groupby(["area", "node", "enterprise_id"], as_index=False)["output"].sum()
    return out, totals


def primary_cells(output: pd.DataFrame, totals: pd.DataFrame, *, min_count: int = MIN_COUNT,
                  dominance_1: float = DOMINANCE_1, dominance_2: float = DOMINANCE_2) -> pd.DataFrame:
    """Per cell: n (enterprises with output > 0), top1, top2 (shares of T) and ``reason`` ('' when the
    cell may be published): n < min_count, top1 > dominance_1, or top1 + top2 > dominance_2."""
    o = output[output["output"] > 0].sort_values(["area", "node", "output"], ascending=[True, True, False])
    o = o.assign(rank=o.groupby(["area", "node"]).cumcount())
    g = o.groupby(["area", "node"]).agg(n=("output", "size")).reset_index()
    top = o[o["rank"] < 2].pivot_table(index=["area", "node"], columns="rank", values="output", fill_value=0.0)
    top = top.reindex(columns=[0, 1], fill_value=0.0).reset_index().rename(columns={0: "o1", 1: "o2"})
    cells = totals.merge(g, on=["area", "node"], how="left").merge(top, on=["area", "node"], how="left")
    cells[["n", "o1", "o2"]] = cells[["n", "o1", "o2"]].fillna(0.0)
    cells["n"] = cells["n"].astype(int)
    cells["top1"] = cells["o1"] / cells["total"]
    cells["top2"] = (cells["o1"] + cells["o2"]) / cells["total"]
    reason = np.where(cells["n"] < min_count, "primary: " + cells["n"].astype(str) + f" enterprise(s) < {min_count}",
             np.where(cells["top1"] > dominance_1, "primary: largest enterprise " + _pct(cells["top1"])
                      + f" > {dominance_1:.0%}",
             np.where(cells["top2"] > dominance_2, "primary: two largest " + _pct(cells["top2"])
                      + f" > {dominance_2:.0%}", "")))
    cells["reason"] = reason
    return cells[["area", "node", "n", "top1", "top2", "total", "reason"]]


def _pct(s: pd.Series) -> pd.Series:
    return (100 * s).round(1).astype(str) + "%"


def cell_weights(industry_w: pd.DataFrame, cells: pd.DataFrame, *, geo: Geography,
                 ancestors: pd.DataFrame) -> dict[tuple[str, str], float]:
    """W(prov,n) = sum of base-year class value added W(c,prov) over the classes under n with a cell in the
    province; W(A,n) of an aggregate area = the sum of W(prov,n) over its provinces. The identities are then
    additive in v = W * I at every level (what the compile does, exactly, within a province)."""
    w = industry_w.rename(columns={"code": "unit", "province": "area"})
    have = cells[["area", "node"]].rename(columns={"node": "unit"})
    w = w.merge(have, on=["area", "unit"]).merge(ancestors, on="unit")
    prov = w.groupby(["area", "node"], as_index=False)["value"].sum().rename(columns={"area": "province"})
    s = by_area(prov, geo).groupby(["area", "node"])["value"].sum()
    return {k: float(v) for k, v in s.items()}
