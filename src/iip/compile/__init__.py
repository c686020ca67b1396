"""Compile: store -> imputation of non-response -> product x province x month quantities (relational, Ibis) ->
indices and their coverage (pure) -> store.

``compile_store`` first imputes the non-response of every month (:func:`iip.quality.drivers.impute.impute_all`:
skipped when nothing was written since its last run); the quantities are then the reported lines plus the imputed
ones (``impute=False``: the reported lines only, the imputed values serving the coverage figures alone). A report
outside its enterprise's active months (register ``active_from`` .. ``active_to``) is left out.
"""
from __future__ import annotations

import functools
import os
import time

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from iip.compile.engine import CompileResult, compile_indices
from iip.compile import sources
from iip.errors import IIPError, NotFoundError, OptionError
from iip.quality.drivers.impute import OUT, impute_all
from iip.quality.imputation import Marker
from iip.reference.periods import month_numbers
from iip.store import exclusive, row, scalar, transaction
from iip.validation import LAYOUTS, QUANTITIES

__all__ = ["aggregate_reports", "compile_store", "compile_indices", "sources"]


def _keys(register: ibis.Table, products: ibis.Table) -> tuple[ibis.Table, ibis.Table]:
    """Products numbered in code order and enterprises with their province number."""
    dim = products.select(products.product_code,
                          product=ibis.row_number().over(order_by=products.product_code).cast("int16"))
    ent = register.select(register.enterprise_id, province=register.province.cast("int16"))
    return dim, ent


def aggregate_reports(reports: ibis.Table, register: ibis.Table, products: ibis.Table, *,
                      reported_only: bool = False) -> ibis.Table:
    """q(p, province, t): sums of produced, sold and closing stock over the enterprises of each province, from
    the current version of every report line: reported and imputed ones (``reported_only``: status R only; the
    reports left out are subtracted afterwards, :func:`aggregate_adjustments`). Keys: ``product`` = position of
    the product code in code order, ``province`` = the province's number (code "01" -> 1), ``period``: small
    integers group and travel faster than strings. An Ibis expression: runs on DuckDB or Spark unchanged."""
    dim, ent = _keys(register, products)
    r = reports.filter(reports.status == Marker.RESPONSE.value) if reported_only else reports
    j = r.join(ent, "enterprise_id").join(dim, "product_code")
    return j.group_by([j.product, j.province, j.period]).aggregate(**{q: j[q].sum() for q in QUANTITIES})


def aggregate_adjustments(nonresponse: ibis.Table, register: ibis.Table, products: ibis.Table) -> ibis.Table:
    """Per product x province x month, from the compile's non-response table: the imputed quantities
    (``i_<quantity>``) and how many lines were imputed and could not be (``n_imputed``, ``n_missing``), and the
    quantities of the reports left out (``x_<quantity>``: outside their enterprise's active months). Same keys
    as :func:`aggregate_reports`."""
    dim, ent = _keys(register, products)
    j = nonresponse.join(ent, "enterprise_id").join(dim, "product_code")
    out = j.marker == OUT
    done = j.marker.notnull() & ~out
    return j.group_by([j.product, j.province, j.period]).aggregate(
        **{f"i_{q}": j[q].sum(where=done) for q in QUANTITIES}, **{f"x_{q}": j[q].sum(where=out) for q in QUANTITIES},
        n_imputed=done.cast("int64").sum(), n_missing=j.marker.isnull().cast("int64").sum())


NONRESPONSE_SCHEMA = {"enterprise_id": "string", "period": "string", "product_code": "string", "marker": "string",
                      **{q: "float64" for q in QUANTITIES}}


@functools.cache
def adjustments_sql(nonresponse: str) -> str:
    """:func:`aggregate_adjustments` as DuckDB SQL over table (or registered frame) ``nonresponse``."""
    register, products = (ibis.table(LAYOUTS[k].ibis_schema(), name=k) for k in ("register", "products"))
    nr = ibis.table(NONRESPONSE_SCHEMA, name=nonresponse)
    return str(ibis.to_sql(aggregate_adjustments(nr, register, products), dialect="duckdb"))


