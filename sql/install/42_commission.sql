-- Layer 4, the sales year, step 3 -- commission.
--
-- run_commission(period) does the period's commission in one transaction:
--  1. credit: the sales lines dated in the run's window -- from the day after
--     the last date any run credited (at the earliest the start of the
--     period's fiscal year) to the period's end -- are credited to their reps
--     (the split in exact cents, credited_sales_by_month) as one ledger line
--     per rep for the sales and one for the refunds (negative: the reversal
--     of the sales they refund);
--  2. waiting changes: the lines queued in commission_late_sale (inserted
--     into a window an earlier run credited, after that run) and the split
--     corrections waiting in sale_credit_correction are credited in this
--     period as late_sales / late_refunds / corrections lines -- each for the
--     earlier period whose window holds its sale date (for_period_id);
--  3. payout: each rep with a commission_plan for the period is paid
--     round(tiered_commission(credit of the period's window, tiers), 2) as one
--     append-only payout line naming the plan version (a net below 0 pays 0:
--     the refund of an earlier period's sale reduces this period's credit, it
--     claws back no more);
--  4. settle: every earlier period whose credit step 2 changed, or whose plan
--     was corrected since it paid, is paid again on its credit as it now is,
--     and the difference to what it was paid is posted in this period as an
--     adjustment line (commission_settle, shared with recalculate_commission);
--  5. lock: the period is locked with its window; a second run is refused,
--     and so is a run of a period that ends within dates already credited.
-- So a late line or a corrected split is paid at the tier of the period it was
-- sold in, not on top of the period that happens to run next (0.2.0 did that).
-- The ledger holds per period, rep, month of sale and period of the window
-- what was credited; commission_credit_line shows the sales lines behind it,
-- and credit_by_month reads the credit of the months the runs have covered
-- from it.  A run takes a SHARE lock on sale and sale_credit (the lines it
-- reads cannot change under it) and a SHARE ROW EXCLUSIVE lock on the ledger
-- (runs are serialised); it runs in READ COMMITTED only, so that after the
-- lock it sees every line committed before.

-- run_commission checks the login, the transaction and the period, takes the
-- run's locks, and does the steps above in functions of their own:
--   commission_run_window      the run's window (step 1), refused unless the
--                              period is the next one to run (step 5's refusals)
--   commission_run_credit      1. the window's lines, to the ledger
--   commission_credit_waiting  2. the late lines and corrections
--   commission_run_payout      3. the payouts
--   commission_settle          4. the adjustments of earlier periods
-- and 5, the lock, itself.  They are internal: SECURITY INVOKER and executable
-- by nobody but the owner (REVOKE ALL ... FROM PUBLIC), so they run only inside
-- run_commission (or recalculate_commission), as its owner, under its locks,
-- and see every row.

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

-- commission_window_credit: the parts of the run window's credit, per rep,
-- month of sale, sign and invoice -- the steps of credited_sales_by_month (the
-- lines summed as booked, then the split lines, found by the id ranges the
-- first pass met, moved to their credited reps) with the invoice as one more
-- key and without the final sum, so that the run sums them twice: per rep
-- for its ledger lines, per invoice and rep for the settlement's cache of
-- invoice credit (invoice_credit), which would otherwise read each window's
-- lines a second time.  Kept apart from credited_sales_by_month because the
-- extra key costs that function's other readers (KPIs, quota history) about
-- a quarter of their time.  Lines without an invoice have a NULL invoice.
CREATE FUNCTION commission_window_credit(p_from date, p_through date)
RETURNS TABLE (member_id integer, month date, refunds boolean, invoice_id bigint, lines bigint, amount numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
  WITH booked AS MATERIALIZED (
    SELECT s.member_id, date_trunc('month', s.sold_on::timestamp)::date AS month, s.refund_of IS NOT NULL AS refund,
           s.invoice_id, count(*) AS lines, sales_supervisor.cents_sum(s.amount) AS amount,   -- (sum(), tens of
           min(s.sale_id) AS lo, max(s.sale_id) AS hi                                            -- thousands of groups)
    FROM sales_supervisor.sale s
    WHERE s.sold_on >= p_from AND s.sold_on <= p_through
    GROUP BY 1, 2, 3, 4),
  split AS (
    SELECT s.member_id AS booked_id, s.sold_on, s.refund, s.amount, s.invoice_id, sc.member_id,
           row_number() OVER w = 1 AS first_share,
           sign(s.amount) * sales_supervisor.allocate_quota(abs(s.amount), sc.share_pct, 0.01::numeric) OVER w AS credit
    FROM (SELECT lower(r) AS lo, upper(r) - 1 AS hi   -- the id ranges of the groups, merged
          FROM unnest((SELECT range_agg(int8range(b.lo, b.hi, '[]')) FROM booked b)) r) ids
    JOIN sales_supervisor.sale_credit sc ON sc.sale_id BETWEEN ids.lo AND ids.hi
    CROSS JOIN LATERAL (
      SELECT s1.member_id, s1.sold_on, s1.refund_of IS NOT NULL AS refund, s1.amount, s1.invoice_id
      FROM sales_supervisor.sale s1
      WHERE s1.sale_id = sc.sale_id AND s1.sold_on >= p_from AND s1.sold_on <= p_through
      OFFSET 0) s   -- (kept a parameterised probe of sale's key)
    WINDOW w AS (PARTITION BY sc.sale_id ORDER BY sc.member_id))
  SELECT b.member_id, b.month, b.refund, b.invoice_id, b.lines, b.amount FROM booked b
  UNION ALL   -- each split line: credited to its reps ...
  SELECT sp.member_id, date_trunc('month', sp.sold_on::timestamp)::date, sp.refund, sp.invoice_id, 1, sp.credit
  FROM split sp
  UNION ALL   -- ... and taken from the rep it is booked to
  SELECT sp.booked_id, date_trunc('month', sp.sold_on::timestamp)::date, sp.refund, sp.invoice_id, -1, -sp.amount
  FROM split sp WHERE sp.first_share;
END;
COMMENT ON FUNCTION commission_window_credit(date, date) IS
'Internal, for commission_run_credit: the parts of the credit of the lines sold from p_from to p_through -- the lines as booked, per rep, calendar month, refunds and invoice (NULL: lines without one), and each split line moved from the rep booked to its credited reps (exact cents); summed per rep, month and refunds they give credited_sales_by_month(p_from, p_through), per invoice and rep the credit of the invoice''s lines. One pass over the lines plus the split lines.';
REVOKE ALL ON FUNCTION commission_window_credit(date, date) FROM PUBLIC;

-- commission_run_credit: step 1 -- the lines dated from p_from to p_through,
-- credited to their reps as one ledger write (per rep, kind and month of
-- sale) for period p_period, whose window they are; from the same pass, the
-- window's credit per invoice and rep into the settlement's cache
-- (invoice_credit; run_commission marks the window cached once it is locked).
CREATE FUNCTION commission_run_credit(p_period integer, p_from date, p_through date)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  -- EXECUTE: planned for this run's dates (a custom plan: the BRIN index on
  -- sold_on reads the window's pages only); a plan made once for any dates
  -- would read every line of the year for each month.  On a coordinator the
  -- window's credit comes from the shards (shard_window_credit), summed the
  -- same way
  EXECUTE format(
    'WITH c AS MATERIALIZED (SELECT * FROM sales_supervisor.%I($2, $3)),
     cached AS (
       INSERT INTO sales_supervisor.invoice_credit (invoice_id, for_period_id, member_id, credit)
       SELECT c.invoice_id, $1, c.member_id, sales_supervisor.cents_sum(c.amount) FROM c   -- (sum(), per invoice and rep)
       WHERE c.invoice_id IS NOT NULL
       GROUP BY c.invoice_id, c.member_id HAVING sales_supervisor.cents_sum(c.amount) <> 0
       ORDER BY c.member_id, c.invoice_id)   -- (in key order)
     INSERT INTO sales_supervisor.commission_credit (period_id, member_id, kind, sold_in, lines, amount, for_period_id)
     SELECT $1, c.member_id, CASE WHEN c.refunds THEN ''refunds'' ELSE ''sales'' END, c.month, sum(c.lines),
            sales_supervisor.cents_sum(c.amount), $1
     FROM c
     GROUP BY c.member_id, c.refunds, c.month
     HAVING sum(c.lines) <> 0
     ORDER BY c.member_id, c.refunds, c.month',
    CASE WHEN shards_registered() THEN 'shard_window_credit' ELSE 'commission_window_credit' END)
  USING p_period, p_from, p_through;
END
$fn$;
COMMENT ON FUNCTION commission_run_credit(integer, date, date) IS
'Internal, step 1 of run_commission: credits to period p_period the sales lines dated from p_from to p_through (sales, refunds), per rep and month of sale, in exact cents; from the same pass, writes their credit per invoice and rep into the settlement''s cache (invoice_credit) for the window of p_period. On a coordinator the lines are the shards'' (shard_window_credit).';
REVOKE ALL ON FUNCTION commission_run_credit(integer, date, date) FROM PUBLIC;

-- commission_credit_waiting: step 2 -- the late lines waiting in the queue
-- and the split corrections waiting in sale_credit_correction, credited in
-- period p_into, each for the locked period whose window holds its sale date;
-- the queue rows are marked credited by p_into.  Returns those periods: their
-- payout is settled next.
CREATE FUNCTION commission_credit_waiting(p_into integer)
RETURNS integer[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
DECLARE
  v_periods integer[];
BEGIN
  WITH waiting AS (
    SELECT cs.member_id, CASE WHEN cs.refund_of IS NULL THEN 'late_sales' ELSE 'late_refunds' END AS kind,
           cs.sold_on, 1 AS lines, cs.amount
    FROM credited_sales('-infinity', 'infinity') cs   -- (the key filter reaches both branches: index probes)
    WHERE cs.sale_id = ANY (ARRAY(SELECT q.sale_id FROM commission_late_sale q WHERE q.credited_period_id IS NULL))
    UNION ALL   -- on a coordinator, the late lines on the shards (none on a single server: no remote call)
    SELECT x.member_id, CASE WHEN x.refund_of IS NULL THEN 'late_sales' ELSE 'late_refunds' END, x.sold_on, 1, x.amount
    FROM shard_late_lines(ARRAY(SELECT q.sale_id FROM shard_late_sale q WHERE q.credited_period_id IS NULL)) x
    UNION ALL
    SELECT c.member_id, 'corrections', s.sold_on, c.line_change, c.delta
    FROM sale_credit_correction c JOIN sale s ON s.sale_id = c.sale_id
    WHERE c.credited_period_id IS NULL),
  written AS (
    INSERT INTO commission_credit (period_id, member_id, kind, sold_in, lines, amount, for_period_id)
    SELECT p_into, w.member_id, w.kind, date_trunc('month', w.sold_on::timestamp)::date, sum(w.lines), sum(w.amount),
           l.period_id
    FROM waiting w JOIN commission_period_lock l ON w.sold_on BETWEEN l.credited_from AND l.credited_through
    GROUP BY w.member_id, w.kind, 4, l.period_id
    HAVING sum(w.lines) <> 0 OR sum(w.amount) <> 0 OR w.kind <> 'corrections'
    ORDER BY w.member_id, l.period_id, w.kind, 4
    RETURNING for_period_id)
  SELECT coalesce(array_agg(DISTINCT x.for_period_id), '{}') INTO v_periods FROM written x;
  UPDATE commission_late_sale q SET credited_period_id = p_into WHERE q.credited_period_id IS NULL;
  UPDATE shard_late_sale q SET credited_period_id = p_into WHERE q.credited_period_id IS NULL;
  UPDATE sale_credit_correction c SET credited_period_id = p_into WHERE c.credited_period_id IS NULL;
  RETURN v_periods;
END
$fn$;
COMMENT ON FUNCTION commission_credit_waiting(integer) IS
'Internal, step 2 of run_commission (and of recalculate_commission): credits in period p_into the late lines waiting in commission_late_sale and, on a coordinator, shard_late_sale (late_sales, late_refunds) and the split corrections waiting in sale_credit_correction (corrections), per rep, kind, month of sale and the locked period whose window holds the sale date; marks them credited by p_into; returns those periods.';
REVOKE ALL ON FUNCTION commission_credit_waiting(integer) FROM PUBLIC;

-- commission_run_payout: step 3 -- each rep with a commission_plan for the
-- period paid by their tier table on the period's credit (its window's lines;
-- late lines of earlier windows booked in it count for their own periods).
CREATE FUNCTION commission_run_payout(p_period integer)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  INSERT INTO commission_payout (member_id, period_id, amount, note, for_period_id, plan_id, plan_version, credit_base)
  SELECT cp.member_id, p_period,
         round(tiered_commission(coalesce(n.net, 0), cp.tiers), 2),
         format('tiered commission on net credit %s', coalesce(n.net, 0)),
         p_period, cp.plan_id, v.version, coalesce(n.net, 0)
  FROM commission_plan cp
  CROSS JOIN LATERAL (SELECT max(pv.version) AS version FROM commission_plan_version pv WHERE pv.plan_id = cp.plan_id) v
  LEFT JOIN (SELECT cc.member_id, sum(cc.amount) AS net FROM commission_credit cc
             WHERE cc.for_period_id = p_period GROUP BY cc.member_id) n ON n.member_id = cp.member_id
  WHERE cp.period_id = p_period
  ORDER BY cp.member_id;
END
$fn$;
COMMENT ON FUNCTION commission_run_payout(integer) IS
'Internal, step 3 of run_commission: one payout line per rep with a commission_plan for period p_period, round(tiered_commission(credit of the period, tiers), 2) (a net below 0 pays 0), naming the plan version and the credit it was computed on.';
REVOKE ALL ON FUNCTION commission_run_payout(integer) FROM PUBLIC;

-- commission_period_due: what each rep should have been paid for a locked
-- period, from the ledger: the period's credit (every credit line for it,
-- whatever period booked it) under the plan's current version, next to what
-- the payout lines for it add up to and the last of them (its plan version
-- and credit base say what changed since).  The one place that says what a
-- period owes: the run's settle step, recalculate_commission and
-- conservation_violations read it.
CREATE FUNCTION commission_period_due(p_periods integer[])
RETURNS TABLE (for_period_id integer, member_id integer, credit numeric, due numeric, paid numeric,
               plan_id integer, plan_version integer, last_version integer, last_base numeric, last_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT r.for_period_id, r.member_id, coalesce(c.credit, 0),
         CASE WHEN cp.plan_id IS NULL THEN 0
              ELSE round(sales_supervisor.tiered_commission(coalesce(c.credit, 0), cp.tiers), 2) END,
         coalesce(pd.paid, 0), cp.plan_id, v.version, pd.last_version, pd.last_base, pd.last_at
  FROM (SELECT p.period_id AS for_period_id, p.member_id FROM sales_supervisor.commission_plan p
        WHERE p.period_id = ANY (p_periods)
        UNION
        SELECT cc.for_period_id, cc.member_id FROM sales_supervisor.commission_credit cc
        WHERE cc.for_period_id = ANY (p_periods)
        UNION
        SELECT po.for_period_id, po.member_id FROM sales_supervisor.commission_payout po
        WHERE po.for_period_id = ANY (p_periods)) r
  LEFT JOIN sales_supervisor.commission_plan cp ON cp.period_id = r.for_period_id AND cp.member_id = r.member_id
  LEFT JOIN LATERAL (SELECT max(pv.version) AS version FROM sales_supervisor.commission_plan_version pv
                     WHERE pv.plan_id = cp.plan_id) v ON true
  LEFT JOIN LATERAL (SELECT sum(cc.amount) AS credit FROM sales_supervisor.commission_credit cc
                     WHERE cc.for_period_id = r.for_period_id AND cc.member_id = r.member_id) c ON true
  LEFT JOIN LATERAL (SELECT sum(po.amount) AS paid,
                            (array_agg(po.plan_version ORDER BY po.payout_id DESC)
                               FILTER (WHERE po.plan_version IS NOT NULL))[1] AS last_version,
                            (array_agg(po.credit_base ORDER BY po.payout_id DESC)
                               FILTER (WHERE po.credit_base IS NOT NULL))[1] AS last_base,
                            max(po.created_at) AS last_at
                     FROM sales_supervisor.commission_payout po
                     WHERE po.for_period_id = r.for_period_id AND po.member_id = r.member_id) pd ON true
$fn$;
COMMENT ON FUNCTION commission_period_due(integer[]) IS
'Internal: per period of p_periods and rep with a plan, credit or payout for it -- the credit for the period in the ledger (all credit lines with that for_period_id), what it is due (round(tiered_commission(credit, the plan''s current tiers), 2); 0 without a plan), what the payout lines for it add up to, the plan and its current version, and the plan version and credit base of the last payout line for it that names them (reversals and lines written by hand do not).';
REVOKE ALL ON FUNCTION commission_period_due(integer[]) FROM PUBLIC;

-- commission_settle: step 4 -- each rep of the given (locked) periods whose
-- due differs from what they were paid for it gets the difference as an
-- adjustment line in period p_into, naming the period, the plan version and
-- the cause (what changed since the period's last payout line).
CREATE FUNCTION commission_settle(p_into integer, p_periods integer[], p_note text)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  INSERT INTO sales_supervisor.commission_payout
         (member_id, period_id, amount, note, for_period_id, plan_id, plan_version, credit_base, cause)
  SELECT d.member_id, p_into, d.due - d.paid, p_note, d.for_period_id, d.plan_id, d.plan_version, d.credit,
         coalesce(nullif(concat_ws('; ',
           CASE WHEN d.credit IS DISTINCT FROM d.last_base THEN
             format('credit %s -> %s (%s)', coalesce(d.last_base, 0), d.credit,
                    (SELECT string_agg(DISTINCT CASE WHEN cc.kind LIKE 'late%' THEN 'late lines'
                                                     WHEN cc.kind = 'corrections' THEN 'split corrections'
                                                     ELSE cc.kind END, ', ')
                     FROM sales_supervisor.commission_credit cc
                     WHERE cc.for_period_id = d.for_period_id AND cc.member_id = d.member_id
                       AND cc.period_id <> cc.for_period_id AND cc.created_at >= coalesce(d.last_at, '-infinity')))
           END,
           CASE WHEN d.plan_version IS DISTINCT FROM d.last_version THEN
             format('plan %s version %s -> %s', coalesce(d.plan_id::text, '(none)'),
                    coalesce(d.last_version::text, '(none)'), coalesce(d.plan_version::text, '(none)'))
           END), ''), 'payout differed from the plan')
  FROM sales_supervisor.commission_period_due(p_periods) d
  WHERE d.due <> d.paid
  ORDER BY d.for_period_id, d.member_id;
$fn$;
COMMENT ON FUNCTION commission_settle(integer, integer[], text) IS
'Internal, step 4 of run_commission and the payout step of recalculate_commission: for each rep of the locked periods p_periods whose due (commission_period_due) differs from what the payout lines for the period add up to, an adjustment payout line in period p_into for the difference, naming the period, plan version, the credit it was computed on and the cause (the credit changed by late lines, split corrections or a recalculation; the plan version changed).';
REVOKE ALL ON FUNCTION commission_settle(integer, integer[], text) FROM PUBLIC;

-- commission_plan_corrected_periods: the locked periods with a plan whose
-- current version is not the one its last payout line was computed with
-- (corrected since, or written after the run): the run settles them too.
CREATE FUNCTION commission_plan_corrected_periods()
RETURNS integer[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
  SELECT coalesce(array_agg(DISTINCT cp.period_id), '{}')
  FROM sales_supervisor.commission_plan cp
  JOIN sales_supervisor.commission_period_lock l ON l.period_id = cp.period_id AND l.credited_from IS NOT NULL
  WHERE (SELECT max(v.version) FROM sales_supervisor.commission_plan_version v WHERE v.plan_id = cp.plan_id)
        IS DISTINCT FROM
        (SELECT po.plan_version FROM sales_supervisor.commission_payout po
         WHERE po.for_period_id = cp.period_id AND po.member_id = cp.member_id
         ORDER BY po.payout_id DESC LIMIT 1)
$fn$;
COMMENT ON FUNCTION commission_plan_corrected_periods() IS
'Internal: the locked periods (run by run_commission) with a commission plan whose current version differs from the version of its last payout line for the period: their payout is settled by the next run.';
REVOKE ALL ON FUNCTION commission_plan_corrected_periods() FROM PUBLIC;

-- commission_company_step: who may write the commission ledger, and how.
-- run_commission, recalculate_commission and correct_sale_credit pay or
-- re-pay the whole organisation, so: a manager whose scope is the whole
-- organisation (or the extension owner, e.g. the calendar job), in a READ
-- COMMITTED transaction (after taking its locks the step must see every line
-- committed before them; a repeatable read snapshot may be older).
CREATE FUNCTION commission_company_step(login name, action text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
BEGIN
  PERFORM require_role(login, ARRAY['sales_supervisor_manager'], action);
  IF scope_root_team_ids(login) IS NOT NULL THEN
    RAISE EXCEPTION 'role "%" may not %: the commission ledger is the whole organisation''s', login, action
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Its scope is the subtree of the teams it leads.',
            HINT = 'The calendar job commission_run runs as the extension owner; a manager who leads every department may run it by hand.';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'cannot % in a % transaction', action, current_setting('transaction_isolation')
      USING ERRCODE = 'invalid_transaction_state',
            DETAIL = 'The step locks the sales lines and must then see every line committed before the lock; a repeatable read or serializable snapshot may be older.',
            HINT = 'Run it in a READ COMMITTED transaction (the default).';
  END IF;
END
$fn$;
COMMENT ON FUNCTION commission_company_step(name, text) IS
'Internal: refuses (42501) a login that is no manager with the whole organisation in scope (the extension owner passes), and (25000) a transaction that is not READ COMMITTED; the check of run_commission, recalculate_commission and correct_sale_credit.';
REVOKE ALL ON FUNCTION commission_company_step(name, text) FROM PUBLIC;

CREATE FUNCTION run_commission(period integer, login name DEFAULT current_user)
RETURNS TABLE (member_id integer, credited numeric, payout numeric, tiers text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, sales_supervisor, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  p         fiscal_period;
  v_from    date;
  v_touched integer[];
BEGIN
  PERFORM commission_company_step(login, 'run commissions');
  SELECT * INTO p FROM fiscal_period fp WHERE fp.period_id = period FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fiscal period % does not exist', period
      USING ERRCODE = 'no_data_found', HINT = 'Pass a period_id of fiscal_period.';
  END IF;
  LOCK TABLE sale, sale_credit IN SHARE MODE;
  LOCK TABLE commission_credit, commission_payout, commission_late_sale IN SHARE ROW EXCLUSIVE MODE;
  PERFORM shard_fact_lock();   -- on a coordinator: no write to the shards under the run, every shard there
  UPDATE commission_run_gate SET last_run_at = clock_timestamp();
  v_from := commission_run_window(p);

  -- 1. the lines of the window, 2. the late lines and corrections waiting
  PERFORM commission_run_credit(period, v_from, p.end_on);
  v_touched := commission_credit_waiting(period);

  -- 3. payouts by each rep's tier table on the period's credit
  PERFORM commission_run_payout(period);

  -- 4. the earlier periods whose credit or plan changed, paid the difference
  PERFORM commission_settle(period, v_touched || commission_plan_corrected_periods(),
                            format('adjustment by the run of period %s', period));

  -- 5. lock, with the window credited
  INSERT INTO commission_period_lock (period_id, credited_from, credited_through) VALUES (period, v_from, p.end_on);
  -- the window's invoice credit, written by step 1, is the settlement's cache
  -- (of this server's lines: not on a coordinator, whose run reads the shards
  -- per rep and month)
  INSERT INTO invoice_credit_window (period_id) SELECT period WHERE NOT shards_registered();

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
'Runs the commission of a fiscal period in one transaction: credits the sales lines dated from the day after the last credited date (at the earliest the fiscal year start) to the period end to their reps by split in exact cents (allocate_quota), as ledger lines per rep, kind (sales, refunds) and month of sale, and the late lines and split corrections waiting since earlier runs (late_sales, late_refunds, corrections) for the periods they were sold in; pays each rep with a commission_plan for the period round(tiered_commission(credit of the period, tiers), 2) as an append-only payout line naming the plan version; pays every earlier period whose credit or plan changed the difference, as adjustment lines naming the period and cause; and locks the period with its window. A second run, or a run of a period ending within credited dates, is refused (55000). Returns per rep the credit booked in the period, the payout lines paid in it (its own and adjustments; NULL for a rep paid nothing) and the tier table. A company-wide step: the extension owner (the calendar job) or a manager who leads every department.';
REVOKE ALL ON FUNCTION run_commission(integer, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION run_commission(integer, name) TO sales_supervisor_manager;

-- commission_credit_line: the sales lines behind the ledger, one row per line
-- and credited rep, with the period whose run credited it.  Computed from the
-- lines, their splits, the run windows, the late queue and the split
-- corrections (all immutable once credited), so it always adds up to
-- commission_credit (but for the recalculated lines, which say that the
-- ledger differed from the lines).  A corrected split shows as it is today,
-- plus, per correction and rep, a row taking the change back out of the
-- line's own period (share_pct NULL) and a corrections row in the period that
-- credited it.  Security invoker: a rep sees their own lines, a supervisor
-- their subtree's.  On a coordinator a last branch shows the lines the shards
-- hold (shard_commission_lines: line by line, the caller's row-level
-- security shipped to each shard); on a single server it is one
-- shards_registered check and no row.
CREATE VIEW commission_credit_line WITH (security_invoker = true) AS
SELECT coalesce(q.credited_period_id, l.period_id) AS period_id,
       cs.sale_id, cs.sold_on, cs.member_id, cs.share_pct, cs.amount,
       CASE WHEN q.sale_id IS NULL THEN '' ELSE 'late_' END
       || CASE WHEN cs.refund_of IS NULL THEN 'sales' ELSE 'refunds' END AS kind,
       w.period_id AS for_period_id
FROM credited_sales('-infinity', 'infinity') cs
LEFT JOIN commission_late_sale q ON q.sale_id = cs.sale_id
LEFT JOIN commission_period_lock l ON q.sale_id IS NULL AND cs.sold_on BETWEEN l.credited_from AND l.credited_through
LEFT JOIN commission_period_lock w ON cs.sold_on BETWEEN w.credited_from AND w.credited_through
WHERE q.credited_period_id IS NOT NULL OR l.period_id IS NOT NULL
UNION ALL
SELECT x.period_id, c.sale_id, s.sold_on, c.member_id, NULL, x.sign * c.delta,
       CASE WHEN x.sign = 1 THEN 'corrections'
            ELSE CASE WHEN q.sale_id IS NULL THEN '' ELSE 'late_' END
                 || CASE WHEN s.refund_of IS NULL THEN 'sales' ELSE 'refunds' END END,
       w.period_id
FROM sale_credit_correction c
JOIN sale s ON s.sale_id = c.sale_id
LEFT JOIN commission_late_sale q ON q.sale_id = c.sale_id
LEFT JOIN commission_period_lock w ON s.sold_on BETWEEN w.credited_from AND w.credited_through
CROSS JOIN LATERAL (VALUES (coalesce(q.credited_period_id, w.period_id), -1), (c.credited_period_id, 1)) x(period_id, sign)
WHERE x.period_id IS NOT NULL AND c.delta <> 0
UNION ALL   -- on a coordinator, the shards' lines (a single server: one check, no row)
SELECT r.period_id, r.sale_id, r.sold_on, r.member_id, r.share_pct, r.amount, r.kind, r.for_period_id
FROM shard_commission_lines() r;
COMMENT ON VIEW commission_credit_line IS
'The sales lines behind the commission ledger: per credited line and rep, the commission period whose run credited it, the credited amount in exact cents (the split by allocate_quota), the ledger kind (sales, refunds, late_sales, late_refunds) and the period whose window holds the sale date; a split corrected by correct_sale_credit shows as it is today, plus per correction and rep a row taking the change out of the line''s own period (share_pct NULL) and a corrections row in the period that credited it. Grouped by period, rep and kind it equals commission_credit, but for recalculated lines. On a coordinator it also shows the lines the shards hold (their late lines from shard_late_sale), the caller''s row-level security shipped to each shard (the same rows as on one server). Row-level security of the caller applies.';
COMMENT ON COLUMN commission_credit_line.period_id IS 'Commission period whose run credited the line.';
COMMENT ON COLUMN commission_credit_line.sale_id IS 'Sales line.';
COMMENT ON COLUMN commission_credit_line.sold_on IS 'Date of the sales line.';
COMMENT ON COLUMN commission_credit_line.member_id IS 'Rep credited.';
COMMENT ON COLUMN commission_credit_line.share_pct IS 'Share of the line credited to the rep, percent (NULL on the rows of a split correction).';
COMMENT ON COLUMN commission_credit_line.for_period_id IS 'Commission period whose run window holds the sale date: the period the credit counts for.';
COMMENT ON COLUMN commission_credit_line.amount IS 'Credited amount (negative for a refund line).';
COMMENT ON COLUMN commission_credit_line.kind IS 'Ledger kind the line is counted in.';
GRANT SELECT ON commission_credit_line TO sales_supervisor_rep, sales_supervisor_supervisor, sales_supervisor_manager;
