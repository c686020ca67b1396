"""Unseen workbooks: new sheet names, new labels (warned, not stored), header variants, later years,
products, provinces, annual / half-year periods and GSO's English workbook."""
import pandas as pd
from make_fixtures import write_december, write_english, write_unseen
from typer.testing import CliRunner

from iip.cli import app
from iip.ingest.gso.parse import parse_file
from iip.ingest.published import import_gso
from iip.reference.labels import label_key
from iip.store import connect


def _frame(p):
    return pd.DataFrame(p.figures)


def test_unseen_sheet_and_unknown_division_warned_not_stored(tmp_path):
    f = tmp_path / "2025-10-29-Bieu-10-2025.xlsx"
    write_unseen(f)
    p = parse_file(f)
    df = _frame(p)
    iip = df[df.table_kind == "production"]
    assert set(iip.node) == {"TOTAL", "B", "05", "C", "11", "26", "D", "E"}       # new label left out
    assert len(iip) == 8 * 3 and iip.period.unique().tolist() == ["2025-10"]
    assert iip[(iip.node == "TOTAL") & (iip.measure == "yoy")].value.item() == 105.5
    assert iip[(iip.node == "TOTAL") & (iip.measure == "ytd_yoy")].value.item() == 106.1
    warn = [w for w in p.warnings if "phi thuyền" in w]
    assert warn == [("2025-10-29-Bieu-10-2025.xlsx [Bảng mới IIP] row 9: unknown label 'Sản xuất phi thuyền vũ trụ' "
                     "(production); skipped")]
    assert any("[SP moi] row 11: unknown label 'Máy cắt cỏ" in w for w in p.warnings)
    assert not df.value.isin([151.11, 161.11, 171.11]).any()


def test_products_units_and_merged_comparison_header(tmp_path):
    f = tmp_path / "2025-10-29-Bieu-10-2025.xlsx"
    write_unseen(f)
    df = _frame(parse_file(f))
    sp = df[df.indicator == "product_output"].set_index(["node", "period", "measure"])
    assert sp.loc[("COAL", "2025-09", "level"), ["value", "unit", "status"]].tolist() == [3500.0, "Nghìn tấn", "actual"]
    assert sp.loc[("COAL", "2025-10", "level"), ["value", "status"]].tolist() == [3600.0, "estimate"]
    assert sp.loc[("COAL", "2025-10", "ytd_level"), "value"] == 21000.0
    assert sp.loc[("COAL", "2025-10", "yoy"), ["value", "unit"]].tolist() == [104.5, "%"]
    assert sp.loc[("COAL", "2025-10", "ytd_yoy"), "value"] == 103.2      # under the merged 'So với cùng kỳ' cell
    assert sp.loc[("CEMENT", "2025-10", "level"), "unit"] == "Triệu tấn"
    assert sp.loc[("BEER_DRAUGHT", "2025-10", "level"), ["value", "unit"]].tolist() == [31.0, "Triệu lít"]
    assert sp.loc[("TV", "2025-10", "yoy"), "value"] == 90.0


def test_provincial_labour_63(tmp_path):
    f = tmp_path / "2022-10-29-Bieu-10-2022.xlsx"
    write_unseen(f, year=2022)
    df = _frame(parse_file(f))
    lab = df[df.indicator == "labour"].set_index(["area", "measure"])
    assert lab.loc[("79", "yoy"), "value"] == 89.39          # 'TP. Hồ Chí Minh'
    assert lab.loc[("46", "mom"), "value"] == 99.5           # 'Thừa Thiên - Huế'
    assert lab.loc[("77", "yoy"), "value"] == 100.73         # 'Bà Rịa-Vũng Tàu'
    assert lab.loc[("66", "yoy"), "value"] == 90.87          # 'Đăk Lăk'
    assert lab.loc[("VN", "yoy"), ["node", "period"]].tolist() == ["TOTAL", "2022-10"]
    assert set(df[df.indicator == "labour"].node) == {"TOTAL"}


def test_provincial_labour_34_after_the_merger(tmp_path):
    """October 2025: the 34 provinces (areas N<code>), every spelling GSO uses; an old province is warned."""
    f = tmp_path / "2025-10-29-Bieu-10-2025.xlsx"
    write_unseen(f)
    p = parse_file(f)
    lab = _frame(p).query("indicator == 'labour'").set_index(["area", "measure"])["value"]
    assert lab[("N79", "yoy")] == 89.39          # 'TP. Hồ Chí Minh'
    assert lab[("N01", "yoy")] == 100.23         # 'TP. Hà Nội'
    assert lab[("N46", "mom")] == 99.5           # 'Huế' and 'Thành phố Huế': one figure, stored once
    assert lab[("N66", "yoy")] == 90.87          # 'Đăk Lăk'
    assert lab[("N56", "yoy")] == 104.4          # 'Khánh Hòa'
    areas = set(lab.index.get_level_values(0))
    assert areas == {"VN", "N79", "N01", "N46", "N66", "N56"}
    assert [w for w in p.warnings if "Hà Giang" in w] == [
        "2025-10-29-Bieu-10-2025.xlsx [LĐ tỉnh] row 15: unknown label 'Hà Giang' (labour_province): a province of "
        "the 63, not of the 34 in force for 2025-10; skipped"]


