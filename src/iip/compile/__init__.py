"""Compile: store -> product x province x month quantities (relational, Ibis) -> indices (pure) -> store."""
from __future__ import annotations

import os
import time

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from iip.compile.engine import CompileResult, compile_indices
from iip.errors import IIPError
from iip.compile import sources
from iip.store import exclusive

__all__ = ["aggregate_reports", "compile_store", "compile_indices", "sources"]


def aggregate_reports(reports: ibis.Table, register: ibis.Table, products: ibis.Table) -> ibis.Table:
    """q(p, province, t): sums of produced, sold and closing stock over the enterprises of each province, from
    the current version of every report. Keys: ``product`` = position of the product code in code order,
    ``province`` = the province's number (code "01" -> 1), ``period``: small integers group and travel faster
    than strings. An Ibis expression: runs on DuckDB or Spark unchanged."""
    dim = products.select(products.product_code,
                          product=ibis.row_number().over(order_by=products.product_code).cast("int16"))
    ent = register.select(register.enterprise_id, province=register.province.cast("int16"))
    j = reports.join(ent, "enterprise_id").join(dim, "product_code")
    return j.group_by([j.product, j.province, j.period]).aggregate(
        produced=j.produced.sum(), sold=j.sold.sum(), closing_stock=j.closing_stock.sum())


PROVINCE_NUMBERS = [f"{i:02d}" for i in range(100)]   # province number -> code


def load_inputs(con: duckdb.DuckDBPyConnection, *, engine: str = "duckdb", reports: str | os.PathLike | None = None,
                spark_master: str | None = None) -> dict:
    """Everything the pure engine needs, read from the store and the reference package; the reports aggregated
    by ``engine`` (duckdb | spark) from the store or from the Parquet dataset ``reports`` (:mod:`.sources`).
    The quantities' keys come back as categoricals built from the integer keys (no string hashing)."""
    from iip import reference

    products = con.execute("SELECT product_code, vsic FROM products ORDER BY product_code").df()
    t = sources.aggregate(con, engine=engine, lake=reports, spark_master=spark_master)
    q = pd.DataFrame({
        "product_code": pd.Categorical.from_codes(t["product"].to_numpy(), categories=products["product_code"]),
        "province": pd.Categorical.from_codes(t["province"].to_numpy(), categories=PROVINCE_NUMBERS),
        "period": t["period"].dictionary_encode().to_pandas(),
        **{c: t[c].to_numpy() for c in ("produced", "sold", "closing_stock")}})
    provinces = reference.provinces()
    return {
        "q": q,
        "products": products,
        "weights": con.execute("SELECT kind, code, province, base_year, value FROM weights").to_arrow_table()
                      .to_pandas(strings_to_categorical=True),
        "tree": reference.vsic(),
        "region_of": dict(zip(provinces["code"], provinces["region_code"])),
        "merged_of": dict(zip(provinces["code"], provinces["code_2025"])),
    }


def compile_store(con: duckdb.DuckDBPyConnection, *, period_from: str | None = None, period_to: str | None = None,
                  reference_year: int | None = None, engine: str = "duckdb", reports: str | os.PathLike | None = None,
                  spark_master: str | None = None) -> tuple[CompileResult, dict]:
    """Compile from the store and replace the compiled months in ``indices`` (all months, or
    period_from..period_to) in one transaction. ``engine`` runs the microdata stage (duckdb | spark, on
    ``spark_master`` or $SPARK_REMOTE); ``reports``: a Parquet dataset partitioned by period to read the reports
    from instead of the store (:mod:`iip.compile.sources`). Returns the result and timings."""
    t0 = time.perf_counter()
    inputs = load_inputs(con, engine=engine, reports=reports, spark_master=spark_master)
    if inputs["q"].empty:
        raise IIPError("nothing to compile: ingest register, products, weights and reports first")
    if inputs["weights"].empty:
        raise IIPError("nothing to compile: no weights in the store (iip ingest weights FILE)")
    t1 = time.perf_counter()
    try:
        result = compile_indices(inputs.pop("q"), reference_year=reference_year, **inputs)
    except ValueError as exc:
        raise IIPError(f"cannot compile: {exc}") from None
    t2 = time.perf_counter()
    rows = write_indices(con, result, period_from=period_from, period_to=period_to, reference_year=reference_year)
    t3 = time.perf_counter()
    months = np.array([(period_from or "") <= p <= (period_to or "9999") for p in result.periods], dtype=bool)
    n = sum(int(np.isfinite(b.x).sum(axis=0)[months].sum()) for b in result.blocks)   # index rows now served
    return result, {"read": t1 - t0, "compute": t2 - t1, "write": t3 - t2, "rows": n, "cells": rows}


