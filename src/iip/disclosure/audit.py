"""Secondary suppression and its audit: no suppressed cell may be recoverable from published cells.

Compiled indices are weighted means, so every published parent gives one linear equation

    W_P * I_P  =  sum_k W_k * I_k          (same month; W = base-year weights, fixed in a segment)

over its children k: the VSIC hierarchy within an area (TOTAL > section > division > group > class) and the
geography for one node (a region, a province as merged on 1 July 2025 and VN = their provinces, VN = the regions,
VN = the merged provinces; treated as exact, which is the cautious choice -- see docs/methods/disclosure.md).
A "group" below is one such equation: (total cell, parts). One table (one indicator) is audited at a time.

Suppressed cells are the unknowns (indices, all on one scale). A suppressed cell is *disclosed* when the
published equations pin it down (:func:`determined_cells`):

* exactly: its value is the same in every solution, i.e. every vector of the null space of the equations
  restricted to the suppressed cells is 0 in that coordinate (a property of the identities' structure, checked on
  generic weights);
* nearly: with the real weights, the projection of its unit vector on that null space is shorter than
  :data:`NARROW`, so moving it by one index point moves the other suppressed cells by more than 1/NARROW points
  together: an intruder who bounds them (indices are positive, rarely beyond a few hundred) gets it within a
  fraction of a point. This happens when the cell dominates the weight of its identities (e.g. the one large
  province of a class, published nationally); generic weights cannot show it.

Pure functions; cells are (area, node) tuples.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, sparse
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import lsmr

from iip.errors import MethodError

log = logging.getLogger(__name__)

Cell = tuple[str, str]
#: a cell whose projection on the null space is below 1e-6 is determined, above 1e-3 free (with the generic
#: weights of :func:`iip.disclosure.generic_weights` determined cells come out below 1e-6, free ones above 1e-3);
#: in between the audit cannot tell: the cell is treated as determined (conservative) and reported.
AMBIGUOUS = (1e-6, 1e-3)
#: a cell whose projection on the null space of the equations with the real weights (index units) is shorter
#: than this is nearly determined: disclosed (module docstring).
NARROW = 1e-3
Group = tuple[Cell, tuple[Cell, ...]]


def equations(cells: pd.DataFrame, *, parent_of: dict[str, str], members: dict[str, list[str]]) -> list[Group]:
    """Every published identity among ``cells`` (columns area, node): one (total, parts) group per parent node
    and area (hierarchy), and per aggregate area and node (geography: ``members`` maps an aggregate area to
    the areas it is the weighted mean of; a key ``VN#i`` stands for VN, for a second decomposition of it)."""
    have = set(zip(cells["area"], cells["node"]))
    kids: dict[Cell, list[Cell]] = defaultdict(list)
    for area, node in have:
        p = parent_of.get(node)
        if p is not None and (area, p) in have:
            kids[(area, p)].append((area, node))
    groups: list[Group] = [(t, tuple(sorted(k))) for t, k in kids.items()]
    nodes = sorted({n for _, n in have})
    for agg, parts in members.items():
        total_area = agg.split("#")[0]
        for n in nodes:
            if (total_area, n) in have:
                ps = tuple(sorted((a, n) for a in parts if (a, n) in have))
                if ps:
                    groups.append(((total_area, n), ps))
    return sorted(set(groups))


def _cost(c: Cell, cost: dict[Cell, float]) -> float:
    return cost.get(c, 0.0)


def complement_groups(groups: list[Group], suppressed: dict[Cell, str], cost: dict[Cell, float]) -> dict:
    """Fixed point of the rule "no identity has exactly one suppressed cell": the identity's cheapest other
    member (another part, or the total: the aggregate or a complement, at least cost) is suppressed too.
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
            free = [c for c in members if c not in out]
            if not free:
                continue
            pick = min(free, key=lambda c: (_cost(c, cost), c))
            out[pick] = f"secondary: protects {lone[0]}/{lone[1]} in {total[0]}/{total[1]}"
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


@dataclass(frozen=True)
class Unsettled:
    """Suppressed cells the linear audit could not settle (the iterative solver did not converge, or left them
    between "determined" and "free"): reported, never silent, and protected conservatively (treated as
    determined: each gets a complement)."""

    cells: tuple[Cell, ...]
    equations: int
    why: str

    def describe(self) -> str:
        """One sentence for the release notes and ``iip`` output."""
        first = ", ".join(f"{a}/{n}" for a, n in self.cells[:3])
        return (f"{len(self.cells)} suppressed cell(s) in a block of {self.equations} identities (e.g. {first}) "
                f"could not be settled: {self.why}; each was protected by an extra complement")


@dataclass
class Audit:
    """Result of the linear audit: determined (disclosed) cells, and blocks it could not settle."""

    determined: list[Cell] = field(default_factory=list)
    unsettled: list[Unsettled] = field(default_factory=list)


def determined_cells(groups: list[Group], suppressed, weight: dict[Cell, float], *,
                     generic: dict[Cell, float] | None = None, dense_max: int = 400, seed: int = 0,
                     solver=None) -> Audit:
    """Suppressed cells the published equations pin down (module docstring), per connected component of the
    equations A restricted to the suppressed cells:

    * exactly determined: zero in every null-space vector of A on the ``generic`` weights (default ``weight``),
      columns scaled to unit length (same null-space zero pattern, better conditioned); projection below
      AMBIGUOUS[0]; between AMBIGUOUS[0] and AMBIGUOUS[1] counted as determined and reported;
    * nearly determined: on the real ``weight`` in index units, projection below :data:`NARROW`.

    Projections: an exact SVD null space for components up to ``dense_max`` cells; for larger ones those of
    random vectors r, z = r - A^+ A r (sparse least squares, LSMR; ``solver``, replaceable in tests). A
    component the solver cannot settle is returned in ``unsettled``."""
    cells = sorted(suppressed)
    cols = {c: i for i, c in enumerate(cells)}
    a = _matrix(groups, generic or weight, cols)
    real = _matrix(groups, weight, cols) if generic is not None else a
    out = Audit()
    if a.shape[0] == 0:
        return out
    n, label = connected_components((a.T @ a) != 0, directed=False)
    rng = np.random.default_rng(seed)
    for comp in range(n):
        idx = np.flatnonzero(label == comp)
        sub, sub_real = _block(a, idx), _block(real, idx)
        if sub.shape[0] == 0:
            continue
        norm = np.sqrt(np.asarray(sub.multiply(sub).sum(axis=0)).ravel())
        sub = (sub @ sparse.diags(1.0 / np.where(norm > 0, norm, 1.0))).tocsr()  # same null-space zero pattern
        try:
            size = _sizes(sub, rng, dense=len(idx) <= dense_max, solver=solver)
            narrow = _sizes(sub_real, rng, dense=len(idx) <= dense_max, solver=solver) < NARROW
        except MethodError as exc:  # too large / ill-conditioned for the iterative audit
            out.unsettled.append(Unsettled(tuple(cells[i] for i in idx), sub.shape[0], str(exc)))
            continue
        out.determined += [cells[i] for i, v, x in zip(idx, size, narrow) if v < AMBIGUOUS[0] or x]
        unclear = tuple(cells[i] for i, v, x in zip(idx, size, narrow)
                        if AMBIGUOUS[0] <= v < AMBIGUOUS[1] and not x)
        if unclear:  # conservative: counted as determined, and reported
            out.determined += list(unclear)
            out.unsettled.append(Unsettled(unclear, sub.shape[0], "the audit could not tell whether they are "
                                           "determined (projection between 1e-6 and 1e-3)"))
    return out


def _block(a: sparse.csr_matrix, idx: np.ndarray) -> sparse.csr_matrix:
    """The equations of one component: columns ``idx``, rows that touch them."""
    sub = a[:, idx].tocsr()
    return sub[np.flatnonzero(np.diff(sub.indptr) > 0)]


def _sizes(a: sparse.csr_matrix, rng, *, dense: bool, solver=None) -> np.ndarray:
    """Length of each unit vector's projection on null(a): exact (dense SVD) or estimated (``solver``, default
    :func:`_free_size`)."""
    return _free_size_dense(a.toarray()) if dense else (solver or _free_size)(a, rng)


def _free_size_dense(a: np.ndarray) -> np.ndarray:
    """Length of each unit vector's projection on null(a), from an orthonormal basis (0 = determined)."""
    ns = linalg.null_space(a)
    return np.sqrt((ns ** 2).sum(axis=1)) if ns.size else np.zeros(a.shape[1])


