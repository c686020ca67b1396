"""GSO's rounding: the boundary cases, each checked against what GSO prints (issue 13, item 2)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from iip.errors import ValidationError
from iip.reference.rounding import fmt, fmt_growth, growth_from_index, gso_round, parse_number, round_half_up

# (index, growth a text states, as GSO writes it): the index is rounded to one decimal first.
TEXT_GROWTH = [
    (101.35, "1.4"),     # 101.35 - 100 = 1.3499999... in binary floating point: rounding the growth gives 1.3
    (98.95, "-1.0"),     # 99.0 - 100; rounding the growth -1.05 half up would give -1.1
    (99.33, "-0.7"),
    (103.69, "3.7"),
    (100.05, "0.1"),
    (99.95, "0.0"),      # 100.0 - 100: unchanged
    (99.949, "-0.1"),
    (218.3, "118.3"),
    (100.0, "0.0"),
]


@pytest.mark.parametrize("index, expected", TEXT_GROWTH)
def test_text_growth_is_the_index_rounded_to_one_decimal_minus_100(index, expected):
    assert growth_from_index(index) == Decimal(expected)


# (value, decimals, expected): halves away from zero on the decimal value a reader sees.
TABLE = [
    (103.685, 2, 103.69), (2.675, 2, 2.68), (1.005, 2, 1.01), (-0.75, 1, -0.8), (0.25, 1, 0.3),
    (2.25, 1, 2.3), (-2.25, 1, -2.3), (99.994, 2, 99.99), (99.995, 2, 100.0), (0.0, 2, 0.0),
]


@pytest.mark.parametrize("value, decimals, expected", TABLE)
def test_tables_round_half_up_in_decimal(value, decimals, expected):
    assert gso_round(value, decimals) == expected
    assert round_half_up(value, decimals) == Decimal(str(expected)).quantize(Decimal(1).scaleb(-decimals))


def test_formatting_in_vietnamese_and_english():
    assert fmt_growth(101.35, lang="vi") == "+1,4" and fmt_growth(101.35, lang="en") == "+1.4"
    assert fmt_growth(98.95, lang="vi") == "-1,0" and fmt_growth(99.96, lang="en") == "0.0"
    assert fmt(1234567.891, 2, lang="vi") == "1.234.567,89" and fmt(1234567.891, 2, lang="en") == "1,234,567.89"
    assert fmt(0.25, 1) == "0.3"   # Babel alone would round half to even: 0.2
    assert fmt(None) == ".." and fmt(float("nan"), 2) == ".." and gso_round(None) is None
    assert fmt(5.0, 1, sign=True) == "+5.0" and fmt(-5.0, 1, sign=True) == "-5.0"


def test_numbers_as_people_type_them():
    assert parse_number("1,4", lang="vi") == 1.4 and parse_number("1.234,5", lang="vi") == 1234.5
    assert parse_number("+1,234.5", lang="en") == 1234.5
    for text, lang in (("1.4", "vi"), ("1,4", "en"), ("1234.5", "vi")):   # a misplaced separator: refused
        with pytest.raises(ValidationError):
            parse_number(text, lang=lang)
    with pytest.raises(ValidationError, match="sold"):
        parse_number("abc", lang="vi", field="sold")


def test_infinity_is_never_a_figure():
    with pytest.raises(ValueError):
        gso_round(float("inf"))
