"""Shared checks and helpers of the service layer: parameter validation against the reference data,
relation existence, JSON-safe records."""

from __future__ import annotations

import math
from functools import lru_cache

import duckdb
import pandas as pd

from iip.errors import OptionError
from iip.reference.periods import month
from iip.store import scalar

INDICATORS = ("production", "consumption", "inventory")
MEASURES = ("index", "mom", "yoy", "ytd", "contrib_yoy", "contrib_ytd", "contrib_total_yoy")
KINDS = ("raw", "sa", "trend")
SA_MEASURES = ("index", "mom", "yoy")


@lru_cache(maxsize=1)
def valid_nodes() -> frozenset[str]:
    """Every VSIC code a request may name."""
    from iip import reference

    return frozenset(reference.vsic()["code"])


@lru_cache(maxsize=1)
def valid_areas() -> frozenset[str]:
    """VN, the six regions, the 63 provinces (GSO 2-digit codes) and the 34 provinces merged on 1 July 2025
    (``N`` + code, compiled once data reach July 2025)."""
    from iip import reference

    return frozenset(reference.area_codes())


def is_province(area: str) -> bool:
    """A 2-digit GSO province code (the 63 before July 2025)."""
    return len(area) == 2 and area.isdigit()


def split_list(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated query values -> one list, order kept, duplicates dropped."""
    out: list[str] = []
    for v in values or []:
        for x in str(v).split(","):
            x = x.strip()
            if x and x not in out:
                out.append(x)
    return out


def check_choice(name: str, value: str, allowed) -> str:
    """``value`` if it is one of ``allowed``, else an OptionError (422) naming ``name``."""
    if value not in allowed:
        raise OptionError.choice(name, value, allowed)
    return value


def check_areas(areas: list[str]) -> list[str]:
    """The areas if all are known, else an OptionError naming the unknown ones."""
    bad = [a for a in areas if a not in valid_areas()]
    if bad:
        raise OptionError(
            f"unknown area {', '.join(map(repr, bad))}: use VN, a region code (RRD, NMM, NCC, CH, "
            "SE, MRD), a 2-digit GSO province code or N + the code of a province merged in 2025 (see /api/meta/areas)"
        )
    return areas


def check_nodes(nodes: list[str]) -> list[str]:
    """The nodes if all are VSIC codes, else an OptionError naming the unknown ones."""
    bad = [n for n in nodes if n not in valid_nodes()]
    if bad:
        raise OptionError(
            f"unknown node {', '.join(map(repr, bad))}: use TOTAL, a section B..E or a VSIC 2018 "
            "division, group or class code (see /api/meta/nodes)"
        )
    return nodes


def check_period(name: str, value: str | None) -> str | None:
    """A YYYY-MM month (or None), else an OptionError naming the option."""
    return None if value is None else month(value, option=name, allow_future=True)


def check_range(start: str | None, end: str | None) -> None:
    """Both months valid and from <= to, else an OptionError."""
    check_period("from", start)
    check_period("to", end)
    if start and end and start > end:
        raise OptionError(f"from ({start}) is after to ({end})")


def relation_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the store has a table or view ``name``."""
    q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(scalar(con, q, [name]))


def columns_of(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    """The column names of a table or view, in order."""
    q = "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position"
    return [r[0] for r in con.execute(q, [name]).fetchall()]


def clean(v):
    """JSON-safe scalar: NaN/inf -> None, numpy -> Python, timestamps -> ISO text."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, pd.Timestamp) or hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def records(df: pd.DataFrame) -> list[dict]:
    """A DataFrame as JSON-safe dicts (NaN -> None, numpy -> Python)."""
    cols = list(df.columns)
    return [{c: clean(v) for c, v in zip(cols, row)} for row in df.itertuples(index=False, name=None)]
