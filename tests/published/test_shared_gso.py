"""Import every shared GSO workbook + the IMF file; check figures read off the tables by hand, per era."""
import pytest

from iip.ingest.published import import_gso
from iip.ingest.sdmx import import_sdmx
from iip.published.run import build_levels, check_consistency
from iip.store import connect

pytestmark = [pytest.mark.shared, pytest.mark.slow]

# (file prefix, node, period, measure, status, value) -- read off the workbooks' IIP tables
CHECKS = [
    ("2012-01-30", "TOTAL", "2012-01", "yoy", "estimate", 97.5934),     # .xls, '02IIP', VSIC-1993-style rows
    ("2012-12-28", "TOTAL", "2012-11", "yoy", "actual", 104.8702),      # 'Chính thức tháng 11 ...'
    ("2013-06-29", "11", "2013-06", "yoy", "estimate", 104.44),         # .xls 'IIP', divisions
    ("2014-02-28", "26", "2014-02", "yoy", "estimate", 118.3253),       # label over two lines
    ("2015-03-29", "05", "2015-Q1", "yoy", "estimate", 103.19),         # first .xlsx, 'Quí I'
    ("2015-03-29", "TOTAL", "2015-02", "ytd_yoy", "actual", 109.62),
    ("2018-09-28", "TOTAL", "2018-Q2", "yoy", "actual", 108.19),        # '8.IIPquy', 'Thực hiện quý II'
    ("2018-09-28", "05", "2018-09", "mom", "estimate", 107.67),         # '7.IIPthang'
    ("2020-05-29", "26", "2020-05", "ytd_yoy", "estimate", 106.7343),
    ("2020-05-29", "TOTAL", "2020-04", "yoy", "actual", 90.5623),
    ("2022-12-29", "TOTAL", "2022-12", "ytd_yoy", "estimate", 107.76),  # 'Năm 2022 so với năm 2021'
    ("2022-12-29", "TOTAL", "2022-Q4", "yoy", "estimate", 103.02),      # '12.IIPquy', 'Ước tính quý IV'
    ("2022-12-29", "06", "2022-12", "yoy", "estimate", 93.42),
]


# (file prefix, indicator, area, node, period, measure, status, value) -- products and labour, as the workbooks
# show them (two decimals; sheet and row in the comment): the stored figure must round to what a reader sees
CHECKS_OTHER = [
    ("2022-06-29", "product_output", "VN", "COAL", "2022-06", "level", "estimate", 4562.55),    # 11.SPCNthang r9
    ("2022-06-29", "product_output", "VN", "COAL", "2022-05", "level", "actual", 4659.96),
    ("2022-06-29", "product_output", "VN", "COAL", "2022-06", "ytd_level", "estimate", 26318.11),
    ("2022-06-29", "product_output", "VN", "COAL", "2022-H1", "level", "estimate", 26318.11),
    ("2022-06-29", "product_output", "VN", "COAL", "2022-06", "ytd_yoy", "estimate", 109.86),
    ("2022-06-29", "product_output", "VN", "ALUMINA", "2022-06", "yoy", "estimate", 106.95),  # r14
    ("2013-12-30", "product_output", "VN", "COAL", "2013", "yoy", "estimate", 98.2),     # 'Năm 2013 so năm 2012'
    ("2013-12-30", "product_output", "VN", "COAL", "2013", "level", "estimate", 41193.95),   # 'Cộng dồn 12 tháng'
    ("2012-02-29", "product_output", "VN", "BEER_DRAUGHT", "2012-02", "level", "estimate", 8.47),  # 'Trong đó: Bia hơi'
    ("2012-12-28", "product_output", "VN", "STEEL_ROUND_10MM", "2012-12", "level", "estimate", 168.73),  # indented
    ("2016-06-29", "product_output", "VN", "CRUDE_OIL", "2016-06", "yoy", "estimate", 85.71),
    ("2022-06-29", "labour", "VN", "TOTAL", "2022-06", "yoy", "estimate", 105.79),     # 14.LĐCN r10 ('1/6/2022')
    ("2022-06-29", "labour", "27", "TOTAL", "2022-06", "yoy", "estimate", 119.97),     # 10. LĐCN_DP r11 Bắc Ninh
    ("2016-06-29", "labour", "VN", "TOTAL", "2016-06", "yoy", "estimate", 105.9),  # LAO DONG r11
    ("2020-09-29", "production", "VN", "TOTAL", "2020-09", "yoy", "estimate", 103.8),  # English workbook, sheet 7
    ("2020-09-29", "product_output", "VN", "COAL", "2020-09", "level", "estimate", 3757.84),  # sheet 9
]


