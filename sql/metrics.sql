-- nps, csat, wape, forecast_bias, mape, weighted_score on hand-computed data:
-- empty input, all-NULL input, a single row, and every bad input with its SQLSTATE.
SET search_path = sales_supervisor, public;

-- ---------------------------------------------------------------- nps
-- 10 9 8 7 6 0 (+ a NULL): promoters 2, detractors 2, n 6 -> 0
SELECT nps(s) FROM (VALUES (10), (9), (8), (7), (6), (0), (NULL)) v(s);
-- 10 10 9 6 3: promoters 3, detractors 2, n 5 -> 100 * 1 / 5 = 20
SELECT nps(s) FROM (VALUES (10), (10), (9), (6), (3)) v(s);
-- 9 9 1: 100 * (2 - 1) / 3 = 33.33...
SELECT nps(s) FROM (VALUES (9), (9), (1)) v(s);
-- the same value as the formula a user writes in SQL, digit for digit
SELECT nps(s) = 100.0 * (count(*) FILTER (WHERE s >= 9) - count(*) FILTER (WHERE s <= 6)) / count(*)
       AS same_as_sql,
       nps(s)::text = (100.0 * (count(*) FILTER (WHERE s >= 9) - count(*) FILTER (WHERE s <= 6)) / count(*))::text
       AS same_text
FROM (VALUES (9), (9), (1)) v(s);
-- single rows: the ends of the scale and a passive
SELECT nps(10) AS promoter, nps(0) AS detractor, nps(7) AS passive;
-- empty and all-NULL input: NULL
SELECT nps(s) IS NULL AS empty FROM (VALUES (1)) v(s) WHERE false;
SELECT nps(NULL::integer) IS NULL AS all_null FROM generate_series(1, 3);
-- per group
SELECT g, nps(s) FROM (VALUES ('a', 10), ('a', 2), ('b', 9), ('b', 8), ('b', 10), ('c', NULL))
  v(g, s) GROUP BY g ORDER BY g;

-- ---------------------------------------------------------------- csat
-- 5 4 3 2 1: two of five satisfied -> 40
SELECT csat(s) FROM (VALUES (5), (4), (3), (2), (1)) v(s);
-- 5 5 4 (+ NULL) -> 100; 4 3 3 -> 33.33...
SELECT csat(s) FROM (VALUES (5), (5), (4), (NULL)) v(s);
SELECT csat(s) FROM (VALUES (4), (3), (3)) v(s);
SELECT csat(1) AS single_unhappy, csat(5) AS single_happy;
SELECT csat(s) IS NULL AS empty FROM (VALUES (1)) v(s) WHERE false;
SELECT csat(NULL::integer) IS NULL AS all_null FROM generate_series(1, 3);

-- ---------------------------------------------------------------- wape, forecast_bias, mape
-- rows with a NULL are skipped; what is left: (100,110) (200,150) (0,10)
--   wape          = (10 + 50 + 10) / (100 + 200 + 0)          = 70/300 = 0.2333...
--   forecast_bias = (10 - 50 + 10) / 300                       = -0.1
--   mape          = mean(10/100, 50/200) over actual <> 0      = 0.175
SELECT wape(a, f), forecast_bias(a, f), mape(a, f)
FROM (VALUES (100.0, 110.0), (200, 150), (0, 10), (NULL, 5), (50, NULL)) v(a, f);
-- negative actuals (returns): |actual| in the denominators
SELECT wape(-100, -80) AS wape, forecast_bias(-100, -80) AS bias, mape(-100, -80) AS mape;
-- a forecast that runs low has a negative bias
SELECT forecast_bias(a, f) FROM (VALUES (100.0, 90.0), (50, 45)) v(a, f);
-- single row
SELECT wape(100, 90), forecast_bias(100, 90), mape(100, 90);
-- sum |actual| = 0: NULL (undefined), and mape has no row with actual <> 0
SELECT wape(a, f) IS NULL AS wape_null, forecast_bias(a, f) IS NULL AS bias_null,
       mape(a, f) IS NULL AS mape_null
FROM (VALUES (0.0, 5.0), (0, -3)) v(a, f);
-- a perfect forecast
SELECT wape(a, a), forecast_bias(a, a), mape(a, a) FROM (VALUES (3.0), (4.5)) v(a);
-- empty and all-NULL input
SELECT wape(a, f) IS NULL AS wape, forecast_bias(a, f) IS NULL AS bias, mape(a, f) IS NULL AS mape
FROM (VALUES (1.0, 1.0)) v(a, f) WHERE false;
SELECT wape(a, f) IS NULL AS wape, forecast_bias(a, f) IS NULL AS bias, mape(a, f) IS NULL AS mape
FROM (VALUES (NULL::float8, 1.0), (2.0, NULL)) v(a, f);

