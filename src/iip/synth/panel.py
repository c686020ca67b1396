"""Monthly quantities, stocks, employment and base-year weights for the product lines of the register.

Raw line path q(l,t) = v(l)/(12 P) x D(d,t) x S(prov,d,t) x trend(l,t) x noise(l,t) x active(l,t), where
D is the calibrated division target (calibration.py), S the regional COVID factor, trend a per-enterprise
drift plus an AR(1) walk, noise lognormal. Then every line of division d in month t is scaled by one factor
r(d,t) so that the national value sum_l P q(l,t) follows D(d,t) exactly (at 2020 prices).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from iip.synth import catalogue as cat
from iip.synth.calendar import monthly_factors
from iip.synth.calibration import target_path
from iip.synth.geography import MEKONG

# Regional COVID factors: period -> {province or group: factor on labour-intensive output}.
_SOUTH_LOCK = {"79": 0.55, "74": 0.55, "75": 0.6, "80": 0.6, "72": 0.75, "70": 0.8, "77": 0.85, "MEKONG": 0.8}
COVID = {
    "2020-04": {"01": 0.92, "79": 0.92},
    "2020-08": {"48": 0.85, "49": 0.9},
    "2021-02": {"30": 0.8, "22": 0.95},
    "2021-05": {"24": 0.75, "27": 0.85},
    "2021-06": {"24": 0.6, "27": 0.8, "79": 0.95},
    "2021-07": {"24": 0.9, "79": 0.75, "74": 0.75, "75": 0.8, "80": 0.8, "72": 0.85, "77": 0.9, "MEKONG": 0.88},
    "2021-08": {**_SOUTH_LOCK, "01": 0.93},
    "2021-09": {**_SOUTH_LOCK, "01": 0.95},
    "2021-10": {"79": 0.8, "74": 0.8, "75": 0.85, "80": 0.85, "72": 0.9, "MEKONG": 0.92},
    "2021-11": {"79": 0.93, "74": 0.93, "75": 0.95, "80": 0.95},
}


def covid_factors(provinces: np.ndarray, sensitivity: np.ndarray, periods: list[str]) -> np.ndarray:
    """S(l,t) = 1 - sensitivity(l) x (1 - s(province(l), t)), s from the COVID table (1 when not listed)."""
    out = np.ones((len(provinces), len(periods)))
    for j, p in enumerate(periods):
        table = COVID.get(p)
        if not table:
            continue
        s = np.array([table.get(c, table.get("MEKONG", 1.0) if c in MEKONG else 1.0) for c in provinces])
        out[:, j] = 1.0 - sensitivity * (1.0 - s)
    return out


def activity(start: np.ndarray, end: np.ndarray, periods: list[str]) -> np.ndarray:
    """active(l,t) in [0, 1]: 0 before start and after end, a 4-month linear ramp-up after a start."""
    idx = {p: i for i, p in enumerate(periods)}
    t = np.arange(len(periods))[None, :]
    s = np.array([-10**6 if not isinstance(x, str) or x < periods[0] else idx.get(x, 10**6) for x in start])
    e = np.array([10**6 if not isinstance(x, str) or x > periods[-1] else idx.get(x, -1) for x in end])
    s, e = s[:, None], e[:, None]
    ramp = np.clip((t - s + 1) / 4.0, 0.0, 1.0)
    return np.where((t >= s) & (t <= e), ramp, 0.0)


def trends(n_ent: int, ent_of_line: np.ndarray, n_months: int, ref: int, rng: np.random.Generator) -> np.ndarray:
    """exp(g(e) (t - ref)/12 + a(l,t)): enterprise drift g ~ N(0, 0.04), AR(1) a with phi 0.85, sd 0.035."""
    g = rng.normal(0.0, 0.04, n_ent)[ent_of_line]
    eps = rng.normal(0.0, 0.035, (len(ent_of_line), n_months))
    a = np.empty_like(eps)
    a[:, 0] = eps[:, 0] / np.sqrt(1 - 0.85**2)
    for t in range(1, n_months):
        a[:, t] = 0.85 * a[:, t - 1] + eps[:, t]
    return np.exp(g[:, None] * (np.arange(n_months)[None, :] - ref) / 12.0 + a)


def quantities(lines: pd.DataFrame, reg: pd.DataFrame, products: pd.DataFrame, periods: list[str],
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Calibrated monthly quantities Q (lines x months), the activity mask and the trend matrix."""
    pv = products.set_index("product_code")
    price = pv.loc[lines["product_code"], "price"].to_numpy()
    ent = lines["enterprise"].to_numpy()
    div = reg["division"].to_numpy()[ent]
    prov = reg["province"].to_numpy()[ent]
    params = {d: cat.division_params(d) for d in np.unique(div)}
    sens = np.array([params[d][3] for d in div])
    ref = [i for i, p in enumerate(periods) if p.startswith("2020-")]
    act = activity(reg["start"].to_numpy()[ent], reg["end"].to_numpy()[ent], periods)
    tr = trends(len(reg), ent, len(periods), ref[0], rng)
    sigma = np.where(np.isin(div, ["35", "36", "37", "38", "39"]), 0.02, 0.05)
    noise = np.exp(rng.normal(0.0, 1.0, tr.shape) * sigma[:, None])
    q = (lines["value"].to_numpy() / (12.0 * price))[:, None] * tr * noise * act
    q *= covid_factors(prov, sens, periods)
    for d in np.unique(div):
        rows = div == d
        profile = params[d][2]
        cal = monthly_factors(periods[0], periods[-1], profile)
        target = target_path(d, periods, cal, profile)
        agg = (q[rows] * price[rows, None]).sum(axis=0)
        level = agg[ref].mean() / target[ref].mean()
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(agg > 0, level * target / agg, 0.0)
        q[rows] *= r[None, :]
    return q, act, tr


