"""Generate small workbooks in GSO's layout (openpyxl) for tests on a fresh machine.

Run: python tests/published/make_fixtures.py [OUTDIR]  (default src/iip/data/fixtures). The figures
are invented; the layout (title line, header cells split over several rows, label column, '"' units,
continued labels) copies GSO's monthly workbooks.
"""
from __future__ import annotations

import sys
from pathlib import Path

import openpyxl

IIP_ROWS = [("Toàn ngành công nghiệp", 101.2, 105.5, 106.1), ("Khai khoáng", 99.0, 97.1, 98.0),
            ("Khai thác than cứng và than non", 102.0, 110.3, 104.2),
            ("Công nghiệp chế biến, chế tạo", 101.9, 107.2, 107.9), ("Sản xuất đồ uống", 97.3, 104.4, 103.1),
            ("SX sản phẩm điện tử, máy vi tính", None, None, None),
            ("và sản phẩm quang học", 103.1, 111.6, 109.0),
            ("Sản xuất và phân phối điện", 100.4, 108.9, 109.7),
            ("Cung cấp nước; hoạt động quản lý và xử lý rác thải, nước thải", 100.8, 106.0, 105.2)]


def iip_sheet(ws, *, month: int, year: int, rows=IIP_ROWS, title="2. Chỉ số sản xuất công nghiệp") -> None:
    """Monthly IIP table: mom, yoy (estimates for the release month) and cumulative yoy."""
    ws.append([title])
    ws.append([None, None, None, "Đơn vị tính: %"])
    ws.append([None, f"Tháng {month} năm", f"Tháng {month} năm", f"{month} tháng"])
    ws.append([None, f"{year} so với", f"{year} so với", f"năm {year} so"])
    ws.append([None, "tháng trước", "cùng kỳ", "với cùng kỳ"])
    ws.append([None, None, "năm trước", "năm trước"])
    ws.append([])
    for r in rows:
        ws.append(list(r))


def write_release(path: Path, *, month: int, year: int, rows=IIP_ROWS, sheet="02IIP", prev_actual: float | None = None):
    wb = openpyxl.Workbook()
    wb.active.title = "01NN"
    wb.active.append(["1. Sản xuất nông nghiệp"])
    ws = wb.create_sheet(sheet)
    iip_sheet(ws, month=month, year=year, rows=rows)
    if prev_actual is not None:   # a quarterly table carrying the actual for an earlier quarter
        q = wb.create_sheet("8.IIPquy")
        q.append(["8. Chỉ số sản xuất công nghiệp các quý năm %d" % year])
        q.append([None, "So với cùng kỳ năm trước:"])
        q.append([None, "Thực hiện quý I năm %d" % year])
        q.append([])
        q.append(["Toàn ngành công nghiệp", prev_actual])
    wb.save(path)


def make_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "2023-06-29-Bieu-6-2023.xlsx", out / "2023-07-29-Bieu-7-2023.xlsx"]
    write_release(files[0], month=6, year=2023)
    rows7 = [(r[0], *(None if v is None else round(v + 0.5, 2) for v in r[1:])) for r in IIP_ROWS]
    write_release(files[1], month=7, year=2023, rows=rows7, sheet="7.IIPthang", prev_actual=104.8)
    bad = out / "2023-08-29-not-a-workbook.xlsx"
    bad.write_bytes(b"this is not a workbook")
    files.append(bad)
    return files


if __name__ == "__main__":
    for f in make_all(Path(sys.argv[1] if len(sys.argv) > 1 else "src/iip/data/fixtures")):
        print(f)
