"""The microdata stage of a compile -- the scan and aggregation of reports (enterprises x products x months) into
product x province x month quantities -- on DuckDB or on Apache Spark, from the store's ``reports`` table or from
a Parquet dataset partitioned by period (a data lake: ``DIR/period=YYYY-MM/*.parquet``).

Both engines run the same Ibis expression (:func:`iip.compile.aggregate_reports`); register and products always
come from the store. DuckDB streams the Parquet files through the join and the group-by (memory stays flat
whatever the number of years); Spark (through Ibis' PySpark backend) runs in local mode by default, on a
cluster with ``spark_master`` (``spark://host:7077``, ``yarn``...) or through Spark Connect when $SPARK_REMOTE
is set (``sc://host:15002``). README ("Where each engine wins") compares them.
"""
from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import ibis
import pyarrow as pa

from iip.errors import IIPError, OptionError
from iip.validation import LAYOUTS

ENGINES = ("duckdb", "spark")
#: The report columns a lake's files must hold (period comes from the partition folders).
LAKE_COLUMNS = ("enterprise_id", "product_code", "produced", "sold", "closing_stock")
LAKE_VIEW = "_iip_lake_reports"


def check_engine(engine: str, spark_master: str | None = None) -> str:
    """The engine name, or an OptionError naming the choices (or a Spark master given without Spark)."""
    if engine not in ENGINES:
        raise OptionError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}", option="--engine")
    if spark_master and engine != "spark":
        raise OptionError("--spark-master goes with --engine spark", option="--spark-master")
    return engine


def lake_glob(lake: str | os.PathLike) -> str:
    """The Parquet files of a dataset partitioned by period: ``DIR/period=YYYY-MM/*.parquet`` (hive layout);
    an IIPError naming the folder when there are none."""
    root = Path(lake)
    if not root.is_dir():
        raise OptionError(f"--reports {lake}: no such folder (a Parquet dataset partitioned by period, "
                          "DIR/period=YYYY-MM/*.parquet)", option="--reports")
    if not any(root.glob("period=*/*.parquet")):
        raise OptionError(f"--reports {lake}: no period=YYYY-MM/*.parquet files in it (write one with "
                          "`iip synth --scale country --out DIR`)", option="--reports")
    return str(root / "period=*" / "*.parquet")


def _lake_view(con: duckdb.DuckDBPyConnection, lake: str | os.PathLike) -> str:
    """A temporary view of the lake's reports with the store's report columns, typed (period from the folders)."""
    files = lake_glob(lake).replace("'", "''")
    src = f"read_parquet('{files}', hive_partitioning = true, hive_types = {{'period': VARCHAR}})"
    have = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {src}").fetchall()}
    missing = [c for c in (*LAKE_COLUMNS, "period") if c not in have]
    if missing:
        raise IIPError(f"--reports {lake}: the files have no column {', '.join(missing)} (they need "
                       f"{', '.join(LAKE_COLUMNS)}, and period=YYYY-MM folders)")
    types = LAYOUTS["reports"].sql_types()
    cols = ", ".join(f"CAST({c} AS {types[c]}) AS {c}" for c in ("enterprise_id", "period", *LAKE_COLUMNS[1:]))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {LAKE_VIEW} AS SELECT {cols} FROM {src}")
    return LAKE_VIEW


@functools.cache
def aggregate_sql(reports: str = "reports", *, reported_only: bool = False) -> str:
    """:func:`iip.compile.aggregate_reports` as DuckDB SQL over the store's tables (typed by their layouts),
    with the reports read from relation ``reports`` (``reported_only``: its status R lines only)."""
    from iip.compile import aggregate_reports

    tables = {k: ibis.table(LAYOUTS[k].ibis_schema(with_status=reported_only and k == "reports"),
                            name=reports if k == "reports" else k)
              for k in ("reports", "register", "products")}
    return str(ibis.to_sql(aggregate_reports(tables["reports"], tables["register"], tables["products"],
                                             reported_only=reported_only), dialect="duckdb"))


def aggregate_duckdb(con: duckdb.DuckDBPyConnection, lake: str | os.PathLike | None = None, *,
                     reported_only: bool = False) -> pa.Table:
    """The aggregated quantities computed by DuckDB, from the store's reports (``reported_only``: status R
    only) or the lake's (reports as reported)."""
    name = _lake_view(con, lake) if lake is not None else "reports"
    try:
        return con.sql(aggregate_sql(name, reported_only=reported_only and lake is None)).to_arrow_table()
    finally:
        if lake is not None:
            con.execute(f"DROP VIEW IF EXISTS {LAKE_VIEW}")


# ---------------------------------------------------------------------------------------------------- Spark
def _java() -> None:
    home = os.environ.get("JAVA_HOME")
    if not (shutil.which("java") or (home and Path(home, "bin", "java").exists())):
        raise IIPError("--engine spark needs a Java runtime (Debian: apt-get install default-jre-headless; or set "
                       "JAVA_HOME)")


def _is_local(master: str | None) -> bool:
    return not os.environ.get("SPARK_REMOTE") and (master is None or master.startswith("local"))


