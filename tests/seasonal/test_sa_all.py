"""``iip sa --all`` on both stores: the release set by default, interrupted by a real SIGINT at a named point (the
test hook: "after batch 1 is committed"), resumed where it stopped, skipping what is unchanged, and the target
tracker of the web and ``iip target`` reading the same stored forecasts."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from iip.compile import write_tidy
from iip.seasonal.batch import INTERRUPT_HOOK
from iip.seasonal.x13 import find_x13
from iip.store import connect

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-c", "from iip.cli import app; app()"]
RELEASE = [("VN", "TOTAL"), ("VN", "C"), ("VN", "10"), ("01", "TOTAL"), ("79", "TOTAL"), ("RRD", "TOTAL")]
OUTSIDE = [("VN", "101"), ("01", "C")]         # a group nationally, a section in a province: not in the release set


def sa(target: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, "--db", target, "sa", "--all", "--workers", "2", "--batch-size", "2", *args],
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "COLUMNS": "200", **(env or {})})


def runs(target: str) -> pd.DataFrame:
    with connect(target, read_only=True) as con:
        return con.execute("SELECT run_id, area, node, status, input_sha256, (SELECT count(*) FROM sa_forecasts f "
                           "WHERE f.run_id = r.run_id) AS forecasts FROM sa_runs r ORDER BY run_id").df()


@pytest.fixture(params=["duckdb", "postgres"])
def target(request, synthetic, tmp_path):
    try:
        find_x13()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"x13as not available: {exc}")
    t = str(tmp_path / "sa.duckdb") if request.param == "duckdb" else request.getfixturevalue("pg_url")
    df = synthetic[0]
    rng = np.random.default_rng(11)
    rows = []
    for area, node in RELEASE + OUTSIDE:
        v = df["value"].to_numpy() * rng.uniform(0.5, 2.0) * np.exp(rng.normal(0, 0.01, len(df)))
        rows += [("production", area, node, p, x) for p, x in zip(df["period"], v)]
    with connect(t) as con:
        write_tidy(con, pd.DataFrame(rows, columns=["indicator", "area", "node", "period", "index"]), run_id=1)
    return t


def test_interrupted_and_resumed(target):
    first = sa(target, env={INTERRUPT_HOOK: "1"})
    assert first.returncode == 130, first.stdout + first.stderr
    out = " ".join(first.stdout.split())
    assert "release set" in out and f"{len(RELEASE)} of {len(RELEASE) + len(OUTSIDE)} stored series" in out
    assert "stopped" in out and "Traceback" not in first.stderr
    done = runs(target)
    assert 2 <= len(done) < len(RELEASE)                  # batch 1 and the series running at Ctrl-C, no more
    assert (done.loc[done["status"] == "ok", "forecasts"] > 0).all()

    second = sa(target)
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"{len(done)} unchanged since their last run (skipped), {len(RELEASE) - len(done)} to adjust" in \
        " ".join(second.stdout.split())
    after = runs(target)
    assert sorted(zip(after["area"], after["node"])) == sorted(RELEASE)   # each once; the outside series not at all

    third = sa(target)
    assert third.returncode == 0 and ", 0 to adjust" in " ".join(third.stdout.split())
    assert len(runs(target)) == len(RELEASE)

    with connect(target) as con:                           # a recompile changes one series: only it is redone
        con.execute("UPDATE index_cells SET \"index\" = \"index\" * 1.01 WHERE sid = (SELECT sid FROM index_series "
                    "WHERE area = '79' AND node = 'TOTAL')")
    fourth = sa(target)
    new = runs(target).iloc[len(RELEASE):]
    assert fourth.returncode == 0 and list(zip(new["area"], new["node"])) == [("79", "TOTAL")]

    everything = sa(target, "--everything")
    new = runs(target).iloc[len(RELEASE) + 1:]
    assert everything.returncode == 0 and sorted(zip(new["area"], new["node"])) == sorted(OUTSIDE)


@pytest.fixture()
def compiled(tmp_path):
    """A small compiled store (synthetic microdata) whose national TOTAL has a stored adjustment run, made as
    ``iip sa --all`` makes it."""
    from iip.compile import compile_store
    from iip.ingest.microdata import ingest_file
    from iip.seasonal.batch import adjust_many, load_series, save_outcomes
    from iip.synth import write_synthetic

    try:
        find_x13()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"x13as not available: {exc}")
    paths = write_synthetic(tmp_path / "synth", scale="small")
    db = str(tmp_path / "demo.duckdb")
    with connect(db) as con:
        for kind in ("register", "products", "weights", "reports"):
            ingest_file(con, kind, paths[kind])
        compile_store(con)
        items = [(k, df) for k, df in load_series(con, selection="release")
                 if k == ("compiled", "production", "VN", "TOTAL")]
        save_outcomes(con, adjust_many(items, options={"transform": "auto"}, workers=1))
    return db


def test_cli_target_and_web_tracker_use_the_same_forecasts(compiled):
    from fastapi.testclient import TestClient

    from iip.web.app import create_app

    cli = subprocess.run([*CLI, "--db", compiled, "target", "--target", "4"], capture_output=True,
                         text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert cli.returncode == 0, cli.stderr
    assert "forecasts of the stored adjustment run" in cli.stdout
    prob = float(re.search(r"probability of reaching \+4\.0%: ([0-9.]+)%", cli.stdout).group(1))
    year = int(re.search(r"production/VN/TOTAL (\d{4}):", cli.stdout).group(1))
    with TestClient(create_app(compiled, warm=False)) as client:
        r = client.get("/api/targets", params={"target": 4})
        assert r.status_code == 200, r.text
        web = r.json()
        page = client.get("/targets", params={"area": "79", "target": 4, "lang": "en"})
        page_vi = client.get("/targets", params={"area": "79", "target": 4, "lang": "vi"})
    assert web["year"] == year and web["n_sims"] == 20000 and web["run_id"] is not None
    assert web["probability"] * 100 == pytest.approx(prob, abs=0.05)
    assert "No seasonal adjustment stored for this series" in page.text            # the page's language
    assert "Chưa có kết quả điều chỉnh mùa vụ cho chuỗi này" in page_vi.text
