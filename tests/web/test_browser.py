"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; never `playwright install`):
every page draws its charts (server-drawn on the overview, map and province pages, which load no script; the
local plotly.min.js elsewhere), navigation and the language switch work, the map's tiles open province pages (63
and the 34 merged on 1 July 2025), /docs is not blank, no console errors and no request leaves the machine.
Screenshots go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.web.conftest import ServerThread

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason=f"{CHROMIUM} is missing: apt-get install -y chromium to run browser tests",
    ),
]

PAGES = {  # url -> chart ids that must be drawn
    "/": ["chart-history", "chart-ranking", "chart-contrib", "chart-map", "chart-provinces"],
    "/series?area=VN&area=01&node=TOTAL&kind=raw&kind=sa&kind=trend": ["chart-series"],
    "/provinces": ["chart-map"],
    "/provinces/01": ["chart-history", "chart-ranking"],
    "/products": ["chart-products"],
    "/releases": [],
    "/targets?year=2022&target=6": ["chart-target"],
}


SERVER_DRAWN = {"/", "/provinces", "/provinces/01"}  # no script at all: charts are in the HTML
DRAWN = "svg.main-svg, svg.chart-svg, table.bars, div.tiles, p.empty"  # what a drawn chart contains (Plotly or server)


def _serve(src, tmp_path_factory):
    import shutil

    from iip.web.app import create_app
    from iip import disclosure
    from tests.web.conftest import suppressed

    p = tmp_path_factory.mktemp("browser") / src.name
    shutil.copy(src, p)
    mp = pytest.MonkeyPatch()
    mp.setattr(disclosure, "suppression_table", suppressed)
    return ServerThread(create_app(p, warm=False)).start(), mp


def _serving(src, tmp_path_factory):
    """A server on a copy of ``src`` for the module's tests, stopped afterwards."""
    srv, mp = _serve(src, tmp_path_factory)
    yield srv
    srv.stop()
    mp.undo()


@pytest.fixture(scope="module")
def server(template_store, tmp_path_factory):
    yield from _serving(template_store, tmp_path_factory)


@pytest.fixture(scope="module")
def server_2025(store_2025, tmp_path_factory):
    yield from _serving(store_2025, tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


class Watch:
    """Console errors, page errors, failed requests and any request to another host."""

    def __init__(self, page, base: str):
        self.problems: list[str] = []
        self.paths: list[str] = []
        host = urlparse(base).netloc
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))

        def route(r):
            self.paths.append(urlparse(r.request.url).path)
            if urlparse(r.request.url).netloc != host:
                self.problems.append(f"external request: {r.request.url}")
                return r.abort()
            return r.continue_()

        page.route("**/*", route)


def _page(browser, srv):
    ctx = browser.new_context(viewport={"width": 1300, "height": 900})
    pg = ctx.new_page()
    pg.watch = Watch(pg, srv.url)
    return ctx, pg


@pytest.fixture
def page(browser, server):
    ctx, pg = _page(browser, server)
    yield pg
    ctx.close()


@pytest.fixture
def page_2025(browser, server_2025):
    ctx, pg = _page(browser, server_2025)
    yield pg
    ctx.close()


def _wait_charts(page, ids):
    """Each chart is marked drawn, holds its drawing (visible, with a size) and nothing else is a chart."""
    for cid in ids:
        el = page.wait_for_selector(f"#{cid}[data-rendered='1'] :is({DRAWN})", timeout=20000)
        box = el.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 20, (cid, box)
    assert sorted(page.eval_on_selector_all(".chart", "els => els.map(e => e.id)")) == sorted(ids)


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("url", list(PAGES))
def test_page_draws_its_charts(page, server, url, lang):
    sep = "&" if "?" in url else "?"
    resp = page.goto(server.url + url + f"{sep}lang={lang}")
    assert resp.status == 200
    _wait_charts(page, PAGES[url])
    assert page.evaluate("document.documentElement.lang") == lang
    name = (url.strip("/").split("?")[0].replace("/", "_") or "overview") + f"_{lang}"
    _shot(page, name)
    assert page.watch.problems == []
    plotly = "/static/vendor/plotly.min.js" in page.watch.paths
    assert plotly == (url.split("?")[0] not in SERVER_DRAWN and bool(PAGES[url])), page.watch.paths


