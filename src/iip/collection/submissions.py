"""Submission of a month's report: parse (JSON, CSV, XLSX), check (core input rules + edit rules), write versions.

A submission is one enterprise x month: products (produced, sold, closing stock, optional sales value) and the
employees on the 1st of the month. Writes reuse :func:`iip.ingest.microdata.upsert`: a changed line becomes the
new current version of ``reports`` and the old one moves to ``reports_history`` with ``superseded_by`` = this
submission's load id; an identical resubmission writes nothing. Everything happens in one write transaction.
An enterprise's change to a released month is not written: it becomes a revision request
(:mod:`iip.collection.revisions`) that a statistician decides.
"""
from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from iip.collection import audit, revisions, rules, uploads
from iip.collection.accounts import Principal
from iip.collection.service import write_transaction
from iip.errors import ForbiddenError, Problem, ValidationError, errors_only, warnings_only
from iip.ingest import microdata
from iip.store import next_load_id, record_load, sha256
from iip.reference.periods import is_month, month_add
from iip.validation import LAYOUTS, QUANTITIES

REPORT_COLUMNS = list(LAYOUTS["reports"].columns)
#: A submitted product line: the report's product and quantities, and the value sold (for unit values).
LINE_FIELDS = ("product_code", *QUANTITIES, "value")
#: A submission as text: the report's columns, the line's value and the month's employees.
TEXT_COLUMNS = [*REPORT_COLUMNS, "value", "employees"]
MAX_LINES = 2000


class NeedsConfirmation(ValidationError):
    """Only soft warnings: accepted once the submitter confirms with a comment."""


@dataclass
class SubmissionResult:
    """What one enterprise x month of a submission did."""

    enterprise_id: str
    period: str
    load_id: int | None
    action: str                      # submit | correct | unchanged | revision_requested | revision | review_edit
    inserted: int
    unchanged: int
    warnings: list[Problem] = field(default_factory=list)
    revision_id: int | None = None   # the revision request stored instead (a released month)

    def as_dict(self) -> dict:
        """Plain dict for JSON."""
        return {"enterprise_id": self.enterprise_id, "period": self.period, "load_id": self.load_id,
                "action": self.action, "inserted": self.inserted, "unchanged": self.unchanged,
                "revision_id": self.revision_id, "warnings": [w.as_dict() for w in self.warnings]}


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def frame_from_json(payload, principal: Principal) -> pd.DataFrame:
    """A JSON submission {enterprise_id, period, employees, products: [{product_code, produced, sold,
    closing_stock, value}]} as a text frame with ``_row`` (1-based line) and ``_where`` (field prefix)."""
    def bad(f, msg):
        return ValidationError([rules.problem(f, "shape", msg, severity="error")])
    if not isinstance(payload, dict):
        raise bad("", "the body must be a JSON object")
    lines = payload.get("products")
    if not isinstance(lines, list) or not lines:
        raise bad("products", "products must be a non-empty list of {product_code, produced, sold, closing_stock}")
    if len(lines) > MAX_LINES:
        raise bad("products", f"at most {MAX_LINES} products per submission")
    head = {k: payload.get(k) for k in ("enterprise_id", "period", "employees")}
    if head["enterprise_id"] is None and principal.role == "enterprise":
        head["enterprise_id"] = principal.enterprise_id
    rows = []
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            raise bad(f"products[{i}]", "each product must be an object")
        rows.append({**{k: _text(head[k]) for k in head}, **{k: _text(line.get(k)) for k in LINE_FIELDS},
                     "_row": i + 1, "_where": f"products[{i}]."})
    return pd.DataFrame(rows)


def frame_from_upload(data: bytes, filename: str, principal: Principal) -> pd.DataFrame:
    """A CSV or XLSX upload (one row per enterprise x month x product) as a text frame: checked while streaming
    (:func:`iip.collection.uploads.prescan`: empty, duplicate columns, rows, unpacked size), then read by the
    core reader."""
    suffix = Path(filename or "upload.csv").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValidationError([rules.problem("file", "file", "upload a .csv or .xlsx file", severity="error",
                                             file=filename)], file=filename)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"upload{suffix}"
        p.write_bytes(data)
        uploads.prescan(p, file=filename, max_rows=MAX_LINES)
        try:
            df = microdata.read_frame(p)
        except ValidationError as exc:
            raise ValidationError([x.at(file=filename) for x in exc.problems], file=filename) from None
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's problem, never a 500
            raise ValidationError([rules.problem("file", "file", f"cannot read the file: {type(exc).__name__}",
                                                 severity="error", file=filename)], file=filename) from None
    if len(df) > MAX_LINES:
        raise ValidationError([rules.problem("file", "file", f"at most {MAX_LINES} rows per upload",
                                             severity="error", file=filename)], file=filename)
    for c in TEXT_COLUMNS:
        df[c] = df[c].map(_text) if c in df.columns else ""
    if principal.role == "enterprise":
        df.loc[df["enterprise_id"] == "", "enterprise_id"] = principal.enterprise_id or ""
    df["_where"] = ""
    return df[["_row", "_where", *TEXT_COLUMNS]]


