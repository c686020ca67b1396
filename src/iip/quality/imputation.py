"""Ratio-of-means imputation with forward, backward and construction links (ONS Statistical Method
Specifications: general imputation + ratio of means). Method page: docs/methods/imputation.md.

For group g and period p, over matched pairs (responders in g in both periods):

* forward link   f(g,p) = sum x_p / sum x_{p-1}
* backward link  b(g,p) = sum x_p / sum x_{p+1}
* construction   c(g,p) = sum x_p / sum a_p        (responders in p, a = auxiliary variable)

with count n = number of pairs; a zero denominator gives link 1, count 0. Where group g has no pairs in p the
link of the ``fallback_group`` (e.g. the product nationally) is used when given, else ``default_link`` (1, as
the ONS method; None: no link, so nothing is imputed from it) with a null count. Imputes in precedence order:
FIR = f * (previous R or FIR value); BI = b * (next R or BI value); C = c * a for the earliest period of a run of
non-response that neither could fill; FIC = f * (previous C or FIC value). Chains break where a contributor has
no record (not sampled) in a period.

The method is pure (a DataFrame in, a DataFrame out) and works on dense [contributor x period] arrays.
"""
from __future__ import annotations

from enum import Enum

import numpy as np
import pandas as pd

from iip.errors import ValidationError
from iip.reference.periods import month_numbers


class Marker(str, Enum):
    """Where a value comes from (the ONS Statistical Methods Library's markers), stored as its code."""

    RESPONSE = "R"                                  #: returned by the contributor
    FORWARD_IMPUTE_FROM_RESPONSE = "FIR"            #: forward link x the previous response (or FIR value)
    BACKWARD_IMPUTE = "BI"                          #: backward link x the next response (or BI value)
    CONSTRUCTED = "C"                               #: construction link x the auxiliary variable
    FORWARD_IMPUTE_FROM_CONSTRUCTION = "FIC"        #: forward link x the previous C (or FIC) value
    MANUAL_CONSTRUCTION = "MC"                      #: set by a statistician (reserved: not produced here)
    FORWARD_IMPUTE_FROM_MANUAL_CONSTRUCTION = "FIMC"  #: forward from an MC value (reserved)

    def __str__(self) -> str:
        return self.value


#: The codes of the markers, in order (R first).
MARKERS = tuple(m.value for m in Marker)
#: The markers of imputed values (every marker but R).
IMPUTED = tuple(m for m in MARKERS if m != Marker.RESPONSE.value)
LINKS = ("forward", "backward", "construction")
COUNTS = tuple(f"count_{name}" for name in LINKS)
#: Marker codes inside the arrays (0: no value yet).
_CODES = {"": 0, "R": 1, "FIR": 2, "BI": 3, "C": 4, "FIC": 5}
_NONE, _R, _FIR, _BI, _C, _FIC = range(6)
_TEXT = np.array(["", "R", "FIR", "BI", "C", "FIC"], dtype=object)


def _ordinal(period: pd.Series) -> np.ndarray:
    """'YYYY-MM' (or 'YYYYMM', or already a month number) -> month number 12 * year + month - 1."""
    if pd.api.types.is_integer_dtype(period.dtype):
        return period.to_numpy(dtype=np.int64)
    s = period.astype(str).str.replace("-", "", regex=False)
    return month_numbers(s.str[:4] + "-" + s.str[4:6])


class _Grid:
    """Contributors x periods: value, marker, presence, group and auxiliary as dense arrays."""

    def __init__(self, ids: np.ndarray, t: np.ndarray, n_ids: int, t0: int, n_t: int):
        self.t0, self.n_t = t0, n_t
        self.row, self.col = ids, t - t0
        self.val = np.full((n_ids, n_t), np.nan)
        self.aux = np.full((n_ids, n_t), np.nan)
        self.mark = np.zeros((n_ids, n_t), dtype=np.int8)
        self.present = np.zeros((n_ids, n_t), dtype=bool)
        self.group = np.full((n_ids, n_t), -1, dtype=np.int64)

    def put(self, rows, cols, *, val, aux, mark, group) -> None:
        self.val[rows, cols], self.aux[rows, cols], self.mark[rows, cols] = val, aux, mark
        self.present[rows, cols], self.group[rows, cols] = True, group


