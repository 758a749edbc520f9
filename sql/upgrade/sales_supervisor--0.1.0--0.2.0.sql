-- sales_supervisor 0.1.0 -> 0.2.0
--
-- What changes:
--  * credited_sales_by_month(from, to): the year's credit per rep and month in
--    one pass over the lines (plus the split lines); allocate_quotas (history)
--    and the KPI scoring read through it.
--  * The commission ledger is kept per period, rep, kind (sales, refunds,
--    late_sales, late_refunds) and month of sale instead of one line per sales
--    line and rep; the view commission_credit_line shows the lines behind it,
--    and credit_by_month reads the months the runs credited from it (the
--    sales-year steps read the year through it).  A run credits the
--    lines dated in its window (commission_period_lock.credited_from ..
--    credited_through); lines inserted later into a credited window are queued
--    in commission_late_sale by a trigger on sale and credited by the next run;
--    credited lines and their splits can no longer change.
--
-- The 0.1.0 ledger is migrated, with the same amount per period and rep:
--  * each locked period gets the window its run credited in 0.1.0: from the
--    day after the last date an earlier lock covered (at the earliest its
--    fiscal year's start) to its end;
--  * the 0.1.0 credit lines are added up per period, rep, kind and month of
--    sale: a line of a
--    refund, or a reversal line, is a refund; a line whose sale is dated
--    outside the window of the period that credited it is late (and that sale
--    goes into commission_late_sale as credited by that period);
--  * sales lines dated in a window that no 0.1.0 run credited (inserted after
--    the run; 0.1.0 would have credited them in the next run) are queued in
--    commission_late_sale for the next run;
--  * 0.1.0 credit that 0.2.0 would compute differently from the lines as they
--    are now (a line edited after it was credited, a refund split otherwise
--    than its sale) is kept as 0.1.0 booked it, and reported in a WARNING.
-- Also: the reporting views credit a split line in exact cents, as the KPIs
-- and the commission do (v_credited_sales_daily from credited_sales; the
-- views are re-created, and the materialized one computed at the update);
-- and a sales line's whole split is visible to whoever sees the line (the
-- policy sale_credit_via_sale replaces sale_credit_own / sale_credit_subtree),
-- so the credit a rep computes is split over all the shares.
-- Requires READ COMMITTED, like a run (it locks sale, sale_credit and the ledger).

\echo Use "ALTER EXTENSION sales_supervisor UPDATE TO '0.2.0'" to load this file. \quit

DO $$
BEGIN
  IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
    RAISE EXCEPTION 'cannot update sales_supervisor to 0.2.0 in a % transaction', pg_catalog.current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state',
            DETAIL = 'The update locks the sales lines and the ledger and must then see every line committed before the lock.',
            HINT = 'Run ALTER EXTENSION sales_supervisor UPDATE in a READ COMMITTED transaction (the default).';
  END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- 1. credited_sales_by_month, and the steps that read the year through it
-- ---------------------------------------------------------------------------

-- credited_sales_by_month: credited_sales added up per rep, calendar month
-- and sign -- what the KPIs, quota history and commission runs need -- without
-- splitting every line: the lines are summed as booked (one pass, like a plain
-- GROUP BY), then the few split lines are moved from the booked rep to the
-- credited reps.  Equal to grouping credited_sales(from_date, to_date).
-- The split lines are found from sale_credit by sale_id, within the range of
-- ids the first pass met among the sales lines and among the refund lines
-- (ids follow the order lines are entered, and refunds come later, so a
-- month's window reads about a month's splits), each probing sale by its key:
-- a hash join would read every line of the window a second time.  The ranges
-- only narrow the search; the probe decides.
CREATE FUNCTION credited_sales_by_month(from_date date, to_date date)
RETURNS TABLE (member_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH booked AS MATERIALIZED (
    SELECT s.member_id, date_trunc('month', s.sold_on::timestamp)::date AS month, s.refund_of IS NOT NULL AS refund,
           count(*) AS lines, sum(s.amount) AS amount, min(s.sale_id) AS lo, max(s.sale_id) AS hi
    FROM sales_supervisor.sale s
    WHERE s.sold_on >= from_date AND s.sold_on <= to_date
    GROUP BY 1, 2, 3),
  split AS (
    SELECT s.member_id AS booked_id, s.sold_on, s.refund, s.amount, sc.member_id,
           row_number() OVER w = 1 AS first_share,
           sign(s.amount) * sales_supervisor.allocate_quota(abs(s.amount), sc.share_pct, 0.01::numeric) OVER w AS credit
    FROM sales_supervisor.sale_credit sc
    CROSS JOIN LATERAL (
      SELECT s1.member_id, s1.sold_on, s1.refund_of IS NOT NULL AS refund, s1.amount
      FROM sales_supervisor.sale s1
      WHERE s1.sale_id = sc.sale_id AND s1.sold_on >= from_date AND s1.sold_on <= to_date
      OFFSET 0) s   -- (kept a parameterised probe of sale's key)
    WHERE sc.sale_id BETWEEN (SELECT min(b.lo) FROM booked b WHERE NOT b.refund)
                         AND (SELECT max(b.hi) FROM booked b WHERE NOT b.refund)
       OR sc.sale_id BETWEEN (SELECT min(b.lo) FROM booked b WHERE b.refund)
                         AND (SELECT max(b.hi) FROM booked b WHERE b.refund)
    WINDOW w AS (PARTITION BY sc.sale_id ORDER BY sc.member_id))
  SELECT x.member_id, x.month, x.refund, sum(x.lines)::bigint, sum(x.amount)
  FROM (
    SELECT b.member_id, b.month, b.refund, b.lines, b.amount FROM booked b
    UNION ALL   -- each split line: credited to its reps ...
    SELECT sp.member_id, date_trunc('month', sp.sold_on::timestamp)::date, sp.refund, 1, sp.credit FROM split sp
    UNION ALL   -- ... and taken from the rep it is booked to
    SELECT sp.booked_id, date_trunc('month', sp.sold_on::timestamp)::date, sp.refund, -1, -sp.amount
    FROM split sp WHERE sp.first_share
  ) x
  GROUP BY 1, 2, 3
  HAVING sum(x.lines) <> 0;
END;
COMMENT ON FUNCTION credited_sales_by_month(date, date) IS
'credited_sales(from_date, to_date) added up per rep, calendar month (first day) and refunds (false: sales lines, true: refund lines): lines = credited lines (a split line counts once per credited rep), amount = exact credited sum. Computed in one pass over the lines plus the split lines. Security invoker: row-level security of the caller applies.';
GRANT EXECUTE ON FUNCTION credited_sales_by_month(date, date)
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;

CREATE OR REPLACE FUNCTION allocate_quotas(fiscal_year integer, company_target numeric,
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
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], 'allocate quotas');
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
  INSERT INTO _q_node (team_id, parent_team, depth)
  WITH RECURSIVE t(team_id, parent_id, depth) AS (
    SELECT tm.team_id, tm.parent_id, 0 FROM team tm WHERE tm.parent_id IS NULL
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

CREATE OR REPLACE FUNCTION kpi_measure(cycle integer)
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

-- ---------------------------------------------------------------------------
-- 2. the commission ledger
-- ---------------------------------------------------------------------------

LOCK TABLE sale, sale_credit IN SHARE MODE;
LOCK TABLE commission_credit, commission_payout, commission_period_lock IN SHARE ROW EXCLUSIVE MODE;

-- the 0.1.0 credit lines, each with the sales line it stands for (line_id):
-- its sale, or for a reversal line the full refund that caused it (0.1.0 booked
-- the reversal under the refunded sale), and that line's date and refund link
CREATE TEMP TABLE ss_old_credit ON COMMIT DROP AS
SELECT cc.credit_id, cc.sale_id, cc.member_id, cc.period_id, cc.amount, cc.reverses_id, cc.created_at,
       l.sale_id AS line_id, l.sold_on, l.refund_of
FROM commission_credit cc
JOIN sale s ON s.sale_id = cc.sale_id
CROSS JOIN LATERAL (
  SELECT x.sale_id, x.sold_on, x.refund_of FROM sale x
  WHERE cc.reverses_id IS NOT NULL AND x.refund_of = s.sale_id AND x.amount = -s.amount
  UNION ALL
  SELECT s.sale_id, s.sold_on, s.refund_of
  ORDER BY 1 DESC LIMIT 1) l;

-- the window each locked period's run credited
ALTER TABLE commission_period_lock
  ADD COLUMN credited_from date,
  ADD COLUMN credited_through date,
  ADD CONSTRAINT commission_period_lock_window CHECK ((credited_from IS NULL) = (credited_through IS NULL)
                                                     AND credited_from <= credited_through);
COMMENT ON TABLE commission_period_lock IS 'Commission periods that are locked (paid): no credit or payout line may be added for a locked period; corrections go into an open period. A period locked by run_commission() also records the sale dates its run credited.';
COMMENT ON COLUMN commission_period_lock.credited_from IS 'First sale date the run of the period credited (NULL when the period was locked without a run).';
COMMENT ON COLUMN commission_period_lock.credited_through IS 'Last sale date the run of the period credited: a line sold on or before it and inserted later is a late line (commission_late_sale).';
WITH o AS (
  SELECT l.period_id, fp.end_on, y.start_on AS year_start,
         max(fp.end_on) OVER (ORDER BY fp.end_on, l.period_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_through
  FROM commission_period_lock l
  JOIN fiscal_period fp ON fp.period_id = l.period_id
  CROSS JOIN LATERAL year_bounds(fp.fiscal_year) y)
UPDATE commission_period_lock l
SET credited_from = greatest(o.year_start, o.prev_through + 1), credited_through = o.end_on
FROM o
WHERE o.period_id = l.period_id
  AND greatest(o.year_start, o.prev_through + 1) <= o.end_on;

-- the new ledger replaces the old one (taken out of the extension first, so
-- that its pg_dump registration goes with it)
ALTER EXTENSION sales_supervisor DROP SEQUENCE commission_credit_credit_id_seq;
ALTER EXTENSION sales_supervisor DROP TABLE commission_credit;
DROP TABLE commission_credit;
CREATE TABLE commission_credit (
  credit_id    bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  period_id    integer NOT NULL REFERENCES fiscal_period ON DELETE RESTRICT,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  kind         text NOT NULL,
  sold_in      date NOT NULL,
  lines        integer NOT NULL CHECK (lines > 0),
  amount       numeric(16,2) NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT commission_credit_kind CHECK (kind IN ('sales', 'refunds', 'late_sales', 'late_refunds')),
  CONSTRAINT commission_credit_month CHECK (extract(day FROM sold_in) = 1),
  CONSTRAINT commission_credit_sign CHECK (CASE WHEN kind IN ('sales', 'late_sales') THEN amount >= 0 ELSE amount <= 0 END),
  CONSTRAINT commission_credit_one_per_kind UNIQUE (period_id, member_id, kind, sold_in)
);
CREATE INDEX commission_credit_member_idx ON commission_credit (member_id, period_id);
CREATE INDEX commission_credit_sold_in_idx ON commission_credit (sold_in);
COMMENT ON TABLE commission_credit IS
'Append-only ledger of sales credit: per commission period, rep and month the lines were sold in, one line per kind -- the sales and the refund (reversal) lines sold in the dates the period''s run credited, and the late sales and refunds (sold in an earlier, locked window, inserted after its run). Amounts are the reps'' split credit in exact cents (allocate_quota, so a split line''s credits add up to it). Lines are never updated or deleted; commission_credit_line shows the sales lines behind each ledger line.';
COMMENT ON COLUMN commission_credit.credit_id IS 'Ledger line identifier.';
COMMENT ON COLUMN commission_credit.period_id IS 'Commission period the credit is booked in (must not be locked when written).';
COMMENT ON COLUMN commission_credit.member_id IS 'Rep credited.';
COMMENT ON COLUMN commission_credit.kind IS 'sales, refunds (reversal of sales: negative), late_sales or late_refunds.';
COMMENT ON COLUMN commission_credit.sold_in IS 'First day of the calendar month the credited lines were sold in.';
COMMENT ON COLUMN commission_credit.lines IS 'Sales lines credited to the rep in this ledger line (a split line counts once for each credited rep).';
COMMENT ON COLUMN commission_credit.amount IS 'Credited amount: >= 0 for sales, <= 0 for refunds.';
COMMENT ON COLUMN commission_credit.created_at IS 'When the line was written.';
CREATE TRIGGER commission_credit_append_only BEFORE UPDATE OR DELETE ON commission_credit
  FOR EACH ROW EXECUTE FUNCTION refuse_change();
ALTER TABLE commission_credit ENABLE ROW LEVEL SECURITY;
CREATE POLICY commission_credit_own ON commission_credit TO sales_supervisor_rep
  USING (member_id = (SELECT sales_supervisor.current_member_id()));
CREATE POLICY commission_credit_subtree ON commission_credit TO sales_supervisor_supervisor, sales_supervisor_manager
  USING (member_id = ANY ((SELECT sales_supervisor.visible_member_ids())::integer[]));
GRANT SELECT ON commission_credit TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_credit'::pg_catalog.regclass, '');
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_credit_credit_id_seq'::pg_catalog.regclass, '');

-- a line's whole split, for whoever sees the line
DROP POLICY sale_credit_own ON sale_credit;
DROP POLICY sale_credit_subtree ON sale_credit;
CREATE POLICY sale_credit_via_sale ON sale_credit
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (sale_id IN (SELECT s.sale_id FROM sales_supervisor.sale s));

CREATE TABLE commission_late_sale (
  sale_id             bigint PRIMARY KEY REFERENCES sale ON DELETE CASCADE,
  queued_at           timestamptz NOT NULL DEFAULT now(),
  credited_period_id  integer REFERENCES fiscal_period ON DELETE RESTRICT
);
CREATE INDEX commission_late_sale_waiting_idx ON commission_late_sale (sale_id) WHERE credited_period_id IS NULL;
COMMENT ON TABLE commission_late_sale IS
'Late sales lines: lines inserted (or moved by an update) into sale dates a commission run already credited. They are queued here by a trigger on sale and credited by the next run_commission(), whatever its period, as late_sales / late_refunds.';
COMMENT ON COLUMN commission_late_sale.sale_id IS 'The late sales line.';
COMMENT ON COLUMN commission_late_sale.queued_at IS 'When it was queued.';
COMMENT ON COLUMN commission_late_sale.credited_period_id IS 'Commission period whose run credited it; NULL while it waits.';

-- The late-line queue shows a line to whoever can see the line.
GRANT SELECT ON commission_late_sale TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
ALTER TABLE commission_late_sale ENABLE ROW LEVEL SECURITY;
CREATE POLICY commission_late_sale_visible ON commission_late_sale
  TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager
  USING (EXISTS (SELECT 1 FROM sales_supervisor.sale s WHERE s.sale_id = commission_late_sale.sale_id));

-- commission_run_gate: one row that every run_commission() updates.  A
-- REPEATABLE READ or SERIALIZABLE transaction that writes sales lines locks it
-- FOR SHARE first, and so fails with a serialization error (40001) instead of
-- writing, from a snapshot older than a run, a line the run did not see into
-- dates the run has locked.  It holds no data: its row is made by CREATE
-- EXTENSION and not dumped.
CREATE TABLE commission_run_gate (
  gate         boolean PRIMARY KEY DEFAULT true CHECK (gate),
  last_run_at  timestamptz
);
INSERT INTO commission_run_gate (gate) VALUES (true);
COMMENT ON TABLE commission_run_gate IS 'One row, updated by every commission run, that snapshot-isolated writers of sales lines lock to detect a run they cannot see (see commission_credited_through()). Holds no data.';
COMMENT ON COLUMN commission_run_gate.gate IS 'Always true: the table has one row.';
COMMENT ON COLUMN commission_run_gate.last_run_at IS 'When the last commission run started.';
-- The gate's one row is made by this script, so pg_dump must not carry it
-- (a restore would insert it a second time): registered with a filter that
-- matches no row.
SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_run_gate'::pg_catalog.regclass, 'WHERE false');

SELECT pg_catalog.pg_extension_config_dump('sales_supervisor.commission_late_sale'::pg_catalog.regclass, '');

-- the 0.1.0 credit lines, per period, rep, kind and month of sale (before the ledger's
-- period-lock trigger exists: these periods are locked)
CREATE TEMP TABLE ss_old_credit_kind ON COMMIT DROP AS
SELECT o.*,
       NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = o.period_id
                   AND o.sold_on BETWEEN l.credited_from AND l.credited_through) AS late,
       o.refund_of IS NOT NULL AS refund
FROM pg_temp.ss_old_credit o;
INSERT INTO commission_credit (period_id, member_id, kind, sold_in, lines, amount, created_at)
SELECT o.period_id, o.member_id,
       CASE WHEN o.late THEN 'late_' ELSE '' END || CASE WHEN o.refund THEN 'refunds' ELSE 'sales' END,
       date_trunc('month', o.sold_on::timestamp)::date, count(*), sum(o.amount), max(o.created_at)
FROM pg_temp.ss_old_credit_kind o
GROUP BY 1, 2, 3, 4
ORDER BY 1, 2, 3, 4;
-- late lines 0.1.0 credited: in the queue, credited by the period that did
INSERT INTO commission_late_sale (sale_id, queued_at, credited_period_id)
SELECT DISTINCT ON (o.line_id) o.line_id, o.created_at, o.period_id
FROM pg_temp.ss_old_credit_kind o
WHERE o.late
ORDER BY o.line_id, o.period_id;
-- lines dated in a credited window that no 0.1.0 run credited: waiting for the next run
INSERT INTO commission_late_sale (sale_id)
SELECT s.sale_id FROM sale s
WHERE EXISTS (SELECT 1 FROM commission_period_lock l WHERE s.sold_on BETWEEN l.credited_from AND l.credited_through)
  AND NOT EXISTS (SELECT 1 FROM pg_temp.ss_old_credit o WHERE o.line_id = s.sale_id)
ON CONFLICT (sale_id) DO NOTHING;
DROP TABLE pg_temp.ss_old_credit_kind;
-- what 0.1.0 credited that the lines as they are now would not give
DO $$
DECLARE
  n bigint;
BEGIN
  SELECT count(DISTINCT x.line_id) INTO n
  FROM (SELECT o.line_id, o.member_id, sum(o.amount) AS amount FROM pg_temp.ss_old_credit o GROUP BY 1, 2) x
  FULL JOIN (SELECT c.sale_id AS line_id, c.member_id, c.amount
             FROM sales_supervisor.credited_sales('-infinity', 'infinity') c
             WHERE c.sale_id = ANY (ARRAY(SELECT DISTINCT o.line_id FROM pg_temp.ss_old_credit o))) y
    ON y.line_id = x.line_id AND y.member_id = x.member_id
  WHERE x.amount IS DISTINCT FROM y.amount;
  IF n > 0 THEN
    RAISE WARNING '% sales lines were credited by 0.1.0 otherwise than 0.2.0 credits them now', n
      USING DETAIL = 'They were edited after they were credited, or are refunds split otherwise than the sale they refund. The ledger keeps what 0.1.0 credited; reports that read the lines (commission_credit_line, credited_sales) show them as they are now.';
  END IF;
END
$$;

-- ---------------------------------------------------------------------------
-- 3. the triggers of the ledger and of the sales lines
-- ---------------------------------------------------------------------------

-- commission_check_period: a payout line may not go into a locked period, and
-- a payout reversal negates the line it reverses (row trigger: a run writes
-- one payout line per plan).
CREATE OR REPLACE FUNCTION commission_check_period()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF is_restoring() THEN
    RETURN NEW;
  END IF;
  IF EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = NEW.period_id) THEN
    RAISE EXCEPTION 'commission period % is locked', NEW.period_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Book the correction in an open period as a reversal line.';
  END IF;
  IF NEW.reverses_id IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM commission_payout p WHERE p.payout_id = NEW.reverses_id
                     AND p.member_id = NEW.member_id AND p.amount = -NEW.amount) THEN
    RAISE EXCEPTION 'payout line % does not reverse line %: member and the negated amount must match',
                    NEW.payout_id, NEW.reverses_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$$;
