"""Normalisation of free-text row labels (GSO workbooks, questionnaires) for matching against names."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Look-alikes of 'đ' found in pasted text: Icelandic eth (ð/Ð) and the African D (ɖ/Ɖ).
_D_LOOKALIKES = str.maketrans({"ð": "đ", "Ð": "đ", "ɖ": "đ", "Ɖ": "đ", "Đ": "đ"})
# Old-style tone placement (hòa, thủy, khỏe) -> the style of the VSIC texts (hoà, thuỷ, khoẻ),
# only in open syllables (the diphthong ends the word).
_TONE_PAIRS = {
    "òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ",
    "òe": "oè", "óe": "oé", "ỏe": "oẻ", "õe": "oẽ", "ọe": "oẹ",
    "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ",
}
_TONE_RE = re.compile("(" + "|".join(_TONE_PAIRS) + r")(?![a-zà-ỹđ])")
# Leading enumeration: "1.", "1.2.", "1)", "(1)", "a)", "a.", "I.", "IV -", "-", "+", "*", "•".
_LEAD_RE = re.compile(
    r"^\s*(?:(?:\(?\d+(?:[.\-]\d+)*[.)]?|\(?[a-zđ][.)]|\(?[ivxlc]+[.)]|[-+*•–—])\s+|\d+(?:\.\d+)*[.)])\s*"
)
_WS_RE = re.compile(r"\s+")
# Trailing footnote markers: "(*)", "(**)", "(1)", "*".
_FOOTNOTE_RE = re.compile(r"(?:\s*(?:\(\*+\)|\(\d{1,2}\)|\*+))+$")
_END_PUNCT = " \t\n.,;:!?*-–—_/\\|·•'\"“”‘’"


def normalize_label(text: object) -> str:
    """Canonical form of a label for matching: NFC, lowercase, 'đ' look-alikes unified, old-style tone
    marks moved (hòa -> hoà), leading numbering ("1.", "1.2", "a)", "IV.", "-") and trailing footnote
    markers ("(*)", "(1)") removed, whitespace and line breaks collapsed to one space, punctuation
    stripped at both ends. Diacritics are kept.

    >>> normalize_label("  1. Khai  khoáng\\n")
    'khai khoáng'
    """
    if text is None:
        return ""
    s = unicodedata.normalize("NFC", str(text)).replace("\u00a0", " ")
    s = s.lower().translate(_D_LOOKALIKES)
    s = _WS_RE.sub(" ", s).strip()
    s = _FOOTNOTE_RE.sub("", s).strip(_END_PUNCT)
    previous = None
    while previous != s:  # "1. a) ..." -> strip repeatedly
        previous = s
        s = _LEAD_RE.sub("", s, count=1).strip(_END_PUNCT)
    s = _TONE_RE.sub(lambda m: _TONE_PAIRS[m.group(1)], s)
    return s


# Abbreviations GSO uses in row labels, expanded after folding (word boundaries, no diacritics).
_ABBREV = [(r"\bsx\b", "san xuat"), (r"\bsp\b", "san pham"), (r"\bhdg?\b", "hoat dong"),
           (r"\bcn\b", "cong nghiep"), (r"\btp\b", "thanh pho"), (r"\bdn\b", "doanh nghiep"),
           (r"\bth\b", "tong hop")]
# Lead-ins of sub-rows: 'Trong đó: Bia hơi', 'Chia ra: Thép tròn ...', 'Bia các loại - Trong đó'.
_LEAD_IN = re.compile(r"^(?:trong do|chia ra|bao gom|of which|in which)\b\s*|\s*\b(?:trong do|chia ra)$")


def fold_diacritics(text: str) -> str:
    """Strip Vietnamese diacritics (đ -> d), e.g. 'Đắk Lắk' -> 'Dak Lak'."""
    s = unicodedata.normalize("NFD", text).replace("\u0111", "d").replace("\u0110", "d")
    return unicodedata.normalize("NFC", "".join(c for c in s if unicodedata.category(c) != "Mn"))


def label_key(text: object) -> str:
    """Loose matching key built on :func:`normalize_label`: diacritics folded, every non-alphanumeric
    character a space, GSO abbreviations expanded (SX -> san xuat, SP -> san pham, HĐ -> hoat dong,
    CN -> cong nghiep, TP -> thanh pho, DN -> doanh nghiep, TH -> tong hop), sub-row lead-ins
    ('Trong đó:', 'Chia ra:') dropped, a lone leading roman numeral or section letter dropped.

    >>> label_key("SX  sản phẩm\\nđiện tử,")
    'san xuat san pham dien tu'
    >>> label_key("Xi măng")
    'xi mang'
    """
    return _label_key(text) if isinstance(text, str) else _label_key(normalize_label(text))


@lru_cache(maxsize=1 << 16)
def _label_key(text: str) -> str:
    """:func:`label_key` of a string, cached (a workbook repeats its labels in every table and release)."""
    s = fold_diacritics(normalize_label(text))
    s = re.sub(r"[^a-z0-9]+", " ", s).strip()
    for pat, rep in _ABBREV:
        s = re.sub(pat, rep, s)
    prev = None
    while prev != s:
        prev = s
        s = _LEAD_IN.sub("", s).strip()
    s = re.sub(r"^(?:[ivx]+|[a-e])\s+(?=\S+\s+\S)", "", s) if re.match(r"^(?:i{1,3}|iv|v|[a-e]) ", s) else s
    return re.sub(r"\s+", " ", s).strip()