@contextmanager
def spark_session(master: str | None = None, *, workdir: str | None = None) -> Iterator:
    """A SparkSession: Spark Connect when $SPARK_REMOTE is set (and no ``master``), else ``master`` (default
    ``local[*]``: every core of this machine). Stopped at the end of the block."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise IIPError("--engine spark needs pyspark (pip install 'ibis-framework[pyspark]')") from None
    remote = os.environ.get("SPARK_REMOTE") if master is None else None
    builder = SparkSession.builder.appName("iip compile")
    if remote:
        try:
            builder = builder.remote(remote)
        except ImportError as exc:
            raise IIPError(f"Spark Connect ($SPARK_REMOTE={remote}) needs pyspark's connect extras "
                           f"(pip install 'pyspark[connect]'): {exc}") from None
    else:
        _java()
        tmp = workdir or tempfile.gettempdir()
        if _is_local(master):   # a local session talks to itself on the loopback interface only
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            builder = builder.config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress",
                                                                               "127.0.0.1")
        builder = (builder.master(master or "local[*]")
                   .config("spark.sql.warehouse.dir", str(Path(tmp) / "spark-warehouse"))
                   .config("spark.local.dir", tmp)
                   .config("spark.ui.enabled", "false")
                   .config("spark.driver.memory", os.environ.get("IIP_SPARK_DRIVER_MEMORY", "2g"))
                   .config("spark.sql.shuffle.partitions", str(max(4, 2 * (os.cpu_count() or 1))))
                   .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - Py4J / gRPC errors: one sentence, never a traceback
        where = remote or master or "local[*]"
        raise IIPError(f"cannot start Spark ({where}): {str(exc).splitlines()[0] if str(exc) else exc}") from None
    if not remote:
        session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()


def _spark_reports(session, con: duckdb.DuckDBPyConnection, lake, master: str | None, workdir: str,
                   reported_only: bool = False):
    """The reports as a Spark DataFrame: the lake's files, or the store's table (written to Parquet in
    ``workdir`` for a local session, sent from this process to a cluster; ``reported_only``: status R lines)."""
    cols = ["enterprise_id", "period", *LAKE_COLUMNS[1:]]
    where = " WHERE status = 'R'" if reported_only else ""
    if lake is not None:
        lake_glob(lake)
        df = session.read.option("basePath", str(lake)).parquet(str(Path(lake) / "period=*"))
        missing = [c for c in cols if c not in df.columns]
        if missing:
            raise IIPError(f"--reports {lake}: the files have no column {', '.join(missing)}")
        return df.select(*cols)
    if _is_local(master):
        out = Path(workdir) / "reports"
        con.execute(f"COPY (SELECT {', '.join(cols)} FROM reports{where}) TO '{out}' (FORMAT parquet, "
                    "PARTITION_BY (period), OVERWRITE_OR_IGNORE true)")
        if not any(out.glob("period=*/*.parquet")):
            return session.createDataFrame(con.execute(f"SELECT {', '.join(cols)} FROM reports{where}").df())
        return session.read.option("basePath", str(out)).parquet(str(out / "period=*")).select(*cols)
    return session.createDataFrame(con.execute(f"SELECT {', '.join(cols)} FROM reports{where}").df())


def aggregate_spark(con: duckdb.DuckDBPyConnection, lake: str | os.PathLike | None = None, *,
                    master: str | None = None, reported_only: bool = False) -> pa.Table:
    """The aggregated quantities computed by Spark (Ibis' PySpark backend), from the store's reports
    (``reported_only``: status R only) or the lake's; register and products are sent from the store."""
    from iip.compile import aggregate_reports

    with tempfile.TemporaryDirectory(prefix="iip-spark-") as workdir, spark_session(master, workdir=workdir) as s:
        reports = _spark_reports(s, con, lake, master, workdir, reported_only and lake is None)
        s.createDataFrame(con.execute("SELECT enterprise_id, province FROM register").df()) \
            .createOrReplaceTempView("iip_register")
        s.createDataFrame(con.execute("SELECT product_code FROM products").df()) \
            .createOrReplaceTempView("iip_products")
        reports.createOrReplaceTempView("iip_reports")
        backend = ibis.pyspark.connect(s)
        expr = aggregate_reports(backend.table("iip_reports"), backend.table("iip_register"),
                                 backend.table("iip_products"))
        schema = ibis.schema({"product": "int16", "province": "int16", "period": "string", "produced": "float64",
                              "sold": "float64", "closing_stock": "float64"})
        return expr.cast(schema).to_pyarrow()


def aggregate(con: duckdb.DuckDBPyConnection, *, engine: str = "duckdb", lake: str | os.PathLike | None = None,
              spark_master: str | None = None, reported_only: bool = False) -> pa.Table:
    """product, province, period, produced, sold, closing_stock: the reports aggregated by ``engine``
    (``reported_only``: the store's status R lines, not the imputed ones)."""
    if check_engine(engine, spark_master) == "spark":
        return aggregate_spark(con, lake, master=spark_master, reported_only=reported_only)
    return aggregate_duckdb(con, lake, reported_only=reported_only)
