"""A tiny VSIC tree (real VSIC 2018 codes) and a random but reproducible dataset for engine tests."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from bruteforce import months  # noqa: E402

TREE = pd.DataFrame([
    ("TOTAL", "total", None), ("B", "section", "TOTAL"), ("C", "section", "TOTAL"),
    ("05", "division", "B"), ("051", "group", "05"), ("0510", "class", "051"),
    ("10", "division", "C"), ("101", "group", "10"), ("1010", "class", "101"),
    ("102", "group", "10"), ("1020", "class", "102"), ("11", "division", "C"), ("110", "group", "11"),
    ("1103", "class", "110")], columns=["code", "level", "parent"])
PRODUCTS = {"P1": "0510", "P2": "1010", "P3": "1010", "P4": "1020", "P5": "1103"}
REGISTER = {"E1": "01", "E2": "01", "E3": "79", "E4": "79", "E5": "22", "E6": "22"}
REGION_OF = {"01": "RRD", "22": "RRD", "79": "SE"}
MAKES = {"E1": ["P1", "P2"], "E2": ["P3", "P5"], "E3": ["P2", "P4"], "E4": ["P4", "P5"], "E5": ["P1"], "E6": ["P5"]}


def make_dataset(seed: int = 1, years=(2019, 2021), base_years=(2020,)):
    rng = np.random.default_rng(seed)
    reports = [dict(enterprise_id=e, period=t, product_code=p, produced=float(rng.uniform(5, 50)),
                    sold=float(rng.uniform(5, 50)), closing_stock=float(rng.uniform(1, 9)))
               for e, ps in MAKES.items() for p in ps for t in months(*years)]
    w = []
    for b in base_years:
        for e, ps in MAKES.items():
            for p in ps:
                w.append(("product", p, REGISTER[e], b, float(rng.uniform(1, 10))))
        for c in ("0510", "1010", "1020", "1103"):
            for pv in ("01", "79", "22"):
                w.append(("industry", c, pv, b, float(rng.uniform(1, 10))))
    weights = (pd.DataFrame(w, columns=["kind", "code", "province", "base_year", "value"])
               .groupby(["kind", "code", "province", "base_year"], as_index=False).sum())
    return reports, weights


def quantities(reports) -> pd.DataFrame:
    rep = pd.DataFrame(reports)
    rep["province"] = rep["enterprise_id"].map(REGISTER)
    return rep.groupby(["product_code", "province", "period"], as_index=False)[
        ["produced", "sold", "closing_stock"]].sum()


def products_frame() -> pd.DataFrame:
    return pd.DataFrame(list(PRODUCTS.items()), columns=["product_code", "vsic"])


