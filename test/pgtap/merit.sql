-- Merit raises within a budget and the 9-box (issue 16, items 2 and 6), on a
-- small org worked out by hand.  The appraisal results are written directly
-- (the cycle moved to calibrating, results inserted, then closed), so the
-- numbers below depend on nothing but this file.
--
-- ORG: departments 1 "Sales" (subteams 2 North, 3 South) and 4 "Other".
--   1 Mia  sales_manager              team 1, leads 1   grade B  base 230 000.00
--   2 Sam  sales_customer_supervisor  team 2, leads 2   grade A  base 175 000.00
--   3 Ann  sales_rep                  team 2            grade A  base  85 000.50
--   4 Bob  sales_rep                  team 2            grade C  base  99 999.99
--   5 Cat  sales_rep                  team 3            grade B  base  90 000.00
--   6 Dan  sales_rep                  team 3            grade B  base  90 000.00
--   7 Eve  sales_rep                  team 4            grade B  base 100 000.00
--   8 Fay  sales_rep                  team 3            grade D  base 110 000.00
-- BANDS 2025: rep 80 000 / 100 000 / 120 000; supervisor 120 000 / 150 000 /
--   180 000; manager 160 000 / 200 000 / 240 000.
-- MATRIX (bracket from compa-ratio 0, 0.9, 1.1):  A 10 / 8 / 6 %,  B 7 / 5 / 3 %,
--   C 4 / 3 / 1.5 %,  D 0 %.
--
-- PROPOSED = round(base x % / 100, 2), capped at band max - base:
--   Mia  230 000 / 200 000 = 1.15      -> B >= 1.1: 3 %   6 900.00  (room 10 000)
--   Sam  175 000 / 150 000 = 1.1667    -> A >= 1.1: 6 %  10 500.00  room 5 000 -> CAPPED 5 000.00
--   Ann  85 000.50 / 100 000 = 0.8500  -> A < 0.9: 10 %   8 500.05
--   Bob  99 999.99 / 100 000 = 1.0000 (0.9999999) -> C [0.9, 1.1): 3 % = 2 999.9997 -> 3 000.00
--   Cat  90 000 / 100 000 = 0.9 exactly -> B from 0.9 (included): 5 %  4 500.00
--   Dan  as Cat                                                     4 500.00
--   Fay  D: 0 %                                                         0.00
--   Eve  (department 4, outside every budget below)
-- Position in band = (base - min) / (max - min): Ann 5 000.50 / 40 000 = 0.1250,
--   Sam 55 000 / 60 000 = 0.9167.
--
-- BUDGET team 1 (the department) = 20 000.00.  Before scaling 6 900 + 5 000 +
--   8 500.05 + 3 000 + 4 500 + 4 500 + 0 = 32 400.05 > 20 000 -> scaled:
--   share = amount x 20 000 / 32 400.05:
--     Mia 4 259.2526.. Sam 3 086.4149.. Ann 5 246.9363.. Bob 1 851.8489..
--     Cat 2 777.7734.. Dan 2 777.7734.. Fay 0
--   floors 4 259.25 + 3 086.41 + 5 246.93 + 1 851.84 + 2 777.77 + 2 777.77 = 19 999.97:
--   3 cents left to the largest remainders (in cents): Bob .899, Ann .635, Sam .499
--   (next Cat and Dan .349) -> Mia 4 259.25, Sam 3 086.42, Ann 5 246.94,
--   Bob 1 851.85, Cat 2 777.77, Dan 2 777.77, Fay 0.00; sum 20 000.00 exactly;
--   Sam's 3 086.42 <= his cap 5 000.
-- BUDGET team 2 (North) = 5 % of its bases: 175 000 + 85 000.50 + 99 999.99 =
--   360 000.49 x 5 % = 18 000.0245 -> floor 18 000.02.  Before scaling 5 000 +
--   8 500.05 + 3 000 = 16 500.05 <= 18 000.02: nothing scaled, the capped
--   proposals stand.
-- BUDGET team 3 (South) = 5 000.01: Cat 4 500, Dan 4 500, Fay 0 = 9 000 ->
--   2 500.005 each: floors 2 500.00 + 2 500.00, 1 cent left, remainders and
--   amounts equal -> the lower member_id: Cat 2 500.01, Dan 2 500.00.
-- OVERRIDE Sam 12 000.00 ("counter-offer"): new base 187 000 > band max 180 000.
--   Team 1: 20 000 - 12 000 = 8 000 over 6 900 + 8 500.05 + 3 000 + 4 500 +
--   4 500 + 0 = 27 400.05: Mia 2 014.5948.. Ann 2 481.7618.. Bob 875.9108..
--   Cat 1 313.8662.. Dan 1 313.8662..; floors sum 7 999.98; 2 cents to Cat and
--   Dan (.622 each; Mia .486) -> Mia 2 014.59, Ann 2 481.76, Bob 875.91,
--   Cat 1 313.87, Dan 1 313.87, Fay 0; + Sam 12 000 = 20 000.00.
--
-- 9-BOX: four grades -> performance A 3, B 3, C 2, D 1 (3 - floor(3k / 4),
--   k = 0..3).  Potential: Sam rates Ann 3, Bob 1; Mia rates Sam 2, Cat 2,
--   Fay 1; HR rates Mia 3.  Box = (potential - 1) x 3 + performance:
--   Ann 9 star, Bob 2 effective, Sam 6 high performer, Cat 6 high performer,
--   Fay 1 risk, Mia 9 star, Dan and Eve unrated (NULL).
--   Visible: Sam (supervisor of team 2) Ann, Bob; Mia (manager of 1) 2-6, 8;
--   HR all 8; reps: no access.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
SELECT plan(65);