COMMENT ON FUNCTION commission_check_period() IS 'Trigger: no payout line for a locked commission period; a reversal line negates the line it reverses.';

-- commission_credit_check_period: no credit line for a locked period.  A
-- statement trigger over the inserted lines, so a run's thousands of ledger
-- lines cost one check, not one per line.
CREATE FUNCTION commission_credit_check_period()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_period integer;
BEGIN
  IF is_restoring() THEN
    RETURN NULL;
  END IF;
  SELECT min(n.period_id) INTO v_period
  FROM new_lines n JOIN commission_period_lock l ON l.period_id = n.period_id;
  IF v_period IS NOT NULL THEN
    RAISE EXCEPTION 'commission period % is locked', v_period
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Late sales and refunds are credited by the run of the next open period.';
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION commission_credit_check_period() IS 'Statement trigger: no commission_credit line for a locked commission period.';
CREATE TRIGGER commission_credit_check_period AFTER INSERT ON commission_credit
  REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION commission_credit_check_period();

-- commission_credited_through: the last sale date any commission run has
-- credited (NULL before the first run).  A writer of sales lines outside READ
-- COMMITTED first locks the run gate FOR SHARE: if a run committed after the
-- writer's snapshot, that fails with 40001 (retry), so the writer never acts
-- on a state of the locks older than the runs that already read the sales.
-- (In READ COMMITTED each statement sees every committed run, and a run
-- holds a SHARE lock on sale, so no run is in flight while lines are written.)
CREATE FUNCTION commission_credited_through()
RETURNS date
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    PERFORM 1 FROM commission_run_gate FOR SHARE;
    IF NOT FOUND THEN   -- made after this snapshot (by the update to 0.2.0): as stale as a run
      RAISE EXCEPTION 'could not serialize access: the commission run gate was made after this transaction began'
        USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
    END IF;
  END IF;
  RETURN (SELECT max(l.credited_through) FROM commission_period_lock l);
END
$$;
COMMENT ON FUNCTION commission_credited_through() IS
'The last sale date a commission run has credited (NULL before any run); outside READ COMMITTED it first locks commission_run_gate FOR SHARE, which fails with 40001 if a run committed after the snapshot.';

-- date_is_credited: does a sale date lie in the window of a commission run?
-- (The one place the window test is written; the triggers and sale_is_credited call it.)
CREATE FUNCTION date_is_credited(sold_on date)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  SELECT EXISTS (SELECT 1 FROM sales_supervisor.commission_period_lock l
                 WHERE date_is_credited.sold_on BETWEEN l.credited_from AND l.credited_through);
END;
COMMENT ON FUNCTION date_is_credited(date) IS
'True when the date lies in the window of a commission run (commission_period_lock.credited_from .. credited_through).';

-- sale_is_credited: has a commission run credited this sales line?  Either
-- it was queued as a late line and a run credited it, or it was never queued
-- and its date lies in the window of a run.
CREATE FUNCTION sale_is_credited(sale bigint, sold_on date)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
  SELECT CASE WHEN q.sale_id IS NOT NULL THEN q.credited_period_id IS NOT NULL
              ELSE sales_supervisor.date_is_credited(sale_is_credited.sold_on) END
  FROM (SELECT 1) one
  LEFT JOIN sales_supervisor.commission_late_sale q ON q.sale_id = sale_is_credited.sale
$$;
COMMENT ON FUNCTION sale_is_credited(bigint, date) IS
'True when a commission run has credited the sales line: a queued late line once a run credited it, any other line when its date lies in a run''s window (commission_period_lock.credited_from .. credited_through).';

-- sale_queue_late_lines: lines inserted into sale dates a run already credited
-- are queued for the next run (statement trigger: a bulk load is checked in
-- one pass, and not at all before the first run).  Security definer: whoever
-- may insert sales lines need not be granted the queue.
CREATE FUNCTION sale_queue_late_lines()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_through date;
BEGIN
  IF is_restoring() THEN
    RETURN NULL;
  END IF;
  v_through := commission_credited_through();
  IF v_through IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO commission_late_sale (sale_id)
  SELECT n.sale_id FROM new_lines n
  WHERE n.sold_on <= v_through AND date_is_credited(n.sold_on);
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION sale_queue_late_lines() IS
'Statement trigger on sale: queues in commission_late_sale the inserted lines dated in a window a commission run already credited, so the next run credits them as late lines.';
CREATE TRIGGER sale_queue_late_lines AFTER INSERT ON sale
  REFERENCING NEW TABLE AS new_lines
  FOR EACH STATEMENT EXECUTE FUNCTION sale_queue_late_lines();

-- sale_check_credited: a credited sales line is history.  Its date, rep,
-- amount and refund link cannot change and it cannot be deleted (book a
-- refund line instead); a line not credited yet that an update moves into a
-- credited window is queued as late (and unqueued if moved out of them).
-- Customer and category may be corrected.
CREATE FUNCTION sale_check_credited()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_through date;
BEGIN
  IF is_restoring() THEN
    RETURN coalesce(NEW, OLD);
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.sale_id = OLD.sale_id AND NEW.sold_on = OLD.sold_on AND NEW.member_id = OLD.member_id
     AND NEW.amount = OLD.amount AND NEW.refund_of IS NOT DISTINCT FROM OLD.refund_of THEN
    RETURN NEW;
  END IF;
  v_through := commission_credited_through();
  IF v_through IS NULL THEN
    RETURN coalesce(NEW, OLD);
  END IF;
  IF sale_is_credited(OLD.sale_id, OLD.sold_on) THEN
    RAISE EXCEPTION 'sales line % is credited in a locked commission period: % is not allowed', OLD.sale_id, TG_OP
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Only its customer and category may be corrected.',
            HINT = 'Book a refund line (refund_of) and, if needed, a new line; the next commission run credits both.';
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF NEW.sold_on <= v_through AND date_is_credited(NEW.sold_on) THEN
      INSERT INTO commission_late_sale (sale_id) VALUES (NEW.sale_id) ON CONFLICT (sale_id) DO NOTHING;
    ELSE   -- moved out of the credited windows: its own period's run will credit it
      DELETE FROM commission_late_sale q WHERE q.sale_id = OLD.sale_id AND q.credited_period_id IS NULL;
    END IF;
  END IF;
  RETURN coalesce(NEW, OLD);
END
$$;
COMMENT ON FUNCTION sale_check_credited() IS
'Trigger on sale: a line a commission run credited keeps its date, rep, amount and refund link and is not deleted (55000); an uncredited line moved into a credited window is queued as late.';
CREATE TRIGGER sale_check_credited BEFORE UPDATE OR DELETE ON sale
  FOR EACH ROW EXECUTE FUNCTION sale_check_credited();

-- sale_credit_check_credited: the split of a credited line is history too
-- (statement trigger: bulk loads of splits are checked in one pass).
CREATE FUNCTION sale_credit_check_credited()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  v_sale bigint;
BEGIN
  IF is_restoring() OR commission_credited_through() IS NULL THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    SELECT min(s.sale_id) INTO v_sale FROM (SELECT DISTINCT n.sale_id FROM new_rows n) x
    JOIN sale s ON s.sale_id = x.sale_id WHERE sale_is_credited(s.sale_id, s.sold_on);
  END IF;
  IF v_sale IS NULL AND TG_OP IN ('UPDATE', 'DELETE') THEN
    SELECT min(s.sale_id) INTO v_sale FROM (SELECT DISTINCT o.sale_id FROM old_rows o) x
    JOIN sale s ON s.sale_id = x.sale_id WHERE sale_is_credited(s.sale_id, s.sold_on);
  END IF;
  IF v_sale IS NOT NULL THEN
    RAISE EXCEPTION 'sales line % is credited in a locked commission period: its split cannot change', v_sale
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Book a refund line (refund_of) and a new line with the new split; the next commission run credits both.';
  END IF;
  RETURN NULL;
END
$$;
COMMENT ON FUNCTION sale_credit_check_credited() IS
'Statement trigger on sale_credit: the split of a sales line a commission run credited cannot be inserted, changed or deleted (55000).';
REVOKE ALL ON FUNCTION sale_queue_late_lines(), sale_check_credited(), sale_credit_check_credited() FROM PUBLIC;
CREATE TRIGGER sale_credit_check_credited_ins AFTER INSERT ON sale_credit
  REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sale_credit_check_credited();
CREATE TRIGGER sale_credit_check_credited_upd AFTER UPDATE ON sale_credit
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sale_credit_check_credited();
CREATE TRIGGER sale_credit_check_credited_del AFTER DELETE ON sale_credit
  REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION sale_credit_check_credited();

-- ---------------------------------------------------------------------------
-- 4. run_commission, the lines behind the ledger, the monthly job, the generator
-- ---------------------------------------------------------------------------

