-- Layer 4, the sales year, step 4 -- the appraisal cycle.
--
-- open_appraisal_cycle   cycle + component weights per level (each level sums to 100) + rating scale
-- start_appraisal_reviews  open -> reviewing (the data model re-checks the weights)
-- calibrate_appraisal_cycle  computes everything below without closing (state calibrating)
-- close_appraisal_cycle  computes and closes in ONE transaction; on a closed cycle it
--                        returns the stored results unchanged (closing twice = same result)
--
-- What closing computes, per active member hired by the year end whose level
-- has component weights (all scores rounded to 6 decimals, so equal inputs tie exactly):
--  * KPIs are scored again (kpi_store), so the close sees one state of the data;
--  * individual_performance, customer_satisfaction: weighted_score of the
--    member's KPI scores of that component, by kpi_weight; a level with no
--    customer-satisfaction KPI takes csat() of the surveys of the customers
--    its scope owns (percent of 4s and 5s), else (nps() + 100) / 2;
--  * every component is capped at 100, so each is on 0..100 (curve points
--    above 100 let beating one target make up for another KPI inside the
--    component, not beyond it);
--  * team_performance: the team's KPI result -- the member's own
--    team_performance KPI score if they have one (leaders), else that of the
--    leader of the nearest team, from the member's own team upwards, who has one;
--  * team_management (only for members who lead a team or manage someone):
--    each non-self review's score is the mean of its criteria; rater
--    calibration by mean shift: a reviewer who wrote at least 2 non-self
--    reviews in the cycle has their leniency removed, calibrated = score -
--    reviewer mean + global mean (all non-self reviews of the cycle), clamped
--    to the rating scale (a reviewer with 1 review cannot be calibrated and
--    counts as written); mapped to 0..100 by (s - min) / (max - min) x 100; the
--    panel is trimmed: trimmed_mean(score, 1) drops the top and bottom mark;
--  * final_score = weighted_score over the components present with the
--    level's weights (weights renormalised over what the person has);
--  * rank (rank(), ties share), percentile = 100 x (1 - percent_rank()) and
--    grade by grade_by_distribution(grades by ordinal, distribution_pct)
--    ordered by final_score DESC, per level (default) or per team; peers in
--    the final score share the grade of their group's first row;
--  * appraisal_consequence: the grade policy's raise %, bonus multiplier and
--    reward or penalty per member.
-- Concurrency: the close locks review and review_score in SHARE ROW EXCLUSIVE
-- mode and sale and sale_credit in SHARE mode, so writers that started before
-- it are waited for (fully in) and writers that come during it wait for it to
-- commit -- then a review is refused (the cycle is closed) and a sale goes in
-- after the close (it is not in the closed result).  It requires READ COMMITTED,
-- where every statement after the locks sees every transaction that committed
-- before them.

-- ---------------------------------------------------------------------------
CREATE FUNCTION open_appraisal_cycle(fiscal_year integer, name text,
                                     rating_scale_min numeric, rating_scale_max numeric,
                                     weights jsonb, login name DEFAULT current_user)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_cycle integer;
  bad record;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'open an appraisal cycle');
  IF fiscal_year IS NULL OR name IS NULL OR rating_scale_min IS NULL OR rating_scale_max IS NULL OR weights IS NULL THEN
    RAISE EXCEPTION 'open_appraisal_cycle arguments must not be null'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Pass the fiscal year, a name, the rating scale and the weights.';
  END IF;
  IF rating_scale_min >= rating_scale_max THEN
    RAISE EXCEPTION 'rating scale %..% is empty', rating_scale_min, rating_scale_max
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass rating_scale_min < rating_scale_max, for example 1 and 5.';
  END IF;
  IF jsonb_typeof(weights) <> 'object' OR weights = '{}'
     OR EXISTS (SELECT 1 FROM jsonb_each(weights) e WHERE jsonb_typeof(e.value) <> 'object') THEN
    RAISE EXCEPTION 'weights must be a JSON object of levels, each an object of component weights, got %', weights
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'For example {"sales_rep": {"team_performance": 10, "individual_performance": 60, "customer_satisfaction": 30}}.';
  END IF;
  SELECT e.key INTO bad FROM jsonb_each(weights) e
  WHERE e.key NOT IN (SELECT unnest(enum_range(NULL::member_level))::text) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'unknown level "%" in weights', bad.key
      USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Levels: %s.', array_to_string(enum_range(NULL::member_level), ', '));
  END IF;
  SELECT e.key AS level, c.key AS component, c.value INTO bad
  FROM jsonb_each(weights) e CROSS JOIN LATERAL jsonb_each(e.value) c
  WHERE c.key NOT IN (SELECT unnest(enum_range(NULL::appraisal_component))::text)
     OR jsonb_typeof(c.value) <> 'number' OR (c.value)::numeric <= 0 OR (c.value)::numeric > 100
  LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'bad weight % for component "%" of level %', bad.value, bad.component, bad.level
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Components: %s; a weight is a number in (0, 100].', array_to_string(enum_range(NULL::appraisal_component), ', '));
  END IF;
  SELECT e.key AS level, sum((c.value)::numeric) AS total INTO bad
  FROM jsonb_each(weights) e CROSS JOIN LATERAL jsonb_each(e.value) c
  GROUP BY e.key HAVING sum((c.value)::numeric) <> 100 ORDER BY e.key LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'component weights of level % sum to %, not 100', bad.level, bad.total
      USING ERRCODE = 'check_violation',
            DETAIL = 'The weights of the components of each level must sum to 100 percent.',
            HINT = 'A component that does not apply to a level is left out; the others must still sum to 100.';
  END IF;
  INSERT INTO appraisal_cycle (fiscal_year, name, rating_scale_min, rating_scale_max)
  VALUES (fiscal_year, name, rating_scale_min, rating_scale_max)
  RETURNING cycle_id INTO v_cycle;
  INSERT INTO appraisal_component_weight (cycle_id, level, component, weight)
  SELECT v_cycle, e.key::member_level, c.key::appraisal_component, (c.value)::numeric
  FROM jsonb_each(weights) e CROSS JOIN LATERAL jsonb_each(e.value) c;
  RETURN v_cycle;
