-- Roles and row-level security, as each role, on a small demo organisation.
--
-- The org (generate_demo_org(seed 11, teams 7, depth 3, reps 12, customers 60)):
--   departments 1 and 2; teams 3, 4 under 1; 5, 6 under 2; 7 under 3.
--   member k (1..7) leads team k; reps 8..19 spread round-robin over the leaf
--   teams 4, 5, 6, 7: team 4 = {8, 12, 16}, team 7 = {11, 15, 19}.
--   customer c is owned by rep 8 + (c - 1) % 12: five customers per rep.
-- So, by hand: rep 8 sees 1 member and 5 customers; supervisor 3 (leads team 3,
-- whose subtree is {3, 7}) sees members {3, 7, 11, 15, 19} and their 15
-- customers; manager 1 (department 1 = teams {1, 3, 4, 7}) sees 10 members and
-- 30 customers.  Other expected counts are computed as the superuser (who
-- bypasses row-level security) with the plain predicate the policy must mean.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SELECT plan(95);

-- (pgTAP grants its temp tables to PUBLIC, so assertions run as any role.)

-- pg_temp.affected(sql): rows a statement touches, run as the current role
\ir include/affected.sql

SELECT is((SELECT count(*)::int FROM generate_demo_org(seed => 11, teams => 7, depth => 3, reps => 12,
            customers => 60, sales_lines => 600, surveys => 50, reviews_per_member => 4)),
          18, 'demo org generated');

-- the organisation the comments above describe
SELECT results_eq('SELECT member_id FROM sales_supervisor.member WHERE team_id = 4 AND level = ''sales_rep'' ORDER BY 1',
                  ARRAY[8, 12, 16], 'team 4 holds reps 8, 12, 16');
SELECT results_eq('SELECT team_id FROM sales_supervisor.team WHERE parent_id = 3', ARRAY[7], 'team 7 is under team 3');

CREATE ROLE ss_demo_8 NOLOGIN;  CREATE ROLE ss_demo_12 NOLOGIN;
CREATE ROLE ss_demo_3 NOLOGIN;  CREATE ROLE ss_demo_1 NOLOGIN;
CREATE ROLE ss_test_hr NOLOGIN; CREATE ROLE ss_test_bi NOLOGIN;
GRANT sales_supervisor_rep TO ss_demo_8, ss_demo_12;
GRANT sales_supervisor_supervisor TO ss_demo_3;
GRANT sales_supervisor_manager TO ss_demo_1;
GRANT sales_supervisor_hr TO ss_test_hr;
GRANT sales_supervisor_bi TO ss_test_bi;

CREATE TEMP TABLE expect AS
SELECT 'rep8_sales' AS k, count(*) AS n FROM sale s
  WHERE s.member_id = 8 OR s.sale_id IN (SELECT sale_id FROM sale_credit WHERE member_id = 8)
UNION ALL SELECT 'rep8_visits', count(*) FROM customer_visit v JOIN customer c USING (customer_id) WHERE c.owner_id = 8
UNION ALL SELECT 'rep8_surveys', count(*) FROM survey_response v JOIN customer c USING (customer_id) WHERE c.owner_id = 8
UNION ALL SELECT 'rep8_written', count(*) FROM review WHERE reviewer_id = 8
UNION ALL SELECT 'sup3_sales', count(*) FROM sale s
  WHERE s.member_id IN (3, 7, 11, 15, 19)
     OR s.sale_id IN (SELECT sale_id FROM sale_credit WHERE member_id IN (3, 7, 11, 15, 19))
