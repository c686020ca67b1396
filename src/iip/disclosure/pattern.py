"""One indicator's suppression pattern from the store (method: docs/methods/disclosure.md).

Cells are (indicator, area, node). Each indicator is its own table: its own compiled cells, its own primary
cells (the rules on the enterprises whose quantities enter its index) and its own identities, so it gets its own
pattern. Production's TOTAL = B + C + D + E is not suppressed because inventory's TOTAL = B + C is.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from iip.compile.laspeyres import QUANTITY
from iip.disclosure.audit import equations, secondary_suppression
from iip.disclosure.rules import MIN_COUNT, Geography, cell_weights, enterprise_output, primary_cells
from iip.errors import IIPError

#: Version of the rules; the cache is keyed by (compile run, METHOD, indicator), so a change of method
#: recomputes. 4: nearly determined cells (real weights) protected too; 3: one pattern per indicator; 2: one
#: pattern for all three.
METHOD = "4"
COLUMNS = ["indicator", "area", "node", "status", "reason"]
#: Cost of a complement = the cell's weight x the factor of its tier (province, merged province, region, VN).
TIER_COST = (1.0, 1e3, 1e6, 1e9)


@dataclass
class Result:
    """The suppressed cells of one indicator in one compile run (:data:`COLUMNS`) and the audit blocks that
    could not be settled."""

    table: pd.DataFrame
    unsettled: list[str] = field(default_factory=list)


def empty() -> Result:
    """Nothing suppressed (nothing compiled)."""
    return Result(pd.DataFrame(columns=COLUMNS))


# ------------------------------------------------------------------------------------------ method
def suppression(indicator: str, cells: pd.DataFrame, primary: pd.DataFrame, weight: dict, *,
                parent_of: dict[str, str], geo: Geography, audit_weight: dict | None = None,
                solver=None) -> Result:
    """Primary + secondary suppression of one indicator's compiled ``cells`` (area, node) over that
    indicator's identities. ``primary``: area, node, reason ('' = may be published). Complements cost their
    weight times their tier's factor (:data:`TIER_COST`): provinces first, VN last, nothing exempt. The audit
    looks for exactly determined cells on ``audit_weight`` (default ``weight``; :func:`generic_weights` in
    production) and for nearly determined ones on the real ``weight``."""
    groups = equations(cells, parent_of=parent_of, members=geo.members())
    have = set(zip(cells["area"], cells["node"]))
    p = primary[primary["reason"] != ""]
    first = {(a, n): r for a, n, r in zip(p["area"], p["node"], p["reason"]) if (a, n) in have}
    cost = {c: v * TIER_COST[geo.tier(c[0])] for c, v in weight.items()}
    out = secondary_suppression(groups, first, weight, generic=audit_weight, cost=cost, solver=solver,
                                prefer=lambda c: geo.tier(c[0]) <= 1)
    rows = [(indicator, a, n, "c", r) for (a, n), r in sorted(out.cells.items())]
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


def load_inputs(con: duckdb.DuckDBPyConnection, base_year: int, indicator: str) -> dict:
    """Base-year enterprise quantities of the indicator's variable (``produced``, ``sold`` or
    ``closing_stock``: what its index is compiled from), product and class weights, its compiled cells."""
    if indicator not in QUANTITY:
        raise IIPError(f"disclosure control: unknown indicator {indicator!r} (one of {', '.join(QUANTITY)})")
    q = QUANTITY[indicator]
    base = con.execute(f"""
        SELECT r.enterprise_id, g.province, r.product_code, p.vsic,
               sum(r.{q}) / 12 AS q0_all,
               sum(CASE WHEN r.status = 'R' THEN r.{q} ELSE 0 END) / 12 AS q0_r
        FROM reports r JOIN register g USING (enterprise_id) JOIN products p USING (product_code)
        WHERE substr(r.period, 1, 4) = ? AND r.{q} IS NOT NULL
        GROUP BY ALL ORDER BY r.enterprise_id, r.product_code""", [str(base_year)]).df()
    # every frame in key order: the generic weights are drawn row by row, so the pattern is the same whatever
    # order a store returns its rows in (DuckDB's parallel scans, PostgreSQL)
    w = con.execute("SELECT kind, code, province, value FROM weights WHERE base_year = ? "
                    "ORDER BY kind, code, province", [base_year]).df()
    cells = con.execute("SELECT DISTINCT area, node FROM index_series WHERE indicator = ? ORDER BY area, node",
                        [indicator]).df()
    return {"base": base,
            "product_w": w[w["kind"] == "product"].rename(columns={"code": "product_code"})[
                ["product_code", "province", "value"]],
            "industry_w": w[w["kind"] == "industry"][["code", "province", "value"]],
            "cells": cells}


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
    iterative audit. Whether a cell is exactly determined depends on the structure, not on the values, except
    on a set of weights of measure zero; whether it is *nearly* determined depends on the values (a cell that
    dominates its identities' weight), so the audit checks that on the real weights too."""
    rng = np.random.default_rng(seed)
    generic = industry_w.assign(value=rng.uniform(1.0, 2.0, len(industry_w)))
    return cell_weights(generic, cells, geo=geo, ancestors=ancestors)


def primary_of(inp: dict, cells: pd.DataFrame, *, geo: Geography, ancestors: pd.DataFrame) -> pd.DataFrame:
    """The primary rules on every compiled cell (area, node, reason); a compiled cell with no reported
    base-year quantity behind it counts as 0 enterprises."""
    output, totals = enterprise_output(inp["base"], inp["product_w"], geo=geo, ancestors=ancestors)
    primary = primary_cells(output, totals)
    missing = cells.merge(primary[["area", "node"]], how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"][["area", "node"]]
    return pd.concat([primary, missing.assign(reason=f"primary: 0 enterprise(s) < {MIN_COUNT}")])


def compute(con: duckdb.DuckDBPyConnection, indicator: str, *, solver=None) -> Result:
    """Primary + secondary suppression of one indicator from the store's reports, weights and compiled cells."""
    inp = load_inputs(con, base_year_of(con), indicator)
    cells = inp["cells"]
    if cells.empty:
        return empty()
    ref = reference_frames(merged=bool(cells["area"].str.fullmatch(r"N\d\d").any()))
    primary = primary_of(inp, cells, geo=ref["geo"], ancestors=ref["ancestors"])
    weight = cell_weights(inp["industry_w"], cells, geo=ref["geo"], ancestors=ref["ancestors"])
    generic = generic_weights(inp["industry_w"], cells, geo=ref["geo"], ancestors=ref["ancestors"])
    return suppression(indicator, cells, primary, weight, parent_of=ref["parent_of"], geo=ref["geo"],
                       audit_weight=generic, solver=solver)
