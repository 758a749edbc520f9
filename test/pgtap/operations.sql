-- Operations: the job settings, execute_job / run_job and their log, the daily
-- jobs (overdue visits and feedback, pruning) on a small demo organisation,
-- progress lines, privileges and row-level security of the flags.  pg_cron
-- itself is exercised by test/system/pg_cron.t.
--
-- The org (generate_demo_org(seed 11, teams 7, depth 3, reps 12, customers 60)):
-- customer c is owned by rep 8 + (c - 1) % 12; the demo year is 2025, so every
-- customer is overdue for a visit today, and every unresolved feedback item is
-- past its deadline (both are checked against independent predicates below).
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL client_min_messages = warning;
SELECT plan(65);

-- ---------------------------------------------------------------- schema
SELECT has_table('sales_supervisor', t, 'table ' || t) FROM unnest(ARRAY['job_setting', 'ops_setting', 'job_log',
  'visit_overdue_flag', 'feedback_overdue_flag']) t;
SELECT is((SELECT array_agg(c.relname || '.' || a.attname ORDER BY c.relname, a.attname) FROM pg_class c
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE c.relnamespace = 'sales_supervisor'::regnamespace
             AND c.relname IN ('job_setting', 'ops_setting', 'job_log', 'visit_overdue_flag', 'feedback_overdue_flag')
             AND (col_description(c.oid, a.attnum) IS NULL OR obj_description(c.oid, 'pg_class') IS NULL)),
          NULL, 'every operations table and column has a comment');
SELECT is((SELECT count(*)::int FROM unnest(ARRAY['sales_supervisor.job_setting', 'sales_supervisor.ops_setting',
             'sales_supervisor.job_log', 'sales_supervisor.job_log_log_id_seq', 'sales_supervisor.visit_overdue_flag',
             'sales_supervisor.feedback_overdue_flag']::regclass[]) r
           WHERE r = ANY ((SELECT extconfig FROM pg_extension WHERE extname = 'sales_supervisor')::oid[])),
          6, 'the operations tables and the job_log sequence are registered with pg_extension_config_dump');
SELECT is((SELECT array_agg(relname::text ORDER BY relname) FROM pg_class
           WHERE relnamespace = 'sales_supervisor'::regnamespace AND relrowsecurity
             AND relname IN ('job_setting', 'ops_setting', 'job_log', 'visit_overdue_flag', 'feedback_overdue_flag')),
          ARRAY['feedback_overdue_flag', 'job_log', 'job_setting', 'ops_setting', 'visit_overdue_flag'],
          'row-level security on the operations tables (the settings and the log without any policy)');
SELECT results_eq($$SELECT job_name, schedule, command, enabled FROM job_setting ORDER BY job_name$$,
  $$VALUES ('appraisal_close', '0 6 5 1 *', 'CALL sales_supervisor.close_due_appraisal_cycles()', true),
           ('assignments_due', '5 0 * * *', 'CALL sales_supervisor.apply_assignments_for_day()', true),
           ('commission_run', '0 3 1 * *', 'CALL sales_supervisor.run_commission_for_month()', true),
           ('customer_risk', '30 1 * * *', 'CALL sales_supervisor.flag_customer_risk()', true),
           ('kpi_snapshot', '0 2 1 * *', 'CALL sales_supervisor.score_kpis_for_month()', true),
           ('local_schedules', '7 * * * *', 'CALL sales_supervisor.sync_local_schedules()', true),
           ('overdue_feedback', '20 1 * * *', 'CALL sales_supervisor.flag_overdue_feedback()', true),
           ('overdue_visits', '15 1 * * *', 'CALL sales_supervisor.flag_overdue_visits()', true),
           ('prune_job_log', '45 1 * * *', 'CALL sales_supervisor.prune_job_log()', true),
           ('refresh_reports', '0 4 1 * *', 'CALL sales_supervisor.refresh_reports()', true),
           ('risk_pace_team', '30 1 * * *', 'CALL sales_supervisor.flag_pace_and_team_risk()', true)$$,
  'the standard calendar, with configurable schedules and commands');
SELECT results_eq('SELECT name, value FROM ops_setting ORDER BY name',
  $$VALUES ('complaint_response_days', 3), ('feedback_response_days', 14), ('job_log_keep_days', 90)$$,
  'the ops settings and their defaults');
SELECT throws_ok($$INSERT INTO job_setting (job_name, schedule, command) VALUES ('Bad Name', '* * * * *', 'SELECT 1')$$,
                 '23514', NULL, 'a job name must be a lower-case identifier');
