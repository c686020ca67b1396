"""Time series of compiled indices: raw (as compiled), seasonally adjusted or trend, any measure.

Raw measures come from ``indices``; sa / trend levels from ``sa_current`` (source 'compiled'), with
mom = 100 x(t)/x(t-1) and yoy = 100 x(t)/x(t-12) computed on the adjusted level. Every row passes through
disclosure control (services.disclosure.protect) before it leaves this module.
"""
from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from iip.errors import NotFoundError
from iip.web.errors import BadParameter
from iip.web.services import disclosure
from iip.web.services.common import (INDICATORS, KINDS, MEASURES, SA_MEASURES, check_areas, check_choice,
                                     check_nodes, check_range, relation_exists)

COLUMNS = ["indicator", "area", "node", "kind", "measure", "period", "value", "obs_status"]
RAW_VALUES = ["index", "mom", "yoy", "ytd", "contrib_yoy", "contrib_ytd", "contrib_total_yoy"]
MAX_SERIES = 60


@dataclass(frozen=True)
class SeriesQuery:
    indicator: str
    areas: tuple[str, ...]
    nodes: tuple[str, ...]
    measure: str = "index"
    kinds: tuple[str, ...] = ("raw",)
    start: str | None = None
    end: str | None = None

    def validate(self) -> "SeriesQuery":
        check_choice("indicator", self.indicator, INDICATORS)
        check_choice("measure", self.measure, MEASURES)
        for k in self.kinds:
            check_choice("kind", k, KINDS)
        if not self.areas or not self.nodes:
            raise BadParameter("give at least one area and one node")
        check_areas(list(self.areas))
        check_nodes(list(self.nodes))
        check_range(self.start, self.end)
        if any(k != "raw" for k in self.kinds) and self.measure not in SA_MEASURES:
            raise BadParameter(f"measure {self.measure} exists for kind raw only; sa and trend give "
                               + ", ".join(SA_MEASURES))
        n = len(self.areas) * len(self.nodes) * len(self.kinds)
        if n > MAX_SERIES:
            raise BadParameter(f"{n} series asked for: at most {MAX_SERIES} per request")
        return self


def _in(name: str, values) -> tuple[str, list]:
    return f"{name} IN ({', '.join('?' * len(values))})", list(values)


def _raw(con: duckdb.DuckDBPyConnection, q: SeriesQuery) -> pd.DataFrame:
    a_sql, a_par = _in("area", q.areas)
    n_sql, n_par = _in("node", q.nodes)
    sql = (f'SELECT indicator, area, node, period, "index", mom, yoy, ytd, contrib_yoy, contrib_ytd, '
           f"contrib_total_yoy FROM indices WHERE indicator = ? AND {a_sql} AND {n_sql}")
    par = [q.indicator, *a_par, *n_par]
    if q.start:
        sql, par = sql + " AND period >= ?", par + [q.start]
    if q.end:
        sql, par = sql + " AND period <= ?", par + [q.end]
    df = disclosure.protect(con, con.execute(sql + " ORDER BY area, node, period", par).df())
    out = df[["indicator", "area", "node", "period", q.measure, "obs_status"]].rename(columns={q.measure: "value"})
    return out.assign(kind="raw", measure=q.measure)


def _adjusted(con: duckdb.DuckDBPyConnection, q: SeriesQuery, kind: str) -> pd.DataFrame:
    if not relation_exists(con, "sa_current"):
        return pd.DataFrame(columns=COLUMNS)
    a_sql, a_par = _in("area", q.areas)
    n_sql, n_par = _in("node", q.nodes)
    df = con.execute(f"SELECT indicator, area, node, period, {kind} AS level FROM sa_current WHERE source = "
                     f"'compiled' AND indicator = ? AND {a_sql} AND {n_sql} ORDER BY area, node, period",
                     [q.indicator, *a_par, *n_par]).df()
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    lag = {"index": 0, "mom": 1, "yoy": 12}[q.measure]
    if lag:
        prev = df.groupby(["area", "node"])["level"].shift(lag)
        df["value"] = 100.0 * df["level"] / prev
    else:
        df["value"] = df["level"]
    if q.start:
        df = df[df["period"] >= q.start]
    if q.end:
        df = df[df["period"] <= q.end]
    df = disclosure.protect(con, df.drop(columns=["level"]).reset_index(drop=True))
    return df.assign(kind=kind, measure=q.measure)


def get_series(con: duckdb.DuckDBPyConnection, q: SeriesQuery) -> pd.DataFrame:
    """Tidy rows [indicator, area, node, kind, measure, period, value, obs_status]; 404 when nothing matches."""
    q.validate()
    parts = [_raw(con, q) if k == "raw" else _adjusted(con, q, k) for k in q.kinds]
    parts = [p for p in parts if not p.empty]
    if not parts:
        what = f"{q.indicator} {'/'.join(q.kinds)} for area {','.join(q.areas)}, node {','.join(q.nodes)}"
        hint = " (no seasonal adjustment stored: run `iip sa --all`)" if "raw" not in q.kinds else ""
        raise NotFoundError(f"no {what}" + (f" between {q.start or '...'} and {q.end or '...'}" if q.start or q.end
                                            else "") + hint)
    df = pd.concat(parts, ignore_index=True)[COLUMNS]
    df["value"] = df["value"].astype(float).replace([np.inf, -np.inf], np.nan)
    return df


def group(df: pd.DataFrame, names: dict[str, dict[str, str]] | None = None) -> list[dict]:
    """Tidy rows -> one dict per series {indicator, area, node, kind, measure, periods, values, obs_status}."""
    out = []
    for key, g in df.groupby(["indicator", "area", "node", "kind", "measure"], sort=False):
        vals = [None if v != v else round(float(v), 6) for v in g["value"].to_numpy()]
        d = dict(zip(("indicator", "area", "node", "kind", "measure"), key))
        if names:
            d["area_name"] = names.get("areas", {}).get(d["area"])
            d["node_name"] = names.get("nodes", {}).get(d["node"])
        d.update(periods=g["period"].tolist(), values=vals, obs_status=g["obs_status"].tolist())
        out.append(d)
    return out