UNION ALL SELECT 'sup3_visits', count(*) FROM customer_visit v JOIN customer c USING (customer_id) WHERE c.team_id = 7
UNION ALL SELECT 'sup3_overdue', count(*) FROM overdue_visit WHERE team_id = 7
UNION ALL SELECT 'mgr1_tasks', count(*) FROM task WHERE assigned_to IN (1, 3, 4, 7, 8, 12, 16, 11, 15, 19)
UNION ALL SELECT 'rep8_report', min(report_id) FROM work_report WHERE member_id = 8
UNION ALL SELECT 'reviews', count(*) FROM review
UNION ALL SELECT 'cycle', min(cycle_id) FROM appraisal_cycle;
GRANT SELECT ON expect TO PUBLIC;
-- rep 8's credit, computed with every share of every split line in sight
CREATE TEMP TABLE expect_credit AS
SELECT cs.sale_id, cs.member_id, cs.share_pct, cs.amount FROM credited_sales('-infinity', 'infinity') cs
WHERE cs.sale_id IN (SELECT sale_id FROM sale WHERE member_id = 8 UNION SELECT sale_id FROM sale_credit WHERE member_id = 8);
CREATE TEMP TABLE expect_month AS
SELECT * FROM credited_sales_by_month('2025-01-01', '2025-12-31') WHERE member_id = 8;
GRANT SELECT ON expect_credit, expect_month TO PUBLIC;
SELECT ok((SELECT n FROM expect WHERE k = 'rep8_sales') > 0 AND (SELECT n FROM expect WHERE k = 'sup3_sales') > 0,
          'the reps have sales to hide from each other');
SELECT ok((SELECT count(*) FROM sale_credit sc JOIN sale s USING (sale_id) WHERE sc.member_id = 8 AND s.member_id <> 8) > 0,
          'rep 8 holds credit shares of sales booked to teammates (so the credited arm is tested)');

-- ---------------------------------------------------------------- rep 8
SET ROLE ss_demo_8;
SELECT is(current_member_id(), 8, 'rep: login maps to member 8');
SELECT results_eq('SELECT member_id FROM sales_supervisor.member', ARRAY[8], 'rep: sees only their own member row');
SELECT is((SELECT count(*)::int FROM customer), 5, 'rep: sees exactly their 5 customers');
SELECT is((SELECT count(*)::int FROM customer WHERE owner_id <> 8), 0, 'rep: sees no customer of another rep');
SELECT is((SELECT count(*) FROM customer_visit), (SELECT n FROM expect WHERE k = 'rep8_visits'),
          'rep: sees exactly the visits of their customers');
SELECT is((SELECT count(*) FROM survey_response), (SELECT n FROM expect WHERE k = 'rep8_surveys'),
          'rep: sees exactly the surveys of their customers');
SELECT is((SELECT count(*) FROM sale), (SELECT n FROM expect WHERE k = 'rep8_sales'),
          'rep: sees exactly the sales booked or credited to them');
SELECT is((SELECT count(*)::int FROM sale s WHERE s.member_id <> 8
             AND NOT EXISTS (SELECT 1 FROM sale_credit c WHERE c.sale_id = s.sale_id AND c.member_id = 8)), 0,
          'rep: sees no sale of another rep they have no share in');
SELECT set_eq('SELECT sale_id, member_id, share_pct, amount FROM sales_supervisor.credited_sales(''-infinity'', ''infinity'')',
              'SELECT * FROM expect_credit',
              'rep: the credit of the lines they see is split over all the shares (not 100 % of what is in sight)');
SELECT set_eq($$SELECT * FROM sales_supervisor.credited_sales_by_month('2025-01-01', '2025-12-31') WHERE member_id = 8$$,
              'SELECT * FROM expect_month', 'rep: their credit per month is the same as HR computes it');
SELECT is(pg_temp.affected('UPDATE sales_supervisor.customer SET profile = ''stolen'' WHERE owner_id = 12'), 0::bigint,
          'rep: updating another rep''s customers touches nothing');
SELECT is(pg_temp.affected('UPDATE sales_supervisor.customer_visit SET outcome = ''x'' WHERE member_id = 12 AND done_at IS NOT NULL'), 0::bigint,
          'rep: updating another rep''s visits touches nothing');
SELECT is(pg_temp.affected('DELETE FROM sales_supervisor.customer_contact WHERE customer_id IN (SELECT customer_id FROM sales_supervisor.customer_contact WHERE customer_id % 12 = 5)'),
          0::bigint, 'rep: deleting another rep''s contacts touches nothing');
SELECT is(pg_temp.affected('UPDATE sales_supervisor.customer SET profile = ''visited'' WHERE owner_id = 8'), 5::bigint,
          'rep: can update their own 5 customers');
SELECT throws_ok($$UPDATE sales_supervisor.customer SET tier = 'C' WHERE owner_id = 8$$, '42501',
                 'permission denied for table customer', 'rep: cannot re-tier their customers (visit cadence)');
