-- Pace to quota's pass over the lines (issue 19, item 2, performance): the
-- aggregate pace_line_scan (C) that pace_points_sales reads the lines with,
-- hand-computed -- the split lines credited in exact cents there (3-way
-- splits, refunds, odd cents, both tie-breaks); pace_points_sales against
-- the GROUP BY, hash join and allocate_quota window it replaced (the
-- property) and against credited_sales on a generated org with split lines
-- (some made 3-way with odd shares), refunds and reps changing teams; its
-- input checks.
--
-- The hand case: lo = 2025-06-01, point_of_day = {1, 1, NULL, 2, 2} for
-- 06-01 .. 06-05, as_of = {06-01, 06-05}, moved = {7}, sale 11 credited
-- 60 % to rep 5 and 40 % to rep 7.
--   line 10  rep 5, 06-01,  10.00: point 1, to date (06-01 <= 06-01)
--   line 11  rep 5, 06-02,   2.50: point 1, after the date; split: 1.50 to
--            rep 5, 1.00 to rep 7 (moved: the day kept)
--   line 12  rep 5, 06-03,  99.00: the day has no point: not read
--   line 13  rep 7, 06-04,   1.10: point 2, to date, rep 7 moved: day kept
--   line 14  rep 7, 06-04,  -0.10: the same key: 1.10 - 0.10 = 1.00
--   line 15  rep 5, 06-06,   5.00: after the last day of point_of_day: not read
--   line 16  rep 5, 05-31,   5.00: before lo: not read
--   line 17  no rep: skipped
-- -> (rep 5, 1, to date) 10.00, (5, 1, after) 1.50, (7, 1, after, 06-02)
--    1.00, (7, 2, to date, 06-04) 1.00.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO';
SELECT plan(26);

CREATE TEMP TABLE lines (sale_id bigint, member_id integer, sold_on date, amount numeric(14,2));
INSERT INTO lines VALUES (10, 5, '2025-06-01', 10.00), (11, 5, '2025-06-02', 2.50), (12, 5, '2025-06-03', 99.00),
  (13, 7, '2025-06-04', 1.10), (14, 7, '2025-06-04', -0.10), (15, 5, '2025-06-06', 5.00),
  (16, 5, '2025-05-31', 5.00), (17, NULL, '2025-06-01', 1.00);

-- ---------------------------------------------------------------- hand-computed
SELECT is((SELECT array_agg(x::text ORDER BY x::text)
           FROM unnest((SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1,1,NULL,2,2}',
                                              '{2025-06-01,2025-06-05}', '{7}',
                                              (SELECT pace_credit_rows(c.s, c.m, c.p) FROM (VALUES (11, 7, 40.00), (11, 5, 60.00)) c(s, m, p)))
                        FROM lines)) x),
          ARRAY['(5,1,f,,1.50)', '(5,1,t,,10.00)', '(7,1,f,2025-06-02,1.00)', '(7,2,t,2025-06-04,1.00)'],
          'pace_line_scan: the credited sums per rep, point and to date (the day of a moved rep), the split line split');
SELECT is((SELECT array_agg(x::text ORDER BY x::text)
           FROM unnest((SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1,1,NULL,2,2}',
                                              '{2025-06-01,2025-06-05}', '{7}',
                                              (SELECT pace_credit_rows(c.s, c.m, c.p)
                                               FROM (VALUES (11, 7, 40.00), (9000000000, 5, 100), (11, 5, 60.00)) c(s, m, p)))
                        FROM lines)) x),
          ARRAY['(5,1,f,,1.50)', '(5,1,t,,10.00)', '(7,1,f,2025-06-02,1.00)', '(7,2,t,2025-06-04,1.00)'],
          'pace_line_scan: split ids spanning more than 2^27 (a hash set instead of the bitmap) give the same');
-- sums as sum(): 1.005 + 2.00 = 3.005 (numeric arithmetic from the amount
-- with three decimals on), 99999999999999999.99 + 0.01 (beyond the
-- hundredths' range) = 100000000000000000.00
SELECT is((SELECT array_agg(x.amount::text ORDER BY x.member_id)
           FROM unnest((SELECT pace_line_scan(NULL, m, '2025-06-01', a, '2025-06-01', '{1}', '{2025-06-01}', '{}', '\x')
                        FROM (VALUES (1, 1.005), (1, 2.00), (2, 99999999999999999.99), (2, 0.01)) v(m, a))) x),
          ARRAY['3.005', '100000000000000000.00'], 'pace_line_scan sums: hundredths, numeric arithmetic beyond');
SELECT ok((SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1}', '{2025-06-01}', '{}', '\x')
           FROM lines WHERE sold_on > '2025-06-01') IS NULL, 'pace_line_scan: no line read gives NULL');

