"""iip's Hidiroglou-Berthelot against Statistics Canada's Banff (its `outlier` procedure): same effects, bounds
and flags on the same strata. Banff is an independent implementation (C code behind a Python API), so this is a
real oracle for our pure NumPy method."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from iip.quality.outliers import hidiroglou_berthelot

banff = pytest.importorskip("banff", reason="the banff package is needed for the Banff cross-check")

U, A, C, MIN_UNITS = 0.5, 0.05, 7.0, 5


def strata(seed: int) -> pd.DataFrame:
    """Four strata of 40 units (month-on-month ratios near 1.02) plus a few gross changes in each."""
    rng = np.random.default_rng(seed)
    rows = []
    for g in range(4):
        previous = rng.lognormal(5, 1, 40)
        current = previous * rng.lognormal(0.02, 0.05, 40)
        current[:3] *= [3.0, 0.2, 1.8]
        rows += [(f"G{g}U{i:02d}", f"G{g}", current[i], previous[i]) for i in range(40)]
    return pd.DataFrame(rows, columns=["id", "group", "current", "previous"])


def banff_hb(df: pd.DataFrame) -> pd.DataFrame:
    res = banff.outlier(unit_id="id", by="group", var="current", with_var="previous", method="RATIO",
                        exponent=U, mdm=A, mii=C, min_obs=MIN_UNITS, indata=df, outlier_stats=True)
    return res.outstatus_detailed.to_pandas()


@pytest.mark.parametrize("seed", [3, 11, 2026])
def test_hb_equals_banff(seed):
    df = strata(seed)
    ours = hidiroglou_berthelot(df, group="group", U=U, A=A, C=C, min_units=MIN_UNITS).set_index("id")
    theirs = banff_hb(df).set_index("id")
    assert len(theirs) > 0 and set(theirs["METHOD"]) == {"HB"}
    # Banff lists the outliers with their effect and imputation bounds: ours must agree on every one of them ...
    np.testing.assert_allclose(ours.loc[theirs.index, "effect"], theirs["EFFECT"], rtol=1e-9)
    np.testing.assert_allclose(ours.loc[theirs.index, "lower"], theirs["IMP_BND_L"], rtol=1e-9)
    np.testing.assert_allclose(ours.loc[theirs.index, "upper"], theirs["IMP_BND_R"], rtol=1e-9)
    # ... and flag exactly the units Banff flags.
    assert set(ours.index[ours["outlier"]]) == set(theirs.index)