END
$fn$;
COMMENT ON FUNCTION open_appraisal_cycle(integer, text, numeric, numeric, jsonb, name) IS
'Opens an appraisal cycle for a fiscal year with its rating scale and its component weights per level, given as {"level": {"component": weight, ...}, ...}; the weights of each level must sum to 100. Returns the cycle id; the cycle is open (KPI weights, KPI targets and grade policy can be set) until start_appraisal_reviews. HR only.';
REVOKE ALL ON FUNCTION open_appraisal_cycle(integer, text, numeric, numeric, jsonb, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION open_appraisal_cycle(integer, text, numeric, numeric, jsonb, name) TO sales_supervisor_hr;

CREATE FUNCTION start_appraisal_reviews(cycle integer, login name DEFAULT current_user)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'start appraisal reviews');
  c := appraisal_cycle_row(cycle, true);
  IF c.state <> 'open' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not open', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Reviews start once, from the open state.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM grade_policy g WHERE g.cycle_id = cycle) THEN
    RAISE EXCEPTION 'appraisal cycle % has no grade policy', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct, raise_pct, bonus_multiplier, reward_or_penalty) ...';
  END IF;
  UPDATE appraisal_cycle a SET state = 'reviewing' WHERE a.cycle_id = cycle;
END
$fn$;
COMMENT ON FUNCTION start_appraisal_reviews(integer, name) IS
'Moves an open appraisal cycle to reviewing (the weights are checked to sum to 100 per level; a grade policy must exist). HR only.';
REVOKE ALL ON FUNCTION start_appraisal_reviews(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION start_appraisal_reviews(integer, name) TO sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- appraisal_compute: the whole computation of a cycle (internal), and its
-- parts, one function per step of the header comment: appraisal_who (who is
-- appraised), appraisal_kpi_components (components from KPI scores),
-- appraisal_team_scores (team_performance of members without their own),
-- appraisal_team_management (calibrated, trimmed reviews),
-- appraisal_survey_satisfaction (customer satisfaction without KPIs),
-- appraisal_components (the four, capped), appraisal_ranking (final score,
-- rank, percentile, grade); the consequences are appraisal_compute's last
-- statement.  The parts are STABLE and appraisal_compute reads them all in one
-- statement, so the results see one snapshot of the data, as the single query
-- before them did.  They read tables only (no temporary ones); SECURITY
-- INVOKER, they run as the definer of calibrate/close_appraisal_cycle.
-- ---------------------------------------------------------------------------

-- appraisal_who: who a cycle appraises -- the active members hired by the end
-- of its year (end_on) whose level has component weights in the cycle.  Their
-- team is the one they were in at the end of the year (member_assignment),
-- whose leader's team performance is their team component.
CREATE FUNCTION appraisal_who(cycle integer, end_on date)
RETURNS TABLE (member_id integer, level member_level, team_id integer)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  SELECT m.member_id, m.level, coalesce(a.team_id, m.team_id) FROM member m
  LEFT JOIN member_team_days() a ON a.member_id = m.member_id AND a.days @> end_on
  WHERE m.active AND m.hire_date <= end_on
    AND EXISTS (SELECT 1 FROM appraisal_component_weight w WHERE w.cycle_id = cycle AND w.level = m.level);
END
$fn$;
COMMENT ON FUNCTION appraisal_who(integer, date) IS
'Internal part of appraisal_compute: the members an appraisal cycle appraises -- active, hired by end_on (the end of the cycle''s year), at a level with component weights in the cycle -- with the team they were in on end_on (member_team_days).';
REVOKE ALL ON FUNCTION appraisal_who(integer, date) FROM PUBLIC;

-- appraisal_kpi_weights: the KPI weights a computation uses -- the cycle's
-- kpi_weight rows, except for the levels a what-if variant reweights
-- (variant->'kpi_weights', {"level": {"kpi code or id": weight}}), whose
-- rows are the variant's.  variant NULL: the table, as closing uses it.
-- (A variant is checked first by appraisal_what_if_check.)
CREATE FUNCTION appraisal_kpi_weights(cycle integer, variant jsonb)
RETURNS TABLE (level member_level, kpi_id integer, weight numeric)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT kw.level, kw.kpi_id, kw.weight
  FROM sales_supervisor.kpi_weight kw
  WHERE kw.cycle_id = appraisal_kpi_weights.cycle
    AND NOT coalesce(variant -> 'kpi_weights' ? kw.level::text, false)
  UNION ALL
  SELECT l.key::sales_supervisor.member_level, d.kpi_id, (k.value #>> '{}')::numeric
  FROM jsonb_each(coalesce(variant -> 'kpi_weights', '{}')) l
  CROSS JOIN LATERAL jsonb_each(l.value) k
  JOIN sales_supervisor.kpi_definition d ON d.code = k.key OR d.kpi_id::text = k.key
$fn$;
COMMENT ON FUNCTION appraisal_kpi_weights(integer, jsonb) IS
'Internal part of appraisal_compute and appraisal_what_if: the KPI weights (level, kpi_id, weight) of the cycle -- its kpi_weight rows, but for each level a what-if variant reweights (variant->''kpi_weights'', {"level": {"KPI code or id": weight}}) the variant''s weights instead; variant NULL: the kpi_weight rows.';
REVOKE ALL ON FUNCTION appraisal_kpi_weights(integer, jsonb) FROM PUBLIC;

-- appraisal_component_weights: the component weights a computation uses --
-- the cycle's appraisal_component_weight rows, except for the levels a
-- what-if variant reweights (variant->'component_weights').  variant NULL:
-- the table.
CREATE FUNCTION appraisal_component_weights(cycle integer, variant jsonb)
RETURNS TABLE (level member_level, component appraisal_component, weight numeric)
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT cw.level, cw.component, cw.weight
  FROM sales_supervisor.appraisal_component_weight cw
  WHERE cw.cycle_id = appraisal_component_weights.cycle
    AND NOT coalesce(variant -> 'component_weights' ? cw.level::text, false)
  UNION ALL
  SELECT l.key::sales_supervisor.member_level, k.key::sales_supervisor.appraisal_component,
         (k.value #>> '{}')::numeric
  FROM jsonb_each(coalesce(variant -> 'component_weights', '{}')) l
  CROSS JOIN LATERAL jsonb_each(l.value) k
$fn$;
COMMENT ON FUNCTION appraisal_component_weights(integer, jsonb) IS
'Internal part of appraisal_compute and appraisal_what_if: the component weights (level, component, weight) of the cycle -- its appraisal_component_weight rows, but for each level a what-if variant reweights (variant->''component_weights'', {"level": {"component": weight}}) the variant''s weights instead; variant NULL: the table rows.';
REVOKE ALL ON FUNCTION appraisal_component_weights(integer, jsonb) FROM PUBLIC;

-- appraisal_kpi_components: the components that come from KPI scores -- per
-- member, the weighted_score (by the KPI weights, rounded to 6 decimals) of
-- their KPI scores of each component: team_performance (a leader's own),
-- individual_performance and customer_satisfaction.  NULL: no such KPI score.
-- A what-if variant may reweight levels (appraisal_kpi_weights) and give KPIs
-- other curves (variant->'curves', {"KPI code or id": "curve"}): those KPIs
-- are scored again from the stored attainment, kpi_score(attainment, curve),
-- as kpi_store scored them; the others keep their stored score.  variant
-- NULL: the stored scores and kpi_weight, as closing uses them.
CREATE FUNCTION appraisal_kpi_components(cycle integer, variant jsonb DEFAULT NULL)
RETURNS TABLE (member_id integer, team_performance float8, individual_performance float8,
               customer_satisfaction float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH kw AS MATERIALIZED (SELECT * FROM appraisal_kpi_weights(cycle, variant)),
  cv AS MATERIALIZED (
    SELECT d.kpi_id, (c.value #>> '{}')::score_curve AS curve
    FROM jsonb_each(coalesce(variant -> 'curves', '{}')) c
    JOIN kpi_definition d ON d.code = c.key OR d.kpi_id::text = c.key),
  kpi_comp AS MATERIALIZED (
    SELECT r.member_id, d.component,
           round(weighted_score(s.score, kw.weight::float8)::numeric, 6)::float8 AS score
    FROM kpi_result r
    JOIN kpi_definition d ON d.kpi_id = r.kpi_id
    JOIN member m ON m.member_id = r.member_id
    JOIN kw ON kw.kpi_id = r.kpi_id AND kw.level = m.level
    LEFT JOIN cv ON cv.kpi_id = r.kpi_id
    CROSS JOIN LATERAL (SELECT CASE WHEN cv.kpi_id IS NULL THEN r.score
                                    ELSE kpi_score(r.attainment::float8, cv.curve) END AS score) s
    WHERE r.cycle_id = cycle AND s.score IS NOT NULL
    GROUP BY r.member_id, d.component)
  SELECT k.member_id,
         max(k.score) FILTER (WHERE k.component = 'team_performance'),
         max(k.score) FILTER (WHERE k.component = 'individual_performance'),
         max(k.score) FILTER (WHERE k.component = 'customer_satisfaction')
  FROM kpi_comp k GROUP BY k.member_id;
END
$fn$;
COMMENT ON FUNCTION appraisal_kpi_components(integer, jsonb) IS
'Internal part of appraisal_compute: per member with KPI scores in the cycle, the weighted_score (by the KPI weights, rounded to 6 decimals) of their KPI scores of each component -- team_performance, individual_performance, customer_satisfaction; NULL where they have none of that component. A what-if variant (appraisal_what_if) may reweight levels (appraisal_kpi_weights) and rescore KPIs from their stored attainment on other curves (variant->''curves''); variant NULL: kpi_weight and the stored scores.';
REVOKE ALL ON FUNCTION appraisal_kpi_components(integer, jsonb) FROM PUBLIC;

-- appraisal_team_scores: the team_performance of a member without their own:
-- per team, the team_performance KPI result of the leader of the nearest team
-- at or above it (itself first, then upwards) who has one.  variant: a
-- what-if variant for appraisal_kpi_components (NULL: the tables).
CREATE FUNCTION appraisal_team_scores(cycle integer, variant jsonb DEFAULT NULL)
RETURNS TABLE (team_id integer, score float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  -- the teams above each team (itself at depth 0), once for the whole tree
  WITH team_up AS MATERIALIZED (
    WITH RECURSIVE up(team_id, ancestor_id, depth) AS (
      SELECT t.team_id, t.team_id, 0 FROM team t
      UNION ALL
      SELECT up.team_id, t.parent_id, up.depth + 1 FROM up JOIN team t ON t.team_id = up.ancestor_id
      WHERE t.parent_id IS NOT NULL AND up.depth < 1000)
    SELECT * FROM up)
  SELECT DISTINCT ON (tu.team_id) tu.team_id, kp.team_performance
  FROM team_up tu
  JOIN team_leader tl ON tl.team_id = tu.ancestor_id
  JOIN appraisal_kpi_components(cycle, variant) kp ON kp.member_id = tl.member_id AND kp.team_performance IS NOT NULL
  ORDER BY tu.team_id, tu.depth, tl.member_id;
END
$fn$;
COMMENT ON FUNCTION appraisal_team_scores(integer, jsonb) IS
'Internal part of appraisal_compute: per team, the team_performance KPI result of the leader of the nearest team at or above it (the team itself first) who has one; the team_performance of its members who have none of their own. variant: a what-if variant passed to appraisal_kpi_components (NULL: the tables).';
REVOKE ALL ON FUNCTION appraisal_team_scores(integer, jsonb) FROM PUBLIC;

-- appraisal_team_management: the team_management component of everyone who
-- leads a team or manages someone, from the non-self reviews of the cycle:
-- each review's score is the mean of its criteria; a reviewer with at least 2
-- such reviews is calibrated by mean shift (score - reviewer mean + global
-- mean, clamped to the rating scale); mapped to 0..100 over the scale; the
-- panel trimmed by trimmed_mean(score, 1) (the top and bottom mark dropped).
CREATE FUNCTION appraisal_team_management(cycle integer)
RETURNS TABLE (member_id integer, score float8)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  RETURN QUERY
  WITH rv AS (
    SELECT r.review_id, r.reviewer_id, r.reviewee_id, avg(s.score) AS score
    FROM review r JOIN review_score s ON s.review_id = r.review_id
    WHERE r.cycle_id = cycle AND r.rater_role <> 'self'
    GROUP BY r.review_id, r.reviewer_id, r.reviewee_id),
  rv_cal AS (
    SELECT rv.*,
           CASE WHEN count(*) OVER (PARTITION BY rv.reviewer_id) >= 2
                THEN greatest(c.rating_scale_min, least(c.rating_scale_max,
                       rv.score - avg(rv.score) OVER (PARTITION BY rv.reviewer_id) + avg(rv.score) OVER ()))
                ELSE rv.score END AS calibrated
    FROM rv),
  managers AS (
    SELECT tl.member_id FROM team_leader tl
    UNION
    SELECT m.manager_id FROM member m WHERE m.active AND m.manager_id IS NOT NULL)
  SELECT rc.reviewee_id,
         round(trimmed_mean(((rc.calibrated - c.rating_scale_min) / (c.rating_scale_max - c.rating_scale_min) * 100)::float8, 1)::numeric, 6)::float8
  FROM rv_cal rc
  WHERE rc.reviewee_id IN (SELECT mg.member_id FROM managers mg)
  GROUP BY rc.reviewee_id;
END
$fn$;
COMMENT ON FUNCTION appraisal_team_management(integer) IS
'Internal part of appraisal_compute: team_management on 0..100 of every leader or manager reviewed in the cycle -- non-self review scores (mean of criteria), calibrated by mean shift for reviewers of at least 2 reviews (clamped to the rating scale), mapped to 0..100, trimmed_mean(score, 1) over the panel; rounded to 6 decimals.';
REVOKE ALL ON FUNCTION appraisal_team_management(integer) FROM PUBLIC;

-- appraisal_survey_satisfaction: customer satisfaction for a level without
-- customer-satisfaction KPIs -- per member appraised, csat() (percent of 4s
-- and 5s) of the surveys answered in the year by the customers their scope
-- owns (the member and the subtree of the teams they lead), else
-- (nps() + 100) / 2.
CREATE FUNCTION appraisal_survey_satisfaction(cycle integer, start_on date, end_on date)
RETURNS TABLE (member_id integer, score numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH who AS MATERIALIZED (SELECT * FROM appraisal_who(cycle, end_on)),
  led AS (
    SELECT tl.member_id, tl.team_id, 0 AS depth FROM team_leader tl JOIN who w ON w.member_id = tl.member_id),
  scope AS MATERIALIZED (
    SELECT w.member_id, w.member_id AS scope_id FROM who w
    UNION
    SELECT l.member_id, m.member_id
    FROM led l
    CROSS JOIN LATERAL (WITH RECURSIVE s(team_id, depth) AS (
                          SELECT l.team_id, 0
                          UNION ALL
                          SELECT t.team_id, s.depth + 1 FROM team t JOIN s ON t.parent_id = s.team_id
                          WHERE s.depth < 1000)
                        SELECT s.team_id FROM s) s
    JOIN member m ON m.team_id = s.team_id)
  SELECT sc.member_id, coalesce(csat(sr.csat), (nps(sr.nps) + 100) / 2)
  FROM scope sc
  JOIN customer cu ON cu.owner_id = sc.scope_id
  JOIN survey_response sr ON sr.customer_id = cu.customer_id
  WHERE sr.answered_at >= start_on::timestamptz AND sr.answered_at < (end_on + 1)::timestamptz
  GROUP BY sc.member_id;
END
$fn$;
COMMENT ON FUNCTION appraisal_survey_satisfaction(integer, date, date) IS
'Internal part of appraisal_compute: per member appraised in the cycle, csat() of the surveys answered between the dates by the customers their scope owns, else (nps() + 100) / 2 (the customer_satisfaction of a level without customer-satisfaction KPIs; unrounded).';
REVOKE ALL ON FUNCTION appraisal_survey_satisfaction(integer, date, date) FROM PUBLIC;

-- appraisal_components: the four components of everyone appraised, each
-- capped at 100 (NULL stays NULL: the component is missing): team_performance
-- (own KPI result, else the team's), individual_performance (KPIs),
-- team_management (reviews), customer_satisfaction (KPIs for a level that has
-- such KPIs, else surveys, rounded to 6 decimals).  variant: a what-if
-- variant's KPI weights and curves (NULL: the tables).
CREATE FUNCTION appraisal_components(cycle integer, start_on date, end_on date, variant jsonb DEFAULT NULL)
RETURNS TABLE (member_id integer, level member_level, team_id integer, team_performance float8,
               individual_performance float8, team_management float8, customer_satisfaction float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH kpi_pivot AS MATERIALIZED (SELECT * FROM appraisal_kpi_components(cycle, variant)),
  cs_by_kpi AS MATERIALIZED (   -- levels whose customer satisfaction comes from KPIs
    SELECT DISTINCT kw.level FROM appraisal_kpi_weights(cycle, variant) kw JOIN kpi_definition d ON d.kpi_id = kw.kpi_id
    WHERE d.component = 'customer_satisfaction'),
  comp0 AS (
    SELECT w.member_id, w.level, w.team_id,
           coalesce(kp.team_performance, ts.score) AS team_performance,
           kp.individual_performance,
           tm.score AS team_management,
           CASE WHEN cb.level IS NOT NULL THEN kp.customer_satisfaction
                ELSE round(sv.score, 6)::float8 END AS customer_satisfaction
    FROM appraisal_who(cycle, end_on) w
    LEFT JOIN kpi_pivot kp ON kp.member_id = w.member_id
    LEFT JOIN appraisal_team_scores(cycle, variant) ts ON ts.team_id = w.team_id
    LEFT JOIN appraisal_team_management(cycle) tm ON tm.member_id = w.member_id
    LEFT JOIN appraisal_survey_satisfaction(cycle, start_on, end_on) sv ON sv.member_id = w.member_id
    LEFT JOIN cs_by_kpi cb ON cb.level = w.level)
  SELECT c0.member_id, c0.level, c0.team_id,
         CASE WHEN c0.team_performance > 100 THEN 100 ELSE c0.team_performance END,
         CASE WHEN c0.individual_performance > 100 THEN 100 ELSE c0.individual_performance END,
         CASE WHEN c0.team_management > 100 THEN 100 ELSE c0.team_management END,
         CASE WHEN c0.customer_satisfaction > 100 THEN 100 ELSE c0.customer_satisfaction END
  FROM comp0 c0;
END
$fn$;
COMMENT ON FUNCTION appraisal_components(integer, date, date, jsonb) IS
'Internal part of appraisal_compute: the level, team and four components on 0..100 (each capped at 100, NULL when missing) of every member appraised in the cycle: team_performance, individual_performance, team_management, customer_satisfaction. variant: a what-if variant''s KPI weights and curves (NULL: the tables).';
REVOKE ALL ON FUNCTION appraisal_components(integer, date, date, jsonb) FROM PUBLIC;

-- appraisal_ranking: the final result row of everyone appraised -- the
-- components, final_score = weighted_score over the components present with
-- the level's weights (renormalised, rounded to 6 decimals), and per level or
-- per team (group_by) ordered by final_score DESC: rank (ties share),
-- percentile = 100 x (1 - percent_rank()) and the grade by forced distribution
-- (grades and shares of the grade policy by ordinal).  No final score: no rank.
-- variant: a what-if variant's weights and curves (appraisal_components,
-- appraisal_component_weights); NULL: the tables, as closing uses them.
CREATE FUNCTION appraisal_ranking(cycle integer, group_by text, grades text[], shares numeric[],
                                  start_on date, end_on date, variant jsonb DEFAULT NULL)
RETURNS TABLE (member_id integer, level member_level, team_performance float8,
               individual_performance float8, team_management float8, customer_satisfaction float8,
               final_score float8, rank bigint, percentile numeric, grade text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH cweight AS MATERIALIZED (SELECT * FROM appraisal_component_weights(cycle, variant)),
  final AS (
    SELECT cp.*,
           (SELECT round(weighted_score(v.score, cw.weight::float8)::numeric, 6)::float8
            FROM (VALUES ('team_performance'::appraisal_component, cp.team_performance),
                         ('individual_performance', cp.individual_performance),
                         ('team_management', cp.team_management),
                         ('customer_satisfaction', cp.customer_satisfaction)) v(component, score)
            JOIN cweight cw ON cw.level = cp.level AND cw.component = v.component) AS final_score,
           CASE WHEN group_by = 'team' THEN cp.team_id::text ELSE cp.level::text END AS grp
    FROM appraisal_components(cycle, start_on, end_on, variant) cp)
  SELECT f.member_id, f.level, f.team_performance, f.individual_performance, f.team_management,
         f.customer_satisfaction, f.final_score,
         CASE WHEN f.final_score IS NOT NULL THEN
           rank() OVER (PARTITION BY f.grp, f.final_score IS NULL ORDER BY f.final_score DESC) END,
         CASE WHEN f.final_score IS NOT NULL THEN
           round((100 * (1 - percent_rank() OVER (PARTITION BY f.grp, f.final_score IS NULL ORDER BY f.final_score DESC)))::numeric, 2) END,
         CASE WHEN f.final_score IS NOT NULL THEN
           grade_by_distribution(grades, shares) OVER (PARTITION BY f.grp, f.final_score IS NULL ORDER BY f.final_score DESC) END
  FROM final f;
END
$fn$;
COMMENT ON FUNCTION appraisal_ranking(integer, text, text[], numeric[], date, date, jsonb) IS
'Internal part of appraisal_compute and appraisal_what_if: the result row of every member appraised in the cycle -- components, final score renormalised over the components present (rounded to 6 decimals), and per level or team (group_by) by final score: rank (ties share), percentile and grade by forced distribution over grades and shares. variant: a what-if variant''s KPI weights, curves and component weights (NULL: the tables).';
REVOKE ALL ON FUNCTION appraisal_ranking(integer, text, text[], numeric[], date, date, jsonb) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- Issue 16, calibration sessions (26_model_calibration.sql,
-- 43_appraisal_calibration.sql): the hook of appraisal_compute.  The ranking
-- appraisal_ranking just gave is kept as the "before" (calibration_baseline),
-- then the sessions' adjustments are applied (calibration_apply), so
-- appraisal_result, and the grades closing freezes, are the calibrated ones.
-- ---------------------------------------------------------------------------

-- calibration_apply: final score = before + the member's adjustment, clamped
-- to 0..100 (rounded to 6 decimals like every score); in each calibration
-- group holding an adjusted member, rank, percentile and grade again by
-- appraisal_ranking's window (rank(), percent_rank(), grade_by_distribution
-- over final_score DESC); the groups without adjustments keep their ranking
-- as computed.  Writes only the rows that change (audited), and the grade
-- policy consequences of a changed grade.  Reads tables only.
CREATE FUNCTION calibration_apply(cycle integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_grades text[];
  v_shares numeric[];
BEGIN
  SELECT array_agg(g.grade ORDER BY g.ordinal), array_agg(g.distribution_pct ORDER BY g.ordinal)
    INTO v_grades, v_shares
  FROM grade_policy g WHERE g.cycle_id = cycle;
  WITH adj AS (
    SELECT b.member_id, b.grp, b.rank, b.percentile, b.grade,
           CASE WHEN a.points IS NULL OR b.final_score IS NULL THEN b.final_score
                ELSE round(least(100, greatest(0, b.final_score::numeric + a.points)), 6)::float8 END AS score,
           bool_or(a.points IS NOT NULL) OVER (PARTITION BY b.grp) AS touched
    FROM calibration_baseline b
    LEFT JOIN calibration_adjustment a ON a.cycle_id = b.cycle_id AND a.member_id = b.member_id
    WHERE b.cycle_id = cycle),
  ranked AS (
    SELECT x.member_id, x.score,
           CASE WHEN NOT x.touched THEN x.rank WHEN x.score IS NOT NULL THEN rank() OVER w END AS rank,
           CASE WHEN NOT x.touched THEN x.percentile
                WHEN x.score IS NOT NULL THEN round((100 * (1 - percent_rank() OVER w))::numeric, 2) END AS percentile,
           CASE WHEN NOT x.touched THEN x.grade
                WHEN x.score IS NOT NULL THEN grade_by_distribution(v_grades, v_shares) OVER w END AS grade
    FROM adj x
    WINDOW w AS (PARTITION BY x.grp, x.score IS NULL ORDER BY x.score DESC))
  UPDATE appraisal_result r
  SET final_score = k.score, rank = k.rank, percentile = k.percentile, grade = k.grade
  FROM ranked k
  WHERE r.cycle_id = cycle AND r.member_id = k.member_id
    AND (r.final_score, r.rank, r.percentile, r.grade) IS DISTINCT FROM (k.score, k.rank, k.percentile, k.grade);
  UPDATE appraisal_consequence x
  SET grade = g.grade, raise_pct = g.raise_pct, bonus_multiplier = g.bonus_multiplier,
      reward_or_penalty = g.reward_or_penalty
  FROM appraisal_result r JOIN grade_policy g ON g.cycle_id = r.cycle_id AND g.grade = r.grade
  WHERE x.cycle_id = cycle AND r.cycle_id = cycle AND r.member_id = x.member_id AND x.grade <> r.grade;
END
$fn$;
COMMENT ON FUNCTION calibration_apply(integer) IS
'Internal (calibration hook of appraisal_compute, adjust_final_score): applies the calibration adjustments of a cycle to its results -- final score = the score before calibration (calibration_baseline) + the adjustment, clamped to 0..100; rank, percentile and grade computed again, as appraisal_ranking does, within each calibration group holding an adjusted member (the other groups keep theirs) -- and updates the changed appraisal_result rows and the consequences of a changed grade.';
REVOKE ALL ON FUNCTION calibration_apply(integer) FROM PUBLIC;

-- appraisal_calibration_hook: keeps the results just computed as the
-- cycle's calibration baseline -- with the team each member was appraised
-- in (appraisal_who) and their calibration group (level, or team when ranked
-- per team) -- and applies the adjustments (calibration_apply).
CREATE FUNCTION appraisal_calibration_hook(cycle integer, group_by text, end_on date)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  DELETE FROM calibration_baseline b WHERE b.cycle_id = cycle;
  INSERT INTO calibration_baseline (cycle_id, member_id, level, team_id, grp, final_score, rank, percentile, grade)
  SELECT r.cycle_id, r.member_id, r.level, w.team_id,
         CASE WHEN group_by = 'team' THEN w.team_id::text ELSE r.level::text END,
         r.final_score, r.rank, r.percentile, r.grade
  FROM appraisal_result r
  LEFT JOIN appraisal_who(cycle, end_on) w ON w.member_id = r.member_id
  WHERE r.cycle_id = cycle
  ORDER BY r.member_id;
  PERFORM calibration_apply(cycle);
END
$fn$;
COMMENT ON FUNCTION appraisal_calibration_hook(integer, text, date) IS
'Internal step of appraisal_compute (issue 16): replaces the cycle''s calibration_baseline by the results just computed (with each member''s team at end_on and calibration group, the level or, for group_by team, the team) and applies the calibration adjustments to appraisal_result (calibration_apply).';
REVOKE ALL ON FUNCTION appraisal_calibration_hook(integer, text, date) FROM PUBLIC;

-- appraisal_compute: checks the grade policy, scores the KPIs again, and
-- replaces the cycle's results (appraisal_ranking) and their consequences.
CREATE FUNCTION appraisal_compute(cycle integer, group_by text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
  y record;
  v_grades text[];
  v_shares numeric[];
BEGIN
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  SELECT * INTO y FROM year_bounds(c.fiscal_year);
  SELECT array_agg(g.grade ORDER BY g.ordinal), array_agg(g.distribution_pct ORDER BY g.ordinal)
    INTO v_grades, v_shares
  FROM grade_policy g WHERE g.cycle_id = cycle;
  IF v_grades IS NULL OR array_position(v_shares, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'appraisal cycle % has no forced distribution in its grade policy', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Grades are given by forced distribution: every grade needs a distribution_pct.',
            HINT = 'UPDATE grade_policy SET distribution_pct = ... (the cycle must be reopened if closed).';
  END IF;

  PERFORM kpi_store(cycle);

  DELETE FROM appraisal_consequence x WHERE x.cycle_id = cycle;
  DELETE FROM appraisal_result r WHERE r.cycle_id = cycle;

  -- one statement: every component and the ranking read one snapshot
  INSERT INTO appraisal_result (cycle_id, member_id, level, team_performance, individual_performance,
                                team_management, customer_satisfaction, final_score, rank, percentile, grade)
  SELECT cycle, f.member_id, f.level, f.team_performance, f.individual_performance, f.team_management,
         f.customer_satisfaction, f.final_score, f.rank, f.percentile, f.grade
  FROM appraisal_ranking(cycle, group_by, v_grades, v_shares, y.start_on, y.end_on) f
  ORDER BY f.member_id;

  -- issue 16, the calibration hook: this ranking is the "before"; apply the adjustments
  PERFORM appraisal_calibration_hook(cycle, group_by, y.end_on);

  INSERT INTO appraisal_consequence (cycle_id, member_id, grade, raise_pct, bonus_multiplier, reward_or_penalty)
  SELECT r.cycle_id, r.member_id, r.grade, g.raise_pct, g.bonus_multiplier, g.reward_or_penalty
  FROM appraisal_result r JOIN grade_policy g ON g.cycle_id = r.cycle_id AND g.grade = r.grade
  WHERE r.cycle_id = cycle
  ORDER BY r.member_id;
END
$fn$;
COMMENT ON FUNCTION appraisal_compute(integer, text) IS
'Internal step of calibrate_appraisal_cycle and close_appraisal_cycle: scores the KPIs again and replaces the cycle''s appraisal_result and appraisal_consequence rows (components, calibrated and trimmed team management, renormalised final score, rank, percentile, forced-distribution grade per level or team, grade policy consequences).';
REVOKE ALL ON FUNCTION appraisal_compute(integer, text) FROM PUBLIC;

-- appraisal_prepare: the common prologue of calibrate and close.
CREATE FUNCTION appraisal_prepare(cycle integer, group_by text, action text)
RETURNS appraisal_cycle
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  IF group_by IS NULL OR group_by NOT IN ('level', 'team') THEN
    RAISE EXCEPTION 'group_by must be level or team, got %', coalesce(group_by, 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Ranks, percentiles and the forced distribution of grades are per career level or per team.';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'cannot % appraisal cycle % in a % transaction', action, cycle, current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state',
            DETAIL = 'The close locks reviews and sales and must then see every transaction committed before the lock; a repeatable read or serializable snapshot may be older.',
            HINT = 'Run it in a READ COMMITTED transaction (the default).';
  END IF;
  c := appraisal_cycle_row(cycle, true);
  IF c.state = 'closed' THEN
    RETURN c;
  END IF;
  -- writers that started before us finish first (fully in); writers after us wait
  LOCK TABLE review, review_score IN SHARE ROW EXCLUSIVE MODE;
  LOCK TABLE sale, sale_credit IN SHARE MODE;
  IF c.state = 'open' THEN
    RAISE EXCEPTION 'appraisal cycle % is still open: reviews have not started', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Call start_appraisal_reviews(cycle_id) first.';
  END IF;
  IF c.state = 'reviewing' THEN
    UPDATE appraisal_cycle a SET state = 'calibrating' WHERE a.cycle_id = cycle;
    c.state := 'calibrating';
  END IF;
  RETURN c;
END
$fn$;
COMMENT ON FUNCTION appraisal_prepare(integer, text, text) IS
'Internal prologue of calibrate_appraisal_cycle and close_appraisal_cycle: checks arguments and READ COMMITTED, locks the cycle row, locks review and review_score (SHARE ROW EXCLUSIVE) and sale and sale_credit (SHARE), and moves a reviewing cycle to calibrating; returns the cycle (a closed one untouched).';
REVOKE ALL ON FUNCTION appraisal_prepare(integer, text, text) FROM PUBLIC;

CREATE FUNCTION calibrate_appraisal_cycle(cycle integer, group_by text DEFAULT 'level',
                                          login name DEFAULT current_user)
RETURNS SETOF appraisal_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'calibrate an appraisal cycle');
  c := appraisal_prepare(cycle, group_by, 'calibrate');
  IF c.state = 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is closed', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Reopen it with reopen_appraisal_cycle(cycle_id, reason), which is audited.';
  END IF;
  PERFORM appraisal_compute(cycle, group_by);
  RETURN QUERY SELECT * FROM appraisal_result r WHERE r.cycle_id = cycle ORDER BY r.member_id;
END
$fn$;
COMMENT ON FUNCTION calibrate_appraisal_cycle(integer, text, name) IS
'Computes an appraisal cycle''s results without closing it (the cycle moves to calibrating, which freezes reviews): same computation as close_appraisal_cycle, rerunnable with the same result. HR only (a company-wide step; managers read the results of their scope under row-level security).';
REVOKE ALL ON FUNCTION calibrate_appraisal_cycle(integer, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION calibrate_appraisal_cycle(integer, text, name) TO sales_supervisor_hr;

CREATE FUNCTION close_appraisal_cycle(cycle integer, group_by text DEFAULT 'level',
                                      login name DEFAULT current_user)
RETURNS SETOF appraisal_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'close an appraisal cycle');
  c := appraisal_prepare(cycle, group_by, 'close');
  IF c.state <> 'closed' THEN
    PERFORM appraisal_compute(cycle, group_by);
    UPDATE appraisal_cycle a SET state = 'closed' WHERE a.cycle_id = cycle;
  END IF;
  RETURN QUERY SELECT * FROM appraisal_result r WHERE r.cycle_id = cycle ORDER BY r.member_id;
END
$fn$;
COMMENT ON FUNCTION close_appraisal_cycle(integer, text, name) IS
'Closes an appraisal cycle in one transaction: locks reviews and sales, scores the KPIs, computes the four components on 0..100 (team management with rater calibration by mean shift and trimmed_mean(score, 1)), the final score renormalised over the components present, rank, percentile and grade by forced distribution per level or team, and the grade policy consequences, then closes the cycle (results frozen for everyone). On a closed cycle it changes nothing and returns the stored results, so closing twice gives the same result. HR only (a company-wide step); READ COMMITTED only.';
REVOKE ALL ON FUNCTION close_appraisal_cycle(integer, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION close_appraisal_cycle(integer, text, name) TO sales_supervisor_hr;
