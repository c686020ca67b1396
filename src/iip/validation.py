"""One validation module: the input layouts and the rules every input must pass, at every entry point (files
ingested by the CLI, uploads and JSON submissions of the collection API, employment files).

A layout declares a table's columns once (:class:`Column`, :class:`Layout`); the store's DDL, the casts of staged
text, the Ibis schema and the generic rules are derived from it. A rule is a relational predicate (an Ibis boolean
expression that is true on the offending rows), so the same rules run on DuckDB today and on Spark later.
:func:`check` runs every rule of a layout on a staged table and returns the first problems of each rule with the
total count (a file with 31,965 bad rows says 31,965); errors reject the whole input, warnings are reported and kept
in the load's audit record.

The rules of a column follow from its kind:

* ``month``: a real month written YYYY-MM, in the years 1990-2100, not after the current month;
* ``year``: a whole year 1990-2100;
* ``quantity`` / ``number``: a finite number, >= 0 and below the column's plausibility ceiling
  (:data:`CEILING`, 10^12: a monthly quantity or a base-year value of a thousand billion units or million VND is
  a typing or unit error -- Viet Nam's whole industrial output is about 10^10 million VND a year); ``nan``,
  ``inf``, ``1e308``, ``1e400`` and a 400-digit number are refused;
* ``code``: text; a column with a ``width`` (province 2, VSIC class 4) gets its leading zeros back when a
  spreadsheet dropped them (:func:`pad_code`: ``1`` -> ``01``), then known codes are checked (:func:`domain_rules`).
"""
from __future__ import annotations

import hashlib
import threading
import weakref
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Literal

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
from ibis.expr import operations as ops

from iip.errors import OptionError, Problem, Severity
from iip.reference.periods import FIRST_YEAR, LAST_YEAR, MONTH_PATTERN, current_month

OWNERSHIP = ("state", "nonstate", "fdi")
#: Plausibility ceiling of quantities and values (exclusive): 10^12.
CEILING = 1e12
#: Plausibility ceiling of an enterprise's employees: 10^7 (the largest employers in Viet Nam have ~10^5).
EMPLOYEES_CEILING = 1e7
#: Problems listed per rule (the total is always counted).
LIMIT = 200
#: What a rule's strip removes at both ends of a text value: the characters of Ibis's ``strip()`` (DuckDB
#: ``TRIM(x, ' \t\n\r\v\f')``). The counting pass strips them once per column, in Arrow (:func:`stripped_text`).
WHITESPACE = " \t\n\r\x0b\x0c"


def stripped_sql(expr: str) -> str:
    """SQL of ``expr`` (text) stripped as a rule strips it: :data:`WHITESPACE` at both ends (plain ``trim(x)``
    removes spaces only: a tab-padded code would not join its code list)."""
    return f"trim({expr}, '{WHITESPACE}')"


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
    """One column of an input layout: its name, what kind of value it holds, whether it is required, for
    ``choice`` columns the accepted values, for codes the ``width`` leading zeros restore, for numbers the
    plausibility ``ceiling`` (exclusive; default :data:`CEILING`) and whether only whole numbers are accepted,
    and for a report quantity the ``indicator`` compiled from it."""

    name: str
    kind: Kind
    required: bool = False
    choices: tuple[str, ...] = ()
    doc: str = ""
    width: int = 0
    ceiling: float = CEILING
    whole: bool = False
    indicator: str = ""

    @property
    def numeric(self) -> bool:
        """Whether the column holds numbers (a year, a quantity, a number)."""
        return self.kind in ("year", "quantity", "number")

    @property
    def sql_type(self) -> str:
        """The column's DuckDB type in the store."""
        return SQL_TYPES[self.kind]


