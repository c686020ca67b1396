"""Target tracker: growth still needed in the rest of a year to reach an annual target, and the chance of
reaching it, from the stored regARIMA forecasts of the series' latest adjustment run -- the same forecasts and
simulations as ``iip target`` (:mod:`iip.seasonal.tracking`; method in docs/methods/seasonal.md)."""

from __future__ import annotations

import threading

import duckdb
import pandas as pd

from iip.errors import IIPError, NotFoundError, OptionError
from iip.seasonal import tracking
from iip.web.services.cache import WebCache
from iip.web.services.common import INDICATORS, check_areas, check_choice, check_nodes, records

N_SIMS = tracking.N_SIMS
NotAdjustedError = tracking.NotAdjustedError
_lock = threading.Lock()
_cache: dict[tuple, dict] = {}


def track(
    con: duckdb.DuckDBPyConnection,
    cache: WebCache,
    *,
    year: int | None,
    target: float,
    area: str = "VN",
    node: str = "TOTAL",
    indicator: str = "production",
) -> dict:
    """Observed months, forecasts and target_path's figures for one series and year (default: the forecast year)."""
    check_choice("indicator", indicator, INDICATORS)
    check_areas([area])
    check_nodes([node])
    if not -50 <= target <= 100:
        raise OptionError(f"target must be an annual growth in percent between -50 and 100 (got {target})")
    adj = tracking.require_stored(con, indicator=indicator, area=area, node=node)
    cell = {"indicator": [indicator], "area": [area], "node": [node], "value": [1.0]}
    check = cache.protect(con, pd.DataFrame(cell))
    if (check["obs_status"] == "c").any():
        raise NotFoundError(f"figures for {area}/{node} are confidential (disclosure control)")
    year = year or tracking.default_year(adj.series)
    key = (adj.run_id, year, round(target, 6))
    with _lock:
        hit = _cache.get(key)
    if hit is None:
        hit = _compute(adj, year=year, target=target)
        with _lock:
            _cache[key] = hit
    return {"indicator": indicator, "area": area, "node": node, **hit}


def _compute(adj: tracking.Adjustment, *, year: int, target: float) -> dict:
    s, f = adj.series, adj.forecast
    try:
        res = tracking.track(adj, year=year, target=target, n_sims=N_SIMS)
    except IIPError as exc:
        raise OptionError(f"cannot track {year}: {exc}") from None
    prev = s[s["period"].str[:4] == str(year - 1)][["period", "value"]]
    obs = s[s["period"].str[:4] == str(year)][["period", "value"]]
    fc = f[f["period"].str[:4] == str(year)]
    fc = fc[~fc["period"].isin(obs["period"])]
    needed = None
    if res.get("required_avg_yoy_pct") is not None:
        rest = prev[~prev["period"].str[5:].isin(obs["period"].str[5:])]
        needed = [
            {"period": f"{year}-{p[5:]}", "value": v * (1 + res["required_avg_yoy_pct"] / 100)}
            for p, v in zip(rest["period"], rest["value"])
        ]
    return {
        **res,
        "previous_year": records(prev),
        "observed": records(obs),
        "forecast": records(fc),
        "needed": needed,
    }
