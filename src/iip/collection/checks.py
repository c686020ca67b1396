"""The checks of a submission: the sender's scope, the core input rules of the submission layout (the same rules as
every input, :mod:`iip.validation`) and the edit rules (:mod:`iip.collection.rules`: change vs history, stock
balance, unit value; warnings that need a confirming comment). Several submissions that arrived together are
checked together (:func:`check_many`: one rule query over all their lines, one read of their history).
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from iip.collection import rules
from iip.collection.accounts import Principal
from iip.collection.lines import TEXT_COLUMNS, NeedsConfirmation, Submission, typed_lines
from iip.errors import ForbiddenError, IIPError, Problem, ValidationError, warnings_only
from iip.ingest import microdata
from iip.reference.periods import month_add
from iip.store import among, of_enterprises


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
        firms, args = among("enterprise_id", ids)
        rows = con.execute(f"SELECT enterprise_id, province FROM register WHERE {firms}", args).fetchall()
        if any(p != principal.province for _, p in rows):
            raise ForbiddenError("a provincial statistician may only write its own province's enterprises")
        return
    raise ForbiddenError(f"role {principal.role!r} cannot submit reports")


def hard_problems(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, *, file: str | None, kept: bool = False
                  ) -> microdata.Findings:
    """The core input rules of the submission layout (:data:`iip.validation.SUBMISSION`: months real and not in
    the future, numbers finite, >= 0, below their ceiling, employees whole, codes known, no line twice), the same
    rules as a file ingest; problem fields are prefixed with the line's ``_where`` (``products[2].produced``).
    ``kept``: ``con`` is kept between submissions (:func:`iip.ingest.microdata.validate`)."""
    found = microdata.validate(con, df[["_row", *TEXT_COLUMNS]], "submission", file=file or "submission", kept=kept)
    found.problems = _located(found.problems, df, file)
    return found


def _located(problems: list[Problem], df: pd.DataFrame, file: str | None) -> list[Problem]:
    """``problems`` of the text frame ``df`` named by its file, sheet and field path (``products[2].produced``)."""
    where = dict(zip(df["_row"], df["_where"]))
    sheet = df.attrs.get("sheet")
    return [p.at(file=file, sheet=sheet, field=where[p.row] + (p.field or "")) if where.get(p.row)
            else p.at(file=file, sheet=sheet) for p in problems]


def hard_problems_many(con: duckdb.DuckDBPyConnection, subs: list[Submission], *, kept: bool = False
                       ) -> list[microdata.Findings]:
    """:func:`hard_problems` of several submissions in one rule query over all their lines (at most
    :data:`iip.validation.LIMIT` lines, so every offending line is listed, and no enterprise x month in two of
    them, so a line repeated across two is no duplicate): each submission's problems and counts."""
    if len(subs) <= 1:
        return [hard_problems(con, s.frame, file=s.file, kept=kept) for s in subs]
    owner = np.repeat(np.arange(len(subs)), [len(s.frame) for s in subs])
    lines = pd.concat([s.frame for s in subs], ignore_index=True)[["_row", *TEXT_COLUMNS]]
    local = lines["_row"].to_numpy()
    lines["_row"] = np.arange(1, len(lines) + 1)
    found = microdata.validate(con, lines, "submission", file="submission", kept=kept)
    mine: list[list[Problem]] = [[] for _ in subs]
    for p in found.problems:
        if p.row is None:               # not about a line: every submission's
            for m in mine:
                m.append(p)
            continue
        mine[int(owner[p.row - 1])].append(p.at(row=int(local[p.row - 1])))
    out = []
    for s, problems in zip(subs, mine):
        problems = _located(problems, s.frame, s.file)
        errors = sum(p.is_error for p in problems)
        out.append(microdata.Findings(problems, errors, len(problems) - errors))
    return out


def prepare(con: duckdb.DuckDBPyConnection) -> None:
    """Compile the rules of a submission into their one query ahead of the first submission (a blank line is
    checked: :func:`iip.ingest.microdata.rule_check` keeps the compiled query), so no submitter waits for it."""
    microdata.validate(con, pd.DataFrame([{"_row": 1, **{c: "" for c in TEXT_COLUMNS}}]), "submission",
                       file="warm-up")


def _histories(con, pairs: list[tuple[str, str]], months: int = rules.HISTORY_MONTHS) -> pd.DataFrame:
    """The reports of the ``months`` before each (enterprise, month) of ``pairs``, read at once (a superset:
    :func:`iip.collection.rules.line_history` cuts each line's): the enterprises' reports through the store's
    index (:func:`iip.store.of_enterprises`), cut to the months here."""
    start, end = min(month_add(p, -months) for _, p in pairs), max(p for _, p in pairs)
    got = of_enterprises(con, "reports", ["enterprise_id", "product_code", "period", "produced", "sold",
                                          "closing_stock"], (e for e, _ in pairs))
    return got[(got["period"] >= start) & (got["period"] < end)].reset_index(drop=True)