SELECT throws_ok($$INSERT INTO job_setting (job_name, schedule, command) VALUES ('x', 'every day', 'SELECT 1')$$,
                 '23514', NULL, 'a schedule must look like cron');
SELECT throws_ok($$UPDATE ops_setting SET value = 0 WHERE name = 'job_log_keep_days'$$, '23514', NULL,
                 'an ops setting is at least 1 day');

-- ---------------------------------------------------------------- privileges
SELECT is((SELECT array_agg(p ORDER BY p) FROM unnest(ARRAY['execute_job(text)', 'run_job(text)', 'schedule_jobs()',
             'unschedule_jobs()', 'flag_overdue_visits()', 'flag_overdue_feedback()', 'prune_job_log()',
             'refresh_reports()', 'job_progress(text,bigint)']) p
           WHERE has_function_privilege('public', ('sales_supervisor.' || p)::regprocedure, 'EXECUTE')
              OR has_function_privilege('sales_supervisor_manager', ('sales_supervisor.' || p)::regprocedure, 'EXECUTE')
              OR has_function_privilege('sales_supervisor_bi', ('sales_supervisor.' || p)::regprocedure, 'EXECUTE')),
          NULL, 'nobody but the owner runs jobs, schedules them or reports progress');
SELECT is((SELECT count(*)::int FROM information_schema.role_table_grants
           WHERE table_schema = 'sales_supervisor' AND table_name IN ('job_setting', 'ops_setting', 'job_log')
             AND grantee <> (SELECT tableowner FROM pg_tables WHERE schemaname = 'sales_supervisor' AND tablename = 'job_log')),
          0, 'the settings and the job log are granted to nobody');

-- ---------------------------------------------------------------- demo org
SELECT is((SELECT count(*)::int FROM generate_demo_org(seed => 11, teams => 7, depth => 3, reps => 12,
            customers => 60, sales_lines => 600, surveys => 50, reviews_per_member => 4)),
          18, 'demo org generated');
CREATE TEMP TABLE expect AS
SELECT 'visits' AS k, (SELECT count(*) FROM customer c JOIN visit_cadence vc USING (tier)
        WHERE c.active AND coalesce((SELECT max(v.done_at)::date FROM customer_visit v
                                     WHERE v.customer_id = c.customer_id), c.since) + vc.every_days < CURRENT_DATE) AS n
UNION ALL SELECT 'feedback', (SELECT count(*) FROM feedback f WHERE f.status IN ('open', 'in_progress')
        AND f.opened_at < now() - CASE WHEN f.kind = 'complaint' THEN interval '3 days' ELSE interval '14 days' END)
UNION ALL SELECT 'rep8_customers', (SELECT count(*) FROM customer WHERE owner_id = 8);
SELECT ok((SELECT n FROM expect WHERE k = 'visits') = 60 AND (SELECT n FROM expect WHERE k = 'feedback') > 0,
          'the demo year is past: all 60 customers are overdue for a visit, and some feedback is overdue');

-- ---------------------------------------------------------------- overdue visits
CREATE TEMP TABLE run1 AS SELECT * FROM execute_job('overdue_visits');
SELECT is((SELECT status FROM run1), 'success', 'overdue_visits: success');
SELECT is((SELECT rows_affected FROM run1), (SELECT n FROM expect WHERE k = 'visits'),
          'overdue_visits: rows affected = the customers newly flagged');
SELECT set_eq('SELECT customer_id, due_on FROM visit_overdue_flag',
              'SELECT customer_id, due_on FROM overdue_visit', 'the flags are the overdue_visit list, with due dates');
SELECT ok((SELECT detail ~ 'step 1/2.*\n.*step 2/2, 60 customers overdue: 60 newly flagged, 0 flags changed, 0 cleared' FROM run1),
          'overdue_visits: its progress lines are in the log detail');
SELECT is((SELECT count(*)::int FROM job_log WHERE log_id = (SELECT log_id FROM run1) AND job_name = 'overdue_visits'
             AND command = 'CALL sales_supervisor.flag_overdue_visits()' AND finished_at >= started_at
             AND run_by = session_user AND error IS NULL), 1, 'the run is in job_log, as returned');
SELECT is((SELECT rows_affected FROM execute_job('overdue_visits')), 0::bigint,
          'overdue_visits again: nothing changed, 0 rows affected');
