-- Layer 4, the sales year: merit raises within a budget, and the 9-box of
-- performance x potential (issue 16, items 2 and 6).
--
-- merit_scope     the graded members a budget covers
-- merit_check     what must hold before a budget is computed (one error each)
-- merit_compute   the raises: matrix %, band cap, overrides, scaling to the budget
-- merit_preview   shows them, writes nothing (HR)
-- merit_apply     writes them on approval: merit_raise + next year's base salary (HR)
-- nine_box        performance (from the grade) x potential, per member
--
-- The raise of a member, in exact cents:
--   compa-ratio   = base / band mid (base: pay of the cycle's fiscal year; band:
--                   salary_band of that year and the level appraised);
--   matrix %      = merit_matrix of the cycle, the member's grade, the bracket
--                   with the largest compa_from such that compa_from x mid <= base
--                   (compared exactly, without dividing);
--   proposed      = round(base x matrix % / 100, 2);
--   before scaling = least(proposed, greatest(band max - base, 0)) -- capped
--                   when that is less than proposed -- or the override's amount;
--   budget        = merit_budget.amount, or floor(sum of the scope's bases x
--                   pct_of_base / 100) to the cent;
--   raise         = before scaling when the scope's total fits the budget;
--                   otherwise overrides are kept and the rest of the budget
--                   (budget - overrides) is apportioned over the others by
--                   allocate_quota(rest, before-scaling amounts, 0.01, upper =
--                   the same amounts): largest remainder, ties to the larger
--                   amount then the lower member_id, summing to the rest
--                   exactly, no one above their capped proposal.
--
-- Why the raise goes to pay of fiscal_year + 1: year_end_pay reads pay of the
-- cycle's own year (its base is what the bonus is paid on), and
-- grade_policy.raise_pct (copied to appraisal_consequence) is the flat raise
-- per grade that the what-if costs; nothing applied that one to a salary.  A
-- merit raise is the salary decision of the cycle: merit_raise records it
-- with its arithmetic, and the next year's pay row carries the new base.

-- (The helpers are PL/pgSQL, not SQL functions: a SQL function with a SET
-- clause is not inlined and is planned again at every call from a PL/pgSQL
-- statement; PL/pgSQL keeps its plans for the session.  A department's
-- preview (about 42 people) went from about 6 to about 1.2 ms.)

-- merit_scope: the members a budget covers -- graded in the cycle, active,
-- in the subtree of the budget's team today -- with their level and grade.
CREATE FUNCTION merit_scope(cycle integer, team integer)
RETURNS TABLE (member_id integer, level member_level, grade text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH RECURSIVE sub(team_id, depth) AS (
    SELECT team, 0
    UNION
    SELECT t.team_id, sub.depth + 1 FROM team t JOIN sub ON t.parent_id = sub.team_id WHERE sub.depth < 1000)
  SELECT r.member_id, r.level, r.grade
  FROM sub
  JOIN member m ON m.team_id = sub.team_id AND m.active
  JOIN appraisal_result r ON r.cycle_id = cycle AND r.member_id = m.member_id
  WHERE r.grade IS NOT NULL;
END
$fn$;
COMMENT ON FUNCTION merit_scope(integer, integer) IS
'Internal (merit_check, merit_compute): the members a merit budget covers -- graded in the appraisal cycle, active, and in the subtree of the team today (member.team_id) -- with the level appraised and the grade.';
REVOKE ALL ON FUNCTION merit_scope(integer, integer) FROM PUBLIC;

-- merit_budget_amount: the budget of a scope in cents -- the amount, or the
-- percentage of the scope's summed base salaries, floored to the cent (so
-- the budget never exceeds the percentage).
CREATE FUNCTION merit_budget_amount(cycle integer, team integer)
RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN (
  SELECT coalesce(mb.amount,
                  floor(coalesce((SELECT sum(p.base_salary) FROM merit_scope(cycle, team) s
                                  JOIN appraisal_cycle a ON a.cycle_id = cycle
                                  JOIN pay p ON p.member_id = s.member_id AND p.fiscal_year = a.fiscal_year), 0)
                        * mb.pct_of_base) / 100)::numeric(14,2)
  FROM merit_budget mb WHERE mb.cycle_id = cycle AND mb.team_id = team);
