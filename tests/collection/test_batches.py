"""Submissions that arrive together are checked and written together (iip.collection.submissions.submit_many and
the service's writer), each with its own outcome, and the store ends as if they had come one by one."""
from __future__ import annotations

import hashlib
import shutil
import threading

import duckdb
import pandas as pd
import pytest

from iip.collection import accounts, submissions
from iip.collection.writer import SubmissionWriter
from iip.errors import ValidationError
from iip.store import Store, connect

from tests.collection.conftest import build_store


def _principal(con, name):
    return accounts.Principal(name, *{
        "ent_a": ("enterprise", "E1", None), "ent_b": ("enterprise", "E2", None),
        "national": ("national", None, None)}[name])   # the conftest's users (iip.collection.accounts.Principal)


def _sub(con, user, enterprise, produced, *, period="2024-01", product=None, comment="batch test"):
    body = {"enterprise_id": enterprise, "period": period, "comment": comment,
            "products": [{"product_code": product or {"E1": "STEEL", "E2": "MILK", "E3": "STEEL"}[enterprise],
                          "produced": produced, "sold": produced, "closing_stock": 10}]}
    p = _principal(con, user)
    return submissions.Submission(p, submissions.frame_from_json(body, p), "json", comment=comment)


STATE = ("SELECT enterprise_id, period, product_code, produced, sold, closing_stock, status FROM reports "
         "ORDER BY ALL")
HISTORY = ("SELECT enterprise_id, period, product_code, produced FROM reports_history WHERE period = '2024-01' "
           "ORDER BY ALL")


def _copy(store, tmp_path, name):
    path = tmp_path / name
    shutil.copy(store, path)
    return connect(path)


@pytest.fixture(params=["duckdb", "postgres"])
def two_stores(request, store, tmp_path):
    """Two equal stores (copies of the template; or two PostgreSQL databases built alike)."""
    if request.param == "duckdb":
        return _copy(store, tmp_path, "a.duckdb"), _copy(store, tmp_path, "b.duckdb")
    cluster = request.getfixturevalue("pg_cluster")
    return tuple(build_store(cluster.create(f"batch_{tmp_path.name[-12:]}_{k}".lower()), tmp_path) for k in "ab")


def test_a_batch_ends_as_one_by_one(two_stores):
    """Three enterprises and a correction of the first, written as one batch and one by one: the same reports,
    history, results and load records (ids aside); on both stores."""
    together, alone = two_stores
    subs = [("ent_a", "E1", 130), ("ent_b", "E2", 60), ("national", "E3", 90), ("ent_a", "E1", 131)]
    got = submissions.submit_many(together, [_sub(together, u, e, q) for u, e, q in subs])
    one = [submissions.submit(alone, _principal(alone, u), _sub(alone, u, e, q).frame, channel="json",
                              comment="batch test") for u, e, q in subs]
    assert [[(r.enterprise_id, r.action, r.inserted) for r in rs] for rs in got] == \
           [[(r.enterprise_id, r.action, r.inserted) for r in rs] for rs in one] == \
           [[("E1", "submit", 1)], [("E2", "submit", 1)], [("E3", "submit", 1)], [("E1", "correct", 1)]]
    for sql in (STATE, HISTORY):
        assert together.execute(sql).fetchall() == alone.execute(sql).fetchall()
    # the correction superseded the first version with its own load, and each submission is its own load
    first, second = got[0][0].load_id, got[3][0].load_id
    assert together.execute("SELECT produced, load_id, superseded_by FROM reports_history WHERE enterprise_id = 'E1' "
                            "AND period = '2024-01'").fetchall() == [(130.0, first, second)]
    assert together.execute("SELECT load_id FROM reports WHERE enterprise_id = 'E1' AND period = '2024-01'"
                            ).fetchall() == [(second,)]
    loads = ("SELECT kind, file, rows, inserted, unchanged, loaded_by, sha256 FROM loads WHERE kind = 'submission' "
             "ORDER BY load_id")
    assert together.execute(loads).fetchall() == alone.execute(loads).fetchall()
    # a load's content hash: sha256 of its lines as CSV (line fields and employees, as sent), written here by hand
    milk = "product_code,produced,sold,closing_stock,value,employees\nMILK,60,60,10,,\n"
    assert together.execute("SELECT sha256 FROM submissions WHERE enterprise_id = 'E2'").fetchall() == \
        [(hashlib.sha256(milk.encode()).hexdigest(),)]
    audit = "SELECT username, action, enterprise_id, period FROM audit_log ORDER BY audit_id"
    assert together.execute(audit).fetchall()[-4:] == alone.execute(audit).fetchall()[-4:]
    lines = ("SELECT s.enterprise_id, l.product_code, l.produced FROM submission_lines l JOIN submissions s "
             "USING (load_id) ORDER BY l.load_id")
    assert together.execute(lines).fetchall() == alone.execute(lines).fetchall()


