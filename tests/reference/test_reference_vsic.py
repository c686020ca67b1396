"""VSIC 2018 tree (sections B-E) shipped in iip/reference/data/vsic2018.csv."""
import pytest

from iip import reference as ref
from iip.errors import NotFoundError, OptionError

EXPECTED_DIVISIONS = ["05", "06", "07", "08", "09", *[str(d) for d in range(10, 34)], "35", "36", "37", "38", "39"]


@pytest.fixture(scope="module")
def tree():
    return ref.vsic()


def test_codes_unique_and_levels_valid(tree):
    assert tree["code"].is_unique
    assert set(tree["level"]) == {"total", "section", "division", "group", "class"}
    assert list(tree.columns) == ["code", "level", "parent", "name_vi", "name_en"]


def test_all_divisions_05_to_39_present(tree):
    divisions = tree.loc[tree["level"] == "division", "code"].tolist()
    assert divisions == EXPECTED_DIVISIONS  # there is no division 34 in ISIC Rev.4 or VSIC 2018
    assert len(divisions) == 34


def test_sections_and_root(tree):
    sections = tree[tree["level"] == "section"]
    assert sections["code"].tolist() == ["B", "C", "D", "E"]
    assert set(sections["parent"]) == {"TOTAL"}
    root = tree[tree["code"] == "TOTAL"].iloc[0]
    assert root["parent"] is None and root["name_vi"] == "Toàn ngành công nghiệp"


def test_parent_rules_and_no_orphan(tree):
    codes = set(tree["code"])
    by_code = tree.set_index("code")
    section_of = {"05": "B", "09": "B", "10": "C", "33": "C", "35": "D", "36": "E", "39": "E"}
    for code, row in by_code.iterrows():
        if code == "TOTAL":
            continue
        assert row["parent"] in codes, f"orphan {code}"
        if row["level"] == "division" and code in section_of:
            assert row["parent"] == section_of[code]
        if row["level"] == "group":
            assert len(code) == 3 and code[:2] == row["parent"]
        if row["level"] == "class":
            assert len(code) == 4 and code[:3] == row["parent"]
            assert by_code.loc[row["parent"], "level"] == "group"


def test_every_group_has_a_class_and_every_division_a_group(tree):
    parents = set(tree["parent"].dropna())
    for level in ("section", "division", "group"):
        for code in tree.loc[tree["level"] == level, "code"]:
            assert code in parents, f"{level} {code} has no children"


def test_class_count_and_vsic_specific_classes(tree):
    classes = set(tree.loc[tree["level"] == "class", "code"])
    # ISIC Rev.4 B-E has 162 classes; VSIC 2018 adds 0730 (split of 0729), 1076, 1077 (split of 1079)
    # and 3511/3512 (split of 3510): 162 - 1 + 2 + 2 - 1 + 2 = 166.
    assert len(classes) == 166
    assert {"0722", "0730", "1076", "1077", "3511", "3512", "2630"} <= classes
    assert not {"0729", "3510", "2632"} & classes


def test_ancestors_chain_to_total(tree):
    anc = ref.vsic_ancestors()
    classes = tree.loc[tree["level"] == "class", "code"]
    assert set(anc["code"]) == set(classes)
    assert (anc.groupby("code").size() == 5).all()
    assert (anc[anc["level"] == "total"]["ancestor"] == "TOTAL").all()
    chain = anc[anc["code"] == "1076"].set_index("level")["ancestor"].to_dict()
    assert chain == {"class": "1076", "group": "107", "division": "10", "section": "C", "total": "TOTAL"}


def test_names_and_lookup():
    assert ref.vsic_name("1072") == "Sản xuất đường"
    assert ref.vsic_name("1072", "en") == "Manufacture of sugar"
    assert ref.vsic_name("D", lang="en") == "Electricity, gas, steam and air conditioning supply"
    with pytest.raises(NotFoundError):
        ref.vsic_name("4100")
    with pytest.raises(OptionError, match="lang must be 'vi' or 'en'"):
        ref.vsic_name("10", lang="fr")
    assert ref.vsic_code("12. Sản xuất sản phẩm thuốc lá") == "12"  # division wins over 120/1200
    assert ref.vsic_code("Manufacture of tea") == "1076"
    assert ref.vsic_code("No such industry") is None


def test_loaders_return_copies():
    first = ref.vsic()
    first.loc[0, "name_vi"] = "changed"
    first.drop(first.index, inplace=True)
    again = ref.vsic()
    assert again.loc[0, "name_vi"] == "Toàn ngành công nghiệp" and len(again) == 296
    anc = ref.vsic_ancestors()
    anc["code"] = "x"
    assert (ref.vsic_ancestors()["code"] != "x").all()
