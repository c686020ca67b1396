"""The tables of a monthly release, read from the store (compiled indices with disclosure control applied, or
the published GSO figures). Everything the workbook, narrative, charts and SDMX show comes from here.

Tables (pandas, one row per node / product / province; growth in GSO's 100-based form):

* ``national``: TOTAL, sections, divisions (GSO order) — index, mom, yoy, ytd, contrib_total_yoy, contrib_ytd,
  obs_status;
* ``quarter``: the quarter's yoy by node at quarter ends (``iip.measures.period_growth``), else empty;
* ``products``: main products — unit, quantity in the month, Jan..month quantity, yoy and ytd (100-based);
* ``consumption``, ``inventory``: manufacturing divisions' consumption (yoy, ytd) and inventory (mom, yoy) indices;
* ``provinces``: TOTAL by province (yoy, ytd, obs_status) — compiled data only;
* ``history``: VN TOTAL index for the last 25 months, with the seasonally adjusted series when the seasonal stage
  has stored one (``sa_current``), else ``sa`` NaN.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from iip import measures
from iip.errors import IIPError, NotFoundError
from iip.summary import tree_rows

SOURCES = ("compiled", "published")


@dataclass
class ReleaseData:
    period: str
    source: str
    national: pd.DataFrame
    quarter: pd.DataFrame
    products: pd.DataFrame
    consumption: pd.DataFrame
    inventory: pd.DataFrame
    provinces: pd.DataFrame
    history: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: (reported, imputed) shares of the national base-year weight; ``provisional``: released before enough
    #: reports arrived (iip.summary.month_status), said in the text.
    coverage: tuple[float | None, float | None] = (None, None)
    provisional: bool = False

    def tables(self) -> dict[str, pd.DataFrame]:
        return {k: getattr(self, k) for k in ("national", "quarter", "products", "consumption", "inventory",
                                               "provinces", "history")}


def check_period(period: str) -> str:
    try:
        p = pd.Period(period, freq="M")
    except (ValueError, TypeError):
        raise IIPError(f"--period must be YYYY-MM, not {period!r}") from None
    if p.strftime("%Y-%m") != period:
        raise IIPError(f"--period must be YYYY-MM, not {period!r}")
    return period


def _compiled_month(con, period: str, indicator: str, *, area: str | None = None, node: str | None = None,
                    where: str = "true") -> pd.DataFrame:
    from iip import disclosure

    df = con.execute(f"""SELECT * FROM indices_where(indicator_is := ?, area_is := ?, node_is := ?,
                                                     period_from := ?, period_to := ?) WHERE {where}""",
                     [indicator, area, node, period, period]).df()
    return disclosure.apply(con, df)


def national_compiled(con, period: str, indicator: str = "production") -> pd.DataFrame:
    df = _compiled_month(con, period, indicator, area="VN")
    if df.empty:
        raise NotFoundError(f"no compiled {indicator} indices for {period}: run `iip compile` (or pick a month the "
                            "store holds)")
    t = tree_rows()
    return t.merge(df.drop(columns=["indicator", "area", "period", "run_id"]), left_on="code", right_on="node",
                   how="inner").drop(columns="node").reset_index(drop=True)


def quarter_compiled(con, period: str, national: pd.DataFrame) -> pd.DataFrame:
    """The quarter's yoy (sum of the 3 months over the same months a year earlier) at quarter ends."""
    y, m = int(period[:4]), int(period[5:])
    if m % 3:
        return pd.DataFrame(columns=["code", "q_yoy"])
    first = f"{y - 1}-{m - 2:02d}"
    df = con.execute("""SELECT indicator, area, node, period, "index" FROM index_levels WHERE indicator = 'production'
                        AND area = 'VN' AND period BETWEEN ? AND ?""", [first, period]).df()
    q = measures.period_growth(df, freq="Q")
    q = q[q["period"] == f"{y}-Q{m // 3}"][["node", "yoy"]].rename(columns={"node": "code", "yoy": "q_yoy"})
    supp = set(national.loc[national["obs_status"] == "c", "code"])
    q.loc[q["code"].isin(supp), "q_yoy"] = np.nan
    return q.reset_index(drop=True)


