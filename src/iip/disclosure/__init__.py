"""Statistical disclosure control of compiled area x industry cells (method: docs/methods/disclosure.md).

Primary suppression (:func:`primary_cells`), for every compiled cell (area A, node n) in the base year B:

* enterprise e's output in the cell  o(e,A,n) = sum over its products p in classes under n of
  q0_R(e,p) / q0(p,A) * w(p,A)   (q0 = base-year monthly mean quantity; q0_R counts reported ('R') rows only,
  so imputed figures belong to no enterprise; w = base-year product output value, summed over provinces for
  regions and VN);
* the cell's output T(A,n) = sum of w(p,A) over the products that enter its index;
* suppress when fewer than 3 enterprises have o > 0, when the largest o > 85% of T, or the two largest > 90%.

Secondary suppression (:mod:`iip.disclosure.audit`): complementary cells until no suppressed value can be derived
from the published weighted-mean identities (hierarchy within an area, provinces within regions and VN).

Public API (used by the web layer and releases):

* ``suppression_table(con) -> DataFrame[area, node, status, reason]`` — suppressed cells only, status 'c';
  cached in store table ``disclosure`` per compile run;
* ``apply(con, df) -> df`` — rows of the ``indices`` shape with suppressed values set to NaN and a column
  ``obs_status`` ('c' or '').
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from iip.errors import IIPError
from iip.disclosure.audit import equations, secondary_suppression

MIN_COUNT = 3
DOMINANCE_1 = 0.85
DOMINANCE_2 = 0.90
COLUMNS = ["area", "node", "status", "reason"]
KEY_COLUMNS = {"indicator", "area", "node", "period", "run_id", "obs_status", "source", "level", "parent"}


def _areas(frame: pd.DataFrame, region_of: dict[str, str]) -> pd.DataFrame:
    """Repeat province rows (column ``province``) as province, region and VN rows (column ``area``)."""
    return pd.concat([frame.assign(area=frame["province"]),
                      frame.assign(area=frame["province"].map(region_of)),
                      frame.assign(area="VN")], ignore_index=True).dropna(subset=["area"])


def enterprise_output(base: pd.DataFrame, product_w: pd.DataFrame, *, region_of: dict[str, str],
                      ancestors: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprise outputs o(e,A,n) and cell outputs T(A,n) (formulas in the module docstring).

    ``base``: enterprise_id, province, product_code, vsic, q0_all, q0_r (base-year monthly means).
    ``product_w``: product_code, province, value. ``ancestors``: unit (class), node.
    Returns (DataFrame[area, node, enterprise_id, output], DataFrame[area, node, total])."""
    b = _areas(base, region_of)
    q0 = b.groupby(["area", "product_code"], as_index=False)["q0_all"].sum()
    w = _areas(product_w, region_of).groupby(["area", "product_code"], as_index=False)["value"].sum()
    pw = q0.merge(w, on=["area", "product_code"])
    pw = pw[(pw["q0_all"] > 0) & (pw["value"] > 0)]
    vsic = base.drop_duplicates("product_code").set_index("product_code")["vsic"]
    pw["unit"] = pw["product_code"].map(vsic)
    pw = pw.merge(ancestors, on="unit")
    totals = pw.groupby(["area", "node"], as_index=False)["value"].sum().rename(columns={"value": "total"})
    e = b[b["q0_r"] > 0].merge(pw[["area", "product_code", "q0_all", "value", "node"]],
                               on=["area", "product_code"], suffixes=("_e", ""))
    e["output"] = e["q0_r"] / e["q0_all"] * e["value"]
    out = e.groupby(["area", "node", "enterprise_id"], as_index=False)["output"].sum()
    return out, totals


def primary_cells(output: pd.DataFrame, totals: pd.DataFrame, *, min_count: int = MIN_COUNT,
                  dominance_1: float = DOMINANCE_1, dominance_2: float = DOMINANCE_2) -> pd.DataFrame:
    """Per cell: n (enterprises with output > 0), top1, top2 (shares of T) and ``reason`` ('' when the
    cell may be published): n < min_count, top1 > dominance_1, or top1 + top2 > dominance_2."""
    o = output[output["output"] > 0].sort_values(["area", "node", "output"], ascending=[True, True, False])
    o = o.assign(rank=o.groupby(["area", "node"]).cumcount())
    g = o.groupby(["area", "node"]).agg(n=("output", "size")).reset_index()
    top = o[o["rank"] < 2].pivot_table(index=["area", "node"], columns="rank", values="output", fill_value=0.0)
    top = top.reindex(columns=[0, 1], fill_value=0.0).reset_index().rename(columns={0: "o1", 1: "o2"})
    cells = totals.merge(g, on=["area", "node"], how="left").merge(top, on=["area", "node"], how="left")
    cells[["n", "o1", "o2"]] = cells[["n", "o1", "o2"]].fillna(0.0)
    cells["n"] = cells["n"].astype(int)
    cells["top1"] = cells["o1"] / cells["total"]
    cells["top2"] = (cells["o1"] + cells["o2"]) / cells["total"]
    reason = np.where(cells["n"] < min_count, "primary: " + cells["n"].astype(str) + f" enterprise(s) < {min_count}",
             np.where(cells["top1"] > dominance_1, "primary: largest enterprise " + _pct(cells["top1"])
                      + f" > {dominance_1:.0%}",
             np.where(cells["top2"] > dominance_2, "primary: two largest " + _pct(cells["top2"])
                      + f" > {dominance_2:.0%}", "")))
    cells["reason"] = reason
    return cells[["area", "node", "n", "top1", "top2", "total", "reason"]]


