"""Layer 2: numeric checks with the x13as binary (a handful of runs: keep this suite fast)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from iip.compile import write_tidy
from iip.seasonal import X13Error, adjust, run_x13
from iip.seasonal.batch import adjust_many, load_series, save_outcomes
from iip.store import connect

FEW = [(10, 7), (20, 3)]          # a small candidate set keeps the test suite quick


@pytest.fixture(scope="module")
def adjusted(synthetic):
    return adjust(synthetic[0], name="synthetic", candidates=FEW)


def test_known_tet_effect_is_found(adjusted):
    rep = adjusted.report
    assert rep["model"]["transform"] == "log"
    assert (rep["tet"]["before_days"], rep["tet"]["after_days"]) == (10, 7)       # the true window wins on AICc
    assert rep["tet"]["after"]["estimate"] == pytest.approx(-0.25, abs=0.03)
    assert rep["tet"]["t_after"] < -10
    assert set(rep["tet"]["aicc_by_window"]) == {"10/7", "20/3", "none"}
    assert rep["tet"]["aicc_by_window"]["10/7"] < rep["tet"]["aicc_by_window"]["none"] - 20


def test_known_tet_effect_is_removed(adjusted, synthetic):
    _df, true_sa, tet = synthetic
    s = adjusted.series
    assert list(s.columns[:7]) == ["period", "value", "sa", "trend", "seasonal", "calendar", "tet"]
    np.testing.assert_allclose(s["sa"] * s["seasonal"] * s["calendar"], s["value"], rtol=1e-9)
    left = adjusted.report["diagnostics"]["tet_left"]
    assert left["raw"]["p"] < 1e-10 and left["sa"]["p"] > 0.05
    # the Tet factor matches the true (centred) effect; the sa series tracks the true one within 2%
    centred = pd.Series(tet, index=pd.PeriodIndex(s["period"], freq="M"))
    centred -= centred.groupby(centred.index.month).transform("mean")
    assert np.corrcoef(np.log(s["tet"]), centred)[0, 1] > 0.97
    assert np.abs(np.log(s["sa"] / true_sa)).max() < 0.04


def test_forecasts_and_diagnostics(adjusted):
    fc = adjusted.forecast
    assert len(fc) == 24 and fc["period"].iloc[0] == "2024-01"
    assert (fc["lower"] < fc["forecast"]).all() and (fc["forecast"] < fc["upper"]).all()
    # errors of the synthetic model are nearly white: se stays near the noise sd (0.008) at every lead
    assert fc["se_log"].between(0.005, 0.02).all()
    d = adjusted.report["diagnostics"]
    assert d["m_q"]["Q"] < 1 and (d["qs"]["qssadj"]["p"] > 0.05)
    assert d["revisions"]["history"] == "yes"
    assert "x11{" in adjusted.spec and len(adjusted.specs) == len(FEW) + 2


def test_x13_failure_names_the_series():
    with pytest.raises(X13Error, match="series broken/one") as e:
        run_x13("series{ data=(1 2 }\n", name="broken/one")
    assert e.value.errors and e.value.spec.startswith("series{")


def test_adjust_all_stores_every_run(synthetic, db):
    df = synthetic[0]
    con = connect(db)
    rows = [("production", "VN", "TOTAL", p, v) for p, v in zip(df["period"], df["value"])]
    rows += [("production", "01", "TOTAL", p, v) for p, v in zip(df["period"][:20], df["value"][:20])]
    write_tidy(con, pd.DataFrame(rows, columns=["indicator", "area", "node", "period", "index"]), run_id=1)
    items = load_series(con)
    assert [k for k, _ in items] == [("compiled", "production", "01", "TOTAL"), ("compiled", "production", "VN", "TOTAL")]
    out = adjust_many(items, options={"candidates": [(10, 7)]}, workers=2)
    assert [o.status for o in out] == ["skipped", "ok"] and "too short" in out[0].message
    save_outcomes(con, out)
    save_outcomes(con, out)                                   # a second vintage: nothing overwritten
    runs = con.execute("SELECT status, count(*) FROM sa_runs GROUP BY 1 ORDER BY 1").fetchall()
    assert runs == [("ok", 2), ("skipped", 2)]
    assert con.execute("SELECT count(*) FROM sa_series").fetchone()[0] == 2 * len(df)
    cur = con.execute("SELECT count(*), max(run_id) FROM sa_current").fetchone()
    assert cur[0] == len(df)
    rep = json.loads(con.execute("SELECT report FROM sa_runs WHERE status='ok' LIMIT 1").fetchone()[0])
    assert rep["tet"]["before_days"] == 10


def test_cli_sa_file(tmp_path, synthetic):
    from iip.cli import app

    src = tmp_path / "s.csv"
    synthetic[0].iloc[-60:].to_csv(src, index=False)
    out, rep = tmp_path / "sa.csv", tmp_path / "r.json"
    res = CliRunner().invoke(app, ["sa", "--input", str(src), "--out", str(out), "--report", str(rep)])
    assert res.exit_code == 0, res.output
    sa = pd.read_csv(out)
    assert list(sa.columns[:7]) == ["period", "value", "sa", "trend", "seasonal", "calendar", "tet"]
    assert len(sa) == 60 and "Tet-neutral" in res.output
    assert json.loads(rep.read_text())["tet"]["t_after"] < -3
    bad = tmp_path / "bad.csv"
    bad.write_text("period,value\n2020-01,1\n2020-02,x\n")
    res = CliRunner().invoke(app, ["sa", "--input", str(bad), "--out", str(tmp_path / "o.csv")])
    assert res.exit_code == 1 and "row 3" in res.output and not (tmp_path / "o.csv").exists()


@pytest.mark.shared
def test_imf_series(shared_dir):
    from iip.ingest.sdmx import monthly_levels
    from iip.seasonal.verify import TOTAL

    series = monthly_levels(shared_dir / "data/imf-nsdp/IIPVNM-2024q3.xml")
    df = series[TOTAL]
    assert df.attrs["BASE_PER"] == "2015" and df["period"].iloc[0] == "2017-01" and len(df) == 94
    res = adjust(df, name=TOTAL, candidates=[(7, 7), (10, 3)])
    rep = res.report
    assert abs(rep["tet"]["t_after"]) > 5
    left = rep["diagnostics"]["tet_left"]
    assert left["raw"]["p"] < 1e-8 and left["sa"]["p"] > 0.1
    assert rep["diagnostics"]["qs"]["qssadj"]["p"] > 0.05
    assert not [o for o in rep["outliers"] if o["type"] == "AO" and o["period"][5:] in ("01", "02")]
