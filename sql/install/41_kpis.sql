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
--
-- The code: kpi_metrics() lists the metrics (the only list), with the family
-- function that computes each; kpi_measure checks the cycle's KPIs
-- (kpi_measure_check), fills the temporary tables of who is scored, their
-- scope and their credited sales, and joins the measures of the five families
-- (kpi_measure_sales, _customers, _service, _development, _forecast) to the
-- weighted KPIs; kpi_store scores and stores them; score_kpis is the entry point.

-- kpi_metrics: the metrics score_kpis measures -- the one place they are
-- listed.  Each row names the metric, the metric it is a synonym of (else
-- itself: "measures"), the family whose function computes it
-- (kpi_measure_<family>, below), whether its target comes from kpi_target
-- because it has no natural one (a quota, a required count), and whether
-- that target is a volume of the whole year, prorated by days in the cycle
-- for a short stay under the cycle's prorate policy (new customers, training
-- hours; not rates such as csat, and not the quota, whose allocation already
-- ramps new hires and prorate_quotas relieves leaves).  kpi_measure_check
-- refuses a weighted KPI whose metric is not here and builds its message from
-- this list; kpi_measure combines the family functions by it.  A new metric is
-- a row here and a branch in its family function.  kpi_definition.metric has
-- no CHECK against the list: a KPI may be defined with any metric, and scoring
-- a cycle that weights one not measured is refused with 22023 naming the KPI.
CREATE FUNCTION kpi_metrics()
RETURNS TABLE (metric text, measures text, family text, needs_target boolean, prorated boolean)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT l.metric, coalesce(l.synonym_of, l.metric), l.family, l.needs_target, l.prorated
  FROM (VALUES ('sales_amount', NULL, 'sales', false, false),
               ('team_sales_amount', NULL, 'sales', false, false),
               ('new_customers', NULL, 'customers', true, true),
               ('visit_completion', NULL, 'customers', false, false),
               ('visits_done', 'visit_completion', 'customers', false, false),
               ('feedback_hours', NULL, 'service', true, false),
               ('csat', NULL, 'service', true, false),
               ('nps', NULL, 'service', true, false),
               ('training_hours', NULL, 'development', true, true),
               ('on_time_reports', NULL, 'development', false, false),
               ('forecast_wape', NULL, 'forecast', true, false)) l(metric, synonym_of, family, needs_target, prorated)
$fn$;
COMMENT ON FUNCTION kpi_metrics() IS
'The KPI metrics score_kpis measures, in the order its messages name them: metric (a value of kpi_definition.metric), measures (the metric it is a synonym of, else itself), family (the internal function kpi_measure_<family> that computes it) needs_target (true when the target comes from kpi_target: the metric has no natural target such as a quota or a required count) and prorated (true when that target is a volume of the whole year, scaled by days in the cycle / days of the year for a short stay under the cycle''s prorate policy). Internal: the one list of metrics kpi_measure and its checks read.';
REVOKE ALL ON FUNCTION kpi_metrics() FROM PUBLIC;

-- kpi_measure_check: refuses to score a cycle that weights a KPI kpi_measure
-- cannot measure -- a metric not in kpi_metrics() (22023, the DETAIL lists the
-- metrics from it), or a metric without a natural target and no kpi_target row
-- for a level that weights it (55000).  The lowest KPI id is named.
CREATE FUNCTION kpi_measure_check(cycle integer)
RETURNS void
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  bad      record;
  measured text[];
