"""Quarters, half-years and years (sum ratios) and the diffusion counts, on levels stored with write_tidy."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from iip import summary
from iip.cli import app
from iip.compile import write_tidy
from iip.errors import IIPError
from iip.measures import period_growth
from iip.reference.periods import period_freq
from iip.store import connect

MONTHS = [f"{y}-{m:02d}" for y in (2021, 2022) for m in range(1, 13)]


def levels(seed: int = 3) -> pd.DataFrame:
    """Random monthly levels: VN x (TOTAL, C, 10, 11, 35, D) and 3 provinces x TOTAL, 2021-2022."""
    rng = np.random.default_rng(seed)
    keys = [("VN", n) for n in ("TOTAL", "C", "10", "11", "D", "35")] + [(p, "TOTAL") for p in ("01", "79", "22")]
    rows = [("production", a, n, p, 80 + 40 * rng.random()) for a, n in keys for p in MONTHS]
    return pd.DataFrame(rows, columns=["indicator", "area", "node", "period", "index"])


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "s.duckdb"
    con = connect(db)
    df = levels()
    write_tidy(con, df)
    return db, con, df


def by_hand(df, area, node, months):
    """100 x sum over ``months`` of 2022 / sum over the same months of 2021; mean of the 2022 months."""
    s = df[(df.area == area) & (df.node == node)].set_index("period")["index"]
    now, before = s[[f"2022-{m:02d}" for m in months]], s[[f"2021-{m:02d}" for m in months]]
    return now.mean(), 100 * now.sum() / before.sum()


@pytest.mark.parametrize("period,months", [("2022-Q2", [4, 5, 6]), ("2022-H2", range(7, 13)),
                                           ("2022", range(1, 13))])
def test_period_table_is_the_sum_ratio_of_its_months(store, period, months):
    _, con, df = store
    t = summary.period_table(con, period).set_index("code")
    assert list(t.index[:2]) == ["TOTAL", "C"]          # GSO's order: TOTAL, then sections with their divisions
    for node in ("TOTAL", "C", "10", "35"):
        mean, yoy = by_hand(df, "VN", node, months)
        assert t.loc[node, "index"] == pytest.approx(mean, rel=1e-12)
        assert t.loc[node, "yoy"] == pytest.approx(yoy, rel=1e-12)


def test_period_growth_needs_every_month():
    df = levels()
    df = df[df.period != "2021-05"]                      # one month missing a year earlier
    q = period_growth(df, freq="Q").set_index(["area", "node", "period"])
    assert ("VN", "TOTAL", "2021-Q2") not in q.index     # incomplete quarter: no level
    assert np.isnan(q.loc[("VN", "TOTAL", "2022-Q2"), "yoy"])
    assert not np.isnan(q.loc[("VN", "TOTAL", "2022-Q3"), "yoy"])


def test_diffusion_counts_divisions_and_provinces(store):
    _, con, df = store
    t = summary.period_table(con, "2022-Q3")
    want = [by_hand(df, "VN", n, [7, 8, 9])[1] for n in ("10", "11", "35")]
    d = summary.division_diffusion(t)
    assert d == {"rose": sum(v > 100 for v in want), "fell": sum(v < 100 for v in want), "unchanged": 0,
                 "divisions": 3}
    p = summary.period_province_diffusion(con, "2022-Q3")
    want = [by_hand(df, a, "TOTAL", [7, 8, 9])[1] for a in ("01", "79", "22")]
    # of the 63 provinces, the three with data are published (this store's suppression table is empty of them);
    # the 60 without a figure count as confidential: absent and confidential look the same
    from iip import disclosure

    hidden = set(disclosure.suppression_table(con, "production").query("node == 'TOTAL'")["area"])
    shown = [v for a, v in zip(("01", "79", "22"), want) if a not in hidden]
    assert (p["rose"], p["fell"], p["provinces"], p["confidential"]) == (
        sum(v > 100 for v in shown), sum(v < 100 for v in shown), 63, 63 - len(shown))


def test_show_prints_a_quarter_and_rejects_a_bad_period(store):
    db, con, df = store
    con.close()
    runner = CliRunner()
    res = runner.invoke(app, ["--db", str(db), "show", "--period", "2022-Q2", "--lang", "en"], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    _, yoy = by_hand(df, "VN", "TOTAL", [4, 5, 6])
    assert f"{yoy:.2f}" in res.output and "Divisions: yoy above 100" in res.output and "of 3." in res.output
    res = runner.invoke(app, ["--db", str(db), "show", "--period", "2022-Q5"])
    assert res.exit_code == 1 and "YYYY-Qn" in res.output
    with pytest.raises(IIPError):
        period_freq("22-Q1")
