"""A throwaway PostgreSQL cluster (initdb + pg_ctl on a free port in a temporary folder, run as a non-root user)
for the tests that compare the two stores; they skip with a message when the server binaries or the DuckDB
postgres extension cannot be had."""
from __future__ import annotations

import itertools

import pytest

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
