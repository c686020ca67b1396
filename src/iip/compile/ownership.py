"""Contributions of state, non-state and FDI enterprises to the national index's growth: an exact decomposition
(method page docs/methods/ownership.md).

The Laspeyres index is linear in the current quantities: a class index is
I(c, t) = sum_p w_p * 100 q_p(t) / q0_p / sum_p w_p, and q_p(t) = sum_o q_{p,o}(t) over the enterprises' ownership
o (register column ``ownership``: state | nonstate | fdi). So I(c, t) = sum_o I(c, t) s_o(c, t) with

    s_o(c, t) = sum_p a_p q_{p,o}(t) / sum_p a_p q_p(t),    a_p = w_p / q0_p   (base year of month t)

the share of ownership o in class c's output valued at base-year unit values (the products the index uses, i.e.
w_p > 0 and q0_p > 0). TOTAL is the sum of its classes with their effective weights, I(T, t) = sum_c e_c I(c, t),
so the ownership parts P_o(t) = sum_c e_c I(c, t) s_o(c, t) add up exactly to I(T, t), and their contributions
(growth.sql ``part_contributions``)

    C_o(t) = 100 (P_o(t) - P_o(t-12)) / I(T, t-12)

add up exactly to TOTAL's yoy - 100 (the same with January..t sums for the year to date).

:func:`ownership_parts` is pure (DataFrames in, DataFrame out); :func:`ownership_contributions` reads the store.
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from iip.compile.laspeyres import base_quantities, product_relatives
from iip.errors import MethodError, NotFoundError
from iip.measures import contributions_of
from iip.reference.periods import month_range

OWNERSHIP = ("state", "nonstate", "fdi")


def ownership_parts(classes: pd.DataFrame, quantities: pd.DataFrame, unit_values: pd.DataFrame) -> pd.DataFrame:
    """The ownership parts P_o(t) = sum_c e_c I(c, t) s_o(c, t) of TOTAL's level (module docstring).

    ``classes``: node (class), period, base_year, index (I(c, t)), e_total (the class's effective weight in TOTAL
    for that base year). ``quantities``: product_code, node (its class), ownership, period, q (national sums).
    ``unit_values``: product_code, base_year, a (w_p / q0_p; products left out of the index have none).
    Returns ownership, period, part: every ownership of ``quantities`` in every period of ``classes``."""
    q = quantities.merge(classes[["node", "period", "base_year"]], on=["node", "period"])
    q = q.merge(unit_values, on=["product_code", "base_year"], how="left")
    q["aq"] = q["a"].fillna(0.0) * q["q"].fillna(0.0)
    num = q.groupby(["node", "period", "ownership"], as_index=False)["aq"].sum()
    den = q.groupby(["node", "period"], as_index=False)["aq"].sum().rename(columns={"aq": "den"})
    check_proportional(classes, den)
    s = num.merge(den, on=["node", "period"])
    s["share"] = np.where(s["den"] > 0, s["aq"] / s["den"].where(s["den"] > 0), 0.0)
    c = classes.dropna(subset=["index", "e_total"]).merge(s[["node", "period", "ownership", "share"]],
                                                          on=["node", "period"])
    c["part"] = c["e_total"] * c["index"] * c["share"]
    parts = c.groupby(["ownership", "period"])["part"].sum()
    grid = pd.MultiIndex.from_product([sorted(quantities["ownership"].unique()), sorted(classes["period"].unique())],
                                      names=["ownership", "period"])
    return parts.reindex(grid, fill_value=0.0).reset_index()


def check_proportional(classes: pd.DataFrame, den: pd.DataFrame, *, rtol: float = 1e-6) -> None:
    """Within a base year, a class index is proportional to its output at base-year unit values,
    I(c, t) = k_c * sum_p a_p q_p(t) (k_c: the class's weights, link and reference factors). A month off that line
    means the quantities are not the ones the index was compiled from: a MethodError naming it."""
    c = classes.dropna(subset=["index"]).merge(den, on=["node", "period"], how="left").fillna({"den": 0.0})
    c["ratio"] = c["index"] / c["den"].where(c["den"] > 0)
    lost = c[(c["den"] <= 0) & (c["index"] > 0)]
    spread = c.groupby(["node", "base_year"])["ratio"].agg(["min", "max"])
    off = spread[(spread["max"] - spread["min"]) > rtol * spread["max"].abs()]
    if len(lost) or len(off):
        where = (f"class {lost['node'].iloc[0]} in {lost['period'].iloc[0]}" if len(lost) else
                 f"class {off.index[0][0]}")
        raise MethodError(f"the reports do not reproduce the compiled class indices ({where}): the reports changed "
                          "since the compile (run `iip compile`)")


def _classes(con, first: str, last: str) -> pd.DataFrame:
    return con.execute("""
        SELECT s.node, p.period, c.base_year, c."index", w.e_total
        FROM index_series s JOIN index_cells c ON c.sid = coalesce(s.level_sid, s.sid)
        JOIN index_periods p ON p.pid = c.pid
        LEFT JOIN index_weights w ON w.sid = s.sid AND w.base_year = c.base_year AND w.run_id = c.run_id
        WHERE s.indicator = 'production' AND s.area = 'VN' AND length(s.node) = 4 AND p.period BETWEEN ? AND ?""",
                       [first, last]).df()


def _quantities(con, periods: list[str]) -> pd.DataFrame:
    con.register("_iip_months", pd.DataFrame({"period": periods}))
    try:
        return con.execute("""
            SELECT r.product_code, p.vsic AS node, coalesce(g.ownership, 'unknown') AS ownership, r.period,
                   sum(r.produced) AS q
            FROM reports r JOIN register g USING (enterprise_id) JOIN products p USING (product_code)
            WHERE r.period IN (SELECT period FROM _iip_months) GROUP BY ALL""").df()
    finally:
        con.unregister("_iip_months")


def unit_values(con: duckdb.DuckDBPyConnection, base_years: list[int]) -> pd.DataFrame:
    """a_p = w_p / q0_p per product and base year at national level (w = the provinces' product weights summed,
    q0 = the base year's mean monthly national quantity, :func:`iip.compile.laspeyres.base_quantities`); only
    products with w > 0 and q0 > 0, the ones the index uses."""
    out = []
    for b in base_years:
        months = month_range(f"{b}-01", f"{b}-12")
        q = _quantities(con, months).groupby(["product_code", "period"])["q"].sum().unstack("period")
        q = q.reindex(columns=months).fillna(0.0)
        r = product_relatives(base_quantities(q.to_numpy(), np.ones(12, dtype=bool)))   # 100 / q0
        w = con.execute("""SELECT code AS product_code, sum(value) AS w FROM weights
                           WHERE kind = 'product' AND base_year = ? GROUP BY code""", [b]).df()
        f = pd.DataFrame({"product_code": q.index, "r": r}).merge(w, on="product_code")
        f = f[np.isfinite(f["r"]) & (f["w"] > 0)]
        out.append(pd.DataFrame({"product_code": f["product_code"], "base_year": b, "a": f["w"] * f["r"] / 100}))
    return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["product_code", "base_year", "a"])


def ownership_contributions(con: duckdb.DuckDBPyConnection, period: str) -> pd.DataFrame:
    """Contributions (percentage points) of each ownership to the national production TOTAL's yoy and
    year-to-date growth in ``period``: [ownership, part, whole, contrib_yoy, contrib_ytd]. Their sums are TOTAL's
    yoy - 100 and ytd - 100. A MethodError when the reports no longer reproduce the compiled TOTAL (recompile)."""
    first = f"{int(period[:4]) - 1}-01"
    classes = _classes(con, first, period)
    if classes.empty:
        raise NotFoundError(f"no compiled national class indices for {first}..{period}: run `iip compile`")
    whole = con.execute("""SELECT period, "index" AS whole FROM index_levels WHERE indicator = 'production'
                           AND area = 'VN' AND node = 'TOTAL' AND period BETWEEN ? AND ?""", [first, period]).df()
    parts = ownership_parts(classes, _quantities(con, month_range(first, period)),
                            unit_values(con, sorted(int(b) for b in classes["base_year"].dropna().unique())))
    parts = parts.merge(whole, on="period", how="left")
    total = parts.groupby("period").agg(part=("part", "sum"), whole=("whole", "first"))
    gap = (total["part"] - total["whole"]).abs() > 1e-9 * total["whole"].abs().clip(lower=1.0)
    if gap.any():
        raise MethodError(f"the ownership parts do not add up to the compiled national TOTAL in "
                          f"{', '.join(total.index[gap][:3])}: the reports changed since the compile (run `iip "
                          "compile`)")
    out = contributions_of(con, parts, key=["ownership"])
    out = out[out["period"] == period].drop(columns="period")
    order = {o: i for i, o in enumerate(OWNERSHIP)}
    return out.sort_values("ownership", key=lambda s: s.map(order).fillna(len(order))).reset_index(drop=True)
