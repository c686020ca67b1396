"""Verification on the level series rebuilt from GSO's shared workbooks: the Tet regressor is significant,
the adjustment leaves no Tet effect in sa, the raw series has a strong one (docs/seasonal-verification.md)."""
import pytest

from iip.ingest.published import import_gso
from iip.published.run import build_levels
from iip.seasonal.adjust import adjust
from iip.seasonal.verify import janfeb_outliers, read_store_levels
from iip.store import connect

pytestmark = [pytest.mark.shared, pytest.mark.slow]


@pytest.fixture(scope="module")
def store_path(shared_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("gso-sa") / "s.duckdb"
    con = connect(path)
    res = import_gso(con, [shared_dir / "data" / "gso-monthly"])
    assert res and not [r for r in res if r.status == "failed"]
    build_levels(con)
    con.close()            # read_store_levels opens the store read-only
    return path


@pytest.fixture(scope="module")
def total(store_path):
    return read_store_levels(store_path, nodes=("TOTAL",))["TOTAL"]


@pytest.fixture(scope="module")
def adjusted(total):
    # two Tet windows (the one the full search picks on this series, 7/7, and the 10/3 default) + no Tet
    # keep it to 4 x13 runs; the full search is in `python -m iip.seasonal.verify --store`
    return adjust(total, name="TOTAL", candidates=[(7, 7), (10, 3)])


def test_store_series(total):
    """2012-01 .. 2022-12 without gaps, 2020 = 100 (mean of the reference year)."""
    assert len(total) == 132
    assert total["period"].iloc[0] == "2012-01" and total["period"].iloc[-1] == "2022-12"
    y2020 = total[total["period"].str.startswith("2020")]["value"]
    assert y2020.mean() == pytest.approx(100, abs=1e-6)


def test_tet_regressor_significant(adjusted):
    tet = adjusted.report["tet"]
    assert (tet["before_days"], tet["after_days"]) == (7, 7)
    assert max(abs(tet["t_before"]), abs(tet["t_after"])) > 2
    assert tet["after"]["estimate"] < 0          # production falls in the days after Tet


def test_no_tet_left_in_sa(adjusted):
    left = adjusted.report["diagnostics"]["tet_left"]
    assert left["raw"]["p"] < 0.01                # strong Tet effect in the raw series
    assert left["sa"]["p"] > 0.05                 # none left after adjustment


def test_janfeb_outliers_disappear(total, adjusted):
    no_tet = adjust(total, name="TOTAL", tet=False)
    assert len(janfeb_outliers(no_tet.report)) >= 4
    assert len(janfeb_outliers(adjusted.report)) <= 1


def test_section_e_fallback_leaves_no_tet(store_path):
    """Section E (water supply, waste): the automatic model (1 0 0)(0 1 0) over-corrects (Tet effect left in sa
    with the opposite sign); adjust's self-check falls back to the airline model, whose sa passes."""
    e = read_store_levels(store_path, nodes=("E",))["E"]
    res = adjust(e, name="E", candidates=[(7, 10), (10, 3)])     # 7/10 is what the full search picks on E
    fb = res.report["diagnostics"]["fallback"]
    first, kept = fb["tried"][0], fb["tried"][-1]
    assert first["arima"] == "(1 0 0)(0 1 0)" and first["sa_p"] < 0.001 and not first["passed"]
    assert fb["needed"] and fb["passed"] and fb["used"] == "airline" == kept["label"]
    assert res.report["model"]["arima"] == "(0 1 1)(0 1 1)" and res.report["tet"]["after_days"] == 10
    left = res.report["diagnostics"]["tet_left"]
    assert left["sa"]["p"] >= 0.05 and left["raw"]["p"] < 0.01
    assert res.report["diagnostics"]["m_q"]["M7"] < 1
    assert len(res.specs) == 3 + 2                # 2 windows + no Tet, automatic run, airline run
