"""Ratio-of-means imputation with forward, backward and construction links (ONS Statistical Method
Specifications: general imputation + ratio of means). Method page: docs/methods/imputation.md.

For group g and period p, over matched pairs (responders in g in both periods):

* forward link   f(g,p) = sum x_p / sum x_{p-1}
* backward link  b(g,p) = sum x_p / sum x_{p+1}
* construction   c(g,p) = sum x_p / sum a_p        (responders in p, a = auxiliary variable)

with count n = number of pairs; n = 0 gives link 1 and a null count; a zero denominator gives link 1, count 0.
Imputes in precedence order: FIR = f * (previous R or FIR value); BI = b * (next R or BI value); C = c * a for
the earliest period of a run of non-response that neither could fill; FIC = f * (previous C or FIC value).
Chains break where a contributor has no record (not sampled) in a period.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MARKERS = ("R", "FIR", "BI", "C", "FIC")
LINKS = ("forward", "backward", "construction")


def _ordinal(period: pd.Series) -> np.ndarray:
    """'YYYY-MM' (or 'YYYYMM') -> month number."""
    s = period.astype(str).str.replace("-", "", regex=False)
    return (s.str[:4].astype(int) * 12 + s.str[4:6].astype(int) - 1).to_numpy()


def _link(num: pd.Series, den: pd.Series, n: pd.Series) -> pd.DataFrame:
    """l = num / den, count = n; den = 0 gives l = 1 and count 0."""
    zero = den == 0
    return pd.DataFrame({"link": np.where(zero, 1.0, num / den.where(~zero, 1.0)),
                         "count": np.where(zero, 0, n)}, index=num.index)


def links(resp: pd.DataFrame, *, cells: pd.DataFrame) -> pd.DataFrame:
    """Forward, backward and construction links and counts for every (group, t) in ``cells``.

    ``resp``: responders with columns id, t, group, x, a (auxiliary, may be null)."""
    r = resp[["id", "t", "group", "x"]]
    out = cells[["group", "t"]].drop_duplicates().set_index(["group", "t"])
    for name, shift in (("forward", 1), ("backward", -1)):
        m = r.merge(r.assign(t=r["t"] + shift), on=["id", "t", "group"], suffixes=("", "_y"))
        g = m.groupby(["group", "t"])
        lk = _link(g["x"].sum(), g["x_y"].sum(), g["x"].size())
        out[name] = lk["link"].reindex(out.index)
        out[f"count_{name}"] = lk["count"].reindex(out.index)
    c = resp.dropna(subset=["a"]).groupby(["group", "t"])
    lk = _link(c["x"].sum(), c["a"].sum(), c["x"].size())
    out["construction"] = lk["link"].reindex(out.index)
    out["count_construction"] = lk["count"].reindex(out.index)
    for name in LINKS:  # no pairs: link 1, count null
        out[name] = out[name].fillna(1.0)
    return out.reset_index()


def _matrix(df: pd.DataFrame, col: str, ids: pd.Index, t0: int, T: int, fill, dtype) -> np.ndarray:
    m = np.full((len(ids), T), fill, dtype=dtype)
    m[ids.get_indexer(df["id"]), df["t"] - t0] = df[col].to_numpy()
    return m


def _passes(val, mark, present, fl, bl, cl, aux) -> None:
    """Fill ``val``/``mark`` in place: forward from response, backward, construction (+ forward from it)."""
    U, T = val.shape
    for t in range(1, T):  # FIR
        m = present[:, t] & (mark[:, t] == "") & present[:, t - 1] & np.isin(mark[:, t - 1], ["R", "FIR"])
        val[m, t], mark[m, t] = val[m, t - 1] * fl[m, t], "FIR"
    for t in range(T - 2, -1, -1):  # BI
        m = present[:, t] & (mark[:, t] == "") & present[:, t + 1] & np.isin(mark[:, t + 1], ["R", "BI"])
        val[m, t], mark[m, t] = val[m, t + 1] * bl[m, t], "BI"
    for t in range(T):  # C at the start of a run, FIC after it
        todo = present[:, t] & (mark[:, t] == "")
        fic = todo & (np.isin(mark[:, t - 1], ["C", "FIC"]) & present[:, t - 1] if t else False)
        val[fic, t], mark[fic, t] = val[fic, t - 1] * fl[fic, t], "FIC"
        c = todo & ~fic & ~np.isnan(aux[:, t])
        val[c, t], mark[c, t] = aux[c, t] * cl[c, t], "C"


def ratio_of_means(df: pd.DataFrame, *, id: str = "id", period: str = "period", group: str = "group",
                   target: str = "target", auxiliary: str = "auxiliary", back_data: pd.DataFrame | None = None,
                   marker: str = "marker") -> pd.DataFrame:
    """Impute null ``target`` values of ``df`` (one record per contributor x period; a missing record means not
    sampled). ``back_data`` (same columns plus ``marker``; imputed values in ``target``) holds the period
    before the first one: it seeds chains and links and is not output.

    Returns df's rows with ``imputed`` (the value), ``marker`` (R, FIR, BI, C, FIC; null when nothing could be
    imputed), links forward/backward/construction and count_forward/count_backward/count_construction."""
    cur = pd.DataFrame({"id": df[id].to_numpy(), "t": _ordinal(df[period]), "group": df[group].to_numpy(),
                        "x": pd.to_numeric(df[target]).to_numpy(dtype=float),
                        "a": pd.to_numeric(df[auxiliary]).to_numpy(dtype=float)})
    cur["mark"] = np.where(cur["x"].notna(), "R", "")
    if cur.duplicated(["id", "t"]).any():
        raise ValueError("more than one record per contributor and period")
    if cur.empty:
        out = df.iloc[:0].copy()
        for c in ("imputed", "marker", *LINKS, "count_forward", "count_backward", "count_construction"):
            out[c] = pd.Series(dtype=object if c == "marker" else float)
        return out
    first = int(cur["t"].min())
    allr = cur
    if back_data is not None and len(back_data):
        back = pd.DataFrame({"id": back_data[id].to_numpy(), "t": _ordinal(back_data[period]),
                             "group": back_data[group].to_numpy(),
                             "x": pd.to_numeric(back_data[target]).to_numpy(dtype=float),
                             "a": pd.to_numeric(back_data[auxiliary]).to_numpy(dtype=float),
                             "mark": back_data[marker].fillna("").to_numpy()})
        allr = pd.concat([back[back["t"] == first - 1], cur], ignore_index=True)
    lk = links(allr[allr["mark"] == "R"], cells=cur)
    cur = cur.merge(lk, on=["group", "t"], how="left")
    ids = pd.Index(allr["id"].unique())
    t0, T = int(allr["t"].min()), int(allr["t"].max() - allr["t"].min() + 1)
    val = _matrix(allr, "x", ids, t0, T, np.nan, float)
    mark = _matrix(allr, "mark", ids, t0, T, "", object)
    present = _matrix(allr.assign(p=True), "p", ids, t0, T, False, bool)
    aux = _matrix(allr, "a", ids, t0, T, np.nan, float)
    fl, bl, cl = (_matrix(cur, n, ids, t0, T, 1.0, float) for n in LINKS)
    _passes(val, mark, present, fl, bl, cl, aux)
    iu, it = ids.get_indexer(cur["id"]), cur["t"].to_numpy() - t0
    out = df.reset_index(drop=True).copy()
    out["imputed"] = val[iu, it]
    out["marker"] = pd.Series(mark[iu, it]).replace("", None).to_numpy()
    for c in ("forward", "backward", "construction", "count_forward", "count_backward", "count_construction"):
        out[c] = cur[c].to_numpy()
    for c in ("count_forward", "count_backward", "count_construction"):
        out[c] = out[c].astype("Int64")
    return out
