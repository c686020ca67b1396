"""Statisticians' decisions: outlier flags (accept or correct) and revision requests of released months (accept
or reject).

A decision is taken once. The check that the flag or request is still undecided runs inside the write transaction
that records the decision (one process-wide lock + one DuckDB transaction,
:func:`iip.collection.service.write_transaction`), so of two reviewers deciding the same item the second gets a
ConflictError (HTTP 409) and nothing of theirs is written. Every decision goes to the audit log; a correction is a
new report version (:mod:`iip.collection.submissions`). The flags themselves come from
:func:`iip.quality.drivers.outliers.detect_store` (Hidiroglou-Berthelot).
"""
from __future__ import annotations

import duckdb
import pandas as pd

from iip.collection import audit, revisions, submissions
from iip.collection.accounts import Principal
from iip.collection.service import write_transaction
from iip.collection.views import scope_sql
from iip.errors import ConflictError, ForbiddenError, NotFoundError, ValidationError
from iip.reference.periods import month_add
from iip.validation import QUANTITIES

VARIABLES = QUANTITIES


def _reviewer(principal: Principal) -> None:
    if not principal.can_review():
        raise ForbiddenError("only statisticians (provincial or national) review outliers and revisions")


def queue(con: duckdb.DuckDBPyConnection, principal: Principal, *, include_reviewed: bool = False) -> pd.DataFrame:
    """Flags awaiting review (no accept/edit decision yet) in the caller's scope, largest HB effect first, with
    the enterprise's name and the product's names and unit."""
    _reviewer(principal)
    cond, args = scope_sql(principal, "f")
    pending = "" if include_reviewed else "AND NOT EXISTS (SELECT 1 FROM outlier_reviews r WHERE r.flag_id = f.flag_id)"
    return con.execute(f"""SELECT f.flag_id, f.method, f.enterprise_id, g.name AS enterprise_name, f.period,
            f.product_code, p.name_vi AS product_name_vi, p.name_en AS product_name_en, p.unit, f.variable,
            f.value, f.previous, f.ratio, f.effect, f.lower, f.upper, f.stratum, f.run_at
        FROM outlier_flags f LEFT JOIN register g USING (enterprise_id) LEFT JOIN products p USING (product_code)
        WHERE {cond} {pending} ORDER BY f.effect DESC NULLS LAST, f.flag_id""", args).df()


def unit_history(con: duckdb.DuckDBPyConnection, principal: Principal, enterprise_id: str, product_code: str,
                 period: str, *, months: int = 13) -> pd.DataFrame:
    """The unit's current reported values of one product over the ``months`` months ending at ``period``."""
    _reviewer(principal)
    cond, args = scope_sql(principal, "x")
    start = month_add(period, -(months - 1))
    return con.execute(f"""SELECT x.period, x.produced, x.sold, x.closing_stock, x.status FROM reports x
        WHERE {cond} AND x.enterprise_id = ? AND x.product_code = ? AND x.period BETWEEN ? AND ?
        ORDER BY x.period""", [*args, enterprise_id, product_code, start, period]).df()


def _pending_flag(con, principal: Principal, flag_id: int) -> dict:
    """The flag in the caller's scope (404 otherwise), not yet decided (409 otherwise). Call inside the lock."""
    cond, args = scope_sql(principal, "f")
    row = con.execute(f"SELECT f.enterprise_id, f.period, f.product_code, f.variable FROM outlier_flags f "
                      f"WHERE f.flag_id = ? AND {cond}", [int(flag_id), *args]).fetchone()
    if row is None:
        raise NotFoundError(f"no outlier flag {flag_id} in your scope")
    done = con.execute("SELECT username, action FROM outlier_reviews WHERE flag_id = ?", [int(flag_id)]).fetchone()
    if done:
        raise ConflictError(f"flag {flag_id} has already been decided ({done[1]} by {done[0]})")
    return dict(zip(("enterprise_id", "period", "product_code", "variable"), row))


def accept(con: duckdb.DuckDBPyConnection, principal: Principal, flag_id: int, *, comment: str | None = None) -> None:
    """Accept the flagged value as it is (recorded in outlier_reviews and the audit log)."""
    _reviewer(principal)
    with write_transaction(con):
        f = _pending_flag(con, principal, flag_id)
        con.execute("INSERT INTO outlier_reviews (flag_id, action, username, comment) VALUES (?, 'accept', ?, ?)",
                    [int(flag_id), principal.username, comment])
        audit.log(con, username=principal.username, role=principal.role, action="outlier_accept",
                  enterprise_id=f["enterprise_id"], period=f["period"], detail={"flag_id": int(flag_id),
                                                                               "comment": comment})