SELECT throws_ok($$UPDATE sales_supervisor.task SET due_on = due_on + 30$$, '42501',
                 'permission denied for table task', 'rep: cannot move the due dates of their tasks');
SELECT is(pg_temp.affected(format($$UPDATE sales_supervisor.work_report SET submitted_at = '2020-01-01', body = 'done'
                                    WHERE report_id = %s$$, (SELECT n FROM expect WHERE k = 'rep8_report'))), 1::bigint,
          'rep: submits their report');
SELECT is((SELECT submitted_at FROM work_report WHERE report_id = (SELECT n FROM expect WHERE k = 'rep8_report')), now(),
          'rep: the submission time is the server''s, not the backdated one sent');
SELECT throws_ok($$UPDATE sales_supervisor.review SET rater_role = 'supervisor'$$, '42501',
                 'permission denied for table review', 'rep: cannot change whom or as what they reviewed');
SELECT throws_ok('DELETE FROM sales_supervisor.customer', '42501', 'permission denied for table customer',
                 'rep: cannot delete customers at all');
SELECT throws_ok('DELETE FROM sales_supervisor.customer_visit', '42501', 'permission denied for table customer_visit',
                 'rep: cannot delete visits');
SELECT throws_ok('UPDATE sales_supervisor.sale SET amount = 1', '42501', 'permission denied for table sale',
                 'rep: cannot change sales lines');
SELECT throws_ok($$INSERT INTO sales_supervisor.customer (name, tier, team_id, owner_id) VALUES ('x', 'A', 4, 8)$$,
                 '42501', 'permission denied for table customer', 'rep: cannot create customers');
SELECT throws_ok('SELECT * FROM sales_supervisor.audit_log', '42501', 'permission denied for table audit_log',
                 'rep: cannot read the audit log');
SELECT is((SELECT count(*) FROM review), (SELECT n FROM expect WHERE k = 'rep8_written'),
          'rep: sees exactly the reviews they wrote');
SELECT is((SELECT count(*)::int FROM review), 4, 'rep: wrote 4 reviews (self, 2 peers, 1 of their supervisor)');
SELECT is((SELECT count(*)::int FROM review WHERE reviewee_id = 8 AND reviewer_id <> 8), 0,
          'rep: sees no review others wrote about them');
SELECT results_eq(
  $$SELECT rater_role::text, count(*)::int, sum(reviews)::int, count(avg_score)::int
    FROM sales_supervisor.review_summary((SELECT n::int FROM expect WHERE k = 'cycle'))
    GROUP BY 1 ORDER BY 1$$,
  $$VALUES ('peer', 4, 8, 0), ('self', 4, 4, 4), ('supervisor', 4, 4, 4)$$,
  'rep: own review summary by role; the 2 peer averages are withheld (fewer than 3 peers)');
SELECT is((SELECT proargnames FROM pg_proc WHERE proname = 'review_summary' AND pronamespace = 'sales_supervisor'::regnamespace),
          ARRAY['cycle', 'reviewee', 'login', 'rater_role', 'criterion', 'reviews', 'avg_score'],
          'review_summary returns no reviewer column');
SELECT throws_ok($$SELECT * FROM sales_supervisor.review_summary(1, 12)$$, '42501',
                 'role "ss_demo_8" may not see the reviews of member 12', 'rep: cannot see another rep''s review summary');
SELECT is((SELECT count(*)::int FROM appraisal_result), 0, 'rep: no appraisal results yet');
RESET ROLE;

-- a login can only speak for itself: with SET SESSION AUTHORIZATION the
-- session user is the rep, who is no member of ss_demo_12
SET SESSION AUTHORIZATION ss_demo_8;
SELECT throws_ok($$SELECT sales_supervisor.current_member_id('ss_demo_12')$$, '42501',
                 'session user "ss_demo_8" may not act as role "ss_demo_12"',
                 'a rep cannot ask for another login''s member id');
SELECT throws_ok($$SELECT sales_supervisor.visible_member_ids('ss_demo_1')$$, '42501',
                 'session user "ss_demo_8" may not act as role "ss_demo_1"',
                 'a rep cannot ask for a manager''s scope');
SELECT is((SELECT count(*)::int FROM customer), 5, 'SET SESSION AUTHORIZATION: the rep still sees their 5 customers');
RESET SESSION AUTHORIZATION;

