"""The DuckDB store: one file, one place for the schema and the connection.

Default path ``./iip.duckdb``; override with ``--db PATH`` or the ``IIP_DB`` environment variable.
Each stage of the pipeline owns a block of DDL below (``SCHEMA``); ``connect`` applies all of them
idempotently. See docs/schema.md for the documented schema.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import duckdb

DEFAULT_DB = "iip.duckdb"

# --- stage: reference + microdata inputs (core) --------------------------------------------
CORE_DDL = """
CREATE SEQUENCE IF NOT EXISTS load_seq START 1;
CREATE TABLE IF NOT EXISTS loads (            -- audit trail: one row per ingested file
    load_id     BIGINT PRIMARY KEY,
    kind        VARCHAR NOT NULL,             -- register|products|weights|reports
    file        VARCHAR NOT NULL,
    sha256      VARCHAR NOT NULL,
    rows        BIGINT NOT NULL,              -- records in the file
    inserted    BIGINT NOT NULL,              -- new or changed records (new current versions)
    unchanged   BIGINT NOT NULL,              -- records identical to the current version
    warnings    BIGINT NOT NULL DEFAULT 0,
    loaded_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    loaded_by   VARCHAR
);
-- Current versions live in the plain tables; every superseded version moves to <table>_history with the
-- load that replaced it. Nothing is ever deleted: history + current = everything ever ingested.
CREATE TABLE IF NOT EXISTS register (
    enterprise_id VARCHAR NOT NULL, name VARCHAR, province VARCHAR NOT NULL,
    vsic VARCHAR NOT NULL, ownership VARCHAR NOT NULL, load_id BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS products (
    product_code VARCHAR NOT NULL, name_vi VARCHAR, name_en VARCHAR, unit VARCHAR,
    vsic VARCHAR NOT NULL, load_id BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS weights (
    kind VARCHAR NOT NULL, code VARCHAR NOT NULL, province VARCHAR NOT NULL,
    base_year INTEGER NOT NULL, value DOUBLE NOT NULL, load_id BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
    enterprise_id VARCHAR NOT NULL, period VARCHAR NOT NULL, product_code VARCHAR NOT NULL,
    produced DOUBLE, sold DOUBLE, closing_stock DOUBLE,
    load_id BIGINT NOT NULL, status VARCHAR NOT NULL DEFAULT 'R');  -- R reported; imputation markers FIR, BI, C, FIC
CREATE TABLE IF NOT EXISTS register_history AS SELECT *, 0::BIGINT AS superseded_by FROM register WHERE false;
CREATE TABLE IF NOT EXISTS products_history AS SELECT *, 0::BIGINT AS superseded_by FROM products WHERE false;
CREATE TABLE IF NOT EXISTS weights_history AS SELECT *, 0::BIGINT AS superseded_by FROM weights WHERE false;
CREATE TABLE IF NOT EXISTS reports_history AS SELECT *, 0::BIGINT AS superseded_by FROM reports WHERE false;
"""

# --- stage: compiled indices (core) ---------------------------------------------------------
COMPILE_DDL = """
CREATE TABLE IF NOT EXISTS compile_runs (
    run_id BIGINT PRIMARY KEY, started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    period_from VARCHAR, period_to VARCHAR, base_years VARCHAR, reference_year INTEGER, rows BIGINT
);
-- Compiled indices are kept as what the compile computes: index levels per series x month (index_cells) and the
-- effective weights behind contributions (index_weights), with a series dimension (stable ids, parent and TOTAL
-- series) and a month dimension. Growth rates and contributions are arithmetic on levels: the table macro
-- indices_where(...) derives them for the series asked for, and the view `indices` for all (docs/schema.md).
CREATE TABLE IF NOT EXISTS index_series (
    sid INTEGER PRIMARY KEY, indicator VARCHAR NOT NULL, area VARCHAR NOT NULL, node VARCHAR NOT NULL
);
ALTER TABLE index_series ADD COLUMN IF NOT EXISTS parent_sid INTEGER;  -- parent node, same area and indicator
ALTER TABLE index_series ADD COLUMN IF NOT EXISTS total_sid INTEGER;   -- TOTAL, same area and indicator
ALTER TABLE index_series ADD COLUMN IF NOT EXISTS level_sid INTEGER;   -- levels stored under this series (NULL: own)
CREATE TABLE IF NOT EXISTS index_periods (pid INTEGER PRIMARY KEY, period VARCHAR NOT NULL);  -- pid = 12*year + month - 1
INSERT INTO index_periods SELECT y * 12 + m - 1, printf('%04d-%02d', y, m)
    FROM range(1990, 2101) t(y), range(1, 13) u(m) WHERE NOT EXISTS (SELECT 1 FROM index_periods);
CREATE TABLE IF NOT EXISTS index_cells (
    sid INTEGER NOT NULL, pid INTEGER NOT NULL,
    "index" DOUBLE NOT NULL,      -- linked, re-referenced index level
    base_year SMALLINT,           -- base year whose weights are in force in this month
    run_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS index_weights (  -- e = (W_k / W_P) * f_P / f_k of series k in its parent P / in TOTAL
    sid INTEGER NOT NULL, base_year SMALLINT NOT NULL, run_id BIGINT NOT NULL, e_parent DOUBLE, e_total DOUBLE
);
CREATE OR REPLACE MACRO iip_pid(period) AS CAST(left(period, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1;
-- Every measure of the series selected (NULL = all), months period_from..period_to (NULL = all):
-- mom = 100 I(t)/I(t-1); yoy = 100 I(t)/I(t-12); ytd = 100 sum(I, Jan..t)/sum(I, Jan..t-12);
-- contrib = 100 (e I(t) - e I(t-12)) / I_P(t-12) (ytd: sums over Jan..t), e = the cell's effective weight.
CREATE OR REPLACE MACRO indices_where(indicator_is := NULL, area_is := NULL, node_is := NULL,
                                      period_from := NULL, period_to := NULL) AS TABLE
WITH sel AS (
    SELECT sid, indicator, area, node, parent_sid, total_sid FROM index_series
    WHERE (indicator_is IS NULL OR indicator = indicator_is) AND (area_is IS NULL OR area = area_is)
      AND (node_is IS NULL OR node = node_is)
), win AS (  -- history needed: from January of the year before period_from
    SELECT coalesce((CAST(left(period_from, 4) AS INTEGER) - 1) * 12, -1) AS lo,
           coalesce(iip_pid(period_from), -1) AS out_lo, coalesce(iip_pid(period_to), 1 << 30) AS hi
), need AS (
    SELECT sid FROM sel UNION SELECT parent_sid FROM sel WHERE parent_sid IS NOT NULL
    UNION SELECT total_sid FROM sel WHERE total_sid IS NOT NULL
), lv AS (  -- levels of the needed series (a series repeating another's levels reads that series' cells)
    SELECT n.sid, c.pid, c."index", c.run_id, c."index" * w.e_parent AS ep, c."index" * w.e_total AS et
    FROM need n JOIN index_series r ON r.sid = n.sid JOIN index_cells c ON c.sid = coalesce(r.level_sid, r.sid)
         LEFT JOIN index_weights w ON w.sid = n.sid AND w.base_year = c.base_year AND w.run_id = c.run_id
    WHERE c.pid BETWEEN (SELECT lo FROM win) AND (SELECT hi FROM win)
), ys AS (  -- sums Jan..t within each year (NULL unless every month Jan..t is there)
    SELECT *, CASE WHEN count("index") OVER y = pid % 12 + 1 THEN sum("index") OVER y END AS s_i,
              CASE WHEN count(ep) OVER y = pid % 12 + 1 THEN sum(ep) OVER y END AS s_ep
    FROM lv WINDOW y AS (PARTITION BY sid, pid // 12 ORDER BY pid RANGE UNBOUNDED PRECEDING)
)
SELECT s.indicator, s.area, s.node, p.period, a."index",
       100 * a."index" / nullif(m1."index", 0) AS mom,
       100 * a."index" / nullif(y1."index", 0) AS yoy,
       CASE WHEN s.indicator <> 'inventory' THEN 100 * a.s_i / nullif(y1.s_i, 0) END AS ytd,
       100 * (a.ep - y1.ep) / nullif(par."index", 0) AS contrib_yoy,
       CASE WHEN s.indicator <> 'inventory' THEN 100 * (a.s_ep - y1.s_ep) / nullif(par.s_i, 0) END AS contrib_ytd,
       100 * (a.et - y1.et) / nullif(tot."index", 0) AS contrib_total_yoy,
       a.run_id
FROM ys a JOIN sel s ON s.sid = a.sid JOIN index_periods p ON p.pid = a.pid
LEFT JOIN lv m1 ON m1.sid = a.sid AND m1.pid = a.pid - 1                -- a month earlier
LEFT JOIN ys y1 ON y1.sid = a.sid AND y1.pid = a.pid - 12               -- a year earlier
LEFT JOIN ys par ON par.sid = s.parent_sid AND par.pid = a.pid - 12     -- the parent, a year earlier
LEFT JOIN ys tot ON tot.sid = s.total_sid AND tot.pid = a.pid - 12      -- TOTAL, a year earlier
WHERE a.pid >= (SELECT out_lo FROM win);
CREATE OR REPLACE VIEW indices AS SELECT * FROM indices_where();  -- tidy: every indicator x area x node x month
CREATE OR REPLACE VIEW index_levels AS  -- the levels alone (fast: no derived measures)
    SELECT s.indicator, s.area, s.node, p.period, c."index", c.run_id
    FROM index_series s JOIN index_cells c ON c.sid = coalesce(s.level_sid, s.sid) JOIN index_periods p ON c.pid = p.pid;
"""

# --- stage: published figures (official releases; ingest/gso.py, ingest/sdmx.py) -----------
PUBLISHED_DDL = """
CREATE SEQUENCE IF NOT EXISTS published_file_seq START 1;
CREATE TABLE IF NOT EXISTS published_files (  -- one row per imported source file (content hash: re-import = no-op)
    file_id BIGINT PRIMARY KEY, source VARCHAR NOT NULL, file VARCHAR NOT NULL, sha256 VARCHAR NOT NULL UNIQUE,
    release VARCHAR, figures BIGINT NOT NULL, cells_seen BIGINT NOT NULL, cells_mapped BIGINT NOT NULL,
    warnings BIGINT NOT NULL, imported_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS published_figures (  -- every vintage of every published figure, with provenance
    file_id BIGINT NOT NULL, source VARCHAR NOT NULL, release VARCHAR NOT NULL, indicator VARCHAR NOT NULL,
    area VARCHAR NOT NULL, node VARCHAR NOT NULL, label VARCHAR, period VARCHAR NOT NULL, measure VARCHAR NOT NULL,
    status VARCHAR NOT NULL, value DOUBLE NOT NULL, unit VARCHAR, sheet VARCHAR, cell VARCHAR, table_kind VARCHAR
);
CREATE TABLE IF NOT EXISTS published_warnings (
    file_id BIGINT NOT NULL, message VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS published_levels (  -- reconstructed / official level series (2020 = 100 unless stated)
    source VARCHAR NOT NULL, indicator VARCHAR NOT NULL, area VARCHAR NOT NULL, node VARCHAR NOT NULL,
    period VARCHAR NOT NULL, value DOUBLE NOT NULL,
    PRIMARY KEY (source, indicator, area, node, period)
);
CREATE OR REPLACE VIEW published_vintages AS
    SELECT f.*, pf.file,
        row_number() OVER w AS vintage,
        CASE WHEN f.status = 'estimate' THEN 'estimate'
             WHEN count(*) FILTER (WHERE f.status <> 'estimate') OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) > 0
                  AND abs(f.value - coalesce(lag(f.value) OVER w, f.value)) > 1e-9 THEN 'revised'
             ELSE 'actual' END AS vintage_status
    FROM published_figures f JOIN published_files pf USING (file_id)
    WINDOW w AS (PARTITION BY f.source, f.indicator, f.area, f.node, f.period, f.measure
                 ORDER BY f.release, f.file_id, f.sheet, f.cell);
CREATE OR REPLACE VIEW published_latest AS
    SELECT * EXCLUDE (rn) FROM (
        SELECT *, row_number() OVER (PARTITION BY source, indicator, area, node, period, measure
                                     ORDER BY release DESC, file_id DESC, sheet DESC, cell DESC) rn
        FROM published_vintages) WHERE rn = 1;
"""

# --- stage: seasonal adjustment -------------------------------------------------------------
SEASONAL_DDL = """
CREATE SEQUENCE IF NOT EXISTS sa_run_seq START 1;
CREATE TABLE IF NOT EXISTS sa_runs (          -- one row per series per adjustment run; every run kept (vintages)
    run_id BIGINT PRIMARY KEY, batch_id VARCHAR NOT NULL,
    source VARCHAR NOT NULL, indicator VARCHAR NOT NULL, area VARCHAR NOT NULL, node VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    status VARCHAR NOT NULL,                  -- ok | skipped (too short, gaps, ...) | failed (x13as error)
    message VARCHAR, first_period VARCHAR, last_period VARCHAR,
    model VARCHAR, transform VARCHAR, tet_before INTEGER, tet_after INTEGER, tet_t_before DOUBLE, tet_t_after DOUBLE,
    report JSON, spec VARCHAR
);
CREATE TABLE IF NOT EXISTS sa_series (        -- decomposition: value = sa * seasonal * calendar (factors)
    run_id BIGINT NOT NULL, source VARCHAR NOT NULL, indicator VARCHAR NOT NULL, area VARCHAR NOT NULL,
    node VARCHAR NOT NULL, period VARCHAR NOT NULL, value DOUBLE, sa DOUBLE, trend DOUBLE, seasonal DOUBLE,
    calendar DOUBLE, tet DOUBLE, workdays DOUBLE, irregular DOUBLE,
    PRIMARY KEY (run_id, period)
);
CREATE TABLE IF NOT EXISTS sa_forecasts (
    run_id BIGINT NOT NULL, period VARCHAR NOT NULL, forecast DOUBLE, lower DOUBLE, upper DOUBLE, se_log DOUBLE,
    PRIMARY KEY (run_id, period)
);
CREATE OR REPLACE VIEW sa_current AS          -- latest successful run per series
    SELECT s.* FROM sa_series s JOIN (
        SELECT max(run_id) AS run_id FROM sa_runs WHERE status = 'ok' GROUP BY source, indicator, area, node
    ) r USING (run_id);
"""

# --- stage: releases ------------------------------------------------------------------------
RELEASE_DDL = """
CREATE TABLE IF NOT EXISTS disclosure (       -- suppressed (area, node) cells of each compile run (status 'c')
    area VARCHAR NOT NULL, node VARCHAR NOT NULL, status VARCHAR NOT NULL, reason VARCHAR, run_id BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS disclosure_runs (  -- compile runs whose suppression table has been computed
    run_id BIGINT PRIMARY KEY, cells BIGINT, computed_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE IF NOT EXISTS releases (         -- one row per release vintage; a vintage is never rewritten
    release_id BIGINT PRIMARY KEY, period VARCHAR NOT NULL, source VARCHAR NOT NULL, vintage INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, directory VARCHAR NOT NULL, files JSON NOT NULL,
    content_hash VARCHAR NOT NULL, compile_run_id BIGINT, langs VARCHAR,
    UNIQUE (period, source, vintage)
);
"""

# --- stage: collection, users, audit, imputation --------------------------------------------
COLLECTION_DDL = """
CREATE SEQUENCE IF NOT EXISTS audit_seq START 1;
CREATE SEQUENCE IF NOT EXISTS flag_seq START 1;
CREATE TABLE IF NOT EXISTS users (            -- accounts; passwords hashed with argon2id
    username VARCHAR PRIMARY KEY, password_hash VARCHAR NOT NULL,
    role VARCHAR NOT NULL,                    -- enterprise|provincial|national|admin
    enterprise_id VARCHAR, province VARCHAR, active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMP NOT NULL DEFAULT current_timestamp, created_by VARCHAR);
CREATE TABLE IF NOT EXISTS tokens (           -- bearer tokens: only the sha256 of the random token is stored
    token_hash VARCHAR PRIMARY KEY, username VARCHAR NOT NULL,
    issued_at TIMESTAMP NOT NULL DEFAULT current_timestamp, expires_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS token_revocations (token_hash VARCHAR PRIMARY KEY,
    revoked_at TIMESTAMP NOT NULL DEFAULT current_timestamp);
CREATE TABLE IF NOT EXISTS employment (       -- employees on the 1st of the month; versioned like reports
    enterprise_id VARCHAR NOT NULL, period VARCHAR NOT NULL, employees DOUBLE,
    load_id BIGINT NOT NULL, status VARCHAR NOT NULL DEFAULT 'R');
CREATE TABLE IF NOT EXISTS employment_history AS SELECT *, 0::BIGINT AS superseded_by FROM employment WHERE false;
CREATE TABLE IF NOT EXISTS submissions (      -- one row per accepted submission or correction (load_id from load_seq)
    load_id BIGINT PRIMARY KEY, enterprise_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
    username VARCHAR NOT NULL, role VARCHAR NOT NULL, channel VARCHAR NOT NULL, action VARCHAR NOT NULL,
    submitted_at TIMESTAMP NOT NULL DEFAULT current_timestamp, lines BIGINT NOT NULL, inserted BIGINT NOT NULL,
    unchanged BIGINT NOT NULL, sha256 VARCHAR NOT NULL, warnings JSON, comment VARCHAR);
CREATE TABLE IF NOT EXISTS submission_lines ( -- what was submitted, line by line (values kept for unit values)
    load_id BIGINT NOT NULL, product_code VARCHAR NOT NULL, produced DOUBLE, sold DOUBLE, closing_stock DOUBLE,
    value DOUBLE);
CREATE TABLE IF NOT EXISTS audit_log (        -- who did what when; append only
    audit_id BIGINT PRIMARY KEY, logged_at TIMESTAMP NOT NULL DEFAULT current_timestamp, username VARCHAR,
    role VARCHAR, action VARCHAR NOT NULL, enterprise_id VARCHAR, period VARCHAR, load_id BIGINT, detail JSON);
CREATE TABLE IF NOT EXISTS imputation_runs (
    load_id BIGINT PRIMARY KEY, period_from VARCHAR NOT NULL, period_to VARCHAR NOT NULL, strata VARCHAR NOT NULL,
    run_at TIMESTAMP NOT NULL DEFAULT current_timestamp, username VARCHAR, imputed BIGINT, written BIGINT,
    unimputable BIGINT);
CREATE TABLE IF NOT EXISTS imputations (      -- every imputed value of every run with its marker, links and counts
    load_id BIGINT NOT NULL, enterprise_id VARCHAR NOT NULL, period VARCHAR NOT NULL, product_code VARCHAR NOT NULL,
    variable VARCHAR NOT NULL, value DOUBLE, marker VARCHAR NOT NULL, stratum VARCHAR,
    forward DOUBLE, backward DOUBLE, construction DOUBLE,
    count_forward BIGINT, count_backward BIGINT, count_construction BIGINT);
CREATE TABLE IF NOT EXISTS outlier_flags (    -- flags for review (Hidiroglou-Berthelot); append only
    flag_id BIGINT PRIMARY KEY, run_at TIMESTAMP NOT NULL DEFAULT current_timestamp, method VARCHAR NOT NULL,
    enterprise_id VARCHAR NOT NULL, period VARCHAR NOT NULL, product_code VARCHAR NOT NULL, variable VARCHAR NOT NULL,
    value DOUBLE, previous DOUBLE, ratio DOUBLE, effect DOUBLE, lower DOUBLE, upper DOUBLE, stratum VARCHAR,
    report_load_id BIGINT);
CREATE TABLE IF NOT EXISTS outlier_reviews (  -- accept / edit decisions; an edit points at its correction (load_id)
    flag_id BIGINT NOT NULL, action VARCHAR NOT NULL, username VARCHAR NOT NULL,
    reviewed_at TIMESTAMP NOT NULL DEFAULT current_timestamp, comment VARCHAR, load_id BIGINT);
CREATE TABLE IF NOT EXISTS labour_index (     -- labour-usage index (GSO form, 100 = same level) per run
    period VARCHAR NOT NULL, dimension VARCHAR NOT NULL, code VARCHAR NOT NULL, employees DOUBLE,
    enterprises_mom BIGINT, mom DOUBLE, enterprises_yoy BIGINT, yoy DOUBLE,
    computed_at TIMESTAMP NOT NULL DEFAULT current_timestamp);
"""

SCHEMA = [CORE_DDL, COMPILE_DDL, PUBLISHED_DDL, SEASONAL_DDL, RELEASE_DDL, COLLECTION_DDL]


def db_path(path: str | os.PathLike | None = None) -> Path:
    """Resolve the store path: explicit argument, else $IIP_DB, else ./iip.duckdb."""
    return Path(path or os.environ.get("IIP_DB") or DEFAULT_DB)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    old = con.execute("SELECT 1 FROM duckdb_tables() WHERE table_name = 'indices'").fetchone()
    if old:  # stores made before indices became a view over index_cells
        con.execute("DROP TABLE indices")
    stored_measures = con.execute("SELECT 1 FROM duckdb_columns() WHERE table_name = 'index_cells' "
                                  "AND column_name = 'mom'").fetchone()
    if stored_measures:  # stores made when measures were stored per cell: keep that table, carry the levels over
        con.execute("DROP VIEW IF EXISTS indices")
        con.execute("ALTER TABLE index_cells RENAME TO index_cells_v1")
        con.execute('CREATE TABLE index_cells AS SELECT sid, pid, "index", NULL::SMALLINT AS base_year, run_id '
                    'FROM index_cells_v1 WHERE "index" IS NOT NULL')
    for ddl in SCHEMA:
        if ddl.strip():
            con.execute(ddl)


def connect(path: str | os.PathLike | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (creating if needed) the store and make sure every table exists."""
    p = db_path(path)
    if str(p) != ":memory:":
        p.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(p), read_only=read_only)
    if not read_only:
        ensure_schema(con)
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: BEGIN ... COMMIT, ROLLBACK on any exception."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def next_load_id(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.execute("SELECT nextval('load_seq')").fetchone()[0])
