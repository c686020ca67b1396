"""Geography by date: the 63 provinces before 1 July 2025, the 34 provincial units from then on
(Resolution 202/2025/QH15), the six regions, and which provinces a period's figures are counted over.

Compiled area codes: ``VN``; a region code; an old province's 2-digit GSO code; ``N<code>`` for a merged
province from July 2025 (its code is the code of the old province that hosts its centre). Every output that
counts or lists provinces (release tables and text, SDMX, API, CLI, dashboard) asks :func:`province_units` /
:func:`province_areas` for the period -- the one rule.
"""
from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache

import pandas as pd

from iip.errors import ValidationError
from iip.reference._data import problem, require_table
from iip.reference.labels import label_key
from iip.reference.periods import last_month

#: Day the 63 provinces became 34 (Resolution 202/2025/QH15).
MERGER_DATE = _dt.date(2025, 7, 1)
#: Its first month: the compile adds the 34 merged provinces (areas ``N<code>``) once the data reach it.
MERGER_PERIOD = MERGER_DATE.strftime("%Y-%m")
#: Area codes of the provinces, as regular expressions: the 63 before the merger, the 34 merged ones from it.
PROVINCE_AREAS = {"63": "^[0-9]{2}$", "34": "^N[0-9]{2}$"}
#: Prefix of a merged province's area code (``N01`` = Hà Nội from July 2025).
MERGED_PREFIX = "N"


@lru_cache(maxsize=1)
def _provinces() -> pd.DataFrame:
    df = require_table("provinces.csv", ("code", "name_vi", "region_code", "code_2025", "region_2025"))
    df[["tile_row", "tile_col"]] = df[["tile_row", "tile_col"]].astype(int)
    return df


def provinces() -> pd.DataFrame:
    """The 63 provinces before 1 July 2025: [code, name_vi, name_en, type, region_code, region_en,
    code_2025, name_2025_vi, region_2025, tile_row, tile_col]."""
    return _provinces().copy()


@lru_cache(maxsize=1)
def _provinces_2025() -> pd.DataFrame:
    df = require_table("provinces_2025.csv", ("code", "name_vi", "name_en", "region"))
    df[["tile_row", "tile_col"]] = df[["tile_row", "tile_col"]].astype(int)
    return df


def provinces_2025() -> pd.DataFrame:
    """The 34 provincial units from 1 July 2025: [code, name_vi, name_en, region, type, tile_row, tile_col]."""
    return _provinces_2025().copy()


@lru_cache(maxsize=1)
def _regions() -> pd.DataFrame:
    df = require_table("regions.csv", ("region_code", "name_vi", "name_en", "gso_order"))
    df["gso_order"] = df["gso_order"].astype(int)
    return df


def regions() -> pd.DataFrame:
    """The six socio-economic regions [region_code, name_vi, name_en, gso_order]."""
    return _regions().copy()


def _as_date(when: object) -> _dt.date:
    """'YYYY-MM' (first day), 'YYYY-MM-DD', date, datetime, Timestamp or Period -> date."""
    if isinstance(when, pd.Period):
        return when.start_time.date()
    if isinstance(when, _dt.datetime):
        return when.date()
    if isinstance(when, _dt.date):
        return when
    text = str(when).strip()
    return pd.Timestamp(text + "-01" if len(text) == 7 else text).date()


def province_to_region(date_or_period: object = None) -> dict[str, str]:
    """``{old 2-digit province code: region code}`` in force on a date or month.

    None or a date before 1 July 2025: the GSO region of each of the 63 provinces. From July 2025:
    the region of the merged province each old code now belongs to (``region_2025``); the 34 new codes
    are old codes mapping to themselves, so they are looked up correctly in the same dict.
    """
    df = _provinces()
    col = "region_code" if date_or_period is None or _as_date(date_or_period) < MERGER_DATE else "region_2025"
    return dict(zip(df["code"], df[col]))


def merge_2025() -> pd.DataFrame:
    """Old province code -> code of the merged province from 1 July 2025: [code, code_2025]."""
    return _provinces()[["code", "code_2025"]].copy()


def province_units(period: str) -> str:
    """Which provinces a period's figures are counted over: '63' for a month (or quarter, half-year, year,
    by its last month) before July 2025, '34' from July 2025."""
    return "34" if last_month(period) >= MERGER_PERIOD else "63"


def province_area_pattern(period: str) -> str:
    """Regular expression of the province area codes of ``period`` (``^[0-9]{2}$`` or ``^N[0-9]{2}$``)."""
    return PROVINCE_AREAS[province_units(period)]


