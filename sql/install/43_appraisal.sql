-- Layer 4, the sales year, step 4 -- the appraisal cycle.
--
-- open_appraisal_cycle   cycle + component weights per level (each level sums to 100) + rating scale
-- start_appraisal_reviews  open -> reviewing (the data model re-checks the weights; no weight may lie
--                        outside its level's appraisal_template)
-- calibrate_appraisal_cycle  computes everything below without closing (state calibrating)
-- close_appraisal_cycle  computes and closes in ONE transaction; on a closed cycle it
--                        returns the stored results unchanged (closing twice = same result)
--
-- What closing computes, per active member hired by the year end whose level
-- on the last day of the year (member_assignment) has component weights (all
-- scores rounded to 6 decimals, so equal inputs tie exactly):
--  * who (appraisal_who): that level, the team then, the level's
--    appraisal_template (what counts: components, KPIs, review criteria and
--    scale, self and supervisor weights; none: everything the cycle weighs)
--    and days_in_cycle (employed by member_assignment, less member_leave);
--  * KPIs are scored again (kpi_store), so the close sees one state of the
--    data -- only the template's KPIs; under the cycle's prorate policy a
--    short stay's volume targets are scaled by days in the cycle / days of
--    the year (kpi_measure_who);
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
--  * reviews (appraisal_review_marks): each review's score is the mean of
--    the criteria its reviewee's template counts, on the template's scale
--    (else the cycle's); the ANONYMITY THRESHOLD: a peer or subordinate group
--    of fewer than the cycle's min_anonymous_reviews reviews is withheld
--    everywhere (review_summary applies the same threshold) -- not in the
--    panel, not in the calibration; rater calibration by mean shift over the
--    non-self reviews kept: a reviewer with at least 2 of them has their
--    leniency removed, calibrated = score - reviewer mean + mean of all,
--    clamped to the scale (a reviewer with 1 review counts as written);
--    mapped to 0..100 by (s - min) / (max - min) x 100;
--  * supervisor_review: the supervisors' marks weighted by the days each
--    writer led the member in the year (appraisal_supervisor_days: a
--    transfer is reviewed by both leaders in proportion; no days: the mean);
--  * team_management (only for members who lead a team or manage someone):
--    the panel of the peer and subordinate marks kept and the
--    supervisor_review as one mark, trimmed: trimmed_mean(score, 1) drops the
--    top and bottom mark; withheld names the groups withheld and, when no
--    panel is left, that the final score is renormalised without it;
--  * self_assessment: the self review's mark, as written;
--  * a component the template leaves out is NULL;
--  * final_score = weighted_score over the components present with the
--    level's weights (weights renormalised over what the person has); with a
--    template self_weight / supervisor_weight (percent of the final), the
--    weighted mean of that, the self_assessment and the supervisor_review,
--    renormalised over the terms present; a member who left during the
--    year (listed, with what is known) or, under the not_graded policy, has
--    fewer days in the cycle than min_days_in_cycle has none
--    (not_graded_reason says why) and so no rank or grade;
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
  bad record;
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
  -- the templates say what counts, the cycle how much: no weight outside a level's template
  SELECT x.level, x.what INTO bad FROM (
    SELECT w.level, 'component ' || w.component AS what
    FROM appraisal_component_weight w JOIN appraisal_template tp ON tp.level = w.level
    WHERE w.cycle_id = cycle AND tp.components IS NOT NULL AND NOT w.component = ANY (tp.components)
    UNION ALL
    SELECT w.level, 'KPI ' || w.kpi_id
    FROM kpi_weight w JOIN appraisal_template tp ON tp.level = w.level
    WHERE w.cycle_id = cycle AND tp.kpi_ids IS NOT NULL AND NOT w.kpi_id = ANY (tp.kpi_ids)) x
  ORDER BY 1, 2 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % weights % for level %, which its appraisal template leaves out', cycle, bad.what, bad.level
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The template of a level says which components and KPIs count; the cycle''s weights say how much.',
            HINT = 'Remove the weight, or add it to appraisal_template.components / kpi_ids.';
  END IF;
  UPDATE appraisal_cycle a SET state = 'reviewing' WHERE a.cycle_id = cycle;
END
$fn$;
COMMENT ON FUNCTION start_appraisal_reviews(integer, name) IS
'Moves an open appraisal cycle to reviewing (the weights are checked to sum to 100 per level; a grade policy must exist; no component or KPI weight of a level may lie outside that level''s appraisal template, 55000). HR only.';
REVOKE ALL ON FUNCTION start_appraisal_reviews(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION start_appraisal_reviews(integer, name) TO sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- appraisal_compute: the whole computation of a cycle (internal), and its
-- parts, one function per step of the header comment: appraisal_who (who is
-- appraised), appraisal_kpi_components (components from KPI scores),
-- appraisal_team_scores (team_performance of members without their own),
-- appraisal_review_marks (reviews as marks: anonymity threshold, calibration),
-- appraisal_supervisor_days (days each supervisor led each reviewee),
-- appraisal_review_components (team_management, supervisors' review,
-- self-assessment, what was withheld),
-- appraisal_survey_satisfaction (customer satisfaction without KPIs),
-- appraisal_components (the four, capped), appraisal_ranking (final score,
-- rank, percentile, grade); the consequences are appraisal_compute's last
-- statement.  The parts are STABLE and appraisal_compute reads them all in one
-- statement, so the results see one snapshot of the data, as the single query
-- before them did.  They read tables only (no temporary ones); SECURITY
-- INVOKER, they run as the definer of calibrate/close_appraisal_cycle.
-- ---------------------------------------------------------------------------

-- appraisal_who: who a cycle appraises -- the active members hired by the end
-- of its year (end_on), and those who left during it (left_on between the
-- dates: listed, never graded), whose level on end_on (member_assignment,
-- after leaving the last; else member.level) has component weights in the
-- cycle, with the team they were in on end_on (whose leader's team
-- performance is their team component), the appraisal template of that level
-- (NULL: none), their days in the cycle (member_days_in: employed and not on
-- leave between the dates) and the day they left (NULL: still there).
CREATE FUNCTION appraisal_who(cycle integer, start_on date, end_on date)
RETURNS TABLE (member_id integer, level member_level, team_id integer, template_id integer,
               days_in_cycle integer, left_on date)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  SELECT m.member_id, coalesce(a.level, m.level), coalesce(a.team_id, m.team_id), tp.template_id,
         coalesce(d.days, 0), m.left_on
  FROM member m
  LEFT JOIN member_team_days() a ON a.member_id = m.member_id AND a.days @> end_on
  LEFT JOIN appraisal_template tp ON tp.level = coalesce(a.level, m.level)
  LEFT JOIN member_days_in(start_on, end_on) d ON d.member_id = m.member_id
  WHERE (m.active OR m.left_on BETWEEN start_on AND end_on) AND m.hire_date <= end_on
    AND EXISTS (SELECT 1 FROM appraisal_component_weight w
                WHERE w.cycle_id = cycle AND w.level = coalesce(a.level, m.level));
END
$fn$;
COMMENT ON FUNCTION appraisal_who(integer, date, date) IS
'Internal part of appraisal_compute: the members an appraisal cycle appraises -- active and hired by end_on (the end of the cycle''s year), or left between start_on and end_on (listed, not graded), at a level (on end_on, member_team_days) with component weights in the cycle -- with that level, the team they were in on end_on, the appraisal template of the level (NULL: none), their days in the cycle (member_days_in) and the day they left.';
REVOKE ALL ON FUNCTION appraisal_who(integer, date, date) FROM PUBLIC;

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
  yb AS MATERIALIZED (   -- the last day of the year: the level then weighs the KPIs
    SELECT y.end_on FROM appraisal_cycle ac CROSS JOIN LATERAL year_bounds(ac.fiscal_year) y
    WHERE ac.cycle_id = cycle),
  kpi_comp AS MATERIALIZED (
    SELECT r.member_id, d.component,
           round(weighted_score(s.score, kw.weight::float8)::numeric, 6)::float8 AS score
    FROM kpi_result r
    JOIN kpi_definition d ON d.kpi_id = r.kpi_id
    JOIN member m ON m.member_id = r.member_id
    CROSS JOIN yb
    LEFT JOIN member_team_days() a ON a.member_id = r.member_id AND a.days @> yb.end_on
    JOIN kw ON kw.kpi_id = r.kpi_id AND kw.level = coalesce(a.level, m.level)
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

-- appraisal_review_marks: every review of the cycle with its mark on 0..100,
-- the one place reviews become numbers.  A review's score is the mean of the
-- criteria its reviewee's template counts (every criterion without one), on
-- the template's rating scale (else the cycle's).  The anonymity threshold:
-- where fewer than the cycle's min_anonymous_reviews peers, or subordinates,
-- reviewed someone, that group's reviews are withheld (withheld, mark NULL)
-- and take no part in anything -- not the reviewee's panel, not the rater
-- calibration.  The other non-self reviews are calibrated by mean shift: a
-- reviewer with at least 2 such reviews has their leniency removed, score -
-- reviewer mean + mean of all (clamped to the scale); one review counts as
-- written.  A self review is mapped as written (never calibrated).
CREATE FUNCTION appraisal_review_marks(cycle integer, start_on date, end_on date)
RETURNS TABLE (review_id bigint, reviewer_id integer, reviewee_id integer, rater_role rater_role,
               withheld boolean, mark float8)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
BEGIN
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  RETURN QUERY
  WITH form AS MATERIALIZED (   -- the criteria and scale of each reviewee appraised
    SELECT w.member_id, tp.criteria, tp.rating_scale_min AS smin, tp.rating_scale_max AS smax
    FROM appraisal_who(cycle, start_on, end_on) w JOIN appraisal_template tp ON tp.template_id = w.template_id),
  rv AS MATERIALIZED (
    SELECT r.review_id, r.reviewer_id, r.reviewee_id, r.rater_role, avg(s.score) AS score,
           coalesce(f.smin, c.rating_scale_min) AS smin, coalesce(f.smax, c.rating_scale_max) AS smax
    FROM review r JOIN review_score s ON s.review_id = r.review_id
    LEFT JOIN form f ON f.member_id = r.reviewee_id
    WHERE r.cycle_id = cycle AND (f.criteria IS NULL OR s.criterion = ANY (f.criteria))
    GROUP BY r.review_id, r.reviewer_id, r.reviewee_id, r.rater_role, f.smin, f.smax),
  grp AS (
    SELECT rv.*, rv.rater_role IN ('peer', 'subordinate')
                 AND count(*) OVER (PARTITION BY rv.reviewee_id, rv.rater_role) < c.min_anonymous_reviews AS held
    FROM rv),
  cal AS (
    SELECT g.*, CASE WHEN count(*) OVER (PARTITION BY g.reviewer_id) >= 2
                     THEN greatest(g.smin, least(g.smax,
                            g.score - avg(g.score) OVER (PARTITION BY g.reviewer_id) + avg(g.score) OVER ()))
                     ELSE g.score END AS calibrated
    FROM grp g WHERE g.rater_role <> 'self' AND NOT g.held)
  SELECT k.review_id, k.reviewer_id, k.reviewee_id, k.rater_role, false,
         ((k.calibrated - k.smin) / (k.smax - k.smin) * 100)::float8
  FROM cal k
  UNION ALL
  SELECT g.review_id, g.reviewer_id, g.reviewee_id, g.rater_role, g.held,
         CASE WHEN NOT g.held THEN ((g.score - g.smin) / (g.smax - g.smin) * 100)::float8 END
  FROM grp g WHERE g.rater_role = 'self' OR g.held;
END
$fn$;
COMMENT ON FUNCTION appraisal_review_marks(integer, date, date) IS
'Internal part of appraisal_compute: every review of the cycle with a score on the criteria its reviewee''s template counts, as a mark on 0..100 over the template''s (else the cycle''s) rating scale. Peer or subordinate groups smaller than the cycle''s min_anonymous_reviews are withheld (withheld true, mark NULL) and take no part in anything; the other non-self reviews are calibrated by mean shift over themselves (reviewers of at least 2 reviews, clamped to the scale); self reviews are mapped as written.';
REVOKE ALL ON FUNCTION appraisal_review_marks(integer, date, date) FROM PUBLIC;

-- appraisal_supervisor_days: for every supervisor review of the cycle, the
-- days between the dates its writer led its reviewee -- the days the
-- reviewee was in a team (member_assignment) that the writer led, or a team
-- under one they led (team_leadership; for the days a team's history does
-- not cover, its leader today).  The weights of a transferred member's
-- supervisors' review.
CREATE FUNCTION appraisal_supervisor_days(cycle integer, start_on date, end_on date)
RETURNS TABLE (reviewer_id integer, reviewee_id integer, days integer)
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH sup AS (
    SELECT DISTINCT r.reviewer_id, r.reviewee_id FROM review r
    WHERE r.cycle_id = cycle AND r.rater_role = 'supervisor'),
  lead AS (   -- who led each team on which days
    SELECT l.team_id, l.member_id, datemultirange(l.valid) AS days FROM team_leadership l
    UNION ALL
    SELECT tl.team_id, tl.member_id,
           datemultirange(daterange(NULL, NULL))
           - coalesce((SELECT range_agg(l.valid) FROM team_leadership l WHERE l.team_id = tl.team_id), '{}')
    FROM team_leader tl),
  seg AS (
    SELECT s.reviewer_id, s.reviewee_id, u.r
    FROM sup s
    JOIN member_assignment a ON a.member_id = s.reviewee_id AND a.valid && daterange(start_on, end_on, '[]')
    JOIN lead ld ON ld.member_id = s.reviewer_id AND team_is_within(ld.team_id, a.team_id)
    CROSS JOIN LATERAL unnest(datemultirange(a.valid * daterange(start_on, end_on, '[]')) * ld.days) u(r)),
  led AS (SELECT g.reviewer_id, g.reviewee_id, range_agg(g.r) AS days FROM seg g GROUP BY 1, 2)
  SELECT s.reviewer_id, s.reviewee_id,
         coalesce((SELECT sum(upper(x) - lower(x))::integer FROM unnest(l.days) x), 0)
  FROM sup s LEFT JOIN led l ON l.reviewer_id = s.reviewer_id AND l.reviewee_id = s.reviewee_id;
END
$fn$;
COMMENT ON FUNCTION appraisal_supervisor_days(integer, date, date) IS
'Internal part of appraisal_compute: per supervisor review of the cycle (writer, reviewee), the days between the dates the writer led the reviewee: days the reviewee was in a team (member_assignment) the writer led or that lies under one they led (team_leadership, and for days its history does not cover the team''s leader today); 0 when never.';
REVOKE ALL ON FUNCTION appraisal_supervisor_days(integer, date, date) FROM PUBLIC;

-- appraisal_review_components: the parts of a result that come from reviews,
-- per member reviewed --
--  * supervisor_review: the supervisors' marks, each weighted by the days
--    its writer led the member (appraisal_supervisor_days; a transfer is
--    reviewed by both leaders in proportion), the plain mean when no writer
--    led them on any day; one review: its mark;
--  * team_management (who leads a team or manages someone): the panel --
--    the peer and subordinate marks not withheld and the supervisor_review
--    as one mark -- trimmed by trimmed_mean(mark, 1);
--  * self_assessment: the self review's mark;
--  * withheld: for those with team management, each rater group the
--    anonymity threshold withheld, and whether that left no panel at all.
-- All rounded to 6 decimals.
CREATE FUNCTION appraisal_review_components(cycle integer, start_on date, end_on date)
RETURNS TABLE (member_id integer, team_management float8, supervisor_review float8,
               self_assessment float8, withheld text[])
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_min smallint := (SELECT a.min_anonymous_reviews FROM appraisal_cycle a WHERE a.cycle_id = cycle);
BEGIN
  RETURN QUERY
  WITH mk AS MATERIALIZED (SELECT * FROM appraisal_review_marks(cycle, start_on, end_on)),
  sup AS (
    SELECT k.reviewee_id,
           CASE WHEN count(*) = 1 THEN max(k.mark)
                WHEN sum(sd.days) > 0 THEN sum(k.mark * sd.days) / sum(sd.days)
                ELSE avg(k.mark) END AS mark
    FROM mk k LEFT JOIN appraisal_supervisor_days(cycle, start_on, end_on) sd
      ON sd.reviewer_id = k.reviewer_id AND sd.reviewee_id = k.reviewee_id
    WHERE k.rater_role = 'supervisor' GROUP BY k.reviewee_id),
  managers AS (
    SELECT tl.member_id FROM team_leader tl
    UNION
    SELECT m.manager_id FROM member m WHERE m.active AND m.manager_id IS NOT NULL),
  panel AS (
    SELECT k.reviewee_id, k.mark FROM mk k WHERE k.rater_role IN ('peer', 'subordinate') AND NOT k.withheld
    UNION ALL
    SELECT s.reviewee_id, s.mark FROM sup s),
  tm AS (SELECT p.reviewee_id, trimmed_mean(p.mark, 1) AS score FROM panel p GROUP BY p.reviewee_id),
  held AS (
    SELECT k.reviewee_id,
           array_agg(format('team_management: %s %s review%s withheld (fewer than %s)', k.n, k.rater_role,
                            CASE WHEN k.n > 1 THEN 's' END, v_min) ORDER BY k.rater_role) AS notes
    FROM (SELECT x.reviewee_id, x.rater_role, count(*) AS n FROM mk x WHERE x.withheld GROUP BY 1, 2) k
    GROUP BY k.reviewee_id),
  who AS (SELECT k.reviewee_id, max(k.mark) FILTER (WHERE k.rater_role = 'self') AS self_mark
          FROM mk k GROUP BY k.reviewee_id)
  SELECT w.reviewee_id,
         CASE WHEN mg.member_id IS NOT NULL THEN round(tm.score::numeric, 6)::float8 END,
         round(s.mark::numeric, 6)::float8,
         round(w.self_mark::numeric, 6)::float8,
         CASE WHEN mg.member_id IS NOT NULL AND h.notes IS NOT NULL THEN
           h.notes || CASE WHEN tm.score IS NULL
                           THEN ARRAY['team_management withheld: the final score is renormalised over the other components'] END
         ELSE '{}' END
  FROM who w
  LEFT JOIN managers mg ON mg.member_id = w.reviewee_id
  LEFT JOIN sup s ON s.reviewee_id = w.reviewee_id
  LEFT JOIN tm ON tm.reviewee_id = w.reviewee_id
  LEFT JOIN held h ON h.reviewee_id = w.reviewee_id;
END
$fn$;
COMMENT ON FUNCTION appraisal_review_components(integer, date, date) IS
'Internal part of appraisal_compute: per member reviewed in the cycle, from appraisal_review_marks: supervisor_review (the supervisors'' marks weighted by the days each led the member, appraisal_supervisor_days; else their plain mean), team_management for leaders and managers (trimmed_mean(mark, 1) of the peer and subordinate marks not withheld and the supervisor_review as one mark), self_assessment (the self review''s mark), all rounded to 6 decimals, and withheld: the rater groups the anonymity threshold withheld from a leader''s or manager''s panel, and a note when that left none.';
REVOKE ALL ON FUNCTION appraisal_review_components(integer, date, date) FROM PUBLIC;

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
  WITH who AS MATERIALIZED (SELECT * FROM appraisal_who(cycle, start_on, end_on)),
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
-- such KPIs, else surveys, rounded to 6 decimals); a component the member's
-- template leaves out is NULL.  With them the template, the days in the
-- cycle, from the reviews the self-assessment, the supervisors' review and
-- what the anonymity threshold withheld (appraisal_review_components), and
-- why the member is not graded: a leaver never is; a short stay (fewer days
-- in the cycle than its min_days_in_cycle) under the not_graded policy.
-- variant: a what-if variant's KPI weights and curves (NULL: the tables).
CREATE FUNCTION appraisal_components(cycle integer, start_on date, end_on date, variant jsonb DEFAULT NULL)
RETURNS TABLE (member_id integer, level member_level, team_id integer, team_performance float8,
               individual_performance float8, team_management float8, customer_satisfaction float8,
               template_id integer, days_in_cycle integer, self_assessment float8, supervisor_review float8,
               withheld text[], not_graded_reason text)
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
    SELECT w.member_id, w.level, w.team_id, w.template_id, w.days_in_cycle,
           CASE WHEN w.left_on IS NOT NULL
                  THEN format('left on %s, after %s days in the cycle: a leaver is not graded', w.left_on, w.days_in_cycle)
                WHEN cy.short_stay_policy = 'not_graded' AND w.days_in_cycle < cy.min_days_in_cycle
                  THEN format('%s days in the cycle, fewer than the %s its policy requires (not_graded)',
                              w.days_in_cycle, cy.min_days_in_cycle) END AS not_graded,
           coalesce(tp.components, enum_range(NULL::appraisal_component)) AS counted,
           coalesce(kp.team_performance, ts.score) AS team_performance,
           kp.individual_performance,
           rc.team_management, rc.self_assessment, rc.supervisor_review, rc.withheld,
           CASE WHEN cb.level IS NOT NULL THEN kp.customer_satisfaction
                ELSE round(sv.score, 6)::float8 END AS customer_satisfaction
    FROM appraisal_who(cycle, start_on, end_on) w
    JOIN appraisal_cycle cy ON cy.cycle_id = cycle
    LEFT JOIN appraisal_template tp ON tp.template_id = w.template_id
    LEFT JOIN kpi_pivot kp ON kp.member_id = w.member_id
    LEFT JOIN appraisal_team_scores(cycle, variant) ts ON ts.team_id = w.team_id
    LEFT JOIN appraisal_review_components(cycle, start_on, end_on) rc ON rc.member_id = w.member_id
    LEFT JOIN appraisal_survey_satisfaction(cycle, start_on, end_on) sv ON sv.member_id = w.member_id
    LEFT JOIN cs_by_kpi cb ON cb.level = w.level)
  SELECT c0.member_id, c0.level, c0.team_id,
         CASE WHEN NOT 'team_performance' = ANY (c0.counted) THEN NULL
              WHEN c0.team_performance > 100 THEN 100 ELSE c0.team_performance END,
         CASE WHEN NOT 'individual_performance' = ANY (c0.counted) THEN NULL
              WHEN c0.individual_performance > 100 THEN 100 ELSE c0.individual_performance END,
         CASE WHEN NOT 'team_management' = ANY (c0.counted) THEN NULL
              WHEN c0.team_management > 100 THEN 100 ELSE c0.team_management END,
         CASE WHEN NOT 'customer_satisfaction' = ANY (c0.counted) THEN NULL
              WHEN c0.customer_satisfaction > 100 THEN 100 ELSE c0.customer_satisfaction END,
         c0.template_id, c0.days_in_cycle, c0.self_assessment, c0.supervisor_review,
         CASE WHEN 'team_management' = ANY (c0.counted) THEN coalesce(c0.withheld, '{}') ELSE '{}' END,
         c0.not_graded
  FROM comp0 c0;
END
$fn$;
COMMENT ON FUNCTION appraisal_components(integer, date, date, jsonb) IS
'Internal part of appraisal_compute: the level, team and four components on 0..100 (each capped at 100, NULL when missing or left out by the member''s appraisal template) of every member appraised in the cycle: team_performance, individual_performance, team_management, customer_satisfaction; with the template applied, the days in the cycle, the self-assessment, the supervisors'' review, what the anonymity threshold withheld (appraisal_review_components) and why the member is not graded (a leaver; a short stay under the not_graded policy). variant: a what-if variant''s KPI weights and curves (NULL: the tables).';
REVOKE ALL ON FUNCTION appraisal_components(integer, date, date, jsonb) FROM PUBLIC;

-- appraisal_ranking: the final result row of everyone appraised -- the
-- components, final_score = weighted_score over the components present with
-- the level's weights (renormalised, rounded to 6 decimals), and per level or
-- per team (group_by) ordered by final_score DESC: rank (ties share),
-- percentile = 100 x (1 - percent_rank()) and the grade by forced distribution
-- (grades and shares of the grade policy by ordinal).  No final score: no rank.
-- Issue 16: a template with a self_weight or supervisor_weight makes the
-- final score the weighted mean of the components' score (weight 100 - both),
-- the self-assessment (self_weight) and the supervisors' review
-- (supervisor_weight), renormalised over the terms present; a member not
-- graded (appraisal_components: a leaver, a short stay under the not_graded
-- policy) gets no final score, so no rank or grade.
-- variant: a what-if variant's weights and curves (appraisal_components,
-- appraisal_component_weights); NULL: the tables, as closing uses them.
CREATE FUNCTION appraisal_ranking(cycle integer, group_by text, grades text[], shares numeric[],
                                  start_on date, end_on date, variant jsonb DEFAULT NULL)
