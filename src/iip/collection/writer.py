"""The service's writer of submissions: one thread that checks and writes what has queued, together.

A request hands its submission to :meth:`SubmissionWriter.submit` and waits for the future it gets back, holding
no worker thread and no connection meanwhile (an ``async`` route awaits it). The writer takes everything queued
(at most ``batch`` submissions) and passes it to :func:`iip.collection.submissions.submit_many`: one rule query
over all their lines, one read of their history and one write transaction for the lot (a group commit), each
submission with its own result or error. Under many submitters a batch grows and the cost per submission falls;
reads (dashboard, ``/api/series``) never queue behind writes.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import Future

from iip.collection import submissions
from iip.collection.submissions import Submission, SubmissionResult

log = logging.getLogger("iip.collection")

_STOP = object()


class SubmissionWriter:
    """One thread writing submissions in batches on connections of ``store`` (an :class:`iip.store.Store`): a
    batch is what queued while the last one was written, and what arrives within ``gather`` seconds of its first
    submission (a group commit's short wait: bigger batches under load for at most that much latency), at most
    ``batch`` submissions."""

    def __init__(self, store, *, batch: int = 64, gather: float = 0.05) -> None:
        self._store = store
        self._batch = batch
        self._gather = gather
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, sub: Submission) -> Future:
        """Queue ``sub``; the future gives its results (a list of :class:`SubmissionResult`) or raises the error
        that refused it."""
        fut: Future = Future()
        self._queue.put((sub, fut))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="iip-submission-writer", daemon=True)
                self._thread.start()
        return fut

    def close(self) -> None:
        """Write what has queued, then stop the thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(_STOP)
            thread.join()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            until = time.monotonic() + self._gather
            while len(batch) < self._batch:
                try:
                    item = self._queue.get(timeout=max(0.0, until - time.monotonic()))
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)
            self._write(batch)
            if stop:
                return

    def _write(self, batch: list[tuple[Submission, Future]]) -> None:
        """Check and write one batch; hand each request its results or its error."""
        got: list[list[SubmissionResult] | BaseException]
        try:
            with self._store.unit() as con:
                got = list(submissions.submit_many(con, [sub for sub, _ in batch]))
        except Exception as exc:      # the store failed: every request of the batch hears it
            log.exception("submission batch failed")
            got = [exc] * len(batch)
        for (_, fut), result in zip(batch, got):
            if isinstance(result, BaseException):
                fut.set_exception(result)
            else:
                fut.set_result(result)
