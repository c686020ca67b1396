"""Submission of a month's report: check and write (a submission's lines: :mod:`iip.collection.lines`; its
checks: :mod:`iip.collection.checks`).

Submissions that arrive together are checked and written together (:func:`submit_many`: one rule query over all
their lines, one read of their history, one write transaction), each with its own result or error; one
submission is the batch of one (:func:`submit`). Each enterprise x month is one load: a changed line becomes the
new current version of ``reports`` and the old one moves to ``reports_history`` with ``superseded_by`` = that
load; an identical resubmission writes nothing. An enterprise's change to a released month is not written: it
becomes a revision request (:mod:`iip.collection.revisions`) that a statistician decides.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from iip.collection import audit, revisions
from iip.collection.accounts import Principal
from iip.collection.checks import check, check_many, prepare
from iip.collection.lines import (LINE_FIELDS, REPORT_COLUMNS, NeedsConfirmation, Submission, SubmissionResult,
                                  frame_from_json, frame_from_upload)
from iip.collection.service import write_transaction
from iip.errors import IIPError, Problem
from iip.ingest import microdata
from iip.store import insert_rows, next_ids, of_enterprises, record_loads, sha256
from iip.validation import LIMIT

__all__ = ["LIMIT", "NeedsConfirmation", "Submission", "SubmissionResult", "Unit", "check", "check_many",
           "frame_from_json", "frame_from_upload", "prepare", "rounds", "submit", "submit_many", "write_checked",
           "write_one", "write_units"]


@dataclass
class Unit:
    """One enterprise x month of checked, typed lines to write, with who sends it and how."""

    principal: Principal
    lines: pd.DataFrame
    channel: str
    comment: str | None
    warnings: list[Problem]
    action: str | None = None


#: The columns a submission record is written with (``submitted_at`` is set by the store).
SUBMISSION_RECORD = ("load_id", "enterprise_id", "period", "username", "role", "channel", "action", "lines",
                     "inserted", "unchanged", "sha256", "warnings", "comment")


def _shas(lines: pd.DataFrame, load_of: np.ndarray) -> dict[int, str]:
    """The content hash of each load's lines: sha256 of their CSV (the line fields and employees, a header, one
    row per line by product code), the CSV of every load written at once (a ``to_csv`` per load cost ~1 ms)."""
    cols = [*LINE_FIELDS, "employees"]
    order = np.lexsort((lines["product_code"].to_numpy(), load_of))
    header, *rows = lines[cols].iloc[order].to_csv(index=False, lineterminator="\n").split("\n")[:-1]
    loads, counts = np.unique(load_of, return_counts=True)
    return {int(load): sha256("".join(f"{r}\n" for r in [header, *rows[end - n:end]]))
            for load, n, end in zip(loads, counts, np.cumsum(counts))}


def write_one(con, principal: Principal, g: pd.DataFrame, *, channel: str, comment: str | None,
              warnings: list[Problem], action: str | None = None) -> SubmissionResult:
    """Write one enterprise x month inside the caller's write transaction."""
    return write_units(con, [Unit(principal, g, channel, comment, warnings, action)])[0]


