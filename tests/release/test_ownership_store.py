"""The ownership decomposition on a compiled store (register ownership state / nonstate / fdi): the parts equal
the compile engine run on one ownership's quantities (with every enterprise in the base year, so q0 and the
reference are the full index's), and the contributions add up to TOTAL's yoy and ytd growth."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iip.compile import compile_indices, load_inputs
from iip.compile.ownership import ownership_contributions, ownership_parts


def engine_total(con, keep: str) -> pd.Series:
    """The compile engine's national TOTAL with only ownership ``keep``'s quantities outside the base year 2020
    (the base year keeps every enterprise, so q0 and the reference are the full index's)."""
    inputs = load_inputs(con)
    inputs.pop("q")
    q = con.execute("""SELECT r.product_code, g.province, r.period, sum(r.produced) AS produced,
                              sum(r.sold) AS sold, sum(r.closing_stock) AS closing_stock
                       FROM reports r JOIN register g USING (enterprise_id)
                       WHERE g.ownership = ? OR r.period LIKE '2020-%' GROUP BY ALL""", [keep]).df()
    res = compile_indices(q, indicators=("production",), **inputs)
    b = res.blocks[0]
    row = np.flatnonzero((res.series["area"].iloc[:len(b.x)] == "VN").to_numpy()
                         & (res.series["node"].iloc[:len(b.x)] == "TOTAL").to_numpy())[0]
    return pd.Series(b.x[row], index=res.periods)


def test_parts_equal_the_engine_on_one_ownerships_quantities(con):
    from iip.compile.ownership import _classes, _quantities, unit_values
    from iip.reference.periods import month_range

    classes = _classes(con, "2022-01", "2023-07")
    parts = ownership_parts(classes, _quantities(con, month_range("2022-01", "2023-07")),
                            unit_values(con, [2020])).set_index(["ownership", "period"])["part"]
    for o in ("state", "nonstate", "fdi"):
        eng = engine_total(con, o)
        for t in ("2022-07", "2023-07"):
            assert parts[(o, t)] == pytest.approx(eng[t], rel=1e-9), (o, t)


def test_contributions_add_up_to_total_growth(con):
    c = ownership_contributions(con, "2023-07")
    tot = con.execute("""SELECT yoy, ytd FROM indices_where(indicator_is := 'production', area_is := 'VN',
                           node_is := 'TOTAL', period_from := '2023-07', period_to := '2023-07')""").fetchone()
    assert list(c["ownership"]) == ["state", "nonstate", "fdi"]
    assert c["contrib_yoy"].sum() == pytest.approx(tot[0] - 100, abs=1e-9)
    assert c["contrib_ytd"].sum() == pytest.approx(tot[1] - 100, abs=1e-9)
    assert c["contrib_yoy"].abs().min() > 0


def test_reports_changed_after_the_compile_are_refused(con):
    from iip.errors import MethodError

    con.execute("UPDATE reports SET produced = produced * 3 WHERE period = '2023-07'")
    try:
        with pytest.raises(MethodError, match="recompile|iip compile"):
            ownership_contributions(con, "2023-07")
    finally:
        con.execute("UPDATE reports SET produced = produced / 3 WHERE period = '2023-07'")
