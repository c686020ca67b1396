"""Released months are locked for enterprises: a change becomes a revision request.

A month is released once table ``releases`` holds it (``iip release --period``). An enterprise that submits for
such a month changes nothing in ``reports``: its checked lines are stored in ``revision_requests`` (status
pending) and audited (``revision_request``); a statistician of its scope accepts it (the lines are then written
as a new report version, submission action ``revision``) or rejects it (:mod:`iip.collection.review`).
Statisticians' own corrections of released months are not locked (they are audited as corrections).
"""
from __future__ import annotations

import json

import duckdb
import pandas as pd

from iip.collection import audit
from iip.collection.accounts import Principal
from iip.collection.views import scope_sql
from iip.errors import Problem
from iip.store import among, next_id

LINE_COLUMNS = ["product_code", "produced", "sold", "closing_stock", "value"]


def released(con: duckdb.DuckDBPyConnection, periods) -> set[str]:
    """The months among ``periods`` that have a release."""
    months, args = among("period", (str(p) for p in periods))
    rows = con.execute(f"SELECT DISTINCT period FROM releases WHERE {months}", args).fetchall()
    return {r[0] for r in rows}


def locked(con: duckdb.DuckDBPyConnection, principal: Principal, periods, *, known: set[str] | None = None
           ) -> set[str]:
    """The months among ``periods`` that ``principal`` may not change directly (enterprises, released months);
    ``known``: the released months among them, when already read."""
    if principal.role != "enterprise":
        return set()
    return released(con, periods) if known is None else known & {str(p) for p in periods}


def _plain(v):
    return None if v is None or pd.isna(v) else float(v)


def store_request(con: duckdb.DuckDBPyConnection, principal: Principal, lines: pd.DataFrame, *, channel: str,
                  comment: str | None, warnings: list[Problem]) -> int:
    """Store one enterprise x month of checked, typed lines as a pending revision request (inside the caller's
    write transaction); returns its id."""
    e, period = str(lines["enterprise_id"].iloc[0]), str(lines["period"].iloc[0])
    payload = [{c: (str(r[c]) if c == "product_code" else _plain(r[c])) for c in LINE_COLUMNS}
               for _, r in lines.iterrows()]
    emp = lines["employees"].dropna()
    rid = next_id(con, "revision_seq")
    con.execute("INSERT INTO revision_requests (revision_id, enterprise_id, period, username, channel, lines, "
                "employees, comment, warnings) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [rid, e, period, principal.username, channel, json.dumps(payload),
                 float(emp.iloc[0]) if len(emp) else None, comment,
                 json.dumps([w.as_dict() for w in warnings], ensure_ascii=False)])
    audit.log(con, username=principal.username, role=principal.role, action="revision_request", enterprise_id=e,
              period=period, detail={"revision_id": rid, "lines": len(payload), "comment": comment})
    return rid


def requests(con: duckdb.DuckDBPyConnection, principal: Principal, *, status: str | None = "pending",
             limit: int = 200) -> pd.DataFrame:
    """Revision requests in the caller's scope (newest first), with the enterprise's name and the current
    values of the lines they would change."""
    cond, args = scope_sql(principal, "q")
    where = [cond] + (["q.status = ?"] if status else [])
    args = args + ([status] if status else [])
    return con.execute(f"""SELECT q.revision_id, q.enterprise_id, g.name AS enterprise_name, q.period, q.username,
            q.requested_at, q.lines, q.employees, q.comment, q.status, q.decided_by, q.decided_at,
            q.decision_comment, q.load_id
        FROM revision_requests q LEFT JOIN register g USING (enterprise_id)
        WHERE {' AND '.join(where)} ORDER BY q.revision_id DESC LIMIT {int(limit)}""", args).df()


def payload(row: dict) -> dict:
    """The submission payload ({enterprise_id, period, employees, products}) of a stored request."""
    lines = json.loads(row["lines"]) if isinstance(row["lines"], str) else row["lines"]
    emp = row.get("employees")
    return {"enterprise_id": row["enterprise_id"], "period": row["period"],
            "employees": None if emp is None or pd.isna(emp) else emp, "products": lines}
