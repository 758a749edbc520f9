#!/usr/bin/env bash
# Quick local check while developing: build and install the extension, then
# run only the given pgTAP files (test/pgtap/*.sql) and system tests
# (test/system/*.t) in a throw-away cluster with pg_cron preloaded.
#   scripts/dev_check.sh test/pgtap/security.sql test/system/upgrade.t
# Install and run hold /tmp/ss_install.lock, so two checks on one machine do
# not replace the installed extension under each other.  scripts/test.sh runs
# everything (CI).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 test/pgtap/NAME.sql|test/system/NAME.t ..." >&2; exit 2; }
exec flock /tmp/ss_install.lock bash -c '
  scripts/build.sh
  pg_virtualenv -v 15 -o shared_preload_libraries=pg_cron \
    -o cron.database_name=sales_supervisor_test -o cron.host=/var/run/postgresql \
    bash -c "
      createdb sales_supervisor_test &&
      psql -X -q -v ON_ERROR_STOP=1 -d sales_supervisor_test -c \"CREATE EXTENSION pgtap\" -c \"CREATE EXTENSION sales_supervisor\" &&
      status=0
      taps=(); sys=()
      for f in \"\$@\"; do case \$f in *.t) sys+=(\$f);; *) taps+=(\$f);; esac; done
      [ \${#taps[@]} -eq 0 ] || pg_prove -d sales_supervisor_test \"\${taps[@]}\" || status=1
      [ \${#sys[@]} -eq 0 ] || prove -v \"\${sys[@]}\" || status=1
      exit \$status" _ "$@"
' _ "$@"
