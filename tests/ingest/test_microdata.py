"""Ingest: validation messages name file, row and field; all or nothing; idempotent; versions kept."""
from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from iip.cli import app
from iip.errors import ValidationError
from iip.ingest.microdata import ingest_file
from iip.store import connect

runner = CliRunner()
REGISTER = "enterprise_id,name,province,vsic,ownership\nE1,Công ty TNHH Thép Hoà Phát,42,2410,nonstate\n" \
           "E2,Công ty CP Sữa Việt Nam,79,1050,state\n"
PRODUCTS = "product_code,name_vi,name_en,unit,vsic\nROLLED_STEEL,Thép cán,Rolled steel,nghìn tấn,2410\n" \
           "FRESH_MILK,Sữa tươi,Fresh milk,triệu lít,1050\n"
REPORTS = "enterprise_id,period,product_code,produced,sold,closing_stock\n" \
          "E1,2020-01,ROLLED_STEEL,10,9,1\nE2,2020-01,FRESH_MILK,5,5,0\n"


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "s.duckdb")
    ingest_file(c, "register", write(tmp_path, "register.csv", REGISTER))
    ingest_file(c, "products", write(tmp_path, "products.csv", PRODUCTS))
    yield c
    c.close()


def test_good_files_load_and_reload_is_a_no_op(con, tmp_path):
    f = write(tmp_path, "reports.csv", REPORTS)
    r1 = ingest_file(con, "reports", f)
    assert (r1.inserted, r1.unchanged) == (2, 0)
    r2 = ingest_file(con, "reports", f)
    assert (r2.inserted, r2.unchanged) == (0, 2)
    assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM reports_history").fetchone()[0] == 0


def test_correction_replaces_and_keeps_history(con, tmp_path):
    ingest_file(con, "reports", write(tmp_path, "reports.csv", REPORTS))
    fixed = REPORTS.replace("E1,2020-01,ROLLED_STEEL,10,9,1", "E1,2020-01,ROLLED_STEEL,12,9,3")
    r = ingest_file(con, "reports", write(tmp_path, "reports_fix.csv", fixed))
    assert (r.inserted, r.unchanged) == (1, 1)
    cur = con.execute("SELECT produced FROM reports WHERE enterprise_id='E1'").fetchall()
    assert cur == [(12.0,)]
    hist = con.execute("SELECT produced, superseded_by FROM reports_history").fetchall()
    assert hist == [(10.0, r.load_id)]


@pytest.mark.parametrize("line,field,rule", [
    ("E9,2020-01,ROLLED_STEEL,10,9,1", "enterprise_id", "known_enterprise"),
    ("E1,2020-13,ROLLED_STEEL,10,9,1", "period", "period"),
    ("E1,2020-02,NOPE,10,9,1", "product_code", "known_product"),
    ("E1,2020-02,ROLLED_STEEL,ten,9,1", "produced", "numeric"),
    ("E1,2020-02,ROLLED_STEEL,10,-9,1", "sold", "non_negative"),
    ("E1,2020-01,ROLLED_STEEL,11,9,1", "enterprise_id", "duplicate_key"),
    ("E1,2020-02,ROLLED_STEEL,,9,1", "produced", "required"),
])
def test_bad_reports_name_file_row_field_and_write_nothing(con, tmp_path, line, field, rule):
    f = write(tmp_path, "bad.csv", REPORTS + line + "\n")
    with pytest.raises(ValidationError) as e:
        ingest_file(con, "reports", f)
    p = [x for x in e.value.problems if x.rule == rule]
    assert p and p[0].row == 4 and p[0].field == field and p[0].file == str(f)
    assert "row 4" in str(e.value) and str(f) in str(e.value)
    assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 0  # the good rows were not written
    assert con.execute("SELECT count(*) FROM loads WHERE kind='reports'").fetchone()[0] == 0


