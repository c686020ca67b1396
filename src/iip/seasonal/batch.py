"""Adjust many stored series across cores and keep every run (store I/O lives here, not in the methods).

Series come from the compiled levels (source 'compiled') and, when the published-figures stage has made them, the
``published_levels`` table. :func:`run_all` is ``iip sa --all``: it adjusts the release set (or every series),
skips a series whose input is what its latest run saw (``sa_runs.input_sha256``), runs the rest over a process
pool and commits the runs in batches, each in its own short transaction -- so a first Ctrl-C (or ``stop``) lets
the series being adjusted finish, commits them and stops with everything done kept, and a rerun goes on where it
stopped. A series that cannot be adjusted is recorded with status 'skipped' (bad series) or 'failed' (x13as
error, spec kept) and the others continue.
"""
from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from iip import reference
from iip.pools import process_pool
from iip.seasonal.adjust import SAResult, SeriesError, adjust
from iip.seasonal.x13 import X13Error
from iip.store import next_id, scalar, sha256, transaction

Key = tuple[str, str, str, str]   # source, indicator, area, node
SELECTIONS = ("release", "everything")
#: Bumped when the adjustment method changes in a way that must redo stored runs.
METHOD_VERSION = "x13-tet-1"
#: Environment variable of the test hook: after this many committed batches the run signals itself SIGINT.
INTERRUPT_HOOK = "IIP_TEST_SA_INTERRUPT_AFTER_BATCHES"


@dataclass
class Outcome:
    key: Key
    status: str                       # ok | skipped | failed
    message: str = ""
    result: SAResult | None = None
    spec: str | None = None
    first: str | None = None
    last: str | None = None
    input_sha256: str | None = None


def _relation_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    q = ("SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_catalog = current_database() "
         "AND table_schema = current_schema()")
    return bool(scalar(con, q, [name]))


def _release_nodes() -> tuple[set[str], set[str]]:
    tree = reference.vsic()
    return set(tree.loc[tree["level"] == "section", "code"]), set(tree.loc[tree["level"] == "division", "code"])


def in_release_set(key: Key, *, sections: set[str], divisions: set[str], regions: set[str]) -> bool:
    """The series a release publishes, for every indicator: national TOTAL, sections and divisions; the TOTAL of
    every region and province (the 63 and the 34 merged ones)."""
    _, _, area, node = key
    if area == "VN":
        return node == "TOTAL" or node in sections or node in divisions
    return node == "TOTAL" and (area in regions or any(re.match(p, area) for p in reference.PROVINCE_AREAS.values()))


def release_set(keys: Iterable[Key]) -> list[Key]:
    """The keys of the release set (:func:`in_release_set`), in the order given."""
    sections, divisions = _release_nodes()
    regions = set(reference.regions()["region_code"].astype(str))
    return [k for k in keys if in_release_set(k, sections=sections, divisions=divisions, regions=regions)]


def load_series(con: duckdb.DuckDBPyConnection, *, selection: str = "everything") -> list[tuple[Key, pd.DataFrame]]:
    """Stored monthly series: compiled levels, then published levels (when present); ``selection`` release
    (the release set) or everything."""
    parts = ["SELECT 'compiled' AS source, indicator, area, node, period, \"index\" AS value FROM index_levels"]
    if _relation_exists(con, "published_levels"):
        parts.append("SELECT source, indicator, area, node, period, value FROM published_levels")
    frame = con.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 2, 3, 4, 5").df()
    out: list[tuple[Key, pd.DataFrame]] = []
    for (source, indicator, area, node), g in frame.groupby(["source", "indicator", "area", "node"], sort=True):
        out.append(((str(source), str(indicator), str(area), str(node)),
                    g[["period", "value"]].reset_index(drop=True)))
    if selection == "release":
        keep = set(release_set(k for k, _ in out))
        out = [(k, df) for k, df in out if k in keep]
    return out


def key_name(key: Key) -> str:
    return "/".join(key)


def input_sha256(df: pd.DataFrame, options: dict) -> str:
    """The hash of what an adjustment reads: the months and values (every bit), the options, the method."""
    return sha256(b"\n".join([METHOD_VERSION.encode(), json.dumps(options, sort_keys=True, default=str).encode(),
                               "\n".join(df["period"].astype(str)).encode(),
                               np.ascontiguousarray(df["value"].to_numpy(dtype=float)).tobytes()]))


