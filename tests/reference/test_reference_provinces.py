"""Provinces (63 before, 34 from 1 July 2025), regions and the tile-grid coordinates."""
import datetime as dt

import pandas as pd
import pytest

from iip import reference as ref


@pytest.fixture(scope="module")
def prov():
    return ref.provinces()


def test_shape_codes_and_regions(prov):
    assert len(prov) == 63 and prov["code"].is_unique
    assert prov["code"].str.fullmatch(r"\d{2}").all()
    counts = prov["region_code"].value_counts().to_dict()
    assert counts == {"RRD": 11, "NMM": 14, "NCC": 14, "CH": 5, "SE": 6, "MRD": 13}
    assert set(prov["region_code"]) == set(ref.regions()["region_code"])


def test_merger_codes(prov):
    assert prov["code_2025"].nunique() == 34
    own = dict(zip(prov["code"], prov["code_2025"]))
    for new in set(prov["code_2025"]):
        assert own[new] == new, f"{new} must be an old province code mapping to itself"
    # centres hosted by the partner province (Resolution 202/2025/QH15)
    for old, new in {"10": "15", "27": "24", "45": "44", "64": "52", "72": "80", "87": "82", "89": "91",
                     "02": "08", "49": "48", "62": "51", "74": "79", "77": "79", "95": "96"}.items():
        assert own[old] == new
    unchanged = [c for c in own if (prov["code_2025"] == c).sum() == 1 and own[c] == c]
    assert sorted(unchanged) == ["01", "04", "11", "12", "14", "20", "22", "38", "40", "42", "46"]
    m = ref.merge_2025()
    assert list(m.columns) == ["code", "code_2025"] and len(m) == 63


def test_provinces_2025_consistent(prov):
    p25 = ref.provinces_2025()
    assert len(p25) == 34 and set(p25["code"]) == set(prov["code_2025"])
    region25 = dict(zip(p25["code"], p25["region"]))
    assert (prov["code_2025"].map(region25) == prov["region_2025"]).all()
    assert p25["region"].value_counts().to_dict() == {"NMM": 9, "NCC": 8, "RRD": 6, "MRD": 5, "CH": 3, "SE": 3}
    names = dict(zip(p25["code"], p25["name_en"]))
    assert names["79"] == "Ho Chi Minh City" and names["46"] == "Hue" and names["15"] == "Lao Cai"
    assert set(p25.loc[p25["type"] == "city", "code"]) == {"01", "31", "46", "48", "79", "92"}


def test_names_and_types(prov):
    names = dict(zip(prov["code"], prov["name_en"]))
    assert names["01"] == "Ha Noi" and names["79"] == "Ho Chi Minh City" and names["46"] == "Thua Thien Hue"
    assert names["66"] == "Dak Lak" and names["77"] == "Ba Ria - Vung Tau"
    assert prov["name_en"].map(str.isascii).all()
    assert set(prov.loc[prov["type"] == "city", "code"]) == {"01", "31", "46", "48", "79", "92"}


@pytest.mark.parametrize("getter", [ref.provinces, ref.provinces_2025])
def test_tiles_unique_and_geographic(getter):
    df = getter()
    assert df["tile_row"].dtype.kind == "i"
    assert not df.duplicated(["tile_row", "tile_col"]).any()
    assert df["tile_row"].min() == 0 and df["tile_col"].min() == 0
    row = dict(zip(df["code"], df["tile_row"]))
    # north to south: Lai Chau, Ha Noi, Hue, Ho Chi Minh City, Ca Mau
    assert row["12"] < row["01"] < row["46"] < row["79"] < row["96"]


def test_regions_table():
    reg = ref.regions()
    assert reg["region_code"].tolist() == ["RRD", "NMM", "NCC", "CH", "SE", "MRD"]
    assert reg["gso_order"].tolist() == [1, 2, 3, 4, 5, 6]
    assert reg.loc[reg["region_code"] == "MRD", "name_vi"].item() == "Đồng bằng sông Cửu Long"


def test_province_to_region_switches_on_merger_date():
    before = ref.province_to_region()
    assert len(before) == 63 and before["26"] == "RRD" and before["62"] == "CH"
    assert ref.province_to_region("2025-06") == before
    assert ref.province_to_region(dt.date(2025, 6, 30)) == before
    after = ref.province_to_region("2025-07")
    assert after["26"] == "NMM"  # Vinh Phuc -> Phu Tho
    assert after["62"] == "NCC"  # Kon Tum -> Quang Ngai
    assert after["60"] == "CH"   # Binh Thuan -> Lam Dong
    assert after["80"] == "SE"   # Long An -> Tay Ninh (new code 80)
    assert after == ref.province_to_region(pd.Period("2026-01", "M")) == ref.province_to_region("2025-07-01")


def test_geography_by_date_is_one_rule():
    # before July 2025: the 63 provinces; from July 2025 (or a period ending then): the 34 merged units
    assert ref.province_units("2025-06") == "63" and ref.province_units("2025-07") == "34"
    assert ref.province_units("2025-Q2") == "63" and ref.province_units("2025-Q3") == "34"
    assert ref.province_units("2025-H1") == "63" and ref.province_units("2025") == "34"
    old, new = ref.province_areas("2025-06"), ref.province_areas("2025-07")
    assert len(old) == 63 and len(new) == 34 and all(a.startswith("N") for a in new)
    assert set(a[1:] for a in new) == set(ref.provinces()["code_2025"])
    assert ref.is_province_area("01", "2024-01") and not ref.is_province_area("N01", "2024-01")
    assert ref.is_province_area("N01", "2025-08") and not ref.is_province_area("01", "2025-08")
    assert not ref.is_province_area("VN") and not ref.is_province_area("RRD") and ref.is_province_area("N79")
    names = ref.province_names("vi")
    assert names["01"] == "Hà Nội" and names["N01"] == "Hà Nội" and names["46"] == "Thừa Thiên Huế"


def test_section_of_reads_the_tree():
    assert [ref.section_of(c) for c in ("05", "0510", "10", "1010", "33", "35", "3511", "36", "39", "C")] == \
        ["B", "B", "C", "C", "C", "D", "D", "E", "E", "C"]
    with pytest.raises(Exception, match="not in the reference tree"):
        ref.section_of("99")
