"""Commands beside a running ``iip serve``, on a DuckDB file and on PostgreSQL (two worker processes): show, export,
ingest and compile work while the service runs, and the service shows the new compile without a restart. A command that cannot get
a DuckDB store names the process holding it and what to do."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pandas as pd
import pytest

from iip.store import connect
from iip.store.cluster import free_port

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-c", "from iip.cli import app; app()"]
SERIES = {"indicator": "production", "area": "VN", "node": "TOTAL", "measure": "index", "from": "2022-06"}


def iip(target: str, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--db", target, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from iip.synth import write_synthetic

    d = tmp_path_factory.mktemp("sbs")
    paths = write_synthetic(d / "synth", scale="small")
    rep = pd.read_parquet(paths["reports"])
    rep.loc[rep["period"] >= "2022-06", "produced"] *= 1.25      # a correction of the last months
    rep.to_parquet(d / "corrected.parquet")
    return {**paths, "corrected": d / "corrected.parquet"}


@pytest.fixture(params=["duckdb", "postgres"])
def target(request, inputs, tmp_path):
    from iip.compile import compile_store
    from iip.ingest.microdata import ingest_file

    if request.param == "duckdb":
        t = str(tmp_path / "store.duckdb")
    else:
        t = request.getfixturevalue("pg_url")
    with connect(t) as con:
        for kind in ("register", "products", "weights", "reports"):
            ingest_file(con, kind, inputs[kind])
        compile_store(con)
    return t


@pytest.fixture()
def server(target):
    """``iip serve`` on the store: one worker on a DuckDB file, two worker processes on PostgreSQL."""
    port = free_port()
    workers = "1" if target.endswith(".duckdb") else "2"
    proc = subprocess.Popen([*CLI, "--db", target, "serve", "--port", str(port), "--workers", workers,
                             "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            if proc.poll() is not None:
                pytest.fail(f"iip serve exited: {proc.stderr.read()}")
            try:
                if httpx.get(f"{base}/api/health", timeout=2).json().get("ready"):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def latest(base: str) -> float:
    r = httpx.get(f"{base}/api/series", params=SERIES, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["series"][0]["values"][-1]


def test_commands_beside_the_service(target, server, inputs, tmp_path):
    before = latest(server)
    shown = iip(target, "show")
    assert shown.returncode == 0 and "TOTAL" in shown.stdout, shown.stderr
    out = tmp_path / "indices.csv"
    exported = iip(target, "export", "indices", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert len(pd.read_csv(out)) > 100_000
    assert latest(server) == before                    # the service kept serving meanwhile
    ingested = iip(target, "ingest", "reports", str(inputs["corrected"]))
    assert ingested.returncode == 0 and "new or changed" in ingested.stdout, ingested.stderr
    compiled = iip(target, "compile")
    assert compiled.returncode == 0, compiled.stderr
    with connect(target, read_only=True) as con:
        expected = con.execute("SELECT \"index\" FROM index_levels WHERE indicator = 'production' AND area = 'VN' "
                               "AND node = 'TOTAL' ORDER BY period DESC LIMIT 1").fetchone()[0]
    assert abs(expected - before) > 1                 # the correction moved the latest month
    deadline = time.monotonic() + 20
    while latest(server) != pytest.approx(expected, abs=1e-6) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert latest(server) == pytest.approx(expected, abs=1e-6)   # the new compile, without a restart


def test_a_held_duckdb_store_names_its_holder(tmp_path):
    db = tmp_path / "held.duckdb"
    connect(db).close()
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time, duckdb; c = duckdb.connect(sys.argv[1]); "
                               "print('holding', flush=True); time.sleep(120)", str(db)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        res = iip(str(db), "show", env={"IIP_STORE_WAIT": "0.5"})
        assert res.returncode == 1
        msg = " ".join(res.stderr.split())
        assert f"PID {holder.pid}" in msg and "wait until it finishes" in msg and "Traceback" not in msg
    finally:
        holder.kill()
        holder.wait()
