"""The one file reader of every input path: ``iip ingest`` (files) and the collection uploads (bytes).

What it does for the habits of people who prepare files in Excel:

* the format is recognised by the file's first bytes, not its name: an .xlsx or .xls workbook saved under a .csv
  name is read as a workbook, a Parquet file as Parquet, anything else as text (UTF-8, or UTF-16 as Excel's
  "Unicode text" writes it);
* a text file's separator (comma, semicolon or tab) is recognised from its header line;
* in a workbook, the sheet read is the first whose header (in its first 10 rows) has the expected columns;
  a header without data rows is an error, not an empty success;
* numeric codes get back the leading zeros Excel dropped (province ``1`` -> ``01``, VSIC ``510`` -> ``0510``:
  :func:`iip.validation.pad_code`), and a month Excel turned into a date is read back as YYYY-MM;
* decimal commas (``1,4``, ``1.234,5``) are read where a column is unambiguous: a comma followed by other than
  three digits, or the Vietnamese ``1.234,5`` form, marks a decimal-comma column; ``1,234.5`` or ``1,234,567``
  a thousands-comma column; a column with only ``1,400``-like values (1400 or 1.4?) is left for the rules to
  refuse;
* duplicate column names are an error; special files (FIFOs, devices, folders) are refused before they are opened;
* rows are counted while reading: a workbook's rows in its decompressed XML before any parsing (blank rows count
  towards a looser limit, :data:`EMPTY_ROW_FACTOR` x ``max_rows``), then its data rows as openpyxl streams them in
  read-only mode; a text file's rows batch by batch. A workbook that expands to millions of rows (a zip bomb) stops
  at the limit in a fraction of a second; a sheet whose XML expands beyond :data:`MAX_SHEET_BYTES`, or a workbook
  that unpacks to more than ``max_unpacked`` (uploads), is refused before parsing.

Every problem is a :class:`iip.errors.ValidationError` naming the file (and sheet) and what to do.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from iip.errors import Problem, ValidationError
from iip.validation import Layout, pad_code

EXTENSIONS = (".csv", ".xlsx", ".xlsm", ".xls", ".parquet")
#: Rows an .xlsx or .xls input may hold (larger inputs: CSV or Parquet).
WORKBOOK_MAX_ROWS = 300_000
#: Uncompressed size of one worksheet's XML an .xlsx input may have (a zip bomb is refused before parsing).
MAX_SHEET_BYTES = 256 * 1024 * 1024
SIGNATURES = {b"PK\x03\x04": "xlsx", b"\xd0\xcf\x11\xe0": "xls", b"PAR1": "parquet"}
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}
HEADER_ROWS = 10
#: Blank rows (formatting left in a sheet) count towards a looser limit than data rows: this many times max_rows,
#: at most MAX_BLANK_ROWS more.
EMPTY_ROW_FACTOR = 5
MAX_BLANK_ROWS = 10_000


@dataclass
class Input:
    """What was read: the table (text columns, or typed ones from Parquet, with ``_row`` first: the row a
    spreadsheet shows, or the record number of a Parquet file), its format, the sheet read and notes."""

    table: pa.Table
    format: str
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)


def _bad(message: str, file: str, *, rule: str = "file", sheet: str | None = None, **where) -> ValidationError:
    return ValidationError([Problem(message, file=file, sheet=sheet, rule=rule, **where)], file=file)


def _too_many(limit: int, file: str, sheet: str | None = None) -> ValidationError:
    return _bad(f"at most {limit:,} rows in this input: split the file (or use CSV or Parquet)", file, sheet=sheet,
                rule="too_many_rows")


def check_header(names, *, file: str, sheet: str | None = None) -> None:
    """A ValidationError when a column name appears twice (names compared trimmed and lower-case)."""
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        name = str(raw if raw is not None else "").strip().lower()
        if not name or name == "_row":
            continue
        if name in seen:
            raise _bad(f"column names must be unique: {name!r} is the name of columns {seen[name]} and {i}", file,
                       sheet=sheet, rule="duplicate_column", row=1, field=name)
        seen[name] = i


def _signature(head: bytes) -> str:
    for sig, fmt in SIGNATURES.items():
        if head.startswith(sig):
            return fmt
    return "text"


def _open_path(path: Path) -> bytes:
    """Check that ``path`` is a regular file with a known extension; return its first bytes."""
    name = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise _bad("file not found", name) from None
    except OSError as exc:
        raise _bad(f"cannot read the file: {exc.strerror}", name) from None
    if not stat.S_ISREG(st.st_mode):
        what = "a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO, socket or device"
        raise _bad(f"not a regular file ({what}): give a CSV, XLSX or Parquet file", name)
    if path.suffix.lower() not in EXTENSIONS:
        raise _bad(f"unsupported file type {path.suffix.lower() or '(none)'!r}: use .csv, .xlsx, .xls or .parquet",
                   name)
    try:
        with open(path, "rb") as f:
            return f.read(8)
    except OSError as exc:
        raise _bad(f"cannot read the file: {exc.strerror}", name) from None


def read_input(source: Path | bytes, layout: Layout, *, name: str | None = None, max_rows: int | None = None,
               header: tuple[str, ...] | None = None, max_unpacked: int | None = None) -> Input:
    """Read a file (``Path``) or uploaded bytes as an input of ``layout``: see the module docstring.
    ``name`` labels bytes in messages; ``max_rows`` bounds the data rows (any format); ``header``: the columns
    that make a workbook row the header (default: the layout's required columns); ``max_unpacked``: bytes a
    workbook may unpack to in all (uploads)."""
    label = name or (str(source) if isinstance(source, Path) else "upload")
    head = _open_path(source) if isinstance(source, Path) else source[:8]
    fmt = _signature(head)
    readers = {"xlsx": _read_xlsx, "xls": _read_xls, "parquet": _read_parquet, "text": _read_text}
    need = header or layout.required
    try:
        if fmt == "xlsx":
            _zip_guard(source, label, min(max_rows or WORKBOOK_MAX_ROWS, WORKBOOK_MAX_ROWS), max_unpacked)
        got = readers[fmt](source, layout, label, max_rows, need)
    except ValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - any reader failure (corrupt zip, bad parquet...) is bad input
        kind = {"text": "a CSV text file"}.get(fmt, f"an {fmt} file" if fmt[0] in "x" else f"a {fmt} file")
        raise _bad(f"cannot read the file as {kind}: {type(exc).__name__}: {str(exc)[:200]}", label) from None
    ext = Path(label).suffix.lower()
    if fmt in ("xlsx", "xls") and ext not in (".xlsx", ".xlsm", ".xls"):
        got.notes.append(f"{label} is an Excel workbook ({fmt}) under a {ext or 'plain'} name: read as a workbook")
    return _finish(got, layout, label, max_rows)


# ------------------------------------------------------------------------------------------------- text
def _decode_head(data: bytes) -> tuple[str, str]:
    """(first line, encoding) of text bytes; UTF-16 (BOM) or UTF-8 (optional BOM)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, enc = data.decode("utf-16"), "utf-16"
    else:
        text, enc = data.decode("utf-8-sig"), "utf-8"
    return (text.splitlines()[0] if text.strip() else ""), enc


def _separator(line: str, layout: Layout) -> str:
    """The separator that splits the header into the most known columns (then the most fields)."""
    known = set(layout.columns)

    def score(sep: str) -> tuple[int, int]:
        cells = [c.strip().lower() for c in next(csv.reader([line], delimiter=sep), [])]
        return sum(c in known for c in cells), len(cells)

    return max(SEPARATORS, key=score)


def _read_text(source: Path | bytes, layout: Layout, label: str, max_rows: int | None,
               need: tuple[str, ...]) -> Input:
    if isinstance(source, Path):
        with open(source, "rb") as f:
            sample = f.read(1 << 16)
    else:
        sample = source[: 1 << 16]
    try:
        line, enc = _decode_head(sample if len(sample) < (1 << 16) else sample[: sample.rfind(b"\n") + 1] or sample)
    except UnicodeDecodeError:
        raise _bad("the file is neither UTF-8 text nor a workbook: save it as 'CSV UTF-8' (or .xlsx)", label) \
            from None
    if not line.strip():
        raise _bad("the file is empty (no header row)", label, row=1)
    sep = _separator(line, layout)
    data: Path | bytes = source
    if enc == "utf-16":
        raw = source.read_bytes() if isinstance(source, Path) else source
        data = raw.decode("utf-16").encode("utf-8")
    header = [c.strip() for c in next(csv.reader([line], delimiter=sep))]
    check_header(header, file=label)
    opts = dict(read_options=pacsv.ReadOptions(encoding="utf8", skip_rows=1, column_names=header,
                                               block_size=1 << 22),
                parse_options=pacsv.ParseOptions(delimiter=sep),
                convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                                     strings_can_be_null=False))
    src = str(data) if isinstance(data, Path) else pa.BufferReader(data)
    try:
        if max_rows is None:
            table = pacsv.read_csv(src, **opts)
        else:
            table = _csv_stream(src, opts, max_rows, label)
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "UTF8" in text or "utf8" in text.lower():
            raise _bad("the file is not UTF-8 text: save it as 'CSV UTF-8'", label) from None
        raise _bad(f"cannot read the file as CSV ({SEPARATORS[sep]}-separated): {text.splitlines()[0][:200]}",
                   label) from None
    notes = [] if sep == "," else [f"{label}: {SEPARATORS[sep]}-separated"]
    return Input(_with_rows(table, 2), "csv", None, notes)


