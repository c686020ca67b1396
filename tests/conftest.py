"""Shared fixtures. Tests that need the real files in ../shared skip with a clear message when absent; tests that need
a PostgreSQL server get a throwaway cluster (initdb + pg_ctl on a free port, as a non-root user) and skip with a
message when the server binaries or DuckDB's postgres extension cannot be had."""
from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

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
