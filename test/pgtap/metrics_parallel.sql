-- The metric aggregates in parallel plans, GROUP BY with many groups, and a
-- hash aggregate that spills to disk: every aggregate must give its serial
-- answer (exactly for nps, csat and trimmed_mean; within 1e-12 relative for
-- the compensated float sums) on 1,000,000 rows.
--
-- Plans are captured with EXPLAIN ANALYZE run through RETURN QUERY EXECUTE,
-- which may use parallelism, so the statement whose plan is checked is the
-- very one that produces the answer being compared (CREATE TABLE AS).
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(25);

SELECT setseed(0.2024);
-- Wide magnitudes (1e-2 .. 1e6), signs mixed, zeros and NULLs sprinkled,
-- so plain float summation would depend on row order.
CREATE TABLE metrics_par AS
SELECT i,
       i % 1000 AS g,
       i % 20011 AS g2,
       CASE WHEN i % 101 = 0 THEN NULL ELSE floor(random() * 11)::int END AS nps_score,
       CASE WHEN i % 103 = 0 THEN NULL ELSE 1 + floor(random() * 5)::int END AS csat_score,
       CASE WHEN i % 107 = 0 THEN NULL
            WHEN i % 89 = 0 THEN 0
            ELSE (random() - 0.1) * 10 ^ (random() * 8 - 2) END AS actual,
       random() AS noise,
       CASE WHEN i % 109 = 0 THEN NULL ELSE random() * 100 END AS score,
       CASE WHEN i % 113 = 0 THEN NULL ELSE random() * 3 END AS weight
FROM generate_series(1, 1000000) AS i;
UPDATE metrics_par SET noise = CASE WHEN i % 97 = 0 THEN NULL
                                    ELSE actual * (0.7 + 0.6 * noise) + (noise - 0.5) * 50 END;
ALTER TABLE metrics_par RENAME COLUMN noise TO forecast;
ANALYZE metrics_par;