-- The cents of a split line, by hand (every line on 06-01, point 1, to
-- date; booked to rep 5, or 9; the booked rep keeps a sum of 0.00):
--   sale 21   0.02, rep 6 25 %, rep 7 75 %: 0.005 / 0.015 -> floors 0, 1;
--             the cent left: equal remainders, the larger share: 0.00, 0.02
--   sale 22   0.03, reps 6, 7, 8 at 50, 25, 25 %: floors 1, 0, 0; two cents
--             left to the two larger remainders (0.0075): 0.01 each
--   sale 23  -0.05 (a refund), reps 6, 7, 8 at 40, 30, 30 %: floors 2, 1,
--             1; the cent left: equal remainders and shares, the lower
--             rep: -0.02, -0.02, -0.01
--   sale 24   0.10, reps 8, 6, 7 at 33.33, 33.34, 33.33 % (given out of
--             order): floors 3, 3, 3; the cent left to rep 6 (0.3334):
--             0.04, 0.03, 0.03
--   sale 25  12.34, reps 6, 7 at 12.50, 87.50 %: 1.5425 / 10.7975 ->
--             1.54 and 10.79, the cent left to rep 7 (0.75 > 0.25): 1.54, 10.80
CREATE TEMP TABLE split_lines (sale_id bigint, member_id integer, amount numeric(14,2));
INSERT INTO split_lines VALUES (21, 5, 0.02), (22, 5, 0.03), (23, 5, -0.05), (24, 9, 0.10), (25, 9, 12.34);
CREATE TEMP TABLE split_credit (sale_id bigint, member_id integer, share_pct numeric(5,2));
INSERT INTO split_credit VALUES (21, 6, 25), (21, 7, 75), (22, 6, 50), (22, 7, 25), (22, 8, 25),
  (23, 6, 40), (23, 7, 30), (23, 8, 30), (24, 8, 33.33), (24, 6, 33.34), (24, 7, 33.33), (25, 6, 12.50), (25, 7, 87.50);
CREATE FUNCTION pg_temp.split_by_sale() RETURNS TABLE (sale_id bigint, credits text) LANGUAGE plpgsql AS $$
DECLARE
  v_credits bytea := (SELECT pace_credit_rows(c.sale_id, c.member_id, c.share_pct) FROM split_credit c);
BEGIN
  RETURN QUERY
  SELECT g.sale_id, string_agg(x.member_id || ':' || x.amount, ' ' ORDER BY x.member_id)
  FROM (SELECT l.sale_id, pace_line_scan(l.sale_id, l.member_id, '2025-06-01', l.amount, '2025-06-01', '{1}', '{2025-06-01}',
                                         '{}', v_credits) AS r
        FROM split_lines l GROUP BY 1) g, unnest(g.r) x
  GROUP BY 1;
END $$;
SELECT is((SELECT array_agg(s.sale_id || ' ' || s.credits ORDER BY s.sale_id) FROM pg_temp.split_by_sale() s),
          ARRAY['21 5:0.00 6:0.00 7:0.02', '22 5:0.00 6:0.01 7:0.01 8:0.01', '23 5:0.00 6:-0.02 7:-0.02 8:-0.01',
                '24 6:0.04 7:0.03 8:0.03 9:0.00', '25 6:1.54 7:10.80 9:0.00'],
          'pace_line_scan splits in exact cents: odd cents, a refund, a 3-way split, ties to the larger share, then the lower rep');
SELECT is((SELECT array_agg(s.sale_id || ' ' || s.credits ORDER BY s.sale_id) FROM pg_temp.split_by_sale() s),
          (SELECT array_agg(a.sale_id || ' ' || a.credits ORDER BY a.sale_id)
           FROM (SELECT y.sale_id, string_agg(y.member_id || ':' || y.amount, ' ' ORDER BY y.member_id) AS credits
                 FROM (SELECT l.sale_id, l.member_id, 0.00 AS amount FROM split_lines l
                       UNION ALL
                       SELECT l.sale_id, c.member_id,
                              sign(l.amount) * allocate_quota(abs(l.amount), c.share_pct, 0.01::numeric)
                                OVER (PARTITION BY l.sale_id ORDER BY c.member_id)
                       FROM split_lines l JOIN split_credit c ON c.sale_id = l.sale_id) y
                 GROUP BY 1) a),
          'pace_line_scan splits as sign(amount) x allocate_quota(|amount|, share, 0.01) by rep does');

