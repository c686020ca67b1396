"""Product catalogue products.csv (+ products_extra.csv) and the alias loaders."""
import shutil

import pytest

from iip import reference as ref
from iip.reference import _data as reference_data
from iip.errors import ValidationError

MAIN = [("COAL", "0510", "nghìn tấn"), ("CRUDE_OIL", "0610", "nghìn tấn"), ("NATURAL_GAS", "0620", "triệu m3"),
        ("LPG", "1920", "nghìn tấn"), ("PETROL_OIL", "1920", "nghìn tấn"), ("ALUMINA", "2420", "nghìn tấn"),
        ("SEAFOOD_PROCESSED", "1020", "nghìn tấn"), ("FRESH_MILK", "1050", "triệu lít"),
        ("MILK_POWDER", "1050", "nghìn tấn"), ("SUGAR", "1072", "nghìn tấn"), ("MSG", "1079", "nghìn tấn"),
        ("ANIMAL_FEED", "1080", "nghìn tấn"), ("AQUA_FEED", "1080", "nghìn tấn"), ("BEER", "1103", "triệu lít"),
        ("CIGARETTES", "1200", "triệu bao"), ("FABRIC_NATURAL", "1312", "triệu m2"),
        ("FABRIC_SYNTHETIC", "1312", "triệu m2"), ("CLOTHES", "1410", "triệu cái"),
        ("LEATHER_SHOES", "1520", "triệu đôi"), ("UREA", "2012", "nghìn tấn"), ("NPK", "2012", "nghìn tấn"),
        ("PAINT", "2022", "nghìn tấn"), ("CEMENT", "2394", "triệu tấn"), ("CRUDE_STEEL", "2410", "nghìn tấn"),
        ("ROLLED_STEEL", "2410", "nghìn tấn"), ("STEEL_BARS", "2410", "nghìn tấn"),
        # VSIC 2018 has no class 2632: communication equipment is 2630
        ("MOBILE_PHONES", "2630", "triệu cái"), ("PHONE_PARTS", "2630", "tỷ đồng"), ("TV", "2640", "nghìn cái"),
        ("CARS", "2910", "nghìn cái"), ("MOTORBIKES", "3091", "nghìn cái"),
        # VSIC 2018 splits ISIC 3510 into 3511 generation and 3512 transmission/distribution
        ("ELECTRICITY", "3511", "tỷ kWh"), ("ELECTRICITY_COMMERCIAL", "3512", "tỷ kWh"),
        ("TAP_WATER", "3600", "triệu m3")]


@pytest.fixture(scope="module")
def cat():
    return ref.products()


def test_main_products_codes_classes_units_order(cat):
    main = cat[cat["main"]].sort_values("gso_order")
    assert [(r.product_code, r.vsic, r.unit) for r in main.itertuples()] == MAIN
    assert main["gso_order"].tolist() == list(range(1, 35))
    assert cat.set_index("product_code").loc["CEMENT", "name_vi"] == "Xi măng"
    assert cat.loc[~cat["main"], "gso_order"].isna().all()


def test_catalogue_size_and_coverage(cat):
    assert len(cat) >= 220
    assert cat["product_code"].is_unique
    assert cat["product_code"].str.fullmatch(r"[A-Z][A-Z0-9_]*").all()
    tree = ref.vsic()
    classes = set(tree.loc[tree["level"] == "class", "code"])
    assert set(cat["vsic"]) <= classes
    per_division = cat["vsic"].str[:2].value_counts()
    for division in tree.loc[tree["level"] == "division", "code"]:
        assert per_division.get(division, 0) >= 2, division
    # classes left without a product: no (published) production in Viet Nam
    assert classes - set(cat["vsic"]) == {"0721", "1420", "2520", "2680", "3040"}


def test_units_and_names_filled(cat):
    for col in ("name_vi", "name_en", "unit", "unit_en"):
        assert (cat[col] != "").all(), col
    repair = cat[cat["vsic"].str.startswith("33")]
    assert set(repair["unit"]) == {"tỷ đồng"}


@pytest.fixture()
def tmp_data(tmp_path, monkeypatch):
    """A private copy of the shipped CSVs, with every loader cache cleared before and after."""
    for f in ("vsic2018.csv", "products.csv"):
        shutil.copy(ref.DATA_DIR / f, tmp_path / f)
    monkeypatch.setattr(reference_data, "DATA_DIR", tmp_path)
    _clear_caches()
    yield tmp_path
    _clear_caches()


def _clear_caches():
    for c in (ref._vsic, ref._ancestors, ref._vsic_aliases, ref._vsic_index, ref._products, ref._product_aliases):
        c.cache_clear()


def test_products_extra_is_appended(tmp_data):
    (tmp_data / "products_extra.csv").write_text(
        "product_code,name_vi,name_en,unit,vsic,main\nSTARCH_NOODLES,Miến dong,Arrowroot noodles,tấn,1074,false\n",
        encoding="utf-8")
    cat = ref.products()
    row = cat.set_index("product_code").loc["STARCH_NOODLES"]
    assert row["source"] == "products_extra.csv" and row["vsic"] == "1074" and not row["main"]
    assert ref.product_code("miến dong") == "STARCH_NOODLES"


def test_products_extra_bad_rows_named(tmp_data):
    (tmp_data / "products_extra.csv").write_text(
        "product_code,name_vi,unit,vsic\nCEMENT,Xi măng trắng,tấn,2394\nX1,Nhà ở,m2,4100\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        ref.products()
    probs = {(p.row, p.field) for p in err.value.problems}
    assert probs == {(2, "product_code"), (3, "vsic")}
    assert "products_extra.csv" in str(err.value)


def test_aliases_absent_and_present(tmp_data):
    assert ref.vsic_aliases().empty and list(ref.vsic_aliases().columns) == ["label", "code", "key"]
    assert ref.product_aliases().empty
    (tmp_data / "gso_vsic_aliases.csv").write_text(
        "label,code\nSX đồ uống,11\n\"Sản xuất, phân phối điện, ga, nước\",-\n", encoding="utf-8")
    (tmp_data / "gso_product_aliases.csv").write_text(
        "label,code,unit\nĐiện phát ra,ELECTRICITY,tỷ kWh\n", encoding="utf-8")
    _clear_caches()
    al = ref.vsic_aliases()
    assert al["code"].tolist() == ["11", "-"] and al["key"].tolist()[0] == "sx đồ uống"
    assert ref.vsic_code("  SX  đồ uống.") == "11"
    assert ref.vsic_code("Sản xuất, phân phối điện, ga, nước") is None
    assert ref.product_aliases()["unit"].tolist() == ["tỷ kWh"]
    assert ref.product_code("điện phát ra") == "ELECTRICITY"


def test_alias_with_unknown_code_rejected(tmp_data):
    (tmp_data / "gso_vsic_aliases.csv").write_text("label,code\nXây dựng,41\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        ref.vsic_aliases()
    assert err.value.problems[0].row == 2 and err.value.problems[0].field == "code"
