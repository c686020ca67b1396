"""Products: each product's own output growth in a month (``summary.product_growth``: from the reports, with
disclosure control) and the latest figures GSO published for it. The Products page reads this module only."""

from __future__ import annotations

import duckdb
import pandas as pd

from iip.web.services import published as pub_svc
from iip.web.services.common import records


def catalogue(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The store's products with names, units (English unit from the reference catalogue when it has one) and
    the catalogue's 'main product' flag: product_code, name_vi, name_en, unit, unit_en, vsic, main."""
    from iip import reference

    store = con.execute("SELECT product_code, name_vi, name_en, unit, vsic FROM products").df()
    ref = reference.products()
    extra = ref[[c for c in ("product_code", "unit_en", "main") if c in ref.columns]]
    out = store.merge(extra, on="product_code", how="left")
    if "unit_en" not in out:
        out["unit_en"] = None
    out["unit_en"] = out["unit_en"].fillna(out["unit"])
    out["main"] = out["main"].astype(str).str.lower().isin(("true", "1", "yes")) if "main" in out else False
    return out


def month(con: duckdb.DuckDBPyConnection, period: str, *, lang: str = "vi") -> list[dict]:
    """One row per product of the store: name and unit in ``lang``, its class, and its own month, yoy and
    ytd_yoy (100-based; ``obs_status`` 'c' with blank figures when confidential)."""
    from iip.summary import product_growth

    g = product_growth(con, period).drop(columns=["vsic", "enterprises"])
    df = catalogue(con).merge(g, on="product_code", how="left")
    df["name"] = df[f"name_{lang}"]
    df["unit_l"] = df["unit"] if lang == "vi" else df["unit_en"]
    return records(df.sort_values(["main", "product_code"], ascending=[False, True]))


def published(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The latest published figure per product and measure (GSO workbooks), whatever their number."""
    codes = list(con.execute("SELECT product_code FROM products").df()["product_code"])
    from iip import reference

    codes = sorted(set(codes) | set(reference.products()["product_code"]))
    return records(pub_svc.latest_per_node(con, codes))