def write_units(con, units: list[Unit]) -> list[SubmissionResult]:
    """Write enterprise x months inside the caller's write transaction, together: one load each (a new version
    of each changed line; an unchanged one writes nothing but its audit record), in one versioned upsert of
    reports and one of employment, and one statement each for the load, submission, line and audit records."""
    if not units:
        return []
    every = pd.concat([u.lines for u in units], ignore_index=True)
    ends = np.cumsum([len(u.lines) for u in units])
    firms, months = every["enterprise_id"].tolist(), every["period"].tolist()
    heads = [(str(firms[end - 1]), str(months[end - 1])) for end in ends]
    now = of_enterprises(con, "reports", ["enterprise_id", "period", "status"], (e for e, _ in heads))
    reported = now[now["status"] == "R"]
    existed = set(zip(reported["enterprise_id"], reported["period"]))
    ids = next_ids(con, "load_seq", len(units))
    load_of = np.repeat(ids, [len(u.lines) for u in units])
    # NaN -> null: the values as stored and as statement parameters
    plain = pa.Table.from_pandas(every[list(dict.fromkeys([*REPORT_COLUMNS, *LINE_FIELDS]))], preserve_index=False)
    inserted = microdata.upsert_loads(con, plain.select(REPORT_COLUMNS).append_column(
        "load_id", pa.array(load_of, pa.int64())), "reports")
    staff = every["employees"].to_numpy(dtype=float)
    emp = []                                  # each unit's employees: the first given on its lines
    for u, (firm, month), i, end in zip(units, heads, ids, ends):
        given = staff[end - len(u.lines):end]
        given = given[~np.isnan(given)]
        if len(given):
            emp.append((firm, month, float(given[0]), i))
    emp_changed = (microdata.upsert_loads(con, pd.DataFrame(emp, columns=["enterprise_id", "period", "employees",
                                                                          "load_id"]), "employment") if emp else {})
    results: list[SubmissionResult] = []
    loads: list[tuple] = []
    records: list[tuple] = []
    written_loads: list[int] = []
    audits: list[dict] = []
    shas = _shas(every, load_of)
    for u, (e, period), load_id in zip(units, heads, ids):   # a report equal to an imputed value is a new version
        p, n = u.principal, len(u.lines)
        written, emp_written = inserted.get(load_id, 0), emp_changed.get(load_id, 0)
        detail = {"channel": u.channel, "lines": n, "inserted": written, "employees_changed": emp_written,
                  "warnings": [w.message for w in u.warnings], "comment": u.comment}
        if written == 0 and emp_written == 0:
            audits.append(dict(username=p.username, role=p.role, action="submit_unchanged", enterprise_id=e,
                               period=period, detail=detail))
            results.append(SubmissionResult(e, period, None, "unchanged", 0, n, u.warnings))
            continue
        action = u.action or ("correct" if (e, period) in existed else "submit")
        sha = shas[load_id]
        loads.append((load_id, "submission", f"{u.channel}:{e}:{period}", sha, n, written, n - written,
                       len(u.warnings), p.username))
        records.append((load_id, e, period, p.username, p.role, u.channel, action, n, written, n - written, sha,
                        json.dumps([w.as_dict() for w in u.warnings], ensure_ascii=False), u.comment))
        written_loads.append(load_id)
        audits.append(dict(username=p.username, role=p.role, action=action, enterprise_id=e, period=period,
                           load_id=load_id, detail=detail))
        results.append(SubmissionResult(e, period, load_id, action, written, n - written, u.warnings))
    record_loads(con, loads)
    insert_rows(con, "submissions", SUBMISSION_RECORD, records)
    kept = np.isin(load_of, written_loads)
    lines = plain.filter(pa.array(kept)).select(list(LINE_FIELDS))
    insert_rows(con, "submission_lines", ("load_id", *LINE_FIELDS),
                list(zip(load_of[kept].tolist(), *(c.to_pylist() for c in lines.columns))))
    audit.log_many(con, audits)
    return results


def submit(con: duckdb.DuckDBPyConnection, principal: Principal, df: pd.DataFrame, *, channel: str,
           comment: str | None = None, file: str | None = None, action: str | None = None
           ) -> list[SubmissionResult]:
    """Check and write a text frame of lines (one or more enterprise x months), all or nothing. An enterprise's
    lines for a released month are stored as a revision request instead (action ``revision_requested``)."""
    got = submit_many(con, [Submission(principal, df, channel, comment=comment, file=file, action=action)])[0]
    if isinstance(got, IIPError):
        raise got
    return got


def _keys(df: pd.DataFrame) -> set[tuple[str, str]]:
    return {(str(e).strip(), str(p).strip()) for e, p in zip(df["enterprise_id"].tolist(), df["period"].tolist())}


def rounds(subs: list[Submission]) -> list[list[int]]:
    """Consecutive groups of ``subs`` checked and written together: at most :data:`iip.validation.LIMIT` lines (a
    larger submission alone) and no enterprise x month twice (a second one waits for the next group, so it is
    checked against the first one's write)."""
    out: list[list[int]] = []
    seen: set[tuple[str, str]] = set()
    lines = 0
    for i, s in enumerate(subs):
        keys, n = _keys(s.frame), len(s.frame)
        if not out or keys & seen or lines + n > LIMIT:
            out.append([])
            seen, lines = set(), 0
        out[-1].append(i)
        seen |= keys
        lines += n
    return out


