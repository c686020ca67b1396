"""The collection pages as people use them: products picked by name with units, numbers in the page's language
(Vietnamese decimal comma), problems named by product and field, the review queue with names, formatted
numbers, a reason and a small history chart, and the navigation link from the dashboard."""
from __future__ import annotations

import re

import pytest

from iip.web.services.collect_pages import parse_number, quantity
from tests.collection.conftest import csrf, page_login


def q(client, sql, *args):
    return client.app.state.db.execute(sql, list(args)).fetchall()


@pytest.mark.parametrize("text,lang,expected", [
    ("1,4", "vi", "1.4"), ("1.234,5", "vi", "1234.5"), ("1400", "vi", "1400.0"), ("1.4", "vi", None),
    ("1.4", "en", "1.4"), ("1,234.5", "en", "1234.5"), ("1,4", "en", None), ("", "vi", ""), (" 12 ", "en", "12.0"),
    ("abc", "vi", None), ("-2,5", "vi", "-2.5"),
])
def test_numbers_are_read_in_the_page_language(text, lang, expected):
    assert parse_number(text, lang) == expected


def test_quantities_are_formatted_not_scientific():
    assert quantity(58800.123, "vi") == "58.800" and quantity(58800.123, "en") == "58,800"
    assert quantity(12.5, "vi") == "12,50" and quantity(None, "en") == "–"


def _vi(client, user="ent_a"):
    page_login(client, user)
    page = client.get("/collect/?lang=vi")
    return page, re.search(r'name="csrf" value="([0-9a-f]{64})"', page.text).group(1)


def test_the_form_offers_the_enterprise_its_products_by_name(client):
    page, _ = _vi(client)
    assert page.status_code == 200 and 'lang="vi"' in page.text
    # E1 reports STEEL: pre-selected by its name and unit; no code to type
    assert re.search(r'<option value="STEEL" selected>Thép cán \(nghìn tấn\)</option>', page.text)
    assert "MILK" not in page.text                           # not this enterprise's industry
    assert 'name="product_code_0"' not in page.text and "Sản xuất" in page.text and "Tiêu thụ" in page.text


def test_a_vietnamese_decimal_comma_is_accepted(client):
    _, token = _vi(client)
    form = {"period": "2024-01", "employees": "1.200", "product_0": "STEEL", "produced_0": "112,68",
            "sold_0": "112,68", "closing_stock_0": "10", "value_0": "1.234,5", "csrf": token}
    r = client.post("/collect/submit", data=form)
    assert r.status_code == 200 and 'id="result"' in r.text and "đã ghi" in r.text
    assert q(client, "SELECT produced, sold FROM reports WHERE enterprise_id = 'E1' AND period = '2024-01'") == \
        [(112.68, 112.68)]
    assert q(client, "SELECT employees FROM employment WHERE period = '2024-01'") == [(1200.0,)]
    assert q(client, "SELECT value FROM submission_lines") == [(1234.5,)]


def test_errors_name_the_product_and_the_field(client):
    _, token = _vi(client)
    form = {"period": "2024-01", "product_0": "STEEL", "produced_0": "1.4", "sold_0": "-1", "closing_stock_0": "10",
            "csrf": token}
    r = client.post("/collect/submit", data=form)
    assert r.status_code == 422
    assert "Thép cán (nghìn tấn) · Sản xuất" in r.text and "số thập phân dùng dấu phẩy" in r.text
    assert "products[0]" not in r.text
    form["produced_0"] = "112,68"
    r = client.post("/collect/submit", data=form)
    assert r.status_code == 422 and "Thép cán (nghìn tấn) · Tiêu thụ</span>: không được âm" in r.text
    assert 'value="112,68"' in r.text                       # what was typed stays in the form
    assert q(client, "SELECT count(*) FROM reports WHERE period = '2024-01'") == [(0,)]


def test_warnings_ask_for_a_comment_in_the_page_language(client):
    _, token = _vi(client)
    form = {"period": "2024-01", "product_0": "STEEL", "produced_0": "338", "sold_0": "112,68",
            "closing_stock_0": "10", "csrf": token}
    r = client.post("/collect/submit", data=form)
    assert r.status_code == 422 and "nhập ghi chú giải thích" in r.text
    assert "tồn kho cuối tháng không khớp" in r.text
    r = client.post("/collect/submit", data={**form, "comment": "lò mới"})
    assert r.status_code == 200


def test_the_review_queue_reads_like_a_report(client):
    con = client.app.state.db
    con.execute("INSERT INTO outlier_flags (flag_id, method, enterprise_id, period, product_code, variable, value, "
                "previous, ratio, effect, lower, upper) VALUES (5, 'HB', 'E1', '2023-12', 'STEEL', 'produced', "
                "58800.123, 21000, 2.8, 325492640.855, -3.2, 12.3)")
    page_login(client, "prov_01")
    vi = client.get("/collect/review?lang=vi").text
    card = vi[vi.index('id="flag-5"'):]
    assert "Thép A" in card and "Thép cán (nghìn tấn)" in card
    assert "58.800" in card and "e+04" not in card and "325492640.855" not in card
    assert "Sản xuất tăng 180,0% so với tháng trước (21.000 → 58.800 nghìn tấn)" in card
    assert "mức ảnh hưởng HB 325.492.640,9 cao hơn cận trên 12,3" in card
    svg = card[card.index("<svg"):card.index("</svg>")]
    assert svg.count("<circle") == 12 and svg.count('class="flag"') == 1     # Jan-Dec 2023 reported, December
    assert "2023-12: 112 nghìn tấn" in svg                                    # marked; the report holds 111.57
    en = client.get("/collect/review?lang=en").text
    assert "Produced rose 180.0% on the previous month (21,000 → 58,800 nghìn tấn)" in en


def test_the_flagged_month_is_marked_in_the_chart(client):
    con = client.app.state.db
    con.execute("INSERT INTO outlier_flags (flag_id, method, enterprise_id, period, product_code, variable, value, "
                "previous, ratio, effect, lower, upper) VALUES (6, 'HB', 'E3', '2023-12', 'STEEL', 'sold', 1, 1, 1, "
                "1, 0, 0.5)")
    page_login(client, "national")
    card = client.get("/collect/review?lang=en").text.split('id="flag-6"')[1]
    svg = card[card.index("<svg"):card.index("</svg>")]
    assert svg.count('class="flag"') == 1 and "2023-12: 89" in svg      # E3 sold in Dec 2023: 80 * 1.01**11


def test_the_dashboard_links_to_collection(client):
    r = client.get("/collect/login?lang=en")
    assert 'href="/collect/"' in r.text and "Report collection" in r.text
    assert 'href="/static/app/app.css"' in r.text                       # the dashboard's style
    vi = client.get("/collect/login?lang=vi").text
    assert "Thu thập báo cáo" in vi and "Tên đăng nhập" in vi


def test_a_provincial_statistician_picks_an_enterprise_then_its_products(client):
    page_login(client, "prov_01")
    page = client.get("/collect/?lang=en").text
    assert '<option value="E1">Thép A</option>' in page and 'value="E2"' not in page   # E2 is in 79
    assert 'id="report-form"' not in page
    page = client.get("/collect/?enterprise=E3&lang=en").text
    assert 'id="report-form"' in page and "Rolled steel (nghìn tấn)" in page
    other = client.get("/collect/?enterprise=E2&lang=en")
    assert other.status_code == 200 and "may not read or change enterprise &#39;E2&#39;" in other.text
    assert csrf(client, "/collect/?enterprise=E3")
