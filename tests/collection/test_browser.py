"""The collection pages in headless Chromium (Debian's /usr/bin/chromium via Playwright; never `playwright install`):
an enterprise logs in and reports in Vietnamese with a decimal comma, sees a rejected line named by its product;
a provincial statistician reviews a flag with its chart; an admin lands on the accounts page and creates an
account. No console error (a Content-Security-Policy violation would be one), no request leaves the machine.
Screenshots go to tests/artifacts/ (git-ignored)."""
from __future__ import annotations

import shutil
from urllib.parse import urlparse

import pytest

from tests.collection.conftest import PASSWORD
from tests.web.conftest import ServerThread
from tests.web.test_browser import CHROMIUM, Watch, _shot, browser  # noqa: F401 - the browser fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"{CHROMIUM} is missing: apt-get install -y chromium "
                                                          "to run browser tests"),
]


@pytest.fixture(scope="module")
def server(_template, tmp_path_factory):
    from tests.collection.conftest import make_app

    path = tmp_path_factory.mktemp("collect_browser") / "b.duckdb"
    shutil.copy(_template, path)
    app = make_app(path)
    app.state.db.execute("INSERT INTO outlier_flags (flag_id, method, enterprise_id, period, product_code, variable, "
                         "value, previous, ratio, effect, lower, upper) VALUES (1, 'HB', 'E1', '2023-12', 'STEEL', "
                         "'produced', 58800.123, 110.46, 532.3, 2489.5, -3.2, 12.3)")
    srv = ServerThread(app).start()
    yield srv
    srv.stop()


@pytest.fixture
def page(browser, server):  # noqa: F811 - browser: the fixture of tests/web/test_browser.py
    ctx = browser.new_context(viewport={"width": 1300, "height": 900})
    pg = ctx.new_page()
    pg.watch = Watch(pg, server.url)
    yield pg
    ctx.close()


def _submit(page, selector: str) -> None:
    """Click a submit button and wait until the next page and everything it loads (its icon too) are in: a
    navigation started while the icon is still loading would abort that request."""
    with page.expect_navigation():
        page.click(selector)
    page.wait_for_load_state("networkidle")


def _login(page, server, user: str, lang: str) -> None:
    page.goto(f"{server.url}/collect/login?lang={lang}")
    page.wait_for_load_state("networkidle")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    _submit(page, "#login-form button[type=submit]")


def test_an_enterprise_reports_in_vietnamese(page, server):
    page.goto(server.url + "/collect/login?lang=vi")
    page.wait_for_load_state("networkidle")
    _submit(page, "header nav a[href='/collect/']")                   # the dashboard's navigation link
    assert urlparse(page.url).path == "/collect/login"
    _login(page, server, "ent_a", "vi")
    assert urlparse(page.url).path == "/collect/"
    chosen = page.eval_on_selector("select[name=product_0]", "s => s.options[s.selectedIndex].text")
    assert chosen == "Thép cán (nghìn tấn)"
    page.fill("input[name=period]", "2024-01")
    page.fill("input[name=employees]", "120")
    page.fill("input[name=produced_0]", "112,68")
    page.fill("input[name=sold_0]", "-1")
    page.fill("input[name=closing_stock_0]", "10")
    _submit(page, "#report-form button[type=submit]")
    alert = page.inner_text("#problems")
    assert "Thép cán (nghìn tấn) · Tiêu thụ: không được âm" in alert and "products[" not in alert
    _shot(page, "collect_rejected_vi")
    page.fill("input[name=sold_0]", "112,68")
    _submit(page, "#report-form button[type=submit]")
    assert "Đã nhận báo cáo" in page.inner_text("#result")
    assert "2024-01" in page.inner_text("#submissions")
    _shot(page, "collect_form_vi")
    expected = "console: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    assert [p for p in page.watch.problems if p != expected] == []     # the rejected form answers 422


def test_a_statistician_reviews_a_flag(page, server):
    _login(page, server, "prov_01", "en")
    _submit(page, ".subnav a[href='/collect/review']")
    card = page.inner_text("#flag-1")
    assert "Thép A" in card and "Rolled steel (nghìn tấn)" in card and "58,800" in card and "e+04" not in card
    assert "Produced rose 53,130.0% on the previous month" in card
    box = page.locator("#spark-1 svg").bounding_box()
    assert box and box["width"] > 150 and box["height"] > 30
    _shot(page, "collect_review_en")
    page.fill("#flag-1 input[name=comment]", "confirmed by phone")
    _submit(page, "#flag-1 button[value=accept]")
    assert page.locator("#flag-1").count() == 0 and page.locator("#no-flags").count() == 1
    assert page.watch.problems == []


def test_an_admin_manages_accounts(page, server):
    _login(page, server, "admin", "en")
    assert urlparse(page.url).path == "/collect/users"                # no 403 page: the admin's own page
    assert page.locator("#users-table tr").count() >= 7
    page.fill("#add-user input[name=username]", "obs79")
    page.fill("#add-user input[name=password]", "longenough1")
    page.select_option("#add-user select[name=role]", "provincial")
    page.select_option("#add-user select[name=province]", "79")
    _submit(page, "#add-user button[type=submit]")
    assert "awaits a national statistician's approval" in page.inner_text("#users-done")
    assert "awaits" in page.inner_text("#user-obs79")
    _shot(page, "collect_accounts_en")
    assert page.watch.problems == []
