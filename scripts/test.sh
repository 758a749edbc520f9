#!/usr/bin/env bash
# Every test: install what is missing, build, C unit tests, libFuzzer runs,
# then in a throw-away cluster (pg_cron preloaded) pg_regress and pgTAP.
# Each runner prints its own summary; the exit status is non-zero if any fails.
#   FUZZ_SECONDS=30 (per target) can be lowered for a quick local run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh

echo "== C unit tests (src/core)"
make -s unittest

echo "== libFuzzer (${FUZZ_SECONDS:-30}s per target)"
make -s fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-30}"

echo "== SQL suites in a throw-away cluster"
pg_virtualenv -v 15 -o shared_preload_libraries=pg_cron \
  -o cron.database_name=sales_supervisor_test -o cron.host=/var/run/postgresql \
  scripts/test_in_cluster.sh

mkdir -p bench/out
echo "== benchmark smoke run (tiny size: keeps bench/ working; timings meaningless)"
bench/run --rows 2000 --reps 1 > bench/out/smoke.log 2>&1 || { tail -30 bench/out/smoke.log; exit 1; }
echo "bench: smoke run ok ($(grep -c 'ours/floor' bench/out/smoke.log) cases)"
