-- Layer 3, security: group roles, grants, row-level security.
--
-- Five NOLOGIN group roles (cluster-wide, created if missing, never dropped by
-- the extension): the installer grants them to login roles, and maps each
-- login to a member through member.login_role.
--
--   sales_supervisor_rep         own customers, visits, sales, quotas, tasks, results
--   sales_supervisor_supervisor  everything of the members in the subtree of the teams they lead
--   sales_supervisor_manager     as supervisor (leading a department = the department)
--                                + writes quotas, plans and team structure
--   sales_supervisor_hr          every appraisal row, member records, pay
--   sales_supervisor_bi          no raw table at all; only documented views
--
-- The group decides WHAT a person may do, the team tree decides WHICH rows:
-- scope = the member itself + every member of every team in the subtree of a
-- team the member leads (team_leader).  A rep who happens to lead a team
-- still only sees their own rows unless granted the supervisor role.
--
-- The policies call SECURITY DEFINER helpers (owned by the extension owner,
-- which bypasses row-level security, so a policy on member that needs member
-- does not recurse).  The login is passed as a defaulted argument,
-- login name DEFAULT current_user: the default is evaluated in the caller's
-- context, so it is the caller's current_user (SET ROLE included), not the
-- definer's.  The helper checks that the session may act as that role, so
-- nobody can ask for another person's scope.

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['sales_supervisor_rep', 'sales_supervisor_supervisor',
                           'sales_supervisor_manager', 'sales_supervisor_hr',
                           'sales_supervisor_bi']
  LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END
$$;

GRANT USAGE ON SCHEMA sales_supervisor TO sales_supervisor_rep, sales_supervisor_supervisor,
  sales_supervisor_manager, sales_supervisor_hr, sales_supervisor_bi;

-- ---------------------------------------------------------------------------
-- Helpers used by the policies
-- ---------------------------------------------------------------------------

CREATE FUNCTION current_member_id(login name DEFAULT current_user)
RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_oid oid;
BEGIN
  -- Every helper and every sales-year step checks its login here first, so a
  -- NULL login is refused here, not passed on (pg_has_role(NULL, ...) is NULL).
  IF login IS NULL THEN
    RAISE EXCEPTION 'login must not be null'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Leave login out: it defaults to current_user.';
  END IF;
  SELECT r.oid INTO v_oid FROM pg_catalog.pg_roles r WHERE r.rolname = login;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'role "%" does not exist', login USING ERRCODE = 'undefined_object';
  END IF;
  IF pg_catalog.pg_has_role(session_user, v_oid, 'MEMBER') IS NOT TRUE THEN
    RAISE EXCEPTION 'session user "%" may not act as role "%"', session_user, login
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN (SELECT m.member_id FROM sales_supervisor.member m
          WHERE m.login_role = login AND m.active);
END
$$;
COMMENT ON FUNCTION current_member_id(name) IS
'Member id of the login (default: current_user, evaluated in the caller), NULL if the login is no active member. Security definer; refuses a NULL login (22004) and a login the session may not act as (42501).';

-- (led_team_ids and visible_member_ids call current_member_id first, outside
-- any query: inside one it might never be evaluated -- no team_leader row, no
-- check -- and a NULL or foreign login would pass as "leads nothing".)
CREATE FUNCTION led_team_ids(login name DEFAULT current_user)
RETURNS integer[]
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_me integer := sales_supervisor.current_member_id(login);   -- refuses NULL and foreign logins
BEGIN
  RETURN (
    WITH RECURSIVE sub(team_id, depth) AS (
      SELECT tl.team_id, 0 FROM sales_supervisor.team_leader tl WHERE tl.member_id = v_me
      UNION
      SELECT c.team_id, sub.depth + 1 FROM sales_supervisor.team c JOIN sub ON c.parent_id = sub.team_id
      WHERE sub.depth < 1000)
    SELECT coalesce(array_agg(DISTINCT sub.team_id ORDER BY sub.team_id), '{}') FROM sub);
END
$$;
COMMENT ON FUNCTION led_team_ids(name) IS
'Teams in the subtree of every team the login''s member leads (empty for someone who leads nothing). Security definer; refuses a NULL login and a login the session may not act as (current_member_id).';

CREATE FUNCTION visible_member_ids(login name DEFAULT current_user)
RETURNS integer[]
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_me integer := sales_supervisor.current_member_id(login);   -- refuses NULL and foreign logins
  v_teams integer[] := sales_supervisor.led_team_ids(login);
BEGIN
  RETURN (
    SELECT coalesce(array_agg(DISTINCT x.member_id ORDER BY x.member_id), '{}')
    FROM (SELECT v_me AS member_id
          UNION ALL
          SELECT m.member_id FROM sales_supervisor.member m WHERE m.team_id = ANY (v_teams)) x
    WHERE x.member_id IS NOT NULL);
