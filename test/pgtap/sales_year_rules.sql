-- Rules of the sales year: locked quotas, refund reversal across a locked
-- period, missing components renormalised, a person with no reviews, ties in
-- the final score, closing twice, reopen (audited) and close again, a closed
-- cycle immutable for every role, role checks.
--
-- The org: team 1, supervisor 1 (leads it), reps 2, 3, 4, 5.  Year 2025.
--   Rep 5's yearly quota is set by hand to 40 000 and locked; allocate_quotas
--   (equal, 400 000) then gives the other reps (400 000 - 40 000) / 3 = 120 000.
--   Sales: rep 2 and rep 3 100 000 each (Feb), rep 4 150 000 (Feb) + 10 000
--   (Mar 15), rep 5 20 000 (Mar).  Q1 commission runs and locks Q1.  Then a
--   full refund of rep 4's 10 000 dated Apr 2 and a late rep-5 sale of 5 000
--   dated Mar 20 arrive: the Q2 run books both in Q2 (a refunds line and a
--   late_sales line).  Tiers marginal[(0,0.01)]: Q1 rep 4 1 600, Q2 rep 4
--   -10 000 net -> 0, rep 5 5 000 -> 50.
--   KPI: sales_amount only (weight 100), curve linear[(0,0),(1,100),(2,200)]:
--   rep 2, 3: 100 000 / 120 000 = 0.833333 -> 83.3333; rep 4: 150 000 / 120 000
--   = 1.25 -> 125 (component capped at 100); rep 5: 25 000 / 40 000 = 0.625 -> 62.5.
--   Supervisor: team sales 100 000 x 2 + 150 000 + 10 000 - 10 000 + 20 000 + 5 000
--   = 375 000 / 400 000 = 0.9375 -> 93.75, the team performance of all five.
--   No customer-satisfaction KPI: the component is csat() of the customers'
--   surveys: rep 2 and 3 one 5 each -> 100, rep 4 4 and 2 -> 50, rep 5 none
--   (missing), supervisor (whole team) 5, 5, 4, 2 -> 75.  No reviews at all:
--   the supervisor's team management is missing.
--   Weights: reps tp 30, ip 50, cs 20; supervisor tp 50, tm 30, cs 20.
--   rep 2 = rep 3 = (2812.5 + 4166.665 + 2000) / 100 = 89.79165  (a tie)
--   rep 4 = (2812.5 + 5000 + 1000) / 100 = 88.125
--   rep 5 = (2812.5 + 3125) / 80 = 74.21875              (cs missing: over 80)
--   supervisor = (4687.5 + 1500) / 70 = 88.392857         (tm missing: over 70)
--   Grades 25/25/25/25 over 4 reps: one each in score order; the tied reps 2
--   and 3 are peers and both take the grade of their group's first row, A;
--   rep 4 C, rep 5 D.  The lone supervisor: 0.25 each, the spare to the first
--   grade: A.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
-- other suites in this database used the identity of appraisal_cycle (sequences are not
-- rolled back): restart it so the cycle opened below is cycle 1
SELECT setval(pg_get_serial_sequence('sales_supervisor.appraisal_cycle', 'cycle_id'), 1, false) AS restart \gset
SELECT plan(57);

INSERT INTO team (team_id, name) VALUES (1, 'One');
INSERT INTO member (member_id, full_name, level, team_id, manager_id, hire_date, login_role) VALUES
  (1, 'Sup', 'sales_customer_supervisor', 1, NULL, '2018-01-01', 'ss_rule_sup'),
  (2, 'R2', 'sales_rep', 1, 1, '2020-01-01', 'ss_rule_rep'), (3, 'R3', 'sales_rep', 1, 1, '2020-01-01', NULL),
  (4, 'R4', 'sales_rep', 1, 1, '2020-01-01', NULL), (5, 'R5', 'sales_rep', 1, 1, '2020-01-01', NULL);
INSERT INTO team_leader VALUES (1, 1);
INSERT INTO visit_cadence VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since) VALUES
  (2, 'c2', 'A', 1, 2, '2020-01-01'), (3, 'c3', 'A', 1, 3, '2020-01-01'),
  (4, 'c4', 'A', 1, 4, '2020-01-01'), (5, 'c5', 'A', 1, 5, '2020-01-01');
