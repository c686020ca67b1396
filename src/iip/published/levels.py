"""Continuous level series from published growth rates, by least squares on log-levels.

Unknowns x_t = ln L_t for every month t of the series. Each published figure is one equation:

    mom_t (100-based):  x_t - x_{t-1}  = ln(mom_t / 100)
    yoy_t (100-based):  x_t - x_{t-12} = ln(yoy_t / 100)

plus the constraint  mean(x_t, t in reference year) = ln 100  (weight ``anchor_weight``) that pins the
free constant. The over-determined system A x = b is solved with scipy.sparse.linalg.lsqr; the levels
L_t = exp(x_t) are then scaled so that the arithmetic mean of the reference year is 100. Residuals (published - fitted, in index points) show where the
published figures disagree with each other. Months not linked to the reference year by any chain of
equations are left out (reported as ``unlinked``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.linalg import lsqr

LAG = {"mom": 1, "yoy": 12}


def _months(periods) -> pd.PeriodIndex:
    return pd.PeriodIndex(list(periods), freq="M")


def _linked(n: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Union-find component id of each of n unknowns."""
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a
    for a, b in pairs:
        parent[find(a)] = find(b)
    return np.array([find(i) for i in range(n)])


def reconstruct_levels(obs: pd.DataFrame, *, reference_year: int = 2020, anchor_weight: float = 100.0,
                       weights: dict[str, float] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """obs [period 'YYYY-MM', measure mom|yoy, value] of ONE series ->
    (levels [period, value], residuals [period, measure, published, fitted, residual])."""
    weights = weights or {"mom": 1.0, "yoy": 1.0}
    obs = obs[obs["measure"].isin(list(LAG)) & obs["value"].gt(0)].copy()
    if obs.empty:
        return pd.DataFrame(columns=["period", "value"]), pd.DataFrame(
            columns=["period", "measure", "published", "fitted", "residual"])
    t = _months(obs["period"])
    lag = obs["measure"].map(LAG).to_numpy()
    start, end = (t - lag).min(), t.max()
    n = (end - start).n + 1
    i_to = np.array([(p - start).n for p in t])
    i_from = i_to - lag
    comp = _linked(n, list(zip(i_to, i_from)))
    ref = [i for i in range(n) if (start + i).year == reference_year]
    anchor_comp = pd.Series(comp[ref]).mode().iloc[0] if ref else pd.Series(comp).mode().iloc[0]
    keep = comp == anchor_comp
    ref = [i for i in ref if keep[i]] or [i for i in range(n) if keep[i]]
    rows_ok = keep[i_to] & keep[i_from]
    w = obs["measure"].map(weights).to_numpy()[rows_ok]
    m = int(rows_ok.sum())
    r = np.r_[np.arange(m), np.arange(m), np.full(len(ref), m)]
    c = np.r_[i_to[rows_ok], i_from[rows_ok], ref]
    v = np.r_[w, -w, np.full(len(ref), anchor_weight / len(ref))]
    a = coo_matrix((v, (r, c)), shape=(m + 1, n)).tocsr()
    b = np.r_[w * np.log(obs["value"].to_numpy()[rows_ok] / 100), anchor_weight * np.log(100)]
    x = lsqr(a, b, atol=1e-12, btol=1e-12, iter_lim=100000)[0]
    lv = np.exp(x)
    lv = 100 * lv / lv[ref].mean()          # arithmetic mean of the reference year = 100
    levels = pd.DataFrame({"period": [str(start + i) for i in range(n) if keep[i]], "value": lv[keep]})
    sub = obs[rows_ok]
    fitted = 100 * np.exp(x[i_to[rows_ok]] - x[i_from[rows_ok]])
    res = pd.DataFrame({"period": sub["period"].to_numpy(), "measure": sub["measure"].to_numpy(),
                        "published": sub["value"].to_numpy(), "fitted": fitted})
    res["residual"] = res["published"] - res["fitted"]
    return levels, res


def rereference(levels: pd.DataFrame, *, year: int) -> pd.DataFrame:
    """Re-reference a level series so that the mean of ``year``'s months is 100: L'_t = 100 L_t / mean_year(L)."""
    base = levels.loc[levels["period"].str.startswith(f"{year}-"), "value"].mean()
    return levels.assign(value=100 * levels["value"] / base)
