"""Text typed in the legacy TCVN3 (ABC) font encoding, decoded to Unicode.

Before Unicode, Vietnamese spreadsheets were typed in 8-bit fonts (``.VnTime``, ``.VnArial``): the cell stores
bytes of TCVN 5712:1993 "VN3" (TCVN3, the ABC code), which a reader shows as Latin-1 characters
('S¶n phÈm c«ng nghiÖp' = 'Sản phẩm công nghiệp'). GSO's workbooks of 2000-2010 are mostly typed so, some
sheets half and half. The mapping below is the VN3 table (bytes 0xA1-0xFE; the 134 Vietnamese letters that are
not ASCII); no well-kept PyPI package provides it (Python's codecs have cp1258, a different encoding).
Upper-case text typed in the ``.VnTimeH`` font uses the lower-case codes, so it decodes to lower case --
harmless for matching, which folds case anyway.

Deciding what to decode: a cell holding a letter only Unicode Vietnamese has (ư, ạ, ế ...) is Unicode and left
alone, unless it also holds a marker (then its words without such letters are decoded); a cell holding a *marker* (a VN3 character that Vietnamese Unicode text never contains: ¸ µ ¶ Ö ® ...) is
TCVN3; a cell of Latin-1 letters only ('Tèi' = 'Tối') is TCVN3 when its sheet has more TCVN3 cells than
Unicode ones; in a sheet with fewer, its words that read as TCVN3 only ('so víi' = 'so với', 'tÝnh' = 'tính':
vowels that form no Vietnamese syllable unless decoded, an accented capital inside a word) are decoded.
"""
from __future__ import annotations

import re
import unicodedata

#: TCVN3 (VN3) byte -> Unicode letter, for the bytes 0xA1-0xFE that carry Vietnamese letters.
TCVN3_TABLE = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ",
    0xC6: "ặ", 0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ", 0xCC: "è",
    0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ", 0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị", 0xDF: "ò",
    0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ", 0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ", 0xEF: "ù",
    0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ", 0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}
_DECODE = str.maketrans({chr(b): u for b, u in TCVN3_TABLE.items()})
#: Latin-1 letters that Vietnamese Unicode text uses itself (so they prove nothing about the encoding).
_VIETNAMESE_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
MARKERS = re.compile("[" + "".join(re.escape(chr(b)) for b in TCVN3_TABLE if chr(b) not in _VIETNAMESE_LATIN1) + "]")
#: Letters only Unicode Vietnamese text has: ă đ ĩ ũ ơ ư (Latin Extended), the toned letters, combining marks.
_BEYOND_LATIN1 = re.compile("[\u0100-\u01b0\u0300-\u0323\u1ea0-\u1ef9]")
_LATIN1_LETTER = re.compile("[\u00a1-\u00ff]")


def decode_tcvn3(text: str) -> str:
    """TCVN3 text as read through Latin-1 -> Unicode (NFC precomposed): 'Thùc hiÖn th¸ng' -> 'Thực hiện tháng'."""
    return text.translate(_DECODE)


#: Vowel nuclei of Vietnamese syllables, tone marks removed (after the onsets 'gi' and 'qu').
NUCLEI = set("""a ai ao au ay ă â âu ây e eo ê êu i ia iu iê iêu o oa oai oay oă oe oi oo ô ôi ơ ơi u ua uâ uây uê
ui uô uôi uơ uy uya uyê uyu ư ưa ưi ưu ươ ươi ươu y yê yêu""".split())
_TONES = dict.fromkeys(map(ord, "\u0300\u0301\u0303\u0309\u0323"))
_VOWEL_RUN = re.compile("[aăâeêioôơuưy]+")


def _syllable_ok(word: str) -> bool:
    """True when a word's vowels form a Vietnamese nucleus ('với' -> 'ơi' yes; 'víi' -> 'ii' no)."""
    base = unicodedata.normalize("NFC", unicodedata.normalize("NFD", word.lower()).translate(_TONES))
    base = re.sub(r"^(gi|qu)(?=[aăâeêioôơuưy])", "", base)
    runs = _VOWEL_RUN.findall(base)
    return len(runs) <= 1 and all(r in NUCLEI for r in runs)


def _legacy_word(word: str) -> bool:
    """A word of Latin-1 letters only that reads as TCVN3 and not as Unicode: an accented capital after a
    small letter ('tÝnh'), or vowels that are no Vietnamese nucleus unless decoded ('víi' = 'với')."""
    if re.search(r"[a-z][ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ]", word):
        return True
    return not _syllable_ok(word) and _syllable_ok(decode_tcvn3(word))


def decode_words(text: str) -> str:
    """A cell typed half in Unicode, half in TCVN3 ('Dầu thùc vËt tinh luyÖn'): each word without a
    Unicode-only letter is decoded ('Dầu thực vật tinh luyện')."""
    return re.sub(r"\S+", lambda m: m[0] if _BEYOND_LATIN1.search(m[0]) else decode_tcvn3(m[0]), text)


def is_tcvn3(text: str) -> bool:
    """True when a cell's text carries a TCVN3 marker and nothing beyond Latin-1 (so it is not Unicode)."""
    return MARKERS.search(text) is not None and _BEYOND_LATIN1.search(text) is None


def decode_rows(rows: list[list]) -> list[list]:
    """A sheet's rows with every TCVN3 text cell decoded (see the module doc for the rule); rows without
    any TCVN3 text are returned as they are (the same list)."""
    texts = [c for row in rows for c in row if type(c) is str]
    if not texts or MARKERS.search("\n".join(texts)) is None:
        return rows
    legacy = sum(map(is_tcvn3, texts))
    unicode = sum(_BEYOND_LATIN1.search(t) is not None for t in texts)
    mostly_legacy = legacy > unicode

    def cell(c: object) -> object:
        if not isinstance(c, str) or not _LATIN1_LETTER.search(c):
            return c
        if _BEYOND_LATIN1.search(c):
            return decode_words(c) if MARKERS.search(c) else c
        if MARKERS.search(c) or mostly_legacy:
            return decode_tcvn3(c)
        return re.sub(r"\S+", lambda m: decode_tcvn3(m[0]) if _legacy_word(m[0]) else m[0], c)
    return [[cell(c) for c in row] for row in rows]
