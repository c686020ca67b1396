"""Compile every indicator x area x node x month from product x province x month quantities.

``compile_indices`` is pure (DataFrames in, a :class:`CompileResult` out); ``iip.compile.compile_store`` reads
the store, calls it and writes the results. Method: docs/methodology.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from iip import measures
from iip.compile.laspeyres import (QUANTITY, Areas, Level, base_quantities, laspeyres, membership, month_range,
                                   product_relatives, quantity_cube, weight_matrix)
from iip.compile.linking import chain_link, rereference, segment_columns

MERGER_PERIOD = "2025-07"
MEASURES = ["index", "mom", "yoy", "ytd", "contrib_yoy", "contrib_ytd", "contrib_total_yoy"]
OUTPUT_COLUMNS = ["indicator", "area", "node", "period", *MEASURES]


@dataclass
class CompileResult:
    """Compiled cells in long form: ``fact`` (sid, pid, measures...) with the ``series`` dimension (sid ->
    indicator, area, node) and ``periods`` (pid -> 'YYYY-MM'). ``indices`` gives the tidy DataFrame."""

    fact: pa.Table
    series: pd.DataFrame
    periods: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def indices(self) -> pd.DataFrame:
        """The tidy table: indicator, area, node, period, index, mom, yoy, ytd, contributions."""
        f = self.fact.to_pandas()
        sid, pid = f.pop("sid").to_numpy(), f.pop("pid").to_numpy()
        head = pd.DataFrame({"indicator": self.series["indicator"].to_numpy()[sid],
                             "area": self.series["area"].to_numpy()[sid],
                             "node": self.series["node"].to_numpy()[sid],
                             "period": np.asarray(self.periods, dtype=object)[pid]})
        return pd.concat([head, f], axis=1)


def class_ancestors(tree: pd.DataFrame) -> pd.DataFrame:
    """For every class: rows (unit=class, node=n) for n = the class itself and each ancestor up to TOTAL."""
    parent = dict(zip(tree["code"], tree["parent"]))
    rows = []
    for c in tree.loc[tree["level"] == "class", "code"]:
        n = c
        while isinstance(n, str) and n:
            rows.append((c, n))
            n = parent.get(n)
    return pd.DataFrame(rows, columns=["unit", "node"])


@dataclass
class Structure:
    """The fixed structure of a compile: codes, membership matrices and weights per base year."""

    products: list[str]
    classes: list[str]
    nodes: list[str]
    areas: Areas
    periods: list[str]
    product_class: object
    class_node: object
    parent: np.ndarray          # index of each node's parent node (-1 for TOTAL)
    product_w: dict[int, np.ndarray]
    industry_w: dict[int, np.ndarray]
    base_cols: dict[int, np.ndarray]


def structure(periods: list[str], products, weights, tree, region_of, base_years: list[int], merged_of=None
              ) -> Structure:
    areas = Areas.build(region_of, merged_of)
    prods = sorted(products["product_code"])
    classes = tree.loc[tree["level"] == "class", "code"].tolist()
    nodes = tree["code"].tolist()
    pc = products[["product_code", "vsic"]].set_axis(["unit", "node"], axis=1)
    parent = pd.Index(nodes).get_indexer(tree["parent"].fillna(""))
    w = {k: {b: weights[(weights["kind"] == k) & (weights["base_year"] == b)] for b in base_years}
         for k in ("product", "industry")}
    return Structure(prods, classes, nodes, areas, periods, membership(prods, classes, pc),
                     membership(classes, nodes, class_ancestors(tree)), parent,
                     {b: weight_matrix(w["product"][b], prods, areas) for b in base_years},
                     {b: weight_matrix(w["industry"][b], classes, areas) for b in base_years},
                     {b: np.array([p.startswith(f"{b}-") for p in periods]) for b in base_years})


def fixed_base(qc: np.ndarray, s: Structure, b: int, notes: list[str]) -> Level:
    """Fixed-base node indices (one row per node x area) with base year ``b`` and the node weights behind them."""
    q0 = base_quantities(qc, s.base_cols[b])
    n_prov, n_areas = len(s.areas.provinces), len(s.areas.codes)
    wp = s.product_w[b]
    no_q0 = int(((q0[:, :n_prov] <= 0) & (wp[:, :n_prov] > 0)).sum())
    no_w = int(((q0[:, :n_prov] > 0) & (wp[:, :n_prov] <= 0)).sum())
    if no_q0:
        notes.append(f"base {b}: {no_q0} product x province cells have a weight but no base-year quantity: left out")
    if no_w:
        notes.append(f"base {b}: {no_w} product x province cells have base-year output but no weight: left out")
    p, a = np.nonzero(q0 > 0)
    products = Level(p.astype(np.int64) * n_areas + a, product_relatives(qc[p, a], q0[p, a]), wp[p, a])
    classes = laspeyres(products, wp, s.product_class, n_areas)
    wc = s.industry_w[b]
    c, ca = classes.key // n_areas, classes.key % n_areas
    orphan = int(((wc[c, ca] <= 0) & (ca < n_prov)).sum())
    if orphan:
        notes.append(f"base {b}: {orphan} class x province indices have no industry weight: left out of aggregates")
    return laspeyres(classes, wc, s.class_node, n_areas)


def align(levels: dict[int, Level]) -> tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Put every base year's rows on the union of their keys (NaN index / zero weight where absent)."""
    keys = np.unique(np.concatenate([lv.key for lv in levels.values()]))
    idx, w = {}, {}
    for b, lv in levels.items():
        pos = np.searchsorted(keys, lv.key)
        idx[b] = np.full((len(keys), lv.index.shape[1]), np.nan)
        idx[b][pos] = lv.index
        w[b] = np.zeros(len(keys))
        w[b][pos] = lv.weight
    return keys, idx, w


