-- The sales phase of customer risk in one pass (issue 19, part 1,
-- performance): the aggregate customer_sales_scan (C) that customer_sales_as_of
-- reads the lines with, hand-computed, against the GROUP BY with four
-- aggregates it replaced (the property), inside a parallel worker, and its
-- input checks.
--
-- As of 2025-12-31 with a 90-day window: recent_from = 2025-10-02 (lines of
-- 10-03 .. 12-31 count), year_ago = 2024-12-31, year_ago_from = 2024-10-02
-- (lines of 2024-10-03 .. 2024-12-31 count).
--
--   c1  2024-10-02 100.00  purchase; on or before a year ago; not in the
--                          year-ago window (its first day is excluded)
--       2024-10-10  40.00  year-ago window
--       2024-12-31  50.00  year-ago window (its last day included); the last
--                          purchase on or before a year ago
--       2025-10-02 999.00  not recent (recent_from excluded)
--       2025-10-03 200.00  recent
--       2025-11-01 -30.00  recent, a refund of the 10-03 line: not a purchase
--       2025-12-31  10.00 and 20.00: recent, one purchase day
--     purchase days 2024-10-02, 10-10, 12-31, 2025-10-02, 10-03, 12-31: 6 days,
--     gaps 8, 82 (21 + 30 + 31), 275 (273 to 09-30 + 2), 1, 89 (28 + 30 + 31)
--     -> sorted 1 8 82 89 275, lower median (3rd of 5) 82;
--     recent 200 - 30 + 10 + 20 = 200.00; year ago 40 + 50 = 90.00.
--   c2  2025-06-01 500.00 and its refund on 06-05: one purchase day, no gap
--     (median NULL), nothing a year ago, no line in either window: 0 and 0
--     (as coalesce(sum(), 0): the integer 0, no decimals).
--   c3  2025-12-01 0.01 and its refund 12-02: recent 0.00 -- a sum of lines
--     keeps their two decimals, unlike the 0 of no line.
--   c4  only a line of 2026-01-05: after the day, not read (no row).
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO';
SELECT plan(16);

INSERT INTO team (team_id, name, parent_id) VALUES (1, 'North', NULL);
INSERT INTO member (member_id, full_name, level, team_id, manager_id, hire_date) VALUES
  (3, 'Ann', 'sales_rep', 1, NULL, '2020-01-01');
INSERT INTO visit_cadence (tier, every_days) VALUES ('Y', 3660);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since) VALUES
  (1, 'One', 'Y', 1, 3, '2020-01-01'), (2, 'Two', 'Y', 1, 3, '2020-01-01'),
  (3, 'Three', 'Y', 1, 3, '2020-01-01'), (4, 'Four', 'Y', 1, 3, '2020-01-01');
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES
  (101, '2024-10-02', 3, 1, 1, 100.00), (102, '2024-10-10', 3, 1, 1, 40.00), (103, '2024-12-31', 3, 1, 1, 50.00),
  (104, '2025-10-02', 3, 1, 1, 999.00), (105, '2025-10-03', 3, 1, 1, 200.00),
  (107, '2025-12-31', 3, 1, 1, 10.00), (108, '2025-12-31', 3, 1, 1, 20.00),
  (201, '2025-06-01', 3, 2, 1, 500.00), (301, '2025-12-01', 3, 3, 1, 0.01), (401, '2026-01-05', 3, 4, 1, 70.00);
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of) VALUES
  (106, '2025-11-01', 3, 1, 1, -30.00, 105), (202, '2025-06-05', 3, 2, 1, -500.00, 201),
  (302, '2025-12-02', 3, 3, 1, -0.01, 301);

-- ---------------------------------------------------------------- hand-computed
SELECT is((SELECT array_agg(x::text ORDER BY x.customer_id) FROM customer_sales_as_of('2025-12-31', 90) x),
          ARRAY['(1,"(6,2024-10-02,2025-12-31,5,82)",2024-12-31,200.00,90.00)',
                '(2,"(1,2025-06-01,2025-06-01,0,)",,0,0)',
                '(3,"(1,2025-12-01,2025-12-01,0,)",,0.00,0)'],
          'customer_sales_as_of: the rhythm, the year-ago purchase and both windows of each customer, by hand');
