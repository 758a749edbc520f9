-- trimmed_mean: dropping the k highest and k lowest scores, k reduced with
-- too few scores, NULLs, empty input and every bad input with its SQLSTATE.
SET search_path = sales_supervisor, public;

-- 1 2 3 4 100: k = 1 -> mean(2, 3, 4) = 3; k = 0 -> 110 / 5 = 22; k = 2 -> 3
SELECT trimmed_mean(s, 1) AS k1, trimmed_mean(s, 0) AS k0, trimmed_mean(s, 2) AS k2
FROM (VALUES (100.0), (3), (1), (4), (2)) v(s);
-- k too large for 5 scores: reduced to floor(4 / 2) = 2 -> the median 3
SELECT trimmed_mean(s, 10) FROM (VALUES (100.0), (3), (1), (4), (2)) v(s);
-- 4 scores, k = 1: mean(2, 3) = 2.5; k = 7 is reduced to 1 as well
SELECT trimmed_mean(s, 1) AS k1, trimmed_mean(s, 7) AS k7 FROM (VALUES (1.0), (2), (3), (10)) v(s);
-- NULL scores are skipped: (5, 7) with k = 1 is reduced to k = 0 -> 6
SELECT trimmed_mean(s, 1) FROM (VALUES (NULL::float8), (5), (7)) v(s);
-- a panel of five marks, top and bottom dropped: (7 + 8 + 8) / 3 = 7.666...
SELECT trimmed_mean(s, 1) FROM (VALUES (9.5), (8), (7), (8), (3)) v(s);
-- duplicates at the ends: only k of them go
SELECT trimmed_mean(s, 1) FROM (VALUES (1.0), (1), (1), (5), (5)) v(s);
-- single row, empty input, all-NULL input
SELECT trimmed_mean(4.5, 3);
SELECT trimmed_mean(s, 1) IS NULL AS empty FROM (VALUES (1.0)) v(s) WHERE false;
SELECT trimmed_mean(NULL::float8, 1) IS NULL AS all_null FROM generate_series(1, 3);
-- per group
SELECT g, trimmed_mean(s, 1)
FROM (VALUES ('a', 1.0), ('a', 2), ('a', 30), ('b', 4), ('b', 6), ('c', NULL)) v(g, s)
GROUP BY g ORDER BY g;
-- as a running window aggregate (the final function may run once per row):
-- {5} 5, {5,1} 3, {5,1,4} 4, {5,1,4,2} mean(2,4) = 3, {5,1,4,2,3} mean(2,3,4) = 3
SELECT i, s, trimmed_mean(s, 1) OVER (ORDER BY i)
FROM (VALUES (1, 5.0), (2, 1), (3, 4), (4, 2), (5, 3)) v(i, s) ORDER BY i;
-- the same call twice in one query (a shared state) gives the same answer twice
SELECT trimmed_mean(s, 1) AS first, trimmed_mean(s, 1) AS second
FROM (VALUES (3.0), (1), (2), (9)) v(s);
-- a NULL score needs no k
SELECT trimmed_mean(NULL::float8, NULL) IS NULL AS skipped;

-- errors, each with its SQLSTATE
\set VERBOSITY sqlstate
SELECT trimmed_mean(1, -1);
SELECT trimmed_mean(1, NULL);
SELECT trimmed_mean(s, k) FROM (VALUES (1.0, 1), (2.0, 2)) v(s, k);
SELECT trimmed_mean('NaN', 1);
SELECT trimmed_mean('Infinity', 1);
SELECT trimmed_mean('-Infinity', 0);
\set VERBOSITY default
SELECT trimmed_mean(1, -1);
SELECT trimmed_mean(1, NULL);
SELECT trimmed_mean(s, k) FROM (VALUES (1.0, 1), (2.0, 2)) v(s, k);
SELECT trimmed_mean('NaN', 1);
SELECT trimmed_mean('-Infinity', 0);

-- regressions: k is checked on rows with a NULL score too
\set VERBOSITY sqlstate
SELECT trimmed_mean(NULL::float8, -1);
SELECT trimmed_mean(s, k) FROM (VALUES (1.0, 1), (NULL, 2)) v(s, k);
SELECT trimmed_mean(s, k) FROM (VALUES (NULL::float8, 2), (1.0, 1)) v(s, k);
\set VERBOSITY default
SELECT trimmed_mean(NULL::float8, -1);
SELECT trimmed_mean(s, k) FROM (VALUES (1.0, 1), (NULL, 2)) v(s, k);
SELECT trimmed_mean(s, k) FROM (VALUES (NULL::float8, 2), (1.0, 1)) v(s, k);
-- a NULL score with a NULL k is still skipped, anywhere in the group:
-- scores 1, 5, 9 with k = 1 -> 5
SELECT trimmed_mean(s, k) FROM (VALUES (1.0, 1), (NULL, NULL), (5, 1), (9, 1)) v(s, k);
-- NULL scores with a valid k only: no scores, NULL
SELECT trimmed_mean(s, k) IS NULL AS no_scores FROM (VALUES (NULL::float8, 1), (NULL, 1)) v(s, k);
