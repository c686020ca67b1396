"""Tet-neutral comparisons and target tracking (pure functions, no binary)."""
from __future__ import annotations

from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from iip.errors import IIPError
from iip.seasonal import tet_neutral
from iip.seasonal.target import psi_weights, simulate_paths, target_path


def test_tet_neutral_columns_and_values():
    periods = pd.period_range("2022-01", "2023-03", freq="M").astype(str)
    value = [100, 80, 110, 100, 100, 100, 100, 100, 100, 100, 100, 100, 70, 95, 115]
    sa = [100 + i for i in range(15)]
    out = tet_neutral(pd.DataFrame({"period": periods, "value": value, "sa": sa}))
    feb23 = out.set_index("period").loc["2023-02"]
    assert feb23["janfeb_yoy_raw"] == pytest.approx(100 * ((70 + 95) / (100 + 80) - 1))
    assert feb23["yoy_raw"] == pytest.approx(100 * (95 / 80 - 1))
    assert feb23["yoy_sa"] == pytest.approx(100 * (113 / 101 - 1))
    assert feb23["mom_sa"] == pytest.approx(100 * (113 / 112 - 1))
    assert bool(out.set_index("period").loc["2023-01", "tet_month"])       # Tet 2023 = 22 January
    assert bool(out.set_index("period").loc["2022-02", "tet_month"])       # Tet 2022 = 1 February
    assert np.isnan(out.set_index("period").loc["2023-01", "janfeb_yoy_raw"])


def test_psi_weights_random_walk():
    se = 0.02 * np.sqrt(np.arange(1, 7))             # random walk: psi_j = 1
    assert psi_weights(se) == pytest.approx(np.ones(6))


def test_simulated_paths_keep_the_forecast_variance():
    se = 0.03 * np.sqrt(np.arange(1, 5))
    paths = simulate_paths(np.full(4, 100.0), se, log=True, n=40000, seed=1)
    assert np.log(paths / 100).std(axis=0) == pytest.approx(se, rel=0.03)
    # random walk errors are cumulative: corr(e1, e4) = sqrt(1/4)
    e = np.log(paths / 100)
    assert np.corrcoef(e[:, 0], e[:, 3])[0, 1] == pytest.approx(0.5, abs=0.02)


def _history():
    periods = pd.period_range("2022-01", "2023-06", freq="M").astype(str)
    values = [100.0] * 12 + [102.0] * 6
    return pd.DataFrame({"period": periods, "value": values})


def _forecast(level, se_log):
    periods = pd.period_range("2023-07", periods=6, freq="M").astype(str)
    z = NormalDist().inv_cdf(0.975)   # the 95% interval X-13 prints
    se = se_log * np.sqrt(np.arange(1, 7))
    return pd.DataFrame({"period": periods, "forecast": level, "lower": level * np.exp(-z * se),
                         "upper": level * np.exp(z * se)})


def test_target_required_growth_and_probability():
    # previous year 1200; first half 612 (+2%); target 7.5% -> need 1290 - 612 = 678 over 600 -> +13%
    r = target_path(_history(), _forecast(104.0, 0.01), year=2023, target_pct=7.5)
    assert r["ytd_growth_pct"] == pytest.approx(2.0)
    assert r["required_avg_yoy_pct"] == pytest.approx(13.0)
    assert r["forecast_growth_pct"] == pytest.approx(100 * ((612 + 6 * 104) / 1200 - 1))
    assert r["probability"] < 0.001
    # a target of +3% is reached by the central forecast (+3.0%) about half of the time
    r = target_path(_history(), _forecast(104.0, 0.01), year=2023, target_pct=3.0)
    assert 0.35 < r["probability"] < 0.65
    r = target_path(_history(), _forecast(104.0, 0.01), year=2023, target_pct=1.0)
    assert r["probability"] > 0.99


def test_target_needs_a_full_previous_year():
    with pytest.raises(IIPError, match="previous year 2022 has 6 of 12"):
        target_path(_history().iloc[6:], _forecast(104.0, 0.01), year=2023, target_pct=7.5)
