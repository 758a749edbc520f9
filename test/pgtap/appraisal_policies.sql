-- Issue 16, items 3-5: the appraisal's anonymity threshold, mid-cycle joiners
-- and transfers, templates per level and the self-assessment, on a small org
-- whose every number is worked out by hand below.
--
-- ORG (fiscal year 2025 = the calendar year, 365 days; no fiscal_period rows)
--   team 1 North: 1 Mia (supervisor, leads it since 2015), 3 Ola, 4 Pat (reps)
--   team 2 South: 2 Ned (supervisor, leads it since 2015), 5 Qin, 6 Ray (reps),
--                 8 Tom (rep, hired 2025-10-20: 12 + 30 + 31 = 73 days in 2025)
--   7 Sid (rep) in team 1 from 2020, transferred to team 2 on 2025-05-01:
--     led by Mia Jan 1 .. Apr 30 = 31 + 28 + 31 + 30 = 120 days, by Ned May 1 .. Dec 31 = 245 days.
--   Ray is on leave 2025-03-01 .. 03-14 (14 days): 351 days in the cycle.
--   9 Uma (rep, team 1) left on 2025-06-30: 181 days; a leaver is listed, never graded.
-- CYCLE 1 (scale 1..5): weights reps ip 100; supervisors ip 50, tm 30, cs 20.
--   KPI 1 training_hours (curve 100 x attainment), target reps 10 h, supervisors 20 h.
--   Hours: Ola 5, Pat 8, Qin 10, Ray 6, Sid 10, Tom 1.5, Mia 16, Ned 20
--     -> ip Ola 50, Pat 80, Qin 100, Ray 60, Sid 100, Tom 15, Mia 80, Ned 100.
--   Surveys (csat = % of 4s and 5s of the scope's customers): Mia's scope (Ola's c1 5, 4;
--     Pat's c2 4, 2) 3 of 4 = 75;  Ned's scope (Qin's c3 5, 4) 100.
-- TEMPLATES (item 3): 10 "Rep form": components {individual_performance}, KPIs {1}, every
--   criterion, supervisors' review 40 % of the final, self 0 %;  11 "Supervisor form": ip, tm, cs,
--   KPIs {1}, criteria {leadership}.  The cycle first also weights reps' customer satisfaction:
--   start_appraisal_reviews refuses that (the template leaves it out).
-- REVIEWS (criterion leadership; Ned's subordinates also give punctuality 1, not a criterion
--   of the supervisors' template): Mia -> Sid supervisor 2 (written before the transfer),
--   Ned -> Sid supervisor 4, Sid self 4, Ola -> Mia and Pat -> Mia subordinate 4 and 5,
--   Qin, Ray, Sid -> Ned subordinate 3, 4, 5.  Every reviewer wrote one review that counts:
--   no calibration shift.  Marks on 0..100 = (s - 1) / 4 x 100.
-- ANONYMITY (item 5, threshold 3): Mia has 2 subordinate reviews -> withheld everywhere:
--   review_summary and her team_management (NULL); final renormalised over ip and cs:
--     Mia (50 x 80 + 20 x 75) / 70 = 5500 / 70 = 78.571428571 -> 78.571429
--   Ned: 3 subordinate reviews kept, leadership only: 50, 75, 100; trimmed_mean k 1 -> 75
--     (all criteria would give (3+1)/2, (4+1)/2, (5+1)/2 -> 25, 37.5, 50 -> 37.5)
--     Ned (50 x 100 + 30 x 75 + 20 x 100) / 100 = 92.5
--   With the threshold lowered to 2: Mia's tm = mean(75, 100) = 87.5 (k reduced to 0),
--     final (4000 + 2625 + 1500) / 100 = 81.25.
-- TRANSFER (item 4): Sid's supervisors' review = marks 25 (Mia) and 75 (Ned) by days:
--     (25 x 120 + 75 x 245) / 365 = 21375 / 365 = 58.561643836 -> 58.561644 (plain mean: 50)
--   Sid final = comp 100 x (100 - 40) + 58.561644 x 40, / 100 = 83.4246576 -> 83.424658
-- SELF-ASSESSMENT (item 3): Sid's self mark (4 - 1) / 4 x 100 = 75, shown, not counted;
--   the comparison: leadership self 4.00, supervisors (2 x 120 + 4 x 245) / 365 = 3.342 -> 3.34.
--   With the rep template's self_weight 20: (100 x 40 + 75 x 20 + 58.561644 x 40) / 100
--     = (4000 + 1500 + 2342.46576) / 100 = 78.4246576 -> 78.424658.
-- JOINER (item 4, min_days_in_cycle 100): Tom, 73 days:
--   not_graded: no final score, rank or grade, reason stated; ip 15 (1.5 h of 10).
--   prorate:    training target 10 x 73 / 365 = 2 h; 1.5 / 2 = 0.75 -> ip 75 -> final 75,
--               graded among the 6 reps: Qin 100, Sid 83.424658, Pat 80, Tom 75, Ray 60, Ola 50.
-- REPS (not_graded): Qin 100 A, Sid 83.424658 B, Pat 80 B, Ray 60 C, Ola 50 C (5 graded:
--   A 20 / B 30 / C 40 / D 10 % -> 1, 1.5, 2, 0.5 -> 1, 2, 2, 0); supervisors Ned B, Mia C.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
SELECT setval(pg_get_serial_sequence('sales_supervisor.appraisal_cycle', 'cycle_id'), 1, false) AS restart \gset
SELECT plan(48);

CREATE ROLE ss_pol_mia NOLOGIN; CREATE ROLE ss_pol_ned NOLOGIN; CREATE ROLE ss_pol_ola NOLOGIN;
CREATE ROLE ss_pol_sid NOLOGIN; CREATE ROLE ss_pol_hr NOLOGIN;
GRANT sales_supervisor_supervisor TO ss_pol_mia, ss_pol_ned;
GRANT sales_supervisor_rep TO ss_pol_ola, ss_pol_sid;
GRANT sales_supervisor_hr TO ss_pol_hr;

-- ---------------------------------------------------------------- the org
INSERT INTO team (team_id, name) VALUES (1, 'North'), (2, 'South');
INSERT INTO member (member_id, full_name, level, team_id, manager_id, hire_date, login_role) VALUES
  (1, 'Mia', 'sales_customer_supervisor', 1, NULL, '2015-01-01', 'ss_pol_mia'),
  (2, 'Ned', 'sales_customer_supervisor', 2, NULL, '2015-01-01', 'ss_pol_ned'),
  (3, 'Ola', 'sales_rep', 1, 1, '2019-01-01', 'ss_pol_ola'),
  (4, 'Pat', 'sales_rep', 1, 1, '2019-01-01', NULL),
  (5, 'Qin', 'sales_rep', 2, 2, '2019-01-01', NULL),
  (6, 'Ray', 'sales_rep', 2, 2, '2019-01-01', NULL),
  (7, 'Sid', 'sales_rep', 1, NULL, '2020-01-01', 'ss_pol_sid'),
  (8, 'Tom', 'sales_rep', 2, 2, '2025-10-20', NULL);
INSERT INTO member (member_id, full_name, level, team_id, manager_id, hire_date, left_on, active)
VALUES (9, 'Uma', 'sales_rep', 1, 1, '2019-01-01', '2025-06-30', false);
INSERT INTO team_leader (team_id, member_id, since) VALUES (1, 1, '2015-01-01'), (2, 2, '2015-01-01');
INSERT INTO member_leave (member_id, during, reason) VALUES (6, '[2025-03-01,2025-03-15)', 'sick');
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id, since) VALUES
  (1, 'c1', 'A', 1, 3, '2020-01-01'), (2, 'c2', 'A', 1, 4, '2020-01-01'), (3, 'c3', 'A', 2, 5, '2020-01-01');
INSERT INTO survey_response (customer_id, answered_at, csat) VALUES
  (1, '2025-06-01', 5), (1, '2025-06-02', 4), (2, '2025-06-01', 4), (2, '2025-06-02', 2),
  (3, '2025-06-01', 5), (3, '2025-06-02', 4);
INSERT INTO training_session (session_id, title, held_on, hours)
SELECT m, 'session ' || m, '2025-11-15', h
FROM (VALUES (1, 16), (2, 20), (3, 5), (4, 8), (5, 10), (6, 6), (7, 10), (8, 1.5)) v(m, h);
INSERT INTO training_attendance (session_id, member_id) SELECT m, m FROM generate_series(1, 8) m;

-- ---------------------------------------------------------------- the cycle and the templates
SELECT is(open_appraisal_cycle(2025, 'Policies 2025', 1, 5,
  '{"sales_rep": {"individual_performance": 70, "customer_satisfaction": 30},
    "sales_customer_supervisor": {"individual_performance": 50, "team_management": 30, "customer_satisfaction": 20}}'),
  1, 'cycle 1 opened');
SELECT results_eq($$SELECT min_anonymous_reviews::int, min_days_in_cycle::int, short_stay_policy FROM appraisal_cycle WHERE cycle_id = 1$$,
                  $$VALUES (3, 0, 'not_graded')$$, 'a new cycle: anonymity threshold 3, no minimum days, policy not_graded');
INSERT INTO kpi_definition (kpi_id, code, name, metric, curve, component)
VALUES (1, 'training', 'Training', 'training_hours', 'linear[(0,0),(1,100),(2,200)]', 'individual_performance');
INSERT INTO kpi_weight (cycle_id, level, kpi_id, weight) VALUES (1, 'sales_rep', 1, 100), (1, 'sales_customer_supervisor', 1, 100);
INSERT INTO kpi_target (cycle_id, kpi_id, level, target) VALUES (1, 1, 'sales_rep', 10), (1, 1, 'sales_customer_supervisor', 20);
INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct) VALUES
  (1, 'A', 1, 20), (1, 'B', 2, 30), (1, 'C', 3, 40), (1, 'D', 4, 10);
INSERT INTO appraisal_template (template_id, level, name, components, kpi_ids, criteria, self_weight, supervisor_weight) VALUES
  (10, 'sales_rep', 'Rep form', '{individual_performance}', '{1}', NULL, 0, 40),
  (11, 'sales_customer_supervisor', 'Supervisor form', '{individual_performance,team_management,customer_satisfaction}',
   '{1}', '{leadership}', 0, 0);

-- templates: validated, read by everyone, written by HR only
SELECT throws_ok($$INSERT INTO sales_supervisor.appraisal_template (level, name, kpi_ids) VALUES ('sales_manager', 'x', '{99}')$$,
                 '23503', 'appraisal template "x" names KPI 99, which does not exist', 'a template naming an unknown KPI');
SELECT throws_ok($$INSERT INTO sales_supervisor.appraisal_template (level, name, criteria) VALUES ('sales_manager', 'x', '{Team Work}')$$,
                 '23514', 'appraisal template "x" has criterion "Team Work", not a lower-case identifier', 'a bad criterion');
SELECT throws_ok($$INSERT INTO sales_supervisor.appraisal_template (level, name, self_weight, supervisor_weight) VALUES ('sales_manager', 'x', 60, 40)$$,
                 '23514', NULL, 'self and supervisor terms must leave the components some weight');
SET ROLE ss_pol_ola;
SELECT is((SELECT count(*) FROM appraisal_template), 2::bigint, 'a rep reads the templates');
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_template SET self_weight = 50$$, '42501', NULL, 'a rep cannot change a template');
RESET ROLE;
SET ROLE ss_pol_hr;
SELECT lives_ok($$UPDATE sales_supervisor.appraisal_template SET name = 'Rep form' WHERE template_id = 10$$, 'HR writes templates');
RESET ROLE;

-- the template says what counts, the cycle how much
SELECT throws_ok('SELECT sales_supervisor.start_appraisal_reviews(1)', '55000',
                 'appraisal cycle 1 weights component customer_satisfaction for level sales_rep, which its appraisal template leaves out',
                 'reviews do not start while the cycle weights a component the level''s template leaves out');
DELETE FROM appraisal_component_weight WHERE cycle_id = 1 AND level = 'sales_rep' AND component = 'customer_satisfaction';
UPDATE appraisal_component_weight SET weight = 100 WHERE cycle_id = 1 AND level = 'sales_rep';
SELECT lives_ok('SELECT sales_supervisor.start_appraisal_reviews(1)', 'reviews start once the weights fit the templates');
UPDATE appraisal_cycle SET min_days_in_cycle = 100 WHERE cycle_id = 1;
SELECT throws_ok('UPDATE sales_supervisor.appraisal_cycle SET min_anonymous_reviews = 0 WHERE cycle_id = 1', '23514', NULL,
                 'an anonymity threshold below 1 is refused');
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_cycle SET short_stay_policy = 'maybe' WHERE cycle_id = 1$$, '23514', NULL,
                 'an unknown short-stay policy is refused');

