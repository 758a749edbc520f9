#!/usr/bin/env bash
# Runs inside pg_virtualenv (PGHOST/PGUSER/PGPASSWORD point at the throw-away
# cluster): pg_regress via make installcheck, then pgTAP via pg_prove, then the
# TAP system tests (shell scripts that need several databases or clients).
set -uo pipefail
cd "$(dirname "$0")/.."
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
status=0
# pg_cron's launcher connects to this database (cron.database_name): create it first.
createdb sales_supervisor_test

echo "== pg_regress"
if ! make -s installcheck PG_CONFIG="$PG_CONFIG"; then
  status=1
  [ -f regression.diffs ] && head -200 regression.diffs
fi

echo "== pgTAP (pg_prove)"
psql -X -q -v ON_ERROR_STOP=1 -d sales_supervisor_test \
  -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION sales_supervisor' || status=1
pg_prove -d sales_supervisor_test test/pgtap/*.sql || status=1

if compgen -G "test/system/*.t" >/dev/null; then
  echo "== system tests (prove)"
  prove test/system/*.t || status=1
fi
exit $status
