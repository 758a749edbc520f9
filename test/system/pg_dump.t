#!/usr/bin/env bash
# pg_dump -Fc of a database holding the demo organisation (and the history that
# the workflow triggers guard: a closed and reopened appraisal cycle, a locked
# quota, a locked commission period, visits by a rep who since moved team, the
# audit log), restored with pg_restore into a fresh database: the extension and
# every row of every table come back identical (count and md5 of the ordered
# rows), the identity sequences continue where they were, and the policies exist.
# Runs inside the throw-away cluster (PGHOST etc. set); prints TAP.
set -u
A="ss_dump_a_$$"
B="ss_dump_b_$$"
DIR=$(mktemp -d)
n=0
trap 'dropdb --if-exists "$A" >/dev/null 2>&1; dropdb --if-exists "$B" >/dev/null 2>&1; rm -rf "$DIR"' EXIT

ok() {   # ok <status> <description>
  n=$((n + 1))
  if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
q() {    # q <db> <sql>: one value, no decoration
  psql -X -q -v ON_ERROR_STOP=1 -tA -d "$1" -c "$2"
}

TABLES="team member team_leader visit_cadence customer customer_contact customer_visit feedback
survey_response product_category sale sale_credit opportunity fiscal_period quota seasonal_distribution
forecast task training_session training_attendance work_report appraisal_cycle appraisal_component_weight
kpi_definition kpi_weight kpi_result review review_score grade_policy appraisal_result promotion_rule
promotion_candidate promotion pay commission_plan commission_period_lock commission_credit
commission_late_sale commission_payout audit_log"
ntables=$(echo $TABLES | wc -w)
echo "1..$((ntables + 10))"

createdb "$A"
psql -X -q -v ON_ERROR_STOP=1 -d "$A" >"$DIR/setup.log" 2>&1 <<'SQL'
CREATE EXTENSION sales_supervisor;
SET search_path = sales_supervisor;
SELECT count(*) FROM generate_demo_org(seed => 5, teams => 9, depth => 3, reps => 30, customers => 300,
                                       sales_lines => 5000, surveys => 200, reviews_per_member => 4);
-- history the triggers would refuse to write today
UPDATE appraisal_cycle SET state = 'calibrating';
INSERT INTO appraisal_result (cycle_id, member_id, level, individual_performance, final_score, rank, grade)
SELECT c.cycle_id, m.member_id, m.level, m.member_id, m.member_id, 40 - m.member_id,
       (ARRAY['A','B','C','D'])[1 + m.member_id % 4]
FROM member m CROSS JOIN appraisal_cycle c;
UPDATE appraisal_cycle SET state = 'closed';
SELECT reopen_appraisal_cycle((SELECT cycle_id FROM appraisal_cycle), 'dump test: regrade member 12');
UPDATE appraisal_result SET grade = 'A' WHERE member_id = 12;
UPDATE appraisal_cycle SET state = 'closed';
INSERT INTO quota (period_id, member_id, amount, method, locked)
SELECT 1, member_id, 1000000, 'top_down', true FROM member WHERE level = 'sales_rep';
-- commission: January and February run; a late January line is credited by
-- March's run, another one waits in the late queue
INSERT INTO commission_plan (member_id, period_id, tiers)
SELECT m.member_id, p.period_id, 'marginal[(0,0.02),(20000,0.03)]' FROM member m, fiscal_period p
WHERE m.level = 'sales_rep' AND p.kind = 'month' AND p.fiscal_year = 2025 AND p.month <= 3;
SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id)
WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND p.month <= 2;
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount)
SELECT '2025-01-15', member_id, customer_id, category_id, 123.45 FROM sale ORDER BY sale_id LIMIT 1;
SELECT count(*) FROM fiscal_period p, LATERAL run_commission(p.period_id)
WHERE p.kind = 'month' AND p.fiscal_year = 2025 AND p.month = 3;
INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount)
SELECT '2025-02-15', member_id, customer_id, category_id, 543.21 FROM sale ORDER BY sale_id LIMIT 1;
INSERT INTO promotion (member_id, from_level, to_level, effective_on, approved_by, reason)
VALUES (12, 'sales_rep', 'sales_customer_supervisor', '2026-01-01', 1, 'two A grades');
UPDATE member SET team_id = (SELECT min(team_id) FROM team WHERE parent_id IS NULL) WHERE member_id = 12;
SQL
ok $? "demo org and its history written in database A"