-- ---------------------------------------------------------------- setup
CREATE ROLE ss_m_mia NOLOGIN; CREATE ROLE ss_m_sam NOLOGIN; CREATE ROLE ss_m_ann NOLOGIN;
CREATE ROLE ss_m_bob NOLOGIN; CREATE ROLE ss_m_hr NOLOGIN;
GRANT sales_supervisor_manager TO ss_m_mia;
GRANT sales_supervisor_supervisor TO ss_m_sam;
GRANT sales_supervisor_rep TO ss_m_ann, ss_m_bob;
GRANT sales_supervisor_hr TO ss_m_hr;

INSERT INTO team (team_id, name, parent_id) VALUES (9001, 'Sales', NULL), (9004, 'Other', NULL);
INSERT INTO team (team_id, name, parent_id) VALUES (9002, 'North', 9001), (9003, 'South', 9001);
INSERT INTO member (member_id, full_name, level, team_id, hire_date, login_role) VALUES
  (9101, 'Mia', 'sales_manager', 9001, '2018-01-01', 'ss_m_mia'),
  (9102, 'Sam', 'sales_customer_supervisor', 9002, '2019-01-01', 'ss_m_sam'),
  (9103, 'Ann', 'sales_rep', 9002, '2021-01-01', 'ss_m_ann'),
  (9104, 'Bob', 'sales_rep', 9002, '2021-01-01', 'ss_m_bob'),
  (9105, 'Cat', 'sales_rep', 9003, '2021-01-01', NULL),
  (9106, 'Dan', 'sales_rep', 9003, '2021-01-01', NULL),
  (9107, 'Eve', 'sales_rep', 9004, '2021-01-01', NULL),
  (9108, 'Fay', 'sales_rep', 9003, '2021-01-01', NULL);
INSERT INTO team_leader (team_id, member_id) VALUES (9001, 9101), (9002, 9102);

INSERT INTO appraisal_cycle (cycle_id, fiscal_year, name) VALUES (9201, 2025, 'Merit test 2025');
INSERT INTO appraisal_component_weight (cycle_id, level, component, weight)
SELECT 9201, l, 'individual_performance', 100 FROM unnest(enum_range(NULL::member_level)) l;
INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct) VALUES
  (9201, 'A', 1, 25), (9201, 'B', 2, 25), (9201, 'C', 3, 25), (9201, 'D', 4, 25);
