-- Layer 4, the sales year, step 3 -- commission.
--
-- run_commission(period) does the period's commission in one transaction:
--  1. credit: the sales lines dated in the run's window -- from the day after
--     the last date any run credited (at the earliest the start of the
--     period's fiscal year) to the period's end -- are credited to their reps
--     (the split in exact cents, credited_sales_by_month) as one ledger line
--     per rep for the sales and one for the refunds (negative: the reversal
--     of the sales they refund);
--  2. late lines: the lines queued in commission_late_sale (inserted into a
--     window an earlier run credited, after that run) are credited the same
--     way as late_sales / late_refunds lines of this period;
--  3. payout: each rep with a commission_plan for the period is paid
--     round(tiered_commission(net credit of the period, tiers), 2) as one
--     append-only payout line (a net below 0 pays 0: the refund of an earlier
--     period's sale reduces this period's credit, it claws back no more);
--  4. lock: the period is locked with its window; a second run is refused,
--     and so is a run of a period that ends within dates already credited.
-- The ledger holds per period, rep and month of sale what was credited;
-- commission_credit_line shows the sales lines behind it, and credit_by_month
-- reads the credit of the months the runs have covered from it.  A run takes a SHARE lock on sale and
-- sale_credit (the lines it reads cannot change under it) and a SHARE ROW
-- EXCLUSIVE lock on the ledger (runs are serialised); it runs in READ
-- COMMITTED only, so that after the lock it sees every line committed before.

-- run_commission checks the login, the transaction and the period, takes the
-- run's locks, and does the steps above in functions of their own:
--   commission_run_window  the run's window (step 1), refused unless the
--                          period is the next one to run (step 4's refusals)
--   commission_run_credit  1. the window's lines and 2. the late lines, to the ledger
--   commission_run_payout  3. the payouts
-- and 4, the lock, itself.  They are internal: SECURITY INVOKER and executable
-- by nobody but the owner (REVOKE ALL ... FROM PUBLIC), so they run only inside
-- run_commission, as its owner, under its locks, and see every row.

-- commission_run_window: the first sale date the run of period p credits --
-- the day after the last date any run credited, at the earliest the start of
-- p's fiscal year -- refused (55000) when p is locked, ends within credited
-- dates, lies before its fiscal year, or when periods of p's kind before it
-- are not run yet (the hint names the first of them).
CREATE FUNCTION commission_run_window(p fiscal_period)
RETURNS date
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  y         record;
  v_through date;
  v_from    date;
  gap       fiscal_period;
BEGIN
  IF EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = p.period_id) THEN
    RAISE EXCEPTION 'commission period % is locked', p.period_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Its commission was already run and paid.',
            HINT = 'Late sales and refunds are credited by the run of the next open period.';
  END IF;
  v_through := (SELECT max(l.credited_through) FROM commission_period_lock l);
  IF v_through >= p.end_on THEN
    RAISE EXCEPTION 'commission period % ends on %, within the sale dates already credited (through %)',
                    p.period_id, p.end_on, v_through
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Commission periods are run in date order, of one kind (months, or quarters); a period ending later has been run.',
            HINT = 'Lines dated in credited windows and inserted since are credited by the next run as late lines.';
  END IF;
  SELECT * INTO y FROM year_bounds(p.fiscal_year);
  v_from := greatest(y.start_on, v_through + 1);
  IF v_from > p.end_on THEN
    RAISE EXCEPTION 'commission period % (% .. %) lies before the start of its fiscal year % (%)',
                    p.period_id, p.start_on, p.end_on, p.fiscal_year, y.start_on
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Without a fiscal_period of kind year the fiscal year is the calendar year: insert the year period.';
  END IF;
  IF v_through + 1 < y.start_on THEN   -- a gap before this fiscal year: periods there not run yet?
    SELECT * INTO gap FROM fiscal_period e
    WHERE e.kind = p.kind AND e.start_on > v_through AND e.end_on < y.start_on
      AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = e.period_id)
    ORDER BY e.start_on LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'commission period % would leave the sale dates % .. % uncredited', p.period_id, v_through + 1, y.start_on - 1
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Commission periods are run in date order; those dates lie in periods not run yet.',
              HINT = format('Run period %s (%s .. %s) first.', gap.period_id, gap.start_on, gap.end_on);
    END IF;
  END IF;
  IF v_from < p.start_on THEN
    RAISE EXCEPTION 'commission period % starts on %, but the sale dates from % are not credited yet', p.period_id, p.start_on, v_from
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'Commission periods are run in date order, each taking the dates after the one before it; a period run early would take an earlier period''s sales.',
            HINT = coalesce((SELECT format('Run period %s (%s .. %s) first.', e.period_id, e.start_on, e.end_on)
                             FROM fiscal_period e
                             WHERE e.kind = p.kind AND e.end_on >= v_from AND e.end_on < p.start_on
                               AND NOT EXISTS (SELECT 1 FROM commission_period_lock l WHERE l.period_id = e.period_id)
                             ORDER BY e.start_on LIMIT 1),
                            'Run the periods before it first (run_commission_for_month does, oldest first).');
  END IF;
  RETURN v_from;
