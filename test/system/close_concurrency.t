#!/usr/bin/env bash
# close_appraisal_cycle against concurrent writers, with two connections.
#
# The close locks review/review_score (SHARE ROW EXCLUSIVE) and sale/sale_credit
# (SHARE) before it reads anything.  So a writer transaction is either fully in
# the closed result (it committed before the close took its locks: the close
# waits for it) or fully out: a review is then refused ("the cycle is closed"),
# a sale goes in after the close and is not counted.  Never half applied.
# Each scenario holds the lock for 2 s (close + pg_sleep inside one
# transaction) while the other session starts 0.5 s later.
#
# Runs inside the throw-away cluster (PGHOST etc. set); uses its own database.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "1..14"
new_db ss_close_conc_$$
demo_org_5
q "INSERT INTO kpi_target (cycle_id, kpi_id, level, target)
   VALUES (1, 3, 'sales_rep', 0.2), (1, 4, 'sales_customer_supervisor', 80), (1, 4, 'sales_manager', 80)" >/dev/null
# one peer review must change the result (scenario 1): the anonymity threshold of
# issue 16 would withhold a group of fewer than 3 peers, so it is 1 here -- this
# test is about concurrency (the threshold: test/pgtap/appraisal_policies.sql)
q "UPDATE appraisal_cycle SET min_anonymous_reviews = 1 WHERE cycle_id = 1" >/dev/null
REP2=$(q "SELECT max(member_id) - 1 FROM member WHERE level = 'sales_rep'")
RESULTS="SELECT string_agg(format('%s:%s:%s:%s', member_id, team_management, final_score, grade), ' ' ORDER BY member_id)
         FROM appraisal_result WHERE cycle_id = 1"
REOPEN="SELECT reopen_appraisal_cycle(1, 'concurrency test');
        UPDATE appraisal_cycle SET state = 'reviewing' WHERE cycle_id = 1"
SALES_KPI="SELECT actual FROM kpi_result WHERE cycle_id = 1 AND member_id = $REP AND kpi_id = 1"
CREDITED="SELECT sum(amount) FROM credited_sales('2025-01-01', '2025-12-31') WHERE member_id = $REP"
add_review() {  # reviewer review_id sleep: a rep of another team reviews member 1 as a peer, two criteria of 1
  held "$3" "INSERT INTO review (review_id, cycle_id, reviewer_id, reviewee_id, rater_role)
               VALUES ($2, 1, $1, 1, 'peer');
             INSERT INTO review_score VALUES ($2, 'results', 1), ($2, 'teamwork', 1)"
}
add_sales() {   # sleep: two lines for REP in one transaction
  held "$1" "INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount)
               VALUES (900001, '2025-06-01', $REP, $CUST, 1, 1000.00), (900002, '2025-06-02', $REP, $CUST, 1, 2345.67)"
}
close_slow() {  # sleep: a close held open
  held "$1" "SELECT count(*) FROM close_appraisal_cycle(1)"
}

# ---- 0. a first close, the baseline
q "SELECT count(*) FROM close_appraisal_cycle(1)" >/dev/null
R0=$(q "$RESULTS")
check "first close closes the cycle" "$(q "SELECT state FROM appraisal_cycle WHERE cycle_id = 1")" "closed"

# ---- 1. a review committed while the close waits: fully in
q "$REOPEN" >/dev/null
add_review "$REP" 800001 2 | run_bg w1
sleep 0.5
t0=$(date +%s.%N)
q "SELECT count(*) FROM close_appraisal_cycle(1)" >/dev/null
t1=$(date +%s.%N)
wait
R1=$(q "$RESULTS")
check "writer first: its review committed" "$(q "SELECT count(*) FROM review WHERE review_id = 800001")" "1"
waited "writer first: the close waited for the writer" "$t0" "$t1" close
if [ "$R1" != "$R0" ]; then ok "writer first: the closed results include the new review"; else nok "writer first: the closed results include the new review" "results unchanged"; fi
q "SELECT reopen_appraisal_cycle(1, 'recompute')" >/dev/null
q "SELECT count(*) FROM close_appraisal_cycle(1)" >/dev/null
check "writer first: recomputing from the same reviews gives the same results" "$(q "$RESULTS")" "$R1"

# ---- 2. a review arriving while the close runs: refused, nothing half in
q "$REOPEN" >/dev/null
close_slow 2 | run_bg c2
sleep 0.5
add_review "$REP2" 800002 0 | psql -X -q -At -d "$DB" >/tmp/$DB.w2.out 2>/tmp/$DB.w2.err
wait
like "close first: the late review is refused with a clear error" "$(cat /tmp/$DB.w2.err)" \
  'reviews of appraisal cycle 1 cannot change: the cycle is closed'
check "close first: no part of the late review is stored" \
  "$(q "SELECT (SELECT count(*) FROM review WHERE review_id = 800002) + (SELECT count(*) FROM review_score WHERE review_id = 800002)")" "0"
check "close first: the closed results are those of the reviews before it" "$(q "$RESULTS")" "$R1"
check "close first: the slow close itself succeeded" "$(grep -c . /tmp/$DB.c2.err)" "0"

# ---- 3. sales arriving while the close runs: they wait, go in after, and are not counted
q "$REOPEN" >/dev/null
BEFORE=$(q "$CREDITED")
close_slow 2 | run_bg c3
sleep 0.5
add_sales 0 | psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" >/dev/null 2>/tmp/$DB.w3.err
wait
check "close first: both late sales lines are stored (after the close)" \
  "$(q "SELECT count(*) FROM sale WHERE sale_id IN (900001, 900002)")" "2"
check "close first: the closed sales KPI counts neither line" "$(q "$SALES_KPI")" "$BEFORE"

# ---- 4. sales committed while the close waits: both counted
q "DELETE FROM sale WHERE sale_id IN (900001, 900002)" >/dev/null
q "$REOPEN" >/dev/null
add_sales 2 | run_bg w4
sleep 0.5
q "SELECT count(*) FROM close_appraisal_cycle(1)" >/dev/null
wait
check "writer first: the closed sales KPI counts both lines" "$(q "$SALES_KPI")" "$(q "SELECT $BEFORE + 3345.67")"

# ---- 5. a snapshot older than the locks is refused
q "$REOPEN" >/dev/null
like "REPEATABLE READ is refused with a clear error" \
  "$(in_repeatable_read "$DB" "SELECT count(*) FROM sales_supervisor.close_appraisal_cycle(1)")" \
  'cannot close appraisal cycle 1 in a repeatable read transaction'
check "the refused close left the cycle as it was" "$(q "SELECT state FROM appraisal_cycle WHERE cycle_id = 1")" "reviewing"

finish
