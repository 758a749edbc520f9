#!/usr/bin/env bash
# From credit to payout (issue 15), timed on the generator's billed org:
#
#   bench/settlement.sh [LINES [REPS]]        (defaults 1000000 lines, 1000 reps)
#
# Builds and installs, starts a throw-away cluster (the settings of
# bench/sales_year.sh), generates the org (generate_demo_org, seed 42, with a
# year's changes and billing => true: an invoice per customer and month,
# payments partial, late and missing, a SPIFF), gives a third of the reps plans
# earning on booking with a 30-day clawback, a third on payment in full, a
# third pro rata, and the year's new hires a recoverable draw; then times
#   * the year closed month by month: each month's run_commission, then its
#     settle_commission_period (the target: settling <= 2 x the runs); the runs write the
#     settlement's cache of invoice credit from their own pass, and that work
#     is counted as the settlement's (measured over the twelve windows);
#   * commission_statement of one rep and period, settled and preview (median
#     of 21 calls; target <= 20 ms), against what a user would write instead --
#     the rep's entries of the period with a running sum (plain SQL) -- and the
#     floor, one index lookup of the rep's balance row;
#   * the accounts' invariant check (conservation_settlement_violations)
#     against the floor of one scan of the ledger tables it reads (target <= 2x).
# Hold /tmp/ss_install.lock around it on a shared machine:
#   flock /tmp/ss_install.lock bench/settlement.sh 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
REPS=${2:-1000}
. bench/cluster.sh
bench_cluster "$LINES" "$REPS"
bench_db sales_supervisor_bench_settle
TEAMS=$(( REPS / 6 > 1 ? REPS / 6 : 2 ))
echo "generating: $REPS reps, $TEAMS teams, $LINES sales lines, billed ..." >&2
t0=$(now)
q "SELECT count(*) FROM generate_demo_org(seed => 42, teams => $TEAMS, depth => 3, reps => $REPS,
                                           customers => $(( REPS * 20 )), sales_lines => $LINES,
                                           surveys => $(( REPS * 30 )), reviews_per_member => 1,
                                           changes => true, billing => true)" >/dev/null
q "INSERT INTO commission_plan (member_id, period_id, tiers, earn_on, clawback_days, draw_kind, draw_amount,
                                draw_recovery_limit)
   SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03),(60000,0.05)] cap 20000',
          (ARRAY['booking', 'payment_in_full', 'payment_pro_rata'])[m.member_id % 3 + 1],
          CASE WHEN m.member_id % 3 = 0 THEN 30 END,
          CASE WHEN d.new_draw THEN 'recoverable' END, CASE WHEN d.new_draw THEN 1500 END, 500
   FROM member m CROSS JOIN fiscal_period p
   CROSS JOIN LATERAL (SELECT extract(year FROM m.hire_date) = 2025
                              AND p.start_on >= date_trunc('month', m.hire_date)
                              AND p.start_on < date_trunc('month', m.hire_date) + interval '3 months' AS new_draw) d
   WHERE m.level = 'sales_rep' AND p.kind = 'month'" >/dev/null
q "VACUUM ANALYZE" >/dev/null
echo "  generated in $(secs "$t0") s: $(q "SELECT count(*) FROM invoice") invoices, $(q "SELECT count(*) FROM invoice_payment") payments" >&2

# The year closed month by month, as a company does: each month's run, then
# its settlement (each filling the invoice-credit cache for its window as a
# real settlement does), each timed inside the server.  June's and
# December's statements are previewed while they are open (December pays the
# year's SPIFF: its preview also reads the rep's SPIFF lines of the year).
# Month by month, a slow spell of this shared machine falls on the runs and
# the settlements alike (run all at once, the settlements took 9.8 s in one
# run and 15.2 s in another with the same code); a checkpoint
# first: the load leaves gigabytes of dirty pages.
REP=$(q "SELECT min(member_id) FROM commission_plan WHERE earn_on = 'payment_pro_rata'")
JUN=$(q "SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 AND month = 6")
DEC=$(q "SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 AND month = 12")
q "CHECKPOINT" >/dev/null
CKPT0=$(q "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter")
RUNS=0; SETTLE=0
for P in $(q "SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 ORDER BY start_on"); do
  RUNS=$(awk "BEGIN { print $RUNS + $(inmedian 1 "SELECT count(*) FROM run_commission($P)") }")
  if [ "$P" = "$JUN" ]; then PREVIEW=$(inmedian 21 "SELECT count(*) FROM commission_statement($REP, $JUN)"); fi
  if [ "$P" = "$DEC" ]; then PREVIEW_DEC=$(inmedian 21 "SELECT count(*) FROM commission_statement($REP, $DEC)"); fi
  SETTLE=$(awk "BEGIN { print $SETTLE + $(inmedian 1 "SELECT count(*) FROM settle_commission_period($P)") }")
