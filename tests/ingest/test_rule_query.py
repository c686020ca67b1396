"""The rule set compiled into one query (``iip.validation.compile_check``) finds exactly the problems the rules
find one by one: hand-made submission lines each break one known rule; both forms of the query (one pass for a
small input, the ranked UNION ALL for a file) and each rule run on its own must give that list, and a file with
more offending rows than the listing limit is counted in full."""
from __future__ import annotations

from collections import Counter

import ibis
import pandas as pd
import pyarrow as pa

from iip import validation as v
from iip.ingest import microdata
from iip.reference.periods import current_month, month_add
from tests.ingest.test_rules import con  # noqa: F401 - the store with E1, E2, STEEL and MILK

FUTURE = month_add(current_month(), 1)

#: (changes to a valid line, the (field, rule) it breaks); line i has its own month 1995-01 + i (a unique key).
BROKEN: list[tuple[dict[str, str], set[tuple[str, str]]]] = [
    ({"enterprise_id": ""}, {("enterprise_id", "required")}),
    ({"period": " "}, {("period", "required")}),
    ({"period": "2023-13"}, {("period", "period")}),
    ({"period": "1980-01"}, {("period", "period_range")}),
    ({"period": FUTURE}, {("period", "future")}),
    ({"product_code": ""}, {("product_code", "required")}),
    ({"produced": ""}, {("produced", "required")}),
    *[({c: bad}, {(c, rule)}) for c in ("produced", "sold", "closing_stock", "value")
      for bad, rule in (("abc", "numeric"), ("nan", "finite"), ("-1", "non_negative"), ("1e12", "ceiling"))],
    ({"employees": "x"}, {("employees", "numeric")}),
    ({"employees": "inf"}, {("employees", "finite")}),
    ({"employees": "-3"}, {("employees", "non_negative")}),
    ({"employees": "1e7"}, {("employees", "ceiling")}),
    ({"employees": "2.5"}, {("employees", "integer")}),
    ({"enterprise_id": "E9"}, {("enterprise_id", "known_enterprise")}),
    ({"product_code": "GOLD"}, {("product_code", "known_product")}),
]


def valid_line(i: int) -> dict[str, str]:
    return {"enterprise_id": "E1", "period": month_add("1995-01", i), "product_code": "STEEL", "produced": "10",
            "sold": "9", "closing_stock": "1", "value": "5", "employees": "40"}


def payload() -> tuple[pd.DataFrame, set[tuple[int, str, str]]]:
    """Lines breaking every rule of the submission layout, the last a repeat of the one before; the expected
    (row, field, rule) of each problem."""
    rows, expected = [], set()
    for i, (change, broken) in enumerate(BROKEN):
        rows.append({**valid_line(i), **change})
        expected |= {(i + 1, f, r) for f, r in broken}
    dup = valid_line(len(BROKEN))
    rows += [dup, dict(dup)]
    expected.add((len(rows), "enterprise_id", "duplicate_key"))
    return pd.DataFrame([{"_row": n + 1, **r} for n, r in enumerate(rows)]), expected


def found(problems) -> set[tuple[int, str, str]]:
    return {(p.row, p.field, p.rule) for p in problems}


def test_every_rule_of_the_layout_is_broken_once():
    rules = {(r.field, r.rule) for r in v.generic_rules(v.SUBMISSION) + v.domain_rules("submission", {
        "enterprises": [], "products": []})}
    assert rules == set().union(*(b for _, b in BROKEN))


def test_one_query_finds_what_each_rule_finds(con):  # noqa: F811 - the imported fixture
    df, expected = payload()
    small = microdata.validate(con, df, "submission", file="t")          # one pass (a small input)
    assert found(small.problems) == expected
    assert (small.errors, small.warnings) == (len(expected), 0)
    staged = microdata.with_columns(df, v.SUBMISSION.columns)
    con.register("_stage_submission", staged)
    check = microdata.rule_check(con, "submission", staged.schema)
    ranked, totals = check.run(con, staged, file="t", count_first=True)  # counted, then the ranked UNION ALL
    assert [(p.row, p.field, p.rule, p.message) for p in ranked] == \
        [(p.row, p.field, p.rule, p.message) for p in small.problems]
    assert totals == {"error": len(expected), "warning": 0}
    backend = ibis.duckdb.from_connection(con)                           # each rule on its own
    t = backend.table("_stage_submission")
    one_by_one = {(int(row), r.field, r.rule)
                  for r in v.generic_rules(v.SUBMISSION) + v.domain_rules(
                      "submission", microdata.reference_codes(backend, "submission"))
                  for row in t.filter(r.violated(t).fill_null(False))._row.execute()}
    assert one_by_one | {(len(df), "enterprise_id", "duplicate_key")} == expected
    dup = next(p for p in ranked if p.rule == "duplicate_key")
    assert dup.message.startswith(f"duplicate key (enterprise_id,period,product_code) = (E1, "
                                  f"{month_add('1995-01', len(BROKEN))}, STEEL)")
    assert next(p for p in ranked if p.rule == "ceiling" and p.field == "sold").message.endswith("(value '1e12')")


