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


# ---- layouts for the robustness tests (unseen sheet names, products, provinces, English) -------------
PRODUCT_ROWS = [("Than đá (than sạch)", "Nghìn tấn", 3500.0, 3600.0, 21000.0, 104.5, 103.2),
                ("Xi măng", "Triệu tấn", 9.1, 9.4, 55.0, 98.7, 101.0),
                ("Bia các loại", "Triệu lít", 380.0, 390.0, 2100.0, 105.0, 104.0),
                ("    Trong đó:", "Bia hơi", 30.0, 31.0, 170.0, 101.0, 100.5),   # label ran into the unit column
                ("Tivi các loại", "Nghìn cái", 1500.0, 1600.0, 9000.0, 90.0, 95.0),
                ("Máy cắt cỏ chạy bằng năng lượng mặt trời", "Nghìn cái", 1.0, 2.0, 3.0, 110.0, 120.0)]


def product_sheet(ws, *, month: int, year: int, rows=PRODUCT_ROWS) -> None:
    """'Một số sản phẩm chủ yếu': actual last month, estimate this month, cumulation, and a
    'So với cùng kỳ năm trước (%)' cell merged over the last two columns (as GSO prints it since 2019)."""
    ws.append(["11. Một số sản phẩm chủ yếu của ngành công nghiệp"])
    ws.append([])
    ws.append([None, "Đơn vị tính", f"Thực hiện tháng {month - 1} năm {year}", f"Ước tính tháng {month} năm {year}",
               f"Cộng dồn {month} tháng năm {year}", "So với cùng kỳ năm trước (%)", None])
    ws.append([None, None, None, None, None, f"Tháng {month} năm {year}", f"{month} tháng năm {year}"])
    ws.append([])
    for r in rows:
        ws.append(list(r))


#: Provincial rows as GSO printed them before the merger (63 provinces) ...
PROVINCES_63 = [("CẢ NƯỚC ", 101.26, 105.79), ("Hà Nội", 100.87, 100.23), ("TP. Hồ Chí Minh", 100.74, 89.39),
                ("Thừa Thiên - Huế", 99.5, 101.2), ("Bà Rịa-Vũng Tàu", 99.99, 100.73), ("Đăk Lăk", 101.61, 90.87)]
#: ... in January-June 2025 (Thừa Thiên Huế renamed Huế) ...
PROVINCES_2025H1 = [("CẢ NƯỚC", 100.2, 103.1), ("Huế", 99.1, 102.4), ("TP. Hồ Chí Minh", 100.3, 101.5),
                    ("Hà Giang", 98.7, 97.2)]
#: ... and from July 2025 (the 34; 'Hà Giang' is no longer one of them).
PROVINCES_34 = [("CẢ NƯỚC ", 101.26, 105.79), ("TP. Hà Nội", 100.87, 100.23), ("TP. Hồ Chí Minh", 100.74, 89.39),
                ("Huế", 99.5, 101.2), ("Thành phố Huế", 99.5, 101.2), ("Đăk Lăk", 101.61, 90.87),
                ("Khánh Hòa", 102.2, 104.4), ("Hà Giang", 99.99, 100.73)]


def province_sheet(ws, *, month: int, year: int, rows=PROVINCES_63) -> None:
    """Labour-usage index by province: title over two lines, a sub-heading inside the header block."""
    ws.append(["15. Chỉ số sử dụng lao động của doanh nghiệp công nghiệp"])
    ws.append(["      phân theo địa phương"])
    ws.append([None, None, "%"])
    ws.append([None, "Chỉ số sử dụng lao động", "Chỉ số sử dụng lao động"])
    ws.append([None, f" thời điểm 1/{month}/{year} so với", f" thời điểm 1/{month}/{year} so với"])
    ws.append([None, "cùng thời điểm tháng trước", "cùng thời điểm năm trước"])
    ws.append([])
    for r in rows:
        ws.append(list(r))


def write_unseen(path: Path, *, month: int = 10, year: int = 2025) -> None:
    """A later release with sheet names never seen, GSO's 2022 layout, one unknown division label and
    one unknown product; header wording 'Tháng 10 năm 2025 so với cùng kỳ năm trước'."""
    rows = IIP_ROWS[:4] + [("Sản xuất phi thuyền vũ trụ", 151.11, 161.11, 171.11)] + IIP_ROWS[4:]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Bảng mới IIP"
    ws.append(["7. Chỉ số sản xuất công nghiệp tháng 10 và 10 tháng năm %d" % year])
    ws.append([None, None, None, "%"])
    ws.append([None, f"Tháng {month} năm {year} so với tháng trước",
               f"Tháng {month} năm {year} so với cùng kỳ năm trước", f"{month} tháng năm {year} so với cùng kỳ năm trước"])
    ws.append([])
    for r in rows:
        ws.append(list(r))
    product_sheet(wb.create_sheet("SP moi"), month=month, year=year)
    rows = PROVINCES_34 if (year, month) >= (2025, 7) else PROVINCES_63
    province_sheet(wb.create_sheet("LĐ tỉnh"), month=month, year=year, rows=rows)
    wb.save(path)


