"""Working-day calendar of the synthetic economy: production per day, summed to months.

Daily weight d(day) = weekday factor x holiday factor x Tet factor (x a pre-Tet boost for food and drink);
the monthly calendar factor C(m) is the sum of d over the days of month m. Tet dates come from
``iip.reference.tet_date`` (the ``holidays`` package's Vietnam calendar) — never hand-coded.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

from iip.reference.calendar import tet_date

# profile: (saturday, sunday, public holiday, Tet depth, Tet core days before, core days after,
#           ramp-in days, ramp-out days, pre-Tet boost)
PROFILES = {
    "labour": (0.85, 0.15, 0.1, 0.6, 1, 4, 2, 3, 0.06),
    "food": (0.9, 0.3, 0.2, 0.45, 1, 3, 2, 3, 0.12),
    "process": (0.95, 0.7, 0.6, 0.25, 1, 3, 2, 3, 0.0),
    "continuous": (1.0, 1.0, 1.0, 0.05, 1, 3, 1, 2, 0.0),
    "utility": (0.97, 0.92, 0.9, 0.1, 1, 4, 2, 3, 0.0),
}




def public_holidays(years: range) -> set[dt.date]:
    """Vietnamese public holidays (including the Tet days and observed days) from the holidays package."""
    import holidays
    return set(holidays.VN(years=list(years), language="en_US").keys())


def _tet_shape(offset: np.ndarray, before: int, after: int, ramp_in: int, ramp_out: int) -> np.ndarray:
    """1 inside [-before, +after] days of Tet, linear ramps to 0 over ramp_in / ramp_out days outside."""
    s = np.zeros(offset.shape)
    core = (offset >= -before) & (offset <= after)
    s[core] = 1.0
    pre = (offset < -before) & (offset >= -before - ramp_in)
    s[pre] = 1.0 - (-before - offset[pre]) / (ramp_in + 1)
    post = (offset > after) & (offset <= after + ramp_out)
    s[post] = 1.0 - (offset[post] - after) / (ramp_out + 1)
    return s


def daily_weights(days: pd.DatetimeIndex, profile: str) -> np.ndarray:
    """Production weight of each day for a calendar ``profile`` (1 = a normal working weekday)."""
    sat, sun, hol, depth, before, after, ramp_in, ramp_out, boost = PROFILES[profile]
    wd = days.weekday.to_numpy()
    w = np.where(wd == 5, sat, np.where(wd == 6, sun, 1.0))
    hols = public_holidays(range(days[0].year, days[-1].year + 1))
    is_hol = np.array([d in hols for d in days.date])
    w = np.where(is_hol, w * hol, w)
    years = days.year.to_numpy()
    offset = np.full(len(days), 10_000, dtype=float)
    day64 = days.to_numpy().astype("datetime64[D]")
    for ty in range(int(years.min()) - 1, int(years.max()) + 2):
        off = (day64 - np.datetime64(tet_date(ty))).astype(float)
        offset = np.where(np.abs(off) < np.abs(offset), off, offset)
    w = w * (1.0 - depth * _tet_shape(offset, before, after, ramp_in, ramp_out))
    if boost:
        w = w * (1.0 + boost * ((offset >= -28) & (offset < -before - ramp_in)))
    return w


@lru_cache(maxsize=32)
def _monthly(first: str, last: str, profile: str) -> tuple:
    days = pd.date_range(pd.Period(first, "M").start_time, pd.Period(last, "M").end_time.normalize(), freq="D")
    w = daily_weights(days, profile)
    sums = pd.Series(w, index=days.to_period("M")).groupby(level=0).sum()
    return tuple(sums.to_numpy())


def monthly_factors(first: str, last: str, profile: str) -> np.ndarray:
    """C(m) = sum of the daily weights of each month from ``first`` to ``last`` ('YYYY-MM')."""
    return np.array(_monthly(first, last, profile))
