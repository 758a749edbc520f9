-- appraisal_what_if (issue 14.6, the appraisal half): variants of a cycle's
-- settings run over its current inputs, nothing written.
--
-- The org, data and cycle are those of sales_year_small_org.sql (copied: its
-- setup is not factored out); every number below comes from the hand
-- computation at the top of that file.  Closed with group_by level:
--   reps:        Ann 98.75 A, Cat 91.09375 B, Dan 88.5 B, Bob 76.333334 C, Eve 67.388886 C
--   supervisors: Sam 92.5 B, Sue 80.357143 C (issue 16: the anonymity threshold withholds Sue's
--                two subordinate reviews and both peer reviews; worked out there -- they were 89.375, 67.5)
-- Pay (2025): base Sam 200 000, Sue 180 000, Ann 100 000, Bob 90 000, Cat 80 000,
-- Dan 95 000, Eve 85 000; target bonus reps 10 %, supervisors 20 %;
-- grades A raise 8 % x1.5 +5 000, B 5 % x1.2 +2 000, C 3 % x1.0, D 0 % x0.5 -1 000.
-- Cost of a grade change (appraisal_what_if): raise = round(base x (raise sim -
-- cur) / 100, 2); bonus = year-end bonus at company factor 1,
-- greatest(0, round(target x multiplier, 2) + reward), simulated minus current.
--
-- VARIANTS (one call):
--   "as is"      {}: no override -- zero difference for everyone.
--   "restated"   the cycle's own KPI weights, curves, component weights, grades
--                and group_by written out -- zero difference for everyone (the
--                curves rescore every KPI from its attainment: equal to the stored score).
--   "components" reps' component weights tp 20 / ip 40 / cs 40 (instead of 20/60/20):
--     Ann (100x20 + 100x40 + 93.75x40) / 100 = 97.5                       (-1.25)
--     Bob (100x20 + 60.555556x40 + 100x40) / 100 = 84.2222224 -> 84.222222 (+7.888888)
--     Cat (100x20 + 88.125x40) / 60 = 92.083333 (no customer satisfaction) (+0.989583)
--     Dan (92.5x20 + 100x40 + 50x40) / 100 = 78.5                         (-10)
--     Eve (92.5x20 + 48.148144x40 + 100x40) / 100 = 77.7592576 -> 77.759258 (+10.370372)
--     ranking Ann, Cat, Bob, Dan, Eve -> A, B, B, C, C: Bob C -> B, Dan B -> C.
--     Bob: raise 90 000 x 2 % = 1 800; bonus 9 000 x 1.2 + 2 000 - 9 000 = 3 800.
--     Dan: raise 95 000 x -2 % = -1 900; bonus 9 500 - (9 500 x 1.2 + 2 000) = -3 900.
--     Total: 2 members change grade, raise -100, bonus -100.  Supervisors unchanged.
--   "curve"      KPI sales (K1) on linear[(0,0),(1,100),(2,200)] (= 100 x attainment)
--     instead of linear[(0.5,0),(1,100),(1.5,150)]: same points at attainment 1, 1.1,
--     1.2 (Dan, Ann, Cat); Bob 0.9 -> 90 (was 80), Eve 0.75 -> 75 (was 50):
--     Bob individual (90x40 + 0 + 100x10 + 0 + 50x10 + 75x10) / 90 = 65,
--         final (2000 + 65x60 + 2000) / 100 = 79                     (+2.666666)
--     Eve individual (75x40 + 0 + 33.3333x10 + 100x10 + 50x10 + 50x10) / 90 = 59.259256,
--         final (1850 + 59.259256x60 + 2000) / 100 = 74.0555536 -> 74.055554 (+6.666668)
--     no grade changes (Bob 79 stays behind Dan 88.5, Eve behind Bob).
--   "grades"     A 40 / B 20 / C 20 / D 20: checked against grade_by_distribution
--     over the stored final scores; by hand: 5 reps -> 2, 1, 1, 1: Ann A, Cat A,
--     Dan B, Bob C, Eve D; 2 supervisors -> .8 .4 .4 .4: A, then B (tie, earlier
--     grade): Sam A, Sue B.
--   "by team"    group_by team: teams North {Sam, Ann, Bob, Cat}, South {Sue, Dan, Eve}.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
SELECT setval(pg_get_serial_sequence('sales_supervisor.appraisal_cycle', 'cycle_id'), 1, false) AS restart \gset
SELECT plan(24);

