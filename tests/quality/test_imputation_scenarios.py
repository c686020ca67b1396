"""Ratio-of-means imputation scenarios: tests/scenarios/imputation/NN_<case>_input.csv -> NN_<case>_output.csv.

One test per file pair (found by glob); parameters in params.toml; a failure lists every differing row and
column. Expected outputs were worked out by hand from the formulas in docs/methods/imputation.md."""
from __future__ import annotations

import math
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from iip.quality.imputation import ratio_of_means

HERE = Path(__file__).resolve().parents[1] / "scenarios" / "imputation"
CASES = sorted(p.name[: -len("_input.csv")] for p in HERE.glob("*_input.csv"))
NUMERIC = ["imputed", "forward", "backward", "construction", "count_forward", "count_backward",
           "count_construction"]


def params(case: str) -> dict:
    cfg = tomllib.loads((HERE / "params.toml").read_text())
    return {**cfg["default"], **cfg.get("cases", {}).get(case, {})}


def _show(x) -> str:
    if pd.isna(x):
        return "null"
    return repr(float(x)) if isinstance(x, (int, float)) and not isinstance(x, bool) else repr(str(x))


def differences(got: pd.DataFrame, want: pd.DataFrame, *, key: list[str], rel_tol: float, abs_tol: float
                ) -> list[str]:
    """Human-readable differences by row (key) and column."""
    out = []
    g, w = got.set_index(key), want.set_index(key)
    for k in w.index.difference(g.index):
        out.append(f"row {k}: missing from the output")
    for k in g.index.difference(w.index):
        out.append(f"row {k}: not expected in the output")
    for k in w.index.intersection(g.index):
        for c in w.columns:
            a, b = g.at[k, c], w.at[k, c]
            a_na, b_na = pd.isna(a), pd.isna(b)
            if c in NUMERIC:
                same = (a_na and b_na) or (not a_na and not b_na and
                                           math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=abs_tol))
            else:
                same = (a_na and b_na) or (not a_na and not b_na and str(a) == str(b))
            if not same:
                out.append(f"row {k}, column {c}: got {_show(a)}, expected {_show(b)}")
    return out


def test_scenarios_are_found():
    assert len(CASES) >= 6


@pytest.mark.parametrize("case", CASES)
def test_scenario(case):
    p = params(case)
    read = dict(dtype={p["id"]: str, p["period"]: str, p["group"]: str, "marker": str}, keep_default_na=True)
    inp = pd.read_csv(HERE / f"{case}_input.csv", **read)
    want = pd.read_csv(HERE / f"{case}_output.csv", **read)
    got = ratio_of_means(inp, id=p["id"], period=p["period"], group=p["group"], target=p["target"],
                         auxiliary=p["auxiliary"])
    assert list(got.columns) == list(want.columns)
    diffs = differences(got, want, key=[p["id"], p["period"]], rel_tol=p["rel_tol"], abs_tol=p["abs_tol"])
    assert not diffs, f"{case}: {len(diffs)} difference(s):\n" + "\n".join(diffs)


def test_differences_reports_row_and_column():
    want = pd.DataFrame({"id": ["1"], "period": ["2024-01"], "imputed": [1.0], "marker": ["R"]})
    got = want.assign(imputed=[2.0], marker=["FIR"])
    d = differences(got, want, key=["id", "period"], rel_tol=1e-9, abs_tol=1e-9)
    assert d == ["row ('1', '2024-01'), column imputed: got 2.0, expected 1.0",
                 "row ('1', '2024-01'), column marker: got 'FIR', expected 'R'"]