UPDATE appraisal_cycle SET state = 'reviewing' WHERE cycle_id = 9201;
UPDATE appraisal_cycle SET state = 'calibrating' WHERE cycle_id = 9201;
INSERT INTO appraisal_result (cycle_id, member_id, level, final_score, grade)
SELECT 9201, m.member_id, m.level, v.score, v.grade
FROM (VALUES (9101, 80, 'B'), (9102, 95, 'A'), (9103, 92, 'A'), (9104, 60, 'C'), (9105, 75, 'B'),
             (9106, 74, 'B'), (9107, 70, 'B'), (9108, 40, 'D')) v(id, score, grade)
JOIN member m ON m.member_id = v.id;
INSERT INTO pay (member_id, fiscal_year, base_salary) VALUES
  (9101, 2025, 230000), (9102, 2025, 175000), (9103, 2025, 85000.50), (9104, 2025, 99999.99),
  (9105, 2025, 90000), (9106, 2025, 90000), (9107, 2025, 100000), (9108, 2025, 110000);
INSERT INTO merit_budget (cycle_id, team_id, amount, pct_of_base) VALUES
  (9201, 9001, 20000, NULL), (9201, 9002, NULL, 5), (9201, 9003, 5000.01, NULL);

-- ---------------------------------------------------------------- validation
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(9201, 9001)$$, '55000',
  'appraisal cycle 9201 is calibrating, not closed', 'preview: the cycle must be closed');
UPDATE appraisal_cycle SET state = 'closed' WHERE cycle_id = 9201;
SELECT throws_ok($$INSERT INTO sales_supervisor.salary_band VALUES (2025, 'sales_rep', 100000, 90000, 120000)$$,
  '23514', NULL, 'salary_band: min above mid is refused');
SELECT throws_ok($$INSERT INTO sales_supervisor.salary_band VALUES (2025, 'sales_rep', 0, 0, 120000)$$,
  '23514', NULL, 'salary_band: a band must be above 0');
SELECT throws_ok($$INSERT INTO sales_supervisor.salary_band VALUES (2025, 'sales_rep', 80000, 100000, 90000)$$,
  '23514', NULL, 'salary_band: max below mid is refused');
INSERT INTO salary_band (fiscal_year, level, band_min, band_mid, band_max) VALUES
  (2025, 'sales_rep', 80000, 100000, 120000), (2025, 'sales_customer_supervisor', 120000, 150000, 180000);
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_matrix VALUES (9201, 'A', -0.1, 5)$$,
  '23514', NULL, 'merit_matrix: a bracket below compa-ratio 0 is refused');
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_matrix VALUES (9201, 'A', 0, 101)$$,
  '23514', NULL, 'merit_matrix: a raise above 100 % is refused');
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_matrix VALUES (9201, 'Z', 0, 5)$$,
  '23503', NULL, 'merit_matrix: a grade not in the cycle''s grade policy is refused');
INSERT INTO merit_matrix (cycle_id, grade, compa_from, raise_pct) VALUES
  (9201, 'A', 0, 10), (9201, 'A', 0.9, 8), (9201, 'A', 1.1, 6),
  (9201, 'B', 0, 7), (9201, 'B', 0.9, 5), (9201, 'B', 1.1, 3),
  (9201, 'C', 0, 4), (9201, 'C', 0.9, 3), (9201, 'C', 1.1, 1.5),
  (9201, 'D', 0.5, 0);
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_matrix VALUES (9201, 'A', 0.9, 7)$$,
  '23505', NULL, 'merit_matrix: a second bracket from the same compa-ratio (an overlap) is refused');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(9201, 9001)$$, '55000',
  'the merit matrix of appraisal cycle 9201 has no bracket from compa-ratio 0 for grade D',
  'preview: every grade needs brackets covering [0, infinity)');
