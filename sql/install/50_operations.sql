-- Layer 5, operations: the calendar of scheduled jobs, their log, and the
-- daily jobs that need only the data model.
--
--   job_setting        one row per job: cron schedule (local time), command,
--                      enabled, statement timeout, retries, monthly chain
--   ops_setting        numeric knobs of the jobs (log retention, feedback deadlines)
--   ops_time_zone      the company's time zone (schedules, month boundaries)
--   job_log            one row per run: start, end, rows affected, status, error
--   job_month          the months each step of the monthly chain has done
--   execute_job(name)  runs a job once (single-flight, timeout, monthly chain)
--                      in a sub-transaction and writes its log row whatever
--                      happens (never raises for the command)
--   run_job(name)      what pg_cron calls: execute_job with retries, and after
--                      the last failure commit the log row and re-raise, so
--                      pg_cron records the failure too
--   failed and skipped runs: NOTIFY sales_supervisor_job; view v_job_health
--   schedule_jobs() / unschedule_jobs()   register the calendar in pg_cron,
--                      converted from local time to UTC (local_cron_to_utc)
--   job_progress(msg, rows)  progress line: NOTICE, job_log.detail, application_name
--   flag_overdue_visits(), flag_overdue_feedback(), prune_job_log(), refresh_reports()
--
-- No autonomous transactions: the command runs in a PL/pgSQL sub-block with an
-- EXCEPTION clause (a subtransaction), and the log row is written after it, in
-- the outer transaction, so a failed command leaves its log row.  A job
-- command therefore runs inside one transaction: a procedure it calls must
-- not COMMIT itself.

-- ---------------------------------------------------------------------------
-- Settings
-- ---------------------------------------------------------------------------

CREATE TABLE job_setting (
  job_name     text PRIMARY KEY CHECK (job_name ~ '^[a-z][a-z0-9_]{0,40}$'),
  schedule     text NOT NULL
               CHECK (schedule ~ '^(@(yearly|annually|monthly|weekly|daily|hourly)|[0-9]{1,2} seconds|\S+ +\S+ +\S+ +\S+ +\S+)$'),
  command      text NOT NULL CHECK (btrim(command) <> ''),
  enabled      boolean NOT NULL DEFAULT true,
  description  text,
  statement_timeout interval,
  retries      integer NOT NULL DEFAULT 0,
  retry_backoff interval NOT NULL DEFAULT '30 seconds',
  per_month    boolean NOT NULL DEFAULT false,
  depends_on   text REFERENCES job_setting (job_name) ON UPDATE CASCADE ON DELETE RESTRICT,
  CONSTRAINT job_setting_statement_timeout_10ms_to_24h
    CHECK (statement_timeout IS NULL OR statement_timeout BETWEEN interval '10 milliseconds' AND interval '24 hours'),
  CONSTRAINT job_setting_retries_0_to_10 CHECK (retries BETWEEN 0 AND 10),
  CONSTRAINT job_setting_retry_backoff_0_to_1h CHECK (retry_backoff BETWEEN interval '0' AND interval '1 hour'),
  CONSTRAINT job_setting_depends_on_needs_per_month_job
    CHECK (depends_on IS NULL OR (per_month AND depends_on <> job_name))
);
COMMENT ON TABLE job_setting IS
'The scheduled calendar: one row per job with its cron schedule, the SQL command it runs and whether it is scheduled. schedule_jobs() registers the enabled jobs in pg_cron as ''sales_supervisor:<job_name>'' running CALL sales_supervisor.run_job(''<job_name>''); run schedule_jobs() again after changing a row. Only the extension owner may change it (the command runs as the user who scheduled the jobs).';
COMMENT ON COLUMN job_setting.job_name IS 'Job name (lower-case identifier); the pg_cron job is named sales_supervisor:<job_name>.';
COMMENT ON COLUMN job_setting.schedule IS 'Schedule in cron syntax (minute hour day-of-month month day-of-week) or @daily and friends, in the company''s local time (ops_time_zone); schedule_jobs() registers it in pg_cron converted to UTC (local_cron_to_utc), and the local_schedules job re-registers it when the zone''s offset changes (daylight saving).';
COMMENT ON COLUMN job_setting.command IS 'SQL the job runs (usually CALL sales_supervisor.<procedure>()); it runs inside one transaction, so it must not COMMIT.';
COMMENT ON COLUMN job_setting.enabled IS 'False: schedule_jobs() unschedules the job, and run_job() logs a run as skipped.';
COMMENT ON COLUMN job_setting.description IS 'What the job does.';
COMMENT ON COLUMN job_setting.statement_timeout IS 'Longest a run of the command may take (10 ms .. 24 h; NULL: no limit): execute_job cancels it after that, SQLSTATE 57014, logged as a failure (and retried by run_job).';
COMMENT ON COLUMN job_setting.retries IS 'How many times run_job runs a failed job again (0 .. 10), each attempt logged; only a top-level CALL (pg_cron) retries, committing the failed attempt first.';
COMMENT ON COLUMN job_setting.retry_backoff IS 'Wait before the first retry (0 .. 1 h); it doubles before each further retry (backoff, 2 x backoff, 4 x backoff, ...).';
COMMENT ON COLUMN job_setting.per_month IS 'True for the steps of the monthly chain: a run processes each month from the one after its last success (job_month) through the month just ended in the company''s time zone, oldest first, the command seeing the month in sales_supervisor_job.month (job_month_param()).';
COMMENT ON COLUMN job_setting.depends_on IS 'The step before this one in the monthly chain: a month is processed only after that job succeeded for the same month; otherwise the run is logged as skipped (held) and the later months wait too.';

CREATE TABLE ops_setting (
  name         text PRIMARY KEY
               CHECK (name IN ('job_log_keep_days', 'complaint_response_days', 'feedback_response_days')),
  value        integer NOT NULL CHECK (value BETWEEN 1 AND 36500),
  description  text NOT NULL
);
COMMENT ON TABLE ops_setting IS 'Numeric settings of the scheduled jobs (a fixed set of names).';
COMMENT ON COLUMN ops_setting.name IS 'job_log_keep_days, complaint_response_days or feedback_response_days.';
COMMENT ON COLUMN ops_setting.value IS 'The setting''s value, in days (1..36500).';
COMMENT ON COLUMN ops_setting.description IS 'What the setting controls.';

INSERT INTO job_setting (job_name, schedule, command, description) VALUES
  ('assignments_due', '5 0 * * *', 'CALL sales_supervisor.apply_assignments_for_day()',
   'Daily: member.team_id and member.level become the assignment in force today (future-dated transfers; procedure of the sales-year layer).'),
  ('overdue_visits', '15 1 * * *', 'CALL sales_supervisor.flag_overdue_visits()',
   'Daily: refresh visit_overdue_flag, the customers whose return visit is overdue.'),
  ('overdue_feedback', '20 1 * * *', 'CALL sales_supervisor.flag_overdue_feedback()',
   'Daily: refresh feedback_overdue_flag, the unresolved feedback items past their response deadline.'),
  ('prune_job_log', '45 1 * * *', 'CALL sales_supervisor.prune_job_log()',
   'Daily: delete job_log rows (and pg_cron''s run details of these jobs) older than ops_setting job_log_keep_days.'),
  ('appraisal_close', '0 6 5 1 *', 'CALL sales_supervisor.close_due_appraisal_cycles()',
   'Yearly, 5 January: close the appraisal cycles that are due (procedure of the sales-year layer).'),
  ('local_schedules', '7 * * * *', 'CALL sales_supervisor.sync_local_schedules()',
   'Hourly: re-register in pg_cron the jobs whose UTC schedule changed with the company time zone''s offset (daylight saving).');
