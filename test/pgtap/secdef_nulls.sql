-- Every SECURITY DEFINER function refuses -- never passes -- a NULL in what it
-- checks (issue 12.2): pg_has_role(NULL, ...) is NULL, and "IF NOT NULL" does
-- not fire, so a NULL login used to skip the role check.
--
-- Driven by the catalog: every function of schema sales_supervisor with
-- prosecdef (trigger functions aside: they take no SQL arguments and cannot
-- be called) must have a row of sample valid arguments below, or the test
-- fails.  Each function is then called
--   * with NULL in each argument position (valid samples elsewhere), as each
--     group role and as the owner: it must raise an error with an SQLSTATE in
--     22004 (null_value_not_allowed), 42501 (insufficient_privilege), 22023
--     (invalid_parameter_value) or P0002 (no_data_found) -- or, only where a
--     NULL documentedly means the default (null_means_default), give exactly
--     what the call with the default gives;
--   * with valid arguments as each role that is not allowed: 42501;
--   * with valid arguments as each allowed role: not refused (42501/22004),
--     which shows the samples are valid, so a refusal above is the NULL's.
-- A call that succeeds is rolled back (pg_temp.outcome), so calls do not see
-- each other's effects.
--
-- The org: generate_demo_org(seed 11, teams 7, depth 3, reps 12) as in
-- security.sql: member k (1..7) leads team k, department 1 = teams {1, 3, 4, 7},
-- supervisor 3's subtree is {3, 7}, rep 11 is in team 7, rep 8 in team 4.
-- Logins (member.login_role is ss_demo_<id>): ss_demo_8 rep, ss_demo_3
-- supervisor, ss_demo_1 manager, ss_demo_2 HR; ss_nul_bi is BI and no member.
BEGIN;
SET LOCAL search_path = sales_supervisor, public;

CREATE TEMP TABLE demo AS SELECT * FROM generate_demo_org(seed => 11, teams => 7, depth => 3, reps => 12,
            customers => 60, sales_lines => 600, surveys => 50, reviews_per_member => 4);
-- ids drawn from sequences (which other test files advance): looked up
SELECT min(cycle_id) AS cycle FROM appraisal_cycle \gset
SELECT min(rule_id) AS rule FROM promotion_rule WHERE from_level = 'sales_rep' \gset
SELECT min(period_id) AS period FROM fiscal_period WHERE kind = 'month' \gset

CREATE ROLE ss_demo_8 NOLOGIN;
CREATE ROLE ss_demo_3 NOLOGIN;
CREATE ROLE ss_demo_1 NOLOGIN;
CREATE ROLE ss_demo_2 NOLOGIN;
CREATE ROLE ss_nul_bi NOLOGIN;
GRANT sales_supervisor_rep TO ss_demo_8;
GRANT sales_supervisor_supervisor TO ss_demo_3;
GRANT sales_supervisor_manager TO ss_demo_1;
GRANT sales_supervisor_hr TO ss_demo_2;
GRANT sales_supervisor_bi TO ss_nul_bi;

-- The cycle is closed, so that reopen_appraisal_cycle would get through to the
-- audit if its role check were skipped.
UPDATE appraisal_cycle SET state = 'calibrating' WHERE cycle_id = :cycle;
UPDATE appraisal_cycle SET state = 'closed' WHERE cycle_id = :cycle;

CREATE TEMP TABLE role_under_test (role_key text PRIMARY KEY, rolname name, ord int);
INSERT INTO role_under_test VALUES
  ('rep', 'ss_demo_8', 1), ('supervisor', 'ss_demo_3', 2), ('manager', 'ss_demo_1', 3),
  ('hr', 'ss_demo_2', 4), ('bi', 'ss_nul_bi', 5);

-- Sample valid arguments: one SQL expression per argument position.  The
-- login is current_user, evaluated after SET ROLE: the role's own login.
-- allowed: the roles that valid arguments do not refuse.
CREATE TEMP TABLE sample (
  signature text PRIMARY KEY,     -- proname(oidvectortypes(proargtypes))
  args text[] NOT NULL,
  allowed text[] NOT NULL,
  null_means_default int[] NOT NULL DEFAULT '{}',
  new_id boolean NOT NULL DEFAULT false);   -- returns a new id: compared with the digits masked
