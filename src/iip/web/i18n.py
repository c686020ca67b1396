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
    "created": ("Thời điểm tạo", "Created"),
    "product_growth": ("Sản lượng so với cùng kỳ (%)", "Output on a year earlier (%)"),
    "product_growth_ytd": ("Cộng dồn so với cùng kỳ (%)", "Year to date on a year earlier (%)"),
    "month_output": ("Sản lượng tháng", "Output in the month"),
    "no_adjustment": ("Chưa có số liệu điều chỉnh mùa vụ được lưu (chạy `iip sa --all`) cho",
                      "No seasonal adjustment is stored (run `iip sa --all`) for"),
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
        "Chưa có kết quả điều chỉnh mùa vụ cho chuỗi này: chạy `iip sa --all` (chuỗi ngoài bộ số liệu công bố: "
        "`iip sa --all --everything`); công cụ theo dõi mục tiêu dùng dự báo của mô hình điều chỉnh.",
        "No seasonal adjustment stored for this series: run `iip sa --all` (series outside the release set: "
        "`iip sa --all --everything`); the tracker uses the adjustment model's forecasts.",
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
        "Sản lượng từng sản phẩm trong tháng so với cùng kỳ năm trước (từ báo cáo của doanh nghiệp); (c): dưới 3 "
        "doanh nghiệp hoặc ngành bảo mật",
        "Each product's own output on a year earlier (from the enterprises' reports); (c): fewer than 3 enterprises "
        "or a confidential class",
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
        """The text of ``key`` in the page's language (the key itself when untranslated)."""
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


