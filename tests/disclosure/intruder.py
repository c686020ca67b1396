"""An intruder's derivations, written independently of iip.disclosure: from the published cells of one
indicator (what the API, the dashboard and the release tables show) and the weighted-mean identities that bind
them, recover every confidential cell that can be recovered.

Identities (same node, same month): a parent node = weighted mean of its child nodes in one area; an aggregate
area (region, merged province from July 2025, VN) = weighted mean of its provinces for one node; VN = the regions
and VN = the merged provinces. The weights are taken as known (the cautious assumption: contributions reveal
their ratios).

* by equality / subtraction: an identity with exactly one confidential member gives that member;
* by linear combination: a confidential cell is determined when its unit vector lies in the row space of the
  identities restricted to the confidential cells (a dense pivoted QR per connected block, on the real weights;
  iip.disclosure audits with iterative least squares on other weights, so the two share no method).
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from scipy import linalg, sparse
from scipy.sparse.csgraph import connected_components

from iip import reference

Cell = tuple[str, str]


def is_merged(area: str) -> bool:
    """A province as merged on 1 July 2025: N + 2 digits (NCC and NMM are regions)."""
    return len(area) == 3 and area[0] == "N" and area[1:].isdigit()


def geography(merged: bool) -> dict[str, list[str]]:
    """Aggregate area -> its provinces (old GSO codes), from the reference tables."""
    prov = reference.provinces()
    out: dict[str, list[str]] = defaultdict(list)
    for code, region, new in zip(prov["code"], prov["region_code"], prov["code_2025"]):
        out[region].append(code)
        out["VN"].append(code)
        if merged:
            out["N" + new].append(code)
    return dict(out)


def identities(cells: set[Cell]) -> list[tuple[Cell, tuple[Cell, ...]]]:
    """Every (total, parts) identity among ``cells``."""
    tree = reference.vsic()
    parent = dict(zip(tree["code"], tree["parent"]))
    merged = any(is_merged(a) for a, _ in cells)
    geo = geography(merged)
    upper = {"VN#regions": sorted(set(reference.provinces()["region_code"]))}
    if merged:
        upper["VN#merged"] = sorted(a for a in geo if is_merged(a))
    kids: dict[Cell, set[Cell]] = defaultdict(set)
    for a, n in cells:
        p = parent.get(n)
        if isinstance(p, str) and (a, p) in cells:
            kids[(a, p)].add((a, n))
    out = [(t, tuple(sorted(k))) for t, k in kids.items()]
    for n in {n for _, n in cells}:
        for agg, members in list(geo.items()) + list(upper.items()):
            total = (agg.split("#")[0], n)
            parts = tuple(sorted((m, n) for m in members if (m, n) in cells))
            if total in cells and parts:
                out.append((total, parts))
    return out


def cell_weights(con, cells: set[Cell]) -> dict[Cell, float]:
    """Base-year value added of the classes under each cell (classes compiled in the province), summed over
    provinces for aggregate areas."""
    tree = reference.vsic()
    parent = dict(zip(tree["code"], tree["parent"]))
    areas_of: dict[str, list[str]] = defaultdict(list)
    for agg, members in geography(any(is_merged(a) for a, _ in cells)).items():
        for m in members:
            areas_of[m].append(agg)
    base = con.execute("SELECT max(base_year) FROM weights").fetchone()[0]
    w = con.execute("SELECT code, province, value FROM weights WHERE kind = 'industry' AND base_year = ?",
                    [base]).fetchall()
    out: dict[Cell, float] = defaultdict(float)
    for code, prov, v in w:
        if (prov, code) not in cells:
            continue
        n = code
        while isinstance(n, str):
            for a in [prov, *areas_of[prov]]:
                out[(a, n)] += v
            n = parent.get(n)
    return out


def by_equality(groups, hidden: set[Cell]) -> set[Cell]:
    """Hidden cells that are the one hidden member of some identity."""
    found = set()
    for total, parts in groups:
        h = [m for m in (total, *parts) if m in hidden]
        if len(h) == 1:
            found.add(h[0])
    return found


def by_linear_combination(groups, hidden: set[Cell], weight: dict[Cell, float]) -> set[Cell]:
    """Hidden cells fixed by the identities: e_i in the row space of the identities restricted to them."""
    names = sorted(hidden)
    cols = {c: i for i, c in enumerate(names)}
    rows, ci, vals = [], [], []
    r = 0
    for total, parts in groups:
        entries = [(total, sum(weight.get(p, 0.0) for p in parts))] + [(p, -weight.get(p, 0.0)) for p in parts]
        entries = [(c, v) for c, v in entries if c in cols and v != 0]
        if not entries:
            continue
        scale = max(abs(v) for _, v in entries)
        for c, v in entries:
            rows.append(r)
            ci.append(cols[c])
            vals.append(v / scale)
        r += 1
    if r == 0:
        return set()
    a = sparse.csr_matrix((vals, (rows, ci)), shape=(r, len(cols)))
    n, label = connected_components((a.T @ a) != 0, directed=False)
    found = set()
    for k in range(n):
        idx = np.flatnonzero(label == k)
        sub = a[:, idx].tocsr()
        sub = sub[np.flatnonzero(np.diff(sub.indptr) > 0)].toarray()
        if sub.shape[0] == 0:
            continue
        # e_i lies in the row space iff its projection on range(sub^T) (orthonormal basis Q) has length 1
        q, rr, _ = linalg.qr(sub.T, mode="economic", pivoting=True)
        d = np.abs(np.diag(rr))
        rank = int((d > d.max() * 1e-10).sum()) if d.size else 0
        length = np.sqrt((q[:, :rank] ** 2).sum(axis=1))
        found |= {names[i] for i, x in zip(idx, length) if x > 1 - 1e-8}
    return found