-- ---------------------------------------------------------------- reviews, the transfer
INSERT INTO review (review_id, cycle_id, reviewer_id, reviewee_id, rater_role) VALUES (1, 1, 1, 7, 'supervisor');
SELECT ok(transfer_member(7, 2, '2025-05-01', 'moved south') > 0, 'Sid moves to team 2 on 2025-05-01');
INSERT INTO review (review_id, cycle_id, reviewer_id, reviewee_id, rater_role) VALUES
  (2, 1, 2, 7, 'supervisor'), (3, 1, 7, 7, 'self'), (4, 1, 3, 1, 'subordinate'), (5, 1, 4, 1, 'subordinate'),
  (6, 1, 5, 2, 'subordinate'), (7, 1, 6, 2, 'subordinate'), (8, 1, 7, 2, 'subordinate');
INSERT INTO review_score (review_id, criterion, score) VALUES
  (1, 'leadership', 2), (2, 'leadership', 4), (3, 'leadership', 4), (4, 'leadership', 4), (5, 'leadership', 5),
  (6, 'leadership', 3), (7, 'leadership', 4), (8, 'leadership', 5),
  (6, 'punctuality', 1), (7, 'punctuality', 1), (8, 'punctuality', 1);
-- a template's rating scale narrows the cycle's for the reviews of its level
UPDATE appraisal_template SET rating_scale_min = 2, rating_scale_max = 5 WHERE template_id = 10;
SELECT throws_ok($$INSERT INTO sales_supervisor.review_score (review_id, criterion, score) VALUES (1, 'coaching', 1)$$, '23514',
                 'score 1.00 for criterion "coaching" is outside the rating scale 2.00..5.00 of the appraisal template "Rep form" (level sales_rep)',
                 'a score outside the reviewee''s template scale is refused');