-- a visit done today to customer 1: its flag is cleared; customer 2 moves to tier C: its due date changes
INSERT INTO customer_visit (customer_id, member_id, planned_on, done_at) VALUES (1, 8, CURRENT_DATE, now());
UPDATE customer SET tier = CASE WHEN tier = 'C' THEN 'A' ELSE 'C' END WHERE customer_id = 2;
SELECT is((SELECT rows_affected FROM execute_job('overdue_visits')), 2::bigint,
          'overdue_visits after a visit and a re-tier: 1 flag cleared + 1 changed = 2 rows');
SELECT is((SELECT count(*)::int FROM visit_overdue_flag WHERE customer_id = 1), 0, 'the visited customer is no longer flagged');
SELECT is((SELECT due_on FROM visit_overdue_flag WHERE customer_id = 2), (SELECT due_on FROM overdue_visit WHERE customer_id = 2),
          'the re-tiered customer''s due date follows the new cadence');

-- ---------------------------------------------------------------- overdue feedback
CREATE TEMP TABLE run2 AS SELECT * FROM execute_job('overdue_feedback');
SELECT is((SELECT status || ' ' || rows_affected FROM run2), 'success ' || (SELECT n FROM expect WHERE k = 'feedback'),
          'overdue_feedback: success, rows affected = the unresolved items past their deadline');
SELECT set_eq('SELECT feedback_id FROM feedback_overdue_flag',
              $$SELECT feedback_id FROM feedback WHERE resolved_at IS NULL
                AND opened_at < now() - CASE WHEN kind = 'complaint' THEN interval '3 days' ELSE interval '14 days' END$$,
              'the feedback flags are exactly the overdue items');
SELECT is((SELECT count(*)::int FROM feedback_overdue_flag
           WHERE due_at <> opened_at + CASE WHEN kind = 'complaint' THEN interval '3 days' ELSE interval '14 days' END),
          0, 'each flag carries its deadline');
UPDATE ops_setting SET value = 36500 WHERE name IN ('complaint_response_days', 'feedback_response_days');
SELECT is((SELECT rows_affected FROM execute_job('overdue_feedback')), (SELECT n FROM expect WHERE k = 'feedback'),
          'with 100-year deadlines every flag is cleared: rows affected = the flags removed');
SELECT is((SELECT count(*)::int FROM feedback_overdue_flag), 0, 'no feedback is overdue any more');
UPDATE ops_setting SET value = 3 WHERE name = 'complaint_response_days';
UPDATE ops_setting SET value = 14 WHERE name = 'feedback_response_days';

-- ---------------------------------------------------------------- row-level security of the flags
DO $$ BEGIN PERFORM sales_supervisor.execute_job('overdue_feedback'); END $$;
CREATE ROLE ss_ops_8 NOLOGIN;
GRANT sales_supervisor_rep TO ss_ops_8;
UPDATE member SET login_role = 'ss_ops_8' WHERE member_id = 8;
CREATE TEMP TABLE rep8 AS
SELECT (SELECT count(*) FROM visit_overdue_flag f JOIN customer c USING (customer_id) WHERE c.owner_id = 8) AS visits,
       (SELECT count(*) FROM feedback_overdue_flag f JOIN customer c USING (customer_id) WHERE c.owner_id = 8) AS feedback;
GRANT SELECT ON rep8 TO PUBLIC;
SET ROLE ss_ops_8;
SELECT is((SELECT count(*) FROM visit_overdue_flag), (SELECT visits FROM rep8),
          'rep: sees the visit flags of their own customers only');
SELECT is((SELECT count(*) FROM feedback_overdue_flag), (SELECT feedback FROM rep8),
          'rep: sees the feedback flags of their own customers only');
SELECT throws_ok('SELECT * FROM sales_supervisor.job_log', '42501', 'permission denied for table job_log',
                 'rep: cannot read the job log');
SELECT throws_ok($$SELECT sales_supervisor.execute_job('overdue_visits')$$, '42501', NULL, 'rep: cannot run a job');
RESET ROLE;

-- ---------------------------------------------------------------- failures
INSERT INTO job_setting (job_name, schedule, command) VALUES
  ('tap_fail', '* * * * *', $c$DO $x$ BEGIN INSERT INTO sales_supervisor.visit_cadence (tier, every_days) VALUES ('TAPX', 5); PERFORM 1 / 0; END $x$$c$),
  ('tap_off', '* * * * *', 'SELECT 1'),
  ('tap_plain', '* * * * *', 'UPDATE sales_supervisor.customer SET profile = profile WHERE customer_id <= 7');
