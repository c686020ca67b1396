"""Shared fixtures. Tests that need the real files in ../shared skip with a clear message when absent; tests that need
a PostgreSQL server get a throwaway cluster (initdb + pg_ctl on a free port, as a non-root user) and skip with a
message when the server binaries or DuckDB's postgres extension cannot be had."""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from iip.compile import compile_store
from iip.ingest.microdata import ingest_file
from iip.store import connect
from iip.synth import generate

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IIP_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "data").is_dir():
        pytest.skip(f"../shared not found at {SHARED}: real GSO/IMF files are not on this machine")
    return SHARED


@pytest.fixture()
def db(tmp_path) -> Path:
    """A fresh store path in a temporary folder."""
    return tmp_path / "test.duckdb"


# --- the demo store and a post-merger store (synthetic data at scale small, real ingest + compile) ------------
def build_synthetic_store(path: Path, *, last: str | None = None) -> Path:
    """Synthetic microdata (scale small, seed 2020, to ``last``), ingested and compiled into ``path``."""
    syn = generate(scale="small", seed=2020, **({"last": last} if last else {}))
    d = path.parent
    syn.register.to_csv(d / "register.csv", index=False)
    syn.products.to_csv(d / "products.csv", index=False)
    syn.weights.to_csv(d / "weights.csv", index=False)
    pq.write_table(syn.reports, d / "reports.parquet")
    con = connect(path)
    for kind, name in (("register", "register.csv"), ("products", "products.csv"), ("weights", "weights.csv"),
                       ("reports", "reports.parquet")):
        ingest_file(con, kind, d / name)
    compile_store(con)
    from iip import disclosure

    disclosure.refresh(con)   # stored once: copies of the store read it
    con.close()
    return path


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory) -> Path:
    return build_synthetic_store(tmp_path_factory.mktemp("demo") / "demo.duckdb")


@pytest.fixture(scope="session")
def merged_store(tmp_path_factory) -> Path:
    return build_synthetic_store(tmp_path_factory.mktemp("merged") / "merged.duckdb", last="2025-09")


_names = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster():
    """The cluster, started once for the session and removed at its end."""
    from iip.errors import StoreError
    from iip.store.cluster import TempCluster, server_bin
    from iip.store.postgres import extension_file

    if server_bin() is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql, or set IIP_PG_BIN")
    try:
        extension_file()
    except StoreError as exc:
        pytest.skip(f"DuckDB's postgres extension cannot be loaded: {exc}")
    cluster = TempCluster()
    try:
        cluster.start()
    except StoreError as exc:
        cluster.stop()
        pytest.skip(f"cannot start a throwaway PostgreSQL cluster: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture()
def pg_url(pg_cluster) -> str:
    """A fresh, empty database on the session's cluster."""
    return pg_cluster.create(f"t{next(_names)}")
