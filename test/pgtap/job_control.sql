-- Job control (issue 17, items 1-5) inside one transaction: the settings and
-- their checks, the statement timeout, the retry waits, the monthly chain
-- (order, hold, catch-up), local time (company time zone, month boundaries,
-- UTC schedules across daylight saving) and v_job_health.  Two real sessions
-- (single-flight), retries at top level, NOTIFY to a listening client and
-- real pg_cron runs: test/system/job_control.t and test/system/pg_cron.t.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;
SET LOCAL client_min_messages = warning;
SELECT plan(56);

-- ---------------------------------------------------------------- settings and their checks
SELECT has_table('sales_supervisor', t, 'table ' || t) FROM unnest(ARRAY['ops_time_zone', 'job_month']) t;
SELECT has_view('sales_supervisor', 'v_job_health', 'view v_job_health');
SELECT is((SELECT time_zone FROM ops_time_zone), 'UTC', 'the company time zone is UTC by default');
SELECT results_eq($$SELECT job_name, per_month, depends_on, retries, statement_timeout FROM job_setting
                    WHERE per_month ORDER BY schedule$$,
  $$VALUES ('kpi_snapshot', true, NULL::text, 0, NULL::interval), ('commission_run', true, 'kpi_snapshot', 0, NULL),
           ('refresh_reports', true, 'commission_run', 0, NULL)$$,
  'the monthly chain: kpi_snapshot (02:00), then commission_run (03:00), then refresh_reports (04:00), on the 1st');
INSERT INTO job_setting (job_name, schedule, command) VALUES ('tap_plain', '0 5 * * *', 'SELECT 1');
SELECT throws_ok($$UPDATE job_setting SET statement_timeout = '5 milliseconds' WHERE job_name = 'tap_plain'$$, '23514',
  'new row for relation "job_setting" violates check constraint "job_setting_statement_timeout_10ms_to_24h"',
  'a statement timeout under 10 ms is refused, naming the range');
SELECT throws_ok($$UPDATE job_setting SET statement_timeout = '25 hours' WHERE job_name = 'tap_plain'$$, '23514', NULL,
  'a statement timeout over 24 h is refused');
SELECT throws_ok($$UPDATE job_setting SET retries = 11 WHERE job_name = 'tap_plain'$$, '23514',
  'new row for relation "job_setting" violates check constraint "job_setting_retries_0_to_10"', 'at most 10 retries');
SELECT throws_ok($$UPDATE job_setting SET retries = -1 WHERE job_name = 'tap_plain'$$, '23514', NULL, 'no negative retries');
SELECT throws_ok($$UPDATE job_setting SET retry_backoff = '2 hours' WHERE job_name = 'tap_plain'$$, '23514',
  'new row for relation "job_setting" violates check constraint "job_setting_retry_backoff_0_to_1h"', 'back-off at most 1 h');
SELECT throws_ok($$UPDATE job_setting SET depends_on = 'kpi_snapshot' WHERE job_name = 'tap_plain'$$, '23514',
  'new row for relation "job_setting" violates check constraint "job_setting_depends_on_needs_per_month_job"',
  'only a monthly-chain step depends on another');
SELECT throws_ok($$UPDATE job_setting SET per_month = true, depends_on = 'no_such_job' WHERE job_name = 'tap_plain'$$,
  '23503', NULL, 'a step depends on an existing job');
SELECT throws_ok($$UPDATE ops_time_zone SET time_zone = 'Mars/Olympus_Mons'$$, '23514',
  'new row for relation "ops_time_zone" violates check constraint "ops_time_zone_must_be_in_pg_timezone_names"',
  'an unknown time zone is refused');
SELECT throws_ok($$INSERT INTO ops_time_zone (singleton, time_zone) VALUES (false, 'UTC')$$, '23514', NULL,
  'the time zone table has one row');

-- ---------------------------------------------------------------- statement timeout
UPDATE job_setting SET statement_timeout = '200 milliseconds', command = 'SELECT pg_sleep(5)' WHERE job_name = 'tap_plain';
CREATE TEMP TABLE t_timeout AS SELECT * FROM execute_job('tap_plain');
SELECT is((SELECT status || '|' || sqlstate || '|' || error FROM t_timeout),
          'failure|57014|canceling statement due to statement timeout',
          'a command running over its statement_timeout (200 ms; it sleeps 5 s) is cancelled and logged with SQLSTATE 57014');
