"""One rounding in every output (issue 13 item 2): the CLI's tables, the dashboard's cards and charts and the
release text all go through iip.reference.rounding (tables: two decimals half up; text growth: the index rounded
to one decimal, minus 100). The boundary table itself is tests/reference/test_reference_rounding.py."""
from __future__ import annotations

import pytest

from iip.cli.core import _fmt as cli_fmt
from iip.web import charts, html_charts
from iip.web.i18n import fmt_growth_number, fmt_number

# (index, what a text states in en / vi): 101.35 - 100 is 1.34999... in binary floating point
GROWTH = [(101.35, "+1.4", "+1,4"), (98.95, "-1.0", "-1,0"), (99.33, "-0.7", "-0,7"), (99.95, "0.0", "0,0")]


@pytest.mark.parametrize("index, en, vi", GROWTH)
def test_dashboard_growth_is_gso_rounding(index, en, vi):
    assert fmt_growth_number(index, "en") == en and fmt_growth_number(index, "vi") == vi
    assert html_charts._pct(index) == float(en)


def test_dashboard_card_macro_uses_it():
    from iip.web.pages_common import templates

    tpl = templates.env.from_string('{% from "_macros.html" import pct with context %}{{ pct(v) }}')
    out = tpl.render(v=101.35, growth=lambda v, nd=1: fmt_growth_number(v, "vi", nd), t=lambda k: k)
    assert ">+1,4%<" in out


def test_tables_round_half_up_in_cli_and_dashboard():
    assert cli_fmt(2.675) == "2.68" and cli_fmt(103.685) == "103.69" and cli_fmt(None) == ""
    assert fmt_number(1.005, "en", 2) == "1.01" and fmt_number(1234.5, "vi", 1) == "1.234,5"
    assert charts._pct(101.355) == pytest.approx(1.36)   # the table's two decimals, half up, minus 100
