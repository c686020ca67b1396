"""The synthetic business register: enterprises, their province, class, ownership and product lines.

Fixed enterprises come first (one electricity distributor, one water company and one food processor per
province; named anchor plants such as the refineries, the steel works, the phone factories), then sampled
enterprises: a primary product drawn with probability ~ national value^0.55, a province drawn from the
product's geography, a heavy-tailed (lognormal) size, and 0-3 further products of the same class.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from iip.synth import catalogue as cat
from iip.synth.geography import base_vector, geography_for, province_probs

# name, province, ownership, first period (None = before the sample), [(product, share of national value)]
ANCHORS = [
    ("Công ty TNHH Lọc hoá dầu Dung Quất", "51", "state", None, [("PETROL_OIL", 0.5), ("LPG", 0.3)]),
    ("Công ty TNHH Lọc hoá dầu Nghi Sơn", "38", "fdi", "2018-06", [("PETROL_OIL", 0.5), ("LPG", 0.3)]),
    ("Công ty TNHH Gang thép Vũng Áng Hà Tĩnh", "42", "fdi", "2017-05",
     [("CRUDE_STEEL", 0.3), ("ROLLED_STEEL", 0.1)]),
    ("Công ty CP Gang thép Dung Quất", "51", "nonstate", "2019-11", [("CRUDE_STEEL", 0.15), ("STEEL_BARS", 0.1)]),
    ("Công ty TNHH Điện tử Sao Việt Bắc Ninh", "27", "fdi", None, [("MOBILE_PHONES", 0.45), ("PHONE_PARTS", 0.3)]),
    ("Công ty TNHH Điện tử Sao Việt Thái Nguyên", "19", "fdi", "2014-03",
     [("MOBILE_PHONES", 0.38), ("PHONE_PARTS", 0.25)]),
    ("Công ty TNHH Điện tử Gia dụng Sao Việt", "79", "fdi", "2016-04", [("TV", 0.5)]),
    ("Công ty TNHH Ô tô Chu Lai", "49", "nonstate", None, [("CARS", 0.35)]),
    ("Công ty CP Ô tô Thành Công Ninh Bình", "37", "nonstate", None, [("CARS", 0.15)]),
    ("Công ty TNHH Ô tô Phúc Yên Việt Nam", "26", "fdi", None, [("CARS", 0.15)]),
    ("Công ty TNHH Sản xuất Ô tô Cát Hải", "31", "nonstate", "2019-06", [("CARS", 0.08)]),
    ("Công ty TNHH Xe máy Phúc Yên Việt Nam", "26", "fdi", None, [("MOTORBIKES", 0.45)]),
    ("Công ty TNHH Xe máy Sóc Sơn Việt Nam", "01", "fdi", None, [("MOTORBIKES", 0.2)]),
    ("Công ty Thuỷ điện Sơn La", "14", "state", None, [("ELECTRICITY", 0.07)]),
    ("Công ty Thuỷ điện Hoà Bình", "17", "state", None, [("ELECTRICITY", 0.05)]),
    ("Công ty Thuỷ điện Lai Châu", "12", "state", "2016-12", [("ELECTRICITY", 0.04)]),
    ("Công ty Nhiệt điện Vĩnh Tân", "60", "state", None, [("ELECTRICITY", 0.08)]),
    ("Công ty Nhiệt điện Duyên Hải", "84", "state", "2015-06", [("ELECTRICITY", 0.05)]),
    ("Công ty Nhiệt điện Quảng Ninh", "22", "state", None, [("ELECTRICITY", 0.05)]),
    ("Công ty Nhiệt điện Vũng Áng", "42", "state", "2015-01", [("ELECTRICITY", 0.04)]),
    ("Tổng công ty Điện lực Phú Mỹ", "77", "state", None, [("ELECTRICITY", 0.12)]),
    ("Tổng công ty Thăm dò Khai thác Dầu khí", "77", "state", None, [("CRUDE_OIL", 0.55), ("NATURAL_GAS", 0.5)]),
    ("Công ty Nhôm Lâm Đồng", "68", "state", None, [("ALUMINA", 0.5)]),
    ("Công ty Nhôm Đắk Nông", "67", "state", "2016-12", [("ALUMINA", 0.5)]),
    ("Công ty CP Phân bón Dầu khí Phú Mỹ", "77", "state", None, [("UREA", 0.35)]),
    ("Công ty CP Phân bón Dầu khí Cà Mau", "96", "state", None, [("UREA", 0.3)]),
]
# Products made only by fixed enterprises, and caps on the number of sampled enterprises of a product.
SAMPLED_CAP = {"ELECTRICITY_COMMERCIAL": 0, "PETROL_OIL": 0, "CRUDE_OIL": 4, "NATURAL_GAS": 2, "LPG": 2,
               "ALUMINA": 0, "MOBILE_PHONES": 6, "CRUDE_STEEL": 10, "CARS": 10, "MOTORBIKES": 6, "UREA": 3,
               "TV": 8, "MILK_POWDER": 8, "MSG": 6}
FOOD_STAPLES = ("RICE_MILLED", "RICE", "MILLED_RICE", "ANIMAL_FEED")


def product_table(products: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Products with division, price (million VND per unit, 2020) and national 2020 output value V.

    Main products: V = quantity x price from ``catalogue.MAIN``. Other products share the rest of their
    division's value (division share x national output, at least 1.15 x its main products) with lognormal
    weights.
    """
    p = products.copy()
    p["division"] = p["vsic"].str[:2]
    p["price"] = [cat.unit_price(c, u) for c, u in zip(p["product_code"], p["unit"])]
    p["value"] = [cat.MAIN[c][0] * cat.MAIN[c][2] if c in cat.MAIN else np.nan for c in p["product_code"]]
    w = rng.lognormal(0.0, 0.7, len(p))
    for div, idx in p.groupby("division").groups.items():
        sub = p.loc[idx]
        main = sub["value"].sum()
        total = max(cat.division_params(div)[0] / 100 * cat.NATIONAL_OUTPUT_2020, 1.15 * main)
        other = sub["value"].isna()
        if other.any():
            ww = w[p.index.get_indexer(sub.index[other])]
            p.loc[sub.index[other], "value"] = (total - main) * ww / ww.sum()
    return p


