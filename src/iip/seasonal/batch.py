"""Adjust every stored series in parallel and keep every run (store I/O lives here, not in the methods).

Series come from the compiled ``indices`` table (source 'compiled') and, when the published-figures
stage has created it, the ``published_levels`` view/table. A series that cannot be adjusted is recorded
with status 'skipped' (bad series) or 'failed' (x13as error, spec kept) and the others continue.
"""
from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from iip.seasonal.adjust import SAResult, SeriesError, adjust
from iip.seasonal.x13 import X13Error
from iip.store import next_id, transaction

Key = tuple[str, str, str, str]   # source, indicator, area, node


@dataclass
class Outcome:
    key: Key
    status: str                       # ok | skipped | failed
    message: str = ""
    result: SAResult | None = None
    spec: str | None = None
    first: str | None = None
    last: str | None = None


def _relation_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
    return bool(con.execute(q, [name]).fetchone()[0])


def load_series(con: duckdb.DuckDBPyConnection) -> list[tuple[Key, pd.DataFrame]]:
    """Every stored monthly series: compiled indices, then published levels (skipped when absent)."""
    parts = ["SELECT 'compiled' AS source, indicator, area, node, period, \"index\" AS value FROM index_levels"]
    if _relation_exists(con, "published_levels"):
        parts.append("SELECT source, indicator, area, node, period, value FROM published_levels")
    frame = con.execute(" UNION ALL ".join(parts) + " ORDER BY 1, 2, 3, 4, 5").df()
    out = []
    for key, g in frame.groupby(["source", "indicator", "area", "node"], sort=True):
        out.append((tuple(str(k) for k in key), g[["period", "value"]].reset_index(drop=True)))
    return out


def key_name(key: Key) -> str:
    return "/".join(key)


def adjust_one(key: Key, df: pd.DataFrame, options: dict) -> Outcome:
    """Adjust one series; never raises for a bad series or an x13as failure (recorded in the outcome)."""
    name = key_name(key)
    first = str(df["period"].min()) if len(df) else None
    last = str(df["period"].max()) if len(df) else None
    try:
        res = adjust(df, name=name, **options)
    except SeriesError as exc:
        return Outcome(key, "skipped", str(exc), first=first, last=last)
    except X13Error as exc:
        return Outcome(key, "failed", str(exc), spec=exc.spec, first=first, last=last)
    return Outcome(key, "ok", "", result=res, spec=res.spec, first=first, last=last)


def adjust_many(items: list[tuple[Key, pd.DataFrame]], *, options: dict | None = None, workers: int | None = None,
                on_done: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Adjust the series over a process pool (``workers`` default = CPU count; 1 = in this process)."""
    options = options or {}
    workers = workers or os.cpu_count() or 1
    outcomes: list[Outcome] = []

    def done(o: Outcome) -> None:
        outcomes.append(o)
        if on_done:
            on_done(o)

    if workers == 1 or len(items) <= 1:
        for key, df in items:
            done(adjust_one(key, df, options))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(adjust_one, key, df, options) for key, df in items]
            for fut in as_completed(futures):
                done(fut.result())
    order = {key: i for i, (key, _) in enumerate(items)}
    return sorted(outcomes, key=lambda o: order[o.key])


def _run_row(run_id: int, batch: str, o: Outcome) -> list:
    r = o.result
    tet = r.report["tet"] if r else {}
    model = r.report["model"] if r else {}
    return [run_id, batch, *o.key, o.status, o.message or None, o.first, o.last, model.get("arima"),
            model.get("transform"), tet.get("before_days"), tet.get("after_days"), tet.get("t_before"),
            tet.get("t_after"), json.dumps(r.report, default=float) if r else None, o.spec]


def save_outcomes(con: duckdb.DuckDBPyConnection, outcomes: Iterable[Outcome]) -> str:
    """Write every outcome as a new run (never overwriting older ones), all or nothing; returns the batch id."""
    batch = uuid.uuid4().hex[:12]
    with transaction(con):
        for o in outcomes:
            run_id = next_id(con, "sa_run_seq")
            con.execute("INSERT INTO sa_runs (run_id, batch_id, source, indicator, area, node, status, message, "
                        "first_period, last_period, model, transform, tet_before, tet_after, tet_t_before, "
                        "tet_t_after, report, spec) VALUES (" + ", ".join("?" * 18) + ")", _run_row(run_id, batch, o))
            if o.result is None:
                continue
            s = o.result.series.copy()
            s.insert(0, "run_id", run_id)
            for i, col in enumerate(("source", "indicator", "area", "node")):
                s.insert(1 + i, col, o.key[i])
            s = s.replace([np.inf, -np.inf], np.nan)
            con.execute("INSERT INTO sa_series BY NAME SELECT * FROM s")
            f = o.result.forecast.copy()
            f.insert(0, "run_id", run_id)
            con.execute("INSERT INTO sa_forecasts BY NAME SELECT * FROM f")
    return batch


def iter_summary(outcomes: list[Outcome]) -> Iterator[dict]:
    """One printable line per series: key, status, model, Tet window and t, message."""
    for o in outcomes:
        r = o.result
        yield {"series": key_name(o.key), "status": o.status,
               "model": f"{r.report['model']['arima']} {r.report['model']['transform']}" if r else "",
               "tet": f"{r.report['tet']['before_days']}/{r.report['tet']['after_days']}" if r else "",
               "t_after": r.report["tet"]["t_after"] if r else None, "message": o.message}