-- The monthly chain, in order: KPI snapshot, commission run, report refresh;
-- each step for a month only after the one before succeeded for that month.
INSERT INTO job_setting (job_name, schedule, command, description, per_month, depends_on) VALUES
  ('kpi_snapshot', '0 2 1 * *', 'CALL sales_supervisor.score_kpis_for_month()',
   'Monthly chain, step 1: score the KPIs of the open cycles as of the month just ended (procedure of the sales-year layer).', true, NULL),
  ('commission_run', '0 3 1 * *', 'CALL sales_supervisor.run_commission_for_month()',
   'Monthly chain, step 2: commission run of the ended months through the month just ended (procedure of the sales-year layer).', true, 'kpi_snapshot'),
  ('refresh_reports', '0 4 1 * *', 'CALL sales_supervisor.refresh_reports()',
   'Monthly chain, step 3: REFRESH MATERIALIZED VIEW CONCURRENTLY of the reporting views that aggregate the sales lines.', true, 'commission_run');

-- The company's time zone: the schedules of job_setting are local times in
-- it, and the monthly chain's "month just ended" is the month before today
-- there.  One row; checked against pg_timezone_names.
CREATE FUNCTION is_known_time_zone(time_zone text)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names z WHERE z.name = time_zone);
COMMENT ON FUNCTION is_known_time_zone(text) IS 'True when the name is a time zone of pg_timezone_names (e.g. Europe/Berlin, UTC); NULL for NULL.';
REVOKE ALL ON FUNCTION is_known_time_zone(text) FROM PUBLIC;

CREATE TABLE ops_time_zone (
  singleton    boolean PRIMARY KEY DEFAULT true CONSTRAINT ops_time_zone_one_row CHECK (singleton),
  time_zone    text NOT NULL
               CONSTRAINT ops_time_zone_must_be_in_pg_timezone_names CHECK (is_known_time_zone(time_zone))
);
COMMENT ON TABLE ops_time_zone IS
'The company''s time zone (one row): the job schedules are local times in it (schedule_jobs converts them to UTC for pg_cron), and the monthly chain''s month just ended is computed in it (company_today()).';
COMMENT ON COLUMN ops_time_zone.singleton IS 'Always true: the table has one row.';
COMMENT ON COLUMN ops_time_zone.time_zone IS 'A name of pg_timezone_names, e.g. Europe/Berlin; UTC by default.';
INSERT INTO ops_time_zone (time_zone) VALUES ('UTC');

INSERT INTO ops_setting (name, value, description) VALUES
  ('job_log_keep_days', 90, 'prune_job_log deletes job_log rows older than this many days.'),
  ('complaint_response_days', 3, 'An unresolved complaint is overdue this many days after it was opened.'),
  ('feedback_response_days', 14, 'An unresolved suggestion or praise item is overdue this many days after it was opened.');

-- pg_dump carries every row of the two settings tables (so a changed
-- schedule survives a dump); on restore the rows meet the defaults that
-- CREATE EXTENSION has just inserted, so an INSERT of an existing key made by
-- pg_restore updates the row instead of failing on the primary key.
CREATE FUNCTION settings_restore_merge()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF NOT is_restoring() THEN
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'job_setting' THEN
    UPDATE job_setting s SET schedule = NEW.schedule, command = NEW.command, enabled = NEW.enabled,
                             description = NEW.description, statement_timeout = NEW.statement_timeout,
                             retries = NEW.retries, retry_backoff = NEW.retry_backoff,
                             per_month = NEW.per_month, depends_on = NEW.depends_on
    WHERE s.job_name = NEW.job_name;
  ELSIF TG_TABLE_NAME = 'ops_time_zone' THEN
    UPDATE ops_time_zone z SET time_zone = NEW.time_zone WHERE z.singleton = NEW.singleton;
  ELSE
    UPDATE ops_setting s SET value = NEW.value, description = NEW.description WHERE s.name = NEW.name;
  END IF;
  RETURN CASE WHEN FOUND THEN NULL ELSE NEW END;
END
$$;
COMMENT ON FUNCTION settings_restore_merge() IS
'Trigger on job_setting, ops_setting and ops_time_zone: while pg_restore runs, a dumped row whose key already exists (a default of CREATE EXTENSION) updates that row instead of failing.';
CREATE TRIGGER job_setting_restore_merge BEFORE INSERT ON job_setting
  FOR EACH ROW EXECUTE FUNCTION settings_restore_merge();
CREATE TRIGGER ops_setting_restore_merge BEFORE INSERT ON ops_setting
  FOR EACH ROW EXECUTE FUNCTION settings_restore_merge();
CREATE TRIGGER ops_time_zone_restore_merge BEFORE INSERT ON ops_time_zone
  FOR EACH ROW EXECUTE FUNCTION settings_restore_merge();

CREATE FUNCTION company_time_zone()
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v text;
BEGIN
  SELECT z.time_zone INTO v FROM ops_time_zone z;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the company time zone is missing'
      USING ERRCODE = 'undefined_object',
            HINT = 'INSERT INTO sales_supervisor.ops_time_zone (time_zone) VALUES (''UTC'');';
  END IF;
  RETURN v;
END
$$;
COMMENT ON FUNCTION company_time_zone() IS 'The company''s time zone (ops_time_zone); error 42704 when its row is missing.';
REVOKE ALL ON FUNCTION company_time_zone() FROM PUBLIC;

CREATE FUNCTION company_month(at timestamptz)
RETURNS date
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF at IS NULL THEN
    RAISE EXCEPTION 'time must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- the one place a point in time becomes a month: on the company's wall clock
  RETURN date_trunc('month', at AT TIME ZONE company_time_zone())::date;
END
$$;
COMMENT ON FUNCTION company_month(timestamptz) IS
'First day of the month the point in time falls in on the company''s wall clock (ops_time_zone): 23:30 local on the 31st belongs to that month even when it is already the 1st in UTC. The monthly chain''s month just ended is the month before company_month(now()).';
REVOKE ALL ON FUNCTION company_month(timestamptz) FROM PUBLIC;

CREATE FUNCTION company_today()
RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
RETURN (now() AT TIME ZONE company_time_zone())::date;
COMMENT ON FUNCTION company_today() IS 'Today''s date on the company''s wall clock (ops_time_zone), whatever the session''s TimeZone (pg_cron''s sessions run in GMT).';
REVOKE ALL ON FUNCTION company_today() FROM PUBLIC;

CREATE FUNCTION ops_setting_value(setting text)
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v integer;
BEGIN
  SELECT s.value INTO v FROM ops_setting s WHERE s.name = setting;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'ops setting "%" is missing', setting
      USING ERRCODE = 'undefined_object',
            HINT = 'Insert it into sales_supervisor.ops_setting (the defaults are in the extension script).';
  END IF;
  RETURN v;
END
$$;
COMMENT ON FUNCTION ops_setting_value(text) IS 'Value of an ops_setting; error 42704 naming it when the row is missing.';

-- ---------------------------------------------------------------------------
-- Job log
-- ---------------------------------------------------------------------------

CREATE TABLE job_log (
  log_id         bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  job_name       text NOT NULL,
  command        text,
  started_at     timestamptz NOT NULL,
  finished_at    timestamptz NOT NULL,
  rows_affected  bigint,
  status         text NOT NULL CHECK (status IN ('success', 'failure', 'skipped')),
  sqlstate       text CHECK (sqlstate ~ '^[0-9A-Z]{5}$'),
  error          text,
  detail         text,
  run_by         name NOT NULL DEFAULT session_user,
  attempt        integer NOT NULL DEFAULT 1 CHECK (attempt >= 1),
  month          date CHECK (month = date_trunc('month', month)::date),
  CONSTRAINT job_log_finished_after_start CHECK (finished_at >= started_at),
  CONSTRAINT job_log_error_iff_failure CHECK ((status = 'failure') = (error IS NOT NULL))
);
CREATE INDEX job_log_job_started_idx ON job_log (job_name, started_at);
CREATE INDEX job_log_started_idx ON job_log (started_at);
COMMENT ON TABLE job_log IS
'One row per run of a scheduled job (run_job / execute_job): start, end, rows affected, status, error text and progress lines. A failed run is logged too. Pruned by the prune_job_log job after ops_setting job_log_keep_days.';
COMMENT ON COLUMN job_log.log_id IS 'Log entry identifier (increasing in write order).';
COMMENT ON COLUMN job_log.job_name IS 'Job run (a job_setting.job_name, or the unknown name asked for).';
COMMENT ON COLUMN job_log.command IS 'SQL command that ran (NULL when the job was unknown or skipped).';
COMMENT ON COLUMN job_log.started_at IS 'When the run started (clock time).';
COMMENT ON COLUMN job_log.finished_at IS 'When the run ended (clock time).';
COMMENT ON COLUMN job_log.rows_affected IS 'Rows the job changed: the total its procedures reported with job_progress(), else the row count of a plain SQL command; NULL on failure.';
COMMENT ON COLUMN job_log.status IS 'success, failure or skipped (job disabled; single-flight: another run of the job was still running; held: the step before it in the monthly chain has not succeeded for the month); detail says why.';
COMMENT ON COLUMN job_log.sqlstate IS 'SQLSTATE of the error of a failed run.';
COMMENT ON COLUMN job_log.error IS 'Error message of a failed run; NULL otherwise.';
COMMENT ON COLUMN job_log.detail IS 'Progress lines of a successful run (time and message, one per line), the error''s DETAIL, HINT and CONTEXT of a failed one, or why a run was skipped.';
COMMENT ON COLUMN job_log.run_by IS 'Session user that ran the job (the user pg_cron runs it as).';
COMMENT ON COLUMN job_log.attempt IS 'Attempt of the run: 1, then 2, 3, ... for the retries of run_job (job_setting.retries).';
COMMENT ON COLUMN job_log.month IS 'For a step of the monthly chain (job_setting.per_month): the month processed or held (first day); NULL otherwise.';

