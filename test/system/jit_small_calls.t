#!/usr/bin/env bash
# A statement under the server's default settings, JIT on: the functions kept
# to generic plans (commission_statement and the one-rep parts of its preview)
# must not JIT-compile their queries.  A generic plan is costed without its
# arguments -- one rep's statement at 470 000 for 0.1 ms of work at 10 M
# lines -- and JIT compiles again at every execution: 30-40 ms a statement.
# Here every JIT threshold is 0, so any query that JIT may compile is
# compiled; auto_explain prints each plan, nested ones too, with its JIT
# section.  Controls: the caller's own query is compiled (JIT works and shows),
# and with the statement's "SET jit = off" removed its nested queries are.
. "$(dirname "$0")/lib.sh"
new_db "ss_jit_$$"

if [ "$(q "SELECT pg_jit_available()")" != t ]; then
  echo "1..0 # SKIP JIT is not available in this server (no llvmjit)"
  exit 0
fi
echo "1..5"

# a billed org, its plans (a third each earning on booking with a clawback,
# on payment in full, pro rata), the year run, January to May settled
q "SELECT count(*) FROM generate_demo_org(seed => 5, teams => 4, depth => 2, reps => 8, customers => 40,
                                           sales_lines => 2000, surveys => 60, billing => true)" >/dev/null
q "INSERT INTO commission_plan (member_id, period_id, tiers, earn_on, clawback_days)
   SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03)]',
          (ARRAY['booking', 'payment_in_full', 'payment_pro_rata'])[m.member_id % 3 + 1],
          CASE WHEN m.member_id % 3 = 0 THEN 30 END
   FROM member m CROSS JOIN fiscal_period p WHERE m.level = 'sales_rep' AND p.kind = 'month'" >/dev/null
q "SELECT count(*) FROM (SELECT period_id FROM fiscal_period WHERE kind = 'month' ORDER BY start_on) p
   CROSS JOIN LATERAL run_commission(p.period_id) r" >/dev/null
q "SELECT count(*) FROM (SELECT period_id FROM fiscal_period WHERE kind = 'month' AND month < 6 ORDER BY start_on) p
   CROSS JOIN LATERAL settle_commission_period(p.period_id) s" >/dev/null
REP=$(q "SELECT min(member_id) FROM commission_plan WHERE earn_on = 'payment_pro_rata'")
MAY=$(q "SELECT period_id FROM fiscal_period WHERE kind = 'month' AND month = 5")
JUN=$(q "SELECT period_id FROM fiscal_period WHERE kind = 'month' AND month = 6")
check "a rep's statement of a settled May and of an open June have lines" \
  "$(q "SELECT (SELECT count(*) > 0 FROM commission_statement($REP, $MAY))
               AND (SELECT count(*) > 0 FROM commission_statement($REP, $JUN) WHERE preview)")" t

# jitted QUERY...: the Query Text of each plan auto_explain printed for the
# queries, one per line, prefixed "JIT " when the plan was JIT-compiled
jitted() {
  { echo "LOAD 'auto_explain';
          SET auto_explain.log_min_duration = 0; SET auto_explain.log_nested_statements = on;
          SET auto_explain.log_level = notice; SET client_min_messages = notice;
          SET jit = on; SET jit_above_cost = 0; SET jit_inline_above_cost = 0; SET jit_optimize_above_cost = 0;"
    printf '%s;\n' "$@"; } |
    psql -X -q -At -d "$DB" 2>&1 >/dev/null |
    awk '/duration: .* plan:/ { if (text != "") print (jit ? "JIT " : "") text; text = ""; jit = 0; want = 1; next }
         want && /Query Text:/ { sub(/.*Query Text: */, ""); text = substr($0, 1, 70); want = 0; next }
         /^ *JIT:/ { jit = 1 }
         END { if (text != "") print (jit ? "JIT " : "") text }'
}
TOP="SELECT count(*) FROM sales_supervisor.commission_statement"
PLANS=$(jitted "$TOP($REP, $JUN)" "$TOP($REP, $MAY)")
check "control: JIT is on and shows -- the caller's two queries are compiled" \
  "$(printf '%s\n' "$PLANS" | grep -c -F -- "JIT $TOP" || true)" 2
NESTED=$(printf '%s\n' "$PLANS" | grep -v -F -- "$TOP" || true)
like "the preview and the settled statement run nested queries" "$NESTED" "." "no nested plan printed: $PLANS"
check "no nested query of a statement (settled or preview) is JIT-compiled" \
  "$(printf '%s\n' "$NESTED" | grep -c '^JIT ' || true)" 0

# control: without the statement's SET jit = off its nested queries are compiled
q "ALTER FUNCTION commission_statement(integer, integer, name) RESET jit" >/dev/null
NESTED=$(jitted "$TOP($REP, $JUN)" | grep -v -F -- "$TOP" || true)
like "control: with JIT left on, the statement's own queries are compiled" "$NESTED" "^JIT "
finish
