-- kpi_attainment against its definition written independently in plain SQL,
-- on random actuals and targets (fixed seed so a failure can be replayed).
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(5);

SELECT setseed(0.42);
CREATE TEMP TABLE cases AS
SELECT round((random() * 2e6 - 2e5)::numeric, (random() * 4)::int) AS actual,
       round((random() * 1e6)::numeric, (random() * 4)::int)       AS target,
       random() < 0.5                                               AS higher
FROM generate_series(1, 5000);

SELECT is(
  (SELECT count(*) FROM cases
   WHERE target > 0
     AND kpi_attainment(actual, target, higher) IS DISTINCT FROM
         CASE WHEN higher THEN actual / target
              ELSE greatest(0, 2 - actual / target) END),
  0::bigint,
  'equals actual/target, or greatest(0, 2 - actual/target), exactly, on 5000 random cases');

SELECT is((SELECT count(*) FROM cases WHERE target = 0 AND kpi_attainment(actual, target, higher) IS NOT NULL),
          0::bigint, 'target 0 always gives NULL');

SELECT throws_ok('SELECT sales_supervisor.kpi_attainment(1, -0.01)', '22023',
                 'kpi_attainment target must not be negative, got -0.01',
                 'negative target is 22023 naming the value');

SELECT is(kpi_attainment(90, 100, false), kpi_attainment(110, 100, true),
          '10 % under a cost target scores like 10 % over a sales target');

SELECT function_lang_is('sales_supervisor', 'kpi_attainment',
                        ARRAY['numeric', 'numeric', 'boolean'], 'c',
                        'kpi_attainment is implemented in C');

SELECT * FROM finish();
ROLLBACK;
