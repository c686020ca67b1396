"""The demo on PostgreSQL equals the demo on DuckDB: the same commands (ingest, impute, outliers, labour,
compile, users, import of GSO workbooks, release, the web service and a submission through the collection API)
run on both stores, and every stored figure agrees to 1e-9 (texts exactly)."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from iip.cli import app
from iip.store import connect

pytestmark = pytest.mark.slow
PERIOD = "2022-06"


def run(target: str, *args: str, input: str | None = None) -> str:
    res = CliRunner().invoke(app, ["--db", target, *args], input=input)
    assert res.exit_code == 0, f"iip {' '.join(args)} on {target}: {res.output}"
    return res.output


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Synthetic small inputs with 5% of the 2022 reports missing (so imputation has work), and two GSO
    workbooks."""
    from iip.synth import write_synthetic

    d = tmp_path_factory.mktemp("inputs")
    paths = write_synthetic(d / "synth", scale="small")
    rep = pd.read_parquet(paths["reports"])
    drop = (rep["period"] >= "2022-01") & (np.random.default_rng(3).random(len(rep)) < 0.05)
    rep = rep[~drop].reset_index(drop=True)
    rep.to_parquet(d / "reports.parquet")
    fixed = rep.copy()
    fixed.loc[fixed.index[:: max(1, len(fixed) // 25)], "produced"] *= 1.1     # 25 corrections
    fixed.to_parquet(d / "reports_corrected.parquet")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "published"))
    from make_fixtures import make_all

    gso = [p for p in make_all(d / "gso") if "not-a-workbook" not in p.name]
    return {**{k: str(v) for k, v in paths.items()}, "reports": str(d / "reports.parquet"),
            "corrected": str(d / "reports_corrected.parquet"), "gso": [str(p) for p in gso],
            "out": d}


def build(target: str, inputs: dict, out: Path) -> dict:
    """Every command of the pipeline on one store; what the commands printed that must agree."""
    for kind in ("register", "products", "weights", "reports", "employment"):
        run(target, "ingest", kind, inputs[kind])
    run(target, "compile")
    run(target, "ingest", "reports", inputs["corrected"])
    run(target, "impute", "--from", "2022-01", "--period", "2022-12")
    run(target, "outliers", "--period", PERIOD)
    labour = run(target, "labour", "--period", PERIOD)
    run(target, "compile")
    run(target, "users", "add", "chief", "--role", "admin", "--password-stdin", input="a long passphrase 1\n")
    run(target, "import", "gso", *inputs["gso"])
    show = run(target, "show", "--period", PERIOD)
    run(target, "release", "--period", PERIOD, "--out", str(out / "release"))
    return {"show": show, "labour": labour}


@pytest.fixture(scope="module")
def stores(inputs, pg_cluster, tmp_path_factory):
    d = tmp_path_factory.mktemp("stores")
    duck, pg = str(d / "demo.duckdb"), pg_cluster.create("demo")
    printed = {t: build(t, inputs, d / name) for t, name in ((duck, "duckdb"), (pg, "postgres"))}
    return duck, pg, printed


def frame(target: str, sql: str) -> pd.DataFrame:
    with connect(target, read_only=True) as con:
        return con.execute(sql).df()


def assert_same(a: pd.DataFrame, b: pd.DataFrame, *, what: str) -> None:
    """Same rows (in order), texts equal, numbers within 1e-9 with the same missing cells."""
    assert list(a.columns) == list(b.columns) and len(a) == len(b) > 0, what
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            x, y = x.to_numpy(float), y.to_numpy(float)
            assert (np.isnan(x) == np.isnan(y)).all(), f"{what}.{c}: missing cells differ"
            ok = ~np.isnan(x)
            assert np.allclose(x[ok], y[ok], rtol=0, atol=1e-9), f"{what}.{c}: {np.abs(x[ok] - y[ok]).max()}"
        else:
            assert x.astype(str).tolist() == y.astype(str).tolist(), f"{what}.{c}"


TABLES = {
    "indices": "SELECT * EXCLUDE (run_id) FROM indices ORDER BY indicator, area, node, period",
    "reports": "SELECT * FROM reports ORDER BY enterprise_id, period, product_code",
    "reports_history": "SELECT * FROM reports_history ORDER BY enterprise_id, period, product_code, superseded_by",
    "imputations": "SELECT * FROM imputations ORDER BY enterprise_id, period, product_code, variable, load_id",
    # flag_id is a surrogate numbered in the order the detection query returns its rows, which has no ORDER BY
    # (the two engines return them in different orders): the flags are compared by what they flag
    "outlier_flags": "SELECT * EXCLUDE (run_at, flag_id) FROM outlier_flags "
                     "ORDER BY enterprise_id, period, product_code, variable, method",
    "labour_index": "SELECT * EXCLUDE (computed_at) FROM labour_index ORDER BY ALL",
    "loads": "SELECT load_id, kind, rows, inserted, unchanged, warnings FROM loads ORDER BY load_id",
    "published_figures": "SELECT * FROM published_figures ORDER BY ALL",
    "published_levels": "SELECT * FROM published_levels ORDER BY ALL",
    "releases": "SELECT period, source, vintage, files, content_hash, langs FROM releases ORDER BY ALL",
    "users": "SELECT username, role, active FROM users ORDER BY ALL",
}


@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_equal(stores, table):
    duck, pg, _ = stores
    assert_same(frame(duck, TABLES[table]), frame(pg, TABLES[table]), what=table)


def test_printed_tables_equal(stores):
    _, _, printed = stores
    (a, b) = printed.values()
    assert a == b and "TOTAL" in a["show"]


def test_export_equal(stores, tmp_path):
    duck, pg, _ = stores
    for t, name in ((duck, "d"), (pg, "p")):
        run(t, "export", "indices", "--extra", "--out", str(tmp_path / f"{name}.parquet"))
    a, b = (pd.read_parquet(tmp_path / f"{n}.parquet") for n in "dp")
    assert len(a) > 100_000
    assert_same(a, b, what="export indices")


def test_service_and_submission_equal(stores):
    """The web service on each store serves the same figures and writes a submission the same way."""
    from iip.collection import accounts
    from iip.web.app import create_app

    duck, pg, _ = stores
    got = {}
    for t in (duck, pg):
        with connect(t) as con:
            e, p = con.execute("SELECT enterprise_id, product_code FROM reports WHERE period = ? "
                               "ORDER BY ALL LIMIT 1", [PERIOD]).fetchone()
            accounts.add_user(con, f"ent_{e}", "another long passphrase", "enterprise", enterprise_id=e)
        with TestClient(create_app(t, warm=False)) as client:
            series = client.get("/api/series", params={"indicator": "production", "area": "VN", "node": "C",
                                                       "measure": "yoy"}).json()
            tok = client.post("/api/collect/login", json={"username": f"ent_{e}",
                                                          "password": "another long passphrase"}).json()["token"]
            body = {"period": "2022-12", "employees": 12, "comment": "checked",
                    "products": [{"product_code": p, "produced": 123.5, "sold": 100, "closing_stock": 4}]}
            r = client.post("/api/collect/reports", json=body, headers={"Authorization": f"Bearer {tok}"})
            assert r.status_code == 200, r.text
        row = frame(t, f"SELECT produced, sold, closing_stock, status FROM reports WHERE enterprise_id = '{e}' "
                       f"AND period = '2022-12' AND product_code = '{p}'")
        got[t] = (series, row)
    (sa, ra), (sb, rb) = got.values()
    assert sa == sb and len(sa["series"][0]["values"]) > 12
    assert_same(ra, rb, what="submitted report")
    assert ra["produced"].tolist() == [123.5]
