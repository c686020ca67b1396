"""The exact decomposition of the national index by ownership (docs/methods/ownership.md): a hand-computed example
(the store-level checks against the compile engine are in tests/release/test_ownership.py)."""
from __future__ import annotations

import pandas as pd
import pytest

from iip.compile.ownership import ownership_parts
from iip.measures import contributions_of


def hand_example():
    """Class 1010: P2 (w 3; state 6 + fdi 4 a month in 2020), P3 (w 1; nonstate 20); class 1020: P4 (w 1; fdi 5).
    W(1010) = 2, W(1020) = 3, one base year: e = 0.4 and 0.6. In March 2021 P2 = state 6 + fdi 6, P3 = 15, P4 = 6:
    I(1010) = (3*120 + 1*75)/4 = 108.75, I(1020) = 120, TOTAL = 115.5 (docs/methodology.md)."""
    months = [f"{y}-{m:02d}" for y in (2020, 2021) for m in (1, 2, 3)]
    q = []
    for t in months:
        late = t == "2021-03"
        q += [("P2", "1010", "state", t, 6.0), ("P2", "1010", "fdi", t, 6.0 if late else 4.0),
              ("P3", "1010", "nonstate", t, 15.0 if late else 20.0), ("P4", "1020", "fdi", t, 6.0 if late else 5.0)]
    quantities = pd.DataFrame(q, columns=["product_code", "node", "ownership", "period", "q"])
    classes = pd.DataFrame([(c, t, 2020, (108.75 if c == "1010" else 120.0) if t == "2021-03" else 100.0, e)
                            for t in months for c, e in (("1010", 0.4), ("1020", 0.6))],
                           columns=["node", "period", "base_year", "index", "e_total"])
    unit_values = pd.DataFrame({"product_code": ["P2", "P3", "P4"], "base_year": 2020, "a": [3 / 10, 1 / 20, 1 / 5]})
    return classes, quantities, unit_values


def test_hand_computed_ownership_parts_and_contributions():
    parts = ownership_parts(*hand_example()).set_index(["ownership", "period"])["part"]
    # March 2021: state 0.4*100*(3/4)*(6/10) = 18; nonstate 0.4*100*(1/4)*(15/20) = 7.5;
    # fdi 0.4*100*(3/4)*(6/10) + 0.6*120 = 18 + 72 = 90; they add up to TOTAL = 115.5
    assert parts[("state", "2021-03")] == pytest.approx(18.0)
    assert parts[("nonstate", "2021-03")] == pytest.approx(7.5)
    assert parts[("fdi", "2021-03")] == pytest.approx(90.0)
    # March 2020 (all 100): state 18, nonstate 10, fdi 12 + 60 = 72
    assert (parts[("state", "2020-03")], parts[("nonstate", "2020-03")], parts[("fdi", "2020-03")]) == \
        pytest.approx((18.0, 10.0, 72.0))
    frame = parts.reset_index().assign(whole=lambda f: f.groupby("period")["part"].transform("sum"))
    c = contributions_of(None, frame, key=["ownership"]).set_index(["ownership", "period"])
    # yoy: (18-18), (7.5-10), (90-72) points of 100 -> 0, -2.5, +18 = 15.5 = 115.5 - 100
    assert c.loc[("state", "2021-03"), "contrib_yoy"] == pytest.approx(0.0, abs=1e-12)
    assert c.loc[("nonstate", "2021-03"), "contrib_yoy"] == pytest.approx(-2.5)
    assert c.loc[("fdi", "2021-03"), "contrib_yoy"] == pytest.approx(18.0)
    # ytd: January and February 2021 repeat 2020: nonstate -2.5/300*100, fdi 18/300*100; total 315.5/300*100 - 100
    assert c.loc[("nonstate", "2021-03"), "contrib_ytd"] == pytest.approx(-2.5 / 3)
    assert c.loc[("fdi", "2021-03"), "contrib_ytd"] == pytest.approx(6.0)
    assert c.xs("2021-03", level="period")["contrib_ytd"].sum() == pytest.approx(100 * 315.5 / 300 - 100)