END
$fn$;
COMMENT ON FUNCTION merit_budget_amount(integer, integer) IS
'Internal: the merit budget of a cycle and team in cents: merit_budget.amount, or floor(sum of the base salaries of the scope''s graded members x pct_of_base) / 100; NULL without a budget row.';
REVOKE ALL ON FUNCTION merit_budget_amount(integer, integer) FROM PUBLIC;

-- merit_check: everything merit_compute assumes, refused one by one with a
-- message naming what is missing (the cycle closed, the budget, the matrix
-- of every grade from compa-ratio 0, the pay and band of every member).
CREATE FUNCTION merit_check(cycle integer, team integer)
RETURNS appraisal_cycle
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  c appraisal_cycle;
  bad record;
  v_budget numeric;
BEGIN
  IF cycle IS NULL OR team IS NULL THEN
    RAISE EXCEPTION 'cycle and team must not be null'
      USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass a cycle_id and the team_id of a merit_budget row.';
  END IF;
  SELECT * INTO c FROM appraisal_cycle a WHERE a.cycle_id = cycle;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'appraisal cycle % does not exist', cycle
      USING ERRCODE = 'no_data_found', HINT = 'Pass a cycle_id of appraisal_cycle.';
  END IF;
  IF c.state <> 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not closed', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Merit raises come from final grades.', HINT = 'Close it with close_appraisal_cycle(cycle_id) first.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM merit_budget b WHERE b.cycle_id = cycle AND b.team_id = team) THEN
    RAISE EXCEPTION 'appraisal cycle % has no merit budget for team %', cycle, team
      USING ERRCODE = 'no_data_found',
            HINT = 'INSERT INTO merit_budget (cycle_id, team_id, amount or pct_of_base) first.';
  END IF;
  SELECT g.grade INTO bad FROM grade_policy g
  WHERE g.cycle_id = cycle
    AND NOT EXISTS (SELECT 1 FROM merit_matrix x WHERE x.cycle_id = cycle AND x.grade = g.grade AND x.compa_from = 0)
  ORDER BY g.ordinal LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'the merit matrix of appraisal cycle % has no bracket from compa-ratio 0 for grade %', cycle, bad.grade
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The brackets of every grade of the cycle must cover [0, infinity).',
            HINT = 'INSERT INTO merit_matrix (cycle_id, grade, compa_from, raise_pct) VALUES (..., 0, ...).';
  END IF;
  -- one pass over the scope: the first member without pay, the first level
  -- without a band, the overrides
  SELECT min(s.member_id) FILTER (WHERE p.member_id IS NULL) AS no_pay,
         min(s.level) FILTER (WHERE b.level IS NULL) AS no_band,
         sum(o.raise) AS overrides
  INTO bad
  FROM merit_scope(cycle, team) s
  LEFT JOIN pay p ON p.member_id = s.member_id AND p.fiscal_year = c.fiscal_year
  LEFT JOIN salary_band b ON b.fiscal_year = c.fiscal_year AND b.level = s.level
  LEFT JOIN merit_override o ON o.cycle_id = cycle AND o.member_id = s.member_id;
  IF bad.no_pay IS NOT NULL THEN
    RAISE EXCEPTION 'member % has no pay row (base salary) for %', bad.no_pay, c.fiscal_year
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'INSERT INTO pay (member_id, fiscal_year, base_salary) for every graded member first.';
  END IF;
  IF bad.no_band IS NOT NULL THEN
    RAISE EXCEPTION 'level % has no salary band for %', bad.no_band, c.fiscal_year
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'INSERT INTO salary_band (fiscal_year, level, band_min, band_mid, band_max) VALUES (...).';
  END IF;
  IF bad.overrides > 0 THEN
    v_budget := merit_budget_amount(cycle, team);
    IF bad.overrides > v_budget THEN
      RAISE EXCEPTION 'the merit overrides in team %''s scope (%) exceed its budget (%)', team, bad.overrides, v_budget
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'Raise the budget (merit_budget) or lower an override (merit_override).';
    END IF;
  END IF;
  RETURN c;