def _group_links(g: _Grid, groups: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    """Links and counts per (group, period) from the responders of ``g`` under the group codes ``groups``
    [id, t]: arrays [n_groups, n_t]; counts are NaN where a group has no pairs (or responders)."""
    resp = g.present & (g.mark == _R) & np.isfinite(g.val)
    size = n_groups * g.n_t
    out: dict[str, np.ndarray] = {}
    for name, shift in (("forward", 1), ("backward", -1)):
        cur = resp.copy()
        other = np.zeros_like(resp)
        if shift == 1:
            other[:, 1:] = resp[:, :-1] & (groups[:, 1:] == groups[:, :-1])
        else:
            other[:, :-1] = resp[:, 1:] & (groups[:, :-1] == groups[:, 1:])
        pair = cur & other
        i, t = np.nonzero(pair)
        key = groups[i, t] * g.n_t + t
        num = np.bincount(key, weights=g.val[i, t], minlength=size)
        den = np.bincount(key, weights=g.val[i, t - shift], minlength=size)
        n = np.bincount(key, minlength=size).astype(float)
        out[name], out[f"count_{name}"] = _link(num, den, n)
    i, t = np.nonzero(resp & np.isfinite(g.aux))
    key = groups[i, t] * g.n_t + t
    num = np.bincount(key, weights=g.val[i, t], minlength=size)
    den = np.bincount(key, weights=g.aux[i, t], minlength=size)
    n = np.bincount(key, minlength=size).astype(float)
    out["construction"], out["count_construction"] = _link(num, den, n)
    return {k: v.reshape(n_groups, g.n_t) for k, v in out.items()}


def _link(num: np.ndarray, den: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """l = num / den with count n; den = 0 gives l = 1 and count 0; no pairs gives NaN link and count."""
    with np.errstate(divide="ignore", invalid="ignore"):
        link = np.where(den == 0, 1.0, num / np.where(den == 0, 1.0, den))
    count = np.where(den == 0, 0.0, n)
    none = n == 0
    return np.where(none, np.nan, link), np.where(none, np.nan, count)


def _cell_links(g: _Grid, groups: np.ndarray, n_groups: int, fallback: np.ndarray | None, n_fallback: int,
                default_link: float | None) -> dict[str, np.ndarray]:
    """Each contributor x period's links and counts [id, t]: its group's, else its fallback group's, else the
    default link (count NaN)."""
    fine = _group_links(g, groups, n_groups)
    coarse = _group_links(g, fallback, n_fallback) if fallback is not None else None
    t = np.broadcast_to(np.arange(g.n_t), groups.shape)
    has = groups >= 0
    out = {}
    for name in LINKS:
        cnt = np.where(has, fine[f"count_{name}"][np.maximum(groups, 0), t], np.nan)
        link = np.where(has, fine[name][np.maximum(groups, 0), t], np.nan)
        if coarse is not None and fallback is not None:
            use = np.isnan(cnt) & (fallback >= 0)
            link = np.where(use, coarse[name][np.maximum(fallback, 0), t], link)
            cnt = np.where(use, coarse[f"count_{name}"][np.maximum(fallback, 0), t], cnt)
        if default_link is not None:
            link = np.where(np.isnan(cnt), default_link, link)
        out[name], out[f"count_{name}"] = link, cnt
    return out


def _passes(g: _Grid, fl: np.ndarray, bl: np.ndarray, cl: np.ndarray) -> None:
    """Fill ``g.val``/``g.mark`` in place: forward from response, backward, construction (+ forward from it).
    A link that is NaN (no donors and no default) imputes nothing."""
    val, mark, present, aux = g.val, g.mark, g.present, g.aux
    for t in range(1, g.n_t):  # FIR
        m = (present[:, t] & (mark[:, t] == _NONE) & present[:, t - 1]
             & ((mark[:, t - 1] == _R) | (mark[:, t - 1] == _FIR)) & np.isfinite(fl[:, t]))
        val[m, t], mark[m, t] = val[m, t - 1] * fl[m, t], _FIR
    for t in range(g.n_t - 2, -1, -1):  # BI
        m = (present[:, t] & (mark[:, t] == _NONE) & present[:, t + 1]
             & ((mark[:, t + 1] == _R) | (mark[:, t + 1] == _BI)) & np.isfinite(bl[:, t]))
        val[m, t], mark[m, t] = val[m, t + 1] * bl[m, t], _BI
    for t in range(g.n_t):  # C at the start of a run, FIC after it
        todo = present[:, t] & (mark[:, t] == _NONE)
        fic = todo & np.isfinite(fl[:, t]) & (((mark[:, t - 1] == _C) | (mark[:, t - 1] == _FIC))
                                              & present[:, t - 1] if t else False)
        val[fic, t], mark[fic, t] = val[fic, t - 1] * fl[fic, t], _FIC
        c = todo & ~fic & np.isfinite(aux[:, t]) & np.isfinite(cl[:, t])
        val[c, t], mark[c, t] = aux[c, t] * cl[c, t], _C


def _frame(df: pd.DataFrame, *, id: str, period: str, group: str, target: str, auxiliary: str,
           fallback_group: str | None) -> pd.DataFrame:
    out = pd.DataFrame({"id": df[id].to_numpy(), "t": _ordinal(df[period]), "group": df[group].to_numpy(),
                        "x": pd.to_numeric(df[target]).to_numpy(dtype=float),
                        "a": pd.to_numeric(df[auxiliary]).to_numpy(dtype=float)})
    if fallback_group is not None:
        out["fallback"] = df[fallback_group].to_numpy()
    return out


def _empty(df: pd.DataFrame) -> pd.DataFrame:
    out = df.iloc[:0].copy()
    for c in ("imputed", "marker", *LINKS, *COUNTS):
        out[c] = pd.Series(dtype=object if c == "marker" else float)
    return out


def ratio_of_means(df: pd.DataFrame, *, id: str = "id", period: str = "period", group: str = "group",
                   target: str = "target", auxiliary: str = "auxiliary", back_data: pd.DataFrame | None = None,
                   marker: str = "marker", fallback_group: str | None = None,
                   default_link: float | None = 1.0) -> pd.DataFrame:
    """Impute null ``target`` values of ``df`` (one record per contributor x period; a missing record means not
    sampled). ``back_data`` (same columns plus ``marker``; imputed values in ``target``) holds the period
    before the first one: it seeds chains and links and is not output. ``fallback_group``: a column of coarser
    groups whose links serve where a group has no pairs; ``default_link``: the link where neither has any
    (None: leave such values unimputed). ``period`` may be 'YYYY-MM' text or month numbers.

    Returns df's rows with ``imputed`` (the value), ``marker`` (a :class:`Marker` code: R, FIR, BI, C, FIC;
    null when nothing could be imputed), links forward/backward/construction and count_forward/count_backward/
    count_construction (null where the link is a default)."""
    cur = _frame(df, id=id, period=period, group=group, target=target, auxiliary=auxiliary,
                 fallback_group=fallback_group)
    if cur.empty:
        return _empty(df)
    cur["mark"] = np.where(cur["x"].notna(), _R, _NONE).astype(np.int8)
    first = int(cur["t"].min())
    allr = cur
    if back_data is not None and len(back_data):
        back = _frame(back_data, id=id, period=period, group=group, target=target, auxiliary=auxiliary,
                      fallback_group=fallback_group)
        back["mark"] = back_data[marker].fillna("").astype(str).map(_CODES).fillna(_NONE).astype(np.int8).to_numpy()
        allr = pd.concat([back[back["t"] == first - 1], cur], ignore_index=True)
    id_codes, ids = pd.factorize(allr["id"].to_numpy())
    t0 = int(allr["t"].min())
    n_t = int(allr["t"].max()) - t0 + 1
    cells = id_codes[len(allr) - len(cur):] * n_t + (cur["t"].to_numpy() - t0)
    if np.bincount(cells, minlength=len(ids) * n_t).max(initial=0) > 1:
        raise ValidationError.one("more than one record per contributor and period", rule="duplicate_key",
                                  field=id)
    g = _Grid(id_codes, allr["t"].to_numpy(), len(ids), t0, n_t)
    gcodes, gcats = pd.factorize(allr["group"].to_numpy())
    g.put(g.row, g.col, val=allr["x"].to_numpy(), aux=allr["a"].to_numpy(), mark=allr["mark"].to_numpy(),
          group=gcodes)
    fb, n_fb = None, 0
    if fallback_group is not None:
        fcodes, fcats = pd.factorize(allr["fallback"].to_numpy())
        fb = np.full(g.group.shape, -1, dtype=np.int64)
        fb[g.row, g.col] = fcodes
        n_fb = len(fcats)
    lk = _cell_links(g, g.group, len(gcats), fb, n_fb, default_link)
    _passes(g, lk["forward"], lk["backward"], lk["construction"])
    r, c = g.row[len(allr) - len(cur):], g.col[len(allr) - len(cur):]
    out = df.reset_index(drop=True).copy()
    out["imputed"] = g.val[r, c]
    out["marker"] = pd.Series(_TEXT[g.mark[r, c]]).replace("", None).to_numpy()
    for name in LINKS:
        out[name] = lk[name][r, c]
    for name in COUNTS:
        v = lk[name][r, c]
        none = np.isnan(v)
        out[name] = pd.arrays.IntegerArray(np.where(none, 0, v).astype(np.int64), none)
    return out