-- ---------------------------------------------------------------- setup (sales_year_small_org.sql)
\ir include/small_org.sql

\ir include/small_org_cycle.sql
SELECT count(*) AS kpi_rows FROM score_kpis(1) \gset
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

SELECT count(*) AS closed_rows FROM close_appraisal_cycle(1) \gset
INSERT INTO pay (member_id, fiscal_year, base_salary) VALUES
  (1, 2025, 200000), (2, 2025, 180000), (3, 2025, 100000), (4, 2025, 90000), (5, 2025, 80000),
  (6, 2025, 95000), (7, 2025, 85000);
INSERT INTO bonus_target VALUES (2025, 'sales_rep', 10), (2025, 'sales_customer_supervisor', 20);

SELECT results_eq($$SELECT member_id, final_score, grade FROM appraisal_result WHERE cycle_id = 1 ORDER BY 1$$,
  $$VALUES (1, 92.5::float8, 'B'), (2, 80.357143, 'C'), (3, 98.75, 'A'), (4, 76.333334, 'C'), (5, 91.09375, 'B'),
           (6, 88.5, 'B'), (7, 67.388886, 'C')$$,
  'setup: the closed cycle has the hand-computed results of sales_year_small_org.sql');

-- ---------------------------------------------------------------- one call, every variant
CREATE TEMP TABLE counts_before AS
SELECT (SELECT count(*) FROM appraisal_result) AS results, (SELECT count(*) FROM kpi_result) AS kpis,
       (SELECT count(*) FROM audit_log) AS audit, (SELECT count(*) FROM appraisal_consequence) AS consequences,
       (SELECT max(computed_at) FROM appraisal_result) AS computed;
-- "restated": the cycle's settings as the tables hold them
SELECT jsonb_build_object(
  'kpi_weights', (SELECT jsonb_object_agg(l.level, l.w) FROM (
                    SELECT kw.level, jsonb_object_agg(d.code, kw.weight) AS w FROM kpi_weight kw
                    JOIN kpi_definition d USING (kpi_id) WHERE kw.cycle_id = 1 GROUP BY kw.level) l),
  'curves', (SELECT jsonb_object_agg(d.kpi_id::text, d.curve::text) FROM kpi_definition d),
  'component_weights', (SELECT jsonb_object_agg(l.level, l.w) FROM (
                          SELECT cw.level, jsonb_object_agg(cw.component, cw.weight) AS w
                          FROM appraisal_component_weight cw WHERE cw.cycle_id = 1 GROUP BY cw.level) l),
  'grades', (SELECT jsonb_object_agg(g.grade, g.distribution_pct) FROM grade_policy g WHERE g.cycle_id = 1),
  'group_by', 'level') AS restated \gset
CREATE TEMP TABLE w AS
SELECT * FROM appraisal_what_if(1, jsonb_build_object(
  'as is', '{}'::jsonb,
  'restated', :'restated'::jsonb,
  'components', '{"component_weights": {"sales_rep": {"team_performance": 20, "individual_performance": 40, "customer_satisfaction": 40}}}'::jsonb,
  'curve', '{"curves": {"sales": "linear[(0,0),(1,100),(2,200)]"}}'::jsonb,
  'grades', '{"grades": {"A": 40, "B": 20, "C": 20, "D": 20}}'::jsonb,
  'by team', '{"group_by": "team"}'::jsonb));

-- (5) nothing written
SELECT results_eq($$SELECT (SELECT count(*) FROM appraisal_result), (SELECT count(*) FROM kpi_result),
                           (SELECT count(*) FROM audit_log), (SELECT count(*) FROM appraisal_consequence),
                           (SELECT max(computed_at) FROM appraisal_result)$$,
                  $$SELECT results, kpis, audit, consequences, computed FROM counts_before$$,
                  'nothing written: appraisal_result, kpi_result, audit_log, appraisal_consequence as before');
SELECT is((SELECT provolatile::text FROM pg_proc WHERE oid = 'sales_supervisor.appraisal_what_if'::regproc), 's',
          'appraisal_what_if is STABLE (it cannot write)');
SELECT is((SELECT count(*) FROM w), 6 * 8::bigint, 'six variants x (7 members + a total row)');

