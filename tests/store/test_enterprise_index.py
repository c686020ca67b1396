"""A DuckDB store reads a few enterprises' reports through its index on enterprise_id (migration 9), so what the
service reads and writes for a submission does not grow with the store: ``of_enterprises`` scans those
enterprises' rows only, and the versioned upsert of a few rows (which reads their current versions through the
index) writes what the upsert that reads the whole table writes."""
from __future__ import annotations

import json

import pytest

from iip.store import connect, of_enterprises, versioned, versioned_upsert

KEY = ["enterprise_id", "period", "product_code"]


def _store(path, firms: int, months: int):
    """A store whose reports hold ``firms`` enterprises x ``months`` months of one product, load 1."""
    con = connect(path)
    con.execute("""INSERT INTO reports (enterprise_id, period, product_code, produced, load_id, status)
                   SELECT printf('E%04d', f), printf('2022-%02d', m), 'P1', 10.0 * f + m, 1, 'R'
                   FROM range(1, ?) t(f), range(1, ?) u(m)""", [firms + 1, months + 1])
    return con


def _rows_scanned(con, profile) -> int:
    """The rows the table scan of the last profiled query read."""
    def scans(node: dict):
        if node.get("operator_type") == "TABLE_SCAN":
            yield node["operator_rows_scanned"]
        for child in node.get("children", []):
            yield from scans(child)
    return sum(scans(json.loads(profile.read_text())))


def test_a_new_store_has_the_enterprise_indexes(tmp_path):
    con = connect(tmp_path / "s.duckdb")
    try:
        got = {(t, sql.split("(")[-1].rstrip(");").strip()) for t, sql in
               con.execute("SELECT table_name, sql FROM duckdb_indexes()").fetchall()}
        assert got == {("reports", "enterprise_id"), ("employment", "enterprise_id")}
    finally:
        con.close()


def test_a_few_enterprises_are_read_through_the_index(tmp_path):
    con = _store(tmp_path / "s.duckdb", firms=2000, months=12)       # 24,000 reports
    profile = tmp_path / "profile.json"
    try:
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{profile}'")
        con.execute("""SET custom_profiling_settings = '{"OPERATOR_ROWS_SCANNED": "true"}'""")
        got = of_enterprises(con, "reports", ["enterprise_id", "period"], ["E0007", "E1999"])
        assert sorted(set(got["enterprise_id"])) == ["E0007", "E1999"] and len(got) == 24
        assert _rows_scanned(con, profile) == 24
        # why the list must be the scan's only filter: beside a month range most of the table is read
        con.execute("SELECT period FROM reports WHERE enterprise_id IN ('E0007', 'E1999') AND period >= '2022-06'"
                    ).fetchall()
        assert _rows_scanned(con, profile) > 12_000
    finally:
        con.close()


@pytest.mark.parametrize("small", [versioned.SMALL_SOURCE, 0], ids=["through-the-index", "whole-table"])
def test_the_upsert_of_a_few_rows_writes_the_same_either_way(tmp_path, monkeypatch, small):
    monkeypatch.setattr(versioned, "SMALL_SOURCE", small)
    con = _store(tmp_path / "s.duckdb", firms=3, months=2)      # E0001..E0003 x 2022-01, 2022-02: produced 10f+m
    try:
        con.execute("CREATE TEMP TABLE src AS SELECT * EXCLUDE (load_id) FROM reports WHERE false")
        con.execute("""INSERT INTO src VALUES ('E0001', '2022-01', 'P1', 99.0, NULL, NULL, 'R'),   -- changed
                                              ('E0001', '2022-02', 'P1', 12.0, NULL, NULL, 'R'),   -- the same
                                              ('E0004', '2022-01', 'P1', 41.0, NULL, NULL, 'R')""")  # new
        written = versioned_upsert(con, "reports", "src", key=KEY, compare=["produced", "sold", "closing_stock"],
                                   load_id=7)
        assert written == 2
        current = con.execute("SELECT enterprise_id, period, produced, load_id FROM reports ORDER BY ALL").fetchall()
        assert current == [("E0001", "2022-01", 99.0, 7), ("E0001", "2022-02", 12.0, 1),
                           ("E0002", "2022-01", 21.0, 1), ("E0002", "2022-02", 22.0, 1),
                           ("E0003", "2022-01", 31.0, 1), ("E0003", "2022-02", 32.0, 1),
                           ("E0004", "2022-01", 41.0, 7)]
        history = con.execute("SELECT enterprise_id, period, produced, load_id, superseded_by FROM reports_history"
                              ).fetchall()
        assert history == [("E0001", "2022-01", 11.0, 1, 7)]
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE '_iip_%'").fetchone() == (0,)
    finally:
        con.close()
