"""normalize_label: the key used to match GSO row labels."""
import pytest

from iip.reference import normalize_label


@pytest.mark.parametrize("raw,expected", [
    ("  1. Khai  khoáng\n", "khai khoáng"),
    ("IV. Công nghiệp chế biến, chế tạo;", "công nghiệp chế biến, chế tạo"),
    ("1.2 Sản xuất đồ uống", "sản xuất đồ uống"),
    ("a) Sản xuất hòa chất", "sản xuất hoà chất"),
    ("- Chế biến thủy sản", "chế biến thuỷ sản"),
    ("(3) Khoẻ", "khoẻ"),
    ("Sản xuất\r\ntrang phục", "sản xuất trang phục"),
    ("ÐIỆN SẢN XUẤT", "điện sản xuất"),          # Icelandic eth instead of Đ
    ("Tổng số:", "tổng số"),
    ("Sản xuất thuốc lá (*)", "sản xuất thuốc lá"),  # footnote markers dropped
    ("Điện sản xuất (1)", "điện sản xuất"),
    ("Phân hỗn hợp N.P.K", "phân hỗn hợp n.p.k"),
    ("10.Sản xuất", "sản xuất"),
    ("Điện thoại di động 3G", "điện thoại di động 3g"),
    ("hoàng", "hoàng"),                          # tone inside a closed syllable is left alone
    (None, ""),
])
def test_examples(raw, expected):
    assert normalize_label(raw) == expected


def test_nfc_and_idempotent():
    decomposed = "Khai tha\u0301c than"  # combining acute
    assert normalize_label(decomposed) == "khai thác than"
    s = "  2. Sản xuất, phân phối điện  "
    assert normalize_label(normalize_label(s)) == normalize_label(s)