END
$$;
COMMENT ON FUNCTION visible_member_ids(name) IS
'The login''s member plus every member of the subtree of the teams they lead: the row scope of supervisors and managers. Security definer; refuses a NULL login and a login the session may not act as (current_member_id).';

CREATE FUNCTION managed_team_ids(login name DEFAULT current_user)
RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT coalesce(array_agg(t ORDER BY t), '{}')
  FROM unnest(sales_supervisor.led_team_ids(login)) t
  WHERE t NOT IN (SELECT tl.team_id FROM sales_supervisor.team_leader tl
                  WHERE tl.member_id = sales_supervisor.current_member_id(login))
$$;
COMMENT ON FUNCTION managed_team_ids(name) IS
'Teams strictly inside the subtree the login''s member leads: the subtree of led_team_ids() without the teams they lead themselves (its roots). What a manager may restructure. Security definer.';

-- (one statement per release's helpers: scripts/gen_upgrade.py copies a GRANT
-- with each function it names, so a GRANT naming a newer helper would run in
-- an upgrade before that helper exists)
REVOKE ALL ON FUNCTION current_member_id(name), led_team_ids(name), visible_member_ids(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION current_member_id(name), led_team_ids(name), visible_member_ids(name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
REVOKE ALL ON FUNCTION managed_team_ids(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION managed_team_ids(name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- Sales lines follow the history of assignments (member_assignment): a
-- supervisor or manager sees a rep's sales lines dated while the rep was in
-- the subtree they lead, and not the others.  The common case stays the array
-- test of 0.2.0: a permissive policy admits the lines of every member who was
-- ever in the subtree (sale_scope_member_ids, index-friendly, no per-row filter
-- beyond it), and a restrictive one drops, for the few members who moved in or
-- out of it (sale_scope_moved_ids, a short array), the lines dated outside the
-- days they were in it (sale_scope_moved_dates, an array subscripted by member
-- id).  Days before a member's first or after their last assignment count with
-- that assignment.  The subtree is the one led today (team_leader).
CREATE FUNCTION sale_scope_moved(login name DEFAULT current_user)
RETURNS TABLE (member_id integer, dates datemultirange)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_me integer := sales_supervisor.current_member_id(login);   -- refuses NULL and foreign logins
  v_teams integer[] := sales_supervisor.led_team_ids(login);
BEGIN
  RETURN QUERY
  WITH a AS (
    SELECT x.member_id, x.team_id = ANY (v_teams) AS inside,
           daterange(CASE WHEN lower(x.valid) > min(lower(x.valid)) OVER w THEN lower(x.valid) END,
                     CASE WHEN lower(x.valid) < max(lower(x.valid)) OVER w THEN upper(x.valid) END) AS days
    FROM sales_supervisor.member_assignment x
    WHERE x.member_id IS DISTINCT FROM v_me
    WINDOW w AS (PARTITION BY x.member_id))
  SELECT a.member_id, range_agg(a.days) FILTER (WHERE a.inside)
  FROM a
  GROUP BY a.member_id
  HAVING bool_or(a.inside) AND NOT bool_and(a.inside);
END
$$;
COMMENT ON FUNCTION sale_scope_moved(name) IS
'Internal (sale policies): the members who were in the subtree the login leads for part of their history only, with the days they were in it (before the first and after the last assignment counting with it). Security definer; refuses a NULL login and a login the session may not act as.';
REVOKE ALL ON FUNCTION sale_scope_moved(name) FROM PUBLIC;

CREATE FUNCTION sale_scope_member_ids(login name DEFAULT current_user)
RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT coalesce(array_agg(DISTINCT v.id ORDER BY v.id), '{}')
  FROM (SELECT unnest(sales_supervisor.visible_member_ids(login))
        UNION ALL
        SELECT s.member_id FROM sales_supervisor.sale_scope_moved(login) s) v(id)
$$;
COMMENT ON FUNCTION sale_scope_member_ids(name) IS
'The members some of whose sales lines the login sees: visible_member_ids() and the members who were in the subtree the login leads for part of their history (sale_scope_moved_ids(), whose lines the restrictive sale policy limits to those days). Used by the sale policies. Security definer; refuses a NULL login and a login the session may not act as.';

CREATE FUNCTION sale_scope_moved_ids(login name DEFAULT current_user)
RETURNS integer[]
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT coalesce(array_agg(s.member_id ORDER BY s.member_id), '{}') FROM sales_supervisor.sale_scope_moved(login) s
$$;
COMMENT ON FUNCTION sale_scope_moved_ids(name) IS
'The members who moved into or out of the subtree the login leads (part of their member_assignment history inside it): their sales lines are visible on the days they were inside (sale_scope_moved_dates). Used by the sale policy. Security definer.';

CREATE FUNCTION sale_scope_moved_dates(login name DEFAULT current_user)
RETURNS datemultirange[]
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_dates datemultirange[] := '{}';
  r record;
BEGIN
  FOR r IN SELECT s.member_id, s.dates FROM sales_supervisor.sale_scope_moved(login) s ORDER BY s.member_id LOOP
    v_dates[r.member_id] := r.dates;     -- subscript = member id (gaps are NULL)
  END LOOP;
  RETURN v_dates;
END
$$;
COMMENT ON FUNCTION sale_scope_moved_dates(name) IS
'The days each member of sale_scope_moved_ids() was in the subtree the login leads, as an array subscripted by member id (NULL for every other member): the sale policy tests sold_on <@ dates[member_id]. Security definer.';
REVOKE ALL ON FUNCTION sale_scope_member_ids(name), sale_scope_moved_ids(name), sale_scope_moved_dates(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sale_scope_member_ids(name), sale_scope_moved_ids(name), sale_scope_moved_dates(name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- Grants (commands) — row-level security below decides the rows.
-- ---------------------------------------------------------------------------

-- Reference data readable by everybody in the organisation.
GRANT SELECT ON team, team_leader, visit_cadence, product_category, fiscal_period, seasonal_distribution,
  training_session, appraisal_cycle, appraisal_component_weight, kpi_definition, kpi_weight,
  grade_policy, promotion_rule, commission_period_lock, member, kpi_target, bonus_target
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- The assignment history is read like member (row-level security below) and
-- written through transfer_member() and the triggers on member only.
GRANT SELECT ON member_assignment
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT SELECT ON team_leadership
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE ON member TO sales_supervisor_hr;
GRANT INSERT, UPDATE ON team, team_leader TO sales_supervisor_manager, sales_supervisor_hr;
GRANT DELETE ON team_leader TO sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON visit_cadence, product_category, fiscal_period, seasonal_distribution
  TO sales_supervisor_manager;
GRANT INSERT, UPDATE ON training_session
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON appraisal_cycle, appraisal_component_weight, kpi_definition,
  kpi_weight, kpi_target, grade_policy, promotion_rule, bonus_target TO sales_supervisor_hr;

-- Customers
-- Reps keep the file up to date but do not re-tier, move or hand over customers.
GRANT SELECT ON customer TO sales_supervisor_rep;
GRANT UPDATE (name, industry, region, profile) ON customer TO sales_supervisor_rep;
GRANT SELECT, INSERT, UPDATE ON customer TO sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT, INSERT, UPDATE, DELETE ON customer_contact
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT, INSERT, UPDATE ON customer_visit, feedback
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT DELETE ON customer_visit TO sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON survey_response, overdue_visit
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT INSERT ON survey_response TO sales_supervisor_supervisor, sales_supervisor_manager;

-- Sales and plans
GRANT SELECT ON sale, sale_credit, commission_plan, commission_credit, commission_payout
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT INSERT, UPDATE ON commission_plan TO sales_supervisor_manager;
GRANT SELECT, INSERT, UPDATE ON opportunity
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
-- Supervisors set the reports due; reps submit them (the time is the server's, see work_report_stamp).
GRANT SELECT, INSERT, UPDATE ON work_report TO sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON work_report TO sales_supervisor_rep;
GRANT UPDATE (body, submitted_at) ON work_report TO sales_supervisor_rep;
GRANT SELECT, INSERT ON forecast
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON quota TO sales_supervisor_rep, sales_supervisor_supervisor;
GRANT SELECT, INSERT, UPDATE ON quota TO sales_supervisor_manager;
GRANT SELECT ON task TO sales_supervisor_rep;
GRANT UPDATE (status, done_at) ON task TO sales_supervisor_rep;
GRANT SELECT, INSERT, UPDATE, DELETE ON task TO sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON training_attendance
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE ON training_attendance
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- Appraisal
GRANT SELECT ON kpi_result, appraisal_result, appraisal_consequence, promotion, pay
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT SELECT, INSERT, UPDATE ON review_score
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
-- A written review keeps its reviewee and role; only the comment can be revised.
GRANT SELECT, INSERT ON review
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT UPDATE (comment) ON review TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT UPDATE ON review TO sales_supervisor_hr;
GRANT DELETE ON review_score
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT DELETE ON review TO sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON kpi_result, appraisal_result, promotion_candidate TO sales_supervisor_hr;
GRANT SELECT ON promotion_candidate
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE ON promotion, pay TO sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- Row-level security.  Naming: <table>_own (reps: their own rows),
-- <table>_subtree (supervisors and managers: their scope), <table>_hr (HR: all),
-- <table>_via_<parent> (visible exactly when the parent row is).
-- ---------------------------------------------------------------------------

ALTER TABLE member ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_own ON member TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY member_subtree ON member TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY member_hr ON member TO sales_supervisor_hr USING (true);

-- Assignments: one's own; a supervisor's or manager's scope, and every row
-- dated in a team of the subtree they lead (the history of who was there);
-- HR all.  Read only (no write grant).
ALTER TABLE member_assignment ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_assignment_own ON member_assignment TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY member_assignment_subtree ON member_assignment TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         OR team_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[]));
CREATE POLICY member_assignment_hr ON member_assignment TO sales_supervisor_hr USING (true);

-- The org structure decides every scope, so it is changed only by HR, or by a
-- manager strictly inside their own subtree: a manager may add teams under
-- any team of their subtree, move a team that lies strictly inside it to
-- another parent inside it, and appoint or remove the leaders of those teams
-- (members of their scope only) -- never touch the teams they lead
-- themselves (the roots of their scope), a team outside it, or a leader
-- from outside.  Membership (member.team_id), levels and logins
-- (member.login_role) are HR's alone (column grants).  Everybody in the
-- organisation reads the tree.
ALTER TABLE team ENABLE ROW LEVEL SECURITY;
CREATE POLICY team_read ON team FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr
  USING (true);
CREATE POLICY team_hr ON team TO sales_supervisor_hr USING (true) WITH CHECK (true);
CREATE POLICY team_manager_insert ON team FOR INSERT TO sales_supervisor_manager
  WITH CHECK (parent_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[]));
CREATE POLICY team_manager_update ON team FOR UPDATE TO sales_supervisor_manager
  USING (team_id = ANY ((SELECT sales_supervisor.managed_team_ids())::integer[]))
  WITH CHECK (team_id = ANY ((SELECT sales_supervisor.managed_team_ids())::integer[])
              AND parent_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[]));

ALTER TABLE team_leader ENABLE ROW LEVEL SECURITY;
CREATE POLICY team_leader_read ON team_leader FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr
  USING (true);
CREATE POLICY team_leader_hr ON team_leader TO sales_supervisor_hr USING (true) WITH CHECK (true);
CREATE POLICY team_leader_manager_insert ON team_leader FOR INSERT TO sales_supervisor_manager
  WITH CHECK (team_id = ANY ((SELECT sales_supervisor.managed_team_ids())::integer[])
              AND member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY team_leader_manager_update ON team_leader FOR UPDATE TO sales_supervisor_manager
  USING (team_id = ANY ((SELECT sales_supervisor.managed_team_ids())::integer[]))
  WITH CHECK (team_id = ANY ((SELECT sales_supervisor.managed_team_ids())::integer[])
              AND member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY team_leader_manager_delete ON team_leader FOR DELETE TO sales_supervisor_manager
  USING (team_id = ANY ((SELECT sales_supervisor.managed_team_ids())::integer[]));
-- The history of leadership is read like team_leader; written by its trigger only.
ALTER TABLE team_leadership ENABLE ROW LEVEL SECURITY;
CREATE POLICY team_leadership_read ON team_leadership FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr
  USING (true);

ALTER TABLE customer ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_own ON customer TO sales_supervisor_rep
  USING (owner_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY customer_subtree ON customer TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (owner_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         OR team_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[]));

-- Children of a customer: visible (and writable) exactly when the customer is.
ALTER TABLE customer_contact ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_contact_via_customer ON customer_contact
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));
ALTER TABLE customer_visit ENABLE ROW LEVEL SECURITY;
CREATE POLICY customer_visit_via_customer ON customer_visit
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));
ALTER TABLE feedback ENABLE ROW LEVEL SECURITY;
CREATE POLICY feedback_via_customer ON feedback
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));
ALTER TABLE survey_response ENABLE ROW LEVEL SECURITY;
CREATE POLICY survey_response_via_customer ON survey_response
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (customer_id IN (SELECT c.customer_id FROM sales_supervisor.customer c));

