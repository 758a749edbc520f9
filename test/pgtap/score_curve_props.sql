-- kpi_score against an SQL CASE implementation within 1e-12, on thousands of
-- random curves and attainments: both modes, jumps (two points on one x),
-- attainments exactly at every x and just around it, and the infinities.
-- Fixed seed so a failure can be replayed.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(11);

-- The reference: the CASE a user would write, over the point arrays.
CREATE FUNCTION pg_temp.ref_score(a float8, mode text, xs float8[], ys float8[])
RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN mode = 'step' THEN
      coalesce((SELECT ys[i] FROM generate_subscripts(xs, 1) i
                WHERE xs[i] <= a ORDER BY i DESC LIMIT 1), 0)
    WHEN a < xs[1] THEN ys[1]
    WHEN a >= xs[array_length(xs, 1)] THEN ys[array_length(xs, 1)]
    ELSE (SELECT ys[i] + (ys[i + 1] - ys[i]) * (a - xs[i]) / (xs[i + 1] - xs[i])
          FROM (SELECT max(j) AS i FROM generate_subscripts(xs, 1) j WHERE xs[j] <= a) last)
  END
$$;

SELECT setseed(0.17);
CREATE TEMP TABLE curves AS
SELECT id, CASE WHEN random() < 0.5 THEN 'linear' ELSE 'step' END AS mode,
       (1 + floor(random() * 25))::int AS n
FROM generate_series(1, 300) id;

-- x: increasing; in linear curves about one gap in six is 0 (a jump), never
-- two in a row (at most two points on one x)
CREATE TEMP TABLE points AS
SELECT id, k, sum(gap) OVER (PARTITION BY id ORDER BY k) AS x, y
FROM (SELECT c.id, k,
             CASE WHEN k = 1 THEN random() * 2 - 0.5
                  WHEN c.mode = 'linear' AND k % 2 = 0 AND random() < 0.33 THEN 0
                  ELSE 0.01 + random() * 0.3 END AS gap,
             round((random() * 200)::numeric, 3)::float8 AS y
      FROM curves c, generate_series(1, c.n) k) p;

CREATE TEMP TABLE curve_values AS
SELECT c.id, c.mode, array_agg(p.x ORDER BY p.k) AS xs, array_agg(p.y ORDER BY p.k) AS ys,
       score_curve(array_agg(p.x ORDER BY p.k), array_agg(p.y ORDER BY p.k), c.mode) AS curve
FROM curves c JOIN points p USING (id)
GROUP BY c.id, c.mode;

CREATE TEMP TABLE cases AS
SELECT id, random() * 9 - 2 AS a FROM curve_values, generate_series(1, 20)
UNION ALL
SELECT id, x FROM curve_values, unnest(xs) x
UNION ALL
SELECT id, x + 1e-9 FROM curve_values, unnest(xs) x
UNION ALL
SELECT id, x - 1e-9 FROM curve_values, unnest(xs) x
UNION ALL
SELECT id, a FROM curve_values, unnest(ARRAY['Infinity', '-Infinity']::float8[]) a;

SELECT cmp_ok((SELECT count(*) FROM cases), '>=', 10000::bigint,
              'at least 10000 random (curve, attainment) cases');

SELECT is(
  (SELECT count(*) FROM cases c JOIN curve_values v USING (id)
   WHERE NOT abs(kpi_score(c.a, v.curve) - pg_temp.ref_score(c.a, v.mode, v.xs, v.ys)) <= 1e-12),
  0::bigint,
  'kpi_score equals the SQL CASE interpolation within 1e-12');

SELECT cmp_ok(
  (SELECT count(*) FROM curve_values v, generate_subscripts(v.xs, 1) i
   WHERE i > 1 AND v.xs[i] = v.xs[i - 1]),
  '>', 0::bigint, 'the random curves include jumps');

SELECT is(
  (SELECT count(*) FROM curve_values
   WHERE curve::text::score_curve <> curve OR curve::text::score_curve::text <> curve::text),
  0::bigint, 'text round trip of every random curve is exact and stable');

SELECT is(
  (SELECT count(*) FROM curve_values
   WHERE curve <> score_curve(xs, ys, mode)),
  0::bigint, 'the constructor is deterministic');

-- a stored curve (short varlena header or compressed) gives the same scores
CREATE TEMP TABLE stored AS SELECT id, curve FROM curve_values;
SELECT is(
  (SELECT count(*) FROM cases c JOIN stored s USING (id) JOIN curve_values v USING (id)
   WHERE kpi_score(c.a, s.curve) <> kpi_score(c.a, v.curve)),
  0::bigint, 'a stored curve gives the same scores as a fresh one');

-- every number prints as float8out prints it (default extra_float_digits),
-- also with extra_float_digits = 0: integers near 2^54..2^62 (where exact
-- rounding ties happen), and values over 600 decimal orders of magnitude
CREATE TEMP TABLE doubles AS
SELECT floor(random() * 2 ^ (50 + random() * 12))::float8 AS v FROM generate_series(1, 3000)
UNION ALL
SELECT ((random() - 0.5) * 10 ^ (random() * 600 - 300))::float8 FROM generate_series(1, 3000);
RESET extra_float_digits;
CREATE TEMP TABLE doubles_text AS SELECT v, v::text AS t FROM doubles;
SET LOCAL extra_float_digits = 0;
SELECT is(
  (SELECT count(*) FROM doubles_text
   WHERE score_curve(ARRAY[v], ARRAY[v], 'step')::text <> format('step[(%s,%s)]', t, t)),
  0::bigint, 'each number of a curve prints as float8out (extra_float_digits 1), even at 0');
RESET extra_float_digits;
SELECT cmp_ok(
  (SELECT count(*) FROM doubles_text WHERE t ~ 'e'), '>', 1000::bigint,
  'the exponent form is well covered');

SELECT throws_ok($$SELECT sales_supervisor.kpi_score('NaN', 'linear[(1,2)]')$$, '22023',
                 'kpi_score attainment must not be NaN', 'NaN attainment is 22023');

-- btree order: a total order consistent with = on all pairs of values
-- (and values with extra trailing zeros where that keeps equality)
CREATE TEMP TABLE ord_vals AS SELECT curve AS v FROM curve_values;
\ir include/btree_order.sql
SELECT pg_temp.btree_order_tests('ord_vals', 'score_curve_cmp', 'score_curve_hash_extended');  -- two tests

SELECT * FROM finish();
ROLLBACK;
