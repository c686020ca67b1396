"""Dashboard languages: Vietnamese (default) and English; labels and number formats.

Language: ``?lang=vi|en`` (remembered in the ``lang`` cookie), else the cookie, else ``vi``.
Numbers: ``vi`` uses a decimal comma and a dot for thousands (1.234,5), ``en`` the reverse (1,234.5).
"""

from __future__ import annotations

import math

from fastapi import Request

from iip.errors import OptionError
from iip.reference.rounding import fmt, fmt_growth

LANGS = ("vi", "en")
DEFAULT_LANG = "vi"
COOKIE = "lang"

# key -> (vi, en)
LABELS: dict[str, tuple[str, str]] = {
    "app_title": ("Chỉ số sản xuất công nghiệp (IIP)", "Index of Industrial Production (IIP)"),
    "nav_overview": ("Tổng quan", "Overview"),
    "nav_series": ("Chuỗi số liệu", "Series explorer"),
    "nav_provinces": ("Tỉnh, thành phố", "Provinces"),
    "nav_products": ("Sản phẩm", "Products"),
    "nav_releases": ("Công bố và sửa đổi", "Releases and revisions"),
    "nav_targets": ("Theo dõi mục tiêu", "Target tracker"),
    "nav_api": ("API", "API"),
    "language": ("Ngôn ngữ", "Language"),
    "latest_month": ("Tháng mới nhất", "Latest month"),
    "month": ("Tháng", "Month"),
    "provisional": ("Số liệu sơ bộ", "Provisional"),
    "coverage_note": ("{reported}% quyền số đã báo cáo, {imputed}% được ước tính",
                      "{reported}% of the base-year weight reported, {imputed}% imputed"),
    "period": ("Kỳ", "Period"),
    "headline": ("Toàn ngành công nghiệp", "Whole industry"),
    "index": ("Chỉ số", "Index"),
    "mom": ("So với tháng trước (%)", "On previous month (%)"),
    "yoy": ("So với cùng kỳ năm trước (%)", "On same month last year (%)"),
    "ytd": ("Cộng dồn từ đầu năm so với cùng kỳ (%)", "Year to date on a year earlier (%)"),
    "contrib_yoy": ("Đóng góp vào tăng trưởng (điểm %)", "Contribution to growth (pp)"),
    "contrib_ytd": ("Đóng góp lũy kế (điểm %)", "Year-to-date contribution (pp)"),
    "contrib_total_yoy": (
        "Đóng góp vào tăng trưởng toàn ngành (điểm %)",
        "Contribution to total growth (pp)",
    ),
    "gso_form": (
        "Dạng GSO: 100 = không đổi; 103,69 = tăng 3,69%",
        "GSO form: 100 = unchanged; 103.69 = up 3.69%",
    ),
    "sections": ("Ngành cấp I", "Sections"),
    "division_ranking": (
        "Xếp hạng ngành cấp II theo tăng trưởng so với cùng kỳ",
        "Divisions ranked by growth on a year earlier",
    ),
    "contributions": ("Đóng góp của các ngành cấp II vào tăng trưởng", "Divisions' contributions to growth"),
    "provinces_updown": ("Tỉnh, thành phố tăng / giảm", "Provinces up / down"),
    "rose": ("Tăng", "Rose"),
    "fell": ("Giảm", "Fell"),
    "unchanged": ("Không đổi", "Unchanged"),
    "of": ("trên", "of"),
    "provinces_word": ("tỉnh, thành phố", "provinces"),
    "trend_chart": ("Chỉ số toàn ngành, so với cùng kỳ", "Whole industry, on a year earlier"),
    "code": ("Mã", "Code"),
    "name": ("Tên", "Name"),
    "indicator": ("Chỉ tiêu", "Indicator"),
    "production": ("Sản xuất", "Production"),
    "consumption": ("Tiêu thụ", "Consumption"),
    "inventory": ("Tồn kho", "Inventory"),
    "area": ("Địa bàn", "Area"),
    "node": ("Ngành", "Industry"),
    "measure": ("Thước đo", "Measure"),
    "kind": ("Loại", "Kind"),
    "raw": ("Gốc", "Raw"),
    "sa": ("Đã điều chỉnh mùa vụ", "Seasonally adjusted"),
    "trend": ("Xu hướng", "Trend"),
    "from": ("Từ", "From"),
    "to": ("Đến", "To"),
    "show": ("Xem", "Show"),
    "download_csv": ("Tải CSV", "Download CSV"),
    "download_json": ("Tải JSON", "Download JSON"),
    "compare_hint": (
        "Chọn nhiều địa bàn hoặc ngành để so sánh (giữ Ctrl)",
        "Pick several areas or industries to compare (hold Ctrl)",
    ),
    "whole_country": ("Cả nước", "Whole country"),
    "region": ("Vùng", "Region"),
    "province": ("Tỉnh, thành phố", "Province"),
    "map_title": ("Tăng trưởng so với cùng kỳ theo tỉnh, thành phố", "Growth on a year earlier by province"),
    "map_hint": ("Bấm vào một ô để xem tỉnh, thành phố", "Click a tile to open the province"),
    "suppressed": ("Bảo mật (c)", "Confidential (c)"),
    "no_data": ("Không có số liệu", "No data"),
    "product": ("Sản phẩm", "Product"),
    "unit": ("Đơn vị tính", "Unit"),
    "class": ("Ngành cấp IV", "Class"),
    "main_products": ("Sản phẩm chủ yếu", "Main products"),
    "class_growth": ("Tăng trưởng ngành cấp IV (%)", "Class growth (%)"),
    "published_products": ("Sản phẩm đã công bố (GSO)", "Published products (GSO)"),
    "releases": ("Các lần công bố", "Releases"),
    "release": ("Lần công bố", "Release"),
    "files": ("Tệp", "Files"),
    "revisions": ("Sửa đổi số liệu đã công bố", "Revisions to published figures"),
    "revisions_chart": ("Các lần ước tính và sửa đổi", "Estimates and revisions"),
    "vintage": ("Phiên bản", "Vintage"),
    "value": ("Giá trị", "Value"),
    "status": ("Trạng thái", "Status"),
    "compile_runs": ("Các lần tính toán chỉ số", "Compilation runs"),
    "no_releases": ("Chưa có lần công bố nào trong cơ sở dữ liệu.", "No releases in the store yet."),
    "no_published": ("Chưa nhập số liệu GSO đã công bố.", "No published GSO figures imported yet."),
    "target": ("Mục tiêu tăng trưởng năm (%)", "Annual growth target (%)"),
    "year": ("Năm", "Year"),
    "months_observed": ("Số tháng đã có", "Months observed"),
    "ytd_growth": ("Tăng trưởng lũy kế (%)", "Year-to-date growth (%)"),
    "required_growth": (
        "Tăng trưởng bình quân cần đạt trong các tháng còn lại (%)",
        "Average growth needed in the remaining months (%)",
    ),
    "forecast_growth": ("Tăng trưởng năm dự báo (%)", "Forecast annual growth (%)"),
    "interval90": ("Khoảng 90%", "90% range"),
    "probability": ("Xác suất đạt mục tiêu", "Probability of reaching the target"),
    "observed": ("Thực tế", "Observed"),
    "forecast": ("Dự báo", "Forecast"),
    "needed_path": ("Mức cần đạt", "Level needed"),
    "no_sa": (
        "Chưa có kết quả điều chỉnh mùa vụ cho chuỗi này (chạy `iip sa --all`).",
        "No seasonal adjustment stored for this series (run `iip sa --all`).",
    ),
    "error": ("Lỗi", "Error"),
    "back_home": ("Về trang tổng quan", "Back to the overview"),
    "diagnostics": ("Chẩn đoán điều chỉnh mùa vụ", "Seasonal adjustment diagnostics"),
    "model": ("Mô hình", "Model"),
    "footer": (
        "Số liệu cấp tỉnh đã qua kiểm soát bảo mật; ô bảo mật đánh dấu (c).",
        "Provincial figures are disclosure-controlled; confidential cells are marked (c).",
    ),
    "products_intro": (
        "Danh mục sản phẩm và tăng trưởng của ngành cấp IV tương ứng",
        "Product list with the growth of each product's class",
    ),
    "compare": ("So sánh", "Compare"),
    "provinces_ranked": (
        "Tỉnh, thành phố xếp theo tăng trưởng so với cùng kỳ",
        "Provinces ranked by growth on a year earlier",
    ),
    "units": ("Đơn vị hành chính", "Provincial units"),
    "units_63": ("63 tỉnh, thành phố (trước 1/7/2025)", "63 provinces (before 1 July 2025)"),
    "units_34": ("34 tỉnh, thành phố (từ 1/7/2025)", "34 provinces (from 1 July 2025)"),
    "no_merged": (
        "Chưa có số liệu của 34 tỉnh, thành phố sau sắp xếp (từ 1/7/2025) cho kỳ {period}: chỉ số của các đơn vị "
        "mới được tính khi số liệu đến tháng {merger} (số liệu hiện có đến {last}). Bản đồ hiển thị 63 tỉnh, "
        "thành phố.",
        "No figures for the 34 provinces merged on 1 July 2025 in {period}: they are compiled once the data reach "
        "{merger} (the store ends {last}). The map shows the 63 provinces.",
    ),
    "formed_from": ("Hình thành từ ngày 1/7/2025 trên cơ sở", "Formed on 1 July 2025 from"),
    "merged_into": ("Từ ngày 1/7/2025 thuộc", "From 1 July 2025 part of"),
}

