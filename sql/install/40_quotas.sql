-- Layer 4, the sales year, step 1 -- quotas.
--
-- The year is a handful of calls, each one transaction (a function call is
-- atomic), each VOLATILE, each SECURITY DEFINER with a fixed search_path
-- because it must read across row-level security (last year's sales of the
-- whole company, every rep's customers), and each starting with an explicit
-- role check of the login it acts for (login name DEFAULT current_user: the
-- default is evaluated in the caller, and current_member_id() refuses a login
-- the session may not act as).  Every refusal is RAISE ... USING ERRCODE,
-- DETAIL and HINT.  The work is set-based: loops run over tree levels or over
-- a handful of KPI definitions, never over sales lines.
--
--   32 require_role, year_bounds, credited_sales, credit_by_month  (shared helpers)
--   40 allocate_quotas, lock_quotas, quota_rollup     (this file)
--   41 score_kpis
--   42 run_commission
--   43 open/start/calibrate/close_appraisal_cycle
--   44 promotion_candidates, approve_promotion, year_end_pay
--   45 generate_demo_org (a demo organisation for trying all of it)
-- Their tables (kpi_target, appraisal_consequence, bonus_target included) are
-- the model's (20-24).

-- ---------------------------------------------------------------------------
-- allocate_quotas
-- ---------------------------------------------------------------------------
CREATE FUNCTION allocate_quotas(fiscal_year integer, company_target numeric,
                                basis text DEFAULT 'history', history_weight numeric DEFAULT 0.5,
                                over_assignment_pct numeric[] DEFAULT '{}',
                                seasonal text DEFAULT 'default',
                                ramp_pct numeric[] DEFAULT '{25,50,75,100}',
                                unit numeric DEFAULT 1,
                                login name DEFAULT current_user)
RETURNS TABLE (team_id integer, member_id integer, depth integer, weight numeric,
               ramp_factor numeric, amount numeric, method text, locked boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p_year   integer := allocate_quotas.fiscal_year;
  p_unit   numeric := allocate_quotas.unit;
  v_year   fiscal_period;
  v_months integer;
  v_n      integer;
  v_sum    numeric;
  v_depth  integer;
  v_max    integer;
  v_over   numeric;
  v_roots  integer[];   -- NULL: the whole organisation
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], 'allocate quotas');
  v_roots := scope_root_team_ids(login);
  IF cardinality(v_roots) = 0 THEN
    RAISE EXCEPTION 'role "%" leads no team: it has no quotas to allocate', login
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'A manager allocates the target of the teams they lead (team_leader).';
  END IF;
  IF p_year IS NULL OR company_target IS NULL OR basis IS NULL OR history_weight IS NULL
     OR over_assignment_pct IS NULL OR seasonal IS NULL OR ramp_pct IS NULL OR p_unit IS NULL THEN
    RAISE EXCEPTION 'allocate_quotas arguments must not be null'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass every argument or leave it to its default.';
  END IF;
  IF basis NOT IN ('history', 'potential', 'blend', 'equal') THEN
    RAISE EXCEPTION 'unknown allocation basis "%"', basis
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'history: last year''s credited sales; potential: weighted open pipeline of the year; blend: history_weight x history share + (1 - history_weight) x potential share; equal.',
            HINT = 'Use history, potential, blend or equal.';
  END IF;
  IF history_weight < 0 OR history_weight > 1 THEN
    RAISE EXCEPTION 'history_weight must be between 0 and 1, got %', history_weight
      USING ERRCODE = 'invalid_parameter_value', HINT = '0.5 weighs history and potential equally.';
  END IF;
  IF p_unit <= 0 THEN
    RAISE EXCEPTION 'unit must be positive, got %', p_unit
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Quotas are whole multiples of unit (1 = whole currency units).';
  END IF;
  IF company_target < 0 OR company_target % p_unit <> 0 THEN
    RAISE EXCEPTION 'company_target % is not a non-negative multiple of unit %', company_target, p_unit
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Round the target to the unit.';
  END IF;
  IF EXISTS (SELECT 1 FROM unnest(over_assignment_pct) o WHERE o IS NULL OR o < 0 OR o > 100) THEN
    RAISE EXCEPTION 'over_assignment_pct % has an element outside 0..100', over_assignment_pct
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Element d is the over-assignment, in percent, when a node of depth d - 2 splits its target among its children (element 1: company to departments).';
  END IF;
  IF cardinality(ramp_pct) = 0 OR EXISTS (SELECT 1 FROM unnest(ramp_pct) r WHERE r IS NULL OR r < 0 OR r > 100) THEN
    RAISE EXCEPTION 'ramp_pct % must list percentages within 0..100', ramp_pct
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Element k is the capacity of a new hire in their k-th month (the month of hire is month 1), for example {25,50,75,100}.';
  END IF;
  SELECT * INTO v_year FROM fiscal_period fp WHERE fp.kind = 'year' AND fp.fiscal_year = p_year;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal year % has no fiscal_period of kind year', p_year
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Insert the year and its 12 month periods into fiscal_period first.';
  END IF;
  SELECT count(*) INTO v_months FROM fiscal_period fp WHERE fp.kind = 'month' AND fp.fiscal_year = p_year;
  IF v_months <> 12 THEN
    RAISE EXCEPTION 'fiscal year % has % month periods, not 12', p_year, v_months
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Insert the 12 month periods into fiscal_period.';
  END IF;
  SELECT count(*), sum(sd.share_pct) INTO v_n, v_sum
  FROM seasonal_distribution sd WHERE sd.name = seasonal AND sd.fiscal_year = p_year;
  IF v_n <> 12 OR v_sum IS DISTINCT FROM 100 THEN
    RAISE EXCEPTION 'seasonal distribution "%" of % covers % months summing to %, not 12 months summing to 100',
                    seasonal, p_year, v_n, coalesce(v_sum, 0)
      USING ERRCODE = 'check_violation',
            DETAIL = 'A yearly quota is spread over the months by the seasonal distribution; it must cover every month of the year and sum to 100 percent.',
            HINT = 'Insert 12 seasonal_distribution rows for the name and year whose share_pct sum to 100.';
  END IF;

  -- ---- the tree: teams with depth, reps (active sales_rep hired by year end) under their team
  IF to_regclass('pg_temp._q_node') IS NOT NULL THEN DROP TABLE pg_temp._q_node; END IF;
  CREATE TEMP TABLE _q_node (
    team_id integer, member_id integer, parent_team integer, depth integer,
    weight numeric NOT NULL DEFAULT 0, ramp_factor numeric NOT NULL DEFAULT 1,
    locked_amount numeric, amount numeric, upper_bound numeric) ON COMMIT DROP;
  -- (the roots: the departments, or the top teams of the caller's scope)
  INSERT INTO _q_node (team_id, parent_team, depth)
  WITH RECURSIVE t(team_id, parent_id, depth) AS (
    SELECT tm.team_id, NULL::integer, 0 FROM team tm
    WHERE CASE WHEN v_roots IS NULL THEN tm.parent_id IS NULL ELSE tm.team_id = ANY (v_roots) END
    UNION ALL
    SELECT c.team_id, c.parent_id, t.depth + 1 FROM team c JOIN t ON c.parent_id = t.team_id
    WHERE t.depth < 1000)
  SELECT t.team_id, t.parent_id, t.depth FROM t;

  INSERT INTO _q_node (member_id, parent_team, depth, weight, ramp_factor)
  SELECT m.member_id, m.team_id, n.depth + 1,
         CASE basis WHEN 'equal' THEN 1
                    WHEN 'history' THEN coalesce(h.sold, 0)
                    WHEN 'potential' THEN coalesce(p.pot, 0)
                    -- shares rounded to 12 decimals: allocate_quota works in 18 significant digits
                    ELSE round(history_weight * coalesce(h.sold / nullif(sum(h.sold) OVER (), 0), 0)
                               + (1 - history_weight) * coalesce(p.pot / nullif(sum(p.pot) OVER (), 0), 0), 12) END,
         r.factor
  FROM member m
  JOIN _q_node n ON n.team_id = m.team_id
  LEFT JOIN (SELECT cs.member_id, greatest(sum(cs.amount), 0) AS sold
             FROM credit_by_month((v_year.start_on - interval '1 year')::date, v_year.start_on - 1) cs
             GROUP BY cs.member_id) h ON h.member_id = m.member_id
  LEFT JOIN (SELECT o.member_id, sum(o.amount * o.probability / 100) AS pot
             FROM opportunity o   -- (amount x probability / 100: at most 2 + 2 decimals)
             WHERE o.stage <> 'lost' AND o.expected_close BETWEEN v_year.start_on AND v_year.end_on
             GROUP BY o.member_id) p ON p.member_id = m.member_id
  CROSS JOIN LATERAL (
    SELECT sum(sd.share_pct / 100
               * CASE WHEN mh < 0 THEN 0
                      WHEN mh < cardinality(ramp_pct) THEN ramp_pct[mh + 1] / 100
                      ELSE 1 END) AS factor
    FROM seasonal_distribution sd
    CROSS JOIN LATERAL (SELECT (extract(year FROM v_year.start_on)::integer * 12
                                + extract(month FROM v_year.start_on)::integer - 1 + sd.month - 1)
                               - (extract(year FROM m.hire_date)::integer * 12
                                  + extract(month FROM m.hire_date)::integer - 1) AS mh) x
    WHERE sd.name = seasonal AND sd.fiscal_year = p_year) r
  WHERE m.active AND m.level = 'sales_rep' AND m.hire_date <= v_year.end_on;

  -- a rep with no weight of their own (a new hire has no history) is weighted
  -- like the average weighted rep of their team (1 if nobody there has one)
  UPDATE _q_node q SET weight = coalesce(round(a.avg_w, CASE WHEN basis = 'blend' THEN 12 ELSE 4 END), 1)
  FROM (SELECT q2.member_id,
               (SELECT avg(q3.weight) FROM _q_node q3
                WHERE q3.parent_team = q2.parent_team AND q3.member_id IS NOT NULL AND q3.weight > 0) AS avg_w
        FROM _q_node q2 WHERE q2.member_id IS NOT NULL AND q2.weight = 0) a
  WHERE q.member_id = a.member_id;

  -- team weight = sum of the rep weights in its subtree
  UPDATE _q_node q SET weight = coalesce(s.w, 0)
  FROM (WITH RECURSIVE up(team_id, member_weight) AS (
          SELECT r.parent_team, r.weight FROM _q_node r WHERE r.member_id IS NOT NULL
          UNION ALL
          SELECT tm.parent_id, up.member_weight FROM up JOIN team tm ON tm.team_id = up.team_id
          WHERE tm.parent_id IS NOT NULL)
        SELECT up.team_id, sum(up.member_weight) AS w FROM up GROUP BY up.team_id) s
  WHERE q.team_id = s.team_id;

  -- locked yearly quotas are kept as they are
  UPDATE _q_node q SET locked_amount = qu.amount
  FROM quota qu
  WHERE qu.period_id = v_year.period_id AND qu.locked AND qu.team_id = q.team_id;
  UPDATE _q_node q SET locked_amount = qu.amount
  FROM quota qu
  WHERE qu.period_id = v_year.period_id AND qu.locked AND qu.member_id = q.member_id;

  -- ---- top-down, one tree level at a time: the company target to the
  -- departments, then each team's target (with that level's over-assignment)
  -- to its child teams and its reps; locked nodes are pinned by lower = upper,
  -- new hires capped at ramp_factor x their unconstrained share.
  SELECT max(q.depth) INTO v_max FROM _q_node q;
  FOR v_depth IN -1 .. coalesce(v_max, 0) - 1 LOOP
    v_over := coalesce(over_assignment_pct[v_depth + 2], 0);
    WITH parent AS (
      SELECT NULL::integer AS team_id, company_target AS target WHERE v_depth = -1
      UNION ALL
      SELECT q.team_id, q.amount FROM _q_node q WHERE v_depth >= 0 AND q.depth = v_depth AND q.team_id IS NOT NULL),
    kids AS (
      SELECT c.ctid AS row_id, c.team_id, c.member_id, c.locked_amount, c.ramp_factor,
             p.team_id AS parent_key,
             round(p.target * (1 + v_over / 100) / p_unit) * p_unit AS total,
             CASE WHEN sum(c.weight) FILTER (WHERE c.locked_amount IS NULL)
                         OVER (PARTITION BY p.team_id) > 0 THEN c.weight ELSE 1 END AS w
      FROM _q_node c
      JOIN parent p ON c.parent_team IS NOT DISTINCT FROM p.team_id
      WHERE c.depth = v_depth + 1),
    bounded AS (
      SELECT k.*,
             CASE WHEN k.locked_amount IS NOT NULL THEN k.locked_amount END AS lo,
             CASE WHEN k.locked_amount IS NOT NULL THEN k.locked_amount
                  -- the ramp caps a new hire only if someone uncapped can carry the rest
                  WHEN k.member_id IS NOT NULL AND k.ramp_factor < 1
                       AND count(*) FILTER (WHERE k.locked_amount IS NULL AND (k.member_id IS NULL OR k.ramp_factor >= 1))
                             OVER (PARTITION BY k.parent_key) > 0 THEN
                    floor(k.ramp_factor
                          * (k.total - coalesce(sum(k.locked_amount) OVER (PARTITION BY k.parent_key), 0))
                          * k.w / sum(k.w) FILTER (WHERE k.locked_amount IS NULL) OVER (PARTITION BY k.parent_key)
                          / p_unit) * p_unit END AS hi
      FROM kids k),
    alloc AS (
      SELECT b.row_id, b.hi,
             allocate_quota(b.total, b.w, p_unit, b.lo, b.hi)
               OVER (PARTITION BY b.parent_key ORDER BY b.team_id NULLS LAST, b.member_id) AS amt
      FROM bounded b)
    UPDATE _q_node q SET amount = a.amt, upper_bound = a.hi FROM alloc a WHERE q.ctid = a.row_id;
  END LOOP;

  -- ---- write the yearly quotas (locked rows are never touched)
  INSERT INTO quota AS qu (period_id, team_id, amount, method)
  SELECT v_year.period_id, q.team_id, q.amount, 'top_down' FROM _q_node q
  WHERE q.team_id IS NOT NULL AND q.locked_amount IS NULL AND q.amount IS NOT NULL
  ON CONFLICT (team_id, period_id) WHERE team_id IS NOT NULL
  DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                allocated_by = session_user
  WHERE NOT qu.locked;
  INSERT INTO quota AS qu (period_id, member_id, amount, method)
  SELECT v_year.period_id, q.member_id, q.amount, basis FROM _q_node q
  WHERE q.member_id IS NOT NULL AND q.locked_amount IS NULL AND q.amount IS NOT NULL
  ON CONFLICT (member_id, period_id) WHERE member_id IS NOT NULL
  DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                allocated_by = session_user
  WHERE NOT qu.locked;

  -- ---- months: each yearly amount spread by season (x ramp for new hires);
  -- locked monthly quotas pinned by lower = upper.
  WITH node_month AS (
    SELECT q.team_id, q.member_id, q.amount AS total, q.ramp_factor, fp.period_id, fp.month,
           sd.share_pct
             * CASE WHEN q.member_id IS NULL THEN 1
                    WHEN x.mh < 0 THEN 0
                    WHEN x.mh < cardinality(ramp_pct) THEN ramp_pct[x.mh + 1] / 100
                    ELSE 1 END AS w0,
           coalesce(lqt.amount, lqm.amount) AS locked_amount
    FROM _q_node q
    JOIN fiscal_period fp ON fp.kind = 'month' AND fp.fiscal_year = p_year
    JOIN seasonal_distribution sd ON sd.name = seasonal AND sd.fiscal_year = p_year AND sd.month = fp.month
    LEFT JOIN member m ON m.member_id = q.member_id
    CROSS JOIN LATERAL (SELECT (extract(year FROM v_year.start_on)::integer * 12
                                + extract(month FROM v_year.start_on)::integer - 1 + fp.month - 1)
                               - (extract(year FROM m.hire_date)::integer * 12
                                  + extract(month FROM m.hire_date)::integer - 1) AS mh) x
    LEFT JOIN quota lqt ON lqt.period_id = fp.period_id AND lqt.locked AND lqt.team_id = q.team_id
    LEFT JOIN quota lqm ON lqm.period_id = fp.period_id AND lqm.locked AND lqm.member_id = q.member_id
    WHERE q.amount IS NOT NULL),
  weighted AS (
    SELECT nm.*, CASE WHEN sum(nm.w0) OVER (PARTITION BY nm.team_id, nm.member_id) > 0 THEN nm.w0 ELSE 1 END AS w
    FROM node_month nm),
  alloc AS (
    SELECT w.team_id, w.member_id, w.period_id, w.locked_amount,
           CASE WHEN w.member_id IS NOT NULL AND w.ramp_factor < 1 THEN 'ramp' ELSE 'seasonal' END AS method,
           allocate_quota(w.total, w.w, p_unit, w.locked_amount, w.locked_amount)
             OVER (PARTITION BY w.team_id, w.member_id ORDER BY w.month) AS amt
    FROM weighted w),
  team_rows AS (
    INSERT INTO quota AS qu (period_id, team_id, amount, method)
    SELECT a.period_id, a.team_id, a.amt, a.method FROM alloc a
    WHERE a.team_id IS NOT NULL AND a.locked_amount IS NULL
    ON CONFLICT (team_id, period_id) WHERE team_id IS NOT NULL
    DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                  allocated_by = session_user
    WHERE NOT qu.locked
    RETURNING 1)
  INSERT INTO quota AS qu (period_id, member_id, amount, method)
  SELECT a.period_id, a.member_id, a.amt, a.method FROM alloc a
  WHERE a.member_id IS NOT NULL AND a.locked_amount IS NULL
  ON CONFLICT (member_id, period_id) WHERE member_id IS NOT NULL
  DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                allocated_by = session_user
  WHERE NOT qu.locked;

  RETURN QUERY
  SELECT q.team_id, q.member_id, q.depth, q.weight, round(q.ramp_factor, 6), q.amount,
         CASE WHEN q.team_id IS NOT NULL THEN 'top_down' ELSE basis END,
         q.locked_amount IS NOT NULL
  FROM _q_node q
  ORDER BY q.depth, q.team_id NULLS LAST, q.member_id;
