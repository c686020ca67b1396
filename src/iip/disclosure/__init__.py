"""Statistical disclosure control of compiled area x industry cells (method: docs/methods/disclosure.md).

* :mod:`iip.disclosure.rules` -- primary suppression (count and dominance rules on every area alike);
* :mod:`iip.disclosure.audit` -- secondary suppression: complements chosen at least cost until no suppressed
  cell can be derived from published cells, by equality or by any linear combination of the weighted-mean
  identities (node hierarchy; regions, merged provinces and VN over their provinces);
* this module -- the driver on the store, the one cache (keyed by compile run and method), and :func:`apply`.

Public API (release, web, CLI):

* ``suppression_table(con) -> DataFrame[area, node, status, reason]``: suppressed cells only, status 'c';
* ``unsettled(con) -> list[str]``: audit blocks the check could not settle (reported, never silent);
* ``apply(con, df) -> df``: rows of the ``indices`` shape with suppressed values NaN and ``obs_status`` 'c'/''.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from iip.disclosure.audit import equations, secondary_suppression
from iip.disclosure.rules import (MIN_COUNT, Geography, cell_weights, enterprise_output,  # noqa: F401
                                  primary_cells)
from iip.errors import IIPError

#: Version of the rules; the cache is keyed by (compile run, METHOD), so a change of method recomputes.
METHOD = "2"
COLUMNS = ["area", "node", "status", "reason"]
KEY_COLUMNS = {"indicator", "area", "node", "period", "run_id", "obs_status", "source", "level", "parent"}
#: Cost of a complement = the cell's weight x the factor of its tier (province, merged province, region, VN).
TIER_COST = (1.0, 1e3, 1e6, 1e9)


@dataclass
class Result:
    """The suppressed cells of one compile run and the audit blocks that could not be settled."""

    table: pd.DataFrame
    unsettled: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ method
def suppression(cell_sets: list[pd.DataFrame], primary: pd.DataFrame, weight: dict, *, parent_of: dict[str, str],
                geo: Geography, audit_weight: dict | None = None, solver=None) -> Result:
    """Primary + secondary suppression over the published cells (one cell set per indicator; the identities of
    all of them are used). ``primary``: area, node, reason ('' = may be published). Complements cost their
    weight times their tier's factor (:data:`TIER_COST`): provinces first, VN last, nothing exempt. The audit
    runs on ``audit_weight`` (default ``weight``; :func:`generic_weights` in production)."""
    systems = [equations(cs, parent_of=parent_of, members=geo.members()) for cs in cell_sets]
    have = set().union(*[set(zip(cs["area"], cs["node"])) for cs in cell_sets])
    p = primary[primary["reason"] != ""]
    first = {(a, n): r for a, n, r in zip(p["area"], p["node"], p["reason"]) if (a, n) in have}
    cost = {c: v * TIER_COST[geo.tier(c[0])] for c, v in weight.items()}
    out = secondary_suppression(systems, first, audit_weight or weight, cost=cost, solver=solver,
                                prefer=lambda c: geo.tier(c[0]) <= 1)
    rows = [(a, n, "c", r) for (a, n), r in sorted(out.cells.items())]
    return Result(pd.DataFrame(rows, columns=COLUMNS), [u.describe() for u in out.unsettled])


def area_kind(area: str) -> str:
    """'province', 'merged province', 'region' or 'VN' (the tiers complements are taken from, in that order)."""
    return ("province", "merged province", "region", "VN")[_GEO.tier(area)]


_GEO = Geography({f"{i:02d}": "" for i in range(100)}, {})


# ------------------------------------------------------------------------------------------- store
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
    cells = con.execute("SELECT DISTINCT indicator, area, node FROM index_series").df()
    return {"base": base,
            "product_w": w[w["kind"] == "product"].rename(columns={"code": "product_code"})[
                ["product_code", "province", "value"]],
            "industry_w": w[w["kind"] == "industry"][["code", "province", "value"]],
            "cell_sets": [g[["area", "node"]] for _, g in cells.groupby("indicator")]}


def reference_frames(*, merged: bool) -> dict:
    """VSIC parents and class ancestors, and the compile's geography (merged provinces when compiled)."""
    from iip import reference

    prov = reference.provinces()
    geo = Geography(dict(zip(prov["code"], prov["region_code"])),
                    dict(zip(prov["code"], prov["code_2025"])) if merged else {})
    tree = reference.vsic()
    anc = reference.vsic_ancestors()
    anc = anc[anc["code"].isin(tree.loc[tree["level"] == "class", "code"])]
    return {"parent_of": dict(zip(tree["code"], tree["parent"])), "geo": geo,
            "ancestors": anc.rename(columns={"code": "unit", "ancestor": "node"})[["unit", "node"]]}


