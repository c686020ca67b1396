"""The facts of a release narrative, computed from the release tables (pure: ReleaseData in, list of dicts out).

A fact is a dict: key, value, unit ('pct' = the growth a text states, 'pp' = percentage points, 'count', 'date'),
node, period, status (estimate | actual | compiled: how the text qualifies it), and rank / measure where useful.
For 'pct' facts ``index`` is the 100-based figure and ``value`` the growth GSO states,
``growth_from_index(index)`` (the index rounded half up to one decimal, minus 100: 101.35 -> 1.4); 'pp' values are
rounded half up to one decimal. Every number the narrative prints is one fact's value; nothing is typed in a
template. Facts on suppressed ('c') cells are never produced.
"""
from __future__ import annotations

import math

import pandas as pd

from iip.reference.periods import month_of_year
from iip.reference.rounding import TEXT_DECIMALS, growth_from_index, round_half_up
from iip.release.data import ReleaseData, figure_period

SECTIONS = ("B", "C", "D", "E")
OWNERSHIP = ("state", "nonstate", "fdi")


def _ok(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and x is not pd.NA


class _Status:
    """The figure status of a table cell: its provenance row for published figures, 'compiled' otherwise."""

    def __init__(self, d: ReleaseData):
        p = d.provenance
        self.of = {(t, c, k): s for t, c, k, s in zip(p["table"], p["code"], p["column"], p["figure_status"])}

    def __call__(self, table: str, code: str, column: str) -> str:
        return self.of.get((table, code, column), "compiled")


def stated(index) -> float:
    """The growth a text states for a 100-based figure (``growth_from_index``: one decimal, half up, minus 100)."""
    g = growth_from_index(float(index))
    if g is None:
        raise ValueError("a stated growth needs a figure")
    return float(g)


def _pct(key: str, index, node, period: str, status: str, **extra) -> dict:
    return {"key": key, "value": stated(index), "index": float(index), "unit": "pct", "node": node,
            "period": period, "status": status, **extra}


def _pp(key: str, value, node, period: str, status: str, **extra) -> dict:
    r = round_half_up(float(value), TEXT_DECIMALS)
    return {"key": key, "value": float(r) if r is not None else None, "unit": "pp", "node": node,
            "period": period, "status": status, **extra}


def _count(key: str, n, period: str, **extra) -> dict:
    return {"key": key, "value": int(n), "unit": "count", "node": "TOTAL", "period": period, "status": "",
            **extra}


def _cum(period: str) -> str:
    return f"{period[:4]}-01..{period}"


def _visible(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """Rows with a value in ``col`` that are not confidential."""
    if df.empty or col not in df:
        return df.iloc[0:0]
    ok = df["obs_status"].fillna("") != "c" if "obs_status" in df else pd.Series(True, index=df.index)
    return df[ok & df[col].notna()]


def month_facts(d: ReleaseData) -> list[dict]:
    """TOTAL's yoy and mom, the previous month's yoy as revised (published), the sections' yoy and their
    contributions (points) to TOTAL's yoy, the quarter's yoy at quarter ends."""
    st, p, out = _Status(d), d.period, []
    nat = _visible(d.national, "yoy").set_index("code")
    if "TOTAL" in nat.index:
        t = nat.loc["TOTAL"]
        out.append(_pct("yoy", t["yoy"], "TOTAL", p, st("national", "TOTAL", "yoy")))
        if _ok(t.get("mom")):
            out.append(_pct("mom", t["mom"], "TOTAL", p, st("national", "TOTAL", "mom")))
        if _ok(t.get("prev_yoy")):
            out.append(_pct("prev_yoy", t["prev_yoy"], "TOTAL", figure_period(p, -1),
                            st("national", "TOTAL", "prev_yoy")))
    secs = [c for c in SECTIONS if c in nat.index]
    for c in sorted(secs, key=lambda c: -nat.loc[c, "yoy"]):
        out.append(_pct("yoy", nat.loc[c, "yoy"], c, p, st("national", c, "yoy")))
        if _ok(nat.loc[c].get("contrib_total_yoy")):
            out.append(_pp("contrib_yoy", nat.loc[c, "contrib_total_yoy"], c, p, "compiled"))
    q = _visible(d.quarter, "q_yoy")
    q = q[q["code"] == "TOTAL"] if not q.empty else q
    if month_of_year(p) % 3 == 0 and not q.empty:
        out.append(_pct("quarter_yoy", q["q_yoy"].iloc[0], "TOTAL", figure_period(p, "Q"),
                        st("quarter", "TOTAL", "q_yoy")))
    return out


def cumulative_facts(d: ReleaseData, *, n: int = 4) -> list[dict]:
    """From February: TOTAL's and the sections' year-to-date growth with the sections' contributions; then the
    ``n`` divisions with the highest and the ``n`` with the lowest growth (ytd; in January the month's yoy)."""
    st, p, out = _Status(d), d.period, []
    col = "ytd" if month_of_year(p) > 1 else "yoy"
    per = _cum(p) if col == "ytd" else p
    nat = _visible(d.national, col)
    if col == "ytd":
        by = nat.set_index("code")
        for c in ("TOTAL",) + tuple(sorted((s for s in SECTIONS if s in by.index), key=lambda s: -by.loc[s, "ytd"])):
            if c in by.index:
                out.append(_pct("ytd", by.loc[c, "ytd"], c, per, st("national", c, "ytd")))
                if c != "TOTAL" and _ok(by.loc[c].get("contrib_ytd")):
                    out.append(_pp("contrib_ytd", by.loc[c, "contrib_ytd"], c, per, "compiled"))
    div = nat[nat["level"] == "division"]
    top = div.nlargest(n, col)
    bottom = div[~div["code"].isin(top["code"])].nsmallest(n, col)
    for key, rows in (("division_top", top), ("division_bottom", bottom)):
        for rank, (code, v) in enumerate(zip(rows["code"], rows[col]), 1):
            out.append(_pct(key, v, code, per, st("national", code, col), rank=rank, measure=col))
    return out


def province_facts(d: ReleaseData, *, n: int = 3) -> list[dict]:
    """Provinces up / down (``summary.province_diffusion``: the month's yoy and, from February, the ytd) with the
    confidential count it reports, and the ``n`` provinces with the strongest manufacturing growth (by the ytd
    from February, else yoy)."""
    out = []
    for measure, dd in d.diffusion.items():
        per = d.period if measure == "yoy" else _cum(d.period)
        if not dd.get("provinces"):
            continue
        out += [_count("provinces_rose", dd["rose"], per, measure=measure),
                _count("provinces_fell", dd["fell"], per, measure=measure),
                _count("provinces_confidential", dd.get("confidential", 0), per, measure=measure)]
    col = "mfg_ytd" if "ytd" in d.diffusion else "mfg_yoy"
    pv = d.provinces
    if col in pv and not pv.empty:
        ok = pv[(pv["mfg_status"].fillna("") != "c") & pv[col].notna()] if "mfg_status" in pv else pv.iloc[0:0]
        per = _cum(d.period) if col == "mfg_ytd" else d.period
        top = ok.nlargest(n, col)
        for rank, (code, v) in enumerate(zip(top["code"], top[col]), 1):
            out.append(_pct("province_mfg_top", v, code, per, "compiled", rank=rank, measure=col))
    return out


def ownership_facts(d: ReleaseData) -> list[dict]:
    """Each ownership's contribution (points) to TOTAL's yoy and, from February, ytd growth."""
    ow = d.ownership
    out: list[dict] = []
    if ow.empty:
        return out
    ow = ow[ow["obs_status"].fillna("") != "c"].set_index("code")
    for col, key, per in (("contrib_yoy", "ownership_yoy", d.period), ("contrib_ytd", "ownership_ytd",
                                                                         _cum(d.period))):
        if col == "contrib_ytd" and month_of_year(d.period) == 1:
            continue
        for o in OWNERSHIP:
            if o in ow.index and _ok(ow.loc[o, col]):
                out.append(_pp(key, ow.loc[o, col], o, per, "compiled"))
    return out


def product_facts(d: ReleaseData, *, n: int = 3) -> list[dict]:
    """Main products with the largest rises and falls on a year earlier, in the month and (from February) the
    year to date. A product with no output (yoy 0, e.g. sugar out of the cane season) is a seasonal stop, not a
    fall: it is left out of the text."""
    st, out = _Status(d), []
    for col, up, down, per in (("yoy", "product_up", "product_down", d.period),
                               ("ytd_yoy", "product_ytd_up", "product_ytd_down", _cum(d.period))):
        if col == "ytd_yoy" and month_of_year(d.period) == 1:
            continue
        pr = _visible(d.products, col)
        pr = pr[pr[col] > 0]
        said = pr[col].map(stated)   # what the text would say
        for key, rows in ((up, pr[said > 0].nlargest(n, col)), (down, pr[said < 0].nsmallest(n, col))):
            for rank, (code, v) in enumerate(zip(rows["product_code"], rows[col]), 1):
                out.append(_pct(key, v, code, per, st("products", code, col), rank=rank))
    return out


def companion_facts(d: ReleaseData) -> list[dict]:
    """Manufacturing's consumption (mom, yoy, ytd) and inventory (mom, yoy) indices, and the labour-usage index
    (TOTAL's mom and yoy, and by ownership), where the release has them."""
    st, out = _Status(d), []
    for table, cols in (("consumption", ("mom", "yoy", "ytd")), ("inventory", ("mom", "yoy"))):
        t = getattr(d, table)
        row = _visible(t, "yoy")
        row = row[row["code"] == "C"] if not row.empty else row
        for c in cols:
            if not row.empty and c in row and _ok(row[c].iloc[0]) and not (c == "ytd" and d.period.endswith("-01")):
                per = _cum(d.period) if c == "ytd" else d.period
                out.append(_pct(f"{table}_{c}", row[c].iloc[0], "C", per, st(table, "C", c)))
    lab = d.labour
    for code in ("TOTAL",) + OWNERSHIP:
        r = lab[lab["code"] == code] if not lab.empty else lab
        for c in ("mom", "yoy") if code == "TOTAL" else ("yoy",):
            if not r.empty and _ok(r[c].iloc[0]):
                out.append(_pct(f"labour_{c}", r[c].iloc[0], code, d.period, st("labour", code, c)))
    return out


def tet_facts(d: ReleaseData) -> list[dict]:
    """January and February: Tet's date this year and last, and (February) the Tet-neutral Jan+Feb growth,
    100 * (Jan+Feb) / (Jan+Feb a year earlier), which is TOTAL's ytd in February."""
    from iip.reference import tet_date

    y, m = int(d.period[:4]), int(d.period[5:])
    if m > 2:
        return []
    out = [{"key": "tet_date", "value": tet_date(y).isoformat(), "unit": "date", "node": None, "period": str(y),
            "status": ""},
           {"key": "tet_date_prev", "value": tet_date(y - 1).isoformat(), "unit": "date", "node": None,
            "period": str(y - 1), "status": ""}]
    tot = _visible(d.national, "ytd")
    tot = tot[tot["code"] == "TOTAL"] if not tot.empty else tot
    if m == 2 and not tot.empty:
        out.append(_pct("janfeb_yoy", tot["ytd"].iloc[0], "TOTAL", _cum(d.period),
                        _Status(d)("national", "TOTAL", "ytd")))
    return out


def facts(d: ReleaseData) -> list[dict]:
    """All facts of the narrative, in GSO's order: the month, the year to date, Tet, provinces, ownership, main
    products, consumption / inventory / labour."""
    return (month_facts(d) + cumulative_facts(d) + tet_facts(d) + province_facts(d) + ownership_facts(d)
            + product_facts(d) + companion_facts(d))
