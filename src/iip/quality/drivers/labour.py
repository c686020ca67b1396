"""Store drivers of the labour-usage index (:mod:`iip.quality.labour`): they read ``employment`` and the register,
call the pure methods and write ``labour_index`` (:func:`labour_store`) or return the disclosure-controlled view
(:func:`labour_view`)."""
from __future__ import annotations

import duckdb
import pandas as pd

from iip.collection.service import write_transaction
from iip.quality.labour import COLUMNS, cell_members, labour_index, protect
from iip.reference.periods import month_add


def labour_store(con: duckdb.DuckDBPyConnection, period: str) -> pd.DataFrame:
    """Compute the month's index from table ``employment`` and store it in ``labour_index`` (the month's rows
    are replaced by the new computation in one transaction)."""
    emp = con.execute("SELECT enterprise_id, period, employees FROM employment WHERE status = 'R' AND period IN "
                      "(?, ?, ?)", [period, month_add(period, -1), month_add(period, -12)]).df()
    reg = con.execute("SELECT enterprise_id, province, vsic, ownership FROM register").df()
    out = labour_index(emp, reg, period)
    with write_transaction(con):
        con.execute("DELETE FROM labour_index WHERE period = ?", [period])
        con.register("_lab", out)
        con.execute(f"INSERT INTO labour_index ({', '.join(COLUMNS)}) SELECT {', '.join(COLUMNS)} FROM _lab")
        con.unregister("_lab")
    return out


def labour_view(con: duckdb.DuckDBPyConnection, period: str, *, province: str | None = None) -> pd.DataFrame:
    """The month's labour-usage index computed from ``employment`` for the whole country or one province's
    enterprises (``province``), disclosure-controlled (:func:`protect`)."""
    reg = con.execute("SELECT enterprise_id, province, vsic, ownership FROM register"
                      + (" WHERE province = ?" if province else ""), [province] if province else []).df()
    emp = con.execute("SELECT enterprise_id, period, employees FROM employment WHERE status = 'R' AND period IN "
                      "(?, ?, ?) AND enterprise_id IN (SELECT unnest(?))",
                      [period, month_add(period, -1), month_add(period, -12), reg["enterprise_id"].tolist()]).df()
    return protect(labour_index(emp, reg, period), cell_members(emp, reg, period))
