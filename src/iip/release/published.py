"""Release tables from GSO's published figures, vintage-true (docs/methods/release.md, "Vintages of published
figures").

By default a release of month M uses exactly what GSO published in M's own workbook: M's estimates (mom, yoy, the
year to date), the previous month's figure as that workbook revises it (``prev_yoy``, "June, revised"), the quarter
at quarter ends, products, consumption, inventory and labour where the workbook has them. With ``as_of`` every
figure is its newest vintage known on that date (``iip.published.vintages``): a later workbook's revision of M's
yoy replaces the estimate, and says so (figure status ``actual``). Only GSO figures enter (never IMF NSDP levels or
compiled indices); each keeps its vintage (the workbook's release month) and status in ``provenance``. Published
figures are already disclosure-controlled by GSO; GSO publishes no contributions and no monthly provincial IIP.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from iip import reference
from iip.errors import NotFoundError
from iip.published import vintages
from iip.reference.periods import month_add, month_of_year
from iip.release.data import LABOUR_COLUMNS, PROVENANCE, ReleaseData, empty, figure_period
from iip.summary import tree_rows

SOURCE = "GSO"


def _wide(figs: pd.DataFrame, indicator: str, table: str, columns: dict[tuple[str, str], str]
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per node of ``indicator`` (area VN) with a column per wanted (measure, period), and the
    provenance rows (table, code, column, source, vintage, figure_status) of its cells."""
    f = figs[(figs["indicator"] == indicator) & (figs["area"] == "VN")]
    col = pd.Series([columns.get((m, p)) for m, p in zip(f["measure"], f["period"])], index=f.index, dtype=object)
    f = f.assign(column=col).dropna(subset=["column"])
    if f.empty:
        return pd.DataFrame(columns=["node"]), empty(PROVENANCE)
    w = f.pivot_table(index="node", columns="column", values="value", aggfunc="first").reset_index()
    w.columns.name = None
    prov = pd.DataFrame({"table": table, "code": f["node"], "column": f["column"], "source": SOURCE,
                         "vintage": f["release"], "figure_status": f["status"]})
    return w, prov


def _tree(w: pd.DataFrame, levels: tuple[str, ...], columns: list[str]) -> pd.DataFrame:
    out = tree_rows(levels).merge(w, left_on="code", right_on="node").drop(columns="node")
    for c in columns:
        if c not in out:
            out[c] = np.nan
    return out.assign(obs_status="").reset_index(drop=True)


