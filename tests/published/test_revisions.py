"""Revisions in growth terms: percentage points for indices, percent for levels, unit changes apart, names."""
import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from iip.cli import app
from iip.published.revisions import figure_revisions, revision_summary, unit_factor
from iip.store import connect


def _vintages(rows):
    cols = ["indicator", "area", "node", "period", "measure", "status", "value", "unit", "release", "vintage"]
    return pd.DataFrame(rows, columns=cols).assign(source="GSO")


def test_index_revisions_in_percentage_points():
    v = _vintages([
        ("production", "VN", "TOTAL", "2023-06", "yoy", "estimate", 105.0, "%", "2023-06", 1),
        ("production", "VN", "TOTAL", "2023-06", "yoy", "actual", 106.0, "%", "2023-07", 2),
        ("production", "VN", "TOTAL", "2023-07", "yoy", "estimate", 103.69, "%", "2023-07", 1),
        ("production", "VN", "TOTAL", "2023-07", "yoy", "actual", 102.34, "%", "2023-08", 2),
        ("production", "VN", "TOTAL", "2023-08", "yoy", "estimate", 104.0, "%", "2023-08", 1)])   # once: no revision
    r = figure_revisions(v).set_index("period")
    assert list(r.index) == ["2023-06", "2023-07"]
    assert r.loc["2023-07", ["first_growth", "latest_growth"]].tolist() == pytest.approx([3.69, 2.34])
    assert r.loc["2023-07", "revision"] == pytest.approx(-1.35) and r.loc["2023-07", "revision_unit"] == "pp"
    s = revision_summary(figure_revisions(v))
    assert (s.n.item(), s.mean_revision.item(), s.mean_abs_revision.item(), s.revision_unit.item()) == \
        (2, pytest.approx(-0.175), pytest.approx(1.175), "pp")


def test_level_revisions_in_percent_and_unit_changes():
    v = _vintages([
        ("product_output", "VN", "COAL", "2023-06", "level", "estimate", 4000.0, "Nghìn tấn", "2023-06", 1),
        ("product_output", "VN", "COAL", "2023-06", "level", "actual", 4100.0, "Nghìn tấn", "2023-07", 2),
        # thousand tonnes -> million tonnes, and 2 % up: a unit change x0.001, then +2 %
        ("product_output", "VN", "CEMENT", "2023-06", "level", "estimate", 9000.0, "Nghìn tấn", "2023-06", 1),
        ("product_output", "VN", "CEMENT", "2023-06", "level", "actual", 9.18, "Triệu tấn", "2023-07", 2),
        # same printed unit but 1000 times larger: a unit change all the same
        ("product_output", "VN", "TV", "2023-06", "level", "estimate", 1.5, "Triệu cái", "2023-06", 1),
        ("product_output", "VN", "TV", "2023-06", "level", "actual", 1500.0, "Triệu cái", "2023-07", 2)])
    r = figure_revisions(v).set_index("node")
    assert r.loc["COAL", "revision"] == pytest.approx(2.5) and r.loc["COAL", "revision_unit"] == "%"
    assert math.isnan(r.loc["COAL", "unit_change"]) and math.isnan(r.loc["COAL", "first_growth"])
    assert r.loc["CEMENT", "unit_change"] == pytest.approx(0.001)
    assert r.loc["CEMENT", "revision"] == pytest.approx(2.0)
    assert (r.loc["TV", "unit_change"], r.loc["TV", "revision"]) == (1000.0, pytest.approx(0.0))
    s = revision_summary(figure_revisions(v)).set_index("node")
    assert s.loc["CEMENT", "unit_changes"] == 1 and s.loc["COAL", "unit_changes"] == 0


def test_unit_factor():
    assert unit_factor([1002.4, 0.00099, 1.3, 678.0, 12.0]).tolist() == [1000.0, 0.001, 1.0, 1.0, 10.0]
    assert unit_factor([678.0, 1.3], [True, True]).tolist() == [1000.0, 1.0]


def test_same_release_twice_and_derived_are_not_revisions():
    v = _vintages([
        ("production", "VN", "TOTAL", "2023-03", "ytd_yoy", "derived", 104.0, "%", "2023-04", 1),
        ("production", "VN", "TOTAL", "2023-03", "ytd_yoy", "derived", 105.0, "%", "2023-05", 2),
        ("product_output", "VN", "COAL", "2007-04", "level", "estimate", 167.7, "Nghìn tấn", "2007-04", 1),
        ("product_output", "VN", "COAL", "2007-04", "level", "estimate", 101532.0, "Tấn", "2007-04", 2)])
    assert figure_revisions(v).empty


def test_cli_and_api_read_the_same_rows_with_names(gso_files, db, tmp_path, monkeypatch):
    import openpyxl
    from fastapi.testclient import TestClient

    from iip.ingest.published import import_gso
    from iip.web.app import create_app
    aug = tmp_path / "2023-08-29-Bieu-8-2023.xlsx"          # July revised: yoy 106.0 -> 107.25, mining 97.6 -> 96.1
    wb = openpyxl.Workbook()
    wb.active.append(["2. Chỉ số sản xuất công nghiệp"])
    wb.active.append([None, "Tháng 7 năm 2023 so với cùng kỳ năm trước"])
    wb.active.append([])
    wb.active.append(["Toàn ngành công nghiệp", 107.25])
    wb.active.append(["Khai khoáng", 96.1])
    wb.save(aug)
    con = connect(db)
    import_gso(con, [*gso_files[:2], aug], workers=1)
    con.close()
    from iip.cli import published as cli_published
    monkeypatch.setattr(cli_published.console, "_width", 250)      # names on one line
    r = CliRunner().invoke(app, ["--db", str(db), "revisions", "--top", "5"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "Total industry" in out and "Mining and quarrying" in out
    assert "+1.25 pp" in out and "-1.50 pp" in out
    with TestClient(create_app(db, warm=False)) as client:
        items = client.get("/api/published/revisions", params={"lang": "vi"}).json()["items"]
    assert [(i["node"], i["node_name"], i["area_name"], i["period"], i["revision_unit"]) for i in items] == [
        ("B", "Khai khoáng", "Cả nước", "2023-07", "pp"), ("TOTAL", "Toàn ngành công nghiệp", "Cả nước", "2023-07", "pp")]
    assert [i["revision"] for i in items] == pytest.approx([-1.5, 1.25])
    out_csv = tmp_path / "rev.csv"
    r = CliRunner().invoke(app, ["--db", str(db), "export", "revisions", "--figures", "--out", str(out_csv)])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out_csv)["node_name"].tolist() == ["Mining and quarrying", "Total industry"]
