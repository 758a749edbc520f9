#!/usr/bin/env bash
# Scale-out, first slice (issue 18; docs/scale-out.md): a coordinator (this
# throw-away cluster) and two shard clusters started here on ports 5464 and
# 5465 (throw-away, scram password authentication over TCP).
#
# The org: generate_demo_org(seed 5, 4 teams, depth 2, 8 reps, 40 customers,
# 2000 lines, 60 surveys) in the coordinator's database and, with the same seed
# (the same rows and ids), in each shard's; then each shard keeps only its half
# of the lines and their splits (sale_id even: shard a, odd: shard b), so a
# line and its splits are on one shard and the shards together hold exactly
# the coordinator's lines.  The coordinator's own credited_sales_by_month is
# the single-server answer; shard_credited_sales_by_month must equal it to the
# cent, aggregated on the shards (EXPLAIN VERBOSE: the Remote SQL has the
# GROUP BY and this extension's functions, only per-rep and per-month rows come
# back), and a stopped shard or a shard on
# another extension version must be an error naming it, never a total.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

echo "1..28"
. "$(dirname "$0")/shards_lib.sh"
shards_setup shards 5464 5465

ORG="SELECT count(*) FROM generate_demo_org(seed => 5, teams => 4, depth => 2, reps => 8, customers => 40,
                                            sales_lines => 2000, surveys => 60)"
# the shard's data: the org, this shard's half of the lines (triggers and
# foreign keys off for the delete: the other half lives on the other shard),
# and the coordinator's login: reads every row (BYPASSRLS), runs the functions
load_shard() {   # load_shard NAME KEEP(0|1) BYPASS(BYPASSRLS|NOBYPASSRLS)
  sq "$1" "CREATE EXTENSION sales_supervisor" >/dev/null &&
  sq "$1" "$ORG" >/dev/null &&
  sq "$1" "SET session_replication_role = replica;
           DELETE FROM sale_credit WHERE sale_id % 2 <> $2; DELETE FROM sale WHERE sale_id % 2 <> $2" >/dev/null &&
  sq "$1" "CREATE ROLE ss_coordinator LOGIN PASSWORD 'pw-$1' $3; GRANT sales_supervisor_manager TO ss_coordinator" >/dev/null
}

# 1-2: the clusters
new_db "$DB"
trap shards_cleanup EXIT
q "$ORG" >/dev/null
q "CREATE EXTENSION postgres_fdw" >/dev/null
q "CREATE ROLE $REP_ROLE; GRANT sales_supervisor_rep TO $REP_ROLE" >/dev/null
if start_shard a && start_shard b; then ok "two shard clusters started"; else nok "two shard clusters started" "$(cat "$TMP"/*/log 2>/dev/null)"; echo "Bail out!"; exit 1; fi
if load_shard a 0 BYPASSRLS && load_shard b 1 NOBYPASSRLS; then ok "shards hold the org and half of the lines each"
else nok "shards hold the org and half of the lines each"; echo "Bail out!"; exit 1; fi

# 3-6: add_shard -- who may, what it refuses (leaving nothing behind)
out=$(psql -X -q -At -d "$DB" -c "SET ROLE $REP_ROLE" \
        -c "SELECT sales_supervisor.add_shard('a', '127.0.0.1', 5464, 'postgres', 'ss_coordinator', 'pw-a')" 2>&1)
like "a rep may not add a shard" "$out" 'permission denied for function add_shard\|may not add a shard'
out=$(q "SELECT * FROM add_shard('b', '127.0.0.1', 5465, 'postgres', 'ss_coordinator', 'pw-b')" 2>&1)
like "a shard login without BYPASSRLS is refused (its policies would hide lines)" "$out" 'does not read every row'
check "the refused shard left no server, mapping or schema" \
  "$(q "SELECT (SELECT count(*) FROM pg_foreign_server) + (SELECT count(*) FROM pg_user_mappings)
               + (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'sales_supervisor_shard%')")" "0"
sq b "ALTER ROLE ss_coordinator BYPASSRLS" >/dev/null
check "add_shard registers shards a and b (same version)" \
  "$(q "SELECT shard || ':' || extension_version FROM add_shard('a', '127.0.0.1', 5464, 'postgres', 'ss_coordinator', 'pw-a')
        UNION ALL
        SELECT shard || ':' || extension_version FROM add_shard('b', '127.0.0.1', 5465, 'postgres', 'ss_coordinator', 'pw-b')" | tr '\n' ' ')" \
  "a:0.3.0 b:0.3.0 "

# 7-9: status and the credentials
STATUS="SELECT string_agg(format('%s %s %s %s', shard_name, port, reachable, same_version), ', ' ORDER BY shard_name) FROM shard_status()"
check "shard_status: both reachable, same version" "$(q "$STATUS")" "a 5464 t t, b 5465 t t"
check "no sales role reads a shard password (pg_user_mappings options hidden)" \
  "$(psql -X -q -At -d "$DB" -c "SET ROLE $REP_ROLE" -c "SELECT count(*) FILTER (WHERE umoptions IS NOT NULL) || '/' || count(*) FROM pg_user_mappings")" \
  "0/2"
