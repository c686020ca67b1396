"""Outlier flags for review: Hidiroglou-Berthelot (HB) on month-on-month ratios within strata.

For unit i with current x_i and previous y_i (both > 0): r_i = x_i / y_i, r_med the stratum median;
s_i = 1 - r_med / r_i if r_i < r_med else r_i / r_med - 1; effect E_i = s_i * max(x_i, y_i)^U.
With E_Q1, E_med, E_Q3 the quartiles of E in the stratum (Banff's definition, :func:`quartile`), d_low = max(E_med - E_Q1, |A * E_med|),
d_high = max(E_Q3 - E_med, |A * E_med|): flag when E_i < E_med - C * d_low or E_i > E_med + C * d_high.
Method page: docs/methods/outliers.md. ``hidiroglou_berthelot`` is the pure method; ``detect_store`` its store
driver, which appends flags to ``outlier_flags``. Statisticians decide the flags in the review workflow
(:mod:`iip.collection.review`).
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from iip.collection import audit
from iip.collection.service import write_transaction
from iip.errors import OptionError
from iip.store import next_id
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


def detect_store(con: duckdb.DuckDBPyConnection, period: str, *, variable: str = "produced", U: float = 0.5,
                 A: float = 0.05, C: float = 7.0, user: str | None = None) -> pd.DataFrame:
    """Flag reported lines of ``period`` against the previous month within strata class x product (national: a
    product's reporters form one stratum) and append new flags; a line version already flagged is not flagged
    again."""
    if variable not in VARIABLES:
        raise OptionError(f"variable must be one of {', '.join(VARIABLES)}, got {variable!r}", option="--variable")
    prev = str(pd.Period(period, "M") - 1)
    df = con.execute(f"""SELECT c.enterprise_id, c.product_code, c.{variable} AS current, q.{variable} AS previous,
            c.load_id AS report_load_id, p.vsic || '|' || c.product_code AS stratum
        FROM reports c JOIN reports q ON q.enterprise_id = c.enterprise_id AND q.product_code = c.product_code
             AND q.period = ? AND q.status = 'R'
        JOIN products p ON p.product_code = c.product_code
        WHERE c.period = ? AND c.status = 'R'""", [prev, period]).df()
    res = hidiroglou_berthelot(df, group="stratum", U=U, A=A, C=C)
    flags = res[res["outlier"]].assign(period=period, variable=variable, method="HB")
    with write_transaction(con):
        con.register("_flags", flags)
        new = con.execute("""SELECT f.* FROM _flags f WHERE NOT EXISTS (SELECT 1 FROM outlier_flags o
            WHERE o.enterprise_id = f.enterprise_id AND o.period = f.period AND o.product_code = f.product_code
            AND o.variable = f.variable AND o.report_load_id = f.report_load_id)""").df()
        con.unregister("_flags")
        if len(new):
            new["flag_id"] = [next_id(con, "flag_seq") for _ in range(len(new))]
            con.register("_new_flags", new)
            con.execute("""INSERT INTO outlier_flags (flag_id, method, enterprise_id, period, product_code, variable,
                value, previous, ratio, effect, lower, upper, stratum, report_load_id)
                SELECT flag_id, method, enterprise_id, period, product_code, variable, current, previous, ratio,
                effect, lower, upper, stratum, report_load_id FROM _new_flags""")
            con.unregister("_new_flags")
        audit.log(con, username=user, role=None, action="outliers", period=period,
                  detail={"variable": variable, "tested": int(res["ratio"].notna().sum()), "flagged": len(flags),
                          "new": len(new)})
    return new
