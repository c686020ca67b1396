"""The fixed-base Laspeyres volume index (IRIIP 2010, GSO practice), on dense arrays.

Notation (docs/methodology.md): area A (province, region or VN), product p, class c, node n, month t, base year B.
Arrays are indexed [unit, area, month]; NaN means "not defined".

* q(p,A,t)  = sum of the quantity over the enterprises of A reporting p in t        :func:`quantity_rows`
* q0(p,A)   = (1/12) * sum of q(p,A,t) over the 12 months of B                       :func:`base_quantities`
* i(p,A,t)  = 100 * q(p,A,t) / q0(p,A)                                                :func:`product_relatives`
* I(c,A,t)  = sum_p w(p,A) i(p,A,t) / sum_p w(p,A)      (products of class c)         :func:`laspeyres`
* I(n,A,t)  = sum_c W(c,A) I(c,A,t) / sum_c W(c,A)      (classes under node n)        :func:`laspeyres`

A missing q(p,A,t) (a product x province with an expected report that has neither a report nor an imputed value,
and every area containing it) is NaN: the sums above then run over the units present in month t, their weights
renormalised (sum_p w(p,A) over the products with a value that month).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from iip.errors import MethodError
from iip.reference.geography import MERGED_PREFIX
from iip.validation import INDICATOR_QUANTITY

QUANTITY = INDICATOR_QUANTITY   # indicator -> the report quantity it is compiled from



@dataclass(frozen=True)
class Areas:
    """Areas in output order: provinces, regions, provinces as merged on 1 July 2025 (``N`` + code), VN.
    ``agg`` [areas x provinces] sums provinces into every area."""

    codes: list[str]
    provinces: list[str]
    agg: sparse.csr_matrix

    @classmethod
    def build(cls, region_of: dict[str, str], merged_of: dict[str, str] | None = None) -> "Areas":
        """Provinces (sorted) and the groups over them: regions, merged provinces (``N`` + code) and VN."""
        provinces = sorted(region_of)
        groups = {r: [p for p in provinces if region_of[p] == r] for r in sorted(set(region_of.values()))}
        for m in sorted(set((merged_of or {}).values())):
            groups[MERGED_PREFIX + m] = [p for p in provinces if (merged_of or {}).get(p) == m]
        groups["VN"] = provinces
        codes = provinces + list(groups)
        rows, cols = list(range(len(provinces))), list(range(len(provinces)))
        for i, members in enumerate(groups.values(), start=len(provinces)):
            rows += [i] * len(members)
            cols += [provinces.index(p) for p in members]
        agg = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(codes), len(provinces)))
        return cls(codes, provinces, agg)


def membership(units: list[str], groups: list[str], pairs: pd.DataFrame) -> sparse.csc_matrix:
    """Sparse 0/1 matrix [groups x units] from (unit, node) pairs (a unit may belong to several groups); by
    columns, as :func:`laspeyres` reads it unit by unit."""
    u = pd.Index(units).get_indexer(pairs["unit"])
    g = pd.Index(groups).get_indexer(pairs["node"])
    ok = (u >= 0) & (g >= 0)
    return sparse.csc_matrix((np.ones(ok.sum()), (g[ok], u[ok])), shape=(len(groups), len(units)))


def _codes(values, universe: list[str]) -> np.ndarray:
    """Position of each value in ``universe`` (-1 if absent); fast for categoricals (mapped once per category)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        where = pd.Index(universe).get_indexer(values.cat.categories)
        return np.append(where, -1)[values.cat.codes.to_numpy()]
    return pd.Index(universe).get_indexer(values)


@dataclass(frozen=True)
class Quantities:
    """q(p, A, t) for every (product, area) with a report in some month: ``key`` = product * n_areas + area
    (sorted), ``values[col]`` [row, month]. A month without a report counts 0; a missing month is NaN."""

    key: np.ndarray
    values: dict[str, np.ndarray]


