-- Reporting views on the demo organisation with {rows} sales lines (1M at
-- --rows 1000000); reps are {rows}/100 up to 1000 and customers {rows}/50 up to
-- 20 000, so past 100 000 lines the materialized view (reps x days) stops
-- growing while the sales lines keep growing.  Ours reads the
-- materialized v_credited_sales_daily (one row per rep and day, refreshed by
-- the refresh_reports job); the SQL alternative is what a plain view must do
-- on every query: credit the sales lines by split (sale LEFT JOIN sale_credit)
-- within each period; the floor is one sum over the sales lines.
-- setup:
SELECT count(*) FROM generate_demo_org(seed => 8, teams => 120, depth => 3,
  reps => least(1000, greatest(12, {rows} / 100)), customers => greatest(60, least(20000, {rows} / 50)),
  sales_lines => {rows}, surveys => 2000, replace => true);
INSERT INTO quota (period_id, member_id, amount, method)
SELECT p.period_id, m.member_id, 100000, 'manual'
FROM member m CROSS JOIN fiscal_period p WHERE m.level = 'sales_rep';
SELECT status FROM execute_job('refresh_reports');
ANALYZE;

-- case: yearly attainment of every rep (v_rep_attainment)
-- ours:
SELECT sum(attainment) FROM v_rep_attainment WHERE period_kind = 'year';
-- sql:
SELECT sum(kpi_attainment(coalesce(x.credited, 0), q.amount))
FROM quota q JOIN fiscal_period fp ON fp.period_id = q.period_id AND fp.kind = 'year'
LEFT JOIN (SELECT coalesce(sc.member_id, s.member_id) AS member_id,
                  sum(CASE WHEN sc.sale_id IS NULL THEN s.amount ELSE s.amount * sc.share_pct / 100 END) AS credited
           FROM sale s LEFT JOIN sale_credit sc ON sc.sale_id = s.sale_id
           WHERE s.sold_on BETWEEN (SELECT start_on FROM fiscal_period WHERE kind = 'year')
                               AND (SELECT end_on FROM fiscal_period WHERE kind = 'year')
           GROUP BY 1) x ON x.member_id = q.member_id
WHERE q.member_id IS NOT NULL;
-- floor:
SELECT sum(amount) FROM sale;

-- case: monthly credited sales of every rep (v_rep_sales_month)
-- ours:
SELECT sum(credited_amount) FROM v_rep_sales_month;
-- sql:
SELECT sum(c) FROM (SELECT coalesce(sc.member_id, s.member_id), date_trunc('month', s.sold_on),
                           sum(CASE WHEN sc.sale_id IS NULL THEN s.amount ELSE s.amount * sc.share_pct / 100 END) AS c
                    FROM sale s LEFT JOIN sale_credit sc ON sc.sale_id = s.sale_id GROUP BY 1, 2) x;
-- floor:
SELECT sum(amount) FROM sale;

-- case: team attainment, every team and period, rolled up the tree (v_team_attainment)
-- ours:
SELECT sum(credited_sales) FROM v_team_attainment;
-- sql:
WITH RECURSIVE subtree(team_id, sub_team_id, depth) AS (
  SELECT t.team_id, t.team_id, 0 FROM team t
  UNION ALL
  SELECT st.team_id, c.team_id, st.depth + 1 FROM subtree st JOIN team c ON c.parent_id = st.sub_team_id WHERE st.depth < 1000),
credit AS (SELECT coalesce(sc.member_id, s.member_id) AS member_id, s.sold_on,
                  CASE WHEN sc.sale_id IS NULL THEN s.amount ELSE s.amount * sc.share_pct / 100 END AS credited
           FROM sale s LEFT JOIN sale_credit sc ON sc.sale_id = s.sale_id)
SELECT sum(c.credited) FROM fiscal_period fp JOIN credit c ON c.sold_on BETWEEN fp.start_on AND fp.end_on
JOIN member m ON m.member_id = c.member_id JOIN subtree st ON st.sub_team_id = m.team_id;
-- floor:
SELECT sum(amount) FROM sale;
