"""Edit rules of a submission beyond the core input rules (:mod:`iip.validation`).

Hard rules reject (one message per field); soft rules warn and need a confirmation comment:

* change vs history: ``c = ln(x_t / x_{t-1})`` is flagged when ``|c - median| > max(k * 1.4826 * MAD, floor)``,
  median and MAD taken over the enterprise's own month-on-month log changes of that product (at least
  ``min_changes`` of them; otherwise ``|c| > ln(fallback)``);
* stock balance: ``|closing - (opening + produced - sold)| > tol * max(opening, produced, sold, closing)`` with
  opening = last month's closing stock;
* unit value: ``|ln(uv_t / uv_{t-1})| > ln(uv_jump)`` with ``uv = value / sold``.

All functions are pure: DataFrames in, a list of :class:`iip.errors.Problem` out.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from iip.errors import Problem, Severity
from iip.reference.periods import month_add, month_number

CHANGE_VARIABLES = ("produced", "sold")


def problem(field: str, rule: str, message: str, *, severity: Severity = "warning", row=None, file=None) -> Problem:
    """A problem of an edit rule (a warning unless ``severity='error'``)."""
    return Problem(message, field=field, rule=rule, row=row, file=file, severity=severity)


def _p(line, *args, **kw) -> Problem:
    return problem(*args, row=line.get("_row"), **kw)


def robust_band(changes: np.ndarray, *, k: float, floor: float) -> tuple[float, float]:
    """(median, half-width) of the band of normal log changes: half-width = max(k * 1.4826 * MAD, floor)."""
    med = float(np.median(changes))
    mad = float(np.median(np.abs(changes - med)))
    return med, max(k * 1.4826 * mad, floor)


def log_changes(series: pd.Series) -> np.ndarray:
    """Month-on-month log changes of a period-indexed series, consecutive months with positive values only."""
    s = series[series > 0].sort_index()
    if len(s) < 2:
        return np.array([])
    consecutive = np.diff([month_number(str(p)) for p in s.index]) == 1
    ratios = np.log(s.to_numpy()[1:] / s.to_numpy()[:-1])
    return ratios[consecutive]


def change_warnings(lines: pd.DataFrame, history: pd.DataFrame, period: str, *, k: float = 4.0,
                    floor: float = math.log(1.25), min_changes: int = 6, fallback: float = 2.0) -> list[Problem]:
    """Warn where a line's month-on-month change is outside the enterprise's own robust band.

    ``lines``: product_code, produced, sold, _where (field prefix); ``history``: product_code, period, produced,
    sold (the enterprise's earlier months)."""
    out: list[Problem] = []
    prev = month_add(period, -1)
    for _, line in lines.iterrows():
        h = history[history["product_code"] == line["product_code"]].set_index("period")
        for var in CHANGE_VARIABLES:
            x = line.get(var)
            if x is None or pd.isna(x) or prev not in h.index or pd.isna(h.at[prev, var]):
                continue
            x0 = float(h.at[prev, var])
            field = f"{line['_where']}{var}"
            if x0 > 0 and x == 0:
                out.append(_p(line, field, "change", f"{var} fell to 0 from {x0:g} last month"))
                continue
            if x0 <= 0 or x <= 0:
                continue
            c = math.log(x / x0)
            changes = log_changes(h[var].dropna())
            if len(changes) >= min_changes:
                med, half = robust_band(changes, k=k, floor=floor)
                if abs(c - med) > half:
                    out.append(_p(line, field, "change", f"{var} changed {100 * (math.exp(c) - 1):+.1f}% from "
                                       f"last month ({x0:g}), outside this enterprise's usual range "
                                       f"{100 * (math.exp(med - half) - 1):+.1f}% to "
                                       f"{100 * (math.exp(med + half) - 1):+.1f}%"))
            elif abs(c) > math.log(fallback):
                out.append(_p(line, field, "change", f"{var} changed {100 * (math.exp(c) - 1):+.1f}% from last "
                                   f"month ({x0:g})"))
    return out


def stock_warnings(lines: pd.DataFrame, history: pd.DataFrame, period: str, *, tol: float = 0.1) -> list[Problem]:
    """Warn where opening stock + produced - sold is far from the closing stock."""
    out: list[Problem] = []
    prev = month_add(period, -1)
    opening = history[history["period"] == prev].set_index("product_code")["closing_stock"]
    for _, line in lines.iterrows():
        p = line["product_code"]
        vals = [opening.get(p), line.get("produced"), line.get("sold"), line.get("closing_stock")]
        if any(v is None or pd.isna(v) for v in vals):
            continue
        o, q, s, c = (float(v) for v in vals)
        expected = o + q - s
        if abs(c - expected) > tol * max(o, q, s, c, 1e-9):
            out.append(_p(line, f"{line['_where']}closing_stock", "stock_balance",
                               f"closing stock {c:g} is far from opening {o:g} + produced {q:g} - sold {s:g} "
                               f"= {expected:g}"))
    return out


def unit_value_warnings(lines: pd.DataFrame, previous_values: pd.DataFrame, *, jump: float = 1.5) -> list[Problem]:
    """Warn where the unit value (value / sold) moved by more than a factor ``jump`` from last month.

    ``previous_values``: product_code, sold, value of last month's latest submission."""
    out: list[Problem] = []
    prev = previous_values.dropna()
    prev = prev[(prev["sold"] > 0) & (prev["value"] > 0)].set_index("product_code")
    for _, line in lines.iterrows():
        v, s, p = line.get("value"), line.get("sold"), line["product_code"]
        if v is None or s is None or pd.isna(v) or pd.isna(s) or s <= 0 or v <= 0 or p not in prev.index:
            continue
        uv, uv0 = float(v) / float(s), float(prev.at[p, "value"]) / float(prev.at[p, "sold"])
        if abs(math.log(uv / uv0)) > math.log(jump):
            out.append(_p(line, f"{line['_where']}value", "unit_value",
                               f"unit value {uv:.4g} (value / sold) moved {100 * (uv / uv0 - 1):+.1f}% from "
                               f"last month's {uv0:.4g}"))
    return out
