-- Effective-dated assignments (issue 14, item 1): member_assignment, the
-- maintained member.team_id / level, transfer_member, apply_due_assignments,
-- team figures by the team in force on the sale date, and row-level security
-- that follows the history.  Every number is worked out by hand below.
--
-- ORG (fiscal year 2025, calendar months: period 1 the year, 2..5 the
-- quarters, 6..17 the months -- May is period 10)
--   team 1 A: 1 Sam (supervisor, leads team 1, hired 2019-01-01)
--   team 2 B: 2 Sue (supervisor, leads team 2, hired 2019-01-01)
--             4 Dee (rep, hired 2024-01-01)
--   3 Rob (rep, hired 2024-01-01) is in team A and moves to team B on
--     2025-05-17 (transfer_member): his assignments become
--     [2024-01-01, 2025-05-17) A and [2025-05-17, infinity) B.
--   5 Fay (rep, hired 2025-02-01, team A) is moved by HR with a plain
--     UPDATE member SET team_id = 2: a change dated today.
-- SALES (no split)
--   s1 Rob 2025-03-01   500.00    (in A)
--   s2 Rob 2025-05-16 1 000.00    (in A: the day before the transfer)
--   s3 Rob 2025-05-17 2 000.00    (in B: the day of the transfer)
--   s4 Dee 2025-05-20 4 000.00    (in B)
-- TEAM ATTAINMENT (v_team_attainment, credited_sales)
--   May: A = s2 = 1 000.00;  B = s3 + s4 = 2 000 + 4 000 = 6 000.00
--   2025: A = s1 + s2 = 500 + 1 000 = 1 500.00;  B = 6 000.00
--   (by the current team alone it would have been A 0 and B 7 500 in 2025)
--   KPI team_sales_amount (score_kpis): Sam 1 500.00, Sue 6 000.00
-- ROW-LEVEL SECURITY (sale)
--   Sam (leads A) sees Rob's lines while Rob was in A: s1, s2
--   Sue (leads B) sees Rob's from the 17th, and Dee's: s3, s4
--   Rob sees all his own: s1, s2, s3
-- A MANAGER (Sam, granted the manager role at the end; team 3 C under A)
--   moves 6 Ivy from A to C on 2025-07-01; moving someone from or to
--   outside A's subtree, a level, or himself is refused (42501); he appoints
--   Ivy to lead C from 2025-09-01 and removes her: team_leadership keeps
--   [2025-09-01, today)
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL TimeZone = 'UTC';
-- other suites in this database used the identity of member_assignment
-- (sequences are not rolled back): restart it so the ids below are 1, 2, ...
SELECT setval(pg_get_serial_sequence('sales_supervisor.member_assignment', 'assignment_id'), 1, false) AS restart \gset
SELECT plan(43);

-- ---------------------------------------------------------------- the org
INSERT INTO team (team_id, name) VALUES (1, 'A'), (2, 'B');
INSERT INTO member (member_id, full_name, level, team_id, hire_date) VALUES
  (1, 'Sam', 'sales_customer_supervisor', 1, '2019-01-01'),
  (2, 'Sue', 'sales_customer_supervisor', 2, '2019-01-01'),
  (3, 'Rob', 'sales_rep', 1, '2024-01-01'),
  (4, 'Dee', 'sales_rep', 2, '2024-01-01'),
  (5, 'Fay', 'sales_rep', 1, '2025-02-01');
INSERT INTO team_leader (team_id, member_id) VALUES (1, 1), (2, 2);
INSERT INTO visit_cadence (tier, every_days) VALUES ('A', 90);
INSERT INTO customer (customer_id, name, tier, team_id, owner_id) VALUES
  (1, 'c1', 'A', 1, 3), (2, 'c2', 'A', 2, 4);
INSERT INTO product_category (category_id, name) VALUES (1, 'Goods');
\ir include/fiscal_2025.sql

SELECT results_eq($$SELECT member_id, team_id, level::text, valid::text, reason FROM member_assignment ORDER BY member_id$$,
  $$VALUES (1, 1, 'sales_customer_supervisor', '[2019-01-01,)', 'hired'), (2, 2, 'sales_customer_supervisor', '[2019-01-01,)', 'hired'),
           (3, 1, 'sales_rep', '[2024-01-01,)', 'hired'), (4, 2, 'sales_rep', '[2024-01-01,)', 'hired'),
           (5, 1, 'sales_rep', '[2025-02-01,)', 'hired')$$,
  'an inserted member gets one open-ended assignment from hire_date');