@pytest.fixture(scope="module")
def imported(shared_dir, tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("shared") / "s.duckdb")
    res = import_gso(con, [shared_dir / "data" / "gso-monthly"])
    assert len(res) == 263 and not [r for r in res if r.status == "failed"]
    import_sdmx(con, shared_dir / "data" / "imf-nsdp" / "IIPVNM-2024q3.xml")
    build_levels(con)
    return con, res


@pytest.fixture(scope="module")
def store(imported):
    return imported[0]


def test_no_iip_tables_before_june_2011(imported):
    """GSO's workbooks carry IIP tables from June 2011 (gross output value before): every workbook of 2000-2010
    (and January-May 2011) is reported 'no IIP tables', every later one 'imported'."""
    _, res = imported
    by_year = {r.file: r.status for r in res}
    early = {f: s for f, s in by_year.items() if f[:7] < "2011-06"}
    assert len(early) == 124 and set(early.values()) == {"no IIP tables"}
    assert len([f for f in early if f[:4] <= "2010"]) == 119
    assert set(s for f, s in by_year.items() if f[:7] >= "2011-06") == {"imported"}


def test_tcvn3_product_tables_read(store):
    """The 2000-2010 product tables typed in TCVN3 are decoded and read (values read off the workbooks by hand)."""
    rows = store.execute("""SELECT file, sheet, cell, node, period, measure, value, unit FROM published_figures
        JOIN published_files USING (file_id) WHERE (file LIKE '2000-01-31%' AND node IN ('COAL', 'CEMENT')
              AND period = '2000-01' AND measure = 'level') OR (file LIKE '2008-02-29%' AND node = 'COAL'
              AND period = '2008-02' AND measure = 'yoy') ORDER BY file, node""").fetchall()
    assert [r[:6] for r in rows] == [("2000-01-31-bieu-thang-1.xls", "Tiep1", "D40", "CEMENT", "2000-01", "level"),
                                     ("2000-01-31-bieu-thang-1.xls", "3sp", "D10", "COAL", "2000-01", "level"),
                                     ("2008-02-29-Solieu0208-1.xls", "04SPCN", "F10", "COAL", "2008-02", "yoy")]
    assert [r[6] for r in rows] == pytest.approx([983.1, 827.8, 115.3966], abs=1e-4)
    assert rows[1][7] == "Nghìn tấn"          # 'Ngh×n tÊn'
    skipped = store.execute("SELECT count(*) FROM published_warnings WHERE message LIKE '%TCVN3%'").fetchone()[0]
    assert skipped == 0


def test_release_month_read_off_the_tables(shared_dir):
    """Where a workbook's titles or headers name its month, it is the month of the file name, except the one
    workbook filed under the wrong month (2006-03-29-Bieu0205.xls holds February's tables)."""
    from iip.pools import process_pool
    files = sorted((shared_dir / "data" / "gso-monthly").iterdir())
    with process_pool(2) as ex:
        found = dict(zip([f.name for f in files], ex.map(_release_in_content, files)))
    named = {f: m for f, m in found.items() if m is not None}
    assert len(named) >= 240
    assert {f: m for f, m in named.items() if m != f[:7]} == {"2006-03-29-Bieu0205.xls": "2006-02"}


def _release_in_content(path):
    from iip.ingest.gso.parse import release_in_tables
    from iip.ingest.gso.tables import find_tables, has_table_title
    from iip.ingest.gso.workbook import read_workbook
    return release_in_tables([t for _, rows in read_workbook(path, keep=has_table_title) for t in find_tables(rows)
                              if t.rows])


