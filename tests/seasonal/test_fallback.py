"""The self-check of ``adjust``: when the Tet effect is left in sa, fallback specifications in a fixed order.

Control flow with fake runs (no binary), then one numeric run with x13as."""
from __future__ import annotations

import importlib

import pandas as pd
import pytest

from iip.seasonal.spec import SpecOptions
from iip.seasonal.x13 import X13Error

A = importlib.import_module("iip.seasonal.adjust")   # the module (iip.seasonal.adjust is also the function)

AIRLINE = "(0 1 1)(0 1 1)"


def fake_fit(label, window, sa_p, raw_p=0.001, *, arima="(1 0 0)(0 1 0)", transform="log", options=None):
    report = {"model": {"arima": arima, "transform": transform},
              "diagnostics": {"tet_left": {"sa": {"p": sa_p}, "raw": {"p": raw_p}}},
              "messages": {"warnings": [], "notes": []}}
    return A.Fit(label, window, options or SpecOptions(), f"spec {label}", series=pd.DataFrame(),
                 forecast=pd.DataFrame(), report=report)


def runner(results: dict):
    """A fake fit: returns the prepared result for a step (an exception instance is raised); logs the calls."""
    calls = []

    def fit(step):
        calls.append(step.label)
        res = results[step.label]
        if isinstance(res, Exception):
            raise res
        sa_p, raw_p = res
        return fake_fit(step.label, step.window, sa_p, raw_p, arima=step.options.model or "auto",
                        transform=step.options.transform, options=step.options)
    return fit, calls


AICC = {"7/10": 343.59, "10/10": 343.64, "15/10": 343.87, "20/10": 344.23, "10/3": 344.89, "15/3": 344.89,
        "7/7": 400.3, "none": 340.7}


def steps_for(first, transform="auto"):
    return A.fallback_steps(first, AICC, options=SpecOptions(transform=transform))


def test_next_windows_by_aicc_skipping_ties():
    assert A.next_windows(AICC, exclude=(7, 10)) == [(10, 10), (15, 10), (20, 10)]
    # 15/3 has the AICc of 10/3 (proportional shares: identical fit) and is skipped
    assert A.next_windows(AICC, exclude=(7, 10), n=5) == [(10, 10), (15, 10), (20, 10), (10, 3), (7, 7)]
    assert A.next_windows({"7/7": float("nan"), "10/3": 1.0, "none": 0.5}, exclude=(10, 3)) == []


def test_fallback_order():
    first = fake_fit("automatic", (7, 10), 3e-4)
    steps = steps_for(first)
    assert [s.label for s in steps] == ["airline", "window 10/10", "window 15/10", "window 20/10", "transform none"]
    assert [s.window for s in steps] == [(7, 10), (10, 10), (15, 10), (20, 10), (7, 10)]
    assert all(s.options.model == AIRLINE for s in steps)
    assert [s.options.transform for s in steps] == ["auto"] * 4 + ["none"]
    # a level first fit switches to log; an explicit transform is respected (no switch step)
    assert steps_for(fake_fit("automatic", (7, 10), 3e-4, transform="none"))[-1].options.transform == "log"
    assert [s.label for s in steps_for(first, "log")][-1] == "window 20/10"
    # log is not offered for a series with non-positive values
    no_log = A.fallback_steps(fake_fit("automatic", (7, 10), 3e-4, transform="none"), AICC,
                              options=SpecOptions(transform="auto"), positive=False)
    assert no_log[-1].label == "window 20/10"


def test_first_fit_passes_no_extra_run():
    first = fake_fit("automatic", (7, 10), 0.30)
    fit, calls = runner({})
    kept, tried, info = A.self_check(first, steps_for(first), fit)
    assert kept is first and tried == [first] and calls == []
    assert info == {"needed": False, "alpha": 0.05, "sa_p": 0.30}


def test_first_passing_fallback_is_kept():
    first = fake_fit("automatic", (7, 10), 3e-4)
    fit, calls = runner({"airline": (0.01, 0.007), "window 10/10": (0.20, 0.2),   # raw lost the Tet effect
                         "window 15/10": X13Error("x13as stopped"), "window 20/10": (0.09, 0.006),
                         "transform none": (0.5, 0.001)})
    kept, _tried, info = A.self_check(first, steps_for(first), fit)
    assert calls == ["airline", "window 10/10", "window 15/10", "window 20/10"]     # stops at the first pass
    assert kept.label == "window 20/10" and kept.window == (20, 10)
    assert info["needed"] and info["passed"] and info["used"] == "window 20/10"
    assert [r["passed"] for r in info["tried"]] == [False, False, False, False, True]
    assert info["tried"][3]["error"] == "x13as stopped" and info["tried"][0]["arima"] == "(1 0 0)(0 1 0)"
    assert "p = 0.0003 < 0.05" in info["reason"] and "0.09" in info["note"]


