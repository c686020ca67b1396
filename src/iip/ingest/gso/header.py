"""Header grammar of GSO's monthly tables: what a column measures.

A column header is the text of its header cells joined top to bottom, e.g.
``"Ước tính tháng 7 năm 2023 so với cùng kỳ năm trước"``. It is read as::

    [status] REFERENCE [so với BASE]

* status: ``Ước tính``/``Ước`` -> estimate; ``Thực hiện``/``Chính thức`` -> actual; else None
  (decided later from the release: the release month's own figures are estimates).
* REFERENCE: ``Tháng M [năm Y]`` (a month), ``N tháng [đầu] [năm Y]`` (cumulative to month N),
  ``Quý I..IV [năm Y]`` (a quarter), ``Năm Y`` / ``Cả năm`` (the year, cumulative to December),
  ``thời điểm D/M/Y`` (a point in time: labour, inventory).
* BASE: ``cùng kỳ``/``cùng thời điểm năm trước``/``tháng M năm Y-1`` -> year on year;
  ``tháng trước``/``cùng thời điểm tháng trước``/the previous month -> month on month.

The result is a :class:`Header` (period, measure, status); ``None`` when the text is not a header
the importer understands (the caller warns).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable

ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class Header:
    """What one column header of a GSO table means: the period, the measure, estimate or actual, and
    what the reference of a growth rate was."""
    period: str          # YYYY-MM, YYYY-Qn
    measure: str         # mom | yoy | ytd_yoy | level | ytd_level
    status: str | None   # estimate | actual | None (decide from the release)
    kind: str = ""       # month | cum | quarter | year | point (what the REFERENCE was)


def fold(text: object) -> str:
    """Lower-case, strip Vietnamese diacritics (đ -> d), keep letters, digits, '/', ':', spaces."""
    s = unicodedata.normalize("NFD", str(text or "")).replace("\u0111", "d").replace("\u0110", "d")
    s = "".join(c for c in s if unicodedata.category(c) != "Mn").lower()
    s = re.sub(r"[^a-z0-9/:;,.\s]", " ", s)
    return re.sub(r"\s+", " ", s).strip()


_MONTHS = {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
           "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
           "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12}
_ORD = {"1st": "i", "first": "i", "2nd": "ii", "2sd": "ii", "second": "ii", "3rd": "iii", "third": "iii",
        "4th": "iv", "fourth": "iv"}
_MON = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ENGLISH = re.compile(r"\b(versus|compared?|quarter|months?|performance|estimated?|accrued|accumulation|"
                      r"same period|as of|consumption|inventory|lei|" + _MON + r")\b")
_EN_RULES: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [  # folded English header -> the Vietnamese grammar below (applied in order)
    (r"\bas of (" + _MON + r")\.? (\d{1,2}) ?,? ?(\d{4})", lambda m: f"thoi diem {m[2]}/{_MONTHS[m[1]]}/{m[3]}"),
    (r"\b(" + "|".join(_ORD) + r") quarter\b", lambda m: f"quy {_ORD[m[1]]}"),
    (r"\bquarter ([1-4])\b", r"quy \1"),
    (r"\b(\d{1,2}) months?\b", r"\1 thang"),
    (r"\b(" + _MON + r")\b\.?", lambda m: f"thang {_MONTHS[m[1]]}"),
    (r"\bsame period (?:of |in )?last month\b", "thang truoc"),
    (r"\b(?:the )?same period (?:of |in )?(?:last year|\d{4})\b", "cung ky"),
    (r"\b(?:last|previous) month\b", "thang truoc"),
    (r"\b(?:versus|compared? (?:with|to)|over)\b", " so voi "),
    (r"\b(?:lei )?at (\d{1,2}/\d{1,2}/\d{4})", r"thoi diem \1"),
    (r"\bperformance\b|\bofficial\b", "thuc hien"),
    (r"\bestimated?\b|\bestimation\b", "uoc tinh"),
    (r"\b(?:accrued|accumulation|accumulated)\b", "cong don"),
    (r"\b(?:of|in|year) (\d{4})\b", r"nam \1"),
    (r"\b(thang \d{1,2}|\d{1,2} thang|quy [iv]+) (\d{4})\b", r"\1 nam \2"),
    (r"\b(?:consumption|inventory|labour employed) index\b|\blei\b|\bthe\b", " "),
]


def english_to_vi(t: str) -> str:
    """Folded English header ('september 2020 versus same period last year') -> the folded Vietnamese
    grammar ('thang 9 nam 2020 so voi cung ky'); text without English words is returned unchanged."""
    if not _ENGLISH.search(t):
        return t
    for pat, rep in _EN_RULES:
        t = re.sub(pat, rep, t)
    return re.sub(r"\s+", " ", t).strip()


_DROP = re.compile(r"don vi tinh\s*:?|chi so (tieu thu|ton kho|su dung lao dong|san xuat)|nganh cong nghiep")


def parse_status(t: str) -> str | None:
    """estimate for 'uoc tinh'/'uoc', actual for 'thuc hien'/'chinh thuc', else None."""
    if re.search(r"\buoc( tinh)?\b", t):
        return "estimate"
    if re.search(r"\bthuc hien\b|\bchinh thuc\b|\bso bo\b", t):
        return "actual"
    return None


def _year(m: re.Match | None, group: int, default: int | None) -> int | None:
    return int(m.group(group)) if m and m.group(group) else default


#: A header's REFERENCE: (kind, year or None when not printed, month (quarter for kind quarter), day or None).
Reference = tuple[str, int | None, int, int | None]


def parse_reference(t: str, *, year: int | None = None) -> Reference | None:
    """REFERENCE -> (kind, year, month, day); kind month|cum|quarter|year|point."""
    m = re.search(r"thoi diem (\d{1,2})/(\d{1,2})(?:/(\d{4}))?", t) or \
        re.search(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", t)
    if m:
        return "point", _year(m, 3, year), int(m.group(2)), int(m.group(1))
    m = re.search(r"\bqu[yi] (iv|i{1,3}|[1-4])\b(?:\D{0,12}?(\d{4}))?", t)
    if m:
        return "quarter", _year(m, 2, year), ROMAN[m.group(1)], None
    m = re.search(r"\b(\d{1,2}) thang(?: dau)?(?: nam)?(?: nam)?(?: |/|$)(\d{4})?", t)   # '4 tháng/2000
    if m and not re.search(r"thang\s*$", t[: m.start()]):
        return "cum", _year(m, 2, year), int(m.group(1)), None
    m = re.search(r"\bthang (\d{1,2})\b(?:(?: (?:nam )+|/)(\d{4}))?", t)     # 'tháng 10 năm 2023', 'tháng 10/2023'
    if m:
        return "month", _year(m, 2, year), int(m.group(1)), None
    m = re.search(r"\b(?:ca )?nam (?:nam )?(\d{4})", t) or re.search(r"\bca nam\b()", t)
    if m:
        return "year", _year(m, 1, year), 12, None
    return None


def parse_base(t: str, ref: tuple[str, int, int, int | None]) -> str | None:
    """BASE -> 'yoy' or 'mom' given the reference (kind, year, month, day)."""
    kind, y, mth, _ = ref
    if not t:
        return None
    if re.search(r"cung ky|cung thoi diem nam|nam truoc", t):
        return "yoy"
    if re.search(r"thang truoc|cung thoi diem thang truoc", t):
        return "mom"
    m = re.search(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b", t)
    if m and kind == "point":                         # 'tại 1/9/2020 so với 1/8/2020'
        bm, by = int(m.group(2)), int(m.group(3))
        if bm == mth and by == y - 1:
            return "yoy"
        if (bm, by) == ((mth - 1, y) if mth > 1 else (12, y - 1)):
            return "mom"
        return None
    m = re.search(r"thang (\d{1,2})\b(?: (?:nam )+(\d{4}))?", t)
    if m and kind in ("month", "point"):
        bm, year_of_base = int(m.group(1)), _year(m, 2, None)
        if bm == mth and (year_of_base is None or (y and year_of_base == y - 1)):
            return "yoy"
        if (bm == mth - 1 and (year_of_base is None or year_of_base == y)) or (mth == 1 and bm == 12):
            return "mom"
        return None
    if re.search(r"qu[yi] (iv|i{1,3}|[1-4])", t) and kind == "quarter":
        return "yoy"
    m = re.search(r"\bnam (\d{4})|thang/(\d{4})", t)              # 'so năm 2012', 'so với 4 tháng/1999'
    if m and (y is None or int(m.group(1) or m.group(2)) == y - 1):
        return "yoy"
    return None


def period_of(ref: tuple, *, indicator: str = "production") -> str:
    """Period label: YYYY-MM for months/cumulations/points, YYYY-Qn for quarters.

    Points in time: labour at 1/7 -> July; inventory at 31/12 -> December, at 1/8 -> July
    (a stock on the first day of a month is the closing stock of the month before).
    """
    kind, y, m, d = ref
    if kind == "quarter":
        return f"{y}-Q{m}"
    if kind == "point" and indicator == "inventory" and d == 1:
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return f"{y}-{m:02d}"


def parse_header(text: str, *, year: int | None = None, default_base: str = "",
                 indicator: str = "production") -> Header | None:
    """Column header text -> Header(period, measure, status), or None if not understood.

    ``year`` fills a reference without a year (e.g. 'Tháng 11 so với cùng kỳ');
    ``default_base`` is a table-wide 'So với ...' phrase printed once above several columns.
    """
    t = _DROP.sub(" ", english_to_vi(fold(text))).replace("so so voi", "so voi")
    t = re.sub(r"\s+", " ", t.replace("%", " ")).strip()
    status = parse_status(t)
    t = re.sub(r"(\d)o voi\b", r"\1 so voi", t)                  # '1/5/2021o với' (typo)
    parts = re.split(r"\bso voi\b|\bso (?=cung ky|cung thoi diem|nam \d{4}|thang \d)", t, maxsplit=1)
    left, sep, right = (parts[0], "so voi", parts[1]) if len(parts) == 2 else (t, "", "")
    if not sep:
        left, right = t, fold(default_base).partition("so voi")[2]
    ref = parse_reference(left, year=year)
    if ref is None and sep and parse_reference(right, year=year):   # 'So với cùng kỳ (%) Quý I năm 2019'
        m = re.search(r"\b(thuc hien|uoc tinh|qu[yi]|thang|\d{1,2} thang|nam \d{4})", right)
        if m is None:
            return None
        left, right = right[m.start():], "cung ky" if "cung ky" in right[: m.start()] else right[: m.start()]
        ref = parse_reference(left, year=year)
    if ref is None or ref[1] is None or not 1 <= ref[2] <= (4 if ref[0] == "quarter" else 12):
        return None
    base = parse_base(right.strip(), (ref[0], ref[1], ref[2], ref[3]))
    if base is None:
        if sep or default_base:
            return None
        measure = "ytd_level" if ref[0] in ("cum", "year") else "level"
        return Header(period_of(ref, indicator=indicator), measure, status, ref[0])
    kind = ref[0]
    if kind in ("cum", "year"):
        if base != "yoy":
            return None
        return Header(period_of(ref, indicator=indicator), "ytd_yoy", status, kind)
    if kind == "quarter" and base != "yoy":
        return None
    return Header(period_of(ref, indicator=indicator), base, status, kind)


#: Month names GSO writes in titles ('tháng Tám và tám tháng năm 2011'), folded.
_MONTH_WORDS = {"gieng": 1, "mot": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6, "bay": 7,
                "tam": 8, "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12, "chap": 12}
_MONTH_WORD = "|".join(sorted(_MONTH_WORDS, key=len, reverse=True))


def title_month(title: str) -> str | None:
    """The month a table title names, YYYY-MM, or None: '7. Chỉ số sản xuất công nghiệp tháng 10 và 10 tháng năm
    2025' -> 2025-10; 'tháng Tám và tám tháng năm 2011' -> 2011-08; 'Index of industrial production of September
    and 9 months in 2020' -> 2020-09. A title without a year (or without a month) names none."""
    t = english_to_vi(fold(title))
    m = re.search(r"\bthang (\d{1,2}|" + _MONTH_WORD + r")\b.*?\bnam (\d{4})\b", t)
    if not m:
        return None
    month = int(m.group(1)) if m.group(1).isdigit() else _MONTH_WORDS[m.group(1)]
    return f"{m.group(2)}-{month:02d}" if 1 <= month <= 12 else None