-- ---------------------------------------------------------------- the transfer
SELECT is(transfer_member(3, 2, '2025-05-17', 'moved to B'), 6, 'transfer_member returns the new assignment');
SELECT results_eq($$SELECT team_id, valid::text, reason FROM member_assignment WHERE member_id = 3 ORDER BY lower(valid)$$,
  $$VALUES (1, '[2024-01-01,2025-05-17)', 'hired'), (2, '[2025-05-17,)', 'moved to B')$$,
  'the assignment in force is cut on the 17th');
SELECT is((SELECT team_id FROM member WHERE member_id = 3), 2, 'member.team_id follows a transfer dated in the past');
SELECT is(member_team_on(3, '2025-05-16'), 1, 'member_team_on: team A on the 16th');
SELECT is(member_team_on(3, '2025-05-17'), 2, 'member_team_on: team B on the 17th');
SELECT is(member_team_on(3, '2020-01-01'), 1, 'member_team_on: before the hire, the first team');
SELECT is(transfer_member(3, 2, '2025-06-01', 'again'), 6, 'a transfer to the team in force changes nothing');
SELECT is((SELECT count(*)::int FROM member_assignment WHERE member_id = 3), 2, '... and records nothing');

-- ---------------------------------------------------------------- refusals
SELECT throws_ok($$INSERT INTO member_assignment (member_id, team_id, level, valid) VALUES (3, 1, 'sales_rep', '[2025-06-01,2025-07-01)')$$,
  '23P01', 'conflicting key value violates exclusion constraint "member_assignment_no_overlap"',
  'an overlapping assignment is refused by member_assignment_no_overlap (23P01)');
CREATE FUNCTION pg_temp.make_gap() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE sales_supervisor.member_assignment SET valid = '[2024-01-01,2025-05-10)' WHERE member_id = 3 AND upper(valid) = '2025-05-17';
  SET CONSTRAINTS sales_supervisor.member_assignment_cover IMMEDIATE;   -- what COMMIT does
END $$;
SELECT throws_ok('SELECT pg_temp.make_gap()', '23514', 'member 3 has no assignment on {[2025-05-10,2025-05-17)}',
  'a gap is refused when the deferred check runs (at commit; 23514 names the days)');
SELECT throws_ok($$SELECT transfer_member(3, 1, '2023-12-31', 'before the hire')$$, '23514',
  'member 3 has no assignment in force on 2023-12-31', 'a transfer before the hire is refused (23514)');
SELECT throws_ok($$SELECT transfer_member(NULL, 1, '2025-01-01', 'x')$$, '22004', NULL, 'a NULL member is refused (22004)');
SELECT throws_ok($$SELECT transfer_member(3, 1, NULL, 'x')$$, '22004', NULL, 'a NULL date is refused (22004)');
SELECT throws_ok($$SELECT transfer_member(99, 1, '2025-01-01', 'x')$$, 'P0002', 'member 99 does not exist',
  'an unknown member is refused (P0002)');
SELECT throws_ok($$SELECT transfer_member(3, 99, '2025-01-01', 'x')$$, '23503', 'team 99 does not exist',
  'an unknown team is refused (23503)');

-- ---------------------------------------------------------------- HR's UPDATE of member
UPDATE member SET team_id = 2 WHERE member_id = 5;
SELECT results_eq($$SELECT team_id, valid::text FROM member_assignment WHERE member_id = 5 ORDER BY lower(valid)$$,
  format($$VALUES (1, '[2025-02-01,%s)'), (2, '[%s,)')$$, current_date, current_date),
  'UPDATE member SET team_id records a transfer dated today');

-- ---------------------------------------------------------------- a future-dated transfer
SELECT lives_ok(format($$SELECT transfer_member(4, 1, %L, 'from tomorrow')$$, current_date + 1),
  'a transfer dated tomorrow is recorded');
SELECT is((SELECT team_id FROM member WHERE member_id = 4), 2, 'member.team_id keeps the team in force today');
SELECT is(apply_due_assignments(), 0, 'apply_due_assignments: nothing due today');
-- the calendar moves on a day: the same history dated one day earlier
UPDATE member_assignment SET valid = daterange(lower(valid), current_date) WHERE member_id = 4 AND upper(valid) = current_date + 1;
UPDATE member_assignment SET valid = daterange(current_date, NULL) WHERE member_id = 4 AND lower(valid) = current_date + 1;
SELECT is(apply_due_assignments(), 1, 'apply_due_assignments: the transfer whose day has come is applied');
SELECT is((SELECT team_id FROM member WHERE member_id = 4), 1, 'member.team_id is now the team in force today');
SELECT is(apply_due_assignments(), 0, 'apply_due_assignments: applied once');
-- back as it was for the figures below (Dee in B all along)
SELECT lives_ok($$SELECT transfer_member(4, 2, current_date, 'back')$$, 'transfer back');

