"""Products, prices and division parameters of the synthetic economy.

The product list comes from the package catalogue ``iip.reference.products()``. Main products carry a realistic national 2020 output (quantity in a base
unit) and unit price; other products get a share of their division's output and a generic price by unit.
"""
from __future__ import annotations

import re

import pandas as pd

# Main products: national 2020 output (base-unit quantity) and price (million VND per base unit).
MAIN = {
    "COAL": (48.6e6, "tấn", 1.8), "CRUDE_OIL": (11.5e6, "tấn", 7.5), "NATURAL_GAS": (9.2e9, "m3", 0.005),
    "LPG": (1.0e6, "tấn", 12.0), "PETROL_OIL": (11.0e6, "tấn", 14.0), "ALUMINA": (1.35e6, "tấn", 6.0),
    "SEAFOOD_PROCESSED": (2.3e6, "tấn", 80.0), "FRESH_MILK": (1.75e9, "lít", 0.022),
    "MILK_POWDER": (1.4e5, "tấn", 250.0), "SUGAR": (1.1e6, "tấn", 15.0), "MSG": (3.0e5, "tấn", 35.0),
    "ANIMAL_FEED": (2.0e7, "tấn", 10.0), "AQUA_FEED": (5.0e6, "tấn", 13.0), "BEER": (4.3e9, "lít", 0.025),
    "CIGARETTES": (5.6e9, "bao", 0.012), "FABRIC_NATURAL": (3.5e8, "m2", 0.035),
    "FABRIC_SYNTHETIC": (9.0e8, "m2", 0.025), "CLOTHES": (4.9e9, "cái", 0.09),
    "LEATHER_SHOES": (3.0e8, "đôi", 0.45), "UREA": (2.4e6, "tấn", 7.0), "NPK": (3.6e6, "tấn", 8.5),
    "PAINT": (9.0e5, "tấn", 45.0), "CEMENT": (1.0e8, "tấn", 1.2), "CRUDE_STEEL": (2.0e7, "tấn", 10.0),
    "ROLLED_STEEL": (9.0e6, "tấn", 14.0), "STEEL_BARS": (1.05e7, "tấn", 12.5),
    "MOBILE_PHONES": (2.0e8, "cái", 3.0), "PHONE_PARTS": (4.5e14, "đồng", 1e-6), "TV": (1.5e7, "cái", 6.0),
    "CARS": (2.3e5, "cái", 600.0), "MOTORBIKES": (3.0e6, "cái", 25.0),
    "ELECTRICITY": (2.35e11, "kwh", 0.0012), "ELECTRICITY_COMMERCIAL": (2.15e11, "kwh", 0.0019),
    "TAP_WATER": (2.8e9, "m3", 0.011),
}

# Generic price per base unit (million VND) for products without a MAIN entry.
GENERIC_PRICE = {"tấn": 15.0, "lít": 0.02, "m3": 2.0, "m2": 0.1, "kwh": 0.0015, "cái": 1.0, "đôi": 0.4,
                 "bao": 0.012, "đồng": 1e-6, "viên": 0.0015, "trang": 1e-4, "bộ": 2.0, "km": 50.0, "hộp": 0.03,
                 "ống": 0.005, "cuốn": 0.04, "lọ": 0.05, "tấm": 0.2, "liều": 0.1, "dwt": 20.0}

_MULT = {"nghìn": 1e3, "ngàn": 1e3, "thousand": 1e3, "triệu": 1e6, "million": 1e6, "tỷ": 1e9, "tỉ": 1e9,
         "billion": 1e9, "trăm": 1e2, "hundred": 1e2}
