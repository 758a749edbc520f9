-- Layer 4, the sales year, step 2 -- KPI scoring.
--
-- A KPI is a kpi_definition (metric, direction, curve, component) weighted per
-- cycle and level in kpi_weight.  score_kpis() measures every metric for every
-- member whose level has KPI weights, in one set-based statement per metric,
-- and writes kpi_result (attainment = kpi_attainment, score = kpi_score).
--
-- Metrics (kpi_definition.metric) and their actual / target:
--   sales_amount        credited sales of the member in the year (split credit
--                       by share, exact cents) / the member's yearly quota
--   team_sales_amount   credited sales of every member of the team scope (the
--                       subtree of the teams the member leads, else of the
--                       member's team) / the yearly quota of those teams
--   new_customers       customers of the scope who became customers in the year / kpi_target
--   visit_completion    return visits done in the year, at most the tier's
--   (or visits_done)    cadence per customer, over the scope's active customers
--                       / the visits the cadence requires (days active / every_days, floored)
--   feedback_hours      mean hours from opened to resolved of the feedback the
--                       scope handled, opened in the year (an unresolved item
--                       counts up to the year end) / kpi_target (lower is better)
--   csat, nps           csat() / nps() of the surveys answered in the year by
--                       customers the scope owns / kpi_target
--   training_hours      hours of training attended in the year / kpi_target
--   on_time_reports     work reports due in the year submitted by their due date
--                       / work reports due in the year
--   forecast_wape       wape() of the member's latest forecast per quarter
--                       against their credited sales of the quarter / kpi_target
--                       (lower is better)
-- "Scope" is the member and, for someone who leads teams, every member of the
-- subtree of those teams.  A metric with no data for a member (no surveys, no
-- forecasts) gives no kpi_result row, so its weight drops out of the member's
-- score (weighted_score renormalises); a target of 0 gives attainment and
-- score NULL, likewise skipped.

-- kpi_measure: the actual and target of every KPI weighted in a cycle, for
-- every member whose level carries it (the set-based core of score_kpis).
CREATE FUNCTION kpi_measure(cycle integer)
RETURNS TABLE (member_id integer, kpi_id integer, actual numeric, target numeric)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c   appraisal_cycle;
  y   record;
  bad record;
BEGIN
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  SELECT * INTO y FROM year_bounds(c.fiscal_year);

  SELECT d.kpi_id, d.code, d.metric INTO bad
  FROM kpi_definition d
  WHERE d.kpi_id IN (SELECT w.kpi_id FROM kpi_weight w WHERE w.cycle_id = cycle)
    AND d.metric NOT IN ('sales_amount', 'team_sales_amount', 'new_customers', 'visit_completion', 'visits_done',
                         'feedback_hours', 'csat', 'nps', 'training_hours', 'on_time_reports', 'forecast_wape')
  ORDER BY d.kpi_id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'KPI % ("%") has unknown metric "%"', bad.kpi_id, bad.code, bad.metric
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'score_kpis measures sales_amount, team_sales_amount, new_customers, visit_completion (visits_done), feedback_hours, csat, nps, training_hours, on_time_reports and forecast_wape.',
            HINT = 'Correct kpi_definition.metric or remove the KPI''s kpi_weight rows.';
  END IF;
  SELECT d.kpi_id, d.code, w.level INTO bad
  FROM kpi_weight w JOIN kpi_definition d ON d.kpi_id = w.kpi_id
  WHERE w.cycle_id = cycle
    AND d.metric IN ('new_customers', 'feedback_hours', 'csat', 'nps', 'training_hours', 'forecast_wape')
    AND NOT EXISTS (SELECT 1 FROM kpi_target t WHERE t.cycle_id = cycle AND t.kpi_id = w.kpi_id AND t.level = w.level)
  ORDER BY d.kpi_id, w.level LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'KPI % ("%") has no target for level % in appraisal cycle %', bad.kpi_id, bad.code, bad.level, cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Its metric has no natural target (such as a quota or a required count).',
            HINT = 'INSERT INTO kpi_target (cycle_id, kpi_id, level, target) VALUES (...).';
  END IF;
  IF to_regclass('pg_temp._k_who') IS NOT NULL THEN DROP TABLE pg_temp._k_who; END IF;
  IF to_regclass('pg_temp._k_scope') IS NOT NULL THEN DROP TABLE pg_temp._k_scope; END IF;
  IF to_regclass('pg_temp._k_credit') IS NOT NULL THEN DROP TABLE pg_temp._k_credit; END IF;
  -- who is scored: active members hired by the year end whose level carries KPIs
  CREATE TEMP TABLE _k_who ON COMMIT DROP AS
  SELECT m.member_id, m.level, m.team_id FROM member m
  WHERE m.active AND m.hire_date <= y.end_on
    AND EXISTS (SELECT 1 FROM kpi_weight w WHERE w.cycle_id = cycle AND w.level = m.level);
  -- scope: the member, plus the members of the subtree of every team they lead
  CREATE TEMP TABLE _k_scope ON COMMIT DROP AS
  WITH RECURSIVE led(member_id, team_id, depth) AS (
    SELECT tl.member_id, tl.team_id, 0 FROM team_leader tl JOIN _k_who w ON w.member_id = tl.member_id
    UNION
    SELECT led.member_id, t.team_id, led.depth + 1 FROM team t JOIN led ON t.parent_id = led.team_id
    WHERE led.depth < 1000)
  SELECT w.member_id, w.member_id AS scope_id FROM _k_who w
  UNION
  SELECT led.member_id, m.member_id FROM led JOIN member m ON m.team_id = led.team_id;
  -- credited sales of the year per member and quarter (the ledger for the months
  -- the commission runs credited, one scan of the other dates' sales)
  CREATE TEMP TABLE _k_credit ON COMMIT DROP AS
  SELECT cs.member_id, extract(quarter FROM cs.month)::integer AS quarter, sum(cs.amount) AS amount
  FROM credit_by_month(y.start_on, y.end_on) cs GROUP BY 1, 2;
  ANALYZE _k_who; ANALYZE _k_scope; ANALYZE _k_credit;

  RETURN QUERY
  WITH kw AS MATERIALIZED (
    SELECT w.level, d.kpi_id, d.metric, t.target AS set_target
    FROM kpi_weight w JOIN kpi_definition d ON d.kpi_id = w.kpi_id
    LEFT JOIN kpi_target t ON t.cycle_id = w.cycle_id AND t.kpi_id = w.kpi_id AND t.level = w.level
    WHERE w.cycle_id = cycle),
  yq AS MATERIALIZED (SELECT p.period_id FROM fiscal_period p WHERE p.kind = 'year' AND p.fiscal_year = c.fiscal_year),
  sold AS MATERIALIZED (SELECT k.member_id, sum(k.amount) AS amount FROM _k_credit k GROUP BY k.member_id),
  -- team scope for team_sales_amount: the teams the member leads whose parent
  -- they do not also lead (else the member's own team), with their subtrees
  team_root AS MATERIALIZED (
    SELECT w.member_id, tl.team_id FROM _k_who w JOIN team_leader tl ON tl.member_id = w.member_id
    JOIN team t ON t.team_id = tl.team_id
    WHERE NOT EXISTS (SELECT 1 FROM team_leader p WHERE p.member_id = w.member_id AND p.team_id = t.parent_id)
    UNION
    SELECT w.member_id, w.team_id FROM _k_who w
    WHERE NOT EXISTS (SELECT 1 FROM team_leader tl WHERE tl.member_id = w.member_id)),
  team_down AS MATERIALIZED (   -- every team with each team of its subtree (itself included)
    WITH RECURSIVE s(root_id, team_id, depth) AS (
      SELECT t.team_id, t.team_id, 0 FROM team t
      UNION ALL
      SELECT s.root_id, t.team_id, s.depth + 1 FROM team t JOIN s ON t.parent_id = s.team_id
      WHERE s.depth < 1000)
    SELECT s.root_id, s.team_id FROM s),
  team_sold AS MATERIALIZED (
    SELECT tr.member_id, sum(so.amount) AS amount
    FROM team_root tr
    JOIN team_down td ON td.root_id = tr.team_id
    JOIN member mm ON mm.team_id = td.team_id
    JOIN sold so ON so.member_id = mm.member_id
    GROUP BY tr.member_id),
  team_quota AS MATERIALIZED (
    SELECT tr.member_id, sum(q.amount) AS amount
    FROM team_root tr JOIN quota q ON q.team_id = tr.team_id AND q.period_id IN (SELECT period_id FROM yq)
    GROUP BY tr.member_id),
  scope_customer AS MATERIALIZED (
    SELECT s.member_id, cu.customer_id, cu.since, cu.active, cu.tier
    FROM _k_scope s JOIN customer cu ON cu.owner_id = s.scope_id),
  visits_done AS MATERIALIZED (
    SELECT cv.customer_id, count(*) AS done FROM customer_visit cv
    WHERE cv.done_at IS NOT NULL AND cv.done_at::date BETWEEN y.start_on AND y.end_on
    GROUP BY cv.customer_id),
  visits AS MATERIALIZED (
    SELECT sc.member_id,
           sum(least(coalesce(vd.done, 0), floor((y.end_on - greatest(sc.since, y.start_on) + 1)::numeric / vc.every_days))) AS done,
           sum(floor((y.end_on - greatest(sc.since, y.start_on) + 1)::numeric / vc.every_days)) AS required
    FROM scope_customer sc
    JOIN visit_cadence vc ON vc.tier = sc.tier
    LEFT JOIN visits_done vd ON vd.customer_id = sc.customer_id
    WHERE sc.active AND sc.since <= y.end_on
    GROUP BY sc.member_id),
  new_cust AS MATERIALIZED (
    SELECT sc.member_id, count(*) FILTER (WHERE sc.since BETWEEN y.start_on AND y.end_on) AS n
    FROM scope_customer sc GROUP BY sc.member_id),
  fb AS MATERIALIZED (
    SELECT s.member_id,
           round(avg(extract(epoch FROM coalesce(f.resolved_at, (y.end_on + 1)::timestamptz) - f.opened_at)) / 3600, 4) AS hours
    FROM _k_scope s JOIN feedback f ON f.member_id = s.scope_id
    WHERE f.opened_at >= y.start_on::timestamptz AND f.opened_at < (y.end_on + 1)::timestamptz
    GROUP BY s.member_id),
  surveys AS MATERIALIZED (
    SELECT sc.member_id, round(csat(sr.csat), 4) AS csat, round(nps(sr.nps), 4) AS nps
    FROM scope_customer sc JOIN survey_response sr ON sr.customer_id = sc.customer_id
    WHERE sr.answered_at >= y.start_on::timestamptz AND sr.answered_at < (y.end_on + 1)::timestamptz
    GROUP BY sc.member_id),
  training AS MATERIALIZED (
    SELECT ta.member_id, sum(ts.hours) AS hours
    FROM training_attendance ta JOIN training_session ts ON ts.session_id = ta.session_id
    WHERE ta.attended AND ts.held_on BETWEEN y.start_on AND y.end_on
    GROUP BY ta.member_id),
  reports AS MATERIALIZED (
    SELECT wr.member_id,
           count(*) FILTER (WHERE wr.submitted_at IS NOT NULL AND wr.submitted_at::date <= wr.due_on)::numeric AS on_time,
           count(*)::numeric AS due
    FROM work_report wr WHERE wr.due_on BETWEEN y.start_on AND y.end_on
    GROUP BY wr.member_id),
  fc AS MATERIALIZED (   -- the latest forecast of each quarter against the credited sales of the quarter
    SELECT f.member_id, round(wape(coalesce(k.amount, 0)::float8, f.amount::float8)::numeric, 6) AS val
    FROM (SELECT DISTINCT ON (fo.member_id, fo.period_id) fo.member_id, fo.period_id, fo.amount, fp.quarter
          FROM forecast fo JOIN fiscal_period fp ON fp.period_id = fo.period_id
          WHERE fp.kind = 'quarter' AND fp.fiscal_year = c.fiscal_year
          ORDER BY fo.member_id, fo.period_id, fo.submitted_at DESC) f
    LEFT JOIN _k_credit k ON k.member_id = f.member_id AND k.quarter = f.quarter
    GROUP BY f.member_id),
  own_quota AS MATERIALIZED (
    SELECT q.member_id, q.amount FROM quota q WHERE q.member_id IS NOT NULL AND q.period_id IN (SELECT period_id FROM yq))
  SELECT x.member_id, x.kpi_id, x.actual, coalesce(x.target, 0)
  FROM (
    SELECT w.member_id, kw.kpi_id,
           CASE kw.metric
             WHEN 'sales_amount' THEN coalesce(so.amount, 0)
             WHEN 'team_sales_amount' THEN coalesce(tso.amount, 0)
             WHEN 'new_customers' THEN coalesce(nc.n, 0)::numeric
             WHEN 'visit_completion' THEN vi.done
             WHEN 'visits_done' THEN vi.done
             WHEN 'feedback_hours' THEN fb.hours
             WHEN 'csat' THEN sv.csat
             WHEN 'nps' THEN sv.nps
             WHEN 'training_hours' THEN coalesce(tr.hours, 0)
             WHEN 'on_time_reports' THEN rp.on_time
             WHEN 'forecast_wape' THEN fc.val END AS actual,
           CASE kw.metric
             WHEN 'sales_amount' THEN oq.amount
             WHEN 'team_sales_amount' THEN tq.amount
             WHEN 'visit_completion' THEN vi.required
             WHEN 'visits_done' THEN vi.required
             WHEN 'on_time_reports' THEN rp.due
             ELSE kw.set_target END AS target
    FROM _k_who w
    JOIN kw ON kw.level = w.level
    LEFT JOIN sold so ON so.member_id = w.member_id
    LEFT JOIN own_quota oq ON oq.member_id = w.member_id
    LEFT JOIN team_sold tso ON tso.member_id = w.member_id
    LEFT JOIN team_quota tq ON tq.member_id = w.member_id
    LEFT JOIN new_cust nc ON nc.member_id = w.member_id
    LEFT JOIN visits vi ON vi.member_id = w.member_id
    LEFT JOIN fb ON fb.member_id = w.member_id
    LEFT JOIN surveys sv ON sv.member_id = w.member_id
    LEFT JOIN training tr ON tr.member_id = w.member_id
    LEFT JOIN reports rp ON rp.member_id = w.member_id AND rp.due > 0
    LEFT JOIN fc ON fc.member_id = w.member_id) x
  WHERE x.actual IS NOT NULL;
END
$fn$;
COMMENT ON FUNCTION kpi_measure(integer) IS
'Actual and target of every KPI weighted in an appraisal cycle, for every active member whose level carries it (metrics: sales_amount, team_sales_amount, new_customers, visit_completion, feedback_hours, csat, nps, training_hours, on_time_reports, forecast_wape; see the sales-year section of the README). Internal step of score_kpis; reads across row-level security only when called by it.';
REVOKE ALL ON FUNCTION kpi_measure(integer) FROM PUBLIC;

-- kpi_store: replace the kpi_result rows of a cycle (internal; callers check roles and state).
CREATE FUNCTION kpi_store(cycle integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  n bigint;
BEGIN
  DELETE FROM kpi_result r WHERE r.cycle_id = cycle;
  INSERT INTO kpi_result (cycle_id, member_id, kpi_id, actual, target, attainment, score)
  SELECT cycle, km.member_id, km.kpi_id, km.actual, km.target, a.att,
         CASE WHEN a.att IS NOT NULL THEN kpi_score(a.att::float8, d.curve) END
  FROM kpi_measure(cycle) km
  JOIN kpi_definition d ON d.kpi_id = km.kpi_id
  CROSS JOIN LATERAL (SELECT round(kpi_attainment(km.actual, km.target, d.higher_is_better), 6) AS att) a;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$fn$;
COMMENT ON FUNCTION kpi_store(integer) IS
'Replaces the kpi_result rows of an appraisal cycle by kpi_measure() with attainment = round(kpi_attainment(actual, target, direction), 6) and score = kpi_score(attainment, curve); returns the rows written. Internal step of score_kpis and close_appraisal_cycle.';
REVOKE ALL ON FUNCTION kpi_store(integer) FROM PUBLIC;

CREATE FUNCTION score_kpis(cycle integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, kpi_id integer, actual numeric, target numeric,
               attainment numeric, score double precision)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  c appraisal_cycle;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'score KPIs');
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle
      USING ERRCODE = 'no_data_found', HINT = 'Open one with open_appraisal_cycle().';
  END IF;
  IF c.state = 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is closed: its KPI results are frozen', cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'score_kpis rewrites the kpi_result rows of the cycle.',
            HINT = 'Reopen it with reopen_appraisal_cycle(cycle_id, reason), which is audited.';
  END IF;
  PERFORM kpi_store(cycle);
  RETURN QUERY
  SELECT r.member_id, r.kpi_id, r.actual, r.target, r.attainment, r.score
  FROM kpi_result r WHERE r.cycle_id = cycle ORDER BY r.member_id, r.kpi_id;
END
$fn$;
COMMENT ON FUNCTION score_kpis(integer, name) IS
'Scores every member for the KPIs their level carries in an appraisal cycle and stores the results (kpi_result rows of the cycle are replaced): actual and target per metric, attainment = round(kpi_attainment(actual, target, direction), 6), score = kpi_score(attainment, curve). Idempotent until the cycle is closed. HR only (a company-wide step; managers read the results of their scope under row-level security).';
REVOKE ALL ON FUNCTION score_kpis(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION score_kpis(integer, name) TO sales_supervisor_hr;
