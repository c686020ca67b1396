import pytest

from iip.ingest.gso.header import Header, parse_header
from iip.ingest.gso.labels import map_label, normalize_label


@pytest.mark.parametrize("text,expected", [
    ("Tháng 7 năm 2023 so với cùng kỳ năm trước", Header("2023-07", "yoy", None, "month")),
    ("7 tháng năm 2023 so với cùng kỳ năm 2022", Header("2023-07", "ytd_yoy", None, "cum")),
    ("Ước tính quý III năm 2018 so với cùng kỳ năm trước", Header("2018-Q3", "yoy", "estimate", "quarter")),
    ("Chính thức tháng 11 năm 2012 so với tháng 11 năm 2011", Header("2012-11", "yoy", "actual", "month")),
    ("Tháng 01 năm 2012 so với tháng 12 năm 2011", Header("2012-01", "mom", None, "month")),
    ("Năm 2023 so với năm 2022", Header("2023-12", "ytd_yoy", None, "year")),
    ("Tháng 5 năm 2013 tháng 5 so với năm 2012", Header("2013-05", "yoy", None, "month")),
    ("So với cùng kỳ năm trước (%) Quý I năm 2019", Header("2019-Q1", "yoy", None, "quarter")),
    ("Tháng 10 năm 2023 so với cùng kỳ năm trước", Header("2023-10", "yoy", None, "month")),
    ("Tháng 10/2023 so với tháng 9/2023", Header("2023-10", "mom", None, "month")),
    ("Năm 2013 so năm 2012 (%)", Header("2013-12", "ytd_yoy", None, "year")),
    ("6 tháng năm 2026 so với cùng kỳ năm trước", Header("2026-06", "ytd_yoy", None, "cum")),
    ("September 2020 versus last month", Header("2020-09", "mom", None, "month")),
    ("9 months of 2020 versus same period last year", Header("2020-09", "ytd_yoy", None, "cum")),
    ("Performance 1st quarter of 2020 versus same period in 2019", Header("2020-Q1", "yoy", "actual", "quarter")),
    ("LEI at 1/9/2020 compared to 1/8/2020", Header("2020-09", "mom", None, "point")),
])
def test_parse_header(text, expected):
    assert parse_header(text) == expected


def test_points_in_time():
    assert parse_header("Chỉ số sử dụng lao động thời điểm 1/7/2023 so với cùng thời điểm năm trước",
                        indicator="labour") == Header("2023-07", "yoy", None, "point")
    assert parse_header("Chỉ số tồn kho thời điểm 31/12/2023 so với cùng thời điểm tháng trước",
                        indicator="inventory") == Header("2023-12", "mom", None, "point")
    assert parse_header("Chỉ số tồn kho thời điểm 1/8/2014 so với cùng thời điểm năm trước",
                        indicator="inventory").period == "2014-07"


def test_year_from_context_and_rejects():
    assert parse_header("Tháng 11 so với cùng kỳ", year=2020) == Header("2020-11", "yoy", None, "month")
    assert parse_header("13 tháng năm 2013 so với cùng kỳ") is None
    assert parse_header("Đơn vị tính") is None


def test_labels():
    assert normalize_label("SX  sản phẩm\nđiện tử,") == "san xuat san pham dien tu"
    assert map_label("Sản xuất sản phẩm điện tử, máy vi tính\nvà sản phẩm quang học") == "26"
    assert map_label("Khai thác dầu thô và khí đốt tự nhiên") == "06"
    assert map_label("HĐ thu gom, xử lý và tiêu huỷ rác thải; tái chế phế liệu") == "38"
    assert map_label("Sản xuất phi thuyền vũ trụ") is None
    assert map_label("Sản xuất và phân phối điện", used=set()) == "D"
    assert map_label("Sản xuất và phân phối điện", used={"D"}) == "35"