-- ---------------------------------------------------------------- weighted_score
-- (80,1) (90,3); rows with a NULL skipped: (80 + 270) / 4 = 87.5
SELECT weighted_score(s, w) FROM (VALUES (80.0, 1.0), (90, 3), (NULL, 5), (70, NULL)) v(s, w);
-- a zero weight counts for nothing; all weights zero: NULL
SELECT weighted_score(s, w) FROM (VALUES (80.0, 0.0), (90, 2)) v(s, w);
SELECT weighted_score(s, w) IS NULL AS zero_weights FROM (VALUES (50.0, 0.0), (60, 0)) v(s, w);
SELECT weighted_score(3.5, 2);
SELECT weighted_score(s, w) IS NULL AS empty FROM (VALUES (1.0, 1.0)) v(s, w) WHERE false;
SELECT weighted_score(NULL, w) IS NULL AS all_null FROM (VALUES (1.0), (2.0)) v(w);
-- kpi_attainment's NULL for a zero target is skipped, as documented
SELECT weighted_score(kpi_attainment(a, t)::float8, w)
FROM (VALUES (120, 100, 1.0), (5, 0, 9.0), (80, 100, 1.0)) v(a, t, w);

-- ---------------------------------------------------------------- errors, each with its SQLSTATE
\set VERBOSITY sqlstate
SELECT nps(11);
SELECT nps(-1);
SELECT nps(s) FROM (VALUES (10), (2147483647)) v(s);
SELECT csat(0);
SELECT csat(6);
SELECT wape('NaN', 1);
SELECT wape(1, 'Infinity');
SELECT forecast_bias('-Infinity', 1);
SELECT forecast_bias(1, 'NaN');
SELECT mape('NaN', 1);
SELECT mape(1, '-Infinity');
SELECT wape(-1e308, 1e308);
SELECT forecast_bias(1e308, -1e308);
SELECT mape(1e-300, 1e300);
SELECT wape(a, f) FROM (VALUES (1.0, 1.7e308), (1, 1.7e308)) v(a, f);
SELECT weighted_score(80, -1);
SELECT weighted_score(80, 'NaN');
SELECT weighted_score(80, 'Infinity');
SELECT weighted_score('NaN', 1);
SELECT weighted_score(1e200, 1e200);
\set VERBOSITY default
SELECT nps(11);
SELECT nps(-1);
SELECT csat(0);
SELECT csat(6);
SELECT wape('NaN', 1);
SELECT wape(1, 'Infinity');
SELECT forecast_bias('-Infinity', 1);
SELECT mape(1, '-Infinity');
SELECT wape(-1e308, 1e308);
SELECT mape(1e-300, 1e300);
SELECT wape(a, f) FROM (VALUES (1.0, 1.7e308), (1, 1.7e308)) v(a, f);
SELECT weighted_score(80, -1);
SELECT weighted_score(80, 'NaN');
SELECT weighted_score('NaN', 1);
SELECT weighted_score(1e200, 1e200);

-- ---------------------------------------------------------------- regressions
-- subnormal weights and underflowing products are 22003, not a silent 0:
-- two rows (0.3, 5e-324) used to give 0 instead of 0.3.
\set VERBOSITY sqlstate
SELECT weighted_score(s, w) FROM (VALUES (0.3, 5e-324::float8), (0.3, 5e-324)) v(s, w);
SELECT weighted_score(1, 2e-308);
SELECT weighted_score(1e-200, 1e-200);
SELECT weighted_score(-1e-300, 1e-10);
\set VERBOSITY default
SELECT weighted_score(s, w) FROM (VALUES (0.3, 5e-324::float8), (0.3, 5e-324)) v(s, w);
SELECT weighted_score(1e-200, 1e-200);
-- the smallest normal weight (DBL_MIN) is fine with score 1 (the product
-- DBL_MIN is normal): DBL_MIN / DBL_MIN = 1; a zero score or a zero weight
-- is no underflow: (1 * DBL_MIN + 0 * 1) / (DBL_MIN + 1) = DBL_MIN =
-- 2.2250738585072014e-308, and (5 * 0 + 1e-300 * 1) / (0 + 1) = 1e-300
SELECT weighted_score(1, 2.2250738585072014e-308);
SELECT weighted_score(s, w) FROM (VALUES (1.0, 2.2250738585072014e-308::float8), (0, 1)) v(s, w);
SELECT weighted_score(s, w) FROM (VALUES (5.0, 0.0::float8), (1e-300, 1)) v(s, w);
-- the float aggregates document their real guarantee (close agreement, not
-- exact order independence)
SELECT a, obj_description(a::regprocedure, 'pg_proc') LIKE '%about 1e-12 relative%not bit-exact%' AS documented
FROM unnest(ARRAY['wape(float8, float8)', 'forecast_bias(float8, float8)',
                  'mape(float8, float8)', 'weighted_score(float8, float8)']) a;