@dataclass(frozen=True)
class Layout:
    """An input table, declared once: its columns (typed), the key that must be unique, and whether the stored
    table carries a ``status`` (R = reported, or an imputation marker). The store's DDL, the casts of staged
    text, the Ibis schema and the generic rules are all derived from it. ``table=False``: a form that is checked
    but not stored as such (a submission)."""

    kind: str
    fields: tuple[Column, ...]
    key: tuple[str, ...]
    status: bool = False
    doc: str = ""
    table: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        """The layout's column names, in order."""
        return tuple(c.name for c in self.fields)

    @property
    def numeric(self) -> tuple[str, ...]:
        """The names of the numeric columns."""
        return tuple(c.name for c in self.fields if c.numeric)

    @property
    def required(self) -> tuple[str, ...]:
        """The names of the columns that must not be empty."""
        return tuple(c.name for c in self.fields if c.required)

    @property
    def codes(self) -> dict[str, int]:
        """{column: width} of the code columns whose leading zeros are restored."""
        return {c.name: c.width for c in self.fields if c.width}

    def column(self, name: str) -> Column:
        """The column called ``name``."""
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

    def add_columns_sql(self) -> str:
        """ALTER statements adding every column of the layout a table (and its history) may lack: what a
        migration runs when a layout gains optional columns."""
        return "".join(f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c.name} {c.sql_type};\n"
                       for t in (self.kind, f"{self.kind}_history") for c in self.fields if not c.required)

    def typed_select(self, source: str, *, typed: set[str] | frozenset[str] = frozenset(),
                     keep: tuple[str, ...] = ()) -> str:
        """SELECT of ``source`` (staged text) as the stored types: text trimmed (empty -> NULL) and cast;
        columns named in ``typed`` already have a numeric type (Parquet) and are cast as they are; columns named
        in ``keep`` pass as they are."""
        cols = list(keep)
        for c in self.fields:
            if c.name in typed:
                cols.append(f"CAST({c.name} AS {c.sql_type}) AS {c.name}")
                continue
            text = f"NULLIF(trim(CAST({c.name} AS VARCHAR)), '')"
            cols.append(f"TRY_CAST({text} AS {c.sql_type}) AS {c.name}" if c.numeric else f"{text} AS {c.name}")
        return f"SELECT {', '.join(cols)} FROM {source}"


def _code(name: str, doc: str = "", *, required: bool = True, width: int = 0) -> Column:
    return Column(name, "code", required, doc=doc, width=width)


_REPORT_FIELDS = (
    _code("enterprise_id"),
    Column("period", "month", True, doc="YYYY-MM"),
    _code("product_code"),
    Column("produced", "quantity", True, doc="quantity produced in the month", indicator="production"),
    Column("sold", "quantity", doc="quantity sold (consumption index)", indicator="consumption"),
    Column("closing_stock", "quantity", doc="stock at the end of the month (inventory index)",
           indicator="inventory"),
)
_EMPLOYEES = Column("employees", "quantity", True, doc="employees, a whole number", ceiling=EMPLOYEES_CEILING,
                    whole=True)

LAYOUTS: dict[str, Layout] = {
    "register": Layout("register", (
        _code("enterprise_id", "the enterprise's id in the sample"),
        Column("name", "text", doc="name of the enterprise"),
        _code("province", "GSO 2-digit province code", width=2),
        _code("vsic", "4-digit VSIC 2018 class (sections B-E)", width=4),
        Column("ownership", "choice", True, OWNERSHIP, doc="state | nonstate | fdi"),
        Column("active_from", "month", doc="opening month YYYY-MM (empty: active since before the data)"),
        Column("active_to", "month", doc="closing month YYYY-MM, the last month it produced (empty: open)"),
    ), key=("enterprise_id",), doc="the sampled enterprises"),
    "products": Layout("products", (
        _code("product_code"),
        Column("name_vi", "text", True, doc="Vietnamese name"),
        Column("name_en", "text", doc="English name"),
        Column("unit", "text", True, doc="unit of quantity (tấn, nghìn m3, triệu kWh...)"),
        _code("vsic", "4-digit VSIC 2018 class the product belongs to", width=4),
    ), key=("product_code",), doc="the product list"),
    "weights": Layout("weights", (
        Column("kind", "choice", True, ("product", "industry"),
               doc="product: base-year output value; industry: base-year value added of the class"),
        _code("code", "product code (kind product) or 4-digit VSIC class (kind industry)"),
        _code("province", "GSO 2-digit province code", width=2),
        Column("base_year", "year", True, doc="the base year the weight belongs to"),
        Column("value", "number", True, doc="million VND"),
    ), key=("kind", "code", "province", "base_year"), doc="base-year weights"),
    "reports": Layout("reports", _REPORT_FIELDS, key=("enterprise_id", "period", "product_code"), status=True,
                      doc="monthly product reports"),
    "employment": Layout("employment", (
        _code("enterprise_id"),
        Column("period", "month", True, doc="YYYY-MM: employees on the 1st day of the month"),
        _EMPLOYEES,
    ), key=("enterprise_id", "period"), status=True, doc="employees on the 1st of the month (labour index)"),
}
#: A submission of the collection API (JSON, CSV or XLSX upload): report lines, with the sales value of each line
#: (for unit-value checks) and the month's employees. Checked, not stored as such.
SUBMISSION = Layout("submission", (
    *_REPORT_FIELDS,
    Column("value", "number", doc="value sold in the month, million VND (unit-value checks)"),
    Column("employees", "quantity", doc="employees on the 1st of the month", ceiling=EMPLOYEES_CEILING,
           whole=True),
), key=("enterprise_id", "period", "product_code"), table=False, doc="a month's report as submitted")