INSERT INTO product_category VALUES (1, 'Goods');
-- the 2025 calendar: the year is period 1, quarters 2..5, months 6..17
\ir include/fiscal_2025.sql
INSERT INTO seasonal_distribution SELECT 'flat', 2025, m, (ARRAY[10,10,10,10,10,10,5,5,5,5,10,10])[m]
FROM generate_series(1, 12) m;
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES
  (1, '2025-02-01', 2, 2, 1, 100000), (2, '2025-02-01', 3, 3, 1, 100000),
  (3, '2025-02-01', 4, 4, 1, 150000), (4, '2025-03-15', 4, 4, 1, 10000), (5, '2025-03-01', 5, 5, 1, 20000);
INSERT INTO survey_response (customer_id, answered_at, csat) VALUES
  (2, '2025-05-01', 5), (3, '2025-05-01', 5), (4, '2025-05-01', 4), (4, '2025-06-01', 2);

CREATE ROLE ss_rule_rep NOLOGIN;  GRANT sales_supervisor_rep TO ss_rule_rep;
CREATE ROLE ss_rule_sup NOLOGIN;  GRANT sales_supervisor_supervisor TO ss_rule_sup;
CREATE ROLE ss_rule_mgr NOLOGIN;  GRANT sales_supervisor_manager TO ss_rule_mgr;
CREATE ROLE ss_rule_hr NOLOGIN;   GRANT sales_supervisor_hr TO ss_rule_hr;

-- ---------------------------------------------------------------- locked quota
INSERT INTO quota (period_id, member_id, amount, method, locked) VALUES (1, 5, 40000, 'manual', true);
SELECT results_eq($$SELECT coalesce(member_id, 0), amount FROM allocate_quotas(2025, 400000, basis => 'equal', seasonal => 'flat')
                    ORDER BY 1$$,
                  $$VALUES (0, 400000::numeric), (2, 120000), (3, 120000), (4, 120000), (5, 40000)$$,
                  'a locked quota keeps its amount; the others share the rest');
SELECT results_eq($$SELECT amount, method, locked FROM quota WHERE member_id = 5 AND period_id = 1$$,
                  $$VALUES (40000.00, 'manual', true)$$, 'the locked row is untouched (amount, method)');
SELECT is((SELECT sum(amount) FROM quota WHERE member_id = 5 AND period_id > 5), 40000.00,
          'the months of a locked yearly quota still sum to it');
SELECT throws_ok('UPDATE sales_supervisor.quota SET amount = 1 WHERE member_id = 5 AND period_id = 1',
                 '55000', NULL, 'a locked quota cannot be updated');
SELECT is(lock_quotas(2025), 64::bigint, 'lock_quotas locks the 64 other quotas of the year (13 team, 51 rep rows)');
SELECT lives_ok($$SELECT * FROM sales_supervisor.allocate_quotas(2025, 400000, basis => 'equal', seasonal => 'flat')$$,
                'allocating again over locked quotas works');
SELECT is((SELECT count(*) FROM audit_log WHERE table_name = 'quota' AND action = 'UPDATE'
             AND (old_row ->> 'amount') IS DISTINCT FROM (new_row ->> 'amount')), 0::bigint,
          'no locked amount was ever rewritten');

-- ---------------------------------------------------------------- refund across a locked period
INSERT INTO commission_plan (member_id, period_id, tiers) SELECT m, q, 'marginal[(0,0.01)]' FROM generate_series(2, 5) m, generate_series(2, 3) q;
SELECT throws_ok('SELECT * FROM sales_supervisor.run_commission(3)', '55000',
                 'commission period 3 starts on 2025-04-01, but the sale dates from 2025-01-01 are not credited yet',
                 'periods run in date order: Q2 cannot run before Q1');
SELECT results_eq($$SELECT member_id, credited, payout FROM run_commission(2) ORDER BY 1$$,
                  $$VALUES (2, 100000.00, 1000.00), (3, 100000.00, 1000.00), (4, 160000.00, 1600.00), (5, 20000.00, 200.00)$$,
                  'Q1 commission');
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of) VALUES
  (6, '2025-04-02', 4, 4, 1, -10000, 4), (7, '2025-03-20', 5, 5, 1, 5000, NULL);
SELECT results_eq($$SELECT member_id, credited, payout FROM run_commission(3) ORDER BY 1$$,
                  $$VALUES (2, 0::numeric, 0.00), (3, 0, 0.00), (4, -10000.00, 0.00), (5, 5000.00, 50.00)$$,
                  'Q2: the refund reduces Q2 (net below 0 pays 0); the late Q1 sale is credited in Q2');
