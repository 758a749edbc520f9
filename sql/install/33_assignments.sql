-- Layer 3, assignments: the dated changes of a member's team and level
-- (member_assignment, 20_model_org_customers.sql; its triggers are in
-- 24_model_integrity.sql):
--   transfer_member        HR (and a manager within their subtree) dates a
--                          transfer or a change of level, past or future
--   apply_due_assignments  the daily step that brings member.team_id and
--                          member.level up to the assignment in force today

-- transfer_member: from effective on, the member is in team (at level, NULL:
-- unchanged) until the next recorded change.  HR may move anyone anywhere; a
-- manager moves a member of the subtree they lead (in force on the effective
-- day) to a team of it, never themselves and never a level (levels are HR's,
-- as member.level is).  A change dated today or earlier shows in member at
-- once; a future one from its day on, through apply_due_assignments().
CREATE FUNCTION transfer_member(member integer, team integer, effective date, reason text,
                                level member_level DEFAULT NULL, login name DEFAULT current_user,
                                quota_policy text DEFAULT 'carry')
RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_me integer;
  v_teams integer[];
  v_id integer;
BEGIN
  v_me := require_role(login, ARRAY['sales_supervisor_hr', 'sales_supervisor_manager'], 'transfer a member');
  IF quota_policy IS NULL OR quota_policy NOT IN ('carry', 'leave') THEN
    RAISE EXCEPTION 'quota_policy must be carry or leave, got %', coalesce(quota_policy, 'NULL')
      USING ERRCODE = CASE WHEN quota_policy IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END,
            HINT = 'carry: the member''s quota counts for the new team from the effective day; leave: it stays with the old team.';
  END IF;
  IF member IS NULL OR team IS NULL OR effective IS NULL OR reason IS NULL THEN
    RAISE EXCEPTION 'member, team, effective and reason must not be null'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Pass the member, the new team, the first day in it and why; level NULL keeps the level.';
  END IF;
  PERFORM 1 FROM sales_supervisor.member m WHERE m.member_id = transfer_member.member FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'member % does not exist', member USING ERRCODE = 'no_data_found';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM sales_supervisor.team t WHERE t.team_id = transfer_member.team) THEN
    RAISE EXCEPTION 'team % does not exist', team USING ERRCODE = 'foreign_key_violation';
  END IF;
  IF pg_catalog.pg_has_role(login, 'sales_supervisor_hr', 'MEMBER') IS NOT TRUE THEN
    v_teams := led_team_ids(login);
    IF transfer_member.member = v_me OR transfer_member.level IS NOT NULL
       OR NOT transfer_member.team = ANY (v_teams)
       OR NOT coalesce(member_team_on(transfer_member.member, effective) = ANY (v_teams), false) THEN
      RAISE EXCEPTION 'role "%" may not move member % to team % on %', login, member, team, effective
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = 'A manager moves a member of the subtree they lead, in force that day, to a team of it; not themselves, and not to another level.',
              HINT = 'Ask HR (sales_supervisor_hr).';
    END IF;
  END IF;
  v_id := assignment_split(transfer_member.member, team, transfer_member.level, effective, reason,
                           transfer_member.quota_policy);
  PERFORM assignment_sync_member(transfer_member.member);
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION transfer_member(integer, integer, date, text, member_level, name, text) IS
'Records that from effective on the member is in team (at level; NULL keeps it) until the next recorded change, the member''s quota from that day counting for the new team (quota_policy carry) or staying with the old one (leave), recorded in member_assignment.quota_policy: the member_assignment in force that day is split, later ones kept; member.team_id/level follow at once for a date up to today, for a future date through apply_due_assignments(). Returns the assignment id. HR, or a manager for a member of their subtree moved within it (no level change, not themselves; else 42501). 22004 for a NULL argument, P0002 unknown member, 23503 unknown team, 23514 a date outside the employment.';
REVOKE ALL ON FUNCTION transfer_member(integer, integer, date, text, member_level, name, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION transfer_member(integer, integer, date, text, member_level, name, text)
  TO sales_supervisor_hr, sales_supervisor_manager;

-- apply_due_assignments: member.team_id and member.level of every member whose
-- assignment in force today differs (a future-dated transfer whose day has
-- come) are set to it.  Returns how many members changed.
CREATE FUNCTION apply_due_assignments()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_n integer;
BEGIN
  WITH due AS (
    SELECT a.member_id, a.team_id, a.level
    FROM member_assignment a JOIN member m ON m.member_id = a.member_id
    WHERE a.valid @> CURRENT_DATE AND (m.team_id, m.level) IS DISTINCT FROM (a.team_id, a.level))
  UPDATE member m SET team_id = due.team_id, level = due.level
  FROM due WHERE m.member_id = due.member_id;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  RETURN v_n;
END
$fn$;
COMMENT ON FUNCTION apply_due_assignments() IS
'Daily step: sets member.team_id and member.level to the member_assignment in force today wherever they differ (future-dated transfers whose day has come); returns the number of members changed. Owner only (the calendar job assignments_due).';
REVOKE ALL ON FUNCTION apply_due_assignments() FROM PUBLIC;
