"""Reading the reference package data: CSV files in ``iip/reference/data``, read as text (codes keep their
leading zeros), cells stripped, required columns checked."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from iip.errors import Problem, ValidationError

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_table(name: str, required: tuple[str, ...] = ()) -> pd.DataFrame | None:
    """data/<name> as strings (None when the file is absent); cells stripped; required columns checked."""
    path = DATA_DIR / name
    if not path.exists():
        return None
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.columns = [c.strip() for c in df.columns]
    df = df.apply(lambda col: col.str.strip())
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValidationError([Problem(f"column {c!r} is missing", file=name, row=1, field=c, rule="required_column")
                               for c in missing], file=name)
    return df


def require_table(name: str, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Like :func:`read_table`, for files the package always ships (a missing one is a broken install)."""
    df = read_table(name, required)
    if df is None:
        raise ValidationError.one(f"reference file {name} is missing from the installed package", file=name)
    return df


def problem(name: str, idx: int, field: str, rule: str, message: str) -> Problem:
    """One problem of a reference file; ``idx`` is the 0-based data index (spreadsheet row = idx + 2)."""
    return Problem(message, file=name, row=int(idx) + 2, field=field, rule=rule)