out=$(psql -X -q -At -d "$DB" -c "SET ROLE $REP_ROLE" -c "SELECT count(*) FROM sales_supervisor_shard_a.sale" 2>&1)
like "a sales role cannot read the shards' foreign tables around row-level security" "$out" 'permission denied'

# 10-14: the same credited sales as one server, to the cent
Y="'2025-01-01', '2025-12-31'"
check "shard_credited_sales_by_month = credited_sales_by_month of the single server, row for row" \
  "$(q "SELECT count(*) FROM ((SELECT * FROM credited_sales_by_month($Y) EXCEPT ALL SELECT * FROM shard_credited_sales_by_month($Y))
                              UNION ALL
                              (SELECT * FROM shard_credited_sales_by_month($Y) EXCEPT ALL SELECT * FROM credited_sales_by_month($Y))) d")" "0"
check "the same number of rows, lines and cents" \
  "$(q "SELECT count(*) || ' ' || sum(lines) || ' ' || sum(amount) FROM shard_credited_sales_by_month($Y)")" \
  "$(q "SELECT count(*) || ' ' || sum(lines) || ' ' || sum(amount) FROM credited_sales_by_month($Y)")"
# (on each shard: on the coordinator, which here also holds every line,
# credited_line adds the shards' lines to its own since issue 18 part 4)
CL_DIFF="SELECT count(*) FROM ((SELECT * FROM credited_sales($Y) EXCEPT ALL
                               SELECT sale_id, sold_on, member_id, share_pct, amount, refund_of FROM credited_line WHERE sold_on BETWEEN $(echo $Y | sed 's/,/ AND/'))
                              UNION ALL
                              (SELECT sale_id, sold_on, member_id, share_pct, amount, refund_of FROM credited_line WHERE sold_on BETWEEN $(echo $Y | sed 's/,/ AND/')
                               EXCEPT ALL SELECT * FROM credited_sales($Y))) d"
check "credited_line (what a shard aggregates) = credited_sales on each shard, line by line" \
  "$(sq a "$CL_DIFF") $(sq b "$CL_DIFF") $(sq a "SELECT count(*) > 0 FROM credited_line")$(sq b "SELECT count(*) > 0 FROM credited_line")" "0 0 tt"
check "on the coordinator credited_line = its own lines and the shards' (shard_line_rows), for the owner" \
  "$(q "SELECT count(*) FROM credited_line")" "$(( $(q "SELECT count(*) FROM credited_sales('-infinity', 'infinity')") + $(sq a "SELECT count(*) FROM credited_line") + $(sq b "SELECT count(*) FROM credited_line") ))"
# independent of both: credit only moves money between reps, so the year's
# credited total is the year's booked total
check "credited total = the lines' total on the coordinator (splits conserve money)" \
  "$(q "SELECT sum(amount) FROM shard_credited_sales_by_month($Y)")" \
  "$(q "SELECT sum(amount) FROM sale WHERE sold_on BETWEEN '2025-01-01' AND '2025-12-31'")"
check "the split lines are on the shards (a line and its splits together)" \
  "$(( $(sq a "SELECT count(*) FROM sale_credit sc JOIN sale s USING (sale_id)") + $(sq b "SELECT count(*) FROM sale_credit sc JOIN sale s USING (sale_id)") ))" \
  "$(q "SELECT count(*) FROM sale_credit")"

# 15-16: credit_moves (what a shard sums for a year): per rep, month and refund,
# dropping the groups that net no line, it is credited_sales_by_month of the
# shard's own lines, on each shard; and a month (read over credited_line) is
# the single server's month
MV_DIFF="WITH m AS (SELECT member_id, month_start(sold_on) AS month, refund_of IS NOT NULL AS refunds, sum(lines)::bigint AS lines,
                          sum(amount) AS amount FROM credit_moves WHERE sold_on BETWEEN $(echo $Y | sed 's/,/ AND/')
                   GROUP BY 1, 2, 3 HAVING sum(lines) <> 0)
         SELECT count(*) FROM ((SELECT * FROM m EXCEPT ALL SELECT * FROM credited_sales_by_month($Y))
                               UNION ALL (SELECT * FROM credited_sales_by_month($Y) EXCEPT ALL SELECT * FROM m)) d"
check "credit_moves summed per rep and month = credited_sales_by_month on each shard" \
  "$(sq a "$MV_DIFF") $(sq b "$MV_DIFF") $(sq a "SELECT count(*) FILTER (WHERE lines = -1) > 0 FROM credit_moves")" "0 0 t"
M="'2025-03-01', '2025-03-31'"
check "a month from the shards (credited_line) = credited_sales_by_month of the single server, row for row" \
  "$(q "SELECT count(*) FROM ((SELECT * FROM credited_sales_by_month($M) EXCEPT ALL SELECT * FROM shard_credited_sales_by_month($M))
                              UNION ALL
                              (SELECT * FROM shard_credited_sales_by_month($M) EXCEPT ALL SELECT * FROM credited_sales_by_month($M))) d")
   $(q "SELECT count(*) > 0 FROM credited_sales_by_month($M)")" "0
   t"

