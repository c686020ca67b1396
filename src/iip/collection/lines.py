"""A submission's lines: the columns of a submission, how a JSON body or an uploaded file becomes its text frame,
and what a submission and its result are.

A submission is one enterprise x month: products (produced, sold, closing stock, optional sales value) and the
employees on the 1st of the month; as a text frame, one row per product line with ``_row`` (the line or
spreadsheet row) and ``_where`` (the field path prefix of a JSON line, ``products[2].``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from iip.collection import rules
from iip.collection.accounts import Principal
from iip.errors import Problem, ValidationError
from iip.ingest.files import read_input
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


@dataclass
class Submission:
    """One request to submit: who sends it, its lines as a text frame (:func:`frame_from_json`,
    :func:`frame_from_upload`), the channel, the confirming comment, the file it came in and the action recorded
    (default submit or correct)."""

    principal: Principal
    frame: pd.DataFrame
    channel: str
    comment: str | None = None
    file: str | None = None
    action: str | None = None


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


def _num(s: pd.Series) -> pd.Series:
    """Checked text as numbers, NaN where empty (the blanks set to None in Python: 4x faster than in pandas)."""
    return pd.to_numeric(pd.Series([None if v == "" else v for v in s.tolist()], index=s.index, dtype=object),
                         errors="coerce")


def typed_lines(df: pd.DataFrame) -> pd.DataFrame:
    """The checked text frame with its numbers typed (NaN where empty); a ``_sub`` column is kept."""
    out = df[[c for c in ("_sub", "_row", "_where", *TEXT_COLUMNS) if c in df.columns and c not in NUMBERS]].copy()
    for c in NUMBERS:
        out[c] = _num(df[c])
    return out
