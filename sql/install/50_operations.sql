-- Layer 5, operations: the calendar of scheduled jobs, their log, and the
-- daily jobs that need only the data model.
--
--   job_setting        one row per job: cron schedule, command, enabled
--   ops_setting        numeric knobs of the jobs (log retention, feedback deadlines)
--   job_log            one row per run: start, end, rows affected, status, error
--   execute_job(name)  runs a job's command in a sub-transaction and writes its
--                      log row whatever happens (never raises for the command)
--   run_job(name)      what pg_cron calls: execute_job, and on failure commit
--                      the log row and re-raise, so pg_cron records the failure too
--   schedule_jobs() / unschedule_jobs()   register the calendar in pg_cron
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
  description  text
);
COMMENT ON TABLE job_setting IS
'The scheduled calendar: one row per job with its cron schedule, the SQL command it runs and whether it is scheduled. schedule_jobs() registers the enabled jobs in pg_cron as ''sales_supervisor:<job_name>'' running CALL sales_supervisor.run_job(''<job_name>''); run schedule_jobs() again after changing a row. Only the extension owner may change it (the command runs as the user who scheduled the jobs).';
COMMENT ON COLUMN job_setting.job_name IS 'Job name (lower-case identifier); the pg_cron job is named sales_supervisor:<job_name>.';
COMMENT ON COLUMN job_setting.schedule IS 'pg_cron schedule in cron syntax (minute hour day-of-month month day-of-week, in the server''s time zone for pg_cron 1.4: GMT unless cron.timezone says otherwise), or @daily and friends.';
COMMENT ON COLUMN job_setting.command IS 'SQL the job runs (usually CALL sales_supervisor.<procedure>()); it runs inside one transaction, so it must not COMMIT.';
COMMENT ON COLUMN job_setting.enabled IS 'False: schedule_jobs() unschedules the job, and run_job() logs a run as skipped.';
COMMENT ON COLUMN job_setting.description IS 'What the job does.';

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
  ('refresh_reports', '0 2 1 * *', 'CALL sales_supervisor.refresh_reports()',
   'Monthly: REFRESH MATERIALIZED VIEW CONCURRENTLY of the reporting views that aggregate the sales lines.'),
  ('kpi_snapshot', '0 3 1 * *', 'CALL sales_supervisor.score_kpis_for_month()',
   'Monthly: score the KPIs of the month just ended (procedure of the sales-year layer).'),
  ('commission_run', '0 4 1 * *', 'CALL sales_supervisor.run_commission_for_month()',
   'Monthly: commission run for the month just ended (procedure of the sales-year layer).'),
  ('appraisal_close', '0 6 5 1 *', 'CALL sales_supervisor.close_due_appraisal_cycles()',
   'Yearly, 5 January: close the appraisal cycles that are due (procedure of the sales-year layer).');

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
                             description = NEW.description
    WHERE s.job_name = NEW.job_name;
  ELSE
    UPDATE ops_setting s SET value = NEW.value, description = NEW.description WHERE s.name = NEW.name;
  END IF;
  RETURN CASE WHEN FOUND THEN NULL ELSE NEW END;
END
$$;
COMMENT ON FUNCTION settings_restore_merge() IS
'Trigger on job_setting and ops_setting: while pg_restore runs, a dumped row whose key already exists (a default of CREATE EXTENSION) updates that row instead of failing.';
CREATE TRIGGER job_setting_restore_merge BEFORE INSERT ON job_setting
  FOR EACH ROW EXECUTE FUNCTION settings_restore_merge();
CREATE TRIGGER ops_setting_restore_merge BEFORE INSERT ON ops_setting
  FOR EACH ROW EXECUTE FUNCTION settings_restore_merge();

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
COMMENT ON COLUMN job_log.status IS 'success, failure or skipped (job disabled).';
COMMENT ON COLUMN job_log.sqlstate IS 'SQLSTATE of the error of a failed run.';
COMMENT ON COLUMN job_log.error IS 'Error message of a failed run; NULL otherwise.';
COMMENT ON COLUMN job_log.detail IS 'Progress lines of a successful run (time and message, one per line), or the error''s DETAIL, HINT and CONTEXT of a failed one.';
COMMENT ON COLUMN job_log.run_by IS 'Session user that ran the job (the user pg_cron runs it as).';

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

CREATE FUNCTION execute_job(job_name text)
RETURNS job_log
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  s job_setting;
  r job_log;
  v_rows bigint;
  v_appname text := current_setting('application_name');
  v_state text;
  v_msg text;
  v_detail text;
  v_hint text;
  v_context text;
