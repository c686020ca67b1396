"""The Products and Releases pages state the right values, checked against figures computed here from the
store's own tables (issue 12: these pages' values were never checked)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from iip.store import connect
from iip.web.app import create_app
from tests.web.defects import defect_store

pytestmark = pytest.mark.slow
PERIOD = "2022-12"


@pytest.fixture(scope="module")
def store(demo_store, tmp_path_factory):
    return defect_store(demo_store, tmp_path_factory.mktemp("values") / "v.duckdb")


@pytest.fixture(scope="module")
def client(store):
    with TestClient(create_app(store, warm=False)) as c:
        yield c


def cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each row's cells in the table ``table_id``."""
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.S)]
            for r in rows]


def own_growth(store) -> pd.DataFrame:
    """Each product's national output yoy (%) in PERIOD, and how many enterprises reported it, from the reports."""
    con = connect(store)
    r = con.execute("SELECT enterprise_id, period, product_code, produced, status FROM reports").df()
    con.close()
    now, before = r[r["period"] == PERIOD], r[r["period"] == "2021-12"]
    g = pd.DataFrame({"now": now.groupby("product_code")["produced"].sum(),
                      "before": before.groupby("product_code")["produced"].sum(),
                      "n": now[now["status"] == "R"].groupby("product_code")["enterprise_id"].nunique()})
    g["pct"] = 100 * g["now"] / g["before"] - 100
    return g


def test_products_page_states_each_products_own_growth(client, store, fixed_disclosure):
    html = client.get(f"/products?period={PERIOD}&lang=en").text
    rows = {r[0]: r for r in cells(html, "products-table")[1:]}
    truth = own_growth(store)
    con = connect(store)
    cls = dict(con.execute("SELECT product_code, vsic FROM products").fetchall())
    con.close()
    checked = 0
    for code, r in rows.items():
        shown = r[5]
        if truth.loc[code, "n"] < 3:
            assert shown == "c", code
        elif shown != "c":
            assert float(shown.replace("+", "").replace(",", "").rstrip("%")) == pytest.approx(truth.loc[code, "pct"], abs=0.051)
            checked += 1
    assert checked > 50
    # the defect: one class's growth repeated for every product -- products of one class now differ
    pub = truth[truth["n"] >= 3].assign(vsic=lambda d: d.index.map(cls))
    multi = pub.groupby("vsic")["pct"].agg(["count", "nunique"])
    assert (multi[multi["count"] > 1]["nunique"] > 1).any()


def test_products_page_lists_the_latest_published_figures(client, store):
    html = client.get(f"/products?period={PERIOD}&lang=en").text
    pub = cells(html.replace('<section class="card"><h2>', '<table id="pub-section">', 1), "pub-section")
    con = connect(store)
    exp = con.execute("""SELECT node, measure, arg_max(value, period || release) AS v, max(period) AS p,
                         count(*) AS n FROM published_figures GROUP BY node, measure""").df()
    con.close()
    assert int(exp["n"].sum()) > 5000
    got = {(r[0], r[3]): (r[2], float(r[4].replace(",", ""))) for r in pub[1:] if len(r) == 6}
    assert len(got) == len(exp)
    for e in exp.itertuples():
        assert got[(e.node, e.measure)] == (e.p, pytest.approx(e.v, abs=0.051))


def test_releases_pages_state_the_stored_values_and_link_the_files(client, store):
    html = client.get("/releases?lang=en").text
    rel = cells(html, "releases-table")
    assert len(rel[0]) == len(rel[1])                      # as many headers as cells
    assert rel[1][:5] == ["1", "2022-12", "compiled", "1", "3"]
    runs = cells(html, "runs-table")
    con = connect(store)
    stored = con.execute("SELECT run_id, period_from, period_to, rows FROM compile_runs ORDER BY run_id").fetchall()
    figures = con.execute("""SELECT node, measure, period, arg_min(value, release) AS first, arg_max(value, release)
                             AS latest FROM published_figures GROUP BY ALL""").df()
    con.close()
    assert len(runs[0]) == len(runs[1]) and len(runs) - 1 == len(stored)
    for r, s in zip(runs[1:], stored):
        assert r[0] == str(s[0]) and int(r[4].replace(",", "").replace(".", "")) == s[3]
    assert np.allclose(figures["latest"] - figures["first"], 1.0)   # every figure revised by +1
    assert "+1.00" in html or "+1,00" in html
    one = client.get("/releases/1?lang=en").text
    links = re.findall(r'href="(/api/releases/1/files/[^"]+)"', one)
    assert len(links) == 3
    for link in links:
        r = client.get(link)
        assert r.status_code == 200 and len(r.content) > 0
    assert "105.1" in client.get("/api/releases/1/files/figures.csv").text
    assert client.get("/api/releases/1/files/..%2F..%2Fv.duckdb").status_code == 404
    assert client.get("/api/releases/1/files/manifest.json").status_code == 404