SELECT results_eq($$SELECT period_id, member_id, kind, sum(lines)::int, sum(amount) FROM commission_credit
                    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3$$,
                  $$VALUES (2, 2, 'sales', 1, 100000.00), (2, 3, 'sales', 1, 100000.00), (2, 4, 'sales', 2, 160000.00),
                           (2, 5, 'sales', 1, 20000.00), (3, 4, 'refunds', 1, -10000.00), (3, 5, 'late_sales', 1, 5000.00)$$,
                  'the ledger: Q1 sales per rep; in Q2 the reversal of the refunded sale and the late Q1 sale');
SELECT results_eq($$SELECT period_id, sale_id, member_id, amount, kind FROM commission_credit_line
                    WHERE sale_id IN (4, 6, 7) ORDER BY sale_id$$,
                  $$VALUES (2, 4::bigint, 4, 10000.00, 'sales'), (3, 6, 4, -10000.00, 'refunds'), (3, 7, 5, 5000.00, 'late_sales')$$,
                  'the lines behind it: the sale in Q1, its refund and the late sale in Q2');
SELECT results_eq($$SELECT sale_id, credited_period_id FROM commission_late_sale$$, $$VALUES (7::bigint, 3)$$,
                  'the late sale was queued when inserted and credited by the Q2 run');
SELECT throws_ok('UPDATE sales_supervisor.commission_credit SET amount = 0', '42501', NULL, 'credit lines are append-only');
SELECT throws_ok('DELETE FROM sales_supervisor.commission_payout', '42501', NULL, 'payout lines are append-only');
SELECT throws_ok('SELECT * FROM sales_supervisor.run_commission(2)', '55000', 'commission period 2 is locked',
                 'a locked period is not run again');

