-- nps(score) over survey rows grouped by 1000 reps.  The table has
-- {rows} * 10 rows (10,000,000 at the usual --rows 1000000, the size the
-- issue names); bench/run's --rows is shared by every benchmark, so this one
-- scales itself.  Parallel speed-up = "serial" ours / "2 workers" ours.
-- setup:
SELECT setseed(0.31);
CREATE TABLE bench_survey AS
SELECT (random() * 999)::int AS rep_id,
       floor(random() * 11)::int AS score
FROM generate_series(1, {rows} * 10);

-- case: nps GROUP BY 1000 reps, serial
-- ours:
SELECT rep_id, nps(score) FROM bench_survey GROUP BY rep_id;
-- sql:
SELECT rep_id, 100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6)) / count(*)
FROM bench_survey GROUP BY rep_id;
-- floor:
SELECT rep_id, count(*) FROM bench_survey GROUP BY rep_id;

-- count(*) does not read the score column at all; count(score) reads the
-- same column nps does, so it is the floor for any aggregate of the score.
-- case: nps GROUP BY 1000 reps, serial, floor count(score)
-- ours:
SELECT rep_id, nps(score) FROM bench_survey GROUP BY rep_id;
-- sql:
SELECT rep_id, 100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6)) / count(*)
FROM bench_survey GROUP BY rep_id;
-- floor:
SELECT rep_id, count(score) FROM bench_survey GROUP BY rep_id;

-- case: nps GROUP BY 1000 reps, 2 workers
-- set: max_parallel_workers_per_gather = 2
-- ours:
SELECT rep_id, nps(score) FROM bench_survey GROUP BY rep_id;
-- sql:
SELECT rep_id, 100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6)) / count(*)
FROM bench_survey GROUP BY rep_id;
-- floor:
SELECT rep_id, count(*) FROM bench_survey GROUP BY rep_id;

-- case: csat GROUP BY 1000 reps, serial
-- ours:
SELECT rep_id, csat(1 + score % 5) FROM bench_survey GROUP BY rep_id;
-- sql:
SELECT rep_id, 100.0 * count(*) FILTER (WHERE 1 + score % 5 >= 4) / count(*)
FROM bench_survey GROUP BY rep_id;
-- floor:
SELECT rep_id, count(*) FROM bench_survey GROUP BY rep_id;