CREATE OR REPLACE FUNCTION run_commission(period integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, credited numeric, payout numeric, tiers text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p         fiscal_period;
  y         record;
  v_through date;
  v_from    date;
  gap       fiscal_period;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager', 'sales_supervisor_hr'], 'run commissions');
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'cannot run the commission of period % in a % transaction', period, current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state',
            DETAIL = 'The run locks the sales lines and must then see every line committed before the lock; a repeatable read or serializable snapshot may be older.',
            HINT = 'Run it in a READ COMMITTED transaction (the default).';
  END IF;
  SELECT * INTO p FROM fiscal_period fp WHERE fp.period_id = period FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal period % does not exist', period
      USING ERRCODE = 'no_data_found', HINT = 'Pass a period_id of fiscal_period.';
  END IF;
  LOCK TABLE sale, sale_credit IN SHARE MODE;
  LOCK TABLE commission_credit, commission_payout, commission_late_sale IN SHARE ROW EXCLUSIVE MODE;
  UPDATE commission_run_gate SET last_run_at = clock_timestamp();
  IF EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = period) THEN
    RAISE EXCEPTION 'commission period % is locked', period
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Its commission was already run and paid.',
            HINT = 'Late sales and refunds are credited by the run of the next open period.';
  END IF;
  v_through := (SELECT max(l.credited_through) FROM commission_period_lock l);
  IF v_through >= p.end_on THEN
    RAISE EXCEPTION 'commission period % ends on %, within the sale dates already credited (through %)',
                    period, p.end_on, v_through
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Commission periods are run in date order, of one kind (months, or quarters); a period ending later has been run.',
            HINT = 'Lines dated in credited windows and inserted since are credited by the next run as late lines.';
  END IF;
  SELECT * INTO y FROM year_bounds(p.fiscal_year);
  v_from := greatest(y.start_on, v_through + 1);
  IF v_from > p.end_on THEN
    RAISE EXCEPTION 'commission period % (% .. %) lies before the start of its fiscal year % (%)',
                    period, p.start_on, p.end_on, p.fiscal_year, y.start_on
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Without a fiscal_period of kind year the fiscal year is the calendar year: insert the year period.';
  END IF;
  IF v_through + 1 < y.start_on THEN   -- a gap before this fiscal year: periods there not run yet?
    SELECT * INTO gap FROM fiscal_period e
    WHERE e.kind = p.kind AND e.start_on > v_through AND e.end_on < y.start_on
      AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = e.period_id)
    ORDER BY e.start_on LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'commission period % would leave the sale dates % .. % uncredited', period, v_through + 1, y.start_on - 1
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Commission periods are run in date order; those dates lie in periods not run yet.',
              HINT = format('Run period %s (%s .. %s) first.', gap.period_id, gap.start_on, gap.end_on);
    END IF;
  END IF;
  IF v_from < p.start_on THEN
    RAISE EXCEPTION 'commission period % starts on %, but the sale dates from % are not credited yet', period, p.start_on, v_from
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Commission periods are run in date order, each taking the dates after the one before it; a period run early would take an earlier period''s sales.',
            HINT = coalesce((SELECT format('Run period %s (%s .. %s) first.', e.period_id, e.start_on, e.end_on)
                             FROM fiscal_period e
                             WHERE e.kind = p.kind AND e.end_on >= v_from AND e.end_on < p.start_on
                               AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = e.period_id)
                             ORDER BY e.start_on LIMIT 1),
                            'Run the periods before it first (run_commission_for_month does, oldest first).');
  END IF;

  -- 1. the lines of the window, and 2. the late lines waiting in the queue
  INSERT INTO commission_credit (period_id, member_id, kind, sold_in, lines, amount)
  SELECT period, c.member_id, c.kind, c.sold_in, sum(c.lines), sum(c.amount)
  FROM (SELECT b.member_id, CASE WHEN b.refunds THEN 'refunds' ELSE 'sales' END AS kind, b.month AS sold_in,
               b.lines, b.amount
        FROM credited_sales_by_month(v_from, p.end_on) b
        UNION ALL
        SELECT cs.member_id, CASE WHEN cs.refund_of IS NULL THEN 'late_sales' ELSE 'late_refunds' END,
               date_trunc('month', cs.sold_on::timestamp)::date, 1, cs.amount
        FROM credited_sales('-infinity', 'infinity') cs   -- (the key filter reaches both branches: index probes)
        WHERE cs.sale_id = ANY (ARRAY(SELECT q.sale_id FROM commission_late_sale q WHERE q.credited_period_id IS NULL))) c
  GROUP BY c.member_id, c.kind, c.sold_in
  ORDER BY c.member_id, c.kind, c.sold_in;
  UPDATE commission_late_sale q SET credited_period_id = period WHERE q.credited_period_id IS NULL;

  -- 3. payouts by each rep's tier table on the period's net credit
  INSERT INTO commission_payout (member_id, period_id, amount, note)
  SELECT cp.member_id, period,
         round(tiered_commission(coalesce(n.net, 0), cp.tiers), 2),
         format('tiered commission on net credit %s', coalesce(n.net, 0))
  FROM commission_plan cp
  LEFT JOIN (SELECT cc.member_id, sum(cc.amount) AS net FROM commission_credit cc
             WHERE cc.period_id = period GROUP BY cc.member_id) n ON n.member_id = cp.member_id
  WHERE cp.period_id = period
  ORDER BY cp.member_id;

  -- 4. lock, with the window credited
  INSERT INTO commission_period_lock (period_id, credited_from, credited_through) VALUES (period, v_from, p.end_on);

  -- per rep credited or planned: net credit, payout, tiers (one pass over the
  -- period's lines, grouped: the rows just written have no statistics yet, and
  -- a join planned on none would compare every rep with every payout)
  RETURN QUERY
  SELECT x.member_id, sum(x.credit), sum(x.payout), max(x.tiers)
  FROM (SELECT cc.member_id, cc.amount AS credit, NULL::numeric AS payout, NULL::text AS tiers
        FROM commission_credit cc WHERE cc.period_id = period
        UNION ALL
        SELECT cp.member_id, 0, NULL, cp.tiers::text FROM commission_plan cp WHERE cp.period_id = period
        UNION ALL
        SELECT po.member_id, 0, po.amount, NULL FROM commission_payout po
        WHERE po.period_id = period AND po.reverses_id IS NULL) x
  GROUP BY x.member_id
  ORDER BY x.member_id;
END
$fn$;
COMMENT ON FUNCTION run_commission(integer, name) IS
'Runs the commission of a fiscal period in one transaction: credits the sales lines dated from the day after the last credited date (at the earliest the fiscal year start) to the period end, and the late lines queued in commission_late_sale, to their reps by split in exact cents (allocate_quota), as ledger lines per rep, kind (sales, refunds, late_sales, late_refunds) and month of sale; pays each rep with a commission_plan for the period round(tiered_commission(net credit, tiers), 2) as an append-only payout line; and locks the period with its window. A second run, or a run of a period ending within credited dates, is refused (55000). Returns per rep the net credit, the payout (NULL without a plan) and the tier table. Managers and HR only.';
REVOKE ALL ON FUNCTION run_commission(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION run_commission(integer, name) TO sales_supervisor_manager, sales_supervisor_hr;

-- commission_credit_line: the sales lines behind the ledger, one row per line
-- and credited rep, with the period whose run credited it.  Computed from the
-- lines, their splits, the run windows and the late queue (all immutable once
-- credited), so it always adds up to commission_credit.  Security invoker: a
-- rep sees their own lines, a supervisor their subtree's.
CREATE VIEW commission_credit_line WITH (security_invoker = true) AS
SELECT coalesce(q.credited_period_id, l.period_id) AS period_id,
       cs.sale_id, cs.sold_on, cs.member_id, cs.share_pct, cs.amount,
       CASE WHEN q.sale_id IS NULL THEN '' ELSE 'late_' END
       || CASE WHEN cs.refund_of IS NULL THEN 'sales' ELSE 'refunds' END AS kind
FROM credited_sales('-infinity', 'infinity') cs
LEFT JOIN commission_late_sale q ON q.sale_id = cs.sale_id
LEFT JOIN commission_period_lock l ON q.sale_id IS NULL AND cs.sold_on BETWEEN l.credited_from AND l.credited_through
WHERE q.credited_period_id IS NOT NULL OR l.period_id IS NOT NULL;
COMMENT ON VIEW commission_credit_line IS
'The sales lines behind the commission ledger: per credited line and rep, the commission period whose run credited it, the credited amount in exact cents (the split by allocate_quota) and the ledger kind (sales, refunds, late_sales, late_refunds). Grouped by period, rep and kind it equals commission_credit. Row-level security of the caller applies.';
COMMENT ON COLUMN commission_credit_line.period_id IS 'Commission period whose run credited the line.';
COMMENT ON COLUMN commission_credit_line.sale_id IS 'Sales line.';
COMMENT ON COLUMN commission_credit_line.sold_on IS 'Date of the sales line.';
COMMENT ON COLUMN commission_credit_line.member_id IS 'Rep credited.';
COMMENT ON COLUMN commission_credit_line.share_pct IS 'Share of the line credited to the rep, percent.';
COMMENT ON COLUMN commission_credit_line.amount IS 'Credited amount (negative for a refund line).';
COMMENT ON COLUMN commission_credit_line.kind IS 'Ledger kind the line is counted in.';
GRANT SELECT ON commission_credit_line TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;

-- credit_by_month: credited_sales_by_month(from_date, to_date), read from the
-- ledger where it can be.  A calendar month inside the dates the commission
-- runs have credited holds no line that is neither in the ledger nor waiting
-- in the late queue (the run credited every line dated in its window, later
-- lines are queued, and credited lines and their splits cannot change), so its
-- credit is the ledger's lines sold in it plus the waiting late lines; only
-- the other dates are read line by line.  The sales-year steps read the year
-- through it: once the months are run, the close and next year's allocation
-- read some thousand ledger lines instead of millions of sales lines.
CREATE FUNCTION credit_by_month(from_date date, to_date date)
RETURNS TABLE (member_id integer, month date, refunds boolean, lines bigint, amount numeric)
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v_settled date[];
  r         daterange;
BEGIN
  IF from_date > to_date THEN
    RETURN;
  END IF;
  -- the whole months of [from_date, to_date] within the dates the runs credited
  -- (months searched only between the first and the last credited date, so
  -- infinite bounds are fine)
  SELECT coalesce(array_agg(m.month ORDER BY m.month), '{}') INTO v_settled
  FROM (SELECT coalesce(range_agg(daterange(l.credited_from, l.credited_through, '[]')), '{}'::datemultirange) AS dates,
               greatest(from_date, min(l.credited_from)) AS lo, least(to_date, max(l.credited_through)) AS hi
        FROM commission_period_lock l WHERE l.credited_from IS NOT NULL) c,
       LATERAL (SELECT g::date AS month FROM generate_series(date_trunc('month', c.lo::timestamp), c.hi::timestamp,
                                                             interval '1 month') g) m
  WHERE m.month >= from_date AND (m.month + interval '1 month - 1 day')::date <= to_date
    AND daterange(m.month, (m.month + interval '1 month')::date) <@ c.dates;

  -- those months: their ledger lines and the late lines still waiting
  IF cardinality(v_settled) > 0 THEN
    RETURN QUERY
    SELECT x.member_id, x.month, x.refunds, sum(x.lines)::bigint, sum(x.amount)
    FROM (
      SELECT cc.member_id, cc.sold_in AS month, cc.kind IN ('refunds', 'late_refunds') AS refunds,
             cc.lines::bigint AS lines, cc.amount
      FROM commission_credit cc WHERE cc.sold_in = ANY (v_settled)
      UNION ALL
      SELECT cs.member_id, date_trunc('month', cs.sold_on::timestamp)::date, cs.refund_of IS NOT NULL, 1, cs.amount
      FROM credited_sales('-infinity', 'infinity') cs
      WHERE cs.sale_id = ANY (ARRAY(SELECT q.sale_id FROM commission_late_sale q WHERE q.credited_period_id IS NULL))
        AND date_trunc('month', cs.sold_on::timestamp)::date = ANY (v_settled)
    ) x
    GROUP BY 1, 2, 3
    HAVING sum(x.lines) <> 0;
  END IF;

  -- the other dates, line by line (one call per range, planned for its dates)
  FOR r IN SELECT u FROM unnest(datemultirange(daterange(from_date, to_date, '[]'))
                                - (SELECT coalesce(range_agg(daterange(s, (s + interval '1 month')::date)), '{}'::datemultirange)
                                   FROM unnest(v_settled) s)) u LOOP
    RETURN QUERY SELECT b.member_id, b.month, b.refunds, b.lines, b.amount
                 FROM credited_sales_by_month(lower(r), upper(r) - 1) b;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION credit_by_month(date, date) IS
'Equal to credited_sales_by_month(from_date, to_date), read from the commission ledger for the whole calendar months that commission runs have credited (their ledger lines plus the late lines still waiting) and from the sales lines for the other dates. Internal: the sales-year steps read the year through it.';
REVOKE ALL ON FUNCTION credit_by_month(date, date) FROM PUBLIC;

CREATE OR REPLACE PROCEDURE run_commission_for_month()
LANGUAGE plpgsql
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $$
DECLARE
  p record;
  n bigint;
  done integer := 0;
BEGIN
  -- every month that has ended and is not locked yet, oldest first, so a
  -- missed month is caught up in order before the next one is paid
  FOR p IN SELECT fp.period_id, fp.start_on FROM fiscal_period fp
           WHERE fp.kind = 'month' AND fp.end_on < current_date
             AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = fp.period_id)
             -- (a month ending within dates a run already credited is not run:
             -- its lines went into that run)
             AND fp.end_on > coalesce((SELECT max(l.credited_through) FROM commission_period_lock l), '-infinity')
           ORDER BY fp.start_on LOOP
    SELECT count(*) INTO n FROM run_commission(p.period_id);
    done := done + 1;
    PERFORM job_progress(format('commission run: %s (period %s): %s reps paid',
                                to_char(p.start_on, 'YYYY-MM'), p.period_id, n), n);
  END LOOP;
  IF done = 0 THEN
    PERFORM job_progress('commission run: no ended month is waiting', 0);
  END IF;
END
$$;
COMMENT ON PROCEDURE run_commission_for_month() IS
'Job commission_run (monthly): run_commission() for every ended month period that is not locked and ends after the last credited date, oldest first (catches up missed months); each run credits, pays and locks its period; rows affected = payout lines.';

CREATE OR REPLACE FUNCTION generate_demo_org(seed integer DEFAULT 42, teams integer DEFAULT 12,
                                  depth integer DEFAULT 3, reps integer DEFAULT 60,
                                  customers integer DEFAULT 2000, sales_lines integer DEFAULT 100000,
                                  surveys integer DEFAULT 3000, reviews_per_member integer DEFAULT 4,
                                  year integer DEFAULT 2025, replace boolean DEFAULT false)
