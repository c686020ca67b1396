"""The month at a glance: headline, sections, division ranking, contributions and provinces up / down.

All figures are disclosure-controlled (iip.disclosure.apply, through services.cache.WebCache.protect). Diffusion counts only provinces whose
figure may be published; suppressed ones are counted apart (``suppressed``).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from iip.errors import NotFoundError
from iip.reference import MERGER_PERIOD, PROVINCE_AREAS
from iip.web.services.cache import WebCache
from iip.web.services.common import INDICATORS, check_areas, check_choice, check_period, is_province, records
from iip.web.services.meta import coverage, name_map

LEVEL_ORDER = {"total": 0, "section": 1, "division": 2}
UNIT_LEVEL = {"63": "province", "34": "province_2025"}


def is_merged(area: str) -> bool:
    """A province as merged on 1 July 2025: ``N`` + its 2-digit code."""
    return len(area) == 3 and area[0] == "N" and area[1:].isdigit()


def merged_available(
    con: duckdb.DuckDBPyConnection, period: str, indicator: str = "production", cache: WebCache | None = None
) -> bool:
    """Whether the store holds figures of the 34 merged provinces (areas ``N<code>``) for ``period``; the
    compile writes them once the data reach July 2025."""
    merged = [a for a in coverage(con)["areas_present"] if is_merged(a)]
    if not merged:
        return False
    cache = cache or WebCache()
    return any(_at(cache.raw(con, indicator, a).get("TOTAL"), period) is not None for a in merged)


def _at(series, period: str) -> int | None:
    """Position of ``period`` in a cached series, None when the month is not there."""
    if series is None:
        return None
    i = int(np.searchsorted(series.periods, period))
    return i if i < len(series.periods) and series.periods[i] == period else None


def _cells(con, cache: WebCache, indicator: str, areas: list[str], node: str, period: str,
           cols=("index", "mom", "yoy", "ytd")) -> pd.DataFrame:
    """One month of ``node`` in each of ``areas`` from the cache (disclosure applied already): no query on the
    request path. Areas the store does not hold are left out."""
    present = set(coverage(con)["areas_present"])
    rows = []
    for a in areas:
        s = cache.raw(con, indicator, a).get(node) if a in present else None
        i = _at(s, period)
        if s is not None and i is not None:
            rows.append({"indicator": indicator, "area": a, "node": node, "period": period,
                         **{c: _num(s.values[c][i]) for c in cols}, "obs_status": s.status[i]})
    return pd.DataFrame(rows, columns=["indicator", "area", "node", "period", *cols, "obs_status"])


def _num(v):
    return None if v is None or v != v else float(v)


def map_units(
    con: duckdb.DuckDBPyConnection,
    period: str,
    indicator: str = "production",
    requested: str | None = None,
    cache: WebCache | None = None,
) -> tuple[str, bool]:
    """(units drawn '63' | '34', whether the 34 merged provinces are available for ``period``).

    Default: the 34 from July 2025 when their figures exist (as GSO publishes), else the 63. Asking for 34 when
    they are not available gives the 63 (the page says why)."""
    ok = merged_available(con, period, indicator, cache)
    if requested is None:
        return ("34" if ok and period >= MERGER_PERIOD else "63"), ok
    check_choice("units", requested, tuple(PROVINCE_AREAS))
    return (requested if ok or requested == "63" else "63"), ok


def resolve_period(con: duckdb.DuckDBPyConnection, period: str | None) -> str:
    """``period`` checked against the store, or the latest month that is not provisional."""
    cov = coverage(con)
    if not cov["periods"]:
        raise NotFoundError("no compiled indices in the store: run `iip compile` (or `iip demo`) first")
    if period is None:
        return cov["latest_final_period"] or cov["latest_period"]
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
    """TOTAL, sections and divisions for one area and month in GSO's order (``summary.tree_rows``), from the
    cache (disclosure applied once per block): no query on the request path."""
    from iip.summary import tree_rows

    check_choice("indicator", indicator, INDICATORS)
    check_areas([area])
    tree = tree_rows(("total", "section", "division"))
    block = cache.raw(con, indicator, area) if area in coverage(con)["areas_present"] else {}
    cols = ("index", "mom", "yoy", "ytd", "contrib_yoy", "contrib_total_yoy", "coverage_reported", "coverage_imputed")
    rows = []
    for r in tree.itertuples(index=False):
        s = block.get(r.code)
        i = _at(s, period)
        if s is not None and i is not None:
            rows.append({"node": r.code, "level": r.level, "parent": r.parent, "name_vi": r.name_vi,
                         "name_en": r.name_en, **{c: _num(s.values[c][i]) for c in cols},
                         "obs_status": s.status[i]})
    if not rows:
        raise NotFoundError(f"no {indicator} indices for area {area} in {period}")
    t = pd.DataFrame(rows).assign(area=area, indicator=indicator, period=period)
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
    units: str = "63",
) -> pd.DataFrame:
    """Every province's figures for one node and month with names and tile positions (disclosure-controlled):
    the 63 provinces (``units='63'``) or the 34 merged on 1 July 2025 (``'34'``, areas ``N<code>``)."""
    from iip.web.services.meta import areas

    tiles = pd.DataFrame([a for a in areas() if a["level"] == UNIT_LEVEL[units]])
    df = _cells(con, cache, indicator, list(tiles["code"]), node, period)
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
    frames = [f for n in dict.fromkeys(nodes) if len(f := _cells(con, cache, indicator, [area], n, period))]
    return pd.concat(frames, ignore_index=True) if frames else _cells(con, cache, indicator, [], "", period)


def diffusion(con: duckdb.DuckDBPyConnection, period: str, prov: pd.DataFrame, *, node: str = "TOTAL",
              indicator: str = "production", units: str = "63", lang: str = "vi") -> dict:
    """Provinces up / down among the published ones and how many are confidential, for the provinces of
    ``prov`` (all, or one region's): ``summary.province_diffusion``, the count ``iip show`` and releases use;
    ``sentence`` in ``lang``."""
    from iip.summary import diffusion_sentence, province_diffusion

    d = province_diffusion(con, period, node=node, indicator=indicator, units=units, areas=list(prov["area"]))
    return d | {"sentence": diffusion_sentence(d, lang)}


def total_history(
    con: duckdb.DuckDBPyConnection,
    cache: WebCache,
    period: str,
    *,
    area: str = "VN",
    indicator: str = "production",
    months: int = 25,
) -> pd.DataFrame:
    """The last ``months`` months of TOTAL up to ``period`` (from the cache: disclosure applied)."""
    s = cache.raw(con, indicator, area).get("TOTAL")
    if s is None:
        return pd.DataFrame(columns=["indicator", "area", "node", "period", "index", "yoy", "obs_status"])
    hi = int(np.searchsorted(s.periods, period, "right"))
    sl = slice(max(0, hi - months), hi)
    return pd.DataFrame({"indicator": indicator, "area": area, "node": "TOTAL", "period": s.periods[sl],
                         "index": s.values["index"][sl], "yoy": s.values["yoy"][sl], "obs_status": s.status[sl]})


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
        "provisional": period in coverage(con)["provisional_periods"],
    }
    if area == "VN" or not (is_province(area) or is_merged(area)):
        units, _ = map_units(con, period, indicator, cache=cache)
        prov = provinces_month(con, cache, period, indicator=indicator, lang=lang, units=units)
        if area != "VN":
            prov = prov[prov["parent"] == area]
        out["units"] = units
        out["provinces"] = records(prov)
        out["diffusion"] = diffusion(con, period, prov, indicator=indicator, units=units, lang=lang)
    return out


def merger_links(con: duckdb.DuckDBPyConnection, cache: WebCache, area: str, period: str, *,
                 indicator: str = "production", lang: str = "vi") -> dict:
    """For a merged province ``N<code>``: the former provinces it was formed from, with their figures in
    ``period``; for one of the 63: the merged province it joined on 1 July 2025 (when compiled)."""
    from iip import reference

    prov = reference.provinces()
    if is_merged(area):
        former = set(prov.loc[prov["code_2025"] == area[1:], "code"])
        rows = provinces_month(con, cache, period, indicator=indicator, lang=lang, units="63")
        return {"formed_from": records(rows[rows["area"].isin(former)])}
    hit = prov.loc[prov["code"] == area, "code_2025"]
    target = "N" + hit.iloc[0] if len(hit) else None
    if target and target in coverage(con)["areas_present"]:
        return {"merged_into": {"area": target, "name": name_map("areas", lang).get(target, target)}}
    return {}
