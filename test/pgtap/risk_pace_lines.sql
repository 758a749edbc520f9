-- Pace to quota's pass over the lines (issue 19, item 2, performance): the
-- aggregate pace_line_scan (C) that pace_points_sales reads the lines with,
-- hand-computed; pace_points_sales against the GROUP BY and hash join it
-- replaced (the property) and against credited_sales on a generated org
-- with split lines, refunds and reps changing teams; its input checks.
--
-- The hand case: lo = 2025-06-01, point_of_day = {1, 1, NULL, 2, 2} for
-- 06-01 .. 06-05, as_of = {06-01, 06-05}, moved = {7}, split = {11}.
--   line 10  rep 5, 06-01,  10.00: point 1, to date (06-01 <= 06-01)
--   line 11  rep 5, 06-02,   2.50: point 1, after the date; split: kept too
--   line 12  rep 5, 06-03,  99.00: the day has no point: not read
--   line 13  rep 7, 06-04,   1.10: point 2, to date, rep 7 moved: day kept
--   line 14  rep 7, 06-04,  -0.10: the same key: 1.10 - 0.10 = 1.00
--   line 15  rep 5, 06-06,   5.00: after the last day of point_of_day: not read
--   line 16  rep 5, 05-31,   5.00: before lo: not read
--   line 17  no rep: skipped
-- -> sums (rep 5, 1, to date) 10.00, (5, 1, after) 2.50, (7, 2, to date,
--    06-04) 1.00, and the split line 11 (rep 5, point 1, after, 06-02, 2.50).
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO';
SELECT plan(15);

CREATE TEMP TABLE lines (sale_id bigint, member_id integer, sold_on date, amount numeric(14,2));
INSERT INTO lines VALUES (10, 5, '2025-06-01', 10.00), (11, 5, '2025-06-02', 2.50), (12, 5, '2025-06-03', 99.00),
  (13, 7, '2025-06-04', 1.10), (14, 7, '2025-06-04', -0.10), (15, 5, '2025-06-06', 5.00),
  (16, 5, '2025-05-31', 5.00), (17, NULL, '2025-06-01', 1.00);

-- ---------------------------------------------------------------- hand-computed
SELECT is((SELECT array_agg(x::text ORDER BY x::text)
           FROM unnest((SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1,1,NULL,2,2}',
                                              '{2025-06-01,2025-06-05}', '{7}', '{11}') FROM lines)) x),
          ARRAY['(,5,1,f,,2.50)', '(,5,1,t,,10.00)', '(,7,2,t,2025-06-04,1.00)', '(11,5,1,f,2025-06-02,2.50)'],
          'pace_line_scan: the booked sums per rep, point and to date (the day of a moved rep), and the split line');
SELECT is((SELECT array_agg(x::text ORDER BY x::text)
           FROM unnest((SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1,1,NULL,2,2}',
                                              '{2025-06-01,2025-06-05}', '{7}', '{11,9000000000}') FROM lines)) x),
          ARRAY['(,5,1,f,,2.50)', '(,5,1,t,,10.00)', '(,7,2,t,2025-06-04,1.00)', '(11,5,1,f,2025-06-02,2.50)'],
          'pace_line_scan: split ids spanning more than 2^27 (a hash set instead of the bitmap) give the same');
-- sums as sum(): 1.005 + 2.00 = 3.005 (numeric arithmetic from the amount
-- with three decimals on), 99999999999999999.99 + 0.01 (beyond the
-- hundredths' range) = 100000000000000000.00
SELECT is((SELECT array_agg(x.amount::text ORDER BY x.member_id)
           FROM unnest((SELECT pace_line_scan(NULL, m, '2025-06-01', a, '2025-06-01', '{1}', '{2025-06-01}', '{}', '{}')
                        FROM (VALUES (1, 1.005), (1, 2.00), (2, 99999999999999999.99), (2, 0.01)) v(m, a))) x),
          ARRAY['3.005', '100000000000000000.00'], 'pace_line_scan sums: hundredths, numeric arithmetic beyond');
SELECT ok((SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1}', '{2025-06-01}', '{}', '{}')
           FROM lines WHERE sold_on > '2025-06-01') IS NULL, 'pace_line_scan: no line read gives NULL');

