"""Official figures imported from GSO / IMF releases, with every vintage (published_vintages / _latest views).

These figures are already public, so they are served as imported (no disclosure step)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from iip.published import vintages as _vintages
from iip.web.services.common import relation_exists

COLUMNS = _vintages.COLUMNS[:-2]  # the API leaves out sheet and cell
MAX_ROWS = _vintages.MAX_ROWS


def figures(
    con: duckdb.DuckDBPyConnection, *, vintages: bool = False, as_of: dt.date | None = None, limit: int = MAX_ROWS,
    **params
) -> pd.DataFrame:
    """Published figures: the newest vintage of each, every vintage (``vintages``), or what was known on
    ``as_of`` (``iip.published.vintages.figures``, the one read function); empty when none are imported."""
    return _vintages.figures(con, vintages=vintages, as_of=as_of, limit=limit, **params)[COLUMNS]


def summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Imported files: source, release, figures, when."""
    if not relation_exists(con, "published_files"):
        return pd.DataFrame()
    return con.execute(
        "SELECT file_id, source, release, file, figures, cells_seen, cells_mapped, warnings, "
        "imported_at FROM published_files ORDER BY release DESC, file_id DESC"
    ).df()


def _named(df: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``df`` with ``area_name`` and ``node_name`` (VSIC or product name) in ``lang`` beside the codes."""
    from iip.web.services.meta import name_map

    if df.empty:
        return df.assign(area_name=pd.Series(dtype=str), node_name=pd.Series(dtype=str))
    areas, nodes, products = name_map("areas", lang), name_map("nodes", lang), name_map("products", lang)
    product = df["indicator"].eq("product_output")
    node_name = [(products if p else nodes).get(n, n) for p, n in zip(product, df["node"])]
    return df.assign(area_name=df["area"].map(lambda a: areas.get(a, a)), node_name=node_name)


def _revision_data(con: duckdb.DuckDBPyConnection, indicator: str | None, node: str | None):
    from iip.published.run import revisions as revision_tables

    if not relation_exists(con, "published_vintages"):
        from iip.published.revisions import FIGURE_COLUMNS, revision_summary

        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in FIGURE_COLUMNS})
        return empty, revision_summary(empty.astype({"revision": float}))
    return revision_tables(con, indicator=indicator, node=node)


def revisions(con: duckdb.DuckDBPyConnection, *, limit: int | None = 200, lang: str = "en",
              indicator: str | None = None, node: str | None = None) -> pd.DataFrame:
    """Figures revised between their first and latest publication, largest revision first, with names: in
    percentage points of growth for indices (mom, yoy, ytd_yoy), in percent for product levels; a level that moved
    by a power of ten is a unit change (``unit_change``), ranked by what remains after it. The one function behind
    `iip revisions`, the API (/api/published/revisions) and the releases page."""
    revs, _ = _revision_data(con, indicator, node)
    changed = revs[(revs["revision"].abs() > 1e-9) | revs["unit_change"].notna()]
    changed = changed.reindex(changed["revision"].abs().sort_values(ascending=False, kind="stable").index)
    return _named(changed.head(limit) if limit else changed, lang).reset_index(drop=True)


def revision_summary(con: duckdb.DuckDBPyConnection, *, lang: str = "en", indicator: str | None = None,
                     node: str | None = None) -> pd.DataFrame:
    """Per series: n, mean, mean absolute and max absolute revision (pp or %), unit changes, with names."""
    _, summary = _revision_data(con, indicator, node)
    return _named(summary, lang)