def products_compiled(con, period: str) -> pd.DataFrame:
    """Main products' national output: month, Jan..month, and their yoy (100-based), from the reports.
    A product made by fewer than 3 enterprises is marked 'c' (its output would be one firm's)."""
    from iip import reference

    y = period[:4]
    prev = f"{int(y) - 1}{period[4:]}"
    df = con.execute("""
        SELECT product_code, month, ytd, growth(month, month_prev) AS yoy, growth(ytd, ytd_prev) AS ytd_yoy,
               enterprises FROM (
        SELECT product_code,
            sum(produced) FILTER (WHERE period = ?) AS month,
            sum(produced) FILTER (WHERE period = ?) AS month_prev,
            sum(produced) FILTER (WHERE period BETWEEN ? AND ?) AS ytd,
            sum(produced) FILTER (WHERE period BETWEEN ? AND ?) AS ytd_prev,
            count(DISTINCT enterprise_id) FILTER (WHERE period = ? AND status = 'R') AS enterprises
        FROM reports GROUP BY product_code)""",
                     [period, prev, f"{y}-01", period, f"{int(y) - 1}-01", prev, period]).df()
    cat = reference.products()
    main = cat[cat["main"]][["product_code", "name_vi", "name_en", "unit", "unit_en", "gso_order"]]
    out = main.merge(df, on="product_code", how="inner")
    if out.empty:  # a store whose product codes are not the catalogue's: take the store's products
        names = con.execute("SELECT product_code, name_vi, name_en, unit, unit AS unit_en FROM products").df()
        out = names.merge(df, on="product_code").nlargest(20, "enterprises").assign(gso_order=pd.NA)
    out["obs_status"] = np.where(out["enterprises"] < 3, "c", "")
    out.loc[out["obs_status"] == "c", ["month", "ytd", "yoy", "ytd_yoy"]] = np.nan
    out = out.sort_values(["gso_order", "product_code"], na_position="last")
    return out.drop(columns=["enterprises"]).reset_index(drop=True)


def companion_compiled(con, period: str, indicator: str) -> pd.DataFrame:
    df = _compiled_month(con, period, indicator, area="VN",
                         where="node = 'C' OR (length(node) = 2 AND node BETWEEN '10' AND '33')")
    t = tree_rows(("section", "division"))
    return t.merge(df[["node", "index", "mom", "yoy", "ytd", "obs_status"]], left_on="code", right_on="node"
                   ).drop(columns="node").reset_index(drop=True)


def provinces_compiled(con, period: str) -> pd.DataFrame:
    from iip import reference

    df = _compiled_month(con, period, "production", node="TOTAL",
                         where="regexp_matches(area, '^[0-9]{2}$')")
    p = reference.provinces()[["code", "name_vi", "name_en", "region_code", "tile_row", "tile_col"]]
    out = p.merge(df[["area", "index", "yoy", "ytd", "obs_status"]], left_on="code", right_on="area", how="inner")
    return out.drop(columns="area").reset_index(drop=True)


def history(con, period: str, *, source: str, months: int = 25) -> pd.DataFrame:
    first = (pd.Period(period, "M") - (months - 1)).strftime("%Y-%m")
    if source == "compiled":
        h = con.execute("""SELECT period, "index" AS value FROM index_levels WHERE indicator = 'production'
                           AND area = 'VN' AND node = 'TOTAL' AND period BETWEEN ? AND ? ORDER BY period""",
                        [first, period]).df()
    else:
        h = con.execute("""SELECT period, value FROM published_levels WHERE indicator = 'production' AND area = 'VN'
                           AND node = 'TOTAL' AND period BETWEEN ? AND ? ORDER BY period""", [first, period]).df()
    try:
        sa = con.execute("""SELECT period, sa FROM sa_current WHERE indicator = 'production' AND area = 'VN'
                            AND node = 'TOTAL' AND source = ? AND period BETWEEN ? AND ?""",
                         [source, first, period]).df()
    except duckdb.Error:
        sa = pd.DataFrame(columns=["period", "sa"])
    if sa.empty and source == "compiled":
        sa = adjust_on_the_fly(con, period)
    return h.merge(sa, on="period", how="left")


def adjust_on_the_fly(con, period: str) -> pd.DataFrame:
    """No stored adjustment (``iip sa --all`` not run): adjust the national TOTAL up to ``period`` now with the
    same X-13 + Tet model; an empty frame if the series is too short or X-13 fails (the chart then says so)."""
    from iip.errors import IIPError
    from iip.seasonal import adjust

    full = con.execute("""SELECT period, "index" AS value FROM index_levels WHERE indicator = 'production'
                          AND area = 'VN' AND node = 'TOTAL' AND period <= ? ORDER BY period""", [period]).df()
    try:
        res = adjust(full, name="VN_TOTAL")
    except (IIPError, ValueError, RuntimeError, OSError):
        return pd.DataFrame(columns=["period", "sa"])
    if isinstance(res, str):
        return pd.DataFrame(columns=["period", "sa"])
    return res.series[["period", "sa"]]


def load_compiled(con: duckdb.DuckDBPyConnection, period: str) -> ReleaseData:
    nat = national_compiled(con, period)
    return ReleaseData(period, "compiled", nat, quarter_compiled(con, period, nat), products_compiled(con, period),
                       companion_compiled(con, period, "consumption"), companion_compiled(con, period, "inventory"),
                       provinces_compiled(con, period), history(con, period, source="compiled"))


def load(con: duckdb.DuckDBPyConnection, period: str, *, source: str = "compiled") -> ReleaseData:
    """All release tables for ``period`` from ``source`` (compiled | published)."""
    check_period(period)
    if source == "compiled":
        return load_compiled(con, period)
    if source == "published":
        from iip.release.published import load_published
        return load_published(con, period)
    raise IIPError(f"--source must be one of {', '.join(SOURCES)}, not {source!r}")
