# Sourced by the benchmarks that need a whole cluster (bench/settlement.sh,
# calibration.sh, merit.sh, sales_year.sh), run from the repository's root:
#   bench_cluster ARGS...   unless already inside one: build and install, then
#                           run the calling script again, with ARGS, in a
#                           throw-away cluster with the benchmark settings
#                           (serial, JIT off, room for 10 M lines)
#   bench_db NAME           create database NAME with the extension and
#                           public.bench_median (the median time of n runs of a
#                           statement inside the server, no client round trip)
#   q SQL, now, secs T0, inmedian N SQL   run SQL in it; the time; seconds
#                           since T0; the median of N runs of SQL in seconds

bench_cluster() {
  if [ -z "${SS_IN_CLUSTER:-}" ]; then
    scripts/build.sh
    mkdir -p bench/out
    export SS_IN_CLUSTER=1
    exec pg_virtualenv -v 15 -o shared_buffers=2GB -o work_mem=256MB -o max_parallel_workers_per_gather=0 \
      -o jit=off -o max_wal_size=8GB -o checkpoint_timeout=30min \
      "$0" "$@"
  fi
}

q() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "SET search_path = sales_supervisor, public" -c "$1"; }
now() { date +%s.%N; }
secs() { awk "BEGIN { printf \"%.3f\", $(now) - $1 }"; }
inmedian() { q "SELECT round(public.bench_median(\$b\$$2\$b\$, $1)::numeric, 6)"; }

# year_config: what the sales year needs beyond the generator -- KPI targets,
# a commission plan per rep and month, bonus targets (sales_year.sh, shards.sh)
year_config() {
  q "INSERT INTO kpi_target (cycle_id, kpi_id, level, target)
     VALUES (1, 3, 'sales_rep', 0.2), (1, 4, 'sales_customer_supervisor', 80), (1, 4, 'sales_manager', 80);
     INSERT INTO commission_plan (member_id, period_id, tiers)
     SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03),(60000,0.05)] cap 20000'
     FROM member m CROSS JOIN fiscal_period p WHERE m.level = 'sales_rep' AND p.kind = 'month';
     INSERT INTO bonus_target VALUES (2025, 'sales_rep', 15), (2025, 'sales_customer_supervisor', 20),
                                     (2025, 'sales_manager', 25);" >/dev/null
}

bench_db() {
  DB=$1
  createdb "$DB"
  q "CREATE EXTENSION sales_supervisor"
  q "CREATE FUNCTION public.bench_median(stmt text, n integer) RETURNS float8 LANGUAGE plpgsql AS \$\$
     DECLARE t0 timestamptz; ts float8[] := '{}';
     BEGIN
       FOR i IN 1..n LOOP
         t0 := clock_timestamp(); EXECUTE stmt; ts := ts || extract(epoch FROM clock_timestamp() - t0)::float8;
       END LOOP;
       RETURN (SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ts) x);
     END \$\$"
}
