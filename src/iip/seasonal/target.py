"""Tracking an annual growth target: the growth still needed and the chance of reaching it.

Annual growth = sum of the year's 12 monthly indices / sum of the previous year's 12 - 1.
The remaining months come from the regARIMA forecasts of the adjustment model (X-13 table fct).
Method page: docs/methods/seasonal.md ("Forecasts and target tracking").
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from iip.errors import IIPError


def psi_weights(se: np.ndarray) -> np.ndarray:
    """MA(inf) weights recovered from forecast standard errors: Var(e_h) = s2 sum_{j<h} psi_j^2, psi_0 = 1.

    psi_j = sqrt(max(se_{j+1}^2 - se_j^2, 0)) / se_1. Signs are taken as positive (true for the airline
    model and most models X-13 picks for industrial series: a shock raises all later forecasts).
    """
    v = np.asarray(se, dtype=float) ** 2
    if len(v) == 0 or not np.isfinite(v).all() or v[0] <= 0:
        raise IIPError("forecast standard errors are missing or not positive")
    inc = np.clip(np.diff(v), 0.0, None)
    return np.concatenate([[1.0], np.sqrt(inc / v[0])])


def simulate_paths(point: np.ndarray, se: np.ndarray, *, log: bool, n: int = 20000, seed: int = 0) -> np.ndarray:
    """Joint forecast paths (n x H) with the forecast errors' serial correlation.

    e_h = sum_{j=0}^{h-1} psi_j a_{h-j}, a ~ N(0, se_1^2) iid; path = point x exp(e) (log) or point + e.
    """
    h = len(point)
    psi = psi_weights(se)
    a = np.random.default_rng(seed).normal(0.0, se[0], size=(n, h))
    e = np.zeros((n, h))
    for k in range(h):                                # e[:, k] = sum_j psi_j a[:, k-j]
        e[:, k] = a[:, : k + 1][:, ::-1] @ psi[: k + 1]
    return point * np.exp(e) if log else point + e


def forecast_se(forecast: pd.DataFrame, *, log: bool, probability: float = 0.95) -> np.ndarray:
    """Standard error per lead from the interval: (upper - lower) / 2z, on the log scale when ``log``."""
    z = norm.ppf(0.5 + probability / 2)
    lo, hi = forecast["lower"].to_numpy(float), forecast["upper"].to_numpy(float)
    return (np.log(hi) - np.log(lo)) / (2 * z) if log else (hi - lo) / (2 * z)


def _year_values(s: pd.Series, year: int) -> pd.Series:
    return s[s.index.year == year]


def target_path(series: pd.DataFrame, forecast: pd.DataFrame, *, year: int, target_pct: float, log: bool = True,
                n_sims: int = 20000, seed: int = 0) -> dict:
    """Growth needed in the rest of ``year`` to reach ``target_pct`` and the probability of reaching it.

    series: period, value (observed up to the last month known); forecast: period, forecast, lower, upper.
    required_avg_yoy = 100 (R / sum(prev-year values of the remaining months) - 1) with
    R = (1 + target/100) x sum(prev year) - sum(observed months of ``year``).
    probability = share of simulated paths whose annual growth >= target.
    """
    s = pd.Series(series["value"].to_numpy(float), index=pd.PeriodIndex(series["period"].astype(str), freq="M"))
    prev = _year_values(s, year - 1)
    if len(prev) != 12:
        raise IIPError(f"the previous year {year - 1} has {len(prev)} of 12 months; annual growth needs all 12")
    cur = _year_values(s, year)
    done = sorted(p.month for p in cur.index)
    if done != list(range(1, len(done) + 1)):
        raise IIPError(f"months observed in {year} are not January..m: {done}")
    k = len(done)
    prev_total, cur_total = prev.sum(), cur.sum()
    res = {"year": year, "target_pct": target_pct, "months_observed": k,
           "last_observed": str(cur.index[-1]) if k else None,
           "ytd_growth_pct": 100 * (cur_total / prev.iloc[:k].sum() - 1) if k else None}
    if k == 12:
        g = 100 * (cur_total / prev_total - 1)
        return {**res, "annual_growth_pct": g, "required_avg_yoy_pct": None, "probability": float(g >= target_pct),
                "expected_growth_pct": g, "growth_interval_90": [g, g]}
    need = (1 + target_pct / 100) * prev_total - cur_total
    res["required_avg_yoy_pct"] = 100 * (need / prev.iloc[k:].sum() - 1)
    fc = forecast.assign(p=pd.PeriodIndex(forecast["period"].astype(str), freq="M")).set_index("p")
    first = (cur.index[-1] + 1) if k else pd.Period(f"{year}-01", "M")
    lead_from = fc.index.get_loc(first) if first in fc.index else None
    months = pd.period_range(first, f"{year}-12", freq="M")
    if lead_from is None or any(m not in fc.index for m in months):
        raise IIPError(f"the forecasts do not cover {months[0]}..{months[-1]}")
    fc = fc.iloc[: fc.index.get_loc(months[-1]) + 1]   # leads 1..H up to December
    se = forecast_se(fc, log=log)
    paths = simulate_paths(fc["forecast"].to_numpy(float), se, log=log, n=n_sims, seed=seed)
    growth = 100 * ((cur_total + paths[:, -len(months):].sum(axis=1)) / prev_total - 1)
    point = 100 * ((cur_total + fc["forecast"].iloc[-len(months):].sum()) / prev_total - 1)
    return {**res, "forecast_growth_pct": float(point), "expected_growth_pct": float(growth.mean()),
            "growth_interval_90": [float(np.percentile(growth, 5)), float(np.percentile(growth, 95))],
            "probability": float((growth >= target_pct).mean()), "n_sims": n_sims}
