#!/usr/bin/env bash
# Job control with real sessions (issue 17, items 1, 2 and 5), at top level as
# pg_cron runs jobs (the monthly chain, local time and v_job_health are in
# test/pgtap/job_control.sql; pg_cron's own runs in test/system/pg_cron.t):
#  - single-flight: two sessions CALL run_job of the same 2 s job; the second
#    starts while the first runs, does not run, and is logged as skipped with
#    the first one's process id; the first runs to its end;
#  - retries: a failing job with retries 2 and back-off 0.2 s is run three
#    times (waits 0.2 s, then 0.4 s), each attempt logged, and the CALL fails
#    after the last; a job failing once only succeeds at its second attempt;
#    a job over its statement_timeout fails with 57014, retried too;
#  - alerts: a psql session that LISTENs sales_supervisor_job receives one
#    NOTIFY per failed or skipped run, with the JSON payload {job, run,
#    status, sqlstate, message, attempt, month}.
# Runs inside the throw-away cluster (PGHOST etc. set); uses its own database.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "1..14"
new_db ss_job_control_$$
q "INSERT INTO job_setting (job_name, schedule, command, retries, retry_backoff, statement_timeout) VALUES
     ('tap_slow', '0 5 * * *', 'SELECT pg_sleep(2)', 0, '0', NULL),
     ('tap_retry', '0 5 * * *', 'SELECT 1 / 0', 2, '200 milliseconds', NULL),
     ('tap_flaky', '0 5 * * *',
      'SELECT CASE WHEN (SELECT count(*) FROM sales_supervisor.job_log WHERE job_name = ''tap_flaky'') = 0 THEN 1 / (0 * random())::integer END',
      2, '0', NULL),
     ('tap_timeout', '0 5 * * *', 'SELECT pg_sleep(10)', 1, '0', '300 milliseconds')" >/dev/null

# ---- the listener: a psql session reading its commands from a FIFO
FIFO=/tmp/$DB.listen.fifo
mkfifo "$FIFO"
psql -X -q -At -d "$DB" <"$FIFO" >"/tmp/$DB.listen.out" 2>&1 &
LISTENER=$!
exec 3>"$FIFO"
echo "LISTEN sales_supervisor_job; SELECT 'listening';" >&3
for _ in $(seq 50); do grep -q listening "/tmp/$DB.listen.out" 2>/dev/null && break; sleep 0.1; done

# ---- single-flight: two overlapping runs
psql -X -q -d "$DB" -c "CALL sales_supervisor.run_job('tap_slow')" >"/tmp/$DB.slow1.out" 2>&1 &
FIRST=$!
pid1=
for _ in $(seq 50); do
  pid1=$(q "SELECT pid FROM pg_stat_activity WHERE query = 'CALL sales_supervisor.run_job(''tap_slow'')' AND state = 'active'")
  [ -n "$pid1" ] && break
  sleep 0.1
done
t0=$(date +%s.%N)
out=$(psql -X -q -d "$DB" -c "CALL sales_supervisor.run_job('tap_slow')" 2>&1); st=$?
t1=$(date +%s.%N)
wait $FIRST; st1=$?
check "single-flight: the second CALL returns without error while the first runs (exit $st, first $st1)" "$st $st1 ${pid1:+seen}" "0 0 seen"
if awk "BEGIN { exit !($t1 - $t0 < 1.5) }"; then ok "... at once ($(awk "BEGIN { print $t1 - $t0 }") s), it did not wait for the 2 s job"
else nok "... at once" "took $(awk "BEGIN { print $t1 - $t0 }") s"; fi
check "job_log: one run succeeded, the overlapping one was skipped" \
  "$(q "SELECT string_agg(status, ',' ORDER BY started_at) FROM job_log WHERE job_name = 'tap_slow'")" "success,skipped"
like "... with the reason, naming the running process ($pid1)" \
  "$(q "SELECT detail FROM job_log WHERE job_name = 'tap_slow' AND status = 'skipped'")" \
  "^single-flight: a run of tap_slow is still in progress (process $pid1, since .*); this run did not start$"
check "... and the skipped run started while the other ran" \
  "$(q "SELECT s.started_at BETWEEN r.started_at AND r.finished_at FROM job_log s, job_log r
        WHERE s.job_name = 'tap_slow' AND s.status = 'skipped' AND r.job_name = 'tap_slow' AND r.status = 'success'")" t

