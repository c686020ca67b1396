"""One validation module: the input layouts and the rules every input file must pass.

A rule is a relational predicate (an Ibis boolean expression that is true on the offending rows), so the same
rules run on DuckDB today and on Spark later. ``check`` runs every rule of a layout on a staged table and returns
problems as dicts ``{file, row, field, rule, message, severity}``; errors reject the whole file, warnings are
reported and kept in the load's audit record.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import ibis.expr.types as ir

from iip.errors import Problem, Severity

PERIOD_RE = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
OWNERSHIP = ("state", "nonstate", "fdi")


@dataclass(frozen=True)
class Rule:
    """A validation rule: ``violated(t)`` is true on every row that breaks it."""

    field: str
    rule: str
    message: str
    violated: Callable[[ir.Table], ir.BooleanValue]
    severity: Severity = "error"


@dataclass(frozen=True)
class Layout:
    """An input file layout: required columns, the key that must be unique, numeric and code columns."""

    kind: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    numeric: tuple[str, ...] = ()
    required: tuple[str, ...] = ()


LAYOUTS = {
    "register": Layout("register", ("enterprise_id", "name", "province", "vsic", "ownership"),
                       key=("enterprise_id",), required=("enterprise_id", "province", "vsic", "ownership")),
    "products": Layout("products", ("product_code", "name_vi", "name_en", "unit", "vsic"),
                       key=("product_code",), required=("product_code", "name_vi", "unit", "vsic")),
    "weights": Layout("weights", ("kind", "code", "province", "base_year", "value"),
                      key=("kind", "code", "province", "base_year"), numeric=("base_year", "value"),
                      required=("kind", "code", "province", "base_year", "value")),
    "reports": Layout("reports", ("enterprise_id", "period", "product_code", "produced", "sold", "closing_stock"),
                      key=("enterprise_id", "period", "product_code"),
                      numeric=("produced", "sold", "closing_stock"),
                      required=("enterprise_id", "period", "product_code", "produced")),
}


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


def generic_rules(layout: Layout) -> list[Rule]:
    """Required fields present; numeric fields numeric and non-negative."""
    rules = [Rule(c, "required", f"{c} is empty", lambda t, c=c: _blank(t[c])) for c in layout.required]
    for c in layout.numeric:
        rules.append(Rule(c, "numeric", f"{c} is not a number (use '.' as decimal mark)",
                          lambda t, c=c: ~_blank(t[c]) & _num(t[c]).isnull()))
        rules.append(Rule(c, "non_negative", f"{c} is negative", lambda t, c=c: _num(t[c]) < 0))
    return rules


def domain_rules(kind: str, ref: dict[str, list[str]]) -> list[Rule]:
    """Code lists and formats of each layout. ``ref`` holds the known codes (provinces, classes, products,
    enterprises) against which the file is checked."""
    if kind == "register":
        return [
            Rule("province", "known_province", "unknown province code (2-digit GSO code expected)",
                 lambda t: _not_in(t.province, ref["provinces"])),
            Rule("vsic", "known_class", "unknown VSIC 2018 class (4-digit class of sections B-E expected)",
                 lambda t: _not_in(t.vsic, ref["classes"])),
            Rule("ownership", "ownership", "ownership must be one of state|nonstate|fdi",
                 lambda t: _not_in(t.ownership, list(OWNERSHIP))),
        ]
    if kind == "products":
        return [Rule("vsic", "known_class", "unknown VSIC 2018 class (4-digit class of sections B-E expected)",
                     lambda t: _not_in(t.vsic, ref["classes"]))]
    if kind == "weights":
        return [
            Rule("kind", "weight_kind", "kind must be product or industry",
                 lambda t: _not_in(t.kind, ["product", "industry"])),
            Rule("province", "known_province", "unknown province code",
                 lambda t: _not_in(t.province, ref["provinces"])),
            Rule("code", "known_product", "unknown product code (ingest products first)",
                 lambda t: (t.kind.cast("string").strip() == "product") & _not_in(t.code, ref["products"])),
            Rule("code", "known_class", "unknown VSIC 2018 class",
                 lambda t: (t.kind.cast("string").strip() == "industry") & _not_in(t.code, ref["classes"])),
            Rule("base_year", "year", "base_year must be a year between 1990 and 2100",
                 lambda t: ~_blank(t.base_year) & ~_num(t.base_year).between(1990, 2100)),
            Rule("base_year", "integer", "base_year must be a whole number",
                 lambda t: _num(t.base_year) != _num(t.base_year).floor()),
        ]
    if kind == "reports":
        return [
            Rule("enterprise_id", "known_enterprise", "unknown enterprise (not in the register)",
                 lambda t: _not_in(t.enterprise_id, ref["enterprises"])),
            Rule("product_code", "known_product", "unknown product code",
                 lambda t: _not_in(t.product_code, ref["products"])),
            Rule("period", "period", "period must be YYYY-MM",
                 lambda t: ~_blank(t.period) & ~t.period.cast("string").strip().re_search(PERIOD_RE)),
        ]
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