def test_provincial_labour_2025_before_the_merger(tmp_path):
    """January-June 2025: still the 63 provinces, Thừa Thiên Huế printed 'Huế' (renamed in January 2025)."""
    import openpyxl
    from make_fixtures import PROVINCES_2025H1, province_sheet
    f = tmp_path / "2025-03-29-Bieu-3-2025.xlsx"
    wb = openpyxl.Workbook()
    province_sheet(wb.active, month=3, year=2025, rows=PROVINCES_2025H1)
    wb.save(f)
    p = parse_file(f)
    lab = _frame(p).set_index(["area", "measure"])["value"]
    assert (lab[("46", "yoy")], lab[("79", "yoy")], lab[("02", "mom")]) == (102.4, 101.5, 98.7)
    assert not [w for w in p.warnings if "unknown label" in w]


def test_annual_and_half_year_periods(tmp_path):
    f = tmp_path / "2024-12-29-Bieu-12-2024.xlsx"
    write_december(f)
    df = _frame(parse_file(f)).set_index(["indicator", "node", "period", "measure"])["value"]
    assert df[("production", "TOTAL", "2024", "yoy")] == 108.4
    assert df[("production", "TOTAL", "2024-12", "ytd_yoy")] == 108.4
    assert df[("production", "TOTAL", "2024-12", "yoy")] == 108.2
    assert df[("production", "TOTAL", "2024-H1", "yoy")] == 107.5
    assert df[("production", "TOTAL", "2024-06", "ytd_yoy")] == 107.5
    assert df[("product_output", "CEMENT", "2024", "level")] == 114.0
    assert df[("product_output", "CEMENT", "2024-12", "ytd_level")] == 114.0
    assert df[("product_output", "CEMENT", "2024", "yoy")] == 102.5     # 'Năm 2024 so năm 2023 (%)'


def test_english_workbook(tmp_path):
    f = tmp_path / "2020-09-29-03-Bieu-9.2020-EN.xlsx"
    write_english(f)
    p = parse_file(f)
    df = _frame(p).set_index(["indicator", "node", "period", "measure"])
    assert df.loc[("production", "TOTAL", "2020-09", "mom"), "value"] == 102.27
    assert df.loc[("production", "TOTAL", "2020-08", "yoy"), ["value", "status"]].tolist() == [99.44, "actual"]
    assert df.loc[("production", "B", "2020-09", "ytd_yoy"), "value"] == 92.6
    assert df.loc[("production", "26", "2020-09", "yoy"), "value"] == 110.0
    assert df.loc[("production", "TOTAL", "2020-Q3", "yoy"), ["value", "status"]].tolist() == [101.83, "estimate"]
    assert df.loc[("product_output", "COAL", "2020-09", "ytd_yoy"), "value"] == 104.86
    assert df.loc[("product_output", "CEMENT", "2020-08", "level"), "value"] == 8.29
    # 'as of Sept. 1, 2019' in a September 2020 release: warned, not stored as 2019
    assert "labour" not in df.index.get_level_values(0)
    assert any("[12] column B: period 2019-09 is 12 months before the release 2020-09" in w for w in p.warnings)


def test_label_key():
    assert label_key("Xi măng") == "xi mang"                 # not the roman numeral XI
    assert label_key("Trong đó: Bia hơi") == "bia hoi"
    assert label_key("Đăk Lăk") == label_key("Đắk Lắk") == "dak lak"
    assert label_key("TP. Hồ Chí Minh") == "thanh pho ho chi minh"
    assert label_key("Vải dệt từ sợi TH hoặc sợi nhân tạo") == "vai det tu soi tong hop hoac soi nhan tao"


def test_cli_levels_and_revisions_export(gso_files, db, tmp_path, monkeypatch):
    import openpyxl
    aug = tmp_path / "2023-08-29-Bieu-8-2023.xlsx"        # carries the July actual: revision 106.0 -> 107.25
    wb = openpyxl.Workbook()
    wb.active.append(["2. Chỉ số sản xuất công nghiệp"])
    wb.active.append([None, "Tháng 7 năm 2023 so với cùng kỳ năm trước"])
    wb.active.append([])
    wb.active.append(["Toàn ngành công nghiệp", 107.25])
    wb.save(aug)
    con = connect(db)
    import_gso(con, [*gso_files[:2], aug], workers=1)
    con.close()
    r = CliRunner().invoke(app, ["--db", str(db), "check", "levels", "--tolerance", "0.01"])
    assert r.exit_code == 0, r.output
    assert "Level reconstruction:" in r.output
    out = tmp_path / "rev.csv"
    r = CliRunner().invoke(app, ["--db", str(db), "export", "revisions", "--indicator", "production", "--out", str(out)])
    assert r.exit_code == 0, r.output
    rev = pd.read_csv(out, dtype={"node": str})
    from iip.cli import published as cli_published
    monkeypatch.setattr(cli_published.console, "_width", 250)      # names on one line
    shown = CliRunner().invoke(app, ["--db", str(db), "revisions"]).output
    for row in rev.itertuples():   # every exported series is printed by `iip revisions`, with its name
        assert f"{row.mean_revision:+.3f} {row.revision_unit}" in shown and row.node_name in shown
    assert rev[(rev.node == "TOTAL") & (rev.measure == "yoy")][["n", "mean_revision"]].values.tolist() == [[1, 1.25]]