UPDATE appraisal_template SET rating_scale_min = NULL, rating_scale_max = NULL WHERE template_id = 10;

-- ---------------------------------------------------------------- calibrate: threshold 3, not_graded
CREATE TEMP TABLE r1 AS SELECT * FROM calibrate_appraisal_cycle(1);
SELECT results_eq(
  $$SELECT member_id, individual_performance, team_management, customer_satisfaction, final_score, rank, grade,
           template_id, days_in_cycle FROM r1 ORDER BY member_id$$,
  $$VALUES (1, 80::float8, NULL::float8, 75::float8, 78.571429::float8, 2::int, 'C', 11, 365),
           (2, 100, 75, 100, 92.5, 1, 'B', 11, 365),
           (3, 50, NULL, NULL, 50, 5, 'C', 10, 365),
           (4, 80, NULL, NULL, 80, 3, 'B', 10, 365),
           (5, 100, NULL, NULL, 100, 1, 'A', 10, 365),
           (6, 60, NULL, NULL, 60, 4, 'C', 10, 351),
           (7, 100, NULL, NULL, 83.424658, 2, 'B', 10, 365),
           (8, 15, NULL, NULL, NULL, NULL, NULL, 10, 73),
           (9, NULL, NULL, NULL, NULL, NULL, NULL, 10, 181)$$,
  'components, final scores, ranks and grades as worked out above (templates per level, days in the cycle)');
