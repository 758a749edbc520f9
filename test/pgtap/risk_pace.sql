-- Pace to quota and team risk (issue 19, parts 2 and 3) on a hand-made org.
--
-- Calendar 2025 (include/fiscal_2025.sql): Q2 = period 3 (Apr 1 .. Jun 30),
-- April = 9, May = 10, June = 11.  Seasonal distribution 'default' for 2025:
-- Jan..Dec = 5 5 5 | 10 10 40 | 5 5 5 | 5 2.5 2.5 -- Q2 is back-loaded (June
-- carries 40 of its 60).  KPI sales_amount curve linear[(0.8,0),(0.8,50),(1.2,130)]:
-- kpi_gate = 0.8 (no team_sales_amount KPI: teams take the same gate).
-- Settings: pipeline_weight 0.2, below_gate_months 2, no_training_months 6.
--
-- Teams 1 North (led by member 1), 2 South (led by 2).  Reps 3 Ann, 4 Bob in
-- team 1; reps 5 Cat, 6 Dan in team 2.
-- Quotas: Q2 (period 3): rep 3 100000, rep 4 100000, rep 5 50000, team 1 200000;
-- April (9) / May (10): rep 3 20000 / 15000, rep 4 30000 / 30000; June (11):
-- team 1 60000.
-- Sales: rep 4 Apr 10 5000; rep 3 Apr 15 20000, May 20 15000; rep 5 May 2 30000.
-- Opportunity: rep 3, created May 1, 10000 at 40 %, expected Jun 20 -> 4000 weighted.
--
-- Pace as of 2025-05-31, quarter: share = (10 x 1 + 10 x 1 + 40 x 0) / 60 = 1/3
-- (0.333333333333 to 12 decimals; (1 - s) / s = 2.000000000003).
--   rep 3: 35000 + 0.8 x 35000 x 2 + 0.2 x 4000 = 35000 + 56000 + 800 = 91800.00,
--          attainment 0.918 >= 0.8: not flagged.  Ahead of pace: sales 35000 >
--          pace 100000 / 3 = 33333.33 (a straight line by days would project
--          35000 x 91 / 61 = 52213 -> 0.52, below the gate).
--   rep 4: 5000 + 0.8 x 5000 x 2 = 13000.00 -> 0.13 < 0.8: flagged.
--   rep 5: 30000 + 0.8 x 30000 x 2 = 78000.00 -> 1.56.
--   team 1: sales 40000, pipeline 4000: 40000 + 64000 + 800 = 104800.00 -> 0.524: flagged.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(44);

INSERT INTO team (team_id, name) VALUES (1, 'North'), (2, 'South');
INSERT INTO member (member_id, full_name, level, team_id, hire_date, login_role) VALUES
  (1, 'Sam', 'sales_customer_supervisor', 1, '2019-01-01', 'ss_pace_1'),
  (2, 'Sue', 'sales_customer_supervisor', 2, '2019-01-01', 'ss_pace_2'),
  (3, 'Ann', 'sales_rep', 1, '2021-01-10', 'ss_pace_3'),
  (4, 'Bob', 'sales_rep', 1, '2020-01-01', NULL),
  (5, 'Cat', 'sales_rep', 2, '2021-01-01', NULL),
  (6, 'Dan', 'sales_rep', 2, '2025-03-01', NULL);
INSERT INTO team_leader (team_id, member_id) VALUES (1, 1), (2, 2);
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since) VALUES
  (1, 'c1', 'A', 1, 3, '2020-01-01'), (2, 'c2', 'A', 1, 4, '2020-01-01'), (3, 'c3', 'A', 2, 5, '2020-01-01');
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
\ir include/fiscal_2025.sql
INSERT INTO seasonal_distribution (name, fiscal_year, month, share_pct)
SELECT 'default', 2025, m, (ARRAY[5, 5, 5, 10, 10, 40, 5, 5, 5, 5, 2.5, 2.5])[m] FROM generate_series(1, 12) m;
INSERT INTO kpi_definition (kpi_id, code, name, metric, curve) VALUES
  (1, 'sales_amount', 'Sales', 'sales_amount', 'linear[(0.8,0),(0.8,50),(1.2,130)]');
