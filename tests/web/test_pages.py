"""Dashboard pages rendered server-side: every page answers, both languages, number formats, the cookie."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

PAGES = [
    "/",
    "/series",
    "/series?area=01&area=22&node=TOTAL&kind=raw&measure=yoy",
    "/series?kind=sa&kind=trend",
    "/provinces",
    "/provinces/01",
    "/provinces/79",
    "/products",
    "/releases",
    "/targets",
    "/targets?target=6&year=2022",
]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_pages_render(client, url, lang):
    r = client.get(url, params={"lang": lang})
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in r.text
    assert "/static/vendor/plotly.min.js" in r.text and "cdn." not in r.text.lower()
    for fig in re.findall(
        r'<script type="application/json" data-chart="[^"]+">(.*?)</script>', r.text, re.DOTALL
    ):
        assert "data" in json.loads(fig)


def _total(store):
    with duckdb.connect(str(store)) as c:
        return c.execute(
            "SELECT \"index\", yoy FROM indices WHERE indicator='production' AND area='VN' AND "
            "node='TOTAL' AND period='2021-12'"
        ).fetchone()


def test_number_format_follows_the_language(client, store):
    index, yoy = _total(store)
    vi = client.get("/?lang=vi").text
    en = client.get("/?lang=en").text
    assert f"{index:.2f}".replace(".", ",") in vi and f"{index:.2f}" in en
    assert f"{yoy - 100:+.1f}".replace(".", ",") + "%" in vi and f"{yoy - 100:+.1f}%" in en
    assert "Tổng quan" in vi and "Overview" in en and "Overview" not in vi
    assert '"separators": ",."' in vi and '"separators": ".,"' in en


def test_language_is_remembered_in_a_cookie(client):
    r = client.get("/products?lang=en")
    assert "lang=en" in r.headers.get("set-cookie", "")
    r2 = client.get("/products")  # no ?lang: the cookie decides
    assert '<html lang="en">' in r2.text
    client.cookies.clear()
    assert '<html lang="vi">' in client.get("/products").text


def test_confidential_province_figures_show_c(client):
    page = client.get("/provinces/79?lang=en").text
    row = re.search(r"<tr class=\"section\"><td>C</td>.*?</tr>", page, re.DOTALL).group(0)
    assert 'class="conf"' in row
    assert re.search(r"<tr class=\"total\"><td>TOTAL</td>.*?</tr>", page, re.DOTALL)


def test_province_map_has_every_province_tile(client):
    from iip import reference

    page = client.get("/provinces").text
    fig = json.loads(re.search(r'data-chart="chart-map">(.*?)</script>', page, re.DOTALL).group(1))
    codes = fig["data"][1]["customdata"]
    assert sorted(codes) == sorted(reference.provinces()["code"])


def test_overview_counts_provinces_up_and_down(client, store):
    with duckdb.connect(str(store)) as c:
        rows = c.execute(
            "SELECT area, yoy FROM indices WHERE indicator='production' AND node='TOTAL' AND "
            "period='2021-12' AND regexp_matches(area, '^[0-9]{2}$')"
        ).fetchall()
    up = sum(v > 100 for _, v in rows)
    down = sum(v < 100 for _, v in rows)
    page = client.get("/?lang=en").text
    assert f'▲ {up}</span> / <span class="down">▼ {down}' in page
