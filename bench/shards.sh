#!/usr/bin/env bash
# Scale-out (issue 18, docs/scale-out.md): the year's credited sales per rep
# and month read from 1, 2 and 4 shards against the single server.
#
#   bench/shards.sh [LINES [REPS]]            (defaults 2000000 lines, 1000 reps)
#
# Builds and installs, starts a throw-away coordinator (bench/cluster.sh) that
# is also the single server: generate_demo_org (seed 42) there.  Starts four
# shard clusters (ports 5474-5477, serial, JIT off and shared_buffers 2GB like the coordinator), each
# with the extension and a coordinator login (BYPASSRLS).  For 1, 2 and 4
# shards: shard j holds the lines with sale_id % k = j and their splits
# (COPY from the coordinator, triggers off: the shards need no reference rows
# to be read), add_shard registers them; then, on the coordinator:
#   ours   shard_credited_sales_by_month(year): each shard sums its
#          credit_moves (its lines as booked, its split lines moved between
#          reps, split there; credited_line for spans under 62 days), all
#          shards at once;
#   sql    credited_sales_by_month(year) on the single server (what one server
#          does today);
#   floor  one GROUP BY rep and month over the single server's lines, splits
#          ignored (a scan and a hash aggregate of every line).
#   year   the whole sales year on the coordinator (the steps of
#          bench/sales_year.sh: quotas, their proration, KPIs, twelve
#          commission runs, the appraisal close, promotions, year-end pay), in
#          one transaction rolled back, against the same on the single server
#          (before any shard is registered): the faster of two runs each.
# Medians of 5 runs; rows received = the rows of the shards' foreign scans
# (EXPLAIN ANALYZE), with the bound reps x months x 2 (sales, refunds) x shards;
# and the sharded result must equal the single server's to the cent.
# All clusters share this machine's cores: with 2 cores, 2 shards can at best
# halve the read, 4 shards cannot do better than 2.
# Hold /tmp/ss_install.lock around it on a shared machine:
#   flock /tmp/ss_install.lock bench/shards.sh 10000000
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-2000000}
REPS=${2:-1000}
. bench/cluster.sh
bench_cluster "$LINES" "$REPS"
bench_db sales_supervisor_bench_shards
q "CREATE EXTENSION postgres_fdw"
TEAMS=$(( REPS / 6 > 1 ? REPS / 6 : 2 ))
echo "generating: $REPS reps, $TEAMS teams, $LINES sales lines ..." >&2
t0=$(now)
q "SELECT count(*) FROM generate_demo_org(seed => 42, teams => $TEAMS, depth => 3, reps => $REPS,
                                           customers => $(( REPS * 20 )), sales_lines => $LINES,
                                           surveys => $(( REPS * 3 )), reviews_per_member => 1)" >/dev/null
echo "generated in $(secs "$t0") s" >&2
Y="'2025-01-01', '2025-12-31'"
# the configuration the year needs beyond the generator (bench/cluster.sh)
year_config
q "VACUUM ANALYZE" >/dev/null
# the year, rolled back (the ledger starts empty each time); prints seconds
YEAR_SQL="BEGIN;
SELECT count(*) FROM allocate_quotas(2025, 400000000, basis => 'blend');
SELECT count(*) FROM prorate_quotas(2025);
SELECT count(*) FROM score_kpis(1);
SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id) r WHERE p.kind = 'month';
SELECT count(*) FROM close_appraisal_cycle(1);
SELECT count(*) FROM promotion_candidates(1);
SELECT count(*) FROM year_end_pay(1, 1.0);
ROLLBACK;"
year_secs() {
  local best="" t
  for _ in 1 2; do
    t0=$(now); psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "SET search_path = sales_supervisor, public" -c "$YEAR_SQL" >/dev/null
    t=$(secs "$t0")
    if [ -z "$best" ] || awk "BEGIN { exit !($t < $best) }"; then best=$t; fi
  done
  echo "$best"
}
YEAR1=$(year_secs)
echo "the year on the single server: $YEAR1 s" >&2

