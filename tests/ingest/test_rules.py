"""One rule set for every entry point, file side: months real and not in the future, numbers finite, >= 0 and below
the ceiling, base years real years, codes known; the total count of problems, not the first N."""
from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from iip.cli import app
from iip.errors import ValidationError
from iip.ingest.microdata import ingest_file
from iip.reference.periods import current_month, month_add
from iip.store import connect
from iip.validation import CEILING

runner = CliRunner()
REGISTER = "enterprise_id,name,province,vsic,ownership\nE1,A,42,2410,nonstate\nE2,B,79,1050,state\n"
PRODUCTS = "product_code,name_vi,name_en,unit,vsic\nSTEEL,Thép,Steel,t,2410\nMILK,Sữa,Milk,l,1050\n"
HEADER = "enterprise_id,period,product_code,produced,sold,closing_stock\n"


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "s.duckdb")
    for kind, text in (("register", REGISTER), ("products", PRODUCTS)):
        (tmp_path / f"{kind}.csv").write_text(text, encoding="utf-8")
        ingest_file(c, kind, tmp_path / f"{kind}.csv")
    yield c
    c.close()


def rejected(con, path, kind="reports") -> ValidationError:
    with pytest.raises(ValidationError) as e:
        ingest_file(con, kind, path)
    assert con.execute(f"SELECT count(*) FROM {kind}").fetchone()[0] == (2 if kind == "register" else 0)
    return e.value


@pytest.mark.parametrize("value,rule", [
    ("nan", "finite"), ("inf", "finite"), ("-inf", "finite"), ("1e308", "ceiling"), ("1e400", "finite"),
    ("1" * 400, "finite"), (f"{CEILING:.0f}", "ceiling"), ("-1", "non_negative"), ("ten", "numeric"),
])
def test_implausible_quantities_are_refused(con, tmp_path, value, rule):
    f = tmp_path / "r.csv"
    f.write_text(HEADER + "E1,2020-01,STEEL,5,5,1\n" + f"E1,2020-02,STEEL,{value},5,1\n", encoding="utf-8")
    e = rejected(con, f)
    assert [(p.row, p.field, p.rule) for p in e.problems] == [(3, "produced", rule)]
    assert "row 3" in str(e) and "produced" in str(e)


