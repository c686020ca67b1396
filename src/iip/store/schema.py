"""The store's tables: one block of DDL per stage of the pipeline, and the views over them.

The input tables (register, products, weights, reports, employment and their ``_history``) are not written here:
their DDL is derived from the layouts in :mod:`iip.validation` (``Layout.ddl``), so a column is declared once.
Blocks are idempotent (``IF NOT EXISTS``); the numbered migrations in :mod:`iip.store.migrations` apply them.
Views and table macros (``VIEWS`` here, and the growth measures in ``iip/measures/indices.sql``) hold no data and
are (re)created on every writable open. docs/schema.md documents every table.
"""
from __future__ import annotations

from importlib import resources

from iip.validation import LAYOUTS, QUANTITIES

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
"""

#: The input tables, derived from their layouts (current version + history).
INPUT_DDL = "".join(layout.ddl() for layout in LAYOUTS.values())

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

# --- stage: non-response and coverage (migration 2) ---------------------------------------
#: Added by migration 2 (not part of the baseline).
_QTY = ", ".join(f"{q} DOUBLE" for q in QUANTITIES)
COVERAGE_DDL = f"""
CREATE TABLE IF NOT EXISTS index_coverage (   -- coverage of each compiled (area, node) x month: shares of the
    sid INTEGER NOT NULL,                     -- base-year weight that reported / was imputed (sid: the production
    pid INTEGER NOT NULL,                     -- series of the area and node; the same for every indicator)
    reported DOUBLE NOT NULL, imputed DOUBLE NOT NULL, run_id BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS nonresponse (      -- the expected report lines without a report, as the compile's last
    enterprise_id VARCHAR NOT NULL,           -- imputation found them (rewritten by each imputation run)
    period VARCHAR NOT NULL, product_code VARCHAR NOT NULL,
    marker VARCHAR,                           -- imputation marker (FIR, BI, C, FIC); NULL: no donors (missing)
    {_QTY}, load_id BIGINT NOT NULL);
ALTER TABLE imputation_runs ADD COLUMN IF NOT EXISTS scope VARCHAR;   -- 'window' (iip impute) | 'all' (compile)
ALTER TABLE imputation_runs ADD COLUMN IF NOT EXISTS inputs VARCHAR;  -- what the run imputed from (signature)
ALTER TABLE compile_runs ADD COLUMN IF NOT EXISTS coverage BOOLEAN;   -- the run measured coverage (index_coverage)
"""

# --- stage: collection security (migration 3) ------------------------------------------------
#: Added by migration 3 (not part of the baseline): login throttling, approvals of accounts with microdata
#: access, and revision requests for released months.
COLLECTION_SECURITY_DDL = """
CREATE SEQUENCE IF NOT EXISTS approval_seq START 1;
CREATE SEQUENCE IF NOT EXISTS revision_seq START 1;
CREATE TABLE IF NOT EXISTS login_throttle (   -- failed logins per account ('user') and per address ('address')
    key VARCHAR NOT NULL, kind VARCHAR NOT NULL, failures INTEGER NOT NULL,
    last_failure TIMESTAMP NOT NULL, locked_until TIMESTAMP,
    PRIMARY KEY (kind, key));
CREATE TABLE IF NOT EXISTS account_approvals ( -- microdata access granted by account administration, pending until
    request_id BIGINT PRIMARY KEY,             -- a national statistician (not the account itself) approves it
    username VARCHAR NOT NULL, reason VARCHAR NOT NULL,   -- add | reset_password | enable
    requested_by VARCHAR NOT NULL, requested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    approved_by VARCHAR, approved_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS revision_requests ( -- an enterprise's change to a released month, decided by a statistician
    revision_id BIGINT PRIMARY KEY, enterprise_id VARCHAR NOT NULL, period VARCHAR NOT NULL,
    username VARCHAR NOT NULL, channel VARCHAR NOT NULL,
    requested_at TIMESTAMP NOT NULL DEFAULT current_timestamp,
    lines JSON NOT NULL,                       -- [{product_code, produced, sold, closing_stock, value}]
    employees DOUBLE, comment VARCHAR, warnings JSON,
    status VARCHAR NOT NULL DEFAULT 'pending', -- pending | accepted | rejected
    decided_by VARCHAR, decided_at TIMESTAMP, decision_comment VARCHAR,
    load_id BIGINT);                           -- the submission that wrote an accepted request
"""

#: Every table of the store, in the order they are created.
TABLES = [CORE_DDL, INPUT_DDL, COMPILE_DDL, PUBLISHED_DDL, SEASONAL_DDL, RELEASE_DDL, COLLECTION_DDL]

#: Views over the tables (no data): the vintages of published figures, the current seasonal adjustment.
VIEWS = """
CREATE OR REPLACE VIEW published_vintages AS
    SELECT f.*, pf.file,
        row_number() OVER w AS vintage,
        CASE WHEN f.status IN ('estimate', 'derived') THEN f.status
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
CREATE OR REPLACE VIEW sa_current AS          -- latest successful run per series
    SELECT s.* FROM sa_series s JOIN (
        SELECT max(run_id) AS run_id FROM sa_runs WHERE status = 'ok' GROUP BY source, indicator, area, node
    ) r USING (run_id);
"""

#: Files of SQL objects (views, table macros) kept beside the Python code that calls them: (package, file).
OBJECT_FILES = [("iip.measures", "growth.sql"), ("iip.measures", "indices.sql")]


def object_sql() -> list[str]:
    """The SQL that (re)creates every view and table macro: ``VIEWS`` and each of ``OBJECT_FILES``."""
    files = [resources.files(pkg).joinpath(name).read_text(encoding="utf-8") for pkg, name in OBJECT_FILES]
    return [*files, VIEWS]
