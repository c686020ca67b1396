"""The month at a glance: headline, sections, division ranking, contributions and provinces up / down.

All figures are disclosure-controlled (services.disclosure.protect). Diffusion counts only provinces whose
figure may be published; suppressed ones are counted apart (``suppressed``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from iip.errors import NotFoundError
from iip.measures import direction_counts
from iip.web.services.cache import WebCache
from iip.web.services.common import INDICATORS, check_areas, check_choice, check_period, is_province, records
from iip.web.services.meta import coverage, name_map

LEVEL_ORDER = {"total": 0, "section": 1, "division": 2}


def resolve_period(con: duckdb.DuckDBPyConnection, period: str | None) -> str:
    """``period`` checked against the store, or the latest compiled month."""
    cov = coverage(con)
    if not cov["periods"]:
        raise NotFoundError("no compiled indices in the store: run `iip compile` (or `iip demo`) first")
    if period is None:
        return cov["latest_period"]
    check_period("period", period)
    if period not in cov["periods"]:
        raise NotFoundError(
            f"no compiled indices for {period}: the store covers {cov['periods'][0]}..{cov['periods'][-1]}"
        )
    return period


def headline(
    con: duckdb.DuckDBPyConnection,
    cache: WebCache,
    period: str,
    *,
    area: str = "VN",
    indicator: str = "production",
    lang: str = "vi",
) -> pd.DataFrame:
    """TOTAL, sections and divisions for one area and month in GSO's order (disclosure-controlled)."""
    from iip.summary import headline_table

    check_choice("indicator", indicator, INDICATORS)
    check_areas([area])
    t = headline_table(con, period, area=area, indicator=indicator)
    t = t.rename(columns={"code": "node"}).assign(area=area, indicator=indicator, period=period)
    t = cache.protect(con, t)
    t["name"] = t[f"name_{lang}"]
    return t


def provinces_month(
    con: duckdb.DuckDBPyConnection,
    cache: WebCache,
    period: str,
    *,
    node: str = "TOTAL",
    indicator: str = "production",
    lang: str = "vi",
) -> pd.DataFrame:
    """Every province's figures for one node and month with names and tile positions (disclosure-controlled)."""
    df = con.execute(
        """SELECT indicator, area, node, period, "index", mom, yoy, ytd FROM indices
                        WHERE indicator = ? AND node = ? AND period = ? AND regexp_matches(area, '^[0-9]{2}$')""",
        [indicator, node, period],
    ).df()
    df = cache.protect(con, df)
    from iip.web.services.meta import areas

    tiles = pd.DataFrame([a for a in areas() if a["level"] == "province"])
    tiles = tiles.rename(columns={"code": "area"})[
        ["area", "name_vi", "name_en", "parent", "tile_row", "tile_col"]
    ]
    out = tiles.merge(df, on="area", how="left")
    out["name"] = out[f"name_{lang}"]
    return out.sort_values("area").reset_index(drop=True)


def nodes_month(
    con: duckdb.DuckDBPyConnection,
    cache: WebCache,
    period: str,
    nodes: list[str],
    *,
    area: str = "VN",
    indicator: str = "production",
) -> pd.DataFrame:
    """Figures of many nodes of one area in one month (disclosure-controlled)."""
    if not nodes:
        return pd.DataFrame(columns=["node", "index", "mom", "yoy", "ytd", "obs_status"])
    df = con.execute(
        f"""SELECT indicator, area, node, period, "index", mom, yoy, ytd FROM indices
                         WHERE indicator = ? AND area = ? AND period = ? AND node IN ({", ".join("?" * len(nodes))})""",
        [indicator, area, period, *nodes],
    ).df()
    return cache.protect(con, df)


def diffusion(prov: pd.DataFrame, measure: str = "yoy") -> dict:
    """Provinces up / down among the published ones, and how many are confidential."""
    ok = prov[prov["obs_status"].isna() & prov[measure].notna()]
    return {**direction_counts(ok[measure]), "published": len(ok),
            "suppressed": int((prov["obs_status"] == "c").sum())}


def total_history(
    con: duckdb.DuckDBPyConnection,
    cache: WebCache,
    period: str,
    *,
    area: str = "VN",
    indicator: str = "production",
    months: int = 25,
) -> pd.DataFrame:
    df = con.execute(
        """SELECT indicator, area, node, period, "index", yoy FROM indices WHERE indicator = ?
                        AND area = ? AND node = 'TOTAL' AND period <= ? ORDER BY period DESC LIMIT ?""",
        [indicator, area, period, months],
    ).df()
    return cache.protect(con, df.iloc[::-1].reset_index(drop=True))


def overview(
    con: duckdb.DuckDBPyConnection,
    cache: WebCache,
    *,
    period: str | None = None,
    area: str = "VN",
    indicator: str = "production",
    lang: str = "vi",
) -> dict:
    """Everything the overview page shows, as plain data."""
    period = resolve_period(con, period)
    head = headline(con, cache, period, area=area, indicator=indicator, lang=lang)
    total = head[head["node"] == "TOTAL"]
    divisions = head[head["level"] == "division"]
    ranking = divisions.dropna(subset=["yoy"]).sort_values("yoy", ascending=False)
    contrib = divisions.dropna(subset=["contrib_total_yoy"])
    contrib = contrib.reindex(contrib["contrib_total_yoy"].abs().sort_values(ascending=False).index)
    out = {
        "period": period,
        "area": area,
        "area_name": name_map("areas", lang).get(area, area),
        "indicator": indicator,
        "total": records(total)[0] if len(total) else None,
        "sections": records(head[head["level"].isin(["total", "section"])]),
        "table": records(head),
        "ranking": records(ranking),
        "contributions": records(contrib.head(15)),
        "history": records(total_history(con, cache, period, area=area, indicator=indicator)),
    }
    if area == "VN" or not is_province(area):
        prov = provinces_month(con, cache, period, indicator=indicator, lang=lang)
        if area != "VN":
            prov = prov[prov["parent"] == area]
        out["provinces"] = records(prov)
        out["diffusion"] = diffusion(prov)
    return out
