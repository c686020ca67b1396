"""Reference data shipped with iip: VSIC 2018 (sections B-E), the product catalogue, provinces
(63 before and 34 after the 1 July 2025 merger), regions, label aliases and the Vietnamese calendar.

Every loader reads CSV package data with ``dtype=str`` (codes keep their leading zeros), converts
numeric columns explicitly, caches the parsed table with ``functools.lru_cache`` and returns a copy,
so callers may modify what they get without touching the cache.
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from iip.errors import NotFoundError, OptionError, Problem, ValidationError
from iip.reference._data import DATA_DIR, problem as _problem, read_table as _read
from iip.reference.calendar import (
    tet_date,
    tet_dates,
    vn_public_holidays,
    weekend_workdays,
    working_days,
)
from iip.reference.geography import (
    MERGED_PREFIX,
    MERGER_DATE,
    MERGER_PERIOD,
    PROVINCE_AREAS,
    area_codes,
    is_province_area,
    merge_2025,
    province_area_pattern,
    province_area,
    province_areas,
    province_names,
    province_table,
    province_to_region,
    province_units,
    provinces,
    provinces_2025,
    regions,
)
from iip.reference.labels import normalize_label

__all__ = [
    "DATA_DIR",
    "MERGED_PREFIX",
    "MERGER_DATE",
    "MERGER_PERIOD",
    "PROVINCE_AREAS",
    "area_codes",
    "is_province_area",
    "merge_2025",
    "normalize_label",
    "product_aliases",
    "product_code",
    "products",
    "province_area",
    "province_area_pattern",
    "province_areas",
    "province_names",
    "province_table",
    "province_to_region",
    "province_units",
    "provinces",
    "provinces_2025",
    "regions",
    "section_of",
    "tet_date",
    "tet_dates",
    "vn_public_holidays",
    "vsic",
    "vsic_aliases",
    "vsic_ancestors",
    "vsic_code",
    "vsic_name",
    "weekend_workdays",
    "working_days",
]

LEVELS = ("total", "section", "division", "group", "class")
PRODUCT_COLUMNS = ["product_code", "name_vi", "name_en", "unit", "unit_en", "vsic", "main", "gso_order"]
#: Alias code marking a label that deliberately maps to no code (shared with iip.ingest.gso).
SKIP = "-"
_TRUE = {"true", "1", "yes", "y", "x", "có", "co"}




# ----------------------------------------------------------------------------------------- VSIC
@lru_cache(maxsize=1)
def _vsic() -> pd.DataFrame:
    df = _read("vsic2018.csv", ("code", "level", "parent", "name_vi", "name_en"))
    assert df is not None, "vsic2018.csv ships with iip"
    df["parent"] = df["parent"].replace("", None)
    return df


def vsic() -> pd.DataFrame:
    """VSIC 2018 tree for sections B-E: [code, level, parent, name_vi, name_en], plus the root TOTAL."""
    return _vsic().copy()


@lru_cache(maxsize=1)
def _ancestors() -> pd.DataFrame:
    tree = _vsic()
    parent = dict(zip(tree["code"], tree["parent"]))
    level = dict(zip(tree["code"], tree["level"]))
    rows = []
    for code in tree.loc[tree["level"] == "class", "code"]:
        node = code
        while node is not None:
            rows.append((code, node, level[node]))
            node = parent.get(node)
    return pd.DataFrame(rows, columns=["code", "ancestor", "level"])


def vsic_ancestors() -> pd.DataFrame:
    """For every class: itself and each ancestor up to TOTAL, as rows [code, ancestor, level]
    (5 rows per class). Join on ``code`` and group by ``ancestor`` to aggregate classes upwards."""
    return _ancestors().copy()


@lru_cache(maxsize=4096)
def section_of(code: str) -> str:
    """VSIC section (B, C, D or E) of a section, division, group or class code ('05' -> 'B', '1010' -> 'C',
    '35' -> 'D'), read from the reference tree; a NotFoundError for a code outside sections B-E."""
    tree = _vsic()
    parent = dict(zip(tree["code"], tree["parent"]))
    level = dict(zip(tree["code"], tree["level"]))
    node = str(code).strip()
    if node not in level:
        raise NotFoundError(f"VSIC code {code!r} is not in the reference tree (sections B-E)")
    while level[node] not in ("section", "total"):
        node = parent[node]
    if level[node] == "total":
        raise NotFoundError("TOTAL belongs to no section")
    return node


def vsic_name(code: str, lang: str = "vi") -> str:
    """Name of a VSIC node in Vietnamese (``lang='vi'``) or English (``'en'``)."""
    if lang not in ("vi", "en"):
        raise OptionError(f"lang must be 'vi' or 'en', not {lang!r}", option="lang")
    tree = _vsic()
    hit = tree.loc[tree["code"] == str(code).strip(), f"name_{lang}"]
    if hit.empty:
        raise NotFoundError(f"VSIC code {code!r} is not in the reference tree (sections B-E)")
    return str(hit.iloc[0])


def _aliases(name: str, valid: set[str]) -> pd.DataFrame:
    """Alias file [label, code, ...] -> same columns plus ``key`` = normalize_label(label).

    ``product_code`` is accepted as a synonym of ``code``. A label may repeat (its codes are meant to be
    used in file order) and the code ``-`` (SKIP) marks a label deliberately mapped to nothing; any
    other code must exist in the reference data.
    """
    df = _read(name, ("label",))
    if df is None:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in ("label", "code", "key")})
    if "code" not in df.columns and "product_code" in df.columns:
        df = df.rename(columns={"product_code": "code"})
    if "code" not in df.columns:
        raise ValidationError([_problem(name, -1, "code", "required_column", "column 'code' is missing")],
                              file=name)
    bad = [_problem(name, i, "code", "known_code", f"code {c!r} is not in the reference data")
           for i, c in df["code"].items() if c != SKIP and c not in valid]
    if bad:
        raise ValidationError(bad, file=name)
    df["key"] = df["label"].map(normalize_label)
    return df


@lru_cache(maxsize=1)
def _vsic_aliases() -> pd.DataFrame:
    return _aliases("gso_vsic_aliases.csv", set(_vsic()["code"]))


def vsic_aliases() -> pd.DataFrame:
    """GSO row labels mapped to VSIC codes, from data/gso_vsic_aliases.csv when present (columns
    label, code and any others, plus ``key`` = normalize_label(label)); empty otherwise. Code ``-``
    marks a label to skip; a repeated label takes its codes in file order (see iip.ingest.gso)."""
    return _vsic_aliases().copy()


@lru_cache(maxsize=1)
def _vsic_index() -> dict[str, str]:
    """normalised label -> code: aliases, then name_vi, then name_en; on a tie the node first in file
    order (the higher level, e.g. division 12 before group 120 and class 1200) is kept."""
    index: dict[str, str] = {}
    for key, code in zip(_vsic_aliases()["key"], _vsic_aliases()["code"]):
        if code != SKIP:
            index.setdefault(key, code)
    tree = _vsic()
    for col in ("name_vi", "name_en"):
        for code, name in zip(tree["code"], tree[col]):
            index.setdefault(normalize_label(name), code)
    return index


def vsic_code(label: str) -> str | None:
    """VSIC code for a free-text label (alias first, then the VSIC name in vi or en); None if unknown.
    A name shared by a division, its group and class resolves to the highest level."""
    return _vsic_index().get(normalize_label(label))


# ------------------------------------------------------------------------------------- products
def _check_products(df: pd.DataFrame, name: str, classes: set[str], seen: set[str]) -> list[Problem]:
    problems = []
    for i, row in df.iterrows():
        if not row["product_code"]:
            problems.append(_problem(name, i, "product_code", "required", "product_code is empty"))
        elif row["product_code"] in seen:
            problems.append(_problem(name, i, "product_code", "unique",
                                     f"product_code {row['product_code']!r} appears twice"))
        seen.add(row["product_code"])
        if row["vsic"] not in classes:
            problems.append(_problem(name, i, "vsic", "vsic_class",
                                     f"vsic {row['vsic']!r} is not a VSIC 2018 class in sections B-E"))
    return problems


@lru_cache(maxsize=1)
def _products() -> pd.DataFrame:
    classes = set(_vsic().loc[_vsic()["level"] == "class", "code"])
    frames, problems, seen = [], [], set[str]()
    for name in ("products.csv", "products_extra.csv"):
        df = _read(name, ("product_code", "name_vi", "unit", "vsic"))
        if df is None:
            continue
        for col in PRODUCT_COLUMNS:
            if col not in df.columns:
                df[col] = ""
        problems += _check_products(df, name, classes, seen)
        df["source"] = name
        frames.append(df)
    if problems:
        raise ValidationError(problems, file=problems[0].file)
    out = pd.concat(frames, ignore_index=True)
    out["main"] = out["main"].str.lower().isin(_TRUE)
    out["gso_order"] = pd.to_numeric(out["gso_order"].replace("", None), errors="raise").astype("Int64")
    return out[PRODUCT_COLUMNS + [c for c in out.columns if c not in PRODUCT_COLUMNS]]


def products() -> pd.DataFrame:
    """Product catalogue [product_code, name_vi, name_en, unit, unit_en, vsic, main (bool),
    gso_order (Int64), source]: products.csv plus data/products_extra.csv when present."""
    return _products().copy()


@lru_cache(maxsize=1)
def _product_aliases() -> pd.DataFrame:
    return _aliases("gso_product_aliases.csv", set(_products()["product_code"]))


def product_aliases() -> pd.DataFrame:
    """GSO product labels mapped to product codes, from data/gso_product_aliases.csv when present
    (columns label, code (or product_code), unit and any others, plus ``key``); empty otherwise."""
    return _product_aliases().copy()


def product_code(label: str) -> str | None:
    """Product code for a free-text label: alias first, then name_vi/name_en; None if unknown."""
    key = normalize_label(label)
    aliases = _product_aliases()
    hit = aliases.loc[(aliases["key"] == key) & (aliases["code"] != SKIP), "code"]
    if not hit.empty:
        return str(hit.iloc[0])
    cat = _products()
    for col in ("name_vi", "name_en"):
        hit = cat.loc[cat[col].map(normalize_label) == key, "product_code"]
        if not hit.empty:
            return str(hit.iloc[0])
    return None