def check_scope(con: duckdb.DuckDBPyConnection, principal: Principal, enterprise_ids) -> None:
    """ForbiddenError unless ``principal`` may write every enterprise in ``enterprise_ids``."""
    ids = sorted({e for e in enterprise_ids if e})
    if principal.role == "national":
        return
    if principal.role == "enterprise":
        if any(e != principal.enterprise_id for e in ids):
            raise ForbiddenError("an enterprise may only submit its own reports")
        return
    if principal.role == "provincial":
        rows = con.execute("SELECT enterprise_id, province FROM register WHERE enterprise_id IN (SELECT unnest(?))",
                           [ids]).fetchall()
        if any(p != principal.province for _, p in rows):
            raise ForbiddenError("a provincial statistician may only write its own province's enterprises")
        return
    raise ForbiddenError(f"role {principal.role!r} cannot submit reports")


def _num(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.astype(object).where(s != "", None), errors="coerce")


def _float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def hard_problems(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, *, file: str | None,
                  today: date | None = None) -> list[Problem]:
    """Core input rules (:func:`iip.ingest.microdata.validate`) plus finite numbers, employees and months not in
    the future; problem fields are prefixed with the line's ``_where`` (``products[2].produced``)."""
    staged = df[["_row", *REPORT_COLUMNS]].copy()
    problems = microdata.validate(con, staged, "reports", file=file or "submission")
    where = dict(zip(df["_row"], df["_where"]))
    now = (today or date.today()).strftime("%Y-%m")
    for _, r in df.iterrows():
        row = int(r["_row"])
        for c in ("produced", "sold", "closing_stock", "value", "employees"):
            x = _float(r[c])
            if r[c] != "" and x is not None and not math.isfinite(x):
                problems.append(rules.problem(c, "finite", f"{c} must be a finite number", severity="error", row=row))
            elif c in ("value", "employees") and r[c] != "" and (x is None or x < 0):
                problems.append(rules.problem(c, "non_negative", f"{c} must be a number >= 0 (value {r[c]!r})",
                                              severity="error", row=row))
            elif c == "employees" and x is not None and x != int(x):
                problems.append(rules.problem(c, "integer", "employees must be a whole number", severity="error",
                                              row=row))
        if is_month(r["period"]) and r["period"] > now:
            problems.append(rules.problem("period", "future", f"period {r['period']} is in the future",
                                          severity="error", row=row))
    return [p.at(file=file, field=where[p.row] + (p.field or "")) if where.get(p.row) else p.at(file=file)
            for p in problems]


def _history(con, enterprise_id: str, period: str, months: int = 25) -> pd.DataFrame:
    start = month_add(period, -months)
    return con.execute("SELECT product_code, period, produced, sold, closing_stock FROM reports "
                       "WHERE enterprise_id = ? AND period >= ? AND period < ?", [enterprise_id, start, period]).df()


def _previous_values(con, enterprise_id: str, period: str) -> pd.DataFrame:
    return con.execute("""SELECT l.product_code, l.sold, l.value FROM submission_lines l JOIN (
            SELECT max(load_id) AS load_id FROM submissions WHERE enterprise_id = ? AND period = ?) s USING (load_id)
        """, [enterprise_id, month_add(period, -1)]).df()


def soft_problems(con: duckdb.DuckDBPyConnection, lines: pd.DataFrame, enterprise_id: str, period: str) -> list[Problem]:
    """Edit-rule warnings of one enterprise x month (change vs history, stock balance, unit value)."""
    hist = _history(con, enterprise_id, period)
    return (rules.change_warnings(lines, hist, period) + rules.stock_warnings(lines, hist, period)
            + rules.unit_value_warnings(lines, _previous_values(con, enterprise_id, period)))


def typed_lines(df: pd.DataFrame) -> pd.DataFrame:
    """The text lines with their quantities, value and employees as numbers (blank -> NaN)."""
    out = df[["_row", "_where", "enterprise_id", "period", "product_code"]].copy()
    for c in ("produced", "sold", "closing_stock", "value", "employees"):
        out[c] = _num(df[c])
    return out