def generic_weights(industry_w: pd.DataFrame, cells: pd.DataFrame, *, geo: Geography, ancestors: pd.DataFrame,
                    seed: int = 2010) -> dict[tuple[str, str], float]:
    """Cell weights built like :func:`cell_weights` from random class weights in [1, 2]: the identities keep
    their structure (a total is the sum of its parts, a region the sum of its provinces), but not the real
    weights' spread over six orders of magnitude, which leaves the equations too ill-conditioned for the
    iterative audit. Whether a cell is determined depends on the structure, not on the values, except on a
    set of weights of measure zero; the derivation test checks the result with the real weights."""
    rng = np.random.default_rng(seed)
    generic = industry_w.assign(value=rng.uniform(1.0, 2.0, len(industry_w)))
    return cell_weights(generic, cells, geo=geo, ancestors=ancestors)


def compute(con: duckdb.DuckDBPyConnection, *, solver=None) -> Result:
    """Primary + secondary suppression from the store's reports, weights and compiled cells."""
    inp = load_inputs(con, base_year_of(con))
    if not inp["cell_sets"]:
        return Result(pd.DataFrame(columns=COLUMNS))
    cells = pd.concat(inp["cell_sets"]).drop_duplicates()
    ref = reference_frames(merged=bool(cells["area"].str.fullmatch(r"N\d\d").any()))
    output, totals = enterprise_output(inp["base"], inp["product_w"], geo=ref["geo"], ancestors=ref["ancestors"])
    primary = primary_cells(output, totals)
    # a compiled cell with no reported base-year output behind it counts as 0 enterprises
    missing = cells.merge(primary[["area", "node"]], how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"][["area", "node"]]
    primary = pd.concat([primary, missing.assign(reason=f"primary: 0 enterprise(s) < {MIN_COUNT}")])
    weight = cell_weights(inp["industry_w"], cells, geo=ref["geo"], ancestors=ref["ancestors"])
    generic = generic_weights(inp["industry_w"], cells, geo=ref["geo"], ancestors=ref["ancestors"])
    return suppression(inp["cell_sets"], primary, weight, parent_of=ref["parent_of"], geo=ref["geo"],
                       audit_weight=generic, solver=solver)


# ------------------------------------------------------------------------------------------- cache
# The one cache of suppression tables: store table ``disclosure`` (+ ``disclosure_runs``, ``disclosure_unsettled``)
# keyed by (compile run, METHOD), read once per process and store (the memo below holds what the table holds).
_lock = threading.Lock()
_memo: dict[tuple, Result] = {}


def current_run(con: duckdb.DuckDBPyConnection) -> int | None:
    """The latest compile run (None: nothing compiled)."""
    row = con.execute("SELECT max(run_id) FROM compile_runs").fetchone()
    return None if row is None or row[0] is None else int(row[0])


def _store_key(con: duckdb.DuckDBPyConnection, run: int) -> tuple:
    db = con.execute("SELECT coalesce(path, database_name) FROM duckdb_databases() "
                     "WHERE database_name = current_database()").fetchall()[0][0]
    return (str(db), run, METHOD)


def _read(con: duckdb.DuckDBPyConnection, run: int) -> Result | None:
    """The stored result of ``run`` under this METHOD, None when not computed (or the store predates it)."""
    try:
        done = con.execute("SELECT count(*) FROM disclosure_runs WHERE run_id = ? AND method = ?",
                           [run, METHOD]).fetchall()[0][0]
        if not done:
            return None
        table = con.execute("SELECT area, node, status, reason FROM disclosure WHERE run_id = ? AND method = ? "
                            "ORDER BY area, node", [run, METHOD]).df()
        notes = [r[0] for r in con.execute("SELECT note FROM disclosure_unsettled WHERE run_id = ? AND method = ? "
                                           "ORDER BY block", [run, METHOD]).fetchall()]
    except (duckdb.CatalogException, duckdb.BinderException):
        return None
    return Result(table, notes)


def _write(con: duckdb.DuckDBPyConnection, result: Result, run: int) -> None:
    from iip.store import transaction

    with transaction(con):
        con.execute("DELETE FROM disclosure WHERE run_id = ? AND method = ?", [run, METHOD])
        con.register("_disc", result.table.assign(run_id=run, method=METHOD))
        con.execute("INSERT INTO disclosure (area, node, status, reason, run_id, method) "
                    "SELECT area, node, status, reason, run_id, method FROM _disc")
        con.unregister("_disc")
        con.execute("DELETE FROM disclosure_unsettled WHERE run_id = ? AND method = ?", [run, METHOD])
        for i, note in enumerate(result.unsettled):
            con.execute("INSERT INTO disclosure_unsettled (run_id, method, block, note) VALUES (?, ?, ?, ?)",
                        [run, METHOD, i, note])
        con.execute("DELETE FROM disclosure_runs WHERE run_id = ? AND method = ?", [run, METHOD])
        con.execute("INSERT INTO disclosure_runs (run_id, method, cells, unsettled) VALUES (?, ?, ?, ?)",
                    [run, METHOD, len(result.table), len(result.unsettled)])


def result(con: duckdb.DuckDBPyConnection) -> Result:
    """Suppression of the current compile run: from the process memo, else the store's cache table, else
    computed and stored (a read-only store: computed and kept in the memo only)."""
    run = current_run(con)
    if run is None:
        return Result(pd.DataFrame(columns=COLUMNS))
    key = _store_key(con, run)
    with _lock:
        hit = _memo.get(key)
        if hit is None:
            hit = _read(con, run)
            if hit is None:
                hit = compute(con)
                try:
                    _write(con, hit, run)
                except (duckdb.InvalidInputException, duckdb.IOException, duckdb.TransactionException,
                        duckdb.PermissionException, duckdb.CatalogException):
                    pass  # read-only store (or one not migrated): computed, not stored
            _memo[key] = hit
    return hit


def refresh(con: duckdb.DuckDBPyConnection) -> Result:
    """Recompute the suppression of the current compile run and store it (earlier runs are kept)."""
    run = current_run(con)
    if run is None:
        return Result(pd.DataFrame(columns=COLUMNS))
    res = compute(con)
    _write(con, res, run)
    with _lock:
        _memo[_store_key(con, run)] = res
    return res


def suppression_table(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Suppressed cells of the current compile run: DataFrame[area, node, status ('c'), reason]."""
    return result(con).table


def unsettled(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Audit blocks of the current compile run the linear check could not settle, one sentence each (they were
    protected conservatively); empty when everything was settled."""
    return list(result(con).unsettled)


def clear_memo() -> None:
    """Forget the process memo (the store tables stay): tests, or after editing the store by hand."""
    with _lock:
        _memo.clear()


# ------------------------------------------------------------------------------------------- apply
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
    parent_of = _parents()
    up = np.fromiter(((a, parent_of.get(n)) in cells for a, n in keys), bool, len(keys))
    top = np.fromiter(((a, "TOTAL") in cells for a, _ in keys), bool, len(keys))
    for col, mask in (("contrib_yoy", up), ("contrib_ytd", up), ("contrib_total_yoy", top)):
        if col in out.columns:
            out.loc[mask, col] = np.nan
    out["obs_status"] = np.where(hit, "c", "")
    return out


def _parents() -> dict[str, str]:
    from iip import reference

    tree = reference.vsic()
    return dict(zip(tree["code"], tree["parent"]))