PROVINCE_NUMBERS = [f"{i:02d}" for i in range(100)]   # province number -> code


def _frame(t: pa.Table, products: pd.DataFrame) -> pd.DataFrame:
    """The keys of an aggregate as categoricals built from its integer keys (no string hashing)."""
    return pd.DataFrame({
        "product_code": pd.Categorical.from_codes(t["product"].to_numpy(), categories=products["product_code"]),
        "province": pd.Categorical.from_codes(t["province"].to_numpy(), categories=PROVINCE_NUMBERS),
        "period": t["period"].dictionary_encode().to_pandas()})


def _adjustments(t: pa.Table, products: pd.DataFrame, impute: bool) -> pd.DataFrame:
    """The rows the engine adds to the quantities of :func:`aggregate_reports` (``compile_indices(adjustments=
    ...)``): minus the reports left out (the imputed lines are in the reports already, or, without ``impute``,
    not used); what they change in the produced quantity that counts as reported (minus the left-out and the
    imputed) and imputed; the imputed lines; the missing cells (``impute`` only)."""
    a = _frame(t, products)
    col = {c: np.nan_to_num(t[c].to_numpy(zero_copy_only=False).astype(float)) for c in t.column_names
           if c.startswith(("i_", "x_", "n_"))}
    for q in QUANTITIES:
        a[q] = -col[f"x_{q}"]
    a["reported"] = -col["x_produced"] - (col["i_produced"] if impute else 0.0)
    a["imputed"] = col["i_produced"]
    a["n_imputed"] = col["n_imputed"]
    a["missing"] = (col["n_missing"] > 0) if impute else False
    return a


def load_inputs(con: duckdb.DuckDBPyConnection, *, nonresponse: str | None = None, impute: bool = True,
                engine: str = "duckdb", reports: str | os.PathLike | None = None, spark_master: str | None = None
                ) -> dict:
    """Everything the pure engine needs, read from the store and the reference package; the reports aggregated
    by ``engine`` (duckdb | spark) from the store or from the Parquet dataset ``reports`` (:mod:`.sources`).
    The quantities' keys come back as categoricals built from the integer keys (no string hashing).
    ``nonresponse``: the table (or registered frame) of the expected lines without a report and the reports
    left out (:func:`iip.quality.drivers.impute.impute_all`): read as the engine's ``adjustments`` (coverage)."""
    from iip import reference

    products = con.execute("SELECT product_code, vsic FROM products ORDER BY product_code").df()
    t = sources.aggregate(con, engine=engine, lake=reports, spark_master=spark_master,
                          reported_only=not impute and reports is None)
    q = _frame(t, products)
    for c in QUANTITIES:
        q[c] = t[c].to_numpy(zero_copy_only=False)
    adjustments = None
    if nonresponse is not None:
        adjustments = _adjustments(con.sql(adjustments_sql(nonresponse)).to_arrow_table(), products, impute)
    provinces = reference.provinces()
    return {
        "q": q,
        "adjustments": adjustments,
        "products": products,
        "weights": con.execute("SELECT kind, code, province, base_year, value FROM weights").to_arrow_table()
                      .to_pandas(strings_to_categorical=True),
        "tree": reference.vsic(),
        "region_of": dict(zip(provinces["code"], provinces["region_code"])),
        "merged_of": dict(zip(provinces["code"], provinces["code_2025"])),
    }


