/*-------------------------------------------------------------------------
 *
 * job_timeout.c
 *	  job_timeout_arm(milliseconds integer) -> void
 *	  job_timeout_disarm() -> void
 *
 * The statement timeout of a scheduled job (job_setting.statement_timeout).
 * SET statement_timeout inside a running statement does not arm anything:
 * the server arms the timer when a client message starts a statement, and a
 * job's command runs inside the CALL that pg_cron sent.  pg_cron cannot send
 * "SET ...; CALL ..." either: two statements in one message are an implicit
 * transaction block, in which run_job could not COMMIT between attempts.
 *
 * So execute_job arms the server's own STATEMENT_TIMEOUT timer for the
 * command and disarms it after: when it fires, the command is cancelled
 * exactly like a statement that ran over statement_timeout (SQLSTATE 57014,
 * "canceling statement due to statement timeout"), which execute_job traps
 * (query_canceled), logs and, for run_job, retries.  Disarming also cancels
 * a statement_timeout the calling session had armed for the CALL: a job's own
 * limit replaces the session's while the job runs (documented).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/timeout.h"

PG_FUNCTION_INFO_V1(job_timeout_arm);
PG_FUNCTION_INFO_V1(job_timeout_disarm);

/* job_timeout_arm(ms): cancel the running statement after ms milliseconds */
Datum
job_timeout_arm(PG_FUNCTION_ARGS)
{
	int32		ms;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("timeout must not be null")));
	ms = PG_GETARG_INT32(0);
	if (ms <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must be positive, not %d ms", ms)));
	enable_timeout_after(STATEMENT_TIMEOUT, ms);
	PG_RETURN_VOID();
}

/* job_timeout_disarm(): stop the timer job_timeout_arm armed (if pending) */
Datum
job_timeout_disarm(PG_FUNCTION_ARGS)
{
	if (get_timeout_active(STATEMENT_TIMEOUT))
		disable_timeout(STATEMENT_TIMEOUT, false);
	PG_RETURN_VOID();
}
