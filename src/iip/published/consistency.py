"""Cross-source consistency: yoy implied by IMF SDMX levels vs GSO's published yoy.

implied_yoy_t = 100 * L_t / L_{t-12}; diff_t = implied_yoy_t - gso_yoy_t (index points).
A period is flagged when |diff_t| > tolerance. A *discontinuity* is a run of at least ``min_run``
consecutive flagged months with the same sign; it starts at the run's first month.
"""
from __future__ import annotations

import pandas as pd


def implied_yoy(levels: pd.DataFrame) -> pd.DataFrame:
    """levels [node, period, value] (monthly) -> [node, period, implied_yoy] = 100 * L_t / L_{t-12}."""
    df = levels.copy()
    df["date"] = pd.PeriodIndex(df["period"], freq="M")
    prev = df.assign(date=df["date"] + 12)[["node", "date", "value"]].rename(columns={"value": "prev"})
    out = df.merge(prev, on=["node", "date"], how="left")
    out["implied_yoy"] = 100 * out["value"] / out["prev"]
    return out.dropna(subset=["implied_yoy"])[["node", "period", "implied_yoy"]]


def compare_yoy(levels: pd.DataFrame, published: pd.DataFrame, *, tolerance: float = 5.0) -> pd.DataFrame:
    """[node, period, implied_yoy, published_yoy, diff, flagged] for periods present in both sources."""
    imp = implied_yoy(levels)
    pub = published.rename(columns={"value": "published_yoy"})[["node", "period", "published_yoy"]]
    out = imp.merge(pub, on=["node", "period"], how="inner").sort_values(["node", "period"])
    out["diff"] = out["implied_yoy"] - out["published_yoy"]
    out["flagged"] = out["diff"].abs() > tolerance
    return out.reset_index(drop=True)


def discontinuities(cmp: pd.DataFrame, *, min_run: int = 3) -> pd.DataFrame:
    """Runs of >= min_run consecutive flagged months of one sign: [node, start, end, months, mean_diff]."""
    rows = []
    for node, g in cmp.groupby("node", sort=True):
        g = g.sort_values("period")
        dates = pd.PeriodIndex(g["period"], freq="M")
        run: list[int] = []
        for i in range(len(g) + 1):
            ok = i < len(g) and g["flagged"].iloc[i]
            cont = ok and run and (dates[i] - dates[run[-1]]).n == 1 and \
                (g["diff"].iloc[i] > 0) == (g["diff"].iloc[run[-1]] > 0)
            if cont:
                run.append(i)
                continue
            if len(run) >= min_run:
                sel = g.iloc[run]
                rows.append(dict(node=node, start=sel["period"].iloc[0], end=sel["period"].iloc[-1],
                                 months=len(run), mean_diff=round(float(sel["diff"].mean()), 2)))
            run = [i] if ok else []
    return pd.DataFrame(rows, columns=["node", "start", "end", "months", "mean_diff"])