# --- report collection pages (/collect) ----------------------------------------------------------------------
LABELS.update({
    "nav_collect": ("Thu thập báo cáo", "Report collection"),
    "collect_title": ("Báo cáo sản xuất công nghiệp hằng tháng", "Monthly industrial production report"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "new_password": ("Mật khẩu mới (ít nhất 8 ký tự)", "New password (at least 8 characters)"),
    "signed_in_as": ("Đang đăng nhập", "Signed in as"),
    "role_enterprise": ("doanh nghiệp", "enterprise"),
    "role_provincial": ("thống kê tỉnh", "provincial statistician"),
    "role_national": ("thống kê trung ương", "national statistician"),
    "role_admin": ("quản trị tài khoản", "account administrator"),
    "role": ("Vai trò", "Role"),
    "reports_tab": ("Báo cáo", "Reports"),
    "review_tab": ("Kiểm tra số liệu", "Review"),
    "accounts_tab": ("Tài khoản", "Accounts"),
    "enterprise": ("Doanh nghiệp", "Enterprise"),
    "enterprise_id": ("Mã doanh nghiệp", "Enterprise id"),
    "choose": ("Chọn", "Choose"),
    "choose_enterprise": ("Chọn doanh nghiệp để nhập báo cáo", "Choose the enterprise to report for"),
    "report_month": ("Tháng báo cáo", "Report month"),
    "employees": ("Số lao động ngày 1 của tháng", "Employees on the 1st of the month"),
    "produced": ("Sản xuất", "Produced"),
    "sold": ("Tiêu thụ", "Sold"),
    "closing_stock": ("Tồn kho cuối tháng", "Closing stock"),
    "sales_value": ("Giá trị tiêu thụ (triệu đồng)", "Sales value (million VND)"),
    "value_field": ("Giá trị tiêu thụ", "Sales value"),
    "pick_product": ("— chọn sản phẩm —", "— choose a product —"),
    "your_products": ("Sản phẩm của doanh nghiệp", "Your products"),
    "other_products": ("Sản phẩm khác cùng ngành", "Other products of your industry"),
    "number_hint": ("Số thập phân dùng dấu phẩy, ví dụ 1,4 hoặc 1.234,5",
                    "Decimals with a point, e.g. 1.4 or 1,234.5"),
    "comment": ("Ghi chú", "Comment"),
    "comment_hint": ("bắt buộc khi xác nhận cảnh báo", "needed to confirm warnings"),
    "submit": ("Gửi báo cáo", "Submit the report"),
    "submitted": ("Đã nhận báo cáo", "Report received"),
    "result_submit": ("đã ghi", "saved"),
    "result_correct": ("đã ghi bản sửa", "correction saved"),
    "result_unchanged": ("không thay đổi so với lần gửi trước", "unchanged from the previous submission"),
    "result_revision_requested": ("tháng đã công bố: đã gửi đề nghị sửa số liệu chờ thống kê duyệt",
                                  "month already released: sent as a revision request for a statistician"),
    "lines_changed": ("dòng mới hoặc thay đổi", "new or changed lines"),
    "version": ("phiên bản", "version"),
    "rejected": ("Báo cáo chưa được nhận: hãy sửa các lỗi sau", "The report was not accepted: please fix"),
    "warnings_confirm": ("Số liệu có điểm bất thường: kiểm tra lại, rồi nhập ghi chú giải thích và gửi lại để xác nhận",
                         "Some figures look unusual: check them, then add a comment explaining them and resubmit"),
    "recent_submissions": ("Các lần gửi gần đây", "Recent submissions"),
    "submitted_at": ("Thời điểm", "At"),
    "by": ("Người gửi", "By"),
    "action": ("Thao tác", "Action"),
    "lines": ("Số dòng", "Lines"),
    "your_revisions": ("Đề nghị sửa số liệu tháng đã công bố", "Revision requests for released months"),
    "review_title": ("Giá trị bất thường cần kiểm tra", "Unusual values to review"),
    "review_intro": ("Phát hiện bằng phương pháp Hidiroglou-Berthelot: biến động so với tháng trước khác xa các "
                     "đơn vị cùng ngành và cùng sản phẩm.",
                     "Found by the Hidiroglou-Berthelot method: a change on the previous month far from that of "
                     "units with the same class and product."),
    "nothing_to_review": ("Không có giá trị nào cần kiểm tra.", "Nothing to review."),
    "why_flagged": ("Lý do", "Why flagged"),
    "history_13": ("13 tháng gần nhất", "Last 13 months"),
    "previous_month": ("Tháng trước", "Previous month"),
    "this_month": ("Tháng này", "This month"),
    "decision": ("Quyết định", "Decision"),
    "corrected_value": ("Giá trị đúng", "Corrected value"),
    "accept_value": ("Giữ nguyên", "Accept as is"),
    "correct_value": ("Sửa", "Correct"),
    "accept": ("Chấp nhận", "Accept"),
    "reject": ("Từ chối", "Reject"),
    "reason_rose": ("{var} tăng {pct}% so với tháng trước ({prev} → {value} {unit})",
                    "{var} rose {pct}% on the previous month ({prev} → {value} {unit})"),
    "reason_fell": ("{var} giảm {pct}% so với tháng trước ({prev} → {value} {unit})",
                    "{var} fell {pct}% on the previous month ({prev} → {value} {unit})"),
    "reason_above": ("mức ảnh hưởng HB {effect} cao hơn cận trên {bound} của các đơn vị cùng ngành và sản phẩm",
                     "HB effect {effect} is above the upper bound {bound} of units with the same class and product"),
    "reason_below": ("mức ảnh hưởng HB {effect} thấp hơn cận dưới {bound} của các đơn vị cùng ngành và sản phẩm",
                     "HB effect {effect} is below the lower bound {bound} of units with the same class and product"),
    "revisions_title": ("Đề nghị sửa số liệu tháng đã công bố", "Revision requests for released months"),
    "no_revisions": ("Không có đề nghị nào đang chờ.", "No request is waiting."),
    "requested_by": ("Người đề nghị", "Requested by"),
    "current": ("Hiện tại", "Current"),
    "requested": ("Đề nghị", "Requested"),
    "status_pending": ("chờ duyệt", "pending"),
    "status_accepted": ("đã chấp nhận", "accepted"),
    "status_rejected": ("đã từ chối", "rejected"),
    "accounts_title": ("Tài khoản", "Accounts"),
    "add_account": ("Tạo tài khoản", "Create an account"),
    "scope": ("Phạm vi", "Scope"),
    "active": ("Hoạt động", "Active"),
    "yes": ("có", "yes"),
    "no": ("không", "no"),
    "created": ("Tạo lúc", "Created"),
    "disable": ("Khóa", "Disable"),
    "enable": ("Mở khóa", "Re-enable"),
    "reset_password": ("Đặt lại mật khẩu", "Reset password"),
    "approve": ("Phê duyệt", "Approve"),
    "awaits_approval": ("chờ thống kê trung ương phê duyệt", "awaits a national statistician's approval"),
    "approvals_title": ("Tài khoản chờ phê duyệt quyền xem vi dữ liệu", "Accounts awaiting approval of microdata access"),
    "approvals_intro": ("Tài khoản thống kê tỉnh và trung ương do quản trị tạo, đặt lại mật khẩu hoặc mở khóa chỉ "
                        "dùng được sau khi một thống kê viên trung ương khác phê duyệt.",
                        "Provincial and national accounts created, reset or re-enabled by an administrator can be "
                        "used only once another national statistician approves them."),
    "no_approvals": ("Không có tài khoản nào chờ phê duyệt.", "No account awaits approval."),
    "done": ("Đã thực hiện", "Done"),
    "approval_add": ("tạo mới", "created"),
    "version_col": ("Phiên bản", "Version"),
    "act_submit": ("gửi lần đầu", "first submission"),
    "act_correct": ("sửa", "correction"),
    "act_revision": ("sửa theo đề nghị đã duyệt", "accepted revision"),
    "act_review_edit": ("thống kê sửa khi kiểm tra", "corrected in review"),
    "approval_reset_password": ("đặt lại mật khẩu", "password reset"),
    "approval_enable": ("mở khóa", "re-enabled"),
    "province_none": ("— tỉnh (thống kê tỉnh) —", "— province (provincial statistician) —"),
    "throttled": ("Đăng nhập sai quá nhiều lần", "Too many failed logins"),
    "rule_required": ("chưa nhập", "is missing"),
    "rule_numeric": ("phải là một số", "must be a number"),
    "rule_number": ("không phải là số viết đúng cách (số thập phân dùng dấu phẩy, ví dụ 1,4)",
                    "is not a well-written number (e.g. 1.4 or 1,234.5)"),
    "rule_non_negative": ("không được âm", "must not be negative"),
    "rule_finite": ("phải là số hữu hạn", "must be a finite number"),
    "rule_integer": ("phải là số nguyên", "must be a whole number"),
    "rule_future": ("là tháng trong tương lai", "is in the future"),
    "rule_period": ("phải có dạng NNNN-TT, ví dụ 2024-01", "must be YYYY-MM, e.g. 2024-01"),
    "rule_known_product": ("không có trong danh mục sản phẩm", "is not in the product list"),
    "rule_known_enterprise": ("không có trong danh sách doanh nghiệp", "is not in the register"),
    "rule_duplicate": ("bị nhập hai lần", "is entered twice"),
    "rule_change": ("thay đổi nhiều so với tháng trước, ngoài mức thường thấy của doanh nghiệp",
                    "changed much more than usual for this enterprise"),
    "rule_stock_balance": ("tồn kho cuối tháng không khớp với tồn đầu tháng + sản xuất − tiêu thụ",
                           "closing stock does not match opening stock + produced − sold"),
    "rule_unit_value": ("đơn giá (giá trị / tiêu thụ) thay đổi nhiều so với tháng trước",
                        "unit value (value / sold) moved far from last month's"),
    "rule_shape": ("báo cáo chưa có sản phẩm nào", "the report has no product"),
})