BEGIN
  SELECT d.kpi_id, d.code, d.metric INTO bad
  FROM kpi_definition d
  WHERE d.kpi_id IN (SELECT w.kpi_id FROM kpi_weight w WHERE w.cycle_id = cycle)
    AND d.metric NOT IN (SELECT m.metric FROM kpi_metrics() m)
  ORDER BY d.kpi_id LIMIT 1;
  IF FOUND THEN
    -- "sales_amount, ..., visit_completion (visits_done), ..." in the list's order
    SELECT array_agg(m.metric || coalesce(' (' || s.synonyms || ')', '') ORDER BY m.n) INTO measured
    FROM kpi_metrics() WITH ORDINALITY m(metric, measures, family, needs_target, prorated, n)
    CROSS JOIN LATERAL (SELECT string_agg(k.metric, ', ') AS synonyms FROM kpi_metrics() k
                        WHERE k.measures = m.metric AND k.metric <> m.metric) s
    WHERE m.metric = m.measures;
    RAISE EXCEPTION 'KPI % ("%") has unknown metric "%"', bad.kpi_id, bad.code, bad.metric
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('score_kpis measures %s and %s.',
                            array_to_string(measured[:cardinality(measured) - 1], ', '), measured[cardinality(measured)]),
            HINT = 'Correct kpi_definition.metric or remove the KPI''s kpi_weight rows.';
  END IF;
  SELECT d.kpi_id, d.code, w.level INTO bad
  FROM kpi_weight w JOIN kpi_definition d ON d.kpi_id = w.kpi_id
  WHERE w.cycle_id = cycle
    AND d.metric IN (SELECT m.metric FROM kpi_metrics() m WHERE m.needs_target)
    AND NOT EXISTS (SELECT 1 FROM kpi_target t WHERE t.cycle_id = cycle AND t.kpi_id = w.kpi_id AND t.level = w.level)
  ORDER BY d.kpi_id, w.level LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'KPI % ("%") has no target for level % in appraisal cycle %', bad.kpi_id, bad.code, bad.level, cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Its metric has no natural target (such as a quota or a required count).',
            HINT = 'INSERT INTO kpi_target (cycle_id, kpi_id, level, target) VALUES (...).';
  END IF;
END
$fn$;
COMMENT ON FUNCTION kpi_measure_check(integer) IS
'Internal check of kpi_measure: raises 22023 when a KPI weighted in the appraisal cycle has a metric not in kpi_metrics(), and 55000 when a weighted KPI whose metric needs a target has no kpi_target row for the level; the lowest KPI id (then level) is named.';
REVOKE ALL ON FUNCTION kpi_measure_check(integer) FROM PUBLIC;

-- The metric families.  Each kpi_measure_<family> returns, for every member
-- scored (the temporary table _k_who kpi_measure fills) and every metric that
-- kpi_metrics() puts in the family, the actual (NULL: no data, no result) and
-- the natural target (NULL when the target comes from kpi_target).  One
-- statement each, set-based; they read the temporary tables _k_who, _k_scope
-- and _k_credit (_k_credit_team) of the calling kpi_measure, so they run only inside it
-- (PARALLEL RESTRICTED: temporary tables), in its snapshot (STABLE).