CREATE TABLE job_month (
  job_name     text NOT NULL,
  month        date NOT NULL CHECK (month = date_trunc('month', month)::date),
  log_id       bigint NOT NULL,
  finished_at  timestamptz NOT NULL,
  PRIMARY KEY (job_name, month)
);
COMMENT ON TABLE job_month IS
'The months each step of the monthly chain (job_setting.per_month) has done: one row per job and month it succeeded for. A run continues after the latest month here; the next step of the chain processes a month only once its depends_on job has a row for it. Not pruned (twelve rows a year per step).';
COMMENT ON COLUMN job_month.job_name IS 'The step (a per_month job of job_setting).';
COMMENT ON COLUMN job_month.month IS 'The month processed (first day), in the company''s calendar.';
COMMENT ON COLUMN job_month.log_id IS 'The job_log row of the successful run (the log may since have been pruned).';
COMMENT ON COLUMN job_month.finished_at IS 'When that run finished.';

-- ---------------------------------------------------------------------------
-- Progress
-- ---------------------------------------------------------------------------

CREATE FUNCTION job_progress(message text, rows_affected bigint DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_rows text := current_setting('sales_supervisor_job.rows', true);
BEGIN
  IF message IS NULL THEN
    RAISE EXCEPTION 'progress message must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  RAISE NOTICE '%', message;
  PERFORM set_config('sales_supervisor_job.detail',
                     coalesce(current_setting('sales_supervisor_job.detail', true), '')
                       || to_char(clock_timestamp(), 'HH24:MI:SS.MS') || ' ' || message || E'\n', true);
  IF rows_affected IS NOT NULL THEN
    PERFORM set_config('sales_supervisor_job.rows',
                       (coalesce(nullif(v_rows, '')::bigint, 0) + rows_affected)::text, true);
  END IF;
  -- visible to other sessions at once, in pg_stat_activity.application_name
  PERFORM set_config('application_name', left('sales_supervisor: ' || message, 63), true);
END
$$;
COMMENT ON FUNCTION job_progress(text, bigint) IS
'Reports progress of a long job: a NOTICE line for a psql user, a line in the job_log.detail of the run (when called under execute_job or run_job), pg_stat_activity.application_name for a watcher in another session (until the transaction ends), and adds rows_affected to the run''s row count.';
REVOKE ALL ON FUNCTION job_progress(text, bigint) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Running a job
-- ---------------------------------------------------------------------------

-- job_timeout_arm / job_timeout_disarm: the statement timeout of a job's
-- command (src/job_timeout.c says why SET statement_timeout cannot do it).
CREATE FUNCTION job_timeout_arm(milliseconds integer)
RETURNS void
AS 'MODULE_PATHNAME', 'job_timeout_arm'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION job_timeout_arm(integer) IS
'C: arms the server''s statement-timeout timer to cancel the running statement after the given milliseconds (SQLSTATE 57014, as statement_timeout would); 22004 for NULL, 22023 unless positive. execute_job arms it around a job''s command.';
REVOKE ALL ON FUNCTION job_timeout_arm(integer) FROM PUBLIC;
CREATE FUNCTION job_timeout_disarm()
RETURNS void
AS 'MODULE_PATHNAME', 'job_timeout_disarm'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION job_timeout_disarm() IS
'C: disarms the statement-timeout timer (job_timeout_arm) if it is pending. It also ends a statement_timeout the session had armed for the statement: a job''s own limit replaces the session''s while it runs.';
REVOKE ALL ON FUNCTION job_timeout_disarm() FROM PUBLIC;

-- One advisory lock per job (single-flight): execute_job takes it for its
-- transaction, run_job for its session across the retries.
CREATE FUNCTION job_lock_key(job_name text)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
RETURN hashtextextended('sales_supervisor:' || job_name, 0);
COMMENT ON FUNCTION job_lock_key(text) IS
'Advisory lock key of a job (a 64-bit hash of ''sales_supervisor:<job>''): a run holds it while it runs, so a second run of the same job is skipped (single-flight).';
REVOKE ALL ON FUNCTION job_lock_key(text) FROM PUBLIC;

CREATE FUNCTION job_lock_holder(job_name text)
RETURNS integer
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
RETURN (SELECT min(l.pid) FROM pg_catalog.pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.database = (
                SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = current_database())
          AND ((l.classid::bigint << 32) | l.objid::bigint) = job_lock_key(job_name)
          AND l.pid <> pg_backend_pid());
COMMENT ON FUNCTION job_lock_holder(text) IS 'Process id of another session that holds the job''s advisory lock (a run in progress), or NULL.';
REVOKE ALL ON FUNCTION job_lock_holder(text) FROM PUBLIC;

-- Every log row is written here: a failed or skipped run also sends
-- NOTIFY sales_supervisor_job (delivered when the transaction commits, as
-- the log row becomes visible; run_job commits a failure before it raises).
CREATE FUNCTION job_log_write(r job_log)
RETURNS job_log
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF r IS NULL OR r.job_name IS NULL THEN
    RAISE EXCEPTION 'log row must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  INSERT INTO job_log (job_name, command, started_at, finished_at, rows_affected, status, sqlstate, error, detail,
                       attempt, month)
  VALUES (r.job_name, r.command, r.started_at, coalesce(r.finished_at, clock_timestamp()), r.rows_affected, r.status,
          r.sqlstate, r.error, r.detail, coalesce(r.attempt, 1), r.month)
  RETURNING * INTO r;
  IF r.status <> 'success' THEN
    PERFORM pg_notify('sales_supervisor_job',
                      json_build_object('job', r.job_name, 'run', r.log_id, 'status', r.status,
                                        'sqlstate', r.sqlstate, 'message', left(coalesce(r.error, r.detail), 2000),
                                        'attempt', r.attempt, 'month', r.month)::text);
  END IF;
  RETURN r;
END
$$;
COMMENT ON FUNCTION job_log_write(job_log) IS
'Inserts a job_log row and, for a failure or a skipped run, sends NOTIFY sales_supervisor_job with a JSON payload {job, run (log_id), status, sqlstate, message (error or reason, at most 2000 characters), attempt, month}; returns the row as stored.';
REVOKE ALL ON FUNCTION job_log_write(job_log) FROM PUBLIC;

-- The month a step of the monthly chain is processing, for its command.
CREATE FUNCTION job_month_param()
RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
RETURN nullif(current_setting('sales_supervisor_job.month', true), '')::date;
COMMENT ON FUNCTION job_month_param() IS
'Inside a run of a monthly-chain step (job_setting.per_month): the month it processes (first day); NULL in any other context (a manual CALL of the procedure).';
REVOKE ALL ON FUNCTION job_month_param() FROM PUBLIC;

