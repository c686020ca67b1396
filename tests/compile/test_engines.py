"""The microdata stage on DuckDB and on Spark, from the store and from a Parquet lake partitioned by period: the
same indices (to 1e-9) whichever engine aggregates and wherever the reports live. A small country-scale set
(a few thousand enterprises) stands in for the real scale, which only the benchmark runs."""
from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from iip.cli import app
from iip.store import connect

pytestmark = pytest.mark.slow


def run(*args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, f"iip {' '.join(args)}: {res.output}"
    return res.output


def indices(db) -> pd.DataFrame:
    with connect(db, read_only=True) as con:
        return con.execute("SELECT * EXCLUDE (run_id) FROM indices ORDER BY indicator, area, node, period").df()


def assert_equal_indices(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert len(a) == len(b) > 1000
    assert (a[["indicator", "area", "node", "period"]].to_numpy() == b[["indicator", "area", "node", "period"]]
            .to_numpy()).all()
    for c in ("index", "mom", "yoy", "ytd", "contrib_yoy", "contrib_ytd", "contrib_total_yoy"):
        x, y = a[c].to_numpy(float), b[c].to_numpy(float)
        assert (np.isnan(x) == np.isnan(y)).all(), c
        ok = ~np.isnan(x)
        assert np.abs(x[ok] - y[ok]).max() <= 1e-9, (c, np.abs(x[ok] - y[ok]).max())


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """A small country-scale set (3,000 enterprises, two years) and a store holding its register, products and
    weights; a second store that also holds the reports (ingested from the lake's files)."""
    from iip.ingest.microdata import ingest_file
    from iip.synth.country import write_country

    d = tmp_path_factory.mktemp("lake")
    paths = write_country(d / "country", years=2, enterprises=3000)
    base = d / "base.duckdb"
    with connect(base) as con:
        for kind in ("register", "products", "weights"):
            ingest_file(con, kind, paths[kind])
    full = d / "full.duckdb"
    shutil.copy(base, full)
    with connect(full) as con:
        con.execute(f"COPY (SELECT enterprise_id, period, product_code, produced, sold, closing_stock FROM "
                    f"read_parquet('{paths['reports']}/period=*/*.parquet', hive_partitioning = true)) "
                    f"TO '{d / 'reports.parquet'}' (FORMAT parquet)")
        ingest_file(con, "reports", d / "reports.parquet")
    return {"reports": paths["reports"], "base": base, "full": full, "dir": d}


def test_lake_equals_store_on_duckdb(lake):
    lake_db, store_db = lake["dir"] / "lake.duckdb", lake["dir"] / "store.duckdb"
    shutil.copy(lake["base"], lake_db)
    shutil.copy(lake["full"], store_db)
    out = run("--db", str(lake_db), "compile", "--reports", str(lake["reports"]))
    assert "reports from" in out or "compiled" in out
    run("--db", str(store_db), "compile")
    assert_equal_indices(indices(lake_db), indices(store_db))
    with connect(lake_db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM reports").fetchone()[0] == 0   # the lake stayed outside


@pytest.fixture(scope="module")
def spark_ok():
    import shutil as sh

    pytest.importorskip("pyspark", reason="pyspark is not installed: Spark engine tests skipped")
    if not sh.which("java"):
        pytest.skip("no Java runtime (apt-get install default-jre-headless): Spark engine tests skipped")


@pytest.mark.parametrize("source", ["lake", "store"])
def test_spark_equals_duckdb(spark_ok, lake, source):
    duck, spark = lake["dir"] / f"d_{source}.duckdb", lake["dir"] / f"s_{source}.duckdb"
    start = lake["base"] if source == "lake" else lake["full"]
    shutil.copy(start, duck)
    shutil.copy(start, spark)
    where = ["--reports", str(lake["reports"])] if source == "lake" else []
    run("--db", str(duck), "compile", "--engine", "duckdb", *where)
    run("--db", str(spark), "compile", "--engine", "spark", *where)
    assert_equal_indices(indices(spark), indices(duck))


def test_bad_lake_and_options_are_one_sentence(tmp_path, lake):
    db = tmp_path / "x.duckdb"
    shutil.copy(lake["base"], db)
    for args, says in ((["--reports", str(tmp_path / "nowhere")], "no such folder"),
                       (["--reports", str(tmp_path)], "no period=YYYY-MM"),
                       (["--spark-master", "local[2]"], "--spark-master goes with --engine spark")):
        res = CliRunner().invoke(app, ["--db", str(db), "compile", *args])
        assert res.exit_code == 1 and says in res.output and "Traceback" not in res.output, res.output
    (tmp_path / "odd" / "period=2022-01").mkdir(parents=True)
    pd.DataFrame({"enterprise_id": ["DN0000001"], "qty": [1.0]}).to_parquet(
        tmp_path / "odd" / "period=2022-01" / "part-0.parquet")
    res = CliRunner().invoke(app, ["--db", str(db), "compile", "--reports", str(tmp_path / "odd")])
    assert res.exit_code == 1 and "have no column product_code" in res.output, res.output


def test_country_synth_is_streamed_by_period(lake):
    parts = sorted(p.parent.name for p in lake["reports"].glob("period=*/part-0.parquet"))
    assert len(parts) == 24 and parts[0].endswith("-01") and parts[-1].endswith("-12")
    rows = pd.read_parquet(lake["reports"] / parts[0] / "part-0.parquet")
    assert list(rows.columns) == ["enterprise_id", "product_code", "produced", "sold", "closing_stock"]
    per_enterprise = len(rows) / rows["enterprise_id"].nunique()
    assert 10 < per_enterprise < 15                   # ~12.5 lines each: ~60 M rows a year at 400,000
    assert not rows.duplicated(["enterprise_id", "product_code"]).any()
