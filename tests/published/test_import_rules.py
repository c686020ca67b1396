"""Import rules on workbooks the tests generate: TCVN3 text, files without IIP tables, the release month read off the
tables, impossible values, year-to-date figures derived from January and the first quarter."""
import math

import pandas as pd
import pytest
from make_fixtures import IIP_ROWS, TCVN3_PRODUCTS, iip_sheet, write_release, write_rows, write_with_raw_values
from typer.testing import CliRunner

from iip.cli import app
from iip.ingest.gso.encoding import decode_rows, decode_tcvn3, is_tcvn3
from iip.ingest.gso.parse import parse_file
from iip.ingest.published import import_gso
from iip.store import connect


# ------------------------------------------------------------------------------------------ TCVN3 (ABC)
@pytest.mark.parametrize("legacy,unicode", [
    ("Mét sè s¶n phÈm chñ yÕu cña ngµnh c«ng nghiÖp", "Một số sản phẩm chủ yếu của ngành công nghiệp"),
    ("Thùc hiÖn th¸ng 12 n¨m 1999", "Thực hiện tháng 12 năm 1999"),
    ("¦íc tÝnh", "Ước tính"),
    ("Tæng s¶n phÈm trong n\xadíc", "Tổng sản phẩm trong nước"),
    ("§¬n vÞ tÝnh: Ngh×n tÊn", "Đơn vị tính: Nghìn tấn"),
    ("Céng dån", "Cộng dồn"),
    ("cïng kú n¨m tr\xadíc", "cùng kỳ năm trước"),
    ("ThÐp c¸n, Giµy dÐp, Qu¹t ®iÖn, Tivi, Xµ phßng, ¾c quy, §éng c¬",
     "Thép cán, Giày dép, Quạt điện, Tivi, Xà phòng, ắc quy, Động cơ"),
])
def test_tcvn3_decoded(legacy, unicode):
    assert decode_tcvn3(legacy) == unicode
    assert is_tcvn3(legacy) and not is_tcvn3(unicode)


def test_tcvn3_mixed_sheet():
    """Unicode cells stay as they are; a cell half in each encoding is decoded word by word; a marker-free word
    that reads only as TCVN3 ('víi') is decoded in a sheet that has TCVN3 text."""
    rows = [["Sản xuất công nghiệp", "Dầu thùc vËt tinh luyÖn", "Tháng 6 năm", "2010 so víi", "Hoà Bình", 12.5]]
    assert decode_rows(rows) == [["Sản xuất công nghiệp", "Dầu thực vật tinh luyện", "Tháng 6 năm", "2010 so với",
                                  "Hoà Bình", 12.5]]
    unicode_only = [["Hoà Bình", "Quí I", "víi"]]           # no TCVN3 anywhere: nothing is touched
    assert decode_rows(unicode_only) is unicode_only


def test_tcvn3_product_table_read(tmp_path):
    f = tmp_path / "2008-02-29-Solieu0208.xlsx"
    write_rows(f, {"04SPCN": TCVN3_PRODUCTS})
    p = parse_file(f)
    df = pd.DataFrame(p.figures).set_index(["node", "period", "measure"])
    assert df.loc[("COAL", "2008-01", "level"), ["value", "status", "unit"]].tolist() == [3567.0, "actual", "Nghìn tấn"]
    assert df.loc[("COAL", "2008-02", "level"), ["value", "status"]].tolist() == [3121.0, "estimate"]
    assert df.loc[("COAL", "2008-02", "ytd_level"), "value"] == 6688.0
    assert df.loc[("CEMENT", "2008-02", "yoy"), ["value", "unit"]].tolist() == [101.3, "%"]
    assert df.loc[("BEER", "2008-02", "level"), "unit"] == "Triệu lít"
    assert set(df.index.get_level_values(0)) == {"COAL", "CEMENT", "BEER"}     # 'Trung ương' skipped on purpose
    assert p.warnings == [] and p.cells_seen == 16 and p.cells_mapped == 12