INDICATORS = ("production", "consumption", "inventory")


def resolve_lang(request: Request) -> str:
    """?lang= (validated), else the cookie, else the default."""
    q = request.query_params.get("lang")
    if q is not None:
        if q not in LANGS:
            raise OptionError(f"lang must be one of vi, en (got {q!r})")
        return q
    c = request.cookies.get(COOKIE)
    return c if c in LANGS else DEFAULT_LANG


def translator(lang: str):
    """t(key) -> the label in ``lang`` (the key itself when unknown, so a gap shows instead of failing)."""
    i = LANGS.index(lang)

    def t(key: str) -> str:
        pair = LABELS.get(key)
        return pair[i] if pair else key

    return t


def fmt_number(v, lang: str, nd: int = 1, *, sign: bool = False) -> str:
    """1234.56 -> '1,234.6' (en) or '1.234,6' (vi), rounded half up (``iip.reference.rounding.fmt``, the one
    rounding); None/NaN -> ''. ``sign`` adds '+' to positives."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return fmt(v, nd, lang=lang, sign=sign)


def fmt_growth_number(index, lang: str, nd: int = 1) -> str:
    """The growth a 100-based index states, as GSO writes it: the index rounded half up to ``nd`` decimals minus
    100, signed (103.69 -> '+3.7'); None/NaN -> ''."""
    if index is None or (isinstance(index, float) and math.isnan(index)):
        return ""
    return fmt_growth(index, lang=lang, decimals=nd)


def plotly_separators(lang: str) -> str:
    """Plotly's ``separators`` layout option: decimal then thousands."""
    return ",." if lang == "vi" else ".,"