SELECT cmp_ok((SELECT finished_at - started_at FROM t_timeout), '<', interval '2 seconds', '... after the timeout, not 5 s');
UPDATE job_setting SET statement_timeout = '300 milliseconds', command = 'SELECT pg_sleep(0.05)' WHERE job_name = 'tap_plain';
SELECT is((SELECT status FROM execute_job('tap_plain')), 'success', 'a command within its timeout succeeds');
SELECT lives_ok('SELECT pg_sleep(0.5)', '... and the timer is disarmed after it: a later 0.5 s statement is not cancelled');
SELECT throws_ok('SELECT job_timeout_arm(0)', '22023', 'timeout must be positive, not 0 ms', 'job_timeout_arm refuses 0');
SELECT throws_ok('SELECT job_timeout_arm(NULL)', '22004', 'timeout must not be null', 'job_timeout_arm refuses NULL');

-- ---------------------------------------------------------------- retry waits
UPDATE job_setting SET retries = 3, retry_backoff = '2 seconds' WHERE job_name = 'tap_plain';
-- backoff x 2^(attempt - 1): 2 s after attempt 1, 4 s after 2, 8 s after 3, then no retry left
SELECT is(ARRAY[job_retry_wait('tap_plain', 1), job_retry_wait('tap_plain', 2), job_retry_wait('tap_plain', 3),
                job_retry_wait('tap_plain', 4)], ARRAY[2, 4, 8, NULL]::double precision[],
          'retry waits: 2 s, 4 s, 8 s, then none (3 retries, back-off 2 s doubling)');
SELECT is(job_retry_wait('overdue_visits', 1), NULL, 'retries 0 (the default): no retry');

-- ---------------------------------------------------------------- local time
-- company_month: 23:30 on 31 January in New York is 04:30 UTC on 1 February
UPDATE ops_time_zone SET time_zone = 'America/New_York';
SELECT is(company_month('2026-02-01 04:30+00'), DATE '2026-01-01',
          'New York: 23:30 local on 31 January (04:30 UTC on 1 February) belongs to January');
SELECT is(company_month('2026-02-01 05:30+00'), DATE '2026-02-01', '... 00:30 local on 1 February to February');
UPDATE ops_time_zone SET time_zone = 'Europe/Berlin';
-- summer time (CEST, +2) since 29 March: 22:30 UTC on 31 March is 00:30 local on 1 April
SELECT is(company_month('2026-03-31 22:30+00'), DATE '2026-04-01', 'Berlin: 22:30 UTC on 31 March is April (00:30 CEST)');
SELECT is(company_month('2026-03-31 21:30+00'), DATE '2026-03-01', '... 21:30 UTC is 23:30 CEST on 31 March: March');
SELECT is(company_today(), (now() AT TIME ZONE 'Europe/Berlin')::date, 'company_today() is today in Berlin');
SELECT throws_ok('SELECT company_month(NULL)', '22004', 'time must not be null', 'company_month refuses NULL');
-- 01:15 local in Berlin: UTC+1 until 29 March 2026 02:00, UTC+2 until 25 October 03:00
SELECT is(local_cron_to_utc('15 1 * * *', 'Europe/Berlin', '2026-03-28 12:00+00'), '15 0 * * *',
          'Berlin, 28 March (next 01:15 is on 29 March, still CET +1): 00:15 UTC');
SELECT is(local_cron_to_utc('15 1 * * *', 'Europe/Berlin', '2026-03-29 00:30+00'), '15 23 * * *',
          '29 March after 01:15 local (next is 30 March, CEST +2): 23:15 UTC the day before');
SELECT is(local_cron_to_utc('15 1 * * *', 'Europe/Berlin', '2026-10-24 12:00+00'), '15 23 * * *',
          '24 October (next 01:15 is on 25 October, before the change at 03:00 CEST): still 23:15 UTC');
SELECT is(local_cron_to_utc('15 1 * * *', 'Europe/Berlin', '2026-10-25 12:00+00'), '15 0 * * *',
          '25 October after the change (next is 26 October, CET +1): 00:15 UTC again');
SELECT is(local_cron_to_utc('15 1 * * 1,3', 'Europe/Berlin', '2026-07-01 12:00+00'), '15 23 * * 0,2',
          'summer: 01:15 local on Monday and Wednesday is 23:15 UTC on Sunday and Tuesday');
SELECT is(local_cron_to_utc('30 0 15 * *', 'Europe/Berlin', '2026-07-01 12:00+00'), '30 22 14 * *',
          'summer: 00:30 local on the 15th is 22:30 UTC on the 14th');
SELECT is(local_cron_to_utc('0 2 1 * *', 'Europe/Berlin', '2026-07-01 12:00+00'), '0 0 1 * *',
          'summer: the KPI snapshot at 02:00 local on the 1st is 00:00 UTC on the 1st');
-- the offset of the next 06:00 local (2 July, EDT -4) counts, not that of 5 January (EST -5): the hourly
-- local_schedules job re-registers the job when the offset changes in November, long before 5 January
SELECT is(local_cron_to_utc('0 6 5 1 *', 'America/New_York', '2026-07-01 12:00+00'), '0 10 5 1 *',
          'New York in July: 06:00 local is 10:00 UTC (EDT)');
