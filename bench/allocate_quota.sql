-- allocate_quota as a window function: a team's target split over its reps by
-- last year's sales, {rows}/100 teams (10,000 at 1M rows) of about 100 reps.
-- Ours is the window allocate_quota (exact, deterministic, bounds-aware);
-- the SQL alternative is the largest-remainder query a user would write
-- (sum() OVER, floor, row_number() OVER (ORDER BY remainder DESC)), with
-- inexact numeric division; the floor is the cheapest window over the same
-- partitions, sum(weight) OVER (PARTITION BY team) -- with the same ORDER BY
-- rep when ours has one, since sorting on (team, rep) alone costs about as
-- much again as the whole unordered floor.
-- Each is wrapped in an outer sum() so client transfer does not dominate.
-- setup:
SELECT setseed(0.5);
CREATE TABLE bench_quota AS
SELECT i % greatest(1, {rows} / 100) AS team, i AS rep,
       round((random() * 100000)::numeric, 2) AS sales,
       1000000::numeric AS target,
       CASE WHEN (i / greatest(1, {rows} / 100)) % 10 = 0 THEN 5000::numeric END AS cap
FROM generate_series(1, {rows}) i;

-- case: team target -> reps by sales, unit 1, ties by window ORDER BY rep
-- ours:
SELECT sum(q) FROM (
  SELECT allocate_quota(target, sales, 1) OVER (PARTITION BY team ORDER BY rep) AS q
  FROM bench_quota) s;
-- sql:
SELECT sum(q) FROM (
  SELECT floor(exact)
         + CASE WHEN row_number() OVER (PARTITION BY team
                                        ORDER BY exact - floor(exact) DESC, sales DESC, rep)
                     <= target - sum(floor(exact)) OVER (PARTITION BY team)
                THEN 1 ELSE 0 END AS q
  FROM (SELECT team, rep, sales, target,
               target * sales / sum(sales) OVER (PARTITION BY team) AS exact
        FROM bench_quota) a) s;
-- floor:
SELECT sum(s) FROM (
  SELECT sum(sales) OVER (PARTITION BY team ORDER BY rep) AS s FROM bench_quota) x;

-- case: the same without ORDER BY (same sort as the floor)
-- ours:
SELECT sum(q) FROM (
  SELECT allocate_quota(target, sales, 1) OVER (PARTITION BY team) AS q
  FROM bench_quota) s;
-- sql:
SELECT sum(q) FROM (
  SELECT floor(exact)
         + CASE WHEN row_number() OVER (PARTITION BY team
                                        ORDER BY exact - floor(exact) DESC, sales DESC, rep)
                     <= target - sum(floor(exact)) OVER (PARTITION BY team)
                THEN 1 ELSE 0 END AS q
  FROM (SELECT team, rep, sales, target,
               target * sales / sum(sales) OVER (PARTITION BY team) AS exact
        FROM bench_quota) a) s;
-- floor:
SELECT sum(s) FROM (
  SELECT sum(sales) OVER (PARTITION BY team) AS s FROM bench_quota) x;

-- case: with a new-hire cap on a tenth of the reps (upper bounds), unit 1
-- ours:
SELECT sum(q) FROM (
  SELECT allocate_quota(target, sales, 1, NULL, cap) OVER (PARTITION BY team ORDER BY rep) AS q
  FROM bench_quota) s;
-- sql:
SELECT sum(q) FROM (
  SELECT floor(exact)
         + CASE WHEN row_number() OVER (PARTITION BY team
                                        ORDER BY exact - floor(exact) DESC, sales DESC, rep)
                     <= target - sum(floor(exact)) OVER (PARTITION BY team)
                THEN 1 ELSE 0 END AS q
  FROM (SELECT team, rep, sales, target,
               target * sales / sum(sales) OVER (PARTITION BY team) AS exact
        FROM bench_quota) a) s;
-- floor:
SELECT sum(s) FROM (
  SELECT sum(sales) OVER (PARTITION BY team ORDER BY rep) AS s FROM bench_quota) x;
