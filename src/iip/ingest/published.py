"""Store I/O for published figures (GSO workbooks, IMF SDMX): import with vintages, export.

* One transaction per file: a file either lands whole or not at all.
* Content hash: re-importing an unchanged file is a no-op.
* Every vintage is kept (``published_figures``); ``published_latest`` picks the newest release.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import pandas as pd

from iip.errors import IIPError, Problem
from iip.pools import process_pool
from iip.store import next_id, sha256, transaction

FIG_COLS = ["source", "release", "indicator", "area", "node", "label", "period", "measure", "status",
            "value", "unit", "sheet", "cell", "table_kind"]
#: Provenance of a derived figure ('2023-Q1 yoy'); optional in what :func:`write_figures` is given.
DERIVED_FROM = "derived_from"
SUFFIXES = (".xls", ".xlsx")


#: What happened to one file: its figures stored (with IIP tables, or with none: product tables only, or
#: nothing at all), skipped as already imported, or refused whole.
STATUSES = ("imported", "no IIP tables", "unchanged", "failed")


@dataclass
class FileResult:
    """The outcome of importing one file (``status`` one of :data:`STATUSES`); ``refused`` lists the cells
    whose values are impossible (not stored), each naming file, sheet and cell."""
    file: str
    status: str
    message: str = ""
    figures: int = 0
    cells_seen: int = 0
    cells_mapped: int = 0
    warnings: list[str] = field(default_factory=list)
    refused: list[Problem] = field(default_factory=list)

    @property
    def coverage(self) -> float | None:
        return self.cells_mapped / self.cells_seen if self.cells_seen else None



def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Files as given plus every .xls/.xlsx inside given folders (sorted); missing paths raise."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix.lower() in SUFFIXES and q.is_file()))
        elif p.exists():
            out.append(p)
        else:
            raise IIPError(f"{p}: no such file or folder")
    return out


def _parse(path: Path):
    """Worker: parse one file; errors come back as values so other files go on."""
    from iip.ingest.gso.parse import parse_file
    try:
        return parse_file(path)
    except IIPError as exc:
        return exc
    except Exception as exc:  # an unexpected layout must not stop the other files
        return IIPError(f"{path.name}: could not be parsed ({type(exc).__name__}: {exc})")


def import_gso(con: duckdb.DuckDBPyConnection, paths: Iterable[str | os.PathLike], *, workers: int | None = None,
               progress: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """Import GSO workbooks: unchanged files skipped by hash, the rest parsed (in a process pool) and
    written one transaction per file."""
    files = expand_paths(paths)
    known = {r[0] for r in con.execute("SELECT sha256 FROM published_files").fetchall()}
    todo, results = [], []
    for p in files:
        h = sha256(p)
        if h in known:
            results.append(FileResult(p.name, "unchanged", "already imported (same content)"))
            progress and progress(results[-1])
        else:
            known.add(h)
            todo.append((p, h))
    workers = workers or min(2, os.cpu_count() or 1)
    if workers > 1 and len(todo) > 2:
        with process_pool(workers) as ex:
            parsed = ex.map(_parse, [p for p, _ in todo], chunksize=4)
            for (p, h), res in zip(todo, parsed):
                results.append(_write(con, p, h, res))
                progress and progress(results[-1])
    else:
        for p, h in todo:
            results.append(_write(con, p, h, _parse(p)))
            progress and progress(results[-1])
    return results


def _write(con, path: Path, digest: str, parsed) -> FileResult:
    """Store one parsed workbook in one transaction (file row, figures, warnings and refusals)."""
    if isinstance(parsed, Exception):
        return FileResult(path.name, "failed", str(parsed))
    if parsed.release is None:
        return FileResult(path.name, "failed", f"{path.name}: release month unknown: the file name does not start "
                          "YYYY-MM-DD and no table title or column header names the month", warnings=parsed.warnings)
    status = "imported" if parsed.has_iip_tables else "no IIP tables"
    res = FileResult(path.name, status, figures=len(parsed.figures), cells_seen=parsed.cells_seen,
                     cells_mapped=parsed.cells_mapped, warnings=list(parsed.warnings), refused=list(parsed.refused))
    if status == "no IIP tables":
        res.message = f"{path.name}: no IIP tables" + (f" ({len(parsed.figures)} figures of other tables stored)"
                                                        if parsed.figures else "")
    df = pd.DataFrame(parsed.figures)
    if not df.empty:
        df = df.rename(columns={"row_label": "label"}).assign(source="GSO")[[*FIG_COLS, DERIVED_FROM]]
    notes = list(parsed.warnings) + [str(p) for p in parsed.refused]
    try:
        with transaction(con):
            fid = next_id(con, "published_file_seq")
            con.execute("INSERT INTO published_files (file_id, source, file, sha256, release, figures, cells_seen,"
                        " cells_mapped, warnings, outcome, refused) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        [fid, "GSO", path.name, digest, parsed.release, len(df), parsed.cells_seen,
                         parsed.cells_mapped, len(parsed.warnings), status, len(parsed.refused)])
            write_figures(con, fid, df)
            if notes:
                con.executemany("INSERT INTO published_warnings VALUES (?, ?)", [[fid, w] for w in notes])
    except duckdb.Error as exc:
        return FileResult(path.name, "failed", f"{path.name}: not written ({exc})")
    return res


def write_figures(con, file_id: int, df: pd.DataFrame) -> None:
    """Append figures (columns FIG_COLS, and DERIVED_FROM when some are derived) under ``file_id``."""
    if df.empty:
        return
    cols = [*FIG_COLS, DERIVED_FROM] if DERIVED_FROM in df.columns else FIG_COLS
    frame = df.assign(file_id=file_id)[["file_id", *cols]]  # noqa: F841 (read by duckdb)
    con.execute(f"INSERT INTO published_figures (file_id, {', '.join(cols)}) SELECT * FROM frame")


def national_csv(con, *, start: str = "2012-01", end: str = "2022-12") -> pd.DataFrame:
    """National GSO yoy/ytd_yoy of TOTAL, sections and divisions, latest vintage (package data
    ``iip/data/gso_published_national.csv``). Derived figures are included: March's ytd_yoy is the first
    quarter's yoy, January's the month's (see ``iip.ingest.gso.figures.derived_figures``)."""
    return con.execute("""
        WITH r AS (
            SELECT indicator, node, period, measure, value, release,
                   row_number() OVER (PARTITION BY node, period, measure
                                      ORDER BY release DESC, file_id DESC, sheet DESC, cell DESC) rn
            FROM published_figures
            WHERE source <> 'IMF-NSDP' AND indicator = 'production' AND area = 'VN'
              AND regexp_matches(node, '^(TOTAL|[B-E]|[0-9]{2})$') AND measure IN ('yoy', 'ytd_yoy')
              AND regexp_matches(period, '^[0-9]{4}-[0-9]{2}$') AND period BETWEEN ? AND ?)
        SELECT indicator, node, period, measure, round(value, 4) AS value, release FROM r WHERE rn = 1
        ORDER BY measure, node, period""", [start, end]).df()