INSERT INTO sample (signature, args, allowed) VALUES
  ('current_member_id(name)', ARRAY['current_user'], '{rep,supervisor,manager,hr}'),
  ('led_team_ids(name)', ARRAY['current_user'], '{rep,supervisor,manager,hr}'),
  ('visible_member_ids(name)', ARRAY['current_user'], '{rep,supervisor,manager,hr}'),
  ('managed_team_ids(name)', ARRAY['current_user'], '{rep,supervisor,manager,hr}'),
  ('credited_sale_ids(name)', ARRAY['current_user'], '{rep,supervisor,manager}'),
  ('scope_root_team_ids(name)', ARRAY['current_user'], '{}'),
  ('reopen_appraisal_cycle(integer, text, name)', ARRAY[:'cycle', $$'sample reason'$$, 'current_user'], '{hr}'),
  ('require_role(name, text[], text)', ARRAY['current_user', $$'{sales_supervisor_rep}'$$, $$'test'$$], '{}'),
  ('allocate_quotas(integer, numeric, text, numeric, numeric[], text, numeric[], numeric, name)',
   ARRAY['2025', '1000000', $$'history'$$, '0.5', $$'{}'$$, $$'default'$$, $$'{25,50,75,100}'$$, '1', 'current_user'],
   '{manager}'),
  ('lock_quotas(integer, name)', ARRAY['2025', 'current_user'], '{manager}'),
  ('prorate_quotas(integer, name)', ARRAY['2025', 'current_user'], '{manager}'),
  ('quota_what_if(integer, jsonb, name)', ARRAY['2025', $$'{"same": {"basis": "equal"}}'$$, 'current_user'], '{manager}'),
  ('score_kpis(integer, name)', ARRAY[:'cycle', 'current_user'], '{hr}'),
  -- a company-wide step: manager 1 leads one department only
  ('run_commission(integer, name)', ARRAY[:'period', 'current_user'], '{}'),
  ('correct_sale_credit(bigint, integer[], numeric[], text, name)',
   ARRAY['1', $$'{8}'$$, $$'{100}'$$, $$'sample reason'$$, 'current_user'], '{}'),
  ('open_appraisal_cycle(integer, text, numeric, numeric, jsonb, name)',
   ARRAY['2026', $$'sample cycle'$$, '1', '5', $$'{"sales_rep": {"individual_performance": 100}}'$$, 'current_user'],
   '{hr}'),
  ('start_appraisal_reviews(integer, name)', ARRAY[:'cycle', 'current_user'], '{hr}'),
  ('calibrate_appraisal_cycle(integer, text, name)', ARRAY[:'cycle', $$'level'$$, 'current_user'], '{hr}'),
  ('close_appraisal_cycle(integer, text, name)', ARRAY[:'cycle', $$'level'$$, 'current_user'], '{hr}'),
  ('promotion_candidates(integer, name)', ARRAY[:'cycle', 'current_user'], '{hr}'),
  ('approve_promotion(integer, integer, integer, date, name)',
   ARRAY[:'cycle', '8', :'rule', $$'2026-01-01'$$, 'current_user'], '{hr}'),
  ('year_end_pay(integer, numeric, name)', ARRAY[:'cycle', '1', 'current_user'], '{hr}'),
  ('sale_scope_member_ids(name)', ARRAY['current_user'], '{rep,supervisor,manager,hr}'),
  ('sale_scope_moved_ids(name)', ARRAY['current_user'], '{rep,supervisor,manager,hr}'),
  ('sale_scope_moved_dates(name)', ARRAY['current_user'], '{rep,supervisor,manager,hr}'),
  ('sale_scope_moved(name)', ARRAY['current_user'], '{}'),
  ('appraisal_what_if(integer, jsonb, text, name)',
   ARRAY[:'cycle', $$'{"as is": {}}'$$, $$'level'$$, 'current_user'], '{hr}'),
  -- a company-wide step, like run_commission
  ('settle_commission_period(integer, name)', ARRAY[:'period', 'current_user'], '{}'),
  -- rep 8's statement: rep 8 themselves, manager 1 (department 1), HR; not supervisor 3
  ('commission_statement(integer, integer, name)', ARRAY['8', :'period', 'current_user'], '{rep,manager,hr}'),
  ('approve_payout_batch(integer, name)', ARRAY['1', 'current_user'], '{hr}'),
  -- no payout line 1 in the demo: HR gets through to P0002
  ('reverse_payout_line(bigint, text, name)', ARRAY['1', $$'sample reason'$$, 'current_user'], '{hr}');
