"""Render the facts of a release (:mod:`iip.release.facts`) as the text GSO writes, in Vietnamese, and as an
economist would write it in English (not word for word).

GSO's order: the month (mom, yoy, the sections; the previous month as revised; the quarter at quarter ends), the
year to date (the sections with their contributions, then the divisions with the highest and lowest growth),
Tet in January and February, the provinces, the ownership sectors, the main products (month and year to date),
consumption, inventory and labour. Every number is a fact's value (growth as GSO states it: the index rounded to
one decimal minus 100) written with Babel's locale data (``iip.reference.rounding.fmt``); dates with Babel too.
An estimate is called one ("ước tính", "an estimated"); a revised figure says so; compiled figures are neither.
Names keep their case ("NPK compound fertiliser"). Output: Markdown; :func:`to_html` renders it with
markdown-it-py.
"""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from markdown_it import MarkdownIt

from iip.reference import province_names, province_units
from iip.reference.periods import first_day, last_day, month_of_year
from iip.reference.rounding import fmt
from iip.release.data import ReleaseData

LOCALE = {"vi": "vi_VN", "en": "en_GB"}
NUMBER_EN = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
             10: "ten", 11: "eleven", 12: "twelve"}
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
QUARTER_EN = {1: "first", 2: "second", 3: "third", 4: "fourth"}
SECTION = {"vi": {"B": "ngành khai khoáng", "C": "ngành chế biến, chế tạo",
                  "D": "ngành sản xuất và phân phối điện",
                  "E": "ngành cung cấp nước, hoạt động quản lý và xử lý rác thải, nước thải"},
           "en": {"B": "mining", "C": "manufacturing", "D": "electricity", "E": "water supply and waste management"}}
OWNER = {"vi": {"state": "khu vực doanh nghiệp Nhà nước", "nonstate": "khu vực doanh nghiệp ngoài Nhà nước",
                "fdi": "khu vực doanh nghiệp có vốn đầu tư trực tiếp nước ngoài"},
         "en": {"state": "state-owned enterprises", "nonstate": "domestic private enterprises",
                "fdi": "foreign-invested enterprises"}}


def sentence_case(name: str) -> str:
    """A name inside a sentence: the first letter lowered unless the first word is an acronym or mixed case
    ("Xi măng" -> "xi măng"; "NPK compound fertiliser" and "LNG" stay as they are)."""
    first = name.split(" ", 1)[0]
    if not name or any(ch.isupper() for ch in first[1:]) or any(ch.isdigit() for ch in first):
        return name
    return name[:1].lower() + name[1:]


