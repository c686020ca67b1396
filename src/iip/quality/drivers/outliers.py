"""Store driver of outlier detection (:func:`iip.quality.outliers.hidiroglou_berthelot`): reads a month's reports
and the month before, appends new flags to ``outlier_flags`` for review."""
from __future__ import annotations

import duckdb
import pandas as pd

from iip.collection import audit
from iip.collection.service import write_transaction
from iip.errors import OptionError
from iip.quality.outliers import VARIABLES, hidiroglou_berthelot
from iip.reference.periods import month_add
from iip.store import next_id


def check_parameters(*, variable: str = "produced", U: float = 0.5, A: float = 0.05, C: float = 7.0) -> None:
    """The HB parameters in their ranges (U in 0..1, A >= 0, C > 0) and a known variable: an OptionError naming
    the option otherwise."""
    if variable not in VARIABLES:
        raise OptionError.choice("--variable", variable, VARIABLES)
    if not 0 <= U <= 1:
        raise OptionError(f"--u (the size exponent U) must be between 0 and 1, not {U}", option="--u")
    if not A >= 0:
        raise OptionError(f"--a (the minimum spread A) must be >= 0, not {A}", option="--a")
    if not C > 0:
        raise OptionError(f"--c (the width C) must be > 0, not {C}", option="--c")


def detect_store(con: duckdb.DuckDBPyConnection, period: str, *, variable: str = "produced", U: float = 0.5,
                 A: float = 0.05, C: float = 7.0, user: str | None = None) -> pd.DataFrame:
    """Flag reported lines of ``period`` against the previous month within strata class x product (national: a
    product's reporters form one stratum) and append new flags; a line version already flagged is not flagged
    again."""
    check_parameters(variable=variable, U=U, A=A, C=C)
    prev = month_add(period, -1)
    df = con.execute(f"""SELECT c.enterprise_id, c.product_code, c.{variable} AS current, q.{variable} AS previous,
            c.load_id AS report_load_id, p.vsic || '|' || c.product_code AS stratum
        FROM reports c JOIN reports q ON q.enterprise_id = c.enterprise_id AND q.product_code = c.product_code
             AND q.period = ? AND q.status = 'R'
        JOIN products p ON p.product_code = c.product_code
        WHERE c.period = ? AND c.status = 'R'""", [prev, period]).df()
    res = hidiroglou_berthelot(df, group="stratum", U=U, A=A, C=C)
    flags = res[res["outlier"]].assign(period=period, variable=variable, method="HB")
    with write_transaction(con):
        con.register("_flags", flags)
        new = con.execute("""SELECT f.* FROM _flags f WHERE NOT EXISTS (SELECT 1 FROM outlier_flags o
            WHERE o.enterprise_id = f.enterprise_id AND o.period = f.period AND o.product_code = f.product_code
            AND o.variable = f.variable AND o.report_load_id = f.report_load_id)""").df()
        con.unregister("_flags")
        if len(new):
            new["flag_id"] = [next_id(con, "flag_seq") for _ in range(len(new))]
            con.register("_new_flags", new)
            con.execute("""INSERT INTO outlier_flags (flag_id, method, enterprise_id, period, product_code, variable,
                value, previous, ratio, effect, lower, upper, stratum, report_load_id)
                SELECT flag_id, method, enterprise_id, period, product_code, variable, current, previous, ratio,
                effect, lower, upper, stratum, report_load_id FROM _new_flags""")
            con.unregister("_new_flags")
        audit.log(con, username=user, role=None, action="outliers", period=period,
                  detail={"variable": variable, "tested": int(res["ratio"].notna().sum()), "flagged": len(flags),
                          "new": len(new)})
    return new