UPDATE merit_matrix SET compa_from = 0 WHERE cycle_id = 9201 AND grade = 'D';
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(9201, 9001)$$, '55000',
  'level sales_manager has no salary band for 2025', 'preview: every level of the scope needs a band');
INSERT INTO salary_band (fiscal_year, level, band_min, band_mid, band_max) VALUES (2025, 'sales_manager', 160000, 200000, 240000);
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_budget VALUES (9201, 9004, 100, 5)$$,
  '23514', NULL, 'merit_budget: an amount and a percentage at once are refused');
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_budget VALUES (9201, 9004, NULL, NULL)$$,
  '23514', NULL, 'merit_budget: neither is refused');
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_budget VALUES (9201, 9004, -1, NULL)$$,
  '23514', NULL, 'merit_budget: a negative amount is refused');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(9201, 9004)$$, 'P0002',
  'appraisal cycle 9201 has no merit budget for team 9004', 'preview: the team needs a budget');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(NULL, 9001)$$, '22004', NULL, 'preview: NULL cycle');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(9201, NULL)$$, '22004', NULL, 'preview: NULL team');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(9299, 9001)$$, 'P0002', NULL, 'preview: unknown cycle');

-- ---------------------------------------------------------------- preview: team 2 fits its 5 % budget
SELECT results_eq(
  $$SELECT member_id, compa_ratio, band_position, raise_pct, proposed, capped, before_scaling, raise, new_base, budget
    FROM merit_preview(9201, 9002)$$,
  $$VALUES (9102, 1.1667, 0.9167, 6.000, 10500.00, true, 5000.00, 5000.00, 180000.00, 18000.02),
           (9103, 0.8500, 0.1250, 10.000, 8500.05, false, 8500.05, 8500.05, 93500.55, 18000.02),
           (9104, 1.0000, 0.5000, 3.000, 3000.00, false, 3000.00, 3000.00, 102999.99, 18000.02),
           (NULL, NULL, NULL, NULL, 22000.05, true, 16500.05, 16500.05, 376500.54, 18000.02)$$,
  'team 2: compa-ratios, brackets (0.9999999 in [0.9, 1.1)), Sam capped at band max, 5 % budget floored to the cent, nothing scaled');

-- ---------------------------------------------------------------- preview: team 1 scaled to 20 000.00
SELECT count(*) AS audit_before FROM audit_log \gset
SELECT results_eq(
  $$SELECT member_id, grade, raise_pct, proposed, capped, before_scaling, raise FROM merit_preview(9201, 9001)$$,
  $$VALUES (9101, 'B', 3.000, 6900.00, false, 6900.00, 4259.25),
           (9102, 'A', 6.000, 10500.00, true, 5000.00, 3086.42),
           (9103, 'A', 10.000, 8500.05, false, 8500.05, 5246.94),
           (9104, 'C', 3.000, 3000.00, false, 3000.00, 1851.85),
           (9105, 'B', 5.000, 4500.00, false, 4500.00, 2777.77),
           (9106, 'B', 5.000, 4500.00, false, 4500.00, 2777.77),
           (9108, 'D', 0.000, 0.00, false, 0.00, 0.00),
           (NULL, NULL, NULL, 37900.05, true, 32400.05, 20000.00)$$,
  'team 1: 32 400.05 scaled to the budget 20 000.00 exactly, largest remainders (hand-computed)');
SELECT is((SELECT budget FROM merit_preview(9201, 9001) WHERE member_id IS NULL), 20000.00::numeric,
  'team 1: the budget is shown with the total');
SELECT ok((SELECT bool_and(raise <= before_scaling) FROM merit_preview(9201, 9001)),
  'team 1: nobody gets more than their capped proposal (Sam stays below his band max)');
SELECT results_eq(
  $$SELECT member_id, raise FROM merit_preview(9201, 9003)$$,
  $$VALUES (9105, 2500.01), (9106, 2500.00), (9108, 0.00), (NULL, 5000.01)$$,
  'team 3: equal amounts and remainders -- the spare cent goes to the lower member_id');
