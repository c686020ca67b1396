"""Release package from compiled data: facts = tables, GSO's rounding in the text, the workbook layout, the SDMX
round trip (every observation against figures.csv), vintages and their diff, the PDF, the CLI."""
from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal

import openpyxl
import pandas as pd
import pypdf
import pytest
from typer.testing import CliRunner

from iip.cli import app
from iip.release import data, facts, narrative
from iip.release.package import read_figures, write_release

from sdmx_check import assert_sdmx_matches_figures


def stated(index: float) -> float:
    """The growth a GSO text states for a 100-based index, computed here apart from the code under test: the
    index's decimal digits rounded half up to one decimal, minus 100."""
    return float(Decimal(repr(float(index))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) - 100)


def points(x: float) -> float:
    return float(Decimal(repr(float(x))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


NUMBER = {"vi": re.compile(r"(\d[\d.]*,\d)(?=%| điểm phần trăm)"),
          "en": re.compile(r"(\d[\d,]*\.\d)(?=%| percentage points)")}


def text_numbers(text: str, lang: str) -> list[float]:
    """Every percent and percentage-point number a narrative states, unsigned."""
    conv = (lambda s: float(s.replace(".", "").replace(",", "."))) if lang == "vi" else \
        (lambda s: float(s.replace(",", "")))
    return sorted(conv(x) for x in NUMBER[lang].findall(text))


def expected_facts(d: data.ReleaseData) -> dict:
    """Headline facts recomputed straight from the tables."""
    n = d.national.set_index("code")
    exp = {("yoy", "TOTAL"): stated(n.loc["TOTAL", "yoy"]), ("mom", "TOTAL"): stated(n.loc["TOTAL", "mom"])}
    for s in "BCDE":
        if s in n.index and n.loc[s, "obs_status"] != "c":
            exp[("yoy", s)] = stated(n.loc[s, "yoy"])
            exp[("contrib_yoy", s)] = points(n.loc[s, "contrib_total_yoy"])
    if not d.period.endswith("-01"):
        exp[("ytd", "TOTAL")] = stated(n.loc["TOTAL", "ytd"])
        col = "ytd"
    else:
        col = "yoy"
    div = d.national[(d.national["level"] == "division") & (d.national["obs_status"] != "c")]
    best = div.sort_values(col, ascending=False).iloc[0]
    exp[("division_top", best["code"])] = stated(best[col])
    pv = d.provinces[d.provinces["obs_status"] != "c"]
    exp[("provinces_rose", "TOTAL")] = int((pv["yoy"] > 100).sum())
    return exp


@pytest.mark.parametrize("period", ["2023-07", "2023-02", "2023-01", "2023-06"])
def test_the_facts_in_both_narratives_match_the_tables(con, period):
    d = data.load(con, period)
    fs = facts.facts(d)
    got = {}
    for f in fs:
        got.setdefault((f["key"], f["node"]), f["value"])
    for k, v in expected_facts(d).items():
        assert got[k] == pytest.approx(v, abs=1e-12), k
    numbers = sorted(abs(f["value"]) for f in fs if f["unit"] in ("pct", "pp") and f["value"] != 0)
    for lang in ("vi", "en"):
        text = narrative.render(fs, d, lang)
        # every stated number is a fact's, and every non-zero fact is stated (the English ownership sentence
        # states all but the first contribution without a unit)
        said = text_numbers(text, lang)
        assert set(said) <= set(numbers), lang
        assert {x for x in numbers} - set(said) <= {abs(f["value"]) for f in fs if f["key"].startswith("ownership")}
    if period.endswith("-02"):
        assert got[("janfeb_yoy", "TOTAL")] == stated(d.national.set_index("code").loc["TOTAL", "ytd"])
        assert "Tết Nguyên đán năm 2023 rơi vào ngày 22/1/2023" in narrative.render(fs, d, "vi")
    if period.endswith("-06"):
        assert "Tính chung quý II/2023" in narrative.render(fs, d, "vi")


def test_headline_phrasing_and_gso_order(con):
    d = data.load(con, "2023-07")
    fs = facts.facts(d)
    vi, en = narrative.render(fs, d, "vi"), narrative.render(fs, d, "en")
    n = d.national.set_index("code")
    yoy, mom = stated(n.loc["TOTAL", "yoy"]), stated(n.loc["TOTAL", "mom"])
    word = lambda v: "tăng" if v > 0 else "giảm"  # noqa: E731
    vnum = lambda v: f"{abs(v):.1f}".replace(".", ",")  # noqa: E731
    assert (f"Chỉ số sản xuất toàn ngành công nghiệp (IIP) tháng 7/2023 {word(mom)} {vnum(mom)}% so với tháng "
            f"trước và {word(yoy)} {vnum(yoy)}% so với cùng kỳ năm trước.") in vi
    assert "ước tính" not in vi and "estimated" not in en      # compiled figures are not estimates
    order = ["so với tháng trước", "Tính chung 7 tháng năm 2023", "ngành cấp II tăng cao",
             "trên tổng số 63 địa phương", "Xét theo loại hình doanh nghiệp", "sản phẩm công nghiệp chủ lực",
             "Chỉ số tiêu thụ", "Chỉ số tồn kho"]
    pos = [vi.index(x) for x in order]
    assert pos == sorted(pos)
    assert en.startswith("# Industrial production, July 2023\n\nIndustrial production rose")
    assert "In the first seven months" not in en and "Over the first seven months of 2023" in en
    assert "of the 63 provinces" in en and "By ownership," in en


def test_text_growth_uses_gso_rounding_not_binary_floats(con):
    # 101.35 - 100 is 1.3499999... in binary: GSO states +1.4%; 98.95 -> -1.0%
    d = data.load(con, "2023-07")
    d.national.loc[d.national["code"] == "TOTAL", ["yoy", "mom"]] = [101.35, 98.95]
    fs = facts.facts(d)
    vi, en = narrative.render(fs, d, "vi"), narrative.render(fs, d, "en")
    assert "giảm 1,0% so với tháng trước và tăng 1,4% so với cùng kỳ năm trước" in vi
    assert "rose 1.4% in July 2023 from a year earlier but fell 1.0% from the previous month" in en


def test_names_keep_their_case():
    assert narrative.sentence_case("NPK compound fertiliser") == "NPK compound fertiliser"
    assert narrative.sentence_case("Xi măng") == "xi măng"
    assert narrative.sentence_case("LNG") == "LNG"
    assert narrative.division_name_en("Manufacture of beverages") == "beverages"


def test_markdown_is_rendered_by_a_library():
    html = narrative.to_html("# T\n\nA *b* <script>x</script>\n")
    assert "<h1>T</h1>" in html and "<em>b</em>" in html and "<script>" not in html


def test_release_package_vintages_and_diff(con, tmp_path):
    out = tmp_path / "out"
    r1 = write_release(con, "2023-07", out)
    assert r1.vintage == 1 and (out / "2023-07" / "v1" / "iip_2023-07.xlsx").exists()
    for f in ("narrative_vi.md", "narrative_en.html", "release.html", "release.pdf", "charts/provinces_vi.svg",
              "charts/headline_en.png", "iip_2023-07.sdmx.xml", "iip_2023-07.sdmx.json", "iip_2023-07.csv",
              "notes.txt", "figures.csv"):
        assert (r1.directory / f).is_file(), f
    before = {p: p.read_bytes() for p in r1.directory.rglob("*") if p.is_file()}
    # a correction: one product's July 2023 output doubles, recompile, release again
    from iip.compile import compile_store
    con.execute("UPDATE reports SET produced = produced * 2 WHERE period = '2023-07' AND product_code = 'P1010a'")
    compile_store(con)
    r2 = write_release(con, "2023-07", out)
    assert r2.vintage == 2 and r2.content_hash != r1.content_hash
    old, new = read_figures(r1.directory / "figures.csv"), read_figures(r2.directory / "figures.csv")
    key = ["table", "code", "period", "measure"]
    m = old.merge(new, on=key, how="outer", suffixes=("_o", "_n"))
    changed = m[~((m["value_o"] == m["value_n"]) | (m["value_o"].isna() & m["value_n"].isna()))
                | (m["status_o"] != m["status_n"])]
    dd = pd.read_csv(r2.directory / "diff.csv", dtype={"code": str, "period": str})
    assert r2.changed == len(dd) == len(changed) > 0
    assert set(map(tuple, dd[key].values)) == set(map(tuple, changed[key].values))
    nat = set(dd.loc[dd["table"] == "national", "code"])
    # class 1010 is in division 10, section C: July's national figures change there and in TOTAL only
    assert {"TOTAL", "C", "10"} <= nat <= {"TOTAL", "C", "10", "B", "D", "E"}
    assert not (dd["table"].eq("national") & dd["code"].isin(["05", "11", "24", "35"])
                & ~dd["measure"].str.startswith("contrib")).any()
    assert {p: p.read_bytes() for p in r1.directory.rglob("*") if p.is_file()} == before  # v1 untouched
    rows = con.execute("SELECT vintage, content_hash FROM releases WHERE period = '2023-07' ORDER BY 1").fetchall()
    assert rows == [(1, r1.content_hash), (2, r2.content_hash)]
    man = json.loads((r2.directory / "manifest.json").read_text())
    assert man["vintage"] == 2 and "diff.md" in man["files"]


def test_figures_carry_source_and_vintage(con, tmp_path):
    r = write_release(con, "2023-07", tmp_path)
    figs = read_figures(r.directory / "figures.csv")
    run = con.execute("SELECT max(run_id) FROM compile_runs").fetchone()[0]
    sa = figs["measure"] == "sa"
    assert set(figs.loc[~sa, "source"]) == {"compiled"} and set(figs.loc[~sa, "vintage"]) == {f"compile run {run}"}
    assert not sa.any()   # no adjustment stored: the release does not run X-13 itself
    assert "none stored" in (r.directory / "notes.txt").read_text()
    # the figures are the tables, rounded half up to two decimals
    d = data.load(con, "2023-07")
    tot = figs[(figs.table == "national") & (figs.code == "TOTAL") & (figs.measure == "yoy")]
    assert tot["value"].item() == float(Decimal(repr(float(d.national.set_index("code").loc["TOTAL", "yoy"])))
                                        .quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_stored_seasonal_adjustment_is_used_with_its_run(con, tmp_path):
    con.execute("""INSERT INTO sa_runs (run_id, batch_id, source, indicator, area, node, status)
                   VALUES (41, 'b', 'compiled', 'production', 'VN', 'TOTAL', 'ok')""")
    con.execute("""INSERT INTO sa_series (run_id, source, indicator, area, node, period, value, sa)
                   SELECT 41, 'compiled', 'production', 'VN', 'TOTAL', period, "index", "index" * 0.5
                   FROM index_levels WHERE area = 'VN' AND node = 'TOTAL' AND indicator = 'production'""")
    r = write_release(con, "2023-07", tmp_path)
    figs = read_figures(r.directory / "figures.csv")
    sa = figs[figs["measure"] == "sa"]
    idx = figs[(figs.table == "history") & (figs.code == "TOTAL") & (figs.measure == "index")].set_index("period")
    assert len(sa) == 25 and set(sa["vintage"]) == {"sa run 41"}
    for p, v in zip(sa["period"], sa["value"]):
        assert v == pytest.approx(idx.loc[p, "value"] * 0.5, abs=0.006)
    assert con.execute("SELECT sa_run_id FROM releases").fetchone()[0] == 41


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
    yoy = d.national.set_index("code").loc["TOTAL", "yoy"]
    assert ws["C5"].value == float(Decimal(repr(float(yoy))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert ws["C5"].number_format == "0.00"
    pv = wb["Dia phuong"]
    mfg_c = d.provinces["mfg_status"].eq("c")
    assert mfg_c.sum() > 0
    col = [pv.cell(row=3, column=j).value for j in range(1, 7)].index(
        "Chế biến, chế tạo: Tháng 7 năm 2023 so với cùng kỳ năm trước (%)") + 1
    vals = [pv.cell(row=i, column=col).value for i in range(5, 5 + len(d.provinces))]
    assert vals.count("c") == mfg_c.sum()


def test_sdmx_files_read_back_with_sdmx1_equal_figures_csv(con, tmp_path):
    r = write_release(con, "2023-07", tmp_path)
    want = assert_sdmx_matches_figures(r.directory, "2023-07")
    assert sum(v is None for v in want.values()) > 0      # confidential cells exist and are checked
    assert ("VN", "AIP_ISIC4_C_IX", "2023-07") in want and ("VN", "AIP_ISIC4_PC_CP_A_PT", "2023-07") in want
    text = (r.directory / "iip_2023-07.sdmx.xml").read_text()
    assert 'DATA_DOMAIN="IND" REF_AREA="VN" INDICATOR="AIP_ISIC4_C_IX" COUNTERPART_AREA="_Z" FREQ="M"' in text


def test_pdf_holds_the_narrative_text(con, tmp_path):
    r = write_release(con, "2023-07", tmp_path)
    pdf = pypdf.PdfReader(r.directory / "release.pdf")
    text = " ".join(p.extract_text() for p in pdf.pages).replace("\n", " ")
    first = (r.directory / "narrative_vi.md").read_text().split("\n\n")[1]
    assert first[:60] in text and "Industrial production" in text


def test_cli_release_and_bad_options(store_path, tmp_path):
    import shutil
    db = tmp_path / "s.duckdb"
    shutil.copy(store_path, db)
    runner = CliRunner()
    res = runner.invoke(app, ["--db", str(db), "release", "--period", "2023-7", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "YYYY-MM" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["--db", str(db), "release", "--period", "2023-07", "--as-of", "2023-08-01",
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "--as-of" in res.output and "published" in res.output
    res = runner.invoke(app, ["--db", str(db), "release", "--period", "2023-03", "--lang", "vi", "--out",
                              str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "o" / "2023-03" / "v1" / "narrative_vi.md").exists()
    assert not (tmp_path / "o" / "2023-03" / "v1" / "narrative_en.md").exists()
    res = runner.invoke(app, ["--db", str(db), "releases"])
    assert res.exit_code == 0 and "2023-03" in res.output


def test_labour_index_of_the_month_enters_with_ownership(con):
    rows = [("total", "TOTAL", 100.4, 103.25), ("ownership", "state", 99.0, 98.95), ("ownership", "fdi", 101.0, 106.04),
            ("section", "C", 100.5, 104.0)]
    for dim, code, mom, yoy in rows:   # an older computation of the same month is ignored
        con.execute("INSERT INTO labour_index (period, dimension, code, mom, yoy, computed_at) VALUES "
                    "('2023-07', ?, ?, ?, ?, TIMESTAMP '2024-01-01')", [dim, code, mom - 5, yoy - 5])
        con.execute("INSERT INTO labour_index (period, dimension, code, mom, yoy, computed_at) VALUES "
                    "('2023-07', ?, ?, ?, ?, TIMESTAMP '2024-02-01')", [dim, code, mom, yoy])
    d = data.load(con, "2023-07")
    vi = narrative.render(facts.facts(d), d, "vi")
    assert ("Số lao động đang làm việc trong các doanh nghiệp công nghiệp tại thời điểm 1/7/2023 tăng 0,4% so với "
            "cùng thời điểm tháng trước và tăng 3,3% so với cùng thời điểm năm trước.") in vi
    # 98.95 -> 99.0 -> -1.0 (GSO's rounding); 106.04 -> +6.0
    assert "khu vực doanh nghiệp Nhà nước giảm 1,0%" in vi and "nước ngoài tăng 6,0%" in vi
