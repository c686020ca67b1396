"""Seasonal adjustment of one monthly series with X-13ARIMA-SEATS and a Tet holiday regressor.

``adjust(df)`` (columns period 'YYYY-MM', value) -> :class:`SAResult` with the decomposition
(value = sa x seasonal x calendar, factors), the forecasts, the report (model, Tet window, outliers,
diagnostics) and the spec text. ``adjust`` checks itself: when the Tet effect is left in sa it re-runs with
the fallbacks of :func:`fallback_steps` (report ``diagnostics.fallback``). Method page: docs/methods/seasonal.md.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
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
FALLBACK_MODEL = SELECTION_MODEL   # the airline model
ALPHA = 0.05                       # Tet-left test level: sa p < ALPHA = Tet effect left
NEXT_WINDOWS = 3                   # next-best Tet windows (by AICc) tried as fallbacks
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
    best = min(tried, key=tried.__getitem__)
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


def _multiplicative(udg: dict[str, str]) -> bool:
    """Log (multiplicative) mode: X-13 writes ``finmode`` under transform auto, only ``samode`` under a fixed
    transform (``transform=log`` gives 'multiplicative seasonal adjustment')."""
    return (udg.get("finmode") or udg.get("samode", "")).startswith("mult")


@dataclass
class Fit:
    """One full run (or a failed one: ``error`` set, no series/report)."""
    label: str
    window: tuple[int | None, int | None]
    options: SpecOptions
    spec: str
    series: pd.DataFrame | None = None
    forecast: pd.DataFrame | None = None
    report: dict | None = None
    error: str | None = None

    def p(self, which: str) -> float:
        """p of the Tet-left test on ``which`` ('sa' or 'raw'); NaN when the run failed or has no test."""
        left = ((self.report or {}).get("diagnostics") or {}).get("tet_left")
        return float(left[which]["p"]) if left else float("nan")


@dataclass(frozen=True)
class Step:
    """One fallback specification: Tet window and spec options, and why it is tried."""
    label: str
    reason: str
    window: tuple[int | None, int | None]
    options: SpecOptions


def full_fit(s: pd.Series, *, name: str, window: tuple[int | None, int | None], options: SpecOptions,
             selection: dict, label: str = "automatic", tet: bool = True, x13path=None,
             timeout: float = 120.0) -> Fit:
    """One full X-13 run: decomposition, forecasts, report and (``tet``) the Tet-left test."""
    b, a = window
    spec = _spec(s, name, b, a, options)
    out = run_x13(spec, name=name, x13path=x13path, timeout=timeout)
    multiplicative = _multiplicative(out.udg)
    series = decompose(s, out, multiplicative=multiplicative)
    report = build_report(out, selection={**selection, "chosen": window}, multiplicative=multiplicative,
                          name=name)
    if tet:
        assert b is not None and a is not None      # a Tet window is chosen whenever tet is
        report["diagnostics"]["tet_left"] = tet_left(series, before=b, after=a)
    return Fit(label, window, options, spec, series, forecasts(out), report)


def next_windows(aicc: dict[str, float], *, exclude: tuple[int | None, int | None], n: int = NEXT_WINDOWS) -> list[tuple[int, int]]:
    """The ``n`` Tet windows with the smallest AICc after ``exclude``; a window whose AICc equals (to 1e-4) one
    already kept or the excluded one's fits identically (proportional shares) and is skipped."""
    ex = f"{exclude[0]}/{exclude[1]}"
    seen = [aicc[ex]] if ex in aicc and np.isfinite(aicc[ex]) else []
    out: list[tuple[int, int]] = []
    for key, v in sorted(((k, v) for k, v in aicc.items() if k not in ("none", ex) and np.isfinite(v)),
                         key=lambda kv: kv[1]):
        if len(out) == n:
            break
        if any(abs(v - w) < 1e-4 for w in seen):
            continue
        seen.append(v)
        before, after = key.split("/")
        out.append((int(before), int(after)))
    return out


def fallback_steps(first: Fit, aicc: dict[str, float], *, options: SpecOptions, positive: bool = True,
                   n_windows: int = NEXT_WINDOWS) -> list[Step]:
    """The fallbacks in order: (1) the airline model, same window; (2) the next-best windows by AICc, airline;
    (3) under ``transform='auto'`` only, the other transform (log <-> none; log needs ``positive`` values),
    airline, first window. An explicit transform is respected (no step 3)."""
    airline = replace(options, model=FALLBACK_MODEL)
    w = first.window
    steps = [Step("airline", f"airline model {FALLBACK_MODEL} instead of the automatic model, window {w[0]}/{w[1]}",
                  w, airline)]
    for b, a in next_windows(aicc, exclude=w, n=n_windows):
        steps.append(Step(f"window {b}/{a}", f"next-best Tet window by AICc ({aicc[f'{b}/{a}']:.2f}), airline model",
                          (b, a), airline))
    if options.transform == "auto":
        other = "none" if (first.report or {}).get("model", {}).get("transform") == "log" else "log"
        if other == "none" or positive:
            steps.append(Step(f"transform {other}", f"transform {other} instead of the automatic choice, airline "
                              f"model, window {w[0]}/{w[1]}", w, replace(airline, transform=other)))
    return steps


