#!/usr/bin/env bash
# Customer risk (issue 19, part 1), timed on the generator's org:
#
#   bench/customer_risk.sh [LINES [CUSTOMERS]]     (defaults 10000000 lines, 100000 customers)
#
# Builds and installs, starts a throw-away cluster (bench/cluster.sh: serial,
# JIT off, shared_buffers 2GB, work_mem 256MB), generates the org
# (generate_demo_org, seed 42, 1 000 reps, 166 teams, CUSTOMERS customers, LINES
# sales lines over the year 2025), then times, median of 3 runs each:
#   * ours: customer_risk('2025-12-31') for every customer,
#     and its sales phase alone (customer_sales_as_of: one pass over the lines
#     with the customer_sales_scan aggregate in C, no GROUP BY), and the
#     purchase_rhythm aggregate grouped by customer;
#   * the plain SQL a user would write: the purchase rhythm as DISTINCT days,
#     lag() and percentile_disc, alone and inside customer_risk (the sales
#     phase replaced by that SQL in the benchmark's database);
#   * the floors, over the same rows the function reads (sold_on <= the day)
#     and with the same settings (the cluster's: serial): one scan of the
#     sales lines (sum(amount)), and one scan grouped by customer (sum(amount)
#     per customer), what a per-customer answer costs with GROUP BY;
#   * for reference, the two floors with two parallel workers (the machine's
#     two cores; customer_sales_scan has no combine function, so it stays
#     serial).
# Every case counts whole result rows (count(x.*)): a bare count(*) over a
# grouped subquery lets the planner drop the aggregates it would not output.
# Target: customer_risk <= 3 x one scan.  Prints the ratios.
# Hold /tmp/ss_install.lock around it on a shared machine:
#   flock /tmp/ss_install.lock bench/customer_risk.sh
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-10000000}
CUSTOMERS=${2:-100000}
. bench/cluster.sh
bench_cluster "$LINES" "$CUSTOMERS"
bench_db sales_supervisor_bench_risk
DAY="date '2025-12-31'"
echo "generating: 1000 reps, 166 teams, $CUSTOMERS customers, $LINES sales lines ..." >&2
t0=$(now)
q "SELECT count(*) FROM generate_demo_org(seed => 42, teams => 166, depth => 3, reps => 1000,
                                           customers => $CUSTOMERS, sales_lines => $LINES,
                                           surveys => $(( CUSTOMERS / 2 )), reviews_per_member => 1)" >/dev/null
q "VACUUM ANALYZE" >/dev/null
echo "  generated in $(secs "$t0") s: $(q "SELECT count(*) FROM sale") lines, $(q "SELECT count(*) FROM customer") customers, $(q "SELECT count(*) FROM customer_visit") visits, $(q "SELECT count(*) FROM feedback") feedback, $(q "SELECT count(*) FROM survey_response") surveys" >&2

USER_RHYTHM="SELECT customer_id, count(*)::integer AS purchase_days, min(sold_on) AS first_on, max(sold_on) AS last_on,
                    count(gap)::integer AS gaps, percentile_disc(0.5) WITHIN GROUP (ORDER BY gap) AS median_gap
             FROM (SELECT customer_id, sold_on, sold_on - lag(sold_on) OVER (PARTITION BY customer_id ORDER BY sold_on) AS gap
                   FROM (SELECT DISTINCT customer_id, sold_on FROM sale WHERE amount > 0 AND sold_on <= $DAY) d) g
             GROUP BY customer_id"

FLOOR=$(inmedian 3 "SELECT sum(amount) FROM sale WHERE sold_on <= $DAY")
FLOOR_G=$(inmedian 3 "SELECT count(x.*) FROM (SELECT customer_id, sum(amount) FROM sale WHERE sold_on <= $DAY GROUP BY customer_id) x")
PAR="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0"
FLOOR_P=$(inmedian 3 "$PAR; SELECT sum(amount) FROM sale WHERE sold_on <= $DAY")
FLOOR_GP=$(inmedian 3 "$PAR; SELECT count(x.*) FROM (SELECT customer_id, sum(amount) FROM sale WHERE sold_on <= $DAY GROUP BY customer_id) x")
C_RHYTHM=$(inmedian 3 "SELECT count(x.*) FROM (SELECT customer_id, purchase_rhythm(sold_on) FROM sale
                                              WHERE amount > 0 AND sold_on <= $DAY GROUP BY customer_id) x")
