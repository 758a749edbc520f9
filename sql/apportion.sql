-- allocate_quota (array and window forms) and grade_by_distribution:
-- every example of PRODUCT.md section 1.4, worked by hand in the comments,
-- and every error.
SET search_path = sales_supervisor, public;

-- ===== array form =========================================================

-- Credit split 75/25 of 99.99 at 0.01: 9999 units; 9999*0.75 = 7499.25 and
-- 9999*0.25 = 2499.75; floors 7499 + 2499 = 9998, one unit left, to the
-- larger remainder (.75): 74.99 and 25.00, summing to 99.99.
SELECT allocate_quota(99.99, ARRAY[75, 25], 0.01);

-- Equal split of 100 in three: 33.33.. each, one unit left; remainders and
-- weights tie, so the earliest element gets it.
SELECT allocate_quota(100, ARRAY[1, 1, 1]);
-- 1 in three: floors 0, one unit to the first.
SELECT allocate_quota(1, ARRAY[1, 1, 1]);

-- Remainders tie (2.5 and 7.5): the larger weight gets the unit.
SELECT allocate_quota(10, ARRAY[1, 3]), allocate_quota(10, ARRAY[3, 1]);

-- Decimal weights: 100 by .333/.667 -> 33.3 and 66.7 -> 33 + 66 + 1 to .7.
SELECT allocate_quota(100, ARRAY[0.333, 0.667]);

-- Unit 1000: 10000 is 10 units; 3.33 each -> 4, 3, 3 units.
SELECT allocate_quota(10000, ARRAY[1, 1, 1], 1000);

-- Unit 0.5: 10 is 20 units; 6.67 and 13.33 -> 6 + 13, one unit to .67.
SELECT allocate_quota(10, ARRAY[1, 2], 0.5);

-- Team -> reps by last year's sales (1,000,000 in thousands):
-- weights 420000, 310000, 270000.5 -> x10: 4200000, 3100000, 2700005
-- (sum 10000005); 1000 units: 419.99979.., 309.99984.., 270.000365..
-- floors 419 + 309 + 270 = 998; two units left, to the remainders
-- .99984 (rep 2) and .99979 (rep 1): 420, 310, 270 thousand.
SELECT allocate_quota(1000000, ARRAY[420000, 310000, 270000.5], 1000);

-- Year -> months by a seasonal distribution summing to 100: 1200 units of
-- 1000, each month 12 * its percentage, exactly.
SELECT allocate_quota(1200000, ARRAY[6, 6, 7, 8, 9, 9, 8, 8, 9, 10, 10, 10], 1000);

-- Over-assignment: allocate 110 % of the manager's 1,000,000 by 5:3:2.
SELECT allocate_quota(1000000 * 1.10, ARRAY[5, 3, 2], 1000);

-- New-hire ramp via an upper bound: 301 by 1:1:1, the new hire (3rd) at
-- most 50: the others share 251 -> 125.5 each -> 125 + 125, one unit to the
-- earlier: 126, 125, 50.
SELECT allocate_quota(301, ARRAY[1, 1, 1], 1, NULL, ARRAY[NULL, NULL, 50]);

-- Protected floor: 100 by 1:1:8, row 1 at least 20.  Unbounded it would get
-- 10, so it is held at 20; 80 over 1:8 -> 8.89 and 71.11 -> 8 + 71, the
-- unit to .89: 20, 9, 71.
SELECT allocate_quota(100, ARRAY[1, 1, 8], 1, ARRAY[20, NULL, NULL]);

-- Both bounds binding: 100 by 1:1:1:1 with bounds [30,40], [0,10], -, -:
-- lambda 25 holds row 2 at 10; 90 over three -> 30 each; row 1's [30,40]
-- holds: 30, 10, 30, 30.
SELECT allocate_quota(100, ARRAY[1, 1, 1, 1], 1, ARRAY[30, NULL, NULL, NULL],
                      ARRAY[40, 10, NULL, NULL]);