-- scale-out (issue 18): without postgres_fdw in this database add_shard gets
-- through its role and argument checks to 55000; with no shard registered
-- shard_status returns no row and the read is refused with 55000
INSERT INTO sample (signature, args, allowed) VALUES
  ('add_shard(text, text, integer, text, text, text, name)',
   ARRAY[$$'s1'$$, $$'127.0.0.1'$$, '5999', $$'shard_db'$$, $$'ss_coordinator'$$, $$'secret'$$, 'current_user'], '{hr}'),
  ('shard_status(name)', ARRAY['current_user'], '{hr}'),
  ('shard_credited_sales_by_month(date, date, name)', ARRAY[$$'2025-01-01'$$, $$'2025-12-31'$$, 'current_user'], '{hr}'),
  -- issue 18, part 2: with no shard registered every call gets past its role
  -- and argument checks to 55000 (a write: past the role check to 55000)
  ('shard_survey_metrics(date, date, name)', ARRAY[$$'2025-01-01'$$, $$'2025-12-31'$$, 'current_user'], '{hr}'),
  ('shard_forecast_accuracy(name)', ARRAY['current_user'], '{hr}'),
  ('shard_kpi_measure(integer, name)', ARRAY[:'cycle', 'current_user'], '{hr}'),
  ('shard_credit_by_team_month(date, date, name)', ARRAY[$$'2025-01-01'$$, $$'2025-12-31'$$, 'current_user'], '{hr}'),
  ('shard_write_sales(jsonb, name)', ARRAY[$$'[{"sold_on": "2025-03-01"}]'$$, 'current_user'], '{hr}'),
  ('shard_half_writes(name)', ARRAY['current_user'], '{hr}'),
  ('shard_repair_writes(name)', ARRAY['current_user'], '{hr}'),
  -- issue 18, part 5: the shards' line reads with the caller's login (on a
  -- single server no row; shard_customer_sales_as_of: 55000, no shard)
  ('shard_line_rows(date, date, name)', ARRAY[$$'-infinity'$$, $$'infinity'$$, 'current_user'], '{rep,supervisor,manager}'),
  ('shard_commission_lines(name)', ARRAY['current_user'], '{rep,supervisor,manager}'),
  ('shard_customer_sales_as_of(date, integer, name)', ARRAY[$$'2025-06-30'$$, '90', 'current_user'],
   '{rep,supervisor,manager}');
-- calibration (issue 16): a session of department 1 on the closed demo cycle
-- (written as the owner: sessions open only while calibrating), calibrators
-- manager 1, HR 2 and supervisor 3; every call on it gets past its role checks
-- to a state check (55000) or its rows.  Team NULL in a department session is
-- refused (22023 or 42501); level NULL is its default.
INSERT INTO calibration_session (cycle_id, scope, team_id, max_adjustment, calibrators, opened_by)
VALUES (:cycle, 'department', 1, 5, '{1,2,3}', 'ss_demo_2') RETURNING session_id AS calsession \gset
INSERT INTO sample (signature, args, allowed, null_means_default) VALUES
  ('open_calibration_session(integer, text, numeric, integer[], integer, member_level, name)',
   ARRAY[:'cycle', $$'department'$$, '5', $$'{3}'$$, '1', 'NULL', 'current_user'], '{manager,hr}', '{6}');
INSERT INTO sample (signature, args, allowed) VALUES
  ('close_calibration_session(integer, name)', ARRAY[:'calsession', 'current_user'], '{manager,hr}'),
  ('adjust_final_score(integer, integer, numeric, text, name)',
   ARRAY[:'calsession', '8', '1', $$'sample reason'$$, 'current_user'], '{supervisor,manager,hr}'),
  ('calibration_raters(integer, name)', ARRAY[:'calsession', 'current_user'], '{supervisor,manager,hr}'),
  ('calibration_scores(integer, name)', ARRAY[:'calsession', 'current_user'], '{supervisor,manager,hr}'),
  ('publish_appraisal_cycle(integer, name)', ARRAY[:'cycle', 'current_user'], '{hr}');
