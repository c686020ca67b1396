-- Growth measures and contributions: the formulas, written once (scalar and table macros). indices.sql applies them
-- to the compiled levels; growth_of() in iip/measures/__init__.py to any other level series.
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


-- Contributions of parts to the growth of the whole they add up to (e.g. ownership sectors in TOTAL):
-- t has columns sid (the part), pid, part (the part's level, already weighted: the parts of a month sum to whole)
-- and whole. contrib_yoy = 100 (part(t) - part(t-12)) / whole(t-12); contrib_ytd the same with sums over Jan..t.
-- The parts' contributions add up exactly to the whole's yoy - 100 (and ytd - 100).
CREATE OR REPLACE MACRO part_contributions(t) AS TABLE
WITH ys AS (SELECT sid, pid, part, whole, ytd_sum(part, sid, pid) AS s_p, ytd_sum(whole, sid, pid) AS s_w
            FROM query_table(t))
SELECT a.sid, a.pid, contribution(a.part, y1.part, y1.whole) AS contrib_yoy,
       contribution(a.s_p, y1.s_p, y1.s_w) AS contrib_ytd
FROM ys a LEFT JOIN ys y1 ON y1.sid = a.sid AND y1.pid = a.pid - 12;