def latest_inputs(con: duckdb.DuckDBPyConnection) -> dict[Key, str | None]:
    """The input hash of each series' latest run."""
    rows = con.execute("""SELECT source, indicator, area, node, input_sha256 FROM sa_runs
                          WHERE run_id IN (SELECT max(run_id) FROM sa_runs GROUP BY source, indicator, area, node)
                       """).fetchall()
    return {(r[0], r[1], r[2], r[3]): r[4] for r in rows}


def adjust_one(key: Key, df: pd.DataFrame, options: dict) -> Outcome:
    """Adjust one series; never raises for a bad series or an x13as failure (recorded in the outcome)."""
    name = key_name(key)
    first = str(df["period"].min()) if len(df) else None
    last = str(df["period"].max()) if len(df) else None
    sha = input_sha256(df, options)
    try:
        res = adjust(df, name=name, **options)
    except SeriesError as exc:
        return Outcome(key, "skipped", str(exc), first=first, last=last, input_sha256=sha)
    except X13Error as exc:
        return Outcome(key, "failed", str(exc), spec=exc.spec, first=first, last=last, input_sha256=sha)
    assert isinstance(res, SAResult)
    return Outcome(key, "ok", "", result=res, spec=res.spec, first=first, last=last, input_sha256=sha)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops handing out work and lets them finish theirs."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def iter_outcomes(items: list[tuple[Key, pd.DataFrame]], *, options: dict | None = None, workers: int | None = None,
                  stop: threading.Event | None = None) -> Iterator[Outcome]:
    """Adjust the series over a process pool (``workers`` default = CPU count; 1 = in this process), yielding
    each outcome as it is done. Once ``stop`` is set no new series starts; those running finish and are
    yielded."""
    options = options or {}
    workers = workers or os.cpu_count() or 1
    stop = stop or threading.Event()
    if workers == 1 or len(items) <= 1:
        for key, df in items:
            if stop.is_set():
                return
            yield adjust_one(key, df, options)
        return
    with process_pool(workers, initializer=_ignore_sigint) as pool:
        todo = iter(items)
        running: set[Future] = set()

        def fill() -> None:
            while len(running) < 2 * workers and not stop.is_set():
                nxt = next(todo, None)
                if nxt is None:
                    return
                running.add(pool.submit(adjust_one, nxt[0], nxt[1], options))

        fill()
        while running:
            done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in done:
                running.discard(fut)
                yield fut.result()
            if stop.is_set():
                for fut in [f for f in running if f.cancel()]:
                    running.discard(fut)
            else:
                fill()


