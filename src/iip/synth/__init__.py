"""Synthetic IIP microdata: a register, product catalogue, base-year weights and monthly enterprise reports
that look like Vietnam's (industrial geography, Tet, COVID) and whose national division growth follows GSO's
published yoy. Method: docs/methods/synth.md.

``write_synthetic(out_dir, scale="small"|"gso", seed=2020)`` writes register.csv, products.csv, weights.csv,
reports.parquet and employment.parquet; ``generate`` returns the same tables as DataFrames, and the complete
reports before non-response (``truth``).

Like a real collection, the files have closures (the register's ``active_to``: the last month an enterprise
that exits produced; ``active_from``: the first month of one that opens), non-response (each enterprise misses
a month's report with probability :data:`NONRESPONSE`) and a sparse last month (only :data:`LAST_MONTH_RESPONSE`
of the enterprises have reported it yet), so the pipeline's imputation and provisional months have something to
do. The non-response draws use their own random stream: the rest of the data is the same as without them.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iip.errors import IIPError
from iip.synth import catalogue, panel
from iip.synth.calibration import last_calibrated_period
from iip.synth.names import enterprise_names
from iip.synth.register import build_register, product_table

LAST_CALIBRATED_PERIOD: str = last_calibrated_period()
SCALES = {"small": 1500, "gso": 16000}
FILES = ("register.csv", "products.csv", "weights.csv", "reports.parquet", "employment.parquet")
REGISTER_COLUMNS = ["enterprise_id", "name", "province", "vsic", "ownership", "active_from", "active_to"]
#: Probability that an active enterprise misses a month's report (non-response, spread at random).
NONRESPONSE = 0.02
#: Share of the active enterprises that have reported the last month (a sparse, provisional month).
LAST_MONTH_RESPONSE = 0.55


@dataclass
class Synthetic:
    """The generated tables; reports and employment are pyarrow Tables (millions of rows at scale gso)."""
    register: pd.DataFrame
    products: pd.DataFrame
    weights: pd.DataFrame
    reports: pa.Table
    employment: pa.Table
    truth: pa.Table | None = None


def response_mask(n_enterprises: int, n_months: int, seed: int, *, rate: float = NONRESPONSE,
                  last_month: float = LAST_MONTH_RESPONSE) -> np.ndarray:
    """[enterprise, month] true where the enterprise's report arrived: each month missed with probability
    ``rate``; the last month reported by a share ``last_month`` only. Its own random stream (``seed``, 7)."""
    rng = np.random.default_rng([seed, 7])
    arrived = rng.random((n_enterprises, n_months)) >= rate
    arrived[:, -1] = rng.random(n_enterprises) < last_month
    return arrived


def scale_config(scale: str, last: str = LAST_CALIBRATED_PERIOD) -> tuple[int, str, str, list[int]]:
    """(enterprises, first period, last period, base years) of a scale."""
    if scale not in SCALES:
        raise IIPError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    if scale == "small":
        return SCALES[scale], "2019-01", last, [2020]
    first = str(pd.Period(last, "M") - 119)
    return SCALES[scale], first, last, [2015, 2020]


def _provinces() -> tuple[list[str], dict[str, str]]:
    from iip import reference
    p = reference.provinces()
    codes = [str(c).zfill(2) for c in p["code"]]
    return codes, dict(zip(codes, p["name_vi"].astype(str)))


def _long(values: dict[str, np.ndarray], mask: np.ndarray, keys: dict[str, tuple[np.ndarray, np.ndarray]],
          periods: list[str]) -> pa.Table:
    """Long pyarrow table of the cells where ``mask`` (rows x months) is true. ``keys``: column -> (dictionary,
    code per matrix row); the period column is added from the month index."""
    r, t = np.nonzero(mask)
    cols = {}
    for name, (dictionary, code) in keys.items():
        cols[name] = pa.DictionaryArray.from_arrays(pa.array(code[r].astype(np.int32)),
                                                    pa.array(dictionary)).cast(pa.string())
        if name == "enterprise_id":
            cols["period"] = pa.DictionaryArray.from_arrays(pa.array(t.astype(np.int32)),
                                                            pa.array(periods)).cast(pa.string())
    for name, mat in values.items():
        cols[name] = pa.array(mat[r, t])
    return pa.table(cols)


def generate(*, scale: str = "small", seed: int = 2020, progress: Callable | None = None,
             last: str = LAST_CALIBRATED_PERIOD) -> Synthetic:
    """Generate the synthetic tables (deterministic given ``seed``)."""
    step = progress or (lambda name, fraction: None)
    n_ent, first, last, base_years = scale_config(scale, last)
    periods = pd.period_range(first, last, freq="M").strftime("%Y-%m").tolist()
    rng = np.random.default_rng(seed)
    step("register", 0.0)
    provinces, prov_names = _provinces()
    products = product_table(catalogue.catalogue_products(), rng)
    reg, lines = build_register(products, provinces, n_ent, first, last, rng)
    step("quantities", 0.2)
    q, act, tr = panel.quantities(lines, reg, products, periods, rng)
    step("stocks", 0.5)
    div = reg["division"].to_numpy()[lines["enterprise"].to_numpy()]
    storable = np.array([catalogue.division_params(d)[4] for d in div])
    sold, close = panel.stocks(q, act, storable, rng)
    emp = panel.employment(reg, lines, tr, act, periods, rng)
    step("weights", 0.7)
    w = panel.weights(lines, reg, products, q, periods, base_years, rng)
    sizes = np.bincount(lines["enterprise"], weights=lines["value"], minlength=len(reg))
    names = enterprise_names(reg["division"].to_numpy(), reg["ownership"].to_numpy(), reg["province"].to_numpy(),
                             prov_names, sizes, rng)
    reg["name"] = [n if isinstance(n, str) else g for n, g in zip(reg["name"], names)]
    reg["active_from"] = reg["start"].where(reg["start"].notna(), None)
    reg["active_to"] = reg["end"].where(reg["end"].notna(), None)
    register = reg[REGISTER_COLUMNS]
    used = sorted(set(lines["product_code"]))
    prod_out = products[products["product_code"].isin(used)][["product_code", "name_vi", "name_en", "unit",
                                                               "vsic"]].reset_index(drop=True)
    step("tables", 0.8)
    ids = reg["enterprise_id"].to_numpy()
    codes = np.array(used)
    line_ent = lines["enterprise"].to_numpy()
    line_prod = np.searchsorted(codes, lines["product_code"].to_numpy())
    arrived = response_mask(len(reg), len(periods), seed)
    values = {"produced": q, "sold": sold, "closing_stock": close}
    keys = {"enterprise_id": (ids, line_ent), "product_code": (codes, line_prod)}
    reports = _long(values, (act > 0) & arrived[line_ent], keys, periods)
    employment = _long({"employees": emp.astype(np.int64)}, (emp > 0) & arrived,
                       {"enterprise_id": (ids, np.arange(len(reg)))}, periods)
    return Synthetic(register, prod_out, w, reports, employment, _long(values, act > 0, keys, periods))


def write_synthetic(out_dir: Path, *, scale: str = "small", seed: int = 2020,
                    progress: Callable | None = None) -> dict[str, Path]:
    """Generate and write register.csv, products.csv, weights.csv, reports.parquet and employment.parquet
    into ``out_dir``; files are written to a temporary folder first and moved into place together."""
    step = progress or (lambda name, fraction: None)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    syn = generate(scale=scale, seed=seed, progress=step)
    step("writing", 0.85)
    paths = {}
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".synth-") as tmp_name:
        tmp = Path(tmp_name)
        syn.register.to_csv(tmp / "register.csv", index=False, encoding="utf-8")
        syn.products.to_csv(tmp / "products.csv", index=False, encoding="utf-8")
        syn.weights.to_csv(tmp / "weights.csv", index=False, encoding="utf-8")
        pq.write_table(syn.reports, tmp / "reports.parquet", compression="zstd")
        pq.write_table(syn.employment, tmp / "employment.parquet", compression="zstd")
        for name in FILES:
            os.replace(tmp / name, out_dir / name)
            paths[name.split(".")[0]] = out_dir / name
    step("done", 1.0)
    return paths
