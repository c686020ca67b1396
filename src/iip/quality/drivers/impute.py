"""Impute non-response in the store: ratio of means (:func:`iip.quality.imputation.ratio_of_means`) per variable
within strata province x class x product, falling back on the product nationally where a stratum has no matched
pairs; no donors at all leaves the value missing. Method page: docs/methods/imputation.md.

Which report lines are expected (:func:`spans_sql`): a line (enterprise x product) is expected in every month
from its start to its end while its enterprise is active (register ``active_from`` .. ``active_to``: after its
closing month a unit counts 0, it is not a non-respondent). Its start is the enterprise's opening month (or the
first month of the data) when its first report comes within ``lookback`` months of it, else its first report (a
product begun later); its end is the last month of the data when its last report is within ``lookback`` months
of it, else its last report (a line that has stopped). Auxiliary variable (construction): employees on the 1st of the month (nearest known month).

Two drivers: :func:`impute_store` imputes a window of months (``iip impute``); :func:`impute_all` imputes every
month for ``iip compile`` and keeps the result in table ``nonresponse`` (one row per expected line without a
report, with its marker, or none when it could not be imputed), skipping the work when nothing was written to
the store since its last run. Imputed lines go into ``reports`` with status = the marker of ``produced``;
reported lines are never touched; an imputed line is versioned like any other (the old version moves to
``reports_history``), and an imputed line that is no longer expected (a late report, a closing month) is retired
to ``reports_history``: a rerun with the same inputs writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from iip.collection import audit
from iip.collection.service import write_transaction
from iip.errors import OptionError
from iip.quality.imputation import COUNTS, LINKS, Marker, ratio_of_means
from iip.reference.periods import month_number, month_of_number
from iip.store import next_load_id, record_load, retire, row, scalar, sha256, versioned_upsert
from iip.validation import LAYOUTS, QUANTITIES

REPORTS = LAYOUTS["reports"]
VARIABLES = QUANTITIES
LOOKBACK = 12
STRATA = "province|class|product (fallback: product)"
DETAIL = [*LINKS, *COUNTS]
_R = Marker.RESPONSE.value
#: The marker, in table ``nonresponse``, of a report outside its enterprise's active months: the compile leaves it
#: out (its quantities are subtracted from the reported ones).
OUT = "out"


@dataclass
class ImputeResult:
    """What an imputation run did: expected lines of the window, reported, imputed by marker, written,
    retired (imputed lines no longer expected) and not imputable (no donors)."""

    load_id: int | None
    period_from: str
    period_to: str
    expected: int
    responded: int
    imputed: int
    written: int
    unimputable: int
    markers: dict = field(default_factory=dict)
    retired: int = 0
    skipped: bool = False


def spans_sql(lookback: int) -> str:
    """SQL of every report line's expected months as month numbers [span_from, span_to] (module docstring),
    with the line's number, province, class, stratum and product numbers."""
    return f"""
    WITH act AS (
        SELECT r.enterprise_id, r.product_code, iip_pid(r.period) AS pid
        FROM reports r JOIN register g ON g.enterprise_id = r.enterprise_id
        WHERE r.status = '{_R}' AND (g.active_from IS NULL OR r.period >= g.active_from)
          AND (g.active_to IS NULL OR r.period <= g.active_to)),
    lines AS (SELECT enterprise_id, product_code, min(pid) AS first_r, max(pid) AS last_r FROM act GROUP BY ALL),
    ends AS (SELECT min(pid) AS first, max(pid) AS last FROM act),
    spans AS (SELECT l.*, g.province, g.active_to,
                     greatest(coalesce(iip_pid(g.active_from), ends.first), ends.first) AS start, ends.last
              FROM lines l CROSS JOIN ends JOIN register g ON g.enterprise_id = l.enterprise_id)
    SELECT (row_number() OVER (ORDER BY s.enterprise_id, s.product_code) - 1)::INTEGER AS line,
           s.enterprise_id, s.product_code, s.province, p.vsic,
           (dense_rank() OVER (ORDER BY s.province, p.vsic, s.product_code) - 1)::INTEGER AS stratum,
           (dense_rank() OVER (ORDER BY s.product_code) - 1)::INTEGER AS product,
           (CASE WHEN s.first_r - s.start <= {int(lookback)} THEN s.start ELSE s.first_r END)::INTEGER AS span_from,
           least(CASE WHEN s.last - s.last_r <= {int(lookback)} THEN s.last ELSE s.last_r END,
                 coalesce(iip_pid(s.active_to), 1 << 30))::INTEGER AS span_to
    FROM spans s JOIN products p ON p.product_code = s.product_code"""


