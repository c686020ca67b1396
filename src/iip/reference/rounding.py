"""GSO's rounding and number formatting, written once for the CLI, the dashboard, releases and exports.

* :func:`round_half_up` -- the one rounding: decimal arithmetic on the shortest decimal form of the value
  (``repr``), halves away from zero: 2.675 -> 2.68 (a float stored as 2.67499999...), -0.75 -> -0.8.
* Tables show indices with :data:`TABLE_DECIMALS` (2) decimals: 103.685 -> 103.69.
* Text states a growth rate as the index rounded to :data:`TEXT_DECIMALS` (1) decimal, minus 100
  (:func:`growth_from_index`): 101.35 -> 101.4 -> +1.4%; 98.95 -> 99.0 -> -1.0%; 99.33 -> 99.3 -> -0.7%.
  Rounding the growth instead (101.35 - 100 = 1.3499999... in binary) would print 1.3%.
* :func:`fmt` prints a rounded number the way each language writes it, with Babel's locale data:
  ``1.234,5`` in Vietnamese, ``1,234.5`` in English. The value is rounded here first, so Babel (which would
  round half to even) only lays out digits.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import NumberFormatError, parse_decimal
from babel.numbers import format_decimal as _babel_format

from iip.errors import ValidationError

TEXT_DECIMALS = 1
TABLE_DECIMALS = 2
LOCALES = {"vi": "vi_VN", "en": "en_US"}


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def round_half_up(x: float | Decimal | None, decimals: int = TEXT_DECIMALS) -> Decimal | None:
    """``x`` rounded to ``decimals`` places, halves away from zero, in decimal arithmetic on ``repr(x)``;
    None/NaN -> None; infinities are refused (they are never a figure)."""
    if _missing(x):
        return None
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x)))  # type: ignore[arg-type]
    if not d.is_finite():
        raise ValueError(f"cannot round a non-finite value {x!r}")
    return d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def gso_round(x: float | Decimal | None, decimals: int = TEXT_DECIMALS) -> float | None:
    """:func:`round_half_up` as a float (for tables, CSV and JSON); None/NaN -> None."""
    r = round_half_up(x, decimals)
    return None if r is None else float(r)


def growth_from_index(index: float | Decimal | None, decimals: int = TEXT_DECIMALS) -> Decimal | None:
    """The growth rate (percent) a text states for a 100-based index: the index rounded half up to
    ``decimals`` places, minus 100 (101.35 -> 1.4; 98.95 -> -1.0; 99.33 -> -0.7)."""
    r = round_half_up(index, decimals)
    return None if r is None else r - 100


def fmt(x: float | Decimal | None, decimals: int = TEXT_DECIMALS, *, lang: str = "en", sign: bool = False) -> str:
    """``x`` rounded half up to ``decimals`` places and written in ``lang`` (vi: ``1.234,5``; en:
    ``1,234.5``); ``sign`` adds '+' to positive numbers; a value that rounds to zero has no sign. None -> '..'."""
    r = round_half_up(x, decimals)
    if r is None:
        return ".."
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = _babel_format(abs(r), format=pattern, locale=LOCALES.get(lang, "en_US"), decimal_quantization=False)
    if r < 0:
        return "-" + text
    return ("+" if sign and r > 0 else "") + text


def fmt_growth(index: float | Decimal | None, *, lang: str = "en", sign: bool = True,
               decimals: int = TEXT_DECIMALS) -> str:
    """A growth rate as text states it, from the index (:func:`growth_from_index`): 103.69 -> '+3.7'."""
    return fmt(growth_from_index(index, decimals), decimals, lang=lang, sign=sign)


def parse_number(text: str, *, lang: str, field: str = "value") -> float:
    """A number as a person writes it in ``lang`` ('1.234,5' in vi, '1,234.5' in en; a leading '+' allowed).
    A ValidationError naming ``field`` when it is not a number. Strict: a separator in the wrong place is refused,
    never guessed ('1.4' in Vietnamese is neither 1.4 nor 14; '1,4' in English neither)."""
    t = str(text).strip().lstrip("+")
    try:
        return float(parse_decimal(t, locale=LOCALES.get(lang, "en_US"), strict=True))
    except (NumberFormatError, InvalidOperation, ValueError):
        raise ValidationError.one(f"{field} {text!r} is not a number", field=field, rule="numeric") from None