-- ---------------------------------------------------------------- supervisor 3
SET ROLE ss_demo_3;
SELECT results_eq('SELECT member_id FROM sales_supervisor.member ORDER BY 1', ARRAY[3, 7, 11, 15, 19],
                  'supervisor: sees exactly the members of their subtree (nested team 7 included)');
SELECT is((SELECT count(*)::int FROM customer), 15, 'supervisor: sees the 15 customers of their subtree');
SELECT is((SELECT count(*)::int FROM customer WHERE owner_id = 8), 0, 'supervisor: sees no customer outside the subtree');
SELECT is((SELECT count(*) FROM customer_visit), (SELECT n FROM expect WHERE k = 'sup3_visits'),
          'supervisor: sees exactly the visits of the subtree''s customers');
SELECT is((SELECT count(*) FROM sale), (SELECT n FROM expect WHERE k = 'sup3_sales'),
          'supervisor: sees exactly the sales of the subtree');
SELECT is((SELECT count(*) FROM overdue_visit), (SELECT n FROM expect WHERE k = 'sup3_overdue'),
          'supervisor: the overdue list (security invoker view) shows the subtree only');
SELECT is(pg_temp.affected($$UPDATE sales_supervisor.task SET status = 'cancelled' WHERE assigned_to = 8 AND status = 'open'$$),
          0::bigint, 'supervisor: cannot change tasks outside the subtree');
SELECT throws_ok($$INSERT INTO sales_supervisor.task (title, assigned_to, assigned_by) VALUES ('spy', 8, 3)$$, '42501',
                 'new row violates row-level security policy for table "task"',
                 'supervisor: cannot assign a task outside the subtree');
SELECT lives_ok($$INSERT INTO sales_supervisor.task (title, assigned_to, assigned_by) VALUES ('call back', 11, 3)$$,
                'supervisor: assigns a task inside the subtree');
SELECT throws_ok($$INSERT INTO sales_supervisor.quota (period_id, member_id, amount, method) VALUES (1, 11, 100, 'manual')$$,
                 '42501', 'permission denied for table quota', 'supervisor: cannot set quotas');
SELECT results_eq($$SELECT count(*)::int FROM sales_supervisor.review_summary((SELECT n::int FROM expect WHERE k = 'cycle'), 11)
                    WHERE rater_role = 'peer' AND avg_score IS NOT NULL$$, ARRAY[0],
                  'supervisor: review summary of a subtree member, peers still withheld below 3');
SELECT throws_ok($$SELECT * FROM sales_supervisor.review_summary(1, 8)$$, '42501',
                 'role "ss_demo_3" may not see the reviews of member 8', 'supervisor: no review summary outside the subtree');
RESET ROLE;

-- ---------------------------------------------------------------- manager 1
SET ROLE ss_demo_1;
SELECT is((SELECT count(*)::int FROM member), 10, 'manager: sees the 10 members of their department');
SELECT is((SELECT count(*)::int FROM customer), 30, 'manager: sees the 30 customers of their department');
SELECT is((SELECT count(*) FROM task), (SELECT n + 1 FROM expect WHERE k = 'mgr1_tasks'),
          'manager: sees the department''s tasks (with the one just assigned)');
SELECT lives_ok($$INSERT INTO sales_supervisor.quota (period_id, member_id, amount, method) VALUES (1, 8, 1000000, 'manual')$$,
                'manager: sets a quota inside the department');
SELECT throws_ok($$INSERT INTO sales_supervisor.quota (period_id, member_id, amount, method) VALUES (1, 9, 1000000, 'manual')$$,
                 '42501', 'new row violates row-level security policy for table "quota"',
                 'manager: cannot set a quota outside the department');
SELECT results_eq('SELECT member_id FROM sales_supervisor.pay', ARRAY[1],
                  'manager: sees only their own pay, not the department''s');
RESET ROLE;

-- ---------------------------------------------------------------- HR
SET ROLE ss_test_hr;
SELECT is((SELECT count(*) FROM review), (SELECT n FROM expect WHERE k = 'reviews'), 'HR: sees every review');
SELECT is((SELECT count(*)::int FROM member), 19, 'HR: sees every member');
SELECT is((SELECT count(*)::int FROM pay), 19, 'HR: sees everyone''s pay');
SELECT throws_ok('SELECT count(*) FROM sales_supervisor.customer', '42501', 'permission denied for table customer',
                 'HR: no access to the customer file');
