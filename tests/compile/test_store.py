"""The store keeps index levels and effective weights; its SQL (macro ``indices_where``, view ``indices``) derives
every growth rate and contribution. It must agree with the NumPy derivation of the pure engine."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from dataset import make_dataset, products_frame, quantities
from measures_oracle import oracle_indices
from test_engine import REGION_OF, TREE

from iip.compile import compile_indices, write_indices
from iip.measures import MEASURES
from iip.store import connect

KEY = ["indicator", "area", "node", "period"]


def compiled(reports, weights, **kw):
    return compile_indices(quantities(reports), products=products_frame(), weights=weights, tree=TREE,
                           region_of=REGION_OF, **kw)


def stored(con, sql="SELECT * FROM indices", params=None):
    return con.execute(sql, params).df().drop(columns="run_id").sort_values(KEY).reset_index(drop=True)


def assert_same(got: pd.DataFrame, want: pd.DataFrame):
    want = want.sort_values(KEY).reset_index(drop=True)
    assert len(got) == len(want)
    assert (got[KEY].to_numpy() == want[KEY].to_numpy()).all()
    for c in MEASURES:
        g, w = got[c].to_numpy(dtype=float), want[c].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(g), np.isnan(w)), c
        assert np.allclose(g[~np.isnan(w)], w[~np.isnan(w)], rtol=1e-9, atol=1e-12), c


@pytest.fixture
def linked():
    """Two base years (2015 and 2020 weights): contributions use a different effective weight per segment."""
    return make_dataset(5, years=(2015, 2022), base_years=(2015, 2020))


def test_sql_measures_equal_the_engines(linked):
    result = compiled(*linked)
    con = connect(":memory:")
    write_indices(con, result, period_from=None, period_to=None, reference_year=None)
    want = oracle_indices(result)
    assert want["contrib_ytd"].notna().sum() > 1000 and want["contrib_total_yoy"].notna().sum() > 1000
    assert_same(stored(con), want)


def test_macro_selects_series_and_months_with_the_history_they_need(linked):
    result = compiled(*linked)
    con = connect(":memory:")
    write_indices(con, result, period_from=None, period_to=None, reference_year=None)
    want = oracle_indices(result)
    got = stored(con, "SELECT * FROM indices_where(indicator_is := ?, area_is := ?, period_from := ?, "
                      "period_to := ?)", ["production", "VN", "2021-02", "2021-04"])
    sel = want[(want.indicator == "production") & (want.area == "VN") & want.period.between("2021-02", "2021-04")]
    assert len(sel) > 10 and sel["ytd"].notna().all()
    assert_same(got, sel)
    got = stored(con, "SELECT * FROM indices_where(node_is := 'C') WHERE period = '2016-01'")
    assert_same(got, want[(want.node == "C") & (want.period == "2016-01")])


def test_a_partial_recompile_updates_the_growth_of_later_months(linked):
    """Derived measures are never stale: recompiling 2021 with corrected reports changes 2022's yoy too."""
    reports, weights = linked
    con = connect(":memory:")
    write_indices(con, compiled(reports, weights), period_from=None, period_to=None, reference_year=None)
    fixed = [dict(r, produced=r["produced"] * 1.1) if r["period"].startswith("2021") else r for r in reports]
    result = compiled(fixed, weights)
    write_indices(con, result, period_from="2021-01", period_to="2021-12", reference_year=None)
    got = stored(con, "SELECT * FROM indices WHERE period BETWEEN '2021-01' AND '2022-12'")
    want = oracle_indices(result).query("'2021-01' <= period <= '2022-12'")
    old = oracle_indices(compiled(reports, weights)).query("'2022-01' <= period <= '2022-12'")
    assert not np.allclose(old["yoy"], want.query("period >= '2022-01'")["yoy"], equal_nan=True)
    assert_same(got, want)
    runs = con.execute("SELECT DISTINCT run_id FROM index_weights ORDER BY 1").fetchall()
    assert runs == [(1,), (2,)]   # 2021 cells use the second run's weights, the others the first's