def division_name_en(name: str) -> str:
    """A division as an economist names it: "Manufacture of beverages" -> "beverages"."""
    for prefix in ("Manufacture of ", "Production of "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return sentence_case(name)


def names(d: ReleaseData, lang: str) -> dict[str, str]:
    """Code -> the name a sentence uses: sections, divisions, products (case kept), provinces, ownership."""
    col = f"name_{lang}"
    nm = dict(province_names(lang))
    div = d.national[d.national["level"] == "division"]
    nm.update({c: (sentence_case(n) if lang == "vi" else division_name_en(n)) for c, n in zip(div["code"], div[col])})
    if not d.products.empty:
        nm.update({c: sentence_case(str(n)) for c, n in zip(d.products["product_code"], d.products[col])})
    nm.update(SECTION[lang])
    nm.update(OWNER[lang])
    return nm


def _date(x: dt.date, lang: str, pattern: dict[str, str]) -> str:
    return format_date(x, pattern[lang], locale=LOCALE[lang])


def month_name(period: str, lang: str) -> str:
    """'tháng 7/2023' / 'July 2023' (Babel)."""
    return _date(first_day(period), lang, {"vi": "'tháng' M/y", "en": "MMMM y"})


def day(x: dt.date, lang: str) -> str:
    """'22/1/2023' / '22 January 2023' (Babel)."""
    return _date(x, lang, {"vi": "d/M/y", "en": "d MMMM y"})


def num(x, lang: str, decimals: int = 1) -> str:
    """|x| with ``decimals`` in the language's form (the sign is said by the verb)."""
    return fmt(abs(x), decimals, lang=lang)


def change(f: dict, lang: str, *, qualify: bool = True) -> str:
    """'tăng 3,6%' / 'rose 3.6%' (the sign in the verb), 'ước tính tăng' / 'rose an estimated' for an estimate."""
    v, est = f["value"], qualify and f.get("status") == "estimate"
    if lang == "vi":
        word = "giữ nguyên" if v == 0 else f"{'tăng' if v > 0 else 'giảm'} {num(v, lang)}%"
        return ("ước tính " if est else "") + word
    if v == 0:
        return "was unchanged" + (" (estimate)" if est else "")
    return f"{'rose' if v > 0 else 'fell'} {'an estimated ' if est else ''}{num(v, lang)}%"


def then_en(first: dict, second: dict) -> str:
    """The second of two changes in one English sentence: 'and 1.2%' (same direction) or 'but fell 0.5%'."""
    if (first["value"] > 0) == (second["value"] > 0) and second["value"] != 0 and first["value"] != 0:
        est = second.get("status") == "estimate" and first.get("status") != "estimate"
        return f"and {'an estimated ' if est else ''}{num(second['value'], 'en')}%"
    return f"{'but ' if second['value'] != 0 else 'and '}{change(second, 'en', qualify=False)}"


def signed(f: dict, lang: str) -> str:
    """'+3.6%' / '-0,7%' for lists."""
    return fmt(f["value"], 1, lang=lang, sign=True) + "%"


def points(f: dict, lang: str) -> str:
    """'đóng góp 2,6 điểm phần trăm' / '2.6 percentage points' (negative: 'làm giảm' / 'minus')."""
    v = f["value"]
    if lang == "vi":
        return f"{'đóng góp' if v >= 0 else 'làm giảm'} {num(v, lang)} điểm phần trăm"
    return f"{'' if v >= 0 else 'minus '}{num(v, lang)} percentage points"


class Facts:
    """The facts, looked up by key and node."""

    def __init__(self, facts: list[dict]):
        self.facts = facts

    def get(self, key: str, node: str | None = None) -> dict | None:
        """The first fact named ``key`` (of ``node`` when given), None when absent."""
        return next((f for f in self.facts if f["key"] == key and (node is None or f["node"] == node)), None)

    def all(self, key: str, **match) -> list[dict]:
        """Every fact named ``key`` whose fields equal ``match``."""
        return [f for f in self.facts if f["key"] == key and all(f.get(k) == v for k, v in match.items())]


def _join(items: list[str], lang: str) -> str:
    if lang == "vi" or len(items) < 2:
        return "; ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _months_en(period: str) -> str:
    return f"the first {NUMBER_EN[month_of_year(period)]} months of {period[:4]}"


def sections_list(f: Facts, secs: list[dict], contrib: str, lang: str, nm: dict) -> str:
    """The sections' growth, each with its contribution (points) where there is one: " Trong đó, ngành chế biến,
    chế tạo tăng 8,6%, đóng góp 6,5 điểm phần trăm vào mức tăng chung; ..." / " By sector: manufacturing +8.6%
    (6.5 percentage points of the total), ..."."""
    if not secs:
        return ""
    parts = []
    for x in secs:
        c = f.get(contrib, x["node"])
        if lang == "vi":
            parts.append(f"{nm[x['node']]} {change(x, lang, qualify=False)}"
                         + (f", {points(c, lang)} vào mức tăng chung" if c else ""))
        else:
            parts.append(f"{nm[x['node']]} {signed(x, lang)}" + (f" ({points(c, lang)} of the total)" if c else ""))
    return (" Trong đó, " + "; ".join(parts) if lang == "vi" else " By sector: " + ", ".join(parts)) + "."


def month(f: Facts, d: ReleaseData, lang: str, nm: dict) -> list[str]:
    """The month's paragraph: the national yoy and mom, each section's yoy (GSO's opening)."""
    t, mom, prev = f.get("yoy", "TOTAL"), f.get("mom", "TOTAL"), f.get("prev_yoy", "TOTAL")
    if t is None:
        return ["Số liệu toàn ngành không công bố." if lang == "vi" else "The national total is not published."]
    secs = [x for x in f.all("yoy") if x["node"] != "TOTAL"]
    m = month_name(d.period, lang)
    revised = t["status"] == "actual" and d.source == "published"    # a later workbook's figure (--as-of)
    if lang == "vi":
        s = f"Chỉ số sản xuất toàn ngành công nghiệp (IIP) {m} "
        s += (f"{change(mom, lang)} so với tháng trước và {change(t, lang, qualify=t['status'] != mom['status'])}"
              if mom else change(t, lang)) + " so với cùng kỳ năm trước" + (" (số liệu chính thức)" if revised
                                                                            else "") + "."
        s += sections_list(f, secs, "contrib_yoy", lang, nm)
        out = [s]
        if prev:
            out.append(f"Theo số liệu chính thức, IIP {month_name(prev['period'], lang)} "
                       f"{change(prev, lang)} so với cùng kỳ năm trước.")
    else:
        s = f"Industrial production {change(t, lang)}{' (revised)' if revised else ''} in {m} from a year earlier"
        s += f" {then_en(t, mom)} from the previous month." if mom else "."
        s += sections_list(f, secs, "contrib_yoy", lang, nm)
        out = [s]
        if prev:
            out.append(f"Revised data put {month_name(prev['period'], lang).split()[0]}'s year-on-year growth at "
                       f"{signed(prev, lang)}.")
    q = f.get("quarter_yoy")
    if q:
        y, n = q["period"][:4], int(q["period"][-1])
        out.append(f"Tính chung quý {ROMAN[n]}/{y}, IIP {change(q, lang)} so với cùng kỳ năm trước." if lang == "vi"
                   else f"Over the {QUARTER_EN[n]} quarter of {y}, output {change(q, lang)} year on year.")
    return out


def cumulative(f: Facts, d: ReleaseData, lang: str, nm: dict) -> list[str]:
    """The year-to-date paragraph: the national ytd and each section's."""
    t, out = f.get("ytd", "TOTAL"), []
    mth = month_of_year(d.period)
    if t is not None:
        secs = [x for x in f.all("ytd") if x["node"] != "TOTAL"]
        if lang == "vi":
            head = f"Tính chung {mth} tháng năm {d.period[:4]}" if mth > 2 else \
                f"Tính chung 2 tháng đầu năm {d.period[:4]}"
            s = f"{head}, IIP {change(t, lang)} so với cùng kỳ năm trước."
            s += sections_list(f, secs, "contrib_ytd", lang, nm)
        else:
            s = f"Over {_months_en(d.period)}, industrial production {change(t, lang)} on a year earlier."
            s += sections_list(f, secs, "contrib_ytd", lang, nm)
        out.append(s)
    top, bottom = f.all("division_top"), f.all("division_bottom")
    if top:
        span = f"{mth} tháng năm {d.period[:4]}" if mth > 1 else month_name(d.period, lang)
        if lang == "vi":
            out.append(f"Chỉ số sản xuất {span} so với cùng kỳ năm trước của một số ngành cấp II tăng cao: "
                       + "; ".join(f"{nm[x['node']]} {change(x, lang, qualify=False)}" for x in top) + ". "
                       "Ở chiều ngược lại, một số ngành có chỉ số sản xuất tăng thấp hoặc giảm: "
                       + "; ".join(f"{nm[x['node']]} {change(x, lang, qualify=False)}" for x in bottom) + ".")
        else:
            span = _months_en(d.period) if mth > 1 else month_name(d.period, lang)
            out.append(f"Among divisions, growth over {span} was strongest in "
                       + _join([f"{nm[x['node']]} ({signed(x, lang)})" for x in top], lang) + ", and weakest in "
                       + _join([f"{nm[x['node']]} ({signed(x, lang)})" for x in bottom], lang) + ".")
    return out


def tet(f: Facts, d: ReleaseData, lang: str) -> list[str]:
    """Where Tet fell this year and last, and the January-February reading that removes its effect."""
    a, b = f.get("tet_date"), f.get("tet_date_prev")
    if not a or not b:
        return []
    ta, tb = dt.date.fromisoformat(a["value"]), dt.date.fromisoformat(b["value"])
    jf = f.get("janfeb_yoy")
    if lang == "vi":
        s = (f"Tết Nguyên đán năm {ta.year} rơi vào ngày {day(ta, lang)} (năm {tb.year}: ngày {day(tb, lang)}), nên "
             "số ngày làm việc của tháng 1 và tháng 2 khác nhau giữa hai năm; so sánh chung hai tháng đầu năm loại "
             "bỏ ảnh hưởng này")
        s += f": tính chung 2 tháng, IIP {change(jf, lang)} so với cùng kỳ năm trước." if jf else \
            " và sẽ được công bố cùng số liệu tháng 2."
    else:
        s = (f"Tet fell on {day(ta, lang)} this year and on {day(tb, lang)} in {tb.year}, which moves working days "
             "between January and February; the two months together are free of the shift")
        s += f", and over them output {change(jf, lang)} year on year." if jf else \
            " and will be reported with February's figures."
    return [s]


def provinces(f: Facts, d: ReleaseData, lang: str, nm: dict) -> list[str]:
    """How many provinces rose and fell (yoy, ytd), with the confidential ones counted apart."""
    out, total = [], int(province_units(d.period))
    for measure in ("yoy", "ytd"):
        up, down = f.all("provinces_rose", measure=measure), f.all("provinces_fell", measure=measure)
        if not up or not down:
            continue
        c = f.all("provinces_confidential", measure=measure)
        conf = c[0]["value"] if c else 0
        rose, fell = up[0]["value"], down[0]["value"]
        n = lambda x: fmt(x, 0, lang=lang)  # noqa: E731
        if lang == "vi":
            span = month_name(d.period, lang) if measure == "yoy" else f"{month_of_year(d.period)} tháng năm {d.period[:4]}"
            s = f"So với cùng kỳ năm trước, IIP {span} tăng ở {n(rose)} và giảm ở {n(fell)} trên tổng số {total} địa phương"
            s += f"; {n(conf)} địa phương không công bố để bảo mật thông tin doanh nghiệp" if conf else ""
        else:
            span = f"In {month_name(d.period, lang)}" if measure == "yoy" else f"Over {_months_en(d.period)}"
            s = (f"{span}, output rose year on year in {n(rose)} of the {total} provinces and fell in "
                 f"{n(fell) if fell else 'none'}")
            s += f"; {n(conf)} are withheld for confidentiality" if conf else ""
        out.append(s + ".")
    top = f.all("province_mfg_top")
    if top:
        items = [f"{nm.get(x['node'], x['node'])} {change(x, lang, qualify=False)}" if lang == "vi" else
                 f"{nm.get(x['node'], x['node'])} ({signed(x, lang)})" for x in top]
        out.append("Một số địa phương có chỉ số sản xuất ngành chế biến, chế tạo tăng cao: " + "; ".join(items) + "."
                   if lang == "vi" else "Manufacturing grew fastest in " + _join(items, lang) + ".")
    return out


def ownership(f: Facts, d: ReleaseData, lang: str, nm: dict) -> list[str]:
    """Growth by ownership type (state, non-state, foreign-invested) beside the national figure."""
    out = []
    for key, whole in (("ownership_yoy", f.get("yoy", "TOTAL")), ("ownership_ytd", f.get("ytd", "TOTAL"))):
        xs = sorted(f.all(key), key=lambda x: -x["value"])
        if not xs or whole is None:
            continue
        if lang == "vi":
            span = month_name(d.period, lang) if key == "ownership_yoy" else \
                f"{month_of_year(d.period)} tháng năm {d.period[:4]}"
            verb = "tăng" if whole["value"] >= 0 else "giảm"
            out.append("Xét theo loại hình doanh nghiệp, " + "; ".join(f"{nm[x['node']]} {points(x, lang)}"
                                                                       for x in xs)
                       + f" vào mức {verb} {num(whole['value'], lang)}% của IIP {span} so với cùng kỳ năm trước.")
        else:
            span = "the month's" if key == "ownership_yoy" else "the year-to-date"
            rest = [f"{nm[x['node']]} {'minus ' if x['value'] < 0 else ''}{num(x['value'], lang)}" for x in xs[1:]]
            out.append(f"By ownership, {nm[xs[0]['node']]} contributed {points(xs[0], lang)} of {span} "
                       f"{signed(whole, lang)} change" + (", " + _join(rest, lang) if rest else "") + ".")
    return out


def products(f: Facts, d: ReleaseData, lang: str, nm: dict) -> list[str]:
    """Main products that rose and fell the most (the month, and year to date)."""
    out = []
    for up_key, down_key, span_vi in (("product_up", "product_down", month_name(d.period, "vi")),
                                      ("product_ytd_up", "product_ytd_down",
                                       f"{month_of_year(d.period)} tháng năm {d.period[:4]}")):
        up, down = f.all(up_key), f.all(down_key)
        if not (up or down):
            continue
        if lang == "vi":
            s = f"Một số sản phẩm công nghiệp chủ lực {span_vi} tăng so với cùng kỳ năm trước: " + "; ".join(
                f"{nm[x['node']]} {change(x, lang, qualify=False)}" for x in up) + "." if up else ""
            s += (" Ở chiều ngược lại, một số sản phẩm giảm: " + "; ".join(
                f"{nm[x['node']]} {change(x, lang, qualify=False)}" for x in down) + ".") if down else ""
        else:
            span = month_name(d.period, lang) if up_key == "product_up" else _months_en(d.period)
            s = f"Among main products in {span}, output of " + _join(
                [f"{nm[x['node']]} ({signed(x, lang)})" for x in up], lang) + " rose most" if up else ""
            s += ((", while " if up else f"Among main products in {span}, ")
                  + _join([f"{nm[x['node']]} ({signed(x, lang)})" for x in down], lang) + " fell most") if down else ""
            s += "."
        out.append(s.strip())
    return out


def companions(f: Facts, d: ReleaseData, lang: str) -> list[str]:
    """Consumption and inventory of manufacturing, and labour usage, as GSO states them."""
    out, m = [], month_name(d.period, lang)
    end = last_day(d.period)
    cm, cy, ct = f.get("consumption_mom"), f.get("consumption_yoy"), f.get("consumption_ytd")
    im, iy = f.get("inventory_mom"), f.get("inventory_yoy")
    lm, ly = f.get("labour_mom", "TOTAL"), f.get("labour_yoy", "TOTAL")
    own = [x for x in f.all("labour_yoy") if x["node"] != "TOTAL"]
    if lang == "vi":
        if cy:
            s = "Chỉ số tiêu thụ toàn ngành chế biến, chế tạo " + m + " " + (
                f"{change(cm, lang)} so với tháng trước và " if cm else "") + \
                f"{change(cy, lang, qualify=not cm)} so với cùng kỳ năm trước."
            s += f" Tính chung {month_of_year(d.period)} tháng, chỉ số tiêu thụ {change(ct, lang)} so với cùng kỳ năm trước." if ct else ""
            out.append(s)
        if iy:
            out.append(f"Chỉ số tồn kho toàn ngành chế biến, chế tạo tại thời điểm {day(end, lang)} "
                       + (f"{change(im, lang)} so với cùng thời điểm tháng trước và " if im else "")
                       + f"{change(iy, lang, qualify=not im)} so với cùng thời điểm năm trước.")
        if ly:
            s = (f"Số lao động đang làm việc trong các doanh nghiệp công nghiệp tại thời điểm "
                 f"{day(first_day(d.period), lang)} " + (f"{change(lm, lang)} so với cùng thời điểm tháng trước và "
                                                     if lm else "")
                 + f"{change(ly, lang, qualify=not lm)} so với cùng thời điểm năm trước.")
            s += (" Trong đó, lao động " + "; ".join(f"{OWNER[lang][x['node']]} {change(x, lang, qualify=False)}"
                                                    for x in own) + ".") if own else ""
            out.append(s)
    else:
        if cy:
            out.append(f"Manufacturing sales (the consumption index) {change(cy, lang)} year on year in {m}"
                       + (f" {then_en(cy, cm)} from the previous month" if cm else "")
                       + (f"; over {_months_en(d.period)} they {change(ct, lang, qualify=False)}." if ct else "."))
        if iy:
            out.append(f"Manufacturers' inventories at {day(end, lang)} {change(iy, lang)} on a year earlier"
                       + (f" {then_en(iy, im)} on a month earlier." if im else "."))
        if ly:
            out.append(f"Employment in industrial enterprises on {day(first_day(d.period), lang)} {change(ly, lang)} "
                       "year on year" + (f" {then_en(ly, lm)} on the month" if lm else "")
                       + ((" (" + ", ".join(f"{OWNER[lang][x['node']]} {signed(x, lang)}" for x in own) + ")")
                          if own else "") + ".")
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
    f, nm = Facts(facts), names(d, lang)
    title = (f"# Tình hình sản xuất công nghiệp {month_name(d.period, lang)}" if lang == "vi" else
             f"# Industrial production, {month_name(d.period, lang)}")
    paras = (provisional(d, lang) + month(f, d, lang, nm) + cumulative(f, d, lang, nm) + tet(f, d, lang) + provinces(f, d, lang, nm)
             + ownership(f, d, lang, nm) + products(f, d, lang, nm) + companions(f, d, lang))
    if d.source == "compiled":
        src = "Nguồn: số liệu biên soạn từ báo cáo doanh nghiệp (iip)." if lang == "vi" else \
            "Source: compiled from enterprise reports (iip)."
    else:
        when = f" ({'as of' if lang == 'en' else 'số liệu đến ngày'} {d.as_of.isoformat()})" if d.as_of else ""
        src = ("Nguồn: số liệu công bố của Tổng cục Thống kê" if lang == "vi" else "Source: GSO published figures") \
            + when + "."
    return "\n\n".join([title] + paras + [f"*{src}*"]) + "\n"


_MD = MarkdownIt("commonmark", {"html": False})


def to_html(markdown: str) -> str:
    """The narrative's Markdown as an HTML fragment (markdown-it-py, CommonMark; raw HTML is escaped)."""
    return _MD.render(markdown)
