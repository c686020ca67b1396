"""Render the facts of a release (:mod:`iip.release.facts`) as GSO-style text in Vietnamese and English.

Templates only arrange words around facts: every number comes from a fact, rounded by ``gso_round`` to one
decimal and printed with the language's decimal mark (``giảm 0,7%`` / ``decreased 0.7%``); the sign is carried
by the verb. Output: Markdown; :func:`to_html` turns it into a small HTML fragment.
"""
from __future__ import annotations

import datetime as dt
import html

from iip.release.data import ReleaseData
from iip.reference.rounding import fmt, gso_round

ORDINAL_EN = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine", 10: "ten",
              11: "eleven", 12: "twelve"}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
QUARTER_EN = {1: "first", 2: "second", 3: "third", 4: "fourth"}
SECTION_VI = {"B": "ngành khai khoáng", "C": "ngành chế biến, chế tạo",
              "D": "ngành sản xuất và phân phối điện", "E": "ngành cung cấp nước, hoạt động quản lý và xử lý rác "
              "thải, nước thải"}
SECTION_EN = {"B": "mining and quarrying", "C": "manufacturing", "D": "electricity production and distribution",
              "E": "water supply, sewerage and waste management"}


def verb(v: float, lang: str, *, past: bool = True) -> str:
    """'tăng 3,6%' / 'increased 3.6%' from a percent change (sign in the verb, number rounded to 1 decimal)."""
    r = gso_round(v, 1)
    if r == 0:
        return "tương đương cùng kỳ" if lang == "vi" else "was unchanged"
    n = fmt(abs(r), 1, lang=lang)
    if lang == "vi":
        return f"{'tăng' if r > 0 else 'giảm'} {n}%"
    return f"{('increased' if past else 'increase') if r > 0 else ('decreased' if past else 'decrease')} {n}%"


def points(v: float, lang: str) -> str:
    r = gso_round(v, 1)
    n = fmt(abs(r), 1, lang=lang)
    if lang == "vi":
        return f"{'đóng góp' if r >= 0 else 'làm giảm'} {n} điểm phần trăm"
    return f"{'adding' if r >= 0 else 'subtracting'} {n} percentage points"


class _Facts:
    def __init__(self, facts: list[dict]):
        self.facts = facts

    def get(self, key: str, node: str | None = None) -> dict | None:
        for f in self.facts:
            if f["key"] == key and (node is None or f["node"] == node):
                return f
        return None

    def all(self, key: str) -> list[dict]:
        return [f for f in self.facts if f["key"] == key]


def names(d: ReleaseData, lang: str) -> dict[str, str]:
    col = "name_vi" if lang == "vi" else "name_en"
    out = {c: n[:1].lower() + n[1:] for c, n in zip(d.national["code"], d.national[col])}
    out.update(SECTION_VI if lang == "vi" else SECTION_EN)
    if not d.products.empty:
        out.update({c: n[:1].lower() + n[1:] for c, n in zip(d.products["product_code"], d.products[col])})
    return out


def _month(period: str, lang: str) -> str:
    y, m = int(period[:4]), int(period[5:])
    return f"tháng {m}/{y}" if lang == "vi" else dt.date(y, m, 1).strftime("%B %Y")


def _cumulative(period: str, lang: str) -> str:
    y, m = int(period[:4]), int(period[5:])
    if lang == "vi":
        return f"Tính chung {m} tháng năm {y}" if m > 2 else f"Tính chung 2 tháng đầu năm {y}"
    return f"In the first {ORDINAL_EN[m]} months of {y}"