SELECT is((SELECT count(*) FROM audit_log), :audit_before::bigint, 'preview writes nothing: no audit entry');
SELECT is((SELECT count(*) FROM merit_raise), 0::bigint, 'preview writes nothing: no merit_raise');
SELECT is((SELECT count(*) FROM pay WHERE fiscal_year = 2026), 0::bigint, 'preview writes nothing: no pay of 2026');
SELECT is(p.provolatile::text, 's', 'merit_preview is STABLE')
FROM pg_catalog.pg_proc p WHERE p.oid = 'sales_supervisor.merit_preview(integer, integer, name)'::regprocedure;

-- ---------------------------------------------------------------- roles of the steps
SET ROLE ss_m_ann;
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(9201, 9002)$$, '42501', NULL, 'rep: may not preview merit raises');
RESET ROLE;
SET ROLE ss_m_mia;
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(9201, 9001)$$, '42501', NULL, 'manager: may not preview merit raises');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_apply(9201, 9001, 20000)$$, '42501', NULL, 'manager: may not apply merit raises');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_budget$$, '42501', NULL, 'manager: no access to budgets');
RESET ROLE;

-- ---------------------------------------------------------------- the override, with a reason
SET ROLE ss_m_hr;
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_override (cycle_id, member_id, raise) VALUES (9201, 9102, 12000)$$,
  '23502', NULL, 'override: refused without a reason');
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_override (cycle_id, member_id, raise, reason) VALUES (9201, 9102, 12000, '  ')$$,
  '23514', NULL, 'override: refused with a blank reason');
SELECT throws_ok($$INSERT INTO sales_supervisor.merit_override (cycle_id, member_id, raise, reason, approved_by)
                   VALUES (9201, 9102, 12000, 'counter-offer', 'someone_else')$$,
  '42501', NULL, 'override: the approver is the writer');
SELECT lives_ok($$INSERT INTO sales_supervisor.merit_override (cycle_id, member_id, raise, reason) VALUES (9201, 9102, 12000, 'counter-offer')$$,
  'HR: overrides Sam''s raise above the band max with a reason');
RESET ROLE;
SELECT is((SELECT format('%s|%s|%s', acting_role, new_row->>'raise', new_row->>'reason') FROM audit_log
           WHERE table_name = 'merit_override' AND action = 'INSERT' AND row_key = '{"cycle_id": 9201, "member_id": 9102}'),
          'ss_m_hr|12000.00|counter-offer', 'the override and its reason are audited as HR''s');

SET ROLE ss_m_hr;
SELECT results_eq(
  $$SELECT member_id, capped, overridden, before_scaling, raise, new_base FROM merit_preview(9201, 9001)$$,
  $$VALUES (9101, false, false, 6900.00, 2014.59, 232014.59),
           (9102, false, true, 12000.00, 12000.00, 187000.00),
           (9103, false, false, 8500.05, 2481.76, 87482.26),
           (9104, false, false, 3000.00, 875.91, 100875.90),
           (9105, false, false, 4500.00, 1313.87, 91313.87),
           (9106, false, false, 4500.00, 1313.87, 91313.87),
           (9108, false, false, 0.00, 0.00, 110000.00),
           (NULL, false, true, 39400.05, 20000.00, 900000.49)$$,
  'override: Sam 12 000 above his band max, taken first; 8 000 apportioned over the rest; total 20 000.00');

-- ---------------------------------------------------------------- apply on approval
CREATE TEMP TABLE preview_t1 AS SELECT * FROM merit_preview(9201, 9001);
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_apply(9201, 9001, 19999.99)$$, '55000',
  'the merit raises of team 9001 in cycle 9201 total 20000.00, not the 19999.99 approved',
  'apply: refused when the approved total is not the preview''s');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_apply(9201, 9001, NULL)$$, '22004', NULL, 'apply: NULL approved total');