#: The quantities a report carries (the variables imputation and outlier detection work on).
QUANTITIES: tuple[str, ...] = LAYOUTS["reports"].numeric
#: The index compiled from each report quantity: production <- produced, consumption <- sold, inventory <-
#: closing_stock.
INDICATOR_QUANTITY: dict[str, str] = {c.indicator: c.name for c in LAYOUTS["reports"].fields if c.indicator}


def layout(kind: str) -> Layout:
    """The layout of an input kind (a table of :data:`LAYOUTS`, or ``submission``)."""
    return SUBMISSION if kind == "submission" else LAYOUTS[kind]


def pad_code(text: str, width: int) -> str:
    """A numeric code with the leading zeros a spreadsheet dropped put back (``1`` -> ``01`` for width 2,
    ``510`` -> ``0510`` for width 4); ``1.0`` (a number cell) counts as ``1``; other text is left as it is."""
    t = text.strip()
    if t.endswith(".0") and t[:-2].isdigit():
        t = t[:-2]
    return t.zfill(width) if t.isdigit() and len(t) < width else t


def _text(col: ir.Value) -> ir.StringValue:
    """The value as text without the whitespace around it (:data:`WHITESPACE`)."""
    return col.cast("string").strip()


def _blank(col: ir.Value) -> ir.BooleanValue:
    if col.type().is_numeric():
        return col.isnull()
    return col.isnull() | (_text(col) == "")


def _num(col: ir.Value) -> ir.FloatingValue:
    """The value as a number (NULL if it is not one); typed numeric columns (Parquet) are used as they are."""
    if col.type().is_numeric():
        return col.cast("float64")
    return _text(col).try_cast("float64")


def _finite(col: ir.Value) -> ir.BooleanValue:
    x = _num(col)
    return ~(x.isnan() | x.isinf())


def _fraction(col: ir.Value) -> ir.BooleanValue:
    """True where the number has a fractional part (no cast to an integer: NaN and infinity stay harmless)."""
    return (_num(col) % 1) != 0


def _not_in(col: ir.Value, codes) -> ir.BooleanValue:
    """True where a non-blank value is not among ``codes`` (a list, or an Ibis column for a semi-join)."""
    return ~_blank(col) & ~_text(col).isin(codes)


def _month_rules(n: str) -> list[Rule]:
    """A month: the form YYYY-MM with a real month, a year in range, not after the current month."""
    def text(t: ir.Table) -> ir.StringValue:
        return _text(t[n])

    now = current_month()
    return [
        Rule(n, "period", f"{n} must be a month written YYYY-MM (e.g. 2024-07)",
             lambda t: ~_blank(t[n]) & ~text(t).re_search(MONTH_PATTERN)),
        Rule(n, "period_range", f"{n} must be a month of the years {FIRST_YEAR}-{LAST_YEAR}",
             lambda t: text(t).re_search(MONTH_PATTERN)
             & ~text(t).substr(0, 4).try_cast("int32").between(FIRST_YEAR, LAST_YEAR)),
        Rule(n, "future", f"{n} is after the current month ({now}): a month that has not happened yet",
             lambda t: text(t).re_search(MONTH_PATTERN) & (text(t) > now)),
    ]