-- ---------------------------------------------------------------- team figures by sale date
INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount) VALUES
  (1, '2025-03-01', 3, 1, 1, 500), (2, '2025-05-16', 3, 1, 1, 1000),
  (3, '2025-05-17', 3, 1, 1, 2000), (4, '2025-05-20', 4, 2, 1, 4000);
REFRESH MATERIALIZED VIEW v_credited_sales_daily;
SELECT results_eq($$SELECT team_id, period_id, credited_sales FROM v_team_attainment WHERE period_id IN (1, 10) ORDER BY 1, 2$$,
  $$VALUES (1, 1, 1500.00::numeric(38,2)), (1, 10, 1000.00), (2, 1, 6000.00), (2, 10, 6000.00)$$,
  'v_team_attainment: the 16th counts for A, the 17th for B');
SELECT results_eq($$SELECT member_id, team_id, month, amount FROM credit_by_team_month('2025-01-01', '2025-12-31') ORDER BY 1, 3, 2$$,
  $$VALUES (3, 1, date '2025-03-01', 500.00::numeric), (3, 1, '2025-05-01', 1000.00), (3, 2, '2025-05-01', 2000.00),
           (4, 2, '2025-05-01', 4000.00)$$,
  'credit_by_team_month: the month of the transfer split by sale date');
-- the KPI team_sales_amount of the two supervisors: Sam (A) 500 + 1 000 = 1 500, Sue (B) 2 000 + 4 000 = 6 000
-- (by the current team it would be Sam 0, Sue 7 500)
SELECT open_appraisal_cycle(2025, 'Appraisal 2025', 1, 5, '{"sales_customer_supervisor": {"team_performance": 100}}') AS cyc \gset
INSERT INTO kpi_definition (code, name, metric, component) VALUES ('team_sales', 'Team sales', 'team_sales_amount', 'team_performance')
RETURNING kpi_id AS kpi \gset
INSERT INTO kpi_weight (cycle_id, level, kpi_id, weight) VALUES (:cyc, 'sales_customer_supervisor', :kpi, 100);
SELECT results_eq(format('SELECT member_id, actual FROM sales_supervisor.score_kpis(%s) ORDER BY 1', :cyc),
  $$VALUES (1, 1500.00::numeric), (2, 6000.00)$$,
  'score_kpis: team_sales_amount counts each sale for the team its rep was in on the sale date');

-- ---------------------------------------------------------------- row-level security
CREATE ROLE ss_asg_sam NOLOGIN; CREATE ROLE ss_asg_sue NOLOGIN; CREATE ROLE ss_asg_rob NOLOGIN;
GRANT sales_supervisor_supervisor TO ss_asg_sam, ss_asg_sue;
GRANT sales_supervisor_rep TO ss_asg_rob;
UPDATE member SET login_role = 'ss_asg_' || lower(full_name) WHERE member_id IN (1, 2, 3);
SET LOCAL ROLE ss_asg_sam;
SELECT is((SELECT array_agg(sale_id ORDER BY sale_id) FROM sale), '{1,2}'::bigint[],
  'A''s supervisor sees Rob''s lines before the 17th, not after');
RESET ROLE;
SET LOCAL ROLE ss_asg_sue;
SELECT is((SELECT array_agg(sale_id ORDER BY sale_id) FROM sale), '{3,4}'::bigint[],
  'B''s supervisor sees Rob''s lines from the 17th on, and Dee''s');
RESET ROLE;
SET LOCAL ROLE ss_asg_rob;
SELECT is((SELECT array_agg(sale_id ORDER BY sale_id) FROM sale), '{1,2,3}'::bigint[], 'Rob sees all his own lines');
SELECT is((SELECT count(*)::int FROM member_assignment), 2, 'Rob sees his own assignments');
RESET ROLE;