END
$fn$;
COMMENT ON FUNCTION allocate_quotas(integer, numeric, text, numeric, numeric[], text, numeric[], numeric, name) IS
'Allocates a company sales target top-down along the team tree for a fiscal year, in one transaction: the target goes to the departments, each team''s target (raised by that level''s over_assignment_pct[depth + 2] percent) to its child teams and its active reps, by weight = basis (history: last year''s credited sales; potential: weighted open pipeline expected to close in the year; blend: history_weight x history share + (1 - history_weight) x potential share; equal); a rep without weight counts as the team''s average rep; a team weighs the sum of its reps. New hires are capped at ramp_factor x their unconstrained share, ramp_factor = sum over months of season x ramp_pct of the month since hire (not when nobody uncapped is left to carry the rest of their team''s target). Every share is exact in units (allocate_quota, largest remainder). Yearly quotas are written (teams top_down, reps by basis) and spread to the 12 months by the seasonal distribution (x ramp for new hires: method ramp), which must cover 12 months summing to 100. Locked quotas are kept and the others share the rest. Managers only, within their scope: a department manager allocates company_target as the target of the teams they lead (the roots of their subtree) and writes nothing outside it; the whole organisation for a manager who leads every department and for the extension owner. Returns every node of the tree allocated with its weight and amount.';
REVOKE ALL ON FUNCTION allocate_quotas(integer, numeric, text, numeric, numeric[], text, numeric[], numeric, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION allocate_quotas(integer, numeric, text, numeric, numeric[], text, numeric[], numeric, name)
  TO sales_supervisor_manager;

CREATE FUNCTION lock_quotas(fiscal_year integer, login name DEFAULT current_user)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  n bigint;
  v_roots integer[];    -- NULL: the whole organisation
  v_teams integer[];
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], 'lock quotas');
  IF lock_quotas.fiscal_year IS NULL THEN
    RAISE EXCEPTION 'fiscal_year must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  v_roots := scope_root_team_ids(login);
  IF v_roots IS NOT NULL THEN
    v_teams := led_team_ids(login);
  END IF;
  UPDATE quota q SET locked = true
  FROM fiscal_period fp
  WHERE fp.period_id = q.period_id AND fp.fiscal_year = lock_quotas.fiscal_year AND NOT q.locked
    AND (v_roots IS NULL OR q.team_id = ANY (v_teams)
         OR q.member_id IN (SELECT m.member_id FROM member m WHERE m.team_id = ANY (v_teams)));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
