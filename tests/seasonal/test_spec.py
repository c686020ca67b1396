"""Layer 1: spec text, regressors, parsing of saved outputs, pure helpers. No x13as binary needed."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from iip.errors import MethodError, ValidationError
from iip.seasonal import regressors as reg
from iip.seasonal.adjust import SeriesError, adjust, validate_series
from iip.seasonal.io import read_series_csv
from iip.seasonal.report import build_report, outlier_period
from iip.seasonal.spec import SpecOptions, build_spec, regression_block, series_block
from iip.seasonal.x13 import X13Error, X13Output, find_x13, parse_chi2, parse_err, parse_table, parse_udg


def test_tet_dates_from_holidays_vn():
    assert reg.tet_date(2023) == dt.date(2023, 1, 22)
    assert reg.tet_date(2024) == dt.date(2024, 2, 10)
    assert reg.tet_date(2021) == dt.date(2021, 2, 12)


def test_tet_window_shares_2024():
    # Tet 2024 = 10 Feb. 10 days before: 31 Jan .. 9 Feb -> Jan 1/10, Feb 9/10; 7 days from Tet: 10..16 Feb.
    w = reg.tet_window_shares("2024-01", "2024-03", before=10, after=7)
    assert w.loc[pd.Period("2024-01"), "tet_before"] == pytest.approx(0.1)
    assert w.loc[pd.Period("2024-02"), "tet_before"] == pytest.approx(0.9)
    assert w["tet_after"].tolist() == pytest.approx([0.0, 1.0, 0.0])
    # Tet 2023 = 22 Jan: 15 days before all in January, 15 from Tet: 22..31 Jan (10) + 1..5 Feb (5)
    w = reg.tet_window_shares("2023-01", "2023-02", before=15, after=15)
    assert w["tet_before"].tolist() == pytest.approx([1.0, 0.0])
    assert w["tet_after"].tolist() == pytest.approx([10 / 15, 5 / 15])


def test_centred_regressors_have_zero_mean_by_month():
    f = reg.regressor_frame("2015-01", "2022-12", "2024-12", before=10, after=7)
    sample = f.loc[: pd.Period("2022-12")]
    means = sample.groupby(sample.index.month).mean()
    assert np.abs(means.to_numpy()).max() < 1e-12
    assert f.index[-1] == pd.Period("2024-12")


def test_working_days():
    wd = reg.working_days("2024-01", "2024-09")
    # Jan 2024: 23 weekdays - New Year (Mon 1 Jan) = 22; Feb 2024: 21 weekdays, Tet days are NOT subtracted
    assert wd[pd.Period("2024-01")] == 22
    assert wd[pd.Period("2024-02")] == 21
    # Sep 2024: 21 weekdays - National Day 2 and 3 Sep (Mon, Tue) = 19
    assert wd[pd.Period("2024-09")] == 19
    with_tet = reg.working_days("2024-02", "2024-02", exclude_tet=False)
    assert with_tet.iloc[0] == 21 - 5            # 8, 9, 12, 13, 14 Feb are weekday holidays


def _series(n=48, start="2018-01", value=100.0):
    return pd.DataFrame({"period": pd.period_range(start, periods=n, freq="M").astype(str),
                         "value": np.full(n, value) + np.arange(n)})


def test_spec_text_is_x13_readable():
    df = _series()
    spec = adjust(df, name="test/1", spec_only=True)
    assert "start=2018.01" in spec and "period=12" in spec
    assert "usertype=(holiday holiday td)" in spec
    assert "variables=(lpyear)" in spec
    assert "transform{ function=auto }" in spec and "automdl{ }" in spec
    assert "outlier{ types=(ao ls tc) }" in spec
    assert "save=(d8 d10 d11 d12 d13 d16 d18)" in spec and "save=(fct)" in spec
    assert max(len(line) for line in spec.splitlines()) <= 132
    # regressors run from the data start to 24 (forecasts) + 12 months past the data end
    block = spec.split("regression{")[1].split("data=(")[1].split(")")[0]
    assert len(block.strip().splitlines()) == 48 + 24 + 12


def test_series_block_and_regression_block():
    text = series_block([1.5, 2, 3], pd.Period("2020-03", "M"), title='a "quoted" title')
    assert 'title="a _quoted_ title"' in text and "start=2020.03" in text and "1.5 2 3" in text
    r = pd.DataFrame({"a": [0.5, -0.5]}, index=pd.period_range("2020-01", periods=2, freq="M"))
    text = regression_block(r, usertypes=["holiday"], variables=(), save=())
    assert "user=(a)" in text and "usertype=(holiday)" in text and "start=2020.01" in text
    assert "0.5\n    -0.5" in text
    with pytest.raises(MethodError, match="one X-13 usertype per regressor column: 2 types for 1 columns"):
        regression_block(r, usertypes=["holiday", "td"])


def test_selection_spec_has_no_x11():
    spec = build_spec([1.0] * 40, pd.Period("2019-01", "M"), pd.DataFrame(index=pd.period_range(
        "2019-01", periods=52, freq="M")), title="t", options=SpecOptions(model="(0 1 1)(0 1 1)", x11=False, maxlead=0))
    assert "x11{" not in spec and "forecast{" not in spec and "arima{ model=(0 1 1)(0 1 1) }" in spec


@pytest.mark.parametrize("df,msg", [
    (_series(n=30), "too short"),
    (_series().drop(index=5), "gap in the series, period 2018-06"),
    (_series().assign(value=lambda d: d.value.where(d.index != 3, -1.0)), "non-positive value -1 in 2018-04"),
    (pd.concat([_series(), _series().iloc[[2]]]), "duplicate period 2018-03"),
    (_series().assign(value=lambda d: d.value.where(d.index != 7)), "missing value in period 2018-08"),
])
def test_bad_series_are_refused(df, msg):
    with pytest.raises(SeriesError, match=msg):
        validate_series(df, name="x")


def test_non_positive_values_allowed_without_log():
    df = _series().assign(value=lambda d: d.value - 120)
    assert len(validate_series(df, name="x", transform="none")) == 48


def test_read_series_csv_names_rows(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("period,value\n2020-01,100\n2020-13,101\n2020-02,abc\n2020-01,3\n")
    with pytest.raises(ValidationError) as e:
        read_series_csv(p)
    rows = [(q.row, q.field) for q in e.value.problems]
    assert rows == [(3, "period"), (4, "value"), (5, "period")]


def test_find_x13_with_bad_override(monkeypatch, tmp_path):
    monkeypatch.setenv("X13PATH", str(tmp_path / "nowhere"))
    with pytest.raises(X13Error, match="X13PATH"):
        find_x13()
    b = tmp_path / "x13as"
    b.write_text("#!/bin/sh\n")
    b.chmod(0o755)
    assert find_x13(tmp_path) == b


TABLE = """date\ts.hol
------\t-----------------------
202301\t+0.933790000000000E+00
202302\t+0.107090000000000E+01
"""
ERR = """     Error messages generated from processing the X-13ARIMA-SEATS spec file
     s.spc:


 Line    1:  series{ data=(1 2
             ^
 ERROR:  Expected an real number not ""

 WARNING: At least one visually significant trading day peak has been
          found in the estimated spectrum of the regARIMA residuals.

 NOTE: Not enough data to perform sliding spans analysis.
"""
UDG = """arimamdl: (0 1 1)(0 1 1)
finmode: multiplicative
aictrans: Log(y)
aicc:     453.4277
User-defined Holiday$tet_before: -0.374406343826283E-01 +0.681294738880937E-02 -0.549551203699687E+01
User-defined Holiday$tet_after: -0.848958017869510E-01 +0.702775561354957E-02 -0.120800731350520E+02
AutoOutlier$LS2023.Jan: -0.122500144837201E+00 +0.211320194782923E-01 -0.579689721387199E+01
chi$User-defined Holiday: 2  0.506188399671846E+03  0.000000000000000E+00
f3.m01:  0.114
f3.q:  0.19
qssadj:         0.03616    0.98208
d11.f:        0.25171      99.22888
"""
OUT = """ Chi-squared Tests for Groups of Regressors
 ------------------------------------------------------------------------------
 Regression Effect                  df      Chi-Square      P-Value
 ------------------------------------------------------------------------------
 User-defined Holiday                2          327.31         0.00
 ------------------------------------------------------------------------------
"""


def test_parse_saved_outputs():
    t = parse_table(TABLE)
    assert list(t.index.astype(str)) == ["2023-01", "2023-02"] and t["hol"].iloc[1] == pytest.approx(1.0709)
    errors, warnings, notes = parse_err(ERR)
    assert errors == ['Expected an real number not "" [Line 1: series{ data=(1 2 ^]']
    assert warnings[0].startswith("At least one visually significant trading day peak")
    assert notes == ["Not enough data to perform sliding spans analysis."]
    assert parse_chi2(OUT) == {"User-defined Holiday": {"df": 2, "chi2": 327.31, "p": 0.0}}
    udg = parse_udg(UDG)
    assert udg["aicc"] == "453.4277"


def test_report_from_udg():
    out = X13Output(udg=parse_udg(UDG), out=OUT)
    rep = build_report(out, selection={"chosen": (10, 7), "aicc": {"10/7": 453.4}}, multiplicative=True, name="x")
    assert rep["model"]["arima"] == "(0 1 1)(0 1 1)" and rep["model"]["transform"] == "log"
    assert rep["tet"]["before_days"] == 10 and rep["tet"]["t_after"] == pytest.approx(-12.0800731350520)
    assert rep["tet"]["joint_chi2"]["chi2"] == pytest.approx(327.31)
    assert rep["outliers"] == [{"type": "LS", "label": "LS2023.Jan", "period": "2023-01",
                                "estimate": pytest.approx(-0.1225001448), "t": pytest.approx(-5.796897214)}]
    d = rep["diagnostics"]
    assert d["m_q"]["M1"] == 0.114 and d["m_q"]["Q"] == 0.19
    assert d["qs"]["qssadj"] == {"stat": 0.03616, "p": 0.98208}
    assert d["f_tests"]["F_residual_d11"]["p"] == pytest.approx(99.22888)
    assert outlier_period("AO2017.Dec") == "2017-12"


def test_batch_records_x13_failure_and_goes_on(tmp_path):
    from iip.seasonal.batch import adjust_many

    fake = tmp_path / "x13as"
    fake.write_text("#!/bin/sh\necho ' ERROR: simulated failure'\nexit 3\n")
    fake.chmod(0o755)
    items = [(("compiled", "production", "VN", "TOTAL"), _series()),
             (("compiled", "production", "01", "TOTAL"), _series(n=12))]
    out = adjust_many(items, options={"x13path": str(fake), "candidates": [(10, 7)]}, workers=1)
    assert [o.status for o in out] == ["failed", "skipped"]
    assert "production/VN/TOTAL" in out[0].message and out[0].spec.startswith("series{")
