#!/usr/bin/env bash
# run_commission against concurrent writers of sales lines, with two connections.
#
# A run takes a SHARE lock on sale and sale_credit before it reads them, so a
# sales line is either in the run's window (its writer committed before the
# lock: the run waits for it) or written after the run and then, dated in the
# dates the run credited, queued as a late line and credited by the next run.
# Never lost, never credited twice.  A writer in REPEATABLE READ whose snapshot
# is older than a committed run gets a serialization failure instead of writing
# into the run's dates unseen; a run itself is refused outside READ COMMITTED.
# Each scenario holds a transaction open for 2 s while the other session
# starts 0.5 s later.
#
# Runs inside the throw-away cluster (PGHOST etc. set); uses its own database.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "1..12"
new_db ss_comm_conc_$$
demo_org_5
month() { q "SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 AND month = $1"; }
P1=$(month 1); P2=$(month 2); P3=$(month 3); P4=$(month 4)
# the rep's sales credit in the ledger for a period, "lines:amount"
LEDGER() { q "SELECT lines || ':' || amount FROM commission_credit WHERE member_id = $REP AND period_id = $1 AND kind = 'sales'"; }
# the same from the sales lines dated in a window, one by one (credited_sales), but one line
LINES() { q "SELECT count(*) || ':' || sum(amount) FROM credited_sales('$1', '$2')
             WHERE member_id = $REP AND refund_of IS NULL AND sale_id <> ${3:-0}"; }
insert_line() {   # id date amount sleep: one line for REP in a transaction held open
  held "$4" "INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount)
               VALUES ($1, '$2', $REP, $CUST, 1, $3)"
}
run_slow() {      # period sleep: a run held open
  held "$2" "SELECT count(*) FROM run_commission($1)"
}
q "SELECT count(*) FROM run_commission($P1)" >/dev/null

# ---- 1. a line committed while the run waits: in the run's window
insert_line 900001 2025-02-10 111.11 2 | run_bg w1
sleep 0.5
t0=$(date +%s.%N)
q "SELECT count(*) FROM run_commission($P2)" >/dev/null
t1=$(date +%s.%N)
wait
waited "writer first: the run waited for the writer" "$t0" "$t1" run
check "writer first: the February ledger holds the line (and every February line of the rep)" \
  "$(LEDGER $P2)" "$(LINES 2025-02-01 2025-02-28)"
check "writer first: the line is not queued as late" "$(q "SELECT count(*) FROM commission_late_sale WHERE sale_id = 900001")" "0"

# ---- 2. a line written while a run holds its lock: waits, goes in after, is queued late
run_slow "$P3" 2 | run_bg r2
sleep 0.5
t0=$(date +%s.%N)
insert_line 900002 2025-03-05 222.22 0 | psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" >/dev/null 2>/tmp/$DB.w2.err
t1=$(date +%s.%N)
wait
waited "run first: the writer waited for the run" "$t0" "$t1" insert
check "run first: the March ledger does not hold the line" "$(LEDGER $P3)" "$(LINES 2025-03-01 2025-03-31 900002)"
check "run first: the line is queued as late, waiting" \
  "$(q "SELECT count(*) FROM commission_late_sale WHERE sale_id = 900002 AND credited_period_id IS NULL")" "1"
q "SELECT count(*) FROM run_commission($P4)" >/dev/null
check "the April run credits it once, as a late sale" \
  "$(q "SELECT kind || ':' || lines || ':' || amount FROM commission_credit WHERE member_id = $REP AND period_id = $P4 AND kind = 'late_sales'")" \
  "late_sales:1:222.22"
check "... and the lines behind the ledger add up to it" \
  "$(q "SELECT count(*) FROM (SELECT period_id, member_id, kind, sum(amount) AS amount, count(*)::int AS lines
                               FROM commission_credit_line GROUP BY 1, 2, 3
                               EXCEPT SELECT period_id, member_id, kind, sum(amount), sum(lines)::int FROM commission_credit
                               GROUP BY 1, 2, 3) x")" "0"

# ---- 3. a REPEATABLE READ writer whose snapshot predates a committed run
P5=$(month 5)
# (the writer is started from a file, not a pipe, so that this shell can wait for it:
# nothing here blocks on a lock to order the two sessions)
echo "SET search_path = sales_supervisor, public;
      BEGIN ISOLATION LEVEL REPEATABLE READ;
      SELECT count(*) FROM sale;
      SELECT pg_sleep(2);
      INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount)
        VALUES (900003, '2025-05-20', $REP, $CUST, 1, 333.33);
      COMMIT;" >/tmp/$DB.w3.sql
psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -f /tmp/$DB.w3.sql >/tmp/$DB.w3.out 2>/tmp/$DB.w3.err &
W3=$!
sleep 0.5
q "SELECT count(*) FROM run_commission($P5)" >/dev/null
wait $W3
like "an older REPEATABLE READ snapshot cannot write into the run's dates: 40001" "$(cat /tmp/$DB.w3.err)" \
  'could not serialize access' "$(cat /tmp/$DB.w3.err /tmp/$DB.w3.out)"
check "... and nothing of it is stored" "$(q "SELECT count(*) FROM sale WHERE sale_id = 900003")" "0"
q "INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount)
   VALUES (900003, '2025-05-20', $REP, $CUST, 1, 333.33)" >/dev/null
check "retried in READ COMMITTED, it is queued as late" \
  "$(q "SELECT count(*) FROM commission_late_sale WHERE sale_id = 900003 AND credited_period_id IS NULL")" "1"

# ---- 4. a run outside READ COMMITTED is refused
like "a run in REPEATABLE READ is refused with a clear error" \
  "$(in_repeatable_read "$DB" "SELECT count(*) FROM sales_supervisor.run_commission($(month 6))")" \
  "cannot run commissions in a repeatable read transaction"

finish
