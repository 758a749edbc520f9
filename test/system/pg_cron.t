#!/usr/bin/env bash
# The scheduled calendar on a real pg_cron (the throw-away cluster preloads
# pg_cron with cron.database_name = sales_supervisor_test, where the extension
# is installed): schedule_jobs() registers the jobs in cron.job and is
# idempotent; two probe jobs scheduled every minute are run BY pg_cron (pg_cron
# 1.4 has no seconds schedules, so the wait is up to ~70 s): the succeeding one
# leaves a success row in job_log with its rows affected, the failing one a
# failure row with SQLSTATE and error text AND a failed run in
# cron.job_run_details (run_job commits the log row, then re-raises).
# Issue 17, in the same minute: a probe retried once (two attempts logged,
# then pg_cron's run fails), one cancelled by its statement timeout (57014),
# one skipped because a hand-started run of it is still going (single-flight),
# and a psql client LISTENing on sales_supervisor_job receives their alerts;
# with the company time zone America/Sao_Paulo the local_schedules job
# re-registers the timed jobs 3 h later in UTC, and back.
# Disabled and deleted settings are unscheduled; unschedule_jobs() removes
# everything; without pg_cron, schedule_jobs() fails with 55000 and a hint.
# Top level or not is decided without reading an error message (issue 12.7):
# transaction_control_allowed() answers in each context, and a failing job
# CALLed at top level under a German lc_messages (the locale scripts/deps.sh
# generates) still commits its log row and fails, as pg_cron's run would.
# Runs inside the throw-away cluster (PGHOST etc. set); prints TAP.
set -u
DB=sales_supervisor_test
N="ss_nocron_$$"
n=0
cleanup() {
  psql -X -q -d "$DB" >/dev/null 2>&1 <<'SQL'
SELECT sales_supervisor.unschedule_jobs();
UPDATE sales_supervisor.ops_time_zone SET time_zone = 'UTC';
DELETE FROM sales_supervisor.job_setting WHERE job_name LIKE 'tap\_%';
DELETE FROM sales_supervisor.job_log WHERE job_name LIKE 'tap\_%';
DELETE FROM sales_supervisor.visit_overdue_flag WHERE customer_id = 990001;
DELETE FROM sales_supervisor.customer WHERE customer_id = 990001;
DELETE FROM sales_supervisor.member WHERE member_id = 990001;
DELETE FROM sales_supervisor.team WHERE team_id = 990001;
DELETE FROM sales_supervisor.visit_cadence WHERE tier = 'TAP';
SQL
  dropdb --if-exists "$N" >/dev/null 2>&1
}
trap cleanup EXIT
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
q() { psql -X -q -v ON_ERROR_STOP=1 -tA -d "$DB" -c "$1"; }
echo "1..30"

