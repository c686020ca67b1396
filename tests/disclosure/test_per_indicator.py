"""Each indicator gets its own suppression pattern (issue 15, the over-suppression fix): where inventory (or
consumption) has no section D, a province's TOTAL is its C alone, so a confidential C forces that indicator's
TOTAL; production's TOTAL = C + D is protected by a complement in D and stays published. Checked with the
intruder of tests/disclosure/intruder.py (written apart from iip.disclosure)."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from iip import disclosure
from iip.disclosure.pattern import reference_frames
from tests.disclosure import intruder

PROVINCES = ("01", "22", "26")                   # three provinces of the Red River Delta
CLASS_WEIGHT = {("01", "1010"): 5.0, ("22", "1010"): 3.0, ("26", "1010"): 4.0,
                ("01", "3511"): 2.0, ("22", "3511"): 6.0, ("26", "3511"): 1.0}
CHAIN = {"1010": ["1010", "101", "10", "C", "TOTAL"], "3511": ["3511", "351", "35", "D", "TOTAL"]}


def cells_of(classes: list[str]) -> pd.DataFrame:
    """Every compiled cell (area, node) when each province makes ``classes``: provinces, RRD and VN."""
    nodes = sorted({n for c in classes for n in CHAIN[c]})
    return pd.DataFrame([(a, n) for a in (*PROVINCES, "RRD", "VN") for n in nodes], columns=["area", "node"])


def weights_by_hand(classes: list[str]) -> dict:
    """W(A, n): the class weights under n summed over A's provinces, written out here."""
    w: dict = {}
    for (prov, cls), v in CLASS_WEIGHT.items():
        if cls in classes:
            for area in (prov, "RRD", "VN"):
                for n in CHAIN[cls]:
                    w[(area, n)] = w.get((area, n), 0.0) + v
    return w


def pattern(indicator: str, classes: list[str]) -> set:
    ref = reference_frames(merged=False)
    cells = cells_of(classes)
    primary = pd.DataFrame({"area": ["01"], "node": ["1010"], "reason": ["primary: 1 enterprise(s) < 3"]})
    res = disclosure.suppression(indicator, cells, primary, weights_by_hand(classes), parent_of=ref["parent_of"],
                                 geo=ref["geo"])
    assert set(res.table["indicator"]) == {indicator} and res.unsettled == []
    return set(zip(res.table["area"], res.table["node"]))


def test_a_total_forced_in_inventory_stays_published_in_production():
    production = pattern("production", ["1010", "3511"])        # TOTAL = C + D
    inventory = pattern("inventory", ["1010"])                  # no stocks of electricity: TOTAL = C
    assert ("01", "C") in production and ("01", "C") in inventory
    assert ("01", "TOTAL") in inventory                         # TOTAL = C: publishing it would publish C
    assert ("01", "TOTAL") not in production                    # a D cell protects C instead
    assert not any(n == "TOTAL" for _, n in production)         # no TOTAL at all: provinces, RRD, VN
    for classes, hidden in ((["1010", "3511"], production), (["1010"], inventory)):
        cells = set(map(tuple, cells_of(classes).itertuples(index=False)))
        groups = intruder.identities(cells)
        assert intruder.by_equality(groups, hidden) == set()
        assert intruder.by_linear_combination(groups, hidden, weights_by_hand(classes)) == set()


def test_apply_uses_each_rows_indicator():
    table = pd.DataFrame({"indicator": ["inventory"], "area": ["01"], "node": ["TOTAL"], "status": ["c"],
                          "reason": ["secondary"]})
    df = pd.DataFrame({"indicator": ["production", "inventory", "inventory"], "area": ["01", "01", "01"],
                       "node": ["TOTAL", "TOTAL", "C"], "index": [101.0, 99.0, 98.0],
                       "contrib_total_yoy": [0.5, 0.4, 0.3]})
    out = disclosure.apply(duckdb.connect(), df, table=table)
    assert list(out["obs_status"]) == ["", "c", ""]
    assert out["index"].isna().tolist() == [False, True, False]
    assert np.isnan(out["contrib_total_yoy"].iloc[2]) and out["contrib_total_yoy"].iloc[0] == 0.5