done
echo "  run_commission x12: $RUNS s, settle_commission_period x12: $SETTLE s, month by month ($(( $(q "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter") - CKPT0 )) checkpoint(s) meanwhile)" >&2
echo "  commission_statement preview (open June): $PREVIEW s; (open December, the year's SPIFF): $PREVIEW_DEC s" >&2
# What the runs now do for the settlement -- their pass keyed by invoice too,
# and the cache rows written (invoice_credit) -- is the settlement's cost:
# measured over the twelve windows as the one pass (commission_window_credit,
# summed per rep and per invoice) less the pass of 0.2.0's runs
# (credited_sales_by_month), plus writing the same rows into a copy of the cache
# (window after window, each in the cache's key order, as the runs write them).
WINDOWS="(SELECT credited_from AS f, credited_through AS t FROM commission_period_lock) w"
CACHE_PASS=$(inmedian 3 "SELECT count(*) FROM $WINDOWS CROSS JOIN LATERAL (
                           WITH c AS MATERIALIZED (SELECT * FROM commission_window_credit(w.f, w.t))   -- (once, as the run)
                           SELECT 1 FROM (SELECT c.invoice_id, c.member_id, cents_sum(c.amount) FROM c
                                          WHERE c.invoice_id IS NOT NULL GROUP BY 1, 2 HAVING cents_sum(c.amount) <> 0) i
                           UNION ALL
                           SELECT 1 FROM (SELECT c.member_id, c.refunds, c.month, sum(c.lines) FROM c
                                          GROUP BY 1, 2, 3 HAVING sum(c.lines) <> 0) r) x")
PLAIN_PASS=$(inmedian 3 "SELECT count(*) FROM $WINDOWS CROSS JOIN LATERAL credited_sales_by_month(w.f, w.t) b")
q "CREATE TABLE public.bench_invoice_credit (LIKE sales_supervisor.invoice_credit INCLUDING ALL)" >/dev/null
t0=$(now); q "INSERT INTO public.bench_invoice_credit SELECT * FROM invoice_credit ORDER BY for_period_id, member_id, invoice_id" >/dev/null; CACHE_WRITE=$(secs "$t0")
q "DROP TABLE public.bench_invoice_credit" >/dev/null
CACHE=$(awk "BEGIN { x = $CACHE_PASS - $PLAIN_PASS + $CACHE_WRITE; printf \"%.3f\", (x > 0 ? x : 0) }")
echo "  of which the settlement's cache: $CACHE s (pass $CACHE_PASS s against $PLAIN_PASS s, rows written $CACHE_WRITE s)" >&2
VIOL=$(q "SELECT count(*) FROM conservation_violations()")
[ "$VIOL" = 0 ] || { echo "conservation_violations found $VIOL violations" >&2; exit 1; }
q "ANALYZE" >/dev/null
STMT=$(inmedian 21 "SELECT count(*) FROM commission_statement($REP, $JUN)")
USER_SQL="SELECT count(*) FROM (SELECT e.kind, e.amount, b.opening + sum(e.amount) OVER (ORDER BY e.entry_id) AS balance
          FROM commission_entry e JOIN commission_balance b USING (member_id, period_id)
          WHERE e.member_id = $REP AND e.period_id = $JUN) x"
USER=$(inmedian 21 "$USER_SQL")
FLOOR1=$(inmedian 21 "SELECT closing FROM commission_balance WHERE member_id = $REP AND period_id = $JUN")
echo "  commission_statement settled: $STMT s (plain SQL $USER s, floor $FLOOR1 s)" >&2
# The floor: one grouped scan of the ledger tables that sums the amounts, in
# the faster of the planner's two ways (hashed, or sorted with the hash
# aggregate off).  count(s), not count(*): with count(*) the planner drops
# the unused sum() and the "floor" only groups (FLOOR_NOSUM, printed too).
# The check and the two floors take turns, seven rounds, medians of each: on
# a shared machine a burst of other work then falls on all three alike.
FLOOR_SQL="SELECT (SELECT count(s) FROM (SELECT member_id, period_id, kind, sum(amount) s FROM commission_entry GROUP BY 1, 2, 3) e)
                         + (SELECT count(closing) FROM commission_balance) + (SELECT count(amount) FROM payout_batch_line)
                         + (SELECT count(s) FROM (SELECT member_id, for_period_id, sum(amount) s FROM commission_payout GROUP BY 1, 2) p)"
