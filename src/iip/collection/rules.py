"""Edit rules of a submission beyond the core input rules (:mod:`iip.validation`).

Hard rules reject (one message per field); soft rules warn and need a confirmation comment:

* change vs history: ``c = ln(x_t / x_{t-1})`` is flagged when ``|c - median| > max(k * 1.4826 * MAD, floor)``,
  median and MAD taken over the enterprise's own month-on-month log changes of that product (at least
  ``min_changes`` of them; otherwise ``|c| > ln(fallback)``);
* stock balance: ``|closing - (opening + produced - sold)| > tol * max(opening, produced, sold, closing)`` with
  opening = last month's closing stock;
* unit value: ``|ln(uv_t / uv_{t-1})| > ln(uv_jump)`` with ``uv = value / sold``.

All functions are pure and take the lines of any enterprises and months at once (a batch of submissions is
checked in one pass): DataFrames in, ``(position of the line, Problem)`` pairs out.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from iip.errors import Problem, Severity
from iip.reference.periods import month_numbers

CHANGE_VARIABLES = ("produced", "sold")
#: The change rule's band: half-width ``max(K * 1.4826 * MAD, FLOOR)`` around the median log change, from at least
#: MIN_CHANGES changes; with fewer, a change beyond a factor FALLBACK warns. The stock balance's tolerance.
K, FLOOR, MIN_CHANGES, FALLBACK, STOCK_TOL = 4.0, math.log(1.25), 6, 2.0, 0.1


def problem(field: str, rule: str, message: str, *, severity: Severity = "warning", row=None, file=None) -> Problem:
    """A problem of an edit rule (a warning unless ``severity='error'``)."""
    return Problem(message, field=field, rule=rule, row=row, file=file, severity=severity)


#: The history an edit rule looks at: the months before a line's month.
HISTORY_MONTHS = 25


@dataclass(frozen=True)
class LineHistory:
    """Each line's product in its enterprise's history of the months before the line's month, as aligned arrays
    sorted by line and month: ``line`` (position in the lines), ``m`` (month number), ``t`` (the line's month
    number) and the reported ``values`` (produced, sold, closing_stock)."""

    line: np.ndarray
    m: np.ndarray
    t: np.ndarray
    values: dict[str, np.ndarray]


HISTORY_VALUES = (*CHANGE_VARIABLES, "closing_stock")


def line_history(lines: pd.DataFrame, history: pd.DataFrame, months: int = HISTORY_MONTHS) -> LineHistory:
    """Each line's product in its enterprise's ``history`` (enterprise_id, product_code, period, produced, sold,
    closing_stock) of the ``months`` before the line's month: ``t - months <= m < t``."""
    t = month_numbers(lines["period"])
    picked: list[np.ndarray] = []
    owner: list[np.ndarray] = []
    if len(history):
        hm = month_numbers(history["period"])
        rows = history.groupby(["enterprise_id", "product_code"], sort=False).indices
        for i, key in enumerate(zip(lines["enterprise_id"].tolist(), lines["product_code"].tolist())):
            idx = rows.get(key)
            if idx is not None:
                idx = idx[(hm[idx] < t[i]) & (hm[idx] >= t[i] - months)]
                picked.append(idx)
                owner.append(np.full(len(idx), i))
    pos = np.concatenate(picked) if picked else np.empty(0, dtype=np.int64)
    line = np.concatenate(owner) if owner else np.empty(0, dtype=np.int64)
    m = hm[pos] if len(pos) else np.empty(0, dtype=np.int64)
    order = np.lexsort((m, line))
    pos, line, m = pos[order], line[order], m[order]
    return LineHistory(line, m, t[line], {v: history[v].to_numpy(dtype=float)[pos] if len(pos) else np.empty(0)
                                          for v in HISTORY_VALUES})


def _last_month(h: LineHistory, column: str, n: int) -> np.ndarray:
    """``column`` in the month before each line's month (NaN when not reported), for lines 0..n-1."""
    out = np.full(n, np.nan)
    prev = h.m == h.t - 1
    out[h.line[prev]] = h.values[column][prev]
    return out


