"""Read-side queries, always restricted to what the caller may see (enterprise: its own; provincial: its
province; national: everything; admin: no microdata)."""
from __future__ import annotations

import json

import duckdb
import pandas as pd

from iip.collection import audit
from iip.collection.accounts import Principal
from iip.errors import ForbiddenError, NotFoundError


def scope_sql(principal: Principal, alias: str = "x") -> tuple[str, list]:
    """A SQL condition on ``alias.enterprise_id`` for the caller's scope, and its parameters."""
    if principal.role == "national":
        return "true", []
    if principal.role == "enterprise":
        return f"{alias}.enterprise_id = ?", [principal.enterprise_id]
    if principal.role == "provincial":
        return (f"{alias}.enterprise_id IN (SELECT enterprise_id FROM register WHERE province = ?)",
                [principal.province])
    raise ForbiddenError(f"role {principal.role!r} cannot read microdata")


def require_enterprise(con: duckdb.DuckDBPyConnection, principal: Principal, enterprise_id: str) -> None:
    """ForbiddenError when the enterprise is outside the caller's scope (404 is not used: no probing)."""
    cond, args = scope_sql(principal, "r")
    ok = con.execute(f"SELECT 1 FROM register r WHERE r.enterprise_id = ? AND {cond}",
                     [enterprise_id, *args]).fetchone()
    if ok is None:
        raise ForbiddenError(f"you may not read or change enterprise {enterprise_id!r}")


def reports(con: duckdb.DuckDBPyConnection, principal: Principal, *, enterprise_id: str | None = None, period: str | None = None,
            limit: int = 1000) -> pd.DataFrame:
    """Current report lines in scope, optionally for one enterprise and/or month."""
    cond, args = scope_sql(principal)
    where = [cond]
    if enterprise_id:
        where.append("x.enterprise_id = ?")
        args.append(enterprise_id)
    if period:
        where.append("x.period = ?")
        args.append(period)
    return con.execute(f"SELECT x.enterprise_id, x.period, x.product_code, x.produced, x.sold, x.closing_stock, "
                       f"x.status, x.load_id FROM reports x WHERE {' AND '.join(where)} "
                       f"ORDER BY x.period DESC, x.enterprise_id, x.product_code LIMIT {int(limit)}", args).df()


def detail(con, principal: Principal, enterprise_id: str, period: str) -> dict:
    """One enterprise x month: current lines, every superseded version, employees and its submissions."""
    require_enterprise(con, principal, enterprise_id)
    args = [enterprise_id, period]
    cur = reports(con, principal, enterprise_id=enterprise_id, period=period)
    hist = con.execute("SELECT product_code, produced, sold, closing_stock, status, load_id, superseded_by "
                       "FROM reports_history WHERE enterprise_id = ? AND period = ? ORDER BY load_id", args).df()
    emp = con.execute("SELECT employees, status, load_id FROM employment WHERE enterprise_id = ? AND period = ?",
                      args).df()
    subs = con.execute("SELECT load_id, username, role, channel, action, submitted_at, lines, inserted, comment "
                       "FROM submissions WHERE enterprise_id = ? AND period = ? ORDER BY load_id", args).df()
    if cur.empty and hist.empty and subs.empty:
        raise NotFoundError(f"no report of {enterprise_id} for {period}")
    return {"enterprise_id": enterprise_id, "period": period, "current": records(cur), "history": records(hist),
            "employment": records(emp), "submissions": records(subs)}


def catalogue(con: duckdb.DuckDBPyConnection, principal: Principal, enterprise_id: str) -> pd.DataFrame:
    """The products an enterprise reports: those it has reported before (``own`` true) and the others of its
    industry class, with names and units; ordered own first, then by Vietnamese name."""
    require_enterprise(con, principal, enterprise_id)
    return con.execute("""WITH own AS (
            SELECT DISTINCT product_code FROM reports WHERE enterprise_id = $1
            UNION SELECT DISTINCT product_code FROM reports_history WHERE enterprise_id = $1)
        SELECT p.product_code, p.name_vi, p.name_en, p.unit, p.product_code IN (SELECT product_code FROM own) AS own
        FROM products p
        WHERE p.product_code IN (SELECT product_code FROM own)
           OR p.vsic = (SELECT vsic FROM register WHERE enterprise_id = $1)
        ORDER BY own DESC, p.name_vi""", [enterprise_id]).df()


def enterprises(con: duckdb.DuckDBPyConnection, principal: Principal, *, limit: int = 2000) -> pd.DataFrame:
    """Enterprises in the caller's scope (id, name, province), by id."""
    cond, args = scope_sql(principal, "x")
    return con.execute(f"SELECT x.enterprise_id, x.name, x.province FROM register x WHERE {cond} "
                       f"ORDER BY x.enterprise_id LIMIT {int(limit)}", args).df()


def submissions(con, principal: Principal, *, limit: int = 50) -> pd.DataFrame:
    """The latest submissions in the caller's scope."""
    cond, args = scope_sql(principal)
    return con.execute(f"SELECT x.load_id, x.enterprise_id, x.period, x.username, x.action, x.submitted_at, "
                       f"x.lines, x.inserted, x.comment FROM submissions x WHERE {cond} "
                       f"ORDER BY x.load_id DESC LIMIT {int(limit)}", args).df()


def audit_entries(con, principal: Principal, *, limit: int = 500) -> pd.DataFrame:
    """Audit records in the caller's scope: admins see account administration and logins (failed ones
    included), national everything, provincial its province's enterprises, an enterprise its own."""
    if principal.role == "admin":
        df = audit.entries(con, limit=limit)
        return df[df["action"].str.startswith(("user_", "login"))]
    if principal.role == "national":
        return audit.entries(con, limit=limit)
    if principal.role == "provincial":
        return audit.entries(con, province=principal.province, limit=limit)
    return audit.entries(con, enterprise_ids=[principal.enterprise_id or ""], limit=limit)


def records(df: pd.DataFrame) -> list[dict]:
    """JSON-safe records (NaN -> null, timestamps -> ISO text)."""
    return json.loads(df.to_json(orient="records", date_format="iso", force_ascii=False))