def test_one_bad_submission_refuses_only_itself(store):
    """A batch of a good report, one with a bad number and one outside the sender's scope: the first is written,
    the others get their own errors, named by their own line."""
    con = connect(store)
    bad = _sub(con, "ent_b", "E2", "12,5,3")
    foreign = _sub(con, "ent_a", "E2", 55)
    got = submissions.submit_many(con, [_sub(con, "ent_a", "E1", 120), bad, foreign])
    assert got[0][0].action == "submit"
    assert isinstance(got[1], ValidationError)
    assert [(p.row, p.field, p.rule) for p in got[1].problems] == [(1, "products[0].produced", "numeric"),
                                                                 (1, "products[0].sold", "numeric")]
    assert type(got[2]).__name__ == "ForbiddenError"
    assert con.execute("SELECT enterprise_id FROM reports WHERE period = '2024-01'").fetchall() == [("E1",)]


def test_rounds_keep_an_enterprise_month_apart_and_lines_bounded():
    """A repeated enterprise x month starts a new group, and a group holds at most LIMIT lines."""
    def sub(e, n):
        frame = pd.DataFrame({"enterprise_id": [e] * n, "period": ["2024-01"] * n})
        return submissions.Submission(None, frame, "json")    # type: ignore[arg-type]
    limit = submissions.LIMIT
    subs = [sub("E1", 1), sub("E2", 1), sub(" E1", 1), sub("E3", limit - 2), sub("E4", limit + 5), sub("E5", 1)]
    assert submissions.rounds(subs) == [[0, 1], [2, 3], [4], [5]]


def test_the_writer_batches_what_queued(store, monkeypatch):
    """While the writer writes one submission, the others queue; the next batch takes them all, and every
    request gets its own result."""
    sizes: list[int] = []
    gate = threading.Event()
    real = submissions.check_many

    def watched(con, subs, **kw):
        sizes.append(len(subs))
        gate.wait(30)
        return real(con, subs, **kw)

    monkeypatch.setattr(submissions, "check_many", watched)
    st = Store(str(store))
    writer = SubmissionWriter(st)
    months = [("E1", 1)] + [(e, m) for m in (1, 2) for e in ("E2", "E3")]    # the later ones: other enterprises
    with connect(store) as con:
        subs = [_sub(con, "national", e, 100 + k, period=f"2024-{m:02d}") for k, (e, m) in enumerate(months)]
    futures = [writer.submit(subs[0])]
    while not sizes:            # the writer has taken the first one and waits at the gate
        threading.Event().wait(0.01)
    futures += [writer.submit(s) for s in subs[1:]]
    threading.Event().wait(0.2)      # the first one's check is held at least this long
    gate.set()
    results = [f.result(timeout=60) for f in futures]
    stats = writer.stats()
    writer.close()
    st.close()
    assert sizes == [1, 4]
    assert (stats["submissions"], stats["group"]) == (5, 2.5)          # groups of 1 and 4
    assert stats["check_ms"]["p99"] >= 200 and stats["wait_ms"]["p99"] >= 200   # the first held; the others queued
    assert [(r[0].enterprise_id, r[0].period, r[0].action) for r in results] == [
        (e, f"2024-{m:02d}", "submit") for e, m in months]
    with connect(store) as con:
        assert con.execute("SELECT count(*) FROM reports WHERE period >= '2024-01'").fetchone()[0] == 5