-- kpi_measure_sales: sales_amount -- the member's credited sales of the year
-- against their yearly quota, both net of quota relief (quota_relief_for); team_sales_amount -- the credited sales of the
-- team scope (the teams the member leads whose parent they do not also lead,
-- else their own team, with the subtrees) against the yearly quota of those
-- teams; a sale counts for the team its seller was in on the sale date.
CREATE FUNCTION kpi_measure_sales(fiscal_year integer)
RETURNS TABLE (member_id integer, metric text, actual numeric, target numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH yq AS MATERIALIZED (
    SELECT p.period_id FROM fiscal_period p WHERE p.kind = 'year' AND p.fiscal_year = kpi_measure_sales.fiscal_year),
  sold AS MATERIALIZED (SELECT k.member_id, sum(k.amount) AS amount FROM _k_credit k GROUP BY k.member_id),
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
  team_sold AS MATERIALIZED (   -- each sale counts for the team its seller was in on the sale date
    SELECT tr.member_id, sum(kt.amount) AS amount
    FROM team_root tr
    JOIN team_down td ON td.root_id = tr.team_id
    JOIN _k_credit_team kt ON kt.team_id = td.team_id
    GROUP BY tr.member_id),
  team_quota AS MATERIALIZED (
    SELECT tr.member_id, sum(q.amount) AS amount
    FROM team_root tr JOIN quota q ON q.team_id = tr.team_id AND q.period_id IN (SELECT period_id FROM yq)
    GROUP BY tr.member_id),
  own_quota AS MATERIALIZED (   -- net of quota relief (a reduction lowers it, a credit counts as sold)
    SELECT q.member_id, q.amount - rf.reduction AS amount, rf.credit
    FROM quota q CROSS JOIN LATERAL quota_relief_for(q.period_id, q.member_id) rf
    WHERE q.member_id IS NOT NULL AND q.period_id IN (SELECT period_id FROM yq))
  SELECT w.member_id, m.metric,
         CASE m.measures WHEN 'sales_amount' THEN coalesce(so.amount, 0) + coalesce(oq.credit, 0)
                         WHEN 'team_sales_amount' THEN coalesce(tso.amount, 0) END,
         CASE m.measures WHEN 'sales_amount' THEN oq.amount
                         WHEN 'team_sales_amount' THEN tq.amount END
  FROM _k_who w
  CROSS JOIN kpi_metrics() m
  LEFT JOIN sold so ON so.member_id = w.member_id
  LEFT JOIN own_quota oq ON oq.member_id = w.member_id
  LEFT JOIN team_sold tso ON tso.member_id = w.member_id
  LEFT JOIN team_quota tq ON tq.member_id = w.member_id
  WHERE m.family = 'sales';
END
$fn$;
COMMENT ON FUNCTION kpi_measure_sales(integer) IS
'Internal step of kpi_measure (reads its temporary tables): for every member scored, sales_amount (credited sales of the fiscal year plus relief credits against the member''s yearly quota less relief reductions, quota_relief_for) and team_sales_amount (credited sales of the team scope against the yearly quota of its teams) as metric, actual, natural target.';
REVOKE ALL ON FUNCTION kpi_measure_sales(integer) FROM PUBLIC;

-- kpi_measure_customers: new_customers -- the scope's customers who became
-- customers in the year; visit_completion (visits_done) -- return visits done
-- in the year, at most the tier's cadence per customer, over the scope's
-- active customers, against the visits the cadence requires.
CREATE FUNCTION kpi_measure_customers(start_on date, end_on date)
RETURNS TABLE (member_id integer, metric text, actual numeric, target numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH scope_customer AS MATERIALIZED (
    SELECT s.member_id, cu.customer_id, cu.since, cu.active, cu.tier
    FROM _k_scope s JOIN customer cu ON cu.owner_id = s.scope_id),
  visits_done AS MATERIALIZED (
    SELECT cv.customer_id, count(*) AS done FROM customer_visit cv
    WHERE cv.done_at IS NOT NULL AND cv.done_at::date BETWEEN start_on AND end_on
    GROUP BY cv.customer_id),
  visits AS MATERIALIZED (
    SELECT sc.member_id,
           sum(least(coalesce(vd.done, 0), floor((end_on - greatest(sc.since, start_on) + 1)::numeric / vc.every_days))) AS done,
           sum(floor((end_on - greatest(sc.since, start_on) + 1)::numeric / vc.every_days)) AS required
    FROM scope_customer sc
    JOIN visit_cadence vc ON vc.tier = sc.tier
    LEFT JOIN visits_done vd ON vd.customer_id = sc.customer_id
    WHERE sc.active AND sc.since <= end_on
    GROUP BY sc.member_id),
  new_cust AS MATERIALIZED (
    SELECT sc.member_id, count(*) FILTER (WHERE sc.since BETWEEN start_on AND end_on) AS n
    FROM scope_customer sc GROUP BY sc.member_id)
  SELECT w.member_id, m.metric,
         CASE m.measures WHEN 'new_customers' THEN coalesce(nc.n, 0)::numeric
                         WHEN 'visit_completion' THEN vi.done END,
         CASE m.measures WHEN 'visit_completion' THEN vi.required END
  FROM _k_who w
  CROSS JOIN kpi_metrics() m
  LEFT JOIN new_cust nc ON nc.member_id = w.member_id
  LEFT JOIN visits vi ON vi.member_id = w.member_id
  WHERE m.family = 'customers';
END
$fn$;
COMMENT ON FUNCTION kpi_measure_customers(date, date) IS
'Internal step of kpi_measure (reads its temporary tables): for every member scored, new_customers (customers of the scope who became customers between the dates) and visit_completion and its synonym visits_done (return visits done, at most the cadence per customer, against the visits the cadence requires) as metric, actual, natural target.';
REVOKE ALL ON FUNCTION kpi_measure_customers(date, date) FROM PUBLIC;

-- kpi_measure_service: feedback_hours -- mean hours from opened to resolved of
-- the feedback the scope handled, opened in the year (unresolved: counted to
-- the year end); csat, nps -- of the surveys answered in the year by customers
-- the scope owns.  All three take their target from kpi_target.
CREATE FUNCTION kpi_measure_service(start_on date, end_on date)
RETURNS TABLE (member_id integer, metric text, actual numeric, target numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH fb AS MATERIALIZED (
    SELECT s.member_id,
           round(avg(extract(epoch FROM coalesce(f.resolved_at, (end_on + 1)::timestamptz) - f.opened_at)) / 3600, 4) AS hours
    FROM _k_scope s JOIN feedback f ON f.member_id = s.scope_id
    WHERE f.opened_at >= start_on::timestamptz AND f.opened_at < (end_on + 1)::timestamptz
    GROUP BY s.member_id),
  surveys AS MATERIALIZED (
    SELECT s.member_id, round(csat(sr.csat), 4) AS csat, round(nps(sr.nps), 4) AS nps
    FROM _k_scope s
    JOIN customer cu ON cu.owner_id = s.scope_id
    JOIN survey_response sr ON sr.customer_id = cu.customer_id
    WHERE sr.answered_at >= start_on::timestamptz AND sr.answered_at < (end_on + 1)::timestamptz
    GROUP BY s.member_id)
  SELECT w.member_id, m.metric,
         CASE m.measures WHEN 'feedback_hours' THEN fb.hours
                         WHEN 'csat' THEN sv.csat
                         WHEN 'nps' THEN sv.nps END,
         NULL::numeric
  FROM _k_who w
  CROSS JOIN kpi_metrics() m
  LEFT JOIN fb ON fb.member_id = w.member_id
  LEFT JOIN surveys sv ON sv.member_id = w.member_id
  WHERE m.family = 'service';
END
$fn$;
COMMENT ON FUNCTION kpi_measure_service(date, date) IS
'Internal step of kpi_measure (reads its temporary tables): for every member scored, feedback_hours (mean hours to resolve the feedback the scope handled, opened between the dates), csat and nps (of the surveys answered between the dates by customers the scope owns) as metric and actual; their targets come from kpi_target.';
REVOKE ALL ON FUNCTION kpi_measure_service(date, date) FROM PUBLIC;

-- kpi_measure_development: training_hours -- hours of training the member
-- attended in the year (target from kpi_target); on_time_reports -- the work
-- reports due in the year submitted by their due date, against those due.
CREATE FUNCTION kpi_measure_development(start_on date, end_on date)
RETURNS TABLE (member_id integer, metric text, actual numeric, target numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH training AS MATERIALIZED (
    SELECT ta.member_id, sum(ts.hours) AS hours
    FROM training_attendance ta JOIN training_session ts ON ts.session_id = ta.session_id
    WHERE ta.attended AND ts.held_on BETWEEN start_on AND end_on
    GROUP BY ta.member_id),
  reports AS MATERIALIZED (
    SELECT wr.member_id,
           count(*) FILTER (WHERE wr.submitted_at IS NOT NULL AND wr.submitted_at::date <= wr.due_on)::numeric AS on_time,
           count(*)::numeric AS due
    FROM work_report wr WHERE wr.due_on BETWEEN start_on AND end_on
    GROUP BY wr.member_id)
  SELECT w.member_id, m.metric,
         CASE m.measures WHEN 'training_hours' THEN coalesce(tr.hours, 0)
                         WHEN 'on_time_reports' THEN rp.on_time END,
         CASE m.measures WHEN 'on_time_reports' THEN rp.due END
  FROM _k_who w
  CROSS JOIN kpi_metrics() m
  LEFT JOIN training tr ON tr.member_id = w.member_id
  LEFT JOIN reports rp ON rp.member_id = w.member_id AND rp.due > 0
  WHERE m.family = 'development';
END
$fn$;
COMMENT ON FUNCTION kpi_measure_development(date, date) IS
'Internal step of kpi_measure (reads its temporary tables): for every member scored, training_hours (hours of training attended between the dates; target from kpi_target) and on_time_reports (work reports due between the dates submitted by their due date, against those due) as metric, actual, natural target.';
REVOKE ALL ON FUNCTION kpi_measure_development(date, date) FROM PUBLIC;

-- kpi_measure_forecast: forecast_wape -- wape() of the member's latest
-- forecast per quarter of the year against their credited sales of the
-- quarter (lower is better; target from kpi_target).
CREATE FUNCTION kpi_measure_forecast(fiscal_year integer)
RETURNS TABLE (member_id integer, metric text, actual numeric, target numeric)
LANGUAGE plpgsql STABLE STRICT PARALLEL RESTRICTED
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH fc AS MATERIALIZED (   -- the latest forecast of each quarter against the credited sales of the quarter
    SELECT f.member_id, round(wape(coalesce(k.amount, 0)::float8, f.amount::float8)::numeric, 6) AS val
    FROM (SELECT DISTINCT ON (fo.member_id, fo.period_id) fo.member_id, fo.period_id, fo.amount, fp.quarter
          FROM forecast fo JOIN fiscal_period fp ON fp.period_id = fo.period_id
          WHERE fp.kind = 'quarter' AND fp.fiscal_year = kpi_measure_forecast.fiscal_year
          ORDER BY fo.member_id, fo.period_id, fo.submitted_at DESC) f
    LEFT JOIN _k_credit k ON k.member_id = f.member_id AND k.quarter = f.quarter
    GROUP BY f.member_id)
  SELECT w.member_id, m.metric,
         CASE m.measures WHEN 'forecast_wape' THEN fc.val END,
         NULL::numeric
  FROM _k_who w
  CROSS JOIN kpi_metrics() m
  LEFT JOIN fc ON fc.member_id = w.member_id
  WHERE m.family = 'forecast';
END
$fn$;
COMMENT ON FUNCTION kpi_measure_forecast(integer) IS
'Internal step of kpi_measure (reads its temporary tables): for every member scored, forecast_wape (wape of the member''s latest forecast per quarter of the fiscal year against their credited sales of the quarter) as metric and actual; its target comes from kpi_target.';
REVOKE ALL ON FUNCTION kpi_measure_forecast(integer) FROM PUBLIC;

-- member_days_in: per member, the days between the dates (both included)
-- they were employed -- covered by their member_assignment rows, else from
-- hire_date to left_on -- and not on leave (member_leave).  The days in the
-- cycle of the mid-cycle joiner and leaver policy (issue 16).
CREATE FUNCTION member_days_in(start_on date, end_on date)
RETURNS TABLE (member_id integer, days integer)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  WITH e AS (SELECT a.member_id, range_agg(a.valid) AS employed FROM sales_supervisor.member_assignment a
             WHERE a.valid && daterange(start_on, end_on, '[]') GROUP BY a.member_id),
  l AS (SELECT v.member_id, range_agg(v.during) AS away FROM sales_supervisor.member_leave v
        WHERE v.during && daterange(start_on, end_on, '[]') GROUP BY v.member_id)
  SELECT m.member_id,
         coalesce((SELECT sum(upper(r) - lower(r))::integer
                   FROM unnest((coalesce(e.employed, CASE WHEN NOT EXISTS (SELECT 1 FROM sales_supervisor.member_assignment x
                                                                         WHERE x.member_id = m.member_id)
                                                          THEN datemultirange(daterange(m.hire_date, m.left_on, '[]')) END,
                                         '{}'::datemultirange)
                                * datemultirange(daterange(start_on, end_on, '[]')))
                               - coalesce(l.away, '{}'::datemultirange)) r), 0)
  FROM sales_supervisor.member m
  LEFT JOIN e ON e.member_id = m.member_id
  LEFT JOIN l ON l.member_id = m.member_id
$fn$;
COMMENT ON FUNCTION member_days_in(date, date) IS
'Internal: per member, the days from start_on to end_on (both included) they were employed (their member_assignment rows; without any, hire_date to left_on) and not on leave (member_leave): the days in the cycle of appraisal_who and kpi_measure_who.';
REVOKE ALL ON FUNCTION member_days_in(date, date) FROM PUBLIC;

-- kpi_measure_who: who a cycle's KPIs are scored for -- the active members
-- hired by the year end whose level on the last day of the year (their
-- assignment then, member_team_days) carries KPI weights, with that level,
-- their team today, and the factor (days in the cycle / days of the year) by
-- which the prorated targets of a short stay are scaled under the cycle's
-- prorate policy (NULL: targets as set).
CREATE FUNCTION kpi_measure_who(cycle integer, start_on date, end_on date)
RETURNS TABLE (member_id integer, level member_level, team_id integer, prorate numeric)
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT m.member_id, coalesce(a.level, m.level), m.team_id,
         CASE WHEN c.short_stay_policy = 'prorate' AND d.days < c.min_days_in_cycle
              THEN d.days::numeric / (end_on - start_on + 1) END
  FROM sales_supervisor.member m
  JOIN sales_supervisor.appraisal_cycle c ON c.cycle_id = kpi_measure_who.cycle
  LEFT JOIN sales_supervisor.member_team_days() a ON a.member_id = m.member_id AND a.days @> end_on
  LEFT JOIN sales_supervisor.member_days_in(start_on, end_on) d ON d.member_id = m.member_id
  WHERE m.active AND m.hire_date <= end_on
    AND EXISTS (SELECT 1 FROM sales_supervisor.kpi_weight w
                WHERE w.cycle_id = kpi_measure_who.cycle AND w.level = coalesce(a.level, m.level))
$fn$;
COMMENT ON FUNCTION kpi_measure_who(integer, date, date) IS
'Internal step of kpi_measure: the members a cycle''s KPIs are scored for -- active, hired by end_on, at a level (on end_on, member_team_days) with KPI weights -- with that level, their team and the proration factor of their targets (days in the cycle / days of the year when the cycle''s short_stay_policy is prorate and they were in it fewer than min_days_in_cycle days; else NULL).';
REVOKE ALL ON FUNCTION kpi_measure_who(integer, date, date) FROM PUBLIC;

-- kpi_measure: the actual and target of every KPI weighted in a cycle, for
-- every member whose level carries it (the set-based core of score_kpis):
-- checks the KPIs, fills the temporary tables the families read, and joins
-- every family's measures to the weighted KPIs by metric (kpi_metrics()).
CREATE FUNCTION kpi_measure(cycle integer)
RETURNS TABLE (member_id integer, kpi_id integer, actual numeric, target numeric)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c   appraisal_cycle;
  y   record;
BEGIN
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  SELECT * INTO y FROM year_bounds(c.fiscal_year);
  PERFORM kpi_measure_check(cycle);

  IF to_regclass('pg_temp._k_who') IS NOT NULL THEN DROP TABLE pg_temp._k_who; END IF;
  IF to_regclass('pg_temp._k_scope') IS NOT NULL THEN DROP TABLE pg_temp._k_scope; END IF;
  IF to_regclass('pg_temp._k_credit') IS NOT NULL THEN DROP TABLE pg_temp._k_credit; END IF;
  IF to_regclass('pg_temp._k_credit_team') IS NOT NULL THEN DROP TABLE pg_temp._k_credit_team; END IF;
  -- who is scored: active members hired by the year end whose level carries KPIs
  CREATE TEMP TABLE _k_who ON COMMIT DROP AS SELECT * FROM kpi_measure_who(cycle, y.start_on, y.end_on);
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
  -- the commission runs credited, one scan of the other dates' sales -- on a
  -- coordinator the shards' lines), and per team the seller was in on the
  -- sale date (member_assignment)
  IF shards_registered() THEN
    CREATE TEMP TABLE _k_credit_team ON COMMIT DROP AS SELECT * FROM credit_by_team_month_shards(y.start_on, y.end_on);
  ELSE
    CREATE TEMP TABLE _k_credit_team ON COMMIT DROP AS SELECT * FROM credit_by_team_month(y.start_on, y.end_on);
  END IF;
  CREATE TEMP TABLE _k_credit ON COMMIT DROP AS
  SELECT cs.member_id, extract(quarter FROM cs.month)::integer AS quarter, sum(cs.amount) AS amount
  FROM _k_credit_team cs GROUP BY 1, 2;
  ANALYZE _k_who; ANALYZE _k_scope; ANALYZE _k_credit; ANALYZE _k_credit_team;

  RETURN QUERY
  WITH kw AS MATERIALIZED (   -- the KPIs weighted for each level, within its template's KPI set
    SELECT w.level, d.kpi_id, d.metric, km.needs_target, km.prorated, t.target AS set_target
    FROM kpi_weight w JOIN kpi_definition d ON d.kpi_id = w.kpi_id
    JOIN kpi_metrics() km ON km.metric = d.metric
    LEFT JOIN kpi_target t ON t.cycle_id = w.cycle_id AND t.kpi_id = w.kpi_id AND t.level = w.level
    LEFT JOIN appraisal_template tp ON tp.level = w.level
    WHERE w.cycle_id = cycle AND (tp.kpi_ids IS NULL OR w.kpi_id = ANY (tp.kpi_ids))),
  measured AS MATERIALIZED (   -- one statement per family, every member scored
    SELECT * FROM kpi_measure_sales(c.fiscal_year)
    UNION ALL SELECT * FROM kpi_measure_customers(y.start_on, y.end_on)
    UNION ALL SELECT * FROM kpi_measure_service(y.start_on, y.end_on)
    UNION ALL SELECT * FROM kpi_measure_development(y.start_on, y.end_on)
    UNION ALL SELECT * FROM kpi_measure_forecast(c.fiscal_year))
  SELECT w.member_id, kw.kpi_id, ms.actual,
         coalesce(CASE WHEN kw.needs_target AND kw.prorated AND w.prorate IS NOT NULL
                         THEN round(kw.set_target * w.prorate, 6)
                       WHEN kw.needs_target THEN kw.set_target ELSE ms.target END, 0)
  FROM _k_who w
  JOIN kw ON kw.level = w.level
  JOIN measured ms ON ms.member_id = w.member_id AND ms.metric = kw.metric
  WHERE ms.actual IS NOT NULL;
END
$fn$;
COMMENT ON FUNCTION kpi_measure(integer) IS
'Actual and target of every KPI weighted in an appraisal cycle, for every active member whose level (on the last day of the year) carries it within its appraisal template''s KPI set, a short stay''s volume targets prorated under the cycle''s prorate policy (kpi_measure_who; the metrics of kpi_metrics(), measured by one internal function per family; docs/sales-year.md explains each). Internal step of score_kpis; reads across row-level security only when called by it.';
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
  c := appraisal_cycle_row(cycle, true);
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