SELECT results_eq($$SELECT * FROM merit_apply(9201, 9001, 20000.00) ORDER BY member_id NULLS LAST$$,
                  $$SELECT * FROM preview_t1 ORDER BY member_id NULLS LAST$$,
  'apply returns exactly the preview');
RESET ROLE;
SELECT results_eq(
  $$SELECT member_id, grade, base_salary, compa_ratio, raise_pct, proposed, capped, overridden, raise, team_id
    FROM merit_raise WHERE cycle_id = 9201 ORDER BY member_id$$,
  $$SELECT member_id, grade, base_salary, compa_ratio, raise_pct, proposed, capped, overridden, raise, 9001
    FROM preview_t1 WHERE member_id IS NOT NULL ORDER BY member_id$$,
  'apply writes exactly the preview into merit_raise');
SELECT results_eq(
  $$SELECT member_id, base_salary FROM pay WHERE fiscal_year = 2026 ORDER BY member_id$$,
  $$SELECT member_id, new_base FROM preview_t1 WHERE member_id IS NOT NULL ORDER BY member_id$$,
  'apply writes the new base as the pay of 2026');
SELECT is((SELECT sum(raise) FROM merit_raise WHERE cycle_id = 9201), 20000.00, 'the applied raises add up to the budget');
SELECT is((SELECT count(*) FROM audit_log WHERE table_name = 'merit_raise' AND action = 'INSERT'), 7::bigint,
  'every applied raise is audited');
SET ROLE ss_m_hr;
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_apply(9201, 9002,
                     (SELECT raise FROM sales_supervisor.merit_preview(9201, 9002) WHERE member_id IS NULL))$$, '55000',
  'member 9102 already has a merit raise of cycle 9201', 'apply: a member''s raise is applied once per cycle');
RESET ROLE;

-- ---------------------------------------------------------------- RLS: a rep never sees another's raise
SET ROLE ss_m_ann;
SELECT results_eq($$SELECT member_id, raise FROM sales_supervisor.merit_raise$$, $$VALUES (9103, 2481.76)$$,
  'rep Ann sees her own raise only');
SELECT results_eq($$SELECT member_id, base_salary FROM sales_supervisor.pay WHERE fiscal_year = 2026$$,
  $$VALUES (9103, 87482.26)$$, 'rep Ann sees her own new base only');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_override$$, '42501', NULL, 'rep: no access to overrides');
RESET ROLE;
SET ROLE ss_m_bob;
SELECT results_eq($$SELECT member_id, raise FROM sales_supervisor.merit_raise$$, $$VALUES (9104, 875.91)$$,
  'rep Bob sees his own raise only');
RESET ROLE;
SET ROLE ss_m_sam;
SELECT results_eq($$SELECT member_id FROM sales_supervisor.merit_raise$$, $$VALUES (9102)$$,
  'supervisor Sam sees his own raise, not his reps''');
RESET ROLE;
SET ROLE ss_m_mia;
SELECT results_eq($$SELECT member_id FROM sales_supervisor.merit_raise$$, $$VALUES (9101)$$,
  'manager Mia sees her own raise, not her department''s');
RESET ROLE;
SET ROLE ss_m_hr;
SELECT is((SELECT count(*) FROM sales_supervisor.merit_raise), 7::bigint, 'HR sees every raise');
RESET ROLE;

-- ---------------------------------------------------------------- overrides above the budget
-- team 3's budget is 5 000.01; an override of 6 000.00 for Cat alone exceeds it
SET ROLE ss_m_hr;
INSERT INTO merit_override (cycle_id, member_id, raise, reason) VALUES (9201, 9105, 6000, 'market adjustment');
SELECT throws_ok($$SELECT * FROM sales_supervisor.merit_preview(9201, 9003)$$, '55000',
  'the merit overrides in team 9003''s scope (6000.00) exceed its budget (5000.01)',
  'preview: overrides above the budget are refused');