def test_the_checker_keeps_its_connection_while_busy_and_gives_it_back(store):
    """The checker keeps its connection between batches (its rule query prepared once), so the DuckDB file stays
    open past the store's linger while the writer runs; it gives the connection back when the writer closes, and
    after ``keep`` idle seconds, and the idle file then closes (other processes get in)."""
    with connect(store) as con:
        subs = [_sub(con, "national", e, 100 + k) for k, e in enumerate(("E1", "E2"))]
    st = Store(str(store), linger=0.05)
    busy = SubmissionWriter(st, gather=0.0, keep=60.0)
    busy.submit(subs[0]).result(timeout=60)
    threading.Event().wait(0.5)                     # ten times the store's linger, far within the checker's keep
    assert st._open is not None
    busy.close()                                    # gives the connection back
    st._closer.join(30)
    assert st._open is None
    idle = SubmissionWriter(st, gather=0.0, keep=0.05)
    idle.submit(subs[1]).result(timeout=60)
    st._closer.join(30)                             # the checker gave it back once idle: the file closed
    assert st._open is None
    with duckdb.connect(str(store), read_only=True) as other:
        assert other.execute("SELECT enterprise_id, produced FROM reports WHERE period = '2024-01' AND "
                             "enterprise_id IN ('E1', 'E2') ORDER BY 1").fetchall() == [("E1", 100), ("E2", 101)]
    idle.close()
    st.close()


class _HeldWrites:
    """The writer's checks recorded (the enterprise of each submission, and whether a write was held meanwhile)
    and its writes held at a gate: those of which ``hold(subs)`` is true wait until :attr:`release` is set."""

    def __init__(self, monkeypatch, hold=lambda subs: True) -> None:
        self.writing, self.release = threading.Event(), threading.Event()
        self.checks: list[list[tuple[str, bool]]] = []
        self.writes: list[int] = []
        real_check, real_write = submissions.check_many, submissions.write_checked

        def check(con, subs, **kw):
            held = self.writing.is_set() and not self.release.is_set()
            self.checks.append([(str(s.frame["enterprise_id"].iloc[0]), held) for s in subs])
            return real_check(con, subs, **kw)

        def write(con, subs, got):
            self.writes.append(len(subs))
            if hold(subs):
                self.writing.set()
                self.release.wait(30)
            return real_write(con, subs, got)

        monkeypatch.setattr(submissions, "check_many", check)
        monkeypatch.setattr(submissions, "write_checked", write)

    @property
    def checked(self) -> list[tuple[str, bool]]:
        """Every submission checked so far, in order."""
        return [c for check in self.checks for c in check]


def _until(condition) -> None:
    for _ in range(3000):
        if condition():
            return
        threading.Event().wait(0.01)


def test_a_month_is_checked_after_the_enterprise_s_earlier_submission_is_written(store, monkeypatch):
    """The checker checks the next group while the writer writes the last one, but never an enterprise whose
    earlier submission is not written yet: February's edit rules see January's new figure (a fall to 0 from
    it), whereas another enterprise's submission is checked while January is still being written."""
    held = _HeldWrites(monkeypatch, hold=lambda subs: any(s.frame["period"].iloc[0] == "2024-01" for s in subs))
    st = Store(str(store))
    writer = SubmissionWriter(st, gather=0.0)
    with connect(store) as con:
        january = _sub(con, "ent_a", "E1", 1234)
        february, other = _sub(con, "ent_a", "E1", 0, period="2024-02"), _sub(con, "ent_b", "E2", 61)
    first = writer.submit(january)
    assert held.writing.wait(30)              # January is being written
    later = [writer.submit(february), writer.submit(other)]
    _until(lambda: ("E2", True) in held.checked)   # E2 is checked while January is written; E1's February waits
    assert ("E2", True) in held.checked and not any(e == "E1" for e, _ in held.checked[1:])
    held.release.set()
    got = [first.result(timeout=60)] + [f.result(timeout=60) for f in later]
    writer.close()
    st.close()
    assert ("E1", False) in held.checked[1:]
    assert [w.message for w in got[1][0].warnings if w.rule == "change"] == [
        "produced fell to 0 from 1234 last month", "sold fell to 0 from 1234 last month"]


