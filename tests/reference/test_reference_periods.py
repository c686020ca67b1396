"""Periods: parsing, checking and counting months, quarters, half-years and years in one place."""
from __future__ import annotations

import datetime as dt

import pytest

from iip.errors import OptionError
from iip.reference import periods as P


def test_month_checks_form_range_and_future():
    today = dt.date(2026, 12, 6)
    assert P.month("2026-12", today=today) == "2026-12" and P.month(" 2024-07 ", today=today) == "2024-07"
    for bad in ("2024-13", "2024/06", "24-06", "2024-6", "", None, "2024-00"):
        with pytest.raises(OptionError, match="--period must be a month written YYYY-MM"):
            P.month(bad, option="--period", today=today)
    with pytest.raises(OptionError, match="in the future"):
        P.month("2027-01", today=today)
    assert P.month("2027-01", today=today, allow_future=True) == "2027-01"
    with pytest.raises(OptionError, match="outside the years"):
        P.month("1989-12", today=today)


def test_month_arithmetic():
    assert P.month_add("2024-01", -1) == "2023-12" and P.month_add("2023-12", 13) == "2025-01"
    assert P.months_between("2023-11", "2024-02") == 3 and P.months_between("2024-02", "2023-11") == -3
    assert P.month_range("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert P.month_range("2024-02", "2024-01") == []
    assert P.month_number("2024-01") - P.month_number("2023-01") == 12
    assert P.month_of_number(P.month_number("2031-07")) == "2031-07"
    assert P.year_to_date("2024-03") == ["2024-01", "2024-02", "2024-03"]


@pytest.mark.parametrize("period, freq, last, n", [("2024-07", "M", "2024-07", 1), ("2024-Q3", "Q", "2024-09", 3),
                                                   ("2024-H2", "H", "2024-12", 6), ("2024-H1", "H", "2024-06", 6),
                                                   ("2024", "Y", "2024-12", 12)])
def test_period_forms(period, freq, last, n):
    assert P.period_freq(period) == freq and P.last_month(period) == last
    months = P.months_of(period)
    assert len(months) == n and months[-1] == last
    assert {P.period_of_month(m, freq) for m in months} == {period}


def test_bad_period_forms_name_the_option():
    for bad in ("22-Q1", "2024-Q5", "2024-H3", "2024-7"):
        with pytest.raises(OptionError, match="--period must be YYYY-MM, YYYY-Qn"):
            P.period_freq(bad, option="--period")


def test_dates():
    assert P.date("2023-08-05", option="--as-of") == dt.date(2023, 8, 5)
    for bad in ("2023-8-5", "2023-02-30", "05/08/2023"):
        with pytest.raises(OptionError, match="--as-of must be a date written YYYY-MM-DD"):
            P.date(bad, option="--as-of")


@pytest.mark.parametrize("period, moy, first, last", [("2024-02", 2, dt.date(2024, 2, 1), dt.date(2024, 2, 29)),
                                                      ("2023-02", 2, dt.date(2023, 2, 1), dt.date(2023, 2, 28)),
                                                      ("2023-12", 12, dt.date(2023, 12, 1), dt.date(2023, 12, 31)),
                                                      ("2025-04", 4, dt.date(2025, 4, 1), dt.date(2025, 4, 30))])
def test_month_of_year_and_its_days(period, moy, first, last):
    assert P.month_of_year(period) == moy
    assert P.first_day(period) == first and P.last_day(period) == last