def _stored_series(con, series: pd.DataFrame) -> tuple[np.ndarray, pa.Table]:
    """Row of each series (indicator, area, node) in table ``index_series`` (-1: not stored) and that table.
    Matched on integer codes of the three labels, not on strings."""
    stored = con.execute("SELECT sid, indicator, area, node, parent_sid, total_sid, level_sid "
                         "FROM index_series").to_arrow_table()
    key_new = np.zeros(len(series), dtype=np.int64)
    key_old = np.zeros(stored.num_rows, dtype=np.int64)
    known = np.ones(stored.num_rows, dtype=bool)      # stored series whose labels all occur in ``series``
    for col in ("indicator", "area", "node"):
        labels = pd.Categorical(series[col])
        old = stored[col].combine_chunks().dictionary_encode()
        code_old = np.append(pd.Index(labels.categories).get_indexer(old.dictionary.to_pandas()), -1)[
            old.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
        known &= code_old >= 0
        key_new = key_new * len(labels.categories) + labels.codes
        key_old = key_old * len(labels.categories) + code_old
    key_old[~known] = -1 - np.flatnonzero(~known)     # distinct, never matched
    pos = pd.Index(key_old).get_indexer(key_new)      # unique keys: (indicator, area, node) is the table's key
    return pos, stored


def series_ids(con, series: pd.DataFrame, *, shared: bool = False) -> np.ndarray:
    """Stable series ids: existing (indicator, area, node) keep theirs, new ones are appended; parent, TOTAL
    and (``shared``) shared-levels series ids are set from ``series`` columns ``parent``/``total``/``same_as``
    (positions, -1 none), rewriting only the series whose links changed. Run inside the write transaction."""
    pos, stored = _stored_series(con, series)
    if (pos < 0).any():   # new series: append them (in key order), then look up again
        con.register("_series", series.loc[pos < 0, ["indicator", "area", "node"]].astype(str))
        con.execute("""INSERT INTO index_series (sid, indicator, area, node)
                       SELECT (SELECT coalesce(max(sid), -1) FROM index_series) + row_number() OVER (), n.*
                       FROM (SELECT DISTINCT indicator, area, node FROM _series ORDER BY ALL) n""")
        con.unregister("_series")
        pos, stored = _stored_series(con, series)
    ids = stored["sid"].to_numpy()[pos].astype(np.int32)
    if "parent" in series:
        want, changed = {}, np.zeros(len(ids), dtype=bool)
        for col, name in (("parent", "parent_sid"), ("total", "total_sid"), ("same_as", "level_sid")):
            at = series[col].to_numpy(dtype=np.int64) if col in series else np.full(len(ids), -1)
            if col == "same_as" and not shared:
                at = np.full(len(ids), -1)
            want[col] = np.where(at >= 0, ids[np.maximum(at, 0)], -1)
            have = stored[name].to_numpy(zero_copy_only=False)      # float with NaN where NULL
            changed |= want[col] != np.where(np.isnan(have), -1, have)[pos]
        if changed.any():
            links = pd.DataFrame({"sid": ids[changed]})
            for col, v in want.items():
                links[col] = pd.array(v[changed], dtype="Int32")
                links.loc[v[changed] < 0, col] = pd.NA
            con.register("_links", links)
            con.execute("""UPDATE index_series s SET parent_sid = l.parent, total_sid = l.total, level_sid = l.same_as
                           FROM _links l WHERE s.sid = l.sid""")
            con.unregister("_links")
    return ids


def unshare_levels(con) -> None:
    """Give every series that reads another series' cells (``level_sid``) its own copy of them, so that months
    can be rewritten series by series (partial compiles, ``write_tidy``). Run inside the write transaction."""
    con.execute("""INSERT INTO index_cells SELECT s.sid, c.pid, c."index", c.base_year, c.run_id
                   FROM index_series s JOIN index_cells c ON c.sid = s.level_sid""")
    con.execute("UPDATE index_series SET level_sid = NULL WHERE level_sid IS NOT NULL")


def period_ids(periods) -> np.ndarray:
    """Month ids of table ``index_periods``: pid = 12 * year + month - 1."""
    return np.array([int(p[:4]) * 12 + int(p[5:7]) - 1 for p in periods], dtype=np.int32)


def write_indices(con, result: CompileResult, *, period_from, period_to, reference_year) -> int:
    """Write the compiled levels and effective weights in one transaction: a full compile replaces every cell,
    a partial one (period_from..period_to) replaces those months only. Returns the rows written."""
    pid_of = period_ids(result.periods)
    lo = int(period_ids([period_from])[0]) if period_from else -1
    hi = int(period_ids([period_to])[0]) if period_to else 10**9
    with exclusive(con, "compile"):   # run and series ids: one compile writes at a time
        run_id = int(con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM compile_runs").fetchone()[0])
        full = period_from is None and period_to is None
        if not full:
            unshare_levels(con)
        sid_of = series_ids(con, result.series, shared=full)
        stored = con.execute("SELECT count(*) FROM index_series").fetchone()[0]
        if full and stored > len(sid_of):  # series left out of this compile lose their cells: no shared levels
            con.execute("UPDATE index_series SET level_sid = NULL WHERE level_sid IS NOT NULL "
                        "AND sid <> ALL (SELECT unnest($1::INTEGER[]))", [sid_of.tolist()])
        # a series repeating another's levels is stored once (full compiles)
        cells = result.level_table(shared=full, sid_of=sid_of, pid_of=pid_of)
        if not full:
            pid = cells["pid"].to_numpy()
            cells = cells.filter(pa.array((pid >= lo) & (pid <= hi)))
        weights = result.weight_table(sid_of)
        con.register("_cells", cells)
        con.register("_weights", weights)
        select = f'SELECT sid, pid, "index", base_year, {run_id}::BIGINT AS run_id FROM _cells'
        if full:
            con.execute("DELETE FROM index_weights")
            con.execute(f"CREATE OR REPLACE TABLE index_cells AS {select}")
        else:
            con.execute("DELETE FROM index_cells WHERE pid BETWEEN ? AND ?", [lo, hi])
            con.execute(f"INSERT INTO index_cells BY NAME {select}")
            con.execute("DELETE FROM index_weights WHERE run_id NOT IN (SELECT DISTINCT run_id FROM index_cells)")
        con.execute(f"INSERT INTO index_weights BY NAME SELECT sid, base_year, {run_id} AS run_id, e_parent, "
                    "e_total FROM _weights")
        for name in ("_cells", "_weights"):
            con.unregister(name)
        rows = cells.num_rows
        con.execute("INSERT INTO compile_runs (run_id, period_from, period_to, reference_year, rows) "
                    "VALUES (?, ?, ?, ?, ?)", [run_id, period_from, period_to, reference_year, rows])
    return rows


def write_tidy(con, df: pd.DataFrame, *, run_id: int = 0) -> int:
    """Store index levels given in the tidy shape (indicator, area, node, period, index): cells already stored
    for the same series and month are replaced. For loading indices computed elsewhere (and for tests); growth
    rates are derived as for compiled series, contributions need compiled weights and stay empty.
    Returns the rows written."""
    df = df.reset_index(drop=True)
    with exclusive(con, "compile"):
        unshare_levels(con)
        cells = pd.DataFrame({"sid": series_ids(con, df), "pid": period_ids(df["period"]),
                              "index": df["index"].astype(float), "run_id": run_id})
        con.register("_tidy", cells[cells["index"].notna()])
        con.execute("DELETE FROM index_cells c USING _tidy t WHERE c.sid = t.sid AND c.pid = t.pid")
        con.execute("INSERT INTO index_cells BY NAME SELECT * FROM _tidy")
        con.unregister("_tidy")
    return len(df)
