"""Statistical disclosure control of compiled cells (indicator, area, node) (method: docs/methods/disclosure.md).

* :mod:`iip.disclosure.rules` -- primary suppression (count and dominance rules on every area alike);
* :mod:`iip.disclosure.audit` -- secondary suppression: complements chosen at least cost until no suppressed
  cell can be derived from published cells, by equality or by any linear combination of the weighted-mean
  identities (node hierarchy; regions, merged provinces and VN over their provinces);
* :mod:`iip.disclosure.pattern` -- one indicator's pattern from the store (each indicator has its own cells,
  primary cells and identities, so its own pattern);
* :mod:`iip.disclosure.cache` -- the one cache (keyed by compile run, method and indicator);
* this module -- :func:`apply`.

Public API (release, web, CLI):

* ``suppression_table(con, indicator=None) -> DataFrame[indicator, area, node, status, reason]``: suppressed
  cells only, status 'c';
* ``unsettled(con, indicator=None) -> list[str]``: audit blocks the check could not settle (reported, never silent);
* ``apply(con, df) -> df``: rows of the ``indices`` shape with suppressed values NaN and ``obs_status`` 'c'/''
  (each row by its own indicator).
"""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from iip.disclosure.cache import (clear_memo, current_run, indicators, refresh, result,  # noqa: F401
                                  suppression_table, unsettled)
from iip.disclosure.pattern import (COLUMNS, METHOD, TIER_COST, Result, area_kind, compute,  # noqa: F401
                                    suppression)
from iip.disclosure.rules import (MIN_COUNT, Geography, cell_weights, enterprise_output,  # noqa: F401
                                  primary_cells)
from iip.errors import IIPError

KEY_COLUMNS = {"indicator", "area", "node", "period", "run_id", "obs_status", "source", "level", "parent"}


# ------------------------------------------------------------------------------------------- apply
def apply(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, *, table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rows of the ``indices`` shape (at least indicator, area, node and value columns) with disclosure applied,
    each row by its own indicator's pattern:

    * a suppressed cell: every numeric value column NaN, ``obs_status`` 'c';
    * a cell whose parent node (same indicator and area) is suppressed: contrib_yoy / contrib_ytd NaN (a
      contribution (W_k/W_P)(I_k(t) - I_k(t-12)) / I_P(t-12) would reveal the parent's index);
    * a cell of an indicator and area whose TOTAL is suppressed: contrib_total_yoy NaN (same reason).
    ``table`` (columns indicator, area, node) overrides the store's suppression table (tests, releases of a
    fixed vintage)."""
    missing = {"indicator", "area", "node"} - set(df.columns)
    if missing:
        raise IIPError(f"disclosure.apply needs columns indicator, area and node; missing {sorted(missing)}")
    if table is None:
        tables = [suppression_table(con, i) for i in sorted(df["indicator"].unique())]
        table = pd.concat(tables) if tables else pd.DataFrame(columns=COLUMNS)
    cells = set(zip(table["indicator"], table["area"], table["node"]))
    out = df.copy()
    keys = list(zip(out["indicator"], out["area"], out["node"]))
    hit = np.fromiter((k in cells for k in keys), bool, len(keys))
    values = [c for c in out.columns if c not in KEY_COLUMNS and pd.api.types.is_numeric_dtype(out[c])]
    out.loc[hit, values] = np.nan
    parent_of = _parents()
    up = np.fromiter(((i, a, parent_of.get(n)) in cells for i, a, n in keys), bool, len(keys))
    top = np.fromiter(((i, a, "TOTAL") in cells for i, a, _ in keys), bool, len(keys))
    for col, mask in (("contrib_yoy", up), ("contrib_ytd", up), ("contrib_total_yoy", top)):
        if col in out.columns:
            out.loc[mask, col] = np.nan
    out["obs_status"] = np.where(hit, "c", "")
    return out


def _parents() -> dict[str, str]:
    from iip import reference

    tree = reference.vsic()
    return dict(zip(tree["code"], tree["parent"]))
