-- Layer 4, the sales year, steps 5 and 6 -- promotions and year-end pay.

-- ---------------------------------------------------------------------------
-- Promotions
-- ---------------------------------------------------------------------------
CREATE FUNCTION promotion_candidates(cycle integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, full_name text, from_level member_level, to_level member_level,
               rule_id integer, reason text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  c appraisal_cycle;
  y record;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'list promotion candidates');
  c := appraisal_cycle_row(cycle, true);
  IF c.state <> 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not closed', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Promotion candidates come from final grades.',
            HINT = 'Close it with close_appraisal_cycle(cycle_id) first.';
  END IF;
  SELECT * INTO y FROM year_bounds(c.fiscal_year);

  IF to_regclass('pg_temp._p_cand') IS NOT NULL THEN DROP TABLE pg_temp._p_cand; END IF;
  CREATE TEMP TABLE _p_cand ON COMMIT DROP AS
  WITH last_closed AS (   -- the latest closed cycle of each fiscal year up to this one
    SELECT DISTINCT ON (a.fiscal_year) a.cycle_id, a.fiscal_year
    FROM appraisal_cycle a
    WHERE a.state = 'closed' AND a.fiscal_year <= c.fiscal_year
    ORDER BY a.fiscal_year, a.cycle_id DESC),
  tenure AS (
    SELECT m.member_id,
           (extract(year FROM age(y.end_on + 1, m.hire_date)) * 12
            + extract(month FROM age(y.end_on + 1, m.hire_date)))::integer AS months
    FROM member m)
  SELECT m.member_id, m.full_name, pr.from_level, pr.to_level, pr.rule_id,
         format('grades %s qualify ({%s} in %s consecutive years needed); tenure %s months (%s needed)',
                g.grades, array_to_string(pr.qualifying_grades, ','), pr.consecutive_years,
                t.months, pr.min_tenure_months) AS reason
  FROM member m
  JOIN promotion_rule pr ON pr.active AND pr.from_level = m.level
  JOIN tenure t ON t.member_id = m.member_id
  CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE r.grade = ANY (pr.qualifying_grades)) AS qualifying,
           string_agg(format('%s (%s)', coalesce(r.grade, '-'), lc.fiscal_year), ', ' ORDER BY lc.fiscal_year DESC) AS grades
    FROM generate_series(c.fiscal_year - pr.consecutive_years + 1, c.fiscal_year) fy
    LEFT JOIN last_closed lc ON lc.fiscal_year = fy
    LEFT JOIN appraisal_result r ON r.cycle_id = lc.cycle_id AND r.member_id = m.member_id) g
  WHERE m.active
    AND g.qualifying = pr.consecutive_years
    AND t.months >= pr.min_tenure_months;

  -- the stored list: new candidates proposed, reasons refreshed, decided ones kept
  DELETE FROM promotion_candidate pc
  WHERE pc.cycle_id = cycle AND pc.status = 'proposed'
    AND NOT EXISTS (SELECT 1 FROM _p_cand x WHERE x.member_id = pc.member_id AND x.rule_id = pc.rule_id);
  INSERT INTO promotion_candidate AS pc (cycle_id, member_id, rule_id, status, note)
  SELECT cycle, x.member_id, x.rule_id, 'proposed', x.reason FROM _p_cand x ORDER BY x.member_id, x.rule_id
  ON CONFLICT (cycle_id, member_id, rule_id) DO UPDATE SET note = excluded.note
  WHERE pc.status = 'proposed';

  RETURN QUERY SELECT x.member_id, x.full_name, x.from_level, x.to_level, x.rule_id, x.reason
  FROM _p_cand x ORDER BY x.member_id, x.rule_id;