SELECT is(local_cron_to_utc('0 6 5 1 *', 'America/New_York', '2026-12-01 12:00+00'), '0 11 5 1 *',
          'New York in December: 06:00 local is 11:00 UTC (EST)');
SELECT is(local_cron_to_utc('7 * * * *', 'Europe/Berlin', '2026-07-01 12:00+00'), '7 * * * *',
          'an every-hour schedule is the same in UTC for a whole-hour offset');
SELECT is(local_cron_to_utc('@daily', 'Asia/Tokyo', '2026-07-01 12:00+00'), '0 15 * * *',
          '@daily is local midnight: 15:00 UTC in Tokyo');
SELECT throws_ok($$SELECT local_cron_to_utc('0 1 1 * *', 'Europe/Berlin', '2026-07-01 12:00+00')$$, '22023',
  'schedule "0 1 1 * *" in time zone Europe/Berlin falls on the day before in UTC, which cron cannot express for these days',
  '01:00 local on the 1st in summer is the last day of the month in UTC: refused with a clear error');
SELECT throws_ok($$SELECT local_cron_to_utc('7 * * * *', 'Asia/Kolkata', now())$$, '22023', NULL,
  'an every-hour schedule in a half-hour zone is refused');
SELECT throws_ok($$SELECT local_cron_to_utc('0 1 * * *', 'Mars/Olympus_Mons', now())$$, '22023',
  'time zone "Mars/Olympus_Mons" is unknown', 'an unknown zone is refused');

-- ---------------------------------------------------------------- the monthly chain
-- three steps a -> b -> c; the month just ended is L (company time zone UTC);
-- all three are done through L - 3, so L - 2, L - 1 and L are missed months
UPDATE ops_time_zone SET time_zone = 'UTC';
CREATE TEMP TABLE m AS SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date AS l;
CREATE TEMP TABLE tap_fail_month (month date);
INSERT INTO job_setting (job_name, schedule, command, per_month, depends_on) VALUES
  ('tap_a', '0 2 1 * *', $$SELECT sales_supervisor.job_progress('a ' || sales_supervisor.job_month_param(), 1)$$, true, NULL),
  ('tap_b', '0 3 1 * *', $$SELECT CASE WHEN sales_supervisor.job_month_param() IN (SELECT month FROM tap_fail_month) THEN 1 / (0 * random())::integer END$$, true, 'tap_a'),
  ('tap_c', '0 4 1 * *', $$SELECT sales_supervisor.job_progress('c ' || sales_supervisor.job_month_param(), 1)$$, true, 'tap_b');
INSERT INTO job_month (job_name, month, log_id, finished_at)
SELECT j, (l - interval '3 months')::date, 0, now() FROM m, unnest(ARRAY['tap_a', 'tap_b', 'tap_c']) j;
CREATE TEMP TABLE r1 AS SELECT * FROM execute_job('tap_b');
SELECT is((SELECT status || '|' || month || '|' || detail FROM r1),
          (SELECT 'skipped|' || (l - interval '2 months')::date || '|held: tap_a has not succeeded for '
                  || to_char(l - interval '2 months', 'YYYY-MM') || '; tap_b waits for it (months '
                  || to_char(l - interval '2 months', 'YYYY-MM') || ' through ' || to_char(l, 'YYYY-MM') || ')' FROM m),
          'step b before step a: held at the first missed month, and the log says why');
CREATE TEMP TABLE r2 AS SELECT * FROM execute_job('tap_a');
SELECT is((SELECT array_agg(month ORDER BY log_id) FROM job_log WHERE job_name = 'tap_a' AND status = 'success'),
          (SELECT ARRAY[(l - interval '2 months')::date, (l - interval '1 month')::date, l] FROM m),
          'catch-up: step a processes the three missed months, oldest first, one log row each');
SELECT is((SELECT detail ~ ('^\S+ a ' || l || '\n$') FROM r2, m), true, '... the command saw its month (job_month_param)');
INSERT INTO tap_fail_month SELECT (l - interval '1 month')::date FROM m;
CREATE TEMP TABLE r3 AS SELECT * FROM execute_job('tap_b');
SELECT is((SELECT status || '|' || sqlstate || '|' || month FROM r3),
          (SELECT 'failure|22012|' || (l - interval '1 month')::date FROM m),
          'step b: the month L - 2 succeeds, L - 1 fails and the run stops there');
SELECT is((SELECT array_agg(month ORDER BY month) FROM job_month WHERE job_name = 'tap_b'),
          (SELECT ARRAY[(l - interval '3 months')::date, (l - interval '2 months')::date] FROM m),
          '... so step b is done through L - 2 only (L not tried after the failure)');
