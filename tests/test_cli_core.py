"""End to end through the command line, as acceptance runs it: input files -> ingest -> compile -> export,
compared with an independent loop-by-loop computation (1e-6 relative) for every area x node x month and measure."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "compile"))
from bruteforce import brute_force  # noqa: E402
from dataset import MAKES, PRODUCTS, REGION_OF, REGISTER, TREE, make_dataset  # noqa: E402

from iip.cli import app  # noqa: E402
from iip.store import connect  # noqa: E402

runner = CliRunner()


def invoke(*args):
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.output


def ingest_all(db, d):
    for kind, f in (("register", "register.csv"), ("products", "products.csv"), ("weights", "weights.csv"),
                    ("reports", "reports.parquet")):
        invoke("--db", db, "ingest", kind, d / f)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    reports, weights = make_dataset(7, years=(2019, 2021))
    pd.DataFrame({"enterprise_id": list(REGISTER), "name": [f"Công ty {e}" for e in REGISTER],
                  "province": list(REGISTER.values()), "vsic": [PRODUCTS[MAKES[e][0]] for e in REGISTER],
                  "ownership": "nonstate"}).to_csv(d / "register.csv", index=False)
    pd.DataFrame({"product_code": list(PRODUCTS), "name_vi": list(PRODUCTS), "name_en": list(PRODUCTS),
                  "unit": "tấn", "vsic": list(PRODUCTS.values())}).to_csv(d / "products.csv", index=False)
    weights.to_csv(d / "weights.csv", index=False)
    pd.DataFrame(reports).to_parquet(d / "reports.parquet")
    return d, reports, weights


def oracle(reports, weights):
    """Index from the loop-by-loop implementation; mom, yoy, ytd and contributions from their definitions."""
    parent = dict(zip(TREE.code, TREE.parent))
    idx = brute_force(reports, REGISTER, PRODUCTS, list(weights.itertuples(index=False, name=None)), parent,
                      REGION_OF, 2020)
    ind = weights[weights.kind == "industry"]

    def area_w(c, a):
        provs = [p for p in REGION_OF if a in (p, REGION_OF[p], "VN")]
        return ind[(ind.code == c) & ind.province.isin(provs)]["value"].sum()

    def node_w(n, a):
        cls = {k[1] for k in idx if k[0] == a and len(k[1]) == 4}
        return sum(area_w(c, a) for c in cls if _under(c, n, parent))

    rows = []
    for (a, n, t), v in idx.items():
        y, m = int(t[:4]), int(t[5:])
        prev = lambda k: f"{y - (k == 12)}-{(m - 2) % 12 + 1 if k == 1 else m:02d}" if k == 12 else (  # noqa: E731
            f"{y}-{m - 1:02d}" if m > 1 else f"{y - 1}-12")
        p1, p12 = prev(1), prev(12)
        r = {"area": a, "node": n, "period": t, "index": v,
             "mom": 100 * v / idx[(a, n, p1)] if (a, n, p1) in idx else np.nan,
             "yoy": 100 * v / idx[(a, n, p12)] if (a, n, p12) in idx else np.nan}
        cur = [idx.get((a, n, f"{y}-{k:02d}")) for k in range(1, m + 1)]
        old = [idx.get((a, n, f"{y - 1}-{k:02d}")) for k in range(1, m + 1)]
        r["ytd"] = 100 * sum(cur) / sum(old) if None not in old else np.nan
        P = parent.get(n)
        if P and (a, n, p12) in idx:
            r["contrib_yoy"] = node_w(n, a) / node_w(P, a) * (v - idx[(a, n, p12)]) / idx[(a, P, p12)] * 100
        else:
            r["contrib_yoy"] = np.nan
        rows.append(r)
    return pd.DataFrame(rows)


def _under(c, n, parent):
    while c:
        if c == n:
            return True
        c = parent.get(c)
    return False


def test_files_to_export_match_an_independent_computation(inputs, tmp_path):
    d, reports, weights = inputs
    db = tmp_path / "s.duckdb"
    ingest_all(db, d)
    invoke("--db", db, "compile")
    invoke("--db", db, "export", "indices", "--out", tmp_path / "ix.csv")
    out = pd.read_csv(tmp_path / "ix.csv", dtype={"area": str, "node": str})
    # the standard columns exactly, then the coverage of each cell (every line reported: all of it, none imputed)
    assert list(out.columns) == ["indicator", "area", "node", "period", "index", "mom", "yoy", "ytd", "contrib_yoy",
                                 "coverage_reported", "coverage_imputed"]
    assert (out["coverage_reported"] == 1).all() and (out["coverage_imputed"] == 0).all()
    got = out[out.indicator == "production"].set_index(["area", "node", "period"]).sort_index()
    want = oracle(reports, weights).set_index(["area", "node", "period"]).sort_index()
    assert len(got) == len(want) and got.index.equals(want.index)
    for c in ("index", "mom", "yoy", "ytd", "contrib_yoy"):
        g, w = got[c].to_numpy(), want[c].to_numpy()
        assert np.array_equal(np.isnan(g), np.isnan(w)), c
        ok = ~np.isnan(w)
        assert np.allclose(g[ok], w[ok], rtol=1e-6, atol=1e-9), c
    assert set(out.indicator) == {"production", "consumption", "inventory"}
    assert out[out.indicator == "inventory"]["ytd"].isna().all()
    # parquet export carries the same rows
    invoke("--db", db, "export", "indices", "--out", tmp_path / "ix.parquet")
    assert len(pd.read_parquet(tmp_path / "ix.parquet")) == len(out)


def test_show_and_partial_compile(inputs, tmp_path):
    d, _, _ = inputs
    db = tmp_path / "s.duckdb"
    ingest_all(db, d)
    invoke("--db", db, "compile")
    text = invoke("--db", db, "show", "--period", "2021-06")
    assert "TOTAL" in text and "2021-06" in text and "Provinces" in text
    text = invoke("--db", db, "show", "--area", "79", "--node", "C", "--period", "2021-06")
    assert "10" in text
    out = invoke("--db", db, "compile", "--from", "2021-01", "--to", "2021-03")
    assert "compiled" in out
    res = runner.invoke(app, ["--db", str(db), "compile", "--from", "2021-1"])
    assert res.exit_code == 1 and "YYYY-MM" in res.output


def test_export_needs_a_store_a_compile_and_a_known_extension(tmp_path):
    missing = tmp_path / "e.duckdb"
    res = runner.invoke(app, ["--db", str(missing), "export", "indices", "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 1 and f"no store at {missing}" in res.output and not missing.exists()
    connect(missing).close()
    res = runner.invoke(app, ["--db", str(missing), "export", "indices", "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 1 and "iip compile" in res.output
    res = runner.invoke(app, ["--db", str(missing), "export", "indices", "--out", str(tmp_path / "x.txt")])
    assert res.exit_code == 1 and "--out must end in .csv or .parquet" in res.output


def test_demo_runs_the_main_job(tmp_path):
    out = invoke("--db", tmp_path / "demo.duckdb", "demo", "--out", tmp_path / "demo")
    text = " ".join(out.split())
    assert "TOTAL" in out and "Provinces: IIP rose" in out and "Biggest contributors" in out
    assert {p.name for p in (tmp_path / "demo").iterdir()} >= {"register.csv", "products.csv", "weights.csv",
                                                              "reports.parquet", "employment.parquet"}
    # synth -> ingest -> impute -> compile: the headline is the latest month that is not provisional
    con = connect(tmp_path / "demo.duckdb")
    from iip import summary
    st = summary.month_status(con)
    last, final = st["period"].iloc[-1], summary.latest_period(con)
    con.close()
    assert st["provisional"].iloc[-1] and final == st["period"].iloc[-2]
    assert f"IIP production, VN, {final}" in text and f"{last} is provisional" in text and "imputed" in text
    # running it again changes no data: every record is unchanged, nothing to impute again
    again = invoke("--db", tmp_path / "demo.duckdb", "demo", "--out", tmp_path / "demo")
    assert "0 new or changed" in again and "nothing new since the last run" in " ".join(again.split())
