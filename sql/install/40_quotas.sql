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
--   40 allocate_quotas (its phases quota_year .. quota_spread), lock_quotas,
--      quota_rollup                                 (this file)
--   41 score_kpis
--   42 run_commission (its steps commission_run_window, _credit, _payout)
--   43 open/start/calibrate/close_appraisal_cycle
--   44 promotion_candidates, approve_promotion, year_end_pay
--   45 generate_demo_org (a demo organisation for trying all of it)
-- Their tables (kpi_target, appraisal_consequence, bonus_target included) are
-- the model's (20-24).

-- ---------------------------------------------------------------------------
-- allocate_quotas, in phases
-- ---------------------------------------------------------------------------
-- allocate_quotas (the last function of this section) checks the login and
-- the arguments, then hands the work to one function per phase:
--   quota_year         the fiscal year, with its 12 months and its seasonal
--                      distribution checked
--   quota_tree         the team tree of the caller's scope, and its reps
--   quota_weights      every node's weight by the basis, every rep's ramp factor
--   quota_level_split  the target top-down, one tree level at a time
--   quota_spread       the yearly quotas written, and spread over the months
-- A phase reads the one before it in SQL (quota_level_split reads
-- quota_weights, which reads quota_tree); allocate_quotas keeps the split
-- tree in arrays, one element per node, for quota_spread and for its result.
-- The phases are internal: SECURITY INVOKER and executable by nobody but the
-- owner (REVOKE ALL ... FROM PUBLIC), so they run only inside allocate_quotas,
-- as its owner, and read every row; the scope is the roots allocate_quotas
-- passes them.  None of them checks its arguments again.

-- quota_year: the fiscal year to allocate, refused unless it is complete: its
-- period of kind year, 12 month periods, and the seasonal distribution named
-- covering the 12 months with shares summing to 100 (the spread needs them).
CREATE FUNCTION quota_year(p_year integer, p_seasonal text)
RETURNS fiscal_period
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_year   fiscal_period;
  v_months integer;
  v_n      integer;
  v_sum    numeric;
BEGIN
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
  FROM seasonal_distribution sd WHERE sd.name = p_seasonal AND sd.fiscal_year = p_year;
  IF v_n <> 12 OR v_sum IS DISTINCT FROM 100 THEN
    RAISE EXCEPTION 'seasonal distribution "%" of % covers % months summing to %, not 12 months summing to 100',
                    p_seasonal, p_year, v_n, coalesce(v_sum, 0)
      USING ERRCODE = 'check_violation',
            DETAIL = 'A yearly quota is spread over the months by the seasonal distribution; it must cover every month of the year and sum to 100 percent.',
            HINT = 'Insert 12 seasonal_distribution rows for the name and year whose share_pct sum to 100.';
  END IF;
  RETURN v_year;
END
$fn$;
COMMENT ON FUNCTION quota_year(integer, text) IS
'Internal, a phase of allocate_quotas: the fiscal_period of kind year of p_year; refuses (55000) a year without its year period or without 12 month periods, and (23514) a seasonal distribution p_seasonal that does not cover the 12 months of the year with shares summing to 100.';
REVOKE ALL ON FUNCTION quota_year(integer, text) FROM PUBLIC;