-- Every row at its upper bound: the total equals what the rows can reach.
SELECT allocate_quota(100, ARRAY[1, 3], 1, NULL, ARRAY[50, 50]);

-- Weight 0 gets its lower bound (10) and no more; the rest share 90.
SELECT allocate_quota(100, ARRAY[0, 1, 1], 1, ARRAY[10, NULL, NULL]);

-- A NULL weight gets NULL and takes no share.
SELECT allocate_quota(100, ARRAY[1, NULL, 1]);

-- Total 0; a NULL total, weights or unit give NULL.
SELECT allocate_quota(0, ARRAY[1, 2], 0.01);
SELECT allocate_quota(NULL, ARRAY[1, 2]) IS NULL AS null_total,
       allocate_quota(1, NULL::numeric[]) IS NULL AS null_weights,
       allocate_quota(1, ARRAY[1], NULL) IS NULL AS null_unit;

-- The result keeps the weights' subscripts.
SELECT allocate_quota(10, '[0:1]={1,1}'::numeric[]);

-- Exactness at 10^15 with weights of 10^6, unit 0.01: 10^17 units;
-- 10^17 * 10^6 / 3000001 = 33333322222225925.9247.. and
-- 66666677777774074.0753..; one unit left, to .9247:
-- 333333222222259.26 and 666666777777740.74.
SELECT allocate_quota(1000000000000000.00, ARRAY[1000000, 2000001], 0.01);
SELECT (SELECT sum(x) FROM unnest(allocate_quota(1000000000000000.00, ARRAY[1000000, 2000001], 0.01)) x)
       = 1000000000000000.00 AS sums_exactly;

-- ===== window form ========================================================

CREATE TEMP TABLE credit(sale int, rep text, pct numeric, amount numeric);
INSERT INTO credit VALUES
  (1, 'ana', 75, 99.99), (1, 'bo', 25, 99.99),
  (2, 'ana', 1, 100.00), (2, 'bo', 1, 100.00), (2, 'cy', 1, 100.00),
  (3, 'ana', 50, 0.01), (3, 'bo', 50, 0.01);
-- sale 1 as the array form; sale 2: 33.34/33.33/33.33 (the tie goes to the
-- earlier row in window order: ana); sale 3: one cent, tie -> ana.
SELECT sale, rep, allocate_quota(amount, pct, 0.01) OVER (PARTITION BY sale ORDER BY rep)
FROM credit ORDER BY sale, rep;
-- With ORDER BY rep DESC the tie goes to the other end.
SELECT sale, rep, allocate_quota(amount, pct, 0.01) OVER (PARTITION BY sale ORDER BY rep DESC)
FROM credit ORDER BY sale, rep;

-- Two-argument form (unit 1) and bounds per row: team target 301, the new
-- hire capped at 50 -> 126, 125, 50 as in the array form.
SELECT rep, allocate_quota(301, w) OVER (ORDER BY rep) AS unbounded,
       allocate_quota(301, w, 1, NULL, cap) OVER (ORDER BY rep) AS ramped
FROM (VALUES ('a', 1, NULL), ('b', 1, NULL), ('c', 1, 50)) v(rep, w, cap)
ORDER BY rep;

-- NULL weight rows get NULL; the others share the whole total.
SELECT rep, allocate_quota(10, w) OVER (ORDER BY rep)
FROM (VALUES ('a', 1), ('b', NULL), ('c', 1)) v(rep, w) ORDER BY rep;

-- A NULL total (on every row) gives NULL on every row.
SELECT rep, allocate_quota(NULL::numeric, 1) OVER (ORDER BY rep)
FROM (VALUES ('a'), ('b')) v(rep) ORDER BY rep;

-- 100 and 100.00 are the same total.
SELECT rep, allocate_quota(t, 1) OVER (ORDER BY rep)
FROM (VALUES ('a', 100), ('b', 100.00)) v(rep, t) ORDER BY rep;