def adjust_many(items: list[tuple[Key, pd.DataFrame]], *, options: dict | None = None, workers: int | None = None,
                on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Adjust every series (see :func:`iter_outcomes`); the outcomes in the order of ``items``."""
    outcomes = []
    for o in iter_outcomes(items, options=options, workers=workers):
        outcomes.append(o)
        if on_done:
            on_done(o)
    order = {key: i for i, (key, _) in enumerate(items)}
    return sorted(outcomes, key=lambda o: order[o.key])


def _run_row(run_id: int, batch: str, o: Outcome) -> list:
    r = o.result
    tet = r.report["tet"] if r else {}
    model = r.report["model"] if r else {}
    return [run_id, batch, *o.key, o.status, o.message or None, o.first, o.last, model.get("arima"),
            model.get("transform"), tet.get("before_days"), tet.get("after_days"), tet.get("t_before"),
            tet.get("t_after"), json.dumps(r.report, default=float) if r else None, o.spec, o.input_sha256]


def save_outcomes(con: duckdb.DuckDBPyConnection, outcomes: Iterable[Outcome], *, batch: str | None = None) -> str:
    """Write every outcome as a new run (never overwriting older ones), all or nothing; returns the batch id."""
    batch = batch or uuid.uuid4().hex[:12]
    with transaction(con):
        for o in outcomes:
            run_id = next_id(con, "sa_run_seq")
            con.execute("INSERT INTO sa_runs (run_id, batch_id, source, indicator, area, node, status, message, "
                        "first_period, last_period, model, transform, tet_before, tet_after, tet_t_before, "
                        "tet_t_after, report, spec, input_sha256) VALUES (" + ", ".join("?" * 19) + ")",
                        _run_row(run_id, batch, o))
            if o.result is None:
                continue
            s = o.result.series.copy()
            s.insert(0, "run_id", run_id)
            for i, col in enumerate(("source", "indicator", "area", "node")):
                s.insert(1 + i, col, o.key[i])
            f = o.result.forecast.copy()
            f.insert(0, "run_id", run_id)
            for name, frame in (("sa_series", s.replace([np.inf, -np.inf], np.nan)), ("sa_forecasts", f)):
                con.register("_iip_sa_rows", frame)   # registered by name: never a lookup of local variables
                try:
                    con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM _iip_sa_rows")
                finally:
                    con.unregister("_iip_sa_rows")
    return batch


def iter_summary(outcomes: list[Outcome]) -> Iterator[dict]:
    """One printable line per series: key, status, model, Tet window and t, message."""
    for o in outcomes:
        r = o.result
        yield {"series": key_name(o.key), "status": o.status,
               "model": f"{r.report['model']['arima']} {r.report['model']['transform']}" if r else "",
               "tet": f"{r.report['tet']['before_days']}/{r.report['tet']['after_days']}" if r else "",
               "t_after": r.report["tet"]["t_after"] if r else None, "message": o.message}


# ------------------------------------------------------------------------------------------- iip sa --all
@dataclass
class Plan:
    """What a run of ``iip sa --all`` has to do."""

    selection: str
    stored: int                                    # series in the store
    chosen: int                                    # series of the selection
    todo: list[tuple[Key, pd.DataFrame]] = field(default_factory=list)
    unchanged: int = 0                             # skipped: input unchanged since their latest run


def plan(con: duckdb.DuckDBPyConnection, *, selection: str = "release", options: dict | None = None,
         force: bool = False) -> Plan:
    """The series to adjust: the selection, less those whose input has not changed (unless ``force``)."""
    everything = load_series(con, selection="everything")
    chosen = everything if selection == "everything" else load_series(con, selection="release")
    done = {} if force else latest_inputs(con)
    options = options or {}
    todo = [(k, df) for k, df in chosen if done.get(k) != input_sha256(df, options)]
    return Plan(selection, len(everything), len(chosen), todo, len(chosen) - len(todo))


@dataclass
class RunSummary:
    batch: str
    outcomes: list[Outcome]
    commits: int
    stopped: bool


def run_all(connect: Callable[[], duckdb.DuckDBPyConnection], todo: list[tuple[Key, pd.DataFrame]], *,
            options: dict | None = None, workers: int | None = None, batch_size: int = 25,
            commit_every: float = 10.0, stop: threading.Event | None = None,
            on_done: Callable[[Outcome], None] | None = None) -> RunSummary:
    """Adjust ``todo`` across cores and commit the runs in batches (every ``batch_size`` series or
    ``commit_every`` seconds), each batch on a connection from ``connect()`` closed right after (a DuckDB
    store stays free for other processes in between). Once ``stop`` is set, the series running finish, are
    committed, and the run ends (``stopped``)."""
    stop = stop or threading.Event()
    batch = uuid.uuid4().hex[:12]
    pending: list[Outcome] = []
    outcomes: list[Outcome] = []
    commits = 0
    hook = int(os.environ.get(INTERRUPT_HOOK, "0") or 0)
    last = time.monotonic()

    def commit() -> None:
        nonlocal commits, last
        if pending:
            con = connect()
            try:
                save_outcomes(con, pending, batch=batch)
            finally:
                con.close()
            commits += 1
            outcomes.extend(pending)
            pending.clear()
            if hook and commits == hook:      # test hook: the named point "after batch N is committed"
                os.kill(os.getpid(), signal.SIGINT)
        last = time.monotonic()

    for o in iter_outcomes(todo, options=options, workers=workers, stop=stop):
        pending.append(o)
        if on_done:
            on_done(o)
        if len(pending) >= batch_size or time.monotonic() - last >= commit_every:
            commit()
    commit()
    return RunSummary(batch, outcomes, commits, stop.is_set() and len(outcomes) < len(todo))