END
$fn$;
COMMENT ON FUNCTION merit_check(integer, integer) IS
'Internal (merit_preview, merit_apply): refuses a NULL cycle or team (22004), an unknown cycle (P0002), a cycle not closed (55000), a team without a merit_budget row of the cycle (P0002), a grade of the cycle''s grade_policy without a merit_matrix bracket from compa-ratio 0 (55000), and a member of the scope without pay of the fiscal year or whose level has no salary band (55000), and overrides in the scope summing to more than the budget (55000). Returns the cycle.';
REVOKE ALL ON FUNCTION merit_check(integer, integer) FROM PUBLIC;

-- merit_compute: the raises of a budget's scope, one row per member, by the
-- arithmetic in the header; run after merit_check.
CREATE FUNCTION merit_compute(cycle integer, team integer)
RETURNS TABLE (member_id integer, level member_level, grade text, base_salary numeric, band_min numeric,
               band_mid numeric, band_max numeric, compa_ratio numeric, band_position numeric, raise_pct numeric,
               proposed numeric, capped boolean, overridden boolean, before_scaling numeric, raise numeric,
               budget numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH c AS (SELECT a.fiscal_year FROM appraisal_cycle a WHERE a.cycle_id = cycle),
  p AS (
    SELECT s.member_id, s.level, s.grade, pay.base_salary, b.band_min, b.band_mid, b.band_max, mm.raise_pct,
           round(pay.base_salary * mm.raise_pct / 100, 2) AS proposed, o.raise AS override
    FROM merit_scope(cycle, team) s
    CROSS JOIN c
    JOIN pay ON pay.member_id = s.member_id AND pay.fiscal_year = c.fiscal_year
    JOIN salary_band b ON b.fiscal_year = c.fiscal_year AND b.level = s.level
    CROSS JOIN LATERAL (SELECT x.raise_pct FROM merit_matrix x
                        WHERE x.cycle_id = cycle AND x.grade = s.grade AND x.compa_from * b.band_mid <= pay.base_salary
                        ORDER BY x.compa_from DESC LIMIT 1) mm
    LEFT JOIN merit_override o ON o.cycle_id = cycle AND o.member_id = s.member_id),
  q AS (
    SELECT p.*, coalesce(p.override, least(p.proposed, greatest(p.band_max - p.base_salary, 0))) AS before_scaling
    FROM p),
  bud AS (
    SELECT coalesce(mb.amount, (floor(coalesce((SELECT sum(q.base_salary) FROM q), 0) * mb.pct_of_base) / 100)::numeric(14,2))
             AS budget,
           coalesce((SELECT sum(q.override) FROM q), 0) AS overrides,
           coalesce((SELECT sum(q.before_scaling) FROM q WHERE q.override IS NULL), 0) AS matrix_total
    FROM merit_budget mb WHERE mb.cycle_id = cycle AND mb.team_id = team),
  scaled AS (   -- only when the scope does not fit: the rest of the budget over the matrix raises
    SELECT unnest(a.ids) AS member_id,
           unnest(allocate_quota(bud.budget - bud.overrides, a.w, 0.01, NULL, a.w)) AS raise
    FROM bud,
    LATERAL (SELECT array_agg(q.member_id ORDER BY q.member_id) AS ids,
                    array_agg(q.before_scaling ORDER BY q.member_id) AS w
             FROM q WHERE q.override IS NULL) a
    WHERE bud.overrides + bud.matrix_total > bud.budget AND bud.overrides <= bud.budget AND a.ids IS NOT NULL)
  SELECT q.member_id, q.level, q.grade, q.base_salary, q.band_min, q.band_mid, q.band_max,
         round(q.base_salary / q.band_mid, 4),
         CASE WHEN q.band_max > q.band_min THEN round((q.base_salary - q.band_min) / (q.band_max - q.band_min), 4) END,
         q.raise_pct, q.proposed,
         q.override IS NULL AND q.before_scaling < q.proposed, q.override IS NOT NULL, q.before_scaling,
         coalesce(q.override, sc.raise, q.before_scaling), bud.budget
  FROM q CROSS JOIN bud LEFT JOIN scaled sc ON sc.member_id = q.member_id;
END
$fn$;
COMMENT ON FUNCTION merit_compute(integer, integer) IS
'Internal (merit_preview, merit_apply): per member of the budget''s scope, the compa-ratio and position in band, the matrix cell, the proposed raise round(base x % / 100, 2), whether the band maximum capped it, the override, the amount before scaling and the raise after it (the matrix raises apportioned exactly to the budget less the overrides when the scope does not fit), and the budget. Unordered.';
REVOKE ALL ON FUNCTION merit_compute(integer, integer) FROM PUBLIC;

-- merit_result: the rows merit_preview and merit_apply return: the members
-- in member_id order with their new base, then the total row (member_id NULL).
CREATE FUNCTION merit_result(cycle integer, team integer)
RETURNS TABLE (member_id integer, level member_level, grade text, base_salary numeric, compa_ratio numeric,
               band_position numeric, band_max numeric, raise_pct numeric, proposed numeric, capped boolean,
               overridden boolean, before_scaling numeric, raise numeric, new_base numeric, budget numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH x AS MATERIALIZED (SELECT * FROM merit_compute(cycle, team))
  SELECT * FROM (
    SELECT x.member_id, x.level, x.grade, x.base_salary, x.compa_ratio, x.band_position, x.band_max, x.raise_pct,
           x.proposed, x.capped, x.overridden, x.before_scaling, x.raise, x.base_salary + x.raise, x.budget
    FROM x
    UNION ALL
    SELECT NULL, NULL, NULL, coalesce(sum(x.base_salary), 0), NULL, NULL, NULL, NULL, coalesce(sum(x.proposed), 0),
           coalesce(bool_or(x.capped), false), coalesce(bool_or(x.overridden), false),
           coalesce(sum(x.before_scaling), 0), coalesce(sum(x.raise), 0), coalesce(sum(x.base_salary + x.raise), 0),
           coalesce(max(x.budget), merit_budget_amount(cycle, team))
    FROM x) r
  ORDER BY r.member_id NULLS LAST;
END
$fn$;
COMMENT ON FUNCTION merit_result(integer, integer) IS
'Internal (merit_preview, merit_apply): the rows of merit_compute in member_id order with the new base (base + raise), then a total row (member_id NULL): sums of base, proposed, before scaling, raise and new base, whether anyone was capped or overridden, and the budget.';
REVOKE ALL ON FUNCTION merit_result(integer, integer) FROM PUBLIC;

-- ---------------------------------------------------------------------------
-- The steps: preview (nothing written) and apply (on approval)
-- ---------------------------------------------------------------------------
CREATE FUNCTION merit_preview(cycle integer, team integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, level member_level, grade text, base_salary numeric, compa_ratio numeric,
               band_position numeric, band_max numeric, raise_pct numeric, proposed numeric, capped boolean,
               overridden boolean, before_scaling numeric, raise numeric, new_base numeric, budget numeric)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'preview merit raises');
  PERFORM merit_check(cycle, team);
  RETURN QUERY SELECT * FROM merit_result(cycle, team);
END
$fn$;
COMMENT ON FUNCTION merit_preview(integer, integer, name) IS
'The merit raises of a closed appraisal cycle''s graded members in the subtree of a team with a merit_budget, without writing anything: per member (member_id order) the base salary, compa-ratio (base / band mid) and position in band ((base - min) / (max - min)), band max, the matrix raise %, proposed = round(base x % / 100, 2), capped (the band max cut it), overridden (merit_override), before_scaling (capped proposal or override), raise (after scaling to the budget), new_base; then a total row (member_id NULL) with the sums and the budget. When the total before scaling exceeds the budget, the overrides are kept and the rest of the budget is apportioned exactly to the cent over the other raises (allocate_quota: largest remainder, ties to the larger raise then the lower member_id, nobody above their capped proposal), so the raises add up to the budget; otherwise they are the capped proposals. HR only.';
REVOKE ALL ON FUNCTION merit_preview(integer, integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION merit_preview(integer, integer, name) TO sales_supervisor_hr;

CREATE FUNCTION merit_apply(cycle integer, team integer, approved_total numeric, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, level member_level, grade text, base_salary numeric, compa_ratio numeric,
               band_position numeric, band_max numeric, raise_pct numeric, proposed numeric, capped boolean,
               overridden boolean, before_scaling numeric, raise numeric, new_base numeric, budget numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  c appraisal_cycle;
  v_total numeric;
  bad record;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'apply merit raises');
  IF approved_total IS NULL THEN
    RAISE EXCEPTION 'approved_total must not be null'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Pass the total raise merit_preview showed (its row with member_id NULL): what was approved.';
  END IF;
  c := appraisal_cycle_row(cycle, true);   -- held until commit: no reopen, no second apply meanwhile
  PERFORM merit_check(cycle, team);
  IF to_regclass('pg_temp._merit_apply') IS NOT NULL THEN DROP TABLE pg_temp._merit_apply; END IF;
  CREATE TEMP TABLE _merit_apply ON COMMIT DROP AS SELECT * FROM merit_result(cycle, team);
  SELECT x.raise INTO v_total FROM _merit_apply x WHERE x.member_id IS NULL;
  IF v_total <> approved_total THEN
    RAISE EXCEPTION 'the merit raises of team % in cycle % total %, not the % approved', team, cycle, v_total, approved_total
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The grades, pay, bands, matrix, budget or overrides changed since the preview.',
            HINT = 'Preview again (merit_preview) and approve its total.';
  END IF;
  SELECT m.member_id INTO bad FROM merit_raise m JOIN _merit_apply x ON x.member_id = m.member_id
  WHERE m.cycle_id = cycle ORDER BY m.member_id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'member % already has a merit raise of cycle %', bad.member_id, cycle
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'A member''s merit raise is applied once per cycle, from one budget.';
  END IF;
  INSERT INTO merit_raise (cycle_id, member_id, team_id, grade, base_salary, compa_ratio, raise_pct, proposed,
                           capped, overridden, raise, applied_by)
  SELECT cycle, x.member_id, team, x.grade, x.base_salary, x.compa_ratio, x.raise_pct, x.proposed,
         x.capped, x.overridden, x.raise, login
  FROM _merit_apply x WHERE x.member_id IS NOT NULL ORDER BY x.member_id;
  -- the new base is next year's base salary (a pay row of that year is created or its base replaced)
  INSERT INTO pay AS p (member_id, fiscal_year, base_salary, currency)
  SELECT x.member_id, c.fiscal_year + 1, x.new_base, cur.currency
  FROM _merit_apply x JOIN pay cur ON cur.member_id = x.member_id AND cur.fiscal_year = c.fiscal_year
  WHERE x.member_id IS NOT NULL ORDER BY x.member_id
  ON CONFLICT (member_id, fiscal_year) DO UPDATE SET base_salary = excluded.base_salary;
  RETURN QUERY SELECT * FROM _merit_apply x ORDER BY x.member_id NULLS LAST;
END
$fn$;
COMMENT ON FUNCTION merit_apply(integer, integer, numeric, name) IS
'Applies the merit raises merit_preview shows for a cycle and budget team, on approval: approved_total must equal the preview''s total raise (55000 otherwise: something changed since); refuses a member who already has a merit raise of the cycle (55000). Writes one merit_raise row per member (audited) and the new base (base + raise) as the base salary of the member''s pay row of fiscal_year + 1 (created, or its base replaced); returns the rows it applied as merit_preview does. HR only.';
REVOKE ALL ON FUNCTION merit_apply(integer, integer, numeric, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION merit_apply(integer, integer, numeric, name) TO sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- The 9-box: performance x potential
-- ---------------------------------------------------------------------------
-- Performance comes from the grade, not from a tercile of final scores: a
-- tercile computed in a security_invoker view would be a tercile of the rows
-- the reader sees, so a manager and HR would put one person in different
-- boxes.  With n grades in the cycle and the grade the k-th best (k = 0, 1,
-- ...), performance = 3 - floor(3k / n): grades A-D give A, B high (3), C
-- medium (2), D low (1); three grades give 3, 2, 1.  Box = (potential - 1) x 3
-- + performance, 1 (low, low) .. 9 (high, high).  Nobody sees themself.
CREATE VIEW nine_box WITH (security_invoker = true) AS
SELECT r.cycle_id, a.fiscal_year, r.member_id, m.full_name, m.team_id, r.level, r.grade, r.final_score,
       perf.performance, pr.potential,
       (pr.potential - 1) * 3 + perf.performance AS box,
       CASE (pr.potential - 1) * 3 + perf.performance
         WHEN 1 THEN 'risk' WHEN 2 THEN 'effective' WHEN 3 THEN 'trusted professional'
         WHEN 4 THEN 'inconsistent player' WHEN 5 THEN 'core player' WHEN 6 THEN 'high performer'
         WHEN 7 THEN 'enigma' WHEN 8 THEN 'high potential' WHEN 9 THEN 'star' END AS box_name
FROM sales_supervisor.appraisal_result r
JOIN sales_supervisor.appraisal_cycle a ON a.cycle_id = r.cycle_id
JOIN sales_supervisor.member m ON m.member_id = r.member_id
CROSS JOIN LATERAL (
  SELECT (3 - (3 * count(*) FILTER (WHERE g.ordinal < own.ordinal)) / count(*))::integer AS performance
  FROM sales_supervisor.grade_policy g
  JOIN sales_supervisor.grade_policy own ON own.cycle_id = r.cycle_id AND own.grade = r.grade
  WHERE g.cycle_id = r.cycle_id) perf
LEFT JOIN sales_supervisor.potential_rating pr ON pr.cycle_id = r.cycle_id AND pr.member_id = r.member_id
WHERE r.grade IS NOT NULL
  AND r.member_id IS DISTINCT FROM (SELECT sales_supervisor.current_member_id());
COMMENT ON VIEW nine_box IS
'The 9-box of succession per appraisal cycle and graded member: performance from the grade (with n grades, the k-th best, k from 0: 3 - floor(3k / n); A-D: A, B high, C medium, D low) x potential (potential_rating, NULL until rated), box (potential - 1) x 3 + performance from 1 (risk) to 9 (star). Security invoker: supervisors and managers see the members of their subtree, HR everybody; nobody sees their own row; reps have no access.';
COMMENT ON COLUMN nine_box.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN nine_box.fiscal_year IS 'Fiscal year of the cycle.';
COMMENT ON COLUMN nine_box.member_id IS 'Member.';
COMMENT ON COLUMN nine_box.full_name IS 'Full name.';
COMMENT ON COLUMN nine_box.team_id IS 'Team today.';
COMMENT ON COLUMN nine_box.level IS 'Level appraised.';
COMMENT ON COLUMN nine_box.grade IS 'Grade of the cycle.';
COMMENT ON COLUMN nine_box.final_score IS 'Final score of the cycle.';
COMMENT ON COLUMN nine_box.performance IS '1 low, 2 medium, 3 high, from the grade.';
COMMENT ON COLUMN nine_box.potential IS '1 low, 2 medium, 3 high; NULL until rated.';
COMMENT ON COLUMN nine_box.box IS '(potential - 1) x 3 + performance: 1..9; NULL until rated.';
COMMENT ON COLUMN nine_box.box_name IS 'risk, effective, trusted professional, inconsistent player, core player, high performer, enigma, high potential, star.';
GRANT SELECT ON nine_box TO sales_supervisor_supervisor, sales_supervisor_manager, sales_supervisor_hr;
