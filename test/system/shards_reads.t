#!/usr/bin/env bash
# Scale-out, the year's other heavy reads (issue 18, part 2; docs/scale-out.md):
# the customer metrics (nps, csat) and a BI view (v_forecast_accuracy with
# wape, forecast_bias, mape) read from two shard clusters (throw-away, ports
# 5470 and 5471, scram password authentication over TCP), equal to a single
# server exactly.
#
# The org: generate_demo_org(seed 7, 4 teams, depth 2, 8 reps, 40 customers,
# 1500 lines, 400 surveys, changes => true: transfers mid-year) in the
# coordinator's database and, with the same seed (the same rows and ids), in
# each shard's; each shard then keeps only its half of the lines (sale_id
# even: shard a, odd: b) and of the survey answers (response_id even: a, odd:
# b).  The coordinator's own aggregates and views are the single-server answer.
# Per shard only counts come back (the components of nps and csat), and the
# coordinator combines their sums: nps_from_counts / csat_from_counts must
# give the aggregates' digits exactly.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "1..30"
. "$(dirname "$0")/shards_lib.sh"
shards_setup shards_reads 5470 5471

ORG="SELECT count(*) FROM generate_demo_org(seed => 7, teams => 4, depth => 2, reps => 8, customers => 40,
                                            sales_lines => 1500, surveys => 400, changes => true)"
load_shard() {   # load_shard NAME KEEP(0|1)
  sq "$1" "CREATE EXTENSION sales_supervisor" >/dev/null &&
  sq "$1" "$ORG" >/dev/null &&
  sq "$1" "SET session_replication_role = replica;
           DELETE FROM sale_credit WHERE sale_id % 2 <> $2; DELETE FROM sale WHERE sale_id % 2 <> $2;
           DELETE FROM survey_response WHERE response_id % 2 <> $2" >/dev/null &&
  sq "$1" "CREATE ROLE ss_coordinator LOGIN PASSWORD 'pw-$1' BYPASSRLS; GRANT sales_supervisor_manager TO ss_coordinator" >/dev/null
}

# 1-3: the clusters, the shards registered
new_db "$DB"
trap shards_cleanup EXIT
q "$ORG" >/dev/null
q "CREATE EXTENSION postgres_fdw" >/dev/null
q "CREATE ROLE $REP_ROLE; GRANT sales_supervisor_rep TO $REP_ROLE" >/dev/null
if start_shard a && start_shard b; then ok "two shard clusters started"; else nok "two shard clusters started" "$(cat "$TMP"/*/log 2>/dev/null)"; echo "Bail out!"; exit 1; fi
if load_shard a 0 && load_shard b 1; then ok "shards hold the org and half of the lines and answers each"
else nok "shards hold the org and half of the lines and answers each"; echo "Bail out!"; exit 1; fi
check "add_shard registers a and b, their survey answers imported too" \
  "$(q "SELECT count(*) FROM (SELECT * FROM add_shard('a', '127.0.0.1', 5470, 'postgres', 'ss_coordinator', 'pw-a')
                              UNION ALL SELECT * FROM add_shard('b', '127.0.0.1', 5471, 'postgres', 'ss_coordinator', 'pw-b')) x")/$(q "SELECT count(*) FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid WHERE c.relname = 'survey_response'")" \
  "2/2"

# 4-8: the combination of components, by hand and against the aggregates
# nps over 9, 10, 10, 7, 3: promoters 3, detractors 1, answers 5 -> 100 * 2 / 5 = 40
check "nps_from_counts(3, 1, 5) = 40 = nps() of 9, 10, 10, 7, 3" \
  "$(q "SELECT nps_from_counts(3, 1, 5) = 40 AND nps_from_counts(3, 1, 5) = (SELECT nps(x) FROM unnest(ARRAY[9, 10, 10, 7, 3]) x)")" "t"
# a repeating decimal: 10, 7, 8 -> 100 * 1 / 3, the aggregate's own digits
check "nps_from_counts(1, 0, 3) has the aggregate's digits (33.33...)" \
  "$(q "SELECT nps_from_counts(1, 0, 3)::text || ' ' || (SELECT nps(x) FROM unnest(ARRAY[10, 7, 8]) x)::text")" \
  "33.3333333333333333 33.3333333333333333"
# csat over 5, 4, 2, 1, 3, 4, 5: satisfied 4 of 7 -> 400 / 7
check "csat_from_counts(4, 7) = csat() of 5, 4, 2, 1, 3, 4, 5, digit for digit" \
  "$(q "SELECT csat_from_counts(4, 7)::text = (SELECT csat(x)::text FROM unnest(ARRAY[5, 4, 2, 1, 3, 4, 5]) x)")" "t"