def _number_rules(c: Column) -> list[Rule]:
    """A number: numeric text, finite, >= 0, below the ceiling; a year or a count a whole number."""
    n = c.name
    rules = [Rule(n, "numeric", f"{n} is not a number", lambda t: ~_blank(t[n]) & _num(t[n]).isnull()),
             Rule(n, "finite", f"{n} must be a finite number (not nan or infinity)",
                  lambda t: ~_finite(t[n]).fill_null(True)),
             Rule(n, "non_negative", f"{n} is negative", lambda t: _finite(t[n]) & (_num(t[n]) < 0))]
    if c.kind == "year":
        return rules + [
            Rule(n, "year", f"{n} must be a year between {FIRST_YEAR} and {LAST_YEAR}",
                 lambda t: _finite(t[n]) & (_num(t[n]) >= 0) & ~_num(t[n]).between(FIRST_YEAR, LAST_YEAR)),
            Rule(n, "integer", f"{n} must be a whole number", lambda t: _finite(t[n]) & _fraction(t[n]))]
    rules.append(Rule(n, "ceiling", f"{n} is implausibly large (at least {c.ceiling:.0e}): check the unit",
                      lambda t: _finite(t[n]) & (_num(t[n]) >= c.ceiling)))
    if c.whole:
        rules.append(Rule(n, "integer", f"{n} must be a whole number",
                          lambda t: _finite(t[n]) & _fraction(t[n])))
    return rules


def _column_rules(c: Column) -> list[Rule]:
    """The rules a column's kind implies (month, numbers, choice)."""
    if c.kind == "month":
        return _month_rules(c.name)
    if c.kind == "choice":
        n = c.name
        return [Rule(n, n, f"{n} must be one of {'|'.join(c.choices)}", lambda t: _not_in(t[n], list(c.choices)))]
    return _number_rules(c) if c.numeric else []


def _required(name: str) -> Callable[[ir.Table], ir.BooleanValue]:
    def violated(t: ir.Table) -> ir.BooleanValue:
        return _blank(t[name])
    return violated


def generic_rules(layout: Layout) -> list[Rule]:
    """What the layout itself says: required fields present; each column's kind (months, numbers, choices)."""
    rules = [Rule(c, "required", f"{c} is empty", _required(c)) for c in layout.required]
    for c in layout.fields:
        rules += _column_rules(c)
    return rules


def domain_rules(kind: str, ref: dict) -> list[Rule]:
    """Code lists and cross-field rules of each layout. ``ref`` holds the known codes (provinces, classes,
    products, enterprises: lists, or Ibis columns for a semi-join) against which the input is checked."""
    province = Rule("province", "known_province", "unknown province code (2-digit GSO code expected)",
                    lambda t: _not_in(t.province, ref["provinces"]))
    vsic = Rule("vsic", "known_class", "unknown VSIC 2018 class (4-digit class of sections B-E expected)",
                lambda t: _not_in(t.vsic, ref["classes"]))
    enterprise = Rule("enterprise_id", "known_enterprise", "unknown enterprise (not in the register)",
                      lambda t: _not_in(t.enterprise_id, ref["enterprises"]))
    product = Rule("product_code", "known_product", "unknown product code",
                   lambda t: _not_in(t.product_code, ref["products"]))
    if kind == "register":
        return [province, vsic, Rule("active_to", "closing", "the closing month is before the opening month",
                                     lambda t: ~_blank(t.active_to) & ~_blank(t.active_from)
                                     & (_text(t.active_to) < _text(t.active_from)))]
    if kind == "products":
        return [vsic]
    if kind == "weights":
        return [
            province,
            Rule("code", "known_product", "unknown product code (ingest products first)",
                 lambda t: (_text(t.kind) == "product") & _not_in(t.code, ref["products"])),
            Rule("code", "known_class", "unknown VSIC 2018 class",
                 lambda t: (_text(t.kind) == "industry") & _not_in(t.code, ref["classes"])),
        ]
    if kind in ("reports", "submission"):
        return [enterprise, product]
    if kind == "employment":
        return [enterprise]
    raise OptionError.choice("kind", kind, (*LAYOUTS, "submission"))


#: Compiling a rule set takes a second of Ibis work: one compile at a time (concurrent first requests wait for it).
COMPILING = threading.RLock()

#: The queries prepared on each kept connection (:meth:`Check.run_kept`), by name.
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_KEPT_LOCK = threading.Lock()


