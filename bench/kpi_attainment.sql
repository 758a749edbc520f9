-- kpi_attainment over sales lines against per-line targets.
-- setup:
SELECT setseed(0.5);
CREATE TABLE bench_attainment AS
SELECT round((random() * 20000)::numeric, 2) AS actual,
       round((1000 + random() * 10000)::numeric, 2) AS target,
       random() < 0.8 AS higher
FROM generate_series(1, {rows});

-- case: kpi_attainment, mixed directions
-- ours:
SELECT sum(kpi_attainment(actual, target, higher)) FROM bench_attainment;
-- sql:
SELECT sum(CASE WHEN target = 0 THEN NULL
                WHEN higher THEN actual / target
                ELSE greatest(0, 2 - actual / target) END)
FROM bench_attainment;
-- floor:
SELECT sum(actual) FROM bench_attainment;
