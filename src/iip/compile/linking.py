"""Chain-linking fixed-base segments and re-referencing (docs/methods/linking.md).

Base years b1 < b2 < ... each give a fixed-base index over every month. Segment k (weights of b_k) is used
from January of b_k + 1 (from the start of the data for k = 1) to December of b_{k+1}. At the overlap year
b_{k+1} the new segment is scaled so that its annual mean equals the linked series' annual mean of that year
(annual-overlap linking):  L(t) = I_k(t) * mean_{b_k}(L) / mean_{b_k}(I_k)  for t in segment k.
Re-referencing multiplies a whole series by 100 / mean_R(L): every growth rate is unchanged.
Arrays are [..., month]; the functions work on any leading shape.
"""
from __future__ import annotations

import numpy as np


def segment_columns(periods: list[str], base_years: list[int]) -> dict[int, np.ndarray]:
    """Boolean month masks of the months covered by each base year's weights."""
    years = sorted(base_years)
    yr = np.array([int(p[:4]) for p in periods])
    out = {}
    for k, b in enumerate(years):
        lo = -10**9 if k == 0 else b + 1
        hi = 10**9 if k == len(years) - 1 else years[k + 1]
        out[b] = (yr >= lo) & (yr <= hi)
    return out


def year_mean(x: np.ndarray, periods: list[str], year: int) -> np.ndarray:
    """Mean over the 12 months of ``year`` (NaN unless all 12 are present)."""
    cols = np.array([p.startswith(f"{year}-") for p in periods])
    if cols.sum() < 12:
        return np.full(x.shape[:-1], np.nan)
    return x[..., cols].mean(axis=-1)


def chain_link(fixed: dict[int, np.ndarray], periods: list[str]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Link fixed-base indices ``fixed[b]`` into one continuous series.

    Returns the linked array and, per base year, the factor applied to that segment (shape without the month
    axis). A series absent from the previous segment starts fresh (factor 1).
    """
    years = sorted(fixed)
    seg = segment_columns(periods, years)
    linked = np.empty(fixed[years[0]].shape)    # the segments partition the months: every cell is set below
    factors: dict[int, np.ndarray] = {}
    for k, b in enumerate(years):
        cur = fixed[b]
        if k == 0:
            f = np.ones(cur.shape[:-1])
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                f = year_mean(linked, periods, b) / year_mean(cur, periods, b)
            f = np.where(np.isfinite(f) & (f > 0), f, 1.0)
        factors[b] = f
        months = np.flatnonzero(seg[b])
        span = slice(months[0], months[-1] + 1)   # a segment is a run of consecutive months
        np.multiply(cur[..., span], f[..., None], out=linked[..., span])
    return linked, factors


def rereference(linked: np.ndarray, periods: list[str], year: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale each series so that its mean over ``year`` is 100; series without a full ``year`` are unchanged.
    Returns the re-referenced array and the factor applied per series."""
    with np.errstate(divide="ignore", invalid="ignore"):
        f = 100.0 / year_mean(linked, periods, year)
    f = np.where(np.isfinite(f) & (f > 0), f, 1.0)
    return linked * f[..., None], f
