#!/usr/bin/env bash
# Every view the BI role reads, timed on the demo org under the server's
# default settings (JIT on, jit_above_cost 100000, no tuning): on demand,
# never a timed test.
#
#   bench/views.sh [--year] [REPS]            (REPS runs per view, default 5)
#
# Builds and installs, starts a throw-away cluster with default settings,
# generates the demo org with generate_demo_org()'s defaults (12 teams, 60 reps,
# 2 000 customers, 100 000 sales lines), runs the refresh_reports job, and with
# --year also the sales year (allocate_quotas, score_kpis, run_commission x 12,
# close_appraisal_cycle, promotion_candidates, year_end_pay) so that quotas,
# grades and pay are filled.  No manual ANALYZE: the views are timed as a user
# gets them.  Then for each view, after a warm-up, REPS runs of
# EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT * FROM the view: medians of
# planning + execution time (JIT compilation included) and of the JIT part,
# and the planner's total cost (JIT compiles above jit_above_cost).  The table
# goes to bench/out/views.md.  Hold /tmp/ss_install.lock on a shared machine:
#   flock /tmp/ss_install.lock bench/views.sh
set -euo pipefail
cd "$(dirname "$0")/.."
YEAR=0; YEAR_ARG=(); SUFFIX=; WHAT=
if [ "${1:-}" = "--year" ]; then YEAR=1; YEAR_ARG=(--year); SUFFIX=_year; WHAT=", then the sales year"; shift; fi
REPS=${1:-5}
if [ -z "${SS_IN_CLUSTER:-}" ]; then
  scripts/build.sh
  mkdir -p bench/out
  export SS_IN_CLUSTER=1
  exec pg_virtualenv -v 15 "$0" "${YEAR_ARG[@]}" "$REPS"
fi

DB=sales_supervisor_bench_views
createdb "$DB"
q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "SET search_path = sales_supervisor, public" -c "$1"; }
q "CREATE EXTENSION sales_supervisor"
echo "generating the demo org (generate_demo_org() defaults) ..." >&2
q "SELECT count(*) FROM generate_demo_org()" >/dev/null
if [ $YEAR = 1 ]; then
  echo "the sales year ..." >&2
  q "INSERT INTO kpi_target (cycle_id, kpi_id, level, target)
     VALUES (1, 3, 'sales_rep', 0.2), (1, 4, 'sales_customer_supervisor', 80), (1, 4, 'sales_manager', 80);
     INSERT INTO commission_plan (member_id, period_id, tiers)
     SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03),(60000,0.05)] cap 20000'
     FROM member m CROSS JOIN fiscal_period p WHERE m.level = 'sales_rep' AND p.kind = 'month';
     INSERT INTO bonus_target VALUES (2025, 'sales_rep', 15), (2025, 'sales_customer_supervisor', 20),
                                     (2025, 'sales_manager', 25);" >/dev/null
  q "SELECT count(*) FROM allocate_quotas(2025, 40000000, basis => 'blend')" >/dev/null
  q "SELECT count(*) FROM score_kpis(1)" >/dev/null
  q "SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id) r WHERE p.kind = 'month'" >/dev/null
  q "SELECT count(*) FROM close_appraisal_cycle(1)" >/dev/null
  q "SELECT count(*) FROM promotion_candidates(1)" >/dev/null
  q "SELECT count(*) FROM year_end_pay(1, 1.0)" >/dev/null
fi
q "SELECT status FROM execute_job('refresh_reports')" >/dev/null
VIEWS=$(q "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'sales_supervisor'::regnamespace
           AND has_table_privilege('sales_supervisor_bi', c.oid, 'SELECT') ORDER BY 1")
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
OUT=bench/out/views$SUFFIX.md
{
  echo "demo org (generate_demo_org() defaults$WHAT), default settings" \
       "(jit=$(q 'SHOW jit'), jit_above_cost=$(q 'SHOW jit_above_cost')); medians of $REPS runs after a warm-up"
  echo
  echo "| view | rows | ms (plan + exec) | of which JIT | plan cost |"
  echo "|---|---|---|---|---|"
} >"$OUT"
printf '%-24s %8s %10s %10s %12s\n' view rows ms jit_ms cost >&2
for v in $VIEWS; do
  EXPLAIN="EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) SELECT * FROM sales_supervisor.$v"
  q "$EXPLAIN" >/dev/null                                  # warm-up
  tot=(); jit=()
  for _ in $(seq "$REPS"); do
    plan=$(q "$EXPLAIN")
    p=$(sed -n 's/.*Planning Time: \([0-9.]*\) ms.*/\1/p' <<<"$plan")
    e=$(sed -n 's/.*Execution Time: \([0-9.]*\) ms.*/\1/p' <<<"$plan")
    j=$(sed -n 's/.*Timing: .*Total \([0-9.]*\) ms.*/\1/p' <<<"$plan")
    tot+=("$(awk "BEGIN { print $p + $e }")"); jit+=("${j:-0}")
  done
  rows=$(sed -n '1s/.*rows=[0-9]* width=[0-9]*) (actual rows=\([0-9]*\).*/\1/p' <<<"$plan")
  cost=$(sed -n '1s/.*cost=[0-9.]*\.\.\([0-9.]*\) .*/\1/p' <<<"$plan")
  T=$(printf '%s\n' "${tot[@]}" | median); J=$(printf '%s\n' "${jit[@]}" | median)
  printf '%-24s %8s %10s %10s %12s\n' "$v" "$rows" "$T" "$J" "$cost" >&2
  echo "| \`$v\` | $rows | $T | $J | $cost |" >>"$OUT"
done
echo "bench: wrote $OUT" >&2