-- ===== grade_by_distribution ==============================================

-- 10 rows by 20/70/10: 2 A, 7 B, 1 C in score order.
SELECT s, grade_by_distribution('{A,B,C}', '{20,70,10}') OVER (ORDER BY s DESC)
FROM generate_series(1, 10) s ORDER BY s DESC;

-- Peers share their group's first grade: scores 3,3,2,2,2,1,1,1,0,0 ->
-- positions 1-2 A; 3-9 B; position 10 is a peer of position 9 -> B.
SELECT s, s / 3 AS score, grade_by_distribution('{A,B,C}', '{20,70,10}') OVER (ORDER BY s / 3 DESC)
FROM generate_series(1, 10) s ORDER BY s DESC;

-- Counts with ties: 4 rows by 1:1:1 -> 1.33 each, the spare row to the
-- earlier grade: A A B C.  5 rows by 10:20:70 -> 0.5, 1, 3.5; the tie in
-- remainders goes to the larger share: 0 A, 1 B, 4 C.
SELECT s, grade_by_distribution('{A,B,C}', '{1,1,1}') OVER (ORDER BY s) FROM generate_series(1, 4) s ORDER BY s;
SELECT s, grade_by_distribution('{A,B,C}', '{10,20,70}') OVER (ORDER BY s) FROM generate_series(1, 5) s ORDER BY s;

-- Per team; a zero share gives no row that grade.
SELECT team, score, grade_by_distribution('{A,B,C}', '{1,0,1}') OVER (PARTITION BY team ORDER BY score DESC)
FROM (VALUES (1, 90), (1, 80), (2, 70), (2, 60), (2, 50)) v(team, score)
ORDER BY team, score DESC;

-- Without ORDER BY every row is a peer: all take the first grade.
SELECT count(*), min(g), max(g)
FROM (SELECT grade_by_distribution('{A,B,C}', '{20,70,10}') OVER () AS g
      FROM generate_series(1, 10)) s;

-- NULL arrays give NULL.
SELECT grade_by_distribution(NULL, '{1}') OVER (ORDER BY 1) FROM generate_series(1, 2);