-- ---------------------------------------------------------------- input checks
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, NULL, '{1}', '{2025-06-01}', '{}', '\x') FROM lines$$,
                 '22004', 'pace_line_scan lo must not be null', 'a NULL lo: 22004');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1}', '{2025-06-01}', '{}', NULL) FROM lines$$,
                 '22004', 'pace_line_scan credits must not be null', 'NULL credits: 22004');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1}', '{2025-06-01}', '{}', '\x0102') FROM lines$$,
                 '22023', 'pace_line_scan credits must be pace_credit_rows() of the credit rows, got 2 bytes',
                 'credits not a whole number of rows: 22023');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1}', '{2025-06-01}', '{}',
                                         (SELECT pace_credit_rows(12, 5, 100)) || (SELECT pace_credit_rows(11, 5, 100))) FROM lines$$,
                 '22023', 'pace_line_scan credits must be pace_credit_rows() of the credit rows, row 2 is not',
                 'credits out of order: 22023');
-- pace_credit_rows: in any order the same bytes (16 a row), none without a row
SELECT ok((SELECT pace_credit_rows(c.s, c.m, c.p) FROM (VALUES (11, 7, 40.00), (9000000000, 5, 100), (11, 5, 60.00)) c(s, m, p))
          = (SELECT pace_credit_rows(c.s, c.m, c.p) FROM (VALUES (11, 5, 60.00), (11, 7, 40.00), (9000000000, 5, 100)) c(s, m, p))
          AND length((SELECT pace_credit_rows(c.s, c.m, c.p) FROM (VALUES (11, 7, 40.00), (11, 5, 60.00)) c(s, m, p))) = 32
          AND (SELECT pace_credit_rows(1, 1, 1) WHERE false) = '\x'::bytea,
          'pace_credit_rows: 16 bytes a row, sorted (the same bytes in any order), empty without a row');
SELECT throws_ok($$SELECT pace_credit_rows(c.s, c.m, c.p) FROM (VALUES (11, 5, 50), (11, NULL, 50)) c(s, m, p)$$,
                 '22004', 'pace_credit_rows sale_id, member_id and share must not be null', 'a NULL credit: 22004');
SELECT throws_ok($$SELECT pace_credit_rows(c.s, c.m, c.p) FROM (VALUES (11, 5, 99.995), (11, 6, 0.005)) c(s, m, p)$$,
                 '22023', 'pace_credit_rows share must be above 0 and at most 100 with at most two decimals, got 99.995',
                 'a share with three decimals: 22023');
SELECT throws_ok($$SELECT pace_credit_rows(c.s, c.m, c.p) FROM (VALUES (11, 5, 100), (11, 6, 0)) c(s, m, p)$$,
                 '22023', 'pace_credit_rows share must be above 0 and at most 100 with at most two decimals, got 0',
                 'a share of 0: 22023');
SELECT throws_ok($$SELECT pace_credit_rows(c.s, c.m, c.p) FROM (VALUES (11, 6, 50), (12, 5, 100), (11, 6, 50)) c(s, m, p)$$,
                 '22023', 'pace_credit_rows credits rep 6 twice on sale 11', 'a rep twice on one sale: 22023');
SELECT throws_ok($$SELECT pace_line_scan(11, 5, '2025-06-01', 1.005, '2025-06-01', '{1}', '{2025-06-01}', '{}', (SELECT pace_credit_rows(11, 6, 100)))$$,
                 '22023', 'pace_line_scan split line amount 1.005 is not whole cents', 'a split amount beyond the cents: 22023');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1,3}', '{2025-06-01,2025-06-02}', '{}', '\x') FROM lines$$,
                 '22023', 'pace_line_scan point_of_day names point 3, but as_of has 2', 'a point beyond as_of: 22023');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{{1},{1}}', '{2025-06-01}', '{}', '\x') FROM lines$$,
                 '22023', 'pace_line_scan point_of_day must be a one-dimensional array', 'a two-dimensional array: 22023');
SELECT throws_ok($$SELECT pace_line_scan(sale_id, member_id, sold_on, amount, '2025-06-01', '{1,1}', ARRAY[sold_on],
                                         '{}', '\x') FROM lines WHERE sale_id IN (10, 11)$$,
                 '22023', 'pace_line_scan lo, point_of_day, as_of, moved and credits must be the same on every line',
                 'arguments changing between lines: 22023');