ALTER TABLE sale_credit ENABLE ROW LEVEL SECURITY;
-- The whole split of every sales line one can see (not only one's own share):
-- the credit of a split line is computed over all its shares.
CREATE POLICY sale_credit_via_sale ON sale_credit
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (sale_id IN (SELECT s.sale_id FROM sales_supervisor.sale s));

-- A sales line is visible to the rep it is booked to (and their supervisors and
-- managers) and to every rep credited a share of it.  The second arm is an
-- array of the few lines credited into the caller's scope but booked outside it
-- (credited_sale_ids, computed once per query): with a small array the planner
-- answers a rep's query with two index scans joined by a BitmapOr, and a
-- supervisor's sequential scan stays cheap per row.  (A plain
-- "sale_id IN (SELECT ... FROM sale_credit)" forces a scan of every sales line
-- for every rep; an array of every credited line makes the per-row check linear
-- in the number of splits.)
CREATE FUNCTION credited_sale_ids(login name DEFAULT current_user)
RETURNS bigint[]
LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_me integer := sales_supervisor.current_member_id(login);   -- refuses NULL and foreign logins
  v_scope integer[];
BEGIN
  IF (pg_catalog.pg_has_role(login, 'sales_supervisor_supervisor', 'MEMBER')
      OR pg_catalog.pg_has_role(login, 'sales_supervisor_manager', 'MEMBER')) IS TRUE THEN
    v_scope := sales_supervisor.visible_member_ids(login);
  ELSE
    v_scope := array_remove(ARRAY[v_me], NULL);
  END IF;
  RETURN (SELECT coalesce(array_agg(DISTINCT sc.sale_id ORDER BY sc.sale_id), '{}')
          FROM sales_supervisor.sale_credit sc
          JOIN sales_supervisor.sale s ON s.sale_id = sc.sale_id
          WHERE sc.member_id = ANY (v_scope) AND s.member_id <> ALL (v_scope));
