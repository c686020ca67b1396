"""Division target paths whose year-on-year change equals GSO's published division yoy.

Published yoy y(d,t) (ratio, 1.05 = +5%) are read from the package file ``iip/data/gso_published_national.csv``
(columns indicator,node,period,measure,value,release; latest release wins). A division without its own figure
for a month borrows its section's, then TOTAL's; without the file a smooth fallback growth is used.

Target D(d,t) = C(d,t) x T(d,t): calendar factor C (working days, Tet) times an underlying level T with
T(t) = T(t-12) x y(d,t) x C(t-12) / C(t), so that D(t) / D(t-12) = y(d,t) exactly, except January and
February, which are calibrated together (their two-month yoy) and split by the calendar model, because the
published monthly Jan/Feb figures mostly reflect where Tet fell. The first 12 months of T
are a smooth trend. For months without a published figure T grows at the fallback rate (T(t) = T(t-12) x y),
so the calendar (Tet) effect stays in C.
"""
from __future__ import annotations

import csv
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

from iip.reference import section_of

FALLBACK_LAST = "2022-12"
# Fallback annual growth by division when the published file is absent.
FALLBACK_GROWTH = {"05": 0.01, "06": -0.06, "19": 0.15, "24": 0.10, "26": 0.12, "27": 0.10, "29": 0.08,
                   "35": 0.08, "36": 0.06}
# Fallback national COVID shocks (multiplier on yoy) by month.
FALLBACK_SHOCKS = {"2020-04": 0.9, "2021-07": 0.97, "2021-08": 0.93, "2021-09": 0.94, "2021-10": 0.98}



def _published_path():
    return resources.files("iip") / "data" / "gso_published_national.csv"


@lru_cache(maxsize=1)
def published_yoy() -> pd.DataFrame | None:
    """Monthly production yoy as ratios: index period 'YYYY-MM', one column per node; None without the file."""
    path = _published_path()
    if not path.is_file():
        return None
    df = pd.read_csv(path, dtype={"node": str, "period": str, "release": str})
    df = df[df["measure"].astype(str).str.lower() == "yoy"]
    ind = df["indicator"].astype(str).str.lower()
    prod = ind.str.contains("prod") | ind.str.contains("iip")
    df = df[prod] if prod.any() else df
    df = df.dropna(subset=["value"]).sort_values(["period", "node", "release"])
    df = df.drop_duplicates(["node", "period"], keep="last")
    if df.empty:
        return None
    wide = df.pivot(index="period", columns="node", values="value").astype(float)
    if np.nanmedian(wide.to_numpy()) > 10:  # GSO's 100-based form
        wide = wide / 100.0
    return wide.clip(lower=0.2, upper=5.0)


def last_calibrated_period() -> str:
    """The last month of the published file (read with the csv module, so importing stays cheap)."""
    path = _published_path()
    if not path.is_file():
        return FALLBACK_LAST
    with path.open(encoding="utf-8") as f:
        periods = [r["period"] for r in csv.DictReader(f) if r.get("period") and len(r["period"]) == 7]
    return max(periods) if periods else FALLBACK_LAST