pg_dump -Fc -d "$A" -f "$DIR/a.dump" 2>"$DIR/dump.err"
ok $? "pg_dump -Fc of A"

createdb "$B"
pg_restore -d "$B" "$DIR/a.dump" 2>"$DIR/restore.err"
st=$?
[ $st -eq 0 ] && [ ! -s "$DIR/restore.err" ]
ok $? "pg_restore into the fresh database B, without errors"
[ -s "$DIR/restore.err" ] && sed 's/^/# /' "$DIR/restore.err" | head -20

[ "$(q "$B" "SELECT extversion FROM pg_extension WHERE extname = 'sales_supervisor'")" = \
  "$(q "$A" "SELECT extversion FROM pg_extension WHERE extname = 'sales_supervisor'")" ]
ok $? "the extension itself is recreated in B"

empty=0
for t in $TABLES; do
  sql="SELECT count(*) || ' ' || coalesce(md5(string_agg(x::text, E'\n' ORDER BY x::text)), '-') FROM sales_supervisor.$t x"
  a=$(q "$A" "$sql"); b=$(q "$B" "$sql")
  [ "${a%% *}" = 0 ] && empty=$((empty + 1))
  [ -n "$a" ] && [ "$a" = "$b" ]
  ok $? "$t: identical in B ($b)"
  [ "$a" = "$b" ] || echo "#   A: $a"
done
[ $empty -le 4 ]
ok $? "the comparison covers real data ($empty of $ntables tables empty)"

seq="SELECT string_agg(sequencename || '=' || coalesce(last_value, 0), ',' ORDER BY sequencename) FROM pg_sequences WHERE schemaname = 'sales_supervisor'"
[ "$(q "$A" "$seq")" = "$(q "$B" "$seq")" ]
ok $? "every identity sequence continues where it was"

q "$B" "INSERT INTO sales_supervisor.customer (name, tier, team_id, owner_id)
        SELECT 'after restore', 'A', team_id, member_id FROM sales_supervisor.member WHERE member_id = 20" >/dev/null 2>"$DIR/ins.err"
ok $? "a new customer gets a fresh id in B"

pol="SELECT count(*) || ':' || md5(string_agg(polname::text || polcmd::text || pg_get_expr(polqual, polrelid), ',' ORDER BY polname)) FROM pg_policy"
pa=$(q "$A" "$pol")
[ -n "$pa" ] && [ "${pa%%:*}" -gt 30 ] && [ "$pa" = "$(q "$B" "$pol")" ]
ok $? "the row-level security policies are the same in B"

[ "$(q "$B" "SELECT count(*) FROM sales_supervisor.audit_log") " = "$(q "$A" "SELECT count(*) FROM sales_supervisor.audit_log") " ]
ok $? "the restore wrote no audit entries of its own"

# The history really is guarded: restoring the same dump under another
# application name (so the workflow triggers are not told a restore runs)
# is refused by them.
C="ss_dump_c_$$"
trap 'dropdb --if-exists "$A" >/dev/null 2>&1; dropdb --if-exists "$B" >/dev/null 2>&1; dropdb --if-exists "$C" >/dev/null 2>&1; rm -rf "$DIR"' EXIT
createdb "$C"
PGAPPNAME=not_a_restore pg_restore -d "$C" "$DIR/a.dump" 2>"$DIR/restore_c.err"
grep -q 'appraisal cycle .* is closed\|a new appraisal cycle must start open\|commission period .* is locked' "$DIR/restore_c.err"
ok $? "without the restore exemption the workflow triggers refuse the dumped history"