END
$$;
COMMENT ON FUNCTION credited_sale_ids(name) IS
'Sales lines credited (sale_credit) to the login''s scope - the member itself, or for supervisors and managers their whole scope - but booked to someone outside it. Used by the sale policies. Security definer; refuses a NULL login and a login the session may not act as (current_member_id).';
REVOKE ALL ON FUNCTION credited_sale_ids(name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION credited_sale_ids(name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

ALTER TABLE sale ENABLE ROW LEVEL SECURITY;
CREATE POLICY sale_own ON sale TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id())
         OR sale_id = ANY ((SELECT sales_supervisor.credited_sale_ids())::bigint[]));
-- Supervisors and managers: by the assignment history (sale_scope_member_ids,
-- sale_scope_moved_ids and _dates above): a moved rep's lines dated while the
-- rep was in their subtree.  The permissive policy is index-friendly (a small
-- scope is answered by a BitmapOr of two index scans, its arrays only
-- rechecked on lossy pages); the restrictive one costs a short array test per
-- line, and a subscript only for the moved reps' lines.  (Its credited-line arm
-- is reached only for a moved rep's line outside the dates: that InitPlan runs
-- only then.)
CREATE POLICY sale_subtree ON sale TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.sale_scope_member_ids())::integer[])
         OR sale_id = ANY ((SELECT sales_supervisor.credited_sale_ids())::bigint[]));