END
$fn$;
COMMENT ON FUNCTION promotion_candidates(integer, name) IS
'Lists and stores (promotion_candidate, status proposed) the members a closed appraisal cycle makes eligible: at a rule''s from_level, active, with a grade in qualifying_grades in each of the rule''s consecutive_years fiscal years up to the cycle''s (the latest closed cycle of each year), and at least min_tenure_months from hire to the year end; the reason names the grades and the tenure. Decided candidates are kept. HR only (a company-wide step; managers read the results of their scope under row-level security).';
REVOKE ALL ON FUNCTION promotion_candidates(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION promotion_candidates(integer, name) TO sales_supervisor_hr;

CREATE FUNCTION approve_promotion(cycle integer, member integer, rule integer, effective_on date,
                                  login name DEFAULT current_user)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_me integer;
  pc promotion_candidate;
  pr promotion_rule;
  v_level member_level;
  v_team integer;
  v_id integer;
BEGIN
  v_me := require_role(login, ARRAY['sales_supervisor_hr'], 'approve a promotion');
  IF effective_on IS NULL THEN
    RAISE EXCEPTION 'effective_on must not be null' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Pass the date the new level takes effect.';
  END IF;
  SELECT * INTO pc FROM promotion_candidate x
  WHERE x.cycle_id = cycle AND x.member_id = member AND x.rule_id = rule FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'member % is no promotion candidate of cycle % under rule %', member, cycle, rule
      USING ERRCODE = 'no_data_found', HINT = 'List the candidates with promotion_candidates(cycle_id) first.';
  END IF;
  IF pc.status <> 'proposed' THEN
    RAISE EXCEPTION 'the promotion candidate (cycle %, member %, rule %) is already %', cycle, member, rule, pc.status
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'A candidate is decided once.';
  END IF;
  SELECT * INTO pr FROM promotion_rule r WHERE r.rule_id = rule;
  PERFORM 1 FROM member m WHERE m.member_id = member FOR NO KEY UPDATE;
  -- the level in force the day before the promotion takes effect
  SELECT d.level, d.team_id INTO v_level, v_team FROM member_team_days() d
  WHERE d.member_id = member AND d.days @> (effective_on - 1);
  IF v_level <> pr.from_level THEN
    RAISE EXCEPTION 'member % is % on %, not % as rule % requires', member, v_level, effective_on - 1, pr.from_level, rule
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The member''s level changed after the candidate was listed.';
  END IF;
  INSERT INTO promotion (member_id, from_level, to_level, effective_on, cycle_id, approved_by, reason)
  VALUES (member, pr.from_level, pr.to_level, effective_on, cycle, v_me, pc.note)
  RETURNING promotion_id INTO v_id;
  -- the new level from effective_on (dated in the history, like a transfer),
  -- also in the changes already recorded after it; member.level follows today
  PERFORM assignment_split(member, v_team, pr.to_level, effective_on, format('promotion %s', v_id),
                           (SELECT a.quota_policy FROM member_assignment a
                            WHERE a.member_id = member AND a.valid @> effective_on));
  UPDATE member_assignment a SET level = pr.to_level
  WHERE a.member_id = member AND lower(a.valid) > effective_on AND a.level = pr.from_level;
  PERFORM assignment_sync_member(member);
  UPDATE promotion_candidate x SET status = 'approved'
  WHERE x.cycle_id = cycle AND x.member_id = member AND x.rule_id = rule;
  -- the other rules of the same member and cycle are settled by this decision
  UPDATE promotion_candidate x SET status = 'rejected', note = x.note || format('; superseded by promotion %s', v_id)
  WHERE x.cycle_id = cycle AND x.member_id = member AND x.rule_id <> rule AND x.status = 'proposed';
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION approve_promotion(integer, integer, integer, date, name) IS
'Approves a proposed promotion candidate: records the promotion (levels, effective date, cycle, approver, the candidate''s reason; audited), dates the new level from effective_on in the member''s history (member_assignment, in the team of that day; member.level changes when that day has come: apply_due_assignments for a future date), marks the candidate approved and the member''s other proposals of the cycle rejected. Returns the promotion id. HR only; nobody approves their own promotion.';
REVOKE ALL ON FUNCTION approve_promotion(integer, integer, integer, date, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION approve_promotion(integer, integer, integer, date, name) TO sales_supervisor_hr;

-- ---------------------------------------------------------------------------
-- Year-end pay
-- ---------------------------------------------------------------------------
CREATE FUNCTION year_end_pay(cycle integer, company_factor numeric, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, level member_level, grade text, base_salary numeric, commission numeric,
               target_bonus numeric, bonus_multiplier numeric, reward_or_penalty numeric,
               year_end_bonus numeric, total numeric)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  c appraisal_cycle;
  bad record;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_hr'], 'compute year-end pay');
  IF company_factor IS NULL OR company_factor < 0 OR company_factor > 10 THEN
    RAISE EXCEPTION 'company_factor must be between 0 and 10, got %', coalesce(company_factor::text, 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The company factor scales every target bonus by how the company did (1 = on plan).';
  END IF;
  c := appraisal_cycle_row(cycle, false);
  IF c.state <> 'closed' THEN
    RAISE EXCEPTION 'appraisal cycle % is %, not closed', cycle, c.state
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The year-end bonus depends on the final grades.',
            HINT = 'Close it with close_appraisal_cycle(cycle_id) first.';
  END IF;
  SELECT r.member_id INTO bad FROM appraisal_result r
  WHERE r.cycle_id = cycle AND r.grade IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM pay p WHERE p.member_id = r.member_id AND p.fiscal_year = c.fiscal_year)
  ORDER BY r.member_id LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'member % has no pay row (base salary) for %', bad.member_id, c.fiscal_year
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'INSERT INTO pay (member_id, fiscal_year, base_salary) for every appraised member first.';
  END IF;
  SELECT r.level INTO bad FROM appraisal_result r
  WHERE r.cycle_id = cycle AND r.grade IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM bonus_target b WHERE b.fiscal_year = c.fiscal_year AND b.level = r.level)
  ORDER BY r.level LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'level % has no target bonus for %', bad.level, c.fiscal_year
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'INSERT INTO bonus_target (fiscal_year, level, target_bonus_pct) VALUES (...).';
  END IF;

  IF to_regclass('pg_temp._y_pay') IS NOT NULL THEN DROP TABLE pg_temp._y_pay; END IF;
  CREATE TEMP TABLE _y_pay ON COMMIT DROP AS
  SELECT p.member_id, coalesce(r.level, m.level) AS level, r.grade, p.base_salary,
         coalesce((SELECT sum(po.amount) FROM commission_payout po JOIN fiscal_period fp ON fp.period_id = po.period_id
                   WHERE po.member_id = p.member_id AND fp.fiscal_year = c.fiscal_year), 0) AS commission,
         round(p.base_salary * coalesce(b.target_bonus_pct, 0) / 100, 2) AS target_bonus,
         coalesce(x.bonus_multiplier, 0) AS bonus_multiplier,
         coalesce(x.reward_or_penalty, 0) AS reward_or_penalty
  FROM pay p
  JOIN member m ON m.member_id = p.member_id
  LEFT JOIN appraisal_result r ON r.cycle_id = cycle AND r.member_id = p.member_id
  LEFT JOIN appraisal_consequence x ON x.cycle_id = cycle AND x.member_id = p.member_id
  LEFT JOIN bonus_target b ON b.fiscal_year = c.fiscal_year AND b.level = r.level
  WHERE p.fiscal_year = c.fiscal_year;
  ALTER TABLE _y_pay ADD COLUMN year_end_bonus numeric;
  UPDATE _y_pay SET year_end_bonus = CASE WHEN grade IS NULL THEN 0
    ELSE greatest(0, round(target_bonus * bonus_multiplier * company_factor, 2) + reward_or_penalty) END;

  UPDATE pay p SET commission = y.commission, year_end_bonus = y.year_end_bonus
  FROM _y_pay y WHERE p.member_id = y.member_id AND p.fiscal_year = c.fiscal_year;

  RETURN QUERY
  SELECT y.member_id, y.level, y.grade, y.base_salary, y.commission, y.target_bonus, y.bonus_multiplier,
         y.reward_or_penalty, y.year_end_bonus, y.base_salary + y.commission + y.year_end_bonus
  FROM _y_pay y ORDER BY y.member_id;
END
$fn$;
COMMENT ON FUNCTION year_end_pay(integer, numeric, name) IS
'Year-end pay of a closed appraisal cycle''s fiscal year for every pay row: commission = the commission paid for the year''s periods (payout lines, reversals included); year-end bonus = greatest(0, round(base x bonus_target pct / 100 x the grade''s bonus multiplier x company_factor, 2) + the grade''s reward or penalty), 0 without a grade; writes pay.commission and pay.year_end_bonus and returns base + commission + bonus. HR only.';
REVOKE ALL ON FUNCTION year_end_pay(integer, numeric, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION year_end_pay(integer, numeric, name) TO sales_supervisor_hr;
