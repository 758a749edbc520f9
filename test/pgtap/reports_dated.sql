-- Reporting views by the team in force on the date a row is about
-- (member_assignment, as member_team_days() reads it), not today's team:
-- v_rep_sales_month (sale date), v_pipeline (expected close, future-dated
-- transfers included), v_forecast_accuracy (the day the latest forecast was
-- submitted), v_team_scorecard (members on the year's last day, forecasts on
-- the day submitted, work reports on the due date) and v_pay_summary (team and
-- level on the year's last day, a leaver's last assignment).  Every number is
-- worked out by hand below; every test fails on the views by today's team
-- (0.3.0 before this change), as noted at each one.
--
-- ORG (fiscal year 2025, calendar months: period 1 the year, 2..5 the
-- quarters, 6..17 the months -- Q1 is period 2, Q2 period 3, May period 10)
--   teams 1 North, 2 South (both departments, no subtree)
--   1 Ann rep, hired 2024-01-01, North; moves to South on 2025-05-17 (dated
--     in the past: member.team_id is South at once)
--   2 Bob rep, hired 2024-01-01, South; moves to North on the 17th of next
--     month (:fut, future-dated: member.team_id stays South today)
--   3 Cat rep, hired 2024-01-01, South; moves to North on 2025-03-17; left on
--     2025-09-30 (her last assignment: North)
--   4 Dan rep, hired 2024-01-01, North; left on 2026-03-31 (after the year)
--   5 Eve rep, hired 2026-02-01 (after the year), North
--   6 Fay rep, hired 2024-01-01, North; from 2026-02-01 South at level
--     sales_customer_supervisor (today: South, supervisor)
--   today's team: North Dan, Eve, Cat; South Ann, Bob, Fay
-- SALES (no split, customer c1)
--   s1 Ann 2025-03-10   500.00 (North)
--   s2 Ann 2025-05-16 1 000.00 (North: the day before her transfer)
--   s3 Ann 2025-05-17 2 000.00 (South: the day of it)
--   s4 Bob 2025-05-20 4 000.00 (South)
--   s5 Dan 2025-05-05   300.00 (North)
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';     -- forecast.submitted_at::date is read in the session time zone
SELECT plan(9);

-- the 17th of next month, the day of Bob's future transfer; its month
SELECT (date_trunc('month', current_date) + interval '1 month 16 days')::date AS fut,
       (date_trunc('month', current_date) + interval '1 month')::date AS fut_month \gset

-- ---------------------------------------------------------------- the org
INSERT INTO team (team_id, name) VALUES (1, 'North'), (2, 'South');
INSERT INTO member (member_id, full_name, level, team_id, hire_date, left_on, active) VALUES
  (1, 'Ann', 'sales_rep', 1, '2024-01-01', NULL, true),
  (2, 'Bob', 'sales_rep', 2, '2024-01-01', NULL, true),
  (3, 'Cat', 'sales_rep', 2, '2024-01-01', '2025-09-30', false),
  (4, 'Dan', 'sales_rep', 1, '2024-01-01', '2026-03-31', false),
  (5, 'Eve', 'sales_rep', 1, '2026-02-01', NULL, true),
  (6, 'Fay', 'sales_rep', 1, '2024-01-01', NULL, true);
\ir include/fiscal_2025.sql
-- transfers as HR records them (the test runs as the owner); a date up to
-- today shows in member at once, a future one from its day on
SELECT transfer_member(1, 2, '2025-05-17', 'moved to South') AS t1,
       transfer_member(3, 1, '2025-03-17', 'moved to North') AS t3,
       transfer_member(6, 2, '2026-02-01', 'leads in South', 'sales_customer_supervisor') AS t6,
       transfer_member(2, 1, :'fut', 'moves to North next month') AS t2 \gset
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id) VALUES (1, 'c1', 'A', 2, 2), (2, 'c2', 'A', 1, 5);
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES
  (1, '2025-03-10', 1, 1, 1, 500), (2, '2025-05-16', 1, 1, 1, 1000), (3, '2025-05-17', 1, 1, 1, 2000),
  (4, '2025-05-20', 2, 1, 1, 4000), (5, '2025-05-05', 4, 1, 1, 300);
REFRESH MATERIALIZED VIEW v_credited_sales_daily;

-- ---------------------------------------------------------------- v_rep_sales_month
-- Ann: March 500 (North); May 1 000 in North (the 16th) and 2 000 in South
-- (the 17th): two rows for May.  Bob May 4 000 South, Dan May 300 North.
-- (by today's team: Ann's rows all South, May one row of 3 000)
SELECT results_eq($$SELECT member_id, full_name, team_id, month, credited_amount, sales_lines, refund_lines, split_lines
                    FROM v_rep_sales_month ORDER BY member_id, month, team_id$$,
  $$VALUES (1, 'Ann', 1, date '2025-03-01', 500.00::numeric(38,2), 1::bigint, 0::bigint, 0::bigint),
           (1, 'Ann', 1, '2025-05-01', 1000.00, 1, 0, 0),
           (1, 'Ann', 2, '2025-05-01', 2000.00, 1, 0, 0),
           (2, 'Bob', 2, '2025-05-01', 4000.00, 1, 0, 0),
           (4, 'Dan', 1, '2025-05-01', 300.00, 1, 0, 0)$$,
  'v_rep_sales_month: each month by the team on the sale date, the month of a transfer one row per team');