def forget_kept(con) -> None:
    """Forget the queries prepared on ``con`` (:meth:`Check.run_kept`), to be prepared anew: once an object has been
    registered on it, DuckDB plans them again at every run."""
    with _KEPT_LOCK:
        _KEPT.pop(con, None)


def _duplicate(t: ir.Table, layout: Layout) -> tuple[ir.BooleanValue, ir.StringValue]:
    """The key must be unique within the input: true on every row after the first of its key (keys compared as
    trimmed text; a row with a missing key part is no duplicate); and the key's values joined by ', '."""
    parts = [_text(t[k]) for k in layout.key]
    complete = parts[0].notnull()
    for c in parts[1:]:
        complete = complete & c.notnull()
    return complete & (t._row > t._row.min().over(group_by=parts)), ibis.literal(", ").join(parts)


def stripped_text(staged: pa.Table) -> pa.Table:
    """``staged`` with every text column stripped of :data:`WHITESPACE` at both ends, once per column (Arrow
    compute): what the counting pass of a :class:`Check` reads."""
    return pa.table({n: pc.utf8_trim(c, characters=WHITESPACE) if pa.types.is_string(c.type)
                     or pa.types.is_large_string(c.type) else c for n, c in zip(staged.column_names, staged.columns)})


def _strip_free(expr: ir.Table, t: ir.Table) -> ir.Table:
    """``expr`` with every strip of a text column of ``t`` replaced by the column itself: the same result when
    ``t`` holds text already stripped (:func:`stripped_text`), as stripping twice is stripping once."""
    rel = t.op()
    same = {ops.Strip(ops.Field(rel, n)): ops.Field(rel, n) for n, typ in t.schema().items() if typ.is_string()}
    return expr.op().replace(same).to_expr()


