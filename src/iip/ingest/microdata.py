"""Ingest the four microdata inputs (register, products, weights, reports) into the store.

File -> staged table (every value as text, with its spreadsheet row number) -> validation rules
(:mod:`iip.validation`, relational, Ibis) -> all-or-nothing versioned upsert. A record identical to the current
version is left alone; a changed record becomes the new current version and the old one moves to
``<table>_history``. Ingesting the same file twice therefore changes nothing but the audit trail (``loads``).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from iip import validation as v
from iip.errors import Problem, ValidationError, errors_only, warnings_only
from iip.store import next_load_id, record_load, sha256, transaction, versioned_upsert

KINDS = tuple(v.LAYOUTS)
_NUMERIC_TYPES = {"DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER"}


@dataclass
class LoadResult:
    kind: str
    file: str
    load_id: int | None
    rows: int
    inserted: int
    unchanged: int
    warnings: list[Problem] = field(default_factory=list)



def read_table(path: Path) -> pa.Table:
    """Read CSV (UTF-8), XLSX (first sheet) or Parquet by extension into an Arrow table (CSV and XLSX values as
    text) with a leading column ``_row``: the row number a spreadsheet shows (header = 1) or, for Parquet, the
    1-based record number."""
    ext = path.suffix.lower()
    if not path.exists():
        raise ValidationError.one("file not found", file=str(path), rule="file")
    if ext not in (".csv", ".xlsx", ".xlsm", ".parquet"):
        raise ValidationError.one(f"unsupported file type {ext!r}: use .csv, .xlsx or .parquet", file=str(path),
                                  rule="file")
    try:
        if ext == ".csv":
            table, first = _read_csv(path), 2
        elif ext in (".xlsx", ".xlsm"):
            df = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
            table, first = pa.Table.from_pandas(df, preserve_index=False), 2
        else:
            table, first = pq.read_table(path), 1
    except Exception as exc:  # noqa: BLE001 - any reader failure (bad UTF-8, corrupt zip, bad parquet) is bad input
        raise ValidationError.one(f"cannot read the file as {ext}: {type(exc).__name__}: {exc}", file=str(path),
                                  rule="file") from None
    table = table.rename_columns([str(c).strip().lower() for c in table.column_names])
    rows = pa.array(np.arange(first, first + table.num_rows, dtype=np.int64))
    return table.add_column(0, "_row", rows)


def read_frame(path: Path) -> pd.DataFrame:
    """:func:`read_table` as a pandas DataFrame."""
    return read_table(Path(path)).to_pandas()


def _read_csv(path: Path) -> pa.Table:
    """Every column as text; an empty cell is an empty string (checked by the rules, not guessed)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        header = next(csv.reader(f), [])
    if not header:
        raise ValueError("the file is empty (no header row)")
    return pacsv.read_csv(path, read_options=pacsv.ReadOptions(encoding="utf8", skip_rows=1, column_names=header),
                          convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                                               strings_can_be_null=False))


def reference_codes(backend, kind: str) -> dict:
    """The code lists a file of ``kind`` is checked against: package reference data (lists) and what the
    store holds (Ibis columns, so the check is a semi-join rather than a long literal list)."""
    from iip import reference

    ref = {"provinces": reference.provinces()["code"].tolist(),
           "classes": reference.vsic().query("level == 'class'")["code"].tolist()}
    if kind in ("weights", "reports"):
        ref["products"] = backend.table("products").product_code
    if kind in ("reports", "employment"):
        ref["enterprises"] = backend.table("register").enterprise_id
    return ref


def validate(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, kind: str, *, file: str) -> list[Problem]:
    """All problems of a staged frame: missing columns, required, numeric, domain, duplicates, warnings."""
    layout = v.LAYOUTS[kind]
    columns = list(df.column_names if isinstance(df, pa.Table) else df.columns)
    problems = v.missing_columns([c for c in columns if c != "_row"], layout, file=file)
    if problems:
        return problems
    staged = with_columns(df, layout.columns)
    name = f"_stage_{kind}"
    con.register(name, staged)
    try:
        backend = ibis.duckdb.from_connection(con)
        t = backend.table(name)
        rules = v.generic_rules(layout) + v.domain_rules(kind, reference_codes(backend, kind))
        problems = v.check(t, rules, file=file) + v.duplicate_rows(t, layout, file=file)
        problems.sort(key=lambda p: (not p.is_error, p.row or 0))
        if kind == "reports" and not errors_only(problems):
            problems += industry_tree_warnings(con, name, file=file)
    finally:
        con.unregister(name)
    return problems