-- ---------------------------------------------------------------- input checks
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, NULL, '{1}', '{2025-06-01}', '{}', '{}') FROM lines$$,
                 '22004', 'pace_line_scan lo must not be null', 'a NULL lo: 22004');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1}', '{2025-06-01}', '{}', NULL) FROM lines$$,
                 '22004', 'pace_line_scan split must not be null', 'a NULL array: 22004');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1,3}', '{2025-06-01,2025-06-02}', '{}', '{}') FROM lines$$,
                 '22023', 'pace_line_scan point_of_day names point 3, but as_of has 2', 'a point beyond as_of: 22023');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{{1},{1}}', '{2025-06-01}', '{}', '{}') FROM lines$$,
                 '22023', 'pace_line_scan point_of_day must be a one-dimensional array', 'a two-dimensional array: 22023');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1,1}', ARRAY[sold_on],
                                         '{}', '{}') FROM lines WHERE sale_id IN (10, 11)$$,
                 '22023', 'pace_line_scan lo, point_of_day, as_of, moved and split must be the same on every line',
                 'arguments changing between lines: 22023');
SELECT throws_ok($$SELECT pace_line_scan(1, 5, d, 1.00, '2025-06-01', '{1}', '{2025-06-01}', '{}', '{}')
                   FROM unnest(ARRAY[date '2025-06-01', 'infinity']) d$$,
                 '22023', 'pace_line_scan sale day must be a finite date', 'an infinite day: 22023');
SELECT is((SELECT array_agg(DISTINCT p.proparallel) FROM pg_proc p
           WHERE p.proname IN ('pace_line_scan', 'pace_line_trans', 'pace_line_final')
             AND p.pronamespace = 'sales_supervisor'::regnamespace), ARRAY['s']::"char"[],
          'pace_line_scan and its support functions are labelled parallel safe');

-- ---------------------------------------------------------------- the property
-- a generated org with a year's changes (reps moving teams), 3 % of the lines
-- split with a teammate, 1 % refunded
SELECT count(*) FROM generate_demo_org(seed => 11, teams => 6, depth => 2, reps => 24, customers => 400,
                                       sales_lines => 30000, surveys => 50, reviews_per_member => 0,
                                       replace => true, changes => true);
SELECT ok((SELECT count(*) FROM sale_credit) > 0 AND (SELECT count(*) FROM sale WHERE refund_of IS NOT NULL) > 0
          AND (SELECT count(*) FROM (SELECT member_id FROM member_assignment GROUP BY 1 HAVING count(*) > 1) m) > 0,
          '(the generated org has split lines, refunds and reps who changed teams: the property is not trivial)');

