"""Workbooks for reader tests, made here: an .xlsx whose sheet holds ``rows`` rows (the rows written as one
compressed stream, so millions of rows take a few MB: a zip bomb) and ordinary ones via openpyxl / xlwt-free
.xls from pandas."""
from __future__ import annotations

import io
import zipfile

import openpyxl

HEADER = ("enterprise_id", "period", "product_code", "produced", "sold", "closing_stock")
_ROW = (b'<row><c t="inlineStr"><is><t>E1</t></is></c><c t="inlineStr"><is><t>2020-01</t></is></c>'
        b'<c t="inlineStr"><is><t>STEEL</t></is></c><c><v>1</v></c><c><v>1</v></c><c><v>1</v></c></row>')


def zip_bomb(rows: int, header: tuple[str, ...] = HEADER) -> bytes:
    """An .xlsx (bytes) with a header and ``rows`` identical data rows in its first sheet."""
    wb = openpyxl.Workbook()
    wb.active.append(list(header))
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    head = b"".join(b'<c t="inlineStr"><is><t>' + h.encode() + b"</t></is></c>" for h in header)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                z.writestr(item, src.read(item.filename))
                continue
            with z.open(item.filename, "w", force_zip64=True) as f:
                f.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                        b'spreadsheetml/2006/main"><sheetData><row r="1">' + head + b"</row>")
                block = _ROW * 10_000
                for _ in range(rows // 10_000):
                    f.write(block)
                f.write(_ROW * (rows % 10_000) + b"</sheetData></worksheet>")
    return out.getvalue()


def workbook(sheets: dict[str, list[list]]) -> bytes:
    """An .xlsx (bytes) with the given sheets (name -> rows), in order."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xls(rows: list[list]) -> bytes:
    """An Excel 97-2003 .xls (bytes) with one sheet holding ``rows``."""
    import xlwt

    book = xlwt.Workbook()
    sheet = book.add_sheet("Sheet1")
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            sheet.write(i, j, v)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