def _present(flat: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct values of ``flat`` (all in 0..size-1) and each element's position among them, without a
    sort: a presence mask and its running count."""
    present = np.zeros(size, dtype=bool)
    present[flat] = True
    return np.flatnonzero(present), (np.cumsum(present) - 1)[flat]


def column_entries(m: sparse.csc_matrix, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The non-zero rows of the columns ``cols`` of ``m``, column after column: (row of ``m``, position in
    ``cols``) pairs, e.g. every area containing a province or every node containing a class."""
    count = np.diff(m.indptr)[cols]
    which = np.repeat(np.arange(len(cols)), count)
    first = np.repeat(m.indptr[cols] - (np.cumsum(count) - count), count)
    return m.indices[first + np.arange(len(which))], which


def _keys_of(q: pd.DataFrame, products: list[str], areas: Areas, periods: list[str]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, slice | np.ndarray]:
    """(product, province, month) positions of the rows of ``q`` and the selection of the known ones."""
    p = _codes(q["product_code"], products)
    a = _codes(q["province"], areas.provinces)
    t = _codes(q["period"], periods)
    known = (p >= 0) & (a >= 0) & (t >= 0)
    ok: slice | np.ndarray = slice(None) if known.all() else known   # a view, not a copy, when all are known
    return p[ok], a[ok], t[ok], ok


def _column(q: pd.DataFrame, col: str, ok: slice | np.ndarray) -> np.ndarray:
    """A column's values as floats (a column the frame lacks, or a value not given, adds nothing)."""
    if col not in q:
        return np.zeros(len(q))[ok]
    v = q[col].to_numpy(dtype=float)[ok]
    return np.where(np.isnan(v), 0.0, v) if np.isnan(v).any() else v


def quantity_rows(q: pd.DataFrame, *, cols: list[str], products: list[str], areas: Areas, periods: list[str],
                  extra: pd.DataFrame | None = None, alias: dict[str, str] | None = None,
                  missing: str | None = None) -> Quantities:
    """q(p, A, t) for each quantity column in ``cols``: sums over the reports of each province, then provinces
    summed into every area containing them (regions, merged provinces, VN) with the 0/1 matrix ``areas.agg``:
    q(p, A, t) = sum over provinces r of A of q(p, r, t). Only (product, area) pairs with a report are kept.

    ``extra``: more rows summed with those of ``q`` (the imputed quantities, and reports left out with negative
    quantities); ``alias``: {column: column of ``q`` that stands for it} (the reported quantity is q's produced);
    ``missing``: a boolean column of ``extra`` marking product x province x months that are missing (NaN in every
    column, and in every area containing the province)."""
    p, a, t, ok = _keys_of(q, products, areas, periods)
    xp = xa = xt = np.zeros(0, dtype=np.int64)
    xok: slice | np.ndarray = slice(None)
    if extra is not None and len(extra):
        xp, xa, xt, xok = _keys_of(extra, products, areas, periods)
        p, a, t = np.concatenate([p, xp]), np.concatenate([a, xa]), np.concatenate([t, xt])
    n_prov, n_areas, n_t = len(areas.provinces), len(areas.codes), len(periods)
    pairs, row = _present(p.astype(np.int64) * n_prov + a, len(products) * n_prov)
    flat = row * n_t + t
    # every area containing each pair's province
    pp = pairs // n_prov
    area, src = column_entries(areas.agg.tocsc(), pairs % n_prov)
    keys, dst = _present(pp[src] * n_areas + area, len(products) * n_areas)
    g = sparse.csr_matrix((np.ones(len(src)), (dst, src)), shape=(len(keys), len(pairs)))
    n_main = len(p) - len(xp)
    gone = None
    if missing is not None and extra is not None and missing in extra and len(xp):
        m = extra[missing].to_numpy(dtype=bool)[xok]
        gone = flat[n_main:][m] if m.any() else None
    values = {}
    for col in cols:
        v = _column(q, (alias or {}).get(col, col), ok)
        if len(xp):
            v = np.concatenate([v, _column(extra, col, xok)])
        by_province = np.bincount(flat, weights=v, minlength=len(pairs) * n_t)
        if gone is not None:
            by_province[gone] = np.nan        # missing: NaN, and so every area containing the province
        values[col] = g @ by_province.reshape(len(pairs), n_t)
    return Quantities(keys, values)


def area_sum(by_province: np.ndarray, areas: Areas) -> np.ndarray:
    """Province values [unit, province] -> [unit, area] with every area the sum of its provinces."""
    return np.asarray(areas.agg @ by_province.T).T


def weight_matrix(weights: pd.DataFrame, codes: list[str], areas: Areas) -> np.ndarray:
    """Weights [code, area]: province weights, regions and VN as sums of provinces."""
    c = _codes(weights["code"], codes)
    a = _codes(weights["province"], areas.provinces)
    ok = (c >= 0) & (a >= 0)
    shape = (len(codes), len(areas.provinces))
    flat = np.ravel_multi_index((c[ok], a[ok]), shape)
    prov = np.bincount(flat, weights=weights["value"].to_numpy(dtype=float)[ok],
                       minlength=int(np.prod(shape))).reshape(shape)
    return area_sum(prov, areas)


def base_quantities(qc: np.ndarray, base_cols: np.ndarray) -> np.ndarray:
    """q0 = mean of the 12 monthly quantities of the base year (last axis: months); a missing month (NaN) is
    left out of the mean (NaN when all 12 are missing)."""
    if int(base_cols.sum()) != 12:
        raise MethodError(f"the base year is not fully covered by the data ({int(base_cols.sum())} of 12 months)")
    base = qc[..., base_cols]
    q0 = base.sum(axis=-1) / 12.0
    gaps = np.isnan(q0)
    if gaps.any():
        with np.errstate(invalid="ignore"):
            q0[gaps] = np.nanmean(base[gaps], axis=-1) if base[gaps].size else q0[gaps]
    return q0


def product_relatives(q0: np.ndarray) -> np.ndarray:
    """The factor r = 100 / q0 of the product relatives i(t) = 100 * q(t) / q0 = r * q(t), one per row (NaN where
    q0 <= 0: no index). :func:`laspeyres` applies it inside the class weights (``Level.scale``)."""
    with np.errstate(divide="ignore"):
        return np.where(q0 > 0, 100.0 / q0, np.nan)


@dataclass(frozen=True)
class Level:
    """Indices of one level of the tree, one row per (unit, area): ``key`` = unit * n_areas + area (sorted),
    ``index`` [row, month], ``weight`` [row] = the base-year weight behind the row. With ``scale`` [row] the
    row's index is ``scale * index`` (NaN scale: no index): the product level is the quantities q with scale
    100 / q0, so the relatives are folded into the class weights instead of being materialised."""

    key: np.ndarray
    index: np.ndarray
    weight: np.ndarray
    scale: np.ndarray | None = None


def laspeyres(low: Level, w: np.ndarray, m: sparse.csc_matrix, n_areas: int) -> Level:
    """Weighted arithmetic mean of lower-level indices within each group, by area and month:
    I(g, A, t) = sum_u w(u, A) I(u, A, t) / sum_u w(u, A) over the units u of group g (``m`` [group x unit])
    that have an index in month t.

    ``w`` [unit, area] base-year weights; a unit counts where it has a positive weight (and a finite scale) and
    an index in some month; a month where it has none (NaN: missing) is left out, the weights of that month
    renormalised over the units present (NaN where none is). ``weight`` of the result is sum_u w(u, A).
    """
    unit, area = low.key // n_areas, low.key % n_areas
    wu = w[unit, area]
    finite = np.isfinite(low.index.sum(axis=1))             # rows without a missing month (the common case)
    partial = ~finite & np.isfinite(low.index).any(axis=1) if not finite.all() else finite & False
    ok = (wu > 0) & (finite | partial)
    coef = wu
    if low.scale is not None:
        ok &= np.isfinite(low.scale)
        coef = wu * np.where(ok, low.scale, 0.0)               # w * (scale * index): scale folded into w
    rows = np.flatnonzero(ok)
    group, which = column_entries(m.tocsc(), unit[rows])   # each row feeds every group it belongs to
    row = rows[which]
    keys, pos = _present(group.astype(np.int64) * n_areas + area[row], m.shape[0] * n_areas)   # (group, area)
    den = np.bincount(pos, weights=wu[row], minlength=len(keys))
    part = partial[row]
    if not part.any():
        s = sparse.csr_matrix((coef[row] / den[pos], (pos, row)), shape=(len(keys), len(low.key)))   # w / sum(w)
        return Level(keys, s @ low.index, den)    # rows left out have no entry: their NaNs never enter
    return Level(keys, _renormalised(low, coef, wu, den, row, pos, part, len(keys)), den)


def _renormalised(low: Level, coef: np.ndarray, wu: np.ndarray, den: np.ndarray, row: np.ndarray,
                  pos: np.ndarray, part: np.ndarray, n_keys: int) -> np.ndarray:
    """sum_u coef(u) I(u, t) / sum_u w(u) [u has a value in t] per group: rows without a missing month through
    one sparse product as usual, the few rows with missing months (zero there) through a second, and each group's
    present weight share phi(g, t) = 1 - sum_{u missing in t} w(u) / sum_u w(u)."""
    full = ~part
    s = sparse.csr_matrix((coef[row[full]] / den[pos[full]], (pos[full], row[full])), shape=(n_keys, len(low.key)))
    prow, at = np.unique(row[part], return_inverse=True)
    have = np.isfinite(low.index[prow])
    sp = sparse.csr_matrix((coef[row[part]] / den[pos[part]], (pos[part], at)), shape=(n_keys, len(prow)))
    wp = sparse.csr_matrix((wu[row[part]] / den[pos[part]], (pos[part], at)), shape=(n_keys, len(prow)))
    num = s @ low.index + sp @ np.where(have, low.index[prow], 0.0)
    phi = 1.0 - wp @ (~have).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(phi > 1e-12, num / phi, np.nan)
