"""Impute non-response in the store: ratio of means (:mod:`iip.quality.imputation`) per variable within
strata province x class x product; imputed lines go into ``reports`` with status = the produced marker.

Who is expected to report: an enterprise x product with a response (status R) in the window or in the
``lookback`` months before it is expected in every month of the window. Auxiliary variable (construction):
employees on the 1st of the month (nearest known month of the enterprise). Reported lines are never touched;
an imputed line is versioned like any other (old version to ``reports_history``), so a rerun with the same
inputs writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from iip.collection import audit
from iip.collection.service import write_transaction
from iip.errors import IIPError
from iip.quality.imputation import ratio_of_means
from iip.store import next_load_id, record_load, sha256, versioned_upsert
from iip.validation import LAYOUTS, QUANTITIES

REPORTS = LAYOUTS["reports"]
VARIABLES = QUANTITIES
DETAIL = ["forward", "backward", "construction", "count_forward", "count_backward", "count_construction"]


@dataclass
class ImputeResult:
    load_id: int | None
    period_from: str
    period_to: str
    expected: int
    responded: int
    imputed: int
    written: int
    unimputable: int
    markers: dict


def _months(a: str, b: str) -> list[str]:
    return [str(p) for p in pd.period_range(a, b, freq="M")]


def panel(con: duckdb.DuckDBPyConnection, period_from: str, period_to: str, *, lookback: int = 12) -> pd.DataFrame:
    """Every expected enterprise x product x month of the window with its reported values (null = missing),
    stratum and auxiliary (employees)."""
    start = str(pd.Period(period_from, "M") - lookback)
    months = pd.DataFrame({"period": _months(period_from, period_to)})
    pairs = con.execute("""SELECT DISTINCT r.enterprise_id, r.product_code, g.province, p.vsic
        FROM reports r JOIN register g USING (enterprise_id) JOIN products p USING (product_code)
        WHERE r.status = 'R' AND r.period BETWEEN ? AND ? ORDER BY ALL""", [start, period_to]).df()
    rep = con.execute("SELECT enterprise_id, product_code, period, produced, sold, closing_stock FROM reports "
                      "WHERE status = 'R' AND period BETWEEN ? AND ? ORDER BY ALL", [period_from, period_to]).df()
    df = pairs.merge(months, how="cross").merge(rep, on=["enterprise_id", "product_code", "period"], how="left")
    df["stratum"] = df["province"] + "|" + df["vsic"] + "|" + df["product_code"]
    df["id"] = df["enterprise_id"] + "|" + df["product_code"]
    df = df.merge(_employees(con, df["enterprise_id"].unique(), months["period"]), how="left",
                  on=["enterprise_id", "period"])
    # a fixed row order: sums within strata, hence imputed values, are then identical bit for bit on a rerun
    return df.sort_values(["stratum", "id", "period"], kind="stable").reset_index(drop=True)


def _employees(con, enterprises, periods: pd.Series) -> pd.DataFrame:
    """Employees per enterprise x month of the window: the month's figure, else the nearest earlier, else later."""
    emp = con.execute("SELECT enterprise_id, period, employees FROM employment WHERE employees IS NOT NULL").df()
    grid = pd.DataFrame({"enterprise_id": enterprises}).merge(pd.DataFrame({"period": periods}), how="cross")
    allp = pd.concat([emp[emp["enterprise_id"].isin(set(enterprises))], grid.assign(employees=np.nan)])
    allp = allp.sort_values(["enterprise_id", "period", "employees"], na_position="last")
    allp = allp.drop_duplicates(["enterprise_id", "period"]).reset_index(drop=True)
    g = allp.groupby("enterprise_id")["employees"]
    allp["employees"] = allp["employees"].fillna(g.ffill()).fillna(g.bfill())
    return grid.merge(allp, on=["enterprise_id", "period"], how="left")


def _back(con, period_from: str) -> pd.DataFrame:
    prev = str(pd.Period(period_from, "M") - 1)
    return con.execute("""SELECT r.enterprise_id || '|' || r.product_code AS id, r.period,
        g.province || '|' || p.vsic || '|' || r.product_code AS stratum, r.produced, r.sold, r.closing_stock,
        r.status AS marker, NULL::DOUBLE AS employees
        FROM reports r JOIN register g USING (enterprise_id) JOIN products p USING (product_code)
        WHERE r.period = ? ORDER BY ALL""", [prev]).df()