def _median_by(group: np.ndarray, x: np.ndarray, n: int) -> np.ndarray:
    """The median of ``x`` within each group 0..n-1 (NaN for a group with none): the middle value, or the mean of
    the two middle values."""
    order = np.lexsort((x, group))
    v, count = x[order], np.bincount(group, minlength=n)
    start = np.cumsum(count) - count
    out, has = np.full(n, np.nan), count > 0
    out[has] = (v[start[has] + (count[has] - 1) // 2] + v[start[has] + count[has] // 2]) / 2
    return out


def band_of_changes(h: LineHistory, var: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count, median, MAD) of each line's month-on-month log changes of ``var`` in its history ``h``
    (:func:`line_history`): ``ln(x_m / x_{m-1})`` over consecutive months with positive values, for lines 0..n-1;
    MAD = median of ``|c - median|``."""
    pos = h.values[var] > 0
    line, m, x = h.line[pos], h.m[pos], h.values[var][pos]
    pair = (line[1:] == line[:-1]) & (np.diff(m) == 1)
    owner, c = line[1:][pair], np.log(x[1:][pair] / x[:-1][pair])
    med = _median_by(owner, c, n)
    return np.bincount(owner, minlength=n), med, _median_by(owner, np.abs(c - med[owner]), n)


def _at(lines: pd.DataFrame, i: int, field: str, rule: str, message: str) -> tuple[int, Problem]:
    row = lines["_row"].iat[i] if "_row" in lines else None
    where = lines["_where"].iat[i] if "_where" in lines else ""
    return i, problem(f"{where}{field}", rule, message, row=None if row is None or pd.isna(row) else int(row))


def change_warnings(lines: pd.DataFrame, history: pd.DataFrame, *, k: float = K, floor: float = FLOOR,
                    min_changes: int = MIN_CHANGES, fallback: float = FALLBACK) -> list[tuple[int, Problem]]:
    """Warn where a line's month-on-month change is outside its enterprise's own robust band: ``(position of the
    line, warning)`` by line, produced before sold.

    ``lines``: enterprise_id, period, product_code, produced, sold, _row, _where (any enterprises and months);
    ``history``: enterprise_id, product_code, period, produced, sold, closing_stock (their earlier months)."""
    return _change(lines, line_history(lines, history), k=k, floor=floor, min_changes=min_changes,
                   fallback=fallback)


def _change(lines: pd.DataFrame, h: LineHistory, *, k: float = K, floor: float = FLOOR,
            min_changes: int = MIN_CHANGES, fallback: float = FALLBACK) -> list[tuple[int, Problem]]:
    n = len(lines)
    out: list[tuple[tuple[int, int], tuple[int, Problem]]] = []
    for j, var in enumerate(CHANGE_VARIABLES):
        x, x0 = lines[var].to_numpy(dtype=float), _last_month(h, var, n)
        count, med, mad = band_of_changes(h, var, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.log(x / x0)
        fell = (x0 > 0) & (x == 0)
        moved = (x0 > 0) & (x > 0)
        half = np.maximum(k * 1.4826 * mad, floor)
        banded = moved & (count >= min_changes)
        outside = banded & (np.abs(c - med) > half)
        jumped = moved & ~banded & (np.abs(c) > math.log(fallback))
        for i in np.flatnonzero(fell | outside | jumped):
            a = float(x0[i])
            if fell[i]:
                msg = f"{var} fell to 0 from {a:g} last month"
            elif outside[i]:
                msg = (f"{var} changed {100 * (math.exp(c[i]) - 1):+.1f}% from last month ({a:g}), outside this "
                       f"enterprise's usual range {100 * (math.exp(med[i] - half[i]) - 1):+.1f}% to "
                       f"{100 * (math.exp(med[i] + half[i]) - 1):+.1f}%")
            else:
                msg = f"{var} changed {100 * (math.exp(c[i]) - 1):+.1f}% from last month ({a:g})"
            out.append(((int(i), j), _at(lines, int(i), var, "change", msg)))
    return [w for _, w in sorted(out, key=lambda o: o[0])]


def stock_warnings(lines: pd.DataFrame, history: pd.DataFrame, *, tol: float = STOCK_TOL
                   ) -> list[tuple[int, Problem]]:
    """Warn where opening stock + produced - sold is far from the closing stock (opening: last month's closing):
    ``|c - (o + q - s)| > tol * max(o, q, s, c)``. Same frames as :func:`change_warnings`."""
    return _stock(lines, line_history(lines, history), tol=tol)


def _stock(lines: pd.DataFrame, h: LineHistory, *, tol: float = STOCK_TOL) -> list[tuple[int, Problem]]:
    o = _last_month(h, "closing_stock", len(lines))
    q, s, c = (lines[v].to_numpy(dtype=float) for v in ("produced", "sold", "closing_stock"))
    expected = o + q - s
    with np.errstate(invalid="ignore"):
        far = np.abs(c - expected) > tol * np.maximum.reduce([o, q, s, c, np.full(len(c), 1e-9)])
    return [_at(lines, int(i), "closing_stock", "stock_balance",
                f"closing stock {c[i]:g} is far from opening {o[i]:g} + produced {q[i]:g} - sold {s[i]:g} "
                f"= {expected[i]:g}") for i in np.flatnonzero(far)]


def unit_value_warnings(lines: pd.DataFrame, previous_values: pd.DataFrame, *, jump: float = 1.5
                        ) -> list[tuple[int, Problem]]:
    """Warn where the unit value ``uv = value / sold`` moved by more than a factor ``jump`` from last month:
    ``|ln(uv_t / uv_{t-1})| > ln(jump)``.

    ``previous_values``: enterprise_id, period, product_code, sold, value of each enterprise's latest submission
    for a month (the month before a line's is used)."""
    prev = previous_values.dropna(subset=["product_code", "sold", "value"])
    prev = prev[(prev["sold"] > 0) & (prev["value"] > 0)]
    last = dict(zip(zip(prev["enterprise_id"].tolist(), (month_numbers(prev["period"]) + 1).tolist(),
                        prev["product_code"].tolist()), (prev["value"] / prev["sold"]).tolist()))
    uv0 = np.array([last.get(k, np.nan) for k in zip(lines["enterprise_id"].tolist(),
                                                      month_numbers(lines["period"]).tolist(),
                                                      lines["product_code"].tolist())], dtype=float)
    v, s = lines["value"].to_numpy(dtype=float), lines["sold"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        uv = v / s
        moved = (s > 0) & (v > 0) & (np.abs(np.log(uv / uv0)) > math.log(jump))
    return [_at(lines, int(i), "value", "unit_value",
                f"unit value {uv[i]:.4g} (value / sold) moved {100 * (uv[i] / uv0[i] - 1):+.1f}% from "
                f"last month's {uv0[i]:.4g}") for i in np.flatnonzero(moved)]


def edit_warnings(lines: pd.DataFrame, history: pd.DataFrame, previous_values: pd.DataFrame
                  ) -> list[tuple[int, Problem]]:
    """Every edit-rule warning of ``lines``, as ``(position of the line, warning)``: change, then stock balance,
    then unit value, each by line."""
    h = line_history(lines, history)
    return _change(lines, h) + _stock(lines, h) + unit_value_warnings(lines, previous_values)