def write_december(path: Path, *, year: int = 2024) -> None:
    """December release: 'Năm Y' and '6 tháng' style columns (annual and half-year periods)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "9.IIP"
    ws.append(["9. Chỉ số sản xuất công nghiệp"])
    ws.append([None, "Tháng 12 năm %d so với cùng kỳ năm trước" % year, "Năm %d so với năm %d" % (year, year - 1)])
    ws.append([])
    ws.append(["Toàn ngành công nghiệp", 108.2, 108.4])
    sp = wb.create_sheet("SP")
    sp.append(["3. Một số sản phẩm chủ yếu của ngành công nghiệp"])
    sp.append([None, "Đơn vị tính", "Ước tính tháng 12 năm %d" % year, "Cộng dồn năm %d" % year,
               "Năm %d so năm %d (%%)" % (year, year - 1)])
    sp.append([])
    sp.append(["Xi măng", "Triệu tấn", 9.5, 114.0, 102.5])
    h1 = wb.create_sheet("H1")
    h1.append(["2. Chỉ số sản xuất công nghiệp"])
    h1.append([None, "6 tháng năm %d so với cùng kỳ năm trước" % year])
    h1.append([])
    h1.append(["Toàn ngành công nghiệp", 107.5])
    wb.save(path)


def write_english(path: Path, *, month: int = 9, year: int = 2020) -> None:
    """GSO's English workbook layout (2020-09): English titles, headers and labels."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "7"
    ws.append([f"7. Index of industrial production of September and 9 months in {year}"])
    ws.append([None, None, None, None, "%"])
    ws.append([None, f" August {year}", f" September {year}", f" September {year}", f"{month} months of {year}"])
    ws.append([None, "versus", "versus", "versus", "versus"])
    ws.append([None, "same period", "last month", "same period", "same period"])
    ws.append([None, "last year", None, "last year", "last year"])
    ws.append([])
    for r in [("WHOLE INDUSTRY", 99.44, 102.27, 103.8, 102.37), ("Mining and quarying", 89.44, 99.88, 94.33, 92.6),
              ("Manufacturing", 100.24, 103.16, 105.0, 104.0),
              ("Manufacture of computer, electronic and optical products", 103.89, 101.77, 110.0, 108.0)]:
        ws.append(list(r))
    q = wb.create_sheet("8")
    q.append([f"8. IIP of every quarter in {year}"])
    q.append([None, "Performance", "Estimated"])
    q.append([None, f"2nd quarter of {year}", f"3rd quarter of {year}"])
    q.append([None, "versus same", "versus same"])
    q.append([None, f"period in {year - 1}", f"period in {year - 1}"])
    q.append([])
    q.append(["WHOLE INDUSTRY", 100.17, 101.83])
    p = wb.create_sheet("9")
    p.append([f"9. Some key industrial products of September and 9 months {year}"])
    p.append([None, None, "Performance", "Estimate", "Accrued", "Compared to the same period last year", None])
    p.append([None, "Unit", "August", "September", "9 months", "September", "9 months"])
    p.append([None, None, year, year, year, year, year])
    p.append([])
    p.append(["Coal (pure)", "‘000 tons", 3332.99, 3757.84, 36208.42, 105.34, 104.86])
    p.append(["Cement", "MN tons", 8.29, 9.0, 70.0, 101.0, 99.0])
    lab = wb.create_sheet("12")
    lab.append(["12. Labour employed index (LEI) of industrial enterprise"])
    lab.append([None, "LEI", "LEI"])
    lab.append([None, f"as of Sept. 1,{year - 1}", f"as of Sept. 1,{year - 1}"])      # GSO's typo: wrong year
    lab.append([None, "versus same period last month", "versus same period last year"])
    lab.append([])
    lab.append(["WHOLE INDUSTRY", 101.25, 98.25])
    wb.save(path)


