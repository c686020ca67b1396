"""One validation module: the input layouts and the rules every input file must pass.

A rule is a relational predicate (an Ibis boolean expression that is true on the offending rows), so the same
rules run on DuckDB today and on Spark later. ``check`` runs every rule of a layout on a staged table and returns
problems as dicts ``{file, row, field, rule, message, severity}``; errors reject the whole file, warnings are
reported and kept in the load's audit record.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Literal

import ibis.expr.types as ir

from iip.errors import Problem, Severity
from iip.reference.periods import MONTH_PATTERN

OWNERSHIP = ("state", "nonstate", "fdi")


@dataclass(frozen=True)
class Rule:
    """A validation rule: ``violated(t)`` is true on every row that breaks it."""

    field: str
    rule: str
    message: str
    violated: Callable[[ir.Table], ir.BooleanValue]
    severity: Severity = "error"


Kind = Literal["code", "text", "month", "year", "quantity", "number", "choice"]
#: How each kind of column is stored (DuckDB SQL type) and typed in Ibis.
SQL_TYPES: dict[str, str] = {"code": "VARCHAR", "text": "VARCHAR", "month": "VARCHAR", "choice": "VARCHAR",
                             "year": "INTEGER", "quantity": "DOUBLE", "number": "DOUBLE"}
IBIS_TYPES: dict[str, str] = {"code": "string", "text": "string", "month": "string", "choice": "string",
                              "year": "int32", "quantity": "float64", "number": "float64"}


@dataclass(frozen=True)
class Column:
    """One column of an input layout: its name, what kind of value it holds, whether it is required, and for
    ``choice`` columns the accepted values."""

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""

    @property
    def numeric(self) -> bool:
        return self.kind in ("year", "quantity", "number")

    @property
    def sql_type(self) -> str:
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Layout:
    """An input table, declared once: its columns (typed), the key that must be unique, and whether the stored
    table carries a ``status`` (R = reported, or an imputation marker). The store's DDL, the casts of staged
    text, the Ibis schema and the generic rules are all derived from it."""

    kind: str
    fields: tuple[Column, ...]
    key: tuple[str, ...]
    status: bool = False
    doc: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.fields)

    @property
    def numeric(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.fields if c.numeric)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.fields if c.required)

    def column(self, name: str) -> Column:
        return next(c for c in self.fields if c.name == name)

    def sql_types(self) -> dict[str, str]:
        """{column: DuckDB type} of the stored table (without load_id and status)."""
        return {c.name: c.sql_type for c in self.fields}

    def ibis_schema(self, *, with_status: bool = False) -> dict[str, str]:
        """The stored table's columns as an Ibis schema mapping (for expressions over the store's tables)."""
        schema = {c.name: IBIS_TYPES[c.kind] for c in self.fields}
        return {**schema, "status": "string"} if with_status and self.status else schema

    def stored_columns(self) -> tuple[str, ...]:
        """Columns of the stored table in order: the layout's, load_id, then status where the table has one."""
        return (*self.columns, "load_id", *(("status",) if self.status else ()))

    def ddl(self) -> str:
        """CREATE TABLE statements of the current table and its ``_history`` (superseded versions)."""
        cols = [f"{c.name} {c.sql_type}{' NOT NULL' if c.required or c.name in self.key else ''}"
                for c in self.fields]
        cols.append("load_id BIGINT NOT NULL")
        if self.status:
            cols.append("status VARCHAR NOT NULL DEFAULT 'R'")
        return (f"CREATE TABLE IF NOT EXISTS {self.kind} ({', '.join(cols)});\n"
                f"CREATE TABLE IF NOT EXISTS {self.kind}_history AS "
                f"SELECT *, 0::BIGINT AS superseded_by FROM {self.kind} WHERE false;\n")

    def typed_select(self, source: str, *, typed: set[str] = frozenset()) -> str:
        """SELECT of ``source`` (staged text) as the stored types: text trimmed (empty -> NULL) and cast;
        columns named in ``typed`` already have a numeric type (Parquet) and are cast as they are."""
        cols = []
        for c in self.fields:
            if c.name in typed:
                cols.append(f"CAST({c.name} AS {c.sql_type}) AS {c.name}")
                continue
            text = f"NULLIF(trim(CAST({c.name} AS VARCHAR)), '')"
            cols.append(f"TRY_CAST({text} AS {c.sql_type}) AS {c.name}" if c.numeric else f"{text} AS {c.name}")
        return f"SELECT {', '.join(cols)} FROM {source}"