-- One run of a job's command: timeout armed, in a subtransaction, logged.
CREATE FUNCTION job_run_once(s job_setting, attempt integer, month date)
RETURNS job_log
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  r job_log;
  v_rows bigint;
  v_appname text := current_setting('application_name');
  v_detail text;
  v_hint text;
  v_context text;
BEGIN
  IF s IS NULL OR s.job_name IS NULL OR attempt IS NULL THEN
    RAISE EXCEPTION 'job and attempt must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  r.job_name := s.job_name;
  r.command := s.command;
  r.attempt := attempt;
  r.month := month;
  r.started_at := clock_timestamp();
  PERFORM set_config('sales_supervisor_job.detail', '', true);
  PERFORM set_config('sales_supervisor_job.rows', '', true);
  PERFORM set_config('sales_supervisor_job.month', coalesce(month::text, ''), true);
  BEGIN
    IF s.statement_timeout IS NOT NULL THEN
      PERFORM job_timeout_arm(greatest(1, (extract(epoch FROM s.statement_timeout) * 1000)::integer));
    END IF;
    EXECUTE s.command;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM job_timeout_disarm();
    r.rows_affected := coalesce(nullif(current_setting('sales_supervisor_job.rows', true), '')::bigint, v_rows);
    r.detail := nullif(current_setting('sales_supervisor_job.detail', true), '');
    r.status := 'success';
  -- query_canceled (57014) is not among OTHERS: it is how the timeout ends a command
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM job_timeout_disarm();
    GET STACKED DIAGNOSTICS r.sqlstate = RETURNED_SQLSTATE, r.error = MESSAGE_TEXT,
                            v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT,
                            v_context = PG_EXCEPTION_CONTEXT;
    r.status := 'failure';
    r.detail := nullif(concat_ws(E'\n', 'DETAIL: ' || nullif(v_detail, ''), 'HINT: ' || nullif(v_hint, ''),
                                 'CONTEXT: ' || nullif(v_context, '')), '');
  END;
  PERFORM set_config('sales_supervisor_job.month', '', true);
  PERFORM set_config('application_name', v_appname, true);
  r.finished_at := clock_timestamp();
  RETURN job_log_write(r);
END
$$;
COMMENT ON FUNCTION job_run_once(job_setting, integer, date) IS
'Runs a job''s command once, in a subtransaction, with the job''s statement_timeout armed, and logs it (job_log_write): success with rows affected and progress lines, or failure with SQLSTATE (57014 for a timeout), message, detail, hint and context, the command''s changes rolled back. For a monthly-chain step the month is in sales_supervisor_job.month meanwhile.';
REVOKE ALL ON FUNCTION job_run_once(job_setting, integer, date) FROM PUBLIC;

-- The months a step of the monthly chain has to do, oldest first: from the
-- month after its last success (else the month just ended) through the month
-- just ended, on the company's calendar.  A month whose step before has not
-- succeeded is held (logged as skipped, the later months wait); a failed
-- month stops the run (the later months wait for the next run or retry).
CREATE FUNCTION job_run_months(s job_setting, attempt integer)
RETURNS job_log
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  r job_log;
  v_last date := (company_month(now()) - interval '1 month')::date;
  v_from date;
  v_month date;
BEGIN
  IF s IS NULL OR s.job_name IS NULL OR attempt IS NULL THEN
    RAISE EXCEPTION 'job and attempt must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  v_from := coalesce((SELECT (max(m.month) + interval '1 month')::date FROM job_month m WHERE m.job_name = s.job_name),
                     v_last);
  FOR v_month IN SELECT g::date FROM generate_series(v_from, v_last, interval '1 month') g LOOP
    IF s.depends_on IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM job_month m WHERE m.job_name = s.depends_on AND m.month = v_month) THEN
      r := ROW(NULL, s.job_name, NULL, clock_timestamp(), clock_timestamp(), NULL, 'skipped', NULL, NULL,
               format('held: %s has not succeeded for %s; %s waits for it (months %s through %s)', s.depends_on,
                      to_char(v_month, 'YYYY-MM'), s.job_name, to_char(v_month, 'YYYY-MM'), to_char(v_last, 'YYYY-MM')),
               session_user, attempt, v_month)::job_log;
      RETURN job_log_write(r);
    END IF;
    r := job_run_once(s, attempt, v_month);
    IF r.status = 'failure' THEN
      RETURN r;
    END IF;
    INSERT INTO job_month (job_name, month, log_id, finished_at) VALUES (s.job_name, v_month, r.log_id, r.finished_at);
  END LOOP;
  IF r.log_id IS NULL THEN
    r := ROW(NULL, s.job_name, NULL, clock_timestamp(), clock_timestamp(), 0, 'success', NULL, NULL,
             format('nothing due: %s is done through %s', s.job_name, to_char(v_last, 'YYYY-MM')),
             session_user, attempt, NULL)::job_log;
    RETURN job_log_write(r);
  END IF;
  RETURN r;
END
$$;
COMMENT ON FUNCTION job_run_months(job_setting, integer) IS
'Runs a step of the monthly chain for each month it has to do, oldest first (from the month after its last job_month row, else the month just ended, through the month just ended in the company''s time zone), recording each success in job_month; holds (skipped, reason in detail) at a month its depends_on job has not done; stops at a failure. Returns the last log row (a success row ''nothing due'' when every month is done).';
REVOKE ALL ON FUNCTION job_run_months(job_setting, integer) FROM PUBLIC;

CREATE FUNCTION job_execute(job_name text, attempt integer)
RETURNS job_log
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  s job_setting;
  r job_log;
  v_pid integer;
BEGIN
  IF job_execute.job_name IS NULL THEN
    RAISE EXCEPTION 'job name must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF attempt IS NULL OR attempt < 1 THEN
    RAISE EXCEPTION 'attempt must be 1 or more, not %', attempt
      USING ERRCODE = CASE WHEN attempt IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END;
  END IF;
  r.job_name := job_execute.job_name;
  r.attempt := attempt;
  r.started_at := clock_timestamp();
  SELECT * INTO s FROM job_setting j WHERE j.job_name = job_execute.job_name;
  IF NOT FOUND THEN
    r.status := 'failure';
    r.sqlstate := '22023';
    r.error := format('job "%s" is not defined', job_execute.job_name);
    r.detail := 'HINT: The jobs are the rows of sales_supervisor.job_setting.';
  ELSIF NOT s.enabled THEN
    r.status := 'skipped';
    r.detail := 'the job is disabled in job_setting';
  ELSIF NOT pg_try_advisory_xact_lock(job_lock_key(s.job_name)) THEN
    v_pid := job_lock_holder(s.job_name);
    r.status := 'skipped';
    r.detail := format('single-flight: a run of %s is still in progress (process %s, since %s); this run did not start',
                       s.job_name, coalesce(format('%s', v_pid), '?'),
                       coalesce((SELECT to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS TZ') FROM pg_stat_activity a
                                 WHERE a.pid = v_pid), '?'));
  ELSIF s.per_month THEN
    RETURN job_run_months(s, attempt);
  ELSE
    RETURN job_run_once(s, attempt, NULL);
  END IF;
  r.finished_at := clock_timestamp();
  RETURN job_log_write(r);
END
$$;
COMMENT ON FUNCTION job_execute(text, integer) IS
'One attempt of a job (execute_job and run_job call it): unknown job: failure 22023; disabled: skipped; another run of the job in progress (its advisory lock, job_lock_key, is held): skipped (single-flight), naming that run''s process; a monthly-chain step: job_run_months; else job_run_once. Returns the log row.';
REVOKE ALL ON FUNCTION job_execute(text, integer) FROM PUBLIC;

CREATE FUNCTION execute_job(job_name text)
RETURNS job_log
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
RETURN job_execute(job_name, 1);
COMMENT ON FUNCTION execute_job(text) IS
'Runs a job once, inside the caller''s transaction, and returns its job_log row, whatever happens: the command in a subtransaction with the job''s statement_timeout (success with rows affected and progress lines; failure with SQLSTATE, message, detail, hint and context, its changes rolled back); skipped for a disabled job, for a job whose previous run is still running (single-flight) and for a monthly-chain step whose step before has not done the month (held); failure for an unknown job name. Never raises for the command''s error and does not retry (run_job does). Failed and skipped runs send NOTIFY sales_supervisor_job.';
REVOKE ALL ON FUNCTION execute_job(text) FROM PUBLIC;