CREATE POLICY sale_subtree_dated ON sale AS RESTRICTIVE TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id <> ALL ((SELECT sales_supervisor.sale_scope_moved_ids())::integer[])
         OR sold_on <@ ((SELECT sales_supervisor.sale_scope_moved_dates())::datemultirange[])[member_id]
         OR sale_id = ANY ((SELECT sales_supervisor.credited_sale_ids())::bigint[]));

-- The late-line queue shows a line to whoever can see the line.
GRANT SELECT ON commission_late_sale TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
ALTER TABLE commission_late_sale ENABLE ROW LEVEL SECURITY;
CREATE POLICY commission_late_sale_visible ON commission_late_sale
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (EXISTS (SELECT 1 FROM sales_supervisor.sale s WHERE s.sale_id = commission_late_sale.sale_id));

ALTER TABLE quota ENABLE ROW LEVEL SECURITY;
CREATE POLICY quota_own ON quota TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY quota_subtree ON quota TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         OR team_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[]));

-- Tables keyed by one member column: own for reps, scope for supervisors and
-- managers, and (for appraisal and HR data) everything for HR.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
      ('opportunity', 'member_id', false),
      ('forecast', 'member_id', false),
      ('task', 'assigned_to', false),
      ('work_report', 'member_id', false),
      ('commission_plan', 'member_id', false),
      ('commission_credit', 'member_id', false),
      ('commission_payout', 'member_id', false),
      ('training_attendance', 'member_id', true),
      ('kpi_result', 'member_id', true),
      ('promotion', 'member_id', true)) AS v(tab, col, hr)
  LOOP
    EXECUTE pg_catalog.format('ALTER TABLE sales_supervisor.%I ENABLE ROW LEVEL SECURITY', t.tab);
    EXECUTE pg_catalog.format(
      'CREATE POLICY %I ON sales_supervisor.%I TO sales_supervisor_rep '
      'USING (%I = (SELECT sales_supervisor.current_member_id()))', t.tab || '_own', t.tab, t.col);
    EXECUTE pg_catalog.format(
      'CREATE POLICY %I ON sales_supervisor.%I TO sales_supervisor_supervisor, sales_supervisor_manager '
      'USING (%I = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]))', t.tab || '_subtree', t.tab, t.col);
    IF t.hr THEN
      EXECUTE pg_catalog.format(
        'CREATE POLICY %I ON sales_supervisor.%I TO sales_supervisor_hr USING (true)', t.tab || '_hr', t.tab);
    END IF;
  END LOOP;
END
$$;

