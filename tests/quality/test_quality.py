"""Store-level imputation, HB outliers and the labour-usage index, checked against values worked out by hand."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from iip.collection.accounts import Principal
from iip.ingest.microdata import ingest_file
from iip.quality.drivers.impute import impute_store
from iip.quality.labour import labour_index
from iip.collection.review import accept, edit, queue
from iip.errors import OptionError
from iip.quality.drivers.outliers import detect_store
from iip.quality.outliers import hidiroglou_berthelot
from iip.store import connect


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "q.duckdb")
    files = {"register": "enterprise_id,name,province,vsic,ownership\nA,a,01,2410,state\nB,b,01,2410,fdi\n"
                         "C,c,01,2410,nonstate\n",
             "products": "product_code,name_vi,name_en,unit,vsic\nSTEEL,t,s,t,2410\n",
             "reports": "enterprise_id,period,product_code,produced,sold,closing_stock\n"
                        "A,2024-01,STEEL,10,10,0\nA,2024-02,STEEL,12,12,0\nB,2024-01,STEEL,20,20,0\n"
                        "B,2024-02,STEEL,24,24,0\nC,2024-01,STEEL,5,5,0\n"}
    for k, text in files.items():
        (tmp_path / f"{k}.csv").write_text(text)
        ingest_file(c, k, tmp_path / f"{k}.csv")
    yield c
    c.close()


def test_impute_store_writes_fir_and_is_idempotent(con):
    r = impute_store(con, "2024-02", lookback=1, user="t")
    assert (r.imputed, r.written, r.markers) == (1, 1, {"FIR": 1})
    # forward link (12 + 24) / (10 + 20) = 1.2 -> C's February = 5 * 1.2
    row = con.execute("SELECT produced, sold, status, load_id FROM reports WHERE enterprise_id='C' AND "
                      "period='2024-02'").fetchone()
    assert row[:3] == (pytest.approx(6.0), pytest.approx(6.0), "FIR") and row[3] == r.load_id
    det = con.execute("SELECT variable, marker, forward, count_forward FROM imputations WHERE variable='produced'"
                      ).fetchall()
    assert det == [("produced", "FIR", pytest.approx(1.2), 2)]
    again = impute_store(con, "2024-02", lookback=1)
    assert again.written == 0 and con.execute("SELECT count(*) FROM reports_history").fetchone()[0] == 0


def test_a_late_report_replaces_the_imputed_line(con, tmp_path):
    first = impute_store(con, "2024-02", lookback=1)
    (tmp_path / "late.csv").write_text("enterprise_id,period,product_code,produced,sold,closing_stock\n"
                                       "C,2024-02,STEEL,7,7,0\n")
    ingest_file(con, "reports", tmp_path / "late.csv")
    assert impute_store(con, "2024-02", lookback=1).imputed == 0
    assert con.execute("SELECT produced, status FROM reports WHERE enterprise_id='C' AND period='2024-02'"
                       ).fetchone() == (7.0, "R")
    assert con.execute("SELECT status, superseded_by > ? FROM reports_history", [first.load_id]).fetchall() == \
        [("FIR", True)]


def test_hb_flags_the_odd_ratio():
    df = pd.DataFrame({"group": "g", "previous": [100.0] * 8, "current": [100, 101, 99, 102, 98, 100, 101, 300.0]})
    out = hidiroglou_berthelot(df, U=0.5, A=0.05, C=4)
    assert out["outlier"].tolist() == [False] * 7 + [True]
    # r_med = 1.005 (median of the 8 ratios); s = 3 / 1.005 - 1; E = s * 300 ** 0.5
    assert out["effect"].iloc[-1] == pytest.approx((3 / 1.005 - 1) * 300 ** 0.5)


def test_review_accept_and_edit_go_through_the_audit_log(con):
    con.execute("INSERT INTO outlier_flags (flag_id, method, enterprise_id, period, product_code, variable, value, "
                "previous) VALUES (1, 'HB', 'A', '2024-02', 'STEEL', 'produced', 12, 10), "
                "(2, 'HB', 'B', '2024-02', 'STEEL', 'produced', 24, 20)")
    nat = Principal("nat", "national")
    accept(con, nat, 1, comment="fine")
    res = edit(con, nat, 2, {"produced": 22, "sold": 22}, comment="typo confirmed by phone")
    assert queue(con, nat).empty
    assert con.execute("SELECT produced, status, load_id FROM reports WHERE enterprise_id='B' AND period='2024-02'"
                       ).fetchone() == (22.0, "R", res.load_id)
    assert con.execute("SELECT produced FROM reports_history WHERE enterprise_id='B'").fetchall() == [(24.0,)]
    acts = [a for (a,) in con.execute("SELECT action FROM audit_log WHERE username='nat' ORDER BY audit_id"
                                      ).fetchall()]
    assert acts == ["outlier_accept", "review_edit", "outlier_edit"]


def test_labour_index_matched_pairs():
    reg = pd.DataFrame({"enterprise_id": ["A", "B", "C"], "province": ["01", "01", "79"],
                        "vsic": ["2410", "1050", "3510"], "ownership": ["state", "fdi", "fdi"]})
    emp = pd.DataFrame({"enterprise_id": ["A", "B", "C", "A", "B", "A"],
                        "period": ["2024-05", "2024-05", "2024-05", "2024-04", "2024-04", "2023-05"],
                        "employees": [110, 200, 50, 100, 250, 100]})
    out = labour_index(emp, reg, "2024-05").set_index(["dimension", "code"])
    assert out.loc[("total", "TOTAL"), "employees"] == 360
    assert out.loc[("total", "TOTAL"), "mom"] == pytest.approx(round(100 * 310 / 350, 2))  # C not matched
    assert out.loc[("total", "TOTAL"), "yoy"] == pytest.approx(110.0)
    assert out.loc[("ownership", "fdi"), "mom"] == pytest.approx(80.0)
    assert out.loc[("section", "D"), "enterprises_mom"] == 0 and pd.isna(out.loc[("section", "D"), "mom"])
    assert set(out.loc["province"].index) == {"01", "79"}


def test_detect_store_flags_the_odd_unit_once(tmp_path):
    """Eight steel makers; seven change by -1%..+2% on the month, one triples: only that one is flagged, with the
    values of its reports, and a second run flags nothing new."""
    c = connect(tmp_path / "hb.duckdb")
    jan = {"A": 100, "B": 200, "C": 150, "D": 120, "E": 80, "G": 110, "H": 130, "F": 90}
    feb = {"A": 101, "B": 198, "C": 153, "D": 120, "E": 81, "G": 111, "H": 130, "F": 270}
    files = {"register": "enterprise_id,name,province,vsic,ownership\n"
                         + "".join(f"{e},{e},01,2410,state\n" for e in jan),
             "products": "product_code,name_vi,name_en,unit,vsic\nSTEEL,t,s,t,2410\n",
             "reports": "enterprise_id,period,product_code,produced,sold,closing_stock\n"
                        + "".join(f"{e},2024-01,STEEL,{v},{v},0\n" for e, v in jan.items())
                        + "".join(f"{e},2024-02,STEEL,{v},{v},0\n" for e, v in feb.items())}
    for k, text in files.items():
        (tmp_path / f"{k}.csv").write_text(text)
        ingest_file(c, k, tmp_path / f"{k}.csv")
    load = c.execute("SELECT load_id FROM reports WHERE enterprise_id = 'F' AND period = '2024-02'").fetchone()[0]
    new = detect_store(c, "2024-02", variable="produced", user="t")
    assert new["enterprise_id"].tolist() == ["F"]
    row = c.execute("SELECT enterprise_id, period, product_code, variable, value, previous, ratio, stratum, "
                    "report_load_id, method FROM outlier_flags").fetchall()
    assert row == [("F", "2024-02", "STEEL", "produced", 270.0, 90.0, pytest.approx(3.0), "2410|STEEL", load, "HB")]
    # r_med = median of the 8 ratios = (111/110 + 1.01) / 2; E_F = (3 / r_med - 1) * 270 ** 0.5
    effect = c.execute("SELECT effect FROM outlier_flags").fetchone()[0]
    assert effect == pytest.approx((3 / ((111 / 110 + 1.01) / 2) - 1) * 270 ** 0.5)
    assert detect_store(c, "2024-02", variable="produced").empty
    assert c.execute("SELECT count(*) FROM outlier_flags").fetchone()[0] == 1
    audit = c.execute("SELECT detail FROM audit_log WHERE action = 'outliers' ORDER BY audit_id").fetchall()
    assert [json.loads(d)["new"] for (d,) in audit] == [1, 0] and json.loads(audit[0][0])["tested"] == 8
    with pytest.raises(OptionError, match="variable must be one of"):
        detect_store(c, "2024-02", variable="value")
    c.close()