def yoy_series(division: str, periods: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Target yoy ratio of ``division`` for each period: own figure, else section's, else TOTAL's, else
    the fallback growth (with the national COVID shocks); and a mask of the periods with a published figure.
    Published yoy include calendar effects; the fallback is growth of the underlying level T."""
    pub = published_yoy()
    g = 1.0 + FALLBACK_GROWTH.get(division, 0.07)
    out = np.array([g * FALLBACK_SHOCKS.get(p, 1.0) for p in periods])
    found = np.zeros(len(periods), dtype=bool)
    if pub is None:
        return out, found
    for node in ("TOTAL", section_of(division), division):
        if node in pub.columns:
            s = pub[node].reindex(periods).to_numpy()
            out = np.where(np.isnan(s), out, s)
            found |= ~np.isnan(s)
    return out, found


SEASONAL = {  # underlying within-year pattern of the first year (before calendar effects)
    "utility": np.array([0.94, 0.93, 0.98, 1.02, 1.06, 1.07, 1.07, 1.05, 1.0, 0.98, 0.95, 0.95]),
    "default": np.array([0.96, 0.97, 0.99, 0.99, 1.0, 1.0, 1.0, 1.01, 1.01, 1.02, 1.02, 1.03]),
}


def _moving_average(x: np.ndarray) -> np.ndarray:
    """Centred 2x12 moving average (NaN at the six months of each end)."""
    k = np.r_[0.5, np.ones(11), 0.5] / 12.0
    out = np.full(len(x), np.nan)
    if len(x) >= 13:
        out[6:-6] = np.convolve(x, k, mode="valid")
    return out


def refit_season(t_level: np.ndarray, first_month: int, season: np.ndarray, *, rounds: int = 3) -> np.ndarray:
    """Rescale each calendar month of T by one factor so that, averaged over the years, T / MA12(T) has the
    intended ``season``. The yoy of every month is unchanged; what changes is the month pattern of the
    starting year, which otherwise would be an arbitrary assumption carried into every later year."""
    moy = (first_month + np.arange(len(t_level))) % 12
    t = t_level.copy()
    for _ in range(rounds):
        ratio = np.log(t) - np.log(_moving_average(t))
        ok = ~np.isnan(ratio)
        if ok.sum() < 24:
            return t
        gap = np.array([np.mean(ratio[ok & (moy == m)]) if (ok & (moy == m)).any() else np.log(season[m])
                        for m in range(12)]) - np.log(season)
        t = t * np.exp(-(gap - gap.mean()))[moy]
    return t


def _pair_jan_feb(t_level: np.ndarray, calendar: np.ndarray, y: np.ndarray, i: int) -> tuple[float, float]:
    """January and February (index i) together: D(Jan)+D(Feb) = yJan D(Jan-12) + yFeb D(Feb-12) (the
    published two-month growth) while T(Jan)/T(Feb) keeps last year's ratio, so the Jan/Feb split comes from
    the calendar (Tet) model, not from the published monthly figures."""
    prev_j = calendar[i - 13] * t_level[i - 13]
    prev_f = calendar[i - 12] * t_level[i - 12]
    combined = y[i - 1] * prev_j + y[i] * prev_f
    s = combined / (calendar[i - 1] * t_level[i - 13] + calendar[i] * t_level[i - 12])
    return t_level[i - 13] * s, t_level[i - 12] * s


def target_path(division: str, periods: list[str], calendar: np.ndarray, profile: str) -> np.ndarray:
    """D(d,t) = C(t) x T(t) with T(t) = T(t-12) x y(t) x C(t-12)/C(t) (published y) or T(t-12) x y(t)
    (fallback y), the starting-year month pattern refitted (:func:`refit_season`); mean of the first 12
    months = 1."""
    n = len(periods)
    y, published = yoy_series(division, periods)
    season = SEASONAL.get(profile, SEASONAL["default"])
    first_month = int(periods[0][5:7]) - 1
    g = 1.0 + FALLBACK_GROWTH.get(division, 0.07)
    t_level = np.empty(n)
    for i in range(min(12, n)):
        t_level[i] = season[(first_month + i) % 12] * g ** (i / 12.0)
    for i in range(12, n):
        shift = calendar[i - 12] / calendar[i] if published[i] else 1.0
        t_level[i] = t_level[i - 12] * y[i] * shift
        if periods[i][5:7] == "02" and i >= 13 and published[i] and published[i - 1]:
            t_level[i - 1], t_level[i] = _pair_jan_feb(t_level, calendar, y, i)
    t_level = refit_season(t_level, first_month, season)
    d = calendar * t_level
    return d / d[:12].mean()
