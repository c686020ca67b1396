"""Cross-source consistency: growth implied by IMF SDMX levels vs GSO's published growth (docs/methods/published.md).

implied_yoy_t = 100 L_t / L_{t-12} and implied_mom_t = 100 L_t / L_{t-1}; diff_t = implied_t - published_t (index
points, i.e. percentage points of growth). A month is flagged when |diff_t| of yoy exceeds the tolerance.

A *discontinuity* is a run of at least ``min_run`` consecutive flagged months of one sign. A level step in one
source at month s shows in the implied yoy from s on (12 months), in the implied mom at s only; the yoy
difference often crosses the tolerance a month or two after the step began. So a run is dated from the **first
month of the step**: walking back from the run's first flagged month while the yoy difference kept moving in the
run's direction by at least ``step`` points a month, or the mom difference was at least ``step`` points in that
direction (``step`` = half the tolerance by default).
"""
from __future__ import annotations

import pandas as pd

COMPARISON = ["node", "period", "implied_mom", "published_mom", "diff_mom", "implied_yoy", "published_yoy", "diff",
              "flagged", "flagged_mom"]
RUNS = ["node", "start", "first_flagged", "end", "months", "mean_diff"]


def implied_growth(levels: pd.DataFrame) -> pd.DataFrame:
    """levels [node, period, value] (monthly) -> [node, period, implied_mom, implied_yoy] (100-based)."""
    df = levels[["node", "period", "value"]].copy()
    df["date"] = pd.PeriodIndex(df["period"], freq="M")
    out = df
    for lag, name in ((1, "implied_mom"), (12, "implied_yoy")):
        prev = df.assign(date=df["date"] + lag)[["node", "date", "value"]].rename(columns={"value": "prev"})
        out = out.merge(prev, on=["node", "date"], how="left")
        out[name] = 100 * out["value"] / out["prev"]
        out = out.drop(columns="prev")
    return out[["node", "period", "implied_mom", "implied_yoy"]]


def compare_growth(levels: pd.DataFrame, published: pd.DataFrame, *, tolerance: float = 5.0) -> pd.DataFrame:
    """Months with a published yoy in both sources: implied vs published mom and yoy, their differences and
    the flags (|diff| > tolerance). ``published`` [node, period, measure (mom|yoy), value]. Columns COMPARISON."""
    imp = implied_growth(levels)
    pub = published.pivot_table(index=["node", "period"], columns="measure", values="value", aggfunc="last")
    pub = pub.reindex(columns=["mom", "yoy"]).rename(columns={"mom": "published_mom", "yoy": "published_yoy"})
    out = imp.merge(pub.reset_index(), on=["node", "period"], how="inner").dropna(subset=["implied_yoy",
                                                                                          "published_yoy"])
    out = out.sort_values(["node", "period"]).reset_index(drop=True)
    out["diff"] = out["implied_yoy"] - out["published_yoy"]
    out["diff_mom"] = out["implied_mom"] - out["published_mom"]
    out["flagged"] = out["diff"].abs() > tolerance
    out["flagged_mom"] = out["diff_mom"].abs() > tolerance
    return out[COMPARISON]


def _step_start(g: pd.DataFrame, first: int, sign: int, step: float) -> int:
    """Position in ``g`` (one node, consecutive months) of the first month of the step behind a run whose first
    flagged month is at ``first``: walk back while the month moved the yoy difference by >= step points in the
    run's direction (or its mom difference was >= step in that direction)."""
    dates = pd.PeriodIndex(g["period"], freq="M")

    def moved(i: int) -> bool:
        prev_ok = i > 0 and (dates[i] - dates[i - 1]).n == 1
        jump = prev_ok and sign * (g["diff"].iloc[i] - g["diff"].iloc[i - 1]) >= step
        return bool(jump or sign * g["diff_mom"].iloc[i] >= step)
    i = first
    if not moved(i):
        return i
    while i > 0 and (dates[i] - dates[i - 1]).n == 1 and moved(i - 1):
        i -= 1
    return i


def discontinuities(cmp: pd.DataFrame, *, min_run: int = 3, step: float | None = None,
                    tolerance: float = 5.0) -> pd.DataFrame:
    """Every run of >= min_run consecutive flagged months of one sign, per node, in time order:
    [node, start (first month of the step), first_flagged, end, months (start..end), mean_diff (flagged months)].
    ``step`` defaults to half the tolerance."""
    step = tolerance / 2 if step is None else step
    rows = []
    for node, g in cmp.groupby("node", sort=True):
        g = g.sort_values("period").reset_index(drop=True)
        dates = pd.PeriodIndex(g["period"], freq="M")
        run: list[int] = []
        for i in range(len(g) + 1):
            ok = i < len(g) and bool(g["flagged"].iloc[i])
            if ok and run and (dates[i] - dates[run[-1]]).n == 1 and \
                    (g["diff"].iloc[i] > 0) == (g["diff"].iloc[run[-1]] > 0):
                run.append(i)
                continue
            if len(run) >= min_run:
                sign = 1 if g["diff"].iloc[run[0]] > 0 else -1
                start = _step_start(g, run[0], sign, step)
                rows.append(dict(node=node, start=g["period"].iloc[start], first_flagged=g["period"].iloc[run[0]],
                                 end=g["period"].iloc[run[-1]], months=run[-1] - start + 1,
                                 mean_diff=round(float(g["diff"].iloc[run].mean()), 2)))
            run = [i] if ok else []
    return pd.DataFrame(rows, columns=RUNS)


def mom_steps(cmp: pd.DataFrame) -> pd.DataFrame:
    """Months whose implied mom differs from GSO's by more than the tolerance (a level step in one source):
    [node, period, implied_mom, published_mom, diff_mom]."""
    cols = ["node", "period", "implied_mom", "published_mom", "diff_mom"]
    return cmp.loc[cmp["flagged_mom"], cols].reset_index(drop=True)
