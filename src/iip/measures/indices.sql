-- Every measure of the compiled series, derived in SQL from the stored levels with the formulas of growth.sql
-- (the one implementation production uses; its Python caller is iip/measures/__init__.py, the NumPy oracle the
-- tests hold it to is tests/compile/measures_oracle.py).

-- Every measure of the compiled series selected (NULL = all), months period_from..period_to (NULL = all).
CREATE OR REPLACE MACRO indices_where(indicator_is := NULL, area_is := NULL, node_is := NULL,
                                      period_from := NULL, period_to := NULL) AS TABLE
WITH sel AS (  -- cov_sid: the production series of the same area and node, whose cells carry the coverage
    SELECT s.sid, s.indicator, s.area, s.node, s.parent_sid, s.total_sid, c.sid AS cov_sid FROM index_series s
    LEFT JOIN index_series c ON c.indicator = 'production' AND c.area = s.area AND c.node = s.node
    WHERE (indicator_is IS NULL OR s.indicator = indicator_is) AND (area_is IS NULL OR s.area = area_is)
      AND (node_is IS NULL OR s.node = node_is)
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
), ys AS (
    SELECT *, ytd_sum("index", sid, pid) AS s_i, ytd_sum(ep, sid, pid) AS s_ep FROM lv
)
SELECT s.indicator, s.area, s.node, p.period, a."index",
       growth(a."index", m1."index") AS mom,
       growth(a."index", y1."index") AS yoy,
       CASE WHEN s.indicator <> 'inventory' THEN growth(a.s_i, y1.s_i) END AS ytd,
       contribution(a.ep, y1.ep, par."index") AS contrib_yoy,
       CASE WHEN s.indicator <> 'inventory' THEN contribution(a.s_ep, y1.s_ep, par.s_i) END AS contrib_ytd,
       contribution(a.et, y1.et, tot."index") AS contrib_total_yoy,
       a.run_id,
       -- coverage: shares of the base-year weight that reported this month and that was imputed (the rest:
       -- missing); stored only for cells not fully reported, NULL when the run did not measure it
       CASE WHEN cr.coverage AND s.cov_sid IS NOT NULL THEN coalesce(cv.reported, 1.0) END AS coverage_reported,
       CASE WHEN cr.coverage AND s.cov_sid IS NOT NULL THEN coalesce(cv.imputed, 0.0) END AS coverage_imputed
FROM ys a JOIN sel s ON s.sid = a.sid JOIN index_periods p ON p.pid = a.pid
LEFT JOIN compile_runs cr ON cr.run_id = a.run_id
LEFT JOIN index_coverage cv ON cv.sid = s.cov_sid AND cv.pid = a.pid
LEFT JOIN lv m1 ON m1.sid = a.sid AND m1.pid = a.pid - 1                -- a month earlier
LEFT JOIN ys y1 ON y1.sid = a.sid AND y1.pid = a.pid - 12               -- a year earlier
LEFT JOIN ys par ON par.sid = s.parent_sid AND par.pid = a.pid - 12     -- the parent, a year earlier
LEFT JOIN ys tot ON tot.sid = s.total_sid AND tot.pid = a.pid - 12      -- TOTAL, a year earlier
WHERE a.pid >= (SELECT out_lo FROM win);

CREATE OR REPLACE VIEW indices AS SELECT * FROM indices_where();  -- tidy: every indicator x area x node x month
CREATE OR REPLACE VIEW index_levels AS  -- the levels alone (fast: no derived measures)
    SELECT s.indicator, s.area, s.node, p.period, c."index", c.run_id
    FROM index_series s JOIN index_cells c ON c.sid = coalesce(s.level_sid, s.sid) JOIN index_periods p ON c.pid = p.pid;
