"""Release package: GSO rounding, narrative facts = tables, workbook layout, SDMX round trip, vintages."""
from __future__ import annotations

import json
import re

import openpyxl
import pandas as pd
import pytest
import sdmx
from typer.testing import CliRunner

from iip.cli import app
from iip.release import data, facts, narrative, sdmx_out
from iip.release.package import write_release
from iip.reference.rounding import fmt, gso_round, parse_number


@pytest.mark.parametrize("x,d,expected", [(2.25, 1, 2.3), (-2.25, 1, -2.3), (0.05, 1, 0.1), (-0.05, 1, -0.1),
                                          (2.675, 2, 2.68), (1.005, 2, 1.01), (3.64999, 1, 3.6), (-0.749, 1, -0.7),
                                          (103.685, 2, 103.69), (0.0, 1, 0.0)])
def test_gso_round_is_half_away_from_zero(x, d, expected):
    assert gso_round(x, d) == expected


def test_formatting_by_language():
    assert fmt(-0.75, 1, lang="vi") == "-0,8" and fmt(1234.5, 2, lang="vi") == "1.234,50"
    assert fmt(1234.5, 2, lang="en") == "1,234.50" and fmt(None) == ".."
    assert parse_number("1.234,50", lang="vi") == 1234.5 and gso_round(float("nan")) is None


NUM = {"vi": re.compile(r"(tăng|giảm|đóng góp|làm giảm) (\d[\d.]*,\d)( điểm phần trăm|%)"),
       "en": re.compile(r"(increased|decreased|adding|subtracting) (\d[\d,]*\.\d)( percentage points|%)")}
NEG = {"giảm", "làm giảm", "decreased", "subtracting"}


def text_numbers(text: str, lang: str) -> list[tuple[float, str]]:
    """Signed numbers the narrative states, with their unit ('pct' or 'pp')."""
    out = []
    for verb, num, unit in NUM[lang].findall(text):
        v = parse_number(num, lang=lang) * (-1 if verb in NEG else 1)
        out.append((v, "pp" if "đ" in unit or "points" in unit else "pct"))
    return out


def expected_facts(d) -> dict:
    """The headline numbers recomputed straight from the tables."""
    n = d.national.set_index("code")
    div = d.national[(d.national["level"] == "division") & (d.national["obs_status"] != "c")].dropna(subset=["yoy"])
    exp = {("yoy", "TOTAL"): n.loc["TOTAL", "yoy"] - 100, ("mom", "TOTAL"): n.loc["TOTAL", "mom"] - 100}
    for s in "BCDE":
        if s in n.index and n.loc[s, "obs_status"] != "c":
            exp[("yoy", s)] = n.loc[s, "yoy"] - 100
    top = div.sort_values("yoy", ascending=False).head(3)
    for i, (code, v) in enumerate(zip(top["code"], top["yoy"]), 1):
        exp[("division_top", code)] = v - 100
    c = div.assign(a=div["contrib_total_yoy"].abs()).sort_values("a", ascending=False).head(3)
    for code, v in zip(c["code"], c["contrib_total_yoy"]):
        exp[("contribution", code)] = v
    return exp


@pytest.mark.parametrize("period", ["2023-07", "2023-02", "2023-01", "2023-06"])
def test_the_facts_in_both_narratives_match_the_tables(con, period):
    d = data.load(con, period)
    fs = facts.facts(d)
    got = {(f["key"], f["node"]): f["value"] for f in fs}
    for k, v in expected_facts(d).items():
        assert got[k] == pytest.approx(v), k
    pv = d.provinces[d.provinces["obs_status"] != "c"]
    assert got[("provinces_rose", "TOTAL")] == (pv["yoy"] > 100).sum()
    numeric = sorted((gso_round(f["value"], 1), f["unit"]) for f in fs if f["unit"] in ("pct", "pp"))
    for lang in ("vi", "en"):
        text = narrative.render(fs, d, lang)
        stated = sorted(text_numbers(text, lang))
        zero = [x for x in numeric if x == (0.0, "pct")]  # stated in words: "tương đương cùng kỳ" / "unchanged"
        assert stated == [x for x in numeric if x != (0.0, "pct")], lang
        assert text.count("tương đương cùng kỳ" if lang == "vi" else "was unchanged") == len(zero)
        assert ("," if lang == "vi" else ".") in NUM[lang].search(text).group(2)
    if period.endswith("-02"):
        ytd = d.national.set_index("code").loc["TOTAL", "ytd"] - 100
        assert got[("janfeb_yoy", "TOTAL")] == pytest.approx(ytd)
        assert "Tết Nguyên đán năm 2023 rơi vào ngày 22/1/2023" in narrative.render(fs, d, "vi")
    if period.endswith("-06"):
        assert "Tính chung quý II/2023" in narrative.render(fs, d, "vi")


def test_headline_phrasing_like_gso(con):
    d = data.load(con, "2023-07")
    vi = narrative.render(facts.facts(d), d, "vi")
    en = narrative.render(facts.facts(d), d, "en")
    yoy = d.national.set_index("code").loc["TOTAL", "yoy"] - 100
    word = "tăng" if yoy > 0 else "giảm"
    assert f"Chỉ số sản xuất toàn ngành công nghiệp (IIP) tháng 7/2023 ước tính {word} " \
           f"{fmt(abs(yoy), 1, lang='vi')}% so với cùng kỳ năm trước" in vi
    assert "Tính chung 7 tháng năm 2023, IIP ước tính" in vi
    assert "The Index of Industrial Production (IIP) in July 2023 is estimated to have" in en
    assert "In the first seven months of 2023, IIP" in en


