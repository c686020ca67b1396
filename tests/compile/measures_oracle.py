"""The NumPy oracle of the growth measures: mom, yoy, ytd and contributions computed from a compile's levels and
effective weights, independently of the SQL in src/iip/measures/indices.sql that production uses. Tests hold the
two equal (tests/compile/test_store.py).

* mom(t) = 100 * I(t) / I(t-1);  yoy(t) = 100 * I(t) / I(t-12)
* ytd(t) = 100 * sum(I, Jan..t) / sum(I, Jan..t of the previous year)
* contribution of child k to parent P's yoy, in points: (e_k I_k(t) - e_k I_k(t-12)) / I_P(t-12) * 100
  with e_k = (W_k / W_P) * f_P / f_k, constant within a base year's months; the ytd version sums Jan..t.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from iip.compile.engine import CompileResult
from iip.measures import MEASURES

OUTPUT_COLUMNS = ["indicator", "area", "node", "period", *MEASURES]


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """Values k months earlier (NaN where there is no earlier month)."""
    out = np.full(a.shape, np.nan)
    if k < a.shape[1]:
        out[:, k:] = a[:, :-k]
    return out


def mom(a: np.ndarray) -> np.ndarray:
    """Month on previous month, 100-based."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * a / _shift(a, 1)


def yoy(a: np.ndarray) -> np.ndarray:
    """Month on the same month of the previous year, 100-based."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * a / _shift(a, 12)


def year_blocks(periods) -> list[slice]:
    """Column slices of each calendar year that starts in January (cumulative figures need January)."""
    years = [str(p)[:4] for p in periods]
    out, start = [], 0
    for i in range(1, len(years) + 1):
        if i == len(years) or years[i] != years[start]:
            if str(periods[start]).endswith("-01"):
                out.append(slice(start, i))
            start = i
    return out


def ytd_sums(a: np.ndarray, periods) -> np.ndarray:
    """Cumulative sum from January to each month within each calendar year (NaN once a month is missing)."""
    out = np.full(a.shape, np.nan)
    for b in year_blocks(periods):
        out[:, b] = np.cumsum(a[:, b], axis=1)
    return out


def ytd(x, periods=None):
    """Cumulative Jan..t on the same period of the previous year, 100-based."""
    if isinstance(x, pd.DataFrame):
        return pd.DataFrame(ytd(x.to_numpy(dtype=float), list(x.columns)), index=x.index, columns=x.columns)
    c = ytd_sums(x, periods)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * c / _shift(c, 12)


def contributions(child: np.ndarray, parent: np.ndarray, e: np.ndarray, *, periods=None, cumulative: bool = False
                  ) -> np.ndarray:
    """Percentage-point contributions of each child row to its parent row's yoy (or ytd) growth.

    ``child``: linked child indices; ``parent``: the parent's linked index aligned row by row with ``child``;
    ``e``: effective weight of the child in its parent for every month (see module docstring).
    """
    ec = e * child
    if cumulative:
        s = ytd_sums(ec, periods)
        num, den = s - _shift(s, 12), _shift(ytd_sums(parent, periods), 12)
    else:
        num, den = ec - _shift(ec, 12), _shift(parent, 12)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * num / den




def contribution_matrix(linked: np.ndarray, e_by_base: dict[int, np.ndarray], prow: np.ndarray,
                        periods: list[str], segs: dict[int, np.ndarray], *, cumulative: bool) -> np.ndarray:
    """Contributions [row, month] of each row to the growth of row ``prow[i]`` (NaN where prow < 0), with each
    row's effective weight ``e_by_base[b]`` in the months of base year b's segment ``segs[b]``."""
    has = prow >= 0
    p = np.where(has, prow, 0)
    e = np.full(linked.shape, np.nan)
    for b, cols in segs.items():
        e[:, cols] = e_by_base[b][:, None]
    out = contributions(linked, linked[p], e, periods=periods, cumulative=cumulative)
    out[~has] = np.nan
    return out


def block_measures(result: CompileResult, b) -> dict[str, np.ndarray]:
    """Every measure [row, month] of one block, from its levels and effective weights."""
    segs = {y: result.segment == y for y in b.e_parent}
    x = b.x
    out = {"index": x, "mom": mom(x), "yoy": yoy(x),
           "contrib_yoy": contribution_matrix(x, b.e_parent, b.prow, result.periods, segs, cumulative=False),
           "contrib_total_yoy": contribution_matrix(x, b.e_total, b.trow, result.periods, segs, cumulative=False)}
    if b.indicator != "inventory":  # a stock is a point in time: no cumulative figures
        out["ytd"] = ytd(x, result.periods)
        out["contrib_ytd"] = contribution_matrix(x, b.e_parent, b.prow, result.periods, segs, cumulative=True)
    return out


def _finite(a: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(a), a, np.nan)


def oracle_indices(result: CompileResult) -> pd.DataFrame:
    """The tidy table of a compile: indicator, area, node, period, index, mom, yoy, ytd, contributions (NaN:
    undefined), computed here in NumPy."""
    parts = []
    for off, b in zip(result.offsets(), result.blocks):
        values = block_measures(result, b)
        r, c = np.nonzero(np.isfinite(b.x))
        part = pd.DataFrame({"indicator": b.indicator,
                             "area": result.series["area"].to_numpy()[r + off],
                             "node": result.series["node"].to_numpy()[r + off],
                             "period": np.asarray(result.periods, dtype=object)[c]})
        for name in MEASURES:
            part[name] = _finite(values[name][r, c]) if name in values else np.nan
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    return pd.concat(parts, ignore_index=True)
