"""Calendar regressors for Vietnam: the Tet (Lunar New Year) effect and working days.

Every date comes from :mod:`iip.reference.calendar` (the ``holidays`` package's Vietnamese calendar): Tet from
``tet_date``, working days from ``working_days``. No lunar date is hand-coded here.
Method page: docs/methods/seasonal.md.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from iip.reference.calendar import tet_date
from iip.reference.calendar import working_days as month_working_days

#: Holidays within this many days of Tet belong to the Tet block (handled by the Tet regressor, not
#: by the working-day regressor).
TET_BLOCK_DAYS = 10




def _months(start: pd.Period, end: pd.Period) -> pd.PeriodIndex:
    return pd.period_range(start, end, freq="M")


def tet_window_shares(start: str | pd.Period, end: str | pd.Period, *, before: int, after: int) -> pd.DataFrame:
    """Share of the Tet windows falling in each month.

    ``tet_before[m]`` = #{days Tet-before .. Tet-1 in month m} / before;
    ``tet_after[m]``  = #{days Tet .. Tet+after-1 in month m} / after  (Tet day itself is "after").
    Uncentred; index = monthly PeriodIndex from ``start`` to ``end``.
    """
    idx = _months(pd.Period(start, "M"), pd.Period(end, "M"))
    out = pd.DataFrame(0.0, index=idx, columns=["tet_before", "tet_after"])
    for year in range(idx[0].year - 1, idx[-1].year + 2):
        t = tet_date(year)
        for col, offsets, n in (("tet_before", range(-before, 0), before), ("tet_after", range(after), after)):
            if n <= 0:
                continue
            for k in offsets:
                p = pd.Period(t + dt.timedelta(days=k), "M")
                if p in out.index:
                    out.loc[p, col] += 1.0 / n
    return out


def centre_by_month(frame: pd.DataFrame, *, sample_start: str | pd.Period,
                    sample_end: str | pd.Period) -> pd.DataFrame:
    """x[m] - mean(x over the sample's months with the same calendar month): mean zero by month.

    Means come from the data span only (complete or not), then are applied to every row, including
    the months beyond the data (forecast span). A holiday regressor centred this way leaves the
    average Tet effect of each calendar month to the seasonal factors (X-13's genhol "center=calendar").
    """
    s0, s1 = pd.Period(sample_start, "M"), pd.Period(sample_end, "M")
    sample = frame.loc[(frame.index >= s0) & (frame.index <= s1)]
    means = sample.groupby(sample.index.month).mean()
    means = means.reindex(range(1, 13)).fillna(0.0)
    return frame - means.loc[frame.index.month].to_numpy()


def working_days(start: str | pd.Period, end: str | pd.Period, *, exclude_tet: bool = True) -> pd.Series:
    """Vietnamese working days per month: Monday-Friday minus public holidays (``holidays.VN``), plus the
    weekend days declared working days in exchange for a substituted day off.

    With ``exclude_tet`` the holidays within ``TET_BLOCK_DAYS`` of Tet are NOT subtracted: the Tet
    closure is carried by the Tet regressor alone (otherwise the two regressors are near-collinear).
    """
    idx = _months(pd.Period(start, "M"), pd.Period(end, "M"))
    block = TET_BLOCK_DAYS if exclude_tet else None
    out = [month_working_days(p.strftime("%Y-%m"), tet_block_days=block) for p in idx]
    return pd.Series(np.asarray(out, dtype=float), index=idx, name="workdays")


def regressor_frame(start: str | pd.Period, data_end: str | pd.Period, end: str | pd.Period, *,
                    before: int | None, after: int | None, workdays: bool = True) -> pd.DataFrame:
    """All user regressors for one model, centred by calendar month over ``start..data_end``.

    Columns: ``tet_before``, ``tet_after`` (omitted when ``before``/``after`` is None) and ``workdays``
    (working days minus their calendar-month mean). Index runs to ``end`` (>= 12 months past the data).
    """
    parts = []
    if before is not None and after is not None:
        parts.append(tet_window_shares(start, end, before=before, after=after))
    if workdays:
        parts.append(working_days(start, end).to_frame())
    if not parts:
        return pd.DataFrame(index=_months(pd.Period(start, "M"), pd.Period(end, "M")))
    frame = pd.concat(parts, axis=1)
    return centre_by_month(frame, sample_start=start, sample_end=data_end)