def test_overview_bars_show_the_figures(page, server):
    """The division ranking drawn in the browser: one bar per division, longest for the largest |growth|,
    green up / red down, and the value printed beside it."""
    page.goto(server.url + "/?lang=en")
    _wait_charts(page, PAGES["/"])
    rows = page.eval_on_selector_all("#chart-ranking tr", """rows => rows.map(r => {
        const b = r.querySelector('.b'); const cs = b && getComputedStyle(b);
        return [r.querySelector('th').textContent, r.querySelector('td.n').textContent,
                b ? b.getBoundingClientRect().width : null, cs ? cs.backgroundColor : null]; })""")
    assert rows
    vals = [float(v.rstrip("%")) for _, v, _, _ in rows]
    assert vals == sorted(vals, reverse=True)
    widest = max(rows, key=lambda r: r[2])
    assert abs(float(widest[1].rstrip("%"))) == max(abs(v) for v in vals)
    for _, v, w, colour in rows:
        assert colour == ("rgb(26, 152, 80)" if float(v.rstrip("%")) >= 0 else "rgb(215, 48, 39)")
        assert w > 0 or float(v.rstrip("%")) == 0
    assert page.locator("#chart-history circle").count() >= 25  # 25 months + the legend's marker


def test_navigation_and_language_switch(page, server):
    page.goto(server.url + "/?lang=vi")
    _wait_charts(page, PAGES["/"])
    for href in ["/series", "/provinces", "/products", "/releases", "/targets", "/"]:
        page.click(f"header nav a[href='{href}']")
        page.wait_for_load_state("load")
        assert urlparse(page.url).path == href
        assert page.evaluate("document.documentElement.lang") == "vi"
    page.click("#lang-switch")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click("header nav a[href='/products']")  # the cookie keeps English without ?lang
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.watch.problems == []


def test_map_tile_opens_the_province(page, server):
    page.goto(server.url + "/provinces?lang=en")
    _wait_charts(page, ["chart-map"])
    assert page.locator("#chart-map a.tile").count() == 63
    with page.expect_navigation():
        page.click("#chart-map a.tile[data-area='01']")
    assert urlparse(page.url).path == "/provinces/01"
    _wait_charts(page, PAGES["/provinces/01"])
    assert "Ha Noi" in page.inner_text("#province-name")
    assert page.watch.problems == []


def test_map_of_the_34_merged_provinces(page_2025, server_2025):
    page = page_2025
    page.goto(server_2025.url + "/provinces?lang=en")  # data to 2025-08: the 34 by default
    _wait_charts(page, ["chart-map"])
    assert page.locator("#chart-map a.tile").count() == 34
    assert page.is_checked("#units-switch input[value='34']")
    _shot(page, "provinces_34_en")
    with page.expect_navigation():
        page.click("#chart-map a.tile[data-area='N79']")
    assert urlparse(page.url).path == "/provinces/N79"
    _wait_charts(page, PAGES["/provinces/01"])
    assert "Ho Chi Minh City" in page.inner_text("#province-name")
    assert "74 Binh Duong" in page.inner_text("#formed-from")
    _shot(page, "provinces_N79_en")
    page.goto(server_2025.url + "/provinces?lang=vi")
    with page.expect_navigation():
        page.check("#units-switch input[value='63']")  # the switch reloads the map with the 63 provinces
    assert "units=63" in page.url and page.locator("#chart-map a.tile").count() == 63
    _shot(page, "provinces_63_2025_vi")
    assert page.watch.problems == []


def test_series_download_link(page, server):
    page.goto(server.url + "/series?area=VN&node=TOTAL&measure=yoy&lang=en")
    _wait_charts(page, ["chart-series"])
    with page.expect_download() as dl:
        page.click("#dl-csv")
    text = Path(dl.value.path()).read_text()
    assert text.startswith("indicator,area,node,kind,measure,period,value,obs_status")
    assert page.watch.problems == []


def test_swagger_docs_render_offline(page, server):
    page.goto(server.url + "/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20000)
    page.locator(".opblock-summary-path", has_text="/api/series").first.wait_for(timeout=20000)
    assert "/api/targets" in page.inner_text(".swagger-ui")
    _shot(page, "docs")
    assert page.watch.problems == []
