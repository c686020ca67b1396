"""The one SDMX reader (sdmx1) and `iip import sdmx` on generated messages; the consistency check on generated
levels with a known step."""
import numpy as np
import pandas as pd
import pytest
from make_fixtures import write_sdmx
from typer.testing import CliRunner

from iip.cli import app
from iip.errors import IIPError, ValidationError
from iip.ingest.sdmx import import_sdmx, monthly_levels, observations
from iip.published.consistency import compare_growth, discontinuities, mom_steps
from iip.store import connect

MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]


def test_reader_values_scaling_and_missing(tmp_path):
    f = tmp_path / "IIPVNM.xml"
    write_sdmx(f, {"AIP_ISIC4_IX": [(p, f"{100 + i}.5") for i, p in enumerate(MONTHS[:3])],
                   "AIP_ISIC4_C_IX": [("2023-01", "99.25"), ("2023-02", "NaN"), ("2023-03", "")]},
               status={"2023-02": "M"})
    df = observations(f)
    assert df[df.INDICATOR == "AIP_ISIC4_IX"][["period", "value"]].values.tolist() == \
        [["2023-01", 100.5], ["2023-02", 101.5], ["2023-03", 102.5]]
    assert df[df.INDICATOR == "AIP_ISIC4_C_IX"][["period", "value"]].values.tolist() == [["2023-01", 99.25]]
    assert set(df.release) == {"2024-11"}                   # the month the message was prepared
    levels = monthly_levels(f)
    assert list(levels) == ["AIP_ISIC4_IX", "AIP_ISIC4_C_IX"] and levels["AIP_ISIC4_IX"].attrs["BASE_PER"] == "2015"


@pytest.mark.parametrize("obs,field,rule", [
    ([("2023-01", "INF")], "Obs TIME_PERIOD=2023-01", "finite_number"),
    ([("2023-01", "NaN")], "Obs TIME_PERIOD=2023-01", "finite_number"),       # NaN without an OBS_STATUS
    ([("2023-01", "abc")], "Obs TIME_PERIOD=2023-01", "finite_number"),
    ([("2023-13", "100")], "Obs TIME_PERIOD=2023-13", "period"),
    ([("2099-01", "100")], "Obs TIME_PERIOD=2099-01", "period"),              # a month that has not happened
    ([("2023-01", "100"), ("2023-01", "101")], "Obs TIME_PERIOD=2023-01", "unique"),
])
def test_reader_refuses_naming_the_element(tmp_path, obs, field, rule):
    f = tmp_path / "bad.xml"
    write_sdmx(f, {"AIP_ISIC4_IX": obs})
    with pytest.raises(ValidationError) as exc:
        observations(f)
    p = exc.value.problems[0]
    assert (p.file, p.rule) == ("bad.xml", rule)
    assert p.field.startswith("Series DATA_DOMAIN=IND, REF_AREA=VN, INDICATOR=AIP_ISIC4_IX") and p.field.endswith(field)


def test_monthly_levels_refuses_other_frequencies(tmp_path):
    f = tmp_path / "q.xml"
    write_sdmx(f, {"AIP_ISIC4_IX": [("2023-Q1", "100")]}, freq="Q")
    with pytest.raises(IIPError, match="series AIP_ISIC4_IX is not a monthly series"):
        monthly_levels(f)


def test_cli_import_sdmx_refuses_whole_file_without_traceback(tmp_path, db):
    f = tmp_path / "bad.xml"
    write_sdmx(f, {"AIP_ISIC4_IX": [("2023-01", "100"), ("2023-02", "INF"), ("2023-02", "101")]})
    r = CliRunner().invoke(app, ["--db", str(db), "import", "sdmx", str(f)])
    assert r.exit_code == 1 and "Traceback" not in r.output
    out = " ".join(r.output.split())
    assert "2 problems in bad.xml" in out and "OBS_VALUE 'INF' is not a finite number" in out
    assert "INDICATOR=AIP_ISIC4_IX" in out and "TIME_PERIOD=2023-02" in out and "appear twice" in out
    assert connect(db).execute("SELECT count(*) FROM published_figures").fetchone()[0] == 0
    junk = tmp_path / "junk.xml"
    junk.write_text("<html/>")
    r = CliRunner().invoke(app, ["--db", str(db), "import", "sdmx", str(junk)])
    assert r.exit_code == 1 and "junk.xml: not a readable SDMX-ML data message" in r.output
    assert "Traceback" not in r.output