def test_year_to_date_without_holes(store):
    """March's ytd_yoy is the first quarter's yoy (status derived), January's the month's; TOTAL's ytd series
    2012-2022 has every month."""
    q1 = store.execute("""SELECT f.value, d.value, d.derived_from FROM published_vintages f JOIN published_vintages d
        ON d.file = f.file AND d.node = f.node AND d.indicator = f.indicator AND d.area = f.area
        WHERE f.node = 'TOTAL' AND f.area = 'VN' AND f.indicator = 'production' AND f.period = '2018-Q1'
          AND f.measure = 'yoy' AND d.period = '2018-03' AND d.measure = 'ytd_yoy' AND d.status = 'derived'""").fetchall()
    assert q1 and all(a == b and how == "2018-Q1 yoy" for a, b, how in q1)
    months = store.execute("""SELECT count(DISTINCT period) FROM published_latest WHERE node = 'TOTAL' AND area = 'VN'
        AND indicator = 'production' AND measure = 'ytd_yoy' AND period BETWEEN '2012-01' AND '2022-12'
        AND regexp_matches(period, '^[0-9]{4}-[0-9]{2}$')""").fetchone()[0]
    assert months == 132


@pytest.mark.parametrize("prefix,node,period,measure,status,value", CHECKS)
def test_published_figures_per_era(store, prefix, node, period, measure, status, value):
    rows = store.execute("""SELECT value, status FROM published_vintages
        WHERE file LIKE ? AND indicator='production' AND area='VN' AND node=? AND period=? AND measure=?""",
                         [prefix + "%", node, period, measure]).fetchall()
    assert len(rows) == 1
    assert rows[0][0] == pytest.approx(value, abs=1e-4) and rows[0][1] == status


@pytest.mark.parametrize("prefix,indicator,area,node,period,measure,status,value", CHECKS_OTHER)
def test_products_labour_english(store, prefix, indicator, area, node, period, measure, status, value):
    rows = store.execute("""SELECT value, status FROM published_vintages
        WHERE file LIKE ? AND indicator=? AND area=? AND node=? AND period=? AND measure=?""",
                         [prefix + "%", indicator, area, node, period, measure]).fetchall()
    assert len(rows) == 1
    assert rows[0][0] == pytest.approx(value, abs=0.005) and rows[0][1] == status


def test_every_product_row_mapped(store):
    """Every product row GSO printed 2011-2022 maps to a catalogue code, except GSO's mislabelled
    'Sản xuất trang phục' rows of 2012 (unit 'triệu đôi': a footwear line with a division's name)."""
    unknown = store.execute("""SELECT DISTINCT message FROM published_warnings JOIN published_files USING (file_id)
        WHERE release >= '2011-01' AND message LIKE '%(product); skipped'""").fetchall()
    assert unknown and all("trang phục" in m for (m,) in unknown)
    provinces = store.execute("""SELECT count(DISTINCT area) FROM published_figures
        WHERE indicator='labour' AND area <> 'VN' AND release='2022-12'""").fetchone()[0]
    assert provinces == 63


def test_sdmx_discontinuity_found(store):
    """The TOTAL series' implied yoy is beyond 5 points from 2022-02, but the step begins in 2022-01 (the yoy
    difference moves from -5.6 to +0.8 points, then to +9.0)."""
    cmp, runs = check_consistency(store)
    total = runs[runs.node == "TOTAL"]
    assert total[["start", "first_flagged", "end"]].values.tolist() == [["2022-01", "2022-02", "2022-10"]]
    jan = cmp[(cmp.node == "TOTAL") & (cmp.period.isin(["2021-12", "2022-01"]))]["diff"].tolist()
    assert jan == pytest.approx([-5.60, 0.84], abs=0.01)


def test_levels_view(store):
    df = store.execute("SELECT * FROM published_levels WHERE source='GSO' AND node='TOTAL' AND period LIKE '2020-%'").df()
    assert list(df.columns) == ["source", "indicator", "area", "node", "period", "value"]
    assert len(df) == 12 and df.value.mean() == pytest.approx(100, abs=1e-6)
