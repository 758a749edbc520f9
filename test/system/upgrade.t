#!/usr/bin/env bash
# ALTER EXTENSION sales_supervisor UPDATE to the current version from each
# released version (install scripts as they shipped, sql/released/).
# From 0.2.0, on the demo org with three months of commission run by 0.2.0:
#  * the upgraded schema is the fresh install's, object for object;
#  * the ledger keeps every period's credit per rep, to the cent, and the
#    next run credits the next month as a fresh install does;
#  * the pgTAP schema suite passes on the upgraded database.
# From 0.1.0 (through 0.2.0), on a database with history:
# the demo org, three months of commission run by 0.1.0 (refund reversals and
# split lines in the ledger), and a late line 0.1.0 had not credited yet.
#  * the upgraded schema is the fresh install's, object for object: tables and
#    columns (in order), constraints, indexes, triggers, functions (definition,
#    labels, settings, grants), views, policies, comments, types, pg_dump
#    registration, extension membership;
#  * the migrated ledger keeps every period's credit per rep, to the cent, and
#    the lines behind it add up to it;
#  * the late line waits for the next run, which credits it once;
#  * the pgTAP schema suite passes on the upgraded database.
# Runs inside the throw-away cluster (PGHOST etc. set); prints TAP.
set -uo pipefail
cd "$(dirname "$0")/../.."
OLD=ss_upg_old_$$
NEW=ss_upg_new_$$
OLD2=ss_upg_old2_$$
V020=ss_upg_v020_$$
V020F=ss_upg_v020f_$$
n=0; failed=0
ok()   { n=$((n + 1)); echo "ok $n - $1"; }
nok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "have: $2" "want: $3"; fi; }
q()    { psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SET search_path = sales_supervisor, public" -c "$2"; }
cleanup() { for d in "$OLD" "$NEW" "$OLD2" "$V020" "$V020F"; do dropdb --if-exists "$d" >/dev/null 2>&1; done; rm -f /tmp/$OLD.*; }
trap cleanup EXIT
CURRENT=$(sed -n "s/^default_version = '\(.*\)'/\1/p" sales_supervisor.control)

echo "1..20"
createdb "$OLD" && createdb "$NEW" || { echo "Bail out! createdb failed"; exit 1; }

# ---- 0.1.0 with history
q "$OLD" "CREATE EXTENSION sales_supervisor VERSION '0.1.0'" >/dev/null
q "$OLD" "SELECT count(*) FROM generate_demo_org(seed => 7, teams => 6, depth => 2, reps => 24, customers => 240,
                                                 sales_lines => 6000, surveys => 100)" >/dev/null
q "$OLD" "INSERT INTO commission_plan (member_id, period_id, tiers)
          SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(5000,0.03)]' FROM member m, fiscal_period p
          WHERE m.level = 'sales_rep' AND p.kind = 'month' AND p.fiscal_year = 2025;
          SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id) r
          WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND p.month <= 3" >/dev/null
REP=$(q "$OLD" "SELECT min(member_id) FROM member WHERE level = 'sales_rep'")
CUST=$(q "$OLD" "SELECT min(customer_id) FROM customer WHERE owner_id = $REP")
q "$OLD" "INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount)
          VALUES (990001, '2025-02-14', $REP, $CUST, 1, 777.77)" >/dev/null
PER_REP="SELECT string_agg(format('%s/%s=%s', period_id, member_id, s), ' ' ORDER BY period_id, member_id)
         FROM (SELECT period_id, member_id, sum(amount) AS s FROM commission_credit GROUP BY 1, 2) x"
BEFORE=$(q "$OLD" "$PER_REP")
check "0.1.0 ran three months, with reversal lines in its ledger" \
  "$(q "$OLD" "SELECT count(DISTINCT period_id) || ':' || (count(*) FILTER (WHERE reverses_id IS NOT NULL) > 0) FROM commission_credit")" "3:true"