def compute(con: duckdb.DuckDBPyConnection, period_from: str, period_to: str, *, lookback: int = 12
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(imputed lines to write, per-variable detail) for the window; no writes."""
    df = panel(con, period_from, period_to, lookback=lookback)
    back = _back(con, period_from)
    details = []
    for var in VARIABLES:
        b = back.assign(marker=np.where(back[var].isna(), None, back["marker"]))
        out = ratio_of_means(df, id="id", period="period", group="stratum", target=var, auxiliary="employees",
                             back_data=b)
        miss = out[out[var].isna()]
        details.append(miss[["enterprise_id", "period", "product_code", "stratum", "imputed", "marker", *DETAIL]]
                       .rename(columns={"imputed": "value"}).assign(variable=var))
    detail = pd.concat(details, ignore_index=True)
    wide = detail.pivot_table(index=["enterprise_id", "period", "product_code"], columns="variable",
                              values="value", aggfunc="first", dropna=False)
    lines = df[df["produced"].isna()][["enterprise_id", "period", "product_code"]]
    lines = lines.merge(wide.reset_index(), on=["enterprise_id", "period", "product_code"], how="left")
    mark = detail[detail["variable"] == "produced"][["enterprise_id", "period", "product_code", "marker"]]
    lines = lines.merge(mark, on=["enterprise_id", "period", "product_code"], how="left")
    for v in VARIABLES:
        if v not in lines:
            lines[v] = np.nan
    return lines.rename(columns={"marker": "status"}), detail.dropna(subset=["marker"])


def write(con, lines: pd.DataFrame, load_id: int) -> int:
    """Versioned write of imputed lines where no reported (R) line exists; returns the number written."""
    ok = lines.dropna(subset=["produced", "status"])[["enterprise_id", "period", "product_code", *VARIABLES,
                                                      "status"]]
    con.register("_imp", ok)
    try:
        return versioned_upsert(con, "reports", "_imp", key=REPORTS.key, compare=[*VARIABLES, "status"],
                                load_id=load_id, keep="c.status = 'R'")
    finally:
        con.unregister("_imp")


def impute_store(con: duckdb.DuckDBPyConnection, period_from: str, period_to: str | None = None, *,
                 lookback: int = 12, user: str | None = None) -> ImputeResult:
    """Impute every missing expected line of [period_from, period_to] and write it, all or nothing."""
    period_to = period_to or period_from
    if period_to < period_from:
        raise IIPError(f"--to {period_to} is before --from {period_from}")
    lines, detail = compute(con, period_from, period_to, lookback=lookback)
    expected = int(con.execute("SELECT count(*) FROM reports WHERE status = 'R' AND period BETWEEN ? AND ?",
                               [period_from, period_to]).fetchone()[0]) + len(lines)
    markers = lines["status"].value_counts().to_dict()
    with write_transaction(con, name="impute"):
        load_id = next_load_id(con)
        written = write(con, lines, load_id)
        unimputable = int(lines["produced"].isna().sum())
        sha = sha256(lines.sort_values(["enterprise_id", "period", "product_code"]).to_csv(index=False))
        if written:
            record_load(con, load_id=load_id, kind="imputation", file=f"impute:{period_from}..{period_to}",
                        sha256=sha, rows=len(lines), inserted=written, unchanged=len(lines) - written, user=user)
            con.register("_det", detail.assign(load_id=load_id))
            # the detail of the lines this load wrote (a rerun that changes a few lines logs only those)
            con.execute("INSERT INTO imputations SELECT load_id, enterprise_id, period, product_code, variable, "
                        "value, marker, stratum, forward, backward, construction, count_forward, count_backward, "
                        "count_construction FROM _det d WHERE EXISTS (SELECT 1 FROM reports r WHERE r.load_id = ? "
                        "AND r.enterprise_id = d.enterprise_id AND r.period = d.period "
                        "AND r.product_code = d.product_code)", [load_id])
            con.unregister("_det")
        con.execute("INSERT INTO imputation_runs (load_id, period_from, period_to, strata, username, imputed, "
                    "written, unimputable) VALUES (?, ?, ?, 'province|class|product', ?, ?, ?, ?)",
                    [load_id, period_from, period_to, user, len(lines) - unimputable, written, unimputable])
        audit.log(con, username=user, role=None, action="impute", load_id=load_id,
                  detail={"from": period_from, "to": period_to, "written": written, "markers": markers})
    return ImputeResult(load_id if written else None, period_from, period_to, expected, expected - len(lines),
                        len(lines) - unimputable, written, unimputable, {k: int(v) for k, v in markers.items()})
