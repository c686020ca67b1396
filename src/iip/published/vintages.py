"""Published figures as they were known on a date: the one read function for GSO / IMF figures (CLI export, the
web API and releases all call :func:`figures`).

The vintage rule (docs/methods/release.md): GSO publishes month M's workbook at the end of M (the 27th-31st) or
early in M+1, and an IMF file is prepared some day of its month; the store keeps the *release month* of every file
(``published_files.release``, copied on each figure), not the hour it went out. So a release month M counts as
**known from the first day of month M+1** (:func:`known_from`): on 2022-08-01 the July 2022 workbook is known, on
2022-07-31 it is not. The rule never makes a figure known before it was public (it may make it known a few days
late). ``published_files.imported_at`` is when *this store* received a file, not when the public did, and plays no
part. "As of D" is then, for every figure (source, indicator, area, node, period, measure), its newest vintage
among the releases known on D -- what ALFRED calls a real-time vintage.
"""
from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from iip.errors import NotFoundError, OptionError
from iip.reference.periods import first_day, month_add

#: Columns of :func:`figures` (one row per figure and vintage).
COLUMNS = ["release", "source", "indicator", "area", "node", "label", "period", "measure", "status", "value", "unit",
           "vintage", "vintage_status", "file", "sheet", "cell"]
#: Columns of ``iip export published`` (source = the workbook's file name for GSO figures), and with --provenance.
EXPORT_COLUMNS = ["release", "source", "indicator", "area", "node", "label", "period", "measure", "status", "value",
                  "unit"]
PROVENANCE_COLUMNS = ["sheet", "cell", "vintage"]
KEY = ["source", "indicator", "area", "node", "period", "measure"]
#: Filters applied before the newest vintage is picked (columns of the figure's key, and the release).
KEY_FILTERS = ("source", "indicator", "area", "node", "measure", "release")
MAX_ROWS = 50_000


def known_from(release: str) -> dt.date:
    """The first day on which release month ``release`` (YYYY-MM) counts as known: the first of the next month."""
    return first_day(month_add(release[:7], 1))


def last_release_known(as_of: dt.date) -> str:
    """The newest release month known on ``as_of`` (YYYY-MM): the month before ``as_of``'s month."""
    return month_add(f"{as_of.year:04d}-{as_of.month:02d}", -1)


def _has_figures(con: duckdb.DuckDBPyConnection) -> bool:
    q = "SELECT 1 FROM duckdb_views() WHERE view_name = 'published_vintages' AND NOT internal"
    return con.execute(q).fetchone() is not None


def _where(params: dict, names: tuple[str, ...]) -> tuple[list[str], list]:
    where, args = [], []
    for col in names:
        vals = params.get(col)
        if vals:
            vals = [vals] if isinstance(vals, str) else list(vals)
            where.append(f"{col} IN ({', '.join('?' * len(vals))})")
            args += vals
    return where, args


def figures(con: duckdb.DuckDBPyConnection, *, as_of: dt.date | None = None, vintages: bool = False,
            limit: int | None = MAX_ROWS, start: str | None = None, end: str | None = None,
            **filters) -> pd.DataFrame:
    """Published figures (columns :data:`COLUMNS`): the newest vintage of each, or every vintage (``vintages``);
    with ``as_of`` only the releases known on that date count (:func:`known_from`). ``filters``: lists of values
    for source, indicator, area, node, measure, release (applied before the newest vintage is picked) and status
    (applied after); ``start`` / ``end`` bound the period. More than ``limit`` rows is an OptionError (narrow the
    query); an empty frame when nothing is imported."""
    unknown = set(filters) - set(KEY_FILTERS) - {"status"}
    if unknown:
        raise OptionError(f"unknown filter(s) {', '.join(sorted(unknown))}: use {', '.join(KEY_FILTERS)}, status")
    if not _has_figures(con):
        return pd.DataFrame(columns=COLUMNS)
    where, args = _where(filters, KEY_FILTERS)
    if as_of is not None:
        where.append("release <= ?")
        args.append(last_release_known(as_of))
    for op, bound in ((">=", start), ("<=", end)):
        if bound:
            where.append(f"period {op} ?")
            args.append(bound)
    cond = " AND ".join(where) or "true"
    pick = "" if vintages else """QUALIFY row_number() OVER (PARTITION BY source, indicator, area, node, period,
        measure ORDER BY release DESC, file_id DESC, sheet DESC, cell DESC) = 1"""
    sql = f"SELECT {', '.join(COLUMNS)} FROM published_vintages WHERE {cond} {pick}"
    status_where, status_args = _where(filters, ("status",))
    if status_where:
        sql = f"SELECT * FROM ({sql}) WHERE {' AND '.join(status_where)}"
    if limit is not None:
        row = con.execute(f"SELECT count(*) FROM ({sql})", args + status_args).fetchone()
        n = int(row[0]) if row else 0
        if n > limit:
            raise OptionError(f"{n:,} published figures match: narrow the query (indicator, area, node, measure, "
                              f"from, to) to at most {limit:,}")
    return con.execute(f"{sql} ORDER BY source, indicator, area, node, measure, period, vintage",
                       args + status_args).df()


def export_frame(con: duckdb.DuckDBPyConnection, *, latest: bool = False, as_of: dt.date | None = None,
                 provenance: bool = False) -> pd.DataFrame:
    """The rows of ``iip export published``: every vintage (default), the newest (``latest``), or the newest known
    on ``as_of``; columns :data:`EXPORT_COLUMNS` (+ :data:`PROVENANCE_COLUMNS`), status = the vintage status
    (estimate | actual | revised), source = the workbook's file name for GSO figures."""
    df = figures(con, vintages=not (latest or as_of), as_of=as_of, limit=None)
    df = df.assign(source=df["source"].where(df["source"] == "IMF-NSDP", df["file"]), status=df["vintage_status"])
    df = df.sort_values(["indicator", "area", "node", "measure", "period", "release", "vintage"])
    return df[EXPORT_COLUMNS + (PROVENANCE_COLUMNS if provenance else [])].reset_index(drop=True)


def release_figures(con: duckdb.DuckDBPyConnection, release: str, *, as_of: dt.date | None = None,
                    source: str = "GSO") -> pd.DataFrame:
    """The figures a ``source`` release of month ``release`` is built from: exactly that month's own file(s)
    (default), or, with ``as_of``, the newest vintage of every figure known on that date (which may be a later
    month's revision). A NotFoundError when the release is not imported or not yet known on ``as_of``."""
    if as_of is not None and as_of < known_from(release):
        raise NotFoundError(f"the {source} release of {release} was not yet published on {as_of.isoformat()}: a "
                            f"release month counts as known from the first day of the next month "
                            f"({known_from(release).isoformat()})")
    if as_of is None:
        df = figures(con, source=[source], release=[release], limit=None)
    else:
        df = figures(con, source=[source], as_of=as_of, limit=None)
    if not (df["release"] == release).any():
        raise NotFoundError(f"no {source} release of {release} in the store: import its workbook first "
                            "(iip import gso FILE)")
    return df