check "no answers: NULL, as the aggregates" "$(q "SELECT coalesce(nps_from_counts(0, 0, 0)::text, 'null') || ' ' || coalesce(csat_from_counts(0, 0)::text, 'null')")" "null null"
out=$(q "SELECT nps_from_counts(3, 3, 5)" 2>&1)
like "counts that cannot come from one set of answers: 22023" "$out" 'are not counts of one set of answers'

# 9-12: the survey metrics over the shards = one server
ALL="'-infinity', 'infinity'"
check "shard_survey_metrics per customer = count, nps(), csat() of one server, exactly" \
  "$(q "WITH one AS (SELECT sr.customer_id, count(*) AS responses, nps(sr.nps) AS nps, csat(sr.csat) AS csat, max(sr.answered_at) AS last
                     FROM survey_response sr GROUP BY 1),
             sh AS (SELECT customer_id, responses, nps, csat, last_response_at FROM shard_survey_metrics($ALL))
        SELECT (SELECT count(*) FROM one) || ' ' ||
               (SELECT count(*) FROM ((TABLE one EXCEPT ALL TABLE sh) UNION ALL (TABLE sh EXCEPT ALL TABLE one)) d)")" \
  "$(q "SELECT count(DISTINCT customer_id) FROM survey_response") 0"
check "per owner: nps_from_counts of the summed components = nps() of one server (csat likewise), exactly" \
  "$(q "WITH one AS (SELECT cu.owner_id, nps(sr.nps) AS nps, csat(sr.csat) AS csat
                     FROM survey_response sr JOIN customer cu USING (customer_id) GROUP BY 1),
             sh AS (SELECT owner_id, nps_from_counts(sum(promoters)::bigint, sum(detractors)::bigint, sum(nps_answers)::bigint),
                           csat_from_counts(sum(satisfied)::bigint, sum(csat_answers)::bigint)
                    FROM shard_survey_metrics($ALL) GROUP BY 1)
        SELECT count(*) FROM ((TABLE one EXCEPT ALL TABLE sh) UNION ALL (TABLE sh EXCEPT ALL TABLE one)) d")" "0"
# the year as kpi_measure_service reads it (answered_at in the session's time zone)
check "the year's answers per owner, rounded as kpi_measure stores them, = one server" \
  "$(q "WITH one AS (SELECT cu.owner_id, round(nps(sr.nps), 4), round(csat(sr.csat), 4)
                     FROM survey_response sr JOIN customer cu USING (customer_id)
                     WHERE sr.answered_at >= '2025-01-01'::date::timestamptz AND sr.answered_at < '2026-01-01'::date::timestamptz GROUP BY 1),
             sh AS (SELECT owner_id, round(nps_from_counts(sum(promoters)::bigint, sum(detractors)::bigint, sum(nps_answers)::bigint), 4),
                           round(csat_from_counts(sum(satisfied)::bigint, sum(csat_answers)::bigint), 4)
                    FROM shard_survey_metrics('2025-01-01', '2025-12-31') GROUP BY 1)
        SELECT (SELECT count(*) FROM one) > 0 AND
               (SELECT count(*) FROM ((TABLE one EXCEPT ALL TABLE sh) UNION ALL (TABLE sh EXCEPT ALL TABLE one)) d) = 0")" "t"
check "the answers are really split: each shard holds some, together all" \
  "$(sq a "SELECT count(*) > 0 FROM survey_response") $(( $(sq a "SELECT count(*) FROM survey_response") + $(sq b "SELECT count(*) FROM survey_response") ))" \
  "t $(q "SELECT count(*) FROM survey_response")"

# 13-15: pushdown of the survey components
PLAN=$(q "SELECT shard_survey_query()" | tr '\n' ' ')
PLAN=$(psql -X -q -At -d "$DB" -c "PREPARE p(timestamptz, timestamptz) AS $PLAN" \
         -c "EXPLAIN (VERBOSE, ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE p('-infinity', 'infinity')")
check "each shard counts its answers: Remote SQL with the FILTERed counts and GROUP BY, once per shard" \
  "$(printf '%s\n' "$PLAN" | grep -c 'Remote SQL: SELECT customer_id, count(\*), count(nps), count(\*) FILTER (WHERE (nps >= 9)), count(\*) FILTER (WHERE (nps <= 6)), count(csat), count(\*) FILTER (WHERE (csat >= 4)), max(answered_at) FROM sales_supervisor.survey_response WHERE .* GROUP BY 1')" \
  "2" "$PLAN"
check "the shards count at the same time (two Async Foreign Scans of the aggregate)" \
  "$(printf '%s\n' "$PLAN" | grep -A2 'Async Foreign Scan' | grep -c 'Aggregate on')" "2"
