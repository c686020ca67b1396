"""Tet dates, public holidays and working days from holidays.VN."""
import datetime as dt

import pytest

from iip import reference as ref
from iip.errors import IIPError

KNOWN_TET = {2012: dt.date(2012, 1, 23), 2019: dt.date(2019, 2, 5), 2020: dt.date(2020, 1, 25),
             2021: dt.date(2021, 2, 12), 2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22),
             2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29)}


@pytest.mark.parametrize("year,expected", sorted(KNOWN_TET.items()))
def test_tet_known_years(year, expected):
    assert ref.tet_date(year) == expected


def test_tet_window_2000_2040():
    dates = ref.tet_dates(range(2000, 2041))
    assert len(dates) == 41
    for year, d in dates.items():
        assert d.year == year and dt.date(year, 1, 21) <= d <= dt.date(year, 2, 20), d


def test_public_holidays_include_all_tet_days():
    days = ref.vn_public_holidays(2024)
    assert {dt.date(2024, 2, d) for d in range(8, 15)} <= days  # 8-14 Feb 2024
    assert {dt.date(2024, 1, 1), dt.date(2024, 4, 30), dt.date(2024, 5, 1), dt.date(2024, 9, 2)} <= days
    assert dt.date(2024, 5, 4) in ref.weekend_workdays(2024)  # worked Saturday for the 29 April day off


def test_working_days():
    # Feb 2024: 21 weekdays minus Tet 8, 9, 12, 13, 14 Feb
    assert ref.working_days("2024-02") == 16
    # May 2024: 23 weekdays, 1 May off, Saturday 4 May worked
    assert ref.working_days("2024-05") == 23
    # Jan 2023: 22 weekdays minus 2 Jan (observed New Year) and Tet 20, 23-26 Jan
    assert ref.working_days("2023-01") == 16
    # March 2024: no holiday; 21 weekdays, 5 Saturdays
    assert ref.working_days("2024-03") == 21
    assert ref.working_days("2024-03", saturday=0.5) == 23.5
    with pytest.raises(IIPError):
        ref.working_days("2024-13")