def _code(name: str, doc: str = "", *, required: bool = True) -> Column:
    return Column(name, "code", required, doc=doc)


LAYOUTS: dict[str, Layout] = {
    "register": Layout("register", (
        _code("enterprise_id", "the enterprise's id in the sample"),
        Column("name", "text", doc="name of the enterprise"),
        _code("province", "GSO 2-digit province code"),
        _code("vsic", "4-digit VSIC 2018 class (sections B-E)"),
        Column("ownership", "choice", True, OWNERSHIP, doc="state | nonstate | fdi"),
    ), key=("enterprise_id",), doc="the sampled enterprises"),
    "products": Layout("products", (
        _code("product_code"),
        Column("name_vi", "text", True, doc="Vietnamese name"),
        Column("name_en", "text", doc="English name"),
        Column("unit", "text", True, doc="unit of quantity (tấn, nghìn m3, triệu kWh...)"),
        _code("vsic", "4-digit VSIC 2018 class the product belongs to"),
    ), key=("product_code",), doc="the product list"),
    "weights": Layout("weights", (
        Column("kind", "choice", True, ("product", "industry"),
               doc="product: base-year output value; industry: base-year value added of the class"),
        _code("code", "product code (kind product) or 4-digit VSIC class (kind industry)"),
        _code("province", "GSO 2-digit province code"),
        Column("base_year", "year", True, doc="the base year the weight belongs to"),
        Column("value", "number", True, doc="million VND"),
    ), key=("kind", "code", "province", "base_year"), doc="base-year weights"),
    "reports": Layout("reports", (
        _code("enterprise_id"),
        Column("period", "month", True, doc="YYYY-MM"),
        _code("product_code"),
        Column("produced", "quantity", True, doc="quantity produced in the month"),
        Column("sold", "quantity", doc="quantity sold (consumption index)"),
        Column("closing_stock", "quantity", doc="stock at the end of the month (inventory index)"),
    ), key=("enterprise_id", "period", "product_code"), status=True, doc="monthly product reports"),
    "employment": Layout("employment", (
        _code("enterprise_id"),
        Column("period", "month", True, doc="YYYY-MM: employees on the 1st day of the month"),
        Column("employees", "quantity", True, doc="employees, a whole number"),
    ), key=("enterprise_id", "period"), status=True, doc="employees on the 1st of the month (labour index)"),
}
#: The quantities a report carries (the variables imputation and outlier detection work on).
QUANTITIES: tuple[str, ...] = LAYOUTS["reports"].numeric


def _blank(col: ir.Value) -> ir.BooleanValue:
    if col.type().is_numeric():
        return col.isnull()
    s = col.cast("string")
    return s.isnull() | (s.strip() == "")


def _num(col: ir.Value) -> ir.FloatingValue:
    """The value as a number (NULL if it is not one); typed numeric columns (Parquet) are used as they are."""
    if col.type().is_numeric():
        return col.cast("float64")
    return col.cast("string").strip().try_cast("float64")


def _not_in(col: ir.Value, codes) -> ir.BooleanValue:
    """True where a non-blank value is not among ``codes`` (a list, or an Ibis column for a semi-join)."""
    return ~_blank(col) & ~col.cast("string").strip().isin(codes)


def _column_rules(c: Column) -> list[Rule]:
    """The rules a column's kind implies (format, number, range, choice)."""
    n = c.name
    if c.kind == "month":
        return [Rule(n, "period", f"{n} must be YYYY-MM",
                     lambda t: ~_blank(t[n]) & ~t[n].cast("string").strip().re_search(MONTH_PATTERN))]
    if c.kind == "choice":
        return [Rule(n, n, f"{n} must be one of {'|'.join(c.choices)}", lambda t: _not_in(t[n], list(c.choices)))]
    if not c.numeric:
        return []
    rules = [Rule(n, "numeric", f"{n} is not a number (use '.' as decimal mark)",
                  lambda t: ~_blank(t[n]) & _num(t[n]).isnull()),
             Rule(n, "non_negative", f"{n} is negative", lambda t: _num(t[n]) < 0)]
    if c.kind == "year":
        rules += [Rule(n, "year", f"{n} must be a year between 1990 and 2100",
                       lambda t: ~_blank(t[n]) & ~_num(t[n]).between(1990, 2100)),
                  Rule(n, "integer", f"{n} must be a whole number", lambda t: _num(t[n]) != _num(t[n]).floor())]
    return rules