def _panel(con: duckdb.DuckDBPyConnection, lo: int, hi: int) -> pd.DataFrame:
    """Every expected line x month of months lo..hi (month numbers) with its reported values (NaN: no report)
    and auxiliary (employees that month, else the nearest earlier, else the nearest later). Reads the temporary
    table ``_iip_lines`` (:func:`spans_sql`)."""
    qty = ", ".join(f"r.{v}" for v in VARIABLES)
    return con.execute(f"""
        WITH cells AS (
            SELECT s.line, s.enterprise_id, s.product_code, s.stratum, s.product,
                   unnest(range(greatest(s.span_from, $lo), least(s.span_to, $hi) + 1))::INTEGER AS pid
            FROM _iip_lines s WHERE s.span_from <= $hi AND s.span_to >= $lo),
        rep AS (SELECT enterprise_id, product_code, iip_pid(period)::INTEGER AS pid, {", ".join(VARIABLES)}
                FROM reports WHERE status = '{_R}' AND period BETWEEN $plo AND $phi),
        emp AS (SELECT enterprise_id, iip_pid(period)::INTEGER AS pid, employees FROM employment
                WHERE employees IS NOT NULL),
        base AS (SELECT c.*, {qty}, r.pid IS NOT NULL AS reported FROM cells c LEFT JOIN rep r
                 ON r.enterprise_id = c.enterprise_id AND r.product_code = c.product_code AND r.pid = c.pid)
        SELECT b.line, b.pid, b.stratum, b.product, {", ".join(f"b.{v}" for v in VARIABLES)}, b.reported,
               coalesce(e1.employees, e2.employees) AS aux
        FROM base b
        ASOF LEFT JOIN emp e1 ON e1.enterprise_id = b.enterprise_id AND b.pid >= e1.pid
        ASOF LEFT JOIN emp e2 ON e2.enterprise_id = b.enterprise_id AND b.pid <= e2.pid
        ORDER BY b.line, b.pid""",
        {"lo": lo, "hi": hi, "plo": month_of_number(lo), "phi": month_of_number(hi)}).df()


def _back(con: duckdb.DuckDBPyConnection, pid: int) -> pd.DataFrame:
    """The month before a window: every line's value there (reported or imputed) and marker, to seed chains."""
    return con.execute(f"""
        SELECT s.line, s.stratum, s.product, iip_pid(r.period)::INTEGER AS pid, {", ".join(f"r.{v}" for v in VARIABLES)},
               r.status AS marker, NULL::DOUBLE AS aux
        FROM reports r JOIN _iip_lines s ON s.enterprise_id = r.enterprise_id AND s.product_code = r.product_code
        WHERE r.period = ? ORDER BY s.line""", [month_of_number(pid)]).df()   # in line order: the sums over
    # strata add the same numbers in the same order in every run (else the imputed values differ in their last
    # bits from run to run, and an unchanged line is written again as a new version)


def compute(con: duckdb.DuckDBPyConnection, period_from: str, period_to: str, *, lookback: int = LOOKBACK
            ) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Impute the window (no writes): (the expected lines without a report, with their imputed values and the
    marker of ``produced`` -- None where nothing could be imputed --, the per-variable detail of the imputed
    values, the number of expected lines). Columns of the first: enterprise_id, period, product_code, marker
    and the quantities."""
    lo, hi = month_number(period_from), month_number(period_to)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _iip_lines AS {spans_sql(lookback)}")
    try:
        panel = _panel(con, lo, hi)
        back = _back(con, lo - 1) if lo > 0 else None
        lines = con.execute("SELECT line, enterprise_id, product_code, province, vsic FROM _iip_lines "
                            "ORDER BY line").df()
    finally:
        con.execute("DROP TABLE IF EXISTS _iip_lines")
    missing = ~panel["reported"].to_numpy(dtype=bool)
    out = panel.loc[missing, ["line", "pid"]].reset_index(drop=True)
    details = []
    for var in VARIABLES:
        b = None if back is None else back.assign(marker=np.where(back[var].isna(), None, back["marker"]))
        res = ratio_of_means(panel, id="line", period="pid", group="stratum", target=var, auxiliary="aux",
                             back_data=b, fallback_group="product", default_link=None)
        res = res[missing].reset_index(drop=True)
        out[var] = res["imputed"].to_numpy()
        if var == VARIABLES[0]:
            out["marker"] = res["marker"].to_numpy()
        got = res["marker"].notna().to_numpy()
        details.append(res.loc[got, ["line", "pid", "stratum", "imputed", "marker", *DETAIL]]
                       .rename(columns={"imputed": "value"}).assign(variable=var))
    keyed = lines.set_index("line")
    for frame in (out, *details):
        frame["enterprise_id"] = keyed["enterprise_id"].to_numpy()[frame["line"].to_numpy()]
        frame["product_code"] = keyed["product_code"].to_numpy()[frame["line"].to_numpy()]
        frame["period"] = [month_of_number(int(p)) for p in frame["pid"]] if len(frame) else []
    detail = pd.concat(details, ignore_index=True)
    detail["stratum"] = (keyed["province"] + "|" + keyed["vsic"] + "|" + keyed["product_code"]).to_numpy()[
        detail["line"].to_numpy()] if len(detail) else []
    for v in VARIABLES:   # a variable imputed only where the line's produced was
        out.loc[out["marker"].isna(), v] = np.nan
    cols = ["enterprise_id", "period", "product_code", "marker", *VARIABLES]
    return out[cols], detail, len(panel)


def left_out(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The reported lines outside their enterprise's active months (register ``active_from`` .. ``active_to``),
    with marker :data:`OUT`: the compile leaves them out."""
    return con.execute(f"""SELECT r.enterprise_id, r.period, r.product_code, '{OUT}' AS marker,
            {", ".join(f"r.{v}" for v in VARIABLES)}
        FROM reports r JOIN register g ON g.enterprise_id = r.enterprise_id
        WHERE r.status = '{_R}' AND (r.period < g.active_from OR r.period > g.active_to)
        ORDER BY ALL""").df()


