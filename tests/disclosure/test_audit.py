"""The audit protects cells that are pinned down, not only those exactly determined (issue 15): a cell that
carries nearly all the weight of a published total is, by the equations alone, free -- yet an intruder who
bounds the other cells (indices are positive and rarely beyond a few hundred) reads it off the total within a
fraction of a point. Generic weights cannot show that; the real weights do. Checked with the intruder of
tests/disclosure/intruder.py (written apart from iip.disclosure); and the store's disclosure cache gains its
indicator key on a store that main's migration 6 already made."""
from __future__ import annotations

import duckdb
import pandas as pd

from iip.disclosure import audit
from iip.disclosure.pattern import Result
from tests.disclosure import intruder

TOTAL, BIG, SMALL1, SMALL2 = ("VN", "2012"), ("01", "2012"), ("48", "2012"), ("79", "2012")
REAL = {BIG: 1e6, SMALL1: 1.0, SMALL2: 1.0, TOTAL: 1e6 + 2}       # one province makes nearly all of class 2012
FLAT = {BIG: 1.0, SMALL1: 1.3, SMALL2: 1.7, TOTAL: 4.0}


def test_a_dominant_cell_is_pinned_down_and_gets_a_complement():
    groups = intruder.identities({TOTAL, BIG, SMALL1, SMALL2})
    assert groups == [(TOTAL, (BIG, SMALL1, SMALL2))]
    hidden = {BIG, SMALL1, SMALL2}                                  # three unknowns, one published total
    assert intruder.by_equality(groups, hidden) == set()
    assert intruder.by_linear_combination(groups, hidden, REAL) == {BIG}          # VN 2012 ~ province 01
    assert intruder.by_linear_combination(groups, hidden, FLAT) == set()          # not with flat weights
    assert audit.determined_cells(groups, hidden, FLAT).determined == []
    assert audit.determined_cells(groups, hidden, REAL, generic=FLAT).determined == [BIG]
    done = audit.secondary_suppression(groups, {BIG: "primary", SMALL1: "primary", SMALL2: "primary"}, REAL,
                                       generic=FLAT)
    assert set(done.cells) == hidden | {TOTAL}                      # the only free member: the total
    assert intruder.by_linear_combination(groups, set(done.cells), REAL) == set()


def store_at_version_7(path) -> None:
    """A store as main's migrations left it (disclosure cache keyed by run and method, no indicator), with one
    stored pattern of method '2'."""
    from iip.store import migrations

    con = duckdb.connect(str(path))
    con.execute(migrations.VERSION_DDL)
    for m in migrations.MIGRATIONS:
        if m.version <= 7:
            m.apply(con)
            con.execute("INSERT INTO schema_version (version, name) VALUES (?, ?)", [m.version, m.name])
    con.execute("INSERT INTO disclosure (area, node, status, reason, run_id, method) "
                "VALUES ('01', '2818', 'c', 'primary', 1, '2')")
    con.execute("INSERT INTO disclosure_runs (run_id, method, cells, unsettled) VALUES (1, '2', 1, 1)")
    con.execute("INSERT INTO disclosure_unsettled VALUES (1, '2', 0, 'a block')")
    con.close()


def test_a_store_migrated_by_main_gets_the_indicator_key_and_keeps_its_tables(tmp_path):
    from iip.disclosure import cache
    from iip.store import connect, schema_version

    db = tmp_path / "v7.duckdb"
    store_at_version_7(db)
    con = connect(db)
    try:
        assert schema_version(con) >= 8
        assert con.execute("SELECT indicator, method, area, node FROM disclosure").fetchall() == [
            ("*", "2", "01", "2818")]
        assert con.execute("SELECT run_id, method, indicator, cells, unsettled FROM disclosure_runs").fetchall() \
            == [(1, "2", "*", 1, 1)]
        assert con.execute("SELECT indicator, note FROM disclosure_unsettled").fetchall() == [("*", "a block")]
        table = pd.DataFrame([("inventory", "01", "C", "c", "primary")], columns=cache.COLUMNS)
        cache._write(con, Result(table, ["note"]), 1, "inventory")
        got = cache._read(con, 1, "inventory")
        assert got is not None and got.table.values.tolist() == table.values.tolist() and got.unsettled == ["note"]
        assert cache._read(con, 1, "production") is None            # computed per indicator
    finally:
        con.close()