SQL_RHYTHM=$(inmedian 3 "SELECT count(x.*) FROM ($USER_RHYTHM) x")
PHASE1=$(inmedian 3 "SELECT count(x.*) FROM customer_sales_as_of($DAY, 90) x")
OURS=$(inmedian 3 "SELECT count(x.*) FROM customer_risk($DAY) x")
AT_RISK=$(q "SELECT count(*) FILTER (WHERE at_risk) || ' of ' || count(*) FROM customer_risk($DAY)")
# the same answer with the rhythm in plain SQL: a copy of the results first,
# then the sales phase replaced in this database only
q "CREATE TABLE public.ours AS SELECT * FROM customer_risk($DAY)"
q "CREATE OR REPLACE FUNCTION sales_supervisor.customer_sales_as_of(p_day date, p_window integer)
   RETURNS TABLE (customer_id integer, rhythm sales_supervisor.purchase_rhythm_result, year_ago_last_on date,
                  recent_sales numeric, year_ago_sales numeric)
   LANGUAGE sql STABLE PARALLEL SAFE SET search_path = pg_catalog, sales_supervisor, pg_temp AS \$f\$
     WITH r AS (${USER_RHYTHM//$DAY/p_day}),
          t AS (SELECT s.customer_id,
                       max(s.sold_on) FILTER (WHERE s.amount > 0 AND s.sold_on <= (p_day - interval '1 year')::date) AS ya,
                       coalesce(sum(s.amount) FILTER (WHERE s.sold_on > p_day - p_window), 0) AS rs,
                       coalesce(sum(s.amount) FILTER (WHERE s.sold_on > (p_day - interval '1 year')::date - p_window
                                                        AND s.sold_on <= (p_day - interval '1 year')::date), 0) AS ys
                FROM sale s WHERE s.sold_on <= p_day GROUP BY s.customer_id)
     SELECT t.customer_id,
            CASE WHEN r.customer_id IS NOT NULL
                 THEN ROW(r.purchase_days, r.first_on, r.last_on, r.gaps, r.median_gap)::purchase_rhythm_result END,
            t.ya, t.rs, t.ys
     FROM t LEFT JOIN r USING (customer_id)
   \$f\$" >/dev/null
SAME=$(q "SELECT count(*) FROM (SELECT * FROM customer_risk($DAY) EXCEPT SELECT * FROM public.ours) x")
[ "$SAME" = 0 ] || { echo "the plain-SQL rhythm gives a different answer ($SAME rows)" >&2; exit 1; }
PLAIN=$(inmedian 3 "SELECT count(x.*) FROM customer_risk($DAY) x")

ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
echo
echo "customer risk as of 2025-12-31, $CUSTOMERS customers, $(q "SELECT count(*) FROM sale") sales lines ($AT_RISK at risk)"
printf '%-62s %9s %9s %9s\n' "case" "seconds" "/ scan" "/ grouped"
row() { printf '%-62s %9s %9s %9s\n' "$1" "$2" "$(ratio "$2" "$FLOOR")" "$(ratio "$2" "$FLOOR_G")"; }
row "ours: customer_risk (rhythm in C)" "$OURS"
row "plain SQL: customer_risk with the rhythm in SQL" "$PLAIN"
row "ours: sales phase (one pass, customer_sales_scan in C)" "$PHASE1"
row "ours: purchase_rhythm per customer" "$C_RHYTHM"
row "plain SQL: rhythm (DISTINCT, lag, percentile_disc)" "$SQL_RHYTHM"
row "floor: one scan, grouped by customer (sum per customer)" "$FLOOR_G"
row "floor: one scan of the sales lines (sum(amount))" "$FLOOR"
row "floor, 2 parallel workers: grouped by customer" "$FLOOR_GP"
row "floor, 2 parallel workers: one scan" "$FLOOR_P"
echo "ratios: ours / scan $(ratio "$OURS" "$FLOOR") (target <= 3), ours / grouped scan $(ratio "$OURS" "$FLOOR_G"), sales phase / scan $(ratio "$PHASE1" "$FLOOR"), plain SQL / ours $(ratio "$PLAIN" "$OURS"), rhythm SQL / C $(ratio "$SQL_RHYTHM" "$C_RHYTHM")"
