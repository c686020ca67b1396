"""GSO rounding and number formatting: half away from zero, on the decimal value a reader sees.

``gso_round(x, d)``: round x to d decimals, halves away from zero (2.25 -> 2.3, -0.75 -> -0.8), computed on the
shortest decimal representation of x (``repr``), so 2.675 (stored as 2.67499999...) still rounds to 2.68 as a
person reading "2.675" expects. Text uses 1 decimal, tables 2 (docs/methods/release.md).
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

TEXT_DECIMALS = 1
TABLE_DECIMALS = 2


def gso_round(x: float | None, decimals: int = TEXT_DECIMALS) -> float | None:
    """x rounded to ``decimals`` places, halves away from zero; None/NaN pass through as None."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    q = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def fmt(x: float | None, decimals: int = TEXT_DECIMALS, *, lang: str = "en", sign: bool = False) -> str:
    """Format a rounded number: decimal comma and dot thousands separator in Vietnamese, decimal point and
    comma separator in English; ``sign`` adds '+' to positive numbers. None -> '..'."""
    r = gso_round(x, decimals)
    if r is None:
        return ".."
    s = f"{abs(r):,.{decimals}f}"
    if lang == "vi":
        s = s.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    neg = r < 0
    return ("-" if neg else ("+" if sign and r > 0 else "")) + s


def parse_number(text: str, *, lang: str) -> float:
    """Inverse of :func:`fmt` (used by the tests that re-read the narrative)."""
    t = text.strip().replace("+", "")
    if lang == "vi":
        t = t.replace(".", "").replace(",", ".")
    else:
        t = t.replace(",", "")
    return float(t)
