"""Ingest the four microdata inputs (register, products, weights, reports) into the store.

File -> staged table (every value as text, with its spreadsheet row number) -> validation rules
(:mod:`iip.validation`, relational, Ibis) -> all-or-nothing versioned upsert. A record identical to the current
version is left alone; a changed record becomes the new current version and the old one moves to
``<table>_history``. Ingesting the same file twice therefore changes nothing but the audit trail (``loads``).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pyarrow as pa

from iip import validation as v
from iip.errors import Problem, ValidationError, errors_only, warnings_only
from iip.ingest.files import Input, problem_where, read_input
from iip.reference.periods import current_month
from iip.store import (next_load_id, record_load, scalar, sha256, transaction, versioned_upsert,
                       versioned_upsert_loads)

KINDS = tuple(v.LAYOUTS)
#: The Arrow types of a staged column DuckDB reads as a number that is cast as it is (DOUBLE, FLOAT, BIGINT,
#: INTEGER, SMALLINT, TINYINT, UBIGINT, UINTEGER); any other column is read as text and cast
#: (:meth:`iip.validation.Layout.typed_select`).
_NUMERIC_TYPES = {pa.float64(), pa.float32(), pa.int64(), pa.int32(), pa.int16(), pa.int8(), pa.uint64(), pa.uint32()}


@dataclass
class LoadResult:
    """What one ingest did: rows read, inserted and unchanged, its load id, warnings (first ones and total), notes."""
    kind: str
    file: str
    load_id: int | None
    rows: int
    inserted: int
    unchanged: int
    warnings: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings_total: int = 0


@dataclass
class Findings:
    """What validation found: the problems listed (the first ones of each rule) and how many there are in all."""

    problems: list[Problem]
    errors: int = 0
    warnings: int = 0

    def raise_errors(self, file: str) -> None:
        """A ValidationError with the listed errors and the total count, if there is any error."""
        if self.errors:
            raise ValidationError(errors_only(self.problems), file=file, total=self.errors)


def read_table(path: Path, kind: str = "reports", *, max_rows: int | None = None) -> pa.Table:
    """Read an input file of ``kind`` (:func:`iip.ingest.files.read_input`) as an Arrow table with ``_row``."""
    return read_input(Path(path), v.layout(kind), max_rows=max_rows).table


def read_frame(path: Path, kind: str = "reports") -> pd.DataFrame:
    """:func:`read_table` as a pandas DataFrame."""
    return read_table(Path(path), kind).to_pandas()


def reference_codes(backend, kind: str) -> dict:
    """The code lists a file of ``kind`` is checked against: package reference data (lists) and what the
    store holds (Ibis columns, so the check is a semi-join rather than a long literal list)."""
    from iip import reference

    ref = {"provinces": reference.provinces()["code"].tolist(),
           "classes": reference.vsic().query("level == 'class'")["code"].tolist()}
    if kind in ("weights", "reports", "submission"):
        ref["products"] = backend.table("products").product_code
    if kind in ("reports", "employment", "submission"):
        ref["enterprises"] = backend.table("register").enterprise_id
    return ref


def validate(con: duckdb.DuckDBPyConnection, df: pd.DataFrame | pa.Table, kind: str, *, file: str,
             kept: bool = False) -> Findings:
    """All problems of a staged frame of layout ``kind`` (a table of :data:`iip.validation.LAYOUTS` or
    ``submission``): missing columns, required, months, numbers, codes, duplicates, warnings; with totals.
    ``kept``: ``con`` is kept between inputs (the service's submission checker), so an input of at most
    :data:`iip.validation.LIMIT` rows is checked by the rule query prepared on it
    (:meth:`iip.validation.Check.run_kept`)."""
    layout = v.layout(kind)
    columns = list(df.column_names if isinstance(df, pa.Table) else df.columns)
    missing = v.missing_columns([c for c in columns if not c.startswith("_")], layout, file=file)
    if missing:
        return Findings(missing, errors=len(missing))
    staged = with_columns(df, layout.columns)
    check = rule_check(con, kind, staged.schema)
    if kept and kind != "reports" and staged.num_rows <= check.limit:
        problems, totals = check.run_kept(con, staged, file=file)
        return Findings(problems, totals["error"], totals["warning"])
    name = f"_stage_{kind}"
    con.register(name, staged)
    try:
        problems, totals = check.run(con, staged, file=file)
        if kind == "reports" and not totals["error"]:
            extra, n_extra = report_warnings(con, name, file=file)
            problems += extra
            totals["warning"] += n_extra
    finally:
        con.unregister(name)
        if kept:                    # the registration made its prepared rule query plan again at every run
            v.forget_kept(con)
    return Findings(problems, totals["error"], totals["warning"])


#: Compiled rule checks by (kind, staged schema, current month): the rules of a layout compiled once into one
#: query (:func:`iip.validation.compile_check`); the current month is part of the key (the "future" rule).
_CHECKS: dict[tuple, v.Check] = {}


def rule_check(con: duckdb.DuckDBPyConnection, kind: str, schema: pa.Schema) -> v.Check:
    """Every rule of layout ``kind`` (generic, code lists, unique key) as one query over the staged table
    ``_stage_<kind>`` of ``schema`` (not yet registered: the code lists are read from ``con``): compiled with Ibis on
    first use, then reused by every input of that shape."""
    key = (kind, tuple((f.name, str(f.type)) for f in schema), current_month())
    got = _CHECKS.get(key)
    if got is not None:
        return got
    with v.COMPILING:           # concurrent first inputs wait for one compile
        got = _CHECKS.get(key)
        if got is None:
            layout = v.layout(kind)
            backend = ibis.duckdb.from_connection(con)
            rules = v.generic_rules(layout) + v.domain_rules(kind, reference_codes(backend, kind))
            staged = ibis.table(ibis.Schema.from_pyarrow(schema), name=f"_stage_{kind}")
            got = v.compile_check(staged, rules, layout)
            if len(_CHECKS) > 64:
                _CHECKS.clear()
            _CHECKS[key] = got
    return got


#: Rows per record batch of a staged table: DuckDB scans an Arrow table one batch per thread, so a file read as one
#: chunk (a Parquet row group, a CSV) is cut into batches (no copy) that the store's threads scan in parallel.
STAGE_BATCH = 122_880


def with_columns(df, columns) -> pa.Table:
    """``_row`` (when present) and ``columns`` of a pandas or Arrow table as Arrow, in batches of at most
    :data:`STAGE_BATCH` rows; optional columns that are absent are added empty."""
    t = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
    for c in columns:
        if c not in t.column_names:
            t = t.append_column(c, pa.nulls(t.num_rows, pa.string()))
    t = t.select([c for c in ("_row",) if c in t.column_names] + list(columns))
    return pa.Table.from_batches(t.to_batches(max_chunksize=STAGE_BATCH), t.schema)


def report_warnings(con: duckdb.DuckDBPyConnection, staged: str, *, file: str, limit: int = 50
                    ) -> tuple[list[Problem], int]:
    """Warnings of a reports file: a product whose class lies outside the enterprise's division (its industry
    tree), and a month outside the enterprise's active months (register ``active_from`` .. ``active_to``: the
    compile leaves such a report out). Returns the first ``limit`` of each and their total. Looked for first on
    the file's (enterprise, product) pairs (:func:`_pairs_warn`: tens of thousands of groups where the rows are
    millions); the rows are joined to the register only when a pair warns."""
    if not _pairs_warn(con, staged):
        return [], 0
    firm, product, month = (v.stripped_sql(f"s.{c}") for c in ("enterprise_id", "product_code", "period"))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE _iip_flagged AS
        SELECT s._row, {product} AS product, {month} AS period, p.vsic AS product_class,
               r.vsic AS class, r.active_from, r.active_to,
               coalesce(left(p.vsic, 2) <> left(r.vsic, 2), false) AS tree,
               coalesce({month} < r.active_from OR {month} > r.active_to, false) AS inactive
        FROM {staged} s JOIN register r ON r.enterprise_id = {firm}
        LEFT JOIN products p ON p.product_code = {product}
        WHERE coalesce(left(p.vsic, 2) <> left(r.vsic, 2), false)
           OR coalesce({month} < r.active_from OR {month} > r.active_to, false)""")
    try:
        total = int(scalar(con, "SELECT count(*) FILTER (WHERE tree) + count(*) FILTER (WHERE inactive) "
                                "FROM _iip_flagged") or 0)
        tree = con.execute(f"SELECT _row, product, product_class, class FROM _iip_flagged WHERE tree "
                           f"ORDER BY _row LIMIT {limit}").fetchall()
        inactive = con.execute(f"SELECT _row, period, active_from, active_to FROM _iip_flagged WHERE inactive "
                               f"ORDER BY _row LIMIT {limit}").fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _iip_flagged")
    out = [Problem(f"product {r[1]} (class {r[2]}) is outside the enterprise's industry (class {r[3]})", file=file,
                   row=int(r[0]), field="product_code", rule="industry_tree", severity="warning") for r in tree]
    out += [Problem(f"{r[1]} is outside the enterprise's active months ({r[2] or '...'} to {r[3] or '...'}): "
                    "the compile leaves it out", file=file, row=int(r[0]), field="period", rule="inactive",
                    severity="warning") for r in inactive]
    return sorted(out, key=lambda p: p.row or 0), total