def _previous_values(con, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """The lines (product_code, sold, value) of each enterprise's latest submission for the month before each of
    ``pairs``, with enterprise_id and period: the latest submissions found first, then their lines by load id
    (both reads filtered by lists the scan is given, :func:`iip.store.among`)."""
    firms, firm_args = among("enterprise_id", (e for e, _ in pairs))
    months, month_args = among("period", (month_add(p, -1) for _, p in pairs))
    latest = {load: (e, p) for e, p, load in con.execute(
        f"SELECT enterprise_id, period, max(load_id) FROM submissions WHERE {firms} AND {months} GROUP BY ALL",
        firm_args + month_args).fetchall()}
    rows: list[tuple] = []
    if latest:      # (no previous submission: nothing to read)
        loads, load_args = among("load_id", latest)
        rows = con.execute(f"SELECT load_id, product_code, sold, value FROM submission_lines WHERE {loads}",
                           load_args).fetchall()
    return pd.DataFrame([(*latest[load], code, sold, value) for load, code, sold, value in rows],
                        columns=["enterprise_id", "period", "product_code", "sold", "value"]
                        ).astype({"sold": float, "value": float})


def soft_problems(con: duckdb.DuckDBPyConnection, typed: pd.DataFrame) -> list[tuple[int, Problem]]:
    """Edit-rule warnings (change vs history, stock balance, unit value) of typed lines of any enterprises and
    months, as ``(position of the line, warning)`` (:func:`iip.collection.rules.edit_warnings`), their history
    read in two queries for all of them."""
    pairs = sorted(set(zip(typed["enterprise_id"].tolist(), typed["period"].tolist())))
    if not pairs:
        return []
    return rules.edit_warnings(typed, _histories(con, pairs), _previous_values(con, pairs))


def check(con: duckdb.DuckDBPyConnection, principal: Principal, df: pd.DataFrame, *, file: str | None = None,
          comment: str | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Scope, hard rules (ValidationError), soft rules (NeedsConfirmation without a comment); returns the typed
    lines and the accepted warnings."""
    got = check_many(con, [Submission(principal, df, "", comment=comment, file=file)])[0]
    if isinstance(got, IIPError):
        raise got
    return got


def _employees_twice(typed: pd.DataFrame) -> dict[int, tuple[str, str]]:
    """The submissions (``_sub``) that give two numbers of employees for one enterprise x month, with the first
    such (enterprise, month): employees are one number per enterprise and month."""
    given: dict[tuple, set[float]] = {}
    for i, e, p, n in zip(typed["_sub"].tolist(), typed["enterprise_id"].tolist(), typed["period"].tolist(),
                          typed["employees"].tolist()):
        if n == n:                      # not NaN
            given.setdefault((i, e, p), set()).add(n)
    out: dict[int, tuple[str, str]] = {}
    for (i, e, p) in sorted(k for k, numbers in given.items() if len(numbers) > 1):
        out.setdefault(int(i), (e, p))
    return out


def check_many(con: duckdb.DuckDBPyConnection, subs: list[Submission], *, kept: bool = False
               ) -> list[tuple[pd.DataFrame, list[Problem]] | IIPError]:
    """:func:`check` of several submissions together (no enterprise x month in two of them; at most
    :data:`iip.validation.LIMIT` lines when more than one): for each, its typed lines and accepted warnings, or
    the error that refuses it (scope, hard rules, or soft rules without a comment). ``kept``: ``con`` is kept
    between checks (the service's checker), so the rule query is prepared on it once."""
    out: list = [None] * len(subs)
    for i, s in enumerate(subs):
        try:
            check_scope(con, s.principal, s.frame["enterprise_id"])
        except IIPError as exc:
            out[i] = exc
    live = [i for i, o in enumerate(out) if o is None]
    for i, found in zip(live, hard_problems_many(con, [subs[i] for i in live], kept=kept)):
        try:
            found.raise_errors(subs[i].file or "submission")
            out[i] = warnings_only(found.problems)
        except IIPError as exc:
            out[i] = exc
    live = [i for i, o in enumerate(out) if isinstance(o, list)]
    if not live:
        return out
    frame = pd.concat([subs[i].frame for i in live], ignore_index=True)
    frame["_sub"] = np.repeat(live, [len(subs[i].frame) for i in live])
    typed = typed_lines(frame)
    soft: dict[int, list[tuple[tuple[str, str], Problem]]] = {}
    sub, unit = typed["_sub"].to_numpy(), list(zip(typed["enterprise_id"], typed["period"]))
    for pos, w in soft_problems(con, typed):
        soft.setdefault(int(sub[pos]), []).append((unit[pos], w))
    twice = _employees_twice(typed)
    body = typed.drop(columns="_sub")
    ends = np.cumsum([len(subs[i].frame) for i in live])
    for i, end in zip(live, ends):          # each submission's lines: consecutive, in order
        s, warnings, lines = subs[i], out[i], body.iloc[end - len(subs[i].frame):end]
        if i in twice:
            e, p = twice[i]
            out[i] = ValidationError([rules.problem("employees", "employees", f"{e} {p}: employees must be one "
                                                    "number per enterprise and month", severity="error",
                                                    file=s.file)], file=s.file)
            continue
        # by enterprise x month, then rule by rule
        warnings = warnings + [w.at(file=s.file) for _, w in sorted(soft.get(i, []), key=lambda kw: kw[0])]
        if warnings and not (s.comment or "").strip():
            out[i] = NeedsConfirmation(warnings, file=s.file)
        else:
            out[i] = (lines, warnings)
    return out
