"""The one file reader (iip.ingest.files) and the habits of files made in Excel, through `iip ingest`: padded codes,
separators, decimal commas, workbooks under a .csv name, the sheet with the header, empty sheets, duplicate
columns, special files and row limits that stop a zip bomb early."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from iip.cli import app
from iip.errors import ValidationError
from iip.ingest.files import read_input
from iip.ingest.microdata import ingest_file
from iip.store import connect
from iip.validation import LAYOUTS

sys.path.insert(0, str(Path(__file__).parent))
from workbooks import workbook, xls, zip_bomb  # noqa: E402

runner = CliRunner()
REPORTS = LAYOUTS["reports"]
HEADER = ["enterprise_id", "period", "product_code", "produced", "sold", "closing_stock"]


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "s.duckdb")
    (tmp_path / "register.csv").write_text("enterprise_id;name;province;vsic;ownership\n"
                                           "E1;Thép;1;2410;nonstate\nE2;Mỏ;22;510;state\n", encoding="utf-8")
    (tmp_path / "products.csv").write_text("product_code,name_vi,name_en,unit,vsic\nSTEEL,Thép,Steel,t,2410\n"
                                           "COAL,Than,Coal,t,0510\n", encoding="utf-8")
    ingest_file(c, "register", tmp_path / "register.csv")
    ingest_file(c, "products", tmp_path / "products.csv")
    yield c
    c.close()


def stored(con, sql: str):
    return con.execute(sql).fetchall()


def test_codes_get_their_leading_zeros_back_and_semicolons_are_read(con):
    # the register above: ';'-separated, province 1 (Excel dropped the zero), VSIC 510 for 0510
    assert stored(con, "SELECT enterprise_id, province, vsic FROM register ORDER BY 1") == [
        ("E1", "01", "2410"), ("E2", "22", "0510")]


@pytest.mark.parametrize("sep", [";", "\t", ","])
def test_separator_is_detected(con, tmp_path, sep):
    f = tmp_path / "r.csv"
    f.write_text(sep.join(HEADER) + "\n" + sep.join(["E1", "2020-01", "STEEL", "5", "5", "1"]) + "\n",
                 encoding="utf-8")
    r = ingest_file(con, "reports", f)
    assert r.inserted == 1
    assert any("separated" in n for n in r.notes) == (sep != ",")


def test_decimal_commas_where_unambiguous(con, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(";".join(HEADER) + "\nE1;2020-01;STEEL;1,4;1.234,5;0,25\nE1;2020-02;STEEL;12;7;0\n",
                 encoding="utf-8")
    r = ingest_file(con, "reports", f)
    assert any("decimal commas" in n for n in r.notes)
    assert stored(con, "SELECT produced, sold, closing_stock FROM reports ORDER BY period") == [
        (1.4, 1234.5, 0.25), (12.0, 7.0, 0.0)]


def test_an_ambiguous_comma_is_refused_not_guessed(con, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(";".join(HEADER) + "\nE1;2020-01;STEEL;1,400;5;0\n", encoding="utf-8")  # 1400 or 1.4?
    with pytest.raises(ValidationError) as e:
        ingest_file(con, "reports", f)
    assert [(p.field, p.rule) for p in e.value.problems] == [("produced", "numeric")]


def test_thousands_commas_of_an_english_file(con, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(",".join(HEADER) + '\nE1,2020-01,STEEL,"1,234.5",5,0\nE1,2020-02,STEEL,"1,400",5,0\n',
                 encoding="utf-8")
    ingest_file(con, "reports", f)
    assert stored(con, "SELECT produced FROM reports ORDER BY period") == [(1234.5,), (1400.0,)]


def test_a_workbook_under_a_csv_name_is_read_as_a_workbook(con, tmp_path):
    (tmp_path / "r.csv").write_bytes(workbook({"Sheet1": [HEADER, ["E1", "2020-01", "STEEL", 5, 5, 1]]}))
    r = ingest_file(con, "reports", tmp_path / "r.csv")
    assert r.inserted == 1 and any("Excel workbook" in n for n in r.notes)
    (tmp_path / "old.csv").write_bytes(xls([HEADER, ["E1", "2020-02", "STEEL", 6.0, 5, 1]]))
    r = ingest_file(con, "reports", tmp_path / "old.csv")
    assert r.inserted == 1 and any("(xls)" in n for n in r.notes)
    assert stored(con, "SELECT period, produced FROM reports ORDER BY 1") == [("2020-01", 5.0), ("2020-02", 6.0)]


def test_the_sheet_read_is_the_first_with_the_header(con, tmp_path):
    import datetime as dt
    data = [["Báo cáo tháng 1/2020"], [], HEADER, ["E1", dt.datetime(2020, 1, 1), "STEEL", 5, 5, 1]]
    (tmp_path / "r.xlsx").write_bytes(workbook({"Ghi chú": [["read me"]], "Số liệu": data}))
    r = ingest_file(con, "reports", tmp_path / "r.xlsx")
    assert r.inserted == 1   # the month Excel turned into a date is read back as 2020-01
    assert stored(con, "SELECT period FROM reports") == [("2020-01",)]
    (tmp_path / "bad.xlsx").write_bytes(workbook({"Sheet1": [["a", "b"], [1, 2]]}))
    e = read_error(tmp_path / "bad.xlsx")
    assert "no sheet has the expected header" in str(e) and "Sheet1" in str(e)


def read_error(path: Path, layout=REPORTS, **kw) -> ValidationError:
    with pytest.raises(ValidationError) as e:
        read_input(path, layout, **kw)
    return e.value


@pytest.mark.parametrize("make,expect", [
    (lambda p: p.write_bytes(workbook({"Sheet1": [HEADER]})), "no data rows"),
    (lambda p: p.write_text(",".join(HEADER) + "\n", encoding="utf-8"), "no data rows"),
    (lambda p: p.write_text("", encoding="utf-8"), "empty"),
    (lambda p: p.write_text("enterprise_id,period,product_code,produced,produced,closing_stock\nE1,2020-01,S,1,1,1\n",
                            encoding="utf-8"), "'produced' is the name of columns 4 and 5"),
    (lambda p: p.write_bytes(b"\xff\xfe\x00\xd8garbage\x80\x81"), "UTF-8"),
])
def test_empty_duplicate_and_unreadable_files_are_errors(tmp_path, make, expect):
    p = tmp_path / "r.csv"
    make(p)
    assert expect in str(read_error(p))


def test_special_files_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    t = time.perf_counter()
    assert "not a regular file" in str(read_error(fifo))
    assert "not a regular file (a folder)" in str(read_error(tmp_path))
    assert time.perf_counter() - t < 5
    assert "not a regular file" in str(read_error(Path("/dev/null").resolve()))


def test_a_zip_bomb_stops_at_the_row_limit(tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(zip_bomb(400_000))   # 400,000 rows in a few hundred kB
    assert bomb.stat().st_size < 2_000_000
    t = time.perf_counter()
    assert "at most 300,000 rows" in str(read_error(bomb))
    assert "at most 2,000 rows" in str(read_error(bomb, max_rows=2000))
    assert time.perf_counter() - t < 30   # counted while decompressing: stops long before parsing 400,000 rows


def test_csv_and_parquet_row_limits(tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(",".join(HEADER) + "\n" + "E1,2020-01,STEEL,1,1,1\n" * 50, encoding="utf-8")
    assert "at most 10 rows" in str(read_error(f, max_rows=10))
    import pandas as pd
    pd.read_csv(f).to_parquet(tmp_path / "r.parquet")
    assert "at most 10 rows" in str(read_error(tmp_path / "r.parquet", max_rows=10))


def test_cli_names_the_file_for_each_habit(tmp_path):
    db = tmp_path / "c.duckdb"
    connect(db).close()
    fifo = tmp_path / "p.csv"
    os.mkfifo(fifo)
    bomb = tmp_path / "b.xlsx"
    bomb.write_bytes(zip_bomb(320_000))
    (tmp_path / "r.json").write_text("{}", encoding="utf-8")
    for f, text in ((fifo, "not a regular file"), (bomb, "at most 300,000 rows"),
                    (tmp_path / "nope.csv", "file not found"), (tmp_path / "r.json", "unsupported file type")):
        res = runner.invoke(app, ["--db", str(db), "ingest", "reports", str(f)])
        assert res.exit_code == 1 and text in res.output and str(f) in res.output, res.output
        assert "Traceback" not in res.output