def headline(f: _Facts, d: ReleaseData, lang: str, nm: dict) -> list[str]:
    out, month = [], _month(d.period, lang)
    t = f.get("yoy", "TOTAL")
    if t is None:
        return ["Số liệu toàn ngành không công bố." if lang == "vi" else "The total is not published."]
    mom = f.get("mom", "TOTAL")
    secs = [x for x in f.all("yoy") if x["node"] != "TOTAL"]
    if lang == "vi":
        s = f"Chỉ số sản xuất toàn ngành công nghiệp (IIP) {month} ước tính {verb(t['value'], lang)} so với cùng kỳ " \
            "năm trước"
        s += f" và {verb(mom['value'], lang)} so với tháng trước." if mom else "."
        if secs:
            s += " Trong đó, " + "; ".join(f"{nm[x['node']]} {verb(x['value'], lang)}" for x in secs) + "."
    else:
        s = f"The Index of Industrial Production (IIP) in {month} is estimated to have {verb(t['value'], lang)} " \
            "over the same period last year"
        s += f" and {verb(mom['value'], lang)} on the previous month." if mom else "."
        if secs:
            s += " Of which " + "; ".join(f"{nm[x['node']]} {verb(x['value'], lang)}" for x in secs) + "."
    out.append(s)
    q = f.get("quarter_yoy")
    if q:
        y, n = q["period"][:4], int(q["period"][-1])
        out.append(f"Tính chung quý {ROMAN[n]}/{y}, IIP {verb(q['value'], lang)} so với cùng kỳ năm trước." if lang
                   == "vi" else f"In the {QUARTER_EN[n]} quarter of {y}, IIP {verb(q['value'], lang)} year on year.")
    return out


def cumulative(f: _Facts, d: ReleaseData, lang: str, nm: dict) -> list[str]:
    t = f.get("ytd", "TOTAL")
    if t is None:
        return []
    parts = []
    for x in f.all("ytd"):
        if x["node"] == "TOTAL":
            continue
        c = f.get("contrib_ytd", x["node"])
        parts.append(f"{nm[x['node']]} {verb(x['value'], lang)}" + (f" ({points(c['value'], lang)})" if c else ""))
    head = _cumulative(d.period, lang)
    if lang == "vi":
        s = f"{head}, IIP ước tính {verb(t['value'], lang)} so với cùng kỳ năm trước"
        s += (", trong đó " + "; ".join(parts)) if parts else ""
    else:
        s = f"{head}, IIP {verb(t['value'], lang)} over the same period last year"
        s += (", of which " + "; ".join(parts)) if parts else ""
    return [s + "."]


def tet(f: _Facts, d: ReleaseData, lang: str) -> list[str]:
    a, b = f.get("tet_date"), f.get("tet_date_prev")
    if not a:
        return []
    ta, tb = dt.date.fromisoformat(a["value"]), dt.date.fromisoformat(b["value"])
    jf = f.get("janfeb_yoy")
    if lang == "vi":
        s = (f"Tết Nguyên đán năm {ta.year} rơi vào ngày {ta.day}/{ta.month}/{ta.year} (năm {tb.year}: ngày "
             f"{tb.day}/{tb.month}/{tb.year}), nên số ngày làm việc của tháng 1 và tháng 2 khác nhau giữa hai năm; "
             "so sánh chung hai tháng đầu năm loại bỏ ảnh hưởng này")
        s += f": tính chung 2 tháng, IIP {verb(jf['value'], lang)} so với cùng kỳ năm trước." if jf else \
            " và sẽ được công bố cùng số liệu tháng 2."
    else:
        s = (f"Tet (Lunar New Year) fell on {ta.strftime('%d %B %Y')} ({tb.year}: {tb.strftime('%d %B %Y')}), so "
             "January and February have different numbers of working days in the two years; the two months "
             "together are free of this shift")
        s += f": in January and February combined, IIP {verb(jf['value'], lang)} year on year." if jf else \
            " and will be published with the February figures."
    return [s]


def divisions(f: _Facts, d: ReleaseData, lang: str, nm: dict) -> list[str]:
    top, bot, con = f.all("division_top"), f.all("division_bottom"), f.all("contribution")
    month, out = _month(d.period, lang), []
    j = lambda xs: "; ".join(f"{nm[x['node']]} {verb(x['value'], lang)}" for x in xs)  # noqa: E731
    if top:
        out.append(f"So với cùng kỳ năm trước, chỉ số sản xuất {month} của các ngành cấp II có mức tăng trưởng cao "
                   f"nhất: {j(top)}. Các ngành có mức tăng trưởng thấp nhất: {j(bot)}." if lang == "vi" else
                   f"Year on year, the strongest divisions in {month} were: {j(top)}. The weakest were: {j(bot)}.")
    if con:
        k = "; ".join(f"{nm[x['node']]} ({points(x['value'], lang)})" for x in con)
        out.append(f"Các ngành đóng góp nhiều nhất vào mức biến động chung của IIP: {k}." if lang == "vi" else
                   f"The largest contributions to the change in IIP came from {k}.")
    return out


