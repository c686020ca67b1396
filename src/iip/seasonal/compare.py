"""Tet-neutral comparisons: January+February combined, and changes of the adjusted series.

Method page: docs/methods/seasonal.md ("Tet-neutral comparisons").
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import statsmodels.api as sm

from iip import measures
from iip.seasonal.regressors import tet_date


def tet_neutral(df: pd.DataFrame) -> pd.DataFrame:
    """Raw and Tet-neutral growth rates side by side, in percent, one row per month.

    Input: columns ``period`` ('YYYY-MM'), ``value`` and optionally ``sa`` (e.g. an sa.csv).
    Output columns: period, value, sa, tet_month (True in the month holding Tet's first day),
    yoy_raw = 100 (value_t / value_t-12 - 1), yoy_sa (same on sa), mom_raw, mom_sa (on t-1),
    janfeb_yoy_raw = 100 ((Jan+Feb)_y / (Jan+Feb)_y-1 - 1) on February rows (NaN elsewhere),
    janfeb_yoy_sa the same on sa. Jan+Feb always holds Tet, so its yoy is free of the Tet shift.
    """
    d = df.copy()
    d["period"] = pd.PeriodIndex(d["period"].astype(str), freq="M")
    d = d.sort_values("period").set_index("period")
    d = d.reindex(pd.period_range(d.index[0], d.index[-1], freq="M"))
    if "sa" not in d:
        d["sa"] = np.nan
    out = pd.DataFrame(index=d.index)
    out["value"], out["sa"] = d["value"], d["sa"]
    out["tet_month"] = [pd.Period(tet_date(p.year), "M") == p for p in d.index]
    months = pd.DataFrame({"period": d.index.astype(str)})
    for col, tag in (("value", "raw"), ("sa", "sa")):
        g = measures.growth_of(None, months.assign(value=d[col].to_numpy()))   # 100-based, one implementation
        out[f"yoy_{tag}"] = g["yoy"].to_numpy() - 100
        out[f"mom_{tag}"] = g["mom"].to_numpy() - 100
        feb = d.index.month == 2                        # ytd in February = (Jan + Feb) on Jan + Feb a year earlier
        out[f"janfeb_yoy_{tag}"] = np.where(feb, g["ytd"].to_numpy() - 100, np.nan)
    out.index = out.index.astype(str)
    return out.rename_axis("period").reset_index()


def tet_effect_test(values: pd.Series, tet: pd.DataFrame, *, seasonal_dummies: bool, log: bool = True) -> dict:
    """F-test of the Tet regressors in an OLS of monthly log-changes.

    dlog(y_t) = c [+ month dummies] + sum_k b_k dTet_k,t + e_t ; H0: all b_k = 0 (first differences of y
    instead of log-changes when ``log`` is False or a value is not positive).
    ``values`` and ``tet`` share a monthly PeriodIndex. Returns {F, p, df_num, df_den, coef, t}.
    """
    v = values.astype(float)
    y = np.log(v).diff() if log and (v > 0).all() else v.diff()
    x = tet.reindex(values.index).diff()
    frame = pd.concat([y.rename("y"), x], axis=1).dropna()
    exog = frame[tet.columns]
    if seasonal_dummies:
        dummies = pd.get_dummies(frame.index.month, prefix="m", drop_first=True, dtype=float)
        dummies.index = frame.index
        exog = pd.concat([exog, dummies], axis=1)
    fit = sm.OLS(frame["y"], sm.add_constant(exog)).fit()
    test = fit.f_test(" = 0, ".join(tet.columns) + " = 0")
    return {"F": float(np.squeeze(test.fvalue)), "p": float(test.pvalue), "df_num": int(test.df_num),
            "df_den": int(test.df_denom), "coef": {c: float(fit.params[c]) for c in tet.columns},
            "t": {c: float(fit.tvalues[c]) for c in tet.columns}}