# ---- retries
err=$(psql -X -q -d "$DB" -v VERBOSITY=verbose -c "CALL sales_supervisor.run_job('tap_retry')" 2>&1); st=$?
[ $st -ne 0 ] && printf '%s\n' "$err" | grep -q '^ERROR:  22012: job "tap_retry" failed: division by zero' \
  && printf '%s\n' "$err" | grep -q '^DETAIL:  Logged as sales_supervisor.job_log log_id [0-9]* (attempt 3)\.'
if [ $? -eq 0 ]; then ok "retries 2: after the third failure the CALL raises with the SQLSTATE (exit $st)"
else nok "retries 2: after the third failure the CALL raises" "$err"; fi
check "job_log: attempts 1, 2, 3, each a failure with SQLSTATE 22012" \
  "$(q "SELECT string_agg(attempt || ':' || status || ':' || sqlstate, ',' ORDER BY log_id) FROM job_log WHERE job_name = 'tap_retry'")" \
  "1:failure:22012,2:failure:22012,3:failure:22012"
# back-off 0.2 s doubling: attempt 2 starts >= 0.2 s after attempt 1 ended, attempt 3 >= 0.4 s after attempt 2
check "... waiting the back-off before each retry (>= 0.2 s, then >= 0.4 s)" \
  "$(q "SELECT string_agg((started_at - prev_end >= (ARRAY[NULL, interval '0.2 s', interval '0.4 s'])[attempt])::text, ',' ORDER BY log_id)
        FROM (SELECT l.*, lag(finished_at) OVER (ORDER BY log_id) AS prev_end FROM job_log l
              WHERE job_name = 'tap_retry') x WHERE attempt > 1")" "true,true"
out=$(psql -X -q -d "$DB" -c "CALL sales_supervisor.run_job('tap_flaky')" 2>&1); st=$?
check "a job that fails once succeeds at its retry: the CALL succeeds (exit $st)" "$st" 0
check "... both attempts logged" \
  "$(q "SELECT string_agg(attempt || ':' || status, ',' ORDER BY log_id) FROM job_log WHERE job_name = 'tap_flaky'")" \
  "1:failure,2:success"
err=$(psql -X -q -d "$DB" -v VERBOSITY=verbose -c "CALL sales_supervisor.run_job('tap_timeout')" 2>&1); st=$?
like "a job over its 300 ms statement_timeout fails with 57014 after its retry (exit $st)" "$err" \
  '^ERROR:  57014: job "tap_timeout" failed: canceling statement due to statement timeout'
check "... two attempts logged as 57014, each cancelled after the timeout (< 2 s, the command sleeps 10 s)" \
  "$(q "SELECT string_agg(attempt || ':' || sqlstate || ':' || (finished_at - started_at < interval '2 s'), ',' ORDER BY log_id)
        FROM job_log WHERE job_name = 'tap_timeout'")" "1:57014:true,2:57014:true"

# ---- alerts received by the listener
echo "SELECT 'done';" >&3
exec 3>&-
wait $LISTENER
payloads=$(sed -n 's/^Asynchronous notification "sales_supervisor_job" with payload "\(.*\)" received from server process with PID [0-9]*\.$/\1/p' \
           "/tmp/$DB.listen.out")
summary=$(printf '%s\n' "$payloads" | python3 -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        p = json.loads(line)
        print("%s %s %s %s" % (p["job"], p["status"], p["sqlstate"], p["attempt"]))')
check "the listener received a NOTIFY for each skipped or failed run, none for a success" "$summary" \
"tap_slow skipped None 1
tap_retry failure 22012 1
tap_retry failure 22012 2
tap_retry failure 22012 3
tap_flaky failure 22012 1
tap_timeout failure 57014 1
tap_timeout failure 57014 2"
[ -n "$summary" ] || sed 's/^/# /' "/tmp/$DB.listen.out"
want=$(q "SELECT json_build_object('job', job_name, 'run', log_id, 'status', status, 'sqlstate', sqlstate,
                                   'message', error, 'attempt', attempt, 'month', month)::text
          FROM job_log WHERE job_name = 'tap_retry' AND attempt = 3")
have=$(printf '%s\n' "$payloads" | grep '"tap_retry"' | grep '"attempt" : 3')
check "a payload in full: job, run (the log_id), status, SQLSTATE, message, attempt, month" "$have" "$want"
finish