def with_columns(df, columns) -> pa.Table:
    """``_row`` (when present) and ``columns`` of a pandas or Arrow table as Arrow; optional columns that are
    absent are added empty."""
    t = df if isinstance(df, pa.Table) else pa.Table.from_pandas(df, preserve_index=False)
    for c in columns:
        if c not in t.column_names:
            t = t.append_column(c, pa.nulls(t.num_rows, pa.string()))
    return t.select([c for c in ("_row",) if c in t.column_names] + list(columns))


def industry_tree_warnings(con: duckdb.DuckDBPyConnection, staged: str, *, file: str, limit: int = 50
                           ) -> list[Problem]:
    """Warn where a reported product's class lies outside the enterprise's division (its industry tree)."""
    rows = con.execute(f"""
        SELECT s._row, s.product_code, p.vsic, r.vsic FROM {staged} s
        JOIN products p ON p.product_code = trim(s.product_code)
        JOIN register r ON r.enterprise_id = trim(s.enterprise_id)
        WHERE left(p.vsic, 2) <> left(r.vsic, 2) ORDER BY s._row LIMIT {limit}""").fetchall()
    return [Problem(f"product {r[1]} (class {r[2]}) is outside the enterprise's industry (class {r[3]})", file=file,
                    row=int(r[0]), field="product_code", rule="industry_tree", severity="warning") for r in rows]


def upsert(con: duckdb.DuckDBPyConnection, df: pd.DataFrame | pa.Table, kind: str, load_id: int) -> tuple[int, int]:
    """Versioned upsert of validated rows of layout ``kind`` (text or typed); a table with a status column gets
    status R (reported), so a report equal to an imputed value becomes a new version. Returns (inserted,
    unchanged). Must run inside a transaction."""
    layout = v.LAYOUTS[kind]
    con.register("_incoming", with_columns(df, layout.columns))
    try:
        types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE _incoming)").fetchall())
        typed = {c for c, t in types.items() if t in _NUMERIC_TYPES}
        status = ", 'R' AS status" if layout.status else ""
        con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS SELECT *{status} FROM "
                    f"({layout.typed_select('_incoming', typed=typed)})")
    finally:
        con.unregister("_incoming")
    try:
        compare = [c for c in layout.columns if c not in layout.key] + (["status"] if layout.status else [])
        inserted = versioned_upsert(con, kind, "_new", key=layout.key, compare=compare, load_id=load_id)
    finally:
        con.execute("DROP TABLE IF EXISTS _new")
    return inserted, _len(df) - inserted


def _len(df) -> int:
    return df.num_rows if isinstance(df, pa.Table) else len(df)


def ingest_file(con: duckdb.DuckDBPyConnection, kind: str, path: str | Path, *, user: str | None = None) -> LoadResult:
    """Validate ``path`` as a ``kind`` file and write it all-or-nothing. Raises ValidationError on any error."""
    if kind not in KINDS:
        raise ValidationError.one(f"unknown input kind {kind!r}: one of {', '.join(KINDS)}", file=str(path),
                                  rule="kind")
    path = Path(path)
    df = read_table(path)
    problems = validate(con, df, kind, file=str(path))
    errors = errors_only(problems)
    if errors:
        raise ValidationError(errors, file=str(path))
    warnings = warnings_only(problems)
    with transaction(con, name="ingest"):
        load_id = next_load_id(con)
        inserted, unchanged = upsert(con, df, kind, load_id)
        record_load(con, load_id=load_id, kind=kind, file=str(path), sha256=sha256(path), rows=_len(df),
                    inserted=inserted, unchanged=unchanged, warnings=len(warnings), user=user)
    return LoadResult(kind, str(path), load_id, _len(df), inserted, unchanged, warnings)
