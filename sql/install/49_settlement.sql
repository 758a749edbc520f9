-- Layer 4, the sales year: settling a commission period -- from what the
-- commission ledgers say a rep earned to what payroll pays them (issue 15).
--
-- settle_commission_period(period) closes a period that run_commission() has
-- run.  Per rep, it posts into the account (commission_entry):
--   earned        the commission payout lines booked in the period;
--   held          the share of a period's commission on invoices not paid
--                 yet, under a plan earning on payment; clawed_back the same
--                 under a plan earning on booking, once an invoice is unpaid
--                 past its due date + clawback_days; released what payments
--                 (or credit notes) have since freed;
--   spiff         the SPIFFs ending in the period (spiff_earnings);
--   draw_paid / guarantee_paid / draw_recovered   the draws of the plan;
--   paid          the payout batch line;
-- and the balance walk (commission_balance).  Adjustments of accepted
-- disputes are already in the account when the period is settled.

-- settlement_open_period: the period an amount found now is posted in -- the
-- first period of p_period's kind, starting no earlier than it, that is not
-- settled yet (no payout batch).
CREATE FUNCTION settlement_open_period(p_period integer)
RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT o.period_id
  FROM fiscal_period p
  JOIN fiscal_period o ON o.kind = p.kind AND o.start_on >= p.start_on
  WHERE p.period_id = p_period
    AND NOT EXISTS (SELECT 1 FROM payout_batch b WHERE b.period_id = o.period_id)
  ORDER BY o.start_on
  LIMIT 1
$fn$;
COMMENT ON FUNCTION settlement_open_period(integer) IS
'Internal: the first period of p_period''s kind, starting on or after it, without a payout batch -- where an amount decided now for p_period is posted (an accepted dispute''s adjustment); NULL when none is defined.';
REVOKE ALL ON FUNCTION settlement_open_period(integer) FROM PUBLIC;