CREATE TEMP TABLE r4 AS SELECT * FROM execute_job('tap_c');
SELECT is((SELECT status || '|' || month || '|' || (detail LIKE 'held: tap_b has not succeeded for %') FROM r4),
          (SELECT 'skipped|' || (l - interval '1 month')::date || '|true' FROM m),
          'step c: L - 2 done, then held at L - 1 where step b failed: a failed step holds the rest');
DELETE FROM tap_fail_month;
SELECT is((SELECT status || '|' || month FROM execute_job('tap_b')), (SELECT 'success|' || l FROM m),
          'the next run of step b does L - 1 and L');
SELECT is((SELECT status || '|' || month FROM execute_job('tap_c')), (SELECT 'success|' || l FROM m), '... and so can step c');
SELECT is((SELECT array_agg(status || ' ' || to_char(month, 'YYYY-MM') ORDER BY log_id) FROM job_log WHERE job_name = 'tap_c'),
          (SELECT ARRAY['success ' || to_char(l - interval '2 months', 'YYYY-MM'), 'skipped ' || to_char(l - interval '1 month', 'YYYY-MM'),
                        'success ' || to_char(l - interval '1 month', 'YYYY-MM'), 'success ' || to_char(l, 'YYYY-MM')] FROM m),
          'step c''s log: each month once in order, the held one logged as skipped');
SELECT is((SELECT status || '|' || rows_affected || '|' || detail FROM execute_job('tap_a')),
          (SELECT 'success|0|nothing due: tap_a is done through ' || to_char(l, 'YYYY-MM') FROM m),
          'a step that is done through the month just ended has nothing due');

-- ---------------------------------------------------------------- v_job_health
-- overdue_visits (daily, max gap 1 day + 1 h grace) last succeeded 3 days ago;
-- kpi_snapshot (monthly) 10 days ago; prune_job_log failed last, after a success an hour ago
INSERT INTO job_log (job_name, started_at, finished_at, status, sqlstate, error) VALUES
  ('overdue_visits', now() - interval '3 days', now() - interval '3 days', 'success', NULL, NULL),
  ('kpi_snapshot', now() - interval '10 days', now() - interval '10 days', 'success', NULL, NULL),
  ('prune_job_log', now() - interval '1 hour', now() - interval '1 hour', 'success', NULL, NULL),
  ('prune_job_log', now() - interval '1 minute', now() - interval '1 minute', 'failure', '40P01', 'deadlock detected'),
  -- overdue_feedback never succeeded: first run 3 days ago (overdue), assignments_due 2 hours ago (not yet: 1 day + 1 h)
  ('overdue_feedback', now() - interval '3 days', now() - interval '3 days', 'failure', 'XX000', 'boom'),
  ('overdue_feedback', now() - interval '1 day', now() - interval '1 day', 'failure', 'XX000', 'boom'),
  ('assignments_due', now() - interval '2 hours', now() - interval '2 hours', 'failure', 'XX000', 'boom');
SELECT results_eq($$SELECT job_name, last_status, last_sqlstate, max_gap, overdue FROM v_job_health
                    WHERE job_name IN ('overdue_visits', 'kpi_snapshot', 'prune_job_log', 'appraisal_close',
                                       'overdue_feedback', 'assignments_due') ORDER BY job_name$$,
  $$VALUES ('appraisal_close', NULL::text, NULL::text, interval '1 year', false),
           ('assignments_due', 'failure', 'XX000', interval '1 day', false),
           ('kpi_snapshot', 'success', NULL, interval '1 month', false),
           ('overdue_feedback', 'failure', 'XX000', interval '1 day', true),
           ('overdue_visits', 'success', NULL, interval '1 day', true),
           ('prune_job_log', 'failure', '40P01', interval '1 day', false)$$,
  'v_job_health: a daily job without success for 3 days is overdue, a monthly one after 10 days is not, one never successful since its first run 3 days ago is, since 2 hours ago not yet; a job never run is not');
UPDATE job_setting SET enabled = false WHERE job_name = 'overdue_visits';
SELECT is((SELECT overdue FROM v_job_health WHERE job_name = 'overdue_visits'), false, 'a disabled job is not overdue');
SELECT is((SELECT last_message FROM v_job_health WHERE job_name = 'prune_job_log'), 'deadlock detected',
          'v_job_health shows the last error');
SELECT is((SELECT count(*)::int FROM information_schema.role_table_grants WHERE table_schema = 'sales_supervisor'
             AND table_name IN ('v_job_health', 'job_month', 'ops_time_zone')
             AND grantee <> (SELECT tableowner FROM pg_tables WHERE schemaname = 'sales_supervisor' AND tablename = 'job_log')),
          0, 'v_job_health, job_month and ops_time_zone are the administrator''s (granted to nobody)');

SELECT * FROM finish();
ROLLBACK;