UPDATE job_setting SET enabled = false WHERE job_name = 'tap_off';
CREATE TEMP TABLE run3 AS SELECT * FROM execute_job('tap_fail');
SELECT is((SELECT status || '|' || sqlstate || '|' || error FROM run3), 'failure|22012|division by zero',
          'a failing command: logged as failure with SQLSTATE and error text');
SELECT ok((SELECT detail LIKE 'CONTEXT: %' AND rows_affected IS NULL FROM run3), 'the failure''s context is in the detail');
SELECT is((SELECT count(*)::int FROM visit_cadence WHERE tier = 'TAPX'), 0, 'the failed command''s changes are rolled back');
SELECT is((SELECT count(*)::int FROM job_log WHERE log_id = (SELECT log_id FROM run3)), 1, 'but its log row stays');
SELECT is((SELECT status || '|' || sqlstate || '|' || error FROM execute_job('no_such_job')),
          'failure|22023|job "no_such_job" is not defined', 'an unknown job is logged as a failure');
SELECT is((SELECT status || '|' || coalesce(command, '-') FROM execute_job('tap_off')), 'skipped|-',
          'a disabled job is logged as skipped and not run');
SELECT is((SELECT status || '|' || rows_affected FROM execute_job('tap_plain')), 'success|7',
          'a plain SQL command: rows affected is its row count');
-- the sales-year jobs (52_calendar_jobs.sql) on the demo org: its 2025 cycle is
-- in review and its twelve 2025 months have ended, none paid yet
-- what the generator leaves to the user (as in the demo): targets of the KPIs
-- without a natural target, and commission plans for the reps
INSERT INTO kpi_target (cycle_id, kpi_id, level, target)
SELECT c.cycle_id, d.kpi_id, v.level::member_level, v.target
FROM appraisal_cycle c, kpi_definition d,
     (VALUES ('forecast_error', 'sales_rep', 0.2), ('csat', 'sales_customer_supervisor', 80),
             ('csat', 'sales_manager', 80)) v(code, level, target)
WHERE c.fiscal_year = 2025 AND d.code = v.code;
INSERT INTO commission_plan (member_id, period_id, tiers)
SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03)] cap 20000'
FROM member m CROSS JOIN fiscal_period p
WHERE m.level = 'sales_rep' AND p.kind = 'month' AND p.fiscal_year = 2025;
CREATE TEMP TABLE kpi_run AS SELECT * FROM execute_job('kpi_snapshot');
SELECT is((SELECT status || '|' || coalesce(error, '') || '|' || rows_affected FROM kpi_run),
          'success||' || (SELECT count(*) FROM kpi_result r JOIN appraisal_cycle c USING (cycle_id)
                          WHERE c.fiscal_year = 2025),
          'kpi_snapshot scores the open cycle; rows affected = its kpi_result rows');
SELECT cmp_ok((SELECT rows_affected FROM kpi_run), '>', 0::bigint, '... and there are some');
CREATE TEMP TABLE commission_run1 AS SELECT * FROM execute_job('commission_run');
SELECT is((SELECT status || '|' || coalesce(error, '') || '|' || rows_affected FROM commission_run1),
          'success||' || (SELECT count(*) FROM (SELECT period_id, member_id FROM commission_credit
                                                UNION SELECT period_id, member_id FROM commission_plan) x),
          'commission_run runs every ended month; rows affected = reps credited or planned per month');
SELECT is((SELECT count(*) FROM commission_payout), (SELECT count(*) FROM commission_plan),
          '... one payout line per plan');
SELECT is((SELECT array_agg(fp.month ORDER BY fp.month) FROM commission_period_lock l
           JOIN fiscal_period fp USING (period_id) WHERE fp.fiscal_year = 2025),
          ARRAY[1,2,3,4,5,6,7,8,9,10,11,12]::smallint[],
          '... oldest first, all twelve 2025 months locked');
SELECT is((SELECT status || '|' || rows_affected || '|' || (detail LIKE 'nothing due: commission_run is done through %')
           FROM execute_job('commission_run')),
          'success|0|true', 'a second commission_run finds nothing due (the month just ended is done)');
