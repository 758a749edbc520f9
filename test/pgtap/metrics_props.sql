-- Property tests: each metric aggregate against the plain-SQL formula a user
-- would write, on random groups (fixed seed so a failure can be replayed).
-- nps and csat must match exactly (digit for digit); the float aggregates
-- within 1e-12 of the formula's scale (for forecast_bias, whose numerator may
-- cancel, the scale is Σ|f - a| / Σ|a|); trimmed_mean against a
-- window-ranked SQL trimmed mean.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(16);

SELECT setseed(0.77);
-- 400 groups of 0..60 rows; sizes, NULL rates and magnitudes vary by group
CREATE TEMP TABLE obs AS
SELECT g, j,
       CASE WHEN random() < g % 5 * 0.05 THEN NULL ELSE floor(random() * 11)::int END AS nps_score,
       CASE WHEN random() < g % 3 * 0.1 THEN NULL ELSE 1 + floor(random() * 5)::int END AS csat_score,
       CASE WHEN random() < 0.05 THEN NULL
            WHEN random() < 0.05 THEN 0
            ELSE (random() - 0.2) * 10 ^ (random() * 10 - 3) END AS actual,
       random() AS u,
       CASE WHEN random() < 0.05 THEN NULL ELSE round((random() * 100)::numeric, 1)::float8 END AS score,
       CASE WHEN random() < 0.05 THEN NULL
            WHEN random() < 0.1 THEN 0 ELSE random() * 5 END AS weight
FROM generate_series(1, 400) AS g,
     LATERAL generate_series(1, (random() * 60)::int + g * 0) AS j;
UPDATE obs SET u = CASE WHEN random() < 0.05 THEN NULL
                        ELSE actual * (0.5 + u) + (u - 0.5) * 10 END;
ALTER TABLE obs RENAME COLUMN u TO forecast;
-- groups 1..5 get only NULL scores, to cover the empty cases inside GROUP BY
UPDATE obs SET nps_score = NULL, csat_score = NULL, actual = NULL, score = NULL WHERE g <= 5;

SELECT cmp_ok((SELECT count(*) FROM obs), '>', 10000::bigint, 'enough random rows');

-- ---------------------------------------------------------------- nps / csat
SELECT is((SELECT count(*) FROM (
             SELECT g, nps(nps_score) AS ours,
                    100.0 * (count(*) FILTER (WHERE nps_score >= 9)
                             - count(*) FILTER (WHERE nps_score <= 6))
                          / nullif(count(nps_score), 0) AS sql
             FROM obs GROUP BY g) x
           WHERE ours::text IS DISTINCT FROM sql::text),
          0::bigint, 'nps = 100.0 * (count filter >= 9 - count filter <= 6) / count, digit for digit, per group');
SELECT is((SELECT count(*) FROM (
             SELECT g, csat(csat_score) AS ours,
                    100.0 * count(*) FILTER (WHERE csat_score >= 4) / nullif(count(csat_score), 0) AS sql
             FROM obs GROUP BY g) x
           WHERE ours::text IS DISTINCT FROM sql::text),
          0::bigint, 'csat = 100.0 * count filter >= 4 / count, digit for digit, per group');
SELECT ok((SELECT bool_and(ours BETWEEN -100 AND 100) FROM (SELECT nps(nps_score) AS ours FROM obs GROUP BY g) x),
          'nps stays within -100..100');
SELECT is((SELECT count(*) FROM (SELECT g, nps(nps_score), count(nps_score) AS n FROM obs GROUP BY g) x
           WHERE (nps IS NULL) <> (n = 0)),
          0::bigint, 'nps is NULL exactly for the groups without a score');

-- ---------------------------------------------------------------- wape / forecast_bias / mape
CREATE TEMP TABLE fc AS
SELECT g,
       wape(actual, forecast) AS wape,
       forecast_bias(actual, forecast) AS bias,
       mape(actual, forecast) AS mape,
       sum(abs(forecast - actual)) / nullif(sum(abs(actual)), 0) AS sql_wape,
       sum(forecast - actual) / nullif(sum(abs(actual)), 0) AS sql_bias,
       avg(abs(forecast - actual) / abs(actual)) FILTER (WHERE actual <> 0) AS sql_mape
FROM obs WHERE actual IS NOT NULL AND forecast IS NOT NULL
GROUP BY g;

SELECT is((SELECT count(*) FROM fc
           WHERE wape IS DISTINCT FROM sql_wape
             AND NOT abs(wape - sql_wape) <= 1e-12 * abs(sql_wape)),
          0::bigint, 'wape = sum(abs(f - a)) / sum(abs(a)) within 1e-12 relative, per group');
SELECT is((SELECT count(*) FROM fc
           WHERE bias IS DISTINCT FROM sql_bias
             AND NOT abs(bias - sql_bias) <= 1e-12 * sql_wape),
          0::bigint, 'forecast_bias = sum(f - a) / sum(abs(a)) within 1e-12 of the sum(abs(f - a)) scale');
SELECT is((SELECT count(*) FROM fc
           WHERE mape IS DISTINCT FROM sql_mape
             AND NOT abs(mape - sql_mape) <= 1e-12 * abs(sql_mape)),
          0::bigint, 'mape = avg(abs(f - a) / abs(a)) over a <> 0 within 1e-12 relative, per group');
