"""Release tables from GSO's published figures (view ``published_latest``: the latest vintage of each figure).

What is used: indicator production (area VN; nodes TOTAL, sections, divisions; measures mom, yoy, ytd_yoy;
quarter periods YYYY-Qn with yoy), product_output (area VN, node = product code; level, ytd_level, yoy,
ytd_yoy), consumption and inventory (VN, divisions), and the provinces' TOTAL where the releases carried them.
Published figures are already disclosure-controlled by GSO: nothing is suppressed here. Contributions are not
published by GSO, so they are left empty. What the store does not hold stays empty with a note.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from iip.errors import NotFoundError
from iip.release.data import ReleaseData, history, tree_rows

MEASURES = {"mom": "mom", "yoy": "yoy", "ytd_yoy": "ytd", "level": "month", "ytd_level": "ytd_level"}


def _figures(con, indicator: str, periods: list[str], area_sql: str = "area = 'VN'") -> pd.DataFrame:
    try:
        df = con.execute(f"""SELECT area, node, label, period, measure, value, unit FROM published_latest
                             WHERE indicator = ? AND {area_sql} AND period IN ({', '.join('?' * len(periods))})""",
                         [indicator, *periods]).df()
    except duckdb.CatalogException:
        raise NotFoundError("the store has no published figures (view published_latest): run `iip import gso`"
                            ) from None
    return df


def _wide(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if df.empty:
        return pd.DataFrame(columns=keys)
    w = df.assign(measure=df["measure"].map(MEASURES)).dropna(subset=["measure"]).pivot_table(
        index=keys, columns="measure", values="value", aggfunc="last").reset_index()
    w.columns.name = None
    return w


def load_published(con: duckdb.DuckDBPyConnection, period: str) -> ReleaseData:
    notes = ["source: GSO published figures (latest vintage); contributions and provinces are not published "
             "monthly by GSO and are left out"]
    nat = _wide(_figures(con, "production", [period]), ["node"])
    if nat.empty:
        raise NotFoundError(f"no published production figures for {period}: import the GSO release first")
    t = tree_rows()
    national = t.merge(nat, left_on="code", right_on="node").drop(columns="node")
    for c in ("index", "mom", "yoy", "ytd", "contrib_total_yoy", "contrib_ytd"):
        if c not in national:
            national[c] = np.nan
    national["obs_status"] = ""
    y, m = int(period[:4]), int(period[5:])
    quarter = pd.DataFrame(columns=["code", "q_yoy"])
    if m % 3 == 0:
        q = _wide(_figures(con, "production", [f"{y}-Q{m // 3}"]), ["node"])
        if "yoy" in q:
            quarter = q[["node", "yoy"]].rename(columns={"node": "code", "yoy": "q_yoy"})
    prod = _wide(_figures(con, "product_output", [period]), ["node", "label", "unit"])
    products = prod.rename(columns={"node": "product_code", "label": "name_vi", "ytd_level": "ytd",
                                    "ytd": "ytd_yoy"})
    products = _with_names(products)
    comp = {}
    for ind in ("consumption", "inventory"):
        w = _wide(_figures(con, ind, [period]), ["node"])
        tt = tree_rows(("section", "division"))
        comp[ind] = tt.merge(w, left_on="code", right_on="node").drop(columns="node") if not w.empty else \
            pd.DataFrame(columns=["code", "name_vi", "name_en", "yoy"])
        comp[ind]["obs_status"] = ""
    provinces = pd.DataFrame(columns=["code", "name_vi", "name_en", "region_code", "tile_row", "tile_col", "yoy",
                                      "ytd", "obs_status"])
    return ReleaseData(period, "published", national.reset_index(drop=True), quarter, products,
                       comp["consumption"], comp["inventory"], provinces, history(con, period, source="published"),
                       notes)


def _with_names(products: pd.DataFrame) -> pd.DataFrame:
    from iip import reference

    cat = reference.products()[["product_code", "name_en", "unit_en", "gso_order"]]
    out = products.merge(cat, on="product_code", how="left")
    out["name_en"] = out["name_en"].fillna(out.get("name_vi"))
    out["unit_en"] = out["unit_en"].fillna(out.get("unit"))
    for c in ("month", "ytd", "yoy", "ytd_yoy"):
        if c not in out:
            out[c] = np.nan
    out["obs_status"] = ""
    return out.sort_values(["gso_order", "product_code"], na_position="last").reset_index(drop=True)
