-- Layer 5, operations: the sales-year steps as calendar jobs.
--
-- The default job_setting rows (50_operations.sql) call these four
-- procedures; kpi_snapshot and commission_run are the first two steps of the
-- monthly chain (refresh_reports, 55_reports.sql, the third).  Dates are the
-- company's (company_today(), job_month_param()), not the session's.  Each decides from the calendar which cycles or periods are due,
-- calls the sales-year step (41_kpis.sql, 42_commission.sql, 43_appraisal.sql,
-- 33_assignments.sql) for each, and reports progress with job_progress().  They never COMMIT:
-- run_job executes them in a subtransaction, so a failure rolls the whole run
-- back and is logged.  They run as the job's owner (pg_cron runs a job as the
-- user who scheduled it), whose rights the steps' role checks apply to.

CREATE PROCEDURE score_kpis_for_month()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  c record;
  n bigint;
  done integer := 0;
BEGIN
  -- the KPI snapshot: rescore every appraisal cycle that is not closed yet
  FOR c IN SELECT cycle_id, fiscal_year FROM appraisal_cycle
           WHERE state <> 'closed' ORDER BY fiscal_year, cycle_id LOOP
    SELECT count(*) INTO n FROM score_kpis(c.cycle_id);
    done := done + 1;
    PERFORM job_progress(format('kpi snapshot: cycle %s (%s): %s KPI results', c.cycle_id,
                                c.fiscal_year, n), n);
  END LOOP;
  IF done = 0 THEN
    PERFORM job_progress('kpi snapshot: no appraisal cycle is open', 0);
  END IF;
END
$$;
COMMENT ON PROCEDURE score_kpis_for_month() IS
'Job kpi_snapshot (monthly chain, step 1): score_kpis() for every appraisal cycle that is not closed, so kpi_result holds the year to date as the month closes; rows affected = KPI results written.';

CREATE PROCEDURE run_commission_for_month()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  p record;
  n bigint;
  done integer := 0;
  -- as a step of the monthly chain: the months through the one it processes
  v_through date := coalesce((job_month_param() + interval '1 month - 1 day')::date, company_today() - 1);
BEGIN
  -- every month that has ended (on the company's calendar) and is not locked
  -- yet, oldest first, so a missed month is caught up in order before the
  -- next one is paid
  FOR p IN SELECT fp.period_id, fp.start_on FROM fiscal_period fp
           WHERE fp.kind = 'month' AND fp.end_on <= v_through
             AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = fp.period_id)
             -- (a month ending within dates a run already credited is not run:
             -- its lines went into that run)
             AND fp.end_on > coalesce((SELECT max(l.credited_through) FROM commission_period_lock l), '-infinity')
           ORDER BY fp.start_on LOOP
    SELECT count(*) INTO n FROM run_commission(p.period_id);
    done := done + 1;
    PERFORM job_progress(format('commission run: %s (period %s): %s reps paid',
                                to_char(p.start_on, 'YYYY-MM'), p.period_id, n), n);
  END LOOP;
  IF done = 0 THEN
    PERFORM job_progress('commission run: no ended month is waiting', 0);
  END IF;
END
$$;
COMMENT ON PROCEDURE run_commission_for_month() IS
'Job commission_run (monthly chain, step 2): run_commission() for every month period that has ended (through the month the chain processes, job_month_param(), or else before today on the company''s calendar) that is not locked and ends after the last credited date, oldest first (catches up missed months); each run credits, pays and locks its period; rows affected = payout lines.';

CREATE PROCEDURE close_due_appraisal_cycles()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  c record;
  n bigint;
  done integer := 0;
BEGIN
  -- a cycle is due once its fiscal year is over and its reviews have started;
  -- a cycle still 'open' (no reviews yet) is reported, not forced
  FOR c IN SELECT cycle_id, fiscal_year, state FROM appraisal_cycle
           WHERE state <> 'closed' AND fiscal_year < extract(year FROM company_today())
           ORDER BY fiscal_year, cycle_id LOOP
    IF c.state = 'open' THEN
      PERFORM job_progress(format('appraisal close: cycle %s (%s) skipped: reviews have not started',
                                  c.cycle_id, c.fiscal_year), 0);
      CONTINUE;
    END IF;
    SELECT count(*) INTO n FROM close_appraisal_cycle(c.cycle_id);
    done := done + 1;
    PERFORM job_progress(format('appraisal close: cycle %s (%s) closed, %s results',
                                c.cycle_id, c.fiscal_year, n), n);
  END LOOP;
  IF done = 0 THEN
    PERFORM job_progress('appraisal close: no cycle is due', 0);
  END IF;
END
$$;
COMMENT ON PROCEDURE close_due_appraisal_cycles() IS
'Job appraisal_close (yearly, 5 January): close_appraisal_cycle() for every cycle of an ended fiscal year whose reviews have started; cycles still open are reported and skipped; rows affected = results.';

-- Daily: the future-dated transfers whose day has come (member_assignment)
-- show in member.team_id and member.level.
CREATE PROCEDURE apply_assignments_for_day()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  n integer := apply_due_assignments();
BEGIN
  PERFORM job_progress(format('assignments due: %s members now in the team or level in force today', n), n);
END
$$;
COMMENT ON PROCEDURE apply_assignments_for_day() IS
'Job assignments_due (daily): apply_due_assignments(), so member.team_id and member.level are the assignment in force today; rows affected = members changed.';
REVOKE ALL ON PROCEDURE apply_assignments_for_day() FROM PUBLIC;

REVOKE ALL ON PROCEDURE score_kpis_for_month() FROM PUBLIC;
REVOKE ALL ON PROCEDURE run_commission_for_month() FROM PUBLIC;
REVOKE ALL ON PROCEDURE close_due_appraisal_cycles() FROM PUBLIC;
