"""Target tracking from the adjustment runs: one forecast path for the CLI (``iip target``) and the web tracker.

Both read the regARIMA forecasts stored by the series' latest adjustment run (``iip sa --all``: the same model,
options and forecast horizon as every other run) and simulate :data:`N_SIMS` paths with
:func:`iip.seasonal.target.target_path`. Only when no run is stored for the series as it is now (never adjusted,
the compile changed it since, or ``--as-of`` / ``--input`` asks for other data) does the CLI fit the model
itself, with the batch's own options (:func:`iip.seasonal.batch.adjust_one`), so the figures are the ones a
stored run would give. Method: docs/methods/seasonal.md ("Forecasts and target tracking").
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from iip.errors import MethodError, NotFoundError
from iip.seasonal.target import target_path

#: Simulated forecast paths per target (CLI and web alike).
N_SIMS = 20000


class NotAdjustedError(NotFoundError):
    """No seasonal adjustment stored for the series: run ``iip sa --all`` first (HTTP 404)."""


@dataclass
class Adjustment:
    """A series' adjustment: levels (period, value, sa, trend), forecasts (period, forecast, lower, upper), the
    transform X-13 chose (log | none), the stored run id (None: fitted now) and the input hash."""

    series: pd.DataFrame
    forecast: pd.DataFrame
    transform: str | None
    run_id: int | None = None
    input_sha256: str | None = None

    @property
    def log(self) -> bool:
        return self.transform == "log"


def stored(con: duckdb.DuckDBPyConnection, *, indicator: str, area: str, node: str,
           source: str = "compiled") -> Adjustment | None:
    """The latest successful stored run of one series, or None."""
    try:
        row = con.execute("SELECT max(run_id) FROM sa_runs WHERE status = 'ok' AND source = ? AND indicator = ? "
                          "AND area = ? AND node = ?", [source, indicator, area, node]).fetchone()
    except duckdb.CatalogException:   # a store older than the seasonal tables, opened read-only
        return None
    if not row or row[0] is None:
        return None
    rid = int(row[0])
    s = con.execute("SELECT period, value, sa, trend FROM sa_series WHERE run_id = ? ORDER BY period", [rid]).df()
    f = con.execute("SELECT period, forecast, lower, upper FROM sa_forecasts WHERE run_id = ? ORDER BY period",
                    [rid]).df()
    transform, sha = con.execute("SELECT transform, input_sha256 FROM sa_runs WHERE run_id = ?", [rid]).fetchone() \
        or (None, None)
    return Adjustment(s, f, transform, rid, sha)


def require_stored(con: duckdb.DuckDBPyConnection, *, indicator: str, area: str, node: str) -> Adjustment:
    """The stored run, or :class:`NotAdjustedError` saying to run ``iip sa --all``."""
    adj = stored(con, indicator=indicator, area=area, node=node)
    if adj is None:
        raise NotAdjustedError(f"no seasonal adjustment stored for {indicator}/{area}/{node}: run `iip sa --all` "
                               "(`--everything` for series outside the release set); the tracker uses the "
                               "adjustment model's forecasts")
    return adj


def fit(df: pd.DataFrame, *, key: tuple[str, str, str, str], options: dict | None = None) -> Adjustment:
    """Fit the adjustment model now, with the options of the stored runs (the batch's ``adjust_one``);
    ``key``: (source, indicator, area, node) naming the series."""
    from iip.seasonal.batch import adjust_one, key_name

    o = adjust_one(key, df, options or {})
    if o.result is None:
        raise MethodError(f"cannot forecast {key_name(key)}: {o.message}")
    s = o.result.series
    return Adjustment(s[["period", "value", "sa", "trend"]], o.result.forecast, o.result.report["model"]["transform"],
                      None, o.input_sha256)


def default_year(series: pd.DataFrame) -> int:
    """The year being forecast: the next one when the data end in December."""
    last = str(series["period"].max())
    return int(last[:4]) + 1 if last.endswith("-12") else int(last[:4])


def track(adj: Adjustment, *, year: int | None, target: float, n_sims: int = N_SIMS) -> dict:
    """Growth needed in the rest of ``year`` to reach ``target`` percent and the chance of reaching it
    (:func:`iip.seasonal.target.target_path` on the adjustment's observed levels and forecasts)."""
    year = year or default_year(adj.series)
    res = target_path(adj.series[["period", "value"]], adj.forecast, year=year, target_pct=target, log=adj.log,
                      n_sims=n_sims)
    return {"run_id": adj.run_id, **res}