def write(con: duckdb.DuckDBPyConnection, lines: pd.DataFrame, load_id: int) -> int:
    """Versioned write of imputed lines (status = marker) where no reported (R) line exists; returns the number
    written."""
    ok = lines.dropna(subset=["marker"]).rename(columns={"marker": "status"})[
        ["enterprise_id", "period", "product_code", *VARIABLES, "status"]]
    con.register("_imp", ok)
    try:
        return versioned_upsert(con, "reports", "_imp", key=REPORTS.key, compare=[*VARIABLES, "status"],
                                load_id=load_id, keep=f"c.status = '{_R}'")
    finally:
        con.unregister("_imp")


def retire_stale(con: duckdb.DuckDBPyConnection, lines: pd.DataFrame, load_id: int, *, period_from: str,
                 period_to: str) -> int:
    """Retire (to ``reports_history``) the imputed lines of the window that this run did not impute: their line
    reported since, closed, or has no donors any more."""
    keep = lines.dropna(subset=["marker"])[list(REPORTS.key)]
    con.register("_keep", keep)
    try:
        con.execute(f"""CREATE OR REPLACE TEMP TABLE _stale AS SELECT c.enterprise_id, c.period, c.product_code
                        FROM reports c WHERE c.status <> '{_R}' AND c.period BETWEEN ? AND ?
                        AND NOT EXISTS (SELECT 1 FROM _keep k WHERE k.enterprise_id = c.enterprise_id
                                        AND k.period = c.period AND k.product_code = c.product_code)""",
                    [period_from, period_to])
        return retire(con, "reports", "_stale", key=REPORTS.key, load_id=load_id, only=f"c.status <> '{_R}'")
    finally:
        con.unregister("_keep")
        con.execute("DROP TABLE IF EXISTS _stale")


def _record(con, lines: pd.DataFrame, detail: pd.DataFrame, *, load_id: int, written: int, retired: int,
            period_from: str, period_to: str, user: str | None, scope: str, inputs: str | None) -> None:
    """The load record, the run, the detail of the lines written and the audit entry (inside the transaction)."""
    unimputable = int(lines["marker"].isna().sum())
    if written or retired:
        sha = sha256(lines.sort_values(["enterprise_id", "period", "product_code"]).to_csv(index=False))
        record_load(con, load_id=load_id, kind="imputation", file=f"impute:{period_from}..{period_to}",
                    sha256=sha, rows=len(lines), inserted=written, unchanged=len(lines) - written, user=user)
        con.register("_det", detail.assign(load_id=load_id))
        con.execute("INSERT INTO imputations SELECT load_id, enterprise_id, period, product_code, variable, "
                    "value, marker, stratum, forward, backward, construction, count_forward, count_backward, "
                    "count_construction FROM _det d WHERE EXISTS (SELECT 1 FROM reports r WHERE r.load_id = ? "
                    "AND r.enterprise_id = d.enterprise_id AND r.period = d.period "
                    "AND r.product_code = d.product_code)", [load_id])
        con.unregister("_det")
    con.execute("INSERT INTO imputation_runs (load_id, period_from, period_to, strata, username, imputed, written, "
                "unimputable, scope, inputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [load_id, period_from, period_to, STRATA, user, len(lines) - unimputable, written, unimputable,
                 scope, inputs])
    markers = {str(k): int(v) for k, v in lines["marker"].value_counts().items()}
    audit.log(con, username=user, role=None, action="impute", load_id=load_id,
              detail={"from": period_from, "to": period_to, "scope": scope, "written": written,
                      "retired": retired, "markers": markers})