def edit(con: duckdb.DuckDBPyConnection, principal: Principal, flag_id: int, values: dict, *,
         comment: str) -> submissions.SubmissionResult:
    """Correct the flagged line: a new report version (submission action 'review_edit') plus the review record,
    committed together."""
    _reviewer(principal)
    if not (comment or "").strip():
        raise ValidationError.one("a correction needs a comment saying why", field="comment", rule="required")
    with write_transaction(con):  # re-entrant lock: the check, the correction and the review commit together
        f = _pending_flag(con, principal, flag_id)
        cur = con.execute("SELECT produced, sold, closing_stock FROM reports WHERE enterprise_id = ? AND period = ? "
                          "AND product_code = ?", [f["enterprise_id"], f["period"], f["product_code"]]).fetchone()
        line = dict(zip(VARIABLES, cur or (None,) * len(VARIABLES)))
        line.update({k: values[k] for k in VARIABLES if k in values})
        frame = submissions.frame_from_json({"enterprise_id": f["enterprise_id"], "period": f["period"],
                                             "products": [{"product_code": f["product_code"], **line}]}, principal)
        lines, warnings = submissions.check(con, principal, frame, comment=comment)
        res = submissions.write_one(con, principal, lines, channel="review", comment=comment, warnings=warnings,
                                    action="review_edit")
        con.execute("INSERT INTO outlier_reviews (flag_id, action, username, comment, load_id) "
                    "VALUES (?, 'edit', ?, ?, ?)", [int(flag_id), principal.username, comment, res.load_id])
        audit.log(con, username=principal.username, role=principal.role, action="outlier_edit",
                  enterprise_id=f["enterprise_id"], period=f["period"], load_id=res.load_id,
                  detail={"flag_id": int(flag_id), "values": values, "comment": comment})
    return res


def _pending_revision(con, principal: Principal, revision_id: int) -> dict:
    """The request in the caller's scope (404 otherwise) and still pending (409 otherwise). Call inside the lock."""
    cond, args = scope_sql(principal, "q")
    df = con.execute(f"SELECT * FROM revision_requests q WHERE q.revision_id = ? AND {cond}",
                     [int(revision_id), *args]).df()
    if df.empty:
        raise NotFoundError(f"no revision request {revision_id} in your scope")
    row = df.iloc[0].to_dict()
    if row["status"] != "pending":
        raise ConflictError(f"revision request {revision_id} has already been {row['status']} by {row['decided_by']}")
    return row


def _decide(con, principal: Principal, revision_id: int, status: str, comment: str | None,
            load_id: int | None) -> None:
    con.execute("UPDATE revision_requests SET status = ?, decided_by = ?, decided_at = now()::TIMESTAMP, "
                "decision_comment = ?, load_id = ? WHERE revision_id = ?",
                [status, principal.username, comment, load_id, int(revision_id)])


def accept_revision(con: duckdb.DuckDBPyConnection, principal: Principal, revision_id: int, *,
                    comment: str | None = None) -> submissions.SubmissionResult:
    """Write a pending revision request as a new report version (submission action ``revision``); the request's
    warnings count as confirmed by the statistician's decision."""
    _reviewer(principal)
    with write_transaction(con):
        row = _pending_revision(con, principal, revision_id)
        frame = submissions.frame_from_json(revisions.payload(row), principal)
        note = comment or row.get("comment") or f"revision request {revision_id} accepted"
        lines, warnings = submissions.check(con, principal, frame, comment=note)
        res = submissions.write_one(con, principal, lines, channel="revision", comment=note, warnings=warnings,
                                    action="revision")
        _decide(con, principal, revision_id, "accepted", comment, res.load_id)
        audit.log(con, username=principal.username, role=principal.role, action="revision_accept",
                  enterprise_id=row["enterprise_id"], period=row["period"], load_id=res.load_id,
                  detail={"revision_id": int(revision_id), "comment": comment})
    return res


def reject_revision(con: duckdb.DuckDBPyConnection, principal: Principal, revision_id: int, *,
                    comment: str) -> None:
    """Reject a pending revision request (a comment saying why is required)."""
    _reviewer(principal)
    if not (comment or "").strip():
        raise ValidationError.one("a rejection needs a comment saying why", field="comment", rule="required")
    with write_transaction(con):
        row = _pending_revision(con, principal, revision_id)
        _decide(con, principal, revision_id, "rejected", comment, None)
        audit.log(con, username=principal.username, role=principal.role, action="revision_reject",
                  enterprise_id=row["enterprise_id"], period=row["period"],
                  detail={"revision_id": int(revision_id), "comment": comment})