-- ---------------------------------------------------------------- appraisal
SELECT is(open_appraisal_cycle(2025, 'A 2025', 1, 5,
  '{"sales_rep": {"team_performance": 30, "individual_performance": 50, "customer_satisfaction": 20},
    "sales_customer_supervisor": {"team_performance": 50, "team_management": 30, "customer_satisfaction": 20}}'), 1, 'opened');
INSERT INTO kpi_definition (kpi_id, code, name, metric, curve, component) VALUES
  (1, 'sales', 'Sales', 'sales_amount', 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (2, 'team', 'Team', 'team_sales_amount', 'linear[(0,0),(1,100),(2,200)]', 'team_performance');
INSERT INTO kpi_weight VALUES (1, 'sales_rep', 1, 100), (1, 'sales_customer_supervisor', 2, 100);
INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct) VALUES
  (1, 'A', 1, 25), (1, 'B', 2, 25), (1, 'C', 3, 25), (1, 'D', 4, 25);
SELECT start_appraisal_reviews(1);

SET LOCAL ROLE ss_rule_rep;
SELECT throws_ok('SELECT * FROM sales_supervisor.close_appraisal_cycle(1)', '42501', NULL, 'a rep cannot close a cycle');
SELECT throws_ok('SELECT * FROM sales_supervisor.allocate_quotas(2025, 1)', '42501', NULL, 'a rep cannot allocate quotas');
RESET ROLE;
SELECT throws_ok($$SELECT * FROM sales_supervisor.close_appraisal_cycle(1, login => 'ss_rule_sup')$$, '42501',
                 'role "ss_rule_sup" may not close an appraisal cycle', 'a supervisor cannot close a cycle');

CREATE TEMP TABLE first_close AS SELECT * FROM close_appraisal_cycle(1, login => 'ss_rule_hr');
SELECT results_eq(
  $$SELECT member_id, team_performance, individual_performance, team_management, customer_satisfaction,
           final_score, rank, percentile, grade FROM first_close ORDER BY 1$$,
  $$VALUES (1, 93.75::float8, NULL::float8, NULL::float8, 75::float8, 88.392857::float8, 1, 100.00, 'A'),
           (2, 93.75, 83.3333, NULL, 100, 89.79165, 1, 100.00, 'A'),
           (3, 93.75, 83.3333, NULL, 100, 89.79165, 1, 100.00, 'A'),
           (4, 93.75, 100, NULL, 50, 88.125, 3, 33.33, 'C'),
           (5, 93.75, 62.5, NULL, NULL, 74.21875, 4, 0.00, 'D')$$,
  'components, renormalised finals, tied ranks and grades as worked out above');
SELECT is((SELECT count(*) FROM first_close f
           WHERE abs(f.final_score - (
             SELECT sum(v.s * w.weight) / sum(w.weight)
             FROM (VALUES ('team_performance'::appraisal_component, f.team_performance),
                          ('individual_performance', f.individual_performance),
                          ('team_management', f.team_management),
                          ('customer_satisfaction', f.customer_satisfaction)) v(c, s)
             JOIN appraisal_component_weight w ON w.cycle_id = 1 AND w.level = f.level AND w.component = v.c
             WHERE v.s IS NOT NULL)) > 1e-6), 0::bigint,
          'every final score = sum(component x weight) / sum(weight) over the components present');
SELECT is((SELECT team_management FROM first_close WHERE member_id = 1), NULL::float8,
          'a supervisor with no reviews has no team-management score');

-- closing twice gives the same result
SELECT results_eq('SELECT * FROM sales_supervisor.close_appraisal_cycle(1)', 'SELECT * FROM first_close',
                  'closing a closed cycle returns the stored results unchanged');

-- immutable for every role
SELECT throws_ok('UPDATE sales_supervisor.appraisal_result SET grade = ''B'' WHERE cycle_id = 1 AND member_id = 5',
                 '55000', 'appraisal cycle 1 is closed: its appraisal_result rows cannot be inserted, updated or deleted',
                 'the owner cannot update a closed result');
SET LOCAL ROLE ss_rule_hr;
SELECT throws_ok('UPDATE sales_supervisor.appraisal_result SET grade = ''B'' WHERE cycle_id = 1 AND member_id = 5',
                 '55000', NULL, 'HR cannot update a closed result');
SELECT throws_ok('DELETE FROM sales_supervisor.kpi_result WHERE cycle_id = 1', '55000', NULL,
                 'HR cannot delete closed KPI results');
RESET ROLE;
SET LOCAL ROLE ss_rule_mgr;
SELECT throws_ok('UPDATE sales_supervisor.appraisal_result SET grade = ''B'' WHERE cycle_id = 1', '42501', NULL,
                 'a manager cannot update a result');
RESET ROLE;
SET LOCAL ROLE ss_rule_sup;
SELECT throws_ok('UPDATE sales_supervisor.appraisal_result SET grade = ''B'' WHERE cycle_id = 1', '42501', NULL,
                 'a supervisor cannot update a result');
RESET ROLE;
SET LOCAL ROLE ss_rule_rep;
SELECT throws_ok('UPDATE sales_supervisor.appraisal_result SET grade = ''A'' WHERE cycle_id = 1', '42501', NULL,
                 'a rep cannot update a result');
RESET ROLE;
SELECT throws_ok('UPDATE sales_supervisor.appraisal_consequence SET raise_pct = 50 WHERE cycle_id = 1', '55000', NULL,
                 'the consequences of a closed cycle are frozen');
SELECT throws_ok($$SELECT * FROM sales_supervisor.score_kpis(1)$$, '55000',
                 'appraisal cycle 1 is closed: its KPI results are frozen', 'KPIs of a closed cycle are not rescored');

-- reopen (audited) and close again: the same scores and grades
SELECT lives_ok($$SELECT sales_supervisor.reopen_appraisal_cycle(1, 'recheck', 'ss_rule_hr')$$, 'HR reopens the cycle');
SELECT is((SELECT count(*) FROM audit_log WHERE table_name = 'appraisal_cycle' AND action = 'REOPEN' AND reason = 'recheck'),
          1::bigint, 'the reopen is audited');
SELECT results_eq(
  $$SELECT member_id, team_performance, individual_performance, team_management, customer_satisfaction, final_score,
           rank, percentile, grade FROM sales_supervisor.close_appraisal_cycle(1) ORDER BY 1$$,
  $$SELECT member_id, team_performance, individual_performance, team_management, customer_satisfaction, final_score,
           rank, percentile, grade FROM first_close ORDER BY 1$$,
  'recomputing after a reopen gives the same scores, ranks and grades (ties included)');
SELECT is((SELECT state FROM appraisal_cycle WHERE cycle_id = 1), 'closed'::cycle_state, 'closed again');

-- grades per team instead of per level: the supervisor and the four reps of
-- team 1 are one group of 5: 1.25 per grade, the spare to A -> A 2, B 1, C 1, D 1
-- in score order 89.79165 (2, 3: peers, both A), 88.392857 (1: B), 88.125 (4: C), 74.21875 (5: D)
SELECT reopen_appraisal_cycle(1, 'per team', 'ss_rule_hr');
SELECT results_eq($$SELECT member_id, rank, percentile, grade FROM close_appraisal_cycle(1, group_by => 'team') ORDER BY 1$$,
                  $$VALUES (1, 3, 50.00, 'B'), (2, 1, 100.00, 'A'), (3, 1, 100.00, 'A'), (4, 4, 25.00, 'C'), (5, 5, 0.00, 'D')$$,
                  'forced distribution per team');
SELECT throws_ok($$SELECT * FROM sales_supervisor.calibrate_appraisal_cycle(1, group_by => 'region')$$, '22023',
                 'group_by must be level or team, got region', 'an unknown grouping is refused');

-- forecast accuracy (a second 2025 cycle may be opened once the first is closed):
-- rep 2 forecast Q1 50 000 then 90 000 (the latest counts) and Q2 10 000; credited
-- Q1 100 000, Q2 0 -> wape = (10 000 + 10 000) / 100 000 = 0.2; target 0.25, lower
-- is better -> attainment 2 - 0.2 / 0.25 = 1.2 -> 120 points.  Rep 3 has no
-- forecast: no row.
SELECT is(open_appraisal_cycle(2025, 'A 2025 bis', 1, 5, '{"sales_rep": {"individual_performance": 100}}'), 2,
          'a second cycle of the year opens once the first is closed');
INSERT INTO kpi_definition (kpi_id, code, name, metric, higher_is_better, curve) VALUES
  (3, 'wape', 'Forecast error', 'forecast_wape', false, 'linear[(0,0),(1,100),(2,200)]');
INSERT INTO kpi_weight VALUES (2, 'sales_rep', 3, 100);
INSERT INTO kpi_target VALUES (2, 3, 'sales_rep', 0.25);
INSERT INTO forecast (member_id, period_id, amount, submitted_at) VALUES
  (2, 2, 50000, '2024-12-20'), (2, 2, 90000, '2024-12-28'), (2, 3, 10000, '2025-03-25');
SELECT results_eq($$SELECT member_id, kpi_id, actual, target, attainment, round(score::numeric, 4) FROM score_kpis(2)$$,
                  $$VALUES (2, 3, 0.200000, 0.25, 1.200000, 120.0000)$$,
                  'forecast_wape: latest forecast per quarter against credited sales, lower is better');
-- (issue 16) a member reads their own results once the closed cycle is published
SET LOCAL ROLE ss_rule_rep;
SELECT is((SELECT array_agg(member_id) FROM sales_supervisor.appraisal_consequence), NULL,
          'a rep sees no appraisal consequence of the closed cycle before it is published, not even their own');
RESET ROLE;
SELECT lives_ok($$SELECT sales_supervisor.publish_appraisal_cycle(1, login => 'ss_rule_hr')$$, 'HR publishes cycle 1');
SET LOCAL ROLE ss_rule_rep;
SELECT is((SELECT array_agg(member_id) FROM sales_supervisor.appraisal_consequence), ARRAY[2],
          'a rep sees only their own appraisal consequence');
RESET ROLE;

-- a team of only new hires still gets its whole target (the ramp cannot cap
-- anyone when nobody uncapped is left): 2026, equal weights, team 1 (reps 2..5)
-- and team 2 (rep 6, hired 2026-06-01): 400 000 -> 320 000 / 80 000; rep 6 = 80 000,
-- spread over June..December by season x ramp (nothing before June).
INSERT INTO team (team_id, name) VALUES (2, 'Two');
INSERT INTO member (member_id, full_name, level, team_id, hire_date) VALUES (6, 'R6', 'sales_rep', 2, '2026-06-01');
INSERT INTO fiscal_period (period_id, kind, fiscal_year, month, start_on, end_on)
SELECT 100, 'year'::period_kind, 2026, NULL::smallint, date '2026-01-01', date '2026-12-31'
UNION ALL
SELECT 100 + m, 'month', 2026, m::smallint, make_date(2026, m, 1), (make_date(2026, m, 1) + interval '1 month' - interval '1 day')::date
FROM generate_series(1, 12) m;
INSERT INTO seasonal_distribution SELECT 'flat', 2026, m, (ARRAY[10,10,10,10,10,10,5,5,5,5,10,10])[m]
FROM generate_series(1, 12) m;
SELECT results_eq($$SELECT coalesce(team_id, 0), coalesce(member_id, 0), amount
                    FROM allocate_quotas(2026, 400000, basis => 'equal', seasonal => 'flat') ORDER BY 1, 2$$,
                  $$VALUES (0, 2, 80000::numeric), (0, 3, 80000), (0, 4, 80000), (0, 5, 80000), (0, 6, 80000),
                           (1, 0, 320000), (2, 0, 80000)$$,
                  'a team of only new hires gets its whole target');
SELECT results_eq($$SELECT sum(amount) FILTER (WHERE period_id < 106), sum(amount), min(method), max(method)
                    FROM quota WHERE member_id = 6 AND period_id > 100$$,
                  $$VALUES (0.00, 80000.00, 'ramp', 'ramp')$$,
                  'the new hire''s months: nothing before June, 80 000 in all, method ramp');

-- ---------------------------------------------------------------- credited lines are history
-- (after the close, so the KPIs above are not moved)
SELECT throws_ok('UPDATE sales_supervisor.sale SET amount = 1 WHERE sale_id = 1', '55000',
                 'sales line 1 is credited in a locked commission period: UPDATE is not allowed',
                 'a credited line''s amount cannot change');
SELECT throws_ok('DELETE FROM sales_supervisor.sale WHERE sale_id = 7', '55000',
                 'sales line 7 is credited in a locked commission period: DELETE is not allowed',
                 'a credited late line cannot be deleted');
SELECT lives_ok('UPDATE sales_supervisor.sale SET category_id = 1, customer_id = 3 WHERE sale_id = 1',
                'its customer and category can be corrected');
SELECT throws_ok('INSERT INTO sales_supervisor.sale_credit VALUES (1, 2, 50), (1, 3, 50)', '55000',
                 'sales line 1 is credited in a locked commission period: its split cannot change',
                 'a credited line cannot be split afterwards');
SELECT throws_ok('SELECT * FROM sales_supervisor.run_commission(7)', '55000',
                 'commission period 7 ends on 2025-02-28, within the sale dates already credited (through 2025-06-30)',
                 'periods run in date order: February cannot run after Q2');
SELECT throws_ok('SELECT * FROM sales_supervisor.run_commission(101)', '55000',
                 'commission period 101 would leave the sale dates 2025-07-01 .. 2025-12-31 uncredited',
                 'a new fiscal year cannot start while periods of the last one are not run');
-- a Q3 line (not credited yet) moved into Q1 is queued; moved back out, unqueued; in again, queued
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES (8, '2025-08-10', 2, 2, 1, 1000);
UPDATE sale SET sold_on = '2025-02-10' WHERE sale_id = 8;
SELECT is((SELECT count(*) FROM commission_late_sale WHERE sale_id = 8 AND credited_period_id IS NULL), 1::bigint,
          'a line moved into a credited window is queued as late');
UPDATE sale SET sold_on = '2025-08-11' WHERE sale_id = 8;
SELECT is((SELECT count(*) FROM commission_late_sale WHERE sale_id = 8), 0::bigint, 'moved back out, it is unqueued');
UPDATE sale SET sold_on = '2025-01-20' WHERE sale_id = 8;
SELECT results_eq($$SELECT member_id, credited, payout FROM run_commission(4)$$, $$VALUES (2, 1000.00, 10.00)$$,
                  'the Q3 run credits it once, as late, and pays it at the plan of Q1, where it was sold (no Q3 plan): 1 % of 1 000.00');
SELECT results_eq($$SELECT for_period_id, amount, plan_version, cause FROM commission_payout WHERE period_id = 4$$,
                  $$VALUES (2, 10.00, 1, 'credit 100000.00 -> 101000.00 (late lines)')$$,
                  'an adjustment line for Q1 names the plan version and the cause');
SELECT results_eq($$SELECT period_id, member_id, kind, sum(amount)::numeric(16,2), count(*)::int FROM commission_credit_line GROUP BY 1, 2, 3
                    ORDER BY 1, 2, 3$$,
                  $$SELECT period_id, member_id, kind, sum(amount), sum(lines)::int FROM commission_credit
                    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3$$,
                  'the lines behind the ledger add up to it, per period, rep and kind');

-- whatever this scenario did, money and quota are conserved (as the owner)
RESET ROLE;
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()',
                'conservation_violations() finds nothing at the end of the scenario');

SELECT * FROM finish();
ROLLBACK;