TURNS=$(q "CREATE TEMP TABLE turns (what text, t float8);
DO \$d\$
DECLARE t0 timestamptz;
BEGIN
  FOR i IN 1..7 LOOP
    t0 := clock_timestamp(); PERFORM count(*) FROM sales_supervisor.conservation_settlement_violations();
    INSERT INTO turns VALUES ('check', extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp(); EXECUTE \$f\$$FLOOR_SQL\$f\$;
    INSERT INTO turns VALUES ('hash', extract(epoch FROM clock_timestamp() - t0));
    SET LOCAL enable_hashagg = off;
    t0 := clock_timestamp(); EXECUTE \$f\$$FLOOR_SQL\$f\$;
    INSERT INTO turns VALUES ('sort', extract(epoch FROM clock_timestamp() - t0));
    SET LOCAL enable_hashagg = on;
  END LOOP;
END \$d\$;
SELECT string_agg(round(m::numeric, 6)::text, ' ' ORDER BY what)
FROM (SELECT what, percentile_disc(0.5) WITHIN GROUP (ORDER BY t) m FROM turns GROUP BY what) x" | tail -1)
read -r CHECK FLOOR_HASH FLOOR_SORT <<< "$TURNS"
FLOOR2=$(awk "BEGIN { print ($FLOOR_HASH < $FLOOR_SORT ? $FLOOR_HASH : $FLOOR_SORT) }")
FLOOR_NOSUM=$(inmedian 3 "SELECT (SELECT count(*) FROM (SELECT member_id, period_id, kind, sum(amount) FROM commission_entry GROUP BY 1, 2, 3) e)
                         + (SELECT count(*) FROM commission_balance) + (SELECT count(*) FROM payout_batch_line)
                         + (SELECT count(*) FROM (SELECT member_id, for_period_id, sum(amount) FROM commission_payout GROUP BY 1, 2) p)")
echo "  conservation_settlement_violations: $CHECK s (floor $FLOOR2 s: hashed $FLOOR_HASH s, sorted $FLOOR_SORT s; grouping without the sums $FLOOR_NOSUM s)" >&2
ms() { awk "BEGIN { printf \"%.1f\", $1 * 1000 }"; }
{
  echo "settlement: $REPS reps, $LINES sales lines, $(q "SELECT count(*) FROM invoice") invoices, $(q "SELECT count(*) FROM invoice_payment") payments; $(q "SELECT count(*) FROM commission_entry") account entries, $(q "SELECT count(*) FROM commission_balance") statements"
  echo
  echo "| step | time | ratio |"
  echo "|---|---|---|"
  echo "| run_commission x12 | $RUNS s | |"
  echo "| of which the settlement's cache (invoice credit from the runs' pass) | $CACHE s | |"
  echo "| run_commission x12 as in 0.2.0 (without the cache) | $(awk "BEGIN { printf \"%.3f\", $RUNS - $CACHE }") s | 1.00 |"
  echo "| settle_commission_period x12 (entries, holds, clawbacks, releases, SPIFFs, draws, batches, walks) | $SETTLE s | $(awk "BEGIN { printf \"%.2f\", $SETTLE / ($RUNS - $CACHE) }") x the runs |"
  echo "| settle_commission_period x12 + the cache the runs write for it | $(awk "BEGIN { printf \"%.3f\", $SETTLE + $CACHE }") s | $(awk "BEGIN { printf \"%.2f\", ($SETTLE + $CACHE) / ($RUNS - $CACHE) }") x the runs (the target: <= 2) |"
  echo "| commission_statement, settled (median of 21) | $(ms "$STMT") ms | $(awk "BEGIN { printf \"%.2f\", $STMT / $USER }") x plain SQL, $(awk "BEGIN { printf \"%.2f\", $STMT / $FLOOR1 }") x floor |"
  echo "| commission_statement, preview of an open period (median of 21) | $(ms "$PREVIEW") ms | $(awk "BEGIN { printf \"%.2f\", $PREVIEW / $FLOOR1 }") x floor |"
  echo "| commission_statement, preview of an open December with the year's SPIFF (median of 21) | $(ms "$PREVIEW_DEC") ms | $(awk "BEGIN { printf \"%.2f\", $PREVIEW_DEC / $FLOOR1 }") x floor |"
  echo "| plain SQL: the rep's entries with a running sum | $(ms "$USER") ms | |"
  echo "| floor: the rep's balance row by key | $(ms "$FLOOR1") ms | 1.00 |"
  echo "| conservation_settlement_violations (whole year, median of 7, in turns with the floors) | $CHECK s | $(awk "BEGIN { printf \"%.2f\", $CHECK / $FLOOR2 }") x floor |"
  echo "| floor: one grouped scan of the ledger tables summing the amounts (faster of hashed $FLOOR_HASH s, sorted $FLOOR_SORT s) | $FLOOR2 s | 1.00 |"
  echo "| the same grouping without the sums (the planner drops an unused sum(); the floor printed before 2026-12-01) | $FLOOR_NOSUM s | $(awk "BEGIN { printf \"%.2f\", $CHECK / $FLOOR_NOSUM }") x it |"
} | tee "bench/out/settlement_${LINES}.md"
