-- wape(actual, forecast) over forecast lines grouped by 1000 reps, against
-- the SQL formula and the floor sum(actual) with the same GROUP BY; also
-- forecast_bias and mape, and the whole table without GROUP BY.
-- setup:
SELECT setseed(0.32);
CREATE TABLE bench_forecast AS
SELECT (random() * 999)::int AS rep_id,
       a AS actual,
       a * (0.7 + 0.6 * random()) AS forecast
FROM (SELECT random() * 10000 AS a FROM generate_series(1, {rows})) s;

-- case: wape GROUP BY 1000 reps, serial
-- ours:
SELECT rep_id, wape(actual, forecast) FROM bench_forecast GROUP BY rep_id;
-- sql:
SELECT rep_id, sum(abs(forecast - actual)) / nullif(sum(abs(actual)), 0)
FROM bench_forecast GROUP BY rep_id;
-- floor:
SELECT rep_id, sum(actual) FROM bench_forecast GROUP BY rep_id;

-- case: wape whole table, serial
-- ours:
SELECT wape(actual, forecast) FROM bench_forecast;
-- sql:
SELECT sum(abs(forecast - actual)) / nullif(sum(abs(actual)), 0) FROM bench_forecast;
-- floor:
SELECT sum(actual) FROM bench_forecast;

-- case: wape GROUP BY 1000 reps, 2 workers
-- set: max_parallel_workers_per_gather = 2
-- ours:
SELECT rep_id, wape(actual, forecast) FROM bench_forecast GROUP BY rep_id;
-- sql:
SELECT rep_id, sum(abs(forecast - actual)) / nullif(sum(abs(actual)), 0)
FROM bench_forecast GROUP BY rep_id;
-- floor:
SELECT rep_id, sum(actual) FROM bench_forecast GROUP BY rep_id;

-- case: forecast_bias GROUP BY 1000 reps, serial
-- ours:
SELECT rep_id, forecast_bias(actual, forecast) FROM bench_forecast GROUP BY rep_id;
-- sql:
SELECT rep_id, sum(forecast - actual) / nullif(sum(abs(actual)), 0)
FROM bench_forecast GROUP BY rep_id;
-- floor:
SELECT rep_id, sum(actual) FROM bench_forecast GROUP BY rep_id;

-- case: mape GROUP BY 1000 reps, serial
-- ours:
SELECT rep_id, mape(actual, forecast) FROM bench_forecast GROUP BY rep_id;
-- sql:
SELECT rep_id, avg(abs(forecast - actual) / abs(actual)) FILTER (WHERE actual <> 0)
FROM bench_forecast GROUP BY rep_id;
-- floor:
SELECT rep_id, sum(actual) FROM bench_forecast GROUP BY rep_id;