# ---- the update
out=$(q "$OLD" "ALTER EXTENSION sales_supervisor UPDATE TO '$CURRENT'" 2>&1)
check "ALTER EXTENSION ... UPDATE TO '$CURRENT' succeeds" "$out" ""
check "the extension is at $CURRENT" "$(q "$OLD" "SELECT extversion FROM pg_extension WHERE extname = 'sales_supervisor'")" "$CURRENT"

# ---- the schema equals a fresh install's
q "$NEW" "CREATE EXTENSION sales_supervisor" >/dev/null
FINGERPRINT=$(cat <<'SQL'
WITH ns AS (SELECT 'sales_supervisor'::regnamespace AS oid)
SELECT x FROM (
  SELECT format('rel %s kind=%s rls=%s acl=%s comment=%s', c.relname, c.relkind, c.relrowsecurity,
                (SELECT array_agg(a::text ORDER BY a::text) FROM unnest(c.relacl) a), obj_description(c.oid, 'pg_class'))
  FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind <> 'i'
  UNION ALL
  SELECT format('col %s.%s #%s %s notnull=%s default=%s identity=%s comment=%s', c.relname, a.attname,
                row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), format_type(a.atttypid, a.atttypmod),
                a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, col_description(c.oid, a.attnum))
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
  WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('r', 'v', 'm', 'p')
  UNION ALL
  SELECT format('con %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
  FROM pg_constraint WHERE connamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT format('idx %s', pg_get_indexdef(i.indexrelid))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT format('trg %s', pg_get_triggerdef(t.oid))
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = (SELECT oid FROM ns) AND NOT t.tgisinternal
  UNION ALL
  SELECT format('fn %s kind=%s vol=%s par=%s strict=%s secdef=%s config=%s acl=%s comment=%s body=%s',
                p.oid::regprocedure, p.prokind, p.provolatile, p.proparallel, p.proisstrict, p.prosecdef, p.proconfig,
                (SELECT array_agg(a::text ORDER BY a::text) FROM unnest(p.proacl) a), obj_description(p.oid, 'pg_proc'),
                CASE WHEN p.prokind = 'a' THEN NULL ELSE md5(pg_get_functiondef(p.oid)) END)
  FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT format('view %s %s', c.relname, md5(pg_get_viewdef(c.oid)))
  FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM ns) AND c.relkind IN ('v', 'm')
  UNION ALL
  SELECT format('pol %s.%s cmd=%s roles=%s using=%s check=%s', pol.polrelid::regclass, pol.polname, pol.polcmd,
                (SELECT array_agg(r::regrole::text ORDER BY r::regrole::text) FROM unnest(pol.polroles) r),
                pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid))
  FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid WHERE c.relnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT format('type %s %s comment=%s', t.typname, t.typtype, obj_description(t.oid, 'pg_type'))
  FROM pg_type t WHERE t.typnamespace = (SELECT oid FROM ns) AND t.typtype <> 'c' AND t.typname NOT LIKE '\_%'
  UNION ALL
  SELECT format('op %s', o.oid::regoperator) FROM pg_operator o WHERE o.oprnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT format('opc %s %s', opc.opcname, am.amname) FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
  WHERE opc.opcnamespace = (SELECT oid FROM ns)
  UNION ALL
  SELECT format('dump %s %s', cfg::regclass, cond)
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS u(cfg, cond) WHERE e.extname = 'sales_supervisor'
  UNION ALL
  SELECT format('members %s %s', d.classid::regclass, count(*))
  FROM pg_depend d WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
    AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'sales_supervisor')
  GROUP BY d.classid
) f(x) ORDER BY x;
SQL
)
# same_schema DB LABEL: the catalog of DB equals the fresh install's ($NEW)
same_schema() {
  q "$1" "$FINGERPRINT" >/tmp/$OLD.upgraded
  q "$NEW" "$FINGERPRINT" >/tmp/$OLD.fresh
  if [ "$(wc -l </tmp/$OLD.fresh)" -gt 500 ] && diff -u /tmp/$OLD.fresh /tmp/$OLD.upgraded >/tmp/$OLD.diff; then
    ok "$2: the upgraded schema is the fresh install's ($(wc -l </tmp/$OLD.fresh) objects and attributes compared)"
  else
    nok "$2: the upgraded schema is the fresh install's" "$(head -60 /tmp/$OLD.diff)"
  fi
}
same_schema "$OLD" "from 0.1.0"