-- Appraisal results and their calibration (issue 16).  A member sees their
-- own result, consequences, score before calibration and adjustment only
-- once the cycle is closed and published (published_cycle_ids); until then
-- neither as a rep nor as the supervisor or manager whose scope includes
-- themself.  Supervisors and managers see the rest of their scope; HR all.
-- A calibration session is seen by HR, its calibrators, and the leaders of
-- the subtree it calibrates (a level session: HR and its calibrators); its
-- adjustments by those who see the session or the member, never the member
-- adjusted before publication.  The tables are written only by the
-- extension's functions (appraisal_result and appraisal_consequence also by
-- HR, as before).
CREATE FUNCTION published_cycle_ids()
RETURNS integer[]
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT coalesce(array_agg(c.cycle_id ORDER BY c.cycle_id), '{}')
  FROM sales_supervisor.appraisal_cycle c
  JOIN sales_supervisor.appraisal_publication p ON p.cycle_id = c.cycle_id
  WHERE c.state = 'closed' AND p.published_at >= c.closed_at
$$;
COMMENT ON FUNCTION published_cycle_ids() IS
'The appraisal cycles whose results the members appraised may read: closed, and published (appraisal_publication) at or after their last close. Used by the policies of appraisal_result, appraisal_consequence, calibration_baseline and calibration_adjustment.';
REVOKE ALL ON FUNCTION published_cycle_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION published_cycle_ids()
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

ALTER TABLE appraisal_result ENABLE ROW LEVEL SECURITY;
CREATE POLICY appraisal_result_own ON appraisal_result TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id())
         AND cycle_id = ANY ((SELECT sales_supervisor.published_cycle_ids())::integer[]));
CREATE POLICY appraisal_result_subtree ON appraisal_result TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         AND (member_id IS DISTINCT FROM (SELECT sales_supervisor.current_member_id())
              OR cycle_id = ANY ((SELECT sales_supervisor.published_cycle_ids())::integer[])));
CREATE POLICY appraisal_result_hr ON appraisal_result TO sales_supervisor_hr USING (true);
ALTER TABLE appraisal_consequence ENABLE ROW LEVEL SECURITY;
CREATE POLICY appraisal_consequence_own ON appraisal_consequence TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id())
         AND cycle_id = ANY ((SELECT sales_supervisor.published_cycle_ids())::integer[]));
CREATE POLICY appraisal_consequence_subtree ON appraisal_consequence TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         AND (member_id IS DISTINCT FROM (SELECT sales_supervisor.current_member_id())
              OR cycle_id = ANY ((SELECT sales_supervisor.published_cycle_ids())::integer[])));
CREATE POLICY appraisal_consequence_hr ON appraisal_consequence TO sales_supervisor_hr USING (true);

GRANT SELECT ON appraisal_publication
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT SELECT ON calibration_baseline, calibration_adjustment
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT SELECT ON calibration_session TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
ALTER TABLE appraisal_publication ENABLE ROW LEVEL SECURITY;
CREATE POLICY appraisal_publication_read ON appraisal_publication FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr
  USING (true);
ALTER TABLE calibration_session ENABLE ROW LEVEL SECURITY;
CREATE POLICY calibration_session_scope ON calibration_session FOR SELECT
  TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (team_id = ANY ((SELECT sales_supervisor.led_team_ids())::integer[])
         OR (SELECT sales_supervisor.current_member_id()) = ANY (calibrators));
CREATE POLICY calibration_session_hr ON calibration_session FOR SELECT TO sales_supervisor_hr USING (true);
ALTER TABLE calibration_baseline ENABLE ROW LEVEL SECURITY;
CREATE POLICY calibration_baseline_own ON calibration_baseline FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = (SELECT sales_supervisor.current_member_id())
         AND cycle_id = ANY ((SELECT sales_supervisor.published_cycle_ids())::integer[]));
CREATE POLICY calibration_baseline_subtree ON calibration_baseline FOR SELECT
  TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
         AND member_id IS DISTINCT FROM (SELECT sales_supervisor.current_member_id()));
CREATE POLICY calibration_baseline_hr ON calibration_baseline FOR SELECT TO sales_supervisor_hr USING (true);
ALTER TABLE calibration_adjustment ENABLE ROW LEVEL SECURITY;
CREATE POLICY calibration_adjustment_own ON calibration_adjustment FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = (SELECT sales_supervisor.current_member_id())
         AND cycle_id = ANY ((SELECT sales_supervisor.published_cycle_ids())::integer[]));
CREATE POLICY calibration_adjustment_scope ON calibration_adjustment FOR SELECT
  TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id IS DISTINCT FROM (SELECT sales_supervisor.current_member_id())
         AND (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
              OR session_id IN (SELECT s.session_id FROM sales_supervisor.calibration_session s)));
CREATE POLICY calibration_adjustment_hr ON calibration_adjustment FOR SELECT TO sales_supervisor_hr USING (true);