def _check_months(con: duckdb.DuckDBPyConnection, period_from: str | None, period_to: str | None,
                  reference_year: int | None) -> None:
    """The options of a compile against the store: a range in order, within the months reported, a reference
    year with a full year of data (each an OptionError naming the option and what it accepts)."""
    if period_from and period_to and period_from > period_to:
        raise OptionError(f"--from {period_from} is after --to {period_to}: give --from <= --to", option="--from")
    if not (period_from or period_to or reference_year is not None):
        return
    first, last = row(con, "SELECT min(period), max(period) FROM reports WHERE status = 'R'", width=2)
    if first is None:
        raise NotFoundError("nothing to compile: ingest register, products, weights and reports first")
    for name, p in (("--from", period_from), ("--to", period_to)):
        if p and not first <= p <= last:
            raise OptionError(f"{name} {p} is outside the months reported ({first} to {last})", option=name)
    if reference_year is not None:
        full = [y for (y,) in con.execute(
            "SELECT CAST(left(period, 4) AS INTEGER) y FROM reports WHERE status = 'R' GROUP BY 1 "
            "HAVING count(DISTINCT period) = 12 ORDER BY 1").fetchall()]
        if reference_year not in full:
            have = f"{full[0]}-{full[-1]}" if full else "none"
            raise OptionError(f"--reference-year {reference_year} is not a year with all 12 months reported "
                              f"(years with 12 months: {have})", option="--reference-year")


def compile_store(con: duckdb.DuckDBPyConnection, *, period_from: str | None = None, period_to: str | None = None,
                  reference_year: int | None = None, impute: bool = True, user: str | None = None,
                  engine: str = "duckdb", reports: str | os.PathLike | None = None, spark_master: str | None = None
                  ) -> tuple[CompileResult, dict]:
    """Impute non-response (unless ``impute`` is False), compile from the store and replace the compiled months
    (all months, or period_from..period_to) with their coverage in one transaction. ``engine`` runs the
    microdata stage (duckdb | spark, on ``spark_master`` or $SPARK_REMOTE); ``reports``: a Parquet dataset
    partitioned by period to read the reports from instead of the store (:mod:`iip.compile.sources`; its
    reports are compiled as reported: the imputation works on the store's report history). Returns the result
    and timings (imputation, read, compute, write) with the imputation's result under ``imputation``."""
    t0 = time.perf_counter()
    sources.check_engine(engine, spark_master)
    estimates = None
    if reports is None:
        _check_months(con, period_from, period_to, reference_year)
        imputation, estimates = impute_all(con, write_back=impute, user=user)
    else:
        imputation = None
    t_imp = time.perf_counter()
    if estimates is not None:
        con.register("_iip_nonresponse", estimates)
    try:
        nonresponse = None if reports is not None else "_iip_nonresponse" if estimates is not None else "nonresponse"
        inputs = load_inputs(con, nonresponse=nonresponse, impute=impute, engine=engine, reports=reports,
                             spark_master=spark_master)
    finally:
        if estimates is not None:
            con.unregister("_iip_nonresponse")
    if inputs["q"].empty:
        raise NotFoundError("nothing to compile: ingest register, products, weights and reports first")
    if inputs["weights"].empty:
        raise NotFoundError("nothing to compile: no weights in the store (iip ingest weights FILE)")
    t1 = time.perf_counter()
    try:
        result = compile_indices(inputs.pop("q"), reference_year=reference_year, impute=impute, **inputs)
    except ValueError as exc:
        raise IIPError(f"cannot compile: {exc}") from None
    t2 = time.perf_counter()
    rows = write_indices(con, result, period_from=period_from, period_to=period_to, reference_year=reference_year)
    t3 = time.perf_counter()
    months = np.array([(period_from or "") <= p <= (period_to or "9999") for p in result.periods], dtype=bool)
    n = sum(int(np.isfinite(b.x).sum(axis=0)[months].sum()) for b in result.blocks)   # index rows now served
    return result, {"impute": t_imp - t0, "read": t1 - t_imp, "compute": t2 - t1, "write": t3 - t2, "rows": n,
                    "cells": rows, "imputation": imputation}


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
    return month_numbers(list(periods)).astype(np.int32)