# ---- the migrated ledger
check "every period keeps each rep's credit, to the cent" "$(q "$OLD" "$PER_REP")" "$BEFORE"
check "the ledger is per period, rep, kind and month of sale, with refunds among the kinds" \
  "$(q "$OLD" "SELECT count(*) = count(DISTINCT (period_id, member_id, kind, sold_in)) AND bool_or(kind = 'refunds') FROM commission_credit")" "t"
check "the lines behind the ledger add up to it, per period, rep and kind" \
  "$(q "$OLD" "SELECT count(*) FROM ((SELECT period_id, member_id, kind, sum(amount), count(*)::int FROM commission_credit_line GROUP BY 1, 2, 3
                                      EXCEPT SELECT period_id, member_id, kind, sum(amount), sum(lines)::int FROM commission_credit GROUP BY 1, 2, 3)
                                     UNION ALL
                                     (SELECT period_id, member_id, kind, sum(amount), sum(lines)::int FROM commission_credit GROUP BY 1, 2, 3
                                      EXCEPT SELECT period_id, member_id, kind, sum(amount), count(*)::int FROM commission_credit_line GROUP BY 1, 2, 3)) x")" "0"
check "each locked month has the window its 0.1.0 run credited" \
  "$(q "$OLD" "SELECT string_agg(credited_from || '..' || credited_through, ' ' ORDER BY credited_from) FROM commission_period_lock")" \
  "2025-01-01..2025-01-31 2025-02-01..2025-02-28 2025-03-01..2025-03-31"
check "the line 0.1.0 had not credited yet waits as a late line" \
  "$(q "$OLD" "SELECT count(*) FROM commission_late_sale WHERE sale_id = 990001 AND credited_period_id IS NULL")" "1"
q "$OLD" "SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id) r
          WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND p.month = 4" >/dev/null
check "the next run credits it once, as a late sale of April" \
  "$(q "$OLD" "SELECT string_agg(c.lines || ':' || c.amount, ',') FROM commission_credit c JOIN fiscal_period p USING (period_id)
               WHERE p.month = 4 AND c.member_id = $REP AND c.kind = 'late_sales'")|$(q "$OLD" "SELECT p.month || ':' || l.amount
               FROM commission_credit_line l JOIN fiscal_period p USING (period_id) WHERE l.sale_id = 990001")" \
  "1:777.77|4:777.77"

# ---- the schema suite on the upgraded database
# schema_suite DB LABEL
schema_suite() {
  psql -X -q -d "$1" -c "CREATE EXTENSION IF NOT EXISTS pgtap SCHEMA public" >/dev/null
  if pg_prove -d "$1" test/pgtap/schema.sql >/tmp/$OLD.prove 2>&1; then
    ok "$2: the pgTAP schema suite passes on the upgraded database"
  else
    nok "$2: the pgTAP schema suite passes on the upgraded database" "$(grep -v '^ok' /tmp/$OLD.prove | cut -c1-300 | head -30)"
  fi
}
schema_suite "$OLD" "from 0.1.0"

# ---- a 0.1.0 ledger the lines no longer give: kept, and reported; and the isolation check
createdb "$OLD2" || { echo "Bail out! createdb failed"; exit 1; }
q "$OLD2" "CREATE EXTENSION sales_supervisor VERSION '0.1.0'" >/dev/null
q "$OLD2" "SELECT count(*) FROM generate_demo_org(seed => 3, teams => 4, depth => 2, reps => 8, customers => 40,
                                                  sales_lines => 400, surveys => 20)" >/dev/null
