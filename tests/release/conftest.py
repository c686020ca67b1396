"""A small store for release tests: 6 provinces in 3 regions, 7 classes, ~100 enterprises, 2020-01..2023-12,
compiled with the real engine (base year 2020). Built once per session; tests that write copy it."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iip.compile import compile_store
from iip.store import connect

PROVINCES = ["01", "22", "26", "48", "74", "79"]
CLASSES = ["0510", "1010", "1020", "1050", "1103", "2410", "3511"]
FIRST, LAST = "2020-01", "2023-12"
OWNERSHIP = ("state", "nonstate", "fdi")


def months(first: str = FIRST, last: str = LAST) -> list[str]:
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]


def make_tables(seed: int = 7, last: str = LAST) -> dict[str, pd.DataFrame]:
    """register, products, weights, reports (with a status column: a few base-year rows imputed)."""
    rng = np.random.default_rng(seed)
    products = pd.DataFrame([(f"P{c}{s}", f"Sản phẩm {c}{s}", f"Product {c}{s}", "tấn", c)
                             for c in CLASSES for s in "ab"],
                            columns=["product_code", "name_vi", "name_en", "unit", "vsic"])
    reg, makes = [], {}
    k = 0
    for pv in PROVINCES:
        for c in CLASSES:
            n = int(rng.choice([0, 1, 2, 3, 4, 6], p=[.15, .15, .15, .2, .2, .15]))
            for _ in range(n):
                k += 1
                e = f"E{k:03d}"
                reg.append((e, f"Công ty {k}", pv, c, OWNERSHIP[k % 3]))
                makes[e] = [f"P{c}a"] + ([f"P{c}b"] if rng.random() < .5 else [])
    register = pd.DataFrame(reg, columns=["enterprise_id", "name", "province", "vsic", "ownership"])
    size = {e: float(rng.lognormal(3, 1.2)) for e in makes}
    rows = []
    ms = months(last=last)
    for e, ps in makes.items():
        trend = rng.normal(0.004, 0.01)
        for p in ps:
            for i, t in enumerate(ms):
                q = size[e] * (1 + trend) ** i * rng.uniform(0.85, 1.15)
                rows.append((e, t, p, q, 0.9 * q, 0.2 * q, "R"))
    reports = pd.DataFrame(rows, columns=["enterprise_id", "period", "product_code", "produced", "sold",
                                          "closing_stock", "status"])
    # one enterprise's base-year reports are imputed: it must not count in the dominance rules
    imputed = register["enterprise_id"].iloc[3]
    reports.loc[(reports["enterprise_id"] == imputed) & reports["period"].str.startswith("2020"), "status"] = "FIR"
    prov = dict(zip(register["enterprise_id"], register["province"]))
    pq = reports.assign(province=reports["enterprise_id"].map(prov))
    base = pq[pq["period"].str.startswith("2020")].groupby(["product_code", "province"])["produced"].sum() / 12
    price = {p: float(rng.uniform(1, 20)) for p in products["product_code"]}
    w = [("product", p, pv, 2020, q0 * price[p] * float(rng.uniform(0.8, 1.2))) for (p, pv), q0 in base.items()]
    cls = pq.merge(products[["product_code", "vsic"]], on="product_code").groupby(["vsic", "province"]).size()
    w += [("industry", c, pv, 2020, float(rng.uniform(100, 5000))) for (c, pv) in cls.index]
    weights = pd.DataFrame(w, columns=["kind", "code", "province", "base_year", "value"])
    return {"register": register, "products": products, "weights": weights, "reports": reports}


def build_store(path, tables: dict[str, pd.DataFrame] | None = None):
    """Write the tables straight into a fresh store and compile it."""
    tables = tables or make_tables()
    con = connect(path)
    for name, df in tables.items():
        con.register("_t", df.assign(load_id=1))
        cols = ", ".join(df.columns) + ", load_id"
        con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _t")
        con.unregister("_t")
    compile_store(con)
    return con


@pytest.fixture(scope="session")
def tables():
    return make_tables()


@pytest.fixture(scope="session")
def store_path(tmp_path_factory, tables):
    path = tmp_path_factory.mktemp("release") / "s.duckdb"
    build_store(path, tables).close()
    return path


@pytest.fixture(scope="session")
def store_2025(tmp_path_factory):
    """The same enterprises with data to August 2025: the compile adds the 34 merged provinces (N<code>)."""
    path = tmp_path_factory.mktemp("release2025") / "s.duckdb"
    build_store(path, make_tables(last="2025-08")).close()
    return path


def private_copy(store: Path, tmp_path: Path):
    """A writable connection to a private copy of a session store (closed by the caller)."""
    p = tmp_path / "s.duckdb"
    shutil.copy(store, p)
    return connect(p)


@pytest.fixture()
def con(store_path, tmp_path):
    """A private writable copy of the session store."""
    c = private_copy(store_path, tmp_path)
    yield c
    c.close()


@pytest.fixture()
def con25(store_2025, tmp_path):
    """A private writable copy of the store with data to August 2025."""
    c = private_copy(store_2025, tmp_path)
    yield c
    c.close()