RETURNS TABLE (member_id integer, level member_level, team_performance float8,
               individual_performance float8, team_management float8, customer_satisfaction float8,
               final_score float8, rank bigint, percentile numeric, grade text,
               template_id integer, self_assessment float8, supervisor_review float8, days_in_cycle integer,
               withheld text[], not_graded_reason text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH cweight AS MATERIALIZED (SELECT * FROM appraisal_component_weights(cycle, variant)),
  comp AS (
    SELECT cp.*, coalesce(tp.self_weight, 0) AS self_w, coalesce(tp.supervisor_weight, 0) AS sup_w,
           (SELECT weighted_score(v.score, cw.weight::float8)
            FROM (VALUES ('team_performance'::appraisal_component, cp.team_performance),
                         ('individual_performance', cp.individual_performance),
                         ('team_management', cp.team_management),
                         ('customer_satisfaction', cp.customer_satisfaction)) v(component, score)
            JOIN cweight cw ON cw.level = cp.level AND cw.component = v.component) AS comp_score,
           CASE WHEN group_by = 'team' THEN cp.team_id::text ELSE cp.level::text END AS grp
    FROM appraisal_components(cycle, start_on, end_on, variant) cp
    LEFT JOIN appraisal_template tp ON tp.template_id = cp.template_id),
  final AS (
    SELECT x.*,
           CASE WHEN x.not_graded_reason IS NOT NULL THEN NULL
                WHEN x.self_w = 0 AND x.sup_w = 0 THEN round(x.comp_score::numeric, 6)::float8
                ELSE (SELECT round(weighted_score(t.score, t.weight)::numeric, 6)::float8
                      FROM (VALUES (x.comp_score, (100 - x.self_w - x.sup_w)::float8),
                                   (x.self_assessment, x.self_w::float8),
                                   (x.supervisor_review, x.sup_w::float8)) t(score, weight)
                      WHERE t.weight > 0) END AS final_score
    FROM comp x)
  SELECT f.member_id, f.level, f.team_performance, f.individual_performance, f.team_management,
         f.customer_satisfaction, f.final_score,
         CASE WHEN f.final_score IS NOT NULL THEN
           rank() OVER (PARTITION BY f.grp, f.final_score IS NULL ORDER BY f.final_score DESC) END,
         CASE WHEN f.final_score IS NOT NULL THEN
           round((100 * (1 - percent_rank() OVER (PARTITION BY f.grp, f.final_score IS NULL ORDER BY f.final_score DESC)))::numeric, 2) END,
         CASE WHEN f.final_score IS NOT NULL THEN
           grade_by_distribution(grades, shares) OVER (PARTITION BY f.grp, f.final_score IS NULL ORDER BY f.final_score DESC) END,
         f.template_id, f.self_assessment, f.supervisor_review, f.days_in_cycle, f.withheld, f.not_graded_reason
  FROM final f;
END
$fn$;
COMMENT ON FUNCTION appraisal_ranking(integer, text, text[], numeric[], date, date, jsonb) IS
'Internal part of appraisal_compute and appraisal_what_if: the result row of every member appraised in the cycle -- components, final score renormalised over the components present (then, where the member''s template weights them, with the self-assessment and the supervisors'' review as percent of the final, renormalised over the terms present; rounded to 6 decimals; NULL when not graded: a leaver, a short stay under the cycle''s not_graded policy), and per level or team (group_by) by final score: rank (ties share), percentile and grade by forced distribution over grades and shares; with the template, self-assessment, supervisors'' review, days in the cycle, what was withheld and why a member is not graded. variant: a what-if variant''s KPI weights, curves and component weights (NULL: the tables).';
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
  LEFT JOIN appraisal_who(cycle, (SELECT y.start_on FROM appraisal_cycle c CROSS JOIN LATERAL year_bounds(c.fiscal_year) y
                                  WHERE c.cycle_id = appraisal_calibration_hook.cycle), end_on) w
    ON w.member_id = r.member_id
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
                                team_management, customer_satisfaction, final_score, rank, percentile, grade,
                                template_id, self_assessment, supervisor_review, days_in_cycle, withheld,
                                not_graded_reason)
  SELECT cycle, f.member_id, f.level, f.team_performance, f.individual_performance, f.team_management,
         f.customer_satisfaction, f.final_score, f.rank, f.percentile, f.grade,
         f.template_id, f.self_assessment, f.supervisor_review, f.days_in_cycle, f.withheld, f.not_graded_reason
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

