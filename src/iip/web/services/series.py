"""Time series of compiled indices: raw (as compiled), seasonally adjusted or trend, any measure.

Raw measures come from ``indices``; sa / trend levels from ``sa_current`` (source 'compiled'), with
mom = 100 x(t)/x(t-1) and yoy = 100 x(t)/x(t-12) computed on the adjusted level. Figures are read through
services.cache.WebCache, which applies disclosure control once per compile run; nothing leaves this module
without it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from iip.errors import NotFoundError, OptionError
from iip.measures import COVERAGE
from iip.web.services.cache import Series, WebCache
from iip.web.services.common import (
    INDICATORS,
    KINDS,
    MEASURES,
    SA_MEASURES,
    check_areas,
    check_choice,
    check_nodes,
    check_range,
)

COLUMNS = ["indicator", "area", "node", "kind", "measure", "period", "value", "obs_status"]
MAX_SERIES = 60


@dataclass(frozen=True)
class SeriesQuery:
    """One request for series: indicator, areas x nodes x kinds, a measure and an optional month range."""

    indicator: str
    areas: tuple[str, ...]
    nodes: tuple[str, ...]
    measure: str = "index"
    kinds: tuple[str, ...] = ("raw",)
    start: str | None = None
    end: str | None = None

    def validate(self) -> SeriesQuery:
        """Check every field against the reference lists (OptionError, 422, naming the option)."""
        check_choice("indicator", self.indicator, INDICATORS)
        check_choice("measure", self.measure, MEASURES)
        for k in self.kinds:
            check_choice("kind", k, KINDS)
        if not self.areas or not self.nodes or not self.kinds:
            raise OptionError("give at least one area, one node and one kind")
        check_areas(list(self.areas))
        check_nodes(list(self.nodes))
        check_range(self.start, self.end)
        if any(k != "raw" for k in self.kinds) and self.measure not in SA_MEASURES:
            raise OptionError(
                f"measure {self.measure} exists for kind raw only; sa and trend give "
                + ", ".join(SA_MEASURES)
            )
        n = len(self.areas) * len(self.nodes) * len(self.kinds)
        if n > MAX_SERIES:
            raise OptionError(f"{n} series asked for: at most {MAX_SERIES} per request")
        return self


@dataclass
class Piece:
    """One series of the answer: keys and aligned arrays."""

    indicator: str
    area: str
    node: str
    kind: str
    measure: str
    periods: np.ndarray
    values: np.ndarray
    status: np.ndarray
    coverage: dict[str, np.ndarray] | None = None   # kind raw: coverage_reported / coverage_imputed


def _adjusted_measure(s: Series, kind: str, measure: str) -> np.ndarray:
    """The level (measure index) or its mom / yoy, computed in the cache by iip.measures."""
    return s.values[kind if measure == "index" else f"{kind}_{measure}"]


def unpublished(axis: np.ndarray) -> Series:
    """A cell with nothing to publish -- suppressed, or never compiled -- over its area's months: every value
    null (its coverage too), every status 'c'. The two look the same, so an answer never tells where a class
    exists."""
    n = len(axis)
    return Series(axis, {c: np.full(n, np.nan) for c in COVERAGE}, np.full(n, "c", dtype=object))


def _is_unpublished(s: Series | None) -> bool:
    return s is None or bool(len(s.status)) and all(x == "c" for x in s.status)


def pieces(con: duckdb.DuckDBPyConnection, q: SeriesQuery, cache: WebCache) -> list[Piece]:
    """The asked series in request order (areas x nodes x kinds). A valid node with no published figures in a
    compiled area (confidential or absent alike) answers a series of nulls marked 'c'; 404 when no series has a
    month in range (or, for sa / trend, when no adjustment is stored for a published cell)."""
    q.validate()
    present = set(cache.coverage(con)["areas_present"])
    out = []
    for area in q.areas:
        raw = cache.raw(con, q.indicator, area) if area in present else {}
        adj = cache.adjusted(con, q.indicator, area) if set(q.kinds) - {"raw"} and area in present else {}
        axis = raw["TOTAL"].periods if "TOTAL" in raw else np.array([], dtype=str)
        for node in q.nodes:
            for kind in q.kinds:
                hidden = _is_unpublished(raw.get(node))
                s = unpublished(axis) if hidden else (raw if kind == "raw" else adj).get(node)
                if s is None:
                    continue
                if hidden:
                    vals = np.full(len(axis), np.nan)
                else:
                    vals = s.values[q.measure] if kind == "raw" else _adjusted_measure(s, kind, q.measure)
                w = s.window(q.start, q.end)
                if w.stop > w.start:
                    v = vals[w]
                    out.append(
                        Piece(
                            q.indicator,
                            area,
                            node,
                            kind,
                            q.measure,
                            s.periods[w],
                            np.where(np.isfinite(v), v, np.nan),
                            s.status[w],
                            {c: s.values[c][w] for c in COVERAGE} if kind == "raw" else None,
                        )
                    )
    if not out:
        what = f"{q.indicator} {'/'.join(q.kinds)} for area {','.join(q.areas)}, node {','.join(q.nodes)}"
        rng = f" between {q.start or '...'} and {q.end or '...'}" if q.start or q.end else ""
        hint = " (no seasonal adjustment stored: run `iip sa --all`)" if "raw" not in q.kinds else ""
        raise NotFoundError(f"no {what}{rng}{hint}")
    return out


def missing_adjustment(con: duckdb.DuckDBPyConnection, q: SeriesQuery, cache: WebCache) -> list[str]:
    """'area/node' of the published raw series asked for with kind sa or trend that have no stored seasonal
    adjustment (the series page says so instead of showing raw data alone)."""
    if not set(q.kinds) - {"raw"}:
        return []
    out = []
    for area in q.areas:
        raw, adj = cache.raw(con, q.indicator, area), cache.adjusted(con, q.indicator, area)
        out += [f"{area}/{n}" for n in q.nodes if not _is_unpublished(raw.get(n)) and n not in adj]
    return out


def get_series(con: duckdb.DuckDBPyConnection, q: SeriesQuery, cache: WebCache) -> pd.DataFrame:
    """Tidy rows [indicator, area, node, kind, measure, period, value, obs_status]."""
    parts = [
        pd.DataFrame(
            {
                "indicator": p.indicator,
                "area": p.area,
                "node": p.node,
                "kind": p.kind,
                "measure": p.measure,
                "period": p.periods,
                "value": p.values,
                "obs_status": p.status,
            }
        )
        for p in pieces(con, q, cache)
    ]
    return pd.concat(parts, ignore_index=True)[COLUMNS]


def as_json(ps: list[Piece], names: Mapping[str, Mapping[str, str]] | None = None) -> list[dict]:
    """One dict per series {indicator, area, node, kind, measure, periods, values, obs_status}."""
    out = []
    for p in ps:
        vals = [None if math.isnan(v) else round(v, 6) for v in p.values.tolist()]
        d: dict[str, object] = {"indicator": p.indicator, "area": p.area, "node": p.node, "kind": p.kind,
                                "measure": p.measure}
        if names:
            d["area_name"] = names.get("areas", {}).get(p.area)
            d["node_name"] = names.get("nodes", {}).get(p.node)
        d.update(periods=p.periods.tolist(), values=vals, obs_status=[s or None for s in p.status.tolist()])
        if p.coverage is not None:
            d.update({c: [None if math.isnan(v) else round(v, 4) for v in x.tolist()] for c, x in p.coverage.items()})
        out.append(d)
    return out
