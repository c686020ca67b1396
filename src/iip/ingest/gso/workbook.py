"""Read a GSO workbook (.xls via xlrd, .xlsx as zip + XML) into plain rows per sheet, TCVN3 text decoded."""
from __future__ import annotations

import zipfile
from functools import lru_cache
import xml.etree.ElementTree as ET
from pathlib import Path

from iip.errors import IIPError
from iip.ingest.gso.encoding import decode_rows


class WorkbookError(IIPError):
    """A file that cannot be read as a workbook (truncated, encrypted, not a workbook)."""


HEAD_ROWS = 12


def read_workbook(path: str | Path, *, keep=None) -> list[tuple[str, list[list]]]:
    """[(sheet name, rows)] of a workbook; rows are lists of raw cell values (None for empty).

    ``keep(head_rows) -> bool`` (optional) looks at a sheet's first rows; sheets it rejects are not
    read further (speed: most sheets of a GSO workbook are not industry tables). Text typed in the legacy
    TCVN3 font encoding is decoded to Unicode (:func:`iip.ingest.gso.encoding.decode_rows`), before ``keep``
    sees it.
    """
    path = Path(path)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK"):
        return _read_xlsx(path, keep)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return _read_xls(path, keep)
    raise WorkbookError(f"{path.name}: not an Excel workbook (.xls or .xlsx)")


def _read_xls(path: Path, keep=None) -> list[tuple[str, list[list]]]:
    import xlrd
    try:
        wb = xlrd.open_workbook(str(path), on_demand=True, formatting_info=False)
    except Exception as exc:  # xlrd raises many types: XLRDError, CompDocError, AssertionError ...
        raise WorkbookError(f"{path.name}: cannot read .xls workbook ({_why(exc)})") from None
    try:
        out = []
        for i in range(wb.nsheets):
            sh = wb.sheet_by_index(i)
            n = sh.nrows
            if keep is None or keep(decode_rows([sh.row_values(r) for r in range(min(n, HEAD_ROWS))])):
                out.append((sh.name, decode_rows([sh.row_values(r) for r in range(n)])))
            wb.unload_sheet(i)
        return out
    except Exception as exc:
        raise WorkbookError(f"{path.name}: cannot read .xls workbook ({_why(exc)})") from None
    finally:
        wb.release_resources()


def _read_xlsx(path: Path, keep=None) -> list[tuple[str, list[list]]]:
    """Values-only .xlsx reader (zip + XML). openpyxl spends seconds on GSO's huge style tables."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "xl/workbook.xml" not in names:
                raise WorkbookError(f"{path.name}: not an .xlsx workbook (no xl/workbook.xml)")
            shared = _shared_strings(z) if "xl/sharedStrings.xml" in names else []
            out = []
            for name, target in _sheet_targets(z):
                if target not in names:
                    continue
                with z.open(target) as fh:
                    rows = _sheet_rows(fh, shared, keep)
                if rows is not None:
                    out.append((name, decode_rows(rows)))
            return out
    except WorkbookError:
        raise
    except (zipfile.BadZipFile, EOFError, ET.ParseError, KeyError, OSError) as exc:
        raise WorkbookError(f"{path.name}: damaged or truncated .xlsx ({_why(exc)})") from None


_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RNS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _sheet_targets(z: zipfile.ZipFile) -> list[tuple[str, str]]:
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    rid = {r.get("Id"): r.get("Target") for r in rels}
    out = []
    for sh in wb.iter(f"{_NS}sheet"):
        t = rid.get(sh.get(f"{_RNS}id")) or ""
        t = t.lstrip("/") if t.startswith("/") else "xl/" + t
        out.append((sh.get("name") or "", t))
    return out


def _shared_strings(z: zipfile.ZipFile) -> list[str]:
    out = []
    for _, el in ET.iterparse(z.open("xl/sharedStrings.xml")):
        if el.tag == f"{_NS}si":
            out.append("".join(t.text or "" for t in el.iter(f"{_NS}t")))
            el.clear()
    return out


def _col_index(ref: str) -> int:
    """0-based column of a cell reference ('AB12' -> 27)."""
    return _column_of_letters(ref.rstrip("0123456789"))


@lru_cache(maxsize=1024)
def _column_of_letters(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _cell_value(c, shared: list[str]):
    t = c.get("t")
    if t == "inlineStr":
        return "".join(x.text or "" for x in c.iter(f"{_NS}t"))
    v = c.find(f"{_NS}v")
    if v is None or v.text is None:
        return None
    if t == "s":
        return shared[int(v.text)]
    if t in ("str", "e"):
        return v.text if t == "str" else None
    if t == "b":
        return bool(int(v.text))
    x = float(v.text)
    return int(x) if x.is_integer() and "." not in v.text and "E" not in v.text.upper() else x


def _sheet_rows(fh, shared: list[str], keep) -> list[list] | None:
    rows: list[list] = []
    checked = keep is None
    for _, el in ET.iterparse(fh):
        if el.tag != f"{_NS}row":
            continue
        r = int(el.get("r", len(rows) + 1)) - 1
        while len(rows) < r:
            rows.append([])
        row: list = []
        for c in el.iter(f"{_NS}c"):
            j = _col_index(c.get("r", "")) if c.get("r") else len(row)
            row.extend([None] * (j - len(row)))
            row.append(_cell_value(c, shared))
        rows.append(row)
        el.clear()
        if not checked and len(rows) >= HEAD_ROWS:
            if not keep(decode_rows(rows)):
                return None
            checked = True
    if not checked and not keep(decode_rows(rows)):
        return None
    return rows


def _why(exc: BaseException) -> str:
    msg = str(exc).strip() or type(exc).__name__
    if "encrypt" in msg.lower() or "password" in msg.lower():
        return "password-protected"
    return msg[:200]