SELECT is((SELECT count(*)::int FROM job_log WHERE job_name IN ('kpi_snapshot', 'commission_run')
             AND month = (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date AND status = 'success'),
          2, '... both steps ran as the monthly chain''s month just ended (company time zone UTC)');
CREATE TEMP TABLE close_run AS SELECT * FROM execute_job('appraisal_close');
SELECT is((SELECT status || '|' || coalesce(error, '') || '|' || rows_affected FROM close_run),
          'success||' || (SELECT count(*) FROM appraisal_result r JOIN appraisal_cycle c USING (cycle_id)
                          WHERE c.fiscal_year = 2025),
          'appraisal_close closes the ended year''s cycle; rows affected = its results');
SELECT is((SELECT state::text FROM appraisal_cycle WHERE fiscal_year = 2025), 'closed',
          '... and the cycle is closed');
SELECT throws_ok('SELECT execute_job(NULL)', '22004', 'job name must not be null', 'a NULL job name is an error');

-- run_job inside a transaction block: it cannot commit, so it warns and keeps the log row
SELECT lives_ok($$CALL run_job('tap_fail')$$, 'run_job inside a transaction: a failure does not raise');
SELECT is((SELECT count(*)::int FROM job_log WHERE job_name = 'tap_fail'), 2, '... and is logged');
SELECT lives_ok($$CALL run_job('overdue_visits')$$, 'run_job of a good job inside a transaction');
SELECT is((SELECT status FROM job_log ORDER BY log_id DESC LIMIT 1), 'success', '... logged as success');

-- run_job cannot pin search_path (PostgreSQL refuses COMMIT in a procedure
-- with a SET clause), so everything in it is schema-qualified: traps in the
-- caller's path are never reached.
CREATE FUNCTION public.execute_job(text) RETURNS sales_supervisor.job_log LANGUAGE plpgsql
  AS $f$ BEGIN RAISE EXCEPTION 'hijacked: public.execute_job'; END $f$;
CREATE FUNCTION public.concat(text, bigint, text) RETURNS text LANGUAGE plpgsql
  AS $f$ BEGIN RAISE EXCEPTION 'hijacked: public.concat'; END $f$;
SET LOCAL search_path = public, sales_supervisor;
SELECT throws_ok($$SELECT concat('a', 1::bigint, 'b')$$, 'P0001', 'hijacked: public.concat', 'control: the trap fires when reached');
SELECT lives_ok($$CALL sales_supervisor.run_job('tap_fail')$$,
                'run_job with hostile functions first in the caller''s search_path: none is reached');
SET LOCAL search_path = sales_supervisor, public;

-- ---------------------------------------------------------------- progress
DO $$
BEGIN
  PERFORM set_config('sales_supervisor_job.rows', '', true);
  PERFORM set_config('sales_supervisor_job.detail', '', true);
  PERFORM sales_supervisor.job_progress('step a', 5);
  PERFORM sales_supervisor.job_progress('step b', 7);
  PERFORM sales_supervisor.job_progress('step c');
END
$$;
SELECT is(current_setting('sales_supervisor_job.rows'), '12', 'job_progress adds up the rows reported');
SELECT ok(current_setting('sales_supervisor_job.detail') ~ '^\d\d:\d\d:\d\d\.\d{3} step a\n.* step b\n.* step c\n$',
          'job_progress keeps one timed line per step');
SELECT is(current_setting('application_name'), 'sales_supervisor: step c', 'the last step shows in application_name');
SELECT throws_ok('SELECT job_progress(NULL)', '22004', 'progress message must not be null', 'a NULL progress message is an error');

-- ---------------------------------------------------------------- pruning
INSERT INTO job_log (job_name, started_at, finished_at, status)
SELECT 'tap_old', now() - make_interval(days => d), now() - make_interval(days => d), 'success'
FROM generate_series(85, 95) d;
CREATE TEMP TABLE run4 AS SELECT * FROM execute_job('prune_job_log');
SELECT is((SELECT count(*)::int FROM job_log WHERE job_name = 'tap_old'), 6, 'prune keeps the rows of the last 90 days (85..90)');
SELECT ok((SELECT status = 'success' AND detail ~ 'prune: 5 job_log rows older than 90 days deleted' AND rows_affected >= 5 FROM run4),
          'prune deletes the 5 older rows, and says so');

-- ---------------------------------------------------------------- pg_cron absent
SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron')
            THEN skip('pg_cron is installed in this database', 1)
            ELSE throws_ok('SELECT * FROM sales_supervisor.schedule_jobs()', '55000',
                           format('pg_cron is not installed in database "%s"', current_database()),
                           'schedule_jobs without pg_cron: 55000 naming the database') END;

SELECT * FROM finish();
ROLLBACK;