SELECT is((SELECT array_agg(x::text ORDER BY x.customer_id)
           FROM unnest((SELECT customer_sales_scan(customer_id, sold_on, amount > 0, amount,
                                                    '2025-10-02', '2024-10-02', '2024-12-31') FROM sale)) x),
          ARRAY['(1,6,2024-10-02,2025-12-31,5,82,2024-12-31,200.00,90.00)',
                '(2,1,2025-06-01,2025-06-01,0,,,0,0)',
                '(3,1,2025-12-01,2025-12-01,0,,,0.00,0)',
                '(4,1,2026-01-05,2026-01-05,0,,,70.00,0)'],
          'customer_sales_scan reads every line it is given (the day''s filter is the caller''s WHERE)');
SELECT ok((SELECT customer_sales_scan(customer_id, sold_on, amount > 0, amount, '2025-10-02', '2024-10-02', '2024-12-31')
           FROM sale WHERE false) IS NULL, 'customer_sales_scan: no line gives NULL');
SELECT is((SELECT array_agg(x::text)
           FROM unnest((SELECT customer_sales_scan(c, d, p, a, '2025-10-02', '2024-10-02', '2024-12-31')
                        FROM (VALUES (NULL::integer, date '2025-11-01', true, 5.00), (7, NULL, true, 5.00),
                                     (7, '2025-11-01', true, NULL::numeric), (7, '2025-11-02', NULL, 1.50)) v(c, d, p, a))) x),
          ARRAY['(7,,,,,,,1.50,0)'],
          'customer_sales_scan: a line with a NULL customer, day or amount skipped; a NULL purchase flag is no purchase');

