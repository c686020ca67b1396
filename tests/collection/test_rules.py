"""The edit rules (iip.collection.rules) on hand-made histories whose bands are worked out by hand, and a batch
of enterprises x months checked together giving what each gives alone."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from iip.collection import rules
from iip.reference.periods import month_add

PERIOD = "2024-07"


def _history(values: list[float], *, product: str = "P1", enterprise: str = "E1", skip: tuple[int, ...] = ()
             ) -> pd.DataFrame:
    """``values`` for the months just before PERIOD (the last one is June 2024), produced = sold = values."""
    n = len(values)
    rows = [{"enterprise_id": enterprise, "product_code": product, "period": month_add(PERIOD, k - n),
             "produced": v, "sold": v, "closing_stock": np.nan} for k, v in enumerate(values) if k not in skip]
    return pd.DataFrame(rows)


def _lines(produced: float, *, sold: float = np.nan, closing: float = np.nan, value: float = np.nan,
           enterprise: str = "E1", product: str = "P1", period: str = PERIOD, row: int = 1) -> pd.DataFrame:
    return pd.DataFrame([{"enterprise_id": enterprise, "period": period, "product_code": product,
                          "produced": produced, "sold": sold, "closing_stock": closing, "value": value,
                          "_row": row, "_where": "products[0]."}])


def _messages(found) -> list[str]:
    return [w.message for _, w in found]


def test_a_change_outside_a_narrow_band_warns_with_the_band_worked_out_by_hand():
    # 13 months alternating 100 and 101: 12 log changes of +-ln(1.01); median 0, MAD ln(1.01) = 0.00995, so the
    # half-width is the floor ln(1.25) (4 x 1.4826 x 0.00995 = 0.059 is less): the band is -20.0% to +25.0%
    hist = _history([100.0 if k % 2 == 0 else 101.0 for k in range(13)])      # June = 100
    assert _messages(rules.change_warnings(_lines(130.0), hist)) == [
        "produced changed +30.0% from last month (100), outside this enterprise's usual range -20.0% to +25.0%"]
    assert rules.change_warnings(_lines(124.0), hist) == []
    assert _messages(rules.change_warnings(_lines(79.0), hist))[0].startswith("produced changed -21.0%")


def test_a_wide_band_comes_from_the_mad():
    # alternating 100 and 150: changes +-ln(1.5), median 0, MAD ln 1.5 = 0.405, half-width 4 x 1.4826 x 0.405
    # = 2.404: even a doubling is usual; the band is exp(-2.404) - 1 = -91.0% to exp(2.404) - 1 = +1,007%
    hist = _history([100.0 if k % 2 == 0 else 150.0 for k in range(13)])
    assert rules.change_warnings(_lines(200.0), hist) == []
    half = 4 * 1.4826 * math.log(1.5)
    big = 100 * math.exp(half + 0.01)
    msg = _messages(rules.change_warnings(_lines(big), hist))
    assert msg == [f"produced changed {100 * (math.exp(half + 0.01) - 1):+.1f}% from last month (100), outside "
                   f"this enterprise's usual range {100 * (math.exp(-half) - 1):+.1f}% to "
                   f"{100 * (math.exp(half) - 1):+.1f}%"]


def test_few_changes_fall_back_to_a_doubling_and_gaps_break_changes():
    # 13 months but every other one missing: no two consecutive months, so no change at all -> fallback |c| > ln 2
    hist = _history([100.0] * 13, skip=tuple(range(1, 13, 2)))
    assert rules.change_warnings(_lines(190.0), hist) == []
    assert _messages(rules.change_warnings(_lines(250.0), hist)) == [
        "produced changed +150.0% from last month (100)"]
    # June missing: nothing to compare with
    assert rules.change_warnings(_lines(1000.0), _history([100.0] * 12 + [np.nan])) == []


def test_a_fall_to_zero_warns_and_sold_follows_produced():
    hist = _history([100.0] * 3)
    found = rules.change_warnings(_lines(0.0, sold=0.0), hist)
    assert [(w.field, w.message) for _, w in found] == [
        ("products[0].produced", "produced fell to 0 from 100 last month"),
        ("products[0].sold", "sold fell to 0 from 100 last month")]


def test_stock_balance_and_unit_value():
    hist = _history([100.0] * 2).assign(closing_stock=50.0)                # opening stock 50
    # 50 + 100 - 90 = 60: a closing stock of 65 is within 10% of max(50, 100, 90, 65) = 10; 75 is not
    assert rules.stock_warnings(_lines(100.0, sold=90.0, closing=65.0), hist) == []
    assert _messages(rules.stock_warnings(_lines(100.0, sold=90.0, closing=75.0), hist)) == [
        "closing stock 75 is far from opening 50 + produced 100 - sold 90 = 60"]
    prev = pd.DataFrame([{"enterprise_id": "E1", "period": "2024-06", "product_code": "P1", "sold": 10.0,
                          "value": 20.0}])                                      # unit value 2
    assert rules.unit_value_warnings(_lines(1.0, sold=10.0, value=29.0), prev) == []       # 2.9: +45%
    assert _messages(rules.unit_value_warnings(_lines(1.0, sold=10.0, value=31.0), prev)) == [
        "unit value 3.1 (value / sold) moved +55.0% from last month's 2"]
    # another month's or another enterprise's submission is not last month's
    assert rules.unit_value_warnings(_lines(1.0, sold=10.0, value=31.0, period="2024-08"), prev) == []
    assert rules.unit_value_warnings(_lines(1.0, sold=10.0, value=31.0, enterprise="E2"), prev) == []


def test_a_batch_gives_what_each_enterprise_month_gives_alone():
    rng = np.random.default_rng(7)
    hist = pd.concat([_history(list(rng.uniform(50, 150, 26)), enterprise=e, product=p)
                      for e in ("E1", "E2") for p in ("P1", "P2")], ignore_index=True)
    prev = hist.rename(columns={"produced": "value"})[["enterprise_id", "period", "product_code", "sold", "value"]]
    units = [(e, per) for e in ("E1", "E2") for per in ("2024-05", "2024-06", PERIOD)]
    lines = pd.concat([_lines(*rng.uniform(0, 300, 1), sold=rng.uniform(0, 300), closing=rng.uniform(0, 300),
                              value=rng.uniform(0, 300), enterprise=e, product=p, period=per)
                       for e, per in units for p in ("P1", "P2")], ignore_index=True)
    lines["_row"] = np.arange(1, len(lines) + 1)
    together = rules.edit_warnings(lines, hist, prev)
    alone = []
    for e, per in units:
        one = lines[(lines["enterprise_id"] == e) & (lines["period"] == per)]
        alone += [(int(one.index[i]), w) for i, w in rules.edit_warnings(one.reset_index(drop=True), hist, prev)]
    key = [(i, w.rule, w.field) for i, w in together]
    assert len(together) >= 4                                      # the draw warns: the comparison is not empty
    assert sorted(key) == sorted((i, w.rule, w.field) for i, w in alone)
    assert {w.message for _, w in together} == {w.message for _, w in alone}
