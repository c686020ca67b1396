"""Reading and writing the series files of ``iip sa`` / ``iip target`` (period,value CSV in, sa.csv out)."""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from iip.errors import Problem, ValidationError

SA_CSV_COLUMNS = ["period", "value", "sa", "trend", "seasonal", "calendar", "tet"]
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def read_series_csv(path: str | os.PathLike) -> pd.DataFrame:
    """A monthly series file: columns period (YYYY-MM) and value (a number); problems name file, row, field."""
    file = str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ValidationError.one("file not found", file=file, rule="exists") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValidationError.one(f"not a readable CSV file ({exc})", file=file, rule="csv") from None
    raw.columns = [c.strip().lower() for c in raw.columns]
    problems = [Problem(f"missing column {c}", file=file, row=1, field=c, rule="required")
                for c in ("period", "value") if c not in raw.columns]
    if problems:
        raise ValidationError(problems, file=file)
    seen: dict[str, int] = {}
    for i, (p, v) in enumerate(zip(raw["period"].str.strip(), raw["value"].str.strip()), start=2):
        if not _PERIOD.match(p):
            problems.append(Problem(f"period {p!r} is not YYYY-MM", file=file, row=i, field="period", rule="format"))
        elif p in seen:
            problems.append(Problem(f"period {p} repeats row {seen[p]}", file=file, row=i, field="period",
                                    rule="unique"))
        seen.setdefault(p, i)
        try:
            ok = np.isfinite(float(v))
        except ValueError:
            ok = False
        if not ok:
            problems.append(Problem(f"value {v!r} is not a number", file=file, row=i, field="value", rule="number"))
    if problems:
        raise ValidationError(problems, file=file)
    return pd.DataFrame({"period": raw["period"].str.strip(), "value": raw["value"].astype(float)})


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder, then rename: never a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_sa_csv(series: pd.DataFrame, path: str | os.PathLike) -> None:
    """sa.csv: period,value,sa,trend,seasonal,calendar,tet then the extra columns (workdays, irregular)."""
    cols = SA_CSV_COLUMNS + [c for c in series.columns if c not in SA_CSV_COLUMNS]
    _atomic_write(Path(path), series[cols].to_csv(index=False, float_format="%.6f"))


def write_report(report: dict, path: str | os.PathLike) -> None:
    """Write an adjustment report as JSON (atomically: a temporary file renamed)."""
    _atomic_write(Path(path), json.dumps(report, indent=2, default=float) + "\n")