def _fixed(products: pd.DataFrame, provinces: list[str]) -> list[dict]:
    """Mandatory per-province utilities and food processors, and the anchor plants."""
    have = set(products["product_code"])
    value = products.set_index("product_code")["value"]
    out = []
    per_prov = [("ELECTRICITY_COMMERCIAL", 1.0, "ind_pop", "state"), ("TAP_WATER", 0.6, "pop", "state")]
    food = next((c for c in FOOD_STAPLES if c in have), None)
    if food is None:
        d10 = products[products["division"] == "10"].sort_values("value")
        food = d10["product_code"].iloc[-1] if len(d10) else None
    if food:
        per_prov.append((food, 0.2, "pop", "nonstate"))
    for code, share, base, own in per_prov:
        if code not in have:
            continue
        bv = base_vector(provinces, base)
        for prov, b in zip(provinces, bv):
            out.append({"name": None, "province": prov, "ownership": own, "start": None,
                        "lines": [(code, share * value[code] * b)]})
    vsic = products.set_index("product_code")["vsic"]
    for name, prov, own, start, lines in ANCHORS:
        lines = [(c, s * value[c]) for c, s in lines if c in have]
        if not lines or prov not in provinces:
            continue
        classes = list(dict.fromkeys(vsic[c] for c, _ in lines))  # one enterprise per class
        for k, cls in enumerate(classes):
            label = name if k == 0 else f"{name} - Chi nhánh {k}"
            out.append({"name": label, "province": prov, "ownership": own, "start": start,
                        "lines": [(c, v) for c, v in lines if vsic[c] == cls]})
    return out