INSERT INTO quota (period_id, member_id, team_id, amount, method) VALUES
  (3, 3, NULL, 100000, 'manual'), (3, 4, NULL, 100000, 'manual'), (3, 5, NULL, 50000, 'manual'),
  (3, NULL, 1, 200000, 'manual'),
  (9, 3, NULL, 20000, 'manual'), (10, 3, NULL, 15000, 'manual'),
  (9, 4, NULL, 30000, 'manual'), (10, 4, NULL, 30000, 'manual'),
  (11, NULL, 1, 60000, 'manual');
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES
  (1, '2025-04-10', 4, 2, 1, 5000), (2, '2025-04-15', 3, 1, 1, 20000), (3, '2025-05-20', 3, 1, 1, 15000),
  (4, '2025-05-02', 5, 3, 1, 30000);
INSERT INTO opportunity (customer_id, member_id, name, stage, amount, probability, created_on, expected_close)
VALUES (1, 3, 'renewal', 'proposal', 10000, 40, '2025-05-01', '2025-06-20');
INSERT INTO training_session (session_id, title, held_on, hours) VALUES (1, 'negotiation', '2025-03-01', 4),
  (2, 'crm', '2025-02-01', 4);
INSERT INTO training_attendance (session_id, member_id, attended) VALUES (1, 3, true), (2, 5, true), (1, 4, false);
INSERT INTO team_opening (team_id, opened_on, reason) VALUES (1, '2025-05-15', 'leaver not yet replaced');
UPDATE pace_team_setting SET pipeline_weight = 0.2, below_gate_months = 2, no_training_months = 6;
-- reviews of rep 4 in two closed cycles (written with the triggers off: a cycle starts open and
-- closes through its steps; only its closed state matters here): 2023 by supervisor 1: 4 and 4
-- (mean 4.00); 2024 by supervisor 1: 3 and 4 (mean 3.50), and by one peer, rep 3: 1 and 1 -- a peer
-- group of 1 < min_anonymous_reviews 3, left out (with it the mean would be 2.25).
SET LOCAL session_replication_role = replica;
INSERT INTO appraisal_cycle (cycle_id, fiscal_year, name, state, closed_at) VALUES
  (1, 2023, 'Appraisal 2023', 'closed', '2024-01-10'), (2, 2024, 'Appraisal 2024', 'closed', '2025-01-10');
INSERT INTO review (review_id, cycle_id, reviewer_id, reviewee_id, rater_role) VALUES
  (1, 1, 1, 4, 'supervisor'), (2, 2, 1, 4, 'supervisor'), (3, 2, 3, 4, 'peer');
INSERT INTO review_score (review_id, criterion, score) VALUES
  (1, 'results', 4), (1, 'teamwork', 4), (2, 'results', 3), (2, 'teamwork', 4), (3, 'results', 1), (3, 'teamwork', 1);
SET LOCAL session_replication_role = origin;

-- ---- the gate of a curve
SELECT is(kpi_gate('linear[(0.5,0),(1,100),(1.5,150)]'), 0.5, 'kpi_gate: linear from (0.5, 0)');
SELECT is(kpi_gate('linear[(0.8,0),(0.8,50),(1.2,130)]'), 0.8, 'kpi_gate: a jump at 0.8');
SELECT is(kpi_gate('step[(0.8,60),(1,100)]'), 0.8, 'kpi_gate: step, nothing below the first x');
SELECT is(kpi_gate('linear[(0,10),(1,100)]'), 0::numeric, 'kpi_gate: scores from the start, no gate');
SELECT is(kpi_gate('linear[(0,0),(1,0)]'), NULL, 'kpi_gate: never scores');

-- ---- pace as of 2025-05-31, quarter (hand-computed in the header)
CREATE TEMP TABLE pace_may AS
SELECT subject, member_id, team_id, quota, sales_to_date, seasonal_share, pace_amount, pipeline, projected,
       projected_attainment, band_low, gate, below_gate, reason
FROM pace_to_quota('2025-05-31', 'quarter');
SELECT results_eq(
  'SELECT subject, member_id, team_id, sales_to_date, seasonal_share, pace_amount, pipeline, projected, projected_attainment, below_gate FROM pace_may ORDER BY subject, member_id, team_id',
  $$VALUES ('rep', 3, 1, 35000.00, 0.333333, 33333.33, 4000.00, 91800.00, 0.918000, false),
           ('rep', 4, 1, 5000.00, 0.333333, 33333.33, 0.00, 13000.00, 0.130000, true),
           ('rep', 5, 2, 30000.00, 0.333333, 16666.67, 0.00, 78000.00, 1.560000, false),
           ('team', NULL, 1, 40000.00, 0.333333, 66666.67, 4000.00, 104800.00, 0.524000, true)$$,
  'pace as of 2025-05-31: rep 3 ahead of pace in the back-loaded quarter (not flagged), rep 4 and team 1 below the gate');
