-- Layer 3, operations: the sales year, step 3 -- commission.
--
-- run_commission(period) does the period's commission in one transaction:
--  1. credit: every sales line sold from the start of the period's fiscal year
--     to the period's end that has no credit line yet gets one line per
--     credited rep (credited_sales: the split in exact cents by allocate_quota),
--     booked in this period -- so a line inserted late, after its own period was
--     locked, is credited in the next run instead of being lost;
--  2. refunds: a full refund of a credited line adds reversal lines
--     (reverses_id, the negated amount, same sale and rep) in this period; a
--     partial refund (or one of a line never credited) is credited as negative
--     lines of its own, split like the line it refunds;
--  3. payout: each rep with a commission_plan for the period is paid
--     round(tiered_commission(net credit of the period, tiers), 2) as one
--     append-only payout line (a net below 0 pays 0: the refund of an earlier
--     period's sale reduces this period's credit, it claws back no more);
--  4. lock: the period is locked; a second run is refused.
-- Runs are serialised by a SHARE ROW EXCLUSIVE lock on commission_credit.

CREATE FUNCTION run_commission(period integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, credited numeric, payout numeric, tiers text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p fiscal_period;
  y record;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager', 'sales_supervisor_hr'], 'run commissions');
  SELECT * INTO p FROM fiscal_period fp WHERE fp.period_id = period FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal period % does not exist', period
      USING ERRCODE = 'no_data_found', HINT = 'Pass a period_id of fiscal_period.';
  END IF;
  LOCK TABLE commission_credit, commission_payout IN SHARE ROW EXCLUSIVE MODE;
  IF EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = period) THEN
    RAISE EXCEPTION 'commission period % is locked', period
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Its commission was already run and paid.',
            HINT = 'Late sales and refunds are credited by the run of the next open period.';
  END IF;
  SELECT * INTO y FROM year_bounds(p.fiscal_year);

  -- 1. sales lines not credited yet
  INSERT INTO commission_credit (sale_id, member_id, period_id, share_pct, amount)
  SELECT cs.sale_id, cs.member_id, period, cs.share_pct, cs.amount
  FROM credited_sales(y.start_on, p.end_on) cs
  WHERE cs.refund_of IS NULL
    AND NOT EXISTS (SELECT 1 FROM commission_credit cc WHERE cc.sale_id = cs.sale_id)
  ORDER BY cs.sale_id, cs.member_id;

  -- 2a. full refunds of credited lines: reversal lines
  INSERT INTO commission_credit (sale_id, member_id, period_id, share_pct, amount, reverses_id)
  SELECT cc.sale_id, cc.member_id, period, cc.share_pct, -cc.amount, cc.credit_id
  FROM sale r
  JOIN sale s ON s.sale_id = r.refund_of AND r.amount = -s.amount
  JOIN commission_credit cc ON cc.sale_id = s.sale_id AND cc.reverses_id IS NULL
  WHERE r.refund_of IS NOT NULL          -- (the partial index of refund lines)
    AND r.sold_on BETWEEN y.start_on AND p.end_on
    AND NOT EXISTS (SELECT 1 FROM commission_credit x WHERE x.reverses_id = cc.credit_id)
  ORDER BY cc.credit_id;

  -- 2b. partial refunds, and refunds of lines never credited: negative lines of their own
  INSERT INTO commission_credit (sale_id, member_id, period_id, share_pct, amount)
  SELECT cs.sale_id, cs.member_id, period, cs.share_pct, cs.amount
  FROM credited_sales(y.start_on, p.end_on) cs
  JOIN sale r ON r.sale_id = cs.sale_id
  JOIN sale s ON s.sale_id = r.refund_of
  WHERE cs.refund_of IS NOT NULL         -- pushed into credited_sales: refund lines only
    AND NOT EXISTS (SELECT 1 FROM commission_credit cc WHERE cc.sale_id = r.sale_id)
    AND NOT (r.amount = -s.amount AND EXISTS (SELECT 1 FROM commission_credit cc WHERE cc.sale_id = s.sale_id))
  ORDER BY cs.sale_id, cs.member_id;

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

  -- 4. lock
  INSERT INTO commission_period_lock (period_id) VALUES (period);

  RETURN QUERY
  SELECT x.member_id, coalesce(n.net, 0), po.amount, cp.tiers::text
  FROM (SELECT cc.member_id FROM commission_credit cc WHERE cc.period_id = period
        UNION SELECT cp2.member_id FROM commission_plan cp2 WHERE cp2.period_id = period) x
  LEFT JOIN (SELECT cc.member_id, sum(cc.amount) AS net FROM commission_credit cc
             WHERE cc.period_id = period GROUP BY cc.member_id) n ON n.member_id = x.member_id
  LEFT JOIN commission_plan cp ON cp.member_id = x.member_id AND cp.period_id = period
  LEFT JOIN commission_payout po ON po.member_id = x.member_id AND po.period_id = period AND po.reverses_id IS NULL
  ORDER BY x.member_id;
END
$fn$;
COMMENT ON FUNCTION run_commission(integer, name) IS
'Runs the commission of a fiscal period in one transaction: credits every uncredited sales line of the fiscal year up to the period end to its reps by split in exact cents (allocate_quota), books full refunds of credited lines as reversal lines and partial refunds as negative lines, pays each rep with a commission_plan for the period round(tiered_commission(net credit, tiers), 2) as an append-only payout line, and locks the period (a second run is refused). Returns per rep the net credit, the payout (NULL without a plan) and the tier table. Managers and HR only.';
REVOKE ALL ON FUNCTION run_commission(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION run_commission(integer, name) TO sales_supervisor_manager, sales_supervisor_hr;
