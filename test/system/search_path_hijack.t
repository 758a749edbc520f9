#!/usr/bin/env bash
# Search-path hijack (as pg_cron's test does it): before CREATE EXTENSION, plant
# in public hostile casts and functions that would win overload resolution if
# the extension's code ever resolved a name through the caller's search_path,
# and a temp table shadowing one of the extension's tables.  Every hostile
# object writes to public.hijack_log when called.  Then install the extension
# and exercise it (generator, policies as a role, review summary, reopen,
# triggers, audit) with the caller's search_path starting at public: the log
# must stay empty.  Control tests prove the traps do fire when reached.
set -u
H="ss_hijack_$$"
n=0
trap 'dropdb --if-exists "$H" >/dev/null 2>&1; psql -X -q -d postgres -c "DROP ROLE IF EXISTS ss_hijack_rep_$$" >/dev/null 2>&1' EXIT
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
q() { psql -X -q -v ON_ERROR_STOP=1 -tA -d "$H" -c "$1"; }
echo "1..9"

createdb "$H"
psql -X -q -v ON_ERROR_STOP=1 -d "$H" >/dev/null <<'SQL'
SET search_path = public;
CREATE TABLE public.hijack_log (what text, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON public.hijack_log TO PUBLIC;

-- casts: an explicit or assignment cast of these types anywhere now runs our code
CREATE FUNCTION public.evil_int_to_text(integer) RETURNS text LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log (what) VALUES ('cast integer -> text'); RETURN $1::varchar; END $$;
CREATE CAST (integer AS text) WITH FUNCTION public.evil_int_to_text(integer);
CREATE FUNCTION public.evil_text_to_int(text) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log (what) VALUES ('cast text -> integer'); RETURN length($1); END $$;
CREATE CAST (text AS integer) WITH FUNCTION public.evil_text_to_int(text);

-- functions that beat the real ones in overload resolution when public is searched
CREATE FUNCTION public.format(text, integer) RETURNS text LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log (what) VALUES ('public.format(text, integer)'); RETURN 'hijacked'; END $$;
CREATE FUNCTION public.demo_random(integer, integer, integer) RETURNS double precision LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log (what) VALUES ('public.demo_random'); RETURN 0.5; END $$;
CREATE FUNCTION public.current_member_id(text) RETURNS integer LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log (what) VALUES ('public.current_member_id'); RETURN 1; END $$;
CREATE FUNCTION public.team_is_within(integer, bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log (what) VALUES ('public.team_is_within'); RETURN true; END $$;
-- numeric <> integer has no exact operator in pg_catalog (the extension's
-- "sum <> 100" checks resolve to numeric <> numeric): this one would be exact
CREATE FUNCTION public.evil_ne(numeric, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.hijack_log (what) VALUES ('operator public.<> (numeric, integer)'); RETURN false; END $$;
CREATE OPERATOR public.<> (LEFTARG = numeric, RIGHTARG = integer, FUNCTION = public.evil_ne);
SQL
ok $? "hostile casts, functions and an operator planted in public"

# control: the traps fire when reached
q "SET search_path = public; SELECT 5::text, '7'::text::integer, format('%s', 5), 1.5 <> 1, demo_random(1, 2, 3)" >/dev/null
[ "$(q "SELECT count(DISTINCT what) FROM public.hijack_log")" = 5 ]
ok $? "control: the traps fire when a caller reaches them"
q "TRUNCATE public.hijack_log"

psql -X -q -v ON_ERROR_STOP=1 -d "$H" -c "SET search_path = public; CREATE EXTENSION sales_supervisor" >/dev/null
ok $? "CREATE EXTENSION with the hostile objects in place"

cat >/tmp/hijack_$$.sql <<SQL
SET search_path = public, sales_supervisor;
-- a temp table shadowing one of the extension's tables
CREATE TEMP TABLE team (team_id integer, name text, parent_id integer, created_on date);
SELECT count(*) FROM generate_demo_org(seed => 3, teams => 7, depth => 3, reps => 12, customers => 60,
                                       sales_lines => 500, surveys => 40, reviews_per_member => 4);
CREATE ROLE ss_hijack_rep_$$ NOLOGIN;
GRANT sales_supervisor_rep TO ss_hijack_rep_$$;
UPDATE sales_supervisor.member SET login_role = 'ss_hijack_rep_$$' WHERE member_id = 8;
SET ROLE ss_hijack_rep_$$;
SELECT count(*) FROM sales_supervisor.customer;
SELECT count(*) FROM sales_supervisor.sale;
SELECT count(*) FROM sales_supervisor.overdue_visit;
SELECT * FROM sales_supervisor.review_summary((SELECT min(cycle_id) FROM sales_supervisor.appraisal_cycle));
RESET ROLE;
UPDATE sales_supervisor.appraisal_cycle SET state = 'calibrating';
INSERT INTO sales_supervisor.appraisal_result (cycle_id, member_id, level, final_score)
SELECT c.cycle_id, m.member_id, m.level, 50 FROM sales_supervisor.member m CROSS JOIN sales_supervisor.appraisal_cycle c;
UPDATE sales_supervisor.appraisal_cycle SET state = 'closed';
SELECT sales_supervisor.reopen_appraisal_cycle((SELECT min(cycle_id) FROM sales_supervisor.appraisal_cycle), 'hijack test');
INSERT INTO sales_supervisor.quota (period_id, member_id, amount, method, locked) VALUES (1, 8, 100, 'manual', true);
INSERT INTO sales_supervisor.customer_visit (customer_id, member_id, planned_on) VALUES (1, 8, '2025-07-01');
INSERT INTO sales_supervisor.sale_credit
SELECT sale_id, 8, 50 FROM sales_supervisor.sale WHERE member_id = 8 AND sale_id NOT IN (SELECT sale_id FROM sales_supervisor.sale_credit) LIMIT 1;
SQL
psql -X -q -v ON_ERROR_STOP=1 -d "$H" -f /tmp/hijack_$$.sql >/dev/null 2>/tmp/hijack_$$.err
# the last statement must fail (a 50 % credit) through the extension's own check
grep -q 'credit shares of sale .* sum to 50.00, not 100' /tmp/hijack_$$.err
ok $? "the extension ran end to end with search_path = public, sales_supervisor (ending in its own sum check)"
grep -v 'credit shares\|^DETAIL\|^HINT\|^CONTEXT' /tmp/hijack_$$.err | sed 's/^/# /'

[ "$(q "SELECT count(*) FROM public.hijack_log")" = 0 ]
ok $? "no hostile cast, function or operator was ever called"
q "SELECT '# called: ' || what FROM public.hijack_log GROUP BY what"

psql -X -q -v ON_ERROR_STOP=1 -d "$H" >/dev/null 2>&1 <<SQL
SET search_path = public, sales_supervisor;
CREATE TEMP TABLE team (team_id integer, name text, parent_id integer, created_on date);
SELECT count(*) FROM generate_demo_org(seed => 3, teams => 7, depth => 3, reps => 12, customers => 60,
                                       sales_lines => 500, surveys => 40, reviews_per_member => 4, replace => true);
SELECT count(*) FROM team;
SQL
[ "$(q "SELECT count(*) FROM sales_supervisor.team")" = 7 ]
ok $? "the generator filled sales_supervisor.team, not the caller's temp table"

[ "$(q "SELECT count(*) FROM public.hijack_log")" = 0 ]
ok $? "still nothing called after a second run"

# the functions resolve nothing through the caller: every non-C function pins its path
[ "$(q "SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
        WHERE p.pronamespace = 'sales_supervisor'::regnamespace AND l.lanname IN ('sql', 'plpgsql')
          AND p.prosqlbody IS NULL
          AND p.oid <> 'sales_supervisor.run_job(text)'::regprocedure
          AND NOT coalesce('search_path=pg_catalog, sales_supervisor, pg_temp' = ANY (p.proconfig), false)")" = 0 ]
ok $? "every SQL and PL/pgSQL function pins search_path = pg_catalog, sales_supervisor, pg_temp (or has a pre-parsed body)"

[ "$(q "SELECT count(*) FROM pg_depend d JOIN pg_proc p ON p.oid = d.refobjid
        WHERE d.classid = 'pg_proc'::regclass AND d.objid IN (SELECT oid FROM pg_proc WHERE pronamespace = 'sales_supervisor'::regnamespace)
          AND p.pronamespace = 'public'::regnamespace")" = 0 ]
ok $? "no function of the extension depends on a function in public"
rm -f /tmp/hijack_$$.sql /tmp/hijack_$$.err
