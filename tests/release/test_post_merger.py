"""Releases after the 1 July 2025 merger count the 34 provinces (areas N<code>) in every output -- tables, text,
charts, SDMX -- and releases before it the 63, by one rule (iip.reference.province_table / province_units)."""
from __future__ import annotations

from iip import reference
from iip.release import data, facts, narrative
from iip.release.package import read_figures, write_release

from tests.release.conftest import PROVINCES
from sdmx_check import assert_sdmx_matches_figures


def merged_areas() -> set[str]:
    m = reference.merge_2025().set_index("code")["code_2025"]
    return {"N" + m[p] for p in PROVINCES}


def test_august_2025_counts_the_34(con25, tmp_path):
    d = data.load(con25, "2025-08")
    assert set(d.provinces["code"]) == merged_areas()            # 01, 22, 26->25, 48, 74+79->79
    yoy = con25.execute("""SELECT area, yoy FROM indices_where(indicator_is := 'production', node_is := 'TOTAL',
                           period_from := '2025-08', period_to := '2025-08') WHERE regexp_matches(area, '^N[0-9]{2}$')""").df()
    from iip import disclosure

    hidden = set(disclosure.suppression_table(con25, "production").query("node == 'TOTAL'")["area"])
    shown = yoy[~yoy["area"].isin(hidden)]                     # published provinces only; the rest confidential
    f = {(x["key"], x.get("measure")): x["value"] for x in facts.facts(d) if x["key"].startswith("provinces_")}
    assert f[("provinces_rose", "yoy")] == int((shown["yoy"] > 100).sum())
    assert f[("provinces_fell", "yoy")] == int((shown["yoy"] < 100).sum())
    assert f[("provinces_confidential", "yoy")] == 34 - len(shown)
    vi, en = (narrative.render(facts.facts(d), d, x) for x in ("vi", "en"))
    assert "trên tổng số 34 địa phương" in vi and "of the 34 provinces" in en and "63" not in vi
    r = write_release(con25, "2025-08", tmp_path)
    figs = read_figures(r.directory / "figures.csv")
    assert set(figs.loc[figs["table"] == "provinces", "code"]) == merged_areas()
    want = assert_sdmx_matches_figures(r.directory, "2025-08")
    assert {k[0] for k in want} == {"VN"} | {f"VN_{a}" for a in merged_areas()}
    assert (r.directory / "charts" / "provinces_vi.svg").is_file()


def test_june_2025_counts_the_63(con25):
    d = data.load(con25, "2025-06")
    assert set(d.provinces["code"]) == set(PROVINCES)
    vi = narrative.render(facts.facts(d), d, "vi")
    assert "trên tổng số 63 địa phương" in vi
