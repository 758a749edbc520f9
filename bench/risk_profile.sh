#!/usr/bin/env bash
# Where the time of customer_risk and pace_to_quota goes (issue 19): one
# generated org (seed 42, 1 000 reps, 166 teams, CUSTOMERS customers, LINES
# lines of 2025, the year's quotas), each phase timed (median of 3) against
# the floors, then -- when perf(1) is there and may read the backend -- the
# functions the two line passes spend their time in (perf record of the
# backend while it runs them, top 25 symbols).
#   flock /tmp/ss_install.lock bench/risk_profile.sh [LINES [CUSTOMERS]]
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-10000000}
CUSTOMERS=${2:-100000}
. bench/cluster.sh
bench_cluster "$LINES" "$CUSTOMERS"
bench_db sales_supervisor_bench_profile
t0=$(now)
q "SELECT count(*) FROM generate_demo_org(seed => 42, teams => 166, depth => 3, reps => 1000,
                                           customers => $CUSTOMERS, sales_lines => $LINES,
                                           surveys => $(( CUSTOMERS / 2 )), reviews_per_member => 1)" >/dev/null
q "SELECT count(*) FROM allocate_quotas(2025, (SELECT round(sum(amount), -5) FROM sale), basis => 'potential')" >/dev/null
q "VACUUM ANALYZE" >/dev/null
echo "generated in $(secs "$t0") s" >&2
D="date '2025-12-31'"
E="(date '2025-12-31' + 1)::timestamptz"
S="customer_risk_settings()"
t() { printf '%-66s %s\n' "$1" "$(inmedian 3 "$2")"; }
t "floor: flat scan sum(amount)" "SELECT sum(amount) FROM sale WHERE sold_on <= $D"
t "floor: flat scan count(*)" "SELECT count(*) FROM sale WHERE sold_on <= $D"
t "floor: grouped by customer, count(*)" "SELECT count(x.*) FROM (SELECT customer_id, count(*) FROM sale WHERE sold_on <= $D GROUP BY 1) x"
t "floor: grouped by customer, sum(amount)" "SELECT count(x.*) FROM (SELECT customer_id, sum(amount) FROM sale WHERE sold_on <= $D GROUP BY 1) x"
t "phase 1 customer_sales_as_of (one pass, C)" "SELECT count(x.*) FROM customer_sales_as_of($D, 90) x"
t "phase 2 customer_contact_as_of" "SELECT count(x.*) FROM customer_contact_as_of($D, $E, $S) x"
t "phases 1-3 customer_rhythm_as_of" "SELECT count(x.*) FROM customer_rhythm_as_of($D, $E, $S) x"
t "phases 1-4 customer_risk_facts" "SELECT count(x.*) FROM customer_risk_facts($D, $E, $S) x"
t "phases 1-5 customer_risk_at" "SELECT count(x.*) FROM customer_risk_at($D, $E) x"
t "customer_risk" "SELECT count(x.*) FROM customer_risk($D) x"
P="date '2025-06-15'"
PTS="(SELECT array_agg(period_id ORDER BY start_on DESC) FROM fiscal_period WHERE kind = 'month' AND start_on BETWEEN '2025-01-01' AND '2025-06-01'),
     ARRAY[date '2025-06-15', '2025-05-15', '2025-04-15', '2025-03-15', '2025-02-15', '2025-01-15']"
t "pace floor: lines read, sum per rep" "SELECT count(*) FROM (SELECT member_id, sum(amount) FROM sale WHERE sold_on BETWEEN '2025-01-01' AND '2025-06-15' GROUP BY 1) x"
t "pace floor: lines read, flat sum" "SELECT sum(amount) FROM sale WHERE sold_on BETWEEN '2025-01-01' AND '2025-06-15'"
t "pace_to_quota" "SELECT count(*) FROM pace_to_quota($P, 'month')"
t "pace_points_sales (the pass over the lines)" "SELECT count(x.*) FROM pace_points_sales($PTS, $P) x"
t "pace_points (+ pipeline, quota, teams)" "SELECT count(x.*) FROM pace_points($PTS, $P) x"
# the parts of pace_points_sales: its arrays, the credit rows, and its pace_line_scan
q "CREATE FUNCTION public.pace_scan_only(p_period integer[], p_as_of date[], p_through date, p_credits boolean, p_scan boolean)
   RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog, sales_supervisor AS \$f\$
   DECLARE
     v_lo date := (SELECT min(fp.start_on) FROM fiscal_period fp WHERE fp.period_id = ANY (p_period));
     v_hi date := least((SELECT max(fp.end_on) FROM fiscal_period fp WHERE fp.period_id = ANY (p_period)), p_through);
     v_k integer[];
     v_moved integer[] := (SELECT coalesce(array_agg(a.member_id), '{}')
                           FROM (SELECT ma.member_id FROM member_assignment ma GROUP BY 1 HAVING count(*) > 1) a);
     v_credits bytea;
     v bigint := 0;
   BEGIN
     SELECT array_agg(x.k ORDER BY x.day) INTO v_k
     FROM (SELECT d::date AS day, min(u.k) AS k FROM generate_series(v_lo, v_hi, interval '1 day') d
           LEFT JOIN (unnest(p_period, p_as_of) WITH ORDINALITY AS u(period_id, as_of, k)
                      JOIN fiscal_period fp ON fp.period_id = u.period_id) ON d::date BETWEEN fp.start_on AND fp.end_on
           GROUP BY 1) x;
     IF p_credits THEN
       v_credits := (SELECT pace_credit_rows(sc.sale_id, sc.member_id, sc.share_pct) FROM sale_credit sc);
     END IF;
     IF p_scan THEN
       SELECT count(*) INTO v FROM unnest((SELECT pace_line_scan(s.sale_id, s.member_id, s.sold_on, s.amount, v_lo, v_k,
                                                                 p_as_of, v_moved, v_credits)
                                           FROM sale s WHERE s.sold_on >= v_lo AND s.sold_on <= v_hi)) r;
     END IF;
     RETURN v;
   END \$f\$" >/dev/null
t "  its arrays (points by day, moved reps)" "SELECT public.pace_scan_only($PTS, $P, false, false)"
t "  its arrays and the credit rows (pace_credit_rows)" "SELECT public.pace_scan_only($PTS, $P, true, false)"
t "  its arrays, the credit rows and pace_line_scan" "SELECT public.pace_scan_only($PTS, $P, true, true)"
if command -v perf >/dev/null; then
  prof() {
    local pid; pid=$(mktemp); rm -f "$pid"
    psql -X -q -At -d "$DB" -c "SET search_path = sales_supervisor, public" \
      -c "SELECT pg_backend_pid()" -c "SELECT pg_sleep(1)" -c "$2" -c "$2" > "$pid.out" &
    sleep 0.5
    local bp; bp=$(psql -X -q -At -d "$DB" -c "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' LIMIT 1")
    perf record -q -F 499 -g -p "$bp" -o "$pid.perf" -- sleep "$3" >/dev/null 2>&1 || true
    wait
    echo "== perf: $1 (backend $bp, ${3} s)"
    perf report -q --no-children -i "$pid.perf" --stdio --sort symbol 2>/dev/null | grep -E '^ +[0-9.]+%' | head -25 || true
    rm -f "$pid.perf" "$pid.out"
  }
  prof "customer_sales_as_of" "SELECT count(x.*) FROM customer_sales_as_of($D, 90) x" 8
  prof "pace_points_sales" "SELECT count(x.*) FROM pace_points_sales($PTS, $P) x" 4
fi
