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
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from iip.collection import audit, revisions, rules
from iip.collection.accounts import Principal
from iip.collection.service import write_transaction
from iip.errors import ForbiddenError, Problem, ValidationError, warnings_only
from iip.ingest import microdata
from iip.ingest.files import read_input
from iip.reference.periods import month_add
from iip.store import next_load_id, record_load, scalar, sha256
from iip.validation import LAYOUTS, SUBMISSION

REPORT_COLUMNS = list(LAYOUTS["reports"].columns)
#: A submission as text: the columns of the submission layout (report columns, the line's value sold and the
#: month's employees).
TEXT_COLUMNS = list(SUBMISSION.columns)
#: What a submission gives once per enterprise and month (the rest is per product line).
HEAD_FIELDS = ("enterprise_id", "period", "employees")
#: A submitted product line: the report's product and quantities, and the value sold (for unit values).
LINE_FIELDS = tuple(c for c in TEXT_COLUMNS if c not in HEAD_FIELDS)
#: The numbers of a submission, typed after the checks.
NUMBERS = SUBMISSION.numeric
#: The header an upload must have (an enterprise's own id may be left out: it is the signed-in one).
UPLOAD_HEADER = ("period", "product_code", "produced")
MAX_LINES = 2000
#: What an uploaded workbook may unpack to: a month's report never needs more (a zip bomb is refused unpacked).
MAX_UNPACKED = 16 * 2**20


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
    head = {k: payload.get(k) for k in HEAD_FIELDS}
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
    """A CSV, XLSX or XLS upload (one row per enterprise x month x product) as a text frame, read by the one file
    reader (:func:`iip.ingest.files.read_input`: format by signature, separator, sheet by header, padded codes,
    decimal commas, at most MAX_LINES rows counted while reading)."""
    suffix = Path(filename or "upload.csv").suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xls"):
        raise ValidationError([rules.problem("file", "file", "upload a .csv, .xlsx or .xls file", severity="error",
                                             file=filename)], file=filename)
    got = read_input(data, SUBMISSION, name=filename, max_rows=MAX_LINES, header=UPLOAD_HEADER,
                     max_unpacked=MAX_UNPACKED)
    df = got.table.to_pandas()
    for c in TEXT_COLUMNS:
        df[c] = df[c].map(_text) if c in df.columns else ""
    if principal.role == "enterprise":
        df.loc[df["enterprise_id"] == "", "enterprise_id"] = principal.enterprise_id or ""
    df["_where"] = ""
    df.attrs["sheet"] = got.sheet
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


def hard_problems(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, *, file: str | None) -> microdata.Findings:
    """The core input rules of the submission layout (:data:`iip.validation.SUBMISSION`: months real and not in
    the future, numbers finite, >= 0, below their ceiling, employees whole, codes known, no line twice), the same
    rules as a file ingest; problem fields are prefixed with the line's ``_where`` (``products[2].produced``)."""
    found = microdata.validate(con, df[["_row", *TEXT_COLUMNS]], "submission", file=file or "submission")
    where = dict(zip(df["_row"], df["_where"]))
    sheet = df.attrs.get("sheet")
    found.problems = [p.at(file=file, sheet=sheet, field=where[p.row] + (p.field or "")) if where.get(p.row)
                      else p.at(file=file, sheet=sheet) for p in found.problems]
    return found


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Compile the rules of a submission into their one query ahead of the first submission (a blank line is
    checked: :func:`iip.ingest.microdata.rule_check` keeps the compiled query), so no submitter waits for it."""
    microdata.validate(con, pd.DataFrame([{"_row": 1, **{c: "" for c in TEXT_COLUMNS}}]), "submission",
                       file="warm-up")


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
    """The checked text frame with its numbers typed (NaN where empty)."""
    out = df[["_row", "_where", *(c for c in TEXT_COLUMNS if c not in NUMBERS)]].copy()
    for c in NUMBERS:
        out[c] = _num(df[c])
    return out


def check(con: duckdb.DuckDBPyConnection, principal: Principal, df: pd.DataFrame, *, file: str | None = None,
          comment: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Scope, hard rules (ValidationError), soft rules (NeedsConfirmation without a comment); returns the typed
    lines and the accepted warnings."""
    check_scope(con, principal, df["enterprise_id"])
    found = hard_problems(con, df, file=file)
    found.raise_errors(file or "submission")
    problems = found.problems
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
    cols = list(LINE_FIELDS) + ["employees"]
    text = g[cols].sort_values("product_code").to_csv(index=False)
    return sha256(text)


def write_one(con, principal: Principal, g: pd.DataFrame, *, channel: str, comment: str | None,
              warnings: list[Problem], action: str | None = None) -> SubmissionResult:
    """Write one enterprise x month inside the caller's write transaction."""
    e, period = g["enterprise_id"].iloc[0], g["period"].iloc[0]
    existed = bool(scalar(con, "SELECT count(*) FROM reports WHERE enterprise_id = ? AND period = ? AND status = 'R'",
                          [e, period]))
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
    lines = g[list(LINE_FIELDS)].assign(load_id=load_id)
    con.register("_sub_lines", lines)
    try:
        con.execute(f"INSERT INTO submission_lines (load_id, {', '.join(LINE_FIELDS)}) "
                    f"SELECT load_id, {', '.join(LINE_FIELDS)} FROM _sub_lines")
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