def _pct(s: pd.Series) -> pd.Series:
    return (100 * s).round(1).astype(str) + "%"


def cell_weights(industry_w: pd.DataFrame, cells: pd.DataFrame, *, region_of: dict[str, str],
                 ancestors: pd.DataFrame) -> dict[tuple[str, str], float]:
    """W(prov,n) = sum of base-year class value added W(c,prov) over the classes under n with a cell in the
    province; W(region,n) and W(VN,n) = sums of W(prov,n) over their provinces. The identities are then
    additive in v = W * I at every level (what the compile does, exactly, within a province)."""
    w = industry_w.rename(columns={"code": "unit", "province": "area"})
    have = cells[["area", "node"]].rename(columns={"node": "unit"})
    w = w.merge(have, on=["area", "unit"]).merge(ancestors, on="unit")
    prov = w.groupby(["area", "node"], as_index=False)["value"].sum().rename(columns={"area": "province"})
    s = _areas(prov, region_of).groupby(["area", "node"])["value"].sum()
    return {k: float(v) for k, v in s.items()}


def suppression(cell_sets: list[pd.DataFrame], primary: pd.DataFrame, weight: dict, *, parent_of: dict[str, str],
                region_of: dict[str, str], primary_areas: str = "provinces",
                exempt_areas: tuple[str, ...] = ("VN",)) -> pd.DataFrame:
    """Primary + secondary suppression over the published cells (one cell set per indicator; the equations of
    all of them are used). ``primary_areas``: 'provinces' (default: the primary rules protect provincial
    cells; regional and national cells are only suppressed as complements) or 'all'.
    Returns DataFrame[area, node, status, reason] of the suppressed cells."""
    groups = sorted({g for cs in cell_sets for g in equations(cs, parent_of=parent_of, region_of=region_of)})
    have = set().union(*[set(zip(cs["area"], cs["node"])) for cs in cell_sets])
    p = primary[primary["reason"] != ""]
    if primary_areas == "provinces":
        p = p[p["area"].isin(list(region_of))]
    first = {(a, n): r for a, n, r in zip(p["area"], p["node"], p["reason"]) if (a, n) in have}
    # complements: provinces first; a region or VN cell only when nothing else protects the cell
    # national cells (exempt_areas) are always published, as GSO publishes them: never a complement
    cost = {c: (float("inf") if c[0] in exempt_areas else v * (1.0 if c[0] in region_of else 1e12))
            for c, v in weight.items()}
    out = secondary_suppression(groups, first, weight, cost=cost)
    rows = [(a, n, "c", r) for (a, n), r in sorted(out.items())]
    return pd.DataFrame(rows, columns=COLUMNS)


# ------------------------------------------------------------------------------------------ store
def base_year_of(con: duckdb.DuckDBPyConnection) -> int:
    """The latest base year with weights whose 12 months are all in the reports (the current segment)."""
    rows = con.execute("""SELECT w.base_year FROM (SELECT DISTINCT base_year FROM weights) w
        WHERE (SELECT count(DISTINCT period) FROM reports WHERE substr(period, 1, 4) = w.base_year::VARCHAR) = 12
        ORDER BY 1 DESC LIMIT 1""").fetchall()
    if not rows:
        raise IIPError("disclosure control needs a base year with weights and 12 months of reports")
    return int(rows[0][0])


def load_inputs(con: duckdb.DuckDBPyConnection, base_year: int) -> dict:
    """Base-year enterprise quantities, product and class weights, and the compiled cells per indicator."""
    base = con.execute("""
        SELECT r.enterprise_id, g.province, r.product_code, p.vsic,
               sum(r.produced) / 12 AS q0_all,
               sum(CASE WHEN r.status = 'R' THEN r.produced ELSE 0 END) / 12 AS q0_r
        FROM reports r JOIN register g USING (enterprise_id) JOIN products p USING (product_code)
        WHERE substr(r.period, 1, 4) = ? AND r.produced IS NOT NULL
        GROUP BY ALL""", [str(base_year)]).df()
    w = con.execute("SELECT kind, code, province, value FROM weights WHERE base_year = ?", [base_year]).df()
    cells = con.execute("SELECT DISTINCT indicator, area, node FROM index_levels").df()
    return {"base": base,
            "product_w": w[w["kind"] == "product"].rename(columns={"code": "product_code"})[
                ["product_code", "province", "value"]],
            "industry_w": w[w["kind"] == "industry"][["code", "province", "value"]],
            "cell_sets": [g[["area", "node"]] for _, g in cells.groupby("indicator")]}