SELECT throws_ok('SELECT count(*) FROM sales_supervisor.sale', '42501', 'permission denied for table sale',
                 'HR: no access to sales lines');
RESET ROLE;

-- ---------------------------------------------------------------- BI
SET ROLE ss_test_bi;
SELECT throws_ok('SELECT * FROM sales_supervisor.review', '42501', 'permission denied for table review',
                 'BI: cannot read raw reviews');
SELECT throws_ok('SELECT * FROM sales_supervisor.review_summary(1, 8)', '42501',
                 'permission denied for function review_summary', 'BI: cannot call review_summary');
SELECT throws_ok('SELECT * FROM sales_supervisor.customer', '42501', 'permission denied for table customer',
                 'BI: cannot read the customer file');
SELECT throws_ok($$INSERT INTO sales_supervisor.team (name) VALUES ('x')$$, '42501', 'permission denied for table team',
                 'BI: cannot write');
SELECT is((SELECT count(*)::int FROM v_org_summary), 7, 'BI: reads the org summary view, one row per team');
SELECT is((SELECT sum(active_customers)::int FROM v_org_summary), 60, 'BI: the summary counts every customer');
SELECT is((SELECT count(*)::int FROM information_schema.table_privileges
           WHERE grantee = 'sales_supervisor_bi' AND table_schema = 'sales_supervisor'
             AND privilege_type <> 'SELECT'), 0, 'BI: holds no write privilege on anything');
RESET ROLE;

-- the documented promise (issue 12.6): the reporting views read past row-level
-- security, so none is readable by a role whose rows are limited
SELECT is((SELECT array_agg(c.relname || ':' || r ORDER BY c.relname, r)
           FROM pg_class c CROSS JOIN unnest(ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor',
                                                  'sales_supervisor_manager', 'sales_supervisor_hr']) r
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace AND c.relkind IN ('v', 'm')
             AND NOT coalesce((SELECT 'security_invoker=true' = ANY (c.reloptions)), false)
             AND has_table_privilege(r, c.oid, 'SELECT')),
          NULL, 'no owner-rights view is readable by reps, supervisors, managers or HR');
SET ROLE ss_demo_1;
SELECT throws_ok('SELECT * FROM sales_supervisor.v_org_summary', '42501', NULL,
                 'a manager cannot read other departments'' head counts (v_org_summary)');
RESET ROLE;
SET ROLE ss_test_hr;
SELECT throws_ok('SELECT * FROM sales_supervisor.v_org_summary', '42501', NULL,
                 'HR cannot read customer counts (v_org_summary)');
RESET ROLE;

-- ---------------------------------------------------------------- closed cycle
-- calibrate, write results, close; then nobody changes them, except through
-- the audited reopen.
UPDATE appraisal_cycle SET state = 'calibrating';
SET ROLE ss_test_hr;
SELECT lives_ok($$INSERT INTO sales_supervisor.appraisal_result (cycle_id, member_id, level, individual_performance, final_score, rank, grade)
                  SELECT c.cycle_id, m.member_id, m.level, 50 + m.member_id, 50 + m.member_id, 20 - m.member_id,
                         CASE WHEN m.member_id > 15 THEN 'A' ELSE 'C' END
                  FROM sales_supervisor.member m CROSS JOIN sales_supervisor.appraisal_cycle c$$,
                'HR: writes the results while calibrating');
SELECT lives_ok($$UPDATE sales_supervisor.appraisal_cycle SET state = 'closed'$$, 'HR: closes the cycle');
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_result SET grade = 'A' WHERE member_id = 8$$, '55000',
                 format('appraisal cycle %s is closed: its appraisal_result rows cannot be inserted, updated or deleted',
                        (SELECT n FROM expect WHERE k = 'cycle')),
                 'HR: cannot change a result of the closed cycle');
SELECT throws_ok($$DELETE FROM sales_supervisor.appraisal_result$$, '55000', NULL,
                 'HR: cannot delete results of the closed cycle');
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_cycle SET state = 'calibrating'$$, '55000',
                 format('appraisal cycle %s is closed', (SELECT n FROM expect WHERE k = 'cycle')),
                 'HR: cannot reopen by updating the state');