SELECT throws_ok($$SELECT pace_line_scan(1, 5, d, 1.00, '2025-06-01', '{1}', '{2025-06-01}', '{}', '\x')
                   FROM unnest(ARRAY[date '2025-06-01', 'infinity']) d$$,
                 '22023', 'pace_line_scan sale day must be a finite date', 'an infinite day: 22023');
SELECT is((SELECT array_agg(DISTINCT p.proparallel) FROM pg_proc p
           WHERE p.proname IN ('pace_line_scan', 'pace_line_trans', 'pace_line_final', 'pace_credit_rows', 'pace_credit_trans',
                               'pace_credit_final')
             AND p.pronamespace = 'sales_supervisor'::regnamespace), ARRAY['s']::"char"[],
          'pace_line_scan, pace_credit_rows and their support functions are labelled parallel safe');

-- ---------------------------------------------------------------- the property
-- a generated org with a year's changes (reps moving teams), 3 % of the lines
-- split with a teammate, 1 % refunded
SELECT count(*) FROM generate_demo_org(seed => 11, teams => 6, depth => 2, reps => 24, customers => 400,
                                       sales_lines => 30000, surveys => 50, reviews_per_member => 0,
                                       replace => true, changes => true);
SELECT ok((SELECT count(*) FROM sale_credit) > 0 AND (SELECT count(*) FROM sale WHERE refund_of IS NOT NULL) > 0
          AND (SELECT count(*) FROM (SELECT member_id FROM member_assignment GROUP BY 1 HAVING count(*) > 1) m) > 0,
          '(the generated org has split lines, refunds and reps who changed teams: the property is not trivial)');
-- 3-way splits with odd shares: 100 split sales and 20 split refunds of
-- 2025-01-01 .. 06-15 (2-way) become 33.34 / 33.33 / 33.33 % or 12.50 /
-- 37.50 / 50.00 % among three reps
CREATE TEMP TABLE three_way AS
SELECT x.sale_id, row_number() OVER (ORDER BY x.sale_id) AS n
FROM ((SELECT sc.sale_id FROM sale_credit sc JOIN sale s USING (sale_id)
       WHERE s.refund_of IS NULL AND s.sold_on BETWEEN '2025-01-01' AND '2025-06-15' GROUP BY 1 HAVING count(*) = 2
       ORDER BY 1 LIMIT 100)
      UNION ALL
      (SELECT sc.sale_id FROM sale_credit sc JOIN sale s USING (sale_id)
       WHERE s.refund_of IS NOT NULL AND s.sold_on BETWEEN '2025-01-01' AND '2025-06-15' GROUP BY 1 HAVING count(*) = 2
       ORDER BY 1 LIMIT 20)) x;
DELETE FROM sale_credit sc USING three_way t WHERE sc.sale_id = t.sale_id;
INSERT INTO sale_credit (sale_id, member_id, share_pct)
SELECT t.sale_id, r.member_id, CASE WHEN t.n % 2 = 0 THEN (ARRAY[33.34, 33.33, 33.33])[r.i] ELSE (ARRAY[12.50, 37.50, 50.00])[r.i] END
FROM three_way t
CROSS JOIN LATERAL (SELECT m.member_id, row_number() OVER (ORDER BY m.member_id) AS i
                    FROM (SELECT m.member_id FROM member m ORDER BY m.member_id OFFSET t.n % 15 LIMIT 3) m) r;
SELECT ok((SELECT count(*) FROM (SELECT sc.sale_id FROM sale_credit sc JOIN sale s USING (sale_id)
                                 WHERE s.sold_on BETWEEN '2025-01-01' AND '2025-06-15'
                                 GROUP BY 1 HAVING count(*) = 3 AND bool_or(s.refund_of IS NOT NULL)) x) > 0
          AND (SELECT count(*) FROM sale_credit sc JOIN sale s USING (sale_id) WHERE sc.sale_id IN (SELECT sale_id FROM three_way)
                 AND s.sold_on BETWEEN '2025-01-01' AND '2025-06-15') > 30,
          '(3-way splits, refunds among them, in the points compared)');

-- pace_points_sales as it was before the pass over the lines was C (a
-- GROUP BY of the computed keys, the split lines found by a hash join of
-- the window's lines with sale_credit, split by the allocate_quota window)
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
