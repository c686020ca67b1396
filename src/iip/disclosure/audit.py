"""Secondary suppression and its audit: no suppressed cell may be recoverable from published cells.

Compiled indices are weighted means, so every published parent gives one linear equation

    W_P * I_P  =  sum_k W_k * I_k          (same month; W = base-year weights, fixed in a segment)

over its children k: the VSIC hierarchy within an area (TOTAL > section > division > group > class) and the
geography for one node (region = its provinces, VN = the regions, VN = all provinces; treated as exact, which is
the cautious choice — see docs/methods/disclosure.md). A "group" below is one such equation: (total cell, parts).

Suppressed cells are the unknowns. A suppressed cell is *disclosed* if its value is the same in every solution
of the published equations, i.e. if its unit vector lies in the row space of the equations restricted to the
suppressed cells; equivalently if every vector of their null space is 0 in that coordinate
(:func:`determined_cells`). Pure functions; cells are (area, node) tuples.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from scipy import linalg, sparse
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import lsmr

from iip.errors import MethodError

Cell = tuple[str, str]
#: a coordinate of (unit-norm) null-space vectors below TOL counts as 0: the cell is determined. Numerical
#: noise is ~1e-9; free cells are ~1e-3 and more. Erring towards "determined" only suppresses more.
TOL = 1e-6
Group = tuple[Cell, tuple[Cell, ...]]


def equations(cells: pd.DataFrame, *, parent_of: dict[str, str], region_of: dict[str, str]) -> list[Group]:
    """Every published identity among ``cells`` (columns area, node): one (total, parts) group per
    parent node and area, per region and node, per node for VN = regions and for VN = provinces."""
    have = set(zip(cells["area"], cells["node"]))
    groups: list[Group] = []
    kids: dict[Cell, list[Cell]] = defaultdict(list)
    for area, node in have:
        p = parent_of.get(node)
        if p is not None and (area, p) in have:
            kids[(area, p)].append((area, node))
    groups += [(t, tuple(sorted(k))) for t, k in kids.items()]
    geo: dict[Cell, list[Cell]] = defaultdict(list)
    provinces: dict[str, list[Cell]] = defaultdict(list)
    for area, node in have:
        r = region_of.get(area)
        if r is not None:
            provinces[node].append((area, node))
            if (r, node) in have:
                geo[(r, node)].append((area, node))
        elif area != "VN" and ("VN", node) in have:
            geo[("VN", node)].append((area, node))
    groups += [(t, tuple(sorted(k))) for t, k in geo.items()]
    groups += [(("VN", n), tuple(sorted(k))) for n, k in provinces.items() if ("VN", n) in have]
    return sorted(set(groups))


def _smallest(candidates, weight: dict[Cell, float], suppressed: set[Cell]) -> Cell | None:
    free = [c for c in candidates if c not in suppressed and weight.get(c, 0.0) != float("inf")]
    return min(free, key=lambda c: (weight.get(c, 0.0), c)) if free else None


def complement_groups(groups: list[Group], suppressed: dict[Cell, str], weight: dict[Cell, float]) -> dict:
    """Fixed point of the rule "no group has exactly one suppressed cell": if the one is a part, suppress
    the smallest other part (by weight), else the total; if the one is the total, suppress the smallest part.
    Returns the enlarged {cell: reason}."""
    out = dict(suppressed)
    changed = True
    while changed:
        changed = False
        for total, parts in groups:
            members = (total,) + parts
            hit = [c for c in members if c in out]
            if len(hit) != 1:
                continue
            lone = hit[0]
            pick = _smallest(parts, weight, set(out))
            if pick is None and weight.get(total, 0.0) != float("inf"):
                pick = total
            if pick is None or pick in out:
                continue  # only an exempt (always published) cell could protect it: accepted and documented
            where = f"{total[0]}/{total[1]}"
            out[pick] = f"secondary: protects {lone[0]}/{lone[1]} in {where}"
            changed = True
    return out


def _matrix(groups: list[Group], weight: dict[Cell, float], cols: dict[Cell, int]) -> sparse.csr_matrix:
    """Rows: groups with a suppressed member; entries sum_k W_k for the total and -W_k for the parts
    (row-scaled), so that the total is exactly the weighted mean of its parts."""
    rows, cidx, vals = [], [], []
    r = 0
    for total, parts in groups:
        pw = [weight.get(p, 1.0) for p in parts]
        entries = [(total, sum(pw))] + [(p, -w) for p, w in zip(parts, pw)]
        sup = [(c, v) for c, v in entries if c in cols]
        if not sup:
            continue
        scale = max(abs(v) for _, v in sup) or 1.0
        for c, v in sup:
            rows.append(r)
            cidx.append(cols[c])
            vals.append(v / scale)
        r += 1
    return sparse.csr_matrix((vals, (rows, cidx)), shape=(r, len(cols)))


def determined_cells(groups: list[Group], suppressed, weight: dict[Cell, float], *, dense_max: int = 2500,
                     seed: int = 0) -> list[Cell]:
    """Suppressed cells whose value is uniquely determined by the published equations: their coordinate is
    zero in every null-space vector of the equations A restricted to the suppressed cells. Per connected
    component: an exact SVD null space for small components; for large ones the projections
    z = r - A^+ A r of 2 random vectors r onto null(A) (sparse least squares, LSMR), where a coordinate
    that is ~0 in all of them is determined (with probability 1)."""
    cells = sorted(suppressed)
    cols = {c: i for i, c in enumerate(cells)}
    a = _matrix(groups, weight, cols)
    if a.shape[0] == 0:
        return []
    n, label = connected_components((a.T @ a) != 0, directed=False)
    rng = np.random.default_rng(seed)
    bad: list[Cell] = []
    for comp in range(n):
        idx = np.flatnonzero(label == comp)
        sub = a[:, idx].tocsr()
        sub = sub[np.flatnonzero(np.diff(sub.indptr) > 0)]
        if sub.shape[0] == 0:
            continue
        norm = np.sqrt(np.asarray(sub.multiply(sub).sum(axis=0)).ravel())
        sub = (sub @ sparse.diags(1.0 / np.where(norm > 0, norm, 1.0))).tocsr()  # same null-space zero pattern
        try:
            size = _free_size(sub, rng) if len(idx) > dense_max else _free_size_dense(sub.toarray())
        except MethodError as exc:  # too large / ill-conditioned for the iterative audit
            SKIPPED_AUDITS.append(f"{len(idx)} suppressed cells linked by {sub.shape[0]} equations: {exc}; "
                                  "protected by the group rule only")
            continue
        bad += [cells[i] for i, v in zip(idx, size) if v < TOL]
    return bad


SKIPPED_AUDITS: list[str] = []   # components the linear audit could not settle (reported by the caller)


def _free_size_dense(a: np.ndarray) -> np.ndarray:
    """Largest |coordinate| over an orthonormal basis of null(a) (0 = determined)."""
    ns = linalg.null_space(a)
    return np.abs(ns).max(axis=1) if ns.size else np.zeros(a.shape[1])


def _free_size(a: sparse.csr_matrix, rng, k: int = 2) -> np.ndarray:
    """Largest |coordinate| of k random vectors projected onto null(a) (0 = determined)."""
    out = np.zeros(a.shape[1])
    for _ in range(k):
        r = rng.standard_normal(a.shape[1])
        x, istop = lsmr(a, a @ r, atol=1e-13, btol=1e-13, maxiter=min(200 * a.shape[1], 5000))[:2]
        if istop not in (0, 1, 2, 4, 5):
            raise MethodError(f"disclosure audit: least squares did not converge (istop {istop})")
        out = np.maximum(out, np.abs(r - x))
    return out


def secondary_suppression(groups: list[Group], primary: dict[Cell, str], weight: dict[Cell, float],
                          *, cost: dict[Cell, float] | None = None, max_rounds: int = 50) -> dict[Cell, str]:
    """Primary cells plus complementary ones until no suppressed cell is determined: the group rule
    (:func:`complement_groups`), then the linear audit; each disclosed cell gets the smallest free member of
    one of its groups suppressed, and the loop repeats. Complements are chosen by smallest ``cost``
    (default: the weight), e.g. to spare regional and national cells."""
    cost = weight if cost is None else cost
    out = dict(primary)
    by_cell: dict[Cell, list[Group]] = defaultdict(list)
    for g in groups:
        for c in (g[0],) + g[1]:
            by_cell[c].append(g)
    for _ in range(max_rounds):
        out = complement_groups(groups, out, cost)
        bad = determined_cells(groups, set(out), weight)
        if not bad:
            return out
        added = 0
        for cell in bad:
            pick = _nearest_free(cell, by_cell, out, cost)
            if pick is not None and pick not in out:
                out[pick] = f"secondary: audit protects {cell[0]}/{cell[1]}"
                added += 1
        if not added:
            if any(cost.get(c, 0.0) == float("inf") for c in cost):
                return out  # the rest is determined only through exempt (always published) cells
            raise MethodError(f"secondary suppression: {len(bad)} cells stay determined, e.g. {bad[:3]}")
    raise MethodError("secondary suppression did not converge")


def _nearest_free(cell: Cell, by_cell: dict, suppressed: dict, cost: dict[Cell, float], *,
                  cheap: float = 1e12, depth: int = 4) -> Cell | None:
    """The cheapest unsuppressed member of the identities closest to ``cell`` (breadth-first through
    identities whose members are all suppressed); a candidate costing ``cheap`` or more (a region or VN cell)
    is taken only if no cheaper one is found within ``depth`` steps."""
    seen, frontier, fallback = {cell}, [cell], None
    for _ in range(depth):
        if not frontier:
            break
        groups = {g for c in frontier for g in by_cell.get(c, [])}
        free = sorted({m for total, parts in groups for m in (total,) + parts
                       if m not in suppressed and cost.get(m, 0.0) != float("inf")},
                      key=lambda c: (cost.get(c, 0.0), c))
        if free and cost.get(free[0], 0.0) < cheap:
            return free[0]
        fallback = fallback or (free[0] if free else None)
        nxt = {m for total, parts in groups for m in (total,) + parts} - seen
        seen |= nxt
        frontier = sorted(nxt)
    return fallback
