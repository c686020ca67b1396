"""Synthetic microdata (iip.synth): formats, keys, stocks, geography, Tet, COVID, determinism, calibration."""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from iip import reference, synth
from iip.synth import calendar as cal
from iip.synth.calibration import published_yoy

COLUMNS = {
    "register.csv": ["enterprise_id", "name", "province", "vsic", "ownership", "active_from", "active_to"],
    "products.csv": ["product_code", "name_vi", "name_en", "unit", "vsic"],
    "weights.csv": ["kind", "code", "province", "base_year", "value"],
    "reports.parquet": ["enterprise_id", "period", "product_code", "produced", "sold", "closing_stock"],
    "employment.parquet": ["enterprise_id", "period", "employees"],
}


def _read(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return pd.read_parquet(path)


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("synth_small")
    steps = []
    paths = synth.write_synthetic(d, scale="small", seed=2020, progress=lambda s, f: steps.append(f))
    assert sorted(p.name for p in paths.values()) == sorted(COLUMNS)
    assert steps[-1] == 1.0 and steps == sorted(steps)
    return d


@pytest.fixture(scope="module")
def data(out) -> dict[str, pd.DataFrame]:
    t = {name: _read(out / name) for name in COLUMNS}
    t["weights.csv"]["value"] = t["weights.csv"]["value"].astype(float)
    t["weights.csv"]["base_year"] = t["weights.csv"]["base_year"].astype(int)
    return t


@pytest.fixture(scope="module")
def rep(data) -> pd.DataFrame:
    reg = data["register.csv"][["enterprise_id", "province", "vsic"]]
    return data["reports.parquet"].merge(reg, on="enterprise_id", how="left")


@pytest.fixture(scope="module")
def truth(data) -> pd.DataFrame:
    """The complete reports, before non-response (what calibration is about)."""
    reg = data["register.csv"][["enterprise_id", "province", "vsic"]]
    full = synth.generate(scale="small", seed=2020).truth.to_pandas()
    return full.merge(reg, on="enterprise_id", how="left")


def test_files_and_columns_exact(out, data):
    for name, cols in COLUMNS.items():
        assert list(data[name].columns) == cols, name
    r = data["reports.parquet"]
    assert r["period"].str.fullmatch(r"\d{4}-\d{2}").all()
    assert r["period"].min() == "2019-01" and r["period"].max() == synth.LAST_CALIBRATED_PERIOD
    assert not r.duplicated(["enterprise_id", "period", "product_code"]).any()
    assert 1400 <= len(data["register.csv"]) <= 1600
    assert (out / "register.csv").read_text(encoding="utf-8").count("Công ty") > 1000


def test_foreign_keys_resolve(data):
    reg, prod, r = data["register.csv"], data["products.csv"], data["reports.parquet"]
    provinces = set(reference.provinces()["code"].astype(str))
    v = reference.vsic()
    classes = set(v.loc[v["level"] == "class", "code"])
    assert set(reg["province"]) == provinces  # every province has industry
    assert set(reg["vsic"]) <= classes and set(prod["vsic"]) <= classes
    assert set(reg["ownership"]) == {"state", "nonstate", "fdi"}
    assert reg["enterprise_id"].is_unique and reg["name"].is_unique
    assert set(r["enterprise_id"]) <= set(reg["enterprise_id"])
    assert set(r["product_code"]) == set(prod["product_code"])
    assert set(prod["product_code"]) <= set(reference.products()["product_code"])
    # each enterprise makes 1-4 products of its own class
    m = r[["enterprise_id", "product_code"]].drop_duplicates().merge(reg, on="enterprise_id")
    m = m.merge(prod[["product_code", "vsic"]], on="product_code", suffixes=("", "_p"))
    assert (m["vsic"] == m["vsic_p"]).all()
    assert m.groupby("enterprise_id").size().between(1, 4).all()


def test_weights_cover_every_reported_cell(data, rep):
    w = data["weights.csv"]
    assert set(w["base_year"]) == {2020} and (w["value"] > 0).all()
    assert not w.duplicated(["kind", "code", "province", "base_year"]).any()
    pw = set(map(tuple, w.loc[w["kind"] == "product", ["code", "province"]].to_numpy()))
    iw = set(map(tuple, w.loc[w["kind"] == "industry", ["code", "province"]].to_numpy()))
    assert set(map(tuple, rep[["product_code", "province"]].drop_duplicates().to_numpy())) == pw
    assert set(map(tuple, rep[["vsic", "province"]].drop_duplicates().to_numpy())) == iw
    # industry weight = value-added ratio x output value, so below the product output of its class
    prod_by_class = (w[w["kind"] == "product"].merge(data["products.csv"], left_on="code", right_on="product_code")
                     .groupby(["vsic", "province"])["value"].sum())
    ind = w[w["kind"] == "industry"].set_index(["code", "province"])["value"]
    ratio = ind / prod_by_class.reindex(ind.index).to_numpy()
    assert ratio.between(0.1, 0.71).all()


def test_quantities_non_negative_and_stock_identity(data):
    r = data["reports.parquet"].sort_values(["enterprise_id", "product_code", "period"])
    for c in ("produced", "sold", "closing_stock"):
        assert r[c].dtype == float and (r[c] >= 0).all() and r[c].notna().all()
    opening = r.groupby(["enterprise_id", "product_code"])["closing_stock"].shift(1)
    first = opening.isna()
    contiguous = pd.PeriodIndex(r["period"], freq="M")
    gap = (contiguous - pd.PeriodIndex(r.groupby(["enterprise_id", "product_code"])["period"].shift(1)
                                       .fillna(r["period"]), freq="M")).map(lambda x: x.n)
    ok = ~first & (gap == 1)
    lhs = r.loc[ok, "closing_stock"]
    rhs = opening[ok] + r.loc[ok, "produced"] - r.loc[ok, "sold"]
    assert np.allclose(lhs, rhs, rtol=1e-9, atol=1e-9)
    assert ok.mean() > 0.95
    # sold tracks produced with noise: national sold/produced close to 1, not identical everywhere
    ratio = r["sold"].sum() / r["produced"].sum()
    assert 0.97 < ratio < 1.03
    assert (r["sold"] != r["produced"]).mean() > 0.5


def _shares(rep, code):
    g = rep[rep["product_code"] == code].groupby("province")["produced"].sum()
    return g / g.sum()


def test_geography(rep, data):
    assert _shares(rep, "COAL").get("22", 0) > 0.85
    assert _shares(rep, "CRUDE_OIL").get("77", 0) == pytest.approx(1.0)
    assert _shares(rep, "MOBILE_PHONES").reindex(["27", "19", "24"]).sum() > 0.85
    assert _shares(rep, "PETROL_OIL").reindex(["38", "51"]).sum() > 0.95
    assert _shares(rep, "CARS").reindex(["49", "26", "37", "31"]).sum() > 0.8
    mekong = ["96", "91", "94", "87", "89", "92", "95", "84", "83", "82", "86", "93", "80"]
    assert _shares(rep, "SEAFOOD_PROCESSED").reindex(mekong).sum() > 0.5
    reg = data["register.csv"]
    for code in ("ELECTRICITY_COMMERCIAL", "TAP_WATER"):
        assert rep.loc[rep["product_code"] == code, "province"].nunique() == 63
    assert reg.loc[reg["vsic"].str[:2] == "10", "province"].nunique() == 63
    own = pd.crosstab(reg["vsic"].str[:2], reg["ownership"], normalize="index")
    assert own.loc["26", "fdi"] > 0.8 and own.loc["35", "state"] > 0.7 and own.loc["05", "state"] > 0.7


def _laspeyres(rep, weights, products, base: int) -> pd.DataFrame:
    """Independent national Laspeyres: product x province relatives to the base-year monthly mean, weighted
    by the product weights; returns one column per division plus TOTAL."""
    q = rep.groupby(["product_code", "province", "period"])["produced"].sum().unstack(fill_value=0.0)
    q0 = q.loc[:, q.columns.str.startswith(str(base))].mean(axis=1)
    rel = q[q0 > 0].div(q0[q0 > 0], axis=0)
    w = weights[(weights["kind"] == "product") & (weights["base_year"] == base)]
    w = w.set_index(["code", "province"])["value"].reindex(rel.index)
    div = rel.index.get_level_values(0).map(products.set_index("product_code")["vsic"].str[:2])
    out = {d: rel[div == d].mul(w[div == d], axis=0).sum() / w[div == d].sum() for d in sorted(set(div))}
    out["TOTAL"] = rel.mul(w, axis=0).sum() / w.sum()
    return pd.DataFrame(out)


def test_tet_month_is_lower(data, truth):
    idx = _laspeyres(truth, data["weights.csv"], data["products.csv"], 2020)["TOTAL"]
    for year in range(2019, int(synth.LAST_CALIBRATED_PERIOD[:4]) + 1):
        # the month holding the middle of the official holiday (Tet + 2 days)
        tet_month = (reference.tet_date(year) + dt.timedelta(days=2)).month
        per_day = {m: idx[f"{year}-{m:02d}"] / pd.Period(f"{year}-{m:02d}").days_in_month for m in (1, 2)}
        other = 3 - tet_month
        assert per_day[tet_month] < 0.95 * per_day[other], (year, per_day)


def test_calendar_model_tet_dip_every_year():
    first, last = "2010-01", "2030-12"
    c = pd.Series(cal.monthly_factors(first, last, "labour"),
                  index=pd.period_range(first, last, freq="M").strftime("%Y-%m"))
    for year in range(2010, 2031):
        tm = (reference.tet_date(year) + dt.timedelta(days=2)).month
        d = {m: c[f"{year}-{m:02d}"] / pd.Period(f"{year}-{m:02d}").days_in_month for m in (1, 2)}
        assert d[tm] < 0.95 * d[3 - tm], year
    assert cal.tet_date(2020) == dt.date(2020, 1, 25)


def test_covid_2021_lockdown_hits_the_south(rep):
    lab = rep[rep["vsic"].str[:2].isin(["13", "14", "15", "16", "31", "32"])]
    south = lab["province"].isin(["79", "74", "75", "80"])
    tot = lab.groupby("period")["produced"].sum()
    # quantities of different products are not additive: compare each product's southern share
    share = lab[south].groupby(["product_code", "period"])["produced"].sum() / \
        lab.groupby(["product_code", "period"])["produced"].sum()
    s = share.unstack()
    drop = (s["2021-08"] / s["2021-05"]).median()
    assert drop < 0.9, drop
    assert tot.notna().all()


def test_calibration_tracks_published_yoy(data, truth):
    pub = published_yoy()
    if pub is None:
        pytest.skip("published national yoy file not in the package")
    idx = _laspeyres(truth, data["weights.csv"], data["products.csv"], 2020)
    yoy = (idx / idx.shift(12)).iloc[12:]
    pairs = pd.concat([yoy.stack().rename("synthetic"), pub.reindex(yoy.index).stack().rename("published")],
                      axis=1).dropna()
    marchdec = pairs[~pairs.index.get_level_values(0).str[5:7].isin(["01", "02"])]
    r_all, r_md = pairs.corr().iloc[0, 1], marchdec.corr().iloc[0, 1]
    print(f"calibration: corr(synthetic, published division yoy) all months {r_all:.3f} "
          f"(n={len(pairs)}), March-December {r_md:.3f}")
    assert r_md > 0.95 and r_all > 0.9
    assert (marchdec["synthetic"] - marchdec["published"]).abs().median() < 0.01


def test_employment(data):
    e, r = data["employment.parquet"], data["reports.parquet"]
    assert (e["employees"] >= 1).all() and e["employees"].dtype.kind == "i"
    assert set(map(tuple, e[["enterprise_id", "period"]].to_numpy())) == \
        set(map(tuple, r[["enterprise_id", "period"]].drop_duplicates().to_numpy()))


def _digest(d: Path) -> dict[str, str]:
    return {n: hashlib.sha256(_read(d / n).to_csv(index=False).encode()).hexdigest() for n in COLUMNS}


def test_deterministic(out, tmp_path):
    synth.write_synthetic(tmp_path / "again", scale="small", seed=2020)
    assert _digest(out) == _digest(tmp_path / "again")
    synth.write_synthetic(tmp_path / "other", scale="small", seed=7)
    assert _digest(out)["reports.parquet"] != _digest(tmp_path / "other")["reports.parquet"]


def test_last_calibrated_period_and_scales():
    pub = published_yoy()
    if pub is not None:
        assert synth.LAST_CALIBRATED_PERIOD == max(pub.index)
    _n, first, last, bases = synth.scale_config("gso")
    assert len(pd.period_range(first, last, freq="M")) == 120 and bases == [2015, 2020]
    with pytest.raises(synth.IIPError):
        synth.scale_config("huge")


def test_closures_nonresponse_and_a_sparse_last_month(data, rep, truth):
    reg = data["register.csv"].set_index("enterprise_id")
    r = data["reports.parquet"]
    closed = reg[reg["active_to"] != ""]
    opened = reg[reg["active_from"] >= "2019-01"]
    assert 50 < len(closed) < 200 and len(opened) > 50
    after = r.merge(closed[["active_to"]], left_on="enterprise_id", right_index=True)
    assert (after["period"] <= after["active_to"]).all()             # nothing reported after closing
    before = r.merge(opened[["active_from"]], left_on="enterprise_id", right_index=True)
    assert (before["period"] >= before["active_from"]).all()
    # non-response: the truth minus what arrived, about NONRESPONSE of enterprise-months, far more in the last month
    ent = lambda df: df[["enterprise_id", "period"]].drop_duplicates()  # noqa: E731
    got, full = ent(r), ent(truth)
    last = synth.LAST_CALIBRATED_PERIOD
    share = got.groupby("period").size() / full.groupby("period").size()
    assert share.drop(last).between(0.95, 1.0).all() and 0.96 < share.drop(last).mean() < 0.995
    assert share[last] == pytest.approx(synth.LAST_MONTH_RESPONSE, abs=0.05)
    kept = truth.merge(r[["enterprise_id", "period", "product_code", "produced"]], how="inner",
                       on=["enterprise_id", "period", "product_code"], suffixes=("", "_got"))
    assert (kept["produced"] == kept["produced_got"]).all()          # what arrived is the truth


def test_the_imputed_headline_stays_close_to_the_truth(tmp_path):
    """Compile the files as received (imputing non-response) and the complete truth: the national TOTAL of the
    latest final month within 1%, the provisional last month within 3%, every earlier month within 1.5%."""
    import pyarrow.parquet as pq

    from iip.compile import compile_store
    from iip.ingest.microdata import ingest_file
    from iip.store import connect

    syn = synth.generate(scale="small", seed=2020)
    paths = synth.write_synthetic(tmp_path / "in", scale="small", seed=2020)
    pq.write_table(syn.truth, tmp_path / "truth.parquet")
    totals = {}
    for name, reports in (("received", paths["reports"]), ("truth", tmp_path / "truth.parquet")):
        con = connect(tmp_path / f"{name}.duckdb")
        for kind in ("register", "products", "weights", "employment"):
            ingest_file(con, kind, paths[kind])
        ingest_file(con, "reports", reports)
        compile_store(con)
        totals[name] = con.execute("""SELECT period, "index" FROM indices_where(indicator_is := 'production',
            area_is := 'VN', node_is := 'TOTAL') ORDER BY period""").df().set_index("period")["index"]
        con.close()
    gap = (totals["received"] / totals["truth"] - 1).abs()
    last = synth.LAST_CALIBRATED_PERIOD
    print(f"imputed vs truth, national TOTAL: last month {100 * gap[last]:.2f}%, latest final "
          f"{100 * gap.iloc[-2]:.2f}%, max before {100 * gap.iloc[:-1].max():.2f}%")
    assert gap.iloc[-2] < 0.01 and gap[last] < 0.03 and gap.iloc[:-1].max() < 0.015