_BASE = {"tấn": ("tấn", 1.0), "tonne": ("tấn", 1.0), "tonnes": ("tấn", 1.0), "ton": ("tấn", 1.0),
         "tons": ("tấn", 1.0), "t": ("tấn", 1.0), "kg": ("tấn", 1e-3), "lít": ("lít", 1.0), "lit": ("lít", 1.0),
         "litre": ("lít", 1.0), "liter": ("lít", 1.0), "litres": ("lít", 1.0), "l": ("lít", 1.0),
         "m3": ("m3", 1.0), "m³": ("m3", 1.0), "khối": ("m3", 1.0), "m2": ("m2", 1.0), "m²": ("m2", 1.0),
         "kwh": ("kwh", 1.0), "cái": ("cái", 1.0), "chiếc": ("cái", 1.0), "con": ("cái", 1.0),
         "piece": ("cái", 1.0), "pieces": ("cái", 1.0), "unit": ("cái", 1.0), "units": ("cái", 1.0),
         "đôi": ("đôi", 1.0), "pair": ("đôi", 1.0), "pairs": ("đôi", 1.0), "bao": ("bao", 1.0),
         "gói": ("bao", 1.0), "pack": ("bao", 1.0), "packs": ("bao", 1.0), "đồng": ("đồng", 1.0),
         "vnd": ("đồng", 1.0), "viên": ("viên", 1.0), "trang": ("trang", 1.0), "bộ": ("bộ", 1.0),
         "set": ("bộ", 1.0), "sets": ("bộ", 1.0), "km": ("km", 1.0), "hộp": ("hộp", 1.0), "ống": ("ống", 1.0),
         "cuốn": ("cuốn", 1.0), "lọ": ("lọ", 1.0), "tấm": ("tấm", 1.0), "liều": ("liều", 1.0),
         "dwt": ("dwt", 1.0)}
# lít <-> m3 conversion for specs stated in the other unit.
_CROSS = {("lít", "m3"): 1e-3, ("m3", "lít"): 1e3}

# Division parameters: (share of national industrial output 2020 in %, value-added ratio, calendar profile,
# COVID sensitivity, stock ratio in months of output, output per worker million VND/year,
# ownership probabilities state/nonstate/fdi).
DIVISIONS = {
    "05": (1.4, 0.45, "process", 0.2, 0.5, 1500, (0.9, 0.1, 0.0)),
    "06": (1.6, 0.70, "continuous", 0.0, 0.1, 60000, (0.8, 0.0, 0.2)),
    "07": (0.3, 0.40, "process", 0.2, 0.6, 1500, (0.4, 0.5, 0.1)),
    "08": (0.6, 0.40, "process", 0.3, 0.4, 1200, (0.1, 0.85, 0.05)),
    "09": (0.3, 0.50, "continuous", 0.1, 0.0, 5000, (0.7, 0.2, 0.1)),
    "10": (13.0, 0.18, "food", 0.6, 0.4, 2500, (0.03, 0.72, 0.25)),
    "11": (2.0, 0.35, "food", 0.5, 0.3, 4000, (0.15, 0.45, 0.4)),
    "12": (0.6, 0.40, "food", 0.4, 0.5, 3000, (0.9, 0.05, 0.05)),
    "13": (4.0, 0.18, "labour", 1.0, 0.6, 900, (0.03, 0.47, 0.5)),
    "14": (4.5, 0.25, "labour", 1.0, 0.5, 350, (0.05, 0.5, 0.45)),
    "15": (4.5, 0.25, "labour", 1.0, 0.5, 450, (0.01, 0.19, 0.8)),
    "16": (1.8, 0.20, "labour", 0.9, 0.6, 700, (0.02, 0.78, 0.2)),
    "17": (2.0, 0.20, "process", 0.6, 0.5, 2500, (0.05, 0.6, 0.35)),
    "18": (0.5, 0.30, "labour", 0.6, 0.1, 800, (0.15, 0.75, 0.1)),
    "19": (2.5, 0.12, "continuous", 0.0, 0.3, 80000, (0.5, 0.0, 0.5)),
    "20": (3.5, 0.25, "process", 0.5, 0.6, 4000, (0.25, 0.4, 0.35)),
    "21": (0.6, 0.35, "labour", 0.5, 0.8, 1500, (0.1, 0.7, 0.2)),
    "22": (4.0, 0.20, "labour", 0.8, 0.5, 1500, (0.02, 0.5, 0.48)),
    "23": (4.0, 0.28, "process", 0.4, 0.4, 1800, (0.15, 0.7, 0.15)),
    "24": (7.0, 0.15, "process", 0.4, 0.5, 8000, (0.05, 0.55, 0.4)),
    "25": (4.5, 0.22, "labour", 0.8, 0.4, 1200, (0.03, 0.57, 0.4)),
    "26": (18.0, 0.12, "labour", 0.8, 0.3, 8000, (0.0, 0.05, 0.95)),
    "27": (4.0, 0.18, "labour", 0.8, 0.5, 2500, (0.02, 0.38, 0.6)),
    "28": (1.3, 0.22, "labour", 0.8, 0.6, 1500, (0.05, 0.5, 0.45)),
    "29": (2.5, 0.15, "labour", 0.7, 0.3, 5000, (0.02, 0.48, 0.5)),
    "30": (1.8, 0.20, "labour", 0.7, 0.3, 4000, (0.1, 0.2, 0.7)),
    "31": (2.5, 0.22, "labour", 1.0, 0.5, 600, (0.01, 0.59, 0.4)),
    "32": (1.8, 0.25, "labour", 0.9, 0.5, 800, (0.02, 0.48, 0.5)),
    "33": (0.4, 0.35, "labour", 0.6, 0.0, 800, (0.3, 0.6, 0.1)),
    "35": (7.5, 0.35, "utility", 0.0, 0.0, 20000, (0.85, 0.1, 0.05)),
    "36": (0.5, 0.45, "utility", 0.0, 0.0, 1500, (0.6, 0.4, 0.0)),
    "37": (0.1, 0.40, "utility", 0.1, 0.0, 800, (0.7, 0.3, 0.0)),
    "38": (0.6, 0.35, "utility", 0.1, 0.0, 800, (0.5, 0.45, 0.05)),
    "39": (0.05, 0.40, "utility", 0.1, 0.0, 800, (0.6, 0.4, 0.0)),
}
DEFAULT_DIVISION = (0.5, 0.25, "labour", 0.7, 0.4, 1500, (0.05, 0.65, 0.3))
NATIONAL_OUTPUT_2020 = 9.0e9  # million VND (about 9,000 trillion VND of gross industrial output)


