"""Revision analysis: first estimate -> latest actual, per series.

For each figure (indicator, area, node, period, measure): r = latest non-estimate value - first
estimate value (index points). Per series (indicator, area, node, measure): n, mean revision
mean(r), mean absolute revision mean(|r|), max |r|.
"""
from __future__ import annotations

import pandas as pd

KEY = ["indicator", "area", "node", "measure"]


def figure_revisions(vintages: pd.DataFrame) -> pd.DataFrame:
    """vintages [indicator, area, node, period, measure, status, value, release, vintage] ->
    one row per figure with first_estimate, latest_actual, revision (figures with both only)."""
    v = vintages.sort_values([*KEY, "period", "release", "vintage"])
    est = v[v["status"] == "estimate"].groupby([*KEY, "period"], as_index=False).first()
    act = v[v["status"] != "estimate"].groupby([*KEY, "period"], as_index=False).last()
    out = est[[*KEY, "period", "value", "release"]].rename(columns={"value": "first_estimate", "release": "first_release"}) \
        .merge(act[[*KEY, "period", "value", "release"]].rename(columns={"value": "latest_actual", "release": "latest_release"}),
               on=[*KEY, "period"])
    out["revision"] = out["latest_actual"] - out["first_estimate"]
    return out


def revision_summary(revs: pd.DataFrame) -> pd.DataFrame:
    """Per series: n, mean_revision, mean_abs_revision, max_abs_revision (index points)."""
    g = revs.assign(abs_rev=revs["revision"].abs()).groupby(KEY)
    out = g.agg(n=("revision", "size"), mean_revision=("revision", "mean"),
                mean_abs_revision=("abs_rev", "mean"), max_abs_revision=("abs_rev", "max")).reset_index()
    return out.round({"mean_revision": 4, "mean_abs_revision": 4, "max_abs_revision": 4})