DELETE FROM merit_override WHERE cycle_id = 9201 AND member_id = 9105;
SELECT results_eq($$SELECT member_id, raise FROM merit_preview(9201, 9003)$$,
  $$VALUES (9105, 2500.01), (9106, 2500.00), (9108, 0.00), (NULL, 5000.01)$$,
  'the override taken back, team 3 is as before');
RESET ROLE;

-- ---------------------------------------------------------------- potential and the 9-box
SET ROLE ss_m_sam;
SELECT lives_ok($$INSERT INTO sales_supervisor.potential_rating (cycle_id, member_id, potential) VALUES (9201, 9103, 3), (9201, 9104, 1)$$,
  'supervisor Sam rates Ann and Bob (his team)');
SELECT throws_ok($$INSERT INTO sales_supervisor.potential_rating (cycle_id, member_id, potential) VALUES (9201, 9105, 2)$$,
  '42501', NULL, 'supervisor Sam may not rate Cat (another team)');
SELECT throws_ok($$INSERT INTO sales_supervisor.potential_rating (cycle_id, member_id, potential) VALUES (9201, 9102, 3)$$,
  '42501', NULL, 'supervisor Sam may not rate himself');
SELECT throws_ok($$INSERT INTO sales_supervisor.potential_rating (cycle_id, member_id, potential) VALUES (9201, 9103, 4)$$,
  '23514', NULL, 'potential is 1..3');
RESET ROLE;
SET ROLE ss_m_mia;
SELECT lives_ok($$INSERT INTO sales_supervisor.potential_rating (cycle_id, member_id, potential) VALUES (9201, 9102, 2), (9201, 9105, 2), (9201, 9108, 1)$$,
  'manager Mia rates Sam, Cat and Fay (her department)');
RESET ROLE;
SET ROLE ss_m_hr;
SELECT lives_ok($$INSERT INTO sales_supervisor.potential_rating (cycle_id, member_id, potential) VALUES (9201, 9101, 3)$$,
  'HR rates Mia');
SELECT results_eq(
  $$SELECT member_id, grade, performance, potential, box, box_name FROM sales_supervisor.nine_box WHERE cycle_id = 9201 ORDER BY member_id$$,
  $$VALUES (9101, 'B', 3, 3::smallint, 9, 'star'), (9102, 'A', 3, 2::smallint, 6, 'high performer'),
           (9103, 'A', 3, 3::smallint, 9, 'star'), (9104, 'C', 2, 1::smallint, 2, 'effective'),
           (9105, 'B', 3, 2::smallint, 6, 'high performer'), (9106, 'B', 3, NULL, NULL, NULL),
           (9107, 'B', 3, NULL, NULL, NULL), (9108, 'D', 1, 1::smallint, 1, 'risk')$$,
  'HR: the 9-box of every graded member (hand-computed cells)');
RESET ROLE;
SET ROLE ss_m_sam;
SELECT results_eq($$SELECT member_id, box FROM sales_supervisor.nine_box WHERE cycle_id = 9201 ORDER BY member_id$$,
  $$VALUES (9103, 9), (9104, 2)$$, 'supervisor Sam: the 9-box of his team, not his own row');
SELECT results_eq($$SELECT member_id FROM sales_supervisor.potential_rating ORDER BY member_id$$,
  $$VALUES (9103), (9104)$$, 'supervisor Sam does not see his own potential rating');
RESET ROLE;
SET ROLE ss_m_mia;
SELECT results_eq($$SELECT member_id, box FROM sales_supervisor.nine_box WHERE cycle_id = 9201 ORDER BY member_id$$,
  $$VALUES (9102, 6), (9103, 9), (9104, 2), (9105, 6), (9106, NULL), (9108, 1)$$,
  'manager Mia: the 9-box of her department, not her own row nor department 4');
RESET ROLE;
SET ROLE ss_m_ann;
SELECT throws_ok($$SELECT * FROM sales_supervisor.nine_box$$, '42501', NULL, 'rep: no access to the 9-box');
SELECT throws_ok($$SELECT * FROM sales_supervisor.potential_rating$$, '42501', NULL, 'rep: no access to potential ratings');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