def _allocate(weights: np.ndarray, total: int, caps: np.ndarray) -> np.ndarray:
    """Integer counts ~ weights summing to ``total`` (largest remainder), at least 1 where cap > 0."""
    w = np.where(caps > 0, weights, 0.0)
    raw = w / w.sum() * total
    n = np.minimum(np.maximum(np.floor(raw), (caps > 0) * 1.0), caps)
    order = np.argsort(-(raw - np.floor(raw)))
    i = 0
    while n.sum() < total and i < 10 * len(n):
        j = order[i % len(n)]
        if n[j] < caps[j]:
            n[j] += 1
        i += 1
    return n.astype(int)


def build_register(products: pd.DataFrame, provinces: list[str], n_total: int, first: str, last: str,
                   rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprises (enterprise_id, province, vsic, division, ownership, name, start, end) and product lines
    (enterprise, product_code, value = annual output value at 2020 level, million VND)."""
    fixed = _fixed(products, provinces)
    pv = products.set_index("product_code")
    fixed_val = pd.Series(0.0, index=pv.index)
    for f in fixed:
        for c, v in f["lines"]:
            fixed_val[c] += v
    rest = np.maximum(pv["value"] - fixed_val, 0.0)
    caps = np.array([SAMPLED_CAP.get(c, 10**9) if rest[c] > 0.02 * pv.at[c, "value"] else 0 for c in pv.index])
    counts = _allocate(rest.to_numpy() ** 0.55, max(n_total - len(fixed), 0), caps)
    ents: list[dict] = []
    lines: list = []
    for f in fixed:
        e = len(ents)
        ents.append({"province": f["province"], "ownership": f["ownership"], "name": f["name"],
                     "start": f["start"], "primary": f["lines"][0][0]})
        lines += [(e, c, v) for c, v in f["lines"]]
    by_class = products.groupby("vsic")["product_code"].apply(list).to_dict()
    months = pd.period_range(first, last, freq="M").strftime("%Y-%m").tolist()
    for code, n in zip(pv.index, counts):
        if n == 0:
            continue
        div = pv.at[code, "division"]
        probs = province_probs(geography_for(code, div), provinces)
        prov = rng.choice(len(provinces), size=n, p=probs)
        size = rng.lognormal(0.0, 1.3, n)
        share = probs[prov] / probs[np.unique(prov)].sum()  # product value split by geography first,
        within = np.bincount(prov, weights=size, minlength=len(provinces))[prov]  # then by size
        vals = rest[code] * share * size / within
        own_p = np.array(cat.division_params(div)[6], dtype=float)
        own = rng.choice(["state", "nonstate", "fdi"], size=n, p=own_p / own_p.sum())
        entry = rng.random(n) < 0.12
        start_i = rng.integers(12, max(len(months) - 6, 13), n)
        siblings = [c for c in by_class[pv.at[code, "vsic"]] if c != code]
        n_more = rng.choice(4, size=n, p=[0.15, 0.3, 0.3, 0.25])
        for k in range(n):
            e = len(ents)
            start = months[start_i[k]] if entry[k] and start_i[k] < len(months) else None
            ents.append({"province": provinces[prov[k]], "ownership": own[k], "name": None, "start": start,
                         "primary": code})
            lines.append((e, code, vals[k]))
            m = min(n_more[k], len(siblings))
            if m:
                for c2 in rng.choice(siblings, size=m, replace=False):
                    lines.append((e, c2, vals[k] * rng.uniform(0.08, 0.5)))
    reg = pd.DataFrame(ents)
    reg["vsic"] = pv.loc[reg["primary"], "vsic"].to_numpy()
    reg["division"] = reg["vsic"].str[:2]
    exit_ = (rng.random(len(reg)) < 0.07) & reg["name"].isna() & ~reg["primary"].isin(
        ["ELECTRICITY_COMMERCIAL", "TAP_WATER"])
    end_i = rng.integers(6, len(months), len(reg))
    reg["end"] = np.where(exit_, np.array(months, dtype=object)[end_i], np.full(len(reg), None, dtype=object))
    reg.loc[reg["end"].notna() & reg["start"].notna() & (reg["end"] <= reg["start"]), "end"] = None
    reg["enterprise_id"] = [f"DN{i + 1:06d}" for i in range(len(reg))]
    ln = pd.DataFrame(lines, columns=["enterprise", "product_code", "value"])
    return reg, ln
