"""Checks of an uploaded report file made while streaming it, before the file reader loads it.

An upload is small by nature (one enterprise's or one province's month: at most ``max_rows`` lines), so a file
that is not is refused early and cheaply, with a message naming the file:

* CSV: the header row is read, then rows are counted one by one; the scan stops at the first row over the limit.
* XLSX: the zip directory is read first: a workbook that unpacks to more than ``MAX_XLSX_UNPACKED`` bytes (a zip
  bomb: 342 KB that unpacks to gigabytes) is refused without unpacking it; then the first sheet is streamed
  (openpyxl read-only) and rows are counted as they are parsed, stopping at the limit. Rows that are entirely
  empty count towards a looser limit (``EMPTY_ROW_FACTOR`` x ``max_rows``), so a sheet of a million blank rows
  costs no more than a full one.
* Both: a header must exist (an empty file or an empty first sheet is refused), column names must be unique
  (after trimming and lower-casing, as the reader does) and there must be at least one data row.

The file is then read by the shared reader (:func:`iip.ingest.microdata.read_frame`) and validated as usual.
"""
from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from iip.errors import ValidationError

MAX_XLSX_UNPACKED = 16 * 2**20
EMPTY_ROW_FACTOR = 5


def _bad(message: str, file: str, *, rule: str = "file", **where) -> ValidationError:
    return ValidationError.one(message, file=file, rule=rule, **where)


def check_header(names: Iterable, *, file: str) -> None:
    """ValidationError when a column name appears twice (names compared trimmed and lower-case)."""
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        name = str(raw if raw is not None else "").strip().lower()
        if name in seen:
            shown = repr(name) if name else "(a blank name)"
            raise _bad(f"column names must be unique: {shown} is the name of columns {seen[name]} and {i}", file,
                       rule="duplicate_column", row=1, field=name or None)
        seen[name] = i


def _count_rows(rows: Iterator, *, file: str, max_rows: int) -> int:
    """Data rows after the header, stopping at the first one over ``max_rows``."""
    data = seen = 0
    for row in rows:
        seen += 1
        if any(v not in (None, "") for v in row):
            data += 1
        if data > max_rows:
            raise _bad(f"at most {max_rows:,} rows per upload: split the file", file, rule="rows")
        if seen > EMPTY_ROW_FACTOR * max_rows:
            raise _bad(f"more than {EMPTY_ROW_FACTOR * max_rows:,} rows (most of them empty): remove the empty rows",
                       file, rule="rows")
    return data


def _scan_csv(path: Path, *, file: str, max_rows: int) -> int:
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = csv.reader(f)
            header = next(rows, None)
            if not header or not any(c.strip() for c in header):
                raise _bad("the file is empty (no header row)", file, rule="empty")
            check_header(header, file=file)
            return _count_rows(rows, file=file, max_rows=max_rows)
    except UnicodeDecodeError:
        raise _bad("the file is not UTF-8 text: save it as CSV UTF-8", file) from None
    except csv.Error as exc:
        raise _bad(f"cannot read the file as CSV: {exc}", file) from None


def _scan_xlsx(path: Path, *, file: str, max_rows: int) -> int:
    import openpyxl

    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError):
        raise _bad("not an .xlsx workbook (the file is not a zip archive)", file) from None
    if unpacked > MAX_XLSX_UNPACKED:
        raise _bad(f"the workbook unpacks to {unpacked / 2**20:,.0f} MB, more than the "
                   f"{MAX_XLSX_UNPACKED / 2**20:.0f} MB a report can need", file, rule="size")
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is bad input
        raise _bad(f"cannot read the workbook: {type(exc).__name__}", file) from None
    try:
        if not wb.worksheets:
            raise _bad("the workbook has no sheet", file, rule="empty")
        sheet = wb.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = next((r for r in rows if any(v not in (None, "") for v in r)), None)
        if header is None:
            raise _bad(f"the first sheet ({sheet.title}) is empty", file, rule="empty", sheet=sheet.title)
        while header and header[-1] in (None, ""):   # trailing blank cells of the header row are not columns
            header = header[:-1]
        check_header(header, file=file)
        return _count_rows(rows, file=file, max_rows=max_rows)
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - a malformed sheet is bad input
        raise _bad(f"cannot read the workbook: {type(exc).__name__}", file) from None
    finally:
        wb.close()


def prescan(path: Path, *, file: str, max_rows: int) -> None:
    """Refuse an uploaded .csv or .xlsx that is empty, has duplicate column names, no data row, more than
    ``max_rows`` rows or (xlsx) unpacks to more than ``MAX_XLSX_UNPACKED`` bytes; ``file`` names it in messages."""
    scan = _scan_xlsx if path.suffix.lower() == ".xlsx" else _scan_csv
    if scan(path, file=file, max_rows=max_rows) == 0:
        raise _bad("the file has a header but no data rows", file, rule="empty")