SELECT ok((SELECT sales_to_date > pace_amount FROM pace_may WHERE member_id = 3), 'rep 3 is ahead of the seasonal pace');
SELECT is((SELECT reason FROM pace_may WHERE member_id = 4),
  'projected 0.13 of quota at period end (sales to date 5000.00, 33.3 % of the quota normally sold by now, weighted open pipeline 0.00), below the gate 0.80',
  'rep 4: the reason in words');
SELECT is((SELECT count(*)::int FROM pace_may WHERE gate = 0.8 AND band_low IS NULL), 4,
  'gate 0.8 from the KPI curve everywhere; no band without 3 earlier quarters');

-- ---- property: no row after the date counts (future sale, opportunity, relief, quota period unchanged)
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES
  (10, '2025-06-01', 3, 1, 1, 7000), (11, '2025-06-15', 4, 2, 1, 90000);
INSERT INTO opportunity (customer_id, member_id, name, stage, amount, probability, created_on, expected_close)
VALUES (2, 4, 'late', 'proposal', 50000, 90, '2025-06-02', '2025-06-25');
SELECT set_eq('SELECT subject, member_id, team_id, quota, sales_to_date, seasonal_share, pace_amount, pipeline, projected, projected_attainment, band_low, gate, below_gate, reason FROM pace_to_quota(''2025-05-31'', ''quarter'')',
              'SELECT * FROM pace_may',
              'pace as of 2025-05-31 unchanged by sales and opportunities dated after it');

-- ---- property: on the last day the projection is the actual attainment
-- (Q2 actual: rep 3 20000 + 15000 + 7000 = 42000 / 100000; rep 4 5000 + 90000 = 95000 / 100000;
--  rep 5 30000 / 50000; team 1 137000 / 200000)
SELECT results_eq(
  'SELECT member_id, team_id, projected, projected_attainment, below_gate FROM pace_to_quota(''2025-06-30'', ''quarter'') ORDER BY subject, member_id, team_id',
  $$VALUES (3, 1, 42000.00, 0.420000, false), (4, 1, 95000.00, 0.950000, false), (5, 2, 30000.00, 0.600000, false),
           (NULL, 1, 137000.00, 0.685000, false)$$,
  'on the quarter''s last day the projection is the actual attainment, and nothing is flagged');
SELECT is((SELECT count(*)::int FROM pace_to_quota('2025-06-30', 'quarter') p
           WHERE p.projected_attainment <> round((SELECT sum(s.amount) FROM sale s
                                                  WHERE s.sold_on BETWEEN '2025-04-01' AND '2025-06-30'
                                                    AND (s.member_id = p.member_id
                                                         OR (p.member_id IS NULL AND s.member_id IN (3, 4))))
                                                 / p.quota, 6)),
          0, 'last day: every projected attainment = the plain sum of the quarter''s lines / quota');

-- ---- team risk as of 2025-06-10 (N = 2 months, M = 6 months)
-- rep 4: April 5000 / 30000 = 0.17, May 0 / 30000 = 0.00, both < 0.8; rep 3: 1.00 and 1.00.
-- rep 4 never attended a training (absent on March 1), hired 2020: flagged; rep 3 trained
-- 2025-03-01, rep 5 2025-02-01 (after 2024-12-10); rep 6 hired 2025-03-01, under 6 months.
-- team 1: one open position since 2025-05-15, June quota 60000.00, reps 3 and 4 in post.
SELECT results_eq(
  'SELECT team_id, member_id, risk, value, reason FROM team_risk(''2025-06-10'')',
  $$VALUES (1, NULL::integer, 'open_positions', 1::numeric,
            '1 open position(s) since 2025-05-15; the team''s quota of 60000.00 for 2025-06 is carried by 2 rep(s) in post'),
           (1, 4, 'below_gate', 0.17,
            'attainment below the gate 0.80 in each of the last 2 ended months (2025-04: 0.17, 2025-05: 0.00)'),
           (1, 4, 'falling_reviews', 0.50, 'mean review score 3.50 in 2024, down from 4.00 in 2023'),
           (1, 4, 'no_training', NULL, 'no training attended on record (hired 2020-01-01)')$$,
  'team 1: rep 4 far below the gate two months running (with that reason), falling reviews (the lone peer left out), no training, an open position');

