"""The dashboard defects of issue 15, each seen in headless Chromium on the demo store (with > 5,000 published
product figures and a release package), with a screenshot in tests/artifacts/."""
from __future__ import annotations

import re

import pytest

from tests.web.defects import defect_store
from tests.web.test_browser import ARTIFACTS, _page, _serving, browser  # noqa: F401  (fixture)
from tests.web.test_browser import pytestmark as browser_marks

pytestmark = [*browser_marks, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(demo_store, tmp_path_factory):
    src = defect_store(demo_store, tmp_path_factory.mktemp("defects") / "d.duckdb")
    yield from _serving(src, tmp_path_factory)


@pytest.fixture
def page(browser, server):  # noqa: F811
    ctx, pg = _page(browser, server)
    yield pg
    ctx.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"defect_{name}.png"), full_page=True)


def test_products_page_answers_with_many_published_figures(page, server):
    r = page.goto(f"{server.url}/products?lang=en")
    assert r.status == 200
    assert page.locator("#products-table tbody tr").count() > 100
    assert "narrow the query" not in page.content()
    shot(page, "products_published")
    assert not page.watch.problems


def test_products_differ_within_a_class(page, server):
    page.goto(f"{server.url}/products?lang=en")
    rows = page.locator("#products-table tbody tr")
    by_class: dict[str, set[str]] = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        if cells[5] != "c":
            by_class.setdefault(cells[3], set()).add(cells[5])
    assert any(len(v) > 1 for v in by_class.values())   # not one class's growth repeated
    shot(page, "products_own_growth")


def test_series_default_view_with_empty_range(page, server):
    page.goto(f"{server.url}/series?lang=en")
    page.fill("input[name=from]", "")
    page.fill("input[name=to]", "")
    with page.expect_navigation():
        page.click("#series-form button[type=submit]")
    assert "from=&to=" in page.url
    assert page.locator("#chart-series svg.main-svg").count() > 0
    assert "422" not in page.title()
    shot(page, "series_empty_range")
    assert not page.watch.problems


def test_series_says_when_no_adjustment_is_stored(page, server):
    page.goto(f"{server.url}/series?lang=en&kind=raw&kind=sa")
    note = page.locator("#no-adjustment")
    assert note.count() == 1 and "No seasonal adjustment is stored" in note.inner_text()
    assert "VN/TOTAL" in note.inner_text()
    shot(page, "series_no_adjustment")


def test_chart_labels_are_not_cut_mid_word(page, server):
    page.goto(f"{server.url}/?lang=en")
    labels = page.locator("#chart-ranking table.bars th").all_inner_texts()
    assert labels
    for lab in labels:   # the label is the whole name, wrapped, never an ellipsis in the middle of a word
        assert not lab.endswith("…") and "…" not in lab
    clipped = page.evaluate("""() => [...document.querySelectorAll('#chart-ranking table.bars th')]
                               .filter(e => e.scrollWidth > e.clientWidth + 1).length""")
    assert clipped == 0
    page.goto(f"{server.url}/series?lang=en&node=1075&node=2818")
    names = page.evaluate("() => [...document.querySelectorAll('#chart-series .legendtext')].map(e => e.textContent)")
    assert names and all(re.search(r"\w…", n) is None for n in names)
    shot(page, "labels_whole_words")


def test_map_tiles_are_readable_and_have_a_legend(page, server):
    page.goto(f"{server.url}/provinces?lang=en")
    contrast = page.evaluate("""() => {
        const lum = c => { const m = c.match(/\\d+/g).map(Number).map(v => v / 255)
            .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
            return 0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]; };
        return [...document.querySelectorAll('#chart-map a.tile')].map(t => {
            const s = getComputedStyle(t), a = lum(s.color), b = lum(s.backgroundColor);
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); }); }""")
    assert len(contrast) == 63 and min(contrast) >= 4.5      # WCAG AA for every tile
    legend = page.locator("#chart-map .legend")
    assert legend.count() == 1 and legend.locator(".ramp").count() == 1
    shot(page, "map_legend")


def test_release_page_links_its_files_and_tables_align(page, server):
    page.goto(f"{server.url}/releases?lang=en")
    heads = page.locator("#releases-table thead th").count()
    cells = page.locator("#releases-table tbody tr").first.locator("td").count()
    assert heads == cells
    for tid in ("#releases-table", "#runs-table"):   # each header sits over its column
        off = page.evaluate(f"""() => {{ const t = document.querySelector('{tid}');
            const h = [...t.querySelectorAll('thead th')].map(e => e.getBoundingClientRect().left);
            const c = [...t.querySelector('tbody tr').querySelectorAll('td')].map(e => e.getBoundingClientRect().left);
            return Math.max(...h.map((x, i) => Math.abs(x - c[i]))); }}""")
        assert off < 1
    shot(page, "releases_aligned")
    page.click("#releases-table a[href='/releases/1']")
    links = page.locator("#files a")
    assert links.count() == 3
    with page.expect_download() as dl:
        page.click("#files a:text('figures.csv')")
    assert dl.value.suggested_filename == "figures.csv"
    shot(page, "release_files")