INSERT INTO sample (signature, args, allowed) VALUES
  -- the demo cycle has no merit budget: HR gets through to P0002
  ('merit_preview(integer, integer, name)', ARRAY[:'cycle', '1', 'current_user'], '{hr}'),
  ('merit_apply(integer, integer, numeric, name)', ARRAY[:'cycle', '1', '0', 'current_user'], '{hr}');
-- disputes: rep 11 (team 7: supervisor 3's and manager 1's scope) has an open
-- one; filing with reason other needs no entry or line (NULL: the default),
-- and returns a new dispute id each time (new_id: the sequence is not rolled back)
INSERT INTO commission_dispute (member_id, period_id, reason_code, detail) VALUES (11, :period, 'other', 'sample')
  RETURNING dispute_id AS dispute \gset
INSERT INTO sample (signature, args, allowed, null_means_default, new_id) VALUES
  ('file_dispute(integer, text, text, bigint, bigint, numeric, name)',
   ARRAY[:'period', $$'other'$$, $$'sample detail'$$, 'NULL', 'NULL', 'NULL', 'current_user'],
   '{rep,supervisor,manager}', '{4,5,6}', true);
INSERT INTO sample (signature, args, allowed, null_means_default) VALUES
  ('decide_dispute(integer, boolean, text, numeric, name)',
   ARRAY[:'dispute', 'false', $$'sample resolution'$$, 'NULL', 'current_user'], '{supervisor,manager,hr}', '{4}');