# 17-23: pushdown, from EXPLAIN (VERBOSE, ANALYZE) of the query the function runs
QUERY=$(q "SELECT shard_credit_query()" | tr '\n' ' ')
PLAN=$(psql -X -q -At -d "$DB" -c "PREPARE p(date, date) AS $QUERY" \
         -c "EXPLAIN (VERBOSE, ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE p($Y)")
AGG_REMOTE=$(printf '%s\n' "$PLAN" | grep -c 'Remote SQL: SELECT member_id, sales_supervisor.month_start(sold_on), (refund_of IS NOT NULL), sum(lines), sum(amount) FROM sales_supervisor.credit_moves WHERE .* GROUP BY 1, 2, 3')
check "the year: each shard sums its credit_moves: Remote SQL with GROUP BY and month_start, once per shard" "$AGG_REMOTE" "2" "$PLAN"
MPLAN=$(psql -X -q -At -d "$DB" -c "PREPARE p(date, date) AS $QUERY" \
         -c "EXPLAIN (VERBOSE, ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE p($M)")
# (whether a shard also groups a month's lines is the planner's choice from
# the estimates: this small org's month has about as many lines as groups)
check "a month: each shard reads its credited_line instead (Remote SQL), not credit_moves" \
  "$(printf '%s\n' "$MPLAN" | grep -c 'Remote SQL: SELECT .* FROM sales_supervisor.credited_line WHERE') $(printf '%s\n' "$MPLAN" | grep -c 'credit_moves') $(printf '%s\n' "$MPLAN" | grep -c 'Foreign Scan')" "2 0 2" "$MPLAN"
check "the shard sessions plan the coordinator's cursors for all their rows (cursor_tuple_fraction 1)" \
  "$(q "SELECT count(*) FROM pg_foreign_server WHERE srvname LIKE 'ss_shard_%' AND 'options=-c cursor_tuple_fraction=1' = ANY (srvoptions)")" "2"
check "the shards work at the same time (two Async Foreign Scans of the aggregate)" \
  "$(printf '%s\n' "$PLAN" | grep -A2 'Async Foreign Scan' | grep -c 'Aggregate on')" "2"
check "nothing but the shards' aggregates is read remotely (no line, no split comes back)" \
  "$(printf '%s\n' "$PLAN" | grep -c 'Foreign Scan')" "2"
# rows received: at most reps x months x 2 (sales, refunds) per shard
RECEIVED=$(printf '%s\n' "$PLAN" | grep -A1 'Async Foreign Scan' | grep -o 'actual rows=[0-9]*' | cut -d= -f2 | awk '{ s += $1 } END { print s }')
BOUND=$(q "SELECT count(*) * 12 * 2 * 2 FROM member WHERE level = 'sales_rep'")
echo "# rows received from the shards' aggregates: $RECEIVED (bound reps x 12 x 2 x 2 shards = $BOUND)"
if [ -n "$RECEIVED" ] && [ "$RECEIVED" -le "$BOUND" ] && [ "$RECEIVED" -gt 0 ]; then ok "rows received from the shards: $RECEIVED <= $BOUND, not 2000 lines"
else nok "rows received from the shards <= $BOUND" "$RECEIVED"; fi
check "this extension's aggregates ship too (weighted_score in the Remote SQL)" \
  "$(q "EXPLAIN (VERBOSE, COSTS OFF) SELECT member_id, month_start(sold_on), weighted_score(amount::float8, 1)
        FROM sales_supervisor_shard_a.sale GROUP BY 1, 2" | grep -c 'Remote SQL: .*sales_supervisor.weighted_score(.*GROUP BY 1, 2')" "1"

# 24-25: another extension version on a shard is refused
sq b "UPDATE pg_extension SET extversion = '0.2.0' WHERE extname = 'sales_supervisor'" >/dev/null
check "shard_status shows the version mismatch" \
  "$(q "SELECT format('%s %s %s', shard_name, same_version, problem) FROM shard_status() WHERE shard_name = 'b'")" \
  "b f runs sales_supervisor 0.2.0, the coordinator 0.3.0"
out=$(q "SELECT * FROM shard_credited_sales_by_month($Y)" 2>&1)
like "a read refuses a shard on another version" "$out" 'shard "b" runs sales_supervisor 0.2.0, the coordinator 0.3.0'
sq b "UPDATE pg_extension SET extversion = '0.3.0' WHERE extname = 'sales_supervisor'" >/dev/null

# 26-27: a stopped shard is an error naming it, not a smaller total
"${AS[@]}" "$BIN/pg_ctl" -D "$TMP/b/data" -m fast -w stop >/dev/null
check "shard_status: b unreachable, a still fine" \
  "$(q "SELECT string_agg(format('%s %s', shard_name, reachable), ', ' ORDER BY shard_name) FROM shard_status()")" "a t, b f"
out=$(q "SELECT count(*), sum(amount) FROM shard_credited_sales_by_month($Y)" 2>&1)
like "with shard b stopped the read is an error naming it, no total" "$out" '^ERROR:  shard "b" is unreachable: nothing was computed' \
  "$out"
finish
