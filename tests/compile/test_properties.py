"""Property tests (hypothesis) of the engine's defining identities."""
from __future__ import annotations

import numpy as np
import pandas as pd
from dataset import REGION_OF, TREE, make_dataset, products_frame, quantities
from measures_oracle import oracle_indices
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iip.compile.engine import compile_indices

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
KEY = ["indicator", "area", "node", "period"]


def run(q, weights, **kw):
    return oracle_indices(compile_indices(q, products=products_frame(), weights=weights, tree=TREE, region_of=REGION_OF,
                           **kw)).sort_values(KEY).reset_index(drop=True)


def base(seed):
    reports, weights = make_dataset(seed, years=(2019, 2021))
    return quantities(reports), weights


@SETTINGS
@given(seed=st.integers(0, 10_000), factor=st.floats(0.001, 1000), product=st.sampled_from(["P1", "P2", "P4", "P5"]))
def test_scaling_a_products_quantities_changes_no_index(seed, factor, product):
    q, w = base(seed)
    scaled = q.copy()
    rows = scaled.product_code == product
    scaled.loc[rows, ["produced", "sold", "closing_stock"]] *= factor
    a, b = run(q, w), run(scaled, w)
    assert np.allclose(a["index"], b["index"], rtol=1e-9)


@SETTINGS
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_row_order_never_matters(seed, perm_seed):
    q, w = base(seed)
    rng = np.random.default_rng(perm_seed)
    a = run(q, w)
    b = run(q.iloc[rng.permutation(len(q))], w.iloc[rng.permutation(len(w))])
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 10_000))
def test_parent_is_weighted_mean_of_children(seed):
    q, w = base(seed)
    out = run(q, w)
    ind = w[w.kind == "industry"]
    parent = dict(zip(TREE.code, TREE.parent))
    prov = out[(out.indicator == "production") & (out.area == "79") & (out.period == "2021-06")].set_index("node")
    wc = ind[ind.province == "79"].set_index("code")["value"]
    # W of a node = sum of the weights of the classes under it that have an index in the area
    classes = [c for c in prov.index if len(c) == 4]

    def under(c, n):
        while c:
            if c == n:
                return True
            c = parent.get(c)
        return False
    W = {n: sum(wc[c] for c in classes if under(c, n)) for n in prov.index}
    for p in ("TOTAL", "C", "10"):
        if p not in prov.index:
            continue
        kids = [n for n in prov.index if parent.get(n) == p]
        mean = sum(W[k] * prov.loc[k, "index"] for k in kids) / sum(W[k] for k in kids)
        assert np.isclose(prov.loc[p, "index"], mean, rtol=1e-12)


@SETTINGS
@given(seed=st.integers(0, 10_000), year=st.sampled_from([2019, 2021]))
def test_rereferencing_keeps_every_growth_rate(seed, year):
    q, w = base(seed)
    a, b = run(q, w), run(q, w, reference_year=year)
    for c in ("mom", "yoy", "ytd", "contrib_yoy"):
        x, y = a[c].to_numpy(), b[c].to_numpy()
        ok = ~np.isnan(x)
        assert np.array_equal(ok, ~np.isnan(y))
        assert np.allclose(x[ok], y[ok], rtol=1e-9)
