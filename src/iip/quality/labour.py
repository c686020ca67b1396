"""Labour-usage index (GSO: "chỉ số sử dụng lao động"): employees on the 1st of the month compared with the
same date of the previous month (mom) and of the previous year (yoy), by industry (section, division),
province and ownership, in GSO's 100-based form.

For a cell (a set of enterprises E) and comparison month s:  index = 100 * sum_{e in M} L_{e,t} / sum_{e in M}
L_{e,s}, M = enterprises of E with a figure in both months (matched pairs, so entries and exits of the panel do
not move the index). Pure methods: the store drivers are :mod:`iip.quality.drivers.labour`. Method page:
docs/methods/labour.md.

Disclosure control (:func:`protect`): the employees of a cell are a sum over its enterprises, so the same rules as
for compiled indices apply (:func:`iip.disclosure.primary_cells`: fewer than 3 enterprises, or dominance), and
complementary cells are suppressed (:func:`iip.disclosure.audit.secondary_suppression`) so that no suppressed cell
follows from the published ones by subtraction: TOTAL = its sections = its ownership types = its provinces, and
a section = its divisions. A suppressed cell shows no figure at all (employees, indices and counts).
"""
from __future__ import annotations

import pandas as pd

from iip.reference import section_of

DIMENSIONS = ("total", "section", "division", "ownership", "province")
COLUMNS = ["period", "dimension", "code", "employees", "enterprises_mom", "mom", "enterprises_yoy", "yoy"]


def _ratio(cur: pd.DataFrame, base: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    m = cur.merge(base[["enterprise_id", "employees"]], on="enterprise_id", suffixes=("", "_0"))
    g = m.groupby(keys).agg(num=("employees", "sum"), den=("employees_0", "sum"), n=("employees", "size"))
    g["index"] = (100 * g["num"] / g["den"].where(g["den"] > 0)).round(2)
    return g[["index", "n"]]


def _classified(register: pd.DataFrame) -> pd.DataFrame:
    """The register with a column per dimension (total, section, division, ownership, province)."""
    reg = register[["enterprise_id", "province", "vsic", "ownership"]].copy()
    reg["division"] = reg["vsic"].astype(str).str[:2]
    reg["section"] = reg["division"].map(section_of)
    reg["total"] = "TOTAL"
    return reg


def labour_index(emp: pd.DataFrame, register: pd.DataFrame, period: str) -> pd.DataFrame:
    """Labour-usage index of ``period`` for every dimension x code (pure). ``emp``: enterprise_id, period,
    employees; ``register``: enterprise_id, province, vsic, ownership."""
    p = pd.Period(period, "M")
    reg = _classified(register)
    at = {k: emp[emp["period"] == str(q)][["enterprise_id", "employees"]].dropna()
          for k, q in (("t", p), ("m", p - 1), ("y", p - 12))}
    cur = at["t"].merge(reg, on="enterprise_id")
    frames = []
    for dim in DIMENSIONS:
        level = cur.groupby(dim)["employees"].sum().rename("employees")
        mom, yoy = _ratio(cur, at["m"], [dim]), _ratio(cur, at["y"], [dim])
        f = pd.concat([level, mom.add_suffix("_mom"), yoy.add_suffix("_yoy")], axis=1).reset_index()
        frames.append(f.rename(columns={dim: "code"}).assign(dimension=dim))
    out = pd.concat(frames, ignore_index=True).assign(period=period)
    out = out.rename(columns={"index_mom": "mom", "index_yoy": "yoy", "n_mom": "enterprises_mom",
                              "n_yoy": "enterprises_yoy"})
    out["code"] = out["code"].astype(str)
    for c in ("enterprises_mom", "enterprises_yoy"):
        out[c] = out[c].fillna(0).astype(int)
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return out[COLUMNS].sort_values(["dimension", "code"], key=lambda s: s.map(order) if s.name == "dimension"
                                    else s).reset_index(drop=True)


def cell_members(emp: pd.DataFrame, register: pd.DataFrame, period: str) -> pd.DataFrame:
    """Each enterprise's employees of ``period`` in every cell it belongs to: DataFrame[dimension, code,
    enterprise_id, employees] (pure)."""
    cur = emp[emp["period"] == period][["enterprise_id", "employees"]].dropna().merge(_classified(register),
                                                                                    on="enterprise_id")
    frames = [cur[[dim, "enterprise_id", "employees"]].rename(columns={dim: "code"}).assign(dimension=dim)
              for dim in DIMENSIONS]
    out = pd.concat(frames, ignore_index=True)
    out["code"] = out["code"].astype(str)
    return out[["dimension", "code", "enterprise_id", "employees"]]


def identities(cells: pd.DataFrame) -> list:
    """The published additive identities among the cells (columns dimension, code): TOTAL = its sections = its
    ownership types = its provinces; each section = its divisions. Groups of :mod:`iip.disclosure.audit`."""
    have = set(zip(cells["dimension"], cells["code"]))
    total = ("total", "TOTAL")
    groups = []
    for dim in ("section", "ownership", "province"):
        parts = tuple(sorted(c for c in have if c[0] == dim))
        if parts and total in have:
            groups.append((total, parts))
    for sec in sorted(c for c in have if c[0] == "section"):
        parts = tuple(sorted(c for c in have if c[0] == "division" and section_of(c[1]) == sec[1]))
        if parts:
            groups.append((sec, parts))
    return groups


def protect(index: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """``index`` (rows of :func:`labour_index`) with disclosure control: primary suppression by the rules of
    :func:`iip.disclosure.primary_cells` on the enterprises' employees, complements by
    :func:`iip.disclosure.audit.secondary_suppression` over :func:`identities`; a suppressed cell has every
    figure null and ``obs_status`` 'c' (else None)."""
    from iip.disclosure import primary_cells
    from iip.disclosure.audit import secondary_suppression

    out = index.copy()
    out["obs_status"] = None
    if out.empty:
        return out
    o = members.rename(columns={"dimension": "area", "code": "node", "employees": "output"})
    totals = o.groupby(["area", "node"], as_index=False)["output"].sum().rename(columns={"output": "total"})
    cells = primary_cells(o, totals)
    first = {(a, n): r for a, n, r in zip(cells["area"], cells["node"], cells["reason"]) if r}
    weight = {(a, n): max(float(t), 1e-9) for a, n, t in zip(totals["area"], totals["node"], totals["total"])}
    hidden = secondary_suppression(identities(out), first, weight).cells
    hit = [(d, c) in hidden for d, c in zip(out["dimension"], out["code"])]
    values = ["employees", "mom", "yoy", "enterprises_mom", "enterprises_yoy"]
    out[values] = out[values].astype(object)
    out.loc[hit, values] = None
    out.loc[hit, "obs_status"] = "c"
    return out