# --------------------------------------------------------------------------------------- no IIP tables
def test_workbooks_without_iip_tables_reported_apart(tmp_path, db):
    products = tmp_path / "2008-02-29-Solieu0208.xlsx"
    write_rows(products, {"04SPCN": TCVN3_PRODUCTS})
    nothing = tmp_path / "2004-05-29-Bieu05.xlsx"
    write_rows(nothing, {"NN": [["1. Sản xuất nông nghiệp đến ngày 15 tháng 5 năm 2004"], [None, "Nghìn ha"],
                                ["Lúa", 100.0]]})
    iip = tmp_path / "2023-06-29-Bieu-6-2023.xlsx"
    write_release(iip, month=6, year=2023)
    con = connect(db)
    res = {r.file: r for r in import_gso(con, [products, nothing, iip], workers=1)}
    assert res[products.name].status == "no IIP tables" and res[products.name].figures == 15
    assert res[products.name].message == f"{products.name}: no IIP tables (15 figures of other tables stored)"
    assert (res[nothing.name].status, res[nothing.name].figures) == ("no IIP tables", 0)
    assert res[iip.name].status == "imported"
    stored = dict(con.execute("SELECT file, outcome FROM published_files").fetchall())
    assert stored == {products.name: "no IIP tables", nothing.name: "no IIP tables", iip.name: "imported"}
    assert con.execute("SELECT count(*) FROM published_figures JOIN published_files USING (file_id) "
                       "WHERE file = ?", [products.name]).fetchone()[0] == 15
    again = import_gso(con, [products], workers=1)
    assert again[0].status == "unchanged"