RETURNS TABLE (table_name text, row_count bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p_seed    integer := generate_demo_org.seed;
  p_teams   integer := generate_demo_org.teams;
  p_depth   integer := generate_demo_org.depth;
  p_reps    integer := generate_demo_org.reps;
  p_cust    integer := generate_demo_org.customers;
  p_lines   integer := generate_demo_org.sales_lines;
  p_surveys integer := generate_demo_org.surveys;
  p_rpm     integer := generate_demo_org.reviews_per_member;
  p_year    integer := generate_demo_org.year;
  v_roots   integer;
  v_branch  integer := 1;
  v_members integer;
  v_cycle   integer;
  v_n       bigint;
  -- month shares in percent (sum 100): slow first quarter, strong year end
  v_season  numeric[] := ARRAY[6.5, 6.0, 7.5, 8.0, 8.0, 7.5, 7.0, 7.0, 8.5, 9.0, 10.5, 14.5];
  v_cum     double precision[];
  v_tab     text;
  v_col     text;
BEGIN
  -- ---- arguments
  IF p_seed IS NULL OR p_teams IS NULL OR p_depth IS NULL OR p_reps IS NULL OR p_cust IS NULL
     OR p_lines IS NULL OR p_surveys IS NULL OR p_rpm IS NULL OR p_year IS NULL OR replace IS NULL THEN
    RAISE EXCEPTION 'generate_demo_org arguments must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF p_teams < 1 OR p_teams > 100000 THEN
    RAISE EXCEPTION 'teams must be between 1 and 100000, got %', p_teams USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_depth < 1 OR p_depth > 20 THEN
    RAISE EXCEPTION 'depth must be between 1 and 20, got %', p_depth USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_reps < 1 THEN
    RAISE EXCEPTION 'reps must be at least 1, got %', p_reps USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_cust < 1 THEN
    RAISE EXCEPTION 'customers must be at least 1, got %', p_cust USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_lines < 0 OR p_surveys < 0 THEN
    RAISE EXCEPTION 'sales_lines and surveys must not be negative, got % and %', p_lines, p_surveys
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_rpm < 0 OR p_rpm > 20 THEN
    RAISE EXCEPTION 'reviews_per_member must be between 0 and 20, got %', p_rpm USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_year < 1901 OR p_year > 9998 THEN
    RAISE EXCEPTION 'year must be between 1901 and 9998, got %', p_year USING ERRCODE = 'invalid_parameter_value';
  END IF;

  -- ---- empty model, or replace
  IF EXISTS (SELECT 1 FROM team) OR EXISTS (SELECT 1 FROM member) OR EXISTS (SELECT 1 FROM customer)
     OR EXISTS (SELECT 1 FROM sale) OR EXISTS (SELECT 1 FROM fiscal_period)
     OR EXISTS (SELECT 1 FROM appraisal_cycle) OR EXISTS (SELECT 1 FROM visit_cadence)
     OR EXISTS (SELECT 1 FROM product_category) OR EXISTS (SELECT 1 FROM kpi_definition) THEN
    IF NOT replace THEN
      RAISE EXCEPTION 'the data model already holds data'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Call generate_demo_org(..., replace => true) to delete every row (the audit log is kept) and generate again.';
    END IF;
    TRUNCATE team, member, team_leader, visit_cadence, customer, customer_contact, customer_visit, feedback,
      survey_response, product_category, sale, sale_credit, opportunity, fiscal_period, quota,
      seasonal_distribution, forecast, task, training_session, training_attendance, work_report,
      appraisal_cycle, appraisal_component_weight, kpi_definition, kpi_weight, kpi_result, review,
      review_score, grade_policy, appraisal_result, promotion_rule, promotion_candidate, promotion,
      pay, commission_plan, commission_period_lock, commission_credit, commission_late_sale, commission_payout,
      kpi_target, appraisal_consequence, bonus_target
      RESTART IDENTITY;
  END IF;

  SELECT array_agg(s ORDER BY m)::double precision[] INTO v_cum
  FROM (SELECT m, sum(x) OVER (ORDER BY m) / 100 AS s
        FROM unnest(v_season) WITH ORDINALITY AS u(x, m)) c WHERE m < 12;

  -- scratch tables of an earlier call in the same transaction
  FOR v_tab IN SELECT unnest(ARRAY['demo_team', 'demo_member', 'demo_customer', 'demo_team_reps',
                                   'demo_split', 'demo_sold', 'demo_first_customer', 'demo_review']) LOOP
    IF to_regclass('pg_temp.' || v_tab) IS NOT NULL THEN
      EXECUTE format('DROP TABLE pg_temp.%I', v_tab);
    END IF;
  END LOOP;

  -- ---- reference data
  INSERT INTO visit_cadence (tier, every_days, description) VALUES
    ('A', 30, 'key account: visit monthly'),
    ('B', 60, 'important account: visit every two months'),
    ('C', 120, 'regular account: visit every four months');
  INSERT INTO product_category (category_id, name, description)
  SELECT i, n, d FROM (VALUES
    (1, 'Hardware', 'devices and spare parts'), (2, 'Software', 'licences'),
    (3, 'Subscriptions', 'recurring services'), (4, 'Consulting', 'projects and advice'),
    (5, 'Training', 'courses for customers'), (6, 'Support', 'support contracts'),
    (7, 'Consumables', 'supplies'), (8, 'Installation', 'on-site work')) v(i, n, d);

  INSERT INTO fiscal_period (period_id, kind, fiscal_year, quarter, month, start_on, end_on)
  SELECT 1, 'year'::period_kind, p_year, NULL::smallint, NULL::smallint, make_date(p_year, 1, 1), make_date(p_year, 12, 31)
  UNION ALL
  SELECT 1 + q, 'quarter', p_year, q::smallint, NULL, make_date(p_year, 3 * q - 2, 1),
         (make_date(p_year, 3 * q - 2, 1) + interval '3 months' - interval '1 day')::date
  FROM generate_series(1, 4) q
  UNION ALL
  SELECT 5 + m, 'month', p_year, ((m + 2) / 3)::smallint, m::smallint, make_date(p_year, m, 1),
         (make_date(p_year, m, 1) + interval '1 month' - interval '1 day')::date
  FROM generate_series(1, 12) m;

  INSERT INTO seasonal_distribution (name, fiscal_year, month, share_pct)
  SELECT 'default', p_year, m, x FROM unnest(v_season) WITH ORDINALITY AS u(x, m);

  -- ---- team tree: v_roots departments, each team with v_branch children
  -- (heap order), enough levels to hold every team within depth levels.
  v_roots := CASE WHEN p_depth = 1 THEN p_teams ELSE greatest(1, ceil(p_teams / 6.0)::integer) END;
  IF p_depth > 1 THEN
    WHILE (SELECT sum(power(v_branch, l)) * v_roots FROM generate_series(0, p_depth - 1) l) < p_teams LOOP
      v_branch := v_branch + 1;
    END LOOP;
  END IF;
  CREATE TEMP TABLE demo_team ON COMMIT DROP AS
  SELECT k + 1 AS team_id,
         CASE WHEN k < v_roots THEN NULL ELSE (k - v_roots) / v_branch + 1 END AS parent_id
  FROM generate_series(0, p_teams - 1) k;
  ALTER TABLE demo_team ADD COLUMN is_leaf boolean;
  UPDATE demo_team t SET is_leaf = NOT EXISTS (SELECT 1 FROM demo_team c WHERE c.parent_id = t.team_id);

  INSERT INTO team (team_id, name, parent_id, created_on)
  SELECT t.team_id,
         CASE WHEN t.parent_id IS NULL THEN format('Sales Department %s', t.team_id)
              ELSE format('Team %s-%s', t.parent_id, t.team_id) END,
         t.parent_id, make_date(p_year - 6, 1, 1)
  FROM demo_team t ORDER BY t.team_id;

  -- ---- members: the leader of team k is member k; reps follow, spread
  -- round-robin over the leaf teams.  talent drives sales: log-normal around 1,
  -- and 5 % top performers at 1.8x.
  CREATE TEMP TABLE demo_member ON COMMIT DROP AS
  SELECT t.team_id AS member_id, t.team_id, true AS is_leader,
         CASE WHEN t.parent_id IS NULL THEN 'sales_manager'::member_level
              ELSE 'sales_customer_supervisor'::member_level END AS level,
         (SELECT p.team_id FROM demo_team p WHERE p.team_id = t.parent_id) AS manager_id,
         1.0::double precision AS talent
  FROM demo_team t
  UNION ALL
  SELECT p_teams + r, l.team_id, false, 'sales_rep'::member_level, l.team_id,
         exp(0.3 * sqrt(-2 * ln(1 - demo_random(p_seed, r, 1))) * cos(2 * pi() * demo_random(p_seed, r, 2)))
           * CASE WHEN demo_random(p_seed, r, 3) < 0.05 THEN 1.8 ELSE 1 END
  FROM generate_series(1, p_reps) r
  JOIN (SELECT team_id, row_number() OVER (ORDER BY team_id) - 1 AS li, count(*) OVER () AS nl
        FROM demo_team WHERE is_leaf) l
    ON l.li = (r - 1) % l.nl;
  CREATE UNIQUE INDEX ON demo_member (member_id);
  v_members := p_teams + p_reps;

  INSERT INTO member (member_id, full_name, email, level, team_id, manager_id, hire_date, active, login_role)
  SELECT m.member_id,
         format('%s %s',
           (ARRAY['Wei','Fang','Li','Min','Jing','Lei','Yan','Tao','Hui','Jun','Anna','Ben','Chloe','David',
                  'Elena','Farid','Grace','Hugo','Ines','Jonas'])[1 + floor(demo_random(p_seed, m.member_id, 11) * 20)::integer],
           (ARRAY['Wang','Zhang','Liu','Chen','Yang','Huang','Zhao','Wu','Zhou','Xu','Smith','Garcia','Muller',
                  'Rossi','Novak','Silva','Kim','Nguyen','Okafor','Larsen'])[1 + floor(demo_random(p_seed, m.member_id, 12) * 20)::integer]),
         format('member%s@demo.example', m.member_id),
         m.level, m.team_id, m.manager_id,
         make_date(p_year, 1, 1) - (CASE WHEN m.is_leader THEN 1500 ELSE 30 END
                                    + floor(demo_random(p_seed, m.member_id, 13) * 3000))::integer,
         true,
         format('ss_demo_%s', m.member_id)
  FROM demo_member m ORDER BY m.member_id;
  INSERT INTO team_leader (team_id, member_id, since)
  SELECT t.team_id, t.team_id, make_date(p_year - 2, 1, 1) FROM demo_team t ORDER BY t.team_id;

  -- ---- customers: Pareto size (alpha 1.2, capped), owned round-robin by reps.
  CREATE TEMP TABLE demo_customer ON COMMIT DROP AS
  SELECT c AS customer_id,
         least(200.0, power(1 - demo_random(p_seed, c, 21), -1 / 1.2)) AS size,
         demo_random(p_seed, c, 22) AS u_tier,
         p_teams + 1 + (c - 1) % p_reps AS owner_id
  FROM generate_series(1, p_cust) c;
  ALTER TABLE demo_customer ADD COLUMN team_id integer, ADD COLUMN talent double precision,
    ADD COLUMN tier text, ADD COLUMN n_lines bigint, ADD COLUMN first_line bigint;
  UPDATE demo_customer c SET team_id = m.team_id, talent = m.talent,
         tier = CASE WHEN c.size >= 12 THEN 'A' WHEN c.size >= 3 THEN 'B' ELSE 'C' END
  FROM demo_member m WHERE m.member_id = c.owner_id;
  -- sales lines per customer in proportion to size x talent, exact total by largest remainder
  WITH w AS (SELECT customer_id, size * talent AS w, sum(size * talent) OVER () AS tw FROM demo_customer),
       s AS (SELECT customer_id, p_lines * w / tw AS share FROM w),
       f AS (SELECT customer_id, floor(share)::bigint AS base, share - floor(share) AS rem FROM s),
       r AS (SELECT customer_id, base, row_number() OVER (ORDER BY rem DESC, customer_id) AS rk,
                    p_lines - sum(base) OVER () AS left_over FROM f)
  UPDATE demo_customer c SET n_lines = r.base + CASE WHEN r.rk <= r.left_over THEN 1 ELSE 0 END
  FROM r WHERE r.customer_id = c.customer_id;
  WITH x AS (SELECT customer_id, sum(n_lines) OVER (ORDER BY customer_id) - n_lines AS before FROM demo_customer)
  UPDATE demo_customer c SET first_line = x.before + 1 FROM x WHERE x.customer_id = c.customer_id;

  INSERT INTO customer (customer_id, name, industry, region, tier, team_id, owner_id, since, profile, active)
  SELECT c.customer_id,
         format('%s %s %s',
           (ARRAY['Northern','Eastern','Golden','Blue','Pacific','United','Grand','Silver','Bright','Prime'])
             [1 + floor(demo_random(p_seed, c.customer_id, 23) * 10)::integer],
           (ARRAY['Textile','Foods','Logistics','Motors','Pharma','Retail','Energy','Machinery','Optics','Chemicals'])
             [1 + floor(demo_random(p_seed, c.customer_id, 24) * 10)::integer],
           c.customer_id),
         (ARRAY['manufacturing','retail','logistics','healthcare','energy','services'])
           [1 + floor(demo_random(p_seed, c.customer_id, 25) * 6)::integer],
         (ARRAY['North','South','East','West','Central'])[1 + floor(demo_random(p_seed, c.customer_id, 26) * 5)::integer],
         c.tier, c.team_id, c.owner_id,
         make_date(p_year, 1, 1) - floor(demo_random(p_seed, c.customer_id, 27) * 2500)::integer,
         format('size index %s', round(c.size::numeric, 2)),
         true
  FROM demo_customer c ORDER BY c.customer_id;

  INSERT INTO customer_contact (customer_id, full_name, job_title, email, phone, is_primary)
  SELECT c.customer_id, format('Contact %s-%s', c.customer_id, k),
         (ARRAY['Purchasing manager','CEO','CFO','Operations lead','IT manager'])[1 + (c.customer_id + k) % 5],
         format('contact%s.%s@customer.example', c.customer_id, k),
         format('+86 10 %s', 10000000 + c.customer_id * 7 + k),
         k = 1
  FROM demo_customer c
  CROSS JOIN LATERAL generate_series(1, 1 + floor(demo_random(p_seed, c.customer_id, 28) * 3)::integer) k
  ORDER BY c.customer_id, k;

  -- ---- return visits at the tier's cadence through the year; 90 % done, the rest still planned
  INSERT INTO customer_visit (customer_id, member_id, planned_on, done_at, outcome)
  SELECT v.customer_id, v.owner_id, v.planned_on,
         CASE WHEN v.done THEN v.planned_on + time '10:00' + make_interval(days => v.delay) END,
         CASE WHEN v.done THEN (ARRAY['order discussed','needs collected','complaint handled','relationship call'])
                                 [1 + (v.customer_id + v.k) % 4] END
  FROM (SELECT c.customer_id, c.owner_id, k,
               make_date(p_year, 1, 1) + (k - 1) * vc.every_days
                 + floor(demo_random(p_seed, c.customer_id * 64 + k, 31) * 10)::integer AS planned_on,
               demo_random(p_seed, c.customer_id * 64 + k, 32) < 0.9 AS done,
               floor(demo_random(p_seed, c.customer_id * 64 + k, 33) * 4)::integer AS delay
        FROM demo_customer c JOIN visit_cadence vc ON vc.tier = c.tier
        CROSS JOIN LATERAL generate_series(1, 365 / vc.every_days) k) v
  ORDER BY v.customer_id, v.k;

  -- ---- feedback: about one item per ten customers
  INSERT INTO feedback (customer_id, member_id, kind, status, summary, opened_at, resolved_at)
  SELECT f.customer_id, f.owner_id, f.kind, f.status,
         format('%s about order %s', f.kind, f.i), f.opened_at,
         CASE WHEN f.status IN ('resolved', 'rejected')
              THEN f.opened_at + make_interval(hours => 2 + floor(demo_random(p_seed, f.i, 44) * 300)::integer) END
  FROM (SELECT i, c.customer_id, c.owner_id,
               (ARRAY['complaint','complaint','suggestion','praise'])[1 + floor(demo_random(p_seed, i, 41) * 4)::integer]::feedback_kind AS kind,
               (ARRAY['resolved','resolved','resolved','rejected','in_progress','open'])[1 + floor(demo_random(p_seed, i, 42) * 6)::integer]::feedback_status AS status,
               make_date(p_year, 1, 1) + time '09:00' + make_interval(days => floor(demo_random(p_seed, i, 43) * 360)::integer) AS opened_at
        FROM generate_series(1, greatest(1, p_cust / 10)) i
        JOIN demo_customer c ON c.customer_id = 1 + floor(demo_random(p_seed, i, 40) * p_cust)::integer) f
  ORDER BY f.i;

  -- ---- surveys: CSAT skewed to 4-5, NPS skewed high, talent nudges both
  INSERT INTO survey_response (customer_id, member_id, answered_at, csat, nps)
  SELECT c.customer_id, c.owner_id,
         make_date(p_year, 1, 1) + time '12:00' + make_interval(days => floor(demo_random(p_seed, i, 51) * 364)::integer),
         CASE WHEN demo_random(p_seed, i, 52) < 0.9 THEN
           least(5, greatest(1, round(3.9 + 0.6 * (c.talent - 1) + 1.1 * sqrt(-2 * ln(1 - demo_random(p_seed, i, 53)))
                                              * cos(2 * pi() * demo_random(p_seed, i, 54)))))::smallint END,
         CASE WHEN demo_random(p_seed, i, 55) < 0.8 THEN
           least(10, greatest(0, round(7.8 + 1.0 * (c.talent - 1) + 2.0 * sqrt(-2 * ln(1 - demo_random(p_seed, i, 56)))
                                               * cos(2 * pi() * demo_random(p_seed, i, 57)))))::smallint
           ELSE CASE WHEN demo_random(p_seed, i, 52) >= 0.9 THEN 8::smallint END END
  FROM generate_series(1, p_surveys) i
  JOIN demo_customer c ON c.customer_id = 1 + floor(demo_random(p_seed, i, 50) * p_cust)::integer
  ORDER BY i;

  -- ---- sales lines.  For speed on millions of rows the three foreign keys and
  -- the secondary indexes of sale are dropped and re-created (and so
  -- re-validated by PostgreSQL) after one set-based INSERT.
  PERFORM set_config('maintenance_work_mem', '512MB', true);
  ALTER TABLE sale DROP CONSTRAINT sale_member_fk, DROP CONSTRAINT sale_customer_fk,
    DROP CONSTRAINT sale_category_fk;
  DROP INDEX sale_member_idx, sale_customer_idx, sale_sold_on_brin;
  PERFORM set_config('work_mem', '256MB', true);
  INSERT INTO sale (sale_id, sold_on, member_id, customer_id, category_id, amount)
  SELECT row_number() OVER (ORDER BY l.sold_on, l.customer_id, l.g), l.sold_on, l.owner_id, l.customer_id,
         l.category, l.amount
  FROM (
  SELECT c.customer_id, g, c.owner_id,
         make_date(p_year, x.month, 1)
           + floor(demo_random(p_seed, c.first_line + g, 62)
                   * extract(day from make_date(p_year, x.month, 1) + interval '1 month' - interval '1 day'))::integer
           AS sold_on,
         x.category,
         greatest(1.00, round((350 * c.talent * x.cat_factor
                               * exp(0.8 * sqrt(-2 * ln(1 - demo_random(p_seed, c.first_line + g, 64)))
                                         * cos(2 * pi() * demo_random(p_seed, c.first_line + g, 65))))::numeric, 2)) AS amount
  FROM demo_customer c
  CROSS JOIN LATERAL generate_series(1, c.n_lines) g
  CROSS JOIN LATERAL (
    SELECT width_bucket(demo_random(p_seed, c.first_line + g, 61), v_cum) + 1 AS month,
           k.category, k.cat_factor
    FROM (SELECT width_bucket(demo_random(p_seed, c.first_line + g, 63),
                              ARRAY[0.30, 0.45, 0.60, 0.70, 0.80, 0.88, 0.95]::double precision[]) + 1 AS category) k0
    CROSS JOIN LATERAL (SELECT k0.category,
                               (ARRAY[2.0, 1.5, 0.8, 3.0, 0.6, 0.9, 0.3, 1.2])[k0.category] AS cat_factor) k) x
  WHERE c.n_lines > 0) l
  ORDER BY l.sold_on, l.customer_id, l.g;
  PERFORM setval(pg_get_serial_sequence('sales_supervisor.sale', 'sale_id'),
                 greatest(1, (SELECT max(sale_id) FROM sale)), (SELECT count(*) > 0 FROM sale));

  -- refunds: 1 % of the lines are refunded in full two weeks later (within the year)
  INSERT INTO sale (sold_on, member_id, customer_id, category_id, amount, refund_of)
  SELECT least(s.sold_on + 14, make_date(p_year, 12, 31)), s.member_id, s.customer_id, s.category_id,
         -s.amount, s.sale_id
  FROM sale s
  WHERE demo_random(p_seed, s.sale_id, 66) < 0.01
  ORDER BY s.sale_id;

  CREATE INDEX sale_member_idx ON sale (member_id, sold_on);
  CREATE INDEX sale_customer_idx ON sale (customer_id, sold_on);
  CREATE INDEX sale_sold_on_brin ON sale USING brin (sold_on);
  ALTER TABLE sale
    ADD CONSTRAINT sale_member_fk FOREIGN KEY (member_id) REFERENCES member ON DELETE RESTRICT,
    ADD CONSTRAINT sale_customer_fk FOREIGN KEY (customer_id) REFERENCES customer ON DELETE RESTRICT,
    ADD CONSTRAINT sale_category_fk FOREIGN KEY (category_id) REFERENCES product_category ON DELETE RESTRICT;

  -- split credit: 3 % of the sales lines are shared with a teammate (60/40 or 50/50)
  CREATE TEMP TABLE demo_team_reps ON COMMIT DROP AS
  SELECT team_id, array_agg(member_id ORDER BY member_id) AS reps
  FROM demo_member WHERE NOT is_leader GROUP BY team_id HAVING count(*) > 1;
  CREATE TEMP TABLE demo_split ON COMMIT DROP AS
  SELECT s.sale_id, s.member_id AS main_id,
         tr.reps[1 + (array_position(tr.reps, s.member_id) - 1
                      + 1 + floor(demo_random(p_seed, s.sale_id, 68) * (cardinality(tr.reps) - 1))::integer)
                     % cardinality(tr.reps)] AS other_id,
         CASE WHEN demo_random(p_seed, s.sale_id, 69) < 0.5 THEN 60.00 ELSE 50.00 END AS main_pct
  FROM sale s
  JOIN demo_member m ON m.member_id = s.member_id
  JOIN demo_team_reps tr ON tr.team_id = m.team_id
  WHERE s.refund_of IS NULL AND demo_random(p_seed, s.sale_id, 67) < 0.03;
  INSERT INTO sale_credit (sale_id, member_id, share_pct)
  SELECT sale_id, main_id, main_pct FROM demo_split
  UNION ALL
  SELECT sale_id, other_id, 100 - main_pct FROM demo_split
  ORDER BY 1, 2;
  -- a refund is split like the line it refunds
  INSERT INTO sale_credit (sale_id, member_id, share_pct)
  SELECT r.sale_id, sc.member_id, sc.share_pct
  FROM sale r JOIN sale_credit sc ON sc.sale_id = r.refund_of
  ORDER BY 1, 2;

  CREATE TEMP TABLE demo_sold ON COMMIT DROP AS
  SELECT s.member_id, extract(quarter FROM s.sold_on)::integer AS quarter, sum(s.amount) AS sold
  FROM sale s GROUP BY 1, 2;

  -- ---- pipeline: one opportunity per five customers
  INSERT INTO opportunity (customer_id, member_id, name, stage, amount, probability, created_on, expected_close, closed_on)
  SELECT o.customer_id, o.owner_id, format('Deal %s', o.i), o.stage,
         round((2000 + 30000 * o.size / 10 * demo_random(p_seed, o.i, 73))::numeric, 2),
         CASE o.stage WHEN 'won' THEN 100 WHEN 'lost' THEN 0 WHEN 'prospecting' THEN 10
                      WHEN 'qualification' THEN 25 WHEN 'proposal' THEN 50 ELSE 75 END,
         o.created_on, o.created_on + 30 + floor(demo_random(p_seed, o.i, 74) * 120)::integer,
         CASE WHEN o.stage IN ('won', 'lost') THEN o.created_on + 20 + floor(demo_random(p_seed, o.i, 75) * 60)::integer END
  FROM (SELECT i, c.customer_id, c.owner_id, c.size,
               (ARRAY['prospecting','qualification','proposal','negotiation','won','won','lost','lost'])
                 [1 + floor(demo_random(p_seed, i, 71) * 8)::integer]::opportunity_stage AS stage,
               make_date(p_year, 1, 1) + floor(demo_random(p_seed, i, 72) * 300)::integer AS created_on
        FROM generate_series(1, greatest(1, p_cust / 5)) i
        JOIN demo_customer c ON c.customer_id = 1 + floor(demo_random(p_seed, i, 70) * p_cust)::integer) o
  ORDER BY o.i;

  -- ---- forecasts: each rep forecasts each quarter within -20 %..+25 % of what they then sold
  INSERT INTO forecast (member_id, period_id, amount, submitted_at)
  SELECT m.member_id, fp.period_id,
         round(coalesce(a.sold, 0) * (0.8 + 0.45 * demo_random(p_seed, m.member_id * 8 + fp.quarter, 80))::numeric, 2),
         fp.start_on - 7 + time '17:00'
  FROM demo_member m
  CROSS JOIN fiscal_period fp
  LEFT JOIN demo_sold a ON a.member_id = m.member_id AND a.quarter = fp.quarter
  WHERE NOT m.is_leader AND fp.kind = 'quarter'
  ORDER BY m.member_id, fp.period_id;

  -- ---- tasks, training, work reports
  CREATE TEMP TABLE demo_first_customer ON COMMIT DROP AS
  SELECT owner_id, min(customer_id) AS customer_id FROM demo_customer GROUP BY owner_id;
  CREATE UNIQUE INDEX ON demo_first_customer (owner_id);
  INSERT INTO task (title, assigned_to, assigned_by, customer_id, due_on, status, created_at, done_at)
  SELECT format('Follow up %s', t.k), t.member_id, t.manager_id,
         (SELECT fc.customer_id FROM demo_first_customer fc WHERE fc.owner_id = t.member_id),
         t.due_on, t.status, t.due_on - 14 + time '09:00',
         CASE WHEN t.status = 'done' THEN t.due_on - 1 + time '16:00' END
  FROM (SELECT m.member_id, m.manager_id, k,
               make_date(p_year, 1, 1) + 20 + k * 60 + floor(demo_random(p_seed, m.member_id * 8 + k, 90) * 20)::integer AS due_on,
               (ARRAY['done','done','done','in_progress','open','cancelled'])
                 [1 + floor(demo_random(p_seed, m.member_id * 8 + k, 91) * 6)::integer]::task_status AS status
        FROM demo_member m CROSS JOIN generate_series(1, 5) k
        WHERE m.manager_id IS NOT NULL) t
  ORDER BY t.member_id, t.k;

  INSERT INTO training_session (session_id, title, topic, held_on, hours, trainer_id, team_id)
  SELECT (t.team_id - 1) * 2 + k, format('%s training for team %s', tp, t.team_id), tp,
         make_date(p_year, 1 + 5 * k, 10) + (t.team_id % 20), 4 * k, t.team_id, t.team_id
  FROM demo_team t CROSS JOIN generate_series(1, 2) k
  CROSS JOIN LATERAL (SELECT (ARRAY['negotiation','product'])[k] AS tp) x
  WHERE t.is_leaf
  ORDER BY 1;
  INSERT INTO training_attendance (session_id, member_id, attended, score)
  SELECT ts.session_id, m.member_id, a.attended,
         CASE WHEN a.attended THEN round((55 + 45 * demo_random(p_seed, ts.session_id * 100000 + m.member_id, 101))::numeric, 1) END
  FROM training_session ts
  JOIN demo_member m ON m.team_id = ts.team_id AND NOT m.is_leader
  CROSS JOIN LATERAL (SELECT demo_random(p_seed, ts.session_id * 100000 + m.member_id, 100) < 0.9 AS attended) a
  ORDER BY 1, 2;

  INSERT INTO work_report (member_id, kind, due_on, submitted_at, body)
  SELECT w.member_id, 'monthly', w.due_on, w.submitted_at,
         CASE WHEN w.submitted_at IS NOT NULL THEN format('report of %s for %s', w.member_id, to_char(w.due_on, 'YYYY-MM')) END
  FROM (SELECT m.member_id, fp.end_on AS due_on,
               CASE WHEN demo_random(p_seed, m.member_id * 16 + fp.month, 110) < 0.95
                    THEN fp.end_on + time '18:00'
                         + make_interval(days => floor(demo_random(p_seed, m.member_id * 16 + fp.month, 111) * 3)::integer
                                                 * (demo_random(p_seed, m.member_id * 16 + fp.month, 112) < 0.2)::integer - 1)
               END AS submitted_at
        FROM demo_member m JOIN fiscal_period fp ON fp.kind = 'month') w
  ORDER BY w.member_id, w.due_on;

  -- ---- appraisal configuration and reviews
  INSERT INTO appraisal_cycle (fiscal_year, name, rating_scale_min, rating_scale_max, opened_at)
  VALUES (p_year, format('Appraisal %s', p_year), 1, 5, make_date(p_year, 12, 1) + time '09:00')
  RETURNING cycle_id INTO v_cycle;

  INSERT INTO appraisal_component_weight (cycle_id, level, component, weight)
  SELECT v_cycle, l::member_level, c::appraisal_component, w
  FROM (VALUES
    ('sales_rep', 'team_performance', 10), ('sales_rep', 'individual_performance', 60),
    ('sales_rep', 'customer_satisfaction', 30),
    ('sales_customer_supervisor', 'team_performance', 40), ('sales_customer_supervisor', 'individual_performance', 20),
    ('sales_customer_supervisor', 'team_management', 25), ('sales_customer_supervisor', 'customer_satisfaction', 15),
    ('sales_manager', 'team_performance', 50), ('sales_manager', 'team_management', 30),
    ('sales_manager', 'customer_satisfaction', 20),
    ('sales_director', 'team_performance', 60), ('sales_director', 'team_management', 40),
    ('customer_director', 'team_performance', 30), ('customer_director', 'team_management', 30),
    ('customer_director', 'customer_satisfaction', 40)) v(l, c, w);

  INSERT INTO kpi_definition (kpi_id, code, name, metric, higher_is_better, curve, component, unit) VALUES
    (1, 'sales_amount', 'Sales against quota', 'sales_amount', true,
        'linear[(0.5,0),(1,100),(1.5,150)]', 'individual_performance', 'CNY'),
    (2, 'visits_done', 'Return visits done against plan', 'visits_done', true,
        'linear[(0,0),(1,100)]', 'individual_performance', 'visits'),
    (3, 'forecast_error', 'Forecast error (WAPE) against tolerance', 'forecast_wape', false,
        'linear[(0,0),(1,100),(1.2,110)]', 'individual_performance', 'ratio'),
    (4, 'csat', 'Share of satisfied customers against target', 'csat', true,
        'linear[(0.8,0),(1,100),(1.1,120)]', 'customer_satisfaction', 'percent'),
    (5, 'team_sales', 'Team sales against team quota', 'team_sales_amount', true,
        'linear[(0.5,0),(1,100),(1.5,150)]', 'team_performance', 'CNY');
  INSERT INTO kpi_weight (cycle_id, level, kpi_id, weight)
  SELECT v_cycle, l::member_level, k, w
  FROM (VALUES ('sales_rep', 1, 60), ('sales_rep', 2, 20), ('sales_rep', 3, 20),
               ('sales_customer_supervisor', 5, 70), ('sales_customer_supervisor', 4, 30),
               ('sales_manager', 5, 80), ('sales_manager', 4, 20)) v(l, k, w);

  INSERT INTO grade_policy (cycle_id, grade, ordinal, distribution_pct, raise_pct, bonus_multiplier, reward_or_penalty)
  VALUES (v_cycle, 'A', 1, 20, 8, 1.5, 5000), (v_cycle, 'B', 2, 30, 5, 1.2, 2000),
         (v_cycle, 'C', 3, 40, 3, 1.0, 0), (v_cycle, 'D', 4, 10, 0, 0.5, -1000);
  INSERT INTO promotion_rule (from_level, to_level, qualifying_grades, consecutive_years, min_tenure_months) VALUES
    ('sales_rep', 'sales_customer_supervisor', '{A}', 2, 24),
    ('sales_customer_supervisor', 'sales_manager', '{A}', 2, 36),
    ('sales_manager', 'sales_director', '{A}', 3, 60),
    ('sales_manager', 'customer_director', '{A}', 3, 60);

  UPDATE appraisal_cycle SET state = 'reviewing' WHERE cycle_id = v_cycle;

  -- reviews: a self review, then up to reviews_per_member reviews by others:
  -- the supervisor (line manager) first, then peers from the same team (reps)
  -- or subordinates (leaders).
  CREATE TEMP TABLE demo_review ON COMMIT DROP AS
  WITH plan AS (
    SELECT m.member_id AS reviewee_id, m.member_id AS reviewer_id, 'self'::rater_role AS rater_role, 1 AS ord
    FROM demo_member m
    UNION ALL
    SELECT m.member_id, m.manager_id, 'supervisor', 2 FROM demo_member m WHERE m.manager_id IS NOT NULL
    UNION ALL
    SELECT m.member_id, tr.reps[1 + (array_position(tr.reps, m.member_id) - 1 + k) % cardinality(tr.reps)],
           'peer', 2 + k
    FROM demo_member m JOIN demo_team_reps tr ON tr.team_id = m.team_id
    CROSS JOIN generate_series(1, least(cardinality(tr.reps) - 1, greatest(p_rpm - 1, 0))) k
    WHERE NOT m.is_leader
    UNION ALL
    SELECT l.member_id, s.member_id, 'subordinate', 2 + s.rk
    FROM demo_member l
    JOIN (SELECT member_id, manager_id, row_number() OVER (PARTITION BY manager_id ORDER BY member_id) AS rk
          FROM demo_member) s ON s.manager_id = l.member_id AND s.rk <= greatest(p_rpm - 1, 0)
    WHERE l.is_leader)
  SELECT row_number() OVER (ORDER BY reviewee_id, ord, reviewer_id) AS review_id, p.*
  FROM plan p
  WHERE ord <= p_rpm + 1;
  INSERT INTO review (review_id, cycle_id, reviewer_id, reviewee_id, rater_role, comment, submitted_at)
  SELECT r.review_id, v_cycle, r.reviewer_id, r.reviewee_id, r.rater_role,
         format('%s review of member %s', r.rater_role, r.reviewee_id),
         make_date(p_year, 12, 5) + time '10:00' + make_interval(hours => (r.review_id % 200)::integer)
  FROM demo_review r ORDER BY r.review_id;
  INSERT INTO review_score (review_id, criterion, score)
  SELECT r.review_id, cr,
         least(5, greatest(1, round((3.2 + 1.2 * (m.talent - 1)
                                    + CASE WHEN r.rater_role = 'self' THEN 0.4 ELSE 0 END
                                    + 0.8 * (demo_random(p_seed, r.review_id * 8 + ci, 120) - 0.5) * 2)::numeric, 1)))
  FROM demo_review r
  JOIN demo_member m ON m.member_id = r.reviewee_id
  CROSS JOIN unnest(ARRAY['results','customer_focus','teamwork','growth']) WITH ORDINALITY AS c(cr, ci)
  ORDER BY r.review_id, ci;

  -- ---- pay: base by level, commission about 3 % of net sales
  INSERT INTO pay (member_id, fiscal_year, base_salary, commission, year_end_bonus)
  SELECT m.member_id, p_year,
         CASE m.level WHEN 'sales_rep' THEN 96000 WHEN 'sales_customer_supervisor' THEN 156000 ELSE 240000 END
           + 1000 * floor(demo_random(p_seed, m.member_id, 130) * 24),
         round(0.03 * coalesce((SELECT sum(d.sold) FROM demo_sold d WHERE d.member_id = m.member_id), 0), 2),
         0
  FROM demo_member m ORDER BY m.member_id;

  -- ---- identity sequences continue after the explicit ids
  FOR v_tab, v_col IN SELECT * FROM (VALUES ('team', 'team_id'), ('member', 'member_id'),
      ('product_category', 'category_id'), ('fiscal_period', 'period_id'), ('customer', 'customer_id'),
      ('sale', 'sale_id'), ('training_session', 'session_id'), ('kpi_definition', 'kpi_id'),
      ('review', 'review_id')) v LOOP
    EXECUTE format('SELECT setval(pg_get_serial_sequence(%L, %L), greatest(1, (SELECT max(%I) FROM sales_supervisor.%I)))',
                   'sales_supervisor.' || v_tab, v_col, v_col, v_tab);
  END LOOP;

  -- ---- what was made
  FOR v_tab IN SELECT unnest(ARRAY['team', 'member', 'customer', 'customer_contact', 'customer_visit',
                                   'feedback', 'survey_response', 'sale', 'sale_credit', 'opportunity',
                                   'forecast', 'task', 'training_session', 'training_attendance',
                                   'work_report', 'review', 'review_score', 'pay']) LOOP
    EXECUTE format('SELECT count(*) FROM sales_supervisor.%I', v_tab) INTO v_n;
    table_name := v_tab;
    row_count := v_n;
    RETURN NEXT;
  END LOOP;
END
$fn$;

-- ---------------------------------------------------------------------------
-- 5. the reports credit split lines in exact cents, like the KPIs and the
--    commission (credited_sales): the materialized view is redefined and the
--    views built on it with it
-- ---------------------------------------------------------------------------

DROP VIEW v_rep_sales_month, v_rep_attainment, v_team_attainment, v_pipeline, v_forecast_accuracy,
  v_customer_health, v_team_scorecard, v_grade_distribution, v_promotion_pipeline, v_pay_summary, v_job_status;
DROP MATERIALIZED VIEW v_credited_sales_daily;

CREATE MATERIALIZED VIEW v_credited_sales_daily AS
SELECT cs.member_id,
       cs.sold_on,
       sum(cs.amount) AS credited_amount,
       count(*) AS sales_lines,
       count(*) FILTER (WHERE cs.refund_of IS NOT NULL) AS refund_lines,
       count(*) FILTER (WHERE cs.share_pct < 100) AS split_lines
FROM credited_sales('-infinity', 'infinity') cs
GROUP BY 1, 2;
CREATE UNIQUE INDEX v_credited_sales_daily_key ON v_credited_sales_daily (member_id, sold_on);
CREATE INDEX v_credited_sales_daily_sold_on_idx ON v_credited_sales_daily (sold_on);
COMMENT ON MATERIALIZED VIEW v_credited_sales_daily IS
'Materialized: sales credited to each rep per day as credited_sales credits them (a split line divided between its reps in exact cents), refunds negative. As fresh as the last run of the refresh_reports job (REFRESH MATERIALIZED VIEW CONCURRENTLY).';
COMMENT ON COLUMN v_credited_sales_daily.member_id IS 'Rep credited.';
COMMENT ON COLUMN v_credited_sales_daily.sold_on IS 'Day of the sales lines.';
COMMENT ON COLUMN v_credited_sales_daily.credited_amount IS 'Sum of the credited amounts (exact numeric, refunds negative).';
COMMENT ON COLUMN v_credited_sales_daily.sales_lines IS 'Sales lines credited to the rep that day (a split line counts once for each credited rep).';
COMMENT ON COLUMN v_credited_sales_daily.refund_lines IS 'Of those, refund or cancellation lines.';
COMMENT ON COLUMN v_credited_sales_daily.split_lines IS 'Of those, lines whose credit is split between reps.';

CREATE VIEW v_rep_sales_month AS
SELECT d.member_id, m.full_name, m.team_id, date_trunc('month', d.sold_on)::date AS month,
       sum(d.credited_amount) AS credited_amount, sum(d.sales_lines) AS sales_lines,
       sum(d.refund_lines) AS refund_lines, sum(d.split_lines) AS split_lines
FROM v_credited_sales_daily d
JOIN member m ON m.member_id = d.member_id
GROUP BY d.member_id, m.full_name, m.team_id, date_trunc('month', d.sold_on);
COMMENT ON VIEW v_rep_sales_month IS
'Sales credited to each rep per calendar month (from the materialized v_credited_sales_daily: as fresh as its last refresh).';
COMMENT ON COLUMN v_rep_sales_month.member_id IS 'Rep credited.';
COMMENT ON COLUMN v_rep_sales_month.full_name IS 'Rep''s name.';
COMMENT ON COLUMN v_rep_sales_month.team_id IS 'Rep''s current team.';
COMMENT ON COLUMN v_rep_sales_month.month IS 'First day of the calendar month.';
COMMENT ON COLUMN v_rep_sales_month.credited_amount IS 'Credited sales in the month (split credit, refunds negative).';
COMMENT ON COLUMN v_rep_sales_month.sales_lines IS 'Sales lines credited in the month.';
COMMENT ON COLUMN v_rep_sales_month.refund_lines IS 'Of those, refund lines.';
COMMENT ON COLUMN v_rep_sales_month.split_lines IS 'Of those, split lines.';

-- ---------------------------------------------------------------------------
-- Attainment against quota, per rep and per team, by fiscal period
-- ---------------------------------------------------------------------------

CREATE VIEW v_rep_attainment AS
SELECT fp.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.quarter, fp.month, fp.start_on, fp.end_on,
       m.member_id, m.full_name, m.team_id, m.level,
       q.amount AS quota, s.credited_sales, s.sales_lines,
       kpi_attainment(s.credited_sales, q.amount) AS attainment
FROM fiscal_period fp
CROSS JOIN member m
LEFT JOIN quota q ON q.member_id = m.member_id AND q.period_id = fp.period_id
CROSS JOIN LATERAL (
  SELECT coalesce(sum(d.credited_amount), 0) AS credited_sales, coalesce(sum(d.sales_lines), 0) AS sales_lines
  FROM v_credited_sales_daily d
  WHERE d.member_id = m.member_id AND d.sold_on BETWEEN fp.start_on AND fp.end_on) s
WHERE q.quota_id IS NOT NULL OR s.sales_lines > 0;
COMMENT ON VIEW v_rep_attainment IS
'Attainment of each rep per fiscal period (year, quarter, month): credited sales (split credit, refunds netted) against the rep''s quota, kpi_attainment(sales, quota). One row per member and period where the member has a quota or sales. Sales come from the materialized v_credited_sales_daily.';
COMMENT ON COLUMN v_rep_attainment.period_id IS 'Fiscal period.';
COMMENT ON COLUMN v_rep_attainment.period_kind IS 'year, quarter or month.';
COMMENT ON COLUMN v_rep_attainment.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_rep_attainment.quarter IS 'Quarter 1..4 (NULL for a year).';
COMMENT ON COLUMN v_rep_attainment.month IS 'Month 1..12 (months only).';
COMMENT ON COLUMN v_rep_attainment.start_on IS 'First day of the period.';
COMMENT ON COLUMN v_rep_attainment.end_on IS 'Last day of the period (inclusive).';
COMMENT ON COLUMN v_rep_attainment.member_id IS 'Member (rep).';
COMMENT ON COLUMN v_rep_attainment.full_name IS 'Member''s name.';
COMMENT ON COLUMN v_rep_attainment.team_id IS 'Member''s current team.';
COMMENT ON COLUMN v_rep_attainment.level IS 'Member''s current career level.';
COMMENT ON COLUMN v_rep_attainment.quota IS 'Quota of the member for the period; NULL when none is set.';
COMMENT ON COLUMN v_rep_attainment.credited_sales IS 'Sales credited to the member within the period (0 when none).';
COMMENT ON COLUMN v_rep_attainment.sales_lines IS 'Sales lines credited within the period.';
COMMENT ON COLUMN v_rep_attainment.attainment IS 'kpi_attainment(credited_sales, quota): 1.0 = quota met; NULL without a quota or with a zero quota.';

CREATE VIEW v_team_attainment AS
WITH RECURSIVE subtree(team_id, sub_team_id, depth) AS (
  SELECT t.team_id, t.team_id, 0 FROM team t
  UNION ALL
  SELECT st.team_id, c.team_id, st.depth + 1
  FROM subtree st JOIN team c ON c.parent_id = st.sub_team_id
  WHERE st.depth < 1000),
rep_period AS (
  SELECT fp.period_id, d.member_id, sum(d.credited_amount) AS credited, sum(d.sales_lines) AS lines
  FROM fiscal_period fp
  JOIN v_credited_sales_daily d ON d.sold_on BETWEEN fp.start_on AND fp.end_on
  GROUP BY fp.period_id, d.member_id),
team_period AS (
  SELECT st.team_id, rp.period_id, sum(rp.credited) AS credited, sum(rp.lines) AS lines
  FROM rep_period rp
  JOIN member m ON m.member_id = rp.member_id
  JOIN subtree st ON st.sub_team_id = m.team_id
  GROUP BY st.team_id, rp.period_id),
team_rep_quota AS (
  SELECT st.team_id, q.period_id, sum(q.amount) AS rep_quotas
  FROM quota q
  JOIN member m ON m.member_id = q.member_id
  JOIN subtree st ON st.sub_team_id = m.team_id
  GROUP BY st.team_id, q.period_id)
SELECT fp.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.quarter, fp.month, fp.start_on, fp.end_on,
       t.team_id, t.name AS team_name, t.parent_id,
       tq.amount AS team_quota, trq.rep_quotas,
       coalesce(tp.credited, 0) AS credited_sales, coalesce(tp.lines, 0) AS sales_lines,
       kpi_attainment(coalesce(tp.credited, 0), tq.amount) AS attainment,
       kpi_attainment(coalesce(tp.credited, 0), trq.rep_quotas) AS attainment_vs_rep_quotas
FROM fiscal_period fp
CROSS JOIN team t
LEFT JOIN quota tq ON tq.team_id = t.team_id AND tq.period_id = fp.period_id
LEFT JOIN team_rep_quota trq ON trq.team_id = t.team_id AND trq.period_id = fp.period_id
LEFT JOIN team_period tp ON tp.team_id = t.team_id AND tp.period_id = fp.period_id;
COMMENT ON VIEW v_team_attainment IS
'Attainment of each team per fiscal period, rolled up the team tree: sales credited to every member whose current team lies in the team''s subtree, against the team''s own quota and against the sum of its members'' quotas. One row per team and period.';
COMMENT ON COLUMN v_team_attainment.period_id IS 'Fiscal period.';
COMMENT ON COLUMN v_team_attainment.period_kind IS 'year, quarter or month.';
COMMENT ON COLUMN v_team_attainment.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_team_attainment.quarter IS 'Quarter 1..4 (NULL for a year).';
COMMENT ON COLUMN v_team_attainment.month IS 'Month 1..12 (months only).';
COMMENT ON COLUMN v_team_attainment.start_on IS 'First day of the period.';
COMMENT ON COLUMN v_team_attainment.end_on IS 'Last day of the period (inclusive).';
COMMENT ON COLUMN v_team_attainment.team_id IS 'Team (its whole subtree is counted).';
COMMENT ON COLUMN v_team_attainment.team_name IS 'Team name.';
COMMENT ON COLUMN v_team_attainment.parent_id IS 'Parent team (NULL for a department).';
COMMENT ON COLUMN v_team_attainment.team_quota IS 'Quota set for the team itself for the period; NULL when none.';
COMMENT ON COLUMN v_team_attainment.rep_quotas IS 'Sum of the quotas of the members in the subtree for the period; NULL when none.';
COMMENT ON COLUMN v_team_attainment.credited_sales IS 'Sales credited to the members in the subtree within the period.';
COMMENT ON COLUMN v_team_attainment.sales_lines IS 'Sales lines credited to them within the period.';
COMMENT ON COLUMN v_team_attainment.attainment IS 'kpi_attainment(credited_sales, team_quota); NULL without a team quota.';
COMMENT ON COLUMN v_team_attainment.attainment_vs_rep_quotas IS 'kpi_attainment(credited_sales, rep_quotas): against the members'' quotas added up.';

-- ---------------------------------------------------------------------------
-- Pipeline and forecast accuracy
-- ---------------------------------------------------------------------------

CREATE VIEW v_pipeline AS
SELECT o.member_id, m.full_name, m.team_id, o.stage,
       date_trunc('month', o.expected_close)::date AS expected_close_month,
       count(*) AS opportunities, sum(o.amount) AS amount,
       sum(o.amount * o.probability / 100) AS weighted_amount
FROM opportunity o
JOIN member m ON m.member_id = o.member_id
GROUP BY o.member_id, m.full_name, m.team_id, o.stage, date_trunc('month', o.expected_close);
COMMENT ON VIEW v_pipeline IS
'Sales pipeline per rep, stage and month of expected close: number of opportunities, their amount and the amount weighted by probability. won and lost are the closed stages.';
COMMENT ON COLUMN v_pipeline.member_id IS 'Rep who owns the opportunities.';
COMMENT ON COLUMN v_pipeline.full_name IS 'Rep''s name.';
COMMENT ON COLUMN v_pipeline.team_id IS 'Rep''s current team.';
COMMENT ON COLUMN v_pipeline.stage IS 'Pipeline stage.';
COMMENT ON COLUMN v_pipeline.expected_close_month IS 'First day of the month the opportunities are expected to close.';
COMMENT ON COLUMN v_pipeline.opportunities IS 'Number of opportunities.';
COMMENT ON COLUMN v_pipeline.amount IS 'Sum of their amounts.';
COMMENT ON COLUMN v_pipeline.weighted_amount IS 'Sum of amount x probability / 100 (the expected value of the pipeline).';

CREATE VIEW v_forecast_accuracy AS
WITH latest AS (
  SELECT DISTINCT ON (f.member_id, f.period_id) f.member_id, f.period_id, f.amount
  FROM forecast f
  ORDER BY f.member_id, f.period_id, f.submitted_at DESC),
fa AS (
  SELECT l.period_id, m.team_id, l.member_id, l.amount AS forecast,
         (SELECT coalesce(sum(d.credited_amount), 0) FROM v_credited_sales_daily d
          WHERE d.member_id = l.member_id AND d.sold_on BETWEEN fp.start_on AND fp.end_on) AS actual
  FROM latest l
  JOIN fiscal_period fp ON fp.period_id = l.period_id
  JOIN member m ON m.member_id = l.member_id)
SELECT fp.period_id, fp.kind AS period_kind, fp.fiscal_year, fp.quarter, fp.month,
       fa.team_id, t.name AS team_name,
       count(*) AS forecasts, sum(fa.forecast) AS forecast_total, sum(fa.actual) AS actual_total,
       wape(fa.actual::float8, fa.forecast::float8) AS wape,
       forecast_bias(fa.actual::float8, fa.forecast::float8) AS forecast_bias,
       mape(fa.actual::float8, fa.forecast::float8) AS mape
FROM fa
JOIN fiscal_period fp ON fp.period_id = fa.period_id
JOIN team t ON t.team_id = fa.team_id
GROUP BY fp.period_id, fp.kind, fp.fiscal_year, fp.quarter, fp.month, fa.team_id, t.name;
COMMENT ON VIEW v_forecast_accuracy IS
'Forecast accuracy per fiscal period and team (the forecasting reps'' current team): each rep''s latest forecast for the period against the sales then credited to them, with the wape, forecast_bias and mape aggregates. Actuals come from the materialized v_credited_sales_daily.';
COMMENT ON COLUMN v_forecast_accuracy.period_id IS 'Fiscal period forecast.';
COMMENT ON COLUMN v_forecast_accuracy.period_kind IS 'year, quarter or month.';
COMMENT ON COLUMN v_forecast_accuracy.fiscal_year IS 'Fiscal year of the period.';
COMMENT ON COLUMN v_forecast_accuracy.quarter IS 'Quarter 1..4 (NULL for a year).';
COMMENT ON COLUMN v_forecast_accuracy.month IS 'Month 1..12 (months only).';
COMMENT ON COLUMN v_forecast_accuracy.team_id IS 'Team of the forecasting reps.';
COMMENT ON COLUMN v_forecast_accuracy.team_name IS 'Team name.';
COMMENT ON COLUMN v_forecast_accuracy.forecasts IS 'Number of reps with a forecast for the period.';
COMMENT ON COLUMN v_forecast_accuracy.forecast_total IS 'Sum of their latest forecasts.';
COMMENT ON COLUMN v_forecast_accuracy.actual_total IS 'Sum of the sales credited to them within the period.';
COMMENT ON COLUMN v_forecast_accuracy.wape IS 'wape(actual, forecast) = sum |forecast - actual| / sum |actual|; NULL when no sales.';
COMMENT ON COLUMN v_forecast_accuracy.forecast_bias IS 'forecast_bias(actual, forecast) = sum (forecast - actual) / sum |actual|: positive when the team over-forecasts.';
COMMENT ON COLUMN v_forecast_accuracy.mape IS 'mape(actual, forecast): mean of |forecast - actual| / |actual| over reps with sales.';

-- ---------------------------------------------------------------------------
-- Customers
-- ---------------------------------------------------------------------------

CREATE VIEW v_customer_health AS
SELECT c.customer_id, c.name AS customer_name, c.tier, c.industry, c.region, c.team_id, c.owner_id,
       m.full_name AS owner_name, c.active,
       lv.last_visit_on,
       coalesce(lv.last_visit_on, c.since) + vc.every_days AS next_visit_due_on,
       c.active AND coalesce(lv.last_visit_on, c.since) + vc.every_days < CURRENT_DATE AS visit_overdue,
       CASE WHEN c.active AND coalesce(lv.last_visit_on, c.since) + vc.every_days < CURRENT_DATE
            THEN CURRENT_DATE - (coalesce(lv.last_visit_on, c.since) + vc.every_days) END AS days_overdue,
       vf.flagged_on AS overdue_flagged_on,
       sv.responses AS survey_responses, sv.csat_pct, sv.nps, sv.last_response_at,
       coalesce(fb.open_feedback, 0) AS open_feedback, coalesce(fb.open_complaints, 0) AS open_complaints,
       coalesce(fo.overdue_feedback, 0) AS overdue_feedback
FROM customer c
JOIN visit_cadence vc ON vc.tier = c.tier
JOIN member m ON m.member_id = c.owner_id
LEFT JOIN LATERAL (SELECT max(cv.done_at)::date AS last_visit_on FROM customer_visit cv
                   WHERE cv.customer_id = c.customer_id AND cv.done_at IS NOT NULL) lv ON true
LEFT JOIN visit_overdue_flag vf ON vf.customer_id = c.customer_id
LEFT JOIN LATERAL (SELECT count(*) AS responses, csat(r.csat) AS csat_pct, nps(r.nps) AS nps,
                          max(r.answered_at) AS last_response_at
                   FROM survey_response r WHERE r.customer_id = c.customer_id) sv ON true
LEFT JOIN LATERAL (SELECT count(*) AS open_feedback, count(*) FILTER (WHERE f.kind = 'complaint') AS open_complaints
                   FROM feedback f WHERE f.customer_id = c.customer_id AND f.resolved_at IS NULL) fb ON true
LEFT JOIN LATERAL (SELECT count(*) AS overdue_feedback FROM feedback_overdue_flag o
                   WHERE o.customer_id = c.customer_id) fo ON true;
COMMENT ON VIEW v_customer_health IS
'Health of each customer: tier, owner, last done visit and the next one due (overdue by the tier''s cadence, the rule of overdue_visit, evaluated today), when the overdue_visits job flagged it, survey results with the csat and nps aggregates over all responses, unresolved feedback and the items the overdue_feedback job flagged.';
COMMENT ON COLUMN v_customer_health.customer_id IS 'Customer.';
COMMENT ON COLUMN v_customer_health.customer_name IS 'Customer name.';
COMMENT ON COLUMN v_customer_health.tier IS 'Tier (decides the visit cadence).';
COMMENT ON COLUMN v_customer_health.industry IS 'Industry.';
COMMENT ON COLUMN v_customer_health.region IS 'Sales region.';
COMMENT ON COLUMN v_customer_health.team_id IS 'Owning team.';
COMMENT ON COLUMN v_customer_health.owner_id IS 'Owning rep.';
COMMENT ON COLUMN v_customer_health.owner_name IS 'Owning rep''s name.';
COMMENT ON COLUMN v_customer_health.active IS 'False for former customers.';
COMMENT ON COLUMN v_customer_health.last_visit_on IS 'Date of the last done visit (NULL if never visited).';
COMMENT ON COLUMN v_customer_health.next_visit_due_on IS 'Last done visit (or customer-since date) plus the tier''s cadence.';
COMMENT ON COLUMN v_customer_health.visit_overdue IS 'True when an active customer''s next visit was due before today.';
COMMENT ON COLUMN v_customer_health.days_overdue IS 'Days since the visit was due, when overdue; NULL otherwise.';
COMMENT ON COLUMN v_customer_health.overdue_flagged_on IS 'Date the overdue_visits job first flagged the customer (NULL when not flagged at its last run).';
COMMENT ON COLUMN v_customer_health.survey_responses IS 'Number of survey responses.';
COMMENT ON COLUMN v_customer_health.csat_pct IS 'csat(): percentage of satisfied answers (4 or 5 of 5); NULL without CSAT answers.';
COMMENT ON COLUMN v_customer_health.nps IS 'nps(): net promoter score -100..100; NULL without NPS answers.';
COMMENT ON COLUMN v_customer_health.last_response_at IS 'When the latest survey response came in.';
COMMENT ON COLUMN v_customer_health.open_feedback IS 'Unresolved feedback items (open or in progress).';
COMMENT ON COLUMN v_customer_health.open_complaints IS 'Of those, complaints.';
COMMENT ON COLUMN v_customer_health.overdue_feedback IS 'Feedback items past their response deadline at the last run of the overdue_feedback job.';

-- ---------------------------------------------------------------------------
-- Team scorecard
-- ---------------------------------------------------------------------------

CREATE VIEW v_team_scorecard AS
WITH RECURSIVE subtree(team_id, sub_team_id, depth) AS (
  SELECT t.team_id, t.team_id, 0 FROM team t
  UNION ALL
  SELECT st.team_id, c.team_id, st.depth + 1
  FROM subtree st JOIN team c ON c.parent_id = st.sub_team_id
  WHERE st.depth < 1000),
yr AS (SELECT fp.period_id, fp.fiscal_year, fp.start_on, fp.end_on FROM fiscal_period fp WHERE fp.kind = 'year')
SELECT t.team_id, t.name AS team_name, t.parent_id, yr.fiscal_year,
       (SELECT count(*) FROM member m JOIN subtree st ON st.sub_team_id = m.team_id
        WHERE st.team_id = t.team_id AND m.active) AS active_members,
       (SELECT count(*) FROM customer c JOIN subtree st ON st.sub_team_id = c.team_id
        WHERE st.team_id = t.team_id AND c.active) AS active_customers,
       ta.credited_sales, ta.team_quota, ta.attainment,
       (SELECT wape(x.actual::float8, x.forecast::float8)
        FROM (SELECT l.amount AS forecast,
                     (SELECT coalesce(sum(d.credited_amount), 0) FROM v_credited_sales_daily d
                      WHERE d.member_id = l.member_id AND d.sold_on BETWEEN q.start_on AND q.end_on) AS actual
              FROM fiscal_period q
              JOIN LATERAL (SELECT DISTINCT ON (f.member_id) f.member_id, f.amount FROM forecast f
                            WHERE f.period_id = q.period_id
                            ORDER BY f.member_id, f.submitted_at DESC) l ON true
              JOIN member m ON m.member_id = l.member_id
              JOIN subtree st ON st.sub_team_id = m.team_id AND st.team_id = t.team_id
              WHERE q.kind = 'quarter' AND q.fiscal_year = yr.fiscal_year) x) AS forecast_wape,
       sv.responses AS survey_responses, sv.csat_pct, sv.nps,
       (SELECT count(*) FROM feedback f JOIN customer c ON c.customer_id = f.customer_id
        JOIN subtree st ON st.sub_team_id = c.team_id
        WHERE st.team_id = t.team_id AND f.kind = 'complaint'
          AND f.opened_at >= yr.start_on AND f.opened_at < yr.end_on + 1) AS complaints,
       (SELECT count(*) FROM visit_overdue_flag vf JOIN subtree st ON st.sub_team_id = vf.team_id
        WHERE st.team_id = t.team_id) AS overdue_customers_now,
       (SELECT round(100.0 * count(*) FILTER (WHERE w.submitted_at IS NOT NULL AND w.submitted_at::date <= w.due_on)
                     / nullif(count(*), 0), 2)
        FROM work_report w JOIN member m ON m.member_id = w.member_id
        JOIN subtree st ON st.sub_team_id = m.team_id
        WHERE st.team_id = t.team_id AND w.due_on BETWEEN yr.start_on AND yr.end_on) AS reports_on_time_pct
FROM team t
CROSS JOIN yr
LEFT JOIN v_team_attainment ta ON ta.team_id = t.team_id AND ta.period_id = yr.period_id
LEFT JOIN LATERAL (SELECT count(*) AS responses, csat(r.csat) AS csat_pct, nps(r.nps) AS nps
                   FROM survey_response r JOIN customer c ON c.customer_id = r.customer_id
                   JOIN subtree st ON st.sub_team_id = c.team_id
                   WHERE st.team_id = t.team_id
                     AND r.answered_at >= yr.start_on AND r.answered_at < yr.end_on + 1) sv ON true;
COMMENT ON VIEW v_team_scorecard IS
'One row per team and fiscal year, rolled up the team tree (the team and every team below it): head counts, credited sales against the team''s yearly quota, forecast error (wape of the reps'' latest quarterly forecasts), customer satisfaction (csat, nps of the year''s survey responses), complaints received in the year, customers flagged overdue for a visit at the last overdue_visits run, and the share of work reports submitted on time.';
COMMENT ON COLUMN v_team_scorecard.team_id IS 'Team (its whole subtree is counted).';
COMMENT ON COLUMN v_team_scorecard.team_name IS 'Team name.';
COMMENT ON COLUMN v_team_scorecard.parent_id IS 'Parent team (NULL for a department).';
COMMENT ON COLUMN v_team_scorecard.fiscal_year IS 'Fiscal year (a fiscal_period of kind year).';
COMMENT ON COLUMN v_team_scorecard.active_members IS 'Active members in the subtree today.';
COMMENT ON COLUMN v_team_scorecard.active_customers IS 'Active customers owned by teams of the subtree today.';
COMMENT ON COLUMN v_team_scorecard.credited_sales IS 'Sales credited in the year to the members of the subtree.';
COMMENT ON COLUMN v_team_scorecard.team_quota IS 'The team''s quota for the year; NULL when none.';
COMMENT ON COLUMN v_team_scorecard.attainment IS 'kpi_attainment(credited_sales, team_quota).';
COMMENT ON COLUMN v_team_scorecard.forecast_wape IS 'wape of the subtree reps'' latest forecasts for the year''s quarters against their credited sales; NULL without forecasts or sales.';
COMMENT ON COLUMN v_team_scorecard.survey_responses IS 'Survey responses received in the year from the subtree''s customers.';
COMMENT ON COLUMN v_team_scorecard.csat_pct IS 'csat() of those responses.';
COMMENT ON COLUMN v_team_scorecard.nps IS 'nps() of those responses.';
COMMENT ON COLUMN v_team_scorecard.complaints IS 'Complaints opened in the year by the subtree''s customers.';
COMMENT ON COLUMN v_team_scorecard.overdue_customers_now IS 'Customers of the subtree flagged overdue for a visit at the last overdue_visits run (a current figure, not the year''s).';
COMMENT ON COLUMN v_team_scorecard.reports_on_time_pct IS 'Percentage of the work reports due in the year that were submitted by their due date; NULL when none were due.';

-- ---------------------------------------------------------------------------
-- Appraisal, promotion, pay
-- ---------------------------------------------------------------------------

CREATE VIEW v_grade_distribution AS
SELECT gp.cycle_id, c.fiscal_year, c.state AS cycle_state, gp.grade, gp.ordinal,
       gp.distribution_pct AS target_pct, n.graded,
       CASE WHEN sh.forced THEN (allocate_quota(n.graded::numeric, sh.shares))[sh.pos]::bigint END AS target_count,
       coalesce(a.actual, 0) AS actual_count,
       round(100.0 * coalesce(a.actual, 0) / nullif(n.graded, 0), 2) AS actual_pct,
       CASE WHEN sh.forced THEN coalesce(a.actual, 0) - (allocate_quota(n.graded::numeric, sh.shares))[sh.pos]::bigint END
         AS deviation
FROM grade_policy gp
JOIN appraisal_cycle c ON c.cycle_id = gp.cycle_id
CROSS JOIN LATERAL (SELECT count(*) AS graded FROM appraisal_result r
                    WHERE r.cycle_id = gp.cycle_id AND r.grade IS NOT NULL) n
CROSS JOIN LATERAL (SELECT array_agg(g.distribution_pct ORDER BY g.ordinal) AS shares,
                           bool_and(g.distribution_pct IS NOT NULL) AND sum(g.distribution_pct) > 0 AS forced,
                           count(*) FILTER (WHERE g.ordinal < gp.ordinal) + 1 AS pos
                    FROM grade_policy g WHERE g.cycle_id = gp.cycle_id) sh
LEFT JOIN LATERAL (SELECT count(*) AS actual FROM appraisal_result r
                   WHERE r.cycle_id = gp.cycle_id AND r.grade = gp.grade) a ON true;
COMMENT ON VIEW v_grade_distribution IS
'Appraisal grades given per cycle against the forced distribution of the cycle''s grade_policy: the target count of each grade is allocate_quota(people graded, distribution shares) - the same largest-remainder rule grade_by_distribution applies - and the deviation is actual minus target.';
COMMENT ON COLUMN v_grade_distribution.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN v_grade_distribution.fiscal_year IS 'Fiscal year appraised.';
COMMENT ON COLUMN v_grade_distribution.cycle_state IS 'State of the cycle (open, reviewing, calibrating, closed).';
COMMENT ON COLUMN v_grade_distribution.grade IS 'Grade.';
COMMENT ON COLUMN v_grade_distribution.ordinal IS 'Position of the grade, 1 = best.';
COMMENT ON COLUMN v_grade_distribution.target_pct IS 'Target share of the grade in percent (grade_policy.distribution_pct); NULL when grades are not forced.';
COMMENT ON COLUMN v_grade_distribution.graded IS 'People with a grade in the cycle.';
COMMENT ON COLUMN v_grade_distribution.target_count IS 'Target number of people with the grade: allocate_quota(graded, shares)[grade]; NULL unless every grade of the cycle has a share and the shares are not all zero.';
COMMENT ON COLUMN v_grade_distribution.actual_count IS 'People given the grade.';
COMMENT ON COLUMN v_grade_distribution.actual_pct IS 'actual_count as a percentage of graded (2 decimals).';
COMMENT ON COLUMN v_grade_distribution.deviation IS 'actual_count - target_count (positive: more than the distribution allows).';

CREATE VIEW v_promotion_pipeline AS
SELECT c.cycle_id, c.fiscal_year, c.state AS cycle_state, pr.rule_id, pr.from_level, pr.to_level, pr.active AS rule_active,
       (SELECT count(*) FROM member m WHERE m.active AND m.level = pr.from_level) AS members_at_level,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id) AS candidates,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id
          AND pc.status = 'proposed') AS proposed,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id
          AND pc.status = 'approved') AS approved,
       (SELECT count(*) FROM promotion_candidate pc WHERE pc.cycle_id = c.cycle_id AND pc.rule_id = pr.rule_id
          AND pc.status = 'rejected') AS rejected,
       (SELECT count(*) FROM promotion p WHERE p.cycle_id = c.cycle_id AND p.from_level = pr.from_level
          AND p.to_level = pr.to_level) AS promoted