def _pairs_warn(con: duckdb.DuckDBPyConnection, staged: str) -> bool:
    """Whether some report of ``staged`` warns (:func:`report_warnings`), judged on its (enterprise, product)
    pairs: a pair's rows share the enterprise's and the product's class, and some row of the pair lies outside
    the active months exactly when its first or last month does."""
    firm, product, month = (v.stripped_sql(c) for c in ("enterprise_id", "product_code", "period"))
    pairs = f"""SELECT {firm} AS enterprise, {product} AS product, min({month}) AS first, max({month}) AS last
                FROM {staged} GROUP BY ALL"""
    return bool(scalar(con, f"""SELECT count(*) FROM ({pairs}) g JOIN register r ON r.enterprise_id = g.enterprise
        LEFT JOIN products p ON p.product_code = g.product
        WHERE left(p.vsic, 2) <> left(r.vsic, 2) OR g.first < r.active_from OR g.last > r.active_to"""))


def upsert(con: duckdb.DuckDBPyConnection, df: pd.DataFrame | pa.Table, kind: str, load_id: int) -> tuple[int, int]:
    """Versioned upsert of validated rows of layout ``kind`` (text or typed); a table with a status column gets
    status R (reported), so a report equal to an imputed value becomes a new version. Returns (inserted,
    unchanged). Must run inside a transaction."""
    layout = v.LAYOUTS[kind]
    with _typed_rows(con, df, layout) as rows:
        inserted = versioned_upsert(con, kind, rows, key=layout.key, compare=_compared(layout), load_id=load_id)
    return inserted, _len(df) - inserted


