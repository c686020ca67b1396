"""Synthetic microdata at the scale of a large country, written partition by partition (never whole in memory).

About 400,000 enterprises with ~12.5 product lines each (~5 million lines, ~60 million report rows a year) over
a product list of ~1,500 items (each catalogue product in five variants, as a country's detailed list has).
The reports are a Parquet dataset partitioned by period -- ``DIR/reports/period=YYYY-MM/part-0.parquet`` -- the
shape an office's data lake holds them in and ``iip compile --reports DIR/reports`` reads; register.csv,
products.csv and weights.csv go beside it, for ``iip ingest``. The base year is the first year written.

Each month is generated from the state of the previous one (an AR(1) trend per line and the closing stock), so
memory holds the lines and one month: q(l,t) = v(l)/(12 p(l)) x D(d,t) x exp(a(l,t)) x noise(l,t), with D the
calibrated division path of :mod:`iip.synth.calibration` and a(l,t) = 0.85 a(l,t-1) + N(0, 0.035). About 1.5%
of the lines are missing each month (non-response). Method: docs/methods/synth.md ("Country scale").
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from iip.errors import OptionError
from iip.synth import catalogue as cat
from iip.synth.calendar import monthly_factors
from iip.synth.calibration import last_calibrated_period, target_path
from iip.synth.geography import base_vector
from iip.synth.register import product_table

ENTERPRISES = 400_000
LINES_PER_ENTERPRISE = 12.5
VARIANTS = 5
MISSING = 0.015


def country_periods(years: int, last: str | None = None) -> list[str]:
    """The ``years`` whole calendar years ending with the last whole year calibrated on GSO's figures."""
    if not 1 <= years <= 10:
        raise OptionError(f"--years must be between 1 and 10, not {years}", option="--years")
    last = last or last_calibrated_period()
    end = int(last[:4]) if last.endswith("-12") else int(last[:4]) - 1
    return pd.period_range(f"{end - years + 1}-01", f"{end}-12", freq="M").strftime("%Y-%m").tolist()


def country_products(rng: np.random.Generator) -> pd.DataFrame:
    """The catalogue's products, each in :data:`VARIANTS` variants (code ``<code>.<k>``, price and national value
    shared out with lognormal weights): product_code, name_vi, name_en, unit, vsic, division, price, value."""
    base = product_table(cat.catalogue_products(), rng)
    rows = base.loc[base.index.repeat(VARIANTS)].reset_index(drop=True)
    k = np.tile(np.arange(1, VARIANTS + 1), len(base))
    share = rng.lognormal(0.0, 0.5, len(rows))
    share /= pd.Series(share).groupby(rows["product_code"]).transform("sum").to_numpy()
    rows["value"] = rows["value"].to_numpy() * share
    rows["price"] = rows["price"].to_numpy() * rng.lognormal(0.0, 0.1, len(rows))
    rows["name_vi"] = rows["name_vi"] + " (loại " + k.astype(str) + ")"
    rows["name_en"] = rows["name_en"].fillna(rows["product_code"]) + " (type " + k.astype(str) + ")"
    rows["product_code"] = rows["product_code"] + "." + k.astype(str)
    return rows.sort_values("product_code").reset_index(drop=True)


