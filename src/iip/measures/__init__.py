"""Growth measures, contributions and diffusion, in GSO's 100-based form (103.69 = +3.69%): the one implementation.

The formulas are SQL, in ``indices.sql`` beside this module (installed in the store as views and macros by
:mod:`iip.store`); this module is its Python caller, and every reader (CLI, release, web, seasonal) goes through it:

* :func:`indices` -- every measure of compiled series: index, mom, yoy, ytd and the contributions;
* :func:`levels` -- the compiled levels alone (fast);
* :func:`growth_of` -- mom, yoy and ytd of any other level series (seasonally adjusted, published levels);
* :func:`contributions_of` -- contributions of parts to their whole's growth (ownership sectors,
  :mod:`iip.compile.ownership`);
* :func:`period_growth` -- quarters, half-years and years; :func:`direction_counts` -- diffusion.

mom(t) = 100 I(t)/I(t-1); yoy(t) = 100 I(t)/I(t-12); ytd(t) = 100 sum(I, Jan..t)/sum(I, Jan..t a year earlier);
the contribution of child k to its parent P's yoy is 100 (e_k I_k(t) - e_k I_k(t-12)) / I_P(t-12), with
e_k = (W_k / W_P) f_P / f_k its effective weight (docs/methodology.md).
"""
from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

import duckdb
import numpy as np
import pandas as pd

from iip.errors import OptionError
from iip.reference.periods import month_numbers

#: The measure columns of :func:`indices` (and of the store's view ``indices``), in order.
MEASURES = ("index", "mom", "yoy", "ytd", "contrib_yoy", "contrib_ytd", "contrib_total_yoy")
KEY = ("indicator", "area", "node", "period")
#: The coverage of each cell (shares of base-year weight reported and imputed), beside the measures.
COVERAGE = ("coverage_reported", "coverage_imputed")


def _in(column: str, values: Sequence[str] | None, args: list) -> str:
    """``column IN (?, ...)`` for a list of values (true when None)."""
    if values is None:
        return "true"
    values = list(values)
    args.extend(values)
    return f"{column} IN ({', '.join('?' * len(values))})" if values else "false"


def indices(con: duckdb.DuckDBPyConnection, *, indicator: str | None = None, area: str | None = None,
            node: str | None = None, period_from: str | None = None, period_to: str | None = None,
            areas: Sequence[str] | None = None, nodes: Sequence[str] | None = None,
            columns: Sequence[str] = (*KEY, *MEASURES), order: bool = False) -> pd.DataFrame:
    """Every measure of the compiled series selected (None = all), months period_from..period_to.

    ``indicator``/``area``/``node`` select one value (pushed into the table macro ``indices_where``, which then
    reads only those series and the history they need); ``areas``/``nodes`` filter the result to lists of codes.
    ``columns`` from KEY, MEASURES, COVERAGE and run_id; ``order`` sorts by KEY."""
    unknown = [c for c in columns if c not in (*KEY, *MEASURES, *COVERAGE, "run_id")]
    if unknown:
        raise OptionError(f"unknown measure column(s) {', '.join(unknown)}: use {', '.join((*KEY, *MEASURES))}")
    args: list = [indicator, area, node, period_from, period_to]
    where = " AND ".join([_in("area", areas, args), _in("node", nodes, args)])
    sql = (f"SELECT {', '.join(_quote(c) for c in columns)} FROM indices_where(indicator_is := ?, area_is := ?, "
           f"node_is := ?, period_from := ?, period_to := ?) WHERE {where}")
    if order:
        sql += " ORDER BY indicator, area, node, period"
    return con.execute(sql, args).df()


def levels(con: duckdb.DuckDBPyConnection, *, indicator: str | None = None, area: str | None = None,
           node: str | None = None, period_from: str | None = None, period_to: str | None = None,
           areas: Sequence[str] | None = None, nodes: Sequence[str] | None = None) -> pd.DataFrame:
    """The compiled levels [indicator, area, node, period, index] of the series selected, ordered by series and
    month (view ``index_levels``: no derived measures, fast)."""
    args: list = []
    conds = [f"{c} = ?" for c, v in (("indicator", indicator), ("area", area), ("node", node)) if v is not None]
    args += [v for v in (indicator, area, node) if v is not None]
    if period_from:
        conds.append("period >= ?")
        args.append(period_from)
    if period_to:
        conds.append("period <= ?")
        args.append(period_to)
    conds += [_in("area", areas, args), _in("node", nodes, args)]
    return con.execute('SELECT indicator, area, node, period, "index" FROM index_levels WHERE '
                       + " AND ".join(conds) + " ORDER BY indicator, area, node, period", args).df()


def _quote(column: str) -> str:
    return f'"{column}"' if column == "index" else column