def _products(figs: pd.DataFrame, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    prev = month_add(period, -1)
    w, prov = _wide(figs, "product_output", "products", {
        ("level", prev): "prev_month", ("level", period): "month", ("ytd_level", period): "ytd",
        ("yoy", period): "yoy", ("ytd_yoy", period): "ytd_yoy"})
    if w.empty:
        return pd.DataFrame(columns=["product_code", "name_vi", "name_en", "unit", "unit_en", "month", "ytd", "yoy",
                                     "ytd_yoy", "obs_status"]), prov
    lv = figs[(figs["indicator"] == "product_output") & (figs["measure"] == "level")]
    names = lv.sort_values("period").groupby("node").last()[["label", "unit"]].reset_index()
    w = w.merge(names, on="node", how="left").rename(columns={"node": "product_code", "label": "name_vi"})
    cat = reference.products()[["product_code", "name_en", "unit_en", "gso_order"]]
    out = w.merge(cat, on="product_code", how="left")
    out["name_en"] = out["name_en"].fillna(out["name_vi"])
    out["unit_en"] = out["unit_en"].fillna(out["unit"])
    for c in ("prev_month", "month", "ytd", "yoy", "ytd_yoy"):
        if c not in out:
            out[c] = np.nan
    out = out.assign(obs_status="").sort_values(["gso_order", "product_code"], na_position="last")
    return out.reset_index(drop=True), prov


def _labour(figs: pd.DataFrame, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    w, prov = _wide(figs, "labour", "labour", {("mom", period): "mom", ("yoy", period): "yoy"})
    if w.empty:
        return empty(LABOUR_COLUMNS), prov
    w = w[w["node"].isin(["TOTAL", "B", "C", "D", "E"])].rename(columns={"node": "code"})
    w["dimension"] = np.where(w["code"] == "TOTAL", "total", "section")
    for c in ("mom", "yoy"):
        if c not in w:
            w[c] = np.nan
    return w[LABOUR_COLUMNS].reset_index(drop=True), prov[prov["code"].isin(w["code"])]


def history_published(con, period: str, known: dt.date, months: int = 25) -> pd.DataFrame:
    """TOTAL's published yoy over the last ``months`` months as known on ``known`` (newest vintage of each),
    with each figure's vintage and status."""
    first = month_add(period, 1 - months)
    h = vintages.figures(con, as_of=known, source=[SOURCE], indicator=["production"], area=["VN"], node=["TOTAL"],
                         measure=["yoy"], start=first, end=period, limit=None)
    h = h[h["period"].str.match(r"^\d{4}-\d{2}$")]
    return pd.DataFrame({"code": "TOTAL", "period": h["period"], "yoy": h["value"], "obs_status": "",
                         "vintage": h["release"], "figure_status": h["status"]}).reset_index(drop=True)


def load_published(con: duckdb.DuckDBPyConnection, period: str, *, as_of: dt.date | None = None) -> ReleaseData:
    """The release of ``period`` from GSO's figures: its own workbook, or as known on ``as_of``."""
    figs = vintages.release_figures(con, period, as_of=as_of, source=SOURCE)
    prev, quarter_p = month_add(period, -1), figure_period(period, "Q")
    w, p_nat = _wide(figs, "production", "national", {("mom", period): "mom", ("yoy", period): "yoy",
                                                       ("ytd_yoy", period): "ytd", ("yoy", prev): "prev_yoy"})
    if "yoy" not in w and "mom" not in w:
        raise NotFoundError(f"no published production figures for {period}: import GSO's workbook of {period}")
    national = _tree(w, ("total", "section", "division"),
                     ["index", "prev_yoy", "mom", "yoy", "ytd", "contrib_total_yoy", "contrib_ytd"])
    quarter, p_q = pd.DataFrame(columns=["code", "q_yoy"]), empty(PROVENANCE)
    if month_of_year(period) % 3 == 0:
        q, p_q = _wide(figs, "production", "quarter", {("yoy", quarter_p): "q_yoy"})
        if "q_yoy" in q:
            quarter = q[["node", "q_yoy"]].rename(columns={"node": "code"})
    products, p_prod = _products(figs, period)
    comp, p_comp = {}, []
    for ind, cols in (("consumption", {("mom", period): "mom", ("yoy", period): "yoy",
                                       ("ytd_yoy", period): "ytd"}),
                      ("inventory", {("mom", period): "mom", ("yoy", period): "yoy"})):
        cw, cp = _wide(figs, ind, ind, cols)
        comp[ind] = _tree(cw, ("section", "division"), ["mom", "yoy", "ytd"]) if not cw.empty else \
            pd.DataFrame(columns=["code", "level", "name_vi", "name_en", "mom", "yoy", "ytd", "obs_status"])
        p_comp.append(cp)
    labour, p_lab = _labour(figs, period)
    known = as_of or vintages.known_from(period)
    history = history_published(con, period, known)
    files = sorted(figs.loc[figs["release"] == period, "file"].unique()) if as_of is None else \
        sorted(figs["file"].unique())
    what = f"as known on {as_of.isoformat()}" if as_of else f"its workbook of {period}"
    notes = [f"source: GSO's published figures, {what} ({', '.join(files[:6])}{' ...' if len(files) > 6 else ''}); contributions and provincial indices "
             "are not published monthly by GSO and are left out"]
    provinces = pd.DataFrame(columns=["code", "name_vi", "name_en", "region", "tile_row", "tile_col", "yoy", "ytd",
                                      "obs_status"])
    provenance = pd.concat([p_nat, p_q, p_prod, *p_comp, p_lab], ignore_index=True)
    return ReleaseData(period, "published", national, quarter, products, comp["consumption"], comp["inventory"],
                       provinces, history, labour=labour, provenance=provenance, figure_source=SOURCE,
                       vintage=f"as of {as_of.isoformat()}" if as_of else f"GSO {period}", as_of=as_of,
                       notes=notes)