def _free_size(a: sparse.csr_matrix, rng, k: int = 2, k_max: int = 8) -> np.ndarray:
    """Largest |coordinate| of k random vectors projected onto null(a) (0 = determined): z = r - A^+ A r by
    LSMR. A free cell's coordinate is Gaussian, so it can come out small by chance: while some coordinate is in
    the AMBIGUOUS band, more vectors are drawn (up to ``k_max``). A MethodError when the solver does not
    converge."""
    out = np.zeros(a.shape[1])
    for i in range(k_max):
        if i >= k and not ((out >= AMBIGUOUS[0]) & (out < AMBIGUOUS[1])).any():
            break
        r = rng.standard_normal(a.shape[1])
        x, istop = lsmr(a, a @ r, atol=1e-14, btol=1e-14, maxiter=max(50 * a.shape[1], 20000))[:2]
        if istop not in (0, 1, 2, 4, 5):
            raise MethodError(f"least squares did not converge (LSMR istop {istop})")
        out = np.maximum(out, np.abs(r - x))
    return out


@dataclass
class Suppression:
    """Primary and secondary cells ({cell: reason}) and the audit blocks that could not be settled."""

    cells: dict[Cell, str]
    unsettled: list[Unsettled]


def secondary_suppression(groups: list[Group], primary: dict[Cell, str], weight: dict[Cell, float],
                          *, generic: dict[Cell, float] | None = None,
                          cost: dict[Cell, float] | None = None, max_rounds: int = 50,
                          prefer: Callable[[Cell], bool] | None = None, solver=None) -> Suppression:
    """Primary cells plus complementary ones until no suppressed cell is determined by ``groups`` (the
    identities of one table: one indicator's compiled cells). The group rule (:func:`complement_groups`), then
    the linear audit (:func:`determined_cells`: exact determination on ``generic`` weights when given, near
    determination on the real ``weight``); each disclosed cell gets a complement (:func:`_nearest_free`) and the loop repeats.
    Complements are chosen by least ``cost`` (default: the weight; the caller ranks provinces before regions
    before VN); cells that ``prefer`` accepts (provincial ones) are looked for a few identities further before
    a dearer one is taken, but a cell still disclosed after its first complement gets the cheapest free member
    of its own identities, whatever its tier. A block the audit cannot settle is treated as disclosed once
    (every cell gets a complement) and reported."""
    cost = weight if cost is None else cost
    out = dict(primary)
    groups = sorted(set(groups))
    protected: set[Cell] = set()   # cells of unsettled blocks already given a conservative complement
    reported: list[Unsettled] = []
    seen: set[Cell] = set()        # cells already given a complement by the audit
    by_cell: dict[Cell, list[Group]] = defaultdict(list)
    for g in groups:
        for c in (g[0],) + g[1]:
            by_cell[c].append(g)
    for _ in range(max_rounds):
        out = complement_groups(groups, out, cost)
        audit = determined_cells(groups, set(out), weight, generic=generic, solver=solver)
        log.debug("audit round: %d suppressed, %d determined", len(out), len(audit.determined))
        determined = sorted(set(audit.determined))
        bad = list(determined)
        for u in audit.unsettled:
            bad += [c for c in u.cells if c not in protected and c not in determined]
            protected.update(u.cells)
        reported += [u for u in audit.unsettled if all(u.cells != r.cells for r in reported)]
        if not bad:
            return Suppression(out, reported)
        added = 0
        for cell in bad:
            pick = _nearest_free(cell, by_cell, out, cost, prefer=None if cell in seen else prefer)
            seen.add(cell)
            if pick is not None and pick not in out:
                out[pick] = f"secondary: audit protects {cell[0]}/{cell[1]}"
                added += 1
        if not added:
            if determined:
                raise MethodError(f"secondary suppression: {len(determined)} cells stay determined, "
                                  f"e.g. {determined[:3]}")
            return Suppression(out, reported)  # unsettled blocks with nothing left to suppress
    raise MethodError("secondary suppression did not converge")


