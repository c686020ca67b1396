"""Seasonal adjustment diagnostics: the stored runs (sa_runs) and their reports, latest first."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from iip.errors import NotFoundError
from iip.store import scalar
from iip.web.services.cache import WebCache
from iip.web.services.common import (
    INDICATORS,
    check_areas,
    check_choice,
    check_nodes,
    records,
    relation_exists,
)

CONFIDENTIAL = "confidential cell (disclosure control)"
RUN_COLS = [
    "run_id",
    "batch_id",
    "source",
    "indicator",
    "area",
    "node",
    "started_at",
    "status",
    "message",
    "first_period",
    "last_period",
    "model",
    "transform",
    "tet_before",
    "tet_after",
    "tet_t_before",
    "tet_t_after",
]


def _summary(report: dict | None) -> dict:
    """The few diagnostics worth a glance: M and Q statistics, residual seasonality, outliers, AICc."""
    if not report:
        return {}
    d = report.get("diagnostics", {}) or {}
    mq = d.get("m_q", {}) or {}
    qs = d.get("qs", {}) or {}
    return {
        "aicc": (report.get("model") or {}).get("aicc"),
        "Q": mq.get("Q"),
        "M7": mq.get("M7"),
        "qs_sa_p": (qs.get("qssadj") or {}).get("p"),
        "qs_irr_p": (qs.get("qsirr") or {}).get("p"),
        "outliers": [o.get("label") for o in report.get("outliers", []) or []],
        "tet": {
            k: (report.get("tet") or {}).get(k)
            for k in ("before_days", "after_days", "t_before", "t_after", "joint_chi2")
        },
    }


def runs(
    con: duckdb.DuckDBPyConnection,
    cache: WebCache,
    *,
    indicator: str | None = None,
    area: str | None = None,
    node: str | None = None,
    source: str | None = None,
    status: str | None = None,
    latest: bool = True,
    limit: int = 200,
) -> list[dict]:
    """Adjustment runs with a diagnostics summary; ``latest`` keeps the newest run per series."""
    if indicator:
        check_choice("indicator", indicator, INDICATORS)
    if area:
        check_areas([area])
    if node:
        check_nodes([node])
    if status:
        check_choice("status", status, ("ok", "skipped", "failed"))
    if not relation_exists(con, "sa_runs"):
        return []
    where, par = [], []
    for col, v in (
        ("indicator", indicator),
        ("area", area),
        ("node", node),
        ("source", source),
        ("status", status),
    ):
        if v:
            where.append(f"{col} = ?")
            par.append(v)
    sql = f"SELECT {', '.join(RUN_COLS)}, report FROM sa_runs" + (
        " WHERE " + " AND ".join(where) if where else ""
    )
    if latest:
        sql = (
            f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY source, indicator, area, node "
            "ORDER BY run_id DESC) = 1"
        )
    df = con.execute(sql + " ORDER BY source, indicator, area, node, run_id DESC LIMIT ?", par + [limit]).df()
    secret = _confidential(con, cache, df)
    out = []
    for rec, rep in zip(records(df.drop(columns=["report"])), df["report"]):
        if (rec["source"], rec["indicator"], rec["area"], rec["node"]) in secret:   # a message may quote a value
            rec.update(message=CONFIDENTIAL, diagnostics={})
        else:
            rec["diagnostics"] = _summary(json.loads(rep) if isinstance(rep, str) and rep else None)
        out.append(rec)
    return out


def _confidential(con: duckdb.DuckDBPyConnection, cache: WebCache, df: pd.DataFrame) -> set[tuple]:
    """(source, indicator, area, node) of compiled series whose cell is suppressed by disclosure control."""
    own = df[df["source"] == "compiled"][["indicator", "area", "node"]].drop_duplicates()
    if own.empty:
        return set()
    chk = cache.protect(con, own.assign(value=1.0))
    hit = chk[chk["obs_status"] == "c"]
    return {("compiled", i, a, n) for i, a, n in zip(hit["indicator"], hit["area"], hit["node"])}


def run(con: duckdb.DuckDBPyConnection, cache: WebCache, run_id: int) -> dict:
    """One run in full: its report, spec, decomposition and forecasts."""
    if not relation_exists(con, "sa_runs"):
        raise NotFoundError("no seasonal adjustment runs in the store")
    df = con.execute(
        f"SELECT {', '.join(RUN_COLS)}, report, spec FROM sa_runs WHERE run_id = ?", [run_id]
    ).df()
    if df.empty:
        raise NotFoundError(f"no seasonal adjustment run {run_id}")
    rec = records(df.drop(columns=["report", "spec"]))[0]
    rep = df["report"].iloc[0]
    rec["report"] = json.loads(rep) if isinstance(rep, str) and rep else None
    rec["spec"] = df["spec"].iloc[0]
    series = con.execute(
        "SELECT period, value, sa, trend, seasonal, calendar, tet, irregular FROM sa_series "
        "WHERE run_id = ? ORDER BY period",
        [run_id],
    ).df()
    fc = con.execute(
        "SELECT period, forecast, lower, upper FROM sa_forecasts WHERE run_id = ? ORDER BY period", [run_id]
    ).df()
    if rec["source"] == "compiled":  # own compiled figures: disclosure control
        series = cache.protect(con, series.assign(indicator=rec["indicator"], area=rec["area"], node=rec["node"]))
        series = series.drop(columns=["indicator", "area", "node"])
        if _confidential(con, cache, df):
            fc[["forecast", "lower", "upper"]] = float("nan")
            rec.update(message=CONFIDENTIAL, report=None, spec=None)
    rec["series"], rec["forecasts"] = records(series), records(fc)
    return rec


def current(
    con: duckdb.DuckDBPyConnection, *, indicator: str, area: str, node: str, source: str = "compiled"
) -> tuple[int, pd.DataFrame, pd.DataFrame, str | None] | None:
    """Latest successful run of one series: (run_id, decomposition, forecasts, transform) or None."""
    if not relation_exists(con, "sa_runs"):
        return None
    row = con.execute(
        "SELECT max(run_id) FROM sa_runs WHERE status = 'ok' AND source = ? AND indicator = ? "
        "AND area = ? AND node = ?",
        [source, indicator, area, node],
    ).fetchone()
    if not row or row[0] is None:
        return None
    rid = int(row[0])
    s = con.execute(
        "SELECT period, value, sa, trend FROM sa_series WHERE run_id = ? ORDER BY period", [rid]
    ).df()
    f = con.execute(
        "SELECT period, forecast, lower, upper FROM sa_forecasts WHERE run_id = ? ORDER BY period", [rid]
    ).df()
    tr = scalar(con, "SELECT transform FROM sa_runs WHERE run_id = ?", [rid])
    return rid, s, f, tr
