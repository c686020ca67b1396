"""Fixtures shared by the seasonal tests: a synthetic series with a known Tet effect on real Tet dates."""
from __future__ import annotations

import datetime as dt

import holidays
import numpy as np
import pandas as pd
import pytest


def _tet(year: int) -> dt.date:
    return next(d for d, n in holidays.VN(years=year, language="en_US").items() if n == "Lunar New Year")


def _shares(periods: pd.PeriodIndex, offsets: range) -> np.ndarray:
    """Independent of iip: share of the days Tet+offsets falling in each month."""
    out = np.zeros(len(periods))
    pos = {p: i for i, p in enumerate(periods)}
    for y in range(periods[0].year - 1, periods[-1].year + 2):
        for k in offsets:
            p = pd.Period(_tet(y) + dt.timedelta(days=k), "M")
            if p in pos:
                out[pos[p]] += 1 / len(offsets)
    return out


@pytest.fixture(scope="module")
def synthetic():
    """12 years of a log-additive series: trend + seasonal + Tet (-25% for the 7 days from Tet, -5% for the
    10 days before) + noise, on real Tet dates."""
    periods = pd.period_range("2012-01", "2023-12", freq="M")
    rng = np.random.default_rng(7)
    season = np.tile([0.0, -0.03, 0.02, 0.01, 0.03, 0.02, 0.0, 0.04, 0.03, 0.05, 0.06, 0.08], 12)
    tet = -0.25 * _shares(periods, range(7)) - 0.05 * _shares(periods, range(-10, 0))
    log = np.log(100) + 0.006 * np.arange(len(periods)) + season + tet + rng.normal(0, 0.008, len(periods))
    df = pd.DataFrame({"period": periods.astype(str), "value": np.exp(log)})
    true_sa = np.exp(np.log(100) + 0.006 * np.arange(len(periods)))
    return df, true_sa, tet