-- transaction_control_allowed: may the calling procedure COMMIT now?  Asked
-- of the server (src/transaction_control.c), so that run_job decides without
-- attempting a COMMIT and reading the (translated) text of its refusal.
CREATE FUNCTION transaction_control_allowed()
RETURNS boolean
AS 'MODULE_PATHNAME', 'transaction_control_allowed'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION transaction_control_allowed() IS
'True when the PL/pgSQL procedure calling it may COMMIT or ROLLBACK now: it runs non-atomically (CALL at top level, as pg_cron and psql in autocommit do, or from a procedure so called; not in a transaction block or a function) and no subtransaction (exception block) is active. Needs no error and no message text, so it does not depend on lc_messages.';
REVOKE ALL ON FUNCTION transaction_control_allowed() FROM PUBLIC;

-- The retry policy of a job, for run_job (which has no search_path of its own).
CREATE FUNCTION job_retry_wait(job_name text, failed_attempt integer)
RETURNS double precision
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
RETURN (SELECT CASE WHEN failed_attempt <= j.retries
                    THEN extract(epoch FROM j.retry_backoff)::double precision * power(2, failed_attempt - 1) END
        FROM job_setting j WHERE j.job_name = job_retry_wait.job_name);
COMMENT ON FUNCTION job_retry_wait(text, integer) IS
'Seconds run_job waits after the given failed attempt before the next one (retry_backoff doubled per earlier retry: backoff x 2^(attempt - 1)), or NULL when job_setting.retries are used up (or the job is unknown).';
REVOKE ALL ON FUNCTION job_retry_wait(text, integer) FROM PUBLIC;

-- run_job has no SET search_path clause on purpose: PostgreSQL refuses
-- COMMIT in a procedure that has one.  Every name in it is therefore
-- schema-qualified, and it casts nothing.
CREATE PROCEDURE run_job(job_name text)
LANGUAGE plpgsql
AS $$
DECLARE
  r sales_supervisor.job_log;
  v_attempt integer := 1;
  v_wait double precision;
  v_locked boolean := false;
  -- Can this call commit?  Only a CALL at top level (pg_cron, psql in
  -- autocommit) can.  Asked of the server, not found out by trying a COMMIT:
  -- both refusals of a COMMIT share SQLSTATE 2D000 and differ only in their
  -- message, which lc_messages translates.
  v_top boolean := sales_supervisor.transaction_control_allowed();
BEGIN
  IF v_top THEN
    -- single-flight across the attempts: the COMMIT between two attempts ends
    -- the transaction lock execute_job takes, this session lock stays
    v_locked := pg_catalog.pg_try_advisory_lock(sales_supervisor.job_lock_key(job_name));
  END IF;
  LOOP
    r := sales_supervisor.job_execute(job_name, v_attempt);
    EXIT WHEN r.status OPERATOR(pg_catalog.<>) 'failure' OR NOT v_top;
    v_wait := sales_supervisor.job_retry_wait(job_name, v_attempt);
    EXIT WHEN v_wait IS NULL;
    COMMIT;                              -- keep the failed attempt's log row (and send its NOTIFY)
    PERFORM pg_catalog.pg_sleep(v_wait);
    v_attempt := v_attempt OPERATOR(pg_catalog.+) 1;
  END LOOP;
  IF v_locked THEN
    PERFORM pg_catalog.pg_advisory_unlock(sales_supervisor.job_lock_key(job_name));
  END IF;
  IF r.status OPERATOR(pg_catalog.<>) 'failure' THEN
    RETURN;
  END IF;
  IF v_top THEN
    COMMIT;                              -- the log row is kept ...
    RAISE EXCEPTION 'job "%" failed: %', r.job_name, r.error   -- ... and pg_cron sees the failure
      USING ERRCODE = r.sqlstate,
            DETAIL = pg_catalog.concat('Logged as sales_supervisor.job_log log_id ', r.log_id,
                                       ' (attempt ', r.attempt, ').');
  END IF;
  RAISE WARNING 'job "%" failed: % (SQLSTATE %)', r.job_name, r.error, r.sqlstate
    USING DETAIL = pg_catalog.concat('Logged as sales_supervisor.job_log log_id ', r.log_id,
                                     '; not re-raised because the call is inside a transaction, whose rollback would lose the log row.');
END
$$;
COMMENT ON PROCEDURE run_job(text) IS
'Entry point of the pg_cron jobs: runs the job through job_execute (which logs it; single-flight, timeout, monthly chain as execute_job). Called at top level (as pg_cron and psql in autocommit do) it holds the job''s advisory lock across the attempts, and retries a failure job_setting.retries times, committing each failed attempt''s log row and waiting retry_backoff (doubling) before the next; after the last failure it commits and re-raises the error with its SQLSTATE, so pg_cron''s job_run_details shows the failure too. Inside a transaction block it runs once and only warns on failure, keeping the log row in the caller''s transaction.';
REVOKE ALL ON PROCEDURE run_job(text) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Local time: schedules in the company's time zone, converted for pg_cron
-- ---------------------------------------------------------------------------

-- pg_cron 1.4 (Debian 12) runs every schedule in GMT (cron.timezone came
-- with pg_cron 1.5 and is not there), so the local schedules are converted:
-- the minute and hour become the UTC ones the zone's offset gives at the
-- job's next local occurrence, and a run that falls on the day before or after
-- in UTC has its day-of-month / day-of-week shifted by that day.

-- A day-of-month or day-of-week field shifted by -1 or +1 day; NULL when cron
-- cannot say it (a range or step, a day of month leaving 1..28).
CREATE FUNCTION cron_shift_days(field text, shift integer, is_weekday boolean)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
RETURN CASE
  WHEN shift = 0 OR field = '*' THEN field
  WHEN field !~ '^\d{1,2}(,\d{1,2})*$' THEN NULL
  WHEN is_weekday THEN (SELECT string_agg(format('%s', (to_number(d, '99')::integer + shift + 7) % 7), ',' ORDER BY o)
                        FROM unnest(string_to_array(field, ',')) WITH ORDINALITY u(d, o))
  WHEN (SELECT bool_and(to_number(d, '99')::integer + shift BETWEEN 1 AND 28) FROM unnest(string_to_array(field, ',')) d)
    THEN (SELECT string_agg(format('%s', to_number(d, '99')::integer + shift), ',' ORDER BY o)
          FROM unnest(string_to_array(field, ',')) WITH ORDINALITY u(d, o))
END;
COMMENT ON FUNCTION cron_shift_days(text, integer, boolean) IS
'A cron day-of-month (is_weekday false) or day-of-week field moved by shift days (-1, 0, +1): * stays, a list of numbers moves (weekdays modulo 7); NULL when cron cannot express the result (ranges, steps, a day of month that would leave 1..28).';
REVOKE ALL ON FUNCTION cron_shift_days(text, integer, boolean) FROM PUBLIC;

CREATE FUNCTION local_cron_to_utc(schedule text, time_zone text, at timestamptz)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v text := CASE schedule WHEN '@daily' THEN '0 0 * * *' WHEN '@weekly' THEN '0 0 * * 0'
                          WHEN '@monthly' THEN '0 0 1 * *' WHEN '@yearly' THEN '0 0 1 1 *'
                          WHEN '@annually' THEN '0 0 1 1 *' ELSE schedule END;
  f text[];
  v_local timestamp;
  v_at time;
  v_day date;
  v_utc timestamp;
  v_shift integer;
  v_dom text;
  v_dow text;
