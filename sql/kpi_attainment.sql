-- kpi_attainment: higher-is-better, lower-is-better, undefined and bad targets.
SET search_path = sales_supervisor, public;

-- higher is better: actual / target
SELECT kpi_attainment(120000, 100000);
SELECT kpi_attainment(0, 100000);
SELECT kpi_attainment(99.99, 100);
-- a refund larger than the sales gives a negative attainment, not an error
SELECT kpi_attainment(-500, 1000);

-- lower is better: 10 % under a cost target scores like 10 % over a sales target
SELECT kpi_attainment(90, 100, false);
SELECT kpi_attainment(110, 100, false);
-- floored at 0: three times the cost budget is as bad as it gets
SELECT kpi_attainment(300, 100, false);
SELECT kpi_attainment(100, 100, higher_is_better => false);

-- target 0 is undefined: NULL, so aggregates skip the row
SELECT kpi_attainment(5, 0) IS NULL AS undefined;
-- STRICT: NULL in, NULL out
SELECT kpi_attainment(NULL, 100) IS NULL AS null_actual;

-- errors, each with its SQLSTATE
\set VERBOSITY sqlstate
SELECT kpi_attainment(5, -1);
SELECT kpi_attainment('NaN', 100);
SELECT kpi_attainment(5, 'Infinity');
\set VERBOSITY default
SELECT kpi_attainment(5, -1);
SELECT kpi_attainment(5, 'NaN');

-- labels users and the planner rely on
SELECT provolatile, proisstrict, proparallel
FROM pg_proc WHERE oid = 'kpi_attainment(numeric,numeric,boolean)'::regprocedure;
