"""Official figures imported from GSO / IMF releases, with every vintage (published_vintages / _latest views).

These figures are already public, so they are served as imported (no disclosure step)."""

from __future__ import annotations

import duckdb
import pandas as pd

from iip.errors import OptionError
from iip.web.services.common import relation_exists

COLUMNS = [
    "release",
    "source",
    "indicator",
    "area",
    "node",
    "label",
    "period",
    "measure",
    "status",
    "value",
    "unit",
    "vintage",
    "vintage_status",
    "file",
]
MAX_ROWS = 50_000


def _filters(params: dict) -> tuple[str, list]:
    where, par = [], []
    for col in ("source", "indicator", "area", "node", "measure", "release", "status"):
        vals = params.get(col)
        if vals:
            where.append(f"{col} IN ({', '.join('?' * len(vals))})")
            par += list(vals)
    if params.get("start"):
        where.append("period >= ?")
        par.append(params["start"])
    if params.get("end"):
        where.append("period <= ?")
        par.append(params["end"])
    return (" WHERE " + " AND ".join(where)) if where else "", par


def figures(
    con: duckdb.DuckDBPyConnection, *, vintages: bool = False, limit: int = MAX_ROWS, **params
) -> pd.DataFrame:
    """Published figures (latest vintage, or every vintage when ``vintages``); empty when none are imported."""
    view = "published_vintages" if vintages else "published_latest"
    if not relation_exists(con, view):
        return pd.DataFrame(columns=COLUMNS)
    where, par = _filters(params)
    n = con.execute(f"SELECT count(*) FROM {view}{where}", par).fetchall()[0][0]
    if n > limit:
        raise OptionError(
            f"{n:,} published figures match: narrow the query (indicator, area, node, measure, "
            f"from, to) to at most {limit:,}"
        )
    cols = ", ".join(COLUMNS)
    return con.execute(
        f"SELECT {cols} FROM {view}{where} ORDER BY source, indicator, area, node, measure, period, vintage",
        par,
    ).df()


def latest_per_node(con: duckdb.DuckDBPyConnection, nodes: list[str]) -> pd.DataFrame:
    """The latest published figure of each (source, node, measure) among ``nodes`` (e.g. the product codes):
    one row each, however many workbooks were imported (the Products page; never "narrow the query")."""
    if not nodes or not relation_exists(con, "published_latest"):
        return pd.DataFrame(columns=COLUMNS)
    cols = ", ".join(COLUMNS)
    con.register("_nodes", pd.DataFrame({"node": nodes}))
    try:
        return con.execute(
            f"""SELECT {cols} FROM published_latest WHERE node IN (SELECT node FROM _nodes)
                QUALIFY row_number() OVER (PARTITION BY source, node, measure ORDER BY period DESC, vintage DESC) = 1
                ORDER BY node, source, measure"""
        ).df()
    finally:
        con.unregister("_nodes")


def summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Imported files: source, release, figures, when."""
    if not relation_exists(con, "published_files"):
        return pd.DataFrame()
    return con.execute(
        "SELECT file_id, source, release, file, figures, cells_seen, cells_mapped, warnings, "
        "imported_at FROM published_files ORDER BY release DESC, file_id DESC"
    ).df()


def revisions(con: duckdb.DuckDBPyConnection, *, limit: int = 200) -> pd.DataFrame:
    """Figures published more than once with a different value: first and latest value, and the change."""
    if not relation_exists(con, "published_vintages"):
        return pd.DataFrame()
    return con.execute(
        """
        SELECT source, indicator, area, node, measure, period, count(*) AS vintages,
               arg_min(value, vintage) AS first_value, arg_max(value, vintage) AS latest_value,
               arg_max(value, vintage) - arg_min(value, vintage) AS revision,
               arg_min(release, vintage) AS first_release, arg_max(release, vintage) AS latest_release
        FROM published_vintages GROUP BY ALL
        HAVING count(*) > 1 AND abs(arg_max(value, vintage) - arg_min(value, vintage)) > 1e-9
        ORDER BY abs(revision) DESC LIMIT ?""",
        [limit],
    ).df()
