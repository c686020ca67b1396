-- Growth measures and contributions, derived in SQL from stored levels: the one implementation production uses.
-- Its Python caller is iip/measures/__init__.py; the NumPy oracle the tests hold it to is tests/compile/measures_oracle.py.
-- GSO's 100-based form (103.69 = +3.69%), months numbered pid = 12 * year + month - 1:
--   mom(t) = 100 I(t) / I(t-1);  yoy(t) = 100 I(t) / I(t-12);  ytd(t) = 100 S(t) / S(t-12), S(t) = sum(I, Jan..t)
--   contrib_yoy(k) = 100 (e_k I_k(t) - e_k I_k(t-12)) / I_P(t-12)   (contrib_ytd: the same with sums over Jan..t)
--   e_k = (W_k / W_P) f_P / f_k, k's effective weight in its parent P (index_weights.e_parent; in TOTAL: e_total).
-- The children of P sum exactly to yoy_P - 100. Inventory (a stock) has no year-to-date figures.

-- The formulas, once (scalar macros, expanded where they are used).
CREATE OR REPLACE MACRO iip_pid(period) AS CAST(left(period, 4) AS INTEGER) * 12 + CAST(substr(period, 6, 2) AS INTEGER) - 1;
CREATE OR REPLACE MACRO growth(cur, prev) AS 100 * cur / nullif(prev, 0);          -- 100-based growth on prev
CREATE OR REPLACE MACRO contribution(e_cur, e_prev, parent_prev) AS 100 * (e_cur - e_prev) / nullif(parent_prev, 0);
-- S(t) = sum of v over January..t of t's year in series k; NULL unless every month January..t is there.
CREATE OR REPLACE MACRO ytd_sum(v, k, pid) AS
    CASE WHEN count(v) OVER (PARTITION BY k, pid // 12 ORDER BY pid RANGE UNBOUNDED PRECEDING) = pid % 12 + 1
         THEN sum(v) OVER (PARTITION BY k, pid // 12 ORDER BY pid RANGE UNBOUNDED PRECEDING) END;

-- mom, yoy and ytd of any level series: t has columns sid (series key), pid, "index".
-- Used for series that are not compiled cells (seasonally adjusted levels, published levels).
CREATE OR REPLACE MACRO level_growth(t) AS TABLE
WITH ys AS (SELECT sid, pid, "index", ytd_sum("index", sid, pid) AS s_i FROM query_table(t))
SELECT a.sid, a.pid, a."index", growth(a."index", m1."index") AS mom, growth(a."index", y1."index") AS yoy,
       growth(a.s_i, y1.s_i) AS ytd
FROM ys a LEFT JOIN ys m1 ON m1.sid = a.sid AND m1.pid = a.pid - 1 LEFT JOIN ys y1 ON y1.sid = a.sid AND y1.pid = a.pid - 12;

-- Every measure of the compiled series selected (NULL = all), months period_from..period_to (NULL = all).
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
