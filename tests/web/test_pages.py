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


SERVER_DRAWN = {"/", "/provinces", "/provinces/01", "/provinces/79"}  # charts in the HTML, no Plotly


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("lang", ["vi", "en"])
def test_pages_render(client, url, lang):
    r = client.get(url, params={"lang": lang})
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    assert f'<html lang="{lang}">' in r.text
    assert "cdn." not in r.text.lower()
    figs = re.findall(r'<script type="application/json" data-chart="[^"]+">(.*?)</script>', r.text, re.DOTALL)
    for fig in figs:
        assert "data" in json.loads(fig)
    if url in SERVER_DRAWN:  # the overview, map and province pages load no script at all
        assert "<script" not in r.text and not figs
        assert re.search(r'<figure class="chart [^"]+" id="chart-history|<figure class="chart tilemap"', r.text)
    elif figs:
        assert "/static/vendor/plotly.min.js" in r.text


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
    assert f"2021-12: Chỉ số {index:.2f}".replace(".", ",") in vi  # the history chart's tooltip
    assert f"2021-12: Index {index:.2f}" in en
    vi_s, en_s = client.get("/series?lang=vi").text, client.get("/series?lang=en").text  # Plotly pages
    assert '"separators": ",."' in vi_s and '"separators": ".,"' in en_s


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


def _tiles(page: str) -> dict[str, dict]:
    """data-area -> {href, row, col, label} of every tile link of the map."""
    out = {}
    for m in re.finditer(r'<a class="tile" href="([^"]+)" data-area="([^"]+)" style="grid-row:(\d+);'
                         r'grid-column:(\d+);[^"]*"[^>]*aria-label="([^"]*)"', page):
        out[m.group(2)] = {"href": m.group(1).replace("&amp;", "&"), "row": int(m.group(3)),
                           "col": int(m.group(4)), "label": m.group(5)}
    return out


def test_province_map_has_every_province_tile(client):
    from iip import reference

    page = client.get("/provinces?lang=en").text
    tiles = _tiles(page)
    prov = reference.provinces()
    assert sorted(tiles) == sorted(prov["code"])
    for p in prov.itertuples():
        t = tiles[p.code]
        assert (t["row"], t["col"]) == (p.tile_row + 1, p.tile_col + 1)
        assert t["href"] == f"/provinces/{p.code}?period=2021-12"
    with duckdb.connect(str(client.app.state.db_path)) as c:
        yoy = dict(c.execute("SELECT area, yoy FROM indices WHERE indicator='production' AND node='TOTAL' "
                             "AND period='2021-12' AND area IN ('01', '79')").fetchall())
    assert tiles["79"]["label"] == f"Ho Chi Minh City: {yoy['79'] - 100:+.1f}%"
    assert tiles["01"]["label"] == f"Ha Noi: {yoy['01'] - 100:+.1f}%"
    assert tiles["02"]["label"] == "Ha Giang: No data"
    assert "No figures for the 34 provinces merged on 1 July 2025 in 2021-12" in page


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
