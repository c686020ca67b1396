"""Server-rendered charts (iip.web.html_charts): geometry, colours, labels and escaping, checked against values
computed here by hand."""

from __future__ import annotations

import re

from iip.web import html_charts as hc


def _bars(markup: str) -> list[tuple[str, float | None, float | None, str]]:
    """(label, left %, width %, value text) of each row."""
    out = []
    for row in re.findall(r"<tr>(.*?)</tr>", str(markup)):
        label = re.search(r'<th scope="row" title="([^"]*)"', row).group(1)
        b = re.search(r'class="b (?:up|down)" style="left:([\d.]+)%;width:([\d.]+)%"', row)
        val = re.search(r'<td class="n [^"]*">(.*?)</td>', row).group(1)
        out.append((label, float(b.group(1)) if b else None, float(b.group(2)) if b else None, val))
    return out


def test_growth_bars_put_zero_and_widths_where_they_belong():
    rows = [
        {"node": "10", "name": "Food", "yoy": 110.0},
        {"node": "24", "name": "Metals", "yoy": 95.0},
        {"node": "05", "name": "Coal", "yoy": None},
        {"node": "35", "name": "Power", "yoy": 101.0, "obs_status": "c"},
    ]
    m = hc.bars(rows, chart_id="c1", title="T", measure="yoy", lang="en")
    # growth +10 and -5: range 15, zero at 5/15 = 33.33 %
    assert 'class="z" style="left:33.33%"' in m
    got = _bars(m)
    assert got[0] == ("10 Food", 33.33, 66.67, "+10.0%")
    assert got[1] == ("24 Metals", 0.0, 33.33, "-5.0%")
    assert got[2] == ("05 Coal", None, None, "–")
    assert got[3][1] is None and ">c</span>" in got[3][3]  # confidential: no bar, no value
    assert 'id="c1" data-rendered="1"' in m and "<figcaption>T</figcaption>" in m


def test_contribution_bars_are_points_in_the_page_language():
    rows = [{"node": "10", "name": "A", "contrib_total_yoy": 1.234}, {"node": "11", "name": "B",
                                                                     "contrib_total_yoy": 0.5}]
    m = hc.bars(rows, chart_id="c", title="T", measure="contrib_total_yoy", points=True, lang="vi",
                href=lambda r: f"/series?node={r['node']}&x=1")
    got = _bars(m)
    assert got[0][1:] == (0.0, 100.0, "+1,23") and got[1][1:] == (0.0, 40.52, "+0,50")
    assert '<a href="/series?node=10&amp;x=1">10 A</a>' in m


def test_labels_are_escaped():
    m = hc.bars([{"node": "<x>", "name": "a & b", "yoy": 101}], chart_id="c", title="<t>", measure="yoy",
                lang="en")
    assert "<x>" not in m and "&lt;x&gt; a &amp; b" in m and "&lt;t&gt;" in m


def test_nice_ticks_cover_the_range_with_round_steps():
    assert hc.nice_ticks(92.3, 117.8) == [90, 100, 110, 120]
    assert hc.nice_ticks(-3.2, 7.1) == [-5, 0, 5, 10]  # raw step 10.3 / 4 = 2.6 -> 5
    assert hc.nice_ticks(0.1, 0.9) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert hc.nice_ticks(5, 5) == [4, 4.5, 5, 5.5, 6]


def test_history_draws_one_point_and_one_bar_per_month():
    rows = [{"period": f"2021-{m:02d}", "index": 100 + m, "yoy": 100 + (m - 6)} for m in range(1, 13)]
    rows[3]["yoy"] = None
    m = str(hc.history(rows, chart_id="h", title="T", lang="en", index_label="Index", yoy_label="yoy"))
    assert len(re.findall(r"<circle cx", m)) == 12 + 1  # + the legend's marker
    assert len(re.findall(r'<rect class="(?:up|down)" x="[\d.]+" y', m)) == 11 + 1  # + the legend's swatch
    assert "<title>2021-12: Index 112.00</title>" in m and "<title>2021-12: yoy +6.0%</title>" in m
    # the line's y grows as the index falls: points are ordered left to right, index rising -> y falling
    pts = [tuple(map(float, p.split(","))) for p in re.search(r'points="([^"]+)"', m).group(1).split()]
    assert [x for x, _ in pts] == sorted(x for x, _ in pts) and [y for _, y in pts] == sorted(
        (y for _, y in pts), reverse=True)


def test_growth_colour_scale():
    assert hc.growth_colour(None, 5) == (hc.GREY, "#333")
    assert hc.growth_colour(0.0, 5)[0] == "#ffffbf"
    assert hc.growth_colour(5.0, 5)[0] == "#1a9850" and hc.growth_colour(50.0, 5)[0] == "#1a9850"
    assert hc.growth_colour(-5.0, 5) == ("#d73027", "#fff")
    assert hc.growth_colour(2.5, 5)[0] == "#%02x%02x%02x" % (140, 204, 136)  # half way from ffffbf to 1a9850 (x.5 rounds to even)


def test_tile_map_places_links_on_the_grid():
    rows = [
        {"area": "N01", "name": "Ha Noi", "tile_row": 2, "tile_col": 3, "yoy": 104.0},
        {"area": "N79", "name": "Ho Chi Minh City", "tile_row": 14, "tile_col": 3, "yoy": None,
         "obs_status": "c"},
        {"area": "N96", "name": "Ca Mau", "tile_row": 16, "tile_col": 1, "yoy": None},
    ]
    m = str(hc.tile_map(rows, chart_id="chart-map", title="T", measure="yoy", lang="en",
                        href=lambda r: f"/provinces/{r['area']}", suppressed="Confidential (c)",
                        no_data="No data", show_names=True))
    assert "grid-template-columns:repeat(4,minmax(0,1fr))" in m
    bg, fg = hc.growth_colour(4.0, 4.0)   # the top of the scale, with the text colour of higher contrast
    rgb = tuple(int(bg[i:i + 2], 16) for i in (1, 3, 5))
    assert hc._contrast(rgb, (17, 17, 17) if fg == "#111" else (255, 255, 255)) >= 4.5
    assert ('<a class="tile" href="/provinces/N01" data-area="N01" style="grid-row:3;grid-column:4;'
            f'background:{bg};color:{fg}" title="Ha Noi: +4.0%"') in m
    assert 'aria-label="Ho Chi Minh City: Confidential (c)"' in m and f"background:{hc.GREY}" in m
    assert 'aria-label="Ca Mau: No data"' in m
    assert "<b>Ha Noi</b><span>+4.0%</span>" in m


def test_no_rows_says_so():
    m = str(hc.bars([], chart_id="c", title="T", measure="yoy", lang="en", empty="No data"))
    assert '<p class="empty">No data</p>' in m and "<table" not in m
