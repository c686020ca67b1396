"""Non-response is not zero: `iip compile` imputes non-response of active units, a unit after its closing month
counts 0, a product x area without reports or donors is missing (its weight renormalised over the others), and
every cell carries its coverage. Expected values are worked out by hand below.

One province (01); products P1 (A, B, C) and P2 (D) of class 1010, P3 (E) of class 2410; base year 2020 with
every month 10, 20, 30 (P1), 40 (P2), 100 (P3); weights P1 60, P2 40, P3 100, classes 1010 and 2410 50 each.
2021: A 11, B 22, C 33, D 44, E 105, except
* 2021-03: A 12, B 24, C does not report: FIR = 33 x (12 + 24) / (11 + 22) = 36, so P1 = 72 -> 120;
* 2021-04: D does not report and has no donors (the only maker of P2): P2 missing, class 1010 = P1 alone;
* E closes after 2021-05 (active_to): 2021-06 not expected, P3 counts 0;
* 2021-07: only A reports (11): B and C are imputed with link 11 / 11 = 1, D missing; the month is provisional.
"""
from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from iip import summary
from iip.cli import app
from iip.compile import compile_store
from iip.ingest.microdata import ingest_file
from iip.reference.periods import month_range
from iip.store import connect

runner = CliRunner()
MONTHS = month_range("2020-01", "2021-07")
BASE = {"A": 10, "B": 20, "C": 30, "D": 40, "E": 100}
LATER = {"A": 11, "B": 22, "C": 33, "D": 44, "E": 105}
MAKES = {"A": "P1", "B": "P1", "C": "P1", "D": "P2", "E": "P3"}


def reports() -> pd.DataFrame:
    rows = []
    for e, p in MAKES.items():
        for m in MONTHS:
            q = BASE[e] if m < "2021-01" else LATER[e]
            if m == "2021-03" and e in "AB":
                q = {"A": 12, "B": 24}[e]
            if (m, e) in {("2021-03", "C"), ("2021-04", "D")} or (m >= "2021-06" and e == "E"):
                continue
            if m == "2021-07" and e != "A":
                continue
            rows.append((e, m, p, float(q), float(q), 0.0))
    return pd.DataFrame(rows, columns=["enterprise_id", "period", "product_code", "produced", "sold",
                                       "closing_stock"])


def build(path) -> None:
    d = path.parent
    (d / "register.csv").write_text("enterprise_id,name,province,vsic,ownership,active_from,active_to\n"
                                    "A,a,01,1010,state,,\nB,b,01,1010,state,,\nC,c,01,1010,state,,\n"
                                    "D,d,01,1010,fdi,,\nE,e,01,2410,fdi,,2021-05\n", encoding="utf-8")
    (d / "products.csv").write_text("product_code,name_vi,name_en,unit,vsic\nP1,a,a,t,1010\nP2,b,b,t,1010\n"
                                    "P3,c,c,t,2410\n", encoding="utf-8")
    (d / "weights.csv").write_text("kind,code,province,base_year,value\nproduct,P1,01,2020,60\n"
                                   "product,P2,01,2020,40\nproduct,P3,01,2020,100\nindustry,1010,01,2020,50\n"
                                   "industry,2410,01,2020,50\n", encoding="utf-8")
    reports().to_parquet(d / "reports.parquet")
    con = connect(path)
    for kind, f in (("register", "register.csv"), ("products", "products.csv"), ("weights", "weights.csv"),
                    ("reports", "reports.parquet")):
        ingest_file(con, kind, d / f)
    con.close()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "nr.duckdb"
    build(path)
    return path


def cells(con, area="01", indicator="production") -> pd.DataFrame:
    return con.execute("""SELECT node, period, "index", coverage_reported AS rep, coverage_imputed AS imp
                          FROM indices_where(indicator_is := ?, area_is := ?)""", [indicator, area]).df() \
        .set_index(["node", "period"])


def test_imputation_closure_and_missing_by_hand(db):
    con = connect(db)
    _, t = compile_store(con)
    r = t["imputation"]
    assert (r.markers, r.unimputable) == ({"FIR": 3}, 2)   # C in March, B and C in July; D twice without donors
    c = cells(con)
    assert c.loc[("1010", "2021-03"), "index"] == pytest.approx((60 * 120 + 40 * 110) / 100)   # 116
    assert c.loc[("TOTAL", "2021-03"), "index"] == pytest.approx((116 + 105) / 2)
    assert c.loc[("1010", "2021-04"), "index"] == pytest.approx(110)      # P2 missing: P1 alone, not 66 or 0
    assert c.loc[("TOTAL", "2021-06"), "index"] == pytest.approx((110 + 0) / 2)   # E closed: counts 0
    assert c.loc[("2410", "2021-06"), "index"] == 0
    # coverage: shares of the base-year weight reported and imputed
    expect = {("TOTAL", "2021-02"): (1, 0), ("1010", "2021-03"): (0.6 * 0.5 + 0.4, 0.3),
              ("TOTAL", "2021-03"): (0.85, 0.15), ("TOTAL", "2021-04"): (0.8, 0), ("TOTAL", "2021-06"): (1, 0),
              ("1010", "2021-07"): (0.6 / 6, 0.6 * 5 / 6), ("TOTAL", "2021-07"): (0.55, 0.25)}
    for key, (rep, imp) in expect.items():
        assert (c.loc[key, "rep"], c.loc[key, "imp"]) == (pytest.approx(rep), pytest.approx(imp)), key
    # the imputed line is in the reports with its marker; the closed unit's months were never imputed
    assert con.execute("SELECT produced, status FROM reports WHERE enterprise_id = 'C' AND period = '2021-03'"
                       ).fetchone() == (pytest.approx(36.0), "FIR")
    assert con.execute("SELECT count(*) FROM reports WHERE enterprise_id = 'E' AND period > '2021-05'"
                       ).fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM nonresponse WHERE marker IS NULL").fetchone()[0] == 2
    # every indicator reads the same coverage; areas containing the province too
    cons = cells(con, indicator="consumption")
    assert cons.loc[("TOTAL", "2021-03"), "rep"] == pytest.approx(0.85)
    assert cells(con, area="VN").loc[("TOTAL", "2021-07"), "rep"] == pytest.approx(0.55)
    con.close()