FROM appraisal_cycle c
CROSS JOIN promotion_rule pr;
COMMENT ON VIEW v_promotion_pipeline IS
'Promotion pipeline per appraisal cycle and promotion rule (ladder step): members at the starting level today, candidates listed by the cycle and their decisions, and promotions recorded for the cycle on that step. Counts only, no names.';
COMMENT ON COLUMN v_promotion_pipeline.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN v_promotion_pipeline.fiscal_year IS 'Fiscal year appraised.';
COMMENT ON COLUMN v_promotion_pipeline.cycle_state IS 'State of the cycle.';
COMMENT ON COLUMN v_promotion_pipeline.rule_id IS 'Promotion rule.';
COMMENT ON COLUMN v_promotion_pipeline.from_level IS 'Level promoted from.';
COMMENT ON COLUMN v_promotion_pipeline.to_level IS 'Level promoted to.';
COMMENT ON COLUMN v_promotion_pipeline.rule_active IS 'Whether the rule is applied.';
COMMENT ON COLUMN v_promotion_pipeline.members_at_level IS 'Active members at from_level today.';
COMMENT ON COLUMN v_promotion_pipeline.candidates IS 'Candidates the cycle listed under the rule.';
COMMENT ON COLUMN v_promotion_pipeline.proposed IS 'Of those, not decided yet.';
COMMENT ON COLUMN v_promotion_pipeline.approved IS 'Of those, approved.';
COMMENT ON COLUMN v_promotion_pipeline.rejected IS 'Of those, rejected.';
COMMENT ON COLUMN v_promotion_pipeline.promoted IS 'Promotions recorded with this cycle from from_level to to_level.';

