-- Layer 4, the sales year, step 4 (continued) -- calibration sessions and the
-- publication of an appraisal cycle (issue 16; tables in 26_model_calibration.sql).
--
-- open_calibration_session   HR (any scope) or a manager (a team or department
--                            they lead) opens a session on a calibrating cycle:
--                            scope, max_adjustment (points, 0 < x <= 20), calibrators
-- calibration_raters         per reviewer of the scope, their marks against the panel
--                            and a leniency z-score
-- calibration_scores         per member of the scope, before and after: final score,
--                            adjustment, rank and grade
-- adjust_final_score         a calibrator adjusts a final score, with a reason, within
--                            the bound; the cycle is ranked again at once (audited)
-- close_calibration_session  HR or the manager who may open it closes it (once)
-- publish_appraisal_cycle    HR publishes a closed cycle whose sessions are closed:
--                            only then do members see their own result
--
-- Definitions (deterministic: no clock, no randomness, ties as appraisal_ranking):
--  * the scope's members: those in the cycle's calibration_baseline (appraised at
--    the last calibration) whose level is the session's level, or whose team
--    (at the end of the cycle's year) lies in the subtree of the session's team;
--  * a mark: one non-self review of a member of the scope in the cycle, scored
--    as the mean of its criteria (as team_management scores a review);
--  * the panel: every mark of the scope; a rater: every reviewer of one of them;
--  * mean and stddev: the arithmetic mean and the population standard deviation
--    (stddev_pop) of the marks, rounded to 4 decimals for display;
--  * leniency_z = (rater mean - panel mean) / panel stddev, from the unrounded
--    values, rounded to 4 decimals; NULL when the panel stddev is 0 (all
--    marks equal, or a single mark): no spread, no z-score;
--  * before = calibration_baseline (the computation of calibrate/close), after =
--    appraisal_result (before + adjustment clamped to 0..100, ranked again).
-- Nobody reads their own row through these functions; a calibrator cannot
-- adjust their own score (the check constraint says it too).

-- calibration_session_row: the session a call works on (22004 NULL, P0002 unknown).
CREATE FUNCTION calibration_session_row(session integer)
RETURNS calibration_session
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  s calibration_session;
BEGIN
  IF session IS NULL THEN
    RAISE EXCEPTION 'session must not be null'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a session_id of calibration_session.';
  END IF;
  SELECT * INTO s FROM calibration_session c WHERE c.session_id = session;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'calibration session % does not exist', session
      USING ERRCODE = 'no_data_found', HINT = 'Pass a session_id of calibration_session.';
  END IF;
  RETURN s;
END
$fn$;
COMMENT ON FUNCTION calibration_session_row(integer) IS
'Internal: the calibration session a call works on; 22004 for a NULL id, P0002 for an unknown one.';
REVOKE ALL ON FUNCTION calibration_session_row(integer) FROM PUBLIC;

-- calibration_scope_members: the baseline rows of the members a session
-- calibrates -- of its level, or in the subtree of its team.
CREATE FUNCTION calibration_scope_members(session integer)
RETURNS SETOF calibration_baseline
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  WITH RECURSIVE s AS (
    SELECT c.cycle_id, c.team_id, c.level FROM sales_supervisor.calibration_session c
    WHERE c.session_id = calibration_scope_members.session),
  sub(team_id, depth) AS (
    SELECT s.team_id, 0 FROM s WHERE s.team_id IS NOT NULL
    UNION ALL
    SELECT t.team_id, sub.depth + 1 FROM sales_supervisor.team t JOIN sub ON t.parent_id = sub.team_id
    WHERE sub.depth < 1000)
  SELECT b.* FROM sales_supervisor.calibration_baseline b JOIN s ON s.cycle_id = b.cycle_id
  WHERE b.level = s.level OR b.team_id IN (SELECT sub.team_id FROM sub)
$fn$;
COMMENT ON FUNCTION calibration_scope_members(integer) IS
'Internal: the calibration_baseline rows of the members a calibration session calibrates -- those of its level, or whose team lies in the subtree of its team (the session''s cycle).';
REVOKE ALL ON FUNCTION calibration_scope_members(integer) FROM PUBLIC;

-- calibration_viewer: who may see a session -- HR, its calibrators, and the
-- supervisors and managers who lead its team (or a team above it); anything
-- not proven true is refused.  Returns the session.
CREATE FUNCTION calibration_viewer(session integer, login name)
RETURNS calibration_session
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  s calibration_session := calibration_session_row(session);
  v_me integer := current_member_id(login);      -- refuses NULL and foreign logins
BEGIN
  IF (pg_has_role(login, 'sales_supervisor_hr', 'MEMBER')
      OR ((pg_has_role(login, 'sales_supervisor_supervisor', 'MEMBER')
           OR pg_has_role(login, 'sales_supervisor_manager', 'MEMBER'))
          AND (v_me = ANY (s.calibrators) OR s.team_id = ANY (led_team_ids(login))))) IS NOT TRUE THEN
    RAISE EXCEPTION 'role "%" may not see calibration session %', login, session
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'A session is seen by HR, its calibrators and the leaders of the team it calibrates.';
  END IF;
  RETURN s;
END
$fn$;
COMMENT ON FUNCTION calibration_viewer(integer, name) IS
'Internal: the calibration session if login may see it -- HR, a calibrator of the session, or a supervisor or manager whose led subtree contains the session''s team -- else 42501 (a NULL anywhere refuses).';
REVOKE ALL ON FUNCTION calibration_viewer(integer, name) FROM PUBLIC;

-- calibration_check_opener: HR opens any session, a manager one on a team
-- or department they lead (led_team_ids); a level session is HR's.
CREATE FUNCTION calibration_check_opener(scope text, team integer, login name, action text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr', 'sales_supervisor_manager'], action);
  IF pg_has_role(login, 'sales_supervisor_hr', 'MEMBER') IS TRUE THEN
    RETURN;
  END IF;
  IF (scope <> 'level' AND team = ANY (led_team_ids(login))) IS NOT TRUE THEN
    RAISE EXCEPTION 'role "%" may not % of % %', login, action, scope, coalesce(team::text, '')
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'A manager acts on the sessions of a team or department they lead; level sessions are HR''s.';
  END IF;
END
$fn$;
COMMENT ON FUNCTION calibration_check_opener(text, integer, name, text) IS
'Internal: refuses (42501) a login that may not open or close a calibration session of this scope: HR may any, a manager only a team or department scope whose team is in their led subtree; a NULL anywhere refuses.';
REVOKE ALL ON FUNCTION calibration_check_opener(text, integer, name, text) FROM PUBLIC;

-- calibration_check_settings: the scope and the settings of a new session.
CREATE FUNCTION calibration_check_settings(scope text, team integer, level member_level,
                                           max_adjustment numeric, calibrators integer[])
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  bad integer;
BEGIN
  IF scope NOT IN ('team', 'department', 'level') THEN
    RAISE EXCEPTION 'scope must be team, department or level, got %', scope USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF (scope = 'level') <> (level IS NOT NULL) OR (scope = 'level') = (team IS NOT NULL) THEN
    RAISE EXCEPTION 'a % session needs %', scope, CASE WHEN scope = 'level' THEN 'a level and no team' ELSE 'a team and no level' END
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF team IS NOT NULL AND NOT EXISTS (SELECT 1 FROM sales_supervisor.team t WHERE t.team_id = team) THEN
    RAISE EXCEPTION 'team % does not exist', team USING ERRCODE = 'no_data_found';
  END IF;
  IF scope = 'department' AND EXISTS (SELECT 1 FROM sales_supervisor.team t WHERE t.team_id = team AND t.parent_id IS NOT NULL) THEN
    RAISE EXCEPTION 'team % is no department: it has a parent team', team
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use scope team for a team inside a department.';
  END IF;
  IF max_adjustment <= 0 OR max_adjustment > 20 THEN
    RAISE EXCEPTION 'max_adjustment must be in (0, 20] points, got %', max_adjustment USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF cardinality(calibrators) = 0 OR array_position(calibrators, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'calibrators must be a non-empty list of member ids without NULL' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT c INTO bad FROM unnest(calibrators) c
  WHERE NOT EXISTS (SELECT 1 FROM member m JOIN pg_roles r ON r.rolname = m.login_role
                    WHERE m.member_id = c AND m.active
                      AND (pg_has_role(r.oid, 'sales_supervisor_supervisor', 'MEMBER')
                           OR pg_has_role(r.oid, 'sales_supervisor_manager', 'MEMBER')
                           OR pg_has_role(r.oid, 'sales_supervisor_hr', 'MEMBER')))
  ORDER BY c LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'member % cannot calibrate', bad
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'A calibrator is an active member whose login is a member of sales_supervisor_supervisor, _manager or _hr.';
  END IF;
END
$fn$;
COMMENT ON FUNCTION calibration_check_settings(text, integer, member_level, numeric, integer[]) IS
'Internal: refuses (22023, P0002 for an unknown team) a calibration session scope other than team, department (a team without parent) or level with its team or level, a max_adjustment outside (0, 20], and calibrators that are not active members with a supervisor, manager or HR login.';
REVOKE ALL ON FUNCTION calibration_check_settings(text, integer, member_level, numeric, integer[]) FROM PUBLIC;

CREATE FUNCTION open_calibration_session(cycle integer, scope text, max_adjustment numeric, calibrators integer[],
                                         team integer DEFAULT NULL, level member_level DEFAULT NULL,
                                         login name DEFAULT current_user)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
  v_session integer;
BEGIN
  IF scope IS NULL OR max_adjustment IS NULL OR calibrators IS NULL THEN
    RAISE EXCEPTION 'open_calibration_session needs the scope, max_adjustment and calibrators'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM calibration_check_opener(scope, team, login, 'open a calibration session');
  PERFORM calibration_check_settings(scope, team, level, max_adjustment, calibrators);
  c := appraisal_cycle_row(cycle, true);
  IF c.state <> 'calibrating' OR NOT EXISTS (SELECT 1 FROM calibration_baseline b WHERE b.cycle_id = cycle) THEN
    RAISE EXCEPTION 'appraisal cycle % is not calibrated: it is %', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Sessions open between calibrate_appraisal_cycle(cycle_id) and the close.';
  END IF;
  INSERT INTO calibration_session (cycle_id, scope, team_id, level, max_adjustment, calibrators, opened_by)
  VALUES (cycle, scope, team, level, max_adjustment,
          ARRAY(SELECT DISTINCT x FROM unnest(calibrators) x ORDER BY x), login)
  RETURNING session_id INTO v_session;
  RETURN v_session;
END
$fn$;
COMMENT ON FUNCTION open_calibration_session(integer, text, numeric, integer[], integer, member_level, name) IS
'Opens a calibration session of an appraisal cycle that is calibrating (calibrate_appraisal_cycle has run): scope team (the subtree of team), department (a team without parent) or level (every member appraised at level), the largest adjustment of a final score in points (0 < max_adjustment <= 20) and the calibrators (member ids of supervisors, managers or HR). HR opens any session, a manager one of a team or department they lead. Returns the session id. Audited.';
REVOKE ALL ON FUNCTION open_calibration_session(integer, text, numeric, integer[], integer, member_level, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION open_calibration_session(integer, text, numeric, integer[], integer, member_level, name)
  TO sales_supervisor_manager, sales_supervisor_hr;

CREATE FUNCTION close_calibration_session(session integer, login name DEFAULT current_user)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  s calibration_session := calibration_session_row(session);
BEGIN
  PERFORM calibration_check_opener(s.scope, s.team_id, login, 'close a calibration session');
  PERFORM appraisal_cycle_row(s.cycle_id, true);      -- not while an adjustment or the close runs
  SELECT * INTO s FROM calibration_session c WHERE c.session_id = session FOR UPDATE;
  IF s.closed_at IS NOT NULL THEN
    RAISE EXCEPTION 'calibration session % is already closed', session
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  UPDATE calibration_session c SET closed_at = now(), closed_by = login WHERE c.session_id = session;
END
$fn$;
COMMENT ON FUNCTION close_calibration_session(integer, name) IS
'Closes a calibration session (once): its adjustments are final -- no later session changes them -- and they count when the cycle is closed. HR, or a manager who may open a session of its scope. Audited.';
REVOKE ALL ON FUNCTION close_calibration_session(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION close_calibration_session(integer, name) TO sales_supervisor_manager, sales_supervisor_hr;

-- adjust_check: what adjust_final_score refuses after its arguments, in
-- order: a calibrator of an open session of a calibrating cycle, a member of
-- the scope with a final score who is not the calibrator, points within the
-- bound, and no adjustment a closed session decided.
CREATE FUNCTION adjust_check(s calibration_session, me integer, member integer, points numeric, reason text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  b calibration_baseline;
  v_other integer;
BEGIN
  IF (me = ANY (s.calibrators)) IS NOT TRUE THEN
    RAISE EXCEPTION 'only the calibrators of session % adjust scores in it', s.session_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF s.closed_at IS NOT NULL OR (SELECT a.state FROM appraisal_cycle a WHERE a.cycle_id = s.cycle_id) <> 'calibrating' THEN
    RAISE EXCEPTION 'calibration session % is closed, or its cycle is no longer calibrating', s.session_id
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  SELECT * INTO b FROM calibration_scope_members(s.session_id) x WHERE x.member_id = member;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'member % is not in the scope of calibration session %', member, s.session_id
      USING ERRCODE = 'invalid_parameter_value';
  ELSIF member = me THEN
    RAISE EXCEPTION 'a calibrator cannot adjust their own score' USING ERRCODE = 'insufficient_privilege';
  ELSIF b.final_score IS NULL THEN
    RAISE EXCEPTION 'member % has no final score to adjust', member USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  IF abs(points) > s.max_adjustment THEN
    RAISE EXCEPTION 'adjustment % is beyond the session''s bound of % points', points, s.max_adjustment
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Session settings bound every adjustment, either way.';
  END IF;
  SELECT a.session_id INTO v_other FROM calibration_adjustment a JOIN calibration_session o ON o.session_id = a.session_id
  WHERE a.cycle_id = s.cycle_id AND a.member_id = member AND o.closed_at IS NOT NULL;
  IF FOUND THEN
    RAISE EXCEPTION 'the score of member % was decided by closed calibration session %', member, v_other
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
END
$fn$;
COMMENT ON FUNCTION adjust_check(calibration_session, integer, integer, numeric, text) IS
'Internal: refuses an adjustment -- 42501 not a calibrator of the session or the calibrator''s own score, 55000 session closed or cycle not calibrating or no final score or decided by a closed session, 22023 member outside the scope or points beyond max_adjustment.';
REVOKE ALL ON FUNCTION adjust_check(calibration_session, integer, integer, numeric, text) FROM PUBLIC;

CREATE FUNCTION adjust_final_score(session integer, member integer, points numeric, reason text,
                                   login name DEFAULT current_user)
RETURNS double precision
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  s calibration_session;
  v_me integer;
BEGIN
  v_me := require_role(login, ARRAY['sales_supervisor_supervisor', 'sales_supervisor_manager', 'sales_supervisor_hr'],
                       'adjust a final score');
  s := calibration_session_row(session);
  IF member IS NULL OR points IS NULL THEN
    RAISE EXCEPTION 'member and points must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF reason IS NULL OR btrim(reason) = '' THEN
    RAISE EXCEPTION 'a reason is required to adjust the final score of member %', member
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Say why; it is kept with the adjustment and audited.';
  END IF;
  PERFORM appraisal_cycle_row(s.cycle_id, true);      -- serialised with the close
  SELECT * INTO s FROM calibration_session c WHERE c.session_id = session FOR SHARE;
  PERFORM adjust_check(s, v_me, member, points, reason);
  INSERT INTO calibration_adjustment AS a (cycle_id, member_id, session_id, points, reason, adjusted_by)
  VALUES (s.cycle_id, member, session, points, reason, v_me)
  ON CONFLICT (cycle_id, member_id) DO UPDATE
    SET session_id = excluded.session_id, points = excluded.points, reason = excluded.reason,
        adjusted_by = excluded.adjusted_by, adjusted_at = now();
  PERFORM calibration_apply(s.cycle_id);
  RETURN (SELECT r.final_score FROM appraisal_result r WHERE r.cycle_id = s.cycle_id AND r.member_id = member);
END
$fn$;
COMMENT ON FUNCTION adjust_final_score(integer, integer, numeric, text, name) IS
'A calibrator of an open session adjusts the final score of a member of its scope (not their own) while the cycle is calibrating: points (at most the session''s max_adjustment either way) are added to the score before calibration, the result clamped to 0..100, with a mandatory reason; a later adjustment in an open session replaces it. The cycle''s ranking is done again at once (rank, percentile, grade, consequences), and closing uses it. Returns the calibrated final score. Audited (calibration_adjustment, appraisal_result).';
REVOKE ALL ON FUNCTION adjust_final_score(integer, integer, numeric, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adjust_final_score(integer, integer, numeric, text, name)
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

CREATE FUNCTION calibration_raters(session integer, login name DEFAULT current_user)
RETURNS TABLE (reviewer_id integer, reviewer text, reviews bigint, mean numeric, stddev numeric,
               panel_reviews bigint, panel_mean numeric, panel_stddev numeric, leniency_z numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  s calibration_session := calibration_viewer(session, login);
BEGIN
  RETURN QUERY
  WITH scope AS MATERIALIZED (SELECT x.member_id FROM calibration_scope_members(s.session_id) x),
  held AS MATERIALIZED (   -- issue 16: the reviews the anonymity threshold withholds count nowhere
    SELECT w.review_id FROM appraisal_cycle c CROSS JOIN LATERAL year_bounds(c.fiscal_year) y
    CROSS JOIN LATERAL appraisal_review_marks(c.cycle_id, y.start_on, y.end_on) w
    WHERE c.cycle_id = s.cycle_id AND w.withheld),
  mark AS MATERIALIZED (
    SELECT r.reviewer_id, avg(sc.score) AS mark
    FROM review r JOIN review_score sc ON sc.review_id = r.review_id
    WHERE r.cycle_id = s.cycle_id AND r.rater_role <> 'self' AND r.reviewee_id IN (SELECT member_id FROM scope)
      AND r.review_id NOT IN (SELECT h.review_id FROM held h)
    GROUP BY r.review_id, r.reviewer_id),
  panel AS (SELECT count(*) AS n, avg(m.mark) AS mean, stddev_pop(m.mark) AS sd FROM mark m)
  SELECT m.reviewer_id, mb.full_name, count(*), round(avg(m.mark), 4), round(stddev_pop(m.mark), 4),
         p.n, round(p.mean, 4), round(p.sd, 4),
         round((avg(m.mark) - p.mean) / nullif(p.sd, 0), 4)
  FROM mark m CROSS JOIN panel p JOIN member mb ON mb.member_id = m.reviewer_id
  GROUP BY m.reviewer_id, mb.full_name, p.n, p.mean, p.sd
  ORDER BY m.reviewer_id;
END
$fn$;
COMMENT ON FUNCTION calibration_raters(integer, name) IS
'The rater view of a calibration session: per reviewer of the members of its scope, their marks (non-self reviews of the scope in the cycle, each the mean of its criteria; not the reviews the cycle''s anonymity threshold withholds, appraisal_review_marks) -- count, mean, population standard deviation -- against the panel of all those marks (count, mean, population standard deviation), and leniency_z = (rater mean - panel mean) / panel stddev (unrounded, then rounded to 4 decimals; NULL when the panel stddev is 0). For HR, the session''s calibrators and the leaders of its team.';
REVOKE ALL ON FUNCTION calibration_raters(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calibration_raters(integer, name)
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

CREATE FUNCTION calibration_scores(session integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, full_name text, level member_level, team_id integer,
               score_before float8, points numeric, score_after float8, rank_before integer, rank_after integer,
               grade_before text, grade_after text, reason text, adjusted_by integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  s calibration_session := calibration_viewer(session, login);
  v_me integer := current_member_id(login);
BEGIN
  RETURN QUERY
  SELECT b.member_id, m.full_name, b.level, b.team_id, b.final_score, a.points, r.final_score,
         b.rank, r.rank, b.grade, r.grade, a.reason, a.adjusted_by
  FROM calibration_scope_members(s.session_id) b
  JOIN member m ON m.member_id = b.member_id
  LEFT JOIN appraisal_result r ON r.cycle_id = b.cycle_id AND r.member_id = b.member_id
  LEFT JOIN calibration_adjustment a ON a.cycle_id = b.cycle_id AND a.member_id = b.member_id
  WHERE b.member_id IS DISTINCT FROM v_me
  ORDER BY b.member_id;
END
$fn$;
COMMENT ON FUNCTION calibration_scores(integer, name) IS
'Before and after of a calibration session, per member of its scope: the final score, rank and grade before calibration (the computation of calibrate_appraisal_cycle), the adjustment (points, reason, calibrator; from whichever session made it) and the final score, rank and grade after it (appraisal_result, what closing freezes). Never the caller''s own row. For HR, the session''s calibrators and the leaders of its team.';
REVOKE ALL ON FUNCTION calibration_scores(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calibration_scores(integer, name)
  TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

CREATE FUNCTION publish_appraisal_cycle(cycle integer, login name DEFAULT current_user)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
  v_open integer;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'publish an appraisal cycle');
  c := appraisal_cycle_row(cycle, true);
  IF c.state <> 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not closed', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Close it first: close_appraisal_cycle(cycle_id).';
  END IF;
  SELECT min(s.session_id) INTO v_open FROM calibration_session s WHERE s.cycle_id = cycle AND s.closed_at IS NULL;
  IF v_open IS NOT NULL THEN
    RAISE EXCEPTION 'calibration session % of appraisal cycle % is still open', v_open, cycle
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Close it: close_calibration_session(session_id).';
  END IF;
  INSERT INTO appraisal_publication AS p (cycle_id, published_by) VALUES (cycle, login)
  ON CONFLICT (cycle_id) DO UPDATE SET published_at = now(), published_by = excluded.published_by;
  RETURN now();
END
$fn$;
COMMENT ON FUNCTION publish_appraisal_cycle(integer, name) IS
'Publishes a closed appraisal cycle whose calibration sessions are all closed: from now on each member appraised reads their own result, consequences, score before calibration and adjustment (until then only HR and their supervisors and managers do). A cycle reopened and closed again must be published again. HR only. Returns the time of publication. Audited.';
REVOKE ALL ON FUNCTION publish_appraisal_cycle(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION publish_appraisal_cycle(integer, name) TO sales_supervisor_hr;

-- the sessions, adjustments and publications are audited like the results
CREATE TRIGGER calibration_session_audit AFTER INSERT OR UPDATE OR DELETE ON calibration_session
  FOR EACH ROW EXECUTE FUNCTION audit_row('session_id');
CREATE TRIGGER calibration_adjustment_audit AFTER INSERT OR UPDATE OR DELETE ON calibration_adjustment
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id', 'member_id');
CREATE TRIGGER appraisal_publication_audit AFTER INSERT OR UPDATE OR DELETE ON appraisal_publication
  FOR EACH ROW EXECUTE FUNCTION audit_row('cycle_id');
