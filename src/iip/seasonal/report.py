"""The adjustment report: model, Tet window, outliers and diagnostics, read from one X-13 run.

Everything comes from X-13's own diagnostics file (.udg), the saved acf table and the .out text;
nothing is recomputed here. Keys are documented in docs/methods/seasonal.md (Outputs).
"""
from __future__ import annotations

import math
import re

from iip.seasonal.x13 import X13Output, parse_chi2

_OUTLIER = re.compile(r"^(AO|LS|TC|SO|TLS|RP)(\d{4})\.(\w{3})$")
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}


def _num(text: str | None) -> float | None:
    try:
        v = float(str(text).split()[0])
    except (ValueError, IndexError, TypeError):
        return None
    return v if math.isfinite(v) else None


def _pair(text: str | None) -> dict | None:
    parts = str(text or "").split()
    if len(parts) < 2:
        return None
    return {"stat": _num(parts[0]), "p": _num(parts[1])}


def outlier_period(label: str) -> str | None:
    """'LS2023.Jan' -> '2023-01'."""
    m = _OUTLIER.match(label)
    return f"{m.group(2)}-{_MONTHS[m.group(3)]:02d}" if m else None


def regressors(udg: dict[str, str]) -> list[dict]:
    """Every regression estimate in the .udg: group, name, estimate, se, t."""
    out = []
    for key, value in udg.items():
        group, sep, name = key.partition("$")
        if not sep or group in ("chi", "ftest", "sigacf", "sigpacf", "variance", "AR", "MA") or "$" in name:
            continue
        parts = value.split()
        if len(parts) == 3:
            est, se, t = (_num(p) for p in parts)
            out.append({"group": group, "name": name, "estimate": est, "se": se, "t": t})
    return out


def outliers(udg: dict[str, str]) -> list[dict]:
    """Automatically detected outliers: type, period, estimate, t."""
    return [{"type": r["name"][:2].rstrip("0123456789"), "label": r["name"], "period": outlier_period(r["name"]),
             "estimate": r["estimate"], "t": r["t"]}
            for r in regressors(udg) if r["group"] == "AutoOutlier"]


def m_q_stats(udg: dict[str, str]) -> dict:
    """X-11 quality statistics M1..M11, Q and Q without M2 (pass when < 1)."""
    res = {f"M{i}": _num(udg.get(f"f3.m{i:02d}")) for i in range(1, 12)}
    res["Q"] = _num(udg.get("f3.q"))
    res["Q2"] = _num(udg.get("f3.qm2"))
    return res


def seasonality_tests(udg: dict[str, str]) -> dict:
    """QS tests (stat, p) and X-11 F-tests; residual seasonality absent when p is large.

    ``F_residual_d11``: F-test for residual seasonality in the adjusted series (p in percent, as X-13 prints),
    ``F_stable_b1``/``F_stable_d8``: stable seasonality (p in percent), ``F_moving``: moving seasonality.
    """
    qs = {k: _pair(udg.get(k)) for k in ("qsori", "qsorievadj", "qsrsd", "qssadj", "qssadjevadj", "qsirr",
                                          "qsirrevadj") if k in udg}
    f = {"F_residual_d11": _pair(udg.get("d11.f")), "F_residual_d11_last3y": _pair(udg.get("d11.3y.f")),
         "F_stable_b1": _pair(udg.get("f2.fsb1")), "F_stable_d8": _pair(udg.get("f2.fsd8")),
         "F_moving": _pair(udg.get("f2.msf")), "kruskal_wallis": _pair(udg.get("f2.kw")),
         "identifiable_seasonality": udg.get("f2.idseasonal")}
    return {"qs": qs, "f_tests": f}


def residual_checks(out: X13Output) -> dict:
    """Ljung-Box Q of the regARIMA residuals at lags 12 and 24 (from the acf table) and flagged lags."""
    acf = out.tables.get("acf")
    lb = {}
    if acf is not None:
        for lag in (12, 24):
            if lag in acf.index:
                row = acf.loc[lag]
                lb[f"lag{lag}"] = {"Q": float(row.iloc[2]), "df": int(row.iloc[3]), "p": float(row.iloc[4])}
    return {"ljung_box": lb, "significant_acf_lags": out.udg.get("sigacflags", ""),
            "td_peaks_in_residuals": out.udg.get("spcrsd.t1", "") + " " + out.udg.get("spcrsd.t2", "")}


def revisions(udg: dict[str, str]) -> dict:
    """Sliding spans and history (revision) summaries, when X-13 could compute them."""
    res: dict = {"sliding_spans": udg.get("sspans", "not run"), "history": udg.get("history", "not run")}
    if udg.get("history") == "yes":
        res["revision_span"] = udg.get("revspan")
        res["mean_abs_revision_sa_pct"] = _num(udg.get("r01.lag00.aar.all"))
        res["mean_abs_revision_sa_change_pct"] = _num(udg.get("r02.lag00.aar.all"))
    for key in ("s2.a.per", "s2.c.per", "s2.d.per"):
        if key in udg:
            res[key] = udg[key]
    return res


def tet_summary(udg: dict[str, str], chi2: dict, selection: dict) -> dict:
    """The chosen Tet window, its coefficients with t-statistics and the joint chi-square test."""
    est = {r["name"]: r for r in regressors(udg) if r["group"] == "User-defined Holiday"}
    b, a = selection["chosen"]
    joint = chi2.get("User-defined Holiday") or _udg_chi(udg, "User-defined Holiday")
    return {"before_days": b, "after_days": a,
            "before": est.get("tet_before"), "after": est.get("tet_after"),
            "t_before": (est.get("tet_before") or {}).get("t"), "t_after": (est.get("tet_after") or {}).get("t"),
            "joint_chi2": joint, "aicc_by_window": selection["aicc"],
            "outliers_without_tet": selection.get("none_outliers", [])}


def _udg_chi(udg: dict[str, str], group: str) -> dict | None:
    parts = udg.get(f"chi${group}", "").split()
    if len(parts) == 3:
        return {"df": int(parts[0]), "chi2": _num(parts[1]), "p": _num(parts[2])}
    return None


def build_report(out: X13Output, *, selection: dict, multiplicative: bool, name: str) -> dict:
    """The JSON report of one adjustment."""
    udg = out.udg
    chi2 = parse_chi2(out.out)
    return {
        "series": name,
        "span": udg.get("span"), "nobs": _num(udg.get("nobs")),
        "model": {"arima": udg.get("arimamdl"), "transform": "log" if multiplicative else "none",
                  "transform_choice": udg.get("aictrans"), "mode": udg.get("finmode") or udg.get("samode"),
                  "aicc": _num(udg.get("aicc")), "seasonal_filter": udg.get("sfmsr"),
                  "trend_filter": udg.get("finaltrendma") or udg.get("trendma"),
                  "regressors": regressors(udg), "chi2_groups": chi2},
        "tet": tet_summary(udg, chi2, selection),
        "outliers": outliers(udg),
        "diagnostics": {"m_q": m_q_stats(udg), **seasonality_tests(udg), "residuals": residual_checks(out),
                        "revisions": revisions(udg)},
        "messages": {"warnings": out.warnings, "notes": out.notes},
    }