def test_a_rerun_writes_nothing_and_a_late_report_replaces_the_imputation(db, tmp_path):
    con = connect(db)
    compile_store(con)
    _, t = compile_store(con)
    assert t["imputation"].skipped
    late = pd.DataFrame([("C", "2021-03", "P1", 34.0, 34.0, 0.0)], columns=reports().columns)
    late.to_parquet(tmp_path / "late.parquet")
    ingest_file(con, "reports", tmp_path / "late.parquet")
    _, t = compile_store(con)
    assert not t["imputation"].skipped
    c = cells(con)
    assert c.loc[("1010", "2021-03"), "index"] == pytest.approx((60 * 100 * 70 / 60 + 40 * 110) / 100)
    assert c.loc[("TOTAL", "2021-03"), "rep"] == pytest.approx(1.0)
    assert con.execute("SELECT status FROM reports WHERE enterprise_id = 'C' AND period = '2021-03'"
                       ).fetchone() == ("R",)
    assert con.execute("SELECT status FROM reports_history WHERE enterprise_id = 'C' AND period = '2021-03'"
                       ).fetchall() == [("FIR",)]
    con.close()


def test_no_impute_compiles_the_reported_values_only(db):
    con = connect(db)
    compile_store(con, impute=False)
    c = cells(con)
    assert c.loc[("1010", "2021-03"), "index"] == pytest.approx((60 * 100 * 36 / 60 + 40 * 110) / 100)
    assert (c.loc[("TOTAL", "2021-03"), "rep"], c.loc[("TOTAL", "2021-03"), "imp"]) == (pytest.approx(0.85), 0)
    assert con.execute("SELECT count(*) FROM reports WHERE status <> 'R'").fetchone()[0] == 0
    con.close()


def test_provisional_months(db, tmp_path):
    con = connect(db)
    compile_store(con)
    st = summary.month_status(con).set_index("period")
    assert st.loc["2021-07", "provisional"] and not st.loc["2021-06", "provisional"]
    assert summary.latest_period(con) == "2021-06" and summary.latest_period(con, provisional=True) == "2021-07"
    con.close()
    out = runner.invoke(app, ["--db", str(db), "show"])
    text = " ".join(out.output.split())   # the title may wrap
    assert out.exit_code == 0 and "2021-06" in text and "final: 100% of the base-year weight" in text
    out = runner.invoke(app, ["--db", str(db), "show", "--period", "2021-07"])
    assert "PROVISIONAL: 55% of the base-year weight reported, 25% imputed" in " ".join(out.output.split())
    res = runner.invoke(app, ["--db", str(db), "release", "--period", "2021-07", "--out", str(tmp_path / "rel")])
    assert res.exit_code == 1 and "2021-07 is provisional" in res.output and "--provisional" in res.output
    assert not (tmp_path / "rel" / "2021-07").exists()


def test_the_compile_cli_reports_the_imputation_and_checks_its_options(db):
    res = runner.invoke(app, ["--db", str(db), "compile"])
    assert res.exit_code == 0, res.output
    assert "3 imputed (FIR 3), 2 without donors (missing)" in " ".join(res.output.split())
    for args, text in ((["--from", "2021-06", "--to", "2021-01"], "--from 2021-06 is after --to 2021-01"),
                       (["--reference-year", "2015"], "--reference-year 2015 is not a year with all 12 months"),
                       (["--from", "2019-01"], "--from 2019-01 is outside the months reported (2020-01 to 2021-07)")):
        res = runner.invoke(app, ["--db", str(db), "compile", *args])
        assert res.exit_code == 1 and text in res.output and "Traceback" not in res.output, res.output
    res = runner.invoke(app, ["--db", str(db), "compile", "--no-impute"])
    assert res.exit_code == 0 and "not used (--no-impute)" in " ".join(res.output.split())


def test_a_report_after_the_closing_month_is_left_out(db, tmp_path):
    con = connect(db)
    late = pd.DataFrame([("E", "2021-06", "P3", 200.0, 200.0, 0.0)], columns=reports().columns)
    late.to_parquet(tmp_path / "after.parquet")
    r = ingest_file(con, "reports", tmp_path / "after.parquet")
    assert [w.rule for w in r.warnings] == ["inactive"] and "outside the enterprise's active months" in \
        r.warnings[0].message
    compile_store(con)
    c = cells(con)
    assert c.loc[("TOTAL", "2021-06"), "index"] == pytest.approx((110 + 0) / 2)   # still 0 for P3: left out
    assert c.loc[("TOTAL", "2021-06"), "rep"] == pytest.approx(1.0)
    assert con.execute("SELECT enterprise_id, period, marker, produced FROM nonresponse WHERE marker = 'out'"
                       ).fetchall() == [("E", "2021-06", "out", 200.0)]
    compile_store(con, impute=False)
    assert cells(con).loc[("TOTAL", "2021-06"), "index"] == pytest.approx(55)
    con.close()