def test_cli_counts_no_iip_tables_apart(tmp_path, db):
    f = tmp_path / "2008-02-29-Solieu0208.xlsx"
    write_rows(f, {"04SPCN": TCVN3_PRODUCTS})
    r = CliRunner().invoke(app, ["--db", str(db), "import", "gso", str(f), "--no-levels"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "0 imported, 1 no IIP tables, 0 unchanged, 0 failed; 15 figures" in out
    assert f"no IIP tables {f.name}: no IIP tables (15 figures of other tables stored)" in out


# ------------------------------------------------------------------------------ release month from the tables
def test_release_month_from_title(tmp_path):
    f = tmp_path / "Bieu-IIP.xlsx"                   # no date in the name
    write_rows(f, {"IIP": [["2. Chỉ số sản xuất công nghiệp tháng Bảy và bảy tháng năm 2023"],
                           [None, "Tháng 7 so với cùng kỳ năm trước"], [], ["Toàn ngành công nghiệp", 103.69]]})
    p = parse_file(f)
    assert p.release == "2023-07"
    assert [(x["period"], x["measure"], x["value"], x["status"]) for x in p.figures] == \
        [("2023-07", "yoy", 103.69, "estimate")]


def test_release_month_from_headers(tmp_path):
    f = tmp_path / "so-lieu.xlsx"
    # a title without the month: the headers name 'tháng 2 năm 2008' at the latest
    write_rows(f, {"SP": [["3. Một số sản phẩm chủ yếu của ngành công nghiệp"], *TCVN3_PRODUCTS[1:]]})
    assert parse_file(f).release == "2008-02"


def test_release_month_unknown_fails_with_message(tmp_path, db):
    f = tmp_path / "Bieu.xlsx"
    write_rows(f, {"IIP": [["2. Chỉ số sản xuất công nghiệp"], [None, "So với tháng trước"], [],
                           ["Toàn ngành công nghiệp", 101.0]]})
    r = CliRunner().invoke(app, ["--db", str(db), "import", "gso", str(f), "--no-levels"])
    assert r.exit_code == 1
    assert "Bieu.xlsx: release month unknown: the file name does not start YYYY-MM-DD and no table title or " \
           "column header names the month" in " ".join(r.output.split())
    assert "Traceback" not in r.output


# ----------------------------------------------------------------------------------------- impossible values
def test_impossible_values_refused_naming_file_sheet_cell(tmp_path, db):
    f = tmp_path / "2023-06-29-Bieu-6-2023.xlsx"
    rows = [["2. Chỉ số sản xuất công nghiệp"],
            [None, "Tháng 6 năm 2023 so với tháng trước", "Tháng 6 năm 2023 so với cùng kỳ năm trước"], [],
            ["Toàn ngành công nghiệp", 101.2, 105.5],
            ["Khai khoáng", 777777.0, 97.1],           # written as NaN
            ["Công nghiệp chế biến, chế tạo", 888888.0, 107.2],   # written as INF
            ["Sản xuất đồ uống", -3.0, 104.4],
            ["Sản xuất và phân phối điện", 100.4, 1000.5]]
    write_with_raw_values(f, rows, {777777.0: "NaN", 888888.0: "INF"})
    con = connect(db)
    res = import_gso(con, [f], workers=1)[0]
    assert res.status == "imported"
    assert [(p.file, p.sheet, p.cell, p.rule) for p in res.refused] == [
        (f.name, "IIP", "B5", "possible_value"), (f.name, "IIP", "B6", "possible_value"),
        (f.name, "IIP", "B7", "possible_value"), (f.name, "IIP", "C8", "possible_value")]
    assert "not a finite number" in res.refused[0].message and "negative" in res.refused[2].message
    assert "an index above 1,000" in res.refused[3].message
    values = con.execute("SELECT node, measure, value FROM published_figures ORDER BY node, measure").fetchall()
    assert all(math.isfinite(v) and 0 <= v <= 1000 for _, _, v in values)
    assert ("B", "yoy", 97.1) in values and ("B", "mom", 777777.0) not in values and len(values) == 6
    r = CliRunner().invoke(app, ["--db", str(db), "import", "gso", str(f), "--no-levels"])
    assert r.exit_code == 0 and "1 unchanged" in r.output


def test_cli_prints_refused_cells(tmp_path, db):
    f = tmp_path / "2023-06-29-Bieu-6-2023.xlsx"
    write_with_raw_values(f, [["2. Chỉ số sản xuất công nghiệp"], [None, "Tháng 6 năm 2023 so với tháng trước"], [],
                              ["Toàn ngành công nghiệp", 888888.0]], {888888.0: "INF"})
    r = CliRunner().invoke(app, ["--db", str(db), "import", "gso", str(f), "--no-levels"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert (f"refused file {f.name}, sheet IIP, cell B4, field Toàn ngành công nghiệp: production TOTAL 2023-06 mom = "
            "inf refused: not a finite number") in out
    assert "1 impossible values refused" in out


# ------------------------------------------------------------------------------------ derived year to date
def test_january_and_march_year_to_date_derived(tmp_path, db):
    jan = tmp_path / "2023-01-29-Bieu-1-2023.xlsx"
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "IIP"
    ws.append(["2. Chỉ số sản xuất công nghiệp"])
    ws.append([None, "Tháng 1 năm 2023 so với tháng trước", "Tháng 1 năm 2023 so với cùng kỳ năm trước"])
    ws.append([])
    for label, mom, yoy in [("Toàn ngành công nghiệp", 83.5, 85.4), ("Khai khoáng", 95.0, 96.5)]:
        ws.append([label, mom, yoy])
    wb.save(jan)
    apr = tmp_path / "2023-04-29-Bieu-4-2023.xlsx"
    write_release(apr, month=4, year=2023, prev_actual=99.2)        # 'Thực hiện quý I' = 99.2
    con = connect(db)
    import_gso(con, [jan, apr], workers=1)
    got = con.execute("""SELECT file, node, period, measure, value, status, derived_from, sheet, cell, vintage_status
                         FROM published_vintages WHERE measure = 'ytd_yoy' AND period IN ('2023-01', '2023-03')
                         ORDER BY period, node""").fetchall()
    assert got == [
        (jan.name, "B", "2023-01", "ytd_yoy", 96.5, "derived", "2023-01 yoy", "IIP", "C5", "derived"),
        (jan.name, "TOTAL", "2023-01", "ytd_yoy", 85.4, "derived", "2023-01 yoy", "IIP", "C4", "derived"),
        (apr.name, "TOTAL", "2023-03", "ytd_yoy", 99.2, "derived", "2023-Q1 yoy", "8.IIPquy", "B5", "derived")]
    # the April workbook prints its own April ytd_yoy: nothing derived for it
    assert con.execute("SELECT status FROM published_figures WHERE period = '2023-04' AND measure = 'ytd_yoy' "
                       "AND node = 'TOTAL'").fetchall() == [("estimate",)]


def test_printed_year_to_date_is_not_replaced(tmp_path):
    f = tmp_path / "2023-01-29-Bieu-1-2023.xlsx"
    import openpyxl
    wb = openpyxl.Workbook()
    iip_sheet(wb.active, month=1, year=2023, rows=IIP_ROWS[:1])     # prints '1 tháng năm 2023 so với cùng kỳ'
    wb.save(f)
    figs = pd.DataFrame(parse_file(f).figures)
    ytd = figs[figs.measure == "ytd_yoy"]
    assert ytd[["period", "value", "status"]].values.tolist() == [["2023-01", 106.1, "estimate"]]