def test_a_store_with_stored_measures_is_migrated_without_losing_them(tmp_path):
    import duckdb

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE index_series (sid INTEGER PRIMARY KEY, indicator VARCHAR, area VARCHAR, node VARCHAR)")
    con.execute("INSERT INTO index_series VALUES (0, 'production', 'VN', 'TOTAL')")
    con.execute('CREATE TABLE index_cells (sid INTEGER, pid INTEGER, "index" DOUBLE, mom DOUBLE, yoy DOUBLE, '
                "ytd DOUBLE, contrib_yoy DOUBLE, contrib_ytd DOUBLE, contrib_total_yoy DOUBLE, run_id BIGINT)")
    con.execute("INSERT INTO index_cells SELECT 0, 2021 * 12 + m, 100 + m, NULL, NULL, NULL, NULL, NULL, NULL, 1 "
                "FROM range(0, 24) t(m)")
    con.close()
    con = connect(db)
    assert con.execute("SELECT count(*) FROM index_cells_v1").fetchone()[0] == 24   # kept as it was
    got = con.execute("SELECT period, \"index\", mom, yoy FROM indices ORDER BY period").df()
    assert len(got) == 24 and got["index"].iloc[13] == 113
    assert got["mom"].iloc[13] == pytest.approx(100 * 113 / 112) and got["yoy"].iloc[13] == pytest.approx(100 * 113 / 101)


def test_a_series_repeating_its_parent_is_stored_once_and_reads_the_same(linked):
    result = compiled(*linked)
    con = connect(":memory:")
    write_indices(con, result, period_from=None, period_to=None, reference_year=None)
    shared = con.execute("SELECT count(*) FROM index_series WHERE level_sid IS NOT NULL").fetchone()[0]
    cells = con.execute("SELECT count(*) FROM index_cells").fetchone()[0]
    want = oracle_indices(result)
    assert shared > 0 and cells < len(want)              # e.g. a province's division made of one class
    assert con.execute("SELECT count(*) FROM index_levels").fetchone()[0] == len(want)
    # rewriting some months of a series that shares its levels leaves the other series as they were
    s = con.execute("""SELECT s.indicator, s.area, s.node, t.node FROM index_series s
                       JOIN index_series t ON t.sid = s.level_sid LIMIT 1""").fetchone()
    from iip.compile import write_tidy
    write_tidy(con, pd.DataFrame({"indicator": [s[0]], "area": [s[1]], "node": [s[2]], "period": ["2019-03"],
                                  "index": [123.0]}))
    got = stored(con)
    changed = (got.indicator == s[0]) & (got.area == s[1]) & (got.node == s[2]) & (got.period == "2019-03")
    assert got.loc[changed, "index"].tolist() == [123.0]
    keep = ~changed & ~((got.indicator == s[0]) & (got.area == s[1]) & got.period.isin(["2019-04", "2020-03"]))
    both = got[keep].merge(want, on=KEY, suffixes=("", "_w"))
    assert len(both) == keep.sum()
    assert np.allclose(both["index"], both["index_w"], rtol=1e-12)   # the series it shared with is unchanged


def test_series_keep_their_ids_when_a_compile_drops_some_and_adds_others(linked):
    reports, weights = linked
    con = connect(":memory:")
    full = compiled(reports, weights)
    write_indices(con, full, period_from=None, period_to=None, reference_year=None)
    before = con.execute("SELECT indicator, area, node, sid FROM index_series").df()
    # a compile of production alone, and one without the first enterprise's reports: fewer series, none new
    first = reports[0]["enterprise_id"]
    some = compiled([r for r in reports if r["enterprise_id"] != first], weights)
    fewer = compile_indices(quantities(reports), products=products_frame(), weights=weights, tree=TREE,
                            region_of=REGION_OF, indicators=("production",))
    assert len(fewer.series) < len(full.series) and len(some.series) < len(full.series)
    for result in (fewer, some, full):
        write_indices(con, result, period_from=None, period_to=None, reference_year=None)
        after = con.execute("SELECT indicator, area, node, sid FROM index_series").df()
        both = before.merge(after, on=["indicator", "area", "node"], suffixes=("", "_now"))
        assert len(both) == len(before) and (both["sid"] == both["sid_now"]).all()   # no id ever changes
        assert_same(stored(con), oracle_indices(result))          # and every stored series reads its own levels
    # a series that is new to the store is appended after the existing ids
    con.execute("DELETE FROM index_series WHERE sid = (SELECT max(sid) FROM index_series)")
    write_indices(con, full, period_from=None, period_to=None, reference_year=None)
    assert con.execute("SELECT count(*), max(sid) FROM index_series").fetchone() == (len(before), len(before) - 1)
    assert_same(stored(con), oracle_indices(full))