def _result(lines: pd.DataFrame, expected: int, *, load_id: int | None, written: int, retired: int,
            period_from: str, period_to: str, skipped: bool = False) -> ImputeResult:
    unimputable = int(lines["marker"].isna().sum())
    markers = {str(k): int(v) for k, v in lines["marker"].value_counts().items()}
    return ImputeResult(load_id, period_from, period_to, expected, expected - len(lines), len(lines) - unimputable,
                        written, unimputable, markers, retired, skipped)


def impute_store(con: duckdb.DuckDBPyConnection, period_from: str, period_to: str | None = None, *,
                 lookback: int = LOOKBACK, user: str | None = None) -> ImputeResult:
    """Impute every missing expected line of [period_from, period_to] and write it, all or nothing."""
    period_to = period_to or period_from
    if period_to < period_from:
        raise OptionError(f"--to {period_to} is before --from {period_from}", option="--to")
    lines, detail, expected = compute(con, period_from, period_to, lookback=lookback)
    with write_transaction(con, name="impute"):
        load_id = next_load_id(con)
        written = write(con, lines, load_id)
        retired = retire_stale(con, lines, load_id, period_from=period_from, period_to=period_to)
        _record(con, lines, detail, load_id=load_id, written=written, retired=retired, period_from=period_from,
                period_to=period_to, user=user, scope="window", inputs=None)
    return _result(lines, expected, load_id=load_id if written or retired else None, written=written,
                   retired=retired, period_from=period_from, period_to=period_to)


def inputs_signature(con: duckdb.DuckDBPyConnection, lookback: int) -> str:
    """What an imputation of every month depends on, as one text: for each input table the last load that wrote
    one of its current rows and how many rows it has (a no-op ingest changes neither), and the lookback."""
    parts = []
    for table in ("reports", "register", "products", "employment"):
        last, n = row(con, f"SELECT coalesce(max(load_id), 0), count(*) FROM {table}", width=2)
        parts.append(f"{table} {last}/{n}")
    return "; ".join(parts) + f"; lookback {lookback}"


def data_months(con: duckdb.DuckDBPyConnection) -> tuple[str, str] | None:
    """(first, last) month with a reported line, or None."""
    first, last = row(con, f"SELECT min(period), max(period) FROM reports WHERE status = '{_R}'", width=2)
    return None if first is None else (first, last)


def impute_all(con: duckdb.DuckDBPyConnection, *, lookback: int = LOOKBACK, user: str | None = None,
               write_back: bool = True) -> tuple[ImputeResult | None, pd.DataFrame | None]:
    """The compile's imputation: every month of the data. ``write_back``: store the imputed lines (reports,
    markers) and table ``nonresponse``, or skip everything when the store has not changed since the last such
    run (returns (result with skipped=True, None): table ``nonresponse`` is current). Without ``write_back``
    (``--no-impute``) nothing is written: returns the non-response found, for coverage only. Table ``nonresponse``
    (and the frame returned) also lists the reports outside their enterprise's active months, marker
    :data:`OUT`."""
    signature = inputs_signature(con, lookback)
    if write_back:
        done = scalar(con, "SELECT inputs FROM imputation_runs WHERE scope = 'all' ORDER BY load_id DESC LIMIT 1")
        if done == signature:
            return ImputeResult(None, "", "", 0, 0, 0, 0, 0, skipped=True), None
    months = data_months(con)
    if months is None:
        return None, None
    first, last = months
    lines, detail, expected = compute(con, first, last, lookback=lookback)
    adjustments = pd.concat([lines, left_out(con)], ignore_index=True)
    if not write_back:
        return _result(lines, expected, load_id=None, written=0, retired=0, period_from=first, period_to=last), \
            adjustments
    with write_transaction(con, name="impute_all"):
        load_id = next_load_id(con)
        written = write(con, lines, load_id)
        retired = retire_stale(con, lines, load_id, period_from=first, period_to=last)
        con.execute("DELETE FROM nonresponse")
        con.register("_nr", adjustments.assign(load_id=load_id))
        con.execute(f"INSERT INTO nonresponse BY NAME SELECT enterprise_id, period, product_code, marker, "
                    f"{', '.join(VARIABLES)}, load_id FROM _nr")
        con.unregister("_nr")
        _record(con, lines, detail, load_id=load_id, written=written, retired=retired, period_from=first,
                period_to=last, user=user, scope="all", inputs=None)
        con.execute("UPDATE imputation_runs SET inputs = ? WHERE load_id = ?",
                    [inputs_signature(con, lookback), load_id])
    return _result(lines, expected, load_id=load_id, written=written, retired=retired, period_from=first,
                   period_to=last), None