COMMENT ON FUNCTION lock_quotas(integer, name) IS
'Locks every quota of a fiscal year (yearly and monthly, teams and reps) within the caller''s scope (see allocate_quotas), so later allocate_quotas calls keep them; returns the number of quotas newly locked. Managers only; every change is audited.';
REVOKE ALL ON FUNCTION lock_quotas(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lock_quotas(integer, name) TO sales_supervisor_manager;

-- quota_rollup: a team's own quota against the sum of the rep quotas in its subtree.
CREATE VIEW quota_rollup WITH (security_invoker = true) AS
WITH RECURSIVE sub(root_id, team_id, depth) AS (
  SELECT t.team_id, t.team_id, 0 FROM team t
  UNION ALL
  SELECT sub.root_id, c.team_id, sub.depth + 1 FROM team c JOIN sub ON c.parent_id = sub.team_id
  WHERE sub.depth < 1000)
SELECT tq.team_id, tq.period_id, tq.amount AS team_quota,
       (SELECT sum(rq.amount) FROM quota rq JOIN member m ON m.member_id = rq.member_id
        WHERE rq.period_id = tq.period_id
          AND m.team_id IN (SELECT s.team_id FROM sub s WHERE s.root_id = tq.team_id)) AS rep_quota_sum
FROM quota tq
WHERE tq.team_id IS NOT NULL;
COMMENT ON VIEW quota_rollup IS
'Team targets rolled up: per team and period, the team''s own quota and the sum of the quotas of the reps in its subtree (larger by the over-assignment). Security invoker: row-level security of the caller applies.';
COMMENT ON COLUMN quota_rollup.team_id IS 'Team.';
COMMENT ON COLUMN quota_rollup.period_id IS 'Fiscal period.';
COMMENT ON COLUMN quota_rollup.team_quota IS 'The team''s own quota.';
COMMENT ON COLUMN quota_rollup.rep_quota_sum IS 'Sum of the quotas of the reps in the team''s subtree for the period.';
GRANT SELECT ON quota_rollup TO sales_supervisor_supervisor, sales_supervisor_manager;