BEGIN
  IF schedule IS NULL OR time_zone IS NULL OR at IS NULL THEN
    RAISE EXCEPTION 'schedule, time zone and time must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF NOT is_known_time_zone(time_zone) THEN
    RAISE EXCEPTION 'time zone "%" is unknown', time_zone
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use a name of pg_timezone_names, e.g. Europe/Berlin.';
  END IF;
  IF v ~ '^@' OR v ~ 'seconds$' THEN
    RETURN v;                                   -- @hourly, every N seconds: the same in every zone
  END IF;
  f := regexp_split_to_array(btrim(v), '\s+');
  IF f[1] !~ '^\d{1,2}$' OR f[2] !~ '^\d{1,2}$' THEN
    -- not one time of day: only an every-hour pattern survives a whole-hour offset unchanged
    IF f[2] = '*' AND extract(minute FROM (at AT TIME ZONE time_zone) - (at AT TIME ZONE 'UTC')) = 0 THEN
      RETURN v;
    END IF;
    RAISE EXCEPTION 'schedule "%" cannot be converted from time zone % to UTC', schedule, time_zone
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'State the minute and hour as single numbers (or the hour as * in a zone with a whole-hour offset).';
  END IF;
  -- the next local occurrence of that time of day, and where it falls in UTC
  v_local := at AT TIME ZONE time_zone;
  -- (to_number, not a cast from text: casts are global, a caller could have planted one)
  v_at := make_time(to_number(f[2], '99')::integer, to_number(f[1], '99')::integer, 0);
  v_day := v_local::date + CASE WHEN v_local::time > v_at THEN 1 ELSE 0 END;
  v_utc := ((v_day + v_at) AT TIME ZONE time_zone) AT TIME ZONE 'UTC';
  v_shift := v_utc::date - v_day;
  v_dom := cron_shift_days(f[3], v_shift, false);
  v_dow := cron_shift_days(f[5], v_shift, true);
  IF v_dom IS NULL OR v_dow IS NULL OR (v_shift <> 0 AND f[3] = '*' AND f[4] <> '*') THEN
    RAISE EXCEPTION 'schedule "%" in time zone % falls on the day % in UTC, which cron cannot express for these days',
                    schedule, time_zone, CASE WHEN v_shift < 0 THEN 'before' ELSE 'after' END
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Choose a time of day that is the same date in UTC, or days of month between 2 and 27.';
  END IF;
  RETURN concat_ws(' ', extract(minute FROM v_utc)::integer, extract(hour FROM v_utc)::integer, v_dom, f[4], v_dow);
END
$$;
COMMENT ON FUNCTION local_cron_to_utc(text, text, timestamptz) IS
'The pg_cron (UTC) schedule of a schedule stated in local time in the given zone, with the offset the zone has at the schedule''s next local occurrence after at: ''15 1 * * *'' in Europe/Berlin is ''15 0 * * *'' in winter and ''15 23 * * *'' in summer (day fields shifted when the run falls on another UTC day). @hourly, N seconds and hour-* patterns pass unchanged (whole-hour offsets); error 22023 for what cron cannot express.';
REVOKE ALL ON FUNCTION local_cron_to_utc(text, text, timestamptz) FROM PUBLIC;

-- The longest a job's schedule leaves between two runs (v_job_health).
CREATE FUNCTION cron_max_gap(schedule text)
RETURNS interval
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
RETURN CASE
  WHEN schedule IN ('@yearly', '@annually') THEN interval '1 year'
  WHEN schedule = '@monthly' THEN interval '1 month'
  WHEN schedule = '@weekly' THEN interval '7 days'
  WHEN schedule = '@daily' THEN interval '1 day'
  WHEN schedule = '@hourly' THEN interval '1 hour'
  WHEN schedule ~ '^\d+ seconds$' THEN make_interval(secs => to_number(split_part(schedule, ' ', 1), '99'))
  WHEN split_part(regexp_replace(btrim(schedule), '\s+', ' ', 'g'), ' ', 4) <> '*' THEN interval '1 year'
  WHEN split_part(regexp_replace(btrim(schedule), '\s+', ' ', 'g'), ' ', 3) <> '*' THEN interval '1 month'
  WHEN split_part(regexp_replace(btrim(schedule), '\s+', ' ', 'g'), ' ', 5) <> '*' THEN interval '7 days'
  WHEN split_part(regexp_replace(btrim(schedule), '\s+', ' ', 'g'), ' ', 2) <> '*' THEN interval '1 day'
  WHEN split_part(regexp_replace(btrim(schedule), '\s+', ' ', 'g'), ' ', 1) <> '*' THEN interval '1 hour'
  ELSE interval '1 minute'
END;
COMMENT ON FUNCTION cron_max_gap(text) IS
'Upper bound of the time between two runs of a cron schedule, from its most restricted field: a month field: 1 year; day of month: 1 month; day of week: 7 days; hour: 1 day; minute: 1 hour; else 1 minute (@daily and friends likewise).';
REVOKE ALL ON FUNCTION cron_max_gap(text) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- pg_cron registration
-- ---------------------------------------------------------------------------

CREATE FUNCTION require_pg_cron()
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'pg_cron') THEN
    RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The scheduled calendar of sales_supervisor runs on the pg_cron extension.',
            HINT = format('Set shared_preload_libraries = ''pg_cron'' and cron.database_name = ''%s'' in postgresql.conf, restart the server, then run CREATE EXTENSION pg_cron; in this database.',
                          current_database());
  END IF;
END
$$;
COMMENT ON FUNCTION require_pg_cron() IS 'Raises 55000 with a hint on how to install pg_cron when the pg_cron extension is not installed in the current database.';
REVOKE ALL ON FUNCTION require_pg_cron() FROM PUBLIC;

