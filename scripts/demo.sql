-- The demo: runs inside a throw-away database (scripts/demo.sh).
\pset footer off
\set ON_ERROR_STOP 1
CREATE EXTENSION sales_supervisor;
SET search_path = sales_supervisor, public;

\echo
\echo '== sales_supervisor demo'
SELECT extversion AS version FROM pg_extension WHERE extname = 'sales_supervisor';

-- A small team: each rep's year of sales against their quota, and their
-- travel cost against a cost budget (lower is better).
SELECT setseed(0.2026);
CREATE TEMP TABLE demo_rep AS
SELECT format('rep %s', lpad(i::text, 2, '0')) AS rep,
       round((80000 + random() * 120000)::numeric, -3) AS quota,
       round((4000 + random() * 2000)::numeric, -2)    AS cost_budget
FROM generate_series(1, 8) AS i;
CREATE TEMP TABLE demo_sale AS
SELECT r.rep, round((random() * random() * 9000)::numeric, 2) AS amount,
       round((random() * 260)::numeric, 2) AS travel_cost
FROM demo_rep r, generate_series(1, 40);

\echo
\echo '== Attainment per rep (kpi_attainment: sales higher-is-better, cost lower-is-better)'
SELECT s.rep, r.quota, sum(s.amount) AS sales,
       round(kpi_attainment(sum(s.amount), r.quota), 3) AS sales_attainment,
       r.cost_budget, sum(s.travel_cost) AS travel_cost,
       round(kpi_attainment(sum(s.travel_cost), r.cost_budget, false), 3) AS cost_attainment
FROM demo_sale s JOIN demo_rep r USING (rep)
GROUP BY s.rep, r.quota, r.cost_budget
ORDER BY sales_attainment DESC;
