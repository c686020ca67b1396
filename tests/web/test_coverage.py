"""Coverage and provisional months on the web: /api/series carries each month's coverage, /api/meta names the
provisional months and the latest final one, and the dashboard's default month is the latest final one, with a
note of its coverage. The store is the hand-worked one of tests/compile/test_nonresponse.py."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from iip.compile import compile_store
from iip.store import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "compile"))
from test_nonresponse import build  # noqa: E402


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from iip.web.app import create_app

    path = tmp_path_factory.mktemp("webcov") / "c.duckdb"
    build(path)
    con = connect(path)
    compile_store(con)
    con.close()
    with TestClient(create_app(path), raise_server_exceptions=False) as c:
        yield c


def test_series_carry_their_coverage(client):
    r = client.get("/api/series", params={"area": "01", "node": "TOTAL", "from": "2021-02", "to": "2021-07"})
    s = r.json()["series"][0]
    assert r.status_code == 200 and s["periods"] == ["2021-02", "2021-03", "2021-04", "2021-05", "2021-06", "2021-07"]
    assert s["coverage_reported"] == [1.0, 0.85, 0.8, 1.0, 1.0, 0.55]
    assert s["coverage_imputed"] == [0.0, 0.15, 0.0, 0.0, 0.0, 0.25]


def test_meta_names_the_provisional_months(client):
    m = client.get("/api/meta").json()
    assert m["latest_period"] == "2021-07" and m["latest_final_period"] == "2021-06"
    assert m["provisional_periods"] == ["2021-07"]


def test_the_dashboard_opens_on_the_latest_final_month(client):
    page = client.get("/", params={"lang": "en"}).text
    assert "2021-06" in page and "100% of the base-year weight reported, 0% imputed" in page
    late = client.get("/", params={"lang": "en", "period": "2021-07"}).text
    assert "Provisional" in late and "55% of the base-year weight reported, 25% imputed" in late