-- item 5: the two-review component
SELECT results_eq($$SELECT team_management, withheld FROM r1 WHERE member_id = 1$$,
  $$VALUES (NULL::float8, ARRAY['team_management: 2 subordinate reviews withheld (fewer than 3)',
                                'team_management withheld: the final score is renormalised over the other components'])$$,
  'Mia''s two subordinate reviews are withheld from her team_management, and the result says so');
SELECT is((SELECT final_score FROM r1 WHERE member_id = 1), 78.571429::float8,
          'Mia''s final score is renormalised over ip 50 and cs 20: 5500 / 70 = 78.571429');
SELECT is((SELECT withheld FROM r1 WHERE member_id = 2), '{}'::text[], 'nothing withheld from Ned (3 subordinate reviews)');
SET ROLE ss_pol_mia;
SELECT results_eq($$SELECT rater_role::text, criterion, reviews, avg_score FROM review_summary(1)$$,
                  $$VALUES ('subordinate', 'leadership', 2::bigint, NULL::numeric)$$,
                  'review_summary withholds the same two reviews from Mia (the cycle''s threshold)');
RESET ROLE;
SET ROLE ss_pol_ned;
SELECT results_eq($$SELECT rater_role::text, criterion, reviews, avg_score FROM review_summary(1)$$,
                  $$VALUES ('subordinate', 'leadership', 3::bigint, 4.00), ('subordinate', 'punctuality', 3, 1.00)$$,
                  '... and shows Ned''s three');
