"""Vintage-true releases from GSO's published figures (issue 13 item 1): a month's release states what GSO
published in that month's own workbook; --as-of builds it from the vintages known on a date (a release month is
known from the first day of the next month); IMF NSDP levels never enter; the same real-time view is served by
`iip export published --as-of` and GET /api/published?as_of=."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from typer.testing import CliRunner

from iip.cli import app
from iip.errors import NotFoundError
from iip.ingest.published import FIG_COLS, write_figures
from iip.published import vintages
from iip.release import data, facts, narrative
from iip.release.package import read_figures, write_release
from iip.store import connect

from sdmx_check import assert_sdmx_matches_figures

NODES = ["TOTAL", "B", "C", "D", "E", "05", "10", "26", "35", "36"]
# GSO's workbooks of June, July and August 2023 (invented figures): each holds its month's estimates and the
# previous month's yoy as it revises it. July's own TOTAL yoy estimate is 103.69 (+3.7%); August revises it to
# 102.34 (+2.3%). July's workbook prints June at 104.85 (+4.9%: half up).
TOTAL = {"2023-06": {"2023-06": {"mom": 101.10, "yoy": 104.20, "ytd_yoy": 101.50}, "2023-05": {"yoy": 102.00}},
         "2023-07": {"2023-07": {"mom": 100.80, "yoy": 103.69, "ytd_yoy": 101.90}, "2023-06": {"yoy": 104.85}},
         "2023-08": {"2023-08": {"mom": 101.50, "yoy": 105.10, "ytd_yoy": 102.30}, "2023-07": {"yoy": 102.34}}}


def _rows(release: str) -> list[dict]:
    rows = []
    for period, measures in TOTAL[release].items():
        status = "estimate" if period == release else "actual"
        for measure, value in measures.items():
            for i, node in enumerate(NODES):   # other nodes: the total shifted by a node-specific step
                rows.append(dict(source="GSO", release=release, indicator="production", area="VN", node=node,
                                 label=node, period=period, measure=measure, status=status,
                                 value=round(value + 0.37 * i * (-1) ** i, 2), unit="%", sheet="IIP",
                                 cell=f"C{10 + i}", table_kind="iip"))
    m = int(release[5:7])
    for code, name, q in (("BEER", "Bia các loại", 400.0), ("NPK", "Phân hỗn hợp NPK", 300.0)):
        prev = f"2023-{m - 1:02d}"
        for period, measure, value, status in ((prev, "level", q * 0.98, "actual"), (release, "level", q, "estimate"),
                                               (release, "ytd_level", q * m, "estimate"),
                                               (release, "yoy", 100 + m + (3 if code == "BEER" else -9), "estimate"),
                                               (release, "ytd_yoy", 101.0 + (2 if code == "BEER" else -3),
                                                "estimate")):
            rows.append(dict(source="GSO", release=release, indicator="product_output", area="VN", node=code,
                             label=name, period=period, measure=measure, status=status, value=value,
                             unit="Triệu lít" if measure.endswith("level") else "%", sheet="SP", cell="D5",
                             table_kind="products"))
    for measure, value in (("mom", 100.4), ("yoy", 103.1)):
        rows.append(dict(source="GSO", release=release, indicator="labour", area="VN", node="TOTAL", label="Toàn ngành",
                         period=release, measure=measure, status="estimate", value=value, unit="%", sheet="LD",
                         cell="B5", table_kind="labour"))
    return rows


def add_file(con, release: str, rows: list[dict], source: str = "GSO") -> None:
    fid = int(con.execute("SELECT coalesce(max(file_id), 0) + 1 FROM published_files").fetchone()[0])
    con.execute("INSERT INTO published_files (file_id, source, file, sha256, release, figures, cells_seen, "
                "cells_mapped, warnings) VALUES (?, ?, ?, ?, ?, ?, 0, 0, 0)",
                [fid, source, f"{release}-29-Bieu.xlsx", f"sha-{fid}", release, len(rows)])
    write_figures(con, fid, pd.DataFrame(rows)[FIG_COLS])


@pytest.fixture()
def pub(tmp_path):
    con = connect(tmp_path / "p.duckdb")
    for release in TOTAL:
        add_file(con, release, _rows(release))
    # IMF NSDP levels (2015 = 100), prepared in September: never part of a GSO release
    add_file(con, "2023-09", [dict(source="IMF-NSDP", release="2023-09", indicator="production", area="VN",
                                   node="TOTAL", label="AIP_ISIC4_IX", period=p, measure="level", status="actual",
                                   value=v, unit="index 2015=100", sheet=None, cell=None, table_kind="sdmx")
                              for p, v in (("2023-07", 150.67), ("2023-08", 151.20))], source="IMF-NSDP")
    yield con
    con.close()


def test_known_from_is_the_first_of_the_next_month():
    assert vintages.known_from("2023-07") == dt.date(2023, 8, 1)
    assert vintages.known_from("2023-12") == dt.date(2024, 1, 1)
    assert vintages.last_release_known(dt.date(2023, 8, 31)) == "2023-07"
    assert vintages.last_release_known(dt.date(2023, 9, 1)) == "2023-08"


def test_the_months_release_states_its_own_estimate(pub):
    d = data.load(pub, "2023-07", source="published")
    tot = d.national.set_index("code").loc["TOTAL"]
    assert (tot["yoy"], tot["mom"], tot["ytd"], tot["prev_yoy"]) == (103.69, 100.80, 101.90, 104.85)
    fs = facts.facts(d)
    vi, en = narrative.render(fs, d, "vi"), narrative.render(fs, d, "en")
    assert ("Chỉ số sản xuất toàn ngành công nghiệp (IIP) tháng 7/2023 ước tính tăng 0,8% so với tháng trước và "
            "tăng 3,7% so với cùng kỳ năm trước.") in vi
    assert "Theo số liệu chính thức, IIP tháng 6/2023 tăng 4,9% so với cùng kỳ năm trước." in vi
    assert "Tính chung 7 tháng năm 2023, IIP ước tính tăng 1,9%" in vi
    assert "Industrial production rose an estimated 3.7% in July 2023 from a year earlier and 0.8%" in en
    assert "Revised data put June's year-on-year growth at +4.9%." in en
    assert "2,3%" not in vi and "2.3%" not in en           # August's revision is not known to July's release
    # a main product keeps its case; estimates are called estimates only where they are
    assert "phân hỗn hợp NPK giảm 2,0%" in vi and "Phân hỗn hợp NPK" not in vi.split("\n\n")[1]
    assert "ước tính" not in vi.split("\n\n")[2]          # June's official figure is not an estimate


def test_figures_csv_has_only_gso_figures_with_their_vintage(pub, tmp_path):
    r = write_release(pub, "2023-07", tmp_path, source="published")
    figs = read_figures(r.directory / "figures.csv")
    assert set(figs["source"]) == {"GSO"} and 150.67 not in set(figs["value"])
    own = figs[figs["table"] != "history"]
    assert set(own["vintage"]) == {"2023-07"}
    status = own.set_index(["table", "code", "period", "measure"])["figure_status"]
    assert status[("national", "TOTAL", "2023-07", "yoy")] == "estimate"
    assert status[("national", "TOTAL", "2023-06", "yoy")] == "actual"
    assert status[("products", "BEER", "2023-06", "level")] == "actual"
    # the history (TOTAL yoy as known when July was published) holds each month's newest vintage then
    hist = figs[figs["table"] == "history"].set_index("period")
    assert hist.loc["2023-07", "value"] == 103.69 and hist.loc["2023-06", "value"] == 104.85
    assert hist.loc["2023-05", "vintage"] == "2023-06" and "2023-08" not in hist.index
    # SDMX: one observation per series key and period, each equal to figures.csv
    want = assert_sdmx_matches_figures(r.directory, "2023-07")
    assert want[("VN", "AIP_ISIC4_PC_CP_A_PT", "2023-07")] == pytest.approx(3.69, abs=1e-9)
    assert want[("VN", "AIP_ISIC4_PC_CP_A_PT", "2023-06")] == pytest.approx(4.85, abs=1e-9)
    text = (r.directory / "iip_2023-07.sdmx.xml").read_text()
    assert 'OBS_STATUS="E"' in text and 'OBS_STATUS="A"' in text and "150.67" not in text


def test_as_of_builds_the_release_from_the_vintages_known_then(pub):
    before = data.load(pub, "2023-07", source="published", as_of=dt.date(2023, 8, 31))
    assert before.national.set_index("code").loc["TOTAL", "yoy"] == 103.69     # August not yet known
    later = data.load(pub, "2023-07", source="published", as_of=dt.date(2023, 9, 1))
    tot = later.national.set_index("code").loc["TOTAL"]
    assert (tot["yoy"], tot["mom"]) == (102.34, 100.80)
    prov = later.provenance.set_index(["table", "code", "column"])
    assert tuple(prov.loc[("national", "TOTAL", "yoy"), ["vintage", "figure_status"]]) == ("2023-08", "actual")
    assert tuple(prov.loc[("national", "TOTAL", "mom"), ["vintage", "figure_status"]]) == ("2023-07", "estimate")
    fs = facts.facts(later)
    vi, en = narrative.render(fs, later, "vi"), narrative.render(fs, later, "en")
    assert "ước tính tăng 0,8% so với tháng trước và tăng 2,3% so với cùng kỳ năm trước (số liệu chính thức)" in vi
    assert "rose 2.3% (revised) in July 2023" in en
    with pytest.raises(NotFoundError, match="not yet published on 2023-07-31"):
        data.load(pub, "2023-07", source="published", as_of=dt.date(2023, 7, 31))


def test_cli_release_as_of_and_its_record(pub, tmp_path):
    db = tmp_path / "p.duckdb"
    pub.close()
    runner = CliRunner()
    res = runner.invoke(app, ["--db", str(db), "release", "--period", "2023-07", "--source", "published",
                              "--as-of", "2023-09-01", "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["--db", str(db), "release", "--period", "2023-07", "--source", "published",
                              "--as-of", "2023-07-15", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "not yet published" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["--db", str(db), "release", "--period", "2023-07", "--source", "published",
                              "--as-of", "2023-9-1", "--out", str(tmp_path / "o")])
    assert res.exit_code == 1 and "--as-of must be a date written YYYY-MM-DD" in res.output
    with connect(db) as con:
        assert con.execute("SELECT as_of, figures_vintage FROM releases").fetchall() == \
            [(dt.date(2023, 9, 1), "as of 2023-09-01")]


@pytest.mark.parametrize("as_of, expected", [("2023-08-15", 103.69), ("2023-09-01", 102.34)])
def test_export_published_as_of(pub, tmp_path, as_of, expected):
    db = tmp_path / "p.duckdb"
    pub.close()
    out = tmp_path / "e.csv"
    res = CliRunner().invoke(app, ["--db", str(db), "export", "published", "--as-of", as_of, "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, dtype=str)
    x = df[(df.node == "TOTAL") & (df.indicator == "production") & (df.period == "2023-07")]
    assert x.loc[x.measure == "yoy", "value"].astype(float).tolist() == [expected]
    assert (df["release"] <= vintages.last_release_known(dt.date.fromisoformat(as_of))).all()
    assert "IMF-NSDP" not in set(df["source"])             # prepared in September: known from October


def test_api_published_as_of(pub, tmp_path):
    from fastapi.testclient import TestClient

    from iip.web.app import create_app

    db = tmp_path / "p.duckdb"
    pub.close()
    with TestClient(create_app(db, warm=False)) as client:
        q = {"node": "TOTAL", "measure": "yoy", "indicator": "production", "from": "2023-07", "to": "2023-07"}
        a = client.get("/api/published", params={**q, "as_of": "2023-08-15"}).json()
        b = client.get("/api/published", params={**q, "as_of": "2023-09-01"}).json()
        assert [f["value"] for f in a["figures"]] == [103.69] and a["as_of"] == "2023-08-15"
        assert [(f["value"], f["release"]) for f in b["figures"]] == [(102.34, "2023-08")]
        bad = client.get("/api/published", params={"as_of": "2023-13-01"})
        assert bad.status_code == 422 and bad.json()["ok"] is False and "as_of" in bad.json()["error"]