-- ---- the daily job's tables
-- May 31: the month May (quotas of reps 3 and 4: 2 rows), the quarter (4 rows), the year
-- (no quota of its own: the sum of the month quotas within it -- rep 3 35000, rep 4 60000,
-- team 1 60000: 3 rows).  Year, rep 4: share (5+5+5+10+10)/100 = 0.35, projected
-- 5000 + 0.8 x 5000 x 0.65 / 0.35 = 12428.57 -> 0.21 < 0.8: flagged too.
SELECT is(flag_pace_snapshot('2025-05-31'), 9::bigint, 'flag_pace_snapshot: 2 month + 4 quarter + 3 year rows');
SELECT is((SELECT string_agg(period_kind || ':' || subject || ':' || subject_id, ',' ORDER BY period_kind, subject, subject_id)
           FROM pace_snapshot WHERE below_gate AND flagged_on = '2025-05-31'),
          'year:rep:4,quarter:rep:4,quarter:team:1', 'flagged below the gate mid-period: rep 4 (quarter, year) and team 1 (quarter)');
SELECT is((SELECT projected FROM pace_snapshot WHERE period_kind = 'year' AND subject = 'rep' AND subject_id = 4),
          12428.57, 'year, rep 4: the quota is the sum of its month quotas');
SELECT is(flag_team_risk('2025-06-10'), 4::bigint, 'flag_team_risk: the 4 team risks');
SELECT is(refresh_pace_backtest('2025-06-10'), 4::bigint, 'backtest: one row per week of the ended months');
-- ended months with rep quotas: April (reps 3, 4), May (reps 3, 4). Week 4 (28th day):
-- April 28 / May 28 -- every sale of those months is dated by then but May 20's is in
-- week 3 of May, so week 4 projections: April: rep 3 20000 + 0.8 x 20000 x (2/28) / (28/30) ...
-- (only checked for coverage: 4 projections per week)
SELECT is((SELECT string_agg(week_of_period || ':' || projections, ',' ORDER BY week_of_period) FROM v_pace_backtest),
          '1:4,2:4,3:4,4:4', 'backtest: 4 rep-month projections in each week');

-- ---- as each role (SET ROLE to logins mapped to members)
CREATE ROLE ss_pace_1 NOLOGIN; CREATE ROLE ss_pace_2 NOLOGIN; CREATE ROLE ss_pace_3 NOLOGIN;
CREATE ROLE ss_pace_hr NOLOGIN; CREATE ROLE ss_pace_bi NOLOGIN;
GRANT sales_supervisor_supervisor TO ss_pace_1, ss_pace_2;
GRANT sales_supervisor_rep TO ss_pace_3;
GRANT sales_supervisor_hr TO ss_pace_hr;
GRANT sales_supervisor_bi TO ss_pace_bi;

SET ROLE ss_pace_3;
SELECT results_eq('SELECT subject, member_id FROM pace_to_quota(''2025-05-31'', ''quarter'')',
                  $$VALUES ('rep', 3)$$, 'rep 3 sees only their own pace');
SELECT results_eq('SELECT subject, subject_id FROM pace_snapshot ORDER BY 1, 2', $$VALUES ('rep', 3), ('rep', 3), ('rep', 3)$$,
                  'rep 3 reads only their own snapshot rows (month, quarter, year)');
SELECT throws_ok('SELECT * FROM team_risk(''2025-06-10'')', '42501', NULL, 'a rep may not call team_risk');
SELECT throws_ok('SELECT * FROM team_risk_flag', '42501', NULL, 'a rep may not read team_risk_flag');
SELECT throws_ok('SELECT * FROM team_opening', '42501', NULL, 'a rep may not read team_opening');
RESET ROLE;

SET ROLE ss_pace_1;
SELECT results_eq('SELECT subject, member_id, team_id FROM pace_to_quota(''2025-05-31'', ''quarter'')',
                  $$VALUES ('rep', 3, 1), ('rep', 4, 1), ('team', NULL, 1)$$,
                  'supervisor 1 sees the reps and the team they lead, not team 2');
SELECT results_eq('SELECT risk FROM team_risk(''2025-06-10'')',
                  $$VALUES ('open_positions'), ('below_gate'), ('falling_reviews'), ('no_training')$$, 'supervisor 1 sees team 1''s risks');
SELECT is((SELECT count(*)::int FROM team_risk_flag), 4, 'supervisor 1 reads team 1''s 4 flags');
RESET ROLE;