-- (1) no override and the restated settings: zero difference, current = appraisal_result
SELECT results_eq($$SELECT member_id, current_score, current_grade FROM w WHERE variant = 'as is' AND member_id IS NOT NULL ORDER BY 1$$,
                  $$SELECT member_id, final_score, grade FROM appraisal_result WHERE cycle_id = 1 ORDER BY 1$$,
                  'current = appraisal_result of the closed cycle, member for member');
SELECT is((SELECT count(*) FROM w WHERE variant IN ('as is', 'restated') AND member_id IS NOT NULL
             AND score_difference = 0 AND simulated_score = current_score AND simulated_grade = current_grade
             AND grade_changes = 0 AND raise_cost = 0 AND bonus_cost = 0), 14::bigint,
          'no override and the restated settings: zero difference for all 7, same grade, no cost');
SELECT results_eq($$SELECT variant, grade_changes, raise_cost, bonus_cost, current_score, score_difference
                    FROM w WHERE variant IN ('as is', 'restated') AND member_id IS NULL ORDER BY 1$$,
                  $$VALUES ('as is', 0::bigint, 0::numeric, 0::numeric, NULL::float8, NULL::numeric),
                           ('restated', 0, 0, 0, NULL, NULL)$$,
                  '... and their total rows: no grade change, no cost');
SELECT is((SELECT count(*) FROM w c JOIN w a ON a.member_id = c.member_id AND a.variant = 'as is'
           WHERE c.member_id IS NOT NULL AND (c.current_score, c.current_grade) IS DISTINCT FROM (a.current_score, a.current_grade)),
          0::bigint, 'every variant shows the same current score and grade');

-- (2) hand-computed: component weights and a curve
SELECT results_eq($$SELECT member_id, simulated_score, score_difference, current_grade, simulated_grade, grade_changes,
                           raise_cost, bonus_cost FROM w WHERE variant = 'components' ORDER BY member_id NULLS LAST$$,
  $$VALUES (1, 92.5::float8, 0::numeric, 'B', 'B', 0::bigint, 0::numeric, 0::numeric),
           (2, 80.357143, 0, 'C', 'C', 0, 0, 0),
           (3, 97.5, -1.25, 'A', 'A', 0, 0, 0),
           (4, 84.222222, 7.888888, 'C', 'B', 1, 1800.00, 3800.00),
           (5, 92.083333, 0.989583, 'B', 'B', 0, 0, 0),
           (6, 78.5, -10, 'B', 'C', 1, -1900.00, -3900.00),
           (7, 77.759258, 10.370372, 'C', 'C', 0, 0, 0),
           (NULL, NULL, NULL, NULL, NULL, 2, -100.00, -100.00)$$,
  'reps'' component weights 20/40/40: scores, grades and cost as computed by hand');
SELECT results_eq($$SELECT member_id, simulated_score, score_difference FROM w
                    WHERE variant = 'curve' AND member_id IS NOT NULL AND score_difference <> 0 ORDER BY 1$$,
                  $$VALUES (4, 79::float8, 2.666666::numeric), (7, 74.055554, 6.666668)$$,
                  'K1 on 100 x attainment: Bob +2.666666, Eve +6.666668, nobody else moves');
SELECT results_eq($$SELECT grade_changes, raise_cost, bonus_cost FROM w WHERE variant = 'curve' AND member_id IS NULL$$,
                  $$VALUES (0::bigint, 0::numeric, 0::numeric)$$, '... and no grade changes, no cost');

-- (3) grade distribution: as grade_by_distribution over the stored final scores
SELECT results_eq($$SELECT member_id, simulated_grade FROM w WHERE variant = 'grades' AND member_id IS NOT NULL ORDER BY 1$$,
                  $$SELECT r.member_id, grade_by_distribution('{A,B,C,D}', '{40,20,20,20}')
                           OVER (PARTITION BY r.level ORDER BY r.final_score DESC)
                    FROM appraisal_result r WHERE r.cycle_id = 1 ORDER BY 1$$,
                  'grades 40/20/20/20: exactly grade_by_distribution over the final scores per level');
SELECT results_eq($$SELECT member_id, simulated_grade, score_difference FROM w WHERE variant = 'grades' AND member_id IS NOT NULL ORDER BY 1$$,
                  $$VALUES (1, 'A', 0::numeric), (2, 'B', 0), (3, 'A', 0), (4, 'C', 0), (5, 'A', 0), (6, 'B', 0), (7, 'D', 0)$$,
                  '... by hand: Sam A, Sue B; Ann A, Cat A, Dan B, Bob C, Eve D; scores unchanged');