-- Plan versions are read like the plans: the rep their own, supervisors and
-- managers their scope.  Split corrections like the lines they correct, and
-- also by the rep whose credit they changed (a rep taken out of a split no
-- longer sees the line, but sees what was taken).  Written only by the
-- extension's own triggers and functions.
GRANT SELECT ON commission_plan_version, sale_credit_correction
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
ALTER TABLE commission_plan_version ENABLE ROW LEVEL SECURITY;
CREATE POLICY commission_plan_version_own ON commission_plan_version TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY commission_plan_version_subtree ON commission_plan_version
  TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
ALTER TABLE sale_credit_correction ENABLE ROW LEVEL SECURITY;
CREATE POLICY sale_credit_correction_own ON sale_credit_correction TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY sale_credit_correction_subtree ON sale_credit_correction
  TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY sale_credit_correction_via_sale ON sale_credit_correction
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (EXISTS (SELECT 1 FROM sales_supervisor.sale s WHERE s.sale_id = sale_credit_correction.sale_id));

-- Quota relief is read like quotas (the rep their own, supervisors and
-- managers their scope, HR all) and written by managers for the members of
-- their scope but not for themselves (append-only: no UPDATE or DELETE for
-- anyone); leaves of
-- absence are HR data, read by the member and their supervisors.
GRANT SELECT ON quota_relief, member_leave
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT ON quota_relief TO sales_supervisor_manager;
GRANT INSERT, UPDATE, DELETE ON member_leave TO sales_supervisor_hr;
ALTER TABLE quota_relief ENABLE ROW LEVEL SECURITY;
CREATE POLICY quota_relief_own ON quota_relief FOR SELECT TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY quota_relief_subtree ON quota_relief FOR SELECT TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
-- a manager relieves the members of their scope, never themself
CREATE POLICY quota_relief_manager_insert ON quota_relief FOR INSERT TO sales_supervisor_manager
  WITH CHECK (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[])
              AND member_id IS DISTINCT FROM (SELECT sales_supervisor.current_member_id()));
CREATE POLICY quota_relief_hr ON quota_relief FOR SELECT TO sales_supervisor_hr USING (true);
ALTER TABLE member_leave ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_leave_own ON member_leave FOR SELECT TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY member_leave_subtree ON member_leave FOR SELECT TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY member_leave_hr ON member_leave TO sales_supervisor_hr USING (true) WITH CHECK (true);

-- Promotion candidates: supervisors and managers for their scope, HR all (not the candidate).
ALTER TABLE promotion_candidate ENABLE ROW LEVEL SECURITY;
CREATE POLICY promotion_candidate_subtree ON promotion_candidate
  TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY promotion_candidate_hr ON promotion_candidate TO sales_supervisor_hr USING (true);

-- Pay is personal: the member and HR only.
ALTER TABLE pay ENABLE ROW LEVEL SECURITY;
CREATE POLICY pay_own ON pay
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY pay_hr ON pay TO sales_supervisor_hr USING (true);

-- Appraisal templates (issue 16): the form everyone is appraised on, read by
-- everyone in the organisation; written by HR.
GRANT SELECT ON appraisal_template
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT INSERT, UPDATE, DELETE ON appraisal_template TO sales_supervisor_hr;
ALTER TABLE appraisal_template ENABLE ROW LEVEL SECURITY;
CREATE POLICY appraisal_template_read ON appraisal_template FOR SELECT
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager USING (true);
CREATE POLICY appraisal_template_hr ON appraisal_template TO sales_supervisor_hr USING (true) WITH CHECK (true);