BIN=/usr/lib/postgresql/15/bin
TMP=$(mktemp -d /tmp/ss_bench_shards_XXXXXX); chmod 755 "$TMP"
AS=(); [ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
stop_shards() {
  for j in 0 1 2 3; do
    [ -f "$TMP/$j/data/postmaster.pid" ] && "${AS[@]}" "$BIN/pg_ctl" -D "$TMP/$j/data" -m immediate -w stop >/dev/null 2>&1
  done
  rm -rf "$TMP"
}
trap stop_shards EXIT
sq() { "${AS[@]}" psql -X -q -At -v ON_ERROR_STOP=1 -h "$TMP/$1" -p $((5474 + $1)) -d postgres "${@:2}"; }
for j in 0 1 2 3; do
  mkdir -p "$TMP/$j"; chown postgres "$TMP/$j" 2>/dev/null || true
  "${AS[@]}" "$BIN/initdb" -N -A trust --auth-host=scram-sha-256 -D "$TMP/$j/data" >/dev/null
  printf "listen_addresses = '127.0.0.1'\nport = %s\nunix_socket_directories = '%s'\nshared_buffers = 2GB\nwork_mem = 256MB\nmax_parallel_workers_per_gather = 0\njit = off\nfsync = off\nmax_wal_size = 4GB\n" \
    $((5474 + j)) "$TMP/$j" >> "$TMP/$j/data/postgresql.conf"
  "${AS[@]}" "$BIN/pg_ctl" -D "$TMP/$j/data" -l "$TMP/$j/log" -w start >/dev/null
  sq $j -c "CREATE EXTENSION sales_supervisor" \
        -c "CREATE ROLE ss_coordinator LOGIN PASSWORD 'bench-$j' BYPASSRLS" -c "GRANT sales_supervisor_manager TO ss_coordinator"
done

printf '\n%-7s %10s %8s %10s %10s %10s %8s %8s %-12s %8s %8s %s\n' shards received bound ours_s sql_s floor_s ours/sql ours/floor same year_s single_s year/single
FLOOR=$(inmedian 5 "SELECT count(*) FROM (SELECT member_id, date_trunc('month', sold_on::timestamp), refund_of IS NOT NULL, count(*), sum(amount)
                    FROM sales_supervisor.sale WHERE sold_on BETWEEN '2025-01-01' AND '2025-12-31' GROUP BY 1, 2, 3) x")
SQL_S=$(inmedian 5 "SELECT count(*) FROM sales_supervisor.credited_sales_by_month($Y)")
for k in 1 2 4; do
  q "SELECT format('DROP SERVER %I CASCADE; DROP SCHEMA %I CASCADE;', server_name, schema_name)
     FROM shard_servers()" | while read -r stmt; do q "$stmt" >/dev/null </dev/null; done
  for j in $(seq 0 $((k - 1))); do
    sq $j -c "SET session_replication_role = replica" -c "TRUNCATE sales_supervisor.sale_credit, sales_supervisor.sale CASCADE" >/dev/null
    for t in sale sale_credit; do
      psql -X -q -d "$DB" -c "COPY (SELECT * FROM sales_supervisor.$t WHERE sale_id % $k = $j) TO STDOUT" |
        sq $j -c "SET session_replication_role = replica" -c "COPY sales_supervisor.$t FROM STDIN"
    done
    sq $j -c "VACUUM ANALYZE sales_supervisor.sale" -c "VACUUM ANALYZE sales_supervisor.sale_credit"
    q "SELECT * FROM add_shard('s$j', '127.0.0.1', $((5474 + j)), 'postgres', 'ss_coordinator', 'bench-$j')" >/dev/null
  done
  SAME=$(q "SELECT count(*) = 0 FROM ((SELECT * FROM credited_sales_by_month($Y) EXCEPT ALL SELECT * FROM shard_credited_sales_by_month($Y))
                                     UNION ALL (SELECT * FROM shard_credited_sales_by_month($Y) EXCEPT ALL SELECT * FROM credited_sales_by_month($Y))) d")
  OURS=$(inmedian 5 "SELECT count(*) FROM sales_supervisor.shard_credited_sales_by_month($Y)")
  QUERY=$(q "SELECT shard_credit_query()" | tr '\n' ' ')
  RECEIVED=$(psql -X -q -At -d "$DB" -c "PREPARE p(date, date) AS $QUERY" \
               -c "EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF) EXECUTE p($Y)" |
             grep 'Foreign Scan' | grep -o 'actual rows=[0-9]*' | cut -d= -f2 | awk '{ s += $1 } END { print s }')
  BOUND=$(( REPS * 12 * 2 * k ))
  YEARK=$(year_secs)
  printf '%-7s %10s %8s %10s %10s %10s %8s %8s %-12s %8s %8s %s\n' "$k" "$RECEIVED" "$BOUND" "$OURS" "$SQL_S" "$FLOOR" \
    "$(awk "BEGIN { printf \"%.2f\", $OURS / $SQL_S }")" "$(awk "BEGIN { printf \"%.2f\", $OURS / $FLOOR }")" \
    "$([ "$SAME" = t ] && echo 'to the cent' || echo DIFFERENT)" "$YEARK" "$YEAR1" "$(awk "BEGIN { printf \"%.2f\", $YEARK / $YEAR1 }")"
done