def generic_rules(layout: Layout) -> list[Rule]:
    """What the layout itself says: required fields present; each column's kind (month format, numbers,
    non-negative quantities, years, choices)."""
    rules = [Rule(c, "required", f"{c} is empty", lambda t, c=c: _blank(t[c])) for c in layout.required]
    for c in layout.fields:
        rules += _column_rules(c)
    return rules


def domain_rules(kind: str, ref: dict) -> list[Rule]:
    """Code lists and cross-field rules of each layout. ``ref`` holds the known codes (provinces, classes,
    products, enterprises: lists, or Ibis columns for a semi-join) against which the file is checked."""
    province = Rule("province", "known_province", "unknown province code (2-digit GSO code expected)",
                    lambda t: _not_in(t.province, ref["provinces"]))
    vsic = Rule("vsic", "known_class", "unknown VSIC 2018 class (4-digit class of sections B-E expected)",
                lambda t: _not_in(t.vsic, ref["classes"]))
    enterprise = Rule("enterprise_id", "known_enterprise", "unknown enterprise (not in the register)",
                      lambda t: _not_in(t.enterprise_id, ref["enterprises"]))
    if kind == "register":
        return [province, vsic]
    if kind == "products":
        return [vsic]
    if kind == "weights":
        return [
            province,
            Rule("code", "known_product", "unknown product code (ingest products first)",
                 lambda t: (t.kind.cast("string").strip() == "product") & _not_in(t.code, ref["products"])),
            Rule("code", "known_class", "unknown VSIC 2018 class",
                 lambda t: (t.kind.cast("string").strip() == "industry") & _not_in(t.code, ref["classes"])),
        ]
    if kind == "reports":
        return [enterprise, Rule("product_code", "known_product", "unknown product code",
                                 lambda t: _not_in(t.product_code, ref["products"]))]
    if kind == "employment":
        return [enterprise, Rule("employees", "integer", "employees must be a whole number",
                                 lambda t: _num(t.employees) != _num(t.employees).floor())]
    raise ValueError(kind)


def duplicate_rows(t: ir.Table, layout: Layout, *, file: str, limit: int = 200) -> list[Problem]:
    """The key must be unique within the file: every row after the first of a key is reported."""
    keys = [t[k].cast("string").strip().name(k) for k in layout.key]
    k = t.select("_row", *keys)
    dup = k.group_by(list(layout.key)).aggregate(first=k._row.min(), n=k._row.count()).filter(lambda g: g.n > 1)
    bad = (k.join(dup, list(layout.key)).filter(lambda r: r._row > r.first).order_by("_row")
           .select("_row", *layout.key).limit(limit).execute())
    names = ",".join(layout.key)
    return [Problem(f"duplicate key ({names}) = ({', '.join(str(r[c]) for c in layout.key)}): already given in an "
                    "earlier row", file=file, row=int(r["_row"]), field=layout.key[0], rule="duplicate_key")
            for _, r in bad.iterrows()]


def check(t: ir.Table, rules: list[Rule], *, file: str, limit: int = 200) -> list[Problem]:
    """Run ``rules`` on staged table ``t`` (which has a ``_row`` column) in one pass; return the problems found
    (at most ``limit`` per rule), errors first, by row."""
    if not rules:
        return []
    flags = [r.violated(t).fill_null(False).name(f"_r{i}") for i, r in enumerate(rules)]
    fields = sorted({r.field for r in rules})
    any_bad = flags[0]
    for f in flags[1:]:
        any_bad = any_bad | f
    bad = (t.select("_row", *[t[c].cast("string").name(c) for c in fields], *flags, _any=any_bad)
           .filter(lambda x: x._any).order_by("_row").limit(limit * len(rules)).execute())
    problems: list[Problem] = []
    for i, r in enumerate(rules):
        hit = bad[bad[f"_r{i}"].astype(bool)].head(limit)
        for row, value in zip(hit["_row"], hit[r.field]):
            shown = "" if value is None or value != value else str(value)
            problems.append(Problem(f"{r.message} (value {shown!r})" if shown else r.message, file=file,
                                    row=int(row), field=r.field, rule=r.rule, severity=r.severity))
    problems.sort(key=lambda p: (not p.is_error, p.row or 0))
    return problems


def missing_columns(columns: list[str], layout: Layout, *, file: str) -> list[Problem]:
    """A problem for each required (or numeric) column of ``layout`` the header lacks."""
    have = {c.strip().lower() for c in columns}
    return [Problem(f"required column {c!r} is missing (header has: {', '.join(columns)})", file=file, row=1,
                    field=c, rule="column")
            for c in layout.columns if c not in have and (c in layout.required or c in layout.numeric)]