def check(con: duckdb.DuckDBPyConnection, principal: Principal, df: pd.DataFrame, *, file: str | None = None,
          comment: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Scope, hard rules (ValidationError), soft rules (NeedsConfirmation without a comment); returns the typed
    lines and the accepted warnings."""
    check_scope(con, principal, df["enterprise_id"])
    problems = hard_problems(con, df, file=file)
    errors = errors_only(problems)
    if errors:
        raise ValidationError(errors, file=file)
    lines = typed_lines(df)
    emp = lines.groupby(["enterprise_id", "period"])["employees"].nunique()
    if (emp > 1).any():
        e, p = emp[emp > 1].index[0]
        raise ValidationError([rules.problem("employees", "employees", f"{e} {p}: employees must be one number "
                                             "per enterprise and month", severity="error", file=file)], file=file)
    warnings = warnings_only(problems)
    for (e, p), g in lines.groupby(["enterprise_id", "period"], sort=True):
        warnings += [w.at(file=file) for w in soft_problems(con, g, e, p)]
    if warnings and not (comment or "").strip():
        raise NeedsConfirmation(warnings, file=file)
    return lines, warnings


def _sha(g: pd.DataFrame) -> str:
    cols = ["product_code", "produced", "sold", "closing_stock", "value", "employees"]
    text = g[cols].sort_values("product_code").to_csv(index=False)
    return sha256(text)


def write_one(con, principal: Principal, g: pd.DataFrame, *, channel: str, comment: str | None,
              warnings: list[Problem], action: str | None = None) -> SubmissionResult:
    """Write one enterprise x month inside the caller's write transaction."""
    e, period = g["enterprise_id"].iloc[0], g["period"].iloc[0]
    existed = con.execute("SELECT count(*) FROM reports WHERE enterprise_id = ? AND period = ? AND status = 'R'",
                          [e, period]).fetchone()[0] > 0
    load_id = next_load_id(con)
    rep = g[REPORT_COLUMNS].astype(object).where(g[REPORT_COLUMNS].notna(), None)
    inserted, unchanged = microdata.upsert(con, rep, "reports", load_id)   # a report equal to an imputed value
    emp = g["employees"].dropna()                                           # becomes a new version (status R)
    emp_changed = (microdata.upsert(con, pd.DataFrame({"enterprise_id": [e], "period": [period],
                                                       "employees": [float(emp.iloc[0])]}), "employment",
                                    load_id)[0] if len(emp) else 0)
    detail = {"channel": channel, "lines": len(g), "inserted": inserted, "employees_changed": emp_changed,
              "warnings": [w.message for w in warnings], "comment": comment}
    if inserted == 0 and emp_changed == 0:
        audit.log(con, username=principal.username, role=principal.role, action="submit_unchanged",
                  enterprise_id=e, period=period, detail=detail)
        return SubmissionResult(e, period, None, "unchanged", 0, len(g), warnings)
    action = action or ("correct" if existed else "submit")
    sha = _sha(g)
    record_load(con, load_id=load_id, kind="submission", file=f"{channel}:{e}:{period}", sha256=sha, rows=len(g),
                inserted=inserted, unchanged=unchanged, warnings=len(warnings), user=principal.username)
    con.execute("INSERT INTO submissions (load_id, enterprise_id, period, username, role, channel, action, lines, "
                "inserted, unchanged, sha256, warnings, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [load_id, e, period, principal.username, principal.role, channel, action, len(g), inserted,
                 unchanged, sha, json.dumps([w.as_dict() for w in warnings], ensure_ascii=False), comment])
    lines = g[["product_code", "produced", "sold", "closing_stock", "value"]].assign(load_id=load_id)
    con.register("_sub_lines", lines)
    try:
        con.execute("INSERT INTO submission_lines SELECT load_id, product_code, produced, sold, closing_stock, value "
                    "FROM _sub_lines")
    finally:
        con.unregister("_sub_lines")
    audit.log(con, username=principal.username, role=principal.role, action=action, enterprise_id=e,
              period=period, load_id=load_id, detail=detail)
    return SubmissionResult(e, period, load_id, action, inserted, unchanged, warnings)


def submit(con: duckdb.DuckDBPyConnection, principal: Principal, df: pd.DataFrame, *, channel: str,
           comment: str | None = None, file: str | None = None, action: str | None = None
           ) -> list[SubmissionResult]:
    """Check and write a text frame of lines (one or more enterprise x months), all or nothing. An enterprise's
    lines for a released month are stored as a revision request instead (action ``revision_requested``)."""
    lines, warnings = check(con, principal, df, file=file, comment=comment)
    results = []
    with write_transaction(con):
        closed = revisions.locked(con, principal, lines["period"].unique())
        for (e, p), g in lines.groupby(["enterprise_id", "period"], sort=True):
            mine = [w for w in warnings if w.row is None or w.row in set(g["_row"])]
            if p in closed:
                rid = revisions.store_request(con, principal, g, channel=channel, comment=comment, warnings=mine)
                results.append(SubmissionResult(e, p, None, "revision_requested", 0, 0, mine, revision_id=rid))
                continue
            results.append(write_one(con, principal, g, channel=channel, comment=comment, warnings=mine,
                                     action=action))
    return results