RECEIVED=$(printf '%s\n' "$PLAN" | grep -A1 'Async Foreign Scan' | grep -o 'actual rows=[0-9]*' | cut -d= -f2 | awk '{ s += $1 } END { print s }')
BOUND=$(q "SELECT count(*) * 2 FROM customer")
echo "# rows received for the survey components: $RECEIVED (bound customers x 2 shards = $BOUND; answers: $(q "SELECT count(*) FROM survey_response"))"
if [ -n "$RECEIVED" ] && [ "$RECEIVED" -gt 0 ] && [ "$RECEIVED" -le "$BOUND" ]; then ok "rows received: $RECEIVED <= customers x shards, not one per answer"
else nok "rows received <= customers x shards" "$RECEIVED"; fi

# 16-19: the BI view v_forecast_accuracy over the shards = the single server's
q "REFRESH MATERIALIZED VIEW v_credited_sales_daily" >/dev/null
check "shard_forecast_accuracy = v_forecast_accuracy of one server, row for row (wape, bias, mape to 6 decimals)" \
  "$(q "SELECT (SELECT count(*) FROM v_forecast_accuracy) || ' ' || count(*) FROM (
          (SELECT * FROM v_forecast_accuracy EXCEPT ALL SELECT * FROM shard_forecast_accuracy())
          UNION ALL (SELECT * FROM shard_forecast_accuracy() EXCEPT ALL SELECT * FROM v_forecast_accuracy)) d")" \
  "$(q "SELECT count(*) FROM v_forecast_accuracy") 0"
check "with sales and wapes: the comparison is not of empty columns" \
  "$(q "SELECT count(*) FILTER (WHERE wape IS NOT NULL) > 4 AND sum(actual_total) > 0 FROM shard_forecast_accuracy()")" "t"
PLAN=$(q "SELECT shard_forecast_query()" | tr '\n' ' ')
PLAN=$(psql -X -q -At -d "$DB" -c "PREPARE p(date, date) AS $PLAN" \
         -c "EXPLAIN (VERBOSE, ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE p('2025-01-01', '2025-12-31')" 2>&1)
printf '%s\n' "$PLAN" | grep -E 'ERROR|Foreign Scan|Remote SQL|Relations' | sed 's/^/# /'
check "its actuals are aggregated on the shards (Remote SQL: month_start and GROUP BY over credit_moves for the year, per shard)" \
  "$(printf '%s\n' "$PLAN" | grep -c 'Remote SQL: SELECT member_id, sales_supervisor.month_start(sold_on), .*sum(lines), sum(amount) FROM sales_supervisor.credit_moves WHERE .* GROUP BY 1, 2, 3')" \
  "2"
check "...the shards at the same time (two Async Foreign Scans: no projection above them)" \
  "$(printf '%s\n' "$PLAN" | grep -c 'Async Foreign Scan')" "2"
RECEIVED=$(printf '%s\n' "$PLAN" | grep 'Foreign Scan' | grep -o 'actual rows=[0-9]*' | cut -d= -f2 | awk '{ s += $1 } END { print s }')
BOUND=$(q "SELECT count(*) * 12 * 2 * 2 FROM member WHERE level = 'sales_rep'")
echo "# rows received for the forecast accuracy: $RECEIVED (bound reps x 12 x 2 x 2 shards = $BOUND; lines: $(q "SELECT count(*) FROM sale"))"
if [ -n "$RECEIVED" ] && [ "$RECEIVED" -gt 0 ] && [ "$RECEIVED" -le "$BOUND" ]; then ok "rows received: $RECEIVED <= reps x months x 2 x shards"
else nok "rows received <= reps x months x 2 x shards" "$RECEIVED"; fi

# the KPIs' fact read: credited sales per rep, team on the sale date and month
check "no commission run has credited the year (credit_by_team_month then reads the lines, not a ledger)" \
  "$(q "SELECT count(*) FROM commission_period_lock")" "0"
check "shard_credit_by_team_month = credit_by_team_month of one server, row for row" \
  "$(q "SELECT (SELECT count(*) FROM credit_by_team_month('2025-01-01', '2025-12-31')) || ' ' || count(*) FROM (
          (SELECT * FROM credit_by_team_month('2025-01-01', '2025-12-31') EXCEPT ALL SELECT * FROM shard_credit_by_team_month('2025-01-01', '2025-12-31'))
          UNION ALL (SELECT * FROM shard_credit_by_team_month('2025-01-01', '2025-12-31') EXCEPT ALL SELECT * FROM credit_by_team_month('2025-01-01', '2025-12-31'))) d")" \
  "$(q "SELECT count(*) FROM credit_by_team_month('2025-01-01', '2025-12-31')") 0"
check "...including months in which a rep changed team (read per day for those reps only)" \
  "$(q "SELECT count(*) > 0 FROM (SELECT member_id, month FROM shard_credit_by_team_month('2025-01-01', '2025-12-31')
                                   GROUP BY 1, 2 HAVING count(DISTINCT team_id) > 1) x")" "t"
