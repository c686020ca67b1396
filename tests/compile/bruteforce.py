"""An independent, loop-by-loop implementation of the issue's formulas (one base year), used as an oracle."""
from __future__ import annotations

from collections import defaultdict


def months(y0, y1):
    return [f"{y}-{m:02d}" for y in range(y0, y1 + 1) for m in range(1, 13)]


def brute_force(reports, register, products, weights, tree, region_of, base_year, qty="produced"):
    """reports: list of dicts; register: {eid: province}; products: {code: class};
    weights: list of (kind, code, province, base_year, value); tree: {code: parent}.
    Returns {(area, node, period): index} for one base year (no linking)."""
    areas_of = lambda prov: [prov, region_of[prov], "VN"]  # noqa: E731
    q = defaultdict(float)
    periods = sorted({r["period"] for r in reports})
    for r in reports:
        for a in areas_of(register[r["enterprise_id"]]):
            q[(r["product_code"], a, r["period"])] += r[qty]
    wp = defaultdict(float)
    wc = defaultdict(float)
    for kind, code, prov, by, val in weights:
        if by != base_year:
            continue
        for a in areas_of(prov):
            (wp if kind == "product" else wc)[(code, a)] += val
    areas = sorted({a for (_, a, _) in q})
    base = [p for p in periods if p.startswith(str(base_year))]
    out = {}
    for a in areas:
        cls_index = {}
        for c in set(products.values()):
            prods = [p for p in products if products[p] == c and wp.get((p, a), 0) > 0
                     and sum(q.get((p, a, t), 0) for t in base) > 0]
            if not prods:
                continue
            for t in periods:
                num = den = 0.0
                for p in prods:
                    q0 = sum(q.get((p, a, s), 0.0) for s in base) / 12
                    num += wp[(p, a)] * 100 * q.get((p, a, t), 0.0) / q0
                    den += wp[(p, a)]
                cls_index[(c, t)] = num / den
        classes = {c for (c, _) in cls_index if wc.get((c, a), 0) > 0}
        nodes = set()
        for c in classes:
            n = c
            while n:
                nodes.add(n)
                n = tree.get(n)
        for n in nodes:
            under = [c for c in classes if _is_under(c, n, tree)]
            for t in periods:
                num = sum(wc[(c, a)] * cls_index[(c, t)] for c in under)
                den = sum(wc[(c, a)] for c in under)
                out[(a, n, t)] = num / den
    return out


def _is_under(c, n, tree):
    while c:
        if c == n:
            return True
        c = tree.get(c)
    return False
