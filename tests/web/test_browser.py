"""End to end in headless Chromium (Debian's /usr/bin/chromium, driven by Playwright; never `playwright install`):
every page draws its charts with the local plotly.min.js, navigation and the language switch work, the map's
tiles open province pages, /docs is not blank, no console errors and no request leaves the machine.
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
    "/": ["chart-history", "chart-ranking", "chart-contrib", "chart-provinces"],
    "/series?area=VN&area=01&node=TOTAL&kind=raw&kind=sa&kind=trend": ["chart-series"],
    "/provinces": ["chart-map"],
    "/provinces/01": ["chart-history", "chart-ranking"],
    "/products": ["chart-products"],
    "/releases": [],
    "/targets?year=2022&target=6": ["chart-target"],
}


@pytest.fixture(scope="module")
def server(template_store, tmp_path_factory):
    import shutil

    from iip.web.app import create_app

    p = tmp_path_factory.mktemp("browser") / "w.duckdb"
    shutil.copy(template_store, p)
    mp = pytest.MonkeyPatch()
    from iip.web.services import disclosure
    from tests.web.conftest import SUPPRESSED

    mp.setattr(disclosure, "suppression_table", lambda con: SUPPRESSED.copy())
    srv = ServerThread(create_app(p, warm=False)).start()
    yield srv
    srv.stop()
    mp.undo()


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
        host = urlparse(base).netloc
        page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url}"))

        def route(r):
            if urlparse(r.request.url).netloc != host:
                self.problems.append(f"external request: {r.request.url}")
                return r.abort()
            return r.continue_()

        page.route("**/*", route)


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 1300, "height": 900})
    pg = ctx.new_page()
    pg.watch = Watch(pg, server.url)
    yield pg
    ctx.close()


def _wait_charts(page, ids):
    for cid in ids:
        page.wait_for_selector(f"#{cid}[data-rendered='1'] svg.main-svg", timeout=20000)


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
    # click the tile of Ha Noi (01): its marker is a <path class="point"> in the second trace
    idx = page.evaluate("""() => { const gd = document.getElementById('chart-map');
        return gd.data[1].customdata.indexOf('01'); }""")
    point = page.locator("#chart-map .scatterlayer .trace").nth(1).locator("path.point").nth(idx)
    with page.expect_navigation():
        point.click(force=True)
    assert urlparse(page.url).path == "/provinces/01"
    _wait_charts(page, PAGES["/provinces/01"])
    assert "Ha Noi" in page.inner_text("#province-name")
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