def formulas() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection holding the formulas of growth.sql, for level series outside a store."""
    con = duckdb.connect()
    con.execute(resources.files(__package__).joinpath("growth.sql").read_text(encoding="utf-8"))
    return con


def _apply_macro(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, key: Sequence[str], inputs: dict[str, str],
                 macro: str, outputs: tuple[str, ...]) -> pd.DataFrame:
    """Run the growth.sql table macro ``macro`` on ``frame``'s series (one per distinct ``key``; months from column
    ``period``; macro input column <- frame column per ``inputs``) and return ``frame`` with ``outputs`` added."""
    key = list(key)
    out = frame.reset_index(drop=True).copy()
    sid = (pd.MultiIndex.from_frame(out[key]).factorize()[0] if key else np.zeros(len(out), dtype=np.int64))
    pid = month_numbers(out["period"].astype(str))
    t = pd.DataFrame({"sid": sid, "pid": pid, "row": np.arange(len(out)),
                      **{name: out[col].astype(float).to_numpy() for name, col in inputs.items()}})
    con.register("_iip_series", t)
    try:
        g = con.execute(f"SELECT t.row, {', '.join('g.' + c for c in outputs)} FROM {macro}(_iip_series) g "
                        "JOIN _iip_series t USING (sid, pid) ORDER BY t.row").df()
    finally:
        con.unregister("_iip_series")
    for c in outputs:
        out[c] = g[c].to_numpy(dtype=float) if len(g) == len(out) else np.nan
    return out


def growth_of(con: duckdb.DuckDBPyConnection | None, frame: pd.DataFrame, *, key: Sequence[str] = (),
              value: str = "value") -> pd.DataFrame:
    """mom, yoy and ytd of the level series in ``frame`` (columns ``key`` identifying each series, ``period``
    YYYY-MM and ``value``), computed by the SQL table macro ``level_growth`` (growth.sql): the same formulas as
    :func:`indices`. ``con``: a store connection, or None for a private in-memory one. Returns ``frame`` with
    columns mom, yoy, ytd added (NaN where undefined)."""
    if con is None:
        with formulas() as own:
            return growth_of(own, frame, key=key, value=value)
    return _apply_macro(con, frame, key, {"index": value}, "level_growth", ("mom", "yoy", "ytd"))


def contributions_of(con: duckdb.DuckDBPyConnection | None, frame: pd.DataFrame, *, key: Sequence[str],
                     part: str = "part", whole: str = "whole") -> pd.DataFrame:
    """Contributions of parts to their whole's growth, by the SQL table macro ``part_contributions`` (growth.sql):
    contrib_yoy(t) = 100 (part(t) - part(t-12)) / whole(t-12), contrib_ytd the same with sums over January..t.
    ``frame``: columns ``key`` (the part), ``period`` YYYY-MM, ``part`` (its level in the whole's units; the parts
    of a month add up to ``whole``) and ``whole``. Returns ``frame`` with contrib_yoy and contrib_ytd added."""
    if con is None:
        with formulas() as own:
            return contributions_of(own, frame, key=key, part=part, whole=whole)
    return _apply_macro(con, frame, key, {"part": part, "whole": whole}, "part_contributions",
                        ("contrib_yoy", "contrib_ytd"))


def period_growth(tidy: pd.DataFrame, *, freq: str = "Q", value: str = "index") -> pd.DataFrame:
    """Quarter / half-year / year figures from monthly indices: level = mean of the months (all required),
    yoy = 100 * sum(months) / sum(same months a year earlier). ``freq`` in Q|H|Y; periods 'YYYY-Qn',
    'YYYY-H1', 'YYYY'."""
    df = tidy[["indicator", "area", "node", "period", value]].copy()
    y = df["period"].str[:4]
    m = df["period"].str[5:7].astype(int)
    if freq == "Q":
        df["p"], size = y + "-Q" + ((m - 1) // 3 + 1).astype(str), 3
    elif freq == "H":
        df["p"], size = y + "-H" + ((m - 1) // 6 + 1).astype(str), 6
    elif freq == "Y":
        df["p"], size = y, 12
    else:
        raise OptionError("freq must be Q, H or Y", option="freq")
    keys = ["indicator", "area", "node", "p"]
    g = df.groupby(keys)[value].agg(["sum", "count"]).reset_index()
    g = g[g["count"] == size]
    g["year"] = g["p"].str[:4].astype(int)
    g["prev"] = (g["year"] - 1).astype(str) + g["p"].str[4:]
    prev = g[keys + ["sum"]].rename(columns={"p": "prev", "sum": "prev_sum"})
    g = g.merge(prev, on=["indicator", "area", "node", "prev"], how="left")
    g["index"] = g["sum"] / size
    g["yoy"] = 100.0 * g["sum"] / g["prev_sum"]
    return g.rename(columns={"p": "period"})[["indicator", "area", "node", "period", "index", "yoy"]]


def direction_counts(values: pd.Series) -> dict[str, int]:
    """Diffusion: how many of ``values`` (100-based, e.g. the provinces' yoy) rose (> 100), fell (< 100) or
    were unchanged; missing values are not counted."""
    v = pd.Series(values).dropna()
    return {"rose": int((v > 100).sum()), "fell": int((v < 100).sum()), "unchanged": int((v == 100).sum())}
