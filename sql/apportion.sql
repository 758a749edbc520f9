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

-- ===== regressions ==========================================================

-- Partition constants are checked on every row when the partition is read,
-- not only on the rows whose answer is fetched: under LIMIT 2 the differing
-- total of row 3 still fails (row 1: 100, row 3: 99).
SELECT allocate_quota(CASE WHEN s = 3 THEN 99 ELSE 100 END, 1) OVER (ORDER BY s)
FROM generate_series(1, 4) s LIMIT 2;
-- The unit of row 4 differs (1 and 0.01); LIMIT 1.
SELECT allocate_quota(100, 1, CASE WHEN s = 4 THEN 0.01 ELSE 1 END) OVER (ORDER BY s)
FROM generate_series(1, 4) s LIMIT 1;
-- Row 1's total is NULL, row 2's is not: an error, not a NULL answer.
SELECT allocate_quota(CASE WHEN s = 1 THEN NULL ELSE 100 END, 1) OVER (ORDER BY s)
FROM generate_series(1, 3) s LIMIT 1;
-- A cursor that fetches only the first row fails as well.
BEGIN;
DECLARE c CURSOR FOR
  SELECT allocate_quota(CASE WHEN s = 3 THEN 99 ELSE 100 END, 1) OVER (ORDER BY s)
  FROM generate_series(1, 4) s;
FETCH 1 FROM c;
ROLLBACK;
-- grade_by_distribution: row 3's shares differ; LIMIT 1.
SELECT grade_by_distribution('{A,B}', CASE WHEN s = 3 THEN '{1,2}' ELSE '{1,1}' END::numeric[])
       OVER (ORDER BY s)
FROM generate_series(1, 4) s LIMIT 1;
-- Row 1's grades are NULL, row 2's are not; LIMIT 1.
SELECT grade_by_distribution(CASE WHEN s = 1 THEN NULL ELSE '{A,B}' END::text[], '{1,1}')
       OVER (ORDER BY s)
FROM generate_series(1, 2) s LIMIT 1;
-- Equal constants still work under LIMIT: 100 over four rows, 25 each.
SELECT allocate_quota(100, 1) OVER (ORDER BY s) FROM generate_series(1, 4) s LIMIT 2;

-- Shares beyond 38 digits or with a unit of more than 40 decimals are built
-- exactly in numeric.  4e38 at unit 1e20 is 4e18 units, all to the one
-- weight: 4 followed by 38 zeros.
SELECT allocate_quota(4e38, '{1}'::numeric[], 1e20);
-- Two of them, 2e18 units each.
SELECT allocate_quota(4e38, ARRAY[1, 1], 1e20);
-- A unit of 1e-48 (48 decimals): 1e-30 is 10^18 units, 1:1 -> 5 * 10^17
-- units each = 5e-31, printed with the unit's 48 decimals.
SELECT allocate_quota(1e-30, ARRAY[1, 1], 1e-48);
-- Window form, same values.
SELECT allocate_quota(1e-30, 1, 1e-48) OVER (ORDER BY s), allocate_quota(4e38, 1, 1e20) OVER (ORDER BY s)
FROM generate_series(1, 2) s;
-- A unit u with 48 decimals and 18 significant digits: 1000 units split
-- 1:1, 500 units each = 500 * u =
-- 0.000000000000000000000000000061728394506172839000 (48 decimals; worked
-- in Python's decimal module): beyond int64 once scaled, built in numeric.
SELECT allocate_quota(1000 * u, ARRAY[1, 1], u)
FROM (SELECT 0.000000000000000000000000000000123456789012345678 AS u) s;

-- An array literal needs ::numeric[] (or ARRAY[...]): untyped, '{1,2}'
-- resolves to the window overload (42809); the COMMENT says so.
SELECT allocate_quota(100, '{1,2}'::numeric[]);
SELECT allocate_quota(100, '{1,2}');
SELECT obj_description('allocate_quota(numeric, numeric[], numeric, numeric[], numeric[])'::regprocedure, 'pg_proc')
       LIKE '%::numeric[]%42809%' AS documented;

-- lower above upper names the row and both bounds (also in the window form:
-- row 2 has lower 7 and upper 3).
SELECT allocate_quota(10, ARRAY[1, 1, 1], 1, ARRAY[0, 7, 0], ARRAY[5, 3, 5]);
SELECT allocate_quota(10, 1, 1, lo, up) OVER (ORDER BY i)
FROM (VALUES (1, 0, 5), (2, 7, 3)) v(i, lo, up);
-- Bounds must have the weights' subscripts, not only their length.
SELECT allocate_quota(10, '[0:1]={1,1}'::numeric[], 1, ARRAY[6, 0]);
SELECT allocate_quota(10, ARRAY[1, 1], 1, NULL, '[2:3]={10,10}'::numeric[]);
-- Matching subscripts work: weights and bounds both [0:1]; row [0] is held
-- at 6, row [1] gets the other 4.
SELECT allocate_quota(10, '[0:1]={1,1}'::numeric[], 1, '[0:1]={6,0}'::numeric[]);

-- Weights are limited to 18 significant digits; 1.0/3 has 20.  The error
-- hints at rounding, and rounded weights work: 100 by 1/3 : 2/3 ->
-- 33.33.. and 66.66.., one unit to the larger remainder: 33 and 67.
SELECT allocate_quota(100, ARRAY[1.0/3, 2.0/3]);
SELECT allocate_quota(100, ARRAY[round(1.0/3, 12), round(2.0/3, 12)]);
SELECT rep, allocate_quota(100, w) OVER (ORDER BY rep)
FROM (SELECT rep, round(x / sum(x) OVER (), 12) AS w
      FROM (VALUES ('a', 1.0), ('b', 2.0)) v(rep, x)) s ORDER BY rep;
SELECT grade_by_distribution('{A,B}', ARRAY[1.0/3, 2.0/3]) OVER (ORDER BY s) FROM generate_series(1, 3) s;
SELECT obj_description('allocate_quota(numeric, numeric[], numeric, numeric[], numeric[])'::regprocedure, 'pg_proc')
       LIKE '%18 significant digits%round(x / sum(x), 12)%' AS documented;

-- More than 16,777,215 rows: the work arrays pass 1 GB and are allocated
-- huge.  16777217 over 16777216 equal weights: 1 each, the one leftover unit
-- to the first row (ties go to the earliest): sum 16777217, one 2.
SELECT count(*), sum(x), max(x), count(*) FILTER (WHERE x = 2) AS twos
FROM unnest(allocate_quota(16777217, array_fill(1::numeric, ARRAY[16777216]))) x;
SELECT count(*), sum(q), max(q), count(*) FILTER (WHERE q = 2) AS twos
FROM (SELECT allocate_quota(16777217, 1) OVER () AS q FROM generate_series(1, 16777216)) s;