-- pace_points_sales as it was (a GROUP BY of the computed keys, the split
-- lines found by a hash join of the window's lines with sale_credit)
CREATE FUNCTION pg_temp.old_pace_points_sales(p_period integer[], p_as_of date[], p_through date)
RETURNS TABLE (k integer, member_id integer, team_id integer, to_date numeric, total numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor
AS $$
#variable_conflict use_column
DECLARE
  v_lo date := (SELECT min(fp.start_on) FROM fiscal_period fp WHERE fp.period_id = ANY (p_period));
  v_hi date := least((SELECT max(fp.end_on) FROM fiscal_period fp WHERE fp.period_id = ANY (p_period)), p_through);
  v_k integer[];     -- v_k[day - v_lo + 1]: the point holding the day, NULL for none
  v_moved integer[] := (SELECT coalesce(array_agg(a.member_id), '{}')
                        FROM (SELECT ma.member_id FROM member_assignment ma GROUP BY 1 HAVING count(*) > 1) a);
BEGIN
  SELECT array_agg(x.k ORDER BY x.day) INTO v_k
  FROM (SELECT d::date AS day, min(u.k) AS k
        FROM generate_series(v_lo, v_hi, interval '1 day') d
        LEFT JOIN (unnest(p_period, p_as_of) WITH ORDINALITY AS u(period_id, as_of, k)
                   JOIN fiscal_period fp ON fp.period_id = u.period_id) ON d::date BETWEEN fp.start_on AND fp.end_on
        GROUP BY 1) x;
  RETURN QUERY
  WITH booked AS (
    SELECT s.member_id, v_k[s.sold_on - v_lo + 1] AS k, s.sold_on <= p_as_of[v_k[s.sold_on - v_lo + 1]] AS in_date,
           CASE WHEN s.member_id = ANY (v_moved) THEN s.sold_on END AS day, sum(s.amount) AS amount
    FROM sale s
    WHERE s.sold_on >= v_lo AND s.sold_on <= v_hi AND v_k[s.sold_on - v_lo + 1] IS NOT NULL
    GROUP BY 1, 2, 3, 4),
  split AS (
    SELECT s.member_id AS booked_id, s.sold_on, s.amount, sc.member_id, row_number() OVER w = 1 AS first_share,
           sign(s.amount) * allocate_quota(abs(s.amount), sc.share_pct, 0.01::numeric) OVER w AS credit
    FROM sale_credit sc JOIN sale s ON s.sale_id = sc.sale_id
    WHERE s.sold_on >= v_lo AND s.sold_on <= v_hi AND v_k[s.sold_on - v_lo + 1] IS NOT NULL
    WINDOW w AS (PARTITION BY sc.sale_id ORDER BY sc.member_id)),
  moves AS (
    SELECT x.member_id, v_k[x.sold_on - v_lo + 1] AS k, x.sold_on <= p_as_of[v_k[x.sold_on - v_lo + 1]] AS in_date,
           CASE WHEN x.member_id = ANY (v_moved) THEN x.sold_on END AS day, x.amount
    FROM (SELECT sp.member_id, sp.sold_on, sp.credit AS amount FROM split sp
          UNION ALL
          SELECT sp.booked_id, sp.sold_on, -sp.amount FROM split sp WHERE sp.first_share) x),
  credit AS (
    SELECT y.member_id, y.k, y.in_date, y.day, sum(y.amount) AS amount
    FROM (SELECT * FROM booked UNION ALL SELECT * FROM moves) y
    GROUP BY 1, 2, 3, 4)
  SELECT c.k, c.member_id, t.team_id, coalesce(sum(c.amount) FILTER (WHERE c.in_date), 0), sum(c.amount)
  FROM credit c
  JOIN member_team_days() t ON t.member_id = c.member_id AND t.days @> coalesce(c.day, p_as_of[c.k])
  GROUP BY 1, 2, 3;
END
$$;


CREATE TEMP TABLE point_sets AS
SELECT i, p, a, t FROM (VALUES
  (1, (SELECT array_agg(period_id ORDER BY start_on DESC) FROM fiscal_period WHERE kind = 'month' AND start_on BETWEEN '2025-01-01' AND '2025-06-01'),
      ARRAY[date '2025-06-15', '2025-05-15', '2025-04-15', '2025-03-15', '2025-02-15', '2025-01-15'], date '2025-06-15'),
  (2, (SELECT array_agg(period_id ORDER BY start_on DESC) FROM fiscal_period WHERE kind = 'month' AND start_on BETWEEN '2025-09-01' AND '2025-12-01'),
      ARRAY[date '2025-12-31', '2025-11-30', '2025-10-31', '2025-09-30'], date '2025-12-31'),
  (3, (SELECT array_agg(period_id ORDER BY start_on DESC) FROM fiscal_period WHERE kind = 'quarter' AND start_on BETWEEN '2025-01-01' AND '2025-07-01'),
      ARRAY[date '2025-08-01', '2025-05-01', '2025-02-01'], date '2025-08-01')) v(i, p, a, t);
SELECT set_eq($$SELECT s.i, x.* FROM point_sets s, pace_points_sales(s.p, s.a, s.t) x$$,
              $$SELECT s.i, x.* FROM point_sets s, pg_temp.old_pace_points_sales(s.p, s.a, s.t) x$$,
              'pace_points_sales = the GROUP BY and hash join it replaced, for months, quarter-end days and quarters');
SELECT set_eq($$SELECT member_id, sum(to_date) AS to_date, sum(total) AS total FROM pace_points_sales(
                  (SELECT p FROM point_sets WHERE i = 1), (SELECT a FROM point_sets WHERE i = 1), '2025-06-15') WHERE k = 2
                GROUP BY 1$$,
              $$SELECT member_id, sum(amount) FILTER (WHERE sold_on <= '2025-05-15') AS to_date, sum(amount) AS total
                FROM credited_sales('2025-05-01', '2025-05-31') GROUP BY 1$$,
              'pace_points_sales of May to the 15th and whole = credited_sales per rep');
SELECT ok((SELECT count(*) FROM point_sets s, pace_points_sales(s.p, s.a, s.t) x) > 100,
          '(the property compares more than 100 rows)');

SELECT * FROM finish();
ROLLBACK;