def test_none_passes_keeps_largest_p_and_says_so():
    first = fake_fit("automatic", (7, 10), 3e-4)
    fit, calls = runner({"airline": (0.02, 0.007), "window 10/10": (0.04, 0.007), "window 15/10": (0.03, 0.007),
                         "window 20/10": (0.001, 0.007), "transform none": (0.2, 0.3)})
    kept, tried, info = A.self_check(first, steps_for(first), fit)
    assert len(calls) == 5 and len(tried) == 6
    # transform none has the largest sa p but its raw series lost the Tet effect: it does not pass, yet it is
    # the largest p, so it is kept, and the report says that nothing passed
    assert kept.label == "transform none" and not info["passed"]
    assert "no specification passed" in info["note"]


def test_adjust_wiring(monkeypatch):
    """adjust without x13as: selection and full runs faked; normal path = one full run, fallback path
    reported with every spec kept and a warning when nothing passes."""
    periods = pd.period_range("2015-01", "2019-12", freq="M").astype(str)
    df = pd.DataFrame({"period": periods, "value": 100.0})
    sel = {"chosen": (7, 10), "aicc": AICC}
    monkeypatch.setattr(A, "select_window", lambda s, **kw: (dict(sel), ["sel1", "sel2"]))
    for first_p, expect_runs in ((0.3, 1), (3e-4, 6)):
        calls: list[str] = []

        def full_fit(s, *, window, options, label="automatic", calls=calls, first_p=first_p, **kw):
            calls.append(label)
            return fake_fit(label, window, first_p if label == "automatic" else 0.01, options=options)
        monkeypatch.setattr(A, "full_fit", full_fit)
        res = A.adjust(df, name="x")
        assert len(calls) == expect_runs
        assert res.specs == ["sel1", "sel2"] + [f"spec {c}" for c in calls]
        fb = res.report["diagnostics"]["fallback"]
        assert fb["needed"] is (first_p < 0.05)
        if fb["needed"]:
            assert not fb["passed"] and res.report["messages"]["warnings"][-1].startswith("series x: no spec")


@pytest.fixture(scope="module")
def forced(synthetic):
    """The synthetic series (conftest) adjusted with alpha = 1: every sa 'has the Tet effect left',
    so every fallback runs with the binary and none passes."""
    return A.adjust(synthetic[0], name="synthetic", candidates=[(10, 7), (20, 3)], alpha=1.0)


def test_fallbacks_with_binary(forced):
    fb = forced.report["diagnostics"]["fallback"]
    assert fb["order"] == ["airline", "window 20/3", "transform none"]
    rows = {r["label"]: r for r in fb["tried"]}
    assert rows["airline"]["arima"] == AIRLINE and rows["transform none"]["transform"] == "none"
    assert rows["window 20/3"]["window"] == "20/3"
    assert not fb["passed"] and len(forced.specs) == 3 + 4
    # kept = the largest sa p, and its figures are the ones of the kept decomposition
    best = max(fb["tried"], key=lambda r: r["sa_p"])
    assert fb["used"] == best["label"]
    b, a = (int(x) for x in best["window"].split("/"))
    assert (forced.report["tet"]["before_days"], forced.report["tet"]["after_days"]) == (b, a)
    again = A.tet_left(forced.series, before=b, after=a)
    assert again["sa"]["p"] == pytest.approx(best["sa_p"])
    assert forced.spec == forced.specs[3 + [r["label"] for r in fb["tried"]].index(best["label"])]
    s = forced.series
    assert (s["sa"] * s["seasonal"] * s["calendar"]).to_numpy() == pytest.approx(s["value"].to_numpy(), rel=1e-9)


def test_fixed_log_transform_is_multiplicative(synthetic):
    """transform=log: X-13 writes no finmode, only samode; the run must still be decomposed as ratios."""
    s = A.validate_series(synthetic[0], name="synthetic")
    fit = A.full_fit(s, name="synthetic", window=(10, 7), options=SpecOptions(transform="log"),
                     selection={"aicc": {}})
    assert fit.report["model"]["transform"] == "log"
    assert fit.report["model"]["mode"].startswith("multiplicative")
    tet = fit.series["tet"]
    assert tet.between(0.6, 1.4).all() and tet.min() < 0.9          # ratios: -25% in Tet months
    d = fit.series
    assert (d["sa"] * d["seasonal"] * d["calendar"]).to_numpy() == pytest.approx(d["value"].to_numpy(), rel=1e-9)
