-- Calibration sessions and publication (issue 16, item 1), by hand.
--
-- The org, data and cycle are those of sales_year_small_org.sql (copied, as
-- appraisal_what_if.sql does); its hand computation gives, calibrated with
-- group_by level (the "before"):
--   reps:        Ann(3) 98.75 r1 A, Cat(5) 91.09375 r2 B, Dan(6) 88.5 r3 B,
--                Bob(4) 76.333334 r4 C, Eve(7) 67.388886 r5 C
--   supervisors: Sam(1) 92.5 r1 B, Sue(2) 80.357143 r2 C
--   (issue 16: the anonymity threshold withholds Sue's two subordinate reviews and
--   both peer reviews from team management -- worked out in sales_year_small_org.sql;
--   they were 89.375 and 67.5, same ranks and grades)
-- Grades A 20 / B 30 / C 40 / D 10 %: 5 reps -> 1 A, 2 B, 2 C (see there).
-- Teams: North (1) = Sam (leader), Ann, Bob, Cat; South (2) = Sue (leader), Dan, Eve;
-- both are departments.
--
-- REVIEWS (non-self marks = mean of the criteria; review 8 is 4.5/3.5 -> 4):
--   Sam wrote Ann 5, Bob 4, Cat 4, Sue 3;  Sue wrote Dan 3, Eve 2, Sam 2;
--   Ann wrote Sam 4;  Bob wrote Sam 5, Ann 4;  Cat wrote Sam 3;  Dan wrote Sue 4, Eve 4;
--   Eve wrote Sue 2;  Ann's self review (5) is no mark.
--
-- SESSION L: level sales_rep, max 10 points, calibrators Sam and Sue (opened by HR).
--   Panel = the marks of the reps 3..7: Sam 5, 4, 4; Sue 3, 2 (Bob's peer review of Ann
--     and Dan's of Eve are the only peer reviews of each: withheld by the anonymity
--     threshold of issue 16, they count nowhere -- with them the panel had 7 marks,
--     Sam's z 0.7030, Sue's -1.3789).
--     n = 5, sum 18, mean 18/5 = 3.6
--     deviations 1.4, .4, .4, -.6, -1.6 -> squares 1.96 + .16 + .16 + .36 + 2.56 = 5.2;
--     variance 5.2/5 = 1.04; stddev = sqrt(1.04) = 1.019804
--   Sam: 3 marks, mean 13/3 = 4.333333, stddev sqrt(((2/3)^2 + 2 (1/3)^2)/3) = sqrt(2)/3 = 0.471405
--        z = (13/3 - 18/5) / sqrt(1.04) = (11/15) / 1.019804 = 0.733333 / 1.019804 = 0.719092
--   Sue: 2 marks, mean 2.5, stddev 0.5
--        z = (5/2 - 18/5) / sqrt(1.04) = -1.1 / 1.019804 = -1.078638
--   Sam is lenient (+0.72 sd), Sue strict (-1.08 sd).
-- ADJUSTMENTS: Sue lowers Ann (Sam's lenient 5) by 10, then replaces it by -8;
--   Sam raises Dan (Sue's strict 3) by 3.  After:
--     Ann 98.75 - 8 = 90.75, Dan 88.5 + 3 = 91.5, others unchanged ->
--     Dan 91.5 r1 A, Cat 91.09375 r2 B, Ann 90.75 r3 B, Bob 76.333334 r4 C, Eve 67.388886 r5 C
--     (percentiles 100, 75, 50, 25, 0); Ann A -> B, Dan B -> A; supervisors untouched.
--   After Ann -10 alone: Ann 88.75 -> Cat 91.09375 r1 A, Ann 88.75 r2 B, Dan 88.5 r3 B.
--   Refused: -10.5 (beyond 10), a blank or NULL reason, a non-calibrator, Sam in a
--   session of his own department adjusting himself.
-- SESSION D: department North, max 5, calibrator Sam (opened by Sam, who holds the
--   manager role and leads team 1).  Its members: Sam, Ann, Bob, Cat; Sam never
--   sees his own row.
-- VISIBILITY before publication: Ann and Bob (reps) see no result, consequence,
--   baseline or adjustment (not even their own); Sam (leads North) sees the results
--   of Ann, Bob, Cat but not his own; Sue (leads South) those of Dan, Eve.
--   After close + publish: each rep sees exactly their own row; Sam his own too.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
SELECT setval(pg_get_serial_sequence('sales_supervisor.appraisal_cycle', 'cycle_id'), 1, false) AS restart \gset
SELECT plan(70);

-- ---------------------------------------------------------------- setup (sales_year_small_org.sql)
\ir include/small_org.sql

\ir include/small_org_cycle.sql
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

-- logins: Sam supervisor + manager, Sue supervisor, Ann and Bob reps, an HR login (no member)
CREATE ROLE ss_cal_1 NOLOGIN; CREATE ROLE ss_cal_2 NOLOGIN; CREATE ROLE ss_cal_3 NOLOGIN;
CREATE ROLE ss_cal_4 NOLOGIN; CREATE ROLE ss_cal_hr NOLOGIN;
GRANT sales_supervisor_supervisor, sales_supervisor_manager TO ss_cal_1;
GRANT sales_supervisor_supervisor TO ss_cal_2;
GRANT sales_supervisor_rep TO ss_cal_3, ss_cal_4;
GRANT sales_supervisor_hr TO ss_cal_hr;
UPDATE member SET login_role = 'ss_cal_' || member_id WHERE member_id BETWEEN 1 AND 4;

-- ---------------------------------------------------------------- before any session
SELECT throws_ok($$SELECT sales_supervisor.open_calibration_session(1, 'level', 10, '{1,2}', level => 'sales_rep', login => 'ss_cal_hr')$$,
                 '55000', 'appraisal cycle 1 is not calibrated: it is reviewing', 'no session before the cycle is calibrated');
SELECT results_eq($$SELECT member_id, final_score, rank, grade FROM calibrate_appraisal_cycle(1) ORDER BY 1$$,
  $$VALUES (1, 92.5::float8, 1, 'B'), (2, 80.357143, 2, 'C'), (3, 98.75, 1, 'A'), (4, 76.333334, 4, 'C'),
           (5, 91.09375, 2, 'B'), (6, 88.5, 3, 'B'), (7, 67.388886, 5, 'C')$$,
  'calibrated: the hand-computed results (no adjustment yet)');
SELECT results_eq($$SELECT member_id, team_id, grp, final_score, rank, grade FROM calibration_baseline WHERE cycle_id = 1 ORDER BY 1$$,
  $$VALUES (1, 1, 'sales_customer_supervisor', 92.5::float8, 1, 'B'), (2, 2, 'sales_customer_supervisor', 80.357143, 2, 'C'),
           (3, 1, 'sales_rep', 98.75, 1, 'A'), (4, 1, 'sales_rep', 76.333334, 4, 'C'), (5, 1, 'sales_rep', 91.09375, 2, 'B'),
           (6, 2, 'sales_rep', 88.5, 3, 'B'), (7, 2, 'sales_rep', 67.388886, 5, 'C')$$,
  'the baseline keeps the ranking before calibration, with team and calibration group');

-- ---------------------------------------------------------------- opening
SET ROLE ss_cal_hr;
SELECT open_calibration_session(1, 'level', 10, '{2,1}', level => 'sales_rep') AS s_level \gset
SELECT throws_ok($$SELECT sales_supervisor.open_calibration_session(1, 'level', 20.5, '{1}', level => 'sales_rep')$$,
                 '22023', 'max_adjustment must be in (0, 20] points, got 20.5', 'the bound is bounded: at most 20 points');
SELECT throws_ok($$SELECT sales_supervisor.open_calibration_session(1, 'level', 5, '{3}', level => 'sales_rep')$$,
                 '22023', 'member 3 cannot calibrate', 'a rep cannot be a calibrator');
SELECT throws_ok($$SELECT sales_supervisor.open_calibration_session(1, 'department', 5, '{1}', team => 1, level => 'sales_rep')$$,
                 '22023', 'a department session needs a team and no level', 'a scope is one thing');
RESET ROLE;
SELECT results_eq($$SELECT scope, level::text, team_id, max_adjustment, calibrators, opened_by = 'ss_cal_hr', closed_at IS NULL
                    FROM calibration_session WHERE session_id = $$ || :s_level,
                  $$VALUES ('level', 'sales_rep', NULL::int, 10.00, '{1,2}'::int[], true, true)$$,
                  'the level session: its settings and who opened it');
SET ROLE ss_cal_1;
SELECT open_calibration_session(1, 'department', 5, '{1}', team => 1) AS s_dept \gset
SELECT throws_ok($$SELECT sales_supervisor.open_calibration_session(1, 'department', 5, '{1}', team => 2)$$,
                 '42501', NULL, 'a manager cannot open a session of a department they do not lead');
SELECT throws_ok($$SELECT sales_supervisor.open_calibration_session(1, 'level', 5, '{1}', level => 'sales_rep')$$,
                 '42501', NULL, 'level sessions are HR''s');
RESET ROLE;
SET ROLE ss_cal_2;
SELECT throws_ok($$SELECT sales_supervisor.open_calibration_session(1, 'department', 5, '{2}', team => 2)$$,
                 '42501', 'permission denied for function open_calibration_session', 'a supervisor opens no session');
RESET ROLE;

-- ---------------------------------------------------------------- the rater view
SET ROLE ss_cal_hr;
SELECT results_eq(format('SELECT reviewer_id, reviewer, reviews, mean, stddev, panel_reviews, panel_mean, panel_stddev, leniency_z
                          FROM sales_supervisor.calibration_raters(%s)', :s_level),
  $$VALUES (1, 'Sam', 3::bigint, 4.3333, 0.4714, 5::bigint, 3.6000, 1.0198, 0.7191),
           (2, 'Sue', 2, 2.5000, 0.5000, 5, 3.6000, 1.0198, -1.0786)$$,
  'rater view of the reps: Sam lenient (z 0.7191), Sue strict (z -1.0786), against the panel of 5 marks (the 2 single peer reviews withheld)');
SELECT results_eq(format('SELECT member_id, score_before, points, score_after, rank_before, rank_after, grade_before, grade_after
                          FROM sales_supervisor.calibration_scores(%s)', :s_level),
  $$VALUES (3, 98.75::float8, NULL::numeric, 98.75::float8, 1, 1, 'A', 'A'), (4, 76.333334, NULL, 76.333334, 4, 4, 'C', 'C'),
           (5, 91.09375, NULL, 91.09375, 2, 2, 'B', 'B'), (6, 88.5, NULL, 88.5, 3, 3, 'B', 'B'),
           (7, 67.388886, NULL, 67.388886, 5, 5, 'C', 'C')$$,
  'before any adjustment, before = after');
RESET ROLE;

-- ---------------------------------------------------------------- adjusting
SET ROLE ss_cal_2;
SELECT throws_ok(format($$SELECT sales_supervisor.adjust_final_score(%s, 3, -10.5, 'lenient rater')$$, :s_level),
                 '22023', 'adjustment -10.5 is beyond the session''s bound of 10.00 points', 'beyond the bound: refused');
SELECT throws_ok(format($$SELECT sales_supervisor.adjust_final_score(%s, 3, -8, '  ')$$, :s_level),
                 '22023', 'a reason is required to adjust the final score of member 3', 'a blank reason: refused');
SELECT throws_ok(format($$SELECT sales_supervisor.adjust_final_score(%s, 3, -8, NULL)$$, :s_level),
                 '22023', 'a reason is required to adjust the final score of member 3', 'no reason: refused');
SELECT throws_ok(format($$SELECT sales_supervisor.adjust_final_score(%s, 1, -1, 'x')$$, :s_level),
                 '22023', format('member 1 is not in the scope of calibration session %s', :s_level),
                 'a supervisor is outside the reps'' session');
SELECT throws_ok(format($$SELECT sales_supervisor.adjust_final_score(%s, 3, -1, 'x')$$, :s_dept),
                 '42501', format('only the calibrators of session %s adjust scores in it', :s_dept),
                 'Sue is no calibrator of the North session');
SELECT is(adjust_final_score(:s_level, 3, -10, 'Sam''s marks are lenient (z +0.70): his 5 for Ann weighs less'), 88.75::float8,
          'exactly the bound is allowed: Ann 98.75 - 10 = 88.75');
RESET ROLE;
SELECT results_eq($$SELECT member_id, final_score, rank, grade FROM appraisal_result WHERE member_id IN (3, 5, 6) ORDER BY rank$$,
                  $$VALUES (5, 91.09375::float8, 1, 'A'), (3, 88.75, 2, 'B'), (6, 88.5, 3, 'B')$$,
                  'ranked again at once: Cat A, Ann B, Dan B');
SET ROLE ss_cal_2;
SELECT is(adjust_final_score(:s_level, 3, -8, 'Sam''s marks are lenient (z +0.70): -8 after discussion'), 90.75::float8,
          'a second adjustment replaces the first: 98.75 - 8 = 90.75');
RESET ROLE;
SET ROLE ss_cal_1;
SELECT is(adjust_final_score(:s_level, 6, 3, 'Sue''s marks are strict (z -1.38): Dan''s 3 from her weighs more'), 91.5::float8,
          'Sam raises Dan: 88.5 + 3 = 91.5');
SELECT throws_ok(format($$SELECT sales_supervisor.adjust_final_score(%s, 1, 2, 'myself')$$, :s_dept),
                 '42501', 'a calibrator cannot adjust their own score', 'a calibrator cannot adjust themself');
RESET ROLE;
SET ROLE ss_cal_hr;
SELECT throws_ok(format($$SELECT sales_supervisor.adjust_final_score(%s, 4, 1, 'x')$$, :s_level),
                 '42501', format('only the calibrators of session %s adjust scores in it', :s_level),
                 'HR is no calibrator of the session: refused');
SELECT results_eq(format('SELECT member_id, score_before, points, score_after, rank_before, rank_after, grade_before, grade_after
                          FROM sales_supervisor.calibration_scores(%s)', :s_level),
  $$VALUES (3, 98.75::float8, -8.00, 90.75::float8, 1, 3, 'A', 'B'), (4, 76.333334, NULL, 76.333334, 4, 4, 'C', 'C'),
           (5, 91.09375, NULL, 91.09375, 2, 2, 'B', 'B'), (6, 88.5, 3.00, 91.5, 3, 1, 'B', 'A'),
           (7, 67.388886, NULL, 67.388886, 5, 5, 'C', 'C')$$,
  'before and after: Ann 98.75 A -> 90.75 B (rank 3), Dan 88.5 B -> 91.5 A (rank 1)');
RESET ROLE;
SELECT results_eq($$SELECT member_id, final_score, rank, percentile, grade FROM appraisal_result ORDER BY 1$$,
  $$VALUES (1, 92.5::float8, 1, 100.00, 'B'), (2, 80.357143, 2, 0.00, 'C'), (3, 90.75, 3, 50.00, 'B'), (4, 76.333334, 4, 25.00, 'C'),
           (5, 91.09375, 2, 75.00, 'B'), (6, 91.5, 1, 100.00, 'A'), (7, 67.388886, 5, 0.00, 'C')$$,
  'appraisal_result is the calibrated ranking (supervisors untouched)');
SELECT results_eq($$SELECT member_id, grade, raise_pct, bonus_multiplier, reward_or_penalty FROM appraisal_consequence
                    WHERE member_id IN (3, 6) ORDER BY 1$$,
                  $$VALUES (3, 'B', 5.000, 1.200, 2000.00), (6, 'A', 8.000, 1.500, 5000.00)$$,
                  'the consequences follow the calibrated grades');
SELECT is((SELECT string_agg(format('%s %s %s->%s by %s', action, row_key->>'member_id', old_row->>'points', new_row->>'points',
                                    acting_role), '; ' ORDER BY audit_id)
           FROM audit_log WHERE table_name = 'calibration_adjustment'),
          'INSERT 3 ->-10.00 by ss_cal_2; UPDATE 3 -10.00->-8.00 by ss_cal_2; INSERT 6 ->3.00 by ss_cal_1',
          'every adjustment is audited, with who and the old value');
SELECT is((SELECT new_row->>'reason' FROM audit_log WHERE table_name = 'calibration_adjustment' AND action = 'UPDATE'),
          'Sam''s marks are lenient (z +0.70): -8 after discussion', 'the reason is in the audit log');
SELECT ok((SELECT count(*) FROM audit_log WHERE table_name = 'appraisal_result' AND action = 'UPDATE'
             AND row_key->>'member_id' IN ('3', '6')) >= 2, 'the recalibrated results are audited too');

-- ---------------------------------------------------------------- repeatable
SELECT results_eq($$SELECT member_id, final_score, rank, grade FROM calibrate_appraisal_cycle(1) ORDER BY 1$$,
  $$VALUES (1, 92.5::float8, 1, 'B'), (2, 80.357143, 2, 'C'), (3, 90.75, 3, 'B'), (4, 76.333334, 4, 'C'),
           (5, 91.09375, 2, 'B'), (6, 91.5, 1, 'A'), (7, 67.388886, 5, 'C')$$,
  'calibrating again applies the adjustments again: the same after');
SELECT results_eq($$SELECT member_id, final_score, rank, grade FROM calibration_baseline ORDER BY 1$$,
  $$VALUES (1, 92.5::float8, 1, 'B'), (2, 80.357143, 2, 'C'), (3, 98.75, 1, 'A'), (4, 76.333334, 4, 'C'),
           (5, 91.09375, 2, 'B'), (6, 88.5, 3, 'B'), (7, 67.388886, 5, 'C')$$,
  '... and the same before');

-- ---------------------------------------------------------------- who sees what (calibrating)
SET ROLE ss_cal_3;
SELECT is((SELECT count(*)::int FROM appraisal_result) + (SELECT count(*)::int FROM appraisal_consequence)
          + (SELECT count(*)::int FROM calibration_baseline) + (SELECT count(*)::int FROM calibration_adjustment), 0,
          'Ann (rep) sees no result, consequence, before or adjustment, not even her own');
SELECT throws_ok('SELECT * FROM sales_supervisor.calibration_session', '42501', NULL, 'Ann cannot read the sessions');
SELECT throws_ok(format('SELECT * FROM sales_supervisor.calibration_scores(%s)', :s_level), '42501', NULL,
                 'Ann cannot call the before/after');
SELECT throws_ok(format('SELECT * FROM sales_supervisor.calibration_raters(%s)', :s_level), '42501', NULL,
                 'nor the rater view');
RESET ROLE;
SET ROLE ss_cal_1;
SELECT results_eq('SELECT member_id FROM sales_supervisor.appraisal_result ORDER BY 1', ARRAY[3, 4, 5],
                  'Sam sees the results of Ann, Bob, Cat -- not his own');
SELECT results_eq('SELECT member_id FROM sales_supervisor.calibration_adjustment ORDER BY 1', ARRAY[3, 6],
                  'Sam sees the adjustments of his team and of his session');
SELECT results_eq('SELECT session_id FROM sales_supervisor.calibration_session ORDER BY 1', ARRAY[:s_level, :s_dept],
                  'Sam sees both sessions (calibrator of both)');
SELECT results_eq(format('SELECT member_id FROM sales_supervisor.calibration_scores(%s)', :s_dept), ARRAY[3, 4, 5],
                  'the North session shows Sam Ann, Bob, Cat: never his own row');
RESET ROLE;
SET ROLE ss_cal_2;
SELECT results_eq('SELECT member_id FROM sales_supervisor.appraisal_result ORDER BY 1', ARRAY[6, 7],
                  'Sue sees the results of Dan and Eve -- not her own');
SELECT results_eq('SELECT session_id FROM sales_supervisor.calibration_session ORDER BY 1', ARRAY[:s_level],
                  'Sue sees the level session only (not North''s)');
SELECT throws_ok(format('SELECT * FROM sales_supervisor.calibration_scores(%s)', :s_dept), '42501',
                 format('role "ss_cal_2" may not see calibration session %s', :s_dept), 'Sue cannot read North''s session');
RESET ROLE;

-- ---------------------------------------------------------------- closing and publishing
SET ROLE ss_cal_hr;
SELECT throws_ok($$SELECT sales_supervisor.publish_appraisal_cycle(1)$$, '55000', 'appraisal cycle 1 is calibrating, not closed',
                 'no publication before the close');
RESET ROLE;
SET ROLE ss_cal_1;
SELECT throws_ok(format('SELECT sales_supervisor.close_calibration_session(%s)', :s_level), '42501', NULL,
                 'a manager cannot close the level session');
SELECT lives_ok(format('SELECT sales_supervisor.close_calibration_session(%s)', :s_dept), 'Sam closes the North session');
SELECT throws_ok(format('SELECT sales_supervisor.close_calibration_session(%s)', :s_dept), '55000',
                 format('calibration session %s is already closed', :s_dept), 'once');
SELECT throws_ok(format($$SELECT sales_supervisor.adjust_final_score(%s, 4, 1, 'late')$$, :s_dept), '55000', NULL,
                 'no adjustment in a closed session');
RESET ROLE;
SET ROLE ss_cal_hr;
CREATE TEMP TABLE closed1 AS SELECT member_id, final_score, rank, percentile, grade FROM close_appraisal_cycle(1);
SELECT results_eq($$SELECT member_id, final_score, rank, percentile, grade FROM closed1 ORDER BY 1$$,
  $$VALUES (1, 92.5::float8, 1, 100.00, 'B'), (2, 80.357143, 2, 0.00, 'C'), (3, 90.75, 3, 50.00, 'B'), (4, 76.333334, 4, 25.00, 'C'),
           (5, 91.09375, 2, 75.00, 'B'), (6, 91.5, 1, 100.00, 'A'), (7, 67.388886, 5, 0.00, 'C')$$,
  'closed with the calibrated scores and grades');
SELECT results_eq($$SELECT member_id, final_score, rank, percentile, grade FROM sales_supervisor.close_appraisal_cycle(1) ORDER BY 1$$,
  $$VALUES (1, 92.5::float8, 1, 100.00, 'B'), (2, 80.357143, 2, 0.00, 'C'), (3, 90.75, 3, 50.00, 'B'), (4, 76.333334, 4, 25.00, 'C'),
           (5, 91.09375, 2, 75.00, 'B'), (6, 91.5, 1, 100.00, 'A'), (7, 67.388886, 5, 0.00, 'C')$$,
  'closing twice gives the same result');
RESET ROLE;
SET ROLE ss_cal_1;
SELECT throws_ok(format($$SELECT sales_supervisor.adjust_final_score(%s, 4, 1, 'late')$$, :s_level), '55000', NULL,
                 'no adjustment once the cycle is closed');
RESET ROLE;
SET ROLE ss_cal_3;
SELECT is((SELECT count(*)::int FROM appraisal_result), 0, 'closed but not published: Ann still sees nothing');
RESET ROLE;
SET ROLE ss_cal_hr;
SELECT throws_ok($$SELECT sales_supervisor.publish_appraisal_cycle(1)$$, '55000',
                 format('calibration session %s of appraisal cycle 1 is still open', :s_level), 'no publication while a session is open');
SELECT lives_ok(format('SELECT sales_supervisor.close_calibration_session(%s)', :s_level), 'HR closes the level session');
RESET ROLE;
SET ROLE ss_cal_1;
SELECT throws_ok($$SELECT sales_supervisor.publish_appraisal_cycle(1)$$, '42501', NULL, 'only HR publishes');
RESET ROLE;
SET ROLE ss_cal_hr;
SELECT lives_ok($$SELECT sales_supervisor.publish_appraisal_cycle(1)$$, 'HR publishes the closed cycle');
RESET ROLE;
SELECT is((SELECT string_agg(action || ' ' || (new_row->>'published_by'), '; ') FROM audit_log WHERE table_name = 'appraisal_publication'),
          'INSERT ss_cal_hr', 'the publication is audited');

-- ---------------------------------------------------------------- who sees what (published)
SET ROLE ss_cal_3;
SELECT results_eq('SELECT member_id, final_score, grade FROM sales_supervisor.appraisal_result',
                  $$VALUES (3, 90.75::float8, 'B')$$, 'published: Ann sees her own calibrated result, and only hers');
SELECT results_eq('SELECT member_id, grade FROM sales_supervisor.appraisal_consequence', $$VALUES (3, 'B')$$,
                  'her consequence');
SELECT results_eq('SELECT member_id, final_score, grade FROM sales_supervisor.calibration_baseline',
                  $$VALUES (3, 98.75::float8, 'A')$$, 'her score before calibration');
SELECT results_eq('SELECT member_id, points, reason FROM sales_supervisor.calibration_adjustment',
                  $$VALUES (3, -8.00, 'Sam''s marks are lenient (z +0.70): -8 after discussion')$$, 'and why it changed');
RESET ROLE;
SET ROLE ss_cal_4;
SELECT results_eq('SELECT member_id, grade FROM sales_supervisor.appraisal_result', $$VALUES (4, 'C')$$,
                  'Bob sees his own result, not Ann''s');
SELECT is((SELECT count(*)::int FROM calibration_adjustment), 0, 'Bob sees no adjustment (none of his, not Ann''s)');
RESET ROLE;
SET ROLE ss_cal_1;
SELECT results_eq('SELECT member_id FROM sales_supervisor.appraisal_result ORDER BY 1', ARRAY[1, 3, 4, 5],
                  'published: Sam sees his own result too');
RESET ROLE;

-- ---------------------------------------------------------------- a reopened cycle is unpublished
-- (this test is one transaction, where now() stands still: the publication is
-- moved an hour back, as if it had been published before the reopen)
UPDATE appraisal_publication SET published_at = published_at - interval '1 hour' WHERE cycle_id = 1;
SET ROLE ss_cal_hr;
SELECT lives_ok($$SELECT sales_supervisor.reopen_appraisal_cycle(1, 'a late review')$$, 'HR reopens the cycle');
RESET ROLE;
SET ROLE ss_cal_3;
SELECT is((SELECT count(*)::int FROM appraisal_result), 0, 'reopened: Ann sees nothing again');
RESET ROLE;
SET ROLE ss_cal_hr;
SELECT is((SELECT count(*)::int FROM close_appraisal_cycle(1)), 7, 'closed again');
RESET ROLE;
SET ROLE ss_cal_3;
SELECT is((SELECT count(*)::int FROM appraisal_result), 0, 'closed again but not published again: still nothing');
RESET ROLE;

-- ---------------------------------------------------------------- ranked per team
-- Reopened and calibrated with group_by team: the calibration groups are North
-- {Sam, Ann, Bob, Cat} and South {Sue, Dan, Eve}; the adjustments stand.
-- North, 4 people at 20/30/40/10 %: 0.8, 1.2, 1.6, 0.4 -> floors 0, 1, 1, 0; the
--   two spares to the largest remainders .8 (A) and .6 (C): A 1, B 1, C 2.
--   before Ann 98.75 A, Sam 92.5 B, Cat 91.09375 C, Bob 76.333334 C
--   after  Sam 92.5 A, Cat 91.09375 B, Ann 90.75 C, Bob 76.333334 C
--   (issue 16: Sam's 92.5 after the anonymity threshold; with 89.375 he was third)
-- South, 3 people: 0.6, 0.9, 1.2, 0.3 -> floors 0, 0, 1, 0; spares to .9 (B), .6 (A):
--   A 1, B 1, C 1.  before Dan 88.5 A, Sue 80.357143 B, Eve 67.388886 C; after Dan 91.5 A.
SET ROLE ss_cal_hr;
SELECT lives_ok($$SELECT sales_supervisor.reopen_appraisal_cycle(1, 'ranked per team')$$, 'HR reopens it once more');
RESET ROLE;
SELECT results_eq($$SELECT member_id, final_score, rank, grade FROM calibrate_appraisal_cycle(1, 'team') ORDER BY 1$$,
  $$VALUES (1, 92.5::float8, 1, 'A'), (2, 80.357143, 2, 'B'), (3, 90.75, 3, 'C'), (4, 76.333334, 4, 'C'),
           (5, 91.09375, 2, 'B'), (6, 91.5, 1, 'A'), (7, 67.388886, 3, 'C')$$,
  'per team: the adjusted scores are ranked again within each team');
SELECT results_eq($$SELECT member_id, grp, final_score, rank, grade FROM calibration_baseline ORDER BY 1$$,
  $$VALUES (1, '1', 92.5::float8, 2, 'B'), (2, '2', 80.357143, 2, 'B'), (3, '1', 98.75, 1, 'A'), (4, '1', 76.333334, 4, 'C'),
           (5, '1', 91.09375, 3, 'C'), (6, '2', 88.5, 1, 'A'), (7, '2', 67.388886, 3, 'C')$$,
  '... against the ranking per team before calibration');

SELECT * FROM finish();
ROLLBACK;