def _passes(f: Fit, alpha: float) -> bool:
    return f.error is None and f.p("sa") >= alpha and f.p("raw") < alpha


def _row(f: Fit, alpha: float) -> dict:
    model = f.report["model"] if f.report else {}
    return {"label": f.label, "window": f"{f.window[0]}/{f.window[1]}", "model": f.options.model or "automdl",
            "arima": model.get("arima"), "transform": model.get("transform", f.options.transform),
            "sa_p": f.p("sa"), "raw_p": f.p("raw"), "passed": _passes(f, alpha), "error": f.error}


def self_check(first: Fit, steps: list[Step], fit: Callable[[Step], Fit], *,
               alpha: float = ALPHA) -> tuple[Fit, list[Fit], dict]:
    """Keep ``first`` when its sa shows no Tet effect (p >= alpha; no further run). Otherwise run ``steps`` in
    order with ``fit`` and keep the first whose sa passes and whose raw still shows the effect (p < alpha);
    if none does, the run with the largest sa p. Returns (kept, every run, diagnostics.fallback)."""
    if not first.p("sa") < alpha:
        return first, [first], {"needed": False, "alpha": alpha, "sa_p": first.p("sa")}
    tried = [first]
    for step in steps:
        try:
            f = fit(step)
        except X13Error as exc:
            f = Fit(step.label, step.window, step.options, getattr(exc, "spec", "") or "", error=str(exc))
        tried.append(f)
        if _passes(f, alpha):
            break
    ok = [f for f in tried[1:] if _passes(f, alpha)]
    kept = ok[0] if ok else max((f for f in tried if f.error is None), key=lambda f: f.p("sa"))
    model = (first.report or {}).get("model", {})
    info = {"needed": True, "alpha": alpha, "order": [s.label for s in steps],
            "reason": f"Tet effect left in sa with the automatic specification ({model.get('arima')} "
                      f"{model.get('transform')}, window {first.window[0]}/{first.window[1]}): "
                      f"p = {first.p('sa'):.2g} < {alpha}",
            "tried": [_row(f, alpha) for f in tried], "used": kept.label, "passed": bool(ok)}
    if ok:
        info["note"] = (f"kept '{kept.label}' ({next(s.reason for s in steps if s.label == kept.label)}): the first "
                        f"fallback whose sa shows no Tet effect (p = {kept.p('sa'):.2g} >= {alpha}) and whose raw "
                        f"series still does (p = {kept.p('raw'):.2g})")
    else:
        info["note"] = (f"no specification passed the Tet-left test; kept '{kept.label}', the largest sa p "
                        f"({kept.p('sa'):.2g}): the Tet effect is still left in sa")
    return kept, tried, info


def adjust(df: pd.DataFrame, *, name: str = "series", transform: str = "auto", maxlead: int = 24,
           candidates: list[tuple[int, int]] | None = None, tet: bool = True, x13path=None,
           timeout: float = 120.0, spec_only: bool = False, alpha: float = ALPHA) -> SAResult | str:
    """Seasonally adjust one series; ``spec_only`` returns the final spec text (default window 10/3) unrun.

    Steps: validate; choose the Tet window by AICc (``select_window``); run the full model
    (transform ``transform``, automdl, AO/LS/TC outliers, working days, leap year, X-11, forecasts); when the
    Tet-left test finds the Tet effect in sa (p < ``alpha``), run the fallbacks (``fallback_steps``,
    ``self_check``). ``tet=False`` leaves the Tet regressor out (comparisons only: the Tet effect stays in sa).
    """
    s = validate_series(df, name=name, transform=transform)
    options = SpecOptions(transform=transform, maxlead=maxlead)
    if spec_only:
        return _spec(s, name, 10, 3, options) if tet else _spec(s, name, None, None, options)
    if tet:
        selection, specs = select_window(s, name=name, options=options, timeout=timeout, x13path=x13path,
                                         candidates=candidates or window_candidates())
    else:
        selection, specs = {"chosen": (None, None), "aicc": {}}, []
    run = {"name": name, "selection": selection, "tet": tet, "x13path": x13path, "timeout": timeout}
    first = full_fit(s, window=selection["chosen"], options=options, **run)
    kept, tried = first, [first]
    if tet:
        steps = fallback_steps(first, selection["aicc"], options=options, positive=bool((s > 0).all()))
        kept, tried, info = self_check(
            first, steps, lambda st: full_fit(s, window=st.window, options=st.options, label=st.label, **run),
            alpha=alpha)
        assert kept.report is not None                  # the run kept is one that succeeded
        kept.report["diagnostics"]["fallback"] = info
        if info["needed"] and not info["passed"]:
            kept.report["messages"]["warnings"].append(f"series {name}: {info['note']}")
    specs += [f.spec for f in tried if f.spec]
    assert kept.report is not None and kept.series is not None and kept.forecast is not None
    return SAResult(name=name, series=kept.series, forecast=kept.forecast, report=kept.report, spec=kept.spec,
                    specs=specs)