SELECT ok((SELECT count(*) FILTER (WHERE wape IS NOT NULL) > 300 FROM fc),
          'the comparison covered hundreds of groups with a value');
SELECT ok((SELECT bool_and(abs(bias) <= wape + 1e-12) FROM fc WHERE wape IS NOT NULL),
          '|forecast_bias| <= wape (triangle inequality)');

-- ---------------------------------------------------------------- weighted_score
SELECT is((SELECT count(*) FROM (
             SELECT weighted_score(score, weight) AS ours,
                    sum(score * weight) / nullif(sum(weight), 0) AS sql
             FROM obs WHERE score IS NOT NULL AND weight IS NOT NULL GROUP BY g) x
           WHERE ours IS DISTINCT FROM sql AND NOT abs(ours - sql) <= 1e-12 * abs(sql)),
          0::bigint, 'weighted_score = sum(s * w) / sum(w) within 1e-12 relative, per group');

-- ---------------------------------------------------------------- trimmed_mean
-- k = g % 4 per group; the SQL version ranks scores in a window and keeps
-- ranks k' + 1 .. n - k' with k' = least(k, (n - 1) / 2)
SELECT is((SELECT count(*) FROM (
             SELECT g, trimmed_mean(score, g % 4) AS ours FROM obs GROUP BY g) o
           FULL JOIN (
             SELECT g, avg(score) AS sql
             FROM (SELECT g, score,
                          row_number() OVER (PARTITION BY g ORDER BY score) AS rn,
                          count(*) OVER (PARTITION BY g) AS n
                   FROM obs WHERE score IS NOT NULL) r
             WHERE rn > least(g % 4, (n - 1) / 2) AND rn <= n - least(g % 4, (n - 1) / 2)
             GROUP BY g) s USING (g)
           WHERE ours IS DISTINCT FROM sql AND NOT abs(ours - sql) <= 1e-12 * abs(sql)),
          0::bigint, 'trimmed_mean = window-ranked SQL trimmed mean within 1e-12 relative, per group');
-- order independence: the same rows fed in opposite orders give bitwise-equal answers
SELECT is((SELECT count(*) FROM (
             SELECT g, trimmed_mean(score, 1 ORDER BY j) AS a, trimmed_mean(score, 1 ORDER BY j DESC) AS b,
                    wape(actual, forecast ORDER BY j) AS wa, wape(actual, forecast ORDER BY j DESC) AS wb
             FROM obs GROUP BY g) x
           WHERE a IS DISTINCT FROM b OR NOT (wa IS NOT DISTINCT FROM wb OR abs(wa - wb) <= 1e-15 * abs(wa))),
          0::bigint, 'trimmed_mean is bitwise order-independent, wape within 1e-15');

-- ---------------------------------------------------------------- catalog
-- every aggregate is parallel safe with combine, serial and deserial functions,
-- and its support functions are labelled IMMUTABLE PARALLEL SAFE
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'sales_supervisor'
             AND p.proname IN ('nps', 'csat', 'wape', 'forecast_bias', 'mape', 'weighted_score', 'trimmed_mean')
             AND p.proparallel = 's' AND a.aggcombinefn <> 0 AND a.aggserialfn <> 0
             AND a.aggdeserialfn <> 0 AND a.aggtranstype = 'internal'::regtype),
          7::bigint, 'the seven aggregates are parallel safe with combine/serial/deserial functions');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
           JOIN pg_namespace n ON n.oid = p.pronamespace,
           LATERAL unnest(ARRAY[a.aggtransfn, a.aggfinalfn, a.aggcombinefn, a.aggserialfn, a.aggdeserialfn]) AS f(fn)
           JOIN pg_proc s ON s.oid = f.fn
           WHERE n.nspname = 'sales_supervisor'
             AND p.proname IN ('nps', 'csat', 'wape', 'forecast_bias', 'mape', 'weighted_score', 'trimmed_mean')
             AND (s.provolatile <> 'i' OR s.proparallel <> 's' OR s.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c'))),
          0::bigint, 'every support function is C, IMMUTABLE and PARALLEL SAFE');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'sales_supervisor'
             AND p.proname IN ('nps', 'csat', 'wape', 'forecast_bias', 'mape', 'weighted_score', 'trimmed_mean',
                               'nps_trans', 'csat_trans', 'score_hist_combine', 'score_hist_serialize',
                               'score_hist_deserialize', 'nps_final', 'csat_final', 'wape_trans',
                               'forecast_bias_trans', 'mape_trans', 'weighted_score_trans', 'fsums_combine',
                               'fsums_serialize', 'fsums_deserialize', 'wape_final', 'forecast_bias_final',
                               'mape_final', 'weighted_score_final', 'trimmed_mean_trans', 'trimmed_mean_combine',
                               'trimmed_mean_serialize', 'trimmed_mean_deserialize', 'trimmed_mean_final')
             AND obj_description(p.oid, 'pg_proc') IS NOT NULL),
          30::bigint, 'the aggregates and all their support functions have comments');

SELECT * FROM finish();
ROLLBACK;
