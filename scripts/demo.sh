#!/usr/bin/env bash
# The demo: install what is missing, build, start a throw-away PostgreSQL 15
# cluster with pg_cron preloaded, create the extension, load the demo
# organisation and print what the extension computes.  The cluster is removed
# when the demo ends.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
exec pg_virtualenv -v 15 -o shared_preload_libraries=pg_cron \
  -o cron.database_name=sales_supervisor_demo -o cron.host=/var/run/postgresql \
  sh -c 'createdb sales_supervisor_demo &&
         psql -X -q -v ON_ERROR_STOP=1 -d sales_supervisor_demo -f scripts/demo.sql'