-- cost: Sam B->A 200 000 x 3 % = 6 000, bonus (40 000 x 1.5 + 5 000) - (40 000 x 1.2 + 2 000) = 15 000;
-- Sue C->B 180 000 x 2 % = 3 600, (36 000 x 1.2 + 2 000) - 36 000 = 9 200;
-- Cat B->A 80 000 x 3 % = 2 400, (8 000 x 1.5 + 5 000) - (8 000 x 1.2 + 2 000) = 5 400;
-- Eve C->D 85 000 x -3 % = -2 550, greatest(0, 8 500 x 0.5 - 1 000) - 8 500 = -5 250.
SELECT results_eq($$SELECT grade_changes, raise_cost, bonus_cost FROM w WHERE variant = 'grades' AND member_id IS NULL$$,
                  $$VALUES (4::bigint, 9450.00::numeric, 24350.00::numeric)$$,
                  '... 4 grade changes costing 6 000 + 3 600 + 2 400 - 2 550 in raises and 15 000 + 9 200 + 5 400 - 5 250 in bonus');
SELECT results_eq($$SELECT member_id, simulated_grade FROM w WHERE variant = 'by team' AND member_id IS NOT NULL ORDER BY 1$$,
                  $$SELECT r.member_id, grade_by_distribution('{A,B,C,D}', '{20,30,40,10}')
                           OVER (PARTITION BY m.team_id ORDER BY r.final_score DESC)
                    FROM appraisal_result r JOIN member m USING (member_id) WHERE r.cycle_id = 1 ORDER BY 1$$,
                  'group_by team: the forced distribution per team');

-- (4) validation
SELECT throws_ok($$SELECT * FROM sales_supervisor.appraisal_what_if(1, NULL)$$, '22004', 'variants must not be null',
                 'NULL variants');
SELECT throws_ok($$SELECT * FROM sales_supervisor.appraisal_what_if(NULL, '{"x": {}}')$$, '22004', NULL, 'NULL cycle');
SELECT throws_ok($$SELECT * FROM sales_supervisor.appraisal_what_if(1, '{"x": {"weights": {}}}')$$, '22023',
                 'variant "x": unknown key or bad value "weights"', 'an unknown key');
SELECT throws_ok($$SELECT * FROM sales_supervisor.appraisal_what_if(1, '{"x": {"kpi_weights": {"sales_manager": {"sales": 100}}}}')$$,
                 '22023', 'variant "x": kpi_weights of level "sales_manager" must be a non-empty object, for a level appraisal cycle 1 weighs',
                 'a level the cycle has no KPI weights for');
SELECT throws_ok($$SELECT * FROM sales_supervisor.appraisal_what_if(1, '{"x": {"kpi_weights": {"sales_customer_supervisor": {"team_sales": 60, "sales": 40}}}}')$$,
                 '22023', 'variant "x": bad weight 40 for "sales" of level "sales_customer_supervisor" in kpi_weights',
                 'a KPI the level is not measured on');
SELECT throws_ok($$SELECT * FROM sales_supervisor.appraisal_what_if(1, '{"x": {"component_weights": {"sales_rep": {"team_performance": 50, "individual_performance": 40}}}}')$$,
                 '22023', 'variant "x": component_weights of level "sales_rep" sum to 90, not 100', 'weights not summing to 100');
SELECT throws_ok($$SELECT * FROM sales_supervisor.appraisal_what_if(1, '{"x": {"grades": {"A": 50, "B": 50}}}')$$,
                 '22023', 'variant "x": grades A, B with shares summing to 100 are not a distribution of the grades of appraisal cycle 1',
                 'grades other than the cycle''s');
SELECT throws_ok($$SELECT * FROM sales_supervisor.appraisal_what_if(1, '{"x": {"curves": {"nope": "linear[(0,0),(1,100)]"}}}')$$,
                 '22023', 'variant "x": curve of unknown KPI "nope", or not a string', 'an unknown KPI');
SELECT throws_ok($$SELECT * FROM sales_supervisor.appraisal_what_if(1, '{"x": {"group_by": "region"}}')$$,
                 '22023', 'variant "x": unknown key or bad value "group_by"', 'a bad group_by');

SELECT * FROM finish();
ROLLBACK;