-- ===== errors =============================================================
SELECT allocate_quota(10, ARRAY[1, 1], 0);
SELECT allocate_quota(10, ARRAY[1, 1], -0.01);
SELECT allocate_quota(-10, ARRAY[1, 1]);
SELECT allocate_quota(10.005, ARRAY[1, 1], 0.01);
SELECT allocate_quota('NaN', ARRAY[1, 1]);
SELECT allocate_quota(10, ARRAY[1, 1], 'NaN');
SELECT allocate_quota(10, ARRAY[1, 1], 1, ARRAY[0.5, 0]);
SELECT allocate_quota(10, ARRAY[1, 1], 1, NULL, ARRAY[5, 5.5]);
SELECT allocate_quota(10, ARRAY[1, -2]);
SELECT allocate_quota(10, ARRAY[1, 'NaN'::numeric]);
SELECT allocate_quota(10, ARRAY[1, 'Infinity'::numeric]);
SELECT allocate_quota('Infinity', ARRAY[1, 1]);
SELECT allocate_quota(10, ARRAY[0, 0.00]);
SELECT allocate_quota(10, ARRAY[NULL, NULL]::numeric[]);
SELECT allocate_quota(10, ARRAY[1, 1], 1, ARRAY[6, 6]);
SELECT allocate_quota(10, ARRAY[1, 1], 1, NULL, ARRAY[4, 5]);
SELECT allocate_quota(10, ARRAY[1, 0], 1, ARRAY[0, 3], ARRAY[4, NULL]);
SELECT allocate_quota(10, ARRAY[1, 1], 1, ARRAY[5, 0], ARRAY[4, 10]);
SELECT allocate_quota(10, ARRAY[1, 1], 1, ARRAY[-1, 0]);
SELECT allocate_quota(10, ARRAY[1, 1], 1, ARRAY[1, 2, 3]);
SELECT allocate_quota(10, ARRAY[1, 1], 1, NULL, ARRAY[1]);
SELECT allocate_quota(10, '{}'::numeric[]);
SELECT allocate_quota(10, '{{1,2},{3,4}}'::numeric[]);
SELECT allocate_quota(10, ARRAY[1000000000000000000, 0.000000000000000001]);
SELECT allocate_quota(100000000000000000, ARRAY[1, 1], 0.01);
SELECT allocate_quota(10, ARRAY[1234567890123456789, 1]);
SELECT allocate_quota(t, 1) OVER () FROM (VALUES (100), (200)) v(t);
SELECT allocate_quota(100, 1, u) OVER () FROM (VALUES (1), (0.01)) v(u);
SELECT allocate_quota(t, 1) OVER () FROM (VALUES (100), (NULL)) v(t);
SELECT allocate_quota(100, w) OVER () FROM (VALUES (0), (0)) v(w);
SELECT allocate_quota(100, 1, 1, 60, NULL) OVER () FROM generate_series(1, 2);
SELECT grade_by_distribution('{}', '{}') OVER (ORDER BY 1) FROM generate_series(1, 2);
SELECT grade_by_distribution('{A,B}', '{1}') OVER (ORDER BY 1) FROM generate_series(1, 2);
SELECT grade_by_distribution('{A,B}', '{1,-1}') OVER (ORDER BY 1) FROM generate_series(1, 2);
SELECT grade_by_distribution('{A,B}', '{0,0}') OVER (ORDER BY 1) FROM generate_series(1, 2);
SELECT grade_by_distribution('{A,NULL}', '{1,1}') OVER (ORDER BY 1) FROM generate_series(1, 2);
SELECT grade_by_distribution('{A,B}', '{1,NULL}') OVER (ORDER BY 1) FROM generate_series(1, 2);
SELECT grade_by_distribution('{A,B}', ARRAY[1, s]) OVER (ORDER BY s) FROM generate_series(1, 2) s;
SELECT allocate_quota(10, 1);

-- The SQLSTATE of each error above.
CREATE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
SELECT q, pg_temp.sqlstate_of(q) FROM (VALUES
  ('SELECT allocate_quota(10, ARRAY[1, 1], 0)'),
  ('SELECT allocate_quota(-10, ARRAY[1, 1])'),
  ('SELECT allocate_quota(10.005, ARRAY[1, 1], 0.01)'),
  ('SELECT allocate_quota(10, ARRAY[1, 1], 1, ARRAY[0.5, 0])'),
  ('SELECT allocate_quota(10, ARRAY[1, -2])'),
  ('SELECT allocate_quota(10, ARRAY[1, ''NaN''::numeric])'),
  ('SELECT allocate_quota(10, ARRAY[0, 0])'),
  ('SELECT allocate_quota(10, ARRAY[1, 1], 1, ARRAY[6, 6])'),
  ('SELECT allocate_quota(10, ARRAY[1, 1], 1, NULL, ARRAY[4, 5])'),
  ('SELECT allocate_quota(10, ARRAY[1, 1], 1, ARRAY[1, 2, 3])'),
  ('SELECT allocate_quota(10, ''{}''::numeric[])'),
  ('SELECT allocate_quota(100000000000000000, ARRAY[1, 1], 0.01)'),
  ('SELECT allocate_quota(t, 1) OVER () FROM (VALUES (100), (200)) v(t)'),
  ('SELECT grade_by_distribution(''{A,B}'', ''{1}'') OVER (ORDER BY 1) FROM generate_series(1, 2)'),
  ('SELECT grade_by_distribution(''{A,B}'', ''{0,0}'') OVER (ORDER BY 1) FROM generate_series(1, 2)')
) v(q);
