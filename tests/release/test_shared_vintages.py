"""Releases from two vintages of GSO's real workbooks (../shared): July 2022's release states July's own estimate
(111.19: +11.2%), not August's revision of it (109.47: +9.5%), which a release as of 1 September 2022 uses."""
from __future__ import annotations

import datetime as dt

import pytest

from iip.ingest.published import import_gso
from iip.release import data, facts, narrative
from iip.release.package import read_figures, write_release
from iip.store import connect

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def gso(shared_dir, tmp_path_factory):
    files = sorted((shared_dir / "data" / "gso-monthly").glob("2022-0[78]-*.xlsx"))
    if len(files) != 2:
        pytest.skip(f"the July and August 2022 workbooks are not in {shared_dir}/data/gso-monthly")
    path = tmp_path_factory.mktemp("gso2022") / "g.duckdb"
    con = connect(path)
    assert [r.status for r in import_gso(con, files, workers=1)] == ["imported", "imported"]
    con.close()
    return path


def test_july_release_states_julys_own_estimate(gso, tmp_path):
    with connect(gso) as con:
        d = data.load(con, "2022-07", source="published")
        tot = d.national.set_index("code").loc["TOTAL"]
        # read off GSO's July 2022 workbook (sheet 7.IIPthang, row 10: B10 June official, C10 mom, D10 yoy)
        assert (tot["prev_yoy"], tot["mom"], tot["yoy"]) == pytest.approx((109.10, 101.60, 111.19), abs=0.005)
        vi = narrative.render(facts.facts(d), d, "vi")
        assert "IIP) tháng 7/2022 ước tính tăng 1,6% so với tháng trước và tăng 11,2% so với cùng kỳ" in vi
        assert "Theo số liệu chính thức, IIP tháng 6/2022 tăng 9,1%" in vi and "9,5%" not in vi
        r = write_release(con, "2022-07", tmp_path, source="published")
        figs = read_figures(r.directory / "figures.csv")
        own = figs[figs["table"] != "history"]
        assert set(own["vintage"]) == {"2022-07"} and set(figs["source"]) == {"GSO"}


def test_as_of_september_uses_augusts_revision(gso):
    with connect(gso) as con:
        d = data.load(con, "2022-07", source="published", as_of=dt.date(2022, 9, 1))
        assert d.national.set_index("code").loc["TOTAL", "yoy"] == pytest.approx(109.47, abs=0.005)
        en = narrative.render(facts.facts(d), d, "en")
        assert "Industrial production rose 9.5% (revised) in July 2022" in en
        assert data.load(con, "2022-07", source="published", as_of=dt.date(2022, 8, 31)).national.set_index(
            "code").loc["TOTAL", "yoy"] == pytest.approx(111.19, abs=0.005)