def write_indices(con, result: CompileResult, *, period_from, period_to, reference_year) -> int:
    """Write the compiled levels and effective weights in one transaction: a full compile replaces every cell,
    a partial one (period_from..period_to) replaces those months only. Returns the rows written."""
    pid_of = period_ids(result.periods)
    lo = int(period_ids([period_from])[0]) if period_from else -1
    hi = int(period_ids([period_to])[0]) if period_to else 10**9
    with exclusive(con, "compile"):   # run and series ids: one compile writes at a time
        run_id = int(scalar(con, "SELECT coalesce(max(run_id), 0) + 1 FROM compile_runs"))
        full = period_from is None and period_to is None
        if not full:
            unshare_levels(con)
        sid_of = series_ids(con, result.series, shared=full)
        stored = scalar(con, "SELECT count(*) FROM index_series")
        if full and stored > len(sid_of):  # series left out of this compile lose their cells: no shared levels
            con.execute("UPDATE index_series SET level_sid = NULL WHERE level_sid IS NOT NULL "
                        "AND sid <> ALL (SELECT unnest($1::INTEGER[]))", [sid_of.tolist()])
        # a series repeating another's levels is stored once (full compiles)
        cells = result.level_table(shared=full, sid_of=sid_of, pid_of=pid_of)
        if not full:
            pid = cells["pid"].to_numpy()
            cells = cells.filter(pa.array((pid >= lo) & (pid <= hi)))
        weights = result.weight_table(sid_of)
        coverage = result.coverage_table(sid_of, pid_of)
        if not full:
            cpid = coverage["pid"].to_numpy()
            coverage = coverage.filter(pa.array((cpid >= lo) & (cpid <= hi)))
        con.register("_cells", cells)
        con.register("_weights", weights)
        con.register("_coverage", coverage)
        select = f'SELECT sid, pid, "index", base_year, {run_id}::BIGINT AS run_id FROM _cells'
        cov = f"SELECT sid, pid, reported, imputed, {run_id}::BIGINT AS run_id FROM _coverage"
        if full:
            con.execute("DELETE FROM index_weights")
            con.execute(f"CREATE OR REPLACE TABLE index_cells AS {select}")
            con.execute(f"CREATE OR REPLACE TABLE index_coverage AS {cov}")
        else:
            con.execute("DELETE FROM index_cells WHERE pid BETWEEN ? AND ?", [lo, hi])
            con.execute(f"INSERT INTO index_cells BY NAME {select}")
            con.execute("DELETE FROM index_weights WHERE run_id NOT IN (SELECT DISTINCT run_id FROM index_cells)")
            con.execute("DELETE FROM index_coverage WHERE pid BETWEEN ? AND ?", [lo, hi])
            con.execute(f"INSERT INTO index_coverage BY NAME {cov}")
        con.execute(f"INSERT INTO index_weights BY NAME SELECT sid, base_year, {run_id} AS run_id, e_parent, "
                    "e_total FROM _weights")
        for name in ("_cells", "_weights", "_coverage"):
            con.unregister(name)
        rows = cells.num_rows
        con.execute("INSERT INTO compile_runs (run_id, period_from, period_to, reference_year, rows, coverage) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [run_id, period_from, period_to, reference_year, rows,
                                                  result.has_coverage])
    return rows


def write_tidy(con, df: pd.DataFrame, *, run_id: int = 0) -> int:
    """Store index levels given in the tidy shape (indicator, area, node, period, index): cells already stored
    for the same series and month are replaced. For loading indices computed elsewhere (and for tests); growth
    rates are derived as for compiled series, contributions need compiled weights and stay empty.
    Returns the rows written."""
    df = df.reset_index(drop=True)
    with transaction(con, name="compile"):
        unshare_levels(con)
        cells = pd.DataFrame({"sid": series_ids(con, df), "pid": period_ids(df["period"]),
                              "index": df["index"].astype(float), "run_id": run_id})
        con.register("_tidy", cells[cells["index"].notna()])
        con.execute("DELETE FROM index_cells c USING _tidy t WHERE c.sid = t.sid AND c.pid = t.pid")
        con.execute("INSERT INTO index_cells BY NAME SELECT * FROM _tidy")
        con.unregister("_tidy")
    return len(df)
