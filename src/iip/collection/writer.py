"""The service's writer of submissions: two threads, one checking and one writing what has queued, together.

A request hands its submission to :meth:`SubmissionWriter.submit` and waits for the future it gets back, holding
no worker thread and no connection meanwhile (an ``async`` route awaits it). The checker takes everything queued
(at most ``batch`` submissions), cuts it into groups (:func:`iip.collection.submissions.rounds`) and checks each
group (:func:`iip.collection.checks.check_many`: one rule query over all their lines, one read of their
history) on a connection it keeps while submissions keep coming (its rule query prepared once); the writer writes
what has been checked in one transaction (a group commit, :func:`iip.collection.submissions.write_checked`: every
group checked while it wrote the last), each submission with its own result or error. The two run side by side:
while one group is written the next is checked, so under many submitters the batches grow, the cost per
submission falls and neither stage waits for the other. A submission is checked only once every earlier
submission of its enterprise has been written (its edit rules read the enterprise's history). Reads (dashboard,
``/api/series``) never queue behind writes.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, deque
from concurrent.futures import Future

import numpy as np

from iip.collection import submissions
from iip.collection.submissions import Submission, SubmissionResult

log = logging.getLogger("iip.collection")

_STOP = object()

Item = tuple[Submission, Future]

#: The stages of a submission inside the writer that :meth:`SubmissionWriter.stats` times: queued until its check
#: began (the gather window, a check or a write before it), checked, checked until its write began, written.
STAGES = ("wait", "check", "handoff", "write", "total")


def _enterprises(sub: Submission) -> set[str]:
    return {str(e).strip() for e in sub.frame["enterprise_id"].tolist()}


class SubmissionWriter:
    """Two threads writing submissions in batches on connections of ``store`` (an :class:`iip.store.Store`): a
    batch is what queued while the last one was checked, and what arrives within ``gather`` seconds of its first
    submission (a group commit's short wait: bigger batches under load for at most that much latency), at most
    ``batch`` submissions. The checker keeps its connection until no submission has come for ``keep`` seconds
    (then the store may close an idle DuckDB file)."""

    def __init__(self, store, *, batch: int = 64, gather: float = 0.05, keep: float = 0.5) -> None:
        self._store = store
        self._batch = batch
        self._gather = gather
        self._keep = keep
        self._queue: queue.SimpleQueue = queue.SimpleQueue()      # submissions to check
        self._checked: queue.SimpleQueue = queue.SimpleQueue()    # checked groups to write
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._unwritten: Counter[str] = Counter()                 # enterprises checked but not yet written
        self._written = threading.Condition()
        self._marks: dict[int, list[float]] = {}                  # id(future) -> queued[, check began, ended]
        self._timed: deque[tuple[float, ...]] = deque(maxlen=2000)   # the latest submissions' STAGES (s)
        self._groups: deque[int] = deque(maxlen=500)              # the latest checked groups' sizes
        self._count = 0                                           # submissions answered since the start
        self._timing = threading.Lock()                           # guards the four above

    def submit(self, sub: Submission) -> Future:
        """Queue ``sub``; the future gives its results (a list of :class:`SubmissionResult`) or raises the error
        that refused it."""
        fut: Future = Future()
        with self._timing:
            self._marks[id(fut)] = [time.monotonic()]
        self._queue.put((sub, fut))
        with self._lock:
            if not self._threads:
                self._threads = [threading.Thread(target=self._check_loop, name="iip-submission-checker", daemon=True),
                                 threading.Thread(target=self._write_loop, name="iip-submission-writer", daemon=True)]
                for t in self._threads:
                    t.start()
        return fut

    def close(self) -> None:
        """Check and write what has queued, then stop the threads."""
        with self._lock:
            threads, self._threads = self._threads, []
        if threads:
            self._queue.put(_STOP)
            for t in threads:
                t.join()

    def stats(self) -> dict:
        """What the writer has done: submissions answered since the start, the mean size of the latest checked
        groups, and the median and 99th percentile (ms) of each of :data:`STAGES` over the latest submissions
        (/api/health; benchmarks/web.py prints them beside the latency its clients saw)."""
        with self._timing:
            timed, groups, count = list(self._timed), list(self._groups), self._count
        timed_ = np.array(timed, dtype=float).reshape(-1, len(STAGES))
        out: dict = {"submissions": count, "group": round(float(np.mean(groups)), 2) if groups else None}
        for j, stage in enumerate(STAGES):
            out[f"{stage}_ms"] = ({q: round(float(np.percentile(timed_[:, j], pct)) * 1000, 1)
                                   for q, pct in (("p50", 50), ("p99", 99))} if len(timed) else None)
        return out

    # ------------------------------------------------------------------------------------------ checking
    def _check_loop(self) -> None:
        con = None      # kept while submissions keep coming
        while True:
            batch, stop = self._next_batch(None if con is None else self._keep)
            if batch:
                con = self._check(con, batch)
            elif not stop:  # none came for ``keep`` seconds
                self._release(con)
                con = None
            if stop:
                self._release(con)
                self._checked.put(_STOP)
                return

    def _release(self, con) -> None:
        """Give the checker's connection back to the store (when it holds one)."""
        if con is not None:
            try:
                self._store.end_unit(con)
            except Exception:
                log.exception("closing the submission checker's connection failed")

    def _next_batch(self, idle: float | None = None) -> tuple[list[Item], bool]:
        """What queued (waiting for a first submission, at most ``idle`` seconds), plus what arrives within the
        gather window; and whether the writer was asked to stop."""
        try:
            first = self._queue.get(timeout=idle)
        except queue.Empty:
            return [], False
        if first is _STOP:
            return [], True
        batch = [first]
        until = time.monotonic() + self._gather
        while len(batch) < self._batch:
            try:
                item = self._queue.get(timeout=max(0.0, until - time.monotonic()))
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _check(self, con, batch: list[Item]):
        """Check the batch group by group on ``con`` (the kept connection, or None: a new one) and hand each group
        to the writer; returns the connection to keep (None after a failure: the next batch opens a new one)."""
        handed: set[int] = set()
        try:
            if con is None:
                con = self._store.begin_unit()
            sound = True
            for group in submissions.rounds([sub for sub, _ in batch]):
                waiting = list(group)
                while waiting:
                    ready = self._ready(batch, waiting)
                    waiting = [i for i in waiting if i not in ready]
                    sound = self._check_group(con, [batch[i] for i in ready]) and sound
                    handed.update(ready)
            if sound:
                return con
            self._release(con)
            return None
        except Exception as exc:             # the store could not be opened: the requests not handed over hear it
            log.exception("submission batch failed")
            for i, (_, fut) in enumerate(batch):
                if i not in handed:
                    with self._timing:
                        self._marks.pop(id(fut), None)
                    fut.set_exception(exc)
            self._release(con)
            return None

    def _ready(self, batch: list[Item], waiting: list[int]) -> list[int]:
        """The submissions of ``waiting`` (positions in ``batch``) whose enterprises have nothing unwritten (waiting
        until there is at least one), marked as unwritten from now on."""
        firms = {i: _enterprises(batch[i][0]) for i in waiting}
        with self._written:
            self._written.wait_for(lambda: any(not (f & self._unwritten.keys()) for f in firms.values()))
            ready = [i for i in waiting if not (firms[i] & self._unwritten.keys())]
            self._unwritten.update(e for i in ready for e in firms[i])
        return ready

    def _check_group(self, con, items: list[Item]) -> bool:
        """Check one group and hand it to the writer (with the error, should the check fail as a whole: the
        writer then checks and writes each alone); whether the check ran without such an error."""
        subs = [sub for sub, _ in items]
        checked: list | Exception
        began = time.monotonic()
        try:
            checked = submissions.check_many(con, subs, kept=True)
        except Exception as exc:
            checked = exc
        ended = time.monotonic()
        with self._timing:
            self._groups.append(len(items))
            for _, fut in items:
                self._marks[id(fut)] += [began, ended]
        self._checked.put((items, checked, Counter(e for s in subs for e in _enterprises(s))))
        return not isinstance(checked, Exception)

    # ------------------------------------------------------------------------------------------- writing
    def _write_loop(self) -> None:
        stop = False
        while not stop:
            groups, stop = self._next_groups()
            for items, checked, mine in groups:
                try:
                    self._write(items, checked)
                finally:
                    with self._written:
                        self._unwritten -= mine            # (keeps only the enterprises still unwritten)
                        self._written.notify_all()

    def _next_groups(self) -> tuple[list[tuple[list[Item], list | Exception, Counter]], bool]:
        """The checked groups waiting to be written (waiting for one), those checked without error merged into one
        (written in one transaction: no enterprise is in two of them, as an enterprise is checked only once its
        earlier submission is written); and whether the checker has stopped."""
        got, stop = [self._checked.get()], False
        while True:
            try:
                got.append(self._checked.get_nowait())
            except queue.Empty:
                break
        if got[-1] is _STOP:
            got, stop = got[:-1], True
        whole = [g for g in got if not isinstance(g[1], Exception)]
        groups = [g for g in got if isinstance(g[1], Exception)]
        if whole:
            groups.append(([i for g in whole for i in g[0]], [c for g in whole for c in g[1]],
                           sum((g[2] for g in whole), Counter())))
        return groups, stop

    def _write(self, items: list[Item], checked: list | Exception) -> None:
        """Write one checked group; hand each request its results or its error (and time its stages)."""
        got: list[list[SubmissionResult] | BaseException]
        began = time.monotonic()
        try:
            with self._store.unit() as con:
                got = list(submissions.write_checked(con, [sub for sub, _ in items], checked))
        except Exception as exc:      # the store failed: every request of the group hears it
            log.exception("submission batch failed")
            got = [exc] * len(items)
        ended = time.monotonic()
        with self._timing:
            for _, fut in items:
                queued, c0, c1 = self._marks.pop(id(fut), [began] * 3)
                self._timed.append((c0 - queued, c1 - c0, began - c1, ended - began, ended - queued))
            self._count += len(items)
        for (_, fut), result in zip(items, got):
            if isinstance(result, BaseException):
                fut.set_exception(result)
            else:
                fut.set_result(result)
