"""The throwaway cluster starts, and a PostgreSQL store opens, migrates and hands out ids."""
from __future__ import annotations

from iip.store import LATEST, connect, next_load_id, schema_version


def test_postgres_store_migrates_and_counts(pg_url):
    con = connect(pg_url)
    assert schema_version(con) == LATEST
    assert [next_load_id(con), next_load_id(con)] == [1, 2]
    con.close()
    con = connect(pg_url)                 # a second open finds it migrated and the sequence where it was
    assert next_load_id(con) == 3
    assert con.execute("SELECT count(*) FROM index_periods").fetchone()[0] == 111 * 12