RESET ROLE;
SET ROLE ss_demo_8;
SELECT is((SELECT count(*)::int FROM appraisal_result), 0, 'rep: sees no result before publication, not even their own');
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_result SET grade = 'A'$$, '42501',
                 'permission denied for table appraisal_result', 'rep: cannot change results');
SELECT throws_ok($$SELECT sales_supervisor.reopen_appraisal_cycle(1, 'please')$$, '42501',
                 'permission denied for function reopen_appraisal_cycle', 'rep: cannot reopen');
RESET ROLE;
SET ROLE ss_demo_3;
SELECT is((SELECT count(*)::int FROM appraisal_result), 4, 'supervisor: sees the 4 other results of their subtree, not their own');
SELECT throws_ok($$SELECT sales_supervisor.reopen_appraisal_cycle(1, 'please')$$, '42501',
                 'permission denied for function reopen_appraisal_cycle', 'supervisor: cannot reopen');
RESET ROLE;
-- published (issue 16): now each member sees their own result too
SET ROLE ss_test_hr;
SELECT lives_ok(format('SELECT sales_supervisor.publish_appraisal_cycle(%s)', (SELECT n FROM expect WHERE k = 'cycle')),
                'HR: publishes the closed cycle');
RESET ROLE;
SET ROLE ss_demo_8;
SELECT is((SELECT count(*)::int FROM appraisal_result), 1, 'rep: sees their own result only, once published');
RESET ROLE;
SET ROLE ss_demo_3;
SELECT is((SELECT count(*)::int FROM appraisal_result), 5, 'supervisor: sees the 5 results of their subtree, once published');
RESET ROLE;
SELECT throws_ok($$UPDATE sales_supervisor.appraisal_result SET grade = 'A' WHERE member_id = 8$$, '55000', NULL,
                 'not even the superuser changes a closed cycle''s results directly');
SET ROLE ss_test_hr;
SELECT throws_ok(format($$SELECT sales_supervisor.reopen_appraisal_cycle(%s, '  ')$$, (SELECT n FROM expect WHERE k = 'cycle')),
                 '22023', NULL, 'HR: reopening needs a reason');
SELECT lives_ok(format($$SELECT sales_supervisor.reopen_appraisal_cycle(%s, 'grade of member 8 miscalibrated')$$,
                       (SELECT n FROM expect WHERE k = 'cycle')), 'HR: reopens with a reason');
SELECT is(pg_temp.affected($$UPDATE sales_supervisor.appraisal_result SET grade = 'B' WHERE member_id = 8$$), 1::bigint,
          'HR: corrects the result after the reopen');
SELECT is((SELECT string_agg(format('%s|%s|%s|%s|%s', action, changed_by, acting_role, reason, new_row->>'state'), ';')
           FROM sales_supervisor.audit_log WHERE table_name = 'appraisal_cycle' AND action = 'REOPEN'),
          format('REOPEN|%s|ss_test_hr|grade of member 8 miscalibrated|calibrating', session_user),
          'the reopen is in the audit log: who, as which role, why');
SELECT is((SELECT string_agg(format('%s|%s|%s', old_row->>'grade', new_row->>'grade', acting_role), ';')
           FROM sales_supervisor.audit_log
           WHERE table_name = 'appraisal_result' AND action = 'UPDATE' AND row_key->>'member_id' = '8'),
          'C|B|ss_test_hr', 'the corrected result is audited with old and new row');
SELECT throws_ok($$UPDATE sales_supervisor.audit_log SET reason = 'nothing happened'$$, '42501',
                 'permission denied for table audit_log', 'HR: cannot edit the audit log');
RESET ROLE;
SELECT throws_ok($$UPDATE sales_supervisor.audit_log SET reason = 'nothing happened'$$, '42501',
                 'audit_log is append-only: UPDATE is not allowed', 'the owner cannot edit the audit log either');
SELECT throws_ok($$DELETE FROM sales_supervisor.audit_log$$, '42501',
                 'audit_log is append-only: DELETE is not allowed', 'nor delete from it');
SELECT throws_ok($$TRUNCATE sales_supervisor.audit_log$$, '42501',
                 'audit_log is append-only: TRUNCATE is not allowed', 'nor truncate it');

SELECT * FROM finish();
ROLLBACK;