RESET ROLE;
-- item 3: the supervisors' template counts leadership only
SELECT is((SELECT team_management FROM r1 WHERE member_id = 2), 75::float8,
          'Ned''s team_management counts leadership only (50, 75, 100 trimmed: 75; with punctuality it would be 37.5)');
-- item 4: the transfer
SELECT is((SELECT supervisor_review FROM r1 WHERE member_id = 7), 58.561644::float8,
          'Sid''s supervisors'' review: Mia''s 25 for 120 days and Ned''s 75 for 245 days, 21375 / 365 = 58.561644');
SELECT results_eq($$SELECT reviewer_id, days FROM appraisal_supervisor_days(1, '2025-01-01', '2025-12-31') ORDER BY 1$$,
                  $$VALUES (1, 120), (2, 245)$$, 'the days each leader led Sid in 2025 (member_assignment, team_leadership)');
-- item 3: the self-assessment, shown, not counted
SELECT is((SELECT self_assessment FROM r1 WHERE member_id = 7), 75::float8, 'Sid''s self-assessment is shown: 75');
SET ROLE ss_pol_sid;
SELECT results_eq($$SELECT * FROM self_assessment_comparison(1)$$,
                  $$VALUES ('leadership', 4.00, 3.34, 2, false, 0.00)$$,
                  'Sid sees his self-assessment beside his supervisors'' (by days: 1220 / 365 = 3.34), not counted');
RESET ROLE;
SET ROLE ss_pol_ned;
SELECT results_eq($$SELECT criterion, self_score, supervisor_score FROM self_assessment_comparison(1, 7)$$,
                  $$VALUES ('leadership', 4.00, 3.34)$$, 'his supervisor sees it');
RESET ROLE;
SET ROLE ss_pol_hr;
SELECT is((SELECT count(*) FROM self_assessment_comparison(1, 7)), 1::bigint, 'HR sees it');
RESET ROLE;
SET ROLE ss_pol_ola;
SELECT throws_ok('SELECT * FROM sales_supervisor.self_assessment_comparison(1, 7)', '42501',
                 'role "ss_pol_ola" may not see the reviews of member 7', 'another rep does not');
SELECT throws_ok('SELECT * FROM sales_supervisor.self_assessment_comparison(NULL, 7)', '22004', NULL, 'a NULL cycle is refused');
RESET ROLE;
-- item 4: the joiner, not graded
SELECT results_eq($$SELECT final_score, rank, percentile, grade, not_graded_reason FROM r1 WHERE member_id = 8$$,
                  $$VALUES (NULL::float8, NULL::int, NULL::numeric, NULL::text,
                            '73 days in the cycle, fewer than the 100 its policy requires (not_graded)')$$,
                  'Tom (73 days, fewer than 100) is not graded, with the reason recorded');
SELECT is((SELECT not_graded_reason FROM r1 WHERE member_id = 9), 'left on 2025-06-30, after 181 days in the cycle: a leaver is not graded',
          'Uma, who left on 2025-06-30 (Jan 1 .. Jun 30 = 181 days), is listed, not graded, with the reason');
SELECT results_eq($$SELECT target, attainment, round(score::numeric, 6) FROM kpi_result WHERE cycle_id = 1 AND member_id = 8$$,
                  $$VALUES (10::numeric, 0.150000, 15::numeric)$$, '... his KPI target is not prorated (policy not_graded)');
SELECT is((SELECT count(*) FROM appraisal_consequence WHERE cycle_id = 1 AND member_id = 8), 0::bigint,
          '... and he has no grade consequence');
SELECT is((SELECT count(*) FROM r1 WHERE not_graded_reason IS NULL AND grade IS NOT NULL), 7::bigint, 'the other 7 are graded');
-- reps' customer satisfaction is left out by their template though their customers answered surveys
SELECT is((SELECT count(*) FROM r1 WHERE level = 'sales_rep' AND customer_satisfaction IS NOT NULL), 0::bigint,
          'the rep template leaves customer satisfaction out (Ola''s customers answered surveys)');

