"""Rules on the figures read from one workbook (dicts with indicator, area, node, period, measure, value, status,
file, sheet, cell): impossible values, figures printed twice, and year-to-date figures derived from others.

Pure: lists in, lists out; :mod:`iip.ingest.gso.parse` applies them to each workbook.
"""
from __future__ import annotations

import math

#: Measures that are indices in GSO's 100-based form (103.69 = +3.69 %); level and ytd_level are quantities.
INDEX_MEASURES = ("mom", "yoy", "ytd_yoy")
#: An index above this is impossible (a tenfold rise); such a cell is refused, never stored.
MAX_INDEX = 1000.0
#: Indicators that are flows over a period, so that their year to date can be read off a month or a quarter
#: (inventory is a stock and labour a head count at a date: neither has a year to date).
FLOWS = ("production", "consumption", "product_output")
#: Source period suffix -> the month whose year to date equals it: January's year to date is January itself,
#: March's is the first quarter.
YTD_EQUALS = {"-01": "-01", "-Q1": "-03"}


def impossible(value: float, measure: str) -> str | None:
    """Why a cell's value cannot be a published figure (None when it can): not a finite number, negative
    (an index or a quantity), or an index above :data:`MAX_INDEX`."""
    if not math.isfinite(value):
        return "not a finite number"
    if value < 0:
        return "negative (an index or a quantity cannot be)"
    if measure in INDEX_MEASURES and value > MAX_INDEX:
        return f"an index above {MAX_INDEX:,.0f} (a more than tenfold change)"
    return None


def figure_key(f: dict) -> tuple:
    """What identifies a figure within one workbook: (indicator, area, node, period, measure)."""
    return (f["indicator"], f["area"], f["node"], f["period"], f["measure"])


def dedupe(figures: list[dict], warnings: list[str]) -> list[dict]:
    """One figure printed twice in one workbook (the national row of the provincial labour table repeats
    the national table) is kept once; two different values for one figure are both kept and warned."""
    seen: dict[tuple, dict] = {}
    out = []
    for f in figures:
        key = figure_key(f)
        first = seen.setdefault(key, f)
        if first is f:
            out.append(f)
        elif abs(first["value"] - f["value"]) > 1e-9:
            out.append(f)
            warnings.append(f"{f['file']} [{f['sheet']}] {f['cell']}: {'/'.join(key)} = {f['value']:g} but "
                            f"[{first['sheet']}] {first['cell']} = {first['value']:g}; both kept")
    return out


def derived_figures(figures: list[dict]) -> list[dict]:
    """Year-to-date figures a workbook does not print because they equal one it does, so that a year-to-date
    series has no holes: ytd_yoy (ytd_level) of January = January's yoy (level); of March = the first
    quarter's yoy (level). Flows only (:data:`FLOWS`); only where the workbook prints no such figure itself.
    Each derived figure keeps its source's file, sheet and cell, has status ``derived`` and says what it was
    derived from (``derived_from`` = 'PERIOD MEASURE' of the source, e.g. '2023-Q1 yoy')."""
    have = {figure_key(f) for f in figures}
    out = []
    for f in figures:
        if f["indicator"] not in FLOWS or f["measure"] not in ("yoy", "level"):
            continue
        suffix = next((s for s in YTD_EQUALS if f["period"].endswith(s) and len(f["period"]) == 7), None)
        if suffix is None:
            continue
        derived = dict(f, period=f["period"][:4] + YTD_EQUALS[suffix], measure="ytd_" + f["measure"],
                       status="derived", derived_from=f"{f['period']} {f['measure']}")
        if figure_key(derived) not in have:
            have.add(figure_key(derived))
            out.append(derived)
    return out
