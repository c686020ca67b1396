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