def test_import_sdmx_stores_levels(tmp_path, db):
    f = tmp_path / "IIPVNM.xml"
    write_sdmx(f, {"AIP_ISIC4_IX": [("2023-01", "100.5"), ("2023-02", "90.25")], "OTHER_IX": [("2023-01", "5")]})
    con = connect(db)
    assert import_sdmx(con, f) == {"status": "imported", "figures": 2, "skipped": 1}
    assert con.execute("SELECT node, period, value, unit, release FROM published_figures ORDER BY period").fetchall() == \
        [("TOTAL", "2023-01", 100.5, "index 2015=100", "2024-11"), ("TOTAL", "2023-02", 90.25, "index 2015=100", "2024-11")]
    assert import_sdmx(con, f)["status"] == "unchanged"


# ------------------------------------------------------------------------------------------------ consistency
def _sources(step_months: dict[str, float]):
    """A smooth level series (3 years) and GSO's mom/yoy computed from it; the 'SDMX' levels are the same
    series multiplied by step_months[p] from month p on (a splice)."""
    periods = [str(p) for p in pd.period_range("2020-01", "2022-12", freq="M")]
    base = 100 * 1.004 ** np.arange(len(periods)) * (1 + 0.03 * np.sin(np.arange(len(periods))))
    factor = np.ones(len(periods))
    for p, f in step_months.items():
        factor[periods.index(p):] = f
    gso = pd.DataFrame({"period": periods, "L": base})
    gso["mom"] = 100 * gso.L / gso.L.shift(1)
    gso["yoy"] = 100 * gso.L / gso.L.shift(12)
    published = gso.melt(id_vars="period", value_vars=["mom", "yoy"], var_name="measure").dropna().assign(node="TOTAL")
    levels = pd.DataFrame({"node": "TOTAL", "period": periods, "value": base * factor})
    return levels, published


def test_discontinuity_dated_from_the_first_month_of_the_step():
    # the SDMX levels step up over two months: x1.03 from 2021-05 (implied yoy ~3 points above GSO's, below the
    # tolerance), x1.12 from 2021-06 (flagged): the step starts in 2021-05, not in the first flagged month.
    # Implied yoy - GSO yoy = (f_t / f_t-12 - 1) x GSO yoy_t, where f is the SDMX factor.
    levels, published = _sources({"2021-05": 1.03, "2021-06": 1.12})
    cmp = compare_growth(levels, published, tolerance=5.0).set_index("period")
    assert cmp.loc["2021-05", "diff"] == pytest.approx(0.03 * cmp.loc["2021-05", "published_yoy"])
    assert cmp.loc["2021-05", "diff_mom"] == pytest.approx(0.03 * cmp.loc["2021-05", "published_mom"])
    assert not cmp.loc["2021-05", "flagged"] and cmp.loc["2021-06", "flagged"]
    runs = discontinuities(cmp.reset_index(), min_run=3, tolerance=5.0)
    # flagged through 2022-05 (x1.12 / x1.03 = +8.7 %); 2022-06 compares x1.12 with x1.12
    factor = pd.Series(1.12 / 1.0, index=[str(p) for p in pd.period_range("2021-06", "2022-05", freq="M")])
    factor["2022-05"] = 1.12 / 1.03
    expected_mean = float(((factor - 1) * cmp.loc[factor.index, "published_yoy"]).mean())
    assert runs.to_dict("records") == [dict(node="TOTAL", start="2021-05", first_flagged="2021-06", end="2022-05",
                                            months=13, mean_diff=pytest.approx(expected_mean, abs=0.006))]


def test_every_run_listed_and_mom_steps():
    # up 10 % from 2021-03, back down from 2022-03: two runs of opposite sign (implied yoy above GSO's in
    # 2021-03..2022-02, below it in 2022-03..2022-12, when 2022's months are compared with the raised 2021 ones)
    levels, published = _sources({"2021-03": 1.10, "2022-03": 1.0})
    cmp = compare_growth(levels, published, tolerance=5.0)
    runs = discontinuities(cmp, min_run=3, tolerance=5.0)
    assert runs[["start", "first_flagged", "end", "months"]].values.tolist() == [
        ["2021-03", "2021-03", "2022-02", 12], ["2022-03", "2022-03", "2022-12", 10]]
    yoy = cmp.set_index("period")["published_yoy"]
    assert runs.mean_diff.tolist() == pytest.approx([0.1 * yoy["2021-03":"2022-02"].mean(),
                                                     (1 / 1.1 - 1) * yoy["2022-03":"2022-12"].mean()], abs=0.006)
    steps = mom_steps(cmp)
    assert steps.period.tolist() == ["2021-03", "2022-03"]
    assert steps.diff_mom.values == pytest.approx(steps.published_mom.values * np.array([0.1, 1 / 1.1 - 1]))