END
$fn$;
COMMENT ON FUNCTION commission_run_window(fiscal_period) IS
'Internal, a step of run_commission: the first sale date the run of period p credits (the day after the last date credited by any run, at the earliest the start of p''s fiscal year); refuses (55000) a locked period, one ending within the dates already credited, one before the start of its fiscal year, and one that would leave earlier periods of its kind uncredited.';
REVOKE ALL ON FUNCTION commission_run_window(fiscal_period) FROM PUBLIC;

-- commission_run_credit: steps 1 and 2 -- the lines dated from p_from to
-- p_through and the late lines waiting in the queue, credited to their reps
-- as one ledger write (per rep, kind and month of sale) for period p_period;
-- the queue's lines marked credited by it.
CREATE FUNCTION commission_run_credit(p_period integer, p_from date, p_through date)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  INSERT INTO commission_credit (period_id, member_id, kind, sold_in, lines, amount)
  SELECT p_period, c.member_id, c.kind, c.sold_in, sum(c.lines), sum(c.amount)
  FROM (SELECT b.member_id, CASE WHEN b.refunds THEN 'refunds' ELSE 'sales' END AS kind, b.month AS sold_in,
               b.lines, b.amount
        FROM credited_sales_by_month(p_from, p_through) b
        UNION ALL
        SELECT cs.member_id, CASE WHEN cs.refund_of IS NULL THEN 'late_sales' ELSE 'late_refunds' END,
               date_trunc('month', cs.sold_on::timestamp)::date, 1, cs.amount
        FROM credited_sales('-infinity', 'infinity') cs   -- (the key filter reaches both branches: index probes)
        WHERE cs.sale_id = ANY (ARRAY(SELECT q.sale_id FROM commission_late_sale q WHERE q.credited_period_id IS NULL))) c
  GROUP BY c.member_id, c.kind, c.sold_in
  ORDER BY c.member_id, c.kind, c.sold_in;
  UPDATE commission_late_sale q SET credited_period_id = p_period WHERE q.credited_period_id IS NULL;
END
$fn$;
COMMENT ON FUNCTION commission_run_credit(integer, date, date) IS
'Internal, steps 1 and 2 of run_commission: credits to period p_period the sales lines dated from p_from to p_through (sales, refunds) and the late lines waiting in commission_late_sale (late_sales, late_refunds), per rep, kind and month of sale, in exact cents; marks the late lines credited by p_period.';
REVOKE ALL ON FUNCTION commission_run_credit(integer, date, date) FROM PUBLIC;

-- commission_run_payout: step 3 -- each rep with a commission_plan for the
-- period paid by their tier table on the period's net credit.
CREATE FUNCTION commission_run_payout(p_period integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  INSERT INTO commission_payout (member_id, period_id, amount, note)
  SELECT cp.member_id, p_period,
         round(tiered_commission(coalesce(n.net, 0), cp.tiers), 2),
         format('tiered commission on net credit %s', coalesce(n.net, 0))
  FROM commission_plan cp
  LEFT JOIN (SELECT cc.member_id, sum(cc.amount) AS net FROM commission_credit cc
             WHERE cc.period_id = p_period GROUP BY cc.member_id) n ON n.member_id = cp.member_id
  WHERE cp.period_id = p_period
  ORDER BY cp.member_id;
END
$fn$;
COMMENT ON FUNCTION commission_run_payout(integer) IS
'Internal, step 3 of run_commission: one payout line per rep with a commission_plan for period p_period, round(tiered_commission(net credit of the period, tiers), 2) (a net below 0 pays 0).';
REVOKE ALL ON FUNCTION commission_run_payout(integer) FROM PUBLIC;

CREATE FUNCTION run_commission(period integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, credited numeric, payout numeric, tiers text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p         fiscal_period;
  v_from    date;
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], 'run commissions');
  IF scope_root_team_ids(login) IS NOT NULL THEN
    RAISE EXCEPTION 'role "%" may not run commissions: a run credits and pays the whole organisation', login
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Its scope is the subtree of the teams it leads.',
            HINT = 'The calendar job commission_run runs it as the extension owner; a manager who leads every department may run it by hand.';
  END IF;
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
  v_from := commission_run_window(p);

  -- 1. the lines of the window, and 2. the late lines waiting in the queue
  PERFORM commission_run_credit(period, v_from, p.end_on);

  -- 3. payouts by each rep's tier table on the period's net credit
  PERFORM commission_run_payout(period);

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
'Runs the commission of a fiscal period in one transaction: credits the sales lines dated from the day after the last credited date (at the earliest the fiscal year start) to the period end, and the late lines queued in commission_late_sale, to their reps by split in exact cents (allocate_quota), as ledger lines per rep, kind (sales, refunds, late_sales, late_refunds) and month of sale; pays each rep with a commission_plan for the period round(tiered_commission(net credit, tiers), 2) as an append-only payout line; and locks the period with its window. A second run, or a run of a period ending within credited dates, is refused (55000). Returns per rep the net credit, the payout (NULL without a plan) and the tier table. A company-wide step: the extension owner (the calendar job) or a manager who leads every department.';
REVOKE ALL ON FUNCTION run_commission(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION run_commission(integer, name) TO sales_supervisor_manager;

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