def stocks(q: np.ndarray, act: np.ndarray, storable: np.ndarray, rng: np.random.Generator):
    """sold and closing stock with closing(t) = closing(t-1) + produced(t) - sold(t) >= 0.

    sold = produced x exp(N(0, 0.06)) + 0.3 (opening - k produced), clipped to [0, opening + produced];
    k ~ U(0.2, 1.0) x the division's stock ratio; non-storable lines sell what they produce.
    """
    n, m = q.shape
    k = rng.uniform(0.2, 1.0, n) * storable
    eps = np.exp(rng.normal(0.0, 0.06, (n, m)))
    sold = np.empty_like(q)
    close = np.empty_like(q)
    opening = k * q[:, 0]
    for t in range(m):
        alive = act[:, t] > 0
        opening = np.where(alive, opening, 0.0)
        s = q[:, t] * eps[:, t] + 0.3 * (opening - k * q[:, t])
        s = np.clip(s, 0.0, opening + q[:, t])
        s = np.where(k > 0, s, q[:, t])
        sold[:, t] = s
        close[:, t] = np.where(k > 0, opening + q[:, t] - s, 0.0)
        opening = close[:, t]
    return sold, close


def employment(reg: pd.DataFrame, lines: pd.DataFrame, tr: np.ndarray, act: np.ndarray, periods: list[str],
               rng: np.random.Generator) -> np.ndarray:
    """Employees on the 1st of each month (enterprises x months): output/productivity x trend^0.4 x
    COVID^0.5, integer >= 1, 0 when inactive."""
    ent = lines["enterprise"].to_numpy()
    value = np.bincount(ent, weights=lines["value"].to_numpy(), minlength=len(reg))
    prod = np.array([cat.division_params(d)[5] for d in reg["division"]], dtype=float)
    base = np.maximum(value / prod * rng.lognormal(0.0, 0.3, len(reg)), 5.0)
    first_line = np.unique(ent, return_index=True)[1]
    t = tr[first_line] ** 0.4
    sens = np.array([cat.division_params(d)[3] for d in reg["division"]])
    cov = covid_factors(reg["province"].to_numpy(), sens, periods) ** 0.5
    act_e = act[first_line]
    emp = base[:, None] * t * cov * (1 + rng.normal(0, 0.01, t.shape))
    return np.where(act_e > 0, np.maximum(np.rint(emp), 1.0), 0.0)


def weights(lines: pd.DataFrame, reg: pd.DataFrame, products: pd.DataFrame, q: np.ndarray,
            periods: list[str], base_years: list[int], rng: np.random.Generator) -> pd.DataFrame:
    """Base-year weights: product value = sum of base-year quantity x base-year price by (product, province);
    industry value = value-added ratio x output value by (class, province). A cell without base-year output
    gets 12 x its mean monthly output while producing (at base-year prices), so every reported cell has one."""
    pv = products.set_index("product_code")
    ent = lines["enterprise"].to_numpy()
    cells = pd.DataFrame({"code": lines["product_code"].to_numpy(), "province": reg["province"].to_numpy()[ent]})
    relprice = pd.Series(rng.lognormal(0.0, 0.12, len(pv)) * 0.9, index=pv.index)
    out = []
    for b in base_years:
        price = pv["price"] if b == 2020 else pv["price"] * relprice
        pl = price.loc[cells["code"]].to_numpy()
        cols = [i for i, p in enumerate(periods) if p.startswith(f"{b}-")]
        val = q[:, cols].sum(axis=1) * pl
        pos = q > 0
        fallback = 12 * (q * pos).sum(axis=1) / np.maximum(pos.sum(axis=1), 1) * pl
        c = cells.assign(value=val, fallback=fallback)
        g = c.groupby(["code", "province"], sort=True)[["value", "fallback"]].sum().reset_index()
        g["value"] = np.where(g["value"] > 0, g["value"], g["fallback"])
        g["vsic"] = pv.loc[g["code"], "vsic"].to_numpy()
        va = np.array([cat.division_params(v[:2])[1] for v in g["vsic"]])
        ind = (g.assign(value=g["value"] * va).groupby(["vsic", "province"], sort=True)["value"].sum()
               .reset_index().rename(columns={"vsic": "code"}))
        out.append(g[["code", "province", "value"]].assign(kind="product", base_year=b))
        out.append(ind.assign(kind="industry", base_year=b))
    w = pd.concat(out, ignore_index=True)[["kind", "code", "province", "base_year", "value"]]
    w["value"] = w["value"].round(3)
    return w