def test_groups_checked_while_the_writer_writes_are_written_together(store, monkeypatch):
    """Two submissions checked one after the other while the first write is held are written in one transaction
    (one call of write_checked with both), each with its own result."""
    held = _HeldWrites(monkeypatch)
    st = Store(str(store))
    writer = SubmissionWriter(st, gather=0.0)
    with connect(store) as con:
        subs = [_sub(con, "national", e, 100 + k) for k, e in enumerate(("E1", "E2", "E3"))]
    futures = [writer.submit(subs[0])]
    assert held.writing.wait(30)
    for k, sub in enumerate(subs[1:], start=1):      # each checked alone, while the first is being written
        futures.append(writer.submit(sub))
        _until(lambda: writer._checked.qsize() == k)  # until its check is handed to the writer
    held.release.set()
    got = [f.result(timeout=60) for f in futures]
    writer.close()
    st.close()
    assert [len(c) for c in held.checks] == [1, 1, 1] and held.writes == [1, 2]
    assert [(r[0].enterprise_id, r[0].action) for r in got] == [("E1", "submit"), ("E2", "submit"),
                                                                ("E3", "submit")]


def test_a_writer_error_reaches_every_request(store, monkeypatch):
    """A store that fails hands its error to every request of the batch (no request waits for ever)."""
    def broken(con, subs, **kw):
        raise RuntimeError("disk full")

    monkeypatch.setattr(submissions, "check_many", broken)
    st = Store(str(store))
    writer = SubmissionWriter(st)
    with connect(store) as con:
        fut = writer.submit(_sub(con, "ent_a", "E1", 100))
    with pytest.raises(RuntimeError, match="disk full"):
        fut.result(timeout=60)
    writer.close()
    st.close()


def test_each_replaced_version_names_its_own_load(store):
    """Two enterprises correct an existing month in one batch: each old version moves to history superseded by
    the load of its own enterprise's submission (the per-row load of the batched upsert)."""
    con = connect(store)
    before = dict(con.execute("SELECT enterprise_id, produced FROM reports WHERE period = '2023-12'").fetchall())
    got = submissions.submit_many(con, [_sub(con, "ent_a", "E1", 500, period="2023-12"),
                                        _sub(con, "ent_b", "E2", 600, period="2023-12")])
    assert [(r[0].action, r[0].inserted) for r in got] == [("correct", 1), ("correct", 1)]
    hist = con.execute("SELECT enterprise_id, produced, superseded_by FROM reports_history WHERE period = '2023-12' "
                       "ORDER BY 1").fetchall()
    assert hist == [("E1", before["E1"], got[0][0].load_id), ("E2", before["E2"], got[1][0].load_id)]
    assert got[0][0].load_id != got[1][0].load_id


def test_two_numbers_of_employees_refuse_their_submission_only(store):
    """An upload giving an enterprise x month two numbers of employees is refused; a good submission in the
    same batch is written."""
    con = connect(store)
    p = _principal(con, "national")
    text = ("enterprise_id,period,product_code,produced,sold,closing_stock,employees\n"
            "E1,2024-01,STEEL,5,5,1,10\nE1,2024-01,MILK,3,3,1,11\n")
    upload = submissions.Submission(p, submissions.frame_from_upload(text.encode(), "two.csv", p), "csv",
                                    comment="x", file="two.csv")
    got = submissions.submit_many(con, [upload, _sub(con, "ent_b", "E2", 55)])
    assert isinstance(got[0], ValidationError)
    assert [(q.field, q.file) for q in got[0].problems] == [("employees", "two.csv")]
    assert "E1 2024-01: employees must be one number" in got[0].problems[0].message
    assert got[1][0].action == "submit"
    assert con.execute("SELECT enterprise_id FROM reports WHERE period = '2024-01'").fetchall() == [("E2",)]


def test_each_load_hashes_its_own_lines_by_product_code():
    """Two loads' lines interleaved and out of order: each load's hash is that of its own lines as CSV, sorted by
    product code (the texts written here by hand)."""
    import numpy as np

    lines = pd.DataFrame({"product_code": ["TEA", "MILK", "STEEL", "BEER"], "produced": ["5", "60", "7.5", "1"],
                          "sold": ["4", "60", "7", "1"], "closing_stock": [None, "10", None, "0"],
                          "value": [None, None, "900", None], "employees": [None, None, "12", None]})
    got = submissions._shas(lines, np.array([8, 7, 8, 7]))
    head = "product_code,produced,sold,closing_stock,value,employees\n"
    assert got == {7: hashlib.sha256((head + "BEER,1,1,0,,\nMILK,60,60,10,,\n").encode()).hexdigest(),
                   8: hashlib.sha256((head + "STEEL,7.5,7,,900,12\nTEA,5,4,,,\n").encode()).hexdigest()}
