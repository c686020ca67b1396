"""Vietnamese calendar facts used by the IIP: Tet (Lunar New Year) dates, public holidays, working days.

Every date comes from the `holidays` package's Vietnam calendar (``holidays.VN``); no lunar date is
hand-coded here. ``holidays`` computes the lunisolar calendar itself, so no network is needed.
"""
from __future__ import annotations

import calendar as _cal
import datetime as _dt
from collections.abc import Iterable
from functools import lru_cache

import holidays

from iip.errors import IIPError
from iip.reference.periods import month

#: English name (language ``en_US``) that ``holidays.VN`` gives to the first day of the Lunar New Year.
TET_HOLIDAY_NAME = "Lunar New Year"


@lru_cache(maxsize=256)
def _vn(year: int) -> holidays.HolidayBase:
    """The ``holidays.VN`` calendar of one year, names in English (cached; do not mutate)."""
    return holidays.VN(years=year, language="en_US")


def tet_date(year: int) -> _dt.date:
    """First day of the Lunar New Year (Mùng 1 Tết) in ``year``.

    Taken from ``holidays.VN``: the earliest date whose holiday name is exactly ``TET_HOLIDAY_NAME``.
    """
    year = int(year)
    days = [d for d, name in _vn(year).items() if name == TET_HOLIDAY_NAME]
    if not days:
        raise IIPError(f"the holidays package has no Lunar New Year date for {year}")
    return min(days)


def tet_dates(years: Iterable[int]) -> dict[int, _dt.date]:
    """``{year: tet_date(year)}`` for each year given."""
    return {int(y): tet_date(int(y)) for y in years}


def vn_public_holidays(year: int) -> set[_dt.date]:
    """Every day off in ``year`` per ``holidays.VN``: fixed holidays, all Tet days, observed and
    substituted days off."""
    return set(_vn(int(year)).keys())


def weekend_workdays(year: int) -> set[_dt.date]:
    """Saturdays/Sundays declared working days in exchange for a substituted day off (e.g. 4 May 2024
    worked in exchange for Monday 29 April 2024)."""
    return set(getattr(_vn(int(year)), "weekend_workdays", set()))


@lru_cache(maxsize=8192)
def working_days(period: str, *, saturday: float = 0.0, tet_block_days: int | None = None) -> float | int:
    """Working days in month ``period`` ('YYYY-MM').

    working = #{Mon-Fri not a public holiday} + #{weekend days declared working days}
              + saturday * #{ordinary Saturdays not a public holiday}

    With the default ``saturday=0`` the result is an int (the Mon-Fri convention used for
    trading-day regressors); ``saturday=0.5`` counts Saturdays as half days (a common factory week).
    ``tet_block_days``: public holidays within that many days of Tet count as working days, so that the Tet
    closure is carried by a Tet regressor alone (seasonal adjustment; otherwise the two are near-collinear).
    """
    text = month(period, allow_future=True)
    year, mon = int(text[:4]), int(text[5:7])
    off = vn_public_holidays(year)
    if tet_block_days is not None:
        tet = tet_date(year)
        off = {d for d in off if abs((d - tet).days) > tet_block_days}
    extra = weekend_workdays(year)
    full, sats = 0, 0
    for day in range(1, _cal.monthrange(year, mon)[1] + 1):
        d = _dt.date(year, mon, day)
        if d in extra:
            full += 1
        elif d in off:
            continue
        elif d.weekday() < 5:
            full += 1
        elif d.weekday() == 5:
            sats += 1
    return full if not saturday else full + saturday * sats