def upsert_loads(con: duckdb.DuckDBPyConnection, df: pd.DataFrame | pa.Table, kind: str) -> dict[int, int]:
    """:func:`upsert` of several loads at once: each row carries its ``load_id``. Returns the rows written by
    load id. Must run inside a transaction."""
    layout = v.LAYOUTS[kind]
    with _typed_rows(con, df, layout, keep=("load_id",)) as rows:
        return versioned_upsert_loads(con, kind, rows, key=layout.key, compare=_compared(layout))


def _compared(layout: v.Layout) -> list[str]:
    """The columns whose change makes a new version (with the status, where there is one)."""
    return [c for c in layout.columns if c not in layout.key] + (["status"] if layout.status else [])


@contextmanager
def _typed_rows(con: duckdb.DuckDBPyConnection, df: pd.DataFrame | pa.Table, layout: v.Layout, *,
                keep: tuple[str, ...] = ()) -> Iterator[str]:
    """A query of the rows typed as stored (status R where the table has a status), and ``keep``: read straight
    from ``df`` (registered as ``_incoming`` while the block runs), not copied into a temp table first. Text is
    stripped of the whitespace the rules strip (:func:`iip.validation.stripped_text`), so a code is stored as the
    rules read it (a tab-padded enterprise id joins the register)."""
    t = v.stripped_text(with_columns(df, layout.columns))
    if keep:
        src = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df[list(keep)], preserve_index=False)
        for c in keep:
            t = t.append_column(c, src.column(c))
    typed = {f.name for f in t.schema if f.name in layout.columns and
             (f.type.value_type if pa.types.is_dictionary(f.type) else f.type) in _NUMERIC_TYPES}
    con.register("_incoming", t)
    try:
        status = ", 'R' AS status" if layout.status else ""
        yield f"(SELECT *{status} FROM ({layout.typed_select('_incoming', typed=typed, keep=keep)}))"
    finally:
        con.unregister("_incoming")


def _len(df) -> int:
    return df.num_rows if isinstance(df, pa.Table) else len(df)


def ingest_file(con: duckdb.DuckDBPyConnection, kind: str, path: str | Path, *, user: str | None = None
                ) -> LoadResult:
    """Validate ``path`` as a ``kind`` file and write it all-or-nothing. Raises ValidationError on any error
    (the first problems of each rule and the total count)."""
    if kind not in KINDS:
        raise ValidationError.one(f"unknown input kind {kind!r}: one of {', '.join(KINDS)}", file=str(path),
                                  rule="kind")
    path = Path(path)
    got: Input = read_input(path, v.LAYOUTS[kind])
    df = got.table
    found = validate(con, df, kind, file=str(path))
    found.problems = [problem_where(p, got) for p in found.problems]
    found.raise_errors(str(path))
    warnings = warnings_only(found.problems)
    with transaction(con, name="ingest"):
        load_id = next_load_id(con)
        inserted, unchanged = upsert(con, df, kind, load_id)
        record_load(con, load_id=load_id, kind=kind, file=str(path), sha256=sha256(path), rows=_len(df),
                    inserted=inserted, unchanged=unchanged, warnings=found.warnings, user=user)
    return LoadResult(kind, str(path), load_id, _len(df), inserted, unchanged, warnings, got.notes, found.warnings)
