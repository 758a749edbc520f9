-- The sales year end to end on a small org whose every number is worked out
-- by hand below and checked exactly.
--
-- ORG (fiscal year 2025, both teams are departments, no team above them)
--   team 1 North: 1 Sam (supervisor, leads team 1, hired 2019-01-01)
--                 3 Ann (rep, 2021-01-10), 4 Bob (rep, 2022-06-01), 5 Cat (rep, new hire 2025-03-10)
--   team 2 South: 2 Sue (supervisor, leads team 2, hired 2020-03-15)
--                 6 Dan (rep, 2020-01-01), 7 Eve (rep, 2023-02-01)
--   customers: Ann c1 (A) c2 (B) c3 (C, new 2025-05-01); Bob c4 (A) c5 (C);
--              Cat c6 (B) c7 (B, new 2025-04-01); Dan c8 (A) c9 (B) c10 (C, new 2025-02-01);
--              Eve c11 (B) c12 (C).  Tiers: A every 90 days, B 180, C 365.
--   seasonal 'plan' 2025, percent by month: 5 5 10 10 5 5 10 10 5 5 10 20 (= 100).
--
-- QUOTAS: allocate_quotas(2025, 1 200 000, history, over_assignment {0,10}).
--   2024 sales (history): Ann 300 000, Bob 200 000, Dan 250 000, Eve 250 000.
--   Cat has none: she weighs as team 1's average rep, (300 000 + 200 000) / 2 = 250 000.
--   Team weights: team 1 = 750 000, team 2 = 500 000 (of 1 250 000).
--   Company -> teams (over 0 %): team 1 = 1 200 000 x 750/1250 = 720 000; team 2 = 480 000.
--   Team 1 -> reps (over 10 %): 792 000 by 300:200:250.
--     Cat's ramp (25/50/75/100 % in her 1st..4th month; hired in March):
--       factor = (Mar 10 x .25 + Apr 10 x .5 + May 5 x .75 + Jun..Dec 5+10+10+5+5+10+20) / 100
--              = (2.5 + 5 + 3.75 + 65) / 100 = 0.7625
--       unconstrained share 792 000 x 250/750 = 264 000; upper = floor(0.7625 x 264 000) = 201 300.
--     Water-filling: Cat = 201 300; the rest 590 700 by 3:2 -> Ann 354 420, Bob 236 280.
--   Team 2 -> reps: 528 000 by 1:1 -> Dan 264 000, Eve 264 000.
--   Months: team 1 720 000 -> 5 % = 36 000, 10 % = 72 000, 20 % = 144 000;
--           Ann 354 420 -> 17 721 / 35 442 / 70 884; Bob 236 280 -> 11 814 / 23 628 / 47 256;
--           Cat 201 300 by season x ramp (sum 76.25, 2 640 per point):
--             Jan 0, Feb 0, Mar 6 600, Apr 13 200, May 9 900, Jun 13 200, Jul 26 400,
--             Aug 26 400, Sep 13 200, Oct 13 200, Nov 26 400, Dec 52 800 (method ramp).
--
-- SALES 2025 (credited; one split, one full and one partial refund)
--   Ann 200 000 (Jan 20) + 183 861.99 (Jun 30) + 60 % of the split 10 000.01 (Apr 15)
--       split in cents: 1 000 001 x .6 = 600 000.6, x .4 = 400 000.4 -> floors 600 000 + 400 000,
--       the spare cent to the larger remainder: Ann 6 000.01, Bob 4 000.00.
--       Ann = 389 862.00 -> attainment 389 862 / 354 420 = 1.1
--   Bob 108 652 (May 5) + 100 000 (Dec 1) + 4 000 = 212 652 -> 0.9
--   Cat 41 560 (Apr 10) + 200 000 (Sep 9) = 241 560 -> 241 560 / 201 300 = 1.2
--   Dan 150 000 (Feb 10) + 114 000 (Jul 15) + 6 000 (Aug 5) - 6 000 (Aug 20, full refund) = 264 000 -> 1
--   Eve 100 000 (Mar 3) + 100 000 (Nov 11) - 2 000 (Nov 25, partial refund) = 198 000 -> 0.75
--   Team 1 = 844 074 / 720 000 = 1.172325; team 2 = 462 000 / 480 000 = 0.9625.
--
-- KPIs (weights for reps: K1 40, K2..K6 10 each -- individual; K7 10 -- customer satisfaction;
--       supervisors: K8 60 team performance, K9 40 customer satisfaction)
--   curves: K1, K8 linear[(0.5,0),(1,100),(1.5,150)]; the others linear[(0,0),(1,100),(2,200)] (= 100 x att)
--   K1 sales_amount, K2 new_customers (target 1), K3 visit_completion, K4 feedback_hours
--   (target 48, lower is better: att = max(0, 2 - hours/48)), K5 training_hours (target 16),
--   K6 on_time_reports, K7 csat (target 80), K8 team_sales_amount, K9 nps (target 40).
--   visits (done capped at the cadence / required = floor(days active in 2025 / every_days)):
--     Ann c1 3 of 4, c2 2 of 2, c3 1 of 0 (245 days < 365) -> 5/6;  Bob c4 4/4, c5 2 of 1 -> 5/5;
--     Cat c6 1/2, c7 1 of 1 (275 days / 180) -> 2/3;  Dan c8 4/4, c9 2/2, c10 0 of 0 (334 days) -> 6/6;
--     Eve c11 0/2 (+1 only planned), c12 1/1 -> 1/3.
--   feedback hours: Ann 24 -> 1.5; Bob 96 -> 0; Cat none (no row: weight drops out);
--     Dan (12 + 60) / 2 = 36 -> 1.25; Eve 1 unresolved, opened Dec 30 00:00 -> counted to Jan 1: 48 -> 1.
--   training hours 2025 (a 2024 session does not count): Ann 8 + 4 = 12, Bob 8, Cat 4 (the
--     8-hour session she did not attend does not count), Dan 12, Eve 8.
--   reports on time: Ann 4/4, Bob 3/4, Cat 1/3, Dan 4/4, Eve 2/4.
--   CSAT (% of 4-5): Ann 5,4,4,2 -> 75; Bob 5,5 -> 100; Cat none; Dan 5,4,3,2,1 -> 40; Eve 4 x5 -> 100.
--   NPS: team 1 (Sam's scope c1..c7): 10,9,7,3,10,10 -> (4 - 1) / 6 = 50 -> att 1.25;
--        team 2: 9,8,6,5,10,9,9,7,0,10 -> (5 - 3) / 10 = 20 -> att 0.5.
--
--        K1     K2    K3       K4     K5    K6       K7
--   Ann  110    100   83.3333  150    75    100      93.75
--   Bob   80      0   100        0    50     75      125
--   Cat  120    100   66.6667   -     25     33.3333  -
--   Dan  100    100   100      125    75    100       50
--   Eve   50      0   33.3333  100    50     50      125
--   Sam K8 117.2325, K9 125;  Sue K8 92.5, K9 50.
--
-- COMPONENTS (capped at 100)
--   individual = sum(score x w) / sum(w) over K1..K6 present:
--     Ann (4400 + 1000 + 833.333 + 1500 + 750 + 1000) / 90 = 105.37 -> 100
--     Bob (3200 + 0 + 1000 + 0 + 500 + 750) / 90 = 60.555556
--     Cat (4800 + 1000 + 666.667 + 250 + 333.333) / 80 = 88.125  (K4 missing: 80, not 90)
--     Dan (4000 + 1000 + 1000 + 1250 + 750 + 1000) / 90 = 100
--     Eve (2000 + 0 + 333.333 + 1000 + 500 + 500) / 90 = 48.148144
--   customer satisfaction (K7): Ann 93.75, Bob 100, Cat NULL, Dan 50, Eve 100; Sam 100 (K9 125), Sue 50.
--   team performance: Sam 100 (117.2325), Sue 92.5; reps take their team's: team 1 100, team 2 92.5.
--   team management (Sam and Sue only), reviews on 1..5, score = mean of criteria:
--     Sam wrote Ann 5, Bob 4, Cat 4 (supervisor), Sue 3 (peer);  Sue wrote Dan 3, Eve 2 (supervisor), Sam 2 (peer);
--     Ann wrote Sam 4 (subordinate);  Bob wrote Sam 5 (subordinate), Ann 4 (peer);
--     Cat wrote Sam 3 (subordinate);  Dan wrote Sue 4 (subordinate), Eve 4 (peer);  Eve wrote Sue 2 (subordinate).
--     Anonymity threshold (issue 16; the cycle's min_anonymous_reviews, default 3): a peer or
--     subordinate group of fewer than 3 reviews is withheld everywhere.  Withheld: the single peer
--     review of each of Sam (Sue's), Sue (Sam's), Ann (Bob's), Eve (Dan's), and Sue's 2 subordinate
--     reviews (Dan's, Eve's).  Kept: Sam's 3 subordinate reviews and the 5 supervisor reviews.
--     (Before issue 16 Sue's team_management was computed from those 2 subordinate reviews, 37.5,
--     and Sam's 64.583333 took Sue's peer review in: final scores were Sam 89.375, Sue 67.5.)
--     Calibration over the 8 kept reviews: global mean (5 + 4 + 4 + 3 + 2 + 4 + 5 + 3) / 8 = 3.75;
--     only Sam (3 reviews) and Sue (2) have 2 or more, and they reviewed no leader.
--       of Sam: Ann 4, Bob 5, Cat 3 (1 kept review each: as written) -> 0..100: 75, 100, 50;
--         trimmed_mean(k = 1) drops 100 and 50: 75
--       of Sue: nothing left -> team_management NULL, the final score renormalised over tp and cs
--     (self reviews do not count: Ann's self review of 5 changes nothing)
-- FINAL (component weights: reps tp 20, ip 60, cs 20; supervisors tp 50, tm 30, cs 20)
--   Ann (2000 + 6000 + 1875) / 100 = 98.75;  Bob (2000 + 3633.33336 + 2000) / 100 = 76.333334
--   Cat (2000 + 5287.5) / 80 = 91.09375 (no customer satisfaction: renormalised over 80)
--   Dan (1850 + 6000 + 1000) / 100 = 88.5;  Eve (1850 + 2888.88864 + 2000) / 100 = 67.388886
--   Sam (5000 + 2250 + 2000) / 100 = 92.5;  Sue (4625 + 1000) / 70 = 80.357142857 -> 80.357143
-- GRADES per level, A 20 / B 30 / C 40 / D 10 %:
--   5 reps -> 1, 1.5, 2, 0.5 -> floors 1,1,2,0, the spare to B (tie .5 with D, larger share):
--     Ann A (rank 1, pct 100), Cat B (2, 75), Dan B (3, 50), Bob C (4, 25), Eve C (5, 0)
--   2 supervisors -> 0.4, 0.6, 0.8, 0.2 -> C then B: Sam B (1, 100), Sue C (2, 0)
-- COMMISSION (quarters, marginal 2 % to 100 000, 3 % above, for every rep):
--   Q1 Ann 200 000 -> 5 000; Dan 150 000 -> 3 500; Eve 100 000 -> 2 000; Bob, Cat 0.
--   Q2 Ann 189 862.00 -> 2 000 + 2 695.86 = 4 695.86; Bob 112 652 -> 2 379.56; Cat 41 560 -> 831.20.
--   Q3 Dan 114 000 + 6 000 - 6 000 (reversal line) -> 2 420; Cat 200 000 -> 5 000.
--   Q4 Eve 100 000 - 2 000 (own negative line) -> 98 000 -> 1 960; Bob 100 000 -> 2 000.
--   Year: Ann 9 695.86, Bob 4 379.56, Cat 5 831.20, Dan 5 920, Eve 3 960; 15 credit lines, 1 reversal.
-- PAY (target bonus: reps 10 %, supervisors 20 % of base; company factor 1.1;
--      A x1.5 +5 000, B x1.2 +2 000, C x1.0, D x0.5 -1 000):
--   Ann 100 000 + 9 695.86 + (10 000 x 1.5 x 1.1 + 5 000 = 21 500)  = 131 195.86
--   Bob  90 000 + 4 379.56 + ( 9 000 x 1.1 = 9 900)                   = 104 279.56
--   Cat  80 000 + 5 831.20 + ( 8 000 x 1.2 x 1.1 + 2 000 = 12 560)   =  98 391.20
--   Dan  95 000 + 5 920    + ( 9 500 x 1.2 x 1.1 + 2 000 = 14 540)   = 115 460
--   Eve  85 000 + 3 960    + ( 8 500 x 1.1 = 9 350)                   =  98 310
--   Sam 200 000 + 0        + (40 000 x 1.2 x 1.1 + 2 000 = 54 800)   = 254 800
--   Sue 180 000 + 0        + (36 000 x 1.1 = 39 600)                  = 219 600
--   by level: reps 547 636.62, supervisors 474 400.
-- PROMOTIONS: rep -> supervisor needs {A,B} in 2 consecutive years and 60 months;
--   supervisor -> manager {A,B} in 1 year and 60 months.  2024 grades: Ann A, Dan A, Bob C.
--   Ann: A, A but tenure 2021-01-10 .. 2026-01-01 = 59 months -> no.  Dan: B, A, 72 months -> yes.
--   Cat: B, no 2024 grade -> no.  Sam: B, 84 months -> yes.  Sue: C -> no.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
-- other suites in this database used the identity of appraisal_cycle (sequences are not
-- rolled back): restart it so the cycle opened below is cycle 1
SELECT setval(pg_get_serial_sequence('sales_supervisor.appraisal_cycle', 'cycle_id'), 1, false) AS restart \gset
SELECT plan(45);

-- ---------------------------------------------------------------- the org
\ir include/small_org.sql

-- ---------------------------------------------------------------- 1. quotas
CREATE TEMP TABLE q_out AS
SELECT * FROM allocate_quotas(2025, 1200000, basis => 'history', over_assignment_pct => '{0,10}', seasonal => 'plan');

SELECT results_eq(
  $$SELECT coalesce(team_id, 0), coalesce(member_id, 0), amount::numeric, method FROM q_out ORDER BY 1, 2$$,
  $$VALUES (0, 3, 354420::numeric, 'history'), (0, 4, 236280, 'history'), (0, 5, 201300, 'history'),
           (0, 6, 264000, 'history'), (0, 7, 264000, 'history'),
           (1, 0, 720000, 'top_down'), (2, 0, 480000, 'top_down')$$,
  'yearly quotas: teams 720 000 / 480 000, reps 354 420 / 236 280 / 201 300 (ramp-capped) / 264 000 / 264 000');
SELECT is((SELECT ramp_factor FROM q_out WHERE member_id = 5), 0.762500, 'Cat''s ramp factor is 0.7625');
SELECT is((SELECT weight FROM q_out WHERE member_id = 5), 250000::numeric, 'Cat weighs as her team''s average rep');
SELECT results_eq(
  $$SELECT q.member_id, q.team_id, fp.month::int, q.amount, q.method FROM quota q JOIN fiscal_period fp USING (period_id)
    WHERE fp.kind = 'month' AND (q.member_id IN (3, 5) OR q.team_id = 1) ORDER BY 1 NULLS LAST, 2, 3$$,
  $$VALUES (3, NULL::int, 1, 17721.00, 'seasonal'), (3, NULL, 2, 17721, 'seasonal'), (3, NULL, 3, 35442, 'seasonal'),
           (3, NULL, 4, 35442, 'seasonal'), (3, NULL, 5, 17721, 'seasonal'), (3, NULL, 6, 17721, 'seasonal'),
           (3, NULL, 7, 35442, 'seasonal'), (3, NULL, 8, 35442, 'seasonal'), (3, NULL, 9, 17721, 'seasonal'),
           (3, NULL, 10, 17721, 'seasonal'), (3, NULL, 11, 35442, 'seasonal'), (3, NULL, 12, 70884, 'seasonal'),
           (5, NULL, 1, 0, 'ramp'), (5, NULL, 2, 0, 'ramp'), (5, NULL, 3, 6600, 'ramp'), (5, NULL, 4, 13200, 'ramp'),
           (5, NULL, 5, 9900, 'ramp'), (5, NULL, 6, 13200, 'ramp'), (5, NULL, 7, 26400, 'ramp'),
           (5, NULL, 8, 26400, 'ramp'), (5, NULL, 9, 13200, 'ramp'), (5, NULL, 10, 13200, 'ramp'),
           (5, NULL, 11, 26400, 'ramp'), (5, NULL, 12, 52800, 'ramp'),
           (NULL, 1, 1, 36000, 'seasonal'), (NULL, 1, 2, 36000, 'seasonal'), (NULL, 1, 3, 72000, 'seasonal'),
           (NULL, 1, 4, 72000, 'seasonal'), (NULL, 1, 5, 36000, 'seasonal'), (NULL, 1, 6, 36000, 'seasonal'),
           (NULL, 1, 7, 72000, 'seasonal'), (NULL, 1, 8, 72000, 'seasonal'), (NULL, 1, 9, 36000, 'seasonal'),
           (NULL, 1, 10, 36000, 'seasonal'), (NULL, 1, 11, 72000, 'seasonal'), (NULL, 1, 12, 144000, 'seasonal')$$,
  'monthly quotas of Ann (season), Cat (season x ramp) and team 1 (season)');
SELECT is((SELECT count(*) FROM quota q JOIN member m USING (member_id) JOIN fiscal_period fp USING (period_id)
           WHERE fp.kind = 'month'
             AND q.amount <> (ARRAY[5,5,10,10,5,5,10,10,5,5,10,20])[fp.month]
                             * (SELECT y.amount FROM quota y WHERE y.member_id = q.member_id AND y.period_id = 1) / 100
             AND q.member_id IN (4, 6, 7)),
          0::bigint, 'Bob, Dan and Eve: each month is exactly its seasonal share');
SELECT results_eq($$SELECT team_id, team_quota, rep_quota_sum FROM quota_rollup WHERE period_id = 1 ORDER BY 1$$,
                  $$VALUES (1, 720000.00, 792000.00), (2, 480000.00, 528000.00)$$,
                  'team targets roll up: the reps carry 110 % of each team''s target');

-- ---------------------------------------------------------------- 2. KPIs
INSERT INTO appraisal_cycle (cycle_id, fiscal_year, name, state, rating_scale_min, rating_scale_max)
VALUES (2024, 2024, 'Appraisal 2024', 'open', 1, 5);
SELECT is(open_appraisal_cycle(2025, 'Appraisal 2025', 1, 5,
  '{"sales_rep": {"team_performance": 20, "individual_performance": 60, "customer_satisfaction": 20},
    "sales_customer_supervisor": {"team_performance": 50, "team_management": 30, "customer_satisfaction": 20}}'),
  1, 'cycle 2025 opened');
INSERT INTO kpi_definition (kpi_id, code, name, metric, higher_is_better, curve, component) VALUES
  (1, 'sales', 'Sales', 'sales_amount', true, 'linear[(0.5,0),(1,100),(1.5,150)]', 'individual_performance'),
  (2, 'new_cust', 'New customers', 'new_customers', true, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (3, 'visits', 'Return visits', 'visit_completion', true, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (4, 'feedback', 'Feedback hours', 'feedback_hours', false, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (5, 'training', 'Training', 'training_hours', true, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (6, 'reports', 'Reports on time', 'on_time_reports', true, 'linear[(0,0),(1,100),(2,200)]', 'individual_performance'),
  (7, 'csat', 'CSAT', 'csat', true, 'linear[(0,0),(1,100),(2,200)]', 'customer_satisfaction'),
  (8, 'team_sales', 'Team sales', 'team_sales_amount', true, 'linear[(0.5,0),(1,100),(1.5,150)]', 'team_performance'),
  (9, 'nps', 'NPS', 'nps', true, 'linear[(0,0),(1,100),(2,200)]', 'customer_satisfaction');
INSERT INTO kpi_weight (cycle_id, level, kpi_id, weight)
SELECT 1, 'sales_rep'::member_level, k, CASE k WHEN 1 THEN 40 ELSE 10 END FROM generate_series(1, 7) k
UNION ALL SELECT 1, 'sales_customer_supervisor', 8, 60
UNION ALL SELECT 1, 'sales_customer_supervisor', 9, 40;
INSERT INTO kpi_target (cycle_id, kpi_id, level, target) VALUES
  (1, 2, 'sales_rep', 1), (1, 4, 'sales_rep', 48), (1, 5, 'sales_rep', 16), (1, 7, 'sales_rep', 80),
  (1, 9, 'sales_customer_supervisor', 40);
INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct, raise_pct, bonus_multiplier, reward_or_penalty) VALUES
  (1, 'A', 1, 20, 8, 1.5, 5000), (1, 'B', 2, 30, 5, 1.2, 2000), (1, 'C', 3, 40, 3, 1.0, 0), (1, 'D', 4, 10, 0, 0.5, -1000);
SELECT lives_ok('SELECT sales_supervisor.start_appraisal_reviews(1)', 'reviews start (weights sum to 100)');

CREATE TEMP TABLE k_out AS SELECT * FROM score_kpis(1);
SELECT results_eq(
  $$SELECT member_id, kpi_id, actual, target, attainment, round(score::numeric, 4) FROM k_out ORDER BY 1, 2$$,
  $$VALUES (1, 8, 844074.00, 720000.00, 1.172325, 117.2325), (1, 9, 50.0000, 40, 1.250000, 125.0000),
           (2, 8, 462000.00, 480000.00, 0.962500, 92.5000), (2, 9, 20.0000, 40, 0.500000, 50.0000),
           (3, 1, 389862.00, 354420.00, 1.100000, 110.0000), (3, 2, 1, 1, 1.000000, 100.0000),
           (3, 3, 5, 6, 0.833333, 83.3333), (3, 4, 24.0000, 48, 1.500000, 150.0000),
           (3, 5, 12.00, 16, 0.750000, 75.0000), (3, 6, 4, 4, 1.000000, 100.0000),
           (3, 7, 75.0000, 80, 0.937500, 93.7500),
           (4, 1, 212652.00, 236280.00, 0.900000, 80.0000), (4, 2, 0, 1, 0.000000, 0.0000),
           (4, 3, 5, 5, 1.000000, 100.0000), (4, 4, 96.0000, 48, 0.000000, 0.0000),
           (4, 5, 8.00, 16, 0.500000, 50.0000), (4, 6, 3, 4, 0.750000, 75.0000),
           (4, 7, 100.0000, 80, 1.250000, 125.0000),
           (5, 1, 241560.00, 201300.00, 1.200000, 120.0000), (5, 2, 1, 1, 1.000000, 100.0000),
           (5, 3, 2, 3, 0.666667, 66.6667), (5, 5, 4.00, 16, 0.250000, 25.0000),
           (5, 6, 1, 3, 0.333333, 33.3333),
           (6, 1, 264000.00, 264000.00, 1.000000, 100.0000), (6, 2, 1, 1, 1.000000, 100.0000),
           (6, 3, 6, 6, 1.000000, 100.0000), (6, 4, 36.0000, 48, 1.250000, 125.0000),
           (6, 5, 12.00, 16, 0.750000, 75.0000), (6, 6, 4, 4, 1.000000, 100.0000),
           (6, 7, 40.0000, 80, 0.500000, 50.0000),
           (7, 1, 198000.00, 264000.00, 0.750000, 50.0000), (7, 2, 0, 1, 0.000000, 0.0000),
           (7, 3, 1, 3, 0.333333, 33.3333), (7, 4, 48.0000, 48, 1.000000, 100.0000),
           (7, 5, 8.00, 16, 0.500000, 50.0000), (7, 6, 2, 4, 0.500000, 50.0000),
           (7, 7, 100.0000, 80, 1.250000, 125.0000)$$,
  'every KPI of every member: actual, target, attainment and score as worked out above');
SELECT is((SELECT count(*) FROM kpi_result WHERE cycle_id = 1), 37::bigint, 'score_kpis stored 37 results');

-- ---------------------------------------------------------------- 3. commission
INSERT INTO commission_plan (member_id, period_id, tiers)
SELECT m, q, 'marginal[(0,0.02),(100000,0.03)]' FROM generate_series(3, 7) m, generate_series(2, 5) q;
CREATE TEMP TABLE c_out AS
SELECT q AS quarter, r.* FROM generate_series(2, 5) q, LATERAL run_commission(q) r;
SELECT results_eq(
  $$SELECT quarter - 1, member_id, credited, payout FROM c_out WHERE credited <> 0 OR payout <> 0 ORDER BY 1, 2$$,
  $$VALUES (1, 3, 200000.00, 5000.00), (1, 6, 150000.00, 3500.00), (1, 7, 100000.00, 2000.00),
           (2, 3, 189862.00, 4695.86), (2, 4, 112652.00, 2379.56), (2, 5, 41560.00, 831.20),
           (3, 5, 200000.00, 5000.00), (3, 6, 114000.00, 2420.00),
           (4, 4, 100000.00, 2000.00), (4, 7, 98000.00, 1960.00)$$,
  'quarterly credit and tiered payout per rep');
SELECT results_eq($$SELECT sale_id, member_id, share_pct, amount, period_id FROM commission_credit_line WHERE sale_id = 13 ORDER BY 2$$,
                  $$VALUES (13::bigint, 3, 60.00, 6000.01, 3), (13, 4, 40.00, 4000.00, 3)$$,
                  'the split sale is credited 6 000.01 / 4 000.00 (the spare cent to the larger share)');
SELECT results_eq($$SELECT sale_id, member_id, amount, kind, period_id FROM commission_credit_line
                    WHERE sale_id IN (18, 19, 22) ORDER BY sale_id$$,
                  $$VALUES (18::bigint, 6, 6000.00, 'sales', 4), (19, 6, -6000.00, 'refunds', 4), (22, 7, -2000.00, 'refunds', 5)$$,
                  'a full and a partial refund are credited back (negative) in the period they are dated in');
-- the ledger: per quarter and rep, one sales line and one refunds line (lines = credited sales lines;
-- the split sale 13 counts once for Ann and once for Bob)
SELECT results_eq($$SELECT period_id, member_id, kind, sum(lines)::int, sum(amount) FROM commission_credit
                    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3$$,
                  $$VALUES (2, 3, 'sales', 1, 200000.00), (2, 6, 'sales', 1, 150000.00), (2, 7, 'sales', 1, 100000.00),
                           (3, 3, 'sales', 2, 189862.00), (3, 4, 'sales', 2, 112652.00), (3, 5, 'sales', 1, 41560.00),
                           (4, 5, 'sales', 1, 200000.00), (4, 6, 'refunds', 1, -6000.00), (4, 6, 'sales', 2, 120000.00),
                           (5, 4, 'sales', 1, 100000.00), (5, 7, 'refunds', 1, -2000.00), (5, 7, 'sales', 1, 100000.00)$$,
                  'the credit ledger per quarter, rep and kind');
SELECT results_eq($$SELECT sold_in, lines, amount FROM commission_credit WHERE period_id = 3 AND member_id = 3 ORDER BY 1$$,
                  $$VALUES (date '2025-04-01', 1, 6000.01), (date '2025-06-01', 1, 183861.99)$$,
                  '... kept per month of sale: Ann''s Q2 is her April share of the split sale and her June sale');
SELECT is((SELECT sum(amount) FROM commission_credit), 1306074.00, 'the credit lines add up to the 2025 sales');
SELECT is((SELECT array_agg(period_id ORDER BY period_id) FROM commission_period_lock), ARRAY[2, 3, 4, 5],
          'the four quarters are locked');

-- ---------------------------------------------------------------- 4. appraisal
INSERT INTO review (review_id, cycle_id, reviewer_id, reviewee_id, rater_role) VALUES
  (1, 1, 1, 3, 'supervisor'), (2, 1, 1, 4, 'supervisor'), (3, 1, 1, 5, 'supervisor'), (4, 1, 1, 2, 'peer'),
  (5, 1, 2, 6, 'supervisor'), (6, 1, 2, 7, 'supervisor'), (7, 1, 2, 1, 'peer'),
  (8, 1, 3, 1, 'subordinate'), (9, 1, 4, 1, 'subordinate'), (10, 1, 4, 3, 'peer'),
  (11, 1, 5, 1, 'subordinate'), (12, 1, 6, 2, 'subordinate'), (13, 1, 6, 7, 'peer'),
  (14, 1, 7, 2, 'subordinate'), (15, 1, 3, 3, 'self');
INSERT INTO review_score (review_id, criterion, score)
SELECT v.r, c.criterion, CASE WHEN v.r = 8 THEN c.alt ELSE v.s END
FROM (VALUES (1, 5), (2, 4), (3, 4), (4, 3), (5, 3), (6, 2), (7, 2), (8, 4), (9, 5), (10, 4),
             (11, 3), (12, 4), (13, 4), (14, 2), (15, 5)) v(r, s)
CROSS JOIN (VALUES ('leadership', 4.5), ('coaching', 3.5)) c(criterion, alt);

CREATE TEMP TABLE a_out AS SELECT * FROM close_appraisal_cycle(1);
SELECT results_eq(
  $$SELECT member_id, team_performance, individual_performance, team_management, customer_satisfaction,
           final_score, rank, percentile, grade FROM a_out ORDER BY member_id$$,
  $$VALUES (1, 100::float8, NULL::float8, 75::float8, 100::float8, 92.5::float8, 1, 100.00, 'B'),
           (2, 92.5, NULL, NULL, 50, 80.357143, 2, 0.00, 'C'),
           (3, 100, 100, NULL, 93.75, 98.75, 1, 100.00, 'A'),
           (4, 100, 60.555556, NULL, 100, 76.333334, 4, 25.00, 'C'),
           (5, 100, 88.125, NULL, NULL, 91.09375, 2, 75.00, 'B'),
           (6, 92.5, 100, NULL, 50, 88.5, 3, 50.00, 'B'),
           (7, 92.5, 48.148144, NULL, 100, 67.388886, 5, 0.00, 'C')$$,
  'components, final scores, ranks, percentiles and grades as worked out above');
SELECT results_eq($$SELECT member_id, withheld FROM a_out WHERE withheld <> '{}' ORDER BY member_id$$,
  $$VALUES (1, ARRAY['team_management: 1 peer review withheld (fewer than 3)']),
           (2, ARRAY['team_management: 1 peer review withheld (fewer than 3)',
                     'team_management: 2 subordinate reviews withheld (fewer than 3)',
                     'team_management withheld: the final score is renormalised over the other components'])$$,
  'the result says what the anonymity threshold withheld: Sam''s peer review, Sue''s peer and subordinate reviews');
SELECT is((SELECT state FROM appraisal_cycle WHERE cycle_id = 1), 'closed'::cycle_state, 'the cycle is closed');
SELECT results_eq($$SELECT member_id, grade, raise_pct, bonus_multiplier, reward_or_penalty
                    FROM appraisal_consequence WHERE cycle_id = 1 ORDER BY 1$$,
                  $$VALUES (1, 'B', 5.000, 1.200, 2000.00), (2, 'C', 3.000, 1.000, 0.00), (3, 'A', 8.000, 1.500, 5000.00),
                           (4, 'C', 3.000, 1.000, 0.00), (5, 'B', 5.000, 1.200, 2000.00), (6, 'B', 5.000, 1.200, 2000.00),
                           (7, 'C', 3.000, 1.000, 0.00)$$,
                  'grade policy consequences per member');
SELECT results_eq($$SELECT level::text, grade, count(*) FROM a_out GROUP BY 1, 2 ORDER BY 1, 2$$,
                  $$VALUES ('sales_customer_supervisor', 'B', 1::bigint), ('sales_customer_supervisor', 'C', 1),
                           ('sales_rep', 'A', 1), ('sales_rep', 'B', 2), ('sales_rep', 'C', 2)$$,
                  'forced distribution per level: reps 1 A / 2 B / 2 C, supervisors 1 B / 1 C');

-- ---------------------------------------------------------------- 5. promotions
-- 2024: a closed cycle with grades Ann A, Dan A, Bob C
INSERT INTO appraisal_component_weight VALUES (2024, 'sales_rep', 'individual_performance', 100),
  (2024, 'sales_customer_supervisor', 'team_performance', 100);
INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct) VALUES (2024, 'A', 1, 50), (2024, 'C', 2, 50);
UPDATE appraisal_cycle SET state = 'reviewing' WHERE cycle_id = 2024;
UPDATE appraisal_cycle SET state = 'calibrating' WHERE cycle_id = 2024;
INSERT INTO appraisal_result (cycle_id, member_id, level, individual_performance, final_score, rank, percentile, grade)
VALUES (2024, 3, 'sales_rep', 90, 90, 1, 100, 'A'), (2024, 6, 'sales_rep', 90, 90, 1, 100, 'A'),
       (2024, 4, 'sales_rep', 50, 50, 3, 0, 'C');
UPDATE appraisal_cycle SET state = 'closed' WHERE cycle_id = 2024;
INSERT INTO promotion_rule (rule_id, from_level, to_level, qualifying_grades, consecutive_years, min_tenure_months) VALUES
  (1, 'sales_rep', 'sales_customer_supervisor', '{A,B}', 2, 60),
  (2, 'sales_customer_supervisor', 'sales_manager', '{A,B}', 1, 60);
SELECT results_eq($$SELECT member_id, full_name, from_level::text, to_level::text, rule_id, reason FROM promotion_candidates(1)$$,
  $$VALUES (1, 'Sam', 'sales_customer_supervisor', 'sales_manager', 2,
            'grades B (2025) qualify ({A,B} in 1 consecutive years needed); tenure 84 months (60 needed)'),
           (6, 'Dan', 'sales_rep', 'sales_customer_supervisor', 1,
            'grades B (2025), A (2024) qualify ({A,B} in 2 consecutive years needed); tenure 72 months (60 needed)')$$,
  'candidates: Sam and Dan (Ann misses the tenure by one month, Cat the second year)');
SELECT is((SELECT count(*) FROM promotion_candidate WHERE cycle_id = 1 AND status = 'proposed'), 2::bigint,
          'both stored as proposed');
SELECT ok(approve_promotion(1, 1, 2, '2026-01-01') > 0, 'Sam''s promotion approved');
SELECT is((SELECT level FROM member WHERE member_id = 1), 'sales_manager'::member_level, 'Sam is now a sales manager');
SELECT results_eq($$SELECT member_id, from_level::text, to_level::text, effective_on, cycle_id FROM promotion$$,
                  $$VALUES (1, 'sales_customer_supervisor', 'sales_manager', date '2026-01-01', 1)$$,
                  'the promotion is recorded with its effective date');
SELECT is((SELECT status FROM promotion_candidate WHERE member_id = 1), 'approved', 'the candidate is approved');
SELECT throws_ok($$SELECT sales_supervisor.approve_promotion(1, 1, 2, '2026-01-01')$$, '55000', NULL,
                 'approving twice is refused');
-- the level is dated: Sam was a supervisor until 2025-12-31 and is a manager
-- from 2026-01-01 (his history was one row from his hire on 2019-01-01)
SELECT results_eq($$SELECT team_id, level::text, valid FROM member_assignment WHERE member_id = 1 ORDER BY valid$$,
                  $$VALUES (1, 'sales_customer_supervisor', daterange('2019-01-01', '2026-01-01')),
                           (1, 'sales_manager', daterange('2026-01-01', NULL))$$,
                  'Sam''s history: supervisor until the promotion''s effective date, manager from it');
-- Dan's promotion takes effect on 2099-03-01, after today: he is a rep until
-- then (member.level), the history already says from when he will not be
SELECT ok(approve_promotion(1, 6, 1, '2099-03-01') > 0, 'Dan''s promotion approved, effective 2099-03-01');
SELECT results_eq($$SELECT m.level::text, (SELECT array_agg(a.level::text || ' ' || a.valid::text ORDER BY a.valid)
                                           FROM member_assignment a WHERE a.member_id = 6)
                    FROM member m WHERE m.member_id = 6$$,
                  $$VALUES ('sales_rep', ARRAY['sales_rep [2020-01-01,2099-03-01)', 'sales_customer_supervisor [2099-03-01,)'])$$,
                  'Dan is a rep today, a supervisor in his history from 2099-03-01');

-- ---------------------------------------------------------------- 6. year-end pay
INSERT INTO pay (member_id, fiscal_year, base_salary) VALUES
  (1, 2025, 200000), (2, 2025, 180000), (3, 2025, 100000), (4, 2025, 90000), (5, 2025, 80000),
  (6, 2025, 95000), (7, 2025, 85000);
INSERT INTO bonus_target VALUES (2025, 'sales_rep', 10), (2025, 'sales_customer_supervisor', 20);
CREATE TEMP TABLE p_out AS SELECT * FROM year_end_pay(1, 1.1);
SELECT results_eq($$SELECT member_id, grade, commission, target_bonus, year_end_bonus, total FROM p_out ORDER BY 1$$,
  $$VALUES (1, 'B', 0::numeric, 40000.00, 54800.00, 254800.00), (2, 'C', 0, 36000.00, 39600.00, 219600.00),
           (3, 'A', 9695.86, 10000.00, 21500.00, 131195.86), (4, 'C', 4379.56, 9000.00, 9900.00, 104279.56),
           (5, 'B', 5831.20, 8000.00, 12560.00, 98391.20), (6, 'B', 5920.00, 9500.00, 14540.00, 115460.00),
           (7, 'C', 3960.00, 8500.00, 9350.00, 98310.00)$$,
  'year-end pay: base + commission + target bonus x multiplier x 1.1 (+ reward)');
SELECT results_eq($$SELECT level::text, sum(total) FROM p_out GROUP BY 1 ORDER BY 1$$,
                  $$VALUES ('sales_customer_supervisor', 474400.00), ('sales_rep', 547636.62)$$,
                  'total pay by level (level appraised)');
SELECT results_eq($$SELECT member_id, commission, year_end_bonus FROM pay WHERE fiscal_year = 2025 ORDER BY 1$$,
                  $$SELECT member_id, commission, year_end_bonus FROM p_out ORDER BY 1$$,
                  'pay rows written');

-- ---------------------------------------------------------------- refusals of this flow
SELECT throws_ok('SELECT sales_supervisor.run_commission(2)', '55000', 'commission period 2 is locked',
                 'a locked period cannot be run again');
SELECT throws_ok($$SELECT * FROM sales_supervisor.allocate_quotas(2025, 100, seasonal => 'nope')$$, '23514',
                 'seasonal distribution "nope" of 2025 covers 0 months summing to 0, not 12 months summing to 100',
                 'a missing seasonal distribution is refused');
SELECT throws_ok($$SELECT * FROM sales_supervisor.allocate_quotas(2025, 100, basis => 'luck')$$, '22023',
                 'unknown allocation basis "luck"', 'an unknown basis is refused');
SELECT throws_ok($$SELECT sales_supervisor.open_appraisal_cycle(2026, 'x', 1, 5, '{"sales_rep": {"team_performance": 50, "individual_performance": 40}}')$$,
                 '23514', 'component weights of level sales_rep sum to 90, not 100', 'weights must sum to 100');
SELECT throws_ok('SELECT sales_supervisor.year_end_pay(1, -1)', '22023', 'company_factor must be between 0 and 10, got -1',
                 'a negative company factor is refused');
SELECT throws_ok('SELECT * FROM sales_supervisor.promotion_candidates(3)', 'P0002', 'appraisal cycle 3 does not exist',
                 'an unknown cycle is refused');

-- what-if of another quota split (as the owner: the whole organisation).  With the
-- allocation's own arguments nothing differs; without over-assignment ({0,0}) team 1
-- splits 720 000: Cat capped at floor(0.7625 x 720 000 x 250/750) = 183 000, the
-- rest 537 000 by 3:2 -> Ann 322 200, Bob 214 800; team 2 480 000 -> Dan, Eve 240 000.
-- Attainment then: Ann 389 862 / 322 200 = 1.21, Bob 212 652 / 214 800 = 0.99,
-- Cat 241 560 / 183 000 = 1.32, Dan 264 000 / 240 000 = 1.1, Eve 198 000 / 240 000 = 0.825.
RESET ROLE;
SELECT is_empty($$SELECT * FROM sales_supervisor.quota_what_if(2025, '{"same": {"company_target": 1200000, "basis": "history",
                    "over_assignment_pct": [0, 10], "seasonal": "plan"}}') WHERE difference <> 0$$,
                'quota what-if with the allocation''s own arguments: no difference');
SELECT results_eq($$SELECT member_id, current_quota, simulated_quota, difference, simulated_attainment
                    FROM sales_supervisor.quota_what_if(2025, '{"no over-assignment": {"basis": "history", "seasonal": "plan"}}')
                    WHERE member_id IS NOT NULL ORDER BY member_id$$,
                  $$VALUES (3, 354420.00, 322200::numeric, -32220.00, 1.210000), (4, 236280.00, 214800, -21480.00, 0.990000),
                           (5, 201300.00, 183000, -18300.00, 1.320000), (6, 264000.00, 240000, -24000.00, 1.100000),
                           (7, 264000.00, 240000, -24000.00, 0.825000)$$,
                  'quota what-if without over-assignment, by hand (company target: the departments'' quotas)');
SELECT throws_ok($$SELECT * FROM sales_supervisor.quota_what_if(2025, '{"x": {"target": 1}}')$$, '22023', NULL,
                 'a quota what-if with an unknown argument is refused');

-- whatever this scenario did, money and quota are conserved (as the owner)
SELECT is_empty('SELECT * FROM sales_supervisor.conservation_violations()',
                'conservation_violations() finds nothing at the end of the scenario');

SELECT * FROM finish();
ROLLBACK;
