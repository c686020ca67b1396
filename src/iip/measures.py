"""Growth measures, contributions and diffusion, in GSO's 100-based form (103.69 = +3.69%).

Wide functions take a frame with one row per series and one column per month 'YYYY-MM' (a complete monthly
range); tidy helpers work on the ``indices`` table shape (indicator, area, node, period, index, ...).

* mom(t) = 100 * I(t) / I(t-1)
* yoy(t) = 100 * I(t) / I(t-12)
* ytd(t) = 100 * sum(I, Jan..t) / sum(I, Jan..t of the previous year)
* contribution of child k to parent P's yoy growth, in percentage points:
      (e_k(t) I_k(t) - e_k(t-12) I_k(t-12)) / I_P(t-12) * 100
  where e_k = (W_k / W_P) * f_P / f_k is k's weight in P rescaled for linking / re-referencing factors f
  (e_k = W_k / W_P within one base-year segment, giving the textbook formula); children sum exactly to
  yoy_P - 100. The ytd version sums numerator and denominator over Jan..t.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from iip.errors import OptionError


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """Values k months earlier (NaN where there is no earlier month)."""
    out = np.full(a.shape, np.nan)
    if k < a.shape[1]:
        out[:, k:] = a[:, :-k]
    return out


def _wide(fn):
    """Let a numpy kernel take and return either an ndarray or a wide DataFrame."""
    def wrapper(x, *args, **kw):
        if isinstance(x, pd.DataFrame):
            return pd.DataFrame(fn(x.to_numpy(dtype=float), *args, **kw), index=x.index, columns=x.columns)
        return fn(np.asarray(x, dtype=float), *args, **kw)
    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = fn.__name__
    return wrapper


@_wide
def mom(a: np.ndarray) -> np.ndarray:
    """Month on previous month, 100-based."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return 100.0 * a / _shift(a, 1)


@_wide
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


def period_growth(tidy: pd.DataFrame, *, freq: str = "Q", value: str = "index") -> pd.DataFrame:
    """Quarter / half-year / year figures from monthly indices: level = mean of the months (all required),
    yoy = 100 * sum(months) / sum(same months a year earlier). ``freq`` in Q|H|Y; periods 'YYYY-Qn',
    'YYYY-H1', 'YYYY'."""
    df = tidy[["indicator", "area", "node", "period", value]].copy()
    y = df["period"].str[:4]
    m = df["period"].str[5:7].astype(int)
    if freq == "Q":
        df["p"], size = y + "-Q" + ((m - 1) // 3 + 1).astype(str), 3
    elif freq == "H":
        df["p"], size = y + "-H" + ((m - 1) // 6 + 1).astype(str), 6
    elif freq == "Y":
        df["p"], size = y, 12
    else:
        raise OptionError("freq must be Q, H or Y", option="freq")
    keys = ["indicator", "area", "node", "p"]
    g = df.groupby(keys)[value].agg(["sum", "count"]).reset_index()
    g = g[g["count"] == size]
    g["year"] = g["p"].str[:4].astype(int)
    g["prev"] = (g["year"] - 1).astype(str) + g["p"].str[4:]
    prev = g[keys + ["sum"]].rename(columns={"p": "prev", "sum": "prev_sum"})
    g = g.merge(prev, on=["indicator", "area", "node", "prev"], how="left")
    g["index"] = g["sum"] / size
    g["yoy"] = 100.0 * g["sum"] / g["prev_sum"]
    return g.rename(columns={"p": "period"})[["indicator", "area", "node", "period", "index", "yoy"]]


def direction_counts(values: pd.Series) -> dict[str, int]:
    """Diffusion: how many of ``values`` (100-based, e.g. the provinces' yoy) rose (> 100), fell (< 100) or
    were unchanged; missing values are not counted."""
    v = pd.Series(values).dropna()
    return {"rose": int((v > 100).sum()), "fell": int((v < 100).sum()), "unchanged": int((v == 100).sum())}
