#!/usr/bin/env bash
# The whole sales year on the generator's org, timed step by step, against the
# floor: one scan of the sales lines summing them by rep and month.
#
#   bench/sales_year.sh [LINES [REPS]]        (defaults 1000000 lines, 1000 reps)
#
# Builds and installs, starts a throw-away cluster (the same settings as
# bench/run), generates the org (generate_demo_org, seed 42, with a year's
# changes: about 5 % of the reps move team mid-year, hires through the year,
# leaves), then runs and times: allocate_quotas (blend), prorate_quotas,
# score_kpis, run_commission for the 12 months,
# close_appraisal_cycle, promotion_candidates, year_end_pay; and the floor
# (median of 3 runs).  Then, outside the year: next year's allocation by
# history, conservation_violations, a recalculation of the whole year after a
# one-month plan correction (against the 12 runs) and a what-if of one variant
# (against the recalculation).  Hold /tmp/ss_install.lock around it on a shared machine:
#   flock /tmp/ss_install.lock bench/sales_year.sh 1000000
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
REPS=${2:-1000}
. bench/cluster.sh
bench_cluster "$LINES" "$REPS"

DB=sales_supervisor_bench_year
createdb "$DB"
declare -a NAMES TIMES
step() {   # step name sql
  local t0 t1
  t0=$(now); q "$2" >/dev/null; t1=$(now)
  NAMES+=("$1"); TIMES+=("$(awk "BEGIN { printf \"%.3f\", $t1 - $t0 }")")
  echo "  $1: ${TIMES[-1]} s" >&2
}

q "CREATE EXTENSION sales_supervisor"
TEAMS=$(( REPS / 6 > 1 ? REPS / 6 : 2 ))
echo "generating: $REPS reps, $TEAMS teams, $LINES sales lines ..." >&2
t0=$(now)
q "SELECT count(*) FROM generate_demo_org(seed => 42, teams => $TEAMS, depth => 3, reps => $REPS,
                                           customers => $(( REPS * 20 )), sales_lines => $LINES,
                                           surveys => $(( REPS * 30 )), reviews_per_member => 4,
                                           changes => true)" >/dev/null
q "VACUUM ANALYZE" >/dev/null
echo "  generated in $(awk "BEGIN { printf \"%.1f\", $(now) - $t0 }") s" >&2
# the configuration the year needs beyond the generator (bench/cluster.sh)
year_config