@dataclass
class Check:
    """A rule set compiled into SQL over a staged table (``_row`` and the layout's columns), in three forms of the
    same rule predicates: :attr:`flagged` (one pass: the rows that break any rule, with a flag per rule; for an
    input of at most ``limit`` rows, where every offending row is listed), :attr:`counts` (one pass: each rule's
    total, and the key's repeats by a hash count) and :attr:`ranked` (a UNION ALL of one branch per rule, cut at
    the first ``limit`` rows of each by row number, with each rule's total). A larger input is counted first: a
    clean file, the usual case, costs that one scan, and the ranked form runs only when some rule fired. The
    counting pass reads the staged text stripped once per column (``stripped``, registered by :meth:`run` from
    :func:`stripped_text`), so its rules strip nothing again. The key's uniqueness is the last rule when a key is
    given. The SQL is compiled on first use; compile once per layout and staged schema (:func:`compile_check`),
    run on every input (:meth:`run`; a service checking many small inputs: :meth:`run_kept`)."""

    table: ir.Table
    rules: tuple[Rule, ...]
    layout: Layout | None = None
    limit: int = LIMIT
    _sql: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    @property
    def key(self) -> tuple[str, ...]:
        """The key whose uniqueness is checked (none without a layout)."""
        return self.layout.key if self.layout is not None else ()

    @property
    def stripped(self) -> str:
        """The name under which :meth:`run` registers the stripped text the counting pass reads."""
        return f"{self.table.get_name()}_stripped"

    @cached_property
    def kept(self) -> str:
        """The name of the temp table that :meth:`run_kept` fills and its prepared query reads (one per staged
        schema)."""
        schema = ",".join(f"{n}:{t}" for n, t in self.table.schema().items())
        return f"{self.table.get_name()}_kept_{hashlib.sha256(schema.encode()).hexdigest()[:8]}"

    @property
    def flagged(self) -> str:
        """The SQL of the one-pass form (every offending row)."""
        return self._compiled("flagged")

    @property
    def counts(self) -> str:
        """The SQL of the counting pass (over the stripped text, table :attr:`stripped`)."""
        return self._compiled("counts")

    @property
    def ranked(self) -> str:
        """The SQL of the ranked form."""
        return self._compiled("ranked")

    def _compiled(self, form: str) -> str:
        with COMPILING:
            if form not in self._sql:
                if form == "counts":
                    query = _counting(ibis.table(self.table.schema(), name=self.stripped), self.rules, self.layout)
                elif form == "kept":
                    marked, any_flag = _marked(ibis.table(self.table.schema(), name=self.kept), self.rules,
                                               self.layout)
                    query = marked.filter(any_flag)
                else:
                    marked, any_flag = _marked(self.table, self.rules, self.layout)
                    query = (marked.filter(any_flag) if form == "flagged"
                             else _ranked(marked, len(self.rules) + bool(self.key), self.limit))
                self._sql[form] = str(ibis.to_sql(query, dialect="duckdb"))
        return self._sql[form]

    def run(self, con, staged: pa.Table, *, file: str, count_first: bool | None = None
            ) -> tuple[list[Problem], dict[str, int]]:
        """Run on ``con`` (a DuckDB connection on which ``staged`` is registered under the name the check was
        compiled on) the first ``limit`` problems of each rule (errors first, by row) and the total count of
        problems by severity ({'error': n, 'warning': m}). ``count_first``: count before listing (default: when
        the input has more than ``limit`` rows)."""
        if not (staged.num_rows > self.limit if count_first is None else count_first):
            found = self._hits(con.execute(self.flagged).fetchall())
        else:
            found = con.execute(self.ranked).fetchall() if any(self.count(con, staged)) else []
        return self._found(found, file)

    def run_kept(self, con, staged: pa.Table, *, file: str) -> tuple[list[Problem], dict[str, int]]:
        """:meth:`run` of an input of at most ``limit`` rows on a connection kept between inputs (the service's
        submission checker): the rows are put in a temp table (:attr:`kept`) that the one-pass query, prepared
        once on that connection, reads. Planning the query's ~90 rule expressions costs twice as much as running
        it on a few lines (~20 ms against ~10), and a prepared query is planned again only when the connection
        creates or registers an object, which this does not (``staged`` need not be registered)."""
        if staged.num_rows > self.limit:
            raise ValueError(f"run_kept checks at most {self.limit} rows, not {staged.num_rows}")
        name = self._prepare(con, staged.schema)
        con.execute(f"DELETE FROM {self.kept}")
        con.from_arrow(staged).insert_into(self.kept)       # a relation: nothing registered
        return self._found(self._hits(con.execute(f"EXECUTE {name}").fetchall()), file)

    def _prepare(self, con, schema: pa.Schema) -> str:
        """The name of the one-pass query over :attr:`kept` prepared on ``con`` (its temp table made and the query
        prepared on first use)."""
        sql = self._compiled("kept")
        name = f"iip_rules_{hashlib.sha256(sql.encode()).hexdigest()[:16]}"
        with _KEPT_LOCK:
            done = _KEPT.setdefault(con, set())
        if name not in done:
            con.register("_iip_kept_schema", schema.empty_table())
            try:
                con.execute(f"CREATE OR REPLACE TEMP TABLE {self.kept} AS SELECT * FROM _iip_kept_schema")
            finally:
                con.unregister("_iip_kept_schema")
            con.execute(f"PREPARE {name} AS {sql}")
            done.add(name)
        return name

    def _found(self, found: list[tuple[int, int, str | None, int]], file: str
               ) -> tuple[list[Problem], dict[str, int]]:
        """The problems (errors first, by row) and the totals by severity of ``found``: (rule, row, value, the
        rule's total)."""
        totals = {"error": 0, "warning": 0}
        counted: set[int] = set()
        for i, _, _, n in found:
            if i not in counted:
                counted.add(i)
                totals[self.rules[i].severity if i < len(self.rules) else "error"] += int(n)
        problems = [self._problem(int(i), int(row), value, file)
                    for i, row, value, _ in sorted(found, key=lambda f: (f[0], f[1]))]
        problems.sort(key=lambda p: (not p.is_error, p.row or 0))
        return problems, totals

    def count(self, con, staged: pa.Table) -> tuple[int, ...]:
        """Each rule's total (and the key's repeats), counted on the stripped text of ``staged``."""
        con.register(self.stripped, stripped_text(staged))
        try:
            return tuple(int(n or 0) for n in con.execute(self.counts).fetchone() or ())
        finally:
            con.unregister(self.stripped)

    def _hits(self, rows: list[tuple]) -> list[tuple[int, int, str | None, int]]:
        """(rule, row, value, total) of every offending row, from the rows of the one-pass query."""
        hits: list[tuple[int, int, str | None]] = []
        n = len(self.rules) + bool(self.key)
        for row, *cells in rows:
            hits += [(i, row, cells[n + i]) for i in range(n) if cells[i]]
        totals = Counter(i for i, _, _ in hits)
        return [(i, row, value, totals[i]) for i, row, value in hits]

    def _problem(self, i: int, row: int, value: str | None, file: str) -> Problem:
        if i == len(self.rules):
            return Problem(f"duplicate key ({','.join(self.key)}) = ({value}): already given in an earlier row",
                           file=file, row=row, field=self.key[0], rule="duplicate_key")
        r = self.rules[i]
        shown = "" if value is None else value if len(value) <= 40 else value[:37] + "..."
        return Problem(f"{r.message} (value {shown!r})" if shown else r.message, file=file, row=row, field=r.field,
                       rule=r.rule, severity=r.severity)