-- ---------------------------------------------------------------- v_pipeline
-- Bob: o1 expected the day before his transfer (:fut - 1), 1 000 at 50 %
-- (South), o2 on its day, 3 000 at 20 % (North): one row per team in that
-- month, weighted 500.00 and 600.00.  Ann: o3 won, expected 2025-05-10, 800
-- (North then).  (by today's team: Bob one South row 4 000 / 1 100, Ann South)
INSERT INTO opportunity (opportunity_id, customer_id, member_id, name, stage, amount, probability, created_on, expected_close, closed_on) VALUES
  (1, 1, 2, 'o1', 'proposal', 1000, 50, current_date, :'fut'::date - 1, NULL),
  (2, 1, 2, 'o2', 'proposal', 3000, 20, current_date, :'fut', NULL),
  (3, 1, 1, 'o3', 'won', 800, 100, '2025-04-01', '2025-05-10', '2025-05-12');
SELECT results_eq($$SELECT member_id, team_id, stage::text, expected_close_month, opportunities, amount, weighted_amount
                    FROM v_pipeline ORDER BY member_id, team_id$$,
  format($$VALUES (1, 1, 'won', date '2025-05-01', 1::bigint, 800.00::numeric(38,2), 800.00::numeric(38,2)),
                  (2, 1, 'proposal', %1$L, 1, 3000.00, 600.00),
                  (2, 2, 'proposal', %1$L, 1, 1000.00, 500.00)$$, :'fut_month'),
  'v_pipeline: each opportunity by the team on its expected close, a future-dated transfer included');

-- ---------------------------------------------------------------- forecasts
--   f1 Ann Q1   400  submitted 2025-01-05 (North)
--   f2 Ann May 2 500 submitted 2025-05-10 (North; not her latest for May)
--   f3 Ann May 2 800 submitted 2025-05-20 (South)
--   f4 Bob May 3 000 submitted 2025-04-28 (South)
--   f5 Ann Q2 2 500 submitted 2025-06-01 (South)
--   f6 Bob Q2 5 000 submitted 2025-04-01 (South)
-- actuals: Ann Q1 500, Q2 1 000 + 2 000 = 3 000, May 3 000; Bob Q2 and May 4 000
INSERT INTO forecast (member_id, period_id, amount, submitted_at) VALUES
  (1, 2, 400, '2025-01-05 12:00+00'), (1, 10, 2500, '2025-05-10 12:00+00'), (1, 10, 2800, '2025-05-20 12:00+00'),
  (2, 10, 3000, '2025-04-28 12:00+00'), (1, 3, 2500, '2025-06-01 12:00+00'), (2, 3, 5000, '2025-04-01 12:00+00');
-- Q1 North: f1; |400 - 500| / 500 = 0.2, bias -100 / 500 = -0.2, mape 0.2
-- Q2 South: f5, f6; wape (500 + 1 000) / 7 000 = 0.2142857 -> 0.214286,
--   bias (-500 + 1 000) / 7 000 = 0.0714286 -> 0.071429,
--   mape (500/3 000 + 1 000/4 000) / 2 = 0.2083333 -> 0.208333
-- May South: f3, f4; wape (200 + 1 000) / 7 000 = 0.1714286 -> 0.171429,
--   bias -1 200 / 7 000 -> -0.171429, mape (200/3 000 + 1 000/4 000) / 2 = 0.1583333 -> 0.158333
-- (by today's team: Q1 in South)
SELECT results_eq($$SELECT period_id, team_id, team_name, forecasts, forecast_total, actual_total, wape, forecast_bias, mape
                    FROM v_forecast_accuracy ORDER BY period_id, team_id$$,
  $$VALUES (2, 1, 'North', 1::bigint, 400.00::numeric(38,2), 500.00::numeric(38,2), 0.200000::numeric(38,6), -0.200000::numeric(38,6), 0.200000::numeric(38,6)),
           (3, 2, 'South', 2, 7500.00, 7000.00, 0.214286, 0.071429, 0.208333),
           (10, 2, 'South', 2, 5800.00, 7000.00, 0.171429, -0.171429, 0.158333)$$,
  'v_forecast_accuracy: each latest forecast for the team the rep was in the day they submitted it');

-- ---------------------------------------------------------------- v_team_scorecard 2025
-- active_members on 2025-12-31 (past): North Dan (left 2026-03-31) and Fay
-- (North until 2026-02-01) = 2; South Ann, Bob (his transfer is next month) = 2;
-- not Cat (left 2025-09-30) nor Eve (hired 2026-02-01).
-- (by today's team and active flag: North Eve = 1; South Ann, Bob, Fay = 3)
SELECT results_eq($$SELECT team_id, active_members FROM v_team_scorecard WHERE fiscal_year = 2025 ORDER BY team_id$$,
  $$VALUES (1, 2::bigint), (2, 2::bigint)$$,
  'v_team_scorecard: active_members are the members employed on the year''s last day, by their team that day');
-- forecast_wape, the year's quarters: North f1 = 0.2; South f5, f6 = 0.214286
-- (by today's team: North none, NULL; South f1, f5, f6 = 1 600 / 7 500 = 0.213333)
SELECT results_eq($$SELECT team_id, forecast_wape FROM v_team_scorecard WHERE fiscal_year = 2025 ORDER BY team_id$$,
  $$VALUES (1, 0.200000::numeric(38,6)), (2, 0.214286::numeric(38,6))$$,
  'v_team_scorecard: forecast_wape counts each latest quarterly forecast for the team on the day submitted');
-- work reports: w1 Ann due 2025-04-30, in on the 29th (North, on time);
-- w2 Ann due 2025-05-31, in 2025-06-03 (South, late); w3 Bob due 2025-05-31,
-- in on the 30th (South, on time): North 1/1 = 100.00, South 1/2 = 50.00
-- (by today's team: North none, NULL; South 2/3 = 66.67)
INSERT INTO work_report (member_id, kind, due_on, submitted_at) VALUES
  (1, 'monthly', '2025-04-30', '2025-04-29 12:00+00'), (1, 'monthly', '2025-05-31', '2025-06-03 12:00+00'),
  (2, 'monthly', '2025-05-31', '2025-05-30 12:00+00');
SELECT results_eq($$SELECT team_id, reports_on_time_pct FROM v_team_scorecard WHERE fiscal_year = 2025 ORDER BY team_id$$,
  $$VALUES (1, 100.00::numeric(5,2)), (2, 50.00::numeric(5,2))$$,
  'v_team_scorecard: reports_on_time_pct counts each work report for the team on its due date');

-- ---------------------------------------------------------------- v_pay_summary
-- 2025, team and level on 2025-12-31: Ann, Bob South rep (2); Cat North rep
-- (left: her last assignment), Dan North rep, Fay North rep (her South
-- supervisor assignment begins 2026-02-01) = 3.  Eve's 2026 pay (no fiscal
-- year 2026 in the calendar): today's team and level, North rep.
-- (by today's team and level: 2025 North rep Cat, Dan = 2; South rep 2;
--  South supervisor Fay 1)
INSERT INTO pay (member_id, fiscal_year, base_salary, commission, year_end_bonus) VALUES
  (1, 2025, 50000, 1000, 2000), (2, 2025, 60000, 2000, 3000), (3, 2025, 40000, 500, 0),
  (4, 2025, 45000, 0, 0), (6, 2025, 55000, 100, 1000), (5, 2026, 30000, 0, 0);
SELECT results_eq($$SELECT fiscal_year, team_id, team_name, level::text, headcount FROM v_pay_summary ORDER BY 1, 2, 4$$,
  $$VALUES (2025, 1, 'North', 'sales_rep', 3::bigint), (2025, 2, 'South', 'sales_rep', 2), (2026, 1, 'North', 'sales_rep', 1)$$,
  'v_pay_summary: team and level on the year''s last day (a leaver''s last), else today''s');
-- North reps 2025 (Cat, Dan, Fay): base 40 000 + 45 000 + 55 000 = 140 000.00,
-- average 46 666.67; commission 500 + 0 + 100 = 600.00; bonus 1 000.00; total
-- 141 600.00, average 47 200.00.  (by today's team: a group of 2, no amounts)
SELECT results_eq($$SELECT base_salary_total, base_salary_avg, commission_total, year_end_bonus_total, total_pay, total_pay_avg
                    FROM v_pay_summary WHERE fiscal_year = 2025 AND team_id = 1$$,
  $$VALUES (140000.00::numeric(38,2), 46666.67::numeric(38,2), 600.00::numeric(38,2), 1000.00::numeric(38,2),
            141600.00::numeric(38,2), 47200.00::numeric(38,2))$$,
  'v_pay_summary: the year-end group of three shows its amounts');

-- v_rep_attainment: the team and level on the period's last day.  Ann (sales
-- in March and May) was in North on March 31 and in South on May 31 and on
-- the year's last day; the view by today's team says South for all three.
SELECT results_eq($$SELECT period_id, team_id, level::text FROM v_rep_attainment
                    WHERE member_id = 1 AND period_id IN (1, 8, 10) ORDER BY period_id$$,
                  $$VALUES (1, 2, 'sales_rep'), (8, 1, 'sales_rep'), (10, 2, 'sales_rep')$$,
                  'v_rep_attainment: Ann in North for March, in South for May and for the year');
SELECT * FROM finish();
ROLLBACK;
