"""Compile every indicator x area x node x month from product x province x month quantities.

``compile_indices`` is pure (DataFrames in, a :class:`CompileResult` out); ``iip.compile.compile_store`` reads
the store, calls it and writes the results. Method: docs/methodology.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from iip.compile.laspeyres import (QUANTITY, Areas, Level, base_quantities, laspeyres, membership,
                                   product_relatives, quantity_rows, weight_matrix)
from iip.compile.linking import chain_link, rereference, segment_columns
from iip.errors import MethodError
from iip.reference import MERGER_PERIOD
from iip.reference.periods import month_range



@dataclass
class Block:
    """One indicator's compiled series: linked, re-referenced index levels ``x`` [row, month] and, per base
    year, each row's effective weight in its parent node and in TOTAL of the same area (NaN where none):
    e_k = (W_k / W_P) * f_P / f_k (see src/iip/measures/indices.sql)."""

    indicator: str
    x: np.ndarray
    rows: "Rows"
    prow: np.ndarray            # row of the parent node in the same area (-1: none)
    trow: np.ndarray            # row of TOTAL in the same area (-1: none)
    e_parent: dict[int, np.ndarray]
    e_total: dict[int, np.ndarray]
    coverage: dict[str, np.ndarray] | None = None   # "reported", "imputed" [row, month] (production only)

    @cached_property
    def same_as(self) -> np.ndarray:
        """Row whose levels this row repeats bit for bit (-1: none). A node with a single contributing child
        (a division of one class, section D = division 35, ...) has exactly its child's levels; such a chain
        points at its top row, which is stored once."""
        x = self.x
        same = np.zeros(len(x), dtype=bool)
        k = np.flatnonzero(self.prow >= 0)
        k = k[np.nan_to_num(x[k, -1]) == np.nan_to_num(x[self.prow[k], -1])]   # cheap test on the last month first
        p = self.prow[k]
        same[k] = ((x[k] == x[p]) | (np.isnan(x[k]) & np.isnan(x[p]))).all(axis=1)
        top = np.where(same, self.prow, np.arange(len(self.x)))
        while True:
            nxt = np.where(same[top], self.prow[top], top)
            if np.array_equal(nxt, top):
                break
            top = nxt
        return np.where(same, top, -1)


@dataclass
class CompileResult:
    """What a compile produces: index levels per series and month, the series dimension (indicator, area, node,
    parent and TOTAL series) and the effective weights behind the contributions. Growth rates and contributions
    are derived from these when read (:mod:`iip.measures`, in SQL)."""

    blocks: list[Block]
    series: pd.DataFrame        # position = sid: indicator, area, node, parent, total, same_as (positions, -1: none)
    periods: list[str]
    segment: np.ndarray         # base year whose weights are in force in each month
    notes: list[str] = field(default_factory=list)

    def offsets(self) -> list[int]:
        """Row offset of each block's first series in :attr:`series`."""
        return _offsets(self.blocks)

    def level_table(self, *, shared: bool = False, sid_of: np.ndarray | None = None,
                    pid_of: np.ndarray | None = None) -> pa.Table:
        """The defined cells (sid, pid, index, base_year) in row-group sized chunks (DuckDB inserts chunks in
        parallel). ``shared``: leave out rows repeating another row's levels (series column ``same_as``);
        ``sid_of`` / ``pid_of`` map series and month positions to store ids."""
        parts = []
        n_t = len(self.periods)
        pid_of = (np.arange(n_t) if pid_of is None else pid_of).astype(np.int32)
        for off, b in zip(self.offsets(), self.blocks):
            rows = np.flatnonzero(b.same_as < 0) if shared else np.arange(len(b.x))
            x = b.x[rows]
            sid = ((rows + off) if sid_of is None else sid_of[rows + off]).astype(np.int32)
            defined = np.isfinite(x)             # boolean masks, row-major: no index arithmetic
            parts.append(pa.table({"sid": np.repeat(sid, defined.sum(axis=1)),
                                   "pid": np.broadcast_to(pid_of, x.shape)[defined], "index": x[defined],
                                   "base_year": np.broadcast_to(self.segment, x.shape)[defined]}))
        if not parts:
            return pa.table({"sid": pa.array([], pa.int32()), "pid": pa.array([], pa.int32()),
                             "index": pa.array([], pa.float64()), "base_year": pa.array([], pa.int16())})
        t = pa.concat_tables(parts)
        return pa.Table.from_batches(t.to_batches(max_chunksize=122880), t.schema)

    @property
    def has_coverage(self) -> bool:
        """Whether the compile measured coverage (the production block carries it)."""
        return any(b.coverage is not None for b in self.blocks)

    def coverage_table(self, sid_of: np.ndarray | None = None, pid_of: np.ndarray | None = None) -> pa.Table:
        """Coverage of the defined production cells that are not fully reported: sid, pid, reported, imputed
        (shares of base-year weight, :func:`coverage_shares`); a cell left out has reported 1 and imputed 0
        (most cells: stored sparse). The same (area, node) of the other indicators reads these."""
        parts = []
        n_t = len(self.periods)
        pid_of = (np.arange(n_t) if pid_of is None else pid_of).astype(np.int32)
        for off, b in zip(self.offsets(), self.blocks):
            if b.coverage is None:
                continue
            defined = np.isfinite(b.x) & ((b.coverage["reported"] != 1.0) | (b.coverage["imputed"] != 0.0))
            sid = np.arange(len(b.x)) + off
            sid = (sid if sid_of is None else sid_of[sid]).astype(np.int32)
            parts.append(pa.table({"sid": np.repeat(sid, defined.sum(axis=1)),
                                   "pid": np.broadcast_to(pid_of, b.x.shape)[defined],
                                   "reported": np.round(b.coverage["reported"][defined], 6),
                                   "imputed": np.round(b.coverage["imputed"][defined], 6)}))
        if not parts:
            return pa.table({"sid": pa.array([], pa.int32()), "pid": pa.array([], pa.int32()),
                             "reported": pa.array([], pa.float64()), "imputed": pa.array([], pa.float64())})
        t = pa.concat_tables(parts)
        return pa.Table.from_batches(t.to_batches(max_chunksize=122880), t.schema)

    def weight_table(self, sid_of: np.ndarray | None = None) -> pa.Table:
        """Effective weights per series and base year: sid, base_year, e_parent, e_total (null: none);
        ``sid_of`` maps series positions to store ids."""
        parts = []
        for off, b in zip(self.offsets(), self.blocks):
            sid = np.arange(len(b.x)) + off
            sid = (sid if sid_of is None else sid_of[sid]).astype(np.int32)
            for y in b.e_parent:
                parts.append(pa.table({"sid": sid, "base_year": np.full(len(sid), y, dtype=np.int16),
                                       "e_parent": pa.array(b.e_parent[y], from_pandas=True),   # NaN -> null
                                       "e_total": pa.array(b.e_total[y], from_pandas=True)}))
        if not parts:
            return pa.table({"sid": pa.array([], pa.int32()), "base_year": pa.array([], pa.int16()),
                             "e_parent": pa.array([], pa.float64()), "e_total": pa.array([], pa.float64())})
        return pa.concat_tables(parts)


