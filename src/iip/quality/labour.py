"""Labour-usage index (GSO: "chỉ số sử dụng lao động"): employees on the 1st of the month compared with the
same date of the previous month (mom) and of the previous year (yoy), by industry (section, division),
province and ownership, in GSO's 100-based form.

For a cell (a set of enterprises E) and comparison month s:  index = 100 * sum_{e in M} L_{e,t} / sum_{e in M}
L_{e,s}, M = enterprises of E with a figure in both months (matched pairs, so entries and exits of the panel do
not move the index). Pure: the store driver is :func:`iip.quality.drivers.labour.labour_store`. Method page:
docs/methods/labour.md.
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


def labour_index(emp: pd.DataFrame, register: pd.DataFrame, period: str) -> pd.DataFrame:
    """Labour-usage index of ``period`` for every dimension x code (pure). ``emp``: enterprise_id, period,
    employees; ``register``: enterprise_id, province, vsic, ownership."""
    p = pd.Period(period, "M")
    reg = register[["enterprise_id", "province", "vsic", "ownership"]].copy()
    reg["division"] = reg["vsic"].astype(str).str[:2]
    reg["section"] = reg["division"].map(section_of)
    reg["total"] = "TOTAL"
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