def submit_many(con: duckdb.DuckDBPyConnection, subs: list[Submission]
                ) -> list[list[SubmissionResult] | IIPError]:
    """Check and write submissions that arrived together, group by group (:func:`rounds`): one rule query and one
    history read per group, the accepted ones written in one transaction. Each gets its results, or the error
    that refused it; the others are written all the same. Should the group's write fail, each is written alone."""
    out: list[list[SubmissionResult] | IIPError] = []
    for group in rounds(subs):
        out += _submit_group(con, [subs[i] for i in group])
    return out


def _submit_group(con: duckdb.DuckDBPyConnection, subs: list[Submission]) -> list[list[SubmissionResult] | IIPError]:
    """Check and write one group; should anything fail for the group as a whole, each is done alone (so one
    submission's failure is its own)."""
    return _or_one_by_one(con, subs, lambda: _write_checked(con, subs, check_many(con, subs)))


def write_checked(con: duckdb.DuckDBPyConnection, subs: list[Submission], checked: list | Exception
                  ) -> list[list[SubmissionResult] | IIPError]:
    """Write a group that :func:`iip.collection.checks.check_many` checked (``checked``: its answer, or the error
    the check raised): the accepted ones in one transaction, the refused ones get their error. Should the group
    fail as a whole, each submission is checked and written alone."""
    def step():
        if isinstance(checked, Exception):
            raise checked
        return _write_checked(con, subs, checked)
    return _or_one_by_one(con, subs, step)


def _or_one_by_one(con: duckdb.DuckDBPyConnection, subs: list[Submission], step
                   ) -> list[list[SubmissionResult] | IIPError]:
    """``step()``; should it fail, a group of one gets its error (an IIPError) or raises (the store failed), and
    a larger group is checked and written one by one."""
    try:
        return step()
    except IIPError as exc:
        if len(subs) == 1:
            return [exc]
    except Exception:
        if len(subs) == 1:
            raise
    return [got for s in subs for got in _submit_group(con, [s])]


def _write_checked(con: duckdb.DuckDBPyConnection, subs: list[Submission], checked: list
                   ) -> list[list[SubmissionResult] | IIPError]:
    checked = list(checked)
    accepted = [i for i, c in enumerate(checked) if isinstance(c, tuple)]
    if accepted:
        with write_transaction(con):
            written = _write(con, [(subs[i], *checked[i]) for i in accepted])
        for i, res in zip(accepted, written):
            checked[i] = res
    return checked


def _by_unit(lines: pd.DataFrame) -> list[tuple[tuple[str, str], pd.DataFrame]]:
    """The lines of each enterprise x month, in order (most submissions are one: then no grouping)."""
    units = sorted(set(zip(lines["enterprise_id"].tolist(), lines["period"].tolist())))
    if len(units) == 1:
        return [(units[0], lines)]
    return list(lines.groupby(["enterprise_id", "period"], sort=True))


def _write(con: duckdb.DuckDBPyConnection, items: list[tuple[Submission, pd.DataFrame, list[Problem]]]
           ) -> list[list[SubmissionResult]]:
    """Write checked submissions inside the caller's write transaction: each enterprise x month a unit
    (:func:`write_units`, all together), or, for an enterprise's released month, a revision request."""
    out: list[list] = []
    units: list[tuple[list, int, Unit]] = []
    known = revisions.released(con, {p for _, lines, _ in items for p in lines["period"].unique()})
    for sub, lines, warnings in items:
        results: list = []
        closed = revisions.locked(con, sub.principal, lines["period"].unique(), known=known)
        for (e, period), g in _by_unit(lines):
            rows = set(g["_row"].tolist())
            mine = [w for w in warnings if w.row is None or w.row in rows]
            if period in closed:
                rid = revisions.store_request(con, sub.principal, g, channel=sub.channel, comment=sub.comment,
                                              warnings=mine)
                results.append(SubmissionResult(e, period, None, "revision_requested", 0, 0, mine, revision_id=rid))
            else:
                results.append(None)
                units.append((results, len(results) - 1, Unit(sub.principal, g, sub.channel, sub.comment, mine,
                                                              sub.action)))
        out.append(results)
    for (results, k, _), res in zip(units, write_units(con, [u for _, _, u in units])):
        results[k] = res
    return out