def test_a_file_is_counted_in_full_and_listed_up_to_the_limit(con):  # noqa: F811
    n = v.LIMIT + 50
    df = pd.DataFrame([{"_row": i + 1, **valid_line(i), "produced": "-1", "sold": "abc"} for i in range(n)])
    got = microdata.validate(con, df, "submission", file="t")
    assert got.errors == 2 * n
    listed = [(p.row, p.rule) for p in got.problems]
    assert listed == sorted([(i + 1, rule) for i in range(v.LIMIT) for rule in ("non_negative", "numeric")])


def test_a_file_whose_only_problem_is_a_repeated_key_is_refused(con):  # noqa: F811
    """A file larger than the listing limit is counted first (one pass, the key's repeats by a hash aggregate):
    a single repeated line among valid ones must still be found, and a clean file finds nothing."""
    n = v.LIMIT + 50
    lines = [{"_row": i + 1, **valid_line(i)} for i in range(n)]
    clean = microdata.validate(con, pd.DataFrame(lines), "submission", file="t")
    assert (clean.errors, clean.problems) == (0, [])
    again = {**lines[7], "_row": n + 1, "period": f" {lines[7]['period']} "}     # the same key, padded
    got = microdata.validate(con, pd.DataFrame([*lines, again]), "submission", file="t")
    assert got.errors == 1
    assert [(p.row, p.rule) for p in got.problems] == [(n + 1, "duplicate_key")]


def test_the_counting_pass_strips_what_the_rules_strip(con):  # noqa: F811
    """The counting pass reads the text stripped once in Arrow (``v.WHITESPACE``) and drops the rules' own strip:
    Ibis's strip on DuckDB and the Arrow strip must remove the same characters, and on lines padded with every
    one of them the count of each rule must equal what the listing forms find."""
    chars = [chr(c) for c in range(1, 0x3001) if chr(c).isspace() or c < 0x21] + ["\u200b", "\ufeff"]
    values = [f"{c}a{c}" for c in chars]
    backend = ibis.duckdb.from_connection(con)
    by_ibis = backend.execute(ibis.memtable({"v": values}).v.strip()).tolist()
    by_arrow = v.stripped_text(pa.table({"v": values})).column("v").to_pylist()
    assert by_ibis == by_arrow
    assert {c for c, s in zip(chars, by_arrow) if s == "a"} == set(v.WHITESPACE)
    df, expected = payload()
    text = [c for c in df.columns if c != "_row"]
    padded = df.assign(**{c: [v.WHITESPACE + x + v.WHITESPACE[::-1] for x in df[c]] for c in text})
    staged = microdata.with_columns(padded, v.SUBMISSION.columns)
    con.register("_stage_submission", staged)
    check = microdata.rule_check(con, "submission", staged.schema)
    listed, totals = check.run(con, staged, file="t")                  # the one-pass form (strips in SQL)
    assert found(listed) == expected and totals == {"error": len(expected), "warning": 0}
    by_rule = Counter(next(i for i, r in enumerate(check.rules) if (r.field, r.rule) == (f, rule))
                      if rule != "duplicate_key" else len(check.rules) for _, f, rule in expected)
    assert check.count(con, staged) == tuple(by_rule[i] for i in range(len(check.rules) + 1))
    ranked, totals = check.run(con, staged, file="t", count_first=True)
    assert [(p.row, p.rule, p.message) for p in ranked] == [(p.row, p.rule, p.message) for p in listed]


def test_the_kept_query_finds_the_same_and_reads_each_input_afresh(con):  # noqa: F811
    """A connection kept between inputs (the service's checker) runs the rule query prepared on it once: it must
    list what the one-pass form lists, read each input anew (a clean input after a broken one finds nothing, a
    part of the broken one finds only that part's problems), and be prepared once for all of them."""
    df, expected = payload()
    once = microdata.validate(con, df, "submission", file="t")
    kept = microdata.validate(con, df, "submission", file="t", kept=True)
    assert [(p.row, p.field, p.rule, p.message) for p in kept.problems] == \
        [(p.row, p.field, p.rule, p.message) for p in once.problems]
    assert (kept.errors, kept.warnings) == (len(expected), 0)
    clean = pd.DataFrame([{"_row": i + 1, **valid_line(i)} for i in range(3)])
    assert microdata.validate(con, clean, "submission", file="t", kept=True).problems == []
    part = microdata.validate(con, df.iloc[:4], "submission", file="t", kept=True)
    assert found(part.problems) == {e for e in expected if e[0] <= 4} != set()
    prepared = con.execute("SELECT count(*) FROM duckdb_prepared_statements() WHERE name LIKE 'iip_rules_%'")
    assert prepared.fetchone()[0] == 1