# ---- layouts for the import rules (legacy encoding, no date in the name, no IIP tables, impossible values) ----
#: A 2008 product table typed in the TCVN3 (ABC) font, as xlrd shows it: each string here is the Latin-1 reading of
#: TCVN3 bytes, copied from GSO's workbooks ('Mét sè s¶n phÈm' = 'Một số sản phẩm', 'Thùc hiÖn' = 'Thực hiện').
TCVN3_PRODUCTS = [
    ["4. Mét sè s¶n phÈm chñ yÕu cña ngµnh c«ng nghiÖp th¸ng 02 n¨m 2008"],
    [],
    [None, "§¬n vÞ tÝnh", "Thùc hiÖn th¸ng 1 n¨m 2008", "¦íc tÝnh th¸ng 2 n¨m 2008",
     "Céng dån 2 th¸ng n¨m 2008", "Th¸ng 2 n¨m 2008 so víi cïng kú n¨m tr\xadíc (%)"],
    [],
    ["Than s¹ch", "Ngh×n tÊn", 3567.0, 3121.0, 6688.0, 96.4],
    ["Xi m¨ng", "Ngh×n tÊn", 3402.0, 2705.0, 6107.0, 101.3],
    ["Bia", "TriÖu lÝt", 110.5, 98.7, 209.2, 103.5],
    ["Trung \xad¬ng", "Ngh×n tÊn", 1.0, 2.0, 3.0, 104.0],            # 'Trung ương': a sub-row, skipped on purpose
]


def write_rows(path: Path, sheets: dict[str, list[list]]) -> None:
    """A workbook with the given sheets, rows as they are."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
    from workbooks import workbook

    path.write_bytes(workbook(sheets))


def write_with_raw_values(path: Path, rows: list[list], raw: dict[float, str], sheet: str = "IIP") -> None:
    """A one-sheet workbook whose numbers listed in ``raw`` are stored as the given raw text ('NaN', 'INF'):
    openpyxl cannot write a non-finite number, GSO's exports (and broken ones) can."""
    import zipfile
    write_rows(path, {sheet: rows})
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    xml = files["xl/worksheets/sheet1.xml"].decode()
    for number, text in raw.items():
        xml = xml.replace(f"<v>{number:g}</v>", f"<v>{text}</v>")
    files["xl/worksheets/sheet1.xml"] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)


SDMX_HEAD = ('<?xml version="1.0" encoding="UTF-8"?><message:StructureSpecificData '
             'xmlns:ss="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific" '
             'xmlns:message="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message" '
             'xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xmlns:ns1="urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure=IMF:ECOFIN_DSD(1.0):ObsLevelDim:TIME_PERIOD">'
             '<message:Header><message:ID>T1</message:ID><message:Test>false</message:Test>'
             '<message:Prepared>2024-11-13T06:48:52Z</message:Prepared><message:Sender id="ZZZ"/>'
             '<message:Structure structureID="IMF_ECOFIN_DSD_1_0" namespace="urn:sdmx:org.sdmx.infomodel.datastructure.'
             'DataStructure=IMF:ECOFIN_DSD(1.0):ObsLevelDim:TIME_PERIOD" dimensionAtObservation="TIME_PERIOD">'
             '<common:Structure><Ref agencyID="IMF" id="ECOFIN_DSD" version="1.0"/></common:Structure>'
             '</message:Structure></message:Header><message:DataSet ss:dataScope="DataStructure" '
             'xsi:type="ns1:DataSetType" ss:structureRef="IMF_ECOFIN_DSD_1_0">')


def write_sdmx(path: Path, series: dict[str, list[tuple[str, str]]], *, freq: str = "M",
               status: dict[str, str] | None = None) -> None:
    """An IMF NSDP-style SDMX-ML 2.1 structure-specific message: {INDICATOR: [(TIME_PERIOD, OBS_VALUE)]}
    (OBS_VALUE as text, so that 'NaN' and 'INF' can be written); ``status`` {TIME_PERIOD: OBS_STATUS}."""
    body = []
    for ind, obs in series.items():
        body.append(f'<Series DATA_DOMAIN="IND" REF_AREA="VN" INDICATOR="{ind}" COUNTERPART_AREA="_Z" FREQ="{freq}" '
                    'BASE_PER="2015" UNIT_MULT="0">')
        for period, value in obs:
            st = f' OBS_STATUS="{status[period]}"' if status and period in status else ""
            body.append(f'<Obs TIME_PERIOD="{period}" OBS_VALUE="{value}"{st}/>')
        body.append("</Series>")
    path.write_text(SDMX_HEAD + "".join(body) + "</message:DataSet></message:StructureSpecificData>", encoding="utf-8")