SET ROLE ss_pace_2;
SELECT results_eq('SELECT subject, member_id FROM pace_to_quota(''2025-05-31'', ''quarter'')',
                  $$VALUES ('rep', 5)$$, 'supervisor 2 sees rep 5 only');
SELECT is((SELECT count(*)::int FROM team_risk('2025-06-10')), 0, 'supervisor 2: no risk in team 2');
SELECT is((SELECT count(*)::int FROM team_risk_flag), 0, 'supervisor 2 reads none of team 1''s flags');
RESET ROLE;

SET ROLE ss_pace_hr;
SELECT is((SELECT count(*)::int FROM pace_to_quota('2025-05-31', 'quarter')), 4, 'HR sees every pace row');
SELECT is((SELECT count(*)::int FROM team_risk_flag), 4, 'HR reads every team risk flag');
RESET ROLE;

SET ROLE ss_pace_bi;
SELECT is((SELECT count(*)::int FROM v_team_risk), 4, 'BI reads v_team_risk');
SELECT throws_ok('SELECT * FROM pace_snapshot', '42501', NULL, 'BI reads no raw table');
RESET ROLE;

-- ---- property: the one-pass credit (booked, then split lines moved) equals credited_sales
-- a split line booked to rep 4 on May 25, 1000.01 split 50 / 50 with rep 3, and a refund of half of it
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES
  (20, '2025-05-25', 4, 2, 1, 1000.01);
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of) VALUES
  (21, '2025-06-02', 4, 2, 1, -500.01, 20);
INSERT INTO sale_credit (sale_id, member_id, share_pct) VALUES (20, 3, 50), (20, 4, 50), (21, 3, 50), (21, 4, 50);
SELECT set_eq(
  $$SELECT member_id, to_date, total FROM pace_points_sales(ARRAY[3, 11], ARRAY['2025-05-31', '2025-06-10']::date[], '2025-06-30')
    WHERE k = 1$$,
  $$SELECT member_id, sum(amount) FILTER (WHERE sold_on <= '2025-05-31') AS to_date, sum(amount) AS total
    FROM credited_sales('2025-04-01', '2025-06-30') GROUP BY 1$$,
  'pace sales of a split line and its refund = credited_sales, to date and whole');
SELECT is((SELECT string_agg(member_id || ':' || amount, ',' ORDER BY member_id) FROM credited_sales('2025-05-25', '2025-05-25')),
          '3:500.01,4:500.00', '(the split line credits 500.01 and 500.00: the case is not trivial)');

-- ---- settings validation and argument checks
SELECT throws_ok('UPDATE pace_team_setting SET pipeline_weight = 2', '22023',
                 'pace_team_setting: pipeline_weight must be within 0..1, got 2', 'settings: weight out of range');
SELECT throws_ok('UPDATE pace_team_setting SET below_gate_months = 0', '22023',
                 'pace_team_setting: below_gate_months must be within 1..24, got 0', 'settings: N out of range');
SELECT throws_ok('UPDATE pace_team_setting SET no_training_months = NULL', '22004',
                 'pace_team_setting: only gate_attainment may be null', 'settings: NULL refused');
SELECT throws_ok('SELECT * FROM pace_to_quota(NULL)', '22004', NULL, 'pace_to_quota: NULL date refused');
SELECT throws_ok('SELECT * FROM pace_to_quota(''2030-01-01'')', 'P0002',
                 'no fiscal period of kind month holds 2030-01-01', 'pace_to_quota: no period');

-- ---- the daily job runs and is logged like the others (as of today: the 2025 calendar has no
-- period holding it, so no pace rows; the backtest covers the ended months of 2025)
SELECT results_eq($$SELECT job_name, status FROM execute_job('risk_pace_team')$$,
                  $$VALUES ('risk_pace_team', 'success')$$, 'job risk_pace_team: a successful run, logged');

-- Without pace_team_setting's row (only the owner can delete it) every entry
-- point refuses with 55000 instead of answering with no rows.
DELETE FROM pace_team_setting;
SELECT throws_ok($$SELECT * FROM pace_to_quota('2025-06-15', 'month')$$, '55000', NULL,
                 'pace_to_quota without settings: 55000, not an empty answer');
SELECT throws_ok($$SELECT * FROM team_risk('2025-06-15')$$, '55000', NULL,
                 'team_risk without settings: 55000');
INSERT INTO pace_team_setting DEFAULT VALUES;

SELECT * FROM finish();
ROLLBACK;