def division_params(division: str) -> tuple:
    """The DIVISIONS row of ``division`` (a default row for divisions not listed)."""
    return DIVISIONS.get(division, DEFAULT_DIVISION)


def parse_unit(unit: str) -> tuple[float, str | None]:
    """Split a unit such as 'nghìn tấn' or 'thousand tonnes' into (multiplier, base unit), e.g. (1000, 'tấn').

    The base is one of the GENERIC_PRICE keys, or None when it is not recognised.
    """
    tokens = re.split(r"[\s/()]+", str(unit).strip().lower().replace("kw h", "kwh"))
    mult, base = 1.0, None
    for tok in tokens:
        if not tok:
            continue
        if tok in _MULT:
            mult *= _MULT[tok]
        elif re.fullmatch(r"[0-9.]+", tok):
            mult *= float(tok)
        elif tok in _BASE and base is None:
            base, f = _BASE[tok]
            mult *= f
    return mult, base


def catalogue_products() -> pd.DataFrame:
    """The package product catalogue (iip.reference.products), output columns only, as text."""
    from iip import reference
    cols = ["product_code", "name_vi", "name_en", "unit", "vsic"]
    return reference.products()[cols].astype(str).reset_index(drop=True)


def unit_price(code: str, unit: str) -> float:
    """Price in million VND of one catalogue unit of product ``code``."""
    mult, base = parse_unit(unit)
    if code in MAIN:
        _, spec_base, price = MAIN[code]
        if base == spec_base:
            return price * mult
        if base is not None and (base, spec_base) in _CROSS:
            return price * _CROSS[(base, spec_base)] * mult
    return GENERIC_PRICE.get(base or "", 1.0) * mult
