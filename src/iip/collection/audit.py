"""Append-only audit log: who did what, when, to which enterprise and month, and with which load."""
from __future__ import annotations

import json

import duckdb
import pandas as pd

from iip.store import among, insert_rows, next_ids


#: The columns an audit record is written with (``logged_at`` is set by the store).
COLUMNS = ("audit_id", "username", "role", "action", "enterprise_id", "period", "load_id", "detail")


def log(con: duckdb.DuckDBPyConnection, *, username: str | None, role: str | None, action: str,
        enterprise_id: str | None = None, period: str | None = None, load_id: int | None = None,
        detail: dict | None = None) -> int:
    """Append one audit record (call inside the write transaction of the action it records)."""
    return log_many(con, [dict(username=username, role=role, action=action, enterprise_id=enterprise_id,
                               period=period, load_id=load_id, detail=detail)])[0]


def log_many(con: duckdb.DuckDBPyConnection, records: list[dict]) -> list[int]:
    """Append audit records (dicts of :func:`log`'s arguments) in one statement; returns their ids."""
    ids = next_ids(con, "audit_seq", len(records))
    insert_rows(con, "audit_log", COLUMNS, [
        (i, r["username"], r["role"], r["action"], r.get("enterprise_id"), r.get("period"), r.get("load_id"),
         json.dumps(r.get("detail") or {}, ensure_ascii=False, default=str)) for i, r in zip(ids, records)])
    return ids


def entries(con: duckdb.DuckDBPyConnection, *, enterprise_ids: list[str] | None = None,
            province: str | None = None, limit: int = 500) -> pd.DataFrame:
    """Audit records, newest first; restricted to ``enterprise_ids`` or to enterprises of ``province``."""
    where: list[str] = []
    args: list = []
    if enterprise_ids is not None:
        firms, firm_args = among("a.enterprise_id", enterprise_ids)
        where.append(firms)
        args += firm_args
    if province is not None:
        where.append("a.enterprise_id IN (SELECT enterprise_id FROM register WHERE province = ?)")
        args.append(province)
    sql = ("SELECT a.audit_id, a.logged_at, a.username, a.role, a.action, a.enterprise_id, a.period, a.load_id, "
           "a.detail FROM audit_log a" + (" WHERE " + " AND ".join(where) if where else "")
           + f" ORDER BY a.audit_id DESC LIMIT {int(limit)}")
    return con.execute(sql, args).df()