q "CREATE EXTENSION IF NOT EXISTS pg_cron" >/dev/null
[ "$(q "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'")" != "" ]
ok $? "pg_cron is installed in $DB ($(q "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'"))"

out=$(q "SELECT count(*) FILTER (WHERE action = 'scheduled') FROM sales_supervisor.schedule_jobs()")
[ "$out" = 11 ]
ok $? "schedule_jobs() schedules the 11 standard jobs ($out)"

expect="appraisal_close|0 6 5 1 *|CALL sales_supervisor.run_job('appraisal_close')
assignments_due|5 0 * * *|CALL sales_supervisor.run_job('assignments_due')
commission_run|0 3 1 * *|CALL sales_supervisor.run_job('commission_run')
customer_risk|30 1 * * *|CALL sales_supervisor.run_job('customer_risk')
kpi_snapshot|0 2 1 * *|CALL sales_supervisor.run_job('kpi_snapshot')
local_schedules|7 * * * *|CALL sales_supervisor.run_job('local_schedules')
overdue_feedback|20 1 * * *|CALL sales_supervisor.run_job('overdue_feedback')
overdue_visits|15 1 * * *|CALL sales_supervisor.run_job('overdue_visits')
prune_job_log|45 1 * * *|CALL sales_supervisor.run_job('prune_job_log')
refresh_reports|0 4 1 * *|CALL sales_supervisor.run_job('refresh_reports')
risk_pace_team|30 1 * * *|CALL sales_supervisor.run_job('risk_pace_team')"
jobs_sql="SELECT substr(jobname, 18) || '|' || schedule || '|' || command FROM cron.job
          WHERE jobname LIKE 'sales\_supervisor:%' AND database = '$DB' AND username = current_user ORDER BY jobname"
got=$(q "$jobs_sql")
[ "$got" = "$expect" ]
ok $? "cron.job holds the jobs named sales_supervisor:<job>, with their schedules (company time zone UTC: as stated), calling run_job"
[ "$got" = "$expect" ] || echo "$got" | sed 's/^/#   /'

ids1=$(q "SELECT string_agg(jobid::text, ',' ORDER BY jobid) FROM cron.job WHERE jobname LIKE 'sales\_supervisor:%'")
q "SELECT count(*) FROM sales_supervisor.schedule_jobs()" >/dev/null
ids2=$(q "SELECT string_agg(jobid::text, ',' ORDER BY jobid) FROM cron.job WHERE jobname LIKE 'sales\_supervisor:%'")
[ -n "$ids1" ] && [ "$ids1" = "$ids2" ]
ok $? "schedule_jobs() again is idempotent: the same cron jobs ($ids2)"

# one overdue customer for the succeeding probe to flag
q "INSERT INTO sales_supervisor.visit_cadence (tier, every_days) VALUES ('TAP', 30);
   INSERT INTO sales_supervisor.team (team_id, name) VALUES (990001, 'tap team');
   INSERT INTO sales_supervisor.member (member_id, full_name, team_id, hire_date) VALUES (990001, 'Tap Rep', 990001, '2020-01-01');
   INSERT INTO sales_supervisor.customer (customer_id, name, tier, team_id, owner_id, since)
   VALUES (990001, 'Tap Customer', 'TAP', 990001, 990001, CURRENT_DATE - 100)" >/dev/null
expected_rows=$(q "SELECT count(*) FROM sales_supervisor.overdue_visit")

# probe jobs every minute: one real, one forced failure, and for issue 17 one
# retried (retries 1, back-off 1 s), one over its statement timeout (1 s) and
# one still running in another session when pg_cron starts it (single-flight)
q "INSERT INTO sales_supervisor.job_setting (job_name, schedule, command, retries, retry_backoff, statement_timeout) VALUES
     ('tap_probe_ok', '* * * * *', 'CALL sales_supervisor.flag_overdue_visits()', 0, '0', NULL),
     ('tap_probe_fail', '* * * * *', 'SELECT 1 / 0', 0, '0', NULL),
     ('tap_probe_retry', '* * * * *', 'SELECT 1 / 0', 1, '1 second', NULL),
     ('tap_probe_timeout', '* * * * *', 'SELECT pg_sleep(30)', 0, '0', '1 second'),
     ('tap_probe_busy', '* * * * *', 'SELECT pg_sleep(100)', 0, '0', NULL)" >/dev/null
# a client listening for the alerts of the runs (a psql session fed by a FIFO)
FIFO=/tmp/ss_pg_cron_$$.fifo
rm -f "$FIFO"; mkfifo "$FIFO"
psql -X -q -At -d "$DB" <"$FIFO" >"$FIFO.out" 2>&1 &
LISTENER=$!
exec 3>"$FIFO"
echo "LISTEN sales_supervisor_job; SELECT 'listening';" >&3
# the busy probe's own run, started by hand before pg_cron's: it sleeps 100 s
psql -X -q -d "$DB" -c "CALL sales_supervisor.run_job('tap_probe_busy')" >/dev/null 2>&1 &
BUSY=$!
for _ in $(seq 50); do
  busy_pid=$(q "SELECT pid FROM pg_stat_activity WHERE query = 'CALL sales_supervisor.run_job(''tap_probe_busy'')' AND state = 'active'")
  [ -n "$busy_pid" ] && break
  sleep 0.1
done
q "SELECT count(*) FROM sales_supervisor.schedule_jobs()" >/dev/null
[ "$(q "SELECT count(*) FROM cron.job WHERE jobname LIKE 'sales\_supervisor:tap\_probe\_%' AND schedule = '* * * * *'")" = 5 ]
ok $? "the five probe jobs are scheduled every minute"

start=$(date +%s)
while :; do
  done_n=$(q "SELECT count(DISTINCT job_name) FROM sales_supervisor.job_log WHERE job_name LIKE 'tap\_probe\_%'")
  cron_n=$(q "SELECT count(DISTINCT jobid) FROM cron.job_run_details d JOIN cron.job j USING (jobid)
              WHERE j.jobname LIKE 'sales\_supervisor:tap\_probe\_%' AND d.status IN ('succeeded', 'failed')")
  [ "$done_n" = 5 ] && [ "$cron_n" -ge 5 ] && break
  [ $(( $(date +%s) - start )) -ge 80 ] && break
  sleep 2
done
waited=$(( $(date +%s) - start ))
[ "$done_n" = 5 ] && [ "$cron_n" -ge 5 ]
ok $? "pg_cron ran the probe jobs (after ${waited}s)"
if [ "$done_n" != 5 ] || [ "$cron_n" -lt 5 ]; then
  q "SELECT jobid, status, return_message FROM cron.job_run_details" | sed 's/^/#   /'
fi
# the probes have run: no more of them (their cron run details stay, found by
# jobid), and the hand-started busy run is cancelled
jobid() { q "SELECT jobid FROM cron.job WHERE jobname = 'sales_supervisor:$1'"; }
RETRY_ID=$(jobid tap_probe_retry); TIMEOUT_ID=$(jobid tap_probe_timeout); BUSY_ID=$(jobid tap_probe_busy)
q "DELETE FROM sales_supervisor.job_setting WHERE job_name IN ('tap_probe_retry', 'tap_probe_timeout', 'tap_probe_busy');
   SELECT count(*) FROM sales_supervisor.schedule_jobs();
   SELECT pg_cancel_backend($busy_pid)" >/dev/null
wait $BUSY

row=$(q "SELECT string_agg(attempt || ':' || status || ':' || sqlstate, ',' ORDER BY log_id) FROM
           (SELECT * FROM sales_supervisor.job_log WHERE job_name = 'tap_probe_retry' ORDER BY log_id LIMIT 2) l")
crow=$(q "SELECT d.status || '|' || d.return_message FROM cron.job_run_details d
          WHERE d.jobid = $RETRY_ID ORDER BY d.runid LIMIT 1")
[ "$row" = "1:failure:22012,2:failure:22012" ] && case "$crow" in 'failed|ERROR:  job "tap_probe_retry" failed: division by zero'*) true;; *) false;; esac
ok $? "retries under pg_cron: two attempts logged, then pg_cron records the failure ($row; $crow)"

row=$(q "SELECT status || ':' || sqlstate || ':' || (finished_at - started_at < interval '5 s')
         FROM sales_supervisor.job_log WHERE job_name = 'tap_probe_timeout' ORDER BY log_id LIMIT 1")
crow=$(q "SELECT d.status || '|' || d.return_message FROM cron.job_run_details d
          WHERE d.jobid = $TIMEOUT_ID ORDER BY d.runid LIMIT 1")
[ "$row" = "failure:57014:true" ] && case "$crow" in 'failed|ERROR:  job "tap_probe_timeout" failed: canceling statement due to statement timeout'*) true;; *) false;; esac
ok $? "statement timeout under pg_cron: the 30 s command is cancelled after 1 s, 57014, and pg_cron records it ($row; $crow)"

row=$(q "SELECT status || ':' || (detail LIKE 'single-flight: a run of tap_probe_busy is still in progress (process $busy_pid,%') || ':' || run_by
         FROM sales_supervisor.job_log WHERE job_name = 'tap_probe_busy' ORDER BY log_id LIMIT 1")
crow=$(q "SELECT d.status FROM cron.job_run_details d
          WHERE d.jobid = $BUSY_ID ORDER BY d.runid LIMIT 1")
[ "$row" = "skipped:true:$(q "SELECT current_user")" ] && [ "$crow" = succeeded ]
ok $? "single-flight under pg_cron: its run while the job runs elsewhere is skipped, naming that process ($row; cron: $crow)"

echo "SELECT 'done';" >&3
exec 3>&-
wait $LISTENER
got=$(sed -n 's/^Asynchronous notification "sales_supervisor_job" with payload "\(.*\)" received from server process with PID [0-9]*\.$/\1/p' "$FIFO.out" |
      python3 -c '
import json, sys
seen = set()
for line in sys.stdin:
    if line.strip():
        p = json.loads(line)
        seen.add("%s %s %s %s" % (p["job"], p["status"], p["sqlstate"], p["attempt"]))
print(" ".join(sorted(seen)))')
rm -f "$FIFO" "$FIFO.out"
want="tap_probe_busy skipped None 1 tap_probe_fail failure 22012 1 tap_probe_retry failure 22012 1 tap_probe_retry failure 22012 2 tap_probe_timeout failure 57014 1"
case " $got " in *" tap_probe_ok "*) st=1;; *) st=0;; esac
for w in "tap_probe_busy skipped None 1" "tap_probe_fail failure 22012 1" "tap_probe_retry failure 22012 2" "tap_probe_timeout failure 57014 1"; do
  case " $got " in *" $w "*) ;; *) st=1;; esac
done
ok $st "a listening client received the alerts of pg_cron's failed and skipped runs, none for a success ($got)"

row=$(q "SELECT status || '|' || rows_affected || '|' || run_by || '|' || (detail LIKE '%step 2/2, ' || $expected_rows || ' customers overdue%')
         FROM sales_supervisor.job_log WHERE job_name = 'tap_probe_ok' ORDER BY log_id LIMIT 1")
[ "$row" = "success|$expected_rows|$(q "SELECT current_user")|true" ]
ok $? "job_log: the succeeding run is logged as success with its rows affected ($expected_rows) and progress lines ($row)"

[ "$(q "SELECT count(*) FROM sales_supervisor.visit_overdue_flag WHERE customer_id = 990001")" = 1 ]
ok $? "the job really flagged the overdue customer"

row=$(q "SELECT status || '|' || sqlstate || '|' || error || '|' || (rows_affected IS NULL) || '|' || (finished_at >= started_at)
         FROM sales_supervisor.job_log WHERE job_name = 'tap_probe_fail' ORDER BY log_id LIMIT 1")
[ "$row" = "failure|22012|division by zero|true|true" ]
ok $? "job_log: the forced failure is logged as failure with SQLSTATE and error text ($row)"

row=$(q "SELECT d.status || '|' || d.return_message FROM cron.job_run_details d JOIN cron.job j USING (jobid)
         WHERE j.jobname = 'sales_supervisor:tap_probe_fail' ORDER BY d.runid LIMIT 1")
case "$row" in
  'failed|ERROR:  job "tap_probe_fail" failed: division by zero'*) st=0 ;;
  *) st=1 ;;
esac
ok $st "pg_cron's own log shows the failure too ($row)"

row=$(q "SELECT d.status FROM cron.job_run_details d JOIN cron.job j USING (jobid)
         WHERE j.jobname = 'sales_supervisor:tap_probe_ok' ORDER BY d.runid LIMIT 1")
[ "$row" = succeeded ]
ok $? "pg_cron's own log shows the success ($row)"

q "UPDATE sales_supervisor.job_setting SET enabled = false WHERE job_name = 'tap_probe_ok'" >/dev/null
out=$(q "SELECT job_name || ':' || action FROM sales_supervisor.schedule_jobs() WHERE action LIKE 'unscheduled%'")
[ "$out" = "tap_probe_ok:unscheduled (disabled)" ] \
  && [ "$(q "SELECT count(*) FROM cron.job WHERE jobname = 'sales_supervisor:tap_probe_ok'")" = 0 ]
ok $? "a disabled job is unscheduled by schedule_jobs() ($out)"

q "DELETE FROM sales_supervisor.job_setting WHERE job_name = 'tap_probe_fail'" >/dev/null
out=$(q "SELECT job_name || ':' || action FROM sales_supervisor.schedule_jobs() WHERE action LIKE 'unscheduled%'")
[ "$out" = "tap_probe_fail:unscheduled (no setting)" ]
ok $? "a job whose setting was deleted is unscheduled by schedule_jobs() ($out)"

# ---- local time (issue 17.4): schedules stated in the company's zone, registered in UTC
# America/Sao_Paulo is UTC-3 all year (no daylight saving since 2019): every
# time of day moves 3 hours later in UTC; local_schedules, run as pg_cron runs
# it, re-registers the 10 jobs with a time of day (not itself: every hour)
q "UPDATE sales_supervisor.ops_time_zone SET time_zone = 'America/Sao_Paulo'" >/dev/null
psql -X -q -d "$DB" -c "CALL sales_supervisor.run_job('local_schedules')" >/dev/null 2>&1
expect_sp="appraisal_close|0 9 5 1 *
assignments_due|5 3 * * *
commission_run|0 6 1 * *
customer_risk|30 4 * * *
kpi_snapshot|0 5 1 * *
local_schedules|7 * * * *
overdue_feedback|20 4 * * *
overdue_visits|15 4 * * *
prune_job_log|45 4 * * *
refresh_reports|0 7 1 * *
risk_pace_team|30 4 * * *"
got=$(q "SELECT substr(jobname, 18) || '|' || schedule FROM cron.job WHERE jobname LIKE 'sales\_supervisor:%'
         AND jobname NOT LIKE 'sales\_supervisor:tap%' ORDER BY jobname")
row=$(q "SELECT status || '|' || rows_affected FROM sales_supervisor.job_log WHERE job_name = 'local_schedules' ORDER BY log_id DESC LIMIT 1")
[ "$got" = "$expect_sp" ] && [ "$row" = "success|10" ]
ok $? "company time zone America/Sao_Paulo: the local_schedules job re-registers the 10 timed jobs 3 h later in UTC ($row)"
[ "$got" = "$expect_sp" ] || echo "$got" | sed 's/^/#   /'
q "UPDATE sales_supervisor.ops_time_zone SET time_zone = 'UTC'" >/dev/null
psql -X -q -d "$DB" -c "CALL sales_supervisor.run_job('local_schedules')" >/dev/null 2>&1
got=$(q "SELECT substr(jobname, 18) || '|' || schedule || '|' || command FROM cron.job WHERE jobname LIKE 'sales\_supervisor:%'
         AND jobname NOT LIKE 'sales\_supervisor:tap%' ORDER BY jobname")
[ "$got" = "$expect" ] && [ "$(q "SELECT count(*) FROM sales_supervisor.schedule_jobs() WHERE action <> 'unchanged'")" = 0 ]
ok $? "back to UTC: re-registered as stated, and nothing changes when the offset has not"

out=$(q "SELECT count(*) FROM sales_supervisor.unschedule_jobs()")
[ "$out" = 11 ] && [ "$(q "SELECT count(*) FROM cron.job WHERE jobname LIKE 'sales\_supervisor:%'")" = 0 ]
ok $? "unschedule_jobs() removes the 11 jobs from cron.job ($out)"

[ "$(q "SELECT count(*) FROM sales_supervisor.unschedule_jobs()")" = 0 ]
ok $? "unschedule_jobs() again removes nothing"

createdb "$N"
psql -X -q -d "$N" -c "CREATE EXTENSION sales_supervisor" >/dev/null
err=$(psql -X -q -d "$N" -v VERBOSITY=verbose -c "SELECT sales_supervisor.schedule_jobs()" 2>&1)
echo "$err" | grep -q '55000: pg_cron is not installed in database "'"$N"'"' \
  && echo "$err" | grep -q "HINT:  Set shared_preload_libraries = 'pg_cron' and cron.database_name = '$N'"
ok $? "without pg_cron, schedule_jobs() fails with SQLSTATE 55000 and a hint"
echo "$err" | sed 's/^/#   /' | head -4

# ---- top level decided without message text (issue 12.7)
# what transaction_control_allowed() says in each context; each -c is its own
# statement (one -c with several statements would be an implicit transaction block)
tc() { psql -X -q -v ON_ERROR_STOP=1 -tA -d "$DB" "$@" -c "SELECT current_setting('ss_tap.tc')" | tail -n 1; }
probe='sales_supervisor.transaction_control_allowed()::text'
got=$(tc -c "DO \$\$BEGIN PERFORM set_config('ss_tap.tc', $probe, false); END\$\$")
[ "$got" = true ]
ok $? "transaction_control_allowed(): true in a DO block at top level, which may COMMIT ($got)"
got=$(tc -c "BEGIN" -c "DO \$\$BEGIN PERFORM set_config('ss_tap.tc', $probe, false); END\$\$" -c "COMMIT")
[ "$got" = false ]
ok $? "transaction_control_allowed(): false inside a transaction block ($got)"
got=$(tc -c "DO \$\$BEGIN BEGIN PERFORM set_config('ss_tap.tc', $probe, false); EXCEPTION WHEN OTHERS THEN NULL; END; END\$\$")
[ "$got" = false ]
ok $? "transaction_control_allowed(): false inside an exception block (a subtransaction) ($got)"
got=$(tc -c "SELECT set_config('ss_tap.tc', $probe, false)")
[ "$got" = false ]
ok $? "transaction_control_allowed(): false in a plain SELECT (a function context) ($got)"
src=$(q "SELECT prosrc ~* 'SQLERRM|MESSAGE_TEXT|EXCEPTION\\s+WHEN' FROM pg_proc WHERE oid = 'sales_supervisor.run_job(text)'::regprocedure")
[ "$src" = f ]
ok $? "run_job reads no error message and traps no error to decide ($src)"

# a failing job at top level under a non-English lc_messages
LOCALE=de_DE.UTF-8
q "INSERT INTO sales_supervisor.job_setting (job_name, schedule, command, enabled)
   VALUES ('tap_locale_fail', '* * * * *', 'SELECT 1 / 0', true)" >/dev/null
logged() { q "SELECT count(*) FROM sales_supervisor.job_log WHERE job_name = 'tap_locale_fail' AND status = 'failure' AND sqlstate = '22012'"; }
if ! locale -a 2>/dev/null | grep -qix 'de_DE.utf8'; then
  for t in 1 2 3; do n=$((n + 1)); echo "ok $n # SKIP locale $LOCALE is not installed (scripts/deps.sh generates it)"; done
else
  err=$(psql -X -q -d "$DB" -v VERBOSITY=verbose -c "SET lc_messages = '$LOCALE'" \
          -c "CALL sales_supervisor.run_job('tap_locale_fail')" 2>&1)
  st=$?
  [ $st -ne 0 ] && echo "$err" | grep -q '^FEHLER:  22012: job "tap_locale_fail" failed: Division durch Null'
  ok $? "lc_messages = $LOCALE: a failing job CALLed at top level raises its error (exit $st), translated"
  echo "$err" | sed 's/^/#   /' | head -2
  [ "$(logged)" = 1 ] && [ "$(q "SELECT error FROM sales_supervisor.job_log WHERE job_name = 'tap_locale_fail'")" = 'Division durch Null' ]
  ok $? "... and its log row is committed (the error in German)"
  err=$(psql -X -q -d "$DB" -v VERBOSITY=verbose -c "SET lc_messages = '$LOCALE'" -c "BEGIN" \
          -c "CALL sales_supervisor.run_job('tap_locale_fail')" -c "COMMIT" 2>&1)
  st=$?
  [ $st -eq 0 ] && echo "$err" | grep -q '^WARNUNG:  01000: job "tap_locale_fail" failed' && [ "$(logged)" = 2 ]
  ok $? "lc_messages = $LOCALE: inside a transaction block it only warns and keeps the log row (exit $st)"
fi