def _nearest_free(cell: Cell, by_cell: dict, suppressed: dict, cost: dict[Cell, float], *,
                  prefer: Callable[[Cell], bool] | None = None, depth: int = 3) -> Cell | None:
    """The cheapest unsuppressed member of the identities closest to ``cell``: its own identities, then those
    of the suppressed cells they contain, and so on (a free cell can only protect ``cell`` through identities
    that hold suppressed cells bound to it). A member ``prefer`` rejects (a region or VN cell) is taken only if
    no preferred one is found within ``depth`` steps: suppressing an aggregate sets off complements all the way
    up, a provincial cell does not. Without ``prefer``: the cheapest free member of the nearest identities."""
    seen, frontier, fallback = {cell}, [cell], None
    for _ in range(depth):
        if not frontier:
            break
        groups = {g for c in frontier for g in by_cell.get(c, [])}
        members = {m for total, parts in groups for m in (total,) + parts}
        free = sorted((m for m in members if m not in suppressed), key=lambda c: (_cost(c, cost), c))
        good = [m for m in free if prefer is None or prefer(m)]
        if good:
            return good[0]
        fallback = fallback or (free[0] if free else None)
        nxt = {m for m in members if m in suppressed} - seen
        seen |= nxt
        frontier = sorted(nxt)
    return fallback
