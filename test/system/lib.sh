# Shared by the TAP shell tests of test/system (sourced, not run: prove runs
# only *.t).  Inside the throw-away cluster (PGHOST etc. set).
#   . "$(dirname "$0")/lib.sh"
#   echo "1..N"; new_db ss_something_$$; ...; finish

# ---- TAP: ok, not ok with diagnostics, equality; finish is the exit status
n=0; failed=0
ok()    { n=$((n + 1)); echo "ok $n - $1"; }
nok()   { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "have: $2" "want: $3"; fi; }
# like DESCRIPTION TEXT PATTERN [DIAGNOSTIC]: ok if a line of TEXT matches
# PATTERN (grep), else not ok with DIAGNOSTIC (default: TEXT)
like()  { if printf '%s\n' "$2" | grep -q -- "$3"; then ok "$1"; else nok "$1" "${4-$2}"; fi; }
finish() { [ "$failed" -eq 0 ]; }

# ---- SQL: one query's rows, unaligned, search_path on the extension first
qdb()   { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SET search_path = sales_supervisor, public" -c "$2"; }
q()     { qdb "$DB" "$1"; }    # in the test's database
# in_repeatable_read DB SQL: SQL in a REPEATABLE READ transaction; what psql
# prints, errors included
in_repeatable_read() {
  psql -X -q -At -d "$1" -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "$2" -c "COMMIT" 2>&1
}

# new_db NAME: the test's database $DB, with the extension; on exit it is
# dropped and the session files /tmp/$DB.* removed
new_db() {
  DB=$1
  trap 'dropdb --if-exists "$DB" >/dev/null 2>&1; rm -f /tmp/$DB.*' EXIT
  createdb "$DB" || { echo "Bail out! createdb failed"; exit 1; }
  q "CREATE EXTENSION sales_supervisor" >/dev/null
}

# demo_org_5: the small demo organisation of the concurrency tests, in $DB
# (seed 5: 4 teams, depth 2, 8 reps, 40 customers, 400 sales lines, 60
# surveys); REP is its last rep, CUST that rep's first customer
demo_org_5() {
  q "SELECT count(*) FROM generate_demo_org(seed => 5, teams => 4, depth => 2, reps => 8, customers => 40,
                                             sales_lines => 400, surveys => 60)" >/dev/null
  REP=$(q "SELECT max(member_id) FROM member WHERE level = 'sales_rep'")
  CUST=$(q "SELECT min(customer_id) FROM customer WHERE owner_id = $REP")
}

# ---- two sessions: one holds a transaction open while this shell acts
# held SECONDS SQL: a script for psql that runs SQL in a transaction held open
# SECONDS more before it commits
held() {
  echo "SET search_path = sales_supervisor, public;
        BEGIN;
        $2;
        SELECT pg_sleep($1);
        COMMIT;"
}
# run_bg NAME: psql on $DB in the background, the script on stdin, output in
# /tmp/$DB.NAME.out and .err
run_bg() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" >"/tmp/$DB.$1.out" 2>"/tmp/$DB.$1.err" & }
# waited DESCRIPTION T0 T1 WHAT: ok if T1 - T0 (date +%s.%N) is at least 1.2 s,
# i.e. WHAT waited for a lock the other session held 2 s from 0.5 s before T0
waited() {
  if awk "BEGIN { exit !($3 - $2 >= 1.2) }"; then ok "$1"; else nok "$1" "$4 took $(awk "BEGIN { print $3 - $2 }") s"; fi
}