-- level NULL (its default) keeps the level; rep 11 "moved" to its own team 7
-- (department 1, manager 1's) records nothing, so both calls return the same id
INSERT INTO sample (signature, args, allowed, null_means_default) VALUES
  ('transfer_member(integer, integer, date, text, member_level, name, text)',
   ARRAY['11', '7', $$'2025-06-17'$$, $$'sample'$$, 'NULL', 'current_user', $$'carry'$$], '{manager,hr}', '{5}');
-- reviewee / member NULL (the default) means oneself; into_period NULL the next open period
INSERT INTO sample (signature, args, allowed, null_means_default) VALUES
  ('review_summary(integer, integer, name)', ARRAY[:'cycle', '11', 'current_user'], '{supervisor,manager,hr}', '{2}'),
  ('self_assessment_comparison(integer, integer, name)', ARRAY[:'cycle', '11', 'current_user'], '{supervisor,manager,hr}', '{2}'),
  ('recalculate_commission(integer, integer, name)', ARRAY[:'period', 'NULL', 'current_user'], '{}', '{2}');
-- pace to quota and team risk (issue 19, parts 2-3): a date within the demo year
INSERT INTO sample (signature, args, allowed) VALUES
  ('pace_to_quota(date, period_kind, name)', ARRAY[$$'2025-06-15'$$, $$'month'$$, 'current_user'],
   '{rep,supervisor,manager,hr}'),
  ('team_risk(date, name)', ARRAY[$$'2025-06-15'$$, 'current_user'], '{supervisor,manager,hr}');

CREATE TEMP TABLE secdef AS
SELECT p.oid AS fn, p.proname::text || '(' || oidvectortypes(p.proargtypes) || ')' AS signature,
       p.proname::text AS proname, p.prokind, p.pronargs::int AS nargs,
       (SELECT array_agg(u.t ORDER BY u.o) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY u(t, o)) AS argtypes,
       p.proargnames
FROM pg_proc p
WHERE p.pronamespace = 'sales_supervisor'::regnamespace AND p.prosecdef
  AND p.prorettype <> 'trigger'::regtype;

-- The outcome of a call as a role: 'ok: <result rows>' or '<SQLSTATE>: <message>'.
-- Always rolled back (a success ends in a private error), role switch included.
CREATE FUNCTION pg_temp.outcome(r name, call text, is_proc boolean) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v text;
  st text;
  msg text;
BEGIN
  BEGIN
    IF r IS NOT NULL THEN
      EXECUTE format('SET LOCAL ROLE %I', r);
    END IF;
    IF is_proc THEN
      EXECUTE 'CALL ' || call;
      v := '(procedure)';
    ELSE
      EXECUTE format('SELECT coalesce(string_agg(t::text, %L ORDER BY t::text), %L) FROM %s t',
                     ' | ', '(no rows)', call) INTO v;
    END IF;
    RAISE EXCEPTION USING ERRCODE = 'ZZ000', MESSAGE = v;
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
  END;
  RETURN CASE WHEN st = 'ZZ000' THEN 'ok: ' || msg ELSE st || ': ' || msg END;
END
$$;

-- A call of fn: positional, sample i replaced by NULL (null_pos), or named
-- with position skip_pos left out (its default).
CREATE FUNCTION pg_temp.call_of(s secdef, args text[], null_pos int, skip_pos int) RETURNS text
LANGUAGE sql AS $$
  SELECT format('sales_supervisor.%I(%s)', s.proname,
                coalesce(string_agg(
                  CASE WHEN skip_pos IS NOT NULL THEN format('%I => ', s.proargnames[i]) ELSE '' END
                  || CASE WHEN i = null_pos THEN 'NULL' ELSE '(' || args[i] || ')' END
                  || '::' || format_type(s.argtypes[i], NULL), ', ' ORDER BY i)
                  FILTER (WHERE i IS DISTINCT FROM skip_pos), ''))
  FROM generate_series(1, s.nargs) i
$$;

CREATE TEMP TABLE null_call AS
SELECT s.signature, r.role_key, r.ord, i AS pos, s.argtypes[i] AS argtype,
       i = ANY (x.null_means_default) AS means_default,
       pg_temp.outcome(r.rolname, pg_temp.call_of(s, x.args, i, NULL), s.prokind = 'p') AS got,
       CASE WHEN i = ANY (x.null_means_default)
            THEN pg_temp.outcome(r.rolname, pg_temp.call_of(s, x.args, NULL, i), s.prokind = 'p') END AS default_got
FROM secdef s
JOIN sample x USING (signature)
CROSS JOIN (SELECT * FROM role_under_test UNION ALL SELECT 'owner', NULL, 0) r
CROSS JOIN LATERAL generate_series(1, s.nargs) i;

CREATE TEMP TABLE valid_call AS
SELECT s.signature, r.role_key, r.ord, r.role_key = ANY (x.allowed) AS allowed,
       pg_temp.outcome(r.rolname, pg_temp.call_of(s, x.args, NULL, NULL), s.prokind = 'p') AS got
FROM secdef s
JOIN sample x USING (signature)
CROSS JOIN role_under_test r;

SELECT plan((SELECT count(*)::int FROM null_call) + (SELECT count(*)::int FROM valid_call) + 20);

-- ---------------------------------------------------------------- the list comes from pg_proc
SELECT is((SELECT array_agg(signature ORDER BY signature) FROM secdef WHERE signature NOT IN (SELECT signature FROM sample)),
          NULL, 'every SECURITY DEFINER function (but triggers) has sample arguments in this test');
SELECT is((SELECT array_agg(signature ORDER BY signature) FROM sample WHERE signature NOT IN (SELECT signature FROM secdef)),
          NULL, 'no sample is left for a function that is gone or no longer SECURITY DEFINER');
SELECT is((SELECT array_agg(s.signature ORDER BY s.signature) FROM secdef s JOIN sample x USING (signature)
           WHERE cardinality(x.args) <> s.nargs),
          NULL, 'every sample gives one value per argument');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p
           WHERE p.pronamespace = 'sales_supervisor'::regnamespace AND p.prosecdef
             AND p.prorettype = 'trigger'::regtype AND p.pronargs > 0),
          NULL, 'the SECURITY DEFINER functions left out are triggers, which take no SQL argument');
SELECT cmp_ok((SELECT count(*)::int FROM secdef), '>=', 20, 'the catalog lists the SECURITY DEFINER functions');

-- ---------------------------------------------------------------- NULL in every position
SELECT ok(CASE WHEN c.means_default AND x.new_id
               THEN regexp_replace(c.got, '^ok: \d+$', 'ok: <id>') = regexp_replace(c.default_got, '^ok: \d+$', 'ok: <id>')
               WHEN c.means_default THEN c.got = c.default_got
               ELSE left(c.got, 5) IN ('22004', '42501', '22023', 'P0002') END,
          format('%s as %s, NULL %s (%s): %s%s', c.signature, c.role_key, c.pos, format_type(c.argtype, NULL),
                 CASE WHEN c.means_default THEN 'same as the default: ' ELSE 'refused: ' END, left(c.got, 160)))
