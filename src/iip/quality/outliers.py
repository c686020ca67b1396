"""Outlier flags for review: Hidiroglou-Berthelot (HB) on month-on-month ratios within strata.

For unit i with current x_i and previous y_i (both > 0): r_i = x_i / y_i, r_med the stratum median;
s_i = 1 - r_med / r_i if r_i < r_med else r_i / r_med - 1; effect E_i = s_i * max(x_i, y_i)^U.
With E_Q1, E_med, E_Q3 the quartiles of E in the stratum (Banff's definition, :func:`quartile`), d_low = max(E_med - E_Q1, |A * E_med|),
d_high = max(E_Q3 - E_med, |A * E_med|): flag when E_i < E_med - C * d_low or E_i > E_med + C * d_high.
Method page: docs/methods/outliers.md. ``hidiroglou_berthelot`` is the pure method; its store driver
:func:`iip.quality.drivers.outliers.detect_store` appends flags to ``outlier_flags``. Statisticians decide the flags
in the review workflow (:mod:`iip.collection.review`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from iip.validation import QUANTITIES

VARIABLES = QUANTITIES


def quartile(values: np.ndarray, q: float) -> float:
    """The q-quantile of ``values`` as Statistics Canada's Banff computes it for HB (the Weibull plotting position,
    SAS PCTLDEF=4): position h = (n + 1) q in the sorted values, interpolated linearly."""
    return float(np.quantile(values, q, method="weibull"))


def hidiroglou_berthelot(df: pd.DataFrame, *, current: str = "current", previous: str = "previous",
                         group: str = "group", U: float = 0.5, A: float = 0.05, C: float = 7.0,
                         min_units: int = 5) -> pd.DataFrame:
    """HB bounds and flags for every row with both values > 0 (others: ratio null, not flagged). Strata with
    fewer than ``min_units`` usable units are not tested."""
    out = df.copy()
    x, y = out[current].astype(float), out[previous].astype(float)
    ok = (x > 0) & (y > 0)
    out["ratio"] = np.where(ok, x / y.where(ok, 1.0), np.nan)
    med = out.loc[ok].groupby(group)["ratio"].transform("median").reindex(out.index)
    r = out["ratio"]
    s = np.where(r < med, 1 - med / r, r / med - 1)
    out["effect"] = s * np.maximum(x, y) ** U
    out.loc[~ok, "effect"] = np.nan
    g = out.loc[ok].groupby(group)["effect"]
    q1, qm, q3 = (g.transform(lambda e, q=q: quartile(e.to_numpy(), q)).reindex(out.index) for q in (0.25, 0.5, 0.75))
    n = g.transform("size").reindex(out.index)
    d_low = np.maximum(qm - q1, (A * qm).abs())
    d_high = np.maximum(q3 - qm, (A * qm).abs())
    out["lower"], out["upper"] = qm - C * d_low, qm + C * d_high
    tested = ok & (n >= min_units)
    out.loc[~tested, ["lower", "upper"]] = np.nan
    out["outlier"] = tested & ((out["effect"] < out["lower"]) | (out["effect"] > out["upper"]))
    return out