# floor: one scan summing the sales lines by rep and month (median of 3)
FLOOR_SQL="SELECT count(*) FROM (SELECT member_id, date_trunc('month', sold_on), sum(amount) FROM sale GROUP BY 1, 2) x"
q "$FLOOR_SQL" >/dev/null
fl=()
for i in 1 2 3; do t0=$(now); q "$FLOOR_SQL" >/dev/null; fl+=("$(awk "BEGIN { printf \"%.3f\", $(now) - $t0 }")"); done
FLOOR=$(printf '%s\n' "${fl[@]}" | sort -n | sed -n 2p)
echo "  floor: $FLOOR s" >&2

step "allocate_quotas" "SELECT count(*) FROM allocate_quotas(2025, 400000000, basis => 'blend')"
step "prorate_quotas" "SELECT count(*) FROM prorate_quotas(2025)"
step "score_kpis" "SELECT count(*) FROM score_kpis(1)"
step "run_commission x12" "SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id) r WHERE p.kind = 'month'"
step "close_appraisal_cycle" "SELECT count(*) FROM close_appraisal_cycle(1)"
step "promotion_candidates" "SELECT count(*) FROM promotion_candidates(1)"
step "year_end_pay" "SELECT count(*) FROM year_end_pay(1, 1.0)"

# Not part of the year: the generator makes one year of sales, so the year's
# allocation above found no history to read.  Allocating the next year by
# history reads this year's lines: timed on its own, for the record.
q "INSERT INTO fiscal_period (kind, fiscal_year, quarter, month, start_on, end_on)
   SELECT kind, 2026, quarter, month, (start_on + interval '1 year')::date, (end_on + interval '1 year')::date
   FROM fiscal_period WHERE fiscal_year = 2025 ORDER BY period_id;
   INSERT INTO seasonal_distribution SELECT name, 2026, month, share_pct FROM seasonal_distribution WHERE fiscal_year = 2025" >/dev/null
t0=$(now); q "SELECT count(*) FROM allocate_quotas(2026, 440000000, basis => 'history')" >/dev/null
NEXT=$(awk "BEGIN { printf \"%.3f\", $(now) - $t0 }")
echo "  allocate_quotas 2026 by history: $NEXT s" >&2

# Also not in the year: the proof that money and quota are conserved, over the
# whole ledger and every line (it must find nothing).
t0=$(now); VIOL=$(q "SELECT count(*) FROM conservation_violations()")
CONS=$(awk "BEGIN { printf \"%.3f\", $(now) - $t0 }")
echo "  conservation_violations: $CONS s, $VIOL violations" >&2
[ "$VIOL" = 0 ] || { echo "conservation_violations found $VIOL violations" >&2; exit 1; }

# Changes to the past (issue 14): every rep's March plan corrected, then the
# whole year recalculated into January 2026 (against the twelve runs), and a
# what-if of one variant plan over the whole year (against the recalculation).
RUNS=${TIMES[3]}
JAN=$(q "SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 AND month = 1")
q "UPDATE commission_plan SET tiers = 'marginal[(0,0.025),(20000,0.03),(60000,0.05)] cap 20000'
   WHERE period_id = (SELECT period_id FROM fiscal_period WHERE kind = 'month' AND fiscal_year = 2025 AND month = 3)" >/dev/null
t0=$(now); POSTED=$(q "SELECT count(*) FROM recalculate_commission($JAN)")
RECALC=$(awk "BEGIN { printf \"%.3f\", $(now) - $t0 }")
echo "  recalculate_commission (whole year, March plans corrected): $RECALC s, $POSTED lines posted" >&2
[ "$(q "SELECT count(*) FROM recalculate_commission($JAN)")" = 0 ] || { echo "a second recalculation posted lines" >&2; exit 1; }
[ "$(q "SELECT count(*) FROM conservation_violations()")" = 0 ] || { echo "violations after the recalculation" >&2; exit 1; }
t0=$(now); q "SELECT count(*) FROM commission_what_if($JAN,
                ARRAY[ROW('v', NULL, NULL, 'marginal[(0,0.02),(20000,0.035),(60000,0.055)] cap 20000')::commission_variant])" >/dev/null
WHATIF=$(awk "BEGIN { printf \"%.3f\", $(now) - $t0 }")
echo "  commission_what_if (one variant, whole year): $WHATIF s" >&2

TOTAL=$(printf '%s\n' "${TIMES[@]}" | awk '{ s += $1 } END { printf "%.3f", s }')
{
  echo "sales year: $REPS reps, $LINES sales lines ($(q "SELECT count(*) FROM sale") rows incl. refunds), $(q "SELECT count(*) FROM commission_credit") credit ledger lines"
  echo
  echo "| step | seconds | / floor |"
  echo "|---|---|---|"
  for i in "${!NAMES[@]}"; do
    echo "| ${NAMES[$i]} | ${TIMES[$i]} | $(awk "BEGIN { printf \"%.2f\", ${TIMES[$i]} / $FLOOR }") |"
  done
  echo "| **whole year** | **$TOTAL** | **$(awk "BEGIN { printf \"%.2f\", $TOTAL / $FLOOR }")** |"
  echo "| floor (sum by rep and month, one scan) | $FLOOR | 1.00 |"
  echo "| (not in the year) allocate_quotas of the next year by history: reads this year's lines | $NEXT | $(awk "BEGIN { printf \"%.2f\", $NEXT / $FLOOR }") |"
  echo "| (not in the year) conservation_violations: the whole ledger and every line recomputed | $CONS | $(awk "BEGIN { printf \"%.2f\", $CONS / $FLOOR }") |"
  echo "| (changes) recalculate_commission of the whole year after a one-month plan correction ($POSTED lines posted) | $RECALC | $(awk "BEGIN { printf \"%.2f\", $RECALC / $FLOOR }") — $(awk "BEGIN { printf \"%.2f\", $RECALC / $RUNS }") x the 12 runs |"
  echo "| (changes) commission_what_if of one variant over the whole year | $WHATIF | $(awk "BEGIN { printf \"%.2f\", $WHATIF / $FLOOR }") — $(awk "BEGIN { printf \"%.2f\", $WHATIF / $RECALC }") x the recalculation |"
} | tee "bench/out/sales_year_${LINES}.md"
