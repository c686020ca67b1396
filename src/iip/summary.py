"""Read-side queries on compiled indices: the month's headline in GSO's shape (used by the CLI and releases)."""
from __future__ import annotations

import duckdb
import pandas as pd

from iip import reference
from iip.errors import NotFoundError
from iip.measures import direction_counts, period_growth
from iip.reference import province_area_pattern, section_of
from iip.reference.periods import period_freq


def latest_period(con: duckdb.DuckDBPyConnection, indicator: str = "production") -> str:
    row = con.execute("SELECT max(period) FROM index_levels WHERE indicator = ?", [indicator]).fetchone()
    if not row or row[0] is None:
        raise NotFoundError("no compiled indices in the store: run `iip compile` first")
    return row[0]


def node_names(lang: str = "vi") -> dict[str, str]:
    t = reference.vsic()
    return dict(zip(t["code"], t["name_vi" if lang == "vi" else "name_en"]))




def gso_order(codes: pd.Series, levels: pd.Series) -> pd.Series:
    """Sort key of GSO's tables: TOTAL, then each section followed by its divisions."""
    def key(code, level):
        if level == "total":
            return "0"
        if level == "section":
            return "1" + code
        return "1" + section_of(code) + code
    return pd.Series([key(c, lv) for c, lv in zip(codes, levels)], index=codes.index)


def tree_rows(levels=("total", "section", "division")) -> pd.DataFrame:
    """The VSIC rows of ``levels`` (code, level, parent, name_vi, name_en) in GSO's table order."""
    t = reference.vsic()
    t = t[t["level"].isin(levels)][["code", "level", "parent", "name_vi", "name_en"]]
    return t.assign(order=gso_order(t["code"], t["level"])).sort_values("order").drop(columns="order")


def headline_table(con: duckdb.DuckDBPyConnection, period: str, *, area: str = "VN", indicator: str = "production",
                   levels: tuple[str, ...] = ("total", "section", "division")) -> pd.DataFrame:
    """TOTAL, sections and divisions (GSO's table order) with index, mom, yoy, ytd and contributions."""
    df = con.execute("""SELECT node, "index", mom, yoy, ytd, contrib_yoy, contrib_total_yoy
                        FROM indices_where(indicator_is := ?, area_is := ?, period_from := ?, period_to := ?)""",
                     [indicator, area, period, period]).df()
    if df.empty:
        raise NotFoundError(f"no {indicator} indices for area {area} in {period}")
    out = tree_rows(levels).merge(df, left_on="code", right_on="node", how="inner").drop(columns=["node"])
    return out.reset_index(drop=True)


def province_diffusion(con: duckdb.DuckDBPyConnection, period: str, *, node: str = "TOTAL",
                       indicator: str = "production", measure: str = "yoy") -> dict:
    """How many provinces rose / fell (measure above / below 100) for ``node`` in ``period``: the 63 provinces
    before July 2025, the 34 merged provinces (areas ``N<code>``) from then on."""
    pattern = province_area_pattern(period)
    df = con.execute(f"""SELECT area, {measure} AS v
                         FROM indices_where(indicator_is := ?, node_is := ?, period_from := ?, period_to := ?)
                         WHERE regexp_matches(area, ?) AND {measure} IS NOT NULL""",
                     [indicator, node, period, period, pattern]).df()
    return {**direction_counts(df["v"]), "provinces": len(df)}


def top_contributors(con: duckdb.DuckDBPyConnection, period: str, *, area: str = "VN", n: int = 5,
                     indicator: str = "production", lang: str = "vi") -> pd.DataFrame:
    """Divisions with the largest contributions (percentage points) to TOTAL's yoy growth, by absolute size."""
    df = con.execute("""SELECT node, yoy, contrib_total_yoy
                        FROM indices_where(indicator_is := ?, area_is := ?, period_from := ?, period_to := ?)
                        WHERE length(node) = 2 AND contrib_total_yoy IS NOT NULL""",
                     [indicator, area, period, period]).df()
    df = df.reindex(df["contrib_total_yoy"].abs().sort_values(ascending=False).index).head(n)
    names = node_names(lang)
    return df.assign(name=df["node"].map(names)).reset_index(drop=True)




def _levels_for(con, period: str, *, indicator: str, area: str | None = None, node: str | None = None
                ) -> pd.DataFrame:
    """Monthly levels of the year of ``period`` and the year before (what its growth needs)."""
    year = int(period[:4])
    where, args = ["indicator = ?", "period BETWEEN ? AND ?"], [indicator, f"{year - 1}-01", f"{year}-12"]
    for col, val in (("area", area), ("node", node)):
        if val is not None:
            where.append(f"{col} = ?")
            args.append(val)
    return con.execute(f"""SELECT indicator, area, node, period, "index" FROM index_levels
                           WHERE {' AND '.join(where)}""", args).df()


def period_table(con: duckdb.DuckDBPyConnection, period: str, *, area: str = "VN", indicator: str = "production",
                 levels: tuple[str, ...] = ("total", "section", "division")) -> pd.DataFrame:
    """A quarter, half-year or year in GSO's table order: index = mean of its months, yoy = 100 x sum of its
    months / sum of the same months a year earlier (``measures.period_growth``; every month required)."""
    df = period_growth(_levels_for(con, period, indicator=indicator, area=area), freq=period_freq(period))
    df = df[df["period"] == period]
    if df.empty:
        raise NotFoundError(f"no complete {period} (and the same period a year earlier) of {indicator} indices "
                            f"for area {area}")
    out = tree_rows(levels).merge(df[["node", "index", "yoy"]], left_on="code", right_on="node", how="inner")
    return out.drop(columns=["node"]).reset_index(drop=True)


def period_province_diffusion(con: duckdb.DuckDBPyConnection, period: str, *, node: str = "TOTAL",
                              indicator: str = "production") -> dict:
    """Provinces up / down over a quarter, half-year or year (the period's yoy above / below 100)."""
    pattern = province_area_pattern(period)
    df = period_growth(_levels_for(con, period, indicator=indicator, node=node), freq=period_freq(period))
    df = df[(df["period"] == period) & df["area"].str.match(pattern)].dropna(subset=["yoy"])
    return {**direction_counts(df["yoy"]), "provinces": len(df)}


def division_diffusion(table: pd.DataFrame, measure: str = "yoy") -> dict:
    """Divisions up / down in a table of :func:`headline_table` or :func:`period_table` (``measure`` vs 100)."""
    d = table[table["level"] == "division"]
    return {**direction_counts(d[measure]), "divisions": int(d[measure].notna().sum())}