R1=$(q "$OLD2" "SELECT min(member_id) FROM member WHERE level = 'sales_rep'")
R2=$(q "$OLD2" "SELECT max(member_id) FROM member WHERE level = 'sales_rep'")
C1=$(q "$OLD2" "SELECT min(customer_id) FROM customer WHERE owner_id = $R1")
# a sale split 60 / 40 and its full refund booked to the first rep without a split:
# 0.1.0 reverses the split; 0.2.0 credits a refund line by its own split (none: 100 % to its rep)
q "$OLD2" "INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount, refund_of)
           VALUES (990010, '2025-01-10', $R1, $C1, 1, 1000.00, NULL), (990011, '2025-01-25', $R1, $C1, 1, -1000.00, 990010);
           INSERT INTO sale_credit VALUES (990010, $R1, 60), (990010, $R2, 40);
           SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id) r
           WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND p.month = 1" >/dev/null
out=$(psql -X -q -At -d "$OLD2" -c "BEGIN ISOLATION LEVEL REPEATABLE READ" \
           -c "ALTER EXTENSION sales_supervisor UPDATE TO '$CURRENT'" -c "COMMIT" 2>&1)
if echo "$out" | grep -q "cannot update sales_supervisor to 0.2.0 in a repeatable read transaction"; then
  ok "the update refuses a REPEATABLE READ transaction"
else
  nok "the update refuses a REPEATABLE READ transaction" "$out"
fi
out=$(q "$OLD2" "ALTER EXTENSION sales_supervisor UPDATE TO '$CURRENT'" 2>&1)
if echo "$out" | grep -q "WARNING:  1 sales lines were credited by 0.1.0 otherwise than 0.2.0 credits them now"; then
  ok "the update reports the line 0.1.0 credited otherwise"
else
  nok "the update reports the line 0.1.0 credited otherwise" "$out"
fi
check "... and the ledger keeps what 0.1.0 credited for it (the split reversed)" \
  "$(q "$OLD2" "SELECT string_agg(member_id || ':' || amount, ' ' ORDER BY member_id) FROM commission_credit WHERE kind = 'refunds'
                AND member_id IN ($R1, $R2)")" "$R1:-600.00 $R2:-400.00"

# ---- from 0.2.0, with three months of commission run by 0.2.0
createdb "$V020" && createdb "$V020F" || { echo "Bail out! createdb failed"; exit 1; }
HISTORY="SELECT count(*) FROM generate_demo_org(seed => 11, teams => 6, depth => 2, reps => 24, customers => 240,
                                              sales_lines => 6000, surveys => 100);
         INSERT INTO commission_plan (member_id, period_id, tiers)
         SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(5000,0.03)]' FROM member m, fiscal_period p
         WHERE m.level = 'sales_rep' AND p.kind = 'month' AND p.fiscal_year = 2025;
         SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id) r
         WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND p.month <= 3"
q "$V020" "CREATE EXTENSION sales_supervisor VERSION '0.2.0'" >/dev/null
q "$V020" "$HISTORY" >/dev/null
LEDGER="SELECT md5(string_agg(format('%s/%s/%s/%s=%s:%s', period_id, member_id, kind, sold_in, amount, lines), ' '
                             ORDER BY period_id, member_id, kind, sold_in)) FROM commission_credit"
BEFORE=$(q "$V020" "$LEDGER")
out=$(q "$V020" "ALTER EXTENSION sales_supervisor UPDATE TO '$CURRENT'" 2>&1)
check "from 0.2.0: ALTER EXTENSION ... UPDATE TO '$CURRENT' succeeds" "$out" ""
check "from 0.2.0: the extension is at $CURRENT" "$(q "$V020" "SELECT extversion FROM pg_extension WHERE extname = 'sales_supervisor'")" "$CURRENT"
same_schema "$V020" "from 0.2.0"
check "from 0.2.0: the ledger is kept line for line" "$(q "$V020" "$LEDGER")" "$BEFORE"
# the same history on a fresh install, then April on both: the same ledger
q "$V020F" "CREATE EXTENSION sales_supervisor" >/dev/null
q "$V020F" "$HISTORY" >/dev/null
APRIL="SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id) r
       WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND p.month = 4"
q "$V020" "$APRIL" >/dev/null; q "$V020F" "$APRIL" >/dev/null
check "from 0.2.0: the next run credits as on a fresh install" "$(q "$V020" "$LEDGER")" "$(q "$V020F" "$LEDGER")"
schema_suite "$V020" "from 0.2.0"

[ "$failed" -eq 0 ]