def provinces(f: _Facts, d: ReleaseData, lang: str) -> list[str]:
    up, down, c = f.get("provinces_rose"), f.get("provinces_fell"), f.get("provinces_suppressed")
    if not up:
        return []
    n = lambda x: fmt(x["value"], 0, lang=lang)  # noqa: E731
    if lang == "vi":
        s = (f"So với cùng kỳ năm trước, IIP {_month(d.period, lang)} tăng ở {n(up)} địa phương và giảm ở "
             f"{n(down)} địa phương")
        s += f" (số liệu của {n(c)} địa phương không công bố để bảo mật thông tin doanh nghiệp)." if c["value"] \
            else "."
    else:
        s = f"Year on year, IIP in {_month(d.period, lang)} rose in {n(up)} provinces and fell in {n(down)} provinces"
        s += f" ({n(c)} provinces are not published to protect enterprise confidentiality)." if c["value"] else "."
    return [s]


def products(f: _Facts, d: ReleaseData, lang: str, nm: dict) -> list[str]:
    up, down = f.all("product_up"), f.all("product_down")
    j = lambda xs: "; ".join(f"{nm[x['node']]} {verb(x['value'], lang)}" for x in xs)  # noqa: E731
    out = []
    if up:
        out.append(f"Một số sản phẩm công nghiệp chủ yếu tăng so với cùng kỳ năm trước: {j(up)}." if lang == "vi"
                   else f"Main industrial products that rose year on year: {j(up)}.")
    if down:
        out.append(f"Một số sản phẩm giảm: {j(down)}." if lang == "vi" else f"Products that fell: {j(down)}.")
    return out


def provisional(d: ReleaseData, lang: str) -> list[str]:
    """The warning of a provisional release: how much of the weight reported and was imputed."""
    if not d.provisional:
        return []
    rep, imp = (round(100 * (x or 0)) for x in d.coverage)
    if lang == "vi":
        return [f"**Số liệu sơ bộ (tạm tính):** đến nay mới có {rep}% quyền số năm gốc báo cáo, {imp}% được ước "
                "tính (quy nạp); số liệu sẽ được cập nhật khi nhận đủ báo cáo."]
    return [f"**Provisional figures:** only {rep}% of the base-year weight has reported so far and {imp}% is "
            "imputed; the figures will be revised when the late reports arrive."]


def render(facts: list[dict], d: ReleaseData, lang: str) -> str:
    """Markdown narrative in ``lang`` ('vi' | 'en')."""
    f, nm = _Facts(facts), names(d, lang)
    title = (f"# Tình hình sản xuất công nghiệp {_month(d.period, lang)}" if lang == "vi" else
             f"# Industrial production, {_month(d.period, lang)}")
    paras = (provisional(d, lang) + headline(f, d, lang, nm) + cumulative(f, d, lang, nm) + tet(f, d, lang)
             + divisions(f, d, lang, nm) + provinces(f, d, lang) + products(f, d, lang, nm))
    src = ("Nguồn: số liệu biên soạn từ báo cáo doanh nghiệp (iip)." if lang == "vi" else
           "Source: compiled from enterprise reports (iip).") if d.source == "compiled" else \
          ("Nguồn: số liệu công bố của Tổng cục Thống kê." if lang == "vi" else "Source: GSO published figures.")
    return "\n\n".join([title] + paras + [f"*{src}*"]) + "\n"


def to_html(markdown: str) -> str:
    """The narrative's Markdown (titles, paragraphs, *emphasis*) as an HTML fragment."""
    out = []
    for block in markdown.strip().split("\n\n"):
        b = html.escape(block.strip())
        if b.startswith("# "):
            out.append(f"<h1>{b[2:]}</h1>")
        elif b.startswith("*") and b.endswith("*"):
            out.append(f"<p><em>{b[1:-1]}</em></p>")
        else:
            out.append(f"<p>{b}</p>")
    return "\n".join(out)