-- EXPLAIN ANALYZE of a statement, as one text (executes the statement)
CREATE FUNCTION pg_temp.explain_analyze(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q;
END $$;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE sql AS $$
  SELECT string_agg(l, E'\n') FROM pg_temp.explain_analyze(q) AS l
$$;
-- equal, or within 1e-12 relative
CREATE FUNCTION pg_temp.close(x float8, y float8) RETURNS boolean LANGUAGE sql AS $$
  SELECT x IS NOT DISTINCT FROM y OR abs(x - y) <= 1e-12 * greatest(abs(x), abs(y))
$$;

-- The seven aggregates into table tbl, per group, or over the whole table
-- (grp NULL: no GROUP BY), of metrics_par or of another source of its rows
CREATE FUNCTION pg_temp.all_aggs(grp text, tbl text, src text DEFAULT 'metrics_par') RETURNS text LANGUAGE sql AS $$
  SELECT format('CREATE TEMP TABLE %I AS SELECT %s AS grp,
      nps(nps_score) AS nps, csat(csat_score) AS csat,
      wape(actual, forecast) AS wape, forecast_bias(actual, forecast) AS bias,
      mape(actual, forecast) AS mape, weighted_score(score, weight) AS ws,
      trimmed_mean(score, 2) AS tm
    FROM %s %s', tbl, coalesce(grp, '0'), src,
                CASE WHEN grp IS NULL THEN '' ELSE 'GROUP BY 1' END)
$$;
-- the groups of two such tables whose answers differ: nps, csat and
-- trimmed_mean exactly, the float sums beyond 1e-12 relative
CREATE FUNCTION pg_temp.differing_groups(a regclass, b regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  EXECUTE format($q$
    SELECT count(*) FROM %s s JOIN %s p USING (grp)
    WHERE s.nps IS DISTINCT FROM p.nps OR s.csat IS DISTINCT FROM p.csat
       OR NOT pg_temp.close(s.wape, p.wape) OR NOT pg_temp.close(s.bias, p.bias)
       OR NOT pg_temp.close(s.mape, p.mape) OR NOT pg_temp.close(s.ws, p.ws)
       OR s.tm IS DISTINCT FROM p.tm$q$, a, b) INTO n;
  RETURN n;
END $$;

-- ---------------------------------------------------------------- serial answers
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT pg_temp.plan_of(pg_temp.all_aggs(NULL, 'serial_all')) AS serial_plan \gset
SELECT pg_temp.plan_of(pg_temp.all_aggs('g', 'serial_g')) AS serial_g_plan \gset
SELECT unalike(:'serial_plan'::text, '%Partial%', 'the serial plan has no partial aggregation');

-- ---------------------------------------------------------------- parallel answers
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT pg_temp.plan_of(pg_temp.all_aggs(NULL, 'par_all')) AS par_plan \gset
SELECT matches(:'par_plan'::text, 'Partial (Hash|Group)?Aggregate',
               'whole-table plan has a Partial Aggregate');
SELECT matches(:'par_plan'::text, 'Workers Launched: [1-9]', 'whole-table plan launched workers');

SELECT ok((SELECT s.nps = p.nps FROM serial_all s, par_all p), 'nps: parallel = serial, exactly');
SELECT ok((SELECT s.csat = p.csat FROM serial_all s, par_all p), 'csat: parallel = serial, exactly');
SELECT ok((SELECT pg_temp.close(s.wape, p.wape) FROM serial_all s, par_all p),
          'wape: parallel = serial within 1e-12');
SELECT ok((SELECT pg_temp.close(s.bias, p.bias) FROM serial_all s, par_all p),
          'forecast_bias: parallel = serial within 1e-12');
SELECT ok((SELECT pg_temp.close(s.mape, p.mape) FROM serial_all s, par_all p),
          'mape: parallel = serial within 1e-12');
SELECT ok((SELECT pg_temp.close(s.ws, p.ws) FROM serial_all s, par_all p),
          'weighted_score: parallel = serial within 1e-12');
SELECT ok((SELECT s.tm = p.tm FROM serial_all s, par_all p),
          'trimmed_mean: parallel = serial, exactly (it sums the sorted scores)');
-- the answers are real numbers, not NULLs that compare equal
SELECT ok((SELECT nps IS NOT NULL AND csat IS NOT NULL AND wape IS NOT NULL AND bias IS NOT NULL
                  AND mape IS NOT NULL AND ws IS NOT NULL AND tm IS NOT NULL FROM par_all),
          'every whole-table answer is non-NULL');

-- GROUP BY 1000 groups
SELECT pg_temp.plan_of(pg_temp.all_aggs('g', 'par_g')) AS par_g_plan \gset
SELECT matches(:'par_g_plan'::text, 'Partial (Hash|Group)Aggregate',
               'GROUP BY plan has a partial aggregate');
SELECT matches(:'par_g_plan'::text, 'Workers Launched: [1-9]', 'GROUP BY plan launched workers');
SELECT is((SELECT count(*) FROM serial_g s JOIN par_g p USING (grp)), 1000::bigint,
          'GROUP BY: 1000 groups in both plans');
SELECT is(pg_temp.differing_groups('serial_g', 'par_g'), 0::bigint,
          'GROUP BY: every group''s parallel answers equal its serial answers');

-- ---------------------------------------------------------------- hash aggregate that spills
-- 20011 groups; first in memory (the session's work_mem), then with 64kB so
-- the hash aggregate writes batches to disk.
SET LOCAL max_parallel_workers_per_gather = 0;
SET LOCAL enable_sort = off;
SET LOCAL work_mem = '256MB';
SELECT pg_temp.plan_of(pg_temp.all_aggs('g2', 'mem_g2')) AS mem_plan \gset
SELECT matches(:'mem_plan'::text, 'Batches: 1 ', 'in-memory hash aggregate used one batch');
SET LOCAL work_mem = '64kB';
SELECT pg_temp.plan_of(pg_temp.all_aggs('g2', 'spill_g2')) AS spill_plan \gset
SELECT matches(:'spill_plan'::text, 'HashAggregate', 'small work_mem still plans a hash aggregate');
SELECT matches(:'spill_plan'::text, 'Disk Usage: [1-9][0-9]*kB', 'and it spilled to disk');
SELECT is((SELECT count(*) FROM mem_g2 s JOIN spill_g2 p USING (grp)), 20011::bigint,
          'spilled: 20011 groups in both plans');
SELECT is(pg_temp.differing_groups('mem_g2', 'spill_g2'), 0::bigint,
          'spilled hash aggregate gives the in-memory answers for every group');
-- (and the comparison above was not over NULLs)
SELECT ok((SELECT count(*) FROM spill_g2 WHERE nps IS NULL OR tm IS NULL) = 0,
          'spilled: every group has answers');

-- ---------------------------------------------------------------- partitionwise aggregation
-- Partial aggregation per partition, combined above the Append (the shape a
-- sharded table takes), in one process: the combine functions without the
-- parallel workers.  Grouped by g, which is not the partition key.
SET LOCAL work_mem = '256MB';
SET LOCAL enable_sort = on;
CREATE TABLE metrics_part (LIKE metrics_par) PARTITION BY HASH (i);
CREATE TABLE metrics_part_0 PARTITION OF metrics_part FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE metrics_part_1 PARTITION OF metrics_part FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE metrics_part_2 PARTITION OF metrics_part FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE metrics_part_3 PARTITION OF metrics_part FOR VALUES WITH (MODULUS 4, REMAINDER 3);
INSERT INTO metrics_part SELECT * FROM metrics_par WHERE i <= 200000;
ANALYZE metrics_part;
SET LOCAL enable_partitionwise_aggregate = off;
SELECT pg_temp.plan_of(pg_temp.all_aggs('g', 'whole_p', '(SELECT * FROM metrics_par WHERE i <= 200000) s')) AS whole_p_plan \gset
SET LOCAL enable_partitionwise_aggregate = on;
SET LOCAL parallel_setup_cost = 1e9;
SELECT pg_temp.plan_of(pg_temp.all_aggs('g', 'pw_p', 'metrics_part')) AS pw_plan \gset
SELECT matches(:'pw_plan'::text, 'Partial (Hash|Group)?Aggregate', 'partitionwise plan aggregates each partition partially');
SELECT unalike(:'pw_plan'::text, '%Gather%', 'and does so without parallel workers');
SELECT is((SELECT count(*) FROM whole_p s JOIN pw_p p USING (grp)), 1000::bigint,
          'partitionwise: 1000 groups in both plans');
SELECT is(pg_temp.differing_groups('whole_p', 'pw_p'), 0::bigint,
          'partitionwise partial aggregates combine to the single-table answers');

SELECT * FROM finish();
ROLLBACK;