def _offsets(blocks: list[Block]) -> list[int]:
    """Position of each block's first row among all blocks' rows (its first series id)."""
    return list(np.cumsum([0] + [len(b.x) for b in blocks])[:-1])


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
    """The index structure of a compile: periods, areas (provinces, regions, merged provinces,
    VN), products mapped to VSIC nodes, the base-year weights by node and area."""
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


def fixed_base(key: np.ndarray, qc: np.ndarray, s: Structure, b: int, notes: list[str]) -> Level:
    """Fixed-base node indices (one row per node x area) with base year ``b`` and the node weights behind them,
    from the quantities ``qc`` [row, month] of the (product, area) pairs ``key`` (:class:`Quantities`)."""
    q0 = base_quantities(qc, s.base_cols[b])
    n_prov, n_areas = len(s.areas.provinces), len(s.areas.codes)
    p, a = key // n_areas, key % n_areas
    wp = s.product_w[b]
    w = wp[p, a]
    prov = a < n_prov
    used = int(((q0 > 0) & (w > 0) & prov).sum())
    no_q0 = int((wp[:, :n_prov] > 0).sum()) - used
    no_w = int(((q0 > 0) & (w <= 0) & prov).sum())
    if no_q0:
        notes.append(f"base {b}: {no_q0} product x province cells have a weight but no base-year quantity: left out")
    if no_w:
        notes.append(f"base {b}: {no_w} product x province cells have base-year output but no weight: left out")
    products = Level(key, qc, w, scale=product_relatives(q0))    # i = (100 / q0) * q
    classes = laspeyres(products, wp, s.product_class, n_areas)
    wc = s.industry_w[b]
    c, ca = classes.key // n_areas, classes.key % n_areas
    orphan = int(((wc[c, ca] <= 0) & (ca < n_prov)).sum())
    if orphan:
        notes.append(f"base {b}: {orphan} class x province indices have no industry weight: left out of aggregates")
    return laspeyres(classes, wc, s.class_node, n_areas)