@pytest.mark.parametrize("text,field,rule", [
    ("E3,X,99,2410,state", "province", "known_province"),
    ("E3,X,01,9999,state", "vsic", "known_class"),
    ("E3,X,01,2410,private", "ownership", "ownership"),
])
def test_bad_register(tmp_path, text, field, rule):
    c = connect(tmp_path / "s.duckdb")
    f = write(tmp_path, "register.csv", REGISTER + text + "\n")
    with pytest.raises(ValidationError) as e:
        ingest_file(c, "register", f)
    assert [(p.row, p.field, p.rule) for p in e.value.problems] == [(4, field, rule)]


def test_weights_rules(con, tmp_path):
    text = "kind,code,province,base_year,value\nproduct,ROLLED_STEEL,42,2020,100\nindustry,2410,42,2020,50\n" \
           "industry,2410,42,20x0,50\nsomething,2410,42,2020,1\nproduct,NOPE,42,2020,1\n"
    with pytest.raises(ValidationError) as e:
        ingest_file(con, "weights", write(tmp_path, "w.csv", text))
    got = {(p.row, p.rule) for p in e.value.problems}
    assert {(4, "numeric"), (5, "kind"), (6, "known_product")} <= got


def test_missing_column_and_unknown_extension(con, tmp_path):
    with pytest.raises(ValidationError, match="required column 'produced' is missing"):
        ingest_file(con, "reports", write(tmp_path, "r.csv", "enterprise_id,period,product_code\nE1,2020-01,X\n"))
    with pytest.raises(ValidationError, match="unsupported file type"):
        ingest_file(con, "reports", write(tmp_path, "r.txt", REPORTS))


def test_xlsx_and_parquet_inputs(con, tmp_path):
    df = pd.read_csv(pd.io.common.StringIO(REPORTS), dtype=str)
    df.to_excel(tmp_path / "r.xlsx", index=False)
    assert ingest_file(con, "reports", tmp_path / "r.xlsx").inserted == 2
    df2 = df.assign(produced=[20.0, 6.0], sold=[1.0, 1.0], closing_stock=[0.0, 0.0])
    df2.to_parquet(tmp_path / "r.parquet")
    r = ingest_file(con, "reports", tmp_path / "r.parquet")
    assert r.inserted == 2
    bad = df2.assign(produced=[-1.0, 6.0])
    bad.to_parquet(tmp_path / "bad.parquet")
    with pytest.raises(ValidationError) as e:
        ingest_file(con, "reports", tmp_path / "bad.parquet")
    assert e.value.problems[0].row == 1 and e.value.problems[0].field == "produced"


def test_industry_tree_mismatch_is_a_warning(con, tmp_path):
    r = ingest_file(con, "reports", write(tmp_path, "r.csv", REPORTS + "E1,2020-01,FRESH_MILK,1,1,0\n"))
    assert r.inserted == 3 and [w.rule for w in r.warnings] == ["industry_tree"] and r.warnings[0].row == 4


def test_warnings_see_codes_as_the_rules_do(tmp_path):
    """Codes and months padded with tabs or line breaks are stripped by the rules (and stored stripped): the
    warnings find them too, as they find the same rows unpadded (a report outside the enterprise's active months
    is left out of the compile: its warning must not be lost to a tab)."""
    c = connect(tmp_path / "w.duckdb")
    register = ("enterprise_id,name,province,vsic,ownership,active_from,active_to\n"
                "E1,A,42,2410,nonstate,2020-03,2020-10\nE2,B,79,1050,state,,\n")
    ingest_file(c, "register", write(tmp_path, "register.csv", register))
    ingest_file(c, "products", write(tmp_path, "products.csv", PRODUCTS))
    lines = [("E2", "2020-01", "FRESH_MILK"), ("\tE1", "2020-01", "ROLLED_STEEL"),
             ("E1\t", "2020-05", "\tFRESH_MILK"), ("E1", "\t2020-11\t", "ROLLED_STEEL")]
    text = "enterprise_id,period,product_code,produced,sold,closing_stock\n" + \
        "".join(f'"{e}","{m}","{p}",1,1,0\r\n' for e, m, p in lines)
    r = ingest_file(c, "reports", write(tmp_path, "r.csv", text))
    assert sorted((w.row, w.rule) for w in r.warnings) == [(3, "inactive"), (4, "industry_tree"), (5, "inactive")]
    assert r.warnings_total == 3 and r.inserted == 4
    assert c.execute("SELECT DISTINCT enterprise_id FROM reports ORDER BY 1").fetchall() == [("E1",), ("E2",)]
    c.close()


