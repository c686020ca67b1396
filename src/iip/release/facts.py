"""The facts of a release narrative, computed from the release tables (pure: ReleaseData in, list of dicts out).

A fact is a dict: key, value (a number in the unit below, or a date), unit ('pct' = percent change = GSO index
- 100; 'pp' = percentage points; 'count'; 'date'), node, period, and rank / name fields where useful. Every
number the narrative prints is one fact's value, rounded with ``gso_round`` (1 decimal); nothing is typed in a
template. Facts on suppressed ('c') cells are never produced.
"""
from __future__ import annotations

import math

import pandas as pd

from iip.measures import direction_counts
from iip.release.data import ReleaseData

SECTIONS = ("B", "C", "D", "E")


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _fact(key: str, value, unit: str, node: str | None, period: str, **extra) -> dict:
    return {"key": key, "value": float(value) if unit in ("pct", "pp", "count") else value, "unit": unit,
            "node": node, "period": period, **extra}


def _row(df: pd.DataFrame, code: str) -> pd.Series | None:
    hit = df[df["code"] == code]
    return None if hit.empty else hit.iloc[0]


def headline_facts(d: ReleaseData) -> list[dict]:
    """Total and sections: month yoy, mom; cumulative (ytd) growth and the sections' ytd contributions."""
    out, p, month = [], d.period, int(d.period[5:])
    cum = f"{p[:4]}-01..{p}"
    for code in ("TOTAL",) + SECTIONS:
        r = _row(d.national, code)
        if r is None or r.get("obs_status") == "c":
            continue
        if _ok(r["yoy"]):
            out.append(_fact("yoy", r["yoy"] - 100, "pct", code, p))
        if code == "TOTAL" and _ok(r["mom"]):
            out.append(_fact("mom", r["mom"] - 100, "pct", code, p))
        if month > 1 and _ok(r["ytd"]):
            out.append(_fact("ytd", r["ytd"] - 100, "pct", code, cum))
            if code != "TOTAL" and _ok(r.get("contrib_ytd")):
                out.append(_fact("contrib_ytd", r["contrib_ytd"], "pp", code, cum))
    if month % 3 == 0 and not d.quarter.empty:
        q = d.quarter[d.quarter["code"] == "TOTAL"]
        if not q.empty and _ok(q["q_yoy"].iloc[0]):
            out.append(_fact("quarter_yoy", q["q_yoy"].iloc[0] - 100, "pct", "TOTAL", f"{p[:4]}-Q{month // 3}"))
    return out


def division_facts(d: ReleaseData, *, n: int = 3) -> list[dict]:
    """The n strongest and n weakest divisions by yoy, and the n largest contributions (points of TOTAL's yoy)."""
    div = d.national[(d.national["level"] == "division") & (d.national["obs_status"] != "c")].dropna(subset=["yoy"])
    out = []
    for rank, (_, r) in enumerate(div.nlargest(n, "yoy").iterrows(), 1):
        out.append(_fact("division_top", r["yoy"] - 100, "pct", r["code"], d.period, rank=rank))
    for rank, (_, r) in enumerate(div.nsmallest(n, "yoy").iterrows(), 1):
        out.append(_fact("division_bottom", r["yoy"] - 100, "pct", r["code"], d.period, rank=rank))
    c = div.dropna(subset=["contrib_total_yoy"])
    c = c.reindex(c["contrib_total_yoy"].abs().sort_values(ascending=False).index).head(n)
    for rank, (_, r) in enumerate(c.iterrows(), 1):
        out.append(_fact("contribution", r["contrib_total_yoy"], "pp", r["code"], d.period, rank=rank))
    return out


def province_facts(d: ReleaseData) -> list[dict]:
    """How many provinces' IIP rose / fell on a year earlier (published provinces only) and how many are 'c'."""
    pv = d.provinces
    if pv.empty:
        return []
    pub = pv[pv["obs_status"] != "c"].dropna(subset=["yoy"])
    if pub.empty:  # every province confidential: no "rose in 0 and fell in 0" sentence
        return []
    n = direction_counts(pub["yoy"])
    return [_fact("provinces_rose", n["rose"], "count", "TOTAL", d.period),
            _fact("provinces_fell", n["fell"], "count", "TOTAL", d.period),
            _fact("provinces_suppressed", int((pv["obs_status"] == "c").sum()), "count", "TOTAL", d.period)]


def product_facts(d: ReleaseData, *, n: int = 3) -> list[dict]:
    """Main products with the largest rises and falls on a year earlier. A product with no output in the month
    (yoy 0, e.g. sugar out of the cane season) is a seasonal stop, not a fall: it is left out of the text."""
    pr = d.products
    if pr.empty or "yoy" not in pr:
        return []
    pr = pr[(pr["obs_status"] != "c") & (pr["yoy"] > 0)].dropna(subset=["yoy"])
    out = []
    for rank, (_, r) in enumerate(pr[pr["yoy"] > 100].nlargest(n, "yoy").iterrows(), 1):
        out.append(_fact("product_up", r["yoy"] - 100, "pct", r["product_code"], d.period, rank=rank))
    for rank, (_, r) in enumerate(pr[pr["yoy"] < 100].nsmallest(n, "yoy").iterrows(), 1):
        out.append(_fact("product_down", r["yoy"] - 100, "pct", r["product_code"], d.period, rank=rank))
    return out


def tet_facts(d: ReleaseData) -> list[dict]:
    """January and February: Tet's date this year and last, and (February) the Tet-neutral Jan+Feb growth,
    100 * (Jan+Feb) / (Jan+Feb a year earlier) - 100, which is TOTAL's ytd in February."""
    from iip.reference import tet_date

    y, m = int(d.period[:4]), int(d.period[5:])
    if m > 2:
        return []
    out = [_fact("tet_date", tet_date(y).isoformat(), "date", None, str(y)),
           _fact("tet_date_prev", tet_date(y - 1).isoformat(), "date", None, str(y - 1))]
    r = _row(d.national, "TOTAL")
    if m == 2 and r is not None and _ok(r["ytd"]) and r.get("obs_status") != "c":
        out.append(_fact("janfeb_yoy", r["ytd"] - 100, "pct", "TOTAL", f"{y}-01..{d.period}"))
    return out


def facts(d: ReleaseData) -> list[dict]:
    """All facts of the narrative, in the order the text uses them."""
    return headline_facts(d) + tet_facts(d) + division_facts(d) + province_facts(d) + product_facts(d)
