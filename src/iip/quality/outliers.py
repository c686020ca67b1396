"""Outlier flags for review: Hidiroglou-Berthelot (HB) on month-on-month ratios within strata.

For unit i with current x_i and previous y_i (both > 0): r_i = x_i / y_i, r_med the stratum median;
s_i = 1 - r_med / r_i if r_i < r_med else r_i / r_med - 1; effect E_i = s_i * max(x_i, y_i)^U.
With E_Q1, E_med, E_Q3 the quartiles of E in the stratum (Banff's definition, :func:`quartile`), d_low = max(E_med - E_Q1, |A * E_med|),
d_high = max(E_Q3 - E_med, |A * E_med|): flag when E_i < E_med - C * d_low or E_i > E_med + C * d_high.
Method page: docs/methods/outliers.md. The store driver of detection is
:func:`iip.quality.drivers.outliers.detect_store`. Flags are append-only; accept and edit decisions go through the audit
log, an edit through a new report version (:mod:`iip.collection.submissions`).
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from iip.collection import audit, submissions
from iip.collection.accounts import Principal
from iip.collection.service import write_transaction
from iip.errors import ForbiddenError, IIPError, NotFoundError
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


def queue(con: duckdb.DuckDBPyConnection, principal: Principal, *, include_reviewed: bool = False) -> pd.DataFrame:
    """Flags awaiting review (no accept/edit decision yet) in the caller's scope."""
    if not principal.can_review():
        raise ForbiddenError("only statisticians review outliers")
    from iip.collection.views import scope_sql

    cond, args = scope_sql(principal, "f")
    pending = "" if include_reviewed else "AND NOT EXISTS (SELECT 1 FROM outlier_reviews r WHERE r.flag_id = f.flag_id)"
    return con.execute(f"""SELECT f.flag_id, f.method, f.enterprise_id, f.period, f.product_code, f.variable,
        f.value, f.previous, f.ratio, f.effect, f.lower, f.upper, f.stratum, f.run_at FROM outlier_flags f
        WHERE {cond} {pending} ORDER BY f.effect DESC""", args).df()


def _flag(con, principal: Principal, flag_id: int) -> dict:
    q = queue(con, principal, include_reviewed=True)
    row = q[q["flag_id"] == int(flag_id)]
    if row.empty:
        raise NotFoundError(f"no outlier flag {flag_id} in your scope")
    if con.execute("SELECT 1 FROM outlier_reviews WHERE flag_id = ?", [int(flag_id)]).fetchone():
        raise IIPError(f"flag {flag_id} has already been reviewed")
    return row.iloc[0].to_dict()


def accept(con: duckdb.DuckDBPyConnection, principal: Principal, flag_id: int, *, comment: str | None = None) -> None:
    """Accept the flagged value as it is (recorded in outlier_reviews and the audit log)."""
    f = _flag(con, principal, flag_id)
    with write_transaction(con):
        con.execute("INSERT INTO outlier_reviews (flag_id, action, username, comment) VALUES (?, 'accept', ?, ?)",
                    [int(flag_id), principal.username, comment])
        audit.log(con, username=principal.username, role=principal.role, action="outlier_accept",
                  enterprise_id=f["enterprise_id"], period=f["period"], detail={"flag_id": int(flag_id),
                                                                               "comment": comment})


def edit(con: duckdb.DuckDBPyConnection, principal: Principal, flag_id: int, values: dict, *,
         comment: str) -> submissions.SubmissionResult:
    """Correct the flagged line: a new report version (submission action 'review_edit') plus the review record."""
    if not (comment or "").strip():
        raise IIPError("an edit needs a comment")
    f = _flag(con, principal, flag_id)
    cur = con.execute("SELECT produced, sold, closing_stock FROM reports WHERE enterprise_id = ? AND period = ? "
                      "AND product_code = ?", [f["enterprise_id"], f["period"], f["product_code"]]).fetchone()
    line = dict(zip(VARIABLES, cur))
    line.update({k: values[k] for k in VARIABLES if k in values})
    frame = submissions.frame_from_json({"enterprise_id": f["enterprise_id"], "period": f["period"],
                                         "products": [{"product_code": f["product_code"], **line}]}, principal)
    with write_transaction(con):  # re-entrant lock: the review and the correction commit together
        lines, warnings = submissions.check(con, principal, frame, comment=comment)
        res = submissions.write_one(con, principal, lines, channel="review", comment=comment, warnings=warnings,
                                    action="review_edit")
        con.execute("INSERT INTO outlier_reviews (flag_id, action, username, comment, load_id) "
                    "VALUES (?, 'edit', ?, ?, ?)", [int(flag_id), principal.username, comment, res.load_id])
        audit.log(con, username=principal.username, role=principal.role, action="outlier_edit",
                  enterprise_id=f["enterprise_id"], period=f["period"], load_id=res.load_id,
                  detail={"flag_id": int(flag_id), "values": values, "comment": comment})
    return res
