"""Read a release's SDMX files back with sdmx1 and compare every observation with its figures.csv."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import sdmx

from iip.release import sdmx_out
from iip.release.package import read_figures

SUFFIX = {"index": "IX", "yoy": "PC_CP_A_PT", "mom": "PC_PP_PT", "ytd": "YTD_PC_CP_A_PT"}


def expected_observations(figs: pd.DataFrame) -> dict[tuple[str, str, str], float | None]:
    """(REF_AREA, INDICATOR, TIME_PERIOD) -> value, from figures.csv rows, derived here apart from the writer:
    national and history indices of production, the provinces' TOTAL and manufacturing growth; growth as the
    published two-decimal index minus 100; None for a confidential figure."""
    want: dict[tuple[str, str, str], float | None] = {}
    for f in figs.itertuples():
        if f.table in ("national", "history") and f.measure in SUFFIX and (f.table == "national" or
                                                                         f.code == "TOTAL" or f.measure == "index"):
            key = ("VN", ("AIP_ISIC4_" if f.code == "TOTAL" else f"AIP_ISIC4_{f.code}_") + SUFFIX[f.measure])
        elif f.table == "provinces":
            node = "_C" if f.measure.startswith("mfg") else ""
            key = (f"VN_{f.code}", f"AIP_ISIC4{node}_{SUFFIX['yoy' if f.measure.endswith('yoy') else 'ytd']}")
        else:
            continue
        value = None if f.status == "c" else float(Decimal(repr(float(f.value)))
                                                     - (0 if key[1].endswith("_IX") else 100))
        assert want.setdefault((*key, f.period), value) == value, (key, f.period)
    return want


def assert_sdmx_matches_figures(directory: Path, period: str) -> dict:
    """Every observation of the SDMX-ML, SDMX-JSON and SDMX-CSV files equals figures.csv, one per key and
    period, none missing; returns the expected observations."""
    want = expected_observations(read_figures(directory / "figures.csv"))
    xml = sdmx.to_pandas(sdmx.read_sdmx(directory / f"iip_{period}.sdmx.xml", structure=sdmx_out.dsd()).data[0])
    js = sdmx.to_pandas(sdmx.read_sdmx(directory / f"iip_{period}.sdmx.json").data[0])
    csv = pd.read_csv(directory / f"iip_{period}.csv", dtype=str)
    csv = csv.set_index(["REF_AREA", "INDICATOR", "TIME_PERIOD"])["OBS_VALUE"].astype(float)
    for got in (xml.droplevel(["DATA_DOMAIN", "COUNTERPART_AREA", "FREQ"]),
                js.droplevel(["DATA_DOMAIN", "COUNTERPART_AREA", "FREQ"]), csv):
        assert got.index.is_unique and len(got) == len(want)
        for k, v in want.items():
            assert (pd.isna(got.loc[k]) if v is None else got.loc[k] == pytest.approx(v, abs=1e-9)), k
    text = (directory / f"iip_{period}.sdmx.xml").read_text()
    assert text.count('CONF_STATUS="C"') == sum(v is None for v in want.values())
    return want
