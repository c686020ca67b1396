"""Labour-usage index (GSO: "chỉ số sử dụng lao động"): employees on the 1st of the month compared with the
same date of the previous month (mom) and of the previous year (yoy), by industry (section, division),
province and ownership, in GSO's 100-based form.

For a cell (a set of enterprises E) and comparison month s:  index = 100 * sum_{e in M} L_{e,t} / sum_{e in M}
L_{e,s}, M = enterprises of E with a figure in both months (matched pairs, so entries and exits of the panel do
not move the index). Method page: docs/methods/labour.md.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from iip import validation as v
from iip.collection import audit
from iip.collection.service import write_transaction
from iip.errors import ValidationError, errors_only
from iip.ingest import microdata
from iip.store import next_load_id

LAYOUT = v.Layout("employment", ("enterprise_id", "period", "employees"), key=("enterprise_id", "period"),
                  numeric=("employees",), required=("enterprise_id", "period", "employees"))
DIMENSIONS = ("total", "section", "division", "ownership", "province")
COLUMNS = ["period", "dimension", "code", "employees", "enterprises_mom", "mom", "enterprises_yoy", "yoy"]


def section_of(division: str) -> str:
    """VSIC section of a 2-digit division: B 05-09, C 10-33, D 35, E 36-39."""
    d = int(division)
    return "B" if d <= 9 else "C" if d <= 33 else "D" if d == 35 else "E"


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


def labour_store(con: duckdb.DuckDBPyConnection, period: str) -> pd.DataFrame:
    """Compute the month's index from table ``employment`` and store it in ``labour_index`` (the month's rows
    are replaced by the new computation in one transaction)."""
    p = pd.Period(period, "M")
    emp = con.execute("SELECT enterprise_id, period, employees FROM employment WHERE status = 'R' AND period IN "
                      "(?, ?, ?)", [str(p), str(p - 1), str(p - 12)]).df()
    reg = con.execute("SELECT enterprise_id, province, vsic, ownership FROM register").df()
    out = labour_index(emp, reg, period)
    with write_transaction(con):
        con.execute("DELETE FROM labour_index WHERE period = ?", [period])
        con.register("_lab", out)
        con.execute(f"INSERT INTO labour_index ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM _lab")
        con.unregister("_lab")
    return out


def ingest_employment(con: duckdb.DuckDBPyConnection, path: str | Path, *, user: str | None = None) -> tuple[int, int]:
    """Validate an employment file (enterprise_id, period, employees) and write it versioned, all or nothing;
    returns (inserted, unchanged)."""
    path = Path(path)
    df = microdata.read_frame(path)
    problems = v.missing_columns(list(df.columns), LAYOUT, file=str(path))
    if not problems:
        con.register("_stage_emp", df[["_row", *LAYOUT.columns]])
        try:
            import ibis
            t = ibis.duckdb.from_connection(con).table("_stage_emp")
            ref = {"enterprises": ibis.duckdb.from_connection(con).table("register").enterprise_id}
            rules = v.generic_rules(LAYOUT) + [r for r in v.domain_rules("reports", {**ref, "products": []})
                                               if r.field in ("enterprise_id", "period")]
            rules.append(v.Rule("employees", "integer", "employees must be a whole number",
                                lambda t: v._num(t.employees) != v._num(t.employees).floor()))
            problems = v.check(t, rules, file=str(path)) + v.duplicate_rows(t, LAYOUT, file=str(path))
        finally:
            con.unregister("_stage_emp")
    errors = errors_only(problems)
    if errors:
        raise ValidationError(errors, file=str(path))
    with write_transaction(con):
        load_id = next_load_id(con)
        con.register("_emp_in", df[list(LAYOUT.columns)])
        con.execute("""CREATE OR REPLACE TEMP TABLE _emp_new AS SELECT trim(CAST(enterprise_id AS VARCHAR))
            AS enterprise_id, trim(CAST(period AS VARCHAR)) AS period,
            TRY_CAST(trim(CAST(employees AS VARCHAR)) AS DOUBLE) AS employees FROM _emp_in""")
        con.unregister("_emp_in")
        con.execute("""CREATE OR REPLACE TEMP TABLE _emp_chg AS SELECT n.* FROM _emp_new n LEFT JOIN employment c
            USING (enterprise_id, period) WHERE c.enterprise_id IS NULL OR c.status <> 'R'
            OR c.employees IS DISTINCT FROM n.employees""")
        key = "(enterprise_id, period) IN (SELECT (enterprise_id, period) FROM _emp_chg)"
        con.execute(f"INSERT INTO employment_history SELECT *, {load_id} FROM employment WHERE {key}")
        con.execute(f"DELETE FROM employment WHERE {key}")
        con.execute(f"INSERT INTO employment SELECT *, {load_id}, 'R' FROM _emp_chg")
        inserted = int(con.execute("SELECT count(*) FROM _emp_chg").fetchone()[0])
        con.execute("INSERT INTO loads (load_id, kind, file, sha256, rows, inserted, unchanged, loaded_by) "
                    "VALUES (?, 'employment', ?, ?, ?, ?, ?, ?)",
                    [load_id, str(path), microdata.sha256(path), len(df), inserted, len(df) - inserted, user])
        audit.log(con, username=user, role=None, action="ingest_employment", load_id=load_id,
                  detail={"file": str(path), "inserted": inserted})
        con.execute("DROP TABLE _emp_new; DROP TABLE _emp_chg")
    return inserted, len(df) - inserted