BEGIN
  IF execute_job.job_name IS NULL THEN
    RAISE EXCEPTION 'job name must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  r.job_name := execute_job.job_name;
  r.started_at := clock_timestamp();
  SELECT * INTO s FROM job_setting j WHERE j.job_name = execute_job.job_name;
  IF NOT FOUND THEN
    r.status := 'failure';
    r.sqlstate := '22023';
    r.error := format('job "%s" is not defined', execute_job.job_name);
    r.detail := 'HINT: The jobs are the rows of sales_supervisor.job_setting.';
  ELSIF NOT s.enabled THEN
    r.status := 'skipped';
    r.detail := 'the job is disabled in job_setting';
  ELSE
    r.command := s.command;
    PERFORM set_config('sales_supervisor_job.detail', '', true);
    PERFORM set_config('sales_supervisor_job.rows', '', true);
    BEGIN
      EXECUTE s.command;
      GET DIAGNOSTICS v_rows = ROW_COUNT;
      r.rows_affected := coalesce(nullif(current_setting('sales_supervisor_job.rows', true), '')::bigint, v_rows);
      r.detail := nullif(current_setting('sales_supervisor_job.detail', true), '');
      r.status := 'success';
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_msg = MESSAGE_TEXT,
                              v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT,
                              v_context = PG_EXCEPTION_CONTEXT;
      r.status := 'failure';
      r.sqlstate := v_state;
      r.error := v_msg;
      r.detail := nullif(concat_ws(E'\n', 'DETAIL: ' || nullif(v_detail, ''), 'HINT: ' || nullif(v_hint, ''),
                                   'CONTEXT: ' || nullif(v_context, '')), '');
    END;
    PERFORM set_config('application_name', v_appname, true);
  END IF;
  r.finished_at := clock_timestamp();
  INSERT INTO job_log (job_name, command, started_at, finished_at, rows_affected, status, sqlstate, error, detail)
  VALUES (r.job_name, r.command, r.started_at, r.finished_at, r.rows_affected, r.status, r.sqlstate, r.error, r.detail)
  RETURNING * INTO r;
  RETURN r;
END
$$;
COMMENT ON FUNCTION execute_job(text) IS
'Runs the command of a job of job_setting in a subtransaction and writes its job_log row whatever happens: success with rows affected and progress lines, failure with SQLSTATE, message, detail, hint and context (the command''s changes are rolled back), skipped for a disabled job, failure for an unknown job name. Returns the log row; never raises for the command''s error. Usable inside a transaction (tests, manual runs); pg_cron calls run_job.';
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

-- run_job has no SET search_path clause on purpose: PostgreSQL refuses
-- COMMIT in a procedure that has one.  Every name in it is therefore
-- schema-qualified, and it casts nothing.
CREATE PROCEDURE run_job(job_name text)
LANGUAGE plpgsql
AS $$
DECLARE
  r sales_supervisor.job_log;
BEGIN
  r := sales_supervisor.execute_job(job_name);
  IF r.status OPERATOR(pg_catalog.<>) 'failure' THEN
    RETURN;
  END IF;
  -- Can this call commit?  Only a CALL at top level (pg_cron, psql in
  -- autocommit) can.  Asked of the server, not found out by trying a COMMIT:
  -- both refusals of a COMMIT share SQLSTATE 2D000 and differ only in their
  -- message, which lc_messages translates.
  IF sales_supervisor.transaction_control_allowed() THEN
    COMMIT;                              -- the log row is kept ...
    RAISE EXCEPTION 'job "%" failed: %', r.job_name, r.error   -- ... and pg_cron sees the failure
      USING ERRCODE = r.sqlstate,
            DETAIL = pg_catalog.concat('Logged as sales_supervisor.job_log log_id ', r.log_id, '.');
  END IF;
  RAISE WARNING 'job "%" failed: % (SQLSTATE %)', r.job_name, r.error, r.sqlstate
    USING DETAIL = pg_catalog.concat('Logged as sales_supervisor.job_log log_id ', r.log_id,
                                     '; not re-raised because the call is inside a transaction, whose rollback would lose the log row.');
END
$$;
COMMENT ON PROCEDURE run_job(text) IS
'Entry point of the pg_cron jobs: runs the job through execute_job (which logs it). On failure, when called at top level (as pg_cron and psql in autocommit do), it commits the log row and re-raises the error with its SQLSTATE, so pg_cron''s job_run_details shows the failure too; inside a transaction block it only warns, keeping the log row in the caller''s transaction.';
REVOKE ALL ON PROCEDURE run_job(text) FROM PUBLIC;

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
BEGIN
  PERFORM require_pg_cron();
  FOR s IN SELECT j.job_name, j.schedule, j.enabled FROM job_setting j ORDER BY j.job_name LOOP
    job_name := s.job_name;
    schedule := s.schedule;
    IF s.enabled THEN
      -- cron.schedule(name, ...) updates the job of that name and user if it exists
      cron_jobid := cron.schedule('sales_supervisor:' || s.job_name, s.schedule,
                                  format('CALL sales_supervisor.run_job(%L)', s.job_name));
      action := 'scheduled';
      RETURN NEXT;
    ELSE
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
'Registers the calendar of job_setting in pg_cron: each enabled job as ''sales_supervisor:<job_name>'' with its schedule, running CALL sales_supervisor.run_job(''<job_name>'') as the current user in this database; unschedules disabled jobs and jobs whose setting was deleted. Idempotent: call it again after changing job_setting. Error 55000 with a hint when pg_cron is not installed. Returns what it did.';
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