@dataclass
class Rows:
    """The defined (node, area) series of one indicator, as rows of 2-D [row, month] arrays."""

    node: np.ndarray            # node position of each row
    area: np.ndarray            # area position of each row
    flat: np.ndarray            # node * n_areas + area

    def parent_rows(self, parent_node: np.ndarray, n_areas: int) -> np.ndarray:
        """Row of each row's parent node in the same area (-1 if none or not defined)."""
        p = parent_node[self.node]
        pos = pd.Index(self.flat).get_indexer(np.where(p >= 0, p * n_areas + self.area, -1))
        return np.where(p >= 0, pos, -1)


def contribution_matrix(linked: np.ndarray, weight: dict[int, np.ndarray], factors: dict[int, np.ndarray],
                        prow: np.ndarray, periods: list[str], segs: dict[int, np.ndarray], *, cumulative: bool
                        ) -> np.ndarray:
    """Contributions [row, month] of each row to the growth of row ``prow[i]`` (NaN where prow < 0).
    Effective weight e_k(t) = (W_k/W_P) * f_P/f_k with the weights and factors of the segment holding t."""
    has = prow >= 0
    p = np.where(has, prow, 0)
    e = np.full(linked.shape, np.nan)
    for b, cols in segs.items():
        w, f = weight[b], factors[b]
        with np.errstate(divide="ignore", invalid="ignore"):
            e[:, cols] = ((w / w[p]) * (f[p] / f))[:, None]
    out = measures.contributions(linked, linked[p], e, periods=periods, cumulative=cumulative)
    out[~has] = np.nan
    return out


def long_form(values: dict[str, np.ndarray], rows: Rows, s: Structure, indicator: str
              ) -> tuple[pa.Table, pd.DataFrame]:
    """Long (series id, period id, measures...) Arrow table of the defined cells, and the series dimension."""
    mask = np.isfinite(values["index"])
    r, c = np.nonzero(mask)
    cols = {"sid": r.astype(np.int32), "pid": c.astype(np.int32)}
    for name in MEASURES:
        v = values.get(name)
        if v is None:
            cols[name] = pa.nulls(len(r), pa.float64())
        else:
            v = v[r, c]
            cols[name] = pa.array(v, mask=~np.isfinite(v))
    series = pd.DataFrame({"indicator": indicator,
                           "area": np.asarray(s.areas.codes, dtype=object)[rows.area],
                           "node": np.asarray(s.nodes, dtype=object)[rows.node]})
    return pa.table(cols), series


