#!/usr/bin/env bash
# docs/roles.md says object by object what each group role may do: its table
# between "<!-- roles:begin -->" and "<!-- roles:end -->" must be exactly what
# scripts/roles_table.sql generates from the catalog of a fresh install, so
# the documentation cannot drift from the grants and policies again.
# Runs inside the throw-away cluster (PGHOST etc. set); prints TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
DB=ss_docs_roles_$$
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1; rm -f /tmp/$DB.*' EXIT
echo "1..2"
createdb "$DB" || { echo "Bail out! createdb failed"; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION sales_supervisor" >/dev/null
psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -f scripts/roles_table.sql >/tmp/$DB.generated
sed -n '/<!-- roles:begin -->/,/<!-- roles:end -->/p' docs/roles.md | sed '1d;$d' >/tmp/$DB.documented
if [ "$(wc -l </tmp/$DB.generated)" -gt 40 ]; then
  echo "ok 1 - the catalog lists $(($(wc -l </tmp/$DB.generated) - 2)) objects granted to the group roles"
else
  echo "not ok 1 - the catalog lists the objects granted to the group roles"
fi
if diff -u /tmp/$DB.documented /tmp/$DB.generated >/tmp/$DB.diff; then
  echo "ok 2 - docs/roles.md states exactly the grants and policies of a fresh install"
else
  echo "not ok 2 - docs/roles.md states exactly the grants and policies of a fresh install"
  sed 's/^/# /' /tmp/$DB.diff | head -80
  echo "# (regenerate: psql -At -f scripts/roles_table.sql on a fresh install, paste between the markers)"
  exit 1
fi
