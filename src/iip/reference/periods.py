"""Periods: months 'YYYY-MM', quarters 'YYYY-Qn', half-years 'YYYY-H1|H2' and years 'YYYY' -- the one place that
parses, checks and counts them (pandas ``Period`` underneath).

Every entry point checks a month the same way (:func:`month`): the form YYYY-MM, a real month, a year between
:data:`FIRST_YEAR` and :data:`LAST_YEAR`, and not after the current month (a report or a release for a month that
has not happened yet is a mistake). Months are numbered ``month_number(p) = 12 * year + month - 1`` in the store
(``index_periods.pid``), so that ``month_number(p) - 12`` is the same month a year earlier.
"""
from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from iip.errors import OptionError

#: A month as text (Python ``re`` and DuckDB ``regexp_matches`` alike).
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
#: Every period form, by frequency: M month, Q quarter, H half-year, Y year.
PERIOD_PATTERNS = {"M": MONTH_PATTERN, "Q": r"^[0-9]{4}-Q[1-4]$", "H": r"^[0-9]{4}-H[12]$", "Y": r"^[0-9]{4}$"}
#: Years a period may fall in (the store numbers months 1990-01 .. 2100-12).
FIRST_YEAR, LAST_YEAR = 1990, 2100
_MONTHS_IN = {"M": 1, "Q": 3, "H": 6, "Y": 12}


def is_month(text: object) -> bool:
    """True for text of the form YYYY-MM with a real month (no range check on the year)."""
    return isinstance(text, str) and re.match(MONTH_PATTERN, text) is not None


def current_month(today: _dt.date | None = None) -> str:
    """The month of ``today`` (default: the system date), 'YYYY-MM'."""
    return (today or _dt.date.today()).strftime("%Y-%m")


def month(text: object, *, option: str = "period", allow_future: bool = False,
          today: _dt.date | None = None) -> str:
    """``text`` checked as a month: YYYY-MM, year within FIRST_YEAR..LAST_YEAR, not after the current month
    (unless ``allow_future``). An :class:`OptionError` naming ``option`` says what is accepted."""
    value = str(text).strip() if text is not None else ""
    if not is_month(value):
        raise OptionError(f"{option} must be a month written YYYY-MM (e.g. 2024-07), not {value!r}", option=option)
    year = int(value[:4])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise OptionError(f"{option} {value} is outside the years {FIRST_YEAR}-{LAST_YEAR}", option=option)
    if not allow_future and value > current_month(today):
        raise OptionError(f"{option} {value} is in the future (the current month is {current_month(today)})",
                          option=option)
    return value


def date(text: object, *, option: str = "date") -> _dt.date:
    """``text`` checked as a calendar date YYYY-MM-DD (e.g. an ``--as-of`` date)."""
    value = str(text).strip() if text is not None else ""
    try:
        if not re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", value):
            raise ValueError(value)
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise OptionError(f"{option} must be a date written YYYY-MM-DD (e.g. 2023-08-05), not {value!r}",
                          option=option) from None


def to_period(period: str) -> pd.Period:
    """A month 'YYYY-MM' as a pandas monthly Period."""
    return pd.Period(period, freq="M")


def month_number(period: str) -> int:
    """12 * year + month - 1 (the store's ``pid``): consecutive months differ by 1, a year by 12."""
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def month_numbers(periods: object) -> np.ndarray:
    """:func:`month_number` of many months at once (a Series, list or array of 'YYYY-MM'), as int64."""
    codes, months = pd.factorize(np.asarray(periods, dtype=object))   # each distinct month parsed once
    if (codes < 0).any():
        raise ValueError("a missing month has no month number")
    return np.fromiter((month_number(str(m)) for m in months), dtype=np.int64, count=len(months))[codes]


def month_of_number(number: int) -> str:
    """Inverse of :func:`month_number`."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def month_add(period: str, months: int) -> str:
    """The month ``months`` after ``period`` (negative: before), e.g. month_add('2024-01', -1) = '2023-12'."""
    return month_of_number(month_number(period) + months)


def months_between(first: str, last: str) -> int:
    """How many months ``last`` is after ``first`` (negative when before)."""
    return month_number(last) - month_number(first)


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` inclusive ('YYYY-MM'); empty when last < first."""
    return [month_of_number(n) for n in range(month_number(first), month_number(last) + 1)]


def period_freq(period: str, *, option: str = "period") -> str:
    """'M' for YYYY-MM, 'Q' for YYYY-Qn, 'H' for YYYY-H1|H2, 'Y' for YYYY; an OptionError otherwise."""
    for freq, pattern in PERIOD_PATTERNS.items():
        if re.match(pattern, str(period)):
            return freq
    raise OptionError(f"{option} must be YYYY-MM, YYYY-Qn, YYYY-H1|H2 or YYYY, not {period!r}", option=option)


def last_month(period: str) -> str:
    """The last month of a month, quarter, half-year or year ('2024-Q2' -> '2024-06')."""
    freq = period_freq(period)
    if freq == "M":
        return period
    part = int(period[-1]) if freq in ("Q", "H") else 1
    return f"{period[:4]}-{_MONTHS_IN[freq] * part:02d}"


def months_of(period: str) -> list[str]:
    """The months of a month, quarter, half-year or year, in order."""
    end = last_month(period)
    return month_range(month_add(end, 1 - _MONTHS_IN[period_freq(period)]), end)


def period_of_month(period: str, freq: str) -> str:
    """The quarter ('YYYY-Qn'), half-year ('YYYY-Hn'), year ('YYYY') or month a month belongs to."""
    year, m = period[:4], int(period[5:7])
    if freq == "M":
        return period
    if freq == "Y":
        return year
    size = _MONTHS_IN[freq]
    return f"{year}-{freq}{(m - 1) // size + 1}"


def month_of_year(period: str) -> int:
    """The month's number in its year, 1..12 ('2024-03' -> 3)."""
    return int(period[5:7])


def first_day(period: str) -> _dt.date:
    """The first day of a month ('2024-03' -> 2024-03-01)."""
    return _dt.date(int(period[:4]), month_of_year(period), 1)


def last_day(period: str) -> _dt.date:
    """The last day of a month ('2024-02' -> 2024-02-29)."""
    return first_day(month_add(period, 1)) - _dt.timedelta(days=1)


def year_to_date(period: str) -> list[str]:
    """January .. ``period`` of its year."""
    return month_range(f"{period[:4]}-01", period)
