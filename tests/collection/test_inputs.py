"""The same input rules on the web path: the JSON submission API and uploads use the submission layout and the one
file reader (iip.ingest.files), so what the CLI refuses the API refuses too, with a 422 naming the field."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from iip.reference.periods import current_month, month_add
from tests.collection.conftest import auth

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from workbooks import workbook, xls, zip_bomb  # noqa: E402

LINE = {"product_code": "STEEL", "produced": 112.68, "sold": 112.68, "closing_stock": 10}
HEADER = ["enterprise_id", "period", "product_code", "produced", "sold", "closing_stock"]


def submit(client, token, body):
    return client.post("/api/collect/reports", content=json.dumps(body), headers=auth(token))


def stored(client, period):
    return client.app.state.db.execute("SELECT count(*) FROM reports WHERE period = ?", [period]).fetchone()[0]


@pytest.mark.parametrize("value,rule", [
    ("nan", "finite"), ("inf", "finite"), (1e308, "ceiling"), ("1e400", "finite"), ("1" * 400, "finite"),
    (-5, "non_negative"),
])
def test_implausible_numbers_are_refused_by_the_api(client, tokens, value, rule):
    r = submit(client, tokens["ent_a"], {"period": "2024-01", "products": [{**LINE, "produced": value}]})
    body = r.json()
    assert r.status_code == 422 and body["ok"] is False
    assert [(p["field"], p["rule"]) for p in body["problems"]] == [("products[0].produced", rule)]
    assert stored(client, "2024-01") == 0


def test_json_infinity_and_huge_integers_are_refused(client, tokens):
    # Python's json reads 1e400 as inf and keeps 400-digit integers: the rules still refuse them
    raw = ('{"period": "2024-01", "employees": %s, "products": [{"product_code": "STEEL", "produced": 1e400}]}'
           % ("9" * 400))
    r = client.post("/api/collect/reports", content=raw, headers=auth(tokens["ent_a"]))
    rules = {(p["field"], p["rule"]) for p in r.json()["problems"]}
    assert r.status_code == 422 and {("products[0].produced", "finite"), ("products[0].employees", "finite")} <= rules


@pytest.mark.parametrize("period,rule", [(month_add(current_month(), 1), "future"), ("2031-01", "future"),
                                         ("1989-12", "period_range"), ("2024/01", "period")])
def test_months_follow_the_same_rule(client, tokens, period, rule):
    r = submit(client, tokens["ent_a"], {"period": period, "products": [LINE]})
    assert r.status_code == 422 and [p["rule"] for p in r.json()["problems"]] == [rule]


def upload(client, token, name: str, data: bytes):
    return client.post("/api/collect/reports/upload", files={"file": (name, data)}, headers=auth(token))


def test_upload_with_semicolons_and_decimal_commas(client, tokens):
    text = ";".join(HEADER) + "\nE1;2024-01;STEEL;112,68;112,68;10\n"
    r = upload(client, tokens["ent_a"], "jan.csv", text.encode())
    assert r.status_code == 200, r.text
    assert client.app.state.db.execute("SELECT produced FROM reports WHERE enterprise_id = 'E1' AND "
                                       "period = '2024-01'").fetchall() == [(112.68,)]


def test_upload_of_a_workbook_named_csv_and_of_the_second_sheet(client, tokens):
    book = workbook({"Hướng dẫn": [["Điền số liệu ở trang sau"]],
                     "Số liệu": [HEADER, ["E1", "2024-01", "STEEL", 112.68, 112.68, 10]]})
    r = upload(client, tokens["ent_a"], "jan.csv", book)
    assert r.status_code == 200, r.text
    assert stored(client, "2024-01") == 1
    old = xls([HEADER, ["E1", "2024-02", "STEEL", 113.8, 113.8, 10]])
    r = upload(client, tokens["ent_a"], "feb.xls", old)
    assert r.status_code == 200, r.text and stored(client, "2024-02") == 1


@pytest.mark.parametrize("name,data,text", [
    ("h.xlsx", workbook({"Sheet1": [HEADER]}), "no data rows"),
    ("h.csv", (",".join(HEADER) + "\n").encode(), "no data rows"),
    ("d.csv", b"period,product_code,produced,produced\n2024-01,STEEL,1,2\n", "column names must be unique"),
    ("n.xlsx", workbook({"Sheet1": [["a", "b"], [1, 2]]}), "no sheet has the expected header"),
    ("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00garbage\xff", "UTF-8"),
])
def test_uploads_that_store_nothing_are_errors_not_ok(client, tokens, name, data, text):
    r = upload(client, tokens["ent_a"], name, data)
    body = r.json()
    assert r.status_code == 422 and body["ok"] is False and text in json.dumps(body, ensure_ascii=False), body
    assert client.app.state.db.execute("SELECT count(*) FROM submissions").fetchone()[0] == 0


def test_an_upload_zip_bomb_stops_at_the_row_limit_in_seconds(client, tokens):
    bomb = zip_bomb(1_000_000)
    assert len(bomb) < 5_000_000
    t = time.perf_counter()
    r = upload(client, tokens["ent_a"], "bomb.xlsx", bomb)
    assert r.status_code == 422 and "the workbook unpacks to" in r.text     # refused from its zip directory
    small = zip_bomb(12_000)                                                  # within 16 MB unpacked: rows counted
    r = upload(client, tokens["ent_a"], "rows.xlsx", small)
    assert r.status_code == 422 and "at most 2,000 rows" in r.text
    assert time.perf_counter() - t < 30


def test_upload_totals_are_counted(client, tokens):
    rows = "".join(f"E1,{month_add('2010-01', k)},STEEL,-1,1,1\n" for k in range(150))
    r = upload(client, tokens["prov_01"], "m.csv", (",".join(HEADER) + "\n" + rows).encode())
    body = r.json()
    assert r.status_code == 422 and "150 problem" in body["error"]