def test_cli_reports_bad_input_with_exit_code(tmp_path):
    dbp = tmp_path / "c.duckdb"
    f = write(tmp_path, "register.csv", REGISTER + "E3,X,99,2410,state\n")
    res = runner.invoke(app, ["--db", str(dbp), "ingest", "register", str(f)])
    assert res.exit_code == 1
    assert "row 4" in res.output and "province" in res.output and "register.csv" in res.output


@pytest.mark.parametrize("groups", [("late",), ("early",), ("tree",), ("late", "early", "tree")])
def test_warnings_are_counted_and_listed_row_by_row(tmp_path, groups):
    """The warnings are looked for on (enterprise, product) pairs before the rows are read: each warning row must
    still be counted and listed, whether it lies at the end of a pair's months, at its start, or is the pair's
    only row, alone in its file or with others."""
    c = connect(tmp_path / "w.duckdb")
    register = ("enterprise_id,name,province,vsic,ownership,active_from,active_to\n"
                "E1,A,42,2410,nonstate,2020-03,2020-10\nE2,B,79,1050,state,,\nE3,C,01,2410,fdi,2020-03,\n")
    ingest_file(c, "register", write(tmp_path, "register.csv", register))
    ingest_file(c, "products", write(tmp_path, "products.csv", PRODUCTS))
    months = [f"2020-{m:02d}" for m in range(1, 13)]
    lines = [("E2", m, "FRESH_MILK") for m in months]
    lines += [("E1", m, "ROLLED_STEEL") for m in months[4:]] if "late" in groups else []
    lines += [("E3", m, "ROLLED_STEEL") for m in months[:6]] if "early" in groups else []
    lines += [("E1", "2020-05", "FRESH_MILK")] if "tree" in groups else []
    text = "enterprise_id,period,product_code,produced,sold,closing_stock\n" + \
        "".join(f"{e},{m},{p},1,1,0\n" for e, m, p in lines)
    r = ingest_file(c, "reports", write(tmp_path, "r.csv", text))
    inactive = [i + 2 for i, (e, m, _) in enumerate(lines) if (e == "E1" and not "2020-03" <= m <= "2020-10")
                or (e == "E3" and m < "2020-03")]
    tree = [i + 2 for i, (e, _, p) in enumerate(lines) if e == "E1" and p == "FRESH_MILK"]
    assert sorted((w.row, w.rule) for w in r.warnings) == \
        sorted([(row, "inactive") for row in inactive] + [(row, "industry_tree") for row in tree])
    assert r.warnings_total == len(inactive) + len(tree) == 2 * ("late" in groups) + 2 * ("early" in groups) + \
        ("tree" in groups)
    clean = "enterprise_id,period,product_code,produced,sold,closing_stock\n" + \
        "".join(f"E2,{m},FRESH_MILK,2,2,0\n" for m in months)
    r = ingest_file(c, "reports", write(tmp_path, "clean.csv", clean))
    assert (r.warnings, r.warnings_total, r.inserted) == ([], 0, 12)
    c.close()


def test_codes_are_stored_as_the_rules_read_them(con, tmp_path):
    """A code the rules accept once stripped of tabs and line breaks is stored stripped the same way, so it joins
    the register and the products (it was stored with its tab)."""
    text = ("enterprise_id,period,product_code,produced,sold,closing_stock\n"
            "\"E1\t\",2020-01,\"\tROLLED_STEEL\r\",10,9,1\n")
    ingest_file(con, "reports", write(tmp_path, "tabs.csv", text))
    assert con.execute("SELECT r.enterprise_id, r.product_code, g.province FROM reports r JOIN register g "
                       "USING (enterprise_id) JOIN products USING (product_code)").fetchall() == \
           [("E1", "ROLLED_STEEL", "42")]