-- self_assessment_comparison (issue 16): a member's self-assessment beside
-- their supervisors' review, per criterion that counts for them (their
-- template's criteria, else every criterion either review scored), as
-- written on the rating scale: the self score, and the supervisors' scores
-- weighted by the days each led the member in the year
-- (appraisal_supervisor_days; the plain mean when none led them on any day).
-- counts_in_score and self_weight say whether the template counts the
-- self-assessment, and how much of the final score.  Raw review scores only,
-- no calibrated or final result, so it may be read before results are
-- published.  Allowed as review_summary: oneself, supervisors and managers
-- over their scope, HR.
CREATE FUNCTION self_assessment_comparison(cycle integer, member integer DEFAULT NULL,
                                           login name DEFAULT current_user)
RETURNS TABLE (criterion text, self_score numeric, supervisor_score numeric, supervisor_reviews integer,
               counts_in_score boolean, self_weight numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_me integer := current_member_id(login);    -- refuses NULL and foreign logins
  v_who integer := coalesce(member, v_me);
  c appraisal_cycle;
  y record;
  tp appraisal_template;
BEGIN
  IF cycle IS NULL THEN
    RAISE EXCEPTION 'cycle must not be null'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = self_assessment_comparison.cycle;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle
      USING ERRCODE = 'no_data_found', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  IF v_who IS NULL THEN
    RAISE EXCEPTION 'role "%" is not an active member', login
      USING ERRCODE = 'insufficient_privilege', HINT = 'Pass the member, or map the login to its member (member.login_role).';
  END IF;
  IF (v_who = v_me
      OR pg_has_role(login, 'sales_supervisor_hr', 'MEMBER')
      OR ((pg_has_role(login, 'sales_supervisor_supervisor', 'MEMBER') OR pg_has_role(login, 'sales_supervisor_manager', 'MEMBER'))
          AND v_who = ANY (visible_member_ids(login)))) IS NOT TRUE THEN
    RAISE EXCEPTION 'role "%" may not see the reviews of member %', login, v_who
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'A self-assessment is compared for oneself, for supervisors and managers over their scope, and for HR.';
  END IF;
  SELECT * INTO y FROM year_bounds(c.fiscal_year);
  SELECT t.* INTO tp FROM member m
  LEFT JOIN member_team_days() a ON a.member_id = m.member_id AND a.days @> y.end_on
  JOIN appraisal_template t ON t.level = coalesce(a.level, m.level)
  WHERE m.member_id = v_who;
  RETURN QUERY
  WITH sc AS (
    SELECT r.rater_role, s.criterion, s.score, coalesce(sd.days, 0) AS days
    FROM review r JOIN review_score s ON s.review_id = r.review_id
    LEFT JOIN appraisal_supervisor_days(cycle, y.start_on, y.end_on) sd
      ON r.rater_role = 'supervisor' AND sd.reviewer_id = r.reviewer_id AND sd.reviewee_id = r.reviewee_id
    WHERE r.cycle_id = c.cycle_id AND r.reviewee_id = v_who AND r.rater_role IN ('self', 'supervisor')
      AND (tp.criteria IS NULL OR s.criterion = ANY (tp.criteria)))
  SELECT sc.criterion,
         max(sc.score) FILTER (WHERE sc.rater_role = 'self'),
         round(CASE WHEN sum(sc.days) FILTER (WHERE sc.rater_role = 'supervisor') > 0
                    THEN sum(sc.score * sc.days) FILTER (WHERE sc.rater_role = 'supervisor')
                         / sum(sc.days) FILTER (WHERE sc.rater_role = 'supervisor')
                    ELSE avg(sc.score) FILTER (WHERE sc.rater_role = 'supervisor') END, 2),
         (count(*) FILTER (WHERE sc.rater_role = 'supervisor'))::integer,
         coalesce(tp.self_weight > 0, false), coalesce(tp.self_weight, 0)
  FROM sc GROUP BY sc.criterion ORDER BY sc.criterion;
END
$fn$;
COMMENT ON FUNCTION self_assessment_comparison(integer, integer, name) IS
'A member''s self-assessment beside their supervisors'' review in an appraisal cycle (default: the caller), per criterion that counts for them (their appraisal template''s, else every criterion scored): the self score and the supervisors'' score as written on the rating scale (several supervisors weighted by the days each led the member in the year, appraisal_supervisor_days), how many supervisor reviews, and whether and with what percent of the final score the template counts the self-assessment. Raw scores only, no calibrated or final result. Allowed for oneself, for supervisors and managers over their scope, and for HR; 22004 NULL cycle or login, P0002 unknown cycle, 42501 otherwise.';
REVOKE ALL ON FUNCTION self_assessment_comparison(integer, integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION self_assessment_comparison(integer, integer, name)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