def coverage_shares(qc: dict[str, np.ndarray], *, impute: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Per (product, area) row and month, the shares of the quantity compiled that were reported and imputed:
    reported = q_R / (q_R + q_I), imputed = q_I / (q_R + q_I) with q_R the reported and q_I the imputed quantity
    (``reported``, ``imputed`` columns of ``qc``). A missing month (NaN) counts as neither (0, 0); a month with
    nothing produced counts as reported unless imputed lines made it (``n_imputed``). Without ``impute`` the
    imputed values are estimates of the non-respondents that the index did not use: reported = q_R / (q_R + q_I),
    imputed = 0."""
    r, i = qc["reported"], qc["imputed"]
    total = r + i
    with np.errstate(divide="ignore", invalid="ignore"):
        rep = np.where(total > 0, r / total, np.where(qc["n_imputed"] > 0, 0.0, 1.0))
    imp = 1.0 - rep if impute else np.zeros_like(rep)
    gone = np.isnan(qc["produced"]) if impute else np.zeros(rep.shape, dtype=bool)
    return np.where(gone | np.isnan(rep), 0.0, rep), np.where(gone | np.isnan(imp), 0.0, imp)


def coverage_base(key: np.ndarray, q0_cols: np.ndarray, shares: tuple[np.ndarray, np.ndarray], qc: np.ndarray,
                  s: "Structure", b: int, months: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coverage of every node x area in base year ``b`` in ``months`` (positions; those the base year is in
    force): the products' shares (:func:`coverage_shares`) averaged with the same base-year weights, products and
    classes as the index (Laspeyres of the shares, both shares in one pass). Returns the node rows' keys,
    reported and imputed [row, month of ``months``]."""
    q0 = base_quantities(qc, q0_cols)
    n_areas = len(s.areas.codes)
    scale = np.where(np.isfinite(product_relatives(q0)), 1.0, np.nan)
    both = np.hstack([x[:, months] for x in shares])
    classes = laspeyres(Level(key, both, np.zeros(0), scale=scale), s.product_w[b], s.product_class, n_areas)
    nodes = laspeyres(classes, s.industry_w[b], s.class_node, n_areas)
    n_t = len(months)
    return nodes.key, nodes.index[:, :n_t], nodes.index[:, n_t:]


def align(levels: dict[int, Level]) -> tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Put every base year's rows on the union of their keys (NaN index / zero weight where absent)."""
    keys = np.unique(np.concatenate([lv.key for lv in levels.values()]))
    idx, w = {}, {}
    for b, lv in levels.items():
        if len(lv.key) == len(keys):      # already on the union (keys are sorted and distinct)
            idx[b], w[b] = lv.index, lv.weight
            continue
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


def effective_weights(weight: dict[int, np.ndarray], factors: dict[int, np.ndarray], prow: np.ndarray
                      ) -> dict[int, np.ndarray]:
    """e_k = (W_k / W_P) * f_P / f_k per base year, for each row k with parent row P = prow[k] (NaN: none)."""
    has = prow >= 0
    p = np.where(has, prow, 0)
    out = {}
    for b, w in weight.items():
        f = factors[b]
        with np.errstate(divide="ignore", invalid="ignore"):
            e = (w / w[p]) * (f[p] / f)
        out[b] = np.where(has & np.isfinite(e), e, np.nan)
    return out


def full_coverage(x: np.ndarray) -> dict[str, np.ndarray]:
    """Coverage when every expected line reported: all of the weight reported, none imputed."""
    return {"reported": np.ones(x.shape), "imputed": np.zeros(x.shape)}


def segment_coverage(key: np.ndarray, qr: dict[str, np.ndarray], s: Structure, rows_key: np.ndarray,
                     segment: np.ndarray, impute: bool) -> dict[str, np.ndarray]:
    """Coverage [row, month] of the rows ``rows_key`` of a block: each month from the base year in force."""
    shares = coverage_shares(qr, impute=impute)
    out = {"reported": np.zeros((len(rows_key), len(s.periods))), "imputed": np.zeros((len(rows_key), len(s.periods)))}
    for b in s.base_cols:
        cols = np.flatnonzero(segment == b)
        keys, rep, imp = coverage_base(key, s.base_cols[b], shares, qr["produced"], s, b, cols)
        at = np.searchsorted(keys, rows_key)
        hit = (at < len(keys)) & (keys[np.minimum(at, len(keys) - 1)] == rows_key)
        for name, x in (("reported", rep), ("imputed", imp)):
            out[name][np.ix_(hit, cols)] = x[at[hit]]
    return {k: np.clip(np.nan_to_num(v), 0.0, 1.0) for k, v in out.items()}


def compile_indicator(key: np.ndarray, qc: np.ndarray, s: Structure, indicator: str, reference_year: int,
                      notes: list[str]) -> Block:
    """One indicator's linked, re-referenced levels for its defined series, with their effective weights."""
    keys, fixed, weight = align({b: fixed_base(key, qc, s, b, notes) for b in s.base_cols})
    linked, factors = chain_link(fixed, s.periods)
    x, fref = rereference(linked, s.periods, reference_year)
    factors = {b: f * fref for b, f in factors.items()}
    a = len(s.areas.codes)
    rows = Rows(keys // a, keys % a, keys)
    prow = rows.parent_rows(s.parent, a)
    total = np.where(np.array(s.nodes) == "TOTAL", -1, s.nodes.index("TOTAL"))
    trow = rows.parent_rows(total, a)
    return Block(indicator, x, rows, prow, trow, effective_weights(weight, factors, prow),
                 effective_weights(weight, factors, trow))


def compile_indices(q: pd.DataFrame, *, products: pd.DataFrame, weights: pd.DataFrame, tree: pd.DataFrame,
                    region_of: dict[str, str], merged_of: dict[str, str] | None = None,
                    reference_year: int | None = None,
                    indicators: tuple[str, ...] = ("production", "consumption", "inventory"),
                    adjustments: pd.DataFrame | None = None, impute: bool = True) -> CompileResult:
    """Every indicator x area x node x month, linked across base years and referenced to ``reference_year``
    (default: the latest base year).

    ``q``: product_code, province, period, produced, sold, closing_stock (sums over enterprises).
    ``products``: product_code, vsic. ``weights``: kind, code, province, base_year, value.
    ``tree``: VSIC tree (code, level, parent). ``region_of``: province -> region code. ``merged_of``
    (optional): province -> province it joined on 1 July 2025; adds the 34 merged provinces as areas ``N<code>``,
    sums of their former provinces (exact, like regions), when the data reach July 2025.

    ``adjustments`` (optional; then the production block carries each cell's coverage, :func:`coverage_shares`):
    rows product_code, province, period added to ``q``'s: the quantities to add (the imputed ones when ``impute``;
    minus those of reports left out), ``reported`` and ``imputed`` (what they change in the produced quantity
    reported and imputed: ``q``'s produced counts as reported), ``n_imputed`` (imputed lines) and ``missing``
    (true where a product x province x month is missing: NaN).
    """
    notes: list[str] = []
    if len(q) == 0:
        return _assemble([], None, np.zeros(0, dtype=np.int16), ["no reports to compile"])
    present = q["period"].cat.categories if isinstance(q["period"].dtype, pd.CategoricalDtype) else q["period"]
    periods = month_range(min(present), max(present))
    years = {p[:4] for p in periods}
    full = {int(y) for y in years if f"{y}-01" in periods and f"{y}-12" in periods}
    base_years = sorted(int(b) for b in pd.unique(weights["base_year"]))
    usable = [b for b in base_years if b in full]
    for b in sorted(set(base_years) - set(usable)):
        notes.append(f"base year {b} has weights but its 12 months are not all in the reports: not used")
    if not usable:
        raise MethodError("cannot compile: no base year with weights is fully covered by the reports (a base year "
                          "needs its 12 months reported; ingest them, or weights of a covered year)")
    if periods[-1] < MERGER_PERIOD:
        merged_of = None  # the 34 merged provinces exist from July 2025: only compiled when the data reach it
    s = structure(periods, products, weights, tree, region_of, usable, merged_of)
    todo = []
    for indicator in indicators:
        if q[QUANTITY[indicator]].isna().all():
            notes.append(f"{indicator}: no {QUANTITY[indicator]} reported, not compiled")
        else:
            todo.append(indicator)
    covered = adjustments is not None and "production" in todo
    cov_cols = ["reported", "imputed", "n_imputed"] if covered else []
    qr = quantity_rows(q, cols=[QUANTITY[i] for i in todo] + cov_cols, products=s.products, areas=s.areas,
                       periods=s.periods, extra=adjustments, alias={"reported": QUANTITY["production"]},
                       missing="missing")
    segs = segment_columns(s.periods, list(s.base_cols))
    segment = np.zeros(len(s.periods), dtype=np.int16)
    for b, cols in segs.items():
        segment[cols] = b
    shares = {c: qr.values.pop(c) for c in cov_cols}
    complete = covered and adjustments is not None and len(adjustments) == 0
    blocks = []
    for i in todo:
        qc = qr.values.pop(QUANTITY[i])
        block = compile_indicator(qr.key, qc, s, i, reference_year or usable[-1], notes)
        if i == "production" and covered:
            block.coverage = (full_coverage(block.x) if complete else
                              segment_coverage(qr.key, {**shares, "produced": qc}, s, block.rows.flat, segment,
                                               impute))
        blocks.append(block)
    return _assemble(blocks, s, segment, list(dict.fromkeys(notes)))


def _assemble(blocks: list[Block], s: Structure | None, segment: np.ndarray, notes: list[str]) -> CompileResult:
    """The series dimension of all blocks: sid = position; parent and total as positions (-1: none)."""
    if not blocks:
        series = pd.DataFrame(columns=["indicator", "area", "node", "parent", "total", "same_as"])
        return CompileResult(blocks, series, s.periods if s else [], segment, notes)
    assert s is not None   # blocks come from a structure
    cat = pd.Categorical.from_codes    # codes -> labels without building strings
    series = pd.DataFrame({
        "indicator": cat(np.repeat(np.arange(len(blocks)), [len(b.x) for b in blocks]),
                         categories=[b.indicator for b in blocks]),
        "area": cat(np.concatenate([b.rows.area for b in blocks]), categories=s.areas.codes),
        "node": cat(np.concatenate([b.rows.node for b in blocks]), categories=s.nodes),
        **{col: np.concatenate([np.where(getattr(b, attr) >= 0, getattr(b, attr) + off, -1)
                                for off, b in zip(_offsets(blocks), blocks)])
           for col, attr in (("parent", "prow"), ("total", "trow"), ("same_as", "same_as"))}})
    return CompileResult(blocks, series, s.periods if s else [], segment, notes)
