"""Metadata: VSIC nodes, areas and products with Vietnamese and English names, and what the store covers.

Reference lists are static (cached for the process); the store's coverage is cached per compile run.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

import duckdb
import pandas as pd

from iip.web.services.common import records

_lock = threading.Lock()
_coverage: dict[tuple, dict] = {}


@lru_cache(maxsize=1)
def nodes() -> tuple[dict, ...]:
    """Every VSIC node: code, level, parent and names (cached for the process)."""
    from iip import reference

    t = reference.vsic()[["code", "level", "parent", "name_vi", "name_en"]]
    return tuple(records(t))


@lru_cache(maxsize=1)
def areas() -> tuple[dict, ...]:
    """Every area: VN, the six regions, the 63 provinces and the 34 merged provinces, with tiles."""
    from iip import reference

    reg = reference.regions()
    prov = reference.provinces()
    rows: list[dict[str, object]] = [
        {
            "code": "VN",
            "level": "country",
            "parent": None,
            "name_vi": "Cả nước",
            "name_en": "Viet Nam",
            "tile_row": None,
            "tile_col": None,
        }
    ]
    rows += [
        {
            "code": r.region_code,
            "level": "region",
            "parent": "VN",
            "name_vi": r.name_vi,
            "name_en": r.name_en,
            "tile_row": None,
            "tile_col": None,
        }
        for r in reg.itertuples()
    ]
    rows += [
        {
            "code": p.code,
            "level": "province",
            "parent": p.region_code,
            "name_vi": p.name_vi,
            "name_en": p.name_en,
            "tile_row": int(p.tile_row),
            "tile_col": int(p.tile_col),
        }
        for p in prov.itertuples()
    ]
    rows += [{"code": "N" + p.code, "level": "province_2025", "parent": p.region, "name_vi": p.name_vi,
              "name_en": p.name_en, "tile_row": int(p.tile_row), "tile_col": int(p.tile_col)}
             for p in reference.provinces_2025().itertuples()]
    return tuple(rows)


@lru_cache(maxsize=1)
def products() -> tuple[dict, ...]:
    """The reference product catalogue with names, units and the 'main product' flag."""
    from iip import reference

    p = reference.products()
    cols = [
        c for c in ("product_code", "name_vi", "name_en", "unit", "unit_en", "vsic", "main") if c in p.columns
    ]
    p = p[cols].copy()
    if "main" in p.columns:
        p["main"] = p["main"].astype(str).str.lower().isin(("true", "1", "yes"))
    return tuple(records(p))


@lru_cache(maxsize=None)
def name_map(kind: str, lang: str) -> Mapping[str, str]:
    """code -> name in ``lang`` for kind 'nodes' | 'areas' | 'products' (built once; read-only)."""
    key = "product_code" if kind == "products" else "code"
    src = {"nodes": nodes, "areas": areas, "products": products}[kind]()
    return MappingProxyType({r[key]: r[f"name_{lang}"] for r in src})


def _run_id(con: duckdb.DuckDBPyConnection):
    """(store file, latest compile run, runs): the coverage key (one process may serve or test several stores)."""
    return con.execute(
        "SELECT (SELECT coalesce(path, database_name) FROM duckdb_databases() WHERE database_name = "
        "current_database()), max(run_id), count(*) FROM compile_runs"
    ).fetchone()


def coverage(con: duckdb.DuckDBPyConnection) -> dict:
    """Indicators with their first and last compiled month and the areas present (cached per compile run)."""
    key = _run_id(con)
    with _lock:
        hit = _coverage.get(key)
    if hit is not None:
        return hit
    df = con.execute("""SELECT indicator, min(period) AS first, max(period) AS last, count(DISTINCT area) AS areas,
                        count(DISTINCT node) AS nodes FROM index_levels GROUP BY 1 ORDER BY 1""").df()
    present = [r[0] for r in con.execute("SELECT DISTINCT area FROM index_levels ORDER BY 1").fetchall()]
    periods = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT period FROM index_levels WHERE indicator = 'production' ORDER BY 1"
        ).fetchall()
    ]
    from iip.summary import month_status

    status = month_status(con) if periods else None
    final = [] if status is None else status.loc[~status["provisional"], "period"].tolist()
    hit = {
        "indicators": records(df),
        "areas_present": present,
        "periods": periods,
        "latest_period": periods[-1] if periods else None,
        "latest_final_period": final[-1] if final else None,
        "provisional_periods": [] if status is None else status.loc[status["provisional"], "period"].tolist(),
    }
    with _lock:
        _coverage.clear()
        _coverage[key] = hit
    return hit


def meta(con: duckdb.DuckDBPyConnection) -> dict:
    """Reference lists and the store's coverage in one dict."""
    return {"nodes": list(nodes()), "areas": list(areas()), "products": list(products()), **coverage(con)}


def frame(kind: str) -> pd.DataFrame:
    """A reference list ('nodes', 'areas', 'products') as a DataFrame."""
    src = {"nodes": nodes, "areas": areas, "products": products}[kind]()
    return pd.DataFrame(list(src))