def _csv_stream(src, opts: dict, max_rows: int, label: str) -> pa.Table:
    """Read at most ``max_rows`` rows, stopping (with an error) as soon as there are more."""
    reader = pacsv.open_csv(src, **opts)
    batches, n = [], 0
    for batch in reader:
        n += batch.num_rows
        if n > max_rows:
            raise _too_many(max_rows, label)
        batches.append(batch)
    return pa.Table.from_batches(batches, schema=reader.schema)


# --------------------------------------------------------------------------------------------- workbooks
def _cell_text(v, month: bool) -> str:
    """A workbook cell as text: numbers without a spurious '.0', dates as YYYY-MM in month columns."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.strftime("%Y-%m") if month else v.isoformat()[:10]
    return str(v)


def _header_row(rows: list[tuple], need: tuple[str, ...]) -> int | None:
    """Position (0-based) of the first of ``rows`` that has every column of ``need``."""
    for i, r in enumerate(rows):
        cells = {_cell_text(c, False).strip().lower() for c in r}
        if set(need) <= cells:
            return i
    return None


def _table_from_rows(header: tuple, rows, layout: Layout, first: int, label: str, sheet: str,
                     max_rows: int) -> pa.Table:
    """Text columns from the rows after the header (blank rows skipped, row numbers kept), at most ``max_rows``."""
    names = [_cell_text(c, False).strip() for c in header]
    while names and not names[-1]:   # trailing blank cells of the header row are not columns
        names.pop()
    check_header(names, file=label, sheet=sheet)
    months = {i for i, n in enumerate(names) if n.lower() in
              {c.name for c in layout.fields if c.kind == "month"}}
    cols: list[list[str]] = [[] for _ in names]
    row_no: list[int] = []
    for k, r in enumerate(rows):
        if not any(c is not None and str(c).strip() for c in r):
            continue
        if len(row_no) >= max_rows:
            raise _too_many(max_rows, label, sheet)
        row_no.append(first + k)
        for i in range(len(names)):
            cols[i].append(_cell_text(r[i] if i < len(r) else None, i in months))
    arrays = {"_row": pa.array(np.array(row_no, dtype=np.int64))}
    for n, c in zip(names, cols):
        arrays[n.lower() if n else f"_unnamed_{len(arrays)}"] = pa.array(c, pa.string())
    return pa.table(arrays)


def _zip_guard(source: Path | bytes, label: str, max_rows: int, max_unpacked: int | None) -> None:
    """Refuse, before any parsing, a workbook that unpacks to more than ``max_unpacked`` bytes in all, whose
    worksheets' XML expands beyond MAX_SHEET_BYTES, or with a worksheet of more rows than ``max_rows`` with some
    slack for blank rows (EMPTY_ROW_FACTOR x ``max_rows``, at most MAX_BLANK_ROWS more), counted in the decompressed
    stream and stopping as soon as a limit is passed: a zip bomb costs nothing. The parse then counts the data rows
    exactly."""
    try:
        z = zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source))
    except zipfile.BadZipFile:
        raise _bad("not an .xlsx workbook (the file is not a zip archive)", label) from None
    with z:
        unpacked = sum(i.file_size for i in z.infolist())
        limit = max_rows + min((EMPTY_ROW_FACTOR - 1) * max_rows, MAX_BLANK_ROWS) + HEADER_ROWS
        if max_unpacked is not None and unpacked > max_unpacked:
            raise _bad(f"the workbook unpacks to {unpacked / 2**20:,.0f} MB, more than the "
                       f"{max_unpacked / 2**20:,.0f} MB this input may hold", label, rule="too_large")
        for info in z.infolist():
            if not info.filename.startswith("xl/worksheets/") or not info.filename.endswith(".xml"):
                continue
            size = rows = 0
            tail = b""
            with z.open(info) as f:
                while chunk := f.read(1 << 20):
                    size += len(chunk)
                    block = tail + chunk
                    rows += block.count(b"<row") - block.count(b"<rowBreaks") - tail.count(b"<row")
                    tail = chunk[-16:]
                    if rows > limit:
                        raise _too_many(max_rows, label)
                    if size > MAX_SHEET_BYTES:
                        raise _bad(f"a worksheet of this workbook expands to more than {MAX_SHEET_BYTES // 2**20} "
                                   "MB, the limit of a workbook input: use CSV or Parquet", label, rule="too_large")


def _first_row_checked(rows: list[tuple], label: str, sheet: str) -> str:
    """The first non-empty row of a sheet as text (for the message when no sheet has the expected header); a
    duplicate column name there is the more useful error, raised at once."""
    first = next((r for r in rows if any(c is not None and str(c).strip() for c in r)), ())
    names = [_cell_text(c, False) for c in first]
    while names and not names[-1].strip():
        names.pop()
    check_header(names, file=label, sheet=sheet)
    return ", ".join(n for n in names if n)[:120]


def _no_sheet(found: dict[str, str], need: tuple[str, ...], label: str) -> ValidationError:
    if not any(found.values()):
        return _bad(f"the workbook is empty: {', '.join(repr(s) for s in found) or 'no sheet'} "
                    f"{'has' if len(found) == 1 else 'have'} no rows", label, rule="empty", row=1)
    seen = "; ".join(f"sheet {s!r} starts with: {h or '(empty)'}" for s, h in found.items())
    return _bad(f"no sheet has the expected header (columns {', '.join(need)}) in its first {HEADER_ROWS} rows; "
                f"{seen}", label, rule="column", row=1)


def _read_xlsx(source: Path | bytes, layout: Layout, label: str, max_rows: int | None,
               need: tuple[str, ...]) -> Input:
    import openpyxl

    limit = min(max_rows or WORKBOOK_MAX_ROWS, WORKBOOK_MAX_ROWS)
    fh = open(source, "rb") if isinstance(source, Path) else io.BytesIO(source)   # a handle: any file name
    wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
    try:
        found: dict[str, str] = {}
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            top = []
            for r in rows:
                top.append(r)
                if len(top) >= HEADER_ROWS:
                    break
            at = _header_row(top, need)
            if at is None:
                found[ws.title] = _first_row_checked(top, label, ws.title)
                continue
            data = itertools.chain(top[at + 1:], rows)
            table = _table_from_rows(top[at], data, layout, at + 2, label, ws.title, limit)
            return Input(table, "xlsx", ws.title, [])
        raise _no_sheet(found, need, label)
    finally:
        wb.close()
        fh.close()


def _read_xls(source: Path | bytes, layout: Layout, label: str, max_rows: int | None,
              need: tuple[str, ...]) -> Input:
    import xlrd

    book = (xlrd.open_workbook(str(source), on_demand=True) if isinstance(source, Path)
            else xlrd.open_workbook(file_contents=source, on_demand=True))
    limit = min(max_rows or WORKBOOK_MAX_ROWS, WORKBOOK_MAX_ROWS)
    found: dict[str, str] = {}
    for sh in book.sheets():
        def value(r: int, c: int):
            cell = sh.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
            return None if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) else cell.value

        rows = (tuple(value(r, c) for c in range(sh.ncols)) for r in range(sh.nrows))
        top = [next(rows) for _ in range(min(HEADER_ROWS, sh.nrows))]
        at = _header_row(top, need)
        if at is None:
            found[sh.name] = _first_row_checked(top, label, sh.name)
            continue
        table = _table_from_rows(top[at], itertools.chain(top[at + 1:], rows), layout, at + 2, label, sh.name,
                                 limit)
        return Input(table, "xls", sh.name, [])
    raise _no_sheet(found, need, label)


# ----------------------------------------------------------------------------------------------- parquet
def _read_parquet(source: Path | bytes, layout: Layout, label: str, max_rows: int | None,
                  need: tuple[str, ...]) -> Input:
    f = pq.ParquetFile(source if isinstance(source, Path) else pa.BufferReader(source))
    if max_rows is not None and f.metadata.num_rows > max_rows:
        raise _too_many(max_rows, label)
    table = f.read()
    text_kinds = {c.name for c in layout.fields if not c.numeric}
    for i, name in enumerate(table.column_names):
        if name.strip().lower() in text_kinds and not pa.types.is_string(table.schema.field(i).type):
            table = table.set_column(i, name, pc.cast(table.column(i), pa.string()))
    return Input(_with_rows(table, 1), "parquet")


# ----------------------------------------------------------------------------------------------- finish
def _with_rows(table: pa.Table, first: int) -> pa.Table:
    rows = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))
    return table.add_column(0, "_row", rows)


def _finish(got: Input, layout: Layout, label: str, max_rows: int | None) -> Input:
    """Header names normalised and unique, at least one data row, codes padded, decimal commas read."""
    t = got.table
    check_header(t.column_names, file=label, sheet=got.sheet)
    names = [c if c == "_row" else str(c).strip().lower() for c in t.column_names]
    t = t.rename_columns(names)
    if t.num_rows == 0:
        where = f"sheet {got.sheet!r} has" if got.sheet else "the file has"
        raise _bad(f"{where} a header but no data rows", label, sheet=got.sheet, rule="empty", row=1)
    if max_rows is not None and t.num_rows > max_rows:
        raise _too_many(max_rows, label)
    for name, width in layout.codes.items():
        if name in t.column_names and pa.types.is_string(t.schema.field(name).type):
            t = t.set_column(t.column_names.index(name), name, _pad(t.column(name), width))
    for name in layout.numeric:
        if name in t.column_names and pa.types.is_string(t.schema.field(name).type):
            col, note = decimal_commas(t.column(name), name)
            if note:
                got.notes.append(f"{label}: {note}")
                t = t.set_column(t.column_names.index(name), name, col)
    got.table = t
    return got


def _pad(col: pa.ChunkedArray, width: int) -> pa.ChunkedArray:
    """Leading zeros restored on the numeric codes shorter than ``width`` (only when there are any)."""
    short = pc.and_(pc.match_substring_regex(col, r"^\s*[0-9]+(\.0)?\s*$"),
                    pc.less(pc.utf8_length(pc.utf8_trim_whitespace(col)), width + 2))
    if not pc.any(short).as_py():
        return col
    values = col.to_pylist()
    mask = short.to_pylist()
    return pa.chunked_array([pa.array([pad_code(v, width) if m else v for v, m in zip(values, mask)],
                                      pa.string())])


_DEC_ONLY = r"^\s*[+-]?[0-9]+,([0-9]{1,2}|[0-9]{4,})\s*$"       # 1,4  12,25  0,0005
_VN_FORM = r"^\s*[+-]?[0-9]{1,3}(\.[0-9]{3})+,[0-9]+\s*$"       # 1.234,5
_THOUSANDS = r"^\s*[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?\s*$"  # 1,234  1,234.5  1,234,567
_US_CLEAR = r"^\s*[+-]?[0-9]{1,3}(,[0-9]{3})+\.[0-9]+\s*$|^\s*[+-]?[0-9]{1,3}(,[0-9]{3}){2,}\s*$"


def decimal_commas(col: pa.ChunkedArray, name: str) -> tuple[pa.ChunkedArray, str]:
    """A text number column with its commas read where the column is unambiguous (module docstring); returns
    the column and a note saying what was done ('' when nothing was)."""
    if not pc.any(pc.match_substring(col, ",")).as_py():
        return col, ""
    decimal = pc.any(pc.or_(pc.match_substring_regex(col, _DEC_ONLY),
                            pc.match_substring_regex(col, _VN_FORM))).as_py()
    thousands = pc.any(pc.match_substring_regex(col, _US_CLEAR)).as_py()
    if decimal and not thousands:
        text = pc.utf8_trim_whitespace(col)
        vn_thousands = pc.match_substring_regex(text, r"^[+-]?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$")
        text = pc.if_else(vn_thousands, pc.replace_substring(text, ".", ""), text)
        return pc.replace_substring(text, ",", "."), f"{name}: decimal commas read (1,4 = 1.4)"
    if thousands and not decimal:
        text = pc.utf8_trim_whitespace(col)
        clear = pc.match_substring_regex(text, _THOUSANDS)
        return pc.if_else(clear, pc.replace_substring(text, ",", ""), text), \
            f"{name}: thousands separators removed (1,234.5 = 1234.5)"
    return col, ""


def problem_where(p: Problem, got: Input) -> Problem:
    """``p`` located in the sheet that was read (workbooks)."""
    return p.at(sheet=got.sheet) if got.sheet and not p.sheet else p


__all__ = ["EXTENSIONS", "Input", "MAX_SHEET_BYTES", "WORKBOOK_MAX_ROWS", "check_header", "decimal_commas",
           "problem_where", "read_input"]