-- ---------------------------------------------------------------- a manager moves within their subtree
-- team 3 C is added under A; Sam (leads A, so A and C) is granted the manager
-- role; 6 Ivy (rep, hired 2025-01-01) joins A
INSERT INTO team (team_id, name, parent_id) VALUES (3, 'C', 1);
INSERT INTO member (member_id, full_name, level, team_id, hire_date) VALUES (6, 'Ivy', 'sales_rep', 1, '2025-01-01');
GRANT sales_supervisor_manager TO ss_asg_sam;
SET LOCAL ROLE ss_asg_sam;
SELECT lives_ok($$SELECT sales_supervisor.transfer_member(6, 3, '2025-07-01', 'to C')$$,
  'manager: moves a member of their subtree to a team of it');
SELECT throws_ok($$SELECT sales_supervisor.transfer_member(4, 1, '2025-07-01', 'poached')$$, '42501', NULL,
  'manager: cannot take a member of another department (42501)');
SELECT throws_ok($$SELECT sales_supervisor.transfer_member(6, 2, '2025-08-01', 'away')$$, '42501', NULL,
  'manager: cannot move a member out of their subtree');
SELECT throws_ok($$SELECT sales_supervisor.transfer_member(6, 3, '2025-08-01', 'raise', 'sales_manager')$$, '42501', NULL,
  'manager: cannot change a level (HR''s)');
SELECT throws_ok($$SELECT sales_supervisor.transfer_member(1, 3, '2025-08-01', 'myself')$$, '42501', NULL,
  'manager: cannot move themselves');
-- ... and appoints Ivy to lead C from September, then removes her
SELECT lives_ok($$INSERT INTO sales_supervisor.team_leader (team_id, member_id, since) VALUES (3, 6, '2025-09-01')$$,
  'manager: appoints a leader of a team inside their subtree');
SELECT lives_ok($$DELETE FROM sales_supervisor.team_leader WHERE team_id = 3$$, 'manager: removes the leader');
RESET ROLE;
SELECT results_eq($$SELECT team_id, member_id, valid::text FROM team_leadership ORDER BY team_id, lower(valid)$$,
  format($$VALUES (1, 1, '[%s,)'), (2, 2, '[%s,)'), (3, 6, '[2025-09-01,%s)')$$, current_date, current_date, current_date),
  'team_leadership: the leaders since today (the default), and Ivy''s lead of C until yesterday');
SELECT results_eq($$SELECT team_id, valid::text, recorded_by::text = session_user::text FROM member_assignment WHERE member_id = 6 ORDER BY lower(valid)$$,
  $$VALUES (1, '[2025-01-01,2025-07-01)', true), (3, '[2025-07-01,)', true)$$,
  'Ivy''s history: A until June, C from July (recorded by the session user)');

-- ---------------------------------------------------------------- quotas across the transfer
-- Rob's quotas: May 3 100.00 (31 days: 16 in A, May 1..16, and 15 in B) and the
-- year 36 500.00 (365 days: 136 in A, Jan 1..May 16 = 31+28+31+30+16, 229 in B).
-- carry (the default): May A 3 100 x 16/31 = 1 600.00, B 1 500.00;
--                      year A 36 500 x 136/365 = 13 600.00, B 22 900.00.
-- leave: the part after the transfer stays with A: May A 3 100.00, year A 36 500.00, B none.
INSERT INTO quota (member_id, period_id, amount, method) VALUES (3, 10, 3100, 'manual'), (3, 1, 36500, 'manual');
SELECT results_eq($$SELECT period_id, team_id, rep_quotas FROM sales_supervisor.v_team_attainment
                    WHERE period_id IN (1, 10) AND team_id IN (1, 2) ORDER BY 1, 2$$,
                  $$VALUES (1, 1, 13600.00), (1, 2, 22900.00), (10, 1, 1600.00), (10, 2, 1500.00)$$,
                  'a transferred rep''s quotas count for each team by the days there (carry)');
UPDATE member_assignment SET quota_policy = 'leave' WHERE member_id = 3 AND team_id = 2;
SELECT results_eq($$SELECT period_id, team_id, rep_quotas FROM sales_supervisor.v_team_attainment
                    WHERE period_id IN (1, 10) AND team_id IN (1, 2) ORDER BY 1, 2$$,
                  $$VALUES (1, 1, 36500.00), (1, 2, NULL), (10, 1, 3100.00), (10, 2, NULL)$$,
                  'with quota_policy leave the rest of the quota stays with the old team');
SELECT throws_ok($$SELECT sales_supervisor.transfer_member(3, 1, '2025-09-01', 'x', quota_policy => 'split')$$, '22023',
                 'quota_policy must be carry or leave, got split', 'an unknown quota policy is refused');

SELECT * FROM finish();
ROLLBACK;