-- the sums to the hundredth while every amount has at most two decimals,
-- numeric arithmetic from the first one that has not (or that is too large),
-- scale as sum()'s: c1 1.10 + 2.005 = 3.105 (three decimals); c2 NaN + 1.00
-- = NaN; c3 99999999999999999.99 (beyond the hundredths' 2^62) + 0.01 =
-- 100000000000000000.00; c4 -0.5 + 0.25 = -0.25 (two decimals, the larger);
-- c5 10 + 2.5 = 12.5 (one decimal); all in the recent window of 2025-11-01
SELECT is((SELECT array_agg(x.recent_sales::text ORDER BY x.customer_id)
           FROM unnest((SELECT customer_sales_scan(c, '2025-11-01', false, a, '2025-10-02', '2024-10-02', '2024-12-31')
                        FROM (VALUES (1, 1.10), (1, 2.005), (2, 'NaN'), (2, 1.00), (3, 99999999999999999.99), (3, 0.01),
                                     (4, -0.5), (4, 0.25), (5, 10), (5, 2.5)) v(c, a))) x),
          ARRAY['3.105', 'NaN', '100000000000000000.00', '-0.25', '12.5'],
          'customer_sales_scan sums: hundredths, then numeric arithmetic beyond them; the scale is sum()''s');

-- customers beyond the slots found by their id (0 .. 2^20 - 1): negative,
-- 2^20 and larger, mixed with small ids, each against the GROUP BY
CREATE TEMP TABLE odd_ids AS
SELECT c, d, a FROM (VALUES (-5, date '2025-10-01', 10.00), (-5, '2025-11-01', 5.00), (-5, '2025-11-20', -5.00),
                            (3, '2025-10-05', 1.00), (3, '2025-12-05', 2.00), (1048575, '2025-12-01', 7.00),
                            (1048576, '2025-09-01', 8.00), (1048576, '2025-09-15', 8.00), (2000000, '2024-11-01', 3.00),
                            (2000000, '2025-12-30', 4.00), (3, '2025-10-05', 1.50)) v(c, d, a);
SELECT set_eq($$SELECT x::text FROM unnest((SELECT customer_sales_scan(c, d, a > 0, a, '2025-10-02', '2024-10-02', '2024-12-31')
                                           FROM odd_ids)) x$$,
              $$SELECT (c, (r).purchase_days, (r).first_on, (r).last_on, (r).gaps, (r).median_gap, y, rs, ys)::customer_sales_row::text
                FROM (SELECT c, purchase_rhythm(d) FILTER (WHERE a > 0) AS r, max(d) FILTER (WHERE a > 0 AND d <= '2024-12-31') AS y,
                             coalesce(sum(a) FILTER (WHERE d > '2025-10-02'), 0) AS rs,
                             coalesce(sum(a) FILTER (WHERE d > '2024-10-02' AND d <= '2024-12-31'), 0) AS ys
                      FROM odd_ids GROUP BY c) g$$,
              'customer_sales_scan: customer ids negative, 2^20 - 1, 2^20 and 2 000 000 = the GROUP BY');
-- the slots and their sums (kept apart) growing: 3 000 direct ids (past the
-- first 1 024 slots) and 40 ids beyond 2^20 (past the first 16), each with
-- lines in both windows and out of them, against the GROUP BY
CREATE TEMP TABLE many_ids AS
SELECT c, d, round((c % 7 + 1)::numeric / 4, 2) - CASE WHEN i = 3 THEN 3 ELSE 0 END AS a
FROM (SELECT g AS c FROM generate_series(1, 3000) g UNION ALL SELECT 1048576 + 37 * g FROM generate_series(1, 40) g) ids
CROSS JOIN LATERAL (VALUES (1, date '2024-11-01' + ids.c % 50), (2, date '2025-11-01' + ids.c % 40), (3, date '2025-03-01')) v(i, d);
SELECT set_eq($$SELECT x::text FROM unnest((SELECT customer_sales_scan(c, d, a > 0, a, '2025-10-02', '2024-10-02', '2024-12-31')
                                           FROM many_ids)) x$$,
              $$SELECT (c, (r).purchase_days, (r).first_on, (r).last_on, (r).gaps, (r).median_gap, y, rs, ys)::customer_sales_row::text
                FROM (SELECT c, purchase_rhythm(d) FILTER (WHERE a > 0) AS r, max(d) FILTER (WHERE a > 0 AND d <= '2024-12-31') AS y,
                             coalesce(sum(a) FILTER (WHERE d > '2025-10-02'), 0) AS rs,
                             coalesce(sum(a) FILTER (WHERE d > '2024-10-02' AND d <= '2024-12-31'), 0) AS ys
                      FROM many_ids GROUP BY c) g$$,
              'customer_sales_scan: 3 000 direct and 40 hashed customers (slots and sums grown) = the GROUP BY');

-- ---------------------------------------------------------------- the property
-- the GROUP BY with four aggregates that customer_sales_as_of ran before,
-- compared as text (so the scale of the sums counts), for days and windows
-- around every boundary of the lines above
CREATE TEMP TABLE cases AS
SELECT d::date AS day, w FROM unnest(ARRAY['2024-10-02', '2024-12-31', '2025-01-01', '2025-10-02', '2025-10-03',
                                           '2025-12-30', '2025-12-31', '2026-12-31', '2026-01-05']) d,
                              unnest(ARRAY[7, 30, 90, 366]) w;
SELECT set_eq($$SELECT c.day, c.w, x::text FROM cases c, customer_sales_as_of(c.day, c.w) x$$,
              $$SELECT c.day, c.w, x::text FROM cases c CROSS JOIN LATERAL (
                  SELECT s.customer_id, purchase_rhythm(s.sold_on) FILTER (WHERE s.amount > 0),
                         max(s.sold_on) FILTER (WHERE s.amount > 0 AND s.sold_on <= (c.day - interval '1 year')::date),
                         coalesce(sum(s.amount) FILTER (WHERE s.sold_on > c.day - c.w), 0),
                         coalesce(sum(s.amount) FILTER (WHERE s.sold_on > (c.day - interval '1 year')::date - c.w
                                                          AND s.sold_on <= (c.day - interval '1 year')::date), 0)
                  FROM sale s WHERE s.sold_on <= c.day GROUP BY s.customer_id) x$$,
              'customer_sales_as_of = the GROUP BY with purchase_rhythm, max and two sums, for 36 days and windows');
-- the same on a generated org's many lines
SELECT count(*) FROM generate_demo_org(seed => 7, teams => 4, depth => 2, reps => 12, customers => 300,
                                       sales_lines => 20000, surveys => 50, reviews_per_member => 0, replace => true);
SELECT set_eq($$SELECT x::text FROM customer_sales_as_of('2025-08-17', 60) x$$,
              $$SELECT x::text FROM (
                  SELECT s.customer_id, purchase_rhythm(s.sold_on) FILTER (WHERE s.amount > 0),
                         max(s.sold_on) FILTER (WHERE s.amount > 0 AND s.sold_on <= '2024-08-17'),
                         coalesce(sum(s.amount) FILTER (WHERE s.sold_on > '2025-06-18'), 0),
                         coalesce(sum(s.amount) FILTER (WHERE s.sold_on > '2024-06-18' AND s.sold_on <= '2024-08-17'), 0)
                  FROM sale s WHERE s.sold_on <= '2025-08-17' GROUP BY s.customer_id) x$$,
              'customer_sales_as_of = the GROUP BY on the generated org''s 20 000 lines');
-- parallel safe, truthfully: the whole query run by a parallel worker
SET LOCAL force_parallel_mode = on;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT set_eq($$SELECT x::text FROM unnest((SELECT customer_sales_scan(customer_id, sold_on, amount > 0, amount,
                                                                      '2025-06-18', '2024-06-18', '2024-08-17')
                                           FROM sale WHERE sold_on <= '2025-08-17')) x$$,
              $$SELECT (x.customer_id, (x.rhythm).purchase_days, (x.rhythm).first_on, (x.rhythm).last_on,
                        (x.rhythm).gaps, (x.rhythm).median_gap, x.year_ago_last_on, x.recent_sales,
                        x.year_ago_sales)::customer_sales_row::text
                FROM customer_sales_as_of('2025-08-17', 60) x$$,
              'customer_sales_scan in a parallel worker gives the same rows');
RESET force_parallel_mode;
SELECT is((SELECT array_agg(DISTINCT p.proparallel) FROM pg_proc p
           WHERE p.proname IN ('customer_sales_scan', 'customer_sales_trans', 'customer_sales_final')
             AND p.pronamespace = 'sales_supervisor'::regnamespace), ARRAY['s']::"char"[],
          'customer_sales_scan and its support functions are labelled parallel safe');

-- ---------------------------------------------------------------- input checks
SELECT throws_ok($$SELECT customer_sales_scan(1, date '2025-01-01', true, 1.00, NULL, '2024-01-01', '2024-01-01')$$,
                 '22004', 'customer_sales_scan recent_from must not be null', 'a NULL window bound: 22004');
SELECT throws_ok($$SELECT customer_sales_scan(1, date '2025-01-01', true, 1.00, '2025-01-01', '2024-01-01', 'infinity')$$,
                 '22023', 'customer_sales_scan year_ago must be a finite date', 'an infinite window bound: 22023');
SELECT throws_ok($$SELECT customer_sales_scan(1, d, true, 1.00, d, '2024-01-01', '2024-01-01')
                   FROM unnest(ARRAY[date '2025-01-01', '2025-01-02']) d$$,
                 '22023', 'customer_sales_scan window bounds must be the same on every line',
                 'bounds changing between lines: 22023');
SELECT throws_ok($$SELECT customer_sales_scan(1, d, true, 1.00, '2025-01-01', '2024-01-01', '2024-01-01')
                   FROM unnest(ARRAY[date '2025-01-01', 'infinity']) d$$,
                 '22023', 'customer_sales_scan sale day must be a finite date, got infinity', 'an infinite sale day: 22023');
SELECT throws_ok($$SELECT customer_sales_scan(1, d, true, 1.00, '2025-01-01',
                                                 CASE WHEN d > '2025-01-01' THEN NULL ELSE date '2024-01-01' END, '2024-01-01')
                   FROM unnest(ARRAY[date '2025-01-01', '2025-01-02']) d$$,
                 '22004', 'customer_sales_scan year_ago_from must not be null', 'a NULL bound on a later line: 22004');

SELECT * FROM finish();
ROLLBACK;