def _counting(t: ir.Table, rules: tuple[Rule, ...], layout: Layout | None) -> ir.Table:
    """The counting pass over ``t`` (stripped text): each rule's flag summed, and the key's repeats counted by a
    hash aggregate (rows with a complete key minus distinct keys), not by the flagged form's window (a sort of
    the whole input)."""
    totals = t.aggregate(**{f"_n{i}": r.violated(t).fill_null(False).cast("int64").sum()
                            for i, r in enumerate(rules)})
    if layout is not None and layout.key:
        keyed = t.select(*[_text(t[k]).name(f"_k{j}") for j, k in enumerate(layout.key)])
        keyed = keyed.filter([keyed[c].notnull() for c in keyed.columns])
        repeats = keyed.aggregate(_dup=keyed.count()).cross_join(keyed.distinct().aggregate(_keys=ibis._.count()))
        totals = totals.cross_join(repeats.select(_repeats=repeats._dup - repeats._keys))
    return _strip_free(totals, t)


def _marked(t: ir.Table, rules: tuple[Rule, ...], layout: Layout | None
            ) -> tuple[ir.Table, ir.BooleanValue]:
    """``t`` with one flag per rule (``_r<i>``, the key's uniqueness last when a ``layout`` is given) and the value
    each shows (``_v<i>``, the rule's field as text); and the condition that any flag is set."""
    marks = [(r.violated(t).fill_null(False), t[r.field].cast("string")) for r in rules]
    if layout is not None:
        marks.append(_duplicate(t, layout))
    flags = {f"_r{i}": flag for i, (flag, _) in enumerate(marks)}
    values = {f"_v{i}": value for i, (_, value) in enumerate(marks)}
    marked = t.select(_row=t._row.cast("int64"), **flags, **values)
    any_flag = marked[next(iter(flags))]
    for f in list(flags)[1:]:
        any_flag = any_flag | marked[f]
    return marked, any_flag


def _ranked(marked: ir.Table, n: int, limit: int) -> ir.Table:
    """One UNION ALL branch per rule flag of ``marked`` (``n`` flags): (rule, row, value, the rule's total), the
    first ``limit`` rows of each rule by row number."""
    branches = [marked.filter(marked[f"_r{i}"]).select(_rule=ibis.literal(i, "int32"), _row=marked._row,
                                                       _value=marked[f"_v{i}"])
                for i in range(n)]
    u = ibis.union(*branches, distinct=False) if len(branches) > 1 else branches[0]
    ranked = u.mutate(_n=u._row.count().over(group_by="_rule"),
                      _k=ibis.row_number().over(group_by="_rule", order_by="_row"))
    return ranked.filter(ranked._k < limit).select("_rule", "_row", "_value", "_n")


def compile_check(t: ir.Table, rules: list[Rule], layout: Layout | None = None, *, limit: int = LIMIT) -> Check:
    """``rules`` (and, given a ``layout``, the uniqueness of its key) on staged table ``t`` as a :class:`Check`:
    one flag per rule and the value it shows (the rule's field as text), in three forms, each compiled to SQL on
    first use."""
    return Check(t, tuple(rules), layout, limit)


def missing_columns(columns: list[str], layout: Layout, *, file: str) -> list[Problem]:
    """A problem for each required (or numeric) column of ``layout`` the header lacks."""
    have = {c.strip().lower() for c in columns}
    return [Problem(f"required column {c!r} is missing (header has: {', '.join(columns)})", file=file, row=1,
                    field=c, rule="column")
            for c in layout.columns if c not in have and (c in layout.required or c in layout.numeric)]
