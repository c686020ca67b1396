"""The 34 provinces merged on 1 July 2025 (areas ``N<code>``) in the API and on the provinces pages, on a store
whose data reach 2025-08 (``store_2025``: enterprises in 01, 22, 79 and 74; 74 joined 79 on 1 July 2025)."""

from __future__ import annotations

import re

import duckdb
import pytest

from iip import reference
from tests.web.test_pages import _tiles


def _q(store, sql, params=()):
    with duckdb.connect(str(store)) as c:  # same configuration as the app's connection
        return c.execute(sql, list(params)).fetchall()


def _yoy(client, period, pattern):
    rows = _q(client.app.state.db_path, "SELECT area, yoy FROM indices WHERE indicator = 'production' AND "
              "node = 'TOTAL' AND period = ? AND regexp_matches(area, ?)", [period, pattern])
    return dict(rows)


def test_meta_lists_the_merged_provinces_with_names(client_2025):
    m = client_2025.get("/api/meta").json()
    merged = {a["code"]: a for a in m["areas"] if a["level"] == "province_2025"}
    p25 = reference.provinces_2025()
    assert sorted(merged) == sorted("N" + p25["code"])
    hcm = merged["N79"]
    assert (hcm["name_vi"], hcm["name_en"], hcm["parent"]) == ("Thành phố Hồ Chí Minh", "Ho Chi Minh City", "SE")
    assert (hcm["tile_row"], hcm["tile_col"]) == (14, 3)
    assert {"N01", "N22", "N79"} <= set(m["areas_present"])
    assert m["latest_period"] == "2025-08"


def test_map_shows_the_34_provinces_from_july_2025(client_2025):
    page = client_2025.get("/provinces?lang=en").text  # latest month 2025-08: the 34 by default
    tiles = _tiles(page)
    assert sorted(tiles) == sorted("N" + reference.provinces_2025()["code"])
    yoy = _yoy(client_2025, "2025-08", "^N[0-9]{2}$")
    assert set(yoy) == {"N01", "N22", "N79"}
    for code, v in yoy.items():
        assert tiles[code]["label"].endswith(f": {v - 100:+.1f}%")
        assert tiles[code]["href"] == f"/provinces/{code}?period=2025-08"
    assert tiles["N79"]["label"].startswith("Ho Chi Minh City:") and tiles["N96"]["label"] == "Ca Mau: No data"
    assert re.search(r'value="34"[^>]*checked', page) and 'id="units-note"' not in page
    table = re.findall(r'<a href="/provinces/(N\d\d)\?period=2025-08">([^<]+)</a>', page)
    assert ("N79", "Ho Chi Minh City") in table and len(table) == 34
    vi = client_2025.get("/provinces?lang=vi").text
    assert "<b>Thành phố Hồ Chí Minh</b>" in vi


def test_switch_back_to_63_and_before_the_merger(client_2025):
    tiles = _tiles(client_2025.get("/provinces?units=63&lang=en").text)
    assert sorted(tiles) == sorted(reference.provinces()["code"])
    assert tiles["74"]["label"].endswith(f"{_yoy(client_2025, '2025-08', '^74$')['74'] - 100:+.1f}%")
    early = client_2025.get("/provinces?period=2024-05&lang=en").text  # before July 2025: the 63 by default
    assert sorted(_tiles(early)) == sorted(reference.provinces()["code"])
    n_early = _yoy(client_2025, "2024-05", "^N[0-9]{2}$")
    asked = _tiles(client_2025.get("/provinces?period=2024-05&units=34&lang=en").text)
    if n_early:  # the compile wrote the merged provinces for earlier months too: the switch shows them
        assert sorted(asked) == sorted("N" + reference.provinces_2025()["code"])
    else:
        assert sorted(asked) == sorted(reference.provinces()["code"])


def test_merged_province_page(client_2025):
    r = client_2025.get("/provinces/N79?lang=en")
    assert r.status_code == 200
    assert "N79 Ho Chi Minh City — 2025-08" in r.text
    (index, yoy), = _q(client_2025.app.state.db_path, "SELECT \"index\", yoy FROM indices WHERE indicator = "
                       "'production' AND node = 'TOTAL' AND area = 'N79' AND period = '2025-08'")
    head = re.search(r'<section class="kpis" id="headline">(.*?)</section>', r.text, re.DOTALL).group(1)
    assert f"{index:.2f}" in head and f"{yoy - 100:+.1f}%" in head
    formed = re.search(r'<p class="hint" id="formed-from">(.*?)</p>', r.text, re.DOTALL).group(1)
    former = set(re.findall(r'href="/provinces/(\d\d)\?period=2025-08"', formed))
    p = reference.provinces()
    assert former == set(p.loc[p["code_2025"] == "79", "code"]) and {"74", "79"} <= former
    assert "<script" not in r.text  # server-drawn charts
    old = client_2025.get("/provinces/74?lang=en").text
    assert re.search(r'id="merged-into">From 1 July 2025 part of: <a href="/provinces/N79\?period=2025-08">'
                     r"Ho Chi Minh City</a>", old)


def test_overview_counts_the_34_from_july_2025(client_2025):
    yoy = _yoy(client_2025, "2025-08", "^N[0-9]{2}$")
    up, down = sum(v > 100 for v in yoy.values()), sum(v < 100 for v in yoy.values())
    page = client_2025.get("/?lang=en").text
    assert f'▲ {up}</span> / <span class="down">▼ {down}' in page
    assert sorted(_tiles(page)) == sorted("N" + reference.provinces_2025()["code"])
    assert "34 provinces (from 1 July 2025)" in page


def test_note_when_the_store_ends_before_july_2025(client):
    page = client.get("/provinces?units=34&lang=en").text
    assert sorted(_tiles(page)) == sorted(reference.provinces()["code"])
    note = re.search(r'<p class="note" id="units-note" role="status">(.*?)</p>', page).group(1)
    assert note == ("No figures for the 34 provinces merged on 1 July 2025 in 2021-12: they are compiled once the "
                    "data reach 2025-07 (the store ends 2021-12). The map shows the 63 provinces.")
    assert re.search(r'value="34"[^>]*disabled', page) and re.search(r'value="63"[^>]*checked', page)


@pytest.mark.parametrize("url,status", [("/provinces?units=99", 422), ("/provinces/N99", 404),
                                        ("/provinces/N7", 404)])
def test_bad_units_and_codes(client_2025, url, status):
    r = client_2025.get(url, headers={"accept": "application/json"})
    assert r.status_code == status