def is_province_area(area: str, period: str | None = None) -> bool:
    """True when ``area`` is a province code of ``period``'s geography (any province code when None)."""
    if period is None:
        return any(re.match(p, area) for p in PROVINCE_AREAS.values())
    return re.match(province_area_pattern(period), area) is not None


def province_areas(period: str) -> list[str]:
    """The province area codes of ``period``: the 63 old codes, or the 34 ``N<code>`` from July 2025."""
    if province_units(period) == "63":
        return sorted(_provinces()["code"])
    return sorted(MERGED_PREFIX + c for c in _provinces_2025()["code"])


def area_codes() -> list[str]:
    """Every area a compile produces: VN, the six regions, the 63 provinces (GSO 2-digit codes) and the 34
    provinces merged on 1 July 2025 (``N`` + code)."""
    return ["VN", *_regions()["region_code"], *sorted(_provinces()["code"]),
            *sorted(MERGED_PREFIX + c for c in _provinces_2025()["code"])]



def province_table(period: str) -> pd.DataFrame:
    """The province areas of ``period`` as one table [area, name_vi, name_en, region, tile_row, tile_col]: the 63
    provinces (area = old code, GSO region) before July 2025, the 34 merged ones (area ``N<code>``) from then on."""
    cols = ["area", "name_vi", "name_en", "region", "tile_row", "tile_col"]
    if province_units(period) == "63":
        old = _provinces()
        return old.assign(area=old["code"], region=old["region_code"])[cols].sort_values("area").reset_index(drop=True)
    new = _provinces_2025()
    return new.assign(area=MERGED_PREFIX + new["code"])[cols].sort_values("area").reset_index(drop=True)


def province_names(lang: str = "vi") -> dict[str, str]:
    """Area code -> name of every province area, old (``01``) and merged (``N01``), in ``lang`` (vi|en)."""
    col = "name_vi" if lang == "vi" else "name_en"
    old, new = _provinces(), _provinces_2025()
    return {**dict(zip(old["code"], old[col])), **{MERGED_PREFIX + c: n for c, n in zip(new["code"], new[col])}}


#: GSO's spellings of province names (label,code): a 2-digit code is one of the 63 (and, when that province kept
#: its name and code in July 2025, also of the 34), ``N<code>`` one of the 34 only.
PROVINCE_ALIASES = "gso_province_aliases.csv"


@lru_cache(maxsize=1)
def _province_labels() -> dict[str, dict[str, str]]:
    """units ('63' | '34') -> {label_key: area code}: the alias file first, then the official names (vi, en)."""
    index: dict[str, dict[str, str]] = {"63": {}, "34": {}}
    old, new = _provinces(), _provinces_2025()
    valid = {"63": set(old["code"]), "34": {MERGED_PREFIX + c for c in new["code"]}}
    new_names = dict(zip(new["code"], new["name_vi"].map(label_key)))
    kept = {c for c, n in zip(old["code"], old["name_vi"].map(label_key)) if new_names.get(c) == n}
    aliases = require_table(PROVINCE_ALIASES, ("label", "code"))
    bad = []
    for i, (label, code) in enumerate(zip(aliases["label"], aliases["code"])):
        units = "34" if code.startswith(MERGED_PREFIX) else "63"
        if code not in valid[units]:
            bad.append(problem(PROVINCE_ALIASES, i, "code", "known_code", f"code {code!r} is not a province area"))
        index[units].setdefault(label_key(label), code)
        if code in kept:       # a spelling of a province that kept its name (and code) in the 34
            index["34"].setdefault(label_key(label), MERGED_PREFIX + code)
    if bad:
        raise ValidationError(bad, file=PROVINCE_ALIASES)
    for col in ("name_vi", "name_en"):
        for code, name in zip(old["code"], old[col]):
            index["63"].setdefault(label_key(name), code)
        for code, name in zip(new["code"], new[col]):
            index["34"].setdefault(label_key(name), MERGED_PREFIX + code)
    return index


def province_area(label: object, period: str | None = None) -> str | None:
    """Area code of a province as GSO prints its name, in the geography in force for ``period``: one of the 63
    codes before July 2025 ('Thừa Thiên - Huế', 'Huế' (renamed in January 2025) -> '46'), one of the 34
    ``N<code>`` areas from July 2025 ('Huế' -> 'N46', 'TP. Hồ Chí Minh' -> 'N79'); None when the name is not a
    province of that geography. Spellings are compared by :func:`iip.reference.labels.label_key` (diacritics,
    case, 'TP.' folded); GSO's other spellings are listed in data/gso_province_aliases.csv."""
    units = province_units(period) if period else "63"
    return _province_labels()[units].get(label_key(label))