-- quota_tree: the nodes to allocate -- the teams under the roots (p_roots, or
-- the departments when NULL: the whole organisation) with their depth, the
-- roots at depth 0 without a parent, and under each team its reps: the active
-- sales_rep members hired by the end of the year (p_year_end).
CREATE FUNCTION quota_tree(p_roots integer[], p_year_end date)
RETURNS TABLE (team_id integer, member_id integer, parent_team integer, depth integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH RECURSIVE t(team_id, parent_id, depth) AS (
    SELECT tm.team_id, NULL::integer, 0 FROM team tm
    WHERE CASE WHEN p_roots IS NULL THEN tm.parent_id IS NULL ELSE tm.team_id = ANY (p_roots) END
    UNION ALL
    SELECT c.team_id, c.parent_id, t.depth + 1 FROM team c JOIN t ON c.parent_id = t.team_id
    WHERE t.depth < 1000)
  SELECT t.team_id, NULL::integer, t.parent_id, t.depth FROM t
  UNION ALL
  SELECT NULL::integer, m.member_id, m.team_id, t.depth + 1
  FROM member m JOIN t ON t.team_id = m.team_id
  WHERE m.active AND m.level = 'sales_rep' AND m.hire_date <= p_year_end;
END
$fn$;
COMMENT ON FUNCTION quota_tree(integer[], date) IS
'Internal, a phase of allocate_quotas: the team tree to allocate, one row per node -- the teams under p_roots (NULL: under the departments) with their depth (the roots 0, without parent_team), and the active sales_rep members hired by p_year_end, one level below their team.';
REVOKE ALL ON FUNCTION quota_tree(integer[], date) FROM PUBLIC;

-- quota_weights: quota_tree with a weight on every node and a ramp factor on
-- every rep.  A rep weighs their basis (history: last year's credited sales;
-- potential: this year's weighted open pipeline; blend; equal); one without
-- weight of their own (a new hire has no history) weighs the average weighted
-- rep of their team (1 if nobody there has one); a team weighs the sum of the
-- reps in its subtree.  The ramp factor is a rep's capacity over the year:
-- the sum over the months of season share x ramp_pct of the month since hire.
CREATE FUNCTION quota_weights(p_roots integer[], p_year fiscal_period, p_basis text, p_history_weight numeric,
                              p_seasonal text, p_ramp_pct numeric[])
RETURNS TABLE (team_id integer, member_id integer, parent_team integer, depth integer, weight numeric,
               ramp_factor numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH RECURSIVE node AS MATERIALIZED (
    SELECT * FROM quota_tree(p_roots, p_year.end_on)),
  rep AS (
    SELECT n.member_id, n.parent_team, n.depth,
           CASE p_basis WHEN 'equal' THEN 1
                        WHEN 'history' THEN coalesce(h.sold, 0)
                        WHEN 'potential' THEN coalesce(p.pot, 0)
                        -- shares rounded to 12 decimals: allocate_quota works in 18 significant digits
                        ELSE round(p_history_weight * coalesce(h.sold / nullif(sum(h.sold) OVER (), 0), 0)
                                   + (1 - p_history_weight) * coalesce(p.pot / nullif(sum(p.pot) OVER (), 0), 0), 12)
           END AS weight,
           r.factor AS ramp_factor
    FROM node n
    JOIN member m ON m.member_id = n.member_id
    LEFT JOIN (SELECT cs.member_id, greatest(sum(cs.amount), 0) AS sold
               FROM credit_by_month((p_year.start_on - interval '1 year')::date, p_year.start_on - 1) cs
               WHERE p_basis IN ('history', 'blend')   -- (last year's lines read only when they weigh)
               GROUP BY cs.member_id) h ON h.member_id = m.member_id
    LEFT JOIN (SELECT o.member_id, sum(o.amount * o.probability / 100) AS pot
               FROM opportunity o   -- (amount x probability / 100: at most 2 + 2 decimals)
               WHERE o.stage <> 'lost' AND o.expected_close BETWEEN p_year.start_on AND p_year.end_on
               GROUP BY o.member_id) p ON p.member_id = m.member_id
    CROSS JOIN LATERAL (
      SELECT sum(sd.share_pct / 100
                 * CASE WHEN mh < 0 THEN 0
                        WHEN mh < cardinality(p_ramp_pct) THEN p_ramp_pct[mh + 1] / 100
                        ELSE 1 END) AS factor
      FROM seasonal_distribution sd
      CROSS JOIN LATERAL (SELECT (extract(year FROM p_year.start_on)::integer * 12
                                  + extract(month FROM p_year.start_on)::integer - 1 + sd.month - 1)
                                 - (extract(year FROM m.hire_date)::integer * 12
                                    + extract(month FROM m.hire_date)::integer - 1) AS mh) x
      WHERE sd.name = p_seasonal AND sd.fiscal_year = p_year.fiscal_year) r),
  weighted AS (   -- a rep without weight: the average weighted rep of the team, rounded
    SELECT r.member_id, r.parent_team, r.depth, r.ramp_factor,
           CASE WHEN r.weight = 0
                THEN coalesce(round(avg(r.weight) FILTER (WHERE r.weight > 0) OVER (PARTITION BY r.parent_team),
                                    CASE WHEN p_basis = 'blend' THEN 12 ELSE 4 END), 1)
                ELSE r.weight END AS weight
    FROM rep r),
  up(team_id, member_weight) AS (   -- every rep's weight, to each team above the rep
    SELECT w.parent_team, w.weight FROM weighted w
    UNION ALL
    SELECT tm.parent_id, up.member_weight FROM up JOIN team tm ON tm.team_id = up.team_id
    WHERE tm.parent_id IS NOT NULL)
  SELECT n.team_id, NULL::integer, n.parent_team, n.depth, coalesce(s.w, 0), 1::numeric
  FROM node n
  LEFT JOIN (SELECT up.team_id, sum(up.member_weight) AS w FROM up GROUP BY up.team_id) s ON s.team_id = n.team_id
  WHERE n.team_id IS NOT NULL
  UNION ALL
  SELECT NULL::integer, w.member_id, w.parent_team, w.depth, w.weight, w.ramp_factor FROM weighted w;
END
$fn$;
COMMENT ON FUNCTION quota_weights(integer[], fiscal_period, text, numeric, text, numeric[]) IS
'Internal, a phase of allocate_quotas: the nodes of quota_tree(p_roots, end of p_year) with their weight -- a rep''s by p_basis (history: credited sales of the year before p_year; potential: open pipeline weighted by probability, expected to close in p_year; blend: p_history_weight x history share + (1 - p_history_weight) x potential share, rounded to 12 decimals; equal: 1), a rep without weight the average weighted rep of the team (1 if none), a team the sum of the reps in its subtree -- and a rep''s ramp_factor: sum over the months of p_seasonal share x p_ramp_pct of the month since hire (1 for a team).';
REVOKE ALL ON FUNCTION quota_weights(integer[], fiscal_period, text, numeric, text, numeric[]) FROM PUBLIC;

-- quota_level_split: the target top-down, one tree level at a time: the
-- company target to the roots, then each team's amount, raised by its level's
-- over-assignment, to its child teams and its reps by weight, every share in
-- whole units (allocate_quota, largest remainder).  A node with a locked
-- yearly quota is pinned to it (lower = upper bound); a new hire is capped at
-- ramp_factor x their unconstrained share, if someone uncapped can carry the
-- rest.  What a share depends on besides its parent's amount is worked out
-- for all levels at once (sibling sums); the recursion adds the amounts.
CREATE FUNCTION quota_level_split(p_roots integer[], p_year fiscal_period, p_company_target numeric, p_basis text,
                                  p_history_weight numeric, p_over_assignment_pct numeric[], p_seasonal text,
                                  p_ramp_pct numeric[], p_unit numeric)
RETURNS TABLE (team_id integer, member_id integer, depth integer, weight numeric, ramp_factor numeric,
               locked_amount numeric, amount numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  -- node: every node, its locked yearly quota, and w, the weight it is split by (1 for all
  -- its siblings when those not locked weigh nothing); siblings: the nodes of one parent_team
  WITH RECURSIVE node AS (
    SELECT qw.*, coalesce(lt.amount, lm.amount)::numeric AS locked_amount,
           CASE WHEN sum(qw.weight) FILTER (WHERE lt.amount IS NULL AND lm.amount IS NULL)
                       OVER (PARTITION BY qw.parent_team) > 0 THEN qw.weight ELSE 1 END AS w
    FROM quota_weights(p_roots, p_year, p_basis, p_history_weight, p_seasonal, p_ramp_pct) qw
    LEFT JOIN quota lt ON lt.period_id = p_year.period_id AND lt.locked AND lt.team_id = qw.team_id
    LEFT JOIN quota lm ON lm.period_id = p_year.period_id AND lm.locked AND lm.member_id = qw.member_id),
  sibling AS MATERIALIZED (
    SELECT n.*,
           coalesce(sum(n.locked_amount) OVER s, 0) AS locked_sum,
           sum(n.w) FILTER (WHERE n.locked_amount IS NULL) OVER s AS w_sum,
           -- the ramp caps a new hire only if someone uncapped can carry the rest
           count(*) FILTER (WHERE n.locked_amount IS NULL AND (n.member_id IS NULL OR n.ramp_factor >= 1))
             OVER s > 0 AS cappable
    FROM node n WINDOW s AS (PARTITION BY n.parent_team)),
  split(team_id, member_id, depth, weight, ramp_factor, locked_amount, amount) AS (
    SELECT NULL::integer, NULL::integer, -1, NULL::numeric, NULL::numeric, NULL::numeric, p_company_target
    UNION ALL
    SELECT c.team_id, c.member_id, c.depth, c.weight, c.ramp_factor, c.locked_amount,
           allocate_quota(t.total, c.w, p_unit, c.locked_amount, b.hi)
             OVER (PARTITION BY c.parent_team ORDER BY c.team_id NULLS LAST, c.member_id)
    FROM split p
    JOIN sibling c ON c.depth = p.depth + 1 AND c.parent_team IS NOT DISTINCT FROM p.team_id
    CROSS JOIN LATERAL (SELECT round(p.amount * (1 + coalesce(p_over_assignment_pct[c.depth + 1], 0) / 100) / p_unit)
                               * p_unit AS total) t
    CROSS JOIN LATERAL (
      SELECT CASE WHEN c.locked_amount IS NOT NULL THEN c.locked_amount
                  WHEN c.member_id IS NOT NULL AND c.ramp_factor < 1 AND c.cappable THEN
                    floor(c.ramp_factor * (t.total - c.locked_sum) * c.w / c.w_sum / p_unit) * p_unit END AS hi) b
    WHERE p.member_id IS NULL)
  SELECT s.team_id, s.member_id, s.depth, s.weight, s.ramp_factor, s.locked_amount, s.amount
  FROM split s WHERE s.depth >= 0;
END
$fn$;
COMMENT ON FUNCTION quota_level_split(integer[], fiscal_period, numeric, text, numeric, numeric[], text, numeric[], numeric) IS
'Internal, a phase of allocate_quotas: the nodes of quota_weights with their yearly amount, allocated top-down one level at a time -- p_company_target to the roots, each team''s amount raised by p_over_assignment_pct[depth + 2] percent (depth of the team; element 1: company to roots) to its child teams and reps by weight in multiples of p_unit (allocate_quota, ordered by team, then member) -- with a locked yearly quota of p_year kept (locked_amount) and a new hire capped at ramp_factor x their unconstrained share when someone uncapped can carry the rest.';
REVOKE ALL ON FUNCTION quota_level_split(integer[], fiscal_period, numeric, text, numeric, numeric[], text, numeric[], numeric)
  FROM PUBLIC;

-- quota_spread: writes the allocation -- the yearly quotas of the nodes
-- (p_team_ids / p_member_ids ... one element per node; teams top_down, reps
-- by p_basis; locked quotas never touched), then each yearly amount spread
-- over the months by the seasonal distribution, x the ramp for a new hire
-- (method ramp), a locked monthly quota pinned by lower = upper bound.
CREATE FUNCTION quota_spread(p_year fiscal_period, p_basis text, p_seasonal text, p_ramp_pct numeric[], p_unit numeric,
                             p_team_ids integer[], p_member_ids integer[], p_amounts numeric[],
                             p_ramp_factors numeric[], p_locked boolean[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- ---- the year (quota ids in team, then member order)
  INSERT INTO quota AS qu (period_id, team_id, amount, method)
  SELECT p_year.period_id, q.team_id, q.amount, 'top_down'
  FROM unnest(p_team_ids, p_amounts, p_locked) q(team_id, amount, locked)
  WHERE q.team_id IS NOT NULL AND NOT q.locked AND q.amount IS NOT NULL
  ORDER BY q.team_id
  ON CONFLICT (team_id, period_id) WHERE team_id IS NOT NULL
  DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                allocated_by = session_user
  WHERE NOT qu.locked;
  INSERT INTO quota AS qu (period_id, member_id, amount, method)
  SELECT p_year.period_id, q.member_id, q.amount, p_basis
  FROM unnest(p_member_ids, p_amounts, p_locked) q(member_id, amount, locked)
  WHERE q.member_id IS NOT NULL AND NOT q.locked AND q.amount IS NOT NULL
  ORDER BY q.member_id
  ON CONFLICT (member_id, period_id) WHERE member_id IS NOT NULL
  DO UPDATE SET amount = excluded.amount, method = excluded.method, allocated_at = now(),
                allocated_by = session_user
  WHERE NOT qu.locked;

  -- ---- the months
  WITH node_month AS (
    SELECT q.team_id, q.member_id, q.amount AS total, q.ramp_factor, fp.period_id, fp.month,
           sd.share_pct
             * CASE WHEN q.member_id IS NULL THEN 1
                    WHEN x.mh < 0 THEN 0
                    WHEN x.mh < cardinality(p_ramp_pct) THEN p_ramp_pct[x.mh + 1] / 100
                    ELSE 1 END AS w0,
           coalesce(lqt.amount, lqm.amount) AS locked_amount
    FROM unnest(p_team_ids, p_member_ids, p_amounts, p_ramp_factors) q(team_id, member_id, amount, ramp_factor)
    JOIN fiscal_period fp ON fp.kind = 'month' AND fp.fiscal_year = p_year.fiscal_year
    JOIN seasonal_distribution sd ON sd.name = p_seasonal AND sd.fiscal_year = p_year.fiscal_year AND sd.month = fp.month
    LEFT JOIN member m ON m.member_id = q.member_id
    CROSS JOIN LATERAL (SELECT (extract(year FROM p_year.start_on)::integer * 12
                                + extract(month FROM p_year.start_on)::integer - 1 + fp.month - 1)
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
END
$fn$;
COMMENT ON FUNCTION quota_spread(fiscal_period, text, text, numeric[], numeric, integer[], integer[], numeric[], numeric[], boolean[]) IS
'Internal, a phase of allocate_quotas: writes the allocated tree (parallel arrays, one element per node: team or member, yearly amount, ramp factor, locked) -- the yearly quotas of p_year that are not locked (teams top_down, reps p_basis), then each yearly amount spread over the 12 months by p_seasonal, x p_ramp_pct of the month since hire for a new hire (method ramp, else seasonal), in multiples of p_unit, a locked monthly quota kept.';
REVOKE ALL ON FUNCTION quota_spread(fiscal_period, text, text, numeric[], numeric, integer[], integer[], numeric[], numeric[], boolean[])
  FROM PUBLIC;

-- quota_link_parts: records what the allocation split, so that
-- conservation_violations() can prove later that the parts still add up:
-- every yearly quota of a node points at its parent team's yearly quota
-- (parent_quota_id; a rep's parent is their team, a team's its parent team,
-- the roots have none), and every team quota with parts records what they
-- were allocated to add up to (parts_total: its amount raised by its level's
-- over-assignment, rounded to the unit, as quota_level_split splits it).  A
-- part of an earlier allocation that this one left out (a rep who left) is
-- detached.  Locked quotas are linked too (the lock guards their amount).
CREATE FUNCTION quota_link_parts(p_year fiscal_period, p_over_assignment_pct numeric[], p_unit numeric,
                                 p_team_ids integer[], p_member_ids integer[], p_depths integer[])
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
BEGIN ATOMIC
  -- the nodes with their yearly quota and the team they are a part of
  WITH node AS (
    SELECT n.team_id, n.member_id, n.depth, q.quota_id, q.amount,
           CASE WHEN n.member_id IS NOT NULL THEN m.team_id ELSE t.parent_id END AS parent_team
    FROM unnest(p_team_ids, p_member_ids, p_depths) n(team_id, member_id, depth)
    JOIN sales_supervisor.quota q ON q.period_id = p_year.period_id
                                 AND (q.team_id = n.team_id OR q.member_id = n.member_id)
    LEFT JOIN sales_supervisor.member m ON m.member_id = n.member_id
    LEFT JOIN sales_supervisor.team t ON t.team_id = n.team_id),
  part AS (
    SELECT c.quota_id, p.quota_id AS parent_quota_id
    FROM node c JOIN node p ON p.member_id IS NULL AND p.team_id = c.parent_team),
  total AS (
    SELECT p.quota_id,
           round(p.amount * (1 + coalesce(p_over_assignment_pct[p.depth + 2], 0) / 100) / p_unit) * p_unit AS parts_total
    FROM node p WHERE p.member_id IS NULL AND EXISTS (SELECT 1 FROM part WHERE part.parent_quota_id = p.quota_id)),
  detached AS (   -- rows that are no node of this allocation: disjoint from the update below
    UPDATE sales_supervisor.quota q SET parent_quota_id = NULL
    FROM node p
    WHERE p.member_id IS NULL AND q.parent_quota_id = p.quota_id
      AND NOT EXISTS (SELECT 1 FROM node n WHERE n.quota_id = q.quota_id)
    RETURNING 1)
  -- a root keeps the parent an allocation above it gave it
  UPDATE sales_supervisor.quota q
  SET parent_quota_id = coalesce(pt.parent_quota_id, q.parent_quota_id), parts_total = tt.parts_total
  FROM node n
  LEFT JOIN part pt ON pt.quota_id = n.quota_id
  LEFT JOIN total tt ON tt.quota_id = n.quota_id
  WHERE q.quota_id = n.quota_id
    AND (q.parent_quota_id IS DISTINCT FROM coalesce(pt.parent_quota_id, q.parent_quota_id)
         OR q.parts_total IS DISTINCT FROM tt.parts_total);
END;
COMMENT ON FUNCTION quota_link_parts(fiscal_period, numeric[], numeric, integer[], integer[], integer[]) IS
'Internal, the last phase of allocate_quotas: links each allocated yearly quota to its parent team''s (parent_quota_id), records on each split team quota what its parts add up to (parts_total = round(amount x (1 + over_assignment_pct[depth + 2] / 100) / unit) x unit) and detaches the parts an earlier allocation made that this one left out; conservation_violations() checks the sums (rule quota_split).';
REVOKE ALL ON FUNCTION quota_link_parts(fiscal_period, numeric[], numeric, integer[], integer[], integer[]) FROM PUBLIC;

-- quota_args_check: the arguments of an allocation (allocate_quotas and its
-- what-if, quota_what_if) are valid -- none NULL, a known basis, weights and
-- percentages in range, the target a non-negative multiple of the unit.
CREATE FUNCTION quota_args_check(p_year integer, company_target numeric, basis text, history_weight numeric,
                                 over_assignment_pct numeric[], seasonal text, ramp_pct numeric[], p_unit numeric)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  IF p_year IS NULL OR company_target IS NULL OR basis IS NULL OR history_weight IS NULL
     OR over_assignment_pct IS NULL OR seasonal IS NULL OR ramp_pct IS NULL OR p_unit IS NULL THEN
    RAISE EXCEPTION 'quota allocation arguments must not be null'
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
END
$fn$;
COMMENT ON FUNCTION quota_args_check(integer, numeric, text, numeric, numeric[], text, numeric[], numeric) IS
'Internal: refuses the arguments of a quota allocation (allocate_quotas, quota_what_if) that are NULL (22004), an unknown basis, a history_weight outside 0..1, a unit not positive, a company_target that is no non-negative multiple of the unit, an over_assignment_pct or ramp_pct element outside 0..100 (22023).';
REVOKE ALL ON FUNCTION quota_args_check(integer, numeric, text, numeric, numeric[], text, numeric[], numeric) FROM PUBLIC;

-- allocate_quotas: the entry point -- the role and scope of the login, the
-- arguments, then the phases above.
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
  v_roots  integer[];   -- NULL: the whole organisation
  -- the allocated tree, one element per node (quota_level_split)
  n_team   integer[];
  n_member integer[];
  n_depth  integer[];
  n_weight numeric[];
  n_ramp   numeric[];
  n_amount numeric[];
  n_locked boolean[];
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], 'allocate quotas');
  v_roots := scope_root_team_ids(login);
  IF cardinality(v_roots) = 0 THEN
    RAISE EXCEPTION 'role "%" leads no team: it has no quotas to allocate', login
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'A manager allocates the target of the teams they lead (team_leader).';
  END IF;
  PERFORM quota_args_check(p_year, company_target, basis, history_weight, over_assignment_pct, seasonal, ramp_pct, p_unit);
  v_year := quota_year(p_year, seasonal);

  SELECT array_agg(s.team_id), array_agg(s.member_id), array_agg(s.depth), array_agg(s.weight),
         array_agg(s.ramp_factor), array_agg(s.amount), array_agg(s.locked_amount IS NOT NULL)
    INTO n_team, n_member, n_depth, n_weight, n_ramp, n_amount, n_locked
  FROM quota_level_split(v_roots, v_year, company_target, basis, history_weight, over_assignment_pct,
                         seasonal, ramp_pct, p_unit) s;
  PERFORM quota_spread(v_year, basis, seasonal, ramp_pct, p_unit, n_team, n_member, n_amount, n_ramp, n_locked);
  PERFORM quota_link_parts(v_year, over_assignment_pct, p_unit, n_team, n_member, n_depth);

  RETURN QUERY
  SELECT q.team_id, q.member_id, q.depth, q.weight, round(q.ramp_factor, 6), q.amount,
         CASE WHEN q.team_id IS NOT NULL THEN 'top_down' ELSE basis END, q.locked
  FROM unnest(n_team, n_member, n_depth, n_weight, n_ramp, n_amount, n_locked)
         q(team_id, member_id, depth, weight, ramp_factor, amount, locked)
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

-- quota_what_if_args: the allocate_quotas arguments of one what-if variant,
-- defaults filled in -- company_target, when missing, the sum of the year's
-- yearly quotas of the scope's top teams (the departments for the whole
-- organisation); NULL where a value has the wrong JSON type (then refused by
-- quota_args_check, 22004).
CREATE TYPE quota_allocation_args AS (company_target numeric, basis text, history_weight numeric,
                                      over_assignment_pct numeric[], seasonal text, ramp_pct numeric[], unit numeric);
COMMENT ON TYPE quota_allocation_args IS 'The arguments of one quota allocation (allocate_quotas), as quota_what_if reads a variant.';
CREATE FUNCTION quota_what_if_args(p_year fiscal_period, p_roots integer[], v jsonb)
RETURNS quota_allocation_args
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT ROW(CASE WHEN v ? 'company_target' THEN (CASE WHEN jsonb_typeof(v -> 'company_target') = 'number' THEN (v ->> 'company_target')::numeric END)
              ELSE (SELECT coalesce(sum(q.amount), 0) FROM sales_supervisor.quota q JOIN sales_supervisor.team t ON t.team_id = q.team_id
                    WHERE q.period_id = p_year.period_id
                      AND CASE WHEN p_roots IS NULL THEN t.parent_id IS NULL ELSE t.team_id = ANY (p_roots) END) END,
             CASE WHEN v ? 'basis' THEN (CASE WHEN jsonb_typeof(v -> 'basis') = 'string' THEN v ->> 'basis' END) ELSE 'history' END,
             CASE WHEN v ? 'history_weight' THEN (CASE WHEN jsonb_typeof(v -> 'history_weight') = 'number' THEN (v ->> 'history_weight')::numeric END) ELSE 0.5 END,
             CASE WHEN v ? 'over_assignment_pct' THEN (CASE WHEN jsonb_typeof(v -> 'over_assignment_pct') = 'array'
                  AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v -> 'over_assignment_pct') e WHERE jsonb_typeof(e) <> 'number')
                  THEN ARRAY(SELECT e::text::numeric FROM jsonb_array_elements(v -> 'over_assignment_pct') e) END) ELSE '{}'::numeric[] END,
             CASE WHEN v ? 'seasonal' THEN (CASE WHEN jsonb_typeof(v -> 'seasonal') = 'string' THEN v ->> 'seasonal' END) ELSE 'default' END,
             CASE WHEN v ? 'ramp_pct' THEN (CASE WHEN jsonb_typeof(v -> 'ramp_pct') = 'array'
                  AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(v -> 'ramp_pct') e WHERE jsonb_typeof(e) <> 'number')
                  THEN ARRAY(SELECT e::text::numeric FROM jsonb_array_elements(v -> 'ramp_pct') e) END) ELSE '{25,50,75,100}'::numeric[] END,
             CASE WHEN v ? 'unit' THEN (CASE WHEN jsonb_typeof(v -> 'unit') = 'number' THEN (v ->> 'unit')::numeric END) ELSE 1 END
            )::sales_supervisor.quota_allocation_args
$fn$;
COMMENT ON FUNCTION quota_what_if_args(fiscal_period, integer[], jsonb) IS
'Internal, part of quota_what_if: one variant''s allocate_quotas arguments with the defaults filled in (company_target: the year''s quotas of the scope''s top teams added up); NULL for a value of the wrong JSON type.';
REVOKE ALL ON FUNCTION quota_what_if_args(fiscal_period, integer[], jsonb) FROM PUBLIC;

-- quota_what_if: another quota split, without writing -- each variant is a
-- set of allocate_quotas arguments (a JSON object; a missing key keeps
-- allocate_quotas' default, company_target defaults to the target the year's
-- department quotas add up to), allocated by the same phases (quota_year,
-- quota_level_split: locked quotas kept, ramps capped) and set against the
-- yearly quotas stored now; for reps, the year's credited sales and the
-- attainment under each.  Nothing is written, no lock is taken.
CREATE FUNCTION quota_what_if(fiscal_year integer, variants jsonb, login name DEFAULT current_user)
RETURNS TABLE (variant text, team_id integer, member_id integer, current_quota numeric, simulated_quota numeric,
               difference numeric, credited_sales numeric, current_attainment numeric, simulated_attainment numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_roots integer[];
  v_year  fiscal_period;
  v       record;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], 'simulate quotas');
  v_roots := scope_root_team_ids(login);
  IF fiscal_year IS NULL OR variants IS NULL THEN
    RAISE EXCEPTION 'fiscal_year and variants must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF jsonb_typeof(variants) <> 'object' OR variants = '{}'
     OR EXISTS (SELECT 1 FROM jsonb_each(variants) x, jsonb_object_keys(CASE WHEN jsonb_typeof(x.value) = 'object' THEN x.value ELSE '{"?": 0}' END) k
                WHERE k NOT IN ('company_target', 'basis', 'history_weight', 'over_assignment_pct', 'seasonal', 'ramp_pct', 'unit')) THEN
    RAISE EXCEPTION 'variants must be a non-empty object of named objects of allocate_quotas arguments, got %', variants
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Keys: company_target, basis, history_weight, over_assignment_pct, seasonal, ramp_pct, unit; for example {"equal": {"basis": "equal"}}.';
  END IF;
  SELECT * INTO v_year FROM fiscal_period fp WHERE fp.kind = 'year' AND fp.fiscal_year = quota_what_if.fiscal_year;
  IF NOT FOUND THEN   -- (quota_year, per variant below, says what else the year needs)
    RAISE EXCEPTION 'fiscal year % has no fiscal_period of kind year', fiscal_year
      USING ERRCODE = 'object_not_in_prerequisite_state';
  END IF;
  FOR v IN SELECT x.key AS name, quota_what_if_args(v_year, v_roots, x.value) AS a FROM jsonb_each(variants) x ORDER BY x.key LOOP
    PERFORM quota_args_check(fiscal_year, (v.a).company_target, (v.a).basis, (v.a).history_weight,
                             (v.a).over_assignment_pct, (v.a).seasonal, (v.a).ramp_pct, (v.a).unit);
    PERFORM quota_year(fiscal_year, (v.a).seasonal);
    RETURN QUERY
    SELECT v.name, s.team_id, s.member_id, q.amount, s.amount, s.amount - q.amount, c.credited,
           kpi_attainment(c.credited, q.amount)::numeric(38,6), kpi_attainment(c.credited, s.amount)::numeric(38,6)
    FROM quota_level_split(v_roots, v_year, (v.a).company_target, (v.a).basis, (v.a).history_weight,
                           (v.a).over_assignment_pct, (v.a).seasonal, (v.a).ramp_pct, (v.a).unit) s
    LEFT JOIN quota q ON q.period_id = v_year.period_id
                     AND (q.team_id = s.team_id OR q.member_id = s.member_id)
    LEFT JOIN (SELECT cm.member_id, sum(cm.amount) AS credited FROM credit_by_month(v_year.start_on, v_year.end_on) cm
               GROUP BY cm.member_id) c ON c.member_id = s.member_id
    ORDER BY s.depth, s.team_id NULLS LAST, s.member_id;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION quota_what_if(integer, jsonb, name) IS
'What-if of another quota split: for each variant (a JSON object of allocate_quotas arguments: company_target -- default, what the year''s department quotas add up to -- basis, history_weight, over_assignment_pct, seasonal, ramp_pct, unit; others keep allocate_quotas'' defaults), the yearly quota of every team and rep of the caller''s scope as allocate_quotas would allocate it now (locked quotas kept), next to the yearly quota stored, the difference, and for reps the year''s credited sales and the attainment under each. Writes nothing, takes no lock. Managers, within their scope.';
REVOKE ALL ON FUNCTION quota_what_if(integer, jsonb, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION quota_what_if(integer, jsonb, name) TO sales_supervisor_manager;