CREATE VIEW v_pay_summary AS
SELECT p.fiscal_year, m.team_id, t.name AS team_name, m.level, p.currency,
       count(*) AS headcount,
       CASE WHEN count(*) >= 3 THEN sum(p.base_salary) END AS base_salary_total,
       CASE WHEN count(*) >= 3 THEN round(avg(p.base_salary), 2) END AS base_salary_avg,
       CASE WHEN count(*) >= 3 THEN sum(p.commission) END AS commission_total,
       CASE WHEN count(*) >= 3 THEN sum(p.year_end_bonus) END AS year_end_bonus_total,
       CASE WHEN count(*) >= 3 THEN sum(p.base_salary + p.commission + p.year_end_bonus) END AS total_pay,
       CASE WHEN count(*) >= 3 THEN round(avg(p.base_salary + p.commission + p.year_end_bonus), 2) END AS total_pay_avg
FROM pay p
JOIN member m ON m.member_id = p.member_id
JOIN team t ON t.team_id = m.team_id
GROUP BY p.fiscal_year, m.team_id, t.name, m.level, p.currency;
COMMENT ON VIEW v_pay_summary IS
'Pay per fiscal year, team (the member''s current team, not its subtree), current career level and currency: head count and the totals and averages of base salary, commission and year-end bonus. Pay is personal: the amounts are NULL for groups of fewer than 3 people, so no one''s pay can be read off.';
COMMENT ON COLUMN v_pay_summary.fiscal_year IS 'Fiscal year paid.';
COMMENT ON COLUMN v_pay_summary.team_id IS 'Members'' current team.';
COMMENT ON COLUMN v_pay_summary.team_name IS 'Team name.';
COMMENT ON COLUMN v_pay_summary.level IS 'Members'' current career level.';
COMMENT ON COLUMN v_pay_summary.currency IS 'Currency of the amounts.';
COMMENT ON COLUMN v_pay_summary.headcount IS 'People in the group.';
COMMENT ON COLUMN v_pay_summary.base_salary_total IS 'Sum of base salaries (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.base_salary_avg IS 'Average base salary (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.commission_total IS 'Sum of commissions (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.year_end_bonus_total IS 'Sum of year-end bonuses (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.total_pay IS 'Sum of base + commission + bonus (NULL below 3 people).';
COMMENT ON COLUMN v_pay_summary.total_pay_avg IS 'Average of base + commission + bonus (NULL below 3 people).';

-- ---------------------------------------------------------------------------
-- The calendar itself, for a monitoring dashboard
-- ---------------------------------------------------------------------------

CREATE VIEW v_job_status AS
SELECT j.job_name, j.schedule, j.enabled,
       l.started_at AS last_started_at, l.finished_at AS last_finished_at, l.status AS last_status,
       l.rows_affected AS last_rows_affected,
       (SELECT count(*) FROM job_log x WHERE x.job_name = j.job_name AND x.started_at > now() - interval '30 days')
         AS runs_30d,
       (SELECT count(*) FROM job_log x WHERE x.job_name = j.job_name AND x.started_at > now() - interval '30 days'
          AND x.status = 'failure') AS failures_30d
FROM job_setting j
LEFT JOIN LATERAL (SELECT * FROM job_log x WHERE x.job_name = j.job_name
                   ORDER BY x.started_at DESC, x.log_id DESC LIMIT 1) l ON true;
COMMENT ON VIEW v_job_status IS
'The scheduled jobs and how their last run went (from job_log), with run and failure counts of the last 30 days. Error texts are left out (they may quote data); they are in job_log for the administrator.';
COMMENT ON COLUMN v_job_status.job_name IS 'Job.';
COMMENT ON COLUMN v_job_status.schedule IS 'pg_cron schedule.';
COMMENT ON COLUMN v_job_status.enabled IS 'Whether schedule_jobs() schedules it.';
COMMENT ON COLUMN v_job_status.last_started_at IS 'Start of the last run; NULL if it never ran (or its log was pruned).';
COMMENT ON COLUMN v_job_status.last_finished_at IS 'End of the last run.';
COMMENT ON COLUMN v_job_status.last_status IS 'success, failure or skipped.';
COMMENT ON COLUMN v_job_status.last_rows_affected IS 'Rows affected by the last run.';
COMMENT ON COLUMN v_job_status.runs_30d IS 'Runs started in the last 30 days.';
COMMENT ON COLUMN v_job_status.failures_30d IS 'Of those, failures.';

GRANT SELECT ON v_credited_sales_daily, v_rep_sales_month, v_rep_attainment, v_team_attainment, v_pipeline,
  v_forecast_accuracy, v_customer_health, v_team_scorecard, v_grade_distribution, v_promotion_pipeline,
  v_pay_summary, v_job_status
  TO sales_supervisor_bi;

DROP TABLE pg_temp.ss_old_credit;
