-- trimmed_mean(score, 1) over review scores grouped by 1000 reviewees
-- (about {rows} / 1000 scores each), against a window-ranked SQL trimmed
-- mean and the floor sum(score) with the same GROUP BY.
-- setup:
SELECT setseed(0.33);
CREATE TABLE bench_review AS
SELECT (random() * 999)::int AS reviewee_id,
       round((1 + random() * 4)::numeric, 2)::float8 AS score
FROM generate_series(1, {rows});

-- case: trimmed_mean k=1 GROUP BY 1000 reviewees, serial
-- ours:
SELECT reviewee_id, trimmed_mean(score, 1) FROM bench_review GROUP BY reviewee_id;
-- sql:
SELECT reviewee_id, avg(score)
FROM (SELECT reviewee_id, score,
             row_number() OVER (PARTITION BY reviewee_id ORDER BY score) AS rn,
             count(*) OVER (PARTITION BY reviewee_id) AS n
      FROM bench_review) r
WHERE rn > least(1, (n - 1) / 2) AND rn <= n - least(1, (n - 1) / 2)
GROUP BY reviewee_id;
-- floor:
SELECT reviewee_id, sum(score) FROM bench_review GROUP BY reviewee_id;

-- case: trimmed_mean k=1 GROUP BY 1000 reviewees, 2 workers
-- set: max_parallel_workers_per_gather = 2
-- ours:
SELECT reviewee_id, trimmed_mean(score, 1) FROM bench_review GROUP BY reviewee_id;
-- sql:
SELECT reviewee_id, avg(score)
FROM (SELECT reviewee_id, score,
             row_number() OVER (PARTITION BY reviewee_id ORDER BY score) AS rn,
             count(*) OVER (PARTITION BY reviewee_id) AS n
      FROM bench_review) r
WHERE rn > least(1, (n - 1) / 2) AND rn <= n - least(1, (n - 1) / 2)
GROUP BY reviewee_id;
-- floor:
SELECT reviewee_id, sum(score) FROM bench_review GROUP BY reviewee_id;
