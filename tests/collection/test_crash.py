"""kill -9 during ingest, imputation or compile leaves the store as it was before (or fully written), and a
rerun completes it; a further rerun changes nothing. The child is killed at a named point it signals
(:mod:`iip.store.checkpoints`): after writing everything but before COMMIT (the store must be as before), and
right after COMMIT (the store must be fully written) -- never at a fraction of a measured run time."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iip.ingest.microdata import ingest_file
from iip.store import connect
from iip.store.checkpoints import ANNOUNCE, PAUSE_AT

pytestmark = pytest.mark.slow
CHILD = {
    "ingest": "from iip.ingest.microdata import ingest_file; ingest_file(con, 'reports', sys.argv[2])",
    "impute": "from iip.quality.drivers.impute import impute_store; impute_store(con, '2022-01', '2022-12')",
    "impute_all": "from iip.quality.drivers.impute import impute_all; impute_all(con)",
    "compile": "from iip.compile import compile_store; compile_store(con)",
}


def run_child(op: str, db: Path, arg: str = "", kill_at: str | None = None) -> None:
    """Run one operation in a child process; with ``kill_at`` (a checkpoint name) kill -9 it there."""
    code = f"import sys; from iip.store import connect; con = connect(sys.argv[1]); {CHILD[op]}; con.close()"
    env = {k: v for k, v in os.environ.items() if k != PAUSE_AT}
    if kill_at:
        env[PAUSE_AT] = kill_at
    p = subprocess.Popen([sys.executable, "-c", code, str(db), arg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env)
    if kill_at is None:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err.decode()[-2000:]
        return
    assert p.stderr is not None
    seen = []
    for line in iter(p.stderr.readline, b""):   # the child stops itself once it has announced the point
        seen.append(line.decode(errors="replace"))
        if line.decode().strip() == f"{ANNOUNCE} {kill_at}":
            break
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=60)
    assert seen and seen[-1].strip() == f"{ANNOUNCE} {kill_at}", f"never reached {kill_at}: {''.join(seen)[-2000:]}"


def counts(db: Path) -> dict:
    con = connect(db)
    try:
        q = {"reports": "SELECT count(*) FROM reports", "imputed": "SELECT count(*) FROM reports WHERE status <> 'R'",
             "history": "SELECT count(*) FROM reports_history", "loads": "SELECT count(*) FROM loads",
             "indices": "SELECT count(*) FROM indices", "imputations": "SELECT count(*) FROM imputations"}
        return {k: con.execute(v).fetchone()[0] for k, v in q.items()}
    finally:
        con.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from iip.synth import write_synthetic
    d = tmp_path_factory.mktemp("crash")
    paths = write_synthetic(d / "synth", scale="small")
    rep = pd.read_parquet(paths["reports"])
    keep = ~((rep["period"] >= "2022-01") & (np.random.default_rng(7).random(len(rep)) < 0.05))
    rep[keep].to_parquet(d / "reports.parquet")
    db = d / "base.duckdb"
    con = connect(db)
    for k in ("register", "products", "weights"):
        ingest_file(con, k, paths[k])
    con.close()
    return d, db


def _check(op, d, db_before, arg=""):
    full = d / f"{op}_full.duckdb"
    shutil.copy(db_before, full)
    before = counts(db_before)
    run_child(op, full, arg)
    after = counts(full)
    assert after != before, "the operation changed nothing: the test would prove nothing"
    for point, expected in ((f"{op}:before-commit", before), (f"{op}:after-commit", after)):
        killed = d / f"{op}_killed.duckdb"
        shutil.copy(db_before, killed)
        run_child(op, killed, arg, kill_at=point)
        assert counts(killed) == expected, f"store after kill -9 at {point}: {counts(killed)} (expected {expected})"
        run_child(op, killed, arg)   # a rerun completes (or, after the commit, repeats) the operation
        assert _same_data(counts(killed), after)
        again = counts(killed)
        run_child(op, killed, arg)
        assert _same_data(counts(killed), again)
    return after


def _same_data(a: dict, b: dict) -> bool:
    """Equal apart from audit rows (a no-op rerun still records its run in ``loads``)."""
    return {k: v for k, v in a.items() if k != "loads"} == {k: v for k, v in b.items() if k != "loads"}


def test_kill_during_ingest_impute_compile(base):
    d, db = base
    _check("ingest", d, db, str(d / "reports.parquet"))
    ingested = d / "ingest_full.duckdb"
    _check("impute", d, ingested)
    _check("impute_all", d, d / "impute_full.duckdb")     # the compile's own imputation, its own transaction
    _check("compile", d, d / "impute_all_full.duckdb")    # then the compile has nothing left to impute