-- ---------------------------------------------------------------- the self-assessment counted
UPDATE appraisal_template SET self_weight = 20 WHERE template_id = 10;
CREATE TEMP TABLE r2 AS SELECT * FROM calibrate_appraisal_cycle(1);
SELECT is((SELECT final_score FROM r2 WHERE member_id = 7), 78.424658::float8,
          'with the template''s self_weight 20 Sid''s self-assessment counts: (4000 + 1500 + 2342.46576) / 100 = 78.424658');
SELECT is((SELECT final_score FROM r2 WHERE member_id = 4), 80::float8, 'Pat has no self review: her score is unchanged (renormalised)');
SET ROLE ss_pol_sid;
SELECT results_eq($$SELECT counts_in_score, self_weight FROM self_assessment_comparison(1)$$,
                  $$VALUES (true, 20.00)$$, 'the comparison says it counts, 20 %');
RESET ROLE;
UPDATE appraisal_template SET self_weight = 0 WHERE template_id = 10;

-- ---------------------------------------------------------------- the joiner under the prorate policy
UPDATE appraisal_cycle SET short_stay_policy = 'prorate' WHERE cycle_id = 1;
CREATE TEMP TABLE r3 AS SELECT * FROM calibrate_appraisal_cycle(1);
SELECT results_eq($$SELECT target, attainment, round(score::numeric, 6) FROM kpi_result WHERE cycle_id = 1 AND member_id = 8$$,
                  $$VALUES (2::numeric, 0.750000, 75::numeric)$$,
                  'prorate: Tom''s training target is 10 x 73 / 365 = 2 h, 1.5 h attain 0.75');
SELECT results_eq($$SELECT individual_performance, final_score, rank, grade, not_graded_reason FROM r3 WHERE member_id = 8$$,
                  $$VALUES (75::float8, 75::float8, 4, 'C', NULL::text)$$,
                  '... and he is graded on it: 75, rank 4 of 6 reps');
SELECT is((SELECT target FROM kpi_result WHERE cycle_id = 1 AND member_id = 3), 10::numeric,
          'a full-year rep keeps the target as set');
SELECT results_eq($$SELECT member_id, rank FROM r3 WHERE level = 'sales_rep' AND rank IS NOT NULL ORDER BY rank$$,
                  $$VALUES (5, 1), (7, 2), (4, 3), (8, 4), (6, 5), (3, 6)$$,
                  'the 6 reps: Qin 100, Sid 83.424658, Pat 80, Tom 75, Ray 60, Ola 50');

-- ---------------------------------------------------------------- the threshold lowered to 2
UPDATE appraisal_cycle SET min_anonymous_reviews = 2, short_stay_policy = 'not_graded' WHERE cycle_id = 1;
CREATE TEMP TABLE r4 AS SELECT * FROM calibrate_appraisal_cycle(1);
SELECT results_eq($$SELECT team_management, final_score, withheld FROM r4 WHERE member_id = 1$$,
                  $$VALUES (87.5::float8, 81.25::float8, '{}'::text[])$$,
                  'threshold 2: Mia''s two reviews count, mean(75, 100) = 87.5, final (4000 + 2625 + 1500) / 100 = 81.25');
SET ROLE ss_pol_mia;
SELECT results_eq($$SELECT reviews, avg_score FROM review_summary(1)$$, $$VALUES (2::bigint, 4.50)$$,
                  '... and review_summary shows them to her too');
RESET ROLE;

-- ---------------------------------------------------------------- closed: the policy is frozen
CREATE TEMP TABLE r5 AS SELECT * FROM close_appraisal_cycle(1);
SELECT results_eq($$SELECT member_id, final_score FROM r5 ORDER BY 1$$, $$SELECT member_id, final_score FROM r4 ORDER BY 1$$,
                  'closing computes what the last calibration showed');
SELECT throws_ok('UPDATE sales_supervisor.appraisal_cycle SET min_anonymous_reviews = 5 WHERE cycle_id = 1', '55000',
                 'appraisal cycle 1 is closed: its anonymity threshold and short-stay policy cannot change',
                 'the policy of a closed cycle cannot change');
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_cycle SET short_stay_policy = 'prorate' WHERE cycle_id = 1$$, '55000', NULL,
                 '... nor its short-stay policy');
SELECT is((SELECT count(*) FROM audit_log WHERE table_name = 'appraisal_template'), 6::bigint,
          'template changes are audited (2 inserts, HR''s rename, 2 scale changes, 2 self_weight changes; the rename changed nothing)');

SELECT * FROM finish();
ROLLBACK;