FROM null_call c JOIN sample x USING (signature)
ORDER BY c.signature, c.pos, c.ord;

-- ---------------------------------------------------------------- valid arguments
SELECT ok(CASE WHEN v.allowed THEN left(v.got, 5) NOT IN ('42501', '22004')
               ELSE left(v.got, 5) = '42501' END,
          format('%s as %s, valid arguments: %s (%s)', v.signature, v.role_key,
                 CASE WHEN v.allowed THEN 'not refused' ELSE 'refused' END, left(v.got, 160)))
FROM valid_call v
ORDER BY v.signature, v.ord;

-- ---------------------------------------------------------------- the calls of issue 12.2
SET LOCAL ROLE ss_demo_8;
SELECT throws_ok(format('SELECT * FROM sales_supervisor.review_summary(%s, 12)', :cycle), '42501',
                 'role "ss_demo_8" may not see the reviews of member 12',
                 'rep: another rep''s review summary is refused');
SELECT throws_ok(format('SELECT * FROM sales_supervisor.review_summary(%s, 12, NULL)', :cycle), '22004',
                 'login must not be null',
                 'rep: ... and with a NULL login too (it returned the self, supervisor and peer averages)');
SELECT throws_ok($$SELECT * FROM sales_supervisor.review_summary(NULL, 12)$$, '22004', 'cycle must not be null',
                 'rep: a NULL cycle is refused too (it returned no rows, as if there were no reviews)');
SELECT results_eq(format('SELECT * FROM sales_supervisor.review_summary(%s, NULL)', :cycle),
                  format('SELECT * FROM sales_supervisor.review_summary(%s)', :cycle),
                  'rep: reviewee NULL is the default, oneself');
SELECT throws_ok($$SELECT sales_supervisor.credited_sale_ids(NULL)$$, '22004', 'login must not be null',
                 'rep: the policy helpers refuse a NULL login (it passed as "no scope")');
RESET ROLE;

-- Every step that takes an appraisal cycle refuses a NULL cycle as such
-- (it said "appraisal cycle <NULL> does not exist", P0002), as HR, who may call them all.
SET LOCAL ROLE ss_demo_2;
SELECT throws_ok(q, '22004', 'cycle must not be null', 'HR: ' || what || ' refuses a NULL cycle')
FROM (VALUES ('SELECT sales_supervisor.score_kpis(NULL)', 'score_kpis'),
             ('SELECT sales_supervisor.start_appraisal_reviews(NULL)', 'start_appraisal_reviews'),
             ('SELECT sales_supervisor.calibrate_appraisal_cycle(NULL)', 'calibrate_appraisal_cycle'),
             ('SELECT sales_supervisor.close_appraisal_cycle(NULL)', 'close_appraisal_cycle'),
             ('SELECT sales_supervisor.promotion_candidates(NULL)', 'promotion_candidates'),
             ('SELECT sales_supervisor.year_end_pay(NULL, 1)', 'year_end_pay')) AS v(q, what);
RESET ROLE;

SET LOCAL ROLE ss_demo_2;
SELECT throws_ok(format($$SELECT sales_supervisor.reopen_appraisal_cycle(%s, 'no login', NULL)$$, :cycle), '22004',
                 'login must not be null to reopen an appraisal cycle',
                 'HR: reopen_appraisal_cycle with a NULL login is refused (it skipped the role check)');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM audit_log WHERE action = 'REOPEN'), 0,
          '... and nothing was audited, with acting_role NULL or otherwise');
SET LOCAL ROLE ss_demo_2;
SELECT lives_ok(format($$SELECT sales_supervisor.reopen_appraisal_cycle(%s, 'sample reason')$$, :cycle),
                'HR: reopens with its own login');
RESET ROLE;
SELECT is((SELECT string_agg(acting_role || '|' || reason, ';') FROM audit_log WHERE action = 'REOPEN'),
          'ss_demo_2|sample reason', '... audited with its acting role');

SELECT * FROM finish();
ROLLBACK;