def test_just_below_the_ceiling_is_accepted(con, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(HEADER + f"E1,2020-01,STEEL,{CEILING * 0.999:.0f},0,0\n", encoding="utf-8")
    assert ingest_file(con, "reports", f).inserted == 1


def test_parquet_nan_and_inf_are_refused(con, tmp_path):
    df = pd.DataFrame({"enterprise_id": ["E1", "E1", "E1"], "period": ["2020-01", "2020-02", "2020-03"],
                       "product_code": "STEEL", "produced": [1.0, float("nan"), float("inf")], "sold": 1.0,
                       "closing_stock": 0.0})
    df.to_parquet(tmp_path / "r.parquet")
    e = rejected(con, tmp_path / "r.parquet")
    # pandas writes NaN as a null (an empty required value); infinity stays a number
    assert [(p.row, p.rule) for p in e.problems] == [(2, "required"), (3, "finite")]


@pytest.mark.parametrize("period,rule", [
    (month_add(current_month(), 1), "future"), ("2099-12", "future"), ("2031-01", "future"),
    ("1989-12", "period_range"), ("2020-13", "period"), ("2020/06", "period"), ("06-2020", "period"),
])
def test_a_period_is_a_real_month_not_after_the_current_one(con, tmp_path, period, rule):
    f = tmp_path / "r.csv"
    f.write_text(HEADER + f"E1,{period},STEEL,5,5,1\n", encoding="utf-8")
    e = rejected(con, f)
    assert [(p.field, p.rule) for p in e.problems] == [("period", rule)]


def test_the_current_month_is_accepted(con, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(HEADER + f"E1,{current_month()},STEEL,5,5,1\n", encoding="utf-8")
    assert ingest_file(con, "reports", f).inserted == 1


@pytest.mark.parametrize("year,rule", [("nan", "finite"), ("inf", "finite"), ("1850", "year"),
                                       ("2020.5", "integer"), ("20x0", "numeric")])
def test_base_years_are_real_years(con, tmp_path, year, rule):
    f = tmp_path / "w.csv"
    f.write_text(f"kind,code,province,base_year,value\nproduct,STEEL,42,{year},100\n", encoding="utf-8")
    e = rejected(con, f, "weights")
    assert [(p.field, p.rule) for p in e.problems] == [("base_year", rule)]


def test_parquet_nan_base_year_is_a_problem_not_a_crash(con, tmp_path):
    pd.DataFrame({"kind": ["product", "product"], "code": "STEEL", "province": "42",
                  "base_year": [2020.0, float("nan")], "value": [5.0, 1e400]}).to_parquet(tmp_path / "w.parquet")
    e = rejected(con, tmp_path / "w.parquet", "weights")
    assert {(p.row, p.field, p.rule) for p in e.problems} == {(2, "base_year", "required"), (2, "value", "finite")}


def test_weights_values_have_the_same_rules(con, tmp_path):
    f = tmp_path / "w.csv"
    f.write_text("kind,code,province,base_year,value\nproduct,STEEL,42,2020,1e308\nindustry,2410,42,2020,nan\n",
                 encoding="utf-8")
    e = rejected(con, f, "weights")
    assert [(p.row, p.rule) for p in e.problems] == [(2, "ceiling"), (3, "finite")]


def test_employees_are_whole_and_plausible(con, tmp_path):
    f = tmp_path / "e.csv"
    f.write_text("enterprise_id,period,employees\nE1,2020-01,12.5\nE2,2020-01,1e9\nE1,2020-02,nan\n",
                 encoding="utf-8")
    e = rejected(con, f, "employment")
    assert [(p.row, p.rule) for p in e.problems] == [(2, "integer"), (3, "ceiling"), (4, "finite")]


def test_register_opening_and_closing_months(tmp_path):
    c = connect(tmp_path / "s.duckdb")
    f = tmp_path / "reg.csv"
    f.write_text("enterprise_id,name,province,vsic,ownership,active_from,active_to\n"
                 "E1,A,42,2410,nonstate,2020-05,2020-03\nE2,B,79,1050,state,,2099-01\nE3,C,79,1050,state,2020-1,\n"
                 "E4,D,79,1050,state,2020-02,\n", encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        ingest_file(c, "register", f)
    assert [(p.row, p.field, p.rule) for p in e.value.problems] == [
        (2, "active_to", "closing"), (3, "active_to", "future"), (4, "active_from", "period")]


def test_many_bad_rows_report_the_total_and_the_first_ones(tmp_path):
    n = 31_965
    db = tmp_path / "many.duckdb"
    c = connect(db)
    (tmp_path / "reg.csv").write_text("enterprise_id,name,province,vsic,ownership\n" + "".join(
        f"D{i:03d},X,42,2410,nonstate\n" for i in range(100)), encoding="utf-8")
    (tmp_path / "prod.csv").write_text(PRODUCTS, encoding="utf-8")
    ingest_file(c, "register", tmp_path / "reg.csv")
    ingest_file(c, "products", tmp_path / "prod.csv")
    months = [month_add("2000-01", k) for k in range(200)]
    rows = [f"D{k % 100:03d},{months[(k // 100) % 200]},{'STEEL' if k < 20_000 else 'MILK'},-{k + 1},1,1"
            for k in range(n)]
    f = tmp_path / "many.csv"
    f.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as e:
        ingest_file(c, "reports", f)
    c.close()
    assert e.value.total == n and len(e.value.problems) == 200 and e.value.problems[0].row == 2
    assert "31,965 problems" in str(e.value) and "and 31,945 more" in str(e.value)
    res = runner.invoke(app, ["--db", str(db), "ingest", "reports", str(f)])
    assert res.exit_code == 1 and "31,965 problems" in res.output and "Traceback" not in res.output
