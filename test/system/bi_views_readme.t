#!/usr/bin/env bash
# README lists every view the BI role reads: the catalog of a fresh install
# names the relations sales_supervisor_bi may SELECT; each must be a row of the
# table in README.md's section "Reporting views for BI tools" (| `name` ...),
# and every row there must be a view the role reads (no stale entries).
# Runs inside the throw-away cluster (PGHOST etc. set); prints TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
DB=ss_bi_readme_$$
n=0
ok()  { n=$((n + 1)); echo "ok $n - $1"; }
nok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1' EXIT
createdb "$DB" || { echo "Bail out! createdb failed"; exit 1; }
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION sales_supervisor" >/dev/null \
  || { echo "Bail out! CREATE EXTENSION failed"; exit 1; }
VIEWS=$(psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "
  SELECT c.relname FROM pg_class c
  WHERE c.relnamespace = 'sales_supervisor'::regnamespace
    AND has_table_privilege('sales_supervisor_bi', c.oid, 'SELECT') ORDER BY 1")
# the BI section: from its heading to the next level-2 heading
SECTION=$(awk '/^## Reporting views for BI tools/ { on = 1; next } on && /^## / { exit } on' README.md)
LISTED=$(printf '%s\n' "$SECTION" | sed -n 's/^| `\([a-z_0-9]*\)`.*/\1/p' | sort -u)

echo "1..$(( $(printf '%s\n' "$VIEWS" | wc -l) + 2 ))"
[ -n "$VIEWS" ] && ok "the BI role reads $(printf '%s\n' "$VIEWS" | wc -l) relations" || nok "the BI role reads some relations"
for v in $VIEWS; do
  if printf '%s\n' "$LISTED" | grep -qx "$v"; then
    ok "README's BI section lists $v"
  else
    nok "README's BI section lists $v" "add a row | \`$v\` | grain | what | to the table in \"Reporting views for BI tools\""
  fi
done
STALE=$(comm -23 <(printf '%s\n' "$LISTED") <(printf '%s\n' "$VIEWS" | sort -u) | tr '\n' ' ')
if [ -z "$STALE" ]; then ok "every view README's BI section lists is one the BI role reads"
else nok "every view README's BI section lists is one the BI role reads" "listed but not readable: $STALE"; fi