def _choose_lines(counts: np.ndarray, n_products: int, weights: np.ndarray, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """For enterprises needing ``counts`` distinct products among ``n_products`` (drawn ~ ``weights``), the
    (enterprise position, product position) pairs: Gumbel-top-k sampling without replacement, one block."""
    keys = np.log(weights)[None, :] + rng.gumbel(size=(len(counts), n_products))
    order = np.argsort(-keys, axis=1)
    take = np.arange(n_products)[None, :] < np.minimum(counts, n_products)[:, None]
    ent, col = np.nonzero(take)
    return ent, order[ent, col]


def country_register(products: pd.DataFrame, provinces: list[str], n: int, rng: np.random.Generator
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprises (enterprise_id, name, province, vsic, ownership, division) and their product lines
    (enterprise, product: positions; value: annual base-year output at base prices, million VND)."""
    div_value = products.groupby("division")["value"].sum()
    divisions = div_value.index.to_numpy()
    div_of = rng.choice(len(divisions), size=n, p=(div_value / div_value.sum()).to_numpy())
    province = rng.choice(provinces, size=n, p=base_vector(provinces, "ind"))
    size = rng.lognormal(0.0, 1.2, n)
    counts = 1 + rng.poisson(LINES_PER_ENTERPRISE - 1, n)
    ents, prods = [], []
    for d, div in enumerate(divisions):
        members = np.flatnonzero(div_of == d)
        pos = np.flatnonzero(products["division"].to_numpy() == div)
        for block in np.array_split(members, max(1, len(members) // 20_000)):
            e, p = _choose_lines(counts[block], len(pos), products["value"].to_numpy()[pos] + 1e-9, rng)
            ents.append(block[e])
            prods.append(pos[p])
    ent, prod = np.concatenate(ents), np.concatenate(prods)
    order = np.lexsort((prod, ent))
    ent, prod = ent[order], prod[order]
    raw = size[ent] * rng.lognormal(0.0, 0.5, len(ent))
    total = pd.Series(raw).groupby(prod).transform("sum").to_numpy()
    value = products["value"].to_numpy()[prod] * raw / total          # each product's value shared by its makers
    first = np.unique(ent, return_index=True)[1]
    ids = np.char.add("DN", np.char.zfill(np.arange(1, n + 1).astype(str), 7))
    register = pd.DataFrame({"enterprise_id": ids, "name": np.char.add("Doanh nghiệp ", ids), "province": province,
                             "vsic": products["vsic"].to_numpy()[prod[first]],
                             "ownership": rng.choice(["state", "nonstate", "fdi"], size=n, p=[0.04, 0.8, 0.16]),
                             "division": divisions[div_of]})
    return register, pd.DataFrame({"enterprise": ent, "product": prod, "value": value})


def country_weights(lines: pd.DataFrame, register: pd.DataFrame, products: pd.DataFrame, base_year: int
                    ) -> pd.DataFrame:
    """Base-year weights: product value by (product, province) = sum of its lines' base-year output value;
    industry value by (class, province) = value-added ratio x output value."""
    cells = pd.DataFrame({"code": products["product_code"].to_numpy()[lines["product"]],
                          "province": register["province"].to_numpy()[lines["enterprise"]],
                          "value": lines["value"].to_numpy()})
    g = cells.groupby(["code", "province"], sort=True)["value"].sum().reset_index()
    vsic = products.set_index("product_code")["vsic"]
    g["vsic"] = vsic.loc[g["code"]].to_numpy()
    va = g["vsic"].str[:2].map(lambda d: cat.division_params(d)[1]).to_numpy(dtype=float)
    ind = (g.assign(value=g["value"] * va).groupby(["vsic", "province"], sort=True)["value"].sum().reset_index()
           .rename(columns={"vsic": "code"}))
    w = pd.concat([g[["code", "province", "value"]].assign(kind="product"), ind.assign(kind="industry")],
                  ignore_index=True).assign(base_year=base_year)
    w["value"] = w["value"].round(3)
    return w[["kind", "code", "province", "base_year", "value"]]


class MonthGenerator:
    """Reports of one month at a time, carrying each line's trend and closing stock to the next."""

    def __init__(self, lines: pd.DataFrame, register: pd.DataFrame, products: pd.DataFrame, periods: list[str],
                 rng: np.random.Generator):
        self.rng, self.periods = rng, periods
        self.ent = lines["enterprise"].to_numpy(np.int32)
        self.prod = lines["product"].to_numpy(np.int32)
        price = products["price"].to_numpy()[self.prod]
        self.base = lines["value"].to_numpy() / (12.0 * price)
        div = register["division"].to_numpy()[self.ent]
        self.div_codes, div_pos = np.unique(div, return_inverse=True)
        self.div_pos = div_pos.astype(np.int16)
        self.path = np.vstack([self._division_path(d) for d in self.div_codes])    # divisions x months
        storable = np.array([cat.division_params(d)[4] for d in self.div_codes])[self.div_pos]
        self.k = rng.uniform(0.2, 1.0, len(self.ent)) * storable
        self.a = rng.normal(0.0, 0.035 / np.sqrt(1 - 0.85 ** 2), len(self.ent))
        self.stock = self.k * self.base
        self.ent_dict = pa.array(register["enterprise_id"].to_numpy())
        self.prod_dict = pa.array(products["product_code"].to_numpy())

    def _division_path(self, division: str) -> np.ndarray:
        profile = cat.division_params(division)[2]
        cal = monthly_factors(self.periods[0], self.periods[-1], profile)
        return target_path(division, self.periods, cal, profile)

    def month(self, t: int) -> pa.Table:
        """enterprise_id, product_code, produced, sold, closing_stock of month ``t`` (period in the folder)."""
        rng, n = self.rng, len(self.ent)
        self.a = 0.85 * self.a + rng.normal(0.0, 0.035, n)
        q = self.base * self.path[self.div_pos, t] * np.exp(self.a + rng.normal(0.0, 0.05, n))
        sold = np.clip(q * np.exp(rng.normal(0.0, 0.06, n)) + 0.3 * (self.stock - self.k * q), 0.0, self.stock + q)
        sold = np.where(self.k > 0, sold, q)
        self.stock = np.where(self.k > 0, self.stock + q - sold, 0.0)
        keep = rng.random(n) >= MISSING
        return pa.table({
            "enterprise_id": pa.DictionaryArray.from_arrays(pa.array(self.ent[keep]), self.ent_dict),
            "product_code": pa.DictionaryArray.from_arrays(pa.array(self.prod[keep]), self.prod_dict),
            "produced": q[keep].round(3), "sold": sold[keep].round(3), "closing_stock": self.stock[keep].round(3)})


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.part")
    df.to_csv(tmp, index=False, encoding="utf-8")
    os.replace(tmp, path)


def write_country(out_dir: Path, *, years: int = 1, seed: int = 2020, enterprises: int = ENTERPRISES,
                  progress: Callable[[str, float], None] | None = None) -> dict[str, Path]:
    """Write register.csv, products.csv, weights.csv and reports/period=YYYY-MM/part-0.parquet into ``out_dir``;
    each file is written under a temporary name and moved into place, month by month."""
    from iip import reference

    step = progress or (lambda name, fraction: None)
    periods = country_periods(years)
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    (out / "reports").mkdir(parents=True, exist_ok=True)
    step("register", 0.0)
    provinces = [str(c).zfill(2) for c in reference.provinces()["code"]]
    products = country_products(rng)
    register, lines = country_register(products, provinces, enterprises, rng)
    paths = {"register": out / "register.csv", "products": out / "products.csv", "weights": out / "weights.csv",
             "reports": out / "reports"}
    _write_csv(register.drop(columns="division"), paths["register"])
    _write_csv(products[["product_code", "name_vi", "name_en", "unit", "vsic"]], paths["products"])
    _write_csv(country_weights(lines, register, products, int(periods[0][:4])), paths["weights"])
    gen = MonthGenerator(lines, register, products, periods, rng)
    del lines
    for t, period in enumerate(periods):
        step(f"reports {period}", 0.05 + 0.95 * t / len(periods))
        folder = out / "reports" / f"period={period}"
        folder.mkdir(exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".part-", suffix=".parquet", delete=False) as f:
            tmp = Path(f.name)
        pq.write_table(gen.month(t), tmp, compression="zstd", row_group_size=1 << 20)
        os.replace(tmp, folder / "part-0.parquet")
    step("done", 1.0)
    return paths