def _reference() -> dict:
    from iip import reference
    from iip.compile.engine import class_ancestors

    tree = reference.vsic()
    prov = reference.provinces()
    return {"parent_of": dict(zip(tree["code"], tree["parent"])), "ancestors": class_ancestors(tree),
            "region_of": dict(zip(prov["code"], prov["region_code"]))}


def compute(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Primary + secondary suppression from the store's reports, weights and compiled cells."""
    ref = _reference()
    inp = load_inputs(con, base_year_of(con))
    if not inp["cell_sets"]:
        return pd.DataFrame(columns=COLUMNS)
    output, totals = enterprise_output(inp["base"], inp["product_w"], region_of=ref["region_of"],
                                       ancestors=ref["ancestors"])
    primary = primary_cells(output, totals)
    cells = pd.concat(inp["cell_sets"]).drop_duplicates()
    # a compiled cell with no base-year output behind it (nothing reported) counts as 0 enterprises
    missing = cells.merge(primary[["area", "node"]], how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"][["area", "node"]]
    primary = pd.concat([primary, missing.assign(reason=f"primary: 0 enterprise(s) < {MIN_COUNT}")])
    weight = cell_weights(inp["industry_w"], cells, region_of=ref["region_of"], ancestors=ref["ancestors"])
    return suppression(inp["cell_sets"], primary, weight, parent_of=ref["parent_of"], region_of=ref["region_of"])


def _current_run(con) -> int | None:
    row = con.execute("SELECT max(run_id) FROM index_cells").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def refresh(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Recompute the suppression table for the current compile run and store it (table ``disclosure``,
    one set of rows per run; earlier runs are kept)."""
    run = _current_run(con)
    table = compute(con) if run is not None else pd.DataFrame(columns=COLUMNS)
    if run is not None:
        _store(con, table, run)
    return table


def _store(con: duckdb.DuckDBPyConnection, table: pd.DataFrame, run: int) -> None:
    from iip.store import transaction

    with transaction(con):
        con.execute("DELETE FROM disclosure WHERE run_id = ?", [run])
        con.register("_disc", table.assign(run_id=run))
        con.execute("INSERT INTO disclosure (area, node, status, reason, run_id) "
                    "SELECT area, node, status, reason, run_id FROM _disc")
        con.unregister("_disc")
        con.execute("DELETE FROM disclosure_runs WHERE run_id = ?", [run])
        con.execute("INSERT INTO disclosure_runs (run_id, cells) VALUES (?, ?)", [run, len(table)])


def suppression_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Suppressed cells of the current compile run: DataFrame[area, node, status ('c'), reason]. Read from the
    cache table ``disclosure`` when it matches the latest run, else computed (and cached if the store is
    writable). No compiled indices: an empty frame."""
    run = _current_run(con)
    if run is None:
        return pd.DataFrame(columns=COLUMNS)
    try:
        cached = con.execute("SELECT area, node, status, reason FROM disclosure WHERE run_id = ? "
                             "ORDER BY area, node", [run]).df()
        done = con.execute("SELECT count(*) FROM disclosure_runs WHERE run_id = ?", [run]).fetchone()[0] > 0
    except duckdb.CatalogException:
        return compute(con)
    if done:
        return cached
    table = compute(con)
    try:
        _store(con, table, run)
    except (duckdb.InvalidInputException, duckdb.IOException, duckdb.TransactionException,
            duckdb.PermissionException):
        pass  # read-only store: computed, not cached
    return table


def apply(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, *, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of the ``indices`` shape (at least area, node and value columns) with disclosure applied:

    * a suppressed cell: every numeric value column NaN, ``obs_status`` 'c';
    * a cell whose parent node (same area) is suppressed: contrib_yoy / contrib_ytd NaN (a contribution
      (W_k/W_P)(I_k(t) - I_k(t-12)) / I_P(t-12) would reveal the parent's index);
    * a cell of an area whose TOTAL is suppressed: contrib_total_yoy NaN (same reason).
    ``table`` overrides the store's suppression table (tests, releases of a fixed vintage)."""
    missing = {"area", "node"} - set(df.columns)
    if missing:
        raise IIPError(f"disclosure.apply needs columns area and node; missing {sorted(missing)}")
    table = suppression_table(con) if table is None else table
    cells = set(zip(table["area"], table["node"]))
    out = df.copy()
    keys = list(zip(out["area"], out["node"]))
    hit = np.fromiter((k in cells for k in keys), bool, len(keys))
    values = [c for c in out.columns if c not in KEY_COLUMNS and pd.api.types.is_numeric_dtype(out[c])]
    out.loc[hit, values] = np.nan
    parent_of = _reference()["parent_of"]
    up = np.fromiter(((a, parent_of.get(n)) in cells for a, n in keys), bool, len(keys))
    top = np.fromiter(((a, "TOTAL") in cells for a, _ in keys), bool, len(keys))
    for col, mask in (("contrib_yoy", up), ("contrib_ytd", up), ("contrib_total_yoy", top)):
        if col in out.columns:
            out.loc[mask, col] = np.nan
    out["obs_status"] = np.where(hit, "c", "")
    return out