def test_release_package_vintages_and_diff(con, tmp_path):
    out = tmp_path / "out"
    r1 = write_release(con, "2023-07", out)
    assert r1.vintage == 1 and (out / "2023-07" / "v1" / "iip_2023-07.xlsx").exists()
    for f in ("narrative_vi.md", "narrative_en.html", "release.html", "release.pdf", "charts/provinces_vi.svg",
              "charts/headline_en.png", "iip_2023-07.sdmx.xml", "iip_2023-07.sdmx.json", "iip_2023-07.csv"):
        assert (r1.directory / f).is_file(), f
    before = {p: p.read_bytes() for p in r1.directory.rglob("*") if p.is_file()}
    # a correction: one product's July 2023 output doubles, recompile, release again
    from iip.compile import compile_store
    con.execute("UPDATE reports SET produced = produced * 2 WHERE period = '2023-07' AND product_code = 'P1010a'")
    compile_store(con)
    r2 = write_release(con, "2023-07", out)
    assert r2.vintage == 2 and r2.changed and r2.changed > 0
    assert r2.content_hash != r1.content_hash
    dd = pd.read_csv(r2.directory / "diff.csv", dtype={"code": str})
    assert ((dd["table"] == "national") & (dd["code"] == "1010")).any() or (dd["code"] == "10").any()
    assert {p: p.read_bytes() for p in r1.directory.rglob("*") if p.is_file()} == before  # v1 untouched
    rows = con.execute("SELECT vintage, content_hash FROM releases WHERE period = '2023-07' ORDER BY 1").fetchall()
    assert rows == [(1, r1.content_hash), (2, r2.content_hash)]
    man = json.loads((r2.directory / "manifest.json").read_text())
    assert man["vintage"] == 2 and "diff.md" in man["files"]


def test_workbook_in_gso_layout(con, tmp_path):
    r = write_release(con, "2023-07", tmp_path)
    wb = openpyxl.load_workbook(r.directory / "iip_2023-07.xlsx")
    ws = wb["IIP"]
    assert ws["A1"].value == "Chỉ số sản xuất công nghiệp tháng 7 năm 2023"
    assert ws["B3"].value == "Tháng 7 năm 2023 so với tháng 6 năm 2023 (%)"
    assert ws["D3"].value == "7 tháng năm 2023 so với cùng kỳ năm trước (%)"
    assert "B3:B4" in {str(m) for m in ws.merged_cells.ranges}
    d = data.load(con, "2023-07")
    assert ws["A5"].value == "Toàn ngành công nghiệp" and ws["A5"].font.b
    assert ws["C5"].value == gso_round(d.national.set_index("code").loc["TOTAL", "yoy"], 2)
    assert ws["C5"].number_format == "0.00"
    pv = wb["Dia phuong"]
    supp = d.provinces["obs_status"].eq("c")
    vals = [pv.cell(row=i, column=2).value for i in range(5, 5 + len(d.provinces))]
    assert vals.count("c") == supp.sum()
    # a suppressed cell is written as 'c', never as its value
    from iip.release.excel import write_workbook
    d.provinces.loc[0, "obs_status"] = "c"
    write_workbook(d, tmp_path / "c.xlsx")
    assert openpyxl.load_workbook(tmp_path / "c.xlsx")["Dia phuong"]["B5"].value == "c"


def test_sdmx_files_read_back_with_sdmx1(con, tmp_path):
    r = write_release(con, "2023-07", tmp_path)
    d = data.load(con, "2023-07")
    total = d.national.set_index("code").loc["TOTAL", "index"]
    xml = sdmx.to_pandas(sdmx.read_sdmx(r.directory / "iip_2023-07.sdmx.xml", structure=sdmx_out.dsd()).data[0])
    js = sdmx.to_pandas(sdmx.read_sdmx(r.directory / "iip_2023-07.sdmx.json").data[0])
    for s in (xml, js):
        v = s.xs("AIP_ISIC4_IX", level="INDICATOR").xs("2023-07", level="TIME_PERIOD")
        assert float(v.iloc[0]) == pytest.approx(round(total, 2), abs=1e-9)
    text = (r.directory / "iip_2023-07.sdmx.xml").read_text()
    assert 'DATA_DOMAIN="IND" REF_AREA="VN" INDICATOR="AIP_ISIC4_C_IX" COUNTERPART_AREA="_Z" FREQ="M"' in text
    supp = d.national[d.national["obs_status"] == "c"]
    if len(supp):
        assert 'OBS_STATUS="C" CONF="C"' in text


def test_cli_release_and_bad_period(store_path, tmp_path):
    import shutil
    db = tmp_path / "s.duckdb"
    shutil.copy(store_path, db)
    runner = CliRunner()
    res = runner.invoke(app, ["--db", str(db), "release", "--period", "2023-7", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "YYYY-MM" in res.output
    res = runner.invoke(app, ["--db", str(db), "release", "--period", "2023-03", "--lang", "vi", "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "2023-03" / "v1" / "narrative_vi.md").exists()
    assert not (tmp_path / "o" / "2023-03" / "v1" / "narrative_en.md").exists()
