"""Seasonal adjustment of one monthly series with X-13ARIMA-SEATS and a Tet holiday regressor.

``adjust(df)`` (columns period 'YYYY-MM', value) -> :class:`SAResult` with the decomposition
(value = sa x seasonal x calendar, factors), the forecasts, the report (model, Tet window, outliers,
diagnostics) and the spec text. Method page: docs/methods/seasonal.md.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from iip.errors import IIPError
from iip.seasonal import regressors as reg
from iip.seasonal.compare import tet_effect_test
from iip.seasonal.report import build_report
from iip.seasonal.spec import SpecOptions, build_spec
from iip.seasonal.x13 import X13Error, X13Output, run_x13

BEFORE = (7, 10, 15, 20)
AFTER = (3, 7, 10, 15)
MIN_YEARS = 3
SELECTION_MODEL = "(0 1 1)(0 1 1)"
COLUMNS = ["period", "value", "sa", "trend", "seasonal", "calendar", "tet", "workdays", "irregular"]


class SeriesError(IIPError):
    """A series that cannot be adjusted (too short, gaps, non-positive values under a log)."""


@dataclass
class SAResult:
    """One adjustment: ``series`` (COLUMNS), ``forecast`` (period, forecast, lower, upper, se_log),
    ``report`` (JSON-able dict), the final ``spec`` and every spec run (``specs``, selection included)."""
    name: str
    series: pd.DataFrame
    forecast: pd.DataFrame
    report: dict
    spec: str
    specs: list[str] = field(default_factory=list)


def validate_series(df: pd.DataFrame, *, name: str, transform: str = "auto") -> pd.Series:
    """Check a (period, value) frame and return the values on a monthly PeriodIndex.

    Rules: both columns present; periods 'YYYY-MM', unique, consecutive (no gaps); values present;
    at least ``MIN_YEARS`` x 12 months; all values > 0 unless ``transform='none'``.
    """
    missing = {"period", "value"} - set(df.columns)
    if missing:
        raise SeriesError(f"series {name}: missing column(s) {', '.join(sorted(missing))}")
    try:
        idx = pd.PeriodIndex(df["period"].astype(str), freq="M")
    except (ValueError, TypeError) as exc:
        raise SeriesError(f"series {name}: period must be YYYY-MM ({exc})") from None
    s = pd.Series(pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype=float), index=idx).sort_index()
    if s.index.has_duplicates:
        raise SeriesError(f"series {name}: duplicate period {s.index[s.index.duplicated()][0]}")
    if s.isna().any():
        raise SeriesError(f"series {name}: missing value in period {s.index[s.isna().to_numpy()][0]}")
    full = pd.period_range(s.index[0], s.index[-1], freq="M") if len(s) else s.index
    if len(full) != len(s):
        gap = full.difference(s.index)[0]
        raise SeriesError(f"series {name}: gap in the series, period {gap} is missing")
    if len(s) < MIN_YEARS * 12:
        raise SeriesError(f"series {name}: too short to adjust ({len(s)} months; at least {MIN_YEARS * 12} needed)")
    if transform != "none" and (s <= 0).any():
        bad = s.index[(s <= 0).to_numpy()][0]
        raise SeriesError(f"series {name}: non-positive value {s[bad]:g} in {bad} cannot be logged; "
                          "use transform 'none' for such a series")
    return s


def _regressors(s: pd.Series, before: int | None, after: int | None, maxlead: int) -> pd.DataFrame:
    end = s.index[-1] + max(maxlead, 0) + 12     # >= 12 months past the data and the forecasts
    return reg.regressor_frame(s.index[0], s.index[-1], end, before=before, after=after)


def _spec(s: pd.Series, name: str, before: int | None, after: int | None, options: SpecOptions) -> str:
    return build_spec(s.to_numpy(), s.index[0], _regressors(s, before, after, options.maxlead),
                      title=name, options=options)


def window_candidates(before: tuple[int, ...] = BEFORE, after: tuple[int, ...] = AFTER) -> list[tuple[int, int]]:
    """Every (days before Tet, days from Tet) pair to try."""
    return list(itertools.product(before, after))


def select_window(s: pd.Series, *, name: str, options: SpecOptions, candidates: list[tuple[int, int]],
                  x13path=None, timeout: float = 120.0) -> tuple[dict, list[str]]:
    """Fit each Tet window (and no Tet) with the airline model, outliers on; pick the smallest AICc.

    Returns ({"chosen": (b, a), "aicc": {"b/a": aicc, ..., "none": aicc}, "none_outliers": [...]}, specs).
    """
    sel = replace(options, model=SELECTION_MODEL, x11=False, maxlead=0, diagnostics=False)
    aicc: dict[str, float] = {}
    specs: list[str] = []
    none_outliers: list[str] = []
    for cand in [*candidates, None]:
        b, a = cand if cand else (None, None)
        spec = _spec(s, name, b, a, sel)
        specs.append(spec)
        try:
            out = run_x13(spec, name=name, x13path=x13path, timeout=timeout)
        except X13Error:
            continue  # a candidate that does not estimate is simply not chosen
        key = f"{b}/{a}" if cand else "none"
        aicc[key] = float(out.udg.get("aicc", "nan"))
        if cand is None:
            none_outliers = [k.split("$", 1)[1] for k in out.udg if k.startswith("AutoOutlier$")]
    tried = {k: v for k, v in aicc.items() if k != "none" and np.isfinite(v)}
    if not tried:
        raise X13Error(f"x13as failed on series {name} for every Tet window", spec=specs[0])
    best = min(tried, key=tried.get)
    chosen = tuple(int(x) for x in best.split("/"))
    return {"chosen": chosen, "aicc": aicc, "none_outliers": none_outliers}, specs


def _factor(value: pd.Series, component: pd.Series, multiplicative: bool) -> pd.Series:
    """Component as a factor: X-13's saved factor as is (log mode, ratio form), or value / (value - component)
    (additive mode), so that value = factor x (value without the component)."""
    if multiplicative:
        return component
    return value / (value - component)


def decompose(s: pd.Series, out: X13Output, *, multiplicative: bool) -> pd.DataFrame:
    """Saved tables -> COLUMNS. value = sa * seasonal * calendar (exactly, additive mode included):
    calendar = d18 factor, seasonal = (value / calendar) / sa; tet = holiday factor; workdays = td factor;
    irregular = sa / trend."""
    t = out.tables
    idx = s.index
    zero = pd.Series(1.0 if multiplicative else 0.0, index=idx)

    def get(name: str) -> pd.Series:
        tab = t.get(name)
        return tab.iloc[:, 0].reindex(idx) if tab is not None else zero

    sa = get("d11")
    calendar = _factor(s, get("d18"), multiplicative)
    frame = pd.DataFrame({
        "period": idx.astype(str), "value": s.to_numpy(), "sa": sa.to_numpy(), "trend": get("d12").to_numpy(),
        "seasonal": ((s / calendar) / sa).to_numpy(), "calendar": calendar.to_numpy(),
        "tet": _factor(s, get("hol"), multiplicative).to_numpy(),
        "workdays": _factor(s, get("td"), multiplicative).to_numpy(),
        "irregular": (sa / get("d12")).to_numpy(),
    })
    return frame[COLUMNS]


def forecasts(out: X13Output, *, probability: float = 0.95) -> pd.DataFrame:
    """The fct table -> period, forecast, lower, upper and se_log = (log upper - log lower) / (2 z)."""
    from scipy.stats import norm
    tab = out.tables.get("fct")
    if tab is None or tab.empty:
        return pd.DataFrame(columns=["period", "forecast", "lower", "upper", "se_log"])
    z = norm.ppf(0.5 + probability / 2)
    fc = pd.DataFrame({"period": tab.index.astype(str), "forecast": tab["forecast"].to_numpy(),
                       "lower": tab["lowerci"].to_numpy(), "upper": tab["upperci"].to_numpy()})
    with np.errstate(divide="ignore", invalid="ignore"):
        fc["se_log"] = (np.log(fc["upper"]) - np.log(fc["lower"])) / (2 * z)
    return fc


def tet_left(series: pd.DataFrame, *, before: int, after: int) -> dict:
    """Tet effect in the raw series (log-changes on the Tet regressors + month dummies) and left in sa
    (log-changes of sa on the Tet regressors): F-tests from ``compare.tet_effect_test``."""
    idx = pd.PeriodIndex(series["period"], freq="M")
    tet = reg.regressor_frame(idx[0], idx[-1], idx[-1], before=before, after=after, workdays=False)
    raw = pd.Series(series["value"].to_numpy(float), index=idx)
    sa = pd.Series(series["sa"].to_numpy(float), index=idx)
    return {"raw": tet_effect_test(raw, tet, seasonal_dummies=True),
            "sa": tet_effect_test(sa, tet, seasonal_dummies=False)}


def adjust(df: pd.DataFrame, *, name: str = "series", transform: str = "auto", maxlead: int = 24,
           candidates: list[tuple[int, int]] | None = None, tet: bool = True, x13path=None,
           timeout: float = 120.0, spec_only: bool = False) -> SAResult | str:
    """Seasonally adjust one series; ``spec_only`` returns the final spec text (default window 10/3) unrun.

    Steps: validate; choose the Tet window by AICc (``select_window``); run the full model
    (transform ``transform``, automdl, AO/LS/TC outliers, working days, leap year, X-11, forecasts).
    ``tet=False`` leaves the Tet regressor out (for comparisons only: the Tet effect then stays in sa).
    """
    s = validate_series(df, name=name, transform=transform)
    options = SpecOptions(transform=transform, maxlead=maxlead)
    if spec_only:
        return _spec(s, name, 10, 3, options) if tet else _spec(s, name, None, None, options)
    if tet:
        selection, specs = select_window(s, name=name, options=options, timeout=timeout, x13path=x13path,
                                         candidates=candidates or window_candidates())
        b, a = selection["chosen"]
    else:
        selection, specs, (b, a) = {"chosen": (None, None), "aicc": {}}, [], (None, None)
    spec = _spec(s, name, b, a, options)
    specs.append(spec)
    out = run_x13(spec, name=name, x13path=x13path, timeout=timeout)
    multiplicative = out.udg.get("finmode", "").startswith("mult")
    series = decompose(s, out, multiplicative=multiplicative)
    report = build_report(out, selection=selection, multiplicative=multiplicative, name=name)
    if tet:
        report["diagnostics"]["tet_left"] = tet_left(series, before=b, after=a)
    return SAResult(name=name, series=series, forecast=forecasts(out), report=report, spec=spec, specs=specs)