CREATE FUNCTION schedule_jobs()
RETURNS TABLE (job_name text, schedule text, cron_jobid bigint, action text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  s record;
  cur record;
  v_zone text := company_time_zone();
BEGIN
  PERFORM require_pg_cron();
  FOR s IN SELECT j.job_name, j.schedule, j.enabled FROM job_setting j ORDER BY j.job_name LOOP
    job_name := s.job_name;
    IF s.enabled THEN
      schedule := local_cron_to_utc(s.schedule, v_zone, now());
      SELECT cj.jobid, cj.schedule, cj.command INTO cur FROM cron.job cj
      WHERE cj.jobname = 'sales_supervisor:' || s.job_name AND cj.database = current_database()
        AND cj.username = current_user;
      IF FOUND AND cur.schedule = schedule AND cur.command = format('CALL sales_supervisor.run_job(%L)', s.job_name) THEN
        cron_jobid := cur.jobid;
        action := 'unchanged';
      ELSE
        -- cron.schedule(name, ...) updates the job of that name and user if it exists
        cron_jobid := cron.schedule('sales_supervisor:' || s.job_name, schedule,
                                    format('CALL sales_supervisor.run_job(%L)', s.job_name));
        action := CASE WHEN cur.jobid IS NULL THEN 'scheduled' ELSE 'rescheduled' END;
      END IF;
      RETURN NEXT;
    ELSE
      schedule := s.schedule;
      FOR cron_jobid IN SELECT c.jobid FROM cron.job c
                        WHERE c.jobname = 'sales_supervisor:' || s.job_name AND c.database = current_database()
                        ORDER BY c.jobid LOOP
        PERFORM cron.unschedule(cron_jobid);
        action := 'unscheduled (disabled)';
        RETURN NEXT;
      END LOOP;
    END IF;
  END LOOP;
  -- jobs of ours that no longer have a setting
  FOR job_name, cron_jobid, schedule IN
      SELECT substr(c.jobname, length('sales_supervisor:') + 1), c.jobid, c.schedule FROM cron.job c
      WHERE starts_with(c.jobname, 'sales_supervisor:') AND c.database = current_database()
        AND NOT EXISTS (SELECT 1 FROM job_setting j WHERE 'sales_supervisor:' || j.job_name = c.jobname)
      ORDER BY c.jobid LOOP
    PERFORM cron.unschedule(cron_jobid);
    action := 'unscheduled (no setting)';
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION schedule_jobs() IS
'Registers the calendar of job_setting in pg_cron: each enabled job as ''sales_supervisor:<job_name>'' with its local schedule converted to UTC for the company time zone''s offset now (local_cron_to_utc; the schedule column of the result is the UTC one), running CALL sales_supervisor.run_job(''<job_name>'') as the current user in this database; unschedules disabled jobs and jobs whose setting was deleted. Idempotent: a job already registered as it should be is left alone (action unchanged), one whose UTC schedule differs is re-registered (rescheduled). Call it again after changing job_setting or ops_time_zone; the local_schedules job calls it hourly. Error 55000 with a hint when pg_cron is not installed. Returns what it did.';
REVOKE ALL ON FUNCTION schedule_jobs() FROM PUBLIC;

CREATE FUNCTION unschedule_jobs()
RETURNS TABLE (job_name text, cron_jobid bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  PERFORM require_pg_cron();
  FOR job_name, cron_jobid IN
      SELECT substr(c.jobname, length('sales_supervisor:') + 1), c.jobid FROM cron.job c
      WHERE starts_with(c.jobname, 'sales_supervisor:') AND c.database = current_database()
      ORDER BY c.jobid LOOP
    PERFORM cron.unschedule(cron_jobid);
    RETURN NEXT;
  END LOOP;
END
$$;
COMMENT ON FUNCTION unschedule_jobs() IS
'Removes every pg_cron job named sales_supervisor:* of this database (idempotent: a second call removes nothing). Error 55000 with a hint when pg_cron is not installed. Returns the jobs removed.';
REVOKE ALL ON FUNCTION unschedule_jobs() FROM PUBLIC;

CREATE PROCEDURE sync_local_schedules()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  c record;
  n integer := 0;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'pg_cron') THEN
    PERFORM job_progress('local schedules: pg_cron is not installed, nothing to register', 0);
    RETURN;
  END IF;
  FOR c IN SELECT * FROM schedule_jobs() r WHERE r.action <> 'unchanged' LOOP
    n := n + 1;
    PERFORM job_progress(format('local schedules: %s %s (%s UTC)', c.job_name, c.action, c.schedule));
  END LOOP;
  PERFORM job_progress(format('local schedules: %s jobs re-registered for time zone %s', n, company_time_zone()), n);
END
$$;
COMMENT ON PROCEDURE sync_local_schedules() IS
'Job local_schedules (hourly): schedule_jobs(), which re-registers in pg_cron every job whose UTC schedule the company time zone''s offset has changed (daylight saving), so a job at 01:15 local stays at 01:15 local; rows affected = jobs re-registered.';
REVOKE ALL ON PROCEDURE sync_local_schedules() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Job health
-- ---------------------------------------------------------------------------

CREATE VIEW v_job_health AS
SELECT j.job_name,
       j.enabled,
       j.schedule,
       last.started_at AS last_run_at,
       last.status AS last_status,
       last.sqlstate AS last_sqlstate,
       last.message AS last_message,
       ok.finished_at AS last_success_at,
       cron_max_gap(j.schedule) AS max_gap,
       -- measured from the last success, else from the first run logged
       (j.enabled AND last.started_at IS NOT NULL
        AND coalesce(ok.finished_at, ok.first_run_at) < now() - cron_max_gap(j.schedule)
                                                       - least(cron_max_gap(j.schedule), interval '1 hour')) AS overdue
FROM job_setting j
LEFT JOIN LATERAL (SELECT l.started_at, l.status, l.sqlstate, coalesce(l.error, l.detail) AS message
                   FROM job_log l WHERE l.job_name = j.job_name
                   ORDER BY l.log_id DESC LIMIT 1) last ON true
LEFT JOIN LATERAL (SELECT max(l.finished_at) FILTER (WHERE l.status = 'success') AS finished_at,
                          min(l.started_at) AS first_run_at
                   FROM job_log l WHERE l.job_name = j.job_name) ok ON true;
COMMENT ON VIEW v_job_health IS
'One row per job of job_setting: its last run (status, SQLSTATE, error or reason), its last success, and whether it is overdue: enabled, and no success within the longest gap its schedule allows (cron_max_gap) plus a grace of that gap or 1 hour, whichever is less, counted from its last success, or from its first run in job_log when it never succeeded. A job that has never run is not overdue (nothing to measure from). For the administrator (not granted; the messages may hold data).';
COMMENT ON COLUMN v_job_health.job_name IS 'The job (job_setting.job_name).';
COMMENT ON COLUMN v_job_health.enabled IS 'Whether the job is scheduled.';
COMMENT ON COLUMN v_job_health.schedule IS 'Its schedule, local time.';
COMMENT ON COLUMN v_job_health.last_run_at IS 'Start of its latest job_log row.';
COMMENT ON COLUMN v_job_health.last_status IS 'success, failure or skipped, of the latest run.';
COMMENT ON COLUMN v_job_health.last_sqlstate IS 'SQLSTATE of the latest run if it failed.';
COMMENT ON COLUMN v_job_health.last_message IS 'Error of the latest run, or its detail (progress, or why it was skipped).';
COMMENT ON COLUMN v_job_health.last_success_at IS 'End of its latest successful run (NULL: none in job_log).';
COMMENT ON COLUMN v_job_health.max_gap IS 'Longest time its schedule leaves between two runs.';
COMMENT ON COLUMN v_job_health.overdue IS 'True when the job should have succeeded by now and has not (see the view''s comment).';

-- ---------------------------------------------------------------------------
-- Daily job: overdue return visits
-- ---------------------------------------------------------------------------

-- The two flag tables are derived data that their job rebuilds: no foreign
-- keys, so they never stand in the way of deleting or truncating the model
-- (generate_demo_org(replace => true) truncates it); a flag of a row that is
-- gone is cleared at the next run.
CREATE TABLE visit_overdue_flag (
  customer_id   integer PRIMARY KEY,
  owner_id      integer NOT NULL,
  team_id       integer NOT NULL,
  tier          text NOT NULL,
  last_done_on  date,
  due_on        date NOT NULL,
  flagged_on    date NOT NULL DEFAULT CURRENT_DATE
);
CREATE INDEX visit_overdue_flag_owner_idx ON visit_overdue_flag (owner_id);
COMMENT ON TABLE visit_overdue_flag IS
'Customers whose return visit is overdue, as of the last run of the overdue_visits job (flag_overdue_visits): the flag appears when the visit falls due and disappears when a visit is done (or the customer becomes inactive). The live list is the view overdue_visit; this table keeps when each customer was first flagged.';
COMMENT ON COLUMN visit_overdue_flag.customer_id IS 'Customer overdue for a return visit.';
COMMENT ON COLUMN visit_overdue_flag.owner_id IS 'Owning rep when last checked.';
COMMENT ON COLUMN visit_overdue_flag.team_id IS 'Owning team when last checked.';
COMMENT ON COLUMN visit_overdue_flag.tier IS 'Customer tier when last checked (decides the cadence).';
COMMENT ON COLUMN visit_overdue_flag.last_done_on IS 'Date of the last done visit (NULL if never visited).';
COMMENT ON COLUMN visit_overdue_flag.due_on IS 'Date the return visit was due.';
COMMENT ON COLUMN visit_overdue_flag.flagged_on IS 'Date the job first flagged the customer in this overdue spell.';

CREATE PROCEDURE flag_overdue_visits()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_overdue bigint;
  v_new bigint;
  v_changed bigint;
  v_cleared bigint;
BEGIN
  PERFORM job_progress('overdue visits: step 1/2, computing the customers whose return visit is overdue');
  WITH cur AS MATERIALIZED (
         SELECT o.customer_id, o.owner_id, o.team_id, o.tier, o.last_done_on, o.due_on FROM overdue_visit o),
       ins AS (
         INSERT INTO visit_overdue_flag (customer_id, owner_id, team_id, tier, last_done_on, due_on)
         SELECT * FROM cur ON CONFLICT (customer_id) DO NOTHING RETURNING 1),
       upd AS (
         UPDATE visit_overdue_flag f
         SET owner_id = cur.owner_id, team_id = cur.team_id, tier = cur.tier,
             last_done_on = cur.last_done_on, due_on = cur.due_on
         FROM cur
         WHERE f.customer_id = cur.customer_id
           AND (f.owner_id, f.team_id, f.tier, f.last_done_on, f.due_on)
               IS DISTINCT FROM (cur.owner_id, cur.team_id, cur.tier, cur.last_done_on, cur.due_on)
         RETURNING 1),
       del AS (
         DELETE FROM visit_overdue_flag f
         WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.customer_id = f.customer_id) RETURNING 1)
  SELECT (SELECT count(*) FROM cur), (SELECT count(*) FROM ins), (SELECT count(*) FROM upd),
         (SELECT count(*) FROM del)
  INTO v_overdue, v_new, v_changed, v_cleared;
  PERFORM job_progress(format('overdue visits: step 2/2, %s customers overdue: %s newly flagged, %s flags changed, %s cleared',
                              v_overdue, v_new, v_changed, v_cleared),
                       v_new + v_changed + v_cleared);
