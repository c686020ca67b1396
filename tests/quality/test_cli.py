"""`iip impute`, `iip outliers`, `iip labour` (with its employment file ingest) and `iip users` through the command
line, checked against values worked out by hand."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from typer.testing import CliRunner

from iip.cli import app
from iip.ingest.microdata import ingest_file
from iip.store import connect

runner = CliRunner()


def run(*args, input: str | None = None) -> str:
    res = runner.invoke(app, [str(a) for a in args], input=input)
    assert res.exit_code == 0, res.output
    assert "Traceback" not in res.output and "None" not in res.output, res.output
    return " ".join(res.output.split())


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "q.duckdb"
    con = connect(path)
    ents = [f"E{i}" for i in range(8)]
    files = {"register": "enterprise_id,name,province,vsic,ownership\n" + "".join(
                 f"{e},{e},{'01' if i < 5 else '79'},2410,{'state' if i % 2 else 'fdi'}\n" for i, e in enumerate(ents)),
             "products": "product_code,name_vi,name_en,unit,vsic\nSTEEL,t,s,t,2410\n"}
    # January: 100 each; February: 101..107 and E7 300 (an odd ratio); E0 does not report in March
    rows = [f"{e},2024-01,STEEL,100,100,0" for e in ents]
    rows += [f"{e},2024-02,STEEL,{300 if i == 7 else 100 + i},{300 if i == 7 else 100 + i},0"
             for i, e in enumerate(ents)]
    rows += [f"{e},2024-03,STEEL,110,110,0" for e in ents[1:]]
    files["reports"] = "enterprise_id,period,product_code,produced,sold,closing_stock\n" + "\n".join(rows) + "\n"
    for k, text in files.items():
        (tmp_path / f"{k}.csv").write_text(text, encoding="utf-8")
        ingest_file(con, k, tmp_path / f"{k}.csv")
    con.close()
    return path


def test_impute_cli(db):
    out = run("--db", db, "impute", "--period", "2024-03", "--lookback", "1")
    # E0 missed March; stratum 01|2410|STEEL pairs Feb -> Mar: E1..E4 (101..104 -> 110 each): link 440 / 410
    assert "1 imputed (FIR 1); 1 written, 0 retired" in out
    con = connect(db)
    v, status = con.execute("SELECT produced, status FROM reports WHERE enterprise_id = 'E0' AND period = '2024-03'"
                            ).fetchone()
    con.close()
    assert status == "FIR" and v == pytest.approx(100 * 440 / 410)
    again = run("--db", db, "impute", "--period", "2024-03", "--lookback", "1")
    assert "0 written, 0 retired" in again and "load" not in again


def test_outliers_cli_flags_once(db):
    out = run("--db", db, "outliers", "--period", "2024-02", "--c", "4")
    assert "1 new outlier flag(s), produced, 2024-02" in out and "E7" in out
    assert "0 new outlier flag(s)" in run("--db", db, "outliers", "--period", "2024-02", "--c", "4")
    con = connect(db)
    assert con.execute("SELECT enterprise_id, value, previous FROM outlier_flags").fetchall() == [("E7", 300.0, 100.0)]
    con.close()


def test_labour_cli_ingests_employment_and_exports(db, tmp_path):
    emp = tmp_path / "emp.csv"
    emp.write_text("enterprise_id,period,employees\nE1,2024-05,110\nE2,2024-05,200\nE5,2024-05,50\n"
                   "E1,2024-04,100\nE2,2024-04,250\nE1,2023-05,100\n", encoding="utf-8")
    out = run("--db", db, "labour", "--period", "2024-05", "--load", emp, "--out", tmp_path / "lab.csv")
    assert "employment: 6 new or changed, 0 unchanged" in out
    assert "Labour-usage index, 2024-05: employees on the 1st day of the month" in out and " 1 2024" not in out
    lab = pd.read_csv(tmp_path / "lab.csv", dtype={"code": str}).set_index(["dimension", "code"])
    assert lab.loc[("total", "TOTAL"), "employees"] == 360
    assert lab.loc[("total", "TOTAL"), "mom"] == pytest.approx(round(100 * 310 / 350, 2))   # E5 not matched
    assert lab.loc[("total", "TOTAL"), "yoy"] == pytest.approx(110.0)
    # the file ingest is versioned like any other: a correction moves the old figure to history
    emp.write_text("enterprise_id,period,employees\nE1,2024-05,120\n", encoding="utf-8")
    run("--db", db, "labour", "--period", "2024-05", "--load", emp)
    con = connect(db)
    assert con.execute("SELECT employees FROM employment_history WHERE enterprise_id = 'E1' AND period = '2024-05'"
                       ).fetchall() == [(110.0,)]
    assert con.execute("SELECT employees FROM labour_index WHERE dimension = 'total'").fetchall() == [(370.0,)]
    con.close()


def test_labour_rejects_a_bad_employment_file(db, tmp_path):
    emp = tmp_path / "emp.csv"
    emp.write_text("enterprise_id,period,employees\nE1,2024-05,1.5\nNOPE,2024-05,3\n", encoding="utf-8")
    res = runner.invoke(app, ["--db", str(db), "labour", "--period", "2024-05", "--load", str(emp)])
    assert res.exit_code == 1 and "2 problems" in res.output and "whole number" in res.output
    assert "unknown enterprise" in res.output


def test_users_cli(db):
    assert "added ana (national)" in run("--db", db, "users", "add", "ana", "--role", "national",
                                         "--password-stdin", input="a long enough password\n")
    assert "added e1 (enterprise, E1, province 01)" in run("--db", db, "users", "add", "e1", "--role", "enterprise",
                                              "--enterprise", "E1", "--password-stdin",
                                              input="another long password\n")
    listed = run("--db", db, "users", "list")
    assert "2 user(s)" in listed and "ana" in listed and "E1" in listed and "password" not in listed.lower()
    assert "disabled ana" in run("--db", db, "users", "disable", "ana")
    listed = run("--db", db, "users", "list")
    assert re.search(r"ana\s.*national.*\bno\b", listed)
    dup = runner.invoke(app, ["--db", str(db), "users", "add", "ana", "--role", "national", "--password-stdin"],
                        input="a long enough password\n")
    assert dup.exit_code == 1 and "ana" in dup.output and "Traceback" not in dup.output
