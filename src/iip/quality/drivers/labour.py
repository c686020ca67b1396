"""Store driver of the labour-usage index (:func:`iip.quality.labour.labour_index`): reads ``employment`` and the
register, writes ``labour_index``."""
from __future__ import annotations

import duckdb
import pandas as pd

from iip.collection.service import write_transaction
from iip.quality.labour import COLUMNS, labour_index
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