-- Reviews: a reviewer sees (and writes) only what they wrote; HR sees all.
-- Reviewees and their supervisors get aggregates only, through review_summary().
ALTER TABLE review ENABLE ROW LEVEL SECURITY;
CREATE POLICY review_reviewer ON review
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (reviewer_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY review_hr ON review TO sales_supervisor_hr USING (true);
ALTER TABLE review_score ENABLE ROW LEVEL SECURITY;
CREATE POLICY review_score_via_review ON review_score
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (review_id IN (SELECT r.review_id FROM sales_supervisor.review r));
CREATE POLICY review_score_hr ON review_score TO sales_supervisor_hr USING (true);

-- ---------------------------------------------------------------------------
-- Functions that cross the lines on purpose
-- ---------------------------------------------------------------------------

CREATE FUNCTION review_summary(cycle integer, reviewee integer DEFAULT NULL,
                               login name DEFAULT current_user)
RETURNS TABLE (rater_role rater_role, criterion text, reviews bigint, avg_score numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_me integer := sales_supervisor.current_member_id(login);   -- refuses NULL and foreign logins
  v_who integer := coalesce(reviewee, v_me);                    -- reviewee NULL (the default): oneself
  -- the cycle's anonymity threshold (issue 16), the one the appraisal applies
  v_min integer := coalesce((SELECT a.min_anonymous_reviews FROM sales_supervisor.appraisal_cycle a
                             WHERE a.cycle_id = review_summary.cycle), 3);
BEGIN
  IF cycle IS NULL THEN
    RAISE EXCEPTION 'cycle must not be null'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  IF v_who IS NULL THEN
    RAISE EXCEPTION 'role "%" is not an active member', login
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Pass the reviewee, or map the login to its member (member.login_role).';
  END IF;
  -- allowed: oneself, HR, a supervisor or manager over their scope; anything
  -- not proven true (a NULL included) is refused
  IF (v_who = v_me
      OR pg_catalog.pg_has_role(login, 'sales_supervisor_hr', 'MEMBER')
      OR ((pg_catalog.pg_has_role(login, 'sales_supervisor_supervisor', 'MEMBER')
           OR pg_catalog.pg_has_role(login, 'sales_supervisor_manager', 'MEMBER'))
          AND v_who = ANY (sales_supervisor.visible_member_ids(login)))) IS NOT TRUE THEN
    RAISE EXCEPTION 'role "%" may not see the reviews of member %', login, v_who
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Reviews are summarised for oneself, for supervisors and managers over their scope, and for HR.';
  END IF;
  RETURN QUERY
  SELECT r.rater_role, s.criterion, count(*),
         CASE WHEN r.rater_role IN ('peer', 'subordinate') AND count(*) < v_min THEN NULL
              ELSE round(avg(s.score), 2) END
  FROM sales_supervisor.review r
  JOIN sales_supervisor.review_score s ON s.review_id = r.review_id
  WHERE r.cycle_id = cycle AND r.reviewee_id = v_who
  GROUP BY r.rater_role, s.criterion
  ORDER BY r.rater_role, s.criterion;
END
$$;
COMMENT ON FUNCTION review_summary(integer, integer, name) IS
'Aggregated reviews of a reviewee in a cycle (default: the caller), by rater role and criterion: number of reviews and average score, never reviewer ids or comments. Peer and subordinate averages are withheld (NULL) below the cycle''s min_anonymous_reviews (default 3) reviews, so a small panel cannot be de-anonymised -- the same threshold below which the appraisal withholds the group from the score. Allowed for oneself, for supervisors and managers over their scope, and for HR. reviewee NULL means the caller (the default); a NULL cycle or login is refused (22004).';
REVOKE ALL ON FUNCTION review_summary(integer, integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION review_summary(integer, integer, name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

-- The BI role reads documented views only: the reporting views, v_org_summary
-- included, are in 55_reports.sql.

-- From credit to payout (issue 15).  Invoices and payments are read like the
-- customers they bill (written by the owner's billing integration, like the
-- sales lines); the account (entries, balances, payout batch lines) and
-- disputes are read like the commission ledgers -- the rep their own,
-- supervisors and managers their scope, HR all -- and written only by the
-- extension's functions.  Batch headers and SPIFFs are no one's personal data.
GRANT SELECT ON invoice TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
GRANT SELECT ON invoice_payment TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
ALTER TABLE invoice ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoice_via_customer ON invoice
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (EXISTS (SELECT 1 FROM sales_supervisor.customer c WHERE c.customer_id = invoice.customer_id));
ALTER TABLE invoice_payment ENABLE ROW LEVEL SECURITY;
CREATE POLICY invoice_payment_via_invoice ON invoice_payment
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (EXISTS (SELECT 1 FROM sales_supervisor.invoice i WHERE i.invoice_id = invoice_payment.invoice_id));
GRANT SELECT ON commission_entry, commission_balance, payout_batch_line, commission_dispute
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
GRANT SELECT ON payout_batch, spiff
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
-- SPIFFs are set up by managers and HR (audited; a SPIFF whose payout is
-- settled is final: spiff_check_settled, 49_incentive_spiffs.sql)
GRANT INSERT, UPDATE, DELETE ON spiff TO sales_supervisor_manager, sales_supervisor_hr;
ALTER TABLE commission_entry ENABLE ROW LEVEL SECURITY;
CREATE POLICY commission_entry_own ON commission_entry TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY commission_entry_subtree ON commission_entry TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY commission_entry_hr ON commission_entry TO sales_supervisor_hr USING (true);
ALTER TABLE commission_balance ENABLE ROW LEVEL SECURITY;
CREATE POLICY commission_balance_own ON commission_balance TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY commission_balance_subtree ON commission_balance TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY commission_balance_hr ON commission_balance TO sales_supervisor_hr USING (true);
ALTER TABLE payout_batch_line ENABLE ROW LEVEL SECURITY;
CREATE POLICY payout_batch_line_own ON payout_batch_line TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY payout_batch_line_subtree ON payout_batch_line TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY payout_batch_line_hr ON payout_batch_line TO sales_supervisor_hr USING (true);
ALTER TABLE commission_dispute ENABLE ROW LEVEL SECURITY;
CREATE POLICY commission_dispute_own ON commission_dispute TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY commission_dispute_subtree ON commission_dispute TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
CREATE POLICY commission_dispute_hr ON commission_dispute TO sales_supervisor_hr USING (true);