def compile_indicator(qc: np.ndarray, s: Structure, indicator: str, reference_year: int, notes: list[str]
                      ) -> tuple[dict[str, np.ndarray], Rows]:
    """Every measure [row, month] of one indicator, linked across base years, for its defined series."""
    keys, fixed, weight = align({b: fixed_base(qc, s, b, notes) for b in s.base_cols})
    linked, factors = chain_link(fixed, s.periods)
    x, fref = rereference(linked, s.periods, reference_year)
    factors = {b: f * fref for b, f in factors.items()}
    a = len(s.areas.codes)
    rows = Rows(keys // a, keys % a, keys)
    segs = segment_columns(s.periods, list(s.base_cols))
    prow = rows.parent_rows(s.parent, a)
    total = np.where(np.array(s.nodes) == "TOTAL", -1, s.nodes.index("TOTAL"))
    trow = rows.parent_rows(total, a)
    values = {"index": x, "mom": measures.mom(x), "yoy": measures.yoy(x),
              "contrib_yoy": contribution_matrix(x, weight, factors, prow, s.periods, segs, cumulative=False),
              "contrib_total_yoy": contribution_matrix(x, weight, factors, trow, s.periods, segs, cumulative=False)}
    if indicator != "inventory":  # a stock is a point in time: no cumulative figures
        values["ytd"] = measures.ytd(x, s.periods)
        values["contrib_ytd"] = contribution_matrix(x, weight, factors, prow, s.periods, segs, cumulative=True)
    return values, rows


def compile_indices(q: pd.DataFrame, *, products: pd.DataFrame, weights: pd.DataFrame, tree: pd.DataFrame,
                    region_of: dict[str, str], merged_of: dict[str, str] | None = None,
                    reference_year: int | None = None,
                    indicators: tuple[str, ...] = ("production", "consumption", "inventory")) -> CompileResult:
    """Every indicator x area x node x month, linked across base years and referenced to ``reference_year``
    (default: the latest base year).

    ``q``: product_code, province, period, produced, sold, closing_stock (sums over enterprises).
    ``products``: product_code, vsic. ``weights``: kind, code, province, base_year, value.
    ``tree``: VSIC tree (code, level, parent). ``region_of``: province -> region code. ``merged_of``
    (optional): province -> province it joined on 1 July 2025; adds the 34 merged provinces as areas ``N<code>``,
    sums of their former provinces (exact, like regions), when the data reach July 2025.
    """
    notes: list[str] = []
    if len(q) == 0:
        return _assemble([], [], [], ["no reports to compile"])
    present = q["period"].cat.categories if isinstance(q["period"].dtype, pd.CategoricalDtype) else q["period"]
    periods = month_range(min(present), max(present))
    years = {p[:4] for p in periods}
    full = {int(y) for y in years if f"{y}-01" in periods and f"{y}-12" in periods}
    base_years = sorted(int(b) for b in pd.unique(weights["base_year"]))
    usable = [b for b in base_years if b in full]
    for b in sorted(set(base_years) - set(usable)):
        notes.append(f"base year {b} has weights but its 12 months are not all in the reports: not used")
    if not usable:
        raise ValueError("no base year with weights is fully covered by the reports")
    if periods[-1] < MERGER_PERIOD:
        merged_of = None  # the 34 merged provinces exist from July 2025: only compiled when the data reach it
    s = structure(periods, products, weights, tree, region_of, usable, merged_of)
    facts, series = [], []
    for indicator in indicators:
        col = QUANTITY[indicator]
        if q[col].isna().all():
            notes.append(f"{indicator}: no {col} reported, not compiled")
            continue
        qc = quantity_cube(q, col=col, products=s.products, areas=s.areas, periods=s.periods)
        values, rows = compile_indicator(qc, s, indicator, reference_year or usable[-1], notes)
        f, sr = long_form(values, rows, s, indicator)
        facts.append(f)
        series.append(sr)
    return _assemble(facts, series, s.periods, list(dict.fromkeys(notes)))


def _assemble(facts: list[pa.Table], series: list[pd.DataFrame], periods: list[str], notes: list[str]
              ) -> CompileResult:
    if not facts:
        empty = pa.table({"sid": pa.array([], pa.int32()), "pid": pa.array([], pa.int32()),
                          **{c: pa.array([], pa.float64()) for c in MEASURES}})
        return CompileResult(empty, pd.DataFrame(columns=["indicator", "area", "node"]), periods, notes)
    offset, shifted = 0, []
    for f, sr in zip(facts, series):
        sid = pa.array(f["sid"].to_numpy() + offset, pa.int32())
        shifted.append(f.set_column(0, "sid", sid))
        offset += len(sr)
    return CompileResult(pa.concat_tables(shifted), pd.concat(series, ignore_index=True), periods, notes)