PLAN=$(q "SELECT shard_day_query()" | tr '\n' ' ')
PLAN=$(psql -X -q -At -d "$DB" -c "PREPARE p(date, date, integer[], date[]) AS $PLAN" \
         -c "EXPLAIN (VERBOSE, COSTS OFF) EXECUTE p('2025-01-01', '2025-12-31', '{1,2,3}', '{2025-03-01,2025-04-01}')" 2>&1)
printf '%s\n' "$PLAN" | grep -E 'ERROR|Remote SQL' | sed 's/^/# /'
# (whether a shard also groups them per day is the planner's choice by the
# estimates: a rep has about one line a day, so there is little to group)
check "the per-day read sends the reps and months to the shards: only the moved reps' lines of those months come back" \
  "$(printf '%s\n' "$PLAN" | grep -c 'Remote SQL: SELECT .* FROM sales_supervisor.credited_line WHERE .*member_id = ANY (.*::integer\[\]).*sales_supervisor.month_start(sold_on) = ANY (.*::date\[\])')" \
  "2"

# the KPI measures whose facts the shards hold, by kpi_measure's own family
# functions over tables filled from the shards, against kpi_measure on one server
CYCLE=$(q "SELECT min(cycle_id) FROM appraisal_cycle")
# (targets for the KPIs without a natural one, which kpi_measure requires; 1 each)
q "INSERT INTO kpi_target (cycle_id, kpi_id, level, target)
   SELECT w.cycle_id, w.kpi_id, w.level, 1 FROM kpi_weight w JOIN kpi_definition d USING (kpi_id)
   JOIN kpi_metrics() km ON km.metric = d.metric
   WHERE w.cycle_id = $CYCLE AND km.needs_target
     AND NOT EXISTS (SELECT 1 FROM kpi_target t WHERE t.cycle_id = w.cycle_id AND t.kpi_id = w.kpi_id AND t.level = w.level)" >/dev/null
q "CREATE TABLE one_kpi AS SELECT km.member_id, d.metric, km.actual FROM kpi_measure($CYCLE) km
   JOIN kpi_definition d USING (kpi_id) WHERE d.metric IN ('sales_amount', 'team_sales_amount', 'forecast_wape', 'csat', 'nps')" >/dev/null
check "shard_kpi_measure = kpi_measure of one server for every member and KPI it measures (sales, team sales, forecast wape, csat)" \
  "$(q "SELECT count(DISTINCT o.metric) || ' ' || (count(*) > 8) || ' ' || count(*) FILTER (WHERE s.actual IS DISTINCT FROM o.actual)
        FROM one_kpi o LEFT JOIN shard_kpi_measure($CYCLE) s USING (member_id, metric)")" "4 true 0"
check "...and it measures no member kpi_measure leaves out (a metric with data there has data here)" \
  "$(q "SELECT count(*) FROM shard_kpi_measure($CYCLE) s JOIN one_kpi o USING (member_id, metric)")" "$(q "SELECT count(*) FROM one_kpi")"

# an HR login of its own (session_user, not SET ROLE): the inner reads act for
# the caller's login, not for the extension owner the function runs as
q "CREATE ROLE ${REP_ROLE}_hr LOGIN; GRANT sales_supervisor_hr TO ${REP_ROLE}_hr" >/dev/null
out=$(psql -X -q -At -d "$DB" -c "SET SESSION AUTHORIZATION ${REP_ROLE}_hr" \
        -c "SELECT count(*) > 8 FROM sales_supervisor.shard_kpi_measure($CYCLE)" 2>&1)
check "an HR login of its own runs shard_kpi_measure" "$out" "t"
q "DROP OWNED BY ${REP_ROLE}_hr; DROP ROLE ${REP_ROLE}_hr" >/dev/null

out=$(psql -X -q -At -d "$DB" -c "SET ROLE $REP_ROLE" -c "SELECT * FROM sales_supervisor.shard_survey_metrics('-infinity', 'infinity')" 2>&1)
like "a rep may not read the shards' surveys" "$out" 'permission denied for function shard_survey_metrics'

# 21-22: a stopped shard is an error naming it, not a smaller figure
"${AS[@]}" "$BIN/pg_ctl" -D "$TMP/b/data" -m fast -w stop >/dev/null
out=$(q "SELECT count(*) FROM shard_survey_metrics($ALL)" 2>&1)
like "with shard b stopped the survey metrics are an error naming it" "$out" '^ERROR:  shard "b" is unreachable: nothing was computed'
out=$(q "SELECT count(*) FROM shard_forecast_accuracy()" 2>&1)
like "with shard b stopped the forecast accuracy is an error naming it" "$out" '^ERROR:  shard "b" is unreachable: nothing was computed'
finish