END
$$;
COMMENT ON PROCEDURE flag_overdue_visits() IS
'Daily job overdue_visits: makes visit_overdue_flag equal to the overdue_visit list (new flags inserted, changed ones updated, flags of customers no longer overdue deleted); rows affected = inserted + updated + deleted. Run it as the extension owner (row-level security of the caller would narrow the list).';
REVOKE ALL ON PROCEDURE flag_overdue_visits() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Daily job: overdue feedback
-- ---------------------------------------------------------------------------

CREATE TABLE feedback_overdue_flag (
  feedback_id  bigint PRIMARY KEY,
  customer_id  integer NOT NULL,
  member_id    integer,
  kind         feedback_kind NOT NULL,
  status       feedback_status NOT NULL,
  opened_at    timestamptz NOT NULL,
  due_at       timestamptz NOT NULL,
  flagged_on   date NOT NULL DEFAULT CURRENT_DATE
);
CREATE INDEX feedback_overdue_flag_customer_idx ON feedback_overdue_flag (customer_id);
COMMENT ON TABLE feedback_overdue_flag IS
'Unresolved feedback items (open or in progress) past their response deadline (opened_at plus ops_setting complaint_response_days for complaints, feedback_response_days for the other kinds), as of the last run of the overdue_feedback job (flag_overdue_feedback).';
COMMENT ON COLUMN feedback_overdue_flag.feedback_id IS 'Feedback item overdue.';
COMMENT ON COLUMN feedback_overdue_flag.customer_id IS 'Customer who gave it.';
COMMENT ON COLUMN feedback_overdue_flag.member_id IS 'Member handling it, if assigned.';
COMMENT ON COLUMN feedback_overdue_flag.kind IS 'complaint, suggestion or praise.';
COMMENT ON COLUMN feedback_overdue_flag.status IS 'open or in_progress when last checked.';
COMMENT ON COLUMN feedback_overdue_flag.opened_at IS 'When the item was received.';
COMMENT ON COLUMN feedback_overdue_flag.due_at IS 'Response deadline that has passed.';
COMMENT ON COLUMN feedback_overdue_flag.flagged_on IS 'Date the job first flagged the item.';

CREATE PROCEDURE flag_overdue_feedback()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_complaint_days integer := ops_setting_value('complaint_response_days');
  v_other_days integer := ops_setting_value('feedback_response_days');
  v_overdue bigint;
  v_new bigint;
  v_changed bigint;
  v_cleared bigint;
BEGIN
  PERFORM job_progress(format('overdue feedback: step 1/2, unresolved items older than %s days (complaints) or %s days (others)',
                              v_complaint_days, v_other_days));
  WITH cur AS MATERIALIZED (
         SELECT f.feedback_id, f.customer_id, f.member_id, f.kind, f.status, f.opened_at,
                f.opened_at + make_interval(days => CASE WHEN f.kind = 'complaint' THEN v_complaint_days
                                                         ELSE v_other_days END) AS due_at
         FROM feedback f
         WHERE f.resolved_at IS NULL
           AND f.opened_at + make_interval(days => CASE WHEN f.kind = 'complaint' THEN v_complaint_days
                                                        ELSE v_other_days END) < now()),
       ins AS (
         INSERT INTO feedback_overdue_flag (feedback_id, customer_id, member_id, kind, status, opened_at, due_at)
         SELECT * FROM cur ON CONFLICT (feedback_id) DO NOTHING RETURNING 1),
       upd AS (
         UPDATE feedback_overdue_flag o
         SET customer_id = cur.customer_id, member_id = cur.member_id, kind = cur.kind, status = cur.status,
             opened_at = cur.opened_at, due_at = cur.due_at
         FROM cur
         WHERE o.feedback_id = cur.feedback_id
           AND (o.customer_id, o.member_id, o.kind, o.status, o.opened_at, o.due_at)
               IS DISTINCT FROM (cur.customer_id, cur.member_id, cur.kind, cur.status, cur.opened_at, cur.due_at)
         RETURNING 1),
       del AS (
         DELETE FROM feedback_overdue_flag o
         WHERE NOT EXISTS (SELECT 1 FROM cur WHERE cur.feedback_id = o.feedback_id) RETURNING 1)
  SELECT (SELECT count(*) FROM cur), (SELECT count(*) FROM ins), (SELECT count(*) FROM upd),
         (SELECT count(*) FROM del)
  INTO v_overdue, v_new, v_changed, v_cleared;
  PERFORM job_progress(format('overdue feedback: step 2/2, %s items overdue: %s newly flagged, %s flags changed, %s cleared',
                              v_overdue, v_new, v_changed, v_cleared),
                       v_new + v_changed + v_cleared);
END
$$;
COMMENT ON PROCEDURE flag_overdue_feedback() IS
'Daily job overdue_feedback: makes feedback_overdue_flag equal to the unresolved feedback items past their response deadline (ops_setting complaint_response_days / feedback_response_days); rows affected = inserted + updated + deleted flags.';
REVOKE ALL ON PROCEDURE flag_overdue_feedback() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Daily job: prune the logs
-- ---------------------------------------------------------------------------

CREATE PROCEDURE prune_job_log()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_days integer := ops_setting_value('job_log_keep_days');
  v_ours bigint;
  v_cron bigint := 0;
BEGIN
  DELETE FROM job_log l WHERE l.started_at < now() - make_interval(days => v_days);
  GET DIAGNOSTICS v_ours = ROW_COUNT;
  PERFORM job_progress(format('prune: %s job_log rows older than %s days deleted', v_ours, v_days), v_ours);
  -- pg_cron's own run log grows without bound: prune the runs of our jobs too
  IF EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'pg_cron')
     AND to_regclass('cron.job_run_details') IS NOT NULL THEN
    EXECUTE $q$DELETE FROM cron.job_run_details d
               WHERE d.end_time < now() - make_interval(days => $1)
                 AND d.jobid IN (SELECT c.jobid FROM cron.job c
                                 WHERE starts_with(c.jobname, 'sales_supervisor:'))$q$
      USING v_days;
    GET DIAGNOSTICS v_cron = ROW_COUNT;
    PERFORM job_progress(format('prune: %s cron.job_run_details rows of our jobs deleted', v_cron), v_cron);
  END IF;
END
$$;
COMMENT ON PROCEDURE prune_job_log() IS
'Daily job prune_job_log: deletes job_log rows that started more than ops_setting job_log_keep_days days ago and, when pg_cron is installed, the cron.job_run_details rows of the sales_supervisor:* jobs that ended before then.';
REVOKE ALL ON PROCEDURE prune_job_log() FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Grants and row-level security, as in 30_security.sql
-- ---------------------------------------------------------------------------

-- The calendar, its settings and its log are the administrator's (the
-- extension owner, who schedules the jobs): no group role is granted them,
-- and row-level security without policies keeps them closed should a grant
-- ever be added by mistake (the owner and superusers bypass it).
ALTER TABLE job_setting ENABLE ROW LEVEL SECURITY;
ALTER TABLE ops_setting ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE ops_time_zone ENABLE ROW LEVEL SECURITY;
ALTER TABLE job_month ENABLE ROW LEVEL SECURITY;
-- The flags are customer data: visible exactly when the customer is.
GRANT SELECT ON visit_overdue_flag, feedback_overdue_flag
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
ALTER TABLE visit_overdue_flag ENABLE ROW LEVEL SECURITY;
CREATE POLICY visit_overdue_flag_via_customer ON visit_overdue_flag
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));
ALTER TABLE feedback_overdue_flag ENABLE ROW LEVEL SECURITY;
CREATE POLICY feedback_overdue_flag_via_customer ON feedback_overdue_flag
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));
